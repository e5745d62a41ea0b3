//! The device side: enrolment by one-time code, device credentials, and signatures that must
//! not be accepted.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_app::{DeviceApi, Enrolment, Holder};
use dojang_client::{ErrorCode, IdentityRequest};
use dojang_core::Clock;
use dojang_pki::DeviceKey;
use dojang_proto::device::{EnrolmentComplete, EnrolmentStart};
use dojang_proto::paths;
use dojang_testkit::TestServer;

use crate::common::*;

fn holder() -> Holder {
    Holder {
        name: NAME.into(),
        phone: PHONE.into(),
        birthday: BIRTH.into(),
    }
}

fn wrong(code: &str) -> String {
    // A different six-digit code.
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn five_wrong_codes_lock_the_enrolment() {
    let s = TestServer::start().await;
    let e = Enrolment::start(&s.url(), holder()).await.unwrap();
    assert_eq!(e.started().max_attempts, 5);
    assert_eq!(e.started().masked_phone, "010-****-5678");
    let code = s.last_code(PHONE).await;
    for remaining in [4, 3, 2, 1] {
        let err = e.submit_code(&wrong(&code)).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::OtpWrong.code()));
        assert!(
            err.to_string().contains(&format!("{remaining} tries left")),
            "{err}"
        );
    }
    let err = e.submit_code(&wrong(&code)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::OtpTooManyAttempts.code()));
    // Even the right code no longer works.
    let err = e.submit_code(&code).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::OtpTooManyAttempts.code()));
    // Nothing was issued.
    let p = dojang_core::Phone::parse(PHONE).unwrap();
    let b = dojang_core::Birthday::parse(BIRTH, s.clock().now()).unwrap();
    assert!(
        s.state()
            .store
            .member_by_phone_birthday(&p, &b)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn codes_expire_and_enrolments_complete_once() {
    let s = TestServer::start().await;
    let e = Enrolment::start(&s.url(), holder()).await.unwrap();
    let code = s.last_code(PHONE).await;
    s.clock().advance(Duration::from_secs(180));
    let err = e.submit_code(&code).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::EnrolmentExpired.code()));

    let e = Enrolment::start(&s.url(), holder()).await.unwrap();
    let code = s.last_code(PHONE).await;
    e.submit_code(&code).await.unwrap();
    let err = e.submit_code(&code).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::EnrolmentCompleted.code()));
}

