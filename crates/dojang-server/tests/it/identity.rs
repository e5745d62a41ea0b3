//! The identity-verification life cycle, driven by the injected clock.

use std::time::Duration;

use dojang_client::{ErrorCode, IdentityRequest};
use dojang_core::Clock;
use dojang_proto::device::PushMessage;
use dojang_proto::paths;
use dojang_testkit::TestServer;
use futures_util::StreamExt;

use crate::common::*;

async fn setup() -> (
    TestServer,
    dojang_testkit::TestParty,
    dojang_testkit::TestDevice,
) {
    let s = TestServer::start().await;
    let party = s.add_party("서울시 복지포털").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    (s, party, device)
}

fn request(token: &str, expire_in: i64) -> IdentityRequest {
    IdentityRequest::new(NAME, PHONE, BIRTH, token, "로그인", expire_in)
}

#[tokio::test]
async fn the_whole_flow_and_every_status_field() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let t0 = s.clock().now();
    let r = client
        .request_verify_auth(&request("nonce-1", 300).with_extra_message("안내"))
        .await
        .unwrap();
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert_eq!(
        (st.state, st.expire_in, st.req_title.as_str()),
        (0, 300, "로그인")
    );
    assert_eq!(st.client_code, party.client_code);
    assert_eq!(st.request_dt.unix_timestamp(), t0.unix_timestamp());
    assert_eq!(st.expire_dt.unix_timestamp(), t0.unix_timestamp() + 300);
    assert!(st.view_dt.is_none() && st.complete_dt.is_none() && st.verify_dt.is_none());

    let card = device.card(&r.receipt_id).await;
    assert_eq!(
        (card.requester.as_str(), card.token.as_str()),
        ("서울시 복지포털", "nonce-1")
    );
    assert_eq!(card.extra_message.as_deref(), Some("안내"));
    assert_eq!(
        card.call_center_num.as_deref(),
        Some("1600-0000"),
        "the party's default call centre"
    );

    s.clock().advance(Duration::from_secs(3));
    device.api.view(&r.receipt_id).await.unwrap();
    s.clock().advance(Duration::from_secs(4));
    assert_eq!(
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap(),
        1
    );
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert_eq!(st.state, 1);
    assert_eq!(
        st.view_dt.unwrap().unix_timestamp(),
        t0.unix_timestamp() + 3
    );
    assert_eq!(
        st.complete_dt.unwrap().unix_timestamp(),
        t0.unix_timestamp() + 7
    );
    assert!(device.api.pending().await.unwrap().requests.is_empty());

    let v = client.verify_auth(&r.receipt_id).await.unwrap();
    assert_eq!(
        (v.receiver_name.as_str(), v.token.as_deref().unwrap()),
        (NAME, "nonce-1")
    );
    assert_ocsp_evidence(&s, &v, &device.serial);
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert!(st.verify_dt.is_some());
}

#[tokio::test]
async fn verify_before_signing_twice_and_after_the_window() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&request("n", 300))
        .await
        .unwrap();
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::NotSignedYet));
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    client.verify_auth(&r.receipt_id).await.unwrap();
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::AlreadyVerified));

    // Signed, then nobody verifies for thirty minutes (the default, seed 002) and a second.
    let r = client
        .request_verify_auth(&request("n2", 300))
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    s.clock().advance(Duration::from_secs(1801));
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::VerifyWindowPassed), "{e}");
}

#[tokio::test]
async fn verify_exactly_at_the_end_of_the_window_still_works() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&request("n", 300))
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    s.clock().advance(Duration::from_secs(1800));
    client.verify_auth(&r.receipt_id).await.unwrap();
}

#[tokio::test]
async fn expiry_comes_from_the_clock() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let r = client.request_verify_auth(&request("n", 60)).await.unwrap();
    let card = device.card(&r.receipt_id).await;
    s.clock().advance(Duration::from_secs(59));
    assert_eq!(
        client
            .get_verify_auth_state(&r.receipt_id)
            .await
            .unwrap()
            .state,
        0
    );
    s.clock().advance(Duration::from_secs(1));
    assert_eq!(
        client
            .get_verify_auth_state(&r.receipt_id)
            .await
            .unwrap()
            .state,
        2
    );
    assert!(
        device.api.pending().await.unwrap().requests.is_empty(),
        "expired requests are not pending"
    );
    let signed = device.signer.sign(&card, s.clock().now()).unwrap();
    let body = dojang_proto::device::Approve {
        signed_data: Some(signed),
        ..Default::default()
    };
    let e = device.api.approve(&r.receipt_id, &body).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RequestExpired.code()));
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::RequestExpired));
    let e = device.api.decline(&r.receipt_id, None).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RequestExpired.code()));
}

