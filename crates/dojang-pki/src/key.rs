//! The device's P-256 signing key: made on the authenticator, never leaves it except as the
//! PKCS#8 blob the app stores in its own keystore.

use core::fmt;
use std::sync::Arc;

use der::Encode;
use p256::{
    ecdsa::{DerSignature, SigningKey, VerifyingKey},
    elliptic_curve::Generate,
    pkcs8::DecodePrivateKey,
};
use time::OffsetDateTime;
use x509_cert::{builder::Builder, name::Name, request::RequestBuilder};
use zeroize::{Zeroize, Zeroizing};

use crate::{
    PkiError,
    name::{self, Kind},
};

/// DER prefix of an unencrypted PKCS#8 `PrivateKeyInfo` for a P-256 key (RFC 5208 / RFC 5915),
/// up to the 32-byte private scalar: version 0, algorithm id-ecPublicKey with prime256v1, and
/// the opening of the `ECPrivateKey` (version 1, privateKey OCTET STRING of 32 bytes).
const PKCS8_P256_HEAD: [u8; 36] = [
    0x30, 0x81, 0x87, // PrivateKeyInfo SEQUENCE, 135 bytes
    0x02, 0x01, 0x00, // version 0
    0x30, 0x13, // AlgorithmIdentifier
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, // id-ecPublicKey
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, // prime256v1
    0x04, 0x6d, // privateKey OCTET STRING, 109 bytes
    0x30, 0x6b, // ECPrivateKey SEQUENCE, 107 bytes
    0x02, 0x01, 0x01, // version 1
    0x04, 0x20, // privateKey OCTET STRING, 32 bytes
];

/// DER between the private scalar and the 65-byte uncompressed public point:
/// `[1] { BIT STRING (0 unused bits) }`.
const PKCS8_P256_MID: [u8; 5] = [0xa1, 0x44, 0x03, 0x42, 0x00];

/// A P-256 ECDSA key made on the device. Its `Debug` output carries no key material.
#[derive(Clone)]
pub struct DeviceKey {
    key: SigningKey,
    /// The same key in *ring*, which signs about three times faster; `None` only if *ring*
    /// refused the key, in which case the RustCrypto signer is used.
    ring: Option<Arc<RingSigner>>,
}

/// ECDSA P-256 / SHA-256 signing with *ring*, usable by the `cms` builder.
pub(crate) struct RingSigner {
    pair: ring::signature::EcdsaKeyPair,
    verifying: VerifyingKey,
    rng: ring::rand::SystemRandom,
}

impl RingSigner {
    fn new(key: &SigningKey) -> Option<Self> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = pkcs8_der(key);
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &pkcs8,
            &rng,
        )
        .ok()?;
        Some(Self {
            pair,
            verifying: *key.verifying_key(),
            rng,
        })
    }
}

impl signature::Keypair for RingSigner {
    type VerifyingKey = VerifyingKey;
    fn verifying_key(&self) -> VerifyingKey {
        self.verifying
    }
}

impl spki::DynSignatureAlgorithmIdentifier for RingSigner {
    fn signature_algorithm_identifier(&self) -> spki::Result<spki::AlgorithmIdentifierOwned> {
        Ok(spki::AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        })
    }
}

impl signature::Signer<DerSignature> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<DerSignature, signature::Error> {
        let sig = self
            .pair
            .sign(&self.rng, msg)
            .map_err(|_| signature::Error::new())?;
        DerSignature::try_from(sig.as_ref())
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey").finish_non_exhaustive()
    }
}

impl DeviceKey {
    /// A fresh key from the operating system's random generator.
    #[must_use]
    pub fn generate() -> Self {
        let key = SigningKey::generate_from_rng(&mut rand::rng());
        let ring = RingSigner::new(&key).map(Arc::new);
        Self { key, ring }
    }

    /// Loads an unencrypted PKCS#8 DER P-256 key (as written by [`DeviceKey::to_pkcs8_der`]
    /// or `openssl pkcs8 -topk8 -nocrypt -outform DER`).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, PkiError> {
        let key =
            SigningKey::from_pkcs8_der(der).map_err(|e| PkiError::MalformedKey(e.to_string()))?;
        let ring = RingSigner::new(&key).map(Arc::new);
        Ok(Self { key, ring })
    }

    /// The key as unencrypted PKCS#8 DER (with the public key, as OpenSSL writes it).
    #[must_use]
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        pkcs8_der(&self.key)
    }

    /// A PKCS#10 CSR for this key with subject `CN=<common_name>` (an empty subject when
    /// `common_name` is empty), signed with ecdsa-with-SHA256.
    pub fn csr_der(&self, common_name: &str) -> Result<Vec<u8>, PkiError> {
        let subject = if common_name.is_empty() {
            Name::default()
        } else {
            name::build(&[(const_oid::db::rfc4519::COMMON_NAME, Kind::Utf8, common_name)])
                .map_err(PkiError::encoding)?
        };
        let request = RequestBuilder::new(subject)
            .map_err(PkiError::encoding)?
            .build::<_, DerSignature>(&self.key)
            .map_err(PkiError::encoding)?;
        request.to_der().map_err(PkiError::encoding)
    }

    /// Signs `content` as an attached CMS SignedData (a DER `ContentInfo`): eContentType
    /// id-data with `content` as the eContent OCTET STRING, SHA-256, ecdsa-with-SHA256, the
    /// signer identified by issuer and serial number of `signer_certificate_der`, signed
    /// attributes contentType, messageDigest and signingTime (= `signing_time`), and the
    /// signer certificate in `certificates`.
    ///
    /// Fails with [`PkiError::KeyMismatch`] if the certificate is not for this key, and with
    /// [`PkiError::CmsTooLarge`] if the result would exceed [`crate::MAX_CMS_LEN`].
    pub fn sign_cms(
        &self,
        signer_certificate_der: &[u8],
        content: &[u8],
        signing_time: OffsetDateTime,
    ) -> Result<Vec<u8>, PkiError> {
        match &self.ring {
            Some(ring) => crate::cms::sign(&**ring, signer_certificate_der, content, signing_time),
            None => crate::cms::sign(&self.key, signer_certificate_der, content, signing_time),
        }
    }

    /// The SubjectPublicKeyInfo DER of this key.
    pub fn public_key_der(&self) -> Result<Vec<u8>, PkiError> {
        spki_der(&self.key)
    }
}

