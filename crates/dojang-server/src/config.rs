//! Configuration: one struct, read once, validated once, passed explicitly.
//!
//! Sources, strongest first: command-line flags, environment variables (`DOJANG_*`), the TOML
//! file given by `--config` / `DOJANG_CONFIG`, built-in defaults. Every key is documented in
//! `examples/dojang.toml`; unknown keys are an error, so a typo cannot be silently ignored.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dojang_core::Policy;
use serde::{Deserialize, Serialize};

/// A secret string from configuration. `Debug` and `Display` print `***`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// Everything the server reads from configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for the CA, the data key and the default SQLite database.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/dojang.db`.
    pub database_url: Secret,
    /// Largest number of database connections.
    pub database_max_connections: u32,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `tracing` filter for the logs on stderr (e.g. `info`, `dojang=debug`).
    pub log: String,
    /// Log format: `text` or `json`.
    pub log_format: LogFormat,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Request and enrolment rules.
    pub policy: PolicyConfig,
    /// The certificate authority created on first start.
    pub ca: CaConfig,
    /// How one-time codes reach phones.
    pub sms: SmsConfig,
    /// How 1-won deposits reach bank accounts (bank-account enrolment).
    pub bank: BankConfig,
    /// Development and tests only: let webhooks target private, loopback and link-local
    /// addresses, and plain `http://` URLs. Never turn on in production (it opens the server
    /// to request forgery against the internal network).
    pub insecure_allow_private_webhooks: bool,
    /// Webhook delivery.
    pub webhooks: WebhooksConfig,
    /// HTTPS, beside the plain listener.
    pub tls: TlsConfig,
    /// The hosted login page.
    pub login_page: LoginPageConfig,
    /// The admin console (`/admin`).
    pub admin: AdminConfig,
    /// The integrator test console (`/console`).
    pub console: ConsoleConfig,
    /// A PKCS#11 token (hardware security module) holding signing keys: the CA's when
    /// `[ca] key = "pkcs11:…"`.
    pub hsm: HsmSection,
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client for
    /// every per-address decision: the admin lockout, the LinkHub token IP binding
    /// ([`crate::proxy`]). Empty (the default): the TCP peer, and the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// Push to phones when no live connection is open (docs/push.md).
    pub push: PushConfig,
    /// Prometheus metrics on a separate listener (docs/operations.md).
    pub metrics: MetricsConfig,
}

/// `[metrics]`: `/metrics` (Prometheus text format), `/healthz` and `/readyz` on their own
/// address, which a firewall or the network keeps to the scraper. Off when `listen` is unset.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address of the metrics listener; port 0 picks a free port.
    pub listen: Option<SocketAddr>,
}

/// `[push]`: Web Push to the app at `/app`, and FCM / APNs for operators' native apps
/// (docs/push.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// Send Web Push (VAPID, RFC 8291) to browsers that subscribed through the app.
    pub webpush: bool,
    /// The VAPID key file (P-256, PKCS#8 PEM). Empty: `<data_dir>/keys/vapid.pem`, made at the
    /// first start (0600). Browsers' subscriptions are bound to this key: keep it.
    pub vapid_key: PathBuf,
    /// The VAPID `sub`: a `mailto:` or `https:` URI at which push services can reach the
    /// operator. Required with `webpush = true`.
    pub subject: String,
    /// Time limit of one delivery, seconds.
    pub timeout_secs: u64,
    /// Development and tests only: let subscriptions point at `http://` URLs and private,
    /// loopback and link-local addresses (a local push-service stand-in). Never in production:
    /// the endpoint comes from the device.
    pub insecure_allow_private: bool,
    /// Firebase Cloud Messaging HTTP v1, for an Android app.
    pub fcm: Option<FcmPushConfig>,
    /// APNs (token-based, HTTP/2), for an iOS app.
    pub apns: Option<ApnsPushConfig>,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            webpush: false,
            vapid_key: PathBuf::new(),
            subject: String::new(),
            timeout_secs: 10,
            insecure_allow_private: false,
            fcm: None,
            apns: None,
        }
    }
}

