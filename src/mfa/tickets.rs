//! Sign-in tickets: what a right password on an account with two-factor sign-in on gets instead
//! of a session (a JWT of its own type, and a row here), spent by a right code. Every query on
//! `mfa_tickets`.

use crate::db::{Engine, Pool};
use crate::error::ApiResult;

/// How long the ticket between the password and the code lives.
pub const TICKET_TTL: i64 = 300;
/// Wrong codes one ticket allows; the next attempt needs a new sign-in.
pub const TICKET_MAX_FAILURES: i64 = 5;

/// Records a new ticket, the step that earned it (`password`, `oidc:{name}`) and the device
/// that took that step (its user agent): only that device can spend it.
pub async fn issue_ticket(
    db: &Pool,
    user_id: i64,
    jti: &str,
    first_factor: &str,
    user_agent: &str,
    now: i64,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO mfa_tickets (jti, user_id, created_at, expires_at, first_factor, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(jti)
    .bind(user_id)
    .bind(now)
    .bind(now + TICKET_TTL)
    .bind(first_factor)
    .bind(user_agent)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes the ticket for one attempt (compare-and-swap: two racing attempts cannot both hold it);
/// `false` when it is unknown, expired, spent, out of attempts, or presented by another device
/// than the one that passed the first step.
pub async fn take_ticket(
    db: &Pool,
    user_id: i64,
    jti: &str,
    user_agent: &str,
    now: i64,
) -> ApiResult<bool> {
    let done = sqlx::query(
        "UPDATE mfa_tickets SET spent_at = $1 \
         WHERE jti = $2 AND user_id = $3 AND spent_at IS NULL AND expires_at > $1 \
           AND failures < $4 AND user_agent = $5",
    )
    .bind(now)
    .bind(jti)
    .bind(user_id)
    .bind(TICKET_MAX_FAILURES)
    .bind(user_agent)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The step that earned the ticket (`password` for tickets from before it was recorded).
pub async fn first_factor(db: &Pool, jti: &str) -> ApiResult<String> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT first_factor FROM mfa_tickets WHERE jti = $1")
            .bind(jti)
            .fetch_optional(db)
            .await?;
    Ok(row.map_or_else(|| "password".to_owned(), |(first,)| first))
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

/// Every ticket of the user, spent or not (a credential changed: `account::one_time::end_pending`).
pub async fn void_all<'e, E>(db: E, user_id: i64) -> ApiResult<u64>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query("DELETE FROM mfa_tickets WHERE user_id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Housekeeping: tickets past their life.
pub async fn prune_tickets(db: &Pool, now: i64) -> ApiResult<u64> {
    let done = sqlx::query("DELETE FROM mfa_tickets WHERE expires_at < $1")
        .bind(now)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
