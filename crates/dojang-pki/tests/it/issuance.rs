//! The CA: generation, PEM round trip, the certificate profiles, input checks.

use const_oid::db::rfc5912::ECDSA_WITH_SHA_256;
use der::Decode;
use dojang_pki::{
    CaProfile, CertificateAuthority, DeviceKey, IssueRequest, PkiError, Verifier,
    certificate_serial_hex, check_csr,
};
use time::{Duration, macros::datetime};
use x509_cert::{
    Certificate,
    ext::pkix::{
        AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
        SubjectKeyIdentifier,
    },
};

use crate::common::*;

#[test]
fn round_trip_csr_issue_sign_verify() {
    let f = fixture();
    let content = br#"{"token":"rp-token-123","nonce":"abc"}"#;
    let cms = f.device.sign_cms(&f.cert.der, content, t_sign()).unwrap();
    let v = f.verifier.verify_attached(&cms, t_sign()).unwrap();
    assert_eq!(v.content, content);
    assert_eq!(v.signer_serial_hex, f.cert.serial_hex);
    assert_eq!(v.signing_time, t_sign());
    assert_eq!(v.signer_certificate_der, f.cert.der);
}

#[test]
fn signing_time_after_2049_is_generalized_time_and_round_trips() {
    let f = fixture();
    let late = datetime!(2051-03-01 12:34:56 UTC);
    let cms = f.device.sign_cms(&f.cert.der, b"x", late).unwrap();
    let v = f.verifier.verify_attached(&cms, t_sign()).unwrap();
    assert_eq!(v.signing_time, late);
}

#[test]
fn end_entity_profile() {
    let f = fixture();
    let cert = Certificate::from_der(&f.cert.der).unwrap();
    let ca = Certificate::from_der(f.ca.certificate_der()).unwrap();
    let tbs = cert.tbs_certificate();

    assert_eq!(
        tbs.subject().to_string(),
        format!("SERIALNUMBER={HOLDER_ID},CN=홍길동,O=dojang,C=KR")
    );
    assert_eq!(tbs.issuer(), ca.tbs_certificate().subject());
    assert_eq!(cert.signature_algorithm().oid, ECDSA_WITH_SHA_256);

    let serial = tbs.serial_number().as_bytes();
    assert_eq!(serial.len(), 16, "16 random bytes, high bit clear");
    assert!(serial[0] < 0x80);
    assert_eq!(f.cert.serial_hex, hex::encode(serial));
    assert_eq!(
        certificate_serial_hex(&f.cert.der).unwrap(),
        f.cert.serial_hex
    );

    let (critical, bc) = tbs.get_extension::<BasicConstraints>().unwrap().unwrap();
    assert!(critical && !bc.ca);
    let (critical, ku) = tbs.get_extension::<KeyUsage>().unwrap().unwrap();
    assert!(critical);
    assert_eq!(
        ku.0,
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    );
    assert!(tbs.get_extension::<ExtendedKeyUsage>().unwrap().is_none());
    let (_, ski) = tbs
        .get_extension::<SubjectKeyIdentifier>()
        .unwrap()
        .unwrap();
    assert!(!ski.0.as_bytes().is_empty());
    let (_, aki) = tbs
        .get_extension::<AuthorityKeyIdentifier>()
        .unwrap()
        .unwrap();
    let (_, ca_ski) = ca
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .unwrap()
        .unwrap();
    assert_eq!(aki.key_identifier.unwrap(), ca_ski.0);

    assert_eq!(f.cert.not_before, T0);
    assert_eq!(f.cert.not_after, T0 + Duration::days(365));
}

