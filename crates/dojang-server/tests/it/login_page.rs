//! The hosted login, through real HTTP as a browser sees it (cookies by hand, no redirects
//! followed), with an in-memory device answering, and the relying party's code exchange.

use std::time::Duration;

use dojang_client::ErrorCode;
use dojang_core::Clock;
use dojang_testkit::{TestDevice, TestParty, TestServer, binary, run};
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::common::*;

const BACK: &str = "https://welfare.example/auth/callback";

pub(crate) struct Browser {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    cookies: Vec<(String, String)>,
    /// The headers of the last answer.
    headers: reqwest::header::HeaderMap,
}

impl Browser {
    pub(crate) fn new(s: &TestServer) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: s.url(),
            cookies: Vec::new(),
            headers: reqwest::header::HeaderMap::new(),
        }
    }

    /// A browser talking to the TLS listener, trusting its test certificate.
    fn over_tls(s: &TestServer, cert: &std::path::Path) -> Self {
        let pem = std::fs::read(cert).unwrap();
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
                .build()
                .unwrap(),
            base: s.tls_url().unwrap(),
            cookies: Vec::new(),
            headers: reqwest::header::HeaderMap::new(),
        }
    }

    /// The `Set-Cookie` header of the last answer that sets `name`, if any.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, res: &reqwest::Response) {
        self.headers = res.headers().clone();
        for v in res.headers().get_all(SET_COOKIE) {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !val.is_empty() {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> (StatusCode, String, Option<String>) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        let st = res.status();
        let loc = res
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        (st, res.text().await.unwrap(), loc)
    }

    pub(crate) async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(&res);
        let st = res.status();
        let loc = res
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        (st, res.text().await.unwrap(), loc)
    }
}

/// Where the login's last page sends the browser: its link, which its meta refresh repeats
/// (HTML-escaped in both).
pub(crate) fn return_link(html: &str) -> String {
    let needle = "id=\"return-link\" href=\"";
    let at = html.find(needle).unwrap() + needle.len();
    let raw = html[at..].split('"').next().unwrap();
    assert!(
        html.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"0; url={raw}\">"
        )),
        "{html}"
    );
    raw.replace("&#38;", "&").replace("&amp;", "&")
}

pub(crate) fn csrf(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").unwrap() + 20;
    html[at..].split('"').next().unwrap().to_owned()
}

async fn setup() -> (TestServer, TestParty, TestDevice) {
    let s = TestServer::start().await;
    let party = s.add_party("서울시 복지포털").await;
    register(&s, &party, BACK).await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    (s, party, device)
}

/// Register the return URL through the one path every operator's tool takes (the service
/// function behind `dojang admin rp login-page set` and the admin console), in-process for
/// speed: the command itself runs as a process in
/// `the_operator_sets_shows_and_clears_the_return_url_from_the_command_line`.
async fn register(s: &TestServer, party: &TestParty, url: &str) {
    let code = party.client_code.parse().unwrap();
    let set = dojang_server::service::login_page::set_return_url(
        s.state().store.as_ref(),
        &code,
        Some(url),
        s.clock().now(),
    )
    .await
    .unwrap();
    assert_eq!(set.map(String::from).as_deref(), Some(url));
}

