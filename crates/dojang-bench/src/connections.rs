//! Many idle device WebSockets held against one server: what each costs the server in memory
//! and file descriptors, and how fast a push reaches one of them while all are connected.
//!
//! Each connection is made from one of several loopback source addresses (127.0.0.1,
//! 127.0.0.2, …), because one source address has only about 28,000 ephemeral ports. A
//! connection counts once its upgrade succeeded and the server's hello arrived (the server
//! registers the connection before it says hello). Pushes are timed like [`crate::flows`]
//! times them: from the card's `requestDT` (the server's acceptance time, in milliseconds) to
//! the moment the device task holds the parsed card; the devices only record, they do not
//! answer.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use dojang_app::api::PushSocket;
use dojang_app::{DeviceApi, Holder};
use dojang_client::{Client, Credentials, IdentityRequest};
use dojang_proto::device::PushMessage;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

use crate::fleet::{Board, Device, Outcome, accepted_at};
use crate::procstat;
use crate::stats::{Summary, summarize};
use crate::{BenchError, Result};

/// Connections per source address that the default number of sources allows.
pub const PER_SOURCE: usize = 20_000;

/// Source addresses needed for `count` connections at [`PER_SOURCE`] each.
pub fn default_sources(count: usize) -> usize {
    count.div_ceil(PER_SOURCE).max(1)
}

