//! Where a built message goes: an SMTP server (`smtp_url`, TLS as the URL says) or the outbox.

use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::mail::MailConfig;
use crate::mail::outbox::Outbox;
use crate::mail::Mail;

/// One SMTP conversation may take this long before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Why one attempt failed.
#[derive(Debug)]
pub struct Failure {
    pub why: String,
    pub permanent: bool,
}

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(Outbox),
}

impl Transport {
    pub fn open(config: &MailConfig) -> Result<Transport, String> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("smtp_url is not a usable SMTP URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Transport::Smtp(transport))
            }
            None => Ok(Transport::Outbox(Outbox::new(
                config.mail_outbox_dir.clone(),
            ))),
        }
    }

    /// One attempt. The error says what went wrong, for the log, and whether trying again may
    /// help (not after the server refused the mail for good: a 5xx answer).
    pub async fn deliver(&self, message: &Message, mail: &Mail) -> Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message.clone()).await.map_err(|e| Failure {
                    permanent: e.is_permanent(),
                    why: e.to_string(),
                })?;
                rocket::info!("mail {} sent to {}", mail.kind.name(), mail.to);
                Ok(())
            }
            Transport::Outbox(outbox) => {
                let path = outbox
                    .write(message, mail.kind.name())
                    .await
                    .map_err(|why| Failure {
                        why,
                        permanent: false,
                    })?;
                // The outbox is for development: the link goes to the log so it can be clicked.
                rocket::info!(
                    "mail {} to {} ({}): {}",
                    mail.kind.name(),
                    mail.to,
                    path.display(),
                    mail.link.as_deref().unwrap_or("no link")
                );
                Ok(())
            }
        }
    }
}
