//! rocket-auth-template: a Rocket 0.5 app with JWT sessions per device.
//!
//! `rocket()` assembles the app from its stages; tests and the CLI build the very same app.

pub mod api;
pub mod app_claims;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;

use rocket::figment::Figment;
use rocket::{Build, Rocket};

/// The app as configured by `Rocket.toml` and `ROCKET_…` variables.
pub fn rocket() -> Rocket<Build> {
    build(rocket::Config::figment())
}

/// The app with an explicit configuration (tests give each app its own database and keys).
pub fn build(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .attach(config::stage())
        .attach(db::stage())
        .attach(auth::stage())
        .mount("/api", api::routes())
        .mount(
            "/static",
            rocket::fs::FileServer::from(rocket::fs::relative!("static")),
        )
        .register("/", api::catchers())
}
