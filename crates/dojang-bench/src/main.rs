//! `dojang-bench`: load generator for dojang. Usually run as `cargo xtask bench …`, which
//! builds this and the server in release mode first.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dojang_bench::cloud::{self, CloudBrowsers};
use dojang_bench::compare::{self, CompareConfig, Dojang, Peer};
use dojang_bench::connections::{self, ConnectionsConfig};
use dojang_bench::fleet::{self, Board};
use dojang_bench::flows::{self, FlowConfig, FlowReport};
use dojang_bench::sms::SmsReceiver;
use dojang_bench::target::{LocalServer, default_server_bin};
use dojang_bench::{BenchError, Result};
use dojang_client::Credentials;

/// Load generator for dojang.
#[derive(Debug, Parser)]
#[command(name = "dojang-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Complete identity flows at one or more concurrencies.
    Flows(FlowsArgs),
    /// Hold many idle device WebSockets: the server's memory and files per connection, and
    /// push delivery while they are all connected.
    Connections(ConnectionsArgs),
    /// The peer benchmark (../shared/peers/oidc-ciba) and dojang's flows, alternately in one
    /// run, with the ratio.
    Compare(CompareArgs),
    /// Cloud-certificate flows (the browser's PIN and signature, the HSM's CMS signature) next
    /// to app flows, on one server started with SoftHSM2 (`[hsm]`).
    Cloud(CloudArgs),
    /// The phone app's protocol (`/app`: the push WebSocket's credential as a subprotocol, the
    /// PIN proof for the unlock secret at every approval) next to `dojang-app`'s, on one server.
    WebApp(WebAppArgs),
}

#[derive(Debug, Args)]
struct WebAppArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Concurrencies to run, one after the other on the same server (each: app, then web app).
    #[arg(long, short = 'c', value_delimiter = ',', default_values_t = vec![1, 16, 64])]
    concurrency: Vec<usize>,
    /// Flows per concurrency and kind.
    #[arg(long, short = 'n', default_value_t = 2000)]
    flows: u64,
    /// At most this many seconds per concurrency and kind.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Untimed warm-up flows before each run.
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// People of each kind [default: 2 × the largest concurrency, at least 16].
    #[arg(long)]
    people: Option<usize>,
    /// Also verify every k-th signature here against the CA (0 = never).
    #[arg(long, default_value_t = 50)]
    verify_sample: u64,
    /// A step slower than this fails its flow, seconds.
    #[arg(long, default_value_t = 10.0)]
    step_timeout: f64,
    /// Rounds: each round runs every concurrency with both kinds, alternately.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Write the results as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct CloudArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Concurrencies to run, one after the other on the same server (each: app, then cloud).
    #[arg(long, short = 'c', value_delimiter = ',', default_values_t = vec![1, 16])]
    concurrency: Vec<usize>,
    /// Flows per concurrency and kind.
    #[arg(long, short = 'n', default_value_t = 1000)]
    flows: u64,
    /// At most this many seconds per concurrency and kind.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Untimed warm-up flows before each run.
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// People of each kind [default: 2 × the largest concurrency, at least 16].
    #[arg(long)]
    people: Option<usize>,
    /// Also verify every k-th signature here against the CA (0 = never).
    #[arg(long, default_value_t = 50)]
    verify_sample: u64,
    /// A step slower than this fails its flow, seconds.
    #[arg(long, default_value_t = 10.0)]
    step_timeout: f64,
    /// Only the cloud flow (no app devices).
    #[arg(long)]
    cloud_only: bool,
    /// The PKCS#11 module the started server uses.
    #[arg(
        long,
        env = "DOJANG_TEST_HSM_MODULE",
        default_value = "/usr/lib/softhsm/libsofthsm2.so"
    )]
    hsm_module: String,
    /// The token's label (`eval "$(.ci/start-softhsm.sh)"` sets it; `cargo xtask bench cloud` does that).
    #[arg(long, env = "DOJANG_TEST_HSM_TOKEN")]
    hsm_token: Option<String>,
    /// The token's user PIN.
    #[arg(long, env = "DOJANG_TEST_HSM_PIN", hide_env_values = true)]
    hsm_pin: Option<String>,
    /// Write the results as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct TargetArgs {
    /// The `dojang` binary to start on a temporary database [default: next to this program].
    #[arg(long, value_name = "PATH")]
    server_bin: Option<PathBuf>,
    /// Start it on this database instead of a temporary SQLite (e.g. postgres://…).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Target a running server instead (configure its `[sms]` to post to --sms-listen).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// With --url: the relying party's client code.
    #[arg(long, env = "DOJANG_CLIENT_CODE", requires = "url")]
    client_code: Option<String>,
    /// With --url: LinkID.
    #[arg(long, env = "DOJANG_LINK_ID", requires = "url")]
    link_id: Option<String>,
    /// With --url: SecretKey.
    #[arg(long, env = "DOJANG_SECRET", hide_env_values = true, requires = "url")]
    secret: Option<String>,
    /// With --url: the server's pid, for CPU and memory figures.
    #[arg(long, requires = "url")]
    server_pid: Option<u32>,
    /// Where the SMS receiver listens (the server's HTTP SMS gateway posts codes here).
    #[arg(long, default_value = "127.0.0.1:0")]
    sms_listen: String,
}

