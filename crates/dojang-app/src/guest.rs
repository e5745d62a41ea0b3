//! A login without a certificate: the phone check alone registers this app installation for a
//! person, so requests for them reach it before they hold a certificate; the app then issues one
//! inside the first request (by SMS when the request allows it, else by a stronger proof).
//!
//! ```text
//! <profile>/login.json   server, device id and credential, holder (0600), until a
//!                        certificate replaces it with profile.json and key.json
//! ```

use std::path::{Path, PathBuf};

use dojang_proto::device::{EnrolmentStart, EnrolmentStarted, LoggedIn, LoginComplete};
use serde::{Deserialize, Serialize};

use crate::api::DeviceApi;
use crate::error::AppError;
use crate::profile::{self, Holder};

/// `login.json`. `Debug` hides the device credential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestProfile {
    /// Server base URL.
    pub server: String,
    /// Device id.
    #[serde(rename = "deviceID")]
    pub device_id: String,
    /// Bearer credential for the device API.
    pub device_token: String,
    /// Whose phone was checked.
    pub holder: Holder,
}

impl std::fmt::Debug for GuestProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestProfile")
            .field("server", &self.server)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

fn path(dir: &Path) -> PathBuf {
    dir.join("login.json")
}

impl GuestProfile {
    /// Whether `dir` holds a login (and no certificate yet).
    pub fn exists(dir: &Path) -> bool {
        path(dir).exists() && !profile::exists(dir)
    }

    /// Read `login.json`.
    pub fn load(dir: &Path) -> Result<Self, AppError> {
        let text = std::fs::read_to_string(path(dir))
            .map_err(|e| AppError::Profile(format!("login.json: {e}")))?;
        serde_json::from_str(&text).map_err(|e| AppError::Profile(format!("login.json: {e}")))
    }

    /// Write `login.json` (mode 0600, in a 0700 directory).
    pub fn save(&self, dir: &Path) -> Result<(), AppError> {
        profile::create_private_dir(dir)?;
        let json =
            serde_json::to_string_pretty(self).map_err(|e| AppError::Profile(e.to_string()))?;
        profile::write_private(&path(dir), json.as_bytes())
    }

    /// Forget the login (a certificate replaced it).
    pub fn remove(dir: &Path) -> Result<(), AppError> {
        match std::fs::remove_file(path(dir)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AppError::Profile(format!("login.json: {e}"))),
        }
    }

    /// The authenticated device API.
    pub fn api(&self) -> Result<DeviceApi, AppError> {
        Ok(DeviceApi::new(&self.server)?.with_token(self.device_token.clone()))
    }
}

/// A login between "code sent" and "device registered".
#[derive(Debug)]
pub struct Login {
    api: DeviceApi,
    started: EnrolmentStarted,
    holder: Holder,
}

impl Login {
    /// Ask `server` to send a one-time code to the holder's phone.
    pub async fn start(server: &str, holder: Holder) -> Result<Self, AppError> {
        let api = DeviceApi::new(server)?;
        let started = api
            .start_enrolment(&EnrolmentStart {
                name: Some(holder.name.clone()),
                phone: Some(holder.phone.clone()),
                birthday: Some(holder.birthday.clone()),
            })
            .await?;
        Ok(Self {
            api,
            started,
            holder,
        })
    }

    /// What the server said when it sent the code.
    pub fn started(&self) -> &EnrolmentStarted {
        &self.started
    }

    /// Send the code: the device is registered; the login is saved in `dir`.
    pub async fn complete(
        &self,
        dir: &Path,
        code: &str,
    ) -> Result<(GuestProfile, LoggedIn), AppError> {
        let done = self
            .api
            .complete_login(
                &self.started.enrolment_id,
                &LoginComplete {
                    code: Some(code.trim().to_owned()),
                },
            )
            .await?;
        let guest = GuestProfile {
            server: self.api.server().to_owned(),
            device_id: done.device_id.clone(),
            device_token: done.device_token.clone(),
            holder: self.holder.clone(),
        };
        guest.save(dir)?;
        Ok((guest, done))
    }
}
