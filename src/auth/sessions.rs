//! The session whitelist: one row per device. Start, rotate (compare-and-swap on the current
//! `jti`, in one transaction), detect reuse, list and revoke.

use serde::Serialize;

use crate::auth::app_claims::AppClaims;
use crate::auth::device::{ClientInfo, Device};
use crate::auth::security_events::{self, EventKind};
use crate::auth::tokens::{RefreshClaims, TokenKind, Tokens, AMR_OTP, AMR_PASSWORD};
use crate::auth::users::{self, User};
use crate::clock::{new_id, now, rfc3339};
use crate::config::Settings;
use crate::db::{write_turn, Engine, Pool};
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
}

const SESSION_COLUMNS: &str = "id, user_id, refresh_jti, previous_jti, rotated_at, created_at, \
     last_used_at, expires_at, revoked_at, user_agent, browser, browser_version, os, device, ip, \
     mfa, auth_time";

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
    #[schema(format = DateTime, example = "2025-01-31T12:00:00Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2025-01-31T12:05:00Z")]
    pub last_used_at: String,
    #[schema(format = DateTime, example = "2025-02-14T12:05:00Z")]
    pub expires_at: String,
}

impl Session {
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
            created_at: rfc3339(self.created_at),
            last_used_at: rfc3339(self.last_used_at),
            expires_at: rfc3339(self.expires_at),
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
        let mut amr = vec![AMR_PASSWORD.to_owned()];
        if self.mfa {
            amr.push(AMR_OTP.to_owned());
        }
        amr
    }
}

impl Issued {
    /// `now` is the caller's clock reading, the one the session's times were set from, so that a
    /// new session's refresh token lives exactly `refresh_token_ttl` (`exp - iat`).
    fn mint(
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

/// Signs a user in on this device (with a second factor when `mfa`): a new whitelisted session
/// and its first token pair.
pub async fn start_session(
    db: &Pool,
    tokens: &Tokens,
    user: User,
    mfa: bool,
    client: &ClientInfo,
) -> Result<Issued, ApiError> {
    let now = tokens.clock.now();
    let device = &client.device;
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
        mfa,
        auth_time: now,
    };
    sqlx::query(
        "INSERT INTO sessions (id, user_id, refresh_jti, created_at, last_used_at, expires_at, \
         user_agent, browser, browser_version, os, device, ip, mfa, auth_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
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
    .execute(db)
    .await?;
    let app = AppClaims::for_user(&user);
    Issued::mint(tokens, user, session, app, now)
}

/// What a presented refresh token is to its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// The session's current token.
    Current,
    /// The token it replaced, back within `refresh_reuse_grace` seconds of the rotation from the
    /// session's own device (same user agent): two tabs refreshing at once, or a lost answer.
    Grace,
    /// Any other token of a live session: stolen or replayed. The session must go.
    Reuse,
    /// The session is revoked or expired: nothing to answer.
    Dead,
}

impl Session {
    /// Classifies the `jti` of a verified refresh token of this session, presented at `now` by a
    /// client with `user_agent`.
    pub fn classify(&self, jti: &str, user_agent: &str, now: i64, grace: i64) -> Presented {
        let live = self.revoked_at.is_none() && self.expires_at > now;
        if !live {
            return Presented::Dead;
        }
        if self.refresh_jti == jti {
            return Presented::Current;
        }
        let within_grace = self.previous_jti.as_deref() == Some(jti)
            && self.rotated_at.is_some_and(|at| now - at <= grace)
            && self.user_agent == user_agent;
        if within_grace {
            Presented::Grace
        } else {
            Presented::Reuse
        }
    }
}

/// The session a verified refresh token names, read inside `tx`.
async fn session_of(
    tx: &mut sqlx::Transaction<'_, Engine>,
    claims: &RefreshClaims,
) -> Result<Session, ApiError> {
    let user_id = claims.user_id()?;
    sqlx::query_as::<_, Session>(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1 AND user_id = $2"
    ))
    .bind(&claims.sid)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(ApiError::InvalidRefreshToken)
}

/// Token theft: the whole session is revoked and the reuse recorded, in the caller's transaction.
async fn revoke_for_reuse(
    tx: &mut sqlx::Transaction<'_, Engine>,
    session: &Session,
    now: i64,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(&session.id)
        .execute(&mut **tx)
        .await?;
    let (user_id, sid) = (Some(session.user_id), Some(session.id.as_str()));
    security_events::record(&mut **tx, EventKind::RefreshReuse, user_id, sid, client).await?;
    rocket::warn!(
        "refresh token reuse on session {} of user {}: session revoked",
        session.id,
        session.user_id
    );
    Ok(())
}

