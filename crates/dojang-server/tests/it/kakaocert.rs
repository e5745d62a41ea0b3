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
    // isAllowSimpleRegistYN = false and isVerifyNameYN = true: a bank-account certificate.
    let device = s.enrol_by_bank(NAME, PHONE, BIRTH).await;
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
    // Nothing sent: null, although the card showed "도장은행 고객센터".
    assert_eq!(st["callCenterName"], Value::Null);
    assert_eq!(card.call_center_name.as_deref(), Some("도장은행 고객센터"));
    assert_eq!(id.len(), 32, "API 2.0 keeps the long form");
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
    let device = s.enrol_by_bank(NAME, PHONE, BIRTH).await;
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

/// The fields every kakaocert request needs (the documents' "O"), for the Rust client.
fn kc_person(title: &str, token: Option<&str>) -> dojang_client::kakaocert::KcRequest {
    dojang_client::kakaocert::KcRequest {
        call_center_num: Some("1600-8536".into()),
        receiver_name: Some(NAME.into()),
        receiver_hp: Some(PHONE.into()),
        receiver_birthday: Some(BIRTH.into()),
        tms_title: Some(title.into()),
        token: token.map(Into::into),
        expires_in: Some(300),
        payload: Some("memo".into()),
        allow_simple_regist: Some(true),
        verify_name: Some(false),
        ..dojang_client::kakaocert::KcRequest::default()
    }
}

/// kakaocert 2.x's VerifyAuth follows its own documents too: `signedData` is the Token sent.
#[tokio::test]
async fn the_rust_kakaocert_client() {
    use dojang_client::kakaocert::Kakaocert;
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret).unwrap();
    let cc = &party.client_code;
    let r = kc
        .request_verify_auth(cc, &kc_person("본인인증", Some("kc-token")))
        .await
        .unwrap();
    assert_eq!(r.receipt_id.len(), 32);
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
    assert_eq!(
        v.signed_data, "kc-token",
        "the documents' check: signedData == Token"
    );
    let e = kc.verify_auth(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::AlreadyVerified));
    // The CMS itself stays with the native API: the admin console and the request's record.
    let stored = s
        .state()
        .store
        .request(&r.receipt_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        openssl_verify(
            &s,
            &base64::engine::general_purpose::STANDARD.encode(&stored.signed_data[0])
        ),
        "kc-token"
    );
    // A token is for one client code: another party's code is refused at the token service.
    let other = s.add_party("다른기관").await;
    let e = kc
        .get_esign_state(&other.client_code, &r.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::LinkHubTokenRefused));
    s.stop().await;
}

