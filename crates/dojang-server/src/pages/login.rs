//! The hosted login (`/login/{clientCode}`), what a citizen sees on a relying party's site:
//! choose the certificate provider, type name / mobile number / birth date, agree to the notice
//! about giving personal information to the relying party (stored as a consent record), then
//! follow three steps with the number to compare in the app while the page follows the request
//! live (Server-Sent Events) and moves on by itself: back to the relying party's registered
//! return URL with a one-time code, which the relying party exchanges server-side
//! (`POST /v1/login-page/exchange`). Works without JavaScript (the steps page then offers a
//! "continue" button); with it, a countdown, live status and the "push did not arrive?" help.
//!
//! No answer here redirects to another origin: the way back to the relying party is a page of
//! our own (meta refresh, script and link), because Chromium applies `form-action 'self'` to
//! every redirect that follows a form POST (see `done`). The notice's parts, the help and the
//! support numbers are the operator's where set (`PageTexts`), and the consent record hashes
//! exactly the notice shown.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use dojang_core::RelyingParty;
use dojang_proto::ErrorCode;
use futures_util::Stream;
use serde::Deserialize;

use super::i18n::{Lang, PageLang, Table, Tr};
use super::web::{self, PageError};
use crate::http::error::ApiError;
use crate::service::login_page::{self as svc, Finish, Notice, Typed};
use crate::state::AppState;

/// The version of the notice text below; stored with every consent record. Change it whenever
/// the notice's words change.
pub const NOTICE_VERSION: &str = "2026-12-01";
/// The browser's session secret (path `/login`).
const SESSION_COOKIE: &str = "dojang_login";
/// A random per-browser value the form's CSRF token is bound to.
const BROWSER_COOKIE: &str = "dojang_browser";

