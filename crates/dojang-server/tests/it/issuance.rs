//! The other two proofs of identity, in-process with a manual clock: bank-account ownership (a
//! 1-won deposit whose memo is a word) and registration-desk codes (reference number and
//! authorisation code). Each ends in a certificate that signs; every wrong, reused, expired,
//! foreign or malformed attempt gets its own code.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_app::{BankEnrolment, DeskEnrolment, Enrolment, Holder};
use dojang_client::{ErrorCode, IdentityRequest};
use dojang_core::Clock;
use dojang_core::registration::ReferenceNumber;
use dojang_pki::DeviceKey;
use dojang_proto::paths;
use dojang_testkit::TestServer;
use serde_json::json;

use crate::common::*;

const BANK: &str = "004";
const ACCOUNT: &str = "123-456-789";

fn holder(name: &str, phone: &str, birth: &str) -> Holder {
    Holder {
        name: name.into(),
        phone: phone.into(),
        birthday: birth.into(),
    }
}

fn me() -> Holder {
    holder(NAME, PHONE, BIRTH)
}

/// POST a raw body to a device endpoint.
async fn post(s: &TestServer, path: &str, body: impl Into<reqwest::Body>) -> Answer {
    answer(
        reqwest::Client::new()
            .post(format!("{}{path}", s.url()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn csr_for(name: &str) -> String {
    STANDARD.encode(DeviceKey::generate().csr_der(name).unwrap())
}

/// A word that is not `word` (same alphabet).
fn other_word(word: &str) -> String {
    let mut w: Vec<char> = word.chars().collect();
    w[0] = if w[0] == '가' { '나' } else { '가' };
    w.into_iter().collect()
}

/// A code that is not `code` (16 digits).
fn other_code(code: &str) -> String {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    let last = digits.chars().last().unwrap().to_digit(10).unwrap();
    format!("{}{}", &digits[..15], (last + 1) % 10)
}

async fn approves_an_identity_request(
    s: &TestServer,
    api_signer: (dojang_app::DeviceApi, dojang_app::Signer),
) {
    let (api, signer) = api_signer;
    let party = s.add_party("도장은행").await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&IdentityRequest::new(
            NAME,
            PHONE,
            BIRTH,
            "issued-nonce",
            "본인확인",
            120,
        ))
        .await
        .unwrap();
    let card = api
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
    assert_eq!(api.approve(&card.receipt_id, &body).await.unwrap().state, 1);
    let v = client.verify_auth(&r.receipt_id).await.unwrap();
    assert_eq!(v.token.as_deref(), Some("issued-nonce"));
    assert_eq!(
        openssl_verify(s, v.signed_data.as_deref().unwrap()),
        "issued-nonce"
    );
}

// ----- bank-account ownership ------------------------------------------------------------------

#[tokio::test]
async fn a_bank_account_check_issues_a_certificate_that_signs() {
    let s = TestServer::start().await;
    let e = BankEnrolment::start(&s.url(), me(), BANK, ACCOUNT)
        .await
        .unwrap();
    let started = e.started().clone();
    assert_eq!(
        (
            started.expire_in,
            started.max_attempts,
            started.bank_code.as_str(),
            started.bank_name.as_deref(),
            started.masked_account.as_str()
        ),
        (600, 3, "004", Some("KB국민은행"), "123-***-789")
    );
    // The development gateway filed the deposit in the outbox, channel "bank".
    let phone = dojang_core::Phone::parse(PHONE).unwrap();
    let outbox = s.state().store.outbox(Some(&phone), 5).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].channel, "bank");
    assert!(outbox[0].body.contains("123-456-789"), "{}", outbox[0].body);
    let word = s.last_bank_word(PHONE).await;
    // Only the word's keyed hash is stored.
    let id = started.enrolment_id.parse().unwrap();
    let stored = s.state().store.bank_check(id).await.unwrap().unwrap();
    assert!(
        !stored
            .word_hash
            .windows(word.len())
            .any(|w| w == word.as_bytes())
    );

    let done = e.submit_word(&word).await.unwrap();
    let check = s.state().store.bank_check(id).await.unwrap().unwrap();
    assert!(check.completed_at.is_some());
    let cert = s
        .state()
        .store
        .certificate(&done.serial)
        .await
        .unwrap()
        .unwrap();
    assert!(cert.revoked_at.is_none());
    approves_an_identity_request(&s, e.into_device(&done).unwrap()).await;
}

#[tokio::test]
async fn three_wrong_words_lock_the_check() {
    let s = TestServer::start().await;
    let e = BankEnrolment::start(&s.url(), me(), BANK, ACCOUNT)
        .await
        .unwrap();
    let word = s.last_bank_word(PHONE).await;
    for remaining in [2, 1] {
        let err = e.submit_word(&other_word(&word)).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::BankWordWrong.code()));
        assert!(
            err.to_string().contains(&format!("{remaining} tries left")),
            "{err}"
        );
    }
    let err = e.submit_word(&other_word(&word)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::BankWordTooManyAttempts.code()));
    // Even the right word no longer works, and nothing was issued.
    let err = e.submit_word(&word).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::BankWordTooManyAttempts.code()));
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
async fn words_expire_after_ten_minutes_and_checks_complete_once() {
    let s = TestServer::start().await;
    let e = BankEnrolment::start(&s.url(), me(), BANK, ACCOUNT)
        .await
        .unwrap();
    let word = s.last_bank_word(PHONE).await;
    s.clock().advance(Duration::from_secs(600));
    let err = e.submit_word(&word).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::BankCheckExpired.code()));

    let e = BankEnrolment::start(&s.url(), me(), BANK, ACCOUNT)
        .await
        .unwrap();
    let word = s.last_bank_word(PHONE).await;
    s.clock().advance(Duration::from_secs(599));
    e.submit_word(&word).await.unwrap();
    let err = e.submit_word(&word).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::EnrolmentCompleted.code()));
}

