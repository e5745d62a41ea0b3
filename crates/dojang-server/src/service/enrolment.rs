//! Enrolment by SMS one-time code: start (send the code), complete (code + CSR → certificate
//! and device credential), or [`login`] (code only → a device without a certificate); and
//! [`issue`], the end every proof of identity shares (the bank account in [`super::bank`], the
//! registration desk in [`super::registration`]).

use std::net::IpAddr;
use std::time::Duration;

use time::OffsetDateTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::enrolment::{Enrolment, OneTimeCode};
use dojang_core::{
    Birthday, CertificateRecord, Device, DeviceId, EnrolmentId, Member, MemberId, Person,
    PersonName, Phone, ValidationError,
};
use dojang_pki::{CheckedCsr, IssueRequest};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_rfc3339;
use dojang_proto::device::{
    EnrolmentComplete, EnrolmentCompleted, EnrolmentStart, EnrolmentStarted, LoggedIn,
    LoginComplete,
};
use dojang_store::{CompletedEnrolment, CompletedLogin, MemberChoice, Proof};
use rand::Rng;

use super::throttle;
use crate::http::error::ApiError;
use crate::http::extract::{device_secret_hash, device_token};
use crate::state::AppState;

/// Keyed hash of a one-time code, bound to its enrolment.
fn code_hash(state: &AppState, id: EnrolmentId, code: &OneTimeCode) -> Vec<u8> {
    state.keys.lookup("otp", &[&id.to_string(), code.as_str()])
}

/// Validate who is enrolling and send them a one-time code.
#[tracing::instrument(skip_all)]
pub async fn start(state: &AppState, wire: &EnrolmentStart) -> Result<EnrolmentStarted, ApiError> {
    let now = state.clock.now();
    let person = person_of(
        wire.name.as_deref(),
        wire.phone.as_deref(),
        wire.birthday.as_deref(),
        now,
    )?;
    let (id, code) = new_code(state, &person, now).await?;
    send_code(state, &person, &code).await?;
    tracing::info!(enrolment = %id, "enrolment started");
    Ok(EnrolmentStarted {
        enrolment_id: id.to_string(),
        expire_in: i64::try_from(state.policy.otp_ttl.as_secs()).unwrap_or(i64::MAX),
        max_attempts: state.policy.otp_max_attempts,
        masked_phone: person.phone.masked(),
    })
}

/// A new SMS proof for `person`: the limits (enrolments per phone per hour, the phone's
/// wrong-code back-off), then an enrolment row with the code's keyed hash. The code is not sent
/// yet ([`send_code`]). Shared by the app's enrolment and the cloud certificate's SMS proofs
/// (`service::cloud`), so both count and check codes alike.
pub(crate) async fn new_code(
    state: &AppState,
    person: &Person,
    now: OffsetDateTime,
) -> Result<(EnrolmentId, OneTimeCode), ApiError> {
    let recent = state
        .store
        .enrolments_since(&person.phone, now - Duration::from_secs(3600))
        .await?;
    if recent >= u64::from(state.policy.enrolments_per_phone_per_hour) {
        return Err(ErrorCode::EnrolmentRateLimited.into());
    }
    // A phone in its wrong-code back-off gets no new code either (no SMS pumped for nothing).
    throttle::check(
        state,
        &throttle::OTP_PHONE,
        throttle::Subject::Phone(&person.phone),
        ErrorCode::OtpRateLimited,
    )
    .await?;
    // ThreadRng is not Send: keep it out of any scope that awaits.
    let (id, code) = {
        let mut rng = rand::rng();
        (
            EnrolmentId::generate(now, &mut rng),
            OneTimeCode::generate(&mut rng),
        )
    };
    let enrolment = Enrolment {
        id,
        person: person.clone(),
        code_hash: code_hash(state, id, &code),
        attempts: 0,
        expires_at: now + state.policy.otp_ttl,
        completed_at: None,
    };
    state.store.insert_enrolment(&enrolment, now).await?;
    Ok((id, code))
}

