//! The CA's key in a PKCS#11 token (SoftHSM2): `[ca] key = "pkcs11:object=…"`. The key is
//! made in the token on first start and never written to disk; certificates, the CRL and OCSP
//! answers signed by it are accepted by openssl; `dojang admin` opens the same CA from its own
//! process; a restart finds the same key; a key file beside it, a wrong PIN, a missing token or
//! a certificate of another key stop start-up with a message that says what to do.
//!
//! Needs `eval "$(.ci/start-softhsm.sh)"` (`.ci/run` does); without it each test says so and
//! checks nothing.

use std::path::{Path, PathBuf};

use dojang_hsm::{Hsm, HsmConfig};
use dojang_testkit::{TestServer, binary};
use zeroize::Zeroizing;

use crate::revocation::revocation_round;

struct Token {
    module: String,
    token: String,
    pin: String,
}

fn token() -> Option<Token> {
    let c = dojang_hsm::test_token()?;
    Some(Token {
        module: c.module.to_string_lossy().into_owned(),
        token: c.token.clone(),
        pin: c.pin.to_string(),
    })
}

/// Runs `dojang` with `args` (and `env`); its exit status and everything it printed.
fn dojang(args: &[&str], env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let out = std::process::Command::new(binary("dojang"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status,
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn label() -> String {
    format!("test-ca-{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

/// A server on `data` whose CA key is `object` in the test token.
async fn start_on_token(data: &Path, t: &Token, object: &str, pin_file: &Path) -> TestServer {
    let (data, pin_file) = (data.to_owned(), pin_file.to_owned());
    TestServer::start_with(|c| {
        c.data_dir = data;
        c.ca.key = format!("pkcs11:object={object}");
        c.hsm.module = t.module.clone().into();
        c.hsm.token = t.token.clone();
        c.hsm.pin_file = pin_file;
    })
    .await
}

/// A configuration file for `dojang admin` naming this data directory and the token key.
fn config_file(dir: &Path, data: &Path, t: &Token, object: &str, pin_file: &Path) -> PathBuf {
    let path = dir.join("dojang.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = {data:?}\n[ca]\nkey = \"pkcs11:object={object}\"\n[hsm]\nmodule = {module:?}\ntoken = {token:?}\npin_file = {pin_file:?}\n",
            module = t.module,
            token = t.token,
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ca_signs_from_the_token_and_openssl_accepts_what_it_signs() {
    let Some(t) = token() else { return };
    let object = label();
    let secrets = tempfile::tempdir().unwrap();
    let pin_file = secrets.path().join("pin");
    std::fs::write(&pin_file, format!("{}\n", t.pin)).unwrap();
    // Our own data directory, so that it outlives the first server for the restart.
    let data = secrets.path().join("data");
    let s = start_on_token(&data, &t, &object, &pin_file).await;
    // No key file: the only key is the token's, and it is the certificate's.
    assert!(data.join("ca/ca.pem").exists());
    assert!(
        !data.join("ca/ca.key").exists(),
        "a CA key file was written"
    );
    assert!(s.state().ca.private_key_pem().is_none());
    let hsm = Hsm::open(&HsmConfig {
        module: t.module.clone().into(),
        token: t.token.clone(),
        pin: Zeroizing::new(t.pin.clone()),
    })
    .unwrap();
    let key = hsm
        .find(&object)
        .unwrap()
        .expect("the CA key is in the token");
    assert!(
        hsm.private_attribute(&object, cryptoki::object::AttributeType::Value)
            .unwrap()
            .is_none(),
        "the token gives out the CA key"
    );
    let ca_der = s.state().ca.certificate_der().to_vec();
    let spki = key.public_key_der().unwrap();
    assert!(
        ca_der.windows(spki.len()).any(|w| w == spki.as_slice()),
        "the CA certificate carries the token key"
    );
    // openssl: the root is self-signed by that key.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("ca.pem"), s.ca_pem()).unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(tmp.path())
        .args(["verify", "-CAfile", "ca.pem", "ca.pem"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Issuance, a signature, revocation by `dojang admin` from its own process (which opens
    // the token too), the CRL and OCSP: all as with a file key, checked by openssl.
    let config = config_file(secrets.path(), &data, &t, &object, &pin_file);
    revocation_round(
        &s,
        &[
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
    )
    .await;
    s.stop().await;

    // A restart on the same directory loads the same CA from the token.
    let again = start_on_token(&data, &t, &object, &pin_file).await;
    assert_eq!(again.state().ca.certificate_der(), ca_der.as_slice());
    again.stop().await;

    // What stops start-up, each with its reason, checked through `dojang admin` (which opens
    // the data directory as `dojang serve` does) so nothing keeps running.
    // On the PostgreSQL leg the data directory's database is named by the environment.
    let database: Vec<(&str, String)> = dojang_testkit::database_env(&data).into_iter().collect();
    let database: Vec<(&str, &str)> = database.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let admin = |config: &Path| {
        tokio::task::block_in_place(|| {
            dojang(
                &["admin", "--config", config.to_str().unwrap(), "rp", "list"],
                &database,
            )
        })
    };
    let (ok, out) = admin(&config);
    assert!(ok.success(), "{out}");
    // A wrong PIN.
    let wrong_pin = secrets.path().join("wrong-pin");
    std::fs::write(&wrong_pin, "not-the-pin\n").unwrap();
    let (ok, out) = admin(&config_file(secrets.path(), &data, &t, &object, &wrong_pin));
    assert!(!ok.success());
    assert!(out.contains("refused the PIN"), "{out}");
    assert!(!out.contains("not-the-pin"), "the PIN is printed: {out}");
    // The certificate is this key's, but the token has no such key.
    let (ok, out) = admin(&config_file(
        secrets.path(),
        &data,
        &t,
        "no-such-key",
        &pin_file,
    ));
    assert!(!ok.success());
    assert!(out.contains("no key labelled \"no-such-key\""), "{out}");
    // Another key of the token is not this certificate's.
    let other = label();
    hsm.generate(&other).unwrap();
    let (ok, out) = admin(&config_file(secrets.path(), &data, &t, &other, &pin_file));
    assert!(!ok.success());
    assert!(
        out.to_lowercase().contains("does not match")
            || out.to_lowercase().contains("mismatch")
            || out.contains("not the certificate"),
        "{out}"
    );
    // A key file beside a token key: two keys for one CA.
    std::fs::write(data.join("ca/ca.key"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let (ok, out) = admin(&config);
    assert!(!ok.success());
    assert!(out.contains("holds a file key"), "{out}");
    std::fs::remove_file(data.join("ca/ca.key")).unwrap();
    hsm.destroy(&other).unwrap();
    hsm.destroy(&object).unwrap();
}

#[tokio::test]
async fn a_bad_pkcs11_setting_is_refused_with_a_clear_message() {
    // No token needed: the setting is checked before the module is loaded.
    let dir = tempfile::tempdir().unwrap();
    for (key, hsm, says) in [
        (
            "file:/etc/ca.key",
            "",
            "must be empty (a key file) or a pkcs11: URI",
        ),
        ("pkcs11:token=x", "", "needs object=<key label>"),
        ("pkcs11:object=ca", "", "no token"),
        (
            "pkcs11:object=ca;slot-id=3",
            "token = \"t\"",
            "unsupported pkcs11: attribute slot-id",
        ),
        ("pkcs11:object=ca", "token = \"t\"", "no PIN"),
    ] {
        let config = dir.path().join("c.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\n[ca]\nkey = {key:?}\n[hsm]\n{hsm}\n",
                dir.path().join("data")
            ),
        )
        .unwrap();
        let (ok, out) = dojang(
            &["admin", "--config", config.to_str().unwrap(), "rp", "list"],
            &[("DOJANG_HSM_PIN", "")],
        );
        assert!(!ok.success(), "{key}: {out}");
        assert!(out.contains(says), "{key}: {out}");
    }
}
