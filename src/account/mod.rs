//! The account's steps: sign-up, sign-in, refresh and sign-out (`auth.rs`, on the `Auth` handle),
//! what is done by mail (`by_mail.rs`), the one-time tokens those mails carry, and what an
//! operator does from the command line (`admin.rs`).

pub mod admin;
pub mod auth;
pub mod breached;
pub mod by_mail;
pub mod export;
pub mod one_time;

pub use auth::Auth;

use rocket::fairing::AdHoc;

use crate::config::Settings;

/// The breached-password check (`breached.rs`), built once from the validated settings.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Account", |rocket| async move {
        let Some(settings) = rocket.state::<Settings>() else {
            return Err(rocket);
        };
        let breached = breached::BreachedPasswords::new(settings.pwned_passwords.clone());
        Ok(rocket.manage(breached))
    })
}