/// Send a proof's code to `person`'s phone.
pub(crate) async fn send_code(
    state: &AppState,
    person: &Person,
    code: &OneTimeCode,
) -> Result<(), ApiError> {
    let minutes = state.policy.otp_ttl.as_secs().div_ceil(60);
    if let Err(e) = state.sms.send(&person.phone, &code.sms_text(minutes)).await {
        crate::metrics::sms_sent(false);
        tracing::error!(error = %e, "SMS gateway failed");
        return Err(ErrorCode::Unavailable.into());
    }
    crate::metrics::sms_sent(true);
    Ok(())
}

/// Check the code and the CSR; issue the certificate; register the device.
#[tracing::instrument(skip_all, fields(enrolment = %enrolment_id))]
pub async fn complete(
    state: &AppState,
    enrolment_id: &str,
    wire: &EnrolmentComplete,
    client: Option<IpAddr>,
) -> Result<EnrolmentCompleted, ApiError> {
    let id: EnrolmentId = enrolment_id.parse()?;
    let code = OneTimeCode::parse(wire.code.as_deref().unwrap_or(""))?;
    let csr_der = csr_der(wire.csr.as_deref())?;
    // Checked before the code is counted, so a malformed proof costs no attempt.
    let pin_proof = pin_proof(wire.pin_proof.as_deref())?;
    let now = state.clock.now();
    // The CSR is checked before the code is counted too: a malformed one costs no attempt.
    let mut checked = None;
    let person = checked_code(state, id, &code, now, client, |stored| {
        checked = Some(dojang_pki::check_csr(
            &csr_der,
            stored.person.name.as_str(),
        )?);
        Ok(())
    })
    .await?;
    let csr = checked.ok_or_else(|| ApiError::Internal("CSR not checked".into()))?;
    issue(state, &person, &csr, Proof::Sms(id), pin_proof, now)
        .await?
        .ok_or_else(|| ErrorCode::EnrolmentCompleted.into())
}

/// An enrolment call's optional PIN proof (see [`super::pin`]).
pub(crate) fn pin_proof(wire: Option<&str>) -> Result<Option<[u8; 32]>, ApiError> {
    wire.map(|p| super::pin::decode_proof(Some(p))).transpose()
}

/// The person an SMS enrolment verified: `precheck` runs on the stored enrolment before the
/// code is counted, then the code is counted atomically and judged. Before that, the
/// back-offs on wrong codes (issue 14 #2): per client address, across the server, per phone
/// number; a wrong code counts against all three.
pub(crate) async fn checked_code(
    state: &AppState,
    id: EnrolmentId,
    code: &OneTimeCode,
    now: time::OffsetDateTime,
    client: Option<IpAddr>,
    precheck: impl FnOnce(&Enrolment) -> Result<(), ApiError>,
) -> Result<Person, ApiError> {
    let max = state.policy.otp_max_attempts;
    let stored = state
        .store
        .enrolment(id)
        .await?
        .ok_or(ErrorCode::EnrolmentNotFound)?;
    stored.check_open(now, max)?;
    precheck(&stored)?;
    let phone = &stored.person.phone;
    let by_address = throttle::Subject::Address(client);
    let limited = ErrorCode::OtpRateLimited;
    throttle::check(state, &throttle::OTP_ADDRESS, by_address, limited).await?;
    throttle::check(state, &throttle::OTP_ALL, throttle::Subject::All, limited).await?;
    let by_phone = throttle::Subject::Phone(phone);
    throttle::check(state, &throttle::OTP_PHONE, by_phone, limited).await?;
    let Some(counted) = state.store.count_code_attempt(id, max).await? else {
        // Completed or locked between the read and the count.
        let again = state
            .store
            .enrolment(id)
            .await?
            .ok_or(ErrorCode::EnrolmentNotFound)?;
        again.check_open(now, max)?;
        return Err(ErrorCode::OtpTooManyAttempts.into());
    };
    if let Err(wrong) = counted.judge(&code_hash(state, id, code), max) {
        throttle::record(state, &throttle::OTP_ADDRESS, by_address).await?;
        throttle::record(state, &throttle::OTP_ALL, throttle::Subject::All).await?;
        throttle::record(state, &throttle::OTP_PHONE, by_phone).await?;
        return Err(wrong.into());
    }
    Ok(counted.person)
}

