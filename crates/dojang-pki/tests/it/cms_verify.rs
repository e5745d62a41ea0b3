//! Verifier negatives and edge cases, each asserting its own `PkiError` variant.

use const_oid::db::{
    rfc5911::{ID_DATA, ID_SIGNED_DATA},
    rfc5912::{ECDSA_WITH_SHA_384, ID_EC_PUBLIC_KEY, ID_SHA_384},
};
use der::Decode;
use dojang_pki::{CaProfile, CertificateAuthority, DeviceKey, MAX_CMS_LEN, PkiError, Verifier};
use p256::pkcs8::DecodePrivateKey;
use time::Duration;
use x509_cert::{Certificate, ext::pkix::SubjectKeyIdentifier};

use crate::common::*;

const TOKEN: &[u8] = br#"{"rp":"example-bank","token":"c2lnbi1tZS1wbGVhc2U","amount":10000}"#;

fn verify_err(v: &Verifier, cms: &[u8]) -> PkiError {
    v.verify_attached(cms, t_sign()).unwrap_err()
}

#[test]
fn tampered_content_byte() {
    let f = fixture();
    let cms = f.device.sign_cms(&f.cert.der, TOKEN, t_sign()).unwrap();
    let at = find(&cms, TOKEN) + 10;
    let err = verify_err(&f.verifier, &flip(&cms, at));
    assert!(matches!(err, PkiError::DigestMismatch), "{err:?}");
}

#[test]
fn flipped_signature_byte() {
    let f = fixture();
    let cms = f.device.sign_cms(&f.cert.der, TOKEN, t_sign()).unwrap();
    // The SignerInfo's signature (the ECDSA s value) ends the encoding.
    let err = verify_err(&f.verifier, &flip(&cms, cms.len() - 1));
    assert!(matches!(err, PkiError::BadSignature), "{err:?}");
}

#[test]
fn signer_from_a_different_ca() {
    let f = fixture();
    let other_ca = CertificateAuthority::generate(&CaProfile::default(), T0).unwrap();
    let device = DeviceKey::generate();
    let cert = issue(&other_ca, &device, "홍길동");
    let cms = device.sign_cms(&cert.der, TOKEN, t_sign()).unwrap();
    let err = verify_err(&f.verifier, &cms);
    assert!(matches!(err, PkiError::UntrustedChain(_)), "{err:?}");
}

#[test]
fn verified_outside_the_certificate_validity() {
    let f = fixture();
    let cms = f.device.sign_cms(&f.cert.der, TOKEN, t_sign()).unwrap();
    let late = f.cert.not_after + Duration::seconds(1);
    let err = f.verifier.verify_attached(&cms, late).unwrap_err();
    assert!(matches!(err, PkiError::CertificateExpired), "{err:?}");
    let early = f.cert.not_before - Duration::seconds(1);
    let err = f.verifier.verify_attached(&cms, early).unwrap_err();
    assert!(matches!(err, PkiError::CertificateNotYetValid), "{err:?}");
    // The edges themselves are inside the window.
    assert!(f.verifier.verify_attached(&cms, f.cert.not_before).is_ok());
    assert!(f.verifier.verify_attached(&cms, f.cert.not_after).is_ok());
}

#[test]
fn garbage_truncated_and_empty_input() {
    let f = fixture();
    let cms = f.device.sign_cms(&f.cert.der, TOKEN, t_sign()).unwrap();
    for input in [
        &b""[..],
        &b"garbage"[..],
        &[0x30, 0x80, 0x00, 0x00][..],
        &cms[..cms.len() / 2],
        &cms[..cms.len() - 1],
        &cms[1..],
    ] {
        let err = verify_err(&f.verifier, input);
        assert!(matches!(err, PkiError::MalformedCms(_)), "{err:?}");
    }
    let mut trailing = cms.clone();
    trailing.push(0);
    assert!(matches!(
        verify_err(&f.verifier, &trailing),
        PkiError::MalformedCms(_)
    ));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let f = fixture();
    let cms = f.device.sign_cms(&f.cert.der, b"short", t_sign()).unwrap();
    for len in 0..cms.len() {
        assert!(f.verifier.verify_attached(&cms[..len], t_sign()).is_err());
    }
    // Every single-bit flip is handled without a panic; where it lands in a signed or
    // checked part it is rejected. (Unsigned, unchecked fields such as the SignedData
    // version or the digestAlgorithms hint may change without effect.)
    let mut accepted = 0;
    for i in 0..cms.len() {
        if let Ok(v) = f.verifier.verify_attached(&flip(&cms, i), t_sign()) {
            assert_eq!(v.content, b"short", "flip at {i} changed the content");
            accepted += 1;
        }
    }
    assert!(accepted < 16, "{accepted} flips were accepted");
}

#[test]
fn oversized_input() {
    let f = fixture();
    let big = vec![0x30; MAX_CMS_LEN + 1];
    let err = verify_err(&f.verifier, &big);
    assert!(
        matches!(err, PkiError::CmsTooLarge { len, max } if len == MAX_CMS_LEN + 1 && max == MAX_CMS_LEN),
        "{err:?}"
    );
}

