//! JSON Schema (draft 2020-12) of an entity type's frontmatter, derived
//! from its template: one property per field, typed from the placeholder,
//! with the widget's constraints (options, bounds, reference lists).

use crate::template::{FieldSpec, Template};
use serde_json::{Map, Value, json};

/// The JSON Schema dialect used.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The id pattern every entity id matches.
pub const ID_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,127}$";

fn type_of(default: &Value) -> Value {
    match default {
        Value::Bool(_) => json!(["boolean", "null"]),
        Value::Number(_) => json!(["number", "null"]),
        Value::Array(_) => json!(["array", "null"]),
        Value::Object(_) => json!(["object", "null"]),
        Value::String(_) | Value::Null => json!(["string", "number", "boolean", "null"]),
    }
}

fn field_schema(spec: &FieldSpec) -> Value {
    let config = &spec.config;
    let mut schema = Map::new();
    if spec.name == "id" {
        schema.insert("type".into(), json!("string"));
        schema.insert("pattern".into(), json!(ID_PATTERN));
        return Value::Object(schema);
    }
    if let Some(reference) = &config.reference_type {
        schema.insert("x-reference-type".into(), json!(reference.as_str()));
        let item = json!({"anyOf": [{"type": "string"}, {"type": "object"}]});
        if spec.default.is_array() || config.max_selections.is_some_and(|m| m > 1) {
            schema.insert("type".into(), json!(["array", "string", "null"]));
            schema.insert("items".into(), item);
            if let Some(max) = config.max_selections {
                schema.insert("maxItems".into(), json!(max));
            }
        } else {
            schema.insert(
                "anyOf".into(),
                json!([{"type": "string"}, {"type": "object"}, {"type": "null"}]),
            );
        }
    } else {
        schema.insert("type".into(), type_of(&spec.default));
    }
    // Colour palettes store objects ({name, hex}); their options are swatches.
    let swatches = spec.default.is_object()
        || config
            .widget
            .as_deref()
            .is_some_and(|w| w.contains("color"));
    if !config.options.is_empty() && config.reference_type.is_none() && !swatches {
        // Decision 9.3: status is free text; its options are suggestions.
        let key = if spec.name == "status" {
            "examples"
        } else {
            "enum"
        };
        let mut options: Vec<Value> = config.options.iter().map(|o| json!(o)).collect();
        if key == "enum" {
            options.push(Value::Null);
            options.push(json!(""));
            if spec.default.is_array() {
                schema.insert("items".into(), json!({"enum": options}));
            } else {
                schema.insert(key.into(), Value::Array(options));
            }
        } else {
            schema.insert(key.into(), Value::Array(options));
        }
    }
    if let Some(min) = config.min {
        schema.insert("minimum".into(), json!(min));
    }
    if let Some(max) = config.max {
        schema.insert("maximum".into(), json!(max));
    }
    if let Some(widget) = &config.widget {
        schema.insert("x-widget".into(), json!(widget));
    }
    Value::Object(schema)
}

/// The schema of `template`'s frontmatter. Unknown keys are allowed: files
/// are edited by hand and keep every key.
pub fn entity_schema(template: &Template) -> Value {
    let properties: Map<String, Value> = template
        .fields
        .iter()
        .map(|f| (f.name.clone(), field_schema(f)))
        .collect();
    let required: Vec<&str> = template
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name.as_str())
        .collect();
    json!({
        "$schema": DIALECT,
        "$id": format!("studiobrain:entity/{}", template.entity_type),
        "title": template.entity_type.as_str(),
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateLayer;

    #[test]
    fn schema_reflects_fields_and_widgets() {
        let text = "---\nentity_type: faction\nfield_config:\n  leader:\n    widget: entity-selector\n    reference_type: character\n    max_selections: 1\n  allies:\n    widget: entity-selector\n    reference_type: faction\n    max_selections: 3\n  alignment:\n    widget: select\n    options: [good, evil]\n  founded:\n    widget: year\n    min: 1800\n    max: 2000\nid: \"\"\nname: \"\"\nleader: \"\"\nallies: []\nalignment: good\nfounded: null\nmembers_count: 0\n---\n";
        let template =
            Template::parse("FACTION_TEMPLATE.md", text, TemplateLayer::Standard).expect("valid");
        let schema = entity_schema(&template);
        assert_eq!(schema["$schema"], DIALECT);
        assert_eq!(schema["required"], json!(["id", "name"]));
        let p = &schema["properties"];
        assert_eq!(p["id"]["pattern"], ID_PATTERN);
        assert_eq!(p["allies"]["maxItems"], 3);
        assert_eq!(p["leader"]["x-reference-type"], "character");
        assert_eq!(p["alignment"]["enum"], json!(["good", "evil", null, ""]));
        assert_eq!(
            (
                p["founded"]["minimum"].clone(),
                p["founded"]["maximum"].clone()
            ),
            (json!(1800), json!(2000))
        );
        assert_eq!(p["members_count"]["type"], json!(["number", "null"]));
    }
}

/// A compiled JSON Schema, ready to check frontmatter.
pub struct CompiledSchema(jsonschema::Validator);

/// Where a project's own schemas live for reference resolution: a schema
/// without an `$id` resolves `./_base.json` against this base.
const LOCAL_SCHEMAS: &str = "https://studiobrain.local/_Schemas/";

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledSchema")
    }
}

