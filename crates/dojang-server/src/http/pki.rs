//! Public PKI material — the CA certificate, the CRL, the OCSP responder — and the health
//! check. No authentication: relying parties and their tools (openssl, certificate
//! validators) fetch these from the URLs written in every certificate.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_pki::MAX_OCSP_REQUEST_LEN;
use dojang_proto::{ErrorCode, paths};

use super::error::ApiError;
use crate::service::revocation;
use crate::state::AppState;

/// `/pki/ca.pem`, `/pki/ca.crt`, `/pki/crl`, `/pki/ocsp`, `/healthz`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::PKI_CA_PEM, get(ca_pem))
        .route(paths::PKI_CA_DER, get(ca_der))
        .route(paths::PKI_CRL, get(crl))
        .route(paths::PKI_OCSP, post(ocsp_post))
        .route(&format!("{}/{{*request}}", paths::PKI_OCSP), get(ocsp_get))
        .route(paths::HEALTH, get(health))
        .route(paths::READY, get(ready))
}

async fn crl(State(s): State<AppState>) -> Result<Response, ApiError> {
    let der = revocation::crl(&s).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pkix-crl"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        der,
    )
        .into_response())
}

fn ocsp_answer(der: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/ocsp-response")],
        der,
    )
        .into_response()
}

/// `POST /pki/ocsp` with a DER `OCSPRequest` (`Content-Type: application/ocsp-request`).
/// Anything unreadable gets the unsigned `malformedRequest` status, as RFC 6960 says.
async fn ocsp_post(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let wrong_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| !t.trim().eq_ignore_ascii_case("application/ocsp-request"));
    if wrong_type || body.len() > MAX_OCSP_REQUEST_LEN {
        return ocsp_answer(dojang_pki::OcspFailure::MalformedRequest.response());
    }
    ocsp_answer(revocation::ocsp(&s, &body).await)
}

/// `GET /pki/ocsp/{request}`: the DER request in base64 (standard, URL-escaped as clients
/// do; URL-safe also accepted), as RFC 6960 appendix A.1 allows for small requests.
///
/// Only leading slashes are dropped: `/` is a base64 character, so a trailing one is data (a
/// DER request's base64 starts with `M`, never `/`).
async fn ocsp_get(State(s): State<AppState>, Path(request): Path<String>) -> Response {
    match dojang_pki::ocsp_get_request(&request) {
        Some(der) => ocsp_answer(revocation::ocsp(&s, &der).await),
        None => ocsp_answer(dojang_pki::OcspFailure::MalformedRequest.response()),
    }
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

/// `/healthz` for the metrics listener's router.
pub async fn health_probe(s: State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    health(s).await
}

/// `/readyz` for the metrics listener's router.
pub async fn ready_probe(s: State<AppState>) -> Response {
    ready(s).await
}

/// Readiness: whether this instance should get traffic. Each check says `ok` or why not; any
/// failure answers 503, so a load balancer takes the instance out. Checked: the database
/// answers; every migration this build knows is applied (an instance started on an older
/// schema must not serve, e.g. during a rolling upgrade before the new binary migrated); the
/// CA's key signs and matches its certificate, which has not expired (a PKCS#11 token that
/// went away fails here).
async fn ready(State(s): State<AppState>) -> Response {
    let mut failed = false;
    let mut fail = |why: String| {
        failed = true;
        why
    };
    let database = match s.store.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::error!(error = %e, "readiness: database unreachable");
            fail("unreachable".into())
        }
    };
    let schema = match s.store.migrations_missing().await {
        Ok(missing) if missing.is_empty() => "ok".to_owned(),
        Ok(missing) => fail(format!(
            "migrations not applied: {}",
            missing
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(e) => {
            tracing::error!(error = %e, "readiness: migrations unreadable");
            fail("unreadable".into())
        }
    };
    let ca = match s.ca.self_test(s.clock.now()) {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::error!(error = %e, "readiness: the CA cannot sign");
            fail(e.to_string())
        }
    };
    let status = if failed {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        status,
        Json(serde_json::json!({
            "status": if failed { "unavailable" } else { "ready" },
            "checks": { "database": database, "schema": schema, "ca": ca },
        })),
    )
        .into_response()
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
