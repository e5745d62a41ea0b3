//! Every kind of request through the SDK against the real server, with an in-process device:
//! fields round-trip, verify returns what was signed, and each guard answers its code.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_client::{
    CreateRequest, DebitAccount, ErrorCode, IdentityRequest, Kind, TokenItem, TokenType,
};
use dojang_core::Clock;
use dojang_pki::Verifier;
use dojang_testkit::{TestDevice, TestParty, TestServer};

use crate::common::*;
use crate::push::{Push, assert_not_pushed, expect_hello, next_push};

const HASH: &str = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";

async fn setup() -> (TestServer, TestParty, TestDevice) {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    (s, party, device)
}

fn account() -> DebitAccount {
    DebitAccount {
        request_corp: "도장보험".into(),
        bank_name: "국민은행".into(),
        bank_account_num: "123-45-678901".into(),
        bank_account_name: NAME.into(),
        bank_account_birthday: BIRTH.into(),
        bank_service_type: "CMS".into(),
    }
}

/// The content of a base64 SignedData, checked against the server's CA.
fn content(s: &TestServer, b64: &str) -> String {
    let der = STANDARD.decode(b64).unwrap();
    let v = Verifier::new(s.state().ca.certificate_der()).unwrap();
    let checked = v.verify_attached(&der, s.clock().now()).unwrap();
    String::from_utf8(checked.content).unwrap()
}

fn code_of(e: dojang_client::Error) -> i64 {
    e.code()
}

async fn connect_push(_s: &TestServer, device: &TestDevice) -> Push {
    let mut ws = device.api.connect_push().await.unwrap();
    expect_hello(&mut ws).await;
    ws
}

#[tokio::test]
async fn sign_with_text_hash_and_pdf_tokens() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    for (ty, token) in [
        (TokenType::Text, "대출 약정에 동의합니다."),
        (TokenType::Hash, HASH),
        (TokenType::Pdf, HASH),
    ] {
        let mut req = CreateRequest::sign(NAME, PHONE, BIRTH, "약정서", ty, token, 300);
        req.payload = Some("order-17".into());
        let r = client.request_esign(&req).await.unwrap();
        let code = r.binding_code.clone().unwrap();
        assert_eq!(code.len(), 2);
        let card = device.card(&r.receipt_id).await;
        assert_eq!(card.kind, "sign");
        assert_eq!(card.documents.len(), 1);
        assert_eq!(card.documents[0].token_type, ty);
        assert!(card.binding_choices.contains(&code));
        let st = client.get_esign_state(&r.receipt_id).await.unwrap();
        assert_eq!(
            (st.kind, st.sign_title.as_deref(), st.token_type),
            (Kind::Sign, Some("약정서"), Some(ty))
        );
        assert_eq!(st.payload.as_deref(), Some("order-17"));
        assert_eq!(st.binding_code.as_deref(), Some(code.as_str()));
        assert_eq!(
            device
                .approve(&r.receipt_id, s.clock().now())
                .await
                .unwrap(),
            1
        );
        let v = client.verify_esign(&r.receipt_id).await.unwrap();
        assert_eq!(v.kind, Kind::Sign);
        assert_eq!(v.token.as_deref(), Some(token));
        assert_eq!(content(&s, v.signed_data.as_deref().unwrap()), token);
        assert!(v.multi_signed_data.is_none());
        assert_ocsp_evidence(&s, &v, &device.serial);
    }
    // The identity path does not see sign receipts.
    let r = client
        .request_esign(&CreateRequest::sign(
            NAME,
            PHONE,
            BIRTH,
            "x",
            TokenType::Text,
            "t",
            300,
        ))
        .await
        .unwrap();
    let e = client
        .get_verify_auth_state(&r.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(code_of(e), ErrorCode::ReceiptNotFound.code());
}

