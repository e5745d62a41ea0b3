//! Complete identity flows at a fixed concurrency:
//!
//! 1. the relying party asks (`POST /v1/identity`, HMAC-signed);
//! 2. the server pushes the card to the person's device over its WebSocket;
//! 3. the device signs the token as a CMS SignedData and approves;
//! 4. the relying party reads the status (must be 1);
//! 5. the relying party verifies (once) and checks the token and the person.
//!
//! Every flow is checked; a flow counts only if all five steps succeeded.
//!
//! The cloud flow ([`Answerer::Cloud`]) differs in steps 2–3: no push; the person's registered
//! browser asks a challenge, reads the card, asks another and approves with the PIN and its
//! signature, and the server's HSM signs the CMS (`crate::cloud`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use dojang_app::Holder;
use dojang_client::{Client, Credentials, IdentityRequest};
use serde::Serialize;

use crate::cloud::CloudBrowsers;
use crate::fleet::Board;
use crate::procstat::{self, ProcSample};
use crate::stats::{Summary, summarize};
use crate::{BenchError, Result};

/// How to run.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    /// Flows in flight at once.
    pub concurrency: usize,
    /// Stop after this many flows…
    pub flows: u64,
    /// …or once this much time has passed (no flow starts later).
    pub max_time: Duration,
    /// Untimed flows first (connection pools, caches, the server's first allocations).
    pub warmup: u64,
    /// Also verify the CMS with the CA here for every k-th flow (0 = never).
    pub verify_sample: u64,
    /// A step that takes longer than this fails its flow.
    pub step_timeout: Duration,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Start flows at this rate (per second) instead of as fast as the workers can; the
    /// concurrency still bounds how many are in flight. Missed starts are skipped, not
    /// bunched, so the achieved rate may be lower (it is reported).
    pub rate: Option<f64>,
}

/// Who answers the requests of a run.
#[derive(Debug, Clone)]
pub enum Answerer {
    /// The people's app devices, pushed to over their WebSockets, reporting to the board.
    App(Arc<Board>),
    /// The people's phone apps at `/app` (web-app-style devices, `fleet::Style::WebApp`):
    /// the push WebSocket's credential as a subprotocol, and the PIN proof for the unlock
    /// secret before every approval. They report to the board like the app devices.
    WebApp(Arc<Board>),
    /// The people's cloud certificates, answered from their registered browsers.
    Cloud(Arc<CloudBrowsers>),
}

impl Answerer {
    /// HTTP calls per flow: create, approve, status, verify; the web app adds its unlock; the
    /// cloud browser makes four calls instead of the app's one (challenge, view, challenge,
    /// approve).
    fn http_calls(&self) -> f64 {
        match self {
            Self::App(_) => 4.0,
            Self::WebApp(_) => 5.0,
            Self::Cloud(_) => 7.0,
        }
    }

    /// `app`, `web-app` or `cloud`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::App(_) => "app",
            Self::WebApp(_) => "web-app",
            Self::Cloud(_) => "cloud",
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct FlowReport {
    /// `app`, `web-app` or `cloud`. who answered.
    pub flow: &'static str,
    /// Concurrency.
    pub concurrency: usize,
    /// Distinct people (devices).
    pub devices: usize,
    /// Flows started in the measured window.
    pub flows_started: u64,
    /// Flows that ended verified.
    pub flows_ok: u64,
    /// Flows that failed, by reason.
    pub failures: BTreeMap<String, u64>,
    /// Length of the measured window, seconds.
    pub wall_seconds: f64,
    /// Verified flows per second.
    pub flows_per_second: f64,
    /// HTTP requests per second (create, approve, status, verify).
    pub requests_per_second: f64,
    /// Latencies, milliseconds.
    pub latency_ms: Latencies,
    /// Server CPU (user + system) per verified flow, ms; when its pid is known.
    pub server_cpu_ms_per_flow: Option<f64>,
    /// Server CPU over the window, in cores.
    pub server_cores: Option<f64>,
    /// This generator's CPU per verified flow, ms.
    pub client_cpu_ms_per_flow: f64,
    /// Busy cores of the whole machine not accounted for by server and generator.
    pub other_cores: Option<f64>,
    /// Server memory at the end.
    pub server_memory: Option<ProcSample>,
    /// Signatures also verified here against the CA.
    pub cms_checked_here: u64,
}

/// Latency series of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latencies {
    /// `POST /v1/identity`.
    pub create: Summary,
    /// Server acceptance → device holds the card (app flow only).
    pub push: Summary,
    /// App: device signs + approve call. Cloud: the browser's challenge, view, challenge and
    /// approve calls, the HSM's signature included.
    pub approve: Summary,
    /// `GET /v1/identity/{id}`.
    pub status: Summary,
    /// `POST /v1/identity/{id}/verify`.
    pub verify: Summary,
    /// The whole flow, create start → verify end.
    pub flow: Summary,
}

