//! kakaocert 2.x (API 2.0) and 1.x (API 1.0): LinkHub's kakaocert SDKs pointed at dojang. Each call becomes an
//! ordinary dojang request through `service::requests`; this module speaks the dialect:
//! bearer tokens of the LinkHub token service (`KAKAOCERT`, bound to the relying party's
//! client code), `x-kc-auth: <LinkID> <signature>` over the raw body, PascalCase bodies, and the
//! SDKs' answer shapes. Errors are `{code, message}` with dojang's own codes (kakaocert's are
//! 8-digit negatives too), messages in Korean unless `Accept-Language: en`.
//!
//! | call | path | dojang kind |
//! |---|---|---|
//! | RequestESign / GetESignState / VerifyESign | `POST /SignToken/Request`, `GET /SignToken/Status/{id}`, `GET /SignToken/Verify/{id}[/{signature}]` | sign |
//! | RequestVerifyAuth / GetVerifyAuthState / VerifyAuth | `/SignIdentity/…` | identity |
//! | RequestCMS / GetCMSState / VerifyCMS | `/SignDirectDebit/…` | debit-consent |
//!
//! API 1.0 (kakaocert 1.x, the API the seed documents describe) shares the paths, told apart by
//! `x-lh-version: 1.0` on POSTs (signed with HMAC-SHA1 over the base64 MD5 of the body) and
//! `x-pb-version: 1.0` on GETs, and adds `GET /{service}/{id}` (GetESignResult,
//! GetVerifyAuthResult, GetCMSResult). What API 1.0's documents promise, and dojang keeps
//! (docs/compat.md has the table):
//!
//! - receipt ids of 20 digits (`receiptID String 20`); each API accepts only its own form;
//! - `state` is 0, 1 or 2 only: a declined, cancelled or failed request shows 2, the one state
//!   the documents give a request that ends without a signature;
//! - VerifyAuth (both APIs) answers `signedData` equal to the `Token` the relying party sent, so
//!   the documents' own check `signedData == Token` completes the verification: dojang verified
//!   the CMS before it let the request become signed, and the CMS stays available through the
//!   native API, barocert and the admin console;
//! - GetESignResult and GetCMSResult are result checks: repeatable, with the CMS whenever the
//!   state is 1; the verify-once rule is VerifyAuth's;
//! - every field the documents mark required is required, with their lengths, and a refusal
//!   names the field as the caller sent it (`TMSTitle`, `Expires_in`, `PayLoad`);
//! - `callCenterName` is what was sent, `null` when nothing was;
//! - app-to-app (`isAppUseYN`) answers a `tx_id`, which opens dojang's app on the request.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dojang_core::{CoreError, ValidationError};
use dojang_core::{Dialect, ReceiptId, RelyingParty, RequestKind};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_kst;
use dojang_proto::error::Lang;
use dojang_proto::kakaocert::{KcReceipt, KcRequest, KcResultV1, KcStatus, KcVerified, bank_name};
use dojang_proto::linkhub::{self, KAKAOCERT};
use dojang_proto::rp::RequestStatus;
use dojang_proto::rp::VerifyResult;
use dojang_proto::rp::{CreateRequest, DebitAccount, TokenType};

use super::error::ApiError;
use super::extract::{parse_json, read_body};
use super::linkhub::{bearer, check_date, client_ip, dialect_lang as lang};
use crate::service::replay::SignedCall;
use crate::service::requests;
use crate::state::AppState;

/// The three kakaocert services and the native kind each becomes.
const SERVICES: [(&str, RequestKind); 3] = [
    ("SignToken", RequestKind::Sign),
    ("SignIdentity", RequestKind::Identity),
    ("SignDirectDebit", RequestKind::DebitConsent),
];

/// The routes.
pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for (segment, kind) in SERVICES {
        r = r
            .route(
                &format!("/{segment}/Request"),
                post(move |st, req| request(kind, st, req)),
            )
            .route(
                &format!("/{segment}/Status/{{id}}"),
                get(move |st, Path(id): Path<String>, req| status(kind, st, id, req)),
            )
            .route(
                &format!("/{segment}/{{id}}"),
                get(move |st, Path(id): Path<String>, req| result_v1(kind, st, id, req)),
            )
            .route(
                &format!("/{segment}/Verify/{{id}}"),
                get(move |st, Path(id): Path<String>, req| verify(kind, st, id, req)),
            )
            .route(
                &format!("/{segment}/Verify/{{id}}/{{signature}}"),
                get(
                    move |st, Path((id, _signature)): Path<(String, String)>, req| {
                        verify(kind, st, id, req)
                    },
                ),
            );
    }
    r
}

