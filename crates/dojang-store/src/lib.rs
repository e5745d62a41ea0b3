//! Storage for dojang: the one crate that knows SQL.
//!
//! [`Store`] is the trait the server uses; [`open`] picks a backend by the URL's scheme:
//! SQLite (the embedded default: one connection on a dedicated thread that drains its queue in
//! batches, see `sqlite/executor.rs`) or PostgreSQL (the scale-out store, through sqlx's pool).
//! Both run the very same SQL text (`queries.rs`), write the same sealed values (`rows.rs`), and
//! pass the same conformance suite. Each backend has its own migrations folder with parallel
//! numbering, applied at start-up and never edited once released.
//!
//! Rules this crate keeps:
//! * personal data (names, phone numbers, birth dates, tokens, signed data, certificates) is
//!   encrypted before it reaches the database, and rows are found through keyed hashes
//!   ([`DataKeys`]);
//! * every state change of a request is one conditional `UPDATE … WHERE state = …`, so two racing
//!   callers cannot both succeed (verify happens once even under concurrency);
//! * domain types come in and go out; row types stay private.
//!
//! It never decides policy (that is `dojang-core`) and never speaks HTTP.

use std::sync::Arc;

use async_trait::async_trait;
use dojang_core::bank::{AccountNumber, BankCheck, BankCode};
use dojang_core::enrolment::Enrolment;
use dojang_core::registration::{RaCode, ReferenceNumber};
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Device, DeviceId, EnrolmentId, IdentityProof, Member,
    MemberId, OutboxMessage, Phone, ReceiptId, RelyingParty, Request, RequestKind,
    RevokedCertificate,
};
use time::OffsetDateTime;

pub mod backup;
mod cloud;
mod keys;
mod login_page;
mod postgres;
mod push;
mod queries;
mod rows;
mod sqlite;
mod webhook;

pub use cloud::{
    BrowserAdded, CloudAlt, CloudAsk, CloudBrowser, CloudCode, CloudDevice, CloudParty,
    CloudPinFailure, CloudUse, NewCloud,
};
pub use keys::DataKeys;
pub use login_page::{Consent, LoginSession, LoginTexts};
pub use push::PushSubscription;
pub use webhook::{AfterAttempt, Attempt, Delivery, DeliveryState, NewDelivery, Webhook};

/// Which database is behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (the default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A unique key already exists (the field named).
    #[error("already exists: {0}")]
    Conflict(&'static str),
    /// A stored value could not be decrypted or decoded: wrong data key or corruption.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The data key is unusable or the random generator failed.
    #[error("data key problem: {0}")]
    Key(String),
    /// The database URL names no supported backend.
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// The database failed or is unreachable (PostgreSQL, and SQLite migrations).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database cannot take work now (its thread stopped, a lock was held too long, a batch
    /// could not commit).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// True when the database is unreachable or saturated (a retry later may work), as opposed
    /// to a bug or corrupt data.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(e) => matches!(
                e,
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            ),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            _ => false,
        }
    }
}

/// A member for [`Store::complete_enrolment`]: a new one to insert, or one that exists.
#[derive(Debug, Clone)]
pub enum MemberChoice {
    /// Insert this member.
    New(Member),
    /// The member already exists.
    Existing(MemberId),
}

/// The proof of identity an enrolment closes when it issues the certificate, in the same
/// transaction: each proof ends in at most one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// An SMS one-time code: the enrolment.
    Sms(EnrolmentId),
    /// A bank-account check (1-won deposit): the check.
    Bank(EnrolmentId),
    /// A registration-desk code: its reference number. Closed only while neither used,
    /// cancelled nor expired; it records the certificate's serial.
    Desk(ReferenceNumber),
    /// A relying party's alternative authentication (cloud certificates only): its
    /// transaction id. Closed only while unused and unexpired.
    Alt(String),
}

impl Proof {
    /// What this proof says of the certificate it issues; the store records this, whatever the
    /// caller put in [`CertificateRecord::proof`].
    pub fn identity(&self) -> IdentityProof {
        match self {
            Proof::Sms(_) => IdentityProof::Sms,
            Proof::Bank(_) => IdentityProof::Bank,
            Proof::Desk(_) => IdentityProof::Desk,
            Proof::Alt(_) => IdentityProof::Alt,
        }
    }
}

/// Everything an enrolment produces, written in one transaction.
#[derive(Debug, Clone)]
pub struct CompletedEnrolment {
    /// The proof of identity to close.
    pub proof: Proof,
    /// The member.
    pub member: MemberChoice,
    /// The new device.
    pub device: Device,
    /// The issued certificate.
    pub certificate: CertificateRecord,
    /// The device's PIN check, when the app registered one.
    pub pin: Option<NewDevicePin>,
    /// A cloud certificate's parts (the device is then of kind `cloud`).
    pub cloud: Option<NewCloud>,
    /// When.
    pub now: OffsetDateTime,
}

/// A phone check that registers a device without a certificate ("login").
#[derive(Debug, Clone)]
pub struct CompletedLogin {
    /// The enrolment to close.
    pub enrolment_id: EnrolmentId,
    /// The member.
    pub member: MemberChoice,
    /// The new device.
    pub device: Device,
    /// When.
    pub now: OffsetDateTime,
}

/// A device's PIN check as registered: the verifier (a keyed hash of the app's PIN proof) and
/// the secret released to the right proof.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDevicePin {
    /// Keyed HMAC of the PIN proof.
    pub verifier: Vec<u8>,
    /// 32 random bytes; sealed at rest.
    pub unlock_secret: Vec<u8>,
}

impl std::fmt::Debug for NewDevicePin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewDevicePin { .. }")
    }
}

