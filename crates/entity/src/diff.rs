//! Comparing two versions of an entity: a field-by-field diff of the
//! frontmatter and a line-based unified diff of the bodies.
//!
//! The body diff is a longest-common-subsequence diff over lines, written
//! here rather than taken from a crate: it is about a hundred lines and
//! entity bodies are small. Common leading and trailing lines are trimmed
//! first; when what remains would need a table of more than
//! [`MAX_LCS_CELLS`] cells, the remaining block is reported as removed and
//! added as a whole (still a correct diff, only not a minimal one).

use crate::entity::Entity;
use crate::error::EntityResult;
use crate::ids::EntityId;
use crate::service::{EntityChanges, EntityService, apply, not_found};
use serde_json::{Map, Value};
use studiobrain_kernel::TenantId;

/// Largest LCS table (lines of one side times lines of the other).
pub const MAX_LCS_CELLS: usize = 4_000_000;

/// Lines of unchanged context around each change in a unified diff.
pub const CONTEXT_LINES: usize = 3;

/// A field whose value differs between the versions.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedField {
    /// The field.
    pub field: String,
    /// Its value on the left (old) side.
    pub old: Value,
    /// Its value on the right (new) side.
    pub new: Value,
}

/// How the frontmatter of two versions differs, each list in key order of
/// the side it comes from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldDiff {
    /// Keys only on the right, with their values.
    pub added: Vec<(String, Value)>,
    /// Keys only on the left, with their values.
    pub removed: Vec<(String, Value)>,
    /// Keys on both sides with different values.
    pub changed: Vec<ChangedField>,
    /// How many keys are equal on both sides.
    pub unchanged: usize,
}

impl FieldDiff {
    /// No field differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One version of an entity: its frontmatter and body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Version {
    /// Every frontmatter key.
    pub fields: Map<String, Value>,
    /// The Markdown body.
    pub body: String,
}

/// The differences between two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Field by field.
    pub fields: FieldDiff,
    /// Unified diff of the bodies (empty when they are equal).
    pub body_diff: String,
    /// The bodies are equal.
    pub body_unchanged: bool,
}

impl Comparison {
    /// The versions are equal.
    pub fn identical(&self) -> bool {
        self.fields.is_empty() && self.body_unchanged
    }
}

/// Compares two frontmatter maps key by key.
pub fn diff_fields(old: &Map<String, Value>, new: &Map<String, Value>) -> FieldDiff {
    let mut diff = FieldDiff::default();
    for (key, value) in old {
        match new.get(key) {
            None => diff.removed.push((key.clone(), value.clone())),
            Some(other) if other == value => diff.unchanged += 1,
            Some(other) => diff.changed.push(ChangedField {
                field: key.clone(),
                old: value.clone(),
                new: other.clone(),
            }),
        }
    }
    for (key, value) in new {
        if !old.contains_key(key) {
            diff.added.push((key.clone(), value.clone()));
        }
    }
    diff
}

/// Compares two versions.
pub fn compare(old: &Version, new: &Version) -> Comparison {
    let body_unchanged = old.body == new.body;
    Comparison {
        fields: diff_fields(&old.fields, &new.fields),
        body_diff: if body_unchanged {
            String::new()
        } else {
            unified_diff(&old.body, &new.body, "a/body", "b/body", CONTEXT_LINES)
        },
        body_unchanged,
    }
}

/// One line of an edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// In both (index in old, index in new).
    Keep(usize, usize),
    /// Only in old.
    Remove(usize),
    /// Only in new.
    Add(usize),
}

/// The edit script turning `old` into `new` (lines).
fn edits(old: &[&str], new: &[&str]) -> Vec<Edit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (a, b) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let mut script: Vec<Edit> = (0..prefix).map(|i| Edit::Keep(i, i)).collect();
    if a.len().saturating_mul(b.len()) > MAX_LCS_CELLS {
        script.extend((0..a.len()).map(|i| Edit::Remove(prefix + i)));
        script.extend((0..b.len()).map(|j| Edit::Add(prefix + j)));
    } else {
        // lcs[i][j]: length of the LCS of a[i..] and b[j..].
        let width = b.len() + 1;
        let mut lcs = vec![0u32; (a.len() + 1) * width];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i * width + j] = if a[i] == b[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                script.push(Edit::Keep(prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if i < a.len()
                && (j == b.len() || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])
            {
                // Removals before additions, as diff(1) prints them.
                script.push(Edit::Remove(prefix + i));
                i += 1;
            } else {
                script.push(Edit::Add(prefix + j));
                j += 1;
            }
        }
    }
    let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
    script.extend((0..suffix).map(|k| Edit::Keep(old_end + k, new_end + k)));
    script
}

