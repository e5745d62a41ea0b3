//! The cloud certificate (issue 15) over real HTTP, with its keys in a real PKCS#11 token
//! (SoftHSM2): issuance by desk code, SMS, bank account and the relying party's alternative authentication;
//! the key made in the token and not extractable; the HSM's CMS accepted by `openssl cms
//! -verify` with the cloud policy; requests of the native API, barocert and the SDK's `sign`
//! answered with a browser proof and the PIN; every refusal of the browser proof and the PIN;
//! the one-time codes of `/v1/cloud/exchange`.
//!
//! The test plays the browser: its WebCrypto key is a `p256` `SigningKey`, and it signs the
//! exact proof string with raw `r ‖ s` signatures, as WebCrypto does.
//!
//! Needs `eval "$(.ci/start-softhsm.sh)"` (`.ci/run` does); without it each test says so and
//! checks nothing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_core::Clock;
use dojang_proto::cloud::{action, proof_message};
use dojang_proto::{ErrorCode, paths};
use dojang_testkit::{TestParty, TestServer};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{Value, json};

use crate::common::*;

/// A server whose `[hsm]` is the test token; the PIN file lives as long as it.
struct Cloud {
    s: TestServer,
    _pin: tempfile::TempDir,
    token: dojang_hsm::HsmConfig,
}

async fn cloud() -> Option<Cloud> {
    let token = dojang_hsm::test_token()?;
    let dir = tempfile::tempdir().unwrap();
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, format!("{}\n", token.pin.as_str())).unwrap();
    let t = token.clone();
    let s = TestServer::start_with(move |c| {
        c.hsm.module = t.module.clone();
        c.hsm.token = t.token.clone();
        c.hsm.pin_file = pin_file;
    })
    .await;
    Some(Cloud {
        s,
        _pin: dir,
        token,
    })
}

/// A browser: its key, and its id once registered.
struct Browser {
    key: SigningKey,
    id: String,
}

fn new_key() -> SigningKey {
    use p256::elliptic_curve::Generate as _;
    SigningKey::generate_from_rng(&mut rand::rng())
}

fn spki(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().to_public_key_der().unwrap().as_bytes())
}

