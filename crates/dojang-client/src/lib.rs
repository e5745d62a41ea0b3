//! `dojang-client`: the Rust SDK for dojang's native relying-party API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), dojang_client::Error> {
//! use dojang_client::{Client, Credentials, IdentityRequest};
//! let client = Client::new(
//!     "http://127.0.0.1:8080",
//!     Credentials::new("012345678901", "RP_ABCDEFGHJKLM", "base64-secret-from-dojang-admin-rp-add="),
//! )?;
//! let receipt = client
//!     .request_verify_auth(&IdentityRequest::new("홍길동", "01012345678", "19900101", "nonce", "로그인", 300))
//!     .await?;
//! let state = client.get_verify_auth_state(&receipt.receipt_id).await?;
//! if state.state == 1 {
//!     let verified = client.verify_auth(&receipt.receipt_id).await?;
//!     println!("{} verified; CI {}", verified.receiver_name, verified.ci);
//! }
//! # Ok(()) }
//! ```
//!
//! Method names follow the kakaocert documents (`request_verify_auth`, `get_verify_auth_state`,
//! `verify_auth`); every failure is an [`Error`] whose [`Error::code`] is the 8-digit negative
//! code of dojang's catalogue (or `-99999999` for failures on this side, as LinkHub's SDKs do).
//!
//! This crate depends on `dojang-proto` only, never on server crates. It signs every call with
//! the relying party's secret (see `dojang_proto::auth`) using the local clock.

pub mod barocert;
pub mod kakaocert;
pub mod linkhub;
pub mod webhook;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_proto::{ErrorBody, auth, datetime, paths};
use serde::de::DeserializeOwned;

pub use dojang_proto::ErrorCode;
pub use dojang_proto::rp::{
    CancelRequest, Cancelled, CreateRequest, DebitAccount, IdentityRequest, IdentityStatus,
    IdentityVerifyResult, Kind, LoginPageExchange, LoginPageResult, ReceiptResponse, RequestStatus,
    TokenItem, TokenType, VerifyResult,
};

/// The code used for failures that happen on this side (transport, bad configuration, an
/// answer that cannot be read), as LinkHub's SDKs do.
pub const CLIENT_ERROR_CODE: i64 = -99_999_999;

/// A relying party's credentials, as printed by `dojang admin rp add`. `Debug` hides the secret.
#[derive(Clone)]
pub struct Credentials {
    /// 12-digit client code.
    pub client_code: String,
    /// LinkID.
    pub link_id: String,
    /// SecretKey, standard base64.
    pub secret_key: String,
}

impl Credentials {
    /// Credentials from their three parts.
    pub fn new(
        client_code: impl Into<String>,
        link_id: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        Self {
            client_code: client_code.into(),
            link_id: link_id.into(),
            secret_key: secret_key.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_code", &self.client_code)
            .field("link_id", &self.link_id)
            .field("secret_key", &"***")
            .finish()
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// dojang answered with an error.
    #[error("dojang error {code}: {message} (HTTP {status})")]
    Api {
        /// HTTP status.
        status: u16,
        /// 8-digit negative code.
        code: i64,
        /// Message.
        message: String,
    },
    /// The server could not be reached or the connection failed.
    #[error("transport: {0}")]
    Transport(String),
    /// The answer was not what the API documents.
    #[error("unexpected answer (HTTP {status}): {detail}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
    /// The client was configured wrongly (bad URL, secret not base64).
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// The 8-digit negative code: dojang's for API errors, [`CLIENT_ERROR_CODE`] otherwise.
    pub fn code(&self) -> i64 {
        match self {
            Error::Api { code, .. } => *code,
            _ => CLIENT_ERROR_CODE,
        }
    }

    /// The catalogue entry of an API error, if it is one this SDK knows.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { code, .. } => ErrorCode::from_code(*code),
            _ => None,
        }
    }
}

/// An answer as the server sent it, for tools that print raw JSON.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// A signed request before it is sent ([`Client::sign_request`]).
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// The method, upper case.
    pub method: String,
    /// The path and query that were signed.
    pub path: String,
    /// The full URL.
    pub url: String,
    /// The headers this client sets (the HTTP library adds `host`, `content-length`,
    /// `user-agent` and `accept`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Where the client reads the time it signs with (`X-Dojang-Date`).
