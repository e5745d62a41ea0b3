//! The JSON bodies of every dialect: the native relying-party API, barocert, kakaocert 2.x and
//! 1.x, and the device API. Every type is read from the same bytes as the server reads it
//! (`serde_json` over the trimmed body); whatever reads must write and read back to the same
//! value, and a create body goes on through the validation the server applies
//! (`NewRequest::from_wire_in`), for every kind and dialect.

use std::fmt::Debug;

use dojang_core::Policy;
use dojang_core::request::{Dialect, NewRequest, RequestKind};
use dojang_proto::rp::{CreateRequest, TokenType};
use dojang_proto::text::{Lines, first_unsafe};
use dojang_proto::{barocert, device, kakaocert, linkhub, rp, webhook};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::fixture::{KEY, NOW};

/// Reads `T` as the server does and checks the round trip; the value, if it read.
pub(crate) fn round_trip<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value: T = serde_json::from_slice(data.trim_ascii()).ok()?;
    let written = serde_json::to_vec(&value).expect("a value read must write");
    let again: T = serde_json::from_slice(&written)
        .unwrap_or_else(|e| panic!("{value:?} wrote {written:?}, which does not read: {e}"));
    assert_eq!(
        value,
        again,
        "round trip through {:?}",
        String::from_utf8_lossy(&written)
    );
    Some(value)
}

const KINDS: [RequestKind; 5] = [
    RequestKind::Identity,
    RequestKind::Sign,
    RequestKind::MultiSign,
    RequestKind::DebitConsent,
    RequestKind::Login,
];

const DIALECTS: [Dialect; 3] = [
    Dialect::NATIVE,
    Dialect::KAKAOCERT_V2,
    Dialect::KAKAOCERT_V1,
];

/// What must hold of a request the validation accepted: a known kind, every text shown to the
/// person free of controls (titles on one line), a name, an 11-digit-or-so phone, documents,
/// an expiry within the policy.
fn check_accepted(kind: RequestKind, req: &NewRequest, policy: &Policy) {
    assert_eq!(req.kind, kind);
    let one = |what: &str, s: &str| {
        assert!(
            first_unsafe(s, Lines::One).is_none(),
            "{what} {s:?} accepted with a control"
        );
    };
    let many = |what: &str, s: &str| {
        assert!(
            first_unsafe(s, Lines::Many).is_none(),
            "{what} {s:?} accepted with a control"
        );
    };
    one("name", req.receiver.name.as_str());
    assert!(
        !req.receiver.name.as_str().trim().is_empty(),
        "empty name accepted"
    );
    let phone = req.receiver.phone.as_str();
    assert!(
        phone.bytes().all(|b| b.is_ascii_digit()),
        "phone {phone:?} accepted"
    );
    assert!(
        req.receiver.birthday.date() <= NOW.date(),
        "a birthday in the future accepted"
    );
    one("title", &req.title);
    assert!(
        !req.documents.is_empty(),
        "a request without documents accepted"
    );
    for d in &req.documents {
        one("document title", &d.title);
        many("token", &d.token);
        assert!(!d.token.is_empty(), "an empty token accepted");
        assert!(TokenType::parse(d.token_type.as_str()).is_some());
    }
    if let Some(m) = &req.extra_message {
        many("extraMessage", m);
    }
    assert!((1..=policy.max_expire_in).contains(&req.expire_in));
}

/// Validate a create body as each kind under each dialect, as the server does.
pub(crate) fn validate_create(wire: &CreateRequest) {
    let policy = Policy::default();
    for dialect in DIALECTS {
        for kind in KINDS {
            if let Ok(req) = NewRequest::from_wire_in(dialect, kind, wire, &policy, NOW) {
                check_accepted(kind, &req, &policy);
            }
        }
    }
}

/// Native relying-party API: every request and answer body of `rp`, and the webhook event.
pub fn rp_json(data: &[u8]) {
    if let Some(wire) = round_trip::<CreateRequest>(data) {
        validate_create(&wire);
    }
    round_trip::<rp::CancelRequest>(data);
    round_trip::<rp::LoginPageExchange>(data);
    round_trip::<rp::TokenItem>(data);
    round_trip::<rp::DebitAccount>(data);
    round_trip::<rp::ReceiptResponse>(data);
    round_trip::<rp::RequestStatus>(data);
    round_trip::<rp::VerifyResult>(data);
    round_trip::<rp::Cancelled>(data);
    round_trip::<rp::LoginPageResult>(data);
    round_trip::<webhook::WebhookEvent>(data);
    if let Some(a) = round_trip::<rp::DebitAccount>(data) {
        let text = rp::debit_consent_text(&a);
        assert!(!text.is_empty());
    }
    cloud_json(data);
}

