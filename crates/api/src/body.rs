//! [`JsonBody`]: the JSON request-body extractor. Unlike `web::Json` it
//! accepts only a JSON object (serde would otherwise fill a struct from an
//! array), and it classifies failures like the rest of the API: malformed
//! JSON or an unknown key is 400, a well-formed body of the wrong shape 422.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::ops::Deref;

/// A request body that must be a JSON object deserialising to `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    /// The deserialised body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Maps a deserialisation error of a JSON object to the API's statuses.
fn classify(err: &serde_json::Error) -> ApiError {
    let status = if err.to_string().starts_with("unknown field") {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError::new(status, format!("invalid request body: {err}"))
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Size limits, content type and syntax errors come from `JsonConfig`.
        let raw = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = raw.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "request body must be a JSON object",
                )
                .into());
            }
            serde_json::from_value(value)
                .map(JsonBody)
                .map_err(|err| classify(&err).into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Named {
        #[allow(dead_code)]
        name: Option<String>,
    }

    async fn extract(body: &str) -> Result<JsonBody<Named>, StatusCode> {
        let (req, mut payload) = TestRequest::post()
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned())
            .to_http_parts();
        JsonBody::<Named>::from_request(&req, &mut payload)
            .await
            .map_err(|err| err.as_response_error().status_code())
    }

    #[actix_web::test]
    async fn only_objects_of_the_right_shape_pass() {
        assert!(extract(r#"{"name":"a"}"#).await.is_ok());
        assert_eq!(
            extract("[null]").await.unwrap_err(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            extract(r#"{"name":5}"#).await.unwrap_err(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            extract(r#"{"id":"x"}"#).await.unwrap_err(),
            StatusCode::BAD_REQUEST
        );
    }
}
