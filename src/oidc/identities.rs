//! The `user_identities` table: which provider identities are linked to which account, and the
//! `oidc_pending_links` waiting for a password. Every query on them is here.

use crate::clock::{now, rfc3339};
use crate::db::{is_unique_violation, Engine, Pool};
use crate::error::ApiResult;
use crate::oidc::flow::{cookie_hash, Identity};
use crate::oidc::OidcError;

/// A linked identity as the account page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkedIdentity {
    pub provider: String,
    pub email: String,
    pub created_at: i64,
    pub last_used_at: i64,
}

/// What the account export and the admin API show of a linked identity (never the subject).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = LinkedIdentity)]
pub struct PublicIdentity {
    /// The provider's name in `oidc_providers`.
    #[schema(example = "google")]
    pub provider: String,
    /// The address the provider gave when it was linked.
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(format = DateTime, example = "2026-12-02T10:00:00Z")]
    pub linked_at: String,
    #[schema(format = DateTime, example = "2026-12-02T10:05:00Z")]
    pub last_used_at: String,
}

impl LinkedIdentity {
    pub fn public(&self) -> PublicIdentity {
        PublicIdentity {
            provider: self.provider.clone(),
            email: self.email.clone(),
            linked_at: rfc3339(self.created_at),
            last_used_at: rfc3339(self.last_used_at),
        }
    }
}

/// The account `(provider, subject)` is linked to; its last use is stamped.
pub async fn find_user(db: &Pool, identity: &Identity) -> Result<Option<i64>, OidcError> {
    // SQLite may not commit `RETURNING` outside a transaction (sqlx #2099).
    let mut tx = db.begin().await?;
    let user: Option<(i64,)> = sqlx::query_as(
        "UPDATE user_identities SET last_used_at = $1 WHERE provider = $2 AND subject = $3 \
         RETURNING user_id",
    )
    .bind(now())
    .bind(&identity.provider)
    .bind(&identity.subject)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(user.map(|(id,)| id))
}

/// Links an identity to an account. `Ok(false)`: that identity is linked to an account already
/// (this one or another); nothing changed.
pub async fn link<'e, E>(db: E, user_id: i64, identity: &Identity) -> Result<bool, OidcError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let at = now();
    let inserted = sqlx::query(
        "INSERT INTO user_identities (user_id, provider, subject, email, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(user_id)
    .bind(&identity.provider)
    .bind(&identity.subject)
    .bind(&identity.email)
    .bind(at)
    .execute(db)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Unlinks the account's identities at `provider`; how many went.
pub async fn unlink<'e, E>(db: E, user_id: i64, provider: &str) -> Result<u64, OidcError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query("DELETE FROM user_identities WHERE user_id = $1 AND provider = $2")
        .bind(user_id)
        .bind(provider)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// The account's linked identities, by provider name.
pub async fn list<'e, E>(db: E, user_id: i64) -> ApiResult<Vec<LinkedIdentity>>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    Ok(sqlx::query_as::<_, LinkedIdentity>(
        "SELECT provider, email, created_at, last_used_at FROM user_identities \
         WHERE user_id = $1 ORDER BY provider",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?)
}

/// An identity waiting for the password of `user_id`, and where to go after.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingLink {
    pub user_id: i64,
    pub provider: String,
    pub subject: String,
    pub email: String,
    pub next: String,
    pub expires_at: i64,
}

impl PendingLink {
    pub fn identity(&self) -> Identity {
        Identity {
            provider: self.provider.clone(),
            subject: self.subject.clone(),
            email: self.email.clone(),
            email_verified: false,
            name: String::new(),
        }
    }
}

pub async fn save_pending(
    db: &Pool,
    cookie: &str,
    user_id: i64,
    identity: &Identity,
    next: &str,
    expires_at: i64,
) -> Result<(), OidcError> {
    sqlx::query(
        "INSERT INTO oidc_pending_links (cookie_hash, user_id, provider, subject, email, next, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(cookie_hash(cookie))
    .bind(user_id)
    .bind(&identity.provider)
    .bind(&identity.subject)
    .bind(&identity.email)
    .bind(next)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The pending link this browser holds, still live; left in place (the password may be wrong).
pub async fn find_pending(db: &Pool, cookie: &str) -> Result<Option<PendingLink>, OidcError> {
    Ok(sqlx::query_as::<_, PendingLink>(
        "SELECT user_id, provider, subject, email, next, expires_at FROM oidc_pending_links \
         WHERE cookie_hash = $1 AND expires_at >= $2",
    )
    .bind(cookie_hash(cookie))
    .bind(now())
    .fetch_optional(db)
    .await?)
}

/// Housekeeping: identities that waited for a password in vain.
pub async fn prune_pending(db: &Pool, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM oidc_pending_links WHERE expires_at < $1")
        .bind(now)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

pub async fn drop_pending<'e, E>(db: E, cookie: &str) -> Result<(), OidcError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    sqlx::query("DELETE FROM oidc_pending_links WHERE cookie_hash = $1 OR expires_at < $2")
        .bind(cookie_hash(cookie))
        .bind(now())
        .execute(db)
        .await?;
    Ok(())
}
