//! Micro-benchmarks of the PKI operations on dojang's paths: `cargo bench -p dojang-pki`.
//! Results go to docs/performance.md; nothing here asserts a speed.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dojang_pki::{CaProfile, CertificateAuthority, DeviceKey, IssueRequest, Verifier, check_csr};
use time::OffsetDateTime;

const NAME: &str = "홍길동";
const HOLDER: &str = "0198f3a2-7c4e-7b1a-9f00-123456789abc";

struct Fixture {
    ca: CertificateAuthority,
    device: DeviceKey,
    cert: Vec<u8>,
    now: OffsetDateTime,
}

#[allow(clippy::expect_used)] // benchmark set-up: failing here must stop the run
fn fixture() -> Fixture {
    let now = OffsetDateTime::now_utc();
    let ca = CertificateAuthority::generate(&CaProfile::default(), now).expect("CA");
    let device = DeviceKey::generate();
    let csr = check_csr(&device.csr_der(NAME).expect("csr"), NAME).expect("check");
    let cert = ca
        .issue(&IssueRequest {
            csr: &csr,
            holder_name: NAME,
            holder_id: HOLDER,
            not_before: now,
            not_after: now + Duration::from_secs(86_400),
        })
        .expect("issue")
        .der;
    Fixture {
        ca,
        device,
        cert,
        now,
    }
}

#[allow(clippy::expect_used)]
fn pki(c: &mut Criterion) {
    let f = fixture();
    let token = br#"{"rp":"example-bank","token":"c2lnbi1tZS1wbGVhc2U","nonce":"0198f3a2"}"#;
    let verifier = Verifier::new(f.ca.certificate_der()).expect("verifier");
    let cms = f.device.sign_cms(&f.cert, token, f.now).expect("sign");

    c.bench_function("cms_verify_with_chain", |b| {
        b.iter(|| {
            verifier
                .verify_attached(std::hint::black_box(&cms), f.now)
                .expect("verify")
        })
    });
    c.bench_function("cms_sign", |b| {
        b.iter(|| {
            f.device
                .sign_cms(&f.cert, std::hint::black_box(token), f.now)
                .expect("sign")
        })
    });
    let csr = f.device.csr_der(NAME).expect("csr");
    c.bench_function("csr_check", |b| {
        b.iter(|| check_csr(std::hint::black_box(&csr), NAME).expect("check"))
    });
    let checked = check_csr(&csr, NAME).expect("check");
    c.bench_function("certificate_issue", |b| {
        b.iter(|| {
            f.ca.issue(&IssueRequest {
                csr: &checked,
                holder_name: NAME,
                holder_id: HOLDER,
                not_before: f.now,
                not_after: f.now + Duration::from_secs(86_400),
            })
            .expect("issue")
        })
    });
}

criterion_group!(benches, pki);
criterion_main!(benches);
