//! Normalising Markdown bodies with comrak (CommonMark output with the
//! GitHub extensions); the frontmatter is never touched. `[[wikilinks]]`
//! are set aside during formatting and put back exactly as written.

use crate::{Document, ParseError};

fn options() -> comrak::Options<'static> {
    let mut options = comrak::Options::default();
    options.extension.strikethrough = true;
    options.extension.table = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.render.prefer_fenced = true;
    options
}

/// Replaces each `[[...]]` with an inert placeholder word; returns the
/// text and the links in order.
fn set_aside_wikilinks(body: &str) -> (String, Vec<String>) {
    let mut text = String::with_capacity(body.len());
    let mut links = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("[[") {
        let Some(len) = rest[start..]
            .find("]]")
            .filter(|end| !rest[start..start + end].contains('\n'))
        else {
            break;
        };
        text.push_str(&rest[..start]);
        text.push_str(&format!("sbwikilink{}x", links.len()));
        links.push(rest[start..start + len + 2].to_owned());
        rest = &rest[start + len + 2..];
    }
    text.push_str(rest);
    (text, links)
}

/// The body rewritten in normalised CommonMark.
pub fn format_body(body: &str) -> String {
    let (text, links) = set_aside_wikilinks(body);
    let mut formatted = comrak::markdown_to_commonmark(&text, &options());
    // Later placeholders first, so `sbwikilink1x` never matches inside `sbwikilink11x`.
    for (index, link) in links.iter().enumerate().rev() {
        formatted = formatted.replace(&format!("sbwikilink{index}x"), link);
    }
    formatted
}

/// The file with its body normalised and its frontmatter byte-identical.
///
/// # Errors
/// [`ParseError`] when the file does not parse.
pub fn format_document(text: &str) -> Result<String, ParseError> {
    let mut document = Document::parse(text)?;
    let formatted = format_body(document.body());
    document.set_body(formatted);
    Ok(document.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_normalised_and_frontmatter_kept() {
        let text = "---\n# hand comment\nname:   \"Ada\"\n---\nTitle\n=====\n\n* one\n* two\n\nSee [[maren_osk]] and [[faction:wardens|the Wardens]].\n";
        let formatted = format_document(text).expect("formats");
        assert!(
            formatted.starts_with("---\n# hand comment\nname:   \"Ada\"\n---\n"),
            "{formatted}"
        );
        assert!(formatted.contains("# Title"), "{formatted}");
        assert!(formatted.contains("- one"), "{formatted}");
        assert!(formatted.contains("[[maren_osk]]"), "{formatted}");
        assert!(
            formatted.contains("[[faction:wardens|the Wardens]]"),
            "{formatted}"
        );
        assert_eq!(
            format_document(&formatted).expect("formats"),
            formatted,
            "formatting is idempotent"
        );
    }
}
