//! Mail: what the core asks to send (`Mail`), rendered from `templates/mail/` into a plain-text
//! and an HTML part, and handed to the queue, which delivers it off the request path (SMTP when
//! `smtp_url` is set, else an `.eml` file in `mail_outbox_dir`) and retries a failed send.

mod outbox;
mod queue;
mod templates;
mod transport;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::AdHoc;
use serde::Serialize;

use crate::assets::{Source, TemplateSource};
use crate::config::mail::MailConfig;
use crate::config::Settings;
use crate::error::ApiError;

pub use queue::MailStats;
use queue::Queue;
use templates::MailTemplates;
use transport::Transport;

/// The `Retry-After` of a request refused because the mail queue is full: about one retry delay.
const QUEUE_FULL_RETRY_AFTER: u64 = 30;

/// How long a shutdown waits for mails still being sent before it says which were not.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Every mail the app sends; each has `templates/mail/text/<name>.txt.tera` and
/// `templates/mail/html/<name>.html.tera`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    VerifyEmail,
    ResetPassword,
    /// To the new address of an email change: the link that confirms it.
    ConfirmNewEmail,
    /// To the old address once an email change is done.
    EmailChanged,
    /// To the old address when an email change is asked for: the link cancels it.
    EmailChangeRequested,
    NewDevice,
    /// Second-factor codes failed past the per-account limit: someone knows the password.
    MfaFailures,
}

impl MailKind {
    pub const ALL: [MailKind; 7] = [
        MailKind::VerifyEmail,
        MailKind::ResetPassword,
        MailKind::ConfirmNewEmail,
        MailKind::EmailChanged,
        MailKind::EmailChangeRequested,
        MailKind::NewDevice,
        MailKind::MfaFailures,
    ];

    /// The template name, also the outbox file's suffix.
    pub fn name(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "verify_email",
            MailKind::ResetPassword => "reset_password",
            MailKind::ConfirmNewEmail => "confirm_new_email",
            MailKind::EmailChanged => "email_changed",
            MailKind::EmailChangeRequested => "email_change_requested",
            MailKind::NewDevice => "new_device",
            MailKind::MfaFailures => "mfa_failures",
        }
    }

    pub fn subject(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "Confirm your email address",
            MailKind::ResetPassword => "Reset your password",
            MailKind::ConfirmNewEmail => "Confirm your new email address",
            MailKind::EmailChanged => "Your email address was changed",
            MailKind::EmailChangeRequested => "A new email address was asked for your account",
            MailKind::NewDevice => "New sign-in to your account",
            MailKind::MfaFailures => "Someone knows your password",
        }
    }
}

/// One mail as the core describes it: to whom, which, and what its template shows.
#[derive(Debug, Clone)]
pub struct Mail {
    pub kind: MailKind,
    pub to: String,
    /// The person's name, may be empty.
    pub name: String,
    /// The link the mail is about, if any (printed in the log by the outbox, never by SMTP).
    pub link: Option<String>,
    /// Anything else the template shows (`{ "device": …, "ip": … }`).
    pub details: serde_json::Value,
}

/// What every mail template can use.
#[derive(Serialize)]
struct MailContext<'a> {
    name: &'a str,
    email: &'a str,
    link: Option<&'a str>,
    public_url: &'a str,
    details: &'a serde_json::Value,
}

/// The mailer (managed state): renders mails and queues them for delivery. Cheap to clone, so
/// a background job can hold one.
#[derive(Clone)]
pub struct Mailer {
    templates: Arc<MailTemplates>,
    from: lettre::message::Mailbox,
    public_url: String,
    queue: Queue,
}

