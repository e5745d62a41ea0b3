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
            s.mark_signed(&r.receipt_id, b"cms", "abcd", t)
                .await
                .unwrap()
        );
        assert!(
            !s.mark_signed(&r.receipt_id, b"cms2", "abcd", t)
                .await
                .unwrap()
        );
        assert!(!s.mark_declined(&r.receipt_id, None, t).await.unwrap());
        assert!(!s.mark_failed(&r.receipt_id, "x", t).await.unwrap());
        let got = s.request(&r.receipt_id).await.unwrap().unwrap();
        assert_eq!(got.stored_state, RequestState::Signed);
        assert_eq!(got.signed_data.as_deref(), Some(&b"cms"[..]));
        assert_eq!(got.signer_serial.as_deref(), Some("abcd"));
        assert_eq!(got.viewed_at, Some(t));
        assert_eq!(got.completed_at, Some(t));

        // Expired requests cannot be signed, declined or failed.
        let e = request(&rp.client_code, m.id, &m.person, 10);
        s.insert_request(&e).await.unwrap();
        let after = NOW + Duration::from_secs(10);
        assert!(
            !s.mark_signed(&e.receipt_id, b"cms", "abcd", after)
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
            s.mark_verified(&r.receipt_id, cc, signed, NOW)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.mark_signed(&r.receipt_id, b"cms", "abcd", signed)
                .await
                .unwrap()
        );
        // Outside the window (signed before the cut-off): refused.
        let late = signed + Duration::from_secs(1);
        assert!(
            s.mark_verified(&r.receipt_id, cc, signed, late)
                .await
                .unwrap()
                .is_none()
        );
        // Another relying party: refused.
        let other: dojang_core::ClientCode = "999999999999".parse().unwrap();
        assert!(
            s.mark_verified(&r.receipt_id, &other, signed, NOW)
                .await
                .unwrap()
                .is_none()
        );
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let s = s.clone();
            let (id, cc) = (r.receipt_id.clone(), cc.clone());
            tasks.push(tokio::spawn(async move {
                s.mark_verified(&id, &cc, signed, NOW).await.unwrap()
            }));
        }
        let mut wins = 0;
        for t in tasks {
            if let Some(v) = t.await.unwrap() {
                assert_eq!(v.verified_at, Some(signed));
                assert_eq!(v.signed_data.as_deref(), Some(&b"cms"[..]));
                assert_eq!(v.token, r.token);
                wins += 1;
            }
        }
        assert_eq!(wins, 1, "{}", db.name);
        let stored = s.request(&r.receipt_id).await.unwrap().unwrap();
        assert_eq!(stored.verified_at, Some(signed));
    })
    .await;
}