#[tokio::test]
async fn enrolment_input_is_checked_and_rate_limited() {
    let s = TestServer::start().await;
    let api = DeviceApi::new(&s.url()).unwrap();
    let start = |name: &str, phone: &str, birthday: &str| EnrolmentStart {
        name: Some(name.into()),
        phone: Some(phone.into()),
        birthday: Some(birthday.into()),
    };
    for (req, code) in [
        (start("", PHONE, BIRTH), ErrorCode::NameMissing),
        (
            start(NAME, "010-1234-5678", BIRTH),
            ErrorCode::PhoneNotDigits,
        ),
        (start(NAME, "0101234", BIRTH), ErrorCode::PhoneLength),
        (start(NAME, PHONE, "1990-01-01"), ErrorCode::BirthdayFormat),
        (start(NAME, PHONE, "19900231"), ErrorCode::BirthdayInvalid),
        (EnrolmentStart::default(), ErrorCode::NameMissing),
    ] {
        let err = api.start_enrolment(&req).await.unwrap_err();
        assert_eq!(err.code(), Some(code.code()), "{req:?}");
    }
    for _ in 0..5 {
        api.start_enrolment(&start(NAME, PHONE, BIRTH))
            .await
            .unwrap();
    }
    let err = api
        .start_enrolment(&start(NAME, PHONE, BIRTH))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::EnrolmentRateLimited.code()));
    s.clock().advance(Duration::from_secs(3601));
    api.start_enrolment(&start(NAME, PHONE, BIRTH))
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_csrs_and_bad_ids_are_refused() {
    let s = TestServer::start().await;
    let api = DeviceApi::new(&s.url()).unwrap();
    let started = api
        .start_enrolment(&EnrolmentStart {
            name: Some(NAME.into()),
            phone: Some(PHONE.into()),
            birthday: Some(BIRTH.into()),
        })
        .await
        .unwrap();
    let code = s.last_code(PHONE).await;
    let id = &started.enrolment_id;
    let key = DeviceKey::generate();
    let complete = |csr: Option<String>, code: &str| EnrolmentComplete {
        code: Some(code.into()),
        csr,
        pin_proof: None,
    };
    // A CSR for another key type (P-384, made by openssl), and ours with a flipped signature bit.
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(tmp.path())
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
        ])
        .args([
            "-subj",
            &format!("/CN={NAME}"),
            "-utf8",
            "-keyout",
            "k.pem",
            "-outform",
            "DER",
        ])
        .args(["-out", "p384.der"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p384 = std::fs::read(tmp.path().join("p384.der")).unwrap();
    let mut tampered = key.csr_der(NAME).unwrap();
    let last = tampered.len() - 3;
    tampered[last] ^= 0x01;
    let cases = [
        (
            complete(Some(STANDARD.encode(&p384)), &code),
            ErrorCode::CsrKeyType,
        ),
        (
            complete(Some(STANDARD.encode(&tampered)), &code),
            ErrorCode::CsrSignature,
        ),
        (complete(None, &code), ErrorCode::CsrMissing),
        (
            complete(Some("not base64!".into()), &code),
            ErrorCode::CsrMissing,
        ),
        (
            complete(Some(STANDARD.encode(b"garbage")), &code),
            ErrorCode::CsrMalformed,
        ),
        (
            complete(Some(STANDARD.encode(key.csr_der("김철수").unwrap())), &code),
            ErrorCode::CsrSubjectMismatch,
        ),
        (
            complete(Some(STANDARD.encode(vec![0x30; 5000])), &code),
            ErrorCode::CsrTooLarge,
        ),
        (
            complete(Some(STANDARD.encode(key.csr_der(NAME).unwrap())), "12345"),
            ErrorCode::OtpFormat,
        ),
    ];
    for (req, expected) in cases {
        let err = api.complete_enrolment(id, &req).await.unwrap_err();
        assert_eq!(err.code(), Some(expected.code()), "{expected:?}: {err}");
    }
    let err = api
        .complete_enrolment("not-an-id", &complete(None, &code))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::EnrolmentIdInvalid.code()));
    let err = api
        .complete_enrolment(
            "01900000-0000-7000-8000-000000000000",
            &complete(Some(STANDARD.encode(key.csr_der(NAME).unwrap())), &code),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::EnrolmentNotFound.code()));
    // The right code and a good CSR still work: bad CSRs used up tries but not all of them.
    let ok = api
        .complete_enrolment(
            id,
            &complete(Some(STANDARD.encode(key.csr_der(NAME).unwrap())), &code),
        )
        .await
        .unwrap();
    assert!(ok.certificate.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[tokio::test]
async fn device_credentials_are_checked_and_superseded_devices_lose_access() {
    let s = TestServer::start().await;
    let anon = DeviceApi::new(&s.url()).unwrap();
    assert_eq!(
        anon.pending().await.unwrap_err().code(),
        Some(ErrorCode::DeviceAuthMissing.code())
    );
    for bad in ["junk", "01900000-0000-7000-8000-000000000000.AAAA", "x.y"] {
        let api = DeviceApi::new(&s.url()).unwrap().with_token(bad);
        assert_eq!(
            api.pending().await.unwrap_err().code(),
            Some(ErrorCode::DeviceAuthInvalid.code()),
            "{bad}"
        );
    }
    let first = s.enrol(NAME, PHONE, BIRTH).await;
    first.api.pending().await.unwrap();
    // A token for a real device with the wrong secret.
    let forged = format!(
        "{}.{}",
        first.device_id,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([9u8; 32])
    );
    let api = DeviceApi::new(&s.url()).unwrap().with_token(forged);
    assert_eq!(
        api.pending().await.unwrap_err().code(),
        Some(ErrorCode::DeviceAuthInvalid.code())
    );
    // Enrolling again (a new phone) supersedes the first device: its credential and its
    // connection stop working, its certificate no longer signs.
    let mut socket = first.api.connect_push().await.unwrap();
    let second = s.enrol(NAME, PHONE, BIRTH).await;
    assert_eq!(
        first.api.pending().await.unwrap_err().code(),
        Some(ErrorCode::DeviceAuthInvalid.code())
    );
    use futures_util::StreamExt;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(m)) if m.is_close() => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the superseded device's push connection was closed"
    );
    second.api.pending().await.unwrap();
    let party = s.add_party("기관").await;
    let r = s
        .client(&party)
        .request_verify_auth(&IdentityRequest::new(NAME, PHONE, BIRTH, "n", "t", 300))
        .await
        .unwrap();
    assert_eq!(
        second
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn the_push_endpoint_needs_a_credential_and_an_upgrade() {
    let s = TestServer::start().await;
    let anon = DeviceApi::new(&s.url()).unwrap();
    let err = anon.connect_push().await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(ErrorCode::DeviceAuthMissing.code()),
        "{err}"
    );
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let res = reqwest::Client::new()
        .get(format!("{}{}", s.url(), paths::DEVICE_PUSH))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap();
    let a = answer(res).await;
    assert_eq!(
        (a.status, a.code()),
        (400, ErrorCode::WebSocketRequired.code())
    );
}

