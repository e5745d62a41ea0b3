//! The two issuance methods beside SMS, end to end with real processes: the `dojang` binary on a
//! free port and a temporary SQLite; `dojang admin ra issue|list|cancel` at the registration
//! desk and `dojang-app enroll --method ra`; `dojang-app enroll --method bank` fed the word from
//! `dojang admin outbox`; then each certificate signs a relying party's request through
//! `dojang-app listen --auto-approve`.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use dojang_client::{Client, Credentials, ErrorCode, IdentityRequest};
use dojang_testkit::{Process, bank_word, binary, json, run};

const PIN: &str = "246813";

/// A running `dojang serve` and what talking to it needs.
struct Running {
    server: Process,
    url: String,
    data: String,
    client: Client,
}

fn serve(tmp: &Path) -> Running {
    let dojang = binary("dojang");
    let data = tmp.join("data").to_str().unwrap().to_owned();
    // The devices below are scripts: the server shows them the binding code (development only).
    let config = tmp.join("dojang.toml");
    std::fs::write(&config, "[policy]\ndev_reveal_binding_code = true\n").unwrap();
    let mut server = Process::start(
        &dojang,
        &[
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            &data,
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let listening = server.wait_for("dojang listening on ", Duration::from_secs(30));
    let url = listening.rsplit(' ').next().unwrap().to_owned();
    let (ok, out) = run(
        &dojang,
        &[
            "admin",
            "--data-dir",
            &data,
            "rp",
            "add",
            "--name",
            "도장은행",
            "--json",
        ],
        &[],
    );
    assert!(ok.success(), "{out}");
    let rp = json(&out);
    let client = Client::new(
        &url,
        Credentials::new(
            rp["clientCode"].as_str().unwrap(),
            rp["linkID"].as_str().unwrap(),
            rp["secretKey"].as_str().unwrap(),
        ),
    )
    .unwrap();
    Running {
        server,
        url,
        data,
        client,
    }
}

/// `dojang admin <args…>` on the running server's data directory: exit status and stdout.
fn admin(r: &Running, args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut all = vec!["admin", "--data-dir", r.data.as_str()];
    all.extend_from_slice(args);
    run(&binary("dojang"), &all, &[])
}

/// `dojang-app enroll …` to completion: success, stdout, stderr.
fn enroll(profile: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary("dojang-app"))
        .arg("--profile")
        .arg(profile)
        .arg("enroll")
        .args(args)
        .env("DOJANG_PIN", PIN)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The certificate in `profile` signs an identity request for `(name, phone, birth)`, answered
/// by `dojang-app listen --auto-approve` in its own process.
async fn signs(r: &Running, profile: &Path, (name, phone, birth): (&str, &str, &str)) {
    let mut app = tokio::task::block_in_place(|| listener(profile));
    let token = format!("issued-{phone}");
    let receipt = r
        .client
        .request_verify_auth(&IdentityRequest::new(
            name,
            phone,
            birth,
            &token,
            "본인확인",
            120,
        ))
        .await
        .unwrap();
    let state = r
        .client
        .wait_status(dojang_client::Kind::Identity, &receipt.receipt_id, 30)
        .await
        .unwrap();
    assert_eq!(state.state, 1, "{state:?}");
    let v = r.client.verify_auth(&receipt.receipt_id).await.unwrap();
    assert_eq!(v.token.as_deref(), Some(token.as_str()));
    assert_eq!(v.receiver_name, name);
    app.terminate();
}

fn app_serial(profile: &Path) -> String {
    let (ok, out) = run(
        &binary("dojang-app"),
        &["--profile", profile.to_str().unwrap(), "status", "--json"],
        &[],
    );
    assert!(ok.success(), "{out}");
    json(&out)["serial"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_desk_issuance_with_real_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = serve(tmp.path());
    let person = ("홍길동", "01012345678", "19900101");

    // The desk issues a reference number and an authorisation code.
    let (ok, out) = admin(
        &r,
        &[
            "ra", "issue", "--name", person.0, "--phone", person.1, "--birth", person.2, "--json",
        ],
    );
    assert!(ok.success(), "{out}");
    let issued = json(&out);
    let reference = issued["refNum"].as_str().unwrap().to_owned();
    let code = issued["authCode"].as_str().unwrap().to_owned();
    assert_eq!(issued["state"], "outstanding");
    assert_eq!(issued["maskedPhone"], "010-****-5678");
    let (ok, out) = admin(&r, &["ra", "list", "--json"]);
    assert!(ok.success());
    assert_eq!(json(&out)[0]["refNum"].as_str(), Some(reference.as_str()));
    assert!(!out.contains(&code), "listings never show the code");

    // A wrong code: refused, counted, said plainly; the app exits non-zero.
    let profile = tmp.path().join("app");
    let wrong = format!("{}0000", &code[..code.len() - 4]);
    let wrong = if wrong == code {
        format!("{}1111", &code[..code.len() - 4])
    } else {
        wrong
    };
    let base = [
        "--server",
        &r.url,
        "--name",
        person.0,
        "--phone",
        person.1,
        "--birth",
        person.2,
        "--method",
        "ra",
        "--ref-num",
        &reference,
    ];
    let mut args = base.to_vec();
    args.extend(["--auth-code", &wrong]);
    let (ok, _, err) = enroll(&profile, &args);
    assert!(!ok);
    assert!(
        err.contains(&ErrorCode::RaCodeWrong.code().to_string()) && err.contains("4 tries left"),
        "{err}"
    );
    // The right code: a certificate, no SMS sent.
    let mut args = base.to_vec();
    args.extend(["--auth-code", &code]);
    let (ok, out, err) = enroll(&profile, &args);
    assert!(ok, "{out}{err}");
    assert!(out.contains("enrolled: certificate"), "{out}");
    let (_, outbox) = admin(&r, &["outbox", "--json"]);
    assert_eq!(json(&outbox), serde_json::json!([]));
    // The listing records which certificate the code ended in; it is not outstanding any more.
    let (_, out) = admin(&r, &["ra", "list", "--all", "--json"]);
    let listed = json(&out);
    assert_eq!(listed[0]["state"], "used");
    assert_eq!(listed[0]["attempts"], 2);
    assert_eq!(
        listed[0]["serial"].as_str(),
        Some(app_serial(&profile).as_str())
    );
    let (_, out) = admin(&r, &["ra", "list", "--json"]);
    assert_eq!(json(&out), serde_json::json!([]));
    // Single use: the same slip again.
    let again = tmp.path().join("again");
    let (ok, _, err) = enroll(&again, &args);
    assert!(
        !ok && err.contains(&ErrorCode::RaUsed.code().to_string()),
        "{err}"
    );
    let (ok, _) = admin(&r, &["ra", "cancel", "--ref-num", &reference]);
    assert!(!ok.success(), "a used code cannot be cancelled");

    signs(&r, &profile, person).await;

    // A cancelled slip is refused.
    let other = ("김영희", "01055556666", "19850505");
    let (ok, out) = admin(
        &r,
        &[
            "ra", "issue", "--name", other.0, "--phone", other.1, "--birth", other.2, "--json",
        ],
    );
    assert!(ok.success(), "{out}");
    let issued = json(&out);
    let reference = issued["refNum"].as_str().unwrap();
    let (ok, out) = admin(&r, &["ra", "cancel", "--ref-num", reference]);
    assert!(ok.success(), "{out}");
    let (ok, _, err) = enroll(
        &tmp.path().join("other"),
        &[
            "--server",
            &r.url,
            "--name",
            other.0,
            "--phone",
            other.1,
            "--birth",
            other.2,
            "--method",
            "ra",
            "--ref-num",
            reference,
            "--auth-code",
            issued["authCode"].as_str().unwrap(),
        ],
    );
    assert!(
        !ok && err.contains(&ErrorCode::RaCancelled.code().to_string()),
        "{err}"
    );
    let (_, out) = admin(&r, &["ra", "list", "--all", "--phone", other.1, "--json"]);
    assert_eq!(json(&out)[0]["state"], "cancelled");
    // The desk refuses bad input before issuing anything.
    let (ok, _) = admin(
        &r,
        &[
            "ra", "issue", "--name", "x", "--phone", "12", "--birth", "19900101",
        ],
    );
    assert!(!ok.success());
    assert!(r.server.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_account_issuance_with_real_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = serve(tmp.path());
    let person = ("김영희", "01055556666", "19850505");
    let profile = tmp.path().join("app");
    let mut app = Process::start(
        &binary("dojang-app"),
        &[
            "--profile",
            profile.to_str().unwrap(),
            "enroll",
            "--server",
            &r.url,
            "--name",
            person.0,
            "--phone",
            person.1,
            "--birth",
            person.2,
            "--method",
            "bank",
            "--bank-code",
            "004",
            "--account",
            "123-456-789",
        ],
        &[("DOJANG_PIN", PIN)],
    );
    tokio::task::block_in_place(|| {
        app.wait_for(
            "1 won was deposited to KB국민은행 123-***-789 (the word is valid 600 s, 3 tries)",
            Duration::from_secs(30),
        )
    });
    // The development gateway kept the deposit, filed under the person's phone.
    let (ok, out) = admin(&r, &["outbox", "--phone", person.1, "--json"]);
    assert!(ok.success(), "{out}");
    let deposit = &json(&out)[0];
    assert_eq!(deposit["channel"], "bank");
    let word = bank_word(deposit["text"].as_str().unwrap()).expect("a word in the deposit");
    // A wrong word first: the app says how many tries are left and asks again.
    let wrong: String = word.chars().rev().collect();
    let wrong = if wrong == word {
        "가나다라".to_owned()
    } else {
        wrong
    };
    writeln!(app.stdin(), "{wrong}").unwrap();
    tokio::task::block_in_place(|| app.wait_for("2 tries left", Duration::from_secs(30)));
    writeln!(app.stdin(), "{word}").unwrap();
    tokio::task::block_in_place(|| app.wait_for("enrolled: certificate", Duration::from_secs(60)));
    assert!(tokio::task::block_in_place(|| app.wait(Duration::from_secs(30))).success());

    signs(&r, &profile, person).await;

    // The app refuses a missing account before calling the server.
    let (ok, _, err) = enroll(
        &tmp.path().join("x"),
        &[
            "--server",
            &r.url,
            "--name",
            person.0,
            "--phone",
            person.1,
            "--birth",
            person.2,
            "--method",
            "bank",
            "--bank-code",
            "004",
        ],
    );
    assert!(!ok && err.contains("--account"), "{err}");
    // A malformed bank code comes back with its code.
    let (ok, _, err) = enroll(
        &tmp.path().join("y"),
        &[
            "--server",
            &r.url,
            "--name",
            person.0,
            "--phone",
            person.1,
            "--birth",
            person.2,
            "--method",
            "bank",
            "--bank-code",
            "4",
            "--account",
            "1",
        ],
    );
    assert!(
        !ok && err.contains(&ErrorCode::BankCodeInvalid.code().to_string()),
        "{err}"
    );
    assert!(r.server.terminate().success());
}

/// What an enrolling person types back: what the development gateway kept on `channel` for
/// their phone, read by `read`, once the app says `asks`.
struct FromOutbox {
    asks: &'static str,
    channel: &'static str,
    read: fn(&str) -> Option<String>,
}

/// `dojang-app enroll --force … <method args>` to completion, typing what `typed` says.
fn enroll_from_outbox(
    r: &Running,
    profile: &Path,
    (name, phone, birth): (&str, &str, &str),
    method: &[&str],
    typed: &FromOutbox,
) {
    let FromOutbox {
        asks,
        channel,
        read,
    } = typed;
    let mut args = vec![
        "--profile",
        profile.to_str().unwrap(),
        "enroll",
        "--force",
        "--server",
        &r.url,
        "--name",
        name,
        "--phone",
        phone,
        "--birth",
        birth,
    ];
    args.extend_from_slice(method);
    let mut app = Process::start(&binary("dojang-app"), &args, &[("DOJANG_PIN", PIN)]);
    app.wait_for(asks, Duration::from_secs(30));
    let (ok, out) = admin(r, &["outbox", "--phone", phone, "--json"]);
    assert!(ok.success(), "{out}");
    let kept = json(&out);
    let text = kept
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["channel"] == *channel)
        .and_then(|m| m["text"].as_str())
        .expect("a message on the channel");
    writeln!(app.stdin(), "{}", read(text).unwrap()).unwrap();
    app.wait_for("enrolled: certificate", Duration::from_secs(60));
    assert!(app.wait(Duration::from_secs(30)).success());
}

/// `dojang-app enroll --method sms`, the code read from the SMS outbox, as a person would type it.
fn enroll_by_sms(r: &Running, profile: &Path, person: (&str, &str, &str)) {
    let sms = FromOutbox {
        asks: "one-time code was sent",
        channel: "sms",
        read: dojang_testkit::six_digits,
    };
    enroll_from_outbox(r, profile, person, &[], &sms);
}

/// `dojang-app enroll --method bank`, the word read from the bank outbox.
fn enroll_by_bank(r: &Running, profile: &Path, person: (&str, &str, &str)) {
    let bank = FromOutbox {
        asks: "1 won was deposited",
        channel: "bank",
        read: bank_word,
    };
    let method = [
        "--method",
        "bank",
        "--bank-code",
        "088",
        "--account",
        "110-222-333444",
    ];
    enroll_from_outbox(r, profile, person, &method, &bank);
}

fn listener(profile: &Path) -> Process {
    let mut p = Process::start(
        &binary("dojang-app"),
        &[
            "--profile",
            profile.to_str().unwrap(),
            "listen",
            "--auto-approve",
            "--json",
        ],
        &[("DOJANG_PIN", PIN)],
    );
    p.wait_for("\"connected\"", Duration::from_secs(30));
    p
}

/// `isAllowSimpleRegistYN = false` and `isVerifyNameYN = true` mean what kakaocert's documents
/// say, on the server, with real processes: a holder whose only certificate came from an SMS
/// check approves with `listen --auto-approve` and is refused (the request keeps waiting; the
/// card and the refusal say how to get a stronger certificate); the same person, after a
/// bank-account check, approves the same waiting request and the relying party verifies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proof_bars_refuse_sms_certificates_with_real_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = serve(tmp.path());
    let person = ("박서준", "01077778888", "19920202");
    let profile = tmp.path().join("app");
    tokio::task::block_in_place(|| enroll_by_sms(&r, &profile, person));
    let mut app = tokio::task::block_in_place(|| listener(&profile));

    // allowSimpleRegistYN = false: refused at approval, with its own code and the way out.
    let mut bank_only =
        IdentityRequest::new(person.0, person.1, person.2, "t-1", "계좌 인증 필요", 300);
    bank_only.allow_simple_regist_yn = Some(false);
    let first = r.client.request_verify_auth(&bank_only).await.unwrap();
    let failed =
        tokio::task::block_in_place(|| app.wait_for("\"failed\"", Duration::from_secs(60)));
    let failed = json(&failed);
    assert_eq!(failed["receiptID"], first.receipt_id.as_str());
    assert_eq!(failed["code"], ErrorCode::CertificateProofTooWeak.code());
    assert!(
        failed["help"].as_str().unwrap().contains("--method bank"),
        "{failed}"
    );
    let card = app
        .seen
        .iter()
        .find(|l| l.contains("\"request\"") && l.contains(&first.receipt_id))
        .map(|l| json(l))
        .expect("the card was shown");
    assert_eq!(card["card"]["requiresBeyondPhone"], true, "{card}");
    let st = r
        .client
        .status(dojang_client::Kind::Identity, &first.receipt_id)
        .await
        .unwrap();
    assert_eq!(st.state, 0, "refused, still waiting: {st:?}");
    r.client
        .cancel(dojang_client::Kind::Identity, &first.receipt_id, None)
        .await
        .unwrap();

    // isVerifyNameYN = true: an SMS check proves a phone, not a name.
    let mut named = IdentityRequest::new(person.0, person.1, person.2, "t-2", "실명 확인", 300);
    named.verify_name_yn = Some(true);
    let second = r.client.request_verify_auth(&named).await.unwrap();
    let failed =
        tokio::task::block_in_place(|| app.wait_for(&second.receipt_id, Duration::from_secs(60)));
    let failed = if failed.contains("\"failed\"") {
        failed
    } else {
        tokio::task::block_in_place(|| app.wait_for("\"failed\"", Duration::from_secs(60)))
    };
    assert_eq!(json(&failed)["code"], ErrorCode::NameNotVerified.code());
    app.terminate();

    // A bank-account check (which also verifies the name), then the same waiting request.
    tokio::task::block_in_place(|| enroll_by_bank(&r, &profile, person));
    let mut app = tokio::task::block_in_place(|| listener(&profile));
    let state = r
        .client
        .wait_status(dojang_client::Kind::Identity, &second.receipt_id, 30)
        .await
        .unwrap();
    assert_eq!(state.state, 1, "{state:?}");
    let v = r.client.verify_auth(&second.receipt_id).await.unwrap();
    assert_eq!(v.token.as_deref(), Some("t-2"));
    // And a new bank-only request goes through at once (a new token: the same signed body in
    // the same second would be refused as a replay).
    bank_only.token = Some("t-3".into());
    let third = r.client.request_verify_auth(&bank_only).await.unwrap();
    let state = r
        .client
        .wait_status(dojang_client::Kind::Identity, &third.receipt_id, 30)
        .await
        .unwrap();
    assert_eq!(state.state, 1, "{state:?}");
    // The certificate list names how each holder proved who they are.
    let (ok, out) = admin(&r, &["cert", "list", "--json"]);
    assert!(ok.success(), "{out}");
    let listed = json(&out);
    let proofs: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["proof"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        proofs.contains(&"sms") && proofs.contains(&"bank"),
        "{proofs:?}"
    );
    app.terminate();
    assert!(r.server.terminate().success());
}
