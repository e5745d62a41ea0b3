//! `dojang-bench`: load generator for dojang. Usually run as `cargo xtask bench …`, which
//! builds this and the server in release mode first.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
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
    /// Write the results as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// No progress bar.
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

async fn prepare(t: &TargetArgs) -> Result<Prepared> {
    let sms = SmsReceiver::start(&t.sms_listen).await?;
    match &t.url {
        Some(url) => {
            let need = |v: &Option<String>, n: &str| {
                v.clone()
                    .ok_or_else(|| BenchError(format!("--url needs --{n}")))
            };
            let credentials = Credentials::new(
                need(&t.client_code, "client-code")?,
                need(&t.link_id, "link-id")?,
                need(&t.secret, "secret")?,
            );
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
            let bin = t
                .server_bin
                .clone()
                .or_else(default_server_bin)
                .ok_or_else(|| {
                    BenchError(
                        "no dojang binary: pass --server-bin or run `cargo xtask bench`".into(),
                    )
                })?;
            let server = LocalServer::start(&bin, sms.url(), t.database_url.as_deref(), "").await?;
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
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "date": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "cpus": dojang_bench::procstat::cpus(),
            "runs": reports,
        }))
        .map_err(|e| BenchError(e.to_string()))?;
        if path == "-" {
            println!("{json}");
        } else {
            std::fs::write(path, json)?;
        }
    }
    if let Some(server) = p.local {
        server.stop().await?;
    }
    Ok(reports
        .iter()
        .all(|r| r.failures.is_empty() && r.flows_ok > 0))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Flows(a) => flows_cmd(a).await,
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("dojang-bench: some flows failed");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("dojang-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
