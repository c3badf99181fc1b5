//! Tokens through the tests' own eyes: read without verifying, forged, re-signed.

use base64::Engine;
use jsonwebtoken::Algorithm;
use rocket_auth_template::auth::tokens::TokenKind;
use serde::Serialize;
use serde_json::{json, Value};

use super::TestApp;

/// Base64url without padding, as in a JWT.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The claims of a JWT, read without verifying (the tests' own eyes).
pub fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// The same token with its payload replaced and the old signature kept.
pub fn with_payload(token: &str, claims: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64(claims.to_string().as_bytes());
    parts.join(".")
}

/// The `kid` of a JWT's header.
pub fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("a JWT header")
        .kid
        .expect("a kid")
}

/// The token's claims re-signed with `secret` under an arbitrary header.
pub fn resign(claims: &impl Serialize, header: jsonwebtoken::Header, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

/// An access token's JWT header for `alg` (JOSE `typ` `at+jwt`), with this `kid` or none.
pub fn header_with_kid(alg: Algorithm, kid: Option<&str>) -> jsonwebtoken::Header {
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = kid.map(str::to_owned);
    header.typ = Some(TokenKind::Access.header().into());
    header
}

/// A refresh token's HS256 header, with this `kid` or none.
pub fn refresh_header_with_kid(kid: Option<&str>) -> jsonwebtoken::Header {
    let mut header = header_with_kid(Algorithm::HS256, kid);
    header.typ = Some(TokenKind::Refresh.header().into());
    header
}

pub fn hs256_with_kid(kid: Option<&str>) -> jsonwebtoken::Header {
    header_with_kid(Algorithm::HS256, kid)
}

/// A fresh Ed25519 private key, PKCS#8 PEM.
pub fn ed25519_pem() -> String {
    let rng = ring::rand::SystemRandom::new();
    let der = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
    pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()))
}

/// An access token like `token` but expired an hour ago, properly signed.
pub fn expired_copy(app: &TestApp, token: &str) -> String {
    let mut claims = payload(token);
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now - 3600 - 300);
    claims["exp"] = json!(now - 3600);
    app.tokens()
        .sign(TokenKind::Access, &claims)
        .expect("signs")
}
