//! Rate limits on the endpoints that guess or cost: login (per IP and per account), register and
//! refresh (per IP), requests that send a mail (per IP and per address), and wrong second
//! factors (per account, counting failures only). Keyed GCRA limiters: with SQLite in this process's memory (`governor`,
//! `memory.rs`); with PostgreSQL in a table every instance sees (`shared.rs`), so that limits
//! hold across instances.
//!
//! IPv6 clients are keyed by their /64, since one host usually holds the whole prefix. Requests
//! without a known IP (local clients, a proxy not listed in `trusted_proxies`) share one key:
//! behind a reverse proxy, list it in `trusted_proxies` or every client shares its quota.

#[cfg(feature = "sqlite")]
mod memory;
#[cfg(feature = "postgres")]
mod shared;

use std::net::IpAddr;
use std::time::Duration;

#[cfg(feature = "sqlite")]
use memory::{Failures, Limiter};
#[cfg(feature = "postgres")]
use shared::{Failures, Limiter};

use crate::auth::device::ClientInfo;
use crate::config::limits::{Rate, RateLimitConfig};
use crate::db::Pool;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// Longest account key kept (an email is at most 254 bytes); longer input is cut.
const MAX_ACCOUNT_KEY_BYTES: usize = 254;
/// Every this many checks (per limiter and process), keys whose bucket is full again are
/// forgotten, bounding the memory or the table.
const PRUNE_EVERY: u64 = 4096;

/// A refusal that says how long to wait: whole seconds, rounded up, at least 1.
fn retry_after(wait: Duration) -> ApiError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::RateLimited(seconds.max(1))
}

/// A limiter and the name its refusals are counted under (`auth_rate_limited_total{limit}`).
struct Named {
    name: &'static str,
    limiter: Limiter,
}

async fn check(
    limiter: &Option<Named>,
    metrics: &Metrics,
    db: &Pool,
    key: &str,
) -> Result<(), ApiError> {
    match limiter {
        Some(Named { name, limiter }) => {
            let checked = limiter.check(db, key).await;
            if let Err(ApiError::RateLimited(_)) = checked {
                metrics.rate_limited(name);
            }
            checked
        }
        None => Ok(()),
    }
}

/// The address a quota is counted for: IPv4 as is; IPv6 cut to its /64 (IPv4-mapped addresses
/// count as IPv4).
fn ip_bucket(client: &ClientInfo) -> Option<IpAddr> {
    client.ip.map(|ip| match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    })
}

