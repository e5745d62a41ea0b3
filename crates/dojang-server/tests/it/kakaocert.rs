//! kakaocert 2.x (API 2.0) on dojang: PascalCase bodies, `x-kc-auth`, GET verify, raw requests
//! signed as LinkHub's SDKs sign them.

use base64::Engine as _;
use dojang_client::ErrorCode;
use dojang_client::linkhub::LinkHubAuth;
use dojang_core::Clock;
use dojang_proto::linkhub;
use dojang_testkit::{TestParty, TestServer};
use serde_json::{Value, json};

use crate::common::*;

struct Kc<'a> {
    s: &'a TestServer,
    party: &'a TestParty,
    token: String,
}

impl<'a> Kc<'a> {
    async fn new(s: &'a TestServer, party: &'a TestParty) -> Self {
        let token = LinkHubAuth::new(&s.url(), &party.link_id, &party.secret)
            .unwrap()
            .kakaocert_token(&party.client_code)
            .await
            .unwrap()
            .session_token;
        Self { s, party, token }
    }

    async fn post_as(
        &self,
        path: &str,
        body: &Value,
        link_id: &str,
        key_b64: &str,
    ) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).unwrap();
        let key = base64::engine::general_purpose::STANDARD
            .decode(key_b64)
            .unwrap();
        let date = linkhub::format_expiration(self.s.clock().now());
        let sig = linkhub::sign(&key, &linkhub::kakaocert_string_to_sign(&bytes, &date));
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.s.url()))
            .header("authorization", format!("Bearer {}", self.token))
            .header("x-lh-date", date)
            .header("x-lh-version", "2.0")
            .header("x-kc-auth", format!("{link_id} {sig}"))
            .header("content-type", "application/json; charset=utf8")
            .body(bytes)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_as(path, body, &self.party.link_id, &self.party.secret)
            .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", self.s.url()))
            .header("authorization", format!("Bearer {}", self.token))
            .header("x-pb-version", "2.0")
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }
}

fn esign() -> Value {
    json!({
        "CallCenterNum": "1600-8536", "Expires_in": 60, "ReceiverBirthDay": BIRTH,
        "ReceiverHP": PHONE, "ReceiverName": NAME, "SubClientID": "", "TMSTitle": "TMSTitle 0423",
        "TMSMessage": "TMSMessage0423", "isAllowSimpleRegistYN": false, "isVerifyNameYN": true,
        "Token": "Token Value 2345", "PayLoad": "Payload123", "isAppUseYN": false
    })
}

#[tokio::test]
async fn esign_request_status_and_get_verify() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kc::new(&s, &party).await;

    let (status, r) = kc.post("/SignToken/Request", &esign()).await;
    assert_eq!(status, 200, "{r}");
    let id = r["receiptId"].as_str().unwrap().to_owned();
    let card = device.card(&id).await;
    assert_eq!(card.req_title, "TMSTitle 0423");
    assert_eq!(card.token, "Token Value 2345");
    device.approve(&id, s.clock().now()).await.unwrap();
    let (_, st) = kc.get(&format!("/SignToken/Status/{id}")).await;
    assert_eq!(st["receiptID"], id.as_str());
    assert_eq!(st["state"], 1);
    assert_eq!(st["tmstitle"], "TMSTitle 0423");
    assert_eq!(st["tmsmessage"], "TMSMessage0423");
    assert_eq!(st["payload"], "Payload123");
    assert_eq!(st["expires_in"], 60);
    assert!(
        st.get("tx_id").is_some(),
        "snake case as the SDKs read it: {st}"
    );
    assert_eq!(st["verifyNameYN"], true);
    assert_eq!(st["clientCode"], party.client_code.as_str());
    // The app-to-app form's signature segment is accepted; verify happens once.
    let (status, v) = kc.get(&format!("/SignToken/Verify/{id}/1234")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["receiptId"], id.as_str());
    assert_eq!(
        openssl_verify(&s, v["signedData"].as_str().unwrap()),
        "Token Value 2345"
    );
    let (_, again) = kc.get(&format!("/SignToken/Verify/{id}")).await;
    assert_eq!(again["code"], ErrorCode::AlreadyVerified.code());
    // Another kind's path does not see it.
    let (_, other) = kc.get(&format!("/SignIdentity/Status/{id}")).await;
    assert_eq!(other["code"], ErrorCode::ReceiptNotFound.code());
    s.stop().await;
}

