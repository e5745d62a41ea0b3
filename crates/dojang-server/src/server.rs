//! Starting and stopping the server: [`Server::bind`] is used by `dojang serve` and by the
//! testkit alike, so tests run exactly what production runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dojang_core::{Clock, SystemClock};
use tokio::task::JoinHandle;

use crate::bank::{self, BankError, BankGateway};
use crate::config::{Config, ConfigError};
use crate::instance::{CaOrigin, Instance, InstanceError};
use crate::sms::{self, SmsError, SmsGateway};
use crate::state::{AppState, Parts};

/// What could stop the server from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory or database.
    #[error(transparent)]
    Instance(#[from] InstanceError),
    /// The SMS gateway.
    #[error("SMS gateway: {0}")]
    Sms(#[from] SmsError),
    /// The bank gateway.
    #[error("bank gateway: {0}")]
    Bank(#[from] BankError),
    /// The shared state could not be assembled (CA certificate, webhook client).
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// The TLS certificate or key.
    #[error("TLS: {0}")]
    Tls(String),
    /// The listen address.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// Address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Things only code (not configuration) chooses: tests inject a manual clock or a gateway.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// An SMS gateway replacing the configured one.
    pub sms: Option<Arc<dyn SmsGateway>>,
    /// A bank gateway replacing the configured one.
    pub bank: Option<Arc<dyn BankGateway>>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            sms: None,
            bank: None,
        }
    }
}

/// Pending connections the kernel may queue (capped by `net.core.somaxconn`). tokio's default
/// of 128 drops handshakes when thousands of devices reconnect at once after a restart.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How this process reaches its own plain listener: the bound address, or loopback on the
/// bound port when it listens on every interface.
fn self_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Install the metrics recorder and serve `/metrics`, `/healthz` and `/readyz` on `at` until
/// shutdown; the bound address.
fn serve_metrics(at: SocketAddr, state: &AppState) -> Result<SocketAddr, ServerError> {
    let listen_err = |source| ServerError::Listen { addr: at, source };
    let handle = crate::metrics::install().ok_or_else(|| {
        ServerError::Config(ConfigError(
            "[metrics] listen: another metrics recorder is installed in this process".into(),
        ))
    })?;
    let listener = listen(at).map_err(listen_err)?;
    let bound = listener.local_addr().map_err(listen_err)?;
    let app = crate::metrics::router(state.clone(), handle);
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
        {
            tracing::warn!(error = %e, "the metrics listener stopped with an error");
        }
    });
    Ok(bound)
}

/// Entry point.
#[derive(Debug)]
pub struct Server;

/// A server accepting connections.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    state: AppState,
    ca_origin: CaOrigin,
    ca_cert_path: PathBuf,
    ca_key: crate::instance::CaKeyPlace,
    task: JoinHandle<std::io::Result<()>>,
    tls_task: Option<JoinHandle<std::io::Result<()>>>,
    metrics_addr: Option<SocketAddr>,
    background: [JoinHandle<()>; 2],
}

