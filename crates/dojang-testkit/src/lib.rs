//! Test kit: the real server, really booted, for tests.
//!
//! * [`TestServer`] runs [`dojang_server::Server::bind`] in-process on `127.0.0.1:0` with a
//!   temporary data directory (SQLite, or a fresh PostgreSQL database) and a [`ManualClock`], so
//!   expiry and verify windows are tested by moving the clock, never by sleeping.
//! * [`TestDevice`] is an authenticator enrolled through the real HTTP device API, with its key
//!   in memory.
//! * [`Process`] starts the built `dojang` and `dojang-app` binaries as separate processes.
//!
//! The backend is the test binary's: SQLite, except in a binary whose name ends in `_pg`
//! (`it_pg`, the server's integration suite compiled a second time by `crates/dojang-it-pg`),
//! where every server gets a fresh PostgreSQL database under `DOJANG_TEST_PG_URL` — one per data
//! directory, so a server restarted on the same directory, or a `dojang` process given
//! `--data-dir`, finds the same data ([`pg_database_for`]).
//!
//! Test code: failures here panic with a message, which is what a test wants.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_app::{DeviceApi, Enrolment, Holder, Signer};
use dojang_client::{Client, Credentials};
use dojang_core::{Clock, ManualClock, Phone, RelyingParty};
use dojang_proto::device::RequestCard;
use dojang_server::{Config, RunningServer, Server, ServerOptions};

pub use dojang_server;

/// A relying party registered for a test.
#[derive(Debug, Clone)]
pub struct TestParty {
    /// 12-digit client code.
    pub client_code: String,
    /// LinkID.
    pub link_id: String,
    /// SecretKey, base64.
    pub secret: String,
    /// Display name.
    pub name: String,
}

impl TestParty {
    /// SDK credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(&self.client_code, &self.link_id, &self.secret)
    }
}

