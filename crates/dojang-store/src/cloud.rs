//! The cloud certificate's records (issue 15, schema v16): the server-side half of each cloud
//! device (its key's label in the token, the PIN's Argon2id hash, wrong PINs, the lock), the
//! browsers registered to use it, their one-time challenges, the evidence of each use, the
//! one-time codes a relying party's server exchanges, the alternative-authentication
//! transactions, the purpose of each SMS proof the cloud API started, and each relying party's
//! publishable key. The server's `service::cloud` decides; this module only names the records.

use dojang_core::{ClientCode, DeviceId, Person};
use time::OffsetDateTime;

/// What a cloud issuance writes besides the device and certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCloud {
    /// The label of the key in the token (`cloud:<device id>`).
    pub key_label: String,
    /// The PIN as an Argon2id PHC string.
    pub pin_hash: String,
    /// The browser that asked for it, registered at once.
    pub browser: CloudBrowser,
}

impl std::fmt::Debug for NewCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCloud")
            .field("key_label", &self.key_label)
            .field("browser", &self.browser.id)
            .finish_non_exhaustive()
    }
}

/// The server-side half of a cloud device.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudDevice {
    /// The device.
    pub device_id: DeviceId,
    /// The label of its current key in the token.
    pub key_label: String,
    /// The PIN as an Argon2id PHC string.
    pub pin_hash: String,
    /// Wrong PINs in a row.
    pub pin_failures: u32,
    /// Set by the wrong PIN that reached the limit; cleared by a PIN reset.
    pub locked_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for CloudDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudDevice")
            .field("device_id", &self.device_id)
            .field("key_label", &self.key_label)
            .field("pin_failures", &self.pin_failures)
            .field("locked_at", &self.locked_at)
            .finish_non_exhaustive()
    }
}

/// What a wrong PIN did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudPinFailure {
    /// Counted; this many wrong PINs in a row so far.
    Counted(u32),
    /// This one reached the limit: the certificate is locked now.
    LockedNow,
    /// It was locked already (or there is no such device): nothing changed.
    Unchanged,
}

/// A browser registered to use a cloud certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudBrowser {
    /// Random id (the `browserId`).
    pub id: String,
    /// The cloud device.
    pub device_id: DeviceId,
    /// The SubjectPublicKeyInfo DER of its WebCrypto ECDSA P-256 key.
    pub spki: Vec<u8>,
    /// What the person sees in their list.
    pub label: String,
    /// Registered at.
    pub created_at: OffsetDateTime,
    /// Its last accepted proof.
    pub last_used_at: Option<OffsetDateTime>,
    /// Removed by the holder.
    pub removed_at: Option<OffsetDateTime>,
}

/// What registering a browser did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserAdded {
    /// Registered (and the proof closed).
    Added,
    /// The proof was closed already: nothing written.
    ProofClosed,
    /// The certificate has its maximum of browsers: nothing written.
    TooMany,
}

/// One use of a cloud certificate: the evidence, append-only.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudUse {
    /// The cloud device.
    pub device_id: DeviceId,
    /// The browser that proved itself.
    pub browser_id: String,
    /// When.
    pub at: OffsetDateTime,
    /// `approve`, `decline`, `sign`, `pin`, `renew`, `revoke`, `remove`, `issue`, …
    pub action: String,
    /// The relying party involved, or "".
    pub client_code: String,
    /// The receipt involved, or "".
    pub receipt_id: String,
    /// SHA-256 of what was signed (the documents' tokens, or the browser's proof string).
    pub digest: Vec<u8>,
    /// The client's address as the server saw it (sealed at rest).
    pub address: String,
}

impl std::fmt::Debug for CloudUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudUse")
            .field("device_id", &self.device_id)
            .field("browser_id", &self.browser_id)
            .field("at", &self.at)
            .field("action", &self.action)
            .field("client_code", &self.client_code)
            .field("receipt_id", &self.receipt_id)
            .finish_non_exhaustive()
    }
}

/// A one-time code for a relying party's server (`POST /v1/cloud/exchange`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudCode {
    /// SHA-256 of the code (the code itself is not kept).
    pub code_hash: Vec<u8>,
    /// The only party that may exchange it.
    pub client_code: ClientCode,
    /// `identity`, `sign`, `multi-sign` or `issue`.
    pub kind: String,
    /// The request answered (not for `issue`).
    pub receipt_id: Option<String>,
    /// The cloud device issued (`issue`).
    pub device_id: Option<DeviceId>,
    /// The certificate issued (`issue`).
    pub serial: Option<String>,
    /// Made at.
    pub created_at: OffsetDateTime,
    /// Not exchangeable from then on.
    pub expires_at: OffsetDateTime,
}

/// An alternative-authentication transaction (`POST /v1/cloud/alt-auth`).
#[derive(Clone, PartialEq, Eq)]
pub struct CloudAlt {
    /// Random id.
    pub tx_id: String,
    /// The party that proved the person; only its publishable key may use it.
    pub client_code: ClientCode,
    /// Keyed hash of the permission code.
    pub permission_hash: Vec<u8>,
    /// Who the party proved (sealed at rest).
    pub person: Person,
    /// Made at.
    pub created_at: OffsetDateTime,
    /// Unusable from then on.
    pub expires_at: OffsetDateTime,
    /// Set when it issued a certificate.
    pub used_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for CloudAlt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudAlt")
            .field("tx_id", &self.tx_id)
            .field("client_code", &self.client_code)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

/// A relying party's publishable key, the origins that may frame dojang's cloud UI for it, and
/// the stylesheets it may apply there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudParty {
    /// The relying party.
    pub client_code: ClientCode,
    /// `pk_` + 32 base64url characters; public.
    pub publishable_key: String,
    /// `https://host[:port]` each.
    pub origins: Vec<String>,
    /// Stylesheet URLs on those origins.
    pub stylesheets: Vec<String>,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// A new browser's request to be registered by an already registered one (schema v19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudAsk {
    /// Random id; the new browser's id once approved.
    pub id: String,
    /// The cloud device asked; `None` when the person holds none (the ask just expires).
    pub device_id: Option<DeviceId>,
    /// The new browser's SPKI DER.
    pub spki: Vec<u8>,
    /// The new browser's label.
    pub label: String,
    /// The 2-digit number the new browser shows and the holder types.
    pub number: u32,
    /// When.
    pub created_at: OffsetDateTime,
    /// Until when it can be answered.
    pub expires_at: OffsetDateTime,
    /// When it was answered.
    pub answered_at: Option<OffsetDateTime>,
    /// `pending`, `approved` or `declined`.
    pub state: String,
}
