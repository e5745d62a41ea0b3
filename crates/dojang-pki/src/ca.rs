//! dojang's own certificate authority: the self-signed P-256 root and the end-entity profile
//! it issues to authenticator devices.

use core::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc4519::{COMMON_NAME, COUNTRY_NAME, ORGANIZATION_NAME, SERIAL_NUMBER};
use const_oid::db::rfc5280::{ID_AD_CA_ISSUERS, ID_AD_OCSP};
use der::{
    Decode, Encode,
    asn1::{Ia5String, OctetString},
    pem::LineEnding,
    referenced::OwnedToRef,
};
use std::sync::Arc;

use p256::{
    ecdsa::{DerSignature, SigningKey, VerifyingKey},
    elliptic_curve::Generate,
    pkcs8::{DecodePrivateKey, EncodePrivateKey},
};
use rand::Rng;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_cert::{
    Certificate,
    attr::AttributeTypeAndValue,
    builder::{Builder, CertificateBuilder, profile::BuilderProfile, profile::cabf},
    certificate::TbsCertificate,
    ext::{
        Extension, ToExtension,
        pkix::{
            AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
            CertificatePolicies, CrlDistributionPoints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
            certpolicy::PolicyInformation,
            crl::dp::DistributionPoint,
            name::{DistributionPointName, GeneralName},
        },
    },
    name::Name,
    serial_number::SerialNumber,
    spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef},
    time::Validity,
};
use zeroize::Zeroizing;

use crate::{
    CheckedCsr, PkiError,
    asn1::integer_hex,
    key,
    name::{self, Kind},
    times,
};

/// Upper bound of a CN, O or serialNumber value in characters (RFC 5280 ub-common-name etc.).
const MAX_NAME_CHARS: usize = 64;

/// The certificate policy of dojang's end-entity certificates, as a string (docs/pki.md says
/// what it promises). It lies under `1.2.840.113556.1.8000.2554`, the arc Microsoft documents
/// for anyone to mint OIDs from a GUID without registration (the GUID's parts become arcs, each
/// under 32 bits, which every decoder accepts — unlike a `2.25.<UUID>` OID, whose 128-bit arc
/// pkilint and others refuse); GUID 70139ea2-7955-44d5-b632-64fabc0b297a.
pub const POLICY_OID: &str =
    "1.2.840.113556.1.8000.2554.28691.40610.31061.17621.46642.6617788.731514";

const POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap(POLICY_OID);

/// The certificate policy of the test console's sandbox certificates (docs/pki.md): made by a
/// virtual authenticator for a person nobody checked, accepted only by relying parties marked
/// as test parties. Under the same arc as [`POLICY_OID`], from its own GUID
/// (327b5455-7268-4451-a3b5-6e2bc948a7b6), so no prefix of one is the other.
pub const SANDBOX_POLICY_OID: &str =
    "1.2.840.113556.1.8000.2554.12923.21589.29288.17489.41909.7220169.4761526";

const SANDBOX_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap(SANDBOX_POLICY_OID);

/// The certificate policy of dojang's cloud certificates (issue 15, docs/pki.md): the key is
/// P-256, generated inside dojang's PKCS#11 token and never exported; the holder uses it from
/// registered browsers with a PIN that the server checks. Under the same arc as [`POLICY_OID`],
/// from its own GUID (c9de12fd-3f1a-4396-98c2-eaeafa05f4f2).
pub const CLOUD_POLICY_OID: &str =
    "1.2.840.113556.1.8000.2554.51678.4861.16154.17302.39106.15395578.390386";

const CLOUD_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap(CLOUD_POLICY_OID);

/// Whether a certificate (DER) carries the cloud policy. `false` for anything that does not
/// parse.
#[must_use]
pub fn is_cloud_certificate(der: &[u8]) -> bool {
    let Ok(cert) = Certificate::from_der(der) else {
        return false;
    };
    match cert
        .tbs_certificate()
        .get_extension::<CertificatePolicies>()
    {
        Ok(Some((_, policies))) => policies
            .0
            .iter()
            .any(|p| p.policy_identifier == CLOUD_POLICY),
        _ => false,
    }
}

/// The root profile of the sandbox CA: a subject that says what it is wherever it is shown.
#[must_use]
pub fn sandbox_profile(country: &str) -> CaProfile {
    CaProfile {
        common_name: "dojang SANDBOX CA - NOT FOR PRODUCTION".to_owned(),
        organization: "dojang SANDBOX - NOT FOR PRODUCTION".to_owned(),
        country: country.to_owned(),
        validity_years: 20,
    }
}

