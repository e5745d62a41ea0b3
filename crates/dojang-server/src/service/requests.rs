//! What relying parties do with requests of every kind: create, status (with long poll),
//! verify once, cancel.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::{
    CoreError, Dialect, NewRequest, ReceiptId, RelyingParty, Request, RequestKind, RequestState,
    ValidationError,
};
use dojang_proto::ErrorCode;
use dojang_proto::device::PushMessage;
use dojang_proto::rp::{
    CancelRequest, Cancelled, CreateRequest, ReceiptResponse, RequestStatus, TokenType,
    VerifyResult,
};
use dojang_store::{CreateGuard, Created, IdempotencyCheck, StoreError};
use rand::RngExt as _;

use crate::http::error::ApiError;
use crate::state::AppState;

/// The longest long poll (`?wait=`), seconds.
pub const MAX_WAIT_SECS: u64 = 30;

/// The `dojang://` URL that opens the app on an app-to-app request.
pub fn scheme_url(r: &Request) -> Option<String> {
    r.options
        .app_use
        .then(|| format!("dojang://request?receiptID={}", r.receipt_id))
}

/// A fresh app-to-app transaction id: 40 lower-case hex digits (160 random bits), never
/// confusable with a 32-digit receipt id.
fn new_tx_id() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_tx_id(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Accept a request, store it and push it to the receiver's devices (or, for app-to-app, hand
/// back the URL that opens the app).
pub async fn create(
    state: &AppState,
    rp: &RelyingParty,
    kind: RequestKind,
    wire: &CreateRequest,
    idempotency: Option<(String, Vec<u8>)>,
    signed: Option<&super::replay::SignedCall>,
) -> Result<ReceiptResponse, ApiError> {
    create_in(state, rp, Dialect::NATIVE, kind, wire, idempotency, signed).await
}

/// [`create`] under the rules of `dialect` (its receipt-id form, its app-to-app rule).
#[tracing::instrument(skip_all, fields(client_code = %rp.client_code, kind = kind.as_str()))]
pub async fn create_in(
    state: &AppState,
    rp: &RelyingParty,
    dialect: Dialect,
    kind: RequestKind,
    wire: &CreateRequest,
    idempotency: Option<(String, Vec<u8>)>,
    signed: Option<&super::replay::SignedCall>,
) -> Result<ReceiptResponse, ApiError> {
    // First, before anything that could refuse it: a call refused today (no such person yet)
    // must not be accepted when sent again later in the window.
    let replay_only = match signed {
        Some(call) => super::replay::seen_before(state, call, idempotency.is_some()).await?,
        None => false,
    };
    let now = state.clock.now();
    let mut new = NewRequest::from_wire_in(dialect, kind, wire, &state.policy, now)?;
    if let Some(id) = &new.options.sub_client_id {
        let name = state
            .store
            .alias_name(&rp.client_code, id)
            .await?
            .ok_or(ErrorCode::SubClientNotFound)?;
        new.options.sub_client_name = Some(name);
    }
    let member = state
        .member_by_phone_birthday(&new.receiver.phone, &new.receiver.birthday)
        .await?
        .ok_or(ErrorCode::ReceiverNotFound)?;
    // A test-console sandbox person exists only for test parties: to every other relying
    // party they answer exactly like nobody (issue 14 #8).
    if state.store.sandbox_owner(member.id).await?.is_some()
        && super::sandbox_allowed(state, &rp.client_code)
            .await
            .is_err()
    {
        return Err(ErrorCode::ReceiverNotFound.into());
    }
    if new.options.verify_name && member.person.name != new.receiver.name {
        return Err(ErrorCode::ReceiverNameMismatch.into());
    }
    if new.call_center_num.is_none() {
        new.call_center_num.clone_from(&rp.call_center_num);
    }
    let app_use = new.options.app_use;
    let form = dialect.receipt_form;
    let mut request = Request::new(
        ReceiptId::generate_in(form, now, &mut rand::rng()),
        rp.client_code.clone(),
        member.id,
        new,
        now,
    );
    if app_use || kind == RequestKind::Login {
        request.tx_id = Some(new_tx_id());
    }
    if !app_use {
        request.binding_code = Some(format!("{:02}", rand::rng().random_range(0..100u8)));
    }
    let guard = CreateGuard {
        // The kind is part of what the key stands for: the same body sent to another kind's
        // path is another request.
        idempotency: idempotency.map(|(key, body_hash)| {
            let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
            ctx.update(kind.as_str().as_bytes());
            ctx.update(b"\n");
            ctx.update(&body_hash);
            IdempotencyCheck {
                key,
                body_hash: ctx.finish().as_ref().to_vec(),
                since: now - state.policy.idempotency_window,
            }
        }),
        per_person: (state.policy.person_requests_per_minute > 0).then(|| {
            (
                state.policy.person_requests_per_minute,
                now - Duration::from_secs(60),
            )
        }),
        replay_only,
    };
    // 86 random bits (46 in the short form, fresh each day) make a receipt collision rare; one
    // retry covers it.
    let created = match state.store.create_request(&request, &guard).await {
        Err(StoreError::Conflict(_)) => {
            request.receipt_id = ReceiptId::generate_in(form, now, &mut rand::rng());
            state.store.create_request(&request, &guard).await?
        }
        other => other?,
    };
    match created {
        Created::Inserted => {}
        Created::Replayed(first) => {
            tracing::info!(receipt = %first.receipt_id, "idempotent repeat answered with the first receipt");
            return Ok(receipt(&first));
        }
        Created::KeyReused => return Err(ErrorCode::IdempotencyKeyReused.into()),
        Created::SignatureReused => return Err(ErrorCode::RequestReplayed.into()),
        Created::InProgress => return Err(ErrorCode::RequestInProgress.into()),
        Created::RateLimited { oldest } => {
            let free_at = oldest + Duration::from_secs(60);
            let secs = (free_at - now).whole_seconds().max(1);
            return Err(ApiError::RateLimited {
                retry_after_secs: u64::try_from(secs).unwrap_or(60),
            });
        }
    }
    let delivered = if app_use {
        0
    } else {
        // Phones without a live connection: Web Push / FCM / APNs, in the background.
        super::push::request_created(state, member.id, &request, &rp.name);
        state.push.publish(
            member.id,
            &PushMessage::Request {
                card: Box::new(super::card(state, &request, &rp.name)),
            },
        )
    };
    crate::metrics::request_created(kind.as_str());
    if !app_use {
        crate::metrics::push_published(delivered);
    }
    tracing::info!(receipt = %request.receipt_id, delivered, "request accepted");
    Ok(receipt(&request))
}

fn receipt(r: &Request) -> ReceiptResponse {
    ReceiptResponse {
        receipt_id: r.receipt_id.to_string(),
        binding_code: r.binding_code.clone(),
        scheme: scheme_url(r),
        tx_id: r.options.app_use.then(|| r.tx_id.clone()).flatten(),
    }
}

/// The native API's and barocert's receipt ids are 32 digits: a 20-digit one (kakaocert 1.x's
/// form) is as invalid there as any other string, although it may name a request.
pub fn refuse_short_receipt(id: &str) -> Result<(), ApiError> {
    match ReceiptId::parse_in(id, dojang_core::ReceiptForm::Short) {
        Ok(_) => Err(ValidationError::ReceiptIdInvalid.into()),
        Err(_) => Ok(()),
    }
}

/// A request of this relying party and kind; any other receipt does not exist for it.
async fn owned(
    state: &AppState,
    rp: &RelyingParty,
    kind: RequestKind,
    receipt_id: &str,
) -> Result<Request, ApiError> {
    let mine = |r: &Request| r.client_code == rp.client_code && r.kind == kind;
    super::visible_request(state, receipt_id, mine, ErrorCode::ReceiptNotFound).await
}

/// The person a request of this relying party is for (read-only: nothing is verified).
pub async fn receiver(
    state: &AppState,
    rp: &RelyingParty,
    kind: RequestKind,
    receipt_id: &str,
) -> Result<Arc<dojang_core::Member>, ApiError> {
    let r = owned(state, rp, kind, receipt_id).await?;
    state
        .member(r.member_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("member of {} is missing", r.receipt_id)))
}

