//! Live sync end to end: edits on disk reach the database and every socket
//! of the tenant (through the watcher, or a sync request), sockets
//! authenticate and see only their tenant, presence follows the sockets,
//! activity is recorded, desktop projects switch without a restart, and
//! two servers on one PostgreSQL database share their events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use studiobrain_auth::models::Role;
use studiobrain_tests::{Backend, TestApp, json_of, text};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket authenticated with `token` in the query, past its greeting.
async fn connect(app: &TestApp, token: &str) -> Socket {
    let (mut socket, _) =
        tokio_tungstenite::connect_async(app.ws_url(&format!("/api/ws?token={token}")))
            .await
            .expect("connects");
    let hello = next_json(&mut socket).await;
    assert_eq!(hello["type"], "connected", "{hello}");
    socket
}

/// The next JSON text frame (pings answered by the client library).
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("valid frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

/// The next message of `kind` (for entity `id`, unless empty); other
/// messages are skipped.
async fn next_event(socket: &mut Socket, kind: &str, id: &str) -> Value {
    loop {
        let event = next_json(socket).await;
        if event["type"] == kind && (id.is_empty() || event["entity_id"] == id) {
            return event;
        }
    }
}

fn character(id: &str, name: &str) -> String {
    format!("---\nid: {id}\nname: {name}\nstatus: draft\n---\n# {name}\n")
}

fn write(app: &TestApp, relative: &str, text: &str) {
    let path = app.project().join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn a_file_saved_by_hand_reaches_the_database_and_the_sockets() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.sync.debounce_millis = 50)
        .await
        .unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;
    let mut socket = connect(&app, &token).await;

    write(
        &app,
        "Characters/quill/CH_quill.md",
        &character("quill", "Quill"),
    );
    let event = next_event(&mut socket, "entity_updated", "quill").await;
    assert_eq!(event["action"], "created");
    assert_eq!(event["entity_type"], "character");
    assert_eq!(event["changed_by"], "file_watcher");
    assert_eq!(event["revision"], 1);
    let stored = json_of(
        app.get("/api/entity/character/quill", Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(text(&stored, "name"), "Quill");

    // An editor's save: temp file then rename over the original.
    let path = app.project().join("Characters/quill/CH_quill.md");
    let temp = app.project().join("Characters/quill/.CH_quill.md.swp");
    std::fs::write(&temp, character("quill", "Quill the Elder")).unwrap();
    std::fs::rename(&temp, &path).unwrap();
    let event = next_event(&mut socket, "entity_updated", "quill").await;
    assert_eq!(
        (event["action"].as_str(), event["revision"].as_i64()),
        (Some("updated"), Some(2))
    );

    // A change through the API is announced once, with the user, and the
    // watcher does not echo it.
    let updated = app
        .send(
            Method::PUT,
            "/api/entity/character/quill",
            Some(&token),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(updated.status(), 200);
    let event = next_event(&mut socket, "entity_updated", "quill").await;
    assert_eq!(event["revision"], 3);
    assert_ne!(event["changed_by"], "file_watcher");
    std::fs::remove_dir_all(app.project().join("Characters/quill")).unwrap();
    let event = next_event(&mut socket, "entity_updated", "quill").await;
    assert_eq!(
        event["action"], "deleted",
        "no echo of the API write came first: {event}"
    );
    assert_eq!(
        app.get("/api/entity/character/quill", Some(&token))
            .await
            .status(),
        404
    );

    let status = json_of(app.get("/api/sync/file-watcher/status", None).await, 200).await;
    assert_eq!(status["running"], true);
    assert!(status["batches"].as_u64().unwrap() >= 3, "{status}");
    // The reconcile's own reads are not changes: the watcher goes quiet.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = json_of(app.get("/api/sync/file-watcher/status", None).await, 200).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after = json_of(app.get("/api/sync/file-watcher/status", None).await, 200).await;
    assert_eq!(before["batches"], after["batches"], "no feedback loop");
}

#[tokio::test]
async fn sockets_must_authenticate_and_can_do_so_in_the_first_message() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;

    let (mut anonymous, _) = tokio_tungstenite::connect_async(app.ws_url("/api/ws?token=forged"))
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), anonymous.next())
        .await
        .unwrap();
    match closed {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected a policy close, got {other:?}"),
    }

    let (mut socket, _) = tokio_tungstenite::connect_async(app.ws_url("/api/ws"))
        .await
        .unwrap();
    socket
        .send(Message::text(
            json!({"type": "auth", "token": token}).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connected");
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    next_event(&mut socket, "pong", "").await;
    socket.send(Message::text("not json")).await.unwrap();
    next_event(&mut socket, "error", "").await;
}

#[tokio::test]
async fn presence_follows_the_sockets_of_the_callers_tenant_only() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;
    let mut watcher_socket = connect(&app, &token).await;
    let mut socket = connect(&app, &token).await;
    socket
        .send(Message::text(
            json!({"type": "editing", "entity_type": "character", "entity_id": "maren_osk"})
                .to_string(),
        ))
        .await
        .unwrap();
    let update = next_event(&mut watcher_socket, "presence_update", "maren_osk").await;
    assert_eq!(update["state"], "editing");

    let online = json_of(app.get("/api/presence/local", Some(&token)).await, 200).await;
    assert_eq!(online["count"], 1, "one user with two sockets: {online}");
    assert_eq!(online["online"][0]["connections"], 2);
    let editing = json_of(
        app.get("/api/presence/local/editing", Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(editing["editing"][0]["entity_id"], "maren_osk");

    let stranger = app.register("other@studio.example").await;
    let stranger_token = text(&stranger, "access_token");
    assert_eq!(
        app.get("/api/presence/local", Some(stranger_token))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/api/presence/local/editing", Some(stranger_token))
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/api/presence/local", None).await.status(), 401);

    socket
        .send(Message::text(r#"{"type":"idle"}"#))
        .await
        .unwrap();
    let idle = next_event(&mut watcher_socket, "presence_update", "").await;
    assert_eq!(idle["state"], "idle");
    socket.close(None).await.unwrap();
    drop(socket);
    watcher_socket.close(None).await.unwrap();
    drop(watcher_socket);
    for _ in 0..50 {
        let online = json_of(app.get("/api/presence/local", Some(&token)).await, 200).await;
        if online["count"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("presence stayed after the sockets closed");
}

#[tokio::test]
async fn sync_routes_report_and_apply_hand_edits() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.sync.watch = false)
        .await
        .unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;
    let status = json_of(app.get("/api/sync/status", None).await, 200).await;
    assert_eq!(status["last_result"]["trigger"], "startup");
    assert_eq!(status["watcher_running"], false);

    write(
        &app,
        "Characters/quill/CH_quill.md",
        &character("quill", "Quill"),
    );
    std::fs::remove_dir_all(app.project().join("Characters/maren_osk")).unwrap();
    let pending = json_of(app.get("/api/sync/check-changes", Some(&token)).await, 200).await;
    assert_eq!(pending["has_changes"], true);
    assert_eq!(pending["created"], json!(["character/quill"]));
    assert_eq!(pending["deleted"], json!(["character/maren_osk"]));
    assert_eq!(app.get("/api/sync/check-changes", None).await.status(), 401);

    let applied = json_of(
        app.post("/api/sync/import-changes", Some(&token), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (applied["created"].as_u64(), applied["deleted"].as_u64()),
        (Some(1), Some(1))
    );
    let again = json_of(
        app.post("/api/entity/sync/all", Some(&token), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        again["created"].as_u64().unwrap() + again["updated"].as_u64().unwrap(),
        0
    );
    let status = json_of(app.get("/api/sync/status", None).await, 200).await;
    assert_eq!(status["last_result"]["trigger"], "request");

    // Write-back restores a file removed by hand; a changed file is a conflict.
    std::fs::remove_dir_all(app.project().join("Characters/quill")).unwrap();
    let saved = json_of(
        app.post(
            "/api/sync/save-to-markdown/character/quill",
            Some(&token),
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["written"], true);
    assert!(app.project().join("Characters/quill/CH_quill.md").exists());
    write(
        &app,
        "Characters/quill/CH_quill.md",
        &character("quill", "Quill Changed"),
    );
    let conflict = app
        .post(
            "/api/sync/save-to-markdown/character/quill",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(conflict.status(), 409);
    let read_in = json_of(
        app.post(
            "/api/sync/from-markdown/character/quill",
            Some(&token),
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(text(&read_in, "name"), "Quill Changed");
    let unknown = app
        .post("/api/entity/sync/spaceship", Some(&token), json!({}))
        .await;
    assert_eq!(unknown.status(), 404);
    let typed = json_of(
        app.post("/api/entity/sync/character", Some(&token), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(typed["status"], "completed");

    // A broken file stays, invalid, and is counted.
    write(
        &app,
        "Locations/broken/LOC_broken.md",
        "---\nid: broken\nname: [oops\n---\n",
    );
    let report = json_of(
        app.post("/api/markdown/sync-from-files", Some(&token), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(report["failed"], 1, "{report}");
    let audit = json_of(
        app.post("/api/entity/validate/all", Some(&token), json!({}))
            .await,
        200,
    )
    .await;
    assert!(
        audit["invalid_entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entity_id"] == "broken" && e["validation_errors"][0]["rule_id"] == "parse")
    );
    assert_eq!(
        audit["valid"].as_u64().unwrap() + audit["invalid"].as_u64().unwrap(),
        audit["total"].as_u64().unwrap()
    );

    // The activity log saw every change, newest first.
    let mut recent = Value::Null;
    for _ in 0..50 {
        recent = json_of(
            app.get("/api/activity/history?entity_id=quill", Some(&token))
                .await,
            200,
        )
        .await;
        if recent["total"].as_u64() >= Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Created by the import; the write-back restored identical bytes (no
    // change); reading the edited file in updated it.
    assert_eq!(recent["total"], 2, "{recent}");
    assert_eq!(recent["activities"][0]["action"], "updated");
    assert_eq!(recent["activities"][0]["revision"], 2);
    let deleted = json_of(
        app.get("/api/activity/history?action=deleted", Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(deleted["activities"][0]["entity_id"], "maren_osk");
    assert_eq!(
        app.get("/api/activity/history?action=exploded", Some(&token))
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get("/api/activity/recent?limit=0", Some(&token))
            .await
            .status(),
        422
    );
    let feed = json_of(
        app.get("/api/activity/recent?limit=2", Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(feed["activities"].as_array().unwrap().len(), 2);

    let dashboard = json_of(app.get("/api/stats/dashboard", Some(&token)).await, 200).await;
    // The broken file, and the entities still naming the deleted Maren.
    assert!(
        dashboard["by_type"]["location"]["invalid"].as_u64() >= Some(1),
        "{dashboard}"
    );
    assert_eq!(dashboard["invalid_entities"], audit["invalid"]);
    assert!(
        dashboard["total_entities"].as_u64().unwrap() >= 10,
        "{dashboard}"
    );
    assert!(!dashboard["recent_changes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn desktop_projects_switch_without_a_restart_and_only_for_this_machine() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.sync.watch = false;
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await
    .unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;
    let listed = json_of(app.get("/api/desktop/projects", None).await, 200).await;
    assert_eq!(listed["active"], "sample");

    let remote = app
        .client
        .get(app.url("/api/desktop/projects"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(remote.status(), 403, "a remote client is refused");

    let folder = app.data_dir.path().join("saga");
    let created = json_of(
        app.post(
            "/api/desktop/projects",
            None,
            json!({"name": "saga", "path": folder.display().to_string()}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["active"], false);
    assert!(
        folder.join("_Templates").is_dir(),
        "a new project is seeded"
    );
    assert_eq!(
        app.post("/api/desktop/projects", None, json!({"name": "saga"}))
            .await
            .status(),
        409
    );
    assert_eq!(
        app.post("/api/desktop/projects", None, json!({"name": "../up"}))
            .await
            .status(),
        400
    );
    std::fs::create_dir_all(folder.join("Characters/nyx")).unwrap();
    std::fs::write(
        folder.join("Characters/nyx/CH_nyx.md"),
        character("nyx", "Nyx"),
    )
    .unwrap();

    let scan = json_of(
        app.post("/api/desktop/projects/saga/scan", None, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(scan["by_type"]["character"], 1);
    assert!(
        scan["sync"].is_null(),
        "an inactive project is only counted"
    );

    let activated = json_of(
        app.post("/api/desktop/projects/saga/activate", None, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(activated["project"]["active"], true);
    assert_eq!(activated["sync"]["created"], 1);
    let nyx = json_of(
        app.get("/api/entity/character/nyx", Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(text(&nyx, "name"), "Nyx");
    assert_eq!(
        app.get("/api/entity/character/maren_osk", Some(&token))
            .await
            .status(),
        404,
        "the sample project's entities left with it"
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            "/api/desktop/projects/saga",
            None,
            json!({})
        )
        .await
        .status(),
        409
    );

    let removed = json_of(
        app.send(
            Method::DELETE,
            "/api/desktop/projects/sample",
            None,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(removed["files_deleted"], false);
    assert!(
        app.project().join("_Templates").is_dir(),
        "the folder stays unless asked"
    );
    assert_eq!(
        app.post("/api/desktop/projects/sample/activate", None, json!({}))
            .await
            .status(),
        404
    );

    let started = json_of(
        app.post("/api/desktop/watcher/start", None, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(started["running"], true);
    assert!(started["root"].as_str().unwrap().ends_with("saga"));
    let stopped = json_of(
        app.post("/api/desktop/watcher/stop", None, json!({})).await,
        200,
    )
    .await;
    assert_eq!(stopped["running"], false);
}

#[tokio::test]
async fn tenants_see_only_their_own_events_and_peers_share_them() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let peer = app.spawn_peer().await;
    let alice = app.register("alice@studio.example").await;
    let bob = app.register("bob@studio.example").await;
    let alice_token = text(&alice, "access_token");
    let bob_token = text(&bob, "access_token");

    let mut alice_on_peer = connect(&peer, alice_token).await;
    let mut bob_on_peer = connect(&peer, bob_token).await;
    let created = app
        .post(
            "/api/entity/character",
            Some(alice_token),
            json!({"name": "Alice Hero"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let event = next_event(&mut alice_on_peer, "entity_updated", "alice_hero").await;
    assert_eq!(event["action"], "created");
    assert_eq!(event["changed_by"], alice["user_id"]);

    let bobs = app
        .post(
            "/api/entity/character",
            Some(bob_token),
            json!({"name": "Bob Hero"}),
        )
        .await;
    assert_eq!(bobs.status(), 201);
    let first_for_bob = next_event(&mut bob_on_peer, "entity_updated", "").await;
    assert_eq!(
        first_for_bob["entity_id"], "bob_hero",
        "Bob never sees Alice's entity"
    );
    assert_eq!(first_for_bob["tenant_id"], bob["tenant_id"]);

    // Activity is recorded once, by the server that made the change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let history = json_of(
        app.get("/api/activity/history", Some(alice_token)).await,
        200,
    )
    .await;
    assert_eq!(history["total"], 1, "{history}");
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_replaced_project_folder_is_watched_again() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.sync.debounce_millis = 50)
        .await
        .unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;
    let mut socket = connect(&app, &token).await;
    // As a branch switch by replacing the folder: a new folder, same path.
    let project = app.project();
    let old = app.data_dir.path().join("old-project");
    std::fs::rename(&project, &old).unwrap();
    copy_tree(&old, &project);
    let maren = project.join("Characters/maren_osk/CH_maren_osk.md");
    let text = std::fs::read_to_string(&maren).unwrap();
    std::fs::write(
        &maren,
        text.replacen("status:", "branch: other\nstatus:", 1),
    )
    .unwrap();
    let event = next_event(&mut socket, "entity_updated", "maren_osk").await;
    assert_eq!(event["action"], "updated");
    // And later edits in the new folder are seen through the new watch.
    write(
        &app,
        "Characters/quill/CH_quill.md",
        &character("quill", "Quill"),
    );
    let event = next_event(&mut socket, "entity_updated", "quill").await;
    assert_eq!(event["action"], "created");
}

#[tokio::test]
async fn a_cloud_tenants_folder_syncs_on_request() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let owner = app.register("cloud@studio.example").await;
    let token = text(&owner, "access_token");
    let folder = app
        .data_dir
        .path()
        .join("tenants")
        .join(text(&owner, "tenant_id"));
    let file = folder.join("Characters/quill/CH_quill.md");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, character("quill", "Quill")).unwrap();
    let pending = json_of(app.get("/api/sync/check-changes", Some(token)).await, 200).await;
    assert_eq!(pending["created"], json!(["character/quill"]));
    let applied = json_of(
        app.post("/api/sync/import-changes", Some(token), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(applied["created"], 1);
    let quill = json_of(
        app.get("/api/entity/character/quill", Some(token)).await,
        200,
    )
    .await;
    assert_eq!(text(&quill, "name"), "Quill");
    let status = json_of(app.get("/api/sync/status", Some(token)).await, 200).await;
    assert_eq!(status["last_result"]["created"], 1);
    let anonymous = json_of(app.get("/api/sync/status", None).await, 200).await;
    assert!(
        anonymous["last_result"].is_null(),
        "no tenant's status without credentials in cloud mode"
    );

    let other = app.register("rival@studio.example").await;
    let rival = text(&other, "access_token");
    assert_eq!(
        app.get("/api/entity/character/quill", Some(rival))
            .await
            .status(),
        404
    );
    let audit = json_of(
        app.post("/api/entity/validate/all", Some(rival), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(audit["total"], 0, "another tenant's folder is not theirs");
}
