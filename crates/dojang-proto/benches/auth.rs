//! `cargo bench -p dojang-proto`: the relying-party request check on every API call.

use criterion::{Criterion, criterion_group, criterion_main};
use dojang_proto::auth;

fn hmac(c: &mut Criterion) {
    let key = [7u8; 32];
    let body = r#"{"receiverName":"홍길동","receiverHP":"01012345678","receiverBirthday":"19900101","token":"bench-1","reqTitle":"로그인","expireIn":300}"#.as_bytes();
    let date = "2026-11-22T01:02:03Z";
    let sig = auth::sign(&key, "POST", "/v1/identity", date, body);
    c.bench_function("hmac_request_check", |b| {
        b.iter(|| {
            auth::verify(
                &key,
                "POST",
                "/v1/identity",
                date,
                std::hint::black_box(body),
                &sig,
            )
        })
    });
}

criterion_group!(benches, hmac);
criterion_main!(benches);
