//! Tokens forged around the key set: a missing or unknown `kid`, `alg: none`, an HMAC keyed with
//! the published public key, claims issued in the future. Each key is pinned to its algorithm.

use rocket::http::Status;
use rocket_auth_template::auth::tokens::{AccessClaims, RefreshClaims, TokenKind};
use rocket_auth_template::clock::now;
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn a_missing_or_unknown_kid_is_refused_even_with_the_right_secret() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let claims = payload(&login.access);
    let kid = kid_of(&login.access);
    let genuine = resign(&claims, hs256_with_kid(Some(&kid)), SECRET.as_bytes());
    assert_eq!(
        app.get_with("/api/auth/claims", &genuine).await.status(),
        Status::Ok
    );
    for header in [hs256_with_kid(None), hs256_with_kid(Some("not-a-key"))] {
        let token = resign(&claims, header, SECRET.as_bytes());
        assert_eq!(
            app.get_with("/api/auth/claims", &token).await.status(),
            Status::Unauthorized
        );
    }
    let refresh = resign(
        &payload(&login.refresh),
        refresh_header_with_kid(Some("x")),
        SECRET.as_bytes(),
    );
    let response = app.refresh_with_cookie(&refresh, &login.csrf).await;
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

#[rocket::async_test]
async fn alg_none_is_refused_even_with_a_valid_kid() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let header = json!({ "alg": "none", "typ": "JWT", "kid": kid_of(&login.access) });
    let body = login.access.split('.').nth(1).unwrap();
    for signature in ["", "AAAA"] {
        let token = format!("{}.{body}.{signature}", b64(header.to_string().as_bytes()));
        assert_eq!(
            app.get_with("/api/auth/claims", &token).await.status(),
            Status::Unauthorized
        );
    }
}

#[rocket::async_test]
async fn an_hmac_token_keyed_with_the_public_key_is_refused() {
    // The classic confusion: the public key is public, so an attacker HMACs with it and claims
    // the EdDSA key's kid. The kid's key is pinned to EdDSA, so HS256 is refused.
    let app = eddsa_app().await;
    let login = app.register("ann@example.com").await;
    let response = app.client.get("/.well-known/jwks.json").dispatch().await;
    let jwks: Value = response.into_json().await.unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let raw = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&x)
            .unwrap()
    };
    let kid = kid_of(&login.access);
    let mut claims = payload(&login.access);
    claims["role"] = json!("admin");
    for secret in [raw.as_slice(), x.as_bytes(), jwks.to_string().as_bytes()] {
        for alg in [
            jsonwebtoken::Algorithm::HS256,
            jsonwebtoken::Algorithm::HS512,
        ] {
            let forged = resign(&claims, header_with_kid(alg, Some(&kid)), secret);
            assert_eq!(
                app.get_with("/api/auth/claims", &forged).await.status(),
                Status::Unauthorized
            );
        }
    }
}

#[rocket::async_test]
async fn tokens_from_the_future_are_refused() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let claims: AccessClaims = serde_json::from_value(payload(&login.access)).unwrap();
    let sign = |value: Value| {
        let claims: Value = value;
        app.tokens().sign(TokenKind::Access, &claims).unwrap()
    };
    let mut nbf = json!(claims.clone());
    nbf["nbf"] = json!(now() + 3600);
    let mut iat = json!(claims.clone());
    iat["iat"] = json!(now() + 3600);
    for token in [sign(nbf), sign(iat)] {
        assert_eq!(
            app.get_with("/api/auth/claims", &token).await.status(),
            Status::Unauthorized
        );
    }
    // A few seconds of clock skew between instances is tolerated.
    let mut skewed = json!(claims);
    skewed["iat"] = json!(now() + 5);
    assert_eq!(
        app.get_with("/api/auth/claims", &sign(skewed))
            .await
            .status(),
        Status::Ok
    );
    let mut refresh: RefreshClaims = serde_json::from_value(payload(&login.refresh)).unwrap();
    refresh.iat = now() + 3600;
    let token = app.tokens().sign(TokenKind::Refresh, &refresh).unwrap();
    let response = app.refresh_with_cookie(&token, &login.csrf).await;
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}
