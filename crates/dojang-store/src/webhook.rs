//! Webhooks as the store keeps them: one callback per relying party, one delivery per event,
//! one attempt per POST. The server's `webhook` module decides what to send and when; this
//! module only names the records.

use dojang_core::ClientCode;
use time::OffsetDateTime;

/// A relying party's callback.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The relying party.
    pub client_code: ClientCode,
    /// Where events are POSTed.
    pub url: String,
    /// The signing secret (`whsec_…`), stored sealed.
    pub secret: String,
    /// When it was first set.
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("client_code", &self.client_code)
            .field("url", &self.url)
            .field("secret", &"***")
            .finish_non_exhaustive()
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet accepted by the receiver; will be tried (again).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// No more tries: the retry period ended or the webhook was removed.
    GivenUp,
}

impl DeliveryState {
    /// The number in the database.
    pub fn code(self) -> i32 {
        match self {
            DeliveryState::Pending => 0,
            DeliveryState::Delivered => 1,
            DeliveryState::GivenUp => 2,
        }
    }

    /// From the number.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => DeliveryState::Pending,
            1 => DeliveryState::Delivered,
            2 => DeliveryState::GivenUp,
            _ => return None,
        })
    }

    /// `pending`, `delivered`, `given-up`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::GivenUp => "given-up",
        }
    }
}

/// An event to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The relying party.
    pub client_code: ClientCode,
    /// The request.
    pub receipt_id: String,
    /// The event name (`signed`, `expired`, …).
    pub event: String,
    /// The JSON body to POST (no personal data).
    pub body: String,
    /// When the event happened; the first try is due then.
    pub at: OffsetDateTime,
}

/// A queued event and where its delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Sequence number (the `Dojang-Delivery` header).
    pub id: i64,
    /// The relying party.
    pub client_code: ClientCode,
    /// The request.
    pub receipt_id: String,
    /// The event name.
    pub event: String,
    /// The JSON body.
    pub body: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// POSTs made so far.
    pub attempts: u32,
    /// When the next try is due (or the lease of a try in progress ends).
    pub next_attempt_at: OffsetDateTime,
    /// When the event was queued.
    pub created_at: OffsetDateTime,
    /// When it was delivered or given up.
    pub finished_at: Option<OffsetDateTime>,
    /// The last HTTP status received.
    pub last_status: Option<u16>,
    /// The last failure.
    pub last_error: Option<String>,
}

/// One POST and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The delivery.
    pub delivery_id: i64,
    /// 1 for the first POST.
    pub attempt: u32,
    /// When it was made.
    pub at: OffsetDateTime,
    /// Where it went.
    pub url: String,
    /// The HTTP status, if the receiver answered.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: u64,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    /// Delivered; done.
    Delivered,
    /// Failed; try again at this time.
    RetryAt(OffsetDateTime),
    /// Failed; no more tries.
    GiveUp,
}