/// How to run.
#[derive(Debug, Clone)]
pub struct ConnectionsConfig {
    /// Source addresses 127.0.0.1 … 127.0.0.N (1 ≤ N ≤ 254); connection `i` uses 127.0.0.(i mod N + 1).
    pub sources: usize,
    /// Connection attempts in flight at once.
    pub connect_parallel: usize,
    /// Identity requests sent while all are connected.
    pub push_samples: usize,
    /// Identity requests in flight at once.
    pub push_parallel: usize,
    /// A push not received within this time is lost.
    pub push_timeout: Duration,
    /// Pause between the server counting every connection and the memory reading.
    pub settle: Duration,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

impl Default for ConnectionsConfig {
    fn default() -> Self {
        Self {
            sources: 1,
            connect_parallel: 64,
            push_samples: 200,
            push_parallel: 4,
            push_timeout: Duration::from_secs(5),
            settle: Duration::from_secs(2),
            progress: false,
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionsReport {
    /// Connections asked for.
    pub requested: usize,
    /// Connections open (upgrade done, hello received).
    pub connected: usize,
    /// Source addresses used.
    pub sources: usize,
    /// Connections that failed, by reason.
    pub connect_failures: BTreeMap<String, u64>,
    /// Time to open them all, seconds.
    pub connect_seconds: f64,
    /// The server's own count of push connections (`/healthz`) before and after opening them.
    pub server_push_connections: (Option<u64>, Option<u64>),
    /// Server memory with none of these connections open.
    pub server_before: Option<procstat::ProcSample>,
    /// Server memory with all of them open, after settling.
    pub server_after: Option<procstat::ProcSample>,
    /// (RSS after − RSS before) / connected, KiB.
    pub kib_per_connection: Option<f64>,
    /// The server's open file descriptors before and after (`/proc/<pid>/fd`), where readable.
    pub server_fds: (Option<u64>, Option<u64>),
    /// This generator's resident memory with all connections open, KiB.
    pub generator_rss_kib: Option<u64>,
    /// Identity requests sent while all were connected.
    pub push_samples: usize,
    /// Pushes received within the timeout.
    pub pushes_received: usize,
    /// Requests that failed or whose push did not arrive in time, by reason.
    pub push_failures: BTreeMap<String, u64>,
    /// Server acceptance (`requestDT`) → the device holds the card, milliseconds.
    pub push_latency_ms: Summary,
}

impl ConnectionsReport {
    /// True if every connection opened and every push arrived.
    pub fn ok(&self) -> bool {
        self.connect_failures.is_empty()
            && self.push_failures.is_empty()
            && self.connected == self.requested
            && self.pushes_received == self.push_samples
    }

    /// A few lines for a terminal.
    pub fn text(&self) -> String {
        let mib = |k: u64| k as f64 / 1024.0;
        let mut out = format!(
            "{} / {} push connections open from {} source address(es) in {:.2} s\n",
            self.connected, self.requested, self.sources, self.connect_seconds
        );
        if let (Some(a), Some(b)) = self.server_push_connections {
            out.push_str(&format!(
                "  server counts {a} push connections before, {b} after\n"
            ));
        }
        if let (Some(b), Some(a)) = (&self.server_before, &self.server_after) {
            out.push_str(&format!(
                "  server RSS {:.1} MiB before → {:.1} MiB after (peak {:.1} MiB)",
                mib(b.rss_kib),
                mib(a.rss_kib),
                mib(a.peak_rss_kib)
            ));
            if let Some(k) = self.kib_per_connection {
                out.push_str(&format!("  →  {k:.1} KiB per connection"));
            }
            out.push('\n');
        }
        if let (Some(b), Some(a)) = self.server_fds {
            out.push_str(&format!("  server open files {b} before → {a} after\n"));
        }
        if let Some(g) = self.generator_rss_kib {
            out.push_str(&format!("  generator RSS {:.1} MiB\n", mib(g)));
        }
        let l = &self.push_latency_ms;
        out.push_str(&format!(
            "  push delivery ({} / {} received), ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}\n",
            self.pushes_received, self.push_samples, l.p50, l.p95, l.p99, l.max
        ));
        if !self.connect_failures.is_empty() {
            out.push_str(&format!(
                "  CONNECTION FAILURES: {:?}\n",
                self.connect_failures
            ));
        }
        if !self.push_failures.is_empty() {
            out.push_str(&format!("  PUSH FAILURES: {:?}\n", self.push_failures));
        }
        out
    }
}

/// Open file descriptors of process `pid`, if `/proc/<pid>/fd` is readable.
pub fn open_fds(pid: u32) -> Option<u64> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    u64::try_from(dir.count()).ok()
}

/// The IPv4 address and port of the server at `url`.
async fn server_address(url: &str) -> Result<SocketAddr> {
    let parsed = reqwest::Url::parse(url).map_err(|e| BenchError(format!("{url}: {e}")))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| BenchError(format!("{url}: no host")))?
        .trim_matches(|c| c == '[' || c == ']')
        .to_owned();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| BenchError(format!("{url}: no port")))?;
    tokio::net::lookup_host((host.as_str(), port))
        .await?
        .find(SocketAddr::is_ipv4)
        .ok_or_else(|| {
            BenchError(format!(
                "{url}: no IPv4 address (source addresses are 127.0.0.x)"
            ))
        })
}

/// Source address of connection `i`.
fn source_of(i: usize, sources: usize) -> Ipv4Addr {
    let n = u8::try_from(i % sources.clamp(1, 254) + 1).unwrap_or(1);
    Ipv4Addr::new(127, 0, 0, n)
}

/// A TCP connection from `source` (any port) to `server`, upgraded to the push WebSocket, with
/// the server's hello read.
async fn open(api: &DeviceApi, source: Ipv4Addr, server: SocketAddr) -> Result<PushSocket> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket
        .bind(SocketAddr::new(IpAddr::V4(source), 0))
        .map_err(|e| BenchError(format!("bind {source}: {e}")))?;
    let stream = socket
        .connect(server)
        .await
        .map_err(|e| BenchError(format!("connect: {e}")))?;
    let mut ws = api.connect_push_on(stream).await?;
    match ws.next().await {
        Some(Ok(Message::Text(text))) => match serde_json::from_str::<PushMessage>(&text) {
            Ok(PushMessage::Hello { .. }) => Ok(ws),
            _ => Err(BenchError("first message was not the hello".into())),
        },
        Some(Ok(other)) => Err(BenchError(format!(
            "first message was not the hello: {other:?}"
        ))),
        Some(Err(e)) => Err(BenchError(format!("reading the hello: {e}"))),
        None => Err(BenchError("closed before the hello".into())),
    }
}

