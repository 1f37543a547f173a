//! The HTTP client shared by the adapters, and its bridge to the `oauth2`
//! crate's [`AsyncHttpClient`] trait.

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Longest time one request to a provider may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A `reqwest` client for talking to identity providers: redirects are not
/// followed (a provider endpoint never legitimately redirects a back-channel
/// call) and every request times out after 10 seconds.
///
/// The rustls crypto provider must be installed before this is called
/// (`rustls::crypto::ring::default_provider().install_default()`); without
/// it `reqwest` panics.
///
/// # Errors
/// When the TLS backend cannot be initialised.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .build()?)
}

/// Sends the `oauth2` crate's requests through a `reqwest` 0.13 client.
#[derive(Clone)]
pub(crate) struct OAuthHttp(pub(crate) reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.0.execute(request.try_into()?).await?;
            let status = response.status();
            let version = response.version();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            let mut converted = oauth2::http::Response::new(body);
            *converted.status_mut() = status;
            *converted.version_mut() = version;
            *converted.headers_mut() = headers;
            Ok(converted)
        })
    }
}
