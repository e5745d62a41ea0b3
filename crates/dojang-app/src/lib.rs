//! The dojang authenticator: the app a person holds.
//!
//! It makes its P-256 key itself and never sends it anywhere: the server only ever sees a CSR
//! and signatures. The key is stored encrypted under a 6-digit PIN ([`keystore`]); the profile
//! directory ([`profile`]) holds the device credential and the certificate. A certificate comes
//! from one of three proofs of identity: an SMS one-time code ([`Enrolment`]), a 1-won deposit
//! to the person's bank account ([`BankEnrolment`]), or a registration desk's reference number
//! and authorisation code ([`DeskEnrolment`]). [`DeviceApi`]
//! speaks the device API and the push WebSocket; [`Signer`] turns a request card into a CMS
//! SignedData over its token.
//!
//! The `dojang-app` binary is a thin command line over this library; the test kit and the load
//! generator use the library directly to act as many devices at once.

pub mod api;
pub mod error;
pub mod keystore;
pub mod profile;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_pki::DeviceKey;
use dojang_proto::device::{
    Approve, BankEnrolmentComplete, BankEnrolmentStart, BankEnrolmentStarted, EnrolmentComplete,
    EnrolmentCompleted, EnrolmentStart, EnrolmentStarted, RaEnrolment, RequestCard,
};
use dojang_proto::rp::TokenType;
use time::OffsetDateTime;

pub use api::DeviceApi;
pub use error::AppError;
pub use keystore::{EncryptedKey, validate_pin};
pub use profile::{Holder, Profile};

/// An unlocked key with its certificate.
#[derive(Debug)]
pub struct Signer {
    key: DeviceKey,
    certificate_der: Vec<u8>,
}

impl Signer {
    /// A signer from a key and the certificate issued for it.
    pub fn new(key: DeviceKey, certificate_der: Vec<u8>) -> Self {
        Self {
            key,
            certificate_der,
        }
    }

    /// Sign a card's token at `now`; returns the base64 SignedData for the approve call.
    pub fn sign(&self, card: &RequestCard, now: OffsetDateTime) -> Result<String, AppError> {
        self.sign_text(&card.token, now)
    }

    fn sign_text(&self, text: &str, now: OffsetDateTime) -> Result<String, AppError> {
        let cms = self
            .key
            .sign_cms(&self.certificate_der, text.as_bytes(), now)?;
        Ok(STANDARD.encode(cms))
    }

    /// The approve call for a card: one SignedData per document (all under the one PIN entry
    /// that unlocked this signer) and the binding code the person picked.
    pub fn approval(
        &self,
        card: &RequestCard,
        binding_code: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Approve, AppError> {
        if card.kind == "multi-sign" {
            let all = card
                .documents
                .iter()
                .map(|d| self.sign_text(&d.token, now))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Approve {
                signed_data: None,
                multi_signed_data: Some(all),
                binding_code,
            })
        } else {
            Ok(Approve {
                signed_data: Some(self.sign(card, now)?),
                multi_signed_data: None,
                binding_code,
            })
        }
    }
}

/// An enrolled authenticator.
#[derive(Debug)]
pub struct Authenticator {
    dir: PathBuf,
    profile: Profile,
    key: EncryptedKey,
    api: DeviceApi,
}

impl Authenticator {
    /// Open the profile in `dir`.
    pub fn open(dir: &Path) -> Result<Self, AppError> {
        let (profile, key) = profile::load(dir)?;
        let api = DeviceApi::new(&profile.server)?.with_token(profile.device_token.clone());
        Ok(Self {
            dir: dir.to_owned(),
            profile,
            key,
            api,
        })
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The profile directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The authenticated device API.
    pub fn api(&self) -> &DeviceApi {
        &self.api
    }

    /// Decrypt the key with the PIN.
    pub fn unlock(&self, pin: &str) -> Result<Signer, AppError> {
        let pkcs8 = self.key.open(pin)?;
        let key = DeviceKey::from_pkcs8_der(&pkcs8)?;
        Ok(Signer::new(
            key,
            profile::pem_to_der(&self.profile.certificate)?,
        ))
    }
}

/// A key made on this device for a certificate not issued yet, with the server and the person
/// it is for. The key exists only in memory until [`PendingKey::finish`] stores it encrypted.
#[derive(Debug)]
struct PendingKey {
    api: DeviceApi,
    holder: Holder,
    key: DeviceKey,
}

impl PendingKey {
    fn new(api: DeviceApi, holder: Holder) -> Self {
        Self {
            api,
            holder,
            key: DeviceKey::generate(),
        }
    }

