//! Templates: the definition of an entity type, read from a
//! `*_TEMPLATE.md` file in the StudioBrain templates format. Metadata keys
//! (`entity_type`, `folder_name`, `file_prefix`, ...) describe the type;
//! every other frontmatter key is a field of the type with its placeholder
//! as default; `field_config` (or the docs-style `fields:` list) adds
//! widgets and constraints.

use crate::error::{EntityError, EntityResult};
use crate::ids::EntityType;
use serde_json::{Map, Value};

/// Frontmatter keys that describe the template rather than a field.
pub const METADATA_KEYS: &[&str] = &[
    "entity_type",
    "folder_name",
    "file_prefix",
    "asset_subfolders",
    "template_category",
    "template_version",
    "generation_instructions",
    "associated_rules",
    "associated_skills",
    "markdown_skeleton",
    "ui_icon",
    "ui_color",
    "editable",
    "marketplace_eligible",
    "field_config",
    "fields",
];

/// Where a template comes from; earlier layers win (Core > Standard >
/// Custom > Packs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateLayer {
    /// Built-in types.
    Core,
    /// The standard library of types.
    Standard,
    /// The studio's own types.
    Custom,
    /// Installed template packs.
    Packs,
}

impl TemplateLayer {
    /// Every layer, in precedence order.
    pub const ALL: [TemplateLayer; 4] = [Self::Core, Self::Standard, Self::Custom, Self::Packs];

    /// The folder of the layer under `_Templates/`.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Core => "Core",
            Self::Standard => "Standard",
            Self::Custom => "Custom",
            Self::Packs => "Packs",
        }
    }
}

/// Widget and constraints of one field.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FieldConfig {
    /// UI widget (`entity-selector`, `select`, `year`, `color-picker`, ...).
    pub widget: Option<String>,
    /// For entity selectors: the type referenced.
    pub reference_type: Option<EntityType>,
    /// For entity selectors: how many entities may be chosen.
    pub max_selections: Option<u64>,
    /// Allowed relationship labels of a reference.
    pub relationship_types: Vec<String>,
    /// Allowed values of a select or dropdown.
    pub options: Vec<String>,
    /// Lower bound (years and numbers).
    pub min: Option<i64>,
    /// Upper bound (years and numbers).
    pub max: Option<i64>,
}

/// One field of an entity type.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldSpec {
    /// Frontmatter key.
    pub name: String,
    /// The template's placeholder, with `[...]` prompts blanked.
    pub default: Value,
    /// Whether an entity must give a non-empty value.
    pub required: bool,
    /// Widget and constraints.
    pub config: FieldConfig,
}

/// An entity type as one template defines it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Template {
    /// The type's name.
    pub entity_type: EntityType,
    /// Folder of the type's entities in a project.
    pub folder_name: String,
    /// File-name prefix (`CH_`).
    pub file_prefix: String,
    /// Asset folders created next to each entity.
    pub asset_subfolders: Vec<String>,
    /// Category (unknown categories are treated as `entity`).
    pub category: String,
    /// Template version.
    pub version: String,
    /// Instructions for AI generation.
    pub generation_instructions: String,
    /// Rule files that apply.
    pub associated_rules: Vec<String>,
    /// Icon name for the UI.
    pub ui_icon: Option<String>,
    /// Colour for the UI.
    pub ui_color: Option<String>,
    /// Fields in file order.
    pub fields: Vec<FieldSpec>,
    /// The Markdown skeleton of a new entity's body.
    pub body: String,
    /// Layer the template was loaded from.
    pub layer: TemplateLayer,
    /// File name, e.g. `CHARACTER_TEMPLATE.md`.
    pub file_name: String,
    /// Whether the studio may change the template (`editable: false` in
    /// Core templates says no).
    pub editable: bool,
    /// The file text the template was read from.
    #[serde(skip)]
    pub source: String,
}

/// Known template categories.
const CATEGORIES: &[&str] = &[
    "entity", "core", "system", "document", "map", "export", "prompt", "canvas",
];

