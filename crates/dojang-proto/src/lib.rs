//! Wire types of dojang, shared by the server, the Rust SDK and the authenticator app.
//!
//! This crate owns everything that crosses the network: the JSON shapes of the native
//! relying-party API (`rp`) and of the device API (`device`), the URL paths (`paths`), the
//! error-code catalogue (`error`), the request-signing scheme of the native API (`auth`) and
//! the date formats written on the wire (`datetime`) and the webhook body and signature
//! (`webhook`). Field names stay exactly as the protocol
//! spells them (`receiptID`, `receiverHP`) through serde renames here and nowhere else.
//!
//! It must never do IO, read the clock or hold state: it is pure data and pure functions, so
//! the server and the SDK cannot drift apart.

pub mod auth;
pub mod barocert;
pub mod cloud;
pub mod datetime;
pub mod device;
pub mod error;
pub mod kakaocert;
pub mod linkhub;
pub mod paths;
pub mod rp;
pub mod text;
pub mod webhook;

pub use error::{ErrorBody, ErrorCode};