    /// A CSR for the key naming the holder, standard base64.
    fn csr(&self) -> Result<String, AppError> {
        Ok(STANDARD.encode(self.key.csr_der(&self.holder.name)?))
    }

    fn into_device(self, completed: &EnrolmentCompleted) -> Result<(DeviceApi, Signer), AppError> {
        let certificate = profile::pem_to_der(&completed.certificate)?;
        let api = self.api.with_token(completed.device_token.clone());
        Ok((api, Signer::new(self.key, certificate)))
    }

    fn finish(
        self,
        dir: &Path,
        completed: EnrolmentCompleted,
        pin: &str,
    ) -> Result<Authenticator, AppError> {
        validate_pin(pin)?;
        let key = EncryptedKey::seal(&self.key.to_pkcs8_der(), pin)?;
        let profile = Profile {
            version: 1,
            server: self.api.server().to_owned(),
            device_id: completed.device_id,
            device_token: completed.device_token,
            holder: self.holder,
            certificate: completed.certificate,
            ca_certificate: completed.ca_certificate,
            serial: completed.serial,
            not_after: completed.not_after,
        };
        profile::save(dir, &profile, &key)?;
        Authenticator::open(dir)
    }
}

/// An enrolment by SMS one-time code, between "code sent" and "certificate issued".
#[derive(Debug)]
pub struct Enrolment {
    started: EnrolmentStarted,
    pending: PendingKey,
}

impl Enrolment {
    /// Ask `server` to send a one-time code to the holder's phone, and make the key.
    pub async fn start(server: &str, holder: Holder) -> Result<Self, AppError> {
        Self::start_with(DeviceApi::new(server)?, holder).await
    }

    /// Like [`Enrolment::start`], through an existing (unauthenticated) API client.
    pub async fn start_with(api: DeviceApi, holder: Holder) -> Result<Self, AppError> {
        let started = api
            .start_enrolment(&EnrolmentStart {
                name: Some(holder.name.clone()),
                phone: Some(holder.phone.clone()),
                birthday: Some(holder.birthday.clone()),
            })
            .await?;
        Ok(Self {
            started,
            pending: PendingKey::new(api, holder),
        })
    }

    /// What the server said when it sent the code.
    pub fn started(&self) -> &EnrolmentStarted {
        &self.started
    }

    /// Send the code and a CSR for the key. A wrong code can be retried while tries remain.
    pub async fn submit_code(&self, code: &str) -> Result<EnrolmentCompleted, AppError> {
        self.pending
            .api
            .complete_enrolment(
                &self.started.enrolment_id,
                &EnrolmentComplete {
                    code: Some(code.trim().to_owned()),
                    csr: Some(self.pending.csr()?),
                },
            )
            .await
    }

    /// Keep the key in memory instead of a profile: an authenticated API client and a signer
    /// (the test kit and the load generator act as many devices this way).
    pub fn into_device(
        self,
        completed: &EnrolmentCompleted,
    ) -> Result<(DeviceApi, Signer), AppError> {
        self.pending.into_device(completed)
    }

    /// Store the key under `pin` and the profile in `dir`.
    pub fn finish(
        self,
        dir: &Path,
        completed: EnrolmentCompleted,
        pin: &str,
    ) -> Result<Authenticator, AppError> {
        self.pending.finish(dir, completed, pin)
    }
}

/// An enrolment by bank-account ownership, between "1 won deposited" and "certificate issued".
#[derive(Debug)]
pub struct BankEnrolment {
    started: BankEnrolmentStarted,
    pending: PendingKey,
}

impl BankEnrolment {
    /// Ask `server` to deposit 1 won with a word into the holder's account, and make the key.
    pub async fn start(
        server: &str,
        holder: Holder,
        bank_code: &str,
        account: &str,
    ) -> Result<Self, AppError> {
        let api = DeviceApi::new(server)?;
        let started = api
            .start_bank_enrolment(&BankEnrolmentStart {
                name: Some(holder.name.clone()),
                phone: Some(holder.phone.clone()),
                birthday: Some(holder.birthday.clone()),
                bank_code: Some(bank_code.to_owned()),
                bank_account_num: Some(account.to_owned()),
            })
            .await?;
        Ok(Self {
            started,
            pending: PendingKey::new(api, holder),
        })
    }

    /// What the server said when it deposited.
    pub fn started(&self) -> &BankEnrolmentStarted {
        &self.started
    }

