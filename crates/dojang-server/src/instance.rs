//! The data directory: the CA, the data key, and the store, opened the same way by `dojang
//! serve` and by the admin commands.
//!
//! ```text
//! <data_dir>/ca/ca.pem        the root certificate (0644)
//! <data_dir>/ca/ca.key        its P-256 key, PKCS#8 PEM (0600), unless `[ca] key` puts the
//!                             key in a PKCS#11 token (generated there, never on disk)
//! <data_dir>/ca/sandbox.pem   the test console's sandbox CA (only with `[console] sandbox`)
//! <data_dir>/ca/sandbox.key   its key (0600)
//! <data_dir>/keys/data.key    the master key for personal data at rest, base64 (0600)
//! <data_dir>/keys/vapid.pem   the Web Push VAPID key, PKCS#8 PEM (0600), with `[push]
//!                             webpush = true` and no `vapid_key` of its own
//! <data_dir>/dojang.db        the SQLite database, unless database_url points elsewhere (0600,
//!                             as are its -wal and -shm files: see `dojang_store::sqlite`)
//! ```
//!
//! The directory and its `ca/` and `keys/` are 0700: the database holds the admin password
//! hash and sealed personal data, the key files what opens them. An existing directory that
//! others may read or enter is tightened to 0700 at start, with a warning; one that is
//! world-writable or sticky (a shared directory such as /tmp, never dojang's to change) or
//! that cannot be changed (owned by someone else) stops start-up with a message saying what
//! to run.
//!
//! Files are created only if absent (`O_EXCL`), so an existing CA or key is never overwritten;
//! a CA key without its certificate (or the reverse) stops start-up with a clear message.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_pki::{CaProfile, CertificateAuthority, PublicationUrls};

use dojang_proto::paths;
use dojang_store::{DataKeys, PoolOptions, Store};
use time::OffsetDateTime;

use crate::config::{CaKeySetting, Config};

/// Why the data directory could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstanceError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Which.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The CA files are inconsistent or unreadable.
    #[error("certificate authority: {0}")]
    Ca(String),
    /// The data key file is unreadable.
    #[error("data key {path}: {reason}")]
    DataKey {
        /// Which.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A directory of the data directory is open to others and could not be made private.
    #[error("{path}: {reason}")]
    Permissions {
        /// Which.
        path: PathBuf,
        /// Why, and what to do.
        reason: String,
    },
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] dojang_store::StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InstanceError + '_ {
    move |source| InstanceError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What happened to the CA at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaOrigin {
    /// Made now.
    Created,
    /// Read from disk.
    Loaded,
}

/// An opened data directory.
#[derive(Debug)]
pub struct Instance {
    /// The CA.
    pub ca: Arc<CertificateAuthority>,
    /// Whether the CA was just created.
    pub ca_origin: CaOrigin,
    /// Path of the CA certificate.
    pub ca_cert_path: PathBuf,
    /// Where the CA key is.
    pub ca_key: CaKeyPlace,
    /// The test console's sandbox CA (`ca/sandbox.pem`, `ca/sandbox.key`), made and loaded
    /// only while `[console] sandbox` is on: it issues the sandbox people's certificates.
    pub sandbox_ca: Option<Arc<CertificateAuthority>>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The keys for personal data (also held by the store).
    pub keys: Arc<DataKeys>,
    /// The `[hsm]` token, when `[hsm] token` is set: it holds the cloud certificates' keys
    /// (issue 15). `None`: cloud certificates are refused (`CloudHsmMissing`).
    pub hsm: Option<dojang_hsm::Hsm>,
    /// The Web Push VAPID key, with `[push] webpush = true`.
    pub vapid: Option<dojang_push::webpush::VapidKey>,
}