/// A device's biometric (WebAuthn platform) credential, as registered with its PIN proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceBiometric {
    /// The credential id the authenticator chose.
    pub credential_id: Vec<u8>,
    /// The credential's public key: an uncompressed SEC1 P-256 point (65 bytes).
    pub public_key: Vec<u8>,
    /// The authenticator's signature counter at the last assertion (0: it keeps none).
    pub sign_count: u32,
    /// When it was registered.
    pub created_at: OffsetDateTime,
}

/// A biometric unlock challenge as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiometricChallenge {
    /// The device it was issued to.
    pub device: DeviceId,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
    /// Whether an assertion used it already.
    pub used: bool,
}

/// A device's PIN check as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePin {
    /// Keyed HMAC of the PIN proof.
    pub verifier: Vec<u8>,
    /// Released to the right proof.
    pub unlock_secret: Vec<u8>,
    /// Wrong proofs since the last right one.
    pub failures: u32,
    /// Set when too many wrong proofs locked the device.
    pub locked_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for DevicePin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevicePin")
            .field("failures", &self.failures)
            .field("locked_at", &self.locked_at)
            .finish_non_exhaustive()
    }
}

/// Failed attempts counted in a window ([`Store::failures`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    /// How many.
    pub count: u64,
    /// The first and the last of them (`None` when there are none).
    pub first: Option<OffsetDateTime>,
    /// The last of them.
    pub last: Option<OffsetDateTime>,
}

impl Failures {
    /// From `COUNT(*)`, `MIN(at)` and `MAX(at)` in Unix milliseconds.
    pub(crate) fn from_row(count: i64, first: i64, last: i64) -> Result<Self, StoreError> {
        if count <= 0 {
            return Ok(Self::default());
        }
        Ok(Self {
            count: u64::try_from(count).unwrap_or(0),
            first: Some(rows::from_ms(first)?),
            last: Some(rows::from_ms(last)?),
        })
    }
}

/// What one wrong PIN proof did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinFailure {
    /// Counted; this many wrong proofs in a row so far.
    Counted(u32),
    /// This one reached the limit: the device is locked now, and its certificates revoked
    /// (reason keyCompromise).
    LockedNow,
    /// The device was locked already, or has no PIN check: nothing changed.
    Unchanged,
}

/// A waiting request with the requester's display name, as the app lists them.
#[derive(Debug, Clone)]
pub struct WaitingRequest {
    /// The request.
    pub request: Request,
    /// The relying party's name.
    pub requester: String,
}

/// An idempotent create call: the key, the SHA-256 of the body, and how far back a stored
/// request with the same key counts.
#[derive(Debug, Clone)]
pub struct IdempotencyCheck {
    /// The `Idempotency-Key` header.
    pub key: String,
    /// SHA-256 of the raw body.
    pub body_hash: Vec<u8>,
    /// Requests with this key accepted at or after this time are replayed.
    pub since: OffsetDateTime,
}

/// The checks [`Store::create_request`] runs with the insert, atomically per person.
#[derive(Debug, Clone, Default)]
pub struct CreateGuard {
    /// Replay a recent request with the same key instead of inserting.
    pub idempotency: Option<IdempotencyCheck>,
    /// At most this many requests for the person since this time (across relying parties).
    pub per_person: Option<(u32, OffsetDateTime)>,
    /// The signed call was seen before ([`Store::remember_request_signature`]): it may only
    /// replay the request its `Idempotency-Key` made, never insert one
    /// ([`Created::SignatureReused`]).
    pub replay_only: bool,
}

/// What [`Store::create_request`] did.
#[derive(Debug, Clone)]
pub enum Created {
    /// The request was inserted.
    Inserted,
    /// A request with the same idempotency key and body exists: it, not a new one.
    Replayed(Box<Request>),
    /// The idempotency key was used with a different body.
    KeyReused,
    /// A signed call seen before ([`CreateGuard::replay_only`]) matched no request to replay.
    SignatureReused,
    /// The person already has a waiting request from this relying party.
    InProgress,
    /// The person received too many requests recently; the oldest counted was at this time.
    RateLimited {
        /// When the oldest request of the window was made.
        oldest: OffsetDateTime,
    },
}

/// An alias of a relying party (`subClientID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The relying party.
    pub client_code: ClientCode,
    /// The id requests name.
    pub sub_client_id: String,
    /// The name the app shows.
    pub name: String,
    /// When it was registered.
    pub created_at: OffsetDateTime,
}

/// A session of the admin console as stored: the keyed hash of its token (the cookie holds the
/// token; the database never does), when it began, when it was last used, and when it ends
/// whatever happens (the absolute expiry).
#[derive(Clone, PartialEq, Eq)]
pub struct AdminSession {
    /// Keyed hash of the session token.
    pub token_hash: Vec<u8>,
    /// The operator it belongs to.
    pub operator_id: i64,
    /// Half a session: the password was right, the second factor is still to come.
    pub pending_totp: bool,
    /// When the operator logged in.
    pub created_at: OffsetDateTime,
    /// The last request made with it (the idle expiry counts from here).
    pub last_seen_at: OffsetDateTime,
    /// The absolute expiry.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for AdminSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSession")
            .field("operator_id", &self.operator_id)
            .field("pending_totp", &self.pending_totp)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What an operator may do in the admin console (docs/admin.md has the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorRole {
    /// Everything, operators included.
    Administrator,
    /// The registration desk: people and certificates to read, desk codes to issue.
    Desk,
    /// Read-only support: every page and the audit log, no change.
    Support,
}

impl OperatorRole {
    /// Every role.
    pub const ALL: [Self; 3] = [Self::Administrator, Self::Desk, Self::Support];

    /// The stored and typed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Desk => "desk",
            Self::Support => "support",
        }
    }

