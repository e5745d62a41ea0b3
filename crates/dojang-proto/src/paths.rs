//! URL paths of every endpoint, as constants shared by the server's routers and the clients.
//!
//! Paths with parameters use axum's `{name}` syntax; the `*_path` functions fill them in.

use crate::rp::Kind;

/// `POST` — a relying party asks for an identity verification (본인인증).
pub const IDENTITY: &str = "/v1/identity";
/// `GET` — status of one identity verification.
pub const IDENTITY_STATUS: &str = "/v1/identity/{receipt_id}";
/// `POST` — verify a signed identity verification, once.
pub const IDENTITY_VERIFY: &str = "/v1/identity/{receipt_id}/verify";

/// `POST` — a relying party exchanges the hosted login's one-time code for the verified person.
pub const LOGIN_PAGE_EXCHANGE: &str = "/v1/login-page/exchange";

/// `POST` — a relying party exchanges a cloud certificate's one-time code (from the SDK's
/// `sign` or a simple-auth token) for what it names, once (HMAC).
pub const CLOUD_EXCHANGE: &str = "/v1/cloud/exchange";
/// `POST` — a relying party that proved a person itself asks for an alternative-authentication
/// transaction (`txId`, `permissionCode`) to issue them a cloud certificate (HMAC).
pub const CLOUD_ALT_AUTH: &str = "/v1/cloud/alt-auth";

/// The cloud certificate's JSON API for dojang's own frame and page (`/cloud/v1/*`).
/// `POST` — issue with a registration desk's reference number and authorisation code.
pub const CLOUD_ISSUE_DESK: &str = "/cloud/v1/issue/desk";
/// `POST` — start an SMS proof for issuance.
pub const CLOUD_ISSUE_SMS: &str = "/cloud/v1/issue/sms";
/// `POST` — complete an SMS issuance.
pub const CLOUD_ISSUE_SMS_COMPLETE: &str = "/cloud/v1/issue/sms/{proof_id}/complete";
/// `POST` — start a bank-account proof for issuance (the 1-won deposit).
pub const CLOUD_ISSUE_BANK: &str = "/cloud/v1/issue/bank";
/// `POST` — complete a bank-account issuance with the deposit's word.
pub const CLOUD_ISSUE_BANK_COMPLETE: &str = "/cloud/v1/issue/bank/{proof_id}/complete";
/// `POST` — issue with an alternative-authentication transaction of the relying party.
pub const CLOUD_ISSUE_ALT: &str = "/cloud/v1/issue/alt";
/// `POST` — ask a registered browser to register this one (no SMS).
pub const CLOUD_BROWSERS_ASK: &str = "/cloud/v1/browsers/ask";
/// `POST` — where an ask stands (the new browser polls).
pub const CLOUD_BROWSERS_ASK_STATE: &str = "/cloud/v1/browsers/asks/{ask_id}";
/// `POST` — a registered browser approves an ask (proof, PIN, the number).
pub const CLOUD_BROWSERS_ASK_APPROVE: &str = "/cloud/v1/browsers/asks/{ask_id}/approve";
/// `POST` — a registered browser declines an ask (proof).
pub const CLOUD_BROWSERS_ASK_DECLINE: &str = "/cloud/v1/browsers/asks/{ask_id}/decline";
/// `POST` — start registering another browser (SMS to the holder).
pub const CLOUD_BROWSERS_START: &str = "/cloud/v1/browsers/start";
/// `POST` — complete registering a browser with the SMS code.
pub const CLOUD_BROWSERS_COMPLETE: &str = "/cloud/v1/browsers/{proof_id}/complete";
/// `POST` — a one-time challenge for a registered browser.
pub const CLOUD_CHALLENGE: &str = "/cloud/v1/challenge";
/// `POST` — the certificate, holder, browsers, uses and pending requests.
pub const CLOUD_ME: &str = "/cloud/v1/me";
/// `POST` — one request's card.
pub const CLOUD_REQUEST: &str = "/cloud/v1/requests/{receipt_id}";
/// `POST` — approve a request with the PIN (the HSM signs).
pub const CLOUD_REQUEST_APPROVE: &str = "/cloud/v1/requests/{receipt_id}/approve";
/// `POST` — decline a request.
pub const CLOUD_REQUEST_DECLINE: &str = "/cloud/v1/requests/{receipt_id}/decline";
/// `POST` — create and answer at once a request of the publishable key's party.
pub const CLOUD_SIGN: &str = "/cloud/v1/sign";
/// `POST` — register this device's biometric (WebAuthn platform) credential with the PIN
/// proof; `DELETE` — forget it.
pub const DEVICE_BIOMETRIC: &str = "/device/v1/biometric";
/// `POST` — a single-use challenge for a biometric unlock.
pub const DEVICE_UNLOCK_BIOMETRIC_CHALLENGE: &str = "/device/v1/unlock/biometric/challenge";
/// `POST` — a WebAuthn assertion, for the unlock secret (failures count with wrong PINs).
pub const DEVICE_UNLOCK_BIOMETRIC: &str = "/device/v1/unlock/biometric";
/// `POST` — change the PIN.
pub const CLOUD_PIN: &str = "/cloud/v1/pin";
/// `POST` — start a PIN reset (SMS to the holder).
pub const CLOUD_PIN_RESET_START: &str = "/cloud/v1/pin/reset/start";
/// `POST` — complete a PIN reset (also unlocks and registers this browser).
pub const CLOUD_PIN_RESET_COMPLETE: &str = "/cloud/v1/pin/reset/{proof_id}/complete";
/// `POST` — renew in the last 30 days (a new key in the token).
pub const CLOUD_RENEW: &str = "/cloud/v1/renew";
/// `POST` — the holder revokes the cloud certificate.
pub const CLOUD_REVOKE: &str = "/cloud/v1/revoke";
/// `POST` — remove a registered browser.
pub const CLOUD_BROWSER_REMOVE: &str = "/cloud/v1/browsers/{browser_id}/remove";

