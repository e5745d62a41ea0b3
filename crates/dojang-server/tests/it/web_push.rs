//! Real push (issue 16): an enrolled device registers a Web Push subscription at a local RFC 8030
//! push-service stand-in (`dojang_push::testing`), a relying party creates a request over the
//! native API, and the stand-in — checking the VAPID JWT against the key the server publishes —
//! decrypts a payload naming that receipt, with the TTL, Urgency and Topic of the contract.
//! Gone subscriptions are dropped, 429 backs off, bad bodies get their codes.

use std::time::Duration;

use base64::Engine as _;
use dojang_client::IdentityRequest;
use dojang_core::Clock;
use dojang_proto::paths;
use dojang_push::Urgency;
use dojang_push::testing::{Received, TestSubscription, WebPushService};
use dojang_testkit::{TestDevice, TestServer};
use serde_json::{Value, json};

use crate::common::*;

async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.push.webpush = true;
        c.push.subject = "mailto:ops@dojang.test".into();
        // The stand-in listens on http://127.0.0.1.
        c.push.insecure_allow_private = true;
    })
    .await
}

async fn vapid(s: &TestServer) -> Vec<u8> {
    let a = answer(
        reqwest::get(format!("{}{}", s.url(), paths::DEVICE_PUSH_VAPID))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(a.body["publicKey"].as_str().unwrap())
        .unwrap();
    assert_eq!((key.len(), key[0]), (65, 4), "an uncompressed P-256 point");
    key
}

async fn post_subscription(s: &TestServer, token: Option<&str>, body: &Value) -> Answer {
    let mut r = reqwest::Client::new()
        .post(format!("{}{}", s.url(), paths::DEVICE_PUSH_SUBSCRIPTION))
        .json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let res = r.send().await.unwrap();
    if res.status() == 204 {
        return Answer {
            status: 204,
            body: Value::Null,
        };
    }
    answer(res).await
}

fn body(sub: &TestSubscription) -> Value {
    json!({"kind": "webpush", "endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}})
}

async fn subscribe(s: &TestServer, device: &TestDevice, sub: &TestSubscription) {
    let a = post_subscription(s, Some(&device.token), &body(sub)).await;
    assert_eq!(a.status, 204, "{:?}", a.body);
}

/// Wait (real time) until the stand-in holds `n` messages for `id`.
async fn received(service: &WebPushService, id: &str, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        let got = service.received(id);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the push service received {:?}, refused {:?}",
        service.received(id),
        service.refusals()
    );
}

async fn subscriptions(s: &TestServer, device: &TestDevice) -> Vec<dojang_store::PushSubscription> {
    s.state()
        .store
        .device_push_subscriptions(device.device_id.parse().unwrap())
        .await
        .unwrap()
}

fn request(token: &str) -> IdentityRequest {
    IdentityRequest::new(NAME, PHONE, BIRTH, token, "로그인", 300)
}

const NAME: &str = "김푸시";
const PHONE: &str = "01055501600";
const BIRTH: &str = "19880808";

#[tokio::test]
async fn a_new_request_reaches_the_subscribed_device_encrypted_with_ttl_urgency_and_topic() {
    let s = server().await;
    let service = WebPushService::start().await.unwrap();
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    // The browser subscribes with the server's published key; the service binds them.
    let sub = service.subscribe(&vapid(&s).await);
    subscribe(&s, &device, &sub).await;

    let party = s.add_party("푸시은행").await;
    let t0 = s.clock().now();
    let r = s
        .client(&party)
        .request_verify_auth(&request("t1"))
        .await
        .unwrap();
    let got = received(&service, &sub.id, 1).await;
    let payload: Value = serde_json::from_slice(&got[0].plaintext).unwrap();
    let expires = (t0 + Duration::from_secs(300))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(payload["type"], "request");
    assert_eq!(payload["receiptId"], r.receipt_id.as_str());
    assert_eq!(payload["title"], "푸시은행 인증 요청");
    let at = time::OffsetDateTime::parse(
        payload["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(at.unix_timestamp(), t0.unix_timestamp() + 300, "{expires}");
    // No personal data of the person: four fields, none of them the name, phone or birth date.
    assert_eq!(payload.as_object().unwrap().len(), 4);
    let text = String::from_utf8_lossy(&got[0].plaintext).into_owned();
    for personal in [NAME, PHONE, BIRTH] {
        assert!(!text.contains(personal), "{text}");
    }
    assert_eq!(got[0].ttl, 300, "seconds until the request expires");
    assert_eq!(got[0].urgency, Some(Urgency::High));
    let digest = ring::digest::digest(&ring::digest::SHA256, r.receipt_id.as_bytes());
    let topic = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    assert_eq!(got[0].topic.as_deref(), Some(&topic[..32]));
    assert_eq!(got[0].subject, "mailto:ops@dojang.test");
    assert!(service.refusals().is_empty(), "{:?}", service.refusals());

    // Registering again replaces the subscription: only the new one receives.
    let sub2 = service.subscribe(&vapid(&s).await);
    subscribe(&s, &device, &sub2).await;
    assert_eq!(subscriptions(&s, &device).await.len(), 1);
    let party2 = s.add_party("두번째").await;
    s.client(&party2)
        .request_verify_auth(&request("t2"))
        .await
        .unwrap();
    received(&service, &sub2.id, 1).await;
    assert_eq!(service.received(&sub.id).len(), 1);
}

#[tokio::test]
async fn a_gone_subscription_is_dropped_and_a_rate_limited_one_backs_off() {
    let s = server().await;
    let service = WebPushService::start().await.unwrap();
    let key = vapid(&s).await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;

    // 410: dropped.
    let sub = service.subscribe(&key);
    subscribe(&s, &device, &sub).await;
    service.answer(&sub.id, Some((410, None)));
    let p1 = s.add_party("하나").await;
    s.client(&p1)
        .request_verify_auth(&request("a"))
        .await
        .unwrap();
    for _ in 0..200 {
        if subscriptions(&s, &device).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        subscriptions(&s, &device).await.is_empty(),
        "a 410 drops the subscription"
    );
    assert_eq!(service.refusals(), ["410: as told"]);

    // 429 with Retry-After: 120 s stored; nothing is sent before then.
    let sub = service.subscribe(&key);
    subscribe(&s, &device, &sub).await;
    service.answer(&sub.id, Some((429, Some(120))));
    let p2 = s.add_party("둘").await;
    s.client(&p2)
        .request_verify_auth(&request("b"))
        .await
        .unwrap();
    let t = s.clock().now();
    let mut stored = None;
    for _ in 0..200 {
        stored = subscriptions(&s, &device).await.pop();
        if stored
            .as_ref()
            .is_some_and(|x| x.retry_after.is_some() && x.failures > 0)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = stored.unwrap();
    assert_eq!(stored.retry_after, Some(t + Duration::from_secs(120)));
    assert_eq!(stored.failures, 1);
    service.answer(&sub.id, None);
    let p3 = s.add_party("셋").await;
    s.client(&p3)
        .request_verify_auth(&request("c"))
        .await
        .unwrap();
    // The send is spawned: give it time to (not) happen.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        service.received(&sub.id).is_empty(),
        "sent during the back-off"
    );
    assert_eq!(service.refusals().len(), 2, "{:?}", service.refusals());

    // After it, delivered again, and the counters are cleared.
    s.clock().advance(Duration::from_secs(121));
    let p4 = s.add_party("넷").await;
    s.client(&p4)
        .request_verify_auth(&request("d"))
        .await
        .unwrap();
    received(&service, &sub.id, 1).await;
    for _ in 0..200 {
        let x = subscriptions(&s, &device).await.pop().unwrap();
        if x.failures == 0 && x.retry_after.is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("counters not cleared after a delivery");
}

#[tokio::test]
async fn bad_subscription_bodies_get_their_codes_and_delete_drops_only_ones_own() {
    let s = server().await;
    let service = WebPushService::start().await.unwrap();
    let key = vapid(&s).await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let other = s.enrol("남기기", "01055501601", "19900101").await;
    let sub = service.subscribe(&key);
    let good = body(&sub);
    let with = |path: &str, v: Value| {
        let mut b = good.clone();
        b.pointer_mut(path).map(|x| *x = v.clone()).unwrap();
        b
    };
    let short_auth = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0u8; 15]);
    let cases: Vec<(Value, i64)> = vec![
        (json!({}), -10700003),
        (json!({"kind": "sms"}), -10700003),
        (json!({"kind": "fcm", "token": "x"}), -10700002),
        (json!({"kind": "apns", "token": "ab"}), -10700002),
        (json!({"kind": "webpush", "keys": good["keys"]}), -10700004),
        (with("/endpoint", json!("not a url")), -10700004),
        (with("/endpoint", json!("ftp://push.example/x")), -10700004),
        (
            with("/endpoint", json!("https://user:pw@push.example/x")),
            -10700004,
        ),
        (
            json!({"kind": "webpush", "endpoint": sub.endpoint}),
            -10700005,
        ),
        (with("/keys/p256dh", json!("BAAA")), -10700005),
        (with("/keys/p256dh", json!("!!!")), -10700005),
        (with("/keys/auth", json!(short_auth)), -10700005),
    ];
    for (b, code) in cases {
        let a = post_subscription(&s, Some(&device.token), &b).await;
        assert_eq!((a.status, a.code()), (400, code), "{b}");
    }
    // Wrong JSON types are the body's own codes (naming the field), not a 500.
    let a = post_subscription(
        &s,
        Some(&device.token),
        &json!({"kind": "webpush", "keys": "x"}),
    )
    .await;
    assert_eq!(
        (a.status, a.code()),
        (400, dojang_proto::ErrorCode::FieldType.code())
    );
    // Without a device credential, or with a made-up one.
    let a = post_subscription(&s, None, &good).await;
    assert_eq!(a.status, 401);
    let a = post_subscription(&s, Some("nope.nope"), &good).await;
    assert_eq!(a.status, 401);
    assert!(subscriptions(&s, &device).await.is_empty());

    // DELETE drops the caller's subscriptions only.
    subscribe(&s, &device, &sub).await;
    subscribe(&s, &other, &service.subscribe(&key)).await;
    let res = reqwest::Client::new()
        .delete(format!("{}{}", s.url(), paths::DEVICE_PUSH_SUBSCRIPTION))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(subscriptions(&s, &device).await.is_empty());
    assert_eq!(subscriptions(&s, &other).await.len(), 1);
}

#[tokio::test]
async fn without_web_push_the_key_is_404_and_subscriptions_are_refused() {
    let s = TestServer::start().await;
    let a = answer(
        reqwest::get(format!("{}{}", s.url(), paths::DEVICE_PUSH_VAPID))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((a.status, a.code()), (404, -10700001));
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let b = json!({"kind": "webpush", "endpoint": "https://push.example/x",
        "keys": {"p256dh": "x", "auth": "y"}});
    let a = post_subscription(&s, Some(&device.token), &b).await;
    assert_eq!((a.status, a.code()), (400, -10700002));
}

#[tokio::test]
async fn private_endpoints_are_refused_unless_allowed() {
    let s = TestServer::start_with(|c| {
        c.push.webpush = true;
        c.push.subject = "mailto:ops@dojang.test".into();
    })
    .await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let service = WebPushService::start().await.unwrap();
    let sub = service.subscribe(&vapid(&s).await);
    // http://127.0.0.1 — neither https nor public.
    let a = post_subscription(&s, Some(&device.token), &body(&sub)).await;
    assert_eq!((a.status, a.code()), (400, -10700004));
    let mut b = body(&sub);
    b["endpoint"] = json!(sub.endpoint.replace("http://", "https://"));
    let a = post_subscription(&s, Some(&device.token), &b).await;
    assert_eq!((a.status, a.code()), (400, -10700004), "https to loopback");
    b["endpoint"] = json!("https://10.0.0.8/push/x");
    let a = post_subscription(&s, Some(&device.token), &b).await;
    assert_eq!(
        (a.status, a.code()),
        (400, -10700004),
        "https to a private address"
    );
}

fn rsa_key() -> (String, Vec<u8>) {
    use ring::signature::KeyPair as _;
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl genpkey");
    assert!(out.status.success());
    let pem = String::from_utf8(out.stdout).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let kp = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    (pem, kp.public_key().as_ref().to_vec())
}

#[tokio::test]
async fn native_apps_get_the_request_through_fcm_and_apns() {
    use dojang_push::testing::{ApnsService, FcmService};
    use p256::pkcs8::EncodePrivateKey as _;
    let dir = tempfile::tempdir().unwrap();
    let email = "push@dojang-it.iam.gserviceaccount.com";
    let (rsa_pem, rsa_public) = rsa_key();
    let fcm = FcmService::start("dojang-it", email, rsa_public)
        .await
        .unwrap();
    let account = dir.path().join("sa.json");
    std::fs::write(
        &account,
        json!({"type": "service_account", "project_id": "dojang-it", "client_email": email,
            "private_key": rsa_pem, "token_uri": fcm.token_uri()})
        .to_string(),
    )
    .unwrap();
    let apns_key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let apns = ApnsService::start(
        "TEAM123456",
        "KEY1234567",
        apns_key.verifying_key().to_sec1_bytes().into_vec(),
        "dev.dojang.app",
    )
    .await
    .unwrap();
    let p8 = dir.path().join("AuthKey.p8");
    std::fs::write(
        &p8,
        apns_key
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let (fcm_base, apns_base) = (fcm.base().to_owned(), apns.base().to_owned());
    let s = TestServer::start_with(move |c| {
        c.push.fcm = Some(dojang_server::config::FcmPushConfig {
            service_account: account,
            api_base: fcm_base,
        });
        c.push.apns = Some(dojang_server::config::ApnsPushConfig {
            team_id: "TEAM123456".into(),
            key_id: "KEY1234567".into(),
            key: p8,
            topic: "dev.dojang.app".into(),
            base_url: apns_base,
        });
    })
    .await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let apns_token = "ab".repeat(32);
    fcm.register("fcm-token-1");
    apns.register(&apns_token);
    for b in [
        json!({"kind": "fcm", "token": "fcm-token-1"}),
        json!({"kind": "apns", "token": apns_token}),
    ] {
        let a = post_subscription(&s, Some(&device.token), &b).await;
        assert_eq!(a.status, 204, "{:?}", a.body);
    }
    for (b, code) in [
        (json!({"kind": "apns", "token": "xyz"}), -10700006),
        (json!({"kind": "fcm", "token": ""}), -10700006),
        (json!({"kind": "fcm"}), -10700006),
        (
            json!({"kind": "webpush", "endpoint": "https://push.example/x"}),
            -10700002,
        ),
    ] {
        let a = post_subscription(&s, Some(&device.token), &b).await;
        assert_eq!((a.status, a.code()), (400, code), "{b}");
    }
    let party = s.add_party("네이티브은행").await;
    let r = s
        .client(&party)
        .request_verify_auth(&request("n1"))
        .await
        .unwrap();
    for _ in 0..200 {
        if !fcm.received().is_empty() && !apns.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let f = fcm.received();
    assert_eq!(f.len(), 1, "{:?}", fcm.refusals());
    let payload: Value = serde_json::from_str(f[0]["data"]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["receiptId"], r.receipt_id.as_str());
    assert_eq!(f[0]["android"]["ttl"], "300s");
    assert_eq!(f[0]["android"]["priority"], "HIGH");
    let a = apns.received();
    assert_eq!(a.len(), 1, "{:?}", apns.refusals());
    assert_eq!(a[0].body["aps"]["alert"]["title"], "네이티브은행 인증 요청");
    assert_eq!(a[0].body["dojang"]["receiptId"], r.receipt_id.as_str());
    assert_eq!(a[0].priority, 10);
    // an uninstalled Android app: dropped
    fcm.unregister("fcm-token-1");
    let p2 = s.add_party("둘째").await;
    s.client(&p2)
        .request_verify_auth(&request("n2"))
        .await
        .unwrap();
    for _ in 0..200 {
        if subscriptions(&s, &device).await.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left = subscriptions(&s, &device).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, "apns");
}

/// Before a certificate (seed 000; the phone app's login without one, docs/app.md): a device
/// that only logged in — over HTTP, the SMS code read from the outbox — may subscribe to Web
/// Push, and a request for the person reaches its subscription. The certificate's device then
/// supersedes the login: the login's credential can no longer subscribe, and its subscription
/// is no longer sent to (the phone app posts its subscription again with the new credential).
#[tokio::test]
async fn a_device_logged_in_without_a_certificate_gets_the_push_until_a_certificate_replaces_it() {
    let (name, phone, birth) = ("이로그", "01055501700", "19910101");
    let s = server().await;
    let service = WebPushService::start().await.unwrap();
    let http = reqwest::Client::new();
    let started = answer(
        http.post(format!("{}{}", s.url(), paths::DEVICE_ENROLMENTS))
            .json(&json!({"name": name, "phone": phone, "birthday": birth}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    let id = started.body["enrolmentID"].as_str().unwrap().to_owned();
    let code = s.last_code(phone).await;
    let login = answer(
        http.post(format!(
            "{}{}",
            s.url(),
            paths::DEVICE_ENROLMENT_LOGIN.replace("{enrolment_id}", &id)
        ))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    assert_eq!(login.body["hasCertificate"], false);
    let guest = login.body["deviceToken"].as_str().unwrap().to_owned();

    let sub = service.subscribe(&vapid(&s).await);
    let a = post_subscription(&s, Some(&guest), &body(&sub)).await;
    assert_eq!(
        a.status, 204,
        "a device without a certificate may subscribe: {:?}",
        a.body
    );
    let party = s.add_party("로그인은행").await;
    let r = s
        .client(&party)
        .request_verify_auth(&IdentityRequest::new(
            name,
            phone,
            birth,
            "g1",
            "첫 요청",
            300,
        ))
        .await
        .unwrap();
    let got = received(&service, &sub.id, 1).await;
    let payload: Value = serde_json::from_slice(&got[0].plaintext).unwrap();
    assert_eq!(payload["receiptId"], r.receipt_id.as_str());

    // A certificate is issued (the app does it inside the first card): the login is superseded.
    let device = s.enrol(name, phone, birth).await;
    let again = post_subscription(&s, Some(&guest), &body(&sub)).await;
    assert_eq!(
        (again.status, again.code()),
        (401, -10400002),
        "{:?}",
        again.body
    );
    let party2 = s.add_party("두번째은행").await;
    s.client(&party2)
        .request_verify_auth(&IdentityRequest::new(
            name,
            phone,
            birth,
            "g2",
            "둘째 요청",
            300,
        ))
        .await
        .unwrap();
    // The enrolled device subscribes anew and receives; the login's subscription does not.
    let sub2 = service.subscribe(&vapid(&s).await);
    subscribe(&s, &device, &sub2).await;
    let party3 = s.add_party("세번째은행").await;
    s.client(&party3)
        .request_verify_auth(&IdentityRequest::new(
            name,
            phone,
            birth,
            "g3",
            "셋째 요청",
            300,
        ))
        .await
        .unwrap();
    received(&service, &sub2.id, 1).await;
    assert_eq!(
        service.received(&sub.id).len(),
        1,
        "nothing more to the login's subscription"
    );
}
