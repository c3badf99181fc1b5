//! Housekeeping: deleting what no longer serves anyone, so the tables do not grow forever.
//! Security events older than `retention_days`, and sessions revoked or expired that long ago
//! (a live session is never touched). Runs at launch and then hourly; with several instances
//! each one prunes, which is harmless (the deletes are idempotent).

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

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
}

/// Deletes events older than `before` and sessions revoked or expired before it.
pub async fn prune(db: &Pool, before: i64) -> Result<Pruned, ApiError> {
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
    Ok(Pruned { events, sessions })
}

pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Housekeeping", |rocket| {
        Box::pin(async move {
            let retention = rocket
                .state::<Settings>()
                .and_then(|s| s.retention_days)
                .map(|days| days * 24 * 60 * 60);
            let (Some(retention), Some(db)) = (retention, Db::fetch(rocket)) else {
                return;
            };
            let db: Pool = (**db).clone();
            rocket::tokio::spawn(async move {
                loop {
                    match prune(&db, now() - retention).await {
                        Ok(p) if p.events + p.sessions > 0 => rocket::info!(
                            "housekeeping: deleted {} security events and {} dead sessions",
                            p.events,
                            p.sessions
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
