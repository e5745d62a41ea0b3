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
//! API 1.0 (kakaocert 1.x SDKs) shares the request calls, told apart by `x-lh-version: 1.0` and
//! signed with HMAC-SHA1 over the base64 MD5 of the body; it has no status and verify, only
//! `GET /{service}/{id}` (GetESignResult, GetVerifyAuthResult, GetCMSResult), which answers the
//! status and, the first time it finds the request signed, verifies it and carries the
//! signature (later calls: `AlreadyVerified`, as a second verify).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{Extensions, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dojang_core::{RelyingParty, RequestKind};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_kst;
use dojang_proto::error::Lang;
use dojang_proto::kakaocert::{KcReceipt, KcRequest, KcResultV1, KcStatus, KcVerified, bank_name};
use dojang_proto::linkhub::{self, KAKAOCERT};
use dojang_proto::rp::RequestStatus;
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

/// A refusal in kakaocert's shape.
struct Refusal(ApiError, Lang);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        self.0.into_dialect_response(ErrorCode::code, self.1)
    }
}

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
        let (link_id, signature) = auth
            .split_once(' ')
            .ok_or(ErrorCode::AuthorizationMalformed)?;
        let (key, date, signature) = (rp.secret.as_bytes(), date.unwrap_or(""), signature.trim());
        let (dialect, text, valid) = if header("x-lh-version") == Some(linkhub::KC_V1_VERSION) {
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
        allow_simple_regist_yn: k.allow_simple_regist,
        verify_name_yn: k.verify_name,
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
    let lang = lang(&parts.headers);
    let refuse = |e: ApiError| Refusal(e, lang);
    let bytes = read_body(&parts.headers, body, state.max_body_bytes)
        .await
        .map_err(refuse)?;
    let (rp, signed) = authenticate(&state, &parts.headers, &parts.extensions, Some(&bytes))
        .await
        .map_err(refuse)?;
    let k: KcRequest = parse_json(&bytes).map_err(refuse)?;
    let wire = native(kind, &rp, k);
    let receipt = requests::create(&state, &rp, kind, &wire, None, signed.as_ref())
        .await
        .map_err(refuse)?;
    Ok(axum::Json(KcReceipt {
        receipt_id: receipt.receipt_id,
        tx_id: None,
    }))
}

async fn status(
    kind: RequestKind,
    State(state): State<AppState>,
    id: String,
    req: Request<Body>,
) -> Result<axum::Json<KcStatus>, Refusal> {
    let lang = lang(req.headers());
    let refuse = |e: ApiError| Refusal(e, lang);
    let (rp, _) = authenticate(&state, req.headers(), req.extensions(), None)
        .await
        .map_err(refuse)?;
    let s = requests::status(&state, &rp, kind, &id, Duration::ZERO)
        .await
        .map_err(refuse)?;
    Ok(axum::Json(kc_status(s)))
}

/// A native status in kakaocert's names.
fn kc_status(s: RequestStatus) -> KcStatus {
    KcStatus {
        receipt_id: s.receipt_id,
        reg_dt: format_kst(s.reg_dt),
        state: s.state,
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
        tx_id: None,
    }
}

/// API 1.0's GetESignResult / GetVerifyAuthResult / GetCMSResult: the status, and the first
/// time the request is found signed, the verify with its signature and holder's fields.
async fn result_v1(
    kind: RequestKind,
    State(state): State<AppState>,
    id: String,
    req: Request<Body>,
) -> Result<axum::Json<KcResultV1>, Refusal> {
    let lang = lang(req.headers());
    let refuse = |e: ApiError| Refusal(e, lang);
    let (rp, _) = authenticate(&state, req.headers(), req.extensions(), None)
        .await
        .map_err(refuse)?;
    let mut s = requests::status(&state, &rp, kind, &id, Duration::ZERO)
        .await
        .map_err(refuse)?;
    let mut verified = None;
    if s.state == 1 {
        // Verified already (by an earlier GET or the other APIs), or the window is closed:
        // verify's own refusal.
        verified = Some(
            requests::verify(&state, &rp, kind, &id)
                .await
                .map_err(refuse)?,
        );
        s = requests::status(&state, &rp, kind, &id, Duration::ZERO)
            .await
            .map_err(refuse)?;
    }
    let mut result = KcResultV1 {
        status: kc_status(s),
        receiver_hp: None,
        receiver_name: None,
        receiver_birthday: None,
        token: None,
        signed_data: None,
        return_token: None,
        ci: None,
    };
    if let Some(v) = verified {
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

/// Verify, once. The app-to-app form's `{signature}` segment is accepted and not needed: the
/// signature reached dojang from its own app.
async fn verify(
    kind: RequestKind,
    State(state): State<AppState>,
    id: String,
    req: Request<Body>,
) -> Result<axum::Json<KcVerified>, Refusal> {
    let lang = lang(req.headers());
    let refuse = |e: ApiError| Refusal(e, lang);
    let (rp, _) = authenticate(&state, req.headers(), req.extensions(), None)
        .await
        .map_err(refuse)?;
    let v = requests::verify(&state, &rp, kind, &id)
        .await
        .map_err(refuse)?;
    Ok(axum::Json(KcVerified {
        receipt_id: v.receipt_id,
        signed_data: v.signed_data.unwrap_or_default(),
    }))
}
