//! Logging in to the admin console: the password check (Argon2id, rate-limited per source
//! address), sessions (a random token in an HttpOnly, SameSite=Strict cookie; only its keyed
//! hash is stored, with a 30-minute idle and a 12-hour absolute expiry), logout, and the CSRF
//! check every form goes through.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use dojang_store::AdminSession;
use serde::Deserialize;

use super::{ADMIN, flash_cookie};
use crate::pages::i18n::{Lang, PageLang, Tr};
use crate::pages::web::{self, PageError};
use crate::service::admin::verify_password;
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "dojang_admin";
/// The cookie the login form's CSRF token is bound to (before there is a session).
const LOGIN_COOKIE: &str = "dojang_admin_login";
/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after login, however busy.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 3600);
/// Wrong passwords allowed per source address within [`WINDOW`].
pub const MAX_FAILURES: u64 = 5;
/// The rate limit's window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

fn session_hash(state: &AppState, token: &str) -> Vec<u8> {
    state.keys.lookup("admin-session", &[token])
}

/// A logged-in operator: the request carried a live session.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The session token (from the cookie): the CSRF tokens are bound to it.
    token: String,
    /// The language of the page.
    pub lang: Lang,
}

impl Operator {
    /// The CSRF token of this session's forms.
    pub fn csrf(&self, state: &AppState) -> String {
        web::csrf_token(state, "admin", &self.token)
    }

    /// Refuse a form whose `_csrf` is not this session's (403, nothing done).
    pub fn check(&self, state: &AppState, given: &str) -> Result<(), PageError> {
        if web::csrf_ok(state, "admin", &self.token, given) {
            Ok(())
        } else {
            Err(csrf_refused(self.lang))
        }
    }
}

fn csrf_refused(lang: Lang) -> PageError {
    PageError::new(
        lang,
        StatusCode::FORBIDDEN,
        match lang {
            Lang::Ko => "이 양식은 만료되었거나 다른 곳에서 왔습니다. 페이지를 새로 고친 뒤 다시 시도하세요.",
            Lang::En => "This form expired or came from elsewhere. Reload the page and try again.",
        },
    )
    .back("/admin")
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let PageLang(lang) = PageLang::from_request_parts(parts, state)
            .await
            .unwrap_or(PageLang(Lang::Ko));
        let jar = CookieJar::from_headers(&parts.headers);
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .filter(|p| parts.method == axum::http::Method::GET && safe_next(p))
                .unwrap_or("/admin");
            Redirect::to(&format!("/admin/login?next={}", encode(next))).into_response()
        };
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(to_login());
        };
        let now = state.clock.now();
        match state
            .store
            .touch_admin_session(&session_hash(state, &token), now, now - IDLE)
            .await
        {
            Ok(Some(_)) => Ok(Self { token, lang }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(PageError::api(lang, e).back("/admin").into_response()),
        }
    }
}

/// Only our own absolute paths under `/admin` are followed after login.
fn safe_next(p: &str) -> bool {
    p.starts_with("/admin") && !p.starts_with("//") && !p.contains('\\')
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage<'a> {
    tr: Tr,
    csrf: String,
    next: &'a str,
    error: Option<String>,
    no_password: bool,
    flash: Option<super::Flash>,
}

#[derive(Debug, Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// A `next` path as a query value; its slashes stay readable.
fn encode(s: &str) -> String {
    web::pct_encode(s).replace("%2F", "/")
}

/// Serialises password checks in this process (see `login`).
static LOGIN_GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `GET /admin/login`.
pub(super) async fn login_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    ext: RequestExtensions,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    let (jar, binding) = match jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned()) {
        Some(v) if v.len() >= 32 => (jar, v),
        _ => {
            let v = web::random_token();
            let mut c = web::cookie(
                LOGIN_COOKIE,
                v.clone(),
                SameSite::Strict,
                web::over_tls(&ext.0),
            );
            c.set_path("/admin");
            (jar.add(c), v)
        }
    };
    let (jar, flash) = super::take_flash(jar);
    let no_password = matches!(password_hash(&state).await, Ok(None));
    let next = q
        .next
        .as_deref()
        .filter(|n| safe_next(n))
        .unwrap_or("/admin");
    let page = LoginPage {
        tr: Tr::new(lang, ADMIN),
        csrf: web::csrf_token(&state, "admin-login", &binding),
        next,
        error: None,
        no_password,
        flash,
    };
    (jar, web::render(&page)).into_response()
}

