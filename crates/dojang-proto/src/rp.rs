//! The native relying-party API v1 (JSON). See `docs/api.md` for the narrative.
//!
//! Every request kind (identity verification, e-signature, multi-document signing, direct-debit
//! consent, simple login) is created with the same body type, [`CreateRequest`]: each kind
//! uses the fields its documentation names and the server refuses the others. Every field is
//! optional here so that a missing one reaches the server's validation and gets its own error
//! code instead of a generic JSON error.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::datetime::{kst, kst_option};

/// The kinds of request, with the path segment each lives under (`/v1/{kind}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Identity verification (본인인증): the person signs a one-time token.
    Identity,
    /// E-signature (전자서명) of one text, hash or PDF hash.
    Sign,
    /// Several documents signed with one PIN entry (다건 전자서명).
    MultiSign,
    /// Direct-debit consent (출금동의).
    DebitConsent,
    /// Simple login (간편로그인).
    Login,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Identity,
        Kind::Sign,
        Kind::MultiSign,
        Kind::DebitConsent,
        Kind::Login,
    ];

    /// The path segment and the name on the wire: `identity`, `sign`, `multi-sign`,
    /// `debit-consent`, `login`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Identity => "identity",
            Kind::Sign => "sign",
            Kind::MultiSign => "multi-sign",
            Kind::DebitConsent => "debit-consent",
            Kind::Login => "login",
        }
    }

    /// From the path segment.
    pub fn from_segment(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the app shows a token and what it means.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TokenType {
    /// Text shown to the person in full (≤ 2,800 characters).
    Text,
    /// base64url SHA-256 of a document the relying party holds; the app shows the title and
    /// the hash.
    Hash,
    /// Like `HASH`, for a PDF document.
    Pdf,
    /// A web address (`http(s)://…`, ≤ 2,800 characters) the app shows as a link to open; the
    /// address itself is what is signed (PASS's `URL`).
    Url,
}

impl TokenType {
    /// `TEXT`, `HASH`, `PDF` or `URL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenType::Text => "TEXT",
            TokenType::Hash => "HASH",
            TokenType::Pdf => "PDF",
            TokenType::Url => "URL",
        }
    }

    /// From the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "TEXT" => Some(TokenType::Text),
            "HASH" => Some(TokenType::Hash),
            "PDF" => Some(TokenType::Pdf),
            "URL" => Some(TokenType::Url),
            _ => None,
        }
    }
}

/// One document of a multi-document signing request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenItem {
    /// The document's title (≤ 40 characters); `reqTitle` is accepted as an alias.
    #[serde(alias = "reqTitle", skip_serializing_if = "Option::is_none")]
    pub sign_title: Option<String>,
    /// `TEXT`, `HASH` or `PDF`; defaults to the request's `tokenType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<TokenType>))]
    pub token_type: Option<String>,
    /// The text, or the base64url SHA-256 of the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub token: Option<String>,
}

impl TokenItem {
    /// A document with every field set.
    pub fn new(title: impl Into<String>, token_type: TokenType, token: impl Into<String>) -> Self {
        Self {
            sign_title: Some(title.into()),
            token_type: Some(token_type.as_str().to_owned()),
            token: Some(token.into()),
        }
    }
}

