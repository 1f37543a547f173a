//! The entity index (`EntityIndex`) on SQLite and PostgreSQL: every
//! scenario runs on a fresh SQLite file and on a fresh PostgreSQL database
//! (see [`common`]), plus proof that row-level security confines the
//! `entities` table.

pub mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{on_fresh_database, ports, sqlite_store, sqlite_store_in};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use studiobrain_auth::contract::tenant;
use studiobrain_entity::entity::content_hash;
use studiobrain_entity::links::{Link, LinkIndex, LinkOrigin};
use studiobrain_entity::ports::{EntityIndex, EntityQuery, SortOrder};
use studiobrain_entity::{Entity, EntityError, EntityId, EntityType};
use studiobrain_kernel::TenantId;
use studiobrain_store_sql::SqlStore;

/// A stored tenant to own entities (the index has a foreign key to it).
async fn new_tenant(store: &SqlStore) -> TenantId {
    let tenant = tenant();
    ports(store)
        .tenants
        .insert_tenant(&tenant)
        .await
        .expect("tenant");
    tenant.id
}

/// `2026-11-27 10:00:00 UTC` plus `seconds`.
fn at(seconds: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, seconds)
        .single()
        .expect("valid time")
}

fn kind(name: &str) -> EntityType {
    EntityType::parse(name).expect("valid type")
}

fn id(raw: &str) -> EntityId {
    EntityId::parse(raw).expect("valid id")
}

/// A `character` named `name` with status `status` and the extra frontmatter
/// `extra` (a JSON object), changed `updated` seconds after 10:00.
fn character(raw_id: &str, name: &str, status: &str, extra: Value, updated: u32) -> Entity {
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), name.into());
    fields.insert("status".into(), status.into());
    let Value::Object(extra) = extra else {
        panic!("extra fields must be an object")
    };
    fields.extend(extra);
    let body = format!("# {name}\n");
    Entity {
        entity_type: kind("character"),
        id: id(raw_id),
        name: name.into(),
        status: status.into(),
        fields,
        path: format!("characters/{raw_id}/char_{raw_id}.md"),
        content_hash: content_hash(body.as_bytes()),
        body,
        revision: 1,
        created_at: at(0),
        updated_at: at(updated),
        parse_error: None,
        links: Vec::new(),
    }
}

/// A query for every `character`, newest first, 50 to a page.
fn characters() -> EntityQuery {
    EntityQuery {
        entity_type: kind("character"),
        offset: 0,
        limit: 50,
        search: None,
        status: None,
        sort_by: "updated_at".into(),
        sort_order: SortOrder::Desc,
    }
}

/// Ids of the entities `query` lists for `tenant`, in order, and the total.
async fn listed(store: &SqlStore, tenant: &TenantId, query: &EntityQuery) -> (Vec<String>, u64) {
    let page = store.list(tenant, query).await.expect("list");
    let ids = page.entities.iter().map(|e| e.id.to_string()).collect();
    (ids, page.total)
}

async fn upsert_all(store: &SqlStore, tenant: &TenantId, entities: &[Entity]) {
    for entity in entities {
        store.upsert(tenant, entity).await.expect("upsert");
    }
}

async fn upsert_and_get_round_trip(store: &SqlStore) {
    let t = new_tenant(store).await;
    let rex = character(
        "rex",
        "Rex Marshall",
        "active",
        json!({"zeta": 1, "alpha": {"nested": [1, "two", null]}, "tags": ["noir"]}),
        1,
    );
    assert_eq!(
        store.get(&t, &rex.entity_type, &rex.id).await.expect("get"),
        None
    );
    store.upsert(&t, &rex).await.expect("insert");
    // `Entity` compares `fields` as maps: PostgreSQL's jsonb keeps no key order.
    let stored = store.get(&t, &rex.entity_type, &rex.id).await.expect("get");
    assert_eq!(stored.as_ref(), Some(&rex));

    let mut changed = character("rex", "Rex M.", "retired", json!({"zeta": 2}), 5);
    changed.revision = 2;
    store.upsert(&t, &changed).await.expect("replace");
    let stored = store.get(&t, &rex.entity_type, &rex.id).await.expect("get");
    assert_eq!(stored, Some(changed), "the second upsert replaces the row");
    assert_eq!(
        store
            .get(&t, &kind("location"), &rex.id)
            .await
            .expect("get"),
        None,
        "the type is part of the key"
    );
}

