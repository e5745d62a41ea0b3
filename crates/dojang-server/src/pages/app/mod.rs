//! The person's app on a phone (issue 16): an installable web app at `/app` that does what
//! `dojang-app` does — enrol (SMS code, bank account, registration desk), the pending list, the
//! live card, approve with the number and the PIN, decline, certificate status, renewal,
//! revocation, PIN change — speaking the same device API (`/device/v1/*`).
//!
//! The server renders one shell (`templates/app/page.html`, Korean or English); everything else
//! happens in the browser: `assets/app.js` drives the screens, `assets/der.js` writes the
//! PKCS#10 request and the CMS SignedData, and the service worker (`/app/sw.js`, from
//! `assets/app-sw.js`) keeps the shell for offline use and shows Web Push notifications. The
//! key, the PIN and the design of both are in docs/app.md.

mod words;

use askama::Template;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::i18n::{Lang, PageLang, Tr};
use super::web;
use crate::state::AppState;
pub use words::APP;

/// The service worker's script (served at [`SW_PATH`], not under `/assets`: a worker's scope
/// is bounded by its URL, and its URL must stay the same across releases).
const SW: &str = include_str!("../../../assets/app-sw.js");
/// Where the service worker is served.
pub const SW_PATH: &str = "/app/sw.js";
/// Where the manifest is served.
pub const MANIFEST_PATH: &str = "/app/manifest.webmanifest";

/// The app's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(page))
        .route(SW_PATH, get(service_worker))
        .route(MANIFEST_PATH, get(manifest))
}

/// The words the script shows itself, in the page's language.
fn script_words(tr: &Tr) -> Vec<(&'static str, &'static str)> {
    APP.iter()
        .filter(|(k, _, _)| k.starts_with("app.js."))
        .map(|(k, _, _)| (k.trim_start_matches("app.js."), tr.t(k)))
        .collect()
}

#[derive(Template)]
#[template(path = "app/page.html")]
struct AppPage {
    tr: Tr,
    words: Vec<(&'static str, &'static str)>,
    sw: &'static str,
    manifest: &'static str,
    /// The no-JavaScript explanation in the other language too (the page's language may be
    /// the one the person cannot read, and without script there is no switch to fix it).
    noscript_other: &'static str,
}

async fn page(PageLang(lang): PageLang) -> Response {
    let tr = Tr::new(lang, APP);
    let other = match lang {
        Lang::Ko => Lang::En,
        Lang::En => Lang::Ko,
    };
    web::render(&AppPage {
        tr,
        words: script_words(&tr),
        sw: SW_PATH,
        manifest: MANIFEST_PATH,
        noscript_other: Tr::new(other, APP).t("app.noscript"),
    })
}

/// The service worker. `Service-Worker-Allowed: /app` lets it control `/app` itself (its own
/// directory is `/app/`, which `/app` is not inside); `no-cache` so a new release's worker is
/// seen at once. The build's asset prefix is written into it, so a new release is a new
/// worker with a new cache.
async fn service_worker() -> Response {
    let body = SW.replace("__ASSETS__", super::assets::PREFIX);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::HeaderName::from_static("service-worker-allowed"),
                "/app",
            ),
        ],
        body,
    )
        .into_response()
}

/// The web app manifest: what the phone's "add to home screen" installs.
async fn manifest() -> Response {
    let icon = format!("{}/icon.svg", super::assets::PREFIX);
    let body = serde_json::json!({
        "name": "도장 인증 (dojang)",
        "short_name": "도장",
        "description": "도장 간편인증 앱: 본인확인·전자서명 요청을 PIN으로 승인합니다. / dojang: approve identity and signing requests with your PIN.",
        "lang": "ko",
        "id": "/app",
        "start_url": "/app",
        "scope": "/app",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f6f6f9",
        "theme_color": "#b0122b",
        "icons": [
            { "src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any" },
            { "src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "maskable" }
        ]
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_is_told_the_asset_prefix_and_uses_no_wildcard_messages() {
        assert!(SW.contains("__ASSETS__"));
        let app = include_str!("../../../assets/app.js");
        assert!(!app.contains("\"*\")"));
        // The key is never made extractable outside enrolment and renewal (docs/app.md).
        assert_eq!(
            app.matches("generateKey(").count(),
            1,
            "one place makes keys"
        );
    }
}