/// The SubjectPublicKeyInfo DER of `key`.
pub(crate) fn spki_der(key: &SigningKey) -> Result<Vec<u8>, PkiError> {
    verifying_spki_der(key.verifying_key())
}

/// The SubjectPublicKeyInfo DER of a public key.
pub(crate) fn verifying_spki_der(key: &VerifyingKey) -> Result<Vec<u8>, PkiError> {
    use p256::pkcs8::EncodePublicKey;
    key.to_public_key_der()
        .map(|d| d.into_vec())
        .map_err(PkiError::encoding)
}

/// PKCS#8 DER of a P-256 key, assembled from fixed parts so that it cannot fail.
pub(crate) fn pkcs8_der(key: &SigningKey) -> Zeroizing<Vec<u8>> {
    let point = key.verifying_key().to_sec1_point(false);
    let mut scalar = key.to_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(138));
    out.extend_from_slice(&PKCS8_P256_HEAD);
    out.extend_from_slice(&scalar);
    out.extend_from_slice(&PKCS8_P256_MID);
    out.extend_from_slice(point.as_bytes());
    scalar.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::EncodePrivateKey;

    #[test]
    fn pkcs8_template_matches_the_library_encoder_and_round_trips() {
        let key = DeviceKey::generate();
        let ours = key.to_pkcs8_der();
        assert_eq!(ours.len(), 138);
        let theirs = key.key.to_pkcs8_der().unwrap();
        assert_eq!(ours.as_slice(), theirs.as_bytes());
        let back = DeviceKey::from_pkcs8_der(&ours).unwrap();
        assert_eq!(back.key, key.key);
    }

    #[test]
    fn debug_shows_no_key() {
        let key = DeviceKey::generate();
        let text = format!("{key:?}");
        assert_eq!(text, "DeviceKey { .. }");
    }

    #[test]
    fn garbage_pkcs8_is_an_error() {
        assert!(matches!(
            DeviceKey::from_pkcs8_der(b"nope"),
            Err(PkiError::MalformedKey(_))
        ));
    }
}

#[cfg(test)]
mod signer_tests {
    use super::*;
    use crate::{CaProfile, CertificateAuthority, IssueRequest, Verifier, check_csr};
    use time::macros::datetime;

    /// Both signing paths — *ring* (used whenever *ring* accepts the key) and the RustCrypto
    /// fallback — make SignedData the verifier accepts, for the same certificate.
    #[test]
    fn ring_and_rustcrypto_signatures_both_verify() {
        let now = datetime!(2026-11-22 00:00 UTC);
        let ca = CertificateAuthority::generate(&CaProfile::default(), now).unwrap();
        let key = DeviceKey::generate();
        assert!(key.ring.is_some(), "ring accepts our PKCS#8");
        let csr = check_csr(&key.csr_der("홍길동").unwrap(), "홍길동").unwrap();
        let cert = ca
            .issue(&IssueRequest {
                csr: &csr,
                holder_name: "홍길동",
                holder_id: "0198f3a2-7c4e-7b1a-9f00-123456789abc",
                not_before: now,
                not_after: now + std::time::Duration::from_secs(3600),
            })
            .unwrap();
        let verifier = Verifier::new(ca.certificate_der()).unwrap();
        let by_ring = key.sign_cms(&cert.der, b"token", now).unwrap();
        let by_rustcrypto = crate::cms::sign(&key.key, &cert.der, b"token", now).unwrap();
        for cms in [by_ring, by_rustcrypto] {
            let v = verifier.verify_attached(&cms, now).unwrap();
            assert_eq!(v.content, b"token");
        }
        // A reloaded key signs with ring too.
        let again = DeviceKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap();
        assert!(again.ring.is_some());
        verifier
            .verify_attached(&again.sign_cms(&cert.der, b"t2", now).unwrap(), now)
            .unwrap();
    }
}