#[derive(Default)]
struct Samples {
    create: Vec<Duration>,
    push: Vec<Duration>,
    approve: Vec<Duration>,
    status: Vec<Duration>,
    verify: Vec<Duration>,
    flow: Vec<Duration>,
    failures: BTreeMap<String, u64>,
    ok: u64,
    cms_checked: u64,
}

/// Everything the workers share.
struct Shared {
    pacer: Option<tokio::sync::Mutex<tokio::time::Interval>>,
    client: Client,
    people: Vec<Holder>,
    answerer: Answerer,
    verifier: Option<dojang_pki::Verifier>,
    next: AtomicU64,
    /// Random per run: tokens stay unique across runs against one server, so no two create
    /// calls are the same signed bytes (the server refuses a replayed call, issue 14 #9).
    run_id: u64,
    cfg: FlowConfig,
}

async fn step<T>(
    timeout: Duration,
    what: &'static str,
    f: impl std::future::Future<Output = std::result::Result<T, dojang_client::Error>>,
) -> std::result::Result<T, String> {
    match tokio::time::timeout(timeout, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!(
            "{what}: {}",
            e.error_code()
                .map_or_else(|| e.to_string(), |c| c.name().to_owned())
        )),
        Err(_) => Err(format!("{what}: timeout")),
    }
}

/// One flow for `person`; `flow_no` makes the token unique.
async fn one_flow(
    sh: &Shared,
    person: &Holder,
    flow_no: u64,
    s: &mut Samples,
) -> std::result::Result<(), String> {
    let to = sh.cfg.step_timeout;
    let token = format!("bench-{:016x}-{flow_no}", sh.run_id);
    let request = IdentityRequest::new(
        &person.name,
        &person.phone,
        &person.birthday,
        &token,
        "부하 시험",
        300,
    );
    let t0 = Instant::now();
    let receipt = step(to, "create", sh.client.request_verify_auth(&request))
        .await?
        .receipt_id;
    let create = t0.elapsed();
    let outcome = match &sh.answerer {
        Answerer::App(board) | Answerer::WebApp(board) => {
            tokio::time::timeout(to, board.expect(&receipt))
                .await
                .map_err(|_| "device: no push within the step timeout".to_owned())?
                .map_err(|_| "device: gone".to_owned())?
        }
        Answerer::Cloud(browsers) => tokio::time::timeout(to, browsers.answer(person, &receipt))
            .await
            .map_err(|_| "browser: no answer within the step timeout".to_owned())?,
    };
    outcome.result.map_err(|e| format!("approve: {e}"))?;
    let t = Instant::now();
    let state = step(to, "status", sh.client.get_verify_auth_state(&receipt)).await?;
    let status = t.elapsed();
    if state.state != 1 {
        return Err(format!("status: state {} after approval", state.state));
    }
    let t = Instant::now();
    let verified = step(to, "verify", sh.client.verify_auth(&receipt)).await?;
    let verify = t.elapsed();
    let flow = t0.elapsed();
    if verified.state != 1
        || verified.token.as_deref() != Some(token.as_str())
        || !same_person(&verified, person)
    {
        return Err("verify: wrong token or person".into());
    }
    if let Some(v) = &sh.verifier
        && sh.cfg.verify_sample > 0
        && flow_no.is_multiple_of(sh.cfg.verify_sample)
    {
        let der = base64::engine::general_purpose::STANDARD
            .decode(verified.signed_data.as_deref().unwrap_or_default())
            .map_err(|_| "verify: signedData is not base64".to_owned())?;
        let checked = v
            .verify_attached(&der, time::OffsetDateTime::now_utc())
            .map_err(|e| format!("verify: CMS refused here: {e}"))?;
        if checked.content != token.as_bytes() {
            return Err("verify: CMS content is not the token".into());
        }
        s.cms_checked += 1;
    }
    s.create.push(create);
    if let Some(p) = outcome.push {
        s.push.push(p);
    }
    s.approve.push(outcome.approve);
    s.status.push(status);
    s.verify.push(verify);
    s.flow.push(flow);
    Ok(())
}

fn same_person(v: &dojang_client::IdentityVerifyResult, p: &Holder) -> bool {
    v.receiver_hp == p.phone && v.receiver_name == p.name && v.receiver_birthday == p.birthday
}