/// kakaocert 1.x (API 1.0), as seeds 001 and 002 describe it: 20-digit receipt ids, states 0–2
/// only, GetESignResult a repeatable result check, VerifyAuth once with `signedData == Token`,
/// within 30 minutes of signing.
#[tokio::test]
async fn api_1_0_follows_the_seed_documents() {
    use dojang_client::kakaocert::{Kakaocert, KcApi};
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret)
        .unwrap()
        .with_api(KcApi::V1);
    let v2 = Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret).unwrap();
    let cc = &party.client_code;

    // RequestESign / GetESignResult (seed 001): a 20-digit id; waiting; then, as often as
    // asked, the CMS and the token.
    let r = kc
        .request_esign(cc, &kc_person("약정서", Some("약정에 동의합니다")))
        .await
        .unwrap();
    assert_eq!(r.receipt_id.len(), 20, "receiptID String 20");
    assert!(r.receipt_id.bytes().all(|b| b.is_ascii_digit()));
    let waiting = kc.get_esign_result(cc, &r.receipt_id).await.unwrap();
    assert_eq!(waiting.status.state, 0);
    assert_eq!(waiting.status.tmstitle, "약정서");
    assert_eq!(waiting.status.payload.as_deref(), Some("memo"));
    assert_eq!(waiting.status.call_center_name, None, "none sent: null");
    assert!(waiting.signed_data.is_none() && waiting.receiver_name.is_none());
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    for _ in 0..2 {
        let done = kc.get_esign_result(cc, &r.receipt_id).await.unwrap();
        assert_eq!(done.status.state, 1);
        assert!(
            done.status.verify_dt.is_some(),
            "the first answer recorded verifyDT"
        );
        let signed = done.signed_data.as_deref().unwrap();
        assert!(
            signed.len() <= 4096,
            "signedData String 4096: {}",
            signed.len()
        );
        assert_eq!(openssl_verify(&s, signed), "약정에 동의합니다");
        assert_eq!(done.token.as_deref(), Some("약정에 동의합니다"));
        assert_eq!(
            (
                done.receiver_name.as_deref(),
                done.receiver_hp.as_deref(),
                done.receiver_birthday.as_deref()
            ),
            (Some(NAME), Some(PHONE), Some(BIRTH))
        );
        assert!(done.return_token.is_none(), "returnToken is identity's");
    }
    // Each API accepts only its own form of receipt id.
    let e = v2.get_esign_state(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiptIdInvalid));
    let native = s.client(&party);
    let e = native
        .status(dojang_client::Kind::Sign, &r.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiptIdInvalid));
    let e = kc.get_esign_result(cc, &"1".repeat(32)).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::ReceiptIdInvalid));
    assert!(e.to_string().contains("20"), "{e}");

    // RequestVerifyAuth / GetVerifyAuthState / VerifyAuth (seed 002): state until 1, then
    // VerifyAuth once, and signedData == Token completes the verification.
    let token = "one-time-nonce-8c1f";
    let r = kc
        .request_verify_auth(cc, &kc_person("본인인증", Some(token)))
        .await
        .unwrap();
    assert_eq!(r.receipt_id.len(), 20);
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let st = kc.get_verify_auth_state(cc, &r.receipt_id).await.unwrap();
    assert_eq!(st.state, 1);
    let v = kc.verify_auth(cc, &r.receipt_id).await.unwrap();
    assert_eq!(v.receipt_id, r.receipt_id);
    assert_eq!(v.signed_data, token);
    assert!(
        v.signed_data.chars().count() <= 500,
        "signedData String 500"
    );
    let e = kc.verify_auth(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::AlreadyVerified));
    // GetVerifyAuthResult (the 1.0.0 SDK's call) is the same verify: once, the token.
    let r = kc
        .request_verify_auth(cc, &kc_person("본인인증", Some("nonce-v1")))
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let done = kc.get_verify_auth_result(cc, &r.receipt_id).await.unwrap();
    assert_eq!(done.signed_data.as_deref(), Some("nonce-v1"));
    assert_eq!(done.return_token.as_deref(), Some("nonce-v1"));
    let e = kc
        .get_verify_auth_result(cc, &r.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::AlreadyVerified));

    // Debit consent: a result check like e-sign's.
    let mut cms = kc_person("출금동의", None);
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

    // A declined request shows 2 in API 1.0 (3 natively and in 2.x).
    let r = kc
        .request_verify_auth(cc, &kc_person("거절될 요청", Some("n")))
        .await
        .unwrap();
    device.api.decline(&r.receipt_id, None).await.unwrap();
    assert_eq!(
        kc.get_verify_auth_state(cc, &r.receipt_id)
            .await
            .unwrap()
            .state,
        2
    );
    assert_eq!(
        kc.get_verify_auth_result(cc, &r.receipt_id)
            .await
            .unwrap()
            .status
            .state,
        2
    );

    // The 30-minute window of seed 002, by the injected clock: 30 minutes after signing still
    // verifies, a moment later does not; an unanswered request is state 2, not an error.
    // (Requests are made before the server's clock moves: this client signs with the real clock.)
    let _other = s.enrol("김철수", "01098765432", "19851212").await;
    let mut someone_else = kc_person("만료", Some("t"));
    someone_else.receiver_name = Some("김철수".into());
    someone_else.receiver_hp = Some("01098765432".into());
    someone_else.receiver_birthday = Some("19851212".into());
    let unanswered = kc.request_esign(cc, &someone_else).await.unwrap();
    let in_time = kc
        .request_verify_auth(cc, &kc_person("30분", Some("in-time")))
        .await
        .unwrap();
    device
        .approve(&in_time.receipt_id, s.clock().now())
        .await
        .unwrap();
    s.clock().advance(std::time::Duration::from_secs(1800));
    assert_eq!(
        kc.verify_auth(cc, &in_time.receipt_id)
            .await
            .unwrap()
            .signed_data,
        "in-time"
    );
    let late = kc
        .request_verify_auth(cc, &kc_person("늦은 검증", Some("late")))
        .await
        .unwrap_err();
    // The clock moved past the request's date header: signed now by a server-time client.
    assert_eq!(late.error_code(), Some(ErrorCode::LinkHubDateInvalid));
    let expired = kc
        .get_esign_result(cc, &unanswered.receipt_id)
        .await
        .unwrap();
    assert_eq!(expired.status.state, 2);
    assert!(expired.signed_data.is_none());
    s.stop().await;
}

