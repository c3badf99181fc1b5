//! The PostgreSQL build's limiter: the same GCRA as `governor`, kept in the UNLOGGED table
//! `rate_limits` that every instance sees, so N attempts spread over several instances meet a
//! limit of N (not N per instance). One statement per check, atomic under concurrency (an
//! upsert that updates only while the quota allows), timed by the database's clock so that
//! instances need not agree on theirs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{retry_after, Rate, PRUNE_EVERY};
use crate::db::Pool;
use crate::error::ApiError;

/// GCRA: each key has a "theoretical arrival time" (`tat_us`); a request at `now` is allowed
/// when `max(tat, now) + interval <= now + burst * interval`, and then moves `tat` there. The
/// upsert's `WHERE` refuses; a refused check reads how long until the next cell is free (no row
/// there when another instance inserted it meanwhile: then 1 s). $1 key, $2 interval, $3 the
/// burst's span, both in microseconds.
const CHECK: &str = "\
WITH clock AS (SELECT (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT AS now_us), \
attempt AS ( \
    INSERT INTO rate_limits AS r (key, tat_us) SELECT $1, now_us + $2 FROM clock \
    ON CONFLICT (key) DO UPDATE SET tat_us = GREATEST(r.tat_us, EXCLUDED.tat_us - $2) + $2 \
    WHERE GREATEST(r.tat_us, EXCLUDED.tat_us - $2) + $2 <= EXCLUDED.tat_us - $2 + $3 \
    RETURNING 0::BIGINT AS wait_us) \
SELECT wait_us FROM attempt \
UNION ALL \
SELECT GREATEST(r.tat_us + $2 - $3 - clock.now_us, 1) FROM rate_limits r, clock \
WHERE r.key = $1 AND NOT EXISTS (SELECT 1 FROM attempt)";

pub struct Limiter {
    scope: &'static str,
    interval_us: i64,
    burst_us: i64,
    checks: AtomicU64,
}

impl Limiter {
    /// `scope` names this limiter's keys in the shared table (`login_ip:192.0.2.1`).
    pub fn new(scope: &'static str, rate: Rate) -> Limiter {
        let interval = rate.period / rate.count.get();
        let interval_us = i64::try_from(interval.as_micros())
            .expect("a period of at most a day fits in i64 microseconds")
            .max(1);
        Limiter {
            scope,
            interval_us,
            burst_us: interval_us * i64::from(rate.count.get()),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one cell of `key`'s bucket, or says how long until one is free.
    pub async fn check(&self, db: &Pool, key: &str) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            let db = db.clone();
            rocket::tokio::spawn(async move {
                if let Err(e) = forget_full_buckets(&db).await {
                    rocket::warn!("rate limits: cannot prune the shared table: {e}");
                }
            });
        }
        let wait_us: Option<i64> = sqlx::query_scalar(CHECK)
            .bind(format!("{}:{key}", self.scope))
            .bind(self.interval_us)
            .bind(self.burst_us)
            .fetch_optional(db)
            .await?;
        match wait_us {
            Some(0) => Ok(()),
            Some(us) => Err(retry_after(Duration::from_micros(us.unsigned_abs()))),
            None => Err(retry_after(Duration::from_secs(1))),
        }
    }
}

/// Counts failures (not attempts) per key in the same table and arithmetic: `wait` looks without
/// taking a cell, `count` takes one for a failure (always, so every instance sees each one).
pub struct Failures {
    scope: &'static str,
    interval_us: i64,
    burst_us: i64,
}

const NOW_US: &str = "(EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT";

impl Failures {
    pub fn new(scope: &'static str, rate: Rate) -> Failures {
        let limiter = Limiter::new(scope, rate);
        Failures {
            scope,
            interval_us: limiter.interval_us,
            burst_us: limiter.burst_us,
        }
    }

    fn to_wait(us: Option<i64>) -> Option<Duration> {
        us.filter(|us| *us > 0)
            .map(|us| Duration::from_micros(us.unsigned_abs()))
    }

    pub async fn wait(&self, db: &Pool, key: &str) -> Result<Option<Duration>, ApiError> {
        let wait_us: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT tat_us + $2 - $3 - {NOW_US} FROM rate_limits WHERE key = $1"
        ))
        .bind(format!("{}:{key}", self.scope))
        .bind(self.interval_us)
        .bind(self.burst_us)
        .fetch_optional(db)
        .await?;
        Ok(Self::to_wait(wait_us))
    }

    pub async fn count(&self, db: &Pool, key: &str) -> Result<Option<Duration>, ApiError> {
        let wait_us: i64 = sqlx::query_scalar(&format!(
            "INSERT INTO rate_limits AS r (key, tat_us) VALUES ($1, {NOW_US} + $2) \
             ON CONFLICT (key) DO UPDATE SET tat_us = GREATEST(r.tat_us, EXCLUDED.tat_us - $2) + $2 \
             RETURNING tat_us + $2 - $3 - {NOW_US}"
        ))
        .bind(format!("{}:{key}", self.scope))
        .bind(self.interval_us)
        .bind(self.burst_us)
        .fetch_one(db)
        .await?;
        Ok(Self::to_wait(Some(wait_us)))
    }
}

/// Forgets keys whose bucket is full again (their row says nothing a missing row would not),
/// bounding the table. Returns how many went.
pub async fn forget_full_buckets(db: &Pool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM rate_limits WHERE tat_us < (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
