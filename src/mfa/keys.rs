//! The keys of two-factor data at rest, none derived from a signing key: TOTP secrets are sealed
//! under the data key (`auth::data_keys`); recovery codes are hashed with a random key of their
//! own, itself kept sealed under the data key in `sealed_keys` (every query on that table).
//!
//! Releases before the data key sealed secrets and hashed codes with keys derived from the
//! signing secret, so a signing-key rotation locked people out. At start-up `load` moves such
//! secrets under the data key (while the signing key that sealed them is still configured), and
//! keeps the derived recovery-code keys, sealed, for the codes hashed with them: from then on no
//! signing key is needed. `reseal_all` (the `rotate-data-key` command) moves everything under
//! the current data key at once, after which `previous_data_keys` can be emptied.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore;
use ring::hmac;

use crate::auth::data_keys::{self, DataKeys, Opened, SEALED_PREFIX};
use crate::auth::keys::KeySet;
use crate::db::Pool;
use crate::error::{ApiError, ApiResult};

/// The id, in `sealed_keys` and on each code's row, of the recovery-code key.
pub const RECOVERY_KEY: &str = "recovery";
/// Code rows hashed before the data key (`key_id` of the rows the migration found).
pub const LEGACY: &str = "legacy";
const LEGACY_KEY_PREFIX: &str = "recovery-legacy-";

/// Two-factor's keys (managed state).
pub struct MfaKeys {
    data: DataKeys,
    /// The recovery-code key, then the legacy keys older codes were hashed with.
    recovery: Vec<[u8; 32]>,
}

fn totp_aad(user_id: i64) -> Vec<u8> {
    format!("mfa_totp user {user_id}").into_bytes()
}

fn key_aad(id: &str) -> Vec<u8> {
    format!("sealed_keys {id}").into_bytes()
}

impl MfaKeys {
    /// A TOTP secret sealed under the current data key, bound to its user.
    pub fn seal_secret(&self, user_id: i64, secret: &[u8]) -> ApiResult<String> {
        self.data.seal(&totp_aad(user_id), secret)
    }

    /// A stored TOTP secret, and whether to seal it again (an earlier data key sealed it).
    pub fn open_secret(&self, user_id: i64, stored: &str) -> ApiResult<Opened> {
        self.data.open(&totp_aad(user_id), stored).ok_or_else(|| {
            rocket::error!(
                "the TOTP secret of user {user_id} opens under no configured data key: put the \
                 data key that sealed it in previous_data_keys, or reset it with `reset-mfa`"
            );
            ApiError::Internal
        })
    }

    /// The stored form of a recovery code under each key (the first is the one to store).
    pub fn recovery_hashes(&self, user_id: i64, code: &str) -> Vec<String> {
        self.recovery
            .iter()
            .map(|key| {
                let key = hmac::Key::new(hmac::HMAC_SHA256, key);
                let tag = hmac::sign(&key, format!("{user_id}:{code}").as_bytes());
                STANDARD.encode(tag.as_ref())
            })
            .collect()
    }

    pub fn data(&self) -> &DataKeys {
        &self.data
    }
}

/// What releases before the data key did, kept to read their rows (and for the tests to make
/// such rows): keys derived from the signing secrets, the TOTP secret sealed as plain base64.
pub mod legacy {
    use super::*;

    pub fn totp_keys(signing: &KeySet) -> Vec<[u8; 32]> {
        signing.derive("mfa totp secret")
    }

    pub fn recovery_keys(signing: &KeySet) -> Vec<[u8; 32]> {
        signing.derive("mfa recovery code")
    }

    pub fn seal_secret(signing: &KeySet, user_id: i64, secret: &[u8]) -> ApiResult<String> {
        let key = totp_keys(signing).swap_remove(0);
        let raw = data_keys::seal_with(&data_keys::aead_key(&key), &totp_aad(user_id), secret)?;
        Ok(STANDARD.encode(raw))
    }

