//! The OpenAPI 3.1 document: base metadata and the bearer security scheme.
//! Paths are collected from the registered handlers (utoipa-actix-web), so
//! every route is documented by construction.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Base document; paths are added as services are registered.
#[derive(OpenApi)]
#[openapi(
    info(title = "StudioBrain API", description = "World-bible backend: entities, identity, sync, billing and plugins."),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme (JWT or `sb_` API key).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or sb_ API key")
                    .build(),
            ),
        );
    }
}
