//! Shared fixtures: a CA, a device key with an issued certificate, the `openssl` CLI, and a
//! SignedData crafter for cases our signer refuses to make.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use base64::Engine as _;
use cms::{
    cert::{CertificateChoices, IssuerAndSerialNumber},
    content_info::{CmsVersion, ContentInfo},
    signed_data::{
        CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo,
        SignerInfos,
    },
};
use const_oid::db::{
    rfc5911::{ID_DATA, ID_SIGNED_DATA, ID_SIGNING_TIME},
    rfc5912::{ECDSA_WITH_SHA_256, ID_SHA_256},
};
use der::{
    Any, Decode, Encode, Tag,
    asn1::{OctetString, SetOfVec},
};
use dojang_pki::{
    CaProfile, CertificateAuthority, DeviceKey, IssueRequest, IssuedCertificate, Verifier,
    check_csr,
};
use p256::{ecdsa::DerSignature, pkcs8::DecodePrivateKey};
use signature::Signer;
use time::{Duration, OffsetDateTime, macros::datetime};
use x509_cert::{Certificate, attr::Attribute, spki::AlgorithmIdentifierOwned, time::Time};

/// "Now" for every test: CA creation time.
pub const T0: OffsetDateTime = datetime!(2026-11-22 00:00:00 UTC);

/// When the device signs and the server verifies.
pub fn t_sign() -> OffsetDateTime {
    T0 + Duration::hours(1)
}

pub const HOLDER_ID: &str = "0198f3a2-7c4e-7b1a-9f00-123456789abc";

pub struct Fixture {
    pub ca: CertificateAuthority,
    pub device: DeviceKey,
    pub cert: IssuedCertificate,
    pub verifier: Verifier,
}

/// A fresh CA and a device holding a one-year certificate for `holder_name`.
pub fn fixture_for(holder_name: &str) -> Fixture {
    let ca = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let device = DeviceKey::generate();
    let cert = issue(&ca, &device, holder_name);
    let verifier = Verifier::new(ca.certificate_der()).unwrap();
    Fixture {
        ca,
        device,
        cert,
        verifier,
    }
}

pub fn fixture() -> Fixture {
    fixture_for("홍길동")
}

/// CSR → check → issue, valid from T0 for one year.
pub fn issue(
    ca: &CertificateAuthority,
    device: &DeviceKey,
    holder_name: &str,
) -> IssuedCertificate {
    let csr = device.csr_der(HOLDER_ID).unwrap();
    let checked = check_csr(&csr, HOLDER_ID).unwrap();
    ca.issue(&IssueRequest {
        csr: &checked,
        holder_name,
        holder_id: HOLDER_ID,
        not_before: T0,
        not_after: T0 + Duration::days(365),
    })
    .unwrap()
}

pub fn signing_key(device: &DeviceKey) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_pkcs8_der(&device.to_pkcs8_der()).unwrap()
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A scratch directory for files handed to `openssl`.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// Writes the device's certificate (ee.pem) and key (ee.key) and the CA (ca.pem).
    pub fn write_fixture(&self, f: &Fixture) {
        self.write("ca.pem", f.ca.certificate_pem());
        self.write("ee.pem", dojang_pki::certificate_pem(&f.cert.der));
        self.write("ee.key", pem("PRIVATE KEY", &f.device.to_pkcs8_der()));
    }
}

/// Runs `openssl` in `dir` and returns its output (whatever the exit status).
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl CLI must be installed")
}

/// Runs `openssl` and asserts success.
pub fn openssl_ok(dir: &Path, args: &[&str]) -> Output {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Scratch {
    pub fn dir(&self) -> &Path {
        self.0.path()
    }
}

// ----- hand-built SignedData ---------------------------------------------------------------

pub fn content_type_attr(oid: const_oid::ObjectIdentifier) -> Attribute {
    cms::builder::create_content_type_attribute(oid).unwrap()
}

pub fn message_digest_attr(content: &[u8]) -> Attribute {
    let digest = ring::digest::digest(&ring::digest::SHA256, content);
    cms::builder::create_message_digest_attribute(digest.as_ref()).unwrap()
}

pub fn signing_time_attr(t: OffsetDateTime) -> Attribute {
    let time = Time::UtcTime(
        der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(
            t.unix_timestamp() as u64
        ))
        .unwrap(),
    );
    let mut values = SetOfVec::new();
    values
        .insert(Any::from_der(&time.to_der().unwrap()).unwrap())
        .unwrap();
    Attribute {
        oid: ID_SIGNING_TIME,
        values,
    }
}

/// The three attributes a correct signer writes.
pub fn good_attrs(content: &[u8]) -> Vec<Attribute> {
    vec![
        content_type_attr(ID_DATA),
        message_digest_attr(content),
        signing_time_attr(t_sign()),
    ]
}

/// An attached SignedData over `content` signed by `key` with `attrs` (None: no signed
/// attributes, signature over the content), then `tweak`ed before encoding.
pub fn craft(
    key: &p256::ecdsa::SigningKey,
    cert_der: &[u8],
    content: &[u8],
    attrs: Option<Vec<Attribute>>,
    tweak: impl FnOnce(&mut SignedData),
) -> Vec<u8> {
    let cert = Certificate::from_der(cert_der).unwrap();
    let signed_attrs = attrs.map(|a| SetOfVec::try_from(a).unwrap());
    let to_sign = match &signed_attrs {
        Some(a) => a.to_der().unwrap(),
        None => content.to_vec(),
    };
    let sig: DerSignature = key.sign(&to_sign);
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    };
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate().issuer().clone(),
            serial_number: cert.tbs_certificate().serial_number().clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs,
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA_256,
            parameters: None,
        },
        signature: OctetString::new(sig.to_bytes().to_vec()).unwrap(),
        unsigned_attrs: None,
    };
    let mut sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256]).unwrap(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: Some(Any::new(Tag::OctetString, content).unwrap()),
        },
        certificates: Some(
            CertificateSet::try_from(vec![CertificateChoices::Certificate(cert)]).unwrap(),
        ),
        crls: None,
        signer_infos: SignerInfos::try_from(vec![signer]).unwrap(),
    };
    tweak(&mut sd);
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// Flips the lowest bit of the byte at `index`.
pub fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 0x01;
    out
}

/// Position of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}
