//! The LinkHub token service on dojang's own port, so LinkHub's SDKs (barocert, kakaocert) can
//! use dojang as their auth URL: `GET /Time`, `POST /BAROCERT/Token`, `POST /KAKAOCERT/Token`,
//! and [`bearer`], which the barocert and kakaocert dialects use to authenticate their calls.
//!
//! Tokens are stateless: the claims (LinkID, client code, service, scopes, expiry, bound IP)
//! sealed with the server's data key (AES-256-GCM), so every instance accepts every other's
//! tokens and nothing is written per token. A token stops working at its expiry, when the
//! relying party is gone, or when its SecretKey is rotated: the claims carry the generation of
//! the key that signed the token request (a keyed hash of it, [`key_generation`]), compared
//! with the party's current key at every use.
//!
//! IP binding, as LinkHub does it: a token request without `x-lh-forwarded` (the SDKs'
//! `IPRestrictOnOff = true`, their default) gets a token that works only from the address that
//! asked for it; `x-lh-forwarded: *` (`IPRestrictOnOff = false`) an unbound one; any other
//! value, a token bound to that address. The address is the TCP peer's, or behind a reverse
//! proxy listed in `trusted_proxies` the client it names in `X-Forwarded-For` ([`client_ip`];
//! without that setting, behind a proxy it is the proxy's: docs/compat.md).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_core::RelyingParty;
use dojang_proto::ErrorCode;
use dojang_proto::linkhub::{
    self, BAROCERT, BAROCERT_SCOPES, KAKAOCERT, KAKAOCERT_SCOPES, TokenRequest, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{parse_json, read_body};
use crate::state::AppState;
use crate::tls::TlsPeer;

/// How long a token works.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);
/// The sealing label of tokens (never a database column).
const TOKEN_LABEL: &str = "linkhub.session_token";

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/Time", get(time))
        .route("/BAROCERT/Token", post(barocert_token))
        .route("/KAKAOCERT/Token", post(kakaocert_token))
}

/// What a token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// LinkID.
    #[serde(rename = "l")]
    pub link_id: String,
    /// `BAROCERT` or `KAKAOCERT`.
    #[serde(rename = "s")]
    pub service: String,
    /// Granted scopes.
    #[serde(rename = "p")]
    pub scopes: Vec<String>,
    /// Expiry, Unix milliseconds.
    #[serde(rename = "e")]
    pub expires_ms: i64,
    /// The only address the token works from; `None`: any.
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// The generation of the SecretKey that asked for the token ([`key_generation`]). `None`
    /// only in tokens issued before tokens carried it: accepted until they expire (an hour at
    /// most after the upgrade), because LinkHub's SDKs keep a token until its expiry and would
    /// otherwise fail every call for that hour. Tokens cannot be forged without the data key,
    /// so no new token lacks it.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub key_generation: Option<String>,
}

/// The generation of a relying party's SecretKey: 128 bits of a keyed hash (the server's lookup
/// key) of the key, so a rotated key has another generation, and the token, although sealed,
/// never holds anything derived from the key without the server's secret.
pub fn key_generation(state: &AppState, rp: &RelyingParty) -> String {
    use base64::engine::general_purpose::STANDARD;
    let hash = state.keys.lookup(
        "linkhub.token_key_generation",
        &[&rp.link_id, &STANDARD.encode(rp.secret.as_bytes())],
    );
    URL_SAFE_NO_PAD.encode(hash.iter().take(16).copied().collect::<Vec<u8>>())
}

/// The TCP peer's address (IPv4-mapped IPv6 as IPv4), when the server recorded it.
pub fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    let plain = || extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let tls = || extensions.get::<ConnectInfo<TlsPeer>>().map(|c| c.0.0);
    plain().or_else(tls).map(|addr| addr.ip().to_canonical())
}

/// The client's address: the TCP peer, or behind a trusted proxy the client it names
/// ([`crate::proxy`]). Tokens are bound to it and checked against it.
pub fn client_ip(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
    state
        .trusted_proxies
        .client_ip(peer_ip(extensions), headers)
}

/// `GET /Time`: the bare UTC time, `YYYY-MM-DDTHH:MM:SSZ`, no newline.
async fn time(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        linkhub::format_time(state.clock.now()),
    )
        .into_response()
}

async fn barocert_token(State(state): State<AppState>, req: Request<Body>) -> Response {
    token(&state, BAROCERT, req).await.into_response()
}

