//! The Operators page (administrators create operators, change roles, disable, enable, reset
//! a password or the second factor; support reads the list) and the Audit log page (filters by
//! operator, action and date, pages of 50, exports as CSV and JSON Lines for administrators and
//! support). The work is `service::operators`', shared with `dojang admin operator …`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use dojang_store::{AuditEntry, AuditFilter, OperatorRecord};
use serde::Deserialize;

use super::auth::Operator;
use super::{ADMIN, Chrome, chrome, done, flash_kind, page, store_error, when};
use crate::pages::i18n::Tr;
use crate::pages::web::{self, PageError};
use crate::service::operators::{self as ops, OperatorError};
use crate::state::AppState;

/// Audit entries on one page.
const PAGE: u32 = 50;
/// Entries in one export.
const EXPORT_MAX: u32 = 100_000;

#[derive(Template)]
#[template(path = "admin/operators.html")]
struct OperatorsPage {
    tr: Tr,
    c: Chrome,
    operators: Vec<OperatorRecord>,
    roles: Vec<&'static str>,
}

/// `GET /admin/operators`.
pub(super) async fn list(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
) -> Result<Response, PageError> {
    op.allow(&state, "page.operators", "").await?;
    let operators = state
        .store
        .operators()
        .await
        .map_err(|e| store_error(op.lang, e))?;
    let (jar, flash) = super::take_flash(jar);
    Ok(page(
        jar,
        &OperatorsPage {
            tr: Tr::new(op.lang, ADMIN),
            c: chrome(&state, &op, flash, "operators"),
            operators,
            roles: dojang_store::OperatorRole::ALL
                .iter()
                .map(|r| r.as_str())
                .collect(),
        },
    ))
}

/// A password shown once.
#[derive(Template)]
#[template(path = "admin/operator_password.html")]
struct PasswordPage {
    tr: Tr,
    c: Chrome,
    login: String,
    password: String,
}

#[derive(Deserialize)]
pub(super) struct NewOperatorForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

fn refused(jar: CookieJar, op: &Operator, e: &OperatorError) -> Response {
    (
        jar.add(flash_kind("bad", &e.message(op.lang))),
        axum::response::Redirect::to("/admin/operators"),
    )
        .into_response()
}

