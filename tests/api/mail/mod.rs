//! Mail and one-time tokens (docs/API.md, "Mail and one-time tokens"): delivery through a real
//! SMTP server and the outbox, verifying the address, a forgotten password, the account page,
//! new-device alerts, and the tokens' own properties.

mod account_page;
mod new_device;
mod password_reset;
mod smtp;
mod tokens;
mod verify_email;
