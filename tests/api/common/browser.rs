//! A browser for the pages: keeps cookies the way Set-Cookie tells it, sends its user agent,
//! and fills in forms the way the pages' own forms do (form encoding, the CSRF token).

use std::collections::BTreeMap;

use rocket::http::{ContentType, Cookie, Header, Status};

use super::{expired_copy, payload, TestApp, FIREFOX, IPHONE, PASSWORD};

/// One response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: Status,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    pub set_cookies: Vec<Cookie<'static>>,
    pub body: String,
}

impl Page {
    pub fn set_cookie(&self, name: &str) -> Option<&Cookie<'static>> {
        self.set_cookies.iter().find(|c| c.name() == name)
    }

    pub fn sets_session_cookies(&self) -> bool {
        ["access_token", "refresh_token"]
            .iter()
            .all(|n| self.set_cookie(n).is_some_and(|c| !c.value().is_empty()))
    }

    pub fn clears_session_cookies(&self) -> bool {
        ["access_token", "refresh_token"]
            .iter()
            .all(|n| self.clears(n))
    }

    /// The answer removes the session cookie the request carried and leaves the other one alone
    /// (never clear a cookie the request did not carry).
    pub fn assert_clears_only(&self, carried: &str, not_carried: &str) {
        assert!(self.clears(carried), "{carried} cleared");
        assert!(
            self.set_cookie(not_carried).is_none(),
            "{not_carried}: not carried, not cleared"
        );
    }

    /// Whether the answer removes the cookie `name`.
    pub fn clears(&self, name: &str) -> bool {
        self.set_cookie(name).is_some_and(|c| c.value().is_empty())
    }

    /// The readable 429 page: HTML (not the API's JSON), a `Retry-After`, and a message saying
    /// how long to wait; no session cookie set or cleared.
    pub fn assert_rate_limited(&self) {
        assert_eq!(self.status, Status::TooManyRequests, "{}", self.body);
        let retry: u64 = self
            .retry_after
            .as_deref()
            .expect("Retry-After")
            .parse()
            .expect("Retry-After in whole seconds");
        assert!(retry >= 1);
        assert!(self.body.starts_with("<!doctype html>"), "{}", self.body);
        assert!(self.body.contains("Too many attempts"));
        let wait = self
            .body
            .find("Please wait ")
            .expect("says when to try again");
        let wait = &self.body[wait..];
        assert!(
            wait.contains(" second") || wait.contains(" minute") || wait.contains(" hour"),
            "{wait}"
        );
        assert!(!self.body.contains("rate_limited"), "no JSON error body");
        for name in ["access_token", "refresh_token"] {
            assert!(self.set_cookie(name).is_none(), "{name} left alone");
        }
    }

    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(self.status, Status::SeeOther, "{}", self.body);
        assert_eq!(self.location.as_deref(), Some(to));
    }

    /// The `_csrf` field the page's first form carries.
    pub fn form_csrf(&self) -> Option<&str> {
        let at = self.body.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
        self.body[at..].split('"').next()
    }
}

/// A browser: keeps cookies the way Set-Cookie tells it, sends its user agent.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub user_agent: String,
    pub jar: BTreeMap<String, String>,
}

