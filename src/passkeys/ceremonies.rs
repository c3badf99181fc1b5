//! Ceremonies under way: every query on `passkey_ceremonies`. webauthn-rs's state between a
//! start and its finish lives in the database, not in the instance's memory, so any instance can
//! finish a ceremony another one started. A row is good for `CEREMONY_TTL` seconds, belongs to one
//! kind of ceremony, and is deleted by the finish that reads it: a challenge is answered once.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::new_id;
use crate::db::{Pool, Writer};
use crate::error::{ApiError, ApiResult};

pub use crate::config::passkeys::CEREMONY_TTL;

/// Which ceremony a challenge was made for; a challenge of one kind never finishes another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Adding a passkey to a signed-in account.
    Register,
    /// Signing in with a passkey alone (discoverable credential, no allow-list).
    SignIn,
    /// The second step of a password sign-in, with one of the account's passkeys.
    SecondStep,
}

impl CeremonyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::SignIn => "sign_in",
            CeremonyKind::SecondStep => "second_step",
        }
    }
}

/// A ceremony taken back at its finish: whose it was (sign-in has nobody yet) and its state.
#[derive(Debug)]
pub struct Taken<S> {
    pub user_id: Option<i64>,
    pub state: S,
}

/// Keeps a new ceremony's state; the answer is its `challenge_id`.
pub async fn save<S: Serialize>(
    db: &Pool,
    kind: CeremonyKind,
    user_id: Option<i64>,
    state: &S,
    now: i64,
) -> ApiResult<String> {
    let id = new_id();
    let state = serde_json::to_string(state).map_err(|e| {
        rocket::error!("passkey ceremony state not serialisable: {e}");
        ApiError::Internal
    })?;
    sqlx::query(
        "INSERT INTO passkey_ceremonies (id, kind, user_id, state, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(kind.as_str())
    .bind(user_id)
    .bind(state)
    .bind(now)
    .bind(now + CEREMONY_TTL)
    .execute(db)
    .await?;
    Ok(id)
}

/// Deletes the ceremony and answers its state: `None` when the id is unknown, of another kind,
/// already answered or expired. Deleting first makes the answer single-use even when two
/// instances race with the same challenge: one of them deletes the row.
pub async fn take<S: DeserializeOwned>(
    writer: &Writer,
    id: &str,
    kind: CeremonyKind,
    now: i64,
) -> ApiResult<Option<Taken<S>>> {
    // RETURNING with fetch_optional may not commit on SQLite outside a transaction (sqlx #2099).
    let mut turn = writer.turn().await;
    let mut tx = turn.begin().await?;
    let row: Option<(Option<i64>, String, i64)> = sqlx::query_as(
        "DELETE FROM passkey_ceremonies WHERE id = $1 AND kind = $2 \
         RETURNING user_id, state, expires_at",
    )
    .bind(id)
    .bind(kind.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    turn.end();
    let Some((user_id, state, expires_at)) = row else {
        return Ok(None);
    };
    if expires_at <= now {
        return Ok(None);
    }
    match serde_json::from_str(&state) {
        Ok(state) => Ok(Some(Taken { user_id, state })),
        Err(e) => {
            rocket::warn!("passkey ceremony {id}: state unreadable, refused: {e}");
            Ok(None)
        }
    }
}

/// Housekeeping: ceremonies nobody finished.
pub async fn delete_expired(db: &Pool, now: i64) -> ApiResult<u64> {
    let done = sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
