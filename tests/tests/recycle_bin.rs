//! The entity recycle bin end to end: a delete moves the entity's folder
//! (or legacy flat file) to `.studiobrain/trash/`, the bin lists it, a
//! restore puts it back byte for byte, and admins remove it for good.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};
use studiobrain_auth::models::Role;
use studiobrain_kernel::TenantId;
use studiobrain_tests::{Backend, TestApp, text};

async fn bin(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/recycle-bin/entity", Some(token)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["total"].as_u64().unwrap() as usize,
        body["entities"].as_array().unwrap().len()
    );
    body["entities"].as_array().unwrap().clone()
}

async fn create(app: &TestApp, token: &str, name: &str) -> Value {
    let response = app
        .post(
            "/api/entity/character",
            Some(token),
            json!({"name": name, "markdown_body": format!("# {name}\n")}),
        )
        .await;
    assert_eq!(response.status(), 201, "{name}");
    response.json().await.unwrap()
}

async fn delete(app: &TestApp, token: &str, id: &str) {
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/entity/character/{id}"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 200, "delete {id}");
}

async fn restore(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.post(
        &format!("/api/recycle-bin/entity/character/{id}/restore"),
        Some(token),
        json!({}),
    )
    .await
}

async fn purge(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.send(
        Method::DELETE,
        &format!("/api/recycle-bin/entity/character/{id}/permanent"),
        Some(token),
        json!({}),
    )
    .await
}

/// Names in `.studiobrain/trash/character/` starting with `<id>-`.
fn trash_entries(app: &TestApp, id: &str) -> Vec<String> {
    let dir = app.project().join(".studiobrain/trash/character");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(&format!("{id}-")))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

