//! OpenAI-compatible HTTP adapters of StudioBrain's AI ports. Any service
//! speaking the OpenAI embeddings protocol works (OpenAI, Azure OpenAI's
//! compatible endpoint, Ollama, vLLM, LM Studio, llama.cpp's server):
//! [`OpenAiEmbeddings`] posts `{model, input: [texts]}` to
//! `{base_url}/embeddings` with a bearer key and reads `data[].embedding`.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use studiobrain_graph::embeddings::{EmbeddingError, Embeddings};

/// Texts sent in one request.
const BATCH: usize = 128;
/// Vectors remembered by text hash, so unchanged entities are not sent
/// again; the memory is cleared when full.
const CACHE_ENTRIES: usize = 20_000;
/// Longest time one request may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Embeddings from an OpenAI-compatible service.
pub struct OpenAiEmbeddings {
    client: reqwest::Client,
    url: String,
    model: String,
    api_key: SecretString,
    cache: Mutex<HashMap<[u8; 32], Vec<f32>>>,
}

/// The body of a successful answer.
#[derive(Deserialize)]
struct EmbeddingsResponse {
    data: Vec<EmbeddingItem>,
}

/// One vector of an answer.
#[derive(Deserialize)]
struct EmbeddingItem {
    index: usize,
    embedding: Vec<f32>,
}

/// The body of a failed answer.
#[derive(Deserialize)]
struct ErrorResponse {
    error: ErrorDetail,
}

/// What failed.
#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

impl OpenAiEmbeddings {
    /// An adapter posting to `{base_url}/embeddings` (for OpenAI,
    /// `https://api.openai.com/v1`) with `model` and `api_key`.
    ///
    /// The rustls crypto provider must be installed first.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base_url: &str, model: &str, api_key: SecretString) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .build()?;
        Ok(Self {
            client,
            url: format!("{}/embeddings", base_url.trim_end_matches('/')),
            model: model.to_owned(),
            api_key,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The vectors of one batch, in order.
    async fn request(&self, texts: &[&String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let failed = |what: String| EmbeddingError::Provider(what);
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(self.api_key.expose_secret())
            .json(&serde_json::json!({ "model": self.model, "input": texts }))
            .send()
            .await
            .map_err(|err| failed(format!("{}: {err}", self.url)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|err| failed(format!("reading the answer: {err}")))?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<ErrorResponse>(&body)
                .map(|e| e.error.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(failed(format!("HTTP {status}: {reason}")));
        }
        let mut answer: EmbeddingsResponse = serde_json::from_slice(&body)
            .map_err(|err| failed(format!("unexpected answer: {err}")))?;
        answer.data.sort_by_key(|item| item.index);
        let in_order = answer
            .data
            .iter()
            .enumerate()
            .all(|(i, item)| item.index == i);
        if answer.data.len() != texts.len() || !in_order {
            return Err(failed(format!(
                "asked for {} vectors, got {}",
                texts.len(),
                answer.data.len()
            )));
        }
        Ok(answer.data.into_iter().map(|item| item.embedding).collect())
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Vec<f32>>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Embeddings for OpenAiEmbeddings {
    fn model(&self) -> String {
        self.model.clone()
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let keys: Vec<[u8; 32]> = texts.iter().map(|t| Sha256::digest(t).into()).collect();
        let missing: Vec<usize> = {
            let cache = self.cache();
            (0..texts.len())
                .filter(|&i| !cache.contains_key(&keys[i]))
                .collect()
        };
        for batch in missing.chunks(BATCH) {
            let inputs: Vec<&String> = batch.iter().map(|&i| &texts[i]).collect();
            let vectors = self.request(&inputs).await?;
            let mut cache = self.cache();
            if cache.len() + vectors.len() > CACHE_ENTRIES {
                cache.clear();
            }
            for (&i, vector) in batch.iter().zip(vectors) {
                cache.insert(keys[i], vector);
            }
        }
        let cache = self.cache();
        let vectors: Vec<Vec<f32>> = keys
            .iter()
            .map(|key| cache.get(key).cloned().unwrap_or_default())
            .collect();
        let width = vectors.first().map_or(0, Vec::len);
        if vectors.iter().any(|v| v.len() != width || v.is_empty()) {
            return Err(EmbeddingError::Provider(
                "the vectors of one request differ in length".to_owned(),
            ));
        }
        Ok(vectors)
    }
}
