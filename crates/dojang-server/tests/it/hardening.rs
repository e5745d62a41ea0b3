//! Issue 14's findings, each performed as the attack it was against the real server over real
//! HTTP: these tests failed before the controls existed (docs/security.md, the threat model).

use base64::Engine as _;
use dojang_client::ErrorCode;
use dojang_client::linkhub::LinkHubAuth;
use dojang_core::Clock;
use dojang_proto::linkhub;
use dojang_server::service::admin as ops;
use dojang_testkit::{TestParty, TestServer};
use serde_json::{Value, json};

use crate::common::*;

/// A kakaocert 2.0 POST with a bearer `token`, signed (`x-kc-auth`) with `secret`.
async fn kc_post(
    s: &TestServer,
    token: &str,
    party: &TestParty,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let date = linkhub::format_expiration(s.clock().now());
    let sig = linkhub::sign(&key, &linkhub::kakaocert_string_to_sign(&bytes, &date));
    let res = reqwest::Client::new()
        .post(format!("{}{path}", s.url()))
        .header("authorization", format!("Bearer {token}"))
        .header("x-lh-date", date)
        .header("x-lh-version", "2.0")
        .header("x-kc-auth", format!("{} {sig}", party.link_id))
        .header("content-type", "application/json; charset=utf8")
        .body(bytes)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A kakaocert 2.0 GET with a bearer `token`.
async fn kc_get(s: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", s.url()))
        .header("authorization", format!("Bearer {token}"))
        .header("x-pb-version", "2.0")
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn kc_token(s: &TestServer, party: &TestParty) -> String {
    LinkHubAuth::new(&s.url(), &party.link_id, &party.secret)
        .unwrap()
        .kakaocert_token(&party.client_code)
        .await
        .unwrap()
        .session_token
}

fn kc_esign(title: &str, message: &str) -> Value {
    json!({
        "CallCenterNum": "1600-8536", "Expires_in": 60, "ReceiverBirthDay": BIRTH,
        "ReceiverHP": PHONE, "ReceiverName": NAME, "SubClientID": "", "TMSTitle": title,
        "TMSMessage": message, "isAllowSimpleRegistYN": true, "isVerifyNameYN": false,
        "Token": "Token Value 2345", "PayLoad": "Payload123", "isAppUseYN": false
    })
}

// ---------------------------------------------------------------------------------------------
// #3: a LinkHub token issued before `rotate` must not outlive the SecretKey that asked for it.

#[tokio::test]
async fn f3_a_token_dies_with_the_secret_key_that_asked_for_it() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let old_token = kc_token(&s, &party).await;
    let (status, r) = kc_post(
        &s,
        &old_token,
        &party,
        "/SignToken/Request",
        &kc_esign("t", "m"),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let id = r["receiptId"].as_str().unwrap().to_owned();
    device.approve(&id, s.clock().now()).await.unwrap();
    let (status, st) = kc_get(&s, &old_token, &format!("/SignToken/Status/{id}")).await;
    assert_eq!((status, st["state"].as_i64()), (200, Some(1)), "{st}");

    // The operator rotates the SecretKey (what the admin console's rotate does), say because
    // the key and a token leaked.
    let rotated = ops::rotate_secret(s.state().store.as_ref(), &party.client_code)
        .await
        .unwrap();
    s.state().forget_party(&rotated.link_id);

    // The old token reads nothing any more: not the status, not the verify (personal data).
    let (status, st) = kc_get(&s, &old_token, &format!("/SignToken/Status/{id}")).await;
    assert_eq!(status, 401, "{st}");
    assert_eq!(st["code"], ErrorCode::LinkHubTokenInvalid.code());
    let (status, v) = kc_get(&s, &old_token, &format!("/SignToken/Verify/{id}")).await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["code"], ErrorCode::LinkHubTokenInvalid.code());
    assert!(v.get("signedData").is_none());

    // A token asked for with the new key works, and the request is still verifiable once.
    let renewed = TestParty {
        secret: ops::secret_text(&rotated),
        ..party.clone()
    };
    let new_token = kc_token(&s, &renewed).await;
    let (status, v) = kc_get(&s, &new_token, &format!("/SignToken/Verify/{id}")).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["signedData"].is_string());
    s.stop().await;
}

// ---------------------------------------------------------------------------------------------
// #4: the device must not be able to work out which of the three numbers is the right one.

/// What a device could compute before the fix: the three choices as the server derived them
/// from SHA-256(receipt:code) alone.
fn unkeyed_choices(receipt_id: &str, code: &str) -> Vec<String> {
    let seed = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{receipt_id}:{code}").as_bytes(),
    );
    let mut choices = vec![code.to_owned()];
    for b in seed.as_ref() {
        if choices.len() == 3 {
            break;
        }
        let c = format!("{:02}", b % 100);
        if !choices.contains(&c) {
            choices.push(c);
        }
    }
    let at = usize::from(seed.as_ref()[31] % 3).min(choices.len() - 1);
    choices.swap(0, at);
    choices
}

#[tokio::test]
async fn f4_the_device_cannot_recompute_the_right_binding_code() {
    let s = TestServer::start_with(|c| c.policy.dev_reveal_binding_code = false).await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    for name in ["기관 하나", "기관 둘", "기관 셋"] {
        let party = s.add_party(name).await;
        let r = s
            .client(&party)
            .request_verify_auth(&dojang_client::IdentityRequest::new(
                NAME, PHONE, BIRTH, "n", "x", 300,
            ))
            .await
            .unwrap();
        let right = r.binding_code.clone().unwrap();
        let card = device.card(&r.receipt_id).await;
        assert!(card.binding_code.is_none());
        assert!(card.binding_choices.contains(&right));
        // The attack: try each number as the code and see which one explains the card.
        let explained: Vec<&String> = card
            .binding_choices
            .iter()
            .filter(|c| unkeyed_choices(&card.receipt_id, c) == card.binding_choices)
            .collect();
        assert!(
            explained.is_empty(),
            "the card gives the code away: {explained:?} of {:?}",
            card.binding_choices
        );
        // Shown in ascending order: the place says nothing either.
        let mut sorted = card.binding_choices.clone();
        sorted.sort();
        assert_eq!(sorted, card.binding_choices);
    }
    s.stop().await;
}

// ---------------------------------------------------------------------------------------------
// #5: terminal escapes and bidi controls from a relying party must not reach the person's app.

/// A title that, printed raw, erases the card's "from:" line and writes another.
const FORGED_TITLE: &str = "세금 환급\u{1b}[1A\u{1b}[2K\r  from:    국세청";