impl Server {
    /// Open the data directory and database, bind the listen address, and start serving.
    pub async fn bind(
        config: &Config,
        options: ServerOptions,
    ) -> Result<RunningServer, ServerError> {
        let policy = config.validate()?;
        crate::tls::install_crypto_provider();
        // Read the certificate before anything else starts, so a bad one stops the start.
        let tls = match config.tls.enabled() {
            Some((addr, cert, key)) => Some((
                addr,
                crate::tls::server_config(cert, key).map_err(ServerError::Tls)?,
            )),
            None => None,
        };
        // Bound first: certificates carry URLs built on the address (when not configured).
        let listener = listen(config.listen).map_err(|source| ServerError::Listen {
            addr: config.listen,
            source,
        })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServerError::Listen {
                addr: config.listen,
                source,
            })?;
        let public_url = config.public_url(Some(addr));
        let instance = Instance::open(config, options.clock.now(), &public_url).await?;
        let sms = match options.sms {
            Some(g) => g,
            None => sms::from_config(&config.sms, instance.store.clone(), options.clock.clone())?,
        };
        let bank = match options.bank {
            Some(g) => g,
            None => bank::from_config(&config.bank, instance.store.clone(), options.clock.clone())?,
        };
        if !config.admin.password_hash.expose().is_empty() {
            crate::service::operators::sync_configured_admin(
                instance.store.as_ref(),
                config.admin.password_hash.expose(),
                options.clock.now(),
            )
            .await
            .map_err(|e| ConfigError(format!("[admin] password_hash: {e}")))?;
        }
        let state = AppState::new(Parts {
            store: instance.store.clone(),
            keys: instance.keys.clone(),
            clock: options.clock,
            policy,
            ca: instance.ca.clone(),
            sandbox_ca: instance.sandbox_ca.clone(),
            sms,
            bank,
            max_body_bytes: config.max_body_bytes,
            webhooks: crate::webhook::WebhookSettings::from_config(config),
            pages: crate::pages::Settings::from_config(config),
            admin_password_hash: Some(config.admin.password_hash.clone())
                .filter(|h| !h.expose().is_empty()),
            self_url: self_url(addr),
            console: config.console.clone(),
            trusted_proxies: crate::proxy::TrustedProxies::parse(&config.trusted_proxies)
                .map_err(ConfigError)?,
            hsm: instance.hsm.clone(),
            pushers: crate::service::push::pushers(config, instance.vapid.clone())
                .map_err(ConfigError)?,
            push_allow_private: config.push.insecure_allow_private,
            public_url: public_url.clone(),
        })?;
        let metrics_addr = match config.metrics.listen {
            Some(at) => Some(serve_metrics(at, &state)?),
            None => None,
        };
        let background = crate::webhook::spawn(state.clone());
        let app = crate::http::router(state.clone());
        let (tls_addr, tls_task) = match tls {
            Some((tls_listen, tls_config)) => {
                let bound = listen(tls_listen)
                    .and_then(|tcp| crate::tls::TlsListener::new(tcp, tls_config))
                    .map_err(|source| ServerError::Listen {
                        addr: tls_listen,
                        source,
                    })?;
                let tls_addr = axum::serve::Listener::local_addr(&bound).ok().map(|p| p.0);
                let (app, shutdown) = (app.clone(), state.shutdown.clone());
                let task = tokio::spawn(async move {
                    axum::serve(
                        bound,
                        app.into_make_service_with_connect_info::<crate::tls::TlsPeer>(),
                    )
                    .with_graceful_shutdown(shutdown.cancelled_owned())
                    .await
                });
                (tls_addr, Some(task))
            }
            None => (None, None),
        };
        let shutdown = state.shutdown.clone();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
        });
        Ok(RunningServer {
            addr,
            tls_addr,
            state,
            ca_origin: instance.ca_origin,
            ca_cert_path: instance.ca_cert_path,
            ca_key: instance.ca_key,
            task,
            tls_task,
            metrics_addr,
            background,
        })
    }
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://<addr>` of the TLS listener, when `[tls]` is configured.
    pub fn tls_base_url(&self) -> Option<String> {
        self.tls_addr.map(|a| format!("https://{a}"))
    }

    /// `http://<addr>` of the metrics listener, when `[metrics] listen` is set.
    pub fn metrics_url(&self) -> Option<String> {
        self.metrics_addr.map(|a| format!("http://{a}"))
    }

    /// The shared state (tests use the store and clock directly).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Whether the CA was created at this start, and where it lives.
    pub fn ca_files(&self) -> (CaOrigin, &PathBuf, &crate::instance::CaKeyPlace) {
        (self.ca_origin, &self.ca_cert_path, &self.ca_key)
    }

    /// Ask the server to stop: no new connections, push sockets closed, in-flight requests
    /// finish.
    pub fn shutdown(&self) {
        self.state.shutdown.cancel();
    }

    /// Wait until the server has stopped (after [`RunningServer::shutdown`]); gives in-flight
    /// requests up to 10 seconds.
    pub async fn wait(self) -> std::io::Result<()> {
        let mut task = self.task;
        if let Some(tls) = self.tls_task {
            // Stops with the plain listener; its result is logged, the plain one returned.
            match tokio::time::timeout(Duration::from_secs(10), tls).await {
                Ok(Ok(Err(e))) => {
                    tracing::warn!(error = %e, "the TLS listener stopped with an error")
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "the TLS listener task failed"),
                Ok(Ok(Ok(()))) => {}
                Err(_) => tracing::warn!("TLS connections still open after 10 s; stopped anyway"),
            }
        }
        for b in self.background {
            // They watch the shutdown token; a POST in flight ends within its timeout.
            if tokio::time::timeout(Duration::from_secs(10), b)
                .await
                .is_err()
            {
                tracing::warn!("a webhook task was still running after 10 s");
            }
        }
        match tokio::time::timeout(Duration::from_secs(10), &mut task).await {
            Ok(Ok(r)) => r,
            Ok(Err(join)) => Err(std::io::Error::other(join)),
            Err(_) => {
                task.abort();
                tracing::warn!("connections still open after 10 s; stopped anyway");
                Ok(())
            }
        }
    }
}
