//! The server's integration suite on PostgreSQL: the same test bodies as
//! `crates/dojang-server/tests/it/` (compiled from those files), each server on a fresh database
//! of the cluster `DOJANG_TEST_PG_URL` names. `dojang-testkit` picks the backend from this
//! binary's name (`it_pg`). Tests that are about SQLite itself are marked
//! `#[cfg_attr(backend_postgres, ignore = "…")]` in their files, which say why; docs/testing.md
//! lists them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail the test
#![cfg_attr(pg_url_unset, allow(dead_code))]

/// Without `DOJANG_TEST_PG_URL` at build time the leg is not compiled: this ignored test says so
/// in the test output (`build.rs` stops the build instead under `CI=true`).
#[cfg(pg_url_unset)]
#[test]
#[ignore = "DOJANG_TEST_PG_URL not set: the server's integration suite did not run on PostgreSQL \
            (DOJANG_TEST_PG_URL=\"$(.ci/start-postgres.sh)\" cargo test --workspace runs it)"]
fn postgresql_leg_skipped() {
    assert!(dojang_testkit::pg_url().is_none());
}

#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/admin.rs"]
mod admin;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/app_process.rs"]
mod app_process;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/auth.rs"]
mod auth;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/backend.rs"]
mod backend;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/backup.rs"]
mod backup;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/barocert.rs"]
mod barocert;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/biometric.rs"]
mod biometric;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/cli.rs"]
mod cli;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/cloud.rs"]
mod cloud;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/common.rs"]
mod common;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/console.rs"]
mod console;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/device.rs"]
mod device;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/e2e.rs"]
mod e2e;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/e2e_issuance.rs"]
mod e2e_issuance;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/hardening.rs"]
mod hardening;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/hsm.rs"]
mod hsm;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/identity.rs"]
mod identity;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/input.rs"]
mod input;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/issuance.rs"]
mod issuance;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/kakaocert.rs"]
mod kakaocert;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/kinds.rs"]
mod kinds;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/lifecycle.rs"]
mod lifecycle;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/linkhub.rs"]
mod linkhub;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/login.rs"]
mod login;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/login_cloud.rs"]
mod login_cloud;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/login_page.rs"]
mod login_page;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/openapi.rs"]
mod openapi;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/operators.rs"]
mod operators;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/ops.rs"]
mod ops;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/page_headers.rs"]
mod page_headers;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/pin.rs"]
mod pin;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/push.rs"]
mod push;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/revocation.rs"]
mod revocation;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/tls.rs"]
mod tls;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/web_app.rs"]
mod web_app;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/web_push.rs"]
mod web_push;
#[cfg(not(pg_url_unset))]
#[path = "../../../dojang-server/tests/it/webhooks.rs"]
mod webhooks;

/// Every module of the SQLite suite is compiled here too: a module added to
/// `crates/dojang-server/tests/it/main.rs` and not to this file would silently skip PostgreSQL.
#[test]
fn every_module_of_the_suite_runs_here_too() {
    let mods = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("mod "))
            .map(|m| m.trim_end_matches(';').trim().to_owned())
            .collect()
    };
    let sqlite = mods(include_str!("../../../dojang-server/tests/it/main.rs"));
    let here = mods(include_str!("main.rs"));
    let missing: Vec<_> = sqlite.difference(&here).collect();
    assert!(
        missing.is_empty(),
        "not compiled for PostgreSQL: {missing:?}"
    );
}
