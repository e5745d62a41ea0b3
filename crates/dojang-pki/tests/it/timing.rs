//! A rough timing print (no assertion): `cargo test -p dojang-pki --release -- timing --nocapture`.

use std::time::Instant;

use dojang_pki::{DeviceKey, check_csr};

use crate::common::*;

#[test]
fn timing_print() {
    let f = fixture();
    let content = br#"{"rp":"example-bank","token":"c2lnbi1tZS1wbGVhc2U","nonce":"0198f3a2"}"#;
    let n = if cfg!(debug_assertions) { 50 } else { 2000 };

    let start = Instant::now();
    let mut cms = Vec::new();
    for _ in 0..n {
        cms = f.device.sign_cms(&f.cert.der, content, t_sign()).unwrap();
    }
    let sign = start.elapsed() / n;

    let start = Instant::now();
    for _ in 0..n {
        f.verifier.verify_attached(&cms, t_sign()).unwrap();
    }
    let verify = start.elapsed() / n;

    let device = DeviceKey::generate();
    let csr = device.csr_der(HOLDER_ID).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        check_csr(&csr, HOLDER_ID).unwrap();
    }
    let csr_check = start.elapsed() / n;

    let start = Instant::now();
    for _ in 0..n {
        issue(&f.ca, &device, "홍길동");
    }
    let issue_time = start.elapsed() / n;

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "dojang-pki timing ({profile}, {n} ops, {} bytes CMS): sign_cms {sign:?}, verify_attached {verify:?}, check_csr {csr_check:?}, csr+check+issue {issue_time:?}",
        cms.len()
    );
}
