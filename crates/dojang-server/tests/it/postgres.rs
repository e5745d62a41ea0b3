//! The same server on PostgreSQL (when `DOJANG_TEST_PG_URL` is set, as CI does).

use dojang_client::{ErrorCode, IdentityRequest};
use dojang_core::Clock;
use dojang_testkit::{TestServer, pg_url};

use crate::common::*;

#[tokio::test]
async fn identity_flow_on_postgres() {
    let Some(url) = pg_url() else {
        eprintln!("DOJANG_TEST_PG_URL not set: PostgreSQL leg skipped");
        return;
    };
    let s = TestServer::start_postgres(&url).await;
    let party = s.add_party("기관").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&IdentityRequest::new(
            NAME, PHONE, BIRTH, "pg-token", "t", 300,
        ))
        .await
        .unwrap();
    assert_eq!(
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap(),
        1
    );
    let v = client.verify_auth(&r.receipt_id).await.unwrap();
    assert_eq!(v.token.as_deref(), Some("pg-token"));
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::AlreadyVerified));
    s.stop().await;
}

#[tokio::test]
async fn every_kind_and_the_guards_on_postgres() {
    use dojang_client::{CreateRequest, Kind, TokenItem, TokenType};
    let Some(url) = pg_url() else {
        eprintln!("DOJANG_TEST_PG_URL not set: PostgreSQL leg skipped");
        return;
    };
    let s = TestServer::start_postgres(&url).await;
    let party = s.add_party("기관").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let client = s.client(&party);
    let multi = CreateRequest::multi_sign(
        NAME,
        PHONE,
        BIRTH,
        "묶음",
        vec![
            TokenItem::new("가", TokenType::Text, "첫째"),
            TokenItem::new("나", TokenType::Text, "둘째"),
        ],
        300,
    );
    let r = client
        .request_idempotent(Kind::MultiSign, &multi, "pg-key")
        .await
        .unwrap();
    let again = client
        .request_idempotent(Kind::MultiSign, &multi, "pg-key")
        .await
        .unwrap();
    assert_eq!(again, r);
    let e = client
        .request(
            Kind::Sign,
            &CreateRequest::sign(NAME, PHONE, BIRTH, "t", TokenType::Text, "x", 300),
        )
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::RequestInProgress));
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v = client.verify(Kind::MultiSign, &r.receipt_id).await.unwrap();
    assert_eq!(v.multi_signed_data.map(|m| m.len()), Some(2));
    let login = CreateRequest::login(NAME, PHONE, BIRTH, "pg-login", 300)
        .with_app_to_app("https://rp.example/back");
    let r = client.request(Kind::Login, &login).await.unwrap();
    let card = device.card(&r.receipt_id).await;
    let back = device
        .approve_card(&card, None, s.clock().now())
        .await
        .unwrap()
        .return_url
        .unwrap();
    let tx = back.rsplit("txID=").next().unwrap();
    assert_eq!(
        client.verify_login(tx).await.unwrap().token.as_deref(),
        Some("pg-login")
    );
    s.stop().await;
}

#[tokio::test]
async fn bank_and_desk_issuance_on_postgres() {
    use dojang_app::{BankEnrolment, DeskEnrolment, Holder};
    let Some(url) = pg_url() else {
        eprintln!("DOJANG_TEST_PG_URL not set: PostgreSQL leg skipped");
        return;
    };
    let s = TestServer::start_postgres(&url).await;
    let me = Holder {
        name: NAME.into(),
        phone: PHONE.into(),
        birthday: BIRTH.into(),
    };
    let e = BankEnrolment::start(&s.url(), me.clone(), "004", "123-456-789")
        .await
        .unwrap();
    let word = s.last_bank_word(PHONE).await;
    let first = e.submit_word(&word).await.unwrap();
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    let desk = DeskEnrolment::new(&s.url(), me).unwrap();
    let second = desk.submit(&reference, &code).await.unwrap();
    // The desk's certificate superseded the bank one (same person, a new device).
    let store = &s.state().store;
    let old = store.certificate(&first.serial).await.unwrap().unwrap();
    assert_eq!(old.revocation_reason, Some(4));
    assert!(
        store
            .certificate(&second.serial)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
    let err = desk.submit(&reference, &code).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaUsed.code()));
    s.stop().await;
}
