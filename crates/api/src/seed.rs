//! The templates, layouts, rules and sample world shipped with the server,
//! compiled into the binary from the repository's `templates/`, `rules/`
//! and `sample-world/` folders.

use include_dir::{Dir, include_dir};
use serde_json::Value;
use std::collections::HashMap;
use studiobrain_entity::{EntityType, TemplateLayer, TemplateSet, TemplateSource};
use studiobrain_vault_fs::ProjectLayout;

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../templates");
static RULES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../rules");
static SAMPLE_WORLD: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../sample-world");

/// Every file of `dir`, recursively, as (path under `prefix`, bytes).
fn files(dir: &Dir<'_>, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        out.push((format!("{prefix}{path}"), file.contents().to_vec()));
    }
    for sub in dir.dirs() {
        out.extend(files(sub, prefix));
    }
    out
}

/// A new project: `_Templates/` and `_Rules/`; the desktop sample project
/// also gets the sample world.
pub fn project_layout() -> ProjectLayout {
    let mut seed = files(&TEMPLATES, "_Templates/");
    seed.extend(files(&RULES, "_Rules/"));
    ProjectLayout {
        seed,
        sample: files(&SAMPLE_WORLD, ""),
    }
}

/// The shipped entity types.
pub fn shipped_templates() -> TemplateSet {
    let sources = TemplateLayer::ALL
        .into_iter()
        .filter_map(|layer| TEMPLATES.get_dir(layer.folder()).map(|dir| (layer, dir)))
        .flat_map(|(layer, dir)| {
            dir.files().filter_map(move |file| {
                let name = file.path().file_name()?.to_string_lossy().into_owned();
                name.ends_with("_TEMPLATE.md").then(|| TemplateSource {
                    layer,
                    file_name: name,
                    text: String::from_utf8_lossy(file.contents()).into_owned(),
                })
            })
        })
        .collect();
    TemplateSet::load(sources)
}

/// The shipped editor layouts (`templates/Layouts/<type>.layout.json`), by
/// type: the default of a type whose project has no layout of its own.
pub fn shipped_layouts() -> HashMap<EntityType, Value> {
    TEMPLATES
        .get_dir("Layouts")
        .into_iter()
        .flat_map(|dir| dir.files())
        .filter_map(|file| {
            let name = file.path().file_name()?.to_str()?;
            let entity_type = EntityType::parse(name.strip_suffix(".layout.json")?).ok()?;
            let layout: Value = serde_json::from_slice(file.contents()).ok()?;
            Some((entity_type, layout))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixteen_types_ship_and_load() {
        let set = shipped_templates();
        assert_eq!(set.problems(), &[] as &[String]);
        let types: Vec<&str> = set.templates().map(|t| t.entity_type.as_str()).collect();
        for expected in [
            "assembly",
            "biome",
            "brand",
            "campaign",
            "character",
            "dialogue",
            "district",
            "event",
            "faction",
            "item",
            "job",
            "location",
            "quest",
            "style_bible",
            "timeline",
            "universe",
        ] {
            assert!(
                types.contains(&expected),
                "{expected} missing from {types:?}"
            );
        }
        let layouts = shipped_layouts();
        assert_eq!(layouts.len(), types.len(), "one layout per shipped type");
        for expected in &types {
            let layout = EntityType::parse(expected)
                .ok()
                .and_then(|t| layouts.get(&t));
            assert!(
                layout.is_some_and(|l| l["entity_type"] == *expected && l["sections"].is_array()),
                "the {expected} layout ships and names its type"
            );
        }
        let layout = project_layout();
        assert!(layout.seed.iter().any(|(p, _)| p.starts_with("_Rules/")));
        assert!(
            layout.sample.len() >= 12,
            "a sample world of a dozen entities"
        );
    }
}
