//! Two-factor sign-in: TOTP secrets and codes, recovery codes and sign-in tickets (`totp.rs`),
//! and the steps over them (`steps.rs`): set up, confirm, turn off, the second step of a
//! sign-in, and re-authentication for sensitive steps.

pub mod keys;
pub mod recovery;
pub mod steps;
pub mod tickets;
pub mod totp;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

use crate::auth::data_keys::DataKeys;
use crate::auth::tokens::Tokens;
use crate::config::Settings;
use crate::db::Db;

/// Two-factor's keys: the data keys, the recovery-code key, and the move of secrets from keys
/// derived from the signing key (`keys::load`); after `auth::stage` and the migrations.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Two-factor", |rocket| async move {
        let (Some(tokens), Some(settings), Some(db)) = (
            rocket.state::<Tokens>(),
            rocket.state::<Settings>(),
            Db::fetch(&rocket),
        ) else {
            return Err(rocket);
        };
        let data = DataKeys::new(&settings.data_keys);
        match keys::load(db, data, &tokens.keys).await {
            Ok(keys) => Ok(rocket.manage(keys)),
            Err(why) => {
                rocket::error!("data key: {why}");
                Err(rocket)
            }
        }
    })
}