pub type TimeSource = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// A client of one dojang server for one relying party.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
    secret: Vec<u8>,
    now: TimeSource,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

fn install_crypto_provider() {
    // rustls is built with *ring* only; make it the default so HTTPS URLs work.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    /// A client for `base_url` (e.g. `https://dojang.example.kr`).
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, Error> {
        Self::with_timeout(base_url, credentials, Duration::from_secs(70))
    }

    /// A client with a request timeout other than the default 70 s.
    pub fn with_timeout(
        base_url: &str,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<Self, Error> {
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::Config(format!(
                "base URL must start with http:// or https://: {base_url}"
            )));
        }
        let secret = STANDARD
            .decode(credentials.secret_key.trim())
            .map_err(|_| Error::Config("the SecretKey is not standard base64".into()))?;
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("dojang-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            credentials,
            secret,
            now: Arc::new(time::OffsetDateTime::now_utc),
        })
    }

    /// Send through this HTTP client instead of the default one: to trust a private CA,
    /// use a proxy, or pin a certificate. Its timeouts replace the client's.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Sign with another clock than the local one, e.g. one corrected by the server's offset
    /// (LinkHub's SDKs call this `UseLocalTimeYN = false`), or a test's manual clock.
    pub fn with_time_source(mut self, now: TimeSource) -> Self {
        self.now = now;
        self
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// 본인인증 요청 — ask the named person to verify their identity. Returns the receipt.
    pub async fn request_verify_auth(
        &self,
        request: &IdentityRequest,
    ) -> Result<ReceiptResponse, Error> {
        let body = serde_json::to_vec(request).map_err(|e| Error::Config(e.to_string()))?;
        self.call("POST", paths::IDENTITY, &body).await
    }

    /// 본인인증 상태 확인 — the request's state and times.
    pub async fn get_verify_auth_state(&self, receipt_id: &str) -> Result<IdentityStatus, Error> {
        self.call("GET", &paths::identity_status_path(receipt_id), b"")
            .await
    }

    /// 본인인증 검증 — once, after signing: the signature and the verified person.
    pub async fn verify_auth(&self, receipt_id: &str) -> Result<IdentityVerifyResult, Error> {
        self.call("POST", &paths::identity_verify_path(receipt_id), b"")
            .await
    }

    /// Ask for a request of any kind (`/v1/{kind}`). Returns the receipt, the binding code to
    /// show on your page, and (app-to-app) the `scheme` URL that opens the app.
    pub async fn request(
        &self,
        kind: Kind,
        request: &CreateRequest,
    ) -> Result<ReceiptResponse, Error> {
        let body = serde_json::to_vec(request).map_err(|e| Error::Config(e.to_string()))?;
        self.call("POST", &paths::create_path(kind), &body).await
    }

    /// Like [`Client::request`], with an `Idempotency-Key`: repeating the call with the same
    /// key and body within 10 minutes returns the first receipt instead of a second push.
    pub async fn request_idempotent(
        &self,
        kind: Kind,
        request: &CreateRequest,
        key: &str,
    ) -> Result<ReceiptResponse, Error> {
        let body = serde_json::to_vec(request).map_err(|e| Error::Config(e.to_string()))?;
        let raw = self
            .send_raw_with(
                "POST",
                &paths::create_path(kind),
                &body,
                &[("idempotency-key", key)],
            )
            .await?;
        decode(raw)
    }

    /// The state and fields of a request.
    pub async fn status(&self, kind: Kind, receipt_id: &str) -> Result<RequestStatus, Error> {
        self.call("GET", &paths::status_path(kind, receipt_id), b"")
            .await
    }

    /// Long poll: answers as soon as the request leaves the waiting state, or after
    /// `wait_secs` (at most 30) with the request still waiting.
    pub async fn wait_status(
        &self,
        kind: Kind,
        receipt_id: &str,
        wait_secs: u32,
    ) -> Result<RequestStatus, Error> {
        let path = format!("{}?wait={wait_secs}", paths::status_path(kind, receipt_id));
        self.call("GET", &path, b"").await
    }

    /// Verify once, after signing: the signature(s) and the verified person. For login, `id`
    /// is the `txID` the app returned (or the receipt id of a pushed login).
    pub async fn verify(&self, kind: Kind, id: &str) -> Result<VerifyResult, Error> {
        self.call("POST", &paths::verify_path(kind, id), b"").await
    }

    /// Withdraw a waiting request (it ends in state 3 with the reason `cancelled`).
    pub async fn cancel(
        &self,
        kind: Kind,
        receipt_id: &str,
        reason: Option<&str>,
    ) -> Result<Cancelled, Error> {
        let body = serde_json::to_vec(&CancelRequest {
            reason: reason.map(str::to_owned),
        })
        .map_err(|e| Error::Config(e.to_string()))?;
        self.call("POST", &paths::cancel_path(kind, receipt_id), &body)
            .await
    }

    /// Exchange the hosted login's one-time code (the `code` query parameter your return URL
    /// received; check `state` first) for the verified person and their consent. Once per code,
    /// within two minutes.
    pub async fn exchange_login_page_code(&self, code: &str) -> Result<LoginPageResult, Error> {
        let body = serde_json::to_vec(&LoginPageExchange {
            code: code.to_owned(),
        })
        .map_err(|e| Error::Config(e.to_string()))?;
        self.call("POST", paths::LOGIN_PAGE_EXCHANGE, &body).await
    }

    /// 전자서명 요청 (kakaocert RequestESign).
    pub async fn request_esign(&self, request: &CreateRequest) -> Result<ReceiptResponse, Error> {
        self.request(Kind::Sign, request).await
    }

    /// 전자서명 상태 확인 (GetESignState).
    pub async fn get_esign_state(&self, receipt_id: &str) -> Result<RequestStatus, Error> {
        self.status(Kind::Sign, receipt_id).await
    }

    /// 전자서명 검증 (VerifyESign).
    pub async fn verify_esign(&self, receipt_id: &str) -> Result<VerifyResult, Error> {
        self.verify(Kind::Sign, receipt_id).await
    }

    /// 다건 전자서명 요청 (barocert requestMultiSign).
    pub async fn request_multi_sign(
        &self,
        request: &CreateRequest,
    ) -> Result<ReceiptResponse, Error> {
        self.request(Kind::MultiSign, request).await
    }

    /// 출금동의 요청 (kakaocert RequestCMS).
    pub async fn request_cms(&self, request: &CreateRequest) -> Result<ReceiptResponse, Error> {
        self.request(Kind::DebitConsent, request).await
    }

    /// 간편로그인 검증 by the `txID` the app returned.
    pub async fn verify_login(&self, tx_id: &str) -> Result<VerifyResult, Error> {
        self.verify(Kind::Login, tx_id).await
    }

    /// Send a signed request and return the answer as it came (for `dojang rp` and tests).
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<RawResponse, Error> {
        self.send_raw_with(method, path, body, &[]).await
    }

    /// [`Client::send_raw`] with extra headers (such as `Idempotency-Key`).
    pub async fn send_raw_with(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<RawResponse, Error> {
        let request = self.sign_request(method, path, body, headers);
        self.send_signed(&request).await
    }

    /// Sign a request without sending it: the method, path, headers (the date, the
    /// `Authorization` with the signature, `headers`, and the content type of a body) and body
    /// exactly as [`Client::send_signed`] will send them. Tools that show the raw request (the
    /// test console) use this pair, so what they show is what is sent.
    pub fn sign_request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> SignedRequest {
        let date = datetime::format_rfc3339((self.now)());
        let signature = auth::sign(&self.secret, method, path, &date, body);
        let mut all = vec![
            (auth::DATE_HEADER.to_owned(), date),
            (
                "authorization".to_owned(),
                auth::authorization_header(&self.credentials.link_id, &signature),
            ),
        ];
        all.extend(
            headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        if !body.is_empty() {
            all.push(("content-type".to_owned(), "application/json".to_owned()));
        }
        SignedRequest {
            method: method.to_ascii_uppercase(),
            url: format!("{}{path}", self.base),
            path: path.to_owned(),
            headers: all,
            body: body.to_vec(),
        }
    }

    /// Send a request made by [`Client::sign_request`]; the answer with its headers.
    pub async fn send_signed(&self, request: &SignedRequest) -> Result<RawResponse, Error> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Error::Config(format!("bad method {}", request.method)))?;
        let mut req = self.http.request(method, &request.url);
        for (name, value) in &request.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if !request.body.is_empty() {
            req = req.body(request.body.clone());
        }
        let res = req
            .send()
            .await
            .map_err(|e| Error::Transport(e.without_url().to_string()))?;
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = res
            .bytes()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?
            .to_vec();
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<T, Error> {
        let raw = self.send_raw(method, path, body).await?;
        decode(raw)
    }
}

/// Turn a raw answer into a value or an [`Error`].
pub fn decode<T: DeserializeOwned>(raw: RawResponse) -> Result<T, Error> {
    if (200..300).contains(&raw.status) {
        serde_json::from_slice(&raw.body).map_err(|e| Error::Decode {
            status: raw.status,
            detail: e.to_string(),
        })
    } else {
        match serde_json::from_slice::<ErrorBody>(&raw.body) {
            Ok(b) => Err(Error::Api {
                status: raw.status,
                code: b.code,
                message: b.message,
            }),
            Err(_) => Err(Error::Decode {
                status: raw.status,
                detail: String::from_utf8_lossy(raw.body.get(..200).unwrap_or(&raw.body))
                    .into_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_codes() {
        let e = decode::<ReceiptResponse>(RawResponse {
            status: 404,
            headers: Vec::new(),
            body: br#"{"code":-10300001,"message":"Receipt not found"}"#.to_vec(),
        })
        .unwrap_err();
        assert_eq!(e.code(), -10_300_001);
        assert_eq!(e.error_code(), Some(ErrorCode::ReceiptNotFound));
        let e = decode::<ReceiptResponse>(RawResponse {
            status: 502,
            headers: Vec::new(),
            body: b"<html>".to_vec(),
        })
        .unwrap_err();
        assert_eq!(e.code(), CLIENT_ERROR_CODE);
    }

    #[test]
    fn configuration_is_checked_and_the_secret_hidden() {
        let c = Credentials::new("012345678901", "RP_X", "c2VjcmV0");
        assert!(!format!("{c:?}").contains("c2VjcmV0"));
        assert!(Client::new("ftp://x", c.clone()).is_err());
        assert!(Client::new("http://x", Credentials::new("1", "2", "not base64!")).is_err());
        assert!(Client::new("http://127.0.0.1:1/", c).is_ok());
    }

    #[test]
    fn a_signed_request_verifies_and_carries_every_header() {
        let at = time::OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap();
        let c = Client::new(
            "http://127.0.0.1:1/",
            Credentials::new("012345678901", "RP_X", "c2VjcmV0"),
        )
        .unwrap()
        .with_time_source(Arc::new(move || at));
        let r = c.sign_request("post", "/v1/identity", b"{}", &[("idempotency-key", "k1")]);
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "http://127.0.0.1:1/v1/identity");
        let h = |n: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        let date = h("x-dojang-date").unwrap();
        assert_eq!(date, datetime::format_rfc3339(at));
        let authorization = h("authorization").unwrap();
        let (link, sig) = auth::parse_authorization(&authorization).unwrap();
        assert_eq!(link, "RP_X");
        assert!(auth::verify(
            b"secret",
            "POST",
            "/v1/identity",
            &date,
            b"{}",
            sig
        ));
        assert_eq!(h("idempotency-key").as_deref(), Some("k1"));
        assert_eq!(h("content-type").as_deref(), Some("application/json"));
        let get = c.sign_request("GET", "/v1/identity/1", b"", &[]);
        assert!(get.headers.iter().all(|(k, _)| k != "content-type"));
    }

    #[tokio::test]
    async fn unreachable_servers_are_transport_errors() {
        let c = Client::new(
            "http://127.0.0.1:9",
            Credentials::new("012345678901", "RP_X", "c2VjcmV0"),
        )
        .unwrap();
        let e = c.get_verify_auth_state(&"1".repeat(32)).await.unwrap_err();
        assert!(matches!(e, Error::Transport(_)), "{e}");
    }
}
