//! Property tests: value round trips, byte-exact round trips, edit locality.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use studiobrain_markdown::{Document, parse, render};

// ---------- generated values ----------

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z][a-z0-9_]{0,8}",
        1 => prop::sample::select(vec!["yes", "1", "a b", "x: y", "#h", "-", "null", "é"]).prop_map(String::from),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,20}",
        2 => any::<String>(),
        2 => "[a-z :#\\-\\n'\"]{0,20}",
        3 => prop::sample::select(vec![
            "", "yes", "No", "null", "~", "true", "2024-01-01", "1.5", "0x10", ".inf", "- a",
            "a: b", "a #b", " lead", "trail ", "---", "...", "#x", "multi\nline", "a\n\nb\n",
            "\n", "x\n\n", "  indented\nfirst", "tab\tin", "quote\"s", "back\\slash", "\u{feff}bom",
            "ünï 🎉\n---\nline", "[a]", "{b}", "&a", "*a", "!tag", "%p", "@x", "`x`", "|", ">",
        ])
        .prop_map(String::from),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        string().prop_map(Value::String),
    ]
}

fn object(entries: Vec<(String, Value)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in entries {
        map.entry(k).or_insert(v);
    }
    map
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5).prop_map(|e| Value::Object(object(e))),
        ]
    })
}

fn body() -> impl Strategy<Value = String> {
    let line = prop::sample::select(vec![
        "",
        "# Heading",
        "---",
        "text with ünïcödé 🎉",
        "  indented",
        "a: b",
        "...",
        "---  ",
        "\r",
        "- list",
    ]);
    prop_oneof![
        (prop::collection::vec(line, 0..8), any::<bool>()).prop_map(|(lines, nl)| {
            let mut s = lines.join("\n");
            if nl {
                s.push('\n');
            }
            s
        }),
        any::<String>(),
    ]
}

/// The JSON text of a map: equal only when values and key order are equal.
fn ordered(map: &Map<String, Value>) -> String {
    serde_json::to_string(map).unwrap()
}

// ---------- generated hand-formatted files ----------

/// One hand-written top-level entry: its own lines and trailing lines.
#[derive(Debug, Clone)]
struct Seg {
    name: String,
    own: String,
    trailing: String,
    /// Whether the value is a block scalar (`|`, `>`).
    block: bool,
}

impl Seg {
    /// Whether the trailing lines would change a block scalar written right
    /// before them (indented comments or whitespace lines become its content),
    /// in which case edits adjust them.
    fn trailing_joins_block(&self) -> bool {
        self.trailing.lines().any(|l| l.starts_with([' ', '\t']))
    }
}

fn own_text(
    name: &str,
    style: usize,
    key_style: usize,
    pad: &str,
    comment: &str,
) -> (String, bool) {
    let k = match key_style {
        0 => name.to_owned(),
        1 => format!("\"{name}\""),
        _ => format!("'{name}'"),
    };
    let c = comment;
    let text = match style {
        0 => format!("{k}:{pad}1{c}\n"),
        1 => format!("{k}: -2.5e3{pad}{c}\n"),
        2 => format!("{k}:{pad}\"quoted # not a comment\"{c}\n"),
        3 => format!("{k}: 'single ''q'''{c}\n"),
        4 => format!("{k}: plain words here{pad}\n"),
        5 => format!("{k}: ~{c}\n"),
        6 => format!("{k}: yes\n"),
        7 => format!("{k}: 2024-01-01{c}\n"),
        8 => format!("{k}: []{c}\n"),
        9 => format!("{k}: [a, \"b\", {{x: 1}}]{c}\n"),
        10 => format!("{k}:{c}\n  - a{pad}\n  -   \"b\"{c}\n"),
        11 => format!("{k}:\n- a\n- b: 1\n  c: [2]\n"),
        12 => format!("{k}:\n    x: 1{c}\n    y:\n      - z\n    \"q k\": null\n"),
        13 => format!("{k}: [1, 2,\n  3]\n"),
        14 => format!("{k}: \"multi\n  line quoted\"\n"),
        15 => format!("{k}: plain\n  continued{c}\n"),
        16 => format!("{k}:{c}\n"),
        17 => format!("{k}: |\n  line one\n\n  line two{pad}\n"),
        18 => format!("{k}: >-\n  folded\n  text\n"),
        19 => format!("{k}: |-\n  a: b # not comment\n    - x\n"),
        _ => format!("{k}: &anchor_{name} {{a: 1}}\n"),
    };
    (text, (17..=19).contains(&style))
}