#[derive(Debug, Args)]
struct FlowsArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Concurrencies to run, one after the other on the same server.
    #[arg(long, short = 'c', value_delimiter = ',', default_values_t = vec![1, 16, 64])]
    concurrency: Vec<usize>,
    /// Flows per concurrency.
    #[arg(long, short = 'n', default_value_t = 2000)]
    flows: u64,
    /// At most this many seconds per concurrency.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Untimed warm-up flows before each concurrency.
    #[arg(long, default_value_t = 500)]
    warmup: u64,
    /// People (each with an enrolled device) [default: 2 × the largest concurrency, at least 16].
    #[arg(long)]
    devices: Option<usize>,
    /// Also verify every k-th signature here against the CA (0 = never).
    #[arg(long, default_value_t = 100)]
    verify_sample: u64,
    /// A step slower than this fails its flow, seconds.
    #[arg(long, default_value_t = 10.0)]
    step_timeout: f64,
    /// Start flows at this many per second (open loop) instead of as fast as possible; the
    /// concurrency still bounds flows in flight. Use it to measure latency at a given load.
    #[arg(long)]
    rate: Option<f64>,
    /// Write the results as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct ConnectionsArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Connections (one enrolled device each).
    #[arg(long, short = 'k', default_value_t = 10_000)]
    count: usize,
    /// Source addresses 127.0.0.1 … 127.0.0.N [default: enough for at most 20,000 connections each].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=254))]
    sources: Option<u8>,
    /// Identity requests pushed (to distinct, randomly chosen people) while all are connected.
    #[arg(long, default_value_t = 200)]
    push_samples: usize,
    /// Pushes in flight at once.
    #[arg(long, default_value_t = 4)]
    push_parallel: usize,
    /// Enrolments in flight at once.
    #[arg(long, default_value_t = 64)]
    enrol_parallel: usize,
    /// Connection attempts in flight at once (keep it below the server's listen backlog, or
    /// dropped handshakes are retried after a second).
    #[arg(long, default_value_t = 64)]
    connect_parallel: usize,
    /// Write the results as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct CompareArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// The peer's directory (holding run.sh); only read [default: ../shared/peers/oidc-ciba beside the workspace].
    #[arg(long, value_name = "DIR")]
    peer_dir: Option<PathBuf>,
    /// Where the peer is copied, installed and run [default: target/peer-oidc-ciba in the workspace].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Concurrencies, each run by both sides in every round.
    #[arg(long, short = 'c', value_delimiter = ',', default_values_t = vec![1, 16, 64])]
    concurrency: Vec<usize>,
    /// Flows per run.
    #[arg(long, short = 'n', default_value_t = 2000)]
    flows: u64,
    /// Rounds; each starts both servers afresh and alternates which side goes first.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Untimed warm-up flows per side at the start of each round (C = 16).
    #[arg(long, default_value_t = 1000)]
    warmup: u64,
    /// At most this many seconds per run.
    #[arg(long, default_value_t = 60.0)]
    max_seconds: f64,
    /// Write the results as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

