//! The public templates SDK's entity JSON Schemas (which share
//! `./_base.json`) accept an entity this server creates from the SDK's own
//! template of the type, both checked directly and through the server's
//! validation of a project that carries those schemas. Runs when
//! `../shared/upstream/studiobrain-templates` exists, and always under CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use studiobrain_entity::NewEntity;
use studiobrain_entity::schema::CompiledSchema;
use studiobrain_kernel::{Actor, TenantId};
use studiobrain_tests::{Backend, TestApp};

fn upstream() -> Option<PathBuf> {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream/studiobrain-templates");
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

/// Copies the files ending with `suffix` under `from` (recursively) to `to`.
fn copy_files(from: &Path, to: &Path, suffix: &str) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            copy_files(&entry.path(), &to.join(&name), suffix);
        } else if name.ends_with(suffix) {
            std::fs::copy(entry.path(), to.join(name)).unwrap();
        }
    }
}

#[tokio::test]
async fn every_upstream_entity_schema_accepts_an_entity_made_from_its_template() {
    let Some(root) = upstream() else { return };
    let app = TestApp::spawn_with(Backend::Memory, |s| s.sync.watch = false)
        .await
        .unwrap();
    let project = app.project();
    std::fs::remove_dir_all(project.join("_Templates")).unwrap();
    for layer in ["Core", "Standard", "Custom", "Packs"] {
        copy_files(
            &root.join("templates").join(layer),
            &project.join("_Templates").join(layer),
            "_TEMPLATE.md",
        );
    }
    copy_files(&root.join("schemas"), &project.join("_Schemas"), ".json");
    let local = TenantId::local();
    let entities = &app.state.entities;
    let templates = entities.reload_templates(&local).await.unwrap();
    let companions: Vec<(String, Value)> = ["_base.json", "_compat.json", "_requires.json"]
        .iter()
        .filter_map(|name| {
            let text = std::fs::read_to_string(root.join("schemas").join(name)).ok()?;
            Some(((*name).to_owned(), serde_json::from_str(&text).unwrap()))
        })
        .collect();

    let mut checked = Vec::new();
    for template in templates.templates() {
        let kind = template.entity_type.to_string();
        let Ok(text) = std::fs::read_to_string(root.join("schemas").join(format!("{kind}.json")))
        else {
            continue;
        };
        let schema: Value = serde_json::from_str(&text).unwrap();
        let compiled = CompiledSchema::compile_with(&schema, &companions)
            .unwrap_or_else(|err| panic!("{kind}.json compiles with its companions: {err}"));
        let view = entities
            .create(
                &local,
                &kind,
                NewEntity {
                    name: format!("Probe {kind}"),
                    ..NewEntity::default()
                },
                &Actor::FileWatcher,
            )
            .await
            .unwrap_or_else(|err| panic!("creating a {kind}: {err}"));
        let findings = compiled.check(&view.entity.fields);
        assert!(
            findings.is_empty(),
            "{kind}.json rejects a new {kind}: {findings:#?}"
        );
        let through_server: Vec<_> = view
            .validation_errors
            .iter()
            .filter(|f| f.rule_id == "schema")
            .collect();
        assert!(
            through_server.is_empty(),
            "the server's check of {kind}: {through_server:#?}"
        );
        checked.push(kind);
    }
    assert!(
        checked.len() >= 16,
        "every entity type has a schema: {checked:?}"
    );
}
