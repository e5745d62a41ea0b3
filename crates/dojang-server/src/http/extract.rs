//! Extractors: the only code that reads raw requests.
//!
//! * [`RpCall`] authenticates a relying party (HMAC over method, path, date and the SHA-256 of
//!   the raw body bytes) and then parses the body;
//! * [`DeviceAuth`] authenticates a device by its bearer credential;
//! * [`JsonBody`] parses a JSON body for unauthenticated device calls.
//!
//! Bodies are read with a size limit and a time limit, so no input can exhaust memory or hang a
//! task; every refusal is an [`ApiError`] with its catalogue code.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_core::{Device, DeviceId, RelyingParty};
use dojang_proto::{ErrorCode, auth, datetime};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::service::replay::SignedCall;
use crate::state::AppState;

/// How long a client may take to send its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Read the whole body, refusing more than `limit` bytes or more than [`BODY_TIMEOUT`].
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ErrorCode::BodyTooLarge.into());
    }
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ErrorCode::BodyTimeout.into()),
        // The only way to_bytes fails on a healthy connection is the length limit.
        Ok(Err(_)) => Err(ErrorCode::BodyTooLarge.into()),
        Ok(Ok(b)) => Ok(b),
    }
}

/// Parse a JSON object; an empty body counts as `{}`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return serde_json::from_slice(b"{}").map_err(|e| ApiError::Detailed {
            code: ErrorCode::FieldType,
            detail: e.to_string(),
        });
    }
    if trimmed.first() != Some(&b'{') {
        return Err(ErrorCode::MalformedJson.into());
    }
    serde_json::from_slice(trimmed).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::Detailed {
            code: ErrorCode::FieldType,
            // serde's message names the field and the expected type; cap its length since it
            // may quote the offending value.
            detail: e.to_string().chars().take(160).collect(),
        },
        _ => ApiError::Code(ErrorCode::MalformedJson),
    })
}

/// A call authenticated as a relying party, with its parsed body.
#[derive(Debug)]
pub struct RpCall<T> {
    /// Who is calling.
    pub rp: Arc<RelyingParty>,
    /// The body.
    pub body: T,
    /// The `Idempotency-Key` header and the SHA-256 of the raw body, when the header is sent.
    pub idempotency: Option<(String, Vec<u8>)>,
    /// The signed call, for the replay check of creates.
    pub signed: SignedCall,
}

/// The `Idempotency-Key` header: 1–64 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| dojang_core::ValidationError::IdempotencyKeyInvalid)?
        .trim();
    if v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(dojang_core::ValidationError::IdempotencyKeyInvalid.into());
    }
    Ok(Some(v.to_owned()))
}

/// A body that is ignored (GET, and POSTs without parameters).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoBody {}

async fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
) -> Result<(Arc<RelyingParty>, SignedCall), ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(ErrorCode::AuthorizationMissing)?
        .to_str()
        .map_err(|_| ErrorCode::AuthorizationMalformed)?;
    let (link_id, signature) =
        auth::parse_authorization(value).ok_or(ErrorCode::AuthorizationMalformed)?;
    let date = parts
        .headers
        .get(auth::DATE_HEADER)
        .ok_or(ErrorCode::DateMissing)?
        .to_str()
        .map_err(|_| ErrorCode::DateMalformed)?;
    let when = datetime::parse_rfc3339(date).ok_or(ErrorCode::DateMalformed)?;
    let now = state.clock.now();
    if (now - when).unsigned_abs() > state.policy.date_skew {
        return Err(ErrorCode::DateOutOfWindow.into());
    }
    let rp = state
        .relying_party(link_id)
        .await?
        .ok_or(ErrorCode::UnknownLinkId)?;
    let path = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    if !auth::verify(
        rp.secret.as_bytes(),
        parts.method.as_str(),
        path,
        date,
        body,
        signature,
    ) {
        return Err(ErrorCode::SignatureMismatch.into());
    }
    tracing::Span::current().record("client_code", rp.client_code.as_str());
    let text = auth::string_to_sign(parts.method.as_str(), path, date, body);
    let signed = SignedCall::new(state, "native", &rp.link_id, &text, when);
    Ok((rp, signed))
}

impl<T: DeserializeOwned> FromRequest<AppState> for RpCall<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_body(&parts.headers, body, state.max_body_bytes).await?;
        let (rp, signed) = authenticate(state, &parts, &bytes).await?;
        let idempotency = idempotency_key(&parts.headers)?.map(|key| {
            let hash = ring::digest::digest(&ring::digest::SHA256, &bytes);
            (key, hash.as_ref().to_vec())
        });
        let body = parse_json(&bytes)?;
        Ok(Self {
            rp,
            body,
            idempotency,
            signed,
        })
    }
}

/// A JSON body (unauthenticated device calls and device answers).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_body(&parts.headers, body, state.max_body_bytes).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// An enrolled, unrevoked device, from `Authorization: Bearer <deviceID>.<secret>`.
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Arc<Device>);

/// Split a device token into id and secret bytes.
fn parse_device_token(token: &str) -> Option<(DeviceId, Vec<u8>)> {
    let (id, secret) = token.split_once('.')?;
    let id = id.parse().ok()?;
    let secret = URL_SAFE_NO_PAD.decode(secret).ok()?;
    (secret.len() == 32).then_some((id, secret))
}

