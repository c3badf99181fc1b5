//! Signing keys that change under live sessions: an HMAC secret rotated, the move to EdDSA,
//! Ed25519 keys rotated, and what the JWKS publishes.

use rocket::http::Status;
use rocket_auth_template::auth::tokens::AccessClaims;
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn rotating_the_signing_key_keeps_sessions_alive_until_the_old_key_is_dropped() {
    let old = app().await;
    let login = old.register("ann@example.com").await;
    let old_kid = kid_of(&login.access);

    let rotated = app_sharing_db(&old, |f| {
        f.merge(("jwt_secret", OTHER_SECRET))
            .merge(("jwt_previous_secrets", vec![SECRET]))
    })
    .await;
    assert_eq!(
        rotated
            .get_with("/api/auth/me", &login.access)
            .await
            .status(),
        Status::Ok,
        "an access token of the previous key still verifies"
    );
    let response = rotated.refresh(&login).await;
    assert_eq!(
        response.status(),
        Status::Ok,
        "and so does its refresh token"
    );
    let new_refresh = refresh_of(&response, &Value::Null);
    let body: Value = response.into_json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(
        kid_of(&new_access),
        old_kid,
        "new tokens are signed with the new key"
    );
    assert_eq!(kid_of(&new_refresh), kid_of(&new_access));

    // The old key dropped from the set: its tokens are refused, the new ones still work.
    let dropped = app_sharing_db(&old, |f| f.merge(("jwt_secret", OTHER_SECRET))).await;
    assert_eq!(
        dropped
            .get_with("/api/auth/me", &login.access)
            .await
            .status(),
        Status::Unauthorized
    );
    assert_eq!(
        dropped.get_with("/api/auth/me", &new_access).await.status(),
        Status::Ok
    );
    // A previous key never signs: the app without the new key refuses the new tokens.
    assert_eq!(
        old.get_with("/api/auth/me", &new_access).await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn eddsa_tokens_verify_with_the_published_jwks_alone() {
    let app = eddsa_app().await;
    let login = app.register("ann@example.com").await;
    let header = jsonwebtoken::decode_header(&login.access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);

    let response = app.client.get("/.well-known/jwks.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let jwks: Value = response.into_json().await.unwrap();
    let jwk = &jwks["keys"][0];
    assert_eq!(jwk["kid"], json!(header.kid.unwrap()));
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert!(jwk.get("d").is_none(), "never the private key");

    // Another service, holding only the JWKS, verifies the access token.
    let key = jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["rocket-auth-template"]);
    validation.set_issuer(&["rocket-auth-template"]);
    let data = jsonwebtoken::decode::<AccessClaims>(&login.access, &key, &validation).unwrap();
    assert_eq!(data.claims.sid, login.session_id());
    let header = jsonwebtoken::decode_header(&login.access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068");
    // Another audience's verifier refuses it.
    validation.set_audience(&["another-service"]);
    assert!(jsonwebtoken::decode::<AccessClaims>(&login.access, &key, &validation).is_err());

    assert_eq!(
        app.get_with("/api/auth/me", &login.access).await.status(),
        Status::Ok
    );
    let response = app.refresh(&login).await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn moving_from_hmac_to_eddsa_and_rotating_ed25519_keys_keeps_sessions_alive() {
    let hmac = app().await;
    let login = hmac.register("ann@example.com").await;
    let first_key = ed25519_pem();
    let moved = app_sharing_db(&hmac, |f| {
        f.merge(("jwt_algorithm", "EdDSA"))
            .merge(("jwt_private_key", first_key.clone()))
            .merge(("jwt_previous_secrets", vec![SECRET]))
    })
    .await;
    assert_eq!(
        moved.get_with("/api/auth/me", &login.access).await.status(),
        Status::Ok
    );
    let response = moved.refresh(&login).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    let eddsa_access = body["access_token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&eddsa_access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);

    // Next rotation: a new Ed25519 key signs, the first one's public key only verifies.
    let first_public = {
        let der = pem::parse(&first_key).unwrap().into_contents();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).unwrap();
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(ring::signature::KeyPair::public_key(&pair).as_ref());
        pem::encode(&pem::Pem::new("PUBLIC KEY", spki))
    };
    let rotated = app_sharing_db(&hmac, |f| {
        f.merge(("jwt_algorithm", "EdDSA"))
            .merge(("jwt_private_key", ed25519_pem()))
            .merge(("jwt_previous_public_keys", vec![first_public]))
    })
    .await;
    assert_eq!(
        rotated
            .get_with("/api/auth/me", &eddsa_access)
            .await
            .status(),
        Status::Ok
    );
    let response = rotated
        .client
        .get("/.well-known/jwks.json")
        .dispatch()
        .await;
    let jwks: Value = response.into_json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids.len(),
        2,
        "current and previous public keys are published"
    );
    assert!(kids.contains(&header.kid.unwrap().as_str()));
    // The HMAC secret was not carried over: the oldest token is refused now.
    assert_eq!(
        rotated
            .get_with("/api/auth/me", &login.access)
            .await
            .status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn the_jwks_never_publishes_an_hmac_secret() {
    let app = app().await;
    let response = app.client.get("/.well-known/jwks.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body, json!({ "keys": [] }));
}
