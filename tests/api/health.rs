//! `GET /healthz`: liveness without a token or a database query; `GET /readyz`: readiness.

use rocket::http::{ContentType, Status};

use crate::common::*;

#[rocket::async_test]
async fn healthz_answers_ok_without_a_token() {
    let app = app().await;
    let response = app.client.get("/healthz").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::Plain));
    assert_eq!(response.into_string().await.as_deref(), Some("ok"));
}

#[rocket::async_test]
async fn healthz_ignores_a_bad_token() {
    // No guard: a load balancer's probe never depends on credentials, good or bad.
    let app = app().await;
    let response = app.get_with("/healthz", "not.a.jwt").await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn while_the_database_is_gone_healthz_answers_and_readyz_says_503() {
    // Liveness never touches the pool; readiness tells a load balancer to wait meanwhile.
    let app = app().await;
    app.db().close().await;
    let health = app.client.get("/healthz").dispatch().await;
    assert_eq!(health.status(), Status::Ok);
    let ready = app.client.get("/readyz").dispatch().await;
    assert_eq!(ready.status(), Status::ServiceUnavailable);
}

#[rocket::async_test]
async fn readyz_answers_200_while_the_database_answers() {
    let app = app().await;
    let response = app.client.get("/readyz").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.into_string().await.as_deref(), Some("ready"));
}