/// `[push.fcm]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcmPushConfig {
    /// The service account's JSON key file (project_id, client_email, private_key, token_uri).
    pub service_account: PathBuf,
    /// FCM's API base.
    #[serde(default = "fcm_api_base")]
    pub api_base: String,
}

fn fcm_api_base() -> String {
    dojang_push::fcm::DEFAULT_API_BASE.to_owned()
}

/// `[push.apns]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApnsPushConfig {
    /// The Apple developer team id.
    pub team_id: String,
    /// The key's id.
    pub key_id: String,
    /// The `.p8` key file (PKCS#8 PEM, P-256).
    pub key: PathBuf,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// `https://api.push.apple.com`, or `https://api.sandbox.push.apple.com` for development
    /// builds.
    #[serde(default = "apns_base_url")]
    pub base_url: String,
}

fn apns_base_url() -> String {
    dojang_push::apns::DEFAULT_BASE.to_owned()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./dojang-data"),
            database_url: Secret::default(),
            database_max_connections: 8,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log: "info".into(),
            log_format: LogFormat::Text,
            max_body_bytes: 1024 * 1024,
            policy: PolicyConfig::default(),
            ca: CaConfig::default(),
            sms: SmsConfig::default(),
            bank: BankConfig::default(),
            insecure_allow_private_webhooks: false,
            webhooks: WebhooksConfig::default(),
            tls: TlsConfig::default(),
            login_page: LoginPageConfig::default(),
            admin: AdminConfig::default(),
            console: ConsoleConfig::default(),
            hsm: HsmSection::default(),
            trusted_proxies: Vec::new(),
            push: PushConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// `[console]`: the integrator test console (docs/console.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Let the console add sandbox people: each gets a real certificate and a virtual
    /// authenticator inside this server that answers requests by itself. Development and demo
    /// servers only: off in production.
    pub sandbox: bool,
    /// How many sandbox people may run at once (1–100).
    pub sandbox_max_people: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            sandbox: false,
            sandbox_max_people: 20,
        }
    }
}

/// `[tls]`: serve the same routes over HTTPS on a second address. All three keys, or none.
/// Most deployments terminate TLS at a reverse proxy instead; this is for those that do not,
/// and for clients that only speak HTTPS to a fixed host (Python kakaocert, see docs/compat.md).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// Address of the HTTPS listener; port 0 picks a free port.
    pub listen: Option<SocketAddr>,
    /// PEM file: the server certificate, then any intermediates.
    pub cert: Option<PathBuf>,
    /// PEM file: the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
}

impl TlsConfig {
    /// The listener's address, certificate and key, when TLS is on.
    pub fn enabled(&self) -> Option<(SocketAddr, &Path, &Path)> {
        match (self.listen, &self.cert, &self.key) {
            (Some(l), Some(c), Some(k)) => Some((l, c, k)),
            _ => None,
        }
    }
}

/// `[login_page]`: the hosted login (`/login/{clientCode}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginPageConfig {
    /// Seconds the person has to confirm in the app (1 to `policy.max_expire_in`).
    pub expire_in_secs: u32,
    /// Other certificate providers the page offers beside dojang (`kakao`, `naver`, `pass`,
    /// `toss`), each with the URL the button leads to. Those not listed are shown greyed out.
    pub providers: Vec<LoginProvider>,
}

impl Default for LoginPageConfig {
    fn default() -> Self {
        Self {
            expire_in_secs: 300,
            providers: Vec::new(),
        }
    }
}

/// `[[login_page.providers]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginProvider {
    /// `kakao`, `naver`, `pass` or `toss`.
    pub id: String,
    /// Where its button leads (the relying party's `state` is appended).
    pub url: String,
}

/// `[admin]`: the admin console (`/admin`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// The password of the operator `admin` as an Argon2id PHC string (`$argon2id$v=19$…`),
    /// given to that account at every start. Empty: the stored one (`dojang admin operator
    /// reset-password`, or the one generated at first start into
    /// `<data_dir>/admin-initial-password`).
    pub password_hash: Secret,
}

