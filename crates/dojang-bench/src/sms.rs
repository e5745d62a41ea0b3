//! Receives the one-time codes the server sends through its HTTP SMS gateway
//! (`[sms] gateway = "http"`), so enrolment runs exactly as in production.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use tokio::sync::Notify;

use crate::{Result, fail};

#[derive(Debug, Default)]
struct Inbox {
    texts: Mutex<HashMap<String, String>>,
    arrived: Notify,
}

/// An HTTP endpoint accepting `{"from","to","text"}` and keeping the latest text per phone.
#[derive(Debug, Clone)]
pub struct SmsReceiver {
    url: String,
    inbox: Arc<Inbox>,
}

#[derive(serde::Deserialize)]
struct Sms {
    to: String,
    text: String,
}

async fn receive(State(inbox): State<Arc<Inbox>>, Json(sms): Json<Sms>) -> &'static str {
    inbox
        .texts
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(sms.to, sms.text);
    inbox.arrived.notify_waiters();
    "ok"
}

impl SmsReceiver {
    /// Listen on `addr` (`127.0.0.1:0` for any free port).
    pub async fn start(addr: &str) -> Result<Self> {
        let inbox = Arc::new(Inbox::default());
        let app = Router::new()
            .route("/sms", post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}/sms", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, inbox })
    }

    /// The URL to configure as `sms.url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Wait for a message to `phone` and return the six-digit code in it (consuming it).
    pub async fn code_for(&self, phone: &str, timeout: Duration) -> Result<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.inbox.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let text = self
                .inbox
                .texts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(phone);
            if let Some(text) = text {
                return six_digits(&text)
                    .ok_or_else(|| crate::BenchError(format!("no code in SMS {text:?}")));
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return fail(format!("no SMS to {phone} within {timeout:?}"));
            }
        }
    }
}

/// The first run of exactly six digits.
fn six_digits(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut run = String::new();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            run.push(*c);
        } else {
            run.clear();
        }
        let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if run.len() == 6 && !next_is_digit {
            return Some(run);
        }
    }
    None
}