/// Exchanges a refresh token for a new pair, moving the session to a new `jti`.
///
/// - current `jti`: rotate (compare-and-swap, so of two racing requests exactly one rotates);
///   the session's expiry slides to `refresh_token_ttl` from now, but never past
///   `session_max_lifetime` from sign-in;
/// - `Presented::Grace`: answer with a pair for the session's current `jti`, rotating nothing,
///   and record it;
/// - `Presented::Reuse`: revoke the whole session.
///
/// The application claims and the role are derived again from the user as loaded now, so a
/// demoted user loses a permission at the next refresh.
pub async fn rotate_session(
    db: &Pool,
    tokens: &Tokens,
    settings: &Settings,
    claims: &RefreshClaims,
    client: &ClientInfo,
) -> Result<Issued, ApiError> {
    let user_id = claims.user_id()?;
    let now = tokens.clock.now();
    let new_jti = new_id();
    let turn = write_turn().await;
    let mut tx = db.begin().await?;
    let rotated = sqlx::query(
        "UPDATE sessions SET previous_jti = refresh_jti, refresh_jti = $1, rotated_at = $2, \
             last_used_at = $2, ip = $4, \
             expires_at = CASE WHEN created_at + $8 < $3 THEN created_at + $8 ELSE $3 END \
         WHERE id = $5 AND user_id = $6 AND refresh_jti = $7 \
           AND revoked_at IS NULL AND expires_at > $2 AND created_at + $8 > $2 \
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.active)",
    )
    .bind(&new_jti)
    .bind(now)
    .bind(now + tokens.refresh_token_ttl)
    .bind(client.ip.map(|ip| ip.to_string()))
    .bind(&claims.sid)
    .bind(user_id)
    .bind(&claims.jti)
    .bind(tokens.session_max_lifetime)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;

    let session = session_of(&mut tx, &claims).await?;
    let user = users::find_by_id(&mut *tx, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(ApiError::InvalidRefreshToken)?;

    if !rotated {
        let ua = &client.device.user_agent;
        match session.classify(&claims.jti, ua, now, settings.refresh_reuse_grace) {
            // A current `jti` that did not rotate: a session older than a since lowered
            // `session_max_lifetime`.
            Presented::Current | Presented::Dead => return Err(ApiError::InvalidRefreshToken),
            Presented::Grace => {
                let sid = Some(session.id.as_str());
                let kind = EventKind::RefreshGrace;
                security_events::record(&mut *tx, kind, Some(user_id), sid, client).await?;
            }
            Presented::Reuse => {
                revoke_for_reuse(&mut tx, &session, now, client).await?;
                tx.commit().await?;
                return Err(ApiError::InvalidRefreshToken);
            }
        }
    }
    tx.commit().await?;
    drop(turn);
    let app = AppClaims::for_user(&user);
    Issued::mint(tokens, user, session, app, now)
}

/// Signs out the device holding this (verified) refresh token, treating it as a refresh would: the
/// current token or a grace answer end the session (`Ok(true)`); an older token is reuse, which
/// ends it as theft and answers `invalid_refresh_token`; a dead session ends nothing
/// (`Ok(false)`).
pub async fn end_session_with_refresh_token(
    db: &Pool,
    settings: &Settings,
    claims: &RefreshClaims,
    client: &ClientInfo,
    now: i64,
) -> Result<bool, ApiError> {
    let turn = write_turn().await;
    let mut tx = db.begin().await?;
    let Ok(session) = session_of(&mut tx, claims).await else {
        return Ok(false);
    };
    let ua = &client.device.user_agent;
    let ended = match session.classify(&claims.jti, ua, now, settings.refresh_reuse_grace) {
        Presented::Current | Presented::Grace => {
            let revoked = revoke_session(&mut *tx, session.user_id, &session.id).await?;
            if revoked {
                let (user_id, sid) = (Some(session.user_id), Some(session.id.as_str()));
                security_events::record(&mut *tx, EventKind::Logout, user_id, sid, client).await?;
            }
            revoked
        }
        Presented::Reuse => {
            revoke_for_reuse(&mut tx, &session, now, client).await?;
            tx.commit().await?;
            return Err(ApiError::InvalidRefreshToken);
        }
        Presented::Dead => false,
    };
    tx.commit().await?;
    drop(turn);
    Ok(ended)
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
pub async fn list_sessions(db: &Pool, user_id: i64) -> Result<Vec<Session>, ApiError> {
    Ok(sqlx::query_as::<_, Session>(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY last_used_at DESC, created_at DESC"
    ))
    .bind(user_id)
    .bind(now())
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
