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
