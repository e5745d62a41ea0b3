use std::time::Duration;

use dojang_store::{CompletedEnrolment, MemberChoice, Proof};

use crate::support::*;

#[tokio::test]
async fn push_subscriptions_are_one_per_device_and_kind_sealed_and_only_of_live_devices() {
    each_backend(async |db| {
        let s = &*db.store;
        let (_, m) = seeded(s).await;
        let e = enrolment(m.person.clone());
        s.insert_enrolment(&e, NOW).await.unwrap();
        let d = device(m.id);
        let done = CompletedEnrolment {
            proof: Proof::Sms(e.id),
            member: MemberChoice::Existing(m.id),
            device: d.clone(),
            certificate: certificate(m.id, d.id),
            pin: None,
            cloud: None,
            now: NOW,
        };
        assert!(s.complete_enrolment(&done).await.unwrap());

        let first = s
            .put_push_subscription(d.id, "webpush", br#"{"endpoint":"a"}"#, NOW)
            .await
            .unwrap();
        let fcm = s
            .put_push_subscription(d.id, "fcm", b"tok", NOW)
            .await
            .unwrap();
        // the same kind again replaces the first, with a new id
        let later = NOW + Duration::from_secs(1);
        let second = s
            .put_push_subscription(d.id, "webpush", br#"{"endpoint":"b"}"#, later)
            .await
            .unwrap();
        assert_ne!(first, second);
        let subs = s.member_push_subscriptions(m.id).await.unwrap();
        assert_eq!(subs.len(), 2, "{}", db.name);
        assert_eq!(
            (subs[0].id.as_str(), subs[0].kind.as_str()),
            (fcm.as_str(), "fcm")
        );
        assert_eq!(subs[1].target, br#"{"endpoint":"b"}"#);
        assert_eq!(subs[1].created_at, later);
        assert_eq!(s.device_push_subscriptions(d.id).await.unwrap(), subs);

        // back-off and failures are kept per subscription, cleared by a success
        s.push_back_off(&second, later + Duration::from_secs(60))
            .await
            .unwrap();
        s.push_failed(&second, later).await.unwrap();
        s.push_failed(&second, later).await.unwrap();
        let w = s
            .member_push_subscriptions(m.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            (w.failures, w.retry_after),
            (2, Some(later + Duration::from_secs(60)))
        );
        s.push_delivered(&second).await.unwrap();
        let w = s
            .member_push_subscriptions(m.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!((w.failures, w.retry_after), (0, None));
        // re-registering resets the counters too
        s.push_failed(&second, later).await.unwrap();
        let third = s
            .put_push_subscription(d.id, "webpush", b"c", later)
            .await
            .unwrap();
        let w = s
            .member_push_subscriptions(m.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!((w.id.as_str(), w.failures), (third.as_str(), 0));

        // a stale id (replaced meanwhile) deletes nothing; the current one goes
        assert!(!s.delete_push_subscription(&second).await.unwrap());
        assert!(s.delete_push_subscription(&third).await.unwrap());
        assert_eq!(s.member_push_subscriptions(m.id).await.unwrap().len(), 1);

        // a revoked device's subscriptions are not read for its member
        s.put_push_subscription(d.id, "webpush", b"d", later)
            .await
            .unwrap();
        assert!(s.revoke_device(d.id, 0, later).await.unwrap());
        assert!(s.member_push_subscriptions(m.id).await.unwrap().is_empty());
        assert_eq!(s.delete_device_push_subscriptions(d.id).await.unwrap(), 2);
        assert!(s.device_push_subscriptions(d.id).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn push_targets_are_sealed_at_rest() {
    let db = TestDb::sqlite().await;
    let s = &*db.store;
    let (_, m) = seeded(s).await;
    let e = enrolment(m.person.clone());
    s.insert_enrolment(&e, NOW).await.unwrap();
    let d = device(m.id);
    let done = CompletedEnrolment {
        proof: Proof::Sms(e.id),
        member: MemberChoice::Existing(m.id),
        device: d.clone(),
        certificate: certificate(m.id, d.id),
        pin: None,
        cloud: None,
        now: NOW,
    };
    assert!(s.complete_enrolment(&done).await.unwrap());
    s.put_push_subscription(
        d.id,
        "webpush",
        b"https://push.example/secret-endpoint",
        NOW,
    )
    .await
    .unwrap();
    let path = db.sqlite_path.clone().unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    let sealed: Vec<u8> = conn
        .query_row("SELECT target_enc FROM push_subscriptions", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!sealed.windows(6).any(|w| w == b"secret"));
}
