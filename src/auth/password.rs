//! argon2id hashing and verification, off the async workers and never more at once than a bound.
//!
//! One argon2id hash holds 19 MiB for tens of milliseconds; unbounded, a login flood multiplies
//! that by the number of connections. A semaphore admits `password_hash_concurrency` at a time
//! (default: one per core) and the rest wait their turn without holding memory.
//!
//! The 19 MiB working memory is kept and reused rather than allocated per hash: hashes run on
//! whichever thread of the blocking pool is free, and glibc keeps a freed block in each thread's
//! arena, so per-hash allocation left hundreds of MiB resident after a login flood (bench/).
//! With reuse, at most `bound` working memories ever exist.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rocket::tokio::sync::Semaphore;
use rocket::tokio::task::spawn_blocking;

use crate::auth::users::NewPassword;
use crate::error::ApiError;
use crate::metrics::Metrics;

pub const MAX_PASSWORD_BYTES: usize = 1024;

pub struct Passwords {
    permits: Arc<Semaphore>,
    bound: usize,
    /// Hashes waiting for a permit, and how many may (`password_hash_queue_limit`).
    waiting: Arc<AtomicUsize>,
    queue_limit: usize,
    dummy_hash: String,
    gauge: Arc<Gauge>,
    memory: Arc<MemoryPool>,
    metrics: Metrics,
}

/// One request waiting for a hashing permit, counted while it waits (also when it is dropped).
struct Waiting<'a> {
    count: &'a AtomicUsize,
    /// How many were waiting before it.
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Waiting<'a> {
        let ahead = count.fetch_add(1, Ordering::SeqCst);
        Waiting { count, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Idle argon2 working memories, each big enough for `Params::default()`. A hash takes one (or
/// allocates one when none is idle) and puts it back; the semaphore keeps the count <= the bound.
#[derive(Default)]
struct MemoryPool(Mutex<Vec<Vec<Block>>>);

/// How many hashes run now, the most that ever ran at once, and how many ran in all
/// (for tests and benchmarks).
#[derive(Default)]
pub struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

impl Passwords {
    pub async fn new(concurrency: usize, queue_limit: usize) -> Result<Passwords, ApiError> {
        let bound = concurrency.max(1);
        let passwords = Passwords {
            permits: Arc::new(Semaphore::new(bound)),
            bound,
            waiting: Arc::default(),
            queue_limit,
            dummy_hash: String::new(),
            gauge: Arc::default(),
            memory: Arc::default(),
            metrics: Metrics::off(),
        };
        // Verifying an unknown email against this costs the same as a real verification.
        let dummy_hash = passwords.hash(NewPassword::dummy()).await?;
        // An idle server holds no working memory: the first logins allocate it.
        passwords.memory.release_all();
        Ok(Passwords {
            dummy_hash,
            ..passwords
        })
    }

    /// Each hash's wait and run time counted in `metrics` from now on.
    pub fn counted_in(self, metrics: Metrics) -> Passwords {
        Passwords { metrics, ..self }
    }

    pub async fn hash(&self, password: NewPassword) -> Result<String, ApiError> {
        self.bounded(move |memory| hash_with(memory, password.expose().as_bytes()))
            .await?
            .map_err(|e| {
                rocket::error!("argon2 failed: {e}");
                ApiError::Internal
            })
    }

    /// Verifies against `hash`, or against the dummy hash when there is no user (same cost).
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        // An account without a password (made through a provider) costs the dummy hash's work
        // too, so the answer's time does not tell it from the others.
        let hash = hash.filter(|hash| !hash.is_empty());
        let is_real = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self
            .bounded(move |memory| verify_with(memory, password.as_bytes(), &hash))
            .await?;
        Ok(matches && is_real)
    }

    /// Runs `work` on the blocking pool, with a working memory, once a permit is free. The permit
    /// moves into the blocking task, so a dropped request cannot release it while its hash still
    /// runs (nor can more than `bound` memories be out at once).
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let queued = Instant::now();
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                // Past `queue_limit` waiting, answer now (`503`, `Retry-After`) rather than pile
                // up requests that would all time out.
                let waiting = Waiting::enter(&self.waiting);
                if waiting.ahead >= self.queue_limit {
                    return Err(ApiError::Busy(1));
                }
                self.permits
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| ApiError::Internal)?
            }
        };
        let waited = queued.elapsed();
        let gauge = self.gauge.clone();
        let pool = self.memory.clone();
        let metrics = self.metrics.clone();
        spawn_blocking(move || {
            let _permit = permit;
            let _running = gauge.enter();
            let started = Instant::now();
            let mut memory = pool.take();
            let result = work(&mut memory);
            pool.put_back(memory);
            metrics.password_hash(waited, started.elapsed());
            result
        })
        .await
        .map_err(|_| ApiError::Internal)
    }

    /// Hashes waiting for a permit now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    pub fn peak_concurrency(&self) -> usize {
        self.gauge.peak.load(Ordering::SeqCst)
    }

    pub fn hashes_run(&self) -> usize {
        self.gauge.total.load(Ordering::SeqCst)
    }

    /// Working memories allocated and idle now (tests: never more than the bound).
    pub fn idle_memories(&self) -> usize {
        self.memory.idle()
    }

    /// One line for the log at shutdown: an operator (or the login-flood benchmark) sees how close
    /// hashing came to the bound without any endpoint exposing it.
    pub fn report(&self) -> String {
        format!(
            "password hashing: {} hashes, at most {} at once (bound {})",
            self.hashes_run(),
            self.peak_concurrency(),
            self.bound
        )
    }
}