struct Prepared {
    url: String,
    credentials: Credentials,
    server_pid: Option<u32>,
    local: Option<LocalServer>,
    sms: SmsReceiver,
}

/// The relying party of a running server (`--url`).
fn credentials_of(t: &TargetArgs) -> Result<Credentials> {
    let need = |v: &Option<String>, n: &str| {
        v.clone()
            .ok_or_else(|| BenchError(format!("--url needs --{n}")))
    };
    Ok(Credentials::new(
        need(&t.client_code, "client-code")?,
        need(&t.link_id, "link-id")?,
        need(&t.secret, "secret")?,
    ))
}

/// The `dojang` binary to start.
fn server_bin_of(t: &TargetArgs) -> Result<PathBuf> {
    t.server_bin
        .clone()
        .or_else(default_server_bin)
        .ok_or_else(|| {
            BenchError("no dojang binary: pass --server-bin or run `cargo xtask bench`".into())
        })
}

async fn prepare(t: &TargetArgs) -> Result<Prepared> {
    prepare_with(t, "").await
}

/// [`prepare`], a started server getting `extra_config` in its TOML.
async fn prepare_with(t: &TargetArgs, extra_config: &str) -> Result<Prepared> {
    let sms = SmsReceiver::start(&t.sms_listen).await?;
    match &t.url {
        Some(url) => {
            let credentials = credentials_of(t)?;
            eprintln!(
                "SMS receiver at {} (set the server's [sms] gateway = \"http\", url = that)",
                sms.url()
            );
            Ok(Prepared {
                url: url.clone(),
                credentials,
                server_pid: t.server_pid,
                local: None,
                sms,
            })
        }
        None => {
            let bin = server_bin_of(t)?;
            let server =
                LocalServer::start(&bin, sms.url(), t.database_url.as_deref(), extra_config)
                    .await?;
            eprintln!(
                "started {} at {} (pid {})",
                bin.display(),
                server.url,
                server.pid
            );
            Ok(Prepared {
                url: server.url.clone(),
                credentials: server.credentials.clone(),
                server_pid: Some(server.pid),
                local: Some(server),
                sms,
            })
        }
    }
}

