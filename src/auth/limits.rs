//! Rate limits on the endpoints that guess or cost: login (per IP and per account), register and
//! refresh (per IP), and requests that send a mail (per IP and per address). Keyed GCRA limiters
//! from `governor`, in memory, one set per process.
//!
//! IPv6 clients are keyed by their /64, since one host usually holds the whole prefix. Requests
//! without a known IP (local clients, a proxy not listed in `trusted_proxies`) share one key:
//! behind a reverse proxy, list it in `trusted_proxies` or every client shares its quota.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::auth::device::ClientInfo;
use crate::config::AuthConfig;
use crate::error::ApiError;

/// Longest account key kept (an email is at most 254 bytes); longer input is cut.
const MAX_ACCOUNT_KEY_BYTES: usize = 254;
/// Every this many checks, keys whose bucket is full again are dropped, bounding memory.
const PRUNE_EVERY: u64 = 4096;

/// `count` requests per `period`, refilled evenly, at most `count` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub period: Duration,
}

impl Rate {
    /// `"30/min"`, `"5/s"`, `"100/h"`, `"1000/day"`; `"off"` (or `"0"`) disables the limit.
    pub fn parse(raw: &str) -> Result<Option<Rate>, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") || raw == "0" {
            return Ok(None);
        }
        let bad =
            || format!("{raw:?} is not a rate like \"30/min\" (units: s, min, h, day) or \"off\"");
        let (count, unit) = raw.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let seconds = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86400,
            _ => return Err(bad()),
        };
        let count = NonZeroU32::new(count).ok_or_else(bad)?;
        if count.get() > 1_000_000 {
            return Err(format!("{raw:?}: at most 1000000 per period"));
        }
        Ok(Some(Rate {
            count,
            period: Duration::from_secs(seconds),
        }))
    }

    fn quota(&self) -> Quota {
        let replenish = self.period / self.count.get();
        Quota::with_period(replenish)
            .expect("the period is at least 1 s and count at most 10^6, so the interval is > 0")
            .allow_burst(self.count)
    }
}

/// The configured quotas (`None`: no limit).
#[derive(Debug, Clone, PartialEq, Eq)]
/// Named as the configuration keys they come from.
pub struct RateLimitConfig {
    pub rate_limit_login_per_ip: Option<Rate>,
    pub rate_limit_login_per_account: Option<Rate>,
    pub rate_limit_register_per_ip: Option<Rate>,
    pub rate_limit_refresh_per_ip: Option<Rate>,
    pub rate_limit_mail_per_ip: Option<Rate>,
    pub rate_limit_mail_per_address: Option<Rate>,
}

impl RateLimitConfig {
    pub fn from_config(raw: &AuthConfig) -> Result<RateLimitConfig, String> {
        let rate = |key: &str, value: &str| Rate::parse(value).map_err(|e| format!("{key}: {e}"));
        Ok(RateLimitConfig {
            rate_limit_login_per_ip: rate("rate_limit_login_per_ip", &raw.rate_limit_login_per_ip)?,
            rate_limit_login_per_account: rate(
                "rate_limit_login_per_account",
                &raw.rate_limit_login_per_account,
            )?,
            rate_limit_register_per_ip: rate(
                "rate_limit_register_per_ip",
                &raw.rate_limit_register_per_ip,
            )?,
            rate_limit_refresh_per_ip: rate(
                "rate_limit_refresh_per_ip",
                &raw.rate_limit_refresh_per_ip,
            )?,
            rate_limit_mail_per_ip: rate("rate_limit_mail_per_ip", &raw.rate_limit_mail_per_ip)?,
            rate_limit_mail_per_address: rate(
                "rate_limit_mail_per_address",
                &raw.rate_limit_mail_per_address,
            )?,
        })
    }
}

struct Limiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(rate: Option<Rate>) -> Option<Limiter<K>> {
        rate.map(|rate| Limiter {
            limiter: DefaultKeyedRateLimiter::keyed(rate.quota()),
            checks: AtomicU64::new(0),
        })
    }

    /// Takes one cell of `key`'s bucket, or says how long until one is free.
    fn check(&self, key: &K) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::RateLimited(seconds.max(1))
        })
    }
}

