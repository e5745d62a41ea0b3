//! Apple Push Notification service, token-based authentication, HTTP/2.
//!
//! The provider JWT (ES256, `kid` = the key's id, `iss` = the team id, `iat`) is made once and
//! reused for up to 50 minutes (Apple refuses tokens older than an hour and throttles ones renewed
//! more than every 20 minutes). Requests always go over HTTP/2: over TLS negotiated by ALPN as
//! Apple requires, and to an `http://` base URL with prior knowledge (h2c) — which only a local
//! test receiver speaks; Apple's servers are `https://api.push.apple.com` (production) and
//! `https://api.sandbox.push.apple.com` (development).

use std::time::{Duration, Instant};

use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey as _;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::jwt::sign_es256;
use crate::{Message, PushError, PushProvider, Target, Urgency, transport, unix_now};

/// Apple's production host.
pub const DEFAULT_BASE: &str = "https://api.push.apple.com";
/// A provider token is renewed after this long.
pub const TOKEN_REUSE: Duration = Duration::from_secs(50 * 60);
/// Largest notification payload APNs takes.
pub const MAX_PAYLOAD: usize = 4096;

/// What an operator configures for APNs.
#[derive(Clone)]
pub struct ApnsConfig {
    /// The Apple developer team id (the JWT's `iss`).
    pub team_id: String,
    /// The key's id (the JWT's `kid`).
    pub key_id: String,
    /// The `.p8` key: PKCS#8 PEM of a P-256 key.
    pub key_pem: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// `https://api.push.apple.com`, the sandbox, or a local receiver.
    pub base_url: String,
}

impl std::fmt::Debug for ApnsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsConfig")
            .field("team_id", &self.team_id)
            .field("key_id", &self.key_id)
            .field("key_pem", &"***")
            .field("topic", &self.topic)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// The APNs sender.
#[derive(Debug)]
pub struct Apns {
    config: ApnsConfig,
    key: SigningKey,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

impl Apns {
    /// A sender with its own HTTP/2 client (`timeout` per request).
    pub fn new(config: ApnsConfig, timeout: Duration) -> Result<Self, PushError> {
        let key = SigningKey::from_pkcs8_pem(&config.key_pem)
            .map_err(|_| PushError::Invalid("the APNs key is not a P-256 PKCS#8 PEM".into()))?;
        let url = url::Url::parse(&config.base_url)
            .map_err(|_| PushError::Invalid("the APNs base URL is not a URL".into()))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(PushError::Invalid("the APNs base URL must be https".into()));
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .http2_prior_knowledge()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| PushError::Transport(e.to_string()))?;
        Ok(Self {
            config: ApnsConfig {
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                ..config
            },
            key,
            http,
            token: Mutex::new(None),
        })
    }

    async fn provider_token(&self) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if let Some((t, made)) = cached.as_ref()
            && made.elapsed() < TOKEN_REUSE
        {
            return Ok(t.clone());
        }
        #[derive(Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            iat: u64,
        }
        let jwt = sign_es256(
            &self.key,
            &serde_json::json!({"alg": "ES256", "kid": self.config.key_id}),
            &Claims {
                iss: &self.config.team_id,
                iat: unix_now(),
            },
        )
        .map_err(PushError::Invalid)?;
        *cached = Some((jwt.clone(), Instant::now()));
        Ok(jwt)
    }
}

/// The notification body: an alert titled from the payload's `title` (when the payload is a
/// JSON object with one) and the payload itself under `dojang`, for the app.
fn body(payload: &[u8]) -> Result<Vec<u8>, PushError> {
    let data: serde_json::Value = serde_json::from_slice(payload)
        .unwrap_or_else(|_| String::from_utf8_lossy(payload).into_owned().into());
    let title = data
        .get("title")
        .and_then(|t| t.as_str())
        .unwrap_or("dojang")
        .to_owned();
    let b = serde_json::to_vec(&serde_json::json!({
        "aps": {"alert": {"title": title}, "sound": "default", "mutable-content": 1},
        "dojang": data,
    }))
    .map_err(|e| PushError::Invalid(e.to_string()))?;
    if b.len() > MAX_PAYLOAD {
        return Err(PushError::Invalid(format!(
            "the notification is {} bytes; APNs carries at most {MAX_PAYLOAD}",
            b.len()
        )));
    }
    Ok(b)
}

#[async_trait::async_trait]
impl PushProvider for Apns {
    async fn send(&self, target: &Target, message: &Message) -> Result<(), PushError> {
        let Target::Apns { token } = target else {
            return Err(PushError::Invalid("not an APNs target".into()));
        };
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PushError::Invalid(
                "the APNs token is not 64 hex digits".into(),
            ));
        }
        let body = body(&message.payload)?;
        let expiration = if message.ttl.is_zero() {
            0
        } else {
            unix_now() + message.ttl.as_secs()
        };
        let jwt = self.provider_token().await?;
        let mut req = self
            .http
            .post(format!("{}/3/device/{}", self.config.base_url, token))
            .header("authorization", format!("bearer {jwt}"))
            .header("apns-topic", &self.config.topic)
            .header("apns-push-type", "alert")
            .header("apns-expiration", expiration.to_string())
            .header(
                "apns-priority",
                if message.urgency == Urgency::High {
                    "10"
                } else {
                    "5"
                },
            )
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = &message.topic {
            req = req.header("apns-collapse-id", t);
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        if status == 200 {
            return Ok(());
        }
        if status == 429 {
            return Err(PushError::RateLimited {
                retry_after: crate::retry_after(resp.headers()),
            });
        }
        if status == 410 {
            return Err(PushError::Gone);
        }
        let reason = resp
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
            .unwrap_or_default();
        match (status, reason.as_str()) {
            (400, "BadDeviceToken") => Err(PushError::Invalid("BadDeviceToken".into())),
            (403, "ExpiredProviderToken" | "InvalidProviderToken") => {
                *self.token.lock().await = None;
                Err(PushError::Rejected(403))
            }
            _ => Err(PushError::Rejected(status)),
        }
    }
}
