//! What every page handler shares: rendering a template, the error page, cookies (HttpOnly,
//! SameSite, `Secure` whenever the request came over the TLS listener), CSRF tokens bound to a
//! cookie by a keyed hash, and the security headers every page carries.

use askama::Template;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_proto::ErrorCode;
use rand::RngExt as _;

use super::i18n::{self, Lang, Tr};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tls::TlsPeer;

/// Render a template into a page (`no-store`: pages show personal data and one-time values).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(body) => ([(header::CACHE_CONTROL, "no-store")], Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    tr: Tr,
    message: &'a str,
    code: Option<i64>,
    back: &'a str,
}

/// A failure shown as a page in the page's language.
#[derive(Debug)]
pub struct PageError {
    lang: Lang,
    status: StatusCode,
    message: String,
    code: Option<i64>,
    back: &'static str,
}

impl PageError {
    /// From an API error: its status and catalogue message (a 5xx is logged, and shown opaque).
    pub fn api(lang: Lang, e: impl Into<ApiError>) -> Self {
        let e = e.into();
        let code = e.code();
        let status = crate::http::error::status(code);
        if status.is_server_error() {
            tracing::error!(error = %e, "page failed");
        }
        Self {
            lang,
            status,
            message: code.message(lang).to_owned(),
            code: Some(code.code()),
            back: "/",
        }
    }

    /// A catalogue code.
    pub fn code(lang: Lang, code: ErrorCode) -> Self {
        Self::api(lang, ApiError::Code(code))
    }

    /// A page-specific refusal with its own words.
    pub fn new(lang: Lang, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            lang,
            status,
            message: message.into(),
            code: None,
            back: "/",
        }
    }

    /// Where "start again" leads.
    #[must_use]
    pub fn back(mut self, to: &'static str) -> Self {
        self.back = to;
        self
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            tr: Tr::new(self.lang, i18n::COMMON),
            message: &self.message,
            code: self.code,
            back: self.back,
        };
        (self.status, render(&page)).into_response()
    }
}

/// Whether the request came over the TLS listener (cookies then carry `Secure`).
pub fn over_tls(req_extensions: &axum::http::Extensions) -> bool {
    req_extensions.get::<ConnectInfo<TlsPeer>>().is_some()
}

/// A cookie for this site: HttpOnly, path `/`, the given SameSite, `Secure` over TLS.
pub fn cookie(
    name: &'static str,
    value: String,
    same_site: SameSite,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .secure(secure)
        .build()
}

/// Percent-encode everything but RFC 3986's unreserved characters: a query value or path
/// segment.
pub fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether two strings are equal, in constant time for equal lengths.
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A random URL-safe token of 32 bytes (256 bits).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` random bytes as lower-case hex: an id that is safe in a URL path, an HTML id and a CSS
/// selector, and cannot be guessed from another.
pub fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// The CSRF token for a form of the browser holding `binding` (a session or browser cookie's
/// value): a keyed hash, so it needs no storage and cannot be made without the data key.
pub fn csrf_token(state: &AppState, purpose: &str, binding: &str) -> String {
    URL_SAFE_NO_PAD.encode(state.keys.lookup("page-csrf", &[purpose, binding]))
}

/// Whether `given` is the CSRF token for `binding` (constant time).
pub fn csrf_ok(state: &AppState, purpose: &str, binding: &str, given: &str) -> bool {
    ct_eq(&csrf_token(state, purpose, binding), given)
}

/// Security headers on every page and asset, and the language cookie when `?lang=` chose one.
pub async fn page_headers(req: Request, next: Next) -> Response {
    let chosen = req.uri().query().and_then(i18n::query_lang);
    let secure = over_tls(req.extensions());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
               connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(csp));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A page may ask for a stricter policy (the login's last page carries a one-time code).
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    if let Some(lang) = chosen {
        let code = match lang {
            Lang::Ko => "ko",
            Lang::En => "en",
        };
        let mut c = cookie(i18n::LANG_COOKIE, code.to_owned(), SameSite::Lax, secure);
        c.set_max_age(time::Duration::days(365));
        if let Ok(v) = HeaderValue::from_str(&c.encoded().to_string()) {
            h.append(header::SET_COOKIE, v);
        }
    }
    res
}