/// `[webhooks]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Delay before the first retry, milliseconds; each further retry waits twice as long (up
    /// to an hour), with ±20 % jitter.
    pub retry_base_ms: u64,
    /// How long a delivery is retried before it is given up, hours.
    pub retry_for_hours: u64,
    /// Time limit of one POST (connect, send, answer), seconds.
    pub timeout_secs: u64,
    /// POSTs in flight at once, per server.
    pub concurrency: u32,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            retry_base_ms: 30_000,
            retry_for_hours: 24,
            timeout_secs: 10,
            concurrency: 16,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[policy]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Largest `expireIn` a relying party may ask for (1–1800).
    pub max_expire_in: u32,
    /// Seconds after signing during which verify is allowed.
    pub verify_window_secs: u64,
    /// Allowed distance of a request's `X-Dojang-Date` from the server clock, seconds.
    pub date_skew_secs: u64,
    /// Tolerance of a device's signing time, seconds.
    pub signing_time_skew_secs: u64,
    /// Validity of a one-time code, seconds.
    pub otp_ttl_secs: u64,
    /// Tries per one-time code.
    pub otp_max_attempts: u32,
    /// Enrolments one phone number may start per hour.
    pub enrolments_per_phone_per_hour: u32,
    /// Validity of the word of a 1-won deposit, seconds.
    pub bank_word_ttl_secs: u64,
    /// Tries per word.
    pub bank_word_max_attempts: u32,
    /// Bank-account checks one phone number, or one account, may start per day.
    pub bank_checks_per_day: u32,
    /// Validity of a registration-desk code, days.
    pub ra_code_ttl_days: u32,
    /// Wrong tries that burn a registration-desk reference number.
    pub ra_code_max_attempts: u32,
    /// Validity of issued certificates, days.
    pub certificate_validity_days: u32,
    /// Requests one person may receive per minute across relying parties (0 = no limit).
    pub person_requests_per_minute: u32,
    /// Development only: put the right binding code on the device's card so a scripted device
    /// (`dojang-app listen --auto-approve`) can pick it. Never turn on in production.
    pub dev_reveal_binding_code: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let p = Policy::default();
        Self {
            max_expire_in: p.max_expire_in,
            verify_window_secs: p.verify_window.as_secs(),
            date_skew_secs: p.date_skew.as_secs(),
            signing_time_skew_secs: p.signing_time_skew.as_secs(),
            otp_ttl_secs: p.otp_ttl.as_secs(),
            otp_max_attempts: p.otp_max_attempts,
            enrolments_per_phone_per_hour: p.enrolments_per_phone_per_hour,
            bank_word_ttl_secs: p.bank_word_ttl.as_secs(),
            bank_word_max_attempts: p.bank_word_max_attempts,
            bank_checks_per_day: p.bank_checks_per_day,
            ra_code_ttl_days: u32::try_from(p.ra_code_ttl.as_secs() / 86_400).unwrap_or(7),
            ra_code_max_attempts: p.ra_code_max_attempts,
            certificate_validity_days: u32::try_from(p.certificate_validity.as_secs() / 86_400)
                .unwrap_or(1095),
            person_requests_per_minute: p.person_requests_per_minute,
            dev_reveal_binding_code: false,
        }
    }
}

/// `[hsm]`: a PKCS#11 token. Its user PIN comes from `pin_file` (one line; keep it 0600) or,
/// when that is empty, from the `DOJANG_HSM_PIN` environment variable; never from this file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HsmSection {
    /// The PKCS#11 module (shared library). Default: Debian's SoftHSM2,
    /// `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The label of the initialised token to use.
    pub token: String,
    /// A file holding the token's user PIN.
    pub pin_file: PathBuf,
}

impl Default for HsmSection {
    fn default() -> Self {
        Self {
            module: PathBuf::from(dojang_hsm::SOFTHSM2_MODULE),
            token: String::new(),
            pin_file: PathBuf::new(),
        }
    }
}

/// Where `[ca] key` says the CA's key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaKeySetting {
    /// `<data_dir>/ca/ca.key`.
    File,
    /// A key in a PKCS#11 token.
    Pkcs11 {
        /// The token's label (`token=` of the URI, else `[hsm] token`).
        token: String,
        /// The key's label (`object=`).
        object: String,
    },
}