/// The body of every create call: `POST /v1/identity`, `/v1/sign`, `/v1/multi-sign`,
/// `/v1/debit-consent` and `/v1/login`. See docs/api.md for which kind needs which field.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    /// The person's name as the relying party knows it (≤ 80 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 80, examples("홍길동"))
    )]
    pub receiver_name: Option<String>,
    /// Mobile number, 10–11 digits, no separators.
    #[serde(rename = "receiverHP", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[0-9]{10,11}$", examples("01012345678"))
    )]
    pub receiver_hp: Option<String>,
    /// Birth date, `YYYYMMDD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[0-9]{8}$", examples("19900101"))
    )]
    pub receiver_birthday: Option<String>,
    /// The text the app signs: a one-time value (identity, login) or the document (sign).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub token: Option<String>,
    /// `TEXT`, `HASH` or `PDF` (sign; the default type of multi-sign documents).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<TokenType>))]
    pub token_type: Option<String>,
    /// The documents of a multi-sign request (1–50).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub tokens: Option<Vec<TokenItem>>,
    /// The title on the person's app (≤ 40 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub req_title: Option<String>,
    /// The title of a sign request (≤ 40); `reqTitle` is accepted instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub sign_title: Option<String>,
    /// A message shown at the top of the card (≤ 500 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub extra_message: Option<String>,
    /// Seconds the person has to answer (1 up to the server's maximum, 1000 by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, examples(300)))]
    pub expire_in: Option<i64>,
    /// The call-centre number shown to the person (≤ 20); defaults to the registered one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 20))]
    pub call_center_num: Option<String>,
    /// The call-centre name shown to the person (≤ 10); defaults to "<name> 고객센터".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 10))]
    pub call_center_name: Option<String>,
    /// An alias the operator registered for this relying party (≤ 12), shown as the requester.
    #[serde(rename = "subClientID", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,12}$"))]
    pub sub_client_id: Option<String>,
    /// A memo returned as is by status (≤ 200 characters). Put no personal data here.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub payload: Option<String>,
    /// When the person has no certificate yet: `true` lets them get one by phone check alone,
    /// `false` (the default) requires the bank-account check.
    #[serde(
        rename = "allowSimpleRegistYN",
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_simple_regist_yn: Option<bool>,
    /// `true` (the default): the name must match the certificate holder's exactly. `false`:
    /// the person is found by phone and birth date and the result reports their real name.
    #[serde(rename = "verifyNameYN", skip_serializing_if = "Option::is_none")]
    pub verify_name_yn: Option<bool>,
    /// `true`: app-to-app on the same phone (the answer carries a `scheme` URL that opens the
    /// app) instead of a push.
    #[serde(rename = "appUseYN", skip_serializing_if = "Option::is_none")]
    pub app_use_yn: Option<bool>,
    /// Where the app returns after an app-to-app answer (≤ 1,000; `https://` or an app scheme).
    #[serde(rename = "returnURL", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub return_url: Option<String>,
    /// Debit consent: the corporation that will withdraw (≤ 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub request_corp: Option<String>,
    /// Debit consent: the bank's name (≤ 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub bank_name: Option<String>,
    /// Debit consent: the account number (≤ 31; digits and `-`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9-]{1,31}$"))]
    pub bank_account_num: Option<String>,
    /// Debit consent: the account holder's name (≤ 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub bank_account_name: Option<String>,
    /// Debit consent: the account holder's birth date, `YYYYMMDD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{8}$"))]
    pub bank_account_birthday: Option<String>,
    /// Debit consent: `CMS`, `FIRM` or `GIRO`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(CMS|FIRM|GIRO)$"))]
    pub bank_service_type: Option<String>,
}

/// The body of `POST /v1/identity`: the same shape as every create call.
pub type IdentityRequest = CreateRequest;

impl CreateRequest {
    fn person(
        receiver_name: impl Into<String>,
        receiver_hp: impl Into<String>,
        receiver_birthday: impl Into<String>,
        expire_in: i64,
    ) -> Self {
        Self {
            receiver_name: Some(receiver_name.into()),
            receiver_hp: Some(receiver_hp.into()),
            receiver_birthday: Some(receiver_birthday.into()),
            expire_in: Some(expire_in),
            ..Self::default()
        }
    }

    /// An identity verification with every required field set.
    pub fn new(
        receiver_name: impl Into<String>,
        receiver_hp: impl Into<String>,
        receiver_birthday: impl Into<String>,
        token: impl Into<String>,
        req_title: impl Into<String>,
        expire_in: i64,
    ) -> Self {
        Self {
            token: Some(token.into()),
            req_title: Some(req_title.into()),
            ..Self::person(receiver_name, receiver_hp, receiver_birthday, expire_in)
        }
    }

    /// An e-signature request.
    pub fn sign(
        receiver_name: impl Into<String>,
        receiver_hp: impl Into<String>,
        receiver_birthday: impl Into<String>,
        sign_title: impl Into<String>,
        token_type: TokenType,
        token: impl Into<String>,
        expire_in: i64,
    ) -> Self {
        Self {
            sign_title: Some(sign_title.into()),
            token_type: Some(token_type.as_str().to_owned()),
            token: Some(token.into()),
            ..Self::person(receiver_name, receiver_hp, receiver_birthday, expire_in)
        }
    }