/// Whether a certificate (DER) carries the sandbox policy. `false` for anything that does not
/// parse: the caller refuses it on other grounds.
#[must_use]
pub fn is_sandbox_certificate(der: &[u8]) -> bool {
    let Ok(cert) = Certificate::from_der(der) else {
        return false;
    };
    match cert
        .tbs_certificate()
        .get_extension::<CertificatePolicies>()
    {
        Ok(Some((_, policies))) => policies
            .0
            .iter()
            .any(|p| p.policy_identifier == SANDBOX_POLICY),
        _ => false,
    }
}

/// Where relying parties fetch revocation data and the CA certificate: written into every
/// end-entity certificate (CRL distribution point; authority information access with OCSP
/// and caIssuers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicationUrls {
    /// The CRL (`…/pki/crl`).
    pub crl: String,
    /// The OCSP responder (`…/pki/ocsp`).
    pub ocsp: String,
    /// The CA certificate, DER (`…/pki/ca.crt`).
    pub ca_issuers: String,
}

/// What the root certificate says about the CA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaProfile {
    /// Subject CN of the root.
    pub common_name: String,
    /// Subject O of the root, copied into every issued certificate.
    pub organization: String,
    /// Subject C of the root (two upper-case letters), copied into every issued certificate.
    pub country: String,
    /// Validity of the root in calendar years from `now`.
    pub validity_years: u32,
}

impl Default for CaProfile {
    fn default() -> Self {
        Self {
            common_name: "dojang Root CA".to_owned(),
            organization: "dojang".to_owned(),
            country: "KR".to_owned(),
            validity_years: 20,
        }
    }
}

impl CaProfile {
    fn check(&self) -> Result<(), PkiError> {
        if !is_display_text(&self.common_name) {
            return Err(PkiError::InvalidProfile(
                "common_name must be 1 to 64 characters without control characters",
            ));
        }
        if !is_display_text(&self.organization) {
            return Err(PkiError::InvalidProfile(
                "organization must be 1 to 64 characters without control characters",
            ));
        }
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PkiError::InvalidProfile(
                "country must be two upper-case letters",
            ));
        }
        if self.validity_years == 0 {
            return Err(PkiError::InvalidProfile(
                "validity_years must be at least 1",
            ));
        }
        Ok(())
    }
}

/// What to put into an end-entity certificate.
#[derive(Clone, Copy, Debug)]
pub struct IssueRequest<'a> {
    /// The checked CSR whose public key is certified.
    pub csr: &'a CheckedCsr,
    /// The holder's display name, the subject CN (UTF8String; e.g. 홍길동).
    pub holder_name: &'a str,
    /// The opaque member id, the subject serialNumber (PrintableString; e.g. a UUID).
    pub holder_id: &'a str,
    /// Start of validity (truncated to whole seconds).
    pub not_before: OffsetDateTime,
    /// End of validity (truncated to whole seconds); at most the CA's own not_after.
    pub not_after: OffsetDateTime,
}

/// What to put into a cloud certificate: like [`IssueRequest`], for a key the server's token
/// holds (no CSR: the key never left the token, and the token is dojang's own).
#[derive(Clone, Copy, Debug)]
pub struct CloudIssueRequest<'a> {
    /// The token key's public half.
    pub public_key: &'a VerifyingKey,
    /// The holder's display name, the subject CN.
    pub holder_name: &'a str,
    /// The opaque member id, the subject serialNumber.
    pub holder_id: &'a str,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity; at most the CA's own not_after.
    pub not_after: OffsetDateTime,
}

/// A certificate the CA issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// Lower-case hex of the (positive) serial number, without a leading `00`.
    pub serial_hex: String,
    /// Start of validity as written in the certificate.
    pub not_before: OffsetDateTime,
    /// End of validity as written in the certificate.
    pub not_after: OffsetDateTime,
}

/// The CA: its P-256 key and self-signed root certificate. `Debug` never prints the key.
pub struct CertificateAuthority {
    key: CaKey,
    cert_der: Vec<u8>,
    subject: Name,
    /// C and O of the CA subject, copied verbatim into end-entity subjects.
    ee_name_prefix: Vec<AttributeTypeAndValue>,
    key_id: Vec<u8>,
    /// The subjectPublicKey bits (what OCSP's issuerKeyHash hashes).
    public_key_bits: Vec<u8>,
    serial_hex: String,
    not_after: OffsetDateTime,
    urls: Option<PublicationUrls>,
    /// The policy written into issued certificates: [`POLICY_OID`], or [`SANDBOX_POLICY_OID`].
    policy: ObjectIdentifier,
}