/// The `wait` query parameter: 0–30 whole seconds.
pub fn parse_wait(raw: Option<&str>) -> Result<Duration, ApiError> {
    match raw {
        None => Ok(Duration::ZERO),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|&n| n <= MAX_WAIT_SECS)
            .map(Duration::from_secs)
            .ok_or_else(|| ValidationError::WaitInvalid.into()),
    }
}

/// The state and every field of a request. With `wait`, a waiting request is answered as soon
/// as its state changes (signed, declined, failed, cancelled, expired) or `wait` passes.
pub async fn status(
    state: &AppState,
    rp: &RelyingParty,
    kind: RequestKind,
    receipt_id: &str,
    wait: Duration,
) -> Result<RequestStatus, ApiError> {
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribe before the first read, so a change between the read and the wait is not lost.
    let mut changes = state.changes.subscribe();
    loop {
        let r = owned(state, rp, kind, receipt_id).await?;
        let now = state.clock.now();
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if r.state(now) != RequestState::Waiting || left.is_zero() {
            return Ok(status_of(rp, r, now));
        }
        // Wake on a change here, at expiry, at the deadline, or every second (a change made by
        // another instance is seen within a second).
        let until_expiry = (r.expire_at - now)
            .try_into()
            .unwrap_or(Duration::ZERO)
            .max(Duration::from_millis(1));
        let nap = left.min(until_expiry).min(Duration::from_secs(1));
        let sleep = tokio::time::sleep(nap);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => break,
                () = state.shutdown.cancelled() => return Ok(status_of(rp, r, now)),
                got = changes.recv() => match got {
                    Ok(id) if id == r.receipt_id => break,
                    Ok(_) => {}
                    Err(_) => break,
                },
            }
        }
    }
}