async fn exists_sees_live_entities_only(store: &SqlStore) {
    let t = new_tenant(store).await;
    let rex = character("rex", "Rex", "active", json!({}), 1);
    assert!(
        !store
            .exists(&t, &rex.entity_type, &rex.id)
            .await
            .expect("exists")
    );
    store.upsert(&t, &rex).await.expect("upsert");
    assert!(
        store
            .exists(&t, &rex.entity_type, &rex.id)
            .await
            .expect("exists")
    );
    store
        .mark_deleted(&t, &rex.entity_type, &rex.id, at(9))
        .await
        .expect("delete");
    assert!(
        !store
            .exists(&t, &rex.entity_type, &rex.id)
            .await
            .expect("exists")
    );
    store.upsert(&t, &rex).await.expect("upsert restores");
    assert!(
        store
            .exists(&t, &rex.entity_type, &rex.id)
            .await
            .expect("exists")
    );
    assert_eq!(
        store.get(&t, &rex.entity_type, &rex.id).await.expect("get"),
        Some(rex),
        "an upsert clears the deleted mark"
    );
}

async fn existing_answers_many_keys_in_one_read(store: &SqlStore) {
    let t = new_tenant(store).await;
    let other = new_tenant(store).await;
    let (rex, mira, ann) = (
        character("rex", "Rex", "active", json!({}), 1),
        character("mira", "Mira", "active", json!({}), 2),
        character("ann", "Ann", "active", json!({}), 3),
    );
    store
        .upsert_all(&t, &[rex.clone(), mira.clone()])
        .await
        .expect("upsert");
    store.upsert(&other, &ann).await.expect("other tenant");
    store
        .mark_deleted(&t, &mira.entity_type, &mira.id, at(9))
        .await
        .expect("delete");
    let keys = [
        (kind("character"), id("rex")),
        (kind("location"), id("rex")),
        (kind("character"), id("mira")),
        (kind("character"), id("ann")),
    ];
    let found = store.existing(&t, &keys).await.expect("existing");
    assert_eq!(
        found,
        [(kind("character"), id("rex"))].into_iter().collect(),
        "live, of this type and this tenant only"
    );
    assert!(store.existing(&t, &[]).await.expect("none").is_empty());
}

async fn mark_deleted_hides_the_entity(store: &SqlStore) {
    let t = new_tenant(store).await;
    let rex = character("rex", "Rex", "active", json!({}), 1);
    let mira = character("mira", "Mira", "active", json!({}), 2);
    upsert_all(store, &t, &[rex.clone(), mira]).await;
    store
        .mark_deleted(&t, &rex.entity_type, &rex.id, at(9))
        .await
        .expect("delete");
    assert_eq!(
        store.get(&t, &rex.entity_type, &rex.id).await.expect("get"),
        None
    );
    assert_eq!(
        listed(store, &t, &characters()).await,
        (vec!["mira".into()], 1)
    );
    match store
        .mark_deleted(&t, &rex.entity_type, &rex.id, at(10))
        .await
    {
        Err(EntityError::NotFound(message)) => {
            assert_eq!(message, "Entity not found: character/rex");
        }
        other => panic!("a second delete is NotFound, got {other:?}"),
    }
}

async fn list_filters_by_status_and_search(store: &SqlStore) {
    let t = new_tenant(store).await;
    upsert_all(
        store,
        &t,
        &[
            character(
                "rex",
                "Rex Marshall",
                "active",
                json!({"role": "Detective", "city": "Neo Tokyo"}),
                1,
            ),
            character(
                "mira",
                "Mira Chen",
                "draft",
                json!({"role": "Hacker", "city": "NEO TOKYO"}),
                2,
            ),
            character(
                "tom",
                "Old Tom",
                "active",
                json!({"role": "Bartender", "note": "100% loyal_fan"}),
                3,
            ),
        ],
    )
    .await;
    let mut neo_tokyo = character("neo_tokyo", "Neo Tokyo", "active", json!({}), 4);
    neo_tokyo.entity_type = kind("location");
    store.upsert(&t, &neo_tokyo).await.expect("upsert");

    let query = |status: Option<&str>, search: Option<&str>| EntityQuery {
        status: status.map(Into::into),
        search: search.map(Into::into),
        ..characters()
    };
    let cases: [(Option<&str>, Option<&str>, &[&str]); 10] = [
        (None, None, &["tom", "mira", "rex"]),
        (Some("active"), None, &["tom", "rex"]),
        (Some("Active"), None, &[]),
        (None, Some("neo TOKYO"), &["mira", "rex"]),
        (None, Some("  marshall   DETECTIVE "), &["rex"]),
        (None, Some("marshall hacker"), &[]),
        (Some("draft"), Some("tokyo"), &["mira"]),
        (None, Some("100%"), &["tom"]),
        // Without letters or digits there is nothing to search for.
        (None, Some("%"), &["tom", "mira", "rex"]),
        (None, Some("_"), &["tom", "mira", "rex"]),
    ];
    for (status, search, expected) in cases {
        let (ids, total) = listed(store, &t, &query(status, search)).await;
        assert_eq!(ids, expected, "status {status:?}, search {search:?}");
        assert_eq!(
            total,
            expected.len() as u64,
            "total for {status:?}, {search:?}"
        );
    }
}