impl Config {
    /// `[ca] key` read: empty is the file key; `pkcs11:object=<label>[;token=<label>]` (RFC 7512
    /// path attributes, percent-encoded) a key in the `[hsm]` token.
    pub fn ca_key(&self) -> Result<CaKeySetting, ConfigError> {
        let k = self.ca.key.trim();
        if k.is_empty() {
            return Ok(CaKeySetting::File);
        }
        let bad = |m: &str| ConfigError(format!("ca.key: {m}"));
        let Some(rest) = k.strip_prefix("pkcs11:") else {
            return Err(bad("must be empty (a key file) or a pkcs11: URI"));
        };
        let path = rest.split('?').next().unwrap_or_default();
        let (mut object, mut token) = (None, None);
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad("each pkcs11: attribute is name=value"))?;
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| bad("a pkcs11: attribute is not UTF-8"))?
                .into_owned();
            match name {
                "object" => object = Some(value),
                "token" => token = Some(value),
                // Type and id narrow what a module would find; the label is what we use.
                "type" if value == "private" => {}
                _ => return Err(bad(&format!("unsupported pkcs11: attribute {name}"))),
            }
        }
        let object = object.ok_or_else(|| bad("a pkcs11: URI needs object=<key label>"))?;
        let token = match token {
            Some(t) => t,
            None if !self.hsm.token.is_empty() => self.hsm.token.clone(),
            None => return Err(bad("no token: set [hsm] token or token= in the URI")),
        };
        Ok(CaKeySetting::Pkcs11 { token, object })
    }

    /// The `[hsm]` section with the PIN read from `pin_file` or `DOJANG_HSM_PIN`, for `token`.
    pub fn hsm_config(&self, token: &str) -> Result<dojang_hsm::HsmConfig, ConfigError> {
        let pin = if self.hsm.pin_file.as_os_str().is_empty() {
            std::env::var("DOJANG_HSM_PIN")
                .ok()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    ConfigError(
                    "hsm: no PIN (set [hsm] pin_file or the DOJANG_HSM_PIN environment variable)"
                        .to_owned(),
                )
                })?
        } else {
            std::fs::read_to_string(&self.hsm.pin_file)
                .map_err(|e| {
                    ConfigError(format!("hsm.pin_file {}: {e}", self.hsm.pin_file.display()))
                })?
                .trim_end_matches(['\r', '\n'])
                .to_owned()
        };
        Ok(dojang_hsm::HsmConfig {
            module: self.hsm.module.clone(),
            token: token.to_owned(),
            pin: zeroize::Zeroizing::new(pin),
        })
    }
}

/// `[ca]`: used only when the CA is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaConfig {
    /// Subject CN of the root.
    pub common_name: String,
    /// Subject O of the root (also the O of every issued certificate).
    pub organization: String,
    /// Subject C, two letters.
    pub country: String,
    /// Validity of the root, years.
    pub validity_years: u32,
    /// The address relying parties reach this server at, written into every certificate as
    /// the base of its CRL, OCSP and CA-certificate URLs (`<public_url>/pki/crl`, …). Empty:
    /// `http://<listen address>`, right for one machine only.
    pub public_url: String,
    /// Where the CA's key lives. Empty (the default): a P-256 key file,
    /// `<data_dir>/ca/ca.key` (0600). `pkcs11:object=<label>` (RFC 7512, optionally
    /// `;token=<label>`): a key in the `[hsm]` token, generated there on first start and never
    /// exported; the certificate stays `<data_dir>/ca/ca.pem`.
    pub key: String,
}

impl Default for CaConfig {
    fn default() -> Self {
        let p = dojang_pki::CaProfile::default();
        Self {
            common_name: p.common_name,
            organization: p.organization,
            country: p.country,
            validity_years: p.validity_years,
            public_url: String::new(),
            key: String::new(),
        }
    }
}

