//! The cloud certificate's JSON API (`/cloud/v1/*`, called by dojang's own frame and page;
//! no cookies: each call carries its own proof) and the two native-API calls a relying
//! party's server makes (`POST /v1/cloud/exchange`, `POST /v1/cloud/alt-auth`, HMAC like the
//! rest of the native API). Every handler extracts, calls one function of
//! [`crate::service::cloud`], and answers JSON.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use dojang_proto::cloud as wire;
use dojang_proto::device::RequestCard;
use dojang_proto::paths;

use super::error::ApiError;
use super::extract::{ClientIp, JsonBody, RpCall};
use crate::service::cloud;
use crate::state::AppState;

/// Routes of `/cloud/v1` and `/v1/cloud`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::CLOUD_EXCHANGE, post(exchange))
        .route(paths::CLOUD_ALT_AUTH, post(alt_auth))
        .route(paths::CLOUD_ISSUE_DESK, post(issue_desk))
        .route(paths::CLOUD_ISSUE_SMS, post(issue_sms))
        .route(paths::CLOUD_ISSUE_SMS_COMPLETE, post(issue_sms_complete))
        .route(paths::CLOUD_ISSUE_BANK, post(issue_bank))
        .route(paths::CLOUD_ISSUE_BANK_COMPLETE, post(issue_bank_complete))
        .route(paths::CLOUD_ISSUE_ALT, post(issue_alt))
        .route(paths::CLOUD_BROWSERS_ASK, post(browsers_ask))
        .route(paths::CLOUD_BROWSERS_ASK_STATE, post(ask_state))
        .route(paths::CLOUD_BROWSERS_ASK_APPROVE, post(ask_approve))
        .route(paths::CLOUD_BROWSERS_ASK_DECLINE, post(ask_decline))
        .route(paths::CLOUD_BROWSERS_START, post(browsers_start))
        .route(paths::CLOUD_BROWSERS_COMPLETE, post(browsers_complete))
        .route(paths::CLOUD_CHALLENGE, post(challenge))
        .route(paths::CLOUD_ME, post(me))
        .route(paths::CLOUD_REQUEST, post(view))
        .route(paths::CLOUD_REQUEST_APPROVE, post(approve))
        .route(paths::CLOUD_REQUEST_DECLINE, post(decline))
        .route(paths::CLOUD_SIGN, post(sign))
        .route(paths::CLOUD_PIN, post(change_pin))
        .route(paths::CLOUD_PIN_RESET_START, post(pin_reset_start))
        .route(paths::CLOUD_PIN_RESET_COMPLETE, post(pin_reset_complete))
        .route(paths::CLOUD_RENEW, post(renew))
        .route(paths::CLOUD_REVOKE, post(revoke))
        .route(paths::CLOUD_BROWSER_REMOVE, post(remove_browser))
}

fn segment(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

/// `POST /v1/cloud/exchange`.
pub async fn exchange(
    State(s): State<AppState>,
    call: RpCall<wire::CloudExchange>,
) -> Result<Json<wire::CloudExchanged>, ApiError> {
    cloud::exchange(&s, &call.rp, &call.body).await.map(Json)
}

/// `POST /v1/cloud/alt-auth`.
pub async fn alt_auth(
    State(s): State<AppState>,
    call: RpCall<wire::AltAuth>,
) -> Result<Json<wire::AltAuthorized>, ApiError> {
    cloud::alt_auth(&s, &call.rp, &call.body).await.map(Json)
}

async fn issue_desk(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::IssueDesk>,
) -> Result<Json<wire::Issued>, ApiError> {
    cloud::issue_desk(&s, &body, ip).await.map(Json)
}

async fn issue_sms(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<wire::CloudPerson>,
) -> Result<Json<wire::ProofStarted>, ApiError> {
    cloud::issue_sms_start(&s, &body).await.map(Json)
}

async fn issue_sms_complete(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::IssueSmsComplete>,
) -> Result<Json<wire::Issued>, ApiError> {
    cloud::issue_sms_complete(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn issue_bank(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<wire::IssueBankStart>,
) -> Result<Json<wire::BankProofStarted>, ApiError> {
    cloud::issue_bank_start(&s, &body).await.map(Json)
}

async fn issue_bank_complete(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::IssueBankComplete>,
) -> Result<Json<wire::Issued>, ApiError> {
    cloud::issue_bank_complete(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn issue_alt(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::IssueAlt>,
) -> Result<Json<wire::Issued>, ApiError> {
    cloud::issue_alt(&s, &body, ip).await.map(Json)
}

async fn browsers_ask(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::BrowserAsk>,
) -> Result<Json<wire::BrowserAsked>, ApiError> {
    cloud::browsers_ask(&s, &body, ip).await.map(Json)
}

async fn ask_state(
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<wire::AskState>, ApiError> {
    cloud::ask_state(&s, &segment(path)).await.map(Json)
}

async fn ask_approve(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::AskApprove>,
) -> Result<Json<wire::Empty>, ApiError> {
    cloud::ask_approve(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn ask_decline(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::Proved>,
) -> Result<Json<wire::Empty>, ApiError> {
    cloud::ask_decline(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn browsers_start(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<wire::CloudPerson>,
) -> Result<Json<wire::ProofStarted>, ApiError> {
    cloud::browsers_start(&s, &body).await.map(Json)
}

async fn browsers_complete(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::BrowserComplete>,
) -> Result<Json<wire::BrowserRegistered>, ApiError> {
    cloud::browsers_complete(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn challenge(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::ChallengeAsk>,
) -> Result<Json<wire::Challenge>, ApiError> {
    cloud::challenge(&s, &body, ip).await.map(Json)
}

async fn me(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::Proved>,
) -> Result<Json<wire::Me>, ApiError> {
    cloud::me(&s, &body, ip).await.map(Json)
}

async fn view(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::Proved>,
) -> Result<Json<RequestCard>, ApiError> {
    cloud::view(&s, &segment(path), &body, ip).await.map(Json)
}

async fn approve(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::ProvedWithPin>,
) -> Result<Json<wire::AnsweredState>, ApiError> {
    cloud::approve(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn decline(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::Proved>,
) -> Result<Json<wire::AnsweredState>, ApiError> {
    cloud::decline(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn sign(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::SignAsk>,
) -> Result<Json<wire::OneTimeCode>, ApiError> {
    cloud::sign(&s, &body, ip).await.map(Json)
}

async fn change_pin(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::PinChange>,
) -> Result<Json<wire::Empty>, ApiError> {
    cloud::change_pin(&s, &body, ip).await.map(Json)
}

async fn pin_reset_start(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<wire::CloudPerson>,
) -> Result<Json<wire::ProofStarted>, ApiError> {
    cloud::pin_reset_start(&s, &body).await.map(Json)
}

async fn pin_reset_complete(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::PinResetComplete>,
) -> Result<Json<wire::BrowserRegistered>, ApiError> {
    cloud::pin_reset_complete(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn renew(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::ProvedWithPin>,
) -> Result<Json<wire::Renewed>, ApiError> {
    cloud::renew(&s, &body, ip).await.map(Json)
}

async fn revoke(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<wire::ProvedWithPin>,
) -> Result<Json<wire::Empty>, ApiError> {
    cloud::revoke(&s, &body, ip).await.map(Json)
}

async fn remove_browser(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<wire::Proved>,
) -> Result<Json<wire::Empty>, ApiError> {
    cloud::remove_browser(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}
