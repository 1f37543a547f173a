//! Cross-references: questions over the links themselves. Which links
//! match a filter ([`EdgeFilter`]), who is romantically tied to whom and
//! whether it is mutual ([`romance`]), which factions are in conflict
//! ([`faction_conflicts`]), and which of an entity's references are broken
//! or one-sided ([`validate`]).
//!
//! A link is romantic or hostile by its field or label (see [`ROMANTIC`]
//! and [`HOSTILE`]), compared in lowercase.

use crate::resolve::{Key, Resolver, key_of, source_of};
use std::collections::{BTreeMap, HashMap, HashSet};
use studiobrain_entity::links::{Edge, Link, LinkOrigin};

/// Fields and labels that make a link romantic.
pub const ROMANTIC: [&str; 14] = [
    "romantic",
    "romance",
    "partner",
    "partners",
    "spouse",
    "lover",
    "lovers",
    "ex",
    "crush",
    "complicated",
    "married",
    "betrothed",
    "fiance",
    "fiancee",
];

/// Fields and labels that make a link hostile.
pub const HOSTILE: [&str; 14] = [
    "enemies",
    "enemy",
    "rivals",
    "rival",
    "nemesis",
    "antagonist",
    "hostile",
    "sworn_enemy",
    "open_warfare",
    "cold_war",
    "war",
    "at_war",
    "feud",
    "hostile_factions",
];

/// Whether the field or label of `link` is one of `words`.
fn labelled(link: &Link, words: &[&str]) -> bool {
    let is = |text: &str| words.contains(&text.to_lowercase().as_str());
    is(&link.field) || link.label.as_deref().is_some_and(is)
}

/// Whether `link` says its source loves its target.
pub fn is_romantic(link: &Link) -> bool {
    labelled(link, &ROMANTIC)
}

/// Whether `link` says its source is hostile to its target.
pub fn is_hostile(link: &Link) -> bool {
    labelled(link, &HOSTILE)
}

/// Which links a cross-reference query returns; every given part must
/// match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeFilter {
    /// The entity holding the link.
    pub source: Option<Key>,
    /// The entity named (resolved; untyped links included).
    pub target: Option<Key>,
    /// The field holding it.
    pub field: Option<String>,
    /// Its label (case-insensitive).
    pub label: Option<String>,
    /// Where it was found.
    pub origin: Option<LinkOrigin>,
}

impl EdgeFilter {
    /// Whether `edge`, whose target resolves to `target`, matches.
    pub fn matches(&self, edge: &Edge, target: Option<&Key>) -> bool {
        self.source.as_ref().is_none_or(|s| *s == source_of(edge))
            && self.target.as_ref().is_none_or(|t| target == Some(t))
            && self.field.as_ref().is_none_or(|f| *f == edge.link.field)
            && self.label.as_ref().is_none_or(|l| {
                edge.link
                    .label
                    .as_ref()
                    .is_some_and(|label| label.eq_ignore_ascii_case(l))
            })
            && self.origin.is_none_or(|o| o == edge.link.origin)
    }
}

/// A romantic tie between two entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomanticPair {
    /// One (the smaller key, or the focus).
    pub a: Key,
    /// The other.
    pub b: Key,
    /// How `a` names `b` (labels, else fields).
    pub a_to_b: Vec<String>,
    /// How `b` names `a`.
    pub b_to_a: Vec<String>,
    /// Whether both name each other.
    pub reciprocal: bool,
}

/// How a link is described: its label, else its field, else its origin.
fn describe(link: &Link) -> String {
    link.label
        .clone()
        .filter(|l| !l.is_empty())
        .or_else(|| (!link.field.is_empty()).then(|| link.field.clone()))
        .unwrap_or_else(|| link.origin.as_str().to_owned())
}

/// The resolved (source, target) pairs of the edges `keep` accepts, with
/// the link.
fn resolved<'a>(
    resolver: &'a Resolver,
    edges: &'a [Edge],
    keep: impl Fn(&Link) -> bool + 'a,
) -> impl Iterator<Item = (Key, Key, &'a Link)> + 'a {
    edges.iter().filter_map(move |edge| {
        if !keep(&edge.link) {
            return None;
        }
        let source = source_of(edge);
        resolver.node(&source)?;
        let target = key_of(resolver.target(&edge.link)?);
        (source != target).then_some((source, target, &edge.link))
    })
}

/// The romantic ties among `edges` (those of `focus` only when given),
/// mutual ones first.
pub fn romance(resolver: &Resolver, edges: &[Edge], focus: Option<&Key>) -> Vec<RomanticPair> {
    let mut ties: BTreeMap<(Key, Key), (Vec<String>, Vec<String>)> = BTreeMap::new();
    for (source, target, link) in resolved(resolver, edges, is_romantic) {
        let forward = match focus {
            Some(focus) if *focus == source => true,
            Some(focus) if *focus == target => false,
            Some(_) => continue,
            None => source < target,
        };
        let (pair, side) = if forward {
            ((source, target), 0)
        } else {
            ((target, source), 1)
        };
        let entry = ties.entry(pair).or_default();
        let list = if side == 0 {
            &mut entry.0
        } else {
            &mut entry.1
        };
        let how = describe(link);
        if !list.contains(&how) {
            list.push(how);
        }
    }
    let mut pairs: Vec<RomanticPair> = ties
        .into_iter()
        .map(|((a, b), (a_to_b, b_to_a))| RomanticPair {
            reciprocal: !a_to_b.is_empty() && !b_to_a.is_empty(),
            a,
            b,
            a_to_b,
            b_to_a,
        })
        .collect();
    pairs.sort_by_key(|p| !p.reciprocal);
    pairs
}

/// Why two factions are in conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    /// One faction names the other as hostile.
    Declared {
        /// The faction declaring it.
        by: Key,
        /// The faction it is declared against.
        against: Key,
        /// The field or label saying so.
        how: String,
    },
    /// A member of one is hostile to a member of the other.
    Members {
        /// The hostile member.
        from: Key,
        /// The member it is hostile to.
        to: Key,
        /// The field or label saying so.
        how: String,
    },
}

