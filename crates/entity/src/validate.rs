//! Validation of an entity against its template: required fields, the id
//! format, select options, year bounds, `max_selections`, and that every
//! reference names an existing entity. Problems are reported, never fatal:
//! hand-edited files may be invalid and must still be served.

use crate::entity::text_field;
use crate::ids::{EntityId, EntityType};
use crate::template::{FieldSpec, Template};
use serde::Serialize;
use serde_json::{Map, Value};

/// How bad a finding is; any `Error` makes an entity invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The entity breaks a rule.
    Error,
    /// Worth a look; does not invalidate.
    Warning,
}

/// One finding, as served in `validation_errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationIssue {
    /// The rule that found it (`required`, `id_format`, `options`, ...).
    pub rule_id: String,
    /// The field concerned.
    pub field: String,
    /// Explanation.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

/// A reference to look up: field, referenced type and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Field holding the reference.
    pub field: String,
    /// Type referenced.
    pub entity_type: EntityType,
    /// Id referenced (as written; may be malformed).
    pub id: String,
}

fn issue(rule: &str, field: &str, message: String, severity: Severity) -> ValidationIssue {
    ValidationIssue {
        rule_id: rule.to_owned(),
        field: field.to_owned(),
        message,
        severity,
    }
}

pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Ids referenced by a field value: a string, a list of strings, or a list
/// of maps whose `<type>_id` (or `id`) key holds the id.
pub fn referenced_ids(value: &Value, reference_type: &EntityType) -> Vec<String> {
    let key = format!("{}_id", reference_type.as_str());
    let one = |item: &Value| -> Option<String> {
        match item {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Object(map) => map
                .get(&key)
                .or_else(|| map.get("id"))
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_owned()),
            _ => None,
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// Findings that need no lookup, and the references to look up.
pub fn check(
    template: &Template,
    id: &str,
    fields: &Map<String, Value>,
) -> (Vec<ValidationIssue>, Vec<Reference>) {
    let mut issues = Vec::new();
    let mut references = Vec::new();
    if EntityId::parse(&text_field(fields, "id")).is_err() {
        issues.push(issue(
            "id_format",
            "id",
            "id must match ^[a-z0-9][a-z0-9_-]{0,127}$".into(),
            Severity::Error,
        ));
    } else if text_field(fields, "id") != id {
        issues.push(issue(
            "id_matches_file",
            "id",
            format!("the id field does not match the file's id '{id}'"),
            Severity::Error,
        ));
    }
    for spec in &template.fields {
        let value = fields.get(&spec.name).unwrap_or(&Value::Null);
        if spec.required && is_empty(value) {
            issues.push(issue(
                "required",
                &spec.name,
                format!("{} is required", spec.name),
                Severity::Error,
            ));
            continue;
        }
        check_field(spec, value, &mut issues, &mut references);
    }
    (issues, references)
}

fn check_field(
    spec: &FieldSpec,
    value: &Value,
    issues: &mut Vec<ValidationIssue>,
    references: &mut Vec<Reference>,
) {
    let config = &spec.config;
    if !config.options.is_empty() && config.reference_type.is_none() {
        let chosen: Vec<&str> = match value {
            Value::String(s) if !s.is_empty() => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for choice in chosen
            .into_iter()
            .filter(|c| !config.options.iter().any(|o| o == c))
        {
            // Decision 9.3: status is free text; unknown values only warn.
            let severity = if spec.name == "status" {
                Severity::Warning
            } else {
                Severity::Error
            };
            issues.push(issue(
                "options",
                &spec.name,
                format!("'{choice}' is not one of: {}", config.options.join(", ")),
                severity,
            ));
        }
    }
    if config.min.is_some() || config.max.is_some() {
        let number = value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
        if let Some(n) = number
            && (config.min.is_some_and(|min| n < min) || config.max.is_some_and(|max| n > max))
        {
            let bounds = format!(
                "{}..{}",
                config.min.map(|v| v.to_string()).unwrap_or_default(),
                config.max.map(|v| v.to_string()).unwrap_or_default()
            );
            issues.push(issue(
                "bounds",
                &spec.name,
                format!("{n} is outside {bounds}"),
                Severity::Error,
            ));
        }
    }
    if let Some(reference_type) = &config.reference_type {
        let ids = referenced_ids(value, reference_type);
        if let Some(max) = config.max_selections
            && ids.len() as u64 > max
        {
            issues.push(issue(
                "max_selections",
                &spec.name,
                format!(
                    "at most {max} {reference_type} may be chosen, found {}",
                    ids.len()
                ),
                Severity::Error,
            ));
        }
        references.extend(ids.into_iter().map(|id| Reference {
            field: spec.name.clone(),
            entity_type: reference_type.clone(),
            id,
        }));
    }
}

/// The finding for a reference that names no entity.
pub fn dangling(reference: &Reference) -> ValidationIssue {
    issue(
        "reference_exists",
        &reference.field,
        format!(
            "{} '{}' does not exist",
            reference.entity_type, reference.id
        ),
        Severity::Error,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateLayer;
    use serde_json::json;

    fn template() -> Template {
        let text = "---\nentity_type: character\nfield_config:\n  faction:\n    widget: entity-selector\n    reference_type: faction\n    max_selections: 1\n  friends:\n    widget: entity-selector\n    reference_type: character\n    max_selections: 2\n  status:\n    widget: select\n    options: [draft, active]\n  mood:\n    widget: select\n    options: [calm, angry]\n  birth_year:\n    widget: year\n    min: 1900\n    max: 1998\nid: \"\"\nname: \"\"\nstatus: draft\nmood: calm\nfaction: \"\"\nfriends: []\nbirth_year: null\n---\n";
        Template::parse("CHARACTER_TEMPLATE.md", text, TemplateLayer::Standard).expect("valid")
    }

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    #[test]
    fn a_valid_entity_has_no_findings_and_lists_its_references() {
        let f = fields(
            json!({"id": "rex", "name": "Rex", "status": "active", "mood": "calm", "faction": "guild",
            "friends": [{"character_id": "ann", "closeness": "close"}, "bob"], "birth_year": 1950}),
        );
        let (issues, refs) = check(&template(), "rex", &f);
        assert_eq!(issues, vec![]);
        let ids: Vec<&str> = refs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["guild", "ann", "bob"]);
    }

    #[test]
    fn every_machine_checkable_rule_reports() {
        let f = fields(
            json!({"id": "Rex!", "name": "", "status": "retired", "mood": "sleepy",
            "faction": ["a", "b"], "friends": ["x", "y", "z"], "birth_year": "2050"}),
        );
        let (issues, _) = check(&template(), "rex", &f);
        let found: Vec<(&str, &str, Severity)> = issues
            .iter()
            .map(|i| (i.rule_id.as_str(), i.field.as_str(), i.severity))
            .collect();
        assert!(found.contains(&("id_format", "id", Severity::Error)));
        assert!(found.contains(&("required", "name", Severity::Error)));
        assert!(
            found.contains(&("options", "status", Severity::Warning)),
            "status only warns"
        );
        assert!(found.contains(&("options", "mood", Severity::Error)));
        assert!(found.contains(&("max_selections", "faction", Severity::Error)));
        assert!(found.contains(&("max_selections", "friends", Severity::Error)));
        assert!(found.contains(&("bounds", "birth_year", Severity::Error)));
    }
}