async fn list_sorts_and_pages(store: &SqlStore) {
    let t = new_tenant(store).await;
    upsert_all(
        store,
        &t,
        &[
            character("c", "Charlie", "draft", json!({"age": 100, "rank": "b"}), 4),
            character("a", "Alpha", "active", json!({"age": 9, "rank": "c"}), 2),
            character("d", "Delta", "draft", json!({"rank": "a"}), 1),
            character("b", "Bravo", "active", json!({"age": 30, "rank": null}), 3),
        ],
    )
    .await;
    let sorted = |sort_by: &str, sort_order: SortOrder| EntityQuery {
        sort_by: sort_by.into(),
        sort_order,
        ..characters()
    };
    let cases: [(&str, SortOrder, [&str; 4]); 9] = [
        ("name", SortOrder::Asc, ["a", "b", "c", "d"]),
        ("name", SortOrder::Desc, ["d", "c", "b", "a"]),
        // Ties are broken by id.
        ("status", SortOrder::Asc, ["a", "b", "c", "d"]),
        ("updated_at", SortOrder::Desc, ["c", "b", "a", "d"]),
        ("created_at", SortOrder::Asc, ["a", "b", "c", "d"]),
        // Numbers by value; entities without the field (or null) last.
        ("age", SortOrder::Asc, ["a", "b", "c", "d"]),
        ("age", SortOrder::Desc, ["c", "b", "a", "d"]),
        ("rank", SortOrder::Asc, ["d", "c", "a", "b"]),
        // Anything but a plain field name sorts by `updated_at`.
        (
            "rank'; DROP TABLE entities; --",
            SortOrder::Asc,
            ["d", "a", "b", "c"],
        ),
    ];
    for (sort_by, order, expected) in cases {
        let (ids, total) = listed(store, &t, &sorted(sort_by, order)).await;
        assert_eq!(ids, expected, "sorted by {sort_by} {order:?}");
        assert_eq!(total, 4);
    }

    let page = |offset: u64, limit: u64| EntityQuery {
        offset,
        limit,
        ..sorted("name", SortOrder::Asc)
    };
    assert_eq!(
        listed(store, &t, &page(1, 2)).await,
        (vec!["b".into(), "c".into()], 4)
    );
    assert_eq!(listed(store, &t, &page(3, 2)).await, (vec!["d".into()], 4));
    assert_eq!(listed(store, &t, &page(4, 2)).await, (vec![], 4));
    let filtered = EntityQuery {
        status: Some("draft".into()),
        ..page(1, 1)
    };
    assert_eq!(listed(store, &t, &filtered).await, (vec!["d".into()], 2));
}

async fn tenants_are_isolated(store: &SqlStore) {
    let a = new_tenant(store).await;
    let b = new_tenant(store).await;
    let rex = character("rex", "Rex of A", "active", json!({}), 1);
    store.upsert(&a, &rex).await.expect("upsert");

    assert_eq!(
        store.get(&b, &rex.entity_type, &rex.id).await.expect("get"),
        None
    );
    assert!(
        !store
            .exists(&b, &rex.entity_type, &rex.id)
            .await
            .expect("exists")
    );
    assert_eq!(listed(store, &b, &characters()).await, (vec![], 0));
    assert!(matches!(
        store
            .mark_deleted(&b, &rex.entity_type, &rex.id, at(9))
            .await,
        Err(EntityError::NotFound(_))
    ));

    let rex_of_b = character("rex", "Rex of B", "draft", json!({}), 2);
    store
        .upsert(&b, &rex_of_b)
        .await
        .expect("same id in another tenant");
    assert_eq!(
        store.get(&a, &rex.entity_type, &rex.id).await.expect("get"),
        Some(rex)
    );
    assert_eq!(
        store
            .get(&b, &rex_of_b.entity_type, &rex_of_b.id)
            .await
            .expect("get"),
        Some(rex_of_b)
    );
}

