//! What every record is stamped with: the time (unix seconds, RFC 3339 for people) and random ids.
//! `Clock` is the app's own reading of the time (managed state): the token and session core reads
//! it, so a test moves time forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Seconds since the unix epoch, UTC, as the system tells it.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The app's clock: the system's, plus whatever a test has moved it forward by. Cheap to clone;
/// clones share one reading.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead: Arc<AtomicI64>,
}

impl Clock {
    /// Seconds since the unix epoch, UTC, on this app's clock.
    pub fn now(&self) -> i64 {
        now() + self.ahead.load(Ordering::Relaxed)
    }

    /// Moves this app's time forward (tests only: nothing in the app calls it).
    pub fn advance(&self, seconds: i64) {
        self.ahead.fetch_add(seconds, Ordering::Relaxed);
    }
}

/// RFC 3339 UTC, to the second: how the API shows times.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "2026-11-24 19:43:00 UTC": a time as people read it, in mails and on hover.
pub fn utc_text(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// A span of seconds in words, rounded up: "45 seconds", "30 minutes", "2 days". Used for how
/// long to wait (`Retry-After`) and how long a mailed link works.
pub fn in_words(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let (n, unit) = match seconds.max(1) {
        s if s < MINUTE => (s, "second"),
        s if s < HOUR => (s.div_ceil(MINUTE), "minute"),
        s if s < 2 * DAY => (s.div_ceil(HOUR), "hour"),
        s => (s.div_ceil(DAY), "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// 128 random bits as hex: session ids, `jti`s and CSRF tokens.
pub fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 0xf)] as char);
    }
    id
}
