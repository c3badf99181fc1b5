//! `GET /healthz`: liveness without a token or a database query.

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
async fn healthz_answers_while_the_database_is_gone() {
    // Liveness, not readiness: it never touches the pool.
    let app = app().await;
    app.db().close().await;
    let response = app.client.get("/healthz").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn readyz_answers_200_while_the_database_answers() {
    let app = app().await;
    let response = app.client.get("/readyz").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.into_string().await.as_deref(), Some("ready"));
}

#[rocket::async_test]
async fn readyz_answers_503_when_the_database_does_not() {
    // Readiness: a load balancer stops sending requests to this instance meanwhile.
    let app = app().await;
    app.db().close().await;
    let response = app.client.get("/readyz").dispatch().await;
    assert_eq!(response.status(), Status::ServiceUnavailable);
}
