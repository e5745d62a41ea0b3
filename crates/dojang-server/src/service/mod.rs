//! Orchestration: what happens for each call, between core rules, PKI, storage, push, SMS and
//! the bank gateway.
//! Handlers in `http` only extract, call one function here, and map the result.

pub mod admin;
pub mod answer;
pub mod bank;
pub mod certificate;
pub mod enrolment;
pub mod login_page;
pub mod pin;
pub mod registration;
pub mod requests;
pub mod revocation;

use dojang_core::settings::REASON_MAX_CHARS;
use dojang_core::{ClientCode, ReceiptId, Request, RequestState, ValidationError};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_rfc3339_millis;
use dojang_proto::device::{CardDocument, PushMessage, RequestCard};

use crate::http::error::ApiError;
use crate::state::AppState;

/// The request with this receipt, if `visible` says the caller may see it. A request the caller
/// may not see answers `missing`, exactly like one that does not exist, so receipts cannot be
/// probed.
pub async fn visible_request(
    state: &AppState,
    receipt_id: &str,
    visible: impl FnOnce(&Request) -> bool,
    missing: ErrorCode,
) -> Result<Request, ApiError> {
    let id: ReceiptId = receipt_id.parse()?;
    match state.store.request(&id).await? {
        Some(r) if visible(&r) => Ok(r),
        _ => Err(missing.into()),
    }
}

/// The call-centre name shown when the request names none.
pub fn default_call_center_name(party: &str) -> String {
    format!("{party} 고객센터")
}

/// An optional reason (decline, cancel): trimmed, at most 200 characters.
pub fn reason(v: Option<&str>) -> Result<Option<&str>, ApiError> {
    let reason = v.map(str::trim).filter(|s| !s.is_empty());
    if reason.is_some_and(|s| s.chars().count() > REASON_MAX_CHARS) {
        return Err(ValidationError::ReasonTooLong.into());
    }
    Ok(reason)
}

/// The person's identifier for one relying party (DI): 64 hex digits of a keyed hash of the CI
/// and the client code, so two relying parties cannot join their users on it.
pub fn di(state: &AppState, ci: &str, client_code: &ClientCode) -> String {
    state
        .keys
        .lookup("di", &[ci, client_code.as_str()])
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The three codes the app offers: the right one and two others, in an order that depends on
/// the receipt (stable across the person's devices and reloads, unknown to anyone without the
/// right code).
pub fn binding_choices(r: &Request) -> Vec<String> {
    let Some(code) = r.binding_code.as_deref() else {
        return Vec::new();
    };
    let seed = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{}:{code}", r.receipt_id).as_bytes(),
    );
    let mut choices = vec![code.to_owned()];
    for b in seed.as_ref() {
        if choices.len() == 3 {
            break;
        }
        let c = format!("{:02}", b % 100);
        if !choices.contains(&c) {
            choices.push(c);
        }
    }
    let last = choices.len().saturating_sub(1);
    let at = usize::from(seed.as_ref().last().copied().unwrap_or(0) % 3).min(last);
    choices.swap(0, at);
    choices
}

/// The card a device shows for a request. The requester is the alias the request named, or
/// the relying party's name.
pub fn card(state: &AppState, r: &Request, party: &str) -> RequestCard {
    let requester = r
        .options
        .sub_client_name
        .clone()
        .unwrap_or_else(|| party.to_owned());
    RequestCard {
        receipt_id: r.receipt_id.to_string(),
        kind: r.kind.as_str().to_owned(),
        requester,
        client_code: r.client_code.to_string(),
        req_title: r.title.clone(),
        extra_message: r.extra_message.clone(),
        call_center_num: r.call_center_num.clone(),
        call_center_name: Some(
            r.options
                .call_center_name
                .clone()
                .unwrap_or_else(|| default_call_center_name(party)),
        ),
        token: r.token().to_owned(),
        documents: r
            .documents
            .iter()
            .map(|d| CardDocument {
                title: d.title.clone(),
                token_type: d.token_type,
                token: d.token.clone(),
            })
            .collect(),
        binding_choices: binding_choices(r),
        binding_code: if state.policy.dev_reveal_binding_code {
            r.binding_code.clone()
        } else {
            None
        },
        app_use: r.options.app_use,
        tx_id: r.options.app_use.then(|| r.tx_id.clone()).flatten(),
        allow_simple_regist: r.options.allow_simple_regist,
        requires_beyond_phone: r.options.require_beyond_phone,
        requires_verified_name: r.options.require_verified_name,
        request_dt: format_rfc3339_millis(r.requested_at),
        expire_dt: format_rfc3339_millis(r.expire_at),
    }
}

/// What just happened to a request (the event of webhooks and the reason long polls wake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The person signed (state 1).
    Signed,
    /// The person declined or picked a wrong binding code (state 3).
    Declined,
    /// The relying party cancelled (state 3).
    Cancelled,
    /// A submitted signature was refused (state 4).
    Failed,
    /// Nobody answered in time (state 2).
    Expired,
    /// The relying party verified (state stays 1).
    Verified,
}

impl Event {
    /// The name on the wire: `signed`, `declined`, `cancelled`, `failed`, `expired`, `verified`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Signed => "signed",
            Event::Declined => "declined",
            Event::Cancelled => "cancelled",
            Event::Failed => "failed",
            Event::Expired => "expired",
            Event::Verified => "verified",
        }
    }

    /// The state the request is in after the event.
    pub fn state(self) -> RequestState {
        match self {
            Event::Signed | Event::Verified => RequestState::Signed,
            Event::Declined | Event::Cancelled => RequestState::Declined,
            Event::Failed => RequestState::Failed,
            Event::Expired => RequestState::Expired,
        }
    }
}

/// A request's state changed in this process: wake long polls waiting on it and queue the
/// event for the relying party's webhook.
pub async fn changed(state: &AppState, r: &Request, event: Event) {
    tracing::debug!(receipt = %r.receipt_id, event = event.as_str(), "request changed");
    // No receiver is fine: nobody is waiting.
    let _ = state.changes.send(r.receipt_id.clone());
    crate::webhook::notify(state, r, event).await;
}

/// A request reached a final state: withdraw its card from every device of the holder, and
/// announce the change.
pub async fn withdraw(state: &AppState, r: &Request, event: Event) {
    state.push.publish(
        r.member_id,
        &PushMessage::Withdrawn {
            receipt_id: r.receipt_id.to_string(),
            state: event.state().code(),
        },
    );
    changed(state, r, event).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_core::{ClientCode, MemberId, NewRequest, Policy};
    use dojang_proto::rp::IdentityRequest;

    #[test]
    fn binding_choices_hold_the_code_and_two_others() {
        let now = time::OffsetDateTime::now_utc();
        let wire = IdentityRequest::new("홍길동", "01012345678", "19900101", "t", "x", 60);
        let new = NewRequest::identity(&wire, &Policy::default(), now).unwrap();
        let client: ClientCode = "000000000001".parse().unwrap();
        for i in 0..200 {
            let mut r = Request::new(
                ReceiptId::generate(now, &mut rand::rng()),
                client.clone(),
                MemberId::generate(now, &mut rand::rng()),
                new.clone(),
                now,
            );
            r.binding_code = Some(format!("{:02}", i % 100));
            let c = binding_choices(&r);
            assert_eq!(c.len(), 3);
            assert!(c.contains(r.binding_code.as_ref().unwrap()));
            let mut d = c.clone();
            d.dedup();
            d.sort();
            d.dedup();
            assert_eq!(d.len(), 3, "{c:?}");
            assert_eq!(binding_choices(&r), c, "stable");
        }
    }
}
