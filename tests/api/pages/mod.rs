//! The pages (docs/API.md, "Pages"): every page, redirect and refusal, through a cookie-keeping
//! `Browser` (common/browser.rs) that sends what a real browser would (cookies, form bodies, its
//! user agent).

mod csrf;
mod devices;
mod markup;
mod rate_limits;
mod security_events;
mod session_cookies;
mod sign_in;
mod sign_up;