    /// The role of a name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A named operator account of the admin console.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Its id (never reused: operators are disabled, not deleted).
    pub id: i64,
    /// The login name, unique.
    pub login: String,
    /// The name shown in the console and the audit log.
    pub display_name: String,
    /// What it may do.
    pub role: OperatorRole,
    /// The password as an Argon2id PHC string.
    pub password_hash: String,
    /// The TOTP secret (stored sealed), if one was made.
    pub totp_secret: Option<Vec<u8>>,
    /// When the operator confirmed the TOTP secret with a code; before that it is not active.
    pub totp_confirmed_at: Option<OffsetDateTime>,
    /// The last TOTP time step accepted (a code is accepted once).
    pub totp_last_step: i64,
    /// When it was disabled; `None`: enabled.
    pub disabled_at: Option<OffsetDateTime>,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorRecord")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("role", &self.role)
            .field("totp_confirmed_at", &self.totp_confirmed_at)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// A new operator account.
#[derive(Clone)]
pub struct NewOperator {
    /// The login name.
    pub login: String,
    /// The name shown.
    pub display_name: String,
    /// What it may do.
    pub role: OperatorRole,
    /// The password as an Argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for NewOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOperator")
            .field("login", &self.login)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// One entry of the append-only audit log. `before`/`after` are JSON texts that never hold a
/// secret (the callers build them from what is safe to show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its id (assigned by the store; 0 in a new entry).
    pub id: i64,
    /// When.
    pub at: OffsetDateTime,
    /// The operator's id; `None` for the command line or an unknown login name.
    pub operator_id: Option<i64>,
    /// The operator's login name at that moment (`cli:<user>` for the command line).
    pub operator_login: String,
    /// The operator's role at that moment (empty when there was none).
    pub role: String,
    /// Where from: the client address, or `cli`.
    pub source: String,
    /// What: a stable name such as `rp.rotate_key`.
    pub action: String,
    /// On what: a client code, a serial, a login name… (may be empty).
    pub target: String,
    /// The state before, as JSON.
    pub before: Option<String>,
    /// The state after, as JSON.
    pub after: Option<String>,
    /// `ok` or `refused`.
    pub outcome: String,
}

/// Which audit entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this operator login.
    pub operator: Option<String>,
    /// Only actions starting with this.
    pub action_prefix: Option<String>,
    /// Only at or after this.
    pub since: Option<OffsetDateTime>,
    /// Only before this.
    pub until: Option<OffsetDateTime>,
}

/// Certificates of one state, for the admin console's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateFilter {
    /// Every certificate.
    All,
    /// Neither revoked nor past its validity.
    Active,
    /// Revoked (for any reason, superseded included).
    Revoked,
    /// Not revoked, past its validity.
    Expired,
}

impl CertificateFilter {
    pub(crate) fn code(self) -> i32 {
        match self {
            Self::All => 0,
            Self::Active => 1,
            Self::Revoked => 2,
            Self::Expired => 3,
        }
    }
}

/// Which requests the admin console lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only this relying party's.
    pub client_code: Option<ClientCode>,
    /// Only those in this state (expiry derived from the time given with the filter).
    pub state: Option<dojang_core::RequestState>,
}

/// How many requests were made on one day (Korean time) that are now in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    /// The day, in Korea's time zone (UTC+9).
    pub day: time::Date,
    /// The state (expiry derived).
    pub state: dojang_core::RequestState,
    /// How many.
    pub count: u64,
}

/// How busy the database side is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections (SQLite: the executor's one).
    pub connections: u32,
    /// Of those, idle ones (PostgreSQL's pool).
    pub idle: u32,
    /// Jobs waiting for the SQLite executor's thread (0 on PostgreSQL, whose waits are inside
    /// the pool).
    pub queued: u64,
}

/// Versions in `known` (a build's migrations) that are not in `applied` (the database's).
pub fn missing_migrations(known: impl Iterator<Item = i64>, applied: &[i64]) -> Vec<i64> {
    known.filter(|v| !applied.contains(v)).collect()
}

