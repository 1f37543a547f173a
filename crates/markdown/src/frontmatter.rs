//! The frontmatter of a file: its values plus the raw text they came from.
//!
//! The YAML is kept as an ordered list of raw text segments, one per
//! top-level key, plus a leading segment of comments and blank lines. Each
//! key's segment is split into its own lines and the blank/comment lines that
//! trail it. Rendering concatenates the segments, so an unedited frontmatter
//! renders to exactly the bytes it was parsed from, and an edit rewrites only
//! the edited key's own lines.

use serde_json::{Map, Value};

use crate::emit;
use crate::error::ParseError;
use crate::yaml::{self, TopEntry, YamlError};

/// One top-level key with its value and source text.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    value: Value,
    /// The key's own lines: the `key:` line and its value's lines.
    text: String,
    /// Blank and comment lines after the value; kept when the value is replaced.
    trailing: String,
    /// Whether `text` defines an anchor (`&name`).
    defines_anchor: bool,
    /// Whether `text` uses an alias (`*name`).
    uses_alias: bool,
}

impl Entry {
    fn emitted(key: String, value: Value, newline: &str) -> Self {
        let text = emit::entry(&key, &value, newline);
        Self {
            key,
            value,
            text,
            trailing: String::new(),
            defines_anchor: false,
            uses_alias: false,
        }
    }
}

/// The YAML frontmatter of a Markdown file, as ordered keys with JSON values.
///
/// Reading gives `serde_json` values; editing with [`Frontmatter::set`] and
/// [`Frontmatter::remove`] rewrites only the edited key's lines, leaving every
/// other key, the comments and the blank lines byte-identical.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontmatter {
    /// The raw opening and closing `---` lines, if the file had frontmatter.
    delimiters: Option<(String, String)>,
    /// Comments and blank lines before the first key (or, when `verbatim`,
    /// the whole YAML text).
    leading: String,
    entries: Vec<Entry>,
    /// Line ending used for emitted text.
    newline: &'static str,
    /// Set when the YAML's layout cannot be cut into per-key segments (flow
    /// style, indented keys, ...): `leading` then holds all of it, and the
    /// first edit rewrites the whole frontmatter.
    verbatim: bool,
}

impl Default for Frontmatter {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Map<String, Value>> for Frontmatter {
    fn from(map: Map<String, Value>) -> Self {
        Self::from_map(map)
    }
}

/// Whether a line is blank or a comment (at any indentation).
fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.trim_end().is_empty() || t.starts_with('#')
}

fn yaml_error(e: YamlError, line_offset: usize) -> ParseError {
    ParseError {
        line: e.line + line_offset,
        column: e.column,
        message: e.message,
    }
}

/// Parses `text` alone as YAML and checks that it holds exactly `key: value`.
fn holds_exactly(text: &str, key: &str, value: &Value) -> bool {
    match yaml::load_mapping(text) {
        Ok(top) => match top.entries.as_slice() {
            [only] => only.key == key && crate::same::same_value(&only.value, value),
            _ => false,
        },
        Err(_) => false,
    }
}

/// Splits a key's segment into its own lines and its trailing blank/comment
/// lines, making sure the own lines alone still hold the same value.
fn split_trailing(lines: &[&str], key: &str, value: &Value) -> (String, String) {
    let mut start = lines.len();
    while start > 1 && is_blank_or_comment(lines[start - 1]) {
        start -= 1;
    }
    let mut candidates = vec![start];
    if let Some(i) = (start + 1..lines.len()).find(|&i| lines[i].starts_with('#')) {
        candidates.push(i);
    }
    for cut in candidates {
        if cut == lines.len() {
            break;
        }
        let own = lines[..cut].concat();
        if holds_exactly(&own, key, value) {
            return (own, lines[cut..].concat());
        }
    }
    (lines.concat(), String::new())
}

impl Frontmatter {
    /// An empty frontmatter; a file with no keys renders without `---` lines.
    pub fn new() -> Self {
        Self {
            delimiters: None,
            leading: String::new(),
            entries: Vec::new(),
            newline: "\n",
            verbatim: false,
        }
    }

