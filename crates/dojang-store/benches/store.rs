//! `cargo bench -p dojang-store`: field decryption and creating a receipt in SQLite.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dojang_core::{
    Birthday, CertificateRecord, Device, DeviceId, EnrolmentId, Member, MemberId, NewRequest,
    Person, PersonName, Phone, Policy, ReceiptId, RelyingParty, Request, SecretKey,
    enrolment::Enrolment,
};
use dojang_proto::rp::IdentityRequest;
use dojang_store::{CompletedEnrolment, DataKeys, MemberChoice, PoolOptions, Proof};
use time::OffsetDateTime;

#[allow(clippy::expect_used)] // benchmark set-up: failing here must stop the run
fn store(c: &mut Criterion) {
    let keys = Arc::new(DataKeys::from_master(&[7u8; 32]).expect("keys"));
    let sealed = keys
        .seal_str("requests.token", "bench-token-0123456789")
        .expect("seal");
    c.bench_function("aes_gcm_field_decrypt", |b| {
        b.iter(|| {
            keys.open("requests.token", std::hint::black_box(&sealed))
                .expect("open")
        })
    });

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let now = OffsetDateTime::now_utc();
    let mut rng = rand::rng();
    let store = rt
        .block_on(dojang_store::open(&url, keys, &PoolOptions::default()))
        .expect("open");
    let person = Person {
        name: PersonName::parse("홍길동").expect("name"),
        phone: Phone::parse("01012345678").expect("phone"),
        birthday: Birthday::parse("19900101", now).expect("birthday"),
    };
    let rp = RelyingParty {
        client_code: "000000000001".parse().expect("code"),
        link_id: "BENCH".into(),
        name: "bench".into(),
        secret: SecretKey::generate(&mut rng),
        call_center_num: None,
        created_at: now,
    };
    let member = Member {
        id: MemberId::generate(now, &mut rng),
        person: person.clone(),
        ci: "ci".into(),
        created_at: now,
    };
    let device = DeviceId::generate(now, &mut rng);
    let enrolment = Enrolment {
        id: EnrolmentId::generate(now, &mut rng),
        person: person.clone(),
        code_hash: vec![0; 32],
        attempts: 0,
        expires_at: now + Duration::from_secs(60),
        completed_at: None,
    };
    rt.block_on(async {
        store.insert_relying_party(&rp).await.expect("rp");
        store
            .insert_enrolment(&enrolment, now)
            .await
            .expect("enrolment");
        store
            .complete_enrolment(&CompletedEnrolment {
                proof: Proof::Sms(enrolment.id),
                member: MemberChoice::New(member.clone()),
                device: Device {
                    id: device,
                    member_id: member.id,
                    token_hash: vec![0; 32],
                    created_at: now,
                    revoked_at: None,
                    kind: dojang_core::DeviceKind::App,
                },
                certificate: CertificateRecord {
                    serial: "01".into(),
                    member_id: member.id,
                    device_id: device,
                    der: vec![0x30, 0],
                    not_before: now,
                    not_after: now + Duration::from_secs(86_400),
                    revoked_at: None,
                    revocation_reason: None,
                    proof: dojang_core::IdentityProof::Sms,
                },
                pin: None,
                cloud: None,
                now,
            })
            .await
            .expect("enrol");
    });
    let wire = IdentityRequest::new(
        "홍길동",
        "01012345678",
        "19900101",
        "bench-token",
        "로그인",
        300,
    );
    let new = NewRequest::identity(&wire, &Policy::default(), now).expect("valid");
    c.bench_function("receipt_creation_sqlite", |b| {
        b.iter(|| {
            let r = Request::new(
                ReceiptId::generate(now, &mut rand::rng()),
                rp.client_code.clone(),
                member.id,
                new.clone(),
                now,
            );
            rt.block_on(store.insert_request(&r)).expect("insert");
        })
    });
}

criterion_group!(benches, store);
criterion_main!(benches);