/// The member a verified person is (existing, with the same name; or new, with a fresh CI),
/// and a new device id and credential secret for them.
pub(crate) async fn new_device_for(
    state: &AppState,
    person: &Person,
    now: time::OffsetDateTime,
) -> Result<
    (
        MemberId,
        MemberChoice,
        DeviceId,
        zeroize::Zeroizing<[u8; 32]>,
    ),
    ApiError,
> {
    let existing = state
        .store
        .member_by_phone_birthday(&person.phone, &person.birthday)
        .await?;
    // ThreadRng is not Send: keep it out of any scope that awaits.
    let mut rng = rand::rng();
    let (member_id, choice) = match existing {
        Some(m) if m.person.name != person.name => {
            return Err(ErrorCode::MemberNameMismatch.into());
        }
        Some(m) => (m.id, MemberChoice::Existing(m.id)),
        None => {
            let mut ci = [0u8; 64];
            rng.fill_bytes(&mut ci);
            let m = Member {
                id: MemberId::generate(now, &mut rng),
                person: person.clone(),
                ci: STANDARD.encode(ci),
                created_at: now,
            };
            (m.id, MemberChoice::New(m))
        }
    };
    let mut secret = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(secret.as_mut());
    Ok((member_id, choice, DeviceId::generate(now, &mut rng), secret))
}

/// Complete an enrolment as a login: the phone check alone registers this device for the
/// person, without a certificate. Requests for them reach it (the latest login, while they
/// hold no certificate), and the app issues a certificate inside the first one. The person's
/// earlier devices without a certificate are superseded; one with a certificate stays.
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    enrolment_id: &str,
    wire: &LoginComplete,
    client: Option<IpAddr>,
) -> Result<LoggedIn, ApiError> {
    let id: EnrolmentId = enrolment_id.parse()?;
    let code = OneTimeCode::parse(wire.code.as_deref().unwrap_or(""))?;
    let now = state.clock.now();
    let person = checked_code(state, id, &code, now, client, |_| Ok(())).await?;
    let (member_id, choice, device_id, secret) = new_device_for(state, &person, now).await?;
    let done = CompletedLogin {
        enrolment_id: id,
        member: choice,
        device: Device {
            id: device_id,
            member_id,
            token_hash: device_secret_hash(secret.as_ref()),
            created_at: now,
            revoked_at: None,
            kind: dojang_core::DeviceKind::App,
        },
        now,
    };
    if !state.store.complete_login(&done).await? {
        return Err(ErrorCode::EnrolmentCompleted.into());
    }
    state.forget_devices_of(member_id);
    let has_certificate = state.store.has_active_certificate(member_id, now).await?;
    tracing::info!(device = %device_id, has_certificate, "device logged in without a certificate");
    Ok(LoggedIn {
        device_id: device_id.to_string(),
        device_token: device_token(device_id, secret.as_ref()),
        has_certificate,
    })
}