/// Hold one device's connection: record the arrival of every card on `board`.
async fn hold(
    device: Device,
    source: Ipv4Addr,
    server: SocketAddr,
    gate: Arc<Semaphore>,
    board: Arc<Board>,
    ready: oneshot::Sender<std::result::Result<(), String>>,
) {
    let opened = {
        let _permit = gate.acquire().await;
        tokio::time::timeout(Duration::from_secs(30), open(&device.api, source, server)).await
    };
    let mut ws = match opened {
        Ok(Ok(ws)) => {
            let _ = ready.send(Ok(()));
            ws
        }
        Ok(Err(e)) => {
            let _ = ready.send(Err(e.0));
            return;
        }
        Err(_) => {
            let _ = ready.send(Err("timeout".into()));
            return;
        }
    };
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let Ok(PushMessage::Request { card }) = serde_json::from_str::<PushMessage>(&text) else {
            continue;
        };
        let received = SystemTime::now();
        let push = accepted_at(&card).and_then(|t| received.duration_since(t).ok());
        board.complete(
            &card.receipt_id,
            Outcome {
                push,
                approve: Duration::ZERO,
                result: Ok(()),
            },
        );
    }
}

/// `pushConnections` from the server's `/healthz`.
async fn server_count(http: &reqwest::Client, url: &str) -> Option<u64> {
    let v: serde_json::Value = http
        .get(format!("{url}{}", dojang_proto::paths::HEALTH))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    v.get("pushConnections")?.as_u64()
}

/// Send one identity request to `person` and wait for the push.
async fn one_push(
    client: &Client,
    board: &Board,
    person: &Holder,
    n: usize,
    timeout: Duration,
) -> std::result::Result<Duration, String> {
    let token = format!("conn-{n}-{}", std::process::id());
    let request = IdentityRequest::new(
        &person.name,
        &person.phone,
        &person.birthday,
        &token,
        "연결 시험",
        300,
    );
    let receipt = match tokio::time::timeout(timeout, client.request_verify_auth(&request)).await {
        Ok(Ok(r)) => r.receipt_id,
        Ok(Err(e)) => {
            return Err(format!(
                "create: {}",
                e.error_code()
                    .map_or_else(|| e.to_string(), |c| c.name().to_owned())
            ));
        }
        Err(_) => return Err("create: timeout".into()),
    };
    // The push timeout runs from the server's acceptance, which the create call already waited
    // for; waiting the full timeout again is the lenient reading.
    match tokio::time::timeout(timeout, board.expect(&receipt)).await {
        Ok(Ok(Outcome { push: Some(p), .. })) => Ok(p),
        Ok(Ok(Outcome { push: None, .. })) => Err("push: card without a readable requestDT".into()),
        Ok(Err(_)) => Err("push: device gone".into()),
        Err(_) => Err(format!("push: not received within {timeout:?}")),
    }
}

