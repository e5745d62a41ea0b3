//! The admin console (`/admin`): what an operator does without a shell. Counters; relying
//! parties (register, rotate credentials, aliases, call-centre number, webhook and its delivery
//! log); members (find by phone, record a legal name change); certificates (list by state,
//! revoke); the request log with each request's timeline; the development outboxes.
//!
//! Plain forms, no script needed: every change is a POST carrying the session's CSRF token,
//! answered by a redirect and a one-time flash message, except the two that show a secret once
//! (new credentials, a new webhook secret), which answer with the page itself (`no-store`).
//! The work is `service::admin`'s, shared with `dojang admin …`.

mod auth;
mod desk;
mod operators;
mod words;

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dojang_core::{ClientCode, MemberId, Phone, RequestState};
use dojang_pki::RevocationReason;
use dojang_store::{CertificateFilter, RequestFilter};
use serde::Deserialize;
use time::OffsetDateTime;

use auth::Operator;
pub use auth::{ABSOLUTE, IDLE, MAX_FAILURES, SESSION_COOKIE, WINDOW};
pub use words::ADMIN;

use super::i18n::{Lang, Tr};
use super::web::{self, PageError};
use crate::service::admin::{self as ops, AdminError};
use crate::state::AppState;

/// The one-time message after a change.
const FLASH_COOKIE: &str = "dojang_admin_flash";

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/login", get(auth::login_page).post(auth::login))
        .route("/admin/logout", post(auth::logout))
        .route("/admin/totp", get(auth::totp_form).post(auth::totp_confirm))
        .route(
            "/admin/operators",
            get(operators::list).post(operators::add),
        )
        .route("/admin/operators/{login}/role", post(operators::set_role))
        .route("/admin/operators/{login}/disable", post(operators::disable))
        .route("/admin/operators/{login}/enable", post(operators::enable))
        .route(
            "/admin/operators/{login}/reset-totp",
            post(operators::reset_totp),
        )
        .route(
            "/admin/operators/{login}/reset-password",
            post(operators::reset_password),
        )
        .route("/admin/audit", get(operators::audit))
        .route("/admin/desk", get(desk::form).post(desk::issue))
        .route("/admin/audit/export", get(operators::export))
        .route("/admin/parties", get(parties).post(add_party))
        .route("/admin/parties/{code}", get(party))
        .route("/admin/parties/{code}/rotate", post(rotate))
        .route("/admin/parties/{code}/call-center", post(call_center))
        .route("/admin/parties/{code}/aliases", post(add_alias))
        .route("/admin/parties/{code}/aliases/remove", post(remove_alias))
        .route("/admin/parties/{code}/webhook", post(set_webhook))
        .route("/admin/parties/{code}/webhook/clear", post(clear_webhook))
        .route("/admin/members", get(members))
        .route("/admin/members/rename", post(rename))
        .route("/admin/certificates", get(certificates))
        .route("/admin/certificates/revoke", post(revoke))
        .route("/admin/requests", get(requests))
        .route("/admin/requests/{receipt}", get(request))
        .route("/admin/outbox", get(outbox))
        .route("/admin/consents", get(consents))
        .route("/admin/parties/{code}/login-page", post(set_login_page))
        .route("/admin/parties/{code}/login-texts", post(set_login_texts))
}

// ----- shared -------------------------------------------------------------------------------

/// A flash message for the next page: `ok:` or `bad:` and the text.
fn flash_cookie(text: &str) -> Cookie<'static> {
    flash_kind("ok", text)
}

fn flash_kind(kind: &str, text: &str) -> Cookie<'static> {
    let mut c = web::cookie(
        FLASH_COOKIE,
        URL_SAFE_NO_PAD.encode(format!("{kind}:{text}")),
        SameSite::Strict,
        false,
    );
    c.set_path("/admin");
    c.set_max_age(time::Duration::minutes(5));
    c
}

/// The flash message, if any, and the jar without it.
fn take_flash(jar: CookieJar) -> (CookieJar, Option<Flash>) {
    let Some(value) = jar.get(FLASH_COOKIE).map(|c| c.value().to_owned()) else {
        return (jar, None);
    };
    let mut gone = Cookie::from(FLASH_COOKIE);
    gone.set_path("/admin");
    let jar = jar.remove(gone);
    let text = URL_SAFE_NO_PAD
        .decode(value)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let flash = text.and_then(|t| {
        let (kind, text) = t.split_once(':')?;
        Some(Flash {
            bad: kind == "bad",
            text: text.to_owned(),
        })
    });
    (jar, flash)
}

/// A message shown once at the top of a page.
#[derive(Debug, Clone)]
pub struct Flash {
    /// A refusal (shown as an alert) rather than a success.
    pub bad: bool,
    /// The message.
    pub text: String,
}

/// What every console page carries besides its own data.
#[derive(Debug)]
pub struct Chrome {
    /// The CSRF token of the session's forms.
    pub csrf: String,
    /// The one-time message.
    pub flash: Option<Flash>,
    /// Which navigation entry is this page's.
    pub nav: &'static str,
    /// Who is logged in (display name and role).
    pub who: String,
    /// The logged-in operator's role.
    pub role: &'static str,
    /// Whether the role may change things (administrators): forms are shown only then; the
    /// server checks every POST anyway.
    pub admin: bool,
    /// Whether the role may read the pages beyond people and certificates.
    pub reads_all: bool,
    /// Whether the role may issue registration-desk codes.
    pub desk: bool,
}

impl Chrome {
    /// `aria-current="page"` for the current entry.
    pub fn current(&self, entry: &str) -> &'static str {
        if self.nav == entry { "page" } else { "false" }
    }
}

