//! barocert 2.1, KAKAO: LinkHub's wire protocol against the real server, through
//! `dojang_client::barocert` (the Rust client of the same protocol) and raw requests for what
//! a client would never send. The requests become ordinary dojang requests, answered by an
//! enrolled device.

use dojang_client::barocert::BarocertKakao;
use dojang_client::{CreateRequest, DebitAccount, ErrorCode, TokenItem, TokenType};
use dojang_core::Clock;
use dojang_proto::barocert::{KakaoService, error_code};
use dojang_proto::linkhub;
use dojang_testkit::{TestParty, TestServer};

use crate::common::*;

fn client(s: &TestServer, party: &TestParty) -> BarocertKakao {
    BarocertKakao::new(&s.url(), &s.url(), &party.link_id, &party.secret).unwrap()
}

/// The standard person, encrypted as the SDK examples do.
fn identity(bc: &BarocertKakao, token: &str) -> CreateRequest {
    let mut r = CreateRequest::new(
        bc.encrypt(NAME).unwrap(),
        bc.encrypt(PHONE).unwrap(),
        bc.encrypt(BIRTH).unwrap(),
        bc.encrypt(token).unwrap(),
        "본인인증 요청",
        300,
    );
    r.extra_message = Some(bc.encrypt("추가 메시지").unwrap());
    r
}

fn code_of(e: &dojang_client::Error) -> i64 {
    e.code()
}

#[tokio::test]
async fn identity_request_status_and_verify_once() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let bc = client(&s, &party);
    let cc = &party.client_code;

    let receipt = bc
        .request_identity(cc, &identity(&bc, "nonce-1"))
        .await
        .unwrap();
    assert_eq!(receipt.receipt_id.len(), 32);
    assert!(receipt.receipt_id.bytes().all(|b| b.is_ascii_digit()));
    let st = bc
        .get_identity_status(cc, &receipt.receipt_id)
        .await
        .unwrap();
    assert_eq!(st.state, 0);
    assert_eq!(st.client_code, *cc);
    assert_eq!(st.req_title, "본인인증 요청");
    assert_eq!(st.request_dt.len(), 14);
    // Too early.
    let e = bc
        .verify_identity(cc, &receipt.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), error_code(401, ErrorCode::NotSignedYet));
    assert_eq!(code_of(&e), -40130002);

    // The card shows the decrypted message; the person approves.
    let card = device.card(&receipt.receipt_id).await;
    assert_eq!(card.extra_message.as_deref(), Some("추가 메시지"));
    assert_eq!(card.token, "nonce-1");
    device
        .approve(&receipt.receipt_id, s.clock().now())
        .await
        .unwrap();
    assert_eq!(
        bc.get_identity_status(cc, &receipt.receipt_id)
            .await
            .unwrap()
            .state,
        1
    );
    let v = bc.verify_identity(cc, &receipt.receipt_id).await.unwrap();
    assert_eq!(v.state, 1);
    assert_eq!(v.receipt_id.as_deref(), Some(receipt.receipt_id.as_str()));
    assert_eq!(v.receiver_name, NAME);
    assert_eq!(v.receiver_hp, PHONE);
    assert_eq!(
        (v.receiver_year.as_str(), v.receiver_day.as_str()),
        ("1990", "0101")
    );
    assert_eq!(v.ci.len(), 88);
    assert_eq!(
        openssl_verify(&s, v.signed_data.as_deref().unwrap()),
        "nonce-1"
    );
    // Once only; the native API sees the same request, verified.
    let e = bc
        .verify_identity(cc, &receipt.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), -40130003);
    let native = s
        .client(&party)
        .get_verify_auth_state(&receipt.receipt_id)
        .await
        .unwrap();
    assert!(native.verify_dt.is_some());
    // Unknown receipt.
    let e = bc.verify_identity(cc, &"1".repeat(32)).await.unwrap_err();
    assert_eq!(code_of(&e), -40130001);
    s.stop().await;
}

