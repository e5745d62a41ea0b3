//! The bodies of dojang's fuzz targets: one function per parser that reads outside bytes.
//!
//! The cargo-fuzz binaries in `fuzz/` (an instrumented build, run by `fuzz/run.sh`) and the
//! corpus replay test of this crate (`tests/corpus.rs`, part of `cargo test --workspace`) call
//! the same functions, so every input kept in `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` is replayed on stable by the ordinary test command.
//!
//! Each body calls the same functions the server calls on that input and then asserts what must
//! hold of what was accepted (a round trip, no control characters in an accepted name, the CA
//! signing what the CSR check let through, ...). A panic is the finding: this crate is a test
//! harness, so the workspace's ban on `panic!`/`unwrap`/`expect` is lifted here alone.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

pub mod fixture;
pub mod forms;
pub mod json;
pub mod linkhub;
pub mod pki;
pub mod validators;

/// A target's body: one input, a panic if it broke something.
pub type Body = fn(&[u8]);

/// Every target: its name (the directory under `fuzz/corpus/` and the cargo-fuzz binary) and
/// its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("rp_json", json::rp_json),
    ("barocert_json", json::barocert_json),
    ("kakaocert_json", json::kakaocert_json),
    ("device_json", json::device_json),
    ("csr", pki::csr),
    ("cms", pki::cms),
    ("ocsp", pki::ocsp),
    ("linkhub_headers", linkhub::headers),
    ("field_crypto", linkhub::field_crypto),
    ("forms", forms::forms),
    ("validators", validators::validators),
];

/// The body of target `name`.
pub fn target(name: &str) -> Option<Body> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// `data` as text, if it is UTF-8 (most of dojang's parsers take `&str`; the HTTP layer refuses
/// anything else before them).
pub(crate) fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}