async fn password_hash(state: &AppState) -> Result<Option<String>, dojang_store::StoreError> {
    match &state.admin_password_hash {
        Some(h) => Ok(Some(h.expose().to_owned())),
        None => state.store.admin_password().await,
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// The client's address: the peer of the plain or the TLS listener, or behind a trusted proxy
/// the client it names ([`crate::proxy`]), so that one client's wrong guesses do not lock out
/// every operator behind the same proxy.
fn peer(state: &AppState, parts: &axum::http::Extensions, headers: &HeaderMap) -> String {
    crate::http::linkhub::client_ip(state, parts, headers)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// `POST /admin/login`.
pub(super) async fn login(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    req_parts: RequestExtensions,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let binding = jar
        .get(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if binding.is_empty() || !web::csrf_ok(&state, "admin-login", &binding, &form.csrf) {
        return Err(csrf_refused(lang).back("/admin/login"));
    }
    let tr = Tr::new(lang, ADMIN);
    let next = Some(form.next.as_str())
        .filter(|n| safe_next(n))
        .unwrap_or("/admin")
        .to_owned();
    let again = |status: StatusCode, error: &str| {
        let page = LoginPage {
            tr,
            csrf: web::csrf_token(&state, "admin-login", &binding),
            next: &next,
            error: Some(error.to_owned()),
            no_password: false,
            flash: None,
        };
        (status, web::render(&page)).into_response()
    };
    // One attempt at a time in this process: the count, the password check and the record of
    // a failure happen together, so parallel wrong guesses cannot all read "fewer than five".
    // (Several instances may each let one attempt through at the limit.)
    let _gate = LOGIN_GATE.lock().await;
    let now = state.clock.now();
    let source = state
        .keys
        .lookup("admin-login", &[&peer(&state, &req_parts.0, &headers)]);
    let failures = state
        .store
        .admin_login_failures_since(&source, now - WINDOW)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    if failures >= MAX_FAILURES {
        tracing::warn!("admin login refused: too many wrong passwords");
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, tr.t("login.limited")));
    }
    let Some(phc) = password_hash(&state)
        .await
        .map_err(|e| PageError::api(lang, e))?
    else {
        return Ok(again(StatusCode::FORBIDDEN, tr.t("login.no_password")));
    };
    let password = zeroize::Zeroizing::new(form.password);
    let ok = tokio::task::spawn_blocking(move || verify_password(&phc, &password))
        .await
        .unwrap_or(false);
    if !ok {
        state
            .store
            .record_admin_login_failure(&source, now, now - WINDOW)
            .await
            .map_err(|e| PageError::api(lang, e))?;
        tracing::warn!("admin login: wrong password");
        let status = if failures + 1 >= MAX_FAILURES {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::UNAUTHORIZED
        };
        let msg = if failures + 1 >= MAX_FAILURES {
            tr.t("login.limited")
        } else {
            tr.t("login.wrong")
        };
        return Ok(again(status, msg));
    }
    let token = web::random_token();
    let session = AdminSession {
        token_hash: session_hash(&state, &token),
        created_at: now,
        last_seen_at: now,
        expires_at: now + ABSOLUTE,
    };
    state
        .store
        .insert_admin_session(&session, now - IDLE)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    tracing::info!("admin logged in");
    let secure = web::over_tls(&req_parts.0);
    let mut c = web::cookie(SESSION_COOKIE, token, SameSite::Strict, secure);
    c.set_path("/admin");
    let mut gone = Cookie::from(LOGIN_COOKIE);
    gone.set_path("/admin");
    let jar = jar.add(c).remove(gone);
    Ok((jar, Redirect::to(&next)).into_response())
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /admin/logout`: the session is deleted from the database and the cookie cleared.
pub(super) async fn logout(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    op.check(&state, &form.csrf)?;
    state
        .store
        .delete_admin_session(&session_hash(&state, &op.token))
        .await
        .map_err(|e| PageError::api(op.lang, e))?;
    let mut gone = Cookie::from(SESSION_COOKIE);
    gone.set_path("/admin");
    let tr = Tr::new(op.lang, ADMIN);
    let jar = jar.remove(gone).add(flash_cookie(tr.t("logout.done")));
    Ok((jar, Redirect::to("/admin/login")).into_response())
}

/// The request's extensions (connection info), for handlers that also take a body.
#[derive(Debug)]
pub(super) struct RequestExtensions(axum::http::Extensions);

impl<S: Send + Sync> FromRequestParts<S> for RequestExtensions {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.clone()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_admin_paths_are_followed() {
        assert!(super::safe_next("/admin/members?phone=1"));
        assert!(!super::safe_next("//evil.example/admin"));
        assert!(!super::safe_next("https://evil.example"));
        assert!(!super::safe_next("/login"));
        assert_eq!(super::encode("/admin?a=1&b"), "/admin%3Fa%3D1%26b");
    }
}
