//! The integrator test console (`/console`): real server, real HTTP, a browser played by
//! reqwest (its console cookie and the forms' CSRF tokens), sandbox people enrolled for real.

use std::time::Duration;

use dojang_testkit::{TestParty, TestServer};
use futures_util::StreamExt;

use crate::common::*;

/// A browser: the console cookie and the CSRF token of its forms.
pub(crate) struct Browser {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

/// An answer: status and page.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) html: String,
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of the element with this id (`<tag id="…" …>text</tag>`), unescaped.
pub(crate) fn by_id(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let open_end = rest.find('>')? + 1;
    let rest = &rest[open_end..];
    let end = rest.find("</")?;
    Some(unescape(&rest[..end]))
}

impl Page {
    /// The raw response shown: status line and JSON body.
    pub(crate) fn response(&self) -> (String, serde_json::Value) {
        let text = by_id(&self.html, "raw-response").expect("a raw response on the page");
        let status = text.lines().next().unwrap().to_owned();
        let body = text.split_once("\n\n").map(|(_, b)| b).unwrap_or("");
        (
            status,
            serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
        )
    }

    fn request(&self) -> String {
        by_id(&self.html, "raw-request").expect("a raw request on the page")
    }
}

impl Browser {
    pub(crate) async fn open(server: &TestServer) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = http
            .get(format!("{}/console", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("dojang_console="))
            .expect("the console cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        // Every form of the browser carries the same token; the call form always has one.
        let html = http
            .get(format!("{}/console/identity/create", server.url()))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = html
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a CSRF token")
            .to_owned();
        Self {
            http,
            base: server.url(),
            cookie,
            csrf,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        Page {
            status,
            html: res.text().await.unwrap(),
        }
    }

    pub(crate) async fn post_raw(&self, path: &str, fields: &[(&str, &str)], cookie: bool) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if cookie {
            req = req.header("cookie", &self.cookie);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        Page {
            status,
            html: res.text().await.unwrap(),
        }
    }

    /// A console form, with the CSRF token and the party's credentials.
    pub(crate) async fn call(
        &self,
        party: &TestParty,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let mut all = vec![
            ("_csrf", self.csrf.as_str()),
            ("link_id", party.link_id.as_str()),
            ("secret_key", party.secret.as_str()),
        ];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, true).await
    }

    pub(crate) async fn add_person(&self, phone: &str, outcome: &str) -> Page {
        let fields = [
            ("_csrf", self.csrf.as_str()),
            ("name", NAME),
            ("phone", phone),
            ("birthday", BIRTH),
            ("outcome", outcome),
            ("delay", "0"),
        ];
        self.post_raw("/console/sandbox", &fields, true).await
    }
}

fn identity_fields<'a>(phone: &'a str, token: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("receiverName", NAME),
        ("receiverHP", phone),
        ("receiverBirthday", BIRTH),
        ("token", token),
        ("reqTitle", "로그인"),
        ("expireIn", "300"),
        ("extraMessage", ""),
        ("verifyNameYN", ""),
    ]
}

/// A relying party marked as a test party (`dojang admin rp sandbox`): inside the sandbox.
pub(crate) async fn test_party(s: &TestServer) -> TestParty {
    let party = s.add_party("콘솔 시험").await;
    mark_test_party(s, &party, true).await;
    party
}

pub(crate) async fn mark_test_party(s: &TestServer, party: &TestParty, on: bool) {
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    s.state().store.set_sandbox_party(&code, on).await.unwrap();
}

