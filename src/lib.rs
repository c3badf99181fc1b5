//! rocket-auth-template: a Rocket 0.5 app with JWT sessions per device.
//!
//! `rocket()` assembles the app from its stages; tests and the CLI build the very same app.

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod housekeeping;
pub mod mail;
pub mod mfa;
pub mod oidc;
pub mod pages;
pub mod passkeys;
pub mod web;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::fs::{relative, FileServer};
use rocket::{Build, Rocket};
use rocket_dyn_templates::Template;

/// The app as configured by `Rocket.toml` and `ROCKET_…` variables.
pub fn rocket() -> Rocket<Build> {
    build(rocket::Config::figment())
}

/// The app with an explicit configuration (tests give each app its own database and keys).
pub fn build(figment: Figment) -> Rocket<Build> {
    // Templates are found from any working directory unless `template_dir` says otherwise.
    let figment = figment.join(("template_dir", relative!("templates")));
    rocket::custom(figment)
        .attach(config::stage(stages()))
        .attach(db::stage())
        .attach(web::security_headers::stage())
        .attach(Template::fairing())
        .mount("/", pages::routes())
        .mount("/", health::routes())
        .mount("/api", api::routes())
        .mount("/.well-known", api::well_known_routes())
        .mount("/static", FileServer::from(relative!("static")))
        .register("/", pages::catchers())
        .register("/api", api::catchers())
}

/// What needs valid settings, in order: the core, then the rooms and the edge built on it.
fn stages() -> AdHoc {
    AdHoc::on_ignite("Stages", |rocket| async move {
        rocket
            .attach(auth::stage())
            .attach(account::stage())
            .attach(mail::stage())
            .attach(mfa::stage())
            .attach(oidc::stage())
            .attach(web::stage())
            .attach(housekeeping::stage())
    })
}
