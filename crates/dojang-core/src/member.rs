//! Members (certificate holders), their devices and certificates, and messages sent to them.

use time::OffsetDateTime;

use crate::ids::{DeviceId, MemberId};
use crate::person::{Person, Phone};

/// A person known to dojang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Id (goes into the certificate's subject serialNumber).
    pub id: MemberId,
    /// Name, phone, birth date.
    pub person: Person,
    /// Stable identifier across relying parties (연계정보): 64 random bytes, base64.
    pub ci: String,
    /// Registered at.
    pub created_at: OffsetDateTime,
}

/// An enrolled app installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Id.
    pub id: DeviceId,
    /// Whose device.
    pub member_id: MemberId,
    /// SHA-256 of the device's bearer secret.
    pub token_hash: Vec<u8>,
    /// Enrolled at.
    pub created_at: OffsetDateTime,
    /// Set when superseded or revoked; the credential stops working.
    pub revoked_at: Option<OffsetDateTime>,
}

/// A certificate dojang issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// Serial, lower-case hex.
    pub serial: String,
    /// Holder.
    pub member_id: MemberId,
    /// The device holding the key.
    pub device_id: DeviceId,
    /// DER.
    pub der: Vec<u8>,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// Revoked (or superseded) at.
    pub revoked_at: Option<OffsetDateTime>,
    /// Why, as an RFC 5280 CRLReason number (4 superseded, 1 keyCompromise, …), when revoked.
    pub revocation_reason: Option<u8>,
}

/// A revoked certificate, as the CRL lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedCertificate {
    /// Serial, lower-case hex.
    pub serial: String,
    /// When.
    pub revoked_at: OffsetDateTime,
    /// RFC 5280 CRLReason number (0 when unknown).
    pub reason: u8,
}

impl CertificateRecord {
    /// Active at `now`: not revoked and inside validity.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.not_before <= now && now <= self.not_after
    }
}

/// A message a gateway sent (the development SMS gateway keeps them here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Channel: `sms` (one-time codes) or `bank` (1-won deposits, filed under the
    /// enrolling person's phone).
    pub channel: String,
    /// Recipient.
    pub recipient: Phone,
    /// Text.
    pub body: String,
    /// Sent at.
    pub created_at: OffsetDateTime,
}