fn string_at(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A folder or prefix must stay one plain path segment.
fn safe_segment(key: &str, value: &str, allow_empty: bool) -> EntityResult<()> {
    let bad = (value.is_empty() && !allow_empty)
        || value.contains(['/', '\\', '\0'])
        || value == "."
        || value == ".."
        || value.starts_with('.');
    if bad {
        return Err(EntityError::Invalid(format!(
            "template {key} '{}' is not a plain folder or file name",
            value.escape_debug()
        )));
    }
    Ok(())
}

/// A placeholder such as `"[Generate Full Name]"` is a prompt for the
/// author, not a value: it becomes empty. The items of a list show the
/// shape its entries take (prompts or sample entries): a new entity's list
/// starts empty.
fn blank_prompts(value: &Value) -> Value {
    match value {
        Value::String(s) if s.trim_start().starts_with('[') && s.trim_end().ends_with(']') => {
            Value::String(String::new())
        }
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), blank_prompts(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Option values of a select: strings, `{value, label}` or `{label, hex}`.
fn option_values(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| match item {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o
                        .get("value")
                        .or_else(|| o.get("label"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn int(value: Option<&Value>) -> Option<i64> {
    value.and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

fn field_config(config: &Map<String, Value>) -> EntityResult<FieldConfig> {
    Ok(FieldConfig {
        widget: string_at(config, "widget").or_else(|| string_at(config, "type")),
        reference_type: string_at(config, "reference_type")
            .map(|t| EntityType::parse(&t))
            .transpose()?,
        max_selections: config.get("max_selections").and_then(Value::as_u64),
        relationship_types: option_values(config.get("relationship_types")),
        options: option_values(config.get("options")),
        min: int(config.get("min")),
        max: int(config.get("max")),
    })
}

impl Template {
    /// Reads a template from its file text.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] for unparsable frontmatter, a missing or
    /// invalid `entity_type`, or an unsafe folder name or prefix.
    pub fn parse(file_name: &str, source: &str, layer: TemplateLayer) -> EntityResult<Self> {
        let document = studiobrain_markdown::parse(source)
            .map_err(|err| EntityError::Invalid(format!("{file_name}: {err}")))?;
        let map = document.frontmatter.to_map();
        let entity_type = string_at(&map, "entity_type")
            .ok_or_else(|| EntityError::Invalid(format!("{file_name}: entity_type is missing")))?;
        let entity_type = EntityType::parse(&entity_type)?;
        let folder_name =
            string_at(&map, "folder_name").unwrap_or_else(|| default_folder(entity_type.as_str()));
        let file_prefix = string_at(&map, "file_prefix").unwrap_or_default();
        safe_segment("folder_name", &folder_name, false)?;
        safe_segment("file_prefix", &file_prefix, true)?;
        let category = string_at(&map, "template_category")
            .filter(|c| CATEGORIES.contains(&c.as_str()))
            .unwrap_or_else(|| "entity".to_owned());
        let fields = Self::fields(&map)?;
        Ok(Self {
            entity_type,
            folder_name,
            file_prefix,
            asset_subfolders: strings(map.get("asset_subfolders")),
            category,
            version: string_at(&map, "template_version").unwrap_or_else(|| "1.0".to_owned()),
            generation_instructions: string_at(&map, "generation_instructions").unwrap_or_default(),
            associated_rules: strings(map.get("associated_rules")),
            ui_icon: string_at(&map, "ui_icon"),
            ui_color: string_at(&map, "ui_color"),
            fields,
            body: string_at(&map, "markdown_skeleton").unwrap_or(document.body),
            layer,
            file_name: file_name.to_owned(),
            editable: map.get("editable").and_then(Value::as_bool).unwrap_or(true),
            source: source.to_owned(),
        })
    }

    /// Placeholder fields plus `field_config`, or the docs-style `fields:` list.
    fn fields(map: &Map<String, Value>) -> EntityResult<Vec<FieldSpec>> {
        let configs = map
            .get("field_config")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut fields: Vec<FieldSpec> = Vec::new();
        for (name, value) in map {
            if METADATA_KEYS.contains(&name.as_str()) {
                continue;
            }
            let config = match configs.get(name).and_then(Value::as_object) {
                Some(config) => field_config(config)?,
                None => FieldConfig::default(),
            };
            fields.push(FieldSpec {
                name: name.clone(),
                default: blank_prompts(value),
                required: matches!(name.as_str(), "id" | "name"),
                config,
            });
        }
        for item in map
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(spec) = item.as_object() else {
                continue;
            };
            let Some(name) = string_at(spec, "name") else {
                continue;
            };
            let field = FieldSpec {
                default: spec
                    .get("default")
                    .map(blank_prompts)
                    .unwrap_or(Value::String(String::new())),
                required: spec
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    || matches!(name.as_str(), "id" | "name"),
                config: field_config(spec)?,
                name,
            };
            match fields.iter_mut().find(|f| f.name == field.name) {
                Some(existing) => *existing = field,
                None => fields.push(field),
            }
        }
        for required in ["id", "name"] {
            if !fields.iter().any(|f| f.name == required) {
                fields.insert(
                    0,
                    FieldSpec {
                        name: required.to_owned(),
                        default: Value::String(String::new()),
                        required: true,
                        config: FieldConfig::default(),
                    },
                );
            }
        }
        Ok(fields)
    }

    /// The field called `name`, if the type has one.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The known `status` values (from its `select` options), if any.
    pub fn status_options(&self) -> &[String] {
        self.field("status")
            .map(|f| f.config.options.as_slice())
            .unwrap_or_default()
    }
}

/// `character` → `Characters`, `style_bible` → `StyleBibles`.
fn default_folder(entity_type: &str) -> String {
    let mut folder: String = entity_type
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    folder.push('s');
    folder
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "---\nentity_type: \"character\"\nfolder_name: \"Characters\"\nfile_prefix: \"CH_\"\nasset_subfolders:\n  - images\ntemplate_category: mystery\nfield_config:\n  faction:\n    widget: entity-selector\n    reference_type: faction\n    max_selections: 1\n  status:\n    widget: select\n    options: [draft, active]\n  birth_year:\n    widget: year\n    min: 1900\n    max: \"1998\"\nid: \"[snake_case_name]\"\nname: \"[Full Name]\"\nstatus: draft\nfaction: \"\"\nbirth_year: null\ntraits:\n  - \"[Trait 1]\"\n---\n# {name}\n\n## Background\n";

    #[test]
    fn reads_metadata_fields_and_config() {
        let t = Template::parse("CHARACTER_TEMPLATE.md", TEMPLATE, TemplateLayer::Standard)
            .expect("valid");
        assert_eq!(t.entity_type.as_str(), "character");
        assert_eq!(
            (t.folder_name.as_str(), t.file_prefix.as_str()),
            ("Characters", "CH_")
        );
        assert_eq!(t.category, "entity", "unknown categories are entity");
        let names: Vec<&str> = t.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["id", "name", "status", "faction", "birth_year", "traits"]
        );
        assert_eq!(
            t.field("name").expect("name").default,
            Value::String(String::new()),
            "prompts blanked"
        );
        assert_eq!(
            t.field("traits").expect("traits").default,
            serde_json::json!([])
        );
        let faction = &t.field("faction").expect("faction").config;
        assert_eq!(
            faction.reference_type.as_ref().map(EntityType::as_str),
            Some("faction")
        );
        assert_eq!(faction.max_selections, Some(1));
        assert_eq!(t.status_options(), ["draft", "active"]);
        assert_eq!(t.field("birth_year").expect("year").config.max, Some(1998));
        assert!(t.body.starts_with("# {name}"));
    }

    #[test]
    fn refuses_unsafe_folders_and_missing_types() {
        let evil = TEMPLATE.replace("folder_name: \"Characters\"", "folder_name: \"../etc\"");
        assert!(Template::parse("X.md", &evil, TemplateLayer::Custom).is_err());
        let untyped = TEMPLATE.replace("entity_type: \"character\"\n", "");
        assert!(Template::parse("X.md", &untyped, TemplateLayer::Custom).is_err());
    }

    #[test]
    fn docs_style_field_lists_are_read() {
        let text = "---\nentity_type: biome\nfields:\n  - name: climate\n    type: select\n    required: true\n    options: [arid, humid]\n---\nbody\n";
        let t = Template::parse("BIOME_TEMPLATE.md", text, TemplateLayer::Standard).expect("valid");
        let climate = t.field("climate").expect("climate");
        assert!(climate.required);
        assert_eq!(climate.config.options, ["arid", "humid"]);
        assert_eq!(t.folder_name, "Biomes");
        assert!(t.field("id").expect("id").required);
    }
}
