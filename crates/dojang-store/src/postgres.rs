//! The PostgreSQL backend: sqlx's connection pool running the statements of
//! [`queries`](crate::queries), the same ones the SQLite backend runs.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dojang_core::bank::{AccountNumber, BankCheck, BankCode};
use dojang_core::enrolment::Enrolment;
use dojang_core::registration::{RaCode, ReferenceNumber};
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Device, DeviceId, EnrolmentId, Member, MemberId,
    OutboxMessage, Phone, ReceiptId, RelyingParty, Request, RequestKind, RequestState,
    RevokedCertificate,
};
use sqlx::Pool;
use sqlx::Postgres as Db;
use sqlx::postgres::PgPoolOptions;
use time::OffsetDateTime;

use crate::PushSubscription;
use crate::push::PushSubscriptionRow;
use crate::queries as q;
use crate::rows::{
    self, AliasRow, AttemptRow, AttemptValues, BankCheckRow, CertificateRow, Close, DeliveryRow,
    DeviceRow, EnrolmentRow, IdRow, IdempotentRow, MemberRow, NameRow, OutboxRow, RaCodeRow,
    ReceiptRow, RecentRow, RelyingPartyRow, RequestRow, WaitingRow, WebhookRow, col, ms,
};
use crate::rows::{AdminSessionRow, DayCountRow, LoginTextsRow, ValueRow};
use crate::rows::{AuditRow, OperatorRow};
use crate::{
    AdminSession, CertificateFilter, DayCount, Failures, LoginSession, LoginTexts, RequestFilter,
};
use crate::{
    AfterAttempt, Alias, Attempt, Backend, CompletedEnrolment, CompletedLogin, Consent,
    CreateGuard, Created, DataKeys, Delivery, DeliveryState, DevicePin, NewDelivery, NewDevicePin,
    PinFailure, PoolOptions, Store, StoreError, WaitingRequest, Webhook,
};
use crate::{AuditEntry, AuditFilter, NewOperator, OperatorRecord, OperatorRole};
use crate::{BiometricChallenge, DeviceBiometric};
use crate::{
    BrowserAdded, CloudAlt, CloudAsk, CloudBrowser, CloudCode, CloudDevice, CloudParty,
    CloudPinFailure, CloudUse,
};

/// Insert a registered browser's row inside a transaction.
async fn insert_cloud_browser(
    tx: &mut sqlx::Transaction<'_, Db>,
    b: &rows::CloudBrowserValues,
) -> Result<(), StoreError> {
    sqlx::query(q::INSERT_CLOUD_BROWSER)
        .bind(&b.id)
        .bind(&b.device_id)
        .bind(&b.spki)
        .bind(&b.label)
        .bind(b.created_at)
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_to_conflict(e, "browser id"))?;
    Ok(())
}

/// Close a cloud SMS proof and register a browser, unless the device has `max` browsers; the
/// caller commits on [`crate::BrowserAdded::Added`] and rolls back otherwise.
async fn close_and_add_browser(
    tx: &mut sqlx::Transaction<'_, Db>,
    proof: &str,
    b: &rows::CloudBrowserValues,
    max: i64,
    now: i64,
) -> Result<crate::BrowserAdded, StoreError> {
    close_with_and_add_browser(tx, q::CLOSE_ENROLMENT, proof, b, max, now).await
}

/// Close what proved the browser (`close`: `$1` now, `$2` its id; an SMS proof or an ask)
/// and register it, unless the device has `max` browsers.
async fn close_with_and_add_browser(
    tx: &mut sqlx::Transaction<'_, Db>,
    close: &'static str,
    proof: &str,
    b: &rows::CloudBrowserValues,
    max: i64,
    now: i64,
) -> Result<crate::BrowserAdded, StoreError> {
    sqlx::query(q::LOCK_CLOUD_DEVICE)
        .bind(now)
        .bind(&b.device_id)
        .execute(&mut **tx)
        .await?;
    let (n,): (i64,) = sqlx::query_as(q::CLOUD_BROWSER_COUNT)
        .bind(&b.device_id)
        .fetch_one(&mut **tx)
        .await?;
    if n >= max {
        return Ok(crate::BrowserAdded::TooMany);
    }
    let closed = sqlx::query(close)
        .bind(now)
        .bind(proof)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if closed != 1 {
        return Ok(crate::BrowserAdded::ProofClosed);
    }
    insert_cloud_browser(tx, b).await?;
    Ok(crate::BrowserAdded::Added)
}

/// Insert a new member's sealed row inside a transaction.
async fn insert_member(
    tx: &mut sqlx::Transaction<'_, Db>,
    m: &rows::MemberValues,
) -> Result<(), StoreError> {
    sqlx::query(q::INSERT_MEMBER)
        .bind(&m.id)
        .bind(&m.lookup)
        .bind(&m.name_enc)
        .bind(&m.phone_enc)
        .bind(&m.birthday_enc)
        .bind(&m.ci)
        .bind(m.created_at)
        .bind(&m.phone_lookup)
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_to_conflict(e, "member"))?;
    Ok(())
}

/// Insert a sealed request.
async fn insert_request<'e, E>(db: E, v: rows::RequestValues) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query(q::INSERT_REQUEST)
        .bind(v.receipt_id)
        .bind(v.kind)
        .bind(v.client_code)
        .bind(v.member_id)
        .bind(v.receiver_name_enc)
        .bind(v.receiver_phone_enc)
        .bind(v.receiver_birthday_enc)
        .bind(v.token_enc)
        .bind(v.title)
        .bind(v.extra_message_enc)
        .bind(v.call_center_num)
        .bind(v.expire_in)
        .bind(v.requested_at)
        .bind(v.expire_at)
        .bind(v.viewed_at)
        .bind(v.completed_at)
        .bind(v.verified_at)
        .bind(v.state)
        .bind(v.signed_data_enc)
        .bind(v.signer_serial)
        .bind(v.reason)
        .bind(v.details_enc)
        .bind(v.tx_id)
        .bind(v.idempotency_key)
        .bind(v.body_hash)
        .execute(db)
        .await
        .map_err(|e| unique_to_conflict(e, "receipt id"))?;
    Ok(())
}

/// A store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool<Db>,
    keys: Arc<DataKeys>,
}