/// Which kakaocert API a call speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// API 1.0: kakaocert 1.x (and Python kakaocert 2.0.x, which still speaks it).
    V1,
    /// API 2.0: kakaocert 2.x.
    V2,
}

impl Api {
    /// A POST's API: `x-lh-version`, which the signature covers too.
    fn of_post(headers: &HeaderMap) -> Self {
        Self::of(headers, "x-lh-version")
    }

    /// A GET's API: `x-pb-version` (Node kakaocert 2.x sends none: 2.0).
    fn of_get(headers: &HeaderMap) -> Self {
        Self::of(headers, "x-pb-version")
    }

    fn of(headers: &HeaderMap, name: &str) -> Self {
        if linkhub::is_kc_v1(headers.get(name).and_then(|v| v.to_str().ok())) {
            Self::V1
        } else {
            Self::V2
        }
    }

    fn dialect(self) -> Dialect {
        match self {
            Self::V1 => Dialect::KAKAOCERT_V1,
            Self::V2 => Dialect::KAKAOCERT_V2,
        }
    }

    /// A receipt id of this API's form, or the refusal of any other string.
    fn receipt(self, id: &str) -> Result<ReceiptId, ApiError> {
        Ok(ReceiptId::parse_in(id, self.dialect().receipt_form)?)
    }

    /// The state as this API's documents promise it: API 1.0 knows 0 waiting, 1 signed and
    /// 2 expired only, so a request that ended without a signature otherwise (declined,
    /// cancelled, failed: 3 and 4 natively) shows 2, the state its callers already treat as
    /// "no signature, ask again".
    fn state(self, native: i32) -> i32 {
        match (self, native) {
            (Self::V1, 3 | 4) => 2,
            _ => native,
        }
    }
}

/// How a call's refusals are worded: its language, kind and API.
#[derive(Debug, Clone, Copy)]
struct Wording {
    lang: Lang,
    kind: RequestKind,
    api: Api,
}

impl Wording {
    fn refuse(self, error: ApiError) -> Refusal {
        Refusal {
            error,
            wording: self,
        }
    }
}

/// A refusal in kakaocert's shape, fields named as kakaocert names them.
struct Refusal {
    error: ApiError,
    wording: Wording,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Wording { lang, kind, api } = self.wording;
        // A refused character names its field: by kakaocert's name.
        let error = match self.error {
            ApiError::Core(CoreError::Validation(ValidationError::UnsafeText(field))) => {
                ApiError::Detailed {
                    code: ErrorCode::TextUnsafeCharacter,
                    detail: kc_field(field).to_owned(),
                }
            }
            other => other,
        };
        error.into_dialect_response_worded(ErrorCode::code, lang, |code, lang| {
            kc_message(kind, api, code, lang)
        })
    }
}

/// The documents' limits where they are tighter than the native API's.
const TOKEN_MAX_CHARS: usize = 500;
/// RequestESign's `ReceiverName String 20`.
const ESIGN_NAME_MAX_CHARS: usize = 20;
/// RequestVerifyAuth's `ReceiverName String 80`: "국문 최대 26자, 영문 최대 80자" — 80 bytes of
/// UTF-8 (a Hangul syllable is 3).
const IDENTITY_NAME_MAX_BYTES: usize = 80;