    /// A recovery code as older releases stored it (under the current signing key).
    pub fn recovery_hash(signing: &KeySet, user_id: i64, code: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &recovery_keys(signing)[0]);
        let tag = hmac::sign(&key, format!("{user_id}:{code}").as_bytes());
        STANDARD.encode(tag.as_ref())
    }

    pub fn open_secret(signing: &KeySet, user_id: i64, stored: &str) -> Option<Vec<u8>> {
        let raw = STANDARD.decode(stored).ok()?;
        totp_keys(signing).iter().find_map(|key| {
            data_keys::open_with(&data_keys::aead_key(key), &totp_aad(user_id), &raw)
        })
    }
}

/// A key of `sealed_keys`, opened; sealed again under the current data key when an earlier one
/// sealed it. `None`: no such row.
async fn open_stored_key(db: &Pool, data: &DataKeys, id: &str) -> Result<Option<[u8; 32]>, String> {
    let sealed: Option<String> = sqlx::query_scalar("SELECT sealed FROM sealed_keys WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
        .map_err(|e| e.to_string())?;
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let opened = data.open(&key_aad(id), &sealed).ok_or_else(|| {
        format!(
            "the key {id:?} in sealed_keys opens under no configured data key: put the data \
             key that sealed it in previous_data_keys"
        )
    })?;
    if opened.stale {
        reseal_stored_key(db, data, id, &sealed, &opened.plain).await?;
    }
    opened
        .plain
        .try_into()
        .map(Some)
        .map_err(|_| format!("the key {id:?} in sealed_keys is not 32 bytes"))
}

async fn reseal_stored_key(
    db: &Pool,
    data: &DataKeys,
    id: &str,
    old: &str,
    plain: &[u8],
) -> Result<bool, String> {
    let sealed = data.seal(&key_aad(id), plain).map_err(|e| e.message())?;
    let done = sqlx::query("UPDATE sealed_keys SET sealed = $1 WHERE id = $2 AND sealed = $3")
        .bind(sealed)
        .bind(id)
        .bind(old)
        .execute(db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(done.rows_affected() == 1)
}

/// Stores `key` under `id` unless a key is there already (another instance starting).
async fn store_key(db: &Pool, data: &DataKeys, id: &str, key: &[u8; 32]) -> Result<(), String> {
    let sealed = data.seal(&key_aad(id), key).map_err(|e| e.message())?;
    sqlx::query(
        "INSERT INTO sealed_keys (id, sealed, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(sealed)
    .bind(crate::clock::now())
    .execute(db)
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// At start-up: the recovery-code key (made on first use), the move of secrets sealed under
/// keys derived from the signing key, and the legacy recovery-code keys while codes need them.
/// `Err`: one line saying what to fix (a key that opens under no configured data key).
pub async fn load(db: &Pool, data: DataKeys, signing: &KeySet) -> Result<MfaKeys, String> {
    let recovery = match open_stored_key(db, &data, RECOVERY_KEY).await? {
        Some(key) => key,
        None => {
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            store_key(db, &data, RECOVERY_KEY, &key).await?;
            open_stored_key(db, &data, RECOVERY_KEY)
                .await?
                .ok_or("the recovery-code key was not stored")?
        }
    };
    let mut keys = vec![recovery];
    keys.extend(legacy_recovery_keys(db, &data, signing).await?);
    move_legacy_secrets(db, &data, signing).await?;
    Ok(MfaKeys {
        data,
        recovery: keys,
    })
}

/// The derived keys of codes hashed before the data key: stored (sealed) the first time such
/// codes are found, forgotten once none is left.
async fn legacy_recovery_keys(
    db: &Pool,
    data: &DataKeys,
    signing: &KeySet,
) -> Result<Vec<[u8; 32]>, String> {
    let legacy_codes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mfa_recovery_codes WHERE key_id = $1")
            .bind(LEGACY)
            .fetch_one(db)
            .await
            .map_err(|e| e.to_string())?;
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT id FROM sealed_keys WHERE id LIKE $1 ORDER BY id")
            .bind(format!("{LEGACY_KEY_PREFIX}%"))
            .fetch_all(db)
            .await
            .map_err(|e| e.to_string())?;
    if legacy_codes == 0 {
        if !stored.is_empty() {
            sqlx::query("DELETE FROM sealed_keys WHERE id LIKE $1")
                .bind(format!("{LEGACY_KEY_PREFIX}%"))
                .execute(db)
                .await
                .map_err(|e| e.to_string())?;
        }
        return Ok(Vec::new());
    }
    if stored.is_empty() {
        for (i, key) in legacy::recovery_keys(signing).iter().enumerate() {
            store_key(db, data, &format!("{LEGACY_KEY_PREFIX}{i}"), key).await?;
        }
        rocket::info!(
            "data key: {legacy_codes} recovery codes hashed with keys derived from the signing \
             key; those keys are now kept sealed under the data key"
        );
    }
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM sealed_keys WHERE id LIKE $1 ORDER BY id")
            .bind(format!("{LEGACY_KEY_PREFIX}%"))
            .fetch_all(db)
            .await
            .map_err(|e| e.to_string())?;
    let mut keys = Vec::new();
    for id in ids {
        keys.extend(open_stored_key(db, data, &id).await?);
    }
    Ok(keys)
}

/// TOTP secrets sealed under a key derived from the signing key, sealed again under the data
/// key. One the configured signing keys cannot open stays as it is, logged: its user needs
/// the old signing key back once, or a `reset-mfa`.
async fn move_legacy_secrets(db: &Pool, data: &DataKeys, signing: &KeySet) -> Result<(), String> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT user_id, secret FROM mfa_totp WHERE secret NOT LIKE $1")
            .bind(format!("{SEALED_PREFIX}%"))
            .fetch_all(db)
            .await
            .map_err(|e| e.to_string())?;
    let mut moved = 0;
    for (user_id, stored) in rows {
        let Some(plain) = legacy::open_secret(signing, user_id, &stored) else {
            rocket::error!(
                "data key: the TOTP secret of user {user_id} opens under no configured signing \
                 key: configure the signing key it was enrolled under once, or `reset-mfa`"
            );
            continue;
        };
        let sealed = data
            .seal(&totp_aad(user_id), &plain)
            .map_err(|e| e.message())?;
        moved += replace_secret(db, user_id, &stored, &sealed)
            .await
            .map_err(|e| e.message())? as u32;
    }
    if moved > 0 {
        rocket::info!("data key: moved {moved} TOTP secrets from the signing key to the data key");
    }
    Ok(())
}

/// Puts `new` in place of `old` (compare-and-swap: a secret replaced meanwhile stays).
pub async fn replace_secret(db: &Pool, user_id: i64, old: &str, new: &str) -> ApiResult<bool> {
    let done = sqlx::query("UPDATE mfa_totp SET secret = $1 WHERE user_id = $2 AND secret = $3")
        .bind(new)
        .bind(user_id)
        .bind(old)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What `reseal_all` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    pub secrets: u64,
    pub keys: u64,
    /// Values no configured data key opens (left as they are).
    pub unreadable: u64,
}

/// Seals every TOTP secret and stored key again under the current data key (`rotate-data-key`).
pub async fn reseal_all(db: &Pool, keys: &MfaKeys) -> ApiResult<Resealed> {
    let data = &keys.data;
    let mut done = Resealed {
        secrets: 0,
        keys: 0,
        unreadable: 0,
    };
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT user_id, secret FROM mfa_totp")
        .fetch_all(db)
        .await?;
    for (user_id, stored) in rows {
        if data.is_current(&stored) {
            continue;
        }
        match data.open(&totp_aad(user_id), &stored) {
            Some(opened) => {
                let sealed = data.seal(&totp_aad(user_id), &opened.plain)?;
                done.secrets += u64::from(replace_secret(db, user_id, &stored, &sealed).await?);
            }
            None => done.unreadable += 1,
        }
    }
    let stored: Vec<(String, String)> = sqlx::query_as("SELECT id, sealed FROM sealed_keys")
        .fetch_all(db)
        .await?;
    for (id, sealed) in stored {
        if data.is_current(&sealed) {
            continue;
        }
        match data.open(&key_aad(&id), &sealed) {
            Some(opened) => {
                let moved = reseal_stored_key(db, data, &id, &sealed, &opened.plain)
                    .await
                    .map_err(|e| {
                        rocket::error!("rotate-data-key: {e}");
                        ApiError::Internal
                    })?;
                done.keys += u64::from(moved);
            }
            None => done.unreadable += 1,
        }
    }
    Ok(done)
}
