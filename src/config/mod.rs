//! `AuthConfig`: every knob of the contract, read once from `Rocket.toml` / `ROCKET_…` at ignition.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use serde::Deserialize;

pub mod data_keys;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod oidc;
pub mod passkeys;
pub mod tokens;

use data_keys::DataKeyConfig;
use keys::KeyConfig;
use limits::RateLimitConfig;
use mail::MailConfig;
use oidc::{OidcProviderConfig, OidcProviderRaw};
use passkeys::PasskeyConfig;
use tokens::TokenConfig;

/// The shortest signing secret accepted outside the `debug` profile (RFC 7518 §3.2 for HS256).
pub const MIN_SECRET_BYTES: usize = 32;
/// A year and a day: refresh tokens and sessions.
pub const MAX_SESSION_SECONDS: i64 = 366 * 24 * 60 * 60;
/// A century: beyond, `retention_days` in seconds would overflow nothing but mean nothing either.
pub const MAX_RETENTION_DAYS: i64 = 36_500;

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
    /// 32 random bytes (base64) that seal two-factor secrets and the recovery-code key at rest,
    /// independent of the signing keys. Never committed: set `ROCKET_DATA_KEY`.
    pub data_key: Option<String>,
    /// Earlier data keys: they still open what they sealed (re-sealed on use, or all at once by
    /// `rotate-data-key`), never seal.
    pub previous_data_keys: Vec<String>,
    /// The token and session lifetimes and the tokens' `iss` and `aud` (`config/tokens.rs`).
    #[serde(flatten)]
    pub tokens: TokenConfig,
    /// Origins (`https://app.example.com`) besides the app's own whose pages may sign in, up, out
    /// and refresh (an SPA on another origin). Everything else marked cross-site is refused.
    pub allowed_origins: Vec<String>,
    /// Refresh token in an HttpOnly cookie (true) or in the JSON body (false).
    pub refresh_token_as_cookie: bool,
    /// `Secure` flag on cookies; turn off only for local plain HTTP.
    pub cookie_secure: bool,
    /// How many argon2 hashes may run at once; 0 means one per core.
    pub password_hash_concurrency: usize,
    /// How many password hashes may wait for a turn; past it, `503` with `Retry-After`.
    pub password_hash_queue_limit: usize,
    /// Peers whose `X-Forwarded-For` is believed (IPs or CIDRs).
    pub trusted_proxies: Vec<String>,
    /// Whether `POST /api/auth/register` and `/register` accept new accounts.
    pub allow_registration: bool,
    /// Days after which security events, and sessions revoked or expired, are deleted; 0 keeps them.
    pub retention_days: i64,
    /// `debug` only: where a missing signing key is kept between runs (made on first use), so a
    /// restart of `cargo run` signs nobody out. Empty: a new key every run. Never used in release.
    pub dev_keys_file: String,
    /// Quotas like `"30/min"` (`s`, `min`, `h`, `day`), or `"off"`.
    pub rate_limit_login_per_ip: String,
    pub rate_limit_login_per_account: String,
    pub rate_limit_register_per_ip: String,
    pub rate_limit_refresh_per_ip: String,
    /// Requests that send a mail (forgotten password, a new verification link, an email change),
    /// per client IP and per address.
    pub rate_limit_mail_per_ip: String,
    pub rate_limit_mail_per_address: String,
    /// Wrong second-factor codes (and refused passkeys as a second step) per account, whatever
    /// ticket or page they come from; past it every second-factor attempt answers `429`.
    pub rate_limit_mfa_failures_per_account: String,
    /// Where people reach the app: every link in a mail starts with it.
    pub public_url: String,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465` (TLS), `smtp://host:25`
    /// (plain, local relays only). Unset: mails go to `mail_outbox_dir` as `.eml` files.
    pub smtp_url: Option<String>,
    pub mail_outbox_dir: String,
    /// Outside `debug`, the outbox (mails with live links, on disk) needs this to be true.
    pub allow_mail_outbox: bool,
    /// Mails waiting to be delivered at most; past it, requests that mail answer `503`.
    pub mail_queue_limit: usize,
    /// The `From:` of every mail, `Name <address>`.
    pub mail_from: String,
    /// Outside `debug`, `cookie_secure = false` or an `http://` `public_url` need this to be true.
    pub allow_plain_http: bool,
    /// The Pwned Passwords range API (`https://api.pwnedpasswords.com`) or a mirror: new
    /// passwords found in a breach are refused. Unset: no check.
    pub pwned_passwords_url: Option<String>,
    /// How many times a password must appear in breaches to be refused.
    pub pwned_passwords_min_count: u64,
    /// When the range API cannot answer: refuse the password (true) or let it through, logged.
    pub pwned_passwords_fail_closed: bool,
    /// Seconds a verification link (and a new-address confirmation) works.
    pub email_verify_ttl: i64,
    /// Seconds a password-reset link works.
    pub password_reset_ttl: i64,
    /// When true, `CurrentUser` (and every page but the account's own) refuses an unverified user.
    pub require_verified_email: bool,
    /// Mail the user when they sign in from a browser, OS and device kind never seen before.
    pub new_device_alerts: bool,
    /// Sign-in with OpenID Connect providers, a table by name (docs/oidc.md). Each one's
    /// `client_secret` from the environment only.
    pub oidc_providers: BTreeMap<String, OidcProviderRaw>,
    /// The WebAuthn relying-party id passkeys are bound to: the host of `public_url` (unset)
    /// or a parent domain of it. Changing it orphans every passkey made before.
    pub webauthn_rp_id: Option<String>,
    /// The site's name, shown by some authenticators when a passkey is made.
    pub webauthn_rp_name: String,
    /// Count and serve `GET /metrics` (docs/metrics.md); false: nothing counted, `404`.
    pub metrics: bool,
    /// When set, `GET /metrics` answers only `Authorization: Bearer <metrics_token>`; unset, only
    /// clients on loopback or in `trusted_proxies`. From the environment.
    pub metrics_token: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: None,
            jwt_previous_secrets: Vec::new(),
            jwt_algorithm: "HS256".into(),
            jwt_private_key: None,
            jwt_previous_public_keys: Vec::new(),
            data_key: None,
            previous_data_keys: Vec::new(),
            tokens: TokenConfig::default(),
            allowed_origins: Vec::new(),
            refresh_token_as_cookie: true,
            cookie_secure: true,
            password_hash_concurrency: 0,
            password_hash_queue_limit: 64,
            trusted_proxies: Vec::new(),
            allow_registration: true,
            retention_days: 90,
            dev_keys_file: String::new(),
            rate_limit_login_per_ip: "30/min".into(),
            rate_limit_login_per_account: "10/min".into(),
            rate_limit_register_per_ip: "20/h".into(),
            rate_limit_refresh_per_ip: "120/min".into(),
            rate_limit_mail_per_ip: "20/h".into(),
            rate_limit_mail_per_address: "5/h".into(),
            rate_limit_mfa_failures_per_account: "10/h".into(),
            public_url: "http://127.0.0.1:8000".into(),
            smtp_url: None,
            mail_outbox_dir: "outbox".into(),
            allow_mail_outbox: false,
            mail_queue_limit: 1000,
            mail_from: "Rocket Auth <no-reply@localhost>".into(),
            allow_plain_http: false,
            pwned_passwords_url: None,
            pwned_passwords_min_count: 1,
            pwned_passwords_fail_closed: false,
            email_verify_ttl: 48 * 60 * 60,
            password_reset_ttl: 30 * 60,
            require_verified_email: false,
            new_device_alerts: true,
            oidc_providers: BTreeMap::new(),
            webauthn_rp_id: None,
            webauthn_rp_name: "Rocket Auth".into(),
            metrics: true,
            metrics_token: None,
        }
    }
}

