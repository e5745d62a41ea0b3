//! Prometheus metrics (docs/operations.md, "Metrics and health"): every name dojang records,
//! the process's recorder, and the separate listener that serves `/metrics`.
//!
//! Recording goes through the `metrics` facade; `metrics-exporter-prometheus` renders the text
//! format. The recorder is installed only when `[metrics] listen` is set, so a server without
//! it pays nothing (the facade's calls are no-ops). Names and labels are fixed here and
//! nowhere else, and every label's values come from a closed set (route templates, kinds,
//! error codes), so a scrape's size does not grow with traffic.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Buckets of every latency histogram, seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process's recorder (once; later calls return the same handle). `None` when
/// another recorder was installed first, which only a program embedding dojang can do.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .and_then(|b| b.install_recorder());
            match built {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: no recorder installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "dojang_http_requests_total",
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        "dojang_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route template and method"
    );
    describe_counter!(
        "dojang_api_errors_total",
        "API errors answered, by dojang error code (docs/errors.md)"
    );
    describe_counter!(
        "dojang_requests_created_total",
        "Requests accepted from relying parties, by kind and dialect"
    );
    describe_counter!(
        "dojang_request_events_total",
        "Request state changes made by this instance, by kind and event (signed, declined, cancelled, failed, expired, verified)"
    );
    describe_counter!(
        "dojang_push_published_total",
        "New requests published to live device connections, by result (delivered: at least one connection of the person on this instance; offline: none)"
    );
    describe_counter!(
        "dojang_push_sent_total",
        "Background pushes (Web Push, FCM, APNs), by kind and result (delivered, gone, rate_limited, failed)"
    );
    describe_histogram!(
        "dojang_push_send_duration_seconds",
        Unit::Seconds,
        "Time for a push service to answer one background push, by kind"
    );
    describe_gauge!(
        "dojang_push_connections",
        "Device WebSocket connections open on this instance"
    );
    describe_counter!(
        "dojang_webhook_attempts_total",
        "Webhook deliveries attempted, by result (delivered, failed)"
    );
    describe_counter!(
        "dojang_webhook_give_ups_total",
        "Webhook events given up after the last attempt"
    );
    describe_gauge!(
        "dojang_webhook_queue_depth",
        "Webhook events waiting for delivery (read at scrape)"
    );
    describe_counter!(
        "dojang_sms_sent_total",
        "One-time codes handed to the SMS gateway, by result (sent, failed)"
    );
    describe_counter!(
        "dojang_bank_deposits_total",
        "1-won deposits asked of the bank gateway, by result (sent, refused, failed)"
    );
    describe_counter!(
        "dojang_certificates_issued_total",
        "Certificates issued, by kind (app, cloud) and proof (sms, bank, desk)"
    );
    describe_counter!(
        "dojang_certificates_revoked_total",
        "Certificates revoked, by who (holder, operator, pin_lock, superseded)"
    );
    describe_gauge!(
        "dojang_db_connections",
        "Open database connections (SQLite: the executor's one)"
    );
    describe_gauge!(
        "dojang_db_connections_idle",
        "Idle database connections (PostgreSQL's pool)"
    );
    describe_gauge!(
        "dojang_sqlite_queue_jobs",
        "Jobs waiting for the SQLite executor's thread"
    );
}

tokio::task_local! {
    /// The API dialect of the HTTP request being answered (set by [`track`]).
    static DIALECT: &'static str;
}

/// The dialect a route belongs to, from its template.
fn dialect_of(route: &str) -> &'static str {
    let first = route
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    match first {
        "v1" => "native",
        "KAKAO" | "NAVER" | "PASS" | "TOSS" | "BAROCERT" => "barocert",
        "SignToken" | "SignIdentity" | "SignDirectDebit" | "KAKAOCERT" => "kakaocert",
        "device" => "device",
        "cloud" => "cloud",
        "pki" => "pki",
        _ => "pages",
    }
}

/// The dialect of the HTTP request this task is answering (`internal` outside one, and when
/// metrics are off).
pub fn current_dialect() -> &'static str {
    DIALECT.try_with(|d| *d).unwrap_or("internal")
}