impl fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("subject", &self.subject.to_string())
            .field("serial", &self.serial_hex)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// A new P-256 key and self-signed root certificate valid from `now` for
    /// `profile.validity_years` years: subject `C, O, CN`, BasicConstraints CA:TRUE
    /// (critical), KeyUsage keyCertSign, cRLSign and digitalSignature (critical), SKI and AKI,
    /// a positive 16-byte random serial, ecdsa-with-SHA256.
    pub fn generate(profile: &CaProfile, now: OffsetDateTime) -> Result<Self, PkiError> {
        let key = SigningKey::generate_from_rng(&mut rand::rng());
        Self::generate_with(profile, now, CaKey::file(key)?)
    }

    /// As [`CertificateAuthority::generate`], signed by a key held elsewhere (a PKCS#11 token:
    /// `dojang_hsm::HsmKey`), which the CA never sees. [`CertificateAuthority::private_key_pem`]
    /// is then `None`.
    pub fn generate_external(
        profile: &CaProfile,
        now: OffsetDateTime,
        key: Arc<dyn CaSigner>,
    ) -> Result<Self, PkiError> {
        Self::generate_with(profile, now, CaKey::External(key))
    }

    fn generate_with(
        profile: &CaProfile,
        now: OffsetDateTime,
        key: CaKey,
    ) -> Result<Self, PkiError> {
        profile.check()?;
        let subject = name::build(&[
            (COUNTRY_NAME, Kind::Printable, &profile.country),
            (ORGANIZATION_NAME, Kind::Utf8, &profile.organization),
            (COMMON_NAME, Kind::Utf8, &profile.common_name),
        ])
        .map_err(PkiError::encoding)?;
        // `emits_ocsp_response` adds digitalSignature, which OCSP and CRL signing want.
        let root = cabf::Root::new(true, subject).map_err(PkiError::encoding)?;
        let not_before = times::truncate(now);
        let not_after = times::add_years(not_before, profile.validity_years)?;
        let validity = Validity::new(
            times::to_asn1(not_before, "the CA's not_before")?,
            times::to_asn1(not_after, "the CA's not_after")?,
        );
        let spki = SubjectPublicKeyInfoOwned::from_key(&key.verifying_key())
            .map_err(PkiError::encoding)?;
        let (serial, _) = random_serial()?;
        let cert = CertificateBuilder::new(root, serial, validity, spki)
            .map_err(PkiError::encoding)?
            .build::<_, DerSignature>(&key)
            .map_err(PkiError::encoding)?;
        let der = cert.to_der().map_err(PkiError::encoding)?;
        Self::assemble(key, &cert, der)
    }

    /// Loads the CA from the PEM certificate and unencrypted PKCS#8 PEM key written earlier by
    /// [`CertificateAuthority::certificate_pem`] and [`CertificateAuthority::private_key_pem`].
    /// Fails with [`PkiError::KeyMismatch`] if the key is not the certificate's.
    pub fn from_pem(cert_pem: &str, key_pkcs8_pem: &str) -> Result<Self, PkiError> {
        let der = pem_certificate(cert_pem)?;
        let cert = Certificate::from_der(&der)
            .map_err(|e| PkiError::MalformedCertificate(e.to_string()))?;
        let key = SigningKey::from_pkcs8_pem(key_pkcs8_pem)
            .map_err(|e| PkiError::MalformedKey(e.to_string()))?;
        Self::assemble(CaKey::file(key)?, &cert, der)
    }

    /// Loads the CA from its PEM certificate, signing with a key held elsewhere (a PKCS#11
    /// token). Fails with [`PkiError::KeyMismatch`] if the key is not the certificate's.
    pub fn from_pem_external(cert_pem: &str, key: Arc<dyn CaSigner>) -> Result<Self, PkiError> {
        let der = pem_certificate(cert_pem)?;
        let cert = Certificate::from_der(&der)
            .map_err(|e| PkiError::MalformedCertificate(e.to_string()))?;
        Self::assemble(CaKey::External(key), &cert, der)
    }

    fn assemble(key: CaKey, cert: &Certificate, der: Vec<u8>) -> Result<Self, PkiError> {
        let tbs = cert.tbs_certificate();
        let cert_spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(PkiError::encoding)?;
        if key::verifying_spki_der(&key.verifying_key())? != cert_spki {
            return Err(PkiError::KeyMismatch);
        }
        require_ca(cert)?;
        webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
            .map_err(|e| PkiError::InvalidCaCertificate(e.to_string()))?;
        let key_id = match tbs.get_extension::<SubjectKeyIdentifier>() {
            Ok(Some((_, ski))) => ski.0.as_bytes().to_vec(),
            _ => SubjectKeyIdentifier::try_from(tbs.subject_public_key_info().owned_to_ref())
                .map_err(PkiError::encoding)?
                .0
                .as_bytes()
                .to_vec(),
        };
        let public_key_bits = tbs
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes()
            .to_vec();
        let subject = tbs.subject().clone();
        let ee_name_prefix = subject
            .iter()
            .filter(|atv| atv.oid == COUNTRY_NAME || atv.oid == ORGANIZATION_NAME)
            .cloned()
            .collect();
        Ok(Self {
            key,
            serial_hex: integer_hex(tbs.serial_number().as_bytes()),
            not_after: times::from_asn1(tbs.validity().not_after)?,
            cert_der: der,
            subject,
            ee_name_prefix,
            key_id,
            public_key_bits,
            urls: None,
            policy: POLICY,
        })
    }

    /// Write these URLs into the certificates issued from now on.
    #[must_use]
    pub fn with_urls(mut self, urls: PublicationUrls) -> Self {
        self.urls = Some(urls);
        self
    }

    /// ECDSA P-256 with SHA-256 over `message`, by whichever key the CA has.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<DerSignature, PkiError> {
        signature::Signer::try_sign(&self.key, message).map_err(PkiError::encoding)
    }

    /// Where the CA's key is: `"file"` or the external key's description.
    #[must_use]
    pub fn key_location(&self) -> String {
        match &self.key {
            CaKey::File { .. } => "file".to_owned(),
            CaKey::External(k) => format!("{k:?}"),
        }
    }

    /// Issue sandbox certificates: the sandbox policy instead of dojang's.
    #[must_use]
    pub fn for_sandbox(mut self) -> Self {
        self.policy = SANDBOX_POLICY;
        self
    }

    pub(crate) fn subject_name(&self) -> &Name {
        &self.subject
    }

    pub(crate) fn key_id(&self) -> &[u8] {
        &self.key_id
    }

    pub(crate) fn public_key_bits(&self) -> &[u8] {
        &self.public_key_bits
    }

    /// Whether the CA can sign now: its key signs a fresh challenge (on the token, for a key
    /// held there) and the signature verifies under the certificate's public key, and the
    /// certificate has not expired. `/readyz` asks this.
    pub fn self_test(&self, now: OffsetDateTime) -> Result<(), PkiError> {
        use signature::{Signer as _, Verifier as _};
        if now >= self.not_after {
            return Err(PkiError::CertificateExpired);
        }
        let mut challenge = [0u8; 32];
        rand::rng().fill_bytes(&mut challenge);
        let sig: DerSignature = self
            .key
            .try_sign(&challenge)
            .map_err(|e| PkiError::Encoding(format!("the CA key cannot sign: {e}")))?;
        let public = VerifyingKey::from_sec1_bytes(&self.public_key_bits)
            .map_err(|e| PkiError::InvalidCaCertificate(e.to_string()))?;
        public
            .verify(&challenge, &sig)
            .map_err(|_| PkiError::KeyMismatch)
    }

    /// The root certificate, DER.
    #[must_use]
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The root certificate, PEM.
    #[must_use]
    pub fn certificate_pem(&self) -> String {
        crate::certificate_pem(&self.cert_der)
    }

    /// The CA key as unencrypted PKCS#8 PEM ("PRIVATE KEY"), if it is a file key; `None`
    /// when the key is held elsewhere (a PKCS#11 token), which never gives it out.
    #[must_use]
    pub fn private_key_pem(&self) -> Option<Zeroizing<String>> {
        match &self.key {
            CaKey::File { pem, .. } => Some(pem.clone()),
            CaKey::External(_) => None,
        }
    }

    /// End of the root's validity.
    #[must_use]
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Issues an end-entity certificate for a checked CSR.
    ///
    /// Subject `C, O` (from the CA), `CN=<holder_name>` (UTF8String),
    /// `serialNumber=<holder_id>` (PrintableString); issuer the CA subject; a positive 16-byte
    /// random serial; BasicConstraints CA:FALSE and KeyUsage digitalSignature +
    /// nonRepudiation, both critical; SKI; AKI = the CA's SKI; no EKU.
    pub fn issue(&self, req: &IssueRequest<'_>) -> Result<IssuedCertificate, PkiError> {
        self.issue_for(
            req.csr.spki().clone(),
            req.holder_name,
            req.holder_id,
            req.not_before,
            req.not_after,
            self.policy,
        )
    }

    /// Issues a cloud certificate (the same profile as [`Self::issue`], with
    /// [`CLOUD_POLICY_OID`]) for a P-256 key held by the server's token.
    pub fn issue_cloud(&self, req: &CloudIssueRequest<'_>) -> Result<IssuedCertificate, PkiError> {
        let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_key(req.public_key)
            .map_err(PkiError::encoding)?;
        self.issue_for(
            spki,
            req.holder_name,
            req.holder_id,
            req.not_before,
            req.not_after,
            CLOUD_POLICY,
        )
    }

    fn issue_for(
        &self,
        spki: x509_cert::spki::SubjectPublicKeyInfoOwned,
        holder_name: &str,
        holder_id: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        policy: ObjectIdentifier,
    ) -> Result<IssuedCertificate, PkiError> {
        let req = IssueFields {
            holder_name,
            holder_id,
            not_before,
            not_after,
        };
        if !is_display_text(req.holder_name) {
            return Err(PkiError::InvalidHolderName);
        }
        if req.holder_id.is_empty()
            || req.holder_id.len() > MAX_NAME_CHARS
            || !name::is_printable(req.holder_id)
        {
            return Err(PkiError::InvalidHolderId);
        }
        let not_before = times::truncate(req.not_before);
        let not_after = times::truncate(req.not_after);
        if not_before >= not_after {
            return Err(PkiError::InvalidValidity(
                "not_before must be before not_after",
            ));
        }
        if not_after > self.not_after {
            return Err(PkiError::InvalidValidity(
                "the certificate would outlive the CA",
            ));
        }
        let validity = Validity::new(
            times::to_asn1(not_before, "not_before")?,
            times::to_asn1(not_after, "not_after")?,
        );
        let subject = name::build_after(
            &self.ee_name_prefix,
            &[
                (COMMON_NAME, Kind::Utf8, req.holder_name),
                (SERIAL_NUMBER, Kind::Printable, req.holder_id),
            ],
        )
        .map_err(PkiError::encoding)?;
        let profile = EndEntityProfile {
            issuer: self.subject.clone(),
            subject,
            authority_key_id: &self.key_id,
            urls: self.urls.as_ref(),
            policy,
        };
        let (serial, serial_hex) = random_serial()?;
        let cert = CertificateBuilder::new(profile, serial, validity, spki)
            .map_err(PkiError::encoding)?
            .build::<_, DerSignature>(&self.key)
            .map_err(PkiError::encoding)?;
        Ok(IssuedCertificate {
            der: cert.to_der().map_err(PkiError::encoding)?,
            serial_hex,
            not_before,
            not_after,
        })
    }
}

