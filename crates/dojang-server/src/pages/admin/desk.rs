//! The registration desk in the console (`/admin/desk`): what `dojang admin ra issue` does, for
//! operators with the `desk` (or `administrator`) role. A person whose identity the desk checked
//! gets a reference number and an authorisation code, shown once on the answer to the POST.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use dojang_core::{Birthday, Person, PersonName, Phone};
use serde::Deserialize;

use super::auth::Operator;
use super::{ADMIN, Chrome, chrome, page, store_error};
use crate::pages::i18n::Tr;
use crate::pages::web::PageError;
use crate::service::admin::AdminError;
use crate::service::registration;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/desk.html")]
struct DeskPage {
    tr: Tr,
    c: Chrome,
    error: Option<String>,
    issued: Option<Issued>,
}

/// A code just issued (shown once).
struct Issued {
    name: String,
    phone: String,
    reference: String,
    code: String,
    expires: String,
}

/// `GET /admin/desk`.
pub(super) async fn form(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
) -> Result<Response, PageError> {
    op.allow(&state, "page.desk", "").await?;
    let (jar, flash) = super::take_flash(jar);
    Ok(page(
        jar,
        &DeskPage {
            tr: Tr::new(op.lang, ADMIN),
            c: chrome(&state, &op, flash, "desk"),
            error: None,
            issued: None,
        },
    ))
}

#[derive(Deserialize)]
pub(super) struct IssueForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    birth: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /admin/desk`: issue a code (refused when the phone number and birth date belong to a
/// member of another name, as the CLI does).
pub(super) async fn issue(
    State(state): State<AppState>,
    op: Operator,
    jar: CookieJar,
    Form(f): Form<IssueForm>,
) -> Result<Response, PageError> {
    op.check(&state, &f.csrf, "ra.issue", "").await?;
    let lang = op.lang;
    let tr = Tr::new(lang, ADMIN);
    let now = state.clock.now();
    let person = PersonName::parse(f.name.trim()).and_then(|name| {
        Ok(Person {
            name,
            phone: Phone::parse(f.phone.trim())?,
            birthday: Birthday::parse(f.birth.trim(), now)?,
        })
    });
    let refuse = |error: String| DeskPage {
        tr: Tr::new(lang, ADMIN),
        c: chrome(&state, &op, None, "desk"),
        error: Some(error),
        issued: None,
    };
    let person = match person {
        Ok(p) => p,
        Err(e) => {
            op.audit(
                &state,
                "ra.issue",
                "",
                None,
                Some(serde_json::json!({"error": "invalid person"})),
                false,
            )
            .await;
            return Ok(page(jar, &refuse(AdminError::Invalid(e).message(lang))));
        }
    };
    let store = state.store.as_ref();
    if let Some(m) = store
        .member_by_phone_birthday(&person.phone, &person.birthday)
        .await
        .map_err(|e| store_error(lang, e))?
        && m.person.name != person.name
    {
        op.audit(
            &state,
            "ra.issue",
            "",
            None,
            Some(serde_json::json!({"error": "another name is registered"})),
            false,
        )
        .await;
        return Ok(page(jar, &refuse(tr.t("desk.other_name").to_owned())));
    }
    let (ra, code) =
        registration::issue_code(store, &state.keys, &person, state.policy.ra_code_ttl, now)
            .await
            .map_err(|e| store_error(lang, e))?;
    // Personal data minimised: the reference number and the masked phone, not the name.
    op.audit(
        &state,
        "ra.issue",
        ra.reference.as_str(),
        None,
        Some(serde_json::json!({
            "phone": ra.person.phone.masked(),
            "expires": super::when(ra.expires_at),
            "authorisation_code": "issued (not recorded)",
        })),
        true,
    )
    .await;
    Ok(page(
        jar,
        &DeskPage {
            c: chrome(&state, &op, None, "desk"),
            error: None,
            issued: Some(Issued {
                name: ra.person.name.as_str().to_owned(),
                phone: ra.person.phone.masked(),
                reference: ra.reference.to_string(),
                code: code.grouped(),
                expires: super::when(ra.expires_at),
            }),
            tr,
        },
    ))
}