/// The public ids of the sandbox people a page lists (`id="person-<id>"`).
pub(crate) fn person_ids(html: &str) -> Vec<String> {
    html.split("<tr id=\"person-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

pub(crate) async fn sandbox_server() -> TestServer {
    TestServer::start_with(|c| {
        c.console.sandbox = true;
        // Sandbox people read the binding code from the server's own record, not the card.
        c.policy.dev_reveal_binding_code = false;
    })
    .await
}

/// Create an identity request through the console; the receipt.
pub(crate) async fn create(b: &Browser, party: &TestParty, phone: &str) -> String {
    let page = b
        .call(
            party,
            "/console/identity/create",
            &identity_fields(phone, "nonce-1"),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let (status, body) = page.response();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    body["receiptID"].as_str().unwrap().to_owned()
}

/// Long-poll the status through the console until it leaves 0.
pub(crate) async fn settled(b: &Browser, party: &TestParty, receipt: &str) -> serde_json::Value {
    for _ in 0..3 {
        let page = b
            .call(
                party,
                "/console/identity/status",
                &[("receiptID", receipt), ("wait", "30")],
            )
            .await;
        assert!(page.request().contains("?wait=30"));
        let (_, body) = page.response();
        if body["state"] != 0 {
            return body;
        }
    }
    panic!("{receipt} stayed waiting");
}

#[tokio::test]
async fn an_identity_call_returns_a_receipt_and_shows_the_signed_request() {
    let s = TestServer::start().await;
    let party = test_party(&s).await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let b = Browser::open(&s).await;

    let form = b.get("/console/identity/create").await;
    assert_eq!(form.status, 200);
    for id in [
        "link_id",
        "secret_key",
        "receiverName",
        "receiverHP",
        "token",
        "expireIn",
        "payload",
        "send",
    ] {
        assert!(form.html.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(
        !form.html.contains("id=\"tokens\""),
        "multi-sign field on identity"
    );

    let page = b
        .call(
            &party,
            "/console/identity/create",
            &identity_fields(PHONE, "nonce-1"),
        )
        .await;
    assert_eq!(page.status, 200);
    let (status, body) = page.response();
    assert_eq!(status, "HTTP/1.1 200 OK");
    let receipt = body["receiptID"].as_str().unwrap();
    assert_eq!(by_id(&page.html, "receipt-id").as_deref(), Some(receipt));
    assert!(body["bindingCode"].is_string());

    // The raw request: the exact body, the date and the signature dojang-client computed.
    let raw = page.request();
    assert!(raw.starts_with("POST /v1/identity HTTP/1.1\n"), "{raw}");
    assert!(raw.contains("x-dojang-date: "));
    let auth = raw
        .lines()
        .find_map(|l| l.strip_prefix("authorization: "))
        .unwrap();
    let (link, sig) = dojang_proto::auth::parse_authorization(auth).unwrap();
    assert_eq!(link, party.link_id);
    let date = raw
        .lines()
        .find_map(|l| l.strip_prefix("x-dojang-date: "))
        .unwrap();
    let sent_body = raw.split_once("\n\n").unwrap().1;
    assert!(sent_body.contains("\"receiverHP\":\"01012345678\""));
    assert!(
        !sent_body.contains("extraMessage"),
        "empty fields are not sent"
    );
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(&party.secret)
        .unwrap();
    assert!(dojang_proto::auth::verify(
        &secret,
        "POST",
        "/v1/identity",
        date,
        sent_body.as_bytes(),
        sig
    ));
    // The secret is never written back into the page.
    assert!(!page.html.contains(&party.secret));
    assert!(by_id(&page.html, "secret-used").is_some());

    // The request is real: the SDK sees it.
    let st = s
        .client(&party)
        .get_verify_auth_state(receipt)
        .await
        .unwrap();
    assert_eq!(st.state, 0);

    // The next calls are offered with the receipt filled in, and the timeline opens.
    assert!(
        page.html
            .contains(&format!("/console/identity/status?receiptID={receipt}"))
    );
    let link = page
        .html
        .split("id=\"timeline-link\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(unescape)
        .unwrap();
    let timeline = b.get(&link).await;
    assert_eq!(timeline.status, 200, "{}", timeline.html);
    assert!(timeline.html.contains("data-state=\"0\""));
    // Another browser (no cookie of its own) cannot watch it.
    let other = Browser::open(&s).await;
    assert_eq!(other.get(&link).await.status, 403);
}

#[tokio::test]
async fn a_wrong_secret_shows_the_apis_auth_error() {
    let s = TestServer::start().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    let wrong = TestParty {
        secret: "c2VjcmV0LXRoYXQtaXMtd3Jvbmc=".into(),
        ..party.clone()
    };
    let page = b
        .call(
            &wrong,
            "/console/identity/create",
            &identity_fields(PHONE, "n"),
        )
        .await;
    assert_eq!(page.status, 200, "the page shows the API's answer");
    let (status, body) = page.response();
    assert!(status.starts_with("HTTP/1.1 401"), "{status}");
    assert_eq!(
        body["code"],
        dojang_proto::ErrorCode::SignatureMismatch.code()
    );
    assert!(!page.html.contains("id=\"timeline-link\""));
}

#[tokio::test]
async fn bad_input_is_a_message_on_the_page() {
    let s = TestServer::start().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;

    // No secret.
    let fields = [
        ("_csrf", b.csrf.as_str()),
        ("link_id", party.link_id.as_str()),
    ];
    let page = b.post_raw("/console/identity/create", &fields, true).await;
    assert_eq!(page.status, 400);
    assert!(
        by_id(&page.html, "problem-text")
            .unwrap()
            .contains("secret_key")
    );
    assert!(
        page.html
            .contains("autocomplete=\"off\" aria-invalid=\"true\"")
    );

    // A secret that is not base64.
    let bad = TestParty {
        secret: "not base64!".into(),
        ..party.clone()
    };
    let page = b.call(&bad, "/console/identity/create", &[]).await;
    assert_eq!(page.status, 400);
    assert!(!page.html.contains("not base64!"));

    // Malformed JSON in a field.
    let page = b
        .call(
            &party,
            "/console/multi-sign/create",
            &[("tokens", "[{\"token\": ")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        by_id(&page.html, "problem-text")
            .unwrap()
            .contains("tokens")
    );
    assert!(
        page.html.contains("[{&#34;token&#34;: </textarea>"),
        "the typed value stays"
    );

    // Not a number.
    let page = b
        .call(&party, "/console/identity/create", &[("expireIn", "soon")])
        .await;
    assert_eq!(page.status, 400);

    // Missing fields reach the server, which names them.
    let page = b.call(&party, "/console/identity/create", &[]).await;
    assert_eq!(page.status, 200);
    let (status, body) = page.response();
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    assert!(body["code"].as_i64().unwrap() < 0);

    // Unknown kind or call.
    assert_eq!(b.get("/console/cms/create").await.status, 404);
    assert_eq!(
        b.call(&party, "/console/identity/delete", &[]).await.status,
        404
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    let fields = [
        ("link_id", party.link_id.as_str()),
        ("secret_key", party.secret.as_str()),
    ];
    assert_eq!(
        b.post_raw("/console/identity/create", &fields, true)
            .await
            .status,
        403
    );
    let with_token = [
        ("_csrf", b.csrf.as_str()),
        ("link_id", party.link_id.as_str()),
        ("secret_key", party.secret.as_str()),
    ];
    // The token without the cookie it is bound to.
    assert_eq!(
        b.post_raw("/console/identity/create", &with_token, false)
            .await
            .status,
        403
    );
    // Another browser's token.
    let other = Browser::open(&s).await;
    let theirs = [("_csrf", other.csrf.as_str()), ("name", NAME)];
    assert_eq!(
        b.post_raw("/console/sandbox", &theirs, true).await.status,
        403
    );
    assert!(s.state().sandbox.running() == 0);
}

#[tokio::test]
async fn the_sandbox_is_refused_when_it_is_off() {
    let s = TestServer::start().await;
    let b = Browser::open(&s).await;
    let index = b.get("/console").await;
    assert!(index.html.contains("id=\"sandbox-off\""));
    assert!(!index.html.contains("id=\"sandbox-form\""));
    let page = b.add_person("01055550001", "approve").await;
    assert_eq!(page.status, 403);
    assert!(by_id(&page.html, "sandbox-error").is_some());
    assert!(s.state().sandbox.running() == 0);
}

#[tokio::test]
async fn a_sandbox_person_who_approves_is_signed_and_verifies() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    let phone = "01055550002";
    let added = b.add_person(phone, "approve").await;
    assert_eq!(added.status, 303, "{}", added.html);
    let index = b.get("/console?added=1").await;
    let ids = person_ids(&index.html);
    assert_eq!(ids.len(), 1, "{}", index.html);
    let id = ids[0].clone();
    assert_eq!(id.len(), 24, "a random public id, not a sequence number");
    assert!(index.html.contains("data-outcome=\"approve\""));
    // The same person twice is refused.
    assert_eq!(b.add_person(phone, "decline").await.status, 409);

    let receipt = create(&b, &party, phone).await;
    let st = settled(&b, &party, &receipt).await;
    assert_eq!(st["state"], 1, "{st}");
    assert!(st["viewDT"].is_string());

    // The timeline streams the signed state.
    let page = b
        .call(
            &party,
            "/console/identity/status",
            &[("receiptID", receipt.as_str())],
        )
        .await;
    let link = page
        .html
        .split("id=\"timeline-link\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(unescape)
        .unwrap();
    let events = link.replace("/console/timeline/", "/console/events/");
    let res = b
        .http
        .get(format!("{}{events}", b.base))
        .header("cookie", &b.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut stream = res.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("\"state\":1") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an event")
            .expect("the stream stays open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: status"), "{seen}");

    // Verify through the console; the stream then reports it and ends.
    let page = b
        .call(
            &party,
            "/console/identity/verify",
            &[("receiptID", receipt.as_str())],
        )
        .await;
    let (status, body) = page.response();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(body["state"], 1);
    assert!(body["signedData"].is_string());
    assert_eq!(body["receiverHP"], phone);
    let mut seen = String::new();
    while !seen.contains("event: done") {
        let chunk = tokio::time::timeout(Duration::from_secs(40), stream.next())
            .await
            .expect("an event")
            .expect("the stream ends with done")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"verified\":\"20"), "{seen}");
    let timeline = b.get(&link).await;
    assert!(
        timeline
            .html
            .contains("id=\"step-verified\" data-done=\"true\"")
    );

    // Removing the person stops the virtual device.
    let fields = [("_csrf", b.csrf.as_str())];
    assert_eq!(
        b.post_raw(&format!("/console/sandbox/{id}/remove"), &fields, true)
            .await
            .status,
        303
    );
    assert!(s.state().sandbox.running() == 0);
}

#[tokio::test]
async fn a_sandbox_person_who_declines_ends_declined() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    assert_eq!(b.add_person("01055550003", "decline").await.status, 303);
    let receipt = create(&b, &party, "01055550003").await;
    let st = settled(&b, &party, &receipt).await;
    assert_eq!(st["state"], 3, "{st}");
}

#[tokio::test]
async fn a_sandbox_person_who_picks_a_wrong_binding_code_is_declined() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    assert_eq!(b.add_person("01055550004", "wrong-code").await.status, 303);
    let receipt = create(&b, &party, "01055550004").await;
    let st = settled(&b, &party, &receipt).await;
    assert_eq!(st["state"], 3, "{st}");
    assert_eq!(st["stateReason"], "binding code mismatch");
}

#[tokio::test]
async fn a_sandbox_person_never_replaces_a_real_certificate() {
    let s = sandbox_server().await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let b = Browser::open(&s).await;
    let page = b.add_person(PHONE, "approve").await;
    assert_eq!(page.status, 409);
    let page = b.add_person("0105555", "approve").await;
    assert_eq!(page.status, 400, "a bad phone number is a message");
    assert!(by_id(&page.html, "sandbox-error").is_some());
}

/// The value a form field starts with (input, textarea or select), unescaped.
fn form_value(html: &str, name: &str) -> Option<String> {
    if let Some(at) = html.find(&format!("<textarea id=\"{name}\"")) {
        let rest = &html[at..];
        let start = rest.find('>')? + 1;
        let end = rest.find("</textarea>")?;
        return Some(unescape(&rest[start..end]));
    }
    if let Some(at) = html.find(&format!("<select id=\"{name}\"")) {
        let rest = &html[at..];
        let rest = &rest[..rest.find("</select>")?];
        let chosen = rest.find(" selected>")?;
        let value = rest[..chosen].rsplit("value=\"").next()?;
        return Some(unescape(value.split('"').next()?));
    }
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(unescape(&rest[..rest.find('"')?]))
}

#[tokio::test]
async fn every_kind_with_its_example_values_is_signed_by_a_sandbox_person() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    let phone = "01055550005";
    assert_eq!(b.add_person(phone, "approve").await.status, 303);
    let names = [
        "token",
        "tokenType",
        "tokens",
        "reqTitle",
        "signTitle",
        "requestCorp",
        "bankName",
        "bankAccountNum",
        "bankAccountName",
        "bankAccountBirthday",
        "bankServiceType",
        "expireIn",
    ];
    for kind in ["identity", "sign", "multi-sign", "debit-consent", "login"] {
        let form = b.get(&format!("/console/{kind}/create")).await;
        assert_eq!(form.status, 200);
        let values: Vec<(&str, String)> = names
            .iter()
            .filter_map(|n| form_value(&form.html, n).map(|v| (*n, v)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let mut fields: Vec<(&str, &str)> = vec![
            ("receiverName", NAME),
            ("receiverHP", phone),
            ("receiverBirthday", BIRTH),
        ];
        fields.extend(values.iter().map(|(n, v)| (*n, v.as_str())));
        let page = b
            .call(&party, &format!("/console/{kind}/create"), &fields)
            .await;
        let (status, body) = page.response();
        assert_eq!(status, "HTTP/1.1 200 OK", "{kind}: {body}");
        let receipt = body["receiptID"].as_str().unwrap().to_owned();
        let mut state = serde_json::Value::Null;
        for _ in 0..3 {
            let page = b
                .call(
                    &party,
                    &format!("/console/{kind}/status"),
                    &[("receiptID", receipt.as_str()), ("wait", "30")],
                )
                .await;
            state = page.response().1;
            if state["state"] != 0 {
                break;
            }
        }
        assert_eq!(state["state"], 1, "{kind}: {state}");
        let page = b
            .call(
                &party,
                &format!("/console/{kind}/verify"),
                &[("receiptID", receipt.as_str())],
            )
            .await;
        let (status, body) = page.response();
        assert_eq!(status, "HTTP/1.1 200 OK", "{kind}: {body}");
    }
}

#[tokio::test]
async fn a_waiting_request_is_cancelled_through_the_console() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    assert_eq!(b.add_person("01055550006", "expire").await.status, 303);
    let receipt = create(&b, &party, "01055550006").await;
    // The sandbox device opens the card on its own task: cancel only once it has (on a loaded
    // machine the cancel could otherwise come first, and the card would rightly stay unopened).
    let mut opened = false;
    for _ in 0..100 {
        let page = b
            .call(
                &party,
                "/console/identity/status",
                &[("receiptID", receipt.as_str())],
            )
            .await;
        let body = page.response().1;
        assert_eq!(body["state"], 0, "{body}");
        if body["viewDT"].is_string() {
            opened = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(opened, "the sandbox device opened the card within 10 s");
    let page = b
        .call(
            &party,
            "/console/identity/cancel",
            &[("receiptID", receipt.as_str()), ("reason", "시험 종료")],
        )
        .await;
    let (status, body) = page.response();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(body["state"], 3);
    let st = settled(&b, &party, &receipt).await;
    assert_eq!(st["stateReason"], "cancelled: 시험 종료");
    assert!(
        st["viewDT"].is_string(),
        "the expire outcome still opens the card"
    );
}

#[tokio::test]
async fn a_sandbox_person_who_lets_it_expire_ends_expired() {
    let s = sandbox_server().await;
    let party = test_party(&s).await;
    let b = Browser::open(&s).await;
    assert_eq!(b.add_person("01055550007", "expire").await.status, 303);
    let receipt = create(&b, &party, "01055550007").await;
    let page = b
        .call(
            &party,
            "/console/identity/status",
            &[("receiptID", receipt.as_str()), ("wait", "1")],
        )
        .await;
    assert_eq!(page.response().1["state"], 0, "nobody answers");
    s.clock().advance(Duration::from_secs(301));
    let st = settled(&b, &party, &receipt).await;
    assert_eq!(st["state"], 2, "{st}");
}

#[tokio::test]
async fn the_console_speaks_english_when_asked() {
    let s = TestServer::start().await;
    let b = Browser::open(&s).await;
    let page = b.get("/console/sign/create?lang=en").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("<html lang=\"en\">"));
    assert!(page.html.contains("E-signature"));
    assert!(page.html.contains("Send the request"));
    let page = b.get("/console").await;
    assert!(page.html.contains("연동 테스트 콘솔"), "Korean by default");
}