async fn recycle_bin_lists_and_purges_deleted_rows(store: &SqlStore) {
    let a = new_tenant(store).await;
    let b = new_tenant(store).await;
    let rex = character("rex", "Rex", "active", json!({"age": 34}), 1);
    let mira = character("mira", "Mira", "active", json!({}), 2);
    let ann = character("ann", "Ann", "active", json!({}), 3);
    upsert_all(store, &a, &[rex.clone(), mira.clone(), ann.clone()]).await;
    store.upsert(&b, &rex).await.expect("upsert");
    assert!(store.list_deleted(&a).await.expect("list").is_empty());

    let kind = kind("character");
    store
        .mark_deleted(&a, &kind, &rex.id, at(5))
        .await
        .expect("delete");
    store
        .mark_deleted(&a, &kind, &mira.id, at(9))
        .await
        .expect("delete");
    store
        .mark_deleted(&b, &kind, &rex.id, at(7))
        .await
        .expect("delete");

    let bin = store.list_deleted(&a).await.expect("list");
    let listed: Vec<_> = bin
        .iter()
        .map(|d| (d.entity.id.to_string(), d.deleted_at))
        .collect();
    assert_eq!(
        listed,
        vec![("mira".to_owned(), at(9)), ("rex".to_owned(), at(5))],
        "newest deletion first, this tenant only"
    );
    assert_eq!(bin[1].entity, rex, "the row as it was deleted");

    assert!(
        matches!(
            store.purge(&a, &kind, &ann.id).await,
            Err(EntityError::NotFound(_))
        ),
        "a live row is not purged"
    );
    assert!(store.exists(&a, &kind, &ann.id).await.expect("exists"));
    store.purge(&a, &kind, &rex.id).await.expect("purge");
    assert!(matches!(
        store.purge(&a, &kind, &rex.id).await,
        Err(EntityError::NotFound(_))
    ));
    assert_eq!(store.list_deleted(&a).await.expect("list").len(), 1);
    assert_eq!(
        store.list_deleted(&b).await.expect("list").len(),
        1,
        "the other tenant's bin is untouched"
    );

    // A restore upserts the row again, which clears the deleted mark.
    store.upsert(&a, &mira).await.expect("restore");
    assert!(store.list_deleted(&a).await.expect("list").is_empty());
    assert_eq!(
        store.get(&a, &kind, &mira.id).await.expect("get"),
        Some(mira)
    );
}

async fn fingerprints_counts_and_removal(store: &SqlStore) {
    let t = new_tenant(store).await;
    let other = new_tenant(store).await;
    let rex = character("rex", "Rex", "active", json!({}), 1);
    let mira = character("mira", "Mira", "active", json!({}), 2);
    let mut broken = character("ann", "ann", "", json!({}), 3);
    broken.fields.clear();
    broken.parse_error = Some("line 2: mapping values are not allowed".into());
    upsert_all(store, &t, &[rex.clone(), mira.clone(), broken.clone()]).await;
    upsert_all(
        store,
        &other,
        &[character("zed", "Zed", "draft", json!({}), 1)],
    )
    .await;

    let stored = store
        .get(&t, &broken.entity_type, &broken.id)
        .await
        .expect("get");
    assert_eq!(stored, Some(broken.clone()), "the parse error round-trips");

    let files = store.files(&t, &kind("character")).await.expect("files");
    assert!(
        store
            .files(&t, &kind("location"))
            .await
            .expect("files")
            .is_empty()
    );
    let ids: Vec<&str> = files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        ["ann", "mira", "rex"],
        "this tenant's rows, by type and id"
    );
    assert_eq!(files[2].content_hash, rex.content_hash);
    assert_eq!(files[2].path, rex.path);

    let counts = store.status_counts(&t).await.expect("counts");
    let counts: Vec<(&str, u64)> = counts
        .iter()
        .map(|c| (c.status.as_str(), c.count))
        .collect();
    assert_eq!(counts, [("", 1), ("active", 2)]);

    store
        .mark_deleted(&t, &mira.entity_type, &mira.id, at(9))
        .await
        .expect("delete");
    store
        .remove_all(
            &t,
            &[
                (rex.entity_type.clone(), rex.id.clone()),
                (mira.entity_type.clone(), mira.id.clone()),
            ],
        )
        .await
        .expect("remove");
    assert_eq!(
        store.get(&t, &rex.entity_type, &rex.id).await.expect("get"),
        None
    );
    assert_eq!(
        store.list_deleted(&t).await.expect("bin").len(),
        1,
        "a deleted row is not a live row: removal leaves the recycle bin alone"
    );
    assert_eq!(
        store
            .files(&other, &kind("character"))
            .await
            .expect("files")
            .len(),
        1,
        "other tenant untouched"
    );
}