async fn post(s: &TestServer, path: &str, body: &Value) -> Answer {
    answer(
        reqwest::Client::new()
            .post(format!("{}{path}", s.url()))
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A challenge for `b`.
async fn challenge(s: &TestServer, b: &Browser) -> String {
    let a = post(s, paths::CLOUD_CHALLENGE, &json!({"browserId": b.id})).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["challenge"].as_str().unwrap().to_owned()
}

/// The raw `r ‖ s` signature, base64url, by `key` over the proof string.
fn sign(key: &SigningKey, act: &str, challenge: &str, target: &str) -> String {
    let sig: p256::ecdsa::Signature = key.sign(proof_message(act, challenge, target).as_bytes());
    URL_SAFE_NO_PAD.encode(sig.to_bytes())
}

/// A fresh browser proof of `b` for `act` on `target`, merged into `extra`.
async fn proved(s: &TestServer, b: &Browser, act: &str, target: &str, extra: Value) -> Value {
    let ch = challenge(s, b).await;
    let mut body =
        json!({"browserId": b.id, "challenge": ch, "signature": sign(&b.key, act, &ch, target)});
    if let (Some(o), Value::Object(e)) = (body.as_object_mut(), extra) {
        o.extend(e);
    }
    body
}

const PIN: &str = "130479";

/// Issue by registration-desk code for the standard person, from a new browser.
async fn issue_desk(s: &TestServer, name: &str, phone: &str) -> (Value, Browser) {
    let (reference, code) = s.issue_ra(name, phone, BIRTH).await;
    let key = new_key();
    let a = post(
        s,
        paths::CLOUD_ISSUE_DESK,
        &json!({
            "name": name, "phone": phone, "birth": BIRTH,
            "referenceNumber": reference, "authCode": code,
            "pin": PIN, "browserKey": spki(&key), "label": "Test browser",
        }),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let id = a.body["browserId"].as_str().unwrap().to_owned();
    (a.body, Browser { key, id })
}

/// An identity request of the native API for the standard person.
async fn identity_request(s: &TestServer, party: &TestParty, token: &str) -> String {
    s.client(party)
        .request_verify_auth(&dojang_client::CreateRequest::new(
            NAME,
            PHONE,
            BIRTH,
            token,
            "본인인증",
            300,
        ))
        .await
        .unwrap()
        .receipt_id
}

async fn approve(s: &TestServer, b: &Browser, receipt: &str, pin: &str) -> Answer {
    let body = proved(s, b, action::APPROVE, receipt, json!({"pin": pin})).await;
    post(
        s,
        &paths::fill(paths::CLOUD_REQUEST_APPROVE, receipt),
        &body,
    )
    .await
}

/// The signer certificate of a SignedData, through `openssl cms -verify -signer`: its text.
fn signer_text(server: &TestServer, signed_b64: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    let tmp = tempfile::tempdir().unwrap();
    let (sig, ca, signer) = (
        tmp.path().join("s.der"),
        tmp.path().join("ca.pem"),
        tmp.path().join("signer.pem"),
    );
    std::fs::write(&sig, STANDARD.decode(signed_b64).unwrap()).unwrap();
    std::fs::write(&ca, server.ca_pem()).unwrap();
    let ok = std::process::Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-out",
            "/dev/null",
            "-in",
        ])
        .arg(&sig)
        .arg("-CAfile")
        .arg(&ca)
        .arg("-signer")
        .arg(&signer)
        .status()
        .unwrap();
    assert!(ok.success());
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&signer)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_issuance_keeps_the_key_in_the_token_and_answers_a_native_request() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let (issued, browser) = issue_desk(s, NAME, PHONE).await;
    let device = issued["certificateId"].as_str().unwrap();
    assert_eq!(issued["serial"].as_str().unwrap().len(), 32);

    // The key is in the token: sensitive, not extractable, and its value cannot be read.
    let hsm = dojang_hsm::Hsm::open(&c.token).unwrap();
    let label = format!("cloud:{device}");
    use cryptoki::object::{Attribute, AttributeType};
    assert!(matches!(
        hsm.private_attribute(&label, AttributeType::Sensitive)
            .unwrap(),
        Some(Attribute::Sensitive(true))
    ));
    assert!(matches!(
        hsm.private_attribute(&label, AttributeType::Extractable)
            .unwrap(),
        Some(Attribute::Extractable(false))
    ));
    assert!(matches!(
        hsm.private_attribute(&label, AttributeType::NeverExtractable)
            .unwrap(),
        Some(Attribute::NeverExtractable(true))
    ));
    assert!(
        hsm.private_attribute(&label, AttributeType::Value)
            .unwrap()
            .is_none(),
        "the token handed out the private key's value"
    );

    // A request of the native API, answered with the browser proof and the PIN.
    let receipt = identity_request(s, &party, "nonce-cloud-1").await;
    let card = post(
        s,
        &paths::fill(paths::CLOUD_REQUEST, &receipt),
        &proved(s, &browser, action::VIEW, &receipt, json!({})).await,
    )
    .await;
    assert_eq!(card.status, 200, "{:?}", card.body);
    assert_eq!(card.body["token"], "nonce-cloud-1");
    assert_eq!(card.body["bindingChoices"], json!([]));
    let a = approve(s, &browser, &receipt, PIN).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["state"], 1);

    // The relying party verifies as always; openssl accepts the CMS; the policy says cloud.
    let v = s.client(&party).verify_auth(&receipt).await.unwrap();
    assert_eq!(v.receiver_name, NAME);
    let signed = v.signed_data.as_deref().unwrap();
    assert_eq!(openssl_verify(s, signed), "nonce-cloud-1");
    let text = signer_text(s, signed);
    assert!(text.contains(dojang_pki::CLOUD_POLICY_OID), "{text}");
    assert!(!text.contains(dojang_pki::POLICY_OID), "{text}");

    // `me` shows it all: active, this browser, the uses.
    let me = post(
        s,
        paths::CLOUD_ME,
        &proved(s, &browser, action::ME, "", json!({})).await,
    )
    .await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["certificate"]["state"], "active");
    assert_eq!(me.body["certificate"]["renewable"], false);
    assert_eq!(me.body["holder"]["name"], NAME);
    assert_eq!(me.body["browsers"][0]["current"], true);
    let uses: Vec<&str> = me.body["uses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["action"].as_str().unwrap())
        .collect();
    assert_eq!(uses, ["approve", "issue"]);
    assert_eq!(me.body["uses"][0]["relyingParty"], "도장은행");
    assert_eq!(me.body["uses"][0]["receiptId"], receipt.as_str());
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cms_made_by_the_token_key_verifies_with_openssl() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let (issued, _) = issue_desk(s, NAME, PHONE).await;
    let device = issued["certificateId"].as_str().unwrap();
    let serial = issued["serial"].as_str().unwrap();
    // The token key, found by its label, signs through dojang-pki's generic CMS signer.
    let hsm = dojang_hsm::Hsm::open(&c.token).unwrap();
    let key = hsm.find(&format!("cloud:{device}")).unwrap().unwrap();
    let cert = s.state().store.certificate(serial).await.unwrap().unwrap();
    assert!(dojang_pki::is_cloud_certificate(&cert.der));
    let cms =
        dojang_pki::sign_cms(&key, &cert.der, b"signed in the token", s.clock().now()).unwrap();
    use base64::engine::general_purpose::STANDARD;
    assert_eq!(
        openssl_verify(s, &STANDARD.encode(&cms)),
        "signed in the token"
    );
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_issuance_with_a_simple_auth_token_exchanged_once_by_its_party() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let other = s.add_party("다른은행").await;
    let pk = dojang_server::service::cloud::new_publishable_key();
    for (p, k) in [
        (&party, pk.clone()),
        (&other, dojang_server::service::cloud::new_publishable_key()),
    ] {
        s.state()
            .store
            .set_cloud_party(&dojang_store::CloudParty {
                client_code: p.client_code.parse().unwrap(),
                publishable_key: k,
                origins: vec!["https://rp.example".into()],
                stylesheets: vec![],
                updated_at: s.clock().now(),
            })
            .await
            .unwrap();
    }
    let found = dojang_server::service::cloud::publishable(s.state(), &pk)
        .await
        .unwrap();
    assert_eq!(found.party.client_code.to_string(), party.client_code);
    assert_eq!(found.origins, ["https://rp.example"]);

    let start = post(
        s,
        paths::CLOUD_ISSUE_SMS,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH}),
    )
    .await;
    assert_eq!(start.status, 200, "{:?}", start.body);
    let proof = start.body["proofId"].as_str().unwrap();
    let code = s.last_code(PHONE).await;
    let key = new_key();
    let complete = |code: String, pin: &'static str| {
        json!({
            "code": code, "pin": pin, "browserKey": spki(&key), "label": "Phone",
            "publishableKey": pk, "simpleAuthToken": true,
        })
    };
    // A trivial PIN is refused before the code is counted.
    let path = paths::fill(paths::CLOUD_ISSUE_SMS_COMPLETE, proof);
    let a = post(s, &path, &complete(code.clone(), "111111")).await;
    assert_eq!(a.code(), ErrorCode::CloudPinTrivial.code());
    let a = post(s, &path, &complete(code.clone(), PIN)).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let token = a.body["code"].as_str().unwrap().to_owned();
    let cert = s
        .state()
        .store
        .certificate(a.body["serial"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.proof, dojang_core::IdentityProof::Sms);
    // The proof is closed.
    let again = post(s, &path, &complete(code, PIN)).await;
    assert_ne!(again.status, 200);

    // Another party cannot exchange it; its own party can, once.
    let body = serde_json::to_vec(&json!({"code": token})).unwrap();
    let e = signed(s, &other, "POST", paths::CLOUD_EXCHANGE, &body, None).await;
    assert_eq!(e.code(), ErrorCode::CloudCodeInvalid.code());
    let x = signed(s, &party, "POST", paths::CLOUD_EXCHANGE, &body, None).await;
    assert_eq!(x.status, 200, "{:?}", x.body);
    assert_eq!(x.body["kind"], "issue");
    assert_eq!(x.body["receiptID"], Value::Null);
    assert_eq!(x.body["person"]["name"], NAME);
    assert_eq!(x.body["person"]["birth"], BIRTH);
    assert_eq!(x.body["serial"], a.body["serial"]);
    let twice = signed(s, &party, "POST", paths::CLOUD_EXCHANGE, &body, None).await;
    assert_eq!(twice.code(), ErrorCode::CloudCodeInvalid.code());
    c.s.stop().await;
}

