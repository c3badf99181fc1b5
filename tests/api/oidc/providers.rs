//! The OpenID Providers the tests sign in through, each a Node process of its own on a free
//! loopback port (`tests/oidc/`): the certified `oidc-provider` with its login page, and the fake
//! one whose token endpoint makes the bad ID tokens. And a browser for the provider's side.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use rocket_auth_template::oidc::http::{http, url, ProviderHttp};
use serde_json::Value;

/// The client both providers know.
pub const CLIENT_ID: &str = "template";
pub const CLIENT_SECRET: &str = "template-secret";

/// A provider process, stopped when dropped.
pub struct NodeProvider {
    child: Child,
    // Kept open: a provider writing to a closed pipe would die of it.
    _stdout: BufReader<ChildStdout>,
    pub issuer: String,
}

impl NodeProvider {
    fn start(script: &str, args: &[&str]) -> NodeProvider {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
        assert!(
            std::path::Path::new(dir).join("node_modules").is_dir(),
            "the test providers are not installed: (cd tests/oidc && npm ci)"
        );
        let mut child = Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs (tests/run.sh installs it)");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        stdout
            .read_line(&mut line)
            .expect("the provider says where it listens");
        let started: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("{script} did not start: {line:?}"));
        let issuer = started["issuer"].as_str().expect("issuer").to_owned();
        NodeProvider {
            child,
            _stdout: stdout,
            issuer,
        }
    }

    /// panva's oidc-provider, its client allowed to come back to `redirect_uri`.
    pub fn certified(redirect_uri: &str) -> NodeProvider {
        NodeProvider::start("provider.mjs", &["--redirect-uri", redirect_uri])
    }

    /// The controllable one (`fake-provider.mjs`).
    pub fn fake() -> NodeProvider {
        NodeProvider::start("fake-provider.mjs", &["0"])
    }

    /// Tells the fake provider what its next ID tokens look like (`mode`, `sub`, `email`…).
    pub async fn control(&self, change: Value) {
        let http = ProviderHttp::default();
        let request = http::Request::post(format!("{}/control", self.issuer))
            .header("content-type", "application/json")
            .body(change.to_string().into_bytes())
            .expect("a request");
        let answer = http.send(request).await.expect("the fake provider answers");
        assert_eq!(answer.status(), 200, "control refused");
    }

    /// Every request the fake provider saw.
    pub async fn log(&self) -> Vec<Value> {
        let mut browser = ProviderBrowser::default();
        let (_, _, body) = browser.get(&format!("{}/log", self.issuer)).await;
        serde_json::from_str(&body).expect("the log is JSON")
    }
}

impl Drop for NodeProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser on the provider's side: keeps the provider's cookies, follows nothing by itself.
#[derive(Default)]
pub struct ProviderBrowser {
    http: ProviderHttp,
    cookies: BTreeMap<String, String>,
}

impl ProviderBrowser {
    async fn send(&mut self, mut request: http::Request<Vec<u8>>) -> (u16, String, String) {
        let uri = request.uri().clone();
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let value = jar.join("; ").parse().expect("a cookie header");
            request.headers_mut().insert(http::header::COOKIE, value);
        }
        let answer = self.http.send(request).await.expect("the provider answers");
        for set in answer.headers().get_all(http::header::SET_COOKIE) {
            let set = set.to_str().unwrap_or_default();
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty()
                    || set
                        .to_ascii_lowercase()
                        .contains("expires=thu, 01 jan 1970")
                {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let location = answer
            .headers()
            .get(http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(|l| absolute(&uri, l))
            .unwrap_or_default();
        let body = String::from_utf8_lossy(answer.body()).into_owned();
        (answer.status().as_u16(), location, body)
    }

    /// `(status, Location made absolute, body)`.
    pub async fn get(&mut self, url: &str) -> (u16, String, String) {
        let request = http::Request::get(url).body(Vec::new()).expect("a request");
        self.send(request).await
    }

    pub async fn post_form(&mut self, url: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = http::Request::post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.into_bytes())
            .expect("a request");
        self.send(request).await
    }

    /// Follows the provider's redirects (GETs) until one leaves `issuer`; that URL.
    pub async fn follow_until_back(&mut self, issuer: &str, mut url: String) -> String {
        for _ in 0..10 {
            if !url.starts_with(issuer) {
                return url;
            }
            let (status, location, body) = self.get(&url).await;
            if !(300..400).contains(&status) {
                return format!("{status} at {url}: {body}");
            }
            url = location;
        }
        panic!("the provider kept redirecting");
    }

    /// Signs in on the certified provider's own login page as `login` (any password) and
    /// follows it back; the URL it sends the browser to (the app's callback).
    pub async fn sign_in_at_provider(
        &mut self,
        issuer: &str,
        authorize_url: &str,
        login: &str,
    ) -> String {
        let (status, interaction, _) = self.get(authorize_url).await;
        assert_eq!(status, 303, "the provider shows its login page");
        let (status, _, page) = self.get(&interaction).await;
        assert_eq!(status, 200, "{page}");
        let action = page
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a login form");
        let action = absolute(&interaction.parse().expect("a URL"), action);
        let (status, resume, body) = self
            .post_form(
                &action,
                &[("prompt", "login"), ("login", login), ("password", "any")],
            )
            .await;
        assert!(
            (300..400).contains(&status),
            "login refused: {status} {body}"
        );
        self.follow_until_back(issuer, resume).await
    }
}

fn absolute(base: &http::Uri, location: &str) -> String {
    let base = url::Url::parse(&base.to_string()).expect("an absolute URL");
    base.join(location)
        .map(|u| u.to_string())
        .unwrap_or_default()
}
