//! Independent checks with the `openssl` CLI, both directions.

use dojang_pki::{DeviceKey, PkiError, check_csr};

use crate::common::*;

/// `-attime` for openssl: our fixed verification instant, not the machine clock.
fn attime() -> String {
    t_sign().unix_timestamp().to_string()
}

#[test]
fn openssl_verify_accepts_the_issued_certificate() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let out = openssl_ok(
        s.dir(),
        &[
            "verify",
            "-attime",
            &attime(),
            "-CAfile",
            "ca.pem",
            "ee.pem",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ee.pem: OK");
    // The CA's PEM is also fine on its own (self-signed root).
    openssl_ok(
        s.dir(),
        &[
            "verify",
            "-attime",
            &attime(),
            "-CAfile",
            "ca.pem",
            "ca.pem",
        ],
    );
}

#[test]
fn openssl_shows_the_korean_subject_and_profile() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let out = openssl_ok(
        s.dir(),
        &[
            "x509",
            "-in",
            "ee.pem",
            "-noout",
            "-text",
            "-nameopt",
            "utf8,sep_comma_plus",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "Subject: C=KR,O=dojang,CN=홍길동,serialNumber={HOLDER_ID}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("X509v3 Basic Constraints: critical\n                CA:FALSE"),
        "{text}"
    );
    assert!(
        text.contains(
            "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation"
        ),
        "{text}"
    );
    assert!(text.contains("X509v3 Subject Key Identifier"));
    assert!(text.contains("X509v3 Authority Key Identifier"));
    assert!(!text.contains("Extended Key Usage"));
    assert!(text.contains("ecdsa-with-SHA256"));
}

fn openssl_verifies_our_signed_data(content: &[u8]) {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let cms = f.device.sign_cms(&f.cert.der, content, t_sign()).unwrap();
    s.write("sig.der", &cms);
    let out = openssl_ok(
        s.dir(),
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "sig.der",
            "-CAfile",
            "ca.pem",
            "-attime",
            &attime(),
            "-out",
            "out.bin",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Verification successful"));
    assert_eq!(
        s.read("out.bin"),
        content,
        "openssl must output exactly the content"
    );
}

#[test]
fn openssl_cms_verify_accepts_our_signed_data() {
    openssl_verifies_our_signed_data(br#"{"token":"abc","nonce":"n-1"}"#);
}

#[test]
fn openssl_cms_verify_accepts_a_korean_token() {
    openssl_verifies_our_signed_data(
        "{\"안내\":\"홍길동 님, 예시은행 전자서명 요청입니다\",\"금액\":\"10,000원\"}\r\n두 번째 줄\n"
            .as_bytes(),
    );
}

#[test]
fn openssl_cms_verify_rejects_tampered_content() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let content = b"tamper-me-please";
    let cms = f.device.sign_cms(&f.cert.der, content, t_sign()).unwrap();
    s.write("sig.der", flip(&cms, find(&cms, content)));
    let out = openssl(
        s.dir(),
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "sig.der",
            "-CAfile",
            "ca.pem",
            "-attime",
            &attime(),
            "-out",
            "out.bin",
        ],
    );
    assert!(!out.status.success());
}

#[test]
fn openssl_prints_the_three_signed_attributes() {
    let f = fixture();
    let s = Scratch::new();
    let cms = f
        .device
        .sign_cms(&f.cert.der, b"print me", t_sign())
        .unwrap();
    s.write("sig.der", &cms);
    let out = openssl_ok(
        s.dir(),
        &[
            "cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.der",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for attr in ["contentType", "messageDigest", "signingTime"] {
        assert!(
            text.contains(&format!("object: {attr}")),
            "{attr} missing:\n{text}"
        );
    }
    assert!(text.contains("UTCTIME:Nov 22 01:00:00 2026 GMT"), "{text}");
    assert!(text.contains("ecdsa-with-SHA256"), "{text}");
    assert!(text.contains("d.issuerAndSerialNumber"), "{text}");
}

/// `openssl cms -sign` over `content` with the fixture's device key; extra args appended.
fn openssl_sign(s: &Scratch, content: &[u8], extra: &[&str]) -> Vec<u8> {
    s.write("content.bin", content);
    let mut args = vec![
        "cms",
        "-sign",
        "-md",
        "sha256",
        "-binary",
        "-in",
        "content.bin",
        "-signer",
        "ee.pem",
        "-inkey",
        "ee.key",
        "-outform",
        "DER",
        "-out",
        "sig.der",
    ];
    args.extend_from_slice(extra);
    openssl_ok(s.dir(), &args);
    s.read("sig.der")
}

#[test]
fn our_verifier_accepts_openssl_signed_data() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let content = "{\"token\":\"오픈SSL\"}".as_bytes();
    let cms = openssl_sign(&s, content, &["-nodetach"]);
    let v = f.verifier.verify_attached(&cms, t_sign()).unwrap();
    assert_eq!(v.content, content);
    assert_eq!(v.signer_serial_hex, f.cert.serial_hex);
    assert_eq!(v.signer_certificate_der, f.cert.der);

    // With the signer identified by subject key identifier.
    let cms = openssl_sign(&s, content, &["-nodetach", "-keyid"]);
    let v = f.verifier.verify_attached(&cms, t_sign()).unwrap();
    assert_eq!(v.signer_serial_hex, f.cert.serial_hex);
}

#[test]
fn openssl_signed_data_without_signed_attributes() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let cms = openssl_sign(&s, b"no attributes", &["-nodetach", "-noattr"]);
    let err = f.verifier.verify_attached(&cms, t_sign()).unwrap_err();
    assert!(matches!(err, PkiError::MissingSignedAttributes), "{err:?}");
}

#[test]
fn openssl_detached_signed_data() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let cms = openssl_sign(&s, b"detached", &[]);
    let err = f.verifier.verify_attached(&cms, t_sign()).unwrap_err();
    assert!(matches!(err, PkiError::DetachedContent), "{err:?}");
}

