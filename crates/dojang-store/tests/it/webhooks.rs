use std::time::Duration;

use dojang_store::{AfterAttempt, Attempt, DeliveryState, NewDelivery, Webhook};

use crate::support::*;

fn hook(code: &dojang_core::ClientCode, url: &str) -> Webhook {
    Webhook {
        client_code: code.clone(),
        url: url.into(),
        secret: "whsec_test".into(),
        created_at: NOW,
        updated_at: NOW,
    }
}

fn event(code: &dojang_core::ClientCode, receipt: &str, event: &str) -> NewDelivery {
    NewDelivery {
        client_code: code.clone(),
        receipt_id: receipt.into(),
        event: event.into(),
        body: format!(r#"{{"event":"{event}"}}"#),
        at: NOW,
    }
}

#[tokio::test]
async fn a_webhook_is_set_replaced_and_removed_with_its_secret_sealed() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, _) = seeded(s).await;
        assert!(s.webhook(&rp.client_code).await.unwrap().is_none());
        s.set_webhook(&hook(&rp.client_code, "https://a.example/hook"))
            .await
            .unwrap();
        let mut replaced = hook(&rp.client_code, "https://b.example/hook");
        replaced.secret = "whsec_other".into();
        replaced.updated_at = NOW + Duration::from_secs(60);
        s.set_webhook(&replaced).await.unwrap();
        let got = s.webhook(&rp.client_code).await.unwrap().unwrap();
        assert_eq!(got.url, "https://b.example/hook");
        assert_eq!(got.secret, "whsec_other");
        assert_eq!(got.created_at, NOW, "first set time kept");
        assert_eq!(got.updated_at, NOW + Duration::from_secs(60));

        // Removing gives up what is still pending.
        let id = s
            .enqueue_delivery(&event(&rp.client_code, "r1", "signed"))
            .await
            .unwrap()
            .unwrap();
        assert!(s.remove_webhook(&rp.client_code, NOW).await.unwrap());
        assert!(!s.remove_webhook(&rp.client_code, NOW).await.unwrap());
        let d = s.deliveries(&rp.client_code, 10).await.unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].id, id);
        assert_eq!(d[0].state, DeliveryState::GivenUp);
        assert_eq!(d[0].last_error.as_deref(), Some("webhook removed"));
    })
    .await;
}

#[tokio::test]
async fn an_event_is_queued_once_claimed_once_and_its_attempts_logged() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, _) = seeded(s).await;
        let code = &rp.client_code;
        let first = s
            .enqueue_delivery(&event(code, "r1", "signed"))
            .await
            .unwrap();
        assert!(first.is_some());
        assert_eq!(
            s.enqueue_delivery(&event(code, "r1", "signed"))
                .await
                .unwrap(),
            None,
            "the same receipt and event is queued once"
        );
        s.enqueue_delivery(&event(code, "r1", "verified"))
            .await
            .unwrap()
            .unwrap();

        // Not due before its time; due at it; a lease hides it from a second claim.
        let lease = NOW + Duration::from_secs(60);
        assert!(
            s.claim_deliveries(NOW - Duration::from_secs(1), lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let claimed = s.claim_deliveries(NOW, lease, 1).await.unwrap();
        assert_eq!(claimed.len(), 1, "limit respected");
        let d = &claimed[0];
        assert_eq!(d.event, "signed");
        assert_eq!(d.next_attempt_at, lease);
        let rest = s.claim_deliveries(NOW, lease, 10).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].event, "verified");
        assert!(s.claim_deliveries(NOW, lease, 10).await.unwrap().is_empty());

        // A failed attempt schedules the next; a delivered one ends it.
        let retry_at = NOW + Duration::from_secs(30);
        let a1 = Attempt {
            delivery_id: d.id,
            attempt: 1,
            at: NOW,
            url: "https://a.example/hook".into(),
            status: Some(500),
            error: Some("HTTP 500".into()),
            duration_ms: 12,
        };
        s.record_attempt(&a1, AfterAttempt::RetryAt(retry_at))
            .await
            .unwrap();
        assert!(
            s.claim_deliveries(retry_at - Duration::from_secs(1), lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let again = s
            .claim_deliveries(retry_at, retry_at + Duration::from_secs(60), 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);
        assert_eq!(again[0].last_status, Some(500));
        let a2 = Attempt {
            attempt: 2,
            at: retry_at,
            status: Some(200),
            error: None,
            ..a1.clone()
        };
        s.record_attempt(&a2, AfterAttempt::Delivered)
            .await
            .unwrap();
        let gave_up = Attempt {
            delivery_id: rest[0].id,
            attempt: 1,
            at: NOW,
            url: "https://a.example/hook".into(),
            status: None,
            error: Some("connection refused".into()),
            duration_ms: 1,
        };
        s.record_attempt(&gave_up, AfterAttempt::GiveUp)
            .await
            .unwrap();

        let log = s.deliveries(code, 10).await.unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].event, "verified", "newest first");
        assert_eq!(log[0].state, DeliveryState::GivenUp);
        assert_eq!(log[0].last_error.as_deref(), Some("connection refused"));
        assert_eq!(log[1].state, DeliveryState::Delivered);
        assert_eq!(log[1].attempts, 2);
        assert_eq!(log[1].finished_at, Some(retry_at));
        assert_eq!(s.attempts(d.id).await.unwrap(), vec![a1, a2]);
        let other: dojang_core::ClientCode = "999999999999".parse().unwrap();
        assert!(s.deliveries(&other, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_expiry_is_announced_once() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        let short = request(&rp.client_code, m.id, &m.person, 10);
        let long = request(&rp.client_code, m.id, &m.person, 300);
        let signed = request(&rp.client_code, m.id, &m.person, 10);
        for r in [&short, &long, &signed] {
            s.insert_request(r).await.unwrap();
        }
        assert!(
            s.mark_signed(&signed.receipt_id, &[b"cms".to_vec()], "ab", b"ocsp", NOW)
                .await
                .unwrap()
        );
        assert!(s.announce_expired(NOW, 10).await.unwrap().is_empty());
        let at = NOW + Duration::from_secs(10);
        let due = s.announce_expired(at, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].receipt_id, short.receipt_id);
        assert!(s.announce_expired(at, 10).await.unwrap().is_empty());
        // The stored request still reads as expired, from the clock.
        let r = s.request(&short.receipt_id).await.unwrap().unwrap();
        assert_eq!(r.state(at), dojang_core::RequestState::Expired);
    })
    .await;
}