/// Older SDKs (Java 1.6/1.7, Node 0.x) encrypt in CBC mode and say so in a header.
#[tokio::test]
async fn cbc_encrypted_fields_work_like_gcm_ones() {
    use dojang_client::barocert::FieldMode;
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let bc = client(&s, &party).with_encryption_mode(FieldMode::Cbc);
    let cc = &party.client_code;
    let receipt = bc
        .request_identity(cc, &identity(&bc, "nonce-cbc"))
        .await
        .unwrap();
    let card = device.card(&receipt.receipt_id).await;
    assert_eq!(
        (card.token.as_str(), card.extra_message.as_deref()),
        ("nonce-cbc", Some("추가 메시지"))
    );
    device
        .approve(&receipt.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v = bc.verify_identity(cc, &receipt.receipt_id).await.unwrap();
    assert_eq!(
        (v.receiver_name.as_str(), v.receiver_hp.as_str()),
        (NAME, PHONE)
    );
    assert_eq!(
        openssl_verify(&s, v.signed_data.as_deref().unwrap()),
        "nonce-cbc"
    );
    // CBC under another party's key does not decrypt to anything usable.
    let other = s.add_party("다른은행").await;
    let foreign = client(&s, &other).with_encryption_mode(FieldMode::Cbc);
    let mut wrong = identity(&bc, "n");
    wrong.receiver_hp = Some(foreign.encrypt(PHONE).unwrap());
    let e = bc.request_identity(cc, &wrong).await.unwrap_err();
    assert_eq!(
        code_of(&e),
        error_code(401, ErrorCode::EncryptedFieldInvalid)
    );
    s.stop().await;
}

#[tokio::test]
async fn sign_multi_sign_and_cms_with_both_verify_paths() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let bc = client(&s, &party);
    let cc = &party.client_code;
    let enc = |t: &str| bc.encrypt(t).unwrap();

    let mut sign = CreateRequest::sign(
        enc(NAME),
        enc(PHONE),
        enc(BIRTH),
        "약정서",
        TokenType::Text,
        enc("약정에 동의합니다"),
        300,
    );
    sign.extra_message = None;
    let r = bc.request_sign(cc, &sign).await.unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let st = bc
        .status(KakaoService::Sign, cc, &r.receipt_id)
        .await
        .unwrap();
    assert_eq!(st.sign_title.as_deref(), Some("약정서"));
    assert_eq!(st.token_type.as_deref(), Some("TEXT"));
    // Style B: POST on the status path (Java, .NET), with Java's body `""`.
    let token = linkhub_token(&s, &party).await;
    let path = format!("/KAKAO/Sign/{cc}/{}", r.receipt_id);
    let res = signed_post(&s, &party, &token, &path, b"\"\"").await;
    assert_eq!(res.status().as_u16(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        openssl_verify(&s, v["signedData"].as_str().unwrap()),
        "약정에 동의합니다"
    );

    let multi = CreateRequest::multi_sign(
        enc(NAME),
        enc(PHONE),
        enc(BIRTH),
        "계약",
        vec![
            TokenItem::new("약관", TokenType::Text, enc("약관 본문")),
            TokenItem::new("계약서", TokenType::Text, enc("계약서 본문")),
        ],
        300,
    );
    let r = bc.request_multi_sign(cc, &multi).await.unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v = bc
        .verify(KakaoService::MultiSign, cc, &r.receipt_id)
        .await
        .unwrap();
    let all = v.multi_signed_data.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(openssl_verify(&s, &all[1]), "계약서 본문");

    let cms = CreateRequest::debit_consent(
        enc(NAME),
        enc(PHONE),
        enc(BIRTH),
        "출금동의",
        DebitAccount {
            request_corp: enc("도장보험"),
            bank_name: enc("국민은행"),
            bank_account_num: enc("123-45-6789"),
            bank_account_name: enc(NAME),
            bank_account_birthday: enc(BIRTH),
            bank_service_type: enc("CMS"),
        },
        300,
    );
    let r = bc.request_cms(cc, &cms).await.unwrap();
    let card = device.card(&r.receipt_id).await;
    assert!(card.token.contains("국민은행"), "{}", card.token);
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v = bc
        .verify(KakaoService::Cms, cc, &r.receipt_id)
        .await
        .unwrap();
    assert!(openssl_verify(&s, v.signed_data.as_deref().unwrap()).contains("123-45-6789"));
    s.stop().await;
}

#[tokio::test]
async fn login_is_verified_by_its_transaction_id() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    // The app-to-app login starts on the person's phone (native API here).
    let mut login = CreateRequest::login(NAME, PHONE, BIRTH, "login-nonce", 300);
    login.app_use_yn = Some(true);
    login.return_url = Some("https://rp.example/back".into());
    let r = s
        .client(&party)
        .request(dojang_client::Kind::Login, &login)
        .await
        .unwrap();
    let card = device.card(&r.receipt_id).await;
    let answered = device
        .approve_card(&card, None, s.clock().now())
        .await
        .unwrap();
    let back = answered.return_url.unwrap();
    let tx = back.split("txID=").nth(1).unwrap().to_owned();
    let bc = client(&s, &party);
    let v = bc.verify_login(&party.client_code, &tx).await.unwrap();
    assert_eq!(v.tx_id.as_deref(), Some(tx.as_str()));
    assert!(v.receipt_id.is_none());
    assert_eq!(
        openssl_verify(&s, v.signed_data.as_deref().unwrap()),
        "login-nonce"
    );
    // Style B path too, and only once.
    let token = linkhub_token(&s, &party).await;
    let path = format!("/KAKAO/Login/{}/{tx}", party.client_code);
    let res = signed_post(&s, &party, &token, &path, b"").await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], error_code(405, ErrorCode::AlreadyVerified));
    s.stop().await;
}

