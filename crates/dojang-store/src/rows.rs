//! Row types and their conversion to and from domain types (decrypting on the way out).
//! Private to the crate: the rest of dojang never sees a row.

use dojang_core::bank::{AccountNumber, BankCheck, BankCode};
use dojang_core::enrolment::Enrolment;
use dojang_core::registration::{RaCode, ReferenceNumber};
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Device, Document, IdentityProof, Member,
    OutboxMessage, Person, PersonName, Phone, ReceiptId, RelyingParty, Request, RequestKind,
    RequestOptions, RequestState, RevokedCertificate, SecretKey,
};
use dojang_proto::rp::TokenType;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{CompletedEnrolment, DataKeys, MemberChoice, Proof, StoreError, WaitingRequest};

/// Column names double as the associated data of their ciphertexts.
pub(crate) mod col {
    pub const RP_SECRET: &str = "relying_parties.secret";
    pub const MEMBER_NAME: &str = "members.name";
    pub const MEMBER_PHONE: &str = "members.phone";
    pub const MEMBER_BIRTHDAY: &str = "members.birthday";
    pub const CERT_DER: &str = "certificates.der";
    pub const ENROL_NAME: &str = "enrolments.name";
    pub const ENROL_PHONE: &str = "enrolments.phone";
    pub const ENROL_BIRTHDAY: &str = "enrolments.birthday";
    pub const REQ_NAME: &str = "requests.receiver_name";
    pub const REQ_PHONE: &str = "requests.receiver_phone";
    pub const REQ_BIRTHDAY: &str = "requests.receiver_birthday";
    pub const REQ_TOKEN: &str = "requests.token";
    pub const REQ_EXTRA: &str = "requests.extra_message";
    pub const REQ_SIGNED: &str = "requests.signed_data";
    pub const REQ_DETAILS: &str = "requests.details";
    pub const OUTBOX_RECIPIENT: &str = "outbox.recipient";
    pub const OUTBOX_BODY: &str = "outbox.body";
    pub const WEBHOOK_SECRET: &str = "webhooks.secret";
    pub const PIN_SECRET: &str = "device_pins.unlock_secret";
    pub const BANK_NAME: &str = "bank_checks.name";
    pub const BANK_PHONE: &str = "bank_checks.phone";
    pub const BANK_BIRTHDAY: &str = "bank_checks.birthday";
    pub const BANK_ACCOUNT: &str = "bank_checks.account";
    pub const RA_NAME: &str = "ra_codes.name";
    pub const RA_PHONE: &str = "ra_codes.phone";
    pub const RA_BIRTHDAY: &str = "ra_codes.birthday";
    pub const CONSENT_NAME: &str = "consents.name";
    pub const CONSENT_PHONE: &str = "consents.phone";
    pub const CONSENT_BIRTHDAY: &str = "consents.birthday";
    pub const OPERATOR_TOTP: &str = "operators.totp";
    pub const PUSH_TARGET: &str = "push_subscriptions.target";
    /// Lookup labels.
    pub const LOOKUP_MEMBER: &str = "member";
    pub const LOOKUP_PHONE: &str = "phone";
    pub const LOOKUP_ACCOUNT: &str = "bank-account";
}

/// Unix milliseconds.
pub(crate) fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// From Unix milliseconds.
pub(crate) fn from_ms(v: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(v) * 1_000_000)
        .map_err(|_| StoreError::Corrupt(format!("time out of range: {v}")))
}