    /// A frontmatter holding `map`'s keys in order, each freshly emitted.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut fm = Self::new();
        fm.entries = map
            .into_iter()
            .map(|(key, value)| Entry::emitted(key, value, "\n"))
            .collect();
        fm
    }

    /// Parses the YAML between the delimiters; `line_offset` is the number of
    /// file lines before it (for error positions).
    pub(crate) fn parse(
        yaml_text: &str,
        delimiters: Option<(String, String)>,
        newline: &'static str,
        line_offset: usize,
    ) -> Result<Self, ParseError> {
        let top = yaml::load_mapping(yaml_text).map_err(|e| yaml_error(e, line_offset))?;
        let lines: Vec<&str> = yaml_text.split_inclusive('\n').collect();
        let mut fm = Self {
            delimiters,
            leading: String::new(),
            entries: Vec::new(),
            newline,
            verbatim: false,
        };
        match segment_starts(&top, &lines, yaml_text) {
            Some(starts) => {
                let first = starts.first().copied().unwrap_or(lines.len());
                fm.leading = lines[..first].concat();
                for (i, entry) in top.entries.into_iter().enumerate() {
                    let end = starts.get(i + 1).copied().unwrap_or(lines.len());
                    let (text, trailing) =
                        split_trailing(&lines[starts[i]..end], &entry.key, &entry.value);
                    fm.entries.push(Entry {
                        key: entry.key,
                        value: entry.value,
                        text,
                        trailing,
                        defines_anchor: entry.defines_anchor,
                        uses_alias: entry.uses_alias,
                    });
                }
            }
            None => {
                fm.verbatim = true;
                fm.leading = yaml_text.to_owned();
                fm.entries = top
                    .entries
                    .into_iter()
                    .map(|e| Entry {
                        key: e.key,
                        value: e.value,
                        text: String::new(),
                        trailing: String::new(),
                        defines_anchor: e.defines_anchor,
                        uses_alias: e.uses_alias,
                    })
                    .collect();
            }
        }
        Ok(fm)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].value)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The keys, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|e| e.key.as_str())
    }

    /// The `(key, value)` pairs, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> + '_ {
        self.entries.iter().map(|e| (e.key.as_str(), &e.value))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All keys and values as a JSON object, in file order.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect()
    }

    /// Sets `key` to `value`.
    ///
    /// An existing key keeps its place: only its own lines are replaced by a
    /// fresh `key: value` rendering (blank and comment lines that trailed it
    /// stay). A new key is appended after the last key. Setting a key to the
    /// value it already has changes nothing, not even formatting.
    pub fn set(&mut self, key: &str, value: Value) {
        match self.position(key) {
            Some(i) if crate::same::same_value(&self.entries[i].value, &value) => {}
            Some(i) => {
                self.materialize();
                self.detach_anchors(i);
                let entry = &mut self.entries[i];
                entry.text = emit::entry(key, &value, self.newline);
                entry.trailing = fit_trailing(&entry.text, key, &value, &entry.trailing);
                entry.value = value;
                entry.defines_anchor = false;
                entry.uses_alias = false;
            }
            None => {
                self.materialize();
                let mut entry = Entry::emitted(key.to_owned(), value, self.newline);
                if let Some(last) = self.entries.last_mut() {
                    let lines: Vec<&str> = last.trailing.split_inclusive('\n').collect();
                    let keep = lines
                        .iter()
                        .rposition(|l| !l.trim().is_empty())
                        .map_or(0, |i| i + 1);
                    let moved = lines[keep..].concat();
                    entry.trailing = fit_trailing(&entry.text, key, &entry.value, &moved);
                    last.trailing = lines[..keep].concat();
                }
                self.entries.push(entry);
            }
        }
    }

    /// Removes `key` and returns its value.
    ///
    /// The key's own lines go; blank and comment lines that trailed it stay
    /// where they were.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        self.materialize();
        self.detach_anchors(i);
        let removed = self.entries.remove(i);
        if !removed.trailing.is_empty() {
            if i == 0 {
                self.leading.push_str(&removed.trailing);
            } else {
                let prev = &mut self.entries[i - 1];
                let kept = if prev.uses_alias {
                    removed.trailing
                } else {
                    let text = format!("{}{}", prev.text, prev.trailing);
                    fit_trailing(&text, &prev.key, &prev.value, &removed.trailing)
                };
                prev.trailing.push_str(&kept);
            }
        }
        Some(removed.value)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key)
    }

    /// Leaves verbatim mode by re-emitting every key (comments are lost).
    fn materialize(&mut self) {
        if !self.verbatim {
            return;
        }
        self.verbatim = false;
        self.leading.clear();
        for entry in &mut self.entries {
            *entry = Entry::emitted(
                std::mem::take(&mut entry.key),
                entry.value.take(),
                self.newline,
            );
        }
    }

    /// Before entry `i` is rewritten or removed: if it defines anchors that
    /// other entries use through aliases, re-emit those entries with their
    /// resolved values so the file stays valid.
    fn detach_anchors(&mut self, i: usize) {
        if !self.entries[i].defines_anchor {
            return;
        }
        let newline = self.newline;
        for (j, entry) in self.entries.iter_mut().enumerate() {
            if j != i && entry.uses_alias {
                entry.text = emit::entry(&entry.key, &entry.value, newline);
                entry.uses_alias = false;
            }
        }
    }

    /// Appends the frontmatter's text (delimiters included when it has any)
    /// to `out`.
    pub(crate) fn render_into(&self, out: &mut String) {
        let generated;
        let (open, close) = match &self.delimiters {
            Some((open, close)) => (open.as_str(), close.as_str()),
            None if self.entries.is_empty() && self.leading.is_empty() => return,
            None => {
                generated = format!("---{}", self.newline);
                (generated.as_str(), generated.as_str())
            }
        };
        out.push_str(open);
        out.push_str(&self.leading);
        if !self.verbatim {
            for entry in &self.entries {
                out.push_str(&entry.text);
                out.push_str(&entry.trailing);
            }
        }
        out.push_str(close);
    }

    /// Whether the closing delimiter lacks a line break (file ended right after it).
    pub(crate) fn close_lacks_newline(&self) -> bool {
        self.delimiters
            .as_ref()
            .is_some_and(|(_, close)| !close.ends_with('\n'))
    }

    /// Gives the frontmatter `---` delimiters (used for new documents).
    pub(crate) fn with_delimiters(mut self) -> Self {
        if self.delimiters.is_none() {
            let line = format!("---{}", self.newline);
            self.delimiters = Some((line.clone(), line));
        }
        self
    }

    /// Sets the line ending used for emitted text.
    pub(crate) fn set_newline(&mut self, newline: &'static str) {
        self.newline = newline;
    }
}