fn chrome(state: &AppState, op: &Operator, flash: Option<Flash>, nav: &'static str) -> Chrome {
    Chrome {
        csrf: op.csrf(state),
        flash,
        nav,
        who: format!("{} ({})", op.display_name, op.login),
        role: op.role.as_str(),
        admin: op.may("operator.add"),
        reads_all: op.may("page.audit"),
        desk: op.may("ra.issue"),
    }
}

/// A page and the jar (the flash consumed).
fn page<T: Template>(jar: CookieJar, t: &T) -> Response {
    (jar, web::render(t)).into_response()
}

/// After a change: back to `to`, with `text` as the flash.
fn done(jar: CookieJar, to: &str, text: &str) -> Response {
    (jar.add(flash_cookie(text)), Redirect::to(to)).into_response()
}

/// After a refusal: back to `to`, with the reason as the flash.
fn refused(jar: CookieJar, to: &str, lang: Lang, e: &AdminError) -> Response {
    (
        jar.add(flash_kind("bad", &e.message(lang))),
        Redirect::to(to),
    )
        .into_response()
}

/// A refusal's reason for the audit log.
fn failed(e: &AdminError) -> Option<serde_json::Value> {
    Some(serde_json::json!({"error": e.message(Lang::En)}))
}

/// A relying party's webhook URL, for the audit log's before.
async fn webhook_url(state: &AppState, code: &str) -> Option<serde_json::Value> {
    let code: ClientCode = code.parse().ok()?;
    let hook = state.store.webhook(&code).await.ok()?;
    Some(serde_json::json!({"url": hook.map(|h| h.url)}))
}

fn store_error(lang: Lang, e: impl Into<crate::http::error::ApiError>) -> PageError {
    PageError::api(lang, e).back("/admin")
}

/// A time as operators read it: Korean time, to the second.
pub fn when(t: impl std::borrow::Borrow<OffsetDateTime>) -> String {
    let k = t.borrow().to_offset(time::macros::offset!(+9));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        k.year(),
        u8::from(k.month()),
        k.day(),
        k.hour(),
        k.minute(),
        k.second()
    )
}

fn state_word(tr: &Tr, s: RequestState) -> &'static str {
    tr.t(match s {
        RequestState::Waiting => "state.waiting",
        RequestState::Signed => "state.signed",
        RequestState::Expired => "state.expired",
        RequestState::Declined => "state.declined",
        RequestState::Failed => "state.failed",
    })
}

fn state_badge(s: RequestState) -> &'static str {
    match s {
        RequestState::Signed => "ok",
        RequestState::Declined | RequestState::Failed => "bad",
        RequestState::Waiting | RequestState::Expired => "warn",
    }
}

const STATES: [RequestState; 5] = [
    RequestState::Waiting,
    RequestState::Signed,
    RequestState::Expired,
    RequestState::Declined,
    RequestState::Failed,
];

fn state_param(s: RequestState) -> &'static str {
    match s {
        RequestState::Waiting => "waiting",
        RequestState::Signed => "signed",
        RequestState::Expired => "expired",
        RequestState::Declined => "declined",
        RequestState::Failed => "failed",
    }
}

// ----- dashboard ----------------------------------------------------------------------------

/// One day of the dashboard.
#[derive(Debug)]
pub struct DayRow {
    day: String,
    counts: Vec<u64>,
    total: u64,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    tr: Tr,
    c: Chrome,
    members: u64,
    active: u64,
    parties: usize,
    states: Vec<&'static str>,
    days: Vec<DayRow>,
}

async fn dashboard(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
) -> Result<Response, PageError> {
    op.allow(&state, "page.dashboard", "").await?;
    let lang = op.lang;
    let tr = Tr::new(lang, ADMIN);
    let now = state.clock.now();
    let today = (now.to_offset(time::macros::offset!(+9))).date();
    let first = today - time::Duration::days(13);
    let since = first
        .with_time(time::Time::MIDNIGHT)
        .assume_offset(time::macros::offset!(+9));
    let (members, active) = state
        .store
        .member_and_certificate_counts(now)
        .await
        .map_err(|e| store_error(lang, e))?;
    let parties = state
        .store
        .relying_parties()
        .await
        .map_err(|e| store_error(lang, e))?
        .len();
    let counts = state
        .store
        .requests_per_day(since.to_offset(time::UtcOffset::UTC), now)
        .await
        .map_err(|e| store_error(lang, e))?;
    let mut days = Vec::new();
    let mut d = today;
    while d >= first {
        let row: Vec<u64> = STATES
            .iter()
            .map(|s| {
                counts
                    .iter()
                    .filter(|c| c.day == d && c.state == *s)
                    .map(|c| c.count)
                    .sum()
            })
            .collect();
        days.push(DayRow {
            day: d.to_string(),
            total: row.iter().sum(),
            counts: row,
        });
        match d.previous_day() {
            Some(p) => d = p,
            None => break,
        }
    }
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &Dashboard {
            c: chrome(&state, &op, flash, "dashboard"),
            members,
            active,
            parties,
            states: STATES.iter().map(|s| state_word(&tr, *s)).collect(),
            days,
            tr,
        },
    ))
}

// ----- relying parties ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/parties.html")]
struct Parties {
    tr: Tr,
    c: Chrome,
    parties: Vec<dojang_core::RelyingParty>,
}

async fn parties(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
) -> Result<Response, PageError> {
    op.allow(&state, "page.parties", "").await?;
    let parties = state
        .store
        .relying_parties()
        .await
        .map_err(|e| store_error(op.lang, e))?;
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &Parties {
            tr: Tr::new(op.lang, ADMIN),
            c: chrome(&state, &op, flash, "parties"),
            parties,
        },
    ))
}

