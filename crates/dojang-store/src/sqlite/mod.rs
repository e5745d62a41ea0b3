//! The SQLite backend (the embedded default): one connection on a dedicated thread
//! ([`executor`]), running the statements of [`queries`](crate::queries) that the PostgreSQL
//! backend runs too. Migrations are applied with sqlx's migrator before the executor opens the
//! file, so both backends record them the same way.

mod executor;

use std::path::PathBuf;
use std::str::FromStr;
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
use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection};
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use time::OffsetDateTime;

use executor::{Access, Executor};

use crate::PushSubscription;
use crate::push::PushSubscriptionRow;
use crate::queries as q;
use crate::rows::{
    self, AliasRow, AttemptRow, AttemptValues, BankCheckRow, CertificateRow, Close, DeliveryRow,
    DeviceRow, EnrolmentRow, FromSqlite, IdRow, IdempotentRow, MemberRow, NameRow, OutboxRow,
    RaCodeRow, ReceiptRow, RecentRow, RelyingPartyRow, RequestRow, WaitingRow, WebhookRow, col, ms,
};
use crate::rows::{AdminSessionRow, DayCountRow, LoginTextsRow, ValueRow};
use crate::rows::{AuditRow, OperatorRow};
use crate::{
    AdminSession, CertificateFilter, DayCount, Failures, LoginSession, LoginTexts, RequestFilter,
};
use crate::{
    AfterAttempt, Alias, Attempt, Backend, CompletedEnrolment, CompletedLogin, Consent,
    CreateGuard, Created, DataKeys, Delivery, DeliveryState, DevicePin, NewDelivery, NewDevicePin,
    PinFailure, Store, StoreError, WaitingRequest, Webhook,
};
use crate::{AuditEntry, AuditFilter, NewOperator, OperatorRecord, OperatorRole};
use crate::{BiometricChallenge, DeviceBiometric};
use crate::{
    BrowserAdded, CloudAlt, CloudAsk, CloudBrowser, CloudCode, CloudDevice, CloudParty,
    CloudPinFailure, CloudUse,
};

/// A store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    exec: Arc<Executor>,
    keys: Arc<DataKeys>,
}

/// A prepared (cached) statement with `$1…$n` bound to `values`.
fn bound<'c>(
    conn: &'c Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> rusqlite::Result<CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(sql)?;
    for (i, v) in values.iter().enumerate() {
        let name = format!("${}", i + 1);
        let index = stmt
            .parameter_index(&name)?
            .ok_or(rusqlite::Error::InvalidParameterName(name))?;
        stmt.raw_bind_parameter(index, v)?;
    }
    Ok(stmt)
}

/// Run a statement; the number of rows it changed.
fn execute(conn: &Connection, sql: &str, values: &[&dyn ToSql]) -> rusqlite::Result<usize> {
    bound(conn, sql, values)?.raw_execute()
}

/// The first row, if any.
fn one<T: FromSqlite>(
    conn: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> rusqlite::Result<Option<T>> {
    let mut stmt = bound(conn, sql, values)?;
    let mut rows = stmt.raw_query();
    match rows.next()? {
        Some(r) => T::read(r).map(Some),
        None => Ok(None),
    }
}

/// Every row.
fn all<T: FromSqlite>(
    conn: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = bound(conn, sql, values)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(T::read(r)?);
    }
    Ok(out)
}

/// Insert a registered browser's row.
fn insert_cloud_browser(c: &Connection, b: &rows::CloudBrowserValues) -> Result<(), StoreError> {
    execute(
        c,
        q::INSERT_CLOUD_BROWSER,
        &[&b.id, &b.device_id, &b.spki, &b.label, &b.created_at],
    )
    .map_err(|e| conflict(e, "browser id"))?;
    Ok(())
}

/// Close a cloud SMS proof and register a browser, unless the device has `max` browsers.
fn close_and_add_browser(
    c: &Connection,
    proof: &str,
    b: &rows::CloudBrowserValues,
    max: i64,
    now: i64,
) -> Result<crate::BrowserAdded, StoreError> {
    close_with_and_add_browser(c, q::CLOSE_ENROLMENT, proof, b, max, now)
}

/// Close what proved the browser (`close`: `$1` now, `$2` its id; an SMS proof or an ask)
/// and register it, unless the device has `max` browsers.
fn close_with_and_add_browser(
    c: &Connection,
    close: &str,
    proof: &str,
    b: &rows::CloudBrowserValues,
    max: i64,
    now: i64,
) -> Result<crate::BrowserAdded, StoreError> {
    execute(c, q::LOCK_CLOUD_DEVICE, &[&now, &b.device_id])?;
    if count(c, q::CLOUD_BROWSER_COUNT, &[&b.device_id])? >= max {
        return Ok(crate::BrowserAdded::TooMany);
    }
    if execute(c, close, &[&now, &proof])? != 1 {
        return Ok(crate::BrowserAdded::ProofClosed);
    }
    insert_cloud_browser(c, b)?;
    Ok(crate::BrowserAdded::Added)
}

/// Insert a new member's sealed row.
fn insert_member(c: &Connection, m: &rows::MemberValues) -> Result<(), StoreError> {
    execute(
        c,
        q::INSERT_MEMBER,
        &[
            &m.id,
            &m.lookup,
            &m.name_enc,
            &m.phone_enc,
            &m.birthday_enc,
            &m.ci,
            &m.created_at,
            &m.phone_lookup,
        ],
    )
    .map_err(|e| conflict(e, "member"))?;
    Ok(())
}

/// Insert a sealed request.
fn insert_request(c: &Connection, v: &rows::RequestValues) -> Result<(), StoreError> {
    execute(
        c,
        q::INSERT_REQUEST,
        &[
            &v.receipt_id,
            &v.kind,
            &v.client_code,
            &v.member_id,
            &v.receiver_name_enc,
            &v.receiver_phone_enc,
            &v.receiver_birthday_enc,
            &v.token_enc,
            &v.title,
            &v.extra_message_enc,
            &v.call_center_num,
            &v.expire_in,
            &v.requested_at,
            &v.expire_at,
            &v.viewed_at,
            &v.completed_at,
            &v.verified_at,
            &v.state,
            &v.signed_data_enc,
            &v.signer_serial,
            &v.reason,
            &v.details_enc,
            &v.tx_id,
            &v.idempotency_key,
            &v.body_hash,
        ],
    )
    .map_err(|e| conflict(e, "receipt id"))?;
    Ok(())
}

/// `SELECT COUNT(*) …`: the count.
fn count(conn: &Connection, sql: &str, values: &[&dyn ToSql]) -> rusqlite::Result<i64> {
    bound(conn, sql, values)?
        .raw_query()
        .next()?
        .map_or(Ok(0), |r| r.get(0))
}

/// A unique-key violation becomes [`StoreError::Conflict`].
fn conflict(e: rusqlite::Error, what: &'static str) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Conflict(what)
        }
        _ => StoreError::Sqlite(e),
    }
}

