//! The profile directory: who this app installation belongs to, its device credential, its
//! certificate, and the PIN-encrypted key.
//!
//! ```text
//! <profile>/profile.json   server, device id and credential, holder, certificates (0600)
//! <profile>/key.json       the P-256 key, encrypted under the PIN (0600)
//! ```

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::keystore::EncryptedKey;

/// The person the certificate belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Name.
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// Birth date, YYYYMMDD.
    pub birthday: String,
}

/// `profile.json`. `Debug` hides the device credential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Format version, 1.
    pub version: u32,
    /// Server base URL.
    pub server: String,
    /// Device id.
    #[serde(rename = "deviceID")]
    pub device_id: String,
    /// Bearer credential for the device API.
    pub device_token: String,
    /// Holder.
    pub holder: Holder,
    /// Certificate, PEM.
    pub certificate: String,
    /// CA certificate, PEM.
    pub ca_certificate: String,
    /// Serial, hex.
    pub serial: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("server", &self.server)
            .field("device_id", &self.device_id)
            .field("device_token", &"***")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// `~/.dojang-app`, or `./.dojang-app` if there is no home directory.
pub fn default_dir() -> PathBuf {
    std::env::home_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".dojang-app")
}

fn profile_path(dir: &Path) -> PathBuf {
    dir.join("profile.json")
}

fn key_path(dir: &Path) -> PathBuf {
    dir.join("key.json")
}

/// Is there a profile in `dir`?
pub fn exists(dir: &Path) -> bool {
    profile_path(dir).exists()
}

/// Read the profile and the key file.
pub fn load(dir: &Path) -> Result<(Profile, EncryptedKey), AppError> {
    let read = |p: PathBuf| {
        std::fs::read_to_string(&p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AppError::Profile(format!(
                    "no profile in {} (enrol first: dojang-app enroll --server URL …)",
                    dir.display()
                ))
            } else {
                AppError::Profile(format!("{}: {e}", p.display()))
            }
        })
    };
    let profile: Profile = serde_json::from_str(&read(profile_path(dir))?)
        .map_err(|e| AppError::Profile(format!("profile.json: {e}")))?;
    let key: EncryptedKey = serde_json::from_str(&read(key_path(dir))?)
        .map_err(|e| AppError::Profile(format!("key.json: {e}")))?;
    if profile.version != 1 {
        return Err(AppError::Profile("unsupported profile version".into()));
    }
    Ok((profile, key))
}

/// Write a file readable by the owner only, atomically (temporary file, then rename).
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<(), AppError> {
    let err = |e: std::io::Error| AppError::Profile(format!("{}: {e}", path.display()));
    let tmp = path.with_extension("tmp");
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(&tmp).map_err(err)?;
    f.write_all(contents).map_err(err)?;
    f.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// Create `dir` (and parents) with mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), AppError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| AppError::Profile(format!("{}: {e}", dir.display())))
}

/// Save the profile and key into `dir` (created with mode 0700).
pub fn save(dir: &Path, profile: &Profile, key: &EncryptedKey) -> Result<(), AppError> {
    create_private_dir(dir)?;
    let err = |e: serde_json::Error| AppError::Profile(e.to_string());
    write_private(
        &key_path(dir),
        serde_json::to_string_pretty(key).map_err(err)?.as_bytes(),
    )?;
    write_private(
        &profile_path(dir),
        serde_json::to_string_pretty(profile)
            .map_err(err)?
            .as_bytes(),
    )
}

/// DER of the first certificate in a PEM text.
pub fn pem_to_der(pem: &str) -> Result<Vec<u8>, AppError> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    if body.is_empty() {
        return Err(AppError::Profile("no certificate in PEM".into()));
    }
    STANDARD
        .decode(body.trim())
        .map_err(|_| AppError::Profile("certificate PEM is not base64".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Profile {
        Profile {
            version: 1,
            server: "http://127.0.0.1:1".into(),
            device_id: "d".into(),
            device_token: "secret-token".into(),
            holder: Holder {
                name: "홍길동".into(),
                phone: "01012345678".into(),
                birthday: "19900101".into(),
            },
            certificate: "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n".into(),
            ca_certificate: String::new(),
            serial: "01".into(),
            not_after: "2029-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn saves_private_files_and_loads_them_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        assert!(!exists(&dir));
        let key = EncryptedKey::seal(b"k", "123456").unwrap();
        save(&dir, &sample(), &key).unwrap();
        assert!(exists(&dir));
        let (p, k) = load(&dir).unwrap();
        assert_eq!((p, k), (sample(), key));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in ["profile.json", "key.json"] {
                assert_eq!(
                    std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777,
                    0o600
                );
            }
            assert_eq!(
                std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
        assert!(!format!("{:?}", sample()).contains("secret-token"));
        assert_eq!(pem_to_der(&sample().certificate).unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn missing_and_broken_profiles_are_clear_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let e = load(tmp.path()).unwrap_err();
        assert!(e.to_string().contains("enrol first"), "{e}");
        std::fs::write(tmp.path().join("profile.json"), "{").unwrap();
        std::fs::write(tmp.path().join("key.json"), "{}").unwrap();
        assert!(matches!(load(tmp.path()), Err(AppError::Profile(_))));
        assert!(pem_to_der("nothing").is_err());
    }
}