#[tokio::test]
async fn multi_sign_signs_every_document_with_one_approval() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let docs: Vec<TokenItem> = (1..=3)
        .map(|i| TokenItem::new(format!("문서{i}"), TokenType::Text, format!("본문 {i}")))
        .chain(std::iter::once(TokenItem::new(
            "첨부",
            TokenType::Pdf,
            HASH,
        )))
        .collect();
    let req = CreateRequest::multi_sign(NAME, PHONE, BIRTH, "계약 묶음", docs.clone(), 300);
    let r = client.request_multi_sign(&req).await.unwrap();
    let card = device.card(&r.receipt_id).await;
    assert_eq!(card.documents.len(), 4);
    let st = client.status(Kind::MultiSign, &r.receipt_id).await.unwrap();
    assert_eq!(
        st.token_types,
        Some(vec![
            TokenType::Text,
            TokenType::Text,
            TokenType::Text,
            TokenType::Pdf
        ])
    );
    // One signature short: refused without ending the request.
    let mut body = device
        .signer
        .approval(&card, card.binding_code.clone(), s.clock().now())
        .unwrap();
    let all = body.multi_signed_data.clone().unwrap();
    body.multi_signed_data = Some(all[..3].to_vec());
    let e = device.api.approve(&r.receipt_id, &body).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::MultiSignedDataInvalid.code()));
    // Documents swapped: the content check fails the request.
    let mut swapped = all.clone();
    swapped.swap(0, 1);
    body.multi_signed_data = Some(swapped);
    let e = device.api.approve(&r.receipt_id, &body).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::ContentMismatch.code()));
    assert_eq!(
        client
            .status(Kind::MultiSign, &r.receipt_id)
            .await
            .unwrap()
            .state,
        4
    );

    // The same signed bytes again would be a replay (-10300030): a real client signs anew.
    s.clock().advance(Duration::from_secs(1));
    let r = client.request_multi_sign(&req).await.unwrap();
    assert_eq!(
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap(),
        1
    );
    let v = client.verify(Kind::MultiSign, &r.receipt_id).await.unwrap();
    let signed = v.multi_signed_data.clone().unwrap();
    assert!(v.signed_data.is_none() && v.token.is_none());
    assert_eq!(signed.len(), 4);
    assert_ocsp_evidence(&s, &v, &device.serial);
    for (sig, doc) in signed.iter().zip(&docs) {
        assert_eq!(&content(&s, sig), doc.token.as_ref().unwrap());
    }
}

#[tokio::test]
async fn debit_consent_signs_the_documented_text() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let req = CreateRequest::debit_consent(NAME, PHONE, BIRTH, "자동이체 동의", account(), 300);
    let r = client.request_cms(&req).await.unwrap();
    let card = device.card(&r.receipt_id).await;
    let text = dojang_proto::rp::debit_consent_text(&account());
    assert_eq!(card.token, text);
    assert!(text.contains("123-45-678901") && text.contains("CMS 자동이체"));
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v = client
        .verify(Kind::DebitConsent, &r.receipt_id)
        .await
        .unwrap();
    assert_eq!(content(&s, v.signed_data.as_deref().unwrap()), text);
    assert_eq!(v.token.as_deref(), Some(text.as_str()));
    assert_ocsp_evidence(&s, &v, &device.serial);
    // Each bank field is checked with its own code.
    let mut bad = req.clone();
    bad.bank_service_type = Some("ACH".into());
    let e = client.request_cms(&bad).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::BankServiceTypeInvalid.code());
    let mut bad = req.clone();
    bad.bank_account_num = Some("12a".into());
    let e = client.request_cms(&bad).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::BankAccountNumInvalid.code());
}