#[derive(Deserialize)]
struct NewParty {
    #[serde(default)]
    name: String,
    #[serde(default)]
    client_code: String,
    #[serde(default)]
    link_id: String,
    #[serde(default)]
    call_center: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// A secret shown once.
#[derive(Template)]
#[template(path = "admin/secret.html")]
struct SecretPage {
    tr: Tr,
    c: Chrome,
    heading: &'static str,
    client_code: String,
    link_id: Option<String>,
    label: &'static str,
    secret: String,
}

async fn add_party(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Form(f): Form<NewParty>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.add", &f.client_code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    match ops::add_relying_party(
        state.store.as_ref(),
        &f.name,
        Some(&f.client_code),
        Some(&f.link_id),
        Some(&f.call_center),
        state.clock.now(),
    )
    .await
    {
        Ok(rp) => {
            tracing::info!(client_code = %rp.client_code, "admin registered a relying party");
            op.audit(
                &state,
                "rp.add",
                rp.client_code.as_str(),
                None,
                Some(serde_json::json!({
                    "name": rp.name,
                    "link_id": rp.link_id,
                    "call_center": rp.call_center_num,
                    "secret_key": "issued (not recorded)",
                })),
                true,
            )
            .await;
            Ok(page(
                jar,
                &SecretPage {
                    c: chrome(&state, &op, None, "parties"),
                    heading: tr.t("secret.new_party"),
                    secret: ops::secret_text(&rp),
                    client_code: rp.client_code.to_string(),
                    link_id: Some(rp.link_id),
                    label: "SecretKey",
                    tr,
                },
            ))
        }
        Err(e) => {
            op.audit(&state, "rp.add", &f.client_code, None, failed(&e), false)
                .await;
            Ok(refused(jar, "/admin/parties", op.lang, &e))
        }
    }
}

/// One delivery and its attempts.
#[derive(Debug)]
pub struct DeliveryView {
    d: dojang_store::Delivery,
    attempts: Vec<dojang_store::Attempt>,
}

impl DeliveryView {
    fn outcome(a: &dojang_store::Attempt) -> String {
        match (&a.status, &a.error) {
            (Some(s), None) => format!("HTTP {s}"),
            (_, Some(e)) => e.clone(),
            (None, None) => "?".into(),
        }
    }
}

async fn deliveries(
    state: &AppState,
    list: Vec<dojang_store::Delivery>,
) -> Result<Vec<DeliveryView>, dojang_store::StoreError> {
    let mut out = Vec::with_capacity(list.len());
    for d in list {
        let attempts = state.store.attempts(d.id).await?;
        out.push(DeliveryView { d, attempts });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "admin/party.html")]
struct PartyPage {
    tr: Tr,
    c: Chrome,
    rp: dojang_core::RelyingParty,
    code: String,
    aliases: Vec<dojang_store::Alias>,
    webhook: Option<String>,
    deliveries: Vec<DeliveryView>,
    login_return_url: String,
    login_texts: Vec<TextsView>,
}

/// One language's hosted-login texts as the form shows them (empty: the built-in text).
struct TextsView {
    lang: &'static str,
    label: &'static str,
    recipient: String,
    purpose: String,
    items: String,
    retention: String,
    help: String,
    support: String,
}

async fn party(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    op.allow(&state, "page.parties", "").await?;
    let lang = op.lang;
    let rp = match ops::registered(state.store.as_ref(), &code).await {
        Ok(rp) => rp,
        Err(AdminError::Store(e)) => return Err(store_error(lang, e)),
        Err(e) => {
            return Err(
                PageError::new(lang, StatusCode::NOT_FOUND, e.message(lang)).back("/admin/parties")
            );
        }
    };
    let s = state.store.as_ref();
    let aliases = s
        .aliases(&rp.client_code)
        .await
        .map_err(|e| store_error(lang, e))?;
    let webhook = s
        .webhook(&rp.client_code)
        .await
        .map_err(|e| store_error(lang, e))?
        .map(|w| w.url);
    let list = s
        .deliveries(&rp.client_code, 20)
        .await
        .map_err(|e| store_error(lang, e))?;
    let deliveries = deliveries(&state, list)
        .await
        .map_err(|e| store_error(lang, e))?;
    let login_return_url = s
        .login_return_url(&rp.client_code)
        .await
        .map_err(|e| store_error(lang, e))?
        .unwrap_or_default();
    let stored = s
        .login_texts(&rp.client_code)
        .await
        .map_err(|e| store_error(lang, e))?;
    let login_texts = [("ko", "party.texts.ko"), ("en", "party.texts.en")]
        .into_iter()
        .map(|(l, label)| {
            let t = stored.iter().find(|t| t.lang == l);
            let f = |g: fn(&dojang_store::LoginTexts) -> &Option<String>| {
                t.and_then(|t| g(t).clone()).unwrap_or_default()
            };
            TextsView {
                lang: l,
                label,
                recipient: f(|t| &t.recipient),
                purpose: f(|t| &t.purpose),
                items: f(|t| &t.items),
                retention: f(|t| &t.retention),
                help: f(|t| &t.help),
                support: f(|t| &t.support),
            }
        })
        .collect();
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &PartyPage {
            tr: Tr::new(lang, ADMIN),
            c: chrome(&state, &op, flash, "parties"),
            code: rp.client_code.to_string(),
            rp,
            aliases,
            webhook,
            deliveries,
            login_return_url,
            login_texts,
        },
    ))
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

