//! The security-event log: every query on `security_events`. What happened to an account, when,
//! from which IP and device; its owner reads it (`GET /api/security-events`, the devices page).

use serde::Serialize;

use crate::auth::device::ClientInfo;
use crate::clock::{now, rfc3339};
use crate::db::{Engine, Pool};
use crate::error::ApiError;

/// The most events one read returns.
pub const MAX_EVENTS: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Registered,
    LoginSucceeded,
    /// Wrong password, deactivated account, or (with no user) an email that names no account.
    LoginFailed,
    /// An already-rotated refresh token came back outside the grace window: the session is revoked.
    RefreshReuse,
    /// The session's own device came back with the just-rotated token inside the grace window
    /// (two tabs, a lost answer) and was given the current pair.
    RefreshGrace,
    SessionRevoked,
    OtherSessionsRevoked,
    PasswordChanged,
    /// A password change refused because the current password was wrong.
    PasswordChangeFailed,
    Logout,
    /// A verification link was followed.
    EmailVerified,
    /// A reset link was mailed (recorded off the request path, like the mail itself).
    PasswordResetRequested,
    /// The password was reset with a mailed link; every session was revoked.
    PasswordReset,
    /// A link to confirm a new address was mailed to it.
    EmailChangeRequested,
    EmailChanged,
    /// Changing the email or deleting the account was refused: wrong password.
    PasswordCheckFailed,
    /// The account is gone; its events stay under its id (never reused), without the email.
    AccountDeleted,
    /// From the command line.
    UserDeactivated,
    UserActivated,
    RoleChanged,
    /// Two-factor sign-in was turned on (the first code confirmed) or off.
    MfaEnabled,
    MfaDisabled,
    /// A wrong or replayed second-factor code.
    MfaFailed,
    RecoveryCodeUsed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Registered => "registered",
            EventKind::LoginSucceeded => "login_succeeded",
            EventKind::LoginFailed => "login_failed",
            EventKind::RefreshReuse => "refresh_reuse",
            EventKind::RefreshGrace => "refresh_grace",
            EventKind::SessionRevoked => "session_revoked",
            EventKind::OtherSessionsRevoked => "other_sessions_revoked",
            EventKind::PasswordChanged => "password_changed",
            EventKind::PasswordChangeFailed => "password_change_failed",
            EventKind::Logout => "logout",
            EventKind::EmailVerified => "email_verified",
            EventKind::PasswordResetRequested => "password_reset_requested",
            EventKind::PasswordReset => "password_reset",
            EventKind::EmailChangeRequested => "email_change_requested",
            EventKind::EmailChanged => "email_changed",
            EventKind::PasswordCheckFailed => "password_check_failed",
            EventKind::AccountDeleted => "account_deleted",
            EventKind::UserDeactivated => "user_deactivated",
            EventKind::UserActivated => "user_activated",
            EventKind::RoleChanged => "role_changed",
            EventKind::MfaEnabled => "mfa_enabled",
            EventKind::MfaDisabled => "mfa_disabled",
            EventKind::MfaFailed => "mfa_failed",
            EventKind::RecoveryCodeUsed => "recovery_code_used",
        }
    }
}

/// Appends one event. Takes any executor, so it can join the caller's transaction (the reuse
/// event commits with the revocation it explains).
pub async fn record<'e, E>(
    db: E,
    kind: EventKind,
    user_id: Option<i64>,
    session_id: Option<&str>,
    client: &ClientInfo,
) -> Result<(), ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let device = &client.device;
    sqlx::query(
        "INSERT INTO security_events (user_id, kind, session_id, created_at, ip, user_agent, \
         browser, browser_version, os, device) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(session_id)
    .bind(now())
    .bind(client.ip.map(|ip| ip.to_string()))
    .bind(&device.user_agent)
    .bind(&device.browser)
    .bind(&device.browser_version)
    .bind(&device.os)
    .bind(&device.device)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecurityEvent {
    pub id: i64,
    pub user_id: Option<i64>,
    pub kind: String,
    pub session_id: Option<String>,
    pub created_at: i64,
    pub ip: Option<String>,
    pub user_agent: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub device: String,
}

/// What the API shows of an event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SecurityEvent)]
pub struct PublicEvent {
    /// What happened: `registered`, `login_succeeded`, `login_failed`, `refresh_reuse`,
    /// `session_revoked`, `other_sessions_revoked`, `password_changed`,
    /// `password_change_failed`, `logout`, or a kind added since.
    #[schema(example = "login_succeeded")]
    pub kind: String,
    #[schema(format = DateTime, example = "2025-01-31T12:00:00Z")]
    pub at: String,
    #[schema(required = true)]
    pub session_id: Option<String>,
    #[schema(required = true, example = "203.0.113.7")]
    pub ip: Option<String>,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub device: String,
    pub user_agent: String,
}

impl From<&SecurityEvent> for PublicEvent {
    fn from(e: &SecurityEvent) -> Self {
        PublicEvent {
            kind: e.kind.clone(),
            at: rfc3339(e.created_at),
            session_id: e.session_id.clone(),
            ip: e.ip.clone(),
            browser: e.browser.clone(),
            browser_version: e.browser_version.clone(),
            os: e.os.clone(),
            device: e.device.clone(),
            user_agent: e.user_agent.clone(),
        }
    }
}

/// The user's most recent events, newest first; `limit` is clamped to 1..=`MAX_EVENTS`.
pub async fn recent(db: &Pool, user_id: i64, limit: i64) -> Result<Vec<SecurityEvent>, ApiError> {
    Ok(sqlx::query_as::<_, SecurityEvent>(
        "SELECT id, user_id, kind, session_id, created_at, ip, user_agent, browser, \
         browser_version, os, device FROM security_events \
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit.clamp(1, MAX_EVENTS))
    .fetch_all(db)
    .await?)
}
