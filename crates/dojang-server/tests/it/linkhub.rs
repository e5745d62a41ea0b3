//! The LinkHub token service on dojang, driven by `dojang_client::linkhub` and by raw requests
//! for what an SDK would never send.

use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine as _;
use dojang_client::ErrorCode;
use dojang_client::linkhub::{BAROCERT, KAKAOCERT, LinkHubAuth};
use dojang_core::Clock;
use dojang_proto::linkhub;
use dojang_testkit::TestServer;

/// Where the tests' requests come from (tokens are bound to it).
const LOCALHOST: Option<std::net::IpAddr> =
    Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

fn auth(s: &TestServer, link_id: &str, secret: &str) -> LinkHubAuth {
    LinkHubAuth::new(&s.url(), link_id, secret).unwrap()
}

fn code(e: &dojang_client::Error) -> i64 {
    e.code()
}

#[tokio::test]
async fn time_is_the_bare_utc_second() {
    let s = TestServer::start().await;
    let res = reqwest::get(format!("{}/Time", s.url())).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    assert_eq!(text.len(), "2024-01-02T03:04:05Z".len(), "{text:?}");
    assert!(!text.ends_with('\n'));
    assert_eq!(text, linkhub::format_time(s.clock().now()));
    s.stop().await;
}

#[tokio::test]
async fn tokens_for_barocert_and_kakaocert() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let a = auth(&s, &party.link_id, &party.secret);
    let t = a.barocert_token().await.unwrap();
    assert_eq!(t.service_id, BAROCERT);
    assert_eq!(t.link_id, party.link_id);
    assert_eq!(t.usercode, party.client_code);
    assert_eq!(t.scope.len(), 19);
    // Exactly three fraction digits, an hour ahead of the server clock.
    assert_eq!(t.expiration.len(), "2024-01-02T03:04:05.000Z".len());
    let exp = linkhub::parse_date(&t.expiration).unwrap();
    assert_eq!(
        (exp - s.clock().now()).whole_seconds(),
        3600,
        "{}",
        t.expiration
    );
    // Python's barocert sends x-lh-forwarded: *, which is signed as its own line.
    let t2 = a
        .token(BAROCERT, None, &["partner", "401"], Some("*"))
        .await
        .unwrap();
    assert_eq!(t2.scope, ["partner", "401"]);
    // The bearer token authenticates the relying party for barocert calls.
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        format!("Bearer {}", t2.session_token).parse().unwrap(),
    );
    let (rp, claims) =
        dojang_server::http::linkhub::bearer(s.state(), &h, LOCALHOST, BAROCERT, Some("401"))
            .await
            .unwrap();
    assert_eq!(rp.link_id, party.link_id);
    assert_eq!(claims.scopes, ["partner", "401"]);

    let k = a.kakaocert_token(&party.client_code).await.unwrap();
    assert_eq!(k.service_id, KAKAOCERT);
    assert_eq!(k.scope, ["member", "310", "320", "330"]);
    // Java and Node sign with their local clock, with milliseconds.
    let local = a.clone().use_local_time(true);
    local.kakaocert_token(&party.client_code).await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn token_requests_that_must_fail() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let other = s.add_party("다른기관").await;
    let a = auth(&s, &party.link_id, &party.secret);

    let wrong_key = auth(&s, &party.link_id, &other.secret);
    let e = wrong_key.barocert_token().await.unwrap_err();
    assert_eq!(code(&e), ErrorCode::SignatureMismatch.code());
    let e = auth(&s, "RP_NOBODY", &party.secret)
        .barocert_token()
        .await
        .unwrap_err();
    assert_eq!(code(&e), ErrorCode::LinkHubPartnerNotFound.code());
    // Another relying party's client code, or scopes of the other service.
    let e = a.kakaocert_token(&other.client_code).await.unwrap_err();
    assert_eq!(code(&e), ErrorCode::LinkHubTokenRefused.code());
    let e = a
        .token(KAKAOCERT, Some(&party.client_code), &["401"], None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ErrorCode::LinkHubTokenRefused.code());
    let e = a.token(BAROCERT, None, &[], None).await.unwrap_err();
    assert_eq!(code(&e), ErrorCode::LinkHubTokenRefused.code());
    let e = a
        .token(BAROCERT, Some(&other.client_code), &["partner"], None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ErrorCode::LinkHubTokenRefused.code());

    // Raw requests: a stale date, a forwarded header that was not signed, no authorization.
    let body = br#"{"access_id": "", "scope": ["partner"]}"#;
    let key = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let post = |date: String, forwarded: Option<&'static str>, signed_forwarded: Option<&str>| {
        let text = linkhub::token_string_to_sign(body, &date, signed_forwarded, BAROCERT);
        let sig = linkhub::sign(&key, &text);
        let mut req = reqwest::Client::new()
            .post(format!("{}/BAROCERT/Token", s.url()))
            .header("x-lh-date", date)
            .header("x-lh-version", "2.0")
            .header(
                "authorization",
                linkhub::token_authorization(&party.link_id, &sig),
            )
            .body(body.to_vec());
        if let Some(f) = forwarded {
            req = req.header("x-lh-forwarded", f);
        }
        req.send()
    };
    let now = s.clock().now();
    let ok = post(linkhub::format_time(now), Some("*"), Some("*"))
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let stale = post(
        linkhub::format_time(now - Duration::from_secs(3600)),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(stale.status().as_u16(), 401);
    let b: serde_json::Value = stale.json().await.unwrap();
    assert_eq!(b["code"], ErrorCode::LinkHubDateInvalid.code());
    let garbled = post("yesterday".into(), None, None).await.unwrap();
    let b: serde_json::Value = garbled.json().await.unwrap();
    assert_eq!(b["code"], ErrorCode::LinkHubDateInvalid.code());
    let unsigned = post(linkhub::format_time(now), Some("*"), None)
        .await
        .unwrap();
    let b: serde_json::Value = unsigned.json().await.unwrap();
    assert_eq!(b["code"], ErrorCode::SignatureMismatch.code());
    let none = reqwest::Client::new()
        .post(format!("{}/BAROCERT/Token", s.url()))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let b: serde_json::Value = none.json().await.unwrap();
    assert_eq!(b["code"], ErrorCode::AuthorizationMissing.code());
    s.stop().await;
}

