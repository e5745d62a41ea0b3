//! Against a real PKCS#11 token (SoftHSM2): `eval "$(.ci/start-softhsm.sh)"` sets
//! `SOFTHSM2_CONF`, `DOJANG_TEST_HSM_TOKEN` and `DOJANG_TEST_HSM_PIN` (`.ci/run` does). Without
//! them every test here says so and passes without checking anything, like the PostgreSQL legs.

use cryptoki::object::{Attribute, AttributeType};
use dojang_hsm::{Hsm, HsmConfig, HsmError};
use p256::ecdsa::{DerSignature, signature::Verifier};
use signature::Signer;
use zeroize::Zeroizing;

fn config() -> Option<HsmConfig> {
    dojang_hsm::test_token()
}

/// A label no other test (or earlier run) uses.
fn label(what: &str) -> String {
    format!("test-{what}-{}", hex::encode(rand::random::<[u8; 6]>()))
}

#[test]
fn keys_are_made_in_the_token_and_never_leave_it() {
    let Some(cfg) = config() else { return };
    let hsm = Hsm::open(&cfg).unwrap();
    let l = label("sealed");
    let key = hsm.generate(&l).unwrap();
    // The token answers "sensitive" for the private value, and says the key never was
    // extractable nor ever readable.
    assert!(
        hsm.private_attribute(&l, AttributeType::Value)
            .unwrap()
            .is_none(),
        "CKA_VALUE of the private key must not be readable"
    );
    assert!(matches!(
        hsm.private_attribute(&l, AttributeType::Extractable)
            .unwrap(),
        Some(Attribute::Extractable(false))
    ));
    assert!(matches!(
        hsm.private_attribute(&l, AttributeType::NeverExtractable)
            .unwrap(),
        Some(Attribute::NeverExtractable(true))
    ));
    assert!(matches!(
        hsm.private_attribute(&l, AttributeType::AlwaysSensitive)
            .unwrap(),
        Some(Attribute::AlwaysSensitive(true))
    ));
    assert!(matches!(
        hsm.private_attribute(&l, AttributeType::Sensitive).unwrap(),
        Some(Attribute::Sensitive(true))
    ));
    // Found again by its label, with the same public half; a second key of that name refused.
    let again = hsm.find(&l).unwrap().unwrap();
    assert_eq!(again.verifying_key(), key.verifying_key());
    assert!(matches!(hsm.generate(&l), Err(HsmError::KeyExists(_))));
    hsm.destroy(&l).unwrap();
    assert!(hsm.find(&l).unwrap().is_none());
    assert!(matches!(hsm.destroy(&l), Err(HsmError::NoKey(_))));
}

#[test]
fn signatures_verify_and_a_tampered_message_does_not() {
    let Some(cfg) = config() else { return };
    let hsm = Hsm::open(&cfg).unwrap();
    let l = label("sign");
    let key = hsm.generate(&l).unwrap();
    let msg = b"dojang: the CA signs this";
    let sig: DerSignature = key.try_sign(msg).unwrap();
    key.verifying_key().verify(msg, &sig).unwrap();
    assert!(
        key.verifying_key()
            .verify(b"dojang: the CA signs thiS", &sig)
            .is_err()
    );
    // Another key's public half does not accept it.
    let other = hsm.generate(&label("other")).unwrap();
    assert!(other.verifying_key().verify(msg, &sig).is_err());
    // The signature is also accepted by openssl, from the key's public half alone.
    let dir = tempfile::tempdir().unwrap();
    let pem = der::pem::encode_string(
        "PUBLIC KEY",
        der::pem::LineEnding::LF,
        &key.public_key_der().unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("pub.pem"), pem).unwrap();
    std::fs::write(dir.path().join("msg"), msg).unwrap();
    std::fs::write(dir.path().join("sig"), sig.as_bytes()).unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(dir.path())
        .args([
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "sig",
            "msg",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Verified OK"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    hsm.destroy(&l).unwrap();
    hsm.destroy(other.label()).unwrap();
}

#[test]
fn many_threads_sign_at_once() {
    let Some(cfg) = config() else { return };
    let hsm = Hsm::open(&cfg).unwrap();
    let l = label("threads");
    let key = hsm.generate(&l).unwrap();
    std::thread::scope(|s| {
        for t in 0..8u8 {
            let key = key.clone();
            s.spawn(move || {
                for i in 0..25u8 {
                    let msg = [t, i, 42];
                    let sig: DerSignature = key.try_sign(&msg).unwrap();
                    key.verifying_key().verify(&msg, &sig).unwrap();
                }
            });
        }
    });
    hsm.destroy(&l).unwrap();
}

#[test]
fn a_wrong_pin_a_missing_token_or_module_and_a_bad_label_are_refused() {
    let Some(cfg) = config() else { return };
    // Whether or not this process is logged in to the token already, a wrong PIN is refused.
    let wrong = HsmConfig {
        pin: Zeroizing::new("not-the-pin".to_owned()),
        ..cfg.clone()
    };
    let w = Hsm::open(&wrong);
    assert!(matches!(w, Err(HsmError::Pin(_))), "{w:?}");
    let right = Hsm::open(&cfg).unwrap();
    let w = Hsm::open(&wrong);
    assert!(matches!(w, Err(HsmError::Pin(_))), "{w:?}");
    let missing = HsmConfig {
        token: "no-such-token".to_owned(),
        ..cfg.clone()
    };
    assert!(matches!(Hsm::open(&missing), Err(HsmError::NoToken(_))));
    let nomodule = HsmConfig {
        module: "/nonexistent/libpkcs11.so".into(),
        ..cfg
    };
    assert!(matches!(Hsm::open(&nomodule), Err(HsmError::Module { .. })));
    for bad in ["", "tab\there", &"x".repeat(65), "한글"] {
        assert!(
            matches!(right.generate(bad), Err(HsmError::BadLabel(_))),
            "{bad:?}"
        );
    }
    assert!(right.find(&label("absent")).unwrap().is_none());
    // What it prints never holds the PIN.
    assert!(!format!("{right:?} {wrong:?}").contains("dojang-test-pin"));
    assert!(!format!("{wrong:?}").contains("not-the-pin"));
}
