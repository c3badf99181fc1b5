//! The pool the app builds: the settings bench/ measured, applied to the real database.

use crate::common::*;

#[rocket::async_test]
async fn connections_are_not_pinged_before_each_checkout() {
    let app = app().await;
    assert!(!app.db().options().get_test_before_acquire());
    // Still a working pool: a query goes through.
    let one: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(one, 1);
}

#[cfg(feature = "sqlite")]
#[rocket::async_test]
async fn sqlite_runs_in_wal_mode_with_normal_sync() {
    let app = app().await;
    let mut conn = app.db().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    // 1 = NORMAL (2 would be FULL, sqlx's default).
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(sync, 1);
}