/// The words of the hosted login.
pub const WORDS: Table = &[
    (
        "login.title",
        "간편인증 로그인",
        "Log in with a certificate",
    ),
    (
        "login.choose",
        "인증서를 선택하세요",
        "Choose your certificate",
    ),
    (
        "login.choose.lead",
        "휴대폰의 인증 앱으로 본인을 확인합니다.",
        "You confirm who you are in the authenticator app on your phone.",
    ),
    ("login.provider.dojang", "도장 인증서", "dojang certificate"),
    (
        "login.provider.cloud",
        "dojang 금융인증서(클라우드)",
        "dojang cloud certificate",
    ),
    (
        "login.provider.kakao",
        "카카오톡 인증서",
        "Kakao certificate",
    ),
    ("login.provider.naver", "네이버 인증서", "Naver certificate"),
    ("login.provider.pass", "PASS 인증서", "PASS certificate"),
    ("login.provider.toss", "토스 인증서", "Toss certificate"),
    (
        "login.provider.unavailable",
        "이 기관에서 사용할 수 없음",
        "not offered here",
    ),
    ("login.provider.available", "사용 가능", "available"),
    ("login.requester", "요청 기관", "Requested by"),
    ("login.form.title", "본인 정보 입력", "Your details"),
    ("login.name", "이름", "Name"),
    (
        "login.name.hint",
        "인증서에 등록된 실명",
        "your legal name, as on your certificate",
    ),
    ("login.phone", "휴대폰 번호", "Mobile number"),
    (
        "login.phone.hint",
        "숫자만, 예: 01012345678",
        "digits only, e.g. 01012345678",
    ),
    ("login.birthday", "생년월일", "Birth date"),
    (
        "login.birthday.hint",
        "8자리, 예: 19900101",
        "8 digits, e.g. 19900101",
    ),
    (
        "notice.title",
        "개인정보 제3자 제공 동의",
        "Consent to giving personal information to a third party",
    ),
    ("notice.recipient", "제공받는 자", "Recipient"),
    ("notice.purpose", "제공 목적", "Purpose"),
    (
        "notice.purpose.text",
        "본인 확인 및 로그인",
        "Identity check and login",
    ),
    ("notice.items", "제공 항목", "Items"),
    (
        "notice.items.text",
        "이름, 휴대폰 번호, 생년월일, 연계정보(CI), 중복가입확인정보(DI)",
        "Name, mobile number, birth date, connecting information (CI), duplicate-joining information (DI)",
    ),
    ("notice.retention", "보유 및 이용 기간", "Retention"),
    (
        "notice.retention.text",
        "제공받는 자의 회원 탈퇴 시 또는 목적 달성 시까지 (관계 법령에 따라 보존해야 하는 경우 그 기간)",
        "Until you leave the recipient's service or the purpose is met (longer only where the law requires)",
    ),
    (
        "notice.refuse",
        "동의를 거부할 권리",
        "Your right to refuse",
    ),
    (
        "notice.refuse.text",
        "동의를 거부할 수 있으며, 거부하면 이 방법으로 로그인할 수 없습니다.",
        "You may refuse; you then cannot log in this way.",
    ),
    (
        "notice.agree",
        "위 내용을 확인했으며 개인정보 제3자 제공에 동의합니다 (필수)",
        "I have read the above and agree to giving my personal information to the recipient (required)",
    ),
    ("login.request", "인증 요청", "Send the request"),
    (
        "login.steps.title",
        "휴대폰에서 인증을 완료하세요",
        "Finish on your phone",
    ),
    (
        "login.step1",
        "휴대폰으로 온 인증 요청 알림을 여세요.",
        "Open the request notification on your phone.",
    ),
    (
        "login.step2",
        "아래 숫자와 같은 숫자를 고르고 PIN 또는 생체인증을 입력하세요.",
        "Pick the same number as below, then enter your PIN or use biometrics.",
    ),
    (
        "login.step3",
        "앱에서 '인증하기'를 누르세요. 이 화면은 자동으로 넘어갑니다.",
        "Press 'Confirm' in the app. This page moves on by itself.",
    ),
    ("login.code", "확인 숫자", "Number to match"),
    ("login.remaining", "남은 시간", "Time left"),
    (
        "login.waiting",
        "휴대폰에서 인증을 기다리고 있습니다…",
        "Waiting for you to confirm on your phone…",
    ),
    (
        "login.signed",
        "인증되었습니다. 이동합니다…",
        "Confirmed. Taking you back…",
    ),
    (
        "login.declined",
        "인증을 거절했습니다.",
        "The request was declined.",
    ),
    (
        "login.expired",
        "인증 시간이 지났습니다.",
        "The time to confirm has passed.",
    ),
    (
        "login.cancelled",
        "요청이 취소되었습니다.",
        "The request was cancelled.",
    ),
    (
        "login.failed",
        "인증에 실패했습니다.",
        "The confirmation failed.",
    ),
    ("login.retry", "다시 시도", "Try again"),
    ("login.return", "이용기관으로 돌아가기", "Back to the site"),
    (
        "login.return.lead",
        "잠시 후 자동으로 이동합니다. 이동하지 않으면 아래 버튼을 누르세요.",
        "You are taken there in a moment. If nothing happens, press the button below.",
    ),
    (
        "login.help.title",
        "알림이 오지 않나요?",
        "No notification?",
    ),
    (
        "login.help.text",
        "인증 앱을 직접 여세요. 대기 중인 요청이 앱 첫 화면에 보입니다. 앱이 없다면 먼저 인증서를 발급받으세요.",
        "Open the authenticator app yourself: waiting requests show on its first screen. No app yet? Get your certificate first.",
    ),
    (
        "login.push.where",
        "인증서를 발급한 휴대폰으로 알림(PUSH)이 발송됩니다. 인증서를 발급받기 전에는 마지막으로 로그인한 휴대폰으로 발송됩니다. 인증 앱의 로그인 상태와 알림 허용 설정을 확인해 주세요.",
        "The notification (push) goes to the phone your certificate was issued on; before you have a certificate, to the phone that last logged in to the app. Check that you are logged in to the authenticator app and that it may show notifications.",
    ),
    (
        "login.app.where",
        "휴대폰의 인증 앱은 휴대폰 브라우저로 도장의 앱 주소를 열고 홈 화면에 추가하면 설치됩니다. 앱을 열면 대기 중인 요청이 바로 보입니다.",
        "The authenticator app for your phone: open dojang's app address in your phone's browser and add it to the home screen. Opening it shows your waiting requests at once.",
    ),
    (
        "login.app.open",
        "인증 앱 열기 (/app)",
        "Open the authenticator app (/app)",
    ),
    (
        "login.push.why",
        "알림이 10초 이상 지나도 오지 않으면 인증 앱을 직접 실행해 주세요. 알림이 오지 않는 경우는 다음과 같습니다.",
        "If no notification arrives within 10 seconds, open the authenticator app yourself. A notification does not arrive when:",
    ),
    (
        "login.push.why1",
        "인증 앱에서 알림 받기에 동의하지 않은 경우",
        "you did not agree to receive notifications in the authenticator app",
    ),
    (
        "login.push.why2",
        "휴대폰 설정에서 인증 앱의 알림을 허용하지 않은 경우",
        "your phone's settings do not allow notifications from the authenticator app",
    ),
    (
        "login.push.why3",
        "인증 앱을 삭제한 경우",
        "you deleted the authenticator app",
    ),
    (
        "login.push.why4",
        "알림(PUSH)이 전달 중에 유실된 경우",
        "the notification (push) was lost on the way",
    ),
    (
        "login.cert.title",
        "인증서 발급·재발급·갱신",
        "Getting, re-issuing and renewing a certificate",
    ),
    (
        "login.cert.text",
        "인증서의 발급, 재발급, 갱신은 모두 인증서 발급기관(도장)에서 할 수 있으며, 이용기관에서는 발급 및 갱신을 할 수 없습니다.",
        "Certificates are issued, re-issued and renewed only by the certificate issuer (dojang); the site you are logging in to cannot issue or renew them.",
    ),
    (
        "login.cert.how",
        "발급 방법 및 용도 자세히 보기",
        "How to get one, and what it is for",
    ),
    (
        "login.rename.title",
        "이름이 바뀌어 로그인할 수 없나요?",
        "Changed your name and cannot log in?",
    ),
    (
        "login.rename.text",
        "관리자가 확인한 뒤 바뀐 이름으로 회원정보를 변경하는 절차가 필요합니다. 아래 번호로 문의해 주시면 처리해 드립니다.",
        "An administrator has to check the change and update your member record to your new name. Call the number below and it will be done.",
    ),
    (
        "login.rename.nonumber",
        "관리자가 확인한 뒤 바뀐 이름으로 회원정보를 변경하는 절차가 필요합니다. 이 서비스의 운영자에게 문의해 주세요.",
        "An administrator has to check the change and update your member record to your new name. Ask this service's operator.",
    ),
    ("login.more", "도움말", "Help"),
    (
        "login.continue",
        "앱에서 인증을 마쳤습니다",
        "I have confirmed in the app",
    ),
    (
        "login.noscript",
        "자바스크립트가 꺼져 있으면 앱에서 인증한 뒤 아래 버튼을 누르세요.",
        "With JavaScript off, press the button below once you have confirmed in the app.",
    ),
    (
        "login.cookies",
        "이 페이지는 쿠키가 필요합니다. 쿠키를 허용한 뒤 다시 시도하세요.",
        "This page needs cookies. Allow them and try again.",
    ),
    ("login.callcenter", "문의", "Questions"),
    (
        "login.cloud.lead",
        "설치 없이 이 브라우저에서 금융인증서(클라우드)와 6자리 PIN으로 본인을 확인합니다.",
        "You confirm who you are in this browser, with your cloud certificate and its 6-digit PIN: nothing to install.",
    ),
    (
        "login.cloud.title",
        "클라우드 인증서로 인증을 완료하세요",
        "Finish with your cloud certificate",
    ),
    (
        "login.cloud.step1",
        "아래 버튼을 눌러 dojang 금융인증서 창을 여세요 (새 탭).",
        "Press the button below to open the dojang cloud certificate (a new tab).",
    ),
    (
        "login.cloud.step2",
        "요청 내용을 확인하고 6자리 PIN을 입력하세요. 처음 쓰는 브라우저라면 먼저 이용기기로 등록합니다.",
        "Check the request and enter your 6-digit PIN. In a browser you have not used before, you register it first.",
    ),
    (
        "login.cloud.step3",
        "'인증하기'를 누르면 이 화면이 자동으로 넘어갑니다.",
        "Press 'Confirm': this page then moves on by itself.",
    ),
    (
        "login.cloud.open",
        "dojang 금융인증서 열기",
        "Open dojang cloud certificate",
    ),
    (
        "login.cloud.waiting",
        "클라우드 인증서 창에서 인증을 기다리고 있습니다…",
        "Waiting for you to confirm in the cloud certificate window…",
    ),
    (
        "login.cloud.noscript",
        "금융인증서(클라우드)는 자바스크립트가 필요합니다. 자바스크립트를 켜거나 인증 앱을 이용하세요. 다른 곳에서 인증을 마쳤다면 아래 버튼을 누르세요.",
        "The cloud certificate needs JavaScript. Turn it on, or use the authenticator app. If you have confirmed elsewhere, press the button below.",
    ),
    (
        "login.cloud.continue",
        "인증을 마쳤습니다",
        "I have confirmed",
    ),
    (
        "login.cloud.help.title",
        "창이 열리지 않거나 인증서가 없나요?",
        "The window did not open, or no certificate?",
    ),
    (
        "login.cloud.help.text",
        "팝업이 막혔다면 버튼을 다시 누르세요. 이 브라우저가 등록되지 않았다면 휴대폰 문자 인증으로 등록합니다. PIN을 5번 틀리면 인증서가 잠기며, 문자 인증 후 PIN을 다시 설정하면 풀립니다. 아직 금융인증서가 없다면 dojang에서 먼저 발급받으세요.",
        "If a pop-up blocker stopped it, press the button again. A browser that is not registered yet is registered with a code sent to your phone. Five wrong PINs lock the certificate; resetting the PIN after a text-message code unlocks it. No cloud certificate yet? Get one from dojang first.",
    ),
    (
        "login.cloud.manage",
        "금융인증서 발급·관리",
        "Get or manage a cloud certificate",
    ),
    (
        "login.use.cloud",
        "금융인증서(클라우드)로 인증하기",
        "Use the cloud certificate instead",
    ),
    (
        "login.use.app",
        "인증 앱으로 인증하기",
        "Use the app instead",
    ),
    (
        "login.unreachable",
        "입력하신 분께 인증 요청을 보낼 수 없습니다. 이름, 휴대폰번호, 생년월일을 다시 확인해 주세요. 아직 인증서가 없다면 먼저 인증서를 발급받으세요.",
        "We could not send a request to this person. Check the name, mobile number and birth date you typed; if you have no certificate yet, get one first.",
    ),
    (
        "login.wait",
        "실패한 시도가 너무 많아 잠시 막혔습니다. {minutes}분 뒤에 다시 시도하세요. 이름, 휴대폰번호, 생년월일을 확인하고, 인증서가 없다면 먼저 발급받으세요.",
        "Too many attempts failed, so this is paused. Try again in {minutes} minutes. Check the name, mobile number and birth date; if you have no certificate yet, get one first.",
    ),
];