#[tokio::test]
async fn bank_enrolment_input_is_checked() {
    let s = TestServer::start().await;
    let start = |v: serde_json::Value| {
        let mut body = json!({
            "name": NAME, "phone": PHONE, "birthday": BIRTH,
            "bankCode": BANK, "bankAccountNum": ACCOUNT,
        });
        for (k, x) in v.as_object().unwrap() {
            if x.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = x.clone();
            }
        }
        body.to_string()
    };
    for (changes, code) in [
        (json!({"bankCode": null}), ErrorCode::BankCodeMissing),
        (json!({"bankCode": ""}), ErrorCode::BankCodeMissing),
        (json!({"bankCode": "4"}), ErrorCode::BankCodeInvalid),
        (json!({"bankCode": "0004"}), ErrorCode::BankCodeInvalid),
        (json!({"bankCode": "국민"}), ErrorCode::BankCodeInvalid),
        (
            json!({"bankAccountNum": null}),
            ErrorCode::BankAccountNumMissing,
        ),
        (
            json!({"bankAccountNum": "123-45a"}),
            ErrorCode::BankAccountNumInvalid,
        ),
        (
            json!({"bankAccountNum": "1".repeat(32)}),
            ErrorCode::BankAccountNumInvalid,
        ),
        (
            json!({"bankAccountNum": "' OR 1=1 --"}),
            ErrorCode::BankAccountNumInvalid,
        ),
        (json!({"name": null}), ErrorCode::NameMissing),
        (json!({"phone": "010-1234-5678"}), ErrorCode::PhoneNotDigits),
        (json!({"birthday": "19900231"}), ErrorCode::BirthdayInvalid),
        (json!({"bankCode": 4}), ErrorCode::FieldType),
    ] {
        let a = post(&s, paths::DEVICE_BANK_ENROLMENTS, start(changes.clone())).await;
        assert_eq!(a.code(), code.code(), "{changes}: {:?}", a.body);
        assert_eq!(a.status, 400, "{changes}");
    }
    for body in ["{not json", "[1]", "\u{0}", "{\"name\":"] {
        let a = post(&s, paths::DEVICE_BANK_ENROLMENTS, body.to_owned()).await;
        assert_eq!(a.code(), ErrorCode::MalformedJson.code(), "{body:?}");
    }
    // An empty body reads as `{}`.
    let a = post(&s, paths::DEVICE_BANK_ENROLMENTS, "").await;
    assert_eq!(a.code(), ErrorCode::NameMissing.code());
    // Larger than the server's limit (1 MiB by default).
    let a = post(
        &s,
        paths::DEVICE_BANK_ENROLMENTS,
        start(json!({"bankAccountNum": "1".repeat(1_100_000)})),
    )
    .await;
    assert_eq!((a.status, a.code()), (413, ErrorCode::BodyTooLarge.code()));
    // Nothing was deposited for refused calls.
    let phone = dojang_core::Phone::parse(PHONE).unwrap();
    assert!(
        s.state()
            .store
            .outbox(Some(&phone), 5)
            .await
            .unwrap()
            .is_empty()
    );

    // Completion: the id, the word and the CSR.
    let e = BankEnrolment::start(&s.url(), me(), BANK, ACCOUNT)
        .await
        .unwrap();
    let id = e.started().enrolment_id.clone();
    let word = s.last_bank_word(PHONE).await;
    let complete = |id: &str| paths::bank_enrolment_complete_path(id);
    let csr = csr_for(NAME);
    for (path, body, code) in [
        (
            complete("x"),
            json!({"word": word, "csr": csr}),
            ErrorCode::EnrolmentIdInvalid,
        ),
        (
            complete("0190a3c4-0000-7000-8000-000000000000"),
            json!({"word": word, "csr": csr}),
            ErrorCode::EnrolmentNotFound,
        ),
        (
            complete(&id),
            json!({"csr": csr}),
            ErrorCode::BankWordFormat,
        ),
        (
            complete(&id),
            json!({"word": "abcd", "csr": csr}),
            ErrorCode::BankWordFormat,
        ),
        (
            complete(&id),
            json!({"word": "하늘바다다", "csr": csr}),
            ErrorCode::BankWordFormat,
        ),
        (complete(&id), json!({"word": word}), ErrorCode::CsrMissing),
        (
            complete(&id),
            json!({"word": word, "csr": "%%%"}),
            ErrorCode::CsrMissing,
        ),
        (
            complete(&id),
            json!({"word": 1234, "csr": csr}),
            ErrorCode::FieldType,
        ),
        // An SMS enrolment's id is no bank check (and the other way round, below).
        (
            paths::enrolment_complete_path(&id),
            json!({"code": "123456", "csr": csr}),
            ErrorCode::EnrolmentNotFound,
        ),
    ] {
        let a = post(&s, &path, body.to_string()).await;
        assert_eq!(a.code(), code.code(), "{path} {body}: {:?}", a.body);
    }
    // None of those counted a try: all three remain for the right word.
    let stored = s
        .state()
        .store
        .bank_check(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attempts, 0);
    let sms = Enrolment::start(&s.url(), holder("김영희", "01055556666", "19850505"))
        .await
        .unwrap();
    let a = post(
        &s,
        &complete(&sms.started().enrolment_id),
        json!({"word": word, "csr": csr}).to_string(),
    )
    .await;
    assert_eq!(a.code(), ErrorCode::EnrolmentNotFound.code());
    // The right word with a CSR naming someone else: refused, nothing issued.
    let a = post(
        &s,
        &complete(&id),
        json!({"word": word, "csr": csr_for("김철수")}).to_string(),
    )
    .await;
    assert_eq!(a.code(), ErrorCode::CsrSubjectMismatch.code());
    e.submit_word(&word).await.unwrap();
}

