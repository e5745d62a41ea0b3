//! dojang's public-key infrastructure: the certificate authority (a self-signed P-256 root),
//! the checks on the PKCS#10 CSR an authenticator app sends when it enrols, the end-entity
//! certificate profile, the device-side P-256 key, and CMS SignedData (RFC 5652) signing on
//! the device and verification on the server (`cms` module; the server's hot path, verified
//! with *ring* and rustls-webpki).
//!
//! This crate must never do HTTP, SQL, file IO or read the clock: PEM and DER come in and go
//! out as values, and every instant (`now`, validity bounds, signing and verification times)
//! is a `time::OffsetDateTime` argument. The only ambient resource used is the operating
//! system's random generator, for keys and serial numbers. No input — malformed DER, wrong
//! algorithms, oversized data — makes it panic; each failure is its own [`PkiError`] variant.

mod asn1;
mod ca;
mod cms;
mod csr;
mod error;
mod key;
mod name;
mod revocation;
mod times;

pub use ca::{
    CLOUD_POLICY_OID, CaProfile, CaSigner, CertificateAuthority, CloudIssueRequest, IssueRequest,
    IssuedCertificate, POLICY_OID, PublicationUrls, SANDBOX_POLICY_OID, is_cloud_certificate,
    is_sandbox_certificate, sandbox_profile,
};
pub use cms::sign as sign_cms;
pub use cms::{VerifiedSignature, Verifier};
pub use csr::{CheckedCsr, check_csr};
pub use error::PkiError;
pub use key::DeviceKey;
pub use revocation::{
    CertState, MAX_OCSP_QUESTIONS, MAX_OCSP_REQUEST_LEN, OcspFailure, OcspQuestion, OcspQuestions,
    RevocationReason, Revoked, ocsp_get_request,
};

use base64::Engine as _;
use der::Decode as _;

/// Largest CSR [`check_csr`] accepts, in bytes.
pub const MAX_CSR_LEN: usize = 4096;

/// Largest SignedData [`Verifier::verify_attached`] accepts (and [`DeviceKey::sign_cms`]
/// produces), in bytes: 1 MiB.
pub const MAX_CMS_LEN: usize = 1024 * 1024;

/// `der` as a PEM "CERTIFICATE" block (64-character lines, LF line endings).
#[must_use]
pub fn certificate_pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::with_capacity(body.len() + body.len() / 64 + 64);
    pem.push_str("-----BEGIN CERTIFICATE-----\n");
    for (i, c) in body.chars().enumerate() {
        if i > 0 && i % 64 == 0 {
            pem.push('\n');
        }
        pem.push(c);
    }
    if !body.is_empty() {
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// Lower-case hex of a DER certificate's serial number, without leading zero octets (so a
/// positive serial reads as its magnitude; a zero serial is "00").
pub fn certificate_serial_hex(der: &[u8]) -> Result<String, PkiError> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| PkiError::MalformedCertificate(e.to_string()))?;
    Ok(asn1::integer_hex(
        cert.tbs_certificate().serial_number().as_bytes(),
    ))
}
