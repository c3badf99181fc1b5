//! Setting MFA up, signing in with it, codes accepted once, recovery codes, turning it off.

use std::collections::BTreeSet;

use rocket::http::Status;
use serde_json::{json, Value};

use crate::common::*;

const ANN: &str = "ann@example.com";

#[rocket::async_test]
async fn setup_answers_the_secret_an_otpauth_uri_and_an_inline_svg_but_changes_nothing_yet() {
    let app = app().await;
    let ann = app.register(ANN).await;
    // Only on a verified address.
    let unverified = app
        .post_as(
            &ann,
            "/api/auth/mfa/totp/setup",
            json!({ "password": PASSWORD }),
        )
        .await;
    assert_eq!(unverified.status(), Status::Forbidden);
    assert_eq!(error_code(unverified).await, "email_unverified");
    app.verify_email(&app.verification_token(ANN).await).await;
    let wrong = app
        .post_as(
            &ann,
            "/api/auth/mfa/totp/setup",
            json!({ "password": "nope nope" }),
        )
        .await;
    assert_eq!(wrong.status(), Status::Unauthorized);
    assert_eq!(error_code(wrong).await, "invalid_credentials");

    let setup = app.mfa_setup(&ann).await;
    let secret = setup["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let svg = setup["qr_svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
    assert!(!svg.contains("<script") && !svg.contains("style="));

    // Not in force: sign-in still takes the password alone, and the user says MFA is off.
    let me: Value = app
        .get_with("/api/auth/me", &ann.access)
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(me["user"]["mfa_enabled"], false);
    app.login(ANN, FIREFOX).await;

    // The secret is stored sealed: neither its base32 nor its bytes are in the row.
    let stored: String = sqlx::query_scalar("SELECT secret FROM mfa_totp")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(!stored.contains(secret));
    let raw = totp_rs::Secret::Encoded(secret.into()).to_bytes().unwrap();
    assert!(!stored.contains(&b64(&raw)));
    assert!(stored.len() > 40, "nonce, ciphertext and tag: {stored}");
}

#[rocket::async_test]
async fn confirm_with_a_right_code_turns_mfa_on_with_ten_recovery_codes_stored_hashed() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let setup = app.mfa_setup(&ann).await;
    let secret = setup["secret"].as_str().unwrap();
    let wrong = code_at(secret, current_step() + 5);
    let refused = app
        .post_as(&ann, "/api/auth/mfa/totp/confirm", json!({ "code": wrong }))
        .await;
    assert_eq!(refused.status(), Status::BadRequest);
    assert_eq!(error_code(refused).await, "invalid_code");

    let code = code_at(secret, current_step());
    let confirmed = app
        .post_as(&ann, "/api/auth/mfa/totp/confirm", json!({ "code": code }))
        .await;
    assert_eq!(confirmed.status(), Status::Ok);
    let body: Value = confirmed.into_json().await.unwrap();
    let codes = body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);

    let hashes: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM mfa_recovery_codes")
        .fetch_all(app.db())
        .await
        .unwrap();
    assert_eq!(hashes.len(), 10);
    for code in codes {
        let code = code.as_str().unwrap();
        assert!(hashes
            .iter()
            .all(|h| !h.contains(code) && !h.contains(&code.replace('-', ""))));
    }
    let me: Value = app
        .get_with("/api/auth/me", &ann.access)
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(me["user"]["mfa_enabled"], true);
    let kinds = event_kinds(&app, &ann.access).await;
    assert_eq!(kinds[0], "mfa_enabled");
    assert!(kinds.contains(&"mfa_failed".to_owned()), "{kinds:?}");
}