#[test]
fn root_profile() {
    let ca = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let cert = Certificate::from_der(ca.certificate_der()).unwrap();
    let tbs = cert.tbs_certificate();
    assert_eq!(tbs.subject().to_string(), "CN=dojang Root CA,O=dojang,C=KR");
    assert_eq!(tbs.issuer(), tbs.subject());
    let serial = tbs.serial_number().as_bytes();
    assert!(
        serial.len() >= 9 && serial[0] < 0x80,
        "≥ 64 random bits, positive"
    );

    let (critical, bc) = tbs.get_extension::<BasicConstraints>().unwrap().unwrap();
    assert!(critical && bc.ca);
    let (critical, ku) = tbs.get_extension::<KeyUsage>().unwrap().unwrap();
    assert!(critical);
    assert_eq!(
        ku.0,
        KeyUsages::KeyCertSign | KeyUsages::CRLSign | KeyUsages::DigitalSignature
    );
    let (_, ski) = tbs
        .get_extension::<SubjectKeyIdentifier>()
        .unwrap()
        .unwrap();
    let (_, aki) = tbs
        .get_extension::<AuthorityKeyIdentifier>()
        .unwrap()
        .unwrap();
    assert_eq!(aki.key_identifier.unwrap(), ski.0);
    assert_eq!(ca.not_after(), datetime!(2046-11-22 00:00:00 UTC));
}

#[test]
fn ca_pem_round_trip() {
    let ca = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let loaded =
        CertificateAuthority::from_pem(&ca.certificate_pem(), &ca.private_key_pem().unwrap())
            .unwrap();
    assert_eq!(loaded.certificate_der(), ca.certificate_der());
    assert_eq!(loaded.not_after(), ca.not_after());
    assert!(
        ca.private_key_pem()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );

    // The reloaded CA issues certificates the original's verifier trusts.
    let device = DeviceKey::generate();
    let cert = issue(&loaded, &device, "김철수");
    let cms = device.sign_cms(&cert.der, b"hello", t_sign()).unwrap();
    let verifier = Verifier::new(ca.certificate_der()).unwrap();
    assert_eq!(
        verifier.verify_attached(&cms, t_sign()).unwrap().content,
        b"hello"
    );
}

#[test]
fn ca_pem_with_wrong_key_is_rejected() {
    let a = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let b = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let err = CertificateAuthority::from_pem(&a.certificate_pem(), &b.private_key_pem().unwrap())
        .unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch), "{err:?}");
}

#[test]
fn ca_pem_garbage_is_rejected() {
    let a = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    assert!(matches!(
        CertificateAuthority::from_pem("not pem", &a.private_key_pem().unwrap()),
        Err(PkiError::MalformedCertificate(_))
    ));
    assert!(matches!(
        CertificateAuthority::from_pem(&a.certificate_pem(), "not a key"),
        Err(PkiError::MalformedKey(_))
    ));
    // An end-entity certificate is not a CA even with its own key.
    let f = fixture();
    let ee_pem = dojang_pki::certificate_pem(&f.cert.der);
    let key_pem = pem("PRIVATE KEY", &f.device.to_pkcs8_der());
    assert!(matches!(
        CertificateAuthority::from_pem(&ee_pem, &key_pem),
        Err(PkiError::InvalidCaCertificate(_))
    ));
}

#[test]
fn debug_output_has_no_key_material() {
    let ca = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let debug = format!("{ca:?}");
    let key_pem = ca.private_key_pem().unwrap();
    let key_body: Vec<&str> = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for line in key_body {
        assert!(!debug.contains(line));
        assert!(!debug.contains(&line[..16]));
    }
    assert!(debug.contains("dojang Root CA"));
    let device = DeviceKey::generate();
    assert_eq!(format!("{device:?}"), "DeviceKey { .. }");
}

