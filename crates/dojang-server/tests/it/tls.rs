//! The HTTPS listener (`[tls]`): the same routes as the plain one, under a certificate made
//! by `openssl` for 127.0.0.1, and the ways a bad TLS setup is refused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use dojang_client::IdentityRequest;
use dojang_client::linkhub::LinkHubAuth;
use dojang_core::Clock;

use dojang_server::config::TlsConfig;
use dojang_server::{Config, Server, ServerError, ServerOptions};
use dojang_testkit::TestServer;

use crate::common::*;

/// A self-signed P-256 certificate for 127.0.0.1 and localhost: (cert.pem, key.pem).
pub(crate) fn test_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=dojang test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

fn trusting(cert: &Path) -> reqwest::Client {
    let pem = std::fs::read(cert).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_same_routes_over_https_and_plain_http_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = test_certificate(dir.path());
    let s = TestServer::start_with(|c| {
        c.tls = TlsConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            cert: Some(cert.clone()),
            key: Some(key.clone()),
        };
    })
    .await;
    let tls = s.tls_url().expect("a TLS listener");
    assert!(tls.starts_with("https://127.0.0.1:"), "{tls}");
    let client = trusting(&cert);
    let res = client.get(format!("{tls}/Time")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.version(), reqwest::Version::HTTP_11);
    let over_tls = res.text().await.unwrap();
    assert_eq!(over_tls.len(), "2024-01-02T03:04:05Z".len(), "{over_tls:?}");
    // A whole signed flow over TLS: request and verify through it, the device on plain HTTP.
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let now = s.clock().now(); // the manual clock stands still in this test
    let rp = dojang_client::Client::new(&tls, party.credentials())
        .unwrap()
        .with_http_client(client.clone())
        .with_time_source(Arc::new(move || now));
    let r = rp
        .request_verify_auth(&IdentityRequest::new(
            NAME,
            PHONE,
            BIRTH,
            "nonce",
            "로그인",
            300,
        ))
        .await
        .unwrap();
    assert_eq!(
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap(),
        1
    );
    let v = rp.verify_auth(&r.receipt_id).await.unwrap();
    assert!(v.signed_data.is_some_and(|d| !d.is_empty()));
    // The LinkHub token service too; with the platform's roots the certificate is refused.
    let auth = |http: Option<reqwest::Client>| {
        let a = LinkHubAuth::new(&tls, &party.link_id, &party.secret).unwrap();
        match http {
            Some(h) => a.with_http_client(h),
            None => a,
        }
    };
    let t = auth(Some(client.clone())).barocert_token().await.unwrap();
    assert_eq!(t.ipaddress, "127.0.0.1", "bound to the TLS peer's address");
    assert!(auth(None).barocert_token().await.is_err());
    let plain = reqwest::get(format!("{}/Time", s.url())).await.unwrap();
    assert_eq!(plain.status().as_u16(), 200);

    // Someone speaking plain HTTP to the TLS port, or never finishing a handshake, gets
    // nothing and harms nobody.
    let http_to_tls = tls.replacen("https://", "http://", 1);
    assert!(reqwest::get(format!("{http_to_tls}/Time")).await.is_err());
    let addr = tls.trim_start_matches("https://").to_owned();
    let silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let res = client.get(format!("{tls}/Time")).send().await.unwrap();
    assert_eq!(
        res.status().as_u16(),
        200,
        "a silent client does not block others"
    );
    drop(silent);
    // A client that does not trust the certificate is refused by its own TLS check.
    assert!(reqwest::get(format!("{tls}/Time")).await.is_err());
    s.stop().await;
}

#[tokio::test]
async fn a_bad_tls_setup_stops_the_start_with_a_clear_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = test_certificate(dir.path());
    let base = || Config {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let tls = |cert: &Path, key: &Path| TlsConfig {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        cert: Some(cert.to_owned()),
        key: Some(key.to_owned()),
    };
    // Only some of the keys.
    let mut partial = base();
    partial.tls.listen = Some("127.0.0.1:0".parse().unwrap());
    let e = partial.validate().unwrap_err().to_string();
    assert!(e.contains("tls.listen, tls.cert and tls.key"), "{e}");
    let start = |config: Config| async move {
        Server::bind(&config, ServerOptions::default())
            .await
            .map(|_| ())
            .unwrap_err()
    };
    // A missing file.
    let mut missing = base();
    missing.tls = tls(&dir.path().join("nope.pem"), &key);
    let e = start(missing).await;
    assert!(matches!(e, ServerError::Tls(_)), "{e}");
    assert!(e.to_string().contains("nope.pem"), "{e}");
    // The key in place of the certificate.
    let mut swapped = base();
    swapped.tls = tls(&key, &cert);
    let e = start(swapped).await;
    assert!(matches!(e, ServerError::Tls(_)), "{e}");
    // A key that is not the certificate's.
    let other = tempfile::tempdir().unwrap();
    let (_, other_key) = test_certificate(other.path());
    let mut mismatched = base();
    mismatched.tls = tls(&cert, &other_key);
    let e = start(mismatched).await;
    assert!(e.to_string().contains("usable pair"), "{e}");
}
