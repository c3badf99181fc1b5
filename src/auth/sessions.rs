//! The session whitelist: one row per device. Start, list and revoke; rotating a session's
//! refresh token (and telling reuse from a second tab) is in `rotation.rs`.

use serde::Serialize;

use crate::auth::app_claims::AppClaims;
use crate::auth::device::{ClientInfo, Device};
use crate::auth::tokens::{
    TokenKind, Tokens, AMR_HARDWARE_KEY, AMR_MULTI_FACTOR, AMR_OTP, AMR_PASSWORD,
};
use crate::auth::users::User;
use crate::clock::{new_id, now, rfc3339};
use crate::db::{Engine, Pool};
use crate::error::ApiError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub user_id: i64,
    pub refresh_jti: String,
    pub previous_jti: Option<String>,
    pub rotated_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub user_agent: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub device: String,
    pub ip: Option<String>,
    /// Started with a second factor.
    pub mfa: bool,
    /// When this session last proved who it is (sign-in or re-authentication).
    pub auth_time: i64,
    /// How it signed in (`SignInMethod`).
    pub method: String,
}

pub(crate) const SESSION_COLUMNS: &str =
    "id, user_id, refresh_jti, previous_jti, rotated_at, created_at, \
     last_used_at, expires_at, revoked_at, user_agent, browser, browser_version, os, device, ip, \
     mfa, auth_time, method";

/// How a session signed in, as `sessions.method` and the API's `session.method` say it:
/// `password`, `passkey` or `oidc:{provider}`, followed by `+totp`, `+recovery` or `+passkey`
/// when a second step came after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInMethod(String);

impl SignInMethod {
    pub fn password() -> SignInMethod {
        SignInMethod("password".into())
    }

    /// A passkey alone: two factors in one (something held, and a fingerprint or PIN).
    pub fn passkey() -> SignInMethod {
        SignInMethod("passkey".into())
    }

    /// A first step as a sign-in ticket stored it (`password`, `oidc:{name}`).
    pub fn first_step(stored: String) -> SignInMethod {
        SignInMethod(stored)
    }

    /// An OpenID Connect provider, by its configured name.
    pub fn oidc(provider: &str) -> SignInMethod {
        SignInMethod(format!("oidc:{provider}"))
    }

