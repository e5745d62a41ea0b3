//! The APNs stand-in: HTTP/2 only (h2c with prior knowledge; Apple's is HTTP/2 over TLS).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

use super::{Task, lock, now};
use crate::jwt::verify;

/// A notification APNs accepted.
#[derive(Debug, Clone)]
pub struct ApnsReceived {
    /// The device token.
    pub token: String,
    /// `apns-push-type`.
    pub push_type: String,
    /// `apns-expiration`.
    pub expiration: i64,
    /// `apns-priority`.
    pub priority: u8,
    /// `apns-collapse-id`, if sent.
    pub collapse_id: Option<String>,
    /// The JSON body.
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    team_id: String,
    key_id: String,
    public_key: Vec<u8>,
    topic: String,
    registered: Mutex<HashSet<String>>,
    unregistered: Mutex<HashSet<String>>,
    rate_limited: Mutex<HashMap<String, u64>>,
    received: Mutex<Vec<ApnsReceived>>,
    refusals: Mutex<Vec<String>>,
}

/// The APNs stand-in, listening on 127.0.0.1 until dropped.
pub struct ApnsService {
    base: String,
    inner: Arc<Inner>,
    _task: Task,
}

impl std::fmt::Debug for ApnsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApnsService({})", self.base)
    }
}

impl ApnsService {
    /// Start for one team, key (its 65-byte public point) and app (`topic`).
    pub async fn start(
        team_id: &str,
        key_id: &str,
        public_key: Vec<u8>,
        topic: &str,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner {
            team_id: team_id.to_owned(),
            key_id: key_id.to_owned(),
            public_key,
            topic: topic.to_owned(),
            ..Inner::default()
        });
        let app = Router::new()
            .route("/3/device/{token}", post(push))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let svc = hyper_util::service::TowerToHyperService::new(app.clone());
                tokio::spawn(async move {
                    // HTTP/2 only: an HTTP/1.1 request is a protocol error here, as at Apple.
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Ok(Self {
            base,
            inner,
            _task: Task(task),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A device token the app got.
    pub fn register(&self, token: &str) {
        lock(&self.inner.registered).insert(token.to_owned());
    }

    /// The app was removed: 410 `Unregistered`.
    pub fn unregister(&self, token: &str) {
        lock(&self.inner.unregistered).insert(token.to_owned());
    }

    /// Notifications to `token` answer 429 `TooManyRequests` with `Retry-After: secs`.
    pub fn rate_limit(&self, token: &str, secs: u64) {
        lock(&self.inner.rate_limited).insert(token.to_owned(), secs);
    }

    /// What was accepted.
    pub fn received(&self) -> Vec<ApnsReceived> {
        lock(&self.inner.received).clone()
    }

    /// Why requests were refused ("403: ExpiredProviderToken", …).
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.inner.refusals).clone()
    }
}

fn refuse(inner: &Inner, status: StatusCode, reason: &str) -> Response {
    lock(&inner.refusals).push(format!("{}: {reason}", status.as_u16()));
    (status, axum::Json(json!({"reason": reason}))).into_response()
}

fn hdr<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn push(
    State(inner): State<Arc<Inner>>,
    Path(token): Path<String>,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if version != Version::HTTP_2 {
        return refuse(&inner, StatusCode::BAD_REQUEST, "NotHttp2");
    }
    let Some(auth) = hdr(&headers, "authorization").and_then(|a| a.strip_prefix("bearer ")) else {
        return refuse(&inner, StatusCode::FORBIDDEN, "MissingProviderToken");
    };
    let jwt = match verify(auth, "ES256", &inner.public_key) {
        Ok(j) => j,
        Err(_) => return refuse(&inner, StatusCode::FORBIDDEN, "InvalidProviderToken"),
    };
    if jwt.header.get("kid").and_then(Value::as_str) != Some(inner.key_id.as_str())
        || jwt.claims.get("iss").and_then(Value::as_str) != Some(inner.team_id.as_str())
    {
        return refuse(&inner, StatusCode::FORBIDDEN, "InvalidProviderToken");
    }
    match jwt.claims.get("iat").and_then(Value::as_i64) {
        Some(iat) if iat <= now() + 60 && iat > now() - 3600 => {}
        _ => return refuse(&inner, StatusCode::FORBIDDEN, "ExpiredProviderToken"),
    }
    match hdr(&headers, "apns-topic") {
        None => return refuse(&inner, StatusCode::BAD_REQUEST, "MissingTopic"),
        Some(t) if t != inner.topic => {
            return refuse(&inner, StatusCode::BAD_REQUEST, "TopicDisallowed");
        }
        Some(_) => {}
    }
    let push_type = hdr(&headers, "apns-push-type")
        .unwrap_or_default()
        .to_owned();
    if ![
        "alert",
        "background",
        "voip",
        "complication",
        "fileprovider",
        "mdm",
        "liveactivity",
    ]
    .contains(&push_type.as_str())
    {
        return refuse(&inner, StatusCode::BAD_REQUEST, "InvalidPushType");
    }
    let Some(expiration) = hdr(&headers, "apns-expiration").and_then(|e| e.parse::<i64>().ok())
    else {
        return refuse(&inner, StatusCode::BAD_REQUEST, "BadExpirationDate");
    };
    let priority = match hdr(&headers, "apns-priority") {
        None => 10,
        Some("10") => 10,
        Some("5") => 5,
        Some("1") => 1,
        Some(_) => return refuse(&inner, StatusCode::BAD_REQUEST, "BadPriority"),
    };
    let collapse_id = hdr(&headers, "apns-collapse-id").map(str::to_owned);
    if collapse_id.as_ref().is_some_and(|c| c.len() > 64) {
        return refuse(&inner, StatusCode::BAD_REQUEST, "BadCollapseId");
    }
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return refuse(&inner, StatusCode::BAD_REQUEST, "BadDeviceToken");
    }
    if body.len() > 4096 {
        return refuse(&inner, StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge");
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return refuse(&inner, StatusCode::BAD_REQUEST, "PayloadEmpty");
    };
    if !json.get("aps").is_some_and(Value::is_object) {
        return refuse(&inner, StatusCode::BAD_REQUEST, "PayloadEmpty");
    }
    if lock(&inner.unregistered).contains(&token) {
        lock(&inner.refusals).push("410: Unregistered".into());
        return (
            StatusCode::GONE,
            axum::Json(json!({"reason": "Unregistered", "timestamp": now() * 1000})),
        )
            .into_response();
    }
    if let Some(secs) = lock(&inner.rate_limited).get(&token).copied() {
        lock(&inner.refusals).push("429: TooManyRequests".into());
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            axum::Json(json!({"reason": "TooManyRequests"})),
        )
            .into_response();
    }
    if !lock(&inner.registered).contains(&token) {
        return refuse(&inner, StatusCode::BAD_REQUEST, "BadDeviceToken");
    }
    lock(&inner.received).push(ApnsReceived {
        token,
        push_type,
        expiration,
        priority,
        collapse_id,
        body: json,
    });
    StatusCode::OK.into_response()
}
