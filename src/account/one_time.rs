//! One-time tokens: the secrets in the links we mail (verify an address, reset a password,
//! confirm a new address), and every query on `one_time_tokens`.
//!
//! A token is 256 random bits (base64url, 43 characters) that exists only in the mail: the table
//! keeps its SHA-256. Each is bound to one user, one purpose and the address it was mailed to,
//! works once, and expires; issuing a new one voids the user's older ones of the same purpose.

use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::clock::now;
use crate::db::{Engine, Pool};
use crate::error::ApiError;

const TOKEN_BYTES: usize = 32;
/// base64url without padding of `TOKEN_BYTES`.
const TOKEN_CHARS: usize = 43;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Confirms a new address: the token's `email` is the address to move to.
    ChangeEmail,
    /// Cancels a pending email change: mailed to the old address when the change is asked for.
    CancelEmailChange,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
            Purpose::CancelEmailChange => "cancel_email_change",
        }
    }
}

/// What a live token stands for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Redeemable {
    pub user_id: i64,
    /// The address the link was mailed to.
    pub email: String,
}

/// The stored form of a token; `None` when it cannot be one of ours (wrong length or alphabet),
/// so forged input costs no query.
fn hash(token: &str) -> Option<String> {
    let plausible = token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new token for `user_id` and `purpose`, mailed to `email` and good for `ttl` seconds; the
/// user's earlier tokens of this purpose stop working. Returns the token, to be mailed.
pub async fn issue(
    db: &Pool,
    user_id: i64,
    purpose: Purpose,
    email: &str,
    ttl: i64,
) -> Result<String, ApiError> {
    let token = new_token();
    let token_hash = hash(&token).expect("a new token has the token's shape");
    let now = now();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO one_time_tokens (user_id, purpose, token_hash, email, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(&token_hash)
    .bind(email)
    .bind(now)
    .bind(now + ttl)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// A credential changed (the password, the second factor, "sign out everywhere", a
/// deactivation, an administrator's reset): every link the user was mailed and every sign-in
/// ticket waiting for a code stops working, in the caller's transaction.
pub async fn end_pending(
    tx: &mut sqlx::Transaction<'_, Engine>,
    user_id: i64,
) -> Result<(), ApiError> {
    void_all(&mut **tx, user_id).await?;
    crate::mfa::tickets::void_all(&mut **tx, user_id).await?;
    Ok(())
}

/// Voids the user's pending tokens of one purpose (a cancelled email change).
pub async fn void<'e, E>(db: E, user_id: i64, purpose: Purpose) -> Result<u64, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query("DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Voids every pending token of the user (`end_pending` does it with the tickets).
pub async fn void_all<'e, E>(db: E, user_id: i64) -> Result<u64, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query("DELETE FROM one_time_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// What a token would redeem, without spending it (a page showing its form, a check before the
/// slow part of a step). `None`: unknown, used, expired or of another purpose.
pub async fn find(
    db: &Pool,
    token: &str,
    purpose: Purpose,
) -> Result<Option<Redeemable>, ApiError> {
    let Some(token_hash) = hash(token) else {
        return Ok(None);
    };
    Ok(sqlx::query_as::<_, Redeemable>(
        "SELECT user_id, email FROM one_time_tokens \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now())
    .fetch_optional(db)
    .await?)
}

/// Spends the token, in the caller's transaction, so it is spent only if what it allows is done
/// too. One compare-and-swap `UPDATE`: of two requests racing with one token, one wins.
pub async fn redeem<'e, E>(db: E, token: &str, purpose: Purpose) -> Result<Redeemable, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let token_hash = hash(token).ok_or(ApiError::InvalidToken)?;
    sqlx::query_as::<_, Redeemable>(
        "UPDATE one_time_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id, email",
    )
    .bind(now())
    .bind(token_hash)
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?
    .ok_or(ApiError::InvalidToken)
}

/// Housekeeping: tokens used or expired before `now` serve nobody.
pub async fn purge(db: &Pool, now: i64) -> Result<u64, ApiError> {
    Ok(
        sqlx::query("DELETE FROM one_time_tokens WHERE used_at IS NOT NULL OR expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_are_stored_as_their_sha256() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_CHARS);
        let stored = hash(&a).unwrap();
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(&a));
        assert_eq!(hash(&a), hash(&a));
    }

    #[test]
    fn input_that_cannot_be_a_token_is_refused_before_any_query() {
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}!", "a".repeat(42)),
        ] {
            assert_eq!(hash(bad), None, "{bad:?}");
        }
    }
}
