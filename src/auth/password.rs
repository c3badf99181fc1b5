//! argon2id hashing and verification, off the async workers and never more at once than a bound.
//!
//! One argon2id hash holds 19 MiB for tens of milliseconds; unbounded, a login flood multiplies
//! that by the number of connections. A semaphore admits `password_hash_concurrency` at a time
//! (default: one per core) and the rest wait their turn without holding memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rocket::tokio::sync::Semaphore;
use rocket::tokio::task::spawn_blocking;

use crate::auth::users::NewPassword;
use crate::error::ApiError;

pub const MAX_PASSWORD_BYTES: usize = 1024;

pub struct Passwords {
    permits: Arc<Semaphore>,
    dummy_hash: String,
    gauge: Arc<Gauge>,
}

/// How many hashes run now, the most that ever ran at once, and how many ran in all
/// (for tests and benchmarks).
#[derive(Default)]
pub struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

impl Passwords {
    pub async fn new(concurrency: usize) -> Result<Passwords, ApiError> {
        let passwords = Passwords {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: String::new(),
            gauge: Arc::default(),
        };
        // Verifying an unknown email against this costs the same as a real verification.
        let dummy_hash = passwords.hash(NewPassword::dummy()).await?;
        Ok(Passwords {
            dummy_hash,
            ..passwords
        })
    }

    pub async fn hash(&self, password: NewPassword) -> Result<String, ApiError> {
        self.bounded(move || {
            let salt = SaltString::generate(&mut OsRng);
            // Argon2::default() is argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's first choice).
            Argon2::default()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await?
        .map_err(|e| {
            rocket::error!("argon2 failed: {e}");
            ApiError::Internal
        })
    }

    /// Verifies against `hash`, or against the dummy hash when there is no user (same cost).
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let is_real = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self
            .bounded(move || {
                PasswordHash::new(&hash).is_ok_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
            })
            .await?;
        Ok(matches && is_real)
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit moves into the blocking
    /// task, so a dropped request cannot release it while its hash still runs.
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal)?;
        let gauge = self.gauge.clone();
        spawn_blocking(move || {
            let _permit = permit;
            let _running = gauge.enter();
            work()
        })
        .await
        .map_err(|_| ApiError::Internal)
    }

    pub fn peak_concurrency(&self) -> usize {
        self.gauge.peak.load(Ordering::SeqCst)
    }

    pub fn hashes_run(&self) -> usize {
        self.gauge.total.load(Ordering::SeqCst)
    }
}

impl Gauge {
    fn enter(&self) -> GaugeGuard<'_> {
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(running, Ordering::SeqCst);
        self.total.fetch_add(1, Ordering::SeqCst);
        GaugeGuard(self)
    }
}

struct GaugeGuard<'a>(&'a Gauge);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}
