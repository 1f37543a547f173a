//! Search, relationships, graphs and cross-references end to end, on every
//! backend: a small world created through the API is found by full-text
//! search (ranked, prefixes, phrases, snippets), its links answer the
//! relationship, graph and cross-reference routes, every write keeps them
//! current, and another tenant sees none of it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use serde_json::{Value, json};
use studiobrain_tests::{Backend, TestApp, json_of, text};

/// Creates an entity and checks the answer.
async fn create(app: &TestApp, token: &str, entity_type: &str, body: Value) {
    let response = app
        .post(&format!("/api/entity/{entity_type}"), Some(token), body)
        .await;
    json_of(response, 201).await;
}

/// A tenant with a small world: a mill, two factions at war, three
/// characters (two married, one rival), and a dangling wikilink.
async fn world(app: &TestApp, email: &str) -> String {
    let owner = app.register(email).await;
    let token = text(&owner, "access_token").to_owned();
    create(
        app,
        &token,
        "location",
        json!({
            "entity_id": "mill", "name": "Old Mill", "status": "active",
            "markdown_body": "# Old Mill\n\nFlour dragons nest under the <wheel>.\n"
        }),
    )
    .await;
    create(
        app,
        &token,
        "faction",
        json!({
            "entity_id": "guild", "name": "Lamp Guild", "status": "active",
            "markdown_body": "Keepers of the lamps.\n"
        }),
    )
    .await;
    create(
        app,
        &token,
        "faction",
        json!({
            "entity_id": "tide", "name": "Black Tide", "status": "active",
            "fields": {"enemies": ["guild"]},
            "markdown_body": "Smugglers.\n"
        }),
    )
    .await;
    create(
        app,
        &token,
        "character",
        json!({
            "entity_id": "ana", "name": "Ana Vell", "status": "active",
            "fields": {"primary_location": "mill", "faction": "guild",
                       "romantic": [{"character_id": "bo", "relationship": "partner"}]},
            "markdown_body": "Ana keeps [[Character:bo|the miller]] company. See [[ghost]].\n"
        }),
    )
    .await;
    create(
        app,
        &token,
        "character",
        json!({
            "entity_id": "bo", "name": "Bo Vell", "status": "active",
            "fields": {"primary_location": "mill", "faction": "guild",
                       "romantic": [{"character_id": "ana", "relationship": "spouse"}]},
            "markdown_body": "The miller.\n"
        }),
    )
    .await;
    create(
        app,
        &token,
        "character",
        json!({
            "entity_id": "cy", "name": "Cy Marr", "status": "draft",
            "fields": {"faction": "tide",
                       "rivals": [{"character_id": "bo", "relationship": "sworn_enemy"}]},
            "markdown_body": "A dragon rider who hates millers.\n"
        }),
    )
    .await;
    token
}

/// `(type, id)` of each result of a list.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|v| format!("{}/{}", text(v, "entity_type"), text(v, "entity_id")))
        .collect()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    json_of(app.get(path, Some(token)).await, 200).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    json_of(app.post(path, Some(token), body).await, 200).await
}

async fn search_is_ranked_and_highlighted(app: &TestApp, token: &str) {
    let found = get(app, token, "/api/search?q=drag").await;
    assert_eq!(found["total"], 2, "{found}");
    let hits = ids(&found["results"]);
    assert!(hits.contains(&"location/mill".into()) && hits.contains(&"character/cy".into()));
    let mill = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["entity_id"] == "mill")
        .unwrap();
    let snippet = text(mill, "snippet");
    assert!(snippet.contains("<mark>dragons</mark>"), "{snippet}");
    let unmarked = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !unmarked.contains('<') && !unmarked.contains('>'),
        "text is escaped: {snippet}"
    );

    let phrase = get(app, token, "/api/search?q=%22flour%20dragons%22").await;
    assert_eq!(ids(&phrase["results"]), ["location/mill"]);
    let wrong_order = get(app, token, "/api/search?q=%22dragons%20flour%22").await;
    assert_eq!(wrong_order["total"], 0);

    let typed = get(app, token, "/api/search?q=drag&types=character").await;
    assert_eq!(ids(&typed["results"]), ["character/cy"]);
    let by_status = get(app, token, "/api/search?q=vell&status=active").await;
    assert_eq!(by_status["total"], 2);
    // The name weighs more than fields and body: "bo" is also in Ana's
    // fields and body and in Cy's fields.
    let name_first = get(app, token, "/api/search?q=bo").await;
    assert_eq!(ids(&name_first["results"])[0], "character/bo");

    let grouped = get(app, token, "/api/search/all?q=drag").await;
    assert_eq!(grouped["total"], 2);
    let groups: Vec<&str> = grouped["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| text(g, "entity_type"))
        .collect();
    assert_eq!(groups, ["character", "location"]);

    let listed = get(app, token, "/api/entity/character?search=drag").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["entities"][0]["entity_id"], "cy");

    let recent = get(app, token, "/api/recent?limit=2").await;
    assert_eq!(ids(&recent["entities"]), ["character/cy", "character/bo"]);

    for bad in [
        "/api/search?q=x&limit=0",
        "/api/search?q=x&limit=101",
        "/api/recent?limit=201",
    ] {
        assert_eq!(app.get(bad, Some(token)).await.status(), 422, "{bad}");
    }
    assert_eq!(
        app.get("/api/search?q=x&types=dragon", Some(token))
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/api/search?q=x", None).await.status(), 401);
}

