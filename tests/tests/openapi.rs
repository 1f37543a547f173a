//! `/openapi.json` documents every route of the contract sections this
//! server implements, checked against `../shared/spec/endpoints.tsv`, and
//! what it documents of an answer is what the server answers.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::path::Path;
use studiobrain_auth::models::Role;
use studiobrain_tests::{Backend, TestApp, json_of};

/// Contract sections whose every endpoint must be served.
const IMPLEMENTED_SECTIONS: &[&str] = &[
    "Web Auth (cookie-based)",
    "User Management",
    "OAuth",
    "Teams and Users (Admin)",
    "Tenants",
    "Registration",
    "Entities",
    "Templates",
    "Rules",
    "Schemas",
    "Layouts",
];

/// Endpoints of those sections that other work items own.
const OWNED_ELSEWHERE: &[&str] = &["/api/register/with-invite"];

/// Further endpoints served from other sections.
const ALSO_SERVED: &[(&str, &str)] = &[
    ("POST", "/api/markdown/validate-frontmatter"),
    ("POST", "/api/markdown/export/{type}/{id}"),
    ("POST", "/api/import/preview"),
    ("POST", "/api/import/smart"),
    ("POST", "/api/markdown/format"),
    ("POST", "/api/validation/fix"),
    ("POST", "/api/rename-entity"),
    ("GET", "/api/check-entity-id/{id}"),
    ("GET", "/health"),
    ("GET", "/api/health"),
    ("GET", "/health/detailed"),
    ("GET", "/api/services/status"),
];

#[tokio::test]
async fn every_implemented_contract_endpoint_is_documented() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/endpoints.tsv");
    let Ok(rows) = std::fs::read_to_string(&spec) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing",
            spec.display()
        );
        eprintln!("skipped: {} not found", spec.display());
        return;
    };
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let api: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert_eq!(api["openapi"].as_str().unwrap().get(..3), Some("3.1"));
    let paths = api["paths"].as_object().unwrap();

    let mut expected: Vec<(String, String)> = rows
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols.len() >= 3
                && IMPLEMENTED_SECTIONS.contains(&cols[2])
                && !OWNED_ELSEWHERE.contains(&cols[1]))
            .then(|| (cols[0].to_owned(), cols[1].to_owned()))
        })
        .collect();
    assert!(expected.len() > 40, "the identity sections were found");
    expected.extend(
        ALSO_SERVED
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
    );

    let missing: Vec<String> = expected
        .iter()
        .filter(|(method, path)| {
            paths
                .get(path.as_str())
                .and_then(|item| item.get(method.to_lowercase()))
                .is_none()
        })
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented contract endpoints: {missing:?}"
    );

    for page in ["/docs/", "/redoc"] {
        let response = app.get(page, None).await;
        assert_eq!(response.status(), 200, "{page}");
        assert!(
            response.text().await.unwrap().contains("<html"),
            "{page} is a page"
        );
    }
}

/// Reads a client starts with, as (request, documented path): each answer
/// is checked against the 200 response schema of its documented path.
const DOCUMENTED_READS: &[(&str, &str)] = &[
    ("/api/auth/me", "/api/auth/me"),
    ("/api/users/current", "/api/users/current"),
    ("/api/tenants/me", "/api/tenants/me"),
    ("/api/entity/character", "/api/entity/{type}"),
    (
        "/api/entity/character/schema_check",
        "/api/entity/{type}/{id}",
    ),
    ("/api/entity/character/schema", "/api/entity/{type}/schema"),
    (
        "/api/check-entity-id/schema_check",
        "/api/check-entity-id/{id}",
    ),
    ("/api/templates", "/api/templates"),
    ("/api/templates/entity-types", "/api/templates/entity-types"),
    ("/api/schemas", "/api/schemas"),
    ("/api/rules", "/api/rules"),
    ("/api/rules/index", "/api/rules/index"),
    ("/api/layouts", "/api/layouts"),
    ("/api/layouts/character", "/api/layouts/{type}"),
    ("/api/activity/recent", "/api/activity/recent"),
    ("/api/activity/history", "/api/activity/history"),
    ("/api/recent", "/api/recent"),
    ("/api/search?q=schema", "/api/search"),
    ("/api/search/all?q=schema", "/api/search/all"),
    (
        "/api/relationships/character/schema_check",
        "/api/relationships/{type}/{id}",
    ),
    ("/api/graph/universe", "/api/graph/universe"),
    (
        "/api/graph/entity/character/schema_check",
        "/api/graph/entity/{type}/{id}",
    ),
    ("/api/recycle-bin/entity", "/api/recycle-bin/entity"),
    ("/api/stats/dashboard", "/api/stats/dashboard"),
    ("/api/sync/status", "/api/sync/status"),
    ("/api/desktop/projects", "/api/desktop/projects"),
    ("/api/health", "/api/health"),
    ("/health/detailed", "/health/detailed"),
];

/// The sample project with one more character, `name`, and a token of an
/// admin of it; with the server's `/openapi.json`.
async fn app_with_character(name: &str) -> (TestApp, String, Value) {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let token = app
        .local_member("openapi@studio.example", Role::Admin)
        .await;
    let created = app
        .post(
            "/api/entity/character",
            Some(&token),
            json!({"name": name, "markdown_body": "Checked against the document.\n"}),
        )
        .await;
    json_of(created, 201).await;
    let api: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    (app, token, api)
}

#[tokio::test]
async fn answers_match_their_documented_schemas() {
    let (app, token, api) = app_with_character("Schema Check").await;

    let mut mismatches = Vec::new();
    for (request, documented) in DOCUMENTED_READS {
        let pointer = format!(
            "/paths/{}/get/responses/200/content/application~1json/schema",
            documented.replace('~', "~0").replace('/', "~1")
        );
        let mut schema = api
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("GET {documented} documents no JSON answer"))
            .clone();
        // The answer's schema refers to shared ones under `components`.
        schema["components"] = api["components"].clone();
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let response = app.get(request, Some(&token)).await;
        if response.status() != 200 {
            mismatches.push(format!("GET {request}: answered {}", response.status()));
            continue;
        }
        let answer: Value = response.json().await.unwrap();
        mismatches.extend(
            validator
                .iter_errors(&answer)
                .map(|error| format!("GET {request}: {error} at {}", error.instance_path())),
        );
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// A read's documented query bounds are the ones it enforces: for every
/// GET query parameter with a documented `maximum`, that value is accepted
/// and one more answers 422.
#[tokio::test]
async fn documented_query_bounds_are_the_enforced_ones() {
    let (app, token, api) = app_with_character("Bounds Check").await;

    let mut checked = 0;
    let mut disagreements = Vec::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        let Some(parameters) = item.pointer("/get/parameters").and_then(Value::as_array) else {
            continue;
        };
        let url = path
            .replace("{type}", "character")
            .replace("{id}", "bounds_check");
        // Required text parameters get a plain word.
        let required: String = parameters
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| format!("&{}=bounds", p["name"].as_str().unwrap()))
            .collect();
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            let Some(maximum) = parameter.pointer("/schema/maximum").and_then(Value::as_u64) else {
                continue;
            };
            let name = parameter["name"].as_str().unwrap();
            for (value, fits) in [(maximum, true), (maximum + 1, false)] {
                let request = format!("{url}?{name}={value}{required}");
                let status = app.get(&request, Some(&token)).await.status();
                if (status == 422) == fits {
                    disagreements.push(format!("GET {request}: answered {status}"));
                }
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 9,
        "the bounded parameters were found ({checked})"
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
