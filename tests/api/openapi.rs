//! The OpenAPI document (`GET /api/openapi.json`) and its page (`GET /api/docs`): the document
//! names exactly the routes the app mounts, says how each one authenticates and refuses, and the
//! page renders it under the pages' CSP. (schemathesis, in `tests/fuzz/`, holds the live answers
//! to it.)

use std::collections::BTreeSet;

use rocket::http::{ContentType, Status};
use rocket_auth_template::web::security_headers::{API_CSP, PAGE_CSP};
use serde_json::Value;

use crate::common::*;

/// `GET /api/sessions/{id}`: a route as the document spells it (no query, `{param}`).
fn operation(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.replace('<', "{").replace('>', "}");
    format!("{} {path}", method.to_uppercase())
}

fn mounted(app: &TestApp) -> BTreeSet<String> {
    app.client
        .rocket()
        .routes()
        .map(|r| operation(r.method.as_str(), &r.uri.to_string()))
        .collect()
}

fn documented(doc: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            ops.insert(operation(method, path));
        }
    }
    ops
}

async fn served_document(app: &TestApp) -> Value {
    let response = app.client.get("/api/openapi.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    response.into_json().await.expect("the document is JSON")
}

fn operations(doc: &Value) -> impl Iterator<Item = (String, &Value)> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            item.iter()
                .map(move |(method, op)| (operation(method, path), op))
        })
}

#[rocket::async_test]
async fn every_mounted_api_route_is_in_the_document() {
    let app = app().await;
    let doc = served_document(&app).await;
    let missing: Vec<String> = mounted(&app)
        .difference(&documented(&doc))
        .filter(|op| op.split(' ').nth(1).is_some_and(|p| p.starts_with("/api/")))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "mounted under /api but not in the OpenAPI document (add #[utoipa::path] and list it in \
         its module's Doc): {missing:?}"
    );
}

#[rocket::async_test]
async fn the_document_names_only_mounted_routes() {
    let app = app().await;
    let doc = served_document(&app).await;
    let stale: Vec<String> = documented(&doc)
        .difference(&mounted(&app))
        .cloned()
        .collect();
    assert!(stale.is_empty(), "documented but not mounted: {stale:?}");
    // Beyond /api it describes the other JSON-ish routes clients call.
    assert!(documented(&doc).contains("GET /.well-known/jwks.json"));
    assert!(documented(&doc).contains("GET /healthz"));
}

#[rocket::async_test]
async fn the_document_is_openapi_3_and_served_with_the_api_csp() {
    let app = app().await;
    let response = app.client.get("/api/openapi.json").dispatch().await;
    let csp = response.headers().get_one("Content-Security-Policy");
    assert_eq!(csp, Some(API_CSP));
    let doc: Value = response.into_json().await.expect("JSON");
    assert!(doc["openapi"]
        .as_str()
        .unwrap_or_default()
        .starts_with("3."));
    let expected = serde_json::to_value(rocket_auth_template::api::openapi::document()).unwrap();
    assert_eq!(doc, expected, "the served document is the generated one");
}

#[rocket::async_test]
async fn every_operation_has_a_unique_id_a_tag_a_summary_and_a_success_answer() {
    let doc = served_document(&app().await).await;
    let mut ids = BTreeSet::new();
    for (name, op) in operations(&doc) {
        let id = op["operationId"].as_str().expect("operationId");
        assert!(
            ids.insert(id.to_owned()),
            "{name}: operationId {id} used twice"
        );
        assert!(op["tags"][0].is_string(), "{name}: no tag");
        assert!(op["summary"].is_string(), "{name}: no summary");
        let statuses: Vec<&String> = op["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .collect();
        assert!(
            statuses.iter().any(|s| s.starts_with('2')),
            "{name}: no 2xx answer"
        );
    }
    // Links (the stateful chain sign-in → sessions → revoke) name operations that exist.
    for (name, op) in operations(&doc) {
        for answer in op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, a)| a)
        {
            for (link, target) in answer["links"].as_object().into_iter().flatten() {
                let id = target["operationId"].as_str().unwrap_or_default();
                assert!(
                    ids.contains(id),
                    "{name}: link {link} names unknown operation {id}"
                );
            }
        }
    }
}

#[rocket::async_test]
async fn every_error_answer_is_the_error_schema_with_its_codes_and_examples() {
    let doc = served_document(&app().await).await;
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    for (name, op) in operations(&doc) {
        for (status, answer) in op["responses"].as_object().expect("responses") {
            if !status.starts_with('4') {
                continue;
            }
            let json = &answer["content"]["application/json"];
            let schema = &json["schema"]["allOf"];
            assert_eq!(
                schema[0]["$ref"], "#/components/schemas/ErrorBody",
                "{name} {status}"
            );
            let codes = schema[1]["properties"]["error"]["properties"]["code"]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{name} {status}: no codes"));
            for code in codes {
                let example = &json["examples"][code.as_str().unwrap()]["value"]["error"];
                assert_eq!(&example["code"], code, "{name} {status}: example of {code}");
                assert!(example["message"].is_string());
            }
        }
    }
}

