//! What the admin console keeps: its password, its sessions (idle and absolute expiry, one
//! conditional update), wrong-password counts, and the lists and counters it shows.

use std::time::Duration;

use dojang_core::{RequestState, SecretKey};
use dojang_store::{AdminSession, CertificateFilter, RequestFilter};

use crate::support::*;

const MIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn admin_password_is_set_once_at_first_start_and_replaced_on_purpose() {
    each_backend(async |db| {
        let s = &*db.store;
        assert_eq!(s.admin_password().await.unwrap(), None);
        assert!(s.init_admin_password("$argon2id$first", NOW).await.unwrap());
        assert!(
            !s.init_admin_password("$argon2id$second", NOW)
                .await
                .unwrap(),
            "a second first start keeps the first password"
        );
        assert_eq!(
            s.admin_password().await.unwrap().as_deref(),
            Some("$argon2id$first")
        );
        // Replacing it ends every session.
        let session = AdminSession {
            token_hash: vec![9; 32],
            operator_id: 0,
            pending_totp: false,
            created_at: NOW,
            last_seen_at: NOW,
            expires_at: NOW + 12 * 60 * MIN,
        };
        s.insert_admin_session(&session, NOW - 30 * MIN)
            .await
            .unwrap();
        s.set_admin_password("$argon2id$new", NOW).await.unwrap();
        assert_eq!(
            s.admin_password().await.unwrap().as_deref(),
            Some("$argon2id$new")
        );
        assert!(
            s.touch_admin_session(&[9; 32], NOW + MIN, NOW)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.name
        );
    })
    .await;
}

