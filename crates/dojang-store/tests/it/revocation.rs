//! Revocation in the store: revoke once with a reason, the CRL's list and marker, listing a
//! member's certificates, and finding members by phone alone.

use dojang_store::{CompletedEnrolment, MemberChoice, Proof, Store};
use std::time::Duration;

use crate::support::*;

/// Enrol `p` (new member) with one device and certificate at `now`.
async fn enrolled(
    s: &dyn Store,
    p: &dojang_core::Person,
    member: MemberChoice,
    now: time::OffsetDateTime,
) -> dojang_core::CertificateRecord {
    let e = enrolment(p.clone());
    s.insert_enrolment(&e, now).await.unwrap();
    let member_id = match &member {
        MemberChoice::New(m) => m.id,
        MemberChoice::Existing(id) => *id,
    };
    let d = device(member_id);
    let c = certificate(member_id, d.id);
    assert!(
        s.complete_enrolment(&CompletedEnrolment {
            proof: Proof::Sms(e.id),
            member,
            device: d,
            certificate: c.clone(),
            now,
        })
        .await
        .unwrap()
    );
    c
}

#[tokio::test]
async fn a_certificate_is_revoked_once_with_its_reason_and_listed() {
    each_backend(async |db| {
        let s = &*db.store;
        assert_eq!(s.revocation_marker().await.unwrap(), (0, None));
        assert!(s.revoked_certificates().await.unwrap().is_empty());
        let p = person("홍길동", "01012345678", "19900101");
        let m = new_member(p.clone());
        let c = enrolled(s, &p, MemberChoice::New(m.clone()), NOW).await;
        let at = NOW + Duration::from_secs(30);
        let r = s
            .revoke_certificate(&c.serial, at, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r.revoked_at, r.revocation_reason), (Some(at), Some(1)));
        // Once: a second revocation changes nothing; an unknown serial is None too.
        let later = at + Duration::from_secs(30);
        assert!(
            s.revoke_certificate(&c.serial, later, 4)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.revoke_certificate("00ff", later, 1)
                .await
                .unwrap()
                .is_none()
        );
        let stored = s.certificate(&c.serial).await.unwrap().unwrap();
        assert_eq!(
            (stored.revoked_at, stored.revocation_reason),
            (Some(at), Some(1))
        );
        let listed = s.revoked_certificates().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (
                listed[0].serial.as_str(),
                listed[0].revoked_at,
                listed[0].reason
            ),
            (c.serial.as_str(), at, 1)
        );
        let (count, latest) = s.revocation_marker().await.unwrap();
        assert_eq!(count, 1);
        assert_eq!(latest, Some(at.unix_timestamp() * 1000));
    })
    .await;
}

#[tokio::test]
async fn re_enrolment_supersedes_and_members_are_found_by_phone_alone() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let m = new_member(p.clone());
        let first = enrolled(s, &p, MemberChoice::New(m.clone()), NOW).await;
        let later = NOW + Duration::from_secs(60);
        let second = enrolled(s, &p, MemberChoice::Existing(m.id), later).await;
        let old = s.certificate(&first.serial).await.unwrap().unwrap();
        assert_eq!(old.revocation_reason, Some(4), "superseded");
        let mine = s.certificates_of(m.id).await.unwrap();
        assert_eq!(
            mine.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(),
            [second.serial.as_str(), first.serial.as_str()],
            "newest first"
        );
        // Another person with the same phone and another birth date; and someone else.
        let twin = person("홍길순", "01012345678", "19920202");
        let tm = new_member(twin.clone());
        enrolled(s, &twin, MemberChoice::New(tm.clone()), later).await;
        let other = person("김철수", "01098765432", "19851212");
        enrolled(
            s,
            &other,
            MemberChoice::New(new_member(other.clone())),
            later,
        )
        .await;
        let found = s.members_by_phone(&p.phone).await.unwrap();
        let mut ids: Vec<_> = found.iter().map(|m| m.id).collect();
        ids.sort();
        let mut want = vec![m.id, tm.id];
        want.sort();
        assert_eq!(ids, want);
        assert!(found.iter().all(|f| f.person.phone == p.phone));
        assert_eq!(s.recent_certificates(2).await.unwrap().len(), 2);
        assert_eq!(s.recent_certificates(100).await.unwrap().len(), 4);
    })
    .await;
}

/// Members written before schema v4 have no phone lookup; opening the store computes it.
#[tokio::test]
async fn members_from_before_the_phone_lookup_get_one_when_the_store_opens() {
    let db = TestDb::sqlite().await;
    let p = person("홍길동", "01012345678", "19900101");
    let m = new_member(p.clone());
    enrolled(&*db.store, &p, MemberChoice::New(m.clone()), NOW).await;
    let path = db.sqlite_path.clone().unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("UPDATE members SET phone_lookup = NULL", [])
        .unwrap();
    assert!(
        db.store
            .members_by_phone(&p.phone)
            .await
            .unwrap()
            .is_empty()
    );
    let url = format!("sqlite://{}", path.display());
    let reopened = dojang_store::open(&url, keys(), &dojang_store::PoolOptions::default())
        .await
        .unwrap();
    let found = reopened.members_by_phone(&p.phone).await.unwrap();
    assert_eq!(found.iter().map(|f| f.id).collect::<Vec<_>>(), [m.id]);
    let nulls: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM members WHERE phone_lookup IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(nulls, 0);
}