const STYLES: usize = 21;

fn trailing(block_scalar: bool) -> impl Strategy<Value = String> {
    let choices = if block_scalar {
        vec!["\n", " \n", "# comment\n", "#\n"]
    } else {
        // Whitespace-only lines stay within 2 spaces: deeper ones would join
        // a block scalar written before them (`remove` / `set` then empty
        // them, which the exact-bytes checks here do not expect).
        vec![
            "\n",
            "  \n",
            "# comment\n",
            "  # indented comment\n",
            "#no space\n",
        ]
    };
    prop::collection::vec(prop::sample::select(choices), 0..3).prop_map(|v| v.concat())
}

fn seg(name: String) -> impl Strategy<Value = Seg> {
    (
        0..STYLES,
        0..3usize,
        prop::sample::select(vec![" ", "   ", " \t"]),
        prop::sample::select(vec!["", "  # c", " #c ", "\t# tab"]),
    )
        .prop_flat_map(move |(style, key_style, pad, comment)| {
            let (own, block) = own_text(&name, style, key_style, pad, comment);
            let name = name.clone();
            trailing(block).prop_map(move |trailing| Seg {
                name: name.clone(),
                own: own.clone(),
                trailing,
                block,
            })
        })
}

#[derive(Debug, Clone)]
struct HandFile {
    open: String,
    leading: String,
    segs: Vec<Seg>,
    close: String,
    body: String,
    crlf: bool,
}

impl HandFile {
    fn nl(&self, s: &str) -> String {
        if self.crlf {
            s.replace('\n', "\r\n")
        } else {
            s.to_owned()
        }
    }
    fn text(&self) -> String {
        let mut s = self.open.clone() + &self.nl(&self.leading);
        for seg in &self.segs {
            s += &self.nl(&seg.own);
            s += &self.nl(&seg.trailing);
        }
        s + &self.nl(&self.close) + &self.body
    }
    /// Text before segment `i`'s own lines.
    fn before(&self, i: usize) -> String {
        let mut s = self.open.clone() + &self.nl(&self.leading);
        for seg in &self.segs[..i] {
            s += &self.nl(&seg.own);
            s += &self.nl(&seg.trailing);
        }
        s
    }
    /// Text after segment `i`'s trailing lines.
    fn rest(&self, i: usize) -> String {
        let mut s = String::new();
        for seg in &self.segs[i + 1..] {
            s += &self.nl(&seg.own);
            s += &self.nl(&seg.trailing);
        }
        s + &self.nl(&self.close) + &self.body
    }
    /// Text after segment `i`'s own lines.
    fn after(&self, i: usize) -> String {
        let mut s = self.nl(&self.segs[i].trailing);
        for seg in &self.segs[i + 1..] {
            s += &self.nl(&seg.own);
            s += &self.nl(&seg.trailing);
        }
        s + &self.nl(&self.close) + &self.body
    }
}

fn hand_file() -> impl Strategy<Value = HandFile> {
    let names = prop::collection::btree_set("[a-z][a-z0-9_]{0,6}", 0..7).prop_shuffle_names();
    (
        names,
        any::<bool>(),
        prop::sample::select(vec!["---\n", "---  \n"]),
        prop::sample::select(vec!["---\n", "---", "--- \n"]),
        prop::collection::vec(prop::sample::select(vec!["\n", "# header\n", "  \n"]), 0..3),
        body(),
    )
        .prop_flat_map(|(names, crlf, open, close, leading, body)| {
            let segs: Vec<_> = names.into_iter().map(seg).collect();
            let open = if crlf {
                open.replace('\n', "\r\n")
            } else {
                open.to_owned()
            };
            // The file must end right after a closing line without a newline.
            let body = if close.ends_with('\n') {
                body
            } else {
                String::new()
            };
            (
                segs,
                Just((crlf, open, close.to_owned(), leading.concat(), body)),
            )
        })
        .prop_map(|(segs, (crlf, open, close, leading, body))| HandFile {
            open,
            leading,
            segs,
            close,
            body,
            crlf,
        })
}

trait ShuffleNames {
    fn prop_shuffle_names(self) -> BoxedStrategy<Vec<String>>;
}

