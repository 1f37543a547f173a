//! `/openapi.json` documents every route of the contract sections this
//! server implements, checked against `../shared/spec/endpoints.tsv`.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::Path;
use studiobrain_tests::{Backend, TestApp};

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
