//! Relying-party authentication: every refusal with its own code, before anything else is read.

use std::time::Duration;

use dojang_core::Clock;
use dojang_proto::{ErrorCode, auth, datetime, paths};
use dojang_testkit::TestServer;

use crate::common::*;

#[tokio::test]
async fn a_correct_signature_is_accepted() {
    let s = TestServer::start().await;
    let party = s.add_party("기관").await;
    // Authenticated, then refused for the body: proves authentication passed.
    let a = signed(&s, &party, "POST", paths::IDENTITY, b"{}", None).await;
    assert_eq!(a.code(), ErrorCode::NameMissing.code());
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn wrong_key_tampered_body_and_wrong_path_are_refused() {
    let s = TestServer::start().await;
    let party = s.add_party("기관").await;
    let other = s.add_party("다른 기관").await;
    // Signed with another party's secret under this party's LinkID.
    let forged = dojang_testkit::TestParty {
        secret: other.secret.clone(),
        ..party.clone()
    };
    let a = signed(&s, &forged, "POST", paths::IDENTITY, b"{}", None).await;
    assert_eq!(
        (a.status, a.code()),
        (401, ErrorCode::SignatureMismatch.code())
    );

    // A body changed after signing.
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let date = datetime::format_rfc3339(s.clock().now());
    let sig = auth::sign(
        &secret,
        "POST",
        paths::IDENTITY,
        &date,
        b"{\"token\":\"a\"}",
    );
    let send = |path: &'static str, body: &'static [u8], sig: String, date: String| {
        let url = format!("{}{path}", s.url());
        let link = party.link_id.clone();
        async move {
            answer(
                reqwest::Client::new()
                    .post(url)
                    .header(auth::DATE_HEADER, date)
                    .header("authorization", auth::authorization_header(&link, &sig))
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let a = send(
        paths::IDENTITY,
        b"{\"token\":\"b\"}",
        sig.clone(),
        date.clone(),
    )
    .await;
    assert_eq!(a.code(), ErrorCode::SignatureMismatch.code());
    // The same signature replayed on another path.
    let a = send(
        "/v1/identity/00000000000000000000000000000000/verify",
        b"{\"token\":\"a\"}",
        sig,
        date,
    )
    .await;
    assert_eq!(a.code(), ErrorCode::SignatureMismatch.code());
}

#[tokio::test]
async fn missing_malformed_and_unknown_credentials_have_their_codes() {
    let s = TestServer::start().await;
    let party = s.add_party("기관").await;
    let url = format!("{}{}", s.url(), paths::IDENTITY);
    let date = datetime::format_rfc3339(s.clock().now());
    let c = reqwest::Client::new();
    let cases: Vec<(Option<String>, Option<String>, ErrorCode)> = vec![
        (None, Some(date.clone()), ErrorCode::AuthorizationMissing),
        (
            Some("Bearer abc".into()),
            Some(date.clone()),
            ErrorCode::AuthorizationMalformed,
        ),
        (
            Some("DOJANG-HMAC-SHA256 nocolon".into()),
            Some(date.clone()),
            ErrorCode::AuthorizationMalformed,
        ),
        (
            Some(auth::authorization_header(&party.link_id, "c2ln")),
            None,
            ErrorCode::DateMissing,
        ),
        (
            Some(auth::authorization_header(&party.link_id, "c2ln")),
            Some("yesterday".into()),
            ErrorCode::DateMalformed,
        ),
        (
            Some(auth::authorization_header("NO_SUCH_LINK", "c2ln")),
            Some(date.clone()),
            ErrorCode::UnknownLinkId,
        ),
        (
            Some(auth::authorization_header(&party.link_id, "not-base64!")),
            Some(date.clone()),
            ErrorCode::SignatureMismatch,
        ),
    ];
    for (authz, date, code) in cases {
        let mut req = c.post(&url).body("{}");
        if let Some(a) = authz {
            req = req.header("authorization", a);
        }
        if let Some(d) = date {
            req = req.header(auth::DATE_HEADER, d);
        }
        let a = answer(req.send().await.unwrap()).await;
        assert_eq!(
            (a.status, a.code()),
            (401, code.code()),
            "{code:?}: {:?}",
            a.body
        );
    }
}

#[tokio::test]
async fn dates_more_than_five_minutes_away_are_refused_both_ways() {
    let s = TestServer::start().await;
    let party = s.add_party("기관").await;
    let now = s.clock().now();
    for (offset, ok) in [(-301i64, false), (-299, true), (299, true), (301, false)] {
        let date = now + time::Duration::seconds(offset);
        let a = signed(&s, &party, "POST", paths::IDENTITY, b"{}", Some(date)).await;
        let expected = if ok {
            ErrorCode::NameMissing
        } else {
            ErrorCode::DateOutOfWindow
        };
        assert_eq!(a.code(), expected.code(), "offset {offset}");
    }
    // The server's clock is what counts: move it and an old signature goes stale.
    let date = s.clock().now();
    s.clock().advance(Duration::from_secs(400));
    let a = signed(&s, &party, "POST", paths::IDENTITY, b"{}", Some(date)).await;
    assert_eq!(a.code(), ErrorCode::DateOutOfWindow.code());
}

#[tokio::test]
async fn errors_are_in_korean_when_asked() {
    let s = TestServer::start().await;
    let res = reqwest::Client::new()
        .post(format!("{}{}", s.url(), paths::IDENTITY))
        .header("accept-language", "ko-KR,ko;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("content-language").unwrap(), "ko");
    let a = answer(res).await;
    assert_eq!(a.code(), ErrorCode::AuthorizationMissing.code());
    assert_eq!(
        a.body["message"],
        ErrorCode::AuthorizationMissing.message_ko()
    );
}
