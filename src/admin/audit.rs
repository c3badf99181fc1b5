//! The admin audit log: every query on `admin_audit`. One entry per change an administrator (or
//! the command line) made: who, what, to whom, when and from where. Entries keep the emails as
//! they were, so they outlive both accounts.

use serde::Serialize;

use crate::auth::device::ClientInfo;
use crate::auth::users::User;
use crate::clock::rfc3339;
use crate::db::{Engine, Pool};
use crate::error::ApiError;

/// The most entries one read returns.
pub const MAX_ENTRIES: i64 = 100;

/// What the admin did. Stored by name (`action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Deactivated,
    Activated,
    RoleChanged,
    SessionsRevoked,
    SessionRevoked,
    MfaReset,
    PasswordResetMailed,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Deactivated => "user_deactivated",
            AuditAction::Activated => "user_activated",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::SessionsRevoked => "sessions_revoked",
            AuditAction::SessionRevoked => "session_revoked",
            AuditAction::MfaReset => "mfa_reset",
            AuditAction::PasswordResetMailed => "password_reset_mailed",
        }
    }
}

/// Who acted, as the log keeps it: an admin's id and email, or the command line (no id).
pub struct Acted<'a> {
    pub admin: Option<&'a User>,
    pub client: &'a ClientInfo,
}

/// Appends one entry; joins the caller's transaction, so the entry commits with the change.
pub async fn record_audit<'e, E>(
    db: E,
    by: &Acted<'_>,
    action: AuditAction,
    target: &User,
    detail: &str,
    at: i64,
) -> Result<(), ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let (admin_id, admin_email) = match by.admin {
        Some(admin) => (Some(admin.id), admin.email.as_str()),
        None => (None, "command line"),
    };
    sqlx::query(
        "INSERT INTO admin_audit (admin_id, admin_email, action, target_id, target_email, \
         detail, created_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(admin_id)
    .bind(admin_email)
    .bind(action.as_str())
    .bind(target.id)
    .bind(&target.email)
    .bind(detail)
    .bind(at)
    .bind(by.client.ip.map(|ip| ip.to_string()))
    .bind(&by.client.user_agent)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub admin_id: Option<i64>,
    pub admin_email: String,
    pub action: String,
    pub target_id: Option<i64>,
    pub target_email: String,
    pub detail: String,
    pub created_at: i64,
    pub ip: Option<String>,
    pub user_agent: String,
}

/// What the API shows of an entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicAuditEntry {
    #[schema(example = "17")]
    pub id: String,
    #[schema(format = DateTime, example = "2025-01-31T12:00:00Z")]
    pub at: String,
    /// The acting admin's id; `null` for the command line.
    #[schema(required = true, example = "1")]
    pub admin_id: Option<String>,
    /// The acting admin's email then, or `command line`.
    #[schema(example = "root@example.com")]
    pub admin_email: String,
    /// `user_deactivated`, `user_activated`, `role_changed`, `sessions_revoked`,
    /// `session_revoked`, `mfa_reset`, `password_reset_mailed`.
    #[schema(example = "user_deactivated")]
    pub action: String,
    #[schema(required = true, example = "42")]
    pub target_id: Option<String>,
    /// The target's email then.
    #[schema(example = "ada@example.com")]
    pub target_email: String,
    /// What changed, in a few words (the new role, how many sessions).
    #[schema(example = "2 sessions revoked")]
    pub detail: String,
    #[schema(required = true, example = "203.0.113.7")]
    pub ip: Option<String>,
    pub user_agent: String,
}

impl From<&AuditEntry> for PublicAuditEntry {
    fn from(e: &AuditEntry) -> Self {
        PublicAuditEntry {
            id: e.id.to_string(),
            at: rfc3339(e.created_at),
            admin_id: e.admin_id.map(|id| id.to_string()),
            admin_email: e.admin_email.clone(),
            action: e.action.clone(),
            target_id: e.target_id.map(|id| id.to_string()),
            target_email: e.target_email.clone(),
            detail: e.detail.clone(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
        }
    }
}

const ENTRY_COLUMNS: &str = "id, admin_id, admin_email, action, target_id, target_email, detail, \
     created_at, ip, user_agent";

/// A page of the log, newest first: entries older than `before` (an entry id, the cursor), at
/// most `limit` (clamped to 1..=`MAX_ENTRIES`); with `target`, only that user's.
pub async fn entries(
    db: &Pool,
    target: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, ApiError> {
    Ok(sqlx::query_as::<_, AuditEntry>(&format!(
        "SELECT {ENTRY_COLUMNS} FROM admin_audit \
         WHERE ($1 IS NULL OR target_id = $1) AND ($2 IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(target)
    .bind(before)
    .bind(limit.clamp(1, MAX_ENTRIES))
    .fetch_all(db)
    .await?)
}
