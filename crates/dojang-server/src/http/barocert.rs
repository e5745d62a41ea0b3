//! barocert 2.1, KAKAO product: LinkHub's barocert SDKs pointed at dojang. Every call becomes
//! an ordinary dojang request (same store, push, signatures, webhooks, limits) through
//! `service::requests`; this module only speaks the dialect: bearer tokens of the LinkHub token
//! service (`linkhub.rs`), `x-bc-auth` over the raw body, the AES-GCM encrypted fields, both
//! verify path styles, barocert's result field names, and error codes in barocert's pattern
//! (`dojang_proto::barocert::error_code`).
//!
//! | call | path |
//! |---|---|
//! | request | `POST /KAKAO/{Identity,Sign,MultiSign,CMS}/{clientCode}` |
//! | status | `GET /KAKAO/{service}/{clientCode}/{receiptID}` |
//! | verify | `POST /KAKAO/{service}/Verify/{clientCode}/{receiptID}` or `POST /KAKAO/{service}/{clientCode}/{receiptID}` |
//! | login verify | `POST /KAKAO/Login/Verify/{clientCode}/{txID}` or `POST /KAKAO/Login/{clientCode}/{txID}` |

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dojang_core::{RelyingParty, RequestKind};
use dojang_proto::ErrorCode;
use dojang_proto::barocert::{self, KakaoResult, KakaoService, KakaoStatus, Receipt};
use dojang_proto::datetime::format_kst;
use dojang_proto::error::Lang;
use dojang_proto::linkhub::{self, BAROCERT};
use dojang_proto::rp::{CreateRequest, RequestStatus, VerifyResult};
use serde_json::Value;

use super::error::ApiError;
use super::extract::read_body;
use super::linkhub::{bearer, check_date};
use crate::service::requests;
use crate::state::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/KAKAO/{service}/{client_code}", post(request))
        .route(
            "/KAKAO/{service}/{client_code}/{id}",
            get(status).post(verify_b),
        )
        .route("/KAKAO/{service}/Verify/{client_code}/{id}", post(verify_a))
}

/// A refusal, answered in barocert's shape with the service's code prefix.
struct Refusal {
    scope: u32,
    error: ApiError,
    lang: Lang,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let scope = self.scope;
        self.error
            .into_dialect_response(|c| barocert::error_code(scope, c), self.lang)
    }
}

/// The product-wide prefix, for failures before the service is known.
const KAKAO_SCOPE: u32 = 400;

/// LinkHub's services answer in Korean; `Accept-Language: en` asks for English.
fn lang(headers: &HeaderMap) -> Lang {
    match headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if v.trim_start().to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Ko,
    }
}

/// An authenticated call: who, which service, the raw body.
struct Call {
    rp: Arc<RelyingParty>,
    service: KakaoService,
    body: Bytes,
}

async fn authenticate(
    state: &AppState,
    service: &str,
    client_code: &str,
    req: Request<Body>,
    signed: bool,
) -> Result<Call, Refusal> {
    let (parts, body) = req.into_parts();
    let lang = lang(&parts.headers);
    let refuse = |scope: u32| move |error: ApiError| Refusal { scope, error, lang };
    let service = KakaoService::from_segment(service)
        .ok_or_else(|| refuse(KAKAO_SCOPE)(ErrorCode::RouteNotFound.into()))?;
    let scope = service.scope();
    let body = read_body(&parts.headers, body, state.max_body_bytes)
        .await
        .map_err(refuse(scope))?;
    let (rp, _) = bearer(state, &parts.headers, BAROCERT, Some(&scope.to_string()))
        .await
        .map_err(refuse(scope))?;
    if rp.client_code.as_str() != client_code {
        return Err(refuse(scope)(ApiError::Detailed {
            code: ErrorCode::ClientCodeInvalid,
            detail: "not the client code of this token".into(),
        }));
    }
    if signed {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let date = header("x-bc-date");
        check_date(state, date).map_err(refuse(scope))?;
        let date = date.unwrap_or("");
        let auth = header("x-bc-auth")
            .ok_or_else(|| refuse(scope)(ErrorCode::AuthorizationMissing.into()))?;
        let path = parts.uri.path();
        let key = rp.secret.as_bytes();
        let ok = linkhub::verify(
            key,
            &linkhub::barocert_string_to_sign(&body, date, path, false),
            auth,
        ) || (body.is_empty()
            && linkhub::verify(
                key,
                &linkhub::barocert_string_to_sign(&body, date, path, true),
                auth,
            ));
        if !ok {
            return Err(refuse(scope)(ErrorCode::SignatureMismatch.into()));
        }
        match header("x-bc-encryptionmode") {
            None | Some("GCM") | Some("gcm") => {}
            Some(_) => return Err(refuse(scope)(ErrorCode::EncryptionModeUnsupported.into())),
        }
    }
    Ok(Call { rp, service, body })
}