/// Issue by SMS code for `NAME`, from a new browser.
async fn issue_sms(s: &TestServer) -> Browser {
    let start = post(
        s,
        paths::CLOUD_ISSUE_SMS,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH}),
    )
    .await;
    assert_eq!(start.status, 200, "{:?}", start.body);
    let path = paths::fill(
        paths::CLOUD_ISSUE_SMS_COMPLETE,
        start.body["proofId"].as_str().unwrap(),
    );
    let key = new_key();
    let code = s.last_code(PHONE).await;
    let a = post(
        s,
        &path,
        &json!({"code": code, "pin": PIN, "browserKey": spki(&key), "label": "Laptop"}),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    Browser {
        key,
        id: a.body["browserId"].as_str().unwrap().to_owned(),
    }
}

/// A bank-account issuance: the 1-won deposit's word, tried and counted as the app's; the
/// certificate records the proof `bank`, so a request with `isAllowSimpleRegistYN = false`
/// that refused the same person's SMS-issued cloud certificate is answered by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_account_issuance_satisfies_a_party_that_refuses_sms_certificates() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let laptop = issue_sms(s).await;
    let mut bank_only =
        dojang_client::CreateRequest::new(NAME, PHONE, BIRTH, "nonce-bank", "계좌 인증 필요", 300);
    bank_only.allow_simple_regist_yn = Some(false);
    let receipt = s
        .client(&party)
        .request_verify_auth(&bank_only)
        .await
        .unwrap()
        .receipt_id;
    let a = approve(s, &laptop, &receipt, PIN).await;
    assert_eq!(a.code(), ErrorCode::CertificateProofTooWeak.code());

    // Bad input is refused with its code, before any deposit.
    for (body, code) in [
        (
            json!({"name": NAME, "phone": PHONE, "birth": BIRTH, "bankAccountNum": "123-456-789"}),
            ErrorCode::BankCodeMissing,
        ),
        (
            json!({"name": NAME, "phone": PHONE, "birth": BIRTH, "bankCode": "04", "bankAccountNum": "123-456-789"}),
            ErrorCode::BankCodeInvalid,
        ),
        (
            json!({"name": NAME, "phone": "0101", "birth": BIRTH, "bankCode": "004", "bankAccountNum": "123-456-789"}),
            ErrorCode::PhoneLength,
        ),
    ] {
        let r = post(s, paths::CLOUD_ISSUE_BANK, &body).await;
        assert_eq!(r.code(), code.code(), "{:?}", r.body);
    }
    let start = post(
        s,
        paths::CLOUD_ISSUE_BANK,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH,
                "bankCode": "004", "bankAccountNum": "123-456-789"}),
    )
    .await;
    assert_eq!(start.status, 200, "{:?}", start.body);
    assert_eq!(start.body["maskedAccount"], "123-***-789");
    assert_eq!(start.body["maxAttempts"], 3);
    let path = paths::fill(
        paths::CLOUD_ISSUE_BANK_COMPLETE,
        start.body["proofId"].as_str().unwrap(),
    );
    let word = s.last_bank_word(PHONE).await;
    let key = new_key();
    let body = |word: &str, pin: &str| json!({"word": word, "pin": pin, "browserKey": spki(&key), "label": "Phone"});
    // A trivial PIN is refused before the word is tried; a wrong word is counted.
    let r = post(s, &path, &body(&word, "111111")).await;
    assert_eq!(r.code(), ErrorCode::CloudPinTrivial.code());
    let wrong = if word == "하늘바다" {
        "바다하늘"
    } else {
        "하늘바다"
    };
    let r = post(s, &path, &body(wrong, PIN)).await;
    assert_eq!(r.code(), ErrorCode::BankWordWrong.code(), "{:?}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("2 tries left"),
        "{:?}",
        r.body
    );
    let r = post(s, &path, &body(&word, PIN)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let cert = s
        .state()
        .store
        .certificate(r.body["serial"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.proof, dojang_core::IdentityProof::Bank);
    // Once only.
    let again = post(s, &path, &body(&word, PIN)).await;
    assert_eq!(again.code(), ErrorCode::EnrolmentCompleted.code());

    // The new certificate superseded the SMS one: the laptop is not registered to it.
    let a = approve(s, &laptop, &receipt, PIN).await;
    assert_ne!(a.status, 200);
    let phone = Browser {
        key,
        id: r.body["browserId"].as_str().unwrap().to_owned(),
    };
    let a = approve(s, &phone, &receipt, PIN).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let v = s.client(&party).verify_auth(&receipt).await.unwrap();
    assert_eq!(
        openssl_verify(s, v.signed_data.as_deref().unwrap()),
        "nonce-bank"
    );
    c.s.stop().await;
}

/// A new browser asks to be registered (as `NAME`).
async fn ask(s: &TestServer, key: &SigningKey) -> Value {
    let a = post(
        s,
        paths::CLOUD_BROWSERS_ASK,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH,
                "browserKey": spki(key), "label": "Phone"}),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["number"].as_str().unwrap().len(), 2, "{:?}", a.body);
    a.body
}

