//! Example-based tests of parsing, rendering and editing.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use serde_json::{Map, json};
use studiobrain_markdown::{Document, Frontmatter, parse, render};

const HAND: &str = "---\n# METADATA\nid: \"ada\"   # stable id\nentity_type: 'character'\n\n# LISTS\ntags:\n  - one   # first\n  - \"two\"\nbio: |\n  Line one.\n\n  Line two.\n\n# trailing section\nnested:\n  a: 1\n  b: [x, y]\n---\n# Ada\n\n---\nBody with a rule.\n";

fn roundtrip(text: &str) -> Document {
    let doc = parse(text).unwrap();
    assert_eq!(render(&doc), text);
    doc
}

#[test]
fn reads_values_in_file_order() {
    let doc = roundtrip(HAND);
    let fm = &doc.frontmatter;
    assert_eq!(
        fm.keys().collect::<Vec<_>>(),
        ["id", "entity_type", "tags", "bio", "nested"]
    );
    assert_eq!(fm.get("id"), Some(&json!("ada")));
    assert_eq!(fm.get("tags"), Some(&json!(["one", "two"])));
    assert_eq!(fm.get("bio"), Some(&json!("Line one.\n\nLine two.\n")));
    assert_eq!(fm.get("nested"), Some(&json!({"a": 1, "b": ["x", "y"]})));
    assert_eq!(doc.body, "# Ada\n\n---\nBody with a rule.\n");
    let keys: Vec<String> = fm.to_map().keys().cloned().collect();
    assert_eq!(keys, ["id", "entity_type", "tags", "bio", "nested"]);
}

#[test]
fn set_replaces_only_that_key() {
    let mut doc = roundtrip(HAND);
    doc.frontmatter.set("tags", json!(["three"]));
    assert_eq!(
        doc.render(),
        HAND.replace(
            "tags:\n  - one   # first\n  - \"two\"\n",
            "tags:\n  - three\n"
        )
    );
    doc.frontmatter.set("bio", json!("Short."));
    assert!(
        doc.render()
            .contains("bio: Short.\n\n# trailing section\nnested:")
    );
    let again = parse(&doc.render()).unwrap();
    assert_eq!(again.frontmatter.get("bio"), Some(&json!("Short.")));
    assert_eq!(again.frontmatter.get("id"), Some(&json!("ada")));
}

#[test]
fn set_same_value_is_a_no_op() {
    let mut doc = roundtrip(HAND);
    doc.frontmatter.set("id", json!("ada"));
    doc.frontmatter
        .set("nested", json!({"a": 1, "b": ["x", "y"]}));
    assert_eq!(doc.render(), HAND);
}

#[test]
fn set_new_key_appends_and_remove_keeps_comments() {
    let mut doc = roundtrip("---\na: 1\n\n---\nbody");
    doc.frontmatter.set("b", json!({"c": [1, {"d": null}]}));
    assert_eq!(
        doc.render(),
        "---\na: 1\nb:\n  c:\n    - 1\n    - d: null\n\n---\nbody"
    );

    let mut doc = roundtrip(HAND);
    assert_eq!(
        doc.frontmatter.remove("bio"),
        Some(json!("Line one.\n\nLine two.\n"))
    );
    assert_eq!(doc.frontmatter.remove("bio"), None);
    assert_eq!(
        doc.render(),
        HAND.replace("bio: |\n  Line one.\n\n  Line two.\n", "")
    );
}

#[test]
fn crlf_is_kept_for_edits() {
    let text = "---\r\na: 1\r\nb: x\r\n---\r\nbody\r\n";
    let mut doc = roundtrip(text);
    doc.frontmatter.set("a", json!(["p", "q"]));
    doc.frontmatter.set("c", json!("multi\nline"));
    assert_eq!(
        doc.render(),
        "---\r\na:\r\n  - p\r\n  - q\r\nb: x\r\nc: |-\r\n  multi\r\n  line\r\n---\r\nbody\r\n"
    );
    assert_eq!(
        parse(&doc.render()).unwrap().frontmatter.get("c"),
        Some(&json!("multi\nline"))
    );
}