fn check<K: Hash + Eq + Clone>(limiter: &Option<Limiter<K>>, key: &K) -> Result<(), ApiError> {
    limiter.as_ref().map_or(Ok(()), |l| l.check(key))
}

/// IPv4 as is; IPv6 cut to its /64 (IPv4-mapped addresses count as IPv4).
type IpKey = Option<IpAddr>;

fn ip_key(client: &ClientInfo) -> IpKey {
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
    login_ip: Option<Limiter<IpKey>>,
    login_account: Option<Limiter<String>>,
    register_ip: Option<Limiter<IpKey>>,
    refresh_ip: Option<Limiter<IpKey>>,
    mail_ip: Option<Limiter<IpKey>>,
    mail_address: Option<Limiter<String>>,
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> RateLimits {
        RateLimits {
            login_ip: Limiter::new(config.rate_limit_login_per_ip),
            login_account: Limiter::new(config.rate_limit_login_per_account),
            register_ip: Limiter::new(config.rate_limit_register_per_ip),
            refresh_ip: Limiter::new(config.rate_limit_refresh_per_ip),
            mail_ip: Limiter::new(config.rate_limit_mail_per_ip),
            mail_address: Limiter::new(config.rate_limit_mail_per_address),
        }
    }

    /// A password attempt for `email` (login, or a password change naming the current one).
    /// The IP is checked first, so a limited IP cannot also drain other accounts' quotas.
    pub fn password_attempt(&self, client: &ClientInfo, email: &str) -> Result<(), ApiError> {
        check(&self.login_ip, &ip_key(client))?;
        check(&self.login_account, &account_key(email))
    }

    pub fn register(&self, client: &ClientInfo) -> Result<(), ApiError> {
        check(&self.register_ip, &ip_key(client))
    }

    pub fn refresh(&self, client: &ClientInfo) -> Result<(), ApiError> {
        check(&self.refresh_ip, &ip_key(client))
    }

    /// A request that mails `address` (a reset link, a new verification link, an email change):
    /// per IP, then per address, so nobody can flood one mailbox or mail the world from one IP.
    /// Counted alike whether or not an account uses the address.
    pub fn mail_request(&self, client: &ClientInfo, address: &str) -> Result<(), ApiError> {
        check(&self.mail_ip, &ip_key(client))?;
        check(&self.mail_address, &account_key(address))
    }
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
        let client = |ip: &str| ClientInfo {
            device: crate::auth::device::Device::parse(""),
            ip: Some(ip.parse().unwrap()),
        };
        assert_eq!(
            ip_key(&client("2001:db8:1:2:aaaa::1")),
            ip_key(&client("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            ip_key(&client("2001:db8:1:2::1")),
            ip_key(&client("2001:db8:1:3::1"))
        );
        assert_eq!(
            ip_key(&client("::ffff:192.0.2.1")),
            Some("192.0.2.1".parse().unwrap())
        );
    }

    #[test]
    fn a_limit_refuses_past_its_burst_with_a_wait() {
        let limits = RateLimits::new(&RateLimitConfig {
            rate_limit_login_per_ip: None,
            rate_limit_login_per_account: Rate::parse("2/h").unwrap(),
            rate_limit_register_per_ip: None,
            rate_limit_refresh_per_ip: None,
            rate_limit_mail_per_ip: None,
            rate_limit_mail_per_address: None,
        });
        let client = ClientInfo {
            device: crate::auth::device::Device::parse(""),
            ip: None,
        };
        assert!(limits.password_attempt(&client, "a@b.co").is_ok());
        assert!(limits.password_attempt(&client, " A@B.CO").is_ok());
        match limits.password_attempt(&client, "a@b.co") {
            Err(ApiError::RateLimited(seconds)) => assert!((1..=1800).contains(&seconds)),
            other => panic!("{other:?}"),
        }
        assert!(limits.password_attempt(&client, "c@b.co").is_ok());
    }
}
