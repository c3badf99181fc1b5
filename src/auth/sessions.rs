//! The session whitelist: one row per device. Start, rotate (compare-and-swap on the current
//! `jti`, in one transaction), detect reuse, list and revoke.

use serde::Serialize;

use crate::app_claims::AppClaims;
use crate::auth::device::{ClientInfo, Device};
use crate::auth::security_events::{self, EventKind};
use crate::auth::tokens::{RefreshClaims, Tokens, AMR_OTP, AMR_PASSWORD, REFRESH};
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
#[derive(Debug, Clone, Serialize)]
pub struct PublicSession {
    pub id: String,
    pub current: bool,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub device: String,
    pub user_agent: String,
    pub ip: Option<String>,
    /// Signed in with a second factor.
    pub mfa: bool,
    pub created_at: String,
    pub last_used_at: String,
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
    fn mint(
        tokens: &Tokens,
        user: User,
        session: Session,
        app: AppClaims,
    ) -> Result<Issued, ApiError> {
        let now = now();
        let refresh = RefreshClaims {
            sub: user.id.to_string(),
            sid: session.id.clone(),
            jti: session.refresh_jti.clone(),
            iat: now,
            exp: session.expires_at,
            typ: REFRESH.into(),
            amr: session.amr(),
            auth_time: session.auth_time,
            app,
        };
        Ok(Issued {
            access_token: tokens.mint_access(&refresh, user.role, now)?,
            refresh_token: tokens.sign(&refresh)?,
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
    let now = now();
    let device = &client.device;
    let session = Session {
        id: new_id(),
        user_id: user.id,
        refresh_jti: new_id(),
        previous_jti: None,
        rotated_at: None,
        created_at: now,
        last_used_at: now,
        expires_at: now + tokens.refresh_token_ttl,
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
    let app = AppClaims::for_new_session(&user);
    Issued::mint(tokens, user, session, app)
}

/// Exchanges a refresh token for a new pair, moving the session to a new `jti`.
///
/// - current `jti`: rotate (compare-and-swap, so of two racing requests exactly one rotates);
/// - the previous `jti` within `refresh_reuse_grace` seconds of the rotation (two tabs): answer
///   with a pair for the session's current `jti`, rotating nothing;
/// - any other `jti` of a live session: reuse of a stolen or replayed token, so the whole
///   session is revoked.
pub async fn rotate_session(
    db: &Pool,
    tokens: &Tokens,
    settings: &Settings,
    token: &str,
    client: &ClientInfo,
) -> Result<Issued, ApiError> {
    let claims = tokens.verify_refresh(token)?;
    let user_id = claims.user_id()?;
    let now = now();
    let new_jti = new_id();
    let turn = write_turn().await;
    let mut tx = db.begin().await?;
    let rotated = sqlx::query(
        "UPDATE sessions SET previous_jti = refresh_jti, refresh_jti = $1, rotated_at = $2, \
             last_used_at = $2, expires_at = $3, ip = $4 \
         WHERE id = $5 AND user_id = $6 AND refresh_jti = $7 \
           AND revoked_at IS NULL AND expires_at > $2 \
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.active)",
    )
    .bind(&new_jti)
    .bind(now)
    .bind(now + tokens.refresh_token_ttl)
    .bind(client.ip.map(|ip| ip.to_string()))
    .bind(&claims.sid)
    .bind(user_id)
    .bind(&claims.jti)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;

    let session = sqlx::query_as::<_, Session>(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1 AND user_id = $2"
    ))
    .bind(&claims.sid)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::InvalidRefreshToken)?;
    let user = users::find_by_id(&mut *tx, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(ApiError::InvalidRefreshToken)?;

    if !rotated {
        let live = session.revoked_at.is_none() && session.expires_at > now;
        let within_grace = session.previous_jti.as_deref() == Some(claims.jti.as_str())
            && session
                .rotated_at
                .is_some_and(|at| now - at <= settings.refresh_reuse_grace);
        if !live {
            return Err(ApiError::InvalidRefreshToken);
        }
        if !within_grace {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(&session.id)
                .execute(&mut *tx)
                .await?;
            security_events::record(
                &mut *tx,
                EventKind::RefreshReuse,
                Some(user_id),
                Some(&session.id),
                client,
            )
            .await?;
            tx.commit().await?;
            rocket::warn!(
                "refresh token reuse on session {} of user {}: session revoked",
                session.id,
                user_id
            );
            return Err(ApiError::InvalidRefreshToken);
        }
    }
    tx.commit().await?;
    drop(turn);
    Issued::mint(tokens, user, session, claims.app)
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
pub async fn revoke_session(db: &Pool, user_id: i64, session_id: &str) -> Result<bool, ApiError> {
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
