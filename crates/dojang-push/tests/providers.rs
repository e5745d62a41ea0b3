#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail the test
//! Each sender against its local receiver, over real HTTP (HTTP/2 for APNs): what is delivered,
//! and what the receiver refuses (tampered, wrong-key and expired JWTs, gone and rate-limited
//! subscriptions, oversize payloads).

use std::time::Duration;

use dojang_push::apns::{Apns, ApnsConfig};
use dojang_push::fcm::{Fcm, ServiceAccount};
use dojang_push::testing::{ApnsService, FcmService, WebPushService};
use dojang_push::webpush::{self, MAX_PAYLOAD, VapidKey, WebPush};
use dojang_push::{Message, PushError, PushProvider, Target, Urgency, b64, default_client};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};

fn message(payload: &[u8]) -> Message {
    Message {
        payload: payload.to_vec(),
        ttl: Duration::from_secs(120),
        urgency: Urgency::High,
        topic: Some("abcDEF-_123".into()),
    }
}

fn sender(key: &VapidKey) -> WebPush {
    WebPush::new(
        key.clone(),
        "mailto:ops@example.com",
        default_client(Duration::from_secs(5)).unwrap(),
    )
    .unwrap()
    .allow_http(true)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn web_push_is_delivered_encrypted_with_its_options() {
    let service = WebPushService::start().await.unwrap();
    let key = VapidKey::generate();
    let sub = service.subscribe(&key.public_key());
    sender(&key)
        .send(&sub.target(), &message(br#"{"type":"request"}"#))
        .await
        .unwrap();
    let got = service.received(&sub.id);
    assert_eq!(got.len(), 1, "{:?}", service.refusals());
    assert_eq!(got[0].plaintext, br#"{"type":"request"}"#);
    assert_eq!(got[0].ttl, 120);
    assert_eq!(got[0].urgency, Some(Urgency::High));
    assert_eq!(got[0].topic.as_deref(), Some("abcDEF-_123"));
    assert_eq!(got[0].subject, "mailto:ops@example.com");
    // Without a topic, and with a zero TTL, it still goes.
    let mut m = message(b"x");
    m.topic = None;
    m.ttl = Duration::ZERO;
    m.urgency = Urgency::Normal;
    sender(&key).send(&sub.target(), &m).await.unwrap();
    let got = service.received(&sub.id);
    assert_eq!((got[1].ttl, got[1].topic.clone()), (0, None));
    assert!(service.refusals().is_empty());
}

#[tokio::test]
async fn web_push_with_another_vapid_key_is_refused() {
    let service = WebPushService::start().await.unwrap();
    let key = VapidKey::generate();
    let sub = service.subscribe(&key.public_key());
    let err = sender(&VapidKey::generate())
        .send(&sub.target(), &message(b"x"))
        .await
        .unwrap_err();
    assert_eq!(err, PushError::Rejected(403));
    assert_eq!(
        service.refusals(),
        ["403: k is not the key the subscription was made with"]
    );
    assert!(service.received(&sub.id).is_empty());
}

/// Posts one encrypted message with a hand-made `Authorization`.
async fn raw(
    service: &WebPushService,
    sub: &dojang_push::testing::TestSubscription,
    authorization: String,
) -> u16 {
    let (public, auth) = webpush::check_keys(&sub.p256dh, &sub.auth).unwrap();
    let body = webpush::encrypt(&public, &auth, b"x").unwrap();
    let _ = service;
    reqwest::Client::new()
        .post(&sub.endpoint)
        .header("Authorization", authorization)
        .header("TTL", "60")
        .header("Content-Encoding", "aes128gcm")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn web_push_jwts_tampered_expired_too_long_or_for_another_origin_are_refused() {
    let service = WebPushService::start().await.unwrap();
    let key = VapidKey::generate();
    let sub = service.subscribe(&key.public_key());
    let good = key
        .authorization(service.origin(), "mailto:a@b.c", now() + 600)
        .unwrap();
    assert_eq!(raw(&service, &sub, good.clone()).await, 201);

    // One byte of the claims changed: the signature no longer holds.
    let jwt = good
        .strip_prefix("vapid t=")
        .unwrap()
        .split(", k=")
        .next()
        .unwrap();
    let k = good.split(", k=").nth(1).unwrap();
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut claims = b64::decode(&parts[1]).unwrap();
    let pos = claims.iter().position(|&c| c == b'a').unwrap();
    claims[pos] = b'A';
    parts[1] = b64::encode(claims);
    assert_eq!(
        raw(
            &service,
            &sub,
            format!("vapid t={}, k={k}", parts.join("."))
        )
        .await,
        401
    );

    // Signed by another key but claiming the subscription's key.
    let other = VapidKey::generate()
        .authorization(service.origin(), "mailto:a@b.c", now() + 600)
        .unwrap();
    let other_jwt = other
        .strip_prefix("vapid t=")
        .unwrap()
        .split(", k=")
        .next()
        .unwrap();
    assert_eq!(
        raw(&service, &sub, format!("vapid t={other_jwt}, k={k}")).await,
        401
    );

    // Expired, more than 24 h ahead, another origin, a subject that is no URI.
    for (aud, sub_claim, exp) in [
        (service.origin().to_owned(), "mailto:a@b.c", now() - 1),
        (
            service.origin().to_owned(),
            "mailto:a@b.c",
            now() + 25 * 3600,
        ),
        (
            "https://push.example.net".to_owned(),
            "mailto:a@b.c",
            now() + 600,
        ),
        (service.origin().to_owned(), "ops", now() + 600),
    ] {
        let a = key.authorization(&aud, sub_claim, exp).unwrap();
        assert_eq!(raw(&service, &sub, a).await, 401);
    }
    // Not VAPID at all.
    assert_eq!(raw(&service, &sub, "WebPush abc".into()).await, 401);
    assert_eq!(
        service.refusals(),
        [
            "401: jwt: bad signature",
            "401: jwt: bad signature",
            "401: exp in the past",
            "401: exp more than 24 hours ahead",
            "401: aud is not this origin",
            "401: sub is not a mailto: or https: URI",
            "401: no vapid authorization",
        ]
    );
    assert_eq!(service.received(&sub.id).len(), 1);
}

#[tokio::test]
async fn a_sender_whose_jwts_live_over_24_hours_is_refused() {
    let service = WebPushService::start().await.unwrap();
    let key = VapidKey::generate();
    let sub = service.subscribe(&key.public_key());
    let err = sender(&key)
        .jwt_lifetime(Duration::from_secs(25 * 3600))
        .send(&sub.target(), &message(b"x"))
        .await
        .unwrap_err();
    assert_eq!(err, PushError::Rejected(401));
}

#[tokio::test]
async fn gone_and_rate_limited_subscriptions() {
    let service = WebPushService::start().await.unwrap();
    let key = VapidKey::generate();
    let s = sender(&key);
    for status in [404, 410] {
        let sub = service.subscribe(&key.public_key());
        service.answer(&sub.id, Some((status, None)));
        assert_eq!(
            s.send(&sub.target(), &message(b"x")).await,
            Err(PushError::Gone)
        );
    }
    let sub = service.subscribe(&key.public_key());
    service.answer(&sub.id, Some((429, Some(90))));
    assert_eq!(
        s.send(&sub.target(), &message(b"x")).await,
        Err(PushError::RateLimited {
            retry_after: Some(Duration::from_secs(90))
        })
    );
    service.answer(&sub.id, None);
    s.send(&sub.target(), &message(b"x")).await.unwrap();
    // An endpoint the service never issued.
    let mut t = sub.target();
    if let Target::WebPush { endpoint, .. } = &mut t {
        endpoint.push_str("nope");
    }
    assert_eq!(s.send(&t, &message(b"x")).await, Err(PushError::Gone));
}

#[tokio::test]
async fn oversize_payloads_and_bad_targets_are_invalid_before_sending() {
    let service = WebPushService::start().await.unwrap();
    let key = VapidKey::generate();
    let sub = service.subscribe(&key.public_key());
    let s = sender(&key);
    s.send(&sub.target(), &message(&[b'x'; MAX_PAYLOAD]))
        .await
        .unwrap();
    assert!(matches!(
        s.send(&sub.target(), &message(&[b'x'; MAX_PAYLOAD + 1]))
            .await,
        Err(PushError::Invalid(_))
    ));
    let mut bad_topic = message(b"x");
    bad_topic.topic = Some("has space".into());
    assert!(matches!(
        s.send(&sub.target(), &bad_topic).await,
        Err(PushError::Invalid(_))
    ));
    // https only, unless told otherwise
    let strict = WebPush::new(
        key.clone(),
        "mailto:a@b.c",
        default_client(Duration::from_secs(5)).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        strict.send(&sub.target(), &message(b"x")).await,
        Err(PushError::Invalid(_))
    ));
    assert!(WebPush::new(key.clone(), "ops", reqwest::Client::new()).is_err());
    // a body over 4096 bytes sent anyway is refused by the service
    let (public, auth) = webpush::check_keys(&sub.p256dh, &sub.auth).unwrap();
    let mut body = webpush::encrypt(&public, &auth, b"x").unwrap();
    body.resize(4097, 0);
    let status = reqwest::Client::new()
        .post(&sub.endpoint)
        .header(
            "Authorization",
            key.authorization(service.origin(), "mailto:a@b.c", now() + 60)
                .unwrap(),
        )
        .header("TTL", "60")
        .header("Content-Encoding", "aes128gcm")
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 413);
    assert_eq!(service.refusals(), ["413: body over 4096 bytes"]);
    assert_eq!(service.received(&sub.id).len(), 1);
}

fn rsa_key() -> (String, Vec<u8>) {
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
    let der = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(der)
        .unwrap();
    let kp = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    use ring::signature::KeyPair as _;
    (pem, kp.public_key().as_ref().to_vec())
}

fn account(pem: &str, token_uri: String) -> ServiceAccount {
    ServiceAccount::from_json(
        &serde_json::json!({
            "type": "service_account",
            "project_id": "dojang-test",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "push@dojang-test.iam.gserviceaccount.com",
            "token_uri": token_uri,
        })
        .to_string(),
    )
    .unwrap()
}

#[tokio::test]
async fn fcm_gets_a_token_once_and_sends_then_maps_unregistered_and_429() {
    let (pem, public) = rsa_key();
    let service = FcmService::start(
        "dojang-test",
        "push@dojang-test.iam.gserviceaccount.com",
        public,
    )
    .await
    .unwrap();
    let fcm = Fcm::new(
        account(&pem, service.token_uri()),
        service.base(),
        reqwest::Client::new(),
    )
    .unwrap();
    service.register("tok-1");
    let t = Target::Fcm {
        token: "tok-1".into(),
    };
    fcm.send(&t, &message(br#"{"type":"request"}"#))
        .await
        .unwrap();
    fcm.send(&t, &message(b"second")).await.unwrap();
    assert_eq!(service.tokens_issued(), 1, "the access token is cached");
    let got = service.received();
    assert_eq!(got.len(), 2, "{:?}", service.refusals());
    assert_eq!(got[0]["token"], "tok-1");
    assert_eq!(got[0]["data"]["payload"], r#"{"type":"request"}"#);
    assert_eq!(got[0]["android"]["ttl"], "120s");
    assert_eq!(got[0]["android"]["priority"], "HIGH");
    assert_eq!(got[0]["android"]["collapse_key"], "abcDEF-_123");

    service.unregister("tok-1");
    assert_eq!(fcm.send(&t, &message(b"x")).await, Err(PushError::Gone));
    service.register("tok-2");
    service.rate_limit("tok-2", 30);
    assert_eq!(
        fcm.send(
            &Target::Fcm {
                token: "tok-2".into()
            },
            &message(b"x")
        )
        .await,
        Err(PushError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        })
    );
    assert_eq!(
        fcm.send(
            &Target::Fcm {
                token: "never".into()
            },
            &message(b"x")
        )
        .await,
        Err(PushError::Rejected(400))
    );
    assert!(matches!(
        fcm.send(&t, &message(&[b'x'; 5000])).await,
        Err(PushError::Invalid(_))
    ));
}

#[tokio::test]
async fn fcm_refuses_an_assertion_signed_by_another_key() {
    let (pem, _) = rsa_key();
    let (_, other_public) = rsa_key();
    let service = FcmService::start(
        "dojang-test",
        "push@dojang-test.iam.gserviceaccount.com",
        other_public,
    )
    .await
    .unwrap();
    service.register("tok");
    let fcm = Fcm::new(
        account(&pem, service.token_uri()),
        service.base(),
        reqwest::Client::new(),
    )
    .unwrap();
    assert_eq!(
        fcm.send(
            &Target::Fcm {
                token: "tok".into()
            },
            &message(b"x")
        )
        .await,
        Err(PushError::Rejected(400))
    );
    assert_eq!(service.refusals(), ["400: assertion: bad signature"]);
    assert!(service.received().is_empty());
    // and messages:send without a token it issued
    let status = reqwest::Client::new()
        .post(format!(
            "{}/v1/projects/dojang-test/messages:send",
            service.base()
        ))
        .bearer_auth("ya29.forged")
        .json(&serde_json::json!({"message": {"token": "tok"}}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}

const TEAM: &str = "TEAM123456";
const KID: &str = "KEY1234567";
const TOPIC: &str = "dev.dojang.app";

fn apns_key() -> (String, Vec<u8>) {
    let k = p256::ecdsa::SigningKey::generate_from_rng(&mut rand::rng());
    let pem = k.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    (pem, k.verifying_key().to_sec1_bytes().into_vec())
}

fn apns(pem: &str, base: &str) -> Apns {
    Apns::new(
        ApnsConfig {
            team_id: TEAM.into(),
            key_id: KID.into(),
            key_pem: pem.into(),
            topic: TOPIC.into(),
            base_url: base.into(),
        },
        Duration::from_secs(5),
    )
    .unwrap()
}

#[tokio::test]
async fn apns_over_http2_with_its_headers_and_errors() {
    let (pem, public) = apns_key();
    let service = ApnsService::start(TEAM, KID, public, TOPIC).await.unwrap();
    let a = apns(&pem, service.base());
    let token = "a".repeat(64);
    service.register(&token);
    let t = Target::Apns {
        token: token.clone(),
    };
    a.send(
        &t,
        &message(r#"{"type":"request","title":"Bank 인증 요청"}"#.as_bytes()),
    )
    .await
    .unwrap();
    let got = service.received();
    assert_eq!(got.len(), 1, "{:?}", service.refusals());
    assert_eq!(got[0].push_type, "alert");
    assert_eq!(got[0].priority, 10);
    assert_eq!(got[0].collapse_id.as_deref(), Some("abcDEF-_123"));
    assert!((got[0].expiration - now() as i64 - 120).abs() <= 2);
    assert_eq!(got[0].body["aps"]["alert"]["title"], "Bank 인증 요청");
    assert_eq!(got[0].body["dojang"]["type"], "request");

    service.unregister(&token);
    assert_eq!(a.send(&t, &message(b"{}")).await, Err(PushError::Gone));
    let t2 = "b".repeat(64);
    service.register(&t2);
    service.rate_limit(&t2, 5);
    assert_eq!(
        a.send(&Target::Apns { token: t2 }, &message(b"{}")).await,
        Err(PushError::RateLimited {
            retry_after: Some(Duration::from_secs(5))
        })
    );
    // unknown to APNs: BadDeviceToken
    assert!(matches!(
        a.send(&Target::Apns { token: "c".repeat(64) }, &message(b"{}")).await,
        Err(PushError::Invalid(r)) if r == "BadDeviceToken"
    ));
    // not a token at all: refused before sending
    assert!(matches!(
        a.send(
            &Target::Apns {
                token: "xyz".into()
            },
            &message(b"{}")
        )
        .await,
        Err(PushError::Invalid(_))
    ));
}

#[tokio::test]
async fn apns_refuses_another_key_and_old_provider_tokens() {
    let (pem, _) = apns_key();
    let (_, other_public) = apns_key();
    let service = ApnsService::start(TEAM, KID, other_public.clone(), TOPIC)
        .await
        .unwrap();
    let token = "d".repeat(64);
    service.register(&token);
    assert_eq!(
        apns(&pem, service.base())
            .send(
                &Target::Apns {
                    token: token.clone()
                },
                &message(b"{}")
            )
            .await,
        Err(PushError::Rejected(403))
    );
    assert_eq!(service.refusals(), ["403: InvalidProviderToken"]);

    // A provider token issued more than an hour ago, sent by hand over HTTP/2.
    let (pem2, public2) = apns_key();
    let service2 = ApnsService::start(TEAM, KID, public2, TOPIC).await.unwrap();
    service2.register(&token);
    let key =
        <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&pem2).unwrap();
    let input = format!(
        "{}.{}",
        b64::encode(serde_json::json!({"alg":"ES256","kid":KID}).to_string()),
        b64::encode(serde_json::json!({"iss":TEAM,"iat":now() - 3700}).to_string())
    );
    use p256::ecdsa::signature::Signer as _;
    let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
    let old = format!("{input}.{}", b64::encode(sig.to_bytes()));
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = h2
        .post(format!("{}/3/device/{token}", service2.base()))
        .header("authorization", format!("bearer {old}"))
        .header("apns-topic", TOPIC)
        .header("apns-push-type", "alert")
        .header("apns-expiration", "0")
        .body(r#"{"aps":{"alert":"x"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(service2.refusals(), ["403: ExpiredProviderToken"]);
    // HTTP/1.1 is not spoken at all
    assert!(
        reqwest::Client::new()
            .post(format!("{}/3/device/{token}", service2.base()))
            .send()
            .await
            .is_err()
    );
    assert!(service2.received().is_empty());
}
