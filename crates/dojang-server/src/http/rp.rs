//! The native relying-party API v1: the same four calls for every request kind,
//! under `/v1/{kind}` (`identity`, `sign`, `multi-sign`, `debit-consent`, `login`).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_core::RequestKind;
use dojang_proto::paths;
use dojang_proto::rp::{
    CancelRequest, Cancelled, CreateRequest, Kind, ReceiptResponse, RequestStatus, VerifyResult,
};

use super::error::ApiError;
use super::extract::{NoBody, RpCall};
use crate::service::requests;
use crate::state::AppState;

/// Routes of every kind.
pub fn router() -> Router<AppState> {
    let mut router = Router::new();
    for kind in Kind::ALL {
        let k = RequestKind::from_wire(kind);
        router = router
            .route(
                &paths::create_path(kind),
                post(move |s, call| create(k, s, call)),
            )
            .route(
                &paths::status_template(kind),
                get(move |s, path, query, call| status(k, s, path, query, call)),
            )
            .route(
                &paths::verify_template(kind),
                post(move |s, path, call| verify(k, s, path, call)),
            )
            .route(
                &paths::cancel_template(kind),
                post(move |s, path, call| cancel(k, s, path, call)),
            );
    }
    router
}

/// A path segment that could not even be decoded counts as an invalid receipt id; it is looked
/// at only after authentication succeeded.
fn receipt(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

/// The `wait` parameter of a query string, if present.
fn wait_param(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("wait="))
}

async fn create(
    kind: RequestKind,
    State(s): State<AppState>,
    call: RpCall<CreateRequest>,
) -> Result<Json<ReceiptResponse>, ApiError> {
    requests::create(&s, &call.rp, kind, &call.body, call.idempotency)
        .await
        .map(Json)
}

async fn status(
    kind: RequestKind,
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    call: RpCall<NoBody>,
) -> Result<Json<RequestStatus>, ApiError> {
    let wait = requests::parse_wait(wait_param(query.as_deref()))?;
    requests::status(&s, &call.rp, kind, &receipt(path), wait)
        .await
        .map(Json)
}

async fn verify(
    kind: RequestKind,
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    call: RpCall<NoBody>,
) -> Result<Json<VerifyResult>, ApiError> {
    requests::verify(&s, &call.rp, kind, &receipt(path))
        .await
        .map(Json)
}

async fn cancel(
    kind: RequestKind,
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    call: RpCall<CancelRequest>,
) -> Result<Json<Cancelled>, ApiError> {
    requests::cancel(&s, &call.rp, kind, &receipt(path), &call.body)
        .await
        .map(Json)
}
