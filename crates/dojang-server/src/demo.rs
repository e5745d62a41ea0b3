//! The demo relying-party site (`dojang demo`): a small welfare portal of our own brand that
//! logs people in through dojang's hosted login exactly as an integrator would — a redirect to
//! `/login/{clientCode}` with a `state` kept in a cookie, then, at the return URL, the `state`
//! checked and the one-time code exchanged server to server with `dojang-client` over real
//! HTTP — and greets the verified person by name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::SameSite;
use serde::Deserialize;

use crate::pages::i18n::{Lang, PageLang, Table, Tr};
use crate::pages::web;

/// The demo site's words.
pub const WORDS: Table = &[
    ("demo.brand", "햇살복지포털", "Haessal Welfare Portal"),
    ("demo.nav", "주 메뉴", "Main menu"),
    ("demo.home", "홈", "Home"),
    ("demo.logout", "로그아웃", "Log out"),
    (
        "demo.hero",
        "복지 서비스를 한곳에서",
        "Every welfare service in one place",
    ),
    (
        "demo.lead",
        "간편인증으로 로그인하고 신청 내역을 확인하세요. (dojang 데모 사이트)",
        "Log in with a simple certificate to see your applications. (a dojang demo site)",
    ),
    (
        "demo.service1",
        "기초연금·아동수당 신청",
        "Apply for basic pension and child allowance",
    ),
    (
        "demo.service2",
        "신청 현황 조회",
        "Follow your applications",
    ),
    ("demo.service3", "증명서 발급", "Get certificates"),
    (
        "demo.login",
        "간편인증으로 로그인",
        "Log in with a simple certificate",
    ),
    (
        "demo.how",
        "이 데모는 어떻게 동작하나요?",
        "How does this demo work?",
    ),
    (
        "demo.app",
        "인증 앱이 없다면: 휴대폰에서 도장 인증 앱 열기",
        "No authenticator app yet? Open dojang's phone app",
    ),
    (
        "demo.how.text",
        "로그인 버튼은 dojang의 로그인 페이지로 이동합니다. 인증 앱에서 확인하면 이 사이트로 돌아오고, 사이트는 받은 일회용 코드를 서버 간 호출로 dojang에 교환해 본인 정보를 받습니다.",
        "The button takes you to dojang's hosted login. Once you confirm in the authenticator app you come back here, and this site exchanges the one-time code with dojang, server to server, for who you are.",
    ),
    ("demo.welcome", "님, 환영합니다", ", welcome"),
    (
        "demo.verified",
        "간편인증으로 본인이 확인되었습니다.",
        "Your identity was confirmed with a simple certificate.",
    ),
    (
        "demo.details",
        "dojang이 확인한 정보",
        "What dojang confirmed",
    ),
    ("demo.name", "이름", "Name"),
    ("demo.phone", "휴대폰 번호", "Mobile number"),
    ("demo.birthday", "생년월일", "Birth date"),
    ("demo.consent", "동의 기록", "Consent record"),
    ("demo.receipt", "접수번호", "Receipt"),
    (
        "demo.state.mismatch",
        "로그인 요청이 이 브라우저에서 시작되지 않았습니다. 다시 시도하세요.",
        "This login did not start in this browser. Try again.",
    ),
];

const STATE_COOKIE: &str = "demo_state";
const SESSION_COOKIE: &str = "demo_session";

/// Who logged in, as the site keeps it.
#[derive(Debug, Clone)]
struct Greeting {
    name: String,
    phone: String,
    birthday: String,
    ci: String,
    consent_id: String,
    consent_version: String,
    receipt_id: String,
}

/// The demo site's state.
#[derive(Debug, Clone)]
pub struct Site {
    client: Arc<dojang_client::Client>,
    /// dojang's address, as the browser reaches it.
    dojang_url: String,
    client_code: String,
    sessions: Arc<Mutex<HashMap<String, Greeting>>>,
}

impl Site {
    /// A site for the relying party `client`, whose hosted login is at `dojang_url`.
    pub fn new(client: dojang_client::Client, dojang_url: String, client_code: String) -> Self {
        Self {
            client: Arc::new(client),
            dojang_url,
            client_code,
            sessions: Arc::default(),
        }
    }
}

