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
use dojang_store::{Consent, LoginSession, LoginTexts};

use super::throttle;
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

/// The languages an operator may set the hosted login's texts in.
pub const TEXT_LANGS: [&str; 2] = ["ko", "en"];
/// Longest notice part or help text an operator may set, in characters.
pub const MAX_TEXT: usize = 2000;
/// Longest support-number text, in characters.
pub const MAX_SUPPORT: usize = 100;

/// What an operator changes in a relying party's hosted-login texts in one language: `None`
/// leaves a part as it is, `Some("")` (or only spaces) gives it back to the built-in text.
#[derive(Debug, Clone, Default)]
pub struct TextsUpdate {
    /// The notice's recipient(s).
    pub recipient: Option<String>,
    /// The notice's purpose.
    pub purpose: Option<String>,
    /// The notice's items.
    pub items: Option<String>,
    /// The notice's retention period.
    pub retention: Option<String>,
    /// The help shown when a push does not arrive.
    pub help: Option<String>,
    /// The support number(s).
    pub support: Option<String>,
}

/// Why texts were not set.
#[derive(Debug, thiserror::Error)]
pub enum TextsError {
    /// Not `ko` or `en`.
    #[error("language must be ko or en")]
    Lang,
    /// A part is too long.
    #[error("{0} is longer than {1} characters")]
    TooLong(&'static str, usize),
    /// A part has control characters (other than line breaks).
    #[error("{0} has control characters")]
    Control(&'static str),
    /// Storage.
    #[error(transparent)]
    Store(#[from] dojang_store::StoreError),
}

fn text_part(
    name: &'static str,
    max: usize,
    multiline: bool,
    now: Option<String>,
    given: Option<String>,
) -> Result<Option<String>, TextsError> {
    let Some(given) = given else { return Ok(now) };
    let t = given.replace("\r\n", "\n").replace('\r', "\n");
    let t = t.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max {
        return Err(TextsError::TooLong(name, max));
    }
    if t.chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err(TextsError::Control(name));
    }
    Ok(Some(t.to_owned()))
}

/// Change a relying party's hosted-login texts in `lang` (what `dojang admin rp login-page
/// texts` and the admin console do): the parts given replace the stored ones; the result, or
/// `None` when no part is left (every part then built-in).
pub async fn set_texts(
    store: &dyn dojang_store::Store,
    code: &dojang_core::ClientCode,
    lang: &str,
    update: TextsUpdate,
    now: time::OffsetDateTime,
) -> Result<Option<LoginTexts>, TextsError> {
    if !TEXT_LANGS.contains(&lang) {
        return Err(TextsError::Lang);
    }
    let old = store
        .login_texts(code)
        .await?
        .into_iter()
        .find(|t| t.lang == lang);
    let (r, p, i, k, h, s) = old.map_or_else(Default::default, |o| {
        (
            o.recipient,
            o.purpose,
            o.items,
            o.retention,
            o.help,
            o.support,
        )
    });
    let texts = LoginTexts {
        client_code: code.clone(),
        lang: lang.to_owned(),
        recipient: text_part("recipient", MAX_TEXT, true, r, update.recipient)?,
        purpose: text_part("purpose", MAX_TEXT, true, p, update.purpose)?,
        items: text_part("items", MAX_TEXT, true, i, update.items)?,
        retention: text_part("retention", MAX_TEXT, true, k, update.retention)?,
        help: text_part("help", MAX_TEXT, true, h, update.help)?,
        support: text_part("support", MAX_SUPPORT, false, s, update.support)?,
        updated_at: now,
    };
    store.set_login_texts(&texts).await?;
    Ok((!texts.is_empty()).then_some(texts))
}

/// The operator's texts a page in `lang` shows, part by part: from the texts in `lang`, else
/// from the Korean ones (the operator's legal text rather than a built-in one that may say
/// something else), else `None` (the page's built-in text). [`Chosen::notice_at`] says whether
/// (and since when) any of the notice's parts is the operator's.
pub fn pick_texts(all: &[LoginTexts], code: &dojang_core::ClientCode, lang: &str) -> Chosen {
    let mine = all.iter().find(|t| t.lang == lang);
    let ko = all.iter().find(|t| t.lang == "ko");
    let mut notice_at: Option<time::OffsetDateTime> = None;
    let mut part = |f: fn(&LoginTexts) -> &Option<String>, notice: bool| {
        let from = [mine, ko].into_iter().flatten().find(|t| f(t).is_some())?;
        if notice {
            notice_at = Some(notice_at.map_or(from.updated_at, |a| a.max(from.updated_at)));
        }
        f(from).clone()
    };
    let texts = LoginTexts {
        client_code: code.clone(),
        lang: lang.to_owned(),
        recipient: part(|t| &t.recipient, true),
        purpose: part(|t| &t.purpose, true),
        items: part(|t| &t.items, true),
        retention: part(|t| &t.retention, true),
        help: part(|t| &t.help, false),
        support: part(|t| &t.support, false),
        updated_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    Chosen { texts, notice_at }
}

/// The operator's texts for one page (see [`pick_texts`]).
#[derive(Debug, Clone)]
pub struct Chosen {
    /// Part by part, `None` where the built-in text stays.
    pub texts: LoginTexts,
    /// When the notice's operator-set parts were last set; `None` when the notice is built-in.
    pub notice_at: Option<time::OffsetDateTime>,
}

/// The operator's texts for a relying party's page in `lang`.
pub async fn texts(
    state: &AppState,
    code: &dojang_core::ClientCode,
    lang: &str,
) -> Result<Chosen, ApiError> {
    let all = state.store.login_texts(code).await?;
    Ok(pick_texts(&all, code, lang))
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
///
/// Anyone may call this without logging in, so it must not tell a wrong birth date from a
/// wrong name (issue 14 #1): both answer [`ErrorCode::ReceiverNotFound`], and each counts as a
/// failure against the typed phone number and the client's address; past their back-offs
/// ([`throttle::LOGIN_PHONE`], [`throttle::LOGIN_ADDRESS`]) the call is refused with
/// [`ErrorCode::LoginThrottled`] before anything is looked up.
pub async fn start(
    state: &AppState,
    rp: &RelyingParty,
    typed: &Typed,
    notice: &Notice,
    rp_state: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Started, ApiError> {
    check_state(rp_state)?;
    let phone = dojang_core::Phone::parse(&typed.phone)?;
    let by_address = throttle::Subject::Address(client);
    let by_phone = throttle::Subject::Phone(&phone);
    let limited = ErrorCode::LoginThrottled;
    throttle::check(state, &throttle::LOGIN_ADDRESS, by_address, limited).await?;
    throttle::check(state, &throttle::LOGIN_PHONE, by_phone, limited).await?;
    let wire = CreateRequest {
        receiver_name: Some(typed.name.clone()),
        receiver_hp: Some(typed.phone.clone()),
        receiver_birthday: Some(typed.birthday.clone()),
        req_title: Some(format!("{} 로그인", rp.name)),
        token: Some(crate::pages::web::random_token()),
        expire_in: Some(i64::from(state.pages.login_expire_in)),
        // The name on record (verified or not): the hosted login serves SMS holders too.
        verify_name_yn: None,
        ..CreateRequest::default()
    };
    let receipt =
        match super::requests::create(state, rp, RequestKind::Identity, &wire, None, None).await {
            Ok(r) => r,
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::ReceiverNotFound | ErrorCode::ReceiverNameMismatch
                ) =>
            {
                throttle::record(state, &throttle::LOGIN_ADDRESS, by_address).await?;
                throttle::record(state, &throttle::LOGIN_PHONE, by_phone).await?;
                return Err(ErrorCode::ReceiverNotFound.into());
            }
            Err(e) => return Err(e),
        };
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
    /// Signed: the relying party's return URL with a fresh one-time code (the page sends the
    /// browser there; see `pages::login::done` for why not by a redirect).
    Back(String),
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
    Ok(Finish::Back(back.into()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(lang: &str, at: i64, f: impl FnOnce(&mut LoginTexts)) -> LoginTexts {
        let mut t = LoginTexts {
            client_code: "000000000001".parse().unwrap(),
            lang: lang.into(),
            recipient: None,
            purpose: None,
            items: None,
            retention: None,
            help: None,
            support: None,
            updated_at: time::OffsetDateTime::from_unix_timestamp(at).unwrap(),
        };
        f(&mut t);
        t
    }

    #[test]
    fn each_part_falls_back_to_korean_then_to_the_built_in_text() {
        let code = "000000000001".parse().unwrap();
        let ko = row("ko", 100, |t| {
            t.recipient = Some("수신자".into());
            t.items = Some("항목".into());
            t.support = Some("02-1234-5678".into());
        });
        let en = row("en", 200, |t| t.recipient = Some("Recipient Inc.".into()));
        let all = [ko.clone(), en];
        let c = pick_texts(&all, &code, "en");
        assert_eq!(c.texts.recipient.as_deref(), Some("Recipient Inc."));
        assert_eq!(c.texts.items.as_deref(), Some("항목"));
        assert_eq!(c.texts.support.as_deref(), Some("02-1234-5678"));
        assert_eq!(c.texts.purpose, None);
        // The notice came from both rows: the newer time versions it.
        assert_eq!(c.notice_at.map(|t| t.unix_timestamp()), Some(200));
        let c = pick_texts(&all, &code, "ko");
        assert_eq!(c.texts.recipient.as_deref(), Some("수신자"));
        assert_eq!(c.notice_at.map(|t| t.unix_timestamp()), Some(100));
    }

    #[test]
    fn help_and_numbers_alone_leave_the_notice_built_in() {
        let code = "000000000001".parse().unwrap();
        let ko = row("ko", 100, |t| {
            t.help = Some("도움말".into());
            t.support = Some("1600-0000".into());
        });
        let c = pick_texts(&[ko], &code, "ko");
        assert_eq!(c.notice_at, None);
        assert_eq!(c.texts.help.as_deref(), Some("도움말"));
        assert!(pick_texts(&[], &code, "en").texts.is_empty());
    }

    #[test]
    fn parts_are_trimmed_checked_and_emptied() {
        let keep = Some("old".to_owned());
        assert_eq!(text_part("x", 10, true, keep.clone(), None).unwrap(), keep);
        assert_eq!(
            text_part("x", 10, true, keep.clone(), Some("  ".into())).unwrap(),
            None
        );
        assert_eq!(
            text_part("x", 10, true, None, Some(" a\r\nb ".into())).unwrap(),
            Some("a\nb".into())
        );
        assert!(matches!(
            text_part("x", 10, false, None, Some("a\nb".into())),
            Err(TextsError::Control("x"))
        ));
        assert!(matches!(
            text_part("x", 10, true, None, Some("a\u{7}".into())),
            Err(TextsError::Control("x"))
        ));
        assert!(text_part("x", 3, true, None, Some("가나다".into())).is_ok());
        assert!(matches!(
            text_part("x", 3, true, None, Some("가나다라".into())),
            Err(TextsError::TooLong("x", 3))
        ));
    }
}