/// Fill in the form and agree: the session's path.
async fn begin(b: &mut Browser, party: &TestParty, state: &str) -> String {
    let (st, html, _) = b
        .get(&format!("/login/{}/form?state={state}", party.client_code))
        .await;
    assert_eq!(st, StatusCode::OK);
    let token = csrf(&html);
    let (st, _, loc) = b
        .post(
            &format!("/login/{}/form", party.client_code),
            &[
                ("_csrf", &token),
                ("state", state),
                ("name", NAME),
                ("phone", "010-1234-5678"),
                ("birthday", BIRTH),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let loc = loc.unwrap();
    assert!(loc.starts_with("/login/s/"), "{loc}");
    loc
}

fn receipt_of(device_pending: &dojang_proto::device::PendingRequests) -> String {
    device_pending.requests.first().unwrap().receipt_id.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_and_the_party_exchanges_the_code_once() {
    let (s, party, device) = setup().await;
    let mut b = Browser::new(&s);

    // The provider choice: dojang active, the others greyed out.
    let (st, html, _) = b
        .get(&format!("/login/{}?state=st-1", party.client_code))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("서울시 복지포털"));
    assert!(html.contains(&format!("/login/{}/form?state=st-1", party.client_code)));
    // The four other providers are greyed out, and the cloud certificate too on a server
    // without an HSM (login_cloud.rs covers both ways).
    let cloud = usize::from(!html.contains("via=cloud"));
    assert_eq!(html.matches("aria-disabled=\"true\"").count(), 4 + cloud);
    // Only the relying party's own site may frame the page; other pages may not be framed.
    let csp = |path: String| {
        let http = b.http.clone();
        let url = format!("{}{path}", b.base);
        async move {
            let res = http.get(url).send().await.unwrap();
            res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let login_csp = csp(format!("/login/{}", party.client_code)).await;
    assert!(
        login_csp.contains("frame-ancestors 'self' https://welfare.example;"),
        "{login_csp}"
    );
    assert!(csp("/".to_owned()).await.contains("frame-ancestors 'none'"));

    // The form and the notice; without agreeing nothing happens.
    let (_, html, _) = b
        .get(&format!("/login/{}/form?state=st-1", party.client_code))
        .await;
    for part in ["제공받는 자", "제공 목적", "제공 항목", "보유 및 이용 기간"] {
        assert!(html.contains(part), "{part}");
    }
    let token = csrf(&html);
    let (st, html, _) = b
        .post(
            &format!("/login/{}/form", party.client_code),
            &[
                ("_csrf", &token),
                ("state", "st-1"),
                ("name", NAME),
                ("phone", PHONE),
                ("birthday", BIRTH),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("consent-error"));
    assert!(device.api.pending().await.unwrap().requests.is_empty());
    assert!(
        s.state()
            .store
            .consents(None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Bad fields are named, each under its field, and keep what was typed.
    let (st, html, _) = b
        .post(
            &format!("/login/{}/form", party.client_code),
            &[
                ("_csrf", &token),
                ("name", ""),
                ("phone", "0201234"),
                ("birthday", "19901340"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    for id in ["name-error", "phone-error", "birthday-error"] {
        assert!(html.contains(id), "{id}");
    }
    assert!(html.contains("value=\"19901340\""));

    // Agreeing sends the request to the phone and records the consent.
    let steps = begin(&mut b, &party, "st-1").await;
    let pending = device.api.pending().await.unwrap();
    let receipt = receipt_of(&pending);
    let card = &pending.requests[0];
    assert_eq!(card.requester, "서울시 복지포털");
    let consents = s.state().store.consents(None, None, 10).await.unwrap();
    assert_eq!(consents.len(), 1);
    let c = &consents[0];
    assert_eq!(
        (
            c.person.name.as_str(),
            c.receipt_id.as_str(),
            c.notice_version.as_str(),
            c.lang.as_str()
        ),
        (
            NAME,
            receipt.as_str(),
            dojang_server::pages::login::NOTICE_VERSION,
            "ko"
        )
    );
    assert_eq!(c.client_code.as_str(), party.client_code);
    assert_eq!(c.notice_sha256.len(), 32);
    // The operator sees the same record with `dojang admin rp login-page consents` (a process):
    // one JSON line each, and a text line naming the person and the notice's version.
    let (ok, out) = admin(
        &s,
        &[
            "rp",
            "login-page",
            "consents",
            "--client-code",
            &party.client_code,
            "--json",
        ],
    );
    assert!(ok, "{out}");
    let lines: Vec<serde_json::Value> = out.lines().map(dojang_testkit::json).collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["id"], c.id.as_str());
    assert_eq!(lines[0]["name"], NAME);
    assert_eq!(lines[0]["receiptID"], receipt.as_str());
    assert_eq!(lines[0]["noticeVersion"], c.notice_version.as_str());
    let (ok, out) = admin(&s, &["rp", "login-page", "consents"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(receipt.as_str()) && out.contains(NAME) && out.contains(&c.notice_version),
        "{out}"
    );

    // The steps page shows the number the app shows.
    let (st, html, _) = b.get(&steps).await;
    assert_eq!(st, StatusCode::OK);
    let code = card.binding_code.clone().unwrap();
    assert!(html.contains(&format!(
        "id=\"binding-code\" aria-labelledby=\"code-label\">{code}<"
    )));
    assert!(
        html.contains("5:00"),
        "the countdown starts at the request's expiry"
    );

    // Another browser with the URL but not the cookie gets nothing.
    let mut stranger = Browser::new(&s);
    let (st, _, _) = stranger.get(&steps).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = stranger.get(&format!("{steps}/done")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Not signed yet: "continue" goes back to the steps.
    let (st, _, loc) = b.get(&format!("{steps}/done")).await;
    assert_eq!(
        (st, loc.as_deref()),
        (StatusCode::SEE_OTHER, Some(steps.as_str()))
    );

    // Live state: "waiting" at once, "signed" when the person confirms.
    let res = b
        .http
        .get(format!("{}{steps}/events", b.base))
        .header(COOKIE, b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut body = res.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("data: waiting") {
        seen.push_str(&String::from_utf8_lossy(
            &body.next().await.unwrap().unwrap(),
        ));
    }
    assert_eq!(device.approve(&receipt, s.clock().now()).await.unwrap(), 1);
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("data: signed") {
        let chunk = tokio::time::timeout_at(until, body.next()).await.unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
    }
    assert!(seen.contains("event: state"));

    // Back to the relying party with a one-time code and its state: by a page of dojang's own
    // (meta refresh, script, link), never by a redirect off the origin.
    let (st, html, loc) = b.get(&format!("{steps}/done")).await;
    assert_eq!((st, loc), (StatusCode::OK, None));
    let loc = url::Url::parse(&return_link(&html)).unwrap();
    assert_eq!(&loc[..url::Position::AfterPath], BACK);
    let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st-1");
    let one_time = q["code"].clone();
    assert!(
        !b.cookies.iter().any(|(k, _)| k == "dojang_login"),
        "the session cookie is gone"
    );

    // Another relying party cannot use the code; the owner can, once.
    let other = s.add_party("다른 기관").await;
    let err = s
        .client(&other)
        .exchange_login_page_code(&one_time)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::LoginCodeInvalid.code());
    let client = s.client(&party);
    let got = client.exchange_login_page_code(&one_time).await.unwrap();
    assert_eq!(got.state, "st-1");
    assert_eq!(got.consent_id, c.id);
    assert_eq!(got.consent_version, c.notice_version);
    assert_eq!(
        got.consented_dt.unix_timestamp(),
        c.accepted_at.unix_timestamp()
    );
    assert_eq!(got.result.receipt_id, receipt);
    assert_eq!(got.result.receiver_name, NAME);
    assert_eq!(got.result.receiver_hp, PHONE);
    assert!(!got.result.ci.is_empty());
    assert!(got.result.signed_data.is_some());
    // The exchange was the verify: the identity request cannot be verified a second time.
    let e = client.verify_auth(&receipt).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyVerified.code());
    let again = client
        .exchange_login_page_code(&one_time)
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::LoginCodeInvalid.code());
    for bad in ["", "x", &"a".repeat(129)] {
        let e = client.exchange_login_page_code(bad).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::LoginCodeInvalid.code(), "{bad:?}");
    }
}

#[tokio::test]
async fn a_code_left_too_long_is_refused_and_a_second_visit_gets_no_second_code() {
    let (s, party, device) = setup().await;
    let mut b = Browser::new(&s);
    let steps = begin(&mut b, &party, "").await;
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.approve(&receipt, s.clock().now()).await.unwrap();
    // The steps page itself moves on once signed.
    let (st, _, loc) = b.get(&steps).await;
    assert_eq!(
        (st, loc),
        (StatusCode::SEE_OTHER, Some(format!("{steps}/done")))
    );
    let cookies = b.cookies.clone();
    let (_, html, _) = b.get(&format!("{steps}/done")).await;
    let loc = url::Url::parse(&return_link(&html)).unwrap();
    let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "");
    // A replayed cookie gets no second code.
    b.cookies = cookies;
    let (st, _, _) = b.get(&format!("{steps}/done")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    s.clock().advance(Duration::from_secs(121));
    let e = s
        .client(&party)
        .exchange_login_page_code(&q["code"])
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::LoginCodeInvalid.code());
}

#[tokio::test]
async fn decline_and_expiry_end_the_login_with_a_way_to_try_again() {
    let (s, party, device) = setup().await;
    let mut b = Browser::new(&s);
    let steps = begin(&mut b, &party, "again").await;
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.api.decline(&receipt, None).await.unwrap();
    let (st, html, _) = b.get(&steps).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("인증을 거절했습니다"));
    assert!(html.contains(&format!(
        "href=\"/login/{}?state=again\"",
        party.client_code
    )));
    let (st, _, _) = b.get(&format!("{steps}/done")).await;
    assert_eq!(st, StatusCode::CONFLICT);

    let mut b = Browser::new(&s);
    let steps = begin(&mut b, &party, "").await;
    s.clock().advance(Duration::from_secs(301));
    let (_, html, _) = b.get(&format!("{steps}?lang=en")).await;
    assert!(html.contains("The time to confirm has passed."));
    let res = b
        .http
        .get(format!("{}{steps}/events", b.base))
        .header(COOKIE, b.cookie_header())
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(text.contains("data: expired"), "{text}");
}

#[tokio::test]
async fn the_page_refuses_what_it_must() {
    let (s, party, _device) = setup().await;
    let unregistered = s.add_party("미등록 기관").await;
    let mut b = Browser::new(&s);
    for path in [
        format!("/login/{}", unregistered.client_code),
        "/login/123".to_owned(),
        "/login/000000000000/form".to_owned(),
    ] {
        let (st, html, _) = b.get(&path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("-10300017"), "{path}");
    }
    let long = "a".repeat(257);
    let (st, _, _) = b
        .get(&format!("/login/{}?state={long}", party.client_code))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _, _) = b
        .get(&format!("/login/{}?state=%01", party.client_code))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // No browser cookie, or a token made for another browser: refused, nothing sent.
    let form = [
        ("name", NAME),
        ("phone", PHONE),
        ("birthday", BIRTH),
        ("consent", "yes"),
    ];
    let (st, _, _) = b
        .post(&format!("/login/{}/form", party.client_code), &form)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, html, _) = b.get(&format!("/login/{}/form", party.client_code)).await;
    let mine = csrf(&html);
    let mut other = Browser::new(&s);
    other
        .get(&format!("/login/{}/form", party.client_code))
        .await;
    let mut with_token = form.to_vec();
    with_token.push(("_csrf", &mine));
    let (st, _, _) = other
        .post(&format!("/login/{}/form", party.client_code), &with_token)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(
        s.state()
            .store
            .consents(None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Someone without a certificate: told so on the form; no consent recorded.
    let (_, html, _) = b.get(&format!("/login/{}/form", party.client_code)).await;
    let token = csrf(&html);
    let (st, html, _) = b
        .post(
            &format!("/login/{}/form?lang=en", party.client_code),
            &[
                ("_csrf", &token),
                ("name", "김철수"),
                ("phone", "01099998888"),
                ("birthday", "19851212"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("We could not send a request to this person"),
        "{html}"
    );
    assert!(
        s.state()
            .store
            .consents(None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A huge body is refused, not read.
    let res = b
        .http
        .post(format!("{}/login/{}/form", b.base, party.client_code))
        .header(COOKIE, b.cookie_header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={}", "a".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_demo_site_checks_state_and_exchanges_the_code_for_a_greeting() {
    let (s, party, device) = setup().await;
    // The demo site on its own listener, as `dojang demo` serves it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site_url = format!("http://{}", listener.local_addr().unwrap());
    register(&s, &party, &format!("{site_url}/auth/callback")).await;
    let site = dojang_server::demo::Site::new(s.client(&party), s.url(), party.client_code.clone());
    tokio::spawn(async move {
        axum::serve(listener, dojang_server::demo::router(site))
            .await
            .unwrap();
    });
    let mut b = Browser::new(&s);
    b.base = site_url.clone();

    // "Log in" sends the browser to the hosted login with a state kept in a cookie.
    let (st, _, loc) = b.get("/login").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let loc = url::Url::parse(&loc.unwrap()).unwrap();
    assert_eq!(loc.path(), format!("/login/{}", party.client_code));
    let state: String = loc
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    assert!(
        b.cookies
            .iter()
            .any(|(k, v)| k == "demo_state" && *v == state)
    );

    // A callback with another state is refused before any exchange.
    let (_, html, _) = b.get("/auth/callback?code=x&state=forged").await;
    assert!(html.contains("demo-error"), "{html}");

    // The real thing: log in at dojang, then come back.
    let (_, _, _) = b.get("/login").await;
    let state = b
        .cookies
        .iter()
        .find(|(k, _)| k == "demo_state")
        .unwrap()
        .1
        .clone();
    let mut at_dojang = Browser::new(&s);
    let steps = begin(&mut at_dojang, &party, &state).await;
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.approve(&receipt, s.clock().now()).await.unwrap();
    let (_, html, _) = at_dojang.get(&format!("{steps}/done")).await;
    let back = url::Url::parse(&return_link(&html)).unwrap();
    assert!(
        back.as_str()
            .starts_with(&format!("{site_url}/auth/callback?"))
    );
    let (st, _, loc) = b
        .get(&format!("/auth/callback?{}", back.query().unwrap()))
        .await;
    assert_eq!((st, loc.as_deref()), (StatusCode::SEE_OTHER, Some("/")));
    let (_, html, _) = b.get("/").await;
    assert!(html.contains("홍길동님, 환영합니다"), "{html}");
    assert!(html.contains("010-****-5678"));
    // The code was used: coming back with it again is an error, not a second greeting.
    b.cookies.retain(|(k, _)| k != "demo_session");
    b.cookies.push(("demo_state".into(), state));
    let (_, html, _) = b
        .get(&format!("/auth/callback?{}", back.query().unwrap()))
        .await;
    assert!(
        html.contains("demo-error") && html.contains("-10300016"),
        "{html}"
    );
}

/// `dojang admin …` as its own process on the test server's data directory.
fn admin(s: &TestServer, args: &[&str]) -> (bool, String) {
    let dir = s.data_dir();
    let mut all = vec!["admin", "--data-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let (st, out) = tokio::task::block_in_place(|| run(&binary("dojang"), &all, &[]));
    (st.success(), out)
}

/// `dojang admin …` that must fail: whether it succeeded, and what it said on stderr.
fn admin_refused(s: &TestServer, args: &[&str]) -> (bool, String) {
    let dir = s.data_dir();
    let out = std::process::Command::new(binary("dojang"))
        .args(["admin", "--data-dir", dir.to_str().unwrap()])
        .args(args)
        // On the PostgreSQL leg, the data directory's database.
        .envs(dojang_testkit::database_env(&dir))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A built-in Korean word of the hosted login.
fn word(key: &str) -> &'static str {
    dojang_server::pages::login::WORDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .unwrap()
        .1
}

/// The SHA-256 of the Korean notice as the page shows it with these four parts.
fn notice_sha256(recipient: &str, purpose: &str, items: &str, retention: &str) -> Vec<u8> {
    let text = [
        word("notice.title"),
        word("notice.recipient"),
        recipient,
        word("notice.purpose"),
        purpose,
        word("notice.items"),
        items,
        word("notice.retention"),
        retention,
        word("notice.refuse"),
        word("notice.refuse.text"),
        word("notice.agree"),
    ]
    .join("\n");
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .to_vec()
}

/// Begin a login, record its consent, decline it (so the next may begin); the consent.
async fn consent_of_a_login(
    s: &TestServer,
    party: &TestParty,
    device: &TestDevice,
) -> dojang_store::Consent {
    s.clock().advance(Duration::from_secs(1));
    let mut b = Browser::new(s);
    begin(&mut b, party, "texts").await;
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.api.decline(&receipt, None).await.unwrap();
    let newest = s.state().store.consents(None, None, 1).await.unwrap();
    assert_eq!(newest[0].receipt_id, receipt);
    newest[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_texts_set_by_the_cli_show_on_the_page_and_change_the_consent_hash() {
    let (s, party, device) = setup().await;
    let code = party.client_code.as_str();
    let form = format!("/login/{code}/form");
    let mut b = Browser::new(&s);

    // Built in: the party's own name as recipient; seed 000's help; its call-centre number.
    let (_, html, _) = b.get(&form).await;
    assert!(
        html.contains("id=\"notice-recipient\">서울시 복지포털<"),
        "{html}"
    );
    for part in [
        "인증서를 발급한 휴대폰으로 알림(PUSH)이 발송됩니다",
        "마지막으로 로그인한 휴대폰으로 발송됩니다",
        "로그인 상태와 알림 허용 설정을 확인해 주세요",
        "인증 앱에서 알림 받기에 동의하지 않은 경우",
        "휴대폰 설정에서 인증 앱의 알림을 허용하지 않은 경우",
        "인증 앱을 삭제한 경우",
        "알림(PUSH)이 전달 중에 유실된 경우",
        "인증서의 발급, 재발급, 갱신은 모두 인증서 발급기관",
        "href=\"/help/certificate\"",
        "아래 번호로 문의해 주시면 처리해 드립니다",
        "id=\"support\">1600-0000<",
    ] {
        assert!(html.contains(part), "{part}");
    }
    let builtin = consent_of_a_login(&s, &party, &device).await;
    assert_eq!(
        builtin.notice_version,
        dojang_server::pages::login::NOTICE_VERSION
    );
    assert_eq!(
        builtin.notice_sha256,
        notice_sha256(
            "서울시 복지포털",
            word("notice.purpose.text"),
            word("notice.items.text"),
            word("notice.retention.text")
        )
    );

    // The operator's legal text, help and numbers, set by the CLI (its own process, no rebuild,
    // no restart).
    let (recipient, purpose, items, retention) = (
        "(주)아톤, SK텔레콤(주), (주)KT, (주)LG유플러스",
        "본인 확인을 통한 부정이용 방지",
        "전화번호, 이름, 생년월일, 통신사",
        "본 서비스 해지 시까지 또는 관계 법령에 따른 보관의무 기간 동안",
    );
    let numbers = "02-2133-7349 또는 02-2133-7350";
    let (ok, out) = admin(
        &s,
        &[
            "rp",
            "login-page",
            "texts",
            "--client-code",
            code,
            "--recipient",
            recipient,
            "--purpose",
            purpose,
            "--items",
            items,
            "--retention",
            retention,
            "--help-text",
            "<b>앱을</b> 직접 실행해 주세요.",
            "--support",
            numbers,
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains(&format!("support: {numbers}")), "{out}");
    let (ok, out) = admin(&s, &["rp", "login-page", "show", "--client-code", code]);
    assert!(ok && out.contains("texts (ko)"), "{out}");
    assert!(out.contains(&format!("recipient: {recipient}")), "{out}");

    // The form shows them (escaped), in Korean and, lacking English ones, in English too.
    let (_, html, _) = b.get(&form).await;
    for (id, text) in [
        ("notice-recipient", recipient),
        ("notice-purpose", purpose),
        ("notice-items", items),
        ("notice-retention", retention),
        ("support", numbers),
    ] {
        assert!(
            html.contains(&format!("id=\"{id}\">{text}<")),
            "{id}: {html}"
        );
    }
    assert!(html.contains("&#60;b&#62;앱을&#60;/b&#62; 직접 실행해 주세요."));
    assert!(html.contains("아래 번호로 문의해 주시면 처리해 드립니다."));
    let (_, en, _) = b.get(&format!("{form}?lang=en")).await;
    assert!(en.contains(&format!("id=\"notice-recipient\">{recipient}<")));
    assert!(en.contains("Changed your name and cannot log in?"));

    // A consent now records the operator's notice: a new version and the hash of its text.
    let edited = consent_of_a_login(&s, &party, &device).await;
    let sha = notice_sha256(recipient, purpose, items, retention);
    assert_eq!(edited.notice_sha256, sha);
    let short: String = sha.iter().take(6).map(|b| format!("{b:02x}")).collect();
    assert_eq!(edited.notice_version, format!("rp-{short}"));
    assert_ne!(edited.notice_sha256, builtin.notice_sha256);

    // The steps page shows the operator's help and numbers.
    let mut b2 = Browser::new(&s);
    let steps = begin(&mut b2, &party, "").await;
    let (_, html, _) = b2.get(&steps).await;
    assert!(html.contains(&format!("id=\"support\">{numbers}<")));
    assert!(html.contains("&#60;b&#62;앱을&#60;/b&#62; 직접 실행해 주세요."));
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.api.decline(&receipt, None).await.unwrap();

    // Refused: an unknown language, a text too long; nothing changes.
    let long = "가".repeat(2001);
    for bad in [
        vec!["--lang", "fr", "--items", "x"],
        vec!["--items", long.as_str()],
    ] {
        let mut args = vec!["rp", "login-page", "texts", "--client-code", code];
        args.extend(bad);
        let (ok, _) = admin(&s, &args);
        assert!(!ok);
    }
    assert_eq!(
        consent_of_a_login(&s, &party, &device).await.notice_sha256,
        edited.notice_sha256
    );

    // Only the numbers change: the notice, its version and hash stay.
    let (ok, out) = admin(
        &s,
        &[
            "rp",
            "login-page",
            "texts",
            "--client-code",
            code,
            "--support",
            "1588-0000",
        ],
    );
    assert!(ok, "{out}");
    let numbers_only = consent_of_a_login(&s, &party, &device).await;
    assert_eq!(
        (&numbers_only.notice_version, &numbers_only.notice_sha256),
        (&edited.notice_version, &edited.notice_sha256)
    );

    // Cleared: the built-in notice again, under its version and hash.
    let (ok, out) = admin(
        &s,
        &["rp", "login-page", "texts-clear", "--client-code", code],
    );
    assert!(ok, "{out}");
    let again = consent_of_a_login(&s, &party, &device).await;
    assert_eq!(
        (again.notice_version, again.notice_sha256),
        (builtin.notice_version, builtin.notice_sha256)
    );
}

#[tokio::test]
async fn no_answer_in_a_form_posts_chain_leaves_the_origin_and_the_last_page_sends_the_browser_back()
 {
    let (s, party, device) = setup().await;
    let mut b = Browser::new(&s);
    let (_, _, _) = b.get(&format!("/login/{}/form", party.client_code)).await;
    let csp = b.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self';"), "{csp}");

    // The app answers at once: signed before the browser follows the form's redirect.
    let steps = begin(&mut b, &party, "fast").await;
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.approve(&receipt, s.clock().now()).await.unwrap();
    let (st, _, loc) = b.get(&steps).await;
    assert_eq!(
        (st, loc),
        (StatusCode::SEE_OTHER, Some(format!("{steps}/done"))),
        "a same-origin redirect"
    );
    // The chain ends on a page of dojang's own, whether reached by that redirect or by the
    // STEP3 button (a POST): no redirect to the relying party, which `form-action 'self'`
    // would block in Chromium.
    let (st, html, loc) = b.post(&format!("{steps}/done"), &[]).await;
    assert_eq!((st, loc), (StatusCode::OK, None));
    let h = &b.headers;
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("form-action 'self';")
            && csp.contains("frame-ancestors 'self' https://welfare.example;"),
        "{csp}"
    );
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    let back = url::Url::parse(&return_link(&html)).unwrap();
    assert_eq!(&back[..url::Position::AfterPath], BACK);
    assert!(back.query().unwrap().contains("state=fast"));
    assert!(
        html.contains("/login.js\"></script>"),
        "the script goes back at once"
    );
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    let got = s
        .client(&party)
        .exchange_login_page_code(&q["code"])
        .await
        .unwrap();
    assert_eq!(got.state, "fast");
}

#[tokio::test]
async fn every_page_declares_an_icon_that_exists_and_the_certificate_help_is_served() {
    let (s, party, _device) = setup().await;
    let mut b = Browser::new(&s);
    let (st, _, _) = b.get("/favicon.ico").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(b.headers["content-type"], "image/svg+xml");
    let code = &party.client_code;
    for path in [
        "/".to_owned(),
        format!("/login/{code}"),
        format!("/login/{code}/form"),
        "/help/certificate".to_owned(),
        "/admin/login".to_owned(),
        "/docs/api".to_owned(),
        "/login/000000000000".to_owned(),
    ] {
        let (_, html, _) = b.get(&path).await;
        let needle = "<link rel=\"icon\" href=\"";
        let at = html.find(needle).unwrap_or_else(|| panic!("{path}")) + needle.len();
        let icon = html[at..].split('"').next().unwrap().to_owned();
        let (st, svg, _) = b.get(&icon).await;
        assert_eq!(st, StatusCode::OK, "{path}: {icon}");
        assert!(svg.starts_with("<svg"), "{path}");
    }
    let (st, html, _) = b.get("/help/certificate").await;
    assert_eq!(st, StatusCode::OK);
    for part in [
        "발급",
        "갱신",
        "재발급",
        "만료 30일 전부터",
        "이전 휴대폰의 인증서는 자동으로 폐지",
    ] {
        assert!(html.contains(part), "{part}");
    }
    let (_, html, _) = b.get("/help/certificate?lang=en").await;
    assert!(html.contains("From 30 days before it expires"));
}

/// Issue 14 #1: the page does not tell a wrong birth date from a wrong name, and guessing is
/// cut off per phone number and per address, while an honest person's two slips cost nothing.
#[tokio::test]
async fn f1_the_page_does_not_confirm_birth_dates_or_names_and_guessing_backs_off() {
    let (s, party, _device) = setup().await;
    s.enrol("이영희", "01055557777", "19880303").await;
    let form = format!("/login/{}/form?lang=en", party.client_code);
    let mut b = Browser::new(&s);
    let mut attempt = async |name: &str, phone: &str, birthday: &str| {
        let (_, html, _) = b.get(&form).await;
        let token = csrf(&html);
        let (st, html, _) = b
            .post(
                &form,
                &[
                    ("_csrf", token.as_str()),
                    ("name", name),
                    ("phone", phone),
                    ("birthday", birthday),
                    ("consent", "yes"),
                ],
            )
            .await;
        let error = html
            .split("id=\"form-error\">")
            .nth(1)
            .map(|e| e.split('<').next().unwrap().to_owned());
        let retry = b
            .headers
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (
            st,
            error,
            html + &format!("\n<!-- retry-after: {retry:?} -->"),
        )
    };
    // The honest person mistypes the birth date, then the name, then gets it right.
    let (st, _, _) = attempt("이영희", "01055557777", "19880304").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _, _) = attempt("이형희", "01055557777", "19880303").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _, _) = attempt("이영희", "01055557777", "19880303").await;
    assert_eq!(
        st,
        StatusCode::SEE_OTHER,
        "two slips must not lock the person out"
    );

    // The attacker knows the number: a wrong date and a right date with a wrong name answer
    // exactly alike, with help for whoever mistyped, and nothing marks the name field.
    let (st, wrong_date, html) = attempt(NAME, PHONE, "19700101").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(!html.contains("name-error"), "{html}");
    let (st, wrong_name, html) = attempt("김아무개", PHONE, BIRTH).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(!html.contains("name-error"), "{html}");
    assert_eq!(wrong_date, wrong_name);
    let said = wrong_date.unwrap();
    assert!(said.contains("We could not send a request"), "{said}");
    assert!(
        said.contains("birth date") && said.contains("certificate"),
        "{said}"
    );
    // Walking the dates: after five failures for this number, even the right answer waits,
    // with a clear time; nothing reaches the person.
    for day in ["19700102", "19700103", "19700104"] {
        let (st, said, _) = attempt(NAME, PHONE, day).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(said.as_deref(), Some(said_text(&wrong_name)));
    }
    let (st, said, html) = attempt(NAME, PHONE, BIRTH).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    assert!(said.unwrap().contains("Try again in 1 minutes"));
    assert!(html.ends_with("retry-after: Some(\"60\") -->"), "{html}");
    // Across numbers, the address backs off too: 2 + 5 failures so far, three more are free.
    for phone in ["01000000001", "01000000002", "01000000003"] {
        let (st, _, _) = attempt(NAME, phone, BIRTH).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
    }
    let (st, said, _) = attempt(NAME, "01000000004", BIRTH).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    assert!(said.unwrap().contains("Try again in"));
    // Counted in the database: both back-offs are there for every instance to read.
    let since = s.clock().now() - Duration::from_secs(3600);
    let st = s.state();
    let phone = st.store.failures("login-phone", None, since).await.unwrap();
    let address = st
        .store
        .failures("login-address", None, since)
        .await
        .unwrap();
    assert_eq!((phone.count, address.count), (10, 10));
}

fn said_text(s: &Option<String>) -> &str {
    s.as_deref().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_sets_shows_and_clears_the_return_url_from_the_command_line() {
    let s = TestServer::start().await;
    let party = s.add_party("서울시 복지포털").await;
    let code = party.client_code.as_str();
    let mut b = Browser::new(&s);
    let choose = format!("/login/{code}");

    // Nothing registered: the page refuses the relying party, and `show` says so.
    let (st, _, _) = b.get(&choose).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (ok, out) = admin(&s, &["rp", "login-page", "show", "--client-code", code]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "no return URL for {code}: the hosted login is off"
        )),
        "{out}"
    );
    assert!(out.contains("texts: the built-in ones"), "{out}");

    // Refused: plain http off loopback, a fragment, credentials, an unknown relying party;
    // each exits non-zero, says why, and registers nothing.
    for (url, why) in [
        ("http://welfare.example/cb", "must be https://"),
        (
            "https://welfare.example/cb#top",
            "must not have a #fragment",
        ),
        (
            "https://u:p@welfare.example/cb",
            "must not carry credentials",
        ),
        ("/relative", "not an absolute URL"),
    ] {
        let (ok, out) = admin_refused(
            &s,
            &[
                "rp",
                "login-page",
                "set",
                "--client-code",
                code,
                "--return-url",
                url,
            ],
        );
        assert!(!ok, "{url} refused: {out}");
        assert!(out.contains(why), "{url}: {out}");
    }
    let (ok, out) = admin_refused(
        &s,
        &[
            "rp",
            "login-page",
            "set",
            "--client-code",
            "999999999999",
            "--return-url",
            BACK,
        ],
    );
    assert!(!ok, "unknown relying party: {out}");
    let (st, _, _) = b.get(&choose).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "still nothing registered");

    // Set: the page now serves this relying party and may be framed by its return URL's origin.
    let (ok, out) = admin(
        &s,
        &[
            "rp",
            "login-page",
            "set",
            "--client-code",
            code,
            "--return-url",
            BACK,
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(
        out.trim(),
        format!("hosted login of {code}: /login/{code} → {BACK}")
    );
    let (ok, out) = admin(&s, &["rp", "login-page", "show", "--client-code", code]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("/login/{code} → {BACK}")), "{out}");
    let (st, html, _) = b.get(&choose).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("서울시 복지포털"));
    let csp = b.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'self' https://welfare.example;"),
        "{csp}"
    );

    // Clear: the page refuses again, at once (no restart).
    let (ok, out) = admin(&s, &["rp", "login-page", "clear", "--client-code", code]);
    assert!(ok, "{out}");
    assert_eq!(out.trim(), format!("hosted login of {code} is off"));
    let (st, _, _) = b.get(&choose).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = b.get(&format!("{choose}/form")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (ok, out) = admin(&s, &["rp", "login-page", "show", "--client-code", code]);
    assert!(ok && out.contains("the hosted login is off"), "{out}");
    s.stop().await;
}

/// The attributes of a `Set-Cookie` value, lower-cased, without the name=value pair.
fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    let mut attrs: Vec<String> = set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    attrs.sort();
    attrs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_login_cookies_are_partitioned_and_removed_when_the_login_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = crate::tls::test_certificate(dir.path());
    let s = TestServer::start_with(|c| {
        c.tls = dojang_server::config::TlsConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            cert: Some(cert.clone()),
            key: Some(key.clone()),
        };
    })
    .await;
    let party = s.add_party("서울시 복지포털").await;
    register(&s, &party, BACK).await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;

    // Over TLS: the browser cookie (the form's CSRF binding) and the session cookie work inside
    // the relying party's frame: SameSite=None, Secure, Partitioned (CHIPS), HttpOnly.
    let mut b = Browser::over_tls(&s, &cert);
    let (st, html, _) = b
        .get(&format!(
            "/login/{}/form?state=tls&lang=en",
            party.client_code
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    let browser_cookie = b.set_cookie("dojang_browser").expect("a browser cookie");
    assert_eq!(
        cookie_attributes(&browser_cookie),
        [
            "httponly",
            "partitioned",
            "path=/",
            "samesite=none",
            "secure"
        ],
        "{browser_cookie}"
    );
    // The language cookie is Secure over TLS too.
    let lang = b.set_cookie("dojang_lang").expect("a language cookie");
    assert!(
        cookie_attributes(&lang).contains(&"secure".to_owned()),
        "{lang}"
    );
    let token = csrf(&html);
    let form = format!("/login/{}/form", party.client_code);
    let (st, _, loc) = b
        .post(
            &form,
            &[
                ("_csrf", &token),
                ("state", "tls"),
                ("name", NAME),
                ("phone", PHONE),
                ("birthday", BIRTH),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let steps = loc.unwrap();
    let session = b.set_cookie("dojang_login").expect("a session cookie");
    assert_eq!(
        cookie_attributes(&session),
        [
            "httponly",
            "partitioned",
            "path=/login",
            "samesite=none",
            "secure"
        ],
        "{session}"
    );
    let (st, _, _) = b.get(&steps).await;
    assert_eq!(st, StatusCode::OK);
    // Another browser with the URL but not the cookie gets nothing, over TLS as well.
    let (st, _, _) = Browser::over_tls(&s, &cert).get(&steps).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The login ends: the session cookie is removed with the attributes it was set with (a
    // partitioned cookie is only removed by a partitioned removal), and expires now.
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    assert_eq!(device.approve(&receipt, s.clock().now()).await.unwrap(), 1);
    let (st, html, _) = b.get(&format!("{steps}/done")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(return_link(&html).starts_with(BACK));
    let removal = b
        .set_cookie("dojang_login")
        .expect("the session cookie removed");
    assert!(removal.starts_with("dojang_login=;"), "{removal}");
    let attrs = cookie_attributes(&removal);
    assert!(attrs.contains(&"max-age=0".to_owned()), "{removal}");
    let expires = attrs
        .iter()
        .find_map(|a| a.strip_prefix("expires="))
        .expect("an Expires in the past");
    let expires =
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc2822)
            .unwrap_or_else(|e| panic!("{expires}: {e}"));
    assert!(expires < time::OffsetDateTime::now_utc(), "{removal}");
    for a in ["partitioned", "secure", "samesite=none", "path=/login"] {
        assert!(attrs.contains(&a.to_owned()), "{a} in {removal}");
    }
    assert!(
        !b.cookies.iter().any(|(k, _)| k == "dojang_login"),
        "the session cookie is gone"
    );
    // Without it, the session's pages answer nothing any more.
    let (st, _, _) = b.get(&steps).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Over plain HTTP (development) the same cookies are SameSite=Lax and neither Secure nor
    // Partitioned: a page that only works at the top level.
    let mut plain = Browser::new(&s);
    plain
        .get(&format!("/login/{}/form", party.client_code))
        .await;
    let browser_cookie = plain.set_cookie("dojang_browser").unwrap();
    assert_eq!(
        cookie_attributes(&browser_cookie),
        ["httponly", "path=/", "samesite=lax"],
        "{browser_cookie}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_checks_the_name_and_keeps_the_push_bombing_guards() {
    // The production limit (the test server turns it off for the other tests).
    let s = TestServer::start_with(|c| c.policy.person_requests_per_minute = 5).await;
    let party = s.add_party("서울시 복지포털").await;
    register(&s, &party, BACK).await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let form = format!("/login/{}/form?lang=en", party.client_code);
    let submit = async |b: &mut Browser, name: &str| {
        let (_, html, _) = b.get(&form).await;
        let token = csrf(&html);
        let (st, html, loc) = b
            .post(
                &form,
                &[
                    ("_csrf", token.as_str()),
                    ("name", name),
                    ("phone", PHONE),
                    ("birthday", BIRTH),
                    ("consent", "yes"),
                ],
            )
            .await;
        let error = html
            .split("id=\"form-error\">")
            .nth(1)
            .map(|e| e.split('<').next().unwrap().to_owned());
        let retry = b
            .headers
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (st, loc, error, retry)
    };
    let pending = async || device.api.pending().await.unwrap().requests.len();

    // The name must be the certificate holder's: another name reaches no phone.
    let mut b = Browser::new(&s);
    let (st, loc, error, _) = submit(&mut b, "김아무개").await;
    assert_eq!((st, loc), (StatusCode::BAD_REQUEST, None));
    assert!(error.unwrap().contains("We could not send a request"));
    assert_eq!(pending().await, 0, "nothing pushed for a wrong name");

    // One waiting request per person and relying party: a second browser (or a second tab)
    // cannot stack another card on the phone while the first waits.
    let (st, first, _, _) = submit(&mut b, NAME).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "the right name is sent");
    assert!(first.unwrap().starts_with("/login/s/"));
    assert_eq!(pending().await, 1);
    let mut other = Browser::new(&s);
    let (st, loc, error, _) = submit(&mut other, NAME).await;
    assert_eq!(loc, None, "no second session");
    assert!(st.is_client_error(), "{st}");
    assert_eq!(
        error.as_deref(),
        Some(ErrorCode::RequestInProgress.message(dojang_proto::error::Lang::En)),
        "{st}"
    );
    assert_eq!(pending().await, 1, "still one card on the phone");

    // At most `person_requests_per_minute` (5) requests to a person per minute across all
    // relying parties: the page's counts with the API's.
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.api.decline(&receipt, None).await.unwrap();
    let elsewhere = s.add_party("다른 기관").await;
    let api = s.client(&elsewhere);
    for i in 0..3 {
        let r = api
            .request(
                dojang_client::Kind::Identity,
                &dojang_client::CreateRequest::new(NAME, PHONE, BIRTH, format!("n{i}"), "x", 300),
            )
            .await
            .unwrap();
        device.api.decline(&r.receipt_id, None).await.unwrap();
    }
    let (st, _, _, _) = submit(&mut b, NAME).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "the fifth request of the minute");
    let receipt = receipt_of(&device.api.pending().await.unwrap());
    device.api.decline(&receipt, None).await.unwrap();
    let (st, loc, error, retry) = submit(&mut b, NAME).await;
    assert_eq!((st, loc), (StatusCode::TOO_MANY_REQUESTS, None));
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() <= 60));
    assert!(error.unwrap().contains("Try again in"));
    assert_eq!(pending().await, 0, "the sixth reached no phone");
    // A minute later the person can be asked again.
    s.clock().advance(Duration::from_secs(61));
    let (st, _, _, _) = submit(&mut b, NAME).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(pending().await, 1);
    s.stop().await;
}
