//! Only admins: the role read from the database, not from the token.

use rocket::http::Status;
use serde_json::json;

use super::*;

/// Every admin route, as a non-admin would try it.
fn every_admin_route(id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let user = format!("/api/admin/users/{id}");
    vec![
        ("GET", "/api/admin/users".into(), None),
        ("GET", "/api/admin/users?query=a&limit=5".into(), None),
        ("GET", user.clone(), None),
        ("POST", format!("{user}/deactivate"), None),
        ("POST", format!("{user}/activate"), None),
        (
            "PUT",
            format!("{user}/role"),
            Some(json!({ "role": "admin" })),
        ),
        ("DELETE", format!("{user}/sessions"), None),
        ("DELETE", format!("{user}/sessions/some-session"), None),
        ("DELETE", format!("{user}/mfa"), None),
        ("POST", format!("{user}/password-reset"), None),
        ("GET", "/api/admin/audit".into(), None),
    ]
}

#[rocket::async_test]
async fn a_user_gets_403_forbidden_from_every_admin_route() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    let root_id = user_id(&root);
    for (method, path, body) in every_admin_route(&root_id) {
        let response = admin_call(&app, &ann, method, &path, body).await;
        assert_eq!(response.status(), Status::Forbidden, "{method} {path}");
        assert_eq!(error_code(response).await, "forbidden", "{method} {path}");
    }
    // And nothing happened to the admin.
    assert!(audit_actions(&app, &root).await.is_empty());
    let me = app.get_with("/api/auth/me", &root.access).await;
    assert_eq!(me.status(), Status::Ok);
}

#[rocket::async_test]
async fn without_a_token_the_admin_routes_answer_401() {
    let (app, _root) = app_with_admin().await;
    let response = app.client.get("/api/admin/users").dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "unauthorized");
}

#[rocket::async_test]
async fn a_forged_admin_claim_is_not_an_admin() {
    // The role comes from the database: a user whose token said "admin" is still a user.
    let (app, _root) = app_with_admin().await;
    app.register("ann@example.com").await;
    make_admin(&app, "ann@example.com").await;
    let ann = app.login("ann@example.com", FIREFOX).await;
    assert_eq!(payload(&ann.access)["role"], "admin");
    sqlx::query("UPDATE users SET role = 'user' WHERE email = 'ann@example.com'")
        .execute(app.db())
        .await
        .unwrap();
    let response = admin_call(&app, &ann, "GET", "/api/admin/users", None).await;
    assert_eq!(response.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn a_demoted_admin_loses_access_at_once() {
    let (app, root) = app_with_admin().await;
    app.register("bob@example.com").await;
    make_admin(&app, "bob@example.com").await;
    let bob = app.login("bob@example.com", FIREFOX).await;
    admin_ok(&app, &bob, "GET", "/api/admin/users", None, Status::Ok).await;

    let path = format!("/api/admin/users/{}/role", user_id(&bob));
    let demote = Some(json!({ "role": "user" }));
    admin_ok(&app, &root, "PUT", &path, demote, Status::NoContent).await;
    // Bob's access token still says admin; the guard reads the database.
    assert_eq!(payload(&bob.access)["role"], "admin");
    let response = admin_call(&app, &bob, "GET", "/api/admin/users", None).await;
    assert_eq!(response.status(), Status::Forbidden);
    // From the next refresh, his tokens say so too.
    let refreshed: Value = app.refresh(&bob).await.into_json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(payload(access)["role"], "user");
}

#[rocket::async_test]
async fn admin_actions_need_recent_authentication_and_reads_do_not() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    app.age_authentication(&root.session_id(), 3600).await;
    let user = format!("/api/admin/users/{}", user_id(&ann));
    admin_ok(&app, &root, "GET", &user, None, Status::Ok).await;
    admin_ok(&app, &root, "GET", "/api/admin/audit", None, Status::Ok).await;
    for (method, path, body) in every_admin_route(&user_id(&ann)) {
        if method == "GET" {
            continue;
        }
        let response = admin_call(&app, &root, method, &path, body).await;
        assert_eq!(response.status(), Status::Unauthorized, "{method} {path}");
        assert_eq!(
            error_code(response).await,
            "reauth_required",
            "{method} {path}"
        );
    }
    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::Ok, "ann was not deactivated");
}

#[rocket::async_test]
async fn the_last_active_admin_cannot_be_demoted_deactivated_or_deleted() {
    let (app, root) = app_with_admin().await;
    let root_id = user_id(&root);
    let role = format!("/api/admin/users/{root_id}/role");
    let demote = || Some(json!({ "role": "user" }));
    for (method, path, body) in [
        ("PUT", role.clone(), demote()),
        (
            "POST",
            format!("/api/admin/users/{root_id}/deactivate"),
            None,
        ),
        (
            "DELETE",
            "/api/account".to_owned(),
            Some(json!({ "password": PASSWORD })),
        ),
    ] {
        let response = admin_call(&app, &root, method, &path, body).await;
        assert_eq!(response.status(), Status::Conflict, "{method} {path}");
        assert_eq!(error_code(response).await, "last_admin");
    }
    // A deactivated admin does not count as the other admin.
    let bob = app.register("bob@example.com").await;
    make_admin(&app, "bob@example.com").await;
    let bob_deactivate = format!("/api/admin/users/{}/deactivate", user_id(&bob));
    admin_ok(
        &app,
        &root,
        "POST",
        &bob_deactivate,
        None,
        Status::NoContent,
    )
    .await;
    let response = admin_call(&app, &root, "PUT", &role, demote()).await;
    assert_eq!(response.status(), Status::Conflict);
    // With another active admin, stepping down works.
    let bob_activate = format!("/api/admin/users/{}/activate", user_id(&bob));
    admin_ok(&app, &root, "POST", &bob_activate, None, Status::NoContent).await;
    admin_ok(&app, &root, "PUT", &role, demote(), Status::NoContent).await;
    let response = admin_call(&app, &root, "GET", "/api/admin/users", None).await;
    assert_eq!(response.status(), Status::Forbidden, "no longer an admin");
}