/// `POST /admin/operators`: a new operator with a random password, shown once.
pub(super) async fn add(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Form(f): Form<NewOperatorForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "operator.add", &f.login).await?;
    let password = ops::random_password();
    let result = match ops::parse_role(&f.role) {
        Ok(role) => {
            ops::add(
                state.store.as_ref(),
                &f.login,
                &f.display_name,
                role,
                &password,
                state.clock.now(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(o) => {
            op.audit(
                &state,
                "operator.add",
                &o.login,
                None,
                Some(ops::operator_json(&o)),
                true,
            )
            .await;
            Ok(page(
                jar,
                &PasswordPage {
                    tr: Tr::new(op.lang, ADMIN),
                    c: chrome(&state, &op, None, "operators"),
                    login: o.login,
                    password,
                },
            ))
        }
        Err(e) => {
            op.audit(&state, "operator.add", &f.login, None, failed(&e), false)
                .await;
            Ok(refused(jar, &op, &e))
        }
    }
}

fn failed(e: &OperatorError) -> Option<serde_json::Value> {
    Some(serde_json::json!({"error": e.to_string()}))
}

#[derive(Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// What an operator looks like before a change, for the audit log.
async fn before(state: &AppState, login: &str) -> Option<serde_json::Value> {
    state
        .store
        .operator_by_login(login)
        .await
        .ok()
        .flatten()
        .map(|o| ops::operator_json(&o))
}

/// One operator change from the console: the role and CSRF check, the state before, the change
/// (`run`), then [`change`]'s audit and message.
async fn operator_change<F, Fut>(
    state: &AppState,
    op: &Operator,
    jar: CookieJar,
    csrf: &str,
    action: &'static str,
    login: &str,
    run: F,
) -> Result<Response, PageError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<OperatorRecord, OperatorError>>,
{
    op.check(state, csrf, action, login).await?;
    let was = before(state, login).await;
    let result = run().await;
    let tr = Tr::new(op.lang, ADMIN);
    Ok(change(
        state,
        op,
        jar,
        action,
        login,
        result,
        was,
        tr.t("flash.operator"),
    )
    .await)
}

/// Run a change, audit it (before/after), and come back to the list with a message.
#[allow(clippy::too_many_arguments)] // the request's parts and the change's
async fn change(
    state: &AppState,
    op: &Operator,
    jar: CookieJar,
    action: &str,
    login: &str,
    result: Result<OperatorRecord, OperatorError>,
    before: Option<serde_json::Value>,
    message: &str,
) -> Response {
    match result {
        Ok(_) => {
            let after = self::before(state, login).await;
            op.audit(state, action, login, before, after, true).await;
            done(jar, "/admin/operators", message)
        }
        Err(e) => {
            op.audit(state, action, login, before, failed(&e), false)
                .await;
            refused(jar, op, &e)
        }
    }
}

/// `POST /admin/operators/{login}/role`.
pub(super) async fn set_role(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(login): Path<String>,
    Form(f): Form<RoleForm>,
) -> Result<Response, PageError> {
    operator_change(
        &state,
        &op,
        jar,
        &f.csrf,
        "operator.set_role",
        &login,
        || async {
            match ops::parse_role(&f.role) {
                Ok(role) => {
                    ops::set_role(state.store.as_ref(), &login, role, state.clock.now()).await
                }
                Err(e) => Err(e),
            }
        },
    )
    .await
}

/// `POST /admin/operators/{login}/disable`: its sessions end at once.
pub(super) async fn disable(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(login): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    operator_change(
        &state,
        &op,
        jar,
        &f.csrf,
        "operator.disable",
        &login,
        || async { ops::set_disabled(state.store.as_ref(), &login, true, state.clock.now()).await },
    )
    .await
}

/// `POST /admin/operators/{login}/enable`.
pub(super) async fn enable(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(login): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    operator_change(
        &state,
        &op,
        jar,
        &f.csrf,
        "operator.enable",
        &login,
        || async {
            ops::set_disabled(state.store.as_ref(), &login, false, state.clock.now()).await
        },
    )
    .await
}

/// `POST /admin/operators/{login}/reset-totp`: enrols again at the next login.
pub(super) async fn reset_totp(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(login): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    operator_change(
        &state,
        &op,
        jar,
        &f.csrf,
        "operator.reset_totp",
        &login,
        || async { ops::reset_totp(state.store.as_ref(), &login, state.clock.now()).await },
    )
    .await
}

/// `POST /admin/operators/{login}/reset-password`: a new random password, shown once.
pub(super) async fn reset_password(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Path(login): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "operator.reset_password", &login)
        .await?;
    let password = ops::random_password();
    match ops::reset_password(state.store.as_ref(), &login, &password, state.clock.now()).await {
        Ok(o) => {
            op.audit(
                &state,
                "operator.reset_password",
                &o.login,
                None,
                Some(serde_json::json!({"password": "replaced (not recorded)"})),
                true,
            )
            .await;
            Ok(page(
                jar,
                &PasswordPage {
                    tr: Tr::new(op.lang, ADMIN),
                    c: chrome(&state, &op, None, "operators"),
                    login: o.login,
                    password,
                },
            ))
        }
        Err(e) => {
            op.audit(
                &state,
                "operator.reset_password",
                &login,
                None,
                failed(&e),
                false,
            )
            .await;
            Ok(refused(jar, &op, &e))
        }
    }
}

// ----- the audit log ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    operator: String,
    #[serde(default)]
    action: String,
    /// `YYYY-MM-DD`, Korean time: from the start of this day.
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, Korean time: to the end of this day.
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: u32,
    /// `csv` or `jsonl` (export).
    #[serde(default)]
    format: String,
}

/// One entry as the page shows it.
pub struct AuditView {
    e: AuditEntry,
    at: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    tr: Tr,
    c: Chrome,
    operator: String,
    action: String,
    from: String,
    to: String,
    error: Option<String>,
    entries: Vec<AuditView>,
    page: u32,
    more: bool,
    query: String,
}

fn day(s: &str, end: bool) -> Result<Option<time::OffsetDateTime>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &format).map_err(|_| ())?;
    let d = if end { d.next_day().ok_or(())? } else { d };
    Ok(Some(
        d.with_time(time::Time::MIDNIGHT)
            .assume_offset(time::macros::offset!(+9))
            .to_offset(time::UtcOffset::UTC),
    ))
}