/// Run `budget` flows (or until `deadline`) with `cfg.concurrency` workers.
async fn drive(
    sh: &Arc<Shared>,
    budget: u64,
    deadline: Instant,
    bar: Option<indicatif::ProgressBar>,
) -> Result<Samples> {
    let c = sh.cfg.concurrency.max(1);
    let started = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::with_capacity(c);
    for w in 0..c {
        let (sh, started, bar) = (sh.clone(), started.clone(), bar.clone());
        workers.push(tokio::spawn(async move {
            let mut s = Samples::default();
            // Worker w owns the people w, w+C, w+2C, …: nobody has two flows in flight.
            let mine: Vec<&Holder> = sh.people.iter().skip(w).step_by(c).collect();
            let mut turn = 0usize;
            loop {
                if Instant::now() >= deadline || started.fetch_add(1, Ordering::Relaxed) >= budget {
                    break;
                }
                if let Some(p) = &sh.pacer {
                    p.lock().await.tick().await;
                }
                let Some(person) = mine.get(turn % mine.len().max(1)) else {
                    break;
                };
                turn += 1;
                let flow_no = sh.next.fetch_add(1, Ordering::Relaxed);
                match one_flow(&sh, person, flow_no, &mut s).await {
                    Ok(()) => s.ok += 1,
                    Err(reason) => *s.failures.entry(reason).or_default() += 1,
                }
                if let Some(b) = &bar {
                    b.inc(1);
                }
            }
            s
        }));
    }
    let mut all = Samples::default();
    for w in workers {
        let s = w.await.map_err(|e| BenchError(e.to_string()))?;
        all.create.extend(s.create);
        all.push.extend(s.push);
        all.approve.extend(s.approve);
        all.status.extend(s.status);
        all.verify.extend(s.verify);
        all.flow.extend(s.flow);
        all.ok += s.ok;
        all.cms_checked += s.cms_checked;
        for (k, v) in s.failures {
            *all.failures.entry(k).or_default() += v;
        }
    }
    Ok(all)
}

/// Run the flows against `url` as the relying party `credentials`, with people `people` whose
/// devices report to `board`. `server_pid` enables the server CPU and memory figures;
/// `ca_pem` enables the sampled CMS check here.
pub async fn run(
    url: &str,
    credentials: Credentials,
    people: Vec<Holder>,
    board: Arc<Board>,
    server_pid: Option<u32>,
    ca_der: Option<&[u8]>,
    cfg: FlowConfig,
) -> Result<FlowReport> {
    run_answered(
        url,
        credentials,
        people,
        Answerer::App(board),
        server_pid,
        ca_der,
        cfg,
    )
    .await
}

/// [`run`] with the requests answered by `answerer` (the app devices or the cloud browsers).
pub async fn run_answered(
    url: &str,
    credentials: Credentials,
    people: Vec<Holder>,
    answerer: Answerer,
    server_pid: Option<u32>,
    ca_der: Option<&[u8]>,
    cfg: FlowConfig,
) -> Result<FlowReport> {
    if people.len() < cfg.concurrency {
        return Err(BenchError(format!(
            "{} devices for concurrency {}: need at least one person per worker",
            people.len(),
            cfg.concurrency
        )));
    }
    let client = Client::with_timeout(url, credentials, cfg.step_timeout)?;
    let verifier = ca_der
        .map(dojang_pki::Verifier::new)
        .transpose()
        .map_err(|e| BenchError(e.to_string()))?;
    let devices = people.len();
    let pacer = cfg.rate.filter(|r| *r > 0.0).map(|r| {
        let mut i = tokio::time::interval(Duration::from_secs_f64(1.0 / r));
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tokio::sync::Mutex::new(i)
    });
    let sh = Arc::new(Shared {
        pacer,
        client,
        people,
        answerer: answerer.clone(),
        verifier,
        next: AtomicU64::new(0),
        run_id: rand::random(),
        cfg: cfg.clone(),
    });

    if cfg.warmup > 0 {
        let warm = drive(
            &sh,
            cfg.warmup,
            Instant::now() + Duration::from_secs(120),
            None,
        )
        .await?;
        if warm.ok == 0 {
            return Err(BenchError(format!(
                "every warm-up flow failed: {:?}",
                warm.failures
            )));
        }
    }

    let bar = cfg.progress.then(|| {
        let b = indicatif::ProgressBar::new(cfg.flows);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} C={msg} [{elapsed_precise}] {wide_bar} {pos}/{len} flows ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(cfg.concurrency.to_string());
        b
    });
    let server_before = server_pid.and_then(|p| procstat::sample(Some(p)));
    let client_before = procstat::sample(None);
    let machine_before = procstat::machine();
    let start = Instant::now();
    let mut s = drive(&sh, cfg.flows, start + cfg.max_time, bar.clone()).await?;
    let wall = start.elapsed().as_secs_f64();
    let server_after = server_pid.and_then(|p| procstat::sample(Some(p)));
    let client_after = procstat::sample(None);
    let machine_after = procstat::machine();
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let ok = s.ok.max(1) as f64;
    let cpu_ms = |a: Option<ProcSample>, b: Option<ProcSample>| {
        a.zip(b)
            .map(|(a, b)| b.cpu.saturating_sub(a.cpu).as_secs_f64() * 1000.0)
    };
    let server_ms = cpu_ms(server_before, server_after);
    let client_ms = cpu_ms(client_before, client_after).unwrap_or(0.0);
    let other = machine_before.zip(machine_after).map(|((b0, _), (b1, _))| {
        let busy = b1.saturating_sub(b0).as_secs_f64() * 1000.0;
        ((busy - client_ms - server_ms.unwrap_or(0.0)) / 1000.0 / wall).max(0.0)
    });
    let failed: u64 = s.failures.values().sum();
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    Ok(FlowReport {
        flow: answerer.name(),
        concurrency: cfg.concurrency,
        devices,
        flows_started: s.ok + failed,
        flows_ok: s.ok,
        failures: std::mem::take(&mut s.failures),
        wall_seconds: round2(wall),
        flows_per_second: round2(s.ok as f64 / wall),
        requests_per_second: round2(answerer.http_calls() * s.ok as f64 / wall),
        latency_ms: Latencies {
            create: summarize(&mut s.create),
            push: summarize(&mut s.push),
            approve: summarize(&mut s.approve),
            status: summarize(&mut s.status),
            verify: summarize(&mut s.verify),
            flow: summarize(&mut s.flow),
        },
        server_cpu_ms_per_flow: server_ms.map(|m| round2(m / ok)),
        server_cores: server_ms.map(|m| round2(m / 1000.0 / wall)),
        client_cpu_ms_per_flow: round2(client_ms / ok),
        other_cores: other.map(round2),
        server_memory: server_after,
        cms_checked_here: s.cms_checked,
    })
}