#[tokio::test]
async fn app_to_app_login_returns_to_the_relying_party_with_a_transaction_id() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let mut ws = connect_push(&s, &device).await;
    let req = CreateRequest::login(NAME, PHONE, BIRTH, "login-nonce", 120)
        .with_app_to_app("https://rp.example/login/back?step=2");
    let r = client.request(Kind::Login, &req).await.unwrap();
    let scheme = r.scheme.clone().unwrap();
    assert_eq!(
        scheme,
        format!("dojang://request?receiptID={}", r.receipt_id)
    );
    assert!(r.binding_code.is_none(), "no number matching on one phone");
    // App-to-app is not pushed.
    assert_not_pushed(
        &mut ws,
        Duration::from_millis(300),
        "an app-to-app request must not be pushed",
    )
    .await;
    let card = device.card(&r.receipt_id).await;
    assert!(card.app_use && card.binding_choices.is_empty());
    let answered = device
        .approve_card(&card, None, s.clock().now())
        .await
        .unwrap();
    let back = answered.return_url.unwrap();
    let tx = back
        .strip_prefix("https://rp.example/login/back?step=2&txID=")
        .unwrap()
        .to_owned();
    assert_eq!(tx.len(), 40);
    // Verify by the transaction id, once; the receipt path does not accept a made-up txID.
    let e = client.verify_login(&"ab".repeat(20)).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::ReceiptNotFound.code());
    let e = client.verify_login("not-a-tx").await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::TxIdInvalid.code());
    let v = client.verify_login(&tx).await.unwrap();
    assert_eq!(v.tx_id.as_deref(), Some(tx.as_str()));
    assert_eq!(v.token.as_deref(), Some("login-nonce"));
    assert_ocsp_evidence(&s, &v, &device.serial);
    let e = client.verify_login(&tx).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::AlreadyVerified.code());
    // Another relying party cannot use the transaction id.
    let other = s.add_party("다른 기관").await;
    let e = s.client(&other).verify_login(&tx).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::ReceiptNotFound.code());
    // appUseYN without returnURL.
    let mut bad = CreateRequest::login(NAME, PHONE, BIRTH, "n", 60);
    bad.app_use_yn = Some(true);
    let e = client.request(Kind::Login, &bad).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::ReturnUrlMissing.code());
}

#[tokio::test]
async fn options_round_trip_and_identity_results_carry_ci_and_di() {
    let (s, party, device) = setup().await;
    s.state()
        .store
        .insert_alias(&dojang_store::Alias {
            client_code: party.client_code.parse().unwrap(),
            sub_client_id: "gangnam".into(),
            name: "도장은행 강남지점".into(),
            created_at: s.clock().now(),
        })
        .await
        .unwrap();
    let client = s.client(&party);
    let mut req = IdentityRequest::new("홍 길동", PHONE, BIRTH, "nonce", "본인확인", 300);
    req.call_center_name = Some("강남센터".into());
    req.call_center_num = Some("02-123-4567".into());
    req.sub_client_id = Some("gangnam".into());
    req.payload = Some("memo-1".into());
    req.allow_simple_regist_yn = Some(true);
    req.extra_message = Some("확인해 주세요".into());
    // The name differs from the holder's: refused while verifyNameYN is true (the default).
    let e = client.request_verify_auth(&req).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::ReceiverNameMismatch.code());
    req.verify_name_yn = Some(false);
    let r = client.request_verify_auth(&req).await.unwrap();
    let card = device.card(&r.receipt_id).await;
    assert_eq!(card.requester, "도장은행 강남지점");
    assert_eq!(card.call_center_name.as_deref(), Some("강남센터"));
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert_eq!(st.client_name, "도장은행");
    assert_eq!(st.sub_client_code.as_deref(), Some("gangnam"));
    assert_eq!(st.sub_client_name.as_deref(), Some("도장은행 강남지점"));
    assert_eq!(st.call_center_name.as_deref(), Some("강남센터"));
    assert_eq!(st.call_center_num.as_deref(), Some("02-123-4567"));
    assert_eq!(st.payload.as_deref(), Some("memo-1"));
    assert_eq!(st.extra_message.as_deref(), Some("확인해 주세요"));
    assert!(st.allow_simple_regist_yn && !st.verify_name_yn && !st.app_use_yn);
    assert_eq!(st.reg_dt, st.request_dt);
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v = client.verify_auth(&r.receipt_id).await.unwrap();
    // verifyNameYN=false: the holder's real name is reported.
    assert_eq!(v.receiver_name, NAME);
    assert_eq!(v.ci.len(), 88);
    assert_eq!(v.di.len(), 64);

    // The same person at another relying party: the same CI, another DI.
    let other = s.add_party("다른 기관").await;
    let oc = s.client(&other);
    let r2 = oc
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "n2", "확인", 300))
        .await
        .unwrap();
    device
        .approve(&r2.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v2 = oc.verify_auth(&r2.receipt_id).await.unwrap();
    assert_eq!(v2.ci, v.ci);
    assert_ne!(v2.di, v.di);
    let st2 = oc.get_verify_auth_state(&r2.receipt_id).await.unwrap();
    // Not sent: null, although the card shows "<name> 고객센터".
    assert_eq!(st2.call_center_name, None);

    // An alias another party registered does not exist for this one.
    let mut foreign = IdentityRequest::new(NAME, PHONE, BIRTH, "n3", "확인", 300);
    foreign.sub_client_id = Some("gangnam".into());
    let e = oc.request_verify_auth(&foreign).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::SubClientNotFound.code());
}