#[test]
fn issue_rejects_bad_inputs() {
    let ca = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let device = DeviceKey::generate();
    let csr = check_csr(&device.csr_der("x").unwrap(), "x").unwrap();
    let ok = IssueRequest {
        csr: &csr,
        holder_name: "홍길동",
        holder_id: HOLDER_ID,
        not_before: T0,
        not_after: T0 + Duration::days(30),
    };
    assert!(ca.issue(&ok).is_ok());

    let long_name = "가".repeat(65);
    type Expect = fn(&PkiError) -> bool;
    let cases: Vec<(IssueRequest<'_>, Expect)> = vec![
        (
            IssueRequest {
                holder_name: "",
                ..ok
            },
            |e| matches!(e, PkiError::InvalidHolderName),
        ),
        (
            IssueRequest {
                holder_name: "a\u{0}b",
                ..ok
            },
            |e| matches!(e, PkiError::InvalidHolderName),
        ),
        (
            IssueRequest {
                holder_name: &long_name,
                ..ok
            },
            |e| matches!(e, PkiError::InvalidHolderName),
        ),
        (
            IssueRequest {
                holder_id: "",
                ..ok
            },
            |e| matches!(e, PkiError::InvalidHolderId),
        ),
        (
            IssueRequest {
                holder_id: "user_1",
                ..ok
            },
            |e| matches!(e, PkiError::InvalidHolderId),
        ),
        (
            IssueRequest {
                holder_id: "회원1",
                ..ok
            },
            |e| matches!(e, PkiError::InvalidHolderId),
        ),
        (
            IssueRequest {
                not_after: T0,
                ..ok
            },
            |e| matches!(e, PkiError::InvalidValidity(_)),
        ),
        (
            IssueRequest {
                not_after: T0 + Duration::days(365 * 30),
                ..ok
            },
            |e| matches!(e, PkiError::InvalidValidity(_)),
        ),
        (
            IssueRequest {
                not_before: datetime!(1960-01-01 00:00 UTC),
                ..ok
            },
            |e| matches!(e, PkiError::TimeOutOfRange(_)),
        ),
    ];
    for (i, (req, expected)) in cases.iter().enumerate() {
        let err = ca.issue(req).unwrap_err();
        assert!(expected(&err), "case {i}: {err:?}");
    }
}

#[test]
fn ca_profile_is_checked() {
    let bad = [
        CaProfile {
            country: "kr".into(),
            ..CaProfile::default()
        },
        CaProfile {
            country: "KOR".into(),
            ..CaProfile::default()
        },
        CaProfile {
            common_name: String::new(),
            ..CaProfile::default()
        },
        CaProfile {
            organization: "a\nb".into(),
            ..CaProfile::default()
        },
        CaProfile {
            validity_years: 0,
            ..CaProfile::default()
        },
    ];
    for p in &bad {
        let err = CertificateAuthority::generate(p, T0).unwrap_err();
        assert!(matches!(err, PkiError::InvalidProfile(_)), "{p:?}: {err:?}");
    }
    let korean = CaProfile {
        common_name: "도장 루트 CA".into(),
        organization: "도장, 주식회사".into(),
        ..CaProfile::default()
    };
    assert!(CertificateAuthority::generate(&korean, T0).is_ok());
}

#[test]
fn helpers_reject_garbage() {
    assert!(matches!(
        certificate_serial_hex(b"\x30\x03\x02\x01"),
        Err(PkiError::MalformedCertificate(_))
    ));
    assert!(matches!(
        Verifier::new(b"garbage"),
        Err(PkiError::InvalidCaCertificate(_))
    ));
    let f = fixture();
    assert!(matches!(
        Verifier::new(&f.cert.der),
        Err(PkiError::InvalidCaCertificate(_))
    ));
    let pem = dojang_pki::certificate_pem(&[0u8; 100]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(pem.ends_with("\n-----END CERTIFICATE-----\n"));
    assert!(pem.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
}

#[test]
fn sign_cms_refuses_a_certificate_for_another_key() {
    let f = fixture();
    let other = DeviceKey::generate();
    assert!(matches!(
        other.sign_cms(&f.cert.der, b"x", t_sign()),
        Err(PkiError::KeyMismatch)
    ));
    assert!(matches!(
        f.device.sign_cms(b"junk", b"x", t_sign()),
        Err(PkiError::MalformedCertificate(_))
    ));
}

#[test]
fn sign_cms_refuses_to_exceed_the_verify_limit() {
    let f = fixture();
    let big = vec![b'a'; dojang_pki::MAX_CMS_LEN];
    assert!(matches!(
        f.device.sign_cms(&f.cert.der, &big, t_sign()),
        Err(PkiError::CmsTooLarge { .. })
    ));
}
