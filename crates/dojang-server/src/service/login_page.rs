//! The hosted login, between the page and the rest: register where a relying party's browsers
//! go back to, begin a login (an identity request to the person, the consent record and the
//! browser's session, together), hand the browser a one-time code once the person has signed,
//! and let the relying party exchange that code — once, within two minutes, for its own
//! logins only — for the verified person.
//!
//! The browser holds a random secret in a cookie; the database keeps only its SHA-256 (the
//! session id, which also appears in the page's URL), so a leaked URL or database row does not
//! let anyone else finish the login. The one-time code is kept hashed too.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_core::{RelyingParty, RequestKind, RequestState};
use dojang_proto::ErrorCode;
use dojang_proto::rp::{CreateRequest, LoginPageResult, RequestStatus};
use dojang_store::{Consent, LoginSession};

use crate::http::error::ApiError;
use crate::state::AppState;

/// How long the relying party has to exchange the code after the browser was sent back.
pub const CODE_TTL: Duration = Duration::from_secs(120);
/// Longest `state` a relying party may pass through the page.
pub const MAX_STATE: usize = 256;

/// The SHA-256 of a secret, URL-safe base64: how sessions and codes are stored.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        secret.as_bytes(),
    ))
}

/// A return URL the operator may register: absolute `https://`, or `http://` on a loopback
/// host (development); no fragment, no credentials.
pub fn check_return_url(raw: &str) -> Result<url::Url, &'static str> {
    let u = url::Url::parse(raw).map_err(|_| "not an absolute URL")?;
    let loopback = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("must be https:// (or http:// on localhost)"),
    }
    if u.fragment().is_some() {
        return Err("must not have a #fragment");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not carry credentials");
    }
    Ok(u)
}

/// Why a return URL was not registered.
#[derive(Debug, thiserror::Error)]
pub enum ReturnUrlError {
    /// The URL is refused (see [`check_return_url`]).
    #[error("return URL {0}")]
    Refused(&'static str),
    /// Storage.
    #[error(transparent)]
    Store(#[from] dojang_store::StoreError),
}

/// Register (`Some`, checked) or remove (`None`, or empty) where the hosted login sends a
/// relying party's browsers back: what `dojang admin rp login-page` and the admin console do.
pub async fn set_return_url(
    store: &dyn dojang_store::Store,
    code: &dojang_core::ClientCode,
    raw: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<Option<url::Url>, ReturnUrlError> {
    let url = match raw.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Some(check_return_url(u).map_err(ReturnUrlError::Refused)?),
        None => None,
    };
    store
        .set_login_return_url(code, url.as_ref().map(url::Url::as_str), now)
        .await?;
    Ok(url)
}

/// A relying party's `state`: at most 256 printable ASCII characters.
pub fn check_state(raw: &str) -> Result<(), ApiError> {
    if raw.len() > MAX_STATE || !raw.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ErrorCode::LoginStateInvalid.into());
    }
    Ok(())
}

/// The relying party of a hosted login and where it takes browsers back.
pub async fn party(
    state: &AppState,
    client_code: &str,
) -> Result<(RelyingParty, url::Url), ApiError> {
    let code = client_code
        .parse()
        .map_err(|_| ApiError::Code(ErrorCode::LoginPageNotRegistered))?;
    let rp = state
        .store
        .relying_party(&code)
        .await?
        .ok_or(ErrorCode::LoginPageNotRegistered)?;
    let url = state
        .store
        .login_return_url(&code)
        .await?
        .and_then(|u| check_return_url(&u).ok())
        .ok_or(ErrorCode::LoginPageNotRegistered)?;
    Ok((rp, url))
}

/// What the person typed, as the API takes it.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// Name.
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// Birth date, `yyyyMMdd`.
    pub birthday: String,
}

/// The notice the person accepted.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Its version.
    pub version: String,
    /// SHA-256 of the exact text shown.
    pub sha256: Vec<u8>,
    /// The language it was shown in.
    pub lang: String,
}

/// A login that began: the cookie secret for the browser and the session id for its URL.
#[derive(Debug)]
pub struct Started {
    /// Goes into the browser's cookie; never stored.
    pub secret: String,
    /// The SHA-256 of the secret.
    pub session_id: String,
}

/// Begin a login: the identity request (pushed to the person's app, name checked), then the
/// consent record and the session together.
pub async fn start(
    state: &AppState,
    rp: &RelyingParty,
    typed: &Typed,
    notice: &Notice,
    rp_state: &str,
) -> Result<Started, ApiError> {
    check_state(rp_state)?;
    let wire = CreateRequest {
        receiver_name: Some(typed.name.clone()),
        receiver_hp: Some(typed.phone.clone()),
        receiver_birthday: Some(typed.birthday.clone()),
        req_title: Some(format!("{} 로그인", rp.name)),
        token: Some(crate::pages::web::random_token()),
        expire_in: Some(i64::from(state.pages.login_expire_in)),
        verify_name_yn: Some(true),
        ..CreateRequest::default()
    };
    let receipt =
        super::requests::create(state, rp, RequestKind::Identity, &wire, None, None).await?;
    let now = state.clock.now();
    // The request validated the person; parse again for the record (cannot fail now).
    let person = dojang_core::Person {
        name: dojang_core::PersonName::parse(&typed.name)?,
        phone: dojang_core::Phone::parse(&typed.phone)?,
        birthday: dojang_core::Birthday::parse(&typed.birthday, now)?,
    };
    let secret = crate::pages::web::random_token();
    let session_id = digest(&secret);
    let consent = Consent {
        id: uuid_like(),
        client_code: rp.client_code.clone(),
        receipt_id: receipt.receipt_id.clone(),
        person,
        notice_version: notice.version.clone(),
        notice_sha256: notice.sha256.clone(),
        lang: notice.lang.clone(),
        accepted_at: now,
    };
    let session = LoginSession {
        id: session_id.clone(),
        client_code: rp.client_code.clone(),
        state: rp_state.to_owned(),
        receipt_id: receipt.receipt_id,
        consent_id: consent.id.clone(),
        created_at: now,
        expire_at: now + Duration::from_secs(u64::from(state.pages.login_expire_in)),
        code_expire_at: None,
        exchanged_at: None,
    };
    if let Err(e) = state.store.start_login(&consent, &session).await {
        // No consent on record: the request must not be answerable. Withdraw it (best effort;
        // the original error is what the page shows).
        let why = dojang_proto::rp::CancelRequest {
            reason: Some("login page could not record the consent".into()),
        };
        let receipt = &session.receipt_id;
        if let Err(c) =
            super::requests::cancel(state, rp, RequestKind::Identity, receipt, &why).await
        {
            tracing::error!(error = %c, receipt = %receipt, "could not withdraw a login request");
        }
        return Err(e.into());
    }
    tracing::info!(receipt = %session.receipt_id, client_code = %rp.client_code, "hosted login began");
    Ok(Started { secret, session_id })
}