#[tokio::test]
async fn f5_escapes_are_refused_in_every_dialect_and_named() {
    let s = TestServer::start().await;
    let party = s.add_party("수상한기관").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;

    // Native: each shown field, with the field named in the message.
    let cases: [(&str, Value); 6] = [
        ("reqTitle", json!({"reqTitle": FORGED_TITLE})),
        ("extraMessage", json!({"extraMessage": "안내\u{9b}2J"})),
        (
            "callCenterName",
            json!({"callCenterName": "\u{202e}청세국"}),
        ),
        ("token", json!({"token": "nonce\r overwritten"})),
        ("receiverName", json!({"receiverName": "홍길동\u{2067}"})),
        ("reqTitle", json!({"reqTitle": "zero\u{200b}width"})),
    ];
    for (field, patch) in cases {
        let mut body = json!({
            "receiverName": NAME, "receiverHP": PHONE, "receiverBirthday": BIRTH,
            "token": "nonce", "reqTitle": "본인확인", "expireIn": 300,
        });
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let a = signed(
            &s,
            &party,
            "POST",
            "/v1/identity",
            body.to_string().as_bytes(),
            None,
        )
        .await;
        assert_eq!(a.status, 400, "{field}: {:?}", a.body);
        assert_eq!(a.code(), ErrorCode::TextUnsafeCharacter.code(), "{field}");
        let message = a.body["message"].as_str().unwrap();
        assert!(message.contains(field), "{field}: {message}");
    }

    // kakaocert 2.0: TMSTitle is the native reqTitle.
    let token = kc_token(&s, &party).await;
    let (status, r) = kc_post(
        &s,
        &token,
        &party,
        "/SignToken/Request",
        &kc_esign(FORGED_TITLE, "m"),
    )
    .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["code"], ErrorCode::TextUnsafeCharacter.code());

    // barocert (KAKAO), through the Rust client of LinkHub's protocol.
    let bc = dojang_client::barocert::BarocertKakao::new(
        &s.url(),
        &s.url(),
        &party.link_id,
        &party.secret,
    )
    .unwrap();
    let mut req = dojang_client::CreateRequest::new(
        bc.encrypt(NAME).unwrap(),
        bc.encrypt(PHONE).unwrap(),
        bc.encrypt(BIRTH).unwrap(),
        bc.encrypt("nonce").unwrap(),
        FORGED_TITLE,
        300,
    );
    let e = bc
        .request_identity(&party.client_code, &req)
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        dojang_proto::barocert::error_code(
            dojang_proto::barocert::KakaoService::Identity.scope(),
            ErrorCode::TextUnsafeCharacter
        )
    );
    req.req_title = Some("본인확인".into());
    req.extra_message = Some(bc.encrypt("안내\u{1b}]0;title\u{7}").unwrap());
    let e = bc
        .request_identity(&party.client_code, &req)
        .await
        .unwrap_err();
    assert!(format!("{e}").contains("extraMessage"), "{e}");

    // Nothing reached the device.
    assert!(device.api.pending().await.unwrap().requests.is_empty());

    // A message of several lines (line feeds, tabs, CR LF) is a message, not an escape.
    let a = signed(
        &s,
        &party,
        "POST",
        "/v1/identity",
        json!({
            "receiverName": NAME, "receiverHP": PHONE, "receiverBirthday": BIRTH,
            "token": "nonce", "reqTitle": "본인확인", "expireIn": 300,
            "extraMessage": "첫째 줄\n\t둘째 줄\r\n셋째 줄",
        })
        .to_string()
        .as_bytes(),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let card = device.card(a.body["receiptID"].as_str().unwrap()).await;
    assert_eq!(
        card.extra_message.as_deref(),
        Some("첫째 줄\n\t둘째 줄\r\n셋째 줄")
    );
    // The app indents the message's lines under it: none of them starts like a card line.
    let text = dojang_app::card_text(&card, s.clock().now());
    assert!(
        text.contains("  message: 첫째 줄\n           \t둘째 줄\n           셋째 줄"),
        "{text}"
    );
    // A server that let escapes through (an older one, or a compromised one): the app still
    // prints none of them, and the "from:" line stays the relying party's.
    let mut evil = card.clone();
    evil.req_title = FORGED_TITLE.into();
    evil.call_center_name = Some("\u{202e}청세국".into());
    evil.extra_message = Some("안내\u{1b}]0;x\u{7}\r\u{9b}2J".into());
    let text = dojang_app::card_text(&evil, s.clock().now());
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{text:?}"
    );
    assert!(!text.contains('\u{202e}'), "{text:?}");
    assert!(text.contains("  from:    수상한기관"), "{text}");
    // The forged "from:" stays inside the title line; the only line that starts with it is ours.
    let from_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("from:"))
        .collect();
    assert_eq!(from_lines.len(), 1, "{text}");
    assert!(from_lines[0].contains("수상한기관"), "{text}");
    s.stop().await;
}

/// The operator's texts shown as the requester are held to the same rule.
#[tokio::test]
async fn f5_alias_names_are_checked_too() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let e = ops::add_alias(
        s.state().store.as_ref(),
        &party.client_code,
        "DESK1",
        "민원실\u{1b}[2K",
        s.clock().now(),
    )
    .await
    .unwrap_err();
    assert!(format!("{e:?}").contains("SubClientNameInvalid"), "{e:?}");
    let e = ops::add_relying_party(
        s.state().store.as_ref(),
        "은행\u{202e}",
        None,
        None,
        None,
        s.clock().now(),
    )
    .await
    .map(|_| ())
    .unwrap_err();
    assert!(
        format!("{e:?}").contains("RelyingPartyNameInvalid"),
        "{e:?}"
    );
    s.stop().await;
}

// ---------------------------------------------------------------------------------------------
// #6: a webhook URL must not point into any special-purpose block (server-side request forgery).

