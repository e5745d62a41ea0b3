//! The FCM HTTP v1 stand-in: Google's token endpoint and `messages:send`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{Task, lock, now};
use crate::fcm::SCOPE;
use crate::jwt::{b64, verify};

#[derive(Default)]
struct Inner {
    base: String,
    project_id: String,
    client_email: String,
    public_key: Vec<u8>,
    access_tokens: Mutex<HashMap<String, i64>>,
    issued: Mutex<usize>,
    registered: Mutex<HashSet<String>>,
    unregistered: Mutex<HashSet<String>>,
    rate_limited: Mutex<HashMap<String, u64>>,
    received: Mutex<Vec<Value>>,
    refusals: Mutex<Vec<String>>,
}

/// The FCM stand-in, listening on 127.0.0.1 until dropped.
pub struct FcmService {
    inner: Arc<Inner>,
    _task: Task,
}

impl std::fmt::Debug for FcmService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FcmService({})", self.inner.base)
    }
}

impl FcmService {
    /// Start for one project and service account, whose RSA public key (PKCS#1 `RSAPublicKey`
    /// DER) checks the assertions.
    pub async fn start(
        project_id: &str,
        client_email: &str,
        public_key: Vec<u8>,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner {
            base,
            project_id: project_id.to_owned(),
            client_email: client_email.to_owned(),
            public_key,
            ..Inner::default()
        });
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1/projects/{*rest}", post(send))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            inner,
            _task: Task(task),
        })
    }

    /// The API base (`messages:send` lives under it).
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    /// The token endpoint (the service account's `token_uri`).
    pub fn token_uri(&self) -> String {
        format!("{}/token", self.inner.base)
    }

    /// A registration token an app got.
    pub fn register(&self, token: &str) {
        lock(&self.inner.registered).insert(token.to_owned());
    }

    /// The app was uninstalled: the token answers 404 `UNREGISTERED`.
    pub fn unregister(&self, token: &str) {
        lock(&self.inner.unregistered).insert(token.to_owned());
    }

    /// Messages to `token` answer 429 with `Retry-After: secs`.
    pub fn rate_limit(&self, token: &str, secs: u64) {
        lock(&self.inner.rate_limited).insert(token.to_owned(), secs);
    }

    /// Every `message` accepted, oldest first.
    pub fn received(&self) -> Vec<Value> {
        lock(&self.inner.received).clone()
    }

    /// How many access tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        *lock(&self.inner.issued)
    }

    /// Why calls were refused.
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.inner.refusals).clone()
    }
}

fn refuse(inner: &Inner, status: StatusCode, body: Value, why: &str) -> Response {
    lock(&inner.refusals).push(format!("{}: {why}", status.as_u16()));
    (status, Json(body)).into_response()
}

fn grant_error(inner: &Inner, why: &str) -> Response {
    refuse(
        inner,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_grant", "error_description": why}),
        why,
    )
}

async fn token(
    State(inner): State<Arc<Inner>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return refuse(
            &inner,
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
            "grant_type",
        );
    }
    let Some(assertion) = form.get("assertion") else {
        return grant_error(&inner, "no assertion");
    };
    let jwt = match verify(assertion, "RS256", &inner.public_key) {
        Ok(j) => j,
        Err(e) => return grant_error(&inner, &format!("assertion: {e}")),
    };
    let c = &jwt.claims;
    let s = |k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if s("iss") != inner.client_email {
        return grant_error(&inner, "iss is not the service account");
    }
    if s("aud") != format!("{}/token", inner.base) {
        return grant_error(&inner, "aud is not the token endpoint");
    }
    if !s("scope").split(' ').any(|x| x == SCOPE) {
        return grant_error(&inner, "scope lacks firebase.messaging");
    }
    let (Some(iat), Some(exp)) = (
        c.get("iat").and_then(Value::as_i64),
        c.get("exp").and_then(Value::as_i64),
    ) else {
        return grant_error(&inner, "iat or exp missing");
    };
    if iat > now() + 60 || exp <= now() || exp - iat > 3600 {
        return grant_error(&inner, "iat/exp out of range");
    }
    use rand::RngExt as _;
    let access = format!("ya29.{}", b64::encode(rand::rng().random::<[u8; 24]>()));
    lock(&inner.access_tokens).insert(access.clone(), now() + 3600);
    *lock(&inner.issued) += 1;
    Json(json!({"access_token": access, "expires_in": 3600, "token_type": "Bearer"}))
        .into_response()
}

fn fcm_error(
    inner: &Inner,
    status: StatusCode,
    st: &str,
    code: Option<&str>,
    why: &str,
) -> Response {
    let mut err = json!({"error": {"code": status.as_u16(), "message": why, "status": st}});
    if let (Some(code), Some(e)) = (code, err.get_mut("error")) {
        e["details"] = json!([{
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": code,
        }]);
    }
    refuse(inner, status, err, why)
}

async fn send(
    State(inner): State<Arc<Inner>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if rest != format!("{}/messages:send", inner.project_id) {
        return fcm_error(
            &inner,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            None,
            "no such project or method",
        );
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let valid = bearer
        .and_then(|b| lock(&inner.access_tokens).get(b).copied())
        .is_some_and(|until| until > now());
    if !valid {
        return fcm_error(
            &inner,
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            None,
            "bad bearer",
        );
    }
    let msg = body.get("message").cloned().unwrap_or(Value::Null);
    let Some(token) = msg.get("token").and_then(Value::as_str) else {
        return fcm_error(
            &inner,
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            "no token",
        );
    };
    if let Some(ttl) = msg.pointer("/android/ttl") {
        let ok = ttl
            .as_str()
            .and_then(|t| t.strip_suffix('s'))
            .is_some_and(|n| n.parse::<u64>().is_ok());
        if !ok {
            return fcm_error(
                &inner,
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                Some("INVALID_ARGUMENT"),
                "android.ttl",
            );
        }
    }
    if let Some(data) = msg.get("data")
        && !data
            .as_object()
            .is_some_and(|o| o.values().all(Value::is_string))
    {
        return fcm_error(
            &inner,
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            "data values must be strings",
        );
    }
    if lock(&inner.unregistered).contains(token) {
        return fcm_error(
            &inner,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            Some("UNREGISTERED"),
            "unregistered",
        );
    }
    if let Some(secs) = lock(&inner.rate_limited).get(token).copied() {
        lock(&inner.refusals).push("429: rate limited".into());
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            Json(json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "QUOTA_EXCEEDED"}]}})),
        )
            .into_response();
    }
    if !lock(&inner.registered).contains(token) {
        return fcm_error(
            &inner,
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            "not a registration token",
        );
    }
    let mut received = lock(&inner.received);
    received.push(msg);
    let n = received.len();
    drop(received);
    Json(json!({"name": format!("projects/{}/messages/{n}", inner.project_id)})).into_response()
}