/// The texts a page shows where the operator may set its own (`dojang admin rp login-page
/// texts`, the admin console): the notice's four parts, the help and the support numbers, each
/// the operator's or else the built-in one.
#[derive(Debug, Clone)]
pub(crate) struct PageTexts {
    recipient: String,
    purpose: String,
    items: String,
    retention: String,
    help: String,
    support: String,
    /// The notice's version for the consent record: [`NOTICE_VERSION`] for the built-in notice,
    /// `rp-<the first 12 hex digits of its SHA-256>` for one with the operator's parts, so the
    /// version changes exactly when the text does (not when only the help or numbers do).
    version: String,
    /// The SHA-256 of the exact notice text shown ([`notice_text`]).
    sha256: Vec<u8>,
}

impl PageTexts {
    fn new(tr: &Tr, rp: &RelyingParty, chosen: svc::Chosen) -> Self {
        let t = chosen.texts;
        let or = |v: Option<String>, key: &str| v.unwrap_or_else(|| tr.t(key).to_owned());
        let mut texts = Self {
            recipient: t.recipient.unwrap_or_else(|| rp.name.clone()),
            purpose: or(t.purpose, "notice.purpose.text"),
            items: or(t.items, "notice.items.text"),
            retention: or(t.retention, "notice.retention.text"),
            help: or(t.help, "login.help.text"),
            support: t
                .support
                .or_else(|| rp.call_center_num.clone())
                .unwrap_or_default(),
            version: NOTICE_VERSION.to_owned(),
            sha256: Vec::new(),
        };
        texts.sha256 =
            ring::digest::digest(&ring::digest::SHA256, notice_text(tr, &texts).as_bytes())
                .as_ref()
                .to_vec();
        if chosen.notice_at.is_some() {
            let short: String = texts
                .sha256
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect();
            texts.version = format!("rp-{short}");
        }
        texts
    }

