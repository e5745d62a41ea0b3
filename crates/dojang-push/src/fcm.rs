//! Firebase Cloud Messaging, HTTP v1 API.
//!
//! Authentication is Google's OAuth2 JWT-bearer grant (RFC 7523): an RS256 assertion signed with
//! the service account's key, exchanged at its `token_uri` for an access token, cached until a
//! minute before it expires. Messages are `data` messages (the app decides what to show), with
//! the Android TTL, priority and collapse key taken from the [`Message`].

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::jwt::{pem_der, sign_rs256};
use crate::{Message, PushError, PushProvider, Target, Urgency, transport, unix_now};

/// The OAuth2 scope FCM needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// FCM's API base.
pub const DEFAULT_API_BASE: &str = "https://fcm.googleapis.com";
/// Largest `data` payload FCM takes.
pub const MAX_PAYLOAD: usize = 4000;
/// An access token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// The fields of a Google service-account JSON key file that FCM needs.
#[derive(Clone, Deserialize)]
pub struct ServiceAccount {
    /// The Firebase project.
    pub project_id: String,
    /// The account's e-mail (the assertion's issuer).
    pub client_email: String,
    /// The account's RSA key, PKCS#8 PEM.
    pub private_key: String,
    /// Where access tokens are issued (`https://oauth2.googleapis.com/token`).
    pub token_uri: String,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("private_key", &"***")
            .field("token_uri", &self.token_uri)
            .finish()
    }
}

impl ServiceAccount {
    /// Parse the JSON key file.
    pub fn from_json(json: &str) -> Result<Self, PushError> {
        serde_json::from_str(json)
            .map_err(|e| PushError::Invalid(format!("service account JSON: {e}")))
    }
}

/// The FCM sender.
#[derive(Debug)]
pub struct Fcm {
    account: ServiceAccount,
    key: ring::signature::RsaKeyPair,
    api_base: String,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

impl Fcm {
    /// A sender for `account`, posting to `api_base` (normally [`DEFAULT_API_BASE`]; the token
    /// endpoint is the account's `token_uri`).
    pub fn new(
        account: ServiceAccount,
        api_base: impl Into<String>,
        http: reqwest::Client,
    ) -> Result<Self, PushError> {
        let der = pem_der(&account.private_key, "PRIVATE KEY")
            .ok_or_else(|| PushError::Invalid("private_key is not a PKCS#8 PEM".into()))?;
        let key = ring::signature::RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| PushError::Invalid(format!("private_key: {e}")))?;
        Ok(Self {
            account,
            key,
            api_base: api_base.into().trim_end_matches('/').to_owned(),
            http,
            token: Mutex::new(None),
        })
    }

    /// An access token: the cached one, or a new one from the token endpoint.
    async fn access_token(&self) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        #[derive(Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            scope: &'a str,
            aud: &'a str,
            iat: u64,
            exp: u64,
        }
        let iat = unix_now();
        let assertion = sign_rs256(
            &self.key,
            &serde_json::json!({"alg": "RS256", "typ": "JWT"}),
            &Claims {
                iss: &self.account.client_email,
                scope: SCOPE,
                aud: &self.account.token_uri,
                iat,
                exp: iat + 3600,
            },
        )
        .map_err(PushError::Invalid)?;
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
            .append_pair("assertion", &assertion)
            .finish();
        let resp = self
            .http
            .post(&self.account.token_uri)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(transport)?;
        if !resp.status().is_success() {
            return Err(PushError::Rejected(resp.status().as_u16()));
        }
        let answer: TokenAnswer = resp.json().await.map_err(transport)?;
        let until =
            Instant::now() + Duration::from_secs(answer.expires_in).saturating_sub(RENEW_BEFORE);
        *cached = Some((answer.access_token.clone(), until));
        Ok(answer.access_token)
    }
}

#[async_trait::async_trait]
impl PushProvider for Fcm {
    async fn send(&self, target: &Target, message: &Message) -> Result<(), PushError> {
        let Target::Fcm { token } = target else {
            return Err(PushError::Invalid("not an FCM target".into()));
        };
        if token.is_empty() || token.len() > 4096 {
            return Err(PushError::Invalid(
                "the FCM token is empty or too long".into(),
            ));
        }
        let payload = std::str::from_utf8(&message.payload)
            .map_err(|_| PushError::Invalid("FCM data must be UTF-8".into()))?;
        if payload.len() > MAX_PAYLOAD {
            return Err(PushError::Invalid(format!(
                "the payload is {} bytes; FCM carries at most {MAX_PAYLOAD}",
                payload.len()
            )));
        }
        let mut android = serde_json::json!({
            "ttl": format!("{}s", message.ttl.as_secs()),
            "priority": if message.urgency == Urgency::High { "HIGH" } else { "NORMAL" },
        });
        if let (Some(t), Some(obj)) = (&message.topic, android.as_object_mut()) {
            obj.insert("collapse_key".into(), t.clone().into());
        }
        let body = serde_json::json!({
            "message": {
                "token": token,
                "data": { "payload": payload },
                "android": android,
            }
        });
        let access = self.access_token().await?;
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            self.api_base, self.account.project_id
        );
        let resp = self
            .http
            .post(url)
            .bearer_auth(access)
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        if status == 429 {
            return Err(PushError::RateLimited {
                retry_after: crate::retry_after(resp.headers()),
            });
        }
        if status == 401 {
            // The token was revoked or expired early: fetch a new one next time.
            *self.token.lock().await = None;
        }
        let text = resp.text().await.unwrap_or_default();
        if status == 404 || text.contains("\"UNREGISTERED\"") {
            return Err(PushError::Gone);
        }
        Err(PushError::Rejected(status))
    }
}
