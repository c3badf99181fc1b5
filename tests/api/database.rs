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

/// Instances started together on an empty database: sqlx's migrator holds an advisory lock, so
/// each migration is applied once and no start fails (SQLite is one process's file: not tested).
#[cfg(feature = "postgres")]
#[rocket::async_test]
async fn instances_starting_together_on_an_empty_database_migrate_it_once() {
    let apps = apps_started_together(8).await;
    let files = std::fs::read_dir("migrations/postgres").unwrap().count() as i64;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(apps[0].db())
        .await
        .unwrap();
    assert_eq!(applied, files);
    // One schema for all: an account made through one instance signs in through another.
    apps[3].register("ann@example.com").await;
    let login = apps[7].login("ann@example.com", FIREFOX).await;
    let me = apps[5].get_with("/api/auth/me", &login.access).await;
    assert_eq!(me.status(), rocket::http::Status::Ok);
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

/// Checkpoints run in the background, not in the commit that fills the WAL: after a pause, the
/// WAL has been copied into the database and the next commit starts it over, so it holds that
/// commit's pages alone. (With SQLite's own checkpoints at 1,000 pages, or none, it would still
/// hold the set-up's and the first burst's hundreds.)
#[cfg(feature = "sqlite")]
#[rocket::async_test]
async fn sqlite_checkpoints_in_the_background_and_the_wal_starts_over() {
    let app = app().await;
    let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(auto, 0, "no checkpoint inside a commit");
    let mut login = app.register("ann@example.com").await;
    let refresh = async |login: &mut Login| {
        let response = app.refresh(login).await;
        assert_eq!(response.status(), rocket::http::Status::Ok);
        login.refresh = refresh_of(&response, &serde_json::Value::Null);
    };
    for _ in 0..30 {
        refresh(&mut login).await;
    }
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    refresh(&mut login).await;
    // (busy, frames in the WAL, frames copied): this call copies too, after reading.
    let (_, frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(frames <= 8, "{frames} frames in the WAL after one refresh");
}

const DAY: i64 = 24 * 60 * 60;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.db()).await.unwrap()
}

/// Ages every security event and the given session's revocation by `days`.
async fn age(app: &TestApp, revoked_session: &str, days: i64) {
    let then = rocket_auth_template::clock::now() - days * DAY;
    sqlx::query("UPDATE security_events SET created_at = $1")
        .bind(then)
        .execute(app.db())
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2")
        .bind(then)
        .bind(revoked_session)
        .execute(app.db())
        .await
        .unwrap();
}

#[rocket::async_test]
async fn housekeeping_deletes_old_events_and_dead_sessions_but_never_a_live_one() {
    use rocket_auth_template::housekeeping::{prune, Pruned};
    let app = app().await;
    let laptop = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    assert_eq!(
        app.revoke(&laptop, &phone.session_id()).await.status(),
        rocket::http::Status::NoContent
    );
    let events = count(&app, "SELECT COUNT(*) FROM security_events").await;
    assert!(events >= 3, "registered, login, revoke");
    age(&app, &phone.session_id(), 100).await;

    let cutoff = rocket_auth_template::clock::now() - 90 * DAY;
    let pruned = prune(app.db(), Some(cutoff)).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            events: events as u64,
            sessions: 1,
            tokens: 0
        }
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM security_events").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 1);
    // The live session is untouched and still refreshes.
    let response = app.refresh(&laptop).await;
    assert_eq!(response.status(), rocket::http::Status::Ok);
    // Nothing newer than the cutoff goes.
    assert_eq!(
        prune(app.db(), Some(cutoff)).await.unwrap(),
        Pruned {
            events: 0,
            sessions: 0,
            tokens: 0
        }
    );
}

#[rocket::async_test]
async fn housekeeping_runs_when_the_app_starts() {
    let first = app().await;
    let laptop = first.register("ann@example.com").await;
    let phone = first.login("ann@example.com", IPHONE).await;
    first.revoke(&laptop, &phone.session_id()).await;
    age(&first, &phone.session_id(), 3).await;
    let url: String = first
        .client
        .rocket()
        .figment()
        .extract_inner("databases.app.url")
        .unwrap();

    // A new instance on the same database, keeping 2 days: it prunes at launch.
    let second = app_with(|f| {
        f.merge(("databases.app.url", url))
            .merge(("retention_days", 2))
    })
    .await;
    let mut left = i64::MAX;
    for _ in 0..100 {
        left = count(&second, "SELECT COUNT(*) FROM sessions").await;
        if left == 1 {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 1, "the revoked session was pruned, the live one kept");
    assert_eq!(
        count(&second, "SELECT COUNT(*) FROM security_events").await,
        0
    );
}
