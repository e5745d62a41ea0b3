//! The RFC 8030 push-service stand-in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use p256::elliptic_curve::Generate as _;

use super::{Task, lock, now};
use crate::jwt::{b64, verify};
use crate::webpush::{MAX_BODY, decrypt, valid_topic};
use crate::{Target, Urgency};

/// A message the service accepted, decrypted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The plaintext the browser would see.
    pub plaintext: Vec<u8>,
    /// The `TTL` header.
    pub ttl: u64,
    /// The `Urgency` header, if sent.
    pub urgency: Option<Urgency>,
    /// The `Topic` header, if sent.
    pub topic: Option<String>,
    /// The VAPID JWT's `sub`.
    pub subject: String,
}

/// A browser-side subscription made against the stand-in: what `PushSubscription.toJSON()` gives.
#[derive(Debug, Clone)]
pub struct TestSubscription {
    /// Its id in the service.
    pub id: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// base64url of the browser's public key.
    pub p256dh: String,
    /// base64url of the auth secret.
    pub auth: String,
}

impl TestSubscription {
    /// As a [`Target`].
    pub fn target(&self) -> Target {
        Target::WebPush {
            endpoint: self.endpoint.clone(),
            p256dh: self.p256dh.clone(),
            auth: self.auth.clone(),
        }
    }
}

struct Sub {
    private: p256::SecretKey,
    auth: [u8; 16],
    application_server_key: Vec<u8>,
    answer: Option<(u16, Option<u64>)>,
    received: Vec<Received>,
}

#[derive(Default)]
struct Inner {
    origin: String,
    subs: Mutex<HashMap<String, Sub>>,
    refusals: Mutex<Vec<String>>,
}

/// The push-service stand-in, listening on 127.0.0.1 until dropped.
pub struct WebPushService {
    inner: Arc<Inner>,
    _task: Task,
}

impl std::fmt::Debug for WebPushService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebPushService({})", self.inner.origin)
    }
}

impl WebPushService {
    /// Start listening on a free port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner {
            origin,
            ..Inner::default()
        });
        let app = Router::new()
            .route("/push/{id}", post(deliver))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            inner,
            _task: Task(task),
        })
    }

    /// `http://127.0.0.1:<port>`: the origin a VAPID `aud` must name.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// A new subscription bound to the application server key (`applicationServerKey`), as a
    /// browser's `pushManager.subscribe` makes one.
    pub fn subscribe(&self, application_server_key: &[u8]) -> TestSubscription {
        use rand::RngExt as _;
        let private = p256::SecretKey::generate_from_rng(&mut rand::rng());
        let auth: [u8; 16] = rand::rng().random();
        let id = b64::encode(rand::rng().random::<[u8; 12]>());
        let sub = TestSubscription {
            id: id.clone(),
            endpoint: format!("{}/push/{id}", self.inner.origin),
            p256dh: b64::encode(private.public_key().to_sec1_bytes()),
            auth: b64::encode(auth),
        };
        lock(&self.inner.subs).insert(
            id,
            Sub {
                private,
                auth,
                application_server_key: application_server_key.to_vec(),
                answer: None,
                received: Vec::new(),
            },
        );
        sub
    }

    /// From now on answer every message for `id` with `status` (404/410: gone; 429 with
    /// `Retry-After: retry_after`); `None` restores normal delivery.
    pub fn answer(&self, id: &str, answer: Option<(u16, Option<u64>)>) {
        if let Some(s) = lock(&self.inner.subs).get_mut(id) {
            s.answer = answer;
        }
    }

    /// The messages accepted for `id`, decrypted, oldest first.
    pub fn received(&self, id: &str) -> Vec<Received> {
        lock(&self.inner.subs)
            .get(id)
            .map(|s| s.received.clone())
            .unwrap_or_default()
    }

    /// Why messages were refused, in order ("401: exp in the past", …).
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.inner.refusals).clone()
    }
}

fn refuse(inner: &Inner, status: StatusCode, why: &str) -> Response {
    lock(&inner.refusals).push(format!("{}: {why}", status.as_u16()));
    (status, why.to_owned()).into_response()
}

