//! Two-factor sign-in: TOTP secrets and codes, recovery codes and sign-in tickets (`totp.rs`),
//! and the steps over them (`steps.rs`): set up, confirm, turn off, the second step of a
//! sign-in, and re-authentication for sensitive steps.

pub mod recovery;
pub mod steps;
pub mod tickets;
pub mod totp;

use rocket::fairing::AdHoc;

use crate::auth::tokens::Tokens;

/// The keys that seal TOTP secrets and hash recovery codes, derived once; after `auth::stage`.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Two-factor", |rocket| async move {
        let Some(tokens) = rocket.state::<Tokens>() else {
            return Err(rocket);
        };
        let keys = totp::MfaKeys::new(&tokens.keys);
        Ok(rocket.manage(keys))
    })
}
