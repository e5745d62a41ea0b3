//! The `dojang-app` command line without a server: errors a person can meet before anything
//! reaches the network. (The happy path with a server is in dojang-server's end-to-end test,
//! which also needs this binary: having tests here makes `cargo test --workspace` build it.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail the test

use std::process::{Command, Output};

use dojang_app::{EncryptedKey, Holder, Profile, profile};

fn app(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dojang-app"));
    cmd.args(args)
        .env_remove("DOJANG_PIN")
        .env_remove("DOJANG_APP_PROFILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A profile whose key opens with PIN 123456 (the server in it does not exist).
fn fake_profile(dir: &std::path::Path) {
    let key = dojang_pki::DeviceKey::generate();
    let sealed = EncryptedKey::seal(&key.to_pkcs8_der(), "123456").unwrap();
    let p = Profile {
        version: 1,
        server: "http://127.0.0.1:9".into(),
        device_id: "0190a3b4-0000-7000-8000-000000000000".into(),
        device_token: "t".into(),
        holder: Holder {
            name: "홍길동".into(),
            phone: "01012345678".into(),
            birthday: "19900101".into(),
        },
        certificate: dojang_pki::certificate_pem(&[0x30, 0x00]),
        ca_certificate: String::new(),
        serial: "01".into(),
        not_after: "2029-01-01T00:00:00Z".into(),
    };
    profile::save(dir, &p, &sealed).unwrap();
}

#[test]
fn commands_without_a_profile_say_how_to_enrol() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    for cmd in [
        &["status"][..],
        &["pending"],
        &["listen"],
        &["approve", "1"],
        &["decline", "1"],
    ] {
        let mut args = vec!["--profile", dir];
        args.extend_from_slice(cmd);
        let o = app(&args, &[]);
        assert_eq!(o.status.code(), Some(1), "{cmd:?}");
        assert!(
            stderr(&o).contains("enrol first"),
            "{cmd:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn status_prints_the_profile_without_the_credential() {
    let tmp = tempfile::tempdir().unwrap();
    fake_profile(tmp.path());
    let o = app(
        &[
            "--profile",
            tmp.path().to_str().unwrap(),
            "status",
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["holder"]["name"], "홍길동");
    assert_eq!(v["serial"], "01");
    assert!(v.get("deviceToken").is_none());
}

#[test]
fn auto_approve_needs_the_right_pin_before_connecting() {
    let tmp = tempfile::tempdir().unwrap();
    fake_profile(tmp.path());
    let dir = tmp.path().to_str().unwrap();
    let o = app(&["--profile", dir, "listen", "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("DOJANG_PIN"), "{}", stderr(&o));
    let o = app(
        &["--profile", dir, "listen", "--auto-approve"],
        &[("DOJANG_PIN", "654321")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("wrong PIN"), "{}", stderr(&o));
    let o = app(
        &["--profile", dir, "listen", "--auto-approve"],
        &[("DOJANG_PIN", "12345")],
    );
    assert!(stderr(&o).contains("6 digits"), "{}", stderr(&o));
}

#[test]
fn enroll_refuses_to_replace_a_profile_and_reports_an_unreachable_server() {
    let tmp = tempfile::tempdir().unwrap();
    fake_profile(tmp.path());
    let dir = tmp.path().to_str().unwrap();
    let args = [
        "--profile",
        dir,
        "enroll",
        "--server",
        "http://127.0.0.1:9",
        "--name",
        "홍길동",
        "--phone",
        "01012345678",
        "--birth",
        "19900101",
    ];
    let o = app(&args, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let mut forced = args.to_vec();
    forced.push("--force");
    let o = app(&forced, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot reach the server"),
        "{}",
        stderr(&o)
    );
    let o = app(
        &[
            "--profile",
            dir,
            "enroll",
            "--server",
            "ftp://x",
            "--name",
            "a",
            "--phone",
            "1",
            "--birth",
            "2",
            "--force",
        ],
        &[],
    );
    assert!(stderr(&o).contains("http(s) URL"), "{}", stderr(&o));
    // The existing profile is untouched.
    assert!(profile::load(tmp.path()).is_ok());
}
