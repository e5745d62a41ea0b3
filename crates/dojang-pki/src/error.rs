//! The one error type of this crate.
//!
//! Each variant is a distinct failure that the server maps to its own error code, so variants
//! are never merged "for convenience". Detail strings are for logs only; they never carry key
//! material.

/// Everything that can go wrong in `dojang-pki`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    // ----- Revocation --------------------------------------------------------------------------
    /// An OCSP request that cannot be read: not DER, no certificates or too many, too large.
    #[error("malformed OCSP request: {0}")]
    MalformedOcspRequest(String),

    // ----- CA set-up and issuance inputs -------------------------------------------------------
    /// The CA profile cannot be used: an empty name, a country that is not two upper-case
    /// letters, or a validity of zero years.
    #[error("invalid CA profile: {0}")]
    InvalidProfile(&'static str),

    /// The holder name (the certificate CN) is empty, longer than 64 characters or contains
    /// control characters.
    #[error("invalid holder name")]
    InvalidHolderName,

    /// The holder id (the subject serialNumber) is empty, longer than 64 characters or has
    /// characters outside the PrintableString alphabet.
    #[error("invalid holder id")]
    InvalidHolderId,

    /// A validity window is unusable: not_before is not before not_after, or the certificate
    /// would outlive its CA.
    #[error("invalid validity: {0}")]
    InvalidValidity(&'static str),

    /// A time to be written into a certificate or signature is outside the years 1970..=9999.
    #[error("{0} is outside the years 1970..=9999")]
    TimeOutOfRange(&'static str),

    /// A certificate (PEM or DER) could not be parsed.
    #[error("malformed certificate: {0}")]
    MalformedCertificate(String),

    /// The CA certificate given to a [`crate::Verifier`] or loaded by
    /// [`crate::CertificateAuthority::from_pem`] is not a usable CA certificate.
    #[error("invalid CA certificate: {0}")]
    InvalidCaCertificate(String),

    /// A private key could not be parsed as an unencrypted PKCS#8 P-256 key.
    #[error("malformed private key: {0}")]
    MalformedKey(String),

    /// The private key does not belong to the certificate it was paired with.
    #[error("the private key does not match the certificate")]
    KeyMismatch,

    /// Building, encoding or signing one of our own structures failed. This is an internal
    /// error, not a sign of bad input.
    #[error("encoding failed: {0}")]
    Encoding(String),

    // ----- CSR checks ---------------------------------------------------------------------------
    /// The CSR is larger than [`crate::MAX_CSR_LEN`].
    #[error("CSR is {len} bytes, the limit is {max}")]
    CsrTooLarge {
        /// Size of the rejected input.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// The CSR is not a DER PKCS#10 CertificationRequest.
    #[error("malformed CSR: {0}")]
    MalformedCsr(String),

    /// The CSR's public key is not an uncompressed id-ecPublicKey on P-256 (e.g. RSA or P-384).
    #[error("unsupported CSR key: {0}")]
    UnsupportedCsrKey(String),

    /// The CSR is not signed with ecdsa-with-SHA256.
    #[error("unsupported CSR signature algorithm: {0}")]
    UnsupportedCsrSignatureAlgorithm(String),

    /// The CSR's self-signature does not verify with its own public key.
    #[error("CSR signature does not verify")]
    CsrBadSignature,

    /// The CSR subject has a common name other than the expected one.
    #[error("CSR subject does not match the expected common name")]
    CsrSubjectMismatch,

    // ----- CMS verification ---------------------------------------------------------------------
    /// The SignedData is larger than [`crate::MAX_CMS_LEN`].
    #[error("CMS input is {len} bytes, the limit is {max}")]
    CmsTooLarge {
        /// Size of the rejected input.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// The input is not a DER ContentInfo holding a well-formed SignedData.
    #[error("malformed CMS: {0}")]
    MalformedCms(String),

    /// The ContentInfo is not signedData, or the encapsulated content type is not id-data.
    #[error("unsupported CMS content type {0}")]
    UnsupportedContentType(String),

    /// The digest algorithm is not SHA-256, or the signature algorithm is not
    /// ecdsa-with-SHA256 (or id-ecPublicKey) for a P-256 key.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),

    /// The SignedData has no SignerInfo.
    #[error("the SignedData has no signer")]
    NoSigner,

    /// The SignedData has more than one SignerInfo; exactly one is accepted.
    #[error("the SignedData has {0} signers; exactly one is accepted")]
    MultipleSigners(usize),

    /// The SignedData carries no eContent (a detached signature).
    #[error("the SignedData is detached (no encapsulated content)")]
    DetachedContent,

    /// The SignerInfo has no signed attributes.
    #[error("the signer has no signed attributes")]
    MissingSignedAttributes,

    /// A required signed attribute (contentType, messageDigest or signingTime) is absent.
    #[error("the signed attribute {0} is missing")]
    MissingSignedAttribute(&'static str),

    /// The contentType signed attribute differs from the eContentType.
    #[error("the contentType attribute does not match the encapsulated content type")]
    ContentTypeMismatch,

    /// The messageDigest signed attribute is not the SHA-256 of the content.
    #[error("the messageDigest attribute does not match the content")]
    DigestMismatch,

    /// The signature over the signed attributes does not verify with the signer's key.
    #[error("the CMS signature does not verify")]
    BadSignature,

    /// No certificate in the SignedData matches the SignerInfo's signer identifier.
    #[error("the signer certificate is not in the SignedData")]
    SignerCertificateMissing,

    /// The signer certificate does not chain to the dojang CA (unknown issuer, bad
    /// certificate signature, a CA certificate used as signer, ...).
    #[error("the signer certificate is not trusted: {0}")]
    UntrustedChain(String),

    /// The signer certificate had expired at the verification time.
    #[error("the signer certificate has expired")]
    CertificateExpired,

    /// The signer certificate was not yet valid at the verification time.
    #[error("the signer certificate is not yet valid")]
    CertificateNotYetValid,
}

impl PkiError {
    pub(crate) fn encoding(err: impl core::fmt::Display) -> Self {
        Self::Encoding(err.to_string())
    }

    pub(crate) fn malformed_cms(err: impl core::fmt::Display) -> Self {
        Self::MalformedCms(err.to_string())
    }

    pub(crate) fn malformed_csr(err: impl core::fmt::Display) -> Self {
        Self::MalformedCsr(err.to_string())
    }
}
