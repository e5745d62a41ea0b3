//! barocert 2.1: the products (KAKAO, NAVER, PASS, TOSS) and their services, the shapes
//! LinkHub's barocert SDKs send and read, as `../shared/reference/barocert-wire.md` §3 records
//! them, and how dojang's error codes are written in barocert's pattern. Request bodies become
//! dojang's own [`CreateRequest`] (barocert's field names are mostly the native API's) after the
//! encrypted fields are decrypted and each product's few differences are mapped.
//!
//! [`CreateRequest`]: crate::rp::CreateRequest

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::linkhub::{FieldError, FieldMode};
use crate::rp::Kind;

/// A barocert product (the first path segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// `KAKAO` (scopes 401–405).
    Kakao,
    /// `NAVER` (421–424).
    Naver,
    /// `PASS` (441–444).
    Pass,
    /// `TOSS` (461–465).
    Toss,
}

impl Product {
    /// The path segment.
    pub const fn segment(self) -> &'static str {
        match self {
            Product::Kakao => "KAKAO",
            Product::Naver => "NAVER",
            Product::Pass => "PASS",
            Product::Toss => "TOSS",
        }
    }

    /// The prefix of errors that happen before the service is known (400, 420, 440, 460).
    pub const fn base_scope(self) -> u32 {
        match self {
            Product::Kakao => 400,
            Product::Naver => 420,
            Product::Pass => 440,
            Product::Toss => 460,
        }
    }

    /// From the path segment.
    pub fn from_segment(s: &str) -> Option<Self> {
        [Product::Kakao, Product::Naver, Product::Pass, Product::Toss]
            .into_iter()
            .find(|p| p.segment() == s)
    }
}

/// One service of one product: its path segment, the LinkHub scope a token needs for it (also
/// the prefix of its error codes), the native kind it becomes, the fields the SDKs' examples
/// encrypt (besides `tokens[].token`), and how it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The product.
    pub product: Product,
    /// The path segment (`Identity`, `Sign`, `MultiSign`, `CMS`, `Login`, `UserIdentity`).
    pub segment: &'static str,
    /// LinkHub scope.
    pub scope: u32,
    /// The native kind.
    pub kind: Kind,
    /// Encrypted fields.
    pub encrypted: &'static [&'static str],
    /// Whether it has a request call (KAKAO Login starts in the app).
    pub requestable: bool,
}

const PERSON: &[&str] = &["receiverHP", "receiverName", "receiverBirthday"];
const KAKAO_TEXT: &[&str] = &[
    "receiverHP",
    "receiverName",
    "receiverBirthday",
    "extraMessage",
    "token",
];
const NAVER_TEXT: &[&str] = &[
    "receiverHP",
    "receiverName",
    "receiverBirthday",
    "reqMessage",
    "token",
];
const TOSS_TEXT: &[&str] = &["receiverHP", "receiverName", "receiverBirthday", "token"];
const KAKAO_CMS: &[&str] = &[
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
];
const NAVER_CMS: &[&str] = &[
    "receiverHP",
    "receiverName",
    "receiverBirthday",
    "reqMessage",
    "requestCorp",
    "bankName",
    "bankAccountNum",
    "bankAccountName",
    "bankAccountBirthday",
];
const PASS_CMS: &[&str] = &[
    "receiverHP",
    "receiverName",
    "receiverBirthday",
    "reqMessage",
    "bankName",
    "bankAccountNum",
    "bankAccountName",
    "bankServiceType",
    "bankWithdraw",
];
const TOSS_CMS: &[&str] = &[
    "receiverHP",
    "receiverName",
    "receiverBirthday",
    "requestCorp",
    "bankName",
    "bankAccountNum",
    "bankAccountName",
    "bankAccountBirthday",
];

const fn svc(
    product: Product,
    segment: &'static str,
    scope: u32,
    kind: Kind,
    encrypted: &'static [&'static str],
) -> Service {
    Service {
        product,
        segment,
        scope,
        kind,
        encrypted,
        requestable: true,
    }
}

const KAKAO_IDENTITY: Service = svc(Product::Kakao, "Identity", 401, Kind::Identity, KAKAO_TEXT);