    /// The texts of `rp`'s page in `lang`.
    async fn load(s: &AppState, lang: Lang, rp: &RelyingParty) -> Result<Self, PageError> {
        let tr = Tr::new(lang, WORDS);
        let chosen = svc::texts(s, &rp.client_code, tr.code())
            .await
            .map_err(|e| PageError::api(lang, e))?;
        Ok(Self::new(&tr, rp, chosen))
    }
}

/// Certificate providers other than dojang that the page knows how to show.
const OTHER_PROVIDERS: [&str; 4] = ["kakao", "naver", "pass", "toss"];

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/login/{client}", get(choose))
        .route("/login/{client}/form", get(form).post(submit))
        .route("/login/s/{session}", get(steps))
        .route("/login/s/{session}/events", get(events))
        .route("/login/s/{session}/done", get(done).post(done))
}

#[derive(Debug, Deserialize, Default)]
struct StateQuery {
    #[serde(default)]
    state: String,
    /// `cloud` when the person chose the cloud certificate; anything else is the app.
    #[serde(default)]
    via: String,
}

fn state_query(q: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>) -> String {
    q.map(|Query(q)| q.state).unwrap_or_default()
}

fn query_of(
    q: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>,
) -> (String, Via) {
    q.map(|Query(q)| (q.state, Via::parse(&q.via)))
        .unwrap_or_default()
}