impl MemoryPool {
    fn take(&self) -> Vec<Block> {
        self.idle_list()
            .pop()
            .unwrap_or_else(|| vec![Block::default(); Params::default().block_count()])
    }

    fn put_back(&self, memory: Vec<Block>) {
        self.idle_list().push(memory);
    }

    fn release_all(&self) {
        self.idle_list().clear();
    }

    fn idle(&self) -> usize {
        self.idle_list().len()
    }

    /// The list survives a panic elsewhere while locked: it holds plain buffers, never half-made.
    fn idle_list(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// argon2id, m = 19 MiB, t = 2, p = 1 (the argon2 crate's default, OWASP's first choice), as the
/// usual PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, computed in `memory`.
fn hash_with(
    memory: &mut [Block],
    password: &[u8],
) -> Result<String, argon2::password_hash::Error> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt_bytes, &mut output, memory)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output)?),
    };
    Ok(phc.to_string())
}

/// Recomputes the hash with the stored algorithm, version, parameters and salt, in `memory` (or,
/// for parameters stronger than today's, in memory of their own), and compares in constant time.
fn verify_with(memory: &mut [Block], password: &[u8], stored: &str) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(phc.algorithm), Params::try_from(&phc))
    else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut larger;
    let memory = if memory.len() >= params.block_count() {
        memory
    } else {
        larger = vec![Block::default(); params.block_count()];
        &mut larger[..]
    };
    let computed = Output::init_with(expected.len(), |out| {
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password, salt_bytes, out, memory)
            .map_err(Into::into)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|computed| computed == expected)
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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn memory() -> Vec<Block> {
        vec![Block::default(); Params::default().block_count()]
    }

    #[test]
    fn hashes_are_the_argon2_crates_phc_strings() {
        let stored = hash_with(&mut memory(), b"correct horse battery").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        let parsed = PasswordHash::new(&stored).unwrap();
        let crate_verifier = Argon2::default();
        assert!(crate_verifier
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(crate_verifier.verify_password(b"wrong", &parsed).is_err());
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_still_verify() {
        // Hashes stored before the memory was reused were made this way.
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        let mut memory = memory();
        assert!(verify_with(&mut memory, b"correct horse battery", &stored));
        assert!(!verify_with(&mut memory, b"correct horse batterY", &stored));
        assert!(!verify_with(
            &mut memory,
            b"correct horse battery",
            "not a hash"
        ));
        let truncated = &stored[..stored.len() - 4];
        assert!(!verify_with(
            &mut memory,
            b"correct horse battery",
            truncated
        ));
    }

    #[test]
    fn stronger_parameters_than_the_pooled_memory_verify_in_memory_of_their_own() {
        let params = Params::new(24 * 1024, 3, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        let mut memory = memory();
        assert!(verify_with(&mut memory, b"correct horse battery", &stored));
        assert!(!verify_with(&mut memory, b"wrong", &stored));
    }
}