/// One address inside each row of the IANA IPv4 and IPv6 Special-Purpose Address Registries
/// (and multicast), written independently of the server's table.
const SPECIAL: &[(&str, &str)] = &[
    ("0.1.2.3", "this network, RFC 791"),
    ("10.20.30.40", "private-use, RFC 1918"),
    ("100.100.100.100", "shared address space, RFC 6598"),
    ("127.0.0.2", "loopback, RFC 1122"),
    ("169.254.169.254", "link local, RFC 3927"),
    ("172.31.255.254", "private-use, RFC 1918"),
    ("192.0.0.200", "IETF protocol assignments, RFC 6890"),
    ("192.0.0.5", "IPv4 service continuity prefix, RFC 7335"),
    ("192.0.0.8", "IPv4 dummy address, RFC 7600"),
    ("192.0.0.9", "PCP anycast, RFC 7723"),
    ("192.0.0.10", "TURN anycast, RFC 8155"),
    ("192.0.0.170", "NAT64/DNS64 discovery, RFC 8880"),
    ("192.0.0.171", "NAT64/DNS64 discovery, RFC 8880"),
    ("192.0.2.55", "TEST-NET-1, RFC 5737"),
    ("192.31.196.1", "AS112-v4, RFC 7535"),
    ("192.52.193.1", "AMT, RFC 7450"),
    ("192.88.99.1", "6to4 relay anycast, RFC 7526"),
    ("192.88.99.2", "6a44-relay anycast, RFC 6751"),
    ("192.168.0.1", "private-use, RFC 1918"),
    ("192.175.48.6", "AS112 direct delegation, RFC 7534"),
    ("198.19.0.1", "benchmarking, RFC 2544"),
    ("198.51.100.7", "TEST-NET-2, RFC 5737"),
    ("203.0.113.9", "TEST-NET-3, RFC 5737"),
    ("239.1.1.1", "multicast, RFC 5771"),
    ("250.1.2.3", "reserved, RFC 1112"),
    ("255.255.255.255", "limited broadcast, RFC 8190"),
    ("[::]", "unspecified, RFC 4291"),
    ("[::1]", "loopback, RFC 4291"),
    ("[::ffff:127.0.0.1]", "IPv4-mapped loopback, RFC 4291"),
    ("[::ffff:169.254.169.254]", "IPv4-mapped metadata service"),
    (
        "[64:ff9b::a9fe:a9fe]",
        "NAT64 well-known prefix to link local, RFC 6052",
    ),
    ("[64:ff9b:1::808:808]", "local-use NAT64, RFC 8215"),
    ("[100::1]", "discard-only, RFC 6666"),
    ("[100:0:0:1::1]", "dummy IPv6 prefix, RFC 9780"),
    ("[2001:1ff::1]", "IETF protocol assignments, RFC 2928"),
    ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "Teredo, RFC 4380"),
    ("[2001:1::1]", "PCP anycast, RFC 7723"),
    ("[2001:1::2]", "TURN anycast, RFC 8155"),
    ("[2001:1::3]", "DNS-SD SRP anycast, RFC 9665"),
    ("[2001:2::9]", "benchmarking, RFC 5180"),
    ("[2001:3::1]", "AMT, RFC 7450"),
    ("[2001:4:112::1]", "AS112-v6, RFC 7535"),
    ("[2001:10::1]", "ORCHID (deprecated), RFC 4843"),
    ("[2001:20::1]", "ORCHIDv2, RFC 7343"),
    ("[2001:30::1]", "DETs, RFC 9374"),
    ("[2001:db8::1]", "documentation, RFC 3849"),
    ("[2002:a00:1::1]", "6to4, RFC 3056"),
    ("[2620:4f:8000::1]", "AS112 direct delegation, RFC 7534"),
    ("[3fff::1]", "documentation, RFC 9637"),
    ("[5f00::1]", "SRv6 SIDs, RFC 9602"),
    ("[fd00::1]", "unique-local, RFC 4193"),
    ("[fe80::1]", "link-local, RFC 4291"),
    ("[ff02::1]", "multicast, RFC 4291"),
];

#[tokio::test]
async fn f6_webhooks_cannot_target_any_special_purpose_block() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let store = s.state().store.as_ref();
    let mut accepted = Vec::new();
    for (host, row) in SPECIAL {
        let url = format!("https://{host}/hook");
        match ops::set_webhook(
            store,
            &party.client_code,
            &url,
            true,
            false,
            s.clock().now(),
        )
        .await
        {
            Ok(_) => accepted.push(format!("{host} ({row})")),
            Err(e) => assert!(
                format!("{e}").contains("not a public address"),
                "{host}: {e}"
            ),
        }
    }
    assert!(
        accepted.is_empty(),
        "accepted as webhook targets: {accepted:#?}"
    );
    // Nothing was stored, and a public target still is.
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    assert!(store.webhook(&code).await.unwrap().is_none());
    for ok in [
        "https://8.8.8.8/hook",
        "https://[2001:4860:4860::8888]/hook",
    ] {
        ops::set_webhook(store, &party.client_code, ok, true, false, s.clock().now())
            .await
            .unwrap();
    }
    s.stop().await;
}

// ---------------------------------------------------------------------------------------------
// #7: the data directory and the database (admin password hash, sealed personal data) must
// not be readable by other users of the machine.

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn database_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    ["dojang.db", "dojang.db-wal", "dojang.db-shm"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.exists())
        .collect()
}

#[cfg(unix)]
#[tokio::test]
#[cfg_attr(
    backend_postgres,
    ignore = "SQLite-only: the modes of the SQLite database files (PostgreSQL keeps its own)"
)]
async fn f7_the_database_and_its_directory_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    // A fresh set-up, with a write so that the WAL and shared-memory files exist.
    let s = TestServer::start_with(|c| c.data_dir = dir.clone()).await;
    s.add_party("도장은행").await;
    let files = database_files(&dir);
    assert!(files.len() >= 2, "{files:?}");
    assert_eq!(mode(&dir), 0o700);
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    s.stop().await;

    // A set-up made by an older version (0755 directory, 0644 database): opened again, it is
    // made private.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for f in database_files(&dir) {
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let s = TestServer::start_with(|c| c.data_dir = dir.clone()).await;
    s.add_party("다른기관").await;
    assert_eq!(mode(&dir), 0o700);
    for f in database_files(&dir) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    s.stop().await;

    // A shared directory (world-writable, sticky, like /tmp) is never chmod-ed: start-up stops.
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let config = dojang_server::config::Config {
        data_dir: shared.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..dojang_server::config::Config::default()
    };
    let e = dojang_server::instance::Instance::open(
        &config,
        time::OffsetDateTime::now_utc(),
        "http://127.0.0.1",
    )
    .await
    .unwrap_err();
    assert!(format!("{e}").contains("shared directory"), "{e}");
    assert_eq!(mode(&shared), 0o1777);
    assert!(!shared.join("dojang.db").exists());
}

// ---------------------------------------------------------------------------------------------
// #9: a captured create call, sent again within its date window once the first request ended,
// must not push the person again: in any dialect, on any instance.

fn identity_body(token: &str) -> Vec<u8> {
    json!({
        "receiverName": NAME, "receiverHP": PHONE, "receiverBirthday": BIRTH,
        "token": token, "reqTitle": "본인확인", "expireIn": 300,
    })
    .to_string()
    .into_bytes()
}

/// The same signed bytes, with an optional `Idempotency-Key` (which the signature does not cover).
async fn native_create(
    s: &TestServer,
    party: &TestParty,
    body: &[u8],
    date: time::OffsetDateTime,
    key: Option<&str>,
) -> Answer {
    let secret = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let date = dojang_proto::datetime::format_rfc3339(date);
    let sig = dojang_proto::auth::sign(&secret, "POST", "/v1/identity", &date, body);
    let mut req = reqwest::Client::new()
        .post(format!("{}/v1/identity", s.url()))
        .header(dojang_proto::auth::DATE_HEADER, &date)
        .header(
            "authorization",
            dojang_proto::auth::authorization_header(&party.link_id, &sig),
        )
        .body(body.to_vec());
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    answer(req.send().await.unwrap()).await
}

