//! The policy knobs of the domain, validated once from configuration.

use std::time::Duration;

/// Longest token of an identity request, in characters.
pub const TOKEN_MAX_CHARS: usize = 2800;
/// Longest title.
pub const TITLE_MAX_CHARS: usize = 40;
/// Longest extra message.
pub const EXTRA_MESSAGE_MAX_CHARS: usize = 500;
/// Longest call-centre number.
pub const CALL_CENTER_MAX_CHARS: usize = 20;
/// Longest call-centre name.
pub const CALL_CENTER_NAME_MAX_CHARS: usize = 10;
/// Longest sub-client id (an alias of a relying party).
pub const SUB_CLIENT_ID_MAX_CHARS: usize = 12;
/// Longest alias display name (kakaocert's `subClientName String 80`).
pub const SUB_CLIENT_NAME_MAX_CHARS: usize = 80;
/// Longest payload (the relying party's memo).
pub const PAYLOAD_MAX_CHARS: usize = 200;
/// Longest `returnURL`.
pub const RETURN_URL_MAX_CHARS: usize = 1000;
/// Most documents in one multi-sign request.
pub const MULTI_SIGN_MAX_TOKENS: usize = 50;
/// Longest corporation, bank and holder name of a debit consent.
pub const BANK_FIELD_MAX_CHARS: usize = 100;
/// Longest account number of a debit consent.
pub const BANK_ACCOUNT_NUM_MAX_CHARS: usize = 31;
/// Longest decline reason.
pub const REASON_MAX_CHARS: usize = 200;
/// The hard ceiling of `expireIn` any configuration may allow.
pub const EXPIRE_IN_CEILING: u32 = 1800;

/// Limits and windows of the request and enrolment life cycles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Largest `expireIn` a relying party may ask for (1000 by default, at most 1800).
    pub max_expire_in: u32,
    /// How long after signing the relying party may verify (30 minutes by default: kakaocert's
    /// VerifyAuth document, seed 002, "전자서명 완료일시로부터 30분 이내").
    pub verify_window: Duration,
    /// How far a request's date header may be from the server clock (5 minutes).
    pub date_skew: Duration,
    /// Tolerance of a device's signing time around the request's lifetime (5 minutes).
    pub signing_time_skew: Duration,
    /// How long a one-time code is valid (3 minutes).
    pub otp_ttl: Duration,
    /// Tries per one-time code (5).
    pub otp_max_attempts: u32,
    /// Enrolments that may be started for one phone number per hour (5).
    pub enrolments_per_phone_per_hour: u32,
    /// How long the word of a 1-won deposit is valid (10 minutes).
    pub bank_word_ttl: Duration,
    /// Tries per word (3).
    pub bank_word_max_attempts: u32,
    /// Account checks one phone number, or one account, may start per day (5): each costs a
    /// transfer and lands in someone's statement.
    pub bank_checks_per_day: u32,
    /// How long a registration-desk code is valid (7 days).
    pub ra_code_ttl: Duration,
    /// Wrong tries that burn a registration-desk reference number (5).
    pub ra_code_max_attempts: u32,
    /// Validity of an issued certificate (3 years).
    pub certificate_validity: Duration,
    /// Requests one person may receive per minute, across all relying parties (5; 0 = no
    /// limit). Guards against push bombing.
    pub person_requests_per_minute: u32,
    /// How long an `Idempotency-Key` makes a repeated create call return the first receipt
    /// (10 minutes).
    pub idempotency_window: Duration,
    /// Development only: show the right binding code on the device's card (false).
    pub dev_reveal_binding_code: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_expire_in: 1000,
            verify_window: Duration::from_secs(1800),
            date_skew: Duration::from_secs(300),
            signing_time_skew: Duration::from_secs(300),
            otp_ttl: Duration::from_secs(180),
            otp_max_attempts: 5,
            enrolments_per_phone_per_hour: 5,
            bank_word_ttl: Duration::from_secs(600),
            bank_word_max_attempts: 3,
            bank_checks_per_day: 5,
            ra_code_ttl: Duration::from_secs(7 * 86_400),
            ra_code_max_attempts: 5,
            certificate_validity: Duration::from_secs(3 * 365 * 24 * 3600),
            person_requests_per_minute: 5,
            idempotency_window: Duration::from_secs(600),
            dev_reveal_binding_code: false,
        }
    }
}
