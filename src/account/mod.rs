//! The account's steps: sign-up, sign-in, refresh and sign-out (`auth.rs`, on the `Auth` handle),
//! what is done by mail (`by_mail.rs`), the one-time tokens those mails carry, and what an
//! operator does from the command line (`admin.rs`).

pub mod admin;
pub mod auth;
pub mod by_mail;
pub mod export;
pub mod one_time;

pub use auth::Auth;