/// A link of the field `allies` from a character to the character `target`.
fn ally(target: &str) -> Link {
    Link {
        target_type: Some(kind("character")),
        target_id: target.into(),
        field: "allies".into(),
        label: Some("ally".into()),
        origin: LinkOrigin::Field,
    }
}

/// The `(source id, target id)` of every link the characters `ids` hold.
async fn links_from(store: &SqlStore, tenant: &TenantId, ids: &[&str]) -> Vec<(String, String)> {
    let sources: Vec<_> = ids.iter().map(|raw| (kind("character"), id(raw))).collect();
    let mut links: Vec<_> = store
        .outgoing(tenant, &sources)
        .await
        .expect("outgoing")
        .into_iter()
        .map(|edge| (edge.source_id.to_string(), edge.link.target_id))
        .collect();
    links.sort();
    links
}

async fn batched_upserts_replace_rows_and_links(store: &SqlStore) {
    let t = new_tenant(store).await;
    let other = new_tenant(store).await;
    // More rows and links than one statement carries.
    let crowd: Vec<Entity> = (0..250)
        .map(|n| {
            let mut entity = character(&format!("c{n:03}"), "Extra", "active", json!({}), 1);
            entity.links = (0..5)
                .map(|k| ally(&format!("c{:03}", (n + k + 1) % 250)))
                .collect();
            entity
        })
        .collect();
    store.upsert_all(&t, &crowd).await.expect("first batch");
    store
        .upsert_all(&other, &crowd[..1])
        .await
        .expect("other tenant");
    assert_eq!(listed(store, &t, &characters()).await.1, 250);
    assert_eq!(
        links_from(store, &t, &["c000", "c249"]).await,
        [
            ("c000".into(), "c001".into()),
            ("c000".into(), "c002".into()),
            ("c000".into(), "c003".into()),
            ("c000".into(), "c004".into()),
            ("c000".into(), "c005".into()),
            ("c249".into(), "c000".into()),
            ("c249".into(), "c001".into()),
            ("c249".into(), "c002".into()),
            ("c249".into(), "c003".into()),
            ("c249".into(), "c004".into()),
        ]
    );

    // A batch naming an entity twice keeps its last version, as writing
    // them one after another would; links are replaced, not added.
    let mut first = character("c000", "First", "draft", json!({}), 2);
    first.links = vec![ally("c100")];
    let mut last = character("c000", "Last", "retired", json!({}), 3);
    last.links = vec![ally("c200"), ally("c201")];
    let mut quiet = crowd[1].clone();
    quiet.links.clear();
    store
        .upsert_all(&t, &[first, quiet, last.clone()])
        .await
        .expect("second batch");
    assert_eq!(
        store
            .get(&t, &last.entity_type, &last.id)
            .await
            .expect("get"),
        Some(last)
    );
    assert_eq!(
        links_from(store, &t, &["c000", "c001"]).await,
        [
            ("c000".into(), "c200".into()),
            ("c000".into(), "c201".into())
        ]
    );
    assert_eq!(
        links_from(store, &other, &["c000"]).await.len(),
        5,
        "the other tenant's links stay"
    );

    // A write of other fields keeps the links; a deleted entity has none,
    // and gets them back when written again with the same links.
    let mut renamed = crowd[2].clone();
    renamed.name = "Renamed".into();
    store.upsert(&t, &renamed).await.expect("rename");
    assert_eq!(links_from(store, &t, &["c002"]).await.len(), 5);
    store
        .mark_deleted(&t, &renamed.entity_type, &renamed.id, at(9))
        .await
        .expect("delete");
    assert!(links_from(store, &t, &["c002"]).await.is_empty());
    store.upsert(&t, &renamed).await.expect("restore");
    assert_eq!(links_from(store, &t, &["c002"]).await.len(), 5);
}

