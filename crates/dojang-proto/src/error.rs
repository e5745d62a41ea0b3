//! The error-code catalogue: one negative 8-digit code per distinct failure, with an English and
//! a Korean message. Every non-2xx answer of the native and device APIs carries an [`ErrorBody`].
//!
//! Codes are grouped as `-1GG NNNNN` (`GG` = group):
//!
//! | group | what |
//! |---|---|
//! | 00 | relying-party authentication (HMAC, date) |
//! | 01 | request body (JSON, size) |
//! | 02 | field validation |
//! | 03 | receipts and their state |
//! | 04 | devices and enrolment |
//! | 05 | signatures submitted by a device |
//! | 06 | the cloud certificate (`/cloud/v1/*`, `/v1/cloud/*`) |
//! | 07 | the phone app and push |
//! | 09 | the server itself |
//!
//! Once published a code never changes meaning; `docs/errors.md` is generated from this table.

use serde::{Deserialize, Serialize};

/// The JSON body of every error answer: `{"code": -10300001, "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A negative 8-digit code from [`ErrorCode`].
    pub code: i64,
    /// A human-readable message (English, or Korean when the request asked for `ko`).
    pub message: String,
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $en:literal, $ko:literal; )*) => {
        /// Every error dojang answers with. See the module documentation for the numbering.
        ///
        /// Deliberately not `#[non_exhaustive]`: the server maps every code to an HTTP status in
        /// one exhaustive match, so a new code cannot ship without a status. SDK users should
        /// compare codes rather than match the whole enum.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// The whole catalogue, in code order of declaration.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];

            /// The negative 8-digit number sent on the wire.
            pub const fn code(self) -> i64 {
                match self { $( ErrorCode::$name => $code, )* }
            }

            /// The English message.
            pub const fn message_en(self) -> &'static str {
                match self { $( ErrorCode::$name => $en, )* }
            }

            /// The Korean message.
            pub const fn message_ko(self) -> &'static str {
                match self { $( ErrorCode::$name => $ko, )* }
            }

            /// The variant name, used in documentation and logs.
            pub const fn name(self) -> &'static str {
                match self { $( ErrorCode::$name => stringify!($name), )* }
            }
        }
    };
}