    /// A multi-document signing request.
    pub fn multi_sign(
        receiver_name: impl Into<String>,
        receiver_hp: impl Into<String>,
        receiver_birthday: impl Into<String>,
        req_title: impl Into<String>,
        tokens: Vec<TokenItem>,
        expire_in: i64,
    ) -> Self {
        Self {
            req_title: Some(req_title.into()),
            tokens: Some(tokens),
            ..Self::person(receiver_name, receiver_hp, receiver_birthday, expire_in)
        }
    }

    /// A direct-debit consent request.
    #[allow(clippy::too_many_arguments)]
    pub fn debit_consent(
        receiver_name: impl Into<String>,
        receiver_hp: impl Into<String>,
        receiver_birthday: impl Into<String>,
        req_title: impl Into<String>,
        account: DebitAccount,
        expire_in: i64,
    ) -> Self {
        Self {
            req_title: Some(req_title.into()),
            request_corp: Some(account.request_corp),
            bank_name: Some(account.bank_name),
            bank_account_num: Some(account.bank_account_num),
            bank_account_name: Some(account.bank_account_name),
            bank_account_birthday: Some(account.bank_account_birthday),
            bank_service_type: Some(account.bank_service_type),
            ..Self::person(receiver_name, receiver_hp, receiver_birthday, expire_in)
        }
    }

    /// A simple-login request (the token is a one-time value, like identity's).
    pub fn login(
        receiver_name: impl Into<String>,
        receiver_hp: impl Into<String>,
        receiver_birthday: impl Into<String>,
        token: impl Into<String>,
        expire_in: i64,
    ) -> Self {
        Self {
            token: Some(token.into()),
            ..Self::person(receiver_name, receiver_hp, receiver_birthday, expire_in)
        }
    }

    /// Set the message shown at the top of the card.
    pub fn with_extra_message(mut self, message: impl Into<String>) -> Self {
        self.extra_message = Some(message.into());
        self
    }

    /// Set the call-centre number shown to the person.
    pub fn with_call_center_num(mut self, number: impl Into<String>) -> Self {
        self.call_center_num = Some(number.into());
        self
    }

    /// Ask for app-to-app on the same phone, returning to `return_url`.
    pub fn with_app_to_app(mut self, return_url: impl Into<String>) -> Self {
        self.app_use_yn = Some(true);
        self.return_url = Some(return_url.into());
        self
    }
}

/// The account of a direct-debit consent, as the relying party names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebitAccount {
    /// The corporation that will withdraw.
    pub request_corp: String,
    /// The bank.
    pub bank_name: String,
    /// The account number.
    pub bank_account_num: String,
    /// The account holder.
    pub bank_account_name: String,
    /// The holder's birth date, `YYYYMMDD`.
    pub bank_account_birthday: String,
    /// `CMS`, `FIRM` or `GIRO`.
    pub bank_service_type: String,
}

/// Answer of every create call.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptResponse {
    /// 32 digits; the handle for status, verify and cancel.
    #[serde(rename = "receiptID")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{32}$"))]
    pub receipt_id: String,
    /// Two digits to show on the relying party's page; the app asks the person to pick them
    /// among three (number matching against phishing). Absent for app-to-app requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{2}$"))]
    pub binding_code: Option<String>,
    /// For app-to-app requests: the `dojang://` URL that opens the app on this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "uri"))]
    pub scheme: Option<String>,
    /// For app-to-app requests: the transaction id (40 hex digits) that also opens the app on
    /// this request (`dojang://request?txID=…`), as kakaocert's `tx_id`.
    #[serde(rename = "txID", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{40}$"))]
    pub tx_id: Option<String>,
}

