//! Bad input: every refusal is the contract's JSON error with a 4xx status, never a 500.

use rocket::http::{ContentType, Header, Status};
use serde_json::Value;

use crate::common::*;

async fn raw_post(app: &TestApp, path: &str, body: Vec<u8>) -> (Status, Value) {
    let response = app
        .client
        .post(path.to_owned())
        .header(ContentType::JSON)
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    let body: Value = response.into_json().await.expect("a JSON error body");
    (status, body)
}

#[rocket::async_test]
async fn malformed_bodies_get_json_errors() {
    let app = app().await;
    let big = format!(
        r#"{{"email":"a@b.co","password":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>, Status, &str)> = vec![
        (
            "/api/auth/login",
            b"{\"email\":".to_vec(),
            Status::BadRequest,
            "malformed_json",
        ),
        (
            "/api/auth/login",
            b"".to_vec(),
            Status::BadRequest,
            "malformed_json",
        ),
        (
            "/api/auth/login",
            b"[1,2]".to_vec(),
            Status::UnprocessableEntity,
            "invalid_input",
        ),
        (
            "/api/auth/login",
            br#"{"email":"a@b.co"}"#.to_vec(),
            Status::UnprocessableEntity,
            "invalid_input",
        ),
        (
            "/api/auth/login",
            br#"{"email":5,"password":"x"}"#.to_vec(),
            Status::UnprocessableEntity,
            "invalid_input",
        ),
        (
            "/api/auth/login",
            br#"{"email":"","password":""}"#.to_vec(),
            Status::UnprocessableEntity,
            "invalid_input",
        ),
        (
            "/api/auth/login",
            b"{\"email\":\"\xff\xfe\",\"password\":\"x\"}".to_vec(),
            Status::BadRequest,
            "malformed_json",
        ),
        (
            "/api/auth/register",
            b"null".to_vec(),
            Status::UnprocessableEntity,
            "invalid_input",
        ),
        (
            "/api/auth/register",
            big.clone().into_bytes(),
            Status::PayloadTooLarge,
            "payload_too_large",
        ),
        (
            "/api/auth/login",
            big.into_bytes(),
            Status::PayloadTooLarge,
            "payload_too_large",
        ),
    ];
    for (path, body, status, code) in cases {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(40)
            .collect::<String>();
        let (got, json) = raw_post(&app, path, body).await;
        assert_eq!(got, status, "{path} {shown}");
        assert_eq!(json["error"]["code"], code, "{path} {shown}");
        assert!(json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[rocket::async_test]
async fn unknown_routes_and_wrong_methods_get_json_errors() {
    let app = app().await;
    let unknown = app.client.get("/api/nope").dispatch().await;
    assert_eq!(unknown.status(), Status::NotFound);
    assert_eq!(unknown.content_type(), Some(ContentType::JSON));
    assert_eq!(error_code(unknown).await, "not_found");
    let wrong_method = app.client.get("/api/auth/login").dispatch().await;
    assert!(wrong_method.status().class().is_client_error());
    let body: Value = wrong_method.into_json().await.unwrap();
    assert!(body["error"]["code"].is_string());
    let put = app
        .client
        .put("/api/sessions")
        .header(Header::new("Authorization", "Bearer x"))
        .dispatch()
        .await;
    assert!(put.status().class().is_client_error());
}

#[rocket::async_test]
async fn hostile_strings_are_stored_and_returned_verbatim_not_executed() {
    let app = app().await;
    let agent = "<script>alert(1)</script>'; DROP TABLE users; --";
    let body = serde_json::json!({ "email": "ann@example.com", "password": PASSWORD, "name": "Robert'); DROP TABLE users;--" });
    let response = app.post_json("/api/auth/register", body, agent).await;
    assert_eq!(response.status(), Status::Created);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["session"]["user_agent"], agent);
    assert_eq!(body["user"]["name"], "Robert'); DROP TABLE users;--");
    app.login("ann@example.com", FIREFOX).await;
}

#[rocket::async_test]
async fn long_user_agents_are_cut() {
    let app = app().await;
    let agent = "A".repeat(5000);
    let body = serde_json::json!({ "email": "ann@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/register", body, &agent).await;
    assert_eq!(response.status(), Status::Created);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["session"]["user_agent"].as_str().unwrap().len(), 512);
}
