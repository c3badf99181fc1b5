//! The security suite: each test attacks one protection of the hardening (reuse logging, rate
//! limits, key rotation and pinning, password change, headers, the event log, races, hostile
//! input). Attacks already covered elsewhere (expired, tampered, typ swap, CSRF...) are not
//! repeated here.

mod breached;
mod cookie_hygiene;
mod cross_site;
mod forged_tokens;
mod headers;
mod hostile_input;
mod key_rotation;
mod lower_findings;
mod password_change;
mod pending;
mod races;
mod rate_limits;
mod refresh_theft;
mod security_events;
mod session_lifetime;