/// Middleware: count and time every request by its route template (never the raw path, which
/// carries ids), and make its dialect known to the services it calls.
pub async fn track(req: Request, next: Next) -> Response {
    // Without the recorder nothing would be kept: no copies, no scope.
    if !matches!(HANDLE.get(), Some(Some(_))) {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
        .to_owned();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = DIALECT.scope(dialect_of(&route), next.run(req)).await;
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed();
    metrics::counter!("dojang_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("dojang_http_request_duration_seconds", "route" => route, "method" => method)
        .record(elapsed.as_secs_f64());
    response
}

/// An API error answered.
pub fn api_error(code: i64) {
    metrics::counter!("dojang_api_errors_total", "code" => code.to_string()).increment(1);
}

/// A relying party's request was accepted.
pub fn request_created(kind: &'static str) {
    metrics::counter!("dojang_requests_created_total", "kind" => kind, "dialect" => current_dialect())
        .increment(1);
}

/// A request changed state here (the webhook's events: signed, declined, cancelled, failed,
/// expired, verified).
pub fn request_event(kind: &'static str, event: &'static str) {
    metrics::counter!("dojang_request_events_total", "kind" => kind, "event" => event).increment(1);
}

/// A new request was published to the person's live connections on this instance.
pub fn push_published(delivered: usize) {
    let result = if delivered > 0 {
        "delivered"
    } else {
        "offline"
    };
    metrics::counter!("dojang_push_published_total", "result" => result).increment(1);
}

/// A background push was answered by its push service (`took`: from sending to its answer):
/// `delivered`, `gone` (subscription dropped), `rate_limited` or `failed`.
pub fn push_sent(kind: &'static str, result: &'static str, took: Duration) {
    metrics::counter!("dojang_push_sent_total", "kind" => kind, "result" => result).increment(1);
    metrics::histogram!("dojang_push_send_duration_seconds", "kind" => kind)
        .record(took.as_secs_f64());
}

/// A webhook delivery was attempted.
pub fn webhook_attempt(delivered: bool) {
    let result = if delivered { "delivered" } else { "failed" };
    metrics::counter!("dojang_webhook_attempts_total", "result" => result).increment(1);
}

/// A webhook event was given up.
pub fn webhook_given_up() {
    metrics::counter!("dojang_webhook_give_ups_total").increment(1);
}

/// An SMS was handed to the gateway.
pub fn sms_sent(ok: bool) {
    let result = if ok { "sent" } else { "failed" };
    metrics::counter!("dojang_sms_sent_total", "result" => result).increment(1);
}

/// A 1-won deposit was asked of the bank gateway: `sent`, `refused` (the bank refused the
/// account) or `failed`.
pub fn bank_deposit(result: &'static str) {
    metrics::counter!("dojang_bank_deposits_total", "result" => result).increment(1);
}

/// A certificate was issued.
pub fn certificate_issued(kind: &'static str, proof: &'static str) {
    metrics::counter!("dojang_certificates_issued_total", "kind" => kind, "proof" => proof)
        .increment(1);
}

/// A certificate was revoked.
pub fn certificate_revoked(by: &'static str) {
    metrics::counter!("dojang_certificates_revoked_total", "by" => by).increment(1);
}

/// The metrics listener's routes: `/metrics` (and `/healthz`, `/readyz` for probes that use
/// this port).
pub fn router(state: AppState, handle: &'static PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move |State(s): State<AppState>| scrape(s, handle)),
        )
        .route(
            dojang_proto::paths::HEALTH,
            get(crate::http::pki::health_probe),
        )
        .route(
            dojang_proto::paths::READY,
            get(crate::http::pki::ready_probe),
        )
        .with_state(state)
}

async fn scrape(s: AppState, handle: &'static PrometheusHandle) -> Response {
    // Gauges read now, from their source.
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    {
        metrics::gauge!("dojang_push_connections").set(s.push.connections() as f64);
        let pool = s.store.pool_stats();
        metrics::gauge!("dojang_db_connections").set(f64::from(pool.connections));
        metrics::gauge!("dojang_db_connections_idle").set(f64::from(pool.idle));
        metrics::gauge!("dojang_sqlite_queue_jobs").set(pool.queued as f64);
        match s.store.webhook_queue_depth().await {
            Ok(n) => metrics::gauge!("dojang_webhook_queue_depth").set(n as f64),
            Err(e) => tracing::warn!(error = %e, "metrics: webhook queue depth unreadable"),
        }
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::dialect_of;

    #[test]
    fn routes_name_their_dialect() {
        assert_eq!(dialect_of("/v1/identity"), "native");
        assert_eq!(dialect_of("/KAKAO/{service}/{client_code}"), "barocert");
        assert_eq!(dialect_of("/SignIdentity/Request"), "kakaocert");
        assert_eq!(dialect_of("/device/v1/requests"), "device");
        assert_eq!(dialect_of("/login/{id}"), "pages");
        assert_eq!(dialect_of("(unmatched)"), "pages");
    }
}