catalogue! {
    // 00 — relying-party authentication
    /// No `Authorization` header.
    AuthorizationMissing = -10000001, "Authorization header is missing", "Authorization 헤더가 없습니다";
    /// The `Authorization` header is not `DOJANG-HMAC-SHA256 <LinkID>:<signature>`.
    AuthorizationMalformed = -10000002, "Authorization header is malformed", "Authorization 헤더 형식이 올바르지 않습니다";
    /// No relying party has this LinkID.
    UnknownLinkId = -10000003, "Unknown LinkID", "등록되지 않은 LinkID입니다";
    /// The HMAC signature does not match the request.
    SignatureMismatch = -10000004, "Request signature does not match", "요청 서명이 일치하지 않습니다";
    /// No `X-Dojang-Date` header.
    DateMissing = -10000005, "X-Dojang-Date header is missing", "X-Dojang-Date 헤더가 없습니다";
    /// `X-Dojang-Date` is not an RFC 3339 UTC time.
    DateMalformed = -10000006, "X-Dojang-Date must be an RFC 3339 UTC time such as 2026-01-02T03:04:05Z", "X-Dojang-Date는 2026-01-02T03:04:05Z 형식의 UTC 시각이어야 합니다";
    /// `X-Dojang-Date` is more than the allowed skew away from the server's clock.
    DateOutOfWindow = -10000007, "X-Dojang-Date is too far from the server time", "X-Dojang-Date가 서버 시각과 너무 많이 다릅니다";
    /// LinkHub dialect: no relying party has this LinkID (LinkHub's own code).
    LinkHubPartnerNotFound = -10000010, "Partner information does not exist (unknown LinkID)", "파트너 정보가 존재하지 않습니다 (등록되지 않은 LinkID)";
    /// LinkHub dialect: `x-lh-date` / `x-bc-date` is missing, malformed or too far from the server time.
    LinkHubDateInvalid = -10000012, "x-lh-date is missing, malformed, or too far from the server time", "x-lh-date가 없거나 형식이 틀리거나 서버 시각과 너무 많이 다릅니다";
    /// LinkHub dialect: the token request asks for a scope or access id this relying party does not have (LinkHub's code for a refused token).
    LinkHubTokenRefused = -10000032, "Token could not be issued: scope or access_id not allowed", "토큰을 발급할 수 없습니다: 허용되지 않은 scope 또는 access_id입니다";
    /// LinkHub dialect: the bearer token is invalid, expired, or for another service (LinkHub's code).
    LinkHubTokenInvalid = -10000033, "The authentication token cannot be interpreted (invalid or expired)", "인증 토큰을 해석할 수 없습니다 (유효하지 않거나 만료됨)";
    /// LinkHub dialect: no bearer token (LinkHub's code).
    LinkHubTokenMissing = -10000034, "The authentication token was not sent", "인증 토큰이 입력되지 않았습니다";

    // 01 — request body
    /// The body is not valid JSON (or not a JSON object).
    MalformedJson = -10100001, "Request body is not valid JSON", "요청 본문이 올바른 JSON이 아닙니다";
    /// The body is larger than the server accepts.
    BodyTooLarge = -10100002, "Request body is too large", "요청 본문이 너무 큽니다";
    /// A field has the wrong JSON type (for example a string where a number belongs).
    FieldType = -10100003, "A field has the wrong type", "필드의 자료형이 올바르지 않습니다";
    /// A plain request reached an endpoint that needs a WebSocket upgrade.
    WebSocketRequired = -10100004, "This endpoint needs a WebSocket upgrade", "이 경로는 WebSocket 연결이 필요합니다";
    /// The body did not arrive within the server's time limit.
    BodyTimeout = -10100005, "The request body did not arrive in time", "요청 본문이 제한 시간 안에 도착하지 않았습니다";

    // 02 — field validation
    /// `receiverName` / `name` missing or empty.
    NameMissing = -10201001, "receiverName is required", "수신자 성명을 입력하세요";
    /// Name longer than 80 characters.
    NameTooLong = -10201002, "receiverName must be at most 80 characters", "수신자 성명은 80자 이하여야 합니다";
    /// Name contains control characters.
    NameInvalid = -10201003, "receiverName contains invalid characters", "수신자 성명에 사용할 수 없는 문자가 있습니다";
    /// `receiverHP` / `phone` missing or empty.
    PhoneMissing = -10201011, "receiverHP is required", "수신자 휴대폰번호를 입력하세요";
    /// Phone number contains something other than digits.
    PhoneNotDigits = -10201012, "receiverHP must contain digits only", "휴대폰번호는 숫자만 입력하세요";
    /// Phone number not 10 or 11 digits.
    PhoneLength = -10201013, "receiverHP must be 10 or 11 digits", "휴대폰번호는 10자리 또는 11자리여야 합니다";
    /// `receiverBirthday` / `birthday` missing or empty.
    BirthdayMissing = -10201021, "receiverBirthday is required", "수신자 생년월일을 입력하세요";
    /// Birth date not 8 digits.
    BirthdayFormat = -10201022, "receiverBirthday must be 8 digits, YYYYMMDD", "생년월일은 YYYYMMDD 형식의 8자리 숫자여야 합니다";
    /// Birth date is not a real date, or in the future, or before 1900.
    BirthdayInvalid = -10201023, "receiverBirthday is not a valid date", "생년월일이 올바른 날짜가 아닙니다";
    /// `token` missing or empty.
    TokenMissing = -10201031, "token is required", "서명할 토큰을 입력하세요";
    /// `token` too long.
    TokenTooLong = -10201032, "token is too long", "토큰이 너무 깁니다";
    /// `reqTitle` missing or empty.
    TitleMissing = -10201041, "reqTitle is required", "요청 제목을 입력하세요";
    /// `reqTitle` longer than 40 characters.
    TitleTooLong = -10201042, "reqTitle must be at most 40 characters", "요청 제목은 40자 이하여야 합니다";
    /// `extraMessage` longer than 500 characters.
    ExtraMessageTooLong = -10201051, "extraMessage must be at most 500 characters", "추가 메시지는 500자 이하여야 합니다";
    /// `expireIn` missing.
    ExpireInMissing = -10201061, "expireIn is required", "만료 시간(expireIn)을 입력하세요";
    /// `expireIn` below 1 second.
    ExpireInTooSmall = -10201062, "expireIn must be at least 1 second", "만료 시간은 1초 이상이어야 합니다";
    /// `expireIn` above the server's maximum.
    ExpireInTooLarge = -10201063, "expireIn is above the server's maximum", "만료 시간이 서버 최대값을 넘습니다";
    /// `callCenterNum` longer than 20 characters.
    CallCenterNumTooLong = -10201071, "callCenterNum must be at most 20 characters", "고객센터 번호는 20자 이하여야 합니다";
    /// `callCenterNum` contains something other than digits, `-`, `+`, spaces or parentheses.
    CallCenterNumInvalid = -10201072, "callCenterNum may contain digits, '-', '+', '(', ')' and spaces only", "고객센터 번호에는 숫자와 -, +, (, ), 공백만 쓸 수 있습니다";
    /// A receipt id in the path is not 32 digits.
    ReceiptIdInvalid = -10201081, "Receipt id must be 32 digits (20 in kakaocert 1.x)", "접수 아이디는 32자리 숫자여야 합니다 (kakaocert 1.x는 20자리)";
    /// An enrolment id in the path is not a valid id.
    EnrolmentIdInvalid = -10201091, "Enrolment id is not valid", "등록 아이디가 올바르지 않습니다";
    /// One-time code missing or not 6 digits.
    OtpFormat = -10201101, "The one-time code must be 6 digits", "인증번호는 6자리 숫자여야 합니다";
    /// `pinProof` / `newPinProof` missing or not 32 bytes of standard base64.
    PinProofInvalid = -10201301, "pinProof must be 32 bytes in standard base64", "pinProof는 32바이트를 base64로 입력해야 합니다";
    /// `csr` missing, or not standard base64.
    CsrMissing = -10201111, "csr is required as base64 DER", "csr(인증서 서명 요청)을 base64 DER로 입력하세요";
    /// `signedData` missing, or not standard base64.
    SignedDataMissing = -10201121, "signedData is required as base64 DER", "signedData를 base64 DER로 입력하세요";
    /// A client code is not 12 digits.
    ClientCodeInvalid = -10201082, "Client code must be 12 digits", "이용기관 코드는 12자리 숫자여야 합니다";
    /// A LinkID outside `[A-Za-z0-9_-]{4,32}`.
    LinkIdInvalid = -10201083, "LinkID must be 4 to 32 letters, digits, '_' or '-'", "LinkID는 4~32자의 영문, 숫자, '_', '-'여야 합니다";
    /// A relying party's name is empty or longer than 100 characters.
    RelyingPartyNameInvalid = -10201084, "Relying party name must be 1 to 80 characters", "이용기관 이름은 1~80자여야 합니다";
    /// `reason` longer than 200 characters.
    ReasonTooLong = -10201131, "reason must be at most 200 characters", "사유는 200자 이하여야 합니다";
    /// A field that belongs to another request kind (for example `tokens` on `/v1/sign`).
    FieldNotForKind = -10201141, "A field does not belong to this request kind", "이 요청 종류에서 사용할 수 없는 필드가 있습니다";
    /// `tokenType` missing.
    TokenTypeMissing = -10201033, "tokenType is required", "토큰 유형(tokenType)을 입력하세요";
    /// `tokenType` is not `TEXT`, `HASH`, `PDF` or `URL`.
    TokenTypeInvalid = -10201034, "tokenType must be TEXT, HASH, PDF or URL", "토큰 유형은 TEXT, HASH, PDF, URL 중 하나여야 합니다";
    /// A `HASH` or `PDF` token that is not the base64url SHA-256 (32 bytes) of the document.
    TokenHashInvalid = -10201035, "A HASH or PDF token must be the base64url SHA-256 of the document", "HASH, PDF 토큰은 문서 SHA-256 값의 base64url이어야 합니다";
    /// A `URL` token that is not an `http(s)://` address without spaces.
    TokenUrlInvalid = -10201038, "A URL token must be an http:// or https:// address without spaces", "URL 토큰은 공백 없는 http:// 또는 https:// 주소여야 합니다";
    /// `tokens` missing or empty.
    TokensMissing = -10201036, "tokens is required (1 to 50 documents)", "서명할 문서 목록(tokens)을 입력하세요 (1~50건)";
    /// More than 50 documents.
    TokensTooMany = -10201037, "tokens may hold at most 50 documents", "문서는 최대 50건까지 요청할 수 있습니다";
    /// `callCenterName` longer than 10 characters.
    CallCenterNameTooLong = -10201073, "callCenterName must be at most 10 characters", "고객센터 이름은 10자 이하여야 합니다";
    /// kakaocert: `CallCenterNum` is required there ("O"; the native API defaults it to the relying party's).
    CallCenterNumMissing = -10201074, "callCenterNum is required", "고객센터 전화번호(callCenterNum)를 입력하세요";
    /// `subClientID` outside 1–12 letters, digits, `_` or `-`.
    SubClientIdInvalid = -10201151, "subClientID must be 1 to 12 letters, digits, '_' or '-'", "subClientID는 1~12자의 영문, 숫자, '_', '-'여야 합니다";
    /// An alias's display name empty or longer than 40 characters.
    SubClientNameInvalid = -10201152, "Alias name must be 1 to 80 characters", "별칭 이름은 1~80자여야 합니다";
    /// `payload` longer than 200 characters.
    PayloadTooLong = -10201161, "payload must be at most 200 characters", "payload는 200자 이하여야 합니다";
    /// `appUseYN` is true but `returnURL` is missing.
    ReturnUrlMissing = -10201171, "returnURL is required when appUseYN is true", "앱투앱(appUseYN) 요청에는 returnURL이 필요합니다";
    /// `returnURL` is not an https, http or app-scheme URL of at most 1,000 characters.
    ReturnUrlInvalid = -10201172, "returnURL must be an https, http or app-scheme URL of at most 1000 characters", "returnURL은 1000자 이하의 https, http 또는 앱 스킴 URL이어야 합니다";
    /// `requestCorp` missing.
    RequestCorpMissing = -10201181, "requestCorp is required", "요청기관명(requestCorp)을 입력하세요";
    /// `requestCorp` longer than 100 characters.
    RequestCorpTooLong = -10201182, "requestCorp must be at most 100 characters", "요청기관명은 100자 이하여야 합니다";
    /// `bankName` missing.
    BankNameMissing = -10201183, "bankName is required", "은행명(bankName)을 입력하세요";
    /// `bankName` longer than 100 characters.
    BankNameTooLong = -10201184, "bankName must be at most 100 characters", "은행명은 100자 이하여야 합니다";
    /// `bankAccountNum` missing.
    BankAccountNumMissing = -10201185, "bankAccountNum is required", "계좌번호(bankAccountNum)를 입력하세요";
    /// `bankAccountNum` not digits and `-`, or longer than 31 characters.
    BankAccountNumInvalid = -10201186, "bankAccountNum must be digits and '-', at most 31 characters", "계좌번호는 31자 이하의 숫자와 '-'여야 합니다";
    /// `bankAccountName` missing.
    BankAccountNameMissing = -10201187, "bankAccountName is required", "예금주명(bankAccountName)을 입력하세요";
    /// `bankAccountName` longer than 100 characters.
    BankAccountNameTooLong = -10201188, "bankAccountName must be at most 100 characters", "예금주명은 100자 이하여야 합니다";
    /// `bankAccountBirthday` missing.
    BankAccountBirthdayMissing = -10201189, "bankAccountBirthday is required", "예금주 생년월일(bankAccountBirthday)을 입력하세요";
    /// `bankAccountBirthday` not a valid `YYYYMMDD` date.
    BankAccountBirthdayInvalid = -10201190, "bankAccountBirthday must be a valid YYYYMMDD date", "예금주 생년월일은 올바른 YYYYMMDD 날짜여야 합니다";
    /// `bankServiceType` missing.
    BankServiceTypeMissing = -10201191, "bankServiceType is required", "출금 방식(bankServiceType)을 입력하세요";
    /// `bankServiceType` not `CMS`, `FIRM` or `GIRO`.
    BankServiceTypeInvalid = -10201192, "bankServiceType must be CMS, FIRM or GIRO", "출금 방식은 CMS, FIRM, GIRO 중 하나여야 합니다";
    /// An approve without `bindingCode` although the card offered choices.
    BindingCodeMissing = -10201201, "bindingCode is required", "확인 번호(bindingCode)를 선택하세요";
    /// `multiSignedData` missing, or not one base64 SignedData per document.
    MultiSignedDataInvalid = -10201122, "multiSignedData must hold one base64 SignedData per document", "multiSignedData에는 문서마다 하나의 base64 SignedData가 있어야 합니다";
    /// `Idempotency-Key` header outside 1–64 visible ASCII characters.
    IdempotencyKeyInvalid = -10201211, "Idempotency-Key must be 1 to 64 visible ASCII characters", "Idempotency-Key는 1~64자의 ASCII 문자여야 합니다";
    /// `wait` query parameter not a whole number from 0 to 30.
    WaitInvalid = -10201221, "wait must be a whole number of seconds from 0 to 30", "wait는 0~30 사이의 정수(초)여야 합니다";
    /// A login verify path id that is neither a 40-hex-digit txID nor a receipt id.
    TxIdInvalid = -10201231, "txID must be 40 hexadecimal digits", "txID는 40자리 16진수여야 합니다";
    /// barocert dialect: a field the SDK's `encrypt` should have wrapped does not decrypt with the SecretKey.
    EncryptedFieldInvalid = -10201241, "An encrypted field does not decrypt with the SecretKey (use the SDK's encrypt)", "암호화 필드를 SecretKey로 복호화할 수 없습니다 (SDK의 encrypt를 사용하세요)";
    /// barocert dialect: `x-bc-encryptionmode` names a mode dojang does not accept.
    EncryptionModeUnsupported = -10201251, "x-bc-encryptionmode must be GCM", "x-bc-encryptionmode는 GCM이어야 합니다";
    /// `bankCode` missing (bank-account enrolment).
    BankCodeMissing = -10201261, "bankCode is required", "은행 코드(bankCode)를 입력하세요";
    /// `bankCode` not the 3-digit code of a bank (금융기관 코드, e.g. `004`).
    BankCodeInvalid = -10201262, "bankCode must be the 3-digit bank code, such as 004", "은행 코드는 004와 같은 3자리 숫자여야 합니다";
    /// The word of a 1-won deposit missing, or not 4 Hangul syllables.
    BankWordFormat = -10201271, "word must be the 4 Hangul syllables shown with the 1-won deposit", "1원 입금 시 표시된 한글 4글자를 입력하세요";
    /// `refNum` missing or not the 10-digit reference number (참조번호).
    RefNumFormat = -10201281, "refNum must be the 10-digit reference number", "참조번호는 10자리 숫자여야 합니다";
    /// `authCode` missing or not the 16-digit authorisation code (인가코드).
    AuthCodeFormat = -10201282, "authCode must be the 16-digit authorisation code", "인가코드는 16자리 숫자여야 합니다";
    /// Text shown to the person (title, message, call-centre name, token, document title, name)
    /// holds a control character (C0, C1, DEL) or an invisible formatting character (bidi
    /// override or isolate, zero-width space, …); line feeds and tabs are allowed only in
    /// `extraMessage` and tokens. The detail names the field.
    TextUnsafeCharacter = -10201291, "A text shown to the person contains a control or invisible formatting character (line feeds and tabs only in extraMessage and token)", "사용자에게 표시되는 문구에 제어 문자나 보이지 않는 서식 문자가 있습니다 (줄바꿈과 탭은 extraMessage와 token에만 허용)";

    // 03 — receipts and their state
    /// No such receipt for this relying party (another relying party's receipts are invisible).
    ReceiptNotFound = -10300001, "Receipt not found", "접수 내역을 찾을 수 없습니다";
    /// Verify called while the request is still waiting for the person.
    NotSignedYet = -10300002, "The request has not been signed yet", "아직 서명이 완료되지 않았습니다";
    /// Verify called a second time.
    AlreadyVerified = -10300003, "The request has already been verified", "이미 검증이 완료된 요청입니다";
    /// Verify called after the verify window following signing.
    VerifyWindowPassed = -10300004, "The time allowed for verification has passed", "검증 가능 시간이 지났습니다";
    /// The request expired before the person signed.
    RequestExpired = -10300005, "The request has expired", "요청이 만료되었습니다";
    /// The person declined the request.
    RequestDeclined = -10300006, "The person declined the request", "사용자가 요청을 거절했습니다";
    /// The request failed (for example an invalid signature was submitted).
    RequestFailed = -10300007, "The request failed", "요청 처리에 실패했습니다";
    /// Nobody with a dojang certificate has this phone number and birth date.
    ReceiverNotFound = -10300008, "No certificate holder with this phone number and birth date", "해당 휴대폰번호와 생년월일로 등록된 인증서가 없습니다";
    /// The name does not match the certificate holder's name.
    ReceiverNameMismatch = -10300009, "The name does not match the certificate holder", "성명이 인증서 소유자와 일치하지 않습니다";
    /// `subClientID` names no alias of this relying party.
    SubClientNotFound = -10300010, "subClientID is not registered for this relying party", "등록되지 않은 subClientID입니다";
    /// The person already has a waiting request from this relying party (one at a time).
    RequestInProgress = -10300011, "A request to this person is already in progress", "이 사용자에게 진행 중인 요청이 이미 있습니다";
    /// The person received too many requests recently; see `Retry-After`.
    PersonRateLimited = -10300012, "Too many requests to this person; try again later", "이 사용자에게 요청이 너무 많습니다. 잠시 후 다시 시도하세요";
    /// The `Idempotency-Key` was used within 10 minutes with a different body.
    IdempotencyKeyReused = -10300013, "Idempotency-Key was already used with a different body", "같은 Idempotency-Key가 다른 요청 본문에 이미 사용되었습니다";
    /// Cancel on a request that is no longer waiting.
    NotCancellable = -10300014, "Only a waiting request can be cancelled", "대기 중인 요청만 취소할 수 있습니다";
    /// Verify on a request the relying party cancelled.
    RequestCancelled = -10300015, "The request was cancelled by the relying party", "이용기관이 요청을 취소했습니다";
    /// The hosted login's one-time code is unknown, was already exchanged, expired, or was
    /// issued to another relying party.
    LoginCodeInvalid = -10300016, "The login code is unknown, already used or expired", "로그인 코드가 없거나 이미 사용되었거나 만료되었습니다";
    /// The relying party has not registered where the hosted login may send browsers back.
    LoginPageNotRegistered = -10300017, "This relying party has not registered a return URL for the hosted login", "이 이용기관은 로그인 페이지의 복귀 주소를 등록하지 않았습니다";
    /// The person did not accept the notice about giving personal information to the relying party.
    ConsentRequired = -10300018, "You must agree to the notice on giving personal information to continue", "개인정보 제3자 제공에 동의해야 계속할 수 있습니다";
    /// The hosted login's `state` parameter is longer than 256 characters or not printable ASCII.
    LoginStateInvalid = -10300019, "The state parameter must be at most 256 printable ASCII characters", "state 값은 256자 이하의 출력 가능한 ASCII 문자여야 합니다";
    /// The browser's hosted-login session is unknown, expired or belongs to another browser.
    LoginSessionInvalid = -10300020, "This login has ended or belongs to another browser; start again", "로그인 세션이 끝났거나 다른 브라우저의 세션입니다. 처음부터 다시 시작하세요";
    /// The hosted login refused for a while: too many attempts that named nobody it could send
    /// a request to, for this phone number or from this address (issue 14 #1); see `Retry-After`.
    LoginThrottled = -10300021, "Too many failed attempts for this phone number or from this address; try again later", "이 휴대폰번호나 이 주소에서 실패한 시도가 너무 많습니다. 잠시 후 다시 시도하세요";
    /// A signed create call was received before (its exact signature, within the date window):
    /// a replay. Sign the call again (a new date) to make a new request; a repeat carrying the
    /// first call's `Idempotency-Key` answers the first receipt instead.
    RequestReplayed = -10300030, "This signed request was already received; sign it again with a new date to make a new request", "이미 받은 서명 요청입니다. 새 요청은 새 날짜로 다시 서명해 보내세요";

    // 04 — devices and enrolment
    /// No device credential on a device API call.
    DeviceAuthMissing = -10400001, "Device credential is missing", "기기 인증 정보가 없습니다";
    /// The device credential is unknown, malformed or revoked.
    DeviceAuthInvalid = -10400002, "Device credential is not valid", "기기 인증 정보가 올바르지 않습니다";
    /// No such enrolment.
    EnrolmentNotFound = -10400011, "Enrolment not found", "등록 요청을 찾을 수 없습니다";
    /// The one-time code expired.
    EnrolmentExpired = -10400012, "The one-time code has expired", "인증번호가 만료되었습니다";
    /// Wrong one-time code; the message says how many tries are left.
    OtpWrong = -10400013, "The one-time code is wrong", "인증번호가 올바르지 않습니다";
    /// Five wrong codes: this enrolment is locked; start again.
    OtpTooManyAttempts = -10400014, "Too many wrong codes; start the enrolment again", "인증번호를 너무 많이 틀렸습니다. 처음부터 다시 시도하세요";
    /// The enrolment was already completed.
    EnrolmentCompleted = -10400015, "The enrolment was already completed", "이미 완료된 등록 요청입니다";
    /// Too many enrolments started for this phone recently.
    EnrolmentRateLimited = -10400016, "Too many enrolment attempts for this phone; try again later", "이 휴대폰번호로 등록 시도가 너무 많습니다. 잠시 후 다시 시도하세요";
    /// A member with this phone and birth date is registered under another name.
    MemberNameMismatch = -10400017, "This phone and birth date are registered under another name", "이 휴대폰번호와 생년월일은 다른 성명으로 등록되어 있습니다";
    /// Too many wrong one-time codes from this address, for this phone number, or across the
    /// server in the last minute (issue 14 #2); see `Retry-After`.
    OtpRateLimited = -10400018, "Too many wrong one-time codes; try again later", "인증번호를 너무 많이 틀렸습니다. 잠시 후 다시 시도하세요";
    /// The CSR is not a parseable PKCS#10 request.
    CsrMalformed = -10400021, "The CSR is malformed", "인증서 서명 요청(CSR) 형식이 올바르지 않습니다";
    /// The CSR is larger than allowed.
    CsrTooLarge = -10400022, "The CSR is too large", "인증서 서명 요청(CSR)이 너무 큽니다";
    /// The CSR's key is not an ECDSA P-256 key.
    CsrKeyType = -10400023, "The CSR key must be ECDSA P-256", "인증서 서명 요청(CSR)의 키는 ECDSA P-256이어야 합니다";
    /// The CSR's self-signature does not verify.
    CsrSignature = -10400024, "The CSR signature is not valid", "인증서 서명 요청(CSR)의 서명이 올바르지 않습니다";
    /// The CSR's subject names someone else.
    CsrSubjectMismatch = -10400025, "The CSR subject does not match the enrolled name", "인증서 서명 요청(CSR)의 주체가 등록 성명과 다릅니다";
    /// The request is not addressed to this device's holder, or no longer exists.
    DeviceRequestNotFound = -10400031, "No such request for this device", "이 기기에 해당하는 요청이 없습니다";
    /// The request is no longer waiting (already signed, declined, failed or withdrawn).
    RequestNotWaiting = -10400032, "The request is no longer waiting", "대기 중인 요청이 아닙니다";
    /// The person picked a binding code other than the relying party's: the request is declined.
    BindingCodeMismatch = -10400033, "The picked code does not match; the request was declined", "선택한 확인 번호가 일치하지 않아 요청이 거절되었습니다";
    /// The PIN proof is wrong; the message says how many tries are left.
    PinWrong = -10400061, "The PIN is wrong", "PIN이 올바르지 않습니다";
    /// Too many wrong PINs: the device is locked and its certificate revoked.
    DeviceLocked = -10400062, "Too many wrong PINs: this device is locked and its certificate revoked; issue a new certificate", "PIN을 여러 번 틀려 이 기기가 잠기고 인증서가 폐지되었습니다. 인증서를 다시 발급받으세요";
    /// The device registered no PIN check (an app from before PIN hardening).
    PinNotRegistered = -10400063, "This device has no PIN check on the server", "이 기기에는 서버에 등록된 PIN 확인 정보가 없습니다";
    /// Renewal asked for before the certificate's last 30 days.
    RenewalTooEarly = -10400064, "The certificate can be renewed only in its last 30 days", "인증서는 만료 30일 전부터 갱신할 수 있습니다";
    /// Renewal of a certificate that is revoked or expired: issue a new one instead.
    RenewalNotPossible = -10400065, "This certificate is revoked or expired: issue a new certificate", "폐지되었거나 만료된 인증서는 갱신할 수 없습니다. 인증서를 새로 발급받으세요";
    /// Wrong word from the 1-won deposit; the message says how many tries are left.
    BankWordWrong = -10400041, "The word is wrong", "입금자명 단어가 올바르지 않습니다";
    /// Three wrong words: this account check is locked; start again.
    BankWordTooManyAttempts = -10400042, "Too many wrong words; start the account check again", "단어를 너무 많이 틀렸습니다. 계좌 인증을 처음부터 다시 시도하세요";
    /// The word of the 1-won deposit expired (10 minutes).
    BankCheckExpired = -10400043, "The word has expired; start the account check again", "단어의 유효 시간이 지났습니다. 계좌 인증을 처음부터 다시 시도하세요";
    /// The bank gateway refused the account: unknown, closed, or not held by the named person.
    BankAccountRefused = -10400044, "The bank refused the account (unknown, closed, or not held by this person)", "은행이 계좌를 확인하지 못했습니다 (없는 계좌, 해지된 계좌 또는 본인 명의가 아닌 계좌)";
    /// Too many account checks for this phone number or this account recently.
    BankCheckRateLimited = -10400045, "Too many account checks for this phone or account; try again later", "이 휴대폰번호나 계좌로 계좌 인증을 너무 많이 시도했습니다. 잠시 후 다시 시도하세요";
    /// No registration-desk code has this reference number.
    RaNotFound = -10400051, "No such reference number", "참조번호를 찾을 수 없습니다";
    /// Wrong authorisation code; the message says how many tries are left.
    RaCodeWrong = -10400052, "The authorisation code is wrong", "인가코드가 올바르지 않습니다";
    /// Five wrong tries: the reference number is burnt; the desk must issue a new one.
    RaTooManyAttempts = -10400053, "Too many wrong tries; the reference number can no longer be used (ask the registration desk for a new one)", "너무 많이 틀려 이 참조번호는 더 이상 쓸 수 없습니다. 등록 창구에서 새로 발급받으세요";
    /// The reference number's 7 days are over.
    RaExpired = -10400054, "The reference number has expired (ask the registration desk for a new one)", "참조번호의 유효 기간이 지났습니다. 등록 창구에서 새로 발급받으세요";
    /// The reference number was used for a certificate already (single use).
    RaUsed = -10400055, "The reference number was already used", "이미 사용된 참조번호입니다";
    /// The operator cancelled the reference number.
    RaCancelled = -10400056, "The reference number was cancelled", "취소된 참조번호입니다";
    /// The name, phone or birth date are not those the desk issued the reference number for.
    RaPersonMismatch = -10400057, "The name, phone number or birth date do not match the reference number", "성명, 휴대폰번호 또는 생년월일이 참조번호의 정보와 다릅니다";

    // 05 — signatures submitted by a device
    /// `signedData` is not a parseable CMS SignedData.
    SignedDataMalformed = -10500001, "signedData is not a valid CMS SignedData", "signedData가 올바른 CMS SignedData가 아닙니다";
    /// The SignedData uses an algorithm or structure dojang does not accept.
    SignatureUnsupported = -10500002, "signedData uses an unsupported algorithm or structure", "signedData가 지원하지 않는 알고리즘이나 구조를 사용합니다";
    /// The signature (or its message digest) does not verify.
    SignatureInvalid = -10500003, "The signature is not valid", "서명이 올바르지 않습니다";
    /// The signed content is not the relying party's token.
    ContentMismatch = -10500004, "The signed content is not the requested token", "서명된 내용이 요청한 토큰과 다릅니다";
    /// The signer certificate is missing or does not chain to the dojang CA.
    SignerUntrusted = -10500005, "The signer certificate is not trusted", "서명자 인증서를 신뢰할 수 없습니다";
    /// The signer certificate is expired or not yet valid.
    SignerCertificateExpired = -10500006, "The signer certificate is expired or not yet valid", "서명자 인증서가 만료되었거나 아직 유효하지 않습니다";
    /// The signer certificate is not an active certificate of the person the request named.
    SignerNotReceiver = -10500007, "The signer certificate does not belong to the receiver", "서명자 인증서가 요청 대상자의 것이 아닙니다";
    /// The signing time is outside the request's lifetime.
    SigningTimeOutOfRange = -10500008, "The signing time is outside the request's lifetime", "서명 시각이 요청 유효 기간을 벗어났습니다";
    /// The signer certificate was revoked (superseded, reported lost, or by the operator).
    SignerCertificateRevoked = -10500009, "The signer certificate has been revoked", "서명자 인증서가 폐지되었습니다";
    /// The request said `allowSimpleRegistYN = false` and the signer certificate was issued on an SMS check alone (or before dojang recorded proofs): refused, the request keeps waiting.
    CertificateProofTooWeak = -10500010, "This request needs a certificate issued with a bank-account check or at a registration desk (isAllowSimpleRegistYN = false); re-issue yours with a bank-account check and approve again", "이 요청은 계좌 인증 또는 등록 창구에서 발급한 인증서가 필요합니다 (isAllowSimpleRegistYN = false). 계좌 인증으로 인증서를 재발급한 뒤 다시 승인하세요";
    /// The request said `isVerifyNameYN = true` and the signer certificate's name was never checked against a real-name record (an SMS check proves a phone, not a name): refused, the request keeps waiting.
    NameNotVerified = -10500011, "This request asks for a verified real name (isVerifyNameYN = true) and this certificate's name was not verified; re-issue it with a bank-account check and approve again", "이 요청은 실명이 확인된 인증서가 필요합니다 (isVerifyNameYN = true). 이 인증서의 성명은 실명 확인되지 않았습니다. 계좌 인증으로 재발급한 뒤 다시 승인하세요";
    /// The signature was made with a sandbox certificate (the test console's virtual
    /// authenticator, issued by the sandbox CA) for a relying party that is not a test party:
    /// refused by approval and by every verify, in every dialect (issue 14 #8).
    SandboxCertificate = -10500012, "This signature was made with a test-console sandbox certificate, which only relying parties marked as test parties accept", "테스트 콘솔 샌드박스 인증서로 만든 서명입니다. 테스트 이용기관으로 지정된 이용기관만 받을 수 있습니다";

    // 06 — the cloud certificate (issue 15)
    /// The server has no PKCS#11 token configured, so it cannot keep cloud certificates' keys.
    CloudHsmMissing = -10600001, "Cloud certificates need an HSM (`[hsm]` in the configuration)", "클라우드 인증서를 쓰려면 HSM이 필요합니다 (설정의 `[hsm]`)";
    /// `publishableKey` is not a key an operator registered (`dojang admin rp cloud set`).
    CloudPublishableKeyUnknown = -10600002, "Unknown publishable key", "등록되지 않은 publishable key입니다";
    /// `browserKey` is missing or not the base64url SPKI DER of an ECDSA P-256 public key.
    CloudBrowserKeyInvalid = -10600003, "browserKey must be the base64url SPKI of a WebCrypto ECDSA P-256 public key", "browserKey는 WebCrypto ECDSA P-256 공개키의 SPKI(base64url)여야 합니다";
    /// `label` is empty, longer than 64 characters, or holds control characters.
    CloudLabelInvalid = -10600004, "label must be 1 to 64 characters without control characters", "label은 제어 문자 없이 1~64자여야 합니다";
    /// `browserId`, `challenge` or `signature` is missing.
    CloudBrowserProofMissing = -10600005, "This call needs browserId, challenge and signature (a registered browser's proof)", "이 호출에는 browserId, challenge, signature(등록된 브라우저의 증명)가 필요합니다";
    /// The browser is unknown or was removed: it must register again with a fresh SMS code.
    CloudBrowserUnknown = -10600006, "This browser is not registered (or was removed); register it with a fresh SMS code", "등록되지 않았거나 삭제된 브라우저입니다. SMS 인증으로 다시 등록하세요";
    /// The challenge is unknown, used, expired, or was issued to another browser.
    CloudChallengeInvalid = -10600007, "The challenge is unknown, already used, expired, or not this browser's; ask for a new one", "챌린지가 없거나 이미 사용되었거나 만료되었거나 이 브라우저의 것이 아닙니다. 새로 받으세요";
    /// The browser's signature over the challenge does not verify with its registered key.
    CloudBrowserSignatureInvalid = -10600008, "The browser's signature does not verify", "브라우저 서명이 올바르지 않습니다";
    /// The PIN is not exactly 6 digits.
    CloudPinFormat = -10600009, "The PIN must be exactly 6 digits", "PIN은 숫자 6자리여야 합니다";
    /// The new PIN is trivial: one digit six times, 123456 or 654321.
    CloudPinTrivial = -10600010, "This PIN is too easy to guess (one digit repeated, 123456 or 654321); choose another", "추측하기 쉬운 PIN입니다 (같은 숫자 반복, 123456, 654321). 다른 PIN을 정하세요";
    /// A wrong PIN, counted: the 5th in a row locks the cloud certificate.
    CloudPinWrong = -10600011, "The PIN is wrong; the 5th wrong PIN in a row locks the certificate", "PIN이 올바르지 않습니다. 연속 5회 틀리면 인증서가 잠깁니다";
    /// The cloud certificate is locked after 5 wrong PINs (not revoked): reset the PIN.
    CloudLocked = -10600012, "The cloud certificate is locked after 5 wrong PINs; reset the PIN with a fresh SMS code", "PIN을 5회 틀려 클라우드 인증서가 잠겼습니다. SMS 인증 후 PIN을 재설정하세요";
    /// The cloud certificate was revoked (by its holder, by renewal, or by the operator).
    CloudRevoked = -10600013, "The cloud certificate has been revoked; issue a new one", "클라우드 인증서가 폐지되었습니다. 새로 발급받으세요";
    /// The cloud certificate is past its validity.
    CloudExpired = -10600014, "The cloud certificate has expired; issue a new one", "클라우드 인증서가 만료되었습니다. 새로 발급받으세요";
    /// A cloud certificate has at most 10 registered browsers.
    CloudTooManyBrowsers = -10600015, "At most 10 browsers may be registered; remove one first", "브라우저는 최대 10개까지 등록할 수 있습니다. 먼저 하나를 삭제하세요";
    /// Renewal is open only in the last 30 days of validity.
    CloudNotRenewable = -10600016, "The cloud certificate can be renewed only in its last 30 days", "클라우드 인증서는 만료 30일 전부터 갱신할 수 있습니다";
    /// The one-time code is unknown, used, expired, or belongs to another relying party.
    CloudCodeInvalid = -10600017, "The code is unknown, already used, expired, or not yours", "코드가 없거나 이미 사용되었거나 만료되었거나 이용기관의 것이 아닙니다";
    /// The alternative-authentication transaction is unknown, used, expired, its permission
    /// code is wrong, or it belongs to another relying party.
    CloudAltInvalid = -10600018, "The alternative-authentication txId or permissionCode is unknown, used, expired, wrong, or of another relying party", "대체인증 txId 또는 permissionCode가 없거나 사용되었거나 만료되었거나 틀렸거나 다른 이용기관의 것입니다";
    /// `kind` of a cloud sign call is not `identity`, `sign` or `multi-sign`.
    CloudKindInvalid = -10600019, "kind must be identity, sign or multi-sign", "kind는 identity, sign, multi-sign 중 하나여야 합니다";
    /// `documents` of a cloud sign call is missing, empty, or longer than 20 (identity and
    /// sign take exactly one).
    CloudDocumentsInvalid = -10600020, "documents must hold 1 to 20 documents (exactly one for identity and sign)", "documents에는 문서가 1~20개 있어야 합니다 (identity와 sign은 정확히 1개)";
    /// `simpleAuthToken` or `sign` without a publishable key.
    CloudPublishableKeyMissing = -10600021, "This call needs a publishableKey", "이 호출에는 publishableKey가 필요합니다";
    /// The SMS proof id is unknown, or was made for another purpose.
    CloudProofNotFound = -10600022, "No such proof; start again", "인증 요청을 찾을 수 없습니다. 처음부터 다시 시도하세요";
    /// The person proved by SMS holds no active or locked cloud certificate.
    CloudNoCertificate = -10600023, "This person holds no cloud certificate; issue one", "클라우드 인증서가 없습니다. 먼저 발급받으세요";
    /// Too many failed browser proofs or PINs from this address: wait.
    CloudRateLimited = -10600024, "Too many failed attempts from this address; try again later", "이 주소에서 실패한 시도가 너무 많습니다. 잠시 후 다시 시도하세요";
    /// An origin given to `dojang admin rp cloud set` is not `https://host[:port]` (or
    /// `http://localhost`/`127.0.0.1` for development).
    CloudOriginInvalid = -10600025, "An origin is https://host[:port] (http only for localhost)", "origin은 https://host[:port] 형식이어야 합니다 (http는 localhost만)";
    /// A stylesheet given to `dojang admin rp cloud set` is not an `https://` URL on one of the
    /// party's origins.
    CloudStylesheetInvalid = -10600026, "A stylesheet must be a URL on one of the registered origins", "스타일시트는 등록된 origin의 URL이어야 합니다";
    /// The new PIN equals the current one.
    CloudPinUnchanged = -10600027, "The new PIN is the same as the current one", "새 PIN이 현재 PIN과 같습니다";
    /// The number typed on the registered browser is not the one the new browser shows: the
    /// ask is declined (ask again from the new browser).
    CloudAskNumberWrong = -10600028, "That is not the number the new browser shows; the request was declined, ask again from the new browser", "새 브라우저에 보이는 숫자가 아닙니다. 요청이 거절되었으니 새 브라우저에서 다시 요청하세요";
    /// The ask was answered already, expired, or is not for this certificate.
    CloudAskClosed = -10600029, "This registration request was answered already or has expired", "이미 처리되었거나 만료된 등록 요청입니다";
    /// The ask id is unknown.
    CloudAskNotFound = -10600030, "No such registration request", "등록 요청을 찾을 수 없습니다";
    /// Three asks are open for this person already (or this address asked too often): wait.
    CloudAskRateLimited = -10600031, "Too many open registration requests; wait a few minutes", "열린 등록 요청이 너무 많습니다. 몇 분 뒤 다시 시도하세요";

    // 07 — the phone app and push (issue 16: -107000[0-4]x push, -107000[5-9]x the app)
    /// A browser's push WebSocket offered its credential as a `dojang.bearer.…` subprotocol
    /// without also offering `dojang.device.v1`.
    PushSubprotocolMissing = -10700050, "A browser's push WebSocket must offer the subprotocol dojang.device.v1 next to its dojang.bearer.<credential>", "브라우저의 push WebSocket은 dojang.bearer.<인증정보>와 함께 dojang.device.v1 서브프로토콜을 제시해야 합니다";

    // 07 — push to phones (issue 16; -10700050… belong to the app)
    /// `GET /device/v1/push/vapid` on a server without `[push] webpush = true`.
    PushNotConfigured = -10700001, "Web Push is not configured on this server; the app receives requests while it is open", "이 서버는 웹 푸시를 설정하지 않았습니다. 앱을 열어 두면 요청을 받을 수 있습니다";
    /// A subscription of a kind the operator did not configure.
    PushKindNotConfigured = -10700002, "This server does not send this kind of push", "이 서버는 이 종류의 푸시를 보내지 않습니다";
    /// `kind` missing or not one of the three.
    PushKindInvalid = -10700003, "kind must be webpush, fcm or apns", "kind는 webpush, fcm, apns 중 하나여야 합니다";
    /// A Web Push endpoint that is missing, not a URL, or not https.
    PushEndpointInvalid = -10700004, "endpoint must be the https:// URL of a push service", "endpoint는 푸시 서비스의 https:// URL이어야 합니다";
    /// `keys.p256dh` / `keys.auth` missing or malformed.
    PushKeysInvalid = -10700005, "keys must hold p256dh (base64url of a 65-byte P-256 point) and auth (base64url of 16 bytes)", "keys에는 p256dh(65바이트 P-256 점의 base64url)와 auth(16바이트의 base64url)가 있어야 합니다";
    /// An FCM or APNs token missing or malformed.
    PushTokenInvalid = -10700006, "token must be an FCM registration token (1 to 4096 characters) or an APNs device token (64 hex digits)", "token은 FCM 등록 토큰(1~4096자) 또는 APNs 기기 토큰(16진수 64자리)이어야 합니다";

    // 07 — biometric unlock of the phone app (issue 16; -10700020…-10700039)
    /// `credentialId` missing, not base64url, or not 1 to 1023 bytes.
    BiometricCredentialIdInvalid = -10700020, "credentialId must be the base64url of 1 to 1023 bytes", "credentialId는 1~1023바이트의 base64url이어야 합니다";
    /// `publicKey` missing or not the DER SubjectPublicKeyInfo of a P-256 key.
    BiometricPublicKeyInvalid = -10700021, "publicKey must be the base64 DER SubjectPublicKeyInfo of a P-256 (ES256) key", "publicKey는 P-256(ES256) 키의 DER SubjectPublicKeyInfo를 base64로 보내야 합니다";
    /// A biometric registration without the PIN proof.
    BiometricPinProofMissing = -10700022, "Turning biometrics on needs the PIN proof", "생체인증을 켜려면 PIN 확인이 필요합니다";
    /// This device has no biometric credential (never registered, turned off, or forgotten by a lock).
    BiometricNotRegistered = -10700023, "Biometrics are not turned on for this device", "이 기기에는 생체인증이 켜져 있지 않습니다";
    /// `authenticatorData`, `clientDataJSON` or `signature` missing, not base64url, or of an impossible length or form.
    BiometricAssertionMalformed = -10700024, "authenticatorData, clientDataJSON and signature must be the base64url of a WebAuthn assertion", "authenticatorData, clientDataJSON, signature는 WebAuthn 어설션의 base64url이어야 합니다";
    /// The assertion's challenge was never issued (or was forgotten).
    BiometricChallengeUnknown = -10700025, "Unknown biometric challenge; ask for a new one", "알 수 없는 생체인증 챌린지입니다. 새로 요청하세요";
    /// The challenge was used already (a replayed assertion).
    BiometricChallengeUsed = -10700026, "This biometric challenge was used already; ask for a new one", "이미 사용한 생체인증 챌린지입니다. 새로 요청하세요";
    /// The challenge expired.
    BiometricChallengeExpired = -10700027, "The biometric challenge expired; ask for a new one", "생체인증 챌린지가 만료되었습니다. 새로 요청하세요";
    /// The challenge was issued to another device.
    BiometricChallengeOtherDevice = -10700028, "This biometric challenge was issued to another device", "다른 기기에 발급된 생체인증 챌린지입니다";
    /// The assertion is not of this device's registered credential.
    BiometricCredentialUnknown = -10700029, "This is not the biometric credential registered for this device", "이 기기에 등록된 생체인증 자격 증명이 아닙니다";
    /// clientDataJSON is not JSON or its type is not `webauthn.get`.
    BiometricClientDataInvalid = -10700030, "clientDataJSON must be the JSON of a webauthn.get ceremony", "clientDataJSON은 webauthn.get 절차의 JSON이어야 합니다";
    /// clientDataJSON's origin is not this server's public origin.
    BiometricOriginMismatch = -10700031, "The assertion was made for another origin", "다른 출처(origin)에서 만든 어설션입니다";
    /// authenticatorData's rpIdHash is not SHA-256 of this server's relying-party id.
    BiometricRpIdMismatch = -10700032, "The assertion was made for another relying party id", "다른 RP ID로 만든 어설션입니다";
    /// The authenticator did not report user presence and user verification (UP and UV).
    BiometricUserNotVerified = -10700033, "The authenticator did not verify the person (UV)", "인증 장치가 사용자를 확인하지 않았습니다(UV)";
    /// The signature does not verify with the registered public key.
    BiometricSignatureInvalid = -10700034, "The biometric assertion's signature does not verify", "생체인증 어설션의 서명이 올바르지 않습니다";
    /// The authenticator's signature counter did not increase: a cloned authenticator.
    BiometricCounterRegressed = -10700035, "The authenticator's signature counter went backwards", "인증 장치의 서명 카운터가 뒤로 갔습니다";

    // 09 — the server itself
    /// An unexpected failure; the server logged the cause.
    Internal = -10900001, "Internal server error", "서버 내부 오류가 발생했습니다";
    /// No such path.
    RouteNotFound = -10900002, "No such endpoint", "존재하지 않는 경로입니다";
    /// The path exists but not with this method.
    MethodNotAllowed = -10900003, "Method not allowed on this endpoint", "이 경로에서 허용되지 않는 메서드입니다";
    /// The server is shutting down or the database is unavailable.
    Unavailable = -10900004, "Service temporarily unavailable", "일시적으로 서비스를 이용할 수 없습니다";
}