/// The request body with its encrypted fields decrypted, as a native create body.
fn decrypt_body(call: &Call) -> Result<CreateRequest, ApiError> {
    let mut v: Value = serde_json::from_slice(call.body.trim_ascii())
        .map_err(|_| ApiError::Code(ErrorCode::MalformedJson))?;
    let obj = v.as_object_mut().ok_or(ErrorCode::MalformedJson)?;
    let key = call.rp.secret.as_bytes();
    let open = |field: &str, value: &mut Value| -> Result<(), ApiError> {
        if let Value::String(s) = value {
            *s = linkhub::decrypt_gcm(key, s).map_err(|e| ApiError::Detailed {
                code: ErrorCode::EncryptedFieldInvalid,
                detail: format!("{field}: {e}"),
            })?;
        }
        Ok(())
    };
    for field in call.service.encrypted_fields() {
        if let Some(value) = obj.get_mut(*field) {
            open(field, value)?;
        }
    }
    if let Some(Value::Array(tokens)) = obj.get_mut("tokens") {
        for t in tokens.iter_mut() {
            if let Some(value) = t.get_mut("token") {
                open("tokens[].token", value)?;
            }
        }
    }
    serde_json::from_value(v).map_err(|e| ApiError::Detailed {
        code: ErrorCode::FieldType,
        detail: e.to_string().chars().take(160).collect(),
    })
}

fn native_kind(service: KakaoService) -> RequestKind {
    RequestKind::from_wire(service.kind())
}

async fn request(
    State(state): State<AppState>,
    Path((service, client_code)): Path<(String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<Receipt>, Refusal> {
    let lang = lang(req.headers());
    let call = authenticate(&state, &service, &client_code, req, true).await?;
    let scope = call.service.scope();
    let refuse = |error: ApiError| Refusal { scope, error, lang };
    if call.service == KakaoService::Login {
        // Kakao's simple login starts in the app, not with a request call.
        return Err(refuse(ErrorCode::MethodNotAllowed.into()));
    }
    let wire = decrypt_body(&call).map_err(refuse)?;
    let receipt = requests::create(&state, &call.rp, native_kind(call.service), &wire, None)
        .await
        .map_err(refuse)?;
    Ok(axum::Json(Receipt {
        receipt_id: receipt.receipt_id,
        scheme: receipt.scheme,
    }))
}

async fn status(
    State(state): State<AppState>,
    Path((service, client_code, id)): Path<(String, String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<KakaoStatus>, Refusal> {
    let lang = lang(req.headers());
    let call = authenticate(&state, &service, &client_code, req, false).await?;
    let scope = call.service.scope();
    let st = requests::status(
        &state,
        &call.rp,
        native_kind(call.service),
        &id,
        Duration::ZERO,
    )
    .await
    .map_err(|error| Refusal { scope, error, lang })?;
    Ok(axum::Json(kakao_status(st)))
}

fn kakao_status(s: RequestStatus) -> KakaoStatus {
    KakaoStatus {
        receipt_id: s.receipt_id,
        client_code: s.client_code,
        state: s.state,
        expire_in: s.expire_in,
        call_center_name: s.call_center_name,
        call_center_num: s.call_center_num,
        req_title: s.req_title,
        sign_title: s.sign_title,
        auth_category: Some("PIN".to_owned()),
        return_url: s.return_url,
        token_type: s.token_type.map(|t| t.as_str().to_owned()),
        request_dt: format_kst(s.request_dt),
        view_dt: s.view_dt.map(format_kst),
        complete_dt: s.complete_dt.map(format_kst),
        expire_dt: format_kst(s.expire_dt),
        verify_dt: s.verify_dt.map(format_kst),
        scheme: s.scheme,
        app_use_yn: s.app_use_yn,
    }
}

async fn verify_a(
    state: State<AppState>,
    path: Path<(String, String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<KakaoResult>, Refusal> {
    verify(state, path, req).await
}

async fn verify_b(
    state: State<AppState>,
    path: Path<(String, String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<KakaoResult>, Refusal> {
    verify(state, path, req).await
}

/// Verify, once. The body is ignored (empty, `""` from Java, `{}`).
async fn verify(
    State(state): State<AppState>,
    Path((service, client_code, id)): Path<(String, String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<KakaoResult>, Refusal> {
    let lang = lang(req.headers());
    let call = authenticate(&state, &service, &client_code, req, true).await?;
    let scope = call.service.scope();
    let v = requests::verify(&state, &call.rp, native_kind(call.service), &id)
        .await
        .map_err(|error| Refusal { scope, error, lang })?;
    Ok(axum::Json(kakao_result(v, call.service)))
}

fn kakao_result(v: VerifyResult, service: KakaoService) -> KakaoResult {
    let login = service == KakaoService::Login;
    let birthday = v.receiver_birthday;
    KakaoResult {
        receipt_id: (!login).then(|| v.receipt_id.clone()),
        tx_id: if login {
            Some(v.tx_id.unwrap_or(v.receipt_id))
        } else {
            None
        },
        state: v.state,
        signed_data: v.signed_data,
        multi_signed_data: v.multi_signed_data,
        ci: v.ci,
        receiver_name: v.receiver_name,
        receiver_year: birthday.get(..4).unwrap_or_default().to_owned(),
        receiver_day: birthday.get(4..).unwrap_or_default().to_owned(),
        receiver_hp: v.receiver_hp,
        receiver_gender: None,
        receiver_foreign: None,
        receiver_telco_type: None,
    }
}
