//! HTTP: one router per feature, merged here with the layers every route shares (request id,
//! tracing span, localised errors) and the JSON fallbacks for unknown paths and methods.

pub mod barocert;
pub mod cloud;
pub mod device;
pub mod error;
pub mod extract;
pub mod kakaocert;
pub mod linkhub;
pub mod openapi;
pub mod pki;
pub mod reference;
pub mod rp;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware;
use dojang_proto::ErrorCode;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::state::AppState;
use error::ApiError;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP surface of dojang.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(rp::router())
        .merge(device::router())
        .merge(cloud::router())
        .merge(pki::router())
        .merge(linkhub::router())
        .merge(barocert::router())
        .merge(kakaocert::router())
        .merge(openapi::router())
        .merge(crate::pages::router())
        .fallback(|| async { ApiError::Code(ErrorCode::RouteNotFound) })
        .method_not_allowed_fallback(|| async { ApiError::Code(ErrorCode::MethodNotAllowed) })
        .layer(middleware::from_fn(error::localize))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(DefaultOnFailure::new().level(Level::WARN))
                .make_span_with(|req: &Request| {
                    let path = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("(unmatched)", MatchedPath::as_str);
                    let id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!(
                        "http",
                        method = %req.method(),
                        path,
                        request_id = id,
                        client_code = tracing::field::Empty,
                    )
                }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
