//! Crash safety: the server killed with SIGKILL in the middle of a
//! 2,000-entity import leaves every file whole (old or new, never torn),
//! and after the restart's reconcile the database equals the folder.

#![allow(clippy::unwrap_used)]

mod common;

use common::{run, serve};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Entities the import would create.
const IMPORT: usize = 2_000;

/// The sample character rewritten during the import, as shipped.
const ORIGINAL_MAREN: &str =
    include_str!("../../../sample-world/Characters/maren_osk/CH_maren_osk.md");

/// Versions written to one entity while the import runs.
const VERSIONS: usize = 400;

async fn sign_in(client: &reqwest::Client, port: u16) -> String {
    let login: Value = client
        .post(format!("http://127.0.0.1:{port}/api/auth/login"))
        .json(&json!({"email": "crash@studio.example", "password": "crash password 1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}

/// Ids of the item files in the project.
fn items_on_disk(project: &std::path::Path) -> BTreeSet<String> {
    let Ok(dirs) = std::fs::read_dir(project.join("Items")) else {
        return BTreeSet::new();
    };
    dirs.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|id| {
            project
                .join("Items")
                .join(id)
                .join(format!("ITEM_{id}.md"))
                .exists()
        })
        .collect()
}

#[tokio::test]
async fn a_killed_import_leaves_whole_files_and_a_reconcilable_folder() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let data = dir.to_str().unwrap();
    let created = run(
        &[
            "admin",
            "create-user",
            "--data-dir",
            data,
            "--email",
            "crash@studio.example",
            "--password-stdin",
            "--role",
            "admin",
        ],
        Some("crash password 1\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let (mut server, port) = serve(&dir);
    let client = reqwest::Client::new();
    let token = Arc::new(sign_in(&client, port).await);
    let base = format!("http://127.0.0.1:{port}");
    let done = Arc::new(AtomicUsize::new(0));

    // Four writers create items; one rewrites a character again and again.
    let mut writers = Vec::new();
    for lane in 0..4 {
        let (client, token, base, done) =
            (client.clone(), token.clone(), base.clone(), done.clone());
        writers.push(tokio::spawn(async move {
            for n in (lane..IMPORT).step_by(4) {
                let sent = client
                    .post(format!("{base}/api/entity/item"))
                    .bearer_auth(token.as_str())
                    .json(
                        &json!({"entity_id": format!("crate_{n:04}"), "name": format!("Crate {n}"),
                        "markdown_body": "A crate.\n".repeat(40)}),
                    )
                    .send()
                    .await;
                if sent.is_err() {
                    return;
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let rewriter = {
        let (client, token, base) = (client.clone(), token.clone(), base.clone());
        tokio::spawn(async move {
            for version in 0..VERSIONS {
                let sent = client
                    .put(format!("{base}/api/entity/character/maren_osk"))
                    .bearer_auth(token.as_str())
                    .json(&json!({"markdown_body": format!("Version {version}.\n{}", "Text.\n".repeat(200))}))
                    .send()
                    .await;
                if sent.is_err() {
                    return;
                }
            }
        })
    };
    while done.load(Ordering::Relaxed) < IMPORT / 4 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    rewriter.await.unwrap();

    // Every file is one whole version.
    let project = dir.join("projects/sample");
    let maren =
        std::fs::read_to_string(project.join("Characters/maren_osk/CH_maren_osk.md")).unwrap();
    assert!(
        maren.starts_with("---\n") && maren.contains("\n---\n"),
        "torn: {maren}"
    );
    let body = &maren[maren.find("\n---\n").unwrap() + 5..];
    let whole_version = body.starts_with("Version ") && body.ends_with(&"Text.\n".repeat(200));
    assert!(
        maren == ORIGINAL_MAREN || whole_version,
        "torn body: {body}"
    );
    let on_disk = items_on_disk(&project);
    assert!(
        on_disk.len() < IMPORT,
        "killed before the end ({} items)",
        on_disk.len()
    );
    for id in on_disk.iter().filter(|id| id.starts_with("crate_")) {
        let text =
            std::fs::read_to_string(project.join("Items").join(id).join(format!("ITEM_{id}.md")))
                .unwrap();
        assert!(text.ends_with(&"A crate.\n".repeat(40)), "{id} is torn");
    }

    // Restarted: the start-up reconcile makes the database equal the folder.
    let (_server, port) = serve(&dir);
    let token = sign_in(&client, port).await;
    let mut listed = BTreeSet::new();
    let mut offset = 0;
    loop {
        let page: Value = client
            .get(format!(
                "http://127.0.0.1:{port}/api/entity/item?limit=200&offset={offset}"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for entity in page["entities"].as_array().unwrap() {
            let id = entity["entity_id"].as_str().unwrap();
            if id.starts_with("crate_") {
                listed.insert(id.to_owned());
                let file = std::fs::read(project.join(entity["path"].as_str().unwrap())).unwrap();
                assert_eq!(
                    entity["content_hash"].as_str().unwrap(),
                    studiobrain_entity::entity::content_hash(&file),
                    "{id}: the row is the file"
                );
            }
        }
        offset += 200;
        if offset >= page["total"].as_u64().unwrap() {
            break;
        }
    }
    let crates_on_disk: BTreeSet<String> = on_disk
        .into_iter()
        .filter(|id| id.starts_with("crate_"))
        .collect();
    assert_eq!(listed, crates_on_disk);
}
