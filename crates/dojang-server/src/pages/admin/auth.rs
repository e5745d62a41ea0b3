//! Logging in to the admin console as a named operator: login name, password (Argon2id) and a
//! TOTP code (RFC 6238; enrolled at the first login, each step accepted once), wrong passwords
//! and wrong codes rate-limited per source address; sessions (a random token in an HttpOnly,
//! SameSite=Strict cookie; only its keyed hash is stored, with a 30-minute idle and a 12-hour
//! absolute expiry, and every request re-checks the operator is enabled), logout, the CSRF check
//! every form goes through, the role check every route goes through ([`Operator::allow`]), and
//! the audit entry of each.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use dojang_store::{AdminSession, OperatorRecord, OperatorRole};
use serde::Deserialize;

use super::{ADMIN, flash_cookie};
use crate::pages::i18n::{Lang, PageLang, Tr};
use crate::pages::web::{self, PageError};
use crate::service::admin::verify_password;
use crate::service::operators::{self as operators, Actor};
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

/// A logged-in operator: the request carried a live, whole session of an enabled operator.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The session token (from the cookie): the CSRF tokens are bound to it.
    token: String,
    /// The language of the page.
    pub lang: Lang,
    /// The operator's id.
    pub id: i64,
    /// The login name.
    pub login: String,
    /// The name shown.
    pub display_name: String,
    /// What it may do.
    pub role: OperatorRole,
    /// The client address (behind a trusted proxy, the client it names).
    pub source: String,
}

impl Operator {
    /// The CSRF token of this session's forms.
    pub fn csrf(&self, state: &AppState) -> String {
        web::csrf_token(state, "admin", &self.token)
    }

    /// Who this is, for the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.id),
            login: self.login.clone(),
            role: self.role.as_str().to_owned(),
            source: self.source.clone(),
        }
    }

    /// Whether the role permits `action` (for showing or hiding a form; the server checks with
    /// [`Self::allow`] anyway).
    pub fn may(&self, action: &str) -> bool {
        operators::permits(self.role, action)
    }

    /// Refuse `action` unless the role permits it: 403, nothing done, and an audit entry of the
    /// refusal.
    pub async fn allow(
        &self,
        state: &AppState,
        action: &str,
        target: &str,
    ) -> Result<(), PageError> {
        if self.may(action) {
            return Ok(());
        }
        tracing::warn!(login = %self.login, role = self.role.as_str(), action, "admin: role refused");
        self.audit(
            state,
            action,
            target,
            None,
            Some(serde_json::json!({"refused": "role"})),
            false,
        )
        .await;
        Err(PageError::new(
            self.lang,
            StatusCode::FORBIDDEN,
            match self.lang {
                Lang::Ko => "이 역할로는 할 수 없는 일입니다. 관리자에게 문의하세요.",
                Lang::En => "Your role does not allow this. Ask an administrator.",
            },
        )
        .back("/admin"))
    }

    /// Refuse a form whose `_csrf` is not this session's, or whose action the role does not
    /// permit (403, nothing done, an audit entry of the refusal).
    pub async fn check(
        &self,
        state: &AppState,
        given: &str,
        action: &str,
        target: &str,
    ) -> Result<(), PageError> {
        if !web::csrf_ok(state, "admin", &self.token, given) {
            self.audit(
                state,
                action,
                target,
                None,
                Some(serde_json::json!({"refused": "csrf"})),
                false,
            )
            .await;
            return Err(csrf_refused(self.lang));
        }
        self.allow(state, action, target).await
    }

    /// Append an audit entry for this operator.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        target: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        ok: bool,
    ) {
        operators::record(
            state.store.as_ref(),
            &self.actor(),
            state.clock.now(),
            action,
            target,
            before,
            after,
            ok,
        )
        .await;
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

/// A live session (whole or half) and its enabled operator.
struct Live {
    token: String,
    lang: Lang,
    session: AdminSession,
    operator: OperatorRecord,
    source: String,
}

async fn live(parts: &mut Parts, state: &AppState) -> Result<Live, Response> {
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
    let session = match state
        .store
        .touch_admin_session(&session_hash(state, &token), now, now - IDLE)
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return Err(to_login()),
        Err(e) => return Err(PageError::api(lang, e).back("/admin").into_response()),
    };
    // The touch already refused a disabled operator's session; read the operator for its role
    // (and check again: it may have been disabled in between).
    let operator = match state.store.operator(session.operator_id).await {
        Ok(Some(o)) if o.disabled_at.is_none() => o,
        Ok(_) => return Err(to_login()),
        Err(e) => return Err(PageError::api(lang, e).back("/admin").into_response()),
    };
    let source = peer(state, &parts.extensions, &parts.headers);
    Ok(Live {
        token,
        lang,
        session,
        operator,
        source,
    })
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let l = live(parts, state).await?;
        if l.session.pending_totp {
            return Err(Redirect::to("/admin/totp").into_response());
        }
        Ok(Self {
            token: l.token,
            lang: l.lang,
            id: l.operator.id,
            login: l.operator.login,
            display_name: l.operator.display_name,
            role: l.operator.role,
            source: l.source,
        })
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
    login: &'a str,
    error: Option<String>,
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
    let next = q
        .next
        .as_deref()
        .filter(|n| safe_next(n))
        .unwrap_or("/admin");
    let page = LoginPage {
        tr: Tr::new(lang, ADMIN),
        csrf: web::csrf_token(&state, "admin-login", &binding),
        next,
        login: "",
        error: None,
        flash,
    };
    (jar, web::render(&page)).into_response()
}