async fn kakaocert_token(State(state): State<AppState>, req: Request<Body>) -> Response {
    token(&state, KAKAOCERT, req).await.into_response()
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The language of errors in the LinkHub dialects: Korean, as LinkHub's services answer, unless
/// `Accept-Language` starts with `en`.
pub fn dialect_lang(headers: &HeaderMap) -> dojang_proto::error::Lang {
    use dojang_proto::error::Lang;
    match header_str(headers, "accept-language") {
        Some(v) if v.to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Ko,
    }
}

/// Check a date header against the clock.
pub fn check_date(state: &AppState, date: Option<&str>) -> Result<(), ApiError> {
    let when = date
        .and_then(linkhub::parse_date)
        .ok_or(ErrorCode::LinkHubDateInvalid)?;
    if (state.clock.now() - when).unsigned_abs() > state.policy.date_skew {
        return Err(ErrorCode::LinkHubDateInvalid.into());
    }
    Ok(())
}

async fn token(
    state: &AppState,
    service: &str,
    req: Request<Body>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(&parts.headers, body, state.max_body_bytes).await?;
    let authorization =
        header_str(&parts.headers, "authorization").ok_or(ErrorCode::AuthorizationMissing)?;
    let (link_id, signature) = linkhub::parse_token_authorization(authorization)
        .ok_or(ErrorCode::AuthorizationMalformed)?;
    let date = header_str(&parts.headers, "x-lh-date");
    check_date(state, date)?;
    let forwarded = header_str(&parts.headers, "x-lh-forwarded");
    let rp = state
        .relying_party(link_id)
        .await?
        .ok_or(ErrorCode::LinkHubPartnerNotFound)?;
    let text = linkhub::token_string_to_sign(&bytes, date.unwrap_or(""), forwarded, service);
    if !linkhub::verify(rp.secret.as_bytes(), &text, signature) {
        return Err(ErrorCode::SignatureMismatch.into());
    }
    tracing::Span::current().record("client_code", rp.client_code.as_str());
    let wanted: TokenRequest = parse_json(&bytes)?;
    let scopes = grant(&rp, service, &wanted)?;
    let ip = match forwarded.map(linkhub::parse_forwarded) {
        Some(Some(linkhub::Forwarded::Any)) => None,
        Some(Some(linkhub::Forwarded::Ip(ip))) => Some(ip),
        Some(None) => {
            return Err(ApiError::Detailed {
                code: ErrorCode::LinkHubTokenRefused,
                detail: "x-lh-forwarded must be * or an IP address".into(),
            });
        }
        None => client_ip(state, &parts.extensions, &parts.headers),
    };
    let now = state.clock.now();
    let expires = now + TOKEN_TTL;
    let claims = Claims {
        link_id: rp.link_id.clone(),
        service: service.to_owned(),
        scopes: scopes.clone(),
        expires_ms: i64::try_from(expires.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX),
        ip,
        key_generation: Some(key_generation(state, &rp)),
    };
    let json = serde_json::to_vec(&claims).map_err(|_| ErrorCode::Internal)?;
    let sealed = state
        .keys
        .seal(TOKEN_LABEL, &json)
        .map_err(|_| ErrorCode::Internal)?;
    Ok(axum::Json(TokenResponse {
        session_token: URL_SAFE_NO_PAD.encode(sealed),
        service_id: service.to_owned(),
        link_id: rp.link_id.clone(),
        usercode: rp.client_code.to_string(),
        ipaddress: ip.map_or_else(|| "*".to_owned(), |ip| ip.to_string()),
        expiration: linkhub::format_expiration(expires),
        scope: scopes,
    }))
}

/// The scopes granted for a token request: only the service's own, and for kakaocert only to
/// the relying party's own client code.
fn grant(rp: &RelyingParty, service: &str, wanted: &TokenRequest) -> Result<Vec<String>, ApiError> {
    let access_id = wanted.access_id.as_deref().unwrap_or("").trim();
    let allowed: &[&str] = if service == KAKAOCERT {
        if access_id != rp.client_code.as_str() {
            return Err(ApiError::Detailed {
                code: ErrorCode::LinkHubTokenRefused,
                detail: "access_id must be the relying party's client code".into(),
            });
        }
        &KAKAOCERT_SCOPES
    } else {
        if !access_id.is_empty() && access_id != rp.client_code.as_str() {
            return Err(ApiError::Detailed {
                code: ErrorCode::LinkHubTokenRefused,
                detail: "access_id must be empty or the relying party's client code".into(),
            });
        }
        &BAROCERT_SCOPES
    };
    if wanted.scope.is_empty() {
        return Err(ApiError::Detailed {
            code: ErrorCode::LinkHubTokenRefused,
            detail: "no scope requested".into(),
        });
    }
    if let Some(bad) = wanted.scope.iter().find(|s| !allowed.contains(&s.as_str())) {
        return Err(ApiError::Detailed {
            code: ErrorCode::LinkHubTokenRefused,
            detail: format!("scope {bad:?} is not offered by {service}")
                .chars()
                .take(80)
                .collect(),
        });
    }
    Ok(wanted.scope.clone())
}

/// Authenticate a barocert or kakaocert call by its `Authorization: Bearer <token>`: a token
/// of `service`, unexpired, with `scope` (when given), used from the address it is bound to (if
/// any; `peer` is the caller's), of a relying party that still exists and still has the SecretKey
/// that asked for the token (a rotation ends every token issued before it).
pub async fn bearer(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    service: &str,
    scope: Option<&str>,
) -> Result<(Arc<RelyingParty>, Claims), ApiError> {
    let value = header_str(headers, "authorization").ok_or(ErrorCode::LinkHubTokenMissing)?;
    let token = linkhub::parse_bearer(value).ok_or(ErrorCode::LinkHubTokenMissing)?;
    let invalid = || ApiError::Code(ErrorCode::LinkHubTokenInvalid);
    let sealed = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let json = state
        .keys
        .open(TOKEN_LABEL, &sealed)
        .map_err(|_| invalid())?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| invalid())?;
    let now_ms = i64::try_from(state.clock.now().unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    if claims.service != service
        || now_ms >= claims.expires_ms
        || scope.is_some_and(|s| !claims.scopes.iter().any(|c| c == s))
    {
        return Err(invalid());
    }
    if let Some(bound) = claims.ip
        && peer != Some(bound)
    {
        return Err(ApiError::Detailed {
            code: ErrorCode::LinkHubTokenInvalid,
            detail: "the token is bound to another IP address".into(),
        });
    }
    let rp = state
        .relying_party(&claims.link_id)
        .await?
        .ok_or_else(invalid)?;
    if let Some(generation) = &claims.key_generation
        && !crate::pages::web::ct_eq(generation, &key_generation(state, &rp))
    {
        return Err(ApiError::Detailed {
            code: ErrorCode::LinkHubTokenInvalid,
            detail: "the SecretKey was rotated after this token was issued".into(),
        });
    }
    tracing::Span::current().record("client_code", rp.client_code.as_str());
    Ok((rp, claims))
}