impl Mailer {
    /// Loads the mail templates (`templates/mail/`, from `templates`) and opens the transport. Needs the Tokio
    /// runtime (the SMTP pool starts a task).
    pub fn new(config: &MailConfig, templates: &Source) -> Result<Mailer, String> {
        let templates = MailTemplates::load(templates)?;
        let transport = Transport::open(config)?;
        Ok(Mailer {
            templates: Arc::new(templates),
            from: config.mail_from.clone(),
            public_url: config.public_url.clone(),
            queue: Queue::new(
                transport,
                queue::RETRY_DELAYS.to_vec(),
                config.mail_queue_limit,
            ),
        })
    }

    /// `public_url` + `path` + `?token=…`: the link a mail carries.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// `public_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Queues the mail and returns at once; it is rendered and delivered in the background.
    /// `503 Busy` when `mail_queue_limit` mails wait already: nothing queued.
    pub fn send(&self, mail: Mail) -> Result<(), ApiError> {
        self.send_when(async move { Some(mail) })
    }

    /// Queues a job that finds out whether there is a mail to send (looks up an account, issues
    /// a token) and sends it: the caller returns at once and the same whatever the job finds.
    pub fn send_when(
        &self,
        job: impl Future<Output = Option<Mail>> + Send + 'static,
    ) -> Result<(), ApiError> {
        let mailer = self.clone();
        let queued = self.queue.track(async move {
            if let Some(mail) = job.await {
                mailer.deliver(mail).await;
            }
        });
        match queued {
            true => Ok(()),
            false => Err(ApiError::Busy(QUEUE_FULL_RETRY_AFTER)),
        }
    }

    /// An alert (a new device, failed codes): queued when there is room, else only logged; the
    /// step it follows goes on either way.
    pub fn send_alert(&self, mail: Mail) {
        let kind = mail.kind.name();
        if self.send(mail).is_err() {
            rocket::warn!("mail: the queue is full; a {kind} alert is not sent");
        }
    }

    /// Renders and delivers, with the retries. A mail that cannot be built (a template error,
    /// an address lettre refuses) is logged and counted as failed.
    async fn deliver(&self, mail: Mail) {
        let context = MailContext {
            name: &mail.name,
            email: &mail.to,
            link: mail.link.as_deref(),
            public_url: &self.public_url,
            details: &mail.details,
        };
        match self.templates.message(&self.from, &mail, &context) {
            Ok(message) => self.queue.deliver(&message, &mail).await,
            Err(e) => {
                rocket::error!(
                    "mail {} to {} NOT SENT: cannot build it: {e}",
                    mail.kind.name(),
                    mail.to
                );
                self.queue.count_failed();
            }
        }
    }

    /// Waits until every queued mail is delivered or given up; `false` after `timeout`.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        self.queue.wait_idle(timeout).await
    }

    pub fn stats(&self) -> MailStats {
        self.queue.stats()
    }
}

/// Builds the mailer from the validated settings (so `config::stage` attaches it only then), and
/// at shutdown gives mails still in flight a moment to go, then logs those that did not.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Mail", |rocket| async move {
        let Some(settings) = rocket.state::<Settings>() else {
            return Err(rocket);
        };
        let Some(TemplateSource(templates)) = rocket.state::<TemplateSource>() else {
            return Err(rocket);
        };
        let mail = &settings.mail;
        if mail.smtp_url.is_none() && rocket.figment().profile() != "debug" {
            rocket::warn!(
                "mail: no smtp_url, so mails are only written to {}",
                mail.mail_outbox_dir.display()
            );
        }
        match Mailer::new(mail, templates) {
            Ok(mailer) => {
                Ok(rocket
                    .manage(mailer)
                    .attach(AdHoc::on_shutdown("Mail queue", |rocket| {
                        Box::pin(async move {
                            if let Some(mailer) = rocket.state::<Mailer>() {
                                if !mailer.wait_idle(SHUTDOWN_GRACE).await {
                                    let left = mailer.stats().pending;
                                    rocket::error!("mail: shutting down with {left} mails unsent");
                                }
                            }
                        })
                    })))
            }
            Err(e) => {
                rocket::error!("mail: {e}");
                Err(rocket)
            }
        }
    })
}
