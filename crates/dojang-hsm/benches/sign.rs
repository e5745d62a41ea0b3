//! What a signature by the token costs next to one by a key in memory:
//! `eval "$(.ci/start-softhsm.sh)"; cargo bench -p dojang-hsm`. Results go to
//! docs/performance.md; nothing here asserts a speed. Without a test token it benches the
//! in-memory key only and says so.

use criterion::{Criterion, criterion_group, criterion_main};
use dojang_hsm::{Hsm, HsmConfig, SOFTHSM2_MODULE};
use p256::ecdsa::{DerSignature, SigningKey};
use signature::Signer;
use zeroize::Zeroizing;

#[allow(clippy::expect_used)] // benchmark set-up: failing here must stop the run
fn sign(c: &mut Criterion) {
    let msg = [7u8; 300]; // about a TBSCertificate's size
    let memory = SigningKey::from_slice(&[1u8; 32]).expect("key");
    c.bench_function("ecdsa-p256 sign, key in memory (RustCrypto)", |b| {
        b.iter(|| -> DerSignature { memory.sign(&msg) });
    });
    let (Ok(token), Ok(pin)) = (
        std::env::var("DOJANG_TEST_HSM_TOKEN"),
        std::env::var("DOJANG_TEST_HSM_PIN"),
    ) else {
        eprintln!("no PKCS#11 test token: the token benchmark is skipped");
        return;
    };
    let hsm = Hsm::open(&HsmConfig {
        module: std::env::var("DOJANG_TEST_HSM_MODULE")
            .unwrap_or_else(|_| SOFTHSM2_MODULE.to_owned())
            .into(),
        token,
        pin: Zeroizing::new(pin),
    })
    .expect("token");
    let label = format!("bench-{:x}", rand::random::<u32>());
    let key = hsm.generate(&label).expect("key");
    c.bench_function(
        "ecdsa-p256 sign, key in the PKCS#11 token (SoftHSM2)",
        |b| {
            b.iter(|| -> DerSignature { key.sign(&msg) });
        },
    );
    hsm.destroy(&label).expect("clean up");
}

criterion_group!(benches, sign);
criterion_main!(benches);
