use std::sync::Arc;
use std::time::Duration;

use dojang_core::enrolment::Enrolment;
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Device, DeviceId, EnrolmentId, Member, MemberId,
    NewRequest, Person, PersonName, Phone, Policy, ReceiptId, RelyingParty, Request, SecretKey,
};
use dojang_proto::rp::IdentityRequest;
use dojang_store::{DataKeys, PoolOptions, Store};
use rand::SeedableRng;
use sqlx::Connection;
use time::OffsetDateTime;
use time::macros::datetime;

pub const NOW: OffsetDateTime = datetime!(2026-11-22 00:00 UTC);

pub fn keys() -> Arc<DataKeys> {
    Arc::new(DataKeys::from_master(&[7u8; 32]).unwrap())
}

pub fn rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::from_rng(&mut rand::rng())
}

/// A store on a fresh database, and what must live as long as it.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub name: &'static str,
    pub sqlite_path: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = format!("sqlite://{}", path.display());
        let store = dojang_store::open(&url, keys(), &PoolOptions::default())
            .await
            .unwrap();
        Self {
            store,
            name: "sqlite",
            sqlite_path: Some(path),
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    async fn postgres(admin_url: &str) -> Self {
        let db = format!("dojang_t_{}", uuid_like());
        let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_database(admin_url, &db);
        let store = dojang_store::open(&url, keys(), &PoolOptions::default())
            .await
            .unwrap();
        Self {
            store,
            name: "postgres",
            sqlite_path: None,
            _dir: None,
            pg_drop: Some((admin_url.to_owned(), db)),
        }
    }

    async fn cleanup(self) {
        drop(self.store);
        if let Some((admin_url, db)) = self.pg_drop
            && let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Replace the database name of a postgres URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{db}{query}")
}

/// Run `f` on SQLite, then on PostgreSQL if configured.
pub async fn each_backend(f: impl AsyncFn(&TestDb)) {
    let db = TestDb::sqlite().await;
    f(&db).await;
    db.cleanup().await;
    match std::env::var("DOJANG_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => {
            let db = TestDb::postgres(&url).await;
            f(&db).await;
            db.cleanup().await;
        }
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but DOJANG_TEST_PG_URL is not set: .ci/run must start PostgreSQL")
        }
        _ => eprintln!("DOJANG_TEST_PG_URL not set: PostgreSQL leg skipped"),
    }
}

pub fn person(name: &str, phone: &str, birthday: &str) -> Person {
    Person {
        name: PersonName::parse(name).unwrap(),
        phone: Phone::parse(phone).unwrap(),
        birthday: Birthday::parse(birthday, NOW).unwrap(),
    }
}

pub fn party(code: &str, link: &str) -> RelyingParty {
    RelyingParty {
        client_code: code.parse().unwrap(),
        link_id: link.into(),
        name: format!("기관 {code}"),
        secret: SecretKey::generate(&mut rng()),
        call_center_num: Some("1600-0000".into()),
        created_at: NOW,
    }
}

pub fn enrolment(p: Person) -> Enrolment {
    Enrolment {
        id: EnrolmentId::generate(NOW, &mut rng()),
        person: p,
        code_hash: vec![42; 32],
        attempts: 0,
        expires_at: NOW + Duration::from_secs(180),
        completed_at: None,
    }
}

pub fn new_member(p: Person) -> Member {
    Member {
        id: MemberId::generate(NOW, &mut rng()),
        person: p,
        ci: format!("ci-{}", uuid_like()),
        created_at: NOW,
    }
}

pub fn device(member: MemberId) -> Device {
    Device {
        id: DeviceId::generate(NOW, &mut rng()),
        member_id: member,
        token_hash: vec![1; 32],
        created_at: NOW,
        revoked_at: None,
        kind: dojang_core::DeviceKind::App,
    }
}

pub fn certificate(member: MemberId, device: DeviceId) -> CertificateRecord {
    CertificateRecord {
        serial: uuid_like(),
        member_id: member,
        device_id: device,
        der: vec![0x30, 0x03, 1, 2, 3],
        not_before: NOW,
        not_after: NOW + Duration::from_secs(3 * 365 * 86400),
        revoked_at: None,
        revocation_reason: None,
        proof: dojang_core::IdentityProof::Sms,
    }
}

pub fn request(client: &ClientCode, member: MemberId, p: &Person, expire_in: i64) -> Request {
    let wire = IdentityRequest::new(
        p.name.as_str(),
        p.phone.as_str(),
        p.birthday.to_compact(),
        "토큰-nonce-1",
        "로그인",
        expire_in,
    )
    .with_extra_message("안내 메시지");
    let new = NewRequest::identity(&wire, &Policy::default(), NOW).unwrap();
    Request::new(
        ReceiptId::generate(NOW, &mut rng()),
        client.clone(),
        member,
        new,
        NOW,
    )
}

/// An enrolled member with a relying party, ready for requests.
pub async fn seeded(store: &dyn Store) -> (RelyingParty, Member) {
    let rp = party("000000000001", "LINK_ONE");
    store.insert_relying_party(&rp).await.unwrap();
    let p = person("홍길동", "01012345678", "19900101");
    let e = enrolment(p.clone());
    store.insert_enrolment(&e, NOW).await.unwrap();
    let m = new_member(p);
    let d = device(m.id);
    let c = certificate(m.id, d.id);
    assert!(
        store
            .complete_enrolment(&dojang_store::CompletedEnrolment {
                proof: dojang_store::Proof::Sms(e.id),
                member: dojang_store::MemberChoice::New(m.clone()),
                device: d,
                certificate: c,
                pin: None,
                cloud: None,
                now: NOW,
            })
            .await
            .unwrap()
    );
    (rp, m)
}