impl Config {
    /// The base of the URLs written into certificates: `ca.public_url`, else
    /// `http://<listen>` (the bound address when known).
    pub fn public_url(&self, bound: Option<SocketAddr>) -> String {
        let url = self.ca.public_url.trim().trim_end_matches('/');
        if url.is_empty() {
            format!("http://{}", bound.unwrap_or(self.listen))
        } else {
            url.to_owned()
        }
    }
}

/// `[sms]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `outbox` (development: messages stay in the database, see `dojang admin outbox`) or
    /// `http` (POST to a carrier's HTTP API).
    pub gateway: SmsGatewayKind,
    /// `http`: the endpoint that accepts `{"from","to","text"}`.
    pub url: String,
    /// `http`: bearer token sent as `Authorization: Bearer …`.
    pub token: Secret,
    /// Sender number shown on the phone.
    pub sender: String,
    /// `http`: request timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            gateway: SmsGatewayKind::Outbox,
            url: String::new(),
            token: Secret::default(),
            sender: "1600-0000".into(),
            timeout_secs: 10,
        }
    }
}

/// Which SMS gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsGatewayKind {
    /// Keep messages in the database.
    Outbox,
    /// HTTP carrier API.
    Http,
}

/// `[bank]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BankConfig {
    /// `outbox` (development: deposits stay in the database, see `dojang admin outbox`) or
    /// `http` (POST to an open-banking provider's adapter).
    pub gateway: BankGatewayKind,
    /// `http`: the endpoint that accepts a deposit as JSON.
    pub url: String,
    /// `http`: bearer token sent as `Authorization: Bearer …`.
    pub token: Secret,
    /// `http`: request timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for BankConfig {
    fn default() -> Self {
        Self {
            gateway: BankGatewayKind::Outbox,
            url: String::new(),
            token: Secret::default(),
            timeout_secs: 10,
        }
    }
}

