//! The device API: what the authenticator app speaks (enrolment, push, pending list, answers).
//!
//! Enrolled devices authenticate with `Authorization: Bearer <deviceToken>`.

use serde::{Deserialize, Serialize};

/// The subprotocol a browser's push WebSocket offers and the server selects (a browser cannot
/// set `Authorization` on a WebSocket; it offers its credential as
/// `dojang.bearer.<deviceID>.<secret>` next to this one, and the server never echoes that).
pub const PUSH_SUBPROTOCOL: &str = "dojang.device.v1";
/// The prefix of the subprotocol that carries a browser's device credential.
pub const PUSH_BEARER_PREFIX: &str = "dojang.bearer.";

/// `POST /device/v1/enrolments`: who is enrolling. A one-time code goes to the phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentStart {
    /// Legal name.
    pub name: Option<String>,
    /// Mobile number, 10–11 digits.
    pub phone: Option<String>,
    /// Birth date, `YYYYMMDD`.
    pub birthday: Option<String>,
}

/// Answer to [`EnrolmentStart`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentStarted {
    /// Handle for the completion call.
    #[serde(rename = "enrolmentID")]
    pub enrolment_id: String,
    /// Seconds the code stays valid.
    pub expire_in: i64,
    /// Tries allowed.
    pub max_attempts: u32,
    /// The phone the code went to, masked (`010-****-5678`).
    pub masked_phone: String,
}

/// `POST /device/v1/enrolments/{id}/complete`: the code and the app's CSR.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentComplete {
    /// The 6-digit one-time code from the SMS.
    pub code: Option<String>,
    /// Standard base64 of a DER PKCS#10 request for a P-256 key made on the device.
    pub csr: Option<String>,
    /// Standard base64 of the 32-byte PIN proof the app derives from the PIN (see
    /// docs/security.md): registering it makes the server keep the device's unlock secret
    /// behind a counted PIN check. Apps that send none keep a PIN-only key file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_proof: Option<String>,
}

/// Answer to [`EnrolmentComplete`]: the certificate and the device credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentCompleted {
    /// The new device.
    #[serde(rename = "deviceID")]
    pub device_id: String,
    /// Bearer credential for the device API; shown once, stored hashed by the server.
    pub device_token: String,
    /// The issued certificate, PEM.
    pub certificate: String,
    /// The CA certificate, PEM.
    pub ca_certificate: String,
    /// Certificate serial, lower-case hex.
    pub serial: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Standard base64 of the 32-byte unlock secret, when a PIN proof was registered: the app
    /// encrypts its key under the PIN and this secret, then forgets it (the server releases it
    /// again only to the right PIN proof).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlock_secret: Option<String>,
}

/// `POST /device/v1/enrolments/{enrolmentID}/login`: the one-time code only. The phone check
/// registers this device for the person without a certificate yet: requests for them reach it,
/// and the app issues a certificate inside the first one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginComplete {
    /// The 6-digit one-time code from the SMS.
    pub code: Option<String>,
}

/// Answer to [`LoginComplete`]: the device credential (no certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedIn {
    /// The new device.
    #[serde(rename = "deviceID")]
    pub device_id: String,
    /// Bearer credential for the device API; shown once, stored hashed by the server.
    pub device_token: String,
    /// Whether the person holds an active certificate (on another device).
    pub has_certificate: bool,
}

/// `POST /device/v1/unlock`: the PIN proof, for the unlock secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinUnlock {
    /// Standard base64 of the 32-byte PIN proof.
    pub pin_proof: Option<String>,
}

/// `POST /device/v1/pin`: change the PIN: the current proof and the new one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinChange {
    /// Standard base64 of the current PIN's proof.
    pub pin_proof: Option<String>,
    /// Standard base64 of the new PIN's proof.
    pub new_pin_proof: Option<String>,
}

/// `POST /device/v1/revoke`: the holder gives the certificate up (the PIN proof, counted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRevoke {
    /// Standard base64 of the PIN proof.
    pub pin_proof: Option<String>,
}

/// `POST /device/v1/certificate/renew`: a new key's CSR, in the certificate's last 30 days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateRenew {
    /// Standard base64 of a DER PKCS#10 request for the new P-256 key.
    pub csr: Option<String>,
    /// Standard base64 of the PIN proof (checked and counted).
    pub pin_proof: Option<String>,
}

/// Answer to [`CertificateRenew`]: the new certificate (the old one is superseded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateRenewed {
    /// The new certificate, PEM.
    pub certificate: String,
    /// Its serial, lower-case hex.
    pub serial: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
}

/// `GET /device/v1/certificate`: this device's certificate as the CA sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateStatus {
    /// Serial, lower-case hex (absent for `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// `active`, `expired`, `revoked`, or `none` (a device registered by a login, before its
    /// certificate).
    pub state: String,
    /// End of validity, RFC 3339 (absent for `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// When it was revoked, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Why (RFC 5280 name: `superseded`, `keyCompromise`, `affiliationChanged`,
    /// `cessationOfOperation`, `unspecified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    /// The holder's name as the server has it now (after a rename it differs from the
    /// certificate's).
    pub holder_name: String,
}

