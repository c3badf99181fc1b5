//! The mail keys (`public_url`, `smtp_url`, `mail_outbox_dir`, `mail_from`), validated at
//! ignition. `mail/` sends with them.

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::config::AuthConfig;

/// The mail part of the configuration, validated (`public_url`, `smtp_url`, `mail_outbox_dir`,
/// `mail_from`).
#[derive(Clone)]
pub struct MailConfig {
    /// Without a trailing `/`.
    pub public_url: String,
    pub smtp_url: Option<String>,
    pub mail_outbox_dir: PathBuf,
    pub mail_from: Mailbox,
    /// Mails waiting to be delivered at most (`mail_queue_limit`).
    pub mail_queue_limit: usize,
}

/// The SMTP URL may hold a password: never printed.
impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<set>"))
            .field("mail_outbox_dir", &self.mail_outbox_dir)
            .field("mail_from", &self.mail_from.to_string())
            .finish()
    }
}

impl MailConfig {
    pub fn from_config(raw: &AuthConfig) -> Result<MailConfig, String> {
        let public_url = raw.public_url.trim().trim_end_matches('/').to_owned();
        let parsed = rocket::http::uri::Absolute::parse(&public_url).ok();
        let usable = parsed.is_some_and(|uri| {
            matches!(uri.scheme(), "http" | "https")
                && uri.authority().is_some()
                && uri.query().is_none()
        });
        if !usable {
            return Err(format!(
                "public_url {:?} is not an http(s) URL like \"https://app.example.com\"",
                raw.public_url
            ));
        }
        let smtp_url = raw
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(str::to_owned);
        if let Some(url) = &smtp_url {
            // Only the shape is checked here (no connection); the error never repeats the URL.
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| format!("smtp_url is not a usable SMTP URL: {e}"))?;
        }
        let mail_from = raw.mail_from.parse::<Mailbox>().map_err(|e| {
            format!(
                "mail_from {:?} is not like \"Name <address>\": {e}",
                raw.mail_from
            )
        })?;
        if raw.mail_outbox_dir.trim().is_empty() && smtp_url.is_none() {
            return Err("mail_outbox_dir must name a directory when smtp_url is not set".into());
        }
        Ok(MailConfig {
            public_url,
            smtp_url,
            mail_outbox_dir: PathBuf::from(raw.mail_outbox_dir.trim()),
            mail_from,
            mail_queue_limit: raw.mail_queue_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(tweak: impl FnOnce(&mut AuthConfig)) -> Result<MailConfig, String> {
        let mut raw = AuthConfig::default();
        tweak(&mut raw);
        MailConfig::from_config(&raw)
    }

    #[test]
    fn public_url_is_an_http_url_without_its_trailing_slash() {
        let ok = config(|c| c.public_url = "https://app.example.com/".into()).unwrap();
        assert_eq!(ok.public_url, "https://app.example.com");
        for bad in [
            "",
            "app.example.com",
            "ftp://x.example",
            "https://x.example/?a=1",
        ] {
            assert!(config(|c| c.public_url = bad.into()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn smtp_urls_say_how_to_connect_and_errors_never_show_the_password() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://user:pw@mail.example.com:587?tls=required",
            "smtps://user:pw@mail.example.com",
        ] {
            assert!(config(|c| c.smtp_url = Some(good.into())).is_ok(), "{good}");
        }
        let bad = config(|c| c.smtp_url = Some("imap://user:s3cret@x.example".into()));
        let message = bad.unwrap_err();
        assert!(message.contains("smtp_url"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
        let debug = format!(
            "{:?}",
            config(|c| c.smtp_url = Some("smtp://u:s3cret@x.example".into())).unwrap()
        );
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn mail_from_must_be_a_mailbox() {
        assert!(config(|c| c.mail_from = "App <app@example.com>".into()).is_ok());
        assert!(config(|c| c.mail_from = "not an address".into()).is_err());
    }
}