/// What kakaocert's documents mark required ("O") and the lengths they set tighter than the
/// native API; every other rule is the native API's, checked after this on the translated body.
/// Checked in the documents' field order, so the first problem is the one reported.
fn check_fields(kind: RequestKind, k: &KcRequest) -> Result<(), ApiError> {
    fn blank(v: Option<&String>) -> bool {
        v.is_none_or(|s| s.trim().is_empty())
    }
    if blank(k.call_center_num.as_ref()) {
        return Err(ErrorCode::CallCenterNumMissing.into());
    }
    if k.expires_in.is_none() {
        return Err(ValidationError::ExpireInMissing.into());
    }
    if blank(k.receiver_birthday.as_ref()) {
        return Err(ValidationError::BirthdayMissing.into());
    }
    if blank(k.receiver_hp.as_ref()) {
        return Err(ValidationError::PhoneMissing.into());
    }
    let name = k.receiver_name.as_deref().map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err(ValidationError::NameMissing.into());
    }
    let name_too_long = match kind {
        RequestKind::Sign => name.chars().count() > ESIGN_NAME_MAX_CHARS,
        RequestKind::Identity => name.len() > IDENTITY_NAME_MAX_BYTES,
        _ => false,
    };
    if name_too_long {
        return Err(ValidationError::NameTooLong.into());
    }
    if kind != RequestKind::DebitConsent {
        if k.token.as_deref().is_none_or(str::is_empty) {
            return Err(ValidationError::TokenMissing.into());
        }
        if k.token
            .as_deref()
            .is_some_and(|t| t.chars().count() > TOKEN_MAX_CHARS)
        {
            return Err(ValidationError::TokenTooLong.into());
        }
    }
    if blank(k.tms_title.as_ref()) {
        return Err(ValidationError::TitleMissing.into());
    }
    // isAllowSimpleRegistYN and isVerifyNameYN are required ("O") too, but LinkHub's own Node
    // SDK drops every false value from the JSON it sends (its replacer returns undefined for
    // anything falsy), so a missing one reads as false, as LinkHub's service must read it.
    Ok(())
}

/// The message of a refusal as kakaocert's callers read it: the field by the name they sent it
/// under, with the documents' limits. `None`: the catalogue's own message.
fn kc_message(kind: RequestKind, api: Api, code: ErrorCode, lang: Lang) -> Option<String> {
    use ErrorCode as C;
    let ko = lang == Lang::Ko;
    let pick = |en: &str, k: &str| Some(if ko { k.to_owned() } else { en.to_owned() });
    match code {
        C::NameTooLong => match kind {
            RequestKind::Sign => pick(
                "ReceiverName must be at most 20 characters",
                "수신자 성명(ReceiverName)은 20자 이하여야 합니다",
            ),
            RequestKind::Identity => pick(
                "ReceiverName must be at most 80 bytes (26 Hangul or 80 Latin letters)",
                "수신자 성명(ReceiverName)은 국문 26자, 영문 80자 이하여야 합니다",
            ),
            _ => pick(
                "ReceiverName must be at most 80 characters",
                "수신자 성명(ReceiverName)은 80자 이하여야 합니다",
            ),
        },
        C::TokenTooLong => pick(
            "Token must be at most 500 characters",
            "원문(Token)은 500자 이하여야 합니다",
        ),
        C::ExpireInTooLarge => pick(
            "Expires_in must be at most 1000 seconds",
            "인증요청 만료시간(Expires_in)은 최대 1000초입니다",
        ),
        C::ReceiptIdInvalid => match api {
            Api::V1 => pick(
                "receiptID must be 20 digits",
                "접수아이디(receiptID)는 20자리 숫자여야 합니다",
            ),
            Api::V2 => pick(
                "receiptID must be 32 digits",
                "접수아이디(receiptID)는 32자리 숫자여야 합니다",
            ),
        },
        _ => {
            let (native, named) = KC_NAMES
                .iter()
                .find(|(c, _, _)| *c == code)
                .map(|(_, n, k)| (*n, *k))?;
            let catalogue = code.message(lang);
            Some(if catalogue.contains(native) {
                catalogue.replacen(native, named, 1)
            } else if ko {
                format!("{catalogue} ({named})")
            } else {
                format!("{named}: {catalogue}")
            })
        }
    }
}

/// kakaocert's name of a native field (itself when kakaocert has no other).
fn kc_field(native: &str) -> &str {
    match native {
        "reqTitle" | "signTitle" => "TMSTitle",
        "extraMessage" => "TMSMessage",
        other => KC_NAMES
            .iter()
            .find(|(_, n, _)| *n == other)
            .map_or(other, |(_, _, k)| k),
    }
}