    /// Send the word the deposit showed and a CSR for the key. A wrong word can be retried
    /// while tries remain.
    pub async fn submit_word(&self, word: &str) -> Result<EnrolmentCompleted, AppError> {
        self.pending
            .api
            .complete_bank_enrolment(
                &self.started.enrolment_id,
                &BankEnrolmentComplete {
                    word: Some(word.trim().to_owned()),
                    csr: Some(self.pending.csr()?),
                },
            )
            .await
    }

    /// Keep the key in memory instead of a profile (see [`Enrolment::into_device`]).
    pub fn into_device(
        self,
        completed: &EnrolmentCompleted,
    ) -> Result<(DeviceApi, Signer), AppError> {
        self.pending.into_device(completed)
    }

    /// Store the key under `pin` and the profile in `dir`.
    pub fn finish(
        self,
        dir: &Path,
        completed: EnrolmentCompleted,
        pin: &str,
    ) -> Result<Authenticator, AppError> {
        self.pending.finish(dir, completed, pin)
    }
}

/// An enrolment with a registration desk's reference number (참조번호) and authorisation code
/// (인가코드): one call, no SMS.
#[derive(Debug)]
pub struct DeskEnrolment {
    pending: PendingKey,
}

impl DeskEnrolment {
    /// Make the key for the holder (nothing is sent yet).
    pub fn new(server: &str, holder: Holder) -> Result<Self, AppError> {
        Ok(Self {
            pending: PendingKey::new(DeviceApi::new(server)?, holder),
        })
    }

    /// Send the reference number, the code, the holder's details and a CSR for the key.
    pub async fn submit(
        &self,
        ref_num: &str,
        auth_code: &str,
    ) -> Result<EnrolmentCompleted, AppError> {
        let h = &self.pending.holder;
        self.pending
            .api
            .ra_enrolment(&RaEnrolment {
                ref_num: Some(ref_num.trim().to_owned()),
                auth_code: Some(auth_code.trim().to_owned()),
                name: Some(h.name.clone()),
                phone: Some(h.phone.clone()),
                birthday: Some(h.birthday.clone()),
                csr: Some(self.pending.csr()?),
            })
            .await
    }

    /// Keep the key in memory instead of a profile (see [`Enrolment::into_device`]).
    pub fn into_device(
        self,
        completed: &EnrolmentCompleted,
    ) -> Result<(DeviceApi, Signer), AppError> {
        self.pending.into_device(completed)
    }

    /// Store the key under `pin` and the profile in `dir`.
    pub fn finish(
        self,
        dir: &Path,
        completed: EnrolmentCompleted,
        pin: &str,
    ) -> Result<Authenticator, AppError> {
        self.pending.finish(dir, completed, pin)
    }
}

/// A card as text for a terminal.
pub fn card_text(card: &RequestCard, now: OffsetDateTime) -> String {
    let left = dojang_proto::datetime::parse_rfc3339(&card.expire_dt)
        .map(|t| (t - now).whole_seconds().max(0))
        .unwrap_or(0);
    let mut s = format!("── request {} ({}) ──\n", card.receipt_id, card.kind);
    s.push_str(&format!("  from:    {}", card.requester));
    if let Some(c) = &card.call_center_num {
        s.push_str(&format!("  (call centre {c})"));
    }
    s.push('\n');
    s.push_str(&format!("  title:   {}\n", card.req_title));
    if let Some(m) = &card.extra_message {
        s.push_str(&format!("  message: {m}\n"));
    }
    if card.documents.len() > 1 || card.kind == "multi-sign" {
        s.push_str(&format!("  signs {} documents:\n", card.documents.len()));
        for (i, d) in card.documents.iter().enumerate() {
            s.push_str(&format!(
                "    {}. [{}] {}: {}\n",
                i + 1,
                d.token_type.as_str(),
                d.title,
                d.token
            ));
        }
    } else {
        match card.documents.first().map(|d| d.token_type) {
            Some(TokenType::Hash | TokenType::Pdf) => {
                s.push_str(&format!(
                    "  signs:   {} (SHA-256 {})\n",
                    card.req_title, card.token
                ));
            }
            Some(TokenType::Url) => {
                s.push_str(&format!(
                    "  signs:   {} (open the link to read it)\n",
                    card.token
                ));
            }
            _ => s.push_str(&format!("  signs:   {}\n", card.token)),
        }
    }
    if !card.binding_choices.is_empty() {
        s.push_str(&format!(
            "  pick the number the site shows: {}\n",
            card.binding_choices.join(" / ")
        ));
    }
    s.push_str(&format!("  expires: {} ({left} s left)", card.expire_dt));
    s
}
