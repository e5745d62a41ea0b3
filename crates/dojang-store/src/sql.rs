// The one implementation of `Store`, compiled once per backend: `sqlite.rs` and `postgres.rs`
// each define `type Db` and then `include!` this file. All SQL here must therefore run on both
// SQLite and PostgreSQL: `$n` placeholders, `RETURNING`, `ON CONFLICT`, integer times.

use std::sync::Arc;

use async_trait::async_trait;
use dojang_core::enrolment::Enrolment;
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Device, DeviceId, EnrolmentId, Member, MemberId,
    OutboxMessage, Phone, ReceiptId, RelyingParty, Request, RequestState,
};
use sqlx::Pool;
use time::OffsetDateTime;

use crate::rows::{
    CertificateRow, DeviceRow, EnrolmentRow, MemberRow, OutboxRow, RelyingPartyRow, RequestRow,
    WaitingRow, col, ms, request_columns,
};
use crate::{
    Backend, CompletedEnrolment, DataKeys, MemberChoice, Store, StoreError, WaitingRequest,
};

/// A store on one backend.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool<Db>,
    keys: Arc<DataKeys>,
    /// Background maintenance that lives as long as the store (SQLite's checkpoints).
    _checkpointer: Option<Arc<Checkpointer>>,
}

fn unique_to_conflict(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

impl SqlStore {
    fn member_lookup(&self, phone: &Phone, birthday: &Birthday) -> Vec<u8> {
        self.keys.lookup(
            col::LOOKUP_MEMBER,
            &[phone.as_str(), &birthday.to_compact()],
        )
    }

    fn phone_lookup(&self, phone: &Phone) -> Vec<u8> {
        self.keys.lookup(col::LOOKUP_PHONE, &[phone.as_str()])
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        BACKEND
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_relying_party(&self, rp: &RelyingParty) -> Result<(), StoreError> {
        let secret = self.keys.seal(col::RP_SECRET, rp.secret.as_bytes())?;
        sqlx::query(
            "INSERT INTO relying_parties (client_code, link_id, name, secret_enc, call_center_num, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rp.client_code.as_str())
        .bind(&rp.link_id)
        .bind(&rp.name)
        .bind(secret)
        .bind(rp.call_center_num.as_deref())
        .bind(ms(rp.created_at))
        .execute(&self.pool)
        .await
        .map_err(|e| unique_to_conflict(e, "client code or LinkID"))?;
        Ok(())
    }

    async fn relying_party_by_link_id(
        &self,
        link_id: &str,
    ) -> Result<Option<RelyingParty>, StoreError> {
        sqlx::query_as::<Db, RelyingPartyRow>(
            "SELECT client_code, link_id, name, secret_enc, call_center_num, created_at \
             FROM relying_parties WHERE link_id = $1",
        )
        .bind(link_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn relying_party(&self, code: &ClientCode) -> Result<Option<RelyingParty>, StoreError> {
        sqlx::query_as::<Db, RelyingPartyRow>(
            "SELECT client_code, link_id, name, secret_enc, call_center_num, created_at \
             FROM relying_parties WHERE client_code = $1",
        )
        .bind(code.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn relying_parties(&self) -> Result<Vec<RelyingParty>, StoreError> {
        sqlx::query_as::<Db, RelyingPartyRow>(
            "SELECT client_code, link_id, name, secret_enc, call_center_num, created_at \
             FROM relying_parties ORDER BY client_code",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        sqlx::query_as::<Db, MemberRow>(
            "SELECT id, name_enc, phone_enc, birthday_enc, ci, created_at FROM members WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn member_by_phone_birthday(
        &self,
        phone: &Phone,
        birthday: &Birthday,
    ) -> Result<Option<Member>, StoreError> {
        sqlx::query_as::<Db, MemberRow>(
            "SELECT id, name_enc, phone_enc, birthday_enc, ci, created_at FROM members WHERE lookup = $1",
        )
        .bind(self.member_lookup(phone, birthday))
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn insert_enrolment(&self, e: &Enrolment, now: OffsetDateTime) -> Result<(), StoreError> {
        let k = &self.keys;
        sqlx::query(
            "INSERT INTO enrolments (id, phone_lookup, name_enc, phone_enc, birthday_enc, code_hash, \
             attempts, expires_at, completed_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.id.to_string())
        .bind(self.phone_lookup(&e.person.phone))
        .bind(k.seal_str(col::ENROL_NAME, e.person.name.as_str())?)
        .bind(k.seal_str(col::ENROL_PHONE, e.person.phone.as_str())?)
        .bind(k.seal_str(col::ENROL_BIRTHDAY, &e.person.birthday.to_compact())?)
        .bind(&e.code_hash)
        .bind(i32::try_from(e.attempts).unwrap_or(i32::MAX))
        .bind(ms(e.expires_at))
        .bind(e.completed_at.map(ms))
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn enrolments_since(
        &self,
        phone: &Phone,
        since: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM enrolments WHERE phone_lookup = $1 AND created_at >= $2",
        )
        .bind(self.phone_lookup(phone))
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn enrolment(&self, id: EnrolmentId) -> Result<Option<Enrolment>, StoreError> {
        sqlx::query_as::<Db, EnrolmentRow>(
            "SELECT id, name_enc, phone_enc, birthday_enc, code_hash, attempts, expires_at, completed_at \
             FROM enrolments WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn count_code_attempt(
        &self,
        id: EnrolmentId,
        max_attempts: u32,
    ) -> Result<Option<Enrolment>, StoreError> {
        sqlx::query_as::<Db, EnrolmentRow>(
            "UPDATE enrolments SET attempts = attempts + 1 \
             WHERE id = $1 AND completed_at IS NULL AND attempts < $2 \
             RETURNING id, name_enc, phone_enc, birthday_enc, code_hash, attempts, expires_at, completed_at",
        )
        .bind(id.to_string())
        .bind(i32::try_from(max_attempts).unwrap_or(i32::MAX))
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn complete_enrolment(&self, c: &CompletedEnrolment) -> Result<bool, StoreError> {
        let k = &self.keys;
        let now = ms(c.now);
        let mut tx = self.pool.begin().await?;
        let closed = sqlx::query(
            "UPDATE enrolments SET completed_at = $1 WHERE id = $2 AND completed_at IS NULL",
        )
        .bind(now)
        .bind(c.enrolment_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if closed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let member_id = match &c.member {
            MemberChoice::Existing(id) => *id,
            MemberChoice::New(m) => {
                sqlx::query(
                    "INSERT INTO members (id, lookup, name_enc, phone_enc, birthday_enc, ci, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(m.id.to_string())
                .bind(self.member_lookup(&m.person.phone, &m.person.birthday))
                .bind(k.seal_str(col::MEMBER_NAME, m.person.name.as_str())?)
                .bind(k.seal_str(col::MEMBER_PHONE, m.person.phone.as_str())?)
                .bind(k.seal_str(col::MEMBER_BIRTHDAY, &m.person.birthday.to_compact())?)
                .bind(&m.ci)
                .bind(ms(m.created_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_to_conflict(e, "member"))?;
                m.id
            }
        };
        // One certificate, one device per person: a new enrolment supersedes the earlier ones.
        sqlx::query(
            "UPDATE certificates SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(member_id.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE devices SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(member_id.to_string())
            .execute(&mut *tx)
            .await?;
        let d = &c.device;
        sqlx::query(
            "INSERT INTO devices (id, member_id, token_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(d.id.to_string())
        .bind(member_id.to_string())
        .bind(&d.token_hash)
        .bind(ms(d.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_to_conflict(e, "device"))?;
        let cert = &c.certificate;
        sqlx::query(
            "INSERT INTO certificates (serial, member_id, device_id, der_enc, not_before, not_after, revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
        )
        .bind(&cert.serial)
        .bind(member_id.to_string())
        .bind(d.id.to_string())
        .bind(k.seal(col::CERT_DER, &cert.der)?)
        .bind(ms(cert.not_before))
        .bind(ms(cert.not_after))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_to_conflict(e, "certificate serial"))?;
        tx.commit().await?;
        Ok(true)
    }

    async fn device(&self, id: DeviceId) -> Result<Option<Device>, StoreError> {
        sqlx::query_as::<Db, DeviceRow>(
            "SELECT id, member_id, token_hash, created_at, revoked_at FROM devices WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(DeviceRow::into_domain)
        .transpose()
    }

    async fn certificate(&self, serial: &str) -> Result<Option<CertificateRecord>, StoreError> {
        sqlx::query_as::<Db, CertificateRow>(
            "SELECT serial, member_id, device_id, der_enc, not_before, not_after, revoked_at \
             FROM certificates WHERE serial = $1",
        )
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn insert_request(&self, r: &Request) -> Result<(), StoreError> {
        let k = &self.keys;
        sqlx::query(
            "INSERT INTO requests (receipt_id, kind, client_code, member_id, receiver_name_enc, \
             receiver_phone_enc, receiver_birthday_enc, token_enc, title, extra_message_enc, \
             call_center_num, expire_in, requested_at, expire_at, viewed_at, completed_at, \
             verified_at, state, signed_data_enc, signer_serial, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(r.receipt_id.as_str())
        .bind(r.kind.code())
        .bind(r.client_code.as_str())
        .bind(r.member_id.to_string())
        .bind(k.seal_str(col::REQ_NAME, r.receiver.name.as_str())?)
        .bind(k.seal_str(col::REQ_PHONE, r.receiver.phone.as_str())?)
        .bind(k.seal_str(col::REQ_BIRTHDAY, &r.receiver.birthday.to_compact())?)
        .bind(k.seal_str(col::REQ_TOKEN, &r.token)?)
        .bind(&r.title)
        .bind(r.extra_message.as_deref().map(|m| k.seal_str(col::REQ_EXTRA, m)).transpose()?)
        .bind(r.call_center_num.as_deref())
        .bind(i32::try_from(r.expire_in).unwrap_or(i32::MAX))
        .bind(ms(r.requested_at))
        .bind(ms(r.expire_at))
        .bind(r.viewed_at.map(ms))
        .bind(r.completed_at.map(ms))
        .bind(r.verified_at.map(ms))
        .bind(r.stored_state.code())
        .bind(r.signed_data.as_deref().map(|s| k.seal(col::REQ_SIGNED, s)).transpose()?)
        .bind(r.signer_serial.as_deref())
        .bind(r.reason.as_deref())
        .execute(&self.pool)
        .await
        .map_err(|e| unique_to_conflict(e, "receipt id"))?;
        Ok(())
    }

    async fn request(&self, id: &ReceiptId) -> Result<Option<Request>, StoreError> {
        sqlx::query_as::<Db, RequestRow>(concat!(
            "SELECT ",
            request_columns!("r."),
            " FROM requests r WHERE r.receipt_id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn waiting_requests(
        &self,
        member: MemberId,
        now: OffsetDateTime,
    ) -> Result<Vec<WaitingRequest>, StoreError> {
        sqlx::query_as::<Db, WaitingRow>(concat!(
            "SELECT ",
            request_columns!("r."),
            ", p.name AS requester FROM requests r \
             JOIN relying_parties p ON p.client_code = r.client_code \
             WHERE r.member_id = $1 AND r.state = $2 AND r.expire_at > $3 \
             ORDER BY r.requested_at, r.receipt_id LIMIT 100"
        ))
        .bind(member.to_string())
        .bind(RequestState::Waiting.code())
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|w| {
            Ok(WaitingRequest {
                request: w.request.into_domain(&self.keys)?,
                requester: w.requester,
            })
        })
        .collect()
    }

    async fn mark_viewed(&self, id: &ReceiptId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE requests SET viewed_at = $1 \
             WHERE receipt_id = $2 AND viewed_at IS NULL AND state = $3 AND expire_at > $1",
        )
        .bind(ms(now))
        .bind(id.as_str())
        .bind(RequestState::Waiting.code())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn mark_signed(
        &self,
        id: &ReceiptId,
        signed_data: &[u8],
        signer_serial: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE requests SET state = $1, completed_at = $2, viewed_at = COALESCE(viewed_at, $2), \
             signed_data_enc = $3, signer_serial = $4 \
             WHERE receipt_id = $5 AND state = $6 AND expire_at > $2",
        )
        .bind(RequestState::Signed.code())
        .bind(ms(now))
        .bind(self.keys.seal(col::REQ_SIGNED, signed_data)?)
        .bind(signer_serial)
        .bind(id.as_str())
        .bind(RequestState::Waiting.code())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn mark_declined(
        &self,
        id: &ReceiptId,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.finish(id, RequestState::Declined, reason, now).await
    }

    async fn mark_failed(
        &self,
        id: &ReceiptId,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.finish(id, RequestState::Failed, Some(reason), now).await
    }

    async fn mark_verified(
        &self,
        id: &ReceiptId,
        client_code: &ClientCode,
        now: OffsetDateTime,
        signed_after: OffsetDateTime,
    ) -> Result<Option<Request>, StoreError> {
        sqlx::query_as::<Db, RequestRow>(concat!(
            "UPDATE requests SET verified_at = $1 \
             WHERE receipt_id = $2 AND client_code = $3 AND state = $4 \
             AND verified_at IS NULL AND completed_at >= $5 RETURNING ",
            request_columns!("")
        ))
        .bind(ms(now))
        .bind(id.as_str())
        .bind(client_code.as_str())
        .bind(RequestState::Signed.code())
        .bind(ms(signed_after))
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn insert_outbox(&self, m: &OutboxMessage) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbox (channel, recipient_lookup, recipient_enc, body_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&m.channel)
        .bind(self.phone_lookup(&m.recipient))
        .bind(self.keys.seal_str(col::OUTBOX_RECIPIENT, m.recipient.as_str())?)
        .bind(self.keys.seal_str(col::OUTBOX_BODY, &m.body)?)
        .bind(ms(m.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn outbox(
        &self,
        recipient: Option<&Phone>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let limit = i64::from(limit);
        let rows = match recipient {
            Some(p) => {
                sqlx::query_as::<Db, OutboxRow>(
                    "SELECT channel, recipient_enc, body_enc, created_at FROM outbox \
                     WHERE recipient_lookup = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(self.phone_lookup(p))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as::<Db, OutboxRow>(
                    "SELECT channel, recipient_enc, body_enc, created_at FROM outbox \
                     ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.into_iter().map(|r| r.into_domain(&self.keys)).collect()
    }
}

impl SqlStore {
    /// Waiting and unexpired → a final state with a reason.
    async fn finish(
        &self,
        id: &ReceiptId,
        state: RequestState,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE requests SET state = $1, completed_at = $2, reason = $3 \
             WHERE receipt_id = $4 AND state = $5 AND expire_at > $2",
        )
        .bind(state.code())
        .bind(ms(now))
        .bind(reason)
        .bind(id.as_str())
        .bind(RequestState::Waiting.code())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