/// The database and its companions (`-wal`, `-shm`, a rollback `-journal`) are readable by
/// dojang's user alone: the database holds the admin password hash and sealed personal data
/// (issue 14 #7). A new database file is created 0600 before SQLite opens it, and SQLite gives
/// the files it makes beside it the database file's mode; existing files that group or others
/// may read are tightened to 0600, with a warning. A file whose mode cannot be changed stops
/// the open with a message saying what to run.
#[cfg(unix)]
fn private_files(path: &std::path::Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let refuse = |p: &std::path::Path, e: std::io::Error| {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
            format!(
                "; the database must be readable by dojang's user only: as its owner, run \
                 `chmod 600 {}*`",
                path.display()
            )
        } else {
            String::new()
        };
        StoreError::Unavailable(format!("{}: {e}{hint}", p.display()))
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(refuse(path, e)),
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = std::path::PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| refuse(&file, e))?;
            tracing::warn!(
                path = %file.display(),
                was = format!("{mode:03o}"),
                "database file was readable by others; its mode is now 0600"
            );
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Create the file if needed (0600), apply migrations, start the executor.
    pub async fn open(url: &str, keys: Arc<DataKeys>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let path: PathBuf = options.get_filename().to_owned();
        if path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:") {
            return Err(StoreError::UnsupportedUrl(format!(
                "{url} (an in-memory SQLite database cannot be shared)"
            )));
        }
        #[cfg(unix)]
        private_files(&path)?;
        let mut conn = options.connect().await?;
        sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
        sqlx::Connection::close(conn).await?;
        let exec = tokio::task::spawn_blocking(move || Executor::start(&path))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))??;
        let store = Self {
            exec: Arc::new(exec),
            keys,
        };
        store.backfill_phone_lookups().await?;
        Ok(store)
    }

    /// Schema v4 added `members.phone_lookup`; rows older than it get theirs here, in batches.
    async fn backfill_phone_lookups(&self) -> Result<(), StoreError> {
        loop {
            let rows = self
                .read(|c| Ok(all::<MemberRow>(c, q::MEMBERS_WITHOUT_PHONE_LOOKUP, &[])?))
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut updates = Vec::with_capacity(rows.len());
            for row in rows {
                let m = row.into_domain(&self.keys)?;
                updates.push((
                    rows::phone_lookup(&self.keys, &m.person.phone),
                    m.id.to_string(),
                ));
            }
            self.write(move |c| {
                for (lookup, id) in &updates {
                    execute(c, q::SET_PHONE_LOOKUP, &[lookup, id])?;
                }
                Ok(())
            })
            .await?;
        }
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.exec.run(Access::Read, f).await
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.exec.run(Access::Write, f).await
    }

    /// Waiting and unexpired → a final state with a reason.
    async fn finish(
        &self,
        id: &ReceiptId,
        state: RequestState,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (id, reason, now) = (id.to_string(), reason.map(str::to_owned), ms(now));
        self.write(move |c| {
            let n = execute(
                c,
                q::FINISH,
                &[
                    &state.code(),
                    &now,
                    &reason,
                    &id,
                    &RequestState::Waiting.code(),
                ],
            )?;
            Ok(n == 1)
        })
        .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| Ok(c.query_row(q::PING, [], |_| Ok(()))?))
            .await
    }

    fn pool_stats(&self) -> crate::PoolStats {
        crate::PoolStats {
            connections: 1,
            idle: 0,
            queued: self.exec.queued(),
        }
    }

    async fn webhook_queue_depth(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .read(|c| Ok(c.query_row(q::WEBHOOK_QUEUE_DEPTH, [], |r| r.get(0))?))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn migrations_missing(&self) -> Result<Vec<i64>, StoreError> {
        let applied: Vec<i64> = self
            .read(|c| {
                let mut st = c.prepare_cached(q::APPLIED_MIGRATIONS)?;
                let rows = st.query_map([], |r| r.get::<_, i64>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        Ok(crate::missing_migrations(
            sqlx::migrate!("./migrations/sqlite")
                .iter()
                .map(|m| m.version),
            &applied,
        ))
    }

    async fn insert_relying_party(&self, rp: &RelyingParty) -> Result<(), StoreError> {
        let secret = self.keys.seal(col::RP_SECRET, rp.secret.as_bytes())?;
        let v = (
            rp.client_code.to_string(),
            rp.link_id.clone(),
            rp.name.clone(),
            secret,
            rp.call_center_num.clone(),
            ms(rp.created_at),
        );
        self.write(move |c| {
            execute(
                c,
                q::INSERT_RELYING_PARTY,
                &[&v.0, &v.1, &v.2, &v.3, &v.4, &v.5],
            )
            .map_err(|e| conflict(e, "client code or LinkID"))?;
            Ok(())
        })
        .await
    }

    async fn relying_party_by_link_id(
        &self,
        link_id: &str,
    ) -> Result<Option<RelyingParty>, StoreError> {
        let link_id = link_id.to_owned();
        self.read(move |c| {
            Ok(one::<RelyingPartyRow>(
                c,
                q::RELYING_PARTY_BY_LINK_ID,
                &[&link_id],
            )?)
        })
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn relying_party(&self, code: &ClientCode) -> Result<Option<RelyingParty>, StoreError> {
        let code = code.to_string();
        self.read(move |c| {
            Ok(one::<RelyingPartyRow>(
                c,
                q::RELYING_PARTY_BY_CODE,
                &[&code],
            )?)
        })
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn relying_parties(&self) -> Result<Vec<RelyingParty>, StoreError> {
        self.read(|c| Ok(all::<RelyingPartyRow>(c, q::RELYING_PARTIES, &[])?))
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        let id = id.to_string();
        self.read(move |c| Ok(one::<MemberRow>(c, q::MEMBER_BY_ID, &[&id])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn member_by_phone_birthday(
        &self,
        phone: &Phone,
        birthday: &Birthday,
    ) -> Result<Option<Member>, StoreError> {
        let lookup = rows::member_lookup(&self.keys, phone, birthday);
        self.read(move |c| Ok(one::<MemberRow>(c, q::MEMBER_BY_LOOKUP, &[&lookup])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_enrolment(&self, e: &Enrolment, now: OffsetDateTime) -> Result<(), StoreError> {
        let v = rows::EnrolmentValues::seal(&self.keys, e, now)?;
        self.write(move |c| {
            execute(
                c,
                q::INSERT_ENROLMENT,
                &[
                    &v.id,
                    &v.phone_lookup,
                    &v.name_enc,
                    &v.phone_enc,
                    &v.birthday_enc,
                    &v.code_hash,
                    &v.attempts,
                    &v.expires_at,
                    &v.completed_at,
                    &v.created_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn enrolments_since(
        &self,
        phone: &Phone,
        since: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let (lookup, since) = (rows::phone_lookup(&self.keys, phone), ms(since));
        let n: i64 = self
            .read(move |c| {
                Ok(bound(c, q::ENROLMENTS_SINCE, &[&lookup, &since])?
                    .raw_query()
                    .next()?
                    .map_or(Ok(0), |r| r.get(0))?)
            })
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn enrolment(&self, id: EnrolmentId) -> Result<Option<Enrolment>, StoreError> {
        let id = id.to_string();
        self.read(move |c| Ok(one::<EnrolmentRow>(c, q::ENROLMENT, &[&id])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn count_code_attempt(
        &self,
        id: EnrolmentId,
        max_attempts: u32,
    ) -> Result<Option<Enrolment>, StoreError> {
        let (id, max) = (
            id.to_string(),
            i32::try_from(max_attempts).unwrap_or(i32::MAX),
        );
        self.write(move |c| Ok(one::<EnrolmentRow>(c, q::COUNT_CODE_ATTEMPT, &[&id, &max])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn complete_enrolment(&self, done: &CompletedEnrolment) -> Result<bool, StoreError> {
        let v = rows::CompletionValues::seal(&self.keys, done)?;
        // One job: the executor runs it inside a savepoint, so it applies entirely or not at all.
        self.write(move |c| {
            let closed = match &v.close {
                Close::Enrolment(id) => execute(c, q::CLOSE_ENROLMENT, &[&v.now, id])?,
                Close::BankCheck(id) => execute(c, q::CLOSE_BANK_CHECK, &[&v.now, id])?,
                Close::RaCode(r) => execute(c, q::CLOSE_RA_CODE, &[&v.now, &v.serial, r])?,
                Close::Alt(tx) => execute(c, q::CLOSE_CLOUD_ALT, &[&v.now, tx])?,
            };
            if closed != 1 {
                return Ok(false);
            }
            if let Some(m) = &v.new_member {
                insert_member(c, m)?;
            }
            execute(
                c,
                q::SUPERSEDE_CERTIFICATES,
                &[&v.now, &v.member_id, &v.kind],
            )?;
            execute(c, q::SUPERSEDE_DEVICES, &[&v.now, &v.member_id, &v.kind])?;
            execute(
                c,
                q::INSERT_DEVICE,
                &[
                    &v.device_id,
                    &v.member_id,
                    &v.token_hash,
                    &v.device_created_at,
                    &v.kind,
                ],
            )
            .map_err(|e| conflict(e, "device"))?;
            execute(
                c,
                q::INSERT_CERTIFICATE,
                &[
                    &v.serial,
                    &v.member_id,
                    &v.device_id,
                    &v.der_enc,
                    &v.not_before,
                    &v.not_after,
                    &v.now,
                    &v.proof,
                ],
            )
            .map_err(|e| conflict(e, "certificate serial"))?;
            if let Some((verifier, secret)) = &v.pin {
                execute(
                    c,
                    q::INSERT_DEVICE_PIN,
                    &[&v.device_id, verifier, secret, &v.now],
                )?;
            }
            if let Some(cloud) = &v.cloud {
                execute(
                    c,
                    q::INSERT_CLOUD_DEVICE,
                    &[&v.device_id, &cloud.key_label, &cloud.pin_hash, &v.now],
                )?;
                insert_cloud_browser(c, &cloud.browser)?;
            }
            Ok(true)
        })
        .await
    }

    async fn insert_bank_check(
        &self,
        b: &BankCheck,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let v = rows::BankCheckValues::seal(&self.keys, b, now)?;
        self.write(move |c| {
            execute(
                c,
                q::INSERT_BANK_CHECK,
                &[
                    &v.id,
                    &v.phone_lookup,
                    &v.account_lookup,
                    &v.name_enc,
                    &v.phone_enc,
                    &v.birthday_enc,
                    &v.bank_code,
                    &v.account_enc,
                    &v.word_hash,
                    &v.attempts,
                    &v.expires_at,
                    &v.completed_at,
                    &v.created_at,
                ],
            )
            .map_err(|e| conflict(e, "bank check id"))?;
            Ok(())
        })
        .await
    }

    async fn bank_checks_since(
        &self,
        phone: &Phone,
        bank: &BankCode,
        account: &AccountNumber,
        since: OffsetDateTime,
    ) -> Result<(u64, u64), StoreError> {
        let (by_phone, by_account, since) = (
            rows::phone_lookup(&self.keys, phone),
            rows::account_lookup(&self.keys, bank, account),
            ms(since),
        );
        let (p, a) = self
            .read(move |c| {
                Ok((
                    count(c, q::BANK_CHECKS_FOR_PHONE_SINCE, &[&by_phone, &since])?,
                    count(c, q::BANK_CHECKS_FOR_ACCOUNT_SINCE, &[&by_account, &since])?,
                ))
            })
            .await?;
        Ok((u64::try_from(p).unwrap_or(0), u64::try_from(a).unwrap_or(0)))
    }

    async fn bank_check(&self, id: EnrolmentId) -> Result<Option<BankCheck>, StoreError> {
        let id = id.to_string();
        self.read(move |c| Ok(one::<BankCheckRow>(c, q::BANK_CHECK, &[&id])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn count_bank_attempt(
        &self,
        id: EnrolmentId,
        max_attempts: u32,
    ) -> Result<Option<BankCheck>, StoreError> {
        let (id, max) = (
            id.to_string(),
            i32::try_from(max_attempts).unwrap_or(i32::MAX),
        );
        self.write(move |c| Ok(one::<BankCheckRow>(c, q::COUNT_BANK_ATTEMPT, &[&id, &max])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_ra_code(&self, r: &RaCode) -> Result<(), StoreError> {
        let v = rows::RaCodeValues::seal(&self.keys, r)?;
        self.write(move |c| {
            execute(
                c,
                q::INSERT_RA_CODE,
                &[
                    &v.ref_num,
                    &v.phone_lookup,
                    &v.name_enc,
                    &v.phone_enc,
                    &v.birthday_enc,
                    &v.code_hash,
                    &v.attempts,
                    &v.issued_at,
                    &v.expires_at,
                    &v.used_at,
                    &v.serial,
                    &v.cancelled_at,
                ],
            )
            .map_err(|e| conflict(e, "reference number"))?;
            Ok(())
        })
        .await
    }

    async fn ra_code(&self, reference: &ReferenceNumber) -> Result<Option<RaCode>, StoreError> {
        let r = reference.as_str().to_owned();
        self.read(move |c| Ok(one::<RaCodeRow>(c, q::RA_CODE, &[&r])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn count_ra_attempt(
        &self,
        reference: &ReferenceNumber,
        max_attempts: u32,
    ) -> Result<Option<RaCode>, StoreError> {
        let (r, max) = (
            reference.as_str().to_owned(),
            i32::try_from(max_attempts).unwrap_or(i32::MAX),
        );
        self.write(move |c| Ok(one::<RaCodeRow>(c, q::COUNT_RA_ATTEMPT, &[&r, &max])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn ra_codes(&self, phone: Option<&Phone>, limit: u32) -> Result<Vec<RaCode>, StoreError> {
        let limit = i64::from(limit);
        let lookup = phone.map(|p| rows::phone_lookup(&self.keys, p));
        self.read(move |c| {
            Ok(match &lookup {
                Some(l) => all::<RaCodeRow>(c, q::RA_CODES_FOR_PHONE, &[l, &limit])?,
                None => all::<RaCodeRow>(c, q::RA_CODES, &[&limit])?,
            })
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn cancel_ra_code(
        &self,
        reference: &ReferenceNumber,
        now: OffsetDateTime,
    ) -> Result<Option<RaCode>, StoreError> {
        let (r, now) = (reference.as_str().to_owned(), ms(now));
        self.write(move |c| Ok(one::<RaCodeRow>(c, q::CANCEL_RA_CODE, &[&now, &r])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn complete_login(&self, done: &CompletedLogin) -> Result<bool, StoreError> {
        let (member_id, new_member) = rows::MemberValues::of_choice(&self.keys, &done.member)?;
        let (enrolment, member_id, now) = (
            done.enrolment_id.to_string(),
            member_id.to_string(),
            ms(done.now),
        );
        let (device_id, token_hash, created_at) = (
            done.device.id.to_string(),
            done.device.token_hash.clone(),
            ms(done.device.created_at),
        );
        // One job: it applies entirely or not at all.
        self.write(move |c| {
            if execute(c, q::CLOSE_ENROLMENT, &[&now, &enrolment])? != 1 {
                return Ok(false);
            }
            if let Some(m) = &new_member {
                insert_member(c, m)?;
            }
            execute(c, q::SUPERSEDE_UNCERTIFIED_DEVICES, &[&now, &member_id])?;
            execute(
                c,
                q::INSERT_DEVICE,
                &[&device_id, &member_id, &token_hash, &created_at, &"app"],
            )
            .map_err(|e| conflict(e, "device"))?;
            Ok(true)
        })
        .await
    }

    async fn has_active_certificate(
        &self,
        member: MemberId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (id, now) = (member.to_string(), ms(now));
        Ok(self
            .read(move |c| {
                Ok(one::<rows::CountRow>(
                    c,
                    q::HAS_ACTIVE_CERTIFICATE,
                    &[&id, &now],
                )?)
            })
            .await?
            .is_some_and(|r| r.n > 0))
    }

    async fn device_pin(&self, id: DeviceId) -> Result<Option<DevicePin>, StoreError> {
        let id = id.to_string();
        self.read(move |c| Ok(one::<rows::DevicePinRow>(c, q::DEVICE_PIN, &[&id])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn pin_succeeded(&self, id: DeviceId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let (id, now) = (id.to_string(), ms(now));
        self.write(move |c| Ok(execute(c, q::PIN_SUCCEEDED, &[&now, &id])? == 1))
            .await
    }

    async fn pin_failed(
        &self,
        id: DeviceId,
        max: u32,
        now: OffsetDateTime,
    ) -> Result<PinFailure, StoreError> {
        let (id, now, max) = (id.to_string(), ms(now), i64::from(max));
        // One job on the single writer: the count, and the lock it may cause, are atomic.
        self.write(move |c| {
            let counted =
                one::<rows::FailuresRow>(c, q::PIN_FAILED, &[&now, &id])?.map(|r| r.failures);
            Ok(match counted {
                None => PinFailure::Unchanged,
                Some(n) if n >= max => {
                    execute(c, q::LOCK_PIN, &[&now, &id])?;
                    execute(c, q::REVOKE_DEVICE, &[&now, &id])?;
                    execute(c, q::REVOKE_DEVICE_CERTIFICATES, &[&now, &id])?;
                    execute(c, q::DELETE_DEVICE_BIOMETRIC, &[&id])?;
                    PinFailure::LockedNow
                }
                Some(n) => PinFailure::Counted(u32::try_from(n).unwrap_or(u32::MAX)),
            })
        })
        .await
    }

    async fn replace_pin(
        &self,
        id: DeviceId,
        pin: &NewDevicePin,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let sealed = self.keys.seal(rows::col::PIN_SECRET, &pin.unlock_secret)?;
        let (id, now, verifier) = (id.to_string(), ms(now), pin.verifier.clone());
        self.write(move |c| Ok(execute(c, q::REPLACE_PIN, &[&verifier, &sealed, &now, &id])? == 1))
            .await
    }

    async fn rename_member(
        &self,
        id: MemberId,
        name: &dojang_core::PersonName,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let sealed = self.keys.seal_str(rows::col::MEMBER_NAME, name.as_str())?;
        let (id, now) = (id.to_string(), ms(now));
        self.write(move |c| {
            if execute(c, q::RENAME_MEMBER, &[&sealed, &id])? != 1 {
                return Ok(false);
            }
            execute(c, q::REVOKE_MEMBER_CERTIFICATES, &[&now, &3i64, &id])?;
            Ok(true)
        })
        .await
    }

    async fn renew_certificate(
        &self,
        old: &str,
        new: &CertificateRecord,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let der = self.keys.seal(rows::col::CERT_DER, &new.der)?;
        let (old, now) = (old.to_owned(), ms(now));
        let (serial, member, device) = (
            new.serial.clone(),
            new.member_id.to_string(),
            new.device_id.to_string(),
        );
        let (not_before, not_after) = (ms(new.not_before), ms(new.not_after));
        let proof = new.proof.as_str();
        self.write(move |c| {
            if execute(c, q::SUPERSEDE_CERTIFICATE, &[&now, &old])? != 1 {
                return Ok(false);
            }
            execute(
                c,
                q::INSERT_CERTIFICATE,
                &[
                    &serial,
                    &member,
                    &device,
                    &der,
                    &not_before,
                    &not_after,
                    &now,
                    &proof,
                ],
            )
            .map_err(|e| conflict(e, "certificate serial"))?;
            Ok(true)
        })
        .await
    }

    async fn revoke_device(
        &self,
        id: DeviceId,
        reason: u8,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (id, now, reason) = (id.to_string(), ms(now), i64::from(reason));
        self.write(move |c| {
            if execute(c, q::REVOKE_DEVICE, &[&now, &id])? != 1 {
                return Ok(false);
            }
            execute(c, q::REVOKE_DEVICE_CERTIFICATES_FOR, &[&now, &id, &reason])?;
            Ok(true)
        })
        .await
    }

    async fn device(&self, id: DeviceId) -> Result<Option<Device>, StoreError> {
        let id = id.to_string();
        self.read(move |c| Ok(one::<DeviceRow>(c, q::DEVICE, &[&id])?))
            .await?
            .map(DeviceRow::into_domain)
            .transpose()
    }

    async fn certificate(&self, serial: &str) -> Result<Option<CertificateRecord>, StoreError> {
        let serial = serial.to_owned();
        self.read(move |c| Ok(one::<CertificateRow>(c, q::CERTIFICATE, &[&serial])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn certificates_of(
        &self,
        member: MemberId,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        let id = member.to_string();
        self.read(move |c| Ok(all::<CertificateRow>(c, q::CERTIFICATES_OF_MEMBER, &[&id])?))
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn recent_certificates(&self, limit: u32) -> Result<Vec<CertificateRecord>, StoreError> {
        let limit = i64::from(limit);
        self.read(move |c| Ok(all::<CertificateRow>(c, q::RECENT_CERTIFICATES, &[&limit])?))
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
        let (serial, at, reason) = (serial.to_owned(), ms(at), i64::from(reason));
        self.write(move |c| {
            Ok(one::<CertificateRow>(
                c,
                q::REVOKE_CERTIFICATE,
                &[&at, &reason, &serial],
            )?)
        })
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn revoked_certificates(&self) -> Result<Vec<RevokedCertificate>, StoreError> {
        self.read(|c| Ok(all::<rows::RevokedRow>(c, q::REVOKED_CERTIFICATES, &[])?))
            .await?
            .into_iter()
            .map(rows::RevokedRow::into_domain)
            .collect()
    }

    async fn revocation_marker(&self) -> Result<(i64, Option<i64>), StoreError> {
        self.read(|c| {
            Ok(c.query_row(q::REVOCATION_MARKER, [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
            })?)
        })
        .await
    }

    async fn insert_sandbox_person(
        &self,
        reference: &str,
        owner: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (r, o, now) = (reference.to_owned(), owner.to_vec(), ms(now));
        self.write(move |c| {
            execute(c, q::INSERT_SANDBOX_PERSON, &[&r, &o, &now])
                .map_err(|e| conflict(e, "reference number"))?;
            Ok(())
        })
        .await
    }

    async fn claim_sandbox_member(
        &self,
        reference: &str,
        member: MemberId,
    ) -> Result<bool, StoreError> {
        let (r, m) = (reference.to_owned(), member.to_string());
        self.write(move |c| Ok(execute(c, q::CLAIM_SANDBOX_MEMBER, &[&m, &r])? == 1))
            .await
    }

    async fn sandbox_owner(&self, member: MemberId) -> Result<Option<Vec<u8>>, StoreError> {
        let m = member.to_string();
        Ok(self
            .read(move |c| Ok(one::<rows::OwnerRow>(c, q::SANDBOX_OWNER, &[&m])?))
            .await?
            .map(|r| r.owner))
    }

    async fn release_sandbox_member(&self, member: MemberId) -> Result<(), StoreError> {
        let m = member.to_string();
        self.write(move |c| {
            execute(c, q::RELEASE_SANDBOX_MEMBER, &[&m])?;
            Ok(())
        })
        .await
    }

    async fn set_sandbox_party(&self, code: &ClientCode, on: bool) -> Result<(), StoreError> {
        let code = code.to_string();
        let sql = if on {
            q::ADD_SANDBOX_PARTY
        } else {
            q::REMOVE_SANDBOX_PARTY
        };
        self.write(move |c| {
            execute(c, sql, &[&code])?;
            Ok(())
        })
        .await
    }

    async fn is_sandbox_party(&self, code: &ClientCode) -> Result<bool, StoreError> {
        let code = code.to_string();
        Ok(self
            .read(move |c| Ok(count(c, q::SANDBOX_PARTY, &[&code])?))
            .await?
            > 0)
    }

    async fn members_by_phone(&self, phone: &Phone) -> Result<Vec<Member>, StoreError> {
        let lookup = rows::phone_lookup(&self.keys, phone);
        self.read(move |c| Ok(all::<MemberRow>(c, q::MEMBERS_BY_PHONE, &[&lookup])?))
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn insert_request(&self, r: &Request) -> Result<(), StoreError> {
        let v = rows::RequestValues::seal(&self.keys, r, None)?;
        self.write(move |c| insert_request(c, &v)).await
    }

    async fn create_request(
        &self,
        r: &Request,
        guard: &CreateGuard,
    ) -> Result<Created, StoreError> {
        let v = rows::RequestValues::seal(&self.keys, r, guard.idempotency.as_ref())?;
        let guard = guard.clone();
        let now = ms(r.requested_at);
        // One job on the single writer: nothing can interleave between the checks and the
        // insert.
        let outcome = self
            .write(move |c| {
                if let Some(idem) = &guard.idempotency {
                    let since = ms(idem.since);
                    if let Some(found) = one::<IdempotentRow>(
                        c,
                        q::IDEMPOTENT_REQUEST,
                        &[&v.client_code, &idem.key, &since],
                    )? {
                        if found.body_hash.as_deref() != Some(idem.body_hash.as_slice()) {
                            return Ok(Err(Created::KeyReused));
                        }
                        return Ok(Ok(Some(found.receipt_id)));
                    }
                }
                if guard.replay_only {
                    return Ok(Err(Created::SignatureReused));
                }
                if one::<ReceiptRow>(
                    c,
                    q::WAITING_FOR_PARTY,
                    &[
                        &v.member_id,
                        &v.client_code,
                        &RequestState::Waiting.code(),
                        &now,
                    ],
                )?
                .is_some()
                {
                    return Ok(Err(Created::InProgress));
                }
                if let Some((max, since)) = guard.per_person {
                    let recent =
                        one::<RecentRow>(c, q::RECENT_FOR_MEMBER, &[&v.member_id, &ms(since)])?
                            .ok_or_else(|| StoreError::Corrupt("count returned no row".into()))?;
                    if let Some(oldest) = recent.limited(max)? {
                        return Ok(Err(Created::RateLimited { oldest }));
                    }
                }
                insert_request(c, &v)?;
                Ok(Ok(None))
            })
            .await?;
        match outcome {
            Err(refused) => Ok(refused),
            Ok(None) => Ok(Created::Inserted),
            Ok(Some(receipt)) => {
                let id: ReceiptId = receipt
                    .parse()
                    .map_err(|_| StoreError::Corrupt("receipt id".into()))?;
                match self.request(&id).await? {
                    Some(r) => Ok(Created::Replayed(Box::new(r))),
                    None => Err(StoreError::Corrupt("replayed request vanished".into())),
                }
            }
        }
    }

    async fn request(&self, id: &ReceiptId) -> Result<Option<Request>, StoreError> {
        let id = id.to_string();
        self.read(move |c| Ok(one::<RequestRow>(c, q::REQUEST, &[&id])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn request_by_tx_id(&self, tx_id: &str) -> Result<Option<Request>, StoreError> {
        let tx = tx_id.to_owned();
        self.read(move |c| Ok(one::<RequestRow>(c, q::REQUEST_BY_TX, &[&tx])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_alias(&self, a: &Alias) -> Result<(), StoreError> {
        let v = (
            a.client_code.to_string(),
            a.sub_client_id.clone(),
            a.name.clone(),
            ms(a.created_at),
        );
        self.write(move |c| {
            execute(c, q::INSERT_ALIAS, &[&v.0, &v.1, &v.2, &v.3])
                .map_err(|e| conflict(e, "sub-client id"))?;
            Ok(())
        })
        .await
    }

    async fn alias_name(
        &self,
        code: &ClientCode,
        sub_client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let (code, id) = (code.to_string(), sub_client_id.to_owned());
        Ok(self
            .read(move |c| Ok(one::<NameRow>(c, q::ALIAS_NAME, &[&code, &id])?))
            .await?
            .map(|r| r.name))
    }

    async fn aliases(&self, code: &ClientCode) -> Result<Vec<Alias>, StoreError> {
        let code = code.to_string();
        self.read(move |c| Ok(all::<AliasRow>(c, q::ALIASES, &[&code])?))
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
        let (code, id) = (code.to_string(), sub_client_id.to_owned());
        self.write(move |c| Ok(execute(c, q::DELETE_ALIAS, &[&code, &id])? == 1))
            .await
    }

    async fn waiting_requests(
        &self,
        member: MemberId,
        now: OffsetDateTime,
    ) -> Result<Vec<WaitingRequest>, StoreError> {
        let (member, now) = (member.to_string(), ms(now));
        self.read(move |c| {
            Ok(all::<WaitingRow>(
                c,
                q::WAITING_REQUESTS,
                &[&member, &RequestState::Waiting.code(), &now],
            )?)
        })
        .await?
        .into_iter()
        .map(|w| w.into_domain(&self.keys))
        .collect()
    }

    async fn mark_viewed(&self, id: &ReceiptId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let (id, now) = (id.to_string(), ms(now));
        self.write(move |c| {
            Ok(execute(
                c,
                q::MARK_VIEWED,
                &[&now, &id, &RequestState::Waiting.code()],
            )? == 1)
        })
        .await
    }

    async fn mark_signed(
        &self,
        id: &ReceiptId,
        signed_data: &[Vec<u8>],
        signer_serial: &str,
        signer_ocsp: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let sealed = self
            .keys
            .seal(col::REQ_SIGNED, &rows::encode_signatures(signed_data))?;
        let (id, serial, now) = (id.to_string(), signer_serial.to_owned(), ms(now));
        let ocsp = signer_ocsp.to_vec();
        self.write(move |c| {
            let n = execute(
                c,
                q::MARK_SIGNED,
                &[
                    &RequestState::Signed.code(),
                    &now,
                    &sealed,
                    &serial,
                    &id,
                    &RequestState::Waiting.code(),
                    &ocsp,
                ],
            )?;
            Ok(n == 1)
        })
        .await
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
        let (id, code, now, after) = (
            id.to_string(),
            client_code.to_string(),
            ms(now),
            ms(signed_after),
        );
        self.write(move |c| {
            Ok(one::<RequestRow>(
                c,
                q::MARK_VERIFIED,
                &[
                    &now,
                    &id,
                    &code,
                    &RequestState::Signed.code(),
                    &after,
                    &kind.code(),
                ],
            )?)
        })
        .await?
        .map(|r| r.into_domain(&self.keys))
        .transpose()
    }

    async fn set_webhook(&self, w: &Webhook) -> Result<(), StoreError> {
        let v = (
            w.client_code.to_string(),
            w.url.clone(),
            self.keys.seal_str(col::WEBHOOK_SECRET, &w.secret)?,
            ms(w.updated_at),
        );
        self.write(move |c| {
            execute(c, q::UPSERT_WEBHOOK, &[&v.0, &v.1, &v.2, &v.3])?;
            Ok(())
        })
        .await
    }

    async fn webhook(&self, code: &ClientCode) -> Result<Option<Webhook>, StoreError> {
        let code = code.to_string();
        self.read(move |c| Ok(one::<WebhookRow>(c, q::WEBHOOK, &[&code])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn remove_webhook(
        &self,
        code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (code, now) = (code.to_string(), ms(now));
        self.write(move |c| {
            execute(
                c,
                q::ABANDON_DELIVERIES,
                &[
                    &DeliveryState::GivenUp.code(),
                    &now,
                    &"webhook removed",
                    &code,
                    &DeliveryState::Pending.code(),
                ],
            )?;
            Ok(execute(c, q::DELETE_WEBHOOK, &[&code])? == 1)
        })
        .await
    }

    async fn enqueue_delivery(&self, d: &NewDelivery) -> Result<Option<i64>, StoreError> {
        let v = (
            d.client_code.to_string(),
            d.receipt_id.clone(),
            d.event.clone(),
            d.body.clone(),
            ms(d.at),
        );
        self.write(move |c| {
            Ok(one::<IdRow>(
                c,
                q::INSERT_DELIVERY,
                &[&v.0, &v.1, &v.2, &v.3, &DeliveryState::Pending.code(), &v.4],
            )?
            .map(|r| r.id))
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let (now, until, limit) = (ms(now), ms(lease_until), i64::from(limit));
        self.write(move |c| {
            Ok(all::<DeliveryRow>(
                c,
                q::CLAIM_DELIVERIES,
                &[&until, &DeliveryState::Pending.code(), &now, &limit],
            )?)
        })
        .await?
        .into_iter()
        .map(DeliveryRow::into_domain)
        .collect()
    }

    async fn record_attempt(&self, a: &Attempt, after: AfterAttempt) -> Result<(), StoreError> {
        let v = AttemptValues::new(a, after);
        self.write(move |c| {
            execute(
                c,
                q::INSERT_ATTEMPT,
                &[
                    &v.delivery_id,
                    &v.attempt,
                    &v.at,
                    &v.url,
                    &v.status,
                    &v.error,
                    &v.duration_ms,
                ],
            )?;
            execute(
                c,
                q::UPDATE_DELIVERY,
                &[
                    &v.state,
                    &v.attempt,
                    &v.next_attempt_at,
                    &v.finished_at,
                    &v.status,
                    &v.error,
                    &v.delivery_id,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn deliveries(&self, code: &ClientCode, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let (code, limit) = (code.to_string(), i64::from(limit));
        self.read(move |c| Ok(all::<DeliveryRow>(c, q::DELIVERIES, &[&code, &limit])?))
            .await?
            .into_iter()
            .map(DeliveryRow::into_domain)
            .collect()
    }

    async fn attempts(&self, delivery_id: i64) -> Result<Vec<Attempt>, StoreError> {
        self.read(move |c| Ok(all::<AttemptRow>(c, q::ATTEMPTS, &[&delivery_id])?))
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
        let (now, limit) = (ms(now), i64::from(limit));
        self.write(move |c| {
            Ok(all::<RequestRow>(
                c,
                q::ANNOUNCE_EXPIRED,
                &[&now, &RequestState::Waiting.code(), &limit],
            )?)
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn insert_outbox(&self, m: &OutboxMessage) -> Result<(), StoreError> {
        let v = (
            m.channel.clone(),
            rows::phone_lookup(&self.keys, &m.recipient),
            self.keys
                .seal_str(col::OUTBOX_RECIPIENT, m.recipient.as_str())?,
            self.keys.seal_str(col::OUTBOX_BODY, &m.body)?,
            ms(m.created_at),
        );
        self.write(move |c| {
            execute(c, q::INSERT_OUTBOX, &[&v.0, &v.1, &v.2, &v.3, &v.4])?;
            Ok(())
        })
        .await
    }

    async fn outbox(
        &self,
        recipient: Option<&Phone>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let limit = i64::from(limit);
        let lookup = recipient.map(|p| rows::phone_lookup(&self.keys, p));
        self.read(move |c| {
            Ok(match &lookup {
                Some(l) => all::<OutboxRow>(c, q::OUTBOX_FOR, &[l, &limit])?,
                None => all::<OutboxRow>(c, q::OUTBOX_ALL, &[&limit])?,
            })
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn admin_password(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(|c| {
                Ok(one::<ValueRow>(
                    c,
                    q::ADMIN_SETTING,
                    &[&q::SETTING_ADMIN_PASSWORD],
                )?)
            })
            .await?
            .map(|r| r.value))
    }

    async fn set_admin_password(&self, phc: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        let (phc, now) = (phc.to_owned(), ms(now));
        self.write(move |c| {
            execute(
                c,
                q::UPSERT_ADMIN_SETTING,
                &[&q::SETTING_ADMIN_PASSWORD, &phc, &now],
            )?;
            execute(c, q::DELETE_ADMIN_SESSIONS, &[])?;
            Ok(())
        })
        .await
    }

    async fn init_admin_password(
        &self,
        phc: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (phc, now) = (phc.to_owned(), ms(now));
        self.write(move |c| {
            Ok(execute(
                c,
                q::INIT_ADMIN_SETTING,
                &[&q::SETTING_ADMIN_PASSWORD, &phc, &now],
            )? == 1)
        })
        .await
    }

    async fn insert_admin_session(
        &self,
        s: &AdminSession,
        idle_since: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let v = (
            s.token_hash.clone(),
            ms(s.created_at),
            ms(s.last_seen_at),
            ms(s.expires_at),
            ms(idle_since),
            s.operator_id,
            i64::from(s.pending_totp),
        );
        self.write(move |c| {
            execute(c, q::PURGE_ADMIN_SESSIONS, &[&v.1, &v.4])?;
            execute(
                c,
                q::INSERT_ADMIN_SESSION,
                &[&v.0, &v.1, &v.2, &v.3, &v.5, &v.6],
            )
            .map_err(|e| conflict(e, "admin session"))?;
            Ok(())
        })
        .await
    }

    async fn touch_admin_session(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
        idle_since: OffsetDateTime,
    ) -> Result<Option<AdminSession>, StoreError> {
        let (hash, now, idle) = (token_hash.to_vec(), ms(now), ms(idle_since));
        self.write(move |c| {
            Ok(one::<AdminSessionRow>(
                c,
                q::TOUCH_ADMIN_SESSION,
                &[&now, &hash, &idle],
            )?)
        })
        .await?
        .map(AdminSessionRow::into_domain)
        .transpose()
    }

    async fn delete_admin_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let hash = token_hash.to_vec();
        self.write(move |c| Ok(execute(c, q::DELETE_ADMIN_SESSION, &[&hash])? == 1))
            .await
    }

    async fn record_admin_login_failure(
        &self,
        source: &[u8],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (source, at, before) = (source.to_vec(), ms(at), ms(forget_before));
        self.write(move |c| {
            execute(c, q::PURGE_ADMIN_LOGIN_FAILURES, &[&before])?;
            execute(c, q::INSERT_ADMIN_LOGIN_FAILURE, &[&source, &at])?;
            Ok(())
        })
        .await
    }

    async fn admin_login_failures_since(
        &self,
        source: &[u8],
        since: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let (source, since) = (source.to_vec(), ms(since));
        let n = self
            .read(move |c| Ok(count(c, q::ADMIN_LOGIN_FAILURES_SINCE, &[&source, &since])?))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn insert_operator(
        &self,
        op: &NewOperator,
        now: OffsetDateTime,
    ) -> Result<OperatorRecord, StoreError> {
        let v = (
            op.login.clone(),
            op.display_name.clone(),
            op.role.as_str(),
            op.password_hash.clone(),
            ms(now),
        );
        let id = self
            .write(move |c| {
                let row = one::<IdRow>(c, q::INSERT_OPERATOR, &[&v.0, &v.1, &v.2, &v.3, &v.4])
                    .map_err(|e| conflict(e, "operator"))?;
                row.map(|r| r.id)
                    .ok_or_else(|| StoreError::Corrupt("operator insert returned no id".into()))
            })
            .await?;
        self.operator(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("operator vanished".into()))
    }

    async fn operator(&self, id: i64) -> Result<Option<OperatorRecord>, StoreError> {
        self.read(move |c| Ok(one::<OperatorRow>(c, q::OPERATOR_BY_ID, &[&id])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn operator_by_login(&self, login: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let login = login.to_owned();
        self.read(move |c| Ok(one::<OperatorRow>(c, q::OPERATOR_BY_LOGIN, &[&login])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        self.read(|c| Ok(all::<OperatorRow>(c, q::OPERATORS, &[])?))
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
        let (role, now) = (role.as_str(), ms(now));
        self.write(move |c| Ok(execute(c, q::SET_OPERATOR_ROLE, &[&role, &now, &id])? == 1))
            .await
    }

    async fn set_operator_password(
        &self,
        id: i64,
        phc: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (phc, now) = (phc.to_owned(), ms(now));
        self.write(move |c| {
            let n = execute(c, q::SET_OPERATOR_PASSWORD, &[&phc, &now, &id])?;
            execute(c, q::DELETE_OPERATOR_SESSIONS, &[&id])?;
            Ok(n == 1)
        })
        .await
    }

    async fn set_operator_disabled(
        &self,
        id: i64,
        disabled: bool,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let now = ms(now);
        self.write(move |c| {
            if disabled {
                let n = execute(c, q::DISABLE_OPERATOR, &[&now, &id])?;
                execute(c, q::DELETE_OPERATOR_SESSIONS, &[&id])?;
                Ok(n == 1)
            } else {
                Ok(execute(c, q::ENABLE_OPERATOR, &[&now, &id])? == 1)
            }
        })
        .await
    }

    async fn set_operator_totp(
        &self,
        id: i64,
        secret: Option<&[u8]>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let sealed = rows::seal_totp(&self.keys, secret)?;
        let clear = sealed.is_none();
        let now = ms(now);
        self.write(move |c| {
            let n = execute(c, q::SET_OPERATOR_TOTP, &[&sealed, &now, &id])?;
            if clear {
                execute(c, q::DELETE_OPERATOR_SESSIONS, &[&id])?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn use_operator_totp_step(
        &self,
        id: i64,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let now = ms(now);
        self.write(move |c| Ok(execute(c, q::USE_OPERATOR_TOTP_STEP, &[&step, &now, &id])? == 1))
            .await
    }

    async fn complete_admin_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let hash = token_hash.to_vec();
        self.write(move |c| Ok(execute(c, q::COMPLETE_ADMIN_SESSION, &[&hash])? == 1))
            .await
    }

    async fn append_audit(&self, e: &AuditEntry) -> Result<i64, StoreError> {
        let e = e.clone();
        self.write(move |c| {
            one::<IdRow>(
                c,
                q::INSERT_AUDIT,
                &[
                    &ms(e.at),
                    &e.operator_id,
                    &e.operator_login,
                    &e.role,
                    &e.source,
                    &e.action,
                    &e.target,
                    &e.before,
                    &e.after,
                    &e.outcome,
                ],
            )?
            .map(|r| r.id)
            .ok_or_else(|| StoreError::Corrupt("audit insert returned no id".into()))
        })
        .await
    }

    async fn audit_log(
        &self,
        filter: &AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let p = rows::audit_params(filter);
        let (offset, limit) = (i64::from(offset), i64::from(limit));
        self.read(move |c| {
            Ok(all::<AuditRow>(
                c,
                q::AUDIT_LOG,
                &[&p.0, &p.1, &p.2, &p.3, &limit, &offset],
            )?)
        })
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
        let (hash, expires_at) = (hash.to_vec(), ms(expires_at));
        self.write(move |c| {
            Ok(execute(c, q::REMEMBER_REQUEST_SIGNATURE, &[&hash, &expires_at])? == 1)
        })
        .await
    }

    async fn purge_request_signatures(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let now = ms(now);
        let n = self
            .write(move |c| Ok(execute(c, q::PURGE_REQUEST_SIGNATURES, &[&now])?))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn record_failure(
        &self,
        scope: &str,
        subject: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (scope, subject, at) = (scope.to_owned(), subject.to_vec(), ms(at));
        self.write(move |c| {
            execute(c, q::RECORD_FAILURE, &[&scope, &subject, &at])?;
            Ok(())
        })
        .await
    }

    async fn failures(
        &self,
        scope: &str,
        subject: Option<&[u8]>,
        since: OffsetDateTime,
    ) -> Result<Failures, StoreError> {
        let (scope, subject, since) = (scope.to_owned(), subject.map(<[u8]>::to_vec), ms(since));
        let (n, first, last): (i64, i64, i64) = self
            .read(move |c| {
                let mut st = match &subject {
                    Some(s) => bound(c, q::FAILURES_OF, &[&scope, s, &since])?,
                    None => bound(c, q::FAILURES_IN_SCOPE, &[&scope, &since])?,
                };
                Ok(st.raw_query().next()?.map_or(Ok((0, 0, 0)), |r| {
                    Ok::<_, rusqlite::Error>((r.get(0)?, r.get(1)?, r.get(2)?))
                })?)
            })
            .await?;
        Failures::from_row(n, first, last)
    }

    async fn purge_failures(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let before = ms(before);
        let n = self
            .write(move |c| Ok(execute(c, q::PURGE_FAILURES, &[&before])?))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn put_device_biometric(
        &self,
        device: DeviceId,
        credential_id: &[u8],
        public_key: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (device, id, key, now) = (
            device.to_string(),
            credential_id.to_vec(),
            public_key.to_vec(),
            ms(now),
        );
        self.write(move |c| {
            execute(c, q::PUT_DEVICE_BIOMETRIC, &[&device, &id, &key, &now])?;
            Ok(())
        })
        .await
    }

    async fn device_biometric(
        &self,
        device: DeviceId,
    ) -> Result<Option<DeviceBiometric>, StoreError> {
        let device = device.to_string();
        self.read(move |c| {
            Ok(one::<rows::DeviceBiometricRow>(
                c,
                q::DEVICE_BIOMETRIC,
                &[&device],
            )?)
        })
        .await?
        .map(rows::DeviceBiometricRow::into_domain)
        .transpose()
    }

    async fn delete_device_biometric(&self, device: DeviceId) -> Result<bool, StoreError> {
        let device = device.to_string();
        self.write(move |c| Ok(execute(c, q::DELETE_DEVICE_BIOMETRIC, &[&device])? == 1))
            .await
    }

    async fn set_biometric_sign_count(
        &self,
        device: DeviceId,
        count: u32,
    ) -> Result<(), StoreError> {
        let (device, count) = (device.to_string(), i64::from(count));
        self.write(move |c| {
            execute(c, q::SET_BIOMETRIC_SIGN_COUNT, &[&count, &device])?;
            Ok(())
        })
        .await
    }

    async fn insert_biometric_challenge(
        &self,
        challenge: &[u8],
        device: DeviceId,
        expires_at: OffsetDateTime,
        purge_before: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (challenge, device, expires_at, purge_before) = (
            challenge.to_vec(),
            device.to_string(),
            ms(expires_at),
            ms(purge_before),
        );
        self.write(move |c| {
            execute(c, q::PURGE_BIOMETRIC_CHALLENGES, &[&purge_before])?;
            execute(
                c,
                q::INSERT_BIOMETRIC_CHALLENGE,
                &[&challenge, &device, &expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn biometric_challenge(
        &self,
        challenge: &[u8],
    ) -> Result<Option<BiometricChallenge>, StoreError> {
        let challenge = challenge.to_vec();
        self.read(move |c| {
            Ok(one::<rows::BiometricChallengeRow>(
                c,
                q::BIOMETRIC_CHALLENGE,
                &[&challenge],
            )?)
        })
        .await?
        .map(rows::BiometricChallengeRow::into_domain)
        .transpose()
    }

    async fn use_biometric_challenge(
        &self,
        challenge: &[u8],
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (challenge, at) = (challenge.to_vec(), ms(at));
        self.write(move |c| Ok(execute(c, q::USE_BIOMETRIC_CHALLENGE, &[&at, &challenge])? == 1))
            .await
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
        let (i, device, kind, now) = (id.clone(), device.to_string(), kind.to_owned(), ms(now));
        self.write(move |c| {
            execute(
                c,
                q::PUT_PUSH_SUBSCRIPTION,
                &[&i, &device, &kind, &sealed, &now],
            )?;
            Ok(())
        })
        .await?;
        Ok(id)
    }

    async fn delete_device_push_subscriptions(&self, device: DeviceId) -> Result<u64, StoreError> {
        let device = device.to_string();
        let n = self
            .write(move |c| Ok(execute(c, q::DELETE_DEVICE_PUSH_SUBSCRIPTIONS, &[&device])?))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn delete_push_subscription(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |c| Ok(execute(c, q::DELETE_PUSH_SUBSCRIPTION, &[&id])? == 1))
            .await
    }

    async fn member_push_subscriptions(
        &self,
        member: MemberId,
    ) -> Result<Vec<PushSubscription>, StoreError> {
        let member = member.to_string();
        self.read(move |c| {
            Ok(all::<PushSubscriptionRow>(
                c,
                q::MEMBER_PUSH_SUBSCRIPTIONS,
                &[&member],
            )?)
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn device_push_subscriptions(
        &self,
        device: DeviceId,
    ) -> Result<Vec<PushSubscription>, StoreError> {
        let device = device.to_string();
        self.read(move |c| {
            Ok(all::<PushSubscriptionRow>(
                c,
                q::DEVICE_PUSH_SUBSCRIPTIONS,
                &[&device],
            )?)
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn push_back_off(&self, id: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        let (id, until) = (id.to_owned(), ms(until));
        self.write(move |c| {
            execute(c, q::PUSH_BACK_OFF, &[&id, &until])?;
            Ok(())
        })
        .await
    }

    async fn push_failed(&self, id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let (id, at) = (id.to_owned(), ms(at));
        self.write(move |c| {
            execute(c, q::PUSH_FAILED, &[&id, &at])?;
            Ok(())
        })
        .await
    }

    async fn push_delivered(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            execute(c, q::PUSH_DELIVERED, &[&id])?;
            Ok(())
        })
        .await
    }

    async fn rotate_relying_party_secret(
        &self,
        code: &ClientCode,
        secret: &dojang_core::SecretKey,
    ) -> Result<bool, StoreError> {
        let sealed = self.keys.seal(col::RP_SECRET, secret.as_bytes())?;
        let code = code.to_string();
        self.write(move |c| Ok(execute(c, q::ROTATE_RP_SECRET, &[&sealed, &code])? == 1))
            .await
    }

    async fn set_relying_party_call_center(
        &self,
        code: &ClientCode,
        call_center_num: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (num, code) = (call_center_num.map(str::to_owned), code.to_string());
        self.write(move |c| Ok(execute(c, q::SET_RP_CALL_CENTER, &[&num, &code])? == 1))
            .await
    }

    async fn devices_of(&self, member: MemberId) -> Result<Vec<Device>, StoreError> {
        let id = member.to_string();
        self.read(move |c| Ok(all::<DeviceRow>(c, q::DEVICES_OF_MEMBER, &[&id])?))
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
        let (f, now, limit) = (filter.code(), ms(now), i64::from(limit));
        self.read(move |c| {
            Ok(all::<CertificateRow>(
                c,
                q::CERTIFICATES_IN_STATE,
                &[&f, &now, &limit],
            )?)
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn member_and_certificate_counts(
        &self,
        now: OffsetDateTime,
    ) -> Result<(u64, u64), StoreError> {
        let now = ms(now);
        let (m, a) = self
            .read(move |c| {
                Ok((
                    count(c, q::COUNT_MEMBERS, &[])?,
                    count(c, q::COUNT_ACTIVE_CERTIFICATES, &[&now])?,
                ))
            })
            .await?;
        Ok((u64::try_from(m).unwrap_or(0), u64::try_from(a).unwrap_or(0)))
    }

    async fn requests_per_day(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<DayCount>, StoreError> {
        let (since, now) = (ms(since), ms(now));
        self.read(move |c| Ok(all::<DayCountRow>(c, q::REQUESTS_PER_DAY, &[&since, &now])?))
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
        let state = filter.state.map_or(-1, RequestState::code);
        let (now, limit) = (ms(now), i64::from(limit));
        self.read(move |c| {
            Ok(all::<RequestRow>(
                c,
                q::RECENT_REQUESTS,
                &[&code, &state, &now, &limit],
            )?)
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn deliveries_of_receipt(&self, receipt_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let id = receipt_id.to_owned();
        self.read(move |c| Ok(all::<DeliveryRow>(c, q::DELIVERIES_OF_RECEIPT, &[&id])?))
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
        let (code, url, now) = (code.to_string(), url.map(str::to_owned), ms(now));
        self.write(move |c| {
            match url {
                Some(u) => execute(c, q::UPSERT_LOGIN_RETURN_URL, &[&code, &u, &now])?,
                None => execute(c, q::DELETE_LOGIN_RETURN_URL, &[&code])?,
            };
            Ok(())
        })
        .await
    }

    async fn login_return_url(&self, code: &ClientCode) -> Result<Option<String>, StoreError> {
        let code = code.to_string();
        Ok(self
            .read(move |c| Ok(one::<NameRow>(c, q::LOGIN_RETURN_URL, &[&code])?))
            .await?
            .map(|r| r.name))
    }

    async fn set_login_texts(&self, t: &LoginTexts) -> Result<(), StoreError> {
        let code = t.client_code.to_string();
        let lang = t.lang.clone();
        if t.is_empty() {
            self.write(move |c| {
                execute(c, q::DELETE_LOGIN_TEXTS, &[&code, &lang])?;
                Ok(())
            })
            .await
        } else {
            let f = (
                t.recipient.clone(),
                t.purpose.clone(),
                t.items.clone(),
                t.retention.clone(),
                t.help.clone(),
                t.support.clone(),
                ms(t.updated_at),
            );
            self.write(move |c| {
                execute(
                    c,
                    q::UPSERT_LOGIN_TEXTS,
                    &[&code, &lang, &f.0, &f.1, &f.2, &f.3, &f.4, &f.5, &f.6],
                )?;
                Ok(())
            })
            .await
        }
    }

    async fn clear_login_texts(
        &self,
        code: &ClientCode,
        lang: Option<&str>,
    ) -> Result<u64, StoreError> {
        let (code, lang) = (code.to_string(), lang.unwrap_or("").to_owned());
        let n = self
            .write(move |c| Ok(execute(c, q::DELETE_LOGIN_TEXTS, &[&code, &lang])?))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn login_texts(&self, code: &ClientCode) -> Result<Vec<LoginTexts>, StoreError> {
        let code = code.to_string();
        self.read(move |c| Ok(all::<LoginTextsRow>(c, q::LOGIN_TEXTS, &[&code])?))
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
        let s = (
            session.id.clone(),
            session.client_code.to_string(),
            session.state.clone(),
            session.receipt_id.clone(),
            session.consent_id.clone(),
            ms(session.created_at),
            ms(session.expire_at),
        );
        // One job on the single writer: the consent and the session are written together.
        self.write(move |c| {
            execute(
                c,
                q::INSERT_CONSENT,
                &[
                    &v.id,
                    &v.client_code,
                    &v.receipt_id,
                    &v.phone_lookup,
                    &v.name_enc,
                    &v.phone_enc,
                    &v.birthday_enc,
                    &v.notice_version,
                    &v.notice_sha256,
                    &v.lang,
                    &v.accepted_at,
                ],
            )?;
            execute(
                c,
                q::INSERT_LOGIN_SESSION,
                &[&s.0, &s.1, &s.2, &s.3, &s.4, &s.5, &s.6],
            )?;
            Ok(())
        })
        .await
    }

    async fn login_session(&self, id: &str) -> Result<Option<LoginSession>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| Ok(one::<rows::LoginSessionRow>(c, q::LOGIN_SESSION, &[&id])?))
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
        let (id, hash, exp) = (id.to_owned(), code_hash.to_vec(), ms(expires));
        self.write(move |c| Ok(execute(c, q::ISSUE_LOGIN_CODE, &[&hash, &exp, &id])? == 1))
            .await
    }

    async fn exchange_login_code(
        &self,
        code_hash: &[u8],
        code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<Option<LoginSession>, StoreError> {
        let (hash, code, now) = (code_hash.to_vec(), code.to_string(), ms(now));
        self.write(move |c| {
            Ok(one::<rows::LoginSessionRow>(
                c,
                q::EXCHANGE_LOGIN_CODE,
                &[&now, &hash, &code],
            )?)
        })
        .await?
        .map(rows::LoginSessionRow::into_domain)
        .transpose()
    }

    async fn consent(&self, id: &str) -> Result<Option<Consent>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| Ok(one::<rows::ConsentRow>(c, q::CONSENT, &[&id])?))
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
        let code = code.map(ToString::to_string);
        let lookup = phone.map(|p| rows::phone_lookup(&self.keys, p));
        let limit = i64::from(limit);
        self.read(move |c| {
            Ok(all::<rows::ConsentRow>(
                c,
                q::CONSENTS,
                &[&code, &lookup, &limit],
            )?)
        })
        .await?
        .into_iter()
        .map(|r| r.into_domain(&self.keys))
        .collect()
    }

    async fn cloud_device(&self, device: DeviceId) -> Result<Option<CloudDevice>, StoreError> {
        let id = device.to_string();
        self.read(move |c| Ok(one::<rows::CloudDeviceRow>(c, q::CLOUD_DEVICE, &[&id])?))
            .await?
            .map(rows::CloudDeviceRow::into_domain)
            .transpose()
    }

    async fn active_cloud_device(&self, member: MemberId) -> Result<Option<Device>, StoreError> {
        let id = member.to_string();
        self.read(move |c| Ok(one::<DeviceRow>(c, q::ACTIVE_CLOUD_DEVICE, &[&id])?))
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
        let (id, now, max) = (device.to_string(), ms(now), i64::from(max));
        let row = self
            .write(move |c| {
                Ok(one::<rows::CloudPinRow>(
                    c,
                    q::CLOUD_PIN_FAILED,
                    &[&now, &max, &id],
                )?)
            })
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
        let (id, now) = (device.to_string(), ms(now));
        self.write(move |c| Ok(execute(c, q::CLOUD_PIN_SUCCEEDED, &[&now, &id])? == 1))
            .await
    }

    async fn change_cloud_pin(
        &self,
        device: DeviceId,
        pin_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (id, now, hash) = (device.to_string(), ms(now), pin_hash.to_owned());
        self.write(move |c| Ok(execute(c, q::CHANGE_CLOUD_PIN, &[&hash, &now, &id])? == 1))
            .await
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
        let (proof, hash, now, max) = (
            proof.to_string(),
            pin_hash.to_owned(),
            ms(now),
            i64::from(max_browsers),
        );
        self.write(move |c| {
            let added = close_and_add_browser(c, &proof, &b, max, now)?;
            if added == BrowserAdded::Added {
                execute(c, q::RESET_CLOUD_PIN, &[&hash, &now, &b.device_id])?;
            }
            Ok(added)
        })
        .await
    }

    async fn add_cloud_browser(
        &self,
        proof: EnrolmentId,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError> {
        let b = rows::CloudBrowserValues::of(browser);
        let (proof, now, max) = (proof.to_string(), ms(now), i64::from(max_browsers));
        self.write(move |c| close_and_add_browser(c, &proof, &b, max, now))
            .await
    }

    async fn cloud_browser(&self, id: &str) -> Result<Option<CloudBrowser>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| Ok(one::<rows::CloudBrowserRow>(c, q::CLOUD_BROWSER, &[&id])?))
            .await?
            .map(rows::CloudBrowserRow::into_domain)
            .transpose()
    }

    async fn cloud_browsers(&self, device: DeviceId) -> Result<Vec<CloudBrowser>, StoreError> {
        let id = device.to_string();
        self.read(move |c| Ok(all::<rows::CloudBrowserRow>(c, q::CLOUD_BROWSERS, &[&id])?))
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
        let (device, id, now) = (device.to_string(), id.to_owned(), ms(now));
        self.write(move |c| Ok(execute(c, q::REMOVE_CLOUD_BROWSER, &[&now, &id, &device])? == 1))
            .await
    }

    async fn insert_cloud_challenge(
        &self,
        challenge: &str,
        browser_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (ch, b, exp) = (challenge.to_owned(), browser_id.to_owned(), ms(expires_at));
        let old = ms(now - std::time::Duration::from_secs(3600));
        self.write(move |c| {
            execute(c, q::PURGE_CLOUD_CHALLENGES, &[&old])?;
            execute(c, q::INSERT_CLOUD_CHALLENGE, &[&ch, &b, &exp])
                .map_err(|e| conflict(e, "challenge"))?;
            Ok(())
        })
        .await
    }

    async fn use_cloud_challenge(
        &self,
        challenge: &str,
        browser_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (ch, b, now) = (challenge.to_owned(), browser_id.to_owned(), ms(now));
        self.write(move |c| {
            if execute(c, q::USE_CLOUD_CHALLENGE, &[&now, &ch, &b])? != 1 {
                return Ok(false);
            }
            execute(c, q::TOUCH_CLOUD_BROWSER, &[&now, &b])?;
            Ok(true)
        })
        .await
    }

    async fn append_cloud_use(&self, u: &CloudUse) -> Result<(), StoreError> {
        let v = rows::CloudUseValues::seal(&self.keys, u)?;
        self.write(move |c| {
            execute(
                c,
                q::INSERT_CLOUD_USE,
                &[
                    &v.device_id,
                    &v.browser_id,
                    &v.at,
                    &v.action,
                    &v.client_code,
                    &v.receipt_id,
                    &v.digest,
                    &v.address_enc,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn cloud_uses(&self, device: DeviceId, limit: u32) -> Result<Vec<CloudUse>, StoreError> {
        let (id, limit) = (device.to_string(), i64::from(limit));
        self.read(move |c| Ok(all::<rows::CloudUseRow>(c, q::CLOUD_USES, &[&id, &limit])?))
            .await?
            .into_iter()
            .map(|r| r.into_domain(&self.keys))
            .collect()
    }

    async fn insert_cloud_code(&self, code: &CloudCode) -> Result<(), StoreError> {
        let (hash, client, kind, receipt, device, serial, created, expires) = (
            code.code_hash.clone(),
            code.client_code.to_string(),
            code.kind.clone(),
            code.receipt_id.clone(),
            code.device_id.map(|d| d.to_string()),
            code.serial.clone(),
            ms(code.created_at),
            ms(code.expires_at),
        );
        self.write(move |c| {
            execute(
                c,
                q::INSERT_CLOUD_CODE,
                &[
                    &hash, &client, &kind, &receipt, &device, &serial, &created, &expires,
                ],
            )
            .map_err(|e| conflict(e, "code"))?;
            Ok(())
        })
        .await
    }

    async fn exchange_cloud_code(
        &self,
        code_hash: &[u8],
        client_code: &ClientCode,
        now: OffsetDateTime,
    ) -> Result<Option<CloudCode>, StoreError> {
        let (hash, client, now) = (code_hash.to_vec(), client_code.to_string(), ms(now));
        self.write(move |c| {
            Ok(one::<rows::CloudCodeRow>(
                c,
                q::EXCHANGE_CLOUD_CODE,
                &[&now, &hash, &client],
            )?)
        })
        .await?
        .map(rows::CloudCodeRow::into_domain)
        .transpose()
    }

    async fn insert_cloud_alt(&self, a: &CloudAlt) -> Result<(), StoreError> {
        let v = rows::CloudAltValues::seal(&self.keys, a)?;
        self.write(move |c| {
            execute(
                c,
                q::INSERT_CLOUD_ALT,
                &[
                    &v.tx_id,
                    &v.client_code,
                    &v.permission_hash,
                    &v.name_enc,
                    &v.phone_enc,
                    &v.birthday_enc,
                    &v.created_at,
                    &v.expires_at,
                ],
            )
            .map_err(|e| conflict(e, "tx id"))?;
            Ok(())
        })
        .await
    }

    async fn cloud_alt(&self, tx_id: &str) -> Result<Option<CloudAlt>, StoreError> {
        let id = tx_id.to_owned();
        self.read(move |c| Ok(one::<rows::CloudAltRow>(c, q::CLOUD_ALT, &[&id])?))
            .await?
            .map(|r| r.into_domain(&self.keys))
            .transpose()
    }

    async fn insert_cloud_ask(&self, a: &CloudAsk, person_lookup: &[u8]) -> Result<(), StoreError> {
        let (a, lookup) = (a.clone(), person_lookup.to_vec());
        self.write(move |c| {
            execute(
                c,
                q::INSERT_CLOUD_ASK,
                &[
                    &a.id,
                    &a.device_id.map(|d| d.to_string()),
                    &a.spki,
                    &a.label,
                    &i64::from(a.number),
                    &ms(a.created_at),
                    &ms(a.expires_at),
                    &lookup,
                ],
            )
            .map_err(|e| conflict(e, "ask id"))?;
            Ok(())
        })
        .await
    }

    async fn cloud_ask(&self, id: &str) -> Result<Option<CloudAsk>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| Ok(one::<rows::CloudAskRow>(c, q::CLOUD_ASK, &[&id])?))
            .await?
            .map(rows::CloudAskRow::into_domain)
            .transpose()
    }

    async fn open_cloud_asks(
        &self,
        device: DeviceId,
        now: OffsetDateTime,
    ) -> Result<Vec<CloudAsk>, StoreError> {
        let (id, now) = (device.to_string(), ms(now));
        self.read(move |c| {
            Ok(all::<rows::CloudAskRow>(
                c,
                q::OPEN_CLOUD_ASKS,
                &[&id, &now],
            )?)
        })
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
        let (lookup, now) = (person_lookup.to_vec(), ms(now));
        let n = self
            .read(move |c| Ok(count(c, q::OPEN_CLOUD_ASKS_FOR_PERSON, &[&lookup, &now])?))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn decline_cloud_ask(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let (id, now) = (id.to_owned(), ms(now));
        self.write(move |c| Ok(execute(c, q::DECLINE_CLOUD_ASK, &[&now, &id])? == 1))
            .await
    }

    async fn approve_cloud_ask(
        &self,
        browser: &CloudBrowser,
        max_browsers: u32,
        now: OffsetDateTime,
    ) -> Result<BrowserAdded, StoreError> {
        let b = rows::CloudBrowserValues::of(browser);
        let (now, max) = (ms(now), i64::from(max_browsers));
        self.write(move |c| {
            close_with_and_add_browser(c, q::APPROVE_CLOUD_ASK, &b.id, &b, max, now)
        })
        .await
    }

    async fn insert_cloud_proof(&self, id: EnrolmentId, purpose: &str) -> Result<(), StoreError> {
        let (id, purpose) = (id.to_string(), purpose.to_owned());
        self.write(move |c| {
            execute(c, q::INSERT_CLOUD_PROOF, &[&id, &purpose])
                .map_err(|e| conflict(e, "proof"))?;
            Ok(())
        })
        .await
    }

    async fn cloud_proof(&self, id: EnrolmentId) -> Result<Option<String>, StoreError> {
        let id = id.to_string();
        Ok(self
            .read(move |c| Ok(one::<rows::ValueRow>(c, q::CLOUD_PROOF, &[&id])?))
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
        let der = self.keys.seal(rows::col::CERT_DER, &new.der)?;
        let (old, now, label) = (old.to_owned(), ms(now), key_label.to_owned());
        let (serial, member, device) = (
            new.serial.clone(),
            new.member_id.to_string(),
            new.device_id.to_string(),
        );
        let (not_before, not_after) = (ms(new.not_before), ms(new.not_after));
        let proof = new.proof.as_str();
        self.write(move |c| {
            if execute(c, q::SUPERSEDE_CERTIFICATE, &[&now, &old])? != 1 {
                return Ok(false);
            }
            execute(
                c,
                q::INSERT_CERTIFICATE,
                &[
                    &serial,
                    &member,
                    &device,
                    &der,
                    &not_before,
                    &not_after,
                    &now,
                    &proof,
                ],
            )
            .map_err(|e| conflict(e, "certificate serial"))?;
            execute(c, q::SET_CLOUD_KEY_LABEL, &[&label, &now, &device])?;
            Ok(true)
        })
        .await
    }

    async fn set_cloud_party(&self, p: &CloudParty) -> Result<CloudParty, StoreError> {
        let v = rows::CloudPartyValues::of(p)?;
        self.write(move |c| {
            execute(
                c,
                q::SET_CLOUD_PARTY,
                &[
                    &v.client_code,
                    &v.publishable_key,
                    &v.origins,
                    &v.stylesheets,
                    &v.updated_at,
                ],
            )
            .map_err(|e| conflict(e, "publishable key"))?;
            Ok(one::<rows::CloudPartyRow>(
                c,
                q::CLOUD_PARTY,
                &[&v.client_code],
            )?)
        })
        .await?
        .ok_or_else(|| StoreError::Corrupt("cloud party vanished".into()))?
        .into_domain()
    }

    async fn cloud_party(&self, code: &ClientCode) -> Result<Option<CloudParty>, StoreError> {
        let code = code.to_string();
        self.read(move |c| Ok(one::<rows::CloudPartyRow>(c, q::CLOUD_PARTY, &[&code])?))
            .await?
            .map(rows::CloudPartyRow::into_domain)
            .transpose()
    }

    async fn cloud_party_by_key(&self, key: &str) -> Result<Option<CloudParty>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| {
            Ok(one::<rows::CloudPartyRow>(
                c,
                q::CLOUD_PARTY_BY_KEY,
                &[&key],
            )?)
        })
        .await?
        .map(rows::CloudPartyRow::into_domain)
        .transpose()
    }

    async fn remove_cloud_party(&self, code: &ClientCode) -> Result<bool, StoreError> {
        let code = code.to_string();
        self.write(move |c| Ok(execute(c, q::REMOVE_CLOUD_PARTY, &[&code])? == 1))
            .await
    }
}