#[rocket::async_test]
async fn with_mfa_on_a_right_password_answers_a_ticket_and_no_session_and_the_code_finishes_it() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let mut enrolled = app.enable_mfa(&ann).await;
    let before = live_sessions(&app).await;

    let response = app
        .post_json(
            "/api/auth/login",
            json!({ "email": ANN, "password": PASSWORD }),
            FIREFOX,
        )
        .await;
    assert_eq!(response.status(), Status::Accepted);
    assert!(set_cookie(&response, "refresh_token").is_none());
    assert!(set_cookie(&response, "access_token").is_none());
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(body["expires_in"], 300);
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    assert_eq!(
        live_sessions(&app).await,
        before,
        "no session before the code"
    );

    let ticket = body["mfa_token"].as_str().unwrap();
    let done = app.complete_mfa(ticket, &enrolled.next_code()).await;
    assert_eq!(done.status(), Status::Ok);
    assert!(set_cookie(&done, "refresh_token").is_some());
    let body: Value = done.into_json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(payload(access)["amr"], json!(["pwd", "otp"]));
    assert_eq!(body["user"]["mfa_enabled"], true);
    assert_eq!(body["session"]["mfa"], true);
    assert_eq!(body["session"]["method"], "password+totp");
    assert_eq!(payload(&ann.access)["amr"], json!(["pwd"]));

    let sessions: Value = app
        .get_with("/api/sessions", access)
        .await
        .into_json()
        .await
        .unwrap();
    let mfa: Vec<bool> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mfa"].as_bool().unwrap())
        .collect();
    assert_eq!(mfa.iter().filter(|m| **m).count(), 1, "{sessions}");
    let methods: BTreeSet<&str> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, BTreeSet::from(["password", "password+totp"]));
}

#[rocket::async_test]
async fn a_totp_code_is_accepted_once_and_a_replay_is_refused_and_logged() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let mut enrolled = app.enable_mfa(&ann).await;
    let code = enrolled.next_code();
    let first = app.complete_mfa(&app.mfa_ticket(ANN).await, &code).await;
    assert_eq!(first.status(), Status::Ok);
    let body: Value = first.into_json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();

    let replay = app.complete_mfa(&app.mfa_ticket(ANN).await, &code).await;
    assert_eq!(replay.status(), Status::BadRequest);
    assert_eq!(error_code(replay).await, "invalid_code");
    // An older step than the last one used is a replay too.
    let older = code_at(&enrolled.secret, enrolled.step - 1);
    let refused = app.complete_mfa(&app.mfa_ticket(ANN).await, &older).await;
    assert_eq!(refused.status(), Status::BadRequest);
    assert_eq!(event_kinds(&app, &access).await[0], "mfa_failed");
}

#[rocket::async_test]
async fn a_recovery_code_signs_in_once_ever() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    let code = enrolled.recovery_codes[3].to_uppercase();
    let first = app.complete_mfa(&app.mfa_ticket(ANN).await, &code).await;
    assert_eq!(first.status(), Status::Ok);
    let body: Value = first.into_json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        event_kinds(&app, &access).await[..2],
        ["login_succeeded", "recovery_code_used"]
    );

    let again = app.complete_mfa(&app.mfa_ticket(ANN).await, &code).await;
    assert_eq!(again.status(), Status::BadRequest);
    assert_eq!(error_code(again).await, "invalid_code");
    let other = &enrolled.recovery_codes[4];
    let ok = app.complete_mfa(&app.mfa_ticket(ANN).await, other).await;
    assert_eq!(ok.status(), Status::Ok);
}

#[rocket::async_test]
async fn turning_mfa_off_needs_the_password_and_a_code() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let mut enrolled = app.enable_mfa(&ann).await;
    let off = |password: &str, code: String| json!({ "password": password, "code": code });
    let request = |body: Value| {
        app.client
            .delete("/api/auth/mfa/totp")
            .header(rocket::http::ContentType::JSON)
            .header(bearer(&ann.access))
            .body(body.to_string())
            .dispatch()
    };
    // A refused attempt spends no code: the same one works with the right password.
    let code = enrolled.next_code();
    let wrong_password = request(off("wrong password", code.clone())).await;
    assert_eq!(wrong_password.status(), Status::Unauthorized);
    let wrong_code = request(off(PASSWORD, "000000".into())).await;
    assert_eq!(wrong_code.status(), Status::BadRequest);
    assert_eq!(error_code(wrong_code).await, "invalid_code");
    let done = request(off(PASSWORD, code)).await;
    assert_eq!(done.status(), Status::NoContent);

    assert_eq!(event_kinds(&app, &ann.access).await[0], "mfa_disabled");
    app.login(ANN, FIREFOX).await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mfa_recovery_codes")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}
