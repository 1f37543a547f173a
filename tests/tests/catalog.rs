//! Templates, schemas and layouts end to end: public reads of the shipped
//! catalog, and a studio's own files edited through the API (written into
//! its project folder, checked, and read back).

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;
use studiobrain_tests::{Backend, TestApp, json_of, text};

/// The number of entity types that ship.
const SHIPPED_TYPES: usize = 16;

/// A registered owner: their token and their studio's project folder
/// (created, with the shipped templates and layouts, on first use).
async fn owner(app: &TestApp) -> (String, PathBuf) {
    let tokens = app.register("owner@studio.example").await;
    let token = text(&tokens, "access_token");
    assert_eq!(app.get("/api/templates", Some(token)).await.status(), 200);
    let folder = app
        .data_dir
        .path()
        .join("tenants")
        .join(text(&tokens, "tenant_id"));
    (token.to_owned(), folder)
}

async fn put(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    app.send(Method::PUT, path, token, body).await
}

/// `text` without its top-level `key:` entry (the line and its indented
/// continuation lines).
fn without_key(text: &str, key: &str) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with(&format!("{key}:")) {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with(' ') {
            continue;
        }
        skipping = false;
        out.push(line);
    }
    out.join("\n")
}

#[tokio::test]
async fn the_shipped_catalog_is_public() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let templates = json_of(app.get("/api/templates", None).await, 200).await;
    let templates = templates.as_array().unwrap();
    assert_eq!(templates.len(), SHIPPED_TYPES);
    let character = templates
        .iter()
        .find(|t| t["entity_type"] == "character")
        .unwrap();
    assert_eq!(character["name"], "CHARACTER_TEMPLATE.md");
    assert_eq!(character["layer"], "standard");
    assert_eq!(character["folder_name"], "Characters");
    assert_eq!(character["file_prefix"], "CH_");
    assert_eq!(character["ui_color"], "#5b6ee1");

    let types = json_of(app.get("/api/templates/entity-types", None).await, 200).await;
    let quest = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["entity_type"] == "quest")
        .unwrap();
    assert_eq!(quest["folder_name"], "Quests");

    let by_type = json_of(app.get("/api/templates/character", None).await, 200).await;
    let by_name = json_of(
        app.get("/api/templates/CHARACTER_TEMPLATE.md", None).await,
        200,
    )
    .await;
    assert_eq!(by_type, by_name);
    assert!(text(&by_type, "content").starts_with("---\n"));
    assert!(by_type["fields"].as_array().unwrap().len() > 5);
    let instructions = json_of(
        app.get("/api/templates/character/instructions", None).await,
        200,
    )
    .await;
    assert!(text(&instructions, "instructions").starts_with("Write a person"));
    for missing in [
        "/api/templates/spaceship",
        "/api/templates/SPACESHIP_TEMPLATE.md",
        "/api/templates/spaceship/instructions",
        "/api/schemas/spaceship",
        "/api/layouts/spaceship",
    ] {
        assert_eq!(app.get(missing, None).await.status(), 404, "{missing}");
    }

    let schemas = json_of(app.get("/api/schemas", None).await, 200).await;
    assert_eq!(schemas.as_object().unwrap().len(), SHIPPED_TYPES);
    assert_eq!(
        schemas["character"]["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let one = json_of(app.get("/api/schemas/character", None).await, 200).await;
    assert_eq!(one, schemas["character"]);

    let layouts = json_of(app.get("/api/layouts", None).await, 200).await;
    assert_eq!(layouts.as_array().unwrap().len(), SHIPPED_TYPES);
    assert!(
        layouts
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["source"] == "shipped" && l["layout"]["entity_type"] == l["entity_type"])
    );
    let layout = json_of(app.get("/api/layouts/character", None).await, 200).await;
    assert_eq!(layout["entity_type"], "character");
    assert!(layout["sections"].is_array());
}

