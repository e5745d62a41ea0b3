//! The device API: enrolment (SMS code, bank account, registration desk), the push WebSocket,
//! the pending list, and answers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_core::Device;
use dojang_proto::device::{
    Answered, Approve, BankEnrolmentComplete, BankEnrolmentStart, BankEnrolmentStarted,
    CertificateRenew, CertificateRenewed, CertificateStatus, Decline, DeviceRevoke,
    EnrolmentComplete, EnrolmentCompleted, EnrolmentStart, EnrolmentStarted, PendingRequests,
    PinChange, PinUnlock, PinUnlocked, PushMessage, PushSubscriptionBody, RaEnrolment,
    VapidPublicKey,
};
use dojang_proto::device::{BiometricChallengeIssued, BiometricRegister, BiometricUnlock};
use dojang_proto::device::{LoggedIn, LoginComplete};
use dojang_proto::{ErrorCode, paths};
use futures_util::{SinkExt, StreamExt};

use super::error::ApiError;
use super::extract::{ClientIp, DeviceAuth, JsonBody, NoBody, PUSH_SUBPROTOCOL, PushAuth};
use crate::push::Delivery;
use crate::service::{answer, bank, biometric, certificate, enrolment, pin, registration};
use crate::state::AppState;

/// Interval of WebSocket pings, which keep NAT mappings alive and detect dead peers.
const PING_EVERY: Duration = Duration::from_secs(30);
/// A frame the peer does not take within this time ends the connection (a peer that stopped
/// reading must not park the task forever).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Send one frame, giving up after [`SEND_TIMEOUT`]; `false` means the connection is done.
async fn send(tx: &mut futures_util::stream::SplitSink<WebSocket, Message>, m: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, tx.send(m)).await,
        Ok(Ok(()))
    )
}

/// Routes of `/device/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::DEVICE_ENROLMENTS, post(start_enrolment))
        .route(paths::DEVICE_ENROLMENT_COMPLETE, post(complete_enrolment))
        .route(paths::DEVICE_ENROLMENT_LOGIN, post(login))
        .route(paths::DEVICE_BANK_ENROLMENTS, post(start_bank_enrolment))
        .route(
            paths::DEVICE_BANK_ENROLMENT_COMPLETE,
            post(complete_bank_enrolment),
        )
        .route(paths::DEVICE_RA_ENROLMENT, post(ra_enrolment))
        .route(paths::DEVICE_PUSH, get(push))
        .route(paths::DEVICE_PUSH_VAPID, get(push_vapid))
        .route(
            paths::DEVICE_PUSH_SUBSCRIPTION,
            post(push_subscribe).delete(push_unsubscribe),
        )
        .route(paths::DEVICE_UNLOCK, post(unlock))
        .route(paths::DEVICE_PIN, post(change_pin))
        .route(
            paths::DEVICE_BIOMETRIC,
            post(biometric_register).delete(biometric_remove),
        )
        .route(
            paths::DEVICE_UNLOCK_BIOMETRIC_CHALLENGE,
            post(biometric_challenge),
        )
        .route(paths::DEVICE_UNLOCK_BIOMETRIC, post(biometric_unlock))
        .route(paths::DEVICE_CERTIFICATE, get(certificate_status))
        .route(paths::DEVICE_REVOKE, post(revoke))
        .route(paths::DEVICE_RENEW, post(renew))
        .route(paths::DEVICE_REQUESTS, get(pending))
        .route(paths::DEVICE_REQUEST_VIEW, post(view))
        .route(paths::DEVICE_REQUEST_APPROVE, post(approve))
        .route(paths::DEVICE_REQUEST_DECLINE, post(decline))
}