/// Where the refresh token travels between the app and its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTransport {
    /// An HttpOnly cookie (`refresh_token_as_cookie = true`, the default), with a CSRF token.
    Cookie,
    /// The JSON bodies of sign-in, refresh and sign-out: clients that are not browsers.
    Body,
}

/// The validated configuration the rest of the app uses (managed state). Each field has the name
/// of the configuration key it comes from, so one grep finds both ends.
#[derive(Debug, Clone)]
pub struct Settings {
    /// From `jwt_algorithm`, `jwt_secret`, `jwt_private_key` and the previous keys.
    pub keys: KeyConfig,
    /// From `data_key` and `previous_data_keys`.
    pub data_keys: DataKeyConfig,
    /// The token and session lifetimes and the tokens' `iss` and `aud`.
    pub tokens: TokenConfig,
    /// Lower-cased, without a trailing `/`.
    pub allowed_origins: Vec<String>,
    /// From `refresh_token_as_cookie`: the one place that says where refresh tokens travel.
    pub refresh_transport: RefreshTransport,
    pub cookie_secure: bool,
    /// Resolved: the configured 0 ("one per core") is the number of cores here.
    pub password_hash_concurrency: usize,
    pub password_hash_queue_limit: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub allow_registration: bool,
    /// `None` (configured 0) keeps everything.
    pub retention_days: Option<i64>,
    /// The `rate_limit_*` keys.
    pub rate_limits: RateLimitConfig,
    /// `public_url`, `smtp_url`, `mail_outbox_dir`, `mail_from`.
    pub mail: MailConfig,
    pub email_verify_ttl: i64,
    pub password_reset_ttl: i64,
    pub require_verified_email: bool,
    pub new_device_alerts: bool,
    /// `oidc_providers`, in name order.
    pub oidc_providers: Vec<OidcProviderConfig>,
    /// `webauthn_rp_id`, `webauthn_rp_name` (and `public_url`, `allowed_origins`).
    pub passkeys: PasskeyConfig,
    pub metrics: bool,
    pub metrics_token: Option<MetricsToken>,
    /// `pwned_passwords_url` (without a trailing `/`), `…_min_count`, `…_fail_closed`.
    pub pwned_passwords: Option<PwnedPasswords>,
}