fn status_of(rp: &RelyingParty, r: Request, now: time::OffsetDateTime) -> RequestStatus {
    let state = r.state(now).code();
    let scheme = scheme_url(&r);
    let (sign_title, token_type, token_types) = match r.kind {
        RequestKind::Sign => (
            Some(r.title.clone()),
            r.documents.first().map(|d| d.token_type),
            None,
        ),
        RequestKind::MultiSign => (
            None,
            None,
            Some(r.documents.iter().map(|d| d.token_type).collect()),
        ),
        _ => (None, None::<TokenType>, None),
    };
    let o = r.options;
    let tx_id = o.app_use.then_some(r.tx_id).flatten();
    RequestStatus {
        tx_id,
        receipt_id: r.receipt_id.to_string(),
        kind: r.kind.wire(),
        client_code: r.client_code.to_string(),
        client_name: rp.name.clone(),
        sub_client_code: o.sub_client_id,
        sub_client_name: o.sub_client_name,
        state,
        state_reason: r.reason,
        expire_in: i64::from(r.expire_in),
        call_center_num: r.call_center_num,
        // As sent: the default is what the card shows, not a value the relying party chose.
        call_center_name: o.call_center_name,
        req_title: r.title,
        sign_title,
        token_type,
        token_types,
        extra_message: r.extra_message,
        allow_simple_regist_yn: o.allow_simple_regist,
        verify_name_yn: o.verify_name,
        app_use_yn: o.app_use,
        return_url: o.return_url,
        scheme,
        binding_code: r.binding_code,
        payload: o.payload,
        request_dt: r.requested_at,
        reg_dt: r.requested_at,
        view_dt: r.viewed_at,
        complete_dt: r.completed_at,
        expire_dt: r.expire_at,
        verify_dt: r.verified_at,
    }
}

/// Verify once: the signatures and the verified person. The success path is one statement that
/// checks ownership, kind, state, the window and "not yet verified" together; only a refusal
/// re-reads the request to say why. Login verifies by the app-to-app `txID` (or, for a pushed
/// login, by its receipt id).
#[tracing::instrument(skip_all, fields(client_code = %rp.client_code, kind = kind.as_str()))]
pub async fn verify(
    state: &AppState,
    rp: &RelyingParty,
    kind: RequestKind,
    id: &str,
) -> Result<VerifyResult, ApiError> {
    let receipt_id = if kind == RequestKind::Login && !id.bytes().all(|b| b.is_ascii_digit()) {
        if !is_tx_id(id) {
            return Err(ValidationError::TxIdInvalid.into());
        }
        match state.store.request_by_tx_id(id).await? {
            Some(r) if r.client_code == rp.client_code && r.kind == kind => r.receipt_id,
            _ => return Err(ErrorCode::ReceiptNotFound.into()),
        }
    } else {
        id.parse::<ReceiptId>()?
    };
    let now = state.clock.now();
    let window = state.policy.verify_window;
    let Some(r) = state
        .store
        .mark_verified(&receipt_id, &rp.client_code, kind, now, now - window)
        .await?
    else {
        let r = owned(state, rp, kind, receipt_id.as_str()).await?;
        r.check_verifiable(now, window)?;
        // The rules allowed it a moment ago: someone else verified it first.
        return Err(ErrorCode::AlreadyVerified.into());
    };
    super::changed(state, &r, super::Event::Verified).await;
    tracing::info!(receipt = %r.receipt_id, "verified");
    signed_result(state, rp, r).await
}