/// Verified against when no operator has the login name given, so that a wrong name costs
/// the same time as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::service::admin::hash_password(&operators::random_password()).unwrap_or_default()
});

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
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
    // An empty login name is `admin` (the one account of the shared-password days).
    let login = match form.login.trim() {
        "" => operators::FIRST_ADMIN.to_owned(),
        l => l.chars().take(64).collect::<String>(),
    };
    let again = |status: StatusCode, error: &str| {
        let page = LoginPage {
            tr,
            csrf: web::csrf_token(&state, "admin-login", &binding),
            next: &next,
            login: &login,
            error: Some(error.to_owned()),
            flash: None,
        };
        (status, web::render(&page)).into_response()
    };
    // One attempt at a time in this process: the count, the password check and the record of
    // a failure happen together, so parallel wrong guesses cannot all read "fewer than five".
    // (Several instances may each let one attempt through at the limit.)
    let _gate = LOGIN_GATE.lock().await;
    let now = state.clock.now();
    let address = peer(&state, &req_parts.0, &headers);
    let source = state.keys.lookup("admin-login", &[&address]);
    let failures = state
        .store
        .admin_login_failures_since(&source, now - WINDOW)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let operator = state
        .store
        .operator_by_login(&login)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let actor = Actor {
        id: operator.as_ref().map(|o| o.id),
        login: login.clone(),
        role: operator
            .as_ref()
            .map(|o| o.role.as_str().to_owned())
            .unwrap_or_default(),
        source: address.clone(),
    };
    let audit = |action: &'static str, ok: bool, why: Option<&'static str>| {
        let (store, actor, login) = (state.store.clone(), actor.clone(), login.clone());
        async move {
            operators::record(
                store.as_ref(),
                &actor,
                now,
                action,
                &login,
                None,
                why.map(|w| serde_json::json!({ "reason": w })),
                ok,
            )
            .await;
        }
    };
    if failures >= MAX_FAILURES {
        tracing::warn!("admin login refused: too many wrong passwords");
        audit("login.limited", false, Some("too many failures")).await;
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, tr.t("login.limited")));
    }
    let fail = |action: &'static str, why: &'static str, msg: &'static str| {
        let (state, source) = (state.clone(), source.clone());
        let audit = audit(action, false, Some(why));
        async move {
            state
                .store
                .record_admin_login_failure(&source, now, now - WINDOW)
                .await
                .map_err(|e| PageError::api(lang, e))?;
            audit.await;
            tracing::warn!(action, "admin login refused");
            Ok::<_, PageError>(if failures + 1 >= MAX_FAILURES {
                (StatusCode::TOO_MANY_REQUESTS, tr.t("login.limited"))
            } else {
                (StatusCode::UNAUTHORIZED, msg)
            })
        }
    };
    let phc = match &operator {
        Some(o) => o.password_hash.clone(),
        None => DUMMY_HASH.clone(),
    };
    let password = zeroize::Zeroizing::new(form.password);
    let ok = tokio::task::spawn_blocking(move || verify_password(&phc, &password))
        .await
        .unwrap_or(false);
    let operator = match operator {
        Some(o) if ok && o.disabled_at.is_none() => o,
        Some(o) if ok => {
            let _ = o;
            let (status, msg) =
                fail("login.disabled", "operator disabled", tr.t("login.wrong")).await?;
            return Ok(again(status, msg));
        }
        _ => {
            let (status, msg) = fail(
                "login.wrong_password",
                "wrong login or password",
                tr.t("login.wrong"),
            )
            .await?;
            return Ok(again(status, msg));
        }
    };
    // The second factor: a confirmed secret needs the current code, accepted once per step.
    let enrolled = operator.totp_confirmed_at.is_some();
    if enrolled {
        let secret = operator.totp_secret.clone().unwrap_or_default();
        let Some(step) = operators::check_code(&secret, &operator.login, &form.code, now) else {
            let (status, msg) =
                fail("login.wrong_totp", "wrong code", tr.t("login.wrong_code")).await?;
            return Ok(again(status, msg));
        };
        let fresh = state
            .store
            .use_operator_totp_step(operator.id, step, now)
            .await
            .map_err(|e| PageError::api(lang, e))?;
        if !fresh {
            let (status, msg) = fail(
                "login.totp_replay",
                "code already used",
                tr.t("login.code_used"),
            )
            .await?;
            return Ok(again(status, msg));
        }
    }
    let token = web::random_token();
    let session = AdminSession {
        token_hash: session_hash(&state, &token),
        operator_id: operator.id,
        pending_totp: !enrolled,
        created_at: now,
        last_seen_at: now,
        expires_at: now + ABSOLUTE,
    };
    state
        .store
        .insert_admin_session(&session, now - IDLE)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    if enrolled {
        audit("login.ok", true, None).await;
    } else {
        audit("login.password_ok", true, Some("second factor to enrol")).await;
    }
    tracing::info!(login = %operator.login, "admin logged in");
    let secure = web::over_tls(&req_parts.0);
    let mut c = web::cookie(SESSION_COOKIE, token, SameSite::Strict, secure);
    c.set_path("/admin");
    let mut gone = Cookie::from(LOGIN_COOKIE);
    gone.set_path("/admin");
    let jar = jar.add(c).remove(gone);
    let to = if enrolled {
        next.as_str()
    } else {
        "/admin/totp"
    };
    Ok((jar, Redirect::to(to)).into_response())
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
    op.check(&state, &form.csrf, "logout", &op.login).await?;
    state
        .store
        .delete_admin_session(&session_hash(&state, &op.token))
        .await
        .map_err(|e| PageError::api(op.lang, e))?;
    let mut gone = Cookie::from(SESSION_COOKIE);
    gone.set_path("/admin");
    op.audit(&state, "logout", &op.login, None, None, true)
        .await;
    let tr = Tr::new(op.lang, ADMIN);
    let jar = jar.remove(gone).add(flash_cookie(tr.t("logout.done")));
    Ok((jar, Redirect::to("/admin/login")).into_response())
}

