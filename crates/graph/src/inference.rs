//! Relationships nobody wrote down but the links imply, each with the
//! evidence that suggests it:
//! - two entities that reference the same location (or district) share it;
//! - two entities that reference the same faction (not as an enemy) share it;
//! - two entities mentioned in the body of the same third entity are
//!   co-mentioned there.
//!
//! Groups larger than a limit say little about any one pair and are skipped
//! (a capital city everyone lives in).

use crate::crossref::is_hostile;
use crate::resolve::{Key, Resolver, key_of, source_of};
use std::collections::{BTreeMap, HashMap};
use studiobrain_entity::links::{Edge, LinkOrigin};

/// Most members of a group whose pairs are inferred when looking at the
/// whole tenant.
pub const MAX_GROUP: usize = 50;
/// Most members of a group when looking at one entity's pairs only.
pub const MAX_GROUP_FOCUSED: usize = 1_000;

/// Types whose shared references count as a shared location.
const PLACES: [&str; 3] = ["location", "district", "biome"];

/// What an inference rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InferenceKind {
    /// Both reference the same place.
    SharedLocation,
    /// Both reference the same faction.
    SharedFaction,
    /// Both are mentioned in the same entity's body.
    CoMention,
}

impl InferenceKind {
    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SharedLocation => "shared_location",
            Self::SharedFaction => "shared_faction",
            Self::CoMention => "co_mention",
        }
    }
}

/// One piece of evidence for an inferred relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// What kind.
    pub kind: InferenceKind,
    /// The entity both are tied to (the place, the faction, the mentioning
    /// entity).
    pub via: Key,
    /// Its name.
    pub via_name: String,
    /// How each is tied to it, e.g. `a.primary_location, b.headquarters`.
    pub detail: String,
}

/// A relationship inferred between `a` and `b` (`a` < `b`, or `a` the
/// focus).
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    /// One end.
    pub a: Key,
    /// The other end.
    pub b: Key,
    /// Why.
    pub evidence: Vec<Evidence>,
    /// 0 to 1: each piece of evidence halves the doubt.
    pub strength: f64,
}

/// A member of a group and how it is tied to the group's entity.
type Member = (Key, String);

/// The groups of entities tied to one entity, by kind and that entity.
fn groups(resolver: &Resolver, edges: &[Edge]) -> BTreeMap<(InferenceKind, Key), Vec<Member>> {
    let mut groups: BTreeMap<(InferenceKind, Key), Vec<Member>> = BTreeMap::new();
    for edge in edges {
        let source = source_of(edge);
        let Some(target) = resolver.target(&edge.link) else {
            continue;
        };
        let target = key_of(target);
        if resolver.node(&source).is_none() || source == target {
            continue;
        }
        let link = &edge.link;
        let (kind, via, member, how) = match link.origin {
            LinkOrigin::Field if PLACES.contains(&target.0.as_str()) => (
                InferenceKind::SharedLocation,
                target,
                source,
                link.field.clone(),
            ),
            LinkOrigin::Field if target.0.as_str() == "faction" && !is_hostile(link) => (
                InferenceKind::SharedFaction,
                target,
                source,
                link.field.clone(),
            ),
            LinkOrigin::Wikilink | LinkOrigin::MarkdownLink => {
                (InferenceKind::CoMention, source, target, "body".to_owned())
            }
            LinkOrigin::Field => continue,
        };
        let members = groups.entry((kind, via)).or_default();
        if !members.iter().any(|(key, _)| *key == member) {
            members.push((member, how));
        }
    }
    groups
}