/// The servers' warnings and errors go to the test's captured output, so a failing test shows
/// why the server answered as it did (a 500's cause is never in its body). `DOJANG_TEST_LOG`
/// sets another filter (e.g. `debug`). Once per process; shown by libtest only for failures.
fn log_to_test_output() {
    let filter = std::env::var("DOJANG_TEST_LOG").unwrap_or_else(|_| "warn".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_ansi(false)
        .with_test_writer()
        .try_init();
}

/// A server in this process.
#[derive(Debug)]
pub struct TestServer {
    server: Option<RunningServer>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
    _pg: Option<Arc<PgDatabase>>,
}

impl TestServer {
    /// SQLite in a temporary directory, default configuration.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`TestServer::start`], adjusting the configuration first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::boot(None, adjust).await
    }

    /// On a fresh PostgreSQL database under `admin_url` (dropped afterwards), whatever this
    /// binary's backend.
    pub async fn start_postgres(admin_url: &str) -> Self {
        Self::start_postgres_with(admin_url, |_| {}).await
    }

    /// Like [`TestServer::start_postgres`], adjusting the configuration first.
    pub async fn start_postgres_with(admin_url: &str, adjust: impl FnOnce(&mut Config)) -> Self {
        let pg = PgDatabase::create(admin_url).await;
        Self::boot(Some(Arc::new(pg)), adjust).await
    }

    async fn boot(mut pg: Option<Arc<PgDatabase>>, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: dir.path().join("data"),
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..Config::default()
        };
        if let Some(pg) = &pg {
            config.database_url = dojang_server::config::Secret::new(pg.url.clone());
        }
        // Test devices are scripts: they read the binding code from the card, and tests send
        // one person many requests. Tests of those guards turn them back on in `adjust`.
        config.policy.dev_reveal_binding_code = true;
        config.policy.person_requests_per_minute = 0;
        adjust(&mut config);
        // The PostgreSQL leg: the data directory's database, unless the test chose one.
        if config.database_url.expose().is_empty()
            && let Some(db) = pg_database_for_async(&config.data_dir).await
        {
            config.database_url = dojang_server::config::Secret::new(db.url.clone());
            pg = Some(db);
        }
        dojang_server::tls::install_crypto_provider();
        log_to_test_output();
        let clock = Arc::new(ManualClock::starting_now());
        let server = Server::bind(
            &config,
            ServerOptions {
                clock: clock.clone(),
                sms: None,
                bank: None,
            },
        )
        .await
        .expect("server starts");
        Self {
            server: Some(server),
            clock,
            dir,
            _pg: pg,
        }
    }

    fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("server is running")
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.running().base_url()
    }

    /// `https://127.0.0.1:<port>` of the TLS listener, when the configuration has `[tls]`.
    pub fn tls_url(&self) -> Option<String> {
        self.running().tls_base_url()
    }

    /// `http://127.0.0.1:<port>` of the metrics listener, when `[metrics] listen` is set.
    pub fn metrics_url(&self) -> Option<String> {
        self.running().metrics_url()
    }

    /// The clock the server reads.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The server's state (store, keys, CA).
    pub fn state(&self) -> &dojang_server::state::AppState {
        self.running().state()
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.state().ca.certificate_pem()
    }

    /// Register a relying party the way `dojang admin rp add` and the admin console do (their
    /// one service function), in-process for speed; the command itself runs as a process in the
    /// server's `e2e.rs` and `cli.rs` tests.
    pub async fn add_party(&self, name: &str) -> TestParty {
        let rp: RelyingParty = dojang_server::service::admin::add_relying_party(
            self.state().store.as_ref(),
            name,
            None,
            None,
            Some("1600-0000"),
            self.clock.now(),
        )
        .await
        .expect("register the relying party");
        TestParty {
            client_code: rp.client_code.to_string(),
            link_id: rp.link_id.clone(),
            secret: STANDARD.encode(rp.secret.as_bytes()),
            name: rp.name.clone(),
        }
    }

    /// An SDK client for a party, signing with the server's (manual) clock.
    pub fn client(&self, party: &TestParty) -> Client {
        let clock = self.clock.clone();
        Client::new(&self.url(), party.credentials())
            .expect("client")
            .with_time_source(Arc::new(move || clock.now()))
    }

    /// The one-time code most recently sent to `phone`.
    pub async fn last_code(&self, phone: &str) -> String {
        let phone = Phone::parse(phone).expect("phone");
        let messages = self
            .state()
            .store
            .outbox(Some(&phone), 1)
            .await
            .expect("outbox");
        let text = &messages.first().expect("a message was sent").body;
        six_digits(text).expect("a code in the message")
    }

    /// The word of the 1-won deposit most recently made for `phone` (the development bank
    /// gateway files deposits under the enrolling person's phone).
    pub async fn last_bank_word(&self, phone: &str) -> String {
        let phone = Phone::parse(phone).expect("phone");
        let messages = self
            .state()
            .store
            .outbox(Some(&phone), 50)
            .await
            .expect("outbox");
        let deposit = messages
            .iter()
            .find(|m| m.channel == "bank")
            .expect("a deposit was made");
        bank_word(&deposit.body).expect("a word in the deposit")
    }

    /// Issue a registration-desk code for a person, as `dojang admin ra issue` does: the
    /// reference number and the authorisation code.
    pub async fn issue_ra(&self, name: &str, phone: &str, birthday: &str) -> (String, String) {
        let now = self.clock.now();
        let person = dojang_core::Person {
            name: dojang_core::PersonName::parse(name).expect("name"),
            phone: Phone::parse(phone).expect("phone"),
            birthday: dojang_core::Birthday::parse(birthday, now).expect("birthday"),
        };
        let state = self.state();
        let (ra, code) = dojang_server::service::registration::issue_code(
            &*state.store,
            &state.keys,
            &person,
            state.policy.ra_code_ttl,
            now,
        )
        .await
        .expect("registration-desk code");
        (ra.reference.as_str().to_owned(), code.grouped())
    }

    /// Enrol a person through the device API; the key stays in memory.
    pub async fn enrol(&self, name: &str, phone: &str, birthday: &str) -> TestDevice {
        let holder = Holder {
            name: name.into(),
            phone: phone.into(),
            birthday: birthday.into(),
        };
        let enrolment = Enrolment::start(&self.url(), holder.clone())
            .await
            .expect("enrolment starts");
        let code = self.last_code(phone).await;
        let completed = enrolment
            .submit_code(&code)
            .await
            .expect("enrolment completes");
        let (api, signer) = enrolment.into_device(&completed).expect("device");
        TestDevice::new(api, signer, holder, completed)
    }

    /// Enrol a person by a bank-account check (a 1-won deposit whose word is read from the
    /// development gateway): a certificate whose holder proved more than a phone and whose name
    /// was verified, as `isAllowSimpleRegistYN = false` and `isVerifyNameYN = true` ask.
    pub async fn enrol_by_bank(&self, name: &str, phone: &str, birthday: &str) -> TestDevice {
        let holder = Holder {
            name: name.into(),
            phone: phone.into(),
            birthday: birthday.into(),
        };
        let enrolment =
            dojang_app::BankEnrolment::start(&self.url(), holder.clone(), "088", "110-222-333444")
                .await
                .expect("bank enrolment starts");
        let word = self.last_bank_word(phone).await;
        let completed = enrolment
            .submit_word(&word)
            .await
            .expect("bank enrolment completes");
        let (api, signer) = enrolment.into_device(&completed).expect("device");
        TestDevice::new(api, signer, holder, completed)
    }

    /// Stop the server and wait for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
            s.wait().await.expect("clean stop");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = &self.server {
            s.shutdown();
        }
        // The temporary data directory goes with the server, and so does its database.
        forget_pg_database(&self.dir.path().join("data"));
    }
}

