//! `dojang serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{InstanceArgs, init_logging, parse_listen, say};
use crate::config::LogFormat;
use crate::instance::CaOrigin;
use crate::{Server, ServerOptions};

/// Options of `dojang serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    instance: InstanceArgs,
    /// Listen address; port 0 picks a free one [default: 127.0.0.1:8080].
    #[arg(long, env = "DOJANG_LISTEN", value_name = "ADDR", value_parser = parse_listen)]
    listen: Option<SocketAddr>,
    /// Also serve HTTPS on this address (needs --tls-cert and --tls-key, or `[tls]`).
    #[arg(long, env = "DOJANG_TLS_LISTEN", value_name = "ADDR", value_parser = parse_listen)]
    tls_listen: Option<SocketAddr>,
    /// PEM certificate chain for the HTTPS listener.
    #[arg(long, env = "DOJANG_TLS_CERT", value_name = "PATH")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for the HTTPS listener.
    #[arg(long, env = "DOJANG_TLS_KEY", value_name = "PATH")]
    tls_key: Option<PathBuf>,
    /// Serve `/metrics` (Prometheus), `/healthz` and `/readyz` on this address (`[metrics]`).
    #[arg(long, env = "DOJANG_METRICS_LISTEN", value_name = "ADDR", value_parser = parse_listen)]
    metrics_listen: Option<SocketAddr>,
    /// Log filter, e.g. info or dojang_server=debug [default: info].
    #[arg(long, env = "DOJANG_LOG", value_name = "FILTER")]
    log: Option<String>,
    /// Log format.
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
    /// Let the test console add sandbox people (`[console] sandbox`; development and demos
    /// only).
    #[arg(long, env = "DOJANG_CONSOLE_SANDBOX")]
    console_sandbox: bool,
}

pub async fn run(args: ServeArgs) -> Result<ExitCode, String> {
    let mut config = args.instance.load()?;
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(l) = args.tls_listen {
        config.tls.listen = Some(l);
    }
    if let Some(c) = args.tls_cert {
        config.tls.cert = Some(c);
    }
    if let Some(k) = args.tls_key {
        config.tls.key = Some(k);
    }
    if let Some(l) = args.metrics_listen {
        config.metrics.listen = Some(l);
    }
    if let Some(l) = args.log {
        config.log = l;
    }
    if let Some(f) = args.log_format {
        config.log_format = f;
    }
    if args.console_sandbox {
        config.console.sandbox = true;
    }
    init_logging(&config.log, config.log_format);
    // Every push connection holds a file descriptor: allow as many as the hard limit permits.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-files limit raised to the hard limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit"),
    }
    // Register for SIGINT/SIGTERM before anyone can learn our address: a signal that arrives
    // right after "listening" must still mean a graceful stop.
    let signals = Signals::register().map_err(|e| format!("cannot watch signals: {e}"))?;
    let server = Server::bind(&config, ServerOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    say(format!("dojang {}", env!("CARGO_PKG_VERSION")));
    let (origin, cert, key) = server.ca_files();
    match origin {
        CaOrigin::Created => say(format!(
            "created the CA: certificate {} and key {key} (back it up; it is never overwritten)",
            cert.display()
        )),
        CaOrigin::Loaded => say(format!("CA: {}", cert.display())),
    }
    say(format!(
        "database: {}",
        dojang_store::redact_url(&config.database_url())
    ));
    match crate::service::operators::ensure_first_admin(
        server.state().store.as_ref(),
        &config.data_dir,
        dojang_core::Clock::now(server.state().clock.as_ref()),
    )
    .await
    {
        Ok(Some(path)) => {
            tracing::warn!(
                path = %path.display(),
                "no operator existed: made the administrator `admin` and wrote its password to this \
                 file (mode 0600); log in at /admin (you enrol a TOTP authenticator then), change it \
                 with `dojang admin operator reset-password --login admin` and delete the file"
            );
            say(format!(
                "admin console: log in as `admin` with the password in {}",
                path.display()
            ));
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "cannot set up the first operator"),
    }
    say(format!("dojang listening on {}", server.base_url()));
    if let Some(url) = server.tls_base_url() {
        say(format!("dojang listening on {url}"));
    }
    if let Some(url) = server.metrics_url() {
        say(format!("metrics on {url}/metrics"));
    }
    signals.wait().await;
    tracing::info!("shutting down");
    server.shutdown();
    server.wait().await.map_err(|e| e.to_string())?;
    say("dojang stopped");
    Ok(ExitCode::SUCCESS)
}

/// SIGINT (Ctrl-C) and SIGTERM, registered up front.
pub(super) struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    pub(super) fn register() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    pub(super) async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