async fn activity_is_kept_per_tenant_newest_first(store: &SqlStore) {
    use studiobrain_kernel::{EntityAction, IdGen, UuidV7Gen};
    use studiobrain_sync::activity::{ActivityEntry, ActivityLog, ActivityQuery};
    let a = new_tenant(store).await;
    let b = new_tenant(store).await;
    let entry = |tenant: &TenantId, id: &str, action: EntityAction, by: &str| ActivityEntry {
        id: UuidV7Gen.new_id(),
        tenant_id: tenant.clone(),
        at: at(1),
        action,
        entity_type: "character".into(),
        entity_id: id.into(),
        previous_id: None,
        revision: 1,
        changed_by: by.into(),
    };
    let batch = [
        entry(&a, "rex", EntityAction::Created, "u1"),
        entry(&b, "zed", EntityAction::Created, "u2"),
        entry(&a, "rex", EntityAction::Updated, "file_watcher"),
        entry(&a, "ann", EntityAction::Created, "u1"),
    ];
    store.append(&batch).await.expect("append");
    let all = ActivityQuery {
        limit: 10,
        ..ActivityQuery::default()
    };
    let page = store.history(&a, &all).await.expect("history");
    assert_eq!(page.total, 3, "the other tenant's entry is not listed");
    let ids: Vec<&str> = page.entries.iter().map(|e| e.entity_id.as_str()).collect();
    assert_eq!(ids, ["ann", "rex", "rex"], "newest first");
    assert_eq!(page.entries[1].action, EntityAction::Updated);
    let rex_by_watcher = ActivityQuery {
        entity_id: Some("rex".into()),
        changed_by: Some("file_watcher".into()),
        limit: 10,
        ..ActivityQuery::default()
    };
    assert_eq!(
        store
            .history(&a, &rex_by_watcher)
            .await
            .expect("filtered")
            .total,
        1
    );
    let second_page = ActivityQuery {
        offset: 2,
        limit: 2,
        ..ActivityQuery::default()
    };
    let page = store.history(&a, &second_page).await.expect("paged");
    assert_eq!((page.total, page.entries.len()), (3, 1));
}

/// How many characters of `tenant` a search for each of `words` lists.
async fn matching(store: &SqlStore, tenant: &TenantId, words: &[&str]) -> Vec<u64> {
    let mut counts = Vec::new();
    for word in words {
        let query = EntityQuery {
            search: Some((*word).into()),
            ..characters()
        };
        counts.push(listed(store, tenant, &query).await.1);
    }
    counts
}

async fn field_and_body_changes_reach_search(store: &SqlStore) {
    let t = new_tenant(store).await;
    let mut dee = character("dee", "Dee", "active", json!({"mood": "calm"}), 1);
    dee.body = "Writes letters about zeppelins.\n".into();
    store.upsert(&t, &dee).await.expect("first");
    // A field changes, the body does not: both stay searchable.
    dee.fields.insert("mood".into(), "stormy".into());
    store.upsert(&t, &dee).await.expect("field changed");
    let words = ["stormy", "calm", "zeppelins"];
    assert_eq!(matching(store, &t, &words).await, [1, 0, 1]);
    // The body changes, the fields do not.
    dee.body = "Now writes about airships.\n".into();
    store.upsert(&t, &dee).await.expect("body changed");
    let words = ["airships", "zeppelins", "stormy"];
    assert_eq!(matching(store, &t, &words).await, [1, 0, 1]);
}

/// Characters `c000`, `c001`, ... for `range`, each in the `mood` `mood`.
fn crowd(range: std::ops::Range<u32>, mood: &str) -> Vec<Entity> {
    range
        .map(|n| {
            character(
                &format!("c{n:03}"),
                "Crowd",
                "active",
                json!({"mood": mood}),
                1,
            )
        })
        .collect()
}

async fn search_follows_batches_of_writes_and_removals(store: &SqlStore) {
    let t = new_tenant(store).await;
    // More rows than one full-text batch (512 on SQLite) in one write, then
    // fewer, one at a time, and a removal: searches see every one of them.
    store
        .upsert_all(&t, &crowd(0..600, "lantern"))
        .await
        .expect("bulk");
    assert_eq!(matching(store, &t, &["lantern"]).await, [600]);
    upsert_all(store, &t, &crowd(0..300, "beacon")).await;
    let removed: Vec<_> = (500..600u32)
        .map(|n| (kind("character"), id(&format!("c{n:03}"))))
        .collect();
    store.remove_all(&t, &removed).await.expect("remove");
    assert_eq!(
        matching(store, &t, &["lantern", "beacon", "crowd"]).await,
        [200, 300, 500]
    );
}

