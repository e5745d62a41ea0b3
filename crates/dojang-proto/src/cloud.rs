//! The cloud certificate (issue 15): the `/cloud/v1/*` JSON API that dojang's own frame and
//! page call (same origin), and the two native-API calls a relying party's server makes
//! (`POST /v1/cloud/exchange`, `POST /v1/cloud/alt-auth`, HMAC-authenticated like the rest of
//! the native API). The shapes are fixed by `/work/cloud-contract.md` (docs/cloud-api.md).
//!
//! Every field a caller sends is optional here so that a missing one reaches the server's
//! validation and gets its own error code.
//!
//! A browser proves it is registered by signing, with its non-extractable WebCrypto P-256 key,
//! the string [`proof_message`] over a one-time challenge; the signature is the raw `r ‖ s`
//! form (64 bytes) WebCrypto produces, base64url without padding.

use serde::{Deserialize, Serialize};

use crate::device::RequestCard;
use crate::rp::TokenItem;

/// What a browser signs: `dojang-cloud/v1\n<action>\n<challenge>\n<target>` (UTF-8).
#[must_use]
pub fn proof_message(action: &str, challenge: &str, target: &str) -> String {
    format!("dojang-cloud/v1\n{action}\n{challenge}\n{target}")
}

/// The action names signed by the browser, one per browser-authenticated endpoint.
pub mod action {
    /// `POST /cloud/v1/me` (target "").
    pub const ME: &str = "me";
    /// `POST /cloud/v1/requests/{receiptId}` (target: the receipt id).
    pub const VIEW: &str = "view";
    /// `POST /cloud/v1/requests/{receiptId}/approve` (target: the receipt id).
    pub const APPROVE: &str = "approve";
    /// `POST /cloud/v1/requests/{receiptId}/decline` (target: the receipt id).
    pub const DECLINE: &str = "decline";
    /// `POST /cloud/v1/sign` (target "").
    pub const SIGN: &str = "sign";
    /// `POST /cloud/v1/pin` (target "").
    pub const PIN: &str = "pin";
    /// `POST /cloud/v1/renew` (target "").
    pub const RENEW: &str = "renew";
    /// `POST /cloud/v1/revoke` (target "").
    pub const REVOKE: &str = "revoke";
    /// `POST /cloud/v1/browsers/{browserId}/remove` (target: the browser id removed).
    pub const REMOVE: &str = "remove";
    /// `POST /cloud/v1/browsers/asks/{askId}/approve` (target: the ask id).
    pub const ASK_APPROVE: &str = "ask-approve";
    /// `POST /cloud/v1/browsers/asks/{askId}/decline` (target: the ask id).
    pub const ASK_DECLINE: &str = "ask-decline";
}

/// The person, as the enrolment API validates them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudPerson {
    /// Legal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Mobile number, 10–11 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Birth date, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<String>,
    /// The relying party's publishable key, when the SDK opened the frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishable_key: Option<String>,
}

/// The browser proof every browser-authenticated call carries (flattened into its body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserProof {
    /// The registered browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_id: Option<String>,
    /// A challenge from `POST /cloud/v1/challenge` for this browser, unused, unexpired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// base64url (no padding) of the raw `r ‖ s` ECDSA P-256 SHA-256 signature over
    /// [`proof_message`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// `POST /cloud/v1/issue/desk`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueDesk {
    /// The person.
    #[serde(flatten)]
    pub person: CloudPerson,
    /// The registration desk's reference number (참조번호).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
    /// The registration desk's authorisation code (인가코드).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    /// The new PIN, 6 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// base64url SPKI DER of this browser's WebCrypto P-256 public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_key: Option<String>,
    /// What the person sees for this browser in their list (≤ 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// With a `publishableKey`: answer a one-time `code` the relying party exchanges once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simple_auth_token: Option<bool>,
}

/// What every issuance after a proof carries besides the proof itself: the new PIN and this
/// browser, and the SDK's options (flattened into the body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCertificate {
    /// The new PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// This browser's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_key: Option<String>,
    /// This browser's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The relying party's publishable key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishable_key: Option<String>,
    /// See [`IssueDesk::simple_auth_token`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simple_auth_token: Option<bool>,
}

/// `POST /cloud/v1/issue/sms/{proofId}/complete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueSmsComplete {
    /// The 6-digit SMS code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The PIN, the browser and the options.
    #[serde(flatten)]
    pub new: NewCertificate,
}

/// `POST /cloud/v1/issue/bank`: the person and the account a 1-won deposit goes to; the
/// deposit's memo is the word [`IssueBankComplete`] carries back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueBankStart {
    /// The person (the account holder).
    #[serde(flatten)]
    pub person: CloudPerson,
    /// The bank's 3-digit code (금융기관 코드), e.g. `004`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// Account number: digits and `-`, at most 31 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account_num: Option<String>,
}