/// Write `value` as pretty JSON to `path` (`-`: stdout).
fn write_json(path: &str, value: &serde_json::Value) -> Result<()> {
    let json = serde_json::to_string_pretty(value).map_err(|e| BenchError(e.to_string()))?;
    if path == "-" {
        println!("{json}");
    } else {
        std::fs::write(path, json)?;
    }
    Ok(())
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Human output goes to stdout, or to stderr when stdout carries the JSON.
fn say(json: Option<&String>, text: &str) {
    if json.is_some_and(|j| j == "-") {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
}

async fn connections_cmd(a: ConnectionsArgs) -> Result<bool> {
    let p = prepare(&a.target).await?;
    let bar = (!a.quiet).then(|| {
        let b = indicatif::ProgressBar::new(a.count as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} enrolling [{elapsed_precise}] {wide_bar} {pos}/{len} devices ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let counter = bar.clone();
    let started = std::time::Instant::now();
    let enrolled = fleet::enrol(&p.url, &p.sms, 0, a.count, a.enrol_parallel, move || {
        if let Some(b) = &counter {
            b.inc(1);
        }
    })
    .await?;
    let enrol_seconds = started.elapsed().as_secs_f64();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    eprintln!(
        "{} devices enrolled in {enrol_seconds:.1} s ({:.0}/s)",
        enrolled.len(),
        enrolled.len() as f64 / enrol_seconds.max(1e-9)
    );
    let cfg = ConnectionsConfig {
        sources: a
            .sources
            .map_or_else(|| connections::default_sources(a.count), usize::from),
        connect_parallel: a.connect_parallel,
        push_samples: a.push_samples,
        push_parallel: a.push_parallel,
        progress: !a.quiet,
        ..ConnectionsConfig::default()
    };
    let r = connections::run(&p.url, p.credentials.clone(), enrolled, p.server_pid, &cfg).await?;
    say(a.json.as_ref(), &r.text());
    if let Some(path) = &a.json {
        write_json(
            path,
            &serde_json::json!({
                "date": now_rfc3339(),
                "cpus": dojang_bench::procstat::cpus(),
                "enrol_seconds": (enrol_seconds * 100.0).round() / 100.0,
                "report": r,
            }),
        )?;
    }
    if let Some(server) = p.local {
        server.stop().await?;
    }
    Ok(r.ok())
}

async fn compare_cmd(a: CompareArgs) -> Result<bool> {
    let root = compare::workspace_root();
    let peer_dir = a
        .peer_dir
        .clone()
        .unwrap_or_else(|| root.join("../shared/peers/oidc-ciba"));
    let work_dir = a
        .work_dir
        .clone()
        .unwrap_or_else(|| root.join("target/peer-oidc-ciba"));
    let peer = Peer::prepare(&peer_dir, &work_dir).await?;
    eprintln!(
        "peer: {} with Node.js {} ({})",
        peer.dir.display(),
        peer.node_version,
        peer.node.display()
    );
    let sms = SmsReceiver::start(&a.target.sms_listen).await?;
    let target = match &a.target.url {
        Some(url) => Dojang::Running {
            url: url.clone(),
            credentials: credentials_of(&a.target)?,
            server_pid: a.target.server_pid,
        },
        None => Dojang::Start {
            server_bin: server_bin_of(&a.target)?,
            database_url: a.target.database_url.clone(),
        },
    };
    let cfg = CompareConfig {
        concurrency: a.concurrency.clone(),
        flows: a.flows,
        rounds: a.rounds,
        warmup: a.warmup,
        max_seconds: a.max_seconds,
        progress: !a.quiet,
    };
    let c = compare::run(&peer, &target, &sms, &cfg).await?;
    say(a.json.as_ref(), &compare::markdown(&c.rows));
    if let Some(path) = &a.json {
        write_json(
            path,
            &serde_json::json!({
                "date": now_rfc3339(),
                "cpus": dojang_bench::procstat::cpus(),
                "params": {
                    "concurrency": a.concurrency,
                    "flows": a.flows,
                    "rounds": a.rounds,
                    "warmup": a.warmup,
                    "max_seconds": a.max_seconds,
                },
                "comparison": c,
            }),
        )?;
    }
    Ok(c.ok())
}

async fn flows_cmd(a: FlowsArgs) -> Result<bool> {
    let p = prepare(&a.target).await?;
    let max_c = a.concurrency.iter().copied().max().unwrap_or(1);
    let devices = a.devices.unwrap_or((2 * max_c).max(16));
    let bar = (!a.quiet).then(|| {
        let b = indicatif::ProgressBar::new(devices as u64);
        b.set_message("enrolling devices");
        b
    });
    let counter = bar.clone();
    let enrolled = fleet::enrol(&p.url, &p.sms, 0, devices, 16, move || {
        if let Some(b) = &counter {
            b.inc(1);
        }
    })
    .await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let people: Vec<_> = enrolled.iter().map(|d| d.holder.clone()).collect();
    let board = Arc::new(Board::default());
    fleet::listen(enrolled, board.clone(), 64).await?;
    let ca = reqwest::get(format!("{}{}", p.url, dojang_proto::paths::PKI_CA_DER))
        .await
        .map_err(|e| BenchError(e.to_string()))?
        .bytes()
        .await
        .map_err(|e| BenchError(e.to_string()))?;
    eprintln!("{devices} devices enrolled and connected");

    let mut reports: Vec<FlowReport> = Vec::new();
    for &c in &a.concurrency {
        let cfg = FlowConfig {
            concurrency: c,
            flows: a.flows,
            max_time: Duration::from_secs_f64(a.seconds),
            warmup: a.warmup,
            verify_sample: a.verify_sample,
            step_timeout: Duration::from_secs_f64(a.step_timeout),
            progress: !a.quiet,
            rate: a.rate,
        };
        let r = flows::run(
            &p.url,
            p.credentials.clone(),
            people.clone(),
            board.clone(),
            p.server_pid,
            Some(&ca),
            cfg,
        )
        .await?;
        print!("{}", r.text());
        reports.push(r);
    }
    if let Some(path) = &a.json {
        write_json(
            path,
            &serde_json::json!({
                "date": now_rfc3339(),
                "cpus": dojang_bench::procstat::cpus(),
                "runs": reports,
            }),
        )?;
    }
    if let Some(server) = p.local {
        server.stop().await?;
    }
    Ok(reports
        .iter()
        .all(|r| r.failures.is_empty() && r.flows_ok > 0))
}

async fn cloud_cmd(a: CloudArgs) -> Result<bool> {
    // The started server's `[hsm]`: the token's PIN in a file only this run can read.
    let pin_dir = tempfile::tempdir()?;
    let extra = match (&a.target.url, &a.hsm_token, &a.hsm_pin) {
        (Some(_), _, _) => String::new(),
        (None, Some(token), Some(pin)) => {
            let pin_file = pin_dir.path().join("hsm-pin");
            std::fs::write(&pin_file, pin)?;
            dojang_bench::target::hsm_config(&a.hsm_module, token, &pin_file)
        }
        _ => {
            return Err(BenchError(
                "the cloud flow needs an HSM: set DOJANG_TEST_HSM_TOKEN and DOJANG_TEST_HSM_PIN \
                 (eval \"$(.ci/start-softhsm.sh)\"), or pass --hsm-token and --hsm-pin"
                    .into(),
            ));
        }
    };
    let p = prepare_with(&a.target, &extra).await?;
    let max_c = a.concurrency.iter().copied().max().unwrap_or(1);
    let n = a.people.unwrap_or((2 * max_c).max(16));
    let timeout = Duration::from_secs_f64(a.step_timeout);
    let app = if a.cloud_only {
        None
    } else {
        let enrolled = fleet::enrol(&p.url, &p.sms, 0, n, 16, || {}).await?;
        let people: Vec<_> = enrolled.iter().map(|d| d.holder.clone()).collect();
        let board = Arc::new(Board::default());
        fleet::listen(enrolled, board.clone(), 64).await?;
        Some((people, flows::Answerer::App(board)))
    };
    let started = std::time::Instant::now();
    let holders = cloud::issue(&p.url, &p.sms, cloud::FIRST_PERSON, n, 8, || {}).await?;
    let issue_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{n} cloud certificates issued in {issue_seconds:.1} s (SMS proof, PIN, browser key, HSM key)"
    );
    let browsers = Arc::new(CloudBrowsers::new(&p.url, holders, timeout)?);
    let mut kinds = Vec::new();
    kinds.extend(app);
    kinds.push((browsers.people(), flows::Answerer::Cloud(browsers.clone())));
    let shape = Shape {
        concurrency: &a.concurrency,
        rounds: 1,
        flows: a.flows,
        seconds: a.seconds,
        warmup: a.warmup,
        verify_sample: a.verify_sample,
        step_timeout: timeout,
        quiet: a.quiet,
    };
    let mut extra = serde_json::Map::new();
    extra.insert(
        "cloud_issue_seconds".into(),
        serde_json::json!((issue_seconds * 100.0).round() / 100.0),
    );
    run_kinds(p, &kinds, &shape, a.json.as_ref(), extra).await
}

/// How [`run_kinds`] runs: each round runs every concurrency, each kind in turn.
struct Shape<'a> {
    concurrency: &'a [usize],
    rounds: usize,
    flows: u64,
    seconds: f64,
    warmup: u64,
    verify_sample: u64,
    step_timeout: Duration,
    quiet: bool,
}

/// Run each kind of answerer at each concurrency, alternately, on one prepared server; print the
/// reports and their table, write them as JSON (with `extra`), stop a started server. Whether
/// every run completed flows without a failure.
async fn run_kinds(
    p: Prepared,
    kinds: &[(Vec<dojang_app::Holder>, flows::Answerer)],
    shape: &Shape<'_>,
    json: Option<&String>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<bool> {
    let ca = reqwest::get(format!("{}{}", p.url, dojang_proto::paths::PKI_CA_DER))
        .await
        .map_err(|e| BenchError(e.to_string()))?
        .bytes()
        .await
        .map_err(|e| BenchError(e.to_string()))?;
    let mut reports: Vec<FlowReport> = Vec::new();
    for _ in 0..shape.rounds.max(1) {
        for &c in shape.concurrency {
            let cfg = FlowConfig {
                concurrency: c,
                flows: shape.flows,
                max_time: Duration::from_secs_f64(shape.seconds),
                warmup: shape.warmup,
                verify_sample: shape.verify_sample,
                step_timeout: shape.step_timeout,
                progress: !shape.quiet,
                rate: None,
            };
            for (people, answerer) in kinds {
                let r = flows::run_answered(
                    &p.url,
                    p.credentials.clone(),
                    people.clone(),
                    answerer.clone(),
                    p.server_pid,
                    Some(&ca),
                    cfg.clone(),
                )
                .await?;
                say(json, &r.text());
                reports.push(r);
            }
        }
    }
    say(json, &flows::markdown(&reports));
    if let Some(path) = json {
        let mut doc = serde_json::Map::new();
        doc.insert("date".into(), serde_json::json!(now_rfc3339()));
        doc.insert(
            "cpus".into(),
            serde_json::json!(dojang_bench::procstat::cpus()),
        );
        doc.extend(extra);
        doc.insert("runs".into(), serde_json::json!(reports));
        write_json(path, &serde_json::Value::Object(doc))?;
    }
    if let Some(server) = p.local {
        server.stop().await?;
    }
    Ok(reports
        .iter()
        .all(|r| r.failures.is_empty() && r.flows_ok > 0))
}

async fn web_app_cmd(a: WebAppArgs) -> Result<bool> {
    let p = prepare(&a.target).await?;
    let max_c = a.concurrency.iter().copied().max().unwrap_or(1);
    let n = a.people.unwrap_or((2 * max_c).max(16));
    let timeout = Duration::from_secs_f64(a.step_timeout);
    let mut kinds = Vec::new();
    for (first, style) in [(0, fleet::Style::App), (n, fleet::Style::WebApp)] {
        // A web-app device's PIN proof is an Argon2id derivation (64 MiB): few at a time.
        let parallel = if style == fleet::Style::App { 16 } else { 4 };
        let enrolled =
            fleet::enrol_styled(&p.url, &p.sms, first, n, parallel, style, || {}).await?;
        let people: Vec<_> = enrolled.iter().map(|d| d.holder.clone()).collect();
        let board = Arc::new(Board::default());
        fleet::listen(enrolled, board.clone(), 64).await?;
        kinds.push((
            people,
            match style {
                fleet::Style::App => flows::Answerer::App(board),
                fleet::Style::WebApp => flows::Answerer::WebApp(board),
            },
        ));
    }
    eprintln!("{n} app devices and {n} web-app devices enrolled and listening");
    let shape = Shape {
        concurrency: &a.concurrency,
        rounds: a.rounds,
        flows: a.flows,
        seconds: a.seconds,
        warmup: a.warmup,
        verify_sample: a.verify_sample,
        step_timeout: timeout,
        quiet: a.quiet,
    };
    run_kinds(p, &kinds, &shape, a.json.as_ref(), serde_json::Map::new()).await
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every held connection is a file descriptor: allow as many as the hard limit permits.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("dojang-bench: cannot raise the open-files limit: {e}");
    }
    let result = match cli.command {
        Command::Flows(a) => flows_cmd(a).await,
        Command::Connections(a) => connections_cmd(a).await,
        Command::Compare(a) => compare_cmd(a).await,
        Command::Cloud(a) => cloud_cmd(a).await,
        Command::WebApp(a) => web_app_cmd(a).await,
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("dojang-bench: some flows, connections or pushes failed (see above)");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("dojang-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
