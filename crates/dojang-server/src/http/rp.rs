//! The native relying-party API v1.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_proto::paths;
use dojang_proto::rp::{IdentityRequest, IdentityStatus, IdentityVerifyResult, ReceiptResponse};

use super::error::ApiError;
use super::extract::{NoBody, RpCall};
use crate::service::identity;
use crate::state::AppState;

/// Routes of `/v1/identity`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::IDENTITY, post(create))
        .route(paths::IDENTITY_STATUS, get(status))
        .route(paths::IDENTITY_VERIFY, post(verify))
}

/// A path segment that could not even be decoded counts as an invalid receipt id; it is looked
/// at only after authentication succeeded.
fn receipt(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

async fn create(
    State(s): State<AppState>,
    call: RpCall<IdentityRequest>,
) -> Result<Json<ReceiptResponse>, ApiError> {
    identity::create(&s, &call.rp, &call.body).await.map(Json)
}

async fn status(
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    call: RpCall<NoBody>,
) -> Result<Json<IdentityStatus>, ApiError> {
    identity::status(&s, &call.rp, &receipt(path))
        .await
        .map(Json)
}

async fn verify(
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    call: RpCall<NoBody>,
) -> Result<Json<IdentityVerifyResult>, ApiError> {
    identity::verify(&s, &call.rp, &receipt(path))
        .await
        .map(Json)
}