#[tokio::test]
async fn long_poll_answers_when_the_state_changes() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "n", "x", 300))
        .await
        .unwrap();
    // Nothing changes: the poll returns the waiting state after its wait.
    let t = std::time::Instant::now();
    let st = client
        .wait_status(Kind::Identity, &r.receipt_id, 1)
        .await
        .unwrap();
    assert_eq!(st.state, 0);
    assert!(t.elapsed() >= Duration::from_millis(900));
    // The device approves while the poll waits: it returns early with state 1.
    let took = answer_during_long_poll(&s, &party, &r.receipt_id, || async {
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap();
    })
    .await
    .unwrap();
    assert!(took < Duration::from_secs(10), "returned early: {took:?}");
    // wait above 30 or not a number: refused.
    for bad in ["31", "x", "-1"] {
        let raw = client
            .send_raw(
                "GET",
                &format!(
                    "{}?wait={bad}",
                    dojang_proto::paths::status_path(Kind::Identity, &r.receipt_id)
                ),
                b"",
            )
            .await
            .unwrap();
        assert_eq!(raw.status, 400);
        let e = dojang_client::decode::<serde_json::Value>(raw).unwrap_err();
        assert_eq!(code_of(e), ErrorCode::WaitInvalid.code());
    }
}

/// Runs a long poll (`wait=30`) on `receipt_id` and calls `answer` while the server holds it.
/// `Ok(time from the poll to its answer)` only if the poll was seen waiting before the answer —
/// the server subscribed it to changes (its own signal: the change channel's receiver count),
/// and it was still unanswered 300 ms later and when `answer` was called — and then answered
/// with state 1; `Err(why not)` otherwise.
async fn answer_during_long_poll<F, Fut>(
    s: &TestServer,
    party: &TestParty,
    receipt_id: &str,
    answer: F,
) -> Result<Duration, String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let changes = &s.state().changes;
    let idle = changes.receiver_count();
    let waiter = {
        let client = s.client(party);
        let id = receipt_id.to_owned();
        tokio::spawn(async move {
            let t = std::time::Instant::now();
            let st = client.wait_status(Kind::Identity, &id, 30).await.unwrap();
            (st.state, t.elapsed())
        })
    };
    let seen = tokio::time::Instant::now() + Duration::from_secs(10);
    while changes.receiver_count() <= idle && !waiter.is_finished() {
        if tokio::time::Instant::now() > seen {
            return Err("the poll never reached the server".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Held, not answered: a poll that returns at once has returned by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    if waiter.is_finished() {
        let (state, took) = waiter.await.unwrap();
        return Err(format!(
            "the poll did not wait: answered state {state} after {took:?}, before the answer"
        ));
    }
    answer().await;
    let (state, took) = waiter.await.unwrap();
    if state != 1 {
        return Err(format!(
            "the poll answered state {state}, not the answer's 1"
        ));
    }
    Ok(took)
}

#[tokio::test]
async fn the_long_poll_check_fails_when_the_approval_comes_before_the_poll() {
    let (s, party, device) = setup().await;
    let r = s
        .client(&party)
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "n", "x", 300))
        .await
        .unwrap();
    // Approved first: the poll has nothing to wait for and must not count as a long poll.
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let got = answer_during_long_poll(&s, &party, &r.receipt_id, || async {}).await;
    assert!(
        got.as_ref().is_err_and(|e| e.contains("did not wait")),
        "{got:?}"
    );
}