/// The storage operations of dojang. Methods that change a request's state return `false` when
/// the row was not in the state the change requires (the caller re-reads to say why).
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Which backend this is.
    fn backend(&self) -> Backend;
    /// Round trip to the database.
    async fn ping(&self) -> Result<(), StoreError>;
    /// The database side's load now, for `/metrics`.
    fn pool_stats(&self) -> PoolStats;
    /// The migrations this build applies that the database has not recorded as applied, by
    /// version (empty when the schema is current), for `/readyz`.
    async fn migrations_missing(&self) -> Result<Vec<i64>, StoreError>;

    /// Register a relying party. [`StoreError::Conflict`] if the client code or LinkID exists.
    async fn insert_relying_party(&self, rp: &RelyingParty) -> Result<(), StoreError>;
    /// Find a relying party by LinkID.
    async fn relying_party_by_link_id(
        &self,
        link_id: &str,
    ) -> Result<Option<RelyingParty>, StoreError>;
    /// Find a relying party by client code.
    async fn relying_party(&self, code: &ClientCode) -> Result<Option<RelyingParty>, StoreError>;
    /// All relying parties, by client code.
    async fn relying_parties(&self) -> Result<Vec<RelyingParty>, StoreError>;

    /// A member by id.
    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError>;
    /// A member by phone and birth date (through the keyed lookup).
    async fn member_by_phone_birthday(
        &self,
        phone: &Phone,
        birthday: &Birthday,
    ) -> Result<Option<Member>, StoreError>;

    /// Record a started enrolment.
    async fn insert_enrolment(&self, e: &Enrolment, now: OffsetDateTime) -> Result<(), StoreError>;
    /// How many enrolments were started for this phone since `since`.
    async fn enrolments_since(
        &self,
        phone: &Phone,
        since: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// An enrolment by id.
    async fn enrolment(&self, id: EnrolmentId) -> Result<Option<Enrolment>, StoreError>;
    /// Count one code attempt, atomically, unless the enrolment is completed or has used
    /// `max_attempts` already. Returns the enrolment after counting, or `None` if nothing was
    /// counted.
    async fn count_code_attempt(
        &self,
        id: EnrolmentId,
        max_attempts: u32,
    ) -> Result<Option<Enrolment>, StoreError>;
    /// Close an enrolment's proof of identity: insert the member if new, supersede the
    /// member's earlier devices and certificates, insert the device and certificate. `false` if
    /// the proof was already closed (or, for a registration-desk code, cancelled or expired):
    /// nothing written.
    async fn complete_enrolment(&self, c: &CompletedEnrolment) -> Result<bool, StoreError>;

    /// Close an enrolment as a login: insert the member if new, supersede their earlier
    /// devices that hold no active certificate, insert the device. `false` if the enrolment was
    /// already completed (nothing written).
    async fn complete_login(&self, c: &CompletedLogin) -> Result<bool, StoreError>;
    /// Whether the member holds a certificate that is neither revoked nor expired at `now`.
    async fn has_active_certificate(
        &self,
        member: MemberId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Record a started bank-account check.
    async fn insert_bank_check(&self, c: &BankCheck, now: OffsetDateTime)
    -> Result<(), StoreError>;
    /// How many bank-account checks were started since `since` for this phone number, and for
    /// this account (the bank and the account's digits).
    async fn bank_checks_since(
        &self,
        phone: &Phone,
        bank: &BankCode,
        account: &AccountNumber,
        since: OffsetDateTime,
    ) -> Result<(u64, u64), StoreError>;
    /// A bank-account check by id.
    async fn bank_check(&self, id: EnrolmentId) -> Result<Option<BankCheck>, StoreError>;
    /// Count one word tried, atomically, unless the check is completed or has used
    /// `max_attempts` already. Returns the check after counting, or `None` if nothing was
    /// counted.
    async fn count_bank_attempt(
        &self,
        id: EnrolmentId,
        max_attempts: u32,
    ) -> Result<Option<BankCheck>, StoreError>;

    /// Record a registration-desk code. [`StoreError::Conflict`] if the reference number exists.
    async fn insert_ra_code(&self, c: &RaCode) -> Result<(), StoreError>;
    /// A registration-desk code by reference number.
    async fn ra_code(&self, reference: &ReferenceNumber) -> Result<Option<RaCode>, StoreError>;
    /// Count one try, atomically, unless the code is used, cancelled, or has used
    /// `max_attempts` already. Returns the code after counting, or `None` if nothing was
    /// counted.
    async fn count_ra_attempt(
        &self,
        reference: &ReferenceNumber,
        max_attempts: u32,
    ) -> Result<Option<RaCode>, StoreError>;
    /// Registration-desk codes, newest first, optionally of one phone number.
    async fn ra_codes(&self, phone: Option<&Phone>, limit: u32) -> Result<Vec<RaCode>, StoreError>;
    /// Cancel a code that is neither used nor cancelled: the code afterwards, or `None`.
    async fn cancel_ra_code(
        &self,
        reference: &ReferenceNumber,
        now: OffsetDateTime,
    ) -> Result<Option<RaCode>, StoreError>;

    /// A device by id.
    async fn device(&self, id: DeviceId) -> Result<Option<Device>, StoreError>;
    /// A device's PIN check, if it has one.
    async fn device_pin(&self, id: DeviceId) -> Result<Option<DevicePin>, StoreError>;
    /// A right PIN proof: the failure count starts again (unless the device is locked).
    async fn pin_succeeded(&self, id: DeviceId, now: OffsetDateTime) -> Result<bool, StoreError>;
    /// A wrong PIN proof, counted atomically; the `max`-th in a row locks the device, revokes
    /// it and revokes its certificates, all at once.
    async fn pin_failed(
        &self,
        id: DeviceId,
        max: u32,
        now: OffsetDateTime,
    ) -> Result<PinFailure, StoreError>;
    /// A new PIN check (after a PIN change), unless the device is locked. `false` if not.
    async fn replace_pin(
        &self,
        id: DeviceId,
        pin: &NewDevicePin,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// A certificate by serial (lower-case hex).
    async fn certificate(&self, serial: &str) -> Result<Option<CertificateRecord>, StoreError>;
    /// A member's certificates, newest first.
    async fn certificates_of(&self, member: MemberId)
    -> Result<Vec<CertificateRecord>, StoreError>;
    /// The newest certificates of anyone, at most `limit`.
    async fn recent_certificates(&self, limit: u32) -> Result<Vec<CertificateRecord>, StoreError>;
    /// Revoke a certificate at `at` for `reason` (RFC 5280 CRLReason), unless it is revoked
    /// already: the record afterwards, or `None` (unknown, or revoked before).
    async fn revoke_certificate(
        &self,
        serial: &str,
        at: OffsetDateTime,
        reason: u8,
    ) -> Result<Option<CertificateRecord>, StoreError>;
    /// Every revoked certificate, earliest revocation first (what the CRL lists).
    async fn revoked_certificates(&self) -> Result<Vec<RevokedCertificate>, StoreError>;
    /// How many certificates are revoked and the latest revocation (Unix ms): it changes with
    /// every revocation, so a cached CRL is current while it stays the same.
    async fn revocation_marker(&self) -> Result<(i64, Option<i64>), StoreError>;
    /// Change a member's legal name and revoke their active certificates (which name the old
    /// one) with reason affiliationChanged, at once. `false` if there is no such member.
    async fn rename_member(
        &self,
        id: MemberId,
        name: &dojang_core::PersonName,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Renewal: `old` is superseded and `new` (same member and device) inserted, at once.
    /// `false` (nothing written) if `old` was revoked meanwhile.
    async fn renew_certificate(
        &self,
        old: &str,
        new: &CertificateRecord,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Revoke a device and its certificates (with `reason`, RFC 5280), at once: its holder gave
    /// it up. `false` if it was revoked already.
    async fn revoke_device(
        &self,
        id: DeviceId,
        reason: u8,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// The members with this phone number, whatever their birth date.
    async fn members_by_phone(&self, phone: &Phone) -> Result<Vec<Member>, StoreError>;

    /// Record that the registration-desk code `reference` was issued for a test-console sandbox
    /// person, owned by `owner` (a keyed hash of the console browser's cookie).
    async fn insert_sandbox_person(
        &self,
        reference: &str,
        owner: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Before the code `reference` is redeemed for `member`: `true` (and the member noted) if
    /// it is a sandbox code, `false` if it is a real one.
    async fn claim_sandbox_member(
        &self,
        reference: &str,
        member: MemberId,
    ) -> Result<bool, StoreError>;
    /// The owner of a sandbox member; `None` for a real member.
    async fn sandbox_owner(&self, member: MemberId) -> Result<Option<Vec<u8>>, StoreError>;
    /// A real enrolment of this member: they are no longer a sandbox member.
    async fn release_sandbox_member(&self, member: MemberId) -> Result<(), StoreError>;
    /// Mark (`true`) or unmark a relying party as a test party, inside the sandbox.
    async fn set_sandbox_party(&self, code: &ClientCode, on: bool) -> Result<(), StoreError>;
    /// Whether a relying party is a test party.
    async fn is_sandbox_party(&self, code: &ClientCode) -> Result<bool, StoreError>;

    /// Record a new request.
    async fn insert_request(&self, r: &Request) -> Result<(), StoreError>;
    /// Record a new request after the guard's checks, atomically for the person: replay an
    /// idempotent repeat, refuse a second waiting request from the same relying party, and
    /// refuse beyond the per-person limit.
    async fn create_request(&self, r: &Request, guard: &CreateGuard)
    -> Result<Created, StoreError>;
    /// Remember a signed create call by `hash` until `expires_at`: `true` if it is new, `false`
    /// if this hash was remembered before (a repeat, from any instance). One statement.
    async fn remember_request_signature(
        &self,
        hash: &[u8],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Forget remembered calls that expired before `now`; how many.
    async fn purge_request_signatures(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
    /// Count one failed attempt of `scope` by `subject` (a keyed hash, or empty) at `at`.
    async fn record_failure(
        &self,
        scope: &str,
        subject: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The failures of `scope` since `since`: by `subject`, or all of the scope's (`None`).
    async fn failures(
        &self,
        scope: &str,
        subject: Option<&[u8]>,
        since: OffsetDateTime,
    ) -> Result<Failures, StoreError>;
    /// Forget failures older than `before`; how many.
    async fn purge_failures(&self, before: OffsetDateTime) -> Result<u64, StoreError>;

    /// Register a device's biometric credential, replacing its earlier one (counter reset).
    async fn put_device_biometric(
        &self,
        device: DeviceId,
        credential_id: &[u8],
        public_key: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// A live (not revoked or superseded) device's biometric credential.
    async fn device_biometric(
        &self,
        device: DeviceId,
    ) -> Result<Option<DeviceBiometric>, StoreError>;
    /// Forget a device's biometric credential; `false` if it had none.
    async fn delete_device_biometric(&self, device: DeviceId) -> Result<bool, StoreError>;
    /// Record the authenticator's counter of an accepted assertion.
    async fn set_biometric_sign_count(
        &self,
        device: DeviceId,
        count: u32,
    ) -> Result<(), StoreError>;
    /// Remember a challenge issued to `device`, forgetting those that expired before
    /// `purge_before`.
    async fn insert_biometric_challenge(
        &self,
        challenge: &[u8],
        device: DeviceId,
        expires_at: OffsetDateTime,
        purge_before: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// A challenge as issued.
    async fn biometric_challenge(
        &self,
        challenge: &[u8],
    ) -> Result<Option<BiometricChallenge>, StoreError>;
    /// Mark a challenge used; `false` if it was used already (or is unknown).
    async fn use_biometric_challenge(
        &self,
        challenge: &[u8],
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Register a device's push subscription of `kind` (`target`: the server's JSON, sealed
    /// here), replacing the device's earlier one of that kind; the new subscription's id.
    async fn put_push_subscription(
        &self,
        device: DeviceId,
        kind: &str,
        target: &[u8],
        now: OffsetDateTime,
    ) -> Result<String, StoreError>;
    /// Drop every push subscription of a device; how many.
    async fn delete_device_push_subscriptions(&self, device: DeviceId) -> Result<u64, StoreError>;
    /// Drop one push subscription (its service said it is gone); `false` if it was not there.
    async fn delete_push_subscription(&self, id: &str) -> Result<bool, StoreError>;
    /// The push subscriptions of a member's live (not revoked or superseded) devices.
    async fn member_push_subscriptions(
        &self,
        member: MemberId,
    ) -> Result<Vec<PushSubscription>, StoreError>;
    /// The push subscriptions of one device.
    async fn device_push_subscriptions(
        &self,
        device: DeviceId,
    ) -> Result<Vec<PushSubscription>, StoreError>;
    /// Send nothing to this subscription before `until` (after a 429).
    async fn push_back_off(&self, id: &str, until: OffsetDateTime) -> Result<(), StoreError>;
    /// One more failed delivery.
    async fn push_failed(&self, id: &str, at: OffsetDateTime) -> Result<(), StoreError>;
    /// A delivery succeeded: counters and back-off cleared.
    async fn push_delivered(&self, id: &str) -> Result<(), StoreError>;
    /// A request by receipt id.
    async fn request(&self, id: &ReceiptId) -> Result<Option<Request>, StoreError>;
    /// A request by its app-to-app transaction id.
    async fn request_by_tx_id(&self, tx_id: &str) -> Result<Option<Request>, StoreError>;

    /// Register an alias. [`StoreError::Conflict`] if the relying party already has this id.
    async fn insert_alias(&self, alias: &Alias) -> Result<(), StoreError>;
    /// The display name of an alias.
    async fn alias_name(
        &self,
        code: &ClientCode,
        sub_client_id: &str,
    ) -> Result<Option<String>, StoreError>;
    /// A relying party's aliases.
    async fn aliases(&self, code: &ClientCode) -> Result<Vec<Alias>, StoreError>;
    /// Remove an alias; `false` if there was none.
    async fn remove_alias(
        &self,
        code: &ClientCode,
        sub_client_id: &str,
    ) -> Result<bool, StoreError>;
    /// Requests waiting for a member at `now`, oldest first.
    async fn waiting_requests(
        &self,
        member: MemberId,
        now: OffsetDateTime,
    ) -> Result<Vec<WaitingRequest>, StoreError>;
    /// Set `viewed_at` if unset, while waiting.
    async fn mark_viewed(&self, id: &ReceiptId, now: OffsetDateTime) -> Result<bool, StoreError>;
    /// Waiting and unexpired → signed, storing the signatures (one per document), the signer's
    /// serial and the OCSP response that proved its certificate good.
    async fn mark_signed(
        &self,
        id: &ReceiptId,
        signed_data: &[Vec<u8>],
        signer_serial: &str,
        signer_ocsp: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Waiting and unexpired → declined.
    async fn mark_declined(
        &self,
        id: &ReceiptId,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Waiting and unexpired → failed, with the reason.
    async fn mark_failed(
        &self,
        id: &ReceiptId,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Signed, unverified, of `kind`, created by `client_code`, and signed at or after `signed_after` →
    /// verified at `now`, in one statement. Returns the request as verified, or `None` if any
    /// condition did not hold (the caller re-reads to say which).
    async fn mark_verified(
        &self,
        id: &ReceiptId,
        client_code: &ClientCode,
        kind: RequestKind,
        now: OffsetDateTime,
        signed_after: OffsetDateTime,
    ) -> Result<Option<Request>, StoreError>;

    /// Set or replace a relying party's webhook.
    async fn set_webhook(&self, w: &Webhook) -> Result<(), StoreError>;
    /// A relying party's webhook.
    async fn webhook(&self, code: &ClientCode) -> Result<Option<Webhook>, StoreError>;
    /// Remove a relying party's webhook and give up its pending deliveries; `false` if there
    /// was none.
    async fn remove_webhook(
        &self,
        code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Queue an event for delivery; `None` if this receipt's event was queued already.
    async fn enqueue_delivery(&self, d: &NewDelivery) -> Result<Option<i64>, StoreError>;
    /// Lease up to `limit` deliveries due at `now` until `lease_until`, oldest due first.
    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Deliveries waiting (not delivered, not given up), for `/metrics`.
    async fn webhook_queue_depth(&self) -> Result<u64, StoreError>;
    /// Record an attempt and what follows it, together.
    async fn record_attempt(&self, a: &Attempt, after: AfterAttempt) -> Result<(), StoreError>;
    /// A relying party's latest deliveries, newest first.
    async fn deliveries(&self, code: &ClientCode, limit: u32) -> Result<Vec<Delivery>, StoreError>;
    /// A delivery's attempts, first first.
    async fn attempts(&self, delivery_id: i64) -> Result<Vec<Attempt>, StoreError>;
    /// Waiting requests whose time ran out by `now` and whose expiry was not announced yet:
    /// mark up to `limit` of them announced and return them (each is returned once, across
    /// instances).
    async fn announce_expired(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError>;

    /// Keep a message a gateway sent.
    async fn insert_outbox(&self, m: &OutboxMessage) -> Result<(), StoreError>;
    /// Messages, newest first, optionally for one recipient.
    async fn outbox(
        &self,
        recipient: Option<&Phone>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    // ----- the admin console ------------------------------------------------------------------

    /// The admin console's password, as an Argon2id PHC string, if one was stored.
    async fn admin_password(&self) -> Result<Option<String>, StoreError>;
    /// Store the admin password's PHC string, replacing any, and end every admin session.
    async fn set_admin_password(&self, phc: &str, now: OffsetDateTime) -> Result<(), StoreError>;
    /// Store the admin password's PHC string unless one is stored: `false` if one was (several
    /// instances starting at once: the first wins).
    async fn init_admin_password(&self, phc: &str, now: OffsetDateTime)
    -> Result<bool, StoreError>;
    /// Record a new admin session (and drop the sessions past either expiry).
    async fn insert_admin_session(
        &self,
        s: &AdminSession,
        idle_since: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Use a session: unless it ended (absolute expiry at or before `now`, last used at or
    /// before `idle_since`, or its operator disabled), it is marked used at `now` and returned,
    /// in one statement.
    async fn touch_admin_session(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
        idle_since: OffsetDateTime,
    ) -> Result<Option<AdminSession>, StoreError>;
    /// End a session (logout); `false` if there was none.
    async fn delete_admin_session(&self, token_hash: &[u8]) -> Result<bool, StoreError>;
    /// Record a wrong admin password from `source` (a keyed hash of the address), and forget
    /// failures at or before `forget_before`.
    async fn record_admin_login_failure(
        &self,
        source: &[u8],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Wrong admin passwords from `source` after `since`.
    async fn admin_login_failures_since(
        &self,
        source: &[u8],
        since: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    // ----- operators and the audit log ---------------------------------------------------------

    /// Create an operator. [`StoreError::Conflict`] if the login name exists.
    async fn insert_operator(
        &self,
        op: &NewOperator,
        now: OffsetDateTime,
    ) -> Result<OperatorRecord, StoreError>;
    /// An operator by id.
    async fn operator(&self, id: i64) -> Result<Option<OperatorRecord>, StoreError>;
    /// An operator by login name.
    async fn operator_by_login(&self, login: &str) -> Result<Option<OperatorRecord>, StoreError>;
    /// Every operator, by login name.
    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError>;
    /// Change an operator's role; `false` if unknown.
    async fn set_operator_role(
        &self,
        id: i64,
        role: OperatorRole,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Replace an operator's password hash and end its sessions; `false` if unknown.
    async fn set_operator_password(
        &self,
        id: i64,
        phc: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Disable (and end every session of) or enable an operator; `false` if unknown.
    async fn set_operator_disabled(
        &self,
        id: i64,
        disabled: bool,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Store a new, unconfirmed TOTP secret (sealed), or none (`reset-totp`: the operator enrols
    /// again at the next login, and its sessions end); `false` if unknown.
    async fn set_operator_totp(
        &self,
        id: i64,
        secret: Option<&[u8]>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Accept TOTP time step `step` for an enabled operator, confirming its secret if it was not
    /// yet: one conditional update, `false` if the step is not after the last one accepted
    /// (a replayed code) or the operator is disabled or has no secret.
    async fn use_operator_totp_step(
        &self,
        id: i64,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// The second factor is done: the half session becomes a whole one; `false` if none.
    async fn complete_admin_session(&self, token_hash: &[u8]) -> Result<bool, StoreError>;
    /// Append an entry to the audit log; its id. There is no way to change or remove one.
    async fn append_audit(&self, e: &AuditEntry) -> Result<i64, StoreError>;
    /// Audit entries matching `filter`, newest first, skipping `offset`, at most `limit`.
    async fn audit_log(
        &self,
        filter: &AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Replace a relying party's SecretKey (the old one stops working); `false` if unknown.
    async fn rotate_relying_party_secret(
        &self,
        code: &ClientCode,
        secret: &dojang_core::SecretKey,
    ) -> Result<bool, StoreError>;
    /// Set or clear a relying party's call-centre number; `false` if unknown.
    async fn set_relying_party_call_center(
        &self,
        code: &ClientCode,
        call_center_num: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// A member's devices, newest first.
    async fn devices_of(&self, member: MemberId) -> Result<Vec<Device>, StoreError>;
    /// The newest certificates in a state at `now`, at most `limit`.
    async fn certificates_in_state(
        &self,
        filter: CertificateFilter,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<CertificateRecord>, StoreError>;
    /// How many members there are, and how many certificates are active at `now`.
    async fn member_and_certificate_counts(
        &self,
        now: OffsetDateTime,
    ) -> Result<(u64, u64), StoreError>;
    /// Requests made since `since`, counted per day (Korean time) and state at `now`.
    async fn requests_per_day(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<DayCount>, StoreError>;
    /// The newest requests matching `filter` (states at `now`), at most `limit`.
    async fn recent_requests(
        &self,
        filter: &RequestFilter,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError>;
    /// The webhook deliveries of one receipt, first first.
    async fn deliveries_of_receipt(&self, receipt_id: &str) -> Result<Vec<Delivery>, StoreError>;

    // The hosted login page.

    /// Set (or, with `None`, clear) where the hosted login sends a relying party's browsers back.
    async fn set_login_return_url(
        &self,
        code: &ClientCode,
        url: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Where the hosted login sends a relying party's browsers back, if registered.
    async fn login_return_url(&self, code: &ClientCode) -> Result<Option<String>, StoreError>;
    /// Store a relying party's hosted-login texts for one language, replacing what was set for
    /// it; texts with no part set remove the language's row.
    async fn set_login_texts(&self, texts: &LoginTexts) -> Result<(), StoreError>;
    /// Remove a relying party's hosted-login texts (one language, or all): how many were removed.
    async fn clear_login_texts(
        &self,
        code: &ClientCode,
        lang: Option<&str>,
    ) -> Result<u64, StoreError>;
    /// A relying party's hosted-login texts, one per language set, by language.
    async fn login_texts(&self, code: &ClientCode) -> Result<Vec<LoginTexts>, StoreError>;
    /// Record a consent and begin a login session, together.
    async fn start_login(
        &self,
        consent: &Consent,
        session: &LoginSession,
    ) -> Result<(), StoreError>;
    /// A login session by id.
    async fn login_session(&self, id: &str) -> Result<Option<LoginSession>, StoreError>;
    /// Attach the one-time code (its hash) to a session that has none yet; false otherwise.
    async fn issue_login_code(
        &self,
        id: &str,
        code_hash: &[u8],
        expires: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Exchange a one-time code once: the session of this relying party whose code it is, if
    /// it is not yet exchanged and not expired (marked exchanged in the same statement).
    async fn exchange_login_code(
        &self,
        code_hash: &[u8],
        code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<Option<LoginSession>, StoreError>;
    /// A consent record by id.
    async fn consent(&self, id: &str) -> Result<Option<Consent>, StoreError>;
    /// Consent records, newest first, of one relying party or all, of one phone or all.
    async fn consents(
        &self,
        code: Option<&ClientCode>,
        phone: Option<&Phone>,
        limit: u32,
    ) -> Result<Vec<Consent>, StoreError>;

    // ----- the cloud certificate (issue 15, schema v16) -----

    /// The server-side half of a cloud device.
    async fn cloud_device(&self, device: DeviceId) -> Result<Option<CloudDevice>, StoreError>;
    /// The member's newest cloud device that is not revoked.
    async fn active_cloud_device(&self, member: MemberId) -> Result<Option<Device>, StoreError>;
    /// A wrong PIN, counted atomically; the `max`-th in a row locks the certificate.
    async fn cloud_pin_failed(
        &self,
        device: DeviceId,
        max: u32,
        now: OffsetDateTime,
    ) -> Result<CloudPinFailure, StoreError>;
    /// A right PIN: the count starts again (unless locked). `false` if locked.
    async fn cloud_pin_succeeded(
        &self,
        device: DeviceId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// A new PIN hash, unless locked. `false` if locked.
    async fn change_cloud_pin(
        &self,
        device: DeviceId,
        pin_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// After a fresh SMS proof, at once: close the proof, set the new PIN, unlock, and register
    /// the browser (unless the certificate has `max_browsers` already).
    async fn reset_cloud_pin(
        &self,
        proof: EnrolmentId,
        pin_hash: &str,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError>;
    /// After a fresh SMS proof, at once: close the proof and register the browser (unless the
    /// certificate has `max_browsers` already).
    async fn add_cloud_browser(
        &self,
        proof: EnrolmentId,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError>;
    /// A browser by id (removed ones too).
    async fn cloud_browser(&self, id: &str) -> Result<Option<CloudBrowser>, StoreError>;
    /// A cloud device's browsers that are not removed, first registered first.
    async fn cloud_browsers(&self, device: DeviceId) -> Result<Vec<CloudBrowser>, StoreError>;
    /// Remove a browser of this device; `false` if there is none (or it was removed).
    async fn remove_cloud_browser(
        &self,
        device: DeviceId,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Record a challenge for a browser (and forget those expired an hour before `now`).
    async fn insert_cloud_challenge(
        &self,
        challenge: &str,
        browser_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Use a challenge: once, by its own browser, before it expires; the browser's last use
    /// is noted. `false` if any of that does not hold.
    async fn use_cloud_challenge(
        &self,
        challenge: &str,
        browser_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Append a use (evidence).
    async fn append_cloud_use(&self, u: &CloudUse) -> Result<(), StoreError>;
    /// A device's latest uses, newest first.
    async fn cloud_uses(&self, device: DeviceId, limit: u32) -> Result<Vec<CloudUse>, StoreError>;
    /// Record a one-time code.
    async fn insert_cloud_code(&self, c: &CloudCode) -> Result<(), StoreError>;
    /// Exchange a code: once, by its own party, before it expires.
    async fn exchange_cloud_code(
        &self,
        code_hash: &[u8],
        client_code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<Option<CloudCode>, StoreError>;
    /// Record an alternative-authentication transaction.
    async fn insert_cloud_alt(&self, a: &CloudAlt) -> Result<(), StoreError>;
    /// An alternative-authentication transaction by id.
    async fn cloud_alt(&self, tx_id: &str) -> Result<Option<CloudAlt>, StoreError>;
    /// Record a new browser's ask to be registered, filed under a keyed hash of the person
    /// asked for (phone and birth date): open asks are capped per person, holder or not.
    async fn insert_cloud_ask(&self, a: &CloudAsk, person_lookup: &[u8]) -> Result<(), StoreError>;
    /// An ask by id.
    async fn cloud_ask(&self, id: &str) -> Result<Option<CloudAsk>, StoreError>;
    /// A device's asks still open at `now`, oldest first.
    async fn open_cloud_asks(
        &self,
        device: DeviceId,
        now: OffsetDateTime,
    ) -> Result<Vec<CloudAsk>, StoreError>;
    /// How many asks for this person (`CloudAsk::person_lookup`) are open at `now`.
    async fn open_cloud_asks_for(
        &self,
        person_lookup: &[u8],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Decline an open ask; `false` if it was answered or expired.
    async fn decline_cloud_ask(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError>;
    /// Approve an open ask and register its browser (`browser.id` = the ask's id), at once,
    /// unless the certificate has `max_browsers` already (`ProofClosed`: answered or expired).
    async fn approve_cloud_ask(
        &self,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError>;
    /// Note what an SMS proof started by the cloud API is for.
    async fn insert_cloud_proof(&self, id: EnrolmentId, purpose: &str) -> Result<(), StoreError>;
    /// What an SMS proof is for; `None` if the cloud API did not start it.
    async fn cloud_proof(&self, id: EnrolmentId) -> Result<Option<String>, StoreError>;
    /// Renewal of a cloud certificate: `old` superseded, `new` inserted and the device's key
    /// label set, at once. `false` (nothing written) if `old` was revoked meanwhile.
    async fn renew_cloud_certificate(
        &self,
        old: &str,
        new: &CertificateRecord,
        key_label: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Set a party's origins and stylesheets, keeping its publishable key if it has one (the
    /// given key is used for a new one): the stored record.
    async fn set_cloud_party(&self, p: &CloudParty) -> Result<CloudParty, StoreError>;
    /// A party's publishable key record.
    async fn cloud_party(&self, code: &ClientCode) -> Result<Option<CloudParty>, StoreError>;
    /// The record of a publishable key.
    async fn cloud_party_by_key(&self, key: &str) -> Result<Option<CloudParty>, StoreError>;
    /// Remove a party's publishable key; `false` if it had none.
    async fn remove_cloud_party(&self, code: &ClientCode) -> Result<bool, StoreError>;
}

/// Tuning of the connection pool.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Largest number of connections (PostgreSQL; SQLite always uses its one executor
    /// connection).
    pub max_connections: u32,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self { max_connections: 8 }
    }
}

/// Open the store a URL names (`sqlite://path` or `postgres://…`), creating a SQLite file if
/// needed, and apply pending migrations.
pub async fn open(
    url: &str,
    keys: Arc<DataKeys>,
    options: &PoolOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url, keys).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            postgres::SqlStore::open(url, keys, options).await?,
        ))
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

/// A URL with any password replaced by `***`, safe for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = url.get(s + 3..at).unwrap_or("");
            match creds.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    url.get(..s + 3).unwrap_or(""),
                    url.get(at..).unwrap_or("")
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
