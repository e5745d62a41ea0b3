//! Local receivers standing in for the real push services, each checking what the real one
//! checks, so a sender that passes here is refused by the real service only for reasons of the
//! real account (keys, quotas), not for protocol mistakes:
//!
//! - [`WebPushService`]: an RFC 8030 push service. It verifies the VAPID JWT against `k`
//!   (ES256 signature, `aud` = its own origin, `exp` in the future and at most 24 h ahead, `sub`
//!   a `mailto:`/`https:` URI, `k` = the key the subscription was made with), requires `TTL`,
//!   checks `Urgency`, `Topic` and `Content-Encoding: aes128gcm`, refuses bodies over 4096 bytes,
//!   and **decrypts** each message with the subscription's private key and auth secret, keeping
//!   the plaintext. It can be told to answer 404, 410 or 429 for a subscription.
//! - [`FcmService`]: Google's token endpoint (the RS256 assertion checked with the service
//!   account's public key: issuer, audience, scope, times) and FCM's `messages:send` (the
//!   bearer must be a token it issued; unknown tokens `INVALID_ARGUMENT`, unregistered ones 404
//!   `UNREGISTERED`, rate limits 429).
//! - [`ApnsService`]: APNs over HTTP/2 (h2c, prior knowledge — the one liberty taken: no TLS),
//!   checking the ES256 provider token (`kid`, `iss`, `iat` within the hour), `apns-topic`,
//!   `apns-push-type`, `apns-expiration`, `apns-priority`, the token's form and the body.
//!
//! Every refusal is also recorded with its reason ([`WebPushService::refusals`] and friends) so a
//! test can assert *why* something was refused.

mod apns;
mod fcm;
mod webpush;

pub use apns::{ApnsReceived, ApnsService};
pub use fcm::FcmService;
pub use webpush::{Received, TestSubscription, WebPushService};

/// Aborts the server task when dropped.
#[derive(Debug)]
struct Task(tokio::task::JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now() -> i64 {
    crate::unix_now() as i64
}
