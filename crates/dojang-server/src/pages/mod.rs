//! The pages people see, served by the `dojang` binary itself: the hosted login a relying party
//! sends a browser to (`/login`), the integrator test console (`/console`) and the admin console
//! (`/admin`). Server-rendered with askama (`templates/`, checked at compile time, escaped by the
//! `.html` extension), Korean by default with an English switch (`?lang=en`, remembered in a
//! cookie), small dependency-free scripts and one stylesheet under `/assets`; no build step.
//!
//! Pages never answer with the API's JSON errors: a failure is a page with the catalogue's
//! message in the page's language. Pages hold no SQL and no crypto of their own: they call
//! `service` like the API handlers do.

pub mod admin;
pub mod assets;
pub mod console;
pub mod i18n;
pub mod login;
pub mod web;

use askama::Template;
use axum::Router;
use axum::middleware;
use axum::response::Response;
use axum::routing::get;

use crate::state::AppState;
use i18n::{PageLang, Table, Tr};

/// Every page, with the headers every page shares.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .merge(assets::router())
        .merge(login::router())
        .merge(admin::router())
        .merge(console::router())
        .layer(middleware::from_fn(web::page_headers))
}

/// The words of the home page.
pub const HOME: Table = &[
    (
        "home.title",
        "도장 간편인증 서버",
        "dojang simple-certificate server",
    ),
    (
        "home.lead",
        "이용기관은 API로 본인인증·전자서명을 요청하고, 사람은 인증 앱에서 PIN으로 확인합니다.",
        "Relying parties ask for identity checks and signatures through the API; people confirm them in the authenticator app with their PIN.",
    ),
    (
        "home.console",
        "요청을 직접 보내 보는 연동 테스트 화면",
        "try every API call without a phone",
    ),
    (
        "home.admin",
        "이용기관·회원·인증서 관리",
        "relying parties, members and certificates",
    ),
    ("home.api", "OpenAPI 문서", "the OpenAPI reference"),
];

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    tr: Tr,
}

async fn home(PageLang(lang): PageLang) -> Response {
    web::render(&Home {
        tr: Tr::new(lang, HOME),
    })
}

/// What the pages take from configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Seconds a hosted login gives the person to confirm.
    pub login_expire_in: u32,
    /// Certificate providers other than dojang that the hosted login links to.
    pub providers: Vec<crate::config::LoginProvider>,
}

impl Settings {
    /// From the configuration.
    pub fn from_config(c: &crate::config::Config) -> Self {
        Self {
            login_expire_in: c.login_page.expire_in_secs,
            providers: c.login_page.providers.clone(),
        }
    }
}
