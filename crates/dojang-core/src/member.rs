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
    /// An authenticator app, or a cloud certificate (its key in the server's token). An app
    /// enrolment supersedes only the member's app devices; a cloud issuance only cloud ones.
    pub kind: DeviceKind,
}

/// What a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeviceKind {
    /// The authenticator app: the key on the person's phone.
    #[default]
    App,
    /// A cloud certificate (issue 15): the key in the server's PKCS#11 token, used from
    /// registered browsers with a PIN.
    Cloud,
}

impl DeviceKind {
    /// The stored name: `app` or `cloud`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Cloud => "cloud",
        }
    }

    /// The stored name back.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "app" => Some(Self::App),
            "cloud" => Some(Self::Cloud),
            _ => None,
        }
    }
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
    /// How its holder proved who they are when it was issued (a renewal keeps the proof of the
    /// certificate it renews).
    pub proof: IdentityProof,
}

/// How a certificate's holder proved who they are (본인확인 수단): what a request's
/// `isAllowSimpleRegistYN = false` and `isVerifyNameYN = true` are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityProof {
    /// A one-time code sent by SMS: proves the phone, not the name (휴대폰 본인인증).
    Sms,
    /// A 1-won deposit into an account the bank holds in the person's real name (본인계좌 점유
    /// 인증): proves the account and the name.
    Bank,
    /// A registration desk that saw an identity document: proves the person and the name.
    Desk,
    /// The relying party's alternative authentication (a cloud certificate issued on the
    /// party's word that it proved the person, `POST /v1/cloud/alt-auth`): treated like SMS.
    Alt,
    /// Issued before dojang recorded proofs (schema v9 and earlier): treated like SMS, the
    /// weakest, until renewed or re-issued.
    Unknown,
}

impl IdentityProof {
    /// The name stored and shown (`sms`, `bank`, `desk`, `unknown`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Bank => "bank",
            Self::Desk => "desk",
            Self::Alt => "alt",
            Self::Unknown => "unknown",
        }
    }

    /// The stored name back; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sms" => Self::Sms,
            "bank" => Self::Bank,
            "desk" => Self::Desk,
            "alt" => Self::Alt,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }

    /// Meets `isAllowSimpleRegistYN = false`: more than a phone check (a bank account or a
    /// registration desk).
    pub const fn beyond_phone(self) -> bool {
        matches!(self, Self::Bank | Self::Desk)
    }

    /// The holder's name was checked against a real-name record (the bank's account holder or
    /// an identity document), so `isVerifyNameYN = true` can be answered by it.
    pub const fn name_verified(self) -> bool {
        matches!(self, Self::Bank | Self::Desk)
    }
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
