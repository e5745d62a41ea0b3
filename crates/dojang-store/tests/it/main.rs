#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail the test
//! The store's conformance suite: every test runs against SQLite, and against PostgreSQL when
//! `DOJANG_TEST_PG_URL` names a server (each test gets a fresh database there).

mod support;

mod admin;
mod cloud;
mod enrolments;
mod issuance;
mod login_page;
mod operators;
mod parties_and_outbox;
mod push;
mod requests;
mod revocation;
mod webhooks;
