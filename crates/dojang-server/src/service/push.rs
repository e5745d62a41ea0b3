//! Push to phones that have no live connection open (issue 16; docs/push.md): the devices'
//! subscriptions (Web Push, FCM, APNs) and the send when a request is created.
//!
//! The WebSocket hub (`crate::push`) reaches apps that are open; this reaches the rest. Each new
//! request is sent to every subscription of the member's live devices (before a certificate:
//! the device that logged in), in a spawned task so creating the request never waits on a push
//! service. What comes back decides the subscription's fate: 404/410 deletes it, 429 stores the
//! service's `Retry-After` (nothing is sent before it), other failures are counted and logged —
//! by kind and error only, never the endpoint or token, which address one person's phone.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_core::{Device, MemberId, Request};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_rfc3339_millis;
use dojang_proto::device::{PushNotification, PushSubscriptionBody, VapidPublicKey};
use dojang_push::{Message, PushError, PushProvider, Target, Urgency};

use crate::http::error::ApiError;
use crate::state::AppState;

/// Back-off after a 429 that named no `Retry-After`.
const DEFAULT_BACK_OFF: Duration = Duration::from_secs(60);
/// The longest back-off honoured (a service asking for more is asked again after this).
const MAX_BACK_OFF: Duration = Duration::from_secs(3600);

/// `GET /device/v1/push/vapid`.
pub fn vapid(state: &AppState) -> Result<VapidPublicKey, ApiError> {
    let w = state
        .pushers
        .webpush
        .as_ref()
        .ok_or(ErrorCode::PushNotConfigured)?;
    Ok(VapidPublicKey {
        public_key: w.vapid().public_key_b64(),
    })
}

/// Check a subscription body and turn it into a target; every mistake has its code.
pub fn target(state: &AppState, body: &PushSubscriptionBody) -> Result<Target, ApiError> {
    match body.kind.as_str() {
        "webpush" => {
            let w = state
                .pushers
                .webpush
                .as_ref()
                .ok_or(ErrorCode::PushKindNotConfigured)?;
            let endpoint = body
                .endpoint
                .as_deref()
                .ok_or(ErrorCode::PushEndpointInvalid)?;
            if endpoint.len() > 2048 {
                return Err(ErrorCode::PushEndpointInvalid.into());
            }
            w.check_endpoint(endpoint)
                .map_err(|_| ErrorCode::PushEndpointInvalid)?;
            // The endpoint comes from the device: the webhook guard against request forgery
            // (public https only, unless `[push] insecure_allow_private`).
            crate::webhook::target::check_url(endpoint, state.push_allow_private)
                .map_err(|_| ErrorCode::PushEndpointInvalid)?;
            let keys = body.keys.as_ref().ok_or(ErrorCode::PushKeysInvalid)?;
            dojang_push::webpush::check_keys(&keys.p256dh, &keys.auth)
                .map_err(|_| ErrorCode::PushKeysInvalid)?;
            Ok(Target::WebPush {
                endpoint: endpoint.to_owned(),
                p256dh: keys.p256dh.clone(),
                auth: keys.auth.clone(),
            })
        }
        "fcm" => {
            if state.pushers.fcm.is_none() {
                return Err(ErrorCode::PushKindNotConfigured.into());
            }
            let token = body.token.as_deref().ok_or(ErrorCode::PushTokenInvalid)?;
            let ok = (1..=4096).contains(&token.len())
                && token
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
            if !ok {
                return Err(ErrorCode::PushTokenInvalid.into());
            }
            Ok(Target::Fcm {
                token: token.to_owned(),
            })
        }
        "apns" => {
            if state.pushers.apns.is_none() {
                return Err(ErrorCode::PushKindNotConfigured.into());
            }
            let token = body.token.as_deref().ok_or(ErrorCode::PushTokenInvalid)?;
            if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ErrorCode::PushTokenInvalid.into());
            }
            Ok(Target::Apns {
                token: token.to_ascii_lowercase(),
            })
        }
        _ => Err(ErrorCode::PushKindInvalid.into()),
    }
}

