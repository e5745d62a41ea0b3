//! What a device does with requests: list the waiting ones, mark one viewed, approve it with a
//! signature, or decline it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::settings::REASON_MAX_CHARS;
use dojang_core::{Device, Request, RequestState, ValidationError};
use dojang_proto::ErrorCode;
use dojang_proto::device::{Answered, Approve, Decline, PendingRequests, PushMessage};
use time::OffsetDateTime;

use crate::http::error::ApiError;
use crate::state::AppState;

/// Requests waiting for the device's holder, oldest first.
pub async fn pending(state: &AppState, device: &Device) -> Result<PendingRequests, ApiError> {
    let now = state.clock.now();
    let waiting = state.store.waiting_requests(device.member_id, now).await?;
    Ok(PendingRequests {
        requests: waiting
            .iter()
            .map(|w| super::card(&w.request, &w.requester))
            .collect(),
    })
}

/// A request addressed to this device's holder.
async fn addressed(
    state: &AppState,
    device: &Device,
    receipt_id: &str,
) -> Result<Request, ApiError> {
    let holders = |r: &Request| r.member_id == device.member_id;
    super::visible_request(state, receipt_id, holders, ErrorCode::DeviceRequestNotFound).await
}

/// After a conditional update lost a race: the current state, as an error.
async fn why_not(state: &AppState, device: &Device, receipt_id: &str) -> ApiError {
    match addressed(state, device, receipt_id).await {
        Ok(r) => match r.check_answerable(state.clock.now()) {
            Err(e) => e.into(),
            Ok(()) => ApiError::Code(ErrorCode::RequestNotWaiting),
        },
        Err(e) => e,
    }
}

/// A request reached its final state: withdraw its card from the holder's other connections,
/// log it, and answer the device.
fn answered(state: &AppState, device: &Device, r: &Request, new: RequestState) -> Answered {
    let receipt_id = r.receipt_id.to_string();
    state.push.publish(
        device.member_id,
        &PushMessage::Withdrawn {
            receipt_id: receipt_id.clone(),
            state: new.code(),
        },
    );
    tracing::info!(receipt = %r.receipt_id, state = new.code(), "request answered");
    Answered {
        receipt_id,
        state: new.code(),
    }
}

/// The app showed the request to the person.
pub async fn view(
    state: &AppState,
    device: &Device,
    receipt_id: &str,
) -> Result<Answered, ApiError> {
    let r = addressed(state, device, receipt_id).await?;
    let now = state.clock.now();
    r.check_answerable(now)?;
    // Already viewed is fine: viewDT keeps the first time.
    state.store.mark_viewed(&r.receipt_id, now).await?;
    Ok(Answered {
        receipt_id: r.receipt_id.to_string(),
        state: RequestState::Waiting.code(),
    })
}

/// Approve with a CMS SignedData over the token. A signature that does not verify, or one made
/// with a certificate other than the receiver's on this device, fails the request (state 4).
#[tracing::instrument(skip_all, fields(device = %device.id))]
pub async fn approve(
    state: &AppState,
    device: &Device,
    receipt_id: &str,
    wire: &Approve,
) -> Result<Answered, ApiError> {
    let r = addressed(state, device, receipt_id).await?;
    let now = state.clock.now();
    r.check_answerable(now)?;
    let cms = wire
        .signed_data
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| STANDARD.decode(s.trim()).ok())
        .ok_or(ValidationError::SignedDataMissing)?;
    let serial = match check_signature(state, device, &r, &cms, now).await {
        Ok(serial) => serial,
        Err(e) => {
            let code = e.code();
            if code != ErrorCode::Internal && code != ErrorCode::Unavailable {
                let reason = format!("{} ({})", code.name(), code.code());
                if state.store.mark_failed(&r.receipt_id, &reason, now).await? {
                    tracing::warn!(receipt = %r.receipt_id, code = code.code(), "signature refused; request failed");
                }
            }
            return Err(e);
        }
    };
    if !state
        .store
        .mark_signed(&r.receipt_id, &cms, &serial, now)
        .await?
    {
        return Err(why_not(state, device, receipt_id).await);
    }
    Ok(answered(state, device, &r, RequestState::Signed))
}

/// The CMS is valid, over this request's token, by the receiver's active certificate held on
/// this device, signed during the request's lifetime. Returns the signer's serial.
async fn check_signature(
    state: &AppState,
    device: &Device,
    r: &Request,
    cms: &[u8],
    now: OffsetDateTime,
) -> Result<String, ApiError> {
    let v = state.verifier.verify_attached(cms, now)?;
    if v.content != r.token.as_bytes() {
        return Err(ErrorCode::ContentMismatch.into());
    }
    r.check_signing_time(v.signing_time, now, state.policy.signing_time_skew)?;
    let cert = state.certificate(&v.signer_serial_hex).await?;
    match cert {
        Some(c)
            if c.member_id == r.member_id
                && c.device_id == device.id
                && c.is_active(now)
                && c.der == v.signer_certificate_der =>
        {
            Ok(v.signer_serial_hex)
        }
        _ => Err(ErrorCode::SignerNotReceiver.into()),
    }
}

/// Decline, with an optional reason.
pub async fn decline(
    state: &AppState,
    device: &Device,
    receipt_id: &str,
    wire: &Decline,
) -> Result<Answered, ApiError> {
    let reason = wire
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if reason.is_some_and(|s| s.chars().count() > REASON_MAX_CHARS) {
        return Err(ValidationError::ReasonTooLong.into());
    }
    let r = addressed(state, device, receipt_id).await?;
    let now = state.clock.now();
    r.check_answerable(now)?;
    if !state
        .store
        .mark_declined(&r.receipt_id, reason, now)
        .await?
    {
        return Err(why_not(state, device, receipt_id).await);
    }
    Ok(answered(state, device, &r, RequestState::Declined))
}
