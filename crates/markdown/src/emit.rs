//! Writes `serde_json` values as block-style YAML that reads back to the same values.
//!
//! Strings are left unquoted only when that is unambiguous (also for YAML 1.1
//! readers: `yes`, `no`, `on`, `off`, dates and numbers are quoted). Multi-line
//! strings use a literal block (`|` / `|-`) when it can hold them exactly, and a
//! double-quoted string with escapes otherwise. Maps and lists are written in
//! block style with 2-space indentation; empty ones as `{}` and `[]`.

use std::fmt::Write as _;

use serde_json::Value;

/// Renders one top-level `key: value` entry, ending with a line break.
pub(crate) fn entry(key: &str, value: &Value, newline: &str) -> String {
    let mut out = String::new();
    out.push_str(&scalar_key(key));
    out.push(':');
    after_key(&mut out, value, 0);
    if newline == "\n" {
        out
    } else {
        out.replace('\n', newline)
    }
}

/// Characters that YAML cannot hold literally (outside double-quoted escapes).
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// Words that YAML 1.1 or 1.2 readers turn into booleans or null.
const RESERVED_WORDS: [&str; 10] = [
    "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~",
];

/// Whether `s` can be written as a plain (unquoted) scalar and read back as
/// the same string, by both YAML 1.2 and YAML 1.1 readers.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() || "-?:,[]{}#&*!|>'\"%@`+.~<=".contains(first) {
        return false;
    }
    if s.ends_with([' ', ':']) || first == ' ' {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.chars().any(|c| c == '\t' || needs_escape(c)) {
        return false;
    }
    !RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Writes `s` as a double-quoted scalar.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if needs_escape(c) && u32::from(c) <= 0xff => {
                let _ = write!(out, "\\x{:02X}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A mapping key, plain when safe and double-quoted otherwise.
pub(crate) fn scalar_key(key: &str) -> String {
    if plain_ok(key) {
        key.to_owned()
    } else {
        quoted(key)
    }
}

/// A single-line rendering of a scalar value (never used for multi-line strings
/// that fit a literal block).
fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::String(s) => quoted(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Whether a multi-line string can be written as a literal block scalar and
/// read back unchanged.
fn literal_ok(s: &str) -> bool {
    if !s.contains('\n') || s.ends_with("\n\n") {
        return false;
    }
    if s.chars()
        .any(|c| c != '\n' && (c == '\t' || needs_escape(c)))
    {
        return false;
    }
    let content = s.strip_suffix('\n').unwrap_or(s);
    if content.split('\n').any(|line| line.ends_with(' ')) {
        return false;
    }
    content
        .split('\n')
        .find(|line| !line.is_empty())
        .is_some_and(|line| !line.starts_with(' '))
}

/// Writes a literal block scalar header and its lines indented to `indent`.
fn literal(out: &mut String, s: &str, indent: usize) {
    let (header, content) = match s.strip_suffix('\n') {
        Some(content) => (" |\n", content),
        None => (" |-\n", s),
    };
    out.push_str(header);
    for line in content.split('\n') {
        if !line.is_empty() {
            push_indent(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn is_nonempty_collection(value: &Value) -> bool {
    match value {
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => false,
    }
}

/// Writes what follows `key:` for a key at column `col`.
fn after_key(out: &mut String, value: &Value, col: usize) {
    match value {
        Value::String(s) if literal_ok(s) => literal(out, s, col + 2),
        v if is_nonempty_collection(v) => {
            out.push('\n');
            push_indent(out, col + 2);
            block(out, v, col + 2);
        }
        v => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

/// Writes what follows `-` for a list item whose dash is at column `col`.
fn after_dash(out: &mut String, value: &Value, col: usize) {
    match value {
        Value::String(s) if literal_ok(s) => literal(out, s, col + 2),
        v if is_nonempty_collection(v) => {
            out.push(' ');
            block(out, v, col + 2);
        }
        v => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

/// Writes a non-empty map or list whose first line starts at the cursor, at
/// column `col`; later lines are indented to `col`.
fn block(out: &mut String, value: &Value, col: usize) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    push_indent(out, col);
                }
                out.push('-');
                after_dash(out, item, col);
            }
        }
        Value::Object(map) => {
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    push_indent(out, col);
                }
                out.push_str(&scalar_key(key));
                out.push(':');
                after_key(out, item, col);
            }
        }
        scalar_value => {
            out.push_str(&scalar(scalar_value));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars() {
        assert_eq!(entry("a", &json!(null), "\n"), "a: null\n");
        assert_eq!(entry("a", &json!(true), "\n"), "a: true\n");
        assert_eq!(entry("a", &json!(-3), "\n"), "a: -3\n");
        assert_eq!(entry("a", &json!(1.5), "\n"), "a: 1.5\n");
        assert_eq!(entry("a", &json!("Hello world"), "\n"), "a: Hello world\n");
        assert_eq!(entry("a", &json!("yes"), "\n"), "a: \"yes\"\n");
        assert_eq!(
            entry("a", &json!("2024-01-01"), "\n"),
            "a: \"2024-01-01\"\n"
        );
        assert_eq!(entry("a", &json!(""), "\n"), "a: \"\"\n");
        assert_eq!(entry("a", &json!("x: y"), "\n"), "a: \"x: y\"\n");
        assert_eq!(
            entry("a", &json!("say \"hi\"\t"), "\n"),
            "a: \"say \\\"hi\\\"\\t\"\n"
        );
        assert_eq!(entry("a", &json!([]), "\n"), "a: []\n");
        assert_eq!(entry("a", &json!({}), "\n"), "a: {}\n");
        assert_eq!(entry("my key:", &json!(1), "\n"), "\"my key:\": 1\n");
    }

    #[test]
    fn multi_line_strings() {
        assert_eq!(entry("a", &json!("x\n\ny\n"), "\n"), "a: |\n  x\n\n  y\n");
        assert_eq!(entry("a", &json!("x\ny"), "\n"), "a: |-\n  x\n  y\n");
        assert_eq!(entry("a", &json!(" x\ny"), "\n"), "a: \" x\\ny\"\n");
        assert_eq!(entry("a", &json!("x\n\n"), "\n"), "a: \"x\\n\\n\"\n");
    }

    #[test]
    fn collections() {
        let v = json!({"list": [1, [2, 3], {"k": "v", "l": ["x"]}, "a\nb"], "map": {"m": {}}});
        assert_eq!(
            entry("root", &v, "\r\n"),
            "root:\r\n  list:\r\n    - 1\r\n    - - 2\r\n      - 3\r\n    - k: v\r\n      l:\r\n        - x\r\n    - |-\r\n      a\r\n      b\r\n  map:\r\n    m: {}\r\n"
        );
    }
}
