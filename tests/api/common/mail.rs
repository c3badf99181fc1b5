//! The mails an app sent, read back as a mail client would (headers, both parts, transfer
//! encodings decoded by `mail-parser`): from its outbox, or from a real SMTP server, aiosmtpd
//! (Debian's `python3-aiosmtpd`, installed by tests/run.sh), started here on a free loopback port.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rocket::local::asynchronous::LocalResponse;
use rocket_auth_template::mail::Mailer;
use serde_json::json;

use super::{Login, TestApp, FIREFOX, PUBLIC_URL};

/// One delivered mail.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub file: PathBuf,
    pub raw: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl SentMail {
    pub fn read(file: &Path) -> SentMail {
        let raw = std::fs::read_to_string(file).expect("a mail file");
        let message = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .expect("a parsable mail");
        let address = |list: Option<&mail_parser::Address>| {
            list.and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned()
        };
        SentMail {
            file: file.to_owned(),
            from: address(message.from()),
            to: address(message.to()),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
            raw,
        }
    }

    /// The first link of the plain-text part that starts with the app's `public_url`.
    pub fn link(&self) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with(PUBLIC_URL))
            .unwrap_or_else(|| panic!("no {PUBLIC_URL} link in {}", self.text))
            .to_owned()
    }

    /// The link without `public_url`: the path and query to request from the test client.
    pub fn path(&self) -> String {
        self.link()[PUBLIC_URL.len()..].to_owned()
    }

    /// The one-time token of the link.
    pub fn token(&self) -> String {
        let link = self.link();
        let (_, token) = link.split_once("?token=").expect("a token in the link");
        token.to_owned()
    }

    /// A header's value, as written (tests of the raw message).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.raw
            .lines()
            .take_while(|line| !line.is_empty())
            .find(|line| line.to_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }
}

/// Every mail in `dir` (`*.eml`, or a maildir's `new/`), oldest first.
pub fn mails_in(dir: &Path) -> Vec<SentMail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|f| f.is_file() && !f.file_name().unwrap().to_string_lossy().starts_with('.'));
    files.sort();
    files.iter().map(|f| SentMail::read(f)).collect()
}

impl TestApp {
    pub fn mailer(&self) -> &Mailer {
        self.client.rocket().state::<Mailer>().expect("the mailer")
    }

    /// Waits for every queued mail to be delivered (or given up).
    pub async fn mail_settled(&self) {
        assert!(
            self.mailer().wait_idle(Duration::from_secs(20)).await,
            "mails still pending: {:?}",
            self.mailer().stats()
        );
    }

    /// Everything in the outbox, once the queue is idle, oldest first.
    pub async fn outbox(&self) -> Vec<SentMail> {
        self.mail_settled().await;
        mails_in(&self.outbox)
    }

    /// The outbox's mails to `to` with this subject, oldest first.
    pub async fn mails_to(&self, to: &str, subject: &str) -> Vec<SentMail> {
        let mut mails = self.outbox().await;
        mails.retain(|m| m.to == to && m.subject == subject);
        mails
    }

    /// The latest mail to `to` with this subject.
    pub async fn last_mail(&self, to: &str, subject: &str) -> SentMail {
        self.mails_to(to, subject)
            .await
            .pop()
            .unwrap_or_else(|| panic!("no mail {subject:?} to {to}"))
    }
}

/// The mail flows of the JSON API as a client calls them.
impl TestApp {
    /// `POST /api/auth/email/verify`.
    pub async fn verify_email(&self, token: &str) -> LocalResponse<'_> {
        let body = json!({ "token": token });
        self.post_json("/api/auth/email/verify", body, FIREFOX)
            .await
    }

    /// `POST /api/auth/password/forgot` from Firefox.
    pub async fn forgot_password(&self, email: &str) -> LocalResponse<'_> {
        let body = json!({ "email": email });
        self.post_json("/api/auth/password/forgot", body, FIREFOX)
            .await
    }

    /// `POST /api/auth/password/reset`.
    pub async fn reset_password(&self, token: &str, password: &str) -> LocalResponse<'_> {
        let body = json!({ "token": token, "new_password": password });
        self.post_json("/api/auth/password/reset", body, FIREFOX)
            .await
    }

    /// `POST /api/auth/email/resend` with `by`'s access token.
    pub async fn resend_verification(&self, by: &Login) -> LocalResponse<'_> {
        let request = self.client.post("/api/auth/email/resend");
        request.header(by.bearer()).dispatch().await
    }

    /// The token of the latest verification link mailed to `email`.
    pub async fn verification_token(&self, email: &str) -> String {
        self.last_mail(email, VERIFY_SUBJECT).await.token()
    }

    /// `GET /api/auth/me` answers 200 and says whether the address is verified.
    pub async fn assert_email_verified(&self, by: &Login, verified: bool) {
        let response = self.get_with("/api/auth/me", &by.access).await;
        assert_eq!(response.status(), rocket::http::Status::Ok);
        let me: serde_json::Value = response.into_json().await.expect("json");
        assert_eq!(me["user"]["email_verified"], verified);
    }
}

pub const VERIFY_SUBJECT: &str = "Confirm your email address";
pub const RESET_SUBJECT: &str = "Reset your password";
pub const CONFIRM_NEW_SUBJECT: &str = "Confirm your new email address";
pub const CHANGED_SUBJECT: &str = "Your email address was changed";
pub const NEW_DEVICE_SUBJECT: &str = "New sign-in to your account";

/// A free loopback port (bound, then let go).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a loopback port")
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd on a loopback port, storing what it receives in a maildir; stopped when dropped.
pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: Child,
}

const PYTHON: &str = "/usr/bin/python3";

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(free_port())
    }

    /// Listens on `port`; returns once it answers.
    pub fn start_on(port: u16) -> SmtpServer {
        let maildir = tempfile::tempdir().expect("temp dir");
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // Made by the handler: it must not exist yet.
            .arg(maildir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{PYTHON} -m aiosmtpd: {e} (apt-get install python3-aiosmtpd; tests/run.sh does)")
            });
        let mut server = SmtpServer {
            port,
            maildir,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}): is python3-aiosmtpd installed? \
                     (apt-get install python3-aiosmtpd; tests/run.sh does)"
                );
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// What it received, oldest first.
    pub fn received(&self) -> Vec<SentMail> {
        mails_in(&self.maildir.path().join("maildir").join("new"))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
pub const CHANGE_ASKED_SUBJECT: &str = "A new email address was asked for your account";
pub const MFA_FAILURES_SUBJECT: &str = "Someone knows your password";
