use std::time::Duration;

use dojang_core::{ReceiptId, RequestState};
use dojang_store::StoreError;

use crate::support::*;

#[tokio::test]
async fn requests_round_trip_and_list_while_waiting() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        let r1 = request(&rp.client_code, m.id, &m.person, 300);
        let r2 = request(&rp.client_code, m.id, &m.person, 10);
        s.insert_request(&r1).await.unwrap();
        s.insert_request(&r2).await.unwrap();
        assert_eq!(s.request(&r1.receipt_id).await.unwrap().unwrap(), r1);
        assert!(matches!(
            s.insert_request(&r1).await,
            Err(StoreError::Conflict(_))
        ));
        let unknown: ReceiptId = "1".repeat(32).parse().unwrap();
        assert!(s.request(&unknown).await.unwrap().is_none());
        let waiting = s.waiting_requests(m.id, NOW).await.unwrap();
        assert_eq!(waiting.len(), 2);
        assert_eq!(waiting[0].requester, rp.name);
        // r2 expires after 10 s and drops out of the list.
        let later = s
            .waiting_requests(m.id, NOW + Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].request.receipt_id, r1.receipt_id);
    })
    .await;
}

#[tokio::test]
async fn state_changes_happen_only_from_waiting_and_before_expiry() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        let t = NOW + Duration::from_secs(5);
        let r = request(&rp.client_code, m.id, &m.person, 300);
        s.insert_request(&r).await.unwrap();
        assert!(s.mark_viewed(&r.receipt_id, t).await.unwrap());
        assert!(
            !s.mark_viewed(&r.receipt_id, t + Duration::from_secs(1))
                .await
                .unwrap(),
            "viewed once"
        );
        assert!(
            s.mark_signed(&r.receipt_id, &[b"cms".to_vec()], "abcd", b"ocsp", t)
                .await
                .unwrap()
        );
        assert!(
            !s.mark_signed(&r.receipt_id, &[b"cms2".to_vec()], "abcd", b"ocsp", t)
                .await
                .unwrap()
        );
        assert!(!s.mark_declined(&r.receipt_id, None, t).await.unwrap());
        assert!(!s.mark_failed(&r.receipt_id, "x", t).await.unwrap());
        let got = s.request(&r.receipt_id).await.unwrap().unwrap();
        assert_eq!(got.stored_state, RequestState::Signed);
        assert_eq!(got.signed_data, vec![b"cms".to_vec()]);
        assert_eq!(got.signer_serial.as_deref(), Some("abcd"));
        assert_eq!(got.signer_ocsp.as_deref(), Some(&b"ocsp"[..]));
        assert_eq!(got.viewed_at, Some(t));
        assert_eq!(got.completed_at, Some(t));

        // Expired requests cannot be signed, declined or failed.
        let e = request(&rp.client_code, m.id, &m.person, 10);
        s.insert_request(&e).await.unwrap();
        let after = NOW + Duration::from_secs(10);
        assert!(
            !s.mark_signed(&e.receipt_id, &[b"cms".to_vec()], "abcd", b"ocsp", after)
                .await
                .unwrap()
        );
        assert!(!s.mark_declined(&e.receipt_id, None, after).await.unwrap());
        assert_eq!(
            s.request(&e.receipt_id)
                .await
                .unwrap()
                .unwrap()
                .state(after),
            RequestState::Expired
        );

        let d = request(&rp.client_code, m.id, &m.person, 300);
        s.insert_request(&d).await.unwrap();
        assert!(
            s.mark_declined(&d.receipt_id, Some("not me"), t)
                .await
                .unwrap()
        );
        let got = s.request(&d.receipt_id).await.unwrap().unwrap();
        assert_eq!(
            (got.stored_state, got.reason.as_deref()),
            (RequestState::Declined, Some("not me"))
        );

        let f = request(&rp.client_code, m.id, &m.person, 300);
        s.insert_request(&f).await.unwrap();
        assert!(
            s.mark_failed(&f.receipt_id, "bad signature", t)
                .await
                .unwrap()
        );
        assert_eq!(
            s.request(&f.receipt_id)
                .await
                .unwrap()
                .unwrap()
                .stored_state,
            RequestState::Failed
        );
    })
    .await;
}

