//! The SQLite build's limiter: keyed GCRA buckets from `governor`, in this process's memory (one
//! process owns a SQLite file, so nothing else needs to see them).

use std::sync::atomic::{AtomicU64, Ordering};

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
