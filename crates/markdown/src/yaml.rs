//! Reads YAML text into `serde_json` values, remembering where top-level keys start.
//!
//! Scalars are resolved with the YAML 1.2 core schema (so `2024-01-01` and
//! `yes` stay strings), keys that are not strings become their source text,
//! aliases are resolved, tags other than `!!str` are ignored.

use std::collections::HashMap;
use std::str::Chars;

use serde_json::{Map, Number, Value};
use yaml_rust2::Event;
use yaml_rust2::parser::Parser;
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A problem in YAML text; `line` is 1-based within that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    /// 1-based line within the YAML text.
    pub(crate) line: usize,
    /// 1-based column, when known.
    pub(crate) column: Option<usize>,
    /// What went wrong.
    pub(crate) message: String,
}

/// One key of the top-level mapping with its position and value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TopEntry {
    /// The key as a string.
    pub(crate) key: String,
    /// 1-based line where the key starts.
    pub(crate) line: usize,
    /// 0-based column where the key starts.
    pub(crate) col: usize,
    /// The value.
    pub(crate) value: Value,
    /// Whether the key or value defines an anchor (`&name`).
    pub(crate) defines_anchor: bool,
    /// Whether the value contains an alias (`*name`).
    pub(crate) uses_alias: bool,
}

/// The top-level mapping of a YAML document.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct TopMapping {
    /// Whether the mapping is written in flow style (`{a: 1}`).
    pub(crate) flow: bool,
    /// The keys in source order.
    pub(crate) entries: Vec<TopEntry>,
}

/// Deepest nesting accepted, to keep recursion bounded.
const MAX_DEPTH: usize = 256;
/// Most values produced (aliases count their full size), against alias bombs.
const MAX_NODES: usize = 1_000_000;

/// Parses `text`, which must hold at most one YAML document whose root is a mapping.
///
/// Empty text (or only comments) gives an empty mapping.
pub(crate) fn load_mapping(text: &str) -> Result<TopMapping, YamlError> {
    let mut loader = Loader {
        parser: Parser::new_from_str(text),
        lines: text.split_inclusive('\n').collect(),
        anchors: HashMap::new(),
        nodes: 0,
        defines_anchor: false,
        uses_alias: false,
    };
    loader.document()
}

struct Loader<'a> {
    parser: Parser<Chars<'a>>,
    lines: Vec<&'a str>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    defines_anchor: bool,
    uses_alias: bool,
}

fn error(mark: Marker, message: impl Into<String>) -> YamlError {
    YamlError {
        line: mark.line(),
        column: Some(mark.col() + 1),
        message: message.into(),
    }
}

fn size_of(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(size_of).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(size_of).sum::<usize>(),
        _ => 1,
    }
}

fn kind_of(event: &Event) -> &'static str {
    match event {
        Event::SequenceStart(..) => "a list",
        Event::Scalar(..) => "a single value",
        Event::Alias(..) => "an alias",
        _ => "something else",
    }
}