/// `GET /v1/{kind}/{receiptID}`: the state, the times and every field of the request except
/// personal data and tokens.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestStatus {
    /// The receipt.
    #[serde(rename = "receiptID")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{32}$"))]
    pub receipt_id: String,
    /// `identity`, `sign`, `multi-sign`, `debit-consent` or `login`.
    pub kind: Kind,
    /// The relying party's 12-digit client code.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{12}$"))]
    pub client_code: String,
    /// The relying party's name.
    pub client_name: String,
    /// The alias the request named (`subClientID`), if any.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub sub_client_code: Option<String>,
    /// The alias's display name, if any.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub sub_client_name: Option<String>,
    /// 0 waiting, 1 signed, 2 expired, 3 declined or cancelled, 4 failed.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 4))]
    pub state: i32,
    /// Why a request was declined, cancelled or failed (`cancelled: …`, `binding code
    /// mismatch`, an error name), when known.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub state_reason: Option<String>,
    /// The `expireIn` the request was made with, in seconds.
    pub expire_in: i64,
    /// The call-centre number shown to the person.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub call_center_num: Option<String>,
    /// `callCenterName` as sent (≤ 10), `null` when none was sent; the person's card then shows
    /// "<relying party> 고객센터" (kakaocert's "이용기관명 + 고객센터"), which is not returned here.
    #[cfg_attr(feature = "openapi", schema(required = true, max_length = 10))]
    pub call_center_name: Option<String>,
    /// The title shown to the person.
    pub req_title: String,
    /// The sign title (sign requests).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub sign_title: Option<String>,
    /// The token type (sign requests).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub token_type: Option<TokenType>,
    /// The documents' token types, in order (multi-sign requests).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub token_types: Option<Vec<TokenType>>,
    /// The message shown at the top of the card.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub extra_message: Option<String>,
    /// As asked.
    #[serde(rename = "allowSimpleRegistYN")]
    pub allow_simple_regist_yn: bool,
    /// As asked.
    #[serde(rename = "verifyNameYN")]
    pub verify_name_yn: bool,
    /// As asked.
    #[serde(rename = "appUseYN")]
    pub app_use_yn: bool,
    /// As asked (app-to-app).
    #[serde(rename = "returnURL", default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub return_url: Option<String>,
    /// The app-to-app URL (app-to-app).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, format = "uri"))]
    pub scheme: Option<String>,
    /// The number-matching code (push requests).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, pattern = "^[0-9]{2}$"))]
    pub binding_code: Option<String>,
    /// The relying party's memo, as given.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub payload: Option<String>,
    /// When the request was accepted.
    #[serde(rename = "requestDT", with = "kst")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub request_dt: OffsetDateTime,
    /// When the request was registered (the same as `requestDT`; kept for kakaocert clients).
    #[serde(rename = "regDT", with = "kst")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub reg_dt: OffsetDateTime,
    /// When the app first showed it.
    #[serde(rename = "viewDT", with = "kst_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required = true, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub view_dt: Option<OffsetDateTime>,
    /// When the person signed, declined, or the request failed or was cancelled.
    #[serde(rename = "completeDT", with = "kst_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required = true, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub complete_dt: Option<OffsetDateTime>,
    /// When the request expires (or expired).
    #[serde(rename = "expireDT", with = "kst")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub expire_dt: OffsetDateTime,
    /// When the relying party verified it.
    #[serde(rename = "verifyDT", with = "kst_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required = true, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub verify_dt: Option<OffsetDateTime>,
    /// For app-to-app requests: the transaction id (see [`ReceiptResponse::tx_id`]).
    #[serde(rename = "txID", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{40}$"))]
    pub tx_id: Option<String>,
}

/// The status of an identity verification: the same shape as every kind's.
pub type IdentityStatus = RequestStatus;

/// `POST /v1/{kind}/{receiptID}/verify` (`/v1/login/{txID}/verify`): the signature(s) and the
/// verified person.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResult {
    /// The receipt.
    #[serde(rename = "receiptID")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{32}$"))]
    pub receipt_id: String,
    /// The transaction id (login).
    #[serde(rename = "txID", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{40}$"))]
    pub tx_id: Option<String>,
    /// The kind.
    pub kind: Kind,
    /// Always 1 (signed) in a successful answer.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1))]
    pub state: i32,
    /// Standard base64 of the DER CMS SignedData the app made over the token (every kind but
    /// multi-sign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(content_encoding = "base64"))]
    pub signed_data: Option<String>,
    /// One SignedData per document, in the request's order (multi-sign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_signed_data: Option<Vec<String>>,
    /// The token that was signed (every kind but multi-sign; for debit consent, the consent
    /// text built from the template in docs/api.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The certificate holder's name.
    pub receiver_name: String,
    /// The certificate holder's mobile number.
    #[serde(rename = "receiverHP")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{10,11}$"))]
    pub receiver_hp: String,
    /// The certificate holder's birth date, `YYYYMMDD`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{8}$"))]
    pub receiver_birthday: String,
    /// A stable identifier of the person across relying parties (연계정보, 88 characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 88, max_length = 88))]
    pub ci: String,
    /// A stable identifier of the person for this relying party only (중복가입확인정보,
    /// 64 characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 64, max_length = 64))]
    pub di: String,
    /// Base64 DER OCSP response (RFC 6960), signed by the CA, that proved the signer's
    /// certificate good when the person signed: keep it with the signature as evidence that
    /// does not depend on dojang later (`openssl ocsp -respin`). Absent for requests signed
    /// before dojang kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(content_encoding = "base64"))]
    pub ocsp_response: Option<String>,
}