/// The relationships inferred among the entities of `edges` (all of them,
/// or only those of `focus`), strongest first.
pub fn infer(resolver: &Resolver, edges: &[Edge], focus: Option<&Key>) -> Vec<Inferred> {
    let limit = if focus.is_some() {
        MAX_GROUP_FOCUSED
    } else {
        MAX_GROUP
    };
    let mut pairs: HashMap<(Key, Key), Vec<Evidence>> = HashMap::new();
    for ((kind, via), members) in groups(resolver, edges) {
        if members.len() < 2 || members.len() > limit {
            continue;
        }
        let via_name = resolver
            .node(&via)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        for (i, (a, how_a)) in members.iter().enumerate() {
            for (b, how_b) in &members[i + 1..] {
                let (first, second) = match focus {
                    Some(focus) if a == focus => ((a, how_a), (b, how_b)),
                    Some(focus) if b == focus => ((b, how_b), (a, how_a)),
                    Some(_) => continue,
                    None if a < b => ((a, how_a), (b, how_b)),
                    None => ((b, how_b), (a, how_a)),
                };
                pairs
                    .entry((first.0.clone(), second.0.clone()))
                    .or_default()
                    .push(Evidence {
                        kind,
                        via: via.clone(),
                        via_name: via_name.clone(),
                        detail: format!("{}.{}, {}.{}", first.0.1, first.1, second.0.1, second.1),
                    });
            }
        }
    }
    let mut inferred: Vec<Inferred> = pairs
        .into_iter()
        .map(|((a, b), evidence)| Inferred {
            strength: 1.0 - 0.5_f64.powi(i32::try_from(evidence.len()).unwrap_or(i32::MAX)),
            a,
            b,
            evidence,
        })
        .collect();
    inferred.sort_by(|x, y| {
        y.strength
            .total_cmp(&x.strength)
            .then_with(|| x.a.cmp(&y.a))
            .then_with(|| x.b.cmp(&y.b))
    });
    inferred
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_entity::links::{Link, Node};
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
            name: format!("The {id}"),
            status: "active".into(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn edge(from: (&str, &str), to: (&str, &str), field: &str, origin: LinkOrigin) -> Edge {
        Edge {
            source_type: EntityType::parse(from.0).expect("type"),
            source_id: EntityId::parse(from.1).expect("id"),
            link: Link {
                target_type: Some(EntityType::parse(to.0).expect("type")),
                target_id: to.1.into(),
                field: field.into(),
                label: None,
                origin,
            },
        }
    }

    #[test]
    fn shared_places_factions_and_mentions_are_evidence() {
        let resolver = Resolver::new([
            node("character", "ana"),
            node("character", "bo"),
            node("character", "cy"),
            node("location", "mill"),
            node("faction", "guild"),
            node("event", "fair"),
        ]);
        let edges = [
            edge(
                ("character", "ana"),
                ("location", "mill"),
                "home",
                LinkOrigin::Field,
            ),
            edge(
                ("character", "bo"),
                ("location", "mill"),
                "work",
                LinkOrigin::Field,
            ),
            edge(
                ("character", "ana"),
                ("faction", "guild"),
                "faction",
                LinkOrigin::Field,
            ),
            edge(
                ("character", "bo"),
                ("faction", "guild"),
                "faction",
                LinkOrigin::Field,
            ),
            edge(
                ("character", "cy"),
                ("faction", "guild"),
                "enemies",
                LinkOrigin::Field,
            ),
            edge(
                ("event", "fair"),
                ("character", "ana"),
                "",
                LinkOrigin::Wikilink,
            ),
            edge(
                ("event", "fair"),
                ("character", "cy"),
                "",
                LinkOrigin::Wikilink,
            ),
        ];
        let all = infer(&resolver, &edges, None);
        assert_eq!(all.len(), 2);
        assert_eq!(
            (&all[0].a, &all[0].b),
            (&key("character", "ana"), &key("character", "bo"))
        );
        assert_eq!(all[0].evidence.len(), 2);
        assert_eq!(all[0].strength, 0.75);
        assert_eq!(all[0].evidence[0].detail, "ana.home, bo.work");
        assert_eq!(all[1].evidence[0].kind, InferenceKind::CoMention);
        assert_eq!(all[1].evidence[0].via_name, "The fair");

        let for_cy = infer(&resolver, &edges, Some(&key("character", "cy")));
        assert_eq!(for_cy.len(), 1);
        assert_eq!(for_cy[0].a, key("character", "cy"));
        assert_eq!(for_cy[0].b, key("character", "ana"));
    }
}
