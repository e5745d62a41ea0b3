//! Malformed, missing, oversized and hostile input: each gets its code, nothing is written, the
//! server stays up.

use dojang_proto::rp::IdentityRequest;
use dojang_proto::{ErrorCode, paths};
use dojang_testkit::TestServer;
use serde_json::json;

use crate::common::*;

async fn setup() -> (TestServer, dojang_testkit::TestParty) {
    let s = TestServer::start_with(|c| c.max_body_bytes = 64 * 1024).await;
    let party = s.add_party("기관").await;
    s.enrol(NAME, PHONE, BIRTH).await;
    (s, party)
}

async fn create(s: &TestServer, party: &dojang_testkit::TestParty, body: &[u8]) -> Answer {
    signed(s, party, "POST", paths::IDENTITY, body, None).await
}

#[tokio::test]
async fn malformed_json_and_wrong_types() {
    let (s, party) = setup().await;
    for body in [
        &b"{not json"[..],
        b"[1,2,3]",
        b"\"text\"",
        b"{\"receiverName\":",
        b"\xff\xfe",
    ] {
        let a = create(&s, &party, body).await;
        assert_eq!(
            (a.status, a.code()),
            (400, ErrorCode::MalformedJson.code()),
            "{body:?}"
        );
    }
    let a = create(&s, &party, br#"{"receiverName":"a","expireIn":"300"}"#).await;
    assert_eq!(a.code(), ErrorCode::FieldType.code());
    assert!(
        a.body["message"].as_str().unwrap().contains("expected i64"),
        "{:?}",
        a.body
    );
    let a = create(&s, &party, br#"{"receiverHP":1012345678}"#).await;
    assert_eq!(a.code(), ErrorCode::FieldType.code());
}

#[tokio::test]
async fn every_field_limit_has_its_code() {
    let (s, party) = setup().await;
    let base = || IdentityRequest::new(NAME, PHONE, BIRTH, "token", "제목", 300);
    let cases: Vec<(IdentityRequest, ErrorCode)> = vec![
        (
            IdentityRequest {
                receiver_name: None,
                ..base()
            },
            ErrorCode::NameMissing,
        ),
        (
            IdentityRequest {
                receiver_name: Some("가".repeat(81)),
                ..base()
            },
            ErrorCode::NameTooLong,
        ),
        (
            IdentityRequest {
                receiver_hp: None,
                ..base()
            },
            ErrorCode::PhoneMissing,
        ),
        (
            IdentityRequest {
                receiver_hp: Some("010-1234-5678".into()),
                ..base()
            },
            ErrorCode::PhoneNotDigits,
        ),
        (
            IdentityRequest {
                receiver_hp: Some("phone".into()),
                ..base()
            },
            ErrorCode::PhoneNotDigits,
        ),
        (
            IdentityRequest {
                receiver_hp: Some("010123".into()),
                ..base()
            },
            ErrorCode::PhoneLength,
        ),
        (
            IdentityRequest {
                receiver_birthday: None,
                ..base()
            },
            ErrorCode::BirthdayMissing,
        ),
        (
            IdentityRequest {
                receiver_birthday: Some("900101".into()),
                ..base()
            },
            ErrorCode::BirthdayFormat,
        ),
        (
            IdentityRequest {
                receiver_birthday: Some("19901301".into()),
                ..base()
            },
            ErrorCode::BirthdayInvalid,
        ),
        (
            IdentityRequest {
                token: None,
                ..base()
            },
            ErrorCode::TokenMissing,
        ),
        (
            IdentityRequest {
                token: Some("t".repeat(2801)),
                ..base()
            },
            ErrorCode::TokenTooLong,
        ),
        (
            IdentityRequest {
                req_title: None,
                ..base()
            },
            ErrorCode::TitleMissing,
        ),
        (
            IdentityRequest {
                req_title: Some("제".repeat(41)),
                ..base()
            },
            ErrorCode::TitleTooLong,
        ),
        (
            IdentityRequest {
                extra_message: Some("m".repeat(501)),
                ..base()
            },
            ErrorCode::ExtraMessageTooLong,
        ),
        (
            IdentityRequest {
                expire_in: None,
                ..base()
            },
            ErrorCode::ExpireInMissing,
        ),
        (
            IdentityRequest {
                expire_in: Some(0),
                ..base()
            },
            ErrorCode::ExpireInTooSmall,
        ),
        (
            IdentityRequest {
                expire_in: Some(-5),
                ..base()
            },
            ErrorCode::ExpireInTooSmall,
        ),
        (
            IdentityRequest {
                expire_in: Some(1001),
                ..base()
            },
            ErrorCode::ExpireInTooLarge,
        ),
        (
            IdentityRequest {
                call_center_num: Some("1".repeat(21)),
                ..base()
            },
            ErrorCode::CallCenterNumTooLong,
        ),
        (
            IdentityRequest {
                call_center_num: Some("<script>".into()),
                ..base()
            },
            ErrorCode::CallCenterNumInvalid,
        ),
    ];
    for (req, code) in cases {
        let a = create(&s, &party, &serde_json::to_vec(&req).unwrap()).await;
        assert_eq!(
            (a.status, a.code()),
            (400, code.code()),
            "{code:?}: {:?}",
            a.body
        );
    }
    // The limits themselves are accepted.
    let edge = IdentityRequest {
        receiver_name: Some(NAME.into()),
        token: Some("t".repeat(2800)),
        req_title: Some("제".repeat(40)),
        extra_message: Some("m".repeat(500)),
        expire_in: Some(1000),
        call_center_num: Some("+82 (2) 120-1234".into()),
        ..base()
    };
    let a = create(&s, &party, &serde_json::to_vec(&edge).unwrap()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_parsing() {
    let (s, party) = setup().await;
    let huge = serde_json::to_vec(&json!({ "receiverName": "x".repeat(70 * 1024) })).unwrap();
    let a = create(&s, &party, &huge).await;
    assert_eq!((a.status, a.code()), (413, ErrorCode::BodyTooLarge.code()));
    // Also without a Content-Length (chunked), and on unauthenticated device endpoints.
    let stream =
        futures_util::stream::iter((0..100).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])));
    let res = reqwest::Client::new()
        .post(format!("{}{}", s.url(), paths::DEVICE_ENROLMENTS))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let a = answer(res).await;
    assert_eq!((a.status, a.code()), (413, ErrorCode::BodyTooLarge.code()));
}

#[tokio::test]
async fn nothing_is_written_for_refused_requests_and_the_server_keeps_serving() {
    let (s, party) = setup().await;
    let client = s.client(&party);
    for body in [&b"{"[..], b"{}", br#"{"receiverName":"x"}"#] {
        create(&s, &party, body).await;
    }
    let device = s.enrol("김영희", "01055556666", "19850505").await;
    assert!(device.api.pending().await.unwrap().requests.is_empty());
    let ok = client
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "t", "제목", 300))
        .await
        .unwrap();
    assert_eq!(ok.receipt_id.len(), 32);
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json() {
    let (s, _) = setup().await;
    let c = reqwest::Client::new();
    let a = answer(
        c.get(format!("{}/v1/nothing", s.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((a.status, a.code()), (404, ErrorCode::RouteNotFound.code()));
    let a = answer(
        c.delete(format!("{}{}", s.url(), paths::IDENTITY))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (a.status, a.code()),
        (405, ErrorCode::MethodNotAllowed.code())
    );
    let a = answer(
        c.get(format!("{}{}", s.url(), paths::HEALTH))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.body["status"], "ok");
    let pem = c
        .get(format!("{}{}", s.url(), paths::PKI_CA_PEM))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(pem, s.ca_pem());
}
