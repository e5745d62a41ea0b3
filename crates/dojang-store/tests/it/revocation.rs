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
            pin: None,
            cloud: None,
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

/// Wrong PIN proofs are counted one by one even when they race, and exactly one of them locks
/// the device, revoking it and its certificate; a locked check changes no more.
#[tokio::test]
async fn pin_failures_race_to_exactly_one_lock() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let m = new_member(p.clone());
        let e = enrolment(p.clone());
        s.insert_enrolment(&e, NOW).await.unwrap();
        let d = device(m.id);
        let c = certificate(m.id, d.id);
        let pin = dojang_store::NewDevicePin {
            verifier: vec![1; 32],
            unlock_secret: vec![2; 32],
        };
        assert!(
            s.complete_enrolment(&CompletedEnrolment {
                proof: dojang_store::Proof::Sms(e.id),
                member: MemberChoice::New(m.clone()),
                device: d.clone(),
                certificate: c.clone(),
                pin: Some(pin.clone()),
                cloud: None,
                now: NOW,
            })
            .await
            .unwrap()
        );
        let stored = s.device_pin(d.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.verifier.as_slice(), stored.unlock_secret.as_slice()),
            (&[1u8; 32][..], &[2u8; 32][..])
        );
        assert_eq!((stored.failures, stored.locked_at), (0, None));
        // Two wrong, one right: the count starts again.
        s.pin_failed(d.id, 5, NOW).await.unwrap();
        s.pin_failed(d.id, 5, NOW).await.unwrap();
        assert!(s.pin_succeeded(d.id, NOW).await.unwrap());
        assert_eq!(s.device_pin(d.id).await.unwrap().unwrap().failures, 0);
        // Twelve wrong at once.
        let later = NOW + Duration::from_secs(5);
        let mut racing = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let (store, id) = (db.store.clone(), d.id);
            racing.spawn(async move { store.pin_failed(id, 5, later).await.unwrap() });
        }
        let outcomes = racing.join_all().await;
        use dojang_store::PinFailure::*;
        assert_eq!(
            outcomes.iter().filter(|o| **o == LockedNow).count(),
            1,
            "{outcomes:?}"
        );
        assert_eq!(
            outcomes.iter().filter(|o| matches!(o, Counted(_))).count(),
            4,
            "{outcomes:?}"
        );
        assert_eq!(
            outcomes.iter().filter(|o| **o == Unchanged).count(),
            7,
            "{outcomes:?}"
        );
        let locked = s.device_pin(d.id).await.unwrap().unwrap();
        assert_eq!((locked.failures, locked.locked_at), (5, Some(later)));
        assert_eq!(
            s.device(d.id).await.unwrap().unwrap().revoked_at,
            Some(later)
        );
        let cert = s.certificate(&c.serial).await.unwrap().unwrap();
        assert_eq!(
            (cert.revoked_at, cert.revocation_reason),
            (Some(later), Some(1))
        );
        // Locked: no reset, no new PIN.
        assert!(!s.pin_succeeded(d.id, later).await.unwrap());
        assert!(!s.replace_pin(d.id, &pin, later).await.unwrap());
        // A device without a PIN check: nothing to count.
        let other = device(m.id);
        assert_eq!(s.pin_failed(other.id, 5, later).await.unwrap(), Unchanged);
        assert!(s.device_pin(other.id).await.unwrap().is_none());
    })
    .await;
}

/// A legal name change revokes the member's certificates (affiliationChanged); a device given
/// up takes its certificates with it (the reason given).
#[tokio::test]
async fn rename_and_device_revocation_take_the_certificates_along() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let m = new_member(p.clone());
        let c = enrolled(s, &p, MemberChoice::New(m.clone()), NOW).await;
        let later = NOW + Duration::from_secs(10);
        let new_name = dojang_core::PersonName::parse("홍길순").unwrap();
        assert!(s.rename_member(m.id, &new_name, later).await.unwrap());
        let renamed = s.member(m.id).await.unwrap().unwrap();
        assert_eq!(renamed.person.name, new_name);
        assert_eq!(renamed.person.phone, p.phone, "the rest stays");
        let cert = s.certificate(&c.serial).await.unwrap().unwrap();
        assert_eq!(
            (cert.revoked_at, cert.revocation_reason),
            (Some(later), Some(3))
        );
        assert!(
            !s.rename_member(new_member(p.clone()).id, &new_name, later)
                .await
                .unwrap()
        );

        let other = person("김철수", "01098765432", "19851212");
        let om = new_member(other.clone());
        let oc = enrolled(s, &other, MemberChoice::New(om.clone()), NOW).await;
        let gone = NOW + Duration::from_secs(20);
        assert!(s.revoke_device(oc.device_id, 5, gone).await.unwrap());
        assert_eq!(
            s.device(oc.device_id).await.unwrap().unwrap().revoked_at,
            Some(gone)
        );
        let cert = s.certificate(&oc.serial).await.unwrap().unwrap();
        assert_eq!(
            (cert.revoked_at, cert.revocation_reason),
            (Some(gone), Some(5))
        );
        assert!(
            !s.revoke_device(oc.device_id, 5, gone).await.unwrap(),
            "once"
        );
    })
    .await;
}

