//! barocert 2.1 (KAKAO, NAVER, PASS, TOSS): LinkHub's barocert SDKs pointed at dojang. Every call becomes
//! an ordinary dojang request (same store, push, signatures, webhooks, limits) through
//! `service::requests`; this module only speaks the dialect: bearer tokens of the LinkHub token
//! service (`linkhub.rs`), `x-bc-auth` over the raw body, the encrypted fields (AES-GCM, or CBC
//! with `x-bc-encryptionmode: CBC`), both
//! verify path styles, barocert's result field names, and error codes in barocert's pattern
//! (`dojang_proto::barocert::error_code`).
//!
//! | call | path |
//! |---|---|
//! | request | `POST /{product}/{service}/{clientCode}` |
//! | status | `GET /{product}/{service}/{clientCode}/{receiptID}` |
//! | verify | `POST /{product}/{service}/Verify/{clientCode}/{receiptID}` or `POST /{product}/{service}/{clientCode}/{receiptID}` (KAKAO Login: the txID) |
//!
//! The services of each product are `dojang_proto::barocert::SERVICES`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dojang_core::{RelyingParty, RequestKind};
use dojang_proto::ErrorCode;
use dojang_proto::barocert::{self, BarocertResult, BarocertStatus, Product, Receipt, Service};
use dojang_proto::datetime::format_kst;
use dojang_proto::error::Lang;
use dojang_proto::linkhub::{self, BAROCERT, FieldMode};
use dojang_proto::rp::{CreateRequest, Kind, RequestStatus, VerifyResult};
use serde_json::Value;

use super::error::ApiError;
use super::extract::read_body;
use super::linkhub::{bearer, check_date, client_ip, dialect_lang as lang};
use crate::service::replay::SignedCall;
use crate::service::requests;
use crate::state::AppState;

/// The routes: the same three per product.
pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for product in [Product::Kakao, Product::Naver, Product::Pass, Product::Toss] {
        let p = product.segment();
        r = r
            .route(
                &format!("/{p}/{{service}}/{{client_code}}"),
                post(move |st, path, req| request(product, st, path, req)),
            )
            .route(
                &format!("/{p}/{{service}}/{{client_code}}/{{id}}"),
                get(move |st, path, req| status(product, st, path, req))
                    .post(move |st, path, req| verify(product, st, path, req)),
            )
            .route(
                &format!("/{p}/{{service}}/Verify/{{client_code}}/{{id}}"),
                post(move |st, path, req| verify(product, st, path, req)),
            );
    }
    r
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

/// An authenticated call: who, which service, the raw body.
struct Call {
    rp: Arc<RelyingParty>,
    service: &'static Service,
    body: Bytes,
    /// How the encrypted fields were encrypted (`x-bc-encryptionmode`).
    mode: FieldMode,
    /// A signed call (POST), for the replay check of requests.
    signed: Option<SignedCall>,
}

async fn authenticate(
    state: &AppState,
    product: Product,
    service: &str,
    client_code: &str,
    req: Request<Body>,
    signed: bool,
) -> Result<Call, Refusal> {
    let (parts, body) = req.into_parts();
    let lang = lang(&parts.headers);
    let refuse = |scope: u32| move |error: ApiError| Refusal { scope, error, lang };
    let service = barocert::service(product, service)
        .ok_or_else(|| refuse(product.base_scope())(ErrorCode::RouteNotFound.into()))?;
    let scope = service.scope;
    let body = read_body(&parts.headers, body, state.max_body_bytes)
        .await
        .map_err(refuse(scope))?;
    let peer = client_ip(state, &parts.extensions, &parts.headers);
    let (rp, _) = bearer(
        state,
        &parts.headers,
        peer,
        BAROCERT,
        Some(&scope.to_string()),
    )
    .await
    .map_err(refuse(scope))?;
    if rp.client_code.as_str() != client_code {
        return Err(refuse(scope)(ApiError::Detailed {
            code: ErrorCode::ClientCodeInvalid,
            detail: "not the client code of this token".into(),
        }));
    }
    let mut mode = FieldMode::Gcm;
    let mut signed_call = None;
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
        let text = [false, true]
            .into_iter()
            .filter(|&empty| !empty || body.is_empty())
            .map(|empty| linkhub::barocert_string_to_sign(&body, date, path, empty))
            .find(|text| linkhub::verify(key, text, auth));
        let Some(text) = text else {
            return Err(refuse(scope)(ErrorCode::SignatureMismatch.into()));
        };
        // `check_date` above accepted the date, so it parses.
        let when = linkhub::parse_date(date).unwrap_or_else(|| state.clock.now());
        signed_call = Some(SignedCall::new(state, "barocert", &rp.link_id, &text, when));
        mode = FieldMode::from_header(header("x-bc-encryptionmode"))
            .ok_or_else(|| refuse(scope)(ErrorCode::EncryptionModeUnsupported.into()))?;
    }
    Ok(Call {
        rp,
        service,
        body,
        mode,
        signed: signed_call,
    })
}

