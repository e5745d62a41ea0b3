//! A certificate's life after issuance, through the real binaries: the holder gives it up
//! (`dojang-app revoke`), the operator records a legal name change (`dojang admin member
//! rename`), and the app explains either (`dojang-app status`).

use std::path::Path;
use std::time::Duration;

use dojang_app::{Enrolment, Holder};
use dojang_client::ErrorCode;
use dojang_testkit::{Process, TestServer, binary, json, run};

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
    e.finish(dir, done, PIN).unwrap();
}

fn app(dir: &Path, args: &[&str], pin: &str) -> (bool, String) {
    let mut all = vec!["--profile", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let (status, out) =
        tokio::task::block_in_place(|| run(&binary("dojang-app"), &all, &[("DOJANG_PIN", pin)]));
    (status.success(), out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_gives_the_certificate_up_and_the_app_stops() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("phone");
    enrol_profile(&s, &dir).await;
    let (ok, out) = app(&dir, &["status", "--json"], PIN);
    assert!(ok, "{out}");
    let st = json(&out);
    assert_eq!(st["onServer"]["state"], "active");
    assert_eq!(st["keyFile"]["version"], 2);
    let serial = st["serial"].as_str().unwrap().to_owned();
    assert!(
        st["certificates"][0]["pem"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );

    // A wrong PIN revokes nothing (and counts).
    let (ok, _) = app(&dir, &["revoke"], "000000");
    assert!(!ok);
    assert!(
        s.state()
            .store
            .certificate(&serial)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
    // The right one: revoked at once, cessationOfOperation.
    let (ok, out) = app(&dir, &["revoke"], PIN);
    assert!(ok, "{out}");
    assert!(out.contains("revoked"), "{out}");
    let c = s.state().store.certificate(&serial).await.unwrap().unwrap();
    assert_eq!(c.revocation_reason, Some(5));
    // The device credential is dead: status says so, listen exits instead of retrying.
    let (ok, out) = app(&dir, &["status", "--json"], PIN);
    assert!(ok, "{out}");
    assert_eq!(
        json(&out)["onServer"]["code"],
        ErrorCode::DeviceAuthInvalid.code()
    );
    let mut listen = Process::start(
        &binary("dojang-app"),
        &["--profile", dir.to_str().unwrap(), "listen", "--json"],
        &[],
    );
    let status = tokio::task::block_in_place(|| listen.wait(Duration::from_secs(20)));
    assert!(!status.success(), "listen must stop on a dead credential");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legal_name_change_revokes_and_the_app_explains_it() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("phone");
    enrol_profile(&s, &dir).await;
    let data = s.data_dir();
    let data = data.to_str().unwrap();
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--data-dir", data, "member"];
        all.extend_from_slice(args);
        tokio::task::block_in_place(|| run(&binary("dojang"), &all, &[]))
    };
    let (ok, out) = admin(&["list", "--phone", PHONE, "--json"]);
    assert!(ok.success(), "{out}");
    let listed = json(&out);
    assert_eq!(listed[0]["name"], NAME);
    assert_eq!(listed[0]["activeCertificates"], 1);

    let (ok, out) = admin(&[
        "rename",
        "--phone",
        PHONE,
        "--birth",
        BIRTH,
        "--name",
        "홍길순",
        "--json",
    ]);
    assert!(ok.success(), "{out}");
    let renamed = json(&out);
    assert_eq!(
        (renamed["oldName"].as_str(), renamed["name"].as_str()),
        (Some(NAME), Some("홍길순"))
    );
    assert_eq!(renamed["revoked"].as_array().unwrap().len(), 1);
    let (ok, out) = admin(&["list", "--phone", PHONE, "--json"]);
    assert!(ok.success());
    let listed = json(&out);
    assert_eq!(
        (
            listed[0]["name"].as_str(),
            listed[0]["activeCertificates"].as_i64()
        ),
        (Some("홍길순"), Some(0))
    );
    // The same name again, or nobody: refused.
    let (ok, _) = admin(&[
        "rename",
        "--phone",
        PHONE,
        "--birth",
        BIRTH,
        "--name",
        "홍길순",
    ]);
    assert!(!ok.success());
    let (ok, _) = admin(&[
        "rename",
        "--phone",
        "01000000000",
        "--birth",
        BIRTH,
        "--name",
        "누구",
    ]);
    assert!(!ok.success());
    let (ok, _) = admin(&["rename", "--phone", PHONE, "--birth", BIRTH, "--name", ""]);
    assert!(!ok.success());

    // The app explains what happened and what to do.
    let (ok, out) = app(&dir, &["status", "--json"], PIN);
    assert!(ok, "{out}");
    let st = json(&out);
    assert_eq!(st["onServer"]["state"], "revoked");
    assert_eq!(st["onServer"]["revocationReason"], "affiliationChanged");
    assert_eq!(st["onServer"]["holderName"], "홍길순");
    assert!(
        st["onServer"]["explanation"]
            .as_str()
            .unwrap()
            .contains("name was changed")
    );
    let (ok, out) = app(&dir, &["status"], PIN);
    assert!(ok && out.contains("issue a new certificate"), "{out}");
    // The CRL lists it with its reason.
    let crl = reqwest::get(format!("{}/pki/crl", s.url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let tmp2 = tempfile::tempdir().unwrap();
    std::fs::write(tmp2.path().join("crl.der"), &crl).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["crl", "-inform", "DER", "-in"])
        .arg(tmp2.path().join("crl.der"))
        .args(["-noout", "-text"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Affiliation Changed"));
    s.stop().await;
}

/// Renewal: refused before the last 30 days, then a new key's certificate for the same person
/// on the same device; the old one is superseded, and the new key signs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_opens_in_the_last_thirty_days_and_supersedes() {
    use dojang_app::Authenticator;
    use dojang_client::IdentityRequest;
    use dojang_core::Clock;
    let s = TestServer::start_with(|c| c.policy.certificate_validity_days = 40).await;
    let party = s.add_party("도장은행").await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("phone");
    enrol_profile(&s, &dir).await;
    let mut me = Authenticator::open(&dir).unwrap();
    let old_serial = me.profile().serial.clone();
    let now = s.clock().now();
    assert_eq!(me.renewal_due(now), None);
    // 25 days minus the fraction of a second the certificate's time was truncated by.
    assert_eq!(
        me.renewal_due(now + Duration::from_secs(15 * 86_400 - 1)),
        Some(25)
    );

    let e = me.renew(PIN).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RenewalTooEarly.code()), "{e}");
    assert!(e.to_string().contains("renewal opens"), "{e}");
    s.clock().advance(Duration::from_secs(11 * 86_400));
    let e = me.renew("000000").await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::PinWrong.code()), "{e}");
    let renewed = me.renew(PIN).await.unwrap();
    assert_ne!(renewed.serial, old_serial);
    assert_eq!(me.profile().serial, renewed.serial, "the profile follows");
    let old = s
        .state()
        .store
        .certificate(&old_serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.revocation_reason, Some(4), "superseded");
    let new = s
        .state()
        .store
        .certificate(&renewed.serial)
        .await
        .unwrap()
        .unwrap();
    assert!(new.is_active(s.clock().now()));
    assert_eq!(
        (new.member_id, new.device_id),
        (old.member_id, old.device_id)
    );

    // The renewed key signs, under the same PIN, read back from disk.
    let me = Authenticator::open(&dir).unwrap();
    let signer = me.unlock(PIN).await.unwrap();
    let r = s
        .client(&party)
        .request_verify_auth(&IdentityRequest::new(
            NAME,
            PHONE,
            BIRTH,
            "renewed",
            "로그인",
            300,
        ))
        .await
        .unwrap();
    let card = me
        .api()
        .pending()
        .await
        .unwrap()
        .requests
        .into_iter()
        .find(|c| c.receipt_id == r.receipt_id)
        .unwrap();
    let body = signer
        .approval(&card, card.binding_code.clone(), s.clock().now())
        .unwrap();
    assert_eq!(
        me.api().approve(&r.receipt_id, &body).await.unwrap().state,
        1
    );
    let v = s.client(&party).verify_auth(&r.receipt_id).await.unwrap();
    assert_ocsp_evidence(&s, &v, &renewed.serial);

    // Expired: nothing to renew; a new certificate must be issued.
    s.clock().advance(Duration::from_secs(60 * 86_400));
    let mut me = Authenticator::open(&dir).unwrap();
    let e = me.renew(PIN).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RenewalNotPossible.code()), "{e}");
    s.stop().await;
}
