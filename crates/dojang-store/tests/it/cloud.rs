//! The cloud certificate's records (schema v16) on both backends: a cloud issuance supersedes
//! only cloud devices, the PIN counter locks at the limit and a reset unlocks, browsers are
//! limited and closed proofs add none, challenges are used once by their own browser before
//! they expire, codes are exchanged once by their own party, uses are append-only.

use std::time::Duration;

use dojang_core::{DeviceKind, IdentityProof};
use dojang_store::{
    BrowserAdded, CloudAlt, CloudBrowser, CloudCode, CloudParty, CloudPinFailure, CloudUse,
    CompletedEnrolment, MemberChoice, NewCloud, Proof,
};

use crate::support::*;

fn browser(device: dojang_core::DeviceId, id: &str) -> CloudBrowser {
    CloudBrowser {
        id: id.into(),
        device_id: device,
        spki: vec![1, 2, 3],
        label: format!("browser {id}"),
        created_at: NOW,
        last_used_at: None,
        removed_at: None,
    }
}

#[tokio::test]
async fn cloud_records_round_trip_on_both_backends() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, m) = seeded(s).await;
        let app_serial = s.certificates_of(m.id).await.unwrap()[0].serial.clone();

        // A cloud issuance for the same member: the app certificate stays.
        let e = enrolment(m.person.clone());
        s.insert_enrolment(&e, NOW).await.unwrap();
        s.insert_cloud_proof(e.id, "issue").await.unwrap();
        assert_eq!(s.cloud_proof(e.id).await.unwrap().as_deref(), Some("issue"));
        let mut d = device(m.id);
        d.kind = DeviceKind::Cloud;
        let c = certificate(m.id, d.id);
        let issued = CompletedEnrolment {
            proof: Proof::Sms(e.id),
            member: MemberChoice::Existing(m.id),
            device: d.clone(),
            certificate: c.clone(),
            pin: None,
            cloud: Some(NewCloud {
                key_label: format!("cloud:{}", d.id),
                pin_hash: "$argon2id$…".into(),
                browser: browser(d.id, "b1"),
            }),
            now: NOW,
        };
        assert!(s.complete_enrolment(&issued).await.unwrap());
        assert!(
            !s.complete_enrolment(&issued).await.unwrap(),
            "proof closed"
        );
        let app = s.certificate(&app_serial).await.unwrap().unwrap();
        assert!(
            app.revoked_at.is_none(),
            "{}: the app certificate was superseded",
            db.name
        );
        assert_eq!(
            s.device(d.id).await.unwrap().unwrap().kind,
            DeviceKind::Cloud
        );
        assert_eq!(s.active_cloud_device(m.id).await.unwrap().unwrap().id, d.id);
        let cd = s.cloud_device(d.id).await.unwrap().unwrap();
        assert_eq!(cd.key_label, format!("cloud:{}", d.id));
        assert_eq!((cd.pin_failures, cd.locked_at), (0, None));

        // Wrong PINs: counted, the third (here the limit) locks; locked stays locked.
        let later = NOW + Duration::from_secs(60);
        assert_eq!(
            s.cloud_pin_failed(d.id, 3, later).await.unwrap(),
            CloudPinFailure::Counted(1)
        );
        assert!(s.cloud_pin_succeeded(d.id, later).await.unwrap());
        for n in 1..3 {
            assert_eq!(
                s.cloud_pin_failed(d.id, 3, later).await.unwrap(),
                CloudPinFailure::Counted(n)
            );
        }
        assert_eq!(
            s.cloud_pin_failed(d.id, 3, later).await.unwrap(),
            CloudPinFailure::LockedNow
        );
        assert_eq!(
            s.cloud_pin_failed(d.id, 3, later).await.unwrap(),
            CloudPinFailure::Unchanged
        );
        assert!(!s.cloud_pin_succeeded(d.id, later).await.unwrap());
        assert!(!s.change_cloud_pin(d.id, "new", later).await.unwrap());
        // A reset after a fresh proof unlocks and adds the browser; the proof closes.
        let e2 = enrolment(m.person.clone());
        s.insert_enrolment(&e2, NOW).await.unwrap();
        assert_eq!(
            s.reset_cloud_pin(e2.id, "reset", &browser(d.id, "b2"), 10, later)
                .await
                .unwrap(),
            BrowserAdded::Added
        );
        let cd = s.cloud_device(d.id).await.unwrap().unwrap();
        assert_eq!(
            (cd.pin_hash.as_str(), cd.pin_failures, cd.locked_at),
            ("reset", 0, None)
        );
        assert_eq!(
            s.add_cloud_browser(e2.id, &browser(d.id, "b3"), 10, later)
                .await
                .unwrap(),
            BrowserAdded::ProofClosed
        );
        // The browser limit.
        let e3 = enrolment(m.person.clone());
        s.insert_enrolment(&e3, NOW).await.unwrap();
        assert_eq!(
            s.add_cloud_browser(e3.id, &browser(d.id, "b4"), 2, later)
                .await
                .unwrap(),
            BrowserAdded::TooMany
        );
        assert_eq!(s.cloud_browsers(d.id).await.unwrap().len(), 2);
        assert!(s.remove_cloud_browser(d.id, "b2", later).await.unwrap());
        assert!(!s.remove_cloud_browser(d.id, "b2", later).await.unwrap());
        assert!(
            s.cloud_browser("b2")
                .await
                .unwrap()
                .unwrap()
                .removed_at
                .is_some()
        );
        assert_eq!(s.cloud_browsers(d.id).await.unwrap().len(), 1);

        // Challenges: once, by their own browser, before they expire.
        let exp = NOW + Duration::from_secs(120);
        s.insert_cloud_challenge("ch1", "b1", exp, NOW)
            .await
            .unwrap();
        s.insert_cloud_challenge("ch2", "b1", exp, NOW)
            .await
            .unwrap();
        assert!(!s.use_cloud_challenge("ch1", "b2", NOW).await.unwrap());
        assert!(s.use_cloud_challenge("ch1", "b1", NOW).await.unwrap());
        assert!(!s.use_cloud_challenge("ch1", "b1", NOW).await.unwrap());
        assert!(!s.use_cloud_challenge("ch2", "b1", exp).await.unwrap());
        assert_eq!(
            s.cloud_browser("b1").await.unwrap().unwrap().last_used_at,
            Some(NOW)
        );

        // Uses, newest first, the address sealed and read back.
        for (i, act) in ["issue", "approve"].into_iter().enumerate() {
            s.append_cloud_use(&CloudUse {
                device_id: d.id,
                browser_id: "b1".into(),
                at: NOW + Duration::from_secs(i as u64),
                action: act.into(),
                client_code: rp.client_code.to_string(),
                receipt_id: String::new(),
                digest: vec![9; 32],
                address: "192.0.2.1".into(),
            })
            .await
            .unwrap();
        }
        let uses = s.cloud_uses(d.id, 10).await.unwrap();
        assert_eq!(
            uses.iter().map(|u| u.action.as_str()).collect::<Vec<_>>(),
            ["approve", "issue"]
        );
        assert_eq!(uses[0].address, "192.0.2.1");
        // Evidence is append-only (PostgreSQL: the same triggers, migrations/postgres/0016).
        if let Some(path) = &db.sqlite_path {
            let conn = rusqlite::Connection::open(path).unwrap();
            for sql in [
                "UPDATE cloud_uses SET action = 'x'",
                "DELETE FROM cloud_uses",
            ] {
                let r = conn.execute(sql, []);
                assert!(
                    r.as_ref()
                        .is_err_and(|e| e.to_string().contains("append-only")),
                    "{sql}: {r:?}"
                );
            }
        }
        assert_eq!(s.cloud_uses(d.id, 10).await.unwrap().len(), 2);

        // Codes: once, by their own party, before they expire.
        let other = party("000000000002", "LINK_TWO");
        s.insert_relying_party(&other).await.unwrap();
        s.insert_cloud_code(&CloudCode {
            code_hash: vec![7; 32],
            client_code: rp.client_code.clone(),
            kind: "issue".into(),
            receipt_id: None,
            device_id: Some(d.id),
            serial: Some(c.serial.clone()),
            created_at: NOW,
            expires_at: exp,
        })
        .await
        .unwrap();
        assert!(
            s.exchange_cloud_code(&[7; 32], &other.client_code, NOW)
                .await
                .unwrap()
                .is_none()
        );
        let got = s
            .exchange_cloud_code(&[7; 32], &rp.client_code, NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((got.kind.as_str(), got.device_id), ("issue", Some(d.id)));
        assert!(
            s.exchange_cloud_code(&[7; 32], &rp.client_code, NOW)
                .await
                .unwrap()
                .is_none()
        );

        // An alternative-authentication transaction closes with the certificate it issues.
        s.insert_cloud_alt(&CloudAlt {
            tx_id: "tx1".into(),
            client_code: rp.client_code.clone(),
            permission_hash: vec![5; 32],
            person: m.person.clone(),
            created_at: NOW,
            expires_at: exp,
            used_at: None,
        })
        .await
        .unwrap();
        assert_eq!(s.cloud_alt("tx1").await.unwrap().unwrap().person, m.person);
        let mut d2 = device(m.id);
        d2.kind = DeviceKind::Cloud;
        let c2 = certificate(m.id, d2.id);
        assert!(
            s.complete_enrolment(&CompletedEnrolment {
                proof: Proof::Alt("tx1".into()),
                member: MemberChoice::Existing(m.id),
                device: d2.clone(),
                certificate: c2.clone(),
                pin: None,
                cloud: Some(NewCloud {
                    key_label: format!("cloud:{}", d2.id),
                    pin_hash: "h".into(),
                    browser: browser(d2.id, "b9"),
                }),
                now: NOW,
            })
            .await
            .unwrap()
        );
        assert_eq!(
            s.certificate(&c2.serial).await.unwrap().unwrap().proof,
            IdentityProof::Alt
        );
        assert!(s.cloud_alt("tx1").await.unwrap().unwrap().used_at.is_some());
        // The second cloud issuance superseded the first cloud certificate, not the app's.
        assert!(
            s.certificate(&c.serial)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert!(
            s.certificate(&app_serial)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_none()
        );

        // Renewal of a cloud certificate sets the new key label with it.
        let mut c3 = certificate(m.id, d2.id);
        c3.proof = IdentityProof::Alt;
        assert!(
            s.renew_cloud_certificate(&c2.serial, &c3, "cloud:x:1", later)
                .await
                .unwrap()
        );
        assert!(
            !s.renew_cloud_certificate(&c2.serial, &c3, "cloud:x:2", later)
                .await
                .unwrap()
        );
        assert_eq!(
            s.cloud_device(d2.id).await.unwrap().unwrap().key_label,
            "cloud:x:1"
        );

        // Publishable keys: set keeps the key, found by key, removed.
        let p = CloudParty {
            client_code: rp.client_code.clone(),
            publishable_key: "pk_first".into(),
            origins: vec!["https://rp.example".into()],
            stylesheets: vec![],
            updated_at: NOW,
        };
        assert_eq!(
            s.set_cloud_party(&p).await.unwrap().publishable_key,
            "pk_first"
        );
        let again = CloudParty {
            publishable_key: "pk_second".into(),
            origins: vec!["https://b.example".into()],
            ..p.clone()
        };
        let stored = s.set_cloud_party(&again).await.unwrap();
        assert_eq!(stored.publishable_key, "pk_first");
        assert_eq!(stored.origins, ["https://b.example"]);
        assert_eq!(
            s.cloud_party_by_key("pk_first")
                .await
                .unwrap()
                .unwrap()
                .client_code,
            rp.client_code
        );
        assert!(s.cloud_party_by_key("pk_second").await.unwrap().is_none());
        assert!(s.remove_cloud_party(&rp.client_code).await.unwrap());
        assert!(s.cloud_party(&rp.client_code).await.unwrap().is_none());
    })
    .await;
}