#[tokio::test]
async fn verify_succeeds_once_even_when_raced() {
    each_backend(async |db| {
        let s = db.store.clone();
        let (rp, m) = seeded(&*s).await;
        let r = request(&rp.client_code, m.id, &m.person, 300);
        s.insert_request(&r).await.unwrap();
        let signed = NOW + Duration::from_secs(5);
        let cc = &rp.client_code;
        // Not signed yet: nothing to verify.
        assert!(
            s.mark_verified(
                &r.receipt_id,
                cc,
                dojang_core::RequestKind::Identity,
                signed,
                NOW
            )
            .await
            .unwrap()
            .is_none()
        );
        assert!(
            s.mark_signed(&r.receipt_id, &[b"cms".to_vec()], "abcd", b"ocsp", signed)
                .await
                .unwrap()
        );
        // Outside the window (signed before the cut-off): refused.
        let late = signed + Duration::from_secs(1);
        assert!(
            s.mark_verified(
                &r.receipt_id,
                cc,
                dojang_core::RequestKind::Identity,
                signed,
                late
            )
            .await
            .unwrap()
            .is_none()
        );
        // Another relying party: refused.
        let other: dojang_core::ClientCode = "999999999999".parse().unwrap();
        assert!(
            s.mark_verified(
                &r.receipt_id,
                &other,
                dojang_core::RequestKind::Identity,
                signed,
                NOW
            )
            .await
            .unwrap()
            .is_none()
        );
        // Another kind's path: refused.
        assert!(
            s.mark_verified(
                &r.receipt_id,
                cc,
                dojang_core::RequestKind::Sign,
                signed,
                NOW
            )
            .await
            .unwrap()
            .is_none()
        );
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let s = s.clone();
            let (id, cc) = (r.receipt_id.clone(), cc.clone());
            tasks.push(tokio::spawn(async move {
                s.mark_verified(&id, &cc, dojang_core::RequestKind::Identity, signed, NOW)
                    .await
                    .unwrap()
            }));
        }
        let mut wins = 0;
        for t in tasks {
            if let Some(v) = t.await.unwrap() {
                assert_eq!(v.verified_at, Some(signed));
                assert_eq!(v.signed_data, vec![b"cms".to_vec()]);
                assert_eq!(v.token(), r.token());
                wins += 1;
            }
        }
        assert_eq!(wins, 1, "{}", db.name);
        let stored = s.request(&r.receipt_id).await.unwrap().unwrap();
        assert_eq!(stored.verified_at, Some(signed));
    })
    .await;
}

#[tokio::test]
async fn every_kind_round_trips_with_its_documents_options_and_signatures() {
    use dojang_core::{NewRequest, Policy, Request, RequestKind};
    use dojang_proto::rp::{CreateRequest, TokenItem, TokenType};
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        let p = &m.person;
        let mut wire = CreateRequest::multi_sign(
            p.name.as_str(),
            p.phone.as_str(),
            p.birthday.to_compact(),
            "계약 묶음",
            vec![
                TokenItem::new("약관", TokenType::Text, "약관 본문"),
                TokenItem::new(
                    "계약서",
                    TokenType::Pdf,
                    "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg",
                ),
            ],
            300,
        )
        .with_app_to_app("myapp://back");
        wire.payload = Some("memo".into());
        wire.call_center_name = Some("센터".into());
        wire.verify_name_yn = Some(false);
        wire.allow_simple_regist_yn = Some(true);
        let mut new =
            NewRequest::from_wire(RequestKind::MultiSign, &wire, &Policy::default(), NOW).unwrap();
        new.options.sub_client_name = Some("강남지점".into());
        let mut r = Request::new(
            ReceiptId::generate(NOW, &mut rng()),
            rp.client_code.clone(),
            m.id,
            new,
            NOW,
        );
        r.binding_code = Some("42".into());
        r.tx_id = Some("ab".repeat(16));
        s.insert_request(&r).await.unwrap();
        assert_eq!(s.request(&r.receipt_id).await.unwrap().unwrap(), r);
        assert_eq!(
            s.request_by_tx_id(&"ab".repeat(16)).await.unwrap().unwrap(),
            r
        );
        assert!(
            s.request_by_tx_id(&"cd".repeat(16))
                .await
                .unwrap()
                .is_none()
        );
        let sigs = vec![vec![0x30, 1, 2], vec![0x30, 3, 4, 5]];
        let t = NOW + Duration::from_secs(1);
        assert!(
            s.mark_signed(&r.receipt_id, &sigs, "abcd", b"ocsp", t)
                .await
                .unwrap()
        );
        assert_eq!(
            s.request(&r.receipt_id).await.unwrap().unwrap().signed_data,
            sigs
        );
        // One DER signature is stored as is and read back the same.
        let single = request(&rp.client_code, m.id, p, 300);
        s.insert_request(&single).await.unwrap();
        let der = vec![vec![0x30, 0x03, 9, 9, 9]];
        assert!(
            s.mark_signed(&single.receipt_id, &der, "abcd", b"ocsp", t)
                .await
                .unwrap()
        );
        assert_eq!(
            s.request(&single.receipt_id)
                .await
                .unwrap()
                .unwrap()
                .signed_data,
            der
        );
    })
    .await;
}