#[tokio::test]
async fn cancel_decline_and_expiry_end_in_their_states() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let mut ws = connect_push(&s, &device).await;
    let new = |t: &str| IdentityRequest::new(NAME, PHONE, BIRTH, t, "x", 60);

    // Cancel: state 3, the reason recorded, the card withdrawn.
    let r = client.request_verify_auth(&new("c")).await.unwrap();
    let c = client
        .cancel(Kind::Identity, &r.receipt_id, Some("고객 요청"))
        .await
        .unwrap();
    assert_eq!(c.state, 3);
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert_eq!(
        (st.state, st.state_reason.as_deref()),
        (3, Some("cancelled: 고객 요청"))
    );
    assert!(st.complete_dt.is_some());
    assert!(device.api.pending().await.unwrap().requests.is_empty());
    let mut saw_withdrawn = false;
    while let Some(m) = next_push(&mut ws, Duration::from_secs(2)).await {
        if let dojang_proto::device::PushMessage::Withdrawn { receipt_id, state } = m {
            assert_eq!((receipt_id.as_str(), state), (r.receipt_id.as_str(), 3));
            saw_withdrawn = true;
            break;
        }
    }
    assert!(saw_withdrawn, "the card is withdrawn");
    let e = client
        .cancel(Kind::Identity, &r.receipt_id, None)
        .await
        .unwrap_err();
    assert_eq!(code_of(e), ErrorCode::NotCancellable.code());
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::RequestCancelled.code());
    let e = device
        .api
        .approve(
            &r.receipt_id,
            &dojang_proto::device::Approve {
                signed_data: Some("MA==".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RequestNotWaiting.code()));

    // Decline by the person.
    let r = client.request_verify_auth(&new("d")).await.unwrap();
    device
        .api
        .decline(&r.receipt_id, Some("모르는 요청".into()))
        .await
        .unwrap();
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert_eq!(
        (st.state, st.state_reason.as_deref()),
        (3, Some("declined: 모르는 요청"))
    );

    // Expiry: driven by the clock; cancel after it says expired.
    let r = client.request_verify_auth(&new("e")).await.unwrap();
    s.clock().advance(Duration::from_secs(61));
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert_eq!(st.state, 2);
    let e = client
        .cancel(Kind::Identity, &r.receipt_id, None)
        .await
        .unwrap_err();
    assert_eq!(code_of(e), ErrorCode::RequestExpired.code());
}

#[tokio::test]
async fn a_wrong_binding_code_declines_the_request() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "n", "x", 300))
        .await
        .unwrap();
    let card = device.card(&r.receipt_id).await;
    let right = r.binding_code.clone().unwrap();
    let wrong = card
        .binding_choices
        .iter()
        .find(|c| **c != right)
        .unwrap()
        .clone();
    let e = device
        .approve_card(&card, None, s.clock().now())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::BindingCodeMissing.code()));
    let e = device
        .approve_card(&card, Some(wrong), s.clock().now())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::BindingCodeMismatch.code()));
    let st = client.get_verify_auth_state(&r.receipt_id).await.unwrap();
    assert_eq!(
        (st.state, st.state_reason.as_deref()),
        (3, Some("binding code mismatch"))
    );
}

#[tokio::test]
async fn the_binding_code_is_hidden_from_devices_unless_developing() {
    let s = TestServer::start_with(|c| c.policy.dev_reveal_binding_code = false).await;
    let party = s.add_party("기관").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let r = s
        .client(&party)
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "n", "x", 300))
        .await
        .unwrap();
    let card = device.card(&r.receipt_id).await;
    assert!(card.binding_code.is_none());
    assert_eq!(card.binding_choices.len(), 3);
    assert!(
        card.binding_choices
            .contains(r.binding_code.as_ref().unwrap())
    );
}

