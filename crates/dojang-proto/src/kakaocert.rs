//! kakaocert 2.x (API 2.0): the PascalCase request bodies and the snake/camel-case answers of
//! LinkHub's kakaocert SDKs (`SignToken`, `SignIdentity`, `SignDirectDebit`), as
//! `../shared/reference/barocert-wire.md` §4 records them. No field encryption; POSTs carry
//! `x-kc-auth: <LinkID> <signature>` over `dojang_proto::linkhub::kakaocert_string_to_sign`.

use serde::{Deserialize, Serialize};

/// The body of `POST /SignToken/Request`, `/SignIdentity/Request`, `/SignDirectDebit/Request`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KcRequest {
    /// Call-centre number shown to the person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_center_num: Option<String>,
    /// Call-centre name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_center_name: Option<String>,
    /// Seconds the person has.
    #[serde(rename = "Expires_in", skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// A memo returned as is.
    #[serde(rename = "PayLoad", skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// `yyyyMMdd`.
    #[serde(rename = "ReceiverBirthDay", skip_serializing_if = "Option::is_none")]
    pub receiver_birthday: Option<String>,
    /// Mobile number.
    #[serde(rename = "ReceiverHP", skip_serializing_if = "Option::is_none")]
    pub receiver_hp: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_name: Option<String>,
    /// An alias registered for the relying party (empty: none).
    #[serde(rename = "SubClientID", skip_serializing_if = "Option::is_none")]
    pub sub_client_id: Option<String>,
    /// The title.
    #[serde(rename = "TMSTitle", skip_serializing_if = "Option::is_none")]
    pub tms_title: Option<String>,
    /// The message.
    #[serde(rename = "TMSMessage", skip_serializing_if = "Option::is_none")]
    pub tms_message: Option<String>,
    /// Registration by phone check alone when the person has no certificate.
    #[serde(
        rename = "isAllowSimpleRegistYN",
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_simple_regist: Option<bool>,
    /// The name must match the certificate holder's.
    #[serde(rename = "isVerifyNameYN", skip_serializing_if = "Option::is_none")]
    pub verify_name: Option<bool>,
    /// App-to-app.
    #[serde(rename = "isAppUseYN", skip_serializing_if = "Option::is_none")]
    pub app_use: Option<bool>,
    /// The text signed (ESign) or the one-time value (VerifyAuth).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// CMS: account holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_account_name: Option<String>,
    /// CMS: account number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_account_num: Option<String>,
    /// CMS: 3-digit bank code (`004` 국민은행, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// CMS: the relying party's id of the person (kept with the request as its payload when no
    /// `PayLoad` is sent).
    #[serde(rename = "ClientUserID", skip_serializing_if = "Option::is_none")]
    pub client_user_id: Option<String>,
}

/// The answer to a request call (`receiptId`, lower-case d, as the SDKs read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KcReceipt {
    /// The receipt.
    #[serde(rename = "receiptId")]
    pub receipt_id: String,
    /// App-to-app transaction id.
    pub tx_id: Option<String>,
}

/// The status object (ResultESign / ResultVerifyAuth / ResultCMS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KcStatus {
    /// The receipt.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// Registered, `yyyyMMddHHmmss` (KST).
    #[serde(rename = "regDT")]
    pub reg_dt: String,
    /// 0 waiting, 1 signed, 2 expired, 3 declined or cancelled, 4 failed.
    pub state: i32,
    /// Seconds.
    #[serde(rename = "expires_in")]
    pub expires_in: i64,
    /// Call-centre number.
    pub call_center_num: Option<String>,
    /// `CallCenterName` as sent (≤ 10), `null` when none was sent (seed 002's ResultVerifyAuth:
    /// "입력한 'CallCenterName' 값").
    pub call_center_name: Option<String>,
    /// `isAllowSimpleRegistYN` as sent.
    #[serde(rename = "allowSimpleRegistYN")]
    pub allow_simple_regist_yn: bool,
    /// `isVerifyNameYN` as sent.
    #[serde(rename = "verifyNameYN")]
    pub verify_name_yn: bool,
    /// `PayLoad` as sent.
    pub payload: Option<String>,
    /// Requested.
    #[serde(rename = "requestDT")]
    pub request_dt: String,
    /// Expires.
    #[serde(rename = "expireDT")]
    pub expire_dt: String,
    /// 12 digits.
    pub client_code: String,
    /// The relying party's name.
    pub client_name: String,
    /// The title.
    pub tmstitle: String,
    /// The message.
    pub tmsmessage: Option<String>,
    /// The alias's name.
    pub sub_client_name: Option<String>,
    /// The alias.
    pub sub_client_code: Option<String>,
    /// Shown by the app.
    #[serde(rename = "viewDT")]
    pub view_dt: Option<String>,
    /// Answered.
    #[serde(rename = "completeDT")]
    pub complete_dt: Option<String>,
    /// Verified.
    #[serde(rename = "verifyDT")]
    pub verify_dt: Option<String>,
    /// App-to-app.
    #[serde(rename = "appUseYN")]
    pub app_use_yn: bool,
    /// App-to-app transaction id.
    #[serde(rename = "tx_id")]
    pub tx_id: Option<String>,
}

