//! dojang-bench: measures dojang doing its job.
//!
//! * [`flows`] drives complete identity flows — relying-party request, push to the device over
//!   its WebSocket, a real CMS signature and approval, status, verify — at a fixed concurrency,
//!   bounded in count and time, and checks that every flow really ended verified.
//! * [`cloud`] issues cloud certificates (SMS proof, PIN, a P-256 browser key) and answers
//!   requests as dojang's cloud page does; [`flows`] drives the same flows answered that way,
//!   the HSM's signature included (`dojang-bench cloud`).
//! * [`fleet`] enrols the simulated devices for real (keys made here, CSRs, certificates from
//!   the server's CA, one WebSocket each); one-time codes arrive through the server's real HTTP
//!   SMS gateway at [`sms::SmsReceiver`].
//! * [`target`] starts `dojang serve` on a temporary database (or targets a running server).
//! * [`procstat`] reads the server's CPU time and memory from `/proc`.
//! * [`connections`] holds many idle device WebSockets and reports what each costs the server
//!   and how fast a push reaches one of them meanwhile.
//! * [`compare`] runs the peer benchmark (`../shared/peers/oidc-ciba`) and dojang's flows
//!   alternately in one run and tabulates both.
//!
//! Numbers go to `docs/performance.md`. Nothing here asserts a speed; the crate's tests only
//! smoke-run a few flows so the generator cannot rot.

pub mod cloud;
pub mod compare;
pub mod connections;
pub mod fleet;
pub mod flows;
pub mod procstat;
pub mod sms;
pub mod stats;
pub mod target;

use std::fmt;

/// A benchmark could not run (set-up failed, the server misbehaved).
#[derive(Debug)]
pub struct BenchError(pub String);

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

impl From<std::io::Error> for BenchError {
    fn from(e: std::io::Error) -> Self {
        BenchError(e.to_string())
    }
}

impl From<dojang_app::AppError> for BenchError {
    fn from(e: dojang_app::AppError) -> Self {
        BenchError(e.to_string())
    }
}

impl From<dojang_client::Error> for BenchError {
    fn from(e: dojang_client::Error) -> Self {
        BenchError(e.to_string())
    }
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, BenchError>;

/// Shorthand for a [`BenchError`].
pub fn fail<T>(msg: impl Into<String>) -> Result<T> {
    Err(BenchError(msg.into()))
}