#[test]
fn files_without_frontmatter() {
    for text in [
        "",
        "# Title\n",
        "no newline",
        "----\nnot: a delimiter\n",
        "\n---\na: 1\n---\n",
    ] {
        let doc = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(render(&doc), text);
        assert!(doc.frontmatter.is_empty() || text.starts_with("---"));
    }
    let mut doc = roundtrip("# Title\n");
    doc.frontmatter.set("title", json!("T"));
    assert_eq!(doc.render(), "---\ntitle: T\n---\n# Title\n");
}

#[test]
fn odd_but_valid_files_roundtrip() {
    for text in [
        "---\n---\n",
        "---\n---",
        "---\n# only a comment\n---\nbody",
        "---  \r\nk:   v   \r\n---\t\r\n",
        "\u{feff}---\na: 1\n---\n",
        "---\n{a: 1, b: [2]}\n---\n",
        "---\na: &x 1\nb: *x\n? c\n: 3\n---\n",
        "---\n  a: 1\n  b: 2\n---\n",
        "---\nk: |+\n  keep\n\n\n---\n",
        "---\na: 1\n...\n---\n",
    ] {
        roundtrip(text);
    }
}

#[test]
fn edits_in_unusual_layouts_stay_valid() {
    let mut doc = roundtrip("---\n{a: 1, b: [2]}\n---\nbody");
    doc.frontmatter.set("b", json!(3));
    assert_eq!(doc.render(), "---\na: 1\nb: 3\n---\nbody");

    let mut doc = roundtrip("---\na: &x [1]\nb: *x\nc: 2\n---\n");
    doc.frontmatter.set("a", json!(0));
    let again = parse(&doc.render()).unwrap();
    assert_eq!(again.frontmatter.to_map(), doc.frontmatter.to_map());
    assert_eq!(again.frontmatter.get("b"), Some(&json!([1])));

    let mut doc = roundtrip("---\nk: |+\n  keep\n\nx: 1\n\n# c\n---\n");
    doc.frontmatter.remove("x");
    let again = parse(&doc.render()).unwrap();
    assert_eq!(again.frontmatter.get("k"), Some(&json!("keep\n\n")));
    assert!(doc.render().contains("# c\n"));
}

#[test]
fn errors_have_file_lines() {
    let err = parse("---\na: 1\nb: [1,\n---\nbody").unwrap_err();
    assert_eq!(err.line, 4, "{err}");
    let err = parse("---\na: 1\n  b: 2\n---\n").unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    let err = parse("---\n- a\n- b\n---\n").unwrap_err();
    assert!(err.message.contains("mapping"), "{err}");
    let err = parse("---\na: 1\n").unwrap_err();
    assert_eq!(err.line, 1);
    let err = parse("---\na: 1\na: 2\n---\n").unwrap_err();
    assert_eq!((err.line, err.column), (3, Some(1)));
    assert!(parse("---\na: *missing\n---\n").is_err());
    assert!(err.to_string().starts_with("line 3: "));
}

#[test]
fn new_document_from_map() {
    let mut map = Map::new();
    map.insert("name".into(), json!("Ada Lovelace"));
    map.insert("born".into(), json!("1815-12-10"));
    map.insert("tags".into(), json!([]));
    map.insert(
        "stats".into(),
        json!({"int": 3, "ok": true, "none": null, "ratio": 0.5}),
    );
    let doc = Document::new(map.clone(), "# Ada\n");
    assert_eq!(
        doc.render(),
        "---\nname: Ada Lovelace\nborn: \"1815-12-10\"\ntags: []\nstats:\n  int: 3\n  ok: true\n  none: null\n  ratio: 0.5\n---\n# Ada\n"
    );
    assert_eq!(parse(&doc.render()).unwrap().frontmatter.to_map(), map);
    assert_eq!(Document::new(Map::new(), "").render(), "---\n---\n");
    assert_eq!(Frontmatter::from(map).len(), 4);
}

#[test]
fn set_body_keeps_frontmatter() {
    let mut doc = roundtrip("---\na: 1\n---");
    doc.set_body("hello\n");
    assert_eq!(doc.render(), "---\na: 1\n---\nhello\n");
    assert_eq!(doc.body(), "hello\n");
    assert_eq!(doc.to_string(), doc.render());
    let parsed: Document = "x".parse().unwrap();
    assert_eq!(parsed.body, "x");
}
