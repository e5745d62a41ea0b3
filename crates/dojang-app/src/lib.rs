//! The dojang authenticator: the app a person holds.
//!
//! It makes its P-256 key itself and never sends it anywhere: the server only ever sees a CSR
//! and signatures. The key is stored encrypted under a 6-digit PIN ([`keystore`]); the profile
//! directory ([`profile`]) holds the device credential and the certificate. [`DeviceApi`]
//! speaks the device API and the push WebSocket; [`Signer`] turns a request card into a CMS
//! SignedData over its token.
//!
//! The `dojang-app` binary is a thin command line over this library; the test kit and the load
//! generator use the library directly to act as many devices at once.

pub mod api;
pub mod error;
pub mod guest;
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
pub use dojang_proto::device::{CertificateRenewed, CertificateStatus};
use dojang_proto::rp::TokenType;
use time::OffsetDateTime;

pub use api::DeviceApi;
pub use error::AppError;
pub use keystore::{EncryptedKey, PinKeys, validate_pin};
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

    /// Decrypt the key with the PIN: for a version-2 key file, the server checks the PIN
    /// proof first (counting wrong ones; the fifth locks the device) and releases the unlock
    /// secret the key also needs.
    pub async fn unlock(&self, pin: &str) -> Result<Signer, AppError> {
        let pkcs8 = if self.key.needs_server() {
            let keys = PinKeys::for_file(&self.key, pin)?;
            let secret = self.api.unlock(&keys.proof()).await?;
            keys.open(&self.key, &secret)?
        } else {
            self.key.open(pin)?
        };
        let key = DeviceKey::from_pkcs8_der(&pkcs8)?;
        Ok(Signer::new(
            key,
            profile::pem_to_der(&self.profile.certificate)?,
        ))
    }

    /// Change the PIN. The server checks the current PIN (counted like an unlock), registers
    /// the new one and hands out a new unlock secret; the key is re-encrypted under both and
    /// the key file replaced atomically. A version-1 key file is re-encrypted locally.
    pub async fn change_pin(&mut self, pin: &str, new_pin: &str) -> Result<(), AppError> {
        validate_pin(new_pin)?;
        let file = if self.key.needs_server() {
            let keys = PinKeys::for_file(&self.key, pin)?;
            let secret = self.api.unlock(&keys.proof()).await?;
            let pkcs8 = keys.open(&self.key, &secret)?;
            let new_keys = PinKeys::new(new_pin)?;
            let new_secret = self
                .api
                .change_pin(&keys.proof(), &new_keys.proof())
                .await?;
            new_keys.seal(&pkcs8, &new_secret)?
        } else {
            EncryptedKey::seal(&self.key.open(pin)?, new_pin)?
        };
        profile::save(&self.dir, &self.profile, &file)?;
        self.key = file;
        Ok(())
    }

    /// Give this device's certificate up: the server checks the PIN (counted) and revokes the
    /// device and its certificate. Profiles from before PIN hardening cannot (the server has no
    /// PIN check for them): the operator revokes those.
    pub async fn revoke(&self, pin: &str) -> Result<CertificateStatus, AppError> {
        let keys = PinKeys::for_file(&self.key, pin)?;
        self.api.revoke(&keys.proof()).await
    }

    /// Renew in the certificate's last 30 days: a new key made here, certified for the same
    /// person; the old certificate is superseded. The new key is stored under the same PIN and
    /// unlock secret, and the profile updated, atomically.
    pub async fn renew(&mut self, pin: &str) -> Result<CertificateRenewed, AppError> {
        let keys = PinKeys::for_file(&self.key, pin)?;
        let secret = self.api.unlock(&keys.proof()).await?;
        let key = DeviceKey::generate();
        let csr = key.csr_der(&self.profile.holder.name)?;
        let renewed = self.api.renew(&csr, &keys.proof()).await?;
        let file = keys.seal(&key.to_pkcs8_der(), &secret)?;
        let mut profile = self.profile.clone();
        profile.certificate = renewed.certificate.clone();
        profile.serial = renewed.serial.clone();
        profile.not_after = renewed.not_after.clone();
        profile::save(&self.dir, &profile, &file)?;
        self.profile = profile;
        self.key = file;
        Ok(renewed)
    }

    /// Days until the certificate expires, when it is in its renewal window (the last 30
    /// days) or past it; `None` before that.
    pub fn renewal_due(&self, now: OffsetDateTime) -> Option<i64> {
        let not_after = OffsetDateTime::parse(
            &self.profile.not_after,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        let left = (not_after - now).whole_days();
        (left <= 30).then_some(left)
    }

    /// The key file as stored (tests inspect it).
    pub fn key_file(&self) -> &EncryptedKey {
        &self.key
    }
}