fn filter(q: &AuditQuery) -> Result<AuditFilter, ()> {
    let clean = |s: &str| -> Option<String> {
        let s = s.trim();
        (!s.is_empty()).then(|| s.chars().take(64).collect())
    };
    Ok(AuditFilter {
        operator: clean(&q.operator),
        action_prefix: clean(&q.action),
        since: day(&q.from, false)?,
        until: day(&q.to, true)?,
    })
}

fn query_string(q: &AuditQuery) -> String {
    format!(
        "operator={}&action={}&from={}&to={}",
        web::pct_encode(q.operator.trim()),
        web::pct_encode(q.action.trim()),
        web::pct_encode(q.from.trim()),
        web::pct_encode(q.to.trim())
    )
}

/// `GET /admin/audit`.
pub(super) async fn audit(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    op.allow(&state, "page.audit", "").await?;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let tr = Tr::new(op.lang, ADMIN);
    let (entries, more, error) = match filter(&q) {
        Ok(f) => {
            let mut list = state
                .store
                .audit_log(&f, q.page.saturating_mul(PAGE), PAGE + 1)
                .await
                .map_err(|e| store_error(op.lang, e))?;
            let more = list.len() > PAGE as usize;
            list.truncate(PAGE as usize);
            (list, more, None)
        }
        Err(()) => (Vec::new(), false, Some(tr.t("audit.bad_date").to_owned())),
    };
    let (jar, flash) = super::take_flash(jar);
    Ok(page(
        jar,
        &AuditPage {
            c: chrome(&state, &op, flash, "audit"),
            operator: q.operator.trim().to_owned(),
            action: q.action.trim().to_owned(),
            from: q.from.trim().to_owned(),
            to: q.to.trim().to_owned(),
            error,
            entries: entries
                .into_iter()
                .map(|e| AuditView { at: when(e.at), e })
                .collect(),
            page: q.page,
            more,
            query: query_string(&q),
            tr,
        },
    ))
}

/// One entry as exported: the stored fields, `at` in RFC 3339 UTC.
fn export_json(e: &AuditEntry) -> serde_json::Value {
    let at =
        e.at.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
    serde_json::json!({
        "id": e.id,
        "at": at,
        "operatorId": e.operator_id,
        "operator": e.operator_login,
        "role": e.role,
        "source": e.source,
        "action": e.action,
        "target": e.target,
        "before": e.before.as_deref().and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok()),
        "after": e.after.as_deref().and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()),
        "outcome": e.outcome,
    })
}

/// A CSV field (RFC 4180 quoting); a leading `=`, `+`, `-` or `@` is prefixed with `'` so that a
/// spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `GET /admin/audit/export?format=csv|jsonl&…filters`: the whole filtered log, oldest last.
pub(super) async fn export(
    State(state): State<AppState>,
    op: Operator,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    op.allow(&state, "audit.export", "").await?;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let f = filter(&q).map_err(|()| {
        PageError::new(
            op.lang,
            StatusCode::BAD_REQUEST,
            Tr::new(op.lang, ADMIN).t("audit.bad_date"),
        )
        .back("/admin/audit")
    })?;
    let list = state
        .store
        .audit_log(&f, 0, EXPORT_MAX)
        .await
        .map_err(|e| store_error(op.lang, e))?;
    op.audit(
        &state,
        "audit.export",
        &q.format,
        None,
        Some(serde_json::json!({"entries": list.len(), "filter": query_string(&q)})),
        true,
    )
    .await;
    let (body, kind, ext) = if q.format == "jsonl" {
        let mut out = String::new();
        for e in &list {
            out.push_str(&export_json(e).to_string());
            out.push('\n');
        }
        (out, "application/jsonl; charset=utf-8", "jsonl")
    } else {
        let mut out = String::from(
            "id,at,operator_id,operator,role,source,action,target,before,after,outcome\r\n",
        );
        for e in &list {
            let at =
                e.at.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
            let fields = [
                e.id.to_string(),
                at,
                e.operator_id.map(|i| i.to_string()).unwrap_or_default(),
                e.operator_login.clone(),
                e.role.clone(),
                e.source.clone(),
                e.action.clone(),
                e.target.clone(),
                e.before.clone().unwrap_or_default(),
                e.after.clone().unwrap_or_default(),
                e.outcome.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        (out, "text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"dojang-audit.{ext}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(super::csv_field("plain"), "plain");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_field("=cmd()"), "'=cmd()");
        assert!(super::day("2026-13-01", false).is_err());
        assert!(super::day("", false).unwrap().is_none());
    }
}