/// A request waiting for the standard person, its card, and what is needed to answer it.
async fn waiting(
    s: &TestServer,
) -> (
    dojang_testkit::TestParty,
    dojang_testkit::TestDevice,
    dojang_proto::device::RequestCard,
) {
    let party = s.add_party("기관").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let r = s
        .client(&party)
        .request_verify_auth(&IdentityRequest::new(
            NAME,
            PHONE,
            BIRTH,
            "the-token",
            "t",
            300,
        ))
        .await
        .unwrap();
    let card = device.card(&r.receipt_id).await;
    (party, device, card)
}

async fn state_of(s: &TestServer, party: &dojang_testkit::TestParty, receipt: &str) -> i32 {
    s.client(party)
        .get_verify_auth_state(receipt)
        .await
        .unwrap()
        .state
}

#[tokio::test]
async fn a_tampered_signature_fails_the_request() {
    let s = TestServer::start().await;
    let (party, device, card) = waiting(&s).await;
    let mut der = STANDARD
        .decode(device.signer.sign(&card, s.clock().now()).unwrap())
        .unwrap();
    let last = der.len() - 3;
    der[last] ^= 0x01; // inside the ECDSA signature
    let err = device
        .api
        .approve(
            &card.receipt_id,
            &dojang_proto::device::Approve {
                signed_data: Some(STANDARD.encode(&der)),
                binding_code: card.binding_code.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(ErrorCode::SignatureInvalid.code()),
        "{err}"
    );
    assert_eq!(state_of(&s, &party, &card.receipt_id).await, 4);
    let e = s
        .client(&party)
        .verify_auth(&card.receipt_id)
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::RequestFailed));
}

#[tokio::test]
async fn the_signed_content_must_be_the_token() {
    let s = TestServer::start().await;
    let (party, device, mut card) = waiting(&s).await;
    card.token = "another text".into();
    let signed = device.signer.sign(&card, s.clock().now()).unwrap();
    let err = device
        .api
        .approve(
            &card.receipt_id,
            &dojang_proto::device::Approve {
                signed_data: Some(signed),
                binding_code: card.binding_code.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ContentMismatch.code()));
    assert_eq!(state_of(&s, &party, &card.receipt_id).await, 4);
}

