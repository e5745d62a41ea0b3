//! The native relying-party API v1 (JSON). See `docs/api.md` for the narrative.
//!
//! Request structs have every field optional so that a missing field reaches the server's
//! validation and gets its own error code instead of a generic JSON error.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::datetime::{kst, kst_option};

/// `POST /v1/identity`: ask a named person to prove who they are (본인인증).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityRequest {
    /// The person's name as the relying party knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_name: Option<String>,
    /// Mobile number, 10–11 digits, no separators.
    #[serde(rename = "receiverHP", skip_serializing_if = "Option::is_none")]
    pub receiver_hp: Option<String>,
    /// Birth date, `YYYYMMDD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_birthday: Option<String>,
    /// The one-time text the app signs; returned by verify inside `signedData`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The title shown on the person's app (≤ 40 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req_title: Option<String>,
    /// An optional message shown at the top of the card (≤ 500 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_message: Option<String>,
    /// Seconds the person has to answer (1 up to the server's maximum, 1000 by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_in: Option<i64>,
    /// The call-centre number shown to the person (≤ 20 characters); defaults to the relying
    /// party's registered number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_center_num: Option<String>,
}

impl IdentityRequest {
    /// A request with every required field set.
    pub fn new(
        receiver_name: impl Into<String>,
        receiver_hp: impl Into<String>,
        receiver_birthday: impl Into<String>,
        token: impl Into<String>,
        req_title: impl Into<String>,
        expire_in: i64,
    ) -> Self {
        Self {
            receiver_name: Some(receiver_name.into()),
            receiver_hp: Some(receiver_hp.into()),
            receiver_birthday: Some(receiver_birthday.into()),
            token: Some(token.into()),
            req_title: Some(req_title.into()),
            expire_in: Some(expire_in),
            extra_message: None,
            call_center_num: None,
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
}

/// Answer of every create call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptResponse {
    /// 32 digits; the handle for status and verify.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
}

/// `GET /v1/identity/{receiptID}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityStatus {
    /// The receipt.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// The relying party's 12-digit client code.
    pub client_code: String,
    /// 0 waiting, 1 signed, 2 expired, 3 declined, 4 failed.
    pub state: i32,
    /// The `expireIn` the request was made with, in seconds.
    pub expire_in: i64,
    /// The title shown to the person.
    pub req_title: String,
    /// When the request was accepted.
    #[serde(rename = "requestDT", with = "kst")]
    pub request_dt: OffsetDateTime,
    /// When the app first showed it.
    #[serde(rename = "viewDT", with = "kst_option")]
    pub view_dt: Option<OffsetDateTime>,
    /// When the person signed, declined, or the request failed.
    #[serde(rename = "completeDT", with = "kst_option")]
    pub complete_dt: Option<OffsetDateTime>,
    /// When the request expires (or expired).
    #[serde(rename = "expireDT", with = "kst")]
    pub expire_dt: OffsetDateTime,
    /// When the relying party verified it.
    #[serde(rename = "verifyDT", with = "kst_option")]
    pub verify_dt: Option<OffsetDateTime>,
}

/// `POST /v1/identity/{receiptID}/verify`: the signature and the verified person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityVerifyResult {
    /// The receipt.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// Always 1 (signed) in a successful answer.
    pub state: i32,
    /// Standard base64 of the DER CMS SignedData the app made over the token.
    pub signed_data: String,
    /// The token that was signed.
    pub token: String,
    /// The certificate holder's name.
    pub receiver_name: String,
    /// The certificate holder's mobile number.
    #[serde(rename = "receiverHP")]
    pub receiver_hp: String,
    /// The certificate holder's birth date, `YYYYMMDD`.
    pub receiver_birthday: String,
    /// A stable identifier of the person across relying parties (연계정보).
    pub ci: String,
}

/// Request states as numbers on the wire.
pub mod state {
    /// Waiting for the person.
    pub const WAITING: i32 = 0;
    /// Signed; verify may be called.
    pub const SIGNED: i32 = 1;
    /// Nobody answered in time.
    pub const EXPIRED: i32 = 2;
    /// The person declined.
    pub const DECLINED: i32 = 3;
    /// Something went wrong (for example a signature that did not verify).
    pub const FAILED: i32 = 4;
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
    fn status_dates_are_kst_compact_or_null() {
        let s = IdentityStatus {
            receipt_id: "1".repeat(32),
            client_code: "000000000001".into(),
            state: state::WAITING,
            expire_in: 300,
            req_title: "t".into(),
            request_dt: datetime!(2026-11-22 00:00:00 UTC),
            view_dt: None,
            complete_dt: None,
            expire_dt: datetime!(2026-11-22 00:05:00 UTC),
            verify_dt: None,
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["requestDT"], "20261122090000");
        assert_eq!(v["expireDT"], "20261122090500");
        assert!(v["viewDT"].is_null());
        assert_eq!(serde_json::from_value::<IdentityStatus>(v).unwrap(), s);
    }
}
