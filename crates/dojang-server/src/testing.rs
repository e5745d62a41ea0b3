//! Test-only helpers shared by unit tests of several modules.

use std::sync::Arc;

use axum::{Json, Router, extract::State, http::HeaderMap, routing::post};
use tokio::sync::Mutex;

/// What a recording receiver saw: each request's `Authorization` and JSON body.
pub type Seen = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

/// A real HTTP receiver on 127.0.0.1 that records every JSON POST to `path` and answers
/// `status` (an SMS carrier or bank provider stand-in). Returns its URL and what it saw.
pub async fn recorder(path: &'static str, status: u16) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route(
            path,
            post(
                |State((seen, status)): State<(Seen, u16)>,
                 h: HeaderMap,
                 Json(v): Json<serde_json::Value>| async move {
                    let auth = h
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    seen.lock().await.push((auth, v));
                    axum::http::StatusCode::from_u16(status).unwrap()
                },
            ),
        )
        .with_state((seen.clone(), status));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}{path}"), seen)
}
