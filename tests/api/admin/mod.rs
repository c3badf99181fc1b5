//! The admin console (docs/API.md "Administration"): who may use it, what each action does, and
//! the audit log it leaves.

mod actions;
mod guard;
mod pages;
mod users;

use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::Value;

use crate::common::*;

/// Gives the user with this email the admin role, straight in the database.
pub async fn make_admin(app: &TestApp, email: &str) {
    sqlx::query("UPDATE users SET role = 'admin' WHERE email = $1")
        .bind(email)
        .execute(app.db())
        .await
        .expect("promote");
}

/// An app with one admin, `root@example.com`, signed in (a fresh sign-in: recent authentication).
pub async fn app_with_admin() -> (TestApp, Login) {
    let app = app().await;
    app.register("root@example.com").await;
    make_admin(&app, "root@example.com").await;
    let root = app.login("root@example.com", FIREFOX).await;
    (app, root)
}

/// The user id in a sign-in's answer.
pub fn user_id(login: &Login) -> String {
    login.body["user"]["id"]
        .as_str()
        .expect("user id")
        .to_owned()
}

/// An admin request with `by`'s access token: `method` on `path`, with a JSON body when given.
pub async fn admin_call<'a>(
    app: &'a TestApp,
    by: &Login,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> LocalResponse<'a> {
    let path = path.to_owned();
    let request = match method {
        "GET" => app.client.get(path),
        "POST" => app.client.post(path),
        "PUT" => app.client.put(path),
        "DELETE" => app.client.delete(path),
        other => panic!("no method {other}"),
    };
    let request = request
        .header(bearer(&by.access))
        .header(rocket::http::Header::new("User-Agent", FIREFOX));
    let request = match body {
        Some(body) => request.header(ContentType::JSON).body(body.to_string()),
        None => request,
    };
    request.dispatch().await
}

/// `admin_call` expecting `status`, answering the JSON body (or `null`).
pub async fn admin_ok(
    app: &TestApp,
    by: &Login,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: Status,
) -> Value {
    let response = admin_call(app, by, method, path, body).await;
    assert_eq!(response.status(), status, "{method} {path}");
    response.into_json().await.unwrap_or(Value::Null)
}

/// The actions of the audit log, newest first.
pub async fn audit_actions(app: &TestApp, by: &Login) -> Vec<Value> {
    let log = admin_ok(app, by, "GET", "/api/admin/audit", None, Status::Ok).await;
    log["entries"].as_array().expect("entries").clone()
}
