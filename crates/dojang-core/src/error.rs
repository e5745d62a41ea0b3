//! The domain's errors. The server maps each variant to one code of the catalogue in
//! `dojang-proto` (in `dojang-server/src/http/error.rs`, nowhere else).

/// Input that breaks a rule of the domain. One variant per distinct failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// Name missing or blank.
    #[error("name is required")]
    NameMissing,
    /// Name longer than 80 characters.
    #[error("name is too long")]
    NameTooLong,
    /// Name with control characters.
    #[error("name contains invalid characters")]
    NameInvalid,
    /// Phone missing.
    #[error("phone is required")]
    PhoneMissing,
    /// Phone with non-digits.
    #[error("phone must contain digits only")]
    PhoneNotDigits,
    /// Phone not 10–11 digits.
    #[error("phone must be 10 or 11 digits")]
    PhoneLength,
    /// Birth date missing.
    #[error("birth date is required")]
    BirthdayMissing,
    /// Birth date not 8 digits.
    #[error("birth date must be YYYYMMDD")]
    BirthdayFormat,
    /// Birth date not a real date in range.
    #[error("birth date is not a valid date")]
    BirthdayInvalid,
    /// Token missing or empty.
    #[error("token is required")]
    TokenMissing,
    /// Token too long.
    #[error("token is too long")]
    TokenTooLong,
    /// Title missing or blank.
    #[error("title is required")]
    TitleMissing,
    /// Title longer than 40 characters.
    #[error("title is too long")]
    TitleTooLong,
    /// Extra message longer than 500 characters.
    #[error("extra message is too long")]
    ExtraMessageTooLong,
    /// `expireIn` missing.
    #[error("expireIn is required")]
    ExpireInMissing,
    /// `expireIn` below 1.
    #[error("expireIn is too small")]
    ExpireInTooSmall,
    /// `expireIn` above the configured maximum.
    #[error("expireIn is too large")]
    ExpireInTooLarge,
    /// Call-centre number longer than 20 characters.
    #[error("call-centre number is too long")]
    CallCenterNumTooLong,
    /// Call-centre number with characters other than digits and separators.
    #[error("call-centre number contains invalid characters")]
    CallCenterNumInvalid,
    /// Receipt id not 32 digits.
    #[error("receipt id must be 32 digits (20 in kakaocert 1.x)")]
    ReceiptIdInvalid,
    /// Client code not 12 digits.
    #[error("client code must be 12 digits")]
    ClientCodeInvalid,
    /// Not a member id.
    #[error("member id is not valid")]
    MemberIdInvalid,
    /// Not a device id.
    #[error("device id is not valid")]
    DeviceIdInvalid,
    /// Not an enrolment id.
    #[error("enrolment id is not valid")]
    EnrolmentIdInvalid,
    /// One-time code missing or not 6 digits.
    #[error("one-time code must be 6 digits")]
    OtpFormat,
    /// A PIN proof missing or not 32 bytes of base64.
    #[error("pinProof must be 32 bytes in base64")]
    PinProofInvalid,
    /// CSR missing or not base64.
    #[error("csr is required as base64")]
    CsrMissing,
    /// signedData missing or not base64.
    #[error("signedData is required as base64")]
    SignedDataMissing,
    /// Decline reason too long.
    #[error("reason is too long")]
    ReasonTooLong,
    /// A LinkID outside `[A-Za-z0-9_-]{4,32}`.
    #[error("LinkID must be 4 to 32 letters, digits, '_' or '-'")]
    LinkIdInvalid,
    /// A relying party's display name missing or too long.
    #[error("relying party name must be 1 to 100 characters")]
    RelyingPartyNameInvalid,
    /// A field that belongs to another request kind.
    #[error("a field does not belong to this request kind")]
    FieldNotForKind,
    /// `tokenType` missing.
    #[error("tokenType is required")]
    TokenTypeMissing,
    /// `tokenType` not TEXT, HASH, PDF or URL.
    #[error("tokenType must be TEXT, HASH, PDF or URL")]
    TokenTypeInvalid,
    /// A URL token that is not an http(s) address without spaces.
    #[error("a URL token must be an http:// or https:// address without spaces")]
    TokenUrlInvalid,
    /// A HASH/PDF token that is not the base64url of 32 bytes.
    #[error("a HASH or PDF token must be the base64url SHA-256 of the document")]
    TokenHashInvalid,
    /// `tokens` missing or empty.
    #[error("tokens is required")]
    TokensMissing,
    /// More than 50 tokens.
    #[error("too many tokens")]
    TokensTooMany,
    /// Call-centre name longer than 10 characters.
    #[error("call-centre name is too long")]
    CallCenterNameTooLong,
    /// A sub-client id outside `[A-Za-z0-9_-]{1,12}`.
    #[error("subClientID is not valid")]
    SubClientIdInvalid,
    /// An alias display name missing or too long.
    #[error("alias name must be 1 to 40 characters")]
    SubClientNameInvalid,
    /// Text shown to the person (the named field) holds a control or invisible formatting
    /// character ([`crate::text`]).
    #[error("{0} contains a control or invisible formatting character")]
    UnsafeText(&'static str),
    /// Payload longer than 200 characters.
    #[error("payload is too long")]
    PayloadTooLong,
    /// `appUseYN` without `returnURL`.
    #[error("returnURL is required for app-to-app")]
    ReturnUrlMissing,
    /// `returnURL` not a usable URL.
    #[error("returnURL is not valid")]
    ReturnUrlInvalid,
    /// `requestCorp` missing.
    #[error("requestCorp is required")]
    RequestCorpMissing,
    /// `requestCorp` too long.
    #[error("requestCorp is too long")]
    RequestCorpTooLong,
    /// `bankName` missing.
    #[error("bankName is required")]
    BankNameMissing,
    /// `bankName` too long.
    #[error("bankName is too long")]
    BankNameTooLong,
    /// `bankAccountNum` missing.
    #[error("bankAccountNum is required")]
    BankAccountNumMissing,
    /// `bankAccountNum` not digits and `-`, or too long.
    #[error("bankAccountNum is not valid")]
    BankAccountNumInvalid,
    /// `bankAccountName` missing.
    #[error("bankAccountName is required")]
    BankAccountNameMissing,
    /// `bankAccountName` too long.
    #[error("bankAccountName is too long")]
    BankAccountNameTooLong,
    /// `bankAccountBirthday` missing.
    #[error("bankAccountBirthday is required")]
    BankAccountBirthdayMissing,
    /// `bankAccountBirthday` not a valid YYYYMMDD date.
    #[error("bankAccountBirthday is not valid")]
    BankAccountBirthdayInvalid,
    /// `bankServiceType` missing.
    #[error("bankServiceType is required")]
    BankServiceTypeMissing,
    /// `bankServiceType` not CMS, FIRM or GIRO.
    #[error("bankServiceType must be CMS, FIRM or GIRO")]
    BankServiceTypeInvalid,
    /// The approve call has no binding code although the card offered choices.
    #[error("bindingCode is required")]
    BindingCodeMissing,
    /// `multiSignedData` missing, or not one base64 SignedData per document.
    #[error("multiSignedData must hold one SignedData per document")]
    MultiSignedDataInvalid,
    /// An `Idempotency-Key` header outside 1–64 visible ASCII characters.
    #[error("Idempotency-Key is not valid")]
    IdempotencyKeyInvalid,
    /// `wait` not a whole number of seconds from 0 to 30.
    #[error("wait must be 0 to 30 seconds")]
    WaitInvalid,
    /// A login transaction id that is not 32 hex digits.
    #[error("txID is not valid")]
    TxIdInvalid,
    /// Bank code missing.
    #[error("bankCode is required")]
    BankCodeMissing,
    /// Bank code not 3 digits.
    #[error("bankCode must be 3 digits")]
    BankCodeInvalid,
    /// The deposit's word missing or not 4 Hangul syllables.
    #[error("the word must be 4 Hangul syllables")]
    BankWordFormat,
    /// Reference number missing or not 10 digits.
    #[error("refNum must be 10 digits")]
    RefNumFormat,
    /// Authorisation code missing or not 16 digits.
    #[error("authCode must be 16 digits")]
    AuthCodeFormat,
}