#[tokio::test]
async fn a_certificate_of_a_different_person_fails_the_request() {
    let s = TestServer::start().await;
    let (party, device, card) = waiting(&s).await;
    let mallory = s.enrol("김철수", "01077778888", "19800808").await;
    // A valid dojang signature over the right token, by someone else's certificate, submitted
    // with the receiver's device credential.
    let signed = mallory.signer.sign(&card, s.clock().now()).unwrap();
    let err = device
        .api
        .approve(
            &card.receipt_id,
            &dojang_proto::device::Approve {
                signed_data: Some(signed),
                binding_code: card.binding_code.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::SignerNotReceiver.code()));
    assert_eq!(state_of(&s, &party, &card.receipt_id).await, 4);
    // And the other person's device cannot even see the request.
    let err = mallory.api.view(&card.receipt_id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DeviceRequestNotFound.code()));
}

#[tokio::test]
async fn a_key_from_another_ca_is_untrusted() {
    let s = TestServer::start().await;
    let (party, device, card) = waiting(&s).await;
    let other_ca =
        dojang_pki::CertificateAuthority::generate(&Default::default(), s.clock().now()).unwrap();
    let key = DeviceKey::generate();
    let csr = dojang_pki::check_csr(&key.csr_der(NAME).unwrap(), NAME).unwrap();
    let now = s.clock().now();
    let cert = other_ca
        .issue(&dojang_pki::IssueRequest {
            csr: &csr,
            holder_name: NAME,
            holder_id: "x",
            not_before: now,
            not_after: now + Duration::from_secs(3600),
        })
        .unwrap();
    let cms = key.sign_cms(&cert.der, card.token.as_bytes(), now).unwrap();
    let err = device
        .api
        .approve(
            &card.receipt_id,
            &dojang_proto::device::Approve {
                signed_data: Some(STANDARD.encode(cms)),
                binding_code: card.binding_code.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::SignerUntrusted.code()));
    assert_eq!(state_of(&s, &party, &card.receipt_id).await, 4);
}

#[tokio::test]
async fn a_signing_time_outside_the_request_fails_it() {
    let s = TestServer::start().await;
    let (party, device, card) = waiting(&s).await;
    let signed = device
        .signer
        .sign(&card, s.clock().now() - Duration::from_secs(3600))
        .unwrap();
    let err = device
        .api
        .approve(
            &card.receipt_id,
            &dojang_proto::device::Approve {
                signed_data: Some(signed),
                binding_code: card.binding_code.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    // The certificate did not exist an hour ago either; the signing-time rule catches it first
    // only if the chain check passes, so accept either precise code.
    assert!(
        [
            ErrorCode::SigningTimeOutOfRange.code(),
            ErrorCode::SignerCertificateExpired.code()
        ]
        .contains(&err.code().unwrap()),
        "{err}"
    );
    assert_eq!(state_of(&s, &party, &card.receipt_id).await, 4);
}

#[tokio::test]
async fn malformed_or_missing_signed_data() {
    let s = TestServer::start().await;
    let (party, device, card) = waiting(&s).await;
    // Missing: refused without consuming the request.
    let res = reqwest::Client::new()
        .post(format!(
            "{}{}",
            s.url(),
            paths::device_request_action_path(&card.receipt_id, "approve")
        ))
        .bearer_auth(&device.token)
        .body("{}")
        .send()
        .await
        .unwrap();
    let a = answer(res).await;
    assert_eq!(a.code(), ErrorCode::BindingCodeMissing.code());
    let res = reqwest::Client::new()
        .post(format!(
            "{}{}",
            s.url(),
            paths::device_request_action_path(&card.receipt_id, "approve")
        ))
        .bearer_auth(&device.token)
        .body(serde_json::json!({ "bindingCode": card.binding_code }).to_string())
        .send()
        .await
        .unwrap();
    let a = answer(res).await;
    assert_eq!(a.code(), ErrorCode::SignedDataMissing.code());
    assert_eq!(state_of(&s, &party, &card.receipt_id).await, 0);
    // Not CMS at all: the request fails.
    let err = device
        .api
        .approve(
            &card.receipt_id,
            &dojang_proto::device::Approve {
                signed_data: Some(STANDARD.encode(b"not a cms")),
                binding_code: card.binding_code.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::SignedDataMalformed.code()));
    assert_eq!(state_of(&s, &party, &card.receipt_id).await, 4);
}
