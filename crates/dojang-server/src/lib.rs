//! The dojang server: the HTTP APIs (native relying-party API, device API, PKI downloads), the
//! WebSocket push, the SMS and bank gateways, the data directory, and the `dojang` command line.
//!
//! Map:
//! * [`config`] — the one configuration struct;
//! * [`instance`] — the data directory: CA, data key, store;
//! * [`server`] — [`Server::bind`], used by `main` and by tests alike;
//! * [`http`] — routers per feature, extractors, and the one error → HTTP mapping
//!   (`http/error.rs`);
//! * [`service`] — what each call does, between core rules, PKI, store, push, SMS and bank;
//! * [`cache`] — short-lived caches of rarely changing records;
//! * [`push`] — live device connections;
//! * [`sms`] — the SMS gateway trait and its implementations;
//! * [`bank`] — the bank gateway (1-won deposits) trait and its implementations;
//! * [`webhook`] — queueing, signing and delivering webhooks (SSRF guard, retries), and the
//!   expiry sweep;
//! * [`metrics`] — Prometheus metrics: names, recorder, the `/metrics` listener;
//! * [`cli`] — `dojang serve | admin | rp`.
//!
//! Only this crate knows axum. It never writes SQL (that is `dojang-store`) and never decides a
//! domain rule on its own (that is `dojang-core`).

pub mod bank;
pub mod cache;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod instance;
pub mod metrics;
pub mod pages;
pub mod proxy;
pub mod push;
pub mod server;
pub mod service;
pub mod sms;
pub mod state;
#[cfg(test)]
mod testing;
pub mod tls;
pub mod webhook;

pub use config::Config;
pub use server::{RunningServer, Server, ServerError, ServerOptions};