/// Every service of every product.
pub const SERVICES: &[Service] = &[
    KAKAO_IDENTITY,
    svc(Product::Kakao, "Sign", 402, Kind::Sign, KAKAO_TEXT),
    svc(
        Product::Kakao,
        "MultiSign",
        403,
        Kind::MultiSign,
        KAKAO_TEXT,
    ),
    svc(Product::Kakao, "CMS", 404, Kind::DebitConsent, KAKAO_CMS),
    Service {
        requestable: false,
        ..svc(Product::Kakao, "Login", 405, Kind::Login, PERSON)
    },
    svc(Product::Naver, "Identity", 421, Kind::Identity, NAVER_TEXT),
    svc(Product::Naver, "Sign", 422, Kind::Sign, NAVER_TEXT),
    svc(
        Product::Naver,
        "MultiSign",
        423,
        Kind::MultiSign,
        NAVER_TEXT,
    ),
    svc(Product::Naver, "CMS", 424, Kind::DebitConsent, NAVER_CMS),
    svc(Product::Pass, "Identity", 441, Kind::Identity, NAVER_TEXT),
    svc(Product::Pass, "Sign", 442, Kind::Sign, NAVER_TEXT),
    svc(Product::Pass, "CMS", 443, Kind::DebitConsent, PASS_CMS),
    svc(Product::Pass, "Login", 444, Kind::Login, NAVER_TEXT),
    svc(
        Product::Toss,
        "UserIdentity",
        461,
        Kind::Identity,
        TOSS_TEXT,
    ),
    svc(Product::Toss, "Identity", 462, Kind::Identity, TOSS_TEXT),
    svc(Product::Toss, "Sign", 463, Kind::Sign, TOSS_TEXT),
    svc(Product::Toss, "MultiSign", 464, Kind::MultiSign, TOSS_TEXT),
    svc(Product::Toss, "CMS", 465, Kind::DebitConsent, TOSS_CMS),
];

/// The service at `/{product}/{service}/…`.
pub fn service(product: Product, segment: &str) -> Option<&'static Service> {
    SERVICES
        .iter()
        .find(|s| s.product == product && s.segment == segment)
}

/// Decrypts, in place, the encrypted fields of a barocert request body: the service's
/// [`Service::encrypted`] members and every `tokens[].token`, where they are strings (other
/// types are left for the type check that follows). The error names the field that did not
/// decrypt (`EncryptedFieldInvalid`).
pub fn open_fields(
    service: &Service,
    mode: FieldMode,
    key: &[u8],
    body: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<(), (&'static str, FieldError)> {
    use serde_json::Value;
    let open = |field: &'static str, value: &mut Value| {
        if let Value::String(s) = value {
            *s = mode.decrypt(key, s).map_err(|e| (field, e))?;
        }
        Ok(())
    };
    for field in service.encrypted {
        if let Some(value) = body.get_mut(*field) {
            open(field, value)?;
        }
    }
    if let Some(Value::Array(tokens)) = body.get_mut("tokens") {
        for t in tokens.iter_mut() {
            if let Some(value) = t.get_mut("token") {
                open("tokens[].token", value)?;
            }
        }
    }
    Ok(())
}

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

    /// Its entry in [`SERVICES`].
    pub fn service(self) -> &'static Service {
        SERVICES
            .iter()
            .find(|s| s.product == Product::Kakao && s.segment == self.segment())
            .unwrap_or(&KAKAO_IDENTITY)
    }

    /// The LinkHub scope a token needs for it (and the prefix of its error codes).
    pub fn scope(self) -> u32 {
        self.service().scope
    }

    /// The native kind it becomes.
    pub fn kind(self) -> Kind {
        self.service().kind
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

/// The status of a request, with the fields of every product's status object (SDKs ignore
/// the ones their product does not have).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BarocertStatus {
    /// 32 digits.
    #[serde(rename = "receiptID")]
    pub receipt_id: String,
    /// 12 digits.
    pub client_code: String,
    /// 0 waiting, 1 signed, 2 expired, 3 declined or cancelled, 4 failed.
    pub state: i32,
    /// Seconds the request was given.
    pub expire_in: i64,
    /// `callCenterName` as sent, `null` when none was (the card shows "<name> 고객센터").
    pub call_center_name: Option<String>,
    /// Its number.
    pub call_center_num: Option<String>,
    /// The title.
    pub req_title: String,
    /// Sign: the document's title.
    pub sign_title: Option<String>,
    /// The message on the card (NAVER and PASS `reqMessage`, KAKAO `extraMessage`).
    #[serde(default)]
    pub req_message: Option<String>,
    /// How the person confirmed: dojang's app always uses a PIN (`PIN`).
    pub auth_category: Option<String>,
    /// App-to-app return URL.
    #[serde(rename = "returnURL")]
    pub return_url: Option<String>,
    /// Sign, MultiSign: `TEXT`, `HASH` or `PDF`.
    pub token_type: Option<String>,
    /// NAVER MultiSign: each document's token type.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub token_types: Option<Vec<String>>,
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
    /// PASS: when the person declined.
    #[serde(rename = "rejectDT", default)]
    pub reject_dt: Option<String>,
    /// App-to-app launch URL.
    pub scheme: Option<String>,
    /// App-to-app instead of push.
    #[serde(rename = "appUseYN")]
    pub app_use_yn: bool,
}

