//! What a device does with requests: list the waiting ones, mark one viewed, approve it with a
//! signature, or decline it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::{Device, IdentityProof, Request, RequestKind, RequestState, ValidationError};
use dojang_proto::ErrorCode;
use dojang_proto::device::{Answered, Approve, Decline, PendingRequests};
use time::OffsetDateTime;

use super::Event;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Requests waiting for the device's holder, oldest first.
pub async fn pending(state: &AppState, device: &Device) -> Result<PendingRequests, ApiError> {
    let now = state.clock.now();
    let waiting = state.store.waiting_requests(device.member_id, now).await?;
    Ok(PendingRequests {
        requests: waiting
            .iter()
            .map(|w| super::card(state, &w.request, &w.requester))
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
/// log it, and answer the device (app-to-app: with where to return).
async fn answered(state: &AppState, r: &Request, event: Event) -> Answered {
    super::withdraw(state, r, event).await;
    let new = event.state();
    tracing::info!(receipt = %r.receipt_id, state = new.code(), "request answered");
    let return_url = r
        .options
        .return_url
        .as_ref()
        .map(|url| match (&r.tx_id, new) {
            (Some(tx), RequestState::Signed) => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}txID={tx}")
            }
            _ => url.clone(),
        });
    Answered {
        receipt_id: r.receipt_id.to_string(),
        state: new.code(),
        return_url: if r.options.app_use { return_url } else { None },
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
        return_url: None,
    })
}

/// Decode the submitted signatures: `signedData` for one document, `multiSignedData` with one
/// entry per document for multi-sign.
fn submitted(r: &Request, wire: &Approve) -> Result<Vec<Vec<u8>>, ApiError> {
    let decode = |s: &str| STANDARD.decode(s.trim()).ok().filter(|d| !d.is_empty());
    if r.kind == RequestKind::MultiSign {
        let all = wire
            .multi_signed_data
            .as_deref()
            .ok_or(ValidationError::MultiSignedDataInvalid)?;
        if all.len() != r.documents.len() {
            return Err(ValidationError::MultiSignedDataInvalid.into());
        }
        all.iter()
            .map(|s| decode(s).ok_or_else(|| ValidationError::MultiSignedDataInvalid.into()))
            .collect()
    } else {
        let one = wire
            .signed_data
            .as_deref()
            .and_then(decode)
            .ok_or(ValidationError::SignedDataMissing)?;
        Ok(vec![one])
    }
}

/// Approve with a CMS SignedData over each document's token, after the person picked the
/// binding code. A wrong pick declines the request (state 3); a signature that does not verify,
/// or one made with a certificate other than the receiver's on this device, fails it (state 4).
/// A good signature by a certificate whose proof of identity is below the request's bar
/// (`allowSimpleRegistYN = false`, `isVerifyNameYN = true`) is refused and the request keeps
/// waiting: the person may re-issue their certificate with a stronger proof and approve again.
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
    if let Some(code) = r.binding_code.as_deref() {
        let picked = wire
            .binding_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(ValidationError::BindingCodeMissing)?;
        if picked != code {
            if state
                .store
                .mark_declined(&r.receipt_id, Some("binding code mismatch"), now)
                .await?
            {
                super::withdraw(state, &r, Event::Declined).await;
                tracing::warn!(receipt = %r.receipt_id, "wrong binding code picked; request declined");
            }
            return Err(ErrorCode::BindingCodeMismatch.into());
        }
    }
    let cms = submitted(&r, wire)?;
    // Whose CA vouches for the receiver: a sandbox person's signature is checked against the
    // sandbox CA alone, and only for a test party; anyone else's against dojang's CA alone.
    let checked = match super::issuer_of(state, r.member_id).await {
        Ok(issuer) if issuer.sandbox => match super::sandbox_allowed(state, &r.client_code).await {
            Ok(()) => Ok(issuer),
            Err(e) => Err(e),
        },
        other => other,
    };
    let checked = match checked {
        Ok(issuer) => check_signatures(state, issuer.verifier, device, &r, &cms, now)
            .await
            .map(|signer| (signer, issuer)),
        Err(e) => Err(e),
    };
    let ((serial, certificate, proof), issuer) = match checked {
        Ok(signer) => signer,
        Err(e) => {
            let code = e.code();
            if code != ErrorCode::Internal && code != ErrorCode::Unavailable {
                let reason = format!("{} ({})", code.name(), code.code());
                if state.store.mark_failed(&r.receipt_id, &reason, now).await? {
                    super::withdraw(state, &r, Event::Failed).await;
                    tracing::warn!(receipt = %r.receipt_id, code = code.code(), "signature refused; request failed");
                }
            }
            return Err(e);
        }
    };
    check_proof(&r, proof)?;
    // The evidence a relying party can keep: the CA's word that this certificate was good
    // when it signed (as BankID returns its OCSP response with every signature).
    let ocsp = issuer
        .ca
        .ocsp_response_for(
            &certificate,
            dojang_pki::CertState::Good,
            now,
            now + super::revocation::OCSP_VALIDITY,
        )
        .map_err(|e| ApiError::Internal(format!("OCSP evidence: {e}")))?;
    if !state
        .store
        .mark_signed(&r.receipt_id, &cms, &serial, &ocsp, now)
        .await?
    {
        return Err(why_not(state, device, receipt_id).await);
    }
    Ok(answered(state, &r, Event::Signed).await)
}