/// How the person answers the login's request: in the app (pushed to the phone), or in this
/// browser with the cloud certificate (dojang's own page `/cloud`, the key in the HSM). Both
/// answer the same identity request; the choice only changes what the pages say and offer, so
/// it travels in the URL (`?via=cloud`) and in the form, never in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Via {
    /// The authenticator app.
    #[default]
    App,
    /// The cloud certificate.
    Cloud,
}

impl Via {
    fn parse(raw: &str) -> Self {
        if raw == "cloud" {
            Self::Cloud
        } else {
            Self::App
        }
    }

    fn is_cloud(self) -> bool {
        self == Self::Cloud
    }

    /// `path` with `via=cloud` added for the cloud choice.
    fn on(self, path: &str) -> String {
        match self {
            Self::App => path.to_owned(),
            Self::Cloud => format!(
                "{path}{}via=cloud",
                if path.contains('?') { "&" } else { "?" }
            ),
        }
    }
}

/// Whether this server can offer the cloud certificate (it needs an HSM).
fn cloud_offered(s: &AppState) -> bool {
    s.hsm.is_some()
}

/// A provider on the choice page.
struct Provider {
    key: &'static str,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "login/choose.html")]
struct ChoosePage<'a> {
    tr: Tr,
    rp: &'a RelyingParty,
    providers: Vec<Provider>,
}

async fn choose(
    State(s): State<AppState>,
    PageLang(lang): PageLang,
    Path(client): Path<String>,
    q: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let rp_state = state_query(q);
    svc::check_state(&rp_state).map_err(|e| PageError::api(lang, e))?;
    let (rp, back) = svc::party(&s, &client)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let form = format!("/login/{}/form", rp.client_code);
    let mut providers = vec![
        Provider {
            key: "login.provider.dojang",
            href: Some(with_state(&form, &rp_state)),
        },
        Provider {
            key: "login.provider.cloud",
            href: cloud_offered(&s).then(|| with_state(&Via::Cloud.on(&form), &rp_state)),
        },
    ];
    for id in OTHER_PROVIDERS {
        let href = s
            .pages
            .providers
            .iter()
            .find(|p| p.id == id)
            .map(|p| with_state(&p.url, &rp_state));
        providers.push(Provider {
            key: provider_key(id),
            href,
        });
    }
    Ok(framable(
        web::render(&ChoosePage {
            tr: Tr::new(lang, WORDS),
            rp: &rp,
            providers,
        }),
        &back,
    ))
}

/// Let the relying party's own site (its return URL's origin) embed the page in a frame.
fn framable(mut res: Response, back: &url::Url) -> Response {
    let origin = back.origin().ascii_serialization();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'self' {origin}; base-uri 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// The page's cookies. Over TLS they are `SameSite=None; Secure; Partitioned`, so the page
/// also works inside the relying party's frame (CHIPS: a cookie jar per embedding site);
/// over plain HTTP (development) `SameSite=Lax`, so the page works as a top-level page only.
fn login_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = web::cookie(
        name,
        value,
        if secure {
            SameSite::None
        } else {
            SameSite::Lax
        },
        secure,
    );
    if secure {
        c.set_partitioned(true);
    }
    c
}

fn provider_key(id: &str) -> &'static str {
    match id {
        "kakao" => "login.provider.kakao",
        "naver" => "login.provider.naver",
        "pass" => "login.provider.pass",
        _ => "login.provider.toss",
    }
}

/// `base` with the relying party's `state` appended (when it has one).
fn with_state(base: &str, state: &str) -> String {
    let mut u = String::from(base);
    if !state.is_empty() {
        u.push_str(if base.contains('?') { "&" } else { "?" });
        u.push_str("state=");
        u.push_str(&web::pct_encode(state));
    }
    u
}

#[derive(Template)]
#[template(path = "login/form.html")]
struct FormPage<'a> {
    tr: Tr,
    rp: &'a RelyingParty,
    texts: &'a PageTexts,
    rp_state: &'a str,
    via: Via,
    csrf: String,
    typed: &'a Typed,
    errors: FieldErrors,
}

/// Which fields were wrong, with the message to show under each.
#[derive(Debug, Default)]
struct FieldErrors {
    name: Option<String>,
    phone: Option<String>,
    birthday: Option<String>,
    consent: Option<String>,
    form: Option<String>,
}

fn browser_cookie(jar: &CookieJar) -> Option<String> {
    jar.get(BROWSER_COOKIE).map(|c| c.value().to_owned())
}

