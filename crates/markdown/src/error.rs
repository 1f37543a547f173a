//! The error returned when a Markdown file's frontmatter cannot be read.

/// Why a file could not be parsed, and where.
///
/// `line` and `column` are 1-based and count from the start of the whole file
/// (the opening `---` is line 1), so they can be shown to a person editing the
/// file by hand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line in the file where the problem was found.
    pub line: usize,
    /// 1-based column on that line, when the YAML parser reported one.
    pub column: Option<usize>,
    /// Human-readable description of the problem.
    pub message: String,
}

impl ParseError {
    /// Builds an error at `line` (1-based) without a column.
    pub(crate) fn at_line(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column: None,
            message: message.into(),
        }
    }
}
