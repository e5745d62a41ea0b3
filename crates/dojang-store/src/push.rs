//! Push subscriptions as the store keeps them (issue 16, schema v17): one per device and kind,
//! the target sealed. The server's `service::push` decides what to send and what to do with the
//! answer; this module only names the records.

use dojang_core::DeviceId;
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys::DataKeys;
use crate::rows::{FromSqlite, col, from_ms};

/// A device's push subscription.
#[derive(Clone, PartialEq, Eq)]
pub struct PushSubscription {
    /// Its id (new whenever the device registers again).
    pub id: String,
    /// The device it reaches.
    pub device_id: DeviceId,
    /// `webpush`, `fcm` or `apns`.
    pub kind: String,
    /// The target as the server wrote it (JSON), opened.
    pub target: Vec<u8>,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// Nothing is sent before this (the service's `Retry-After` after a 429).
    pub retry_after: Option<OffsetDateTime>,
    /// Failed deliveries since the last success.
    pub failures: u64,
}

impl std::fmt::Debug for PushSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSubscription")
            .field("id", &self.id)
            .field("device_id", &self.device_id)
            .field("kind", &self.kind)
            .field("target", &"***")
            .field("retry_after", &self.retry_after)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PushSubscriptionRow {
    pub id: String,
    pub device_id: String,
    pub kind: String,
    pub target_enc: Vec<u8>,
    pub created_at: i64,
    pub retry_after: Option<i64>,
    pub failures: i64,
}

impl FromSqlite for PushSubscriptionRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            device_id: r.get("device_id")?,
            kind: r.get("kind")?,
            target_enc: r.get("target_enc")?,
            created_at: r.get("created_at")?,
            retry_after: r.get("retry_after")?,
            failures: r.get("failures")?,
        })
    }
}

impl PushSubscriptionRow {
    pub fn into_domain(self, keys: &DataKeys) -> Result<PushSubscription, StoreError> {
        Ok(PushSubscription {
            target: keys.open(col::PUSH_TARGET, &self.target_enc)?,
            device_id: self
                .device_id
                .parse()
                .map_err(|_| StoreError::Corrupt("push subscription device id".into()))?,
            id: self.id,
            kind: self.kind,
            created_at: from_ms(self.created_at)?,
            retry_after: self.retry_after.map(from_ms).transpose()?,
            failures: u64::try_from(self.failures).unwrap_or(0),
        })
    }
}

/// A new subscription id: 16 random bytes, hex.
pub(crate) fn new_id() -> String {
    use rand::RngExt as _;
    rand::rng()
        .random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
