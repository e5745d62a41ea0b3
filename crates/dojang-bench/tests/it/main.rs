//! Smoke runs of the load generator (a few flows), so it cannot rot. They check that flows end
//! verified and that the figures are filled in; they assert no speed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail the test

mod cloud;
mod compare;
mod connections;

use std::sync::Arc;
use std::time::Duration;

use dojang_bench::fleet::{self, Board};
use dojang_bench::flows::{self, FlowConfig};
use dojang_bench::sms::SmsReceiver;
use dojang_bench::target::LocalServer;
use dojang_testkit::TestServer;

fn config(concurrency: usize, flows: u64) -> FlowConfig {
    FlowConfig {
        concurrency,
        flows,
        max_time: Duration::from_secs(60),
        warmup: 2,
        verify_sample: 1,
        step_timeout: Duration::from_secs(10),
        progress: false,
        rate: None,
    }
}

/// The in-process server sending SMS to a receiver here, one relying party, `n` enrolled and
/// connected devices.
async fn in_process_with_devices(
    n: usize,
) -> (
    TestServer,
    dojang_testkit::TestParty,
    Vec<dojang_app::Holder>,
    Arc<Board>,
) {
    let sms = SmsReceiver::start("127.0.0.1:0").await.unwrap();
    let url = sms.url().to_owned();
    let s = TestServer::start_with(move |c| {
        c.sms.gateway = dojang_testkit::dojang_server::config::SmsGatewayKind::Http;
        c.sms.url = url;
    })
    .await;
    let party = s.add_party("bench").await;
    let devices = fleet::enrol(&s.url(), &sms, 0, n, n, || {}).await.unwrap();
    let people = devices.iter().map(|d| d.holder.clone()).collect();
    let board = Arc::new(Board::default());
    fleet::listen(devices, board.clone(), n).await.unwrap();
    (s, party, people, board)
}

#[tokio::test(flavor = "multi_thread")]
async fn flows_against_the_in_process_server() {
    let (s, party, people, board) = in_process_with_devices(4).await;
    let ca = s.state().ca.certificate_der().to_vec();
    let r = flows::run(
        &s.url(),
        party.credentials(),
        people,
        board,
        None,
        Some(&ca),
        config(2, 20),
    )
    .await
    .unwrap();
    assert_eq!((r.flows_ok, r.flows_started), (20, 20), "{:?}", r.failures);
    assert!(r.failures.is_empty());
    assert_eq!(r.cms_checked_here, 20);
    assert_eq!(r.latency_ms.flow.count, 20);
    assert_eq!(
        r.latency_ms.push.count, 20,
        "every card carried its acceptance time"
    );
    assert!(r.latency_ms.flow.p50 > 0.0 && r.flows_per_second > 0.0);
    assert!(
        r.server_cpu_ms_per_flow.is_none(),
        "no pid, no server figures"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn flows_against_a_started_dojang_binary_with_server_figures() {
    let sms = SmsReceiver::start("127.0.0.1:0").await.unwrap();
    let server = LocalServer::start(&dojang_testkit::binary("dojang"), sms.url(), None, "")
        .await
        .unwrap();
    let devices = fleet::enrol(&server.url, &sms, 0, 3, 3, || {})
        .await
        .unwrap();
    let people: Vec<_> = devices.iter().map(|d| d.holder.clone()).collect();
    let board = Arc::new(Board::default());
    fleet::listen(devices, board.clone(), 3).await.unwrap();
    let r = flows::run(
        &server.url,
        server.credentials.clone(),
        people,
        board,
        Some(server.pid),
        None,
        config(3, 30),
    )
    .await
    .unwrap();
    assert_eq!(r.flows_ok, 30, "{:?}", r.failures);
    assert!(r.server_cpu_ms_per_flow.is_some());
    let mem = r.server_memory.unwrap();
    assert!(mem.rss_kib > 0 && mem.peak_rss_kib >= mem.rss_kib);
    assert!(r.text().contains("flows verified"));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn too_few_devices_for_the_concurrency_is_an_error() {
    let board = Arc::new(Board::default());
    let people = vec![fleet::person(0)];
    let e = flows::run(
        "http://127.0.0.1:9",
        dojang_client::Credentials::new("000000000001", "RP_X", "c2VjcmV0"),
        people,
        board,
        None,
        None,
        config(2, 1),
    )
    .await
    .unwrap_err();
    assert!(e.0.contains("at least one person per worker"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paced_run_starts_flows_at_the_asked_rate() {
    let (s, party, people, board) = in_process_with_devices(4).await;
    let cfg = FlowConfig {
        rate: Some(40.0),
        warmup: 0,
        ..config(4, 20)
    };
    let r = flows::run(
        &s.url(),
        party.credentials(),
        people,
        board,
        None,
        None,
        cfg,
    )
    .await
    .unwrap();
    assert_eq!(r.flows_ok, 20, "{:?}", r.failures);
    // 20 starts at 40/s take at least 19 intervals of 25 ms.
    assert!(r.wall_seconds >= 0.45, "{} s", r.wall_seconds);
    assert!(r.flows_per_second <= 45.0, "{}", r.flows_per_second);
}

/// Web-app-style devices (the phone app's protocol): the push WebSocket authenticated by the
/// subprotocol credential alone, and the PIN proof exchanged for the unlock secret before
/// every approval. A device whose proof is wrong fails its flow at the unlock, so the run
/// really sends it.
#[tokio::test(flavor = "multi_thread")]
async fn web_app_flows_unlock_with_the_pin_proof_at_every_approval() {
    let sms = SmsReceiver::start("127.0.0.1:0").await.unwrap();
    let url = sms.url().to_owned();
    let s = TestServer::start_with(move |c| {
        c.sms.gateway = dojang_testkit::dojang_server::config::SmsGatewayKind::Http;
        c.sms.url = url;
    })
    .await;
    let party = s.add_party("bench").await;
    let mut devices = fleet::enrol_styled(&s.url(), &sms, 0, 3, 3, fleet::Style::WebApp, || {})
        .await
        .unwrap();
    assert!(devices.iter().all(|d| d.proof.is_some()));
    // The fourth person's device has a wrong proof.
    let mut wrong = fleet::enrol_styled(&s.url(), &sms, 3, 1, 1, fleet::Style::WebApp, || {})
        .await
        .unwrap();
    wrong[0].proof = Some([7u8; 32]);
    let wrong_person = vec![wrong[0].holder.clone()];
    devices.append(&mut wrong);
    let people: Vec<_> = devices.iter().take(3).map(|d| d.holder.clone()).collect();
    let board = Arc::new(Board::default());
    fleet::listen(devices, board.clone(), 4).await.unwrap();
    let ca = s.state().ca.certificate_der().to_vec();
    let r = flows::run_answered(
        &s.url(),
        party.credentials(),
        people,
        flows::Answerer::WebApp(board.clone()),
        None,
        Some(&ca),
        config(3, 15),
    )
    .await
    .unwrap();
    assert_eq!(r.flow, "web-app");
    assert_eq!((r.flows_ok, r.flows_started), (15, 15), "{:?}", r.failures);
    assert_eq!(r.cms_checked_here, 15);
    let r = flows::run_answered(
        &s.url(),
        party.credentials(),
        wrong_person,
        flows::Answerer::WebApp(board),
        None,
        None,
        FlowConfig {
            warmup: 0,
            ..config(1, 1)
        },
    )
    .await
    .unwrap();
    assert_eq!(r.flows_ok, 0);
    assert!(
        r.failures.keys().any(|f| f.contains("unlock")),
        "{:?}",
        r.failures
    );
}