/// A rule of the request or enrolment life cycle refused an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// Bad input.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// Verify before the person signed.
    #[error("the request has not been signed yet")]
    NotSignedYet,
    /// Verify a second time.
    #[error("the request has already been verified")]
    AlreadyVerified,
    /// Verify after the window that follows signing.
    #[error("the verify window has passed")]
    VerifyWindowPassed,
    /// The request expired unanswered.
    #[error("the request has expired")]
    Expired,
    /// The person declined.
    #[error("the request was declined")]
    Declined,
    /// The relying party cancelled.
    #[error("the request was cancelled")]
    Cancelled,
    /// The request failed.
    #[error("the request failed")]
    Failed,
    /// A device tried to answer a request that is no longer waiting.
    #[error("the request is no longer waiting")]
    NotWaiting,
    /// The signature's signing time lies outside the request's lifetime.
    #[error("signing time outside the request's lifetime")]
    SigningTimeOutOfRange,
    /// The one-time code's validity ended.
    #[error("the one-time code has expired")]
    EnrolmentExpired,
    /// The enrolment was completed before.
    #[error("the enrolment is already completed")]
    EnrolmentCompleted,
    /// Wrong one-time code.
    #[error("wrong one-time code, {remaining} tries left")]
    OtpWrong {
        /// Tries left before the enrolment locks.
        remaining: u32,
    },
    /// The enrolment locked after too many wrong codes.
    #[error("too many wrong codes")]
    OtpTooManyAttempts,
    /// The word of a bank-account check expired.
    #[error("the word has expired")]
    BankCheckExpired,
    /// Wrong word.
    #[error("wrong word, {remaining} tries left")]
    BankWordWrong {
        /// Tries left before the check locks.
        remaining: u32,
    },
    /// The bank-account check locked after too many wrong words.
    #[error("too many wrong words")]
    BankWordTooManyAttempts,
    /// The registration-desk code was used already.
    #[error("the reference number was used")]
    RaUsed,
    /// The operator cancelled the registration-desk code.
    #[error("the reference number was cancelled")]
    RaCancelled,
    /// The registration-desk code's validity ended.
    #[error("the reference number has expired")]
    RaExpired,
    /// Wrong authorisation code.
    #[error("wrong authorisation code, {remaining} tries left")]
    RaCodeWrong {
        /// Tries left before the reference number is burnt.
        remaining: u32,
    },
    /// The reference number is burnt by too many wrong tries.
    #[error("too many wrong tries for the reference number")]
    RaTooManyAttempts,
    /// The person is not the one the desk issued the code for.
    #[error("the person does not match the reference number")]
    RaPersonMismatch,
}