#[rocket::async_test]
async fn protected_operations_say_how_to_authenticate_and_cookies_need_csrf_on_writes() {
    let doc = served_document(&app().await).await;
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("schemes");
    assert_eq!(
        schemes["bearer"]["scheme"]
            .as_str()
            .map(str::to_lowercase)
            .as_deref(),
        Some("bearer")
    );
    assert_eq!(schemes["access_cookie"]["in"], "cookie");
    assert_eq!(schemes["access_cookie"]["name"], "access_token");
    assert_eq!(schemes["refresh_cookie"]["name"], "refresh_token");
    assert_eq!(schemes["csrf"]["in"], "header");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    for (name, op) in operations(&doc) {
        let alternatives = op["security"].as_array().cloned().unwrap_or_default();
        let refuses_unauthorized = op["responses"]["401"]["content"]["application/json"]
            ["examples"]["unauthorized"]
            .is_object();
        if refuses_unauthorized && !name.ends_with("/api/auth/logout") {
            assert!(
                alternatives.iter().any(|a| a.get("bearer").is_some()),
                "{name}: needs a token but declares no Bearer scheme"
            );
        }
        let unsafe_method = !name.starts_with("GET ");
        for alternative in &alternatives {
            let uses_cookie = ["access_cookie", "refresh_cookie"]
                .iter()
                .any(|c| alternative.get(c).is_some());
            if uses_cookie && unsafe_method {
                assert!(
                    alternative.get("csrf").is_some(),
                    "{name}: cookie without X-CSRF-Token"
                );
            }
        }
    }
}

#[rocket::async_test]
async fn rate_limited_operations_declare_429_with_retry_after() {
    let doc = served_document(&app().await).await;
    for path in ["login", "register", "refresh", "password"] {
        let answer = &doc["paths"][format!("/api/auth/{path}")]["post"]["responses"]["429"];
        assert!(
            answer["content"]["application/json"]["examples"]["rate_limited"].is_object(),
            "{path}"
        );
        assert_eq!(
            answer["headers"]["Retry-After"]["schema"]["type"], "integer",
            "{path}"
        );
    }
}

#[rocket::async_test]
async fn the_reference_page_renders_every_operation_under_the_page_csp() {
    let app = app().await;
    let response = app.client.get("/api/docs").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    let csp = response.headers().get_one("Content-Security-Policy");
    assert_eq!(
        csp,
        Some(PAGE_CSP),
        "as strict as the other pages, not the API's sandbox"
    );
    let html = response.into_string().await.expect("a page");
    let doc = served_document(&app).await;
    for path in doc["paths"].as_object().expect("paths").keys() {
        let escaped = path.replace('/', "&#x2F;"); // as Tera escapes it
        assert!(
            html.contains(&format!("<code>{escaped}</code>")),
            "{path} missing from the page"
        );
    }
    assert!(html.contains("id=\"schema-ErrorBody\""));
    assert!(html.contains("invalid_credentials"));
    // Nothing the CSP would refuse, nothing from another origin.
    for forbidden in ["<script", "style=", "<style", "src=\"http", "href=\"http"] {
        assert!(!html.contains(forbidden), "the page contains {forbidden}");
    }
}

#[rocket::async_test]
async fn the_home_page_links_the_reference_in_debug_only() {
    let debug = app().await;
    let mut browser = ann_signed_up(&debug).await;
    assert!(browser.get("/").await.body.contains("href=\"/api/docs\""));

    // The test client speaks plain HTTP: cookies without the `__Host-` prefix, as in `debug`.
    let release = app_with(|f| {
        f.select("release")
            .merge(("cookie_secure", false))
            .merge(("allow_plain_http", true))
            .merge(("allow_mail_outbox", true))
    })
    .await;
    let mut browser = ann_signed_up(&release).await;
    let home = browser.get("/").await;
    assert_eq!(home.status, Status::Ok);
    assert!(!home.body.contains("/api/docs"));
}

/// The fields of `export type NAME = { … }` in the JS client's typings.
fn typed_fields(typings: &str, name: &str) -> BTreeSet<String> {
    let start = format!("export type {name} = {{");
    let body = typings
        .split_once(&start)
        .unwrap_or_else(|| panic!("no `{start}` in auth-client.d.ts"))
        .1;
    let body = &body[..body.find("\n};").expect("the type ends")];
    body.lines()
        .filter_map(|l| l.strip_prefix("    ")?.split_once(':'))
        .map(|(field, _)| field.trim_end_matches('?').to_owned())
        .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect()
}

#[rocket::async_test]
async fn the_js_typings_name_the_fields_the_document_gives_users_and_sessions() {
    let doc = served_document(&app().await).await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/static/js/auth-client.d.ts");
    let typings = std::fs::read_to_string(path).expect("static/js/auth-client.d.ts");
    for name in ["User", "Session"] {
        let documented: BTreeSet<String> = doc["components"]["schemas"][name]["properties"]
            .as_object()
            .expect("a documented object")
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            typed_fields(&typings, name),
            documented,
            "{name}: JSDoc typedef vs OpenAPI"
        );
    }
}

#[test]
fn the_documented_input_bounds_are_the_ones_the_code_enforces() {
    use rocket_auth_template::auth::password::MAX_PASSWORD_BYTES;
    use rocket_auth_template::auth::user_input::{
        MAX_EMAIL_BYTES, MAX_NAME_CHARS, MIN_PASSWORD_CHARS,
    };
    let doc = serde_json::to_value(rocket_auth_template::api::openapi::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let registration = &schemas["Registration"]["properties"];
    assert_eq!(registration["email"]["maxLength"], MAX_EMAIL_BYTES);
    assert_eq!(registration["password"]["minLength"], MIN_PASSWORD_CHARS);
    assert_eq!(registration["password"]["maxLength"], MAX_PASSWORD_BYTES);
    assert_eq!(registration["name"]["maxLength"], MAX_NAME_CHARS);
    assert_eq!(
        schemas["Credentials"]["properties"]["password"]["maxLength"],
        MAX_PASSWORD_BYTES
    );
    let change = &schemas["PasswordChange"]["properties"];
    assert_eq!(change["new_password"]["minLength"], MIN_PASSWORD_CHARS);
    assert_eq!(change["new_password"]["maxLength"], MAX_PASSWORD_BYTES);
}
