//! Receiving dojang's webhooks: check the signature over the raw body, then read the event.
//!
//! ```
//! # fn handle(secret: &str, signature_header: &str, raw_body: &[u8]) -> Result<(), dojang_client::webhook::WebhookError> {
//! let event = dojang_client::webhook::verify(secret, signature_header, raw_body)?;
//! // Deduplicate on the Dojang-Delivery header; then, for `signed`, call verify on the receipt.
//! println!("{} is now {} ({})", event.receipt_id, event.state, event.event);
//! # Ok(()) }
//! ```
//!
//! The scheme is described in `dojang_proto::webhook`; this module adds the clock and the JSON.

pub use dojang_proto::webhook::{
    DEFAULT_TOLERANCE_SECS, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, SignatureError,
    WebhookEvent, signature_header,
};

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The signature is missing, malformed, too old or does not match.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The body is signed but is not a webhook event.
    #[error("webhook body is not an event: {0}")]
    Body(#[from] serde_json::Error),
}

/// Check a webhook against the local clock (five minutes' tolerance) and parse its body.
pub fn verify(
    secret: &str,
    signature_header: &str,
    body: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    verify_at(secret, signature_header, body, now, DEFAULT_TOLERANCE_SECS)
}

/// [`verify`] at a given time (Unix seconds) and tolerance.
pub fn verify_at(
    secret: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<WebhookEvent, WebhookError> {
    dojang_proto::webhook::verify_header(secret, signature_header, body, now, tolerance_secs)?;
    Ok(serde_json::from_slice(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_event_is_read_and_a_tampered_one_refused() {
        let body = br#"{"event":"expired","receiptID":"01","kind":"sign","clientCode":"012345678901","state":2,"occurredDT":"20261201120000"}"#;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let h = signature_header("whsec_a", now, body);
        let e = verify("whsec_a", &h, body).expect("valid");
        assert_eq!(e.event, "expired");
        assert_eq!(e.kind, dojang_proto::rp::Kind::Sign);
        assert!(matches!(
            verify("whsec_b", &h, body),
            Err(WebhookError::Signature(SignatureError::Mismatch))
        ));
        let old = signature_header("whsec_a", now - 3600, body);
        assert!(matches!(
            verify("whsec_a", &old, body),
            Err(WebhookError::Signature(SignatureError::OutsideTolerance(_)))
        ));
        let not_event = b"{}";
        let h = signature_header("whsec_a", now, not_event);
        assert!(matches!(
            verify("whsec_a", &h, not_event),
            Err(WebhookError::Body(_))
        ));
    }
}
