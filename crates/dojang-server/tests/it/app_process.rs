//! Every kind of request answered by `dojang-app listen` running as its own process
//! (`--auto-approve`, `--auto-approve --wrong-code`, `--auto-decline`, `--auto-ignore`) and by
//! `dojang-app open` for app-to-app, against the real server, through the SDK.

use std::path::Path;
use std::time::Duration;

use dojang_app::{Enrolment, Holder};
use dojang_client::{CreateRequest, DebitAccount, ErrorCode, Kind, TokenItem, TokenType};
use dojang_testkit::{Process, TestServer, binary};

use crate::common::*;

const PIN: &str = "482913";

/// Enrol a profile on disk, as `dojang-app enroll` would.
async fn enrol_profile(s: &TestServer, dir: &Path) {
    let holder = Holder {
        name: NAME.into(),
        phone: PHONE.into(),
        birthday: BIRTH.into(),
    };
    let mut e = Enrolment::start(&s.url(), holder).await.unwrap();
    e.set_pin(PIN).unwrap();
    let code = s.last_code(PHONE).await;
    let done = e.submit_code(&code).await.unwrap();
    e.finish(dir, done, PIN).unwrap();
}

fn listen(profile: &str, flags: &[&str]) -> Process {
    let mut args = vec!["--profile", profile, "listen", "--json"];
    args.extend_from_slice(flags);
    let mut p = Process::start(&binary("dojang-app"), &args, &[("DOJANG_PIN", PIN)]);
    tokio::task::block_in_place(|| p.wait_for("\"connected\"", Duration::from_secs(30)));
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_through_the_app_process() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("app");
    enrol_profile(&s, &profile).await;
    let profile = profile.to_str().unwrap();
    let client = s.client(&party);

    let mut approver = listen(profile, &["--auto-approve"]);
    let requests: Vec<(Kind, CreateRequest)> = vec![
        (
            Kind::Identity,
            CreateRequest::new(NAME, PHONE, BIRTH, "id-nonce", "본인확인", 120),
        ),
        (
            Kind::Sign,
            CreateRequest::sign(
                NAME,
                PHONE,
                BIRTH,
                "약정서",
                TokenType::Text,
                "약정에 동의합니다",
                120,
            ),
        ),
        (
            Kind::MultiSign,
            CreateRequest::multi_sign(
                NAME,
                PHONE,
                BIRTH,
                "계약",
                vec![
                    TokenItem::new("약관", TokenType::Text, "약관 본문"),
                    TokenItem::new(
                        "계약서",
                        TokenType::Pdf,
                        "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg",
                    ),
                ],
                120,
            ),
        ),
        (
            Kind::DebitConsent,
            CreateRequest::debit_consent(
                NAME,
                PHONE,
                BIRTH,
                "출금동의",
                DebitAccount {
                    request_corp: "도장보험".into(),
                    bank_name: "국민은행".into(),
                    bank_account_num: "123-45-6789".into(),
                    bank_account_name: NAME.into(),
                    bank_account_birthday: BIRTH.into(),
                    bank_service_type: "GIRO".into(),
                },
                120,
            ),
        ),
        (
            Kind::Login,
            CreateRequest::login(NAME, PHONE, BIRTH, "login-nonce", 120),
        ),
    ];
    for (kind, req) in &requests {
        let r = client.request(*kind, req).await.unwrap();
        let st = client.wait_status(*kind, &r.receipt_id, 30).await.unwrap();
        assert_eq!(st.state, 1, "{kind}: {st:?}");
        let v = client.verify(*kind, &r.receipt_id).await.unwrap();
        assert_eq!(v.kind, *kind);
        match kind {
            Kind::MultiSign => assert_eq!(v.multi_signed_data.map(|m| m.len()), Some(2)),
            _ => assert!(v.signed_data.is_some()),
        }
    }
    // The wrong code: the request ends declined.
    approver.terminate();
    let mut phished = listen(profile, &["--auto-approve", "--wrong-code"]);
    // The same signed bytes again would be a replay (-10300030): a real client signs anew.
    s.clock().advance(Duration::from_secs(1));
    let r = client
        .request(Kind::Identity, &requests[0].1)
        .await
        .unwrap();
    let st = client
        .wait_status(Kind::Identity, &r.receipt_id, 30)
        .await
        .unwrap();
    assert_eq!(
        (st.state, st.state_reason.as_deref()),
        (3, Some("binding code mismatch"))
    );
    phished.terminate();

    let mut decliner = listen(profile, &["--auto-decline"]);
    s.clock().advance(Duration::from_secs(1));
    let r = client.request(Kind::Sign, &requests[1].1).await.unwrap();
    let st = client
        .wait_status(Kind::Sign, &r.receipt_id, 30)
        .await
        .unwrap();
    assert_eq!(st.state, 3);
    decliner.terminate();

    let mut ignorer = listen(profile, &["--auto-ignore"]);
    s.clock().advance(Duration::from_secs(1));
    let r = client
        .request(Kind::Identity, &requests[0].1)
        .await
        .unwrap();
    tokio::task::block_in_place(|| {
        ignorer.wait_for(
            &format!("\"ignored\",\"receiptID\":\"{}\"", r.receipt_id),
            Duration::from_secs(30),
        )
    });
    assert_eq!(
        client
            .status(Kind::Identity, &r.receipt_id)
            .await
            .unwrap()
            .state,
        0
    );
    s.clock().advance(Duration::from_secs(121));
    assert_eq!(
        client
            .status(Kind::Identity, &r.receipt_id)
            .await
            .unwrap()
            .state,
        2
    );
    ignorer.terminate();

    // App-to-app: `dojang-app open <scheme>` answers and prints where to return.
    let req =
        CreateRequest::login(NAME, PHONE, BIRTH, "a2a", 120).with_app_to_app("myapp://login/done");
    let r = client.request(Kind::Login, &req).await.unwrap();
    let scheme = r.scheme.unwrap();
    let mut open = Process::start(
        &binary("dojang-app"),
        &["--profile", profile, "open", &scheme],
        &[("DOJANG_PIN", PIN)],
    );
    let line = tokio::task::block_in_place(|| open.wait_for("return to ", Duration::from_secs(30)));
    let tx = line.rsplit("txID=").next().unwrap().trim().to_owned();
    assert!(tokio::task::block_in_place(|| open.wait(Duration::from_secs(30))).success());
    let v = client.verify_login(&tx).await.unwrap();
    assert_eq!(v.token.as_deref(), Some("a2a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_and_relying_party_command_lines() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let dojang = binary("dojang");
    let data = s.data_dir();
    let data = data.to_str().unwrap();
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--data-dir", data, "rp", "alias"];
        all.extend_from_slice(args);
        tokio::task::block_in_place(|| dojang_testkit::run(&dojang, &all, &[]))
    };
    let (ok, out) = admin(&[
        "add",
        "--client-code",
        &party.client_code,
        "--id",
        "gangnam",
        "--name",
        "도장은행 강남지점",
        "--json",
    ]);
    assert!(ok.success(), "{out}");
    let (ok, out) = admin(&[
        "add",
        "--client-code",
        &party.client_code,
        "--id",
        "gangnam",
        "--name",
        "x",
    ]);
    assert!(!ok.success(), "duplicate alias: {out}");
    let (ok, out) = admin(&[
        "add",
        "--client-code",
        &party.client_code,
        "--id",
        "bad id",
        "--name",
        "x",
    ]);
    assert!(!ok.success(), "invalid id: {out}");
    let (ok, out) = admin(&["list", "--client-code", &party.client_code, "--json"]);
    assert!(ok.success());
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["subClientID"], "gangnam");

    let rp = |args: &[&str]| {
        let url = s.url();
        let mut all: Vec<&str> = vec![
            "rp",
            "--url",
            &url,
            "--client-code",
            &party.client_code,
            "--link-id",
            &party.link_id,
            "--secret",
            &party.secret,
        ];
        all.extend_from_slice(args);
        let (ok, out) = tokio::task::block_in_place(|| dojang_testkit::run(&dojang, &all, &[]));
        (
            ok.success(),
            serde_json::from_str::<serde_json::Value>(&out).unwrap_or_default(),
        )
    };
    let (ok, receipt) = rp(&[
        "multi-sign",
        "request",
        "--name",
        NAME,
        "--phone",
        PHONE,
        "--birth",
        BIRTH,
        "--title",
        "계약 묶음",
        "--doc",
        "약관|TEXT|약관 본문",
        "--doc",
        "동의서|TEXT|동의 본문",
        "--sub-client-id",
        "gangnam",
        "--payload",
        "memo",
        "--idempotency-key",
        "k-1",
    ]);
    assert!(ok, "{receipt}");
    let id = receipt["receiptID"].as_str().unwrap().to_owned();
    let card = device.card(&id).await;
    assert_eq!(card.requester, "도장은행 강남지점");
    assert_eq!(card.documents.len(), 2);
    let (ok, status) = rp(&["multi-sign", "status", &id]);
    assert!(ok);
    assert_eq!(status["payload"], "memo");
    let (ok, cancelled) = rp(&["multi-sign", "cancel", &id, "--reason", "테스트"]);
    assert!(ok, "{cancelled}");
    assert_eq!(cancelled["state"], 3);
    let (ok, err) = rp(&["multi-sign", "verify", &id]);
    assert!(!ok);
    assert_eq!(err["code"], ErrorCode::RequestCancelled.code());

    let (ok, out) = admin(&[
        "remove",
        "--client-code",
        &party.client_code,
        "--id",
        "gangnam",
    ]);
    assert!(ok.success(), "{out}");
    let (ok, err) = rp(&[
        "identity",
        "request",
        "--name",
        NAME,
        "--phone",
        PHONE,
        "--birth",
        BIRTH,
        "--token",
        "t",
        "--title",
        "x",
        "--sub-client-id",
        "gangnam",
    ]);
    assert!(!ok);
    assert_eq!(err["code"], ErrorCode::SubClientNotFound.code());
}