#[tokio::test]
async fn account_checks_are_limited_per_phone_and_per_account() {
    let s = TestServer::start().await;
    // Five checks a day from one phone, whatever the accounts.
    for i in 0..5 {
        BankEnrolment::start(&s.url(), me(), BANK, &format!("100-{i}"))
            .await
            .unwrap();
    }
    let err = BankEnrolment::start(&s.url(), me(), BANK, "100-9")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::BankCheckRateLimited.code()));
    // Five a day into one account, whoever names it (dashes do not make another account).
    for i in 0..5 {
        let phone = format!("0109000000{i}");
        BankEnrolment::start(
            &s.url(),
            holder("김영희", &phone, "19850505"),
            BANK,
            "777-777",
        )
        .await
        .unwrap();
    }
    let err = BankEnrolment::start(
        &s.url(),
        holder("이순신", "01080000000", "19700101"),
        BANK,
        "777777",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::BankCheckRateLimited.code()));
    let a = post(
        &s,
        paths::DEVICE_BANK_ENROLMENTS,
        json!({"name": NAME, "phone": PHONE, "birthday": BIRTH, "bankCode": BANK, "bankAccountNum": "1"})
            .to_string(),
    )
    .await;
    assert_eq!(
        (a.status, a.code()),
        (429, ErrorCode::BankCheckRateLimited.code())
    );
    s.clock().advance(Duration::from_secs(86_401));
    BankEnrolment::start(&s.url(), me(), BANK, "100-9")
        .await
        .unwrap();
}

