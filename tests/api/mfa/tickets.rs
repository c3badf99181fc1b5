//! The MFA ticket: single use, 5 minutes, 5 wrong codes at most, never an access or refresh
//! token; codes rate-limited per account.

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

const ANN: &str = "ann@example.com";

#[rocket::async_test]
async fn a_ticket_allows_five_wrong_codes_then_not_even_a_right_one() {
    let app = app_with(|f| f.merge(("rate_limit_login_per_account", "100/min"))).await;
    let ann = app.register(ANN).await;
    let mut enrolled = app.enable_mfa(&ann).await;
    let ticket = app.mfa_ticket(ANN).await;
    for _ in 0..5 {
        let wrong = app.complete_mfa(&ticket, "000000").await;
        assert_eq!(wrong.status(), Status::BadRequest);
        assert_eq!(error_code(wrong).await, "invalid_code");
    }
    let right = app.complete_mfa(&ticket, &enrolled.next_code()).await;
    assert_eq!(right.status(), Status::Unauthorized);
    assert_eq!(error_code(right).await, "invalid_mfa_token");
}

#[rocket::async_test]
async fn a_ticket_is_spent_by_the_sign_in_it_finishes() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    let ticket = app.mfa_ticket(ANN).await;
    let done = app.complete_mfa(&ticket, &enrolled.recovery_codes[0]).await;
    assert_eq!(done.status(), Status::Ok);
    let reused = app.complete_mfa(&ticket, &enrolled.recovery_codes[1]).await;
    assert_eq!(reused.status(), Status::Unauthorized);
    assert_eq!(error_code(reused).await, "invalid_mfa_token");
}

#[rocket::async_test]
async fn an_expired_ticket_is_refused() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    // Its row expired (the JWT alone would still verify).
    let ticket = app.mfa_ticket(ANN).await;
    sqlx::query("UPDATE mfa_tickets SET expires_at = $1")
        .bind(rocket_auth_template::clock::now() - 1)
        .execute(app.db())
        .await
        .unwrap();
    let late = app.complete_mfa(&ticket, &enrolled.recovery_codes[0]).await;
    assert_eq!(late.status(), Status::Unauthorized);
    assert_eq!(error_code(late).await, "invalid_mfa_token");
    // Its JWT expired (signed 6 minutes ago with a 5-minute life).
    let user_id: i64 = payload(&ann.access)["sub"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let then = rocket_auth_template::clock::now() - 360;
    let old = app
        .tokens()
        .mint_mfa_ticket(user_id, "old", then, 300)
        .unwrap();
    let refused = app.complete_mfa(&old, &enrolled.recovery_codes[0]).await;
    assert_eq!(refused.status(), Status::Unauthorized);
    assert_eq!(error_code(refused).await, "invalid_mfa_token");
}

#[rocket::async_test]
async fn a_ticket_is_never_an_access_or_refresh_token_nor_the_other_way_round() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    let ticket = app.mfa_ticket(ANN).await;
    let me = app.get_with("/api/auth/me", &ticket).await;
    assert_eq!(me.status(), Status::Unauthorized);
    let refresh = app.refresh_with_cookie(&ticket, "csrf").await;
    assert_eq!(refresh.status(), Status::Unauthorized);
    assert_eq!(error_code(refresh).await, "invalid_refresh_token");
    for token in [&ann.access, &ann.refresh] {
        let refused = app.complete_mfa(token, &enrolled.recovery_codes[0]).await;
        assert_eq!(refused.status(), Status::Unauthorized);
        assert_eq!(error_code(refused).await, "invalid_mfa_token");
    }
    // The ticket still works: the refusals above spent nothing.
    let done = app.complete_mfa(&ticket, &enrolled.recovery_codes[0]).await;
    assert_eq!(done.status(), Status::Ok);
}

#[rocket::async_test]
async fn codes_are_rate_limited_per_account() {
    let app = app_with(|f| f.merge(("rate_limit_login_per_account", "4/h"))).await;
    let ann = app.register(ANN).await;
    app.enable_mfa(&ann).await;
    // Setup and confirm counted twice; the sign-in once: one code attempt left.
    let ticket = app.mfa_ticket(ANN).await;
    let wrong = app.complete_mfa(&ticket, "000000").await;
    assert_eq!(wrong.status(), Status::BadRequest);
    assert_rate_limited(app.complete_mfa(&ticket, "000000").await).await;
}

#[rocket::async_test]
async fn malformed_second_step_bodies_are_contract_errors() {
    let app = app().await;
    let missing = app
        .post_json("/api/auth/mfa", json!({ "code": "123456" }), FIREFOX)
        .await;
    assert_eq!(missing.status(), Status::UnprocessableEntity);
    let garbage = app
        .post_json(
            "/api/auth/mfa",
            json!({ "mfa_token": "x.y.z", "code": "123456" }),
            FIREFOX,
        )
        .await;
    assert_eq!(garbage.status(), Status::Unauthorized);
    assert_eq!(error_code(garbage).await, "invalid_mfa_token");
}
