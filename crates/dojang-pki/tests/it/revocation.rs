//! The CRL and OCSP responses, judged by `openssl crl`, `openssl ocsp` and
//! `openssl cms -verify -crl_check`, and the new certificate extensions read back by
//! `openssl x509`.

use dojang_pki::{
    CaProfile, CertState, CertificateAuthority, OcspFailure, PkiError, PublicationUrls,
    RevocationReason, Revoked,
};
use time::{Duration, OffsetDateTime};

use crate::common::*;

fn urls() -> PublicationUrls {
    PublicationUrls {
        crl: "http://dojang.test/pki/crl".into(),
        ocsp: "http://dojang.test/pki/ocsp".into(),
        ca_issuers: "http://dojang.test/pki/ca.crt".into(),
    }
}

fn revoked(f: &Fixture, reason: RevocationReason) -> Revoked {
    Revoked {
        serial_hex: f.cert.serial_hex.clone(),
        revoked_at: T0 + Duration::minutes(30),
        reason,
    }
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn issued_certificates_carry_the_policy_the_crl_and_the_ocsp_urls() {
    let ca = CertificateAuthority::generate(&CaProfile::default(), T0)
        .unwrap()
        .with_urls(urls());
    let device = dojang_pki::DeviceKey::generate();
    let cert = issue(&ca, &device, "홍길동");
    let s = Scratch::new();
    s.write("ee.pem", dojang_pki::certificate_pem(&cert.der));
    let out = openssl_ok(s.dir(), &["x509", "-in", "ee.pem", "-noout", "-text"]);
    let t = text(&out);
    assert!(
        t.contains(&format!("Policy: {}", dojang_pki::POLICY_OID)),
        "{t}"
    );
    assert!(t.contains("X509v3 CRL Distribution Points"), "{t}");
    assert!(t.contains("URI:http://dojang.test/pki/crl"), "{t}");
    assert!(t.contains("OCSP - URI:http://dojang.test/pki/ocsp"), "{t}");
    assert!(
        t.contains("CA Issuers - URI:http://dojang.test/pki/ca.crt"),
        "{t}"
    );
}

#[test]
fn the_crl_verifies_and_lists_each_revocation_with_its_reason() {
    let f = fixture();
    let other = issue(&f.ca, &dojang_pki::DeviceKey::generate(), "김철수");
    let list = [
        revoked(&f, RevocationReason::KeyCompromise),
        Revoked {
            serial_hex: other.serial_hex.clone(),
            revoked_at: T0 + Duration::minutes(40),
            reason: RevocationReason::Unspecified,
        },
    ];
    let now = T0 + Duration::hours(2);
    let der =
        f.ca.crl(&list, now, now + Duration::hours(25), 1_790_000_000)
            .unwrap();
    let s = Scratch::new();
    s.write_fixture(&f);
    s.write("crl.der", &der);
    let out = openssl_ok(
        s.dir(),
        &[
            "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "ca.pem", "-noout", "-text",
        ],
    );
    let t = text(&out);
    assert!(t.contains("verify OK"), "{t}");
    assert!(t.contains("Version 2"), "{t}");
    assert!(t.contains("X509v3 CRL Number"), "{t}");
    assert!(t.contains("1790000000"), "{t}");
    assert!(t.contains("X509v3 Authority Key Identifier"), "{t}");
    assert!(t.contains(&f.cert.serial_hex.to_uppercase()), "{t}");
    assert!(t.contains(&other.serial_hex.to_uppercase()), "{t}");
    assert!(t.contains("Key Compromise"), "{t}");
    assert_eq!(
        t.matches("CRL Reason Code").count(),
        1,
        "none for unspecified: {t}"
    );
    // An empty CRL is well-formed too (no revokedCertificates at all).
    let empty = f.ca.crl(&[], now, now + Duration::hours(25), 1).unwrap();
    s.write("empty.der", &empty);
    let out = openssl_ok(
        s.dir(),
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "empty.der",
            "-CAfile",
            "ca.pem",
            "-noout",
            "-text",
        ],
    );
    assert!(
        text(&out).contains("No Revoked Certificates"),
        "{}",
        text(&out)
    );
    // A serial that is not hex is refused, not written.
    let bad = Revoked {
        serial_hex: "zz".into(),
        revoked_at: now,
        reason: RevocationReason::Superseded,
    };
    assert!(f.ca.crl(&[bad], now, now + Duration::hours(1), 2).is_err());
}

