//! Request signing of the native relying-party API.
//!
//! Every call carries two headers:
//!
//! ```text
//! X-Dojang-Date: 2026-11-22T01:02:03Z
//! Authorization: DOJANG-HMAC-SHA256 <LinkID>:<signature>
//! ```
//!
//! `signature` is the standard base64 of HMAC-SHA256, keyed with the base64-decoded SecretKey,
//! over these five lines joined by `\n` (no trailing newline):
//!
//! ```text
//! DOJANG-HMAC-SHA256
//! <METHOD in upper case>
//! <path and query exactly as sent, e.g. /v1/identity/0123…/verify>
//! <X-Dojang-Date exactly as sent>
//! <standard base64 of SHA-256 of the raw body bytes (of the empty string for GET)>
//! ```
//!
//! The server refuses a date more than five minutes away from its clock.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::{digest, hmac};

/// The scheme word of the `Authorization` header and the first line of the string to sign.
pub const SCHEME: &str = "DOJANG-HMAC-SHA256";
/// The date header (lower case, as HTTP libraries normalise it).
pub const DATE_HEADER: &str = "x-dojang-date";

/// Base64 of the SHA-256 of a body.
pub fn body_hash(body: &[u8]) -> String {
    STANDARD.encode(digest::digest(&digest::SHA256, body))
}

/// The exact text that is signed.
pub fn string_to_sign(method: &str, path_and_query: &str, date: &str, body: &[u8]) -> String {
    format!(
        "{SCHEME}\n{}\n{path_and_query}\n{date}\n{}",
        method.to_ascii_uppercase(),
        body_hash(body)
    )
}

/// Sign a request; returns the standard-base64 signature.
pub fn sign(
    secret_key: &[u8],
    method: &str,
    path_and_query: &str,
    date: &str,
    body: &[u8],
) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret_key);
    let text = string_to_sign(method, path_and_query, date, body);
    STANDARD.encode(hmac::sign(&key, text.as_bytes()))
}

/// Check a signature in constant time. A signature that is not base64 is simply wrong.
pub fn verify(
    secret_key: &[u8],
    method: &str,
    path_and_query: &str,
    date: &str,
    body: &[u8],
    signature_b64: &str,
) -> bool {
    let Ok(signature) = STANDARD.decode(signature_b64) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret_key);
    let text = string_to_sign(method, path_and_query, date, body);
    hmac::verify(&key, text.as_bytes(), &signature).is_ok()
}

/// The `Authorization` header value.
pub fn authorization_header(link_id: &str, signature_b64: &str) -> String {
    format!("{SCHEME} {link_id}:{signature_b64}")
}

/// Split an `Authorization` header value into LinkID and signature.
pub fn parse_authorization(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix(SCHEME)?.strip_prefix(' ')?;
    let (link_id, signature) = rest.trim().split_once(':')?;
    if link_id.is_empty() || signature.is_empty() {
        return None;
    }
    Some((link_id, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "SwWxqU+0TErBXy/9TVjIPEnI0VTUMMSQZtJf3Ed8q3I=";

    fn key() -> Vec<u8> {
        STANDARD.decode(KEY).unwrap()
    }

    #[test]
    fn string_to_sign_has_five_lines_without_trailing_newline() {
        let s = string_to_sign("post", "/v1/identity", "2026-01-02T03:04:05Z", b"{}");
        assert_eq!(
            s,
            "DOJANG-HMAC-SHA256\nPOST\n/v1/identity\n2026-01-02T03:04:05Z\nRBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="
        );
    }

    #[test]
    fn known_vector() {
        // Cross-checked with: printf '%s' "$STS" | openssl dgst -sha256 -mac HMAC -macopt hexkey:… -binary | base64
        let sig = sign(
            &key(),
            "POST",
            "/v1/identity",
            "2026-01-02T03:04:05Z",
            b"{}",
        );
        assert_eq!(sig, "euTkFuscEmKyzjhQ0XZlaMP/4vi2vJYyDif+Qlk5/xU=");
    }

    #[test]
    fn verify_accepts_the_signature_and_refuses_any_change() {
        let k = key();
        let sig = sign(
            &k,
            "POST",
            "/v1/identity",
            "2026-01-02T03:04:05Z",
            b"{\"a\":1}",
        );
        assert!(verify(
            &k,
            "POST",
            "/v1/identity",
            "2026-01-02T03:04:05Z",
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify(
            &k,
            "GET",
            "/v1/identity",
            "2026-01-02T03:04:05Z",
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify(
            &k,
            "POST",
            "/v1/identityx",
            "2026-01-02T03:04:05Z",
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify(
            &k,
            "POST",
            "/v1/identity",
            "2026-01-02T03:04:06Z",
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify(
            &k,
            "POST",
            "/v1/identity",
            "2026-01-02T03:04:05Z",
            b"{\"a\":2}",
            &sig
        ));
        let mut other = k.clone();
        other[0] ^= 1;
        assert!(!verify(
            &other,
            "POST",
            "/v1/identity",
            "2026-01-02T03:04:05Z",
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify(
            &k,
            "POST",
            "/v1/identity",
            "2026-01-02T03:04:05Z",
            b"{\"a\":1}",
            "not base64!"
        ));
    }

    #[test]
    fn authorization_header_round_trips() {
        let h = authorization_header("LINK1", "abc=");
        assert_eq!(parse_authorization(&h), Some(("LINK1", "abc=")));
        assert_eq!(parse_authorization("Bearer x"), None);
        assert_eq!(parse_authorization("DOJANG-HMAC-SHA256 nocolon"), None);
        assert_eq!(parse_authorization("DOJANG-HMAC-SHA256 :sig"), None);
        assert_eq!(parse_authorization("DOJANG-HMAC-SHA256 id:"), None);
    }
}
