//! The comparison's pieces that need neither npm nor a server: reading load.mjs's JSON, the
//! median/ratio table, and how the peer's files are copied.

use dojang_bench::compare::{self, Pair, Peer, PeerRun, Sample};

/// A run as load.mjs writes it with --json (shape of its `buildResult`), shortened.
const LOAD_JSON: &str = r#"{
  "label": "r1",
  "target": "http://127.0.0.1:4100",
  "date": "2026-11-22T02:15:10.000Z",
  "node": "v22.23.3",
  "params": {"flows": 300, "concurrency": 16, "max_seconds": 60, "pending_polls": 1,
             "max_polls": 20, "poll_interval_ms": 0, "users": 1000, "verify_id_token": true,
             "preconnect": true},
  "flows_started": 300,
  "flows_ok": 298,
  "flows_failed": 2,
  "flows_abandoned": 0,
  "requests": 1198,
  "pending_after_approval": 0,
  "wall_seconds": 0.95,
  "flows_per_second": 313.7,
  "requests_per_second": 1261.1,
  "latency_ms": {
    "backchannel": {"count": 300, "mean": 8.1, "p50": 7.9, "p95": 20.1, "p99": 29.4, "max": 40.2},
    "pending_poll": {"count": 300, "mean": 6.5, "p50": 6.1, "p95": 17.2, "p99": 25.0, "max": 31.0},
    "approve": {"count": 299, "mean": 9.9, "p50": 9.5, "p95": 20.0, "p99": 30.3, "max": 33.3},
    "token": {"count": 298, "mean": 16.0, "p50": 15.2, "p95": 31.9, "p99": 52.0, "max": 60.1},
    "flow": {"count": 298, "mean": 45.0, "p50": 44.1, "p95": 82.0, "p99": 112.5, "max": 130.9}
  },
  "failures": {"token: HTTP 400 invalid_grant": 2},
  "server": {"cpu_ms": 1030, "cpu_ms_per_ok_flow": 3.456, "cpu_utilisation": 1.08,
             "rss_bytes_after": 167772160},
  "userinfo_check": {"checked": 20, "ok": 20, "failures": {}},
  "client_cpu_ms_per_ok_flow": 1.7,
  "machine": {"cpus": 2, "loadavg_1m_at_end": 1.9, "busy_cores": 1.7, "client_cores": 0.55,
              "server_cores": 1.08, "other_cores": 0.07}
}"#;

#[test]
fn reads_a_load_mjs_result() {
    let r = PeerRun::parse(LOAD_JSON).unwrap();
    assert_eq!(r.node.as_deref(), Some("v22.23.3"));
    assert_eq!((r.flows_started, r.flows_ok, r.flows_failed), (300, 298, 2));
    assert_eq!(r.flows_per_second, 313.7);
    assert_eq!(r.latency_ms.flow.p99, Some(112.5));
    assert_eq!(r.latency_ms.backchannel.count, 300);
    assert_eq!(r.failures["token: HTTP 400 invalid_grant"], 2);
    let server = r.server.as_ref().unwrap();
    assert_eq!(
        (server.cpu_ms, server.cpu_ms_per_ok_flow),
        (1030.0, Some(3.456))
    );
    assert_eq!(r.client_cpu_ms_per_ok_flow, Some(1.7));
    assert_eq!(r.machine.as_ref().unwrap().other_cores, 0.07);
    assert!(r.aborted.is_none());
    let s = Sample::of_peer(&r);
    assert_eq!(
        (
            s.flows_per_second,
            s.server_cpu_ms_per_flow,
            s.flow_p99_ms,
            s.flows_ok,
            s.failed
        ),
        (313.7, Some(3.456), Some(112.5), 298, 2)
    );
}

#[test]
fn reads_a_run_without_server_stats_or_samples() {
    // No --stats-path (no `server`), every flow failed (null percentiles), hard stop.
    let json = r#"{
      "flows_started": 5, "flows_ok": 0, "flows_failed": 3, "flows_abandoned": 2,
      "requests": 5, "wall_seconds": 75.0, "flows_per_second": 0, "requests_per_second": 0.1,
      "latency_ms": {
        "backchannel": {"count": 5, "mean": 1, "p50": 1, "p95": 1, "p99": 1, "max": 1},
        "pending_poll": {"count": 0, "mean": null, "p50": null, "p95": null, "p99": null, "max": null},
        "approve": {"count": 0, "mean": null, "p50": null, "p95": null, "p99": null, "max": null},
        "token": {"count": 0, "mean": null, "p50": null, "p95": null, "p99": null, "max": null},
        "flow": {"count": 0, "mean": null, "p50": null, "p95": null, "p99": null, "max": null}
      },
      "failures": {"network: ECONNRESET": 3},
      "client_cpu_ms_per_ok_flow": null,
      "aborted": "hard stop at 75s"
    }"#;
    let r = PeerRun::parse(json).unwrap();
    assert!(r.server.is_none() && r.machine.is_none());
    assert_eq!(r.latency_ms.flow.p99, None);
    assert_eq!(r.aborted.as_deref(), Some("hard stop at 75s"));
    let s = Sample::of_peer(&r);
    assert_eq!(
        (s.failed, s.server_cpu_ms_per_flow, s.flow_p99_ms),
        (5, None, None)
    );
    assert!(
        PeerRun::parse("{\"flows_ok\": 1}").is_err(),
        "not a load.mjs result"
    );
}