/// An open-banking adapter answering every deposit with `status`; what it was sent.
async fn provider(
    status: u16,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use axum::routing::post;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/deposit",
        post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(v);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/deposit"), seen)
}

#[tokio::test]
async fn the_http_bank_gateway_deposits_refuses_and_fails_with_their_codes() {
    for (status, outcome) in [
        (200, None),
        (422, Some((422, ErrorCode::BankAccountRefused))),
        (500, Some((503, ErrorCode::Unavailable))),
    ] {
        let (url, seen) = provider(status).await;
        let s = TestServer::start_with(|c| {
            c.bank.gateway = dojang_server::config::BankGatewayKind::Http;
            c.bank.url = url.clone();
        })
        .await;
        let body = json!({"name": NAME, "phone": PHONE, "birthday": BIRTH, "bankCode": BANK, "bankAccountNum": ACCOUNT});
        let a = post(&s, paths::DEVICE_BANK_ENROLMENTS, body.to_string()).await;
        match outcome {
            None => assert_eq!(a.status, 200, "{:?}", a.body),
            Some((http, code)) => assert_eq!((a.status, a.code()), (http, code.code())),
        }
        let sent = seen.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (
                &sent[0]["bankCode"],
                &sent[0]["accountNumber"],
                &sent[0]["holderName"],
                &sent[0]["holderBirthday"],
                &sent[0]["amount"]
            ),
            (
                &json!("004"),
                &json!("123456789"),
                &json!(NAME),
                &json!(BIRTH),
                &json!(1)
            )
        );
        assert_eq!(sent[0]["memo"].as_str().unwrap().chars().count(), 4);
        // The HTTP gateway leaves nothing in the outbox.
        let phone = dojang_core::Phone::parse(PHONE).unwrap();
        assert!(
            s.state()
                .store
                .outbox(Some(&phone), 5)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

// ----- registration desk -----------------------------------------------------------------------

#[tokio::test]
async fn a_registration_desk_code_issues_a_certificate_once() {
    let s = TestServer::start().await;
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    assert_eq!(reference.len(), 10);
    // Only the code's keyed hash is stored.
    let r = ReferenceNumber::parse(&reference).unwrap();
    let stored = s.state().store.ra_code(&r).await.unwrap().unwrap();
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    assert!(!stored.code_hash.windows(16).any(|w| w == digits.as_bytes()));
    assert_eq!(
        stored.expires_at - stored.issued_at,
        time::Duration::days(7)
    );

    let e = DeskEnrolment::new(&s.url(), me()).unwrap();
    let done = e.submit(&reference, &code).await.unwrap();
    let used = s.state().store.ra_code(&r).await.unwrap().unwrap();
    assert_eq!(used.serial.as_deref(), Some(done.serial.as_str()));
    assert!(used.used_at.is_some());
    // Single use: the same slip again, from another install, is refused.
    let again = DeskEnrolment::new(&s.url(), me()).unwrap();
    let err = again.submit(&reference, &digits).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaUsed.code()));
    approves_an_identity_request(&s, e.into_device(&done).unwrap()).await;
}

