//! The browser side of the cloud certificate (금융인증서-style; docs/cloud-sdk.md): the
//! embeddable SDK (`/sdk/v1/dojang.js`), dojang's own UI inside the relying party's frame or
//! popup (`/cloud/frame`), the person's own page (`/cloud`) and the integrator test page of
//! seed 000 (`/console/cloud`).
//!
//! The pages hold no key and no PIN: they render the screens, and `assets/cloud.js` drives them
//! against the `/cloud/v1/*` JSON API (same origin), with the browser's non-extractable
//! WebCrypto key kept in IndexedDB. The frame's CSP lets only the publishable key's registered
//! origins embed it (`frame-ancestors`); its script takes options only from those origins by
//! `postMessage` and answers only to the origin that asked, never `*`. A registered stylesheet
//! is linked (and allowed by `style-src`) only when `init()` names it.

mod party;
mod words;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::i18n::{PageLang, Tr};
use super::web::{self, PageError};
use crate::state::AppState;
pub use party::Framing;
pub use words::CLOUD;

/// The SDK's path. v1 changes only compatibly (new options, such as `method: "bank"`), so it
/// is cached for an hour, not pinned: like other hosted payment and identity SDKs it is not
/// meant for Subresource Integrity. An incompatible SDK gets a new path (`/sdk/v2/…`).
pub const SDK_PATH: &str = "/sdk/v1/dojang.js";
/// The SDK itself.
const SDK: &str = include_str!("../../../assets/sdk-v1.js");

/// The cloud pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(SDK_PATH, get(sdk))
        .route("/cloud", get(own_page))
        .route("/cloud/frame", get(frame))
        .route("/console/cloud", get(console_page))
}

async fn sdk() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            // Any site may load it.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "cross-origin",
            ),
        ],
        SDK,
    )
        .into_response()
}

/// The words the script shows itself, in the page's language.
fn script_words(tr: &Tr) -> Vec<(&'static str, &'static str)> {
    CLOUD
        .iter()
        .filter(|(k, _, _)| k.starts_with("cloud.js."))
        .map(|(k, _, _)| (k.trim_start_matches("cloud.js."), tr.t(k)))
        .collect()
}

/// `/cloud/frame`'s query: only what is not personal (the person, codes and documents arrive
/// by `postMessage`).
#[derive(Debug, Default, Deserialize)]
struct FrameQuery {
    /// The publishable key (SDK use); absent: first-party use (dojang's own pages).
    pk: Option<String>,
    /// The stylesheet `init()` named; applied only if registered for the key.
    css: Option<String>,
    /// First-party use: answer this request at once (the hosted login's inline answer).
    receipt: Option<String>,
}

#[derive(Template)]
#[template(path = "cloud/frame.html")]
struct FramePage {
    tr: Tr,
    mode: &'static str,
    pk: String,
    party: String,
    origins: String,
    receipt: String,
    css: Option<String>,
    words: Vec<(&'static str, &'static str)>,
    banks: &'static [(&'static str, &'static str)],
}

async fn frame(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Query(q): Query<FrameQuery>,
) -> Result<Response, PageError> {
    let tr = Tr::new(lang, CLOUD);
    let receipt = q
        .receipt
        .filter(|r| r.len() == 32 && r.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_default();
    let (framing, css) = match q.pk.as_deref().filter(|k| !k.is_empty()) {
        None => (None, None),
        Some(key) => {
            let Some(f) = party::lookup(&state, key).await else {
                return Err(PageError::new(
                    lang,
                    StatusCode::NOT_FOUND,
                    tr.t("cloud.frame.unknown"),
                ));
            };
            let css = q
                .css
                .as_deref()
                .and_then(party::url)
                .filter(|c| f.stylesheets.iter().any(|s| s == c));
            (Some(f), css)
        }
    };
    let page = FramePage {
        tr,
        mode: "frame",
        pk: q.pk.unwrap_or_default(),
        party: framing.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
        origins: framing
            .as_ref()
            .map(|f| f.origins.join(" "))
            .unwrap_or_default(),
        receipt,
        css: css.clone(),
        words: script_words(&tr),
        banks: dojang_core::bank::BankCode::known(),
    };
    let mut res = web::render(&page);
    let ancestors = framing
        .as_ref()
        .map(|f| f.origins.join(" "))
        .unwrap_or_default();
    let csp = frame_csp(&ancestors, css.as_deref());
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

/// The frame's policy: the pages' own, but framable by dojang itself and by the key's
/// registered origins, and styled by the named stylesheet.
fn frame_csp(ancestors: &str, css: Option<&str>) -> String {
    let style = css.map_or_else(|| "'self'".to_owned(), |c| format!("'self' {c}"));
    let frame = if ancestors.is_empty() {
        "'self'".to_owned()
    } else {
        format!("'self' {ancestors}")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src {style}; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors {frame}; base-uri 'none'"
    )
}

#[derive(Template)]
#[template(path = "cloud/page.html")]
struct OwnPage {
    tr: Tr,
    mode: &'static str,
    pk: String,
    party: String,
    origins: String,
    receipt: String,
    words: Vec<(&'static str, &'static str)>,
    banks: &'static [(&'static str, &'static str)],
}

async fn own_page(PageLang(lang): PageLang) -> Response {
    let tr = Tr::new(lang, CLOUD);
    web::render(&OwnPage {
        tr,
        mode: "page",
        pk: String::new(),
        party: String::new(),
        origins: String::new(),
        receipt: String::new(),
        words: script_words(&tr),
        banks: dojang_core::bank::BankCode::known(),
    })
}

#[derive(Template)]
#[template(path = "cloud/console.html")]
struct ConsolePage {
    tr: Tr,
    sdk: &'static str,
    policy: &'static str,
}

/// The certificate policy name the seed's test page selects ('금융인증서 개인').
pub const POLICY_NAME: &str = "dojang 금융인증서 개인";

async fn console_page(PageLang(lang): PageLang) -> Response {
    web::render(&ConsolePage {
        tr: Tr::new(lang, CLOUD),
        sdk: SDK_PATH,
        policy: POLICY_NAME,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_policy() {
        let none = frame_csp("", None);
        assert!(none.contains("frame-ancestors 'self';"), "{none}");
        assert!(none.contains("style-src 'self';"), "{none}");
        let rp = frame_csp(
            "https://rp.example http://127.0.0.1:9",
            Some("https://rp.example/d.css"),
        );
        assert!(
            rp.contains("frame-ancestors 'self' https://rp.example http://127.0.0.1:9;"),
            "{rp}"
        );
        assert!(
            rp.contains("style-src 'self' https://rp.example/d.css;"),
            "{rp}"
        );
        assert!(!rp.contains("unsafe"), "{rp}");
    }

    #[test]
    fn the_sdk_posts_only_to_the_server_origin() {
        // Never a wildcard target: every postMessage names an origin.
        assert!(!SDK.contains("postMessage(msg, \"*\")"));
        assert!(!SDK.contains("\"*\")"));
        let frame = include_str!("../../../assets/cloud.js");
        assert!(!frame.contains("\"*\")"));
    }
}