async fn linkhub_token(s: &TestServer, party: &TestParty) -> String {
    dojang_client::linkhub::LinkHubAuth::new(&s.url(), &party.link_id, &party.secret)
        .unwrap()
        .barocert_token()
        .await
        .unwrap()
        .session_token
}

/// A barocert POST signed as the SDKs sign it (`hash_empty` as PHP's stream mode does), with
/// `key_b64`; the caller may add headers before sending.
fn signed_request(
    s: &TestServer,
    token: &str,
    path: &str,
    body: &[u8],
    hash_empty: bool,
    key_b64: &str,
) -> reqwest::RequestBuilder {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode(key_b64)
        .unwrap();
    let date = linkhub::format_time(s.clock().now());
    let text = linkhub::barocert_string_to_sign(body, &date, path, hash_empty);
    reqwest::Client::new()
        .post(format!("{}{path}", s.url()))
        .header("authorization", format!("Bearer {token}"))
        .header("x-bc-date", &date)
        .header("x-bc-version", "2.1")
        .header("x-bc-auth", linkhub::sign(&key, &text))
        .header("content-type", "Application/json")
        .body(body.to_vec())
}

async fn signed_post_with(
    s: &TestServer,
    token: &str,
    path: &str,
    body: &[u8],
    hash_empty: bool,
    key_b64: &str,
) -> reqwest::Response {
    signed_request(s, token, path, body, hash_empty, key_b64)
        .send()
        .await
        .unwrap()
}

async fn signed_post(
    s: &TestServer,
    party: &TestParty,
    token: &str,
    path: &str,
    body: &[u8],
) -> reqwest::Response {
    signed_post_with(s, token, path, body, false, &party.secret).await
}

#[tokio::test]
async fn what_must_be_refused() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let other = s.add_party("다른기관").await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let bc = client(&s, &party);
    let cc = party.client_code.clone();
    let token = linkhub_token(&s, &party).await;
    let path = format!("/KAKAO/Identity/{cc}");
    let body = serde_json::to_vec(&identity(&bc, "n")).unwrap();
    let code = |v: serde_json::Value| v["code"].as_i64().unwrap();

    // Signed with another party's key; the body changed after signing.
    let res = signed_post_with(&s, &token, &path, &body, false, &other.secret).await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(
        code(res.json().await.unwrap()),
        ErrorCode::SignatureMismatch.code()
    );
    // Another party's client code in the path.
    let res = signed_post(
        &s,
        &party,
        &token,
        &format!("/KAKAO/Identity/{}", other.client_code),
        &body,
    )
    .await;
    assert_eq!(
        code(res.json().await.unwrap()),
        error_code(401, ErrorCode::ClientCodeInvalid)
    );
    // No token, a kakaocert token.
    let res = reqwest::Client::new()
        .post(format!("{}{path}", s.url()))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(res.json().await.unwrap()),
        ErrorCode::LinkHubTokenMissing.code()
    );
    let kc = dojang_client::linkhub::LinkHubAuth::new(&s.url(), &party.link_id, &party.secret)
        .unwrap()
        .kakaocert_token(&cc)
        .await
        .unwrap()
        .session_token;
    let res = signed_post(&s, &party, &kc, &path, &body).await;
    assert_eq!(
        code(res.json().await.unwrap()),
        ErrorCode::LinkHubTokenInvalid.code()
    );
    // A personal field sent in the clear, or encrypted under another key.
    let mut plain = identity(&bc, "n");
    plain.receiver_hp = Some(PHONE.into());
    let e = bc.request_identity(&cc, &plain).await.unwrap_err();
    assert_eq!(
        code_of(&e),
        error_code(401, ErrorCode::EncryptedFieldInvalid)
    );
    let foreign = BarocertKakao::new(&s.url(), &s.url(), &other.link_id, &other.secret).unwrap();
    let mut wrong = identity(&bc, "n");
    wrong.receiver_name = Some(foreign.encrypt(NAME).unwrap());
    let e = bc.request_identity(&cc, &wrong).await.unwrap_err();
    assert_eq!(
        code_of(&e),
        error_code(401, ErrorCode::EncryptedFieldInvalid)
    );
    // A field over its limit: the native validation, in barocert's pattern.
    let mut long = identity(&bc, "n");
    long.req_title = Some("가".repeat(41));
    let e = bc.request_identity(&cc, &long).await.unwrap_err();
    assert_eq!(code_of(&e), error_code(401, ErrorCode::TitleTooLong));
    // A mode other than GCM and CBC; GCM fields under a CBC header; an unknown service; Login
    // has no request call.
    let res = signed_request(&s, &token, &path, &body, false, &party.secret)
        .header("x-bc-encryptionmode", "ECB")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(res.json().await.unwrap()),
        error_code(401, ErrorCode::EncryptionModeUnsupported)
    );
    let res = signed_request(&s, &token, &path, &body, false, &party.secret)
        .header("x-bc-encryptionmode", "CBC")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(res.json().await.unwrap()),
        error_code(401, ErrorCode::EncryptedFieldInvalid)
    );
    let res = signed_post(&s, &party, &token, &format!("/KAKAO/Nothing/{cc}"), &body).await;
    assert_eq!(res.status().as_u16(), 404);
    let res = signed_post(&s, &party, &token, &format!("/KAKAO/Login/{cc}"), &body).await;
    assert_eq!(res.status().as_u16(), 405);
    // The empty-body verify signed with the hash line (PHP stream mode) is accepted too.
    let r = bc
        .request_identity(&cc, &identity(&bc, "n2"))
        .await
        .unwrap();
    let vpath = format!("/KAKAO/Identity/Verify/{cc}/{}", r.receipt_id);
    let res = signed_post_with(&s, &token, &vpath, b"", true, &party.secret).await;
    assert_eq!(
        code(res.json().await.unwrap()),
        -40130002,
        "authenticated, not signed yet"
    );
    // Korean messages by default, as LinkHub answers.
    let res = signed_post_with(&s, &token, &vpath, b"", false, &party.secret).await;
    let b: serde_json::Value = res.json().await.unwrap();
    assert_eq!(b["message"], ErrorCode::NotSignedYet.message_ko());
    s.stop().await;
}