fn sample(fps: f64, cpu: Option<f64>, p99: f64, failed: u64) -> Sample {
    Sample {
        flows_per_second: fps,
        server_cpu_ms_per_flow: cpu,
        flow_p99_ms: Some(p99),
        flows_ok: 100,
        failed,
    }
}

#[test]
fn medians_over_rounds_and_the_ratio() {
    let pair = |round, concurrency, dojang, peer| Pair {
        round,
        concurrency,
        dojang,
        peer,
    };
    let pairs = [
        pair(
            1,
            1,
            sample(900.0, Some(0.5), 2.0, 0),
            sample(160.0, Some(4.5), 15.0, 0),
        ),
        pair(
            1,
            16,
            sample(3000.0, Some(0.4), 9.0, 0),
            sample(330.0, Some(3.4), 110.0, 0),
        ),
        pair(
            2,
            16,
            sample(3300.0, None, 8.0, 1),
            sample(270.0, Some(3.6), 120.0, 0),
        ),
        pair(
            2,
            1,
            sample(1000.0, Some(0.7), 3.0, 0),
            sample(140.0, Some(4.7), 16.0, 0),
        ),
        pair(
            3,
            1,
            sample(800.0, Some(0.6), 2.5, 0),
            sample(170.0, Some(4.4), 14.0, 2),
        ),
        pair(
            3,
            16,
            sample(3240.0, Some(0.6), 10.0, 0),
            sample(324.0, Some(3.5), 100.0, 0),
        ),
    ];
    let rows = compare::table(&pairs);
    assert_eq!(rows.len(), 2);
    let (c1, c16) = (&rows[0], &rows[1]);
    assert_eq!((c1.concurrency, c1.rounds), (1, 3), "first-seen order");
    assert_eq!(c1.dojang.flows_per_second, 900.0);
    assert_eq!(c1.dojang.per_round, [900.0, 1000.0, 800.0], "round order");
    assert_eq!(c1.peer.flows_per_second, 160.0);
    assert_eq!(c1.ratio, Some(5.63)); // 900 / 160 = 5.625
    assert_eq!(c1.dojang.server_cpu_ms_per_flow, Some(0.6));
    assert_eq!(c1.peer.flow_p99_ms, Some(15.0));
    assert_eq!((c1.dojang.failed, c1.peer.failed), (0, 2));
    assert_eq!(c1.dojang.flows_ok, 300);

    assert_eq!(c16.dojang.flows_per_second, 3240.0);
    assert_eq!(c16.peer.flows_per_second, 324.0);
    assert_eq!(c16.ratio, Some(10.0));
    // A round without a CPU figure is left out of that median: (0.4 + 0.6) / 2.
    assert_eq!(c16.dojang.server_cpu_ms_per_flow, Some(0.5));
    assert_eq!(c16.dojang.failed, 1);

    let md = compare::markdown(&rows);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines.len(), 4, "{md}");
    assert!(lines[0].starts_with("| C | rounds | dojang flows/s | peer flows/s | dojang ÷ peer"));
    assert_eq!(
        lines[2],
        "| 1 | 3 | **900** | **160** | **5.63×** | 900 / 1000 / 800 | 160 / 140 / 170 | 0.600 | 4.500 | 2.50 | 15.00 | 0 / 2 |"
    );
    assert!(
        lines[3].starts_with("| 16 | 3 | **3240** | **324** | **10.00×** |"),
        "{md}"
    );
}

#[test]
fn no_ratio_when_the_peer_managed_no_flow() {
    let rows = compare::table(&[Pair {
        round: 1,
        concurrency: 4,
        dojang: sample(100.0, None, 1.0, 0),
        peer: sample(0.0, None, 1.0, 10),
    }]);
    assert_eq!(rows[0].ratio, None);
    assert!(compare::markdown(&rows).contains("| **–** |"));
}

#[tokio::test]
async fn the_peer_is_copied_never_written_and_installed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("oidc-ciba");
    std::fs::create_dir_all(shared.join("node_modules/x")).unwrap();
    std::fs::create_dir_all(shared.join("results")).unwrap();
    for f in [
        "run.sh",
        "load.mjs",
        "server.mjs",
        "package.json",
        "package-lock.json",
    ] {
        let path = shared.join(f);
        std::fs::write(&path, format!("// {f}\n")).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).unwrap();
    }

    // Inside the shared directory: refused before anything is written.
    let inside = shared.join("work");
    let e = Peer::prepare(&shared, &inside).await.unwrap_err();
    assert!(e.0.contains("never written"), "{e}");
    // Not the peer's directory.
    let e = Peer::prepare(&tmp.path().join("results"), &tmp.path().join("w"))
        .await
        .unwrap_err();
    assert!(e.0.contains("not the oidc-ciba peer"), "{e}");

    // As after an earlier `npm ci` of this very lock file: no npm run now.
    let work = tmp.path().join("work");
    std::fs::create_dir_all(work.join("node_modules")).unwrap();
    std::fs::write(
        work.join(".dojang-bench-npm-ci.lock"),
        "// package-lock.json\n",
    )
    .unwrap();
    std::fs::write(work.join("load.mjs"), "stale").unwrap();
    let peer = Peer::prepare(&shared, &work).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(work.join("load.mjs")).unwrap(),
        "// load.mjs\n",
        "a changed file is replaced"
    );
    assert!(work.join("run.sh").is_file());
    assert!(!work.join("results").exists(), "directories are not copied");
    assert_eq!(
        peer.node,
        std::path::PathBuf::from("node"),
        "no pinned Node here"
    );
    let names: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.contains(&"work".to_owned()) && names.len() == 7,
        "{names:?}"
    );
}