#[tokio::test]
async fn one_waiting_request_per_party_and_a_per_person_limit() {
    let s = TestServer::start_with(|c| c.policy.person_requests_per_minute = 3).await;
    let a = s.add_party("기관 A").await;
    let b = s.add_party("기관 B").await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let (ca, cb) = (s.client(&a), s.client(&b));
    let new = || IdentityRequest::new(NAME, PHONE, BIRTH, "n", "x", 300);
    let first = ca.request_verify_auth(&new()).await.unwrap();
    // The same signed bytes again would be a replay (-10300030): a real client signs anew.
    s.clock().advance(Duration::from_secs(1));
    let e = ca.request_verify_auth(&new()).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::RequestInProgress.code());
    // Another party may ask meanwhile; after a cancel, A may ask again.
    cb.request_verify_auth(&new()).await.unwrap();
    ca.cancel(Kind::Identity, &first.receipt_id, None)
        .await
        .unwrap();
    s.clock().advance(Duration::from_secs(1));
    let second = ca.request_verify_auth(&new()).await.unwrap();
    ca.cancel(Kind::Identity, &second.receipt_id, None)
        .await
        .unwrap();
    // That was the third request this minute: the fourth gets 429 with Retry-After.
    let body = serde_json::to_vec(&new()).unwrap();
    s.clock().advance(Duration::from_secs(1));
    let raw = ca
        .send_raw("POST", dojang_proto::paths::IDENTITY, &body)
        .await
        .unwrap();
    assert_eq!(raw.status, 429);
    let e = dojang_client::decode::<serde_json::Value>(raw).unwrap_err();
    assert_eq!(code_of(e), ErrorCode::PersonRateLimited.code());
    let res = reqwest::Client::new()
        .post(format!("{}{}", s.url(), dojang_proto::paths::IDENTITY))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "unauthenticated calls never reach the limiter"
    );
    // A minute later it is accepted again.
    s.clock().advance(Duration::from_secs(61));
    ca.request_verify_auth(&new()).await.unwrap();
}