/// Codes whose catalogue message names a native field, with that name and kakaocert's.
#[rustfmt::skip]
const KC_NAMES: &[(ErrorCode, &str, &str)] = &[
    (ErrorCode::NameMissing, "receiverName", "ReceiverName"),
    (ErrorCode::NameInvalid, "receiverName", "ReceiverName"),
    (ErrorCode::PhoneMissing, "receiverHP", "ReceiverHP"),
    (ErrorCode::PhoneNotDigits, "receiverHP", "ReceiverHP"),
    (ErrorCode::PhoneLength, "receiverHP", "ReceiverHP"),
    (ErrorCode::BirthdayMissing, "receiverBirthday", "ReceiverBirthDay"),
    (ErrorCode::BirthdayFormat, "receiverBirthday", "ReceiverBirthDay"),
    (ErrorCode::BirthdayInvalid, "receiverBirthday", "ReceiverBirthDay"),
    (ErrorCode::TokenMissing, "token", "Token"),
    (ErrorCode::TitleMissing, "reqTitle", "TMSTitle"),
    (ErrorCode::TitleTooLong, "reqTitle", "TMSTitle"),
    (ErrorCode::ExtraMessageTooLong, "extraMessage", "TMSMessage"),
    (ErrorCode::ExpireInMissing, "expireIn", "Expires_in"),
    (ErrorCode::ExpireInTooSmall, "expireIn", "Expires_in"),
    (ErrorCode::CallCenterNumMissing, "callCenterNum", "CallCenterNum"),
    (ErrorCode::CallCenterNumTooLong, "callCenterNum", "CallCenterNum"),
    (ErrorCode::CallCenterNumInvalid, "callCenterNum", "CallCenterNum"),
    (ErrorCode::CallCenterNameTooLong, "callCenterName", "CallCenterName"),
    (ErrorCode::SubClientIdInvalid, "subClientID", "SubClientID"),
    (ErrorCode::SubClientNotFound, "subClientID", "SubClientID"),
    (ErrorCode::PayloadTooLong, "payload", "PayLoad"),
    (ErrorCode::BankCodeMissing, "bankCode", "BankCode"),
    (ErrorCode::BankCodeInvalid, "bankCode", "BankCode"),
    (ErrorCode::BankAccountNumMissing, "bankAccountNum", "BankAccountNum"),
    (ErrorCode::BankAccountNumInvalid, "bankAccountNum", "BankAccountNum"),
    (ErrorCode::BankAccountNameMissing, "bankAccountName", "BankAccountName"),
    (ErrorCode::BankAccountNameTooLong, "bankAccountName", "BankAccountName"),
];

/// The relying party of the bearer token; for POSTs also the date and `x-kc-auth` checks.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    body: Option<&[u8]>,
) -> Result<(Arc<RelyingParty>, Option<SignedCall>), ApiError> {
    let peer = client_ip(state, extensions, headers);
    let (rp, _) = bearer(state, headers, peer, KAKAOCERT, None).await?;
    let mut signed = None;
    if let Some(body) = body {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let date = header("x-lh-date");
        check_date(state, date)?;
        let auth = header("x-kc-auth").ok_or(ErrorCode::AuthorizationMissing)?;
        let (link_id, signature) =
            linkhub::parse_kc_auth(auth).ok_or(ErrorCode::AuthorizationMalformed)?;
        let (key, date) = (rp.secret.as_bytes(), date.unwrap_or(""));
        let (dialect, text, valid) = if linkhub::is_kc_v1(header("x-lh-version")) {
            let text = linkhub::kakaocert_v1_string_to_sign(body, date);
            let valid = linkhub::verify_v1(key, &text, signature);
            ("kakaocert 1.0", text, valid)
        } else {
            let text = linkhub::kakaocert_string_to_sign(body, date);
            let valid = linkhub::verify(key, &text, signature);
            ("kakaocert", text, valid)
        };
        if link_id != rp.link_id || !valid {
            return Err(ErrorCode::SignatureMismatch.into());
        }
        // `check_date` above accepted the date, so it parses.
        let when = linkhub::parse_date(date).unwrap_or_else(|| state.clock.now());
        signed = Some(SignedCall::new(state, dialect, &rp.link_id, &text, when));
    }
    Ok((rp, signed))
}