#[tokio::test]
async fn templates_are_edited_in_the_project_folder() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let (token, folder) = owner(&app).await;
    let file = folder.join("_Templates/Standard/CHARACTER_TEMPLATE.md");
    let original = std::fs::read_to_string(&file).unwrap();

    let recoloured = original.replace("#5b6ee1", "#112233");
    let saved = json_of(
        put(
            &app,
            "/api/templates/CHARACTER_TEMPLATE.md",
            Some(&token),
            json!({"content": recoloured}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["ui_color"], "#112233");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), recoloured);
    let mine = json_of(app.get("/api/templates", Some(&token)).await, 200).await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .any(|t| t["entity_type"] == "character" && t["ui_color"] == "#112233"),
        "the owner sees the edit at once"
    );
    let shipped = json_of(app.get("/api/templates/character", None).await, 200).await;
    assert_eq!(shipped["ui_color"], "#5b6ee1", "anonymous callers do not");

    for (content, why) in [
        (
            recoloured.replace("entity_type: \"character\"", "entity_type: \"hero\""),
            "another type",
        ),
        ("---\nfolder_name: X\n---\n".to_owned(), "no type"),
        ("---\n: : :\n---\n".to_owned(), "not YAML"),
    ] {
        let refused = put(
            &app,
            "/api/templates/character",
            Some(&token),
            json!({"content": content}),
        )
        .await;
        assert_eq!(refused.status(), 422, "{why}");
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        recoloured,
        "refused edits touch nothing"
    );
    let core = app.get("/api/templates/quest", Some(&token)).await;
    let core = json_of(core, 200).await;
    let locked = put(
        &app,
        "/api/templates/quest",
        Some(&token),
        json!({"content": text(&core, "content")}),
    )
    .await;
    assert_eq!(locked.status(), 403, "core templates are not editable");
    assert_eq!(
        put(
            &app,
            "/api/templates/character",
            None,
            json!({"content": recoloured})
        )
        .await
        .status(),
        401
    );
    let editor = app
        .add_member(&token, "editor@studio.example", "editor")
        .await;
    assert_eq!(
        put(
            &app,
            "/api/templates/character",
            Some(text(&editor, "access_token")),
            json!({"content": recoloured})
        )
        .await
        .status(),
        403,
        "editing templates needs templates:manage"
    );
    assert_eq!(
        put(
            &app,
            "/api/templates/character",
            Some(&token),
            json!({"content": recoloured, "extra": 1})
        )
        .await
        .status(),
        400,
        "unknown keys"
    );
}