impl Instance {
    /// Open (and on first use, initialise) the data directory and the database. `public_url`
    /// is the base of the URLs the CA writes into certificates ([`Config::public_url`]).
    pub async fn open(
        config: &Config,
        now: OffsetDateTime,
        public_url: &str,
    ) -> Result<Self, InstanceError> {
        let dir = &config.data_dir;
        create_private_dir(dir)?;
        let (ca, ca_origin, ca_cert_path, ca_key) =
            match config.ca_key().map_err(|e| InstanceError::Ca(e.0))? {
                CaKeySetting::File => {
                    let (ca, origin, cert, key) = ensure_ca(dir, config, now)?;
                    (ca, origin, cert, CaKeyPlace::File(key))
                }
                CaKeySetting::Pkcs11 { token, object } => {
                    ensure_ca_in_token(dir, config, now, &token, &object)?
                }
            };
        let ca = ca.with_urls(PublicationUrls {
            crl: format!("{public_url}{}", paths::PKI_CRL),
            ocsp: format!("{public_url}{}", paths::PKI_OCSP),
            ca_issuers: format!("{public_url}{}", paths::PKI_CA_DER),
        });
        // The sandbox CA publishes no CRL or OCSP: its certificates carry no URLs, and the
        // main CA's responder answers `unknown` for them.
        let sandbox_ca = if config.console.sandbox {
            let profile = dojang_pki::sandbox_profile(&config.ca.country);
            let (ca, _, _, _) = ensure_ca_files(dir, "sandbox", &profile, now)?;
            Some(Arc::new(ca.for_sandbox()))
        } else {
            None
        };
        let hsm = if config.hsm.token.is_empty() {
            None
        } else {
            let c = config
                .hsm_config(&config.hsm.token)
                .map_err(|e| InstanceError::Ca(e.0))?;
            Some(dojang_hsm::Hsm::open(&c).map_err(|e| InstanceError::Ca(format!("[hsm]: {e}")))?)
        };
        let keys = Arc::new(ensure_data_key(dir)?);
        let vapid = if config.push.webpush {
            Some(ensure_vapid_key(dir, &config.push.vapid_key)?)
        } else {
            None
        };
        let store = dojang_store::open(
            &config.database_url(),
            keys.clone(),
            &PoolOptions {
                max_connections: config.database_max_connections,
            },
        )
        .await?;
        Ok(Self {
            ca: Arc::new(ca),
            sandbox_ca,
            ca_origin,
            ca_cert_path,
            ca_key,
            store,
            keys,
            hsm,
            vapid,
        })
    }
}

fn create_private_dir(dir: &Path) -> Result<(), InstanceError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(io(dir))?;
    #[cfg(unix)]
    tighten_dir(dir)?;
    Ok(())
}

/// Make an existing directory 0700 if group or others have any access to it; refuse a shared
/// one (world-writable or sticky) and one whose mode cannot be changed.
#[cfg(unix)]
fn tighten_dir(dir: &Path) -> Result<(), InstanceError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir)
        .map_err(io(dir))?
        .permissions()
        .mode()
        & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let refuse = |why: String| InstanceError::Permissions {
        path: dir.to_owned(),
        reason: format!(
            "mode {mode:04o}: it holds the CA key, the data key and the database, so only dojang's \
             user may open it; {why}"
        ),
    };
    if mode & 0o1002 != 0 {
        return Err(refuse(
            "it is a shared directory (world-writable or sticky): give dojang a data_dir of its \
             own"
            .into(),
        ));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
        refuse(format!(
            "it could not be changed ({e}): run `chmod 700 {}` as its owner",
            dir.display()
        ))
    })?;
    tracing::warn!(
        path = %dir.display(),
        was = format!("{mode:04o}"),
        "data directory was readable by others; its mode is now 0700"
    );
    Ok(())
}

/// Create `path` with `contents` and `mode`, failing if it exists.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), std::io::Error> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = o.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

/// Where the CA's key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaKeyPlace {
    /// A PKCS#8 PEM file (0600).
    File(PathBuf),
    /// A key in a PKCS#11 token, by the token's and the key's labels.
    Pkcs11 {
        /// The token's label.
        token: String,
        /// The key's label.
        object: String,
    },
}

impl CaKeyPlace {
    /// The key file, if the key is one.
    #[must_use]
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::File(p) => Some(p),
            Self::Pkcs11 { .. } => None,
        }
    }
}

impl std::fmt::Display for CaKeyPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(p) => write!(f, "{} (mode 0600)", p.display()),
            Self::Pkcs11 { token, object } => write!(
                f,
                "pkcs11:token={token};object={object} (made in the token, never exported)"
            ),
        }
    }
}

