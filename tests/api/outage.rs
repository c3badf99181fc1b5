//! The database goes away: requests that need it answer `503 service_unavailable` (JSON under
//! `/api`, a readable page elsewhere), never a 500, and the sessions survive. On PostgreSQL,
//! pooled connections that died with the server fail no request once it answers again
//! (tests/deploy stops and restarts a real server under two instances).

use crate::common::*;
use rocket::http::Status;

#[rocket::async_test]
async fn without_its_database_the_api_answers_503_service_unavailable() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    app.db().close().await;

    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::ServiceUnavailable);
    assert_eq!(error_code(me).await, "service_unavailable");
    let login = login_from(&app, "ann@example.com", PASSWORD, "192.0.2.1").await;
    assert_eq!(login.status(), Status::ServiceUnavailable);
    assert_eq!(error_code(login).await, "service_unavailable");
    // A refresh that cannot reach the database keeps its cookie: the session is not over.
    let refresh = app.refresh(&ann).await;
    assert_eq!(refresh.status(), Status::ServiceUnavailable);
    assert!(set_cookie(&refresh, "refresh_token").is_none());
    // Liveness does not depend on the database.
    let health = app.client.get("/healthz").dispatch().await;
    assert_eq!(health.status(), Status::Ok);
}

#[rocket::async_test]
async fn without_its_database_a_page_says_so_and_keeps_the_cookies() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    app.db().close().await;

    let page = laptop.get("/sessions").await;
    assert_eq!(page.status, Status::ServiceUnavailable);
    assert!(page.body.contains("Back in a moment"), "{}", page.body);
    assert!(!page.clears_session_cookies());
    // An expired access cookie cannot be renewed either: still a page, still signed in.
    laptop.expire_access_cookie();
    let page = laptop.get("/sessions").await;
    assert_eq!(page.status, Status::ServiceUnavailable);
    assert!(!page.clears_session_cookies());
}

/// A file SQLite may not write: it opens it read-only, and every write fails (SQLITE_READONLY).
/// The test opens the file read-only itself (`mode=ro`): permissions would not do, since the
/// tests may run as root, who writes anything.
#[cfg(feature = "sqlite")]
#[rocket::async_test]
async fn a_database_file_that_cannot_be_written_answers_503_not_500() {
    let writable = app().await;
    let ann = writable.register("ann@example.com").await;
    let url = format!("{}?mode=ro", writable.db_url);
    let app = app_with(|f| f.merge(("databases.app.url", url))).await;

    // Reading still works: the user guard lets Ann in.
    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::Ok);
    let login = login_from(&app, "ann@example.com", PASSWORD, "192.0.2.1").await;
    assert_eq!(login.status(), Status::ServiceUnavailable);
    assert_eq!(error_code(login).await, "service_unavailable");
    let revoke = app.revoke_others(&ann).await;
    assert_eq!(revoke.status(), Status::ServiceUnavailable);
    let mut phone = Browser::new(&app, IPHONE);
    phone.get("/login").await;
    let fields = [("email", "ann@example.com"), ("password", PASSWORD)];
    let page = phone.post("/login", &fields).await;
    assert_eq!(page.status, Status::ServiceUnavailable);
    assert!(page.body.contains("Back in a moment"), "{}", page.body);
}

/// Ann signed up, then the server ends the sessions of her app's pooled connections (several).
#[cfg(feature = "postgres")]
async fn ann_with_dead_pooled_connections() -> (TestApp, Login) {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    at_once(&app, &ann, 8).await;
    // Connections go back to the pool a moment after their answer (sqlx checks them first).
    for _ in 0..100 {
        if app.db().num_idle() >= 2 {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(app.db().num_idle() >= 2, "several pooled connections");
    end_database_sessions(&app).await;
    (app, ann)
}

#[cfg(feature = "postgres")]
async fn assert_forty_at_once_succeed(app: &TestApp, ann: &Login) {
    let statuses = at_once(app, ann, 40).await;
    let failed = statuses.iter().filter(|s| **s != Status::Ok).count();
    assert_eq!(failed, 0, "{statuses:?}");
}

/// A server restart with no request meanwhile: the idle connections are pinged at checkout.
#[cfg(feature = "postgres")]
#[rocket::async_test]
async fn connections_the_server_ended_fail_no_request_after_a_quiet_second() {
    use rocket_auth_template::db::availability::IDLE_CHECK_AFTER;
    let (app, ann) = ann_with_dead_pooled_connections().await;
    rocket::tokio::time::sleep(IDLE_CHECK_AFTER + std::time::Duration::from_millis(100)).await;
    assert_forty_at_once_succeed(&app, &ann).await;
}

/// The first request that meets a connection the server ended answers 503; no request after it
/// gets a connection from before. (The loss a process saw retires every pool's older connections:
/// when another test here saw one meanwhile, the first request already gets a new connection.)
#[cfg(feature = "postgres")]
#[rocket::async_test]
async fn after_one_request_meets_a_dead_connection_no_other_does() {
    let (app, ann) = ann_with_dead_pooled_connections().await;
    let first = app.get_with("/api/auth/me", &ann.access).await;
    if first.status() != Status::Ok {
        assert_eq!(first.status(), Status::ServiceUnavailable);
        assert_eq!(error_code(first).await, "service_unavailable");
    }
    assert_forty_at_once_succeed(&app, &ann).await;
}
