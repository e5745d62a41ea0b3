//! Requests (identity verification for now) and their state machine.
//!
//! ```text
//!            approve (valid signature, before expiry)
//!  Waiting ─────────────────────────────────────────▶ Signed ──verify once, within window──▶ (verified)
//!     │  decline                                          
//!     ├──────────▶ Declined
//!     │  invalid signature / wrong signer
//!     ├──────────▶ Failed
//!     │  clock passes expire_at
//!     └──────────▶ Expired   (derived from the clock; never needs a write)
//! ```

use std::time::Duration;

use time::OffsetDateTime;

use crate::error::{CoreError, ValidationError};
use crate::ids::{ClientCode, MemberId, ReceiptId};
use crate::person::{Birthday, Person, PersonName, Phone};
use crate::settings::{
    CALL_CENTER_MAX_CHARS, EXTRA_MESSAGE_MAX_CHARS, Policy, TITLE_MAX_CHARS, TOKEN_MAX_CHARS,
};

/// What the relying party asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// Identity verification (본인인증).
    Identity,
}

impl RequestKind {
    /// Stable number stored in the database.
    pub fn code(self) -> i32 {
        match self {
            RequestKind::Identity => 1,
        }
    }

    /// From the stored number.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(RequestKind::Identity),
            _ => None,
        }
    }

    /// Name used on the device API.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Identity => "identity",
        }
    }
}

/// A request's state as relying parties see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestState {
    /// Waiting for the person.
    Waiting,
    /// Signed with a verified signature.
    Signed,
    /// Nobody answered in time.
    Expired,
    /// The person declined.
    Declined,
    /// A submitted signature did not verify, or the signer was not the receiver.
    Failed,
}

impl RequestState {
    /// The number on the wire and in the database.
    pub fn code(self) -> i32 {
        match self {
            RequestState::Waiting => 0,
            RequestState::Signed => 1,
            RequestState::Expired => 2,
            RequestState::Declined => 3,
            RequestState::Failed => 4,
        }
    }

    /// From the number.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => RequestState::Waiting,
            1 => RequestState::Signed,
            2 => RequestState::Expired,
            3 => RequestState::Declined,
            4 => RequestState::Failed,
            _ => return None,
        })
    }
}

/// A validated request, before it has a receipt and a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// The kind.
    pub kind: RequestKind,
    /// Who the relying party names.
    pub receiver: Person,
    /// The text to sign.
    pub token: String,
    /// Title on the card.
    pub title: String,
    /// Message on the card.
    pub extra_message: Option<String>,
    /// Call-centre number on the card.
    pub call_center_num: Option<String>,
    /// Seconds to answer.
    pub expire_in: u32,
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn optional_text(
    v: Option<&str>,
    max: usize,
    too_long: ValidationError,
) -> Result<Option<String>, ValidationError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if char_len(s) > max => Err(too_long),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// Validate a call-centre number: digits and `- + ( )` and spaces, at most 20 characters.
pub fn validate_call_center(v: Option<&str>) -> Result<Option<String>, ValidationError> {
    let n = optional_text(
        v,
        CALL_CENTER_MAX_CHARS,
        ValidationError::CallCenterNumTooLong,
    )?;
    if let Some(n) = &n
        && !n.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c))
    {
        return Err(ValidationError::CallCenterNumInvalid);
    }
    Ok(n)
}

