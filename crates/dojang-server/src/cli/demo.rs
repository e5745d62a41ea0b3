//! `dojang demo`: the server on its embedded default (SQLite under `./dojang-demo`), a seeded
//! relying party (햇살복지포털) whose hosted-login return URL points at the demo site, and the
//! demo site itself on a second address — the first thing a newcomer runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::Args;
use dojang_core::{ClientCode, RelyingParty, SecretKey};

use super::{init_logging, parse_listen, say};
use crate::config::Config;
use crate::{Server, ServerOptions};

/// The demo relying party's LinkID: found again on the next start.
pub const DEMO_LINK_ID: &str = "DOJANG_DEMO";

/// Options of `dojang demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Data directory of the demo instance.
    #[arg(
        long,
        env = "DOJANG_DATA_DIR",
        value_name = "DIR",
        default_value = "./dojang-demo"
    )]
    data_dir: PathBuf,
    /// dojang's address (API, device API, hosted login, console, admin).
    #[arg(long, value_name = "ADDR", value_parser = parse_listen, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The demo site's address.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen, default_value = "127.0.0.1:8090")]
    site_listen: SocketAddr,
    /// Seconds a hosted login gives the person to confirm in the app.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    login_expire_in: u32,
    /// Days an issued certificate is valid (1–3650; the default policy's otherwise). A short
    /// one is in its renewal window (the last 30 days) at once, for trying renewal.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    certificate_validity_days: Option<u32>,
    /// Log filter.
    #[arg(
        long,
        env = "DOJANG_LOG",
        value_name = "FILTER",
        default_value = "warn,dojang_server=info"
    )]
    log: String,
}

