//! The integrator test console (`/console`): every native API call as a form with every field,
//! the raw signed request and the raw response, a live timeline of a receipt's states, and
//! sandbox people whose virtual authenticator answers by itself (docs/console.md).
//!
//! The console is a client of this server's own API: it signs with `dojang-client`
//! (`call.rs`) and sends over real HTTP to the server's own listener, so what it shows is what
//! an integrator's code would see. Credentials are typed into each form and never stored,
//! logged, or written back into a page (the LinkID is shown, the SecretKey only masked). Forms
//! carry a CSRF token bound to a browser cookie (`dojang_console`).

pub mod call;
pub mod sandbox;
pub mod timeline;
mod words;

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::SameSite;
use dojang_proto::rp::Kind;

use super::i18n::{Lang, PageLang, Tr};
use super::web::{self, PageError};
use crate::http::rp::Call;
use crate::state::AppState;
use call::{Field, FormProblem, Input};
pub use words::CONSOLE;

/// The browser cookie the console's CSRF and watch tokens are bound to.
const BROWSER_COOKIE: &str = "dojang_console";
/// The CSRF purpose of the console's forms.
const CSRF: &str = "console";

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(index))
        .route("/console/sandbox", post(add_person))
        .route("/console/sandbox/{id}/remove", post(remove_person))
        .route("/console/timeline/{kind}/{receipt}", get(timeline_page))
        .route("/console/events/{kind}/{receipt}", get(events))
        .route("/console/{kind}/{call}", get(call_form).post(call_send))
}

/// The browser's console cookie, made (and set on the answer) when missing.
fn browser(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(c) = jar.get(BROWSER_COOKIE) {
        let v = c.value().to_owned();
        if !v.is_empty() {
            return (jar, v);
        }
    }
    let v = web::random_token();
    let jar = jar.add(web::cookie(
        BROWSER_COOKIE,
        v.clone(),
        SameSite::Strict,
        secure,
    ));
    (jar, v)
}

/// Whether a POST carries the CSRF token of this browser's cookie.
fn csrf_passes(state: &AppState, jar: &CookieJar, form: &HashMap<String, String>) -> bool {
    match (jar.get(BROWSER_COOKIE), form.get("_csrf")) {
        (Some(c), Some(given)) => web::csrf_ok(state, CSRF, c.value(), given),
        _ => false,
    }
}

fn parse_kind_call(kind: &str, call: &str) -> Option<(Kind, Call)> {
    let kind = Kind::from_segment(kind)?;
    let call = Call::ALL.into_iter().find(|c| c.as_str() == call)?;
    Some((kind, call))
}

/// A link to a call's form.
struct CallLink {
    kind: &'static str,
    call: &'static str,
    label: &'static str,
}

/// A kind with its calls.
struct KindRow {
    kind: &'static str,
    label: &'static str,
    calls: Vec<CallLink>,
}

fn calls_of(tr: &Tr, kind: Kind) -> Vec<CallLink> {
    Call::ALL
        .into_iter()
        .map(|c| CallLink {
            kind: kind.as_str(),
            call: c.as_str(),
            label: tr.t(&format!("call.{}", c.as_str())),
        })
        .collect()
}

fn all_calls(tr: &Tr) -> Vec<KindRow> {
    Kind::ALL
        .into_iter()
        .map(|k| KindRow {
            kind: k.as_str(),
            label: tr.t(&format!("kind.{}", k.as_str())),
            calls: calls_of(tr, k),
        })
        .collect()
}

/// A sandbox person as the page lists them.
struct PersonRow {
    id: String,
    name: String,
    phone: String,
    birthday: String,
    outcome: &'static str,
    outcome_label: &'static str,
    delay: u64,
    connected: bool,
    answered: u32,
    last: String,
}