async fn form(
    State(s): State<AppState>,
    PageLang(lang): PageLang,
    Path(client): Path<String>,
    q: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>,
    jar: CookieJar,
    req: axum::http::Request<axum::body::Body>,
) -> Result<Response, PageError> {
    let (rp_state, via) = query_of(q);
    let via = if cloud_offered(&s) { via } else { Via::App };
    svc::check_state(&rp_state).map_err(|e| PageError::api(lang, e))?;
    let (rp, back) = svc::party(&s, &client)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let (jar, browser) = match browser_cookie(&jar) {
        Some(b) => (jar, b),
        None => {
            let b = web::random_token();
            let c = login_cookie(BROWSER_COOKIE, b.clone(), web::over_tls(req.extensions()));
            (jar.add(c), b)
        }
    };
    let texts = PageTexts::load(&s, lang, &rp).await?;
    let page = render_form(
        &s,
        lang,
        &rp,
        &texts,
        &rp_state,
        via,
        &browser,
        &Typed::default(),
        FieldErrors::default(),
    );
    Ok((jar, framable(page, &back)).into_response())
}

#[allow(clippy::too_many_arguments)] // one per part of the page
fn render_form(
    s: &AppState,
    lang: Lang,
    rp: &RelyingParty,
    texts: &PageTexts,
    rp_state: &str,
    via: Via,
    browser: &str,
    typed: &Typed,
    errors: FieldErrors,
) -> Response {
    web::render(&FormPage {
        tr: Tr::new(lang, WORDS),
        rp,
        texts,
        rp_state,
        via,
        csrf: web::csrf_token(s, "login", browser),
        typed,
        errors,
    })
}

/// The form's fields; unknown ones are ignored, missing ones are empty.
#[derive(Debug, Default)]
struct FormBody {
    name: String,
    phone: String,
    birthday: String,
    consent: Option<String>,
    state: String,
    via: Via,
    csrf: String,
}

/// The exact notice text the page showed, for its hash in the consent record.
fn notice_text(tr: &Tr, texts: &PageTexts) -> String {
    [
        tr.t("notice.title"),
        tr.t("notice.recipient"),
        &texts.recipient,
        tr.t("notice.purpose"),
        &texts.purpose,
        tr.t("notice.items"),
        &texts.items,
        tr.t("notice.retention"),
        &texts.retention,
        tr.t("notice.refuse"),
        tr.t("notice.refuse.text"),
        tr.t("notice.agree"),
    ]
    .join("\n")
}