#[tokio::test]
async fn naver_and_pass_through_the_rust_client() {
    use dojang_client::barocert::Product;
    use serde_json::json;
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let bc = client(&s, &party);
    let cc = &party.client_code;
    let enc = |t: &str| bc.encrypt(t).unwrap();

    // NAVER identity sends neither title nor token: dojang makes a nonce for the person to sign.
    let body = json!({
        "receiverHP": enc(PHONE), "receiverName": enc(NAME), "receiverBirthday": enc(BIRTH),
        "callCenterNum": "1588-1600", "expireIn": 300
    });
    let r = bc
        .request_in(Product::Naver, "Identity", cc, &body)
        .await
        .unwrap();
    let card = device.card(&r.receipt_id).await;
    assert_eq!(card.req_title, "본인인증");
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let st = bc
        .status_in(Product::Naver, "Identity", cc, &r.receipt_id)
        .await
        .unwrap();
    assert_eq!(st.state, 1);
    let v = bc
        .verify_in(Product::Naver, "Identity", cc, &r.receipt_id, None)
        .await
        .unwrap();
    assert_eq!(
        openssl_verify(&s, v.signed_data.as_deref().unwrap()),
        card.token
    );
    assert_eq!(v.di.len(), 64);

    // PASS verify needs its encrypted body.
    let body = json!({
        "receiverHP": enc(PHONE), "receiverName": enc(NAME), "receiverBirthday": enc(BIRTH),
        "reqTitle": "본인확인", "reqMessage": enc("메시지"), "callCenterNum": "1600-0000",
        "expireIn": 300, "token": enc("pass-token"), "userAgreementYN": true
    });
    let r = bc
        .request_in(Product::Pass, "Identity", cc, &body)
        .await
        .unwrap();
    assert_eq!(
        device.card(&r.receipt_id).await.extra_message.as_deref(),
        Some("메시지")
    );
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let e = bc
        .verify_in(Product::Pass, "Identity", cc, &r.receipt_id, None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), error_code(441, ErrorCode::MalformedJson));
    // The body must name the request's person; a wrong one verifies nothing.
    let other_phone = json!({"receiverHP": enc("01099999999"), "receiverName": enc(NAME)});
    let e = bc
        .verify_in(
            Product::Pass,
            "Identity",
            cc,
            &r.receipt_id,
            Some(&other_phone),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), error_code(441, ErrorCode::ReceiverNotFound));
    let other_name = json!({"receiverHP": enc(PHONE), "receiverName": enc("김아무개")});
    let e = bc
        .verify_in(
            Product::Pass,
            "Identity",
            cc,
            &r.receipt_id,
            Some(&other_name),
        )
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&e),
        error_code(441, ErrorCode::ReceiverNameMismatch)
    );
    let proof = json!({"receiverHP": enc(PHONE), "receiverName": enc(NAME)});
    let v = bc
        .verify_in(Product::Pass, "Identity", cc, &r.receipt_id, Some(&proof))
        .await
        .unwrap();
    assert_eq!(
        openssl_verify(&s, v.signed_data.as_deref().unwrap()),
        "pass-token"
    );
    s.stop().await;
}
