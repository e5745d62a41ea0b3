//! Push to the person's phone when no live connection is open: one [`PushProvider`] trait with
//! three implementations, each speaking what the real service expects.
//!
//! - [`webpush::WebPush`]: Web Push (RFC 8030) to a browser's push service, authenticated by a
//!   VAPID JWT (RFC 8292) and encrypted end to end to the browser (RFC 8291, `aes128gcm` of
//!   RFC 8188). This is what the installable web app at `/app` receives.
//! - [`fcm::Fcm`]: Firebase Cloud Messaging HTTP v1, for operators shipping an Android app
//!   (service-account OAuth2 JWT-bearer grant, RS256).
//! - [`apns::Apns`]: Apple Push Notification service, token-based (ES256 provider JWT) over HTTP/2,
//!   for an iOS app.
//!
//! [`Pushers`] routes a [`Target`] to the provider of its kind. Errors say what the caller must
//! do: [`PushError::Gone`] drop the subscription, [`PushError::RateLimited`] wait.
//!
//! With the `testing` feature, [`testing`] has local receivers that check what the real services
//! check (signatures, audiences, expiries, headers) and decrypt Web Push bodies.
//!
//! This crate knows nothing of dojang's server; it only sends.

use std::fmt;
use std::time::Duration;

pub mod apns;
pub mod fcm;
mod jwt;
pub mod webpush;

#[cfg(feature = "testing")]
pub mod testing;

pub use jwt::b64;

/// How soon the message should reach the device (RFC 8030 §5.3); APNs maps `High` to priority
/// 10 and the rest to 5, FCM `High` to `HIGH` and the rest to `NORMAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// `very-low`: only on power and Wi-Fi.
    VeryLow,
    /// `low`.
    Low,
    /// `normal` (the default of the protocol).
    Normal,
    /// `high`: wake the device now (a person is waiting).
    High,
}

impl Urgency {
    /// The `Urgency` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VeryLow => "very-low",
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
        }
    }

    /// Parse a header value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "very-low" => Self::VeryLow,
            "low" => Self::Low,
            "normal" => Self::Normal,
            "high" => Self::High,
            _ => return None,
        })
    }
}

/// One message to one device.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The body the app receives (for dojang: a small JSON object).
    pub payload: Vec<u8>,
    /// How long the service keeps it for a device that is offline; zero: deliver now or never.
    pub ttl: Duration,
    /// How urgent.
    pub urgency: Urgency,
    /// A repeat with the same topic replaces an undelivered earlier one (Web Push `Topic`: at most
    /// 32 characters of the base64url alphabet; APNs `apns-collapse-id`; FCM `collapse_key`).
    pub topic: Option<String>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload may name a receipt; it stays out of logs.
        f.debug_struct("Message")
            .field("payload", &format_args!("{} bytes", self.payload.len()))
            .field("ttl", &self.ttl)
            .field("urgency", &self.urgency)
            .field("topic", &self.topic)
            .finish()
    }
}

/// Where a message goes. Serialised as `{"kind":"webpush","endpoint":…,"p256dh":…,"auth":…}`,
/// `{"kind":"fcm","token":…}` or `{"kind":"apns","token":…}`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    /// A browser's push subscription (`PushSubscription.toJSON()`).
    WebPush {
        /// The push service URL of this subscription.
        endpoint: String,
        /// The browser's P-256 public key: base64url of the 65-byte uncompressed point.
        p256dh: String,
        /// The browser's 16-byte authentication secret, base64url.
        auth: String,
    },
    /// An FCM registration token of an Android app.
    Fcm {
        /// The registration token.
        token: String,
    },
    /// An APNs device token of an iOS app (64 hex digits).
    Apns {
        /// The device token.
        token: String,
    },
}

impl Target {
    /// The provider kind: `webpush`, `fcm` or `apns`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::WebPush { .. } => "webpush",
            Self::Fcm { .. } => "fcm",
            Self::Apns { .. } => "apns",
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Endpoints and tokens address one person's phone: never printed.
        write!(f, "Target::{}(***)", self.kind())
    }
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The subscription or token no longer exists (404/410, FCM `UNREGISTERED`): drop it.
    #[error("the subscription is gone")]
    Gone,
    /// The service asks us to slow down (429); `retry_after` from its `Retry-After`.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited {
        /// How long to wait, when the service said.
        retry_after: Option<Duration>,
    },
    /// The service refused with this HTTP status.
    #[error("refused with HTTP {0}")]
    Rejected(u16),
    /// No answer: connection, TLS, timeout, or an unreadable answer.
    #[error("transport: {0}")]
    Transport(String),
    /// The message or target cannot be sent as it is (too large, malformed keys or token, a target
    /// of a provider that is not configured).
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Something that delivers a [`Message`] to a [`Target`].
#[async_trait::async_trait]
pub trait PushProvider: Send + Sync + fmt::Debug {
    /// Deliver once (no retries here: the caller decides, from the error, what to do).
    async fn send(&self, target: &Target, message: &Message) -> Result<(), PushError>;
}

/// The providers an operator configured; routes each target to the one of its kind.
#[derive(Debug, Default)]
pub struct Pushers {
    /// Web Push.
    pub webpush: Option<webpush::WebPush>,
    /// FCM.
    pub fcm: Option<fcm::Fcm>,
    /// APNs.
    pub apns: Option<apns::Apns>,
}

impl Pushers {
    /// Whether targets of this kind (`webpush`, `fcm`, `apns`) can be sent to.
    pub fn supports(&self, kind: &str) -> bool {
        match kind {
            "webpush" => self.webpush.is_some(),
            "fcm" => self.fcm.is_some(),
            "apns" => self.apns.is_some(),
            _ => false,
        }
    }
}

#[async_trait::async_trait]
impl PushProvider for Pushers {
    async fn send(&self, target: &Target, message: &Message) -> Result<(), PushError> {
        let not = || PushError::Invalid(format!("{} is not configured", target.kind()));
        match target {
            Target::WebPush { .. } => {
                self.webpush
                    .as_ref()
                    .ok_or_else(not)?
                    .send(target, message)
                    .await
            }
            Target::Fcm { .. } => {
                self.fcm
                    .as_ref()
                    .ok_or_else(not)?
                    .send(target, message)
                    .await
            }
            Target::Apns { .. } => {
                self.apns
                    .as_ref()
                    .ok_or_else(not)?
                    .send(target, message)
                    .await
            }
        }
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The HTTP client every provider uses unless given one: no redirects, no proxy, a time limit.
pub fn default_client(timeout: Duration) -> Result<reqwest::Client, PushError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("dojang-push/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| PushError::Transport(e.to_string()))
}

/// rustls needs a process-wide provider; *ring*, as everywhere in dojang.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub(crate) fn transport(e: reqwest::Error) -> PushError {
    // Without the URL: it addresses one person's phone.
    PushError::Transport(e.without_url().to_string())
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