#[tokio::test]
async fn f9_a_captured_create_call_does_not_push_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = TestServer::start_with(|c| c.data_dir = dir.clone()).await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let captured_at = s.clock().now();
    let body = identity_body("nonce-captured");

    let first = native_create(&s, &party, &body, captured_at, None).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let id = first.body["receiptID"].as_str().unwrap().to_owned();
    device.approve(&id, s.clock().now()).await.unwrap();

    // Two minutes later, still inside the 5-minute date window, the captured bytes again.
    s.clock().advance(std::time::Duration::from_secs(120));
    let replay = native_create(&s, &party, &body, captured_at, None).await;
    assert_eq!(replay.status, 409, "{:?}", replay.body);
    assert_eq!(replay.code(), ErrorCode::RequestReplayed.code());
    // A fresh Idempotency-Key (not covered by the signature) does not make it new.
    let keyed = native_create(&s, &party, &body, captured_at, Some("attacker-1")).await;
    assert_eq!(
        keyed.code(),
        ErrorCode::RequestReplayed.code(),
        "{:?}",
        keyed.body
    );
    assert!(device.api.pending().await.unwrap().requests.is_empty());

    // Another instance on the same database refuses it too.
    let other = TestServer::start_with(|c| c.data_dir = dir.clone()).await;
    other.clock().set(s.clock().now());
    let replay = native_create(&other, &party, &body, captured_at, None).await;
    assert_eq!(
        replay.code(),
        ErrorCode::RequestReplayed.code(),
        "{:?}",
        replay.body
    );
    assert!(device.api.pending().await.unwrap().requests.is_empty());
    other.stop().await;

    // The honest relying party signs anew (a new date): a new request, as always.
    let again = native_create(&s, &party, &body, s.clock().now(), None).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    s.stop().await;
}

#[tokio::test]
async fn f9_an_idempotent_retry_still_answers_the_first_receipt() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let at = s.clock().now();
    let body = identity_body("nonce-idem");
    let first = native_create(&s, &party, &body, at, Some("order-42")).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let id = first.body["receiptID"].as_str().unwrap().to_owned();
    // The answer was lost; the client sends the identical signed bytes with the same key.
    let retry = native_create(&s, &party, &body, at, Some("order-42")).await;
    assert_eq!(retry.status, 200, "{:?}", retry.body);
    assert_eq!(retry.body["receiptID"], id.as_str());
    // Signed anew with the same key: the ordinary idempotent replay.
    s.clock().advance(std::time::Duration::from_secs(1));
    let resigned = native_create(&s, &party, &body, s.clock().now(), Some("order-42")).await;
    assert_eq!(
        resigned.body["receiptID"],
        id.as_str(),
        "{:?}",
        resigned.body
    );
    // Still one card, and after it ended the identical bytes with that key replay, nothing more.
    assert_eq!(device.api.pending().await.unwrap().requests.len(), 1);
    device.approve(&id, s.clock().now()).await.unwrap();
    let late = native_create(&s, &party, &body, at, Some("order-42")).await;
    assert_eq!(late.body["receiptID"], id.as_str(), "{:?}", late.body);
    assert!(device.api.pending().await.unwrap().requests.is_empty());
    s.stop().await;
}

#[tokio::test]
async fn f9_kakaocert_and_barocert_calls_do_not_replay() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;

    // kakaocert 2.0: the same x-kc-auth over the same body and date.
    let token = kc_token(&s, &party).await;
    let (status, r) = kc_post(
        &s,
        &token,
        &party,
        "/SignToken/Request",
        &kc_esign("t", "m"),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let id = r["receiptId"].as_str().unwrap().to_owned();
    device.approve(&id, s.clock().now()).await.unwrap();
    let (status, r) = kc_post(
        &s,
        &token,
        &party,
        "/SignToken/Request",
        &kc_esign("t", "m"),
    )
    .await;
    assert_eq!(status, 409, "{r}");
    assert_eq!(r["code"], ErrorCode::RequestReplayed.code());

    // barocert (KAKAO Identity): the same x-bc-auth over the same encrypted body and date.
    let bc = dojang_client::barocert::BarocertKakao::new(
        &s.url(),
        &s.url(),
        &party.link_id,
        &party.secret,
    )
    .unwrap();
    let req = dojang_client::CreateRequest::new(
        bc.encrypt(NAME).unwrap(),
        bc.encrypt(PHONE).unwrap(),
        bc.encrypt(BIRTH).unwrap(),
        bc.encrypt("nonce-bc").unwrap(),
        "본인확인",
        300,
    );
    let body = serde_json::to_vec(&req).unwrap();
    let bc_token = LinkHubAuth::new(&s.url(), &party.link_id, &party.secret)
        .unwrap()
        .barocert_token()
        .await
        .unwrap()
        .session_token;
    let path = format!("/KAKAO/Identity/{}", party.client_code);
    let key = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let date = linkhub::format_time(s.clock().now());
    let sig = linkhub::sign(
        &key,
        &linkhub::barocert_string_to_sign(&body, &date, &path, false),
    );
    let send = || {
        reqwest::Client::new()
            .post(format!("{}{path}", s.url()))
            .header("authorization", format!("Bearer {bc_token}"))
            .header("x-bc-date", &date)
            .header("x-bc-version", "2.1")
            .header("x-bc-auth", &sig)
            .header("content-type", "Application/json")
            .body(body.clone())
            .send()
    };
    let res = send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let r: Value = res.json().await.unwrap();
    let id = r["receiptID"].as_str().unwrap().to_owned();
    device.approve(&id, s.clock().now()).await.unwrap();
    let res = send().await.unwrap();
    assert_eq!(res.status().as_u16(), 409);
    let r: Value = res.json().await.unwrap();
    assert_eq!(
        r["code"],
        dojang_proto::barocert::error_code(
            dojang_proto::barocert::KakaoService::Identity.scope(),
            ErrorCode::RequestReplayed
        )
    );
    assert!(device.api.pending().await.unwrap().requests.is_empty());
    s.stop().await;
}

// ---------------------------------------------------------------------------------------------
// #10: behind a reverse proxy every client is one address: the admin lockout must not lock out
// every operator, and LinkHub tokens must be bound to the real client. Forwarded headers count
// only from the proxies listed in `trusted_proxies`.

