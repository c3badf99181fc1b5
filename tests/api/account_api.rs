//! The account in the JSON API (docs/API.md "The account in the JSON API"): rename, move to a
//! new address, delete, export; their refusals.

use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

use crate::common::*;

async fn patch_name<'a>(
    app: &'a TestApp,
    by: &Login,
    body: &str,
) -> rocket::local::asynchronous::LocalResponse<'a> {
    app.client
        .patch("/api/account")
        .header(ContentType::JSON)
        .header(by.bearer())
        .body(body)
        .dispatch()
        .await
}

async fn delete_account<'a>(
    app: &'a TestApp,
    by: &Login,
    password: &str,
) -> rocket::local::asynchronous::LocalResponse<'a> {
    app.client
        .delete("/api/account")
        .header(ContentType::JSON)
        .header(by.bearer())
        .body(json!({ "password": password }).to_string())
        .dispatch()
        .await
}

#[rocket::async_test]
async fn patch_renames_and_answers_the_user() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let response = patch_name(&app, &ann, r#"{"name": "  Ann Smith "}"#).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["user"]["name"], "Ann Smith");
    assert_eq!(body["user"]["email"], "ann@example.com");
    let me: Value = app
        .get_with("/api/auth/me", &ann.access)
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(me["user"]["name"], "Ann Smith");

    let too_long = json!({ "name": "a".repeat(101) }).to_string();
    for bad in [
        too_long.as_str(),
        r#"{"name": "a\u0007b"}"#,
        r#"{"name": 5}"#,
        "{}",
    ] {
        let response = patch_name(&app, &ann, bad).await;
        assert_eq!(response.status(), Status::UnprocessableEntity, "{bad}");
        assert_eq!(error_code(response).await, "invalid_input", "{bad}");
    }
    let anonymous = app
        .client
        .patch("/api/account")
        .header(ContentType::JSON)
        .body(r#"{"name": "x"}"#)
        .dispatch()
        .await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn post_email_mails_a_link_to_the_new_address_and_moves_nothing_yet() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    app.register("bob@example.com").await;
    let ask = |email: &str, password: &str| json!({ "email": email, "password": password });

    let wrong = app
        .post_as(
            &ann,
            "/api/account/email",
            ask("ann@new.example.com", "wrong password"),
        )
        .await;
    assert_eq!(wrong.status(), Status::Unauthorized);
    assert_eq!(error_code(wrong).await, "invalid_credentials");
    let taken = app
        .post_as(&ann, "/api/account/email", ask("bob@example.com", PASSWORD))
        .await;
    assert_eq!(taken.status(), Status::Conflict);
    assert_eq!(error_code(taken).await, "email_taken");
    let invalid = app
        .post_as(&ann, "/api/account/email", ask("not an email", PASSWORD))
        .await;
    assert_eq!(invalid.status(), Status::UnprocessableEntity);
    assert_eq!(error_code(invalid).await, "invalid_email");

    let asked = app
        .post_as(
            &ann,
            "/api/account/email",
            ask("ann@new.example.com", PASSWORD),
        )
        .await;
    assert_eq!(asked.status(), Status::Accepted);
    let mail = app
        .last_mail("ann@new.example.com", "Confirm your new email address")
        .await;
    assert!(!mail.token().is_empty());
    let me: Value = app
        .get_with("/api/auth/me", &ann.access)
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(
        me["user"]["email"], "ann@example.com",
        "not until the link is followed"
    );

    app.age_authentication(&ann.session_id(), 3600).await;
    let stale = app
        .post_as(
            &ann,
            "/api/account/email",
            ask("ann@other.example.com", PASSWORD),
        )
        .await;
    assert_eq!(stale.status(), Status::Unauthorized);
    assert_eq!(error_code(stale).await, "reauth_required");
}

#[rocket::async_test]
async fn delete_removes_the_account_with_the_password_and_recent_authentication() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;

    let wrong = delete_account(&app, &ann, "wrong password").await;
    assert_eq!(wrong.status(), Status::Unauthorized);
    assert_eq!(error_code(wrong).await, "invalid_credentials");

    app.age_authentication(&ann.session_id(), 3600).await;
    let stale = delete_account(&app, &ann, PASSWORD).await;
    assert_eq!(stale.status(), Status::Unauthorized);
    assert_eq!(error_code(stale).await, "reauth_required");

    let deleted = delete_account(&app, &phone, PASSWORD).await;
    assert_eq!(deleted.status(), Status::NoContent);
    assert_eq!(
        app.get_with("/api/auth/me", &ann.access).await.status(),
        Status::Unauthorized
    );
    assert_eq!(app.refresh(&phone).await.status(), Status::Unauthorized);
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let login = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(login.status(), Status::Unauthorized);
    // The address is free again.
    app.register("ann@example.com").await;
}

/// Links `(provider, subject)` to `by`'s account straight in the database (the flow itself is
/// tested against a real provider in tests/api/oidc/).
pub async fn link_identity(app: &TestApp, by: &Login, provider: &str, subject: &str) {
    let user_id: i64 = by.body["user"]["id"].as_str().unwrap().parse().unwrap();
    sqlx::query(
        "INSERT INTO user_identities (user_id, provider, subject, email, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, 1764670000, 1764670000)",
    )
    .bind(user_id)
    .bind(provider)
    .bind(subject)
    .bind(by.body["user"]["email"].as_str().unwrap())
    .execute(app.db())
    .await
    .expect("link an identity");
}

#[rocket::async_test]
async fn export_is_everything_about_the_caller_and_nothing_secret_or_anyone_elses() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    app.revoke(&ann, &phone.session_id()).await;
    let enrolled = app.enable_mfa(&ann).await;
    let bob = app.register("bob@example.com").await;
    app.login("bob@example.com", FIREFOX).await;
    app.add_passkey(&ann, &mut SoftPasskey::new()).await;
    link_identity(&app, &ann, "google", "google-subject-4711").await;

    let response = app.get_with("/api/account/export", &ann.access).await;
    assert_eq!(response.status(), Status::Ok);
    let text = response.into_string().await.unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["user"]["email"], "ann@example.com");
    assert_eq!(export["user"]["active"], true);
    assert_eq!(export["mfa"]["enabled"], true);
    assert_eq!(export["mfa"]["recovery_codes_left"], 10);
    let sessions = export["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "the revoked one too");
    assert!(sessions.iter().any(|s| s["revoked_at"].is_string()));
    assert!(sessions.iter().any(|s| s["current"] == true));
    let kinds: Vec<&str> = export["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "registered",
        "login_succeeded",
        "session_revoked",
        "mfa_enabled",
    ] {
        assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
    }
    assert_eq!(export["passkeys"][0]["name"], "Firefox on Windows 10");
    assert_eq!(export["identities"][0]["provider"], "google");
    assert_eq!(export["identities"][0]["email"], "ann@example.com");
    // No secrets, and nothing of Bob's.
    for secret in [
        "argon2",
        ann.refresh.as_str(),
        ann.access.as_str(),
        enrolled.secret.as_str(),
        enrolled.recovery_codes[0].as_str(),
        "bob@example.com",
        bob.session_id().as_str(),
        "refresh_jti",
        "password_hash",
        "google-subject-4711",
        "public_key",
    ] {
        assert!(!text.contains(secret), "the export contains {secret}");
    }

    app.age_authentication(&ann.session_id(), 3600).await;
    let stale = app.get_with("/api/account/export", &ann.access).await;
    assert_eq!(stale.status(), Status::Unauthorized);
    assert_eq!(error_code(stale).await, "reauth_required");
    let anonymous = app.client.get("/api/account/export").dispatch().await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
}