/// The CA with its key in a PKCS#11 token. First start: the key is generated in the token and
/// the root certificate, signed by it, written to `<data_dir>/ca/ca.pem`. Later: the certificate
/// is read and must belong to the token's key. A `ca.key` file beside it stops start-up (two
/// keys for one CA would be a mistake to resolve by hand, never by guessing).
fn ensure_ca_in_token(
    dir: &Path,
    config: &Config,
    now: OffsetDateTime,
    token: &str,
    object: &str,
) -> Result<(CertificateAuthority, CaOrigin, PathBuf, CaKeyPlace), InstanceError> {
    let ca_dir = dir.join("ca");
    create_private_dir(&ca_dir)?;
    let cert_path = ca_dir.join("ca.pem");
    let key_path = ca_dir.join("ca.key");
    let place = CaKeyPlace::Pkcs11 {
        token: token.to_owned(),
        object: object.to_owned(),
    };
    if key_path.exists() {
        return Err(InstanceError::Ca(format!(
            "[ca] key puts the CA key in the PKCS#11 token {token:?}, but {} holds a file key: a CA has one key; remove [ca] key to keep the file key, or move {} and its certificate away to start a new CA in the token",
            key_path.display(),
            key_path.display()
        )));
    }
    let hsm_config = config
        .hsm_config(token)
        .map_err(|e| InstanceError::Ca(e.0))?;
    let hsm = dojang_hsm::Hsm::open(&hsm_config).map_err(|e| InstanceError::Ca(e.to_string()))?;
    let hsm_err = |e: dojang_hsm::HsmError| InstanceError::Ca(e.to_string());
    if cert_path.exists() {
        let key = hsm
            .find(object)
            .map_err(hsm_err)?
            .ok_or_else(|| {
                InstanceError::Ca(format!(
                    "{} exists but the token {token:?} has no key labelled {object:?}; restore the token from backup (dojang never replaces an existing CA)",
                    cert_path.display()
                ))
            })?;
        let cert = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
        let ca = CertificateAuthority::from_pem_external(&cert, Arc::new(key))
            .map_err(|e| InstanceError::Ca(format!("{} with {place}: {e}", cert_path.display())))?;
        return Ok((ca, CaOrigin::Loaded, cert_path, place));
    }
    // No certificate yet: a key made now, or one left by a start that stopped before writing
    // the certificate (or another instance creating it at this moment: the certificate is
    // claimed with O_EXCL, so exactly one is written).
    let key = match hsm.find_or_generate(object) {
        Ok((k, _)) => k,
        Err(dojang_hsm::HsmError::KeyExists(_)) => hsm
            .find(object)
            .map_err(hsm_err)?
            .ok_or_else(|| InstanceError::Ca(format!("the token lost the key {object:?}")))?,
        Err(e) => return Err(hsm_err(e)),
    };
    let profile = CaProfile {
        common_name: config.ca.common_name.clone(),
        organization: config.ca.organization.clone(),
        country: config.ca.country.clone(),
        validity_years: config.ca.validity_years,
    };
    let ca = CertificateAuthority::generate_external(&profile, now, Arc::new(key))
        .map_err(|e| InstanceError::Ca(e.to_string()))?;
    match write_new(&cert_path, ca.certificate_pem().as_bytes(), 0o644) {
        Ok(()) => Ok((ca, CaOrigin::Created, cert_path, place)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            ensure_ca_in_token(dir, config, now, token, object)
        }
        Err(e) => Err(InstanceError::Io {
            path: cert_path,
            source: e,
        }),
    }
}

fn ensure_ca(
    dir: &Path,
    config: &Config,
    now: OffsetDateTime,
) -> Result<(CertificateAuthority, CaOrigin, PathBuf, PathBuf), InstanceError> {
    let profile = CaProfile {
        common_name: config.ca.common_name.clone(),
        organization: config.ca.organization.clone(),
        country: config.ca.country.clone(),
        validity_years: config.ca.validity_years,
    };
    ensure_ca_files(dir, "ca", &profile, now)
}

/// Load `<dir>/ca/<name>.pem` and `.key`, or create them with `profile` if neither exists.
fn ensure_ca_files(
    dir: &Path,
    name: &str,
    profile: &CaProfile,
    now: OffsetDateTime,
) -> Result<(CertificateAuthority, CaOrigin, PathBuf, PathBuf), InstanceError> {
    let ca_dir = dir.join("ca");
    create_private_dir(&ca_dir)?;
    let cert_path = ca_dir.join(format!("{name}.pem"));
    let key_path = ca_dir.join(format!("{name}.key"));
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            let cert = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
            let key =
                zeroize::Zeroizing::new(std::fs::read_to_string(&key_path).map_err(io(&key_path))?);
            let ca = CertificateAuthority::from_pem(&cert, &key).map_err(|e| {
                InstanceError::Ca(format!(
                    "{} / {}: {e}",
                    cert_path.display(),
                    key_path.display()
                ))
            })?;
            Ok((ca, CaOrigin::Loaded, cert_path, key_path))
        }
        (false, false) => {
            let ca = CertificateAuthority::generate(profile, now)
                .map_err(|e| InstanceError::Ca(e.to_string()))?;
            // The key is claimed first: if another process is creating the CA at this moment,
            // exactly one of us wins and the other reads the winner's files.
            let key_pem = ca
                .private_key_pem()
                .ok_or_else(|| InstanceError::Ca("a new file CA has no key to write".to_owned()))?;
            match write_new(&key_path, key_pem.as_bytes(), 0o600) {
                Ok(()) => {
                    write_new(&cert_path, ca.certificate_pem().as_bytes(), 0o644)
                        .map_err(io(&cert_path))?;
                    Ok((ca, CaOrigin::Created, cert_path, key_path))
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    wait_for(&cert_path)?;
                    ensure_ca_files(dir, name, profile, now)
                }
                Err(e) => Err(InstanceError::Io {
                    path: key_path,
                    source: e,
                }),
            }
        }
        (true, false) => Err(InstanceError::Ca(format!(
            "{} exists but its key {} is missing; restore the key from backup (dojang never replaces an existing CA)",
            cert_path.display(),
            key_path.display()
        ))),
        (false, true) => {
            // Possibly another process between writing the key and the certificate.
            wait_for(&cert_path)?;
            ensure_ca_files(dir, name, profile, now)
        }
    }
}

