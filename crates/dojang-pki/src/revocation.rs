//! Revocation, as independent tools check it: the CRL (RFC 5280 §5) and OCSP responses
//! (RFC 6960), both signed with the CA's own key (no delegated responder).
//!
//! The caller brings the revoked certificates (from its store) and every instant; nothing here
//! keeps state. OCSP requests are parsed with bounds-checked DER decoding and answered per
//! certificate: `good`, `revoked` (time and reason) or `unknown` (another issuer, or a serial
//! this CA never issued).

use const_oid::ObjectIdentifier;
use der::asn1::{Any, BitString, GeneralizedTime, Null, OctetString};
use der::{Decode, Encode, Sequence, TagMode, TagNumber, asn1::ContextSpecific};
use p256::ecdsa::DerSignature;
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::serial_number::SerialNumber;

use crate::{CertificateAuthority, PkiError, asn1, times};

/// ecdsa-with-SHA256.
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// id-pkix-ocsp-basic.
const OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce.
const OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-sha1, id-sha256, id-sha384, id-sha512: the CertID hashes answered.
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// Largest OCSP request accepted, in bytes (a request for one certificate is about 100).
pub const MAX_OCSP_REQUEST_LEN: usize = 8 * 1024;
/// Most certificates asked about in one OCSP request.
pub const MAX_OCSP_QUESTIONS: usize = 20;

/// Why a certificate was revoked (the RFC 5280 reason codes dojang uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    /// No reason given (the operator's revoke without `--reason`).
    Unspecified,
    /// The key may be in someone else's hands (lost phone, five wrong PINs).
    KeyCompromise,
    /// The holder's details changed (a legal name change).
    AffiliationChanged,
    /// Replaced by a newer certificate (re-issue, renewal).
    Superseded,
    /// No longer used (the holder gave it up).
    CessationOfOperation,
}

impl RevocationReason {
    /// The RFC 5280 `CRLReason` number.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::KeyCompromise => 1,
            Self::AffiliationChanged => 3,
            Self::Superseded => 4,
            Self::CessationOfOperation => 5,
        }
    }

    /// From the RFC 5280 number; `None` for one dojang does not use.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Unspecified,
            1 => Self::KeyCompromise,
            3 => Self::AffiliationChanged,
            4 => Self::Superseded,
            5 => Self::CessationOfOperation,
            _ => return None,
        })
    }

    /// The lower-case name openssl prints (`keyCompromise`, `superseded`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
        }
    }

    fn crl_reason(self) -> CrlReason {
        match self {
            Self::Unspecified => CrlReason::Unspecified,
            Self::KeyCompromise => CrlReason::KeyCompromise,
            Self::AffiliationChanged => CrlReason::AffiliationChanged,
            Self::Superseded => CrlReason::Superseded,
            Self::CessationOfOperation => CrlReason::CessationOfOperation,
        }
    }
}

/// A revoked certificate, as the CRL and OCSP name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// Lower-case hex serial ([`crate::certificate_serial_hex`]).
    pub serial_hex: String,
    /// When it stopped being good.
    pub revoked_at: OffsetDateTime,
    /// Why.
    pub reason: RevocationReason,
}

/// What the CA says about one certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertState {
    /// Issued here and not revoked.
    Good,
    /// Revoked at this time, for this reason.
    Revoked {
        /// When.
        at: OffsetDateTime,
        /// Why.
        reason: RevocationReason,
    },
    /// Not issued by this CA (or not known to it).
    Unknown,
}

/// An OCSP answer that is not a signed response (RFC 6960 `OCSPResponseStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcspFailure {
    /// The request could not be read.
    MalformedRequest = 1,
    /// The responder failed.
    InternalError = 2,
    /// Try again later.
    TryLater = 3,
    /// The request must be signed (never sent by dojang).
    SigRequired = 5,
    /// The responder is not authoritative for this request.
    Unauthorized = 6,
}

impl OcspFailure {
    /// The DER `OCSPResponse` carrying only this status (no signature, as RFC 6960 says).
    #[must_use]
    pub fn response(self) -> Vec<u8> {
        vec![0x30, 0x03, 0x0a, 0x01, self as u8]
    }
}