const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// One admin login attempt through "the proxy" (this test, on 127.0.0.1), which names the
/// client in `X-Forwarded-For`: the HTTP status (303 in, 401 wrong, 429 locked out).
async fn admin_login(s: &TestServer, forwarded_for: &str, password: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{}/admin/login", s.url()))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let body = form.text().await.unwrap();
    let marker = r#"name="_csrf" value=""#;
    let at = body.find(marker).unwrap() + marker.len();
    let csrf = &body[at..at + body[at..].find('"').unwrap()];
    let enc = |v: &str| {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    http.post(format!("{}/admin/login", s.url()))
        .header("x-forwarded-for", forwarded_for)
        .header("cookie", cookies.join("; "))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "password={}&next=%2Fadmin&_csrf={}",
            enc(password),
            enc(csrf)
        ))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn admin_server(trusted: &[&str]) -> TestServer {
    let phc = ops::hash_password(ADMIN_PASSWORD).unwrap();
    let trusted: Vec<String> = trusted.iter().map(|t| (*t).to_owned()).collect();
    TestServer::start_with(move |c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc);
        c.trusted_proxies = trusted;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f10_one_client_behind_the_proxy_does_not_lock_out_the_others() {
    let s = admin_server(&["127.0.0.1/32"]).await;
    for _ in 0..5 {
        admin_login(&s, "203.0.113.7", "guess").await;
    }
    assert_eq!(admin_login(&s, "203.0.113.7", ADMIN_PASSWORD).await, 429);
    // Another operator behind the same proxy still gets in.
    assert_eq!(admin_login(&s, "198.51.100.20", ADMIN_PASSWORD).await, 303);
    // The guesser cannot escape by writing its own header: the proxy appends the real
    // address, and only the rightmost untrusted entry counts.
    assert_eq!(
        admin_login(&s, "198.51.100.20, 203.0.113.7", ADMIN_PASSWORD).await,
        429
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f10_forwarded_headers_from_untrusted_peers_are_ignored() {
    // No trusted proxy: a client that varies X-Forwarded-For is still one client.
    let s = admin_server(&[]).await;
    for i in 0..5 {
        admin_login(&s, &format!("203.0.113.{i}"), "guess").await;
    }
    assert_eq!(admin_login(&s, "198.51.100.99", ADMIN_PASSWORD).await, 429);
    s.stop().await;
}

#[tokio::test]
async fn f10_linkhub_tokens_are_bound_to_the_client_behind_the_proxy() {
    let s = TestServer::start_with(|c| c.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let party = s.add_party("도장은행").await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    // The token request arrives through the proxy for 203.0.113.7 (the SDK's default:
    // IPRestrictOnOff, no x-lh-forwarded).
    let body = br#"{"access_id": "", "scope": ["partner", "401"]}"#;
    let key = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    let date = linkhub::format_time(s.clock().now());
    let sig = linkhub::sign(
        &key,
        &linkhub::token_string_to_sign(body, &date, None, dojang_proto::linkhub::BAROCERT),
    );
    let res = reqwest::Client::new()
        .post(format!("{}/BAROCERT/Token", s.url()))
        .header("x-lh-date", &date)
        .header("x-lh-version", "2.0")
        .header("x-forwarded-for", "203.0.113.7")
        .header(
            "authorization",
            linkhub::token_authorization(&party.link_id, &sig),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["ipaddress"], "203.0.113.7", "{t}");
    let token = t["session_token"].as_str().unwrap().to_owned();
    let status = |from: &'static str| {
        let (token, url) = (token.clone(), s.url());
        let path = format!(
            "/KAKAO/Identity/{}/{}",
            party.client_code, "00000000000000000000000000000000"
        );
        async move {
            let res = reqwest::Client::new()
                .get(format!("{url}{path}"))
                .header("authorization", format!("Bearer {token}"))
                .header("x-forwarded-for", from)
                .send()
                .await
                .unwrap();
            let v: Value = res.json().await.unwrap();
            v["code"].as_i64()
        }
    };
    // From the client it was issued to: the token is accepted (the receipt is unknown).
    let own = status("203.0.113.7").await;
    assert_ne!(own, Some(ErrorCode::LinkHubTokenInvalid.code()), "{own:?}");
    // From another client behind the same proxy: refused, as if the token leaked.
    assert_eq!(
        status("198.51.100.20").await,
        Some(ErrorCode::LinkHubTokenInvalid.code())
    );
    s.stop().await;
}

// ---------------------------------------------------------------------------------------------
// #2: SMS codes guessed at scale. Wrong codes are limited per client address (20 an hour),
// across the server (30 a minute) and per phone number (back-off after one enrolment's five).

/// Start an SMS enrolment "from" `client` (named to dojang by this test as the trusted proxy):
/// the enrolment id, or the refusal's status and code.
async fn otp_start(s: &TestServer, client: &str, phone: &str) -> Result<String, (u16, i64)> {
    let res = reqwest::Client::new()
        .post(format!("{}/device/v1/enrolments", s.url()))
        .header("x-forwarded-for", client)
        .json(&json!({"name": NAME, "phone": phone, "birthday": BIRTH}))
        .send()
        .await
        .unwrap();
    let st = res.status().as_u16();
    let b: Value = res.json().await.unwrap();
    if st == 200 {
        Ok(b["enrolmentID"].as_str().unwrap().to_owned())
    } else {
        Err((st, b["code"].as_i64().unwrap()))
    }
}

/// Send `code` for an enrolment (as a login: no CSR needed) from `client`: the status, the
/// code of a refusal and its `Retry-After`.
async fn otp_try(s: &TestServer, client: &str, id: &str, code: &str) -> (u16, i64, Option<u64>) {
    let res = reqwest::Client::new()
        .post(format!("{}/device/v1/enrolments/{id}/login", s.url()))
        .header("x-forwarded-for", client)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    let st = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let b: Value = res.json().await.unwrap();
    (st, b["code"].as_i64().unwrap_or(0), retry)
}

/// A code that is not the one sent to `phone`.
async fn wrong_code(s: &TestServer, phone: &str) -> String {
    let right: u32 = s.last_code(phone).await.parse().unwrap();
    format!("{:06}", (right + 1) % 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_sms_codes_cannot_be_guessed_at_scale() {
    let s = TestServer::start_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    let limited = ErrorCode::OtpRateLimited.code();
    let wrong = ErrorCode::OtpWrong.code();
    // One address guesses across five numbers, four wrong codes each (under every per-phone
    // limit): twenty wrong codes in the hour.
    let attacker = "203.0.113.9";
    for n in 0..5 {
        let phone = format!("0109000000{n}");
        let id = otp_start(&s, attacker, &phone).await.unwrap();
        let guess = wrong_code(&s, &phone).await;
        for _ in 0..4 {
            let (st, code, _) = otp_try(&s, attacker, &id, &guess).await;
            assert_eq!((st, code), (400, wrong));
        }
    }
    // The twenty-first is not even checked, right or not, and says when to come back.
    let id = otp_start(&s, attacker, "01090000009").await.unwrap();
    let right = s.last_code("01090000009").await;
    let (st, code, retry) = otp_try(&s, attacker, &id, &right).await;
    assert_eq!((st, code), (429, limited));
    assert_eq!(retry, Some(3600));
    // Another address is not held back by it: an honest person's slip, then their code.
    let honest = "198.51.100.4";
    let id = otp_start(&s, honest, "01070000001").await.unwrap();
    let slip = wrong_code(&s, "01070000001").await;
    assert!(
        matches!(otp_try(&s, honest, &id, &slip).await.1, c if c == wrong || c == ErrorCode::OtpTooManyAttempts.code())
    );
    let right = s.last_code("01070000001").await;
    assert_eq!(otp_try(&s, honest, &id, &right).await.0, 200);

    // Per phone: one enrolment's five wrong codes, then no new code and no check for a while.
    let victim = "01080000001";
    let id = otp_start(&s, "192.0.2.1", victim).await.unwrap();
    let guess = wrong_code(&s, victim).await;
    for _ in 0..5 {
        assert!(
            matches!(otp_try(&s, "192.0.2.1", &id, &guess).await.1, c if c == wrong || c == ErrorCode::OtpTooManyAttempts.code())
        );
    }
    assert_eq!(
        otp_start(&s, "192.0.2.2", victim).await,
        Err((429, limited)),
        "a phone in its back-off gets no new code"
    );

    // Across the server: 20 + 1 + 5 wrong codes so far this minute; four more from fresh
    // addresses reach the ceiling of thirty, then everyone waits for the minute to pass.
    for n in 0..4 {
        let phone = format!("0106000000{n}");
        let client = format!("192.0.2.{}", 10 + n);
        let id = otp_start(&s, &client, &phone).await.unwrap();
        let guess = wrong_code(&s, &phone).await;
        assert!(
            matches!(otp_try(&s, &client, &id, &guess).await.1, c if c == wrong || c == ErrorCode::OtpTooManyAttempts.code())
        );
    }
    let id = otp_start(&s, "192.0.2.99", "01060000009").await.unwrap();
    let right = s.last_code("01060000009").await;
    let (st, code, retry) = otp_try(&s, "192.0.2.99", &id, &right).await;
    assert_eq!((st, code), (429, limited));
    assert!(retry.is_some_and(|r| r <= 60), "{retry:?}");
    // Later, the honest person gets in.
    s.clock().advance(std::time::Duration::from_secs(61));
    assert_eq!(otp_try(&s, "192.0.2.99", &id, &right).await.0, 200);
}

// ---------------------------------------------------------------------------------------------
// #8: the sandbox, when on, was everyone's: any browser listed and removed every sandbox person
// (by a sequential id), could make a self-approving person on a real member's number, and the
// person's certificate came from the production CA. Now: sandbox people belong to the browser
// that made them, real members' numbers are refused, and sandbox certificates come from the
// sandbox CA with their own policy, refused by every relying party that is not a test party.

use crate::console::{Browser, create, person_ids, sandbox_server, settled, test_party};

/// Add a sandbox person with any birth date: the status and page.
async fn add_sandbox(b: &Browser, phone: &str, birthday: &str, outcome: &str, delay: &str) -> u16 {
    let fields = [
        ("_csrf", b.csrf.as_str()),
        ("name", NAME),
        ("phone", phone),
        ("birthday", birthday),
        ("outcome", outcome),
        ("delay", delay),
    ];
    let page = b.post_raw("/console/sandbox", &fields, true).await;
    assert!(
        page.status == 303 || page.status >= 400,
        "{}: {}",
        page.status,
        page.html
    );
    page.status
}

async fn sandbox_member(s: &TestServer, phone: &str) -> dojang_core::Member {
    let phone = dojang_core::Phone::parse(phone).unwrap();
    let mut all = s.state().store.members_by_phone(&phone).await.unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f8_a_browser_sees_and_removes_only_its_own_sandbox_people() {
    let s = sandbox_server().await;
    let (a, b) = (Browser::open(&s).await, Browser::open(&s).await);
    assert_eq!(
        add_sandbox(&a, "01055558001", BIRTH, "approve", "0").await,
        303
    );
    assert_eq!(
        add_sandbox(&b, "01055558002", BIRTH, "approve", "0").await,
        303
    );
    let (page_a, page_b) = (a.get("/console").await, b.get("/console").await);
    let (ids_a, ids_b) = (person_ids(&page_a.html), person_ids(&page_b.html));
    assert_eq!(ids_a.len(), 1, "{}", page_a.html);
    assert_eq!(ids_b.len(), 1, "{}", page_b.html);
    assert_ne!(ids_a, ids_b);
    assert!(!page_a.html.contains("01055558002"), "a sees only its own");
    assert!(!page_b.html.contains("01055558001"), "b sees only its own");
    assert!(ids_a[0].len() == 24 && ids_a[0].bytes().all(|c| c.is_ascii_hexdigit()));

    // b removes a's person: 404, exactly like an id that never was; a's person keeps running.
    let b_form = [("_csrf", b.csrf.as_str())];
    let path_a = format!("/console/sandbox/{}/remove", ids_a[0]);
    assert_eq!(b.post_raw(&path_a, &b_form, true).await.status, 404);
    assert_eq!(
        b.post_raw("/console/sandbox/1/remove", &b_form, true)
            .await
            .status,
        404,
        "no sequential ids"
    );
    assert_eq!(
        b.post_raw(
            "/console/sandbox/0123456789abcdef01234567/remove",
            &b_form,
            true
        )
        .await
        .status,
        404
    );
    assert_eq!(person_ids(&a.get("/console").await.html), ids_a);
    assert_eq!(s.state().sandbox.running(), 2);

    // The owner is kept with the member as a keyed hash of the cookie, never the cookie.
    let member = sandbox_member(&s, "01055558001").await;
    let owner = s
        .state()
        .store
        .sandbox_owner(member.id)
        .await
        .unwrap()
        .unwrap();
    let cookie_a = a.cookie.trim_start_matches("dojang_console=");
    assert_ne!(owner, cookie_a.as_bytes());
    let theirs = sandbox_member(&s, "01055558002").await;
    assert_ne!(
        s.state()
            .store
            .sandbox_owner(theirs.id)
            .await
            .unwrap()
            .unwrap(),
        owner
    );

    // a removes its own.
    let a_form = [("_csrf", a.csrf.as_str())];
    assert_eq!(a.post_raw(&path_a, &a_form, true).await.status, 303);
    assert!(person_ids(&a.get("/console").await.html).is_empty());
    assert_eq!(person_ids(&b.get("/console").await.html), ids_b);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f8_a_real_members_number_is_refused_and_never_reached_through_the_sandbox() {
    let s = sandbox_server().await;
    let _real = s.enrol(NAME, PHONE, BIRTH).await;
    let a = Browser::open(&s).await;
    // A real member's number, whatever the birth date (and whatever the name).
    for birthday in [BIRTH, "19850505", "20000229"] {
        let fields = [
            ("_csrf", a.csrf.as_str()),
            ("name", "김샌드"),
            ("phone", PHONE),
            ("birthday", birthday),
            ("outcome", "approve"),
            ("delay", "0"),
        ];
        let page = a.post_raw("/console/sandbox", &fields, true).await;
        assert_eq!(page.status, 409, "{birthday}");
        let said = crate::console::by_id(&page.html, "sandbox-error").unwrap();
        assert!(said.contains("실제 회원"), "{said}");
    }
    assert_eq!(s.state().sandbox.running(), 0);

    // A sandbox person does not exist for a real relying party: exactly like nobody.
    let real_party = s.add_party("도장은행").await;
    let test = test_party(&s).await;
    let x = "01055558003";
    assert_eq!(add_sandbox(&a, x, BIRTH, "expire", "0").await, 303);
    let r = sandbox_create(&s, &real_party, x, "to-sandbox").await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.code(), ErrorCode::ReceiverNotFound.code());
    let r = sandbox_create(&s, &test, x, "to-sandbox").await;
    assert_eq!(r.status, 200, "a test party reaches them: {:?}", r.body);

    // The real person with that number enrols later: their enrolment supersedes the sandbox
    // person, who stops being one; the real party's request reaches the real device.
    let device = s.enrol(NAME, x, BIRTH).await;
    let member = sandbox_member(&s, x).await;
    assert!(
        s.state()
            .store
            .sandbox_owner(member.id)
            .await
            .unwrap()
            .is_none()
    );
    let r = sandbox_create(&s, &real_party, x, "to-real").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["receiptID"].as_str().unwrap().to_owned();
    approve_as_the_person(&s, &device, &id, &r.body).await;
    let v = signed(
        &s,
        &real_party,
        "POST",
        &format!("/v1/identity/{id}/verify"),
        b"",
        None,
    )
    .await;
    assert_eq!(v.status, 200, "{:?}", v.body);
    assert_eq!(
        openssl_verify(&s, v.body["signedData"].as_str().unwrap()),
        "to-real"
    );
    s.stop().await;
}

async fn sandbox_create(
    s: &TestServer,
    party: &TestParty,
    phone: &str,
    token: &str,
) -> crate::common::Answer {
    let body = serde_json::to_vec(&json!({
        "receiverName": NAME, "receiverHP": phone, "receiverBirthday": BIRTH,
        "token": token, "reqTitle": "본인확인", "expireIn": 300
    }))
    .unwrap();
    signed(s, party, "POST", "/v1/identity", &body, None).await
}

/// Wait until the sandbox person answered `id` (state leaves 0), through the native status.
async fn answered(s: &TestServer, party: &TestParty, id: &str) -> Value {
    for _ in 0..4 {
        let st = signed(
            s,
            party,
            "GET",
            &format!("/v1/identity/{id}?wait=30"),
            b"",
            None,
        )
        .await;
        assert_eq!(st.status, 200, "{:?}", st.body);
        if st.body["state"] != 0 {
            return st.body;
        }
    }
    panic!("{id} stayed waiting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f8_a_sandbox_signature_is_refused_outside_the_sandbox_in_every_dialect() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let a = Browser::open(&s).await;
    let x = "01055558004";
    assert_eq!(add_sandbox(&a, x, BIRTH, "approve", "0").await, 303);
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    let store = &s.state().store;

    // Native: signed inside the sandbox, then the operator says the party is a real one
    // (`dojang admin rp sandbox --off`, a separate process on the same database).
    let receipt = create(&a, &party, x).await;
    assert_eq!(settled(&a, &party, &receipt).await["state"], 1);
    let data = s.data_dir();
    let (ok, out) = tokio::task::block_in_place(|| {
        dojang_testkit::run(
            &dojang_testkit::binary("dojang"),
            &[
                "admin",
                "--data-dir",
                data.to_str().unwrap(),
                "rp",
                "sandbox",
                "--client-code",
                &party.client_code,
                "--off",
            ],
            &[],
        )
    });
    assert!(ok.success(), "{out}");
    assert!(out.contains("real relying party"), "{out}");
    assert!(!store.is_sandbox_party(&code).await.unwrap());
    let (ok, out) = tokio::task::block_in_place(|| {
        dojang_testkit::run(
            &dojang_testkit::binary("dojang"),
            &[
                "admin",
                "--data-dir",
                data.to_str().unwrap(),
                "rp",
                "list",
                "--json",
            ],
            &[],
        )
    });
    assert!(ok.success(), "{out}");
    assert_eq!(dojang_testkit::json(&out)[0]["testParty"], false, "{out}");
    let v = signed(
        &s,
        &party,
        "POST",
        &format!("/v1/identity/{receipt}/verify"),
        b"",
        None,
    )
    .await;
    assert_eq!(v.status, 403, "{:?}", v.body);
    assert_eq!(v.code(), ErrorCode::SandboxCertificate.code());
    assert!(v.body.get("signedData").is_none());

    // kakaocert 2.0 VerifyAuth.
    store.set_sandbox_party(&code, true).await.unwrap();
    let kc =
        dojang_client::kakaocert::Kakaocert::new(&s.url(), &s.url(), &party.link_id, &party.secret)
            .unwrap();
    let cc = party.client_code.as_str();
    let req = dojang_client::kakaocert::KcRequest {
        call_center_num: Some("1600-8536".into()),
        receiver_name: Some(NAME.into()),
        receiver_hp: Some(x.into()),
        receiver_birthday: Some(BIRTH.into()),
        tms_title: Some("본인인증".into()),
        token: Some("kc-sandbox".into()),
        expires_in: Some(300),
        allow_simple_regist: Some(true),
        verify_name: Some(false),
        ..dojang_client::kakaocert::KcRequest::default()
    };
    let r = kc.request_verify_auth(cc, &req).await.unwrap();
    assert_eq!(answered(&s, &party, &r.receipt_id).await["state"], 1);
    store.set_sandbox_party(&code, false).await.unwrap();
    let e = kc.verify_auth(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::SandboxCertificate), "{e}");

    // barocert (KAKAO Identity).
    store.set_sandbox_party(&code, true).await.unwrap();
    let bc = dojang_client::barocert::BarocertKakao::new(
        &s.url(),
        &s.url(),
        &party.link_id,
        &party.secret,
    )
    .unwrap();
    let req = dojang_client::CreateRequest::new(
        bc.encrypt(NAME).unwrap(),
        bc.encrypt(x).unwrap(),
        bc.encrypt(BIRTH).unwrap(),
        bc.encrypt("bc-sandbox").unwrap(),
        "본인확인",
        300,
    );
    let r = bc.request_identity(cc, &req).await.unwrap();
    assert_eq!(answered(&s, &party, &r.receipt_id).await["state"], 1);
    store.set_sandbox_party(&code, false).await.unwrap();
    let e = bc.verify_identity(cc, &r.receipt_id).await.unwrap_err();
    assert_eq!(
        e.code(),
        dojang_proto::barocert::error_code(
            dojang_proto::barocert::KakaoService::Identity.scope(),
            ErrorCode::SandboxCertificate
        )
    );

    // The hosted login's code exchange.
    store.set_sandbox_party(&code, true).await.unwrap();
    let back = "https://test-party.example/auth/callback";
    store
        .set_login_return_url(&code, Some(back), s.clock().now())
        .await
        .unwrap();
    let mut browser = crate::login_page::Browser::new(&s);
    let (st, html, _) = browser.get(&format!("/login/{cc}/form?state=sb-1")).await;
    assert_eq!(st, 200);
    let token = crate::login_page::csrf(&html);
    let (st, html, steps) = browser
        .post(
            &format!("/login/{cc}/form"),
            &[
                ("_csrf", &token),
                ("state", "sb-1"),
                ("name", NAME),
                ("phone", x),
                ("birthday", BIRTH),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(st, 303, "{html}");
    let steps = steps.unwrap();
    let mut done = None;
    for _ in 0..100 {
        let (st, html, _) = browser.get(&format!("{steps}/done")).await;
        if st == 200 {
            done = Some(html);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let link = crate::login_page::return_link(&done.expect("the sandbox person signed"));
    let one_time = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    store.set_sandbox_party(&code, false).await.unwrap();
    let e = s
        .client(&party)
        .exchange_login_page_code(&one_time)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::SandboxCertificate.code(), "{e}");

    // Approval itself: a request made while the party was a test party and answered after it
    // stopped being one fails with the code as its reason, and never reaches state 1.
    let y = "01055558005";
    assert_eq!(add_sandbox(&a, y, BIRTH, "approve", "2").await, 303);
    store.set_sandbox_party(&code, true).await.unwrap();
    let r = sandbox_create(&s, &party, y, "late").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["receiptID"].as_str().unwrap().to_owned();
    store.set_sandbox_party(&code, false).await.unwrap();
    let st = answered(&s, &party, &id).await;
    assert_eq!(st["state"], 4, "{st}");
    assert!(
        st["stateReason"].as_str().unwrap().contains("-10500012"),
        "{st}"
    );

    // And outside the sandbox nobody can even ask them.
    let r = sandbox_create(&s, &party, x, "again").await;
    assert_eq!(r.code(), ErrorCode::ReceiverNotFound.code());
    s.stop().await;
}

fn openssl_in(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is installed");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f8_sandbox_certificates_name_their_own_ca_and_policy_and_real_ones_still_verify() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let a = Browser::open(&s).await;
    let x = "01055558006";
    assert_eq!(add_sandbox(&a, x, BIRTH, "approve", "0").await, 303);
    let receipt = create(&a, &party, x).await;
    assert_eq!(settled(&a, &party, &receipt).await["state"], 1);
    let v = signed(
        &s,
        &party,
        "POST",
        &format!("/v1/identity/{receipt}/verify"),
        b"",
        None,
    )
    .await;
    assert_eq!(v.status, 200, "inside the sandbox it works: {:?}", v.body);

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cms = base64::engine::general_purpose::STANDARD
        .decode(v.body["signedData"].as_str().unwrap())
        .unwrap();
    std::fs::write(dir.join("s.der"), &cms).unwrap();
    std::fs::write(dir.join("ca.pem"), s.ca_pem()).unwrap();
    let (sandbox_ca, _) = s.state().sandbox_ca.as_ref().unwrap();
    std::fs::write(dir.join("sandbox.pem"), sandbox_ca.certificate_pem()).unwrap();
    let (ok, t) = openssl_in(
        dir,
        &[
            "pkcs7",
            "-inform",
            "DER",
            "-in",
            "s.der",
            "-print_certs",
            "-out",
            "ee.pem",
        ],
    );
    assert!(ok, "{t}");
    let (ok, t) = openssl_in(dir, &["x509", "-in", "ee.pem", "-noout", "-text"]);
    assert!(ok, "{t}");
    assert!(
        t.contains(
            "Issuer: C = KR, O = dojang SANDBOX - NOT FOR PRODUCTION, CN = dojang SANDBOX CA - NOT FOR PRODUCTION"
        ),
        "{t}"
    );
    assert!(
        t.contains("Subject: C = KR, O = dojang SANDBOX - NOT FOR PRODUCTION"),
        "{t}"
    );
    assert!(t.contains(dojang_pki::SANDBOX_POLICY_OID), "{t}");
    assert!(!t.contains(dojang_pki::POLICY_OID), "{t}");
    // Against dojang's CA the signature does not verify; against the sandbox CA it does.
    let (ok, t) = openssl_in(
        dir,
        &[
            "cms", "-verify", "-inform", "DER", "-in", "s.der", "-CAfile", "ca.pem", "-out", "o",
        ],
    );
    assert!(!ok, "{t}");
    let (ok, t) = openssl_in(
        dir,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "s.der",
            "-CAfile",
            "sandbox.pem",
            "-out",
            "o",
        ],
    );
    assert!(ok, "{t}");

    // The OCSP responder never says `good` for a sandbox serial, even asked as dojang's.
    let (ok, t) = openssl_in(dir, &["x509", "-in", "ee.pem", "-noout", "-serial"]);
    assert!(ok, "{t}");
    let hex = t.trim().trim_start_matches("serial=").to_owned();
    let (ok, t) = openssl_in(
        dir,
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-serial",
            &format!("0x{hex}"),
            "-no_nonce",
            "-reqout",
            "req.der",
        ],
    );
    assert!(ok, "{t}");
    let res = reqwest::Client::new()
        .post(format!("{}/pki/ocsp", s.url()))
        .header("content-type", "application/ocsp-request")
        .body(std::fs::read(dir.join("req.der")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    std::fs::write(dir.join("resp.der"), res.bytes().await.unwrap()).unwrap();
    let (_, t) = openssl_in(
        dir,
        &[
            "ocsp",
            "-respin",
            "resp.der",
            "-CAfile",
            "ca.pem",
            "-verify_other",
            "ca.pem",
            "-resp_text",
            "-no_nonce",
        ],
    );
    assert!(t.contains("Response verify OK"), "{t}");
    assert!(t.contains("Cert Status: unknown"), "{t}");
    assert!(!t.contains("Cert Status: good"), "{t}");

    // A real certificate, on the same server, still verifies for a real party.
    let real_party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let body = serde_json::to_vec(&json!({
        "receiverName": NAME, "receiverHP": PHONE, "receiverBirthday": BIRTH,
        "token": "real-one", "reqTitle": "본인확인", "expireIn": 300
    }))
    .unwrap();
    let r = signed(&s, &real_party, "POST", "/v1/identity", &body, None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["receiptID"].as_str().unwrap().to_owned();
    approve_as_the_person(&s, &device, &id, &r.body).await;
    let v = signed(
        &s,
        &real_party,
        "POST",
        &format!("/v1/identity/{id}/verify"),
        b"",
        None,
    )
    .await;
    assert_eq!(v.status, 200, "{:?}", v.body);
    assert_eq!(
        openssl_verify(&s, v.body["signedData"].as_str().unwrap()),
        "real-one"
    );
    s.stop().await;
}

/// The real person approves on their device, picking the binding code the relying party's page
/// shows (the sandbox server keeps `dev_reveal_binding_code` off).
async fn approve_as_the_person(
    s: &TestServer,
    device: &dojang_testkit::TestDevice,
    id: &str,
    created: &Value,
) {
    let card = device.card(id).await;
    let code = created["bindingCode"].as_str().map(str::to_owned);
    assert!(code.is_some(), "{created}");
    device
        .approve_card(&card, code, s.clock().now())
        .await
        .unwrap();
}