fn party_path(code: &str) -> String {
    format!("/admin/parties/{}", web::pct_encode(code))
}

async fn rotate(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.rotate_key", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    match ops::rotate_secret(state.store.as_ref(), &code).await {
        Ok(rp) => {
            state.forget_party(&rp.link_id);
            op.audit(
                &state,
                "rp.rotate_key",
                &code,
                Some(serde_json::json!({"secret_key": "old (not recorded)"})),
                Some(serde_json::json!({"secret_key": "new (not recorded)"})),
                true,
            )
            .await;
            tracing::info!(client_code = %rp.client_code, "admin rotated a SecretKey");
            Ok(page(
                jar,
                &SecretPage {
                    c: chrome(&state, &op, None, "parties"),
                    heading: tr.t("secret.rotated"),
                    secret: ops::secret_text(&rp),
                    client_code: rp.client_code.to_string(),
                    link_id: Some(rp.link_id),
                    label: "SecretKey",
                    tr,
                },
            ))
        }
        Err(e) => {
            op.audit(&state, "rp.rotate_key", &code, None, failed(&e), false)
                .await;
            Ok(refused(jar, &party_path(&code), op.lang, &e))
        }
    }
}

#[derive(Deserialize)]
struct CallCenterForm {
    #[serde(default)]
    call_center: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn call_center(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<CallCenterForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.call_center", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    let before = ops::registered(state.store.as_ref(), &code)
        .await
        .ok()
        .map(|rp| serde_json::json!({"call_center": rp.call_center_num}));
    match ops::set_call_center(state.store.as_ref(), &code, &f.call_center).await {
        Ok(rp) => {
            state.forget_party(&rp.link_id);
            let after = serde_json::json!({"call_center": rp.call_center_num});
            op.audit(&state, "rp.call_center", &code, before, Some(after), true)
                .await;
            Ok(done(jar, &party_path(&code), tr.t("flash.call_center")))
        }
        Err(e) => {
            op.audit(&state, "rp.call_center", &code, before, failed(&e), false)
                .await;
            Ok(refused(jar, &party_path(&code), op.lang, &e))
        }
    }
}

#[derive(Deserialize)]
struct AliasForm {
    #[serde(default)]
    sub_client_id: String,
    #[serde(default)]
    alias_name: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn add_alias(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<AliasForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.alias_add", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    let after = serde_json::json!({"sub_client_id": f.sub_client_id, "name": f.alias_name});
    match ops::add_alias(
        state.store.as_ref(),
        &code,
        &f.sub_client_id,
        &f.alias_name,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => {
            op.audit(&state, "rp.alias_add", &code, None, Some(after), true)
                .await;
            Ok(done(jar, &party_path(&code), tr.t("flash.alias_added")))
        }
        Err(e) => {
            op.audit(&state, "rp.alias_add", &code, None, failed(&e), false)
                .await;
            Ok(refused(jar, &party_path(&code), op.lang, &e))
        }
    }
}

async fn remove_alias(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<AliasForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.alias_remove", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    let before = Some(serde_json::json!({"sub_client_id": f.sub_client_id}));
    match ops::remove_alias(state.store.as_ref(), &code, &f.sub_client_id).await {
        Ok(()) => {
            op.audit(&state, "rp.alias_remove", &code, before, None, true)
                .await;
            Ok(done(jar, &party_path(&code), tr.t("flash.alias_removed")))
        }
        Err(e) => {
            op.audit(&state, "rp.alias_remove", &code, before, failed(&e), false)
                .await;
            Ok(refused(jar, &party_path(&code), op.lang, &e))
        }
    }
}

#[derive(Deserialize)]
struct WebhookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    new_secret: Option<String>,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn set_webhook(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<WebhookForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.webhook_set", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    let before = webhook_url(&state, &code).await;
    let after = serde_json::json!({"url": f.url, "new_secret": f.new_secret.is_some()});
    let result = ops::set_webhook(
        state.store.as_ref(),
        &code,
        &f.url,
        f.new_secret.is_some(),
        state.webhooks.settings.allow_private,
        state.clock.now(),
    )
    .await;
    match &result {
        Ok(_) => {
            op.audit(&state, "rp.webhook_set", &code, before, Some(after), true)
                .await;
        }
        Err(e) => {
            op.audit(&state, "rp.webhook_set", &code, before, failed(e), false)
                .await;
        }
    }
    match result {
        Ok((hook, true)) => Ok(page(
            jar,
            &SecretPage {
                c: chrome(&state, &op, None, "parties"),
                heading: tr.t("secret.webhook"),
                client_code: hook.client_code.to_string(),
                link_id: None,
                label: tr.t("secret.webhook_label"),
                secret: hook.secret,
                tr,
            },
        )),
        Ok((_, false)) => Ok(done(jar, &party_path(&code), tr.t("flash.webhook_set"))),
        Err(e) => Ok(refused(jar, &party_path(&code), op.lang, &e)),
    }
}

async fn clear_webhook(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.webhook_clear", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    let before = webhook_url(&state, &code).await;
    match ops::clear_webhook(state.store.as_ref(), &code, state.clock.now()).await {
        Ok(_) => {
            op.audit(&state, "rp.webhook_clear", &code, before, None, true)
                .await;
            Ok(done(jar, &party_path(&code), tr.t("flash.webhook_cleared")))
        }
        Err(e) => {
            op.audit(&state, "rp.webhook_clear", &code, before, failed(&e), false)
                .await;
            Ok(refused(jar, &party_path(&code), op.lang, &e))
        }
    }
}

// ----- members ------------------------------------------------------------------------------

/// A member with their devices and certificates.
#[derive(Debug)]
pub struct MemberView {
    m: dojang_core::Member,
    devices: Vec<dojang_core::Device>,
    certificates: Vec<CertView>,
}

/// A certificate row.
#[derive(Debug)]
pub struct CertView {
    c: dojang_core::CertificateRecord,
    state: &'static str,
    holder: Option<String>,
    phone: Option<String>,
}

impl CertView {
    fn new(
        c: dojang_core::CertificateRecord,
        holder: Option<&dojang_core::Member>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            state: ops::certificate_state(&c, now),
            holder: holder.map(|m| m.person.name.as_str().to_owned()),
            phone: holder.map(|m| m.person.phone.as_str().to_owned()),
            c,
        }
    }

