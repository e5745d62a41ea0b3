//! Integration tests of the server: the real server over real HTTP and WebSockets, in this
//! process (`dojang-testkit`, with a manual clock) and as separate processes (`e2e`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail the test

mod common;

mod admin;
mod app_process;
mod auth;
mod backend;
mod backup;
mod barocert;
mod biometric;
mod cli;
mod cloud;
mod console;
mod device;
mod e2e;
mod e2e_issuance;
mod hardening;
mod hsm;
mod identity;
mod input;
mod issuance;
mod kakaocert;
mod kinds;
mod lifecycle;
mod linkhub;
mod login;
mod login_cloud;
mod login_page;
mod openapi;
mod operators;
mod ops;
mod page_headers;
mod pin;
mod push;
mod revocation;
mod tls;
mod web_app;
mod web_push;
mod webhooks;
