//! A whole Markdown file: frontmatter plus body, parsed and rendered losslessly.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::error::ParseError;
use crate::frontmatter::Frontmatter;
use crate::split::{newline_of, split};

/// A Markdown file with optional YAML frontmatter.
///
/// `render(parse(text)) == text` byte for byte; edits through
/// [`Frontmatter::set`] / [`Frontmatter::remove`] and the `body` field change
/// only what they touch.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The YAML frontmatter (empty when the file has none).
    pub frontmatter: Frontmatter,
    /// Everything after the closing `---` line, byte for byte (the whole file
    /// when there is no frontmatter).
    pub body: String,
}

impl Document {
    /// A new file with `frontmatter`'s keys in map order and `body`.
    ///
    /// It renders as `---\n`, one block-style YAML entry per key, `---\n`, then
    /// the body (the `---` lines are written even when the map is empty).
    pub fn new(frontmatter: Map<String, Value>, body: impl Into<String>) -> Self {
        Self {
            frontmatter: Frontmatter::from_map(frontmatter).with_delimiters(),
            body: body.into(),
        }
    }

    /// Parses a file: optional frontmatter between a first line `---` and the
    /// next `---` line (`\r\n` accepted), then the body.
    ///
    /// # Errors
    /// [`ParseError`] (with the file line) when the frontmatter is not closed,
    /// is not valid YAML, or is not a mapping of keys to values.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        match split(text)? {
            Some(parts) => {
                let newline = newline_of(parts.open);
                let delimiters = Some((parts.open.to_owned(), parts.close.to_owned()));
                let frontmatter = Frontmatter::parse(parts.yaml, delimiters, newline, 1)?;
                Ok(Self {
                    frontmatter,
                    body: parts.body.to_owned(),
                })
            }
            None => {
                let mut frontmatter = Frontmatter::new();
                frontmatter.set_newline(newline_of(text));
                Ok(Self {
                    frontmatter,
                    body: text.to_owned(),
                })
            }
        }
    }

    /// Renders the file; without edits this is exactly the parsed text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.body.len() + 256);
        self.frontmatter.render_into(&mut out);
        if self.frontmatter.close_lacks_newline() && !self.body.is_empty() {
            out.push('\n');
        }
        out.push_str(&self.body);
        out
    }

    /// The body (everything after the frontmatter).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<String>) {
        self.body = body.into();
    }
}

impl FromStr for Document {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