/// Percent-encodes all but unreserved characters (for query and form values).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp, user_agent: &str) -> Browser<'a> {
        Browser {
            app,
            user_agent: user_agent.to_owned(),
            jar: BTreeMap::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.jar.insert(name.to_owned(), value.to_owned());
    }

    pub async fn send(&mut self, request: rocket::local::asynchronous::LocalRequest<'_>) -> Page {
        let mut request = request.header(Header::new("User-Agent", self.user_agent.clone()));
        for (name, value) in &self.jar {
            request = request.cookie(Cookie::new(name.clone(), value.clone()));
        }
        let response = request.dispatch().await;
        let set_cookies: Vec<Cookie<'static>> = response
            .headers()
            .get("Set-Cookie")
            .filter_map(|v| Cookie::parse_encoded(v.to_owned()).ok())
            .collect();
        for cookie in &set_cookies {
            let removed =
                cookie.value().is_empty() || cookie.max_age().is_some_and(|age| age.is_zero());
            if removed {
                self.jar.remove(cookie.name());
            } else {
                self.jar
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        Page {
            status: response.status(),
            location: response.headers().get_one("Location").map(str::to_owned),
            retry_after: response.headers().get_one("Retry-After").map(str::to_owned),
            set_cookies,
            body: response.into_string().await.unwrap_or_default(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.app.client.get(path.to_owned());
        self.send(request).await
    }

    /// A form POST with exactly these fields (no CSRF token unless listed).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self
            .app
            .client
            .post(path.to_owned())
            .header(ContentType::Form)
            .body(form_encode(fields));
        self.send(request).await
    }

    /// A form POST as the page's form sends it: with the CSRF token of the cookie.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self
            .cookie("csrf_token")
            .expect("a page was visited first, so the CSRF cookie is set")
            .to_owned();
        let mut fields = fields.to_vec();
        fields.push(("_csrf", &csrf));
        self.post_raw(path, &fields).await
    }

    /// Follows a mailed link (`/path?token=…`) as a person does: the page it opens changes
    /// nothing and shows a button; the button (a CSRF-checked POST of the token) takes the step.
    /// A dead link answers its error page at the GET, as it is.
    pub async fn open_mailed_link(&mut self, path_and_query: &str) -> Page {
        let page = self.get(path_and_query).await;
        if page.status != Status::Ok {
            return page;
        }
        let (path, query) = path_and_query
            .split_once('?')
            .expect("a mailed link carries its token");
        let token = query
            .strip_prefix("token=")
            .expect("the query is the token");
        // Tera escapes `/` in values as `&#x2F;`.
        let escaped = path.replace('/', "&#x2F;");
        assert!(
            page.body.contains(&format!("action=\"{escaped}\"")),
            "a button that posts to {path}: {}",
            page.body
        );
        self.post(path, &[("token", token)]).await
    }

    pub async fn sign_up(&mut self, email: &str) -> Page {
        self.get("/register").await;
        let page = self
            .post(
                "/register",
                &[("email", email), ("name", "Ann"), ("password", PASSWORD)],
            )
            .await;
        assert!(page.sets_session_cookies(), "{page:?}");
        page
    }

    pub async fn sign_in(&mut self, email: &str) -> Page {
        self.get("/login").await;
        let page = self
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert!(page.sets_session_cookies(), "{page:?}");
        page
    }

    /// The sign-in form sent with a `next` field: the answer says where the browser goes.
    pub async fn sign_in_to(&mut self, email: &str, next: &str) -> Page {
        self.get("/login").await;
        self.post(
            "/login",
            &[("email", email), ("password", PASSWORD), ("next", next)],
        )
        .await
    }

    /// A wrong password through the sign-in form: refused, no session.
    pub async fn fail_sign_in(&mut self, email: &str) {
        self.get("/login").await;
        let page = self
            .post("/login", &[("email", email), ("password", "guess")])
            .await;
        assert_eq!(page.status, Status::Unauthorized, "{page:?}");
        assert!(!page.sets_session_cookies());
    }

    /// Swaps the access cookie for a properly signed copy that expired an hour ago, as if the
    /// browser came back later.
    pub fn expire_access_cookie(&mut self) {
        let access = self.cookie("access_token").expect("signed in").to_owned();
        self.set("access_token", &expired_copy(self.app, &access));
    }

    pub fn session_id(&self) -> String {
        let access = self.cookie("access_token").expect("signed in");
        payload(access)["sid"].as_str().expect("sid").to_owned()
    }
}

/// Ann, signed up through the form on her Firefox laptop.
pub async fn ann_signed_up(app: &TestApp) -> Browser<'_> {
    let mut laptop = Browser::new(app, FIREFOX);
    laptop.sign_up("ann@example.com").await;
    laptop
}

/// Ann signed up on a Firefox laptop, then signed in on an iPhone: two devices, two sessions.
pub async fn laptop_and_phone(app: &TestApp) -> (Browser<'_>, Browser<'_>) {
    let laptop = ann_signed_up(app).await;
    let mut phone = Browser::new(app, IPHONE);
    phone.sign_in("ann@example.com").await;
    (laptop, phone)
}