/// The 30-minute verify window's far edge, for VerifyAuth in both APIs.
#[tokio::test]
async fn verify_auth_window_is_thirty_minutes() {
    use dojang_client::kakaocert::{Kakaocert, KcApi};
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let cc = &party.client_code;
    let mut receipts = Vec::new();
    for api in [KcApi::V1, KcApi::V2] {
        let kc = Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret)
            .unwrap()
            .with_api(api);
        let r = kc
            .request_verify_auth(cc, &kc_person("본인인증", Some("t")))
            .await
            .unwrap();
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap();
        receipts.push((kc, r.receipt_id));
    }
    s.clock().advance(std::time::Duration::from_secs(1801));
    for (kc, id) in &receipts {
        let e = kc.verify_auth(cc, id).await.unwrap_err();
        assert_eq!(e.error_code(), Some(ErrorCode::VerifyWindowPassed), "{id}");
    }
    s.stop().await;
}

/// Every field seeds 001 and 002 mark required ("O"), missing; every length they set,
/// exceeded: each refused with its code, the message naming the field as kakaocert names it.
#[tokio::test]
async fn api_1_0_required_fields_and_limits() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let kc = Kc::new(&s, &party).await;
    let key = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let post = |path: &'static str, body: Value| {
        let (url, token, link_id, key) = (
            format!("{}{path}", s.url()),
            kc.token.clone(),
            party.link_id.clone(),
            key.clone(),
        );
        let now = s.clock().now();
        async move {
            let bytes = serde_json::to_vec(&body).unwrap();
            let date = linkhub::format_expiration(now);
            let sig = linkhub::sign_v1(&key, &linkhub::kakaocert_v1_string_to_sign(&bytes, &date));
            let res = reqwest::Client::new()
                .post(url)
                .header("authorization", format!("Bearer {token}"))
                .header("x-lh-date", date)
                .header("x-lh-version", "1.0")
                .header("accept-language", "en")
                .header("x-kc-auth", format!("{link_id} {sig}"))
                .header("content-type", "application/json; charset=utf8")
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body)
        }
    };
    let base = || {
        let mut b = esign();
        b.as_object_mut().unwrap().remove("isAppUseYN");
        b
    };
    let required = [
        ("CallCenterNum", ErrorCode::CallCenterNumMissing),
        ("Expires_in", ErrorCode::ExpireInMissing),
        ("ReceiverBirthDay", ErrorCode::BirthdayMissing),
        ("ReceiverHP", ErrorCode::PhoneMissing),
        ("ReceiverName", ErrorCode::NameMissing),
        ("Token", ErrorCode::TokenMissing),
        ("TMSTitle", ErrorCode::TitleMissing),
    ];
    for path in ["/SignToken/Request", "/SignIdentity/Request"] {
        for (field, code) in required {
            let mut b = base();
            b.as_object_mut().unwrap().remove(field);
            let (status, e) = post(path, b).await;
            assert_eq!(
                (status, e["code"].as_i64()),
                (400, Some(code.code())),
                "{path} {field}: {e}"
            );
            assert!(
                e["message"].as_str().unwrap().contains(field),
                "{path} {field}: {e}"
            );
        }
    }
    let hangul = |n: usize| "가".repeat(n);
    let limits: [(&str, &str, Value, ErrorCode, &str); 12] = [
        (
            "/SignToken/Request",
            "ReceiverName",
            json!(hangul(21)),
            ErrorCode::NameTooLong,
            "20",
        ),
        (
            "/SignIdentity/Request",
            "ReceiverName",
            json!(hangul(27)),
            ErrorCode::NameTooLong,
            "80",
        ),
        (
            "/SignIdentity/Request",
            "ReceiverName",
            json!("A".repeat(81)),
            ErrorCode::NameTooLong,
            "80",
        ),
        (
            "/SignToken/Request",
            "Token",
            json!("t".repeat(501)),
            ErrorCode::TokenTooLong,
            "500",
        ),
        (
            "/SignIdentity/Request",
            "Token",
            json!("t".repeat(501)),
            ErrorCode::TokenTooLong,
            "500",
        ),
        (
            "/SignToken/Request",
            "CallCenterNum",
            json!("1".repeat(21)),
            ErrorCode::CallCenterNumTooLong,
            "20",
        ),
        (
            "/SignIdentity/Request",
            "CallCenterName",
            json!(hangul(11)),
            ErrorCode::CallCenterNameTooLong,
            "10",
        ),
        (
            "/SignToken/Request",
            "TMSTitle",
            json!(hangul(41)),
            ErrorCode::TitleTooLong,
            "40",
        ),
        (
            "/SignToken/Request",
            "TMSMessage",
            json!(hangul(501)),
            ErrorCode::ExtraMessageTooLong,
            "500",
        ),
        (
            "/SignToken/Request",
            "SubClientID",
            json!("1".repeat(13)),
            ErrorCode::SubClientIdInvalid,
            "SubClientID",
        ),
        (
            "/SignToken/Request",
            "PayLoad",
            json!("p".repeat(201)),
            ErrorCode::PayloadTooLong,
            "200",
        ),
        (
            "/SignToken/Request",
            "Expires_in",
            json!(1001),
            ErrorCode::ExpireInTooLarge,
            "1000",
        ),
    ];
    for (path, field, value, code, says) in limits {
        let mut b = base();
        b[field] = value;
        let (status, e) = post(path, b).await;
        assert_eq!(
            (status, e["code"].as_i64()),
            (400, Some(code.code())),
            "{path} {field}: {e}"
        );
        let message = e["message"].as_str().unwrap();
        assert!(
            message.contains(field) && message.contains(says),
            "{path} {field}: {e}"
        );
    }
    // A control or bidi character: refused, named by kakaocert's field name.
    let mut b = base();
    b["TMSTitle"] = json!("from: 도장은행\u{202e}");
    let (status, e) = post("/SignToken/Request", b).await;
    assert_eq!(
        (status, e["code"].as_i64()),
        (400, Some(ErrorCode::TextUnsafeCharacter.code())),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("TMSTitle"), "{e}");
    // At the limits: accepted (26 Hangul names for identity, 20 for e-sign, 500-character
    // tokens), each in its own request to another person so the one-waiting rule stays out.
    let mut b = base();
    b["ReceiverName"] = json!(hangul(20));
    b["Token"] = json!("t".repeat(500));
    b["CallCenterName"] = json!(hangul(10));
    let (_, e) = post("/SignToken/Request", b).await;
    assert_eq!(
        e["code"],
        ErrorCode::ReceiverNameMismatch.code(),
        "only the name is wrong: {e}"
    );
    let mut b = base();
    b["ReceiverName"] = json!(hangul(26));
    let (_, e) = post("/SignIdentity/Request", b).await;
    assert_eq!(e["code"], ErrorCode::ReceiverNameMismatch.code(), "{e}");
    // LinkHub's Node SDK drops false values from its JSON: a missing flag reads as false.
    let mut b = base();
    let o = b.as_object_mut().unwrap();
    o.remove("isAllowSimpleRegistYN");
    o.remove("isVerifyNameYN");
    let (status, r) = post("/SignIdentity/Request", b).await;
    assert_eq!(status, 200, "{r}");
    let res = reqwest::Client::new()
        .get(format!(
            "{}/SignIdentity/Status/{}",
            s.url(),
            r["receiptId"].as_str().unwrap()
        ))
        .header("authorization", format!("Bearer {}", kc.token))
        .header("x-pb-version", "1.0")
        .send()
        .await
        .unwrap();
    let st: Value = res.json().await.unwrap();
    assert_eq!(
        (
            st["allowSimpleRegistYN"].as_bool(),
            st["verifyNameYN"].as_bool()
        ),
        (Some(false), Some(false)),
        "{st}"
    );
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