/// Renewal supersedes the old certificate and inserts the new one together, once.
#[tokio::test]
async fn renewal_replaces_a_certificate_once() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let m = new_member(p.clone());
        let old = enrolled(s, &p, MemberChoice::New(m.clone()), NOW).await;
        let new = certificate(m.id, old.device_id);
        let later = NOW + Duration::from_secs(60);
        assert!(s.renew_certificate(&old.serial, &new, later).await.unwrap());
        let o = s.certificate(&old.serial).await.unwrap().unwrap();
        assert_eq!((o.revoked_at, o.revocation_reason), (Some(later), Some(4)));
        assert!(
            s.certificate(&new.serial)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_none()
        );
        // The old one again: nothing written (the second new serial does not appear).
        let again = certificate(m.id, old.device_id);
        assert!(
            !s.renew_certificate(&old.serial, &again, later)
                .await
                .unwrap()
        );
        assert!(s.certificate(&again.serial).await.unwrap().is_none());
    })
    .await;
}

/// A login registers a device without a certificate: a new member if need be; the member's
/// earlier devices without a certificate are superseded, one with a certificate stays.
#[tokio::test]
async fn a_login_keeps_the_certified_device_and_replaces_older_logins() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let m = new_member(p.clone());
        let login = |choice: MemberChoice, member_id| {
            let e = enrolment(p.clone());
            let d = device(member_id);
            (e, d, choice)
        };
        // First a login for a new member: no certificate.
        let (e1, d1, c1) = login(MemberChoice::New(m.clone()), m.id);
        s.insert_enrolment(&e1, NOW).await.unwrap();
        let done = |e: &dojang_core::enrolment::Enrolment, d: &dojang_core::Device, c| {
            dojang_store::CompletedLogin {
                enrolment_id: e.id,
                member: c,
                device: d.clone(),
                now: NOW,
            }
        };
        assert!(s.complete_login(&done(&e1, &d1, c1)).await.unwrap());
        assert!(
            !s.complete_login(&done(&e1, &d1, MemberChoice::Existing(m.id)))
                .await
                .unwrap(),
            "once"
        );
        assert!(s.member(m.id).await.unwrap().is_some());
        assert!(!s.has_active_certificate(m.id, NOW).await.unwrap());
        // A second login replaces the first (both without a certificate).
        let (e2, d2, c2) = login(MemberChoice::Existing(m.id), m.id);
        s.insert_enrolment(&e2, NOW).await.unwrap();
        assert!(s.complete_login(&done(&e2, &d2, c2)).await.unwrap());
        assert!(s.device(d1.id).await.unwrap().unwrap().revoked_at.is_some());
        assert!(s.device(d2.id).await.unwrap().unwrap().revoked_at.is_none());
        // A certificate (an enrolment supersedes every earlier device), then a third login:
        // the certified device stays.
        let cert = enrolled(s, &p, MemberChoice::Existing(m.id), NOW).await;
        assert!(s.has_active_certificate(m.id, NOW).await.unwrap());
        assert!(
            !s.has_active_certificate(m.id, cert.not_after + Duration::from_secs(1))
                .await
                .unwrap()
        );
        let (e3, d3, c3) = login(MemberChoice::Existing(m.id), m.id);
        s.insert_enrolment(&e3, NOW).await.unwrap();
        assert!(s.complete_login(&done(&e3, &d3, c3)).await.unwrap());
        assert!(s.device(d3.id).await.unwrap().unwrap().revoked_at.is_none());
        assert!(
            s.device(cert.device_id)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_none()
        );
    })
    .await;
}