fn opt_ms(v: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    v.map(from_ms).transpose()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// Re-validate a stored person. Birth dates are checked against the far future, since they
/// were validated against the clock when stored.
fn person(name: String, phone: String, birthday: String) -> Result<Person, StoreError> {
    let far = OffsetDateTime::new_utc(
        time::Date::from_calendar_date(9999, time::Month::January, 1)
            .map_err(|_| corrupt("date"))?,
        time::Time::MIDNIGHT,
    );
    Ok(Person {
        name: PersonName::parse(&name).map_err(|_| corrupt("stored name"))?,
        phone: Phone::parse(&phone).map_err(|_| corrupt("stored phone"))?,
        birthday: Birthday::parse(&birthday, far).map_err(|_| corrupt("stored birthday"))?,
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct RelyingPartyRow {
    pub client_code: String,
    pub link_id: String,
    pub name: String,
    pub secret_enc: Vec<u8>,
    pub call_center_num: Option<String>,
    pub created_at: i64,
}

impl RelyingPartyRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<RelyingParty, StoreError> {
        Ok(RelyingParty {
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            link_id: self.link_id,
            name: self.name,
            secret: SecretKey::from_bytes(keys.open(col::RP_SECRET, &self.secret_enc)?),
            call_center_num: self.call_center_num,
            created_at: from_ms(self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub id: String,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub ci: String,
    pub created_at: i64,
}

impl MemberRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<Member, StoreError> {
        Ok(Member {
            id: self.id.parse().map_err(|_| corrupt("member id"))?,
            person: person(
                keys.open_string(col::MEMBER_NAME, &self.name_enc)?,
                keys.open_string(col::MEMBER_PHONE, &self.phone_enc)?,
                keys.open_string(col::MEMBER_BIRTHDAY, &self.birthday_enc)?,
            )?,
            ci: self.ci,
            created_at: from_ms(self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeviceRow {
    pub id: String,
    pub member_id: String,
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub kind: String,
}

impl DeviceRow {
    pub fn into_domain(self) -> Result<Device, StoreError> {
        Ok(Device {
            id: self.id.parse().map_err(|_| corrupt("device id"))?,
            member_id: self.member_id.parse().map_err(|_| corrupt("member id"))?,
            token_hash: self.token_hash,
            created_at: from_ms(self.created_at)?,
            revoked_at: opt_ms(self.revoked_at)?,
            kind: dojang_core::DeviceKind::parse(&self.kind)
                .ok_or_else(|| corrupt("device kind"))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DevicePinRow {
    pub verifier: Vec<u8>,
    pub unlock_secret_enc: Vec<u8>,
    pub failures: i32,
    pub locked_at: Option<i64>,
}

impl DevicePinRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<crate::DevicePin, StoreError> {
        Ok(crate::DevicePin {
            verifier: self.verifier,
            unlock_secret: keys.open(col::PIN_SECRET, &self.unlock_secret_enc)?,
            failures: u32::try_from(self.failures).map_err(|_| corrupt("pin failures"))?,
            locked_at: opt_ms(self.locked_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeviceBiometricRow {
    pub credential_id: Vec<u8>,
    pub public_key: Vec<u8>,
    pub sign_count: i64,
    pub created_at: i64,
}

impl DeviceBiometricRow {
    pub fn into_domain(self) -> Result<crate::DeviceBiometric, StoreError> {
        Ok(crate::DeviceBiometric {
            credential_id: self.credential_id,
            public_key: self.public_key,
            sign_count: u32::try_from(self.sign_count).map_err(|_| corrupt("sign count"))?,
            created_at: from_ms(self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct BiometricChallengeRow {
    pub device_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl BiometricChallengeRow {
    pub fn into_domain(self) -> Result<crate::BiometricChallenge, StoreError> {
        Ok(crate::BiometricChallenge {
            device: self
                .device_id
                .parse()
                .map_err(|_| corrupt("challenge device"))?,
            expires_at: from_ms(self.expires_at)?,
            used: self.used_at.is_some(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CertificateRow {
    pub serial: String,
    pub member_id: String,
    pub device_id: String,
    pub der_enc: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    pub revoked_at: Option<i64>,
    pub revocation_reason: Option<i32>,
    pub proof: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RevokedRow {
    pub serial: String,
    pub revoked_at: i64,
    pub revocation_reason: Option<i32>,
}

impl RevokedRow {
    pub fn into_domain(self) -> Result<RevokedCertificate, StoreError> {
        Ok(RevokedCertificate {
            serial: self.serial,
            revoked_at: from_ms(self.revoked_at)?,
            reason: self
                .revocation_reason
                .and_then(|r| u8::try_from(r).ok())
                .unwrap_or(0),
        })
    }
}

impl CertificateRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<CertificateRecord, StoreError> {
        Ok(CertificateRecord {
            serial: self.serial,
            member_id: self.member_id.parse().map_err(|_| corrupt("member id"))?,
            device_id: self.device_id.parse().map_err(|_| corrupt("device id"))?,
            der: keys.open(col::CERT_DER, &self.der_enc)?,
            not_before: from_ms(self.not_before)?,
            not_after: from_ms(self.not_after)?,
            revoked_at: opt_ms(self.revoked_at)?,
            revocation_reason: self
                .revocation_reason
                .map(|r| u8::try_from(r).map_err(|_| corrupt("revocation reason")))
                .transpose()?,
            proof: IdentityProof::parse(&self.proof).ok_or_else(|| corrupt("certificate proof"))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EnrolmentRow {
    pub id: String,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub code_hash: Vec<u8>,
    pub attempts: i32,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
}

impl EnrolmentRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<Enrolment, StoreError> {
        Ok(Enrolment {
            id: self.id.parse().map_err(|_| corrupt("enrolment id"))?,
            person: person(
                keys.open_string(col::ENROL_NAME, &self.name_enc)?,
                keys.open_string(col::ENROL_PHONE, &self.phone_enc)?,
                keys.open_string(col::ENROL_BIRTHDAY, &self.birthday_enc)?,
            )?,
            code_hash: self.code_hash,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("attempts"))?,
            expires_at: from_ms(self.expires_at)?,
            completed_at: opt_ms(self.completed_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct BankCheckRow {
    pub id: String,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub bank_code: String,
    pub account_enc: Vec<u8>,
    pub word_hash: Vec<u8>,
    pub attempts: i32,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
}

impl BankCheckRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<BankCheck, StoreError> {
        Ok(BankCheck {
            id: self.id.parse().map_err(|_| corrupt("bank check id"))?,
            person: person(
                keys.open_string(col::BANK_NAME, &self.name_enc)?,
                keys.open_string(col::BANK_PHONE, &self.phone_enc)?,
                keys.open_string(col::BANK_BIRTHDAY, &self.birthday_enc)?,
            )?,
            bank: BankCode::parse(&self.bank_code).map_err(|_| corrupt("bank code"))?,
            account: AccountNumber::parse(&keys.open_string(col::BANK_ACCOUNT, &self.account_enc)?)
                .map_err(|_| corrupt("account number"))?,
            word_hash: self.word_hash,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("attempts"))?,
            expires_at: from_ms(self.expires_at)?,
            completed_at: opt_ms(self.completed_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RaCodeRow {
    pub ref_num: String,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub code_hash: Vec<u8>,
    pub attempts: i32,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub serial: Option<String>,
    pub cancelled_at: Option<i64>,
}

impl RaCodeRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<RaCode, StoreError> {
        Ok(RaCode {
            reference: ReferenceNumber::parse(&self.ref_num)
                .map_err(|_| corrupt("reference number"))?,
            person: person(
                keys.open_string(col::RA_NAME, &self.name_enc)?,
                keys.open_string(col::RA_PHONE, &self.phone_enc)?,
                keys.open_string(col::RA_BIRTHDAY, &self.birthday_enc)?,
            )?,
            code_hash: self.code_hash,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("attempts"))?,
            issued_at: from_ms(self.issued_at)?,
            expires_at: from_ms(self.expires_at)?,
            used_at: opt_ms(self.used_at)?,
            serial: self.serial,
            cancelled_at: opt_ms(self.cancelled_at)?,
        })
    }
}

/// The columns of [`RequestRow`], each preceded by `$p` (`"r."` in joins, `""` in `RETURNING`,
/// where SQLite allows no table alias).
macro_rules! request_columns {
    ($p:literal) => {
        concat!(
            $p,
            "receipt_id",
            ", ",
            $p,
            "kind",
            ", ",
            $p,
            "client_code",
            ", ",
            $p,
            "member_id",
            ", ",
            $p,
            "receiver_name_enc",
            ", ",
            $p,
            "receiver_phone_enc",
            ", ",
            $p,
            "receiver_birthday_enc",
            ", ",
            $p,
            "token_enc",
            ", ",
            $p,
            "title",
            ", ",
            $p,
            "extra_message_enc",
            ", ",
            $p,
            "call_center_num",
            ", ",
            $p,
            "expire_in",
            ", ",
            $p,
            "requested_at",
            ", ",
            $p,
            "expire_at",
            ", ",
            $p,
            "viewed_at",
            ", ",
            $p,
            "completed_at",
            ", ",
            $p,
            "verified_at",
            ", ",
            $p,
            "state",
            ", ",
            $p,
            "signed_data_enc",
            ", ",
            $p,
            "signer_serial",
            ", ",
            $p,
            "reason",
            ", ",
            $p,
            "details_enc",
            ", ",
            $p,
            "tx_id",
            ", ",
            $p,
            "signer_ocsp"
        )
    };
}
pub(crate) use request_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct RequestRow {
    pub receipt_id: String,
    pub kind: i32,
    pub client_code: String,
    pub member_id: String,
    pub receiver_name_enc: Vec<u8>,
    pub receiver_phone_enc: Vec<u8>,
    pub receiver_birthday_enc: Vec<u8>,
    pub token_enc: Vec<u8>,
    pub title: String,
    pub extra_message_enc: Option<Vec<u8>>,
    pub call_center_num: Option<String>,
    pub expire_in: i32,
    pub requested_at: i64,
    pub expire_at: i64,
    pub viewed_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub verified_at: Option<i64>,
    pub state: i32,
    pub signed_data_enc: Option<Vec<u8>>,
    pub signer_serial: Option<String>,
    pub reason: Option<String>,
    pub details_enc: Option<Vec<u8>>,
    pub tx_id: Option<String>,
    pub signer_ocsp: Option<Vec<u8>>,
}

/// What `requests.details_enc` holds (sealed JSON): the fields only the request's own reads
/// need. A missing value reads as the identity-era default.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Details {
    /// Every document, unless the request has exactly one `TEXT` document titled like the
    /// request (its token is in `token_enc`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    documents: Vec<StoredDocument>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    call_center_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub_client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub_client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload: Option<String>,
    #[serde(default)]
    allow_simple_regist: bool,
    #[serde(default, skip_serializing_if = "no")]
    require_beyond_phone: bool,
    #[serde(default = "yes")]
    verify_name: bool,
    #[serde(default, skip_serializing_if = "no")]
    require_verified_name: bool,
    #[serde(default)]
    app_use: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binding_code: Option<String>,
}

fn yes() -> bool {
    true
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn no(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredDocument {
    title: String,
    token_type: String,
    token: String,
}

impl Details {
    fn of(r: &Request) -> Self {
        let single_text = matches!(r.documents.as_slice(), [d] if d.token_type == TokenType::Text && d.title == r.title);
        let o = &r.options;
        Self {
            documents: if single_text {
                Vec::new()
            } else {
                r.documents
                    .iter()
                    .map(|d| StoredDocument {
                        title: d.title.clone(),
                        token_type: d.token_type.as_str().to_owned(),
                        token: d.token.clone(),
                    })
                    .collect()
            },
            call_center_name: o.call_center_name.clone(),
            sub_client_id: o.sub_client_id.clone(),
            sub_client_name: o.sub_client_name.clone(),
            payload: o.payload.clone(),
            allow_simple_regist: o.allow_simple_regist,
            require_beyond_phone: o.require_beyond_phone,
            verify_name: o.verify_name,
            require_verified_name: o.require_verified_name,
            app_use: o.app_use,
            return_url: o.return_url.clone(),
            binding_code: r.binding_code.clone(),
        }
    }
}

/// Signatures as stored: one DER SignedData as is (it starts with a SEQUENCE tag, 0x30);
/// anything else as frames of a 4-byte big-endian length and the DER (the first byte of a length
/// below 16 MiB is 0x00, so the two forms cannot be confused).
pub(crate) fn encode_signatures(signatures: &[Vec<u8>]) -> Vec<u8> {
    match signatures {
        [one] if one.first() == Some(&0x30) => one.clone(),
        many => {
            let mut out = Vec::with_capacity(many.iter().map(|s| s.len() + 4).sum());
            for s in many {
                out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
                out.extend_from_slice(s);
            }
            out
        }
    }
}

fn decode_signatures(mut v: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
    if v.first() == Some(&0x30) {
        return Ok(vec![v.to_vec()]);
    }
    let mut out = Vec::new();
    while !v.is_empty() {
        let (len, rest) = v
            .split_at_checked(4)
            .ok_or_else(|| corrupt("signature frame"))?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| corrupt("signature frame"))?);
        let len = usize::try_from(len).map_err(|_| corrupt("signature frame"))?;
        let (one, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| corrupt("signature frame"))?;
        out.push(one.to_vec());
        v = rest;
    }
    Ok(out)
}

impl RequestRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<Request, StoreError> {
        let receipt_id: ReceiptId = self.receipt_id.parse().map_err(|_| corrupt("receipt id"))?;
        let client_code: ClientCode = self
            .client_code
            .parse()
            .map_err(|_| corrupt("client code"))?;
        let mut request = Request {
            receipt_id,
            kind: RequestKind::from_code(self.kind).ok_or_else(|| corrupt("request kind"))?,
            client_code,
            member_id: self.member_id.parse().map_err(|_| corrupt("member id"))?,
            receiver: person(
                keys.open_string(col::REQ_NAME, &self.receiver_name_enc)?,
                keys.open_string(col::REQ_PHONE, &self.receiver_phone_enc)?,
                keys.open_string(col::REQ_BIRTHDAY, &self.receiver_birthday_enc)?,
            )?,
            documents: Vec::new(),
            title: self.title,
            extra_message: self
                .extra_message_enc
                .map(|v| keys.open_string(col::REQ_EXTRA, &v))
                .transpose()?,
            call_center_num: self.call_center_num,
            expire_in: u32::try_from(self.expire_in).map_err(|_| corrupt("expire_in"))?,
            options: RequestOptions::default(),
            binding_code: None,
            tx_id: self.tx_id,
            requested_at: from_ms(self.requested_at)?,
            expire_at: from_ms(self.expire_at)?,
            viewed_at: opt_ms(self.viewed_at)?,
            completed_at: opt_ms(self.completed_at)?,
            verified_at: opt_ms(self.verified_at)?,
            stored_state: RequestState::from_code(self.state).ok_or_else(|| corrupt("state"))?,
            signed_data: self
                .signed_data_enc
                .map(|v| keys.open(col::REQ_SIGNED, &v))
                .transpose()?
                .map(|v| decode_signatures(&v))
                .transpose()?
                .unwrap_or_default(),
            signer_serial: self.signer_serial,
            signer_ocsp: self.signer_ocsp,
            reason: self.reason,
        };
        let details: Details = match &self.details_enc {
            Some(v) => serde_json::from_slice(&keys.open(col::REQ_DETAILS, v)?)
                .map_err(|_| corrupt("request details"))?,
            None => Details {
                verify_name: true,
                ..Details::default()
            },
        };
        request.documents = if details.documents.is_empty() {
            vec![Document {
                title: request.title.clone(),
                token_type: TokenType::Text,
                token: keys.open_string(col::REQ_TOKEN, &self.token_enc)?,
            }]
        } else {
            details
                .documents
                .into_iter()
                .map(|d| {
                    Ok(Document {
                        title: d.title,
                        token_type: TokenType::parse(&d.token_type)
                            .ok_or_else(|| corrupt("token type"))?,
                        token: d.token,
                    })
                })
                .collect::<Result<_, StoreError>>()?
        };
        request.options = RequestOptions {
            call_center_name: details.call_center_name,
            sub_client_id: details.sub_client_id,
            sub_client_name: details.sub_client_name,
            payload: details.payload,
            allow_simple_regist: details.allow_simple_regist,
            require_beyond_phone: details.require_beyond_phone,
            verify_name: details.verify_name,
            require_verified_name: details.require_verified_name,
            app_use: details.app_use,
            return_url: details.return_url,
        };
        request.binding_code = details.binding_code;
        Ok(request)
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WaitingRow {
    #[sqlx(flatten)]
    pub request: RequestRow,
    pub requester: String,
}

impl WaitingRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<WaitingRequest, StoreError> {
        Ok(WaitingRequest {
            request: self.request.into_domain(keys)?,
            requester: self.requester,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub channel: String,
    pub recipient_enc: Vec<u8>,
    pub body_enc: Vec<u8>,
    pub created_at: i64,
}

impl OutboxRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<OutboxMessage, StoreError> {
        let recipient = keys.open_string(col::OUTBOX_RECIPIENT, &self.recipient_enc)?;
        Ok(OutboxMessage {
            channel: self.channel,
            recipient: Phone::parse(&recipient).map_err(|_| corrupt("outbox recipient"))?,
            body: keys.open_string(col::OUTBOX_BODY, &self.body_enc)?,
            created_at: from_ms(self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdempotentRow {
    pub receipt_id: String,
    pub body_hash: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow)]
#[expect(dead_code, reason = "read only to learn that a row exists")]
pub(crate) struct ReceiptRow {
    pub receipt_id: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecentRow {
    pub n: i64,
    pub oldest: Option<i64>,
}

impl RecentRow {
    /// `Some(oldest)` when `max` or more requests were counted.
    pub fn limited(&self, max: u32) -> Result<Option<OffsetDateTime>, StoreError> {
        if self.n >= i64::from(max) {
            Ok(Some(from_ms(self.oldest.unwrap_or(0))?))
        } else {
            Ok(None)
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NameRow {
    pub name: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AliasRow {
    pub client_code: String,
    pub sub_client_id: String,
    pub name: String,
    pub created_at: i64,
}

impl AliasRow {
    pub fn into_domain(self) -> Result<crate::Alias, StoreError> {
        Ok(crate::Alias {
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            sub_client_id: self.sub_client_id,
            name: self.name,
            created_at: from_ms(self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookRow {
    pub client_code: String,
    pub url: String,
    pub secret_enc: Vec<u8>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<crate::Webhook, StoreError> {
        Ok(crate::Webhook {
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            url: self.url,
            secret: keys.open_string(col::WEBHOOK_SECRET, &self.secret_enc)?,
            created_at: from_ms(self.created_at)?,
            updated_at: from_ms(self.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LoginTextsRow {
    pub client_code: String,
    pub lang: String,
    pub recipient: Option<String>,
    pub purpose: Option<String>,
    pub items: Option<String>,
    pub retention: Option<String>,
    pub help: Option<String>,
    pub support: Option<String>,
    pub updated_at: i64,
}

impl LoginTextsRow {
    pub fn into_domain(self) -> Result<crate::LoginTexts, StoreError> {
        Ok(crate::LoginTexts {
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            lang: self.lang,
            recipient: self.recipient,
            purpose: self.purpose,
            items: self.items,
            retention: self.retention,
            help: self.help,
            support: self.support,
            updated_at: from_ms(self.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdRow {
    pub id: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    pub id: i64,
    pub client_code: String,
    pub receipt_id: String,
    pub event: String,
    pub body: String,
    pub state: i32,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

impl DeliveryRow {
    pub fn into_domain(self) -> Result<crate::Delivery, StoreError> {
        Ok(crate::Delivery {
            id: self.id,
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            receipt_id: self.receipt_id,
            event: self.event,
            body: self.body,
            state: crate::DeliveryState::from_code(self.state)
                .ok_or_else(|| corrupt("delivery state"))?,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("delivery attempts"))?,
            next_attempt_at: from_ms(self.next_attempt_at)?,
            created_at: from_ms(self.created_at)?,
            finished_at: self.finished_at.map(from_ms).transpose()?,
            last_status: self
                .last_status
                .map(|s| u16::try_from(s).map_err(|_| corrupt("delivery status")))
                .transpose()?,
            last_error: self.last_error,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttemptRow {
    pub delivery_id: i64,
    pub attempt: i32,
    pub at: i64,
    pub url: String,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl AttemptRow {
    pub fn into_domain(self) -> Result<crate::Attempt, StoreError> {
        Ok(crate::Attempt {
            delivery_id: self.delivery_id,
            attempt: u32::try_from(self.attempt).map_err(|_| corrupt("attempt number"))?,
            at: from_ms(self.at)?,
            url: self.url,
            status: self
                .status
                .map(|s| u16::try_from(s).map_err(|_| corrupt("attempt status")))
                .transpose()?,
            error: self.error,
            duration_ms: u64::try_from(self.duration_ms).unwrap_or(0),
        })
    }
}

/// The values [`crate::Store::record_attempt`] writes: the attempt row, then the delivery's new
/// state, attempts, next try, finish time, last status and error.
pub(crate) struct AttemptValues {
    pub delivery_id: i64,
    pub attempt: i32,
    pub at: i64,
    pub url: String,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub state: i32,
    pub next_attempt_at: i64,
    pub finished_at: Option<i64>,
}

impl AttemptValues {
    pub fn new(a: &crate::Attempt, after: crate::AfterAttempt) -> Self {
        let at = ms(a.at);
        let (state, next, finished) = match after {
            crate::AfterAttempt::Delivered => (crate::DeliveryState::Delivered, at, Some(at)),
            crate::AfterAttempt::RetryAt(t) => (crate::DeliveryState::Pending, ms(t), None),
            crate::AfterAttempt::GiveUp => (crate::DeliveryState::GivenUp, at, Some(at)),
        };
        Self {
            delivery_id: a.delivery_id,
            attempt: i32::try_from(a.attempt).unwrap_or(i32::MAX),
            at,
            url: a.url.clone(),
            status: a.status.map(i32::from),
            error: a.error.clone(),
            duration_ms: i64::try_from(a.duration_ms).unwrap_or(i64::MAX),
            state: state.code(),
            next_attempt_at: next,
            finished_at: finished,
        }
    }
}

// ----- lookups and values to write, shared by both backends ----------------------------------

/// Keyed hash finding a member by phone and birth date.
pub(crate) fn member_lookup(keys: &DataKeys, phone: &Phone, birthday: &Birthday) -> Vec<u8> {
    keys.lookup(
        col::LOOKUP_MEMBER,
        &[phone.as_str(), &birthday.to_compact()],
    )
}

/// Keyed hash finding enrolments and SMS by phone.
pub(crate) fn phone_lookup(keys: &DataKeys, phone: &Phone) -> Vec<u8> {
    keys.lookup(col::LOOKUP_PHONE, &[phone.as_str()])
}

/// Keyed hash finding bank-account checks by account: the bank and the digits alone.
pub(crate) fn account_lookup(keys: &DataKeys, bank: &BankCode, account: &AccountNumber) -> Vec<u8> {
    keys.lookup(col::LOOKUP_ACCOUNT, &[bank.as_str(), &account.digits()])
}

/// A bank-account check's columns, sealed.
pub(crate) struct BankCheckValues {
    pub id: String,
    pub phone_lookup: Vec<u8>,
    pub account_lookup: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub bank_code: String,
    pub account_enc: Vec<u8>,
    pub word_hash: Vec<u8>,
    pub attempts: i32,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
    pub created_at: i64,
}

impl BankCheckValues {
    pub fn seal(keys: &DataKeys, b: &BankCheck, now: OffsetDateTime) -> Result<Self, StoreError> {
        Ok(Self {
            id: b.id.to_string(),
            phone_lookup: phone_lookup(keys, &b.person.phone),
            account_lookup: account_lookup(keys, &b.bank, &b.account),
            name_enc: keys.seal_str(col::BANK_NAME, b.person.name.as_str())?,
            phone_enc: keys.seal_str(col::BANK_PHONE, b.person.phone.as_str())?,
            birthday_enc: keys.seal_str(col::BANK_BIRTHDAY, &b.person.birthday.to_compact())?,
            bank_code: b.bank.as_str().to_owned(),
            account_enc: keys.seal_str(col::BANK_ACCOUNT, b.account.as_str())?,
            word_hash: b.word_hash.clone(),
            attempts: i32::try_from(b.attempts).unwrap_or(i32::MAX),
            expires_at: ms(b.expires_at),
            completed_at: b.completed_at.map(ms),
            created_at: ms(now),
        })
    }
}

/// A registration-desk code's columns, sealed.
pub(crate) struct RaCodeValues {
    pub ref_num: String,
    pub phone_lookup: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub code_hash: Vec<u8>,
    pub attempts: i32,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub serial: Option<String>,
    pub cancelled_at: Option<i64>,
}

impl RaCodeValues {
    pub fn seal(keys: &DataKeys, r: &RaCode) -> Result<Self, StoreError> {
        Ok(Self {
            ref_num: r.reference.as_str().to_owned(),
            phone_lookup: phone_lookup(keys, &r.person.phone),
            name_enc: keys.seal_str(col::RA_NAME, r.person.name.as_str())?,
            phone_enc: keys.seal_str(col::RA_PHONE, r.person.phone.as_str())?,
            birthday_enc: keys.seal_str(col::RA_BIRTHDAY, &r.person.birthday.to_compact())?,
            code_hash: r.code_hash.clone(),
            attempts: i32::try_from(r.attempts).unwrap_or(i32::MAX),
            issued_at: ms(r.issued_at),
            expires_at: ms(r.expires_at),
            used_at: r.used_at.map(ms),
            serial: r.serial.clone(),
            cancelled_at: r.cancelled_at.map(ms),
        })
    }
}

/// An enrolment's columns, sealed.
pub(crate) struct EnrolmentValues {
    pub id: String,
    pub phone_lookup: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub code_hash: Vec<u8>,
    pub attempts: i32,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
    pub created_at: i64,
}

impl EnrolmentValues {
    pub fn seal(keys: &DataKeys, e: &Enrolment, now: OffsetDateTime) -> Result<Self, StoreError> {
        Ok(Self {
            id: e.id.to_string(),
            phone_lookup: phone_lookup(keys, &e.person.phone),
            name_enc: keys.seal_str(col::ENROL_NAME, e.person.name.as_str())?,
            phone_enc: keys.seal_str(col::ENROL_PHONE, e.person.phone.as_str())?,
            birthday_enc: keys.seal_str(col::ENROL_BIRTHDAY, &e.person.birthday.to_compact())?,
            code_hash: e.code_hash.clone(),
            attempts: i32::try_from(e.attempts).unwrap_or(i32::MAX),
            expires_at: ms(e.expires_at),
            completed_at: e.completed_at.map(ms),
            created_at: ms(now),
        })
    }
}

/// A new member's columns, sealed.
pub(crate) struct MemberValues {
    pub id: String,
    pub lookup: Vec<u8>,
    pub phone_lookup: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub ci: String,
    pub created_at: i64,
}

/// The row a completed enrolment closes: its proof of identity.
pub(crate) enum Close {
    /// `enrolments.id` (`queries::CLOSE_ENROLMENT`).
    Enrolment(String),
    /// `bank_checks.id` (`queries::CLOSE_BANK_CHECK`).
    BankCheck(String),
    /// `ra_codes.ref_num` (`queries::CLOSE_RA_CODE`), recording the certificate's serial.
    RaCode(String),
    /// `cloud_alt.tx_id` (`queries::CLOSE_CLOUD_ALT`).
    Alt(String),
}

/// A cloud issuance's extra rows, sealed.
pub(crate) struct CloudValues {
    pub key_label: String,
    pub pin_hash: String,
    pub browser: CloudBrowserValues,
}

/// A browser's row.
pub(crate) struct CloudBrowserValues {
    pub id: String,
    pub device_id: String,
    pub spki: Vec<u8>,
    pub label: String,
    pub created_at: i64,
}

impl CloudBrowserValues {
    pub fn of(b: &crate::CloudBrowser) -> Self {
        Self {
            id: b.id.clone(),
            device_id: b.device_id.to_string(),
            spki: b.spki.clone(),
            label: b.label.clone(),
            created_at: ms(b.created_at),
        }
    }
}

/// Everything a completed enrolment writes, sealed.
pub(crate) struct CompletionValues {
    pub now: i64,
    pub close: Close,
    pub new_member: Option<MemberValues>,
    pub member_id: String,
    pub device_id: String,
    pub token_hash: Vec<u8>,
    pub device_created_at: i64,
    pub serial: String,
    pub der_enc: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    /// How the holder proved who they are: the proof this enrolment closes.
    pub proof: &'static str,
    /// The device's PIN check: verifier and sealed secret.
    pub pin: Option<(Vec<u8>, Vec<u8>)>,
    /// `app` or `cloud`: which of the member's devices it supersedes.
    pub kind: &'static str,
    /// A cloud certificate's rows.
    pub cloud: Option<CloudValues>,
}

impl MemberValues {
    /// The member's id and, for a new one, its sealed columns.
    pub fn of_choice(
        keys: &DataKeys,
        choice: &MemberChoice,
    ) -> Result<(dojang_core::MemberId, Option<Self>), StoreError> {
        Ok(match choice {
            MemberChoice::Existing(id) => (*id, None),
            MemberChoice::New(m) => (
                m.id,
                Some(MemberValues {
                    id: m.id.to_string(),
                    lookup: member_lookup(keys, &m.person.phone, &m.person.birthday),
                    phone_lookup: phone_lookup(keys, &m.person.phone),
                    name_enc: keys.seal_str(col::MEMBER_NAME, m.person.name.as_str())?,
                    phone_enc: keys.seal_str(col::MEMBER_PHONE, m.person.phone.as_str())?,
                    birthday_enc: keys
                        .seal_str(col::MEMBER_BIRTHDAY, &m.person.birthday.to_compact())?,
                    ci: m.ci.clone(),
                    created_at: ms(m.created_at),
                }),
            ),
        })
    }
}

impl CompletionValues {
    pub fn seal(keys: &DataKeys, c: &CompletedEnrolment) -> Result<Self, StoreError> {
        let (member_id, new_member) = MemberValues::of_choice(keys, &c.member)?;
        Ok(Self {
            now: ms(c.now),
            close: match &c.proof {
                Proof::Sms(id) => Close::Enrolment(id.to_string()),
                Proof::Bank(id) => Close::BankCheck(id.to_string()),
                Proof::Desk(r) => Close::RaCode(r.as_str().to_owned()),
                Proof::Alt(tx) => Close::Alt(tx.clone()),
            },
            new_member,
            member_id: member_id.to_string(),
            device_id: c.device.id.to_string(),
            token_hash: c.device.token_hash.clone(),
            device_created_at: ms(c.device.created_at),
            serial: c.certificate.serial.clone(),
            der_enc: keys.seal(col::CERT_DER, &c.certificate.der)?,
            not_before: ms(c.certificate.not_before),
            not_after: ms(c.certificate.not_after),
            proof: c.proof.identity().as_str(),
            pin: c
                .pin
                .as_ref()
                .map(|p| {
                    Ok::<_, StoreError>((
                        p.verifier.clone(),
                        keys.seal(col::PIN_SECRET, &p.unlock_secret)?,
                    ))
                })
                .transpose()?,
            kind: c.device.kind.as_str(),
            cloud: c.cloud.as_ref().map(|n| CloudValues {
                key_label: n.key_label.clone(),
                pin_hash: n.pin_hash.clone(),
                browser: CloudBrowserValues::of(&n.browser),
            }),
        })
    }
}

/// A request's 25 columns, sealed, in the order of `queries::INSERT_REQUEST`.
pub(crate) struct RequestValues {
    pub receipt_id: String,
    pub kind: i32,
    pub client_code: String,
    pub member_id: String,
    pub receiver_name_enc: Vec<u8>,
    pub receiver_phone_enc: Vec<u8>,
    pub receiver_birthday_enc: Vec<u8>,
    pub token_enc: Vec<u8>,
    pub title: String,
    pub extra_message_enc: Option<Vec<u8>>,
    pub call_center_num: Option<String>,
    pub expire_in: i32,
    pub requested_at: i64,
    pub expire_at: i64,
    pub viewed_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub verified_at: Option<i64>,
    pub state: i32,
    pub signed_data_enc: Option<Vec<u8>>,
    pub signer_serial: Option<String>,
    pub reason: Option<String>,
    pub details_enc: Vec<u8>,
    pub tx_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub body_hash: Option<Vec<u8>>,
}

impl RequestValues {
    pub fn seal(
        keys: &DataKeys,
        r: &Request,
        idempotency: Option<&crate::IdempotencyCheck>,
    ) -> Result<Self, StoreError> {
        let details = serde_json::to_vec(&Details::of(r))
            .map_err(|e| StoreError::Corrupt(format!("request details: {e}")))?;
        Ok(Self {
            receipt_id: r.receipt_id.to_string(),
            kind: r.kind.code(),
            client_code: r.client_code.to_string(),
            member_id: r.member_id.to_string(),
            receiver_name_enc: keys.seal_str(col::REQ_NAME, r.receiver.name.as_str())?,
            receiver_phone_enc: keys.seal_str(col::REQ_PHONE, r.receiver.phone.as_str())?,
            receiver_birthday_enc: keys
                .seal_str(col::REQ_BIRTHDAY, &r.receiver.birthday.to_compact())?,
            token_enc: keys.seal_str(col::REQ_TOKEN, r.token())?,
            title: r.title.clone(),
            extra_message_enc: r
                .extra_message
                .as_deref()
                .map(|m| keys.seal_str(col::REQ_EXTRA, m))
                .transpose()?,
            call_center_num: r.call_center_num.clone(),
            expire_in: i32::try_from(r.expire_in).unwrap_or(i32::MAX),
            requested_at: ms(r.requested_at),
            expire_at: ms(r.expire_at),
            viewed_at: r.viewed_at.map(ms),
            completed_at: r.completed_at.map(ms),
            verified_at: r.verified_at.map(ms),
            state: r.stored_state.code(),
            signed_data_enc: if r.signed_data.is_empty() {
                None
            } else {
                Some(keys.seal(col::REQ_SIGNED, &encode_signatures(&r.signed_data))?)
            },
            signer_serial: r.signer_serial.clone(),
            reason: r.reason.clone(),
            details_enc: keys.seal(col::REQ_DETAILS, &details)?,
            tx_id: r.tx_id.clone(),
            idempotency_key: idempotency.map(|i| i.key.clone()),
            body_hash: idempotency.map(|i| i.body_hash.clone()),
        })
    }
}

// ----- reading rows from rusqlite (the SQLite backend) ---------------------------------------

/// Build a row type from a rusqlite row, by column name.
pub(crate) trait FromSqlite: Sized {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// `FromSqlite` for a row struct whose fields are read by the columns of the same names.
macro_rules! from_sqlite {
    ($row:ident { $($field:ident),* $(,)? }) => {
        impl FromSqlite for $row {
            fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(Self { $($field: r.get(stringify!($field))?),* })
            }
        }
    };
}

from_sqlite!(RelyingPartyRow {
    client_code,
    link_id,
    name,
    secret_enc,
    call_center_num,
    created_at
});
from_sqlite!(MemberRow {
    id,
    name_enc,
    phone_enc,
    birthday_enc,
    ci,
    created_at
});
from_sqlite!(DeviceRow {
    id,
    member_id,
    token_hash,
    created_at,
    revoked_at,
    kind
});
from_sqlite!(CertificateRow {
    serial,
    member_id,
    device_id,
    der_enc,
    not_before,
    not_after,
    revoked_at,
    revocation_reason,
    proof
});
/// `RETURNING failures` of a counted wrong PIN proof.
pub(crate) struct FailuresRow {
    pub failures: i64,
}
from_sqlite!(FailuresRow { failures });
from_sqlite!(DeviceBiometricRow {
    credential_id,
    public_key,
    sign_count,
    created_at
});
from_sqlite!(BiometricChallengeRow {
    device_id,
    expires_at,
    used_at
});
from_sqlite!(DevicePinRow {
    verifier,
    unlock_secret_enc,
    failures,
    locked_at
});
from_sqlite!(RevokedRow {
    serial,
    revoked_at,
    revocation_reason
});
from_sqlite!(EnrolmentRow {
    id,
    name_enc,
    phone_enc,
    birthday_enc,
    code_hash,
    attempts,
    expires_at,
    completed_at
});
from_sqlite!(BankCheckRow {
    id,
    name_enc,
    phone_enc,
    birthday_enc,
    bank_code,
    account_enc,
    word_hash,
    attempts,
    expires_at,
    completed_at
});
from_sqlite!(RaCodeRow {
    ref_num,
    name_enc,
    phone_enc,
    birthday_enc,
    code_hash,
    attempts,
    issued_at,
    expires_at,
    used_at,
    serial,
    cancelled_at
});
from_sqlite!(RequestRow {
    receipt_id,
    kind,
    client_code,
    member_id,
    receiver_name_enc,
    receiver_phone_enc,
    receiver_birthday_enc,
    token_enc,
    title,
    extra_message_enc,
    call_center_num,
    expire_in,
    requested_at,
    expire_at,
    viewed_at,
    completed_at,
    verified_at,
    state,
    signed_data_enc,
    signer_serial,
    reason,
    details_enc,
    tx_id,
    signer_ocsp,
});
from_sqlite!(IdempotentRow {
    receipt_id,
    body_hash
});
from_sqlite!(ReceiptRow { receipt_id });
from_sqlite!(RecentRow { n, oldest });
/// A `COUNT(*) AS n`.
pub(crate) struct CountRow {
    pub n: i64,
}
from_sqlite!(CountRow { n });
from_sqlite!(NameRow { name });
from_sqlite!(AliasRow {
    client_code,
    sub_client_id,
    name,
    created_at
});
from_sqlite!(LoginTextsRow {
    client_code,
    lang,
    recipient,
    purpose,
    items,
    retention,
    help,
    support,
    updated_at
});
from_sqlite!(WebhookRow {
    client_code,
    url,
    secret_enc,
    created_at,
    updated_at
});
from_sqlite!(IdRow { id });
from_sqlite!(DeliveryRow {
    id,
    client_code,
    receipt_id,
    event,
    body,
    state,
    attempts,
    next_attempt_at,
    created_at,
    finished_at,
    last_status,
    last_error
});
from_sqlite!(AttemptRow {
    delivery_id,
    attempt,
    at,
    url,
    status,
    error,
    duration_ms
});
from_sqlite!(OutboxRow {
    channel,
    recipient_enc,
    body_enc,
    created_at
});

impl FromSqlite for WaitingRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            request: RequestRow::read(r)?,
            requester: r.get("requester")?,
        })
    }
}

// ----- the admin console ------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
pub(crate) struct AdminSessionRow {
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub operator_id: i64,
    pub pending_totp: i64,
}
from_sqlite!(AdminSessionRow {
    token_hash,
    created_at,
    last_seen_at,
    expires_at,
    operator_id,
    pending_totp
});

impl AdminSessionRow {
    pub fn into_domain(self) -> Result<crate::AdminSession, StoreError> {
        Ok(crate::AdminSession {
            token_hash: self.token_hash,
            operator_id: self.operator_id,
            pending_totp: self.pending_totp != 0,
            created_at: from_ms(self.created_at)?,
            last_seen_at: from_ms(self.last_seen_at)?,
            expires_at: from_ms(self.expires_at)?,
        })
    }
}

/// `SELECT owner` of a sandbox person.
#[derive(sqlx::FromRow)]
pub(crate) struct OwnerRow {
    pub owner: Vec<u8>,
}
from_sqlite!(OwnerRow { owner });

/// `SELECT value` of a setting.
#[derive(sqlx::FromRow)]
pub(crate) struct ValueRow {
    pub value: String,
}
from_sqlite!(ValueRow { value });

/// One line of [`crate::queries::REQUESTS_PER_DAY`].
#[derive(sqlx::FromRow)]
pub(crate) struct DayCountRow {
    pub day: i64,
    pub st: i32,
    pub n: i64,
}
from_sqlite!(DayCountRow { day, st, n });

impl DayCountRow {
    pub fn into_domain(self) -> Result<crate::DayCount, StoreError> {
        let day = OffsetDateTime::from_unix_timestamp(self.day.saturating_mul(86_400))
            .map_err(|_| corrupt("day"))?
            .date();
        Ok(crate::DayCount {
            day,
            state: RequestState::from_code(self.st).ok_or_else(|| corrupt("request state"))?,
            count: u64::try_from(self.n).map_err(|_| corrupt("count"))?,
        })
    }
}

// The hosted login page.

/// What a consent record writes.
pub(crate) struct ConsentValues {
    pub id: String,
    pub client_code: String,
    pub receipt_id: String,
    pub phone_lookup: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub notice_version: String,
    pub notice_sha256: Vec<u8>,
    pub lang: String,
    pub accepted_at: i64,
}

impl ConsentValues {
    pub fn seal(keys: &DataKeys, c: &crate::Consent) -> Result<Self, StoreError> {
        Ok(Self {
            id: c.id.clone(),
            client_code: c.client_code.to_string(),
            receipt_id: c.receipt_id.clone(),
            phone_lookup: phone_lookup(keys, &c.person.phone),
            name_enc: keys.seal_str(col::CONSENT_NAME, c.person.name.as_str())?,
            phone_enc: keys.seal_str(col::CONSENT_PHONE, c.person.phone.as_str())?,
            birthday_enc: keys.seal_str(col::CONSENT_BIRTHDAY, &c.person.birthday.to_compact())?,
            notice_version: c.notice_version.clone(),
            notice_sha256: c.notice_sha256.clone(),
            lang: c.lang.clone(),
            accepted_at: ms(c.accepted_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    pub id: String,
    pub client_code: String,
    pub receipt_id: String,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub notice_version: String,
    pub notice_sha256: Vec<u8>,
    pub lang: String,
    pub accepted_at: i64,
}

impl ConsentRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<crate::Consent, StoreError> {
        Ok(crate::Consent {
            id: self.id,
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            receipt_id: self.receipt_id,
            person: person(
                keys.open_string(col::CONSENT_NAME, &self.name_enc)?,
                keys.open_string(col::CONSENT_PHONE, &self.phone_enc)?,
                keys.open_string(col::CONSENT_BIRTHDAY, &self.birthday_enc)?,
            )?,
            notice_version: self.notice_version,
            notice_sha256: self.notice_sha256,
            lang: self.lang,
            accepted_at: from_ms(self.accepted_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LoginSessionRow {
    pub id: String,
    pub client_code: String,
    pub state_param: String,
    pub receipt_id: String,
    pub consent_id: String,
    pub created_at: i64,
    pub expire_at: i64,
    pub code_expire_at: Option<i64>,
    pub exchanged_at: Option<i64>,
}

impl LoginSessionRow {
    pub fn into_domain(self) -> Result<crate::LoginSession, StoreError> {
        Ok(crate::LoginSession {
            id: self.id,
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            state: self.state_param,
            receipt_id: self.receipt_id,
            consent_id: self.consent_id,
            created_at: from_ms(self.created_at)?,
            expire_at: from_ms(self.expire_at)?,
            code_expire_at: opt_ms(self.code_expire_at)?,
            exchanged_at: opt_ms(self.exchanged_at)?,
        })
    }
}

from_sqlite!(ConsentRow {
    id,
    client_code,
    receipt_id,
    name_enc,
    phone_enc,
    birthday_enc,
    notice_version,
    notice_sha256,
    lang,
    accepted_at
});
from_sqlite!(LoginSessionRow {
    id,
    client_code,
    state_param,
    receipt_id,
    consent_id,
    created_at,
    expire_at,
    code_expire_at,
    exchanged_at
});

// ----- operators and the audit log ---------------------------------------------------------------

#[derive(sqlx::FromRow)]
pub(crate) struct OperatorRow {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub totp_enc: Option<Vec<u8>>,
    pub totp_confirmed_at: Option<i64>,
    pub totp_last_step: i64,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}
from_sqlite!(OperatorRow {
    id,
    login,
    display_name,
    role,
    password_hash,
    totp_enc,
    totp_confirmed_at,
    totp_last_step,
    disabled_at,
    created_at,
    updated_at
});

impl OperatorRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<crate::OperatorRecord, StoreError> {
        Ok(crate::OperatorRecord {
            id: self.id,
            login: self.login,
            display_name: self.display_name,
            role: crate::OperatorRole::parse(&self.role).ok_or_else(|| corrupt("operator role"))?,
            password_hash: self.password_hash,
            totp_secret: self
                .totp_enc
                .map(|v| keys.open(col::OPERATOR_TOTP, &v))
                .transpose()?,
            totp_confirmed_at: opt_ms(self.totp_confirmed_at)?,
            totp_last_step: self.totp_last_step,
            disabled_at: opt_ms(self.disabled_at)?,
            created_at: from_ms(self.created_at)?,
            updated_at: from_ms(self.updated_at)?,
        })
    }
}

/// Seal a TOTP secret for `operators.totp_enc`.
pub(crate) fn seal_totp(
    keys: &DataKeys,
    secret: Option<&[u8]>,
) -> Result<Option<Vec<u8>>, StoreError> {
    secret.map(|s| keys.seal(col::OPERATOR_TOTP, s)).transpose()
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub operator_id: Option<i64>,
    pub operator_login: String,
    pub role: String,
    pub source: String,
    pub action: String,
    pub target: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub outcome: String,
}
from_sqlite!(AuditRow {
    id,
    at,
    operator_id,
    operator_login,
    role,
    source,
    action,
    target,
    before_json,
    after_json,
    outcome
});

impl AuditRow {
    pub fn into_domain(self) -> Result<crate::AuditEntry, StoreError> {
        Ok(crate::AuditEntry {
            id: self.id,
            at: from_ms(self.at)?,
            operator_id: self.operator_id,
            operator_login: self.operator_login,
            role: self.role,
            source: self.source,
            action: self.action,
            target: self.target,
            before: self.before_json,
            after: self.after_json,
            outcome: self.outcome,
        })
    }
}

/// The audit filter's parameters: login, action prefix, since, until (each NULL when unset).
pub(crate) fn audit_params(
    f: &crate::AuditFilter,
) -> (Option<String>, Option<String>, Option<i64>, Option<i64>) {
    (
        f.operator.clone(),
        f.action_prefix.clone(),
        f.since.map(ms),
        f.until.map(ms),
    )
}

// ----- the cloud certificate (schema v16) ----------------------------------------------------

pub const CLOUD_USE_ADDRESS: &str = "cloud_uses.address";
pub const CLOUD_ALT_NAME: &str = "cloud_alt.name";
pub const CLOUD_ALT_PHONE: &str = "cloud_alt.phone";
pub const CLOUD_ALT_BIRTHDAY: &str = "cloud_alt.birthday";

#[derive(sqlx::FromRow)]
pub(crate) struct CloudDeviceRow {
    pub device_id: String,
    pub key_label: String,
    pub pin_hash: String,
    pub pin_failures: i32,
    pub locked_at: Option<i64>,
}
from_sqlite!(CloudDeviceRow {
    device_id,
    key_label,
    pin_hash,
    pin_failures,
    locked_at
});

impl CloudDeviceRow {
    pub fn into_domain(self) -> Result<crate::CloudDevice, StoreError> {
        Ok(crate::CloudDevice {
            device_id: self.device_id.parse().map_err(|_| corrupt("device id"))?,
            key_label: self.key_label,
            pin_hash: self.pin_hash,
            pin_failures: u32::try_from(self.pin_failures).map_err(|_| corrupt("pin failures"))?,
            locked_at: opt_ms(self.locked_at)?,
        })
    }
}

/// `RETURNING pin_failures, locked_at` of a wrong PIN.
#[derive(sqlx::FromRow)]
pub(crate) struct CloudPinRow {
    pub pin_failures: i32,
    pub locked_at: Option<i64>,
}
from_sqlite!(CloudPinRow {
    pin_failures,
    locked_at
});

#[derive(sqlx::FromRow)]
pub(crate) struct CloudBrowserRow {
    pub id: String,
    pub device_id: String,
    pub spki: Vec<u8>,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub removed_at: Option<i64>,
}
from_sqlite!(CloudBrowserRow {
    id,
    device_id,
    spki,
    label,
    created_at,
    last_used_at,
    removed_at
});

impl CloudBrowserRow {
    pub fn into_domain(self) -> Result<crate::CloudBrowser, StoreError> {
        Ok(crate::CloudBrowser {
            id: self.id,
            device_id: self.device_id.parse().map_err(|_| corrupt("device id"))?,
            spki: self.spki,
            label: self.label,
            created_at: from_ms(self.created_at)?,
            last_used_at: opt_ms(self.last_used_at)?,
            removed_at: opt_ms(self.removed_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CloudUseRow {
    pub device_id: String,
    pub browser_id: String,
    pub at: i64,
    pub action: String,
    pub client_code: String,
    pub receipt_id: String,
    pub digest: Vec<u8>,
    pub address_enc: Vec<u8>,
}
from_sqlite!(CloudUseRow {
    device_id,
    browser_id,
    at,
    action,
    client_code,
    receipt_id,
    digest,
    address_enc
});

impl CloudUseRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<crate::CloudUse, StoreError> {
        Ok(crate::CloudUse {
            device_id: self.device_id.parse().map_err(|_| corrupt("device id"))?,
            browser_id: self.browser_id,
            at: from_ms(self.at)?,
            action: self.action,
            client_code: self.client_code,
            receipt_id: self.receipt_id,
            digest: self.digest,
            address: keys.open_string(CLOUD_USE_ADDRESS, &self.address_enc)?,
        })
    }
}

/// A use's columns, sealed, in the order of `queries::INSERT_CLOUD_USE`.
pub(crate) struct CloudUseValues {
    pub device_id: String,
    pub browser_id: String,
    pub at: i64,
    pub action: String,
    pub client_code: String,
    pub receipt_id: String,
    pub digest: Vec<u8>,
    pub address_enc: Vec<u8>,
}

impl CloudUseValues {
    pub fn seal(keys: &DataKeys, u: &crate::CloudUse) -> Result<Self, StoreError> {
        Ok(Self {
            device_id: u.device_id.to_string(),
            browser_id: u.browser_id.clone(),
            at: ms(u.at),
            action: u.action.clone(),
            client_code: u.client_code.clone(),
            receipt_id: u.receipt_id.clone(),
            digest: u.digest.clone(),
            address_enc: keys.seal_str(CLOUD_USE_ADDRESS, &u.address)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CloudCodeRow {
    pub code_hash: Vec<u8>,
    pub client_code: String,
    pub kind: String,
    pub receipt_id: Option<String>,
    pub device_id: Option<String>,
    pub serial: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}
from_sqlite!(CloudCodeRow {
    code_hash,
    client_code,
    kind,
    receipt_id,
    device_id,
    serial,
    created_at,
    expires_at
});

impl CloudCodeRow {
    pub fn into_domain(self) -> Result<crate::CloudCode, StoreError> {
        Ok(crate::CloudCode {
            code_hash: self.code_hash,
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            kind: self.kind,
            receipt_id: self.receipt_id,
            device_id: self
                .device_id
                .map(|d| d.parse().map_err(|_| corrupt("device id")))
                .transpose()?,
            serial: self.serial,
            created_at: from_ms(self.created_at)?,
            expires_at: from_ms(self.expires_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CloudAltRow {
    pub tx_id: String,
    pub client_code: String,
    pub permission_hash: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}
from_sqlite!(CloudAltRow {
    tx_id,
    client_code,
    permission_hash,
    name_enc,
    phone_enc,
    birthday_enc,
    created_at,
    expires_at,
    used_at
});

impl CloudAltRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<crate::CloudAlt, StoreError> {
        Ok(crate::CloudAlt {
            tx_id: self.tx_id,
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            permission_hash: self.permission_hash,
            person: person(
                keys.open_string(CLOUD_ALT_NAME, &self.name_enc)?,
                keys.open_string(CLOUD_ALT_PHONE, &self.phone_enc)?,
                keys.open_string(CLOUD_ALT_BIRTHDAY, &self.birthday_enc)?,
            )?,
            created_at: from_ms(self.created_at)?,
            expires_at: from_ms(self.expires_at)?,
            used_at: opt_ms(self.used_at)?,
        })
    }
}

/// An alternative-authentication transaction's columns, sealed.
pub(crate) struct CloudAltValues {
    pub tx_id: String,
    pub client_code: String,
    pub permission_hash: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl CloudAltValues {
    pub fn seal(keys: &DataKeys, a: &crate::CloudAlt) -> Result<Self, StoreError> {
        Ok(Self {
            tx_id: a.tx_id.clone(),
            client_code: a.client_code.to_string(),
            permission_hash: a.permission_hash.clone(),
            name_enc: keys.seal_str(CLOUD_ALT_NAME, a.person.name.as_str())?,
            phone_enc: keys.seal_str(CLOUD_ALT_PHONE, a.person.phone.as_str())?,
            birthday_enc: keys.seal_str(CLOUD_ALT_BIRTHDAY, &a.person.birthday.to_compact())?,
            created_at: ms(a.created_at),
            expires_at: ms(a.expires_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CloudPartyRow {
    pub client_code: String,
    pub publishable_key: String,
    pub origins: String,
    pub stylesheets: String,
    pub updated_at: i64,
}
from_sqlite!(CloudPartyRow {
    client_code,
    publishable_key,
    origins,
    stylesheets,
    updated_at
});

impl CloudPartyRow {
    pub fn into_domain(self) -> Result<crate::CloudParty, StoreError> {
        Ok(crate::CloudParty {
            client_code: self
                .client_code
                .parse()
                .map_err(|_| corrupt("client code"))?,
            publishable_key: self.publishable_key,
            origins: serde_json::from_str(&self.origins).map_err(|_| corrupt("cloud origins"))?,
            stylesheets: serde_json::from_str(&self.stylesheets)
                .map_err(|_| corrupt("cloud stylesheets"))?,
            updated_at: from_ms(self.updated_at)?,
        })
    }
}

/// A party's columns, in the order of `queries::SET_CLOUD_PARTY`.
pub(crate) struct CloudPartyValues {
    pub client_code: String,
    pub publishable_key: String,
    pub origins: String,
    pub stylesheets: String,
    pub updated_at: i64,
}

impl CloudPartyValues {
    pub fn of(p: &crate::CloudParty) -> Result<Self, StoreError> {
        Ok(Self {
            client_code: p.client_code.to_string(),
            publishable_key: p.publishable_key.clone(),
            origins: serde_json::to_string(&p.origins)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            stylesheets: serde_json::to_string(&p.stylesheets)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            updated_at: ms(p.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CloudAskRow {
    pub id: String,
    pub device_id: Option<String>,
    pub spki: Vec<u8>,
    pub label: String,
    pub number: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
    pub state: String,
}
from_sqlite!(CloudAskRow {
    id,
    device_id,
    spki,
    label,
    number,
    created_at,
    expires_at,
    answered_at,
    state
});

impl CloudAskRow {
    pub fn into_domain(self) -> Result<crate::CloudAsk, StoreError> {
        Ok(crate::CloudAsk {
            id: self.id,
            device_id: self
                .device_id
                .map(|d| d.parse().map_err(|_| corrupt("device id")))
                .transpose()?,
            spki: self.spki,
            label: self.label,
            number: u32::try_from(self.number).map_err(|_| corrupt("ask number"))?,
            created_at: from_ms(self.created_at)?,
            expires_at: from_ms(self.expires_at)?,
            answered_at: opt_ms(self.answered_at)?,
            state: self.state,
        })
    }
}
