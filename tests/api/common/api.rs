//! The JSON API as a client calls it: sign up and in, refresh, revoke and log out as one-liners,
//! and the readings of its answers (cookies, error codes, the security-event log).

use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::{LocalRequest, LocalResponse};
use serde_json::{json, Value};

use super::{TestApp, FIREFOX, IPHONE, PASSWORD};

/// What a signed-in client holds.
#[derive(Debug, Clone)]
pub struct Login {
    pub access: String,
    pub refresh: String,
    /// The CSRF cookie set with the session (empty in body mode, which sets no cookie).
    pub csrf: String,
    pub body: Value,
    /// The device's user agent: a grace answer is for the session's own device only.
    pub user_agent: String,
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
    /// A JSON POST from `user_agent`, to send as it is or with more headers.
    pub fn json_post(&self, path: &str, body: &Value, user_agent: &str) -> LocalRequest<'_> {
        self.client
            .post(path.to_owned())
            .header(ContentType::JSON)
            .header(Header::new("User-Agent", user_agent.to_owned()))
            .body(body.to_string())
    }

    pub async fn post_json(&self, path: &str, body: Value, user_agent: &str) -> LocalResponse<'_> {
        self.json_post(path, &body, user_agent).dispatch().await
    }

    async fn sign_in(&self, path: &str, body: Value, user_agent: &str, expect: Status) -> Login {
        let response = self.post_json(path, body, user_agent).await;
        assert_eq!(response.status(), expect, "{path}");
        let csrf = set_cookie(&response, "csrf_token")
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
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
            user_agent: user_agent.to_owned(),
        }
    }

    pub async fn register(&self, email: &str) -> Login {
        let body = json!({ "email": email, "password": PASSWORD, "name": "Test" });
        self.sign_in("/api/auth/register", body, FIREFOX, Status::Created)
            .await
    }

    /// Signs in from Firefox with this password.
    pub async fn login_with(&self, email: &str, password: &str) -> Login {
        let body = json!({ "email": email, "password": password });
        self.sign_in("/api/auth/login", body, FIREFOX, Status::Ok)
            .await
    }

    pub async fn login(&self, email: &str, user_agent: &str) -> Login {
        let body = json!({ "email": email, "password": PASSWORD });
        self.sign_in("/api/auth/login", body, user_agent, Status::Ok)
            .await
    }

    /// A cookie-mode refresh, as the Firefox laptop's browser sends it: refresh cookie, CSRF
    /// cookie and header.
    pub async fn refresh_with_cookie(&self, refresh: &str, csrf: &str) -> LocalResponse<'_> {
        self.refresh_from_device(refresh, csrf, FIREFOX).await
    }

    /// A cookie-mode refresh from the browser with `user_agent`.
    pub async fn refresh_from_device(
        &self,
        refresh: &str,
        csrf: &str,
        user_agent: &str,
    ) -> LocalResponse<'_> {
        self.client
            .post("/api/auth/refresh")
            .cookie(Cookie::new("refresh_token", refresh.to_owned()))
            .cookie(Cookie::new("csrf_token", csrf.to_owned()))
            .header(Header::new("X-CSRF-Token", csrf.to_owned()))
            .header(Header::new("User-Agent", user_agent.to_owned()))
            .dispatch()
            .await
    }

    /// The cookie-mode refresh of what `login` holds (its refresh token, as first issued), from
    /// its own device.
    pub async fn refresh(&self, login: &Login) -> LocalResponse<'_> {
        self.refresh_from_device(&login.refresh, &login.csrf, &login.user_agent)
            .await
    }

    pub async fn get_with(&self, path: &str, access: &str) -> LocalResponse<'_> {
        with_bearer(self.client.get(path.to_owned()), access).await
    }

    pub async fn delete_with(&self, path: &str, access: &str) -> LocalResponse<'_> {
        with_bearer(self.client.delete(path.to_owned()), access).await
    }

    /// `DELETE /api/sessions/{session_id}` with `by`'s access token: revokes one device.
    pub async fn revoke(&self, by: &Login, session_id: &str) -> LocalResponse<'_> {
        self.delete_with(&format!("/api/sessions/{session_id}"), &by.access)
            .await
    }

    /// `DELETE /api/sessions` with `by`'s access token: revokes every other device of the user.
    pub async fn revoke_others(&self, by: &Login) -> LocalResponse<'_> {
        self.delete_with("/api/sessions", &by.access).await
    }

    /// `POST /api/auth/logout` as the JS client sends it from `by`'s browser: the access token
    /// as Bearer, and the session's cookies (refresh and CSRF) with the CSRF header.
    pub async fn logout(&self, by: &Login) -> LocalResponse<'_> {
        let request = self
            .client
            .post("/api/auth/logout")
            .cookie(Cookie::new("refresh_token", by.refresh.clone()))
            .cookie(Cookie::new("csrf_token", by.csrf.clone()))
            .header(Header::new("X-CSRF-Token", by.csrf.clone()))
            .header(Header::new("User-Agent", by.user_agent.clone()));
        with_bearer(request, &by.access).await
    }

    /// `POST /api/auth/logout` with this refresh token in the cookie (and `by`'s CSRF cookie and
    /// header, from its device), no access token: the JS client after losing its access token.
    pub async fn logout_with_refresh_cookie(&self, by: &Login, token: &str) -> LocalResponse<'_> {
        self.client
            .post("/api/auth/logout")
            .cookie(Cookie::new("refresh_token", token.to_owned()))
            .cookie(Cookie::new("csrf_token", by.csrf.clone()))
            .header(Header::new("X-CSRF-Token", by.csrf.clone()))
            .header(Header::new("User-Agent", by.user_agent.clone()))
            .dispatch()
            .await
    }

    /// `POST /api/auth/logout` with `by`'s access token alone (a mobile app: no cookies).
    pub async fn logout_with_bearer(&self, by: &Login) -> LocalResponse<'_> {
        with_bearer(self.client.post("/api/auth/logout"), &by.access).await
    }
}

