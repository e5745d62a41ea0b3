//! Raw HTTP helpers for tests that need to send what the SDK never would.

use dojang_proto::{auth, datetime};
use dojang_testkit::{TestParty, TestServer};
use time::OffsetDateTime;

/// An answer: status and parsed JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Answer {
    /// The error code in the body.
    pub fn code(&self) -> i64 {
        self.body["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no code in {:?}", self.body))
    }
}

pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "HTTP {status} body is not JSON: {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    Answer { status, body }
}

/// Send a request signed as `party` at `date` (the server clock's "now" by default).
pub async fn signed(
    server: &TestServer,
    party: &TestParty,
    method: &str,
    path: &str,
    body: &[u8],
    date: Option<OffsetDateTime>,
) -> Answer {
    answer(signed_raw(server, party, method, path, body, date).await).await
}

/// Like [`signed`], returning the response itself (status, headers).
pub async fn signed_raw(
    server: &TestServer,
    party: &TestParty,
    method: &str,
    path: &str,
    body: &[u8],
    date: Option<OffsetDateTime>,
) -> reqwest::Response {
    use base64::Engine as _;
    use dojang_core::Clock;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let date = datetime::format_rfc3339(date.unwrap_or_else(|| server.clock().now()));
    let sig = auth::sign(&secret, method, path, &date, body);
    reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{}{path}", server.url()))
        .header(auth::DATE_HEADER, &date)
        .header(
            "authorization",
            auth::authorization_header(&party.link_id, &sig),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// The standard test person.
pub const NAME: &str = "홍길동";
pub const PHONE: &str = "01012345678";
pub const BIRTH: &str = "19900101";

/// `openssl cms -verify` of a base64 SignedData against the server's CA: the signed content.
pub fn openssl_verify(server: &TestServer, signed_b64: &str) -> String {
    use base64::Engine as _;
    let tmp = tempfile::tempdir().unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(signed_b64)
        .unwrap();
    let (sig, ca, out) = (
        tmp.path().join("s.der"),
        tmp.path().join("ca.pem"),
        tmp.path().join("out"),
    );
    std::fs::write(&sig, der).unwrap();
    std::fs::write(&ca, server.ca_pem()).unwrap();
    let status = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(&sig)
        .arg("-CAfile")
        .arg(&ca)
        .arg("-out")
        .arg(&out)
        .status()
        .expect("openssl is installed");
    assert!(
        status.success(),
        "openssl cms -verify refused the signature"
    );
    std::fs::read_to_string(&out).unwrap()
}

/// The OCSP evidence of a verify result: a response signed by the server's CA (checked by
/// `openssl ocsp`) saying `good` for the certificate with `serial`.
pub fn assert_ocsp_evidence(server: &TestServer, v: &dojang_client::VerifyResult, serial: &str) {
    use base64::Engine as _;
    let b64 = v
        .ocsp_response
        .as_deref()
        .expect("the verify result carries ocspResponse");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("r.der"),
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    std::fs::write(tmp.path().join("ca.pem"), server.ca_pem()).unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(tmp.path())
        .args([
            "ocsp",
            "-respin",
            "r.der",
            "-CAfile",
            "ca.pem",
            "-verify_other",
            "ca.pem",
        ])
        .args(["-resp_text", "-no_nonce"])
        .output()
        .expect("openssl is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("Response verify OK"),
        "{text}"
    );
    assert!(text.contains("Cert Status: good"), "{text}");
    assert!(
        text.contains(&format!("Serial Number: {}", serial.to_uppercase())),
        "{text}"
    );
}