/// The first run of six digits in a text.
pub fn six_digits(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5)).find_map(|i| {
        let w = &b[i..i + 6];
        let bounded = (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 6).is_none_or(|c| !c.is_ascii_digit());
        (bounded && w.iter().all(u8::is_ascii_digit))
            .then(|| String::from_utf8_lossy(w).into_owned())
    })
}

/// The word of a 1-won deposit as the development outbox records it (after `memo `).
pub fn bank_word(text: &str) -> Option<String> {
    let word: String = text.rsplit("memo ").next()?.chars().take(4).collect();
    (word.chars().count() == 4 && word.chars().all(|c| ('가'..='힣').contains(&c))).then_some(word)
}

impl TestDevice {
    fn new(
        api: DeviceApi,
        signer: Signer,
        holder: Holder,
        completed: dojang_proto::device::EnrolmentCompleted,
    ) -> Self {
        Self {
            api,
            signer,
            holder,
            serial: completed.serial,
            device_id: completed.device_id,
            token: completed.device_token,
        }
    }
}

/// An enrolled device with its key in memory.
#[derive(Debug)]
pub struct TestDevice {
    /// Authenticated device API.
    pub api: DeviceApi,
    /// The unlocked key.
    pub signer: Signer,
    /// Whose device.
    pub holder: Holder,
    /// Certificate serial.
    pub serial: String,
    /// Device id.
    pub device_id: String,
    /// Bearer credential (for tests that send raw requests).
    pub token: String,
}

impl TestDevice {
    /// The waiting card with this receipt.
    pub async fn card(&self, receipt_id: &str) -> RequestCard {
        self.api
            .pending()
            .await
            .expect("pending list")
            .requests
            .into_iter()
            .find(|c| c.receipt_id == receipt_id)
            .unwrap_or_else(|| panic!("{receipt_id} is not pending"))
    }