/// SHA-256 of a device secret, as stored.
pub fn device_secret_hash(secret: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, secret)
        .as_ref()
        .to_vec()
}

/// A device token: `<deviceID>.<base64url secret>`.
pub fn device_token(id: DeviceId, secret: &[u8]) -> String {
    format!("{id}.{}", URL_SAFE_NO_PAD.encode(secret))
}

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ErrorCode::DeviceAuthMissing)?
            .to_str()
            .map_err(|_| ErrorCode::DeviceAuthInvalid)?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or(ErrorCode::DeviceAuthInvalid)?;
        device_for_token(state, token.trim()).await.map(DeviceAuth)
    }
}

/// The device a credential `<deviceID>.<secret>` belongs to, if it is right and the device is
/// not revoked (a device locked by wrong PINs is told so).
async fn device_for_token(state: &AppState, token: &str) -> Result<Arc<Device>, ApiError> {
    let (id, secret) = parse_device_token(token).ok_or(ErrorCode::DeviceAuthInvalid)?;
    let device = state
        .device(id)
        .await?
        .ok_or(ErrorCode::DeviceAuthInvalid)?;
    let hash = device_secret_hash(&secret);
    if !bool::from(device.token_hash.as_slice().ct_eq(&hash)) {
        return Err(ErrorCode::DeviceAuthInvalid.into());
    }
    if device.revoked_at.is_some() {
        // The right credential of a device that is no longer valid: say why when it was
        // locked by wrong PINs (the app tells the person to issue a new certificate).
        let locked = state
            .store
            .device_pin(device.id)
            .await?
            .is_some_and(|p| p.locked_at.is_some());
        return Err(if locked {
            ErrorCode::DeviceLocked
        } else {
            ErrorCode::DeviceAuthInvalid
        }
        .into());
    }
    Ok(device)
}

/// The push WebSocket's device. A browser cannot set `Authorization` on a WebSocket, so besides
/// the header (dojang-app, native apps) the credential may come as a subprotocol: the page
/// offers `Sec-WebSocket-Protocol: dojang.device.v1, dojang.bearer.<deviceID>.<secret>` and
/// the server selects `dojang.device.v1` (never echoing the credential). The header wins when
/// both are present; a bearer offered without `dojang.device.v1` is refused
/// ([`ErrorCode::PushSubprotocolMissing`]: the browser would drop a connection whose server
/// selected none of its offers, and selecting the bearer would echo the secret). The
/// credential is never in the URL, so it is in no access log; no cookie is involved, so
/// another site's page cannot ride on the person's browser (no cross-site WebSocket hijacking).
#[derive(Debug, Clone)]
pub struct PushAuth(pub Arc<Device>);

/// The subprotocol a browser's push WebSocket selects.
pub const PUSH_SUBPROTOCOL: &str = dojang_proto::device::PUSH_SUBPROTOCOL;

impl FromRequestParts<AppState> for PushAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return DeviceAuth::from_request_parts(parts, state)
                .await
                .map(|DeviceAuth(d)| PushAuth(d));
        }
        let offered: Vec<&str> = parts
            .headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let bearers: Vec<&str> = offered
            .iter()
            .filter_map(|p| p.strip_prefix(dojang_proto::device::PUSH_BEARER_PREFIX))
            .collect();
        let token = match bearers.as_slice() {
            [] => return Err(ErrorCode::DeviceAuthMissing.into()),
            [one] => *one,
            _ => return Err(ErrorCode::DeviceAuthInvalid.into()),
        };
        if !offered.contains(&PUSH_SUBPROTOCOL) {
            return Err(ErrorCode::PushSubprotocolMissing.into());
        }
        device_for_token(state, token).await.map(PushAuth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_proto::rp::IdentityRequest;

    #[test]
    fn json_errors_are_classified() {
        let e = parse_json::<IdentityRequest>(b"{not json").unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedJson);
        let e = parse_json::<IdentityRequest>(b"[1,2]").unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedJson);
        let e = parse_json::<IdentityRequest>(br#"{"expireIn":"soon"}"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FieldType);
        let ok = parse_json::<IdentityRequest>(b"").unwrap();
        assert_eq!(ok, IdentityRequest::default());
        let ok = parse_json::<IdentityRequest>(br#" {"token":"t","unknown":1} "#).unwrap();
        assert_eq!(ok.token.as_deref(), Some("t"));
    }

    #[test]
    fn device_tokens_round_trip_and_junk_is_refused() {
        let id: DeviceId = "0190a3b4-0000-7000-8000-000000000000".parse().unwrap();
        let t = device_token(id, &[7; 32]);
        assert_eq!(parse_device_token(&t), Some((id, vec![7; 32])));
        assert!(parse_device_token("x.y").is_none());
        assert!(parse_device_token(&device_token(id, &[7; 16])).is_none());
        assert!(parse_device_token("no-dot").is_none());
    }
}

/// The client's address, behind trusted proxies the client they name
/// ([`crate::http::linkhub::client_ip`]); `None` when the listener gave no peer.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::http::linkhub::client_ip(
            state,
            &parts.extensions,
            &parts.headers,
        )))
    }
}
