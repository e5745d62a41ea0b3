//! The hosted login's cloud option (issue 15), over real HTTP as a browser sees it: a person
//! holding a cloud certificate (issued by a registration-desk code, the key in SoftHSM2) picks
//! "dojang 금융인증서(클라우드)", fills in the form, and answers the login's request from their
//! registered browser (a p256 key here, WebCrypto's in a real browser) with the PIN through
//! `/cloud/v1/*`; the steps page follows it live and sends the browser back with the one-time
//! code, which the relying party exchanges as for the app. Wrong PINs, another browser's key,
//! a replayed challenge and another person's certificate get nothing.
//!
//! Needs the test token (`eval "$(.ci/start-softhsm.sh)"`); without it the tests say so and
//! check only what needs no HSM (the option is then not offered).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dojang_client::ErrorCode;
use dojang_testkit::{TestParty, TestServer};
use futures_util::StreamExt;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::EncodePublicKey as _;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::common::*;
use crate::login_page::{Browser, csrf, return_link};

const BACK: &str = "https://welfare.example/auth/callback";
const PIN: &str = "284619";

/// A server whose cloud certificates live in the test token, or `None` (said) without one.
async fn cloud_server() -> Option<TestServer> {
    let Some(t) = dojang_hsm::test_token() else {
        eprintln!("skipped: no test token (eval \"$(.ci/start-softhsm.sh)\")");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let pin_file = dir.keep().join("hsm-pin");
    std::fs::write(&pin_file, t.pin.as_bytes()).unwrap();
    Some(
        TestServer::start_with(move |c| {
            c.hsm.module = t.module.clone();
            c.hsm.token = t.token.clone();
            c.hsm.pin_file = pin_file;
        })
        .await,
    )
}

async fn register(s: &TestServer, party: &TestParty, url: &str) {
    use dojang_core::Clock as _;
    let code = party.client_code.parse().unwrap();
    dojang_server::service::login_page::set_return_url(
        s.state().store.as_ref(),
        &code,
        Some(url),
        s.clock().now(),
    )
    .await
    .unwrap();
}

/// The person's browser as far as dojang's cloud page goes: its registered key and id.
struct CloudBrowser {
    http: reqwest::Client,
    base: String,
    browser_id: String,
    key: SigningKey,
}

async fn post(http: &reqwest::Client, url: String, body: &Value) -> Answer {
    answer(http.post(url).json(body).send().await.unwrap()).await
}

impl CloudBrowser {
    async fn challenge(&self) -> String {
        let a = post(
            &self.http,
            format!("{}/cloud/v1/challenge", self.base),
            &json!({ "browserId": self.browser_id }),
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        a.body["challenge"].as_str().unwrap().to_owned()
    }

    fn sign(&self, key: &SigningKey, action: &str, challenge: &str, target: &str) -> String {
        let msg = format!("dojang-cloud/v1\n{action}\n{challenge}\n{target}");
        let sig: p256::ecdsa::Signature = key.sign(msg.as_bytes());
        URL_SAFE_NO_PAD.encode(sig.to_bytes())
    }

    /// A browser-authenticated call signed with `key` (the registered one, or not).
    async fn call_with(
        &self,
        key: &SigningKey,
        path: &str,
        action: &str,
        target: &str,
        extra: Value,
    ) -> (Answer, Value) {
        let challenge = self.challenge().await;
        let mut body = json!({
            "browserId": self.browser_id,
            "challenge": challenge,
            "signature": self.sign(key, action, &challenge, target),
        });
        if let (Some(b), Value::Object(more)) = (body.as_object_mut(), extra) {
            b.extend(more);
        }
        let a = post(&self.http, format!("{}{path}", self.base), &body).await;
        (a, body)
    }

    async fn call(&self, path: &str, action: &str, target: &str, extra: Value) -> Answer {
        self.call_with(&self.key, path, action, target, extra)
            .await
            .0
    }
}

/// Issue `name`'s cloud certificate with a registration-desk code; the browser that did it.
async fn issue_cloud(s: &TestServer, name: &str, phone: &str, birth: &str) -> CloudBrowser {
    let (reference, auth_code) = s.issue_ra(name, phone, birth).await;
    let key = SigningKey::generate_from_rng(&mut rand::rng());
    let spki = key.verifying_key().to_public_key_der().unwrap();
    let http = reqwest::Client::new();
    let a = post(
        &http,
        format!("{}/cloud/v1/issue/desk", s.url()),
        &json!({
            "name": name, "phone": phone, "birth": birth,
            "referenceNumber": reference, "authCode": auth_code,
            "pin": PIN,
            "browserKey": URL_SAFE_NO_PAD.encode(spki.as_bytes()),
            "label": "Chromium on Linux (test)",
        }),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    CloudBrowser {
        http,
        base: s.url(),
        browser_id: a.body["browserId"].as_str().unwrap().to_owned(),
        key,
    }
}

/// The receipt in the steps page's cloud link (`/cloud?lang=…#receipt=<id>`).
fn cloud_receipt(html: &str) -> String {
    let needle = "id=\"cloud-open\" href=\"";
    let at = html.find(needle).unwrap_or_else(|| panic!("{html}")) + needle.len();
    let href = html[at..].split('"').next().unwrap();
    let (_, receipt) = href.split_once("#receipt=").unwrap();
    assert!(
        href.starts_with("/cloud?lang="),
        "dojang's own page: {href}"
    );
    assert!(
        html[at..]
            .split('>')
            .next()
            .unwrap()
            .contains("target=\"_blank\""),
        "a top-level tab (first-party storage), not a nested frame"
    );
    receipt.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_with_the_cloud_certificate_and_the_party_exchanges_the_code() {
    let Some(s) = cloud_server().await else {
        return;
    };
    let party = s.add_party("서울시 복지포털").await;
    register(&s, &party, BACK).await;
    let cloud = issue_cloud(&s, NAME, PHONE, BIRTH).await;
    let mut b = Browser::new(&s);

    // The provider choice offers the cloud certificate next to the app.
    let (st, html, _) = b
        .get(&format!("/login/{}?state=st-c", party.client_code))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("dojang 금융인증서(클라우드)"), "{html}");
    let cloud_form = format!("/login/{}/form?via=cloud&#38;state=st-c", party.client_code);
    assert!(html.contains(&cloud_form), "{html}");
    assert_eq!(
        html.matches("aria-disabled=\"true\"").count(),
        4,
        "only the four other providers are greyed out"
    );

    // The form says which way was chosen and carries it.
    let (st, html, _) = b
        .get(&format!(
            "/login/{}/form?via=cloud&state=st-c",
            party.client_code
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"via-cloud\""));
    assert!(html.contains("name=\"via\" value=\"cloud\""));
    assert!(!html.contains("id=\"push-where\""), "no push talk");
    let token = csrf(&html);
    let (st, _, loc) = b
        .post(
            &format!("/login/{}/form", party.client_code),
            &[
                ("_csrf", &token),
                ("state", "st-c"),
                ("via", "cloud"),
                ("name", NAME),
                ("phone", "010-1234-5678"),
                ("birthday", BIRTH),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let steps = loc.unwrap();
    assert!(
        steps.starts_with("/login/s/") && steps.ends_with("?via=cloud"),
        "{steps}"
    );
    let session = steps.trim_end_matches("?via=cloud").to_owned();

    // The steps page: the way to answer in this browser, no number to match.
    let (st, html, _) = b.get(&steps).await;
    assert_eq!(st, StatusCode::OK);
    let receipt = cloud_receipt(&html);
    assert!(!html.contains("id=\"binding-code\""));
    assert!(
        html.contains("id=\"cloud-noscript\""),
        "says it needs JavaScript"
    );
    assert!(
        html.contains(&format!("action=\"{session}/done?via=cloud\"")),
        "the no-script button keeps the choice"
    );
    assert!(html.contains(&format!("href=\"{session}\" id=\"switch\"")));
    let consents = s.state().store.consents(None, None, 10).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].receipt_id, receipt, "the login's own request");
    let (_, en, _) = b.get(&format!("{steps}&lang=en")).await;
    assert!(en.contains("Open dojang cloud certificate"), "{en}");
    assert!(en.contains(&format!("/cloud?lang=en#receipt={receipt}")));

    // Not answered yet: "I have confirmed" goes back to the cloud steps.
    let (st, _, loc) = b.get(&format!("{session}/done?via=cloud")).await;
    assert_eq!(
        (st, loc.as_deref()),
        (StatusCode::SEE_OTHER, Some(steps.as_str()))
    );

    // Live state while the browser answers.
    let res = b
        .http
        .get(format!("{}{session}/events", b.base))
        .header(COOKIE, b.cookie_header())
        .send()
        .await
        .unwrap();
    let mut events = res.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("data: waiting") {
        seen.push_str(&String::from_utf8_lossy(
            &events.next().await.unwrap().unwrap(),
        ));
    }

    // dojang's cloud page shows the card of exactly this request.
    let view = format!("/cloud/v1/requests/{receipt}");
    let (card, viewed) = cloud
        .call_with(&cloud.key, &view, "view", &receipt, json!({}))
        .await;
    assert_eq!(card.status, 200, "{:?}", card.body);
    assert!(
        card.body.to_string().contains("서울시 복지포털"),
        "{:?}",
        card.body
    );

    // Attacks: a wrong PIN, another key, a proof for another action or receipt, a replayed
    // challenge — none signs; the request stays waiting.
    let approve = format!("/cloud/v1/requests/{receipt}/approve");
    let wrong = cloud
        .call(&approve, "approve", &receipt, json!({ "pin": "975310" }))
        .await;
    assert_eq!(
        wrong.code(),
        ErrorCode::CloudPinWrong.code(),
        "{:?}",
        wrong.body
    );
    let stranger_key = SigningKey::generate_from_rng(&mut rand::rng());
    let (other_key, _) = cloud
        .call_with(
            &stranger_key,
            &approve,
            "approve",
            &receipt,
            json!({ "pin": PIN }),
        )
        .await;
    assert_eq!(
        other_key.code(),
        ErrorCode::CloudBrowserSignatureInvalid.code()
    );
    let as_view = cloud
        .call(&approve, "view", &receipt, json!({ "pin": PIN }))
        .await;
    assert_eq!(
        as_view.code(),
        ErrorCode::CloudBrowserSignatureInvalid.code(),
        "a view proof does not approve"
    );
    let (for_other, _) = cloud
        .call_with(
            &cloud.key,
            &approve,
            "approve",
            "00000000000000000000000000000000",
            json!({ "pin": PIN }),
        )
        .await;
    assert_eq!(
        for_other.code(),
        ErrorCode::CloudBrowserSignatureInvalid.code(),
        "a proof for another receipt"
    );
    let again = post(&cloud.http, format!("{}{view}", cloud.base), &viewed).await;
    assert_eq!(
        again.code(),
        ErrorCode::CloudChallengeInvalid.code(),
        "a challenge is used once"
    );
    let st = s
        .client(&party)
        .get_verify_auth_state(&receipt)
        .await
        .unwrap();
    assert_eq!(st.state, 0, "still waiting");

    // Another person's cloud certificate cannot answer this person's login.
    let other = issue_cloud(&s, "김철수", "01098765432", "19850505").await;
    let theirs = other
        .call(&approve, "approve", &receipt, json!({ "pin": PIN }))
        .await;
    assert_eq!(
        theirs.code(),
        ErrorCode::DeviceRequestNotFound.code(),
        "{:?}",
        theirs.body
    );

    // The holder approves: the HSM signs, the page hears "signed".
    let ok = cloud
        .call(&approve, "approve", &receipt, json!({ "pin": PIN }))
        .await;
    assert_eq!(
        (ok.status, ok.body["state"].as_i64()),
        (200, Some(1)),
        "{:?}",
        ok.body
    );
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("data: signed") {
        let chunk = tokio::time::timeout_at(until, events.next()).await.unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
    }
    // A second approval of the answered request is refused.
    let twice = cloud
        .call(&approve, "approve", &receipt, json!({ "pin": PIN }))
        .await;
    assert_eq!(twice.status / 100, 4, "{:?}", twice.body);

    // The steps page moves on; back to the relying party with the one-time code.
    let (st, _, loc) = b.get(&steps).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let done = loc.unwrap();
    let (st, html, _) = b.get(&done).await;
    assert_eq!(st, StatusCode::OK);
    let back = url::Url::parse(&return_link(&html)).unwrap();
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st-c");

    // The relying party exchanges it as today, and gets the CMS of the cloud certificate.
    let got = s
        .client(&party)
        .exchange_login_page_code(&q["code"])
        .await
        .unwrap();
    assert_eq!(got.state, "st-c");
    assert_eq!(got.result.receipt_id, receipt);
    assert_eq!(got.result.receiver_name, NAME);
    assert_eq!(got.result.receiver_hp, PHONE);
    let der = STANDARD
        .decode(got.result.signed_data.as_deref().unwrap())
        .unwrap();
    let checked = s
        .state()
        .verifier
        .verify_attached(&der, s.state().clock.now())
        .unwrap();
    assert_eq!(
        checked.content,
        got.result.token.as_deref().unwrap().as_bytes()
    );
    assert!(
        contains(&der, &oid_der(dojang_pki::CLOUD_POLICY_OID)),
        "the signer's certificate carries the cloud policy"
    );
    let again = s
        .client(&party)
        .exchange_login_page_code(&q["code"])
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::LoginCodeInvalid.code());
}

#[tokio::test]
async fn without_an_hsm_the_cloud_option_is_not_offered() {
    let s = TestServer::start().await;
    if crate::login_cloud::offered(&s) {
        eprintln!("skipped: this test server has cloud certificates");
        return;
    }
    let party = s.add_party("서울시 복지포털").await;
    register(&s, &party, BACK).await;
    let mut b = Browser::new(&s);
    let (_, html, _) = b.get(&format!("/login/{}", party.client_code)).await;
    assert!(html.contains("dojang 금융인증서(클라우드)"));
    assert!(!html.contains("via=cloud"));
    assert_eq!(html.matches("aria-disabled=\"true\"").count(), 5);
    // Asking for it anyway gets the app's form and steps.
    let (st, html, _) = b
        .get(&format!("/login/{}/form?via=cloud", party.client_code))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("name=\"via\""));
    assert!(html.contains("id=\"push-where\""));
}

/// Whether `s` offers cloud certificates.
pub(crate) fn offered(s: &TestServer) -> bool {
    s.state().hsm.is_some()
}

/// The DER encoding of a dotted OID (tag, length, body).
fn oid_der(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = vec![u8::try_from(arcs[0] * 40 + arcs[1]).unwrap()];
    for &arc in &arcs[2..] {
        let mut bytes = vec![u8::try_from(arc & 0x7f).unwrap()];
        let mut rest = arc >> 7;
        while rest > 0 {
            bytes.push(u8::try_from(rest & 0x7f).unwrap() | 0x80);
            rest >>= 7;
        }
        bytes.reverse();
        body.extend(bytes);
    }
    let mut out = vec![0x06, u8::try_from(body.len()).unwrap()];
    out.extend(body);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