async fn concurrent_upserts_land_and_fail_alone(store: &SqlStore) {
    let t = new_tenant(store).await;
    // A tenant that was never created: its rows break the foreign key.
    let unknown = tenant().id;
    let writes: Vec<_> = (0..40u32)
        .map(|n| {
            let store = store.clone();
            let owner = if n % 4 == 0 {
                unknown.clone()
            } else {
                t.clone()
            };
            tokio::spawn(async move {
                let entity = character(&format!("c{n:02}"), "Crowd", "active", json!({}), n);
                store.upsert(&owner, &entity).await.is_ok()
            })
        })
        .collect();
    let mut written = Vec::new();
    for (n, write) in writes.into_iter().enumerate() {
        let landed = write.await.expect("the upsert task");
        assert_eq!(landed, n % 4 != 0, "upsert {n}");
        if landed {
            written.push(format!("c{n:02}"));
        }
    }
    let query = EntityQuery {
        limit: 100,
        ..characters()
    };
    let (mut ids, total) = listed(store, &t, &query).await;
    assert_eq!(total, 30);
    ids.sort();
    assert_eq!(ids, written);
}

/// Declares each scenario as a test on SQLite and one on PostgreSQL.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let (store, _dir) = super::sqlite_store().await;
                    super::$scenario(&store).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::on_fresh_database(|store, _| async move {
                        super::$scenario(&store).await;
                    })
                    .await;
                }
            )*
        }
    };
}

on_both_backends!(
    upsert_and_get_round_trip,
    exists_sees_live_entities_only,
    existing_answers_many_keys_in_one_read,
    mark_deleted_hides_the_entity,
    list_filters_by_status_and_search,
    list_sorts_and_pages,
    tenants_are_isolated,
    recycle_bin_lists_and_purges_deleted_rows,
    fingerprints_counts_and_removal,
    batched_upserts_replace_rows_and_links,
    concurrent_upserts_land_and_fail_alone,
    field_and_body_changes_reach_search,
    search_follows_batches_of_writes_and_removals,
    activity_is_kept_per_tenant_newest_first,
);

#[tokio::test]
async fn row_level_security_confines_unfiltered_entity_queries() {
    on_fresh_database(|store, _| async move {
        let a = new_tenant(&store).await;
        let b = new_tenant(&store).await;
        for n in 0..3 {
            let entity = character(&format!("c{n}"), "Extra", "active", json!({}), n);
            store.upsert(&a, &entity).await.expect("upsert");
        }
        let count = |tenant: TenantId| {
            let store = store.clone();
            async move {
                store
                    .count_rows_unfiltered_as_tenant("entities", &tenant)
                    .await
                    .expect("count")
            }
        };
        assert_eq!(count(a.clone()).await, 3, "tenant A sees its rows");
        assert_eq!(count(b.clone()).await, 0, "tenant B sees none of A's rows");
    })
    .await;
}

/// SQLite indexes full-text rows in batches: rows a stopped process
/// queued are indexed by the next one's first search, and the index
/// passes FTS5's own integrity check after deletions by id.
#[tokio::test]
async fn queued_search_rows_outlive_the_process() {
    let (store, dir) = sqlite_store().await;
    let t = new_tenant(&store).await;
    store
        .upsert_all(&t, &crowd(0..10, "lantern"))
        .await
        .expect("write");
    upsert_all(&store, &t, &crowd(0..4, "beacon")).await;
    drop(store);

    let url = format!(
        "sqlite://{}?mode=rw",
        dir.path().join("studiobrain.db").display()
    );
    let raw = sea_orm::Database::connect(&url).await.expect("raw");
    assert_eq!(
        queued_rows(&raw).await,
        10,
        "written rows wait for a batch or a search"
    );

    let store = SqlStore::connect(&url).await.expect("reopen");
    assert_eq!(matching(&store, &t, &["lantern", "beacon"]).await, [6, 4]);
    assert_eq!(queued_rows(&raw).await, 0, "the search emptied the queue");
    raw.execute_unprepared(&format!(
        "ATTACH DATABASE '{}' AS search",
        dir.path().join("studiobrain.db-search").display()
    ))
    .await
    .expect("the index file sits beside the database");
    raw.execute_unprepared("INSERT INTO entity_search(entity_search) VALUES ('integrity-check')")
        .await
        .expect("the index is consistent");
}