#[tokio::test]
async fn decline_ends_in_state_three() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&request("n", 300))
        .await
        .unwrap();
    assert_eq!(
        device
            .api
            .decline(&r.receipt_id, Some("내가 요청하지 않음".into()))
            .await
            .unwrap()
            .state,
        3
    );
    assert_eq!(
        client
            .get_verify_auth_state(&r.receipt_id)
            .await
            .unwrap()
            .state,
        3
    );
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::RequestDeclined));
    let e = approve_unlisted(&device, &r.receipt_id, "n", &s).await;
    assert_eq!(e, Some(ErrorCode::RequestNotWaiting.code()));
    let e = device
        .api
        .decline(&r.receipt_id, Some("x".repeat(201)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::ReasonTooLong.code()));
}

/// Sign `token` for a request that is no longer pending (so no card can be fetched) and try
/// to approve it; returns the error code.
async fn approve_unlisted(
    device: &dojang_testkit::TestDevice,
    receipt: &str,
    token: &str,
    s: &TestServer,
) -> Option<i64> {
    let card = dojang_proto::device::RequestCard {
        receipt_id: receipt.into(),
        kind: "identity".into(),
        requester: String::new(),
        client_code: String::new(),
        req_title: String::new(),
        extra_message: None,
        call_center_num: None,
        call_center_name: None,
        token: token.into(),
        documents: Vec::new(),
        binding_choices: Vec::new(),
        binding_code: None,
        app_use: false,
        tx_id: None,
        allow_simple_regist: false,
        requires_beyond_phone: false,
        requires_verified_name: false,
        request_dt: String::new(),
        expire_dt: String::new(),
    };
    let signed = device.signer.sign(&card, s.clock().now()).unwrap();
    device
        .api
        .approve(
            receipt,
            &dojang_proto::device::Approve {
                signed_data: Some(signed),
                ..Default::default()
            },
        )
        .await
        .err()
        .and_then(|e| e.code())
}

#[tokio::test]
async fn another_partys_receipts_do_not_exist_for_it() {
    let (s, party, device) = setup().await;
    let other = s.add_party("다른 기관").await;
    let r = s
        .client(&party)
        .request_verify_auth(&request("n", 300))
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let thief = s.client(&other);
    let e = thief
        .get_verify_auth_state(&r.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiptNotFound));
    let e = thief.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiptNotFound));
    // The owner can still verify: the thief's attempt consumed nothing.
    s.client(&party).verify_auth(&r.receipt_id).await.unwrap();
    // Same answer as for a receipt that never existed.
    let e = thief
        .get_verify_auth_state(&"7".repeat(32))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiptNotFound));
}

#[tokio::test]
async fn the_receiver_must_hold_a_certificate_under_that_name() {
    let (s, party, _device) = setup().await;
    let client = s.client(&party);
    let e = client
        .request_verify_auth(&IdentityRequest::new(
            NAME,
            "01099998888",
            BIRTH,
            "n",
            "t",
            300,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiverNotFound));
    let e = client
        .request_verify_auth(&IdentityRequest::new(
            NAME, PHONE, "19900102", "n", "t", 300,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiverNotFound));
    let e = client
        .request_verify_auth(&IdentityRequest::new("김철수", PHONE, BIRTH, "n", "t", 300))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiverNameMismatch));
}

#[tokio::test]
async fn a_new_request_is_pushed_over_the_websocket() {
    let (s, party, device) = setup().await;
    let mut socket = device.api.connect_push().await.unwrap();
    let hello = socket.next().await.unwrap().unwrap();
    assert!(hello.to_text().unwrap().contains("\"hello\""));
    let r = s
        .client(&party)
        .request_verify_auth(&request("pushed-token", 300))
        .await
        .unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match serde_json::from_str::<PushMessage>(msg.to_text().unwrap()).unwrap() {
        PushMessage::Request { card } => {
            assert_eq!(card.receipt_id, r.receipt_id);
            assert_eq!(card.token, "pushed-token");
            assert_eq!(card.requester, "서울시 복지포털");
        }
        other => panic!("expected a request, got {other:?}"),
    }
    // After the answer the card is withdrawn on every connection of the holder.
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<PushMessage>(msg.to_text().unwrap()).unwrap(),
        PushMessage::Withdrawn {
            receipt_id: r.receipt_id.clone(),
            state: 1
        }
    );
    // Other people's requests do not reach this socket.
    let other = s.enrol("김영희", "01055556666", "19850505").await;
    let _ = other;
    s.client(&party)
        .request_verify_auth(&IdentityRequest::new(
            "김영희",
            "01055556666",
            "19850505",
            "x",
            "t",
            300,
        ))
        .await
        .unwrap();
    crate::push::assert_not_pushed(
        &mut socket,
        Duration::from_millis(300),
        "another person's request must not reach this socket",
    )
    .await;
}

#[tokio::test]
async fn invalid_receipt_ids_are_refused_after_authentication() {
    let (s, party, _) = setup().await;
    for bad in ["123", "1234567890123456789012345678901x", "%FF%FE"] {
        let a = signed(
            &s,
            &party,
            "GET",
            &format!("{}/{bad}", paths::IDENTITY),
            b"",
            None,
        )
        .await;
        assert_eq!(
            (a.status, a.code()),
            (400, ErrorCode::ReceiptIdInvalid.code()),
            "{bad}"
        );
    }
}
