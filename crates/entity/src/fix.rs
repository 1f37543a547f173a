//! Automatic fixes of common validation problems, deterministic only:
//!
//! - `id_format` / `id_matches_file`: a missing or malformed `id` becomes
//!   the file's id (a stored entity) or the id derived from the name (raw
//!   content); a stored entity's `id` that names another id becomes its own;
//! - `required`: a missing required field gets the template's default when
//!   that is not empty;
//! - `date_format`: an unambiguous date (`YYYY/M/D`, `YYYY-M-D`, and
//!   `YYYY.M.D` in a field whose name ends in `date`) becomes ISO
//!   `YYYY-MM-DD`;
//! - `options`: a `status` that differs from one of the template's options
//!   only in case or whitespace becomes that option.
//!
//! Each fix rewrites only its key ([`Frontmatter::set`]); the body and every
//! other line stay byte for byte.
//!
//! [`Frontmatter::set`]: studiobrain_markdown::Frontmatter::set

use crate::diff::{CONTEXT_LINES, unified_diff};
use crate::entity::text_field;
use crate::error::{EntityError, EntityResult};
use crate::ids::EntityId;
use crate::service::{EntityService, EntityView, not_found};
use crate::template::Template;
use crate::validate::is_empty;
use chrono::NaiveDate;
use serde_json::Value;
use studiobrain_kernel::{Actor, TenantId};
use studiobrain_markdown::Document;

/// One change made by a fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// The field changed.
    pub field: String,
    /// The validation rule the fix satisfies.
    pub rule: &'static str,
    /// The value before (`null` when the key was missing).
    pub old_value: Value,
    /// The value after.
    pub new_value: Value,
}

/// What fixing a file found and did.
#[derive(Debug, Clone)]
pub struct FixOutcome {
    /// The fixes, in the order they were made.
    pub fixes: Vec<Fix>,
    /// Unified diff of the file before and after (empty without fixes).
    pub diff: String,
    /// The file text after the fixes.
    pub content: String,
    /// The fixed file was written (only for a stored entity, when asked and
    /// something changed).
    pub applied: bool,
    /// The stored entity after the fixes, when applying was asked.
    pub entity: Option<EntityView>,
}

/// `YYYY<sep>M<sep>D` with one separator throughout, as an ISO date; dots
/// only when `dotted` is allowed.
fn iso_date(text: &str, dotted: bool) -> Option<String> {
    let text = text.trim();
    let sep = text.chars().find(|c| !c.is_ascii_digit())?;
    if !(sep == '/' || sep == '-' || (sep == '.' && dotted)) {
        return None;
    }
    let parts: Vec<&str> = text.split(sep).collect();
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(year, 4..=4) && digits(month, 1..=2) && digits(day, 1..=2)) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)?;
    Some(date.format("%Y-%m-%d").to_string())
}

