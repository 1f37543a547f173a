//! Splits a file into its frontmatter delimiters, frontmatter YAML and body.

use crate::error::ParseError;

/// A file cut at its frontmatter delimiters; the parts concatenate back to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    /// The opening `---` line, line ending included (and a leading BOM, if any).
    pub(crate) open: &'a str,
    /// The YAML between the delimiters; every line ends with a line break.
    pub(crate) yaml: &'a str,
    /// The closing `---` line, line ending included when the file has one.
    pub(crate) close: &'a str,
    /// Everything after the closing line, unchanged.
    pub(crate) body: &'a str,
}

const BOM: char = '\u{feff}';

/// Whether `line` (with or without its line ending) is a `---` delimiter.
fn is_delimiter(line: &str) -> bool {
    let content = line.strip_suffix('\n').unwrap_or(line);
    let content = content.strip_suffix('\r').unwrap_or(content);
    content.trim_end_matches([' ', '\t']) == "---"
}

/// Cuts `text` at its frontmatter delimiters.
///
/// Returns `Ok(None)` when the file has no frontmatter (its first line is not
/// `---`), and an error when the opening delimiter is never closed.
pub(crate) fn split(text: &str) -> Result<Option<Split<'_>>, ParseError> {
    let without_bom = text.strip_prefix(BOM).unwrap_or(text);
    let bom_len = text.len() - without_bom.len();
    let first_end = match without_bom.find('\n') {
        Some(i) => bom_len + i + 1,
        None => return Ok(None),
    };
    let open = &text[..first_end];
    if !is_delimiter(&open[bom_len..]) {
        return Ok(None);
    }
    let mut offset = first_end;
    for line in text[first_end..].split_inclusive('\n') {
        if is_delimiter(line) {
            let close_end = offset + line.len();
            return Ok(Some(Split {
                open,
                yaml: &text[first_end..offset],
                close: &text[offset..close_end],
                body: &text[close_end..],
            }));
        }
        offset += line.len();
    }
    Err(ParseError::at_line(
        1,
        "frontmatter opened with `---` is never closed by a `---` line",
    ))
}

/// The line ending used by `text`: `"\r\n"` if its first line break is CRLF.
pub(crate) fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_delimiters() {
        let s = split("---\na: 1\n---\nbody\n").unwrap().unwrap();
        assert_eq!(
            (s.open, s.yaml, s.close, s.body),
            ("---\n", "a: 1\n", "---\n", "body\n")
        );
    }

    #[test]
    fn accepts_crlf_and_missing_final_newline() {
        let s = split("---\r\na: 1\r\n---").unwrap().unwrap();
        assert_eq!(
            (s.open, s.yaml, s.close, s.body),
            ("---\r\n", "a: 1\r\n", "---", "")
        );
    }

    #[test]
    fn no_frontmatter() {
        assert_eq!(split("# Title\n---\n").unwrap(), None);
        assert_eq!(split("---").unwrap(), None);
        assert_eq!(split("").unwrap(), None);
    }

    #[test]
    fn unclosed_is_an_error() {
        assert_eq!(split("---\na: 1\n").unwrap_err().line, 1);
    }
}
