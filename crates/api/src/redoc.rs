//! `/redoc`: the ReDoc page. The JavaScript bundle is compiled into the
//! binary when the build could fetch it (see `build.rs`) and served at
//! `/redoc/redoc.standalone.js`; otherwise the page loads it from the CDN.

use actix_web::{HttpResponse, get};

/// Where the page loads ReDoc from.
#[cfg(redoc_bundled)]
const SCRIPT_SRC: &str = "/redoc/redoc.standalone.js";
#[cfg(not(redoc_bundled))]
const SCRIPT_SRC: &str = "https://cdn.redoc.ly/redoc/v2.5.4/bundles/redoc.standalone.js";

/// The page, reading the spec from `/openapi.json`.
fn page() -> String {
    format!(
        r#"<!DOCTYPE html>
<html>
  <head>
    <title>StudioBrain API (ReDoc)</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <style>body {{ margin: 0; padding: 0; }}</style>
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="{SCRIPT_SRC}"></script>
  </body>
</html>
"#
    )
}

/// Serves the ReDoc page.
#[get("/redoc")]
pub async fn redoc_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page())
}

/// Serves the bundled ReDoc script.
#[cfg(redoc_bundled)]
#[get("/redoc/redoc.standalone.js")]
pub async fn redoc_script() -> HttpResponse {
    const BUNDLE: &[u8] = include_bytes!(env!("STUDIOBRAIN_REDOC_BUNDLE"));
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=86400",
        ))
        .body(BUNDLE)
}
