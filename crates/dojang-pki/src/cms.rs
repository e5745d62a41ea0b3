//! CMS SignedData (RFC 5652): making the device's attached signature and verifying it on the
//! server. All CMS logic of dojang lives in this module.
//!
//! Signing uses the RustCrypto `cms` builder. Verification walks the DER once with the
//! zero-copy `asn1::Tlv` reader instead of decoding and re-encoding, so every signature is
//! checked over the exact bytes that were signed (`der` silently sorts a SET OF it decodes,
//! so a re-encoding may differ), then uses *ring* through rustls-webpki for both the
//! certificate chain and the CMS signature.

use core::fmt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ::cms::{
    builder::{SignedDataBuilder, SignerInfoBuilder},
    cert::{CertificateChoices, IssuerAndSerialNumber},
    signed_data::{EncapsulatedContentInfo, SignerIdentifier},
};
use const_oid::db::{
    rfc5911::{ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ID_SIGNING_TIME},
    rfc5912::{ECDSA_WITH_SHA_256, ID_EC_PUBLIC_KEY, ID_SHA_256, SECP_256_R_1},
};
use der::{
    Any, Decode, Encode, Tag, Tagged,
    asn1::{ObjectIdentifier, SetOfVec},
};
use p256::ecdsa::DerSignature;
use rustls_pki_types::{CertificateDer, TrustAnchor};
use time::OffsetDateTime;
use webpki::{EndEntityCert, KeyUsage};
use x509_cert::{
    Certificate,
    attr::Attribute,
    ext::pkix::SubjectKeyIdentifier,
    spki::{AlgorithmIdentifierOwned, AlgorithmIdentifierRef},
    time::Time,
};

use crate::{
    MAX_CMS_LEN, PkiError,
    asn1::{Tlv, context, integer_hex, oid_name},
    key, times,
};

/// The only signature algorithm accepted for the chain and the CMS signature.
const P256_SHA256: &dyn rustls_pki_types::SignatureVerificationAlgorithm =
    webpki::ring::ECDSA_P256_SHA256;

// ----- signing ------------------------------------------------------------------------------

/// Attached CMS SignedData over `content` by any P-256 signer whose public key is the one
/// `signer_certificate_der` certifies: a [`crate::DeviceKey`] (see
/// [`crate::DeviceKey::sign_cms`]), or a key held elsewhere such as `dojang_hsm::HsmKey` (the
/// cloud certificate's key in the server's token). Signed attributes: contentType,
/// messageDigest, signingTime (`signing_time`); the certificate is included.
pub fn sign<S>(
    key: &S,
    signer_certificate_der: &[u8],
    content: &[u8],
    signing_time: OffsetDateTime,
) -> Result<Vec<u8>, PkiError>
where
    S: signature::Keypair<VerifyingKey = p256::ecdsa::VerifyingKey>
        + spki::DynSignatureAlgorithmIdentifier
        + signature::Signer<DerSignature>,
{
    let cert = Certificate::from_der(signer_certificate_der)
        .map_err(|e| PkiError::MalformedCertificate(e.to_string()))?;
    let tbs = cert.tbs_certificate();
    let cert_spki = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(PkiError::encoding)?;
    if key::verifying_spki_der(&key.verifying_key())? != cert_spki {
        return Err(PkiError::KeyMismatch);
    }

    // The eContent is the content itself as one OCTET STRING (not a DER OCTET STRING wrapped
    // in another), so `openssl cms -verify` outputs exactly `content`.
    let encap = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent: Some(Any::new(Tag::OctetString, content).map_err(PkiError::encoding)?),
    };
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    };
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: tbs.issuer().clone(),
        serial_number: tbs.serial_number().clone(),
    });
    // The builder adds contentType and messageDigest; signingTime is ours (its own helper
    // reads the clock).
    let mut signer =
        SignerInfoBuilder::new(sid, sha256.clone(), &encap, None).map_err(PkiError::encoding)?;
    signer
        .add_signed_attribute(signing_time_attribute(signing_time)?)
        .map_err(PkiError::encoding)?;

    let mut builder = SignedDataBuilder::new(&encap);
    builder
        .add_digest_algorithm(sha256)
        .map_err(PkiError::encoding)?
        .add_certificate(CertificateChoices::Certificate(cert.clone()))
        .map_err(PkiError::encoding)?
        .add_signer_info::<S, DerSignature>(signer, key)
        .map_err(PkiError::encoding)?;
    let der = builder
        .build()
        .map_err(PkiError::encoding)?
        .to_der()
        .map_err(PkiError::encoding)?;
    if der.len() > MAX_CMS_LEN {
        return Err(PkiError::CmsTooLarge {
            len: der.len(),
            max: MAX_CMS_LEN,
        });
    }
    Ok(der)
}

