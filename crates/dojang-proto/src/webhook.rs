//! Webhooks: the body dojang POSTs to a relying party's callback URL on every state change of
//! its requests, and the signature that proves the body came from dojang.
//!
//! ```text
//! POST <the registered URL>
//! Content-Type: application/json
//! Dojang-Event: signed
//! Dojang-Delivery: 17
//! Dojang-Signature: t=1764597900,v1=5f0c…(64 hex digits)
//!
//! {"event":"signed","receiptID":"…","kind":"identity","clientCode":"…","state":1,
//!  "occurredDT":"20261201224500"}
//! ```
//!
//! `v1` is the lower-case hex HMAC-SHA256, keyed with the UTF-8 bytes of the webhook secret
//! exactly as `dojang admin rp webhook set` printed it (`whsec_…`), over
//! `<t>` `.` `<the raw body bytes>`, where `t` is the Unix time of the attempt. A receiver
//! checks the signature over the bytes it received (before parsing), refuses a `t` more than
//! five minutes from its clock (a replayed old delivery), and treats `Dojang-Delivery` as the
//! idempotency key: a delivery may arrive more than once (a retry after a timeout that the
//! receiver had in fact processed), never in a changed form.
//!
//! The body holds no personal data: fetch the status or verify the request for that.

use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::rp::Kind;

/// The signature header (lower case, as HTTP libraries normalise it).
pub const SIGNATURE_HEADER: &str = "dojang-signature";
/// The event name header.
pub const EVENT_HEADER: &str = "dojang-event";
/// The delivery sequence number header: the same on every retry of one delivery.
pub const DELIVERY_HEADER: &str = "dojang-delivery";
/// How far a signature's time may be from the receiver's clock, seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// One event about one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEvent {
    /// `signed`, `declined`, `cancelled`, `failed`, `expired` or `verified`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(signed|declined|cancelled|failed|expired|verified)$")
    )]
    pub event: String,
    /// The request.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// Its kind.
    pub kind: Kind,
    /// The relying party.
    #[serde(rename = "clientCode")]
    pub client_code: String,
    /// The request's state after the event (1 signed, 2 expired, 3 declined or cancelled,
    /// 4 failed).
    pub state: i32,
    /// When it happened, `yyyyMMddHHmmss` in Asia/Seoul.
    #[serde(rename = "occurredDT")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{14}$"))]
    pub occurred_dt: String,
}

/// Why a webhook signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
    #[error("malformed Dojang-Signature header")]
    Malformed,
    /// The time is further than the tolerance from now: a replay, or a badly wrong clock.
    #[error("signature time is {0} s away from now")]
    OutsideTolerance(i64),
    /// No `v1` value matches the body: wrong secret, or the body was changed.
    #[error("signature does not match the body")]
    Mismatch,
}

fn key(secret: &str) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())
}

fn signed_text(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut text = format!("{timestamp}.").into_bytes();
    text.extend_from_slice(body);
    text
}

/// The `Dojang-Signature` header value for a body sent at `timestamp` (Unix seconds).
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = hmac::sign(&key(secret), &signed_text(timestamp, body));
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Check a `Dojang-Signature` header against the raw body, at `now` (Unix seconds), allowing
/// `tolerance_secs` of clock distance. Returns the signed time.
pub fn verify_header(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) if timestamp.is_none() => {
                timestamp = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?);
            }
            Some(("v1", v)) => tags.push(from_hex(v).ok_or(SignatureError::Malformed)?),
            // Other schemes a later version may add are ignored.
            Some((_, _)) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let distance = now.saturating_sub(timestamp);
    if distance.saturating_abs() > tolerance_secs {
        return Err(SignatureError::OutsideTolerance(distance));
    }
    let key = key(secret);
    let text = signed_text(timestamp, body);
    if tags
        .iter()
        .any(|tag| hmac::verify(&key, &text, tag).is_ok())
    {
        Ok(timestamp)
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"event":"signed","receiptID":"0123"}"#;
    const T: i64 = 1_764_597_900;

    #[test]
    fn a_signed_body_verifies() {
        let h = signature_header(SECRET, T, BODY);
        assert!(h.starts_with("t=1764597900,v1="));
        assert_eq!(h.len(), "t=1764597900,v1=".len() + 64);
        assert_eq!(verify_header(SECRET, &h, BODY, T + 10, 300), Ok(T));
        // Several v1 values: one matching is enough.
        let two = format!("t={T},v1={},{}", "00".repeat(32), &h[13..]);
        assert_eq!(verify_header(SECRET, &two, BODY, T, 300), Ok(T));
    }

    #[test]
    fn wrong_secret_tampered_body_and_replays_are_refused() {
        let h = signature_header(SECRET, T, BODY);
        assert_eq!(
            verify_header("whsec_other", &h, BODY, T, 300),
            Err(SignatureError::Mismatch)
        );
        let mut tampered = BODY.to_vec();
        tampered[3] ^= 1;
        assert_eq!(
            verify_header(SECRET, &h, &tampered, T, 300),
            Err(SignatureError::Mismatch)
        );
        // The time is signed too: moving it breaks the signature.
        let moved = h.replacen("t=1764597900", "t=1764597901", 1);
        assert_eq!(
            verify_header(SECRET, &moved, BODY, T, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_header(SECRET, &h, BODY, T + 301, 300),
            Err(SignatureError::OutsideTolerance(301))
        );
        assert_eq!(
            verify_header(SECRET, &h, BODY, T - 301, 300),
            Err(SignatureError::OutsideTolerance(-301))
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        for h in [
            "",
            "t=1",
            "v1=00",
            "t=x,v1=00",
            "t=1,v1=0",
            "t=1,v1=zz",
            "t=1,v1=é0",
            "garbage",
        ] {
            assert_eq!(
                verify_header(SECRET, h, BODY, 1, 300),
                Err(SignatureError::Malformed),
                "{h:?}"
            );
        }
    }
}