async fn ask_state(s: &TestServer, id: &str) -> Answer {
    post(
        s,
        &paths::fill(paths::CLOUD_BROWSERS_ASK_STATE, id),
        &json!({}),
    )
    .await
}

/// A registered browser's approval of ask `id` with `pin` and `number`.
async fn approve_ask(s: &TestServer, b: &Browser, id: &str, pin: &str, number: &str) -> Answer {
    let body = proved(
        s,
        b,
        action::ASK_APPROVE,
        id,
        json!({"pin": pin, "number": number}),
    )
    .await;
    post(
        s,
        &paths::fill(paths::CLOUD_BROWSERS_ASK_APPROVE, id),
        &body,
    )
    .await
}

/// A new browser registered without an SMS: a registered browser of the same certificate
/// approves with the PIN and the number the new one shows. Another member's browser, a proof
/// for another action, a wrong PIN, a wrong number, a replay and an expired ask are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_browser_registers_a_new_one_with_the_number_and_the_pin() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let (_, laptop) = issue_desk(s, NAME, PHONE).await;
    let (_, stranger) = issue_desk(s, "김철수", "01098765432").await;
    let phone_key = new_key();

    // The same answer for a person without a certificate (nothing tells them apart).
    let nobody = post(
        s,
        paths::CLOUD_BROWSERS_ASK,
        &json!({"name": "박없음", "phone": "01011112222", "birth": BIRTH,
                "browserKey": spki(&phone_key), "label": "Phone"}),
    )
    .await;
    assert_eq!(nobody.status, 200, "{:?}", nobody.body);
    assert_eq!(
        ask_state(s, nobody.body["askId"].as_str().unwrap())
            .await
            .body["state"],
        "pending"
    );
    // At most three open asks per person, holder or not (the same answer for both).
    let nobody_ask = json!({"name": "박없음", "phone": "01011112222", "birth": BIRTH,
            "browserKey": spki(&phone_key), "label": "Phone"});
    for _ in 0..2 {
        let a = post(s, paths::CLOUD_BROWSERS_ASK, &nobody_ask).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
    }
    let fourth = post(s, paths::CLOUD_BROWSERS_ASK, &nobody_ask).await;
    assert_eq!(fourth.code(), ErrorCode::CloudAskRateLimited.code());
    let bad = post(
        s,
        paths::CLOUD_BROWSERS_ASK,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH, "browserKey": "AAAA", "label": "x"}),
    )
    .await;
    assert_eq!(bad.code(), ErrorCode::CloudBrowserKeyInvalid.code());

    let first = ask(s, &phone_key).await;
    let id = first["askId"].as_str().unwrap();
    let number = first["number"].as_str().unwrap();
    let wrong = if number == "10" { "11" } else { "10" };
    assert_eq!(ask_state(s, id).await.body["state"], "pending");
    // The registered browser sees it (label, not the number).
    let me = post(
        s,
        paths::CLOUD_ME,
        &proved(s, &laptop, action::ME, "", json!({})).await,
    )
    .await;
    assert_eq!(me.body["asks"][0]["askId"], id, "{:?}", me.body);
    assert_eq!(me.body["asks"][0]["label"], "Phone");
    assert!(me.body["asks"][0].get("number").is_none());

    // Another member's browser cannot answer it.
    let a = approve_ask(s, &stranger, id, PIN, number).await;
    assert_eq!(a.code(), ErrorCode::CloudAskClosed.code());
    // A proof signed for declining does not approve.
    let ch = challenge(s, &laptop).await;
    let forged = json!({"browserId": laptop.id, "challenge": ch,
        "signature": sign(&laptop.key, action::ASK_DECLINE, &ch, id), "pin": PIN, "number": number});
    let a = post(
        s,
        &paths::fill(paths::CLOUD_BROWSERS_ASK_APPROVE, id),
        &forged,
    )
    .await;
    assert_eq!(a.code(), ErrorCode::CloudBrowserSignatureInvalid.code());
    // A wrong PIN is counted and the ask stays open.
    let a = approve_ask(s, &laptop, id, "975310", number).await;
    assert_eq!(a.code(), ErrorCode::CloudPinWrong.code());
    assert_eq!(ask_state(s, id).await.body["state"], "pending");
    // A wrong number declines it: no second guess.
    let a = approve_ask(s, &laptop, id, PIN, wrong).await;
    assert_eq!(a.code(), ErrorCode::CloudAskNumberWrong.code());
    assert_eq!(ask_state(s, id).await.body["state"], "declined");
    let a = approve_ask(s, &laptop, id, PIN, number).await;
    assert_eq!(a.code(), ErrorCode::CloudAskClosed.code());

    // Asked again: approved; the new browser's id is the ask's, and it signs.
    let second = ask(s, &phone_key).await;
    let id = second["askId"].as_str().unwrap();
    let a = approve_ask(s, &laptop, id, PIN, second["number"].as_str().unwrap()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let st = ask_state(s, id).await;
    assert_eq!(st.body["state"], "approved");
    assert_eq!(st.body["browserId"], id);
    let replay = approve_ask(s, &laptop, id, PIN, second["number"].as_str().unwrap()).await;
    assert_eq!(replay.code(), ErrorCode::CloudAskClosed.code());
    let phone = Browser {
        key: phone_key,
        id: id.to_owned(),
    };
    let receipt = identity_request(s, &party, "nonce-ask").await;
    let a = approve(s, &phone, &receipt, PIN).await;
    assert_eq!(a.status, 200, "{:?}", a.body);

    // Declined by the holder; and an ask expires after three minutes.
    let third = ask(s, &new_key()).await;
    let id = third["askId"].as_str().unwrap();
    let body = proved(s, &laptop, action::ASK_DECLINE, id, json!({})).await;
    let d = post(
        s,
        &paths::fill(paths::CLOUD_BROWSERS_ASK_DECLINE, id),
        &body,
    )
    .await;
    assert_eq!(d.status, 200, "{:?}", d.body);
    assert_eq!(ask_state(s, id).await.body["state"], "declined");
    let fourth = ask(s, &new_key()).await;
    let id = fourth["askId"].as_str().unwrap();
    s.clock().advance(std::time::Duration::from_secs(181));
    assert_eq!(ask_state(s, id).await.body["state"], "expired");
    let a = approve_ask(s, &laptop, id, PIN, fourth["number"].as_str().unwrap()).await;
    assert_eq!(a.code(), ErrorCode::CloudAskClosed.code());
    assert_eq!(
        ask_state(s, "no-such-ask").await.code(),
        ErrorCode::CloudAskNotFound.code()
    );
    for _ in 0..3 {
        ask(s, &new_key()).await;
    }
    let a = post(
        s,
        paths::CLOUD_BROWSERS_ASK,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH,
                "browserKey": spki(&new_key()), "label": "Phone"}),
    )
    .await;
    assert_eq!(a.code(), ErrorCode::CloudAskRateLimited.code());
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_proof_refuses_every_forgery() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let (_, browser) = issue_desk(s, NAME, PHONE).await;
    let (_, stranger) = issue_desk(s, "김철수", "01098765432").await;
    let receipt = identity_request(s, &party, "nonce-proof").await;
    let path = paths::fill(paths::CLOUD_REQUEST_APPROVE, &receipt);
    let code = |a: &Answer| a.code();

    // No proof at all.
    let a = post(s, &path, &json!({"pin": PIN})).await;
    assert_eq!(code(&a), ErrorCode::CloudBrowserProofMissing.code());
    // Signed by another key than the browser's.
    let ch = challenge(s, &browser).await;
    let forged = json!({"browserId": browser.id, "challenge": ch,
        "signature": sign(&new_key(), action::APPROVE, &ch, &receipt), "pin": PIN});
    assert_eq!(
        code(&post(s, &path, &forged).await),
        ErrorCode::CloudBrowserSignatureInvalid.code()
    );
    // One byte of a good signature changed.
    let ch = challenge(s, &browser).await;
    let good = sign(&browser.key, action::APPROVE, &ch, &receipt);
    let mut raw = URL_SAFE_NO_PAD.decode(&good).unwrap();
    raw[10] ^= 1;
    let tampered = json!({"browserId": browser.id, "challenge": ch,
        "signature": URL_SAFE_NO_PAD.encode(&raw), "pin": PIN});
    assert_eq!(
        code(&post(s, &path, &tampered).await),
        ErrorCode::CloudBrowserSignatureInvalid.code()
    );
    // A proof for another action or target does not pass either.
    let other_target = json!({"browserId": browser.id, "challenge": ch,
        "signature": sign(&browser.key, action::APPROVE, &ch, &"9".repeat(32)), "pin": PIN});
    assert_eq!(
        code(&post(s, &path, &other_target).await),
        ErrorCode::CloudBrowserSignatureInvalid.code()
    );
    // A challenge issued to another browser, signed by this one.
    let theirs = challenge(s, &stranger).await;
    let crossed = json!({"browserId": browser.id, "challenge": theirs,
        "signature": sign(&browser.key, action::APPROVE, &theirs, &receipt), "pin": PIN});
    assert_eq!(
        code(&post(s, &path, &crossed).await),
        ErrorCode::CloudChallengeInvalid.code()
    );
    // An expired challenge.
    let ch = challenge(s, &browser).await;
    s.clock().advance(std::time::Duration::from_secs(121));
    let late = json!({"browserId": browser.id, "challenge": ch,
        "signature": sign(&browser.key, action::APPROVE, &ch, &receipt), "pin": PIN});
    assert_eq!(
        code(&post(s, &path, &late).await),
        ErrorCode::CloudChallengeInvalid.code()
    );
    // Another member's receipt: found by nobody else.
    let body = proved(s, &stranger, action::APPROVE, &receipt, json!({"pin": PIN})).await;
    assert_eq!(
        code(&post(s, &path, &body).await),
        ErrorCode::DeviceRequestNotFound.code()
    );
    // A good proof, then the same proof again (replayed).
    let body = proved(s, &browser, action::APPROVE, &receipt, json!({"pin": PIN})).await;
    let a = post(s, &path, &body).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(
        code(&post(s, &path, &body).await),
        ErrorCode::CloudChallengeInvalid.code()
    );
    // The request was never touched by the refused attempts: signed once, verifiable.
    let v = s.client(&party).verify_auth(&receipt).await.unwrap();
    assert_eq!(
        openssl_verify(s, v.signed_data.as_deref().unwrap()),
        "nonce-proof"
    );

    // A removed browser proves nothing any more.
    let body = proved(s, &browser, action::REMOVE, &browser.id, json!({})).await;
    let a = post(
        s,
        &paths::fill(paths::CLOUD_BROWSER_REMOVE, &browser.id),
        &body,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let a = post(s, paths::CLOUD_CHALLENGE, &json!({"browserId": browser.id})).await;
    assert_eq!(code(&a), ErrorCode::CloudBrowserUnknown.code());
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_lock_at_the_fifth_and_an_sms_reset_unlocks() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let (_, browser) = issue_desk(s, NAME, PHONE).await;
    let receipt = identity_request(s, &party, "nonce-pin").await;
    // A malformed PIN is not counted.
    assert_eq!(
        approve(s, &browser, &receipt, "12345").await.code(),
        ErrorCode::CloudPinFormat.code()
    );
    for left in (1..=4).rev() {
        let wrong = approve(s, &browser, &receipt, "999999").await;
        assert_eq!(wrong.code(), ErrorCode::CloudPinWrong.code());
        // The person is told how many tries are left before the lock.
        let message = wrong.body["message"].as_str().unwrap_or_default();
        assert!(
            message.ends_with(&format!("({left} of 5 tries left)")),
            "{message}"
        );
    }
    assert_eq!(
        approve(s, &browser, &receipt, "999999").await.code(),
        ErrorCode::CloudLocked.code()
    );
    // Locked: the right PIN is refused too, and nothing was signed.
    assert_eq!(
        approve(s, &browser, &receipt, PIN).await.code(),
        ErrorCode::CloudLocked.code()
    );
    let me = post(
        s,
        paths::CLOUD_ME,
        &proved(s, &browser, action::ME, "", json!({})).await,
    )
    .await;
    assert_eq!(me.body["certificate"]["state"], "locked");
    // Locked is not revoked: the certificate is still good.
    let serial = me.body["certificate"]["serial"].as_str().unwrap();
    let cert = s.state().store.certificate(serial).await.unwrap().unwrap();
    assert!(cert.revoked_at.is_none());

    // A reset after a fresh SMS proof unlocks (and registers the browser it is done from).
    let start = post(
        s,
        paths::CLOUD_PIN_RESET_START,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH}),
    )
    .await;
    assert_eq!(start.status, 200, "{:?}", start.body);
    let code = s.last_code(PHONE).await;
    let key = new_key();
    let done = post(
        s,
        &paths::fill(
            paths::CLOUD_PIN_RESET_COMPLETE,
            start.body["proofId"].as_str().unwrap(),
        ),
        &json!({"code": code, "newPin": "240613", "browserKey": spki(&key), "label": "Laptop"}),
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let laptop = Browser {
        key,
        id: done.body["browserId"].as_str().unwrap().to_owned(),
    };
    // The old PIN is gone; the new one works from either browser.
    assert_eq!(
        approve(s, &browser, &receipt, PIN).await.code(),
        ErrorCode::CloudPinWrong.code()
    );
    let a = approve(s, &laptop, &receipt, "240613").await;
    assert_eq!(a.status, 200, "{:?}", a.body);

    // PIN change: the current PIN first; the new one must differ and not be trivial.
    let change = |pin: &'static str, new: &'static str| {
        let (s, laptop) = (s, &laptop);
        async move {
            let body = proved(
                s,
                laptop,
                action::PIN,
                "",
                json!({"pin": pin, "newPin": new}),
            )
            .await;
            post(s, paths::CLOUD_PIN, &body).await
        }
    };
    assert_eq!(
        change("240613", "123456").await.code(),
        ErrorCode::CloudPinTrivial.code()
    );
    assert_eq!(
        change("240613", "240613").await.code(),
        ErrorCode::CloudPinUnchanged.code()
    );
    assert_eq!(change("240613", "580214").await.status, 200);
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_browser_registers_by_sms_first() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    issue_desk(s, NAME, PHONE).await;
    // A browser nobody registered gets no challenge.
    let unknown = post(
        s,
        paths::CLOUD_CHALLENGE,
        &json!({"browserId": "not-registered"}),
    )
    .await;
    assert_eq!(unknown.code(), ErrorCode::CloudBrowserUnknown.code());
    // Registration: an SMS to the holder, the code, the browser's key.
    let start = post(
        s,
        paths::CLOUD_BROWSERS_START,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH}),
    )
    .await;
    assert_eq!(start.status, 200, "{:?}", start.body);
    let code = s.last_code(PHONE).await;
    let key = new_key();
    let done = post(
        s,
        &paths::fill(
            paths::CLOUD_BROWSERS_COMPLETE,
            start.body["proofId"].as_str().unwrap(),
        ),
        &json!({"code": code, "browserKey": spki(&key), "label": "Second"}),
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let second = Browser {
        key,
        id: done.body["browserId"].as_str().unwrap().to_owned(),
    };
    let me = post(
        s,
        paths::CLOUD_ME,
        &proved(s, &second, action::ME, "", json!({})).await,
    )
    .await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["browsers"].as_array().unwrap().len(), 2);
    // A person without a cloud certificate gets the same answer, and no SMS.
    let before = s.state().store.outbox(None, 100).await.unwrap().len();
    let nobody = post(
        s,
        paths::CLOUD_BROWSERS_START,
        &json!({"name": "김영희", "phone": "01055554444", "birth": BIRTH}),
    )
    .await;
    assert_eq!(nobody.status, 200);
    assert!(nobody.body["proofId"].is_string());
    assert_eq!(
        s.state().store.outbox(None, 100).await.unwrap().len(),
        before
    );
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_sign_gives_a_code_its_party_exchanges_once_and_verifies() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let other = s.add_party("다른은행").await;
    let pk = dojang_server::service::cloud::new_publishable_key();
    s.state()
        .store
        .set_cloud_party(&dojang_store::CloudParty {
            client_code: party.client_code.parse().unwrap(),
            publishable_key: pk.clone(),
            origins: vec!["https://rp.example".into()],
            stylesheets: vec![],
            updated_at: s.clock().now(),
        })
        .await
        .unwrap();
    let (_, browser) = issue_desk(s, NAME, PHONE).await;
    let body = proved(
        s,
        &browser,
        action::SIGN,
        "",
        json!({"pin": PIN, "publishableKey": pk, "kind": "multi-sign", "title": "계약",
               "documents": [{"signTitle": "약관", "token": "문서 하나"},
                             {"signTitle": "동의서", "token": "문서 둘"}]}),
    )
    .await;
    let a = post(s, paths::CLOUD_SIGN, &body).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let code = serde_json::to_vec(&json!({"code": a.body["code"]})).unwrap();
    let e = signed(s, &other, "POST", paths::CLOUD_EXCHANGE, &code, None).await;
    assert_eq!(e.code(), ErrorCode::CloudCodeInvalid.code());
    let x = signed(s, &party, "POST", paths::CLOUD_EXCHANGE, &code, None).await;
    assert_eq!(x.status, 200, "{:?}", x.body);
    assert_eq!(x.body["kind"], "multi-sign");
    let receipt = x.body["receiptID"].as_str().unwrap();
    let v = s
        .client(&party)
        .verify(dojang_proto::rp::Kind::MultiSign, receipt)
        .await
        .unwrap();
    let all = v.multi_signed_data.unwrap();
    assert_eq!(openssl_verify(s, &all[0]), "문서 하나");
    assert_eq!(openssl_verify(s, &all[1]), "문서 둘");
    let twice = signed(s, &party, "POST", paths::CLOUD_EXCHANGE, &code, None).await;
    assert_eq!(twice.code(), ErrorCode::CloudCodeInvalid.code());
    // A kind the SDK does not sign.
    let body = proved(
        s,
        &browser,
        action::SIGN,
        "",
        json!({"pin": PIN, "publishableKey": pk,
        "kind": "login", "title": "x", "documents": [{"token": "t"}]}),
    )
    .await;
    assert_eq!(
        post(s, paths::CLOUD_SIGN, &body).await.code(),
        ErrorCode::CloudKindInvalid.code()
    );
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alternative_authentication_is_bound_to_its_party_and_used_once() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let other = s.add_party("다른은행").await;
    let mut keys = Vec::new();
    for p in [&party, &other] {
        let k = dojang_server::service::cloud::new_publishable_key();
        s.state()
            .store
            .set_cloud_party(&dojang_store::CloudParty {
                client_code: p.client_code.parse().unwrap(),
                publishable_key: k.clone(),
                origins: vec!["https://rp.example".into()],
                stylesheets: vec![],
                updated_at: s.clock().now(),
            })
            .await
            .unwrap();
        keys.push(k);
    }
    let body = serde_json::to_vec(&json!({"name": NAME, "phone": PHONE, "birth": BIRTH})).unwrap();
    let t = signed(s, &party, "POST", paths::CLOUD_ALT_AUTH, &body, None).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    let issue = |pk: &str, permission: &str| {
        json!({"publishableKey": pk, "txId": t.body["txId"], "permissionCode": permission,
               "pin": PIN, "browserKey": spki(&new_key()), "label": "Alt"})
    };
    let permission = t.body["permissionCode"].as_str().unwrap();
    // Another party's publishable key, or a wrong permission code: refused.
    let a = post(s, paths::CLOUD_ISSUE_ALT, &issue(&keys[1], permission)).await;
    assert_eq!(a.code(), ErrorCode::CloudAltInvalid.code());
    let a = post(s, paths::CLOUD_ISSUE_ALT, &issue(&keys[0], "wrong")).await;
    assert_eq!(a.code(), ErrorCode::CloudAltInvalid.code());
    let a = post(s, paths::CLOUD_ISSUE_ALT, &issue(&keys[0], permission)).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let cert = s
        .state()
        .store
        .certificate(a.body["serial"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.proof, dojang_core::IdentityProof::Alt);
    // Once.
    let a = post(s, paths::CLOUD_ISSUE_ALT, &issue(&keys[0], permission)).await;
    assert_eq!(a.code(), ErrorCode::CloudAltInvalid.code());
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barocert_request_is_answered_by_the_cloud_certificate() {
    use dojang_client::barocert::BarocertKakao;
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let (_, browser) = issue_desk(s, NAME, PHONE).await;
    let bc = BarocertKakao::new(&s.url(), &s.url(), &party.link_id, &party.secret).unwrap();
    let cc = &party.client_code;
    let req = dojang_client::CreateRequest::new(
        bc.encrypt(NAME).unwrap(),
        bc.encrypt(PHONE).unwrap(),
        bc.encrypt(BIRTH).unwrap(),
        bc.encrypt("baro-nonce").unwrap(),
        "본인인증 요청",
        300,
    );
    let receipt = bc.request_identity(cc, &req).await.unwrap().receipt_id;
    let a = approve(s, &browser, &receipt, PIN).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let v = bc.verify_identity(cc, &receipt).await.unwrap();
    assert_eq!(v.state, 1);
    let signed = v.signed_data.as_deref().unwrap();
    assert_eq!(openssl_verify(s, signed), "baro-nonce");
    assert!(signer_text(s, signed).contains(dojang_pki::CLOUD_POLICY_OID));
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_and_cloud_certificates_supersede_only_their_own_kind() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let party = s.add_party("도장은행").await;
    let app = s.enrol(NAME, PHONE, BIRTH).await;
    let (first, _) = issue_desk(s, NAME, PHONE).await;
    // A second cloud issuance supersedes the first cloud certificate (and removes its key).
    let (_, browser) = issue_desk(s, NAME, PHONE).await;
    let old = s
        .state()
        .store
        .certificate(first["serial"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(old.revoked_at.is_some());
    let hsm = dojang_hsm::Hsm::open(&c.token).unwrap();
    let old_label = format!("cloud:{}", first["certificateId"].as_str().unwrap());
    assert!(hsm.find(&old_label).unwrap().is_none());
    // The app still answers, and so does the cloud certificate.
    let r1 = identity_request(s, &party, "by-app").await;
    assert_eq!(app.approve(&r1, s.clock().now()).await.unwrap(), 1);
    let r2 = identity_request(s, &party, "by-cloud").await;
    assert_eq!(approve(s, &browser, &r2, PIN).await.status, 200);
    // An app enrolment later leaves the cloud certificate alone.
    s.enrol(NAME, PHONE, BIRTH).await;
    let r3 = identity_request(s, &party, "cloud-again").await;
    assert_eq!(approve(s, &browser, &r3, PIN).await.status, 200);
    c.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holder_revocation_and_renewal_window() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let (issued, browser) = issue_desk(s, NAME, PHONE).await;
    // Too early to renew.
    let body = proved(s, &browser, action::RENEW, "", json!({"pin": PIN})).await;
    assert_eq!(
        post(s, paths::CLOUD_RENEW, &body).await.code(),
        ErrorCode::CloudNotRenewable.code()
    );
    // In the last 30 days: a new key, a new certificate, the old one superseded.
    s.clock().advance(std::time::Duration::from_secs(
        3 * 365 * 24 * 3600 - 20 * 24 * 3600,
    ));
    let body = proved(s, &browser, action::RENEW, "", json!({"pin": PIN})).await;
    let r = post(s, paths::CLOUD_RENEW, &body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_ne!(r.body["serial"], issued["serial"]);
    let old = s
        .state()
        .store
        .certificate(issued["serial"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(old.revoked_at.is_some());
    let hsm = dojang_hsm::Hsm::open(&c.token).unwrap();
    let device = issued["certificateId"].as_str().unwrap();
    assert!(hsm.find(&format!("cloud:{device}")).unwrap().is_none());
    // The holder revokes: the key leaves the token, and every later use says revoked.
    let body = proved(s, &browser, action::REVOKE, "", json!({"pin": PIN})).await;
    let a = post(s, paths::CLOUD_REVOKE, &body).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let new = s
        .state()
        .store
        .certificate(r.body["serial"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(new.revoked_at.is_some());
    let body = proved(s, &browser, action::RENEW, "", json!({"pin": PIN})).await;
    assert_eq!(
        post(s, paths::CLOUD_RENEW, &body).await.code(),
        ErrorCode::CloudRevoked.code()
    );
    c.s.stop().await;
}

/// An operator's revocation (the CLI and the admin console share it) removes the cloud key
/// from the token, as the holder's does; an app certificate's revocation touches no key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_revocation_removes_the_cloud_key() {
    let Some(c) = cloud().await else { return };
    let s = &c.s;
    let (issued, browser) = issue_desk(s, NAME, PHONE).await;
    let device = issued["certificateId"].as_str().unwrap();
    let hsm = dojang_hsm::Hsm::open(&c.token).unwrap();
    let label = format!("cloud:{device}");
    assert!(hsm.find(&label).unwrap().is_some());
    let revoked = dojang_server::service::admin::revoke_certificate(
        s.state().store.as_ref(),
        s.state().hsm.as_ref(),
        issued["serial"].as_str().unwrap(),
        dojang_pki::RevocationReason::KeyCompromise,
        s.clock().now(),
    )
    .await
    .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(
        hsm.find(&label).unwrap().is_none(),
        "the key left the token"
    );
    let body = proved(s, &browser, action::ME, "", json!({})).await;
    let me = post(s, paths::CLOUD_ME, &body).await;
    assert_eq!(me.body["certificate"]["state"], "revoked", "{:?}", me.body);
    c.s.stop().await;
}

#[tokio::test]
async fn without_an_hsm_cloud_issuance_says_so() {
    let s = TestServer::start().await;
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    let a = post(
        &s,
        paths::CLOUD_ISSUE_DESK,
        &json!({"name": NAME, "phone": PHONE, "birth": BIRTH, "referenceNumber": reference,
                "authCode": code, "pin": PIN, "browserKey": spki(&new_key()), "label": "x"}),
    )
    .await;
    assert_eq!(a.status, 503);
    assert_eq!(a.code(), ErrorCode::CloudHsmMissing.code());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishable_keys_are_set_shown_and_cleared_by_the_command_line() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let data = s.data_dir();
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--data-dir", data.to_str().unwrap(), "rp", "cloud"];
        all.extend_from_slice(args);
        tokio::task::block_in_place(|| {
            dojang_testkit::run(&dojang_testkit::binary("dojang"), &all, &[])
        })
    };
    let cc = party.client_code.as_str();
    let (ok, out) = admin(&[
        "set",
        cc,
        "--origin",
        "https://rp.example",
        "--stylesheet",
        "https://rp.example/dojang.css",
        "--json",
    ]);
    assert!(ok.success(), "{out}");
    let set = dojang_testkit::json(&out);
    let key = set["publishableKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("pk_") && key.len() == 35, "{key}");
    assert_eq!(set["origins"], json!(["https://rp.example"]));
    // The pages find the party by the key.
    let found = dojang_server::service::cloud::publishable(s.state(), &key)
        .await
        .unwrap();
    assert_eq!(found.party.client_code.to_string(), party.client_code);
    assert_eq!(found.stylesheets, ["https://rp.example/dojang.css"]);
    // New origins keep the key; bad origins and foreign stylesheets are refused.
    let (ok, out) = admin(&["set", cc, "--origin", "https://shop.example:8443", "--json"]);
    assert!(ok.success(), "{out}");
    assert_eq!(dojang_testkit::json(&out)["publishableKey"], key.as_str());
    let (ok, _) = admin(&["set", cc, "--origin", "http://rp.example"]);
    assert!(!ok.success());
    let (ok, _) = admin(&[
        "set",
        cc,
        "--origin",
        "https://rp.example",
        "--stylesheet",
        "https://evil.example/x.css",
    ]);
    assert!(!ok.success());
    let (ok, out) = admin(&["show", cc, "--json"]);
    assert!(ok.success(), "{out}");
    assert_eq!(
        dojang_testkit::json(&out)["origins"],
        json!(["https://shop.example:8443"])
    );
    let (ok, out) = admin(&["clear", cc]);
    assert!(ok.success(), "{out}");
    assert!(
        dojang_server::service::cloud::publishable(s.state(), &key)
            .await
            .is_none()
    );
    let (ok, _) = admin(&["show", cc]);
    assert!(!ok.success());
    s.stop().await;
}
