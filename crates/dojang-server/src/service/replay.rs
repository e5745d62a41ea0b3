//! Replay of signed create calls (issue 14, finding 9).
//!
//! A relying party's signature covers the method, the path, the date and the body, and the date
//! must lie within `policy.date_skew` (5 minutes) of the server clock. Within that window the
//! very same bytes verify again, so someone who captured a create call (a log, a proxy, a
//! browser that relayed it) could push the person again once the first request had ended.
//!
//! Every signed create call, in every dialect (native `Authorization`, kakaocert `x-kc-auth`,
//! barocert `x-bc-auth`), is remembered in the database (`request_signatures`, so across
//! instances) by a keyed hash of the dialect, the LinkID and the exact text the HMAC covers,
//! until its date leaves the window; a repeat is refused with `-10300030` (HTTP 409).
//!
//! The text is used rather than the signature as sent, because one MAC may be written in more
//! than one encoding; the text is what the MAC is of. The hash is keyed with the server's
//! lookup key, so the table says nothing about bodies to someone who reads only the database.
//!
//! **Idempotent retries.** A repeat that carries an `Idempotency-Key` (native API) is let
//! through to the idempotency check, but may only *replay*: if the key names the request the
//! first call made, its receipt is answered as before (no new push); otherwise it is refused
//! like any repeat. So a client that resends the identical signed bytes after a lost answer
//! still gets its receipt, while an attacker who adds a fresh key to a captured call (the key
//! is not signed) gets nothing. A retry signed anew (a new date) is a new call and goes through
//! the ordinary idempotency check.

use time::OffsetDateTime;

use crate::http::error::ApiError;
use crate::state::AppState;
use dojang_proto::ErrorCode;

/// A signed create call, as the replay check knows it.
#[derive(Debug, Clone)]
pub struct SignedCall {
    hash: Vec<u8>,
    expires_at: OffsetDateTime,
}

impl SignedCall {
    /// The call of `link_id` in `dialect` whose HMAC covers `signed_text`, dated `signed_at`:
    /// it can be sent again until `signed_at` + the date window.
    pub fn new(
        state: &AppState,
        dialect: &str,
        link_id: &str,
        signed_text: &str,
        signed_at: OffsetDateTime,
    ) -> Self {
        Self {
            hash: state
                .keys
                .lookup("request_signature", &[dialect, link_id, signed_text]),
            // One second more than the window, as the date check compares whole durations.
            expires_at: signed_at + state.policy.date_skew + std::time::Duration::from_secs(1),
        }
    }
}

/// Remember `call`. `Ok(false)`: it is new. `Ok(true)`: it was seen before and may only replay
/// an idempotent request (`idempotent` says whether it carries a key). A repeat without a key
/// is refused here.
pub async fn seen_before(
    state: &AppState,
    call: &SignedCall,
    idempotent: bool,
) -> Result<bool, ApiError> {
    if state
        .store
        .remember_request_signature(&call.hash, call.expires_at)
        .await?
    {
        return Ok(false);
    }
    tracing::info!("a signed create call was sent again; refused unless it replays");
    if idempotent {
        Ok(true)
    } else {
        Err(ErrorCode::RequestReplayed.into())
    }
}
