//! Passkeys (WebAuthn, webauthn-rs): the registered credentials and each account's user handle
//! (`credentials.rs`), the ceremonies under way, kept in the database so any instance can finish
//! one (`ceremonies.rs`), and the steps over them on the `Auth` handle (`steps.rs`): add, list,
//! rename, remove, sign in with a passkey alone, and the second step of a password sign-in.
//! The relying party itself is configuration (`config/passkeys.rs`).

pub mod ceremonies;
pub mod credentials;
pub mod steps;
