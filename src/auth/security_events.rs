//! The security-event log: every query on `security_events`. What happened to an account, when,
//! from which IP and device; its owner reads it (`GET /api/security-events`, the devices page).

use serde::Serialize;

use crate::auth::device::ClientInfo;
use crate::clock::{now, rfc3339};
use crate::db::{Engine, Pool};
use crate::error::ApiError;

/// The most events one read returns.
pub const MAX_EVENTS: i64 = 100;

/// How an event reads to its owner: a warning stands out on the devices page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
}

/// Declares `EventKind` from one table: each kind's stored name, its words for people and its
/// severity, so adding a kind cannot forget any of them.
macro_rules! event_kinds {
    ($($(#[$doc:meta])* $kind:ident = $name:literal, $words:literal, $severity:ident;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum EventKind {
            $($(#[$doc])* $kind,)+
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$kind),+];

            /// The name stored and shown by the API (`kind`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$kind => $name,)+
                }
            }

            /// The event in words, for its owner ("Signed in").
            pub fn words(self) -> &'static str {
                match self {
                    $(EventKind::$kind => $words,)+
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(EventKind::$kind => Severity::$severity,)+
                }
            }

            pub fn parse(name: &str) -> Option<EventKind> {
                match name {
                    $($name => Some(EventKind::$kind),)+
                    _ => None,
                }
            }
        }
    };
}

event_kinds! {
    Registered = "registered", "Account created", Info;
    LoginSucceeded = "login_succeeded", "Signed in", Info;
    /// Wrong password, deactivated account, or (with no user) an email that names no account.
    LoginFailed = "login_failed", "Failed sign-in", Warning;
    /// An already-rotated refresh token came back outside the grace window: the session is revoked.
    RefreshReuse = "refresh_reuse", "Refresh token reused — session revoked", Warning;
    /// The session's own device came back with the just-rotated token inside the grace window
    /// (two tabs, a lost answer) and was given the current pair.
    RefreshGrace = "refresh_grace", "Refreshed twice at once (another tab)", Info;
    SessionRevoked = "session_revoked", "Device signed out", Info;
    OtherSessionsRevoked = "other_sessions_revoked", "Signed out everywhere else", Info;
    PasswordChanged = "password_changed", "Password changed", Info;
    /// A password change refused because the current password was wrong.
    PasswordChangeFailed = "password_change_failed", "Failed password change", Warning;
    Logout = "logout", "Signed out", Info;
    /// A verification link was followed.
    EmailVerified = "email_verified", "Email address confirmed", Info;
    /// A reset link was mailed (recorded off the request path, like the mail itself).
    PasswordResetRequested = "password_reset_requested", "Password reset link mailed", Info;
    /// The password was reset with a mailed link; every session was revoked.
    PasswordReset = "password_reset", "Password reset by mail — every device signed out", Info;
    /// A link to confirm a new address was mailed to it.
    EmailChangeRequested = "email_change_requested", "New email address asked for", Info;
    EmailChanged = "email_changed", "Email address changed", Info;
    /// The link mailed to the old address cancelled a pending change.
    EmailChangeCancelled = "email_change_cancelled", "Change of email address cancelled", Warning;
    /// Changing the email or deleting the account was refused: wrong password.
    PasswordCheckFailed = "password_check_failed", "Wrong password on the account page", Warning;
    /// The account is gone; its events stay under its id (never reused), without the email.
    AccountDeleted = "account_deleted", "Account deleted", Warning;
    /// By an administrator, from the admin console or the command line.
    UserDeactivated = "user_deactivated", "Account deactivated by an administrator", Warning;
    UserActivated = "user_activated", "Account activated by an administrator", Info;
    RoleChanged = "role_changed", "Role changed by an administrator", Info;
    /// One or every session revoked from the admin console or the command line.
    SessionsRevokedByAdmin = "sessions_revoked_by_admin", "Signed out by an administrator", Warning;
    /// The lost-phone path: the second factor and the recovery codes removed by an administrator.
    MfaResetByAdmin = "mfa_reset_by_admin", "Two-factor sign-in reset by an administrator", Warning;
    PasswordResetMailedByAdmin = "password_reset_mailed_by_admin", "Password reset link mailed by an administrator", Info;
    /// Two-factor sign-in was turned on (the first code confirmed) or off.
    MfaEnabled = "mfa_enabled", "Two-factor sign-in turned on", Info;
    MfaDisabled = "mfa_disabled", "Two-factor sign-in turned off", Warning;
    /// A wrong or replayed second-factor code.
    MfaFailed = "mfa_failed", "Wrong two-factor code", Warning;
    /// Wrong second-factor codes past `rate_limit_mfa_failures_per_account`: the second step is
    /// refused for a while, and the owner mailed (once a window).
    MfaLocked = "mfa_locked", "Too many wrong two-factor codes — second step paused", Warning;
    RecoveryCodeUsed = "recovery_code_used", "Recovery code used", Warning;
    /// An identity at an OpenID Connect provider was linked to the account (at sign-up through
    /// it, both sides vouching for the address, with the password once, or from the account page).
    IdentityLinked = "identity_linked", "Sign-in provider linked", Warning;
    IdentityUnlinked = "identity_unlinked", "Sign-in provider unlinked", Info;
    /// A sign-in through an OpenID Connect provider (with two-factor on, before the code).
    OidcSignIn = "oidc_sign_in", "Signed in with a provider", Info;
    /// A passkey was added to the account, or removed from it.
    PasskeyAdded = "passkey_added", "Passkey added", Info;
    PasskeyRemoved = "passkey_removed", "Passkey removed", Warning;
    /// Signed in with a passkey alone.
    PasskeySignIn = "passkey_sign_in", "Signed in with a passkey", Info;
    /// A passkey of this account was refused (bad signature, another origin...).
    PasskeyFailed = "passkey_failed", "Passkey refused", Warning;
    /// A passkey's signature counter went back (a cloned key?): the sign-in was refused.
    PasskeyCounterRegressed = "passkey_counter_regressed", "Passkey refused: it may have been copied", Warning;
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
    let device = client.device();
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

/// Every event kept under the user, newest first (their data export).
pub async fn every_event(db: &Pool, user_id: i64) -> Result<Vec<SecurityEvent>, ApiError> {
    Ok(sqlx::query_as::<_, SecurityEvent>(
        "SELECT id, user_id, kind, session_id, created_at, ip, user_agent, browser, \
         browser_version, os, device FROM security_events \
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name_and_words() {
        let mut names = std::collections::HashSet::new();
        for kind in EventKind::ALL {
            assert!(names.insert(kind.as_str()), "{} twice", kind.as_str());
            assert_eq!(EventKind::parse(kind.as_str()), Some(*kind));
            let words = kind.words();
            assert!(
                !words.is_empty() && words != "Security event",
                "{kind:?} has no words"
            );
        }
        assert_eq!(EventKind::parse("no_such_kind"), None);
    }

    #[test]
    fn failures_and_takeover_signs_are_warnings() {
        for kind in [
            EventKind::LoginFailed,
            EventKind::RefreshReuse,
            EventKind::MfaFailed,
            EventKind::RecoveryCodeUsed,
            EventKind::PasswordCheckFailed,
        ] {
            assert_eq!(kind.severity(), Severity::Warning, "{kind:?}");
        }
        assert_eq!(EventKind::LoginSucceeded.severity(), Severity::Info);
    }
}
