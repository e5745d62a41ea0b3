//! The other two proofs of identity: bank-account checks and registration-desk codes — their
//! tables, their atomic attempt counters, and the one completion that closes them.

use std::time::Duration;

use dojang_core::bank::{AccountNumber, BankCheck, BankCode};
use dojang_core::registration::{RaCode, ReferenceNumber};
use dojang_core::{EnrolmentId, Person};
use dojang_store::{CompletedEnrolment, MemberChoice, Proof, StoreError};

use crate::support::*;

fn bank_check(p: Person, account: &str) -> BankCheck {
    BankCheck {
        id: EnrolmentId::generate(NOW, &mut rng()),
        person: p,
        bank: BankCode::parse("004").unwrap(),
        account: AccountNumber::parse(account).unwrap(),
        word_hash: vec![7; 32],
        attempts: 0,
        expires_at: NOW + Duration::from_secs(600),
        completed_at: None,
    }
}

fn ra_code(p: Person, reference: &str) -> RaCode {
    RaCode {
        reference: ReferenceNumber::parse(reference).unwrap(),
        person: p,
        code_hash: vec![9; 32],
        attempts: 0,
        issued_at: NOW,
        expires_at: NOW + Duration::from_secs(7 * 86_400),
        used_at: None,
        serial: None,
        cancelled_at: None,
    }
}

/// A completion for a new member with `proof`, and the certificate's serial.
fn completion(p: &Person, proof: Proof, now: time::OffsetDateTime) -> (CompletedEnrolment, String) {
    let m = new_member(p.clone());
    let d = device(m.id);
    let c = certificate(m.id, d.id);
    let serial = c.serial.clone();
    (
        CompletedEnrolment {
            proof,
            member: MemberChoice::New(m),
            device: d,
            certificate: c,
            pin: None,
            cloud: None,
            now,
        },
        serial,
    )
}

#[tokio::test]
async fn bank_checks_round_trip_count_words_atomically_and_close_once() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let b = bank_check(p.clone(), "123-456-789");
        s.insert_bank_check(&b, NOW).await.unwrap();
        assert_eq!(s.bank_check(b.id).await.unwrap().unwrap(), b, "{}", db.name);
        assert!(
            s.bank_check(EnrolmentId::generate(NOW, &mut rng()))
                .await
                .unwrap()
                .is_none()
        );
        // The same id twice is a conflict.
        assert!(matches!(
            s.insert_bank_check(&b, NOW).await,
            Err(StoreError::Conflict(_))
        ));
        // Ten racing words against a limit of three: exactly three are counted.
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let st = db.store.clone();
            tasks.push(tokio::spawn(async move {
                st.count_bank_attempt(b.id, 3).await.unwrap()
            }));
        }
        let mut counted = Vec::new();
        for t in tasks {
            if let Some(c) = t.await.unwrap() {
                counted.push(c.attempts);
            }
        }
        counted.sort();
        assert_eq!(counted, [1, 2, 3], "{}", db.name);
        assert_eq!(s.bank_check(b.id).await.unwrap().unwrap().attempts, 3);

        // A fresh check completes once; completed checks take no more words.
        let b2 = bank_check(p.clone(), "123456789");
        s.insert_bank_check(&b2, NOW).await.unwrap();
        let later = NOW + Duration::from_secs(30);
        let (done, serial) = completion(&p, Proof::Bank(b2.id), later);
        assert!(s.complete_enrolment(&done).await.unwrap(), "{}", db.name);
        assert_eq!(
            s.bank_check(b2.id).await.unwrap().unwrap().completed_at,
            Some(later)
        );
        assert!(s.certificate(&serial).await.unwrap().is_some());
        let (again, serial2) = completion(&p, Proof::Bank(b2.id), later);
        assert!(!s.complete_enrolment(&again).await.unwrap());
        assert!(
            s.certificate(&serial2).await.unwrap().is_none(),
            "nothing written"
        );
        assert!(s.count_bank_attempt(b2.id, 3).await.unwrap().is_none());
        // A bank check's id closes no SMS enrolment, and the other way round.
        let e = enrolment(p.clone());
        s.insert_enrolment(&e, NOW).await.unwrap();
        let (wrong, _) = completion(&p, Proof::Bank(e.id), later);
        assert!(!s.complete_enrolment(&wrong).await.unwrap());
        let b3 = bank_check(p.clone(), "1");
        s.insert_bank_check(&b3, NOW).await.unwrap();
        let (wrong, _) = completion(&p, Proof::Sms(b3.id), later);
        assert!(!s.complete_enrolment(&wrong).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn bank_checks_are_counted_per_phone_and_per_account() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let other = person("김영희", "01099998888", "19850505");
        let bank = BankCode::parse("004").unwrap();
        let account = AccountNumber::parse("123-456-789").unwrap();
        s.insert_bank_check(&bank_check(p.clone(), "123-456-789"), NOW)
            .await
            .unwrap();
        s.insert_bank_check(&bank_check(p.clone(), "555-5555"), NOW)
            .await
            .unwrap();
        // Another person names the same account, typed without dashes: the same account.
        s.insert_bank_check(&bank_check(other.clone(), "123456789"), NOW)
            .await
            .unwrap();
        assert_eq!(
            s.bank_checks_since(&p.phone, &bank, &account, NOW)
                .await
                .unwrap(),
            (2, 2),
            "{}",
            db.name
        );
        assert_eq!(
            s.bank_checks_since(
                &other.phone,
                &bank,
                &AccountNumber::parse("9").unwrap(),
                NOW
            )
            .await
            .unwrap(),
            (1, 0)
        );
        // Another bank's account with the same digits is another account.
        assert_eq!(
            s.bank_checks_since(&p.phone, &BankCode::parse("088").unwrap(), &account, NOW)
                .await
                .unwrap(),
            (2, 0)
        );
        assert_eq!(
            s.bank_checks_since(&p.phone, &bank, &account, NOW + Duration::from_secs(1))
                .await
                .unwrap(),
            (0, 0)
        );
    })
    .await;
}