#[tokio::test]
async fn instructions_change_only_their_key() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let (token, folder) = owner(&app).await;
    let file = folder.join("_Templates/Standard/CHARACTER_TEMPLATE.md");
    let before = std::fs::read_to_string(&file).unwrap();
    let updated = json_of(
        put(
            &app,
            "/api/templates/character/instructions",
            Some(&token),
            json!({"instructions": "Write people with\ntwo lines of advice."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        updated["instructions"],
        "Write people with\ntwo lines of advice."
    );
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(after, before);
    assert_eq!(
        without_key(&after, "generation_instructions"),
        without_key(&before, "generation_instructions"),
        "nothing else in the file changed"
    );
    let read = json_of(
        app.get("/api/templates/character/instructions", Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(read, updated);
    assert_eq!(
        put(
            &app,
            "/api/templates/quest/instructions",
            Some(&token),
            json!({"instructions": "x"})
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        put(
            &app,
            "/api/templates/spaceship/instructions",
            Some(&token),
            json!({"instructions": "x"})
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn reload_picks_up_hand_edits() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let (token, folder) = owner(&app).await;
    let file = folder.join("_Templates/Standard/CHARACTER_TEMPLATE.md");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replace("UserRound", "Smile")).unwrap();
    std::fs::create_dir_all(folder.join("_Templates/Custom")).unwrap();
    std::fs::write(
        folder.join("_Templates/Custom/BROKEN_TEMPLATE.md"),
        "---\nfolder_name: Broken\n---\n",
    )
    .unwrap();
    let report = json_of(
        app.post("/api/templates/reload", Some(&token), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(report["templates"], SHIPPED_TYPES);
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].as_str().unwrap().contains("BROKEN_TEMPLATE.md"));
    let character = json_of(app.get("/api/templates/character", Some(&token)).await, 200).await;
    assert_eq!(character["ui_icon"], "Smile");
    assert_eq!(
        app.post("/api/templates/reload", None, json!({}))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_project_may_carry_its_own_schemas() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let (token, folder) = owner(&app).await;
    let own = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Our characters",
        "type": "object",
    });
    std::fs::create_dir_all(folder.join("_Schemas")).unwrap();
    std::fs::write(
        folder.join("_Schemas/character.json"),
        serde_json::to_vec_pretty(&own).unwrap(),
    )
    .unwrap();
    let mine = json_of(app.get("/api/schemas/character", Some(&token)).await, 200).await;
    assert_eq!(mine, own);
    let all = json_of(app.get("/api/schemas", Some(&token)).await, 200).await;
    assert_eq!(all["character"], own);
    assert_eq!(all["faction"]["title"], "faction", "derived for the rest");
    let anonymous = json_of(app.get("/api/schemas/character", None).await, 200).await;
    assert_eq!(anonymous["title"], "character");
}

#[tokio::test]
async fn layouts_are_stored_reset_and_removed() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let (token, folder) = owner(&app).await;
    let file = folder.join("_Templates/Layouts/character.layout.json");
    let shipped = json_of(app.get("/api/layouts/character", None).await, 200).await;

    for (body, why) in [
        (
            json!({"entity_type": "faction", "sections": []}),
            "another type",
        ),
        (json!({"sections": []}), "no type"),
        (
            json!({"entity_type": "character", "sections": {}}),
            "sections not a list",
        ),
        (json!(["not an object"]), "not an object"),
    ] {
        let refused = put(&app, "/api/layouts/character", Some(&token), body).await;
        assert_eq!(refused.status(), 422, "{why}");
    }
    let mine = json!({"entity_type": "character", "version": "1.0", "sections": [{"id": "only", "title": "Only", "fields": []}]});
    let saved = json_of(
        put(&app, "/api/layouts/character", Some(&token), mine.clone()).await,
        200,
    )
    .await;
    assert_eq!(saved, mine);
    let stored: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(stored, mine);
    assert_eq!(
        json_of(app.get("/api/layouts/character", Some(&token)).await, 200).await,
        mine
    );
    let listed = json_of(app.get("/api/layouts", Some(&token)).await, 200).await;
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["entity_type"] == "character")
        .unwrap();
    assert_eq!(entry["source"], "project");
    assert_eq!(entry["layout"], mine);
    assert_eq!(
        json_of(app.get("/api/layouts/character", None).await, 200).await,
        shipped,
        "anonymous callers see the shipped layout"
    );

    let reset = json_of(
        app.post("/api/layouts/character/reset", Some(&token), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(reset, shipped);
    let stored: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(stored, shipped);

    put(&app, "/api/layouts/character", Some(&token), mine.clone()).await;
    let removed = app
        .send(
            Method::DELETE,
            "/api/layouts/character",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(removed.status(), 200);
    assert!(!file.exists());
    assert_eq!(
        json_of(app.get("/api/layouts/character", Some(&token)).await, 200).await,
        shipped,
        "the shipped layout applies again"
    );
    let again = app
        .send(
            Method::DELETE,
            "/api/layouts/character",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(again.status(), 404, "no layout file left");

    for (method, path) in [
        (Method::PUT, "/api/layouts/spaceship"),
        (Method::POST, "/api/layouts/spaceship/reset"),
        (Method::DELETE, "/api/layouts/spaceship"),
    ] {
        let body = json!({"entity_type": "spaceship", "sections": []});
        let response = app.send(method.clone(), path, Some(&token), body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    let editor = app
        .add_member(&token, "editor@studio.example", "editor")
        .await;
    let refused = put(
        &app,
        "/api/layouts/character",
        Some(text(&editor, "access_token")),
        mine,
    )
    .await;
    assert_eq!(refused.status(), 403, "layouts need templates:manage");
    assert_eq!(
        app.post("/api/layouts/character/reset", None, json!({}))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn every_catalog_route_is_documented() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let api = json_of(app.get("/openapi.json", None).await, 200).await;
    for (method, path) in [
        ("get", "/api/templates"),
        ("get", "/api/templates/entity-types"),
        ("post", "/api/templates/reload"),
        ("get", "/api/templates/{name}"),
        ("put", "/api/templates/{name}"),
        ("get", "/api/templates/{name}/instructions"),
        ("put", "/api/templates/{name}/instructions"),
        ("get", "/api/schemas"),
        ("get", "/api/schemas/{type}"),
        ("get", "/api/layouts"),
        ("get", "/api/layouts/{type}"),
        ("put", "/api/layouts/{type}"),
        ("post", "/api/layouts/{type}/reset"),
        ("delete", "/api/layouts/{type}"),
    ] {
        assert!(
            api["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
}