/// Open one push connection per device in `devices` against `url`, measure the server, push
/// `cfg.push_samples` requests (as the relying party `credentials`) to randomly chosen distinct
/// people, and close them all again. `server_pid` enables the memory and descriptor figures.
pub async fn run(
    url: &str,
    credentials: Credentials,
    devices: Vec<Device>,
    server_pid: Option<u32>,
    cfg: &ConnectionsConfig,
) -> Result<ConnectionsReport> {
    if !(1..=254).contains(&cfg.sources) {
        return Err(BenchError(format!(
            "--sources {} must be 1 … 254 (127.0.0.1 … 127.0.0.254)",
            cfg.sources
        )));
    }
    let server = server_address(url).await?;
    let http = DeviceApi::http_client()?;
    let requested = devices.len();
    let people: Vec<Holder> = devices.iter().map(|d| d.holder.clone()).collect();

    let count_before = server_count(&http, url).await;
    let server_before = server_pid.and_then(|p| procstat::sample(Some(p)));
    let fds_before = server_pid.and_then(open_fds);

    let bar = cfg.progress.then(|| {
        let b = indicatif::ProgressBar::new(requested as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} connections ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let board = Arc::new(Board::default());
    let gate = Arc::new(Semaphore::new(cfg.connect_parallel.max(1)));
    let mut held = JoinSet::new();
    let mut ready = Vec::with_capacity(requested);
    let started = Instant::now();
    for (i, device) in devices.into_iter().enumerate() {
        let (tx, rx) = oneshot::channel();
        ready.push(rx);
        held.spawn(hold(
            device,
            source_of(i, cfg.sources),
            server,
            gate.clone(),
            board.clone(),
            tx,
        ));
    }
    let mut connect_failures: BTreeMap<String, u64> = BTreeMap::new();
    let mut connected = 0usize;
    // Indices (into `people`) of the devices whose connection is open.
    let mut open_people = Vec::with_capacity(requested);
    for (i, rx) in ready.into_iter().enumerate() {
        match rx.await {
            Ok(Ok(())) => {
                connected += 1;
                open_people.push(i);
            }
            Ok(Err(reason)) => *connect_failures.entry(reason).or_default() += 1,
            Err(_) => *connect_failures.entry("task ended".into()).or_default() += 1,
        }
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    // The server registers a connection before its hello, so this normally holds at once; it
    // is the server's own word that it holds them all.
    let expected = count_before.map(|c| c + connected as u64);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut count_after = server_count(&http, url).await;
    while expected.is_some() && count_after != expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        count_after = server_count(&http, url).await;
    }
    if count_after != expected {
        *connect_failures
            .entry(format!(
                "server counts {count_after:?} push connections, expected {expected:?}"
            ))
            .or_default() += 1;
    }
    tokio::time::sleep(cfg.settle).await;
    let server_after = server_pid.and_then(|p| procstat::sample(Some(p)));
    let fds_after = server_pid.and_then(open_fds);
    let generator_rss_kib = procstat::sample(None).map(|s| s.rss_kib);
    let kib_per_connection = server_before
        .zip(server_after)
        .filter(|_| connected > 0)
        .map(|(b, a)| {
            let delta = a.rss_kib as f64 - b.rss_kib as f64;
            (delta / connected as f64 * 10.0).round() / 10.0
        });

    // Pushes to distinct, randomly chosen connected people, a few at a time.
    let client = Client::with_timeout(url, credentials, cfg.push_timeout)?;
    let chosen: Vec<usize> = {
        let mut rng = rand::rng();
        let amount = cfg.push_samples.min(open_people.len());
        rand::seq::index::sample(&mut rng, open_people.len(), amount)
            .into_iter()
            .filter_map(|k| open_people.get(k).copied())
            .collect()
    };
    let push_samples = cfg.push_samples;
    let results: Vec<std::result::Result<Duration, String>> =
        futures_util::stream::iter(chosen.iter().enumerate())
            .map(|(n, &i)| {
                let (client, board, people) = (&client, &board, &people);
                async move {
                    match people.get(i) {
                        Some(p) => one_push(client, board, p, n, cfg.push_timeout).await,
                        None => Err("no such person".into()),
                    }
                }
            })
            .buffer_unordered(cfg.push_parallel.max(1))
            .collect()
            .await;
    let mut latencies = Vec::with_capacity(results.len());
    let mut push_failures: BTreeMap<String, u64> = BTreeMap::new();
    for r in results {
        match r {
            Ok(d) => latencies.push(d),
            Err(reason) => *push_failures.entry(reason).or_default() += 1,
        }
    }
    if chosen.len() < push_samples {
        *push_failures
            .entry("not sent: fewer people connected than samples".into())
            .or_default() += (push_samples - chosen.len()) as u64;
    }
    held.shutdown().await;

    Ok(ConnectionsReport {
        requested,
        connected,
        sources: cfg.sources,
        connect_failures,
        connect_seconds: (connect_seconds * 100.0).round() / 100.0,
        server_push_connections: (count_before, count_after),
        server_before,
        server_after,
        kib_per_connection,
        server_fds: (fds_before, fds_after),
        generator_rss_kib,
        push_samples,
        pushes_received: latencies.len(),
        push_failures,
        push_latency_ms: summarize(&mut latencies),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_cover_the_count_and_rotate() {
        assert_eq!(default_sources(1), 1);
        assert_eq!(default_sources(20_000), 1);
        assert_eq!(default_sources(20_001), 2);
        assert_eq!(default_sources(100_000), 5);
        let used: Vec<_> = (0..4).map(|i| source_of(i, 3)).collect();
        assert_eq!(
            used,
            [
                Ipv4Addr::new(127, 0, 0, 1),
                Ipv4Addr::new(127, 0, 0, 2),
                Ipv4Addr::new(127, 0, 0, 3),
                Ipv4Addr::new(127, 0, 0, 1)
            ]
        );
    }
}
