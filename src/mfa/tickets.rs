//! Sign-in tickets: what a right password on an account with two-factor sign-in on gets instead
//! of a session (a JWT of its own type, and a row here), spent by a right code. Every query on
//! `mfa_tickets`.

use crate::db::{Engine, Pool};
use crate::error::ApiResult;

/// How long the ticket between the password and the code lives.
pub const TICKET_TTL: i64 = 300;
/// Wrong codes one ticket allows; the next attempt needs a new sign-in.
pub const TICKET_MAX_FAILURES: i64 = 5;

/// Records a new ticket.
pub async fn issue_ticket(db: &Pool, user_id: i64, jti: &str, now: i64) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO mfa_tickets (jti, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(jti)
    .bind(user_id)
    .bind(now)
    .bind(now + TICKET_TTL)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes the ticket for one attempt (compare-and-swap: two racing attempts cannot both hold it);
/// `false` when it is unknown, expired, spent or out of attempts.
pub async fn take_ticket(db: &Pool, user_id: i64, jti: &str, now: i64) -> ApiResult<bool> {
    let done = sqlx::query(
        "UPDATE mfa_tickets SET spent_at = $1 \
         WHERE jti = $2 AND user_id = $3 AND spent_at IS NULL AND expires_at > $1 \
           AND failures < $4",
    )
    .bind(now)
    .bind(jti)
    .bind(user_id)
    .bind(TICKET_MAX_FAILURES)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A wrong code: counts it and hands the ticket back, unless that was its last attempt.
pub async fn return_ticket<'e, E>(db: E, jti: &str) -> ApiResult<()>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    sqlx::query(
        "UPDATE mfa_tickets SET failures = failures + 1, \
             spent_at = CASE WHEN failures + 1 >= $1 THEN spent_at ELSE NULL END \
         WHERE jti = $2",
    )
    .bind(TICKET_MAX_FAILURES)
    .bind(jti)
    .execute(db)
    .await?;
    Ok(())
}

/// Housekeeping: tickets past their life.
pub async fn prune_tickets(db: &Pool, now: i64) -> ApiResult<u64> {
    let done = sqlx::query("DELETE FROM mfa_tickets WHERE expires_at < $1")
        .bind(now)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
