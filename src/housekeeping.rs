//! Housekeeping: deleting what no longer serves anyone, so the tables do not grow forever.
//! Security events older than `retention_days`, and sessions revoked or expired that long ago
//! (a live session is never touched); one-time tokens, sign-in tickets and provider trips as
//! soon as they are used or expired, whatever the retention. Runs at launch and then hourly; with several instances each one
//! prunes, which is harmless (the deletes are idempotent).

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

use crate::account::one_time;
use crate::clock::now;
use crate::config::Settings;
use crate::db::{Db, Pool};
use crate::error::ApiError;

const EVERY: Duration = Duration::from_secs(60 * 60);

/// What one pass deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub events: u64,
    pub sessions: u64,
    pub tokens: u64,
}

/// Deletes events older than `before` (`None`: keeps them all) and sessions revoked or expired
/// before it, and the one-time tokens used or expired by now.
pub async fn prune(db: &Pool, before: Option<i64>) -> Result<Pruned, ApiError> {
    let tokens = one_time::purge(db, now()).await?
        + crate::mfa::tickets::prune_tickets(db, now()).await?
        + crate::oidc::flow::prune_flows(db, now()).await?
        + crate::oidc::identities::prune_pending(db, now()).await?
        + crate::passkeys::ceremonies::delete_expired(db, now()).await?;
    let Some(before) = before else {
        return Ok(Pruned {
            events: 0,
            sessions: 0,
            tokens,
        });
    };
    let events = sqlx::query("DELETE FROM security_events WHERE created_at < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected();
    let sessions = sqlx::query(
        "DELETE FROM sessions WHERE (revoked_at IS NOT NULL AND revoked_at < $1) OR expires_at < $1",
    )
    .bind(before)
    .execute(db)
    .await?
    .rows_affected();
    Ok(Pruned {
        events,
        sessions,
        tokens,
    })
}

pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Housekeeping", |rocket| {
        Box::pin(async move {
            let retention = rocket
                .state::<Settings>()
                .and_then(|s| s.retention_days)
                .map(|days| days * 24 * 60 * 60);
            let Some(db) = Db::fetch(rocket) else {
                return;
            };
            let db: Pool = (**db).clone();
            rocket::tokio::spawn(async move {
                loop {
                    match prune(&db, retention.map(|r| now() - r)).await {
                        Ok(p) if p.events + p.sessions + p.tokens > 0 => rocket::info!(
                            "housekeeping: deleted {} security events, {} dead sessions and {} \
                             spent one-time tokens",
                            p.events,
                            p.sessions,
                            p.tokens
                        ),
                        Ok(_) => {}
                        Err(e) => rocket::warn!("housekeeping failed: {e}"),
                    }
                    rocket::tokio::time::sleep(EVERY).await;
                }
            });
        })
    })
}