/// What a person should read when their certificate stopped working, by the revocation reason
/// (the server's [`CertificateStatus::revocation_reason`]).
pub fn explain_revocation(reason: Option<&str>) -> &'static str {
    match reason {
        Some("affiliationChanged") => {
            "Your registered name was changed (a legal name change), and this certificate names the old one: issue a new certificate (dojang-app enroll)."
        }
        Some("keyCompromise") => {
            "This certificate was revoked because its key may be in someone else's hands (a lost phone, or too many wrong PINs): issue a new certificate."
        }
        Some("superseded") => {
            "A newer certificate was issued for you (on this or another phone); this one no longer works."
        }
        Some("cessationOfOperation") => {
            "You gave this certificate up; issue a new one to sign again."
        }
        _ => {
            "The operator revoked this certificate: issue a new certificate, or ask the operator why."
        }
    }
}

/// A key made on this device for a certificate not issued yet, with the server, the person it
/// is for and, once chosen, the PIN. The key exists only in memory until
/// [`PendingKey::finish`] stores it encrypted.
#[derive(Debug)]
struct PendingKey {
    api: DeviceApi,
    holder: Holder,
    key: DeviceKey,
    pin: Option<PinKeys>,
}

impl PendingKey {
    fn new(api: DeviceApi, holder: Holder) -> Self {
        Self {
            api,
            holder,
            key: DeviceKey::generate(),
            pin: None,
        }
    }

    /// A CSR for the key naming the holder, standard base64.
    fn csr(&self) -> Result<String, AppError> {
        Ok(STANDARD.encode(self.key.csr_der(&self.holder.name)?))
    }

    /// The PIN proof to register with the server, once a PIN is set.
    fn pin_proof(&self) -> Option<String> {
        self.pin.as_ref().map(|k| STANDARD.encode(k.proof()))
    }

    fn into_device(self, completed: &EnrolmentCompleted) -> Result<(DeviceApi, Signer), AppError> {
        let certificate = profile::pem_to_der(&completed.certificate)?;
        let api = self.api.with_token(completed.device_token.clone());
        Ok((api, Signer::new(self.key, certificate)))
    }

    /// Store the key and the profile in `dir`: under the PIN and the server's unlock secret
    /// (version 2) when a PIN was set and the server registered it, else under `pin` alone.
    fn finish(
        self,
        dir: &Path,
        completed: EnrolmentCompleted,
        pin: &str,
    ) -> Result<Authenticator, AppError> {
        validate_pin(pin)?;
        let pkcs8 = self.key.to_pkcs8_der();
        let key = match (&self.pin, completed.unlock_secret.as_deref()) {
            (Some(keys), Some(secret)) => keys.seal(&pkcs8, &api::decode_secret(secret)?)?,
            _ => EncryptedKey::seal(&pkcs8, pin)?,
        };
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

/// The calls every way to a certificate shares, once its proof is accepted.
macro_rules! pending_key_calls {
    () => {
        /// Choose the PIN before the proof is sent: its proof is registered with the server,
        /// which then keeps the key's unlock secret behind a counted PIN check.
        pub fn set_pin(&mut self, pin: &str) -> Result<(), AppError> {
            self.pending.pin = Some(PinKeys::new(pin)?);
            Ok(())
        }

        /// The PIN proof [`set_pin`](Self::set_pin) registers, for a device kept in memory
        /// (the load generator unlocks with it as the phone app does at every approval).
        pub fn pin_proof_bytes(&self) -> Option<[u8; 32]> {
            self.pending.pin.as_ref().map(PinKeys::proof)
        }

        /// Keep the key in memory instead of a profile: an authenticated API client and a
        /// signer (the test kit and the load generator act as many devices this way).
        pub fn into_device(
            self,
            completed: &EnrolmentCompleted,
        ) -> Result<(DeviceApi, Signer), AppError> {
            self.pending.into_device(completed)
        }

        /// Store the key and the profile in `dir` (see [`PendingKey::finish`]).
        pub fn finish(
            self,
            dir: &Path,
            completed: EnrolmentCompleted,
            pin: &str,
        ) -> Result<Authenticator, AppError> {
            self.pending.finish(dir, completed, pin)
        }
    };
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
                    pin_proof: self.pending.pin_proof(),
                },
            )
            .await
    }

    pending_key_calls!();
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
                    pin_proof: self.pending.pin_proof(),
                },
            )
            .await
    }

    pending_key_calls!();
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
                pin_proof: self.pending.pin_proof(),
            })
            .await
    }

    pending_key_calls!();
}

