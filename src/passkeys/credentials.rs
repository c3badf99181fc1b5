//! The registered passkeys and each account's user handle: every query on `passkeys` and
//! `passkey_users`. A passkey is stored as webauthn-rs's `Passkey` (JSON), beside what the account
//! page shows (name, times, whether it is backed up) and what the checks compare (the counter).

use serde::Serialize;
use webauthn_rs::prelude::{AuthenticationResult, Passkey, Uuid};

use crate::clock::{new_id, rfc3339};
use crate::db::{Engine, Pool};
use crate::error::{ApiError, ApiResult};

/// The longest passkey name kept, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A registered passkey, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: i64,
    pub credential_id: String,
    pub name: String,
    pub credential: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, credential_id, name, credential, sign_count, backup_eligible, \
     backed_up, created_at, last_used_at";

/// What the API and the account page show of a passkey.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Passkey)]
pub struct PublicPasskey {
    #[schema(example = "9b2f0c1e8d7a4c1f9a572f1b3c4d5e6f")]
    pub id: String,
    #[schema(example = "MacBook Touch ID")]
    pub name: String,
    #[schema(format = DateTime, example = "2026-12-02T10:00:00Z")]
    pub created_at: String,
    /// `null` until it first signs in.
    #[schema(required = true, format = DateTime, example = "2026-12-02T10:05:00Z")]
    pub last_used_at: Option<String>,
    /// Synced to other devices by its provider (the authenticator's backup-state flag).
    pub backed_up: bool,
}

impl PasskeyRow {
    pub fn public(&self) -> PublicPasskey {
        PublicPasskey {
            id: self.id.clone(),
            name: self.name.clone(),
            created_at: rfc3339(self.created_at),
            last_used_at: self.last_used_at.map(rfc3339),
            backed_up: self.backed_up,
        }
    }

    /// The stored webauthn-rs credential.
    pub fn passkey(&self) -> ApiResult<Passkey> {
        serde_json::from_str(&self.credential).map_err(|e| {
            rocket::error!("passkey {}: stored credential unreadable: {e}", self.id);
            ApiError::Internal
        })
    }
}

/// A passkey name: trimmed, no control characters, at most `MAX_NAME_CHARS`; empty is refused.
pub fn parse_name(raw: &str) -> ApiResult<String> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::InvalidInput(format!(
            "name: 1 to {MAX_NAME_CHARS} characters, no control characters"
        )));
    }
    Ok(name.to_owned())
}

/// The credential id as the browser spells it (base64url, unpadded): the lookup key.
pub fn credential_key(raw_id: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw_id)
}

/// The account's user handle, made (random) the first time it is asked for.
pub async fn user_handle(db: &Pool, user_id: i64) -> ApiResult<Uuid> {
    let fresh = Uuid::new_v4();
    // Two racing registrations of one account: the first handle written wins, both read it.
    sqlx::query(
        "INSERT INTO passkey_users (user_id, handle) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(fresh.to_string())
    .execute(db)
    .await?;
    let handle: String = sqlx::query_scalar("SELECT handle FROM passkey_users WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await?;
    Uuid::parse_str(&handle).map_err(|_| ApiError::Internal)
}

/// The account a user handle names, if any.
pub async fn user_of_handle(db: &Pool, handle: &Uuid) -> ApiResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM passkey_users WHERE handle = $1")
            .bind(handle.to_string())
            .fetch_optional(db)
            .await?,
    )
}

/// The account's passkeys, oldest first.
pub async fn list(db: &Pool, user_id: i64) -> ApiResult<Vec<PasskeyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
    Ok(sqlx::query_as::<_, PasskeyRow>(&sql)
        .bind(user_id)
        .fetch_all(db)
        .await?)
}

/// One passkey by its credential id, whoever holds it.
pub async fn find_by_credential(db: &Pool, raw_id: &[u8]) -> ApiResult<Option<PasskeyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
    Ok(sqlx::query_as::<_, PasskeyRow>(&sql)
        .bind(credential_key(raw_id))
        .fetch_optional(db)
        .await?)
}