/// The answer to verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KcVerified {
    /// The receipt.
    #[serde(rename = "receiptId")]
    pub receipt_id: String,
    /// Base64 CMS SignedData.
    #[serde(rename = "signedData")]
    pub signed_data: String,
}

/// kakaocert 1.x's result (API 1.0: ResultESign, ResultVerifyAuth, ResultCMS): the status
/// fields and, in the one answer that delivers it, the signature and the certificate holder's
/// fields. In 1.x this GET is the verify, so dojang delivers the signature once (see
/// docs/compat.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KcResultV1 {
    /// What 2.x calls the status.
    #[serde(flatten)]
    pub status: KcStatus,
    /// The certificate holder's phone, once signed.
    #[serde(rename = "receiverHP")]
    pub receiver_hp: Option<String>,
    /// The certificate holder's name, once signed.
    #[serde(rename = "receiverName")]
    pub receiver_name: Option<String>,
    /// The certificate holder's birth date `yyyyMMdd`, once signed.
    #[serde(rename = "receiverBirthday")]
    pub receiver_birthday: Option<String>,
    /// The signed text, once signed.
    pub token: Option<String>,
    /// Base64 CMS SignedData, in the answer that delivers it.
    #[serde(rename = "signedData")]
    pub signed_data: Option<String>,
    /// ResultVerifyAuth's name for the signature (identity only): the same SignedData.
    #[serde(
        rename = "returnToken",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub return_token: Option<String>,
    /// The holder's connecting information, once signed.
    pub ci: Option<String>,
}

/// The name of a bank by its 3-digit code (the codes kakaocert's `BankCode` takes), or `None`.
pub fn bank_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "002" => "KDB산업은행",
        "003" => "IBK기업은행",
        "004" => "KB국민은행",
        "007" => "수협은행",
        "011" => "NH농협은행",
        "020" => "우리은행",
        "023" => "SC제일은행",
        "027" => "한국씨티은행",
        "031" => "대구은행",
        "032" => "부산은행",
        "034" => "광주은행",
        "035" => "제주은행",
        "037" => "전북은행",
        "039" => "경남은행",
        "045" => "새마을금고",
        "048" => "신협",
        "071" => "우체국",
        "081" => "하나은행",
        "088" => "신한은행",
        "089" => "케이뱅크",
        "090" => "카카오뱅크",
        "092" => "토스뱅크",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_bodies_parse() {
        // The Node SDK's test body (Expires_in, PayLoad, isVerifyNameYN …).
        let body = r#"{"BankCode":"004","CallCenterNum":"1600-8536","Expires_in":60,
            "ReceiverBirthDay":"19800101","ReceiverHP":"010111222","ReceiverName":"홍길동",
            "BankAccountName":"예금주명","BankAccountNum":"9-4324-5**7-58",
            "ClientUserID":"clientUserID-0423-01","SubClientID":"020040000001",
            "TMSMessage":"TMSMessage0423","TMSTitle":"TMSTitle 0423",
            "isAllowSimpleRegistYN":true,"isVerifyNameYN":true,"PayLoad":"Payload123"}"#;
        let r: KcRequest = serde_json::from_str(body).unwrap();
        assert_eq!(r.expires_in, Some(60));
        assert_eq!(r.receiver_birthday.as_deref(), Some("19800101"));
        assert_eq!(r.payload.as_deref(), Some("Payload123"));
        assert_eq!(r.verify_name, Some(true));
        assert_eq!(
            bank_name(r.bank_code.as_deref().unwrap()),
            Some("KB국민은행")
        );
        assert_eq!(bank_name("999"), None);
    }
}