#[test]
fn crafted_good_signed_data_is_accepted() {
    // Guards the crafter itself, so the negatives below fail for the reason they claim.
    let f = fixture();
    let key = signing_key(&f.device);
    let cms = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |_| {});
    let v = f.verifier.verify_attached(&cms, t_sign()).unwrap();
    assert_eq!(v.content, TOKEN);
}

#[test]
fn no_signed_attributes() {
    let f = fixture();
    let cms = craft(&signing_key(&f.device), &f.cert.der, TOKEN, None, |_| {});
    assert!(matches!(
        verify_err(&f.verifier, &cms),
        PkiError::MissingSignedAttributes
    ));
}

#[test]
fn content_type_attribute_mismatch() {
    let f = fixture();
    let attrs = vec![
        content_type_attr(ID_SIGNED_DATA),
        message_digest_attr(TOKEN),
        signing_time_attr(t_sign()),
    ];
    let cms = craft(
        &signing_key(&f.device),
        &f.cert.der,
        TOKEN,
        Some(attrs),
        |_| {},
    );
    assert!(matches!(
        verify_err(&f.verifier, &cms),
        PkiError::ContentTypeMismatch
    ));
}

#[test]
fn missing_required_attributes() {
    let f = fixture();
    let key = signing_key(&f.device);
    let cases = [
        (
            vec![message_digest_attr(TOKEN), signing_time_attr(t_sign())],
            "contentType",
        ),
        (
            vec![content_type_attr(ID_DATA), signing_time_attr(t_sign())],
            "messageDigest",
        ),
        (
            vec![content_type_attr(ID_DATA), message_digest_attr(TOKEN)],
            "signingTime",
        ),
    ];
    for (attrs, name) in cases {
        let cms = craft(&key, &f.cert.der, TOKEN, Some(attrs), |_| {});
        let err = verify_err(&f.verifier, &cms);
        assert!(
            matches!(err, PkiError::MissingSignedAttribute(n) if n == name),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn digest_of_other_content() {
    let f = fixture();
    let attrs = vec![
        content_type_attr(ID_DATA),
        message_digest_attr(b"something else"),
        signing_time_attr(t_sign()),
    ];
    let cms = craft(
        &signing_key(&f.device),
        &f.cert.der,
        TOKEN,
        Some(attrs),
        |_| {},
    );
    assert!(matches!(
        verify_err(&f.verifier, &cms),
        PkiError::DigestMismatch
    ));
}

#[test]
fn unsupported_algorithms() {
    let f = fixture();
    let key = signing_key(&f.device);
    let sha384 = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |sd| {
        let mut si = sd.signer_infos.0.as_slice()[0].clone();
        si.digest_alg.oid = ID_SHA_384;
        sd.signer_infos = vec![si].try_into().unwrap();
    });
    let err = verify_err(&f.verifier, &sha384);
    assert!(matches!(err, PkiError::UnsupportedAlgorithm(_)), "{err:?}");

    let ecdsa384 = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |sd| {
        let mut si = sd.signer_infos.0.as_slice()[0].clone();
        si.signature_algorithm.oid = ECDSA_WITH_SHA_384;
        sd.signer_infos = vec![si].try_into().unwrap();
    });
    let err = verify_err(&f.verifier, &ecdsa384);
    assert!(matches!(err, PkiError::UnsupportedAlgorithm(_)), "{err:?}");

    // id-ecPublicKey as the signature algorithm (as some OpenSSL versions write) is fine.
    let ec_public_key = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |sd| {
        let mut si = sd.signer_infos.0.as_slice()[0].clone();
        si.signature_algorithm.oid = ID_EC_PUBLIC_KEY;
        sd.signer_infos = vec![si].try_into().unwrap();
    });
    assert!(f.verifier.verify_attached(&ec_public_key, t_sign()).is_ok());
}

#[test]
fn content_type_other_than_data() {
    let f = fixture();
    let cms = craft(
        &signing_key(&f.device),
        &f.cert.der,
        TOKEN,
        Some(good_attrs(TOKEN)),
        |sd| {
            sd.encap_content_info.econtent_type = ID_SIGNED_DATA;
        },
    );
    let err = verify_err(&f.verifier, &cms);
    assert!(
        matches!(err, PkiError::UnsupportedContentType(_)),
        "{err:?}"
    );
}

#[test]
fn detached_signed_data() {
    let f = fixture();
    let cms = craft(
        &signing_key(&f.device),
        &f.cert.der,
        TOKEN,
        Some(good_attrs(TOKEN)),
        |sd| {
            sd.encap_content_info.econtent = None;
        },
    );
    assert!(matches!(
        verify_err(&f.verifier, &cms),
        PkiError::DetachedContent
    ));
}

