//! The pages people see, served by the `dojang` binary itself: the hosted login a relying party
//! sends a browser to (`/login`), the integrator test console (`/console`), the admin console
//! (`/admin`) and the cloud certificate's SDK, frame and pages (`/sdk/v1/dojang.js`,
//! `/cloud`), and the person's installable app (`/app`). Server-rendered with askama (`templates/`, checked at compile time, escaped by the
//! `.html` extension), Korean by default with an English switch (`?lang=en`, remembered in a
//! cookie), small dependency-free scripts and one stylesheet under `/assets`; no build step.
//!
//! Pages never answer with the API's JSON errors: a failure is a page with the catalogue's
//! message in the page's language. Pages hold no SQL and no crypto of their own: they call
//! `service` like the API handlers do.

pub mod admin;
pub mod app;
pub mod assets;
pub mod cloud;
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
        .route("/help/certificate", get(certificate_help))
        .merge(assets::router())
        .merge(login::router())
        .merge(admin::router())
        .merge(console::router())
        .merge(cloud::router())
        .merge(app::router())
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
    (
        "home.cloud",
        "내 금융인증서(클라우드): 발급, 브라우저 등록, PIN, 이용 내역",
        "my cloud certificate: issue, register a browser, PIN, history",
    ),
];

/// The words of the certificate help page (the hosted login links to it: certificates are
/// issued, re-issued and renewed by the issuer, not by the relying party).
pub const HELP: Table = &[
    (
        "help.cert.title",
        "인증서 발급·갱신·재발급 안내",
        "Getting, renewing and re-issuing your certificate",
    ),
    (
        "help.cert.lead",
        "도장 인증서는 인증서 발급기관인 도장에서만 발급, 재발급, 갱신할 수 있습니다. 로그인하려는 이용기관에서는 할 수 없습니다. 인증서의 열쇠(개인키)는 휴대폰에서 만들어져 휴대폰을 떠나지 않습니다.",
        "A dojang certificate is issued, re-issued and renewed only by its issuer, dojang — not by the site you log in to. Its key is made on your phone and never leaves it.",
    ),
    ("help.cert.issue", "발급", "Getting one"),
    (
        "help.cert.issue.text",
        "휴대폰에 인증 앱을 설치하고 이름, 휴대폰 번호, 생년월일을 입력한 뒤 다음 중 한 가지로 본인임을 확인하고 PIN을 정하면 발급됩니다.",
        "Install the authenticator app on your phone, enter your name, mobile number and birth date, prove who you are in one of these ways and choose a PIN:",
    ),
    (
        "help.cert.issue.sms",
        "휴대폰으로 받은 6자리 인증번호 입력 (3분 이내)",
        "the 6-digit code sent to your phone by text message (within 3 minutes)",
    ),
    (
        "help.cert.issue.bank",
        "본인 계좌로 입금된 1원의 입금자명(네 글자) 입력 (10분 이내)",
        "the four-syllable word in the memo of a 1-won deposit to your bank account (within 10 minutes)",
    ),
    (
        "help.cert.issue.desk",
        "등록 창구에서 받은 참조번호와 인가코드 입력 (7일 이내)",
        "the reference number and authorisation code from a registration desk (within 7 days)",
    ),
    ("help.cert.renew", "갱신", "Renewing"),
    (
        "help.cert.renew.text",
        "유효기간 만료 30일 전부터 인증 앱에서 갱신할 수 있습니다. 앱이 새 열쇠를 만들고 PIN을 확인한 뒤 새 인증서를 받습니다. 만료되었거나 폐지된 인증서는 갱신할 수 없으니 새로 발급받으세요.",
        "From 30 days before it expires, renew it in the authenticator app: the app makes a new key, checks your PIN and receives the new certificate. An expired or revoked certificate cannot be renewed: get a new one.",
    ),
    ("help.cert.reissue", "재발급", "Re-issuing"),
    (
        "help.cert.reissue.text",
        "새 휴대폰으로 바꾸었거나, PIN을 잊었거나, 잠겼거나, 인증서가 폐지되었다면 발급 절차를 처음부터 다시 하세요. 이전 휴대폰의 인증서는 자동으로 폐지됩니다.",
        "On a new phone, after a forgotten PIN, a lock-out or a revocation, go through issuance again; the certificate on your previous phone is revoked.",
    ),
    ("help.cert.use", "용도", "What it is for"),
    (
        "help.cert.use.text",
        "도장을 쓰는 이용기관에서 본인확인, 로그인, 전자서명을 할 때 휴대폰으로 온 요청을 PIN으로 승인합니다.",
        "Confirming who you are, logging in and signing at sites that use dojang: you approve the request that arrives on your phone with your PIN.",
    ),
    (
        "help.cert.rename",
        "이름이 바뀐 경우",
        "If your name changed",
    ),
    (
        "help.cert.rename.text",
        "관리자가 확인한 뒤 회원정보의 이름을 바꾸면, 이전 이름의 인증서는 폐지되고 새 이름으로 다시 발급받게 됩니다. 이용기관의 로그인 화면에 있는 문의 번호로 연락하세요.",
        "Once an administrator has checked the change and updated your member record, the certificate in your old name is revoked and you get a new one in your new name. Call the number shown on the site's login page.",
    ),
];

#[derive(Template)]
#[template(path = "help/certificate.html")]
struct CertificateHelp {
    tr: Tr,
}

async fn certificate_help(PageLang(lang): PageLang) -> Response {
    web::render(&CertificateHelp {
        tr: Tr::new(lang, HELP),
    })
}

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