    /// The second step that followed: `totp`, `recovery` or `passkey`.
    pub fn then(self, second: &str) -> SignInMethod {
        SignInMethod(format!("{}+{second}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// More than one factor: a second step, or a passkey.
    pub fn is_multi_factor(&self) -> bool {
        self.0.contains('+') || self.0 == "passkey"
    }
}

/// A stored method in words, for the devices page: "Password + code", "Passkey", "Google"…
pub fn method_in_words(method: &str) -> String {
    let mut parts = method.split('+').map(|part| match part {
        "password" => "Password".to_owned(),
        "passkey" => "Passkey".to_owned(),
        "totp" => "code".to_owned(),
        "recovery" => "recovery code".to_owned(),
        other => match other.strip_prefix("oidc:") {
            Some(provider) => provider.to_owned(),
            None => other.to_owned(),
        },
    });
    let first = parts.next().unwrap_or_default();
    parts.fold(first, |words, part| format!("{words} + {part}"))
}

/// How long a sign-in or re-authentication counts for sensitive steps (ASVS 4 V3.7.1).
pub const REAUTH_WINDOW: i64 = 600;

/// What the API shows of a session.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Session)]
pub struct PublicSession {
    #[schema(example = "5f0c6b1e-8d7a-4c1f-9a57-2f1b3c4d5e6f")]
    pub id: String,
    /// `true` for the session of the token that asked.
    pub current: bool,
    #[schema(example = "Firefox")]
    pub browser: String,
    #[schema(example = "128.0")]
    pub browser_version: String,
    #[schema(example = "Linux")]
    pub os: String,
    /// woothee's category: `pc`, `smartphone`, `mobilephone`, `appliance`, `crawler`, `misc`,
    /// `UNKNOWN`.
    #[schema(example = "pc")]
    pub device: String,
    /// The raw `User-Agent`, cut at 512 bytes.
    #[schema(example = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")]
    pub user_agent: String,
    #[schema(required = true, example = "203.0.113.7")]
    pub ip: Option<String>,
    /// Signed in with a second factor.
    pub mfa: bool,
    /// How it signed in: `password`, `password+totp`, `password+recovery`, `password+passkey`,
    /// `passkey`, `oidc:{provider}` (and `+totp`… when a second step followed).
    #[schema(example = "password+totp")]
    pub method: String,
    #[schema(format = DateTime, example = "2025-01-31T12:00:00Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2025-01-31T12:05:00Z")]
    pub last_used_at: String,
    #[schema(format = DateTime, example = "2025-02-14T12:05:00Z")]
    pub expires_at: String,
}

/// A live session as the lists show it (the API, the devices page, the admin console): what
/// they show and nothing more, no token ids. Each column read costs about 2k instructions a row:
/// a list of 20 sessions read as whole `Session`s cost 1.2× the instructions.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedSession {
    pub id: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub device: String,
    pub user_agent: String,
    pub ip: Option<String>,
    pub mfa: bool,
    pub method: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
}

impl ListedSession {
    pub fn public(&self, current_session_id: &str) -> PublicSession {
        PublicSession {
            id: self.id.clone(),
            current: self.id == current_session_id,
            browser: self.browser.clone(),
            browser_version: self.browser_version.clone(),
            os: self.os.clone(),
            device: self.device.clone(),
            user_agent: self.user_agent.clone(),
            ip: self.ip.clone(),
            mfa: self.mfa,
            method: self.method.clone(),
            created_at: rfc3339(self.created_at),
            last_used_at: rfc3339(self.last_used_at),
            expires_at: rfc3339(self.expires_at),
        }
    }
}

impl Session {
    pub fn public(&self, current_session_id: &str) -> PublicSession {
        ListedSession::from(self).public(current_session_id)
    }
}

impl From<&Session> for ListedSession {
    fn from(s: &Session) -> ListedSession {
        ListedSession {
            id: s.id.clone(),
            browser: s.browser.clone(),
            browser_version: s.browser_version.clone(),
            os: s.os.clone(),
            device: s.device.clone(),
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            mfa: s.mfa,
            method: s.method.clone(),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
        }
    }
}

/// A freshly minted token pair and the session it belongs to.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub refresh_expires_in: i64,
    pub session: Session,
    pub user: User,
}

impl Session {
    /// The `amr` claim of its tokens.
    pub fn amr(&self) -> Vec<String> {
        let amr: &[&str] = match self.method.as_str() {
            "passkey" => &[AMR_HARDWARE_KEY, AMR_MULTI_FACTOR],
            method if method.ends_with("+passkey") => &[AMR_PASSWORD, AMR_HARDWARE_KEY],
            _ if self.mfa => &[AMR_PASSWORD, AMR_OTP],
            _ => &[AMR_PASSWORD],
        };
        amr.iter().map(|&a| a.to_owned()).collect()
    }
}

impl Issued {
    /// `now` is the caller's clock reading, the one the session's times were set from, so that a
    /// new session's refresh token lives exactly `refresh_token_ttl` (`exp - iat`).
    pub(crate) fn mint(
        tokens: &Tokens,
        user: User,
        session: Session,
        app: AppClaims,
        now: i64,
    ) -> Result<Issued, ApiError> {
        let (sid, jti) = (&session.id, &session.refresh_jti);
        let mut refresh = tokens.refresh_claims(user.id, sid, jti, session.expires_at, app);
        refresh.iat = now;
        refresh.amr = session.amr();
        refresh.auth_time = session.auth_time;
        Ok(Issued {
            access_token: tokens.mint_access(&refresh, user.role, now)?,
            refresh_token: tokens.sign(TokenKind::Refresh, &refresh)?,
            expires_in: tokens.access_token_ttl,
            refresh_expires_in: (session.expires_at - now).max(0),
            session,
            user,
        })
    }
}

/// Signs a user in on this device (`method`: how they proved who they are): a new whitelisted
/// session and its first token pair.
pub async fn start_session(
    db: &Pool,
    tokens: &Tokens,
    user: User,
    method: &SignInMethod,
    client: &ClientInfo,
) -> Result<Issued, ApiError> {
    let now = tokens.clock.now();
    let device = client.device();
    let session = Session {
        id: new_id(),
        user_id: user.id,
        refresh_jti: new_id(),
        previous_jti: None,
        rotated_at: None,
        created_at: now,
        last_used_at: now,
        expires_at: now + tokens.refresh_token_ttl.min(tokens.session_max_lifetime),
        revoked_at: None,
        user_agent: device.user_agent.clone(),
        browser: device.browser.clone(),
        browser_version: device.browser_version.clone(),
        os: device.os.clone(),
        device: device.device.clone(),
        ip: client.ip.map(|ip| ip.to_string()),
        mfa: method.is_multi_factor(),
        auth_time: now,
        method: method.as_str().to_owned(),
    };
    sqlx::query(
        "INSERT INTO sessions (id, user_id, refresh_jti, created_at, last_used_at, expires_at, \
         user_agent, browser, browser_version, os, device, ip, mfa, auth_time, method) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&session.id)
    .bind(session.user_id)
    .bind(&session.refresh_jti)
    .bind(session.created_at)
    .bind(session.last_used_at)
    .bind(session.expires_at)
    .bind(&session.user_agent)
    .bind(&session.browser)
    .bind(&session.browser_version)
    .bind(&session.os)
    .bind(&session.device)
    .bind(&session.ip)
    .bind(session.mfa)
    .bind(session.auth_time)
    .bind(&session.method)
    .execute(db)
    .await?;
    let app = AppClaims::for_user(&user);
    Issued::mint(tokens, user, session, app, now)
}

/// When the user's live session `sid` last proved who it is; `None` when it is not live.
pub async fn auth_time(db: &Pool, user_id: i64, sid: &str) -> Result<Option<i64>, ApiError> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT auth_time FROM sessions \
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(sid)
    .bind(user_id)
    .bind(now())
    .fetch_optional(db)
    .await?)
}