/// The verify result of an identity verification: the same shape as every kind's.
pub type IdentityVerifyResult = VerifyResult;

/// `POST /v1/{kind}/{receiptID}/cancel`: optional body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// Why (≤ 200 characters), recorded as `cancelled: <reason>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub reason: Option<String>,
}

/// Answer to cancel.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancelled {
    /// The receipt.
    #[serde(rename = "receiptID")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{32}$"))]
    pub receipt_id: String,
    /// 3 (declined/cancelled).
    #[cfg_attr(feature = "openapi", schema(minimum = 3, maximum = 3))]
    pub state: i32,
    /// When.
    #[serde(rename = "completeDT", with = "kst")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub complete_dt: OffsetDateTime,
}

/// Request states as numbers on the wire.
pub mod state {
    /// Waiting for the person.
    pub const WAITING: i32 = 0;
    /// Signed; verify may be called.
    pub const SIGNED: i32 = 1;
    /// Nobody answered in time.
    pub const EXPIRED: i32 = 2;
    /// The person declined, picked the wrong binding code, or the relying party cancelled.
    pub const DECLINED: i32 = 3;
    /// Something went wrong (for example a signature that did not verify).
    pub const FAILED: i32 = 4;
}

/// The standard consent text of a direct-debit consent: what the person reads and signs. The
/// service type is shown by its label (`CMS` → `CMS 자동이체`, `FIRM` → `펌뱅킹 자동이체`,
/// `GIRO` → `지로 자동이체`). docs/api.md shows the template; a test keeps the two equal.
pub fn debit_consent_text(account: &DebitAccount) -> String {
    let service = match account.bank_service_type.as_str() {
        "CMS" => "CMS 자동이체",
        "FIRM" => "펌뱅킹 자동이체",
        "GIRO" => "지로 자동이체",
        other => other,
    };
    format!(
        "[출금동의서]\n\
         요청기관: {corp}\n\
         출금은행: {bank}\n\
         계좌번호: {num}\n\
         예금주: {holder}\n\
         예금주 생년월일: {birthday}\n\
         출금방식: {service}\n\
         본인은 위 계좌에서 {corp}의 요청에 따라 {service}로 출금되는 것에 동의합니다.",
        corp = account.request_corp,
        bank = account.bank_name,
        num = account.bank_account_num,
        holder = account.bank_account_name,
        birthday = account.bank_account_birthday,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn identity_request_uses_the_documented_field_names() {
        let r = IdentityRequest::new("홍길동", "01012345678", "19900101", "tok", "Login", 300)
            .with_extra_message("hi");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({"receiverName":"홍길동","receiverHP":"01012345678","receiverBirthday":"19900101",
                   "token":"tok","reqTitle":"Login","extraMessage":"hi","expireIn":300})
        );
        let back: IdentityRequest = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn kakaocert_names_of_the_optional_fields() {
        let mut r = CreateRequest::multi_sign(
            "홍길동",
            "01012345678",
            "19900101",
            "계약",
            vec![TokenItem::new("약관", TokenType::Text, "본문")],
            300,
        )
        .with_app_to_app("https://rp.example/back");
        r.sub_client_id = Some("branch1".into());
        r.allow_simple_regist_yn = Some(true);
        r.verify_name_yn = Some(false);
        r.call_center_name = Some("센터".into());
        r.payload = Some("memo".into());
        let v = serde_json::to_value(&r).unwrap();
        for key in [
            "subClientID",
            "allowSimpleRegistYN",
            "verifyNameYN",
            "appUseYN",
            "returnURL",
            "callCenterName",
            "payload",
        ] {
            assert!(v.get(key).is_some(), "{key} in {v}");
        }
        assert_eq!(v["tokens"][0]["signTitle"], "약관");
        // kakaocert clients send reqTitle inside tokens.
        let item: TokenItem =
            serde_json::from_value(json!({"reqTitle":"a","tokenType":"HASH","token":"x"})).unwrap();
        assert_eq!(item.sign_title.as_deref(), Some("a"));
    }

    #[test]
    fn kinds_round_trip_through_their_segments() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_segment(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(Kind::from_segment("cms"), None);
    }

    #[test]
    fn status_dates_are_kst_compact_or_null() {
        let s = RequestStatus {
            receipt_id: "1".repeat(32),
            kind: Kind::Identity,
            client_code: "000000000001".into(),
            client_name: "이용기관".into(),
            sub_client_code: None,
            sub_client_name: None,
            state: state::WAITING,
            state_reason: None,
            expire_in: 300,
            call_center_num: None,
            call_center_name: None,
            req_title: "t".into(),
            sign_title: None,
            token_type: None,
            token_types: None,
            extra_message: None,
            allow_simple_regist_yn: false,
            verify_name_yn: true,
            app_use_yn: false,
            return_url: None,
            scheme: None,
            binding_code: Some("42".into()),
            payload: None,
            request_dt: datetime!(2026-11-22 00:00:00 UTC),
            reg_dt: datetime!(2026-11-22 00:00:00 UTC),
            view_dt: None,
            complete_dt: None,
            expire_dt: datetime!(2026-11-22 00:05:00 UTC),
            verify_dt: None,
            tx_id: None,
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["requestDT"], "20261122090000");
        assert_eq!(v["expireDT"], "20261122090500");
        assert!(v["viewDT"].is_null());
        assert_eq!(serde_json::from_value::<RequestStatus>(v).unwrap(), s);
    }

    #[test]
    fn docs_api_md_shows_the_consent_template_exactly() {
        let doc = include_str!("../../../docs/api.md");
        let section = doc
            .split("### Direct-debit consent text")
            .nth(1)
            .and_then(|s| s.split("```text\n").nth(1))
            .and_then(|s| s.split("\n```").next())
            .expect("docs/api.md has the consent template");
        let a = DebitAccount {
            request_corp: "A".into(),
            bank_name: "B".into(),
            bank_account_num: "1-2".into(),
            bank_account_name: "C".into(),
            bank_account_birthday: "19900101".into(),
            bank_service_type: "FIRM".into(),
        };
        let filled = section
            .replace("{requestCorp}", "A")
            .replace("{bankName}", "B")
            .replace("{bankAccountNum}", "1-2")
            .replace("{bankAccountName}", "C")
            .replace("{bankAccountBirthday}", "19900101")
            .replace("{serviceLabel}", "펌뱅킹 자동이체");
        assert_eq!(filled, debit_consent_text(&a));
    }

    #[test]
    fn consent_text_names_every_field() {
        let a = DebitAccount {
            request_corp: "도장보험".into(),
            bank_name: "국민은행".into(),
            bank_account_num: "123-456-789".into(),
            bank_account_name: "홍길동".into(),
            bank_account_birthday: "19900101".into(),
            bank_service_type: "CMS".into(),
        };
        let t = debit_consent_text(&a);
        for part in [
            "도장보험",
            "국민은행",
            "123-456-789",
            "홍길동",
            "19900101",
            "CMS 자동이체",
        ] {
            assert!(t.contains(part), "{part} missing from {t}");
        }
    }
}

/// `POST /v1/login-page/exchange`: the one-time code the hosted login gave the browser on its
/// way back to the relying party's return URL.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginPageExchange {
    /// The `code` query parameter of the return URL (43 characters, URL-safe base64).
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub code: String,
}

/// The answer to an exchange: who logged in, verified once, with the consent they gave.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginPageResult {
    /// The relying party's `state`, as it sent the browser to the page (empty if none).
    pub state: String,
    /// The consent record of this login.
    #[serde(rename = "consentID")]
    pub consent_id: String,
    /// Which notice text the person accepted.
    pub consent_version: String,
    /// When they accepted it (Korean time, `yyyyMMddHHmmss`).
    #[serde(rename = "consentedDT", with = "kst")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]{14}$", format = "yyyyMMddHHmmss"))]
    pub consented_dt: OffsetDateTime,
    /// The identity verification, verified now (the same as `POST /v1/identity/{receiptID}/verify`).
    pub result: VerifyResult,
}