    fn badge(&self) -> &'static str {
        match self.state {
            "active" => "ok",
            "revoked" => "bad",
            _ => "warn",
        }
    }

    /// The word key of how the holder proved who they are.
    fn proof_word(&self) -> &'static str {
        match self.c.proof {
            dojang_core::IdentityProof::Sms => "proof.sms",
            dojang_core::IdentityProof::Bank => "proof.bank",
            dojang_core::IdentityProof::Desk => "proof.desk",
            dojang_core::IdentityProof::Alt => "proof.alt",
            dojang_core::IdentityProof::Unknown => "proof.unknown",
        }
    }

    fn reason(&self) -> &'static str {
        ops::reason_name(self.c.revocation_reason).unwrap_or("")
    }
}

#[derive(Deserialize)]
struct PhoneQuery {
    #[serde(default)]
    phone: String,
}

#[derive(Template)]
#[template(path = "admin/members.html")]
struct Members {
    tr: Tr,
    c: Chrome,
    phone: String,
    error: Option<String>,
    searched: bool,
    members: Vec<MemberView>,
}

async fn members(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Query(q): Query<PhoneQuery>,
) -> Result<Response, PageError> {
    op.allow(&state, "page.members", "").await?;
    let lang = op.lang;
    let now = state.clock.now();
    let phone = q.phone.trim().to_owned();
    let mut error = None;
    let mut list = Vec::new();
    if !phone.is_empty() {
        match Phone::parse(&phone) {
            Err(e) => error = Some(AdminError::Invalid(e).message(lang)),
            Ok(p) => {
                let s = state.store.as_ref();
                for m in s
                    .members_by_phone(&p)
                    .await
                    .map_err(|e| store_error(lang, e))?
                {
                    let devices = s.devices_of(m.id).await.map_err(|e| store_error(lang, e))?;
                    let certificates = s
                        .certificates_of(m.id)
                        .await
                        .map_err(|e| store_error(lang, e))?
                        .into_iter()
                        .map(|c| CertView::new(c, Some(&m), now))
                        .collect();
                    list.push(MemberView {
                        m,
                        devices,
                        certificates,
                    });
                }
            }
        }
    }
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &Members {
            tr: Tr::new(lang, ADMIN),
            c: chrome(&state, &op, flash, "members"),
            searched: !phone.is_empty() && error.is_none(),
            phone,
            error,
            members: list,
        },
    ))
}

#[derive(Deserialize)]
struct RenameForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    birth: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn rename(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Form(f): Form<RenameForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "member.rename", "").await?;
    let lang = op.lang;
    let back = format!("/admin/members?phone={}", web::pct_encode(f.phone.trim()));
    match ops::rename_member(
        state.store.as_ref(),
        &f.phone,
        &f.birth,
        &f.name,
        state.clock.now(),
    )
    .await
    {
        Ok(r) => {
            state.forget_member(r.member.id);
            for s in &r.revoked {
                state.forget_certificate(s);
            }
            tracing::info!(member = %r.member.id, revoked = r.revoked.len(), "admin renamed a member");
            // Personal data minimised: the member's id and what changed, not the names.
            op.audit(
                &state,
                "member.rename",
                &r.member.id.to_string(),
                Some(serde_json::json!({"name": "previous (not recorded)"})),
                Some(serde_json::json!({
                    "name": "changed (not recorded)",
                    "revoked": r.revoked.iter().map(ToString::to_string).collect::<Vec<_>>(),
                })),
                true,
            )
            .await;
            let text = match lang {
                Lang::Ko => format!(
                    "이름을 {}(으)로 바꾸었습니다. 인증서 {}개를 폐지했습니다(affiliationChanged). 새 인증서를 발급받아야 합니다.",
                    r.name.as_str(),
                    r.revoked.len()
                ),
                Lang::En => format!(
                    "Renamed to {}. {} certificate(s) revoked (affiliationChanged); the person must issue a new one.",
                    r.name.as_str(),
                    r.revoked.len()
                ),
            };
            Ok(done(jar, &back, &text))
        }
        Err(e) => {
            op.audit(&state, "member.rename", "", None, failed(&e), false)
                .await;
            Ok(refused(jar, &back, lang, &e))
        }
    }
}

// ----- certificates -------------------------------------------------------------------------

#[derive(Deserialize)]
struct CertQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    serial: String,
}

#[derive(Template)]
#[template(path = "admin/certificates.html")]
struct Certificates {
    tr: Tr,
    c: Chrome,
    filter: String,
    serial: String,
    certificates: Vec<CertView>,
    reasons: Vec<(&'static str, &'static str)>,
}

const REASONS: [RevocationReason; 5] = [
    RevocationReason::Unspecified,
    RevocationReason::KeyCompromise,
    RevocationReason::AffiliationChanged,
    RevocationReason::Superseded,
    RevocationReason::CessationOfOperation,
];