// ----- the second factor's enrolment ---------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/totp.html")]
struct TotpPage {
    tr: Tr,
    csrf: String,
    login: String,
    secret: String,
    uri: String,
    qr: String,
    error: Option<String>,
}

/// A half session whose operator has meanwhile confirmed a secret (in another browser) may not
/// replace it: the half session ends and the login starts again.
async fn stale_half_session(state: &AppState, l: &Live) -> Option<Response> {
    l.operator.totp_confirmed_at?;
    if let Err(e) = state
        .store
        .delete_admin_session(&session_hash(state, &l.token))
        .await
    {
        return Some(PageError::api(l.lang, e).into_response());
    }
    Some(Redirect::to("/admin/login").into_response())
}

/// The secret being enrolled: the stored unconfirmed one, or a new one stored now.
async fn enrolling_secret(state: &AppState, l: &Live) -> Result<Vec<u8>, PageError> {
    if let (Some(secret), None) = (&l.operator.totp_secret, l.operator.totp_confirmed_at) {
        return Ok(secret.clone());
    }
    let secret = operators::new_totp_secret();
    state
        .store
        .set_operator_totp(l.operator.id, Some(&secret), state.clock.now())
        .await
        .map_err(|e| PageError::api(l.lang, e))?;
    Ok(secret)
}