impl CompiledSchema {
    /// Compiles `schema` (draft 2020-12 unless it says otherwise).
    ///
    /// # Errors
    /// A message when the schema is not valid or needs a resource it does
    /// not carry (remote or file references are not fetched).
    pub fn compile(schema: &Value) -> Result<Self, String> {
        Self::compile_with(schema, &[])
    }

    /// Compiles `schema` with `companions`, the shared schemas it may
    /// reference (the upstream layout's `./_base.json`), as (file name,
    /// schema). Each companion is found under its `$id` and under its file
    /// name beside a schema that has no `$id` of its own.
    ///
    /// # Errors
    /// As [`Self::compile`].
    pub fn compile_with(schema: &Value, companions: &[(String, Value)]) -> Result<Self, String> {
        let mut resources = Vec::new();
        for (file_name, companion) in companions {
            let resource = || jsonschema::Resource::from_contents(companion.clone());
            resources.push((format!("{LOCAL_SCHEMAS}{file_name}"), resource()));
            if let Some(id) = companion.get("$id").and_then(Value::as_str) {
                resources.push((id.to_owned(), resource()));
            }
        }
        let registry = jsonschema::Registry::new()
            .extend(resources)
            .and_then(jsonschema::RegistryBuilder::prepare)
            .map_err(|err| err.to_string())?;
        jsonschema::options()
            .with_base_uri(LOCAL_SCHEMAS)
            .with_registry(&registry)
            .build(schema)
            .map(Self)
            .map_err(|err| err.to_string())
    }

    /// Findings for `fields`, one per violation, under the rule id `schema`.
    pub fn check(&self, fields: &Map<String, Value>) -> Vec<crate::validate::ValidationIssue> {
        let instance = Value::Object(fields.clone());
        self.0
            .iter_errors(&instance)
            .map(|err| {
                let path = err.instance_path().to_string();
                let field = path
                    .trim_start_matches('/')
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                crate::validate::ValidationIssue {
                    rule_id: "schema".to_owned(),
                    field,
                    message: err.to_string(),
                    severity: crate::validate::Severity::Error,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod compiled_tests {
    use super::*;
    use crate::template::TemplateLayer;

    #[test]
    fn derived_schemas_accept_template_entities_and_report_violations() {
        let text = "---\nentity_type: faction\nfield_config:\n  alignment:\n    widget: select\n    options: [good, evil]\n  allies:\n    widget: entity-selector\n    reference_type: faction\n    max_selections: 2\nid: \"\"\nname: \"\"\nalignment: good\nallies: []\nmembers: 0\n---\n";
        let template =
            Template::parse("FACTION_TEMPLATE.md", text, TemplateLayer::Standard).expect("valid");
        let compiled = CompiledSchema::compile(&entity_schema(&template)).expect("compiles");
        let good = json!({"id": "guild", "name": "Guild", "alignment": "evil", "allies": ["a"], "members": 3});
        assert_eq!(compiled.check(good.as_object().expect("map")), vec![]);
        let bad = json!({"id": "Bad Id", "name": "G", "alignment": "chaotic", "allies": ["a", "b", "c"], "members": "many"});
        let fields: Vec<String> = compiled
            .check(bad.as_object().expect("map"))
            .into_iter()
            .map(|i| i.field)
            .collect();
        for expected in ["id", "alignment", "allies", "members"] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected} in {fields:?}"
            );
        }
    }

    #[test]
    fn unresolvable_references_do_not_compile() {
        assert!(CompiledSchema::compile(&json!({"$ref": "https://example.com/x.json"})).is_err());
    }
}
