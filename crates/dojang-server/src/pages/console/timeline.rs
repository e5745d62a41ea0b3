//! A request's states over time, for the console: requested, viewed, signed / declined /
//! expired / failed, verified. Read through `service::requests::status` — the same function
//! and the same long-poll wait the API's `GET /v1/{kind}/{id}?wait=30` uses — and streamed to
//! the page as Server-Sent Events.
//!
//! The console never keeps credentials, so a timeline is opened with a watch token instead: a
//! keyed hash of the kind, the receipt and the browser's console cookie, handed out only after
//! the API accepted a call on that receipt with the relying party's own credentials. It shows
//! the status fields (no personal data, no tokens) to that browser only.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::Event;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_core::{ReceiptId, RelyingParty, RequestKind};
use dojang_proto::datetime::{KST, format_kst};
use dojang_proto::rp::{Kind, RequestStatus, state};
use futures_util::Stream;
use serde::Serialize;
use time::OffsetDateTime;

use crate::http::error::ApiError;
use crate::service::requests;
use crate::state::AppState;

/// How long one event stream runs before it tells the page it is done.
const STREAM_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The long-poll wait of each status read.
const WAIT: Duration = Duration::from_secs(30);

/// The watch token of a receipt for one browser.
pub fn watch_token(state: &AppState, kind: Kind, receipt: &str, browser: &str) -> String {
    URL_SAFE_NO_PAD.encode(
        state
            .keys
            .lookup("console-watch", &[kind.as_str(), receipt, browser]),
    )
}

/// Whether `given` is the watch token of the receipt for this browser (constant time).
pub fn watch_ok(state: &AppState, kind: Kind, receipt: &str, browser: &str, given: &str) -> bool {
    crate::pages::web::ct_eq(&watch_token(state, kind, receipt, browser), given)
}

/// What the timeline shows: the state and the time of each step, as KST text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// 0–4.
    pub state: i32,
    /// Why it was declined, cancelled or failed.
    pub reason: Option<String>,
    /// When it was accepted.
    pub requested: String,
    /// When the app showed it.
    pub viewed: Option<String>,
    /// When it was signed, declined, cancelled or failed.
    pub completed: Option<String>,
    /// When it expires or expired.
    pub expires: String,
    /// When the relying party verified it.
    pub verified: Option<String>,
}

fn when(t: OffsetDateTime) -> String {
    let k = t.to_offset(KST);
    let s = format_kst(k);
    // yyyyMMddHHmmss → yyyy-MM-dd HH:mm:ss
    match (
        s.get(0..4),
        s.get(4..6),
        s.get(6..8),
        s.get(8..10),
        s.get(10..12),
        s.get(12..14),
    ) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) => {
            format!("{y}-{mo}-{d} {h}:{mi}:{se} KST")
        }
        _ => s,
    }
}

impl From<&RequestStatus> for Timeline {
    fn from(s: &RequestStatus) -> Self {
        Self {
            state: s.state,
            reason: s.state_reason.clone(),
            requested: when(s.request_dt),
            viewed: s.view_dt.map(when),
            completed: s.complete_dt.map(when),
            expires: when(s.expire_dt),
            verified: s.verify_dt.map(when),
        }
    }
}

impl Timeline {
    /// Nothing more will happen: ended other than signed, or signed and verified.
    pub fn finished(&self) -> bool {
        self.state != state::WAITING && (self.state != state::SIGNED || self.verified.is_some())
    }
}

/// The style of a state: `ok` signed, `bad` declined or failed, `warn` expired, none waiting.
pub const fn tone(state: i32) -> &'static str {
    match state {
        state::SIGNED => "ok",
        state::DECLINED | state::FAILED => "bad",
        state::EXPIRED => "warn",
        _ => "",
    }
}

/// The relying party that owns a receipt (the console holds no credentials; the watch token
/// already proved this browser made a call on the receipt with them).
pub async fn owner(state: &AppState, receipt: &str) -> Result<RelyingParty, ApiError> {
    let id: ReceiptId = receipt.parse()?;
    let r = state
        .store
        .request(&id)
        .await?
        .ok_or(ApiError::Code(dojang_proto::ErrorCode::ReceiptNotFound))?;
    state
        .store
        .relying_party(&r.client_code)
        .await?
        .ok_or(ApiError::Code(dojang_proto::ErrorCode::ReceiptNotFound))
}

/// The timeline now.
pub async fn read(
    state: &AppState,
    rp: &RelyingParty,
    kind: Kind,
    receipt: &str,
) -> Result<Timeline, ApiError> {
    let s = requests::status(
        state,
        rp,
        RequestKind::from_wire(kind),
        receipt,
        Duration::ZERO,
    )
    .await?;
    Ok(Timeline::from(&s))
}

struct Watch {
    state: AppState,
    rp: RelyingParty,
    kind: Kind,
    receipt: String,
    sent: Option<Timeline>,
    done: bool,
    until: tokio::time::Instant,
}

/// The event stream: a `status` event at once and at every change, then `done` (after which
/// the page closes the stream instead of reconnecting).
pub fn events(
    state: AppState,
    rp: RelyingParty,
    kind: Kind,
    receipt: String,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let watch = Watch {
        state,
        rp,
        kind,
        receipt,
        sent: None,
        done: false,
        until: tokio::time::Instant::now() + STREAM_LIFETIME,
    };
    futures_util::stream::unfold(watch, |mut w| async move {
        if w.done {
            return None;
        }
        let event = next(&mut w).await;
        Some((Ok(event), w))
    })
}

fn done_event() -> Event {
    Event::default().event("done").data("{}")
}

async fn next(w: &mut Watch) -> Event {
    loop {
        if w.state.shutdown.is_cancelled() || tokio::time::Instant::now() >= w.until {
            w.done = true;
            return done_event();
        }
        if w.sent.as_ref().is_some_and(Timeline::finished) {
            w.done = true;
            return done_event();
        }
        // Subscribe before reading, so a change between the read and the wait is not lost.
        let mut changes = w.state.changes.subscribe();
        let waiting = w.sent.as_ref().is_some_and(|t| t.state == state::WAITING);
        let wait = if waiting { WAIT } else { Duration::ZERO };
        let status = requests::status(
            &w.state,
            &w.rp,
            RequestKind::from_wire(w.kind),
            &w.receipt,
            wait,
        )
        .await;
        let now = match status {
            Ok(s) => Timeline::from(&s),
            Err(_) => {
                w.done = true;
                return done_event();
            }
        };
        if w.sent.as_ref() != Some(&now) {
            let event = Event::default()
                .event("status")
                .json_data(&now)
                .unwrap_or_else(|_| done_event());
            w.sent = Some(now);
            return event;
        }
        if !waiting && !now.finished() {
            // Signed, not verified yet: wake on a change of this receipt (verify), or re-read
            // after the long-poll interval.
            let receipt = w.receipt.clone();
            let sleep = tokio::time::sleep(WAIT);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    () = w.state.shutdown.cancelled() => break,
                    got = changes.recv() => match got {
                        Ok(id) if id.to_string() == receipt => break,
                        Ok(_) => {}
                        Err(_) => break,
                    },
                }
            }
        }
    }
}
