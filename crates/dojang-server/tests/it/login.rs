//! Before a certificate exists: `dojang-app login` registers the app for a person after an SMS
//! check, a request for them is pushed to it (the latest login), and `listen` issues a
//! certificate inside the request when it allows simple registration — all real processes.

use std::io::Write;
use std::time::Duration;

use dojang_client::{CreateRequest, ErrorCode, Kind};
use dojang_testkit::{Process, TestServer, binary, run};

use crate::common::*;

const PIN: &str = "482913";
const WAIT: Duration = Duration::from_secs(30);

/// `dojang-app login` as its own process, fed the SMS code.
async fn login(s: &TestServer, profile: &str) {
    let mut p = Process::start(
        &binary("dojang-app"),
        &[
            "--profile",
            profile,
            "login",
            "--server",
            &s.url(),
            "--name",
            NAME,
            "--phone",
            PHONE,
            "--birth",
            BIRTH,
        ],
        &[],
    );
    tokio::task::block_in_place(|| p.wait_for("one-time code was sent", WAIT));
    let code = s.last_code(PHONE).await;
    writeln!(p.stdin(), "{code}").unwrap();
    let line = tokio::task::block_in_place(|| p.wait_for("logged in", WAIT));
    assert!(line.contains("no certificate yet"), "{line}");
    assert!(tokio::task::block_in_place(|| p.wait(WAIT)).success());
}

fn request(simple: bool) -> CreateRequest {
    let mut r = CreateRequest::new(NAME, PHONE, BIRTH, "first-login", "첫 로그인", 300);
    r.allow_simple_regist_yn = Some(simple);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_login_gets_the_request_and_issues_a_certificate_inside_it() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let client = s.client(&party);
    let tmp = tempfile::tempdir().unwrap();
    let (first, latest) = (tmp.path().join("tablet"), tmp.path().join("phone"));
    let (first, latest) = (first.to_str().unwrap(), latest.to_str().unwrap());
    // Nobody yet: the request has no one to go to.
    let e = client
        .request(Kind::Identity, &request(true))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ReceiverNotFound.code());
    login(&s, first).await;
    login(&s, latest).await;
    // The earlier login was superseded by the latest: its credential is dead.
    let (ok, out) = tokio::task::block_in_place(|| {
        run(&binary("dojang-app"), &["--profile", first, "listen"], &[])
    });
    assert!(!ok.success(), "{out}");

    let mut app = Process::start(
        &binary("dojang-app"),
        &["--profile", latest, "listen", "--auto-approve", "--json"],
        &[("DOJANG_PIN", PIN)],
    );
    let line = tokio::task::block_in_place(|| app.wait_for("\"connected\"", WAIT));
    assert!(line.contains("\"certificate\":false"), "{line}");

    // One that does: a certificate is issued inside it (a new SMS code), then it is approved.
    // (Signed anew: the same signed bytes as the refused call above would be a replay.)
    s.clock().advance(std::time::Duration::from_secs(1));
    let r = client
        .request(Kind::Identity, &request(true))
        .await
        .unwrap();
    tokio::task::block_in_place(|| app.wait_for("\"issuing\"", WAIT));
    let code = s.last_code(PHONE).await;
    writeln!(app.stdin(), "{code}").unwrap();
    let issued = tokio::task::block_in_place(|| app.wait_for("\"issued\"", WAIT));
    let serial = dojang_testkit::json(&issued)["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::task::block_in_place(|| app.wait_for("\"approved\"", WAIT));
    let st = client
        .wait_status(Kind::Identity, &r.receipt_id, 10)
        .await
        .unwrap();
    assert_eq!(st.state, 1);
    let v = client.verify(Kind::Identity, &r.receipt_id).await.unwrap();
    assert_ocsp_evidence(&s, &v, &serial);
    assert!(std::path::Path::new(latest).join("profile.json").exists());
    assert!(!std::path::Path::new(latest).join("login.json").exists());
    // From now on it is an ordinary app with a certificate: the next request is approved.
    tokio::task::block_in_place(|| app.wait_for("\"connected\"", WAIT));
    s.clock().advance(std::time::Duration::from_secs(1));
    let next = client
        .request(Kind::Identity, &request(true))
        .await
        .unwrap();
    let st = client
        .wait_status(Kind::Identity, &next.receipt_id, 10)
        .await
        .unwrap();
    assert_eq!(st.state, 1);
    s.stop().await;
}

/// `allowSimpleRegistYN: false`: the certificate issued inside the request needs the bank
/// account (a 1-won deposit whose word the person types back), not just the phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_request_issues_the_certificate_by_bank_account() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let client = s.client(&party);
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("phone");
    let profile = profile.to_str().unwrap();
    login(&s, profile).await;
    let mut app = Process::start(
        &binary("dojang-app"),
        &["--profile", profile, "listen", "--auto-approve", "--json"],
        &[("DOJANG_PIN", PIN)],
    );
    tokio::task::block_in_place(|| app.wait_for("\"connected\"", WAIT));
    let r = client
        .request(Kind::Identity, &request(false))
        .await
        .unwrap();
    let line = tokio::task::block_in_place(|| app.wait_for("\"issuing\"", WAIT));
    assert!(line.contains("\"method\":\"bank\""), "{line}");
    writeln!(app.stdin(), "004").unwrap();
    writeln!(app.stdin(), "123-456-789").unwrap();
    tokio::task::block_in_place(|| app.wait_for("\"deposited\"", WAIT));
    let word = s.last_bank_word(PHONE).await;
    writeln!(app.stdin(), "{word}").unwrap();
    let issued = tokio::task::block_in_place(|| app.wait_for("\"issued\"", WAIT));
    let serial = dojang_testkit::json(&issued)["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::task::block_in_place(|| app.wait_for("\"approved\"", WAIT));
    let st = client
        .wait_status(Kind::Identity, &r.receipt_id, 10)
        .await
        .unwrap();
    assert_eq!(st.state, 1);
    let v = client.verify(Kind::Identity, &r.receipt_id).await.unwrap();
    assert_ocsp_evidence(&s, &v, &serial);
    s.stop().await;
}