#[test]
fn openssl_two_signers() {
    let f = fixture();
    let s = Scratch::new();
    s.write_fixture(&f);
    let second = DeviceKey::generate();
    let cert2 = issue(&f.ca, &second, "김철수");
    s.write("ee2.pem", dojang_pki::certificate_pem(&cert2.der));
    s.write("ee2.key", pem("PRIVATE KEY", &second.to_pkcs8_der()));
    let cms = openssl_sign(
        &s,
        b"two signers",
        &["-nodetach", "-signer", "ee2.pem", "-inkey", "ee2.key"],
    );
    let err = f.verifier.verify_attached(&cms, t_sign()).unwrap_err();
    assert!(matches!(err, PkiError::MultipleSigners(2)), "{err:?}");
}

/// `openssl req` CSR (DER) with a new key made by `newkey` args.
fn openssl_csr(s: &Scratch, key_args: &[&str], extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "req",
        "-new",
        "-nodes",
        "-keyout",
        "csr.key",
        "-subj",
        "/CN=member-1",
        "-outform",
        "DER",
        "-out",
        "csr.der",
    ];
    args.extend_from_slice(key_args);
    args.extend_from_slice(extra);
    openssl_ok(s.dir(), &args);
    s.read("csr.der")
}

#[test]
fn openssl_p256_csr_is_accepted() {
    let s = Scratch::new();
    let csr = openssl_csr(
        &s,
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &["-sha256"],
    );
    let checked = check_csr(&csr, "member-1").unwrap();
    assert_eq!(checked.common_name(), Some("member-1"));
}

#[test]
fn openssl_rsa_csr_is_rejected() {
    let s = Scratch::new();
    let csr = openssl_csr(&s, &["-newkey", "rsa:2048"], &["-sha256"]);
    let err = check_csr(&csr, "member-1").unwrap_err();
    assert!(
        matches!(err, PkiError::UnsupportedCsrKey(ref a) if a == "rsaEncryption"),
        "{err:?}"
    );
}

#[test]
fn openssl_p384_csr_is_rejected() {
    let s = Scratch::new();
    let csr = openssl_csr(
        &s,
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        &["-sha256"],
    );
    let err = check_csr(&csr, "member-1").unwrap_err();
    assert!(
        matches!(err, PkiError::UnsupportedCsrKey(ref c) if c == "secp384r1"),
        "{err:?}"
    );
}

#[test]
fn openssl_p256_csr_with_sha384_is_rejected() {
    let s = Scratch::new();
    let csr = openssl_csr(
        &s,
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &["-sha384"],
    );
    let err = check_csr(&csr, "member-1").unwrap_err();
    assert!(
        matches!(err, PkiError::UnsupportedCsrSignatureAlgorithm(_)),
        "{err:?}"
    );
}