fn reason_key(r: RevocationReason) -> &'static str {
    match r {
        RevocationReason::KeyCompromise => "reason.keyCompromise",
        RevocationReason::AffiliationChanged => "reason.affiliationChanged",
        RevocationReason::Superseded => "reason.superseded",
        RevocationReason::CessationOfOperation => "reason.cessationOfOperation",
        _ => "reason.unspecified",
    }
}

async fn certificates(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Query(q): Query<CertQuery>,
) -> Result<Response, PageError> {
    op.allow(&state, "page.certificates", "").await?;
    let lang = op.lang;
    let tr = Tr::new(lang, ADMIN);
    let now = state.clock.now();
    let s = state.store.as_ref();
    let serial = ops::parse_serial(&q.serial).unwrap_or_default();
    let (filter, name) = match q.state.as_str() {
        "revoked" => (CertificateFilter::Revoked, "revoked"),
        "expired" => (CertificateFilter::Expired, "expired"),
        "all" => (CertificateFilter::All, "all"),
        _ => (CertificateFilter::Active, "active"),
    };
    let records = if serial.is_empty() {
        s.certificates_in_state(filter, now, 200)
            .await
            .map_err(|e| store_error(lang, e))?
    } else {
        s.certificate(&serial)
            .await
            .map_err(|e| store_error(lang, e))?
            .into_iter()
            .collect()
    };
    let mut holders: HashMap<MemberId, Option<dojang_core::Member>> = HashMap::new();
    let mut list = Vec::with_capacity(records.len());
    for c in records {
        if let std::collections::hash_map::Entry::Vacant(slot) = holders.entry(c.member_id) {
            slot.insert(
                s.member(c.member_id)
                    .await
                    .map_err(|e| store_error(lang, e))?,
            );
        }
        let holder = holders.get(&c.member_id).and_then(Option::as_ref);
        list.push(CertView::new(c, holder, now));
    }
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &Certificates {
            c: chrome(&state, &op, flash, "certificates"),
            filter: if serial.is_empty() {
                name.into()
            } else {
                String::new()
            },
            serial,
            certificates: list,
            reasons: REASONS
                .iter()
                .map(|r| (r.as_str(), tr.t(reason_key(*r))))
                .collect(),
            tr,
        },
    ))
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    serial: String,
    #[serde(default)]
    reason: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn revoke(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Form(f): Form<RevokeForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "cert.revoke", &f.serial).await?;
    let lang = op.lang;
    let tr = Tr::new(lang, ADMIN);
    let Some(serial) = ops::parse_serial(&f.serial) else {
        return Ok(refused(
            jar,
            "/admin/certificates",
            lang,
            &AdminError::NoCertificate(f.serial.chars().take(40).collect()),
        ));
    };
    let back = format!("/admin/certificates?serial={serial}");
    let Some(reason) = REASONS.iter().copied().find(|r| r.as_str() == f.reason) else {
        return Ok((
            jar.add(flash_kind("bad", tr.t("flash.reason"))),
            Redirect::to(&back),
        )
            .into_response());
    };
    match ops::revoke_certificate(
        state.store.as_ref(),
        state.hsm.as_ref(),
        &serial,
        reason,
        state.clock.now(),
    )
    .await
    {
        Ok(c) => {
            state.forget_certificate(&c.serial);
            tracing::info!(serial = %c.serial, reason = reason.as_str(), "admin revoked a certificate");
            op.audit(
                &state,
                "cert.revoke",
                &c.serial.to_string(),
                Some(serde_json::json!({"state": "active"})),
                Some(serde_json::json!({"state": "revoked", "reason": reason.as_str()})),
                true,
            )
            .await;
            let text = format!(
                "{} {} ({})",
                tr.t("flash.revoked"),
                c.serial,
                reason.as_str()
            );
            Ok(done(jar, &back, &text))
        }
        Err(e) => {
            op.audit(
                &state,
                "cert.revoke",
                &serial.to_string(),
                None,
                failed(&e),
                false,
            )
            .await;
            Ok(refused(jar, &back, lang, &e))
        }
    }
}

// ----- requests -----------------------------------------------------------------------------

#[derive(Deserialize)]
struct RequestQuery {
    #[serde(default)]
    client: String,
    #[serde(default)]
    state: String,
}

/// A request row.
#[derive(Debug)]
pub struct RequestRowView {
    id: String,
    kind: &'static str,
    party: String,
    client_code: String,
    receiver: String,
    title: String,
    at: String,
    state: &'static str,
    badge: &'static str,
}

#[derive(Template)]
#[template(path = "admin/requests.html")]
struct Requests {
    tr: Tr,
    c: Chrome,
    client: String,
    state: String,
    error: Option<String>,
    parties: Vec<(String, String)>,
    states: Vec<(&'static str, &'static str)>,
    rows: Vec<RequestRowView>,
}

