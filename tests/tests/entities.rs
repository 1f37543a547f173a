//! The entity API end to end: files in the project folder are the truth,
//! the index mirrors them, and the contract's shapes and codes hold.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};
use studiobrain_tests::{Backend, TestApp, text};

async fn owner_token(app: &TestApp) -> String {
    let owner = app.register("author@studio.example").await;
    let tenant_folder = app
        .data_dir
        .path()
        .join("tenants")
        .join(text(&owner, "tenant_id"));
    assert!(
        tenant_folder.join("_Templates").is_dir(),
        "a new studio's project is seeded at registration"
    );
    text(&owner, "access_token").to_owned()
}

/// A token of an editor of the local studio (the sample project).
async fn local_editor(app: &TestApp) -> String {
    app.local_member(
        "writer@studio.example",
        studiobrain_auth::models::Role::Editor,
    )
    .await
}

#[tokio::test]
async fn create_read_update_delete_through_the_files() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // In desktop mode the registered owner gets a studio of their own; the
    // local owner's studio is the sample project.
    let token = local_editor(&app).await;

    let created = app
        .post(
            "/api/entity/character",
            Some(&token),
            json!({"name": "Rex Marshall", "status": "active", "fields": {"age": "34"}, "markdown_body": "# Rex\n\nA mechanic.\n"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let etag = created.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    assert_eq!(
        text(&body, "entity_id"),
        "rex_marshall",
        "id generated from the name"
    );
    assert_eq!(body["fields"]["age"], "34");
    assert_eq!(text(&body, "markdown_body"), "# Rex\n\nA mechanic.\n");
    let path = app.project().join(text(&body, "path"));
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        on_disk.starts_with("---\n") && on_disk.contains("name: Rex Marshall"),
        "{on_disk}"
    );
    assert!(
        text(&body, "path").ends_with("/rex_marshall/CH_rex_marshall.md")
            || text(&body, "path").contains("/rex_marshall/")
    );

    let again = app
        .post(
            "/api/entity/character",
            Some(&token),
            json!({"name": "Rex Marshall"}),
        )
        .await;
    assert_eq!(again.status(), 409, "the id exists");

    let fetched = app
        .get("/api/entity/character/rex_marshall", Some(&token))
        .await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["etag"].to_str().unwrap(), etag);

    // A hand edit elsewhere in the file must survive an API update untouched.
    let hand_edited = on_disk.replacen("---\n", "---\n# kept by hand\n", 1);
    std::fs::write(&path, &hand_edited).unwrap();
    app.state
        .entities
        .reindex(&studiobrain_kernel::TenantId::local())
        .await
        .unwrap();

    let stale = app
        .client
        .put(app.url("/api/entity/character/rex_marshall"))
        .bearer_auth(&token)
        .header("if-match", &etag)
        .json(&json!({"fields": {"age": "35"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        412,
        "the file changed since the ETag was read"
    );

    let current = app
        .get("/api/entity/character/rex_marshall", Some(&token))
        .await;
    let fresh_tag = current.headers()["etag"].to_str().unwrap().to_owned();
    let updated = app
        .client
        .put(app.url("/api/entity/character/rex_marshall"))
        .bearer_auth(&token)
        .header("if-match", &fresh_tag)
        .json(&json!({"fields": {"age": "35"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["fields"]["age"], "35");
    assert!(updated["revision"].as_i64().unwrap() >= 2);
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after.replace("age: '35'", "").replace("age: \"35\"", ""),
        hand_edited
            .replace("age: '34'", "")
            .replace("age: \"34\"", ""),
        "only the age line changed"
    );

    let deleted = app
        .send(
            Method::DELETE,
            "/api/entity/character/rex_marshall",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(deleted.status(), 200);
    assert!(!path.exists(), "the folder left the project");
    assert!(
        app.project().join(".studiobrain/trash/character").is_dir(),
        "it is in the recycle bin"
    );
    assert_eq!(
        app.get("/api/entity/character/rex_marshall", Some(&token))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn list_filters_searches_sorts_and_pages() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let token = owner_token(&app).await;
    for (name, status) in [
        ("Ann Vale", "active"),
        ("Bob Stone", "draft"),
        ("Cora Vale", "active"),
    ] {
        let response = app
            .post(
                "/api/entity/character",
                Some(&token),
                json!({"name": name, "status": status}),
            )
            .await;
        assert_eq!(response.status(), 201, "{name}");
    }
    let page: Value = app
        .get(
            "/api/entity/character?status=active&sort_by=name&sort_order=asc&limit=1&offset=1",
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            page["total"].as_u64(),
            page["offset"].as_u64(),
            page["limit"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(page["entities"][0]["name"], "Cora Vale");
    let found: Value = app
        .get("/api/entity/character?search=VALE%20cora", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(
        app.get("/api/entity/character?limit=201", Some(&token))
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get("/api/entity/spaceship", Some(&token))
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/api/entity/character", None).await.status(), 401);
}

#[tokio::test]
async fn bad_input_touches_nothing() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let token = owner_token(&app).await;
    for bad in ["../escape", "Rex", "a/b", "x\\y"] {
        let response = app
            .post(
                "/api/entity/character",
                Some(&token),
                json!({"name": "X", "entity_id": bad}),
            )
            .await;
        assert_eq!(response.status(), 400, "{bad}");
    }
    let nameless = app
        .post("/api/entity/character", Some(&token), json!({"name": "  "}))
        .await;
    assert_eq!(nameless.status(), 422);
    let viewer = app
        .add_member(&token, "reader@studio.example", "viewer")
        .await;
    let refused = app
        .post(
            "/api/entity/character",
            Some(text(&viewer, "access_token")),
            json!({"name": "Nope"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let merge = app
        .post(
            "/api/entity/character/smart-merge",
            Some(&token),
            json!({"versions": []}),
        )
        .await;
    assert_eq!(merge.status(), 503);
}

#[tokio::test]
async fn schemas_are_public_and_derived_from_templates() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let response = app.get("/api/entity/character/schema", None).await;
    assert_eq!(response.status(), 200);
    let schema: Value = response.json().await.unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema["properties"]["name"].is_object());
    assert_eq!(
        app.get("/api/entity/spaceship/schema", None).await.status(),
        404
    );
}

#[tokio::test]
async fn the_sample_world_is_indexed_and_valid() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let local = studiobrain_kernel::TenantId::local();
    let templates = app.state.entities.templates(&local).await.unwrap();
    let mut total = 0;
    for template in templates.templates() {
        let query = studiobrain_entity::ports::EntityQuery {
            entity_type: template.entity_type.clone(),
            offset: 0,
            limit: 200,
            search: None,
            status: None,
            sort_by: "name".into(),
            sort_order: studiobrain_entity::ports::SortOrder::Asc,
        };
        let (count, views) = app.state.entities.list(&local, query).await.unwrap();
        total += count;
        for view in views {
            assert!(
                view.is_valid,
                "{}/{} is invalid: {:?}",
                view.entity.entity_type, view.entity.id, view.validation_errors
            );
        }
    }
    assert!(total >= 12, "a dozen sample entities, found {total}");
}

#[tokio::test]
async fn tenants_never_see_each_others_entities() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let a = app.register("a@one.example").await;
    let b = app.register("b@two.example").await;
    let created = app
        .post(
            "/api/entity/faction",
            Some(text(&a, "access_token")),
            json!({"name": "Canal Guild"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let tb = text(&b, "access_token");
    assert_eq!(
        app.get("/api/entity/faction/canal_guild", Some(tb))
            .await
            .status(),
        404
    );
    let list: Value = app
        .get("/api/entity/faction", Some(tb))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    let theirs = app
        .post(
            "/api/entity/faction",
            Some(tb),
            json!({"name": "Canal Guild"}),
        )
        .await;
    assert_eq!(
        theirs.status(),
        201,
        "the same id in another tenant is another entity"
    );
}

/// The `reference_exists` findings of `character/{id}` as the API serves them.
async fn dangling_references(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let read = app
        .get(&format!("/api/entity/character/{id}"), Some(token))
        .await;
    assert_eq!(read.status(), 200);
    let body: Value = read.json().await.unwrap();
    body["validation_errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|issue| issue["rule_id"] == "reference_exists")
        .map(|issue| text(issue, "message").to_owned())
        .collect()
}

#[tokio::test]
async fn reference_findings_follow_creates_updates_and_deletes_of_what_they_name() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let token = local_editor(&app).await;
    let create = |kind: &'static str, body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let created = app
                .post(&format!("/api/entity/{kind}"), Some(token), body)
                .await;
            assert_eq!(created.status(), 201);
        }
    };
    create("location", json!({"name": "Dust Harbor"})).await;
    create(
        "character",
        json!({"name": "Mara Quell", "fields": {"primary_location": "dust_harbor", "faction": "salt_guild"}}),
    )
    .await;
    assert_eq!(
        dangling_references(&app, &token, "mara_quell").await,
        vec!["faction 'salt_guild' does not exist"]
    );

    // Creating what a reference names mends it at once.
    create("faction", json!({"name": "Salt Guild"})).await;
    assert!(
        dangling_references(&app, &token, "mara_quell")
            .await
            .is_empty()
    );

    // Updates of either side keep the findings true.
    for (path, fields) in [
        ("/api/entity/character/mara_quell", json!({"age": "41"})),
        (
            "/api/entity/location/dust_harbor",
            json!({"climate": "dry"}),
        ),
    ] {
        let updated = app
            .send(Method::PUT, path, Some(&token), json!({ "fields": fields }))
            .await;
        assert_eq!(updated.status(), 200);
    }
    assert!(
        dangling_references(&app, &token, "mara_quell")
            .await
            .is_empty()
    );

    // Deleting what a reference names breaks it at once, though it was
    // just found to exist.
    let deleted = app
        .send(
            Method::DELETE,
            "/api/entity/location/dust_harbor",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        dangling_references(&app, &token, "mara_quell").await,
        vec!["location 'dust_harbor' does not exist"]
    );
    let updated = app
        .send(
            Method::PUT,
            "/api/entity/character/mara_quell",
            Some(&token),
            json!({"fields": {"age": "42"}}),
        )
        .await;
    assert_eq!(updated.status(), 200);
    let body: Value = updated.json().await.unwrap();
    assert_eq!(
        body["is_valid"], false,
        "the update's own answer sees it too"
    );
}

/// An offset past any row (even past what the database can bind) answers
/// an empty page, on every backend's pages: entities and the activity log.
#[tokio::test]
async fn offsets_past_every_row_answer_an_empty_page() {
    for backend in [Backend::Memory, Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else {
            continue;
        };
        let owner = app.register("pages@studio.example").await;
        let token = text(&owner, "access_token");
        for (path, rows) in [
            ("/api/entity/character", "entities"),
            ("/api/activity/history", "activities"),
        ] {
            for offset in [u64::MAX / 2 + 1, u64::MAX] {
                let request = format!("{path}?offset={offset}");
                let response = app.get(&request, Some(token)).await;
                assert_eq!(response.status(), 200, "{backend:?} {request}");
                let page: Value = response.json().await.unwrap();
                assert_eq!(page[rows], json!([]), "{backend:?} {request}");
            }
        }
    }
}