/// The result of a verify (with `multiSignedData` for MultiSign, `txID` for KAKAO Login).
/// Receiver attributes dojang does not know (gender, foreigner, carrier, e-mail) are `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BarocertResult {
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
    /// The person's identifier for this relying party (TOSS returns it; every product gets it).
    #[serde(default)]
    pub di: String,
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
    /// NAVER, TOSS: not known to dojang: `null`.
    #[serde(default)]
    pub receiver_email: Option<String>,
}

/// The status object of a KAKAO request.
pub type KakaoStatus = BarocertStatus;
/// The verify result of a KAKAO request.
pub type KakaoResult = BarocertResult;

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
    fn every_service_has_its_own_scope_within_its_product() {
        let mut scopes = std::collections::HashSet::new();
        for svc in SERVICES {
            assert!(scopes.insert(svc.scope), "{svc:?}");
            let base = svc.product.base_scope();
            assert!((base + 1..base + 10).contains(&svc.scope), "{svc:?}");
            assert_eq!(service(svc.product, svc.segment), Some(svc));
            assert!(svc.encrypted.contains(&"receiverHP"));
        }
        assert_eq!(SERVICES.len(), 18);
        assert_eq!(
            service(Product::Toss, "UserIdentity").map(|s| s.scope),
            Some(461)
        );
        assert_eq!(service(Product::Naver, "Login"), None);
        assert_eq!(Product::from_segment("PASS"), Some(Product::Pass));
        assert_eq!(Product::from_segment("pass"), None);
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

    #[test]
    fn open_fields_decrypts_the_service_fields_and_names_the_one_that_fails() {
        use crate::linkhub::{encrypt_cbc, encrypt_gcm};
        let key = [9u8; 32];
        let svc = service(Product::Kakao, "MultiSign").unwrap();
        let mut body = serde_json::json!({
            "receiverHP": encrypt_gcm(&key, [1; 12], "01012345678").unwrap(),
            "reqTitle": "계약",
            "tokens": [{"token": encrypt_gcm(&key, [2; 12], "본문").unwrap()}, {"token": 5}],
        });
        let obj = body.as_object_mut().unwrap();
        open_fields(svc, FieldMode::Gcm, &key, obj).unwrap();
        assert_eq!(obj["receiverHP"], "01012345678");
        assert_eq!(obj["tokens"][0]["token"], "본문");
        assert_eq!(
            obj["tokens"][1]["token"], 5,
            "non-strings are left for the type check"
        );
        assert_eq!(obj["reqTitle"], "계약", "not an encrypted field");

        let cbc = encrypt_cbc(&key, [3; 16], "홍길동").unwrap();
        let mut body = serde_json::json!({"receiverName": cbc});
        let obj = body.as_object_mut().unwrap();
        // In the wrong mode, or under another party's key, the field is refused by name.
        assert_eq!(
            open_fields(svc, FieldMode::Gcm, &key, &mut obj.clone())
                .unwrap_err()
                .0,
            "receiverName"
        );
        assert!(open_fields(svc, FieldMode::Cbc, &[8u8; 32], &mut obj.clone()).is_err());
        open_fields(svc, FieldMode::Cbc, &key, obj).unwrap();
        assert_eq!(obj["receiverName"], "홍길동");
    }
}
