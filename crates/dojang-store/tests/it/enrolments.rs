use dojang_store::{CompletedEnrolment, MemberChoice, Proof, StoreError};
use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn code_attempts_are_counted_atomically_up_to_the_limit() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let e = enrolment(p.clone());
        s.insert_enrolment(&e, NOW).await.unwrap();
        assert_eq!(s.enrolment(e.id).await.unwrap().unwrap(), e);
        // Ten racing attempts against a limit of five: exactly five are counted.
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let st = db.store.clone();
            tasks.push(tokio::spawn(async move {
                st.count_code_attempt(e.id, 5).await.unwrap()
            }));
        }
        let mut counted = Vec::new();
        for t in tasks {
            if let Some(e) = t.await.unwrap() {
                counted.push(e.attempts);
            }
        }
        counted.sort();
        assert_eq!(counted, [1, 2, 3, 4, 5], "{}", db.name);
        assert!(s.count_code_attempt(e.id, 5).await.unwrap().is_none());
        assert_eq!(s.enrolment(e.id).await.unwrap().unwrap().attempts, 5);
        assert_eq!(s.enrolments_since(&p.phone, NOW).await.unwrap(), 1);
        assert_eq!(
            s.enrolments_since(&p.phone, NOW + Duration::from_secs(1))
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn completing_creates_member_device_certificate_once() {
    each_backend(async |db| {
        let s = &*db.store;
        let (_, m) = seeded(s).await;
        let found = s
            .member_by_phone_birthday(&m.person.phone, &m.person.birthday)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, m);
        assert_eq!(s.member(m.id).await.unwrap().unwrap(), m);
        // The same enrolment cannot complete twice.
        let e = enrolment(m.person.clone());
        s.insert_enrolment(&e, NOW).await.unwrap();
        let d1 = device(m.id);
        let c1 = certificate(m.id, d1.id);
        let done = CompletedEnrolment {
            proof: Proof::Sms(e.id),
            member: MemberChoice::Existing(m.id),
            device: d1.clone(),
            certificate: c1.clone(),
            pin: None,
            cloud: None,
            now: NOW,
        };
        assert!(s.complete_enrolment(&done).await.unwrap());
        let again = CompletedEnrolment {
            device: device(m.id),
            certificate: certificate(m.id, d1.id),
            ..done.clone()
        };
        assert!(!s.complete_enrolment(&again).await.unwrap());
        assert_eq!(s.device(d1.id).await.unwrap().unwrap(), d1);
        assert_eq!(s.certificate(&c1.serial).await.unwrap().unwrap(), c1);
        assert!(
            s.enrolment(e.id)
                .await
                .unwrap()
                .unwrap()
                .completed_at
                .is_some()
        );
        assert!(
            s.count_code_attempt(e.id, 5).await.unwrap().is_none(),
            "completed enrolments take no codes"
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_enrolment_supersedes_the_old_device_and_certificate() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let e1 = enrolment(p.clone());
        s.insert_enrolment(&e1, NOW).await.unwrap();
        let m = new_member(p.clone());
        let (d1, c1) = {
            let d = device(m.id);
            let c = certificate(m.id, d.id);
            (d, c)
        };
        assert!(
            s.complete_enrolment(&CompletedEnrolment {
                proof: Proof::Sms(e1.id),
                member: MemberChoice::New(m.clone()),
                device: d1.clone(),
                certificate: c1.clone(),
                pin: None,
                cloud: None,
                now: NOW
            })
            .await
            .unwrap()
        );
        let e2 = enrolment(p.clone());
        s.insert_enrolment(&e2, NOW).await.unwrap();
        let later = NOW + Duration::from_secs(60);
        let (d2, c2) = {
            let d = device(m.id);
            let c = certificate(m.id, d.id);
            (d, c)
        };
        assert!(
            s.complete_enrolment(&CompletedEnrolment {
                proof: Proof::Sms(e2.id),
                member: MemberChoice::Existing(m.id),
                device: d2.clone(),
                certificate: c2.clone(),
                pin: None,
                cloud: None,
                now: later
            })
            .await
            .unwrap()
        );
        assert_eq!(
            s.device(d1.id).await.unwrap().unwrap().revoked_at,
            Some(later)
        );
        assert_eq!(
            s.certificate(&c1.serial).await.unwrap().unwrap().revoked_at,
            Some(later)
        );
        assert_eq!(s.device(d2.id).await.unwrap().unwrap().revoked_at, None);
        assert_eq!(
            s.certificate(&c2.serial).await.unwrap().unwrap().revoked_at,
            None
        );
        // A second "new" member with the same phone and birth date is a conflict, and the
        // transaction leaves nothing behind.
        let e3 = enrolment(p.clone());
        s.insert_enrolment(&e3, NOW).await.unwrap();
        let m2 = new_member(p);
        let d3 = device(m2.id);
        let r = s
            .complete_enrolment(&CompletedEnrolment {
                proof: Proof::Sms(e3.id),
                member: MemberChoice::New(m2.clone()),
                device: d3.clone(),
                certificate: certificate(m2.id, d3.id),
                pin: None,
                cloud: None,
                now: later,
            })
            .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{}", db.name);
        assert!(
            s.enrolment(e3.id)
                .await
                .unwrap()
                .unwrap()
                .completed_at
                .is_none()
        );
        assert!(s.device(d3.id).await.unwrap().is_none());
        assert!(s.member(m2.id).await.unwrap().is_none());
    })
    .await;
}