#[test]
fn signer_count() {
    let f = fixture();
    let key = signing_key(&f.device);
    let none = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |sd| {
        sd.signer_infos = Vec::new().try_into().unwrap();
    });
    assert!(matches!(verify_err(&f.verifier, &none), PkiError::NoSigner));

    let two = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |sd| {
        let mut a = sd.signer_infos.0.as_slice()[0].clone();
        let b = a.clone();
        a.signature = der::asn1::OctetString::new(vec![1, 2, 3]).unwrap();
        sd.signer_infos = vec![a, b].try_into().unwrap();
    });
    assert!(matches!(
        verify_err(&f.verifier, &two),
        PkiError::MultipleSigners(2)
    ));
}

#[test]
fn signer_certificate_missing() {
    let f = fixture();
    let key = signing_key(&f.device);
    let no_certs = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |sd| {
        sd.certificates = None;
    });
    let err = verify_err(&f.verifier, &no_certs);
    assert!(matches!(err, PkiError::SignerCertificateMissing), "{err:?}");

    // A different certificate only.
    let other = fixture();
    let wrong_cert = craft(&key, &f.cert.der, TOKEN, Some(good_attrs(TOKEN)), |sd| {
        let cert = Certificate::from_der(&other.cert.der).unwrap();
        sd.certificates = Some(
            vec![cms::cert::CertificateChoices::Certificate(cert)]
                .try_into()
                .unwrap(),
        );
    });
    let err = verify_err(&f.verifier, &wrong_cert);
    assert!(matches!(err, PkiError::SignerCertificateMissing), "{err:?}");
}

#[test]
fn signer_found_by_subject_key_identifier() {
    let f = fixture();
    let cert = Certificate::from_der(&f.cert.der).unwrap();
    let (_, ski) = cert
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .unwrap()
        .unwrap();
    let cms = craft(
        &signing_key(&f.device),
        &f.cert.der,
        TOKEN,
        Some(good_attrs(TOKEN)),
        |sd| {
            let mut si = sd.signer_infos.0.as_slice()[0].clone();
            si.version = cms::content_info::CmsVersion::V3;
            si.sid = cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(ski);
            sd.signer_infos = vec![si].try_into().unwrap();
        },
    );
    let v = f.verifier.verify_attached(&cms, t_sign()).unwrap();
    assert_eq!(v.signer_serial_hex, f.cert.serial_hex);
}

#[test]
fn ca_certificate_as_signer_is_untrusted() {
    let f = fixture();
    let ca_key = p256::ecdsa::SigningKey::from_pkcs8_pem(&f.ca.private_key_pem().unwrap()).unwrap();
    let cms = craft(
        &ca_key,
        f.ca.certificate_der(),
        TOKEN,
        Some(good_attrs(TOKEN)),
        |_| {},
    );
    let err = verify_err(&f.verifier, &cms);
    assert!(matches!(err, PkiError::UntrustedChain(_)), "{err:?}");
}

#[test]
fn verifier_is_shared_across_threads() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Verifier>();

    let f = fixture();
    let cms = f.device.sign_cms(&f.cert.der, TOKEN, t_sign()).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let verifier = f.verifier.clone();
            let cms = cms.clone();
            std::thread::spawn(move || verifier.verify_attached(&cms, t_sign()).unwrap().content)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), TOKEN);
    }
}

#[test]
fn empty_content_is_signed_and_verified() {
    let f = fixture();
    let cms = f.device.sign_cms(&f.cert.der, b"", t_sign()).unwrap();
    assert_eq!(
        f.verifier.verify_attached(&cms, t_sign()).unwrap().content,
        b""
    );
}

/// The verified-chain cache must never turn a refusal into an acceptance.
mod chain_cache {
    use super::*;

    #[test]
    fn a_warm_cache_still_checks_validity_and_the_signature() {
        let f = fixture();
        let cms = f.device.sign_cms(&f.cert.der, b"token", t_sign()).unwrap();
        // Warm the cache.
        f.verifier.verify_attached(&cms, t_sign()).unwrap();
        f.verifier.verify_attached(&cms, t_sign()).unwrap();
        // Same certificate, outside its validity: refused as without the cache.
        let after = f.cert.not_after + std::time::Duration::from_secs(1);
        assert!(matches!(
            f.verifier.verify_attached(&cms, after),
            Err(PkiError::CertificateExpired)
        ));
        let before = f.cert.not_before - std::time::Duration::from_secs(1);
        assert!(matches!(
            f.verifier.verify_attached(&cms, before),
            Err(PkiError::CertificateNotYetValid)
        ));
        // Same certificate, a tampered signature: refused.
        let mut bad = cms.clone();
        let n = bad.len() - 3;
        bad[n] ^= 1;
        assert!(matches!(
            f.verifier.verify_attached(&bad, t_sign()),
            Err(PkiError::BadSignature)
        ));
        // And the good one still passes afterwards.
        f.verifier.verify_attached(&cms, t_sign()).unwrap();
    }

    #[test]
    fn a_foreign_certificate_is_refused_every_time() {
        let f = fixture();
        let other = fixture();
        let cms = other
            .device
            .sign_cms(&other.cert.der, b"token", t_sign())
            .unwrap();
        for _ in 0..3 {
            assert!(matches!(
                f.verifier.verify_attached(&cms, t_sign()),
                Err(PkiError::UntrustedChain(_))
            ));
        }
    }
}