/// A PascalCase body as a native create body of `kind`.
fn native(kind: RequestKind, rp: &RelyingParty, k: KcRequest) -> CreateRequest {
    let some = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let title = some(k.tms_title);
    let mut c = CreateRequest {
        receiver_name: k.receiver_name,
        receiver_hp: k.receiver_hp,
        receiver_birthday: k.receiver_birthday.clone(),
        extra_message: some(k.tms_message),
        expire_in: k.expires_in,
        call_center_num: some(k.call_center_num),
        call_center_name: some(k.call_center_name),
        sub_client_id: some(k.sub_client_id),
        payload: some(k.payload).or(some(k.client_user_id)),
        // Missing reads as false (see `check_fields`): kakaocert's flags are always explicit.
        allow_simple_regist_yn: Some(k.allow_simple_regist.unwrap_or(false)),
        verify_name_yn: Some(k.verify_name.unwrap_or(false)),
        app_use_yn: k.app_use,
        ..CreateRequest::default()
    };
    match kind {
        RequestKind::Sign => {
            c.sign_title = title;
            c.token_type = Some(TokenType::Text.as_str().to_owned());
            c.token = k.token;
        }
        RequestKind::DebitConsent => {
            c.req_title = title;
            let code = k.bank_code.unwrap_or_default();
            let account = DebitAccount {
                request_corp: rp.name.clone(),
                bank_name: bank_name(&code)
                    .map_or_else(|| format!("은행코드 {code}"), str::to_owned),
                bank_account_num: k.bank_account_num.unwrap_or_default(),
                bank_account_name: k.bank_account_name.unwrap_or_default(),
                bank_account_birthday: k.receiver_birthday.unwrap_or_default(),
                bank_service_type: "CMS".to_owned(),
            };
            c.request_corp = Some(account.request_corp);
            c.bank_name = Some(account.bank_name);
            c.bank_account_num = Some(account.bank_account_num);
            c.bank_account_name = Some(account.bank_account_name);
            c.bank_account_birthday = Some(account.bank_account_birthday);
            c.bank_service_type = Some(account.bank_service_type);
        }
        _ => {
            c.req_title = title;
            c.token = k.token;
        }
    }
    c
}

async fn request(
    kind: RequestKind,
    State(state): State<AppState>,
    req: Request<Body>,
) -> Result<axum::Json<KcReceipt>, Refusal> {
    let (parts, body) = req.into_parts();
    let api = Api::of_post(&parts.headers);
    let lang = lang(&parts.headers);
    let wording = Wording { lang, kind, api };
    let refuse = |error: ApiError| wording.refuse(error);
    let bytes = read_body(&parts.headers, body, state.max_body_bytes)
        .await
        .map_err(refuse)?;
    let (rp, signed) = authenticate(&state, &parts.headers, &parts.extensions, Some(&bytes))
        .await
        .map_err(refuse)?;
    let k: KcRequest = parse_json(&bytes).map_err(refuse)?;
    check_fields(kind, &k).map_err(refuse)?;
    let wire = native(kind, &rp, k);
    let receipt = requests::create_in(
        &state,
        &rp,
        api.dialect(),
        kind,
        &wire,
        None,
        signed.as_ref(),
    )
    .await
    .map_err(refuse)?;
    Ok(axum::Json(KcReceipt {
        receipt_id: receipt.receipt_id,
        tx_id: receipt.tx_id,
    }))
}

/// Authenticate a GET and read its receipt id in the caller's API's form.
async fn get_call(
    state: &AppState,
    kind: RequestKind,
    id: &str,
    req: &Parts,
) -> Result<(Arc<RelyingParty>, Wording, ReceiptId), Refusal> {
    let api = Api::of_get(&req.headers);
    let wording = Wording {
        lang: lang(&req.headers),
        kind,
        api,
    };
    let refuse = |error: ApiError| wording.refuse(error);
    let (rp, _) = authenticate(state, &req.headers, &req.extensions, None)
        .await
        .map_err(refuse)?;
    let receipt = api.receipt(id).map_err(refuse)?;
    Ok((rp, wording, receipt))
}

async fn status(
    kind: RequestKind,
    State(state): State<AppState>,
    id: String,
    req: Request<Body>,
) -> Result<axum::Json<KcStatus>, Refusal> {
    let req = req.into_parts().0;
    let (rp, wording, receipt) = get_call(&state, kind, &id, &req).await?;
    let (api, refuse) = (wording.api, |error: ApiError| wording.refuse(error));
    let s = requests::status(&state, &rp, kind, receipt.as_str(), Duration::ZERO)
        .await
        .map_err(refuse)?;
    Ok(axum::Json(kc_status(api, s)))
}

