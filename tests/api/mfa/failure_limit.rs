//! Wrong second factors are limited per account (`rate_limit_mfa_failures_per_account`, default
//! 10/h), whatever ticket, page or step they come through, independent of the sign-in limits:
//! past it every second-factor attempt answers `429` with `Retry-After`, even a right code, and
//! the owner is mailed once that someone knows their password. Runs on both engines (the
//! in-memory limiter on SQLite, the shared table on PostgreSQL).

use rocket::http::{ContentType, Status};
use serde_json::json;

use crate::common::*;

const ANN: &str = "ann@example.com";

/// Sign-in limits out of the way: only the second-factor limit is left to bite.
async fn loose_sign_in_app() -> TestApp {
    app_with(|f| {
        f.merge(("rate_limit_login_per_account", "1000/min"))
            .merge(("rate_limit_login_per_ip", "1000/min"))
    })
    .await
}

#[rocket::async_test]
async fn wrong_codes_through_tickets_reauth_and_turning_off_share_one_limit_then_429() {
    let app = loose_sign_in_app().await;
    let ann = app.register(ANN).await;
    let mut enrolled = app.enable_mfa(&ann).await;

    // Eight wrong codes over four tickets (each ticket allows five), one at /reauth, one
    // turning two-factor off: ten, the default quota, each its own 400.
    for _ in 0..4 {
        let ticket = app.mfa_ticket(ANN).await;
        for _ in 0..2 {
            let wrong = app.complete_mfa(&ticket, "000000").await;
            assert_eq!(wrong.status(), Status::BadRequest);
        }
    }
    let body = json!({ "password": PASSWORD, "code": "000000" });
    let wrong = app.post_as(&ann, "/api/auth/reauth", body).await;
    assert_eq!(wrong.status(), Status::BadRequest);
    let off = app
        .client
        .delete("/api/auth/mfa/totp")
        .header(ContentType::JSON)
        .header(bearer(&ann.access))
        .body(json!({ "password": PASSWORD, "code": "000000" }).to_string())
        .dispatch()
        .await;
    assert_eq!(off.status(), Status::BadRequest);
    app.mail_settled().await;
    assert!(app.mails_to(ANN, MFA_FAILURES_SUBJECT).await.len() == 1);

    // Past it: a fresh ticket with the right code is refused with a wait, and so is /reauth.
    let ticket = app.mfa_ticket(ANN).await;
    let right = app.complete_mfa(&ticket, &enrolled.next_code()).await;
    assert_rate_limited(right).await;
    let body = json!({ "password": PASSWORD, "code": enrolled.recovery_codes[0] });
    assert_rate_limited(app.post_as(&ann, "/api/auth/reauth", body).await).await;
    // The password step itself is not the limit: it still answers a ticket.
    app.mfa_ticket(ANN).await;

    // One mail in the window, however many more attempts; the event log says why.
    for _ in 0..3 {
        let ticket = app.mfa_ticket(ANN).await;
        assert_rate_limited(app.complete_mfa(&ticket, "000000").await).await;
    }
    app.mail_settled().await;
    let mails = app.mails_to(ANN, MFA_FAILURES_SUBJECT).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].text.contains("10 wrong two-factor codes"),
        "{}",
        mails[0].text
    );
    let kinds = event_kinds(&app, &ann.access).await;
    assert_eq!(kinds.iter().filter(|k| *k == "mfa_locked").count(), 1);
    assert!(kinds.iter().filter(|k| *k == "mfa_failed").count() >= 10);

    // Another account is not affected.
    let bob = app.register("bob@example.com").await;
    let bob_codes = app.enable_mfa(&bob).await;
    let ticket = app.mfa_ticket("bob@example.com").await;
    let done = app
        .complete_mfa(&ticket, &bob_codes.recovery_codes[0])
        .await;
    assert_eq!(done.status(), Status::Ok);
}

#[rocket::async_test]
async fn right_codes_are_not_counted() {
    let app = app_with(|f| {
        f.merge(("rate_limit_mfa_failures_per_account", "2/h"))
            .merge(("rate_limit_login_per_account", "1000/min"))
    })
    .await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    for code in &enrolled.recovery_codes[..4] {
        let ticket = app.mfa_ticket(ANN).await;
        assert_eq!(app.complete_mfa(&ticket, code).await.status(), Status::Ok);
    }
    // One wrong code is under the limit; the next right one still signs in.
    let ticket = app.mfa_ticket(ANN).await;
    let wrong = app.complete_mfa(&ticket, "000000").await;
    assert_eq!(wrong.status(), Status::BadRequest);
    let right = app.complete_mfa(&ticket, &enrolled.recovery_codes[5]).await;
    assert_eq!(right.status(), Status::Ok);
}
