//! Sending off the request path: each mail is delivered by a task of its own, a few attempts
//! apart; every failed attempt is logged, and so is the mail given up after the last one.
//! At most `CONCURRENT_SENDS` SMTP conversations run at once; the rest wait their turn.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lettre::Message;
use rocket::tokio::sync::{Notify, Semaphore};
use rocket::tokio::{self, time};

use crate::mail::transport::{Failure, Transport};
use crate::mail::Mail;

/// The waits between attempts: five attempts over about two and a half minutes.
pub const RETRY_DELAYS: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
];
const CONCURRENT_SENDS: usize = 4;

/// Counts since start: mails waiting or being sent, delivered, and given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailStats {
    pub pending: usize,
    pub sent: usize,
    pub failed: usize,
}

#[derive(Default)]
struct Counters {
    pending: AtomicUsize,
    sent: AtomicUsize,
    failed: AtomicUsize,
    idle: Notify,
}

#[derive(Clone)]
pub struct Queue {
    /// Mails waiting or being sent at most (`mail_queue_limit`).
    limit: usize,
    transport: Arc<Transport>,
    delays: Arc<[Duration]>,
    counters: Arc<Counters>,
    permits: Arc<Semaphore>,
}

impl Queue {
    pub fn new(transport: Transport, delays: Vec<Duration>, limit: usize) -> Queue {
        Queue {
            limit,
            transport: Arc::new(transport),
            delays: delays.into(),
            counters: Arc::default(),
            permits: Arc::new(Semaphore::new(CONCURRENT_SENDS)),
        }
    }

    /// Runs `job` (which ends by delivering its mail, or finding there is none) in the
    /// background, counted as pending until it ends; returns at once. `false`, and nothing
    /// runs, when `limit` mails are pending already (a mail server away for long).
    pub fn track(&self, job: impl Future<Output = ()> + Send + 'static) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            rocket::error!("mail: no runtime to send from; a mail is lost");
            self.count_failed();
            return true;
        };
        let limit = self.limit;
        let taken = self
            .counters
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            });
        if taken.is_err() {
            rocket::warn!("mail: {limit} mails waiting already (mail_queue_limit); one refused");
            return false;
        }
        let counters = self.counters.clone();
        runtime.spawn(async move {
            job.await;
            if counters.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                counters.idle.notify_waiters();
            }
        });
        true
    }

    /// Delivers now, with the retries; counts the outcome.
    pub async fn deliver(&self, message: &Message, mail: &Mail) {
        let delivered = deliver(&self.transport, &self.delays, &self.permits, message, mail).await;
        let outcome = if delivered {
            &self.counters.sent
        } else {
            &self.counters.failed
        };
        outcome.fetch_add(1, Ordering::SeqCst);
    }

    pub fn count_failed(&self) {
        self.counters.failed.fetch_add(1, Ordering::SeqCst);
    }

    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.counters.idle.notified();
                tokio::pin!(idle);
                idle.as_mut().enable();
                if self.counters.pending.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        };
        time::timeout(timeout, wait).await.is_ok()
    }

    pub fn stats(&self) -> MailStats {
        MailStats {
            pending: self.counters.pending.load(Ordering::SeqCst),
            sent: self.counters.sent.load(Ordering::SeqCst),
            failed: self.counters.failed.load(Ordering::SeqCst),
        }
    }
}

/// Tries once, then once after each delay; `true` when the mail went out.
async fn deliver(
    transport: &Transport,
    delays: &[Duration],
    permits: &Semaphore,
    message: &Message,
    mail: &Mail,
) -> bool {
    let attempts = delays.len() + 1;
    for attempt in 1..=attempts {
        let result = match permits.acquire().await {
            Ok(_permit) => transport.deliver(message, mail).await,
            Err(_) => Err(Failure {
                why: "the mail queue is closed".to_owned(),
                permanent: true,
            }),
        };
        match result {
            Ok(()) => return true,
            Err(Failure { why: e, permanent }) if attempt < attempts && !permanent => {
                let wait = delays[attempt - 1];
                rocket::warn!(
                    "mail {} to {}: attempt {attempt} of {attempts} failed ({e}); again in {} s",
                    mail.kind.name(),
                    mail.to,
                    wait.as_secs_f32()
                );
                time::sleep(wait).await;
            }
            Err(Failure { why, .. }) => {
                rocket::error!(
                    "mail {} to {} NOT SENT after {attempt} attempts (of {attempts}): {why}",
                    mail.kind.name(),
                    mail.to
                );
                return false;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::mail::MailConfig;
    use crate::mail::MailKind;

    fn mail() -> (Message, Mail) {
        let message = Message::builder()
            .from("App <app@example.com>".parse().unwrap())
            .to("ann@example.com".parse().unwrap())
            .subject("Hello")
            .body("Hello".to_owned())
            .unwrap();
        let mail = Mail {
            kind: MailKind::VerifyEmail,
            to: "ann@example.com".into(),
            name: String::new(),
            link: None,
            details: serde_json::Value::Null,
        };
        (message, mail)
    }

    fn smtp_to_a_closed_port() -> Transport {
        // Bound then dropped: nothing listens there (connection refused at once).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let raw = crate::config::AuthConfig {
            smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
            ..Default::default()
        };
        Transport::open(&MailConfig::from_config(&raw).unwrap()).unwrap()
    }

    #[rocket::async_test]
    async fn a_mail_that_cannot_be_delivered_is_tried_again_then_counted_as_failed() {
        let delays = vec![Duration::from_millis(10); 2];
        let queue = Queue::new(smtp_to_a_closed_port(), delays, 10);
        let (message, mail) = mail();
        let sender = queue.clone();
        assert!(queue.track(async move { sender.deliver(&message, &mail).await }));
        assert_eq!(
            queue.stats().pending,
            1,
            "queued, not sent on the caller's time"
        );
        assert!(queue.wait_idle(Duration::from_secs(10)).await);
        let stats = queue.stats();
        assert_eq!((stats.pending, stats.sent, stats.failed), (0, 0, 1));
    }

    #[rocket::async_test]
    async fn the_outbox_keeps_each_mail_as_an_eml_file_in_a_private_directory() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let transport = Transport::Outbox(crate::mail::outbox::Outbox::new(outbox.clone()));
        let queue = Queue::new(transport, vec![], 10);
        let (message, mail) = mail();
        let sender = queue.clone();
        assert!(queue.track(async move { sender.deliver(&message, &mail).await }));
        assert!(queue.wait_idle(Duration::from_secs(10)).await);
        assert_eq!(queue.stats().sent, 1);
        let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().collect();
        assert_eq!(files.len(), 1);
        let path = files[0].as_ref().unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.contains("-verify_email-") && name.ends_with(".eml"),
            "{name}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("Subject: Hello"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&outbox).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }
}