async fn submit(
    State(s): State<AppState>,
    PageLang(lang): PageLang,
    Path(client): Path<String>,
    jar: CookieJar,
    req: axum::http::Request<axum::body::Body>,
) -> Result<Response, PageError> {
    let secure = web::over_tls(req.extensions());
    let client_ip = crate::http::linkhub::client_ip(&s, req.extensions(), req.headers());
    let (rp, back) = svc::party(&s, &client)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let bytes = axum::body::to_bytes(req.into_body(), 16 * 1024)
        .await
        .map_err(|_| PageError::code(lang, ErrorCode::BodyTooLarge))?;
    let body = parse_form(&bytes);
    let Some(browser) = browser_cookie(&jar) else {
        let tr = Tr::new(lang, WORDS);
        return Err(PageError::new(
            lang,
            StatusCode::FORBIDDEN,
            tr.t("login.cookies"),
        ));
    };
    if !web::csrf_ok(&s, "login", &browser, &body.csrf) {
        let tr = Tr::new(lang, WORDS);
        return Err(PageError::new(
            lang,
            StatusCode::FORBIDDEN,
            tr.t("login.cookies"),
        ));
    }
    svc::check_state(&body.state).map_err(|e| PageError::api(lang, e))?;
    let typed = Typed {
        name: body.name.trim().to_owned(),
        phone: body.phone.chars().filter(char::is_ascii_digit).collect(),
        birthday: body.birthday.chars().filter(char::is_ascii_digit).collect(),
    };
    let mut errors = field_errors(&s, lang, &typed);
    if body.consent.as_deref() != Some("yes") {
        errors.consent = Some(ErrorCode::ConsentRequired.message(lang).to_owned());
    }
    let texts = PageTexts::load(&s, lang, &rp).await?;
    let bad = |errors| {
        let mut r = render_form(
            &s,
            lang,
            &rp,
            &texts,
            &body.state,
            body.via,
            &browser,
            &typed,
            errors,
        );
        *r.status_mut() = StatusCode::BAD_REQUEST;
        framable(r, &back)
    };
    if errors.any() {
        return Ok(bad(errors));
    }
    let tr = Tr::new(lang, WORDS);
    let notice = Notice {
        version: texts.version.clone(),
        sha256: texts.sha256.clone(),
        lang: tr.code().to_owned(),
    };
    match svc::start(&s, &rp, &typed, &notice, &body.state, client_ip).await {
        Ok(started) => {
            let mut c = login_cookie(SESSION_COOKIE, started.secret, secure);
            c.set_path("/login");
            let jar = jar.add(c);
            let to = body.via.on(&format!("/login/s/{}", started.session_id));
            Ok((jar, Redirect::to(&to)).into_response())
        }
        Err(e) => {
            let code = e.code();
            if crate::http::error::status(code).is_server_error() {
                return Err(PageError::api(lang, e));
            }
            // One answer whether the number, the birth date or the name was wrong (issue 14
            // #1): the page must not tell a stranger which.
            // A back-off (guessing) and the person's rate limit (push bombing) alike: how long
            // to wait, as 429 with `Retry-After`, as the API answers.
            let form = Some(match &e {
                ApiError::Throttled {
                    retry_after_secs, ..
                }
                | ApiError::RateLimited { retry_after_secs } => tr
                    .t("login.wait")
                    .replace("{minutes}", &retry_after_secs.div_ceil(60).to_string()),
                _ if code == ErrorCode::ReceiverNotFound => tr.t("login.unreachable").to_owned(),
                _ => ApiError::from(code).code().message(lang).to_owned(),
            });
            let mut r = bad(FieldErrors {
                form,
                ..FieldErrors::default()
            });
            if let ApiError::Throttled {
                retry_after_secs, ..
            }
            | ApiError::RateLimited { retry_after_secs } = e
                && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
            {
                *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            Ok(r)
        }
    }
}

/// The url-encoded form (the body is already bounded; each field is checked by its validator).
fn parse_form(bytes: &[u8]) -> FormBody {
    let mut body = FormBody::default();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        let v = v.into_owned();
        match &*k {
            "name" => body.name = v,
            "phone" => body.phone = v,
            "birthday" => body.birthday = v,
            "consent" => body.consent = Some(v),
            "state" => body.state = v,
            "via" => body.via = Via::parse(&v),
            "_csrf" => body.csrf = v,
            _ => {}
        }
    }
    body
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.phone.is_some()
            || self.birthday.is_some()
            || self.consent.is_some()
            || self.form.is_some()
    }
}

fn field_errors(s: &AppState, lang: Lang, t: &Typed) -> FieldErrors {
    let msg = |e: dojang_core::ValidationError| ApiError::from(e).code().message(lang).to_owned();
    FieldErrors {
        name: dojang_core::PersonName::parse(&t.name).err().map(msg),
        phone: dojang_core::Phone::parse(&t.phone).err().map(msg),
        birthday: dojang_core::Birthday::parse(&t.birthday, s.clock.now())
            .err()
            .map(msg),
        consent: None,
        form: None,
    }
}

#[derive(Template)]
#[template(path = "login/steps.html")]
struct StepsPage<'a> {
    tr: Tr,
    rp: &'a RelyingParty,
    session: &'a str,
    binding_code: String,
    remaining_secs: i64,
    texts: PageTexts,
    ended: Option<&'static str>,
    retry: String,
    /// The cloud choice: dojang's cloud page for this request (opened in a new tab).
    cloud: Option<String>,
    /// The same steps page for the other way of answering, when the server offers both.
    switch: Option<String>,
    /// Where the no-script "continue" button posts.
    done: String,
}

fn session_cookie(jar: &CookieJar) -> Option<String> {
    jar.get(SESSION_COOKIE).map(|c| c.value().to_owned())
}

fn retry_url(rp: &RelyingParty, state: &str) -> String {
    with_state(&format!("/login/{}", rp.client_code), state)
}

/// The word for a request's final state.
fn ended_key(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::RequestExpired => "login.expired",
        ErrorCode::RequestCancelled => "login.cancelled",
        ErrorCode::RequestFailed => "login.failed",
        _ => "login.declined",
    }
}

