//! barocert 2.1, the KAKAO product: the shapes LinkHub's barocert SDKs send and read, as
//! `../shared/reference/barocert-wire.md` §3 records them, and how dojang's error codes are
//! written in barocert's pattern. The request bodies are dojang's own [`CreateRequest`]
//! (barocert's KAKAO field names are the native API's), after the encrypted fields are
//! decrypted.
//!
//! [`CreateRequest`]: crate::rp::CreateRequest

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::rp::Kind;

/// A barocert service of the KAKAO product, with its path segment and LinkHub scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KakaoService {
    /// `Identity` (본인인증), scope 401.
    Identity,
    /// `Sign` (전자서명), scope 402.
    Sign,
    /// `MultiSign` (다건 전자서명), scope 403.
    MultiSign,
    /// `CMS` (출금동의), scope 404.
    Cms,
    /// `Login` (간편로그인, verify only), scope 405.
    Login,
}

impl KakaoService {
    /// Every service.
    pub const ALL: [KakaoService; 5] = [
        KakaoService::Identity,
        KakaoService::Sign,
        KakaoService::MultiSign,
        KakaoService::Cms,
        KakaoService::Login,
    ];

    /// The path segment: `Identity`, `Sign`, `MultiSign`, `CMS`, `Login`.
    pub const fn segment(self) -> &'static str {
        match self {
            KakaoService::Identity => "Identity",
            KakaoService::Sign => "Sign",
            KakaoService::MultiSign => "MultiSign",
            KakaoService::Cms => "CMS",
            KakaoService::Login => "Login",
        }
    }

    /// From the path segment.
    pub fn from_segment(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.segment() == s)
    }

    /// The LinkHub scope a token needs for it (and the prefix of its error codes).
    pub const fn scope(self) -> u32 {
        match self {
            KakaoService::Identity => 401,
            KakaoService::Sign => 402,
            KakaoService::MultiSign => 403,
            KakaoService::Cms => 404,
            KakaoService::Login => 405,
        }
    }

    /// The native kind it becomes.
    pub const fn kind(self) -> Kind {
        match self {
            KakaoService::Identity => Kind::Identity,
            KakaoService::Sign => Kind::Sign,
            KakaoService::MultiSign => Kind::MultiSign,
            KakaoService::Cms => Kind::DebitConsent,
            KakaoService::Login => Kind::Login,
        }
    }

    /// Fields the SDKs' examples encrypt (with the SDK's `encrypt`), which dojang decrypts.
    /// `tokens[].token` too, for MultiSign.
    pub const fn encrypted_fields(self) -> &'static [&'static str] {
        match self {
            KakaoService::Cms => &[
                "receiverHP",
                "receiverName",
                "receiverBirthday",
                "extraMessage",
                "requestCorp",
                "bankName",
                "bankAccountNum",
                "bankAccountName",
                "bankAccountBirthday",
                "bankServiceType",
            ],
            _ => &[
                "receiverHP",
                "receiverName",
                "receiverBirthday",
                "extraMessage",
                "token",
            ],
        }
    }
}

/// dojang's code written in barocert's pattern, `-SSS G NNNN`: `SSS` the service's scope, then
/// dojang's group digit and the last four digits of its code (dojang's `-1 0G 0NNNN`). So
/// `-10300002` (not signed yet) on KAKAO Identity is `-40130002`. Authentication codes (group
/// 00) stay as they are: they are LinkHub's platform codes, shared by every service.
pub fn error_code(scope: u32, code: ErrorCode) -> i64 {
    let c = -code.code();
    let group = (c / 100_000) % 100;
    if group == 0 {
        return code.code();
    }
    let last = c % 100_000;
    -(i64::from(scope) * 100_000 + group * 10_000 + last % 10_000)
}

/// The answer to a request call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// 32 digits.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// The app-to-app launch URL, when `appUseYN`.
    pub scheme: Option<String>,
}