#[tokio::test]
async fn five_wrong_codes_burn_the_reference_number() {
    let s = TestServer::start().await;
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    let e = DeskEnrolment::new(&s.url(), me()).unwrap();
    for remaining in [4, 3, 2, 1] {
        let err = e.submit(&reference, &other_code(&code)).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::RaCodeWrong.code()));
        assert!(
            err.to_string().contains(&format!("{remaining} tries left")),
            "{err}"
        );
    }
    let err = e.submit(&reference, &other_code(&code)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaTooManyAttempts.code()));
    let err = e.submit(&reference, &code).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaTooManyAttempts.code()));
    // In Korean, with the tries left.
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    let res = reqwest::Client::new()
        .post(format!("{}{}", s.url(), paths::DEVICE_RA_ENROLMENT))
        .header("accept-language", "ko-KR")
        .json(
            &json!({"refNum": reference, "authCode": other_code(&code), "name": NAME,
                      "phone": PHONE, "birthday": BIRTH, "csr": csr_for(NAME)}),
        )
        .send()
        .await
        .unwrap();
    let a = answer(res).await;
    assert_eq!(a.code(), ErrorCode::RaCodeWrong.code());
    assert_eq!(
        a.body["message"],
        "인가코드가 올바르지 않습니다 (4 tries left)"
    );
}

#[tokio::test]
async fn registration_desk_codes_expire_after_seven_days() {
    let s = TestServer::start().await;
    let (early, early_code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    let (late, late_code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    s.clock().advance(Duration::from_secs(7 * 86_400 - 1));
    DeskEnrolment::new(&s.url(), me())
        .unwrap()
        .submit(&early, &early_code)
        .await
        .unwrap();
    s.clock().advance(Duration::from_secs(1));
    let err = DeskEnrolment::new(&s.url(), me())
        .unwrap()
        .submit(&late, &late_code)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaExpired.code()));
    let a = post(
        &s,
        paths::DEVICE_RA_ENROLMENT,
        json!({"refNum": late, "authCode": late_code, "name": NAME, "phone": PHONE,
               "birthday": BIRTH, "csr": csr_for(NAME)})
        .to_string(),
    )
    .await;
    assert_eq!(a.status, 410);
}

#[tokio::test]
async fn another_persons_reference_number_is_refused() {
    let s = TestServer::start().await;
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    // Someone else holding the slip (reference number and code): refused, and counted.
    let thief = holder("김철수", "01077778888", "19800101");
    let err = DeskEnrolment::new(&s.url(), thief.clone())
        .unwrap()
        .submit(&reference, &code)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaPersonMismatch.code()));
    // Someone with only the reference number learns nothing about whose it is.
    let err = DeskEnrolment::new(&s.url(), thief)
        .unwrap()
        .submit(&reference, &other_code(&code))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaCodeWrong.code()));
    // Same phone and birth date, another name; same name, another birth date.
    for other in [
        holder("홍길순", PHONE, BIRTH),
        holder(NAME, PHONE, "19900102"),
    ] {
        let err = DeskEnrolment::new(&s.url(), other)
            .unwrap()
            .submit(&reference, &code)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::RaPersonMismatch.code()));
    }
    let r = ReferenceNumber::parse(&reference).unwrap();
    assert_eq!(
        s.state().store.ra_code(&r).await.unwrap().unwrap().attempts,
        4
    );
    // The person it was issued for still gets the certificate with the last try.
    DeskEnrolment::new(&s.url(), me())
        .unwrap()
        .submit(&reference, &code)
        .await
        .unwrap();
}

#[tokio::test]
async fn cancelled_and_unknown_reference_numbers() {
    let s = TestServer::start().await;
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    let r = ReferenceNumber::parse(&reference).unwrap();
    s.state()
        .store
        .cancel_ra_code(&r, s.clock().now())
        .await
        .unwrap()
        .unwrap();
    let err = DeskEnrolment::new(&s.url(), me())
        .unwrap()
        .submit(&reference, &code)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaCancelled.code()));
    let unknown = if reference == "0000000000" {
        "0000000001"
    } else {
        "0000000000"
    };
    let err = DeskEnrolment::new(&s.url(), me())
        .unwrap()
        .submit(unknown, &code)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RaNotFound.code()));
}