async fn steps(
    State(s): State<AppState>,
    PageLang(lang): PageLang,
    Path(session): Path<String>,
    q: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let (sess, rp) = svc::session(&s, &session, session_cookie(&jar).as_deref())
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let offered = cloud_offered(&s);
    let via = if offered { query_of(q).1 } else { Via::App };
    let st = svc::status(&s, &sess, &rp, Duration::ZERO)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let now = s.clock.now();
    let ended = match svc::finish_state(&st) {
        None => None,
        Some(Ok(())) => {
            return Ok(Redirect::to(&format!("/login/s/{session}/done")).into_response());
        }
        Some(Err(code)) => Some(ended_key(code)),
    };
    let page = web::render(&StepsPage {
        tr: Tr::new(lang, WORDS),
        rp: &rp,
        session: &session,
        binding_code: st.binding_code.clone().unwrap_or_default(),
        remaining_secs: (st.expire_dt - now).whole_seconds().max(0),
        texts: PageTexts::load(&s, lang, &rp).await?,
        ended,
        retry: retry_url(&rp, &sess.state),
        cloud: via.is_cloud().then(|| cloud_url(lang, &sess.receipt_id)),
        switch: offered.then(|| {
            let here = format!("/login/s/{session}");
            match via {
                Via::App => Via::Cloud.on(&here),
                Via::Cloud => here,
            }
        }),
        done: via.on(&format!("/login/s/{session}/done")),
    });
    Ok(match svc::party(&s, rp.client_code.as_str()).await {
        Ok((_, back)) => framable(page, &back),
        Err(_) => page,
    })
}

/// dojang's own cloud page, opened on the login's request: `/cloud#receipt=<id>` (the receipt in
/// the fragment, so it reaches no log), in the page's language.
fn cloud_url(lang: Lang, receipt: &str) -> String {
    let tr = Tr::new(lang, WORDS);
    format!(
        "/cloud?lang={}#receipt={}",
        tr.code(),
        web::pct_encode(receipt)
    )
}

/// The request's state as the page's script sees it: one `state` event now and one at every
/// change until the request ends (then the stream closes).
async fn events(
    State(s): State<AppState>,
    PageLang(lang): PageLang,
    Path(session): Path<String>,
    jar: CookieJar,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let (sess, rp) = svc::session(&s, &session, session_cookie(&jar).as_deref())
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let first = Some(Duration::ZERO);
    let stream =
        futures_util::stream::unfold((s, sess, rp, first), |(s, sess, rp, wait)| async move {
            let wait = wait?;
            let (name, next) = match svc::status(&s, &sess, &rp, wait).await {
                Ok(st) => match svc::finish_state(&st) {
                    None => ("waiting", Some(Duration::from_secs(25))),
                    Some(Ok(())) => ("signed", None),
                    Some(Err(ErrorCode::RequestExpired)) => ("expired", None),
                    Some(Err(ErrorCode::RequestCancelled)) => ("cancelled", None),
                    Some(Err(ErrorCode::RequestFailed)) => ("failed", None),
                    Some(Err(_)) => ("declined", None),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "login events ended");
                    ("failed", None)
                }
            };
            let ev = Event::default().event("state").data(name);
            Some((Ok(ev), (s, sess, rp, next)))
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The last page of a login: back to the relying party with the one-time code, by itself.
#[derive(Template)]
#[template(path = "login/return.html")]
struct ReturnPage<'a> {
    tr: Tr,
    rp: &'a RelyingParty,
    to: &'a str,
}

async fn done(
    State(s): State<AppState>,
    PageLang(lang): PageLang,
    Path(session): Path<String>,
    q: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>,
    extensions: axum::http::Extensions,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let (sess, rp) = svc::session(&s, &session, session_cookie(&jar).as_deref())
        .await
        .map_err(|e| PageError::api(lang, e))?;
    match svc::finish(&s, &sess, &rp)
        .await
        .map_err(|e| PageError::api(lang, e))?
    {
        Finish::Back(to) => {
            // The session ends here: the cookie goes, and the code goes to the relying party.
            // (Removed with the attributes it was set with: a partitioned cookie is only
            // removed by a partitioned removal.)
            let mut c = login_cookie(SESSION_COOKIE, String::new(), web::over_tls(&extensions));
            c.set_path("/login");
            let jar = jar.remove(c);
            // Not a redirect: this answer can end the redirect chain of a form POST (the form's
            // "send", or the "I have confirmed" button), and Chromium applies the page's
            // `form-action 'self'` to every redirect after a form POST, so a redirect to the
            // relying party would be blocked. A page of our own ends the chain; its meta
            // refresh, script and link are fresh navigations that `form-action` does not govern.
            let page = web::render(&ReturnPage {
                tr: Tr::new(lang, WORDS),
                rp: &rp,
                to: &to,
            });
            let mut res = (jar, page).into_response();
            // The code travels in the URL: no Referer may carry it further.
            res.headers_mut().insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            Ok(match svc::party(&s, rp.client_code.as_str()).await {
                Ok((_, back)) => framable(res, &back),
                Err(_) => res,
            })
        }
        Finish::Waiting => {
            let via = query_of(q).1;
            Ok(Redirect::to(&via.on(&format!("/login/s/{session}"))).into_response())
        }
        Finish::Ended(code) => Err(PageError::code(lang, code)),
    }
}