fn hdr<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `vapid t=<jwt>, k=<key>` (RFC 8292 §3): the two parameters, in any order.
fn vapid_params(value: &str) -> Option<(String, String)> {
    let rest = value.strip_prefix("vapid ")?;
    let (mut t, mut k) = (None, None);
    for part in rest.split(',') {
        let (name, v) = part.trim().split_once('=')?;
        match name.trim() {
            "t" => t = Some(v.trim().to_owned()),
            "k" => k = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    Some((t?, k?))
}

async fn deliver(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (app_key, answer) = match lock(&inner.subs).get(&id) {
        Some(s) => (s.application_server_key.clone(), s.answer),
        None => return refuse(&inner, StatusCode::NOT_FOUND, "no such subscription"),
    };
    // VAPID (RFC 8292).
    let Some((t, k)) = hdr(&headers, "authorization").and_then(vapid_params) else {
        return refuse(&inner, StatusCode::UNAUTHORIZED, "no vapid authorization");
    };
    let Some(k) = b64::decode(&k) else {
        return refuse(&inner, StatusCode::UNAUTHORIZED, "k is not base64url");
    };
    if k != app_key {
        return refuse(
            &inner,
            StatusCode::FORBIDDEN,
            "k is not the key the subscription was made with",
        );
    }
    let jwt = match verify(&t, "ES256", &k) {
        Ok(v) => v,
        Err(e) => return refuse(&inner, StatusCode::UNAUTHORIZED, &format!("jwt: {e}")),
    };
    if jwt.claims.get("aud").and_then(|a| a.as_str()) != Some(inner.origin.as_str()) {
        return refuse(&inner, StatusCode::UNAUTHORIZED, "aud is not this origin");
    }
    let Some(exp) = jwt.claims.get("exp").and_then(serde_json::Value::as_i64) else {
        return refuse(&inner, StatusCode::UNAUTHORIZED, "no exp");
    };
    if exp <= now() {
        return refuse(&inner, StatusCode::UNAUTHORIZED, "exp in the past");
    }
    if exp > now() + 24 * 3600 {
        return refuse(
            &inner,
            StatusCode::UNAUTHORIZED,
            "exp more than 24 hours ahead",
        );
    }
    let subject = match jwt.claims.get("sub").and_then(|s| s.as_str()) {
        Some(s) if s.starts_with("mailto:") || s.starts_with("https:") => s.to_owned(),
        _ => {
            return refuse(
                &inner,
                StatusCode::UNAUTHORIZED,
                "sub is not a mailto: or https: URI",
            );
        }
    };
    // RFC 8030 headers.
    let Some(ttl) = hdr(&headers, "ttl").and_then(|v| v.parse::<u64>().ok()) else {
        return refuse(
            &inner,
            StatusCode::BAD_REQUEST,
            "TTL missing or not a number",
        );
    };
    let urgency = match hdr(&headers, "urgency") {
        None => None,
        Some(u) => match Urgency::parse(u) {
            Some(u) => Some(u),
            None => return refuse(&inner, StatusCode::BAD_REQUEST, "bad Urgency"),
        },
    };
    let topic = match hdr(&headers, "topic") {
        None => None,
        Some(t) if valid_topic(t) => Some(t.to_owned()),
        Some(_) => return refuse(&inner, StatusCode::BAD_REQUEST, "bad Topic"),
    };
    if hdr(&headers, "content-encoding") != Some("aes128gcm") {
        return refuse(
            &inner,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Encoding is not aes128gcm",
        );
    }
    if body.len() > MAX_BODY {
        return refuse(
            &inner,
            StatusCode::PAYLOAD_TOO_LARGE,
            "body over 4096 bytes",
        );
    }
    // A service told to answer otherwise does so once the request itself is sound.
    if let Some((status, retry)) = answer {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        lock(&inner.refusals).push(format!("{}: as told", status.as_u16()));
        let mut resp = status.into_response();
        if let Some(r) = retry
            && let Ok(v) = r.to_string().parse()
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let mut subs = lock(&inner.subs);
    let Some(sub) = subs.get_mut(&id) else {
        drop(subs);
        return refuse(&inner, StatusCode::GONE, "subscription dropped meanwhile");
    };
    let plaintext = match decrypt(&sub.private, &sub.auth, &body) {
        Ok(p) => p,
        Err(e) => {
            drop(subs);
            return refuse(&inner, StatusCode::BAD_REQUEST, &format!("decrypt: {e}"));
        }
    };
    sub.received.push(Received {
        plaintext,
        ttl,
        urgency,
        topic,
        subject,
    });
    let n = sub.received.len();
    drop(subs);
    let location = format!("{}/message/{id}/{n}", inner.origin);
    (StatusCode::CREATED, [(header::LOCATION, location)]).into_response()
}
