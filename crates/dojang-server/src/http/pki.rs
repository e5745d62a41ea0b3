//! Public PKI material and the health check.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use dojang_proto::{ErrorCode, paths};

use super::error::ApiError;
use crate::state::AppState;

/// `/pki/ca.pem`, `/pki/ca.crt`, `/healthz`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::PKI_CA_PEM, get(ca_pem))
        .route(paths::PKI_CA_DER, get(ca_der))
        .route(paths::HEALTH, get(health))
}

async fn ca_pem(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        s.ca.certificate_pem(),
    )
}

async fn ca_der(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/pkix-cert")],
        s.ca.certificate_der().to_vec(),
    )
}

async fn health(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    s.store.ping().await.map_err(|e| {
        tracing::error!(error = %e, "health check: database unreachable");
        ApiError::Code(ErrorCode::Unavailable)
    })?;
    Ok(Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "pushConnections": s.push.connections(),
    })))
}
