//! Smoke run of the cloud flow against a started `dojang` with SoftHSM2 (`[hsm]`): cloud
//! certificates issued for real by SMS, requests answered from the registered "browsers" with the
//! PIN, the HSM's CMS verified here against the CA. Skipped (said so) without the test token
//! (`eval "$(.ci/start-softhsm.sh)"`).

use std::sync::Arc;
use std::time::Duration;

use dojang_bench::cloud::{self, CloudBrowsers};
use dojang_bench::flows::{self, Answerer, FlowConfig};
use dojang_bench::sms::SmsReceiver;
use dojang_bench::target::{LocalServer, hsm_config};
use p256::elliptic_curve::Generate as _;

fn hsm() -> Option<(String, String, String)> {
    let token = std::env::var("DOJANG_TEST_HSM_TOKEN").ok()?;
    let pin = std::env::var("DOJANG_TEST_HSM_PIN").ok()?;
    let module = std::env::var("DOJANG_TEST_HSM_MODULE")
        .unwrap_or_else(|_| "/usr/lib/softhsm/libsofthsm2.so".into());
    Some((module, token, pin))
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_flows_against_a_started_dojang_with_softhsm() {
    let Some((module, token, pin)) = hsm() else {
        eprintln!("skipped: no DOJANG_TEST_HSM_TOKEN / DOJANG_TEST_HSM_PIN (.ci/start-softhsm.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, pin).unwrap();
    let sms = SmsReceiver::start("127.0.0.1:0").await.unwrap();
    let server = LocalServer::start(
        &dojang_testkit::binary("dojang"),
        sms.url(),
        None,
        &hsm_config(&module, &token, &pin_file),
    )
    .await
    .unwrap();
    let holders = cloud::issue(&server.url, &sms, cloud::FIRST_PERSON, 3, 3, || {})
        .await
        .unwrap();
    assert_eq!(holders.len(), 3);
    assert!(holders.iter().all(|h| !h.browser_id.is_empty()));
    let browsers = Arc::new(
        CloudBrowsers::new(&server.url, holders.clone(), Duration::from_secs(10)).unwrap(),
    );
    let people = browsers.people();
    let ca = reqwest::get(format!("{}{}", server.url, dojang_proto::paths::PKI_CA_DER))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let cfg = FlowConfig {
        concurrency: 3,
        flows: 15,
        max_time: Duration::from_secs(60),
        warmup: 1,
        verify_sample: 1,
        step_timeout: Duration::from_secs(10),
        progress: false,
        rate: None,
    };
    let r = flows::run_answered(
        &server.url,
        server.credentials.clone(),
        people.clone(),
        Answerer::Cloud(browsers),
        Some(server.pid),
        Some(&ca),
        cfg.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.flow, r.flows_ok, r.flows_started),
        ("cloud", 15, 15),
        "{:?}",
        r.failures
    );
    assert_eq!(
        r.cms_checked_here, 15,
        "every HSM signature verified against the CA here"
    );
    assert_eq!(r.latency_ms.push.count, 0, "no push in the cloud flow");
    assert_eq!(r.latency_ms.approve.count, 15);
    assert!(r.server_cpu_ms_per_flow.is_some_and(|c| c > 0.0));
    let md = flows::markdown(&[r]);
    assert!(
        md.lines().nth(2).unwrap().starts_with("| cloud | 3 | "),
        "{md}"
    );

    // A browser whose key is not the registered one gets no signature: every flow fails, at the
    // browser's step, and is reported as such.
    let mut impostors = holders;
    for h in &mut impostors {
        h.key = p256::ecdsa::SigningKey::generate_from_rng(&mut rand::rng());
    }
    let browsers =
        Arc::new(CloudBrowsers::new(&server.url, impostors, Duration::from_secs(10)).unwrap());
    let bad = flows::run_answered(
        &server.url,
        server.credentials.clone(),
        people,
        Answerer::Cloud(browsers),
        None,
        None,
        FlowConfig {
            warmup: 0,
            flows: 3,
            ..cfg
        },
    )
    .await
    .unwrap();
    assert_eq!(bad.flows_ok, 0);
    assert_eq!(bad.failures.values().sum::<u64>(), 3);
    assert!(
        bad.failures.keys().all(|k| k.starts_with("approve: ")),
        "{:?}",
        bad.failures
    );
    server.stop().await.unwrap();
}