/// The `start,count` of a hunk header (1-based; `start` is the line before
/// an empty range, as in GNU diff).
fn range(start: usize, count: usize) -> String {
    let first = if count == 0 { start } else { start + 1 };
    if count == 1 {
        first.to_string()
    } else {
        format!("{first},{count}")
    }
}

/// A unified diff of two texts, line by line, with `context` lines of
/// context around each change; empty when the texts are equal. A last line
/// without a final newline is marked `\ No newline at end of file`.
pub fn unified_diff(
    old: &str,
    new: &str,
    old_label: &str,
    new_label: &str,
    context: usize,
) -> String {
    if old == new {
        return String::new();
    }
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let script = edits(&old_lines, &new_lines);
    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    let changes: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, e)| !matches!(e, Edit::Keep(..)))
        .map(|(k, _)| k)
        .collect();
    let mut k = 0;
    while k < changes.len() {
        // Group changes whose context windows touch into one hunk.
        let first = changes[k];
        let mut last = first;
        while k + 1 < changes.len() && changes[k + 1] - last <= 2 * context + 1 {
            k += 1;
            last = changes[k];
        }
        k += 1;
        let start = first.saturating_sub(context);
        let end = (last + context + 1).min(script.len());
        let hunk = &script[start..end];
        // Position of the hunk in each file: lines of that file before it.
        let old_start = script[..start]
            .iter()
            .filter(|e| !matches!(e, Edit::Add(_)))
            .count();
        let new_start = script[..start]
            .iter()
            .filter(|e| !matches!(e, Edit::Remove(_)))
            .count();
        let old_count = hunk.iter().filter(|e| !matches!(e, Edit::Add(_))).count();
        let new_count = hunk
            .iter()
            .filter(|e| !matches!(e, Edit::Remove(_)))
            .count();
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(old_start, old_count),
            range(new_start, new_count)
        ));
        for edit in hunk {
            let (sign, line) = match *edit {
                Edit::Keep(i, _) => (' ', old_lines[i]),
                Edit::Remove(i) => ('-', old_lines[i]),
                Edit::Add(j) => ('+', new_lines[j]),
            };
            out.push(sign);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// Frontmatter of an entity without its `id` (equal on both sides of a
/// comparison with the stored version by construction).
fn comparable(entity: &Entity) -> Version {
    let mut fields = entity.fields.clone();
    fields.remove("id");
    Version {
        fields,
        body: entity.body.clone(),
    }
}

impl EntityService {
    /// Compares two versions of an entity of `entity_type`.
    ///
    /// # Errors
    /// [`crate::EntityError::NotFound`] for an unknown type.
    pub async fn compare_versions(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        left: &Version,
        right: &Version,
    ) -> EntityResult<Comparison> {
        self.template(tenant, entity_type).await?;
        Ok(compare(left, right))
    }

    /// Compares the stored entity (left) with what an update applying
    /// `changes` would make of it (right): the same rules as an update, so
    /// keys not given stay and a `null` field removes its key. Nothing is
    /// written.
    ///
    /// # Errors
    /// [`crate::EntityError::NotFound`] for an unknown type or id;
    /// [`crate::EntityError::Invalid`] for changes an update would refuse.
    pub async fn compare_with_stored(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        changes: EntityChanges,
    ) -> EntityResult<Comparison> {
        let template = self.template(tenant, entity_type).await?;
        let id = EntityId::parse(id).map_err(|_| not_found(entity_type, id))?;
        let stored = self
            .index()
            .get(tenant, &template.entity_type, &id)
            .await?
            .ok_or_else(|| not_found(entity_type, id.as_str()))?;
        let mut document = studiobrain_markdown::Document::new(stored.fields.clone(), &stored.body);
        apply(&mut document, changes)?;
        let mut proposed = document.frontmatter.to_map();
        proposed.remove("id");
        let proposed = Version {
            fields: proposed,
            body: document.body,
        };
        Ok(compare(&comparable(&stored), &proposed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn fields_are_added_removed_changed_or_unchanged() {
        let old = map(json!({"name": "Rex", "age": 34, "tags": ["a"], "gone": true}));
        let new = map(json!({"name": "Rex", "age": 35, "tags": ["a", "b"], "home": "Oslo"}));
        let diff = diff_fields(&old, &new);
        assert_eq!(diff.added, vec![("home".to_owned(), json!("Oslo"))]);
        assert_eq!(diff.removed, vec![("gone".to_owned(), json!(true))]);
        assert_eq!(
            diff.changed,
            vec![
                ChangedField {
                    field: "age".into(),
                    old: json!(34),
                    new: json!(35)
                },
                ChangedField {
                    field: "tags".into(),
                    old: json!(["a"]),
                    new: json!(["a", "b"])
                },
            ]
        );
        assert_eq!(diff.unchanged, 1);
        assert!(diff_fields(&old, &old).is_empty());
    }

    #[test]
    fn equal_texts_have_an_empty_diff() {
        assert_eq!(unified_diff("a\nb\n", "a\nb\n", "a", "b", 3), "");
    }

    #[test]
    fn a_changed_line_gets_one_hunk_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified_diff(old, new, "a/body", "b/body", 3),
            "--- a/body\n+++ b/body\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn distant_changes_get_separate_hunks_and_near_ones_merge() {
        let lines = |swap: &[(u32, &str)]| -> String {
            (1..=20)
                .map(|n| match swap.iter().find(|(k, _)| *k == n) {
                    Some((_, word)) => format!("{word}\n"),
                    None => format!("{n}\n"),
                })
                .collect()
        };
        let old = lines(&[]);
        let new = lines(&[(2, "two"), (19, "nineteen")]);
        let diff = unified_diff(&old, &new, "a", "b", 2);
        assert_eq!(
            diff,
            "--- a\n+++ b\n@@ -1,4 +1,4 @@\n 1\n-2\n+two\n 3\n 4\n@@ -17,4 +17,4 @@\n 17\n 18\n-19\n+nineteen\n 20\n"
        );
        let near = lines(&[(5, "five"), (8, "eight")]);
        let diff = unified_diff(&old, &near, "a", "b", 1);
        assert!(
            diff.contains("@@ -4,6 +4,6 @@\n 4\n-5\n+five\n 6\n 7\n-8\n+eight\n 9\n"),
            "{diff}"
        );
        assert_eq!(diff.matches("@@ -").count(), 1);
    }

    #[test]
    fn insertions_deletions_and_empty_sides_follow_gnu_ranges() {
        assert_eq!(
            unified_diff("", "a\nb\n", "a", "b", 3),
            "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n"
        );
        assert_eq!(
            unified_diff("a\nb\nc\n", "a\nc\n", "a", "b", 0),
            "--- a\n+++ b\n@@ -2 +1,0 @@\n-b\n"
        );
        assert_eq!(
            unified_diff("a\n", "a\nb", "a", "b", 3),
            "--- a\n+++ b\n@@ -1 +1,2 @@\n a\n+b\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn the_lcs_keeps_the_longest_common_lines() {
        let diff = unified_diff("a\nb\nc\nd\n", "b\nc\nx\nd\n", "a", "b", 0);
        assert_eq!(diff, "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n@@ -3,0 +3 @@\n+x\n");
    }

    #[test]
    fn huge_blocks_fall_back_to_replacing_the_block() {
        let old: String = (0..2_100).map(|n| format!("o{n}\n")).collect();
        let new: String = (0..2_100).map(|n| format!("n{n}\n")).collect();
        let diff = unified_diff(&old, &new, "a", "b", 0);
        let count = |sign: char| {
            diff.lines()
                .filter(|l| l.starts_with(sign) && !l.starts_with("---") && !l.starts_with("+++"))
                .count()
        };
        assert_eq!((count('-'), count('+')), (2_100, 2_100));
        assert!(diff.starts_with("--- a\n+++ b\n@@ -1,2100 +1,2100 @@\n-o0\n"));
    }

    #[test]
    fn comparisons_report_identity() {
        let version = Version {
            fields: map(json!({"name": "Rex"})),
            body: "# Rex\n".into(),
        };
        assert!(compare(&version, &version).identical());
        let other = Version {
            body: "# Rex!\n".into(),
            ..version.clone()
        };
        let comparison = compare(&version, &other);
        assert!(!comparison.identical());
        assert!(comparison.fields.is_empty());
        assert_eq!(
            comparison.body_diff,
            "--- a/body\n+++ b/body\n@@ -1 +1 @@\n-# Rex\n+# Rex!\n"
        );
    }
}
