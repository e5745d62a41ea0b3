//! Orchestration: what happens for each call, between core rules, PKI, storage, push and SMS.
//! Handlers in `http` only extract, call one function here, and map the result.

pub mod answer;
pub mod enrolment;
pub mod identity;

use dojang_core::{ReceiptId, Request};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_rfc3339_millis;
use dojang_proto::device::RequestCard;

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

/// The card a device shows for a request.
pub fn card(r: &Request, requester: &str) -> RequestCard {
    RequestCard {
        receipt_id: r.receipt_id.to_string(),
        kind: r.kind.as_str().to_owned(),
        requester: requester.to_owned(),
        client_code: r.client_code.to_string(),
        req_title: r.title.clone(),
        extra_message: r.extra_message.clone(),
        call_center_num: r.call_center_num.clone(),
        token: r.token.clone(),
        request_dt: format_rfc3339_millis(r.requested_at),
        expire_dt: format_rfc3339_millis(r.expire_at),
    }
}
