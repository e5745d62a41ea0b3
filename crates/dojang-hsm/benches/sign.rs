//! What a signature by the token costs next to one by a key in memory:
//! `eval "$(.ci/start-softhsm.sh)"; cargo bench -p dojang-hsm`. Results go to
//! docs/performance.md; nothing here asserts a speed. Without a test token it benches the
//! in-memory key only and says so.

use criterion::{Criterion, criterion_group, criterion_main};
use dojang_hsm::Hsm;
use p256::ecdsa::{DerSignature, SigningKey};
use signature::Signer;

#[allow(clippy::expect_used)] // benchmark set-up: failing here must stop the run
fn sign(c: &mut Criterion) {
    let msg = [7u8; 300]; // about a TBSCertificate's size
    let memory = SigningKey::from_slice(&[1u8; 32]).expect("key");
    c.bench_function("ecdsa-p256 sign, key in memory (RustCrypto)", |b| {
        b.iter(|| -> DerSignature { memory.sign(&msg) });
    });
    let Some(config) = dojang_hsm::test_token() else {
        return;
    };
    let hsm = Hsm::open(&config).expect("token");
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