/// Answer to [`PinUnlock`] and [`PinChange`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinUnlocked {
    /// Standard base64 of the 32-byte unlock secret (a new one after a PIN change).
    pub unlock_secret: String,
}

/// `POST /device/v1/enrolments/bank`: who is enrolling and the account they hold. dojang
/// deposits 1 won into the account with a 4-syllable word as the deposit's memo.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankEnrolmentStart {
    /// Legal name (the account holder's).
    pub name: Option<String>,
    /// Mobile number, 10–11 digits.
    pub phone: Option<String>,
    /// Birth date, `YYYYMMDD`.
    pub birthday: Option<String>,
    /// The bank's 3-digit code (금융기관 코드), e.g. `004`.
    pub bank_code: Option<String>,
    /// Account number: digits and `-`, at most 31 characters.
    pub bank_account_num: Option<String>,
}

/// Answer to [`BankEnrolmentStart`]: the deposit is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankEnrolmentStarted {
    /// Handle for the completion call.
    #[serde(rename = "enrolmentID")]
    pub enrolment_id: String,
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

/// `POST /device/v1/enrolments/bank/{id}/complete`: the word and the app's CSR.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankEnrolmentComplete {
    /// The 4 Hangul syllables the deposit showed.
    pub word: Option<String>,
    /// Standard base64 of a DER PKCS#10 request for a P-256 key made on the device.
    pub csr: Option<String>,
    /// Standard base64 of the 32-byte PIN proof (as in [`EnrolmentComplete`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_proof: Option<String>,
}

/// `POST /device/v1/enrolments/ra`: the reference number (참조번호) and authorisation code
/// (인가코드) a registration desk handed out, who the person is, and the app's CSR. One call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RaEnrolment {
    /// The 10-digit reference number.
    pub ref_num: Option<String>,
    /// The 16-digit authorisation code (`-` and spaces between groups are ignored).
    pub auth_code: Option<String>,
    /// Legal name, as given at the desk.
    pub name: Option<String>,
    /// Mobile number, as given at the desk.
    pub phone: Option<String>,
    /// Birth date, `YYYYMMDD`, as given at the desk.
    pub birthday: Option<String>,
    /// Standard base64 of a DER PKCS#10 request for a P-256 key made on the device.
    pub csr: Option<String>,
    /// Standard base64 of the 32-byte PIN proof (as in [`EnrolmentComplete`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_proof: Option<String>,
}

/// One document on a card: what the person reads and the app signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardDocument {
    /// The document's title.
    pub title: String,
    /// How to show the token: `TEXT` in full; `HASH` and `PDF` as the title and the hash.
    pub token_type: crate::rp::TokenType,
    /// The exact text the app signs (the CMS content is its UTF-8 bytes).
    pub token: String,
}

/// A request as the app shows it (a "card").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestCard {
    /// The receipt.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// `identity`, `sign`, `multi-sign`, `debit-consent` or `login`.
    pub kind: String,
    /// Who is asking: the relying party's name, or the alias the request named.
    pub requester: String,
    /// The relying party's client code.
    pub client_code: String,
    /// Title.
    pub req_title: String,
    /// Message at the top of the card.
    pub extra_message: Option<String>,
    /// Call-centre number to show.
    pub call_center_num: Option<String>,
    /// Call-centre name to show.
    #[serde(default)]
    pub call_center_name: Option<String>,
    /// The text the app signs (the first document's token; every kind but multi-sign has
    /// exactly one).
    pub token: String,
    /// Every document, in order; the app signs each (multi-sign: all with one PIN entry).
    #[serde(default)]
    pub documents: Vec<CardDocument>,
    /// Three two-digit codes; the person picks the one the relying party's page shows.
    /// Empty for app-to-app requests (no second screen to compare with).
    #[serde(default)]
    pub binding_choices: Vec<String>,
    /// The right code, only when the server runs with `dev_reveal_binding_code` (tests and
    /// development): a scripted device uses it to pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_code: Option<String>,
    /// An app-to-app request (opened through its `scheme` URL, not pushed).
    #[serde(default)]
    pub app_use: bool,
    /// An app-to-app request's transaction id: `dojang://request?txID=…` opens this card.
    #[serde(rename = "txID", default, skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<String>,
    /// How a person without a certificate may get one inside this request
    /// (`allowSimpleRegistYN`): `true` by SMS alone, `false` by a bank-account check. A device
    /// with a certificate ignores it.
    #[serde(default)]
    pub allow_simple_regist: bool,
    /// Only a certificate issued with more than a phone check (a bank account or a
    /// registration desk) may approve (`allowSimpleRegistYN = false`).
    #[serde(default)]
    pub requires_beyond_phone: bool,
    /// Only a certificate whose holder's name was verified (a bank account or a registration
    /// desk) may approve (`isVerifyNameYN = true`).
    #[serde(default)]
    pub requires_verified_name: bool,
    /// Accepted at, RFC 3339 UTC with milliseconds.
    pub request_dt: String,
    /// Expires at, RFC 3339 UTC with milliseconds.
    pub expire_dt: String,
}