/// The answer to [`IssueBankStart`]: the deposit is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankProofStarted {
    /// Handle for the completion call.
    pub proof_id: String,
    /// Seconds the word stays valid.
    pub expire_in: i64,
    /// Tries allowed.
    pub max_attempts: u32,
    /// The bank code.
    pub bank_code: String,
    /// The bank's name, when dojang knows the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// The account the deposit went to, masked (`123-***-789`).
    pub masked_account: String,
}

/// `POST /cloud/v1/issue/bank/{proofId}/complete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueBankComplete {
    /// The 4 Hangul syllables the deposit's memo showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word: Option<String>,
    /// The PIN, the browser and the options.
    #[serde(flatten)]
    pub new: NewCertificate,
}

/// `POST /cloud/v1/issue/alt`: the relying party proved the person (`POST /v1/cloud/alt-auth`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueAlt {
    /// The relying party's publishable key (required: the transaction is bound to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishable_key: Option<String>,
    /// From `POST /v1/cloud/alt-auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<String>,
    /// From `POST /v1/cloud/alt-auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_code: Option<String>,
    /// The new PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// This browser's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_key: Option<String>,
    /// This browser's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// See [`IssueDesk::simple_auth_token`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simple_auth_token: Option<bool>,
}

/// The answer to every issuance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// The cloud certificate (its device id).
    pub certificate_id: String,
    /// This browser, now registered.
    pub browser_id: String,
    /// The certificate's serial, lower-case hex.
    pub serial: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// The simple-auth token's one-time code, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `{proofId}`: an SMS code went out (or, for `browsers/start`, went out if the person holds
/// a cloud certificate: the answer is the same either way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofStarted {
    /// Handle for the completion call.
    pub proof_id: String,
}

/// `POST /cloud/v1/browsers/{proofId}/complete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserComplete {
    /// The 6-digit SMS code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// This browser's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_key: Option<String>,
    /// This browser's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `POST /cloud/v1/pin/reset/{proofId}/complete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinResetComplete {
    /// The 6-digit SMS code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The new PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_pin: Option<String>,
    /// This browser's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_key: Option<String>,
    /// This browser's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The answer to browser registration and PIN reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserRegistered {
    /// The cloud certificate.
    pub certificate_id: String,
    /// This browser.
    pub browser_id: String,
}

/// `POST /cloud/v1/challenge`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeAsk {
    /// The registered browser asking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_id: Option<String>,
}

/// A one-time challenge: 32 random bytes, base64url; valid 120 s, once, for that browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// The challenge to sign.
    pub challenge: String,
    /// When it stops being accepted, RFC 3339 UTC.
    pub expires_at: String,
}

/// A call that carries only the browser proof (`me`, view, decline, remove).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proved {
    /// The proof.
    #[serde(flatten)]
    pub proof: BrowserProof,
}

/// A call that carries the browser proof and the PIN (approve, renew, revoke).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvedWithPin {
    /// The proof.
    #[serde(flatten)]
    pub proof: BrowserProof,
    /// The PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// `POST /cloud/v1/pin`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinChange {
    /// The proof.
    #[serde(flatten)]
    pub proof: BrowserProof,
    /// The current PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The new PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_pin: Option<String>,
}

/// `POST /cloud/v1/sign`: a request of the publishable key's relying party for the holder,
/// answered at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignAsk {
    /// The proof.
    #[serde(flatten)]
    pub proof: BrowserProof,
    /// The PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The relying party's publishable key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishable_key: Option<String>,
    /// `identity`, `sign` or `multi-sign`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The title (≤ 40 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The documents, as the native API's `tokens` (text or hash; ≤ 20). Identity and sign
    /// take exactly one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<TokenItem>>,
    /// A message shown above the documents (≤ 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req_message: Option<String>,
}

/// A one-time code for the relying party's server (`POST /v1/cloud/exchange`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeCode {
    /// Valid 5 minutes, once, for the party of the publishable key only.
    pub code: String,
}

/// `{state}` after approve (1) or decline (3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredState {
    /// The request's state now.
    pub state: i32,
}

/// An empty answer `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `POST /cloud/v1/renew`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Renewed {
    /// The new certificate's serial.
    pub serial: String,
    /// Its end of validity, RFC 3339 UTC.
    pub not_after: String,
}

/// The certificate as `me` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudCertificate {
    /// Serial, lower-case hex.
    pub serial: String,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// `active`, `locked`, `revoked` or `expired`.
    pub state: String,
    /// In its last 30 days: `POST /cloud/v1/renew` works.
    pub renewable: bool,
}

/// The holder as `me` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudHolder {
    /// Legal name.
    pub name: String,
    /// The phone, masked (`010-****-5678`).
    pub phone_masked: String,
}