async fn relationships_and_graphs(app: &TestApp, token: &str) {
    let ana = get(app, token, "/api/relationships/character/ana").await;
    let outgoing = ana["outgoing"].as_array().unwrap();
    let partner = outgoing.iter().find(|l| l["field"] == "romantic").unwrap();
    assert_eq!(partner["entity_id"], "bo");
    assert_eq!(partner["label"], "partner");
    assert_eq!(partner["name"], "Bo Vell");
    let ghost = outgoing.iter().find(|l| l["entity_id"] == "ghost").unwrap();
    assert_eq!(ghost["dangling"], true);
    assert_eq!(ghost["origin"], "wikilink");
    let wikilink = outgoing
        .iter()
        .find(|l| l["origin"] == "wikilink" && l["entity_id"] == "bo")
        .unwrap();
    assert_eq!(wikilink["label"], "the miller");
    let incoming = ana["incoming"].as_array().unwrap();
    assert_eq!(incoming.len(), 1, "{ana}");
    assert_eq!(incoming[0]["entity_id"], "bo");
    assert_eq!(incoming[0]["label"], "spouse");
    assert_eq!(
        app.get("/api/relationships/character/nobody", Some(token))
            .await
            .status(),
        404
    );

    let universe = get(app, token, "/api/graph/universe").await;
    assert_eq!(universe["total_nodes"], 6);
    assert_eq!(universe["truncated"], false);
    assert_eq!(
        universe["nodes"][0]["id"], "character/bo",
        "most connected first: {universe}"
    );
    let edges = universe["edges"].as_array().unwrap();
    assert!(
        edges
            .iter()
            .any(|e| e["source"] == "faction/tide" && e["target"] == "faction/guild")
    );
    assert!(
        !edges
            .iter()
            .any(|e| e["target"].as_str().unwrap().ends_with("ghost"))
    );
    let capped = get(app, token, "/api/graph/universe?max_nodes=2").await;
    assert_eq!(capped["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(capped["truncated"], true);
    let characters = get(app, token, "/api/graph/universe?types=character").await;
    assert_eq!(characters["total_nodes"], 3);

    let near = get(app, token, "/api/graph/entity/location/mill?depth=1").await;
    let mut found: Vec<String> = near["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| text(n, "id").to_owned())
        .collect();
    found.sort();
    assert_eq!(found, ["character/ana", "character/bo", "location/mill"]);
    let far = get(app, token, "/api/graph/entity/location/mill?depth=2").await;
    let depth_of = |id: &str| {
        far["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .map(|n| n["depth"].clone())
    };
    assert_eq!(depth_of("location/mill"), Some(json!(0)));
    assert_eq!(depth_of("faction/guild"), Some(json!(2)));
    assert_eq!(depth_of("character/cy"), Some(json!(2)));
    assert_eq!(depth_of("faction/tide"), None, "three steps away");
    for bad in ["depth=0", "depth=4", "max_nodes=0"] {
        let path = format!("/api/graph/entity/location/mill?{bad}");
        assert_eq!(app.get(&path, Some(token)).await.status(), 422, "{bad}");
    }
}

async fn cross_references(app: &TestApp, token: &str) {
    let partners = post(
        app,
        token,
        "/api/entity/cross-reference/query",
        json!({"label": "PARTNER"}),
    )
    .await;
    assert_eq!(partners["total"], 1);
    assert_eq!(partners["results"][0]["source"]["entity_id"], "ana");
    let to_bo = post(
        app,
        token,
        "/api/entity/cross-reference/query",
        json!({"target_type": "character", "target_id": "bo", "origin": "field"}),
    )
    .await;
    assert_eq!(to_bo["total"], 2, "{to_bo}");
    let bad = app
        .post(
            "/api/entity/cross-reference/query",
            Some(token),
            json!({"target_id": "bo"}),
        )
        .await;
    assert_eq!(bad.status(), 400);

    let romance = post(app, token, "/api/entity/cross-reference/romance", json!({})).await;
    assert_eq!(romance["total"], 1);
    assert_eq!(romance["pairs"][0]["reciprocal"], true);

    let war = post(
        app,
        token,
        "/api/entity/cross-reference/faction-war",
        json!({}),
    )
    .await;
    let conflict = &war["conflicts"][0];
    let pair = [
        text(&conflict["a"], "entity_id"),
        text(&conflict["b"], "entity_id"),
    ];
    assert_eq!(pair, ["guild", "tide"], "{war}");
    let kinds: Vec<&str> = conflict["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| text(r, "kind"))
        .collect();
    assert_eq!(kinds, ["members", "declared"], "{war}");
    assert_eq!(conflict["reasons"][0]["from"]["entity_id"], "cy");
    assert_eq!(conflict["reasons"][0]["to"]["entity_id"], "bo");
    assert_eq!(conflict["reasons"][1]["from"]["entity_id"], "tide");
    assert_eq!(conflict["reasons"][1]["to"]["entity_id"], "guild");
    let unknown = app
        .post(
            "/api/entity/cross-reference/faction-war",
            Some(token),
            json!({"faction_id": "nobody"}),
        )
        .await;
    assert_eq!(unknown.status(), 404);

    let check = get(
        app,
        token,
        "/api/entity/cross-reference/validate/character/ana",
    )
    .await;
    assert_eq!(check["valid"], false);
    assert_eq!(check["dangling"][0]["target_id"], "ghost");
    let one_sided: Vec<&str> = check["non_reciprocal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| text(&r["target"], "entity_id"))
        .collect();
    assert!(
        one_sided.contains(&"mill") && one_sided.contains(&"guild") && !one_sided.contains(&"bo"),
        "{check}"
    );

    let hybrid = post(
        app,
        token,
        "/api/entity/hybrid-relationships",
        json!({"entity_type": "character", "entity_id": "ana"}),
    )
    .await;
    let with_bo = hybrid["inferred"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["b"]["entity_id"] == "bo")
        .unwrap();
    assert_eq!(with_bo["strength"], 0.75);
    let evidence: Vec<&str> = with_bo["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(e, "kind"))
        .collect();
    assert!(
        evidence.contains(&"shared_location") && evidence.contains(&"shared_faction"),
        "{hybrid}"
    );
    assert!(!hybrid["explicit"].as_array().unwrap().is_empty());

    let structured = post(
        app,
        token,
        "/api/entity/structured-relationships",
        json!({"labels": ["partner", "spouse"], "include_inferred": true, "types": ["character"]}),
    )
    .await;
    assert_eq!(structured["explicit_total"], 2);
    assert_eq!(structured["by_label"], json!({"partner": 1, "spouse": 1}));
    assert!(!structured["inferred"].as_array().unwrap().is_empty());

    let similar = post(
        app,
        token,
        "/api/entity/semantic-connections",
        json!({"text": "dragons under the mill wheel"}),
    )
    .await;
    assert!(text(&similar, "model").starts_with("local-hashed-tfidf"));
    assert_eq!(similar["results"][0]["entity_id"], "mill", "{similar}");
    let like_cy = post(
        app,
        token,
        "/api/entity/semantic-connections",
        json!({"entity_type": "character", "entity_id": "cy", "limit": 3}),
    )
    .await;
    assert!(
        !ids(&like_cy["results"]).contains(&"character/cy".into()),
        "the subject is left out"
    );
    let neither = app
        .post("/api/entity/semantic-connections", Some(token), json!({}))
        .await;
    assert_eq!(neither.status(), 400);

    let context = post(
        app,
        token,
        "/api/entity/cross-reference/context",
        json!({"entity_type": "character", "entity_id": "ana"}),
    )
    .await;
    let markdown = text(&context, "markdown");
    assert!(markdown.starts_with("## Context: Ana Vell\n"), "{markdown}");
    assert!(
        markdown.contains("### character: Bo Vell (`bo`)"),
        "{markdown}"
    );
    assert!(context["tokens"].as_u64().unwrap() <= 2000);
    let tight = post(
        app,
        token,
        "/api/entity/cross-reference/context",
        json!({"entity_type": "character", "entity_id": "ana", "max_tokens": 60}),
    )
    .await;
    assert!(tight["omitted"].as_u64().unwrap() > 0, "{tight}");
    assert!(
        tight["neighbours"].as_array().unwrap().len()
            < context["neighbours"].as_array().unwrap().len()
    );
    let enhanced = post(
        app,
        token,
        "/api/entity/enhanced-context",
        json!({"entity_type": "character", "entity_id": "ana"}),
    )
    .await;
    assert_eq!(
        enhanced["inferred"][0]["b"]["entity_id"], "bo",
        "{enhanced}"
    );
    assert_eq!(enhanced["inferred"][0]["b"]["name"], "Bo Vell");
    assert!(enhanced["similar"].is_array());
    assert!(
        text(&enhanced["context"], "markdown").contains("_Relation: partner"),
        "{enhanced}"
    );
}

async fn writes_keep_search_and_links_current(app: &TestApp, token: &str) {
    let updated = app
        .send(
            Method::PUT,
            "/api/entity/character/cy",
            Some(token),
            json!({"markdown_body": "A quiet sailor.\n"}),
        )
        .await;
    json_of(updated, 200).await;
    let found = get(app, token, "/api/search?q=dragon").await;
    assert_eq!(ids(&found["results"]), ["location/mill"]);

    let deleted = app
        .send(
            Method::DELETE,
            "/api/entity/location/mill",
            Some(token),
            json!({}),
        )
        .await;
    json_of(deleted, 200).await;
    assert_eq!(get(app, token, "/api/search?q=flour").await["total"], 0);
    let ana = get(app, token, "/api/relationships/character/ana").await;
    let mill = ana["outgoing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["entity_id"] == "mill")
        .unwrap();
    assert_eq!(mill["dangling"], true);
    let universe = get(app, token, "/api/graph/universe").await;
    assert_eq!(universe["total_nodes"], 5);
}

async fn other_tenants_see_nothing(app: &TestApp) {
    let other = app.register("other@studio.example").await;
    let token = text(&other, "access_token");
    assert_eq!(get(app, token, "/api/search?q=drag").await["total"], 0);
    assert_eq!(get(app, token, "/api/search/all?q=vell").await["total"], 0);
    assert_eq!(get(app, token, "/api/recent").await["entities"], json!([]));
    assert_eq!(
        get(app, token, "/api/graph/universe").await["total_nodes"],
        0
    );
    assert_eq!(
        app.get("/api/relationships/character/ana", Some(token))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/api/graph/entity/character/ana", Some(token))
            .await
            .status(),
        404
    );
    let romance = post(app, token, "/api/entity/cross-reference/romance", json!({})).await;
    assert_eq!(romance["total"], 0);
    let links = post(app, token, "/api/entity/cross-reference/query", json!({})).await;
    assert_eq!(links["total"], 0);
    let similar = post(
        app,
        token,
        "/api/entity/semantic-connections",
        json!({"text": "dragon"}),
    )
    .await;
    assert_eq!(similar["results"], json!([]));
}

async fn the_whole_story(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let token = world(&app, "author@studio.example").await;
    search_is_ranked_and_highlighted(&app, &token).await;
    relationships_and_graphs(&app, &token).await;
    cross_references(&app, &token).await;
    other_tenants_see_nothing(&app).await;
    writes_keep_search_and_links_current(&app, &token).await;
}

#[tokio::test]
async fn search_and_graph_in_memory() {
    the_whole_story(Backend::Memory).await;
}

#[tokio::test]
async fn search_and_graph_on_sqlite() {
    the_whole_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn search_and_graph_on_postgres() {
    the_whole_story(Backend::Postgres).await;
}

#[tokio::test]
async fn hand_edits_reach_search_and_links() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let owner = app.register("hands@studio.example").await;
    let token = text(&owner, "access_token");
    let tenant = text(&owner, "tenant_id");
    let folder = app
        .data_dir
        .path()
        .join("tenants")
        .join(tenant)
        .join("Characters/dee");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("CH_dee.md"),
        "---\nid: dee\nname: Dee Quill\nstatus: draft\nfriends: [{character_id: eve, relationship: confidant}]\n---\nWrites [[Character:eve]] letters about zeppelins.\n",
    )
    .unwrap();
    let synced = app
        .post("/api/markdown/sync-from-files", Some(token), json!({}))
        .await;
    assert!(synced.status().is_success(), "{}", synced.status());
    let found = get(&app, token, "/api/search?q=zeppelin").await;
    assert_eq!(ids(&found["results"]), ["character/dee"]);
    let dee = get(&app, token, "/api/relationships/character/dee").await;
    let labels: Vec<&str> = dee["outgoing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(labels, ["confidant", ""], "{dee}");
    assert!(
        dee["outgoing"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["dangling"] == true)
    );
}

#[tokio::test]
async fn an_openai_provider_without_settings_answers_503_naming_them() {
    let app = TestApp::spawn_with(Backend::Memory, |settings| {
        settings.embeddings.provider = "openai".into();
        settings.embeddings.base_url = "http://127.0.0.1:9/v1".into();
    })
    .await
    .unwrap();
    let token = world(&app, "ai@studio.example").await;
    let response = app
        .post(
            "/api/entity/semantic-connections",
            Some(&token),
            json!({"text": "dragon"}),
        )
        .await;
    let body = json_of(response, 503).await;
    assert!(text(&body, "detail").contains("embeddings.model"), "{body}");
}