/// Two factions in conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactionConflict {
    /// One faction (the smaller key, or the focus).
    pub a: Key,
    /// The other.
    pub b: Key,
    /// Every reason found.
    pub reasons: Vec<ConflictReason>,
}

/// The factions of each member: its non-hostile field links to factions.
fn memberships(resolver: &Resolver, edges: &[Edge]) -> HashMap<Key, HashSet<Key>> {
    let mut factions: HashMap<Key, HashSet<Key>> = HashMap::new();
    for (member, faction, _) in resolved(resolver, edges, |link| {
        link.origin == LinkOrigin::Field && !is_hostile(link)
    }) {
        if faction.0.as_str() == "faction" && member.0.as_str() != "faction" {
            factions.entry(member).or_default().insert(faction);
        }
    }
    factions
}

/// The factions in conflict (with `focus` only, when given), most reasons
/// first: declared hostility between factions, and hostility between
/// members of different factions.
pub fn faction_conflicts(
    resolver: &Resolver,
    edges: &[Edge],
    focus: Option<&Key>,
) -> Vec<FactionConflict> {
    let factions = memberships(resolver, edges);
    let mut conflicts: BTreeMap<(Key, Key), Vec<ConflictReason>> = BTreeMap::new();
    let mut add = |x: &Key, y: &Key, reason: ConflictReason| {
        if x == y {
            return;
        }
        let pair = match focus {
            Some(focus) if focus == x => (x.clone(), y.clone()),
            Some(focus) if focus == y => (y.clone(), x.clone()),
            Some(_) => return,
            None if x < y => (x.clone(), y.clone()),
            None => (y.clone(), x.clone()),
        };
        let reasons = conflicts.entry(pair).or_default();
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    };
    for (source, target, link) in resolved(resolver, edges, is_hostile) {
        let how = describe(link);
        if source.0.as_str() == "faction" && target.0.as_str() == "faction" {
            add(
                &source,
                &target,
                ConflictReason::Declared {
                    by: source.clone(),
                    against: target.clone(),
                    how,
                },
            );
            continue;
        }
        let (Some(ours), Some(theirs)) = (factions.get(&source), factions.get(&target)) else {
            continue;
        };
        for x in ours {
            for y in theirs.iter().filter(|y| !ours.contains(y)) {
                add(
                    x,
                    y,
                    ConflictReason::Members {
                        from: source.clone(),
                        to: target.clone(),
                        how: how.clone(),
                    },
                );
            }
        }
    }
    let mut conflicts: Vec<FactionConflict> = conflicts
        .into_iter()
        .map(|((a, b), reasons)| FactionConflict { a, b, reasons })
        .collect();
    conflicts.sort_by_key(|c| std::cmp::Reverse(c.reasons.len()));
    conflicts
}

/// The findings of [`validate`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferenceReport {
    /// Links checked.
    pub checked: usize,
    /// Links naming no entity.
    pub dangling: Vec<Link>,
    /// Field links to an entity that does not link back.
    pub non_reciprocal: Vec<(Link, Key)>,
}

