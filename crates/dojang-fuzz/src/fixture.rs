//! What the targets hold fixed: the clock, a SecretKey, and a CA (a fuzzing fixture made once
//! with `CertificateAuthority::generate` on 2026-01-01; its key is public and signs nothing
//! but this crate's seeds). Seeds of the `cms` and `ocsp` targets are made with it, so the
//! fuzzer starts from inputs that pass every check and mutates from there.

use std::sync::OnceLock;

use dojang_pki::{CertificateAuthority, Verifier};
use time::OffsetDateTime;
use time::macros::datetime;

/// The time every target runs at (the CA and the seeds' certificates are valid then).
pub const NOW: OffsetDateTime = datetime!(2027-01-01 00:00 UTC);

/// A relying party's SecretKey (32 bytes, as barocert's field encryption needs).
pub const KEY: [u8; 32] = *b"dojang fuzzing SecretKey 32bytes";

/// The fixture CA's certificate (PEM).
pub const CA_PEM: &str = include_str!("../fixtures/ca.pem");
const CA_KEY_PEM: &str = include_str!("../fixtures/ca.key.pem");

/// The fixture CA.
pub fn ca() -> &'static CertificateAuthority {
    static CA: OnceLock<CertificateAuthority> = OnceLock::new();
    CA.get_or_init(|| CertificateAuthority::from_pem(CA_PEM, CA_KEY_PEM).expect("fixture CA"))
}

/// A CMS verifier trusting the fixture CA, as the server's.
pub fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| Verifier::new(ca().certificate_der()).expect("fixture CA verifier"))
}