/// The full-text index file is rebuilt from the rows when it is behind
/// (it lost batches the queue no longer holds), missing, or another
/// database's.
#[tokio::test]
async fn a_stale_missing_or_foreign_index_file_is_rebuilt() {
    let (store, dir) = sqlite_store().await;
    let t = new_tenant(&store).await;
    upsert_all(&store, &t, &crowd(0..10, "lantern")).await;
    assert_eq!(matching(&store, &t, &["lantern"]).await, [10]);
    store.close().await.expect("close");
    let index = dir.path().join("studiobrain.db-search");
    let before = dir.path().join("index-before");
    std::fs::copy(&index, &before).expect("copy of the index");

    let store = sqlite_store_in(dir.path()).await;
    upsert_all(&store, &t, &crowd(0..4, "beacon")).await;
    assert_eq!(matching(&store, &t, &["lantern", "beacon"]).await, [6, 4]);
    store.close().await.expect("close");
    std::fs::copy(&before, &index).expect("the index as it was");
    let store = sqlite_store_in(dir.path()).await;
    assert_eq!(
        matching(&store, &t, &["lantern", "beacon"]).await,
        [6, 4],
        "an index behind the queue is rebuilt"
    );
    store.close().await.expect("close");

    std::fs::remove_file(&index).expect("remove the index");
    let store = sqlite_store_in(dir.path()).await;
    assert_eq!(
        matching(&store, &t, &["lantern", "beacon"]).await,
        [6, 4],
        "a missing index is rebuilt"
    );
    store.close().await.expect("close");

    let (other, other_dir) = sqlite_store().await;
    let o = new_tenant(&other).await;
    upsert_all(&other, &o, &crowd(0..10, "ember")).await;
    assert_eq!(matching(&other, &o, &["ember"]).await, [10]);
    other.close().await.expect("close");
    std::fs::copy(other_dir.path().join("studiobrain.db-search"), &index)
        .expect("another database's index");
    let store = sqlite_store_in(dir.path()).await;
    assert_eq!(
        matching(&store, &t, &["lantern", "beacon", "ember"]).await,
        [6, 4, 0],
        "another database's index is rebuilt"
    );
}

/// An index file of another version of its tables is emptied and rebuilt,
/// whatever its state says.
#[tokio::test]
async fn an_index_file_of_another_version_is_rebuilt() {
    let (store, dir) = sqlite_store().await;
    let t = new_tenant(&store).await;
    upsert_all(&store, &t, &crowd(0..10, "lantern")).await;
    assert_eq!(matching(&store, &t, &["lantern"]).await, [10]);
    store.close().await.expect("close");
    let index = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=rw",
        dir.path().join("studiobrain.db-search").display()
    ))
    .await
    .expect("the index file");
    index
        .execute_unprepared(
            "INSERT INTO entity_search(entity_search) VALUES ('delete-all');
             PRAGMA user_version = 7;",
        )
        .await
        .expect("an emptied index of version 7");
    index.close().await.expect("close");

    let store = sqlite_store_in(dir.path()).await;
    assert_eq!(matching(&store, &t, &["lantern"]).await, [10]);
}

/// Rows waiting in the full-text queue of the database `raw` opens.
async fn queued_rows(raw: &sea_orm::DatabaseConnection) -> i64 {
    raw.query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Sqlite,
        "SELECT count(*) FROM entity_search_pending",
    ))
    .await
    .expect("count")
    .and_then(|row| row.try_get_by_index::<i64>(0).ok())
    .expect("a count")
}

/// Upserts arriving in waves from several threads, while rounds of the
/// single SQLite writer are running, all land: an upsert queued while a
/// round is due is taken by that round, and none waits for a round that
/// never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_of_concurrent_upserts_all_land() {
    let (store, _dir) = sqlite_store().await;
    let t = new_tenant(&store).await;
    for wave in 0..20u32 {
        let writes: Vec<_> = (0..25u32)
            .map(|n| {
                let (store, t) = (store.clone(), t.clone());
                tokio::spawn(async move {
                    let id = format!("w{wave:02}n{n:02}");
                    let entity = character(&id, "Wave", "active", json!({}), n);
                    store.upsert(&t, &entity).await
                })
            })
            .collect();
        for write in writes {
            tokio::time::timeout(std::time::Duration::from_secs(30), write)
                .await
                .expect("every upsert is answered")
                .expect("the upsert task")
                .expect("the upsert");
        }
    }
    let query = EntityQuery {
        limit: 1,
        ..characters()
    };
    assert_eq!(listed(&store, &t, &query).await.1, 500);
}
