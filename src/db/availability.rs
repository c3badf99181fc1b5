//! When the database cannot serve: which errors say so (answered `503 service_unavailable`, not
//! 500), and how the pool gets rid of connections that died with the server.
//!
//! The pool does not ping a connection before each checkout (bench/ measured it on the hot
//! paths). Then a PostgreSQL restart leaves every idle pooled connection dead, and each would
//! fail one request after the server is back (tests/deploy measured 32 of 40). Two cheap rules
//! at checkout instead (`check_before_acquire`, PostgreSQL only: a SQLite connection is a file
//! handle and does not die with a server):
//! - a connection opened before the last connection loss this process saw is closed, without
//!   a round trip: the server it was opened on may be gone. So once one request finds a dead
//!   connection (during the outage, answered 503), no request gets another from before;
//! - a connection idle for `IDLE_CHECK_AFTER` or more is pinged first. A busy pool hands its
//!   connections out again within milliseconds and never pays the round trip; a quiet one pays
//!   it, and so learns of a restart that no request has seen yet.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// Idle this long, a pooled connection is pinged before it is handed out.
pub const IDLE_CHECK_AFTER: Duration = Duration::from_secs(1);

/// True when the error says the database cannot serve now (down, restarting, unreachable, out
/// of connections, its file unwritable) rather than that the request or the code is wrong.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| unavailable_code(&code)),
        other => loses_connection(other),
    }
}

/// Errors after which the connection they happened on is dead: the server closed it (shut
/// down, restarted, ended the session) or the network dropped it.
fn loses_connection(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| connection_ended_code(&code)),
        _ => false,
    }
}

/// SQLSTATE classes and codes: 08 connection exception; 53 insufficient resources (disk full,
/// too many connections); 57P01 to 57P03 shutting down, crashed, starting up; 25006 a read-only
/// transaction (a standby during a failover).
#[cfg(feature = "postgres")]
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(code, "57P01" | "57P02" | "57P03" | "25006")
}

/// The server ended the session: the connection is gone.
#[cfg(feature = "postgres")]
fn connection_ended_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02")
}

/// SQLite result codes (the low byte of an extended code): BUSY (5: still locked after the busy
/// timeout), READONLY (8: the file or its directory cannot be written, or the file was moved),
/// IOERR (10), FULL (13), CANTOPEN (14).
#[cfg(feature = "sqlite")]
fn unavailable_code(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 8 | 10 | 13 | 14))
}

#[cfg(feature = "sqlite")]
fn connection_ended_code(_code: &str) -> bool {
    false
}

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
/// When a connection was last found dead: nanoseconds since `EPOCH`, plus one; 0 is never.
/// One database per process in production; the tests' many pools merely share it.
static LAST_LOSS: AtomicU64 = AtomicU64::new(0);

fn stamp(at: Instant) -> u64 {
    let nanos = at.saturating_duration_since(*EPOCH).as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1
}

/// Learns from a database error: after a lost connection, every connection opened before it
/// is closed at its next checkout.
pub fn note(error: &sqlx::Error) {
    if loses_connection(error) {
        LAST_LOSS.fetch_max(stamp(Instant::now()), Ordering::Relaxed);
    }
}

// Used by the PostgreSQL pool's check; compiled (and unit-tested) with either engine.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn opened_before_last_loss(age: Duration) -> bool {
    let loss = LAST_LOSS.load(Ordering::Relaxed);
    loss != 0
        && Instant::now()
            .checked_sub(age)
            .is_none_or(|opened| stamp(opened) <= loss)
}

/// The pool's `before_acquire` hook: `Ok(false)` closes the connection and opens another.
#[cfg(feature = "postgres")]
pub fn check_before_acquire(
    conn: &mut sqlx::PgConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> rocket::futures::future::BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        if opened_before_last_loss(meta.age) {
            return Ok(false);
        }
        if meta.idle_for >= IDLE_CHECK_AFTER {
            if let Err(error) = sqlx::Connection::ping(conn).await {
                note(&error);
                return Err(error);
            }
        }
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_opened_before_a_loss_are_retired_and_later_ones_kept() {
        let old = Duration::from_secs(3600);
        note(&sqlx::Error::PoolTimedOut);
        note(&sqlx::Error::Io(std::io::ErrorKind::BrokenPipe.into()));
        assert!(opened_before_last_loss(old));
        std::thread::sleep(Duration::from_millis(5));
        assert!(!opened_before_last_loss(Duration::from_millis(1)));
    }

    #[test]
    fn a_pool_out_of_time_or_a_dead_socket_is_unavailable_and_a_bad_row_is_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::PoolClosed));
        assert!(is_unavailable(&sqlx::Error::Io(
            std::io::ErrorKind::ConnectionReset.into()
        )));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }
}