/// The fields [`CertificateAuthority::issue_for`] checks.
struct IssueFields<'a> {
    holder_name: &'a str,
    holder_id: &'a str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

/// The DER of a PEM "CERTIFICATE".
fn pem_certificate(cert_pem: &str) -> Result<Vec<u8>, PkiError> {
    let (label, der) = der::pem::decode_vec(cert_pem.as_bytes())
        .map_err(|e| PkiError::MalformedCertificate(e.to_string()))?;
    if label != "CERTIFICATE" {
        return Err(PkiError::MalformedCertificate(format!(
            "PEM label {label}, expected CERTIFICATE"
        )));
    }
    Ok(der)
}

/// A P-256 key held outside this process's memory that signs ECDSA with SHA-256 for the CA:
/// anything that is a [`signature::Signer`] of DER signatures and a [`signature::Keypair`]
/// with a P-256 verifying key (`dojang_hsm::HsmKey` is one). The CA checks it matches the
/// certificate and never asks for the key itself.
pub trait CaSigner: signature::Signer<DerSignature> + Send + Sync + fmt::Debug {
    /// The public half.
    fn public_key(&self) -> VerifyingKey;
}

impl<T> CaSigner for T
where
    T: signature::Signer<DerSignature>
        + signature::Keypair<VerifyingKey = VerifyingKey>
        + Send
        + Sync
        + fmt::Debug,
{
    fn public_key(&self) -> VerifyingKey {
        self.verifying_key()
    }
}

