//! The device's P-256 signing key: made on the authenticator, never leaves it except as the
//! PKCS#8 blob the app stores in its own keystore.

use core::fmt;

use der::Encode;
use p256::{
    ecdsa::{DerSignature, SigningKey},
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
        Self {
            key: SigningKey::generate_from_rng(&mut rand::rng()),
        }
    }

    /// Loads an unencrypted PKCS#8 DER P-256 key (as written by [`DeviceKey::to_pkcs8_der`]
    /// or `openssl pkcs8 -topk8 -nocrypt -outform DER`).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, PkiError> {
        let key =
            SigningKey::from_pkcs8_der(der).map_err(|e| PkiError::MalformedKey(e.to_string()))?;
        Ok(Self { key })
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
        crate::cms::sign(&self.key, signer_certificate_der, content, signing_time)
    }

    /// The SubjectPublicKeyInfo DER of this key.
    pub fn public_key_der(&self) -> Result<Vec<u8>, PkiError> {
        spki_der(&self.key)
    }
}

/// The SubjectPublicKeyInfo DER of `key`.
pub(crate) fn spki_der(key: &SigningKey) -> Result<Vec<u8>, PkiError> {
    use p256::pkcs8::EncodePublicKey;
    key.verifying_key()
        .to_public_key_der()
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
