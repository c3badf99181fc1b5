//! The SQLite build's limiter: keyed GCRA buckets from `governor`, in this process's memory (one
//! process owns a SQLite file, so nothing else needs to see them).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::DefaultKeyedRateLimiter;

use super::{retry_after, Rate, PRUNE_EVERY};
use crate::db::Pool;
use crate::error::ApiError;

pub struct Limiter {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl Limiter {
    /// `_scope` names the key space of a shared limiter; here each limiter has its own map.
    pub fn new(_scope: &'static str, rate: Rate) -> Limiter {
        Limiter {
            limiter: DefaultKeyedRateLimiter::keyed(rate.quota()),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one cell of `key`'s bucket, or says how long until one is free.
    pub async fn check(&self, _db: &Pool, key: &str) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                retry_after(not_until.wait_time_from(DefaultClock::default().now()))
            })
    }
}

/// Counts failures (not attempts) per key with the same GCRA: `wait` looks without taking a
/// cell, `count` takes one for a failure. governor has no look-only check, hence this map.
pub struct Failures {
    interval: Duration,
    burst: Duration,
    /// Each key's theoretical arrival time.
    tats: Mutex<HashMap<String, Instant>>,
    checks: AtomicU64,
}

impl Failures {
    pub fn new(_scope: &'static str, rate: Rate) -> Failures {
        let interval = rate.period / rate.count.get();
        Failures {
            interval,
            burst: interval * rate.count.get(),
            tats: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
        }
    }

    /// How long until `key` may fail again; `None` when it may now.
    fn wait_at(
        &self,
        tats: &HashMap<String, Instant>,
        key: &str,
        now: Instant,
    ) -> Option<Duration> {
        let tat = *tats.get(key)?;
        let free_at = (tat + self.interval).checked_sub(self.burst)?;
        (free_at > now).then(|| free_at - now)
    }

    pub async fn wait(&self, _db: &Pool, key: &str) -> Result<Option<Duration>, ApiError> {
        let tats = self.tats.lock().map_err(|_| ApiError::Internal)?;
        Ok(self.wait_at(&tats, key, Instant::now()))
    }

    /// One more failure of `key`; how long it must now wait (`None`: it may fail again).
    pub async fn count(&self, _db: &Pool, key: &str) -> Result<Option<Duration>, ApiError> {
        let now = Instant::now();
        let mut tats = self.tats.lock().map_err(|_| ApiError::Internal)?;
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            tats.retain(|_, tat| *tat > now);
        }
        let tat = tats.get(key).map_or(now, |tat| (*tat).max(now)) + self.interval;
        tats.insert(key.to_owned(), tat);
        Ok(self.wait_at(&tats, key, now))
    }
}