fn totp_page(state: &AppState, l: &Live, secret: &[u8], error: Option<String>) -> TotpPage {
    let uri = operators::otpauth_uri(secret, &l.operator.login);
    TotpPage {
        tr: Tr::new(l.lang, ADMIN),
        csrf: web::csrf_token(state, "admin", &l.token),
        login: l.operator.login.clone(),
        secret: operators::secret_base32(secret),
        qr: operators::qr_svg(&uri).unwrap_or_default(),
        uri,
        error,
    }
}

/// `GET /admin/totp`: after the password at the first login (or after `reset-totp`), the secret
/// to add to an authenticator app: base32, `otpauth://` URI and QR code. Nothing else opens
/// until a code from it is confirmed.
pub(super) async fn totp_form(
    State(state): State<AppState>,
    mut parts: Parts,
) -> Result<Response, Response> {
    let l = live(&mut parts, &state).await?;
    if !l.session.pending_totp {
        return Ok(Redirect::to("/admin").into_response());
    }
    if let Some(r) = stale_half_session(&state, &l).await {
        return Ok(r);
    }
    let secret = enrolling_secret(&state, &l)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(web::render(&totp_page(&state, &l, &secret, None)))
}

#[derive(Deserialize)]
pub(super) struct TotpForm {
    #[serde(default)]
    code: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /admin/totp`: the code confirms the secret and makes the session whole. Wrong codes
/// count towards the same lockout as wrong passwords.
pub(super) async fn totp_confirm(
    State(state): State<AppState>,
    mut parts: Parts,
    Form(form): Form<TotpForm>,
) -> Result<Response, Response> {
    let l = live(&mut parts, &state).await?;
    if !l.session.pending_totp {
        return Ok(Redirect::to("/admin").into_response());
    }
    if !web::csrf_ok(&state, "admin", &l.token, &form.csrf) {
        return Err(csrf_refused(l.lang).into_response());
    }
    if let Some(r) = stale_half_session(&state, &l).await {
        return Ok(r);
    }
    let tr = Tr::new(l.lang, ADMIN);
    let now = state.clock.now();
    let actor = Actor {
        id: Some(l.operator.id),
        login: l.operator.login.clone(),
        role: l.operator.role.as_str().to_owned(),
        source: l.source.clone(),
    };
    let _gate = LOGIN_GATE.lock().await;
    let source = state.keys.lookup("admin-login", &[&l.source]);
    let api = |e: dojang_store::StoreError| PageError::api(l.lang, e).into_response();
    let failures = state
        .store
        .admin_login_failures_since(&source, now - WINDOW)
        .await
        .map_err(api)?;
    let secret = enrolling_secret(&state, &l)
        .await
        .map_err(IntoResponse::into_response)?;
    if failures >= MAX_FAILURES {
        let page = totp_page(&state, &l, &secret, Some(tr.t("login.limited").to_owned()));
        return Ok((StatusCode::TOO_MANY_REQUESTS, web::render(&page)).into_response());
    }
    let step = operators::check_code(&secret, &l.operator.login, &form.code, now);
    let accepted = match step {
        Some(step) => state
            .store
            .use_operator_totp_step(l.operator.id, step, now)
            .await
            .map_err(api)?,
        None => false,
    };
    if !accepted {
        state
            .store
            .record_admin_login_failure(&source, now, now - WINDOW)
            .await
            .map_err(api)?;
        operators::record(
            state.store.as_ref(),
            &actor,
            now,
            "totp.enrol",
            &l.operator.login,
            None,
            Some(serde_json::json!({"reason": "wrong code"})),
            false,
        )
        .await;
        let page = totp_page(
            &state,
            &l,
            &secret,
            Some(tr.t("login.wrong_code").to_owned()),
        );
        return Ok((StatusCode::UNAUTHORIZED, web::render(&page)).into_response());
    }
    state
        .store
        .complete_admin_session(&session_hash(&state, &l.token))
        .await
        .map_err(api)?;
    operators::record(
        state.store.as_ref(),
        &actor,
        now,
        "totp.enrol",
        &l.operator.login,
        Some(serde_json::json!({"totp": false})),
        Some(serde_json::json!({"totp": true})),
        true,
    )
    .await;
    let jar = CookieJar::from_headers(&parts.headers).add(flash_cookie(tr.t("totp.done")));
    Ok((jar, Redirect::to("/admin")).into_response())
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