#[tokio::test]
async fn admin_sessions_end_when_idle_absolute_or_deleted() {
    each_backend(async |db| {
        let s = &*db.store;
        let idle = 30 * MIN;
        let op = s
            .insert_operator(
                &dojang_store::NewOperator {
                    login: "admin".into(),
                    display_name: "admin".into(),
                    role: dojang_store::OperatorRole::Administrator,
                    password_hash: "$argon2id$x".into(),
                },
                NOW,
            )
            .await
            .unwrap();
        let new = |b: u8, at| AdminSession {
            token_hash: vec![b; 32],
            operator_id: op.id,
            pending_totp: false,
            created_at: at,
            last_seen_at: at,
            expires_at: at + 12 * 60 * MIN,
        };
        s.insert_admin_session(&new(1, NOW), NOW - idle)
            .await
            .unwrap();
        // Used within the idle time: refreshed.
        let t = NOW + 20 * MIN;
        let got = s
            .touch_admin_session(&[1; 32], t, t - idle)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.last_seen_at, t);
        assert_eq!(got.created_at, NOW);
        // Unknown token: nothing.
        assert!(
            s.touch_admin_session(&[2; 32], t, t - idle)
                .await
                .unwrap()
                .is_none()
        );
        // Idle longer than allowed: ended.
        let late = t + idle + MIN;
        assert!(
            s.touch_admin_session(&[1; 32], late, late - idle)
                .await
                .unwrap()
                .is_none()
        );
        // Kept busy, it still ends at the absolute expiry.
        s.insert_admin_session(&new(3, NOW), NOW - idle)
            .await
            .unwrap();
        let mut at = NOW;
        while at < NOW + 12 * 60 * MIN - 20 * MIN {
            at += 20 * MIN;
            assert!(
                s.touch_admin_session(&[3; 32], at, at - idle)
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        let end = NOW + 12 * 60 * MIN;
        assert!(
            s.touch_admin_session(&[3; 32], end, end - idle)
                .await
                .unwrap()
                .is_none()
        );
        // Logout.
        s.insert_admin_session(&new(4, end), end - idle)
            .await
            .unwrap();
        assert!(s.delete_admin_session(&[4; 32]).await.unwrap());
        assert!(!s.delete_admin_session(&[4; 32]).await.unwrap());
        assert!(
            s.touch_admin_session(&[4; 32], end, end - idle)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.name
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_admin_passwords_are_counted_per_source_within_the_window() {
    each_backend(async |db| {
        let s = &*db.store;
        let window = 15 * MIN;
        for i in 0..3 {
            s.record_admin_login_failure(b"a", NOW + MIN * i, NOW - window)
                .await
                .unwrap();
        }
        s.record_admin_login_failure(b"b", NOW, NOW - window)
            .await
            .unwrap();
        assert_eq!(
            s.admin_login_failures_since(b"a", NOW + 2 * MIN - window)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            s.admin_login_failures_since(b"b", NOW - window)
                .await
                .unwrap(),
            1
        );
        // 15 minutes after the first, it no longer counts.
        let later = NOW + window;
        assert_eq!(
            s.admin_login_failures_since(b"a", later - window)
                .await
                .unwrap(),
            2,
            "{}",
            db.name
        );
    })
    .await;
}

#[tokio::test]
async fn console_lists_and_counters() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        // Credentials rotate; the call-centre number changes.
        let secret = SecretKey::generate(&mut rng());
        assert!(
            s.rotate_relying_party_secret(&rp.client_code, &secret)
                .await
                .unwrap()
        );
        assert!(
            s.set_relying_party_call_center(&rp.client_code, Some("02-123-4567"))
                .await
                .unwrap()
        );
        let got = s.relying_party(&rp.client_code).await.unwrap().unwrap();
        assert_eq!(got.secret.as_bytes(), secret.as_bytes());
        assert_eq!(got.call_center_num.as_deref(), Some("02-123-4567"));
        assert!(
            s.set_relying_party_call_center(&rp.client_code, None)
                .await
                .unwrap()
        );
        let unknown: dojang_core::ClientCode = "999999999999".parse().unwrap();
        assert!(
            !s.rotate_relying_party_secret(&unknown, &secret)
                .await
                .unwrap()
        );
        assert!(
            !s.set_relying_party_call_center(&unknown, None)
                .await
                .unwrap()
        );

        // Devices and certificates by state.
        assert_eq!(s.devices_of(m.id).await.unwrap().len(), 1);
        let active = s
            .certificates_in_state(CertificateFilter::Active, NOW, 10)
            .await
            .unwrap();
        assert_eq!(active.len(), 1);
        assert_eq!(s.member_and_certificate_counts(NOW).await.unwrap(), (1, 1));
        let far = NOW + Duration::from_secs(4 * 365 * 86400);
        assert_eq!(
            s.certificates_in_state(CertificateFilter::Expired, far, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        s.revoke_certificate(&active[0].serial, NOW, 1)
            .await
            .unwrap();
        assert!(
            s.certificates_in_state(CertificateFilter::Active, NOW, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.certificates_in_state(CertificateFilter::Revoked, NOW, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            s.certificates_in_state(CertificateFilter::All, NOW, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.member_and_certificate_counts(NOW).await.unwrap(), (1, 0));

        // Requests: one declined, one waiting that expires.
        let a = request(&rp.client_code, m.id, &m.person, 300);
        s.insert_request(&a).await.unwrap();
        assert!(s.mark_declined(&a.receipt_id, None, NOW).await.unwrap());
        let b = request(&rp.client_code, m.id, &m.person, 300);
        s.insert_request(&b).await.unwrap();
        let all = s
            .recent_requests(&RequestFilter::default(), NOW, 10)
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
        let by = |state| RequestFilter {
            client_code: Some(rp.client_code.clone()),
            state: Some(state),
        };
        let waiting = s
            .recent_requests(&by(RequestState::Waiting), NOW, 10)
            .await
            .unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].receipt_id, b.receipt_id);
        let after = NOW + Duration::from_secs(301);
        assert!(
            s.recent_requests(&by(RequestState::Waiting), after, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.recent_requests(&by(RequestState::Expired), after, 10)
                .await
                .unwrap()[0]
                .receipt_id,
            b.receipt_id
        );
        assert_eq!(
            s.recent_requests(&by(RequestState::Declined), after, 10)
                .await
                .unwrap()[0]
                .receipt_id,
            a.receipt_id
        );
        let other = RequestFilter {
            client_code: Some(unknown),
            state: None,
        };
        assert!(s.recent_requests(&other, NOW, 10).await.unwrap().is_empty());

        // Per day (Korean time) and state.
        let days = s
            .requests_per_day(NOW - Duration::from_secs(14 * 86400), after)
            .await
            .unwrap();
        let day = (NOW + Duration::from_secs(9 * 3600)).date();
        let mut seen: Vec<_> = days.iter().map(|d| (d.day, d.state, d.count)).collect();
        seen.sort_by_key(|d| d.1.code());
        assert_eq!(
            seen,
            [
                (day, RequestState::Expired, 1),
                (day, RequestState::Declined, 1)
            ],
            "{}",
            db.name
        );
        assert!(
            s.deliveries_of_receipt(&a.receipt_id.to_string())
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}