#[tokio::test]
async fn cms_names_the_bank_and_signatures_must_be_right() {
    let s = TestServer::start().await;
    let party = s.add_party("도장보험").await;
    let other = s.add_party("다른기관").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kc::new(&s, &party).await;
    let mut cms = esign();
    let o = cms.as_object_mut().unwrap();
    o.remove("Token");
    o.insert("BankCode".into(), json!("088"));
    o.insert("BankAccountNum".into(), json!("110-123-456789"));
    o.insert("BankAccountName".into(), json!(NAME));
    let (status, r) = kc.post("/SignDirectDebit/Request", &cms).await;
    assert_eq!(status, 200, "{r}");
    let id = r["receiptId"].as_str().unwrap();
    let card = device.card(id).await;
    assert!(card.token.contains("신한은행"), "{}", card.token);
    assert!(card.token.contains("도장보험"), "{}", card.token);

    // Another party's key, another LinkID, a changed body: all refused before anything happens.
    let (status, e) = kc
        .post_as(
            "/SignToken/Request",
            &esign(),
            &party.link_id,
            &other.secret,
        )
        .await;
    assert_eq!(
        (status, e["code"].as_i64()),
        (401, Some(ErrorCode::SignatureMismatch.code()))
    );
    let (_, e) = kc
        .post_as(
            "/SignToken/Request",
            &esign(),
            &other.link_id,
            &party.secret,
        )
        .await;
    assert_eq!(e["code"], ErrorCode::SignatureMismatch.code());
    // Messages are Korean, as LinkHub answers.
    assert_eq!(e["message"], ErrorCode::SignatureMismatch.message_ko());
    // A barocert token is not a kakaocert token.
    let bc = LinkHubAuth::new(&s.url(), &party.link_id, &party.secret)
        .unwrap()
        .barocert_token()
        .await
        .unwrap()
        .session_token;
    let res = reqwest::Client::new()
        .get(format!("{}/SignIdentity/Status/{id}", s.url()))
        .header("authorization", format!("Bearer {bc}"))
        .send()
        .await
        .unwrap();
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["code"], ErrorCode::LinkHubTokenInvalid.code());
    s.stop().await;
}

#[tokio::test]
async fn the_rust_kakaocert_client() {
    use dojang_client::kakaocert::{Kakaocert, KcRequest};
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret).unwrap();
    let cc = &party.client_code;
    let body = KcRequest {
        receiver_name: Some(NAME.into()),
        receiver_hp: Some(PHONE.into()),
        receiver_birthday: Some(BIRTH.into()),
        tms_title: Some("본인인증".into()),
        token: Some("kc-token".into()),
        expires_in: Some(300),
        ..KcRequest::default()
    };
    let r = kc.request_verify_auth(cc, &body).await.unwrap();
    assert_eq!(
        kc.get_verify_auth_state(cc, &r.receipt_id)
            .await
            .unwrap()
            .state,
        0
    );
    let e = kc.verify_auth(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::NotSignedYet));
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let v = kc.verify_auth(cc, &r.receipt_id).await.unwrap();
    assert_eq!(openssl_verify(&s, &v.signed_data), "kc-token");
    // A token is for one client code: another party's code is refused at the token service.
    let other = s.add_party("다른기관").await;
    let e = kc
        .get_esign_state(&other.client_code, &r.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::LinkHubTokenRefused));
    s.stop().await;
}