/// The cloud certificate's bodies (`/cloud/v1/*` and `/v1/cloud/*`), several with flattened
/// browser-proof or person fields.
fn cloud_json(data: &[u8]) {
    use dojang_proto::cloud as c;
    round_trip::<c::IssueDesk>(data);
    round_trip::<c::IssueSmsComplete>(data);
    round_trip::<c::IssueAlt>(data);
    round_trip::<c::CloudPerson>(data);
    round_trip::<c::BrowserComplete>(data);
    round_trip::<c::PinResetComplete>(data);
    round_trip::<c::ChallengeAsk>(data);
    round_trip::<c::Proved>(data);
    round_trip::<c::ProvedWithPin>(data);
    round_trip::<c::PinChange>(data);
    round_trip::<c::SignAsk>(data);
    round_trip::<c::CloudExchange>(data);
    round_trip::<c::AltAuth>(data);
    round_trip::<c::Issued>(data);
    round_trip::<c::Me>(data);
    round_trip::<c::CloudExchanged>(data);
}

/// barocert: the body as the server reads it (a JSON object, `null` members dropped), its
/// encrypted fields opened with the party's key in the call's mode (`open_fields`), then read
/// as a native create body and validated as the service's kind. Also: fields encrypted with
/// the key open to what was encrypted.
pub fn barocert_json(data: &[u8]) {
    round_trip::<barocert::Receipt>(data);
    round_trip::<barocert::BarocertStatus>(data);
    round_trip::<barocert::BarocertResult>(data);
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
        return;
    };
    body.retain(|_, v| !v.is_null());
    for service in barocert::SERVICES {
        for mode in [linkhub::FieldMode::Gcm, linkhub::FieldMode::Cbc] {
            let mut opened = body.clone();
            if barocert::open_fields(service, mode, &KEY, &mut opened).is_err() {
                continue;
            }
            if let Ok(wire) = serde_json::from_value::<CreateRequest>(Value::Object(opened)) {
                let kind = RequestKind::from_wire(service.kind);
                let policy = Policy::default();
                if let Ok(req) =
                    NewRequest::from_wire_in(Dialect::NATIVE, kind, &wire, &policy, NOW)
                {
                    check_accepted(kind, &req, &policy);
                }
            }
        }
        // Encrypt the string fields the service encrypts, then open them: the plaintexts.
        let mut sealed = body.clone();
        let seal = |v: &mut Value| {
            if let Value::String(s) = v {
                *s = linkhub::encrypt_gcm(&KEY, [7; 12], s).expect("32-byte key");
            }
        };
        for field in service.encrypted {
            if let Some(v) = sealed.get_mut(*field) {
                seal(v);
            }
        }
        if let Some(Value::Array(tokens)) = sealed.get_mut("tokens") {
            for t in tokens.iter_mut() {
                if let Some(v) = t.get_mut("token") {
                    seal(v);
                }
            }
        }
        barocert::open_fields(service, linkhub::FieldMode::Gcm, &KEY, &mut sealed)
            .expect("what was sealed with the key opens");
        for field in service.encrypted {
            if let Some(Value::String(s)) = body.get(*field) {
                assert_eq!(sealed.get(*field), Some(&Value::String(s.clone())));
            }
        }
    }
}

/// kakaocert 2.x and 1.x: the PascalCase request body and every answer body.
pub fn kakaocert_json(data: &[u8]) {
    if let Some(k) = round_trip::<kakaocert::KcRequest>(data)
        && let Some(code) = k.bank_code.as_deref()
        && let Some(name) = kakaocert::bank_name(code)
    {
        assert!(!name.is_empty());
    }
    round_trip::<kakaocert::KcReceipt>(data);
    round_trip::<kakaocert::KcStatus>(data);
    round_trip::<kakaocert::KcVerified>(data);
    round_trip::<kakaocert::KcResultV1>(data);
}

/// The device API (the app's calls and the server's answers and pushes).
pub fn device_json(data: &[u8]) {
    round_trip::<device::EnrolmentStart>(data);
    round_trip::<device::EnrolmentStarted>(data);
    round_trip::<device::EnrolmentComplete>(data);
    round_trip::<device::EnrolmentCompleted>(data);
    round_trip::<device::LoginComplete>(data);
    round_trip::<device::LoggedIn>(data);
    round_trip::<device::PinUnlock>(data);
    round_trip::<device::PinChange>(data);
    round_trip::<device::DeviceRevoke>(data);
    round_trip::<device::CertificateRenew>(data);
    round_trip::<device::CertificateRenewed>(data);
    round_trip::<device::CertificateStatus>(data);
    round_trip::<device::PinUnlocked>(data);
    round_trip::<device::BiometricRegister>(data);
    round_trip::<device::BiometricChallengeIssued>(data);
    round_trip::<device::BiometricUnlock>(data);
    round_trip::<device::BankEnrolmentStart>(data);
    round_trip::<device::BankEnrolmentStarted>(data);
    round_trip::<device::BankEnrolmentComplete>(data);
    round_trip::<device::RaEnrolment>(data);
    round_trip::<device::CardDocument>(data);
    round_trip::<device::RequestCard>(data);
    round_trip::<device::PushMessage>(data);
    round_trip::<device::PendingRequests>(data);
    round_trip::<device::Approve>(data);
    round_trip::<device::Decline>(data);
    round_trip::<device::Answered>(data);
    round_trip::<linkhub::TokenRequest>(data);
    round_trip::<linkhub::TokenResponse>(data);
}
