//! One integration-test binary (linking dominates CI on two cores); each module is one area of
//! the contract in docs/API.md.

mod common;

mod accounts;
mod cli;
mod database;
mod health;
mod input;
mod mail;
mod mfa;
mod openapi;
mod outage;
mod pages;
mod properties;
mod readme;
mod refresh;
mod security;
mod sessions;
mod tokens;
mod transport;