#[test]
fn openssl_cms_verify_with_crl_check_refuses_a_revoked_signer() {
    let f = fixture();
    let signed = f
        .device
        .sign_cms(&f.cert.der, "약정에 동의합니다".as_bytes(), t_sign())
        .unwrap();
    let s = Scratch::new();
    s.write_fixture(&f);
    s.write("signed.der", &signed);
    let now = T0 + Duration::hours(2);
    // `openssl cms` reads CRLs from the trust file: the CA and a CRL in one PEM bundle.
    let bundle = |der: &[u8]| format!("{}{}", f.ca.certificate_pem(), pem("X509 CRL", der));
    let clean = f.ca.crl(&[], now, now + Duration::hours(25), 1).unwrap();
    s.write("clean.pem", bundle(&clean));
    let listed =
        f.ca.crl(
            &[revoked(&f, RevocationReason::KeyCompromise)],
            now,
            now + Duration::hours(25),
            2,
        )
        .unwrap();
    s.write("revoked.pem", bundle(&listed));
    let attime = (now + Duration::minutes(1)).unix_timestamp().to_string();
    let verify = |crl: &str| {
        openssl(
            s.dir(),
            &[
                "cms",
                "-verify",
                "-inform",
                "DER",
                "-in",
                "signed.der",
                "-CAfile",
                crl,
                "-crl_check",
                "-attime",
                &attime,
                "-out",
                "content.txt",
            ],
        )
    };
    let ok = verify("clean.pem");
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(s.read("content.txt"), "약정에 동의합니다".as_bytes());
    let refused = verify("revoked.pem");
    assert!(
        !refused.status.success(),
        "a revoked signer must be refused"
    );
    assert!(
        text(&refused).contains("certificate revoked"),
        "{}",
        text(&refused)
    );
}

/// `openssl ocsp` makes the request (with a nonce), we answer, and `openssl ocsp` checks the
/// answer: signature by the CA, nonce, times and each status.
#[test]
fn openssl_ocsp_reads_good_revoked_and_unknown() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    openssl_ok(
        s.dir(),
        &[
            "ocsp", "-issuer", "ca.pem", "-cert", "ee.pem", "-reqout", "req.der",
        ],
    );
    let request = s.read("req.der");
    let (questions, asked) = f.ca.ocsp_questions(&request).unwrap();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].serial_hex, f.cert.serial_hex);
    assert!(asked[0].ours);
    // openssl checks the response's times against the real clock.
    let now = OffsetDateTime::now_utc();
    let answer = |state: CertState, name: &str| {
        let der =
            f.ca.ocsp_response(&questions, &[state], now, now + Duration::hours(1))
                .unwrap();
        s.write(name, &der);
        // Against the request it answers: signature by the CA, the echoed nonce, the status.
        let against_request = openssl_ok(
            s.dir(),
            &[
                "ocsp",
                "-respin",
                name,
                "-reqin",
                "req.der",
                "-CAfile",
                "ca.pem",
                "-verify_other",
                "ca.pem",
                "-resp_text",
            ],
        );
        // As `openssl ocsp` reports a certificate's status (its own nonce is not ours).
        let by_name = openssl_ok(
            s.dir(),
            &[
                "ocsp",
                "-respin",
                name,
                "-issuer",
                "ca.pem",
                "-cert",
                "ee.pem",
                "-CAfile",
                "ca.pem",
                "-no_nonce",
            ],
        );
        format!("{}{}", text(&against_request), text(&by_name))
    };
    let good = answer(CertState::Good, "good.der");
    assert!(good.contains("Response verify OK"), "{good}");
    assert!(good.contains("ee.pem: good"), "{good}");
    assert!(good.contains("OCSP Nonce"), "the nonce is echoed: {good}");
    assert!(
        !good.contains("Nonce Verify error") && !good.contains("WARNING"),
        "{good}"
    );
    let bad = answer(
        CertState::Revoked {
            at: now - Duration::minutes(5),
            reason: RevocationReason::KeyCompromise,
        },
        "revoked.der",
    );
    assert!(bad.contains("ee.pem: revoked"), "{bad}");
    assert!(bad.contains("Reason: keyCompromise"), "{bad}");
    let unknown = answer(CertState::Unknown, "unknown.der");
    assert!(unknown.contains("ee.pem: unknown"), "{unknown}");

    // The question names another CA: not ours (the server answers unknown).
    let stranger = fixture_for("이방인");
    let s2 = Scratch::new();
    s2.write_fixture(&stranger);
    openssl_ok(
        s2.dir(),
        &[
            "ocsp", "-issuer", "ca.pem", "-cert", "ee.pem", "-reqout", "req.der",
        ],
    );
    let (_, asked) = f.ca.ocsp_questions(&s2.read("req.der")).unwrap();
    assert!(!asked[0].ours);
}

