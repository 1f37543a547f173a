//! Embeddings: texts as vectors whose cosine similarity says how alike
//! they are. The [`Embeddings`] port has a local, deterministic adapter
//! here ([`HashedTfIdf`]: no model, no network) and an OpenAI-compatible
//! HTTP adapter in `studiobrain-openai`.

use async_trait::async_trait;
use std::collections::HashMap;
use studiobrain_entity::search::tokens;

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    /// The provider is not configured: the message names the missing
    /// setting.
    #[error("{0}")]
    NotConfigured(String),
    /// The provider failed or answered something unusable.
    #[error("embeddings provider failed: {0}")]
    Provider(String),
}

/// Turns texts into vectors.
#[async_trait]
pub trait Embeddings: Send + Sync {
    /// The model's name, as shown to callers.
    fn model(&self) -> String;
    /// One vector per text, in order, all of the same length. Vectors of
    /// one call are comparable with each other (the local adapter weighs
    /// words by their rarity among the texts of the call).
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError>;
}

/// Dimensions of the local vectors.
pub const LOCAL_DIMENSIONS: usize = 1024;

/// Words too common to tell texts apart.
const STOP_WORDS: [&str; 32] = [
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "her", "was", "one",
    "our", "out", "his", "has", "had", "who", "its", "with", "that", "this", "from", "they",
    "will", "have", "into", "their", "them", "then", "than",
];

/// The local adapter: TF-IDF over the texts of each call, words hashed
/// (FNV-1a) into [`LOCAL_DIMENSIONS`] signed buckets, L2-normalised.
/// Deterministic: the same texts always give the same vectors.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashedTfIdf;

/// FNV-1a, 64 bits.
fn fnv1a(word: &str) -> u64 {
    word.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The words of `text` worth weighing, with their counts.
fn term_counts(text: &str) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for word in tokens(text).filter(|w| w.chars().count() > 2 && !STOP_WORDS.contains(&w.as_str()))
    {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

impl HashedTfIdf {
    /// The vectors of `texts`, weighed against each other.
    pub fn vectors(texts: &[String]) -> Vec<Vec<f32>> {
        let counts: Vec<HashMap<String, u32>> = texts.iter().map(|t| term_counts(t)).collect();
        let mut document_frequency: HashMap<&str, u32> = HashMap::new();
        for words in &counts {
            for word in words.keys() {
                *document_frequency.entry(word).or_insert(0) += 1;
            }
        }
        let documents = counts.len() as f32;
        counts
            .iter()
            .map(|words| {
                let mut vector = vec![0.0_f32; LOCAL_DIMENSIONS];
                for (word, count) in words {
                    let df = document_frequency.get(word.as_str()).copied().unwrap_or(1) as f32;
                    let idf = ((1.0 + documents) / (1.0 + df)).ln() + 1.0;
                    let tf = 1.0 + (*count as f32).ln();
                    let hash = fnv1a(word);
                    let bucket = usize::try_from(hash % LOCAL_DIMENSIONS as u64).unwrap_or(0);
                    let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
                    vector[bucket] += sign * tf * idf;
                }
                normalise(&mut vector);
                vector
            })
            .collect()
    }
}

#[async_trait]
impl Embeddings for HashedTfIdf {
    fn model(&self) -> String {
        format!("local-hashed-tfidf-{LOCAL_DIMENSIONS}")
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        Ok(Self::vectors(texts))
    }
}

/// The adapter of a provider that is chosen but not fully configured:
/// every call answers [`EmbeddingError::NotConfigured`] naming the missing
/// setting.
#[derive(Debug, Clone)]
pub struct Unconfigured(pub String);

#[async_trait]
impl Embeddings for Unconfigured {
    fn model(&self) -> String {
        "unconfigured".to_owned()
    }

    async fn embed(&self, _texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        Err(EmbeddingError::NotConfigured(self.0.clone()))
    }
}

/// Scales `vector` to length 1 (a zero vector stays zero).
fn normalise(vector: &mut [f32]) {
    let length = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if length > 0.0 {
        vector.iter_mut().for_each(|x| *x /= length);
    }
}

/// Cosine similarity of two vectors (0 when either is zero or their
/// lengths differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms =
        a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norms == 0.0 { 0.0 } else { dot / norms }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn alike_texts_are_closer_than_unlike_ones() {
        let texts = [
            "A dragon guards the old mill by the river.",
            "The river mill is guarded by an old dragon.",
            "Quarterly tax ledgers of the merchant bank.",
        ]
        .map(String::from);
        let vectors = HashedTfIdf.embed(&texts).await.expect("local");
        assert_eq!(vectors.len(), 3);
        assert!(vectors.iter().all(|v| v.len() == LOCAL_DIMENSIONS));
        let close = cosine(&vectors[0], &vectors[1]);
        let far = cosine(&vectors[0], &vectors[2]);
        assert!(close > 0.5, "{close}");
        assert!(far < 0.1, "{far}");
        assert_eq!(HashedTfIdf.embed(&texts).await.expect("again"), vectors);
    }

    #[test]
    fn cosine_of_mismatched_or_zero_vectors_is_zero() {
        assert_eq!(cosine(&[1.0, 0.0], &[1.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 1.0], &[2.0, 2.0]) - 1.0).abs() < 1e-6);
    }
}