/// Who is enrolling, from a call's `name`, `phone` and `birthday` (checked in that order).
pub(crate) fn person_of(
    name: Option<&str>,
    phone: Option<&str>,
    birthday: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<Person, ValidationError> {
    Ok(Person {
        name: PersonName::parse(name.unwrap_or(""))?,
        phone: Phone::parse(phone.unwrap_or(""))?,
        birthday: Birthday::parse(birthday.unwrap_or(""), now)?,
    })
}

/// The DER of an enrolment call's `csr` (standard base64).
pub(crate) fn csr_der(wire: Option<&str>) -> Result<Vec<u8>, ApiError> {
    wire.filter(|s| !s.is_empty())
        .and_then(|s| STANDARD.decode(s.trim()).ok())
        .ok_or_else(|| ValidationError::CsrMissing.into())
}

/// What every proof of identity ends in: the certificate for the CSR's key, issued to
/// `person`; the member (created at the first certificate); a new device and its credential.
/// Written in one store call that also closes `proof`, so a proof yields at most one
/// certificate: `None` when it was closed meanwhile (nothing written). The member's earlier
/// devices and certificates are superseded.
pub(crate) async fn issue(
    state: &AppState,
    person: &Person,
    csr: &CheckedCsr,
    proof: Proof,
    pin_proof: Option<[u8; 32]>,
    now: time::OffsetDateTime,
) -> Result<Option<EnrolmentCompleted>, ApiError> {
    let (member_id, choice, device_id, secret) = new_device_for(state, person, now).await?;
    // A test-console sandbox person's desk code (issue 14 #8): noted with the member before the
    // enrolment's transaction, issued by the sandbox CA, and never someone who exists already
    // (the console checked; this closes the race).
    let sandbox = match &proof {
        Proof::Desk(reference) => {
            state
                .store
                .claim_sandbox_member(reference.as_str(), member_id)
                .await?
        }
        _ => false,
    };
    let existing = matches!(choice, MemberChoice::Existing(_));
    if sandbox && existing {
        return Err(ErrorCode::RaUsed.into());
    }
    let was_sandbox = existing && state.store.sandbox_owner(member_id).await?.is_some();
    let ca: &dojang_pki::CertificateAuthority = if sandbox {
        match &state.sandbox_ca {
            Some((ca, _)) => ca,
            None => return Err(ErrorCode::RaCancelled.into()),
        }
    } else {
        &state.ca
    };
    // The app's PIN proof, when sent: the server keeps the unlock secret behind it.
    let pin = pin_proof.map(|p| super::pin::new_pin(state, device_id, &p));
    let not_after = (now + state.policy.certificate_validity).min(ca.not_after());
    let issued = ca.issue(&IssueRequest {
        csr,
        holder_name: person.name.as_str(),
        holder_id: &member_id.to_string(),
        not_before: now,
        not_after,
    })?;
    let identity = proof.identity();
    let completed = CompletedEnrolment {
        proof,
        member: choice,
        device: Device {
            id: device_id,
            member_id,
            token_hash: device_secret_hash(secret.as_ref()),
            created_at: now,
            revoked_at: None,
            kind: dojang_core::DeviceKind::App,
        },
        certificate: CertificateRecord {
            serial: issued.serial_hex.clone(),
            member_id,
            device_id,
            der: issued.der.clone(),
            not_before: issued.not_before,
            not_after: issued.not_after,
            revoked_at: None,
            revocation_reason: None,
            proof: identity,
        },
        pin: pin.clone(),
        cloud: None,
        now,
    };
    if !state.store.complete_enrolment(&completed).await? {
        return Ok(None);
    }
    // A real enrolment of a sandbox person makes them real: their sandbox device and
    // certificate were superseded just now, and they stop being a sandbox member.
    if was_sandbox {
        state.store.release_sandbox_member(member_id).await?;
    }
    // The member's earlier devices were superseded: forget them and close their connections.
    state.forget_devices_of(member_id);
    state.push.disconnect_others(member_id, device_id);
    crate::metrics::certificate_issued("app", identity.as_str());
    tracing::info!(device = %device_id, serial = %issued.serial_hex, "certificate issued");
    Ok(Some(EnrolmentCompleted {
        device_id: device_id.to_string(),
        device_token: device_token(device_id, secret.as_ref()),
        certificate: dojang_pki::certificate_pem(&issued.der),
        ca_certificate: ca.certificate_pem(),
        serial: issued.serial_hex,
        not_after: format_rfc3339(issued.not_after),
        unlock_secret: pin.map(|p| STANDARD.encode(&p.unlock_secret)),
    }))
}
