//! The JWTs themselves: typ, expiry, signature, algorithm, claims and the claims extension.

use rocket::http::Status;
use rocket_auth_template::auth::tokens::{AccessClaims, RefreshClaims, TokenKind};
use rocket_auth_template::clock::now;
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn a_refresh_token_is_never_an_access_token() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for path in ["/api/auth/me", "/api/auth/claims", "/api/sessions"] {
        let response = app.get_with(path, &login.refresh).await;
        assert_eq!(response.status(), Status::Unauthorized, "{path}");
    }
}

#[rocket::async_test]
async fn an_access_token_is_never_a_refresh_token() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let response = app.refresh_with_cookie(&login.access, &login.csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);
    let cleared = set_cookie(&response, "refresh_token").expect("refresh cookie cleared");
    assert_eq!(cleared.value(), "");
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

#[rocket::async_test]
async fn expired_tokens_are_refused() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let mut access: AccessClaims = serde_json::from_value(payload(&login.access)).unwrap();
    access.iat = now() - 600;
    access.exp = now() - 1;
    let expired = app.tokens().sign(TokenKind::Access, &access).unwrap();
    let response = app.get_with("/api/auth/me", &expired).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "token_expired");
    let response = app.get_with("/api/auth/claims", &expired).await;
    assert_eq!(error_code(response).await, "token_expired");

    let mut refresh: RefreshClaims = serde_json::from_value(payload(&login.refresh)).unwrap();
    refresh.exp = now() - 1;
    let expired = app.tokens().sign(TokenKind::Refresh, &refresh).unwrap();
    let response = app.refresh_with_cookie(&expired, &login.csrf).await;
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

#[rocket::async_test]
async fn tampered_tokens_are_refused() {
    let app = app().await;
    let login = app.register("ann@example.com").await;

    // A changed payload under the old signature: promote ourselves to admin.
    let mut claims = payload(&login.access);
    claims["role"] = json!("admin");
    let forged = with_payload(&login.access, &claims);
    assert_eq!(
        app.get_with("/api/auth/claims", &forged).await.status(),
        Status::Unauthorized
    );

    // A flipped signature character.
    let mut broken = login.access.clone();
    let last = broken.pop().unwrap();
    broken.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        app.get_with("/api/auth/me", &broken).await.status(),
        Status::Unauthorized
    );

    // Signed with another key.
    let other = app_with(|f| f.merge(("jwt_secret", "another-secret-another-secret-0123456789")))
        .await
        .register("ann@example.com")
        .await;
    assert_eq!(
        app.get_with("/api/auth/me", &other.access).await.status(),
        Status::Unauthorized
    );
    let response = app.refresh_with_cookie(&other.refresh, &login.csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);

    // `alg: none`, unsigned.
    let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
    let payload_part = login.access.split('.').nth(1).unwrap();
    let unsigned = format!("{header}.{payload_part}.");
    assert_eq!(
        app.get_with("/api/auth/claims", &unsigned).await.status(),
        Status::Unauthorized
    );

    // The genuine token still works: the refusals above are about the tampering.
    assert_eq!(
        app.get_with("/api/auth/me", &login.access).await.status(),
        Status::Ok
    );
}

#[rocket::async_test]
async fn another_algorithm_is_refused_even_with_the_right_key() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let claims: AccessClaims = serde_json::from_value(payload(&login.access)).unwrap();
    let kid = app.tokens().keys.signing_kid().to_owned();
    let hs512 = resign(
        &claims,
        header_with_kid(jsonwebtoken::Algorithm::HS512, Some(&kid)),
        SECRET.as_bytes(),
    );
    assert_eq!(
        app.get_with("/api/auth/claims", &hs512).await.status(),
        Status::Unauthorized
    );
    let hs256 = resign(&claims, hs256_with_kid(Some(&kid)), SECRET.as_bytes());
    assert_eq!(
        app.get_with("/api/auth/claims", &hs256).await.status(),
        Status::Ok
    );
}

#[rocket::async_test]
async fn claims_guard_is_stateless_and_the_user_guard_is_not() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let response = app.revoke(&login, &login.session_id()).await;
    assert_eq!(response.status(), Status::NoContent);
    // The access token is still a valid signature until it expires: the claims route trusts it...
    let response = app.get_with("/api/auth/claims", &login.access).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["claims"]["sid"], json!(login.session_id()));
    // ...while the full-user guard checks the session and refuses at once.
    assert_eq!(
        app.get_with("/api/auth/me", &login.access).await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn application_claims_travel_in_the_refresh_token_into_every_access_token() {
    let app = app().await;
    app.register("root@example.com").await;
    sqlx::query("UPDATE users SET role = 'admin' WHERE email = 'root@example.com'")
        .execute(app.db())
        .await
        .unwrap();
    let login = app.login("root@example.com", FIREFOX).await;
    let perms = json!(["users:read", "users:write"]);
    assert_eq!(payload(&login.access)["perms"], perms);
    assert_eq!(payload(&login.access)["role"], "admin");
    assert_eq!(payload(&login.refresh)["perms"], perms);

    // Demote in the database: the role and the application claims are derived again from the
    // user at the next refresh, so the demoted admin loses `users:write` there.
    sqlx::query("UPDATE users SET role = 'user' WHERE email = 'root@example.com'")
        .execute(app.db())
        .await
        .unwrap();
    let response = app.refresh(&login).await;
    assert_eq!(response.status(), Status::Ok);
    let refresh = refresh_of(&response, &Value::Null);
    let body: Value = response.into_json().await.unwrap();
    let access = payload(body["access_token"].as_str().unwrap());
    assert_eq!(access["role"], "user");
    assert!(access.get("perms").is_none(), "{access}");
    assert!(payload(&refresh).get("perms").is_none());

    // A plain user's session carries none.
    let plain = app.register("ann@example.com").await;
    assert!(payload(&plain.access).get("perms").is_none());
}
