//! Rules: the `_Rules/` folder of a project. Two formats load:
//! per-type Markdown files (`<TYPE>_RULES.md`: frontmatter with
//! `system_prompt`, `rules[]`, `defaults`; the body is guidance for the AI)
//! and YAML rule sets (`rule_id`, `rules[]`, in `Core/`, `Standard/`,
//! `Custom/` and `User/`). Rules merge by id: Core rules cannot be
//! overridden; otherwise the more specific layer wins (User > Custom >
//! Standard > the type's own file). Machine-checkable rules (required
//! fields, allowed values, bounds, patterns, forbidden terms) run during
//! validation; natural-language rules are only listed.

use crate::validate::{Severity, ValidationIssue};
use crate::words::WordSet;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where a rule comes from, least specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLayer {
    /// `_Rules/<TYPE>_RULES.md`.
    TypeFile,
    /// `_Rules/Standard/*.yaml`.
    Standard,
    /// `_Rules/Custom/*.yaml`.
    Custom,
    /// `_Rules/User/*.yaml`.
    User,
    /// `_Rules/Core/*.yaml`: cannot be overridden.
    Core,
}

impl RuleLayer {
    fn of(path: &str) -> Self {
        match path.split('/').nth(1) {
            Some("Core") => Self::Core,
            Some("Standard") => Self::Standard,
            Some("Custom") => Self::Custom,
            Some("User") => Self::User,
            _ => Self::TypeFile,
        }
    }
}

/// What a rule checks by machine.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleCheck {
    /// These fields must be non-empty.
    RequiredFields {
        /// Field names.
        fields: Vec<String>,
    },
    /// A non-empty field must be one of the values.
    AllowedValues {
        /// Field name.
        field: String,
        /// Allowed values.
        values: Vec<String>,
    },
    /// A numeric field must lie within the bounds.
    Bounds {
        /// Field name.
        field: String,
        /// Lower bound.
        min: Option<f64>,
        /// Upper bound.
        max: Option<f64>,
    },
    /// A non-empty field must match the regular expression.
    Pattern {
        /// Field name.
        field: String,
        /// The expression.
        pattern: String,
        /// Compiled.
        #[serde(skip)]
        regex: regex::Regex,
    },
    /// None of these terms may occur (whole words, any case) in any field
    /// or the body.
    Forbidden {
        /// The terms.
        terms: Vec<String>,
        /// The terms compiled.
        #[serde(skip)]
        matcher: WordSet,
    },
    /// Guidance for people and the AI only.
    Guidance,
}

/// One rule.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// Category (identity, technology, ...).
    pub category: String,
    /// Priority (critical, high, medium, low).
    pub priority: String,
    /// What the rule says.
    pub description: String,
    /// Error, warning (or suggestion: reported as a warning).
    pub severity: Severity,
    /// Entity types it applies to; empty means the file's own type.
    pub applies_to: Vec<String>,
    /// The machine check.
    pub check: RuleCheck,
    /// File the rule came from.
    pub source: String,
    /// Layer of that file.
    pub layer: RuleLayer,
    /// The rule as written.
    pub raw: Value,
}

/// One rule file.
#[derive(Debug, Clone, Serialize)]
pub struct RuleFile {
    /// Path relative to the project root.
    pub path: String,
    /// Layer.
    pub layer: RuleLayer,
    /// The type of a per-type file (or the file's `entity_type`).
    pub entity_type: Option<String>,
    /// `rule_id` of a YAML rule set.
    pub rule_id: Option<String>,
    /// The AI system prompt, if any.
    pub system_prompt: Option<String>,
    /// Default field values.
    pub defaults: Map<String, Value>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
}