async fn requests(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Query(q): Query<RequestQuery>,
) -> Result<Response, PageError> {
    op.allow(&state, "page.requests", "").await?;
    let lang = op.lang;
    let tr = Tr::new(lang, ADMIN);
    let now = state.clock.now();
    let s = state.store.as_ref();
    let all = s
        .relying_parties()
        .await
        .map_err(|e| store_error(lang, e))?;
    let names: HashMap<String, String> = all
        .iter()
        .map(|p| (p.client_code.to_string(), p.name.clone()))
        .collect();
    let mut error = None;
    let client_code = match q.client.trim() {
        "" => None,
        c => match c.parse::<ClientCode>() {
            Ok(c) => Some(c),
            Err(e) => {
                error = Some(AdminError::Invalid(e).message(lang));
                None
            }
        },
    };
    let filter = RequestFilter {
        client_code,
        state: STATES.iter().copied().find(|s| state_param(*s) == q.state),
    };
    let rows = if error.is_some() {
        Vec::new()
    } else {
        s.recent_requests(&filter, now, 200)
            .await
            .map_err(|e| store_error(lang, e))?
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let st = r.state(now);
            RequestRowView {
                id: r.receipt_id.to_string(),
                kind: r.kind.as_str(),
                party: names
                    .get(r.client_code.as_str())
                    .cloned()
                    .unwrap_or_default(),
                client_code: r.client_code.to_string(),
                receiver: r.receiver.name.as_str().to_owned(),
                title: r.title.clone(),
                at: when(r.requested_at),
                state: state_word(&tr, st),
                badge: state_badge(st),
            }
        })
        .collect();
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &Requests {
            c: chrome(&state, &op, flash, "requests"),
            client: q.client.trim().to_owned(),
            state: filter.state.map(state_param).unwrap_or("").to_owned(),
            error,
            parties: all
                .into_iter()
                .map(|p| (p.client_code.to_string(), p.name))
                .collect(),
            states: STATES
                .iter()
                .map(|s| (state_param(*s), state_word(&tr, *s)))
                .collect(),
            rows,
            tr,
        },
    ))
}

/// One line of a request's timeline.
#[derive(Debug)]
pub struct Event {
    at: String,
    what: String,
}

#[derive(Template)]
#[template(path = "admin/request.html")]
struct RequestPage {
    tr: Tr,
    c: Chrome,
    r: RequestRowView,
    receiver_phone: String,
    expire_at: String,
    signer: Option<String>,
    reason: Option<String>,
    /// The evidence of a signed request, base64: one CMS SignedData per document, and the CA's
    /// OCSP answer for the signer at signing time. Shown whatever the dialect handed out (the
    /// kakaocert dialects answer VerifyAuth with the token; the CMS stays here).
    signed_data: Vec<String>,
    signer_ocsp: Option<String>,
    timeline: Vec<Event>,
    deliveries: Vec<DeliveryView>,
}

async fn request(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(receipt): Path<String>,
) -> Result<Response, PageError> {
    op.allow(&state, "page.requests", "").await?;
    let lang = op.lang;
    let tr = Tr::new(lang, ADMIN);
    let now = state.clock.now();
    let s = state.store.as_ref();
    let not_found = || {
        PageError::new(lang, StatusCode::NOT_FOUND, tr.t("request.not_found"))
            .back("/admin/requests")
    };
    let id: dojang_core::ReceiptId = receipt.parse().map_err(|_| not_found())?;
    let r = s
        .request(&id)
        .await
        .map_err(|e| store_error(lang, e))?
        .ok_or_else(not_found)?;
    let party = s
        .relying_party(&r.client_code)
        .await
        .map_err(|e| store_error(lang, e))?
        .map(|p| p.name)
        .unwrap_or_default();
    let st = r.state(now);
    let mut timeline = vec![Event {
        at: when(r.requested_at),
        what: tr.t("event.requested").to_owned(),
    }];
    if let Some(t) = r.viewed_at {
        timeline.push(Event {
            at: when(t),
            what: tr.t("event.viewed").to_owned(),
        });
    }
    if let Some(t) = r.completed_at {
        timeline.push(Event {
            at: when(t),
            what: state_word(&tr, st).to_owned(),
        });
    }
    if let Some(t) = r.verified_at {
        timeline.push(Event {
            at: when(t),
            what: tr.t("event.verified").to_owned(),
        });
    }
    if st == RequestState::Expired {
        timeline.push(Event {
            at: when(r.expire_at),
            what: tr.t("state.expired").to_owned(),
        });
    }
    let list = s
        .deliveries_of_receipt(&r.receipt_id.to_string())
        .await
        .map_err(|e| store_error(lang, e))?;
    let deliveries = deliveries(&state, list)
        .await
        .map_err(|e| store_error(lang, e))?;
    for d in &deliveries {
        for a in &d.attempts {
            timeline.push(Event {
                at: when(a.at),
                what: format!(
                    "{} {} #{} — {}",
                    tr.t("event.webhook"),
                    d.d.event,
                    a.attempt,
                    DeliveryView::outcome(a)
                ),
            });
        }
    }
    timeline.sort_by(|a, b| a.at.cmp(&b.at));
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &RequestPage {
            c: chrome(&state, &op, flash, "requests"),
            receiver_phone: r.receiver.phone.as_str().to_owned(),
            expire_at: when(r.expire_at),
            signer: r.signer_serial.clone(),
            reason: r.reason.clone(),
            signed_data: r.signed_data.iter().map(|d| STANDARD.encode(d)).collect(),
            signer_ocsp: r.signer_ocsp.as_ref().map(|d| STANDARD.encode(d)),
            r: RequestRowView {
                id: r.receipt_id.to_string(),
                kind: r.kind.as_str(),
                party,
                client_code: r.client_code.to_string(),
                receiver: r.receiver.name.as_str().to_owned(),
                title: r.title.clone(),
                at: when(r.requested_at),
                state: state_word(&tr, st),
                badge: state_badge(st),
            },
            timeline,
            deliveries,
            tr,
        },
    ))
}

// ----- outbox -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct Outbox {
    tr: Tr,
    c: Chrome,
    messages: Vec<dojang_core::OutboxMessage>,
}

