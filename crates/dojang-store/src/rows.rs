//! Row types and their conversion to and from domain types (decrypting on the way out).
//! Private to the crate: the rest of dojang never sees a row.

use dojang_core::enrolment::Enrolment;
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Device, Member, OutboxMessage, Person, PersonName,
    Phone, ReceiptId, RelyingParty, Request, RequestKind, RequestState, SecretKey,
};
use time::OffsetDateTime;

use crate::{DataKeys, StoreError};

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
    pub const OUTBOX_RECIPIENT: &str = "outbox.recipient";
    pub const OUTBOX_BODY: &str = "outbox.body";
    /// Lookup labels.
    pub const LOOKUP_MEMBER: &str = "member";
    pub const LOOKUP_PHONE: &str = "phone";
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
}

impl DeviceRow {
    pub fn into_domain(self) -> Result<Device, StoreError> {
        Ok(Device {
            id: self.id.parse().map_err(|_| corrupt("device id"))?,
            member_id: self.member_id.parse().map_err(|_| corrupt("member id"))?,
            token_hash: self.token_hash,
            created_at: from_ms(self.created_at)?,
            revoked_at: opt_ms(self.revoked_at)?,
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
            "reason"
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
}

impl RequestRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<Request, StoreError> {
        let receipt_id: ReceiptId = self.receipt_id.parse().map_err(|_| corrupt("receipt id"))?;
        let client_code: ClientCode = self
            .client_code
            .parse()
            .map_err(|_| corrupt("client code"))?;
        Ok(Request {
            receipt_id,
            kind: RequestKind::from_code(self.kind).ok_or_else(|| corrupt("request kind"))?,
            client_code,
            member_id: self.member_id.parse().map_err(|_| corrupt("member id"))?,
            receiver: person(
                keys.open_string(col::REQ_NAME, &self.receiver_name_enc)?,
                keys.open_string(col::REQ_PHONE, &self.receiver_phone_enc)?,
                keys.open_string(col::REQ_BIRTHDAY, &self.receiver_birthday_enc)?,
            )?,
            token: keys.open_string(col::REQ_TOKEN, &self.token_enc)?,
            title: self.title,
            extra_message: self
                .extra_message_enc
                .map(|v| keys.open_string(col::REQ_EXTRA, &v))
                .transpose()?,
            call_center_num: self.call_center_num,
            expire_in: u32::try_from(self.expire_in).map_err(|_| corrupt("expire_in"))?,
            requested_at: from_ms(self.requested_at)?,
            expire_at: from_ms(self.expire_at)?,
            viewed_at: opt_ms(self.viewed_at)?,
            completed_at: opt_ms(self.completed_at)?,
            verified_at: opt_ms(self.verified_at)?,
            stored_state: RequestState::from_code(self.state).ok_or_else(|| corrupt("state"))?,
            signed_data: self
                .signed_data_enc
                .map(|v| keys.open(col::REQ_SIGNED, &v))
                .transpose()?,
            signer_serial: self.signer_serial,
            reason: self.reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WaitingRow {
    #[sqlx(flatten)]
    pub request: RequestRow,
    pub requester: String,
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
