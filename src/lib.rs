//! rocket-auth-template: a Rocket 0.5 app with JWT sessions per device.
//!
//! `rocket()` assembles the app from its stages; tests and the CLI build the very same app.

pub mod account;
pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod housekeeping;
pub mod mail;
pub mod metrics;
pub mod mfa;
pub mod monitoring;
pub mod oidc;
pub mod pages;
pub mod passkeys;
pub mod web;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

/// The app as configured by `Rocket.toml` and `ROCKET_…` variables.
pub fn rocket() -> Rocket<Build> {
    build(rocket::Config::figment())
}

/// The app with an explicit configuration (tests give each app its own database and keys).
pub fn build(figment: Figment) -> Rocket<Build> {
    // Templates and static files: embedded, or the operator's folders (`assets`).
    let templates = assets::Source::configured(&figment, "template_dir");
    let static_files = assets::Source::configured(&figment, "static_dir");
    let scan = web::layout::template_scan_path(&templates);
    let figment = figment.merge(("template_dir", scan));
    rocket::custom(figment)
        .manage(assets::TemplateSource(templates.clone()))
        .attach(config::stage(stages()))
        .attach(db::stage())
        .attach(web::security_headers::stage())
        .attach(web::layout::templates(templates))
        .mount("/", pages::routes())
        .mount("/", health::routes())
        .mount("/", monitoring::routes())
        .mount("/api", api::routes())
        .mount("/.well-known", api::well_known_routes())
        .mount("/static", web::static_files::routes(static_files))
        .register("/", pages::catchers())
        .register("/api", api::catchers())
}

/// What needs valid settings, in order: the core, then the rooms and the edge built on it.
fn stages() -> AdHoc {
    AdHoc::on_ignite("Stages", |rocket| async move {
        rocket
            .attach(metrics::stage())
            .attach(auth::stage())
            .attach(account::stage())
            .attach(mail::stage())
            .attach(mfa::stage())
            .attach(oidc::stage())
            .attach(web::stage())
            .attach(housekeeping::stage())
            .attach(monitoring::stage())
    })
}