/// The request body with its encrypted fields decrypted and the product's differences mapped,
/// as a native create body.
fn decrypt_body(call: &Call) -> Result<CreateRequest, ApiError> {
    let mut v: Value = serde_json::from_slice(call.body.trim_ascii())
        .map_err(|_| ApiError::Code(ErrorCode::MalformedJson))?;
    let obj = v.as_object_mut().ok_or(ErrorCode::MalformedJson)?;
    // .NET and PHP send every member, unset ones as null: the same as absent.
    obj.retain(|_, value| !value.is_null());
    barocert::open_fields(call.service, call.mode, call.rp.secret.as_bytes(), obj).map_err(
        |(field, e)| ApiError::Detailed {
            code: ErrorCode::EncryptedFieldInvalid,
            detail: format!("{field}: {e}"),
        },
    )?;
    normalize(call.service, &call.rp, obj);
    serde_json::from_value(v).map_err(|e| ApiError::Detailed {
        code: ErrorCode::FieldType,
        detail: e.to_string().chars().take(160).collect(),
    })
}

/// What differs between barocert's products and the native body:
/// * NAVER and PASS call the message `reqMessage` (the native `extraMessage`);
/// * identity without a title or token (NAVER, TOSS): the title "본인인증" and a token dojang
///   makes (a random nonce), so the person still signs something unique;
/// * documents without titles (NAVER, TOSS multi-sign): "문서 1", "문서 2", …; a multi-sign
///   without a title (TOSS): "전자서명";
/// * debit consent: without `bankServiceType` (NAVER, TOSS) it is `CMS`; PASS's `OPEN_BANK` is
///   shown as `FIRM` (an institution's own withdrawal); PASS sends neither the corporation
///   (the relying party's name is used) nor the holder's birth date (the receiver's); PASS's
///   `token` and `bankWithdraw` are not shown or signed (dojang signs its consent text built from
///   the bank fields).
///
/// PASS's `URL` token type is the native `URL`: a link the app shows, the address signed.
fn normalize(service: &Service, rp: &RelyingParty, obj: &mut serde_json::Map<String, Value>) {
    use serde_json::json;
    if let Some(m) = obj.remove("reqMessage") {
        obj.entry("extraMessage").or_insert(m);
    }
    match service.kind {
        Kind::Identity => {
            obj.entry("reqTitle").or_insert_with(|| json!("본인인증"));
            obj.entry("token").or_insert_with(|| {
                let nonce: [u8; 16] = rand::random();
                json!(nonce.iter().map(|b| format!("{b:02x}")).collect::<String>())
            });
        }
        Kind::MultiSign => {
            obj.entry("reqTitle").or_insert_with(|| json!("전자서명"));
            if let Some(Value::Array(tokens)) = obj.get_mut("tokens") {
                for (i, t) in tokens.iter_mut().enumerate() {
                    if let Some(t) = t.as_object_mut()
                        && !t.contains_key("signTitle")
                        && !t.contains_key("reqTitle")
                    {
                        t.insert("signTitle".into(), json!(format!("문서 {}", i + 1)));
                    }
                }
            }
        }
        Kind::DebitConsent => {
            obj.entry("reqTitle").or_insert_with(|| json!("출금동의"));
            match obj.get("bankServiceType").and_then(Value::as_str) {
                None => {
                    obj.insert("bankServiceType".into(), json!("CMS"));
                }
                Some("OPEN_BANK") => {
                    obj.insert("bankServiceType".into(), json!("FIRM"));
                }
                Some(_) => {}
            }
            obj.entry("requestCorp").or_insert_with(|| json!(rp.name));
            if !obj.contains_key("bankAccountBirthday")
                && let Some(b) = obj.get("receiverBirthday").cloned()
            {
                obj.insert("bankAccountBirthday".into(), b);
            }
            obj.remove("bankWithdraw");
            obj.remove("token");
        }
        Kind::Sign | Kind::Login => {}
    }
    // Fields of other products that the native API does not know are ignored by the parser;
    // these it knows but belong to no barocert call of this kind.
    if service.kind != Kind::Sign && service.kind != Kind::MultiSign {
        obj.remove("tokenType");
    }
}