impl<S: Strategy<Value = std::collections::BTreeSet<String>> + 'static> ShuffleNames for S {
    fn prop_shuffle_names(self) -> BoxedStrategy<Vec<String>> {
        self.prop_map(|set| set.into_iter().collect::<Vec<_>>())
            .prop_shuffle()
            .boxed()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (1) A document built from values reads back to the same values and body.
    #[test]
    fn new_document_reads_back(entries in prop::collection::vec((key(), value()), 0..8), body in body()) {
        let map = object(entries);
        let doc = Document::new(map.clone(), body.clone());
        let text = render(&doc);
        let again = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(ordered(&again.frontmatter.to_map()), ordered(&map), "{}", text);
        prop_assert_eq!(&again.body, &body);
        prop_assert_eq!(render(&again), text);
    }

    /// (2) Unedited hand-formatted files render back byte for byte.
    #[test]
    fn hand_files_roundtrip(file in hand_file()) {
        let text = file.text();
        let doc = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(doc.frontmatter.len(), file.segs.len());
        prop_assert_eq!(render(&doc), text);
        prop_assert_eq!(&doc.body, &file.body);
    }

    /// (2b) Files without frontmatter (and any other text that parses) round trip.
    #[test]
    fn any_text_that_parses_roundtrips(text in prop_oneof![body(), any::<String>()]) {
        if let Ok(doc) = parse(&text) {
            prop_assert_eq!(render(&doc), text);
        }
    }

    /// (3) `set` rewrites only the edited key's own lines.
    #[test]
    fn set_is_local(file in hand_file(), pick in any::<prop::sample::Index>(), v in value(), new_key in any::<bool>()) {
        let text = file.text();
        let mut doc = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let old = doc.frontmatter.to_map();
        if file.segs.is_empty() || new_key {
            // A key that is not there yet is appended; everything before stays.
            doc.frontmatter.set("zz_new", v.clone());
            let out = render(&doc);
            let again = parse(&out).map_err(|e| TestCaseError::fail(format!("{e}\n{out}")))?;
            let mut expected = old.clone();
            expected.insert("zz_new".into(), v);
            prop_assert_eq!(ordered(&again.frontmatter.to_map()), ordered(&expected), "{}", out);
            prop_assert_eq!(&again.body, &file.body);
            return Ok(());
        }
        let i = pick.index(file.segs.len());
        let name = &file.segs[i].name;
        doc.frontmatter.set(name, v.clone());
        let out = render(&doc);
        let multi_line = v.as_str().is_some_and(|s| s.contains('\n'));
        let (before, after) = if multi_line && file.segs[i].trailing_joins_block() {
            (file.before(i), file.rest(i))
        } else {
            (file.before(i), file.after(i))
        };
        prop_assert!(out.len() >= before.len() + after.len(), "{}", out);
        prop_assert!(out.starts_with(&before), "prefix changed:\n{}\n---was---\n{}", out, text);
        prop_assert!(out.ends_with(&after), "suffix changed:\n{}\n---was---\n{}", out, text);
        let again = parse(&out).map_err(|e| TestCaseError::fail(format!("{e}\n{out}")))?;
        let mut expected = old.clone();
        expected.insert(name.clone(), v);
        prop_assert_eq!(ordered(&again.frontmatter.to_map()), ordered(&expected), "{}", out);
        prop_assert_eq!(&again.body, &file.body);
    }

    /// (3b) `remove` drops only the removed key's own lines.
    #[test]
    fn remove_is_local(file in hand_file(), pick in any::<prop::sample::Index>()) {
        if file.segs.is_empty() {
            return Ok(());
        }
        let text = file.text();
        let mut doc = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut expected = doc.frontmatter.to_map();
        let i = pick.index(file.segs.len());
        let name = file.segs[i].name.clone();
        let removed = doc.frontmatter.remove(&name);
        prop_assert_eq!(removed, expected.shift_remove(&name));
        let out = render(&doc);
        if i > 0 && file.segs[i - 1].block && file.segs[i].trailing_joins_block() {
            prop_assert!(out.starts_with(&file.before(i)), "{}", out);
            prop_assert!(out.ends_with(&file.rest(i)), "{}", out);
        } else {
            prop_assert_eq!(&out, &(file.before(i) + &file.after(i)));
        }
        let again = parse(&out).map_err(|e| TestCaseError::fail(format!("{e}\n{out}")))?;
        prop_assert_eq!(ordered(&again.frontmatter.to_map()), ordered(&expected));
    }
}
