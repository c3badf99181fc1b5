//! Hostile tokens and bodies: always a 4xx with the contract's JSON error, never a 500.

use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn hostile_tokens_are_401_never_500() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let kid = kid_of(&login.access);
    let header = |json: Value| b64(json.to_string().as_bytes());
    let signed_garbage = |body: &[u8]| {
        let head = header(json!({ "alg": "HS256", "kid": kid }));
        let message = format!("{head}.{}", b64(body));
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        let sig =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
                .unwrap();
        format!("{message}.{sig}")
    };
    let tokens = vec![
        String::new(),
        "a.b.c".into(),
        "....".into(),
        "\u{1F600}.\u{1F600}.\u{1F600}".into(),
        "x".repeat(64 * 1024),
        format!("{}.{}.", b64(b"\xff\xfe\xfd"), b64(b"\xff")),
        format!("{}.e30.AAAA", header(json!({ "alg": "HS256", "kid": 7 }))),
        format!("{}.e30.AAAA", header(json!({ "alg": "RS256", "kid": kid }))),
        format!(
            "{}.e30.AAAA",
            header(json!({ "alg": "HS256", "kid": "x".repeat(10_000) }))
        ),
        signed_garbage(b"\xff\xfe not utf-8"),
        signed_garbage(b"[1,2,3]"),
        signed_garbage(br#"{"sub":7,"exp":"soon"}"#),
        signed_garbage(br#"{"sub":"7","exp":99999999999999999999999}"#),
    ];
    for token in &tokens {
        let shown: String = token.chars().take(30).collect();
        for path in ["/api/auth/me", "/api/auth/claims", "/api/security-events"] {
            let response = app.get_with(path, token).await;
            assert_eq!(response.status(), Status::Unauthorized, "{path} {shown}");
        }
        let response = app.refresh_with_cookie(token, &login.csrf).await;
        assert_eq!(response.status(), Status::Unauthorized, "refresh {shown}");
    }
    // Well-formed and signed by us, but naming a user id that is not a number: the stateless
    // claims route may show it, the user-loading guard refuses it without a 500.
    let odd = signed_garbage(
        br#"{"sub":"x","sid":"s","jti":"j","iat":0,"exp":9999999999,"typ":"access","role":"admin"}"#,
    );
    let response = app.get_with("/api/auth/me", &odd).await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn hostile_bodies_on_the_new_endpoints_get_json_4xx() {
    let app = app_with(|f| f.merge(("refresh_token_as_cookie", false))).await;
    let login = app.register("ann@example.com").await;
    let big = format!(
        r#"{{"current_password":"{}","new_password":"x"}}"#,
        "x".repeat(64 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("/api/auth/password", big.into_bytes(), 413),
        (
            "/api/auth/password",
            b"{\"current_password\":\"\xff\xfe\",\"new_password\":\"x\"}".to_vec(),
            400,
        ),
        (
            "/api/auth/password",
            br#"{"current_password":1}"#.to_vec(),
            422,
        ),
        ("/api/auth/password", b"{".to_vec(), 400),
        // A body-mode refresh body is parsed like any other JSON body.
        (
            "/api/auth/refresh",
            b"{\"refresh_token\":\"\xff\xfe\"}".to_vec(),
            400,
        ),
        (
            "/api/auth/refresh",
            br#"{"refresh_token":12}"#.to_vec(),
            422,
        ),
        (
            "/api/auth/refresh",
            format!(r#"{{"refresh_token":"{}"}}"#, "a".repeat(64 * 1024)).into_bytes(),
            413,
        ),
        (
            "/api/auth/refresh",
            format!(r#"{{"refresh_token":"{}"}}"#, "a".repeat(1024)).into_bytes(),
            401,
        ),
    ];
    for (path, body, status) in cases {
        let shown: String = String::from_utf8_lossy(&body).chars().take(40).collect();
        let response = app
            .client
            .post(path)
            .header(ContentType::JSON)
            .header(login.bearer())
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status().code, status, "{path} {shown}");
        let json: Value = response.into_json().await.expect("a JSON error");
        assert!(json["error"]["code"].is_string(), "{path} {shown}");
    }
    // Over-long password fields are refused without hashing a megabyte.
    let long = "x".repeat(2000);
    let response = change_password(&app, &login.access, &long, NEW_PASSWORD).await;
    assert_eq!(error_code(response).await, "invalid_credentials");
    let response = change_password(&app, &login.access, PASSWORD, &long).await;
    assert_eq!(error_code(response).await, "weak_password");
}
