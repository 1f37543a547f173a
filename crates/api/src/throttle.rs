//! Sliding-window rate limiting for sign-in style routes, keyed by client
//! address and by account.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Allows `limit` events per `window` per key.
#[derive(Debug)]
pub struct Throttle {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// A limiter of `limit` events per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1) as usize,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Records an event for every key; if any key is over its limit, records
    /// nothing and returns how long until that key frees up.
    pub fn check(&self, keys: &[&str]) -> Result<(), Duration> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 100_000 {
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let mut wait = Duration::ZERO;
        for key in keys {
            let times = hits.entry((*key).to_owned()).or_default();
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                times.pop_front();
            }
            if times.len() >= self.limit
                && let Some(oldest) = times.front()
            {
                wait = wait.max(self.window - now.duration_since(*oldest));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for key in keys {
            hits.entry((*key).to_owned()).or_default().push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_per_key() {
        let throttle = Throttle::new(2, Duration::from_secs(60));
        assert!(throttle.check(&["ip:1", "acct:a"]).is_ok());
        assert!(throttle.check(&["ip:1", "acct:b"]).is_ok());
        let wait = throttle
            .check(&["ip:1", "acct:c"])
            .expect_err("ip over limit");
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(58));
        assert!(
            throttle.check(&["ip:2", "acct:c"]).is_ok(),
            "other keys unaffected"
        );
    }
}