/// A native status in kakaocert's names.
fn kc_status(api: Api, s: RequestStatus) -> KcStatus {
    KcStatus {
        receipt_id: s.receipt_id,
        reg_dt: format_kst(s.reg_dt),
        state: api.state(s.state),
        expires_in: s.expire_in,
        call_center_num: s.call_center_num,
        call_center_name: s.call_center_name,
        allow_simple_regist_yn: s.allow_simple_regist_yn,
        verify_name_yn: s.verify_name_yn,
        payload: s.payload,
        request_dt: format_kst(s.request_dt),
        expire_dt: format_kst(s.expire_dt),
        client_code: s.client_code,
        client_name: s.client_name,
        tmstitle: s.sign_title.unwrap_or(s.req_title),
        tmsmessage: s.extra_message,
        sub_client_name: s.sub_client_name,
        sub_client_code: s.sub_client_code,
        view_dt: s.view_dt.map(format_kst),
        complete_dt: s.complete_dt.map(format_kst),
        verify_dt: s.verify_dt.map(format_kst),
        app_use_yn: s.app_use_yn,
        tx_id: s.tx_id,
    }
}

/// API 1.0's `GET /{service}/{id}` (GetESignResult, GetVerifyAuthResult, GetCMSResult): the
/// status and, once the request is signed, its result. For e-sign and direct-debit consent a
/// result check (seed 001): repeatable, the CMS and the token whenever the state is 1. For
/// identity it is the verify (VerifyAuth's rule: once, within the window), and its signature is
/// the token the relying party sent, as VerifyAuth's.
async fn result_v1(
    kind: RequestKind,
    State(state): State<AppState>,
    id: String,
    req: Request<Body>,
) -> Result<axum::Json<KcResultV1>, Refusal> {
    let req = req.into_parts().0;
    let (rp, wording, receipt) = get_call(&state, kind, &id, &req).await?;
    let (api, refuse) = (wording.api, |error: ApiError| wording.refuse(error));
    let id = receipt.as_str();
    let mut s = requests::status(&state, &rp, kind, id, Duration::ZERO)
        .await
        .map_err(refuse)?;
    let mut signed = None;
    if s.state == 1 {
        signed = Some(if kind == RequestKind::Identity {
            let mut v = requests::verify(&state, &rp, kind, id)
                .await
                .map_err(refuse)?;
            v.signed_data.clone_from(&v.token);
            v
        } else {
            requests::result(&state, &rp, kind, id)
                .await
                .map_err(refuse)?
        });
        // verifyDT, as the first result just recorded it.
        s = requests::status(&state, &rp, kind, id, Duration::ZERO)
            .await
            .map_err(refuse)?;
    }
    let mut result = KcResultV1 {
        status: kc_status(api, s),
        receiver_hp: None,
        receiver_name: None,
        receiver_birthday: None,
        token: None,
        signed_data: None,
        return_token: None,
        ci: None,
    };
    if let Some(v) = signed {
        if kind == RequestKind::Identity {
            result.return_token.clone_from(&v.signed_data);
        }
        result.receiver_hp = Some(v.receiver_hp);
        result.receiver_name = Some(v.receiver_name);
        result.receiver_birthday = Some(v.receiver_birthday);
        result.token = v.token;
        result.signed_data = v.signed_data;
        result.ci = Some(v.ci);
    }
    Ok(axum::Json(result))
}

/// Verify, once (VerifyESign, VerifyAuth, VerifyCMS). VerifyAuth answers the token the relying
/// party sent as `signedData` (seed 002: "반환 받은 전자서명 데이터 전문('signedData')와 … Token의
/// 동일 여부를 확인하여 본인인증 검증을 완료합니다"): dojang checked the CMS, its signer and its
/// content against that token before the request could become signed. E-sign and debit consent
/// answer the CMS. The app-to-app form's `{signature}` segment is accepted and not needed: the
/// signature reached dojang from its own app.
async fn verify(
    kind: RequestKind,
    State(state): State<AppState>,
    id: String,
    req: Request<Body>,
) -> Result<axum::Json<KcVerified>, Refusal> {
    let req = req.into_parts().0;
    let (rp, wording, receipt) = get_call(&state, kind, &id, &req).await?;
    let refuse = |error: ApiError| wording.refuse(error);
    let v: VerifyResult = requests::verify(&state, &rp, kind, receipt.as_str())
        .await
        .map_err(refuse)?;
    let signed_data = if kind == RequestKind::Identity {
        v.token
    } else {
        v.signed_data
    };
    Ok(axum::Json(KcVerified {
        receipt_id: v.receipt_id,
        signed_data: signed_data.unwrap_or_default(),
    }))
}
