//! The user directory an admin reads (search by email or name, newest first, a page at a time,
//! with each user's live sessions and last use), and the changes that must leave at least one
//! active admin: demoting or deactivating the last one is refused (`409 last_admin`).

use serde::Serialize;

use crate::auth::users::{PublicUser, Role, User};
use crate::clock::rfc3339;
use crate::db::{Engine, Pool};
use crate::error::{ApiError, ApiResult};

/// The most users one page holds.
pub const MAX_PAGE: i64 = 100;

/// A user as the directory lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub user: User,
    /// Live sessions (not revoked, not expired).
    pub live_sessions: i64,
    /// The last use of any of their sessions.
    pub last_seen_at: Option<i64>,
}

/// What the admin API shows of a user: the user, and what only an admin sees.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminView {
    #[serde(flatten)]
    pub user: PublicUser,
    /// `false` once deactivated: no sign-in, no session.
    pub active: bool,
    /// How many live sessions (devices) the user has.
    #[schema(example = 2)]
    pub sessions: i64,
    /// RFC 3339; the last time any of their sessions was used, `null` if never.
    #[schema(required = true, format = DateTime, example = "2025-01-31T12:00:00Z")]
    pub last_seen_at: Option<String>,
}

impl From<&Listed> for AdminView {
    fn from(listed: &Listed) -> Self {
        AdminView {
            user: PublicUser::from(&listed.user),
            active: listed.user.active,
            sessions: listed.live_sessions,
            last_seen_at: listed.last_seen_at.map(rfc3339),
        }
    }
}

/// One page of the directory.
pub struct Page {
    pub users: Vec<Listed>,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<String>,
}

/// A cursor is the id of the last user of the previous page: stable while users are added.
pub fn parse_cursor(raw: Option<&str>) -> ApiResult<Option<i64>> {
    match raw.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| ApiError::InvalidInput("cursor: use next_cursor as given".into())),
    }
}

/// `query` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally.
fn contains_pattern(query: &str) -> String {
    let mut pattern = String::from("%");
    for c in query.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

const LISTED_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.password_hash, u.active, \
     u.created_at, u.email_verified, u.mfa_enabled, \
     (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL \
        AND s.expires_at > $1) AS live_sessions, \
     (SELECT MAX(s.last_used_at) FROM sessions s WHERE s.user_id = u.id) AS last_seen_at";

/// Users whose email or name contains `query` (any case), newest first, after `cursor`.
pub async fn search(
    db: &Pool,
    query: Option<&str>,
    cursor: Option<i64>,
    limit: i64,
    now: i64,
) -> ApiResult<Page> {
    let limit = limit.clamp(1, MAX_PAGE);
    let pattern = query.filter(|q| !q.trim().is_empty()).map(contains_pattern);
    // One more than the page, to know whether another follows.
    let mut users = sqlx::query_as::<_, Listed>(&format!(
        "SELECT {LISTED_COLUMNS} FROM users u \
         WHERE ($2 IS NULL OR u.id < $2) \
           AND ($3 IS NULL OR u.email LIKE $3 ESCAPE '\\' OR LOWER(u.name) LIKE $3 ESCAPE '\\') \
         ORDER BY u.id DESC LIMIT $4"
    ))
    .bind(now)
    .bind(cursor)
    .bind(pattern)
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    let next_cursor = if users.len() as i64 > limit {
        users.truncate(limit as usize);
        users.last().map(|u| u.user.id.to_string())
    } else {
        None
    };
    Ok(Page { users, next_cursor })
}

/// One user with the directory's figures; `None` when there is no such user.
pub async fn find(db: &Pool, user_id: i64, now: i64) -> ApiResult<Option<Listed>> {
    Ok(sqlx::query_as::<_, Listed>(&format!(
        "SELECT {LISTED_COLUMNS} FROM users u WHERE u.id = $2"
    ))
    .bind(now)
    .bind(user_id)
    .fetch_optional(db)
    .await?)
}

/// On PostgreSQL, holds the active admins' rows until the transaction ends, so two admins
/// demoting each other at once cannot both succeed. SQLite lets one transaction write at a time:
/// of two racing, the second fails (database busy) rather than both succeeding.
async fn lock_admins(tx: &mut sqlx::Transaction<'_, Engine>) -> ApiResult<()> {
    #[cfg(feature = "postgres")]
    sqlx::query("SELECT id FROM users WHERE role = $1 AND active FOR UPDATE")
        .bind(Role::Admin.as_str())
        .execute(&mut **tx)
        .await?;
    let _ = tx;
    Ok(())
}

/// Whether `user_id` is an active admin with no other active admin beside them.
async fn is_last_active_admin(
    tx: &mut sqlx::Transaction<'_, Engine>,
    user_id: i64,
) -> ApiResult<bool> {
    let (others,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = $1 AND active AND id <> $2")
            .bind(Role::Admin.as_str())
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
    let (target_is_admin,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE id = $1 AND role = $2 AND active")
            .bind(user_id)
            .bind(Role::Admin.as_str())
            .fetch_one(&mut **tx)
            .await?;
    Ok(target_is_admin == 1 && others == 0)
}

/// Refuses, inside the transaction that makes the change, to leave no active admin: taking
/// `user_id`'s admin role or activity away is `409 last_admin` when they are the last one.
pub async fn keep_an_admin(tx: &mut sqlx::Transaction<'_, Engine>, user_id: i64) -> ApiResult<()> {
    lock_admins(tx).await?;
    if is_last_active_admin(tx, user_id).await? {
        return Err(ApiError::LastAdmin);
    }
    Ok(())
}