    /// Sign and approve a waiting request at the server's time.
    pub async fn approve(
        &self,
        receipt_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<i32, dojang_app::AppError> {
        let card = self.card(receipt_id).await;
        let pick = card.binding_code.clone();
        self.approve_card(&card, pick, now).await.map(|a| a.state)
    }

    /// Sign a card's documents and approve with `binding_code` as the person's pick.
    pub async fn approve_card(
        &self,
        card: &RequestCard,
        binding_code: Option<String>,
        now: time::OffsetDateTime,
    ) -> Result<dojang_proto::device::Answered, dojang_app::AppError> {
        let body = self.signer.approval(card, binding_code, now)?;
        self.api.approve(&card.receipt_id, &body).await
    }
}

/// A database made for one test on a PostgreSQL server, dropped at the end.
#[derive(Debug)]
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl PgDatabase {
    /// Create a uniquely named database.
    pub async fn create(admin_url: &str) -> Self {
        use sqlx::Connection as _;
        // The process id in the name lets a later run drop what a killed run left.
        let name = format!(
            "dojang_t_{}_{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
        let url = replace_database(admin_url, &name);
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async context: use a small runtime on a thread.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    use sqlx::Connection as _;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                });
            }
        })
        .join();
    }
}

/// Whether this test binary is the PostgreSQL leg: its name (cargo's `<target>-<hash>`) ends in
/// `_pg`. The admin URL comes from [`pg_url`]; the leg's crate compiles no test without it.
pub fn postgres_leg() -> Option<&'static str> {
    static LEG: OnceLock<Option<String>> = OnceLock::new();
    LEG.get_or_init(|| {
        let exe = std::env::current_exe().ok()?;
        let stem = exe.file_stem()?.to_str()?;
        let target = stem.rsplit_once('-').map_or(stem, |(t, _)| t);
        if !target.ends_with("_pg") {
            return None;
        }
        let url = pg_url().unwrap_or_else(|| {
            panic!("{target} runs on PostgreSQL: set DOJANG_TEST_PG_URL (.ci/start-postgres.sh)")
        });
        sweep_leftover_databases(&url);
        Some(url)
    })
    .as_deref()
}

type Registry = Mutex<HashMap<PathBuf, Arc<PgDatabase>>>;

fn registry() -> &'static Registry {
    static DATABASES: OnceLock<Registry> = OnceLock::new();
    DATABASES.get_or_init(Registry::default)
}

/// On the PostgreSQL leg, the database of a data directory (made on first use; the same for
/// every server and `dojang` process given that directory); `None` on SQLite.
///
/// A database whose directory a [`TestServer`] made is dropped with that server; one for a
/// directory the test made lives until the process ends, and the next run's first use drops it.
pub fn pg_database_for(data_dir: &Path) -> Option<Arc<PgDatabase>> {
    let admin = postgres_leg()?;
    let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(db) = map.get(data_dir) {
        return Some(db.clone());
    }
    let admin = admin.to_owned();
    let db = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(PgDatabase::create(&admin))
    })
    .join()
    .expect("create database");
    let db = Arc::new(db);
    map.insert(data_dir.to_owned(), db.clone());
    Some(db)
}

async fn pg_database_for_async(data_dir: &Path) -> Option<Arc<PgDatabase>> {
    postgres_leg()?;
    let dir = data_dir.to_owned();
    tokio::task::spawn_blocking(move || pg_database_for(&dir))
        .await
        .expect("database for a data directory")
}

fn forget_pg_database(data_dir: &Path) {
    if postgres_leg().is_some() {
        let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
        map.remove(data_dir);
    }
}

/// `DOJANG_DATABASE_URL` for a `dojang` process on `data_dir` on the PostgreSQL leg.
pub fn database_env(data_dir: &Path) -> Option<(&'static str, String)> {
    pg_database_for(data_dir).map(|db| ("DOJANG_DATABASE_URL", db.url.clone()))
}

/// The data directory a command line names (`--data-dir DIR`, `--data-dir=DIR`, or
/// `DOJANG_DATA_DIR` in `env`).
fn data_dir_of(args: &[&str], env: &[(&str, &str)]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "--data-dir" {
            return it.next().map(PathBuf::from);
        }
        if let Some(d) = a.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(d));
        }
    }
    env.iter()
        .find(|(k, _)| *k == "DOJANG_DATA_DIR")
        .map(|(_, v)| PathBuf::from(v))
}