#[tokio::test]
async fn registration_desk_input_is_checked() {
    let s = TestServer::start_with(|c| c.max_body_bytes = 64 * 1024).await;
    let (reference, code) = s.issue_ra(NAME, PHONE, BIRTH).await;
    let body = |v: serde_json::Value| {
        let mut b = json!({"refNum": reference, "authCode": code, "name": NAME,
                           "phone": PHONE, "birthday": BIRTH, "csr": csr_for(NAME)});
        for (k, x) in v.as_object().unwrap() {
            if x.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = x.clone();
            }
        }
        b.to_string()
    };
    for (changes, code, status) in [
        (json!({"refNum": null}), ErrorCode::RefNumFormat, 400),
        (json!({"refNum": "123456789"}), ErrorCode::RefNumFormat, 400),
        (
            json!({"refNum": "12345678901"}),
            ErrorCode::RefNumFormat,
            400,
        ),
        (
            json!({"refNum": "' OR 1=1 --"}),
            ErrorCode::RefNumFormat,
            400,
        ),
        (
            json!({"refNum": "１２３４５６７８９０"}),
            ErrorCode::RefNumFormat,
            400,
        ),
        (
            json!({"refNum": "9".repeat(10_000)}),
            ErrorCode::RefNumFormat,
            400,
        ),
        (json!({"authCode": null}), ErrorCode::AuthCodeFormat, 400),
        (
            json!({"authCode": "1234-5678"}),
            ErrorCode::AuthCodeFormat,
            400,
        ),
        (
            json!({"authCode": "1234-5678-9012-345x"}),
            ErrorCode::AuthCodeFormat,
            400,
        ),
        (json!({"authCode": "\u{0}"}), ErrorCode::AuthCodeFormat, 400),
        (json!({"name": null}), ErrorCode::NameMissing, 400),
        (json!({"name": "a\u{7}b"}), ErrorCode::NameInvalid, 400),
        (json!({"phone": "0101234"}), ErrorCode::PhoneLength, 400),
        (
            json!({"birthday": "1990-01-01"}),
            ErrorCode::BirthdayFormat,
            400,
        ),
        (json!({"csr": null}), ErrorCode::CsrMissing, 400),
        (json!({"csr": "bm90IGEgY3Ny"}), ErrorCode::CsrMalformed, 400),
        (
            json!({"csr": STANDARD.encode(vec![0x30; 8000])}),
            ErrorCode::CsrTooLarge,
            413,
        ),
        (
            json!({"csr": csr_for("김철수")}),
            ErrorCode::CsrSubjectMismatch,
            400,
        ),
        (json!({"refNum": 1234567890}), ErrorCode::FieldType, 400),
        (json!({"authCode": ["1"]}), ErrorCode::FieldType, 400),
    ] {
        let a = post(&s, paths::DEVICE_RA_ENROLMENT, body(changes.clone())).await;
        assert_eq!(
            (a.status, a.code()),
            (status, code.code()),
            "{changes}: {:?}",
            a.body
        );
    }
    for raw in ["{not json", "[]", "null", "\u{feff}{}"] {
        let a = post(&s, paths::DEVICE_RA_ENROLMENT, raw.to_owned()).await;
        assert_eq!(a.code(), ErrorCode::MalformedJson.code(), "{raw:?}");
    }
    let a = post(&s, paths::DEVICE_RA_ENROLMENT, "").await;
    assert_eq!(a.code(), ErrorCode::RefNumFormat.code());
    let a = post(
        &s,
        paths::DEVICE_RA_ENROLMENT,
        body(json!({"name": "가".repeat(30_000)})),
    )
    .await;
    assert_eq!((a.status, a.code()), (413, ErrorCode::BodyTooLarge.code()));
    // None of those counted a try; the code still works, and the server still serves.
    let r = ReferenceNumber::parse(&reference).unwrap();
    assert_eq!(
        s.state().store.ra_code(&r).await.unwrap().unwrap().attempts,
        0
    );
    let a = post(&s, paths::DEVICE_RA_ENROLMENT, body(json!({}))).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert!(
        a.body["certificate"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
}
