//! The OpenAPI 3.1 document: base metadata, the bearer security scheme, and
//! the error responses every operation shares. Paths are collected from the
//! registered handlers (utoipa-actix-web), so every route is documented by
//! construction.

use crate::error::ErrorBody;
use studiobrain_auth::Permission;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi};

/// Base document; paths are added as services are registered.
#[derive(OpenApi)]
#[openapi(
    info(title = "StudioBrain API", description = "World-bible backend: entities, identity, sync, billing and plugins."),
    components(schemas(ErrorBody)),
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

/// Documents the `{"detail"}` error responses any operation can give
/// (malformed input, credentials, roles, absence, validation, rate limits,
/// body limits, unexpected failures) where a handler did not list them.
/// Applied after the paths are collected from the handlers.
pub struct ErrorResponses;

/// Statuses every operation may answer, with their meaning.
const COMMON: &[(&str, &str)] = &[
    ("400", "Malformed input"),
    ("401", "Missing or invalid credentials"),
    ("403", "Insufficient role or permission"),
    ("404", "Not found, or owned by another tenant"),
    ("422", "Request failed validation"),
    ("429", "Rate limited; see Retry-After"),
    (
        "500",
        "Unexpected failure (opaque; logged under the request id)",
    ),
];

/// Statuses of operations with a request body.
const WITH_BODY: &[(&str, &str)] = &[
    ("413", "Request body too large"),
    ("415", "Content-Type must be application/json"),
];

fn add_errors(operation: &mut Operation, has_body: bool) {
    let extra = if has_body { WITH_BODY } else { &[] };
    for (status, description) in COMMON.iter().chain(extra) {
        operation
            .responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(*description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build(),
                )
            });
    }
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let has_body = operation.request_body.is_some();
                add_errors(operation, has_body);
            }
        }
    }
}

/// Schema of a list of permission names (`entities:read`, ...), generated
/// from the domain's list so the two never drift.
pub fn permission_names() -> Schema {
    let names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .enum_values(Some(names)),
        )
        .build()
        .into()
}

/// Schema of a list of user ids.
pub fn user_ids() -> Schema {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .pattern(Some("^[A-Za-z0-9_-]{1,64}$")),
        )
        .build()
        .into()
}
