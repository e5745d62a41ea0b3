//! How one-time codes reach phones: the [`SmsGateway`] trait and its two implementations.
//!
//! * [`OutboxGateway`] (development and tests) keeps every message in the database, encrypted
//!   like all personal data; `dojang admin outbox` shows them.
//! * [`HttpGateway`] POSTs `{"from","to","text"}` to a configured URL with a bearer token: put a
//!   small adapter for a carrier's API (or the carrier's own JSON endpoint) behind it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dojang_core::{Clock, OutboxMessage, Phone};
use dojang_store::Store;

use crate::config::{SmsConfig, SmsGatewayKind};

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmsError {
    /// The database refused the outbox row.
    #[error("outbox: {0}")]
    Store(#[from] dojang_store::StoreError),
    /// The carrier could not be reached.
    #[error("carrier unreachable: {0}")]
    Transport(String),
    /// The carrier answered with an error status.
    #[error("carrier answered HTTP {0}")]
    Rejected(u16),
}

/// Sends text messages.
#[async_trait]
pub trait SmsGateway: Send + Sync + std::fmt::Debug {
    /// Send `text` to `to`.
    async fn send(&self, to: &Phone, text: &str) -> Result<(), SmsError>;
}

/// Keeps messages in the database instead of sending them.
#[derive(Debug)]
pub struct OutboxGateway {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl OutboxGateway {
    /// A gateway writing to `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[async_trait]
impl SmsGateway for OutboxGateway {
    async fn send(&self, to: &Phone, text: &str) -> Result<(), SmsError> {
        self.store
            .insert_outbox(&OutboxMessage {
                channel: "sms".into(),
                recipient: to.clone(),
                body: text.to_owned(),
                created_at: self.clock.now(),
            })
            .await?;
        Ok(())
    }
}

/// Sends through a carrier's HTTP API.
#[derive(Debug)]
pub struct HttpGateway {
    http: reqwest::Client,
    url: String,
    token: crate::config::Secret,
    sender: String,
}

impl HttpGateway {
    /// A gateway for `config` (which must be `gateway = "http"`).
    pub fn new(config: &SmsConfig) -> Result<Self, SmsError> {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .build()
            .map_err(|e| SmsError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            url: config.url.clone(),
            token: config.token.clone(),
            sender: config.sender.clone(),
        })
    }
}

#[async_trait]
impl SmsGateway for HttpGateway {
    async fn send(&self, to: &Phone, text: &str) -> Result<(), SmsError> {
        let body = serde_json::json!({ "from": self.sender, "to": to.as_str(), "text": text });
        let mut req = self.http.post(&self.url).json(&body);
        if !self.token.expose().is_empty() {
            req = req.bearer_auth(self.token.expose());
        }
        let res = req
            .send()
            .await
            .map_err(|e| SmsError::Transport(e.without_url().to_string()))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(SmsError::Rejected(res.status().as_u16()))
        }
    }
}

/// The gateway the configuration names.
pub fn from_config(
    config: &SmsConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn SmsGateway>, SmsError> {
    Ok(match config.gateway {
        SmsGatewayKind::Outbox => Arc::new(OutboxGateway::new(store, clock)),
        SmsGatewayKind::Http => Arc::new(HttpGateway::new(config)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn carrier(status: u16) -> (String, crate::testing::Seen) {
        crate::testing::recorder("/send", status).await
    }

    fn config(url: String) -> SmsConfig {
        SmsConfig {
            gateway: SmsGatewayKind::Http,
            url,
            token: crate::config::Secret::new("carrier-token"),
            sender: "1600-1234".into(),
            timeout_secs: 5,
        }
    }

    #[tokio::test]
    async fn http_gateway_posts_json_with_the_bearer_token() {
        let (url, seen) = carrier(202).await;
        let g = HttpGateway::new(&config(url)).unwrap();
        g.send(&Phone::parse("01012345678").unwrap(), "code 123456")
            .await
            .unwrap();
        let seen = seen.lock().await;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0.as_deref(), Some("Bearer carrier-token"));
        assert_eq!(
            seen[0].1,
            serde_json::json!({"from":"1600-1234","to":"01012345678","text":"code 123456"})
        );
    }

    #[tokio::test]
    async fn http_gateway_reports_refusals_and_unreachable_carriers() {
        let (url, _) = carrier(500).await;
        let g = HttpGateway::new(&config(url)).unwrap();
        let phone = Phone::parse("01012345678").unwrap();
        assert!(matches!(
            g.send(&phone, "x").await,
            Err(SmsError::Rejected(500))
        ));
        let g = HttpGateway::new(&config("http://127.0.0.1:9/send".into())).unwrap();
        assert!(matches!(
            g.send(&phone, "x").await,
            Err(SmsError::Transport(_))
        ));
    }
}
