//! Test helpers: each test builds the real app on its own temp SQLite file, then talks to it the
//! way a client would (JSON bodies, cookies, headers).

#![allow(dead_code)]

use rocket::figment::Figment;
use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket_auth_template::auth::tokens::Keys;
use rocket_auth_template::db::{Db, Pool};
use rocket_db_pools::Database;
use serde_json::{json, Value};

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery";
pub const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0";
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

pub struct TestApp {
    pub client: Client,
    /// The SQLite URL, so a second app (another key configuration) can share the database.
    pub db_url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn app() -> TestApp {
    app_with(|f| f).await
}

/// A database of its own for one test: a fresh SQLite file in `dir`, or with the `postgres`
/// feature a freshly created database on the server named by `TEST_DATABASE_URL`
/// (e.g. `postgres://postgres@127.0.0.1:5432`, no database name).
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    #[cfg(feature = "sqlite")]
    {
        format!("sqlite://{}", dir.join("test.db").display())
    }
    #[cfg(feature = "postgres")]
    {
        use sqlx::{Connection, Executor};
        let _ = dir;
        let server = std::env::var("TEST_DATABASE_URL")
            .expect("TEST_DATABASE_URL (a PostgreSQL server URL) for the postgres tests");
        let server = server.trim_end_matches('/');
        let name = format!("test_{}", rocket_auth_template::auth::tokens::new_id());
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("connect to the PostgreSQL test server");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create a test database");
        format!("{server}/{name}")
    }
}

/// The app on a fresh database, with `tweak` applied to the configuration.
pub async fn app_with(tweak: impl FnOnce(Figment) -> Figment) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database_url(dir.path()).await;
    let figment = rocket::Config::figment()
        .merge(("databases.app.url", url.clone()))
        .merge(("jwt_secret", SECRET))
        .merge(("log_level", "off"));
    let client = Client::untracked(rocket_auth_template::build(tweak(figment)))
        .await
        .expect("the app ignites");
    TestApp {
        client,
        db_url: url,
        _dir: Some(dir),
    }
}

/// Another app on `first`'s database (which must outlive it), e.g. after a key rotation.
pub async fn app_sharing_db(first: &TestApp, tweak: impl FnOnce(Figment) -> Figment) -> TestApp {
    let figment = rocket::Config::figment()
        .merge(("databases.app.url", first.db_url.clone()))
        .merge(("jwt_secret", SECRET))
        .merge(("log_level", "off"));
    let client = Client::untracked(rocket_auth_template::build(tweak(figment)))
        .await
        .expect("the app ignites");
    TestApp {
        client,
        db_url: first.db_url.clone(),
        _dir: None,
    }
}

/// What a signed-in client holds.
#[derive(Debug, Clone)]
pub struct Login {
    pub access: String,
    pub refresh: String,
    pub csrf: String,
    pub body: Value,
}

impl Login {
    pub fn session_id(&self) -> String {
        self.body["session"]["id"]
            .as_str()
            .expect("session id")
            .to_owned()
    }
    pub fn bearer(&self) -> Header<'static> {
        bearer(&self.access)
    }
}

pub fn bearer(token: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {token}"))
}

pub fn set_cookie(response: &LocalResponse<'_>, name: &str) -> Option<Cookie<'static>> {
    response
        .headers()
        .get("Set-Cookie")
        .filter_map(|v| Cookie::parse_encoded(v.to_owned()).ok())
        .find(|c| c.name() == name)
}

/// The refresh token of a response: the cookie in cookie mode, the body field in body mode.
pub fn refresh_of(response: &LocalResponse<'_>, body: &Value) -> String {
    set_cookie(response, "refresh_token")
        .map(|c| c.value().to_owned())
        .or_else(|| body["refresh_token"].as_str().map(str::to_owned))
        .expect("a refresh token in the cookie or the body")
}

impl TestApp {
    pub async fn post_json(&self, path: &str, body: Value, user_agent: &str) -> LocalResponse<'_> {
        self.client
            .post(path.to_owned())
            .header(ContentType::JSON)
            .header(Header::new("User-Agent", user_agent.to_owned()))
            .body(body.to_string())
            .dispatch()
            .await
    }

    async fn sign_in(&self, path: &str, body: Value, user_agent: &str, expect: Status) -> Login {
        let response = self.post_json(path, body, user_agent).await;
        assert_eq!(response.status(), expect, "{path}");
        let csrf = set_cookie(&response, "csrf_token")
            .expect("csrf cookie")
            .value()
            .to_owned();
        let refresh_cookie = set_cookie(&response, "refresh_token").map(|c| c.value().to_owned());
        let body: Value = response.into_json().await.expect("json body");
        let refresh = refresh_cookie
            .or_else(|| body["refresh_token"].as_str().map(str::to_owned))
            .expect("a refresh token");
        let access = body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned();
        Login {
            access,
            refresh,
            csrf,
            body,
        }
    }

    pub async fn register(&self, email: &str) -> Login {
        let body = json!({ "email": email, "password": PASSWORD, "name": "Test" });
        self.sign_in("/api/auth/register", body, FIREFOX, Status::Created)
            .await
    }

    pub async fn login(&self, email: &str, user_agent: &str) -> Login {
        let body = json!({ "email": email, "password": PASSWORD });
        self.sign_in("/api/auth/login", body, user_agent, Status::Ok)
            .await
    }

    /// A cookie-mode refresh, as a browser sends it: refresh cookie, CSRF cookie and header.
    pub async fn refresh_with_cookie(&self, refresh: &str, csrf: &str) -> LocalResponse<'_> {
        self.client
            .post("/api/auth/refresh")
            .cookie(Cookie::new("refresh_token", refresh.to_owned()))
            .cookie(Cookie::new("csrf_token", csrf.to_owned()))
            .header(Header::new("X-CSRF-Token", csrf.to_owned()))
            .dispatch()
            .await
    }

    pub async fn get_with(&self, path: &str, access: &str) -> LocalResponse<'_> {
        self.client
            .get(path.to_owned())
            .header(bearer(access))
            .dispatch()
            .await
    }

    pub async fn delete_with(&self, path: &str, access: &str) -> LocalResponse<'_> {
        self.client
            .delete(path.to_owned())
            .header(bearer(access))
            .dispatch()
            .await
    }

    pub fn keys(&self) -> &Keys {
        self.client
            .rocket()
            .state::<Keys>()
            .expect("keys are managed")
    }

    pub fn db(&self) -> &Pool {
        Db::fetch(self.client.rocket()).expect("database pool")
    }
}

/// The error code of a contract error body.
pub async fn error_code(response: LocalResponse<'_>) -> String {
    let body: Value = response.into_json().await.expect("json error body");
    body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned()
}

/// The claims of a JWT, read without verifying (the tests' own eyes).
pub fn payload(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// The same token with its payload replaced and the old signature kept.
pub fn with_payload(token: &str, claims: &Value) -> String {
    use base64::Engine;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    parts.join(".")
}