/// `POST /device/v1/push/subscription`: replaces the device's earlier one of that kind.
pub async fn subscribe(
    state: &AppState,
    device: &Device,
    body: &PushSubscriptionBody,
) -> Result<(), ApiError> {
    let target = target(state, body)?;
    let json = serde_json::to_vec(&target).map_err(|_| ErrorCode::Internal)?;
    state
        .store
        .put_push_subscription(device.id, target.kind(), &json, state.clock.now())
        .await?;
    tracing::info!(device = %device.id, kind = target.kind(), "push subscription registered");
    Ok(())
}

/// `DELETE /device/v1/push/subscription`: drops all of the device's.
pub async fn unsubscribe(state: &AppState, device: &Device) -> Result<(), ApiError> {
    let n = state
        .store
        .delete_device_push_subscriptions(device.id)
        .await?;
    tracing::info!(device = %device.id, dropped = n, "push subscriptions dropped");
    Ok(())
}

/// What a request's push carries: the payload and the options of the contract.
pub fn message(state: &AppState, r: &Request, party: &str) -> Message {
    let receipt = r.receipt_id.to_string();
    let payload = PushNotification {
        kind: "request".into(),
        receipt_id: receipt.clone(),
        title: format!("{party} 인증 요청"),
        expires_at: format_rfc3339_millis(r.expire_at),
    };
    let ttl = (r.expire_at - state.clock.now())
        .try_into()
        .unwrap_or(Duration::ZERO);
    Message {
        payload: serde_json::to_vec(&payload).unwrap_or_default(),
        ttl: Duration::from_secs(ttl.as_secs()),
        urgency: Urgency::High,
        topic: Some(topic(&receipt)),
    }
}

/// The first 32 characters of base64url(SHA-256(receipt id)): a repeat replaces an undelivered
/// earlier push of the same request.
pub fn topic(receipt_id: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, receipt_id.as_bytes());
    let mut t = URL_SAFE_NO_PAD.encode(digest.as_ref());
    t.truncate(32);
    t
}

/// A request was created for `member`: push it to their subscriptions, in the background.
pub fn request_created(state: &AppState, member: MemberId, r: &Request, party: &str) {
    if state.pushers.webpush.is_none()
        && state.pushers.fcm.is_none()
        && state.pushers.apns.is_none()
    {
        return;
    }
    let message = message(state, r, party);
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = send_to_member(&state, member, &message).await {
            tracing::warn!(error = %e, "push: subscriptions could not be read");
        }
    });
}

/// Outcome counts of one fan-out (for logs and tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Delivered to the service.
    pub delivered: u32,
    /// Subscriptions dropped (gone).
    pub dropped: u32,
    /// Skipped: backing off.
    pub deferred: u32,
    /// Failed otherwise.
    pub failed: u32,
}