/// Checks the links of `entity`: `outgoing` are its links, `incoming` the
/// links naming it.
pub fn validate(
    resolver: &Resolver,
    entity: &Key,
    outgoing: &[Edge],
    incoming: &[Edge],
) -> ReferenceReport {
    let linked_back: HashSet<Key> = incoming
        .iter()
        .filter(|edge| {
            resolver
                .target(&edge.link)
                .is_some_and(|n| key_of(n) == *entity)
        })
        .map(source_of)
        .collect();
    let mut report = ReferenceReport::default();
    for edge in outgoing.iter().filter(|e| source_of(e) == *entity) {
        report.checked += 1;
        match resolver.target(&edge.link) {
            None => report.dangling.push(edge.link.clone()),
            Some(target) => {
                let target = key_of(target);
                if edge.link.origin == LinkOrigin::Field
                    && target != *entity
                    && !linked_back.contains(&target)
                {
                    report.non_reciprocal.push((edge.link.clone(), target));
                }
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_entity::links::Node;
    use studiobrain_entity::{EntityId, EntityType};

    fn key(t: &str, id: &str) -> Key {
        (
            EntityType::parse(t).expect("type"),
            EntityId::parse(id).expect("id"),
        )
    }

    fn node(t: &str, id: &str) -> Node {
        Node {
            entity_type: EntityType::parse(t).expect("type"),
            id: EntityId::parse(id).expect("id"),
            name: id.into(),
            status: "active".into(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn edge(from: (&str, &str), to: (&str, &str), field: &str, label: Option<&str>) -> Edge {
        Edge {
            source_type: EntityType::parse(from.0).expect("type"),
            source_id: EntityId::parse(from.1).expect("id"),
            link: Link {
                target_type: Some(EntityType::parse(to.0).expect("type")),
                target_id: to.1.into(),
                field: field.into(),
                label: label.map(Into::into),
                origin: LinkOrigin::Field,
            },
        }
    }

    fn world() -> (Resolver, Vec<Edge>) {
        let resolver = Resolver::new([
            node("character", "ana"),
            node("character", "bo"),
            node("character", "cy"),
            node("faction", "guild"),
            node("faction", "crows"),
            node("faction", "tide"),
        ]);
        let edges = vec![
            edge(
                ("character", "ana"),
                ("character", "bo"),
                "romantic",
                Some("partner"),
            ),
            edge(
                ("character", "bo"),
                ("character", "ana"),
                "family",
                Some("spouse"),
            ),
            edge(
                ("character", "cy"),
                ("character", "ana"),
                "romantic",
                Some("crush"),
            ),
            edge(("character", "ana"), ("faction", "guild"), "faction", None),
            edge(("character", "cy"), ("faction", "crows"), "faction", None),
            edge(
                ("character", "cy"),
                ("character", "bo"),
                "rivals",
                Some("rival"),
            ),
            edge(("character", "bo"), ("faction", "guild"), "faction", None),
            edge(
                ("faction", "tide"),
                ("faction", "guild"),
                "enemies",
                Some("open_warfare"),
            ),
            edge(("character", "ana"), ("location", "nowhere"), "home", None),
        ];
        (resolver, edges)
    }

    #[test]
    fn romance_pairs_tell_mutual_from_one_sided() {
        let (resolver, edges) = world();
        let pairs = romance(&resolver, &edges, None);
        assert_eq!(pairs.len(), 2);
        assert!(pairs[0].reciprocal);
        assert_eq!(pairs[0].a_to_b, ["partner"]);
        assert_eq!(pairs[0].b_to_a, ["spouse"]);
        assert!(!pairs[1].reciprocal);
        let for_cy = romance(&resolver, &edges, Some(&key("character", "cy")));
        assert_eq!(for_cy.len(), 1);
        assert_eq!(for_cy[0].a_to_b, ["crush"]);
        assert!(for_cy[0].b_to_a.is_empty());
    }

    #[test]
    fn factions_conflict_by_declaration_and_by_members() {
        let (resolver, edges) = world();
        let conflicts = faction_conflicts(&resolver, &edges, None);
        assert_eq!(conflicts.len(), 2);
        let pairs: Vec<_> = conflicts
            .iter()
            .map(|c| (c.a.1.as_str(), c.b.1.as_str()))
            .collect();
        assert!(pairs.contains(&("guild", "tide")));
        assert!(pairs.contains(&("crows", "guild")));
        let members = conflicts
            .iter()
            .find(|c| c.a.1.as_str() == "crows")
            .expect("crows");
        assert_eq!(
            members.reasons,
            [ConflictReason::Members {
                from: key("character", "cy"),
                to: key("character", "bo"),
                how: "rival".into(),
            }]
        );
        let for_tide = faction_conflicts(&resolver, &edges, Some(&key("faction", "tide")));
        assert_eq!(for_tide.len(), 1);
        assert_eq!(for_tide[0].a, key("faction", "tide"));
    }

    #[test]
    fn validation_finds_dangling_and_one_sided_references() {
        let (resolver, edges) = world();
        let ana = key("character", "ana");
        let report = validate(&resolver, &ana, &edges, &edges);
        assert_eq!(report.checked, 3);
        assert_eq!(report.dangling.len(), 1);
        assert_eq!(report.dangling[0].target_id, "nowhere");
        let one_sided: Vec<_> = report
            .non_reciprocal
            .iter()
            .map(|(_, k)| k.1.as_str())
            .collect();
        assert_eq!(one_sided, ["guild"]);
    }

    #[test]
    fn filters_match_every_given_part() {
        let (resolver, edges) = world();
        let filter = EdgeFilter {
            label: Some("PARTNER".into()),
            target: Some(key("character", "bo")),
            ..EdgeFilter::default()
        };
        let found: Vec<_> = edges
            .iter()
            .filter(|e| filter.matches(e, resolver.target(&e.link).map(key_of).as_ref()))
            .collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].source_id.as_str(), "ana");
    }
}