fn native_kind(service: &Service) -> RequestKind {
    RequestKind::from_wire(service.kind)
}

async fn request(
    product: Product,
    State(state): State<AppState>,
    Path((service, client_code)): Path<(String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<Receipt>, Refusal> {
    let lang = lang(req.headers());
    let call = authenticate(&state, product, &service, &client_code, req, true).await?;
    let scope = call.service.scope;
    let refuse = |error: ApiError| Refusal { scope, error, lang };
    if !call.service.requestable {
        // Kakao's simple login starts in the app, not with a request call.
        return Err(refuse(ErrorCode::MethodNotAllowed.into()));
    }
    let wire = decrypt_body(&call).map_err(refuse)?;
    let receipt = requests::create(
        &state,
        &call.rp,
        native_kind(call.service),
        &wire,
        None,
        call.signed.as_ref(),
    )
    .await
    .map_err(refuse)?;
    Ok(axum::Json(Receipt {
        receipt_id: receipt.receipt_id,
        scheme: receipt.scheme,
    }))
}

async fn status(
    product: Product,
    State(state): State<AppState>,
    Path((service, client_code, id)): Path<(String, String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<BarocertStatus>, Refusal> {
    let lang = lang(req.headers());
    let call = authenticate(&state, product, &service, &client_code, req, false).await?;
    let scope = call.service.scope;
    requests::refuse_short_receipt(&id).map_err(|error| Refusal { scope, error, lang })?;
    let st = requests::status(
        &state,
        &call.rp,
        native_kind(call.service),
        &id,
        Duration::ZERO,
    )
    .await
    .map_err(|error| Refusal { scope, error, lang })?;
    Ok(axum::Json(barocert_status(st)))
}

fn barocert_status(s: RequestStatus) -> BarocertStatus {
    let declined = s.state == dojang_core::RequestState::Declined.code();
    BarocertStatus {
        receipt_id: s.receipt_id,
        client_code: s.client_code,
        state: s.state,
        expire_in: s.expire_in,
        call_center_name: s.call_center_name,
        call_center_num: s.call_center_num,
        req_title: s.req_title,
        sign_title: s.sign_title,
        req_message: s.extra_message,
        auth_category: Some("PIN".to_owned()),
        return_url: s.return_url,
        token_type: s.token_type.map(|t| t.as_str().to_owned()),
        token_types: s
            .token_types
            .map(|all| all.iter().map(|t| t.as_str().to_owned()).collect()),
        request_dt: format_kst(s.request_dt),
        view_dt: s.view_dt.map(format_kst),
        complete_dt: s.complete_dt.map(format_kst),
        expire_dt: format_kst(s.expire_dt),
        verify_dt: s.verify_dt.map(format_kst),
        reject_dt: if declined {
            s.complete_dt.map(format_kst)
        } else {
            None
        },
        scheme: s.scheme,
        app_use_yn: s.app_use_yn,
    }
}

/// Verify, once. The body is ignored (empty, `""` from Java, `{}`), except PASS's
/// `{receiverHP, receiverName}`, which must decrypt and name the request's person.
async fn verify(
    product: Product,
    State(state): State<AppState>,
    Path((service, client_code, id)): Path<(String, String, String)>,
    req: Request<Body>,
) -> Result<axum::Json<BarocertResult>, Refusal> {
    let lang = lang(req.headers());
    let call = authenticate(&state, product, &service, &client_code, req, true).await?;
    let scope = call.service.scope;
    let refuse = |error: ApiError| Refusal { scope, error, lang };
    let kind = native_kind(call.service);
    requests::refuse_short_receipt(&id).map_err(refuse)?;
    if product == Product::Pass {
        let (hp, name) = decrypt_verify_body(&call).map_err(refuse)?;
        // An unknown or foreign receipt gets verify's own refusal below.
        if let Ok(member) = requests::receiver(&state, &call.rp, kind, &id).await {
            let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
            if digits(&hp) != digits(member.person.phone.as_str()) {
                return Err(refuse(ApiError::Detailed {
                    code: ErrorCode::ReceiverNotFound,
                    detail: "receiverHP is not the request's receiver".into(),
                }));
            }
            if name.trim() != member.person.name.as_str() {
                return Err(refuse(ErrorCode::ReceiverNameMismatch.into()));
            }
        }
    }
    let v = requests::verify(&state, &call.rp, kind, &id)
        .await
        .map_err(refuse)?;
    let login_by_tx = product == Product::Kakao && call.service.kind == Kind::Login;
    Ok(axum::Json(barocert_result(v, login_by_tx)))
}

/// PASS's verify body: the receiver's phone and name, encrypted; they must decrypt.
fn decrypt_verify_body(call: &Call) -> Result<(String, String), ApiError> {
    let v: Value = serde_json::from_slice(call.body.trim_ascii())
        .map_err(|_| ApiError::Code(ErrorCode::MalformedJson))?;
    let mut out = Vec::with_capacity(2);
    for field in ["receiverHP", "receiverName"] {
        let value = v
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::Detailed {
                code: ErrorCode::FieldType,
                detail: format!("{field} is required"),
            })?;
        out.push(
            call.mode
                .decrypt(call.rp.secret.as_bytes(), value)
                .map_err(|e| ApiError::Detailed {
                    code: ErrorCode::EncryptedFieldInvalid,
                    detail: format!("{field}: {e}"),
                })?,
        );
    }
    let name = out.pop().unwrap_or_default();
    Ok((out.pop().unwrap_or_default(), name))
}

fn barocert_result(v: VerifyResult, login_by_tx: bool) -> BarocertResult {
    let birthday = v.receiver_birthday;
    BarocertResult {
        receipt_id: (!login_by_tx).then(|| v.receipt_id.clone()),
        tx_id: if login_by_tx {
            Some(v.tx_id.unwrap_or(v.receipt_id))
        } else {
            None
        },
        state: v.state,
        signed_data: v.signed_data,
        multi_signed_data: v.multi_signed_data,
        ci: v.ci,
        di: v.di,
        receiver_name: v.receiver_name,
        receiver_year: birthday.get(..4).unwrap_or_default().to_owned(),
        receiver_day: birthday.get(4..).unwrap_or_default().to_owned(),
        receiver_hp: v.receiver_hp,
        receiver_gender: None,
        receiver_foreign: None,
        receiver_telco_type: None,
        receiver_email: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_core::{ClientCode, SecretKey};
    use serde_json::json;

    fn rp() -> RelyingParty {
        RelyingParty {
            client_code: "012345678901".parse::<ClientCode>().unwrap(),
            link_id: "RP_TEST".into(),
            name: "도장은행".into(),
            secret: SecretKey::from_bytes(vec![1; 32]),
            call_center_num: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn normalized(product: Product, segment: &str, body: Value) -> Value {
        let mut v = body;
        let obj = v.as_object_mut().unwrap();
        normalize(barocert::service(product, segment).unwrap(), &rp(), obj);
        v
    }

    #[test]
    fn naver_identity_gets_a_title_and_a_fresh_token() {
        let a = normalized(Product::Naver, "Identity", json!({"reqMessage": "m"}));
        let b = normalized(Product::Naver, "Identity", json!({}));
        assert_eq!(a["reqTitle"], "본인인증");
        assert_eq!(a["extraMessage"], "m");
        assert!(a.get("reqMessage").is_none());
        assert_eq!(a["token"].as_str().unwrap().len(), 32);
        assert_ne!(a["token"], b["token"]);
        // A token the relying party sent is kept.
        let c = normalized(Product::Toss, "Identity", json!({"token": "mine"}));
        assert_eq!(c["token"], "mine");
    }

    #[test]
    fn pass_cms_and_untitled_documents_are_completed() {
        let cms = normalized(
            Product::Pass,
            "CMS",
            json!({"receiverBirthday": "19900101", "bankServiceType": "OPEN_BANK", "bankWithdraw": "1원"}),
        );
        assert_eq!(cms["requestCorp"], "도장은행");
        assert_eq!(cms["bankAccountBirthday"], "19900101");
        assert_eq!(cms["bankServiceType"], "FIRM");
        assert!(cms.get("bankWithdraw").is_none());
        let naver = normalized(Product::Naver, "CMS", json!({}));
        assert_eq!(naver["bankServiceType"], "CMS");
        let multi = normalized(
            Product::Naver,
            "MultiSign",
            json!({"tokens": [{"token": "a"}, {"token": "b", "signTitle": "t"}]}),
        );
        assert_eq!(multi["tokens"][0]["signTitle"], "문서 1");
        assert_eq!(multi["tokens"][1]["signTitle"], "t");
        let url = normalized(Product::Pass, "Sign", json!({"tokenType": "URL"}));
        assert_eq!(url["tokenType"], "URL", "kept: the native API knows URL");
        let cms = normalized(Product::Pass, "CMS", json!({"token": "원문"}));
        assert!(
            cms.get("token").is_none(),
            "PASS CMS's token is not the consent"
        );
        let identity = normalized(Product::Kakao, "Identity", json!({"tokenType": "TEXT"}));
        assert!(identity.get("tokenType").is_none());
    }
}