impl Loader<'_> {
    fn next(&mut self) -> Result<(Event, Marker), YamlError> {
        self.parser.next_token().map_err(|e| {
            let mark = *e.marker();
            error(mark, e.info())
        })
    }

    fn document(&mut self) -> Result<TopMapping, YamlError> {
        let mut top = TopMapping::default();
        loop {
            let (event, mark) = self.next()?;
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(top),
                Event::DocumentStart => break,
                other => return Err(error(mark, format!("unexpected YAML event {other:?}"))),
            }
        }
        let (event, mark) = self.next()?;
        match event {
            Event::MappingStart(anchor, _) => {
                top = self.top_mapping(mark)?;
                if anchor > 0 {
                    let map = top.entries.iter().map(|e| (e.key.clone(), e.value.clone()));
                    let value = Value::Object(map.collect());
                    let size = size_of(&value);
                    self.anchors.insert(anchor, (value, size));
                }
            }
            Event::Scalar(ref s, TScalarStyle::Plain, _, None) if s.is_empty() => {}
            other => {
                return Err(error(
                    mark,
                    format!(
                        "frontmatter must be a mapping of `key: value` lines, found {}",
                        kind_of(&other)
                    ),
                ));
            }
        }
        loop {
            let (event, mark) = self.next()?;
            match event {
                Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(top),
                _ => {
                    return Err(error(mark, "frontmatter must hold a single YAML document"));
                }
            }
        }
    }

    fn top_mapping(&mut self, start: Marker) -> Result<TopMapping, YamlError> {
        let flow = self
            .lines
            .get(start.line().wrapping_sub(1))
            .and_then(|line| line.chars().nth(start.col()))
            == Some('{');
        let mut entries: Vec<TopEntry> = Vec::new();
        loop {
            let (event, mark) = self.next()?;
            if event == Event::MappingEnd {
                return Ok(TopMapping { flow, entries });
            }
            self.defines_anchor = false;
            self.uses_alias = false;
            let key = self.key(event, mark)?;
            if entries.iter().any(|e| e.key == key) {
                return Err(error(mark, format!("duplicate key `{key}`")));
            }
            let (event, value_mark) = self.next()?;
            let value = self.node(event, value_mark, 1)?;
            entries.push(TopEntry {
                key,
                line: mark.line(),
                col: mark.col(),
                value,
                defines_anchor: self.defines_anchor,
                uses_alias: self.uses_alias,
            });
        }
    }

    fn count(&mut self, mark: Marker, n: usize) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(error(mark, "YAML expands to too many values (alias bomb?)"));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, value: &Value) {
        if anchor > 0 {
            self.defines_anchor = true;
            self.anchors.insert(anchor, (value.clone(), size_of(value)));
        }
    }

    fn alias(&mut self, anchor: usize, mark: Marker) -> Result<Value, YamlError> {
        self.uses_alias = true;
        let (value, size) = self
            .anchors
            .get(&anchor)
            .cloned()
            .ok_or_else(|| error(mark, "alias refers to an anchor that is not complete yet"))?;
        self.count(mark, size)?;
        Ok(value)
    }

    fn key(&mut self, event: Event, mark: Marker) -> Result<String, YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(mark, 1)?;
                let value = resolve_scalar(&text, style, tag.as_ref());
                self.remember(anchor, &value);
                Ok(text)
            }
            Event::Alias(anchor) => match self.alias(anchor, mark)? {
                Value::String(s) => Ok(s),
                Value::Null => Ok("null".to_owned()),
                value @ (Value::Bool(_) | Value::Number(_)) => Ok(value.to_string()),
                _ => Err(error(mark, "a list or map cannot be used as a key")),
            },
            _ => Err(error(
                mark,
                "complex keys (lists or maps used as keys) are not supported",
            )),
        }
    }

    fn node(&mut self, event: Event, mark: Marker, depth: usize) -> Result<Value, YamlError> {
        if depth > MAX_DEPTH {
            return Err(error(mark, "YAML is nested too deeply"));
        }
        self.count(mark, 1)?;
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(&text, style, tag.as_ref());
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::Alias(anchor) => self.alias(anchor, mark),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, mark) = self.next()?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node(event, mark, depth + 1)?);
                }
                let value = Value::Array(items);
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::MappingStart(anchor, _) => {
                let mut map = Map::new();
                loop {
                    let (event, mark) = self.next()?;
                    if event == Event::MappingEnd {
                        break;
                    }
                    let key = self.key(event, mark)?;
                    if map.contains_key(&key) {
                        return Err(error(mark, format!("duplicate key `{key}`")));
                    }
                    let (event, value_mark) = self.next()?;
                    let value = self.node(event, value_mark, depth + 1)?;
                    map.insert(key, value);
                }
                let value = Value::Object(map);
                self.remember(anchor, &value);
                Ok(value)
            }
            other => Err(error(mark, format!("unexpected YAML event {other:?}"))),
        }
    }
}

