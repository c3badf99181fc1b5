//! `AuthConfig`: every knob of the contract, read once from `Rocket.toml` / `ROCKET_…` at ignition.

use std::net::IpAddr;

use ipnet::IpNet;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use serde::Deserialize;

use crate::auth::keys::KeyConfig;
use crate::auth::limits::RateLimitConfig;

/// The shortest signing secret accepted outside the `debug` profile (RFC 7518 §3.2 for HS256).
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// HMAC signing secret. Never committed: set `ROCKET_JWT_SECRET`.
    pub jwt_secret: Option<String>,
    /// Earlier HMAC secrets: they verify tokens (until those expire) but never sign.
    pub jwt_previous_secrets: Vec<String>,
    /// `HS256`, `HS384`, `HS512` or `EdDSA`.
    pub jwt_algorithm: String,
    /// EdDSA only: the Ed25519 private key as a PKCS#8 PEM. Never committed.
    pub jwt_private_key: Option<String>,
    /// Earlier Ed25519 public keys (SPKI PEM): they verify but never sign.
    pub jwt_previous_public_keys: Vec<String>,
    /// Access-token lifetime in seconds.
    pub access_token_ttl: i64,
    /// Refresh-token (and session) lifetime in seconds; each rotation slides it.
    pub refresh_token_ttl: i64,
    /// Seconds during which the previous refresh token of a session is still answered (two tabs).
    pub refresh_reuse_grace: i64,
    /// Refresh token in an HttpOnly cookie (true) or in the JSON body (false).
    pub refresh_token_as_cookie: bool,
    /// `Secure` flag on cookies; turn off only for local plain HTTP.
    pub cookie_secure: bool,
    /// How many argon2 hashes may run at once; 0 means one per core.
    pub password_hash_concurrency: usize,
    /// Peers whose `X-Forwarded-For` is believed (IPs or CIDRs).
    pub trusted_proxies: Vec<String>,
    /// Whether `POST /api/auth/register` and `/register` accept new accounts.
    pub allow_registration: bool,
    /// Days after which security events, and sessions revoked or expired, are deleted; 0 keeps them.
    pub retention_days: i64,
    /// Quotas like `"30/min"` (`s`, `min`, `h`, `day`), or `"off"`.
    pub rate_limit_login_per_ip: String,
    pub rate_limit_login_per_account: String,
    pub rate_limit_register_per_ip: String,
    pub rate_limit_refresh_per_ip: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: None,
            jwt_previous_secrets: Vec::new(),
            jwt_algorithm: "HS256".into(),
            jwt_private_key: None,
            jwt_previous_public_keys: Vec::new(),
            access_token_ttl: 5 * 60,
            refresh_token_ttl: 14 * 24 * 60 * 60,
            refresh_reuse_grace: 10,
            refresh_token_as_cookie: true,
            cookie_secure: true,
            password_hash_concurrency: 0,
            trusted_proxies: Vec::new(),
            allow_registration: true,
            retention_days: 90,
            rate_limit_login_per_ip: "30/min".into(),
            rate_limit_login_per_account: "10/min".into(),
            rate_limit_register_per_ip: "20/h".into(),
            rate_limit_refresh_per_ip: "120/min".into(),
        }
    }
}

/// The validated configuration the rest of the app uses (managed state).
#[derive(Debug, Clone)]
pub struct Settings {
    pub keys: KeyConfig,
    pub access_ttl: i64,
    pub refresh_ttl: i64,
    pub reuse_grace: i64,
    pub refresh_as_cookie: bool,
    pub cookie_secure: bool,
    pub hash_concurrency: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub allow_registration: bool,
    /// Seconds; `None` keeps everything.
    pub retention: Option<i64>,
    pub rate_limits: RateLimitConfig,
}

impl Settings {
    /// Validates the raw config. `debug` decides whether a missing secret may be generated.
    pub fn from_config(raw: AuthConfig, debug: bool) -> Result<Settings, String> {
        let keys = KeyConfig::from_config(&raw, debug)?;
        let rate_limits = RateLimitConfig::from_config(&raw)?;
        for (name, value) in [
            ("access_token_ttl", raw.access_token_ttl),
            ("refresh_token_ttl", raw.refresh_token_ttl),
        ] {
            if value <= 0 {
                return Err(format!("{name} must be a positive number of seconds"));
            }
        }
        if raw.refresh_reuse_grace < 0 {
            return Err("refresh_reuse_grace must not be negative".into());
        }
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .map(|p| {
                parse_net(p).ok_or_else(|| format!("trusted_proxies: {p:?} is not an IP or CIDR"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hash_concurrency = match raw.password_hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Ok(Settings {
            keys,
            access_ttl: raw.access_token_ttl,
            refresh_ttl: raw.refresh_token_ttl,
            reuse_grace: raw.refresh_reuse_grace,
            refresh_as_cookie: raw.refresh_token_as_cookie,
            cookie_secure: raw.cookie_secure,
            hash_concurrency,
            trusted_proxies,
            allow_registration: raw.allow_registration,
            retention: match raw.retention_days {
                0 => None,
                days if days > 0 => Some(
                    days.checked_mul(24 * 60 * 60)
                        .ok_or("retention_days is too large")?,
                ),
                _ => return Err("retention_days must not be negative".into()),
            },
            rate_limits,
        })
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Reads and validates the config at ignition; a bad config stops the launch with a clear message.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Auth configuration", |rocket| async move {
        match load(rocket.figment()) {
            Ok(settings) => Ok(rocket.manage(settings)),
            Err(message) => {
                rocket::error!("invalid configuration: {message}");
                Err(rocket)
            }
        }
    })
}

pub fn load(figment: &Figment) -> Result<Settings, String> {
    let raw: AuthConfig = figment.extract().map_err(|e| e.to_string())?;
    Settings::from_config(raw, figment.profile() == "debug")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_short_secret_is_refused_outside_debug() {
        assert!(Settings::from_config(AuthConfig::default(), false).is_err());
        let short = AuthConfig {
            jwt_secret: Some("x".repeat(31)),
            ..Default::default()
        };
        assert!(Settings::from_config(short, false).is_err());
        let good = AuthConfig {
            jwt_secret: Some("x".repeat(32)),
            ..Default::default()
        };
        assert!(Settings::from_config(good, false).is_ok());
    }

    #[test]
    fn retention_is_days_or_off() {
        let days = |d| AuthConfig {
            retention_days: d,
            ..Default::default()
        };
        assert_eq!(
            Settings::from_config(days(90), true).unwrap().retention,
            Some(90 * 86400)
        );
        assert_eq!(
            Settings::from_config(days(0), true).unwrap().retention,
            None
        );
        assert!(Settings::from_config(days(-1), true).is_err());
        assert!(Settings::from_config(days(i64::MAX), true).is_err());
    }

    #[test]
    fn debug_generates_a_secret() {
        let a = Settings::from_config(AuthConfig::default(), true).unwrap();
        let b = Settings::from_config(AuthConfig::default(), true).unwrap();
        assert_ne!(a.keys.current.kid(), b.keys.current.kid());
    }

    #[test]
    fn proxies_accept_ips_and_cidrs() {
        let raw = AuthConfig {
            trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into()],
            ..Default::default()
        };
        let s = Settings::from_config(raw, true).unwrap();
        assert!(s.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(s.is_trusted_proxy("::1".parse().unwrap()));
        assert!(!s.is_trusted_proxy("192.168.0.1".parse().unwrap()));
        let bad = AuthConfig {
            trusted_proxies: vec!["nope".into()],
            ..Default::default()
        };
        assert!(Settings::from_config(bad, true).is_err());
    }
}
