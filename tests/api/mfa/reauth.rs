//! Re-authentication (ASVS 4 V3.7.1): sensitive steps want a password (and a code with MFA on)
//! entered on this session in the last 10 minutes.

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

const ANN: &str = "ann@example.com";

#[rocket::async_test]
async fn sensitive_steps_on_a_stale_session_answer_reauth_required_until_it_reauthenticates() {
    let app = app().await;
    let ann = app.register(ANN).await;
    app.login(ANN, IPHONE).await;
    app.age_authentication(&ann.session_id(), 601).await;

    let revoke = app.revoke_others(&ann).await;
    assert_eq!(revoke.status(), Status::Unauthorized);
    assert_eq!(error_code(revoke).await, "reauth_required");
    let change = change_password(&app, &ann.access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(error_code(change).await, "reauth_required");
    // Everyday requests are not sensitive.
    assert_eq!(
        app.get_with("/api/sessions", &ann.access).await.status(),
        Status::Ok
    );

    let wrong = app
        .post_as(
            &ann,
            "/api/auth/reauth",
            json!({ "password": "not it at all" }),
        )
        .await;
    assert_eq!(wrong.status(), Status::Unauthorized);
    assert_eq!(error_code(wrong).await, "invalid_credentials");
    let ok = app
        .post_as(&ann, "/api/auth/reauth", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(ok.status(), Status::NoContent);
    assert_eq!(app.revoke_others(&ann).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_fresh_sign_in_counts_for_ten_minutes() {
    let app = app().await;
    let ann = app.register(ANN).await;
    app.age_authentication(&ann.session_id(), 590).await;
    assert_eq!(app.revoke_others(&ann).await.status(), Status::Ok);
    app.age_authentication(&ann.session_id(), 610).await;
    assert_eq!(
        error_code(app.revoke_others(&ann).await).await,
        "reauth_required"
    );
}

#[rocket::async_test]
async fn with_mfa_on_reauthentication_needs_a_code_too() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let mut enrolled = app.enable_mfa(&ann).await;
    app.age_authentication(&ann.session_id(), 601).await;
    let without = app
        .post_as(&ann, "/api/auth/reauth", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(without.status(), Status::BadRequest);
    assert_eq!(error_code(without).await, "invalid_code");
    assert_eq!(
        error_code(app.revoke_others(&ann).await).await,
        "reauth_required"
    );
    let body = json!({ "password": PASSWORD, "code": enrolled.next_code() });
    let with = app.post_as(&ann, "/api/auth/reauth", body).await;
    assert_eq!(with.status(), Status::NoContent);
    assert_eq!(app.revoke_others(&ann).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_stale_session_s_forms_ask_for_the_password_then_work() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    app.age_authentication(&laptop.session_id(), 601).await;
    laptop.get("/sessions").await;
    let asked = laptop.post("/sessions/revoke-others", &[]).await;
    asked.assert_redirect("/reauth?next=/sessions");
    let form = laptop.get("/reauth?next=/sessions").await;
    assert!(form.body.contains("Confirm it is you"), "{form:?}");
    let done = laptop
        .post("/reauth", &[("password", PASSWORD), ("next", "/sessions")])
        .await;
    done.assert_redirect("/sessions");
    let revoked = laptop.post("/sessions/revoke-others", &[]).await;
    revoked.assert_redirect("/sessions");
}
