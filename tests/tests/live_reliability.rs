//! Reliability of live sync under the conditions people create: a burst of
//! thousands of file changes (as a `git checkout` makes), and the same
//! entity edited through the API and on disk at the same moment.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use studiobrain_auth::models::Role;
use studiobrain_tests::{Backend, TestApp, json_of, text};
use tokio_tungstenite::tungstenite::Message;

/// Entity files in the burst.
const BURST: usize = 5_000;

fn character(id: &str, name: &str) -> String {
    format!("---\nid: {id}\nname: {name}\nstatus: draft\n---\n# {name}\n")
}

/// Ids of every live character, through the paged list.
async fn listed_characters(app: &TestApp, token: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut offset = 0;
    loop {
        let page = json_of(
            app.get(
                &format!(
                    "/api/entity/character?limit=200&offset={offset}&sort_by=name&sort_order=asc"
                ),
                Some(token),
            )
            .await,
            200,
        )
        .await;
        let entities = page["entities"].as_array().unwrap();
        ids.extend(entities.iter().map(|e| text(e, "entity_id").to_owned()));
        offset += 200;
        if offset >= page["total"].as_u64().unwrap() {
            return ids;
        }
    }
}

/// Ids of the character files in the project folder.
fn characters_on_disk(app: &TestApp) -> BTreeSet<String> {
    std::fs::read_dir(app.project().join("Characters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            app.project()
                .join("Characters")
                .join(name)
                .join(format!("CH_{name}.md"))
                .exists()
        })
        .collect()
}

#[tokio::test]
async fn a_burst_of_thousands_of_changes_settles_to_the_folder_with_one_event_each() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.sync.socket_queue = 65_536)
        .await
        .unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;
    let (mut socket, _) =
        tokio_tungstenite::connect_async(app.ws_url(&format!("/api/ws?token={token}")))
            .await
            .unwrap();

    // Like a checkout: thousands of new files, a rename and a deletion.
    let root = app.project().join("Characters");
    for n in 0..BURST {
        let id = format!("burst_{n:05}");
        std::fs::create_dir_all(root.join(&id)).unwrap();
        std::fs::write(
            root.join(&id).join(format!("CH_{id}.md")),
            character(&id, &format!("Burst {n}")),
        )
        .unwrap();
    }
    std::fs::rename(root.join("ilse_carrow"), root.join("ilse_renamed")).unwrap();
    std::fs::rename(
        root.join("ilse_renamed/CH_ilse_carrow.md"),
        root.join("ilse_renamed/CH_ilse_renamed.md"),
    )
    .unwrap();
    std::fs::remove_dir_all(root.join("tobiah_venn")).unwrap();

    // Collect events until the index equals the folder and nothing more
    // arrives for a second.
    let mut events: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut quiet_since = Instant::now();
    loop {
        assert!(
            Instant::now() < deadline,
            "did not settle: {} entities announced",
            events.len()
        );
        match tokio::time::timeout(Duration::from_millis(200), socket.next()).await {
            Ok(Some(Ok(Message::Text(frame)))) => {
                let event: Value = serde_json::from_str(&frame).unwrap();
                if event["type"] == "entity_updated" && event["entity_type"] == "character" {
                    events
                        .entry(text(&event, "entity_id").to_owned())
                        .or_default()
                        .push(text(&event, "action").to_owned());
                    quiet_since = Instant::now();
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("socket ended: {other:?}"),
            Err(_)
                if quiet_since.elapsed() > Duration::from_secs(1) && events.len() >= BURST + 2 =>
            {
                break;
            }
            Err(_) => {}
        }
    }
    assert_eq!(
        listed_characters(&app, &token).await,
        characters_on_disk(&app),
        "the index equals the folder"
    );
    for n in 0..BURST {
        let id = format!("burst_{n:05}");
        assert_eq!(
            events.get(&id).map(Vec::as_slice),
            Some(&["created".to_owned()][..]),
            "{id}"
        );
    }
    assert_eq!(events["ilse_renamed"], ["renamed"]);
    assert_eq!(events["tobiah_venn"], ["deleted"]);
    assert!(
        !events.contains_key("ilse_carrow"),
        "a rename is one event, under the new id"
    );
}

#[tokio::test]
async fn simultaneous_api_and_disk_edits_never_lose_or_tear_an_update() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.sync.debounce_millis = 20)
        .await
        .unwrap();
    let token = app.local_member("ed@studio.example", Role::Editor).await;
    let path = app.project().join("Characters/maren_osk/CH_maren_osk.md");
    let (mut applied, mut refused) = (0, 0);
    for round in 0..100 {
        let current = app
            .get("/api/entity/character/maren_osk", Some(&token))
            .await;
        let etag = current.headers()["etag"].to_str().unwrap().to_owned();
        let entity: Value = current.json().await.unwrap();
        let disk_text = {
            let text = std::fs::read_to_string(&path).unwrap();
            text.replacen("status:", &format!("disk_round: {round}\nstatus:"), 1)
        };
        let disk = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                // An editor's atomic save.
                let temp = path.with_extension("md.tmp");
                std::fs::write(&temp, disk_text).unwrap();
                std::fs::rename(&temp, &path).unwrap();
            })
        };
        let api = app
            .client
            .request(Method::PUT, app.url("/api/entity/character/maren_osk"))
            .bearer_auth(&token)
            .header("if-match", etag)
            .json(&json!({"fields": {"api_round": round}}))
            .send();
        let (response, written) = tokio::join!(api, disk);
        written.unwrap();
        match response.unwrap().status().as_u16() {
            200 => applied += 1,
            412 => refused += 1,
            other => panic!("round {round}: unexpected status {other}"),
        }
        assert!(entity["revision"].as_i64().unwrap() >= 1);
        // The file is always one whole version: it parses.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("---\n") && text.contains("\n---\n"),
            "torn file in round {round}"
        );
    }
    assert_eq!(applied + refused, 100);

    // Settled: the database holds exactly what the file holds.
    let file_hash = {
        let bytes = std::fs::read(&path).unwrap();
        studiobrain_entity::entity::content_hash(&bytes)
    };
    for _ in 0..100 {
        let stored = json_of(
            app.get("/api/entity/character/maren_osk", Some(&token))
                .await,
            200,
        )
        .await;
        if text(&stored, "content_hash") == file_hash {
            assert!(stored["is_valid"].as_bool().is_some());
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the database never caught up with the file");
}