/// The CA's key: in memory (loaded from the 0600 key file, or new), or external.
#[derive(Clone)]
enum CaKey {
    File {
        key: SigningKey,
        pem: Zeroizing<String>,
    },
    External(Arc<dyn CaSigner>),
}

impl CaKey {
    fn file(key: SigningKey) -> Result<Self, PkiError> {
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(PkiError::encoding)?;
        Ok(Self::File { key, pem })
    }

    fn verifying_key(&self) -> VerifyingKey {
        match self {
            Self::File { key, .. } => *key.verifying_key(),
            Self::External(k) => k.public_key(),
        }
    }
}

impl signature::Keypair for CaKey {
    type VerifyingKey = VerifyingKey;
    fn verifying_key(&self) -> VerifyingKey {
        CaKey::verifying_key(self)
    }
}

impl signature::Signer<DerSignature> for CaKey {
    fn try_sign(&self, msg: &[u8]) -> Result<DerSignature, signature::Error> {
        match self {
            Self::File { key, .. } => key.try_sign(msg),
            Self::External(k) => k.try_sign(msg),
        }
    }
}

impl spki::DynSignatureAlgorithmIdentifier for CaKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<spki::AlgorithmIdentifierOwned> {
        Ok(spki::AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        })
    }
}

/// Errors unless `cert` has basicConstraints CA:TRUE.
pub(crate) fn require_ca(cert: &Certificate) -> Result<(), PkiError> {
    match cert.tbs_certificate().get_extension::<BasicConstraints>() {
        Ok(Some((_, bc))) if bc.ca => Ok(()),
        _ => Err(PkiError::InvalidCaCertificate(
            "no basicConstraints CA:TRUE".into(),
        )),
    }
}