/// One of the account's passkeys by its id; another account's is `None`, as an unknown one.
pub async fn find(db: &Pool, user_id: i64, id: &str) -> ApiResult<Option<PasskeyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE id = $1 AND user_id = $2");
    Ok(sqlx::query_as::<_, PasskeyRow>(&sql)
        .bind(id)
        .bind(user_id)
        .fetch_optional(db)
        .await?)
}

/// The flags and counter a registration or a sign-in reported, as stored beside the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backed_up: bool,
}

impl Flags {
    /// What the new credential says about itself (webauthn-rs keeps it inside the `Passkey`).
    pub fn of_new(passkey: &Passkey) -> Flags {
        let value = serde_json::to_value(passkey).unwrap_or_default();
        let cred = &value["cred"];
        Flags {
            sign_count: cred["counter"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            backup_eligible: cred["backup_eligible"].as_bool().unwrap_or(false),
            backed_up: cred["backup_state"].as_bool().unwrap_or(false),
        }
    }

    pub fn of_use(result: &AuthenticationResult) -> Flags {
        Flags {
            sign_count: result.counter(),
            backup_eligible: result.backup_eligible(),
            backed_up: result.backup_state(),
        }
    }
}

/// Stores a new passkey; `409 passkey_taken` when its credential id is registered already (to
/// this account or another).
pub async fn insert(
    db: &Pool,
    user_id: i64,
    name: &str,
    passkey: &Passkey,
    now: i64,
) -> ApiResult<PasskeyRow> {
    let credential = serde_json::to_string(passkey).map_err(|_| ApiError::Internal)?;
    let flags = Flags::of_new(passkey);
    let row = PasskeyRow {
        id: new_id(),
        user_id,
        credential_id: credential_key(passkey.cred_id().as_ref()),
        name: name.to_owned(),
        credential,
        sign_count: i64::from(flags.sign_count),
        backup_eligible: flags.backup_eligible,
        backed_up: flags.backed_up,
        created_at: now,
        last_used_at: None,
    };
    let done = sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, name, credential, sign_count, \
             backup_eligible, backed_up, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&row.id)
    .bind(row.user_id)
    .bind(&row.credential_id)
    .bind(&row.name)
    .bind(&row.credential)
    .bind(row.sign_count)
    .bind(row.backup_eligible)
    .bind(row.backed_up)
    .bind(row.created_at)
    .execute(db)
    .await;
    match done {
        Ok(_) => Ok(row),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ApiError::PasskeyTaken),
        Err(e) => Err(e.into()),
    }
}

/// After a sign-in: the updated credential (its counter and flags), and when it was used.
/// Compare-and-swap on the counter read before the ceremony, so two racing uses of a cloned
/// key cannot both move it; `false` when another use got there first.
pub async fn record_use(
    db: &Pool,
    row: &PasskeyRow,
    passkey: &Passkey,
    flags: Flags,
    now: i64,
) -> ApiResult<bool> {
    let credential = serde_json::to_string(passkey).map_err(|_| ApiError::Internal)?;
    let done = sqlx::query(
        "UPDATE passkeys SET credential = $1, sign_count = $2, backup_eligible = $3, \
             backed_up = $4, last_used_at = $5 \
         WHERE id = $6 AND sign_count = $7",
    )
    .bind(credential)
    .bind(i64::from(flags.sign_count))
    .bind(flags.backup_eligible)
    .bind(flags.backed_up)
    .bind(now)
    .bind(&row.id)
    .bind(row.sign_count)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Renames one of the account's passkeys; `false` when it has no such passkey.
pub async fn rename(db: &Pool, user_id: i64, id: &str, name: &str) -> ApiResult<bool> {
    let done = sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3")
        .bind(name)
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes one of the account's passkeys; `false` when it has no such passkey.
pub async fn delete<'e, E>(db: E, user_id: i64, id: &str) -> ApiResult<bool>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