/// On the PostgreSQL leg, point a `dojang` command line at its data directory's database
/// (unless the test set `DOJANG_DATABASE_URL` itself). `dojang-app` has no database.
fn add_database_env(cmd: &mut Command, program: &Path, args: &[&str], env: &[(&str, &str)]) {
    let server = program.file_stem().is_some_and(|n| n == "dojang");
    if !server || env.iter().any(|(k, _)| *k == "DOJANG_DATABASE_URL") {
        return;
    }
    if let Some(dir) = data_dir_of(args, env)
        && let Some((k, v)) = database_env(&dir)
    {
        cmd.env(k, v);
    }
}

/// Drop the test databases of processes that are gone (a run that was killed, or databases of
/// directories a test made), so the cluster does not fill up across runs.
fn sweep_leftover_databases(admin_url: &str) {
    let admin_url = admin_url.to_owned();
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            use sqlx::Connection as _;
            let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await else {
                return;
            };
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT datname FROM pg_database WHERE datname LIKE 'dojang\\_t\\_%'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap_or_default();
            for name in names {
                let Some(pid) = name
                    .strip_prefix("dojang_t_")
                    .and_then(|r| r.split_once('_'))
                    .and_then(|(p, _)| p.parse::<u32>().ok())
                else {
                    continue;
                };
                if Path::new(&format!("/proc/{pid}")).exists() {
                    continue;
                }
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
        });
    })
    .join();
}

/// `postgres://u:p@h:port/<db>?params` with the database replaced.
pub fn replace_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, String::new()), |(b, q)| (b, format!("?{q}")));
    let start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[start..].find('/').map_or(base.len(), |i| start + i);
    format!("{}/{db}{query}", &base[..host_end])
}

/// `DOJANG_TEST_PG_URL`, if set and not empty. Under CI (`CI=true`) it must be set: a
/// PostgreSQL leg that silently skips would hide a broken CI setup.
pub fn pg_url() -> Option<String> {
    let url = std::env::var("DOJANG_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty());
    if url.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but DOJANG_TEST_PG_URL is not set: .ci/run must start PostgreSQL");
    }
    url
}

/// A built binary of this workspace (`dojang`, `dojang-app`), found next to the test executable
/// (`target/<profile>/`). `cargo test --workspace` builds both.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built; run the suite with `cargo test --workspace`",
        path.display()
    );
    path
}

/// A child process whose stdout is read line by line in the background; killed on drop.
#[derive(Debug)]
pub struct Process {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything read so far.
    pub seen: Vec<String>,
}

impl Process {
    /// Start `program` with `args` and `env`, stdin piped.
    pub fn start(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        add_database_env(&mut cmd, program, args, env);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Wait (up to `timeout`) for a stdout line containing `needle`; returns it.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?} within {timeout:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// The child's stdin.
    pub fn stdin(&mut self) -> &mut ChildStdin {
        self.child.stdin.as_mut().expect("stdin")
    }

    /// Send SIGTERM (kill elsewhere) and wait for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
        }
        #[cfg(not(unix))]
        {
            let _ = self.child.kill();
        }
        self.wait(Duration::from_secs(15))
    }

    /// Wait for exit, killing the child after `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                // Collect the rest of stdout.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(l);
                }
                return s;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "process did not exit within {timeout:?}; saw {:?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Run a command to completion; returns (status, stdout).
pub fn run(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::ExitStatus, String) {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    add_database_env(&mut cmd, program, args, env);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Parse a JSON document printed by a command.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_codes_and_replaces_databases() {
        assert_eq!(
            super::six_digits("[dojang] 인증번호 123456 (3분)").as_deref(),
            Some("123456")
        );
        assert_eq!(super::six_digits("1234567"), None);
        assert_eq!(
            super::bank_word("… 입금자명 하늘바다. Deposited 1 won to 004 1-2, memo 하늘바다")
                .as_deref(),
            Some("하늘바다")
        );
        assert_eq!(super::bank_word("no word here"), None);
        assert_eq!(
            super::replace_database("postgres://u:p@h:5432/dojang?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
    }
}
