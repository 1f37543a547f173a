//! Entity tools and Markdown operations end to end: id checks, comparing
//! versions, importing raw files (kept byte for byte), checking frontmatter,
//! exporting a file and previewing an import.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use studiobrain_auth::models::Role;
use studiobrain_tests::{Backend, TestApp, json_of, text};

#[tokio::test]
async fn entity_ids_are_checked_for_form_and_availability() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;

    let anonymous = json_of(app.get("/api/check-entity-id/new_hero", None).await, 200).await;
    assert_eq!(anonymous["valid"], true);
    assert_eq!(
        anonymous["available"],
        Value::Null,
        "only for a signed-in caller"
    );
    let invalid = json_of(app.get("/api/check-entity-id/Bad%20Id", None).await, 200).await;
    assert_eq!(
        (
            &invalid["entity_id"],
            &invalid["valid"],
            &invalid["available"]
        ),
        (&json!("Bad Id"), &json!(false), &Value::Null)
    );
    assert!(text(&invalid, "message").contains("invalid entity id"));

    let free = json_of(
        app.get("/api/check-entity-id/new_hero", Some(&editor))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (&free["valid"], &free["available"]),
        (&json!(true), &json!(true))
    );
    // A sample-world character, found with and without the type.
    let taken = json_of(
        app.get("/api/check-entity-id/maren_osk", Some(&editor))
            .await,
        200,
    )
    .await;
    assert_eq!(taken["available"], false);
    assert!(text(&taken, "message").contains("character"), "{taken}");
    let other_type = json_of(
        app.get(
            "/api/check-entity-id/maren_osk?type=location",
            Some(&editor),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(other_type["available"], true);
    assert_eq!(
        app.get(
            "/api/check-entity-id/maren_osk?type=spaceship",
            Some(&editor)
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn versions_are_compared_field_by_field_with_a_body_diff() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;
    let two_sides = json!({
        "left": {"fields": {"age": 34, "home": "Oslo"}, "markdown_body": "# Rex\n\nA mechanic.\n"},
        "right": {"name": "Rex", "fields": {"age": 35}, "markdown_body": "# Rex\n\nA pilot.\n"}
    });
    let diff = json_of(
        app.post("/api/entity/character/compare", Some(&editor), two_sides)
            .await,
        200,
    )
    .await;
    assert_eq!(diff["identical"], false);
    assert_eq!(diff["entity_id"], Value::Null);
    assert_eq!(
        diff["fields"]["added"],
        json!([{"field": "name", "value": "Rex"}])
    );
    assert_eq!(
        diff["fields"]["removed"],
        json!([{"field": "home", "value": "Oslo"}])
    );
    assert_eq!(
        diff["fields"]["changed"],
        json!([{"field": "age", "old_value": 34, "new_value": 35}])
    );
    assert_eq!(diff["body"]["changed"], true);
    assert_eq!(
        text(&diff["body"], "unified_diff"),
        "--- a/body\n+++ b/body\n@@ -1,3 +1,3 @@\n # Rex\n \n-A mechanic.\n+A pilot.\n"
    );

    // A proposal against the stored entity reads like an update.
    let created = app
        .post(
            "/api/entity/character",
            Some(&editor),
            json!({"name": "Rex Marshall", "fields": {"age": "34", "mood": "grim"}, "markdown_body": "# Rex\n"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let proposal = json!({"entity_id": "rex_marshall", "status": "active", "fields": {"age": "35", "mood": null}});
    let diff = json_of(
        app.post("/api/entity/character/compare", Some(&editor), proposal)
            .await,
        200,
    )
    .await;
    assert_eq!(diff["entity_id"], "rex_marshall");
    assert_eq!(
        diff["fields"]["removed"],
        json!([{"field": "mood", "value": "grim"}])
    );
    let changed: Vec<&str> = diff["fields"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| text(c, "field"))
        .collect();
    assert_eq!(changed, vec!["status", "age"], "in the file's key order");
    assert_eq!(diff["body"], json!({"changed": false, "unified_diff": ""}));
    let unchanged = json_of(
        app.post(
            "/api/entity/character/compare",
            Some(&editor),
            json!({"entity_id": "rex_marshall"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(unchanged["identical"], true);

    for (body, status) in [
        (json!({"left": {}}), 422),
        (
            json!({"left": {}, "right": {}, "entity_id": "rex_marshall"}),
            422,
        ),
        (json!({"entity_id": "nobody"}), 404),
        (json!({"entity_id": "rex_marshall", "surprise": 1}), 400),
    ] {
        assert_eq!(
            app.post("/api/entity/character/compare", Some(&editor), body.clone())
                .await
                .status(),
            status,
            "{body}"
        );
    }
    assert_eq!(
        app.post(
            "/api/entity/spaceship/compare",
            Some(&editor),
            json!({"left": {}, "right": {}})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.post(
            "/api/entity/character/compare",
            None,
            json!({"left": {}, "right": {}})
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn an_import_keeps_the_file_as_given() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;
    let viewer = app
        .local_member("viewer@studio.example", Role::Viewer)
        .await;
    let content = "---\n# imported by hand\nid: ada_quill\nname: Ada Quill   # poet\nstatus: active\nfavourite_tea: smoky\n---\n# Ada\n\nWrites letters.\n";
    let request = json!({"content": content});
    assert_eq!(
        app.post(
            "/api/entity/character/import",
            Some(&viewer),
            request.clone()
        )
        .await
        .status(),
        403
    );
    let imported = app
        .post(
            "/api/entity/character/import",
            Some(&editor),
            request.clone(),
        )
        .await;
    assert_eq!(imported.status(), 201);
    assert!(imported.headers().contains_key("etag"));
    let imported: Value = imported.json().await.unwrap();
    assert_eq!(text(&imported, "entity_id"), "ada_quill");
    assert_eq!(imported["fields"]["favourite_tea"], "smoky");
    assert_eq!(
        text(&imported, "path"),
        "Characters/ada_quill/CH_ada_quill.md"
    );
    let on_disk = std::fs::read_to_string(app.project().join(text(&imported, "path"))).unwrap();
    assert_eq!(on_disk, content, "byte for byte");
    assert!(app.project().join("Characters/ada_quill/images").is_dir());
    assert_eq!(
        app.post("/api/entity/character/import", Some(&editor), request)
            .await
            .status(),
        409
    );

    // No id in the file: the caller's, else one from the name.
    let named = json_of(
        app.post(
            "/api/entity/character/import",
            Some(&editor),
            json!({"content": "---\nname: Bo Reed\n---\nBody.\n"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(text(&named, "entity_id"), "bo_reed");
    assert_eq!(text(&named, "status"), "draft");
    let given = json_of(
        app.post(
            "/api/entity/character/import",
            Some(&editor),
            json!({"content": "---\nname: Bo Reed\n---\n", "entity_id": "bo_reed_2"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(text(&given, "entity_id"), "bo_reed_2");

    let broken = app
        .post(
            "/api/entity/character/import",
            Some(&editor),
            json!({"content": "---\nname: Broken\ntags: [unclosed\n---\n"}),
        )
        .await;
    assert_eq!(broken.status(), 400);
    let broken: Value = broken.json().await.unwrap();
    assert!(text(&broken, "detail").contains("line "), "{broken}");
    assert_eq!(
        app.post(
            "/api/entity/character/import",
            Some(&editor),
            json!({"content": "---\nid: ada\n---\n", "entity_id": "other"}),
        )
        .await
        .status(),
        400,
        "the file's id and entity_id disagree"
    );
}

#[tokio::test]
async fn markdown_operations_check_export_and_preview() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;

    let broken = json_of(
        app.post(
            "/api/markdown/validate-frontmatter",
            Some(&editor),
            json!({"content": "---\nname: A\nbad: [x\n---\n"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(broken["valid"], false);
    assert_eq!(broken["errors"].as_array().unwrap().len(), 1);
    assert!(
        broken["errors"][0]["line"].as_u64().unwrap() >= 2,
        "{broken}"
    );

    let checked = json_of(
        app.post(
            "/api/markdown/validate-frontmatter",
            Some(&editor),
            json!({"content": "---\nid: Bad Id\nname: A\n---\n", "entity_type": "character"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(checked["errors"], json!([]));
    assert_eq!(checked["fields"]["name"], "A");
    assert_eq!(checked["valid"], false);
    assert!(
        checked["validation_errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "id_format"),
        "{checked}"
    );
    let untyped = json_of(
        app.post(
            "/api/markdown/validate-frontmatter",
            Some(&editor),
            json!({"content": "---\nanything: 1\n---\n"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(untyped["valid"], true);

    // Export: the stored file as a download.
    let created = json_of(
        app.post(
            "/api/entity/character",
            Some(&editor),
            json!({"name": "Rex Marshall"}),
        )
        .await,
        201,
    )
    .await;
    let exported = app
        .post(
            "/api/markdown/export/character/rex_marshall",
            Some(&editor),
            json!({}),
        )
        .await;
    assert_eq!(exported.status(), 200);
    assert!(
        exported.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert_eq!(
        exported.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"CH_rex_marshall.md\""
    );
    let on_disk = std::fs::read_to_string(app.project().join(text(&created, "path"))).unwrap();
    assert_eq!(exported.text().await.unwrap(), on_disk);
    assert_eq!(
        app.post(
            "/api/markdown/export/character/nobody",
            Some(&editor),
            json!({})
        )
        .await
        .status(),
        404
    );

    // Preview: the entity as it would be created; nothing is written.
    let preview = json_of(
        app.post(
            "/api/import/preview",
            Some(&editor),
            json!({"content": "---\nname: Nia Vale\nlore: x\n---\n# Nia\n", "entity_type": "character"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(preview["already_exists"], false);
    assert_eq!(preview["entity"]["entity_id"], "nia_vale");
    assert_eq!(preview["entity"]["fields"]["lore"], "x");
    assert_eq!(preview["entity"]["markdown_body"], "# Nia\n");
    assert!(preview["entity"]["validation_errors"].is_array());
    assert!(!app.project().join("Characters/nia_vale").exists());
    let existing = json_of(
        app.post(
            "/api/import/preview",
            Some(&editor),
            json!({"content": "---\nname: Rex Marshall\n---\n", "entity_type": "character"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(existing["already_exists"], true);
    assert_eq!(
        app.post(
            "/api/import/preview",
            Some(&editor),
            json!({"content": "---\n: [\n---\n", "entity_type": "character"}),
        )
        .await
        .status(),
        400
    );

    let smart = app
        .post("/api/import/smart", Some(&editor), json!({"content": "x"}))
        .await;
    assert_eq!(smart.status(), 503);
    let smart: Value = smart.json().await.unwrap();
    assert!(
        text(&smart, "detail").contains("ai.provider")
            && text(&smart, "detail").contains("ai.api_key"),
        "{smart}"
    );
    assert_eq!(
        app.post(
            "/api/markdown/validate-frontmatter",
            None,
            json!({"content": ""})
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn format_normalises_the_body_and_keeps_the_frontmatter() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let token = text(&app.register("format@studio.example").await, "access_token").to_owned();
    let content = "---\n# mine\nname:  Ada\n---\nTitle\n=====\n\n* a\n* b\n\nSee [[maren_osk]].\n";
    let formatted: Value = app
        .post(
            "/api/markdown/format",
            Some(&token),
            json!({"content": content}),
        )
        .await
        .json()
        .await
        .unwrap();
    let out = text(&formatted, "content");
    assert!(out.starts_with("---\n# mine\nname:  Ada\n---\n"), "{out}");
    assert!(
        out.contains("# Title") && out.contains("- a") && out.contains("[[maren_osk]]"),
        "{out}"
    );
    assert_eq!(formatted["changed"], json!(true));
    let broken = app
        .post(
            "/api/markdown/format",
            Some(&token),
            json!({"content": "---\na: [\n---\nx"}),
        )
        .await;
    assert_eq!(broken.status(), 400);
}