#[tokio::test]
async fn bearer_tokens_that_must_fail() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let a = auth(&s, &party.link_id, &party.secret);
    let t = a.barocert_token().await.unwrap();
    let check = |value: Option<String>, service: &'static str, scope: Option<&'static str>| {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert("authorization", v.parse().unwrap());
        }
        let state = s.state().clone();
        async move {
            dojang_server::http::linkhub::bearer(&state, &h, LOCALHOST, service, scope)
                .await
                .map(|_| ())
                .map_err(|e| e.code())
        }
    };
    let bearer = format!("Bearer {}", t.session_token);
    assert_eq!(
        check(Some(bearer.clone()), BAROCERT, Some("441")).await,
        Ok(())
    );
    assert_eq!(
        check(None, BAROCERT, None).await,
        Err(ErrorCode::LinkHubTokenMissing)
    );
    assert_eq!(
        check(Some("Basic abc".into()), BAROCERT, None).await,
        Err(ErrorCode::LinkHubTokenMissing)
    );
    assert_eq!(
        check(Some(bearer.clone()), KAKAOCERT, None).await,
        Err(ErrorCode::LinkHubTokenInvalid),
        "another service's token"
    );
    assert_eq!(
        check(Some(bearer.clone()), BAROCERT, Some("999")).await,
        Err(ErrorCode::LinkHubTokenInvalid),
        "a scope not granted"
    );
    let mut tampered = t.session_token.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        check(
            Some(format!("Bearer {}", String::from_utf8(tampered).unwrap())),
            BAROCERT,
            None
        )
        .await,
        Err(ErrorCode::LinkHubTokenInvalid)
    );
    assert_eq!(
        check(Some("Bearer !!!".into()), BAROCERT, None).await,
        Err(ErrorCode::LinkHubTokenInvalid)
    );
    s.clock().advance(Duration::from_secs(3600));
    assert_eq!(
        check(Some(bearer), BAROCERT, None).await,
        Err(ErrorCode::LinkHubTokenInvalid),
        "expired"
    );
    s.stop().await;
}

/// LinkHub's IP restriction: without `x-lh-forwarded` (the SDKs' default) a token works only
/// from the address that asked for it; `*` turns that off; an address binds it to that one.
#[tokio::test]
async fn tokens_are_bound_to_the_address_that_asked_unless_forwarded_says_otherwise() {
    use dojang_proto::linkhub::KAKAOCERT_SCOPES;
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let cc = party.client_code.clone();
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let a = auth(&s, &party.link_id, &party.secret).with_http_client(from([127, 0, 0, 1]));
    let token = |forwarded: Option<&'static str>| {
        let (a, cc) = (a.clone(), cc.clone());
        async move {
            a.token(KAKAOCERT, Some(&cc), &KAKAOCERT_SCOPES, forwarded)
                .await
        }
    };
    // A status call for an unknown receipt: ReceiptNotFound means the token was accepted.
    let status_from = |ip: [u8; 4], session_token: String| {
        let url = format!("{}/SignToken/Status/{}", s.url(), "1".repeat(32));
        let client = from(ip);
        async move {
            let res = client
                .get(url)
                .header("authorization", format!("Bearer {session_token}"))
                .send()
                .await
                .unwrap();
            let body: serde_json::Value = res.json().await.unwrap();
            body["code"].as_i64().unwrap()
        }
    };
    let accepted = ErrorCode::ReceiptNotFound.code();
    let refused = ErrorCode::LinkHubTokenInvalid.code();

    let bound = token(None).await.unwrap();
    assert_eq!(bound.ipaddress, "127.0.0.1");
    assert_eq!(
        status_from([127, 0, 0, 1], bound.session_token.clone()).await,
        accepted
    );
    assert_eq!(
        status_from([127, 0, 0, 2], bound.session_token).await,
        refused
    );

    let unbound = token(Some("*")).await.unwrap();
    assert_eq!(unbound.ipaddress, "*");
    assert_eq!(
        status_from([127, 0, 0, 2], unbound.session_token).await,
        accepted
    );

    let elsewhere = token(Some("10.1.2.3")).await.unwrap();
    assert_eq!(elsewhere.ipaddress, "10.1.2.3");
    assert_eq!(
        status_from([127, 0, 0, 1], elsewhere.session_token).await,
        refused
    );

    let e = token(Some("not an address")).await.unwrap_err();
    assert_eq!(code(&e), ErrorCode::LinkHubTokenRefused.code());
    s.stop().await;
}