async fn outbox(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
) -> Result<Response, PageError> {
    op.allow(&state, "page.outbox", "").await?;
    let messages = state
        .store
        .outbox(None, 100)
        .await
        .map_err(|e| store_error(op.lang, e))?;
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &Outbox {
            tr: Tr::new(op.lang, ADMIN),
            c: chrome(&state, &op, flash, "outbox"),
            messages,
        },
    ))
}

#[derive(Deserialize)]
struct LoginPageForm {
    #[serde(default)]
    return_url: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// The hosted login's return URL: set, or cleared when empty.
async fn set_login_page(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<LoginPageForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.login_page", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    let rp = match ops::registered(state.store.as_ref(), &code).await {
        Ok(rp) => rp,
        Err(e) => return Ok(refused(jar, "/admin/parties", op.lang, &e)),
    };
    let to = party_path(&code);
    let before = state
        .store
        .login_return_url(&rp.client_code)
        .await
        .ok()
        .map(|u| serde_json::json!({"return_url": u}));
    let value = match crate::service::login_page::set_return_url(
        state.store.as_ref(),
        &rp.client_code,
        Some(&f.return_url),
        state.clock.now(),
    )
    .await
    {
        Ok(v) => v,
        Err(crate::service::login_page::ReturnUrlError::Refused(why)) => {
            op.audit(
                &state,
                "rp.login_page",
                &code,
                before,
                Some(serde_json::json!({"error": why.to_string()})),
                false,
            )
            .await;
            let msg = format!("{}: {why}", tr.t("party.login_page.url"));
            return Ok((jar.add(flash_kind("bad", &msg)), Redirect::to(&to)).into_response());
        }
        Err(crate::service::login_page::ReturnUrlError::Store(e)) => {
            return Err(store_error(op.lang, e));
        }
    };
    let text = if value.is_some() {
        tr.t("flash.login_page")
    } else {
        tr.t("flash.login_page_off")
    };
    tracing::info!(client_code = %rp.client_code, on = value.is_some(), "admin: hosted login return URL");
    op.audit(
        &state,
        "rp.login_page",
        &code,
        before,
        Some(serde_json::json!({"return_url": value.as_ref().map(ToString::to_string)})),
        true,
    )
    .await;
    Ok(done(jar, &to, text))
}

#[derive(Deserialize)]
struct LoginTextsForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    retention: String,
    #[serde(default)]
    help: String,
    #[serde(default)]
    support: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// The hosted login's texts in one language: every field as given (empty: built-in).
async fn set_login_texts(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(f): Form<LoginTextsForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "rp.login_texts", &code).await?;
    let tr = Tr::new(op.lang, ADMIN);
    let rp = match ops::registered(state.store.as_ref(), &code).await {
        Ok(rp) => rp,
        Err(e) => return Ok(refused(jar, "/admin/parties", op.lang, &e)),
    };
    let to = party_path(&code);
    let after = serde_json::json!({
        "lang": f.lang,
        "recipient": f.recipient,
        "purpose": f.purpose,
        "items": f.items,
        "retention": f.retention,
        "help": f.help,
        "support": f.support,
    });
    let update = crate::service::login_page::TextsUpdate {
        recipient: Some(f.recipient),
        purpose: Some(f.purpose),
        items: Some(f.items),
        retention: Some(f.retention),
        help: Some(f.help),
        support: Some(f.support),
    };
    match crate::service::login_page::set_texts(
        state.store.as_ref(),
        &rp.client_code,
        &f.lang,
        update,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => {}
        Err(crate::service::login_page::TextsError::Store(e)) => {
            return Err(store_error(op.lang, e));
        }
        Err(e) => {
            op.audit(
                &state,
                "rp.login_texts",
                &code,
                None,
                Some(serde_json::json!({"error": e.to_string()})),
                false,
            )
            .await;
            let msg = format!("{}: {e}", tr.t("party.texts"));
            return Ok((jar.add(flash_kind("bad", &msg)), Redirect::to(&to)).into_response());
        }
    }
    tracing::info!(client_code = %rp.client_code, lang = %f.lang, "admin: hosted login texts");
    op.audit(&state, "rp.login_texts", &code, None, Some(after), true)
        .await;
    Ok(done(jar, &to, tr.t("flash.texts")))
}

#[derive(Deserialize, Default)]
struct ConsentQuery {
    #[serde(default)]
    client: String,
    #[serde(default)]
    phone: String,
}

#[derive(Template)]
#[template(path = "admin/consents.html")]
struct Consents {
    tr: Tr,
    c: Chrome,
    client: String,
    phone: String,
    consents: Vec<dojang_store::Consent>,
}

/// Consent records, newest first, by relying party and phone.
async fn consents(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    q: Result<Query<ConsentQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    op.allow(&state, "page.consents", "").await?;
    let lang = op.lang;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let code: Option<ClientCode> = match q.client.trim() {
        "" => None,
        c => Some(c.parse().map_err(|e: dojang_core::ValidationError| {
            PageError::api(lang, e).back("/admin/consents")
        })?),
    };
    let digits: String = q.phone.chars().filter(char::is_ascii_digit).collect();
    let phone = match digits.as_str() {
        "" => None,
        p => Some(Phone::parse(p).map_err(|e| PageError::api(lang, e).back("/admin/consents"))?),
    };
    let consents = state
        .store
        .consents(code.as_ref(), phone.as_ref(), 200)
        .await
        .map_err(|e| store_error(lang, e))?;
    let (jar, flash) = take_flash(jar);
    Ok(page(
        jar,
        &Consents {
            tr: Tr::new(lang, ADMIN),
            c: chrome(&state, &op, flash, "consents"),
            client: q.client,
            phone: digits,
            consents,
        },
    ))
}
