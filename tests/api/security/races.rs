//! Requests racing on one session: refreshes, revokes and logouts at once leave it consistent.

use rocket::futures::future::{join_all, FutureExt, LocalBoxFuture};
use rocket::http::Status;
use serde_json::Value;

use crate::common::*;

#[rocket::async_test]
async fn concurrent_refreshes_and_revokes_leave_one_consistent_session() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let sid = login.session_id();
    let first_jti = payload(&login.refresh)["jti"].as_str().unwrap().to_owned();

    // 30 refreshes, 10 device revokes, 5 logouts, 5 revoke-others, all at once, interleaved.
    let mut work: Vec<LocalBoxFuture<'_, (&str, Status, Option<String>)>> = Vec::new();
    for i in 0..50 {
        let future = match i % 5 {
            0 if i < 20 => async {
                let r = app.revoke(&login, &sid).await;
                ("revoke", r.status(), None)
            }
            .boxed_local(),
            1 if i < 25 => async {
                let r = app.logout(&login).await;
                ("logout", r.status(), None)
            }
            .boxed_local(),
            2 if i < 25 => async {
                let r = app.revoke_others(&login).await;
                ("others", r.status(), None)
            }
            .boxed_local(),
            _ => async {
                let r = app.refresh(&login).await;
                let token = (r.status() == Status::Ok).then(|| refresh_of(&r, &Value::Null));
                ("refresh", r.status(), token)
            }
            .boxed_local(),
        };
        work.push(future);
    }
    let results = join_all(work).await;

    let mut issued_jtis = vec![first_jti];
    for (what, status, token) in &results {
        let allowed: &[u16] = match *what {
            "refresh" => &[200, 401],
            "revoke" => &[204, 401, 404],
            "logout" => &[204, 401],
            _ => &[200, 401],
        };
        assert!(allowed.contains(&status.code), "{what}: {status}");
        if let Some(token) = token {
            issued_jtis.push(payload(token)["jti"].as_str().unwrap().to_owned());
        }
    }
    let rows: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT refresh_jti, revoked_at FROM sessions")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "one session row, no duplicates");
    let (current_jti, revoked_at) = &rows[0];
    assert!(revoked_at.is_some(), "a revoke always wins in the end");
    assert!(
        issued_jtis.contains(current_jti),
        "the current jti is one that was issued"
    );
    let revocations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM security_events WHERE kind IN ('session_revoked', 'logout')",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(revocations, 1, "exactly one request revoked the session");
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM security_events e WHERE e.session_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = e.session_id)",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    for (_, _, token) in results {
        if let Some(token) = token {
            let response = app.refresh_with_cookie(&token, &login.csrf).await;
            assert_eq!(response.status(), Status::Unauthorized);
        }
    }
}