fn string_at(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn number(value: Option<&Value>) -> Option<f64> {
    value.and_then(|v| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

fn severity(map: &Map<String, Value>) -> Severity {
    match string_at(map, "severity")
        .or_else(|| string_at(map, "validation_type"))
        .as_deref()
    {
        Some("error" | "critical") => Severity::Error,
        _ => Severity::Warning,
    }
}

/// The machine check a rule's keys describe; an unusable pattern is an error.
fn rule_check(map: &Map<String, Value>) -> Result<RuleCheck, String> {
    let terms: Vec<String> = [
        "forbidden",
        "forbidden_tech",
        "forbidden_terms",
        "forbidden_words",
    ]
    .iter()
    .flat_map(|key| strings(map.get(*key)))
    .collect();
    if !terms.is_empty() {
        let matcher = WordSet::new(&terms)?;
        return Ok(RuleCheck::Forbidden { terms, matcher });
    }
    let required = strings(map.get("required_fields"));
    if !required.is_empty() {
        return Ok(RuleCheck::RequiredFields { fields: required });
    }
    let Some(field) = string_at(map, "field") else {
        return Ok(RuleCheck::Guidance);
    };
    if let Some(values) = map.get("allowed_values") {
        return Ok(RuleCheck::AllowedValues {
            field,
            values: strings(Some(values)),
        });
    }
    if let Some(pattern) = string_at(map, "pattern") {
        let regex =
            regex::Regex::new(&pattern).map_err(|err| format!("pattern of {field}: {err}"))?;
        return Ok(RuleCheck::Pattern {
            field,
            pattern,
            regex,
        });
    }
    let (min, max) = (number(map.get("min")), number(map.get("max")));
    if min.is_some() || max.is_some() {
        return Ok(RuleCheck::Bounds { field, min, max });
    }
    Ok(RuleCheck::Guidance)
}

impl RuleFile {
    /// Reads a rule file: `<TYPE>_RULES.md` (frontmatter) or a YAML rule set.
    ///
    /// # Errors
    /// A message for unparsable files and unusable rules.
    pub fn parse(path: &str, text: &str) -> Result<Self, String> {
        let map = if path.ends_with(".md") {
            studiobrain_markdown::parse(text)
                .map_err(|e| e.to_string())?
                .frontmatter
                .to_map()
        } else {
            // A YAML rule set read as frontmatter: the codec is the one YAML reader.
            let yaml = text.strip_prefix("---\n").unwrap_or(text);
            let wrapped = format!(
                "---\n{}{}---\n",
                yaml,
                if yaml.ends_with('\n') { "" } else { "\n" }
            );
            studiobrain_markdown::parse(&wrapped)
                .map_err(|e| e.to_string())?
                .frontmatter
                .to_map()
        };
        let layer = RuleLayer::of(path);
        let entity_type = string_at(&map, "entity_type").or_else(|| {
            let name = path.rsplit('/').next()?;
            name.strip_suffix("_RULES.md").map(str::to_lowercase)
        });
        let file_applies = strings(map.get("applies_to"));
        let mut rules = Vec::new();
        for raw in map
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(rule) = raw.as_object() else {
                continue;
            };
            let Some(id) = string_at(rule, "id") else {
                continue;
            };
            let mut applies_to = strings(rule.get("applies_to"));
            if applies_to.is_empty() {
                applies_to = if file_applies.is_empty() {
                    entity_type.iter().cloned().collect()
                } else {
                    file_applies.clone()
                };
            }
            rules.push(Rule {
                category: string_at(rule, "category").unwrap_or_default(),
                priority: string_at(rule, "priority").unwrap_or_else(|| "medium".into()),
                description: string_at(rule, "rule")
                    .or_else(|| string_at(rule, "description"))
                    .unwrap_or_default(),
                severity: severity(rule),
                applies_to,
                check: rule_check(rule).map_err(|err| format!("rule {id}: {err}"))?,
                source: path.to_owned(),
                layer,
                raw: raw.clone(),
                id,
            });
        }
        Ok(Self {
            path: path.to_owned(),
            layer,
            entity_type,
            rule_id: string_at(&map, "rule_id"),
            system_prompt: string_at(&map, "system_prompt"),
            defaults: map
                .get("defaults")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            rules,
        })
    }
}

/// Every rule of a project, merged.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleBook {
    /// Files in path order.
    pub files: Vec<RuleFile>,
    /// Files that could not be loaded, with the reason.
    pub problems: Vec<String>,
    /// Rule-checking settings of the project (`enabled`, `disabled_rules`).
    pub settings: Map<String, Value>,
}

impl RuleBook {
    /// Loads `(path, text)` pairs of `_Rules/`.
    pub fn load(mut sources: Vec<(String, String)>) -> Self {
        sources.sort();
        let mut book = Self::default();
        for (path, text) in sources {
            match RuleFile::parse(&path, &text) {
                Ok(file) => book.files.push(file),
                Err(err) => book.problems.push(format!("{path}: {err}")),
            }
        }
        book
    }

    /// The rules that apply to `entity_type`, merged by id.
    pub fn rules_for(&self, entity_type: &str) -> Vec<&Rule> {
        let mut merged: BTreeMap<&str, &Rule> = BTreeMap::new();
        for rule in self
            .files
            .iter()
            .flat_map(|f| &f.rules)
            .filter(|r| r.applies_to.iter().any(|t| t == entity_type))
        {
            match merged.get(rule.id.as_str()) {
                Some(existing)
                    if existing.layer == RuleLayer::Core || existing.layer > rule.layer => {}
                _ => {
                    merged.insert(&rule.id, rule);
                }
            }
        }
        merged.into_values().collect()
    }

    /// The per-type Markdown file of `entity_type`, if any.
    pub fn type_file(&self, entity_type: &str) -> Option<&RuleFile> {
        self.files.iter().find(|f| {
            f.layer == RuleLayer::TypeFile && f.entity_type.as_deref() == Some(entity_type)
        })
    }

    /// Findings of every machine-checkable rule for an entity.
    pub fn check(
        &self,
        entity_type: &str,
        fields: &Map<String, Value>,
        body: &str,
    ) -> Vec<ValidationIssue> {
        self.rules_for(entity_type)
            .into_iter()
            .flat_map(|rule| check_rule(rule, fields, body))
            .collect()
    }
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn all_text(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| all_text(v, out)),
        Value::Object(map) => map.values().for_each(|v| all_text(v, out)),
        _ => {}
    }
}

