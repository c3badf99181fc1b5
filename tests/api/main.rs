//! One integration-test binary (linking dominates CI on two cores); each module is one area of
//! the contract in docs/API.md.

mod common;

mod account_api;
mod accounts;
mod admin;
mod assets;
mod cli;
mod database;
mod health;
mod input;
mod mail;
mod metrics;
mod mfa;
mod oidc;
mod openapi;
mod outage;
mod page_list;
mod pages;
mod passkeys;
mod properties;
mod readme;
mod refresh;
mod security;
mod sessions;
mod tokens;
mod transport;
