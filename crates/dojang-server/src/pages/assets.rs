//! The stylesheet, scripts and icon, compiled into the binary and served under `/assets` with a
//! long cache lifetime (their URLs carry the crate version, so a new release is a new URL).
//! Every page declares the icon (`<link rel="icon">`); `/favicon.ico` answers it too, for what
//! browsers show without a page of ours (JSON, the API reference), so no request of a page
//! ends in a 404.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The assets: file name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "dojang.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dojang.css"),
    ),
    (
        "login.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/login.js"),
    ),
    (
        "page.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/page.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_str!("../../assets/icon.svg"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/console.js"),
    ),
    (
        "cloud.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/cloud.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/app.js"),
    ),
    (
        "der.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/der.js"),
    ),
    (
        "cloud-console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/cloud-console.js"),
    ),
];

/// The URL prefix of this build's assets.
pub const PREFIX: &str = concat!("/assets/", env!("CARGO_PKG_VERSION"));

/// The asset routes; generic over the state so the demo site serves them too.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(&format!("{PREFIX}/{{name}}"), get(asset))
        .route("/favicon.ico", get(favicon))
}

/// The icon where browsers look for it by default. An SVG, which every browser we support
/// reads by its content type whatever the URL's extension.
async fn favicon() -> Response {
    asset(Path("icon.svg".to_owned())).await
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "public, max-age=86400, immutable"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