/// A registered browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudBrowser {
    /// Its id.
    pub browser_id: String,
    /// Its label.
    pub label: String,
    /// Registered at, RFC 3339 UTC.
    pub created_at: String,
    /// Last proof, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// The browser making this call.
    pub current: bool,
}

/// One use of the certificate (the evidence rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudUse {
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The action (`approve`, `sign`, `pin`, …).
    pub action: String,
    /// The relying party's name, or "" when none was involved.
    pub relying_party: String,
    /// The receipt id, or "".
    pub receipt_id: String,
    /// The browser's label.
    pub browser_label: String,
}

/// `POST /cloud/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The certificate.
    pub certificate: CloudCertificate,
    /// Its holder.
    pub holder: CloudHolder,
    /// The registered browsers (removed ones left out).
    pub browsers: Vec<CloudBrowser>,
    /// The last 50 uses, newest first.
    pub uses: Vec<CloudUse>,
    /// Requests waiting for the holder (cards, oldest first; no binding choices).
    pub pending: Vec<RequestCard>,
    /// New browsers asking to be registered, oldest first (the number is not shown: the
    /// holder reads it on the new browser).
    #[serde(default)]
    pub asks: Vec<CloudAskShown>,
}

/// A new browser's open ask, as a registered browser sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudAskShown {
    /// The ask.
    pub ask_id: String,
    /// The label the new browser gave.
    pub label: String,
    /// When it asked, RFC 3339 UTC.
    pub created_at: String,
    /// Until when it can be answered.
    pub expires_at: String,
}

/// `POST /cloud/v1/browsers/ask`: register this browser by approval on a registered one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserAsk {
    /// The holder.
    #[serde(flatten)]
    pub person: CloudPerson,
    /// This browser's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_key: Option<String>,
    /// This browser's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The answer to [`BrowserAsk`] (the same whether or not the person holds a certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserAsked {
    /// Poll `POST /cloud/v1/browsers/asks/{askId}`; the browser's id once approved.
    pub ask_id: String,
    /// Two digits to show; the holder types them on the registered browser.
    pub number: String,
    /// Until when it can be answered, RFC 3339 UTC.
    pub expires_at: String,
}

/// `POST /cloud/v1/browsers/asks/{askId}`: where the ask stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AskState {
    /// `pending`, `approved`, `declined` or `expired`.
    pub state: String,
    /// Once approved: this browser's id (the ask's) and the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_id: Option<String>,
    /// Once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<String>,
}

/// `POST /cloud/v1/browsers/asks/{askId}/approve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AskApprove {
    /// The registered browser's proof (action `ask-approve`, target the ask id).
    #[serde(flatten)]
    pub proof: BrowserProof,
    /// The PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The two digits the new browser shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

// ----- the native API (HMAC) -----------------------------------------------------------------

/// `POST /v1/cloud/exchange`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudExchange {
    /// The one-time code the SDK handed to the relying party's page.
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub code: String,
}

/// The person a simple-auth token names.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudExchangePerson {
    /// Legal name.
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// Birth date, `YYYYMMDD`.
    pub birth: String,
}

/// The answer to `POST /v1/cloud/exchange`, once per code.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudExchanged {
    /// `identity`, `sign`, `multi-sign` (then verify with `POST /v1/{kind}/{receiptID}/verify`)
    /// or `issue` (a simple-auth token: the person below).
    pub kind: String,
    /// The request the cloud certificate answered; `null` for `issue`.
    #[serde(rename = "receiptID")]
    pub receipt_id: Option<String>,
    /// `issue` only: who was issued a certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<CloudExchangePerson>,
    /// `issue` only: the certificate's serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// `issue` only: when, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
}

/// `POST /v1/cloud/alt-auth`: the relying party proved this person itself.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AltAuth {
    /// Legal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Mobile number, 10–11 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Birth date, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<String>,
}

/// The answer to `POST /v1/cloud/alt-auth`: valid 10 minutes, once, with this party's
/// publishable key only.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AltAuthorized {
    /// The transaction id.
    pub tx_id: String,
    /// The permission code.
    pub permission_code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_fields_are_flattened() {
        let body = r#"{"browserId":"b","challenge":"c","signature":"s","pin":"123123"}"#;
        let p: ProvedWithPin = serde_json::from_str(body).unwrap();
        assert_eq!(p.proof.browser_id.as_deref(), Some("b"));
        assert_eq!(p.pin.as_deref(), Some("123123"));
        assert_eq!(
            proof_message(action::APPROVE, "c", "r"),
            "dojang-cloud/v1\napprove\nc\nr"
        );
    }

    #[test]
    fn exchange_answer_names_the_receipt() {
        let e = CloudExchanged {
            kind: "issue".into(),
            receipt_id: None,
            person: None,
            serial: Some("ab".into()),
            issued_at: None,
        };
        let s = serde_json::to_string(&e).unwrap();
        assert!(s.contains(r#""receiptID":null"#), "{s}");
    }
}