// --- RFC 6960 structures -------------------------------------------------------------------

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct CertId {
    hash_algorithm: AlgorithmIdentifierOwned,
    issuer_name_hash: OctetString,
    issuer_key_hash: OctetString,
    serial_number: SerialNumber,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OcspRequest {
    tbs_request: TbsRequest,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    optional_signature: Option<Any>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TbsRequest {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    version: Option<u8>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    requestor_name: Option<Any>,
    request_list: Vec<SingleRequest>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    request_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SingleRequest {
    req_cert: CertId,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    single_request_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OcspResponse {
    response_status: Any,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    response_bytes: Option<ResponseBytes>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct ResponseBytes {
    response_type: ObjectIdentifier,
    response: OctetString,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct BasicOcspResponse {
    tbs_response_data: ResponseData,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct ResponseData {
    /// `[2] EXPLICIT KeyHash` (byKey), kept as its encoding.
    responder_id: Any,
    produced_at: GeneralizedTime,
    responses: Vec<SingleResponse>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    response_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SingleResponse {
    cert_id: CertId,
    /// `good [0] IMPLICIT NULL | revoked [1] IMPLICIT RevokedInfo | unknown [2] IMPLICIT NULL`.
    cert_status: Any,
    this_update: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    next_update: Option<GeneralizedTime>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct RevokedInfo {
    revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    revocation_reason: Option<CrlReason>,
}

/// A parsed OCSP request: the certificates asked about, and the nonce to echo.
#[derive(Clone, Debug)]
pub struct OcspQuestions {
    ids: Vec<CertId>,
    nonce: Option<Extension>,
}

impl OcspQuestions {
    /// How many certificates are asked about.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none are.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// One certificate asked about: its serial, and whether the question names this CA as issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspQuestion {
    /// Lower-case hex serial.
    pub serial_hex: String,
    /// The CertID's issuer hashes are this CA's (otherwise the answer is `unknown`).
    pub ours: bool,
}

fn der_time(t: OffsetDateTime) -> Result<GeneralizedTime, PkiError> {
    let secs = u64::try_from(times::truncate(t).unix_timestamp())
        .map_err(|_| PkiError::encoding("time before 1970"))?;
    GeneralizedTime::from_unix_duration(core::time::Duration::from_secs(secs))
        .map_err(PkiError::encoding)
}

fn digest(alg: &ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    let which = match *alg {
        SHA1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        SHA256 => &ring::digest::SHA256,
        SHA384 => &ring::digest::SHA384,
        SHA512 => &ring::digest::SHA512,
        _ => return None,
    };
    Some(ring::digest::digest(which, data).as_ref().to_vec())
}

fn tagged<T: der::EncodeValue + der::Tagged>(
    number: u8,
    mode: TagMode,
    value: T,
) -> Result<Any, PkiError> {
    let der = ContextSpecific {
        tag_number: TagNumber(number.into()),
        tag_mode: mode,
        value,
    }
    .to_der()
    .map_err(PkiError::encoding)?;
    Any::from_der(&der).map_err(PkiError::encoding)
}

impl CertificateAuthority {
    fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        }
    }

    fn sign_der(&self, tbs: &[u8]) -> Result<BitString, PkiError> {
        let sig: DerSignature = self.sign(tbs)?;
        BitString::from_bytes(sig.as_bytes()).map_err(PkiError::encoding)
    }

    /// The CRL: every revoked certificate with its time and reason (omitted when
    /// unspecified), `thisUpdate`, `nextUpdate`, the CA's key identifier and `number` (which
    /// must grow with every CRL; seconds since 1970 of `this_update` do). DER.
    pub fn crl(
        &self,
        revoked: &[Revoked],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        number: u64,
    ) -> Result<Vec<u8>, PkiError> {
        let issuer = self.subject_name().clone();
        let mut entries = Vec::with_capacity(revoked.len());
        for r in revoked {
            let serial = hex::decode(&r.serial_hex)
                .map_err(|_| PkiError::encoding("revoked serial is not hex"))?;
            let serial: SerialNumber = SerialNumber::new(&serial).map_err(PkiError::encoding)?;
            let extensions = if r.reason == RevocationReason::Unspecified {
                None
            } else {
                Some(vec![
                    r.reason
                        .crl_reason()
                        .to_extension(&issuer, &[])
                        .map_err(PkiError::encoding)?,
                ])
            };
            entries.push(RevokedCert {
                serial_number: serial,
                revocation_date: times::to_asn1(r.revoked_at, "revocation time")?,
                crl_entry_extensions: extensions,
            });
        }
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(self.key_id()).map_err(PkiError::encoding)?),
            ..Default::default()
        };
        let mut extensions = vec![aki.to_extension(&issuer, &[]).map_err(PkiError::encoding)?];
        let number = CrlNumber::try_from(number).map_err(PkiError::encoding)?;
        extensions.push(
            number
                .to_extension(&issuer, &extensions)
                .map_err(PkiError::encoding)?,
        );
        let tbs = TbsCertList {
            version: x509_cert::Version::V2,
            signature: Self::ecdsa_sha256(),
            issuer,
            this_update: times::to_asn1(this_update, "thisUpdate")?,
            next_update: Some(times::to_asn1(next_update, "nextUpdate")?),
            revoked_certificates: (!entries.is_empty()).then_some(entries),
            crl_extensions: Some(extensions),
        };
        let tbs_der = tbs.to_der().map_err(PkiError::encoding)?;
        let crl = CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: Self::ecdsa_sha256(),
            signature: self.sign_der(&tbs_der)?,
        };
        crl.to_der().map_err(PkiError::encoding)
    }

    /// Reads an OCSP request (DER): at most [`MAX_OCSP_QUESTIONS`] certificates, each checked
    /// against this CA's name and key hashes. A malformed, empty or oversized request is
    /// [`PkiError::MalformedOcspRequest`] (answer [`OcspFailure::MalformedRequest`]).
    pub fn ocsp_questions(
        &self,
        der: &[u8],
    ) -> Result<(OcspQuestions, Vec<OcspQuestion>), PkiError> {
        let bad = |why: &str| PkiError::MalformedOcspRequest(why.to_owned());
        if der.len() > MAX_OCSP_REQUEST_LEN {
            return Err(bad("too large"));
        }
        let req = OcspRequest::from_der(der).map_err(|e| bad(&e.to_string()))?;
        let tbs = req.tbs_request;
        if tbs.version.is_some_and(|v| v != 0) {
            return Err(bad("unknown version"));
        }
        if tbs.request_list.is_empty() || tbs.request_list.len() > MAX_OCSP_QUESTIONS {
            return Err(bad("1 to 20 certificates per request"));
        }
        let nonce = tbs
            .request_extensions
            .unwrap_or_default()
            .into_iter()
            .find(|e| e.extn_id == OCSP_NONCE);
        if nonce
            .as_ref()
            .is_some_and(|n| n.extn_value.as_bytes().len() > 128)
        {
            return Err(bad("nonce too long"));
        }
        let name_der = self.subject_name().to_der().map_err(PkiError::encoding)?;
        let key_bits = self.public_key_bits();
        let mut ids = Vec::with_capacity(tbs.request_list.len());
        let mut questions = Vec::with_capacity(tbs.request_list.len());
        for single in tbs.request_list {
            let id = single.req_cert;
            let alg = &id.hash_algorithm.oid;
            let ours = digest(alg, &name_der).is_some_and(|h| h == id.issuer_name_hash.as_bytes())
                && digest(alg, key_bits).is_some_and(|h| h == id.issuer_key_hash.as_bytes());
            questions.push(OcspQuestion {
                serial_hex: asn1::integer_hex(id.serial_number.as_bytes()),
                ours,
            });
            ids.push(id);
        }
        Ok((OcspQuestions { ids, nonce }, questions))
    }

    /// The signed OCSP response (DER) to `questions`, one state per question in order, with
    /// `producedAt` and `thisUpdate` = `now`, `nextUpdate` = `next_update`, the responder named
    /// by the CA's key hash, and the request's nonce echoed.
    pub fn ocsp_response(
        &self,
        questions: &OcspQuestions,
        states: &[CertState],
        now: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<Vec<u8>, PkiError> {
        if states.len() != questions.ids.len() {
            return Err(PkiError::encoding("one state per question"));
        }
        let this_update = der_time(now)?;
        let next = der_time(next_update)?;
        let mut responses = Vec::with_capacity(states.len());
        for (id, state) in questions.ids.iter().zip(states) {
            let cert_status = match state {
                CertState::Good => tagged(0, TagMode::Implicit, Null)?,
                CertState::Revoked { at, reason } => tagged(
                    1,
                    TagMode::Implicit,
                    RevokedInfo {
                        revocation_time: der_time(*at)?,
                        revocation_reason: (*reason != RevocationReason::Unspecified)
                            .then(|| reason.crl_reason()),
                    },
                )?,
                CertState::Unknown => tagged(2, TagMode::Implicit, Null)?,
            };
            responses.push(SingleResponse {
                cert_id: id.clone(),
                cert_status,
                this_update,
                next_update: Some(next),
            });
        }
        let key_hash = OctetString::new(
            ring::digest::digest(
                &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
                self.public_key_bits(),
            )
            .as_ref(),
        )
        .map_err(PkiError::encoding)?;
        let data = ResponseData {
            responder_id: tagged(2, TagMode::Explicit, key_hash)?,
            produced_at: this_update,
            responses,
            response_extensions: questions.nonce.clone().map(|n| vec![n]),
        };
        let data_der = data.to_der().map_err(PkiError::encoding)?;
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: Self::ecdsa_sha256(),
            signature: self.sign_der(&data_der)?,
        };
        let response = OcspResponse {
            response_status: Any::from_der(&[0x0a, 0x01, 0x00]).map_err(PkiError::encoding)?,
            response_bytes: Some(ResponseBytes {
                response_type: OCSP_BASIC,
                response: OctetString::new(basic.to_der().map_err(PkiError::encoding)?)
                    .map_err(PkiError::encoding)?,
            }),
        };
        response.to_der().map_err(PkiError::encoding)
    }

    /// A signed OCSP response about one certificate this CA issued, without a request (the
    /// evidence a verify result carries): CertID with SHA-1, as `openssl ocsp` asks by default.
    pub fn ocsp_response_for(
        &self,
        certificate_der: &[u8],
        state: CertState,
        now: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<Vec<u8>, PkiError> {
        let cert = Certificate::from_der(certificate_der)
            .map_err(|e| PkiError::MalformedCertificate(e.to_string()))?;
        let name_der = self.subject_name().to_der().map_err(PkiError::encoding)?;
        let hash = |data: &[u8]| {
            OctetString::new(
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref(),
            )
            .map_err(PkiError::encoding)
        };
        let id = CertId {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: SHA1,
                parameters: Some(Any::from(Null)),
            },
            issuer_name_hash: hash(&name_der)?,
            issuer_key_hash: hash(self.public_key_bits())?,
            serial_number: cert.tbs_certificate().serial_number().clone(),
        };
        let questions = OcspQuestions {
            ids: vec![id],
            nonce: None,
        };
        self.ocsp_response(&questions, &[state], now, next_update)
    }
}

/// The DER request of a `GET /pki/ocsp/{request}` path segment (already percent-decoded, as
/// the router does): base64, standard as RFC 6960 appendix A.1 says, URL-safe with or without
/// padding also accepted. A `/` is a base64 digit, so the segment is read as it is first, and
/// only then without leading and trailing `/` (clients that write `ocsp//…` or end with `/`).
/// `None` when it does not decode or decodes to more than [`MAX_OCSP_REQUEST_LEN`] bytes
/// (answer `malformedRequest`).
pub fn ocsp_get_request(segment: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    let decode = |text: &str| {
        if text.len() > MAX_OCSP_REQUEST_LEN.saturating_mul(4) / 3 + 4 {
            return None;
        }
        STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .or_else(|_| URL_SAFE_NO_PAD.decode(text))
            .ok()
            .filter(|der| der.len() <= MAX_OCSP_REQUEST_LEN)
    };
    // Found by fuzzing: trimming `/` first refused every request whose base64 ends in `/`
    // (one in 64 of those whose length is a multiple of 3).
    [
        segment,
        segment.trim_start_matches('/'),
        segment.trim_matches('/'),
    ]
    .into_iter()
    .find_map(decode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    #[test]
    fn the_get_form_decodes_standard_and_url_safe_base64_within_the_limit() {
        let der = [0x30, 0x03, 0xfb, 0xff, 0xfe];
        assert_eq!(ocsp_get_request(&STANDARD.encode(der)), Some(der.to_vec()));
        assert_eq!(
            ocsp_get_request(&format!("/{}/", STANDARD.encode(der))),
            Some(der.to_vec())
        );
        assert_eq!(
            ocsp_get_request(&URL_SAFE_NO_PAD.encode(der)),
            Some(der.to_vec())
        );
        assert_eq!(ocsp_get_request("not base64!"), None);
        // Found by the `ocsp` fuzz target: a request whose base64 ends in `/`.
        assert_eq!(STANDARD.encode([0x30, 0x03, 0xff]), "MAP/");
        assert_eq!(ocsp_get_request("MAP/"), Some(vec![0x30, 0x03, 0xff]));
        assert_eq!(ocsp_get_request("/MAP/"), Some(vec![0x30, 0x03, 0xff]));
        let big = vec![0u8; MAX_OCSP_REQUEST_LEN + 1];
        assert_eq!(ocsp_get_request(&STANDARD.encode(&big)), None);
        let max = vec![0u8; MAX_OCSP_REQUEST_LEN];
        assert_eq!(ocsp_get_request(&STANDARD.encode(&max)), Some(max));
    }
}
