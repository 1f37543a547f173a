//! Compatibility with the public StudioBrain templates SDK: every template,
//! rule file and layout of `../shared/upstream/studiobrain-templates` loads
//! unchanged. Runs when the folder exists, and always under CI.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use studiobrain_entity::rules::RuleBook;
use studiobrain_entity::{TemplateLayer, TemplateSet, TemplateSource};

fn upstream() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/upstream/studiobrain-templates");
    if root.is_dir() {
        return Some(root);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing under CI",
        root.display()
    );
    eprintln!("skipped: {} not found", root.display());
    None
}

fn files(dir: &Path, suffixes: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, suffixes, out);
        } else if suffixes.iter().any(|s| path.to_string_lossy().ends_with(s)) {
            out.push(path);
        }
    }
}

#[test]
fn every_upstream_template_loads() {
    let Some(root) = upstream() else { return };
    let mut sources = Vec::new();
    for layer in TemplateLayer::ALL {
        let dir = root.join("templates").join(layer.folder());
        if !dir.is_dir() {
            continue;
        }
        let mut paths = Vec::new();
        files(&dir, &["_TEMPLATE.md"], &mut paths);
        for path in paths {
            sources.push(TemplateSource {
                layer,
                file_name: path.file_name().unwrap().to_string_lossy().into_owned(),
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
    let count = sources.len();
    assert!(count >= 20, "found {count} templates");
    let set = TemplateSet::load(sources);
    assert_eq!(set.problems(), &[] as &[String], "every template loads");
    for expected in [
        "character",
        "location",
        "faction",
        "item",
        "quest",
        "timeline",
        "biome",
    ] {
        let template = set.require(expected).unwrap();
        assert!(!template.fields.is_empty(), "{expected} has fields");
    }
    let character = set.require("character").unwrap();
    let faction = &character.field("faction").unwrap().config;
    assert_eq!(
        faction.reference_type.as_ref().map(|t| t.as_str()),
        Some("faction")
    );
}

#[test]
fn every_upstream_rule_file_loads() {
    let Some(root) = upstream() else { return };
    let mut paths = Vec::new();
    files(
        &root.join("rules"),
        &["_RULES.md", ".yaml", ".yml"],
        &mut paths,
    );
    let sources: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let relative = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replacen("rules/", "_Rules/", 1);
            (relative, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    assert!(sources.len() >= 15, "found {} rule files", sources.len());
    let book = RuleBook::load(sources);
    assert_eq!(book.problems, Vec::<String>::new(), "every rule file loads");
    assert!(!book.rules_for("character").is_empty());
}

#[test]
fn every_upstream_layout_is_a_loose_layout() {
    let Some(root) = upstream() else { return };
    let mut paths = Vec::new();
    files(
        &root.join("templates/Layouts"),
        &[".layout.json"],
        &mut paths,
    );
    assert!(!paths.is_empty());
    for path in paths {
        let layout: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(layout["entity_type"].is_string(), "{}", path.display());
        assert!(layout["sections"].is_array(), "{}", path.display());
    }
}