/// Messages on the push WebSocket (JSON text frames, tagged by `type`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum PushMessage {
    /// Sent once after the connection is accepted.
    Hello {
        /// The device the connection belongs to.
        #[serde(rename = "deviceID")]
        device_id: String,
    },
    /// A new request for the holder.
    Request {
        /// The card to show.
        card: Box<RequestCard>,
    },
    /// A request is no longer waiting (answered on another device, expired, cancelled).
    Withdrawn {
        /// The receipt.
        #[serde(rename = "receiptID")]
        receipt_id: String,
        /// The new state number.
        state: i32,
    },
}

/// `GET /device/v1/requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequests {
    /// Waiting requests, oldest first.
    pub requests: Vec<RequestCard>,
}

/// `POST …/approve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approve {
    /// Standard base64 of the DER CMS SignedData over the token (every kind but multi-sign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_data: Option<String>,
    /// One SignedData per document, in the card's order (multi-sign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_signed_data: Option<Vec<String>>,
    /// The binding code the person picked (required unless the card has no choices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_code: Option<String>,
}

/// `POST …/decline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decline {
    /// Optional reason (≤ 200 characters), recorded for the operator.
    pub reason: Option<String>,
}

/// Answer to view, approve and decline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    /// The receipt.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// The state after the call.
    pub state: i32,
    /// App-to-app: where the app goes next (the relying party's `returnURL` with `txID`
    /// added), after an approve or a decline.
    #[serde(rename = "returnURL", default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_messages_are_tagged() {
        let m = PushMessage::Withdrawn {
            receipt_id: "1".into(),
            state: 2,
        };
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(s, r#"{"type":"withdrawn","receiptID":"1","state":2}"#);
        assert_eq!(serde_json::from_str::<PushMessage>(&s).unwrap(), m);
    }
}

/// `GET /device/v1/push/vapid`: the key a browser subscribes with (`applicationServerKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VapidPublicKey {
    /// base64url (no padding) of the 65-byte uncompressed P-256 point.
    pub public_key: String,
}

/// The browser's keys of a Web Push subscription (`PushSubscription.toJSON().keys`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushKeys {
    /// base64url of the browser's P-256 public key (65 bytes).
    pub p256dh: String,
    /// base64url of the 16-byte authentication secret.
    pub auth: String,
}

impl std::fmt::Debug for PushKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PushKeys(***)")
    }
}

/// `POST /device/v1/push/subscription`: `{"kind":"webpush","endpoint":…,"keys":{…}}`,
/// `{"kind":"fcm","token":…}` or `{"kind":"apns","token":…}`. Read loosely and checked field by
/// field by the server, so each mistake gets its own error code.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscriptionBody {
    /// `webpush`, `fcm` or `apns`.
    #[serde(default)]
    pub kind: String,
    /// Web Push: the push service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Web Push: the browser's keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<PushKeys>,
    /// FCM registration token or APNs device token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl std::fmt::Debug for PushSubscriptionBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PushSubscriptionBody({}, ***)", self.kind)
    }
}

/// The Web Push payload (encrypted to the browser): a wake-up naming the request, no personal
/// data. The app then fetches the card over the device API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushNotification {
    /// Always `request`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The receipt to open (`/app#receipt=<receiptId>`).
    pub receipt_id: String,
    /// `<relying party's name> 인증 요청`.
    pub title: String,
    /// When the request expires, RFC 3339.
    pub expires_at: String,
}

/// `POST /device/v1/biometric`: register this device's WebAuthn platform credential (biometric
/// unlock), with the PIN proof (checked and counted), so the device bearer alone cannot add one.
/// A new registration replaces the device's earlier credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BiometricRegister {
    /// Standard base64 of the PIN proof.
    pub pin_proof: Option<String>,
    /// Base64url (no padding) of the credential id (1 to 1023 bytes).
    pub credential_id: Option<String>,
    /// Standard base64 of the credential's public key: DER SubjectPublicKeyInfo of a P-256 key
    /// (what `AuthenticatorAttestationResponse.getPublicKey()` gives for ES256).
    pub public_key: Option<String>,
}

/// Answer to `POST /device/v1/unlock/biometric/challenge`: a single-use challenge for this
/// device's next assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BiometricChallengeIssued {
    /// Base64url (no padding) of 32 random bytes.
    pub challenge: String,
    /// Seconds the challenge is accepted for.
    pub expires_in: u32,
}

/// `POST /device/v1/unlock/biometric`: a WebAuthn assertion of the registered credential over a
/// challenge from `…/challenge`, for the unlock secret. Each field is base64url (no padding),
/// as the browser's `PublicKeyCredential` gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BiometricUnlock {
    /// `rawId`.
    pub credential_id: Option<String>,
    /// `response.authenticatorData`.
    pub authenticator_data: Option<String>,
    /// `response.clientDataJSON`.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Option<String>,
    /// `response.signature` (DER ECDSA).
    pub signature: Option<String>,
}
