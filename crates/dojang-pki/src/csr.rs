//! Checking the PKCS#10 certification request an authenticator app sends when it enrols.

use const_oid::db::rfc5912::{ECDSA_WITH_SHA_256, ID_EC_PUBLIC_KEY, SECP_256_R_1};
use der::{Decode, Encode, Tag, asn1::ObjectIdentifier};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use x509_cert::{request::CertReq, spki::SubjectPublicKeyInfoOwned};

use crate::{
    MAX_CSR_LEN, PkiError,
    asn1::{Tlv, oid_name},
    name,
};

/// A CSR that passed [`check_csr`]: a P-256 public key whose holder proved possession of the
/// private key, and the CSR's common name if it had one.
#[derive(Clone, Debug)]
pub struct CheckedCsr {
    spki: SubjectPublicKeyInfoOwned,
    spki_der: Vec<u8>,
    common_name: Option<String>,
}

impl CheckedCsr {
    /// The subject public key as SubjectPublicKeyInfo DER.
    #[must_use]
    pub fn public_key_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The CSR subject's common name, if it had one (it then equals the expected name).
    #[must_use]
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    pub(crate) fn spki(&self) -> &SubjectPublicKeyInfoOwned {
        &self.spki
    }
}

/// Checks a DER PKCS#10 CSR made by the app.
///
/// In order: at most [`MAX_CSR_LEN`] bytes ([`PkiError::CsrTooLarge`]); parses as DER
/// ([`PkiError::MalformedCsr`]); the key is an uncompressed id-ecPublicKey point on P-256
/// ([`PkiError::UnsupportedCsrKey`]); the signature algorithm is ecdsa-with-SHA256
/// ([`PkiError::UnsupportedCsrSignatureAlgorithm`]); the self-signature over the exact
/// `CertificationRequestInfo` bytes verifies ([`PkiError::CsrBadSignature`]); every common
/// name in the subject equals `expected_common_name` exactly ([`PkiError::CsrSubjectMismatch`]).
/// A subject without a common name (or an empty subject) is accepted.
pub fn check_csr(der: &[u8], expected_common_name: &str) -> Result<CheckedCsr, PkiError> {
    if der.len() > MAX_CSR_LEN {
        return Err(PkiError::CsrTooLarge {
            len: der.len(),
            max: MAX_CSR_LEN,
        });
    }
    // The raw CertificationRequestInfo is what the signature covers.
    let outer = Tlv::parse(der)
        .and_then(|t| t.expect(Tag::Sequence))
        .map_err(PkiError::malformed_csr)?;
    let parts = outer.children().map_err(PkiError::malformed_csr)?;
    let [info, _, _] = parts.as_slice() else {
        return Err(PkiError::MalformedCsr(
            "CertificationRequest must have three fields".into(),
        ));
    };
    let req = CertReq::from_der(der).map_err(PkiError::malformed_csr)?;

    let spki = req.info.public_key;
    let point = p256_point(&spki)?;

    if req.algorithm.oid != ECDSA_WITH_SHA_256 || req.algorithm.parameters.is_some() {
        return Err(PkiError::UnsupportedCsrSignatureAlgorithm(oid_name(
            &req.algorithm.oid,
        )));
    }
    let signature = req
        .signature
        .as_bytes()
        .ok_or_else(|| PkiError::MalformedCsr("signature BIT STRING has unused bits".into()))?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
        .verify(info.raw, signature)
        .map_err(|_| PkiError::CsrBadSignature)?;

    let names = name::common_names(&req.info.subject).map_err(PkiError::malformed_csr)?;
    if names.iter().any(|cn| cn != expected_common_name) {
        return Err(PkiError::CsrSubjectMismatch);
    }

    let spki_der = spki.to_der().map_err(PkiError::encoding)?;
    Ok(CheckedCsr {
        spki,
        spki_der,
        common_name: names.into_iter().next(),
    })
}

/// The uncompressed SEC1 point of a P-256 SubjectPublicKeyInfo.
fn p256_point(spki: &SubjectPublicKeyInfoOwned) -> Result<&[u8], PkiError> {
    if spki.algorithm.oid != ID_EC_PUBLIC_KEY {
        return Err(PkiError::UnsupportedCsrKey(oid_name(&spki.algorithm.oid)));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| PkiError::UnsupportedCsrKey("EC key without a named curve".into()))?;
    if curve != SECP_256_R_1 {
        return Err(PkiError::UnsupportedCsrKey(oid_name(&curve)));
    }
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| PkiError::MalformedCsr("public key BIT STRING has unused bits".into()))?;
    if point.len() != 65 || point.first() != Some(&0x04) {
        return Err(PkiError::UnsupportedCsrKey(
            "P-256 point is not in uncompressed form".into(),
        ));
    }
    p256::PublicKey::from_sec1_bytes(point)
        .map_err(|_| PkiError::MalformedCsr("public key is not a point on P-256".into()))?;
    Ok(point)
}
