//! The token core: users, passwords, keys and tokens, the session whitelist, one-time tokens,
//! rate limits, the security-event log, guards and cookies, and the account steps over them.

pub mod account;
pub mod admin;
pub mod common_passwords;
pub mod cookies;
pub mod csrf;
pub mod device;
pub mod guards;
pub mod housekeeping;
pub mod keys;
pub mod lifecycle;
pub mod limits;
pub mod mfa;
pub mod one_time;
pub mod origin;
pub mod password;
pub mod second_factor;
pub mod security_events;
pub mod sessions;
pub mod tokens;
pub mod users;

use rocket::fairing::AdHoc;

use crate::config::Settings;

/// Builds the token codec, the rate limiters and the bounded password hasher from the validated
/// settings, and attaches the mailer the account steps send through. `config::stage` attaches
/// it once the settings are valid, and only then.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Auth core", |rocket| async move {
        let Some(settings) = rocket.state::<Settings>() else {
            return Err(rocket);
        };
        let tokens = tokens::Tokens::new(settings);
        let csrf_keys = csrf::CsrfKeys::new(tokens.keys.derive("csrf"));
        let limits = limits::RateLimits::new(&settings.rate_limits);
        match password::Passwords::new(settings.password_hash_concurrency).await {
            Ok(passwords) => Ok(rocket
                .manage(tokens)
                .manage(csrf_keys)
                .manage(limits)
                .manage(passwords)
                .attach(crate::mail::stage())
                .attach(cookies::CookieFairing)
                .attach(housekeeping::stage())
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
