//! The OpenAI-compatible embeddings adapter against a local fake speaking
//! the protocol.

use secrecy::SecretString;
use studiobrain_graph::embeddings::{EmbeddingError, Embeddings};
use studiobrain_openai::OpenAiEmbeddings;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn adapter(server: &MockServer) -> OpenAiEmbeddings {
    let _ = rustls::crypto::ring::default_provider().install_default();
    OpenAiEmbeddings::new(
        &format!("{}/v1/", server.uri()),
        "text-embedding-3-small",
        SecretString::from("sk-test"),
    )
    .expect("client")
}

/// Answers each input with `[len, index]`, listed in reverse order.
fn echo_lengths(request: &Request) -> ResponseTemplate {
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("json");
    let inputs = body["input"].as_array().expect("input").clone();
    let mut data: Vec<serde_json::Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let len = text.as_str().expect("text").len() as f32;
            serde_json::json!({"object": "embedding", "index": i, "embedding": [len, i as f32]})
        })
        .collect();
    data.reverse();
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "object": "list", "data": data, "model": body["model"],
        "usage": {"prompt_tokens": 1, "total_tokens": 1}
    }))
}

#[tokio::test]
async fn vectors_come_back_in_input_order_and_are_cached() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .and(header("authorization", "Bearer sk-test"))
        .and(body_partial_json(
            serde_json::json!({"model": "text-embedding-3-small"}),
        ))
        .respond_with(echo_lengths)
        .expect(2)
        .mount(&server)
        .await;
    let embeddings = adapter(&server);
    assert_eq!(embeddings.model(), "text-embedding-3-small");
    let texts = ["a", "bbb", "cc"].map(String::from);
    let vectors = embeddings.embed(&texts).await.expect("embedded");
    assert_eq!(vectors, [vec![1.0, 0.0], vec![3.0, 1.0], vec![2.0, 2.0]]);

    // Known texts are not sent again: the second request holds "dddd" only.
    let again = ["cc", "dddd"].map(String::from);
    let vectors = embeddings.embed(&again).await.expect("embedded");
    assert_eq!(vectors, [vec![2.0, 2.0], vec![4.0, 0.0]]);
}

#[tokio::test]
async fn provider_errors_are_reported_with_their_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}
        })))
        .mount(&server)
        .await;
    let err = adapter(&server)
        .embed(&["a".to_owned()])
        .await
        .expect_err("refused");
    assert!(matches!(err, EmbeddingError::Provider(_)));
    let text = err.to_string();
    assert!(
        text.contains("401") && text.contains("Incorrect API key"),
        "{text}"
    );
    assert!(!text.contains("sk-test"), "{text}");
}

#[tokio::test]
async fn short_answers_are_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "data": [{"index": 0, "embedding": [1.0]}]
        })))
        .mount(&server)
        .await;
    let err = adapter(&server)
        .embed(&["a".to_owned(), "b".to_owned()])
        .await
        .expect_err("short");
    assert!(
        err.to_string().contains("asked for 2 vectors, got 1"),
        "{err}"
    );
}