/// A status with case and whitespace ignored.
fn loose(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Sets `field` and records the fix.
fn change(
    document: &mut Document,
    fixes: &mut Vec<Fix>,
    field: &str,
    rule: &'static str,
    new: Value,
) {
    let old_value = document
        .frontmatter
        .get(field)
        .cloned()
        .unwrap_or(Value::Null);
    document.frontmatter.set(field, new.clone());
    fixes.push(Fix {
        field: field.to_owned(),
        rule,
        old_value,
        new_value: new,
    });
}

/// Applies every deterministic fix to `document`, an entity of `template`
/// stored under `file_id` (`None` for raw content).
pub fn fix_document(
    template: &Template,
    file_id: Option<&EntityId>,
    document: &mut Document,
) -> Vec<Fix> {
    let mut fixes = Vec::new();
    let fields = document.frontmatter.to_map();
    let id = text_field(&fields, "id");
    match (EntityId::parse(id.trim()), file_id) {
        (Ok(valid), Some(file_id)) if &valid != file_id => {
            change(
                document,
                &mut fixes,
                "id",
                "id_matches_file",
                file_id.as_str().into(),
            );
        }
        (Ok(_), _) => {}
        (Err(_), Some(file_id)) => {
            change(
                document,
                &mut fixes,
                "id",
                "id_format",
                file_id.as_str().into(),
            );
        }
        (Err(_), None) => {
            if let Some(derived) = EntityId::from_name(&text_field(&fields, "name")) {
                change(
                    document,
                    &mut fixes,
                    "id",
                    "id_format",
                    derived.as_str().into(),
                );
            }
        }
    }
    for spec in &template.fields {
        if spec.required
            && spec.name != "id"
            && is_empty(fields.get(&spec.name).unwrap_or(&Value::Null))
            && !is_empty(&spec.default)
        {
            change(
                document,
                &mut fixes,
                &spec.name,
                "required",
                spec.default.clone(),
            );
        }
    }
    for (key, value) in document.frontmatter.to_map() {
        let dotted = key.to_ascii_lowercase().ends_with("date");
        if let Some(text) = value.as_str()
            && let Some(iso) = iso_date(text, dotted)
            && iso != text
        {
            change(document, &mut fixes, &key, "date_format", iso.into());
        }
    }
    if let Some(Value::String(status)) = document.frontmatter.get("status").cloned() {
        let options = template.status_options();
        let matching: Vec<&String> = options
            .iter()
            .filter(|option| loose(option) == loose(&status))
            .collect();
        if let [option] = matching.as_slice()
            && **option != status
            && !options.contains(&status)
        {
            change(
                document,
                &mut fixes,
                "status",
                "options",
                (*option).clone().into(),
            );
        }
    }
    fixes
}

/// Parses `text`, fixes it, and returns the fixes and the new text.
fn fix_text(
    template: &Template,
    file_id: Option<&EntityId>,
    text: &str,
) -> EntityResult<(Vec<Fix>, String)> {
    let mut document = studiobrain_markdown::parse(text)
        .map_err(|err| EntityError::Invalid(format!("the content does not parse: {err}")))?;
    let fixes = fix_document(template, file_id, &mut document);
    Ok((fixes, studiobrain_markdown::render(&document)))
}

impl EntityService {
    /// The deterministic fixes of raw Markdown of `entity_type`: the fixed
    /// text and its diff. Nothing is saved.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type; [`EntityError::Invalid`]
    /// for content that does not parse.
    pub async fn fix_content(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        content: &str,
    ) -> EntityResult<FixOutcome> {
        let template = self.template(tenant, entity_type).await?;
        let (fixes, fixed) = fix_text(&template, None, content)?;
        let diff = unified_diff(
            content,
            &fixed,
            "a/content.md",
            "b/content.md",
            CONTEXT_LINES,
        );
        Ok(FixOutcome {
            fixes,
            diff,
            content: fixed,
            applied: false,
            entity: None,
        })
    }

    /// The deterministic fixes of a stored entity; with `apply`, writes the
    /// fixed file like an update does (the file, a new revision, the index
    /// row) and returns the entity. With `if_match`, refuses a stale file.
    ///
    /// # Errors
    /// [`EntityError::NotFound`]; [`EntityError::Stale`] when `if_match` is
    /// not the current content hash; [`EntityError::Invalid`] when the file
    /// does not parse.
    pub async fn fix_entity(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        apply: bool,
        if_match: Option<&str>,
        actor: &Actor,
    ) -> EntityResult<FixOutcome> {
        let template = self.template(tenant, entity_type).await?;
        let id = EntityId::parse(id).map_err(|_| not_found(entity_type, id))?;
        let write = if apply {
            Some(
                self.entity_write_lock(tenant, &template.entity_type, &id)
                    .await,
            )
        } else {
            None
        };
        let (current, text) = self.read_current(tenant, &template, &id, if_match).await?;
        let (fixes, fixed) = fix_text(&template, Some(&id), &text)?;
        let label = |side: &str| format!("{side}/{}", current.path);
        let diff = unified_diff(&text, &fixed, &label("a"), &label("b"), CONTEXT_LINES);
        let applied = apply && fixed != text;
        if applied {
            self.store_revision(tenant, &template, &current, &fixed, actor)
                .await?;
        }
        drop(write);
        let entity = if apply {
            Some(self.get(tenant, entity_type, id.as_str()).await?)
        } else {
            None
        };
        Ok(FixOutcome {
            fixes,
            diff,
            content: fixed,
            applied,
            entity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateLayer;
    use serde_json::json;

    fn template() -> Template {
        let text = "---\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\nfield_config:\n  status:\n    widget: select\n    options: [draft, In Progress, done]\nfields:\n  - name: role\n    required: true\n    default: extra\n  - name: motto\n    required: true\nid: \"\"\nname: \"\"\nstatus: draft\nrelease: \"\"\n---\n";
        Template::parse("CHARACTER_TEMPLATE.md", text, TemplateLayer::Standard).expect("valid")
    }

    fn fixed(
        file_id: Option<&str>,
        text: &str,
    ) -> (Vec<(String, &'static str, Value, Value)>, String) {
        let file_id = file_id.map(|id| EntityId::parse(id).expect("id"));
        let (fixes, out) = fix_text(&template(), file_id.as_ref(), text).expect("parses");
        let fixes = fixes
            .into_iter()
            .map(|f| (f.field, f.rule, f.old_value, f.new_value))
            .collect();
        (fixes, out)
    }

    #[test]
    fn dates_are_fixed_only_when_unambiguous() {
        assert_eq!(iso_date("2024/1/5", false).as_deref(), Some("2024-01-05"));
        assert_eq!(iso_date("2024-1-15", false).as_deref(), Some("2024-01-15"));
        assert_eq!(iso_date("2024.12.5", true).as_deref(), Some("2024-12-05"));
        assert_eq!(iso_date("2024-01-05", false).as_deref(), Some("2024-01-05"));
        for bad in [
            "2024.1.5",
            "5.1.2024",
            "1/5/2024",
            "2024/13/1",
            "2024/2/30",
            "2024/1-5",
            "24/1/5",
            "2024/1/5/6",
            "v2024/1/5",
        ] {
            assert_eq!(iso_date(bad, false), None, "{bad}");
        }
        assert_eq!(iso_date("5.1.2024", true), None);
    }

    #[test]
    fn every_rule_fixes_only_its_key() {
        let text = "---\n# notes\nid: Rex Marshall!\nname: Rex Marshall\nstatus: \" in progress\"\nbirth_date: 1990.3.7\nrelease: 2024/1/5   # first draft\nversion: 2024.1.5\n---\n# Rex\n";
        let (fixes, out) = fixed(None, text);
        assert_eq!(
            fixes,
            [
                (
                    "id".into(),
                    "id_format",
                    json!("Rex Marshall!"),
                    json!("rex_marshall")
                ),
                ("role".into(), "required", Value::Null, json!("extra")),
                (
                    "birth_date".into(),
                    "date_format",
                    json!("1990.3.7"),
                    json!("1990-03-07")
                ),
                (
                    "release".into(),
                    "date_format",
                    json!("2024/1/5"),
                    json!("2024-01-05")
                ),
                (
                    "status".into(),
                    "options",
                    json!(" in progress"),
                    json!("In Progress")
                ),
            ]
        );
        assert_eq!(
            out,
            "---\n# notes\nid: rex_marshall\nname: Rex Marshall\nstatus: In Progress\nbirth_date: \"1990-03-07\"\nrelease: \"2024-01-05\"\nversion: 2024.1.5\nrole: extra\n---\n# Rex\n"
        );
    }

    #[test]
    fn a_stored_entity_gets_its_file_id_and_a_clean_file_no_fixes() {
        let (fixes, _) = fixed(Some("rex"), "---\nname: Rex\nrole: lead\n---\n");
        assert_eq!(
            fixes,
            [("id".into(), "id_format", Value::Null, json!("rex"))]
        );
        let (fixes, _) = fixed(Some("rex"), "---\nid: ann\nname: Rex\nrole: lead\n---\n");
        assert_eq!(
            fixes,
            [("id".into(), "id_matches_file", json!("ann"), json!("rex"))]
        );
        let clean =
            "---\nid: rex  # kept\nname: Rex\nstatus: Done Deal\nrole: lead\n---\nbody [[x]]\n";
        let (fixes, out) = fixed(Some("rex"), clean);
        assert_eq!(fixes, [], "an unknown status is not guessed");
        assert_eq!(out, clean);
    }
}
