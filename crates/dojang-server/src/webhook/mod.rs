//! Webhooks: every state change of a request is queued for the relying party's callback URL
//! (when it registered one with `dojang admin rp webhook set`) and POSTed, signed, by a
//! background worker that retries with exponential backoff for a day and logs every attempt.
//!
//! The queue lives in the database (`webhook_deliveries`), so a restart loses nothing queued
//! and several instances share the work: a worker leases due deliveries before sending them.
//! What is sent and how it is signed is `dojang_proto::webhook`; where it may be sent is
//! [`target`].

pub mod target;
mod worker;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_core::Request;
use dojang_proto::datetime::format_kst;
use dojang_proto::webhook::WebhookEvent;
use dojang_store::NewDelivery;
use rand::RngExt as _;
use tokio::sync::Notify;

use crate::cache::TtlCache;

use crate::config::Config;
use crate::service::Event;
use crate::state::AppState;

pub use worker::spawn;

/// Longest retry delay.
const MAX_DELAY: Duration = Duration::from_secs(3600);
/// How long "this relying party has (no) webhook" is remembered: a webhook set or cleared with
/// the admin command applies to events within this time. The URL and secret are always read
/// fresh at delivery.
const PRESENCE_TTL: Duration = Duration::from_secs(5);

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `insecure_allow_private_webhooks`.
    pub allow_private: bool,
    /// First retry delay.
    pub retry_base: Duration,
    /// How long a delivery is retried.
    pub retry_for: Duration,
    /// Time limit of one POST.
    pub timeout: Duration,
    /// POSTs in flight at once.
    pub concurrency: u32,
}

impl WebhookSettings {
    /// From the configuration (already validated).
    pub fn from_config(c: &Config) -> Self {
        Self {
            allow_private: c.insecure_allow_private_webhooks,
            retry_base: Duration::from_millis(c.webhooks.retry_base_ms),
            retry_for: Duration::from_secs(c.webhooks.retry_for_hours * 3600),
            timeout: Duration::from_secs(c.webhooks.timeout_secs),
            concurrency: c.webhooks.concurrency,
        }
    }

    /// The delay after the `attempt`-th failed POST (1 for the first): the base doubled each
    /// time, at most an hour, times `jitter` (0.8–1.2).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doubled = self
            .retry_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        doubled.min(MAX_DELAY).mul_f64(jitter.clamp(0.8, 1.2))
    }
}

/// The webhook sender of one server.
#[derive(Debug)]
pub struct Webhooks {
    /// How.
    pub settings: WebhookSettings,
    http: reqwest::Client,
    wake: Notify,
    present: TtlCache<String, bool>,
}

impl Webhooks {
    /// A sender: an HTTP client that never follows redirects, uses no proxy, and resolves
    /// names through the [`target::GuardedResolver`].
    pub fn new(settings: WebhookSettings) -> Result<Self, reqwest::Error> {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("dojang-webhook/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(target::GuardedResolver {
                allow_private: settings.allow_private,
            })
            .build()?;
        Ok(Self {
            settings,
            http,
            wake: Notify::new(),
            present: TtlCache::new(PRESENCE_TTL),
        })
    }

    /// Look for due deliveries now (after queueing one, or after a test moved the clock).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64url.
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The body POSTed for an event.
pub fn body(r: &Request, event: Event, at: time::OffsetDateTime) -> WebhookEvent {
    WebhookEvent {
        event: event.as_str().to_owned(),
        receipt_id: r.receipt_id.to_string(),
        kind: r.kind.wire(),
        client_code: r.client_code.to_string(),
        state: event.state().code(),
        occurred_dt: format_kst(at),
    }
}

/// Queue the event for the relying party's webhook, if it has one. A failure here is logged,
/// never passed to the caller: the state change it reports has happened and stays readable
/// through the status call.
pub async fn notify(state: &AppState, r: &Request, event: Event) {
    let key = r.client_code.to_string();
    let present = match state.webhooks.present.get(&key) {
        Some(p) => *p,
        None => match state.store.webhook(&r.client_code).await {
            Ok(found) => {
                let p = found.is_some();
                state.webhooks.present.put(key, std::sync::Arc::new(p));
                p
            }
            Err(e) => {
                tracing::error!(receipt = %r.receipt_id, error = %e, "webhook lookup failed; event not queued");
                return;
            }
        },
    };
    if !present {
        return;
    }
    let at = state.clock.now();
    let body = match serde_json::to_string(&body(r, event, at)) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "webhook body");
            return;
        }
    };
    let delivery = NewDelivery {
        client_code: r.client_code.clone(),
        receipt_id: r.receipt_id.to_string(),
        event: event.as_str().to_owned(),
        body,
        at,
    };
    match state.store.enqueue_delivery(&delivery).await {
        Ok(Some(id)) => {
            tracing::debug!(receipt = %r.receipt_id, delivery = id, event = event.as_str(), "webhook queued");
            state.webhooks.wake();
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(receipt = %r.receipt_id, error = %e, "webhook event not queued");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_an_hour() {
        let s = WebhookSettings::from_config(&Config::default());
        assert_eq!(s.delay(1, 1.0), Duration::from_secs(30));
        assert_eq!(s.delay(2, 1.0), Duration::from_secs(60));
        assert_eq!(s.delay(3, 1.0), Duration::from_secs(120));
        assert_eq!(s.delay(8, 1.0), Duration::from_secs(3600));
        assert_eq!(s.delay(40, 1.0), Duration::from_secs(3600));
        assert_eq!(s.delay(1, 5.0), Duration::from_secs(36), "jitter clamped");
        // 30 s doubling to an hour, then hourly: about 27 attempts in 24 hours.
        let mut t = Duration::ZERO;
        let mut n = 0;
        while t < s.retry_for {
            n += 1;
            t += s.delay(n, 1.0);
        }
        assert!((25..=30).contains(&n), "{n} attempts in a day");
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        let a = generate_secret();
        assert!(a.starts_with("whsec_"));
        assert_eq!(a.len(), 6 + 43);
        assert_ne!(a, generate_secret());
    }
}
