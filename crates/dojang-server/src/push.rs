//! Push to connected devices: a map from member to the WebSocket connections of that member's
//! devices. A request is serialised once and handed to every connection as shared bytes.
//!
//! Delivery is best effort by design: a full or closed connection just misses the message, and
//! the app fetches the pending list whenever it (re)connects or opens, so nothing is lost.
//!
//! This hub reaches devices connected to *this* process. Several instances on one PostgreSQL
//! will publish through the database (LISTEN/NOTIFY) into each instance's hub; `publish` is the
//! seam where that fan-out plugs in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::Utf8Bytes;
use dojang_core::{DeviceId, MemberId};
use dojang_proto::device::PushMessage;
use tokio::sync::mpsc;

/// Messages buffered per connection before new ones are dropped.
const QUEUE: usize = 32;

/// What a connection's task receives.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// A JSON text frame to send.
    Frame(Utf8Bytes),
    /// The device was superseded or revoked: close the connection.
    Close,
}

#[derive(Debug)]
struct Subscriber {
    id: u64,
    device: DeviceId,
    tx: mpsc::Sender<Delivery>,
}

/// The registry of live push connections.
#[derive(Debug, Default)]
pub struct PushHub {
    members: Mutex<HashMap<MemberId, Vec<Subscriber>>>,
    next_id: AtomicU64,
}

/// Removes its connection from the hub when dropped.
#[derive(Debug)]
pub struct Subscription<'a> {
    hub: &'a PushHub,
    member: MemberId,
    id: u64,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        let mut members = self.hub.lock();
        if let Some(subs) = members.get_mut(&self.member) {
            subs.retain(|s| s.id != self.id);
            if subs.is_empty() {
                members.remove(&self.member);
            }
        }
    }
}

impl PushHub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MemberId, Vec<Subscriber>>> {
        // A panic while holding this lock cannot leave the map inconsistent (every critical
        // section is a single push/retain), so a poisoned lock is safe to reuse.
        self.members.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register a connection of `device` (held by `member`).
    pub fn subscribe(
        &self,
        member: MemberId,
        device: DeviceId,
    ) -> (Subscription<'_>, mpsc::Receiver<Delivery>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock()
            .entry(member)
            .or_default()
            .push(Subscriber { id, device, tx });
        (
            Subscription {
                hub: self,
                member,
                id,
            },
            rx,
        )
    }

    /// Send a message to every connected device of `member`; returns how many took it.
    pub fn publish(&self, member: MemberId, message: &PushMessage) -> usize {
        let Ok(json) = serde_json::to_string(message) else {
            return 0;
        };
        let frame = Utf8Bytes::from(json);
        let members = self.lock();
        members.get(&member).map_or(0, |subs| {
            subs.iter()
                .filter(|s| s.tx.try_send(Delivery::Frame(frame.clone())).is_ok())
                .count()
        })
    }

    /// Close the connections of `member`'s devices other than `keep` (after re-enrolment).
    pub fn disconnect_others(&self, member: MemberId, keep: DeviceId) {
        let members = self.lock();
        if let Some(subs) = members.get(&member) {
            for s in subs.iter().filter(|s| s.device != keep) {
                let _ = s.tx.try_send(Delivery::Close);
            }
        }
    }

    /// Close one device's connections (a locked or revoked device).
    pub fn disconnect_device(&self, member: MemberId, device: DeviceId) {
        let members = self.lock();
        if let Some(subs) = members.get(&member) {
            for s in subs.iter().filter(|s| s.device == device) {
                let _ = s.tx.try_send(Delivery::Close);
            }
        }
    }

    /// Number of live connections.
    pub fn connections(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ids() -> (MemberId, DeviceId, DeviceId) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let now = time::OffsetDateTime::now_utc();
        (
            MemberId::generate(now, &mut rng),
            DeviceId::generate(now, &mut rng),
            DeviceId::generate(now, &mut rng),
        )
    }

    #[tokio::test]
    async fn publishes_to_the_members_connections_only_and_forgets_dropped_ones() {
        let hub = PushHub::default();
        let (m, d1, d2) = ids();
        let (other, _, _) = {
            let mut rng = rand::rngs::StdRng::seed_from_u64(2);
            (
                MemberId::generate(time::OffsetDateTime::now_utc(), &mut rng),
                (),
                (),
            )
        };
        let (s1, mut r1) = hub.subscribe(m, d1);
        let (s2, mut r2) = hub.subscribe(m, d2);
        let msg = PushMessage::Withdrawn {
            receipt_id: "1".into(),
            state: 2,
        };
        assert_eq!(hub.publish(m, &msg), 2);
        assert_eq!(hub.publish(other, &msg), 0);
        for r in [&mut r1, &mut r2] {
            match r.recv().await.unwrap() {
                Delivery::Frame(t) => assert_eq!(
                    t.as_str(),
                    r#"{"type":"withdrawn","receiptID":"1","state":2}"#
                ),
                Delivery::Close => panic!("unexpected close"),
            }
        }
        hub.disconnect_others(m, d2);
        assert!(matches!(r1.recv().await, Some(Delivery::Close)));
        assert!(r2.try_recv().is_err());
        drop(s1);
        assert_eq!(hub.connections(), 1);
        drop(s2);
        assert_eq!(hub.connections(), 0);
        assert_eq!(hub.publish(m, &msg), 0);
    }

    #[tokio::test]
    async fn a_full_connection_misses_messages_instead_of_blocking() {
        let hub = PushHub::default();
        let (m, d1, _) = ids();
        let (_s, _r) = hub.subscribe(m, d1);
        let msg = PushMessage::Withdrawn {
            receipt_id: "1".into(),
            state: 2,
        };
        let delivered: usize = (0..QUEUE + 5).map(|_| hub.publish(m, &msg)).sum();
        assert_eq!(delivered, QUEUE);
    }
}
