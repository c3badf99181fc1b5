//! Refresh-token rotation: a verified refresh token is the session's current one (rotate, by
//! compare-and-swap on the `jti`, in one statement that also reads the user back), its previous one within the grace window
//! and from the same device (a second tab: answer with the current pair), or older (reuse: the
//! whole session is revoked as stolen). Signing out with a refresh token follows the same rule.

use crate::auth::app_claims::AppClaims;
use crate::auth::device::ClientInfo;
use crate::auth::security_events::{self, EventKind};
use crate::auth::sessions::revoke_session;
use crate::auth::sessions::{Issued, Session, SESSION_COLUMNS};
use crate::auth::tokens::{RefreshClaims, Tokens};
use crate::auth::users::{self, User, UserOfSession, USER_OF_SESSION};
use crate::clock::new_id;
use crate::config::Settings;
use crate::db::{Engine, Writer};
use crate::error::ApiError;
use crate::metrics::{Metrics, RefreshResult, RevokeReason};
use std::sync::LazyLock;

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
    writer: &Writer,
    tokens: &Tokens,
    settings: &Settings,
    metrics: &Metrics,
    claims: &RefreshClaims,
    client: &ClientInfo,
) -> Result<Issued, ApiError> {
    let user_id = claims.user_id()?;
    let now = tokens.clock.now();
    let new_jti = new_id();
    let ip = client.ip.map(|ip| ip.to_string());
    // The common case in one statement, with no transaction around it: the compare-and-swap
    // returns the session as rotated and its user. Every statement is a round trip to the
    // database (on SQLite, to sqlx's worker thread and back): this one replaces five (BEGIN,
    // UPDATE, the session, the user, COMMIT). `fetch_all` steps it to its end, so SQLite commits
    // it at once (sqlx #2099: a RETURNING statement left unfinished keeps its transaction open).
    let mut turn = writer.turn().await;
    let rotate = sqlx::query_as::<_, Rotated>(&ROTATE)
        .bind(&new_jti)
        .bind(now)
        .bind(now + tokens.refresh_token_ttl)
        .bind(&ip)
        .bind(&claims.sid)
        .bind(user_id)
        .bind(&claims.jti)
        .bind(tokens.session_max_lifetime);
    let rotated = match turn.connection().await? {
        Some(connection) => rotate.fetch_all(connection).await,
        None => rotate.fetch_all(writer.pool()).await,
    };
    let rotated = rotated.inspect_err(|_| turn.discard_connection())?.pop();
    turn.end();
    // Ending the turn wakes the next rotation into this worker's next-task slot, which no
    // other worker may take: without a yield it waited for this task to mint, answer and write,
    // still holding the turn. With it, 8 chains at once: 1.5x the rotations a second (bench/).
    rocket::tokio::task::yield_now().await;
    if let Some(rotated) = rotated {
        metrics.refresh(RefreshResult::Rotated);
        let (session, user) = rotated.into_session(claims, user_id, new_jti, now, ip)?;
        let app = AppClaims::for_user(&user);
        return Issued::mint(tokens, user, session, app, now);
    }
    not_rotated(writer, tokens, settings, metrics, claims, client, now).await
}

/// The rotation. It returns only what it does not set or match itself (each column returned
/// costs about 2k instructions: a copy of the value, its row slot, its decoding). Its user comes
/// as one column from one scalar subquery (`USER_OF_SESSION`), since SQLite's `RETURNING` names
/// only the updated table.
static ROTATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE sessions SET previous_jti = refresh_jti, refresh_jti = $1, rotated_at = $2, \
             last_used_at = $2, ip = $4, \
             expires_at = CASE WHEN created_at + $8 < $3 THEN created_at + $8 ELSE $3 END \
         WHERE id = $5 AND user_id = $6 AND refresh_jti = $7 \
           AND revoked_at IS NULL AND expires_at > $2 AND created_at + $8 > $2 \
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.active) \
         RETURNING created_at, expires_at, user_agent, browser, browser_version, os, device, \
             mfa, auth_time, method, {USER_OF_SESSION}"
    )
});

/// What the rotating `UPDATE … RETURNING` reads back: the session's columns it did not write or
/// match, and its (active) user.
#[derive(sqlx::FromRow)]
struct Rotated {
    created_at: i64,
    expires_at: i64,
    user_agent: String,
    browser: String,
    browser_version: String,
    os: String,
    device: String,
    mfa: bool,
    auth_time: i64,
    method: String,
    #[sqlx(flatten)]
    user: UserOfSession,
}

