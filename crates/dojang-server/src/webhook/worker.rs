//! The background tasks: the delivery loop (lease due deliveries, POST them, record each
//! attempt and schedule the next) and the expiry sweep (announce requests whose time ran out:
//! withdraw their cards and queue their `expired` event; and about once a minute purge the
//! remembered signatures of create calls that can no longer be replayed).

use std::time::{Duration, Instant};

use dojang_proto::webhook::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header};
use dojang_store::{AfterAttempt, Attempt, Delivery};
use futures_util::StreamExt as _;
use rand::RngExt as _;
use tokio::task::JoinHandle;

use crate::service::{self, Event};
use crate::state::AppState;

/// How often the loops look for work when nothing woke them.
const IDLE: Duration = Duration::from_secs(1);
/// Sweep rounds (about a second each when idle) between purges of old request signatures.
const PURGE_EVERY: u32 = 60;
/// Requests announced per sweep round.
const SWEEP_BATCH: u32 = 500;
/// Longest error text kept per attempt.
const ERROR_MAX: usize = 300;

/// Start both loops; they stop when the server shuts down.
pub fn spawn(state: AppState) -> [JoinHandle<()>; 2] {
    [
        tokio::spawn(deliveries(state.clone())),
        tokio::spawn(sweep_expired(state)),
    ]
}

async fn idle(state: &AppState, woken: bool) -> bool {
    let shutdown = state.shutdown.clone();
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = state.webhooks.wake.notified(), if woken => true,
        () = tokio::time::sleep(IDLE) => true,
    }
}

async fn deliveries(state: AppState) {
    let settings = state.webhooks.settings.clone();
    // A lease outlives the POST it covers, so a delivery is never sent twice at once.
    let lease = settings.timeout * 2 + Duration::from_secs(5);
    loop {
        let now = state.clock.now();
        let due = match state
            .store
            .claim_deliveries(now, now + lease, settings.concurrency)
            .await
        {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read webhook deliveries");
                Vec::new()
            }
        };
        if due.is_empty() {
            if !idle(&state, true).await {
                return;
            }
            continue;
        }
        futures_util::stream::iter(due)
            .for_each_concurrent(None, |d| deliver(&state, d))
            .await;
        if state.shutdown.is_cancelled() {
            return;
        }
    }
}

/// One POST of one delivery, and what follows it.
async fn deliver(state: &AppState, d: Delivery) {
    let settings = &state.webhooks.settings;
    let at = state.clock.now();
    let attempt_no = d.attempts + 1;
    let hook = match state.store.webhook(&d.client_code).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(delivery = d.id, error = %e, "webhook lookup failed; will retry");
            return; // the lease runs out and the delivery is due again
        }
    };
    let started = Instant::now();
    let (url, status, error) = match &hook {
        None => (String::new(), None, Some("webhook removed".to_owned())),
        Some(h) => {
            let (status, error) = post(state, &d, &h.url, &h.secret, at).await;
            (h.url.clone(), status, error)
        }
    };
    let delivered = error.is_none();
    let after = if delivered {
        AfterAttempt::Delivered
    } else if hook.is_none() {
        AfterAttempt::GiveUp
    } else {
        let jitter = rand::rng().random_range(0.8..=1.2);
        let next = at + settings.delay(attempt_no, jitter);
        if next > d.created_at + settings.retry_for {
            AfterAttempt::GiveUp
        } else {
            AfterAttempt::RetryAt(next)
        }
    };
    let attempt = Attempt {
        delivery_id: d.id,
        attempt: attempt_no,
        at,
        url,
        status,
        error,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    crate::metrics::webhook_attempt(delivered);
    if matches!(after, AfterAttempt::GiveUp) {
        crate::metrics::webhook_given_up();
    }
    match after {
        AfterAttempt::Delivered => {
            tracing::info!(delivery = d.id, receipt = %d.receipt_id, event = %d.event, attempt = attempt_no, "webhook delivered");
        }
        AfterAttempt::RetryAt(next) => {
            tracing::info!(delivery = d.id, receipt = %d.receipt_id, error = ?attempt.error, retry_at = %next, "webhook attempt failed");
        }
        AfterAttempt::GiveUp => {
            tracing::warn!(delivery = d.id, receipt = %d.receipt_id, error = ?attempt.error, attempts = attempt_no, "webhook given up");
        }
    }
    if let Err(e) = state.store.record_attempt(&attempt, after).await {
        tracing::error!(delivery = d.id, error = %e, "webhook attempt not recorded");
    }
}

/// POST the body; the status received and, unless it was 2xx, what went wrong.
async fn post(
    state: &AppState,
    d: &Delivery,
    url: &str,
    secret: &str,
    at: time::OffsetDateTime,
) -> (Option<u16>, Option<String>) {
    let allow_private = state.webhooks.settings.allow_private;
    if let Err(e) = super::target::check_url(url, allow_private) {
        return (None, Some(e.to_string()));
    }
    let signature = signature_header(secret, at.unix_timestamp(), d.body.as_bytes());
    let sent = state
        .webhooks
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_HEADER, &d.event)
        .header(DELIVERY_HEADER, d.id.to_string())
        .body(d.body.clone())
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status();
            // The answer's body is not needed; dropping the response closes it.
            if status.is_success() {
                (Some(status.as_u16()), None)
            } else {
                (Some(status.as_u16()), Some(format!("HTTP {status}")))
            }
        }
        Err(e) => (None, Some(transport_error(&e))),
    }
}

/// A transport error in a line: the innermost cause says the most (refused, timed out, the
/// resolver's refusal of a private address).
fn transport_error(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if e.is_timeout() {
        text = "timed out".to_owned();
    } else {
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text = s.to_string();
            source = s.source();
        }
    }
    if text.len() > ERROR_MAX {
        let mut cut = ERROR_MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// Announce expired requests: withdraw their cards and queue their `expired` event, once
/// each (across instances too, through the store's conditional update).
async fn sweep_expired(state: AppState) {
    let mut rounds: u32 = 0;
    loop {
        let now = state.clock.now();
        // About once a minute: forget signed create calls whose date left the window (they
        // can no longer be replayed; `service::replay`).
        if rounds.is_multiple_of(PURGE_EVERY) {
            match state.store.purge_request_signatures(now).await {
                Ok(n) if n > 0 => tracing::debug!(purged = n, "old request signatures purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging request signatures failed"),
            }
            // Failed attempts older than every back-off's window (`service::throttle`).
            let before = now - service::throttle::LONGEST_WINDOW;
            if let Err(e) = state.store.purge_failures(before).await {
                tracing::warn!(error = %e, "purging failed attempts failed");
            }
        }
        rounds = rounds.wrapping_add(1);
        match state.store.announce_expired(now, SWEEP_BATCH).await {
            Ok(expired) => {
                let full = expired.len() == SWEEP_BATCH as usize;
                for r in &expired {
                    service::withdraw(&state, r, Event::Expired).await;
                }
                if full {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
        }
        if !idle(&state, false).await {
            return;
        }
    }
}
