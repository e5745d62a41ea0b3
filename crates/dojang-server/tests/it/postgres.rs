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