fn wait_for(path: &Path) -> Result<(), InstanceError> {
    for _ in 0..50 {
        if path.exists() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(InstanceError::Ca(format!(
        "{} is missing although the CA key exists; restore it from backup (dojang never replaces an existing CA)",
        path.display()
    )))
}

/// The VAPID key: the configured file, or `<data_dir>/keys/vapid.pem`, made if absent.
fn ensure_vapid_key(
    dir: &Path,
    configured: &Path,
) -> Result<dojang_push::webpush::VapidKey, InstanceError> {
    use dojang_push::webpush::VapidKey;
    let path = if configured.as_os_str().is_empty() {
        let keys_dir = dir.join("keys");
        create_private_dir(&keys_dir)?;
        let path = keys_dir.join("vapid.pem");
        if !path.exists() {
            let pem = VapidKey::generate()
                .to_pem()
                .map_err(|e| InstanceError::Ca(format!("VAPID key: {e}")))?;
            match write_new(&path, pem.as_bytes(), 0o600) {
                Ok(()) => tracing::info!(path = %path.display(), "Web Push VAPID key created"),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(InstanceError::Io { path, source: e }),
            }
        }
        path
    } else {
        configured.to_owned()
    };
    let pem = zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(io(&path))?);
    VapidKey::from_pem(&pem).map_err(|e| InstanceError::DataKey {
        path,
        reason: e.to_string(),
    })
}

fn ensure_data_key(dir: &Path) -> Result<DataKeys, InstanceError> {
    let keys_dir = dir.join("keys");
    create_private_dir(&keys_dir)?;
    let path = keys_dir.join("data.key");
    let bad = |reason: &str| InstanceError::DataKey {
        path: path.clone(),
        reason: reason.to_owned(),
    };
    if !path.exists() {
        let master = DataKeys::generate_master()?;
        let text = zeroize::Zeroizing::new(format!("{}\n", STANDARD.encode(&*master)));
        match write_new(&path, text.as_bytes(), 0o600) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(InstanceError::Io { path, source: e }),
        }
    }
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(io(&path))?);
    let master = zeroize::Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| bad("not base64"))?,
    );
    DataKeys::from_master(&master).map_err(|e| bad(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_open_creates_private_files_and_later_opens_reuse_them() {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: tmp.path().join("d"),
            ..Config::default()
        };
        let now = OffsetDateTime::now_utc();
        let a = Instance::open(&config, now, "http://127.0.0.1:8080")
            .await
            .unwrap();
        assert_eq!(a.ca_origin, CaOrigin::Created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(a.ca_key.file().unwrap()), 0o600);
            assert_eq!(mode(&config.data_dir.join("keys/data.key")), 0o600);
            assert_eq!(mode(&config.data_dir), 0o700);
        }
        let key_before = std::fs::read(a.ca_key.file().unwrap()).unwrap();
        drop(a);
        let b = Instance::open(&config, now, "http://127.0.0.1:8080")
            .await
            .unwrap();
        assert_eq!(b.ca_origin, CaOrigin::Loaded);
        assert_eq!(std::fs::read(b.ca_key.file().unwrap()).unwrap(), key_before);
    }

    #[tokio::test]
    async fn a_certificate_without_its_key_is_refused_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: tmp.path().to_owned(),
            ..Config::default()
        };
        let a = Instance::open(&config, OffsetDateTime::now_utc(), "http://127.0.0.1:8080")
            .await
            .unwrap();
        let pem = std::fs::read(&a.ca_cert_path).unwrap();
        std::fs::remove_file(a.ca_key.file().unwrap()).unwrap();
        drop(a);
        let e = Instance::open(&config, OffsetDateTime::now_utc(), "http://127.0.0.1:8080")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
        assert_eq!(std::fs::read(tmp.path().join("ca/ca.pem")).unwrap(), pem);
    }
}
