//! Identity verification (본인인증) for relying parties: create, status, verify.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::{NewRequest, ReceiptId, RelyingParty, Request, RequestState};
use dojang_proto::ErrorCode;
use dojang_proto::device::PushMessage;
use dojang_proto::rp::{IdentityRequest, IdentityStatus, IdentityVerifyResult, ReceiptResponse};
use dojang_store::StoreError;

use crate::http::error::ApiError;
use crate::state::AppState;

/// Accept a request, store it and push it to the receiver's devices.
#[tracing::instrument(skip_all, fields(client_code = %rp.client_code))]
pub async fn create(
    state: &AppState,
    rp: &RelyingParty,
    wire: &IdentityRequest,
) -> Result<ReceiptResponse, ApiError> {
    let now = state.clock.now();
    let mut new = NewRequest::identity(wire, &state.policy, now)?;
    let member = state
        .member_by_phone_birthday(&new.receiver.phone, &new.receiver.birthday)
        .await?
        .ok_or(ErrorCode::ReceiverNotFound)?;
    if member.person.name != new.receiver.name {
        return Err(ErrorCode::ReceiverNameMismatch.into());
    }
    if new.call_center_num.is_none() {
        new.call_center_num.clone_from(&rp.call_center_num);
    }
    let mut request = Request::new(
        ReceiptId::generate(now, &mut rand::rng()),
        rp.client_code.clone(),
        member.id,
        new,
        now,
    );
    // 86 random bits make a collision practically impossible; one retry covers it anyway.
    match state.store.insert_request(&request).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            request.receipt_id = ReceiptId::generate(now, &mut rand::rng());
            state.store.insert_request(&request).await?;
        }
        Err(e) => return Err(e.into()),
    }
    let delivered = state.push.publish(
        member.id,
        &PushMessage::Request {
            card: Box::new(super::card(&request, &rp.name)),
        },
    );
    tracing::info!(receipt = %request.receipt_id, delivered, "identity request accepted");
    Ok(ReceiptResponse {
        receipt_id: request.receipt_id.to_string(),
    })
}

/// A request of this relying party; another party's receipts do not exist for it.
async fn owned(state: &AppState, rp: &RelyingParty, receipt_id: &str) -> Result<Request, ApiError> {
    let mine = |r: &Request| r.client_code == rp.client_code;
    super::visible_request(state, receipt_id, mine, ErrorCode::ReceiptNotFound).await
}

/// The state and times of a request.
pub async fn status(
    state: &AppState,
    rp: &RelyingParty,
    receipt_id: &str,
) -> Result<IdentityStatus, ApiError> {
    let r = owned(state, rp, receipt_id).await?;
    let now = state.clock.now();
    Ok(IdentityStatus {
        receipt_id: r.receipt_id.to_string(),
        client_code: r.client_code.to_string(),
        state: r.state(now).code(),
        expire_in: i64::from(r.expire_in),
        req_title: r.title,
        request_dt: r.requested_at,
        view_dt: r.viewed_at,
        complete_dt: r.completed_at,
        expire_dt: r.expire_at,
        verify_dt: r.verified_at,
    })
}

/// Verify once: the signature and the verified person. The success path is one statement that
/// checks ownership, state, the window and "not yet verified" together; only a refusal re-reads
/// the request to say why.
#[tracing::instrument(skip_all, fields(client_code = %rp.client_code))]
pub async fn verify(
    state: &AppState,
    rp: &RelyingParty,
    receipt_id: &str,
) -> Result<IdentityVerifyResult, ApiError> {
    let id: ReceiptId = receipt_id.parse()?;
    let now = state.clock.now();
    let window = state.policy.verify_window;
    let Some(r) = state
        .store
        .mark_verified(&id, &rp.client_code, now, now - window)
        .await?
    else {
        let r = owned(state, rp, receipt_id).await?;
        r.check_verifiable(now, window)?;
        // The rules allowed it a moment ago: someone else verified it first.
        return Err(ErrorCode::AlreadyVerified.into());
    };
    let member = state
        .member(r.member_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("member of {} is missing", r.receipt_id)))?;
    let signed = r.signed_data.as_deref().ok_or_else(|| {
        ApiError::Internal(format!("signed request {} has no signature", r.receipt_id))
    })?;
    tracing::info!(receipt = %r.receipt_id, "identity verified");
    Ok(IdentityVerifyResult {
        receipt_id: r.receipt_id.to_string(),
        state: RequestState::Signed.code(),
        signed_data: STANDARD.encode(signed),
        token: r.token,
        receiver_name: member.person.name.as_str().to_owned(),
        receiver_hp: member.person.phone.as_str().to_owned(),
        receiver_birthday: member.person.birthday.to_compact(),
        ci: member.ci.clone(),
    })
}
