//! Rules end to end: the shipped rule files load, machine-checkable rules
//! (forbidden terms in fields and body) invalidate entities on read,
//! settings switch rules off, and rule edits rewrite only the rules key.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};
use studiobrain_tests::{Backend, TestApp, text};

fn rule_ids(entity: &Value) -> Vec<String> {
    entity["validation_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(e, "rule_id").to_owned())
        .collect()
}

#[tokio::test]
async fn shipped_rules_load_and_forbidden_terms_invalidate() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let listed: Value = app.get("/api/rules", None).await.json().await.unwrap();
    assert_eq!(
        listed["problems"],
        json!([]),
        "every shipped rule file loads"
    );
    assert!(listed["files"].as_array().unwrap().len() >= 16);
    let character: Value = app
        .get("/api/rules/character", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(character["system_prompt"].is_string());
    assert!(!character["rules"].as_array().unwrap().is_empty());

    let token = text(&app.register("rules@studio.example").await, "access_token").to_owned();
    let created: Value = app
        .post(
            "/api/entity/item",
            Some(&token),
            json!({"name": "Powder Horn", "markdown_body": "A horn that once held GUNPOWDER.\n"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["is_valid"], json!(false), "{created}");
    let ids = rule_ids(&created);
    let forbidding = created["validation_errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| text(e, "message").contains("gunpowder"))
        .map(|e| text(e, "rule_id").to_owned())
        .unwrap_or_else(|| panic!("a forbidden-term finding in {ids:?}"));

    let off = app
        .send(
            Method::PUT,
            "/api/rules/settings",
            Some(&token),
            json!({"disabled_rules": [forbidding]}),
        )
        .await;
    assert_eq!(off.status(), 200);
    let again: Value = app
        .get("/api/entity/item/powder_horn", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !rule_ids(&again).contains(&forbidding),
        "a disabled rule no longer reports"
    );

    let proposed: Value = app
        .post(
            "/api/rules/validate/item",
            Some(&token),
            json!({"fields": {"id": "x", "name": ""}, "markdown_body": ""}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(proposed["is_valid"], json!(false));
}

#[tokio::test]
async fn rule_edits_touch_only_the_rules_key() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let token = app
        .local_member(
            "keeper@studio.example",
            studiobrain_auth::models::Role::Admin,
        )
        .await;
    let file = app
        .data_dir
        .path()
        .join("projects/sample/_Rules/CHARACTER_RULES.md");
    let before = std::fs::read_to_string(&file).unwrap();

    let rule = json!({"id": "char_900", "category": "test", "validation_type": "error", "field": "nickname", "allowed_values": ["Wick"]});
    assert_eq!(
        app.post("/api/rules/character", Some(&token), rule.clone())
            .await
            .status(),
        201
    );
    assert_eq!(
        app.post("/api/rules/character", Some(&token), rule)
            .await
            .status(),
        409
    );
    let after = std::fs::read_to_string(&file).unwrap();
    let prompt_line = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("system_prompt:"))
            .map(str::to_owned)
    };
    assert_eq!(
        prompt_line(&before),
        prompt_line(&after),
        "other keys are untouched"
    );
    assert_eq!(
        before.split("\n---\n").nth(1),
        after.split("\n---\n").nth(1),
        "the body is untouched"
    );
    let merged: Value = app
        .get("/api/rules/character", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        merged["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "char_900")
    );

    let prompt = app
        .send(
            Method::PUT,
            "/api/rules/character/system-prompt",
            Some(&token),
            json!({"system_prompt": "Be brief."}),
        )
        .await;
    assert_eq!(prompt.status(), 200);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("system_prompt: Be brief.")
    );

    assert_eq!(
        app.send(
            Method::DELETE,
            "/api/rules/character/char_900",
            Some(&token),
            json!({})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            "/api/rules/character/char_900",
            Some(&token),
            json!({})
        )
        .await
        .status(),
        404
    );
    let broken = app
        .send(
            Method::PUT,
            "/api/rules/character/markdown",
            Some(&token),
            json!({"content": "---\nrules: [\n---\n"}),
        )
        .await;
    assert_eq!(broken.status(), 400, "unparsable rules are refused");
    assert_eq!(app.get("/api/rules/spaceship", None).await.status(), 404);

    // A broken settings file is reported, and checking goes on with defaults.
    std::fs::write(app.project().join("_Rules/settings.json"), "[not an object").unwrap();
    assert_eq!(
        app.post("/api/rules/reload", Some(&token), json!({}))
            .await
            .status(),
        200
    );
    let listed: Value = app
        .get("/api/rules", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed["problems"].to_string().contains("settings.json"),
        "{listed}"
    );
    assert_eq!(
        app.get("/api/entity/character/maren_osk", Some(&token))
            .await
            .status(),
        200
    );
}