fn finding(rule: &Rule, field: &str, message: String) -> ValidationIssue {
    ValidationIssue {
        rule_id: rule.id.clone(),
        field: field.to_owned(),
        message,
        severity: rule.severity,
    }
}

fn check_rule(rule: &Rule, fields: &Map<String, Value>, body: &str) -> Vec<ValidationIssue> {
    match &rule.check {
        RuleCheck::Guidance => Vec::new(),
        RuleCheck::RequiredFields { fields: required } => required
            .iter()
            .filter(|f| is_blank(fields.get(*f)))
            .map(|f| finding(rule, f, format!("{f} is required ({})", rule.description)))
            .collect(),
        RuleCheck::AllowedValues { field, values } => {
            let Some(value) = fields.get(field).filter(|v| !is_blank(Some(v))) else {
                return Vec::new();
            };
            let chosen: Vec<String> = match value {
                Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
                other => scalar_text(other).into_iter().collect(),
            };
            chosen
                .into_iter()
                .filter(|c| !values.contains(c))
                .map(|c| {
                    finding(
                        rule,
                        field,
                        format!("'{c}' is not one of: {}", values.join(", ")),
                    )
                })
                .collect()
        }
        RuleCheck::Bounds { field, min, max } => {
            let n = number(fields.get(field));
            match n {
                Some(n) if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) => {
                    vec![finding(
                        rule,
                        field,
                        format!("{n} is outside the allowed range ({})", rule.description),
                    )]
                }
                _ => Vec::new(),
            }
        }
        RuleCheck::Pattern {
            field,
            pattern,
            regex,
        } => match fields.get(field).and_then(scalar_text) {
            Some(text) if !text.is_empty() && !regex.is_match(&text) => {
                vec![finding(
                    rule,
                    field,
                    format!("'{text}' does not match {pattern}"),
                )]
            }
            _ => Vec::new(),
        },
        RuleCheck::Forbidden { terms, matcher } => {
            let mut issues = Vec::new();
            for (key, value) in fields {
                let mut text = String::new();
                all_text(value, &mut text);
                for term in matcher.found_in(&text).into_iter().map(|at| &terms[at]) {
                    issues.push(finding(
                        rule,
                        key,
                        format!("'{term}' is forbidden: {}", rule.description),
                    ));
                }
            }
            for term in matcher.found_in(body).into_iter().map(|at| &terms[at]) {
                issues.push(finding(
                    rule,
                    "markdown_body",
                    format!("'{term}' is forbidden: {}", rule.description),
                ));
            }
            issues
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TYPE_FILE: &str = "---\nsystem_prompt: \"Be kind\"\nentity_type: character\nrules:\n  - id: char_001\n    rule: \"needs a home\"\n    validation_type: error\n    required_fields: [name, home]\n  - id: char_002\n    validation_type: warning\n    field: mood\n    allowed_values: [calm, angry]\n  - id: char_003\n    rule: \"be vivid\"\n    validation_type: suggestion\ndefaults:\n  status: draft\n---\n# Guidance\n";
    const YAML: &str = "---\nrule_id: tech\napplies_to: [character]\nrules:\n  - id: tech_001\n    severity: error\n    description: no powder\n    forbidden_tech: [\"gunpowder\", \"steam engine\"]\n  - id: char_002\n    severity: error\n    field: mood\n    allowed_values: [calm]\n  - id: year_001\n    severity: error\n    field: born\n    min: 1000\n    max: 1147\n  - id: id_001\n    severity: error\n    field: id\n    pattern: \"^[a-z_]+$\"\n";

    fn book() -> RuleBook {
        RuleBook::load(vec![
            ("_Rules/CHARACTER_RULES.md".into(), TYPE_FILE.into()),
            ("_Rules/Standard/tech.yaml".into(), YAML.into()),
        ])
    }

    #[test]
    fn files_load_with_prompts_defaults_and_checks() {
        let book = book();
        assert!(book.problems.is_empty(), "{:?}", book.problems);
        let file = book.type_file("character").expect("type file");
        assert_eq!(file.system_prompt.as_deref(), Some("Be kind"));
        assert_eq!(file.defaults["status"], "draft");
        let ids: Vec<&str> = book
            .rules_for("character")
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "char_001", "char_002", "char_003", "id_001", "tech_001", "year_001"
            ]
        );
        assert!(matches!(
            book.rules_for("character")[2].check,
            RuleCheck::Guidance
        ));
    }

    #[test]
    fn the_more_specific_layer_wins_a_shared_id() {
        let book = book();
        let mood = book
            .rules_for("character")
            .into_iter()
            .find(|r| r.id == "char_002")
            .expect("merged");
        assert_eq!(
            mood.layer,
            RuleLayer::Standard,
            "Standard overrides the type file"
        );
        assert_eq!(mood.severity, Severity::Error);
    }

    #[test]
    fn machine_checks_report_and_guidance_does_not() {
        let fields = json!({"id": "Rex9", "name": "Rex", "mood": "angry", "born": 2000, "notes": ["bought a Gunpowder keg"]});
        let issues = book().check(
            "character",
            fields.as_object().expect("map"),
            "He dreamed of a steam engine.",
        );
        let found: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i.rule_id.as_str(), i.field.as_str()))
            .collect();
        assert!(found.contains(&("char_001", "home")));
        assert!(found.contains(&("char_002", "mood")));
        assert!(found.contains(&("year_001", "born")));
        assert!(found.contains(&("id_001", "id")));
        assert!(
            found.contains(&("tech_001", "notes")),
            "case-insensitive in fields"
        );
        assert!(
            found.contains(&("tech_001", "markdown_body")),
            "multi-word terms in the body"
        );
        assert!(!found.iter().any(|(id, _)| *id == "char_003"));
    }

    #[test]
    fn bad_patterns_are_problems_not_panics() {
        let book = RuleBook::load(vec![(
            "_Rules/Custom/x.yaml".into(),
            "rule_id: x\nrules:\n  - id: r\n    field: id\n    pattern: \"(\"\n".into(),
        )]);
        assert_eq!(book.problems.len(), 1);
    }
}
