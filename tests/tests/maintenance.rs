//! Project upkeep end to end: renaming an entity rewrites every reference
//! to it (and a refused rename touches no file), and the automatic
//! validation fixes preview and apply.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use studiobrain_auth::models::Role;
use studiobrain_tests::{Backend, TestApp, json_of, text};

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

fn read(app: &TestApp, path: &str) -> String {
    std::fs::read_to_string(app.project().join(path)).unwrap()
}

#[tokio::test]
async fn a_rename_rewrites_every_reference_and_a_refused_one_touches_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;
    let ilse_before = read(&app, "Characters/ilse_carrow/CH_ilse_carrow.md");
    let maren_before = read(&app, "Characters/maren_osk/CH_maren_osk.md");

    let renamed = json_of(
        app.post(
            "/api/rename-entity",
            Some(&editor),
            json!({"entity_type": "character", "entity_id": "maren_osk", "new_id": "maren"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            text(&renamed, "old_id"),
            text(&renamed, "new_id"),
            text(&renamed, "path")
        ),
        ("maren_osk", "maren", "Characters/maren/CH_maren.md")
    );
    let updated = renamed["updated_references"].as_array().unwrap();
    let ilse = updated
        .iter()
        .find(|u| u["entity_id"] == "ilse_carrow")
        .unwrap();
    assert_eq!(
        (&ilse["entity_type"], &ilse["fields"], &ilse["wikilinks"]),
        (&json!("character"), &json!(["family"]), &json!(1))
    );
    let guild = updated
        .iter()
        .find(|u| u["entity_id"] == "lamplighters_guild")
        .unwrap();
    assert_eq!(guild["fields"], json!(["notable_members"]));

    // The files: moved, the id set, references rewritten key by key.
    assert!(!app.project().join("Characters/maren_osk").exists());
    assert_eq!(
        read(&app, "Characters/maren/CH_maren.md"),
        maren_before.replacen("id: maren_osk\n", "id: maren\n", 1)
    );
    let ilse_after = read(&app, "Characters/ilse_carrow/CH_ilse_carrow.md");
    assert!(ilse_after.contains("character_id: maren\n"), "{ilse_after}");
    assert!(ilse_after.contains("She raised [[maren]] after the Great Flood"));
    assert!(
        ilse_after.contains("rivals:\n  - { character_id: tobiah_venn, relationship: rival }\n"),
        "other keys keep their formatting"
    );
    let body = |text: &str| text.splitn(3, "---\n").nth(2).unwrap().to_owned();
    assert_eq!(
        body(&ilse_after),
        body(&ilse_before).replace("[[maren_osk]]", "[[maren]]"),
        "only the link text changed in the body"
    );
    assert!(
        read(
            &app,
            "Factions/lamplighters_guild/FAC_lamplighters_guild.md"
        )
        .contains("notable_members:")
    );

    // The index: the new id is served, the old one is gone.
    let maren = json_of(
        app.get("/api/entity/character/maren", Some(&editor)).await,
        200,
    )
    .await;
    assert_eq!(text(&maren, "entity_id"), "maren");
    assert_eq!(maren["revision"], 2);
    let gone = app
        .get("/api/entity/character/maren_osk", Some(&editor))
        .await;
    assert_eq!(gone.status(), 404);
    let list = json_of(
        app.get("/api/entity/character?limit=200", Some(&editor))
            .await,
        200,
    )
    .await;
    let ids: Vec<&str> = list["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(e, "entity_id"))
        .collect();
    assert!(
        ids.contains(&"maren") && !ids.contains(&"maren_osk"),
        "{ids:?}"
    );
    let ilse = json_of(
        app.get("/api/entity/character/ilse_carrow", Some(&editor))
            .await,
        200,
    )
    .await;
    assert!(
        !ilse["validation_errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["rule_id"] == "reference_exists" && e["field"] == "family"),
        "the rewritten reference resolves: {ilse}"
    );

    // Refused renames leave every file byte-identical.
    let before = snapshot(&app.project());
    for (body, status) in [
        (
            json!({"entity_type": "character", "old_id": "maren", "new_id": "ilse_carrow"}),
            409,
        ),
        (
            json!({"entity_type": "character", "old_id": "maren", "new_id": "Bad Id"}),
            400,
        ),
        (
            json!({"entity_type": "character", "old_id": "nobody", "new_id": "somebody"}),
            404,
        ),
        (
            json!({"entity_type": "no_such_type", "old_id": "maren", "new_id": "x"}),
            404,
        ),
    ] {
        let response = app
            .post("/api/rename-entity", Some(&editor), body.clone())
            .await;
        assert_eq!(response.status(), status, "{body}");
    }
    let viewer = app
        .local_member("viewer@studio.example", Role::Viewer)
        .await;
    let response = app
        .post(
            "/api/rename-entity",
            Some(&viewer),
            json!({"entity_type": "character", "old_id": "maren", "new_id": "maren_2"}),
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = app
        .post(
            "/api/rename-entity",
            None,
            json!({"entity_type": "character", "old_id": "maren", "new_id": "maren_2"}),
        )
        .await;
    assert_eq!(response.status(), 401);
    assert!(snapshot(&app.project()) == before, "no file changed");
}

#[tokio::test]
async fn validation_fixes_are_previewed_then_applied() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let editor = app
        .local_member("editor@studio.example", Role::Editor)
        .await;

    // Raw content: previewed only.
    let content = "---\nname: Nia Vale\nstatus: \"Active \"\ncreated_date: 2024/1/5\n---\n# Nia\n";
    let preview = json_of(
        app.post(
            "/api/validation/fix",
            Some(&editor),
            json!({"entity_type": "character", "content": content}),
        )
        .await,
        200,
    )
    .await;
    let fixes: Vec<(&str, &str, &Value)> = preview["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (text(f, "field"), text(f, "rule"), &f["new_value"]))
        .collect();
    assert_eq!(
        fixes,
        [
            ("id", "id_format", &json!("nia_vale")),
            ("created_date", "date_format", &json!("2024-01-05")),
            ("status", "options", &json!("active")),
        ]
    );
    assert_eq!(preview["applied"], false);
    assert!(text(&preview, "content").ends_with("---\n# Nia\n"));
    let diff = text(&preview, "diff");
    assert!(diff.contains("-created_date: 2024/1/5\n"), "{diff}");
    assert!(diff.contains("+created_date: \"2024-01-05\"\n"), "{diff}");

    // A stored entity: previewed, then applied through the update path.
    let created = json_of(
        app.post(
            "/api/entity/character",
            Some(&editor),
            json!({"name": "Nia Vale", "status": "ACTIVE", "fields": {"created_date": "2024.3.7"}}),
        )
        .await,
        201,
    )
    .await;
    let path = app.project().join(text(&created, "path"));
    let stored = std::fs::read(&path).unwrap();
    let stored_preview = json_of(
        app.post(
            "/api/validation/fix",
            Some(&editor),
            json!({"entity_type": "character", "entity_id": "nia_vale"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(stored_preview["fixes"].as_array().unwrap().len(), 2);
    assert_eq!(stored_preview["entity"], Value::Null);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        stored,
        "a preview writes nothing"
    );

    let stale = app
        .client
        .post(app.url("/api/validation/fix"))
        .bearer_auth(&editor)
        .header("If-Match", "\"not-the-hash\"")
        .json(&json!({"entity_type": "character", "entity_id": "nia_vale", "apply": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(std::fs::read(&path).unwrap(), stored);

    let applied = app
        .client
        .post(app.url("/api/validation/fix"))
        .bearer_auth(&editor)
        .header(
            "If-Match",
            format!("\"{}\"", text(&created, "content_hash")),
        )
        .json(&json!({"entity_type": "character", "entity_id": "nia_vale", "apply": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(applied.status(), 200);
    let etag = applied.headers()["etag"].to_str().unwrap().to_owned();
    let applied: Value = applied.json().await.unwrap();
    assert_eq!(applied["applied"], true);
    let entity = &applied["entity"];
    assert_eq!(
        (
            &entity["status"],
            &entity["fields"]["created_date"],
            &entity["revision"]
        ),
        (&json!("active"), &json!("2024-03-07"), &json!(2))
    );
    assert_eq!(etag, format!("\"{}\"", text(entity, "content_hash")));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text(&applied, "content")
    );
    let fetched = json_of(
        app.get("/api/entity/character/nia_vale", Some(&editor))
            .await,
        200,
    )
    .await;
    assert_eq!(fetched["status"], "active");

    let again = json_of(
        app.post(
            "/api/validation/fix",
            Some(&editor),
            json!({"entity_type": "character", "entity_id": "nia_vale", "apply": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (&again["fixes"], &again["applied"], &again["diff"]),
        (&json!([]), &json!(false), &json!(""))
    );
    assert_eq!(again["entity"]["revision"], 2);

    for body in [
        json!({"entity_type": "character"}),
        json!({"entity_type": "character", "entity_id": "nia_vale", "content": content}),
        json!({"entity_type": "character", "content": content, "apply": true}),
    ] {
        let response = app
            .post("/api/validation/fix", Some(&editor), body.clone())
            .await;
        assert_eq!(response.status(), 422, "{body}");
    }
    let missing = app
        .post(
            "/api/validation/fix",
            Some(&editor),
            json!({"entity_type": "character", "entity_id": "nobody"}),
        )
        .await;
    assert_eq!(missing.status(), 404);
    let unparsable = app
        .post(
            "/api/validation/fix",
            Some(&editor),
            json!({"entity_type": "character", "content": "---\nname: [unclosed\n---\n"}),
        )
        .await;
    assert_eq!(unparsable.status(), 400);
}