/// A random id for a consent record: 128 bits, URL-safe.
fn uuid_like() -> String {
    use rand::RngExt as _;
    let b: [u8; 16] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(b)
}

/// The session whose id is `session_id`, if the browser's `secret` is its secret.
pub async fn session(
    state: &AppState,
    session_id: &str,
    secret: Option<&str>,
) -> Result<(LoginSession, RelyingParty), ApiError> {
    let owned = secret.is_some_and(|s| digest(s) == session_id);
    if !owned {
        return Err(ErrorCode::LoginSessionInvalid.into());
    }
    let s = state
        .store
        .login_session(session_id)
        .await?
        .ok_or(ErrorCode::LoginSessionInvalid)?;
    let rp = state
        .store
        .relying_party(&s.client_code)
        .await?
        .ok_or(ErrorCode::LoginSessionInvalid)?;
    Ok((s, rp))
}

/// The request's status now, or once it changes within `wait`.
pub async fn status(
    state: &AppState,
    s: &LoginSession,
    rp: &RelyingParty,
    wait: Duration,
) -> Result<RequestStatus, ApiError> {
    super::requests::status(state, rp, RequestKind::Identity, &s.receipt_id, wait).await
}

/// Where a finished login sends the browser.
#[derive(Debug)]
pub enum Finish {
    /// Signed: back to the relying party with a fresh one-time code.
    Redirect(String),
    /// Not yet signed.
    Waiting,
    /// Ended without a signature: the state's code (declined, expired, …).
    Ended(ErrorCode),
}

/// Whether a request has ended: `Ok` when signed, else the code that says how it ended.
pub fn finish_state(st: &RequestStatus) -> Option<Result<(), ErrorCode>> {
    Some(Err(match RequestState::from_code(st.state) {
        Some(RequestState::Waiting) => return None,
        Some(RequestState::Signed) => return Some(Ok(())),
        Some(RequestState::Expired) => ErrorCode::RequestExpired,
        Some(RequestState::Failed) => ErrorCode::RequestFailed,
        _ if st
            .state_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("cancelled")) =>
        {
            ErrorCode::RequestCancelled
        }
        _ => ErrorCode::RequestDeclined,
    }))
}

/// Finish a login whose request is signed: issue the one-time code (once) and build the
/// return URL with `code` and `state`.
pub async fn finish(
    state: &AppState,
    s: &LoginSession,
    rp: &RelyingParty,
) -> Result<Finish, ApiError> {
    let st = status(state, s, rp, Duration::ZERO).await?;
    match finish_state(&st) {
        None => return Ok(Finish::Waiting),
        Some(Err(c)) => return Ok(Finish::Ended(c)),
        Some(Ok(())) => {}
    }
    let (_, mut back) = party(state, rp.client_code.as_str()).await?;
    let one_time = crate::pages::web::random_token();
    let now = state.clock.now();
    if !state
        .store
        .issue_login_code(&s.id, digest(&one_time).as_bytes(), now + CODE_TTL)
        .await?
    {
        // The browser came back a second time: the code went out already.
        return Err(ErrorCode::LoginSessionInvalid.into());
    }
    back.query_pairs_mut()
        .append_pair("code", &one_time)
        .append_pair("state", &s.state);
    Ok(Finish::Redirect(back.into()))
}

/// The relying party exchanges the one-time code: the identity request is verified (once) and
/// returned with the consent.
pub async fn exchange(
    state: &AppState,
    rp: &RelyingParty,
    code: &str,
) -> Result<LoginPageResult, ApiError> {
    if code.is_empty() || code.len() > 128 {
        return Err(ErrorCode::LoginCodeInvalid.into());
    }
    let now = state.clock.now();
    let s = state
        .store
        .exchange_login_code(digest(code).as_bytes(), &rp.client_code, now)
        .await?
        .ok_or(ErrorCode::LoginCodeInvalid)?;
    let result = super::requests::verify(state, rp, RequestKind::Identity, &s.receipt_id).await?;
    let consent = state
        .store
        .consent(&s.consent_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("consent of login {} is missing", s.id)))?;
    Ok(LoginPageResult {
        state: s.state,
        consent_id: consent.id,
        consent_version: consent.notice_version,
        consented_dt: consent.accepted_at,
        result,
    })
}
