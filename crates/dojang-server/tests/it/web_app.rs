//! The phone app at `/app` (issue 16): its shell (page, service worker, manifest) and the way a
//! browser authenticates the push WebSocket — the device credential offered as a subprotocol
//! (`dojang.device.v1, dojang.bearer.<credential>`), since a browser cannot set
//! `Authorization` on a WebSocket — with the attacks on it: a wrong secret, another device's id,
//! a superseded device, two credentials at once, a bearer without the protocol, and the
//! credential never echoed back.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_client::{ErrorCode, IdentityRequest};
use dojang_proto::device::PushMessage;
use dojang_proto::paths;
use dojang_testkit::TestServer;
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::common::*;

/// A browser-style handshake offering `protocols`; the socket and the selected subprotocol, or
/// the refusal's status and error code.
async fn browser_connect(
    s: &TestServer,
    protocols: &str,
) -> Result<
    (
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        Option<String>,
    ),
    (u16, i64),
> {
    let url = format!(
        "{}{}",
        s.url().replace("http://", "ws://"),
        paths::DEVICE_PUSH
    );
    let mut req = url.into_client_request().unwrap();
    if !protocols.is_empty() {
        req.headers_mut()
            .insert("sec-websocket-protocol", protocols.parse().unwrap());
    }
    req.headers_mut().insert("origin", s.url().parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, res)) => {
            let chosen = res
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap().to_owned());
            Ok((ws, chosen))
        }
        Err(WsError::Http(res)) => {
            let status = res.status().as_u16();
            let body: serde_json::Value =
                serde_json::from_slice(res.body().as_deref().unwrap_or_default()).unwrap();
            Err((status, body["code"].as_i64().unwrap()))
        }
        Err(e) => panic!("handshake failed otherwise: {e}"),
    }
}

async fn next_message(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> PushMessage {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket is open")
            .expect("no socket error");
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test]
async fn a_browser_authenticates_the_push_socket_by_subprotocol_and_receives_requests() {
    let s = TestServer::start().await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let offer = format!("dojang.device.v1, dojang.bearer.{}", device.token);
    let (mut ws, chosen) = browser_connect(&s, &offer).await.unwrap();
    // The server selects the protocol, never the credential.
    assert_eq!(chosen.as_deref(), Some("dojang.device.v1"));
    match next_message(&mut ws).await {
        PushMessage::Hello { device_id } => assert_eq!(device_id, device.device_id),
        other => panic!("expected hello, got {other:?}"),
    }
    // A request for the holder arrives on it, as on dojang-app's socket.
    let party = s.add_party("기관").await;
    let r = s
        .client(&party)
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "n", "t", 300))
        .await
        .unwrap();
    match next_message(&mut ws).await {
        PushMessage::Request { card } => assert_eq!(card.receipt_id, r.receipt_id),
        other => panic!("expected the request, got {other:?}"),
    }
    // The order of the offers does not matter; the header still works for apps.
    let offer = format!("dojang.bearer.{}, dojang.device.v1", device.token);
    let (_ws2, chosen) = browser_connect(&s, &offer).await.unwrap();
    assert_eq!(chosen.as_deref(), Some("dojang.device.v1"));
    device.api.connect_push_ready().await.unwrap();
}

#[tokio::test]
async fn the_push_subprotocol_credential_is_checked_like_the_header() {
    let s = TestServer::start().await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let invalid = ErrorCode::DeviceAuthInvalid.code();

    // Nothing offered: no credential.
    assert_eq!(
        browser_connect(&s, "").await.err(),
        Some((401, ErrorCode::DeviceAuthMissing.code()))
    );
    assert_eq!(
        browser_connect(&s, "dojang.device.v1").await.err(),
        Some((401, ErrorCode::DeviceAuthMissing.code()))
    );
    // The right credential without the protocol to select: refused, documented.
    assert_eq!(
        browser_connect(&s, &format!("dojang.bearer.{}", device.token))
            .await
            .err(),
        Some((400, ErrorCode::PushSubprotocolMissing.code()))
    );
    // A wrong secret for the real device; a tampered byte; junk.
    let forged = format!("{}.{}", device.device_id, URL_SAFE_NO_PAD.encode([9u8; 32]));
    let mut tampered = device.token.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [forged.as_str(), tampered.as_str(), "junk", "x.y"] {
        assert_eq!(
            browser_connect(&s, &format!("dojang.device.v1, dojang.bearer.{bad}"))
                .await
                .err(),
            Some((401, invalid)),
            "{bad}"
        );
    }
    // Another device's id with this device's secret.
    let other = s.enrol("김영희", "01023456789", "19920202").await;
    let secret = device.token.split_once('.').unwrap().1;
    let mixed = format!("{}.{secret}", other.device_id);
    assert_eq!(
        browser_connect(&s, &format!("dojang.device.v1, dojang.bearer.{mixed}"))
            .await
            .err(),
        Some((401, invalid))
    );
    // Two credentials at once are ambiguous: refused, even when one is right.
    assert_eq!(
        browser_connect(
            &s,
            &format!(
                "dojang.device.v1, dojang.bearer.{}, dojang.bearer.{}",
                device.token, other.token
            )
        )
        .await
        .err(),
        Some((401, invalid))
    );
    // A superseded device (the person enrolled again: a new phone) is refused.
    let _new_phone = s.enrol(NAME, PHONE, BIRTH).await;
    assert_eq!(
        browser_connect(
            &s,
            &format!("dojang.device.v1, dojang.bearer.{}", device.token)
        )
        .await
        .err(),
        Some((401, invalid))
    );
    // A plain GET with the subprotocol credential is still not a WebSocket.
    let res = reqwest::Client::new()
        .get(format!("{}{}", s.url(), paths::DEVICE_PUSH))
        .header(
            "sec-websocket-protocol",
            format!("dojang.device.v1, dojang.bearer.{}", other.token),
        )
        .send()
        .await
        .unwrap();
    let a = answer(res).await;
    assert_eq!(
        (a.status, a.code()),
        (400, ErrorCode::WebSocketRequired.code())
    );
}

#[tokio::test]
async fn the_app_shell_is_served_with_its_worker_and_manifest() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let page = http.get(format!("{}/app", s.url())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let body = page.text().await.unwrap();
    assert!(body.contains("rel=\"manifest\" href=\"/app/manifest.webmanifest\""));
    assert!(body.contains("data-sw=\"/app/sw.js\""));
    assert!(body.contains("/app.js\"></script>") && body.contains("/der.js\"></script>"));
    assert!(!body.contains("<script>"), "no inline script");
    let en = http
        .get(format!("{}/app?lang=en", s.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Get your certificate"));

    let sw = http
        .get(format!("{}/app/sw.js", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(sw.status(), 200);
    assert_eq!(sw.headers()["service-worker-allowed"], "/app");
    assert!(
        sw.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let sw = sw.text().await.unwrap();
    assert!(!sw.contains("__ASSETS__"), "the asset prefix is filled in");
    assert!(sw.contains(dojang_server::pages::assets::PREFIX));

    let m = http
        .get(format!("{}/app/manifest.webmanifest", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(m.headers()["content-type"], "application/manifest+json");
    let m: serde_json::Value = m.json().await.unwrap();
    assert_eq!(m["start_url"], "/app");
    assert_eq!(m["scope"], "/app");
    assert_eq!(m["display"], "standalone");
    // Every file the worker caches for the offline shell exists.
    for asset in ["app.js", "der.js", "dojang.css", "icon.svg"] {
        let r = http
            .get(format!(
                "{}{}/{asset}",
                s.url(),
                dojang_server::pages::assets::PREFIX
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
    }
}
