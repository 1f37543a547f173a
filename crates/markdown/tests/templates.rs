//! Byte-exact round trip of every upstream StudioBrain template file.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/upstream/studiobrain-templates"
);

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// Re-emits each key's value (set to null, then back) and checks the file
/// still reads back to the same values, with the body unchanged.
fn reemit_every_key(doc: &studiobrain_markdown::Document, path: &Path) {
    let before = doc.frontmatter.to_map();
    let mut edited = doc.clone();
    for (key, value) in &before {
        edited.frontmatter.set(key, serde_json::Value::Null);
        edited.frontmatter.set(key, value.clone());
    }
    let again = studiobrain_markdown::parse(&edited.render())
        .unwrap_or_else(|e| panic!("{} after re-emitting: {e}", path.display()));
    assert_eq!(again.frontmatter.to_map(), before, "{}", path.display());
    assert_eq!(
        again.frontmatter.keys().collect::<Vec<_>>(),
        doc.frontmatter.keys().collect::<Vec<_>>()
    );
    assert_eq!(again.body, doc.body);
}

#[test]
fn upstream_templates_roundtrip_byte_for_byte() {
    let root = Path::new(ROOT);
    if !root.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{ROOT} is missing (required when CI is set)"
        );
        eprintln!("skipping: {ROOT} not found");
        return;
    }
    let mut files = Vec::new();
    markdown_files(root, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no .md files under {ROOT}");

    let (mut parsed, mut with_keys, mut failed) = (0, 0, Vec::new());
    for path in &files {
        let text = fs::read_to_string(path).unwrap();
        match studiobrain_markdown::parse(&text) {
            Ok(doc) => {
                parsed += 1;
                if !doc.frontmatter.is_empty() {
                    with_keys += 1;
                }
                assert!(
                    studiobrain_markdown::render(&doc) == text,
                    "round trip changed {}",
                    path.display()
                );
                reemit_every_key(&doc, path);
            }
            Err(e) => failed.push(format!("{}: {e}", path.display())),
        }
    }
    eprintln!(
        "templates: {} files, {parsed} parsed ({with_keys} with frontmatter keys), {} failed",
        files.len(),
        failed.len()
    );
    for f in &failed {
        eprintln!("  failed: {f}");
    }
}
