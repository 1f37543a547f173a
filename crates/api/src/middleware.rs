//! Cross-cutting request handling: request ids and access logs, panic
//! containment, and JSON bodies for errors that actix produces itself.

use crate::error::{ApiError, ErrorBody};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// Header carrying the request id in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, stored in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accepts a client-sent id only if it is short and plain.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let raw = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let plain = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then(|| raw.to_owned())
}

/// A new request id: one random prefix per process and a counter, unique
/// across restarts and drawn without a system call per request.
fn new_request_id() -> String {
    static PREFIX: LazyLock<String> = LazyLock::new(|| {
        let mut prefix = uuid::Uuid::new_v4().simple().to_string();
        prefix.truncate(16);
        prefix
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{:x}", *PREFIX, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Opens one span per request (id, method, path), logs status and latency,
/// and echoes the id in `X-Request-Id`.
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = incoming_id(&req).unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// Turns a panic in a handler into an opaque 500 `{"detail"}` response
/// instead of a dropped connection; the panic message is logged.
pub async fn contain_panics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "handler panicked");
            // actix renders an `Err` through `ResponseError`: an opaque JSON 500.
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked").into())
        }
    }
}

/// Gives every error response that is not JSON yet (actix's own 404, 405,
/// 413, malformed-path and similar) a `{"detail": ...}` body.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let response = next.call(req).await?;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return Ok(response.map_into_left_body());
    }
    let (http_req, old) = response.into_parts();
    let detail = default_detail(status);
    let mut rebuilt = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rebuilt.append_header((name.clone(), value.clone()));
        }
    }
    let body: HttpResponse<BoxBody> = rebuilt.json(ErrorBody::new(detail));
    Ok(ServiceResponse::new(http_req, body).map_into_right_body())
}

fn default_detail(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "Not Found".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "Method Not Allowed".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "request body is too large".to_owned(),
        other => other.canonical_reason().unwrap_or("error").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test, web};

    #[actix_web::test]
    async fn generated_request_ids_are_distinct_and_pass_as_client_ids() {
        let (first, second) = (new_request_id(), new_request_id());
        assert_ne!(first, second);
        for id in [first, second] {
            let echoed = ServiceRequest::from_request(
                test::TestRequest::default()
                    .insert_header((REQUEST_ID, id.as_str()))
                    .to_http_request(),
            );
            assert_eq!(incoming_id(&echoed), Some(id), "plain and short");
        }
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_an_opaque_json_500() {
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(json_errors))
                .wrap(actix_web::middleware::from_fn(contain_panics))
                .route(
                    "/boom",
                    web::get().to(|| async { panic!("secret detail") as HttpResponse }),
                ),
        )
        .await;
        let outcome =
            test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await;
        let Err(err) = outcome else {
            panic!("the panic should become an error");
        };
        // What actix's dispatcher sends for an error.
        let response = err.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .expect("body");
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(
            body["detail"], "internal server error",
            "the cause is logged, not returned"
        );
    }
}