fn segment(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

async fn start_enrolment(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<EnrolmentStart>,
) -> Result<Json<EnrolmentStarted>, ApiError> {
    enrolment::start(&s, &body).await.map(Json)
}

async fn complete_enrolment(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<EnrolmentComplete>,
) -> Result<Json<EnrolmentCompleted>, ApiError> {
    enrolment::complete(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

/// An enrolment completed as a login: a device without a certificate.
async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<LoginComplete>,
) -> Result<Json<LoggedIn>, ApiError> {
    enrolment::login(&s, &segment(path), &body, ip)
        .await
        .map(Json)
}

async fn start_bank_enrolment(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<BankEnrolmentStart>,
) -> Result<Json<BankEnrolmentStarted>, ApiError> {
    bank::start(&s, &body).await.map(Json)
}

async fn complete_bank_enrolment(
    State(s): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<BankEnrolmentComplete>,
) -> Result<Json<EnrolmentCompleted>, ApiError> {
    bank::complete(&s, &segment(path), &body).await.map(Json)
}

async fn ra_enrolment(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<RaEnrolment>,
) -> Result<Json<EnrolmentCompleted>, ApiError> {
    registration::complete(&s, &body).await.map(Json)
}

async fn push_vapid(State(s): State<AppState>) -> Result<Json<VapidPublicKey>, ApiError> {
    crate::service::push::vapid(&s).map(Json)
}

async fn push_subscribe(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    JsonBody(body): JsonBody<PushSubscriptionBody>,
) -> Result<StatusCode, ApiError> {
    crate::service::push::subscribe(&s, &d, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn push_unsubscribe(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
) -> Result<StatusCode, ApiError> {
    crate::service::push::unsubscribe(&s, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn pending(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
) -> Result<Json<PendingRequests>, ApiError> {
    answer::pending(&s, &d).await.map(Json)
}

async fn view(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    path: Result<Path<String>, PathRejection>,
    JsonBody(_): JsonBody<NoBody>,
) -> Result<Json<Answered>, ApiError> {
    answer::view(&s, &d, &segment(path)).await.map(Json)
}

async fn approve(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<Approve>,
) -> Result<Json<Answered>, ApiError> {
    answer::approve(&s, &d, &segment(path), &body)
        .await
        .map(Json)
}

/// The PIN proof, for the unlock secret; wrong proofs are counted and the fifth locks.
async fn unlock(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    JsonBody(body): JsonBody<PinUnlock>,
) -> Result<Json<PinUnlocked>, ApiError> {
    pin::unlock(&s, &d, &body).await.map(Json)
}

async fn change_pin(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    JsonBody(body): JsonBody<PinChange>,
) -> Result<Json<PinUnlocked>, ApiError> {
    pin::change(&s, &d, &body).await.map(Json)
}

/// Turn biometric unlock on: the credential, with the PIN proof (checked and counted).
async fn biometric_register(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    JsonBody(body): JsonBody<BiometricRegister>,
) -> Result<StatusCode, ApiError> {
    biometric::register(&s, &d, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn biometric unlock off.
async fn biometric_remove(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
) -> Result<StatusCode, ApiError> {
    biometric::remove(&s, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn biometric_challenge(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
) -> Result<Json<BiometricChallengeIssued>, ApiError> {
    biometric::challenge(&s, &d).await.map(Json)
}

/// A WebAuthn assertion, for the unlock secret (refusals count with wrong PINs).
async fn biometric_unlock(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    JsonBody(body): JsonBody<BiometricUnlock>,
) -> Result<Json<PinUnlocked>, ApiError> {
    biometric::unlock(&s, &d, &body).await.map(Json)
}

async fn certificate_status(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
) -> Result<Json<CertificateStatus>, ApiError> {
    certificate::status(&s, &d).await.map(Json)
}

/// A new key's certificate in the old one's last 30 days (PIN checked and counted).
async fn renew(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    JsonBody(body): JsonBody<CertificateRenew>,
) -> Result<Json<CertificateRenewed>, ApiError> {
    certificate::renew(&s, &d, &body).await.map(Json)
}

/// The holder gives the certificate up (PIN checked and counted).
async fn revoke(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    JsonBody(body): JsonBody<DeviceRevoke>,
) -> Result<Json<CertificateStatus>, ApiError> {
    certificate::revoke(&s, &d, &body).await.map(Json)
}

async fn decline(
    State(s): State<AppState>,
    DeviceAuth(d): DeviceAuth,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<Decline>,
) -> Result<Json<Answered>, ApiError> {
    answer::decline(&s, &d, &segment(path), &body)
        .await
        .map(Json)
}

/// The push WebSocket: `Authorization` (apps) or the subprotocol credential (browsers; see
/// [`PushAuth`]), and then `dojang.device.v1` is the selected subprotocol.
async fn push(
    State(s): State<AppState>,
    PushAuth(d): PushAuth,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let ws = ws.map_err(|_| ApiError::Code(ErrorCode::WebSocketRequired))?;
    Ok(ws
        .protocols([PUSH_SUBPROTOCOL])
        .max_message_size(64 * 1024)
        // Devices send only pings and closes: a 4 KiB read buffer (tungstenite's default is
        // 128 KiB, kept for every idle connection) is what lets one server hold tens of
        // thousands of devices. It still grows for a larger frame, up to the message limit.
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| run_push(socket, s, d)))
}

/// One device's push connection: forward hub deliveries, answer pings, end on close, on
/// supersession, or on server shutdown.
async fn run_push(socket: WebSocket, state: AppState, device: Arc<Device>) {
    let (subscription, mut deliveries) = state.push.subscribe(device.member_id, device.id);
    let (mut tx, mut rx) = socket.split();
    let hello = PushMessage::Hello {
        device_id: device.id.to_string(),
    };
    if let Ok(text) = serde_json::to_string(&hello)
        && !send(&mut tx, Message::Text(text.into())).await
    {
        return;
    }
    tracing::debug!(device = %device.id, "push connected");
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            delivery = deliveries.recv() => match delivery {
                Some(Delivery::Frame(text)) => {
                    if !send(&mut tx, Message::Text(text)).await { break; }
                }
                Some(Delivery::Close) | None => {
                    send(&mut tx, Message::Close(None)).await;
                    break;
                }
            },
            incoming = rx.next() => match incoming {
                // The device speaks only to keep the connection alive; anything else is ignored.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if !send(&mut tx, Message::Ping(Default::default())).await { break; }
            }
            () = state.shutdown.cancelled() => {
                send(&mut tx, Message::Close(None)).await;
                break;
            }
        }
    }
    drop(subscription);
    tracing::debug!(device = %device.id, "push disconnected");
}
