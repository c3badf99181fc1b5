//! The token and session core: users and their passwords, signing keys and tokens, the session
//! whitelist, rate limits and the security-event log. No request types in here: `web/` reads
//! requests, the rooms above (`account/`, `mfa/`) put these pieces together into steps.

pub mod app_claims;
pub mod common_passwords;
pub mod data_keys;
pub mod device;
pub mod keys;
pub mod limits;
pub mod password;
pub mod rotation;
pub mod security_events;
pub mod sessions;
pub mod tokens;
pub mod user_input;
pub mod users;

use rocket::fairing::AdHoc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::metrics::Metrics;

/// Builds the app's clock, the token codec, the rate limiters and the bounded password hasher from the validated
/// settings. `lib.rs` attaches it once the settings are valid, and only then.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Auth core", |rocket| async move {
        let Some(settings) = rocket.state::<Settings>() else {
            return Err(rocket);
        };
        let clock = Clock::default();
        let tokens = tokens::Tokens::new(settings, clock.clone());
        // Made by `metrics::stage`, attached first; off if it were missing.
        let metrics = rocket.state::<Metrics>().cloned().unwrap_or_default();
        let limits = limits::RateLimits::new(&settings.rate_limits).counted_in(metrics.clone());
        let (concurrency, queue) = (
            settings.password_hash_concurrency,
            settings.password_hash_queue_limit,
        );
        match password::Passwords::new(concurrency, queue).await {
            Ok(passwords) => Ok(rocket
                .manage(passwords.counted_in(metrics))
                .manage(clock)
                .manage(tokens)
                .manage(limits)
                .attach(AdHoc::on_shutdown("Password hashing report", |rocket| {
                    Box::pin(async move {
                        if let Some(passwords) = rocket.state::<password::Passwords>() {
                            rocket::info!("{}", passwords.report());
                        }
                    })
                }))),
            Err(e) => {
                rocket::error!("auth core: cannot prepare password hashing: {e}");
                Err(rocket)
            }
        }
    })
}
