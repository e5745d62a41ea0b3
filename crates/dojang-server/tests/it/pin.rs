//! The PIN that a stolen key file does not give away: the key needs the server's unlock
//! secret, released only to the right PIN proof; five wrong proofs in a row lock the device
//! and revoke its certificate; a right one resets the count; the PIN can be changed.

use std::path::Path;

use dojang_app::{AppError, Authenticator, Enrolment, Holder, PinKeys};
use dojang_client::ErrorCode;
use dojang_testkit::{TestServer, binary, run};

use crate::common::*;

const PIN: &str = "482913";

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
    assert!(
        done.unlock_secret.is_some(),
        "the server registered the PIN proof"
    );
    e.finish(dir, done, PIN).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn code(e: &AppError) -> Option<i64> {
    e.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_profile_gets_five_guesses_then_the_device_is_locked_and_revoked() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let (original, copy) = (tmp.path().join("phone"), tmp.path().join("stolen"));
    enrol_profile(&s, &original).await;
    copy_dir(&original, &copy);

    // Offline, the right PIN alone opens nothing: the key file is version 2.
    let stolen = Authenticator::open(&copy).unwrap();
    let file = stolen.key_file().clone();
    assert_eq!(file.version, 2);
    assert!(
        matches!(file.open(PIN), Err(AppError::Profile(_))),
        "no PIN-only path"
    );
    let keys = PinKeys::for_file(&file, PIN).unwrap();
    for guess in [[0u8; 32], [0xff; 32]] {
        assert!(matches!(keys.open(&file, &guess), Err(AppError::WrongPin)));
    }
    // With the server's help the right PIN works (that is the holder's path).
    let me = Authenticator::open(&original).unwrap();
    me.unlock(PIN).await.unwrap();

    // The thief guesses through the server: four wrong answers count down, the fifth locks.
    for left in (1..=4).rev() {
        let e = stolen
            .unlock(&format!("{:06}", 100_000 + left))
            .await
            .unwrap_err();
        assert_eq!(code(&e), Some(ErrorCode::PinWrong.code()), "{e}");
        assert!(
            e.to_string().contains(&format!("{left} of 5 tries left")),
            "{e}"
        );
    }
    let e = stolen.unlock("000000").await.unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::DeviceLocked.code()), "{e}");
    // Locked for everyone holding that device's credential, the right PIN included.
    let e = me.unlock(PIN).await.unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::DeviceLocked.code()), "{e}");
    let e = stolen.unlock(PIN).await.unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::DeviceLocked.code()), "{e}");
    // The certificate is revoked (key compromise) and the device's credential is dead.
    let serial = &me.profile().serial;
    let cert = s.state().store.certificate(serial).await.unwrap().unwrap();
    assert!(cert.revoked_at.is_some());
    assert_eq!(cert.revocation_reason, Some(1));
    let e = me.api().pending().await.unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::DeviceLocked.code()), "{e}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_pin_resets_the_count_and_a_changed_pin_replaces_secret_and_proof() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, before) = (tmp.path().join("phone"), tmp.path().join("before"));
    enrol_profile(&s, &dir).await;
    let me = Authenticator::open(&dir).unwrap();
    // Malformed proofs are refused before the PIN check: they do not count.
    for _ in 0..3 {
        let res = reqwest::Client::new()
            .post(format!("{}/device/v1/unlock", s.url()))
            .bearer_auth(&me.profile().device_token)
            .json(&serde_json::json!({"pinProof": "AAAA"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
    }
    for _ in 0..4 {
        let e = me.unlock("111111").await.unwrap_err();
        assert_eq!(code(&e), Some(ErrorCode::PinWrong.code()), "{e}");
    }
    me.unlock(PIN).await.unwrap();
    for _ in 0..4 {
        let e = me.unlock("111111").await.unwrap_err();
        assert_eq!(
            code(&e),
            Some(ErrorCode::PinWrong.code()),
            "the count started again"
        );
    }
    me.unlock(PIN).await.unwrap();

    // Change the PIN with the app's own command, as a person would.
    copy_dir(&dir, &before);
    let (ok, out) = tokio::task::block_in_place(|| {
        run(
            &binary("dojang-app"),
            &["--profile", dir.to_str().unwrap(), "change-pin"],
            &[("DOJANG_PIN", PIN), ("DOJANG_NEW_PIN", "246810")],
        )
    });
    assert!(ok.success(), "{out}");
    let me = Authenticator::open(&dir).unwrap();
    me.unlock("246810").await.unwrap();
    let e = me.unlock(PIN).await.unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::PinWrong.code()));
    // The key file from before the change is useless now, even with the old PIN.
    let old = Authenticator::open(&before).unwrap();
    let e = old.unlock(PIN).await.unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::PinWrong.code()));
    // A wrong current PIN changes nothing (and counts).
    let mut me = Authenticator::open(&dir).unwrap();
    let e = me.change_pin("999999", "135791").await.unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::PinWrong.code()));
    me.unlock("246810").await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn malformed_proofs_are_refused_uncounted_and_old_devices_say_so() {
    let s = TestServer::start().await;
    // A device enrolled without a PIN proof (the test kit's in-memory devices).
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let http = reqwest::Client::new();
    let post = |path: &'static str, body: serde_json::Value| {
        let (http, url, token) = (
            http.clone(),
            format!("{}{path}", s.url()),
            device.token.clone(),
        );
        async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body["code"].as_i64().unwrap_or(0))
        }
    };
    let invalid = ErrorCode::PinProofInvalid.code();
    for body in [
        serde_json::json!({}),
        serde_json::json!({"pinProof": ""}),
        serde_json::json!({"pinProof": "not base64!"}),
        serde_json::json!({"pinProof": "AAAA"}),
        serde_json::json!({"pinProof": "A".repeat(10_000)}),
        serde_json::json!({"pinProof": 42}),
    ] {
        let (status, c) = post("/device/v1/unlock", body.clone()).await;
        assert!(
            status == 400 && (c == invalid || c == ErrorCode::FieldType.code()),
            "{body}: {c}"
        );
    }
    let proof = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]);
    let (status, c) = post("/device/v1/unlock", serde_json::json!({"pinProof": proof})).await;
    assert_eq!((status, c), (409, ErrorCode::PinNotRegistered.code()));
    let (_, c) = post(
        "/device/v1/pin",
        serde_json::json!({"pinProof": proof, "newPinProof": "AAAA"}),
    )
    .await;
    assert_eq!(c, invalid);
    // Without the device credential: refused before anything is looked at.
    let res = http
        .post(format!("{}/device/v1/unlock", s.url()))
        .json(&serde_json::json!({"pinProof": proof}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    s.stop().await;
}