/// `/cloud/v1/issue/sms/{proof_id}/complete`, `/cloud/v1/browsers/{proof_id}/complete`, … with
/// the parameter filled in.
pub fn fill(template: &str, value: &str) -> String {
    match template.split_once('{') {
        Some((head, rest)) => match rest.split_once('}') {
            Some((_, tail)) => format!("{head}{value}{tail}"),
            None => template.to_owned(),
        },
        None => template.to_owned(),
    }
}

/// `POST` — start enrolment: name, phone and birth date; a one-time code goes out by SMS.
pub const DEVICE_ENROLMENTS: &str = "/device/v1/enrolments";
/// `POST` — complete enrolment with the one-time code and a CSR.
pub const DEVICE_ENROLMENT_COMPLETE: &str = "/device/v1/enrolments/{enrolment_id}/complete";
/// `POST` — start enrolment by bank-account ownership: 1 won with a word goes to the account.
pub const DEVICE_BANK_ENROLMENTS: &str = "/device/v1/enrolments/bank";
/// `POST` — complete a bank-account enrolment with the word and a CSR.
pub const DEVICE_BANK_ENROLMENT_COMPLETE: &str =
    "/device/v1/enrolments/bank/{enrolment_id}/complete";
/// `POST` — enrol with a registration desk's reference number and authorisation code and a CSR.
pub const DEVICE_RA_ENROLMENT: &str = "/device/v1/enrolments/ra";
/// `GET` (WebSocket upgrade) — the push channel of an enrolled device.
pub const DEVICE_PUSH: &str = "/device/v1/push";
/// `GET` — the server's VAPID public key for Web Push (404 when Web Push is off).
pub const DEVICE_PUSH_VAPID: &str = "/device/v1/push/vapid";
/// `POST` — register this device's push subscription (Web Push, FCM or APNs); `DELETE` — drop
/// all of them.
pub const DEVICE_PUSH_SUBSCRIPTION: &str = "/device/v1/push/subscription";
/// `POST` — complete an enrolment as a login: the device is registered without a certificate.
pub const DEVICE_ENROLMENT_LOGIN: &str = "/device/v1/enrolments/{enrolment_id}/login";
/// `POST` — the PIN proof, for the unlock secret (five wrong proofs lock the device).
pub const DEVICE_UNLOCK: &str = "/device/v1/unlock";
/// `POST` — change the PIN.
pub const DEVICE_PIN: &str = "/device/v1/pin";
/// `GET` — this device's certificate as the CA sees it now.
pub const DEVICE_CERTIFICATE: &str = "/device/v1/certificate";
/// `POST` — renew this device's certificate with a new key (its last 30 days).
pub const DEVICE_RENEW: &str = "/device/v1/certificate/renew";
/// `POST` — the holder revokes this device's certificate.
pub const DEVICE_REVOKE: &str = "/device/v1/revoke";
/// `GET` — the requests waiting for this device's holder (what the app shows when opened).
pub const DEVICE_REQUESTS: &str = "/device/v1/requests";
/// `POST` — the app showed the request to the person (sets `viewDT`).
pub const DEVICE_REQUEST_VIEW: &str = "/device/v1/requests/{receipt_id}/view";
/// `POST` — approve with a CMS SignedData over the token.
pub const DEVICE_REQUEST_APPROVE: &str = "/device/v1/requests/{receipt_id}/approve";
/// `POST` — decline.
pub const DEVICE_REQUEST_DECLINE: &str = "/device/v1/requests/{receipt_id}/decline";

