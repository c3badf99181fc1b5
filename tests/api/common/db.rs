//! What the database says about sessions and users, where the API would not tell.

use super::TestApp;

/// Whether the session `id` exists and is not revoked.
pub async fn session_is_live(app: &TestApp, id: &str) -> bool {
    let revoked: Option<Option<i64>> =
        sqlx::query_scalar("SELECT revoked_at FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(app.db())
            .await
            .unwrap();
    revoked.is_some_and(|r| r.is_none())
}

/// How many sessions are not revoked, of all users.
pub async fn live_sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL")
        .fetch_one(app.db())
        .await
        .unwrap()
}

/// The stored password hash of the account `email` (a rehash, even of the same password, changes
/// it: a new salt).
pub async fn password_hash(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.db())
        .await
        .unwrap()
}
