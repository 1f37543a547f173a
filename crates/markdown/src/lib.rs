//! Markdown + YAML frontmatter codec of StudioBrain.
//!
//! Entities are Markdown files with YAML frontmatter that people also edit by
//! hand, and the files are the source of truth. This crate reads them into
//! `serde_json` values and writes them back without disturbing anything that
//! was not edited:
//!
//! - [`parse`] then [`render`] gives back the input byte for byte (comments,
//!   blank lines, key order, quoting, CRLF, missing final newline, ...);
//! - [`Frontmatter::set`] / [`Frontmatter::remove`] rewrite only the edited
//!   key's lines; everything else, and the body, stays byte-identical.
//!
//! Pure library: no I/O.
//!
//! ```
//! use serde_json::json;
//!
//! let text = "---\n# who\nname: \"Ada\"   # full name\nage: 36\n---\n# Ada\n";
//! let mut doc = studiobrain_markdown::parse(text)?;
//! assert_eq!(doc.frontmatter.get("age"), Some(&json!(36)));
//! assert_eq!(studiobrain_markdown::render(&doc), text);
//!
//! doc.frontmatter.set("age", json!(37));
//! assert_eq!(doc.render(), "---\n# who\nname: \"Ada\"   # full name\nage: 37\n---\n# Ada\n");
//! # Ok::<(), studiobrain_markdown::ParseError>(())
//! ```

mod document;
mod emit;
mod error;
mod format;
mod frontmatter;
mod same;
mod split;
mod yaml;

pub use document::Document;
pub use error::ParseError;
pub use format::{format_body, format_document};
pub use frontmatter::Frontmatter;

/// Parses a Markdown file with optional YAML frontmatter.
///
/// # Errors
/// [`ParseError`] when the frontmatter is unclosed, invalid YAML, or not a mapping.
pub fn parse(text: &str) -> Result<Document, ParseError> {
    Document::parse(text)
}

/// Renders a document back to text (exactly the parsed text when unedited).
pub fn render(doc: &Document) -> String {
    doc.render()
}