/// Clients without a known IP share one key.
fn ip_key(client: &ClientInfo) -> String {
    ip_bucket(client).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// The account an attempt names: the email as the login would normalise it, bounded.
fn account_key(email: &str) -> String {
    let mut key = email.trim().to_lowercase();
    if key.len() > MAX_ACCOUNT_KEY_BYTES {
        let mut end = MAX_ACCOUNT_KEY_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// The limiters (managed state). Each check answers `429 rate_limited` with `Retry-After`.
pub struct RateLimits {
    login_ip: Option<Named>,
    login_account: Option<Named>,
    register_ip: Option<Named>,
    refresh_ip: Option<Named>,
    mail_ip: Option<Named>,
    mail_address: Option<Named>,
    metrics: Metrics,
    /// Wrong second-factor codes per account, and the one mail per window that says so.
    mfa_failures: Option<Failures>,
    mfa_alert: Option<Limiter>,
}

/// Where an account's second-factor failures stand after one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorFailure {
    /// Under the limit.
    Counted,
    /// At the limit now: further attempts wait; `alert` says whether to mail the owner (the
    /// first time in this window).
    Locked { alert: bool },
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> RateLimits {
        let limiter = |name, rate: Option<Rate>| {
            rate.map(|rate| Named {
                name,
                limiter: Limiter::new(name, rate),
            })
        };
        RateLimits {
            login_ip: limiter("login_ip", config.rate_limit_login_per_ip),
            login_account: limiter("login_account", config.rate_limit_login_per_account),
            register_ip: limiter("register_ip", config.rate_limit_register_per_ip),
            refresh_ip: limiter("refresh_ip", config.rate_limit_refresh_per_ip),
            mail_ip: limiter("mail_ip", config.rate_limit_mail_per_ip),
            mail_address: limiter("mail_address", config.rate_limit_mail_per_address),
            metrics: Metrics::off(),
            mfa_failures: config
                .rate_limit_mfa_failures_per_account
                .map(|rate| Failures::new("mfa_failures", rate)),
            mfa_alert: config.rate_limit_mfa_failures_per_account.map(|rate| {
                let once = Rate {
                    count: std::num::NonZeroU32::MIN,
                    period: rate.period,
                };
                Limiter::new("mfa_alert", once)
            }),
        }
    }

    /// A second-factor attempt (a code, a recovery code, a passkey as the second step) for this
    /// account: refused, whatever ticket or page it comes through, while its failures are past
    /// `rate_limit_mfa_failures_per_account`. Independent of the sign-in limits.
    pub async fn second_factor_attempt(&self, db: &Pool, user_id: i64) -> Result<(), ApiError> {
        let Some(failures) = &self.mfa_failures else {
            return Ok(());
        };
        match failures.wait(db, &user_id.to_string()).await? {
            Some(wait) => {
                self.metrics.rate_limited("mfa_failures");
                Err(retry_after(wait))
            }
            None => Ok(()),
        }
    }

    /// A wrong second factor for this account, counted.
    pub async fn second_factor_failed(
        &self,
        db: &Pool,
        user_id: i64,
    ) -> Result<SecondFactorFailure, ApiError> {
        let Some(failures) = &self.mfa_failures else {
            return Ok(SecondFactorFailure::Counted);
        };
        let key = user_id.to_string();
        if failures.count(db, &key).await?.is_none() {
            return Ok(SecondFactorFailure::Counted);
        }
        let alert = match &self.mfa_alert {
            Some(once) => once.check(db, &key).await.is_ok(),
            None => true,
        };
        Ok(SecondFactorFailure::Locked { alert })
    }

    /// Refusals counted in `metrics` from now on.
    pub fn counted_in(self, metrics: Metrics) -> RateLimits {
        RateLimits { metrics, ..self }
    }

    /// A password attempt for `email` (login, or a password change naming the current one).
    pub async fn password_attempt(
        &self,
        db: &Pool,
        client: &ClientInfo,
        email: &str,
    ) -> Result<(), ApiError> {
        let per_account = (&self.login_account, account_key(email));
        ip_then_key(&self.login_ip, per_account, &self.metrics, db, client).await
    }

    /// A passkey sign-in (start or finish): counted per IP with password sign-ins; no account
    /// is named before the authenticator answers.
    pub async fn passkey_attempt(&self, db: &Pool, client: &ClientInfo) -> Result<(), ApiError> {
        check(&self.login_ip, &self.metrics, db, &ip_key(client)).await
    }

    pub async fn register(&self, db: &Pool, client: &ClientInfo) -> Result<(), ApiError> {
        check(&self.register_ip, &self.metrics, db, &ip_key(client)).await
    }

    pub async fn refresh(&self, db: &Pool, client: &ClientInfo) -> Result<(), ApiError> {
        check(&self.refresh_ip, &self.metrics, db, &ip_key(client)).await
    }

    /// A request that mails `address` (a reset link, a new verification link, an email change),
    /// so nobody can flood one mailbox or mail the world from one IP. Counted alike whether or
    /// not an account uses the address.
    pub async fn mail_request(
        &self,
        db: &Pool,
        client: &ClientInfo,
        address: &str,
    ) -> Result<(), ApiError> {
        let per_address = (&self.mail_address, account_key(address));
        ip_then_key(&self.mail_ip, per_address, &self.metrics, db, client).await
    }
}

/// The client's IP first, then the key's own quota: a limited IP cannot also drain the quotas
/// of the accounts or addresses it names.
async fn ip_then_key(
    per_ip: &Option<Named>,
    (per_key, key): (&Option<Named>, String),
    metrics: &Metrics,
    db: &Pool,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    check(per_ip, metrics, db, &ip_key(client)).await?;
    check(per_key, metrics, db, &key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_bad_ones_are_refused() {
        let rate = Rate::parse("30/min").unwrap().unwrap();
        assert_eq!((rate.count.get(), rate.period.as_secs()), (30, 60));
        assert_eq!(Rate::parse("off").unwrap(), None);
        for bad in [
            "",
            "30",
            "/min",
            "x/min",
            "30/week",
            "-1/s",
            "2000000/s",
            "30/",
        ] {
            assert!(Rate::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let client = |ip: &str| ClientInfo::new("", Some(ip.parse().unwrap()));
        assert_eq!(
            ip_key(&client("2001:db8:1:2:aaaa::1")),
            ip_key(&client("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            ip_key(&client("2001:db8:1:2::1")),
            ip_key(&client("2001:db8:1:3::1"))
        );
        assert_eq!(ip_key(&client("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(ip_key(&client("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::");
    }

    /// The in-memory limiter (SQLite); the shared one is tested against PostgreSQL through the
    /// app (tests/api/security/rate_limits.rs runs on both engines).
    #[cfg(feature = "sqlite")]
    #[rocket::async_test]
    async fn a_limit_refuses_past_its_burst_with_a_wait() {
        // Never connected: the in-memory limiter does not use the database.
        let db = crate::db::Pool::connect_lazy("sqlite::memory:").unwrap();
        let limits = RateLimits::new(&RateLimitConfig {
            rate_limit_login_per_ip: None,
            rate_limit_login_per_account: Rate::parse("2/h").unwrap(),
            rate_limit_register_per_ip: None,
            rate_limit_refresh_per_ip: None,
            rate_limit_mail_per_ip: None,
            rate_limit_mail_per_address: None,
            rate_limit_mfa_failures_per_account: None,
        });
        let client = ClientInfo::new("", None);
        let attempt = |email| limits.password_attempt(&db, &client, email);
        assert!(attempt("a@b.co").await.is_ok());
        assert!(attempt(" A@B.CO").await.is_ok());
        match attempt("a@b.co").await {
            Err(ApiError::RateLimited(seconds)) => assert!((1..=1800).contains(&seconds)),
            other => panic!("{other:?}"),
        }
        assert!(attempt("c@b.co").await.is_ok());
    }

    #[cfg(feature = "sqlite")]
    #[rocket::async_test]
    async fn second_factor_failures_are_counted_per_account_and_alert_once() {
        let db = crate::db::Pool::connect_lazy("sqlite::memory:").unwrap();
        let limits = RateLimits::new(&RateLimitConfig {
            rate_limit_login_per_ip: None,
            rate_limit_login_per_account: None,
            rate_limit_register_per_ip: None,
            rate_limit_refresh_per_ip: None,
            rate_limit_mail_per_ip: None,
            rate_limit_mail_per_address: None,
            rate_limit_mfa_failures_per_account: Rate::parse("3/h").unwrap(),
        });
        for _ in 0..2 {
            assert!(limits.second_factor_attempt(&db, 7).await.is_ok());
            let counted = limits.second_factor_failed(&db, 7).await.unwrap();
            assert_eq!(counted, SecondFactorFailure::Counted);
        }
        // Attempts that succeed are not counted: looking takes nothing.
        for _ in 0..10 {
            assert!(limits.second_factor_attempt(&db, 7).await.is_ok());
        }
        let third = limits.second_factor_failed(&db, 7).await.unwrap();
        assert_eq!(third, SecondFactorFailure::Locked { alert: true });
        match limits.second_factor_attempt(&db, 7).await {
            Err(ApiError::RateLimited(seconds)) => assert!((1..=1200).contains(&seconds)),
            other => panic!("{other:?}"),
        }
        let again = limits.second_factor_failed(&db, 7).await.unwrap();
        assert_eq!(again, SecondFactorFailure::Locked { alert: false });
        assert!(
            limits.second_factor_attempt(&db, 8).await.is_ok(),
            "per account"
        );
    }
}