/// The site's routes.
pub fn router(site: Site) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/logout", get(logout))
        .merge(crate::pages::assets::router())
        .layer(axum::middleware::from_fn(web::page_headers))
        .with_state(site)
}

#[derive(Template)]
#[template(path = "demo/home.html")]
struct Home {
    tr: Tr,
    greeting: Option<Greeting>,
    error: Option<String>,
    /// dojang's phone app (`/app`), for people without it yet.
    app: String,
}

fn page(site: &Site, lang: Lang, greeting: Option<Greeting>, error: Option<String>) -> Response {
    web::render(&Home {
        tr: Tr::new(lang, WORDS),
        greeting,
        error,
        app: format!("{}/app", site.dojang_url),
    })
}

async fn home(State(site): State<Site>, PageLang(lang): PageLang, jar: CookieJar) -> Response {
    let greeting = jar.get(SESSION_COOKIE).and_then(|c| {
        site.sessions
            .lock()
            .ok()
            .and_then(|m| m.get(c.value()).cloned())
    });
    page(&site, lang, greeting, None)
}

async fn login(State(site): State<Site>, PageLang(lang): PageLang, jar: CookieJar) -> Response {
    let state = web::random_token();
    let jar = jar.add(web::cookie(
        STATE_COOKIE,
        state.clone(),
        SameSite::Lax,
        false,
    ));
    let lang = match lang {
        Lang::Ko => "ko",
        Lang::En => "en",
    };
    let to = format!(
        "{}/login/{}?state={state}&lang={lang}",
        site.dojang_url, site.client_code
    );
    (jar, Redirect::to(&to)).into_response()
}

#[derive(Debug, Deserialize)]
struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
}

async fn callback(
    State(site): State<Site>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    q: Result<Query<Callback>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let tr = Tr::new(lang, WORDS);
    let Ok(Query(q)) = q else {
        return page(
            &site,
            lang,
            None,
            Some(tr.t("demo.state.mismatch").to_owned()),
        );
    };
    let expected = jar.get(STATE_COOKIE).map(|c| c.value().to_owned());
    let jar = jar.remove(web::cookie(
        STATE_COOKIE,
        String::new(),
        SameSite::Lax,
        false,
    ));
    let same = expected.is_some_and(|e| web::ct_eq(&e, &q.state));
    if !same {
        return (
            jar,
            page(
                &site,
                lang,
                None,
                Some(tr.t("demo.state.mismatch").to_owned()),
            ),
        )
            .into_response();
    }
    match site.client.exchange_login_page_code(&q.code).await {
        Ok(r) => {
            let v = r.result;
            let g = Greeting {
                name: v.receiver_name,
                phone: mask_phone(&v.receiver_hp),
                birthday: v.receiver_birthday,
                ci: v.ci.chars().take(16).chain("…".chars()).collect(),
                consent_id: r.consent_id,
                consent_version: r.consent_version,
                receipt_id: v.receipt_id,
            };
            let sid = web::random_token();
            if let Ok(mut m) = site.sessions.lock() {
                m.insert(sid.clone(), g);
            }
            let jar = jar.add(web::cookie(SESSION_COOKIE, sid, SameSite::Lax, false));
            (jar, Redirect::to("/")).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "demo: exchange failed");
            (jar, page(&site, lang, None, Some(e.to_string()))).into_response()
        }
    }
}

async fn logout(State(site): State<Site>, jar: CookieJar) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Ok(mut m) = site.sessions.lock()
    {
        m.remove(c.value());
    }
    let jar = jar.remove(web::cookie(
        SESSION_COOKIE,
        String::new(),
        SameSite::Lax,
        false,
    ));
    (jar, Redirect::to("/")).into_response()
}

/// `010-****-5678`.
fn mask_phone(p: &str) -> String {
    let digits: Vec<char> = p.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 10 {
        return "***".into();
    }
    let head: String = digits.iter().take(3).collect();
    let tail: String = digits.iter().skip(digits.len() - 4).collect();
    format!("{head}-****-{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_are_masked() {
        assert_eq!(super::mask_phone("01012345678"), "010-****-5678");
        assert_eq!(super::mask_phone("0101234567"), "010-****-4567");
        assert_eq!(super::mask_phone("12"), "***");
    }
}