impl NewRequest {
    /// Validate an identity request from the wire. Checks run in field order, so the first
    /// problem in `receiverName, receiverHP, receiverBirthday, token, reqTitle, extraMessage,
    /// expireIn, callCenterNum` is the one reported.
    pub fn identity(
        wire: &dojang_proto::rp::IdentityRequest,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Result<Self, ValidationError> {
        let name = PersonName::parse(wire.receiver_name.as_deref().unwrap_or(""))?;
        let phone = Phone::parse(wire.receiver_hp.as_deref().unwrap_or(""))?;
        let birthday = Birthday::parse(wire.receiver_birthday.as_deref().unwrap_or(""), now)?;
        let token = match wire.token.as_deref() {
            None | Some("") => return Err(ValidationError::TokenMissing),
            Some(t) if char_len(t) > TOKEN_MAX_CHARS => return Err(ValidationError::TokenTooLong),
            Some(t) => t.to_owned(),
        };
        let title = match wire.req_title.as_deref().map(str::trim) {
            None | Some("") => return Err(ValidationError::TitleMissing),
            Some(t) if char_len(t) > TITLE_MAX_CHARS => return Err(ValidationError::TitleTooLong),
            Some(t) => t.to_owned(),
        };
        let extra_message = optional_text(
            wire.extra_message.as_deref(),
            EXTRA_MESSAGE_MAX_CHARS,
            ValidationError::ExtraMessageTooLong,
        )?;
        let expire_in = match wire.expire_in {
            None => return Err(ValidationError::ExpireInMissing),
            Some(n) if n < 1 => return Err(ValidationError::ExpireInTooSmall),
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|&n| n <= policy.max_expire_in)
                .ok_or(ValidationError::ExpireInTooLarge)?,
        };
        let call_center_num = validate_call_center(wire.call_center_num.as_deref())?;
        Ok(Self {
            kind: RequestKind::Identity,
            receiver: Person {
                name,
                phone,
                birthday,
            },
            token,
            title,
            extra_message,
            call_center_num,
            expire_in,
        })
    }
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The receipt.
    pub receipt_id: ReceiptId,
    /// The kind.
    pub kind: RequestKind,
    /// The relying party that made it; nobody else may see it.
    pub client_code: ClientCode,
    /// The member the receiver resolved to when the request was made.
    pub member_id: MemberId,
    /// The receiver as the relying party named them.
    pub receiver: Person,
    /// The text to sign.
    pub token: String,
    /// Title on the card.
    pub title: String,
    /// Message on the card.
    pub extra_message: Option<String>,
    /// Call-centre number on the card.
    pub call_center_num: Option<String>,
    /// Seconds to answer, as asked.
    pub expire_in: u32,
    /// When it was accepted.
    pub requested_at: OffsetDateTime,
    /// When it expires.
    pub expire_at: OffsetDateTime,
    /// When the app first showed it.
    pub viewed_at: Option<OffsetDateTime>,
    /// When it was signed, declined or failed.
    pub completed_at: Option<OffsetDateTime>,
    /// When the relying party verified it.
    pub verified_at: Option<OffsetDateTime>,
    /// The stored state (never `Expired`: expiry is derived from the clock).
    pub stored_state: RequestState,
    /// The CMS SignedData, once signed.
    pub signed_data: Option<Vec<u8>>,
    /// Serial (hex) of the certificate that signed.
    pub signer_serial: Option<String>,
    /// Why it was declined or failed.
    pub reason: Option<String>,
}

