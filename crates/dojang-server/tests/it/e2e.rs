//! The walking skeleton end to end with real processes: the `dojang` binary on a free port and a
//! temporary SQLite, a relying party from `dojang admin rp add`, a `dojang-app` enrolled with the
//! code read from `dojang admin outbox`, `dojang-app listen --auto-approve` as its own process,
//! and the relying party's calls through `dojang-client`.

use std::io::Write;
use std::time::Duration;

use dojang_client::{Client, Credentials, ErrorCode, IdentityRequest};
use dojang_testkit::{Process, binary, json, run, six_digits};

const PIN: &str = "135790";

#[tokio::test(flavor = "multi_thread")]
async fn identity_verification_end_to_end_with_real_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data = data.to_str().unwrap();
    let profile = tmp.path().join("app");
    let profile = profile.to_str().unwrap();
    let dojang = binary("dojang");
    let app = binary("dojang-app");

    // The device below is a script: the server shows it the binding code (development only).
    let config = tmp.path().join("dojang.toml");
    std::fs::write(&config, "[policy]\ndev_reveal_binding_code = true\n").unwrap();
    let config = config.to_str().unwrap();

    // The server, on a free port, creating its CA.
    let mut server = Process::start(
        &dojang,
        &[
            "serve",
            "--config",
            config,
            "--data-dir",
            data,
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let created = server.wait_for("created the CA", Duration::from_secs(30));
    assert!(created.contains("ca.key"));
    let listening = server.wait_for("dojang listening on ", Duration::from_secs(30));
    let url = listening.rsplit(' ').next().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("data/ca/ca.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A relying party.
    let (ok, out) = run(
        &dojang,
        &[
            "admin",
            "--data-dir",
            data,
            "rp",
            "add",
            "--name",
            "서울시 복지포털",
            "--call-center",
            "120",
            "--json",
        ],
        &[],
    );
    assert!(ok.success(), "{out}");
    let rp = json(&out);
    let creds = Credentials::new(
        rp["clientCode"].as_str().unwrap(),
        rp["linkID"].as_str().unwrap(),
        rp["secretKey"].as_str().unwrap(),
    );
    let (ok, out) = run(
        &dojang,
        &["admin", "--data-dir", data, "rp", "list", "--json"],
        &[],
    );
    assert!(ok.success());
    assert_eq!(json(&out)[0]["clientCode"], rp["clientCode"]);

    // Enrolment: the app waits for the code, which the test reads from the outbox.
    let mut enrol = Process::start(
        &app,
        &[
            "--profile",
            profile,
            "enroll",
            "--server",
            &url,
            "--name",
            "홍길동",
            "--phone",
            "01012345678",
            "--birth",
            "19900101",
        ],
        &[("DOJANG_PIN", PIN)],
    );
    enrol.wait_for(
        "one-time code was sent to 010-****-5678",
        Duration::from_secs(30),
    );
    let (ok, out) = run(
        &dojang,
        &[
            "admin",
            "--data-dir",
            data,
            "outbox",
            "--phone",
            "01012345678",
            "--json",
        ],
        &[],
    );
    assert!(ok.success());
    let code = six_digits(json(&out)[0]["text"].as_str().unwrap()).expect("code in SMS");
    writeln!(enrol.stdin(), "{code}").unwrap();
    enrol.wait_for("enrolled: certificate", Duration::from_secs(60));
    assert!(enrol.wait(Duration::from_secs(30)).success());
    let key_file = std::fs::read_to_string(tmp.path().join("app/key.json")).unwrap();
    assert!(key_file.contains("argon2id") && !key_file.contains("PRIVATE KEY"));

    // The authenticator, listening in its own process.
    let mut listener = Process::start(
        &app,
        &["--profile", profile, "listen", "--auto-approve", "--json"],
        &[("DOJANG_PIN", PIN)],
    );
    listener.wait_for("\"connected\"", Duration::from_secs(30));

    // The relying party asks, polls, verifies once.
    let client = Client::new(&url, creds).unwrap();
    let token = format!("login-nonce-{}", std::process::id());
    let receipt = client
        .request_verify_auth(&IdentityRequest::new(
            "홍길동",
            "01012345678",
            "19900101",
            &token,
            "복지포털 로그인",
            120,
        ))
        .await
        .unwrap();
    assert_eq!(receipt.receipt_id.len(), 32);
    let mut state = None;
    for _ in 0..200 {
        let s = client
            .get_verify_auth_state(&receipt.receipt_id)
            .await
            .unwrap();
        if s.state != 0 {
            state = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state = state.expect("the app answered");
    assert_eq!(state.state, 1, "{state:?}");
    assert_eq!(state.client_code, rp["clientCode"].as_str().unwrap());
    assert!(state.complete_dt.is_some() && state.view_dt.is_some() && state.verify_dt.is_none());
    listener.wait_for(
        &format!("\"approved\",\"receiptID\":\"{}\"", receipt.receipt_id),
        Duration::from_secs(5),
    );

    let verified = client.verify_auth(&receipt.receipt_id).await.unwrap();
    assert_eq!(verified.state, 1);
    assert_eq!(verified.token.as_deref(), Some(token.as_str()));
    assert_eq!(
        (
            verified.receiver_name.as_str(),
            verified.receiver_hp.as_str(),
            verified.receiver_birthday.as_str()
        ),
        ("홍길동", "01012345678", "19900101")
    );
    assert!(!verified.ci.is_empty());
    let again = client.verify_auth(&receipt.receipt_id).await.unwrap_err();
    assert_eq!(
        again.error_code(),
        Some(ErrorCode::AlreadyVerified),
        "{again}"
    );
    assert!(
        client
            .get_verify_auth_state(&receipt.receipt_id)
            .await
            .unwrap()
            .verify_dt
            .is_some()
    );

    // openssl accepts the signature against the CA and returns exactly the token.
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(verified.signed_data.as_deref().unwrap())
        .unwrap();
    let sig_path = tmp.path().join("signed.der");
    let out_path = tmp.path().join("content.txt");
    std::fs::write(&sig_path, der).unwrap();
    let status = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(&sig_path)
        .arg("-CAfile")
        .arg(tmp.path().join("data/ca/ca.pem"))
        .arg("-out")
        .arg(&out_path)
        .status()
        .expect("openssl is installed");
    assert!(
        status.success(),
        "openssl cms -verify refused the signature"
    );
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), token);

    // `dojang rp` prints API errors as JSON and exits non-zero.
    let env = [
        ("DOJANG_URL", url.as_str()),
        ("DOJANG_CLIENT_CODE", rp["clientCode"].as_str().unwrap()),
        ("DOJANG_LINK_ID", rp["linkID"].as_str().unwrap()),
        ("DOJANG_SECRET", rp["secretKey"].as_str().unwrap()),
    ];
    let (ok, out) = run(
        &dojang,
        &["rp", "identity", "verify", &receipt.receipt_id],
        &env,
    );
    assert!(!ok.success());
    assert_eq!(json(&out)["code"], ErrorCode::AlreadyVerified.code());
    let (ok, out) = run(
        &dojang,
        &["rp", "identity", "status", &receipt.receipt_id],
        &env,
    );
    assert!(ok.success(), "{out}");
    assert_eq!(json(&out)["state"], 1);

    // Graceful shutdown on SIGTERM.
    drop(listener);
    let status = server.terminate();
    assert!(status.success(), "server exit: {status:?}");
    assert!(
        server.seen.iter().any(|l| l == "dojang stopped"),
        "{:?}",
        server.seen
    );

    // A restart reuses the CA instead of replacing it.
    let ca_before = std::fs::read(tmp.path().join("data/ca/ca.pem")).unwrap();
    let mut again = Process::start(
        &dojang,
        &["serve", "--data-dir", data, "--listen", "127.0.0.1:0"],
        &[],
    );
    again.wait_for("dojang listening on ", Duration::from_secs(30));
    assert!(!again.seen.iter().any(|l| l.contains("created the CA")));
    assert_eq!(
        std::fs::read(tmp.path().join("data/ca/ca.pem")).unwrap(),
        ca_before
    );
    assert!(again.terminate().success());
}
