//! Row types and their conversion to and from domain types (decrypting on the way out).
//! Private to the crate: the rest of dojang never sees a row.

use dojang_core::enrolment::Enrolment;
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Device, Member, OutboxMessage, Person, PersonName,
    Phone, ReceiptId, RelyingParty, Request, RequestKind, RequestState, SecretKey,
};
use time::OffsetDateTime;

use crate::{CompletedEnrolment, DataKeys, MemberChoice, StoreError, WaitingRequest};

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
    pub name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub birthday_enc: Vec<u8>,
    pub ci: String,
    pub created_at: i64,
}

/// Everything a completed enrolment writes, sealed.
pub(crate) struct CompletionValues {
    pub now: i64,
    pub enrolment_id: String,
    pub new_member: Option<MemberValues>,
    pub member_id: String,
    pub device_id: String,
    pub token_hash: Vec<u8>,
    pub device_created_at: i64,
    pub serial: String,
    pub der_enc: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
}

impl CompletionValues {
    pub fn seal(keys: &DataKeys, c: &CompletedEnrolment) -> Result<Self, StoreError> {
        let (member_id, new_member) = match &c.member {
            MemberChoice::Existing(id) => (*id, None),
            MemberChoice::New(m) => (
                m.id,
                Some(MemberValues {
                    id: m.id.to_string(),
                    lookup: member_lookup(keys, &m.person.phone, &m.person.birthday),
                    name_enc: keys.seal_str(col::MEMBER_NAME, m.person.name.as_str())?,
                    phone_enc: keys.seal_str(col::MEMBER_PHONE, m.person.phone.as_str())?,
                    birthday_enc: keys
                        .seal_str(col::MEMBER_BIRTHDAY, &m.person.birthday.to_compact())?,
                    ci: m.ci.clone(),
                    created_at: ms(m.created_at),
                }),
            ),
        };
        Ok(Self {
            now: ms(c.now),
            enrolment_id: c.enrolment_id.to_string(),
            new_member,
            member_id: member_id.to_string(),
            device_id: c.device.id.to_string(),
            token_hash: c.device.token_hash.clone(),
            device_created_at: ms(c.device.created_at),
            serial: c.certificate.serial.clone(),
            der_enc: keys.seal(col::CERT_DER, &c.certificate.der)?,
            not_before: ms(c.certificate.not_before),
            not_after: ms(c.certificate.not_after),
        })
    }
}

/// A request's 21 columns, sealed, in the order of `queries::INSERT_REQUEST`.
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
}

impl RequestValues {
    pub fn seal(keys: &DataKeys, r: &Request) -> Result<Self, StoreError> {
        Ok(Self {
            receipt_id: r.receipt_id.to_string(),
            kind: r.kind.code(),
            client_code: r.client_code.to_string(),
            member_id: r.member_id.to_string(),
            receiver_name_enc: keys.seal_str(col::REQ_NAME, r.receiver.name.as_str())?,
            receiver_phone_enc: keys.seal_str(col::REQ_PHONE, r.receiver.phone.as_str())?,
            receiver_birthday_enc: keys
                .seal_str(col::REQ_BIRTHDAY, &r.receiver.birthday.to_compact())?,
            token_enc: keys.seal_str(col::REQ_TOKEN, &r.token)?,
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
            signed_data_enc: r
                .signed_data
                .as_deref()
                .map(|d| keys.seal(col::REQ_SIGNED, d))
                .transpose()?,
            signer_serial: r.signer_serial.clone(),
            reason: r.reason.clone(),
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
    revoked_at
});
from_sqlite!(CertificateRow {
    serial,
    member_id,
    device_id,
    der_enc,
    not_before,
    not_after,
    revoked_at
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
