//! Two-factor sign-in (docs/API.md, "Two-factor sign-in"): enrolment, the second step of sign-in
//! and its ticket, codes accepted once, recovery codes, re-authentication for sensitive steps,
//! and the pages.

mod data_key;
mod enrolment;
mod failure_limit;
mod pages;
mod reauth;
mod tickets;