#[tokio::test]
async fn ra_codes_round_trip_count_tries_atomically_and_close_once() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let r = ra_code(p.clone(), "1234567890");
        s.insert_ra_code(&r).await.unwrap();
        assert_eq!(
            s.ra_code(&r.reference).await.unwrap().unwrap(),
            r,
            "{}",
            db.name
        );
        assert!(
            s.ra_code(&ReferenceNumber::parse("0000000000").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            s.insert_ra_code(&ra_code(p.clone(), "1234567890")).await,
            Err(StoreError::Conflict(_))
        ));
        // Ten racing tries against a limit of five: exactly five are counted.
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let st = db.store.clone();
            let reference = r.reference.clone();
            tasks.push(tokio::spawn(async move {
                st.count_ra_attempt(&reference, 5).await.unwrap()
            }));
        }
        let mut counted = Vec::new();
        for t in tasks {
            if let Some(c) = t.await.unwrap() {
                counted.push(c.attempts);
            }
        }
        counted.sort();
        assert_eq!(counted, [1, 2, 3, 4, 5], "{}", db.name);

        // A used code records the certificate, and closes once.
        let u = ra_code(p.clone(), "2222222222");
        s.insert_ra_code(&u).await.unwrap();
        assert_eq!(
            s.count_ra_attempt(&u.reference, 5)
                .await
                .unwrap()
                .unwrap()
                .attempts,
            1
        );
        let later = NOW + Duration::from_secs(60);
        let (done, serial) = completion(&p, Proof::Desk(u.reference.clone()), later);
        assert!(s.complete_enrolment(&done).await.unwrap(), "{}", db.name);
        let used = s.ra_code(&u.reference).await.unwrap().unwrap();
        assert_eq!(
            (used.used_at, used.serial.as_deref()),
            (Some(later), Some(serial.as_str()))
        );
        let (again, serial2) = completion(&p, Proof::Desk(u.reference.clone()), later);
        assert!(!s.complete_enrolment(&again).await.unwrap());
        assert!(s.certificate(&serial2).await.unwrap().is_none());
        assert!(s.count_ra_attempt(&u.reference, 5).await.unwrap().is_none());
        assert!(
            s.cancel_ra_code(&u.reference, later)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn cancelled_and_expired_ra_codes_close_nothing() {
    each_backend(async |db| {
        let s = &*db.store;
        let p = person("홍길동", "01012345678", "19900101");
        let c = ra_code(p.clone(), "3333333333");
        s.insert_ra_code(&c).await.unwrap();
        let at = NOW + Duration::from_secs(5);
        let cancelled = s.cancel_ra_code(&c.reference, at).await.unwrap().unwrap();
        assert_eq!(cancelled.cancelled_at, Some(at), "{}", db.name);
        assert!(
            s.cancel_ra_code(&c.reference, at).await.unwrap().is_none(),
            "once"
        );
        assert!(s.count_ra_attempt(&c.reference, 5).await.unwrap().is_none());
        let (done, serial) = completion(&p, Proof::Desk(c.reference.clone()), at);
        assert!(!s.complete_enrolment(&done).await.unwrap());
        assert!(s.certificate(&serial).await.unwrap().is_none());

        // At its expiry the code closes nothing, though it may still be counted (the caller
        // judges expiry with its clock before counting).
        let e = ra_code(p.clone(), "4444444444");
        s.insert_ra_code(&e).await.unwrap();
        let (late, _) = completion(&p, Proof::Desk(e.reference.clone()), e.expires_at);
        assert!(!s.complete_enrolment(&late).await.unwrap(), "{}", db.name);
        assert!(
            s.ra_code(&e.reference)
                .await
                .unwrap()
                .unwrap()
                .used_at
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn ra_codes_are_listed_newest_first_and_by_phone() {
    each_backend(async |db| {
        let s = &*db.store;
        let a = person("홍길동", "01012345678", "19900101");
        let b = person("김영희", "01099998888", "19850505");
        for (i, (p, reference)) in [(&a, "1000000001"), (&b, "1000000002"), (&a, "1000000003")]
            .into_iter()
            .enumerate()
        {
            let mut r = ra_code(p.clone(), reference);
            r.issued_at = NOW + Duration::from_secs(u64::try_from(i).unwrap());
            s.insert_ra_code(&r).await.unwrap();
        }
        let refs = |v: Vec<RaCode>| {
            v.into_iter()
                .map(|r| r.reference.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            refs(s.ra_codes(None, 10).await.unwrap()),
            ["1000000003", "1000000002", "1000000001"],
            "{}",
            db.name
        );
        assert_eq!(refs(s.ra_codes(None, 1).await.unwrap()), ["1000000003"]);
        assert_eq!(
            refs(s.ra_codes(Some(&a.phone), 10).await.unwrap()),
            ["1000000003", "1000000001"]
        );
        let listed = s.ra_codes(Some(&b.phone), 10).await.unwrap();
        assert_eq!(listed[0].person, b, "personal data decrypts");
    })
    .await;
}