async fn with_bearer<'c>(request: LocalRequest<'c>, access: &str) -> LocalResponse<'c> {
    request.header(bearer(access)).dispatch().await
}

/// `POST /api/auth/password` from the iPhone, with `access` as the bearer token.
pub async fn change_password<'a>(
    app: &'a TestApp,
    access: &str,
    current: &str,
    new: &str,
) -> LocalResponse<'a> {
    let body = json!({ "current_password": current, "new_password": new });
    let request = app.json_post("/api/auth/password", &body, IPHONE);
    with_bearer(request, access).await
}

/// The error code of a contract error body.
pub async fn error_code(response: LocalResponse<'_>) -> String {
    error_of(response).await.0
}

/// The `(code, message)` of a contract error body.
pub async fn error_of(response: LocalResponse<'_>) -> (String, String) {
    let body: Value = response.into_json().await.expect("json error body");
    let field = |name: &str| {
        body["error"][name]
            .as_str()
            .unwrap_or_else(|| panic!("error.{name} in {body}"))
            .to_owned()
    };
    (field("code"), field("message"))
}

/// A `422 weak_password` whose message says `why`.
pub async fn assert_weak_password(response: LocalResponse<'_>, why: &str) {
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let (code, message) = error_of(response).await;
    assert_eq!(code, "weak_password", "{message}");
    assert!(message.contains(why), "{message:?} does not say {why:?}");
}

/// A 429 with the contract body and a usable `Retry-After`.
pub async fn assert_rate_limited(response: LocalResponse<'_>) {
    assert_eq!(response.status(), Status::TooManyRequests);
    let retry: u64 = response
        .headers()
        .get_one("Retry-After")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!(retry >= 1, "retry after {retry}");
    assert_eq!(error_code(response).await, "rate_limited");
}

/// The caller's security events, newest first, as `GET /api/security-events` lists them.
pub async fn events(app: &TestApp, access: &str) -> Vec<Value> {
    let response = app.get_with("/api/security-events", access).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.expect("json");
    body["events"].as_array().expect("events").clone()
}

/// The kinds of the caller's security events, newest first.
pub async fn event_kinds(app: &TestApp, access: &str) -> Vec<String> {
    events(app, access)
        .await
        .iter()
        .map(|e| e["kind"].as_str().expect("kind").to_owned())
        .collect()
}