/// Resolves a scalar to a JSON value with the YAML 1.2 core schema.
///
/// Quoted and block scalars are strings; so is anything tagged `!!str`.
/// Numbers JSON cannot hold (`.inf`, `.nan`, integers beyond 64 bits) stay
/// strings so that no information is lost.
pub(crate) fn resolve_scalar(
    text: &str,
    style: TScalarStyle,
    tag: Option<&yaml_rust2::parser::Tag>,
) -> Value {
    let forced_string = tag.is_some_and(|t| {
        t.suffix == "str" && (t.handle == "tag:yaml.org,2002:" || t.handle == "!!")
    });
    if style != TScalarStyle::Plain || forced_string {
        return Value::String(text.to_owned());
    }
    resolve_plain(text)
}

/// Resolves an unquoted scalar with the YAML 1.2 core schema.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if is_core_int(text) {
        // Integers beyond 64 bits stay strings rather than losing digits.
        return core_int(text).map_or_else(|| Value::String(text.to_owned()), Value::Number);
    }
    core_float(text).map_or_else(|| Value::String(text.to_owned()), Value::Number)
}

fn all_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

/// `[-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+`
fn is_core_int(text: &str) -> bool {
    if let Some(octal) = text.strip_prefix("0o") {
        return all_digits(octal, 8);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all_digits(hex, 16);
    }
    all_digits(text.strip_prefix(['-', '+']).unwrap_or(text), 10)
}

fn core_int(text: &str) -> Option<Number> {
    if let Some(octal) = text.strip_prefix("0o") {
        return all_digits(octal, 8)
            .then(|| u64::from_str_radix(octal, 8).ok().map(Number::from))
            .flatten();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all_digits(hex, 16)
            .then(|| u64::from_str_radix(hex, 16).ok().map(Number::from))
            .flatten();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !all_digits(digits, 10) {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::from(i));
    }
    text.strip_prefix('+')
        .unwrap_or(text)
        .parse::<u64>()
        .ok()
        .map(Number::from)
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => all_digits(frac, 10),
        Some((int, frac)) => all_digits(int, 10) && (frac.is_empty() || all_digits(frac, 10)),
        None => all_digits(mantissa, 10),
    };
    let exponent_ok =
        exponent.is_none_or(|e| all_digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    mantissa_ok && exponent_ok
}

fn core_float(text: &str) -> Option<Number> {
    if !is_core_float(text) {
        return None;
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(text: &str) -> Value {
        let top = load_mapping(text).unwrap();
        Value::Object(top.entries.into_iter().map(|e| (e.key, e.value)).collect())
    }

    #[test]
    fn core_schema() {
        let v = values(
            "a: 1\nb: -2.5\nc: yes\nd: 2024-01-01\ne: ~\nf: true\ng: '1'\nh: 0x1F\ni: .inf\nj: 1e3\nk: 99999999999999999999999\n",
        );
        assert_eq!(
            v,
            json!({"a": 1, "b": -2.5, "c": "yes", "d": "2024-01-01", "e": null, "f": true,
                   "g": "1", "h": 31, "i": ".inf", "j": 1000.0, "k": "99999999999999999999999"})
        );
    }

    #[test]
    fn keys_become_strings_and_aliases_resolve() {
        let v = values("1: a\ntrue: b\nx: &anchor [1, 2]\ny: *anchor\nz: !!str 3\nw: !custom 4\n");
        assert_eq!(
            v,
            json!({"1": "a", "true": "b", "x": [1, 2], "y": [1, 2], "z": "3", "w": 4})
        );
    }

    #[test]
    fn rejects_non_mappings_and_duplicates() {
        assert!(
            load_mapping("- a\n")
                .unwrap_err()
                .message
                .contains("mapping")
        );
        assert_eq!(load_mapping("a: 1\na: 2\n").unwrap_err().line, 2);
        assert!(load_mapping("a: *nope\n").is_err());
        assert!(load_mapping("? [a]\n: 1\n").is_err());
    }

    #[test]
    fn positions() {
        let top = load_mapping("# c\na: 1\n\"b c\": [\n 1]\n").unwrap();
        let pos: Vec<_> = top.entries.iter().map(|e| (e.line, e.col)).collect();
        assert_eq!(pos, vec![(2, 0), (3, 0)]);
        assert!(!top.flow);
        assert!(load_mapping("{a: 1}\n").unwrap().flow);
        assert!(
            load_mapping("# only a comment\n")
                .unwrap()
                .entries
                .is_empty()
        );
    }
}