fn unique_to_conflict(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

impl SqlStore {
    /// Connect and migrate.
    pub async fn open(
        url: &str,
        keys: Arc<DataKeys>,
        options: &PoolOptions,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let store = Self { pool, keys };
        store.backfill_phone_lookups().await?;
        Ok(store)
    }

    /// Schema v4 added `members.phone_lookup`; rows older than it get theirs here, in batches.
    async fn backfill_phone_lookups(&self) -> Result<(), StoreError> {
        loop {
            let rows = sqlx::query_as::<Db, MemberRow>(q::MEMBERS_WITHOUT_PHONE_LOOKUP)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                let m = row.into_domain(&self.keys)?;
                sqlx::query(q::SET_PHONE_LOOKUP)
                    .bind(rows::phone_lookup(&self.keys, &m.person.phone))
                    .bind(m.id.to_string())
                    .execute(&self.pool)
                    .await?;
            }
        }
    }

    /// Waiting and unexpired → a final state with a reason.
    async fn finish(
        &self,
        id: &ReceiptId,
        state: RequestState,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(q::FINISH)
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

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query(q::PING).execute(&self.pool).await?;
        Ok(())
    }

    fn pool_stats(&self) -> crate::PoolStats {
        crate::PoolStats {
            connections: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            queued: 0,
        }
    }

    async fn webhook_queue_depth(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(q::WEBHOOK_QUEUE_DEPTH)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn migrations_missing(&self) -> Result<Vec<i64>, StoreError> {
        let applied: Vec<i64> = sqlx::query_scalar(q::APPLIED_MIGRATIONS)
            .fetch_all(&self.pool)
            .await?;
        Ok(crate::missing_migrations(
            sqlx::migrate!("./migrations/postgres")
                .iter()
                .map(|m| m.version),
            &applied,
        ))
    }

    async fn insert_relying_party(&self, rp: &RelyingParty) -> Result<(), StoreError> {
        let secret = self.keys.seal(col::RP_SECRET, rp.secret.as_bytes())?;
        sqlx::query(q::INSERT_RELYING_PARTY)
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
        sqlx::query_as::<Db, RelyingPartyRow>(q::RELYING_PARTY_BY_LINK_ID)
            .bind(link_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn relying_party(&self, code: &ClientCode) -> Result<Option<RelyingParty>, StoreError> {
        sqlx::query_as::<Db, RelyingPartyRow>(q::RELYING_PARTY_BY_CODE)
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn relying_parties(&self) -> Result<Vec<RelyingParty>, StoreError> {
        sqlx::query_as::<Db, RelyingPartyRow>(q::RELYING_PARTIES)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        sqlx::query_as::<Db, MemberRow>(q::MEMBER_BY_ID)
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
        sqlx::query_as::<Db, MemberRow>(q::MEMBER_BY_LOOKUP)
            .bind(rows::member_lookup(&self.keys, phone, birthday))
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_enrolment(&self, e: &Enrolment, now: OffsetDateTime) -> Result<(), StoreError> {
        let v = rows::EnrolmentValues::seal(&self.keys, e, now)?;
        sqlx::query(q::INSERT_ENROLMENT)
            .bind(v.id)
            .bind(v.phone_lookup)
            .bind(v.name_enc)
            .bind(v.phone_enc)
            .bind(v.birthday_enc)
            .bind(v.code_hash)
            .bind(v.attempts)
            .bind(v.expires_at)
            .bind(v.completed_at)
            .bind(v.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn enrolments_since(
        &self,
        phone: &Phone,
        since: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(q::ENROLMENTS_SINCE)
            .bind(rows::phone_lookup(&self.keys, phone))
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn enrolment(&self, id: EnrolmentId) -> Result<Option<Enrolment>, StoreError> {
        sqlx::query_as::<Db, EnrolmentRow>(q::ENROLMENT)
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
        sqlx::query_as::<Db, EnrolmentRow>(q::COUNT_CODE_ATTEMPT)
            .bind(id.to_string())
            .bind(i32::try_from(max_attempts).unwrap_or(i32::MAX))
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn complete_enrolment(&self, c: &CompletedEnrolment) -> Result<bool, StoreError> {
        let v = rows::CompletionValues::seal(&self.keys, c)?;
        let mut tx = self.pool.begin().await?;
        let close = match &v.close {
            Close::Enrolment(id) => sqlx::query(q::CLOSE_ENROLMENT).bind(v.now).bind(id),
            Close::BankCheck(id) => sqlx::query(q::CLOSE_BANK_CHECK).bind(v.now).bind(id),
            Close::RaCode(r) => sqlx::query(q::CLOSE_RA_CODE)
                .bind(v.now)
                .bind(&v.serial)
                .bind(r),
            Close::Alt(tx_id) => sqlx::query(q::CLOSE_CLOUD_ALT).bind(v.now).bind(tx_id),
        };
        let closed = close.execute(&mut *tx).await?.rows_affected();
        if closed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(m) = &v.new_member {
            insert_member(&mut tx, m).await?;
        }
        for statement in [q::SUPERSEDE_CERTIFICATES, q::SUPERSEDE_DEVICES] {
            sqlx::query(statement)
                .bind(v.now)
                .bind(&v.member_id)
                .bind(v.kind)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(q::INSERT_DEVICE)
            .bind(&v.device_id)
            .bind(&v.member_id)
            .bind(&v.token_hash)
            .bind(v.device_created_at)
            .bind(v.kind)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_to_conflict(e, "device"))?;
        sqlx::query(q::INSERT_CERTIFICATE)
            .bind(&v.serial)
            .bind(&v.member_id)
            .bind(&v.device_id)
            .bind(&v.der_enc)
            .bind(v.not_before)
            .bind(v.not_after)
            .bind(v.now)
            .bind(v.proof)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_to_conflict(e, "certificate serial"))?;
        if let Some((verifier, secret)) = &v.pin {
            sqlx::query(q::INSERT_DEVICE_PIN)
                .bind(&v.device_id)
                .bind(verifier)
                .bind(secret)
                .bind(v.now)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(cloud) = &v.cloud {
            sqlx::query(q::INSERT_CLOUD_DEVICE)
                .bind(&v.device_id)
                .bind(&cloud.key_label)
                .bind(&cloud.pin_hash)
                .bind(v.now)
                .execute(&mut *tx)
                .await?;
            insert_cloud_browser(&mut tx, &cloud.browser).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn insert_bank_check(
        &self,
        b: &BankCheck,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let v = rows::BankCheckValues::seal(&self.keys, b, now)?;
        sqlx::query(q::INSERT_BANK_CHECK)
            .bind(v.id)
            .bind(v.phone_lookup)
            .bind(v.account_lookup)
            .bind(v.name_enc)
            .bind(v.phone_enc)
            .bind(v.birthday_enc)
            .bind(v.bank_code)
            .bind(v.account_enc)
            .bind(v.word_hash)
            .bind(v.attempts)
            .bind(v.expires_at)
            .bind(v.completed_at)
            .bind(v.created_at)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "bank check id"))?;
        Ok(())
    }

    async fn bank_checks_since(
        &self,
        phone: &Phone,
        bank: &BankCode,
        account: &AccountNumber,
        since: OffsetDateTime,
    ) -> Result<(u64, u64), StoreError> {
        let by_phone: i64 = sqlx::query_scalar(q::BANK_CHECKS_FOR_PHONE_SINCE)
            .bind(rows::phone_lookup(&self.keys, phone))
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await?;
        let by_account: i64 = sqlx::query_scalar(q::BANK_CHECKS_FOR_ACCOUNT_SINCE)
            .bind(rows::account_lookup(&self.keys, bank, account))
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await?;
        Ok((
            u64::try_from(by_phone).unwrap_or(0),
            u64::try_from(by_account).unwrap_or(0),
        ))
    }

    async fn bank_check(&self, id: EnrolmentId) -> Result<Option<BankCheck>, StoreError> {
        sqlx::query_as::<Db, BankCheckRow>(q::BANK_CHECK)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn count_bank_attempt(
        &self,
        id: EnrolmentId,
        max_attempts: u32,
    ) -> Result<Option<BankCheck>, StoreError> {
        sqlx::query_as::<Db, BankCheckRow>(q::COUNT_BANK_ATTEMPT)
            .bind(id.to_string())
            .bind(i32::try_from(max_attempts).unwrap_or(i32::MAX))
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_ra_code(&self, r: &RaCode) -> Result<(), StoreError> {
        let v = rows::RaCodeValues::seal(&self.keys, r)?;
        sqlx::query(q::INSERT_RA_CODE)
            .bind(v.ref_num)
            .bind(v.phone_lookup)
            .bind(v.name_enc)
            .bind(v.phone_enc)
            .bind(v.birthday_enc)
            .bind(v.code_hash)
            .bind(v.attempts)
            .bind(v.issued_at)
            .bind(v.expires_at)
            .bind(v.used_at)
            .bind(v.serial)
            .bind(v.cancelled_at)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "reference number"))?;
        Ok(())
    }

    async fn ra_code(&self, reference: &ReferenceNumber) -> Result<Option<RaCode>, StoreError> {
        sqlx::query_as::<Db, RaCodeRow>(q::RA_CODE)
            .bind(reference.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn count_ra_attempt(
        &self,
        reference: &ReferenceNumber,
        max_attempts: u32,
    ) -> Result<Option<RaCode>, StoreError> {
        sqlx::query_as::<Db, RaCodeRow>(q::COUNT_RA_ATTEMPT)
            .bind(reference.as_str())
            .bind(i32::try_from(max_attempts).unwrap_or(i32::MAX))
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn ra_codes(&self, phone: Option<&Phone>, limit: u32) -> Result<Vec<RaCode>, StoreError> {
        let limit = i64::from(limit);
        let rows = match phone {
            Some(p) => {
                sqlx::query_as::<Db, RaCodeRow>(q::RA_CODES_FOR_PHONE)
                    .bind(rows::phone_lookup(&self.keys, p))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_as::<Db, RaCodeRow>(q::RA_CODES)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn cancel_ra_code(
        &self,
        reference: &ReferenceNumber,
        now: OffsetDateTime,
    ) -> Result<Option<RaCode>, StoreError> {
        sqlx::query_as::<Db, RaCodeRow>(q::CANCEL_RA_CODE)
            .bind(ms(now))
            .bind(reference.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn complete_login(&self, done: &CompletedLogin) -> Result<bool, StoreError> {
        let (member_id, new_member) = rows::MemberValues::of_choice(&self.keys, &done.member)?;
        let (member_id, now) = (member_id.to_string(), ms(done.now));
        let mut tx = self.pool.begin().await?;
        let closed = sqlx::query(q::CLOSE_ENROLMENT)
            .bind(now)
            .bind(done.enrolment_id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if closed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(m) = &new_member {
            insert_member(&mut tx, m).await?;
        }
        sqlx::query(q::SUPERSEDE_UNCERTIFIED_DEVICES)
            .bind(now)
            .bind(&member_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(q::INSERT_DEVICE)
            .bind(done.device.id.to_string())
            .bind(&member_id)
            .bind(&done.device.token_hash)
            .bind(ms(done.device.created_at))
            .bind("app")
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_to_conflict(e, "device"))?;
        tx.commit().await?;
        Ok(true)
    }

    async fn has_active_certificate(
        &self,
        member: MemberId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(q::HAS_ACTIVE_CERTIFICATE)
            .bind(member.to_string())
            .bind(ms(now))
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn device_pin(&self, id: DeviceId) -> Result<Option<DevicePin>, StoreError> {
        sqlx::query_as::<Db, rows::DevicePinRow>(q::DEVICE_PIN)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn pin_succeeded(&self, id: DeviceId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = sqlx::query(q::PIN_SUCCEEDED)
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn pin_failed(
        &self,
        id: DeviceId,
        max: u32,
        now: OffsetDateTime,
    ) -> Result<PinFailure, StoreError> {
        let (id, now) = (id.to_string(), ms(now));
        // The row lock of the UPDATE holds until commit: concurrent wrong proofs count one by
        // one, and exactly one of them locks.
        let mut tx = self.pool.begin().await?;
        let counted: Option<i32> = sqlx::query_scalar(q::PIN_FAILED)
            .bind(now)
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = match counted {
            None => PinFailure::Unchanged,
            Some(n) if i64::from(n) >= i64::from(max) => {
                for statement in [q::LOCK_PIN, q::REVOKE_DEVICE, q::REVOKE_DEVICE_CERTIFICATES] {
                    sqlx::query(statement)
                        .bind(now)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(q::DELETE_DEVICE_BIOMETRIC)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                PinFailure::LockedNow
            }
            Some(n) => PinFailure::Counted(u32::try_from(n).unwrap_or(u32::MAX)),
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn replace_pin(
        &self,
        id: DeviceId,
        pin: &NewDevicePin,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(q::REPLACE_PIN)
            .bind(&pin.verifier)
            .bind(self.keys.seal(rows::col::PIN_SECRET, &pin.unlock_secret)?)
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn rename_member(
        &self,
        id: MemberId,
        name: &dojang_core::PersonName,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let sealed = self.keys.seal_str(rows::col::MEMBER_NAME, name.as_str())?;
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(q::RENAME_MEMBER)
            .bind(sealed)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(q::REVOKE_MEMBER_CERTIFICATES)
            .bind(ms(now))
            .bind(3i32)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn renew_certificate(
        &self,
        old: &str,
        new: &CertificateRecord,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(q::SUPERSEDE_CERTIFICATE)
            .bind(ms(now))
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(q::INSERT_CERTIFICATE)
            .bind(&new.serial)
            .bind(new.member_id.to_string())
            .bind(new.device_id.to_string())
            .bind(self.keys.seal(rows::col::CERT_DER, &new.der)?)
            .bind(ms(new.not_before))
            .bind(ms(new.not_after))
            .bind(ms(now))
            .bind(new.proof.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_to_conflict(e, "certificate serial"))?;
        tx.commit().await?;
        Ok(true)
    }

    async fn revoke_device(
        &self,
        id: DeviceId,
        reason: u8,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(q::REVOKE_DEVICE)
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(q::REVOKE_DEVICE_CERTIFICATES_FOR)
            .bind(ms(now))
            .bind(id.to_string())
            .bind(i32::from(reason))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn device(&self, id: DeviceId) -> Result<Option<Device>, StoreError> {
        sqlx::query_as::<Db, DeviceRow>(q::DEVICE)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(DeviceRow::into_domain)
            .transpose()
    }

    async fn certificate(&self, serial: &str) -> Result<Option<CertificateRecord>, StoreError> {
        sqlx::query_as::<Db, CertificateRow>(q::CERTIFICATE)
            .bind(serial)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn certificates_of(
        &self,
        member: MemberId,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        sqlx::query_as::<Db, CertificateRow>(q::CERTIFICATES_OF_MEMBER)
            .bind(member.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn recent_certificates(&self, limit: u32) -> Result<Vec<CertificateRecord>, StoreError> {
        sqlx::query_as::<Db, CertificateRow>(q::RECENT_CERTIFICATES)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn revoke_certificate(
        &self,
        serial: &str,
        at: OffsetDateTime,
        reason: u8,
    ) -> Result<Option<CertificateRecord>, StoreError> {
        sqlx::query_as::<Db, CertificateRow>(q::REVOKE_CERTIFICATE)
            .bind(ms(at))
            .bind(i32::from(reason))
            .bind(serial)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn revoked_certificates(&self) -> Result<Vec<RevokedCertificate>, StoreError> {
        sqlx::query_as::<Db, rows::RevokedRow>(q::REVOKED_CERTIFICATES)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(rows::RevokedRow::into_domain)
            .collect()
    }

    async fn revocation_marker(&self) -> Result<(i64, Option<i64>), StoreError> {
        Ok(
            sqlx::query_as::<Db, (i64, Option<i64>)>(q::REVOCATION_MARKER)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn insert_sandbox_person(
        &self,
        reference: &str,
        owner: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(q::INSERT_SANDBOX_PERSON)
            .bind(reference)
            .bind(owner)
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "reference number"))?;
        Ok(())
    }

    async fn claim_sandbox_member(
        &self,
        reference: &str,
        member: MemberId,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::CLAIM_SANDBOX_MEMBER)
            .bind(member.to_string())
            .bind(reference)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn sandbox_owner(&self, member: MemberId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_as::<Db, rows::OwnerRow>(q::SANDBOX_OWNER)
            .bind(member.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.owner))
    }

    async fn release_sandbox_member(&self, member: MemberId) -> Result<(), StoreError> {
        sqlx::query(q::RELEASE_SANDBOX_MEMBER)
            .bind(member.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_sandbox_party(&self, code: &ClientCode, on: bool) -> Result<(), StoreError> {
        let sql = if on {
            q::ADD_SANDBOX_PARTY
        } else {
            q::REMOVE_SANDBOX_PARTY
        };
        sqlx::query(sql)
            .bind(code.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn is_sandbox_party(&self, code: &ClientCode) -> Result<bool, StoreError> {
        let (n,): (i64,) = sqlx::query_as(q::SANDBOX_PARTY)
            .bind(code.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn members_by_phone(&self, phone: &Phone) -> Result<Vec<Member>, StoreError> {
        sqlx::query_as::<Db, MemberRow>(q::MEMBERS_BY_PHONE)
            .bind(rows::phone_lookup(&self.keys, phone))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn insert_request(&self, r: &Request) -> Result<(), StoreError> {
        let v = rows::RequestValues::seal(&self.keys, r, None)?;
        insert_request(&self.pool, v).await
    }

    async fn create_request(
        &self,
        r: &Request,
        guard: &CreateGuard,
    ) -> Result<Created, StoreError> {
        let v = rows::RequestValues::seal(&self.keys, r, guard.idempotency.as_ref())?;
        let now = ms(r.requested_at);
        let mut tx = self.pool.begin().await?;
        // Two create calls for one person wait for each other here, so the checks below and
        // the insert cannot interleave with another instance's.
        sqlx::query(q::LOCK_MEMBER)
            .bind(&v.member_id)
            .execute(&mut *tx)
            .await?;
        if let Some(idem) = &guard.idempotency {
            let found = sqlx::query_as::<Db, IdempotentRow>(q::IDEMPOTENT_REQUEST)
                .bind(&v.client_code)
                .bind(&idem.key)
                .bind(ms(idem.since))
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(found) = found {
                tx.rollback().await?;
                if found.body_hash.as_deref() != Some(idem.body_hash.as_slice()) {
                    return Ok(Created::KeyReused);
                }
                let id: ReceiptId = found
                    .receipt_id
                    .parse()
                    .map_err(|_| StoreError::Corrupt("receipt id".into()))?;
                return match self.request(&id).await? {
                    Some(r) => Ok(Created::Replayed(Box::new(r))),
                    None => Err(StoreError::Corrupt("replayed request vanished".into())),
                };
            }
        }
        if guard.replay_only {
            tx.rollback().await?;
            return Ok(Created::SignatureReused);
        }
        let waiting = sqlx::query_as::<Db, ReceiptRow>(q::WAITING_FOR_PARTY)
            .bind(&v.member_id)
            .bind(&v.client_code)
            .bind(RequestState::Waiting.code())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        if waiting.is_some() {
            tx.rollback().await?;
            return Ok(Created::InProgress);
        }
        if let Some((max, since)) = guard.per_person {
            let recent = sqlx::query_as::<Db, RecentRow>(q::RECENT_FOR_MEMBER)
                .bind(&v.member_id)
                .bind(ms(since))
                .fetch_one(&mut *tx)
                .await?;
            if let Some(oldest) = recent.limited(max)? {
                tx.rollback().await?;
                return Ok(Created::RateLimited { oldest });
            }
        }
        insert_request(&mut *tx, v).await?;
        tx.commit().await?;
        Ok(Created::Inserted)
    }

    async fn request_by_tx_id(&self, tx_id: &str) -> Result<Option<Request>, StoreError> {
        sqlx::query_as::<Db, RequestRow>(q::REQUEST_BY_TX)
            .bind(tx_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_alias(&self, a: &Alias) -> Result<(), StoreError> {
        sqlx::query(q::INSERT_ALIAS)
            .bind(a.client_code.to_string())
            .bind(&a.sub_client_id)
            .bind(&a.name)
            .bind(ms(a.created_at))
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "sub-client id"))?;
        Ok(())
    }

    async fn alias_name(
        &self,
        code: &ClientCode,
        sub_client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_as::<Db, NameRow>(q::ALIAS_NAME)
            .bind(code.to_string())
            .bind(sub_client_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.name))
    }

    async fn aliases(&self, code: &ClientCode) -> Result<Vec<Alias>, StoreError> {
        sqlx::query_as::<Db, AliasRow>(q::ALIASES)
            .bind(code.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AliasRow::into_domain)
            .collect()
    }

    async fn remove_alias(
        &self,
        code: &ClientCode,
        sub_client_id: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(q::DELETE_ALIAS)
            .bind(code.to_string())
            .bind(sub_client_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn request(&self, id: &ReceiptId) -> Result<Option<Request>, StoreError> {
        sqlx::query_as::<Db, RequestRow>(q::REQUEST)
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
        sqlx::query_as::<Db, WaitingRow>(q::WAITING_REQUESTS)
            .bind(member.to_string())
            .bind(RequestState::Waiting.code())
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|w| w.into_domain(&self.keys))
            .collect()
    }

    async fn mark_viewed(&self, id: &ReceiptId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = sqlx::query(q::MARK_VIEWED)
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
        signed_data: &[Vec<u8>],
        signer_serial: &str,
        signer_ocsp: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(q::MARK_SIGNED)
            .bind(RequestState::Signed.code())
            .bind(ms(now))
            .bind(
                self.keys
                    .seal(col::REQ_SIGNED, &rows::encode_signatures(signed_data))?,
            )
            .bind(signer_serial)
            .bind(id.as_str())
            .bind(RequestState::Waiting.code())
            .bind(signer_ocsp)
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
        self.finish(id, RequestState::Failed, Some(reason), now)
            .await
    }

    async fn mark_verified(
        &self,
        id: &ReceiptId,
        client_code: &ClientCode,
        kind: RequestKind,
        now: OffsetDateTime,
        signed_after: OffsetDateTime,
    ) -> Result<Option<Request>, StoreError> {
        sqlx::query_as::<Db, RequestRow>(q::MARK_VERIFIED)
            .bind(ms(now))
            .bind(id.as_str())
            .bind(client_code.as_str())
            .bind(RequestState::Signed.code())
            .bind(ms(signed_after))
            .bind(kind.code())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn set_webhook(&self, w: &Webhook) -> Result<(), StoreError> {
        sqlx::query(q::UPSERT_WEBHOOK)
            .bind(w.client_code.to_string())
            .bind(&w.url)
            .bind(self.keys.seal_str(col::WEBHOOK_SECRET, &w.secret)?)
            .bind(ms(w.updated_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn webhook(&self, code: &ClientCode) -> Result<Option<Webhook>, StoreError> {
        sqlx::query_as::<Db, WebhookRow>(q::WEBHOOK)
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn remove_webhook(
        &self,
        code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(q::ABANDON_DELIVERIES)
            .bind(DeliveryState::GivenUp.code())
            .bind(ms(now))
            .bind("webhook removed")
            .bind(code.to_string())
            .bind(DeliveryState::Pending.code())
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query(q::DELETE_WEBHOOK)
            .bind(code.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn enqueue_delivery(&self, d: &NewDelivery) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_as::<Db, IdRow>(q::INSERT_DELIVERY)
            .bind(d.client_code.to_string())
            .bind(&d.receipt_id)
            .bind(&d.event)
            .bind(&d.body)
            .bind(DeliveryState::Pending.code())
            .bind(ms(d.at))
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.id))
    }

    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        sqlx::query_as::<Db, DeliveryRow>(q::CLAIM_DELIVERIES)
            .bind(ms(lease_until))
            .bind(DeliveryState::Pending.code())
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DeliveryRow::into_domain)
            .collect()
    }

    async fn record_attempt(&self, a: &Attempt, after: AfterAttempt) -> Result<(), StoreError> {
        let v = AttemptValues::new(a, after);
        let mut tx = self.pool.begin().await?;
        sqlx::query(q::INSERT_ATTEMPT)
            .bind(v.delivery_id)
            .bind(v.attempt)
            .bind(v.at)
            .bind(&v.url)
            .bind(v.status)
            .bind(&v.error)
            .bind(v.duration_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(q::UPDATE_DELIVERY)
            .bind(v.state)
            .bind(v.attempt)
            .bind(v.next_attempt_at)
            .bind(v.finished_at)
            .bind(v.status)
            .bind(&v.error)
            .bind(v.delivery_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries(&self, code: &ClientCode, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        sqlx::query_as::<Db, DeliveryRow>(q::DELIVERIES)
            .bind(code.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DeliveryRow::into_domain)
            .collect()
    }

    async fn attempts(&self, delivery_id: i64) -> Result<Vec<Attempt>, StoreError> {
        sqlx::query_as::<Db, AttemptRow>(q::ATTEMPTS)
            .bind(delivery_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AttemptRow::into_domain)
            .collect()
    }

    async fn announce_expired(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError> {
        sqlx::query_as::<Db, RequestRow>(q::ANNOUNCE_EXPIRED)
            .bind(ms(now))
            .bind(RequestState::Waiting.code())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn insert_outbox(&self, m: &OutboxMessage) -> Result<(), StoreError> {
        sqlx::query(q::INSERT_OUTBOX)
            .bind(&m.channel)
            .bind(rows::phone_lookup(&self.keys, &m.recipient))
            .bind(
                self.keys
                    .seal_str(col::OUTBOX_RECIPIENT, m.recipient.as_str())?,
            )
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
                sqlx::query_as::<Db, OutboxRow>(q::OUTBOX_FOR)
                    .bind(rows::phone_lookup(&self.keys, p))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_as::<Db, OutboxRow>(q::OUTBOX_ALL)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn admin_password(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_as::<Db, ValueRow>(q::ADMIN_SETTING)
            .bind(q::SETTING_ADMIN_PASSWORD)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.value))
    }

    async fn set_admin_password(&self, phc: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(q::UPSERT_ADMIN_SETTING)
            .bind(q::SETTING_ADMIN_PASSWORD)
            .bind(phc)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(q::DELETE_ADMIN_SESSIONS)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn init_admin_password(
        &self,
        phc: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::INIT_ADMIN_SETTING)
            .bind(q::SETTING_ADMIN_PASSWORD)
            .bind(phc)
            .bind(ms(now))
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn insert_admin_session(
        &self,
        s: &AdminSession,
        idle_since: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(q::PURGE_ADMIN_SESSIONS)
            .bind(ms(s.created_at))
            .bind(ms(idle_since))
            .execute(&self.pool)
            .await?;
        sqlx::query(q::INSERT_ADMIN_SESSION)
            .bind(&s.token_hash)
            .bind(ms(s.created_at))
            .bind(ms(s.last_seen_at))
            .bind(ms(s.expires_at))
            .bind(s.operator_id)
            .bind(i64::from(s.pending_totp))
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "admin session"))?;
        Ok(())
    }

    async fn touch_admin_session(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
        idle_since: OffsetDateTime,
    ) -> Result<Option<AdminSession>, StoreError> {
        sqlx::query_as::<Db, AdminSessionRow>(q::TOUCH_ADMIN_SESSION)
            .bind(ms(now))
            .bind(token_hash)
            .bind(ms(idle_since))
            .fetch_optional(&self.pool)
            .await?
            .map(AdminSessionRow::into_domain)
            .transpose()
    }

    async fn delete_admin_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::DELETE_ADMIN_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn record_admin_login_failure(
        &self,
        source: &[u8],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(q::PURGE_ADMIN_LOGIN_FAILURES)
            .bind(ms(forget_before))
            .execute(&self.pool)
            .await?;
        sqlx::query(q::INSERT_ADMIN_LOGIN_FAILURE)
            .bind(source)
            .bind(ms(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn admin_login_failures_since(
        &self,
        source: &[u8],
        since: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(q::ADMIN_LOGIN_FAILURES_SINCE)
            .bind(source)
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn insert_operator(
        &self,
        op: &NewOperator,
        now: OffsetDateTime,
    ) -> Result<OperatorRecord, StoreError> {
        let row = sqlx::query_as::<Db, IdRow>(q::INSERT_OPERATOR)
            .bind(&op.login)
            .bind(&op.display_name)
            .bind(op.role.as_str())
            .bind(&op.password_hash)
            .bind(ms(now))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "operator"))?;
        self.operator(row.id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("operator vanished".into()))
    }

    async fn operator(&self, id: i64) -> Result<Option<OperatorRecord>, StoreError> {
        sqlx::query_as::<Db, OperatorRow>(q::OPERATOR_BY_ID)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn operator_by_login(&self, login: &str) -> Result<Option<OperatorRecord>, StoreError> {
        sqlx::query_as::<Db, OperatorRow>(q::OPERATOR_BY_LOGIN)
            .bind(login)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        sqlx::query_as::<Db, OperatorRow>(q::OPERATORS)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn set_operator_role(
        &self,
        id: i64,
        role: OperatorRole,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::SET_OPERATOR_ROLE)
            .bind(role.as_str())
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn set_operator_password(
        &self,
        id: i64,
        phc: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(q::SET_OPERATOR_PASSWORD)
            .bind(phc)
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(q::DELETE_OPERATOR_SESSIONS)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn set_operator_disabled(
        &self,
        id: i64,
        disabled: bool,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let sql = if disabled {
            q::DISABLE_OPERATOR
        } else {
            q::ENABLE_OPERATOR
        };
        let n = sqlx::query(sql)
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if disabled {
            sqlx::query(q::DELETE_OPERATOR_SESSIONS)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn set_operator_totp(
        &self,
        id: i64,
        secret: Option<&[u8]>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let sealed = rows::seal_totp(&self.keys, secret)?;
        let clear = sealed.is_none();
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(q::SET_OPERATOR_TOTP)
            .bind(sealed)
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if clear {
            sqlx::query(q::DELETE_OPERATOR_SESSIONS)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn use_operator_totp_step(
        &self,
        id: i64,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::USE_OPERATOR_TOTP_STEP)
            .bind(step)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn complete_admin_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::COMPLETE_ADMIN_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn append_audit(&self, e: &AuditEntry) -> Result<i64, StoreError> {
        Ok(sqlx::query_as::<Db, IdRow>(q::INSERT_AUDIT)
            .bind(ms(e.at))
            .bind(e.operator_id)
            .bind(&e.operator_login)
            .bind(&e.role)
            .bind(&e.source)
            .bind(&e.action)
            .bind(&e.target)
            .bind(&e.before)
            .bind(&e.after)
            .bind(&e.outcome)
            .fetch_one(&self.pool)
            .await?
            .id)
    }

    async fn audit_log(
        &self,
        filter: &AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let p = rows::audit_params(filter);
        sqlx::query_as::<Db, AuditRow>(q::AUDIT_LOG)
            .bind(p.0)
            .bind(p.1)
            .bind(p.2)
            .bind(p.3)
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AuditRow::into_domain)
            .collect()
    }

    async fn remember_request_signature(
        &self,
        hash: &[u8],
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::REMEMBER_REQUEST_SIGNATURE)
            .bind(hash)
            .bind(ms(expires_at))
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn purge_request_signatures(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        Ok(sqlx::query(q::PURGE_REQUEST_SIGNATURES)
            .bind(ms(now))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn record_failure(
        &self,
        scope: &str,
        subject: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(q::RECORD_FAILURE)
            .bind(scope)
            .bind(subject)
            .bind(ms(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn failures(
        &self,
        scope: &str,
        subject: Option<&[u8]>,
        since: OffsetDateTime,
    ) -> Result<Failures, StoreError> {
        let (n, first, last): (i64, i64, i64) = match subject {
            Some(s) => {
                sqlx::query_as(q::FAILURES_OF)
                    .bind(scope)
                    .bind(s)
                    .bind(ms(since))
                    .fetch_one(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_as(q::FAILURES_IN_SCOPE)
                    .bind(scope)
                    .bind(ms(since))
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Failures::from_row(n, first, last)
    }

    async fn purge_failures(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        Ok(sqlx::query(q::PURGE_FAILURES)
            .bind(ms(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn put_device_biometric(
        &self,
        device: DeviceId,
        credential_id: &[u8],
        public_key: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(q::PUT_DEVICE_BIOMETRIC)
            .bind(device.to_string())
            .bind(credential_id)
            .bind(public_key)
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn device_biometric(
        &self,
        device: DeviceId,
    ) -> Result<Option<DeviceBiometric>, StoreError> {
        sqlx::query_as::<Db, rows::DeviceBiometricRow>(q::DEVICE_BIOMETRIC)
            .bind(device.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(rows::DeviceBiometricRow::into_domain)
            .transpose()
    }

    async fn delete_device_biometric(&self, device: DeviceId) -> Result<bool, StoreError> {
        let n = sqlx::query(q::DELETE_DEVICE_BIOMETRIC)
            .bind(device.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn set_biometric_sign_count(
        &self,
        device: DeviceId,
        count: u32,
    ) -> Result<(), StoreError> {
        sqlx::query(q::SET_BIOMETRIC_SIGN_COUNT)
            .bind(i64::from(count))
            .bind(device.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_biometric_challenge(
        &self,
        challenge: &[u8],
        device: DeviceId,
        expires_at: OffsetDateTime,
        purge_before: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(q::PURGE_BIOMETRIC_CHALLENGES)
            .bind(ms(purge_before))
            .execute(&self.pool)
            .await?;
        sqlx::query(q::INSERT_BIOMETRIC_CHALLENGE)
            .bind(challenge)
            .bind(device.to_string())
            .bind(ms(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn biometric_challenge(
        &self,
        challenge: &[u8],
    ) -> Result<Option<BiometricChallenge>, StoreError> {
        sqlx::query_as::<Db, rows::BiometricChallengeRow>(q::BIOMETRIC_CHALLENGE)
            .bind(challenge)
            .fetch_optional(&self.pool)
            .await?
            .map(rows::BiometricChallengeRow::into_domain)
            .transpose()
    }

    async fn use_biometric_challenge(
        &self,
        challenge: &[u8],
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(q::USE_BIOMETRIC_CHALLENGE)
            .bind(ms(at))
            .bind(challenge)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn put_push_subscription(
        &self,
        device: DeviceId,
        kind: &str,
        target: &[u8],
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let id = crate::push::new_id();
        let sealed = self.keys.seal(col::PUSH_TARGET, target)?;
        sqlx::query(q::PUT_PUSH_SUBSCRIPTION)
            .bind(&id)
            .bind(device.to_string())
            .bind(kind)
            .bind(sealed)
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    async fn delete_device_push_subscriptions(&self, device: DeviceId) -> Result<u64, StoreError> {
        Ok(sqlx::query(q::DELETE_DEVICE_PUSH_SUBSCRIPTIONS)
            .bind(device.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn delete_push_subscription(&self, id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::DELETE_PUSH_SUBSCRIPTION)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn member_push_subscriptions(
        &self,
        member: MemberId,
    ) -> Result<Vec<PushSubscription>, StoreError> {
        sqlx::query_as::<Db, PushSubscriptionRow>(q::MEMBER_PUSH_SUBSCRIPTIONS)
            .bind(member.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn device_push_subscriptions(
        &self,
        device: DeviceId,
    ) -> Result<Vec<PushSubscription>, StoreError> {
        sqlx::query_as::<Db, PushSubscriptionRow>(q::DEVICE_PUSH_SUBSCRIPTIONS)
            .bind(device.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn push_back_off(&self, id: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query(q::PUSH_BACK_OFF)
            .bind(id)
            .bind(ms(until))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn push_failed(&self, id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query(q::PUSH_FAILED)
            .bind(id)
            .bind(ms(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn push_delivered(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query(q::PUSH_DELIVERED)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn rotate_relying_party_secret(
        &self,
        code: &ClientCode,
        secret: &dojang_core::SecretKey,
    ) -> Result<bool, StoreError> {
        let sealed = self.keys.seal(col::RP_SECRET, secret.as_bytes())?;
        Ok(sqlx::query(q::ROTATE_RP_SECRET)
            .bind(sealed)
            .bind(code.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn set_relying_party_call_center(
        &self,
        code: &ClientCode,
        call_center_num: Option<&str>,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::SET_RP_CALL_CENTER)
            .bind(call_center_num)
            .bind(code.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn devices_of(&self, member: MemberId) -> Result<Vec<Device>, StoreError> {
        sqlx::query_as::<Db, DeviceRow>(q::DEVICES_OF_MEMBER)
            .bind(member.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DeviceRow::into_domain)
            .collect()
    }

    async fn certificates_in_state(
        &self,
        filter: CertificateFilter,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        sqlx::query_as::<Db, CertificateRow>(q::CERTIFICATES_IN_STATE)
            .bind(filter.code())
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn member_and_certificate_counts(
        &self,
        now: OffsetDateTime,
    ) -> Result<(u64, u64), StoreError> {
        let (m,): (i64,) = sqlx::query_as(q::COUNT_MEMBERS)
            .fetch_one(&self.pool)
            .await?;
        let (a,): (i64,) = sqlx::query_as(q::COUNT_ACTIVE_CERTIFICATES)
            .bind(ms(now))
            .fetch_one(&self.pool)
            .await?;
        Ok((u64::try_from(m).unwrap_or(0), u64::try_from(a).unwrap_or(0)))
    }

    async fn requests_per_day(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<DayCount>, StoreError> {
        sqlx::query_as::<Db, DayCountRow>(q::REQUESTS_PER_DAY)
            .bind(ms(since))
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DayCountRow::into_domain)
            .collect()
    }

    async fn recent_requests(
        &self,
        filter: &RequestFilter,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError> {
        let code = filter
            .client_code
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        sqlx::query_as::<Db, RequestRow>(q::RECENT_REQUESTS)
            .bind(code)
            .bind(filter.state.map_or(-1, RequestState::code))
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn deliveries_of_receipt(&self, receipt_id: &str) -> Result<Vec<Delivery>, StoreError> {
        sqlx::query_as::<Db, DeliveryRow>(q::DELIVERIES_OF_RECEIPT)
            .bind(receipt_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DeliveryRow::into_domain)
            .collect()
    }

    // The hosted login page.

    async fn set_login_return_url(
        &self,
        code: &ClientCode,
        url: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        match url {
            Some(u) => {
                sqlx::query(q::UPSERT_LOGIN_RETURN_URL)
                    .bind(code.to_string())
                    .bind(u)
                    .bind(ms(now))
                    .execute(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(q::DELETE_LOGIN_RETURN_URL)
                    .bind(code.to_string())
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(())
    }

    async fn login_return_url(&self, code: &ClientCode) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_as::<Db, NameRow>(q::LOGIN_RETURN_URL)
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.name))
    }

    async fn set_login_texts(&self, t: &LoginTexts) -> Result<(), StoreError> {
        if t.is_empty() {
            sqlx::query(q::DELETE_LOGIN_TEXTS)
                .bind(t.client_code.to_string())
                .bind(&t.lang)
                .execute(&self.pool)
                .await?;
        } else {
            sqlx::query(q::UPSERT_LOGIN_TEXTS)
                .bind(t.client_code.to_string())
                .bind(&t.lang)
                .bind(&t.recipient)
                .bind(&t.purpose)
                .bind(&t.items)
                .bind(&t.retention)
                .bind(&t.help)
                .bind(&t.support)
                .bind(ms(t.updated_at))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    async fn clear_login_texts(
        &self,
        code: &ClientCode,
        lang: Option<&str>,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(q::DELETE_LOGIN_TEXTS)
            .bind(code.to_string())
            .bind(lang.unwrap_or(""))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn login_texts(&self, code: &ClientCode) -> Result<Vec<LoginTexts>, StoreError> {
        sqlx::query_as::<Db, LoginTextsRow>(q::LOGIN_TEXTS)
            .bind(code.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(LoginTextsRow::into_domain)
            .collect()
    }

    async fn start_login(
        &self,
        consent: &Consent,
        session: &LoginSession,
    ) -> Result<(), StoreError> {
        let v = rows::ConsentValues::seal(&self.keys, consent)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(q::INSERT_CONSENT)
            .bind(v.id)
            .bind(v.client_code)
            .bind(v.receipt_id)
            .bind(v.phone_lookup)
            .bind(v.name_enc)
            .bind(v.phone_enc)
            .bind(v.birthday_enc)
            .bind(v.notice_version)
            .bind(v.notice_sha256)
            .bind(v.lang)
            .bind(v.accepted_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(q::INSERT_LOGIN_SESSION)
            .bind(&session.id)
            .bind(session.client_code.to_string())
            .bind(&session.state)
            .bind(&session.receipt_id)
            .bind(&session.consent_id)
            .bind(ms(session.created_at))
            .bind(ms(session.expire_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn login_session(&self, id: &str) -> Result<Option<LoginSession>, StoreError> {
        sqlx::query_as::<Db, rows::LoginSessionRow>(q::LOGIN_SESSION)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(rows::LoginSessionRow::into_domain)
            .transpose()
    }

    async fn issue_login_code(
        &self,
        id: &str,
        code_hash: &[u8],
        expires: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(q::ISSUE_LOGIN_CODE)
            .bind(code_hash)
            .bind(ms(expires))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn exchange_login_code(
        &self,
        code_hash: &[u8],
        code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<Option<LoginSession>, StoreError> {
        sqlx::query_as::<Db, rows::LoginSessionRow>(q::EXCHANGE_LOGIN_CODE)
            .bind(ms(now))
            .bind(code_hash)
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(rows::LoginSessionRow::into_domain)
            .transpose()
    }

    async fn consent(&self, id: &str) -> Result<Option<Consent>, StoreError> {
        sqlx::query_as::<Db, rows::ConsentRow>(q::CONSENT)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn consents(
        &self,
        code: Option<&ClientCode>,
        phone: Option<&Phone>,
        limit: u32,
    ) -> Result<Vec<Consent>, StoreError> {
        sqlx::query_as::<Db, rows::ConsentRow>(q::CONSENTS)
            .bind(code.map(ToString::to_string))
            .bind(phone.map(|p| rows::phone_lookup(&self.keys, p)))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn cloud_device(&self, device: DeviceId) -> Result<Option<CloudDevice>, StoreError> {
        sqlx::query_as::<Db, rows::CloudDeviceRow>(q::CLOUD_DEVICE)
            .bind(device.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(rows::CloudDeviceRow::into_domain)
            .transpose()
    }

    async fn active_cloud_device(&self, member: MemberId) -> Result<Option<Device>, StoreError> {
        sqlx::query_as::<Db, DeviceRow>(q::ACTIVE_CLOUD_DEVICE)
            .bind(member.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(DeviceRow::into_domain)
            .transpose()
    }

    async fn cloud_pin_failed(
        &self,
        device: DeviceId,
        max: u32,
        now: OffsetDateTime,
    ) -> Result<CloudPinFailure, StoreError> {
        let row = sqlx::query_as::<Db, rows::CloudPinRow>(q::CLOUD_PIN_FAILED)
            .bind(ms(now))
            .bind(i32::try_from(max).unwrap_or(i32::MAX))
            .bind(device.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            None => CloudPinFailure::Unchanged,
            Some(r) if r.locked_at.is_some() => CloudPinFailure::LockedNow,
            Some(r) => CloudPinFailure::Counted(u32::try_from(r.pin_failures).unwrap_or(u32::MAX)),
        })
    }

    async fn cloud_pin_succeeded(
        &self,
        device: DeviceId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::CLOUD_PIN_SUCCEEDED)
            .bind(ms(now))
            .bind(device.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn change_cloud_pin(
        &self,
        device: DeviceId,
        pin_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::CHANGE_CLOUD_PIN)
            .bind(pin_hash)
            .bind(ms(now))
            .bind(device.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn reset_cloud_pin(
        &self,
        proof: EnrolmentId,
        pin_hash: &str,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError> {
        let b = rows::CloudBrowserValues::of(browser);
        let now = ms(now);
        let mut tx = self.pool.begin().await?;
        let added = close_and_add_browser(
            &mut tx,
            &proof.to_string(),
            &b,
            i64::from(max_browsers),
            now,
        )
        .await?;
        if added != BrowserAdded::Added {
            tx.rollback().await?;
            return Ok(added);
        }
        sqlx::query(q::RESET_CLOUD_PIN)
            .bind(pin_hash)
            .bind(now)
            .bind(&b.device_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn add_cloud_browser(
        &self,
        proof: EnrolmentId,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError> {
        let b = rows::CloudBrowserValues::of(browser);
        let mut tx = self.pool.begin().await?;
        let added = close_and_add_browser(
            &mut tx,
            &proof.to_string(),
            &b,
            i64::from(max_browsers),
            ms(now),
        )
        .await?;
        if added == BrowserAdded::Added {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(added)
    }

    async fn cloud_browser(&self, id: &str) -> Result<Option<CloudBrowser>, StoreError> {
        sqlx::query_as::<Db, rows::CloudBrowserRow>(q::CLOUD_BROWSER)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(rows::CloudBrowserRow::into_domain)
            .transpose()
    }

    async fn cloud_browsers(&self, device: DeviceId) -> Result<Vec<CloudBrowser>, StoreError> {
        sqlx::query_as::<Db, rows::CloudBrowserRow>(q::CLOUD_BROWSERS)
            .bind(device.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(rows::CloudBrowserRow::into_domain)
            .collect()
    }

    async fn remove_cloud_browser(
        &self,
        device: DeviceId,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::REMOVE_CLOUD_BROWSER)
            .bind(ms(now))
            .bind(id)
            .bind(device.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn insert_cloud_challenge(
        &self,
        challenge: &str,
        browser_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(q::PURGE_CLOUD_CHALLENGES)
            .bind(ms(now - std::time::Duration::from_secs(3600)))
            .execute(&self.pool)
            .await?;
        sqlx::query(q::INSERT_CLOUD_CHALLENGE)
            .bind(challenge)
            .bind(browser_id)
            .bind(ms(expires_at))
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "challenge"))?;
        Ok(())
    }

    async fn use_cloud_challenge(
        &self,
        challenge: &str,
        browser_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let used = sqlx::query(q::USE_CLOUD_CHALLENGE)
            .bind(ms(now))
            .bind(challenge)
            .bind(browser_id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1;
        if used {
            sqlx::query(q::TOUCH_CLOUD_BROWSER)
                .bind(ms(now))
                .bind(browser_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(used)
    }

    async fn append_cloud_use(&self, u: &CloudUse) -> Result<(), StoreError> {
        let v = rows::CloudUseValues::seal(&self.keys, u)?;
        sqlx::query(q::INSERT_CLOUD_USE)
            .bind(v.device_id)
            .bind(v.browser_id)
            .bind(v.at)
            .bind(v.action)
            .bind(v.client_code)
            .bind(v.receipt_id)
            .bind(v.digest)
            .bind(v.address_enc)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn cloud_uses(&self, device: DeviceId, limit: u32) -> Result<Vec<CloudUse>, StoreError> {
        sqlx::query_as::<Db, rows::CloudUseRow>(q::CLOUD_USES)
            .bind(device.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn insert_cloud_code(&self, code: &CloudCode) -> Result<(), StoreError> {
        sqlx::query(q::INSERT_CLOUD_CODE)
            .bind(&code.code_hash)
            .bind(code.client_code.to_string())
            .bind(&code.kind)
            .bind(&code.receipt_id)
            .bind(code.device_id.map(|d| d.to_string()))
            .bind(&code.serial)
            .bind(ms(code.created_at))
            .bind(ms(code.expires_at))
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "code"))?;
        Ok(())
    }

    async fn exchange_cloud_code(
        &self,
        code_hash: &[u8],
        client_code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<Option<CloudCode>, StoreError> {
        sqlx::query_as::<Db, rows::CloudCodeRow>(q::EXCHANGE_CLOUD_CODE)
            .bind(ms(now))
            .bind(code_hash)
            .bind(client_code.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(rows::CloudCodeRow::into_domain)
            .transpose()
    }

    async fn insert_cloud_alt(&self, a: &CloudAlt) -> Result<(), StoreError> {
        let v = rows::CloudAltValues::seal(&self.keys, a)?;
        sqlx::query(q::INSERT_CLOUD_ALT)
            .bind(v.tx_id)
            .bind(v.client_code)
            .bind(v.permission_hash)
            .bind(v.name_enc)
            .bind(v.phone_enc)
            .bind(v.birthday_enc)
            .bind(v.created_at)
            .bind(v.expires_at)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "tx id"))?;
        Ok(())
    }

    async fn cloud_alt(&self, tx_id: &str) -> Result<Option<CloudAlt>, StoreError> {
        sqlx::query_as::<Db, rows::CloudAltRow>(q::CLOUD_ALT)
            .bind(tx_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_cloud_ask(&self, a: &CloudAsk, person_lookup: &[u8]) -> Result<(), StoreError> {
        sqlx::query(q::INSERT_CLOUD_ASK)
            .bind(&a.id)
            .bind(a.device_id.map(|d| d.to_string()))
            .bind(&a.spki)
            .bind(&a.label)
            .bind(i64::from(a.number))
            .bind(ms(a.created_at))
            .bind(ms(a.expires_at))
            .bind(person_lookup)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "ask id"))?;
        Ok(())
    }

    async fn cloud_ask(&self, id: &str) -> Result<Option<CloudAsk>, StoreError> {
        sqlx::query_as::<Db, rows::CloudAskRow>(q::CLOUD_ASK)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(rows::CloudAskRow::into_domain)
            .transpose()
    }

    async fn open_cloud_asks(
        &self,
        device: DeviceId,
        now: OffsetDateTime,
    ) -> Result<Vec<CloudAsk>, StoreError> {
        sqlx::query_as::<Db, rows::CloudAskRow>(q::OPEN_CLOUD_ASKS)
            .bind(device.to_string())
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(rows::CloudAskRow::into_domain)
            .collect()
    }

    async fn open_cloud_asks_for(
        &self,
        person_lookup: &[u8],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(q::OPEN_CLOUD_ASKS_FOR_PERSON)
            .bind(person_lookup)
            .bind(ms(now))
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn decline_cloud_ask(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::DECLINE_CLOUD_ASK)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn approve_cloud_ask(
        &self,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError> {
        let b = rows::CloudBrowserValues::of(browser);
        let mut tx = self.pool.begin().await?;
        let added = close_with_and_add_browser(
            &mut tx,
            q::APPROVE_CLOUD_ASK,
            &b.id,
            &b,
            i64::from(max_browsers),
            ms(now),
        )
        .await?;
        if added == BrowserAdded::Added {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(added)
    }

    async fn insert_cloud_proof(&self, id: EnrolmentId, purpose: &str) -> Result<(), StoreError> {
        sqlx::query(q::INSERT_CLOUD_PROOF)
            .bind(id.to_string())
            .bind(purpose)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "proof"))?;
        Ok(())
    }

    async fn cloud_proof(&self, id: EnrolmentId) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_as::<Db, ValueRow>(q::CLOUD_PROOF)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.value))
    }

    async fn renew_cloud_certificate(
        &self,
        old: &str,
        new: &CertificateRecord,
        key_label: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(q::SUPERSEDE_CERTIFICATE)
            .bind(ms(now))
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(q::INSERT_CERTIFICATE)
            .bind(&new.serial)
            .bind(new.member_id.to_string())
            .bind(new.device_id.to_string())
            .bind(self.keys.seal(rows::col::CERT_DER, &new.der)?)
            .bind(ms(new.not_before))
            .bind(ms(new.not_after))
            .bind(ms(now))
            .bind(new.proof.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_to_conflict(e, "certificate serial"))?;
        sqlx::query(q::SET_CLOUD_KEY_LABEL)
            .bind(key_label)
            .bind(ms(now))
            .bind(new.device_id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_cloud_party(&self, p: &CloudParty) -> Result<CloudParty, StoreError> {
        let v = rows::CloudPartyValues::of(p)?;
        sqlx::query(q::SET_CLOUD_PARTY)
            .bind(&v.client_code)
            .bind(&v.publishable_key)
            .bind(&v.origins)
            .bind(&v.stylesheets)
            .bind(v.updated_at)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_to_conflict(e, "publishable key"))?;
        sqlx::query_as::<Db, rows::CloudPartyRow>(q::CLOUD_PARTY)
            .bind(&v.client_code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::Corrupt("cloud party vanished".into()))?
            .into_domain()
    }

    async fn cloud_party(&self, code: &ClientCode) -> Result<Option<CloudParty>, StoreError> {
        sqlx::query_as::<Db, rows::CloudPartyRow>(q::CLOUD_PARTY)
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(rows::CloudPartyRow::into_domain)
            .transpose()
    }

    async fn cloud_party_by_key(&self, key: &str) -> Result<Option<CloudParty>, StoreError> {
        sqlx::query_as::<Db, rows::CloudPartyRow>(q::CLOUD_PARTY_BY_KEY)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .map(rows::CloudPartyRow::into_domain)
            .transpose()
    }

    async fn remove_cloud_party(&self, code: &ClientCode) -> Result<bool, StoreError> {
        Ok(sqlx::query(q::REMOVE_CLOUD_PARTY)
            .bind(code.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }
}
