//! Webhooks end to end: a real receiver on 127.0.0.1 (an axum server in this process) that
//! answers 500 and then 200, the operator's `dojang admin rp webhook` commands run as their own
//! process, signatures checked with the SDK's verifier, retries driven by the manual clock,
//! every event kind, giving up, and the SSRF guard at set time and at delivery.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use dojang_client::webhook::{
    DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, WebhookEvent, verify_at,
};
use dojang_client::{CreateRequest, Kind};
use dojang_core::Clock;
use dojang_testkit::{TestServer, binary, json};

use crate::common::*;

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// A callback endpoint: records every POST, answers the queued statuses, then 200.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start() -> (Self, String) {
        let r = Self::default();
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.got.lock().unwrap().push(Received { headers, body });
                    let code = state.answers.lock().unwrap().pop_front().unwrap_or(200);
                    StatusCode::from_u16(code).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (r, url)
    }

    fn answer(&self, codes: &[u16]) {
        self.answers.lock().unwrap().extend(codes);
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Wait (real time; the worker runs on its own) until `n` POSTs arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} webhook POSTs, got {:?}", self.got());
    }
}

fn config_file(dir: &std::path::Path, data: &std::path::Path, allow_private: bool) -> String {
    let path = dir.join("admin.toml");
    let mut text = format!(
        "data_dir = {:?}\ninsecure_allow_private_webhooks = {allow_private}\n",
        data.to_str().unwrap()
    );
    // On the PostgreSQL leg, the server's database.
    if let Some((_, url)) = dojang_testkit::database_env(data) {
        text.push_str(&format!("database_url = {url:?}\n"));
    }
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `dojang admin --config <file> rp webhook <args>`.
fn webhook_cli(config: &str, args: &[&str]) -> (bool, String) {
    let mut all = vec!["admin", "--config", config, "rp", "webhook"];
    all.extend_from_slice(args);
    let (status, out) =
        tokio::task::block_in_place(|| dojang_testkit::run(&binary("dojang"), &all, &[]));
    (status.success(), out)
}

fn checked(s: &TestServer, secret: &str, r: &Received) -> WebhookEvent {
    let now = s.clock().now().unix_timestamp();
    verify_at(secret, &r.header(SIGNATURE_HEADER), &r.body, now, 300)
        .unwrap_or_else(|e| panic!("signature of {r:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_change_is_posted_signed_retried_and_logged() {
    let s = TestServer::start_with(|c| {
        c.insecure_allow_private_webhooks = true;
        c.webhooks.retry_base_ms = 1000;
        c.webhooks.retry_for_hours = 1;
    })
    .await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let client = s.client(&party);
    let (receiver, url) = Receiver::start().await;
    let tmp = tempfile::tempdir().unwrap();

    // The guard at set time: without the development setting, a loopback http URL is refused.
    let strict = config_file(tmp.path(), &s.data_dir(), false);
    let (ok, out) = webhook_cli(
        &strict,
        &["set", "--client-code", &party.client_code, "--url", &url],
    );
    assert!(!ok, "loopback target refused: {out}");
    let config = config_file(tmp.path(), &s.data_dir(), true);
    let (ok, out) = webhook_cli(
        &config,
        &[
            "set",
            "--client-code",
            &party.client_code,
            "--url",
            &url,
            "--json",
        ],
    );
    assert!(ok, "{out}");
    let set = json(&out);
    let secret = set["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    // Setting the URL again keeps the secret (and does not print it).
    let (ok, out) = webhook_cli(
        &config,
        &[
            "set",
            "--client-code",
            &party.client_code,
            "--url",
            &url,
            "--json",
        ],
    );
    assert!(ok, "{out}");
    assert!(json(&out).get("secret").is_none());

    // signed: the receiver fails the first POST, the retry is due a second later.
    receiver.answer(&[500]);
    let r = client
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce-1", "본인확인", 300),
        )
        .await
        .unwrap();
    assert_eq!(
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap(),
        1
    );
    let first = receiver.wait_for(1).await;
    let e = checked(&s, &secret, &first[0]);
    assert_eq!(e.event, "signed");
    assert_eq!(e.receipt_id, r.receipt_id);
    assert_eq!(e.kind, Kind::Identity);
    assert_eq!(e.state, 1);
    assert_eq!(e.client_code, party.client_code);
    assert_eq!(first[0].header(EVENT_HEADER), "signed");
    // Not retried before its time.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 1);
    s.clock().advance(Duration::from_secs(2));
    s.state().webhooks.wake();
    let second = receiver.wait_for(2).await;
    assert_eq!(second[1].body, first[0].body, "a retry sends the same body");
    assert_eq!(
        second[1].header(DELIVERY_HEADER),
        first[0].header(DELIVERY_HEADER),
        "and the same delivery id"
    );
    assert_ne!(
        second[1].header(SIGNATURE_HEADER),
        first[0].header(SIGNATURE_HEADER),
        "signed anew, at the time of the retry"
    );
    checked(&s, &secret, &second[1]);
    // A wrong secret does not verify what was received.
    assert!(
        verify_at(
            "whsec_wrong",
            &second[1].header(SIGNATURE_HEADER),
            &second[1].body,
            s.clock().now().unix_timestamp(),
            300
        )
        .is_err()
    );

    // verified, cancelled, declined, expired.
    client.verify(Kind::Identity, &r.receipt_id).await.unwrap();
    assert_eq!(
        checked(&s, &secret, &receiver.wait_for(3).await[2]).event,
        "verified"
    );

    let c = client
        .request(
            Kind::Sign,
            &CreateRequest::sign(
                NAME,
                PHONE,
                BIRTH,
                "약정",
                dojang_client::TokenType::Text,
                "동의합니다",
                300,
            ),
        )
        .await
        .unwrap();
    client
        .cancel(Kind::Sign, &c.receipt_id, None)
        .await
        .unwrap();
    let e = checked(&s, &secret, &receiver.wait_for(4).await[3]);
    assert_eq!(
        (e.event.as_str(), e.state, e.kind),
        ("cancelled", 3, Kind::Sign)
    );

    let d = client
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce-2", "본인확인", 300),
        )
        .await
        .unwrap();
    device.api.decline(&d.receipt_id, None).await.unwrap();
    let e = checked(&s, &secret, &receiver.wait_for(5).await[4]);
    assert_eq!((e.event.as_str(), e.state), ("declined", 3));

    let x = client
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce-3", "본인확인", 10),
        )
        .await
        .unwrap();
    s.clock().advance(Duration::from_secs(11));
    let e = checked(&s, &secret, &receiver.wait_for(6).await[5]);
    assert_eq!((e.event.as_str(), e.state), ("expired", 2));
    assert_eq!(e.receipt_id, x.receipt_id);
    // Announced once: no second `expired` for it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.got().len(), 6);

    // Giving up: a receiver that keeps failing past the retry period.
    receiver.answer(&[503, 503]);
    let g = client
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce-4", "본인확인", 300),
        )
        .await
        .unwrap();
    client
        .cancel(Kind::Identity, &g.receipt_id, None)
        .await
        .unwrap();
    receiver.wait_for(7).await;
    s.clock().advance(Duration::from_secs(2 * 3600));
    s.state().webhooks.wake();
    receiver.wait_for(8).await;

    // The operator's log shows all of it. The worker records an attempt just after the POST
    // is answered, so poll briefly.
    let mut log = serde_json::Value::Null;
    for _ in 0..50 {
        let (ok, out) = webhook_cli(
            &config,
            &["log", "--client-code", &party.client_code, "--json"],
        );
        assert!(ok, "{out}");
        log = json(&out);
        if log["deliveries"][0]["state"] == "given-up" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log["url"], url.as_str());
    let deliveries = log["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 6, "{log:#}");
    let events: Vec<&str> = deliveries
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "cancelled",
            "expired",
            "declined",
            "cancelled",
            "verified",
            "signed"
        ]
    );
    let gave_up = &deliveries[0];
    assert_eq!(gave_up["state"], "given-up");
    assert_eq!(gave_up["attempts"], 2);
    assert_eq!(gave_up["lastStatus"], 503);
    let signed = &deliveries[5];
    assert_eq!(signed["state"], "delivered");
    assert_eq!(signed["attempts"], 2);
    assert_eq!(signed["tries"][0]["status"], 500);
    assert_eq!(
        signed["tries"][0]["error"],
        "HTTP 500 Internal Server Error"
    );
    assert_eq!(signed["tries"][1]["status"], 200);
    assert_eq!(signed["body"]["receiptID"], r.receipt_id.as_str());
    // The text form names the same.
    let (ok, out) = webhook_cli(&config, &["log", "--client-code", &party.client_code]);
    assert!(ok);
    assert!(out.contains("given-up after 2 attempt(s)"), "{out}");
    assert!(out.contains("HTTP 500 Internal Server Error"), "{out}");

    // Clearing stops deliveries.
    let (ok, out) = webhook_cli(&config, &["clear", "--client-code", &party.client_code]);
    assert!(ok, "{out}");
    let (ok, _) = webhook_cli(&config, &["clear", "--client-code", &party.client_code]);
    assert!(!ok, "nothing left to clear");
    let n = client
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce-5", "본인확인", 300),
        )
        .await
        .unwrap();
    client
        .cancel(Kind::Identity, &n.receipt_id, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.got().len(), 8, "no webhook, no POST");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_resolve_to_private_addresses_are_refused_at_delivery() {
    // Production setting: private targets refused. `localhost` passes the form check (it is
    // a name, and https), so only the resolver at delivery stands between it and 127.0.0.1.
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let (receiver, url) = Receiver::start().await;
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    // Written to the store on purpose: every real path (`dojang admin rp webhook set`, the
    // console) refuses this URL at set time, which the first test shows; this one is about a
    // name that resolves to a private address only later (DNS rebinding), at delivery.
    s.state()
        .store
        .set_webhook(&dojang_store::Webhook {
            client_code: code.clone(),
            url: format!("https://localhost:{port}/hook"),
            secret: "whsec_x".into(),
            created_at: s.clock().now(),
            updated_at: s.clock().now(),
        })
        .await
        .unwrap();
    let client = s.client(&party);
    let r = client
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce", "본인확인", 300),
        )
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let mut tries = Vec::new();
    for _ in 0..100 {
        let d = s.state().store.deliveries(&code, 10).await.unwrap();
        if let Some(d) = d.first()
            && d.attempts > 0
        {
            tries = s.state().store.attempts(d.id).await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(tries.len(), 1, "one attempt made");
    let error = tries[0].error.clone().unwrap();
    assert!(error.contains("not a public address"), "{error}");
    assert_eq!(tries[0].status, None);
    assert!(
        receiver.got().is_empty(),
        "nothing reached the loopback receiver"
    );
    s.stop().await;
}

/// Register `url` as the party's webhook the operator's way (`dojang admin rp webhook set`, its
/// own process), with private targets allowed for the loopback receivers; the secret.
fn set_by_cli(
    s: &TestServer,
    dir: &std::path::Path,
    party: &dojang_testkit::TestParty,
    url: &str,
) -> String {
    let config = config_file(dir, &s.data_dir(), true);
    let (ok, out) = webhook_cli(
        &config,
        &[
            "set",
            "--client-code",
            &party.client_code,
            "--url",
            url,
            "--json",
        ],
    );
    assert!(ok, "{out}");
    json(&out)["secret"].as_str().unwrap().to_owned()
}

/// The attempts of the party's newest delivery once `n` were recorded (real time: the worker
/// records an attempt after the POST ends).
async fn attempts_of_newest(
    s: &TestServer,
    code: &dojang_core::ClientCode,
    n: usize,
) -> (dojang_store::Delivery, Vec<dojang_store::Attempt>) {
    for _ in 0..200 {
        let d = s.state().store.deliveries(code, 10).await.unwrap();
        if let Some(d) = d.into_iter().next() {
            let tries = s.state().store.attempts(d.id).await.unwrap();
            // The worker records the attempt, then updates the delivery: wait for both (seen on
            // the PostgreSQL leg: the attempt row visible before the delivery's new state).
            let settled = tries.iter().max_by_key(|t| t.at).is_some_and(|t| {
                d.last_error == t.error && d.last_status == t.status && d.next_attempt_at > t.at
            });
            if tries.len() >= n && settled {
                return (d, tries);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {n} attempt(s) recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_and_counts_as_a_failed_attempt() {
    let s = TestServer::start_with(|c| {
        c.insecure_allow_private_webhooks = true;
        c.webhooks.retry_base_ms = 1000;
    })
    .await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    // The receiver the redirect points at: must see nothing, ever, by any method (a followed
    // 302 would arrive as a GET).
    let reached = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = reached.clone();
    let target_app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let seen = seen.clone();
        async move {
            seen.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.uri()));
            StatusCode::OK
        }
    });
    let target_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_url = format!("http://{}/hook", target_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(target_listener, target_app).await });
    // The registered receiver answers every POST with 302 to the other, and counts them.
    let redirects = Arc::new(Mutex::new(0usize));
    let counted = redirects.clone();
    let to = target_url.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counted = counted.clone();
            let to = to.clone();
            async move {
                *counted.lock().unwrap() += 1;
                (StatusCode::FOUND, [(axum::http::header::LOCATION, to)])
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let tmp = tempfile::tempdir().unwrap();
    set_by_cli(&s, tmp.path(), &party, &url);

    let r = s
        .client(&party)
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce", "본인확인", 300),
        )
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    let (d, tries) = attempts_of_newest(&s, &code, 1).await;
    assert_eq!(tries[0].status, Some(302));
    assert_eq!(tries[0].error.as_deref(), Some("HTTP 302 Found"));
    assert_eq!(tries[0].url, url);
    assert_eq!(
        d.state,
        dojang_store::DeliveryState::Pending,
        "retried later"
    );
    assert!(d.next_attempt_at > tries[0].at);
    // The retry is redirected too, and still not followed.
    s.clock().advance(Duration::from_secs(2));
    s.state().webhooks.wake();
    attempts_of_newest(&s, &code, 2).await;
    assert_eq!(*redirects.lock().unwrap(), 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        reached.lock().unwrap().is_empty(),
        "the redirect's target got nothing: {:?}",
        reached.lock().unwrap()
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_is_cut_off_at_the_time_limit_and_retried() {
    // The documented limit (docs/security.md, examples/dojang.toml) is the default.
    assert_eq!(
        dojang_server::Config::default().webhooks.timeout_secs,
        10,
        "docs/security.md: each POST is limited to 10 seconds"
    );
    // Tested at one second: the same setting, shorter.
    let s = TestServer::start_with(|c| {
        c.insecure_allow_private_webhooks = true;
        c.webhooks.retry_base_ms = 1000;
        c.webhooks.timeout_secs = 1;
    })
    .await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    // A receiver that accepts the connection, reads, and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            keep.lock().unwrap().push(socket);
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    set_by_cli(&s, tmp.path(), &party, &url);

    let r = s
        .client(&party)
        .request(
            Kind::Identity,
            &CreateRequest::new(NAME, PHONE, BIRTH, "nonce", "본인확인", 300),
        )
        .await
        .unwrap();
    device
        .approve(&r.receipt_id, s.clock().now())
        .await
        .unwrap();
    let code: dojang_core::ClientCode = party.client_code.parse().unwrap();
    let (d, tries) = attempts_of_newest(&s, &code, 1).await;
    let t = &tries[0];
    assert_eq!(t.status, None);
    assert_eq!(t.error.as_deref(), Some("timed out"));
    assert!(
        (1000..4000).contains(&t.duration_ms),
        "cut off at the limit: {} ms",
        t.duration_ms
    );
    assert_eq!(
        d.state,
        dojang_store::DeliveryState::Pending,
        "retried later"
    );
    assert_eq!(d.last_error.as_deref(), Some("timed out"));
    assert_eq!(held.lock().unwrap().len(), 1, "one connection");
    // The operator's log says so.
    let config = config_file(tmp.path(), &s.data_dir(), true);
    let (ok, out) = webhook_cli(&config, &["log", "--client-code", &party.client_code]);
    assert!(ok, "{out}");
    assert!(out.contains("timed out"), "{out}");
    // Not before its time; then the retry is made, and cut off alike.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(held.lock().unwrap().len(), 1);
    s.clock().advance(Duration::from_secs(2));
    s.state().webhooks.wake();
    let (_, tries) = attempts_of_newest(&s, &code, 2).await;
    assert_eq!(tries[1].error.as_deref(), Some("timed out"));
    assert_eq!(held.lock().unwrap().len(), 2, "a second connection");
    s.stop().await;
}