fn signing_time_attribute(t: OffsetDateTime) -> Result<Attribute, PkiError> {
    let time = times::to_asn1(t, "the signing time")?;
    let value =
        Any::from_der(&time.to_der().map_err(PkiError::encoding)?).map_err(PkiError::encoding)?;
    let mut values = SetOfVec::new();
    values.insert(value).map_err(PkiError::encoding)?;
    Ok(Attribute {
        oid: ID_SIGNING_TIME,
        values,
    })
}

// ----- verification -------------------------------------------------------------------------

/// Verifies attached SignedData from dojang devices against the dojang CA.
///
/// Built once from the CA certificate; cloning is cheap (an `Arc`) and it is `Send + Sync`.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    anchor: TrustAnchor<'static>,
    /// The CA's own validity, which bounds every chain through it.
    ca_validity: (OffsetDateTime, OffsetDateTime),
    /// Signer certificates whose chain to the anchor was verified, by SHA-256 of their DER,
    /// with the window in which that chain is valid (certificate ∩ CA validity).
    chains: Mutex<HashMap<[u8; 32], (OffsetDateTime, OffsetDateTime)>>,
}

/// Verified chains remembered before the cache starts over.
const CHAIN_CACHE_MAX: usize = 100_000;

fn validity(cert: &Certificate) -> Result<(OffsetDateTime, OffsetDateTime), PkiError> {
    let v = cert.tbs_certificate().validity();
    Ok((
        times::from_asn1(v.not_before)?,
        times::from_asn1(v.not_after)?,
    ))
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

/// What a successful [`Verifier::verify_attached`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The signed content (the eContent octets).
    pub content: Vec<u8>,
    /// The signer's certificate, DER, exactly as carried in the SignedData.
    pub signer_certificate_der: Vec<u8>,
    /// Lower-case hex of the signer certificate's serial, without a leading `00`.
    pub signer_serial_hex: String,
    /// The signingTime signed attribute.
    pub signing_time: OffsetDateTime,
}