/// The status of a KAKAO request (Identity, Sign, MultiSign, CMS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KakaoStatus {
    /// 32 digits.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// 12 digits.
    pub client_code: String,
    /// 0 waiting, 1 signed, 2 expired, 3 declined or cancelled, 4 failed.
    pub state: i32,
    /// Seconds the request was given.
    pub expire_in: i64,
    /// The call centre shown.
    pub call_center_name: String,
    /// Its number.
    pub call_center_num: Option<String>,
    /// The title.
    pub req_title: String,
    /// Sign: the document's title.
    pub sign_title: Option<String>,
    /// How the person confirmed: dojang's app always uses a PIN (`PIN`).
    pub auth_category: Option<String>,
    /// App-to-app return URL.
    #[serde(rename = "returnURL")]
    pub return_url: Option<String>,
    /// Sign, MultiSign: `TEXT`, `HASH` or `PDF`.
    pub token_type: Option<String>,
    /// `yyyyMMddHHmmss`, Asia/Seoul.
    #[serde(rename = "requestDT")]
    pub request_dt: String,
    /// When the app first showed it.
    #[serde(rename = "viewDT")]
    pub view_dt: Option<String>,
    /// When it was answered.
    #[serde(rename = "completeDT")]
    pub complete_dt: Option<String>,
    /// When it expires.
    #[serde(rename = "expireDT")]
    pub expire_dt: String,
    /// When it was verified.
    #[serde(rename = "verifyDT")]
    pub verify_dt: Option<String>,
    /// App-to-app launch URL.
    pub scheme: Option<String>,
    /// App-to-app instead of push.
    #[serde(rename = "appUseYN")]
    pub app_use_yn: bool,
}

/// The result of a KAKAO verify (Identity, Sign, CMS; MultiSign with `multiSignedData`; Login
/// with `txID`). Receiver attributes dojang does not know (gender, foreigner, carrier) are
/// `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KakaoResult {
    /// 32 digits (not for Login).
    #[serde(rename = "receiptID", skip_serializing_if = "Option::is_none", default)]
    pub receipt_id: Option<String>,
    /// Login: the transaction id.
    #[serde(rename = "txID", skip_serializing_if = "Option::is_none", default)]
    pub tx_id: Option<String>,
    /// 1.
    pub state: i32,
    /// Base64 CMS SignedData (not for MultiSign).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signed_data: Option<String>,
    /// MultiSign: one per document, in order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub multi_signed_data: Option<Vec<String>>,
    /// Connecting information (stable per person).
    pub ci: String,
    /// The certificate holder's name.
    pub receiver_name: String,
    /// Birth year, `yyyy`.
    pub receiver_year: String,
    /// Birth month and day, `MMdd`.
    pub receiver_day: String,
    /// Mobile number.
    #[serde(rename = "receiverHP")]
    pub receiver_hp: String,
    /// Not known to dojang: `null`.
    pub receiver_gender: Option<String>,
    /// Not known to dojang: `null`.
    pub receiver_foreign: Option<String>,
    /// Not known to dojang: `null`.
    pub receiver_telco_type: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_take_the_scope_and_keep_dojangs_number() {
        assert_eq!(error_code(401, ErrorCode::NotSignedYet), -40130002);
        assert_eq!(error_code(404, ErrorCode::ReceiptNotFound), -40430001);
        assert_eq!(error_code(402, ErrorCode::Internal), -40290001);
        // Authentication codes are LinkHub's, unchanged.
        assert_eq!(
            error_code(401, ErrorCode::LinkHubTokenInvalid),
            ErrorCode::LinkHubTokenInvalid.code()
        );
        // Distinct dojang codes stay distinct, 8 digits each.
        let mut seen = std::collections::HashSet::new();
        for &c in ErrorCode::ALL {
            let b = error_code(403, c);
            assert!((-99_999_999..=-10_000_000).contains(&b), "{c:?} → {b}");
            assert!(seen.insert(b), "{c:?} collides at {b}");
        }
    }

    #[test]
    fn services_know_their_path_scope_and_kind() {
        for s in KakaoService::ALL {
            assert_eq!(KakaoService::from_segment(s.segment()), Some(s));
        }
        assert_eq!(KakaoService::from_segment("identity"), None);
        assert_eq!(KakaoService::Cms.kind(), Kind::DebitConsent);
        assert_eq!(KakaoService::MultiSign.scope(), 403);
    }
}