/// What the request asks of the certificate's proof of identity, in words, if anything: an SMS
/// certificate cannot approve it, and the person learns before entering the PIN.
pub fn proof_needed(card: &RequestCard) -> Option<&'static str> {
    match (card.requires_beyond_phone, card.requires_verified_name) {
        (false, false) => None,
        (true, false) => Some(
            "a certificate issued with a bank-account check or at a registration desk (one issued by SMS alone cannot approve this)",
        ),
        (_, true) => Some(
            "a certificate whose name was verified: issued with a bank-account check or at a registration desk (one issued by SMS alone cannot approve this)",
        ),
    }
}

/// How to get a certificate that meets a request's bar (after the server refused one that
/// does not: `CertificateProofTooWeak`, `NameNotVerified`).
pub const STRONGER_CERTIFICATE_HELP: &str = "get a certificate issued with a bank-account check: dojang-app enroll --method bank --bank-code <3 digits> --account <number> (same name, phone and birth date; it replaces this one), then approve again before the request expires";

/// A card as text for a terminal. Every text from the server is printed through
/// [`dojang_proto::text::for_display`]: control and invisible formatting characters become
/// U+FFFD, so a relying party's title or message cannot move the cursor, erase or reorder
/// what the person reads (the server refuses them too; this holds even against a server that
/// does not). Lines of a multi-line message or text are indented under their field, so no
/// line of theirs can pass for one of the card's own (`from:`, `title:`).
pub fn card_text(card: &RequestCard, now: OffsetDateTime) -> String {
    use dojang_proto::text::{Lines, for_display};
    let one = |t: &str| for_display(t, Lines::One);
    let many = |t: &str| for_display(t, Lines::Many).replace('\n', "\n           ");
    let left = dojang_proto::datetime::parse_rfc3339(&card.expire_dt)
        .map(|t| (t - now).whole_seconds().max(0))
        .unwrap_or(0);
    let mut s = format!(
        "── request {} ({}) ──\n",
        one(&card.receipt_id),
        one(&card.kind)
    );
    s.push_str(&format!("  from:    {}", one(&card.requester)));
    match (&card.call_center_name, &card.call_center_num) {
        (Some(name), Some(num)) => s.push_str(&format!("  ({} {})", one(name), one(num))),
        (None, Some(num)) => s.push_str(&format!("  (call centre {})", one(num))),
        (Some(name), None) => s.push_str(&format!("  ({})", one(name))),
        (None, None) => {}
    }
    s.push('\n');
    s.push_str(&format!("  title:   {}\n", one(&card.req_title)));
    if let Some(m) = &card.extra_message {
        s.push_str(&format!("  message: {}\n", many(m)));
    }
    if card.documents.len() > 1 || card.kind == "multi-sign" {
        s.push_str(&format!("  signs {} documents:\n", card.documents.len()));
        for (i, d) in card.documents.iter().enumerate() {
            s.push_str(&format!(
                "    {}. [{}] {}: {}\n",
                i + 1,
                d.token_type.as_str(),
                one(&d.title),
                many(&d.token)
            ));
        }
    } else {
        match card.documents.first().map(|d| d.token_type) {
            Some(TokenType::Hash | TokenType::Pdf) => {
                s.push_str(&format!(
                    "  signs:   {} (SHA-256 {})\n",
                    one(&card.req_title),
                    one(&card.token)
                ));
            }
            Some(TokenType::Url) => {
                s.push_str(&format!(
                    "  signs:   {} (open the link to read it)\n",
                    one(&card.token)
                ));
            }
            _ => s.push_str(&format!("  signs:   {}\n", many(&card.token))),
        }
    }
    if let Some(needs) = proof_needed(card) {
        s.push_str(&format!("  needs:   {needs}\n"));
    }
    if !card.binding_choices.is_empty() {
        s.push_str(&format!(
            "  pick the number the site shows: {}\n",
            one(&card.binding_choices.join(" / "))
        ));
    }
    s.push_str(&format!(
        "  expires: {} ({left} s left)",
        one(&card.expire_dt)
    ));
    s
}
