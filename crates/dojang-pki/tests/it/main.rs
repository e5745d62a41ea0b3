//! Integration tests for dojang-pki, one binary (`cargo test -p dojang-pki`).
//!
//! The `openssl` module checks our output with the `openssl` CLI (an independent
//! implementation) and feeds OpenSSL-made inputs to our checks; the others use only the
//! crate's public API plus hand-built DER for the cases OpenSSL cannot produce.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the shared helpers
// they call; a failing helper should fail the test just the same.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cms_verify;
mod common;
mod csr;
mod issuance;
mod openssl;
mod revocation;