#[tokio::test]
async fn retry_after_names_the_seconds_left() {
    let s = TestServer::start_with(|c| c.policy.person_requests_per_minute = 1).await;
    let a = s.add_party("기관 A").await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let ca = s.client(&a);
    let new = || IdentityRequest::new(NAME, PHONE, BIRTH, "n", "x", 300);
    let r = ca.request_verify_auth(&new()).await.unwrap();
    ca.cancel(Kind::Identity, &r.receipt_id, None)
        .await
        .unwrap();
    s.clock().advance(Duration::from_secs(20));
    let body = serde_json::to_vec(&new()).unwrap();
    let res = signed_raw(&s, &a, "POST", dojang_proto::paths::IDENTITY, &body, None).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((39..=41).contains(&retry), "{retry}");
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_receipt() {
    let (s, party, device) = setup().await;
    let client = s.client(&party);
    let req = IdentityRequest::new(NAME, PHONE, BIRTH, "n", "x", 300);
    let first = client
        .request_idempotent(Kind::Identity, &req, "order-1")
        .await
        .unwrap();
    let again = client
        .request_idempotent(Kind::Identity, &req, "order-1")
        .await
        .unwrap();
    assert_eq!(again, first, "same receipt and binding code");
    assert_eq!(device.api.pending().await.unwrap().requests.len(), 1);
    // Same key and body on another kind's path: another request, so the key is taken.
    let e = client
        .request_idempotent(Kind::Login, &req, "order-1")
        .await
        .unwrap_err();
    assert_eq!(code_of(e), ErrorCode::IdempotencyKeyReused.code());
    // Same key, another body.
    let other = IdentityRequest::new(NAME, PHONE, BIRTH, "n-2", "x", 300);
    let e = client
        .request_idempotent(Kind::Identity, &other, "order-1")
        .await
        .unwrap_err();
    assert_eq!(code_of(e), ErrorCode::IdempotencyKeyReused.code());
    // Bad keys.
    for bad in ["", &"k".repeat(65), "has space"] {
        let e = client
            .request_idempotent(Kind::Identity, &req, bad)
            .await
            .unwrap_err();
        assert_eq!(
            code_of(e),
            ErrorCode::IdempotencyKeyInvalid.code(),
            "{bad:?}"
        );
    }
    // After 10 minutes the key is free again (the first request has expired by then).
    device
        .approve(&first.receipt_id, s.clock().now())
        .await
        .unwrap();
    s.clock().advance(Duration::from_secs(601));
    let later = client
        .request_idempotent(Kind::Identity, &req, "order-1")
        .await
        .unwrap();
    assert_ne!(later.receipt_id, first.receipt_id);
}

#[tokio::test]
async fn fields_of_other_kinds_and_bad_values_are_refused_with_their_codes() {
    let (s, party, _device) = setup().await;
    let client = s.client(&party);
    let cases: Vec<(Kind, serde_json::Value, ErrorCode)> = vec![
        (
            Kind::Identity,
            serde_json::json!({"tokens": []}),
            ErrorCode::FieldNotForKind,
        ),
        (
            Kind::Sign,
            serde_json::json!({"bankName": "b"}),
            ErrorCode::FieldNotForKind,
        ),
        (
            Kind::Sign,
            serde_json::json!({"tokenType": "DOC", "signTitle": "t", "token": "x"}),
            ErrorCode::TokenTypeInvalid,
        ),
        (
            Kind::Sign,
            serde_json::json!({"tokenType": "HASH", "signTitle": "t", "token": "abc"}),
            ErrorCode::TokenHashInvalid,
        ),
        (
            Kind::MultiSign,
            serde_json::json!({"reqTitle": "t", "tokens": []}),
            ErrorCode::TokensMissing,
        ),
        (
            Kind::MultiSign,
            serde_json::json!({"reqTitle": "t", "tokenType": "TEXT",
            "tokens": (0..51).map(|i| serde_json::json!({"signTitle": "d", "token": i.to_string()})).collect::<Vec<_>>()}),
            ErrorCode::TokensTooMany,
        ),
        (
            Kind::DebitConsent,
            serde_json::json!({"reqTitle": "t"}),
            ErrorCode::RequestCorpMissing,
        ),
        (
            Kind::Identity,
            serde_json::json!({"token": "t", "reqTitle": "t", "callCenterName": "가".repeat(11)}),
            ErrorCode::CallCenterNameTooLong,
        ),
        (
            Kind::Identity,
            serde_json::json!({"token": "t", "reqTitle": "t", "payload": "p".repeat(201)}),
            ErrorCode::PayloadTooLong,
        ),
        (
            Kind::Identity,
            serde_json::json!({"token": "t", "reqTitle": "t", "subClientID": "no spaces!"}),
            ErrorCode::SubClientIdInvalid,
        ),
        (
            Kind::Identity,
            serde_json::json!({"token": "t", "reqTitle": "t", "subClientID": "unknown"}),
            ErrorCode::SubClientNotFound,
        ),
        (
            Kind::Login,
            serde_json::json!({"token": "t", "appUseYN": true, "returnURL": "javascript://x"}),
            ErrorCode::ReturnUrlInvalid,
        ),
        (
            Kind::Identity,
            serde_json::json!({"token": "t", "reqTitle": "t", "verifyNameYN": "yes"}),
            ErrorCode::FieldType,
        ),
    ];
    for (kind, mut body, want) in cases {
        let base = serde_json::json!({"receiverName": NAME, "receiverHP": PHONE,
            "receiverBirthday": BIRTH, "expireIn": 300});
        for (k, v) in base.as_object().unwrap() {
            body.as_object_mut()
                .unwrap()
                .entry(k.clone())
                .or_insert(v.clone());
        }
        let raw = client
            .send_raw(
                "POST",
                &dojang_proto::paths::create_path(kind),
                body.to_string().as_bytes(),
            )
            .await
            .unwrap();
        let e = dojang_client::decode::<serde_json::Value>(raw).unwrap_err();
        assert_eq!(code_of(e), want.code(), "{kind} {body}");
    }
    // Nothing half-written: no request exists for the person.
    let member = s
        .state()
        .store
        .member_by_phone_birthday(
            &dojang_core::Phone::parse(PHONE).unwrap(),
            &dojang_core::Birthday::parse(BIRTH, s.clock().now()).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        s.state()
            .store
            .waiting_requests(member.id, s.clock().now())
            .await
            .unwrap()
            .is_empty()
    );
}
