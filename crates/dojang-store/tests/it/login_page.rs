use std::time::Duration;

use dojang_store::{Consent, LoginSession, LoginTexts};

use crate::support::*;

fn consent(code: &dojang_core::ClientCode, id: &str, phone: &str, at_min: u64) -> Consent {
    Consent {
        id: id.into(),
        client_code: code.clone(),
        receipt_id: format!("receipt-{id}"),
        person: person("홍길동", phone, "19900101"),
        notice_version: "2026-12-01".into(),
        notice_sha256: vec![7; 32],
        lang: "ko".into(),
        accepted_at: NOW + Duration::from_secs(at_min * 60),
    }
}

fn session(code: &dojang_core::ClientCode, id: &str, consent: &str) -> LoginSession {
    LoginSession {
        id: id.into(),
        client_code: code.clone(),
        state: "xyz".into(),
        receipt_id: format!("receipt-{consent}"),
        consent_id: consent.into(),
        created_at: NOW,
        expire_at: NOW + Duration::from_secs(300),
        code_expire_at: None,
        exchanged_at: None,
    }
}

#[tokio::test]
async fn a_return_url_is_set_replaced_and_cleared() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, _) = seeded(s).await;
        assert_eq!(s.login_return_url(&rp.client_code).await.unwrap(), None);
        s.set_login_return_url(&rp.client_code, Some("https://a.example/cb"), NOW)
            .await
            .unwrap();
        s.set_login_return_url(&rp.client_code, Some("https://b.example/cb"), NOW)
            .await
            .unwrap();
        assert_eq!(
            s.login_return_url(&rp.client_code)
                .await
                .unwrap()
                .as_deref(),
            Some("https://b.example/cb")
        );
        s.set_login_return_url(&rp.client_code, None, NOW)
            .await
            .unwrap();
        assert_eq!(s.login_return_url(&rp.client_code).await.unwrap(), None);
    })
    .await;
}

fn texts(code: &dojang_core::ClientCode, lang: &str, recipient: Option<&str>) -> LoginTexts {
    LoginTexts {
        client_code: code.clone(),
        lang: lang.into(),
        recipient: recipient.map(Into::into),
        purpose: None,
        items: Some("이름, 휴대폰 번호\n생년월일".into()),
        retention: None,
        help: None,
        support: Some("02-2133-7349 또는 02-2133-7350".into()),
        updated_at: NOW,
    }
}