#[test]
fn every_certid_hash_and_the_evidence_response_without_a_request() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    for digest in ["-sha1", "-sha256", "-sha384", "-sha512"] {
        openssl_ok(
            s.dir(),
            &[
                "ocsp", digest, "-issuer", "ca.pem", "-cert", "ee.pem", "-reqout", "req.der",
            ],
        );
        let (_, asked) = f.ca.ocsp_questions(&s.read("req.der")).unwrap();
        assert!(asked[0].ours, "{digest}");
    }
    // What a verify result carries: a response made without a request, readable by openssl.
    let now = OffsetDateTime::now_utc();
    let der =
        f.ca.ocsp_response_for(&f.cert.der, CertState::Good, now, now + Duration::hours(1))
            .unwrap();
    s.write("evidence.der", &der);
    let out = openssl_ok(
        s.dir(),
        &[
            "ocsp",
            "-respin",
            "evidence.der",
            "-issuer",
            "ca.pem",
            "-cert",
            "ee.pem",
            "-CAfile",
            "ca.pem",
            "-no_nonce",
        ],
    );
    assert!(text(&out).contains("ee.pem: good"), "{}", text(&out));
}

#[test]
fn hostile_ocsp_requests_are_refused_not_answered() {
    let f = fixture();
    let malformed = |der: &[u8]| {
        matches!(
            f.ca.ocsp_questions(der),
            Err(PkiError::MalformedOcspRequest(_))
        )
    };
    assert!(malformed(b""));
    assert!(malformed(b"\x30\x03\x02\x01\x01"));
    assert!(malformed(&[0x30; 9000]), "oversized");
    // Every truncation of a real request: an error, never a panic.
    let s = Scratch::new();
    s.write_fixture(&f);
    openssl_ok(
        s.dir(),
        &[
            "ocsp", "-issuer", "ca.pem", "-cert", "ee.pem", "-reqout", "req.der",
        ],
    );
    let request = s.read("req.der");
    for n in 0..request.len() {
        assert!(
            f.ca.ocsp_questions(&request[..n]).is_err(),
            "prefix of {n} bytes"
        );
    }
    // The unsigned failure answer is what openssl expects.
    s.write("fail.der", OcspFailure::MalformedRequest.response());
    let out = openssl(
        s.dir(),
        &["ocsp", "-respin", "fail.der", "-resp_text", "-noverify"],
    );
    assert!(text(&out).contains("malformedrequest"), "{}", text(&out));
}