impl Rotated {
    /// The session as the rotation left it, and its user.
    fn into_session(
        self,
        claims: &RefreshClaims,
        user_id: i64,
        new_jti: String,
        now: i64,
        ip: Option<String>,
    ) -> Result<(Session, User), ApiError> {
        let session = Session {
            id: claims.sid.clone(),
            user_id,
            refresh_jti: new_jti,
            previous_jti: Some(claims.jti.clone()),
            rotated_at: Some(now),
            created_at: self.created_at,
            last_used_at: now,
            expires_at: self.expires_at,
            revoked_at: None,
            user_agent: self.user_agent,
            browser: self.browser,
            browser_version: self.browser_version,
            os: self.os,
            device: self.device,
            ip,
            mfa: self.mfa,
            auth_time: self.auth_time,
            method: self.method,
        };
        Ok((session, self.user.into_user(user_id)?))
    }
}

/// A verified refresh token that did not rotate its session: a grace answer (the session's
/// current pair, rotating nothing), reuse (the session revoked), or nothing.
async fn not_rotated(
    writer: &Writer,
    tokens: &Tokens,
    settings: &Settings,
    metrics: &Metrics,
    claims: &RefreshClaims,
    client: &ClientInfo,
    now: i64,
) -> Result<Issued, ApiError> {
    let user_id = claims.user_id()?;
    let invalid = |result| {
        metrics.refresh(result);
        ApiError::InvalidRefreshToken
    };
    let mut turn = writer.turn().await;
    let mut tx = turn.begin().await?;
    let session = session_of(&mut tx, claims).await.map_err(|e| match e {
        ApiError::InvalidRefreshToken => invalid(RefreshResult::Invalid),
        other => other, // the database: 503, not the token's fault
    })?;
    let user = users::find_by_id(&mut *tx, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| invalid(RefreshResult::Invalid))?;
    let ua = &client.user_agent;
    match session.classify(&claims.jti, ua, now, settings.tokens.refresh_reuse_grace) {
        // A current `jti` that did not rotate: a session older than a since lowered
        // `session_max_lifetime`.
        Presented::Current => return Err(invalid(RefreshResult::Expired)),
        Presented::Dead if session.revoked_at.is_none() => {
            return Err(invalid(RefreshResult::Expired))
        }
        Presented::Dead => return Err(invalid(RefreshResult::Invalid)),
        Presented::Grace => {
            let sid = Some(session.id.as_str());
            let kind = EventKind::RefreshGrace;
            security_events::record(&mut *tx, kind, Some(user_id), sid, client).await?;
        }
        Presented::Reuse => {
            revoke_for_reuse(&mut tx, &session, now, client).await?;
            tx.commit().await?;
            metrics.refresh(RefreshResult::Reuse);
            metrics.revoked(RevokeReason::Reuse, 1);
            return Err(ApiError::InvalidRefreshToken);
        }
    }
    tx.commit().await?;
    metrics.refresh(RefreshResult::Grace);
    turn.end();
    let app = AppClaims::for_user(&user);
    Issued::mint(tokens, user, session, app, now)
}

/// Signs out the device holding this (verified) refresh token, treating it as a refresh would: the
/// current token or a grace answer end the session (`Ok(true)`); an older token is reuse, which
/// ends it as theft and answers `invalid_refresh_token`; a dead session ends nothing
/// (`Ok(false)`).
pub async fn end_session_with_refresh_token(
    writer: &Writer,
    settings: &Settings,
    metrics: &Metrics,
    claims: &RefreshClaims,
    client: &ClientInfo,
    now: i64,
) -> Result<bool, ApiError> {
    let mut turn = writer.turn().await;
    let mut tx = turn.begin().await?;
    let Ok(session) = session_of(&mut tx, claims).await else {
        return Ok(false);
    };
    let ua = &client.user_agent;
    let ended = match session.classify(&claims.jti, ua, now, settings.tokens.refresh_reuse_grace) {
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
            metrics.revoked(RevokeReason::Reuse, 1);
            return Err(ApiError::InvalidRefreshToken);
        }
        Presented::Dead => false,
    };
    tx.commit().await?;
    turn.end();
    if ended {
        metrics.revoked(RevokeReason::SignOut, 1);
    }
    Ok(ended)
}