/// The end-entity profile (like a Korean NPKI user certificate: no EKU).
struct EndEntityProfile<'a> {
    issuer: Name,
    subject: Name,
    authority_key_id: &'a [u8],
    urls: Option<&'a PublicationUrls>,
    policy: ObjectIdentifier,
}

impl BuilderProfile for EndEntityProfile<'_> {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut extensions = Vec::with_capacity(4);
        let basic = BasicConstraints {
            ca: false,
            path_len_constraint: None,
        };
        extensions.push(basic.to_extension(subject, &extensions)?);
        let usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation);
        extensions.push(usage.to_extension(subject, &extensions)?);
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        extensions.push(ski.to_extension(subject, &extensions)?);
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(self.authority_key_id)?),
            ..Default::default()
        };
        extensions.push(aki.to_extension(subject, &extensions)?);
        let policy = CertificatePolicies(vec![PolicyInformation {
            policy_identifier: self.policy,
            policy_qualifiers: None,
        }]);
        extensions.push(policy.to_extension(subject, &extensions)?);
        if let Some(urls) = self.urls {
            let uri = |s: &str| -> x509_cert::builder::Result<GeneralName> {
                Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(s)?))
            };
            let crl = CrlDistributionPoints(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![uri(&urls.crl)?])),
                reasons: None,
                crl_issuer: None,
            }]);
            extensions.push(crl.to_extension(subject, &extensions)?);
            let aia = AuthorityInfoAccessSyntax(vec![
                AccessDescription {
                    access_method: ID_AD_OCSP,
                    access_location: uri(&urls.ocsp)?,
                },
                AccessDescription {
                    access_method: ID_AD_CA_ISSUERS,
                    access_location: uri(&urls.ca_issuers)?,
                },
            ]);
            extensions.push(aia.to_extension(subject, &extensions)?);
        }
        Ok(extensions)
    }
}

/// A serial of 16 random bytes with the top bit cleared (positive) and the next bit set (so
/// it is always 16 bytes long): 126 random bits.
fn random_serial() -> Result<(SerialNumber, String), PkiError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7f) | 0x40;
    }
    let serial = SerialNumber::new(&bytes).map_err(PkiError::encoding)?;
    Ok((serial, hex::encode(bytes)))
}

/// Non-empty, at most 64 characters, no control characters.
fn is_display_text(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= MAX_NAME_CHARS && !s.chars().any(char::is_control)
}
