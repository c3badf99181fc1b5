//! What the database says about sessions and users, where the API would not tell; and the
//! database going away under the app.

use rocket::futures::future::join_all;
use rocket::http::Status;

use super::{Login, TestApp};

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

/// Moves one of the session's times (`created_at`, `rotated_at`, `expires_at`) by `seconds`, as
/// if that much time had passed: the tests own the clock of the rows, not of the process.
pub async fn shift_session_time(app: &TestApp, id: &str, column: &str, seconds: i64) {
    assert!(["created_at", "rotated_at", "expires_at"].contains(&column));
    let sql = format!("UPDATE sessions SET {column} = {column} + $1 WHERE id = $2");
    let done = sqlx::query(&sql)
        .bind(seconds)
        .bind(id)
        .execute(app.db())
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1, "session {id}");
}

/// The session's `(created_at, expires_at)`, unix seconds.
pub async fn session_times(app: &TestApp, id: &str) -> (i64, i64) {
    sqlx::query_as("SELECT created_at, expires_at FROM sessions WHERE id = $1")
        .bind(id)
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

/// Sends `n` requests needing the database at once (`GET /api/auth/me`), so the pool opens several
/// connections; the statuses.
pub async fn at_once(app: &TestApp, login: &Login, n: usize) -> Vec<Status> {
    let requests = (0..n).map(|_| app.get_with("/api/auth/me", &login.access));
    join_all(requests)
        .await
        .iter()
        .map(|r| r.status())
        .collect()
}

/// PostgreSQL: ends every server session on the app's database, as a restart of the server would
/// (the pooled connections die), while the server goes on serving the other tests.
#[cfg(feature = "postgres")]
pub async fn end_database_sessions(app: &TestApp) {
    use sqlx::Connection;
    let (server, name) = app.db_url.rsplit_once('/').expect("a database URL");
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    let on_app_db = "FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()";
    sqlx::query(&format!("SELECT pg_terminate_backend(pid) {on_app_db}"))
        .bind(name)
        .execute(&mut admin)
        .await
        .unwrap();
    for _ in 0..200 {
        let left: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {on_app_db}"))
            .bind(name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        if left == 0 {
            return;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the server sessions on {name} did not end");
}