/// The shortest `metrics_token` accepted: a scrape credential worth the name.
pub const MIN_METRICS_TOKEN_CHARS: usize = 16;

/// The secret a scraper presents for `GET /metrics`; never printed.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Compares digests, so the time taken tells nothing about how much of `presented` is right.
    pub fn matches(&self, presented: &str) -> bool {
        use sha2::{Digest, Sha256};
        Sha256::digest(presented.as_bytes()) == Sha256::digest(self.0.as_bytes())
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(…)")
    }
}

/// The breached-password check, when `pwned_passwords_url` is set.
#[derive(Debug, Clone)]
pub struct PwnedPasswords {
    pub url: String,
    pub min_count: u64,
    pub fail_closed: bool,
}

impl Settings {
    /// Validates the raw config. `debug` decides whether a missing secret may be generated.
    pub fn from_config(raw: AuthConfig, debug: bool) -> Result<Settings, String> {
        let keys = KeyConfig::from_config(&raw, debug)?;
        let data_keys = DataKeyConfig::from_config(&raw, debug)?;
        if !debug {
            refuse_plain_http_and_outbox(&raw)?;
        }
        let rate_limits = RateLimitConfig::from_config(&raw)?;
        let mail = MailConfig::from_config(&raw)?;
        let oidc_providers = oidc::from_config(&raw)?;
        raw.tokens.check()?;
        for (name, value, min, max) in [
            (
                "email_verify_ttl",
                raw.email_verify_ttl,
                60,
                30 * 24 * 60 * 60,
            ),
            (
                "password_reset_ttl",
                raw.password_reset_ttl,
                60,
                24 * 60 * 60,
            ),
        ] {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "{name} is {value}; it must be {min} to {max} seconds"
                ));
            }
        }
        let allowed_origins = raw
            .allowed_origins
            .iter()
            .map(|o| {
                let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
                let valid = ["https://", "http://"].iter().any(|s| o.starts_with(s))
                    && !o
                        .split_once("://")
                        .is_some_and(|(_, rest)| rest.is_empty() || rest.contains('/'));
                if valid {
                    Ok(o)
                } else {
                    Err(format!(
                        "allowed_origins: {o:?} is not an origin like \"https://app.example.com\""
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .map(|p| {
                parse_net(p).ok_or_else(|| format!("trusted_proxies: {p:?} is not an IP or CIDR"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let passkeys = PasskeyConfig::from_config(&raw, &mail.public_url, &allowed_origins)?;
        let password_hash_concurrency = match raw.password_hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let retention_days = match raw.retention_days {
            0 => None,
            days if days > 0 && days <= MAX_RETENTION_DAYS => Some(days),
            days if days > 0 => {
                return Err(format!(
                    "retention_days is {days}; at most {MAX_RETENTION_DAYS} (0 keeps everything)"
                ))
            }
            _ => return Err("retention_days must not be negative".into()),
        };
        let metrics_token = match raw.metrics_token.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(token) if token.chars().count() < MIN_METRICS_TOKEN_CHARS => {
                return Err(format!(
                    "metrics_token is too short: at least {MIN_METRICS_TOKEN_CHARS} characters \
                     (`openssl rand -hex 16`)"
                ))
            }
            Some(token) => Some(MetricsToken(token.to_owned())),
        };
        let pwned_passwords = match raw.pwned_passwords_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => {
                let usable = openidconnect::url::Url::parse(url)
                    .is_ok_and(|parsed| oidc::scheme_allowed(&parsed));
                if !usable {
                    return Err(format!(
                        "pwned_passwords_url {url:?} is not an https:// URL like \
                         \"https://api.pwnedpasswords.com\" (plain http on loopback only)"
                    ));
                }
                Some(PwnedPasswords {
                    url: url.trim_end_matches('/').to_owned(),
                    min_count: raw.pwned_passwords_min_count.max(1),
                    fail_closed: raw.pwned_passwords_fail_closed,
                })
            }
            _ => None,
        };
        if raw.password_hash_queue_limit == 0 || raw.mail_queue_limit == 0 {
            return Err("password_hash_queue_limit and mail_queue_limit must be at least 1".into());
        }
        Ok(Settings {
            keys,
            data_keys,
            tokens: raw.tokens,
            allowed_origins,
            refresh_transport: match raw.refresh_token_as_cookie {
                true => RefreshTransport::Cookie,
                false => RefreshTransport::Body,
            },
            cookie_secure: raw.cookie_secure,
            password_hash_concurrency,
            password_hash_queue_limit: raw.password_hash_queue_limit,
            trusted_proxies,
            allow_registration: raw.allow_registration,
            retention_days,
            rate_limits,
            mail,
            email_verify_ttl: raw.email_verify_ttl,
            password_reset_ttl: raw.password_reset_ttl,
            require_verified_email: raw.require_verified_email,
            new_device_alerts: raw.new_device_alerts,
            oidc_providers,
            passkeys,
            metrics: raw.metrics,
            metrics_token,
            pwned_passwords,
        })
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// Outside `debug`: plain HTTP (cookies without `Secure`, an `http://` public URL) needs
/// `allow_plain_http`, and the outbox (mails with live links, on disk) `allow_mail_outbox`.
fn refuse_plain_http_and_outbox(raw: &AuthConfig) -> Result<(), String> {
    if !raw.allow_plain_http {
        if !raw.cookie_secure {
            return Err(
                "cookie_secure is false outside debug: serve over HTTPS and keep it \
                        true, or set ROCKET_ALLOW_PLAIN_HTTP=true to accept it"
                    .into(),
            );
        }
        if raw
            .public_url
            .trim()
            .to_ascii_lowercase()
            .starts_with("http://")
        {
            return Err(format!(
                "public_url {:?} is plain http outside debug: links in mails would travel \
                 unencrypted; use https://, or set ROCKET_ALLOW_PLAIN_HTTP=true to accept it",
                raw.public_url
            ));
        }
    }
    let no_smtp = raw.smtp_url.as_deref().is_none_or(|u| u.trim().is_empty());
    if no_smtp && !raw.allow_mail_outbox {
        return Err(
            "smtp_url is not set outside debug, so mails with live links would be \
                    written to disk (mail_outbox_dir): set ROCKET_SMTP_URL, or \
                    ROCKET_ALLOW_MAIL_OUTBOX=true to accept the outbox"
                .into(),
        );
    }
    Ok(())
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Reads and validates the config at ignition, then attaches what needs it (`then`), so a bad
/// config stops the launch with its own message and no follow-on errors. The command line checks
/// the same config before it builds the app (`cli`), so people see one line and exit status 1.
pub fn stage(then: AdHoc) -> AdHoc {
    AdHoc::try_on_ignite("Auth configuration", |rocket| async move {
        match load(rocket.figment()) {
            Ok(settings) => {
                if !settings.cookie_secure && rocket.figment().profile() != "debug" {
                    rocket::warn!(
                        "cookie_secure is false outside debug: session cookies go over plain \
                         HTTP and lose their __Host- prefix; serve over HTTPS and keep it true"
                    );
                }
                Ok(rocket.manage(settings).attach(then))
            }
            Err(message) => {
                rocket::error!("invalid configuration: {message}");
                Err(rocket)
            }
        }
    })
}

/// The settings from a figment (Rocket.toml, `ROCKET_…`): `Err` is one line saying what to fix.
pub fn load(figment: &Figment) -> Result<Settings, String> {
    let mut raw: AuthConfig = figment.extract().map_err(|e| e.to_string())?;
    let debug = figment.profile() == "debug";
    oidc::secrets_from_environment_only(figment, &raw)?;
    if debug {
        keys::use_dev_keys_file(&mut raw);
    }
    Settings::from_config(raw, debug)
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
            data_key: Some(data_keys::new_key_text()),
            public_url: "https://app.example.com".into(),
            smtp_url: Some("smtp://127.0.0.1:25".into()),
            ..Default::default()
        };
        assert!(Settings::from_config(good, false).is_ok());
    }

    #[test]
    fn release_refuses_plain_http_and_the_outbox_unless_allowed() {
        let release = AuthConfig {
            jwt_secret: Some("x".repeat(32)),
            data_key: Some(data_keys::new_key_text()),
            public_url: "https://app.example.com".into(),
            smtp_url: Some("smtp://127.0.0.1:25".into()),
            ..Default::default()
        };
        let refused = |raw: AuthConfig| Settings::from_config(raw, false).unwrap_err();
        let why = refused(AuthConfig {
            cookie_secure: false,
            ..release.clone()
        });
        assert!(why.starts_with("cookie_secure is false"), "{why}");
        let why = refused(AuthConfig {
            public_url: "http://app.example.com".into(),
            ..release.clone()
        });
        assert!(why.starts_with("public_url"), "{why}");
        let why = refused(AuthConfig {
            smtp_url: None,
            ..release.clone()
        });
        assert!(why.contains("ALLOW_MAIL_OUTBOX"), "{why}");
        let allowed = AuthConfig {
            cookie_secure: false,
            public_url: "http://app.example.com".into(),
            smtp_url: None,
            allow_plain_http: true,
            allow_mail_outbox: true,
            ..release
        };
        assert!(Settings::from_config(allowed.clone(), false).is_ok());
        assert!(
            Settings::from_config(
                AuthConfig {
                    allow_plain_http: false,
                    allow_mail_outbox: false,
                    ..allowed
                },
                true
            )
            .is_ok(),
            "debug asks for neither"
        );
    }

    #[test]
    fn retention_is_days_or_off() {
        let days = |d| AuthConfig {
            retention_days: d,
            ..Default::default()
        };
        assert_eq!(
            Settings::from_config(days(90), true)
                .unwrap()
                .retention_days,
            Some(90)
        );
        assert_eq!(
            Settings::from_config(days(0), true).unwrap().retention_days,
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
    fn debug_keeps_its_generated_keys_in_the_dev_keys_file_and_release_ignores_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".dev-keys");
        let figment = |profile: &str, algorithm: &str| {
            Figment::new()
                .merge(("dev_keys_file", file.display().to_string()))
                .merge(("jwt_algorithm", algorithm))
                .select(profile)
        };
        for algorithm in ["HS256", "EdDSA"] {
            let first = load(&figment("debug", algorithm)).unwrap();
            let again = load(&figment("debug", algorithm)).unwrap();
            assert_eq!(first.keys.current.kid(), again.keys.current.kid());
            assert_eq!(first.data_keys.current, again.data_keys.current);
            assert!(load(&figment("release", algorithm)).is_err());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        std::fs::write(&file, "garbage").unwrap();
        let fallback = load(&figment("debug", "HS256")).unwrap();
        let other = load(&figment("debug", "HS256")).unwrap();
        assert_ne!(fallback.keys.current.kid(), other.keys.current.kid());
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
