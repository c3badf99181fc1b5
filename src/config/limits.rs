//! The `rate_limit_*` keys: quotas like `"30/min"` (`s`, `min`, `h`, `day`) or `"off"`, parsed
//! once at ignition. `auth::limits` enforces them.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::config::AuthConfig;

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

    #[cfg(feature = "sqlite")]
    pub fn quota(&self) -> governor::Quota {
        let replenish = self.period / self.count.get();
        governor::Quota::with_period(replenish)
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
    pub rate_limit_mfa_failures_per_account: Option<Rate>,
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
            rate_limit_mfa_failures_per_account: rate(
                "rate_limit_mfa_failures_per_account",
                &raw.rate_limit_mfa_failures_per_account,
            )?,
        })
    }
}