fn person_rows(state: &AppState, tr: &Tr, browser: &str) -> Vec<PersonRow> {
    state
        .sandbox
        .list(state, browser)
        .iter()
        .map(|p| {
            let a = p.snapshot();
            PersonRow {
                id: p.id.clone(),
                name: p.name.clone(),
                phone: p.phone.clone(),
                birthday: p.birthday.clone(),
                outcome: p.outcome.as_str(),
                outcome_label: tr.t(&format!("console.outcome.{}", p.outcome.as_str())),
                delay: p.delay.as_secs(),
                connected: a.connected,
                answered: a.answered,
                last: a.last.unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/index.html")]
struct IndexPage {
    tr: Tr,
    csrf: String,
    calls: Vec<KindRow>,
    sandbox_on: bool,
    sandbox_max: usize,
    /// Everyone's sandbox people (the limit counts them all); the list shows this browser's.
    sandbox_running: usize,
    people: Vec<PersonRow>,
    outcomes: Vec<(&'static str, &'static str)>,
    flash: Option<String>,
    problem: Option<String>,
    new_name: String,
    new_phone: String,
    new_birthday: String,
    new_outcome: String,
    new_delay: String,
}

fn index_page(
    state: &AppState,
    lang: Lang,
    browser: &str,
    flash: Option<String>,
    problem: Option<String>,
    form: &HashMap<String, String>,
) -> IndexPage {
    let get = |k: &str, d: &str| {
        form.get(k)
            .map_or_else(|| d.to_owned(), |v| v.trim().to_owned())
    };
    let suggest = {
        use rand::RngExt as _;
        let n: u32 = rand::rng().random_range(0..100_000_000);
        format!("010{n:08}")
    };
    let tr = Tr::new(lang, CONSOLE);
    IndexPage {
        tr,
        csrf: web::csrf_token(state, CSRF, browser),
        calls: all_calls(&tr),
        sandbox_on: state.sandbox.enabled(),
        sandbox_max: state.sandbox.max(),
        sandbox_running: state.sandbox.running(),
        people: person_rows(state, &tr, browser),
        outcomes: sandbox::Outcome::ALL
            .iter()
            .map(|o| (o.as_str(), tr.t(&format!("console.outcome.{}", o.as_str()))))
            .collect(),
        flash,
        problem,
        new_name: get("name", "홍길동"),
        new_phone: get("phone", &suggest),
        new_birthday: get("birthday", "19900101"),
        new_outcome: get("outcome", "approve"),
        new_delay: get("delay", "2"),
    }
}

async fn index(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Query(q): Query<HashMap<String, String>>,
    req: axum::extract::Request,
) -> Response {
    let (jar, b) = browser(jar, web::over_tls(req.extensions()));
    let flash = q
        .get("added")
        .map(|_| Tr::new(lang, CONSOLE).t("console.sandbox.added").to_owned());
    let page = index_page(&state, lang, &b, flash, None, &HashMap::new());
    (jar, web::render(&page)).into_response()
}

/// A form field as the page shows it.
struct FieldView {
    name: &'static str,
    input: &'static str,
    options: &'static [&'static str],
    hint: &'static str,
    required: bool,
    value: String,
    invalid: bool,
}

fn field_views(
    tr: &Tr,
    kind: Kind,
    fields: &[Field],
    values: &HashMap<String, String>,
    bad: Option<&str>,
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let (input, options) = match f.input {
                Input::Text => ("text", &[][..]),
                Input::Area => ("area", &[][..]),
                Input::Json => ("area", &[][..]),
                Input::Number => ("number", &[][..]),
                Input::Select(o) => ("select", o),
                Input::YesNo => ("select", &["true", "false"][..]),
            };
            FieldView {
                name: f.name,
                input,
                options,
                hint: tr.t(&format!("field.{}", f.name)),
                required: f.required.contains(&kind),
                value: values.get(f.name).cloned().unwrap_or_default(),
                invalid: bad == Some(f.name),
            }
        })
        .collect()
}

/// The raw exchange as the page shows it.
struct ExchangeView {
    request: String,
    string_to_sign: String,
    response: String,
    ok: bool,
    transport_error: bool,
    receipt: Option<String>,
    binding_code: Option<String>,
    scheme: Option<String>,
    state: Option<String>,
    timeline: Option<String>,
}

#[derive(Template)]
#[template(path = "console/call.html")]
struct CallPage {
    tr: Tr,
    kind: &'static str,
    kind_label: &'static str,
    call: &'static str,
    call_label: &'static str,
    method: &'static str,
    path: String,
    csrf: String,
    link_id: String,
    secret_mask: Option<String>,
    link_invalid: bool,
    secret_invalid: bool,
    fields: Vec<FieldView>,
    problem: Option<String>,
    exchange: Option<ExchangeView>,
    siblings: Vec<CallLink>,
}

fn call_page(
    state: &AppState,
    lang: Lang,
    browser: &str,
    kind: Kind,
    call: Call,
    values: &HashMap<String, String>,
    problem: Option<&FormProblem>,
) -> CallPage {
    let tr = Tr::new(lang, CONSOLE);
    let bad = problem.map(|p| p.field);
    let problem_text = problem.map(|p| match &p.detail {
        Some(d) => format!("{}: {} ({d})", p.field, tr.t(p.message)),
        None => format!("{}: {}", p.field, tr.t(p.message)),
    });
    CallPage {
        tr,
        kind: kind.as_str(),
        kind_label: tr.t(&format!("kind.{}", kind.as_str())),
        call: call.as_str(),
        call_label: tr.t(&format!("call.{}", call.as_str())),
        method: if call == Call::Status { "GET" } else { "POST" },
        path: call.template(kind),
        csrf: web::csrf_token(state, CSRF, browser),
        link_id: values.get("link_id").cloned().unwrap_or_default(),
        secret_mask: None,
        link_invalid: bad == Some("link_id"),
        secret_invalid: bad == Some("secret_key") || bad == Some("secret_key_b64"),
        fields: field_views(&tr, kind, &call::fields(kind, call), values, bad),
        problem: problem_text,
        exchange: None,
        siblings: calls_of(&tr, kind),
    }
}

/// Example values a fresh create form starts with, so a first call needs only a person.
fn examples(kind: Kind) -> Vec<(&'static str, String)> {
    let mut v = vec![("expireIn", "300".to_owned())];
    match kind {
        Kind::Identity | Kind::Login => {
            v.push(("token", web::random_token()));
            v.push(("reqTitle", "본인확인".to_owned()));
        }
        Kind::Sign => {
            v.push(("signTitle", "이용약관 동의".to_owned()));
            v.push(("tokenType", "TEXT".to_owned()));
            v.push(("token", "이용약관에 동의합니다.".to_owned()));
        }
        Kind::MultiSign => {
            v.push(("reqTitle", "계약 서류".to_owned()));
            v.push((
                "tokens",
                r#"[{"signTitle":"약관","tokenType":"TEXT","token":"약관 본문"},{"signTitle":"개인정보 동의","tokenType":"TEXT","token":"동의 본문"}]"#
                    .to_owned(),
            ));
        }
        Kind::DebitConsent => {
            v.push(("reqTitle", "자동이체 출금동의".to_owned()));
            v.push(("requestCorp", "도장보험".to_owned()));
            v.push(("bankName", "국민은행".to_owned()));
            v.push(("bankAccountNum", "123-456-789".to_owned()));
            v.push(("bankAccountName", "홍길동".to_owned()));
            v.push(("bankAccountBirthday", "19900101".to_owned()));
            v.push(("bankServiceType", "CMS".to_owned()));
        }
    }
    v
}

fn not_found(lang: Lang) -> PageError {
    PageError::new(
        lang,
        StatusCode::NOT_FOUND,
        Tr::new(lang, CONSOLE).t("console.err.kind"),
    )
    .back("/console")
}

async fn call_form(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Path((kind, call)): Path<(String, String)>,
    Query(prefill): Query<HashMap<String, String>>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let (kind, call) = parse_kind_call(&kind, &call).ok_or_else(|| not_found(lang))?;
    let (jar, b) = browser(jar, web::over_tls(req.extensions()));
    let mut values = prefill;
    values.remove("secret_key");
    if call == Call::Create {
        for (k, v) in examples(kind) {
            values.entry(k.to_owned()).or_insert(v);
        }
    }
    let page = call_page(&state, lang, &b, kind, call, &values, None);
    Ok((jar, web::render(&page)).into_response())
}

async fn call_send(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Path((kind, call)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    let (kind, call) = parse_kind_call(&kind, &call).ok_or_else(|| not_found(lang))?;
    let tr = Tr::new(lang, CONSOLE);
    let Ok(Form(mut form)) = form else {
        return Err(
            PageError::new(lang, StatusCode::BAD_REQUEST, tr.t("console.err.title"))
                .back("/console"),
        );
    };
    if !csrf_passes(&state, &jar, &form) {
        return Err(
            PageError::new(lang, StatusCode::FORBIDDEN, tr.t("console.err.csrf")).back("/console"),
        );
    }
    let b = jar
        .get(BROWSER_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    // The secret is used below and then dropped: never written back into the page.
    let secret = form.remove("secret_key").unwrap_or_default();
    let fail = |p: FormProblem, form: &HashMap<String, String>| {
        let page = call_page(&state, lang, &b, kind, call, form, Some(&p));
        (StatusCode::BAD_REQUEST, web::render(&page)).into_response()
    };
    let mut with_secret = form.clone();
    with_secret.insert("secret_key".to_owned(), secret.clone());
    let (link_id, secret) = match call::credentials(&with_secret) {
        Ok(c) => c,
        Err(p) => return Ok(fail(p, &form)),
    };
    drop(with_secret);
    let built = match call::build(kind, call, &form) {
        Ok(b) => b,
        Err(p) => return Ok(fail(p, &form)),
    };
    let method = call.method();
    let exchange = match call::send(
        &state,
        &link_id,
        &secret,
        method.as_str(),
        &built.path,
        &built.body,
        &built.headers,
    )
    .await
    {
        Ok(x) => x,
        Err(p) => return Ok(fail(p, &form)),
    };
    let mut page = call_page(&state, lang, &b, kind, call, &form, None);
    page.secret_mask = Some(mask(&secret));
    page.exchange = Some(exchange_view(&state, &tr, kind, call, &form, &b, &exchange));
    Ok(web::render(&page))
}

/// A secret as the page may show it: its length and last two characters.
fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let tail: String = secret.chars().skip(n.saturating_sub(2)).collect::<String>();
    format!("{}{tail} ({n})", "•".repeat(8))
}

fn exchange_view(
    state: &AppState,
    tr: &Tr,
    kind: Kind,
    call: Call,
    form: &HashMap<String, String>,
    browser: &str,
    x: &call::Exchange,
) -> ExchangeView {
    let json = x.json();
    let text = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let receipt = if x.ok() {
        text("receiptID").or_else(|| {
            (call != Call::Create)
                .then(|| form.get("receiptID").map(|s| s.trim().to_owned()))
                .flatten()
        })
    } else {
        None
    };
    let state_word = json
        .as_ref()
        .filter(|_| x.ok())
        .and_then(|j| j.get("state"))
        .and_then(serde_json::Value::as_i64)
        .map(|s| tr.t(&format!("console.state.{s}")).to_owned());
    let timeline = receipt.as_ref().map(|r| {
        format!(
            "/console/timeline/{}/{r}?w={}",
            kind.as_str(),
            timeline::watch_token(state, kind, r, browser)
        )
    });
    let host = state
        .self_url
        .strip_prefix("http://")
        .unwrap_or(&state.self_url)
        .to_owned();
    ExchangeView {
        request: x.request_text(&host),
        string_to_sign: x.string_to_sign.clone(),
        response: x.response_text(),
        ok: x.ok(),
        transport_error: x.response.is_err(),
        binding_code: text("bindingCode"),
        scheme: text("scheme"),
        state: state_word,
        receipt,
        timeline,
    }
}

#[derive(Template)]
#[template(path = "console/timeline.html")]
struct TimelinePage {
    tr: Tr,
    kind: &'static str,
    receipt: String,
    events: String,
    here: String,
    t: timeline::Timeline,
    state_word: &'static str,
    tone: &'static str,
    states: Vec<(i32, &'static str)>,
}

#[derive(serde::Deserialize)]
struct WatchQuery {
    #[serde(default)]
    w: String,
}

/// The relying party of a receipt this browser may watch, or the refusal page.
async fn watched(
    state: &AppState,
    lang: Lang,
    jar: &CookieJar,
    kind: &str,
    receipt: &str,
    token: &str,
) -> Result<(Kind, dojang_core::RelyingParty), PageError> {
    let kind = Kind::from_segment(kind).ok_or_else(|| not_found(lang))?;
    let b = jar.get(BROWSER_COOKIE).map(|c| c.value().to_owned());
    let allowed = b.is_some_and(|b| timeline::watch_ok(state, kind, receipt, &b, token));
    if !allowed {
        return Err(PageError::new(
            lang,
            StatusCode::FORBIDDEN,
            Tr::new(lang, CONSOLE).t("console.err.watch"),
        )
        .back("/console"));
    }
    let rp = timeline::owner(state, receipt)
        .await
        .map_err(|e| PageError::api(lang, e).back("/console"))?;
    Ok((kind, rp))
}

async fn timeline_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Path((kind, receipt)): Path<(String, String)>,
    Query(q): Query<WatchQuery>,
) -> Result<Response, PageError> {
    let (kind, rp) = watched(&state, lang, &jar, &kind, &receipt, &q.w).await?;
    let t = timeline::read(&state, &rp, kind, &receipt)
        .await
        .map_err(|e| PageError::api(lang, e).back("/console"))?;
    let tr = Tr::new(lang, CONSOLE);
    let states = (0..=4)
        .map(|s| (s, tr.t(&format!("console.state.{s}"))))
        .collect();
    let page = TimelinePage {
        tr,
        kind: kind.as_str(),
        events: format!("/console/events/{}/{receipt}?w={}", kind.as_str(), q.w),
        here: format!("/console/timeline/{}/{receipt}?w={}", kind.as_str(), q.w),
        state_word: tr.t(&format!("console.state.{}", t.state)),
        tone: timeline::tone(t.state),
        receipt,
        t,
        states,
    };
    Ok(web::render(&page))
}

async fn events(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Path((kind, receipt)): Path<(String, String)>,
    Query(q): Query<WatchQuery>,
) -> Result<Response, PageError> {
    let (kind, rp) = watched(&state, lang, &jar, &kind, &receipt, &q.w).await?;
    let stream = timeline::events(state, rp, kind, receipt);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

async fn add_person(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    let tr = Tr::new(lang, CONSOLE);
    let Ok(Form(form)) = form else {
        return Err(
            PageError::new(lang, StatusCode::BAD_REQUEST, tr.t("console.err.title"))
                .back("/console"),
        );
    };
    if !csrf_passes(&state, &jar, &form) {
        return Err(
            PageError::new(lang, StatusCode::FORBIDDEN, tr.t("console.err.csrf")).back("/console"),
        );
    }
    let b = jar
        .get(BROWSER_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let new = sandbox::NewPerson {
        name: get("name"),
        phone: get("phone"),
        birthday: get("birthday"),
        outcome: get("outcome"),
        delay: get("delay"),
    };
    let (status, message) = match sandbox::add(&state, &b, &new).await {
        Ok(_) => return Ok(Redirect::to("/console?added=1#sandbox").into_response()),
        Err(sandbox::AddError::Disabled) => (
            StatusCode::FORBIDDEN,
            tr.t("console.sandbox.off").to_owned(),
        ),
        Err(sandbox::AddError::Full) => (
            StatusCode::CONFLICT,
            tr.t("console.sandbox.full").to_owned(),
        ),
        Err(sandbox::AddError::Taken) => (
            StatusCode::CONFLICT,
            tr.t("console.sandbox.taken").to_owned(),
        ),
        Err(sandbox::AddError::RealMember) => (
            StatusCode::CONFLICT,
            tr.t("console.sandbox.real").to_owned(),
        ),
        Err(sandbox::AddError::BadChoice) => (
            StatusCode::BAD_REQUEST,
            tr.t("console.sandbox.choice").to_owned(),
        ),
        Err(sandbox::AddError::Api(e)) => {
            let code = e.code();
            let status = crate::http::error::status(code);
            if status.is_server_error() {
                tracing::error!(error = %e, "sandbox person not added");
            }
            (status, format!("{} ({})", code.message(lang), code.code()))
        }
        Err(sandbox::AddError::Device(e)) => {
            tracing::warn!(error = %e, "sandbox device did not enrol");
            (
                StatusCode::BAD_GATEWAY,
                format!("{}: {e}", tr.t("console.sandbox.device")),
            )
        }
    };
    let page = index_page(&state, lang, &b, None, Some(message), &form);
    Ok((status, web::render(&page)).into_response())
}

async fn remove_person(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    let tr = Tr::new(lang, CONSOLE);
    let passes = form
        .as_ref()
        .is_ok_and(|Form(f)| csrf_passes(&state, &jar, f));
    if !passes {
        return Err(
            PageError::new(lang, StatusCode::FORBIDDEN, tr.t("console.err.csrf")).back("/console"),
        );
    }
    let browser = jar
        .get(BROWSER_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    // Another browser's person answers exactly like one that never was: 404, not 403.
    if !state.sandbox.remove(&state, &browser, &id) {
        return Err(not_found(lang).back("/console#sandbox"));
    }
    Ok(Redirect::to("/console#sandbox").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_words() {
        let all = call::CREATE_FIELDS
            .iter()
            .chain([&call::RECEIPT, &call::WAIT, &call::REASON]);
        for f in all {
            let key = format!("field.{}", f.name);
            assert!(CONSOLE.iter().any(|(k, _, _)| *k == key), "{key} missing");
        }
        for k in Kind::ALL {
            let key = format!("kind.{}", k.as_str());
            assert!(CONSOLE.iter().any(|(x, _, _)| *x == key), "{key} missing");
        }
        for o in sandbox::Outcome::ALL {
            let key = format!("console.outcome.{}", o.as_str());
            assert!(CONSOLE.iter().any(|(x, _, _)| *x == key), "{key} missing");
        }
    }

    #[test]
    fn secrets_are_masked() {
        let m = mask("SwWxqU+0TErBXy/9TVjIPEnI0VTUMMSQZtJf3Ed8q3I=");
        assert!(!m.contains("SwWx"));
        assert!(m.ends_with("I= (44)"));
    }
}