/// The OpenAPI schema of [`ErrorBody`], written by hand so that `code` is the enumeration of the
/// whole catalogue, each code listed with its name and English message.
#[cfg(feature = "openapi")]
mod openapi {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

    use super::{ErrorBody, ErrorCode};

    impl utoipa::PartialSchema for ErrorBody {
        fn schema() -> RefOr<Schema> {
            let list: String = ErrorCode::ALL
                .iter()
                .map(|c| format!("\n* `{}` `{}`: {}", c.code(), c.name(), c.message_en()))
                .collect();
            let code = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.code())))
                .description(Some(format!(
                    "A negative 8-digit code from the catalogue (docs/errors.md):\n{list}"
                )));
            let message = ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "A human-readable message: English, or Korean when `Accept-Language` starts \
                 with `ko`; some carry a detail in parentheses.",
                ));
            ObjectBuilder::new()
                .description(Some(
                    "The body of every error answer: `{\"code\": -10300001, \"message\": \"…\"}`.",
                ))
                .property("code", code)
                .required("code")
                .property("message", message)
                .required("message")
                .into()
        }
    }

    impl utoipa::ToSchema for ErrorBody {}
}

impl ErrorCode {
    /// Look a code up by its wire number.
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// The message in the language asked for: Korean when `lang` starts with `ko`.
    pub fn message(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.message_en(),
            Lang::Ko => self.message_ko(),
        }
    }

    /// The error body with this code's message.
    pub fn body(self, lang: Lang) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.message(lang).to_owned(),
        }
    }
}

/// The language of error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Korean, chosen by an `Accept-Language` starting with `ko`.
    Ko,
}

impl Lang {
    /// Pick the language from an `Accept-Language` header value: the first listed tag wins.
    pub fn from_accept_language(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.trim_start().to_ascii_lowercase().starts_with("ko") => Lang::Ko,
            _ => Lang::En,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_negative_eight_digit_numbers() {
        let mut seen = HashSet::new();
        for c in ErrorCode::ALL {
            let n = c.code();
            assert!((-19_999_999..=-10_000_000).contains(&n), "{c:?} = {n}");
            assert!(seen.insert(n), "duplicate code {n}");
            assert!(!c.message_en().is_empty() && !c.message_ko().is_empty());
            assert_eq!(ErrorCode::from_code(n), Some(*c));
        }
    }

    #[test]
    fn accept_language_picks_korean_only_when_asked() {
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("ko-KR,ko;q=0.9")), Lang::Ko);
        assert_eq!(Lang::from_accept_language(Some("en-US,ko;q=0.5")), Lang::En);
    }
}