/// kakaocert 1.x's result check (GetESignResult, GetCMSResult): a signed request's signatures
/// and person, as often as the relying party asks, never before it is signed. The first such
/// answer within the verify window records the verification (verifyDT), as verify would; the
/// answer never depends on it. The once-only rule belongs to verify (VerifyAuth).
#[tracing::instrument(skip_all, fields(client_code = %rp.client_code, kind = kind.as_str()))]
pub async fn result(
    state: &AppState,
    rp: &RelyingParty,
    kind: RequestKind,
    id: &str,
) -> Result<VerifyResult, ApiError> {
    let r = owned(state, rp, kind, id).await?;
    let now = state.clock.now();
    if r.state(now) != RequestState::Signed {
        return Err(ErrorCode::NotSignedYet.into());
    }
    // Only the first answer may record verifyDT: later ones are reads, not a write each.
    let r = if r.verified_at.is_none() {
        let window = state.policy.verify_window;
        match state
            .store
            .mark_verified(&r.receipt_id, &rp.client_code, kind, now, now - window)
            .await?
        {
            Some(marked) => {
                super::changed(state, &marked, super::Event::Verified).await;
                marked
            }
            None => r,
        }
    } else {
        r
    };
    signed_result(state, rp, r).await
}

/// A signed request's signatures and the person who signed, as verify answers them.
/// A signature made with a sandbox certificate is refused here for every relying party that is
/// not a test party (issue 14 #8), whatever the approval let through: every dialect's verify
/// and result, and the hosted login's exchange, end here.
async fn signed_result(
    state: &AppState,
    rp: &RelyingParty,
    r: Request,
) -> Result<VerifyResult, ApiError> {
    let member = state
        .member(r.member_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("member of {} is missing", r.receipt_id)))?;
    let sandbox_member = state.store.sandbox_owner(r.member_id).await?.is_some();
    let sandbox_signer = match r.signer_serial.as_deref() {
        Some(serial) => state
            .certificate(serial)
            .await?
            .is_some_and(|c| dojang_pki::is_sandbox_certificate(&c.der)),
        None => false,
    };
    if sandbox_member || sandbox_signer {
        super::sandbox_allowed(state, &rp.client_code).await?;
    }
    if r.signed_data.len() != r.documents.len() {
        return Err(ApiError::Internal(format!(
            "signed request {} has {} signatures for {} documents",
            r.receipt_id,
            r.signed_data.len(),
            r.documents.len()
        )));
    }
    let mut encoded: Vec<String> = r.signed_data.iter().map(|d| STANDARD.encode(d)).collect();
    let (signed_data, multi_signed_data, token) = if r.kind == RequestKind::MultiSign {
        (None, Some(encoded), None)
    } else {
        (encoded.pop(), None, Some(r.token().to_owned()))
    };
    Ok(VerifyResult {
        receipt_id: r.receipt_id.to_string(),
        tx_id: if r.kind == RequestKind::Login {
            r.tx_id.clone()
        } else {
            None
        },
        kind: r.kind.wire(),
        state: RequestState::Signed.code(),
        signed_data,
        multi_signed_data,
        token,
        receiver_name: member.person.name.as_str().to_owned(),
        receiver_hp: member.person.phone.as_str().to_owned(),
        receiver_birthday: member.person.birthday.to_compact(),
        ci: member.ci.clone(),
        di: super::di(state, &member.ci, &r.client_code),
        ocsp_response: r.signer_ocsp.as_ref().map(|d| STANDARD.encode(d)),
    })
}

/// The relying party withdraws a waiting request: it ends declined (state 3) with the reason
/// `cancelled` (or `cancelled: <reason>`), and the app withdraws the card.
#[tracing::instrument(skip_all, fields(client_code = %rp.client_code, kind = kind.as_str()))]
pub async fn cancel(
    state: &AppState,
    rp: &RelyingParty,
    kind: RequestKind,
    receipt_id: &str,
    wire: &CancelRequest,
) -> Result<Cancelled, ApiError> {
    let reason = super::reason(wire.reason.as_deref())?;
    let r = owned(state, rp, kind, receipt_id).await?;
    let now = state.clock.now();
    match r.check_answerable(now) {
        Ok(()) => {}
        Err(CoreError::Expired) => return Err(ErrorCode::RequestExpired.into()),
        Err(_) => return Err(ErrorCode::NotCancellable.into()),
    }
    let why = dojang_core::request::state_reason(dojang_core::request::CANCELLED, reason);
    if !state
        .store
        .mark_declined(&r.receipt_id, Some(&why), now)
        .await?
    {
        return Err(ErrorCode::NotCancellable.into());
    }
    super::withdraw(state, &r, super::Event::Cancelled).await;
    tracing::info!(receipt = %r.receipt_id, "cancelled by the relying party");
    Ok(Cancelled {
        receipt_id: r.receipt_id.to_string(),
        state: RequestState::Declined.code(),
        complete_dt: now,
    })
}