/// The session proved who it is again (password, and a code with MFA on).
pub async fn set_auth_time(db: &Pool, user_id: i64, sid: &str, at: i64) -> Result<(), ApiError> {
    sqlx::query("UPDATE sessions SET auth_time = $1 WHERE id = $2 AND user_id = $3")
        .bind(at)
        .bind(sid)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The user's live sessions, most recently used first.
pub async fn list_sessions(db: &Pool, user_id: i64) -> Result<Vec<ListedSession>, ApiError> {
    Ok(sqlx::query_as::<_, ListedSession>(
        "SELECT id, browser, browser_version, os, device, user_agent, ip, mfa, method, \
             created_at, last_used_at, expires_at FROM sessions \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY last_used_at DESC, created_at DESC",
    )
    .bind(user_id)
    .bind(now())
    .fetch_all(db)
    .await?)
}

/// Every session row the user has, live or not, newest first (their data export).
pub async fn every_session(db: &Pool, user_id: i64) -> Result<Vec<Session>, ApiError> {
    Ok(sqlx::query_as::<_, Session>(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await?)
}

/// Revokes one of the user's sessions; `false` when there is no such live session of theirs.
pub async fn revoke_session<'e, E>(db: E, user_id: i64, session_id: &str) -> Result<bool, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now())
    .bind(session_id)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of the user but `keep`; returns how many.
pub async fn revoke_other_sessions(db: &Pool, user_id: i64, keep: &str) -> Result<u64, ApiError> {
    revoke_other_sessions_in(db, user_id, keep).await
}

/// Revokes every live session of the user (a password reset, a deactivation); returns how many.
pub async fn revoke_all_sessions_in<'e, E>(db: E, user_id: i64) -> Result<u64, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    // Session ids are never empty, so keeping "" keeps none.
    revoke_other_sessions_in(db, user_id, "").await
}

/// What the account's sessions (live or dead, until housekeeping deletes them) say about a
/// device: whether the account was ever used anywhere, and from this browser, OS and device
/// kind (versions aside: a browser update is no new device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceHistory {
    pub any_device: bool,
    pub this_device: bool,
}

pub async fn device_history(
    db: &Pool,
    user_id: i64,
    device: &Device,
) -> Result<DeviceHistory, ApiError> {
    Ok(sqlx::query_as::<_, DeviceHistory>(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE user_id = $1) AS any_device, \
                EXISTS (SELECT 1 FROM sessions WHERE user_id = $1 AND browser = $2 \
                        AND os = $3 AND device = $4) AS this_device",
    )
    .bind(user_id)
    .bind(&device.browser)
    .bind(&device.os)
    .bind(&device.device)
    .fetch_one(db)
    .await?)
}

/// `revoke_other_sessions` on any executor, e.g. inside a password change's transaction.
pub async fn revoke_other_sessions_in<'e, E>(
    db: E,
    user_id: i64,
    keep: &str,
) -> Result<u64, ApiError>
where
    E: sqlx::Executor<'e, Database = Engine>,
{
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now())
    .bind(user_id)
    .bind(keep)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_say_every_step_and_read_in_words() {
        let code = SignInMethod::password().then("totp");
        assert_eq!(code.as_str(), "password+totp");
        assert!(code.is_multi_factor() && SignInMethod::passkey().is_multi_factor());
        assert!(!SignInMethod::password().is_multi_factor());
        assert!(!SignInMethod::oidc("google").is_multi_factor());
        assert_eq!(method_in_words("password+totp"), "Password + code");
        assert_eq!(
            method_in_words("password+recovery"),
            "Password + recovery code"
        );
        assert_eq!(method_in_words("passkey"), "Passkey");
        assert_eq!(method_in_words("oidc:google+totp"), "google + code");
    }
}
