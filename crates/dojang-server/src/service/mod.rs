//! Orchestration: what happens for each call, between core rules, PKI, storage, push, SMS and
//! the bank gateway.
//! Handlers in `http` only extract, call one function here, and map the result.

pub mod admin;
pub mod answer;
pub mod bank;
pub mod biometric;
pub mod certificate;
pub mod cloud;
pub mod enrolment;
pub mod login_page;
pub mod operators;
pub mod pin;
pub mod push;
pub mod registration;
pub mod replay;
pub mod requests;
pub mod revocation;
pub mod throttle;

use dojang_core::settings::REASON_MAX_CHARS;
use dojang_core::{ClientCode, ReceiptId, Request, RequestState, ValidationError};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_rfc3339_millis;
use dojang_proto::device::{CardDocument, PushMessage, RequestCard};

use dojang_store::DataKeys;

use crate::http::error::ApiError;
use crate::state::AppState;

/// The CA that issues a member's certificates and the verifier their signatures are checked
/// with (issue 14 #8).
pub(crate) struct Issuer<'a> {
    /// The CA.
    pub ca: &'a dojang_pki::CertificateAuthority,
    /// CMS verification against it alone.
    pub verifier: &'a dojang_pki::Verifier,
    /// Whether it is the test console's sandbox CA.
    pub sandbox: bool,
}

/// The issuer of `member`'s certificates: the sandbox CA for a test-console sandbox person,
/// dojang's CA for everyone else. A sandbox person while the sandbox is off has none: their
/// certificates are refused everywhere ([`ErrorCode::SandboxCertificate`]).
pub(crate) async fn issuer_of(
    state: &AppState,
    member: dojang_core::MemberId,
) -> Result<Issuer<'_>, ApiError> {
    if state.store.sandbox_owner(member).await?.is_none() {
        return Ok(Issuer {
            ca: &state.ca,
            verifier: &state.verifier,
            sandbox: false,
        });
    }
    match &state.sandbox_ca {
        Some((ca, verifier)) => Ok(Issuer {
            ca,
            verifier,
            sandbox: true,
        }),
        None => Err(ErrorCode::SandboxCertificate.into()),
    }
}

/// Inside the sandbox: a sandbox person's signature counts only for a relying party marked as
/// a test party (`dojang admin rp sandbox`); for every other party it is refused.
pub(crate) async fn sandbox_allowed(state: &AppState, rp: &ClientCode) -> Result<(), ApiError> {
    if state.sandbox_ca.is_some() && state.store.is_sandbox_party(rp).await? {
        Ok(())
    } else {
        Err(ErrorCode::SandboxCertificate.into())
    }
}

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

/// The three codes the app offers: the right one and two decoys, in ascending order.
///
/// The decoys are drawn uniformly from the 99 other codes by a keyed hash (the server's lookup
/// key) of the receipt and the code, so they are stable across the person's devices and reloads
/// but cannot be recomputed on the device: without the key, no candidate can be checked against
/// the other two, and since the three are a uniform draw shown sorted, neither their values nor
/// their places say which one is right (issue 14, finding 4).
pub fn binding_choices(keys: &DataKeys, r: &Request) -> Vec<String> {
    let Some(code) = r.binding_code.as_deref() else {
        return Vec::new();
    };
    let receipt = r.receipt_id.to_string();
    let mut choices = vec![code.to_owned()];
    // 32 bytes a round, of which 200 of 256 values are used (no modulo bias): one round
    // practically always suffices; more rounds only for the unlucky.
    for round in 0u8..16 {
        let seed = keys.lookup(
            "binding_choices",
            &[receipt.as_str(), code, &round.to_string()],
        );
        for b in seed.iter().filter(|b| **b < 200) {
            if choices.len() == 3 {
                break;
            }
            let c = format!("{:02}", b % 100);
            if !choices.contains(&c) {
                choices.push(c);
            }
        }
        if choices.len() == 3 {
            break;
        }
    }
    choices.sort();
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
        binding_choices: binding_choices(&state.keys, r),
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
    crate::metrics::request_event(r.kind.as_str(), event.as_str());
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
        let keys = DataKeys::from_master(&[7u8; 32]).unwrap();
        let other_keys = DataKeys::from_master(&[8u8; 32]).unwrap();
        let mut same_under_another_key = 0;
        for i in 0..200 {
            let mut r = Request::new(
                ReceiptId::generate(now, &mut rand::rng()),
                client.clone(),
                MemberId::generate(now, &mut rand::rng()),
                new.clone(),
                now,
            );
            r.binding_code = Some(format!("{:02}", i % 100));
            let c = binding_choices(&keys, &r);
            assert_eq!(c.len(), 3);
            assert!(c.contains(r.binding_code.as_ref().unwrap()));
            let mut d = c.clone();
            d.dedup();
            d.sort();
            d.dedup();
            assert_eq!(d.len(), 3, "{c:?}");
            assert_eq!(binding_choices(&keys, &r), c, "stable");
            if binding_choices(&other_keys, &r) == c {
                same_under_another_key += 1;
            }
        }
        // The decoys depend on the server's key: another key gives other decoys (two equal
        // pairs among 200 would already be unlikely: 1 in 4851 each).
        assert!(same_under_another_key <= 2, "{same_under_another_key}");
    }

    /// Over many requests, the right code is in each place a third of the time and the decoys
    /// are spread over all 100 codes: neither place nor value gives the right one away.
    #[test]
    fn binding_choices_give_nothing_away() {
        let now = time::OffsetDateTime::now_utc();
        let wire = IdentityRequest::new("홍길동", "01012345678", "19900101", "t", "x", 60);
        let new = NewRequest::identity(&wire, &Policy::default(), now).unwrap();
        let client: ClientCode = "000000000001".parse().unwrap();
        let keys = DataKeys::from_master(&[9u8; 32]).unwrap();
        let mut place = [0u32; 3];
        let mut decoy_high = 0u32; // decoys in 56..=99, which `byte % 100` used to under-draw
        let n = 6000u32;
        for i in 0..n {
            let mut r = Request::new(
                ReceiptId::generate(now, &mut rand::rng()),
                client.clone(),
                MemberId::generate(now, &mut rand::rng()),
                new.clone(),
                now,
            );
            let code = format!("{:02}", i % 100);
            r.binding_code = Some(code.clone());
            let c = binding_choices(&keys, &r);
            let at = c.iter().position(|x| *x == code).unwrap();
            place[at] += 1;
            decoy_high += u32::try_from(
                c.iter()
                    .filter(|x| **x != code && x.as_str() >= "56")
                    .count(),
            )
            .unwrap();
        }
        // The place of the right code among three sorted uniform draws is uniform only if the
        // decoys are uniform; 2000 expected in each, several standard deviations allowed.
        for p in place {
            assert!((1800..=2200).contains(&p), "{place:?}");
        }
        // 44% of the decoys should lie in 56..=99 (12000 decoys: about 5280).
        assert!((5000..=5560).contains(&decoy_high), "{decoy_high}");
    }
}