/// The request's bar for how the signer proved who they are: `allowSimpleRegistYN = false`
/// needs more than a phone check, `isVerifyNameYN = true` a verified real name. Checked on the
/// server at approval, whenever the certificate was issued (before or after the request).
pub(crate) fn check_proof(r: &Request, proof: IdentityProof) -> Result<(), ApiError> {
    if r.options.require_beyond_phone && !proof.beyond_phone() {
        return Err(ErrorCode::CertificateProofTooWeak.into());
    }
    if r.options.require_verified_name && !proof.name_verified() {
        return Err(ErrorCode::NameNotVerified.into());
    }
    Ok(())
}

/// Each CMS is valid, over its document's token, by the receiver's active certificate held on
/// this device (the same one for every document), signed during the request's lifetime.
/// Returns the signer's serial, certificate (DER) and proof of identity.
async fn check_signatures(
    state: &AppState,
    verifier: &dojang_pki::Verifier,
    device: &Device,
    r: &Request,
    cms: &[Vec<u8>],
    now: OffsetDateTime,
) -> Result<(String, Vec<u8>, IdentityProof), ApiError> {
    let mut signer: Option<(String, Vec<u8>, IdentityProof)> = None;
    for (one, doc) in cms.iter().zip(&r.documents) {
        let this =
            check_signature(state, verifier, device, r, one, doc.token.as_bytes(), now).await?;
        match &signer {
            Some((s, _, _)) if *s != this.0 => return Err(ErrorCode::SignerNotReceiver.into()),
            _ => signer = Some(this),
        }
    }
    signer.ok_or_else(|| ApiError::Internal(format!("{} has no documents", r.receipt_id)))
}

/// One CMS over `content`. Returns the signer's serial, certificate and proof of identity.
async fn check_signature(
    state: &AppState,
    verifier: &dojang_pki::Verifier,
    device: &Device,
    r: &Request,
    cms: &[u8],
    content: &[u8],
    now: OffsetDateTime,
) -> Result<(String, Vec<u8>, IdentityProof), ApiError> {
    let v = verifier.verify_attached(cms, now)?;
    if v.content != content {
        return Err(ErrorCode::ContentMismatch.into());
    }
    r.check_signing_time(v.signing_time, now, state.policy.signing_time_skew)?;
    // Read fresh, not from the short-lived cache: a revocation (by any instance or by the
    // operator's command) must stop the next signature, not one a few seconds later.
    let cert = state.store.certificate(&v.signer_serial_hex).await?;
    match cert {
        Some(c)
            if c.member_id == r.member_id
                && c.device_id == device.id
                && c.is_active(now)
                && c.der == v.signer_certificate_der =>
        {
            Ok((v.signer_serial_hex, v.signer_certificate_der, c.proof))
        }
        // The holder's own certificate, revoked: say so (the app tells the person to re-issue).
        Some(c)
            if c.member_id == r.member_id
                && c.der == v.signer_certificate_der
                && c.revoked_at.is_some() =>
        {
            Err(ErrorCode::SignerCertificateRevoked.into())
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
    let reason = super::reason(wire.reason.as_deref())?;
    let why = dojang_core::request::state_reason(dojang_core::request::DECLINED, reason);
    let r = addressed(state, device, receipt_id).await?;
    let now = state.clock.now();
    r.check_answerable(now)?;
    if !state
        .store
        .mark_declined(&r.receipt_id, Some(&why), now)
        .await?
    {
        return Err(why_not(state, device, receipt_id).await);
    }
    Ok(answered(state, &r, Event::Declined).await)
}