impl Request {
    /// A waiting request made from a validated one.
    pub fn new(
        receipt_id: ReceiptId,
        client_code: ClientCode,
        member_id: MemberId,
        new: NewRequest,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            receipt_id,
            kind: new.kind,
            client_code,
            member_id,
            receiver: new.receiver,
            token: new.token,
            title: new.title,
            extra_message: new.extra_message,
            call_center_num: new.call_center_num,
            expire_in: new.expire_in,
            requested_at: now,
            expire_at: now + Duration::from_secs(u64::from(new.expire_in)),
            viewed_at: None,
            completed_at: None,
            verified_at: None,
            stored_state: RequestState::Waiting,
            signed_data: None,
            signer_serial: None,
            reason: None,
        }
    }

    /// The state at `now`: a waiting request whose time is up is expired.
    pub fn state(&self, now: OffsetDateTime) -> RequestState {
        match self.stored_state {
            RequestState::Waiting if now >= self.expire_at => RequestState::Expired,
            s => s,
        }
    }

    fn refuse_unless_waiting(&self, now: OffsetDateTime) -> Result<(), CoreError> {
        match self.state(now) {
            RequestState::Waiting => Ok(()),
            RequestState::Expired => Err(CoreError::Expired),
            RequestState::Signed | RequestState::Declined | RequestState::Failed => {
                Err(CoreError::NotWaiting)
            }
        }
    }

    /// May a device answer (approve, decline, view) now?
    pub fn check_answerable(&self, now: OffsetDateTime) -> Result<(), CoreError> {
        self.refuse_unless_waiting(now)
    }

    /// Is a signature made at `signing_time` plausible for this request? It must fall inside
    /// the request's lifetime, widened by `skew` for clock differences.
    pub fn check_signing_time(
        &self,
        signing_time: OffsetDateTime,
        now: OffsetDateTime,
        skew: Duration,
    ) -> Result<(), CoreError> {
        if signing_time < self.requested_at - skew || signing_time > now + skew {
            return Err(CoreError::SigningTimeOutOfRange);
        }
        Ok(())
    }

    /// May the relying party verify now? Only once, only when signed, only within `window` of
    /// signing.
    pub fn check_verifiable(&self, now: OffsetDateTime, window: Duration) -> Result<(), CoreError> {
        match self.state(now) {
            RequestState::Waiting => Err(CoreError::NotSignedYet),
            RequestState::Expired => Err(CoreError::Expired),
            RequestState::Declined => Err(CoreError::Declined),
            RequestState::Failed => Err(CoreError::Failed),
            RequestState::Signed if self.verified_at.is_some() => Err(CoreError::AlreadyVerified),
            RequestState::Signed => match self.completed_at {
                Some(done) if now <= done + window => Ok(()),
                _ => Err(CoreError::VerifyWindowPassed),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_proto::rp::IdentityRequest;
    use rand::SeedableRng;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 00:00 UTC);

    fn wire() -> IdentityRequest {
        IdentityRequest::new(
            "홍길동",
            "01012345678",
            "19900101",
            "nonce-1",
            "로그인",
            300,
        )
    }

    fn request() -> Request {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let new = NewRequest::identity(&wire(), &Policy::default(), NOW).unwrap();
        Request::new(
            ReceiptId::generate(NOW, &mut rng),
            "000000000001".parse().unwrap(),
            MemberId::generate(NOW, &mut rng),
            new,
            NOW,
        )
    }

    #[test]
    fn validation_reports_the_first_bad_field() {
        let p = Policy::default();
        let check = |f: &dyn Fn(&mut IdentityRequest), e: ValidationError| {
            let mut w = wire();
            f(&mut w);
            assert_eq!(NewRequest::identity(&w, &p, NOW), Err(e));
        };
        check(&|w| w.receiver_name = None, ValidationError::NameMissing);
        check(
            &|w| w.receiver_hp = Some("010-1234".into()),
            ValidationError::PhoneNotDigits,
        );
        check(
            &|w| w.receiver_birthday = None,
            ValidationError::BirthdayMissing,
        );
        check(
            &|w| w.token = Some(String::new()),
            ValidationError::TokenMissing,
        );
        check(
            &|w| w.token = Some("x".repeat(2801)),
            ValidationError::TokenTooLong,
        );
        check(
            &|w| w.req_title = Some(" ".into()),
            ValidationError::TitleMissing,
        );
        check(
            &|w| w.req_title = Some("가".repeat(41)),
            ValidationError::TitleTooLong,
        );
        check(
            &|w| w.extra_message = Some("m".repeat(501)),
            ValidationError::ExtraMessageTooLong,
        );
        check(&|w| w.expire_in = None, ValidationError::ExpireInMissing);
        check(
            &|w| w.expire_in = Some(0),
            ValidationError::ExpireInTooSmall,
        );
        check(
            &|w| w.expire_in = Some(1001),
            ValidationError::ExpireInTooLarge,
        );
        check(
            &|w| w.expire_in = Some(i64::MAX),
            ValidationError::ExpireInTooLarge,
        );
        check(
            &|w| w.call_center_num = Some("1".repeat(21)),
            ValidationError::CallCenterNumTooLong,
        );
        check(
            &|w| w.call_center_num = Some("call me".into()),
            ValidationError::CallCenterNumInvalid,
        );
        let ok = NewRequest::identity(&wire().with_call_center_num("1600-1234"), &p, NOW).unwrap();
        assert_eq!(ok.call_center_num.as_deref(), Some("1600-1234"));
        assert_eq!(ok.expire_in, 300);
    }

    #[test]
    fn waiting_turns_expired_at_expire_at() {
        let r = request();
        assert_eq!(r.state(NOW), RequestState::Waiting);
        assert_eq!(
            r.state(NOW + Duration::from_secs(299)),
            RequestState::Waiting
        );
        assert_eq!(
            r.state(NOW + Duration::from_secs(300)),
            RequestState::Expired
        );
        assert_eq!(
            r.check_answerable(NOW + Duration::from_secs(300)),
            Err(CoreError::Expired)
        );
    }

    #[test]
    fn verify_rules() {
        let w = Duration::from_secs(600);
        let mut r = request();
        assert_eq!(r.check_verifiable(NOW, w), Err(CoreError::NotSignedYet));
        r.stored_state = RequestState::Signed;
        let signed_at = NOW + Duration::from_secs(10);
        r.completed_at = Some(signed_at);
        // Signed requests do not expire.
        assert_eq!(
            r.check_verifiable(NOW + Duration::from_secs(400), w),
            Ok(())
        );
        assert_eq!(r.check_verifiable(signed_at + w, w), Ok(()));
        assert_eq!(
            r.check_verifiable(signed_at + w + Duration::from_secs(1), w),
            Err(CoreError::VerifyWindowPassed)
        );
        r.verified_at = Some(signed_at);
        assert_eq!(
            r.check_verifiable(signed_at, w),
            Err(CoreError::AlreadyVerified)
        );
        r.stored_state = RequestState::Declined;
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Declined));
        r.stored_state = RequestState::Failed;
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Failed));
        let mut e = request();
        e.stored_state = RequestState::Waiting;
        assert_eq!(
            e.check_verifiable(NOW + Duration::from_secs(301), w),
            Err(CoreError::Expired)
        );
    }

    #[test]
    fn signing_time_must_fall_in_the_lifetime() {
        let r = request();
        let skew = Duration::from_secs(300);
        let now = NOW + Duration::from_secs(20);
        assert!(
            r.check_signing_time(NOW + Duration::from_secs(5), now, skew)
                .is_ok()
        );
        assert!(
            r.check_signing_time(NOW - Duration::from_secs(299), now, skew)
                .is_ok()
        );
        assert_eq!(
            r.check_signing_time(NOW - Duration::from_secs(301), now, skew),
            Err(CoreError::SigningTimeOutOfRange)
        );
        assert_eq!(
            r.check_signing_time(now + Duration::from_secs(301), now, skew),
            Err(CoreError::SigningTimeOutOfRange)
        );
    }
}