impl Verifier {
    /// A verifier trusting `ca_certificate_der` (the dojang root) as its only trust anchor.
    /// Fails with [`PkiError::InvalidCaCertificate`] unless it is a CA certificate.
    pub fn new(ca_certificate_der: &[u8]) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(ca_certificate_der)
            .map_err(|e| PkiError::InvalidCaCertificate(e.to_string()))?;
        crate::ca::require_ca(&cert)?;
        let anchor = webpki::anchor_from_trusted_cert(&CertificateDer::from(ca_certificate_der))
            .map_err(|e| PkiError::InvalidCaCertificate(e.to_string()))?
            .to_owned();
        let ca_validity = validity(&cert)?;
        Ok(Self {
            inner: Arc::new(Inner {
                anchor,
                ca_validity,
                chains: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Verifies an attached SignedData (a DER ContentInfo of at most [`MAX_CMS_LEN`] bytes)
    /// as of `at`.
    ///
    /// Requires: exactly one SignerInfo; eContentType id-data with the content present;
    /// digest SHA-256; signature ecdsa-with-SHA256 (or id-ecPublicKey, as OpenSSL may write);
    /// signed attributes with contentType = eContentType, messageDigest = SHA-256(content)
    /// and signingTime; the signer certificate in `certificates` (by issuer and serial number
    /// or by subject key identifier), chaining to the CA and valid at `at`; and the signature
    /// over the DER SET OF signed attributes. Each failure has its own [`PkiError`] variant.
    pub fn verify_attached(
        &self,
        cms_der: &[u8],
        at: OffsetDateTime,
    ) -> Result<VerifiedSignature, PkiError> {
        if cms_der.len() > MAX_CMS_LEN {
            return Err(PkiError::CmsTooLarge {
                len: cms_der.len(),
                max: MAX_CMS_LEN,
            });
        }
        let parsed = parse_signed_data(cms_der)?;
        let signer = parse_signer_info(parsed.signer)?;
        let attrs = parse_signed_attributes(signer.signed_attrs)?;

        if attrs.content_type != parsed.econtent_type {
            return Err(PkiError::ContentTypeMismatch);
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, parsed.content);
        if attrs.message_digest != digest.as_ref() {
            return Err(PkiError::DigestMismatch);
        }

        let cert_der = find_signer_certificate(&parsed.certificates, signer.sid)?;
        let ee = EndEntityCert::try_from(&cert_der)
            .map_err(|e| PkiError::UntrustedChain(format!("signer certificate: {e}")))?;
        self.check_chain(&ee, cert_der.as_ref(), at)?;

        // Signed attributes are signed as a universal SET OF (RFC 5652 §5.4), not as [0].
        let mut message = signer.signed_attrs.raw.to_vec();
        if let Some(tag) = message.first_mut() {
            *tag = 0x31;
        }
        ee.verify_signature(P256_SHA256, &message, signer.signature)
            .map_err(|e| match e {
                webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                    PkiError::UnsupportedAlgorithm("the signer key is not P-256".into())
                }
                _ => PkiError::BadSignature,
            })?;

        Ok(VerifiedSignature {
            content: parsed.content.to_vec(),
            signer_serial_hex: integer_hex(ee.serial()),
            signer_certificate_der: cert_der.as_ref().to_vec(),
            signing_time: attrs.signing_time,
        })
    }
}

impl Verifier {
    /// The signer certificate chains to the anchor and is valid at `at`. A certificate whose
    /// chain was verified before is only checked against its remembered validity window (the
    /// path-building work is skipped); the signature itself is always verified by the caller.
    fn check_chain(
        &self,
        ee: &EndEntityCert<'_>,
        der: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), PkiError> {
        let key: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, der)
            .as_ref()
            .try_into()
            .map_err(|_| PkiError::Encoding("SHA-256 is not 32 bytes".into()))?;
        let cached = self.chains().get(&key).copied();
        if let Some((not_before, not_after)) = cached {
            return if at < not_before {
                Err(PkiError::CertificateNotYetValid)
            } else if at > not_after {
                Err(PkiError::CertificateExpired)
            } else {
                Ok(())
            };
        }
        ee.verify_for_usage(
            &[P256_SHA256],
            core::slice::from_ref(&self.inner.anchor),
            &[],
            times::to_unix(at),
            // The profile has no EKU: "client auth if present" accepts EKU-less certificates.
            KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(chain_error)?;
        let cert = Certificate::from_der(der)
            .map_err(|e| PkiError::MalformedCertificate(e.to_string()))?;
        let (nb, na) = validity(&cert)?;
        let (ca_nb, ca_na) = self.inner.ca_validity;
        let mut chains = self.chains();
        if chains.len() >= CHAIN_CACHE_MAX {
            chains.clear();
        }
        chains.insert(key, (nb.max(ca_nb), na.min(ca_na)));
        Ok(())
    }

    fn chains(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (OffsetDateTime, OffsetDateTime)>> {
        // Single map operations only: a poisoned lock still holds a valid map.
        self.inner.chains.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn chain_error(e: webpki::Error) -> PkiError {
    match e {
        webpki::Error::CertExpired { .. } => PkiError::CertificateExpired,
        webpki::Error::CertNotValidYet { .. } => PkiError::CertificateNotYetValid,
        other => PkiError::UntrustedChain(format!("{other:?}")),
    }
}

struct ParsedSignedData<'a> {
    econtent_type: ObjectIdentifier,
    content: &'a [u8],
    certificates: Vec<Tlv<'a>>,
    signer: Tlv<'a>,
}

/// ContentInfo → SignedData → the content, the certificates and the single SignerInfo.
fn parse_signed_data(der: &[u8]) -> Result<ParsedSignedData<'_>, PkiError> {
    let m = PkiError::malformed_cms;
    let content_info = Tlv::parse(der)
        .and_then(|t| t.expect(Tag::Sequence))
        .map_err(m)?;
    let fields = content_info.children().map_err(m)?;
    let [content_type, explicit] = fields.as_slice() else {
        return Err(PkiError::MalformedCms(
            "ContentInfo must have two fields".into(),
        ));
    };
    let content_type: ObjectIdentifier = content_type.decode().map_err(m)?;
    if content_type != ID_SIGNED_DATA {
        return Err(PkiError::UnsupportedContentType(oid_name(&content_type)));
    }
    let signed_data = explicit
        .expect(context(0, true))
        .and_then(|t| Tlv::parse(t.value))
        .and_then(|t| t.expect(Tag::Sequence))
        .map_err(m)?;

    let fields = signed_data.children().map_err(m)?;
    let mut fields = fields.into_iter().peekable();
    take(&mut fields, Tag::Integer, "SignedData version")?;
    take(&mut fields, Tag::Set, "digestAlgorithms")?;
    let encap = take(&mut fields, Tag::Sequence, "encapContentInfo")?;
    let certificates = fields.next_if(|t| t.tag == context(0, true));
    let _crls = fields.next_if(|t| t.tag == context(1, true));
    let signer_infos = take(&mut fields, Tag::Set, "signerInfos")?;
    if fields.next().is_some() {
        return Err(PkiError::MalformedCms(
            "trailing fields in SignedData".into(),
        ));
    }

    let encap_fields = encap.children().map_err(m)?;
    let (econtent_type, econtent) = match encap_fields.as_slice() {
        [t] => (t, None),
        [t, c] => (t, Some(c)),
        _ => {
            return Err(PkiError::MalformedCms("malformed encapContentInfo".into()));
        }
    };
    let econtent_type: ObjectIdentifier = econtent_type.decode().map_err(m)?;
    if econtent_type != ID_DATA {
        return Err(PkiError::UnsupportedContentType(oid_name(&econtent_type)));
    }
    let Some(econtent) = econtent else {
        return Err(PkiError::DetachedContent);
    };
    let content = econtent
        .expect(context(0, true))
        .and_then(|t| Tlv::parse(t.value))
        .and_then(|t| t.expect(Tag::OctetString))
        .map_err(m)?
        .value;

    let certificates = match certificates {
        Some(set) => set.children().map_err(m)?,
        None => Vec::new(),
    };

    let signers = signer_infos.children().map_err(m)?;
    let signer = match signers.as_slice() {
        [] => return Err(PkiError::NoSigner),
        [one] => *one,
        many => return Err(PkiError::MultipleSigners(many.len())),
    };
    Ok(ParsedSignedData {
        econtent_type,
        content,
        certificates,
        signer,
    })
}

/// The next field, which must have tag `tag`.
fn take<'a>(
    fields: &mut impl Iterator<Item = Tlv<'a>>,
    tag: Tag,
    what: &str,
) -> Result<Tlv<'a>, PkiError> {
    fields
        .next()
        .ok_or_else(|| PkiError::MalformedCms(format!("{what} is missing")))?
        .expect(tag)
        .map_err(PkiError::malformed_cms)
}

struct ParsedSignerInfo<'a> {
    sid: Tlv<'a>,
    signed_attrs: Tlv<'a>,
    signature: &'a [u8],
}

/// SignerInfo fields, with the digest and signature algorithms checked.
fn parse_signer_info(signer: Tlv<'_>) -> Result<ParsedSignerInfo<'_>, PkiError> {
    let m = PkiError::malformed_cms;
    let fields = signer.expect(Tag::Sequence).map_err(m)?;
    let fields = fields.children().map_err(m)?;
    let mut fields = fields.into_iter().peekable();
    take(&mut fields, Tag::Integer, "SignerInfo version")?;
    let sid = fields
        .next()
        .ok_or_else(|| PkiError::MalformedCms("SignerInfo has no sid".into()))?;
    let digest_alg = take(&mut fields, Tag::Sequence, "digestAlgorithm")?;
    let signed_attrs = fields.next_if(|t| t.tag == context(0, true));
    let signature_alg = take(&mut fields, Tag::Sequence, "signatureAlgorithm")?;
    let signature = take(&mut fields, Tag::OctetString, "signature")?;
    let _unsigned = fields.next_if(|t| t.tag == context(1, true));
    if fields.next().is_some() {
        return Err(PkiError::MalformedCms(
            "trailing fields in SignerInfo".into(),
        ));
    }

    let digest_alg: AlgorithmIdentifierRef<'_> = digest_alg.decode().map_err(m)?;
    if digest_alg.oid != ID_SHA_256 || !absent_or_null(digest_alg.parameters) {
        return Err(PkiError::UnsupportedAlgorithm(format!(
            "digest {}",
            oid_name(&digest_alg.oid)
        )));
    }
    let signature_alg: AlgorithmIdentifierRef<'_> = signature_alg.decode().map_err(m)?;
    let signature_ok = match signature_alg.oid {
        ECDSA_WITH_SHA_256 => signature_alg.parameters.is_none(),
        ID_EC_PUBLIC_KEY => {
            absent_or_null(signature_alg.parameters)
                || signature_alg
                    .parameters
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                    == Some(SECP_256_R_1)
        }
        _ => false,
    };
    if !signature_ok {
        return Err(PkiError::UnsupportedAlgorithm(format!(
            "signature {}",
            oid_name(&signature_alg.oid)
        )));
    }

    let signed_attrs = signed_attrs.ok_or(PkiError::MissingSignedAttributes)?;
    Ok(ParsedSignerInfo {
        sid,
        signed_attrs,
        signature: signature.value,
    })
}

fn absent_or_null(parameters: Option<der::AnyRef<'_>>) -> bool {
    parameters.is_none_or(|p| p.is_null())
}

struct SignedAttributes {
    content_type: ObjectIdentifier,
    message_digest: Vec<u8>,
    signing_time: OffsetDateTime,
}

/// The three required signed attributes; each must appear once, with one value.
fn parse_signed_attributes(signed_attrs: Tlv<'_>) -> Result<SignedAttributes, PkiError> {
    let m = PkiError::malformed_cms;
    let attrs = signed_attrs.children().map_err(m)?;
    if attrs.is_empty() {
        return Err(PkiError::MissingSignedAttributes);
    }
    let mut content_type = None;
    let mut message_digest = None;
    let mut signing_time = None;
    for attr in &attrs {
        let attr: Attribute = attr.decode().map_err(m)?;
        let slot = match attr.oid {
            ID_CONTENT_TYPE => &mut content_type,
            ID_MESSAGE_DIGEST => &mut message_digest,
            ID_SIGNING_TIME => &mut signing_time,
            _ => continue,
        };
        let [value] = attr.values.as_slice() else {
            return Err(PkiError::MalformedCms(format!(
                "signed attribute {} must have exactly one value",
                oid_name(&attr.oid)
            )));
        };
        if slot.replace(value.clone()).is_some() {
            return Err(PkiError::MalformedCms(format!(
                "signed attribute {} appears twice",
                oid_name(&attr.oid)
            )));
        }
    }

    let content_type = content_type
        .ok_or(PkiError::MissingSignedAttribute("contentType"))?
        .decode_as::<ObjectIdentifier>()
        .map_err(m)?;
    let message_digest = message_digest.ok_or(PkiError::MissingSignedAttribute("messageDigest"))?;
    message_digest
        .tag()
        .assert_eq(Tag::OctetString)
        .map_err(m)?;
    let signing_time = signing_time.ok_or(PkiError::MissingSignedAttribute("signingTime"))?;
    let signing_time = Time::from_der(&signing_time.to_der().map_err(m)?).map_err(m)?;
    Ok(SignedAttributes {
        content_type,
        message_digest: message_digest.value().to_vec(),
        signing_time: times::from_asn1(signing_time)?,
    })
}

/// The certificate in `certificates` that the signer identifier names.
fn find_signer_certificate<'a>(
    certificates: &[Tlv<'a>],
    sid: Tlv<'a>,
) -> Result<CertificateDer<'a>, PkiError> {
    let m = PkiError::malformed_cms;
    let candidates = certificates.iter().filter(|c| c.tag == Tag::Sequence);
    let found = if sid.tag == Tag::Sequence {
        let fields = sid.children().map_err(m)?;
        let [issuer, serial] = fields.as_slice() else {
            return Err(PkiError::MalformedCms(
                "malformed IssuerAndSerialNumber".into(),
            ));
        };
        let issuer = issuer.expect(Tag::Sequence).map_err(m)?.value;
        let serial = serial.expect(Tag::Integer).map_err(m)?.value;
        candidates
            .filter(|c| issuer_and_serial(c) == Some((issuer, serial)))
            .map(|c| c.raw)
            .next()
    } else if sid.tag == context(0, false) {
        candidates
            .filter(|c| subject_key_id(c.raw).as_deref() == Some(sid.value))
            .map(|c| c.raw)
            .next()
    } else {
        return Err(PkiError::MalformedCms(
            "unknown SignerIdentifier choice".into(),
        ));
    };
    found
        .map(CertificateDer::from)
        .ok_or(PkiError::SignerCertificateMissing)
}

/// (issuer Name contents, serialNumber contents) of a certificate, without a full parse.
fn issuer_and_serial<'a>(cert: &Tlv<'a>) -> Option<(&'a [u8], &'a [u8])> {
    let fields = cert.children().ok()?;
    let tbs = fields.first()?.expect(Tag::Sequence).ok()?;
    let tbs_fields = tbs.children().ok()?;
    let mut it = tbs_fields
        .into_iter()
        .skip_while(|t| t.tag == context(0, true));
    let serial = it.next()?.expect(Tag::Integer).ok()?;
    let _signature = it.next()?;
    let issuer = it.next()?.expect(Tag::Sequence).ok()?;
    Some((issuer.value, serial.value))
}

fn subject_key_id(cert_der: &[u8]) -> Option<Vec<u8>> {
    let cert = Certificate::from_der(cert_der).ok()?;
    let (_, ski) = cert
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .ok()??;
    Some(ski.0.as_bytes().to_vec())
}
