//! Test helpers: each test builds the real app on its own temp database, then talks to it the
//! way a client would.
//!
//! - here: the app under test (`app`, `app_with`, `app_sharing_db`) and the test constants;
//! - `api`: the JSON API as a client calls it (sign in, refresh, revoke, log out as one-liners);
//! - `remote`: the same requests from a chosen client IP (rate limits, the event log);
//! - `browser`: a cookie-keeping browser that fills in the pages' forms;
//! - `jwt`: reading, forging and re-signing tokens;
//! - `db`: what the database says about sessions, and taking the database away;
//! - `mfa`: two-factor enrolment and sign-in, with codes computed from the secret;
//! - `mail`: the mails the app sent (its outbox), and a real SMTP server to send them to;
//! - `range_api`: a local server that answers like the Pwned Passwords range API.

#![allow(dead_code)]

mod api;
mod browser;
mod db;
mod jwt;
mod mail;
mod mfa;
mod passkey;
mod range_api;
mod remote;

pub use api::*;
pub use browser::*;
pub use db::*;
pub use jwt::*;
pub use mail::*;
pub use mfa::*;
pub use passkey::*;
pub use range_api::*;
pub use remote::*;

use rocket::figment::Figment;
use rocket::local::asynchronous::Client;
use rocket_auth_template::auth::tokens::Tokens;
use rocket_auth_template::db::{Db, Pool};
use rocket_db_pools::Database;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// A second HMAC secret, for key rotation.
pub const OTHER_SECRET: &str = "rotated-secret-rotated-secret-0123456789abcdef";
/// The data key every test app seals with (32 bytes, base64), and another for its rotation.
pub const DATA_KEY: &str = "ZGF0YS1rZXktZGF0YS1rZXktZGF0YS1rZXktMDEyMzQ=";
pub const OTHER_DATA_KEY: &str = "b3RoZXItZGF0YS1rZXktb3RoZXItZGF0YS1rZXktMDE=";
pub const PASSWORD: &str = "correct horse battery";
/// What a password change changes `PASSWORD` to.
pub const NEW_PASSWORD: &str = "a brand new passphrase";
pub const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0";
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// Where every link in the tests' mails starts (`public_url`).
pub const PUBLIC_URL: &str = "https://app.test";

pub struct TestApp {
    pub client: Client,
    /// The SQLite URL, so a second app (another key configuration) can share the database.
    pub db_url: String,
    /// This app's `mail_outbox_dir` (unless the test gave it an SMTP server).
    pub outbox: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
    _outbox_dir: tempfile::TempDir,
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
        let name = format!("test_{}", rocket_auth_template::clock::new_id());
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
    ignite(url, Some(dir), tweak).await
}

/// Another app on `first`'s database (which must outlive it), e.g. after a key rotation.
pub async fn app_sharing_db(first: &TestApp, tweak: impl FnOnce(Figment) -> Figment) -> TestApp {
    ignite(first.db_url.clone(), None, tweak).await
}

/// `n` apps igniting at the same moment on one new, empty database: instances started together,
/// each running the migrations.
pub async fn apps_started_together(n: usize) -> Vec<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database_url(dir.path()).await;
    let starts = (0..n).map(|_| ignite(url.clone(), None, |f| f));
    let mut apps = rocket::futures::future::join_all(starts).await;
    apps[0]._dir = Some(dir);
    apps
}

async fn ignite(
    db_url: String,
    dir: Option<tempfile::TempDir>,
    tweak: impl FnOnce(Figment) -> Figment,
) -> TestApp {
    let outbox_dir = tempfile::tempdir().expect("temp dir");
    let outbox = outbox_dir.path().join("outbox");
    let figment = rocket::Config::figment()
        .merge(("databases.app.url", db_url.clone()))
        .merge(("jwt_secret", SECRET))
        .merge(("data_key", DATA_KEY))
        .merge(("log_level", "off"))
        .merge(("public_url", PUBLIC_URL))
        .merge(("mail_outbox_dir", outbox.display().to_string()));
    let client = Client::untracked(rocket_auth_template::build(tweak(figment)))
        .await
        .expect("the app ignites");
    TestApp {
        client,
        db_url,
        outbox,
        _dir: dir,
        _outbox_dir: outbox_dir,
    }
}

/// The app signing with a fresh Ed25519 key (EdDSA) instead of the HMAC secret.
pub async fn eddsa_app() -> TestApp {
    let key = ed25519_pem();
    app_with(move |f| {
        f.merge(("jwt_algorithm", "EdDSA"))
            .merge(("jwt_private_key", key))
    })
    .await
}

impl TestApp {
    pub fn tokens(&self) -> &Tokens {
        self.client
            .rocket()
            .state::<Tokens>()
            .expect("keys are managed")
    }

    /// Moves this app's clock forward: what a test does instead of sleeping.
    pub fn advance_clock(&self, seconds: i64) {
        let clock = self
            .client
            .rocket()
            .state::<rocket_auth_template::clock::Clock>();
        clock.expect("the app's clock").advance(seconds);
    }

    pub fn db(&self) -> &Pool {
        Db::fetch(self.client.rocket()).expect("database pool")
    }
}
