//! The native relying-party API v1: the same four calls for every request kind,
//! under `/v1/{kind}` (`identity`, `sign`, `multi-sign`, `debit-consent`, `login`).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_core::RequestKind;
use dojang_proto::paths;
use dojang_proto::rp::{
    CancelRequest, Cancelled, CreateRequest, Kind, LoginPageExchange, LoginPageResult,
    ReceiptResponse, RequestStatus, VerifyResult,
};

use super::error::ApiError;
use super::extract::{NoBody, RpCall};
use crate::service::requests;
use crate::state::AppState;

/// The four calls every kind has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `POST /v1/{kind}`: create a request.
    Create,
    /// `GET /v1/{kind}/{receipt_id}[?wait=…]`: its state.
    Status,
    /// `POST /v1/{kind}/{receipt_id}/verify`: the signature(s) and the person, once.
    Verify,
    /// `POST /v1/{kind}/{receipt_id}/cancel`: withdraw a waiting request.
    Cancel,
}

impl Call {
    /// Every call.
    pub const ALL: [Call; 4] = [Call::Create, Call::Status, Call::Verify, Call::Cancel];

    /// The HTTP method.
    pub const fn method(self) -> Method {
        match self {
            Call::Status => Method::GET,
            Call::Create | Call::Verify | Call::Cancel => Method::POST,
        }
    }

    /// The route template for `kind`, from [`paths`].
    pub fn template(self, kind: Kind) -> String {
        match self {
            Call::Create => paths::create_path(kind),
            Call::Status => paths::status_template(kind),
            Call::Verify => paths::verify_template(kind),
            Call::Cancel => paths::cancel_template(kind),
        }
    }

    /// `create`, `status`, `verify` or `cancel`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Call::Create => "create",
            Call::Status => "status",
            Call::Verify => "verify",
            Call::Cancel => "cancel",
        }
    }
}

/// Every route of the native API: each call of each kind. The router below and the OpenAPI
/// document (`openapi.rs`) are both built from this list, so a route cannot go undocumented.
pub fn routes() -> impl Iterator<Item = (Kind, Call)> {
    Kind::ALL
        .into_iter()
        .flat_map(|kind| Call::ALL.into_iter().map(move |call| (kind, call)))
}

/// Routes of every kind, and the hosted login's code exchange.
pub fn router() -> Router<AppState> {
    let base = Router::new().route(paths::LOGIN_PAGE_EXCHANGE, post(exchange_login_code));
    routes().fold(base, |router, (kind, call)| {
        let k = RequestKind::from_wire(kind);
        let handler = match call {
            Call::Create => post(move |s, call| create(k, s, call)),
            Call::Status => get(move |s, path, query, call| status(k, s, path, query, call)),
            Call::Verify => post(move |s, path, call| verify(k, s, path, call)),
            Call::Cancel => post(move |s, path, call| cancel(k, s, path, call)),
        };
        router.route(&call.template(kind), handler)
    })
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
    requests::create(
        &s,
        &call.rp,
        kind,
        &call.body,
        call.idempotency,
        Some(&call.signed),
    )
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
    let id = receipt(path);
    requests::refuse_short_receipt(&id)?;
    requests::status(&s, &call.rp, kind, &id, wait)
        .await
        .map(Json)
}

async fn verify(
    kind: RequestKind,
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    call: RpCall<NoBody>,
) -> Result<Json<VerifyResult>, ApiError> {
    let id = receipt(path);
    requests::refuse_short_receipt(&id)?;
    requests::verify(&s, &call.rp, kind, &id).await.map(Json)
}

async fn cancel(
    kind: RequestKind,
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    call: RpCall<CancelRequest>,
) -> Result<Json<Cancelled>, ApiError> {
    let id = receipt(path);
    requests::refuse_short_receipt(&id)?;
    requests::cancel(&s, &call.rp, kind, &id, &call.body)
        .await
        .map(Json)
}

/// `POST /v1/login-page/exchange`: the hosted login's one-time code for the verified person.
async fn exchange_login_code(
    State(s): State<AppState>,
    call: RpCall<LoginPageExchange>,
) -> Result<Json<LoginPageResult>, ApiError> {
    crate::service::login_page::exchange(&s, &call.rp, &call.body.code)
        .await
        .map(Json)
}
