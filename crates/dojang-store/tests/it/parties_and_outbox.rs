use dojang_core::{OutboxMessage, Phone};
use dojang_store::StoreError;

use crate::support::*;

#[tokio::test]
async fn relying_parties_round_trip_and_conflict() {
    each_backend(async |db| {
        let s = &*db.store;
        s.ping().await.unwrap();
        let a = party("000000000001", "LINK_A");
        s.insert_relying_party(&a).await.unwrap();
        s.insert_relying_party(&party("000000000002", "LINK_B"))
            .await
            .unwrap();
        let got = s.relying_party_by_link_id("LINK_A").await.unwrap().unwrap();
        assert_eq!(got, a);
        assert_eq!(got.secret.as_bytes(), a.secret.as_bytes());
        assert_eq!(s.relying_party(&a.client_code).await.unwrap().unwrap(), a);
        assert!(s.relying_party_by_link_id("NOPE").await.unwrap().is_none());
        let all = s.relying_parties().await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].client_code.as_str(), "000000000001");
        // Same client code or same LinkID: conflict, nothing written.
        assert!(matches!(
            s.insert_relying_party(&party("000000000001", "LINK_C"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.insert_relying_party(&party("000000000003", "LINK_A"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.relying_parties().await.unwrap().len(), 2, "{}", db.name);
    })
    .await;
}

#[tokio::test]
async fn outbox_keeps_messages_newest_first_and_filters_by_phone() {
    each_backend(async |db| {
        let s = &*db.store;
        let a = Phone::parse("01011112222").unwrap();
        let b = Phone::parse("01033334444").unwrap();
        for (i, p) in [&a, &b, &a].into_iter().enumerate() {
            s.insert_outbox(&OutboxMessage {
                channel: "sms".into(),
                recipient: p.clone(),
                body: format!("message {i}"),
                created_at: NOW,
            })
            .await
            .unwrap();
        }
        let for_a = s.outbox(Some(&a), 10).await.unwrap();
        assert_eq!(
            for_a.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["message 2", "message 0"]
        );
        assert_eq!(s.outbox(None, 2).await.unwrap().len(), 2);
        assert_eq!(s.outbox(None, 10).await.unwrap()[0].body, "message 2");
    })
    .await;
}

#[tokio::test]
async fn personal_data_is_not_in_the_sqlite_file_in_the_clear() {
    let db = TestDb::sqlite().await;
    let (rp, _) = seeded(&*db.store).await;
    let m = db
        .store
        .member_by_phone_birthday(
            &Phone::parse("01012345678").unwrap(),
            &dojang_core::Birthday::parse("19900101", NOW).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let r = request(&rp.client_code, m.id, &m.person, 300);
    db.store.insert_request(&r).await.unwrap();
    db.store
        .insert_outbox(&OutboxMessage {
            channel: "sms".into(),
            recipient: m.person.phone.clone(),
            body: "인증번호 987654".into(),
            created_at: NOW,
        })
        .await
        .unwrap();
    // Read every byte of the database file and its write-ahead log.
    let path = db.sqlite_path.clone().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
        bytes.extend(wal);
    }
    assert!(bytes.len() > 4096);
    let db = bytes;
    for needle in [
        "홍길동",
        "01012345678",
        "19900101",
        "토큰-nonce-1",
        "안내 메시지",
        "987654",
    ] {
        assert!(
            !db.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} found in the clear"
        );
    }
}

#[tokio::test]
async fn a_different_data_key_cannot_read_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let s = dojang_store::open(&url, keys(), &Default::default())
        .await
        .unwrap();
    s.insert_relying_party(&party("000000000001", "LINK_A"))
        .await
        .unwrap();
    drop(s);
    let other = std::sync::Arc::new(dojang_store::DataKeys::from_master(&[8u8; 32]).unwrap());
    let s = dojang_store::open(&url, other, &Default::default())
        .await
        .unwrap();
    assert!(matches!(
        s.relying_party_by_link_id("LINK_A").await,
        Err(StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let e = dojang_store::open("mysql://u:pw@h/db", keys(), &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::UnsupportedUrl(ref u) if u == "mysql://u:***@h/db"),
        "{e}"
    );
}

/// Issue 14 #8 (schema v15): sandbox people and test parties.
#[tokio::test]
async fn sandbox_people_and_test_parties() {
    each_backend(async |db| {
        let s = &*db.store;
        let a = party("000000000001", "LINK_A");
        s.insert_relying_party(&a).await.unwrap();
        assert!(!s.is_sandbox_party(&a.client_code).await.unwrap());
        s.set_sandbox_party(&a.client_code, true).await.unwrap();
        s.set_sandbox_party(&a.client_code, true).await.unwrap();
        assert!(
            s.is_sandbox_party(&a.client_code).await.unwrap(),
            "{}",
            db.name
        );
        s.set_sandbox_party(&a.client_code, false).await.unwrap();
        assert!(!s.is_sandbox_party(&a.client_code).await.unwrap());

        let member = dojang_core::MemberId::generate(NOW, &mut rand::rng());
        let other = dojang_core::MemberId::generate(NOW, &mut rand::rng());
        s.insert_sandbox_person("1000000001", b"owner-a", NOW)
            .await
            .unwrap();
        assert!(matches!(
            s.insert_sandbox_person("1000000001", b"owner-b", NOW).await,
            Err(StoreError::Conflict(_))
        ));
        // A code that is not a sandbox code claims nothing.
        assert!(!s.claim_sandbox_member("1000000002", other).await.unwrap());
        assert!(s.claim_sandbox_member("1000000001", member).await.unwrap());
        // Claimed again (a retried redemption): still a sandbox code.
        assert!(s.claim_sandbox_member("1000000001", member).await.unwrap());
        assert_eq!(
            s.sandbox_owner(member).await.unwrap().as_deref(),
            Some(&b"owner-a"[..])
        );
        assert!(s.sandbox_owner(other).await.unwrap().is_none());
        s.release_sandbox_member(member).await.unwrap();
        assert!(
            s.sandbox_owner(member).await.unwrap().is_none(),
            "{}",
            db.name
        );
    })
    .await;
}
