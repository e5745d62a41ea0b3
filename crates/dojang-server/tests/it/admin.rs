//! The admin console (`/admin`) over real HTTP, as a browser without JavaScript uses it: login
//! (wrong passwords refused, then rate-limited), sessions (idle and absolute expiry, logout),
//! CSRF on every form, and the operator's changes reaching the store, the app and OCSP.

use std::collections::HashMap;
use std::time::Duration;

use dojang_core::{Birthday, Clock as _, Phone};
use dojang_server::pages::admin::{ABSOLUTE, IDLE, SESSION_COOKIE};
use dojang_server::service::admin as ops;
use dojang_server::service::revocation::state_of;
use dojang_testkit::TestServer;

use crate::common::*;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) async fn server() -> TestServer {
    let phc = ops::hash_password(PASSWORD).unwrap();
    TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc);
    })
    .await
}

/// A browser: cookies, no redirects followed, forms posted url-encoded. It logs in as
/// `admin` with [`PASSWORD`] and a TOTP code computed from the stored secret, as an
/// authenticator app would (enrolling it at the first login).
pub(crate) struct Browser<'a> {
    server: &'a TestServer,
    base: String,
    http: reqwest::Client,
    pub(crate) cookies: HashMap<String, String>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

impl Page {
    /// The first CSRF token on the page.
    pub(crate) fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="_csrf" value=""#)
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body));
        let rest = &self.body[at + r#"name="_csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl<'a> Browser<'a> {
    pub(crate) fn new(s: &'a TestServer) -> Self {
        Self {
            server: s,
            base: s.url(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let res = req.send().await.unwrap();
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let first = v.split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            let expired = v.contains("Max-Age=0") || v.contains("max-age=0");
            if value.is_empty() || expired {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: res.status().as_u16(),
            location: res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: res.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub(crate) async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_encode(pairs));
        self.send(req).await
    }

    /// A login as `admin`, with the current code if `admin` enrolled one.
    async fn try_login(&mut self, password: &str) -> Page {
        let code = self.code_for("admin").await.unwrap_or_default();
        self.try_login_as("admin", password, &code).await
    }

    pub(crate) async fn try_login_as(&mut self, login: &str, password: &str, code: &str) -> Page {
        let form = self.get("/admin/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post(
            "/admin/login",
            &[
                ("login", login),
                ("password", password),
                ("code", code),
                ("next", "/admin"),
                ("_csrf", &csrf),
            ],
        )
        .await
    }

    /// The current TOTP code of an operator with a confirmed secret, after moving the clock
    /// past the last step it used (a code is accepted once per step).
    pub(crate) async fn code_for(&self, login: &str) -> Option<String> {
        let store = &self.server.state().store;
        let op = store.operator_by_login(login).await.unwrap()?;
        op.totp_confirmed_at?;
        let secret = op.totp_secret?;
        let step = |now: time::OffsetDateTime| now.unix_timestamp() / 30;
        if step(self.server.clock().now()) <= op.totp_last_step {
            let now = self.server.clock().now();
            self.server
                .clock()
                .advance(Duration::from_secs((30 - now.unix_timestamp() % 30) as u64));
        }
        Some(totp_code(&secret, self.server.clock().now()))
    }

    pub(crate) async fn login(&mut self) {
        self.login_as("admin", PASSWORD).await;
    }

    /// Log in (enrolling the second factor at the first login): the session is whole.
    pub(crate) async fn login_as(&mut self, login: &str, password: &str) {
        let code = self.code_for(login).await.unwrap_or_default();
        let p = self.try_login_as(login, password, &code).await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert!(self.cookies.contains_key(SESSION_COOKIE));
        if p.location.as_deref() == Some("/admin/totp") {
            self.enrol_totp().await;
        } else {
            assert_eq!(p.location.as_deref(), Some("/admin"));
        }
    }

    /// On the enrolment page: read the secret as a person would, type the current code.
    pub(crate) async fn enrol_totp(&mut self) -> String {
        let p = self.get("/admin/totp").await;
        assert_eq!(p.status, 200, "{}", p.body);
        let secret = between(&p.body, r#"<code id="totp-secret">"#, "</code>");
        assert!(p.body.contains("otpauth://totp/dojang:"), "{}", p.body);
        assert!(p.body.contains("<svg"), "the QR code");
        let raw = totp_rs::Secret::try_from_base32(&secret)
            .unwrap()
            .as_ref()
            .to_vec();
        let code = totp_code(&raw, self.server.clock().now());
        let csrf = p.csrf();
        let p = self
            .post("/admin/totp", &[("code", &code), ("_csrf", &csrf)])
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location.as_deref(), Some("/admin"));
        secret
    }

    /// The CSRF token of the session's forms.
    pub(crate) async fn csrf(&mut self) -> String {
        let p = self.get("/admin").await;
        assert_eq!(p.status, 200);
        p.csrf()
    }
}

/// The text between two markers.
pub(crate) fn between(body: &str, start: &str, end: &str) -> String {
    let at = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"))
        + start.len();
    body[at..at + body[at..].find(end).unwrap()].to_owned()
}

/// The RFC 6238 code of `secret` at `now` (SHA-1, 6 digits, 30 s), as an authenticator app.
pub(crate) fn totp_code(secret: &[u8], now: time::OffsetDateTime) -> String {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .build()
        .unwrap()
        .generate(now.unix_timestamp() as u64)
        .to_string()
}

pub(crate) fn to_login(p: &Page) -> bool {
    p.status == 303
        && p.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/admin/login"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_every_page_leads_to_the_login() {
    let s = server().await;
    let mut b = Browser::new(&s);
    for path in [
        "/admin",
        "/admin/parties",
        "/admin/members?phone=01012345678",
        "/admin/certificates",
        "/admin/requests",
        "/admin/outbox",
    ] {
        let p = b.get(path).await;
        assert!(to_login(&p), "{path}: {} {:?}", p.status, p.location);
    }
    let p = b.get("/admin/members?phone=01012345678").await;
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/login?next=/admin/members%3Fphone%3D01012345678")
    );
    // A POST without a session changes nothing and leads to the login too.
    let p = b
        .post("/admin/parties", &[("name", "몰래 등록"), ("_csrf", "x")])
        .await;
    assert!(to_login(&p));
    assert!(s.state().store.relying_parties().await.unwrap().is_empty());
    // A made-up session cookie is no session.
    b.cookies.insert(
        SESSION_COOKIE.into(),
        "made-up-token-000000000000000000000".into(),
    );
    assert!(to_login(&b.get("/admin").await));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_refused_then_rate_limited() {
    let s = server().await;
    let mut b = Browser::new(&s);
    // The login form needs its own CSRF token.
    let p = b
        .post("/admin/login", &[("password", PASSWORD), ("_csrf", "nope")])
        .await;
    assert_eq!(p.status, 403);
    assert!(!b.cookies.contains_key(SESSION_COOKIE));
    for _ in 0..4 {
        let p = b.try_login("not the password").await;
        assert_eq!(p.status, 401);
        assert!(p.body.contains("비밀번호가 맞지 않습니다"), "{}", p.body);
        assert!(!b.cookies.contains_key(SESSION_COOKIE));
    }
    // The fifth wrong one reaches the limit; from then on even the right one is refused.
    let p = b.try_login("still not it").await;
    assert_eq!(p.status, 429);
    let p = b.try_login(PASSWORD).await;
    assert_eq!(p.status, 429);
    assert!(p.body.contains("15분"), "{}", p.body);
    assert!(!b.cookies.contains_key(SESSION_COOKIE));
    // In English too.
    let form = b.get("/admin/login?lang=en").await;
    let p = b
        .post(
            "/admin/login?lang=en",
            &[("password", PASSWORD), ("_csrf", &form.csrf())],
        )
        .await;
    assert_eq!(p.status, 429);
    assert!(p.body.contains("Too many wrong passwords"), "{}", p.body);
    // After the window, the right password works.
    s.clock().advance(Duration::from_secs(15 * 60 + 1));
    b.login().await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    let s = server().await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let mut a = Browser::new(&s);
    a.login().await;
    let mut other = Browser::new(&s);
    other.login().await;
    let others_token = other.csrf().await;
    let rename = |csrf: Option<&str>| {
        let mut f = vec![
            ("phone", PHONE.to_owned()),
            ("birth", BIRTH.to_owned()),
            ("name", "김철수".to_owned()),
        ];
        if let Some(c) = csrf {
            f.push(("_csrf", c.to_owned()));
        }
        f
    };
    for csrf in [None, Some("wrong"), Some(others_token.as_str()), Some("")] {
        let f = rename(csrf);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = a.post("/admin/members/rename", &pairs).await;
        assert_eq!(p.status, 403, "{csrf:?}");
        assert!(p.body.contains("양식"), "{}", p.body);
    }
    let p = a
        .post(
            "/admin/certificates/revoke",
            &[("serial", &device.serial), ("reason", "keyCompromise")],
        )
        .await;
    assert_eq!(p.status, 403);
    let p = a.post("/admin/parties", &[("name", "몰래 등록")]).await;
    assert_eq!(p.status, 403);
    let p = a.post("/admin/logout", &[]).await;
    assert_eq!(p.status, 403);
    // Nothing changed.
    let store = &s.state().store;
    let m = store
        .member_by_phone_birthday(
            &Phone::parse(PHONE).unwrap(),
            &Birthday::parse(BIRTH, s.clock().now()).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.person.name.as_str(), NAME);
    let cert = store.certificate(&device.serial).await.unwrap().unwrap();
    assert!(cert.revoked_at.is_none());
    assert!(store.relying_parties().await.unwrap().is_empty());
    assert_eq!(a.get("/admin").await.status, 200, "still logged in");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_member_revokes_their_certificate() {
    let s = server().await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let mut b = Browser::new(&s);
    b.login().await;
    // Found by phone, with the device and the certificate.
    let p = b.get(&format!("/admin/members?phone={PHONE}")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(NAME));
    assert!(p.body.contains(&device.serial));
    assert!(p.body.contains(&device.device_id));
    assert!(p.body.contains("앱 (휴대폰의 키)"), "the device's kind");
    assert!(p.body.contains(r#"aria-current="page">회원"#), "{}", p.body);
    let csrf = p.csrf();
    let p = b
        .post(
            "/admin/members/rename",
            &[
                ("phone", PHONE),
                ("birth", BIRTH),
                ("name", "김철수"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let back = p.location.unwrap();
    assert_eq!(back, format!("/admin/members?phone={PHONE}"));
    let p = b.get(&back).await;
    assert!(p.body.contains(r#"id="flash""#), "{}", p.body);
    assert!(p.body.contains("김철수"));
    assert!(p.body.contains("affiliationChanged"));
    // The flash is shown once.
    assert!(!b.get(&back).await.body.contains(r#"id="flash""#));
    let store = &s.state().store;
    let m = store
        .member_by_phone_birthday(
            &Phone::parse(PHONE).unwrap(),
            &Birthday::parse(BIRTH, s.clock().now()).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.person.name.as_str(), "김철수");
    let cert = store.certificate(&device.serial).await.unwrap().unwrap();
    assert!(cert.revoked_at.is_some());
    assert_eq!(cert.revocation_reason, Some(3), "affiliationChanged");
    assert_eq!(
        device.api.certificate_status().await.unwrap().state,
        "revoked"
    );
    // The same name again: refused with a reason, nothing revoked twice.
    let p = b
        .post(
            "/admin/members/rename",
            &[
                ("phone", PHONE),
                ("birth", BIRTH),
                ("name", "김철수"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let p = b.get(&back).await;
    assert!(p.body.contains(r#"class="flash bad""#), "{}", p.body);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_certificate_reaches_ocsp_and_the_app() {
    let s = server().await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let mut b = Browser::new(&s);
    b.login().await;
    let p = b.get("/admin/certificates").await;
    assert!(p.body.contains(&device.serial));
    assert!(
        p.body
            .contains(&format!(r#"id="reason-{}""#, device.serial))
    );
    let csrf = p.csrf();
    // An unknown reason is refused.
    let p = b
        .post(
            "/admin/certificates/revoke",
            &[
                ("serial", &device.serial),
                ("reason", "becauseISaidSo"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let store = &s.state().store;
    assert!(
        store
            .certificate(&device.serial)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
    let p = b
        .post(
            "/admin/certificates/revoke",
            &[
                ("serial", &device.serial.to_uppercase()),
                ("reason", "keyCompromise"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let back = p.location.unwrap();
    assert_eq!(
        back,
        format!("/admin/certificates?serial={}", device.serial)
    );
    let p = b.get(&back).await;
    assert!(p.body.contains(r#"data-state="revoked""#), "{}", p.body);
    assert!(p.body.contains("keyCompromise"));
    // What OCSP answers (read fresh from the store) and what the app is told.
    let cert = store.certificate(&device.serial).await.unwrap();
    assert!(matches!(
        state_of(cert.as_ref()),
        dojang_pki::CertState::Revoked {
            reason: dojang_pki::RevocationReason::KeyCompromise,
            ..
        }
    ));
    assert_eq!(
        device.api.certificate_status().await.unwrap().state,
        "revoked"
    );
    let active = b.get("/admin/certificates?state=active").await;
    assert!(!active.body.contains(&device.serial));
    // Twice: refused, with the reason.
    let p = b
        .post(
            "/admin/certificates/revoke",
            &[
                ("serial", &device.serial),
                ("reason", "superseded"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    let p = b.get(&p.location.unwrap()).await;
    assert!(p.body.contains("이미 폐지"), "{}", p.body);
    assert_eq!(
        store
            .certificate(&device.serial)
            .await
            .unwrap()
            .unwrap()
            .revocation_reason,
        Some(1),
        "the first reason stays"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_relying_party_shows_its_credentials_once() {
    let s = server().await;
    let mut b = Browser::new(&s);
    b.login().await;
    let csrf = b.csrf().await;
    let p = b
        .post(
            "/admin/parties",
            &[
                ("name", "도장시청"),
                ("client_code", "123456789012"),
                ("link_id", ""),
                ("call_center", "02-120"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let secret_of = |body: &str| {
        let at = body.find(r#"<code id="secret-value">"#).unwrap();
        let rest = &body[at + r#"<code id="secret-value">"#.len()..];
        rest[..rest.find('<').unwrap()].to_owned()
    };
    let secret = secret_of(&p.body);
    let store = &s.state().store;
    let rp = store
        .relying_party(&"123456789012".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ops::secret_text(&rp), secret);
    assert_eq!(rp.call_center_num.as_deref(), Some("02-120"));
    // Never again.
    for path in ["/admin/parties", "/admin/parties/123456789012"] {
        let p = b.get(path).await;
        assert_eq!(p.status, 200);
        assert!(!p.body.contains(&secret), "{path} shows the secret");
    }
    // The same client code again: refused with a reason.
    let p = b
        .post(
            "/admin/parties",
            &[
                ("name", "또"),
                ("client_code", "123456789012"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(b.get("/admin/parties").await.body.contains("flash bad"));
    // Rotation: a new secret, shown once, and the old one is gone.
    let p = b
        .post("/admin/parties/123456789012/rotate", &[("_csrf", &csrf)])
        .await;
    assert_eq!(p.status, 200);
    let rotated = secret_of(&p.body);
    assert_ne!(rotated, secret);
    let rp = store.relying_party(&rp.client_code).await.unwrap().unwrap();
    assert_eq!(ops::secret_text(&rp), rotated);
    // Aliases and the call-centre number.
    let p = b
        .post(
            "/admin/parties/123456789012/aliases",
            &[
                ("sub_client_id", "DESK1"),
                ("alias_name", "민원실"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        store
            .alias_name(&rp.client_code, "DESK1")
            .await
            .unwrap()
            .as_deref(),
        Some("민원실")
    );
    let p = b
        .post(
            "/admin/parties/123456789012/call-center",
            &[("call_center", ""), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    let rp = store.relying_party(&rp.client_code).await.unwrap().unwrap();
    assert_eq!(rp.call_center_num, None);
    let p = b
        .post(
            "/admin/parties/123456789012/aliases/remove",
            &[("sub_client_id", "DESK1"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(store.aliases(&rp.client_code).await.unwrap().is_empty());
    // A webhook to a private address is refused (this server does not allow them).
    let p = b
        .post(
            "/admin/parties/123456789012/webhook",
            &[("url", "http://127.0.0.1:9/hook"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(store.webhook(&rp.client_code).await.unwrap().is_none());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_after_twelve_hours_and_at_logout() {
    let s = server().await;
    let mut b = Browser::new(&s);
    b.login().await;
    // Idle for longer than allowed: logged out.
    s.clock().advance(IDLE + Duration::from_secs(1));
    assert!(to_login(&b.get("/admin").await));
    // Busy: still ends at the absolute expiry.
    b.login().await;
    let step = Duration::from_secs(25 * 60);
    let mut used = Duration::ZERO;
    while used + step < ABSOLUTE {
        s.clock().advance(step);
        used += step;
        assert_eq!(b.get("/admin/outbox").await.status, 200, "after {used:?}");
    }
    s.clock().advance(ABSOLUTE - used);
    assert!(to_login(&b.get("/admin").await));
    // Logout deletes the session: the old cookie no longer works.
    b.login().await;
    let token = b.cookies[SESSION_COOKIE].clone();
    let csrf = b.csrf().await;
    let p = b.post("/admin/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/admin/login"));
    assert!(!b.cookies.contains_key(SESSION_COOKIE));
    assert!(
        b.get("/admin/login")
            .await
            .body
            .contains("로그아웃했습니다")
    );
    b.cookies.insert(SESSION_COOKIE.into(), token);
    assert!(to_login(&b.get("/admin").await));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_http_only_strict_and_scoped() {
    let s = server().await;
    let mut b = Browser::new(&s);
    let form = b.get("/admin/login").await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/admin/login", s.url()))
        .header("cookie", b.cookie_header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_encode(&[
            ("password", PASSWORD),
            ("_csrf", &form.csrf()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/admin"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP listener: {cookie}");
    let headers = b.get("/admin/login").await;
    assert_eq!(headers.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_renders_in_both_languages() {
    let s = server().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let client = s.client(&party);
    let receipt = client
        .request_verify_auth(&dojang_client::IdentityRequest::new(
            NAME,
            PHONE,
            BIRTH,
            "nonce-1",
            "로그인",
            300,
        ))
        .await
        .unwrap()
        .receipt_id;
    let mut b = Browser::new(&s);
    b.login().await;
    for lang in ["ko", "en"] {
        for path in [
            "/admin".to_owned(),
            "/admin/parties".into(),
            format!("/admin/parties/{}", party.client_code),
            format!("/admin/members?phone={PHONE}"),
            "/admin/certificates?state=all".into(),
            format!("/admin/requests?client={}&state=waiting", party.client_code),
            format!("/admin/requests/{receipt}"),
            "/admin/outbox".into(),
        ] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p = b.get(&format!("{path}{sep}lang={lang}")).await;
            assert_eq!(p.status, 200, "{path}: {}", p.body);
            assert!(
                !p.body.contains("?key?") && !p.body.contains(">?<"),
                "{path}"
            );
            assert!(p.body.contains(&format!(r#"<html lang="{lang}">"#)));
        }
    }
    let p = b
        .get(&format!(
            "/admin/requests?client={}&lang=ko",
            party.client_code
        ))
        .await;
    assert!(p.body.contains(&receipt));
    let p = b.get(&format!("/admin/requests/{receipt}")).await;
    assert!(p.body.contains("요청 접수"));
    let p = b.get("/admin/outbox").await;
    assert!(
        p.body.contains(PHONE),
        "the enrolment's SMS code is in the outbox"
    );
    let p = b.get("/admin/requests?client=12").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("field-error"));
    let p = b.get("/admin/requests/not-a-receipt").await;
    assert_eq!(p.status, 404);
    // Signed: the evidence is on the page, whatever a dialect handed out (kakaocert's VerifyAuth
    // answers the token); the CMS on the page verifies against the CA, over the token.
    device.approve(&receipt, s.clock().now()).await.unwrap();
    let p = b.get(&format!("/admin/requests/{receipt}")).await;
    let cms = p
        .body
        .split(r#"<pre id="cms-1">"#)
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("the CMS on the request page");
    assert_eq!(crate::common::openssl_verify(&s, cms), "nonce-1");
    assert!(
        p.body.contains(r#"<pre id="ocsp">"#),
        "the OCSP evidence too"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_writes_a_generated_password_once() {
    let s = TestServer::start().await;
    let store = s.state().store.as_ref();
    let dir = s.data_dir();
    let path = dojang_server::service::operators::ensure_first_admin(store, &dir, s.clock().now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(path, dir.join("admin-initial-password"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let password = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    assert!(password.len() >= 20);
    // Once: a second start keeps it and writes nothing.
    assert_eq!(
        dojang_server::service::operators::ensure_first_admin(store, &dir, s.clock().now())
            .await
            .unwrap(),
        None
    );
    let mut b = Browser::new(&s);
    assert_eq!(b.try_login("wrong password!!").await.status, 401);
    b.login_as("admin", &password).await;
    assert_eq!(b.get("/admin").await.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sets_the_password_from_stdin_and_ends_sessions() {
    use std::io::Write as _;
    let s = TestServer::start().await;
    let dojang = dojang_testkit::binary("dojang");
    let data = s.data_dir();
    let set = |password: &str| {
        tokio::task::block_in_place(|| {
            let mut child = std::process::Command::new(&dojang)
                .args([
                    "admin",
                    "--data-dir",
                    data.to_str().unwrap(),
                    "password",
                    "set",
                ])
                // On the PostgreSQL leg, the server's database.
                .envs(dojang_testkit::database_env(&data))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
            let out = child.wait_with_output().unwrap();
            (
                out.status.success(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            )
        })
    };
    let (ok, text) = set("short");
    assert!(!ok, "{text}");
    assert!(text.contains("12 to 256"), "{text}");
    assert!(
        s.state()
            .store
            .operator_by_login("admin")
            .await
            .unwrap()
            .is_none()
    );
    let (ok, text) = set(PASSWORD);
    assert!(ok, "{text}");
    let mut b = Browser::new(&s);
    b.login().await;
    // A new password ends every session.
    let (ok, text) = set("another long password");
    assert!(ok, "{text}");
    assert!(to_login(&b.get("/admin").await));
    assert_eq!(b.try_login(PASSWORD).await.status, 401);
    assert_eq!(b.try_login("another long password").await.status, 303);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_the_rate_limit_are_shared_by_instances() {
    let phc = ops::hash_password(PASSWORD).unwrap();
    let a = TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc.clone());
    })
    .await;
    // The second instance shares the database and the data directory's keys, as a deployment
    // of several instances does (on the PostgreSQL leg, the directory's database).
    let shared = a.data_dir();
    let b_server = TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc.clone());
        c.data_dir = shared;
    })
    .await;
    let mut on_a = Browser::new(&a);
    on_a.login().await;
    // The same cookie works on the other instance; logging out there ends it here.
    let mut on_b = Browser::new(&b_server);
    on_b.cookies = on_a.cookies.clone();
    assert_eq!(on_b.get("/admin/outbox").await.status, 200);
    let csrf = on_b.csrf().await;
    assert_eq!(
        on_b.post("/admin/logout", &[("_csrf", &csrf)]).await.status,
        303
    );
    assert!(to_login(&on_a.get("/admin").await));
    // Wrong passwords counted on one instance count on the other.
    for _ in 0..5 {
        assert_ne!(on_a.try_login("wrong wrong wrong").await.status, 303);
    }
    assert_eq!(on_b.try_login(PASSWORD).await.status, 429);
    b_server.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_set_with_its_secret_shown_once_and_cleared() {
    let phc = ops::hash_password(PASSWORD).unwrap();
    let s = TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc);
        c.insecure_allow_private_webhooks = true;
    })
    .await;
    let party = s.add_party("도장은행").await;
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    let path = format!("/admin/parties/{}", party.client_code);
    let mut b = Browser::new(&s);
    b.login().await;
    let csrf = b.csrf().await;
    let p = b
        .post(
            &format!("{path}/webhook"),
            &[("url", "http://127.0.0.1:9/hook"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let store = &s.state().store;
    let hook = store.webhook(&code).await.unwrap().unwrap();
    assert!(p.body.contains(&hook.secret), "the new secret is shown");
    // The URL changes, the secret stays (and is not shown).
    let p = b
        .post(
            &format!("{path}/webhook"),
            &[("url", "http://127.0.0.1:9/other"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    let p = b.get(&path).await;
    assert!(p.body.contains("http://127.0.0.1:9/other"));
    assert!(!p.body.contains(&hook.secret));
    assert_eq!(
        store.webhook(&code).await.unwrap().unwrap().secret,
        hook.secret
    );
    // A new secret on request.
    let p = b
        .post(
            &format!("{path}/webhook"),
            &[
                ("url", "http://127.0.0.1:9/other"),
                ("new_secret", "1"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert_ne!(
        store.webhook(&code).await.unwrap().unwrap().secret,
        hook.secret
    );
    let p = b
        .post(&format!("{path}/webhook/clear"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(p.status, 303);
    assert!(store.webhook(&code).await.unwrap().is_none());
    let p = b
        .post(&format!("{path}/webhook/clear"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(p.status, 303);
    assert!(
        b.get(&path).await.body.contains("flash bad"),
        "nothing to clear"
    );
    // An unknown relying party's page.
    assert_eq!(b.get("/admin/parties/999999999999").await.status, 404);
    s.stop().await;
}

/// `dojang serve` as its own process, stdout and stderr into files, until it listens.
struct Serve {
    child: std::process::Child,
    stdout: std::path::PathBuf,
    stderr: std::path::PathBuf,
}

impl Serve {
    fn start(dir: &std::path::Path, data: &std::path::Path, n: u32) -> (Self, String) {
        let stdout = dir.join(format!("out-{n}.txt"));
        let stderr = dir.join(format!("err-{n}.txt"));
        let child = std::process::Command::new(dojang_testkit::binary("dojang"))
            .args([
                "serve",
                "--data-dir",
                data.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "info")
            // On the PostgreSQL leg, the data directory's database.
            .envs(dojang_testkit::database_env(data))
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let serve = Self {
            child,
            stdout,
            stderr,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let out = std::fs::read_to_string(&serve.stdout).unwrap();
            if let Some(line) = out.lines().find(|l| l.starts_with("dojang listening on ")) {
                let url = line.rsplit(' ').next().unwrap().to_owned();
                return (serve, url);
            }
            assert!(std::time::Instant::now() < deadline, "no start: {out}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn output(&self) -> String {
        format!(
            "{}{}",
            std::fs::read_to_string(&self.stdout).unwrap(),
            std::fs::read_to_string(&self.stderr).unwrap()
        )
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_generates_the_first_password_into_a_file_and_never_logs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (first, url) = tokio::task::block_in_place(|| Serve::start(tmp.path(), &data, 1));
    let file = data.join("admin-initial-password");
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = first.output();
    assert!(out.contains("admin-initial-password"), "{out}");
    assert!(
        !out.contains(&password),
        "the password is never printed or logged"
    );
    // It logs in.
    dojang_server::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http.get(format!("{url}/admin/login")).send().await.unwrap();
    let cookie = form
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = Page {
        status: 200,
        location: None,
        body: form.text().await.unwrap(),
    };
    let res = http
        .post(format!("{url}/admin/login"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_encode(&[
            ("password", &password),
            ("_csrf", &page.csrf()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    drop(first);
    // A second start keeps the stored password and writes nothing.
    std::fs::remove_file(&file).unwrap();
    let (second, _) = tokio::task::block_in_place(|| Serve::start(tmp.path(), &data, 2));
    assert!(!second.output().contains("admin-initial-password"));
    assert!(!file.exists());
}

#[tokio::test]
async fn the_console_sets_login_page_texts_per_language_and_the_page_shows_them() {
    let s = server().await;
    let party = s.add_party("햇살복지포털").await;
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    // Set up through the service function the console's own form uses (tested further down).
    dojang_server::service::login_page::set_return_url(
        s.state().store.as_ref(),
        &code,
        Some("https://rp.example/cb"),
        s.clock().now(),
    )
    .await
    .unwrap();
    let path = format!("/admin/parties/{}", party.client_code);
    let mut b = Browser::new(&s);
    b.login().await;
    let csrf = b.csrf().await;
    let store = &s.state().store;
    let texts = |lang: &'static str, recipient: &'static str| {
        vec![
            ("lang", lang),
            ("recipient", recipient),
            ("purpose", ""),
            ("items", "이름\r\n생년월일"),
            ("retention", ""),
            ("help", ""),
            ("support", "02-2133-7349"),
        ]
    };

    // Without the CSRF token, or in an unknown language: nothing stored.
    let p = b
        .post(&format!("{path}/login-texts"), &texts("ko", "(주)아톤"))
        .await;
    assert_eq!(p.status, 403);
    let mut fr = texts("fr", "(주)아톤");
    fr.push(("_csrf", &csrf));
    let p = b.post(&format!("{path}/login-texts"), &fr).await;
    assert_eq!(p.status, 303);
    assert!(b.get(&path).await.body.contains("flash bad"));
    assert!(store.login_texts(&code).await.unwrap().is_empty());

    // Korean set; empty fields stay built-in; line breaks kept as one.
    let mut ko = texts("ko", "(주)아톤");
    ko.push(("_csrf", &csrf));
    let p = b.post(&format!("{path}/login-texts"), &ko).await;
    assert_eq!(p.status, 303);
    let stored = store.login_texts(&code).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].recipient.as_deref(),
            stored[0].purpose.as_deref(),
            stored[0].items.as_deref(),
            stored[0].support.as_deref()
        ),
        (
            Some("(주)아톤"),
            None,
            Some("이름\n생년월일"),
            Some("02-2133-7349")
        )
    );
    let page = b.get(&path).await.body;
    assert!(page.contains(">(주)아톤</textarea>"), "{page}");
    let login = b
        .get(&format!("/login/{}/form", party.client_code))
        .await
        .body;
    assert!(
        login.contains("id=\"notice-recipient\">(주)아톤<"),
        "{login}"
    );
    assert!(login.contains("id=\"support\">02-2133-7349<"));

    // English set apart; all fields empty again gives Korean back to the built-in texts.
    let mut en = texts("en", "Aton Inc.");
    en.push(("_csrf", &csrf));
    b.post(&format!("{path}/login-texts"), &en).await;
    let mut none: Vec<(&str, &str)> = texts("ko", "")
        .into_iter()
        .map(|(k, v)| (k, if k == "lang" { v } else { "" }))
        .collect();
    none.push(("_csrf", &csrf));
    b.post(&format!("{path}/login-texts"), &none).await;
    let stored = store.login_texts(&code).await.unwrap();
    assert_eq!(
        stored.iter().map(|t| t.lang.as_str()).collect::<Vec<_>>(),
        ["en"]
    );
    let login = b
        .get(&format!("/login/{}/form", party.client_code))
        .await
        .body;
    assert!(
        login.contains("id=\"notice-recipient\">햇살복지포털<"),
        "{login}"
    );
}

#[tokio::test]
async fn the_hosted_logins_return_url_is_set_and_its_consents_are_listed() {
    let s = server().await;
    let party = s.add_party("햇살복지포털").await;
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    let path = format!("/admin/parties/{}", party.client_code);
    let mut b = Browser::new(&s);
    b.login().await;
    let csrf = b.csrf().await;
    let store = &s.state().store;

    // Not https, or with a fragment: refused and nothing stored.
    for bad in [
        "http://rp.example/cb",
        "https://rp.example/cb#x",
        "not a url",
    ] {
        let p = b
            .post(
                &format!("{path}/login-page"),
                &[("return_url", bad), ("_csrf", &csrf)],
            )
            .await;
        assert_eq!(p.status, 303, "{bad}");
        assert!(b.get(&path).await.body.contains("flash bad"), "{bad}");
        assert_eq!(store.login_return_url(&code).await.unwrap(), None);
    }
    // Without the CSRF token: 403, nothing stored.
    let p = b
        .post(
            &format!("{path}/login-page"),
            &[("return_url", "https://rp.example/cb")],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(store.login_return_url(&code).await.unwrap(), None);
    let p = b
        .post(
            &format!("{path}/login-page"),
            &[("return_url", "https://rp.example/cb"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        store.login_return_url(&code).await.unwrap().as_deref(),
        Some("https://rp.example/cb")
    );
    assert!(
        b.get(&path)
            .await
            .body
            .contains("value=\"https://rp.example/cb\"")
    );

    // A consent recorded by the hosted login shows on the consents page, found by party and phone.
    let person = dojang_core::Person {
        name: dojang_core::PersonName::parse("홍길동").unwrap(),
        phone: dojang_core::Phone::parse("01012345678").unwrap(),
        birthday: dojang_core::Birthday::parse("19900101", s.clock().now()).unwrap(),
    };
    let consent = dojang_store::Consent {
        id: "consent-1".into(),
        client_code: code.clone(),
        receipt_id: "26120100000000000000000000000001".into(),
        person,
        notice_version: "2026-12-01".into(),
        notice_sha256: vec![1; 32],
        lang: "ko".into(),
        accepted_at: s.clock().now(),
    };
    let session = dojang_store::LoginSession {
        id: "session-1".into(),
        client_code: code.clone(),
        state: String::new(),
        receipt_id: consent.receipt_id.clone(),
        consent_id: consent.id.clone(),
        created_at: s.clock().now(),
        expire_at: s.clock().now(),
        code_expire_at: None,
        exchanged_at: None,
    };
    store.start_login(&consent, &session).await.unwrap();
    let p = b.get("/admin/consents").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("data-consent=\"consent-1\"") && p.body.contains("홍길동"));
    let p = b
        .get(&format!(
            "/admin/consents?client={}&phone=010-1234-5678",
            party.client_code
        ))
        .await;
    assert!(p.body.contains("data-consent=\"consent-1\""));
    let p = b.get("/admin/consents?phone=01099998888").await;
    assert!(!p.body.contains("data-consent=\"consent-1\""));
    assert_eq!(b.get("/admin/consents?client=12").await.status, 400);

    // Emptying the field turns the hosted login off.
    let p = b
        .post(
            &format!("{path}/login-page"),
            &[("return_url", ""), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(store.login_return_url(&code).await.unwrap(), None);
    s.stop().await;
}