/// Which bank gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BankGatewayKind {
    /// Keep deposits in the database.
    Outbox,
    /// HTTP provider API.
    Http,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Read a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError(e.to_string()))
    }

    /// The database URL, with the SQLite default filled in.
    pub fn database_url(&self) -> String {
        if self.database_url.expose().is_empty() {
            format!("sqlite://{}", self.data_dir.join("dojang.db").display())
        } else {
            self.database_url.expose().to_owned()
        }
    }

    /// Check every value once; the domain policy comes out.
    pub fn validate(&self) -> Result<Policy, ConfigError> {
        let p = &self.policy;
        let err = |m: &str| Err(ConfigError(m.to_owned()));
        crate::proxy::TrustedProxies::parse(&self.trusted_proxies).map_err(ConfigError)?;
        if !(1..=dojang_core::settings::EXPIRE_IN_CEILING).contains(&p.max_expire_in) {
            return err("policy.max_expire_in must be between 1 and 1800");
        }
        if !(1..=p.max_expire_in).contains(&self.login_page.expire_in_secs) {
            return err("login_page.expire_in_secs must be between 1 and policy.max_expire_in");
        }
        for provider in &self.login_page.providers {
            if !["kakao", "naver", "pass", "toss"].contains(&provider.id.as_str()) {
                return err("login_page.providers: id must be kakao, naver, pass or toss");
            }
            if crate::service::login_page::check_return_url(&provider.url).is_err() {
                return err("login_page.providers: url must be an absolute https:// URL");
            }
        }
        if p.verify_window_secs == 0 || p.verify_window_secs > 86_400 {
            return err("policy.verify_window_secs must be between 1 and 86400");
        }
        if p.date_skew_secs == 0 || p.date_skew_secs > 3600 {
            return err("policy.date_skew_secs must be between 1 and 3600");
        }
        if p.signing_time_skew_secs > 3600 {
            return err("policy.signing_time_skew_secs must be at most 3600");
        }
        if !(30..=3600).contains(&p.otp_ttl_secs) {
            return err("policy.otp_ttl_secs must be between 30 and 3600");
        }
        if !(1..=10).contains(&p.otp_max_attempts) {
            return err("policy.otp_max_attempts must be between 1 and 10");
        }
        if p.enrolments_per_phone_per_hour == 0 {
            return err("policy.enrolments_per_phone_per_hour must be at least 1");
        }
        if !(60..=3600).contains(&p.bank_word_ttl_secs) {
            return err("policy.bank_word_ttl_secs must be between 60 and 3600");
        }
        if !(1..=10).contains(&p.bank_word_max_attempts) {
            return err("policy.bank_word_max_attempts must be between 1 and 10");
        }
        if p.bank_checks_per_day == 0 {
            return err("policy.bank_checks_per_day must be at least 1");
        }
        if !(1..=90).contains(&p.ra_code_ttl_days) {
            return err("policy.ra_code_ttl_days must be between 1 and 90");
        }
        if !(1..=10).contains(&p.ra_code_max_attempts) {
            return err("policy.ra_code_max_attempts must be between 1 and 10");
        }
        if !(1..=3650).contains(&p.certificate_validity_days) {
            return err("policy.certificate_validity_days must be between 1 and 3650");
        }
        if self.ca.country.len() != 2 || !self.ca.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return err("ca.country must be two upper-case letters");
        }
        if self.ca.common_name.trim().is_empty() || self.ca.organization.trim().is_empty() {
            return err("ca.common_name and ca.organization must not be empty");
        }
        if !(1..=50).contains(&self.ca.validity_years) {
            return err("ca.validity_years must be between 1 and 50");
        }
        let url = self.ca.public_url.trim();
        if !url.is_empty()
            && (!(url.starts_with("http://") || url.starts_with("https://"))
                || !url.is_ascii()
                || url
                    .chars()
                    .any(|c| c.is_whitespace() || c == '?' || c == '#'))
        {
            return err("ca.public_url must be an http:// or https:// URL without query or spaces");
        }
        if self.max_body_bytes < 1024 {
            return err("max_body_bytes must be at least 1024");
        }
        if self.database_max_connections == 0 {
            return err("database_max_connections must be at least 1");
        }
        if self.sms.gateway == SmsGatewayKind::Http && !self.sms.url.starts_with("http") {
            return err("sms.url must be an http(s) URL when sms.gateway = \"http\"");
        }
        if self.bank.gateway == BankGatewayKind::Http && !self.bank.url.starts_with("http") {
            return err("bank.url must be an http(s) URL when bank.gateway = \"http\"");
        }
        let w = &self.webhooks;
        if !(100..=3_600_000).contains(&w.retry_base_ms) {
            return err("webhooks.retry_base_ms must be between 100 and 3600000");
        }
        if !(1..=168).contains(&w.retry_for_hours) {
            return err("webhooks.retry_for_hours must be between 1 and 168");
        }
        if !(1..=60).contains(&w.timeout_secs) {
            return err("webhooks.timeout_secs must be between 1 and 60");
        }
        if !(1..=256).contains(&w.concurrency) {
            return err("webhooks.concurrency must be between 1 and 256");
        }
        if !(1..=100).contains(&self.console.sandbox_max_people) {
            return err("console.sandbox_max_people must be between 1 and 100");
        }
        let t = &self.tls;
        if t.enabled().is_none() && (t.listen.is_some() || t.cert.is_some() || t.key.is_some()) {
            return err("tls.listen, tls.cert and tls.key must be set together");
        }
        let push = &self.push;
        if push.webpush
            && !(push.subject.starts_with("mailto:") || push.subject.starts_with("https://"))
        {
            return err("push.subject must be a mailto: or https:// URI when push.webpush = true");
        }
        if !(1..=60).contains(&push.timeout_secs) {
            return err("push.timeout_secs must be between 1 and 60");
        }
        if let Some(a) = &push.apns
            && (a.team_id.is_empty() || a.key_id.is_empty() || a.topic.is_empty())
        {
            return err("push.apns needs team_id, key_id, key and topic");
        }
        let hash = self.admin.password_hash.expose();
        if !hash.is_empty() && !crate::service::admin::is_password_hash(hash) {
            return err("admin.password_hash must be an Argon2id PHC string ($argon2id$v=19$…)");
        }
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(format!(
                "database_url must start with sqlite:// or postgres:// (got {})",
                dojang_store::redact_url(&url)
            )));
        }
        Ok(Policy {
            max_expire_in: p.max_expire_in,
            verify_window: Duration::from_secs(p.verify_window_secs),
            date_skew: Duration::from_secs(p.date_skew_secs),
            signing_time_skew: Duration::from_secs(p.signing_time_skew_secs),
            otp_ttl: Duration::from_secs(p.otp_ttl_secs),
            otp_max_attempts: p.otp_max_attempts,
            enrolments_per_phone_per_hour: p.enrolments_per_phone_per_hour,
            bank_word_ttl: Duration::from_secs(p.bank_word_ttl_secs),
            bank_word_max_attempts: p.bank_word_max_attempts,
            bank_checks_per_day: p.bank_checks_per_day,
            ra_code_ttl: Duration::from_secs(u64::from(p.ra_code_ttl_days) * 86_400),
            ra_code_max_attempts: p.ra_code_max_attempts,
            certificate_validity: Duration::from_secs(
                u64::from(p.certificate_validity_days) * 86_400,
            ),
            person_requests_per_minute: p.person_requests_per_minute,
            dev_reveal_binding_code: p.dev_reveal_binding_code,
            ..Policy::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_password_hash_must_be_an_argon2_phc_string() {
        let mut c = Config::default();
        c.admin.password_hash = Secret::new("hunter2");
        assert!(c.validate().is_err());
        c.admin.password_hash =
            Secret::new(crate::service::admin::hash_password("a long enough password").unwrap());
        assert!(c.validate().is_ok());
        assert_eq!(format!("{:?}", c.admin.password_hash), "***");
        let parsed = Config::from_toml("[admin]\npassword_hash = \"\"\nnope = 1\n");
        assert!(parsed.is_err(), "unknown keys are refused");
    }

    #[test]
    fn defaults_are_valid_and_match_the_documented_ones() {
        let c = Config::default();
        assert_eq!(c.validate().unwrap(), Policy::default());
        assert_eq!(c.database_url(), "sqlite://./dojang-data/dojang.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn the_example_file_parses_to_the_defaults_and_names_every_key() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/dojang.toml");
        let text = std::fs::read_to_string(path).unwrap();
        // Every key of the example is real (deny_unknown_fields) and set to its default.
        assert_eq!(Config::from_toml(&text).unwrap(), Config::default());
        // Every key of the struct appears in the example.
        let defaults = toml::to_string(&Config::default()).unwrap();
        let table: toml::Table = toml::from_str(&defaults).unwrap();
        let mut keys = Vec::new();
        for (k, v) in &table {
            match v {
                toml::Value::Table(t) => keys.extend(t.keys().map(|s| format!("{k}.{s}"))),
                _ => keys.push(k.clone()),
            }
        }
        for key in keys {
            let leaf = key.rsplit('.').next().unwrap_or(&key);
            assert!(
                text.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{leaf} ="))),
                "examples/dojang.toml does not document {key}"
            );
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(Config::from_toml("listen_addr = \"127.0.0.1:1\"").is_err());
        assert!(Config::from_toml("[policy]\nmax_expire = 5").is_err());
        let mut c = Config::default();
        c.policy.max_expire_in = 1801;
        assert!(c.validate().is_err());
        let c = Config {
            database_url: Secret::new("mysql://x"),
            ..Config::default()
        };
        assert!(c.validate().is_err());
        let mut c = Config::default();
        c.sms.gateway = SmsGatewayKind::Http;
        assert!(c.validate().is_err());
        let mut c = Config::default();
        c.bank.gateway = BankGatewayKind::Http;
        assert!(c.validate().is_err());
        c.bank.url = "https://bank-adapter.example/deposit".into();
        assert!(c.validate().is_ok());
        let mut c = Config::default();
        c.policy.ra_code_max_attempts = 0;
        assert!(c.validate().is_err());
        let mut c = Config::default();
        c.policy.bank_word_ttl_secs = 10;
        assert!(c.validate().is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Config {
            database_url: Secret::new("postgres://u:pw@h/db"),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("pw"));
    }
}