async fn delete_restore_and_purge(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;
    let admin = app.local_member("admin@studio.example", Role::Admin).await;
    let viewer = app
        .local_member("viewer@studio.example", Role::Viewer)
        .await;
    assert!(bin(&app, &editor).await.is_empty(), "the bin starts empty");

    let created = create(&app, &editor, "Rex Marshall").await;
    let path = app.project().join(text(&created, "path"));
    let folder = path.parent().unwrap().to_path_buf();
    std::fs::write(folder.join("images/portrait.png"), b"png").unwrap();
    let original = std::fs::read(&path).unwrap();
    delete(&app, &editor, "rex_marshall").await;
    assert!(!folder.exists());

    let listed = bin(&app, &viewer).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let item = &listed[0];
    assert_eq!(
        (
            text(item, "entity_type"),
            text(item, "entity_id"),
            text(item, "name")
        ),
        ("character", "rex_marshall", "Rex Marshall")
    );
    assert!(
        text(item, "deleted_at").ends_with("+00:00"),
        "RFC 3339 in UTC: {item}"
    );
    let trash_path = text(item, "trash_path");
    assert!(
        trash_path.starts_with(".studiobrain/trash/character/rex_marshall-"),
        "{trash_path}"
    );
    assert!(app.project().join(trash_path).is_dir());

    assert_eq!(
        restore(&app, &viewer, "rex_marshall").await.status(),
        403,
        "viewers cannot restore"
    );
    let restored = restore(&app, &editor, "rex_marshall").await;
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(text(&restored, "entity_id"), "rex_marshall");
    assert_eq!(text(&restored, "path"), text(&created, "path"));
    assert!(restored["revision"].as_i64().unwrap() > created["revision"].as_i64().unwrap());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        original,
        "back byte for byte"
    );
    assert_eq!(
        std::fs::read(folder.join("images/portrait.png")).unwrap(),
        b"png",
        "with its assets"
    );
    assert!(bin(&app, &editor).await.is_empty());
    assert!(trash_entries(&app, "rex_marshall").is_empty());
    assert_eq!(
        app.get("/api/entity/character/rex_marshall", Some(&editor))
            .await
            .status(),
        200
    );
    assert_eq!(
        restore(&app, &editor, "rex_marshall").await.status(),
        404,
        "no longer in the bin"
    );
    assert_eq!(restore(&app, &editor, "Not An Id").await.status(), 404);
    assert_eq!(
        app.post(
            "/api/recycle-bin/entity/spaceship/rex_marshall/restore",
            Some(&editor),
            json!({})
        )
        .await
        .status(),
        404
    );

    // The id is used again while the old entity is in the bin: 409.
    delete(&app, &editor, "rex_marshall").await;
    let again = create(&app, &editor, "Rex Marshall").await;
    let conflict = restore(&app, &editor, "rex_marshall").await;
    assert_eq!(conflict.status(), 409);
    assert_eq!(
        bin(&app, &editor).await.len(),
        1,
        "still in the bin after the refusal"
    );

    // Only admins remove for good; the live entity of the same id stays.
    assert_eq!(purge(&app, &editor, "rex_marshall").await.status(), 403);
    assert_eq!(purge(&app, &admin, "rex_marshall").await.status(), 200);
    assert!(trash_entries(&app, "rex_marshall").is_empty());
    assert!(bin(&app, &admin).await.is_empty());
    assert_eq!(purge(&app, &admin, "rex_marshall").await.status(), 404);
    let live: Value = app
        .get("/api/entity/character/rex_marshall", Some(&editor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(live["content_hash"], again["content_hash"]);

    // Emptying removes everything, copies and rows.
    for name in ["Ann Vale", "Bob Stone"] {
        let created = create(&app, &editor, name).await;
        delete(&app, &editor, text(&created, "entity_id")).await;
    }
    assert_eq!(bin(&app, &editor).await.len(), 2);
    let empty = |token: String| {
        let app = &app;
        async move {
            app.post("/api/recycle-bin/entity/empty", Some(&token), json!({}))
                .await
        }
    };
    assert_eq!(empty(editor.clone()).await.status(), 403);
    let emptied = empty(admin.clone()).await;
    assert_eq!(emptied.status(), 200);
    let emptied: Value = emptied.json().await.unwrap();
    assert_eq!(emptied["deleted_count"], 2);
    assert!(bin(&app, &editor).await.is_empty());
    assert!(trash_entries(&app, "ann_vale").is_empty());
    assert!(trash_entries(&app, "bob_stone").is_empty());
    assert_eq!(app.get("/api/recycle-bin/entity", None).await.status(), 401);
}

#[tokio::test]
async fn delete_restore_and_purge_on_sqlite() {
    delete_restore_and_purge(Backend::Sqlite).await;
}

#[tokio::test]
async fn delete_restore_and_purge_in_memory() {
    delete_restore_and_purge(Backend::Memory).await;
}

#[tokio::test]
async fn a_legacy_flat_file_goes_back_where_it_was() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;
    let admin = app.local_member("admin@studio.example", Role::Admin).await;
    let flat = app.project().join("Characters/CH_flat_one.md");
    let content =
        "---\nid: flat_one\nname: Flat One  # legacy layout\nstatus: draft\n---\n# Flat\n";
    std::fs::write(&flat, content).unwrap();
    app.state
        .entities
        .reindex(&TenantId::local())
        .await
        .unwrap();
    delete(&app, &editor, "flat_one").await;
    assert!(!flat.exists());
    let entries = trash_entries(&app, "flat_one");
    assert_eq!(entries.len(), 1);
    assert!(
        app.project()
            .join(".studiobrain/trash/character")
            .join(&entries[0])
            .is_file(),
        "a flat file is trashed as a file"
    );
    let listed = bin(&app, &editor).await;
    assert_eq!(text(&listed[0], "name"), "Flat One");

    let restored = restore(&app, &editor, "flat_one").await;
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(text(&restored, "path"), "Characters/CH_flat_one.md");
    assert_eq!(std::fs::read_to_string(&flat).unwrap(), content);

    // A flat file is removed for good as well.
    delete(&app, &editor, "flat_one").await;
    assert_eq!(purge(&app, &admin, "flat_one").await.status(), 200);
    assert!(trash_entries(&app, "flat_one").is_empty());
}

#[tokio::test]
async fn the_files_alone_are_enough_to_restore() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;
    let created = create(&app, &editor, "Mira Holt").await;
    delete(&app, &editor, "mira_holt").await;
    // A copy put in the trash by hand (e.g. from another machine) has no
    // index row; the bin still lists and restores it.
    let folder = app
        .project()
        .join(".studiobrain/trash/character/ann_hand-20260101T000000.000000Z");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("CH_ann_hand.md"),
        "---\nid: ann_hand\nname: Ann by Hand\nstatus: draft\n---\n",
    )
    .unwrap();
    let listed = bin(&app, &editor).await;
    let names: Vec<&str> = listed.iter().map(|i| text(i, "name")).collect();
    assert_eq!(names, vec!["Mira Holt", "Ann by Hand"], "newest first");
    let restored = restore(&app, &editor, "ann_hand").await;
    assert_eq!(restored.status(), 200);
    assert!(
        app.project()
            .join("Characters/ann_hand/CH_ann_hand.md")
            .is_file()
    );
    assert_eq!(restore(&app, &editor, "mira_holt").await.status(), 200);
    assert!(app.project().join(text(&created, "path")).is_file());
}