#[tokio::test]
async fn create_guard_replays_refuses_in_progress_and_limits_per_person() {
    use dojang_store::{CreateGuard, Created, IdempotencyCheck};
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        let other = party("000000000002", "LINK_TWO");
        s.insert_relying_party(&other).await.unwrap();
        let idem = |key: &str, body: &[u8]| CreateGuard {
            idempotency: Some(IdempotencyCheck {
                key: key.into(),
                body_hash: body.to_vec(),
                since: NOW - Duration::from_secs(600),
            }),
            per_person: None,
            replay_only: false,
        };
        let first = request(&rp.client_code, m.id, &m.person, 300);
        assert!(matches!(
            s.create_request(&first, &idem("k1", b"h1")).await.unwrap(),
            Created::Inserted
        ));
        // Same key, same body: the first request, not a new one.
        let again = request(&rp.client_code, m.id, &m.person, 300);
        match s.create_request(&again, &idem("k1", b"h1")).await.unwrap() {
            Created::Replayed(r) => assert_eq!(r.receipt_id, first.receipt_id),
            other => panic!("{other:?}"),
        }
        assert!(s.request(&again.receipt_id).await.unwrap().is_none());
        // Same key, another body: refused.
        assert!(matches!(
            s.create_request(&again, &idem("k1", b"h2")).await.unwrap(),
            Created::KeyReused
        ));
        // Another key while the first still waits: one waiting request per party and person.
        assert!(matches!(
            s.create_request(&again, &idem("k2", b"h1")).await.unwrap(),
            Created::InProgress
        ));
        // Another relying party may ask meanwhile.
        let theirs = request(&other.client_code, m.id, &m.person, 300);
        assert!(matches!(
            s.create_request(&theirs, &CreateGuard::default())
                .await
                .unwrap(),
            Created::Inserted
        ));
        // Once the first is answered, the party may ask again, until the per-person limit.
        assert!(s.mark_declined(&first.receipt_id, None, NOW).await.unwrap());
        let limited = CreateGuard {
            idempotency: None,
            per_person: Some((2, NOW - Duration::from_secs(60))),
            replay_only: false,
        };
        match s.create_request(&again, &limited).await.unwrap() {
            Created::RateLimited { oldest } => assert_eq!(oldest, NOW),
            other => panic!("{other:?}"),
        }
        let roomy = CreateGuard {
            idempotency: None,
            per_person: Some((3, NOW - Duration::from_secs(60))),
            replay_only: false,
        };
        assert!(matches!(
            s.create_request(&again, &roomy).await.unwrap(),
            Created::Inserted
        ));
    })
    .await;
}

/// Signed create calls are remembered once (across instances: in the database), a repeat is
/// told apart in one statement, a repeat may only replay its idempotent first request, and
/// expired calls are purged.
#[tokio::test]
async fn signed_calls_are_remembered_once_and_repeats_only_replay() {
    use dojang_store::{CreateGuard, Created, IdempotencyCheck};
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        let expires = NOW + Duration::from_secs(300);
        assert!(
            s.remember_request_signature(b"sig-1", expires)
                .await
                .unwrap()
        );
        assert!(
            !s.remember_request_signature(b"sig-1", expires)
                .await
                .unwrap()
        );
        assert!(s.remember_request_signature(b"sig-2", NOW).await.unwrap());
        // Twelve racing copies of one new call: exactly one is new.
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let st = db.store.clone();
            tasks.push(tokio::spawn(async move {
                st.remember_request_signature(b"sig-race", expires)
                    .await
                    .unwrap()
            }));
        }
        let mut fresh = 0;
        for t in tasks {
            fresh += usize::from(t.await.unwrap());
        }
        assert_eq!(fresh, 1, "{}", db.name);
        // Purge: only what expired before now.
        assert_eq!(
            s.purge_request_signatures(NOW + Duration::from_secs(1))
                .await
                .unwrap(),
            1
        );
        assert!(
            !s.remember_request_signature(b"sig-1", expires)
                .await
                .unwrap()
        );
        assert!(
            s.remember_request_signature(b"sig-2", expires)
                .await
                .unwrap()
        );

        // A repeat carrying the key of a stored request replays it; without one, nothing.
        let guard = |key: &str, replay_only: bool| CreateGuard {
            idempotency: Some(IdempotencyCheck {
                key: key.into(),
                body_hash: b"h".to_vec(),
                since: NOW - Duration::from_secs(600),
            }),
            per_person: None,
            replay_only,
        };
        let first = request(&rp.client_code, m.id, &m.person, 300);
        assert!(matches!(
            s.create_request(&first, &guard("k", false)).await.unwrap(),
            Created::Inserted
        ));
        assert!(s.mark_declined(&first.receipt_id, None, NOW).await.unwrap());
        let again = request(&rp.client_code, m.id, &m.person, 300);
        match s.create_request(&again, &guard("k", true)).await.unwrap() {
            Created::Replayed(r) => assert_eq!(r.receipt_id, first.receipt_id),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            s.create_request(&again, &guard("other", true))
                .await
                .unwrap(),
            Created::SignatureReused
        ));
        let bare = CreateGuard {
            replay_only: true,
            ..CreateGuard::default()
        };
        assert!(matches!(
            s.create_request(&again, &bare).await.unwrap(),
            Created::SignatureReused
        ));
        assert!(s.request(&again.receipt_id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn concurrent_creates_for_one_person_leave_one_waiting_request() {
    use dojang_store::{CreateGuard, Created};
    each_backend(async |db| {
        let s = db.store.clone();
        let (rp, m) = seeded(&*s).await;
        let mut tasks = Vec::new();
        for i in 0..12u64 {
            let s = s.clone();
            let mut r = request(&rp.client_code, m.id, &m.person, 300);
            r.receipt_id = ReceiptId::generate(NOW, &mut {
                use rand::SeedableRng;
                rand::rngs::StdRng::seed_from_u64(1000 + i)
            });
            tasks.push(tokio::spawn(async move {
                s.create_request(&r, &CreateGuard::default()).await.unwrap()
            }));
        }
        let mut inserted = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Created::Inserted) {
                inserted += 1;
            }
        }
        assert_eq!(inserted, 1, "{}", db.name);
    })
    .await;
}

