//! The security headers docs/security.md ("The pages") promises on every page, checked over real
//! HTTP on every page family: the web pages (home, certificate help, the API reference, the
//! error page, assets), the hosted login (choice, form, a refused form, steps, the last page),
//! the admin console (login, every page behind it, the page a POST answers with a new
//! SecretKey) and the test console.

use std::collections::HashMap;

use dojang_core::Clock as _;
use dojang_server::service::admin as ops;
use dojang_testkit::TestServer;
use reqwest::header::HeaderMap;

use crate::common::*;

use crate::admin::PASSWORD;
const BACK: &str = "https://welfare.example/auth/callback";

/// A client that keeps cookies by hand and follows no redirect.
struct Visitor {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

struct Seen {
    what: String,
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Visitor {
    fn new(s: &TestServer) -> Self {
        Self {
            base: s.url(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, what: String, req: reqwest::RequestBuilder) -> Seen {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = req.header("cookie", cookie).send().await.unwrap();
        for v in res.headers().get_all("set-cookie") {
            let (name, value) = v
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .split_once('=')
                .unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Seen {
            what,
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Seen {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(format!("GET {path}"), req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Seen {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(format!("POST {path}"), req).await
    }
}

fn csrf(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").unwrap() + 20;
    html[at..].split('"').next().unwrap().to_owned()
}

fn header<'a>(seen: &'a Seen, name: &str) -> &'a str {
    seen.headers
        .get(name)
        .unwrap_or_else(|| panic!("{}: no {name} header", seen.what))
        .to_str()
        .unwrap()
}

/// What every page promises, and what it may be framed by (`'none'`, or the hosted login's
/// `'self' <origin>`), its Referrer-Policy, and whether it is dynamic (`no-store`).
fn check(seen: &Seen, status: u16, frame_ancestors: &str, referrer: &str, no_store: bool) {
    assert_eq!(seen.status, status, "{}: {}", seen.what, seen.body);
    let csp = header(seen, "content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for d in [
        "default-src 'self'",
        "script-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        frame_ancestors,
    ] {
        assert!(directives.contains(&d), "{}: {d} in {csp}", seen.what);
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{}: {csp}",
        seen.what
    );
    assert_eq!(
        directives
            .iter()
            .filter(|d| d.starts_with("frame-ancestors"))
            .count(),
        1,
        "{}: one frame-ancestors in {csp}",
        seen.what
    );
    assert_eq!(
        header(seen, "x-content-type-options"),
        "nosniff",
        "{}",
        seen.what
    );
    assert_eq!(header(seen, "referrer-policy"), referrer, "{}", seen.what);
    if no_store {
        assert_eq!(header(seen, "cache-control"), "no-store", "{}", seen.what);
    }
}

const NONE: &str = "frame-ancestors 'none'";
const LOGIN: &str = "frame-ancestors 'self' https://welfare.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_family_carries_the_promised_security_headers() {
    let phc = ops::hash_password(PASSWORD).unwrap();
    let s = TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc);
    })
    .await;
    let party = s.add_party("서울시 복지포털").await;
    let code = party.client_code.clone();
    dojang_server::service::login_page::set_return_url(
        s.state().store.as_ref(),
        &code.parse().unwrap(),
        Some(BACK),
        s.clock().now(),
    )
    .await
    .unwrap();
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let mut v = Visitor::new(&s);

    // The web pages.
    check(&v.get("/").await, 200, NONE, "same-origin", true);
    check(
        &v.get("/help/certificate?lang=en").await,
        200,
        NONE,
        "same-origin",
        true,
    );
    // The API reference is the same for everyone (cacheable), but a page all the same.
    check(&v.get("/docs/api").await, 200, NONE, "same-origin", false);
    // The error page (an unknown relying party's login).
    check(
        &v.get("/login/999999999999").await,
        404,
        NONE,
        "same-origin",
        true,
    );
    // Assets: cacheable, but never sniffed and under the same policy.
    let assets = dojang_server::pages::assets::PREFIX;
    for path in [
        format!("{assets}/dojang.css"),
        format!("{assets}/login.js"),
        "/favicon.ico".to_owned(),
    ] {
        let seen = v.get(&path).await;
        check(&seen, 200, NONE, "same-origin", false);
        assert_ne!(header(&seen, "cache-control"), "no-store", "{path}");
    }

    // The hosted login: framable only by the return URL's origin.
    check(
        &v.get(&format!("/login/{code}")).await,
        200,
        LOGIN,
        "same-origin",
        true,
    );
    let form = v.get(&format!("/login/{code}/form?state=h")).await;
    check(&form, 200, LOGIN, "same-origin", true);
    let token = csrf(&form.body);
    let refused = v
        .post(
            &format!("/login/{code}/form"),
            &[("_csrf", &token), ("name", NAME), ("phone", "0201")],
        )
        .await;
    check(&refused, 400, LOGIN, "same-origin", true);
    let sent = v
        .post(
            &format!("/login/{code}/form"),
            &[
                ("_csrf", &token),
                ("state", "h"),
                ("name", NAME),
                ("phone", PHONE),
                ("birthday", BIRTH),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let steps = header(&sent, "location").to_owned();
    check(&v.get(&steps).await, 200, LOGIN, "same-origin", true);
    let receipt = device.api.pending().await.unwrap().requests[0]
        .receipt_id
        .clone();
    device.approve(&receipt, s.clock().now()).await.unwrap();
    // The last page carries the one-time code: no Referer at all, never cached.
    let done = v.get(&format!("{steps}/done")).await;
    check(&done, 200, LOGIN, "no-referrer", true);
    assert!(done.body.contains("code="), "{}", done.body);
    // The same last page answering the "I have confirmed" button's POST.
    let form = v.get(&format!("/login/{code}/form?state=p")).await;
    let sent = v
        .post(
            &format!("/login/{code}/form"),
            &[
                ("_csrf", &csrf(&form.body)),
                ("state", "p"),
                ("name", NAME),
                ("phone", PHONE),
                ("birthday", BIRTH),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let steps = header(&sent, "location").to_owned();
    let receipt2 = device.api.pending().await.unwrap().requests[0]
        .receipt_id
        .clone();
    device.approve(&receipt2, s.clock().now()).await.unwrap();
    let done = v.post(&format!("{steps}/done"), &[]).await;
    check(&done, 200, LOGIN, "no-referrer", true);
    assert!(done.body.contains("state=p"), "{}", done.body);

    // The admin console: never framed, never cached.
    let mut a = Visitor::new(&s);
    let login = a.get("/admin/login").await;
    check(&login, 200, NONE, "same-origin", true);
    let wrong = a
        .post(
            "/admin/login",
            &[
                ("login", "admin"),
                ("password", "wrong"),
                ("code", "000000"),
                ("next", "/admin"),
                ("_csrf", &csrf(&login.body)),
            ],
        )
        .await;
    check(&wrong, 401, NONE, "same-origin", true);
    // Signed in as the administrator (password, then the TOTP enrolment) the way the admin
    // tests do; its session cookie carries on here.
    let mut signed_in = crate::admin::Browser::new(&s);
    signed_in.login().await;
    a.cookies.clone_from(&signed_in.cookies);
    for path in [
        "/admin".to_owned(),
        "/admin/parties".to_owned(),
        format!("/admin/parties/{code}"),
        format!("/admin/members?phone={PHONE}"),
        "/admin/certificates".to_owned(),
        "/admin/requests".to_owned(),
        format!("/admin/requests/{receipt}"),
        "/admin/outbox".to_owned(),
        "/admin/consents".to_owned(),
        "/admin/operators".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/desk".to_owned(),
    ] {
        check(&a.get(&path).await, 200, NONE, "same-origin", true);
    }
    // A new SecretKey is shown on the answer to the POST: that answer is a page like the rest.
    let dashboard = a.get("/admin").await;
    let secret = a
        .post(
            "/admin/parties",
            &[
                ("_csrf", &csrf(&dashboard.body)),
                ("name", "헤더 시험 기관"),
                ("client_code", ""),
                ("link_id", ""),
                ("call_center", "1600-0000"),
            ],
        )
        .await;
    check(&secret, 200, NONE, "same-origin", true);
    assert!(secret.body.contains("SecretKey"), "{}", secret.body);

    // The test console, and its cloud certificate test page.
    let mut c = Visitor::new(&s);
    for path in [
        "/console",
        "/console/identity/create",
        "/console/sign/status",
        "/console/login/verify",
        "/console/cloud",
        "/console/cloud?lang=en",
    ] {
        check(&c.get(path).await, 200, NONE, "same-origin", true);
    }

    // The cloud certificate: the person's own page is never framed; dojang's frame without a
    // publishable key only by dojang itself; an unknown key is an error page nobody frames.
    check(&c.get("/cloud").await, 200, NONE, "same-origin", true);
    // The phone app's shell, in both languages (its worker and manifest are scripts and JSON,
    // checked in web_app.rs; they carry the same headers).
    check(&c.get("/app").await, 200, NONE, "same-origin", true);
    check(&c.get("/app?lang=en").await, 200, NONE, "same-origin", true);
    let sw = c.get("/app/sw.js").await;
    assert_eq!(header(&sw, "x-content-type-options"), "nosniff");
    assert!(header(&sw, "content-security-policy").contains("script-src 'self'"));
    check(
        &c.get("/cloud/frame?lang=en").await,
        200,
        "frame-ancestors 'self'",
        "same-origin",
        true,
    );
    check(
        &c.get("/cloud/frame?pk=pk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .await,
        404,
        NONE,
        "same-origin",
        true,
    );
    // dojang's frame for a publishable key: framable by dojang and the key's registered
    // origins only; the registered stylesheet linked and allowed only when named.
    let pk = dojang_server::service::cloud::new_publishable_key();
    s.state()
        .store
        .set_cloud_party(&dojang_store::CloudParty {
            client_code: code.parse().unwrap(),
            publishable_key: pk.clone(),
            origins: vec![
                "https://welfare.example".into(),
                "http://127.0.0.1:9999".into(),
            ],
            stylesheets: vec!["https://welfare.example/dojang.css".into()],
            updated_at: s.clock().now(),
        })
        .await
        .unwrap();
    let framed = "frame-ancestors 'self' https://welfare.example http://127.0.0.1:9999";
    let plain = c.get(&format!("/cloud/frame?pk={pk}&lang=en")).await;
    check(&plain, 200, framed, "same-origin", true);
    assert!(
        header(&plain, "content-security-policy").contains("style-src 'self';"),
        "{}",
        header(&plain, "content-security-policy")
    );
    assert!(!plain.body.contains("party-css"));
    assert!(
        plain.body.contains("서울시 복지포털"),
        "the requester is named"
    );
    let styled = c
        .get(&format!(
            "/cloud/frame?pk={pk}&css=https%3A%2F%2Fwelfare.example%2Fdojang.css"
        ))
        .await;
    check(&styled, 200, framed, "same-origin", true);
    assert!(
        header(&styled, "content-security-policy")
            .contains("style-src 'self' https://welfare.example/dojang.css;"),
        "{}",
        header(&styled, "content-security-policy")
    );
    assert!(
        styled
            .body
            .contains(r#"href="https://welfare.example/dojang.css" id="party-css""#),
        "{}",
        styled.body
    );
    // A stylesheet that was not registered is neither linked nor allowed.
    let other = c
        .get(&format!(
            "/cloud/frame?pk={pk}&css=https%3A%2F%2Fevil.example%2Fx.css"
        ))
        .await;
    check(&other, 200, framed, "same-origin", true);
    assert!(!header(&other, "content-security-policy").contains("evil.example"));
    assert!(!other.body.contains("evil.example"));

    // The SDK: any site loads it; cached an hour (v1 changes compatibly; an incompatible SDK
    // is a new path).
    let sdk = c.get("/sdk/v1/dojang.js").await;
    check(&sdk, 200, NONE, "same-origin", false);
    assert_eq!(header(&sdk, "cache-control"), "public, max-age=3600");
    assert_eq!(header(&sdk, "access-control-allow-origin"), "*");
    assert!(header(&sdk, "content-type").starts_with("text/javascript"));
    assert!(sdk.body.contains("Dojang"), "{}", &sdk.body[..200]);
    s.stop().await;
}