/// kakaocert 1.x (API 1.0): requests signed with HMAC-SHA1 over the body's MD5, and one GET per
/// service that answers the status and delivers the signature once.
#[tokio::test]
async fn api_1_0_results_deliver_the_signature_once() {
    use dojang_client::kakaocert::{Kakaocert, KcApi, KcRequest};
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret)
        .unwrap()
        .with_api(KcApi::V1);
    let cc = &party.client_code;
    let person = |title: &str, token: Option<&str>| KcRequest {
        receiver_name: Some(NAME.into()),
        receiver_hp: Some(PHONE.into()),
        receiver_birthday: Some(BIRTH.into()),
        tms_title: Some(title.into()),
        token: token.map(Into::into),
        expires_in: Some(300),
        payload: Some("memo".into()),
        ..KcRequest::default()
    };

    // E-sign: waiting, then the one answer with the signature, then AlreadyVerified.
    let r = kc
        .request_esign(cc, &person("약정서", Some("약정에 동의합니다")))
        .await
        .unwrap();
    let waiting = kc.get_esign_result(cc, &r.receipt_id).await.unwrap();
    assert_eq!(waiting.status.state, 0);
    assert_eq!(waiting.status.tmstitle, "약정서");
    assert_eq!(waiting.status.payload.as_deref(), Some("memo"));
    assert!(waiting.signed_data.is_none() && waiting.receiver_name.is_none());
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let done = kc.get_esign_result(cc, &r.receipt_id).await.unwrap();
    assert_eq!(done.status.state, 1);
    assert!(
        done.status.verify_dt.is_some(),
        "this answer was the verify"
    );
    assert_eq!(
        openssl_verify(&s, done.signed_data.as_deref().unwrap()),
        "약정에 동의합니다"
    );
    assert_eq!(done.token.as_deref(), Some("약정에 동의합니다"));
    assert_eq!(
        (
            done.receiver_name.as_deref(),
            done.receiver_hp.as_deref(),
            done.receiver_birthday.as_deref()
        ),
        (Some(NAME), Some(PHONE), Some(BIRTH))
    );
    assert_eq!(done.ci.as_deref().map(str::len), Some(88));
    assert!(done.return_token.is_none(), "returnToken is identity's");
    let again = kc.get_esign_result(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(again.error_code(), Some(ErrorCode::AlreadyVerified));
    // The 2.0 verify of the same request agrees: verified already.
    let v2 = Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret).unwrap();
    let e = v2.verify_esign(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::AlreadyVerified));

    // Identity: ResultVerifyAuth carries the signature as returnToken too.
    let r = kc
        .request_verify_auth(cc, &person("본인인증", Some("nonce-v1")))
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let done = kc.get_verify_auth_result(cc, &r.receipt_id).await.unwrap();
    assert_eq!(done.return_token, done.signed_data);
    assert_eq!(
        openssl_verify(&s, done.return_token.as_deref().unwrap()),
        "nonce-v1"
    );

    // Debit consent.
    let mut cms = person("출금동의", None);
    cms.bank_code = Some("004".into());
    cms.bank_account_num = Some("123-456-7890".into());
    cms.bank_account_name = Some(NAME.into());
    let r = kc.request_cms(cc, &cms).await.unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let done = kc.get_cms_result(cc, &r.receipt_id).await.unwrap();
    assert!(openssl_verify(&s, done.signed_data.as_deref().unwrap()).contains("KB국민은행"));

    // Expired: state 2 and no error; found signed after the verify window: VerifyWindowPassed.
    // (Both made before the server's clock moves: this client signs with the real clock.)
    let _other = s.enrol("김철수", "01098765432", "19851212").await;
    let mut someone_else = person("만료", Some("t"));
    someone_else.receiver_name = Some("김철수".into());
    someone_else.receiver_hp = Some("01098765432".into());
    someone_else.receiver_birthday = Some("19851212".into());
    let unanswered = kc.request_esign(cc, &someone_else).await.unwrap();
    let late = kc
        .request_esign(cc, &person("늦은 조회", Some("t")))
        .await
        .unwrap();
    device
        .approve(&late.receipt_id, s.clock().now())
        .await
        .unwrap();
    s.clock().advance(std::time::Duration::from_secs(601));
    let expired = kc
        .get_esign_result(cc, &unanswered.receipt_id)
        .await
        .unwrap();
    assert_eq!(expired.status.state, 2);
    assert!(expired.signed_data.is_none());
    let e = kc.get_esign_result(cc, &late.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::VerifyWindowPassed));
    // Unknown receipt.
    let e = kc.get_esign_result(cc, &"1".repeat(32)).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiptNotFound));
    s.stop().await;
}

/// API 1.0's signature is checked as strictly as 2.0's: each version only with its own
/// recipe, wrong key and changed body refused.
#[tokio::test]
async fn api_1_0_signatures_must_be_right() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kc::new(&s, &party).await;
    let key = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let bytes = serde_json::to_vec(&esign()).unwrap();
    let date = linkhub::format_expiration(s.clock().now());
    let v1 = linkhub::sign_v1(&key, &linkhub::kakaocert_v1_string_to_sign(&bytes, &date));
    let v2 = linkhub::sign(&key, &linkhub::kakaocert_string_to_sign(&bytes, &date));
    let mut other_key = key.clone();
    other_key[0] ^= 1;
    let wrong = linkhub::sign_v1(
        &other_key,
        &linkhub::kakaocert_v1_string_to_sign(&bytes, &date),
    );
    let post = |version: &'static str, signature: String, body: Vec<u8>| {
        let (url, token, link_id, date) = (
            format!("{}/SignToken/Request", s.url()),
            kc.token.clone(),
            party.link_id.clone(),
            date.clone(),
        );
        async move {
            let res = reqwest::Client::new()
                .post(url)
                .header("authorization", format!("Bearer {token}"))
                .header("x-lh-date", date)
                .header("x-lh-version", version)
                .header("x-kc-auth", format!("{link_id} {signature}"))
                .header("content-type", "application/json; charset=utf8")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body["code"].as_i64())
        }
    };
    let mismatch = Some(ErrorCode::SignatureMismatch.code());
    assert_eq!(post("1.0", v1.clone(), bytes.clone()).await, (200, None));
    assert_eq!(post("1.0", v2.clone(), bytes.clone()).await.1, mismatch);
    assert_eq!(post("2.0", v1.clone(), bytes.clone()).await.1, mismatch);
    assert_eq!(post("1.0", wrong, bytes.clone()).await.1, mismatch);
    let mut changed = bytes.clone();
    changed[5] ^= 1;
    assert_eq!(post("1.0", v1, changed).await.1, mismatch);
    // The right 2.0 signature passes authentication and meets the next guard: the request
    // accepted above is still waiting for this person.
    let in_progress = Some(ErrorCode::RequestInProgress.code());
    assert_eq!(post("2.0", v2, bytes).await, (409, in_progress));
    s.stop().await;
}