/// Send `message` to every subscription of `member`'s live devices and act on the answers.
pub async fn send_to_member(
    state: &AppState,
    member: MemberId,
    message: &Message,
) -> Result<Sent, dojang_store::StoreError> {
    let subs = state.store.member_push_subscriptions(member).await?;
    let mut sent = Sent::default();
    for sub in subs {
        let now = state.clock.now();
        if sub.retry_after.is_some_and(|t| t > now) {
            sent.deferred += 1;
            continue;
        }
        let target = serde_json::from_slice::<Target>(&sub.target)
            .ok()
            .filter(|t| match t {
                // Checked again at each send: the address rules may have tightened since.
                Target::WebPush { endpoint, .. } => {
                    crate::webhook::target::check_url(endpoint, state.push_allow_private).is_ok()
                }
                _ => true,
            });
        let Some(target) = target else {
            tracing::warn!(subscription = %sub.id, "push: unreadable subscription dropped");
            state.store.delete_push_subscription(&sub.id).await?;
            continue;
        };
        let kind = match &target {
            Target::WebPush { .. } => "webpush",
            Target::Fcm { .. } => "fcm",
            Target::Apns { .. } => "apns",
        };
        let started = std::time::Instant::now();
        let answer = state.pushers.send(&target, message).await;
        crate::metrics::push_sent(
            kind,
            match &answer {
                Ok(()) => "delivered",
                Err(PushError::Gone) => "gone",
                Err(PushError::RateLimited { .. }) => "rate_limited",
                Err(_) => "failed",
            },
            started.elapsed(),
        );
        match answer {
            Ok(()) => {
                sent.delivered += 1;
                if sub.failures > 0 || sub.retry_after.is_some() {
                    state.store.push_delivered(&sub.id).await?;
                }
            }
            Err(PushError::Gone) => {
                sent.dropped += 1;
                state.store.delete_push_subscription(&sub.id).await?;
                tracing::info!(subscription = %sub.id, kind = %sub.kind, "push: subscription gone, dropped");
            }
            Err(PushError::RateLimited { retry_after }) => {
                sent.failed += 1;
                let wait = retry_after.unwrap_or(DEFAULT_BACK_OFF).min(MAX_BACK_OFF);
                // Counted first, then the back-off: a reader that sees the back-off sees the count.
                state.store.push_failed(&sub.id, now).await?;
                state.store.push_back_off(&sub.id, now + wait).await?;
                tracing::warn!(subscription = %sub.id, kind = %sub.kind, wait_secs = wait.as_secs(), "push: rate limited, backing off");
            }
            Err(e) => {
                sent.failed += 1;
                state.store.push_failed(&sub.id, now).await?;
                tracing::warn!(subscription = %sub.id, kind = %sub.kind, failures = sub.failures + 1, error = %e, "push: delivery failed");
            }
        }
    }
    Ok(sent)
}

/// The providers `[push]` configures (the VAPID key from the data directory).
pub fn pushers(
    config: &crate::config::Config,
    vapid: Option<dojang_push::webpush::VapidKey>,
) -> Result<dojang_push::Pushers, String> {
    let p = &config.push;
    let timeout = Duration::from_secs(p.timeout_secs);
    let mut out = dojang_push::Pushers::default();
    if let Some(vapid) = vapid {
        crate::tls::install_crypto_provider();
        // The endpoint comes from a device: the webhook guard checks every address connected to.
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("dojang-push/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(crate::webhook::target::GuardedResolver {
                allow_private: p.insecure_allow_private,
            })
            .build()
            .map_err(|e| format!("[push]: {e}"))?;
        out.webpush = Some(
            dojang_push::webpush::WebPush::new(vapid, p.subject.clone(), http)
                .map_err(|e| format!("[push]: {e}"))?
                .allow_http(p.insecure_allow_private),
        );
    }
    if let Some(f) = &p.fcm {
        let json = std::fs::read_to_string(&f.service_account)
            .map_err(|e| format!("[push.fcm] {}: {e}", f.service_account.display()))?;
        let account = dojang_push::fcm::ServiceAccount::from_json(&json)
            .map_err(|e| format!("[push.fcm]: {e}"))?;
        let http = dojang_push::default_client(timeout).map_err(|e| format!("[push.fcm]: {e}"))?;
        out.fcm = Some(
            dojang_push::fcm::Fcm::new(account, f.api_base.clone(), http)
                .map_err(|e| format!("[push.fcm]: {e}"))?,
        );
    }
    if let Some(a) = &p.apns {
        let key_pem = std::fs::read_to_string(&a.key)
            .map_err(|e| format!("[push.apns] {}: {e}", a.key.display()))?;
        out.apns = Some(
            dojang_push::apns::Apns::new(
                dojang_push::apns::ApnsConfig {
                    team_id: a.team_id.clone(),
                    key_id: a.key_id.clone(),
                    key_pem,
                    topic: a.topic.clone(),
                    base_url: a.base_url.clone(),
                },
                timeout,
            )
            .map_err(|e| format!("[push.apns]: {e}"))?,
        );
    }
    Ok(out)
}
