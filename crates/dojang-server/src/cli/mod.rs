//! The `dojang` command line: `serve`, `admin …` (operator commands on the data directory and
//! database), `rp …` (a relying-party client for trying the API from a shell), and `backup` /
//! `restore` (a SQLite instance copied while it runs).

mod admin;
mod backup;
mod cert;
mod cloud;
mod demo;
mod login_page;
mod member;
mod operator;
mod ra;
mod rp;
mod serve;
mod webhook;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, LogFormat, Secret};

/// dojang — a self-hostable simple-certificate (간편인증) platform.
#[derive(Debug, Parser)]
#[command(name = "dojang", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (creates the CA and data key on first start).
    Serve(serve::ServeArgs),
    /// The server with a demo relying-party site and a seeded relying party (./dojang-demo).
    Demo(demo::DemoArgs),
    /// Operator commands working on the same data directory and database as the server.
    Admin(admin::AdminArgs),
    /// A relying-party client: sign and send native API calls, print the JSON answers.
    Rp(rp::RpArgs),
    /// Copy a SQLite instance while it runs: the database (SQLite's backup API), ca/ and keys/,
    /// and a manifest of their SHA-256.
    Backup(backup::BackupArgs),
    /// Restore a backup into a data directory that holds no instance (checked first).
    Restore(backup::RestoreArgs),
}

/// Where the instance lives: shared by `serve` and `admin`.
#[derive(Debug, Args)]
pub struct InstanceArgs {
    /// TOML configuration file (every key: examples/dojang.toml).
    #[arg(long, env = "DOJANG_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory [default: ./dojang-data].
    #[arg(long, env = "DOJANG_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://… [default: sqlite://<data-dir>/dojang.db].
    #[arg(
        long,
        env = "DOJANG_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
}

impl InstanceArgs {
    /// The configuration: file (if any), then these overrides.
    fn load(&self) -> Result<Config, String> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path).map_err(|e| e.to_string())?,
            None => Config::default(),
        };
        if let Some(d) = &self.data_dir {
            config.data_dir.clone_from(d);
        }
        if let Some(u) = &self.database_url {
            config.database_url = Secret::new(u.clone());
        }
        Ok(config)
    }
}

/// Log to stderr with the configured filter; `RUST_LOG` wins when set.
fn init_logging(filter: &str, format: LogFormat) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned());
    let env_filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Print a line to stdout and flush (scripts and tests read it as it comes).
fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Run the command line; the process exit code comes back.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dojang: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(a) => serve::run(a).await,
            Command::Demo(a) => demo::run(a).await,
            Command::Admin(a) => admin::run(a).await,
            Command::Rp(a) => rp::run(a).await,
            Command::Backup(a) => backup::backup(a).await,
            Command::Restore(a) => backup::restore(a).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("dojang: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `--listen` parsing shared by commands.
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.parse()
        .map_err(|_| format!("not an address like 127.0.0.1:8080: {s}"))
}