#[tokio::test]
async fn aliases_belong_to_one_relying_party() {
    use dojang_store::Alias;
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, _) = seeded(s).await;
        let a = Alias {
            client_code: rp.client_code.clone(),
            sub_client_id: "gangnam".into(),
            name: "강남지점".into(),
            created_at: NOW,
        };
        s.insert_alias(&a).await.unwrap();
        assert!(matches!(
            s.insert_alias(&a).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            s.alias_name(&rp.client_code, "gangnam")
                .await
                .unwrap()
                .as_deref(),
            Some("강남지점")
        );
        let other: dojang_core::ClientCode = "999999999999".parse().unwrap();
        assert!(s.alias_name(&other, "gangnam").await.unwrap().is_none());
        assert_eq!(s.aliases(&rp.client_code).await.unwrap(), vec![a]);
        assert!(s.remove_alias(&rp.client_code, "gangnam").await.unwrap());
        assert!(!s.remove_alias(&rp.client_code, "gangnam").await.unwrap());
    })
    .await;
}

/// Failed attempts (issue 14 #1, #2) are counted per subject and per scope within a window,
/// with the first and last time, across instances (in the database), and purged by age.
#[tokio::test]
async fn failed_attempts_are_counted_per_subject_and_scope() {
    use dojang_store::Failures;
    each_backend(async |db| {
        let s = &*db.store;
        let at = |secs: u64| NOW + Duration::from_secs(secs);
        let none = s.failures("login-phone", Some(b"a"), NOW).await.unwrap();
        assert_eq!(none, Failures::default(), "{}", db.name);
        for t in [0, 60, 120] {
            s.record_failure("login-phone", b"a", at(t)).await.unwrap();
        }
        s.record_failure("login-phone", b"b", at(90)).await.unwrap();
        s.record_failure("login-address", b"a", at(30))
            .await
            .unwrap();
        let a = s.failures("login-phone", Some(b"a"), NOW).await.unwrap();
        assert_eq!(a.count, 3, "{}", db.name);
        assert_eq!((a.first, a.last), (Some(NOW), Some(at(120))), "{}", db.name);
        // The window starts at `since` (inclusive).
        let a = s.failures("login-phone", Some(b"a"), at(60)).await.unwrap();
        assert_eq!((a.count, a.first), (2, Some(at(60))), "{}", db.name);
        // Another subject, another scope: counted apart.
        let b = s.failures("login-phone", Some(b"b"), NOW).await.unwrap();
        assert_eq!((b.count, b.last), (1, Some(at(90))), "{}", db.name);
        let other = s.failures("login-address", Some(b"a"), NOW).await.unwrap();
        assert_eq!(other.count, 1, "{}", db.name);
        // The whole scope, whatever the subject.
        let all = s.failures("login-phone", None, NOW).await.unwrap();
        assert_eq!((all.count, all.last), (4, Some(at(120))), "{}", db.name);
        // Concurrent failures are all counted.
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let st = db.store.clone();
            tasks.push(tokio::spawn(async move {
                st.record_failure("otp-all", b"", at(10)).await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(s.failures("otp-all", None, NOW).await.unwrap().count, 12);
        // Purge by age only.
        assert_eq!(
            s.purge_failures(at(60)).await.unwrap(),
            1 + 1 + 12,
            "{}",
            db.name
        );
        assert_eq!(s.failures("login-phone", None, NOW).await.unwrap().count, 3);
        assert_eq!(
            s.failures("login-address", None, NOW).await.unwrap().count,
            0
        );
    })
    .await;
}