#[tokio::test]
async fn login_texts_are_set_per_language_replaced_and_cleared() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, _) = seeded(s).await;
        let other = party("000000000002", "LINK_TWO");
        s.insert_relying_party(&other).await.unwrap();
        assert!(s.login_texts(&rp.client_code).await.unwrap().is_empty());

        let ko = texts(&rp.client_code, "ko", Some("(주)아톤, SK텔레콤(주)"));
        let en = texts(&rp.client_code, "en", None);
        s.set_login_texts(&en).await.unwrap();
        s.set_login_texts(&ko).await.unwrap();
        s.set_login_texts(&texts(&other.client_code, "ko", Some("다른 곳")))
            .await
            .unwrap();
        // By language; NULL parts stay NULL; newlines and Korean survive.
        assert_eq!(
            s.login_texts(&rp.client_code).await.unwrap(),
            [en.clone(), ko]
        );

        // Setting again replaces every part of that language only.
        let later = NOW + Duration::from_secs(60);
        let ko2 = LoginTexts {
            recipient: Some("새 수신자".into()),
            items: None,
            updated_at: later,
            ..texts(&rp.client_code, "ko", None)
        };
        s.set_login_texts(&ko2).await.unwrap();
        assert_eq!(
            s.login_texts(&rp.client_code).await.unwrap(),
            [en.clone(), ko2.clone()]
        );

        // Texts with nothing set remove the language's row.
        let nothing = LoginTexts {
            items: None,
            support: None,
            ..texts(&rp.client_code, "en", None)
        };
        assert!(nothing.is_empty());
        s.set_login_texts(&nothing).await.unwrap();
        assert_eq!(s.login_texts(&rp.client_code).await.unwrap(), [ko2]);

        // Clearing one language, then all; the other party's texts stay.
        s.set_login_texts(&en).await.unwrap();
        assert_eq!(
            s.clear_login_texts(&rp.client_code, Some("ko"))
                .await
                .unwrap(),
            1
        );
        assert_eq!(s.login_texts(&rp.client_code).await.unwrap(), [en]);
        s.set_login_texts(&texts(&rp.client_code, "ko", None))
            .await
            .unwrap();
        assert_eq!(s.clear_login_texts(&rp.client_code, None).await.unwrap(), 2);
        assert!(s.login_texts(&rp.client_code).await.unwrap().is_empty());
        assert_eq!(s.login_texts(&other.client_code).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn consents_are_sealed_listed_newest_first_and_found_by_party_and_phone() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, _) = seeded(s).await;
        let other = party("000000000002", "LINK_TWO");
        s.insert_relying_party(&other).await.unwrap();
        let a = consent(&rp.client_code, "c1", "01012345678", 1);
        let b = consent(&rp.client_code, "c2", "01099998888", 2);
        let c = consent(&other.client_code, "c3", "01012345678", 3);
        for (x, sid) in [(&a, "s1"), (&b, "s2"), (&c, "s3")] {
            s.start_login(x, &session(&x.client_code, sid, &x.id))
                .await
                .unwrap();
        }
        let all = s.consents(None, None, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["c3", "c2", "c1"]
        );
        assert_eq!(all[2], a, "every field comes back");
        assert_eq!(s.consent("c2").await.unwrap().as_ref(), Some(&b));
        assert_eq!(s.consent("nope").await.unwrap(), None);
        let mine = s.consents(Some(&rp.client_code), None, 10).await.unwrap();
        assert_eq!(mine.len(), 2);
        let phone = a.person.phone.clone();
        let by_phone = s.consents(None, Some(&phone), 10).await.unwrap();
        assert_eq!(
            by_phone.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["c3", "c1"]
        );
        let both = s
            .consents(Some(&rp.client_code), Some(&phone), 10)
            .await
            .unwrap();
        assert_eq!(both.len(), 1);
        assert_eq!(s.consents(None, None, 1).await.unwrap().len(), 1);
        // The same consent id twice is refused, and writes no second session.
        assert!(
            s.start_login(&a, &session(&rp.client_code, "s9", "c1"))
                .await
                .is_err()
        );
        assert!(s.login_session("s9").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn a_login_code_is_issued_once_and_exchanged_once_by_its_own_party_in_time() {
    each_backend(async |db| {
        let s = &*db.store;
        let (rp, _) = seeded(s).await;
        let other = party("000000000002", "LINK_TWO");
        s.insert_relying_party(&other).await.unwrap();
        let c = consent(&rp.client_code, "c1", "01012345678", 0);
        s.start_login(&c, &session(&rp.client_code, "s1", "c1"))
            .await
            .unwrap();
        let got = s.login_session("s1").await.unwrap().unwrap();
        assert_eq!(got, session(&rp.client_code, "s1", "c1"));
        assert!(s.login_session("nope").await.unwrap().is_none());

        let exp = NOW + Duration::from_secs(60);
        assert!(s.issue_login_code("s1", b"hash-1", exp).await.unwrap());
        assert!(
            !s.issue_login_code("s1", b"hash-2", exp).await.unwrap(),
            "a second code is refused"
        );
        assert!(!s.issue_login_code("nope", b"hash-3", exp).await.unwrap());

        // Another relying party, a wrong code, or too late: nothing.
        let now = NOW + Duration::from_secs(10);
        assert!(
            s.exchange_login_code(b"hash-1", &other.client_code, now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.exchange_login_code(b"hash-2", &rp.client_code, now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.exchange_login_code(b"hash-1", &rp.client_code, exp)
                .await
                .unwrap()
                .is_none()
        );
        let done = s
            .exchange_login_code(b"hash-1", &rp.client_code, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.id, "s1");
        assert_eq!(done.exchanged_at, Some(now));
        assert_eq!(done.code_expire_at, Some(exp));
        assert!(
            s.exchange_login_code(b"hash-1", &rp.client_code, now)
                .await
                .unwrap()
                .is_none(),
            "a code is exchanged once"
        );
    })
    .await;
}