pub async fn run(args: DemoArgs) -> Result<ExitCode, String> {
    let mut config = Config {
        data_dir: args.data_dir,
        listen: args.listen,
        log: args.log,
        ..Config::default()
    };
    config.login_page.expire_in_secs = args.login_expire_in;
    if let Some(days) = args.certificate_validity_days {
        config.policy.certificate_validity_days = days;
    }
    // A demo runs `dojang-app listen --auto-approve`, which picks the number the card reveals.
    config.policy.dev_reveal_binding_code = true;
    // The test console's sandbox people (their virtual apps answer by themselves).
    config.console.sandbox = true;
    // Web Push for the app at /app: a VAPID key made in the data directory at the first start.
    config.push.webpush = true;
    config.push.subject = "mailto:demo@dojang.invalid".into();
    // Cloud certificates need a PKCS#11 token: the throwaway one `.ci/start-softhsm.sh` makes,
    // when its variables are set; otherwise the cloud API answers -10600001.
    let cloud = demo_hsm(&mut config)?;
    init_logging(&config.log, config.log_format);
    let signals = super::serve::Signals::register().map_err(|e| format!("signals: {e}"))?;
    let server = Server::bind(&config, ServerOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let state = server.state().clone();
    let site_listener = tokio::net::TcpListener::bind(args.site_listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.site_listen))?;
    let site_addr = site_listener
        .local_addr()
        .map_err(|e| format!("site address: {e}"))?;
    let rp = demo_party(&state).await?;
    // The demo party is a test party: the console's sandbox people may answer it (issue 14 #8).
    state
        .store
        .set_sandbox_party(&rp.client_code, true)
        .await
        .map_err(|e| e.to_string())?;
    let back = format!("http://{site_addr}/auth/callback");
    // Through the one path every operator's tool takes (the URL is checked like theirs).
    crate::service::login_page::set_return_url(
        state.store.as_ref(),
        &rp.client_code,
        Some(&back),
        state.clock.now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let cloud_key = if cloud && state.hsm.is_some() {
        let origin = crate::service::cloud::check_origin(&format!("http://{site_addr}"))
            .map_err(|e| e.to_string())?;
        let p = state
            .store
            .set_cloud_party(&dojang_store::CloudParty {
                client_code: rp.client_code.clone(),
                publishable_key: crate::service::cloud::new_publishable_key(),
                origins: vec![origin.clone()],
                stylesheets: Vec::new(),
                updated_at: state.clock.now(),
            })
            .await
            .map_err(|e| e.to_string())?;
        Some((p.publishable_key, origin))
    } else {
        None
    };
    let secret = STANDARD.encode(rp.secret.as_bytes());
    let credentials =
        dojang_client::Credentials::new(rp.client_code.as_str(), &rp.link_id, &secret);
    let client =
        dojang_client::Client::new(&server.base_url(), credentials).map_err(|e| e.to_string())?;
    let site = crate::demo::Site::new(client, server.base_url(), rp.client_code.to_string());
    let shutdown = state.shutdown.clone();
    let site_task = tokio::spawn(async move {
        axum::serve(site_listener, crate::demo::router(site))
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    say(format!("dojang {} demo", env!("CARGO_PKG_VERSION")));
    say(format!("demo site:      http://{site_addr}"));
    say(format!("dojang:         {}", server.base_url()));
    say(format!(
        "test console:   {}/console (sandbox people on)",
        server.base_url()
    ));
    say("web push:       on (VAPID key in <data dir>/keys/vapid.pem; GET /device/v1/push/vapid)");
    match &cloud_key {
        Some((key, origin)) => say(format!(
            "cloud certs:    on (SoftHSM token); publishable key {key} for {origin}"
        )),
        None => {
            say("cloud certs:    off (no PKCS#11 token: eval \"$(.ci/start-softhsm.sh)\" first)")
        }
    }
    say(format!(
        "relying party:  {} (client code {}, LinkID {}, SecretKey {secret})",
        rp.name, rp.client_code, rp.link_id
    ));
    say(format!(
        "hosted login:   {}/login/{} → {back}",
        server.base_url(),
        rp.client_code
    ));
    say(format!(
        "phone app:      {}/app (open it in a phone's browser and add it to the home screen; the SMS code: dojang admin outbox --data-dir {} --phone <number>)",
        server.base_url(),
        config.data_dir.display()
    ));
    say(format!(
        "authenticator:  dojang-app enroll --server {0} --name 홍길동 --phone 01012345678 --birth 19900101\n\
         \x20               (the code: dojang admin outbox --data-dir {1} --phone 01012345678)\n\
         \x20               then: dojang-app listen",
        server.base_url(),
        config.data_dir.display()
    ));
    match crate::service::operators::ensure_first_admin(
        state.store.as_ref(),
        &config.data_dir,
        state.clock.now(),
    )
    .await
    {
        Ok(Some(path)) => say(format!(
            "admin console:  {}/admin (login: admin, password in {}; enrol a TOTP app at the first login)",
            server.base_url(),
            path.display()
        )),
        Ok(None) => say(format!(
            "admin console:  {}/admin (login: admin, password: {}, or `dojang admin operator reset-password --login admin`)",
            server.base_url(),
            crate::service::operators::initial_password_path(&config.data_dir).display()
        )),
        Err(e) => return Err(e),
    }
    say(
        "demo only: cards reveal the number to match (dev_reveal_binding_code), so --auto-approve works",
    );
    say(format!("dojang listening on {}", server.base_url()));
    signals.wait().await;
    server.shutdown();
    server.wait().await.map_err(|e| e.to_string())?;
    match site_task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("demo site: {e}")),
        Err(e) => return Err(format!("demo site: {e}")),
    }
    say("dojang demo stopped");
    Ok(ExitCode::SUCCESS)
}

/// The demo relying party: found by its LinkID, or made on first start.
async fn demo_party(state: &crate::state::AppState) -> Result<RelyingParty, String> {
    if let Some(rp) = state
        .store
        .relying_party_by_link_id(DEMO_LINK_ID)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(rp);
    }
    let mut rng = rand::rng();
    let rp = RelyingParty {
        client_code: ClientCode::generate(&mut rng),
        link_id: DEMO_LINK_ID.to_owned(),
        name: "햇살복지포털".to_owned(),
        secret: SecretKey::generate(&mut rng),
        call_center_num: Some("129".to_owned()),
        created_at: state.clock.now(),
    };
    state
        .store
        .insert_relying_party(&rp)
        .await
        .map_err(|e| e.to_string())?;
    Ok(rp)
}

/// `[hsm]` for the demo from the test token's variables (`DOJANG_TEST_HSM_TOKEN`, `_PIN`,
/// `_MODULE`), its PIN in `<data_dir>/hsm.pin` (0600). `false`: no token, cloud certificates off.
fn demo_hsm(config: &mut Config) -> Result<bool, String> {
    let (Ok(token), Ok(pin)) = (
        std::env::var("DOJANG_TEST_HSM_TOKEN"),
        std::env::var("DOJANG_TEST_HSM_PIN"),
    ) else {
        return Ok(false);
    };
    let module = std::env::var("DOJANG_TEST_HSM_MODULE")
        .unwrap_or_else(|_| dojang_hsm::SOFTHSM2_MODULE.to_owned());
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
    dir.create(&config.data_dir)
        .map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
    let pin_file = config.data_dir.join("hsm.pin");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(
        &mut options
            .open(&pin_file)
            .map_err(|e| format!("{}: {e}", pin_file.display()))?,
        pin.as_bytes(),
    )
    .map_err(|e| format!("{}: {e}", pin_file.display()))?;
    config.hsm.module = module.into();
    config.hsm.token = token;
    config.hsm.pin_file = pin_file;
    Ok(true)
}