/// `GET` — the CA certificate, PEM.
pub const PKI_CA_PEM: &str = "/pki/ca.pem";
/// `GET` — the CA certificate, DER.
pub const PKI_CA_DER: &str = "/pki/ca.crt";
/// The CRL, DER (`application/pkix-crl`).
pub const PKI_CRL: &str = "/pki/crl";
/// The OCSP responder: `POST` a DER request, or `GET /pki/ocsp/{base64 request}` (RFC 6960 A.1).
pub const PKI_OCSP: &str = "/pki/ocsp";
/// `GET` — the OpenAPI 3.1 document of the native relying-party API (no authentication).
pub const OPENAPI: &str = "/v1/openapi.json";
/// `GET` — the API reference page, rendered from the OpenAPI document (no authentication).
pub const API_REFERENCE: &str = "/docs/api";
/// `GET` — liveness and database check.
pub const HEALTH: &str = "/healthz";
/// `GET` — readiness: the database answers, its schema is current, the CA can sign (503 and
/// the failing checks otherwise).
pub const READY: &str = "/readyz";

/// `POST` — create a request of `kind`: `/v1/identity`, `/v1/sign`, `/v1/multi-sign`,
/// `/v1/debit-consent`, `/v1/login`.
pub fn create_path(kind: Kind) -> String {
    format!("/v1/{kind}")
}

/// `GET` — the status route template of `kind` (`/v1/{kind}/{receipt_id}`).
pub fn status_template(kind: Kind) -> String {
    format!("/v1/{kind}/{{receipt_id}}")
}

/// `POST` — the verify route template of `kind` (login: the id is the `txID`).
pub fn verify_template(kind: Kind) -> String {
    format!("/v1/{kind}/{{receipt_id}}/verify")
}

/// `POST` — the cancel route template of `kind`.
pub fn cancel_template(kind: Kind) -> String {
    format!("/v1/{kind}/{{receipt_id}}/cancel")
}

/// `/v1/{kind}/{receipt_id}`
pub fn status_path(kind: Kind, receipt_id: &str) -> String {
    format!("/v1/{kind}/{receipt_id}")
}

/// `/v1/{kind}/{id}/verify`
pub fn verify_path(kind: Kind, id: &str) -> String {
    format!("/v1/{kind}/{id}/verify")
}

/// `/v1/{kind}/{receipt_id}/cancel`
pub fn cancel_path(kind: Kind, receipt_id: &str) -> String {
    format!("/v1/{kind}/{receipt_id}/cancel")
}

/// `/v1/identity/{receipt_id}`
pub fn identity_status_path(receipt_id: &str) -> String {
    format!("{IDENTITY}/{receipt_id}")
}

/// `/v1/identity/{receipt_id}/verify`
pub fn identity_verify_path(receipt_id: &str) -> String {
    format!("{IDENTITY}/{receipt_id}/verify")
}

/// `/device/v1/enrolments/{enrolment_id}/complete`
pub fn enrolment_complete_path(enrolment_id: &str) -> String {
    format!("{DEVICE_ENROLMENTS}/{enrolment_id}/complete")
}

/// `/device/v1/enrolments/bank/{enrolment_id}/complete`
pub fn bank_enrolment_complete_path(enrolment_id: &str) -> String {
    format!("{DEVICE_BANK_ENROLMENTS}/{enrolment_id}/complete")
}

/// `/device/v1/requests/{receipt_id}/{action}` for `view`, `approve` and `decline`.
pub fn device_request_action_path(receipt_id: &str, action: &str) -> String {
    format!("{DEVICE_REQUESTS}/{receipt_id}/{action}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_paths_match_the_route_templates() {
        let id = "1".repeat(32);
        for k in Kind::ALL {
            assert_eq!(
                status_path(k, &id),
                status_template(k).replace("{receipt_id}", &id)
            );
            assert_eq!(
                verify_path(k, &id),
                verify_template(k).replace("{receipt_id}", &id)
            );
            assert_eq!(
                cancel_path(k, &id),
                cancel_template(k).replace("{receipt_id}", &id)
            );
        }
        assert_eq!(create_path(Kind::Identity), IDENTITY);
        assert_eq!(status_template(Kind::Identity), IDENTITY_STATUS);
        assert_eq!(verify_template(Kind::Identity), IDENTITY_VERIFY);
        assert_eq!(
            identity_status_path(&id),
            IDENTITY_STATUS.replace("{receipt_id}", &id)
        );
        assert_eq!(
            identity_verify_path(&id),
            IDENTITY_VERIFY.replace("{receipt_id}", &id)
        );
        assert_eq!(
            enrolment_complete_path("e"),
            DEVICE_ENROLMENT_COMPLETE.replace("{enrolment_id}", "e")
        );
        assert_eq!(
            bank_enrolment_complete_path("e"),
            DEVICE_BANK_ENROLMENT_COMPLETE.replace("{enrolment_id}", "e")
        );
        for (action, template) in [
            ("view", DEVICE_REQUEST_VIEW),
            ("approve", DEVICE_REQUEST_APPROVE),
            ("decline", DEVICE_REQUEST_DECLINE),
        ] {
            assert_eq!(
                device_request_action_path(&id, action),
                template.replace("{receipt_id}", &id)
            );
        }
    }
}
