//! Smoke run of the connections mode: a few dozen idle WebSockets from two source addresses
//! against a started `dojang`, and pushes timed while they are all connected.

use std::time::Duration;

use dojang_bench::connections::{self, ConnectionsConfig};
use dojang_bench::fleet;
use dojang_bench::sms::SmsReceiver;
use dojang_bench::target::LocalServer;

#[tokio::test(flavor = "multi_thread")]
async fn holds_connections_and_times_pushes_against_a_started_dojang() {
    let sms = SmsReceiver::start("127.0.0.1:0").await.unwrap();
    let server = LocalServer::start(&dojang_testkit::binary("dojang"), sms.url(), None, "")
        .await
        .unwrap();
    let devices = fleet::enrol(&server.url, &sms, 0, 50, 16, || {})
        .await
        .unwrap();
    let cfg = ConnectionsConfig {
        sources: 2,
        push_samples: 10,
        settle: Duration::from_millis(200),
        ..ConnectionsConfig::default()
    };
    let r = connections::run(
        &server.url,
        server.credentials.clone(),
        devices,
        Some(server.pid),
        &cfg,
    )
    .await
    .unwrap();
    assert!(r.ok(), "{}", r.text());
    assert_eq!((r.requested, r.connected, r.sources), (50, 50, 2));
    assert_eq!(
        r.server_push_connections,
        (Some(0), Some(50)),
        "the server counts every connection"
    );
    let (before, after) = (r.server_before.unwrap(), r.server_after.unwrap());
    assert!(before.rss_kib > 0 && after.peak_rss_kib >= after.rss_kib);
    let per = r.kib_per_connection.unwrap();
    let expected = (after.rss_kib as f64 - before.rss_kib as f64) / 50.0;
    assert!((per - expected).abs() < 0.1, "{per} vs {expected}");
    let (fds_before, fds_after) = (r.server_fds.0.unwrap(), r.server_fds.1.unwrap());
    // Up to 16 keep-alive connections left from the enrolment (its concurrency) may close
    // between the two samples; the 50 WebSockets must show anyway.
    assert!(
        fds_after + 16 >= fds_before + 50,
        "one descriptor per connection: {fds_before} → {fds_after}"
    );
    assert_eq!((r.push_samples, r.pushes_received), (10, 10));
    assert_eq!(r.push_latency_ms.count, 10);
    assert!(r.push_latency_ms.max > 0.0 && r.push_latency_ms.p50 <= r.push_latency_ms.max);
    assert!(r.text().contains("KiB per connection"));
    // Closing them all is visible to the server too.
    let http = reqwest::Client::new();
    let mut count = None;
    for _ in 0..50 {
        let v: serde_json::Value = http
            .get(format!("{}/healthz", server.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        count = v["pushConnections"].as_u64();
        if count == Some(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count, Some(0), "connections closed at the end");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn source_addresses_outside_127_0_0_1_to_254_are_refused() {
    let cfg = ConnectionsConfig {
        sources: 0,
        ..ConnectionsConfig::default()
    };
    let e = connections::run(
        "http://127.0.0.1:9",
        dojang_client::Credentials::new("000000000001", "RP_X", "c2VjcmV0"),
        Vec::new(),
        None,
        &cfg,
    )
    .await
    .unwrap_err();
    assert!(e.0.contains("--sources"), "{e}");
}