impl FlowReport {
    /// A few lines for a terminal.
    pub fn text(&self) -> String {
        let l = &self.latency_ms;
        let row = |name: &str, s: &Summary| {
            format!(
                "  {name:<8} p50 {:>8.2}  p95 {:>8.2}  p99 {:>8.2}  max {:>8.2}\n",
                s.p50, s.p95, s.p99, s.max
            )
        };
        let mut out = format!(
            "{} C={} devices={}  {} / {} flows verified in {:.2} s  →  {:.1} flows/s ({:.0} HTTP req/s)\n",
            self.flow,
            self.concurrency,
            self.devices,
            self.flows_ok,
            self.flows_started,
            self.wall_seconds,
            self.flows_per_second,
            self.requests_per_second
        );
        out.push_str("  latency, ms\n");
        for (n, s) in [
            ("create", &l.create),
            ("push", &l.push),
            ("approve", &l.approve),
            ("status", &l.status),
            ("verify", &l.verify),
            ("flow", &l.flow),
        ] {
            out.push_str(&row(n, s));
        }
        if let (Some(cpu), Some(cores)) = (self.server_cpu_ms_per_flow, self.server_cores) {
            out.push_str(&format!(
                "  server: {cpu:.3} CPU-ms/flow ({cores:.2} cores)"
            ));
            if let Some(m) = &self.server_memory {
                out.push_str(&format!(
                    ", RSS {} MiB, peak {} MiB",
                    m.rss_kib / 1024,
                    m.peak_rss_kib / 1024
                ));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "  generator: {:.3} CPU-ms/flow",
            self.client_cpu_ms_per_flow
        ));
        if let Some(o) = self.other_cores {
            out.push_str(&format!("; other processes: {o:.2} cores"));
        }
        out.push('\n');
        if !self.failures.is_empty() {
            out.push_str(&format!("  FAILURES: {:?}\n", self.failures));
        }
        out
    }
}

/// The runs as a Markdown table, one row per run: what docs/performance.md shows for the app and
/// the cloud flow side by side.
pub fn markdown(reports: &[FlowReport]) -> String {
    let mut out = String::from(
        "| flow | C | flows/s | server CPU-ms/flow | flow p50 ms | flow p99 ms | answer p50 ms | answer p99 ms | failed |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in reports {
        let l = &r.latency_ms;
        out.push_str(&format!(
            "| {} | {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} |\n",
            r.flow,
            r.concurrency,
            r.flows_per_second,
            r.server_cpu_ms_per_flow
                .map_or_else(|| "–".to_owned(), |c| format!("{c:.3}")),
            l.flow.p50,
            l.flow.p99,
            l.approve.p50,
            l.approve.p99,
            r.failures.values().sum::<u64>(),
        ));
    }
    out
}