/// `trailing` adjusted so that writing it right after `text` (which holds
/// exactly `key: value`) leaves the value unchanged.
///
/// Whitespace-only lines right after a block scalar can join its value (`|+`,
/// or spaces deeper than its indentation): try the lines as they are, then
/// with whitespace-only lines emptied, then without leading blank lines.
fn fit_trailing(text: &str, key: &str, value: &Value, trailing: &str) -> String {
    if trailing.is_empty() {
        return String::new();
    }
    let emptied: String = trailing
        .split_inclusive('\n')
        .map(|line| {
            if !line.trim().is_empty() {
                line
            } else if line.ends_with("\r\n") {
                "\r\n"
            } else {
                "\n"
            }
        })
        .collect();
    for candidate in [trailing.to_owned(), emptied] {
        if holds_exactly(&format!("{text}{candidate}"), key, value) {
            return candidate;
        }
    }
    trailing
        .trim_start_matches(['\n', '\r', ' ', '\t'])
        .to_owned()
}

/// The line index where each top-level key's segment starts, or `None` when
/// the layout cannot be cut into per-key segments.
fn segment_starts(top: &yaml::TopMapping, lines: &[&str], text: &str) -> Option<Vec<usize>> {
    if top.flow || text.replace("\r\n", "").contains('\r') {
        return None;
    }
    let mut starts: Vec<usize> = Vec::with_capacity(top.entries.len());
    for TopEntry { line, col, .. } in &top.entries {
        let index = line.checked_sub(1)?;
        if *col != 0 || index >= lines.len() || starts.last().is_some_and(|&s| s >= index) {
            return None;
        }
        starts.push(index);
    }
    let first = starts.first().copied().unwrap_or(lines.len());
    if !lines[..first].iter().all(|l| is_blank_or_comment(l)) {
        return None;
    }
    Some(starts)
}
