//! kakaocert, client side: the calls of LinkHub's kakaocert SDKs, for Rust applications,
//! against LinkHub's hosted service or a dojang server alike. Tokens come from the LinkHub
//! token service for the client code and are reused until they expire; POSTs carry
//! `x-kc-auth: <LinkID> <signature>`. API 2.0 (kakaocert 2.x: request, state, verify) by
//! default; [`Kakaocert::with_api`]`(`[`KcApi::V1`]`)` signs as API 1.0 does (kakaocert 1.x:
//! request, then `get_esign_result` & co., which deliver the signature once).
//!
//! ```no_run
//! # async fn demo() -> Result<(), dojang_client::Error> {
//! use dojang_client::kakaocert::{KcRequest, Kakaocert};
//! let kc = Kakaocert::new("http://127.0.0.1:8080", "http://127.0.0.1:8080", "RP_ABCDEFGHJKLM", "base64-secret=")?;
//! let receipt = kc.request_esign("012345678901", &KcRequest {
//!     receiver_name: Some("홍길동".into()), receiver_hp: Some("01012345678".into()),
//!     receiver_birthday: Some("19900101".into()), tms_title: Some("약정서".into()),
//!     token: Some("약정에 동의합니다".into()), expires_in: Some(300), ..Default::default()
//! }).await?;
//! let state = kc.get_esign_state("012345678901", &receipt.receipt_id).await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub use dojang_proto::kakaocert::{KcReceipt, KcRequest, KcResultV1, KcStatus, KcVerified};
use dojang_proto::linkhub::{self, KC_V1_VERSION, KC_VERSION, parse_date};
use serde::de::DeserializeOwned;

use crate::Error;
use crate::linkhub::{ServiceClient, TokenResponse, send_for_json};

/// Which kakaocert API the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KcApi {
    /// API 2.0: HMAC-SHA256 over the base64 SHA-256 of the body.
    #[default]
    V2,
    /// API 1.0: HMAC-SHA1 over the base64 MD5 of the body (kakaocert 1.x SDKs).
    V1,
}

impl KcApi {
    fn version(self) -> &'static str {
        match self {
            Self::V2 => KC_VERSION,
            Self::V1 => KC_V1_VERSION,
        }
    }
}

/// A kakaocert client.
pub struct Kakaocert {
    base: ServiceClient,
    tokens: Mutex<HashMap<String, TokenResponse>>,
    api: KcApi,
}

impl std::fmt::Debug for Kakaocert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kakaocert")
            .field("service_url", &self.base.service_url)
            .field("link_id", &self.base.link_id)
            .finish_non_exhaustive()
    }
}

impl Kakaocert {
    /// A client of the kakaocert service at `service_url`, taking tokens from `auth_url`, with
    /// the LinkID and SecretKey.
    pub fn new(
        service_url: &str,
        auth_url: &str,
        link_id: &str,
        secret_key: &str,
    ) -> Result<Self, Error> {
        Ok(Self {
            base: ServiceClient::new(service_url, auth_url, link_id, secret_key)?,
            tokens: Mutex::new(HashMap::new()),
            api: KcApi::V2,
        })
    }

    /// Speak API 1.0 (as kakaocert 1.x SDKs do) or 2.0 (the default).
    pub fn with_api(mut self, api: KcApi) -> Self {
        self.api = api;
        self
    }

    /// A token for the client code, reused until a minute before it expires.
    async fn bearer(&self, client_code: &str) -> Result<String, Error> {
        let now = time::OffsetDateTime::now_utc();
        let lock = || self.tokens.lock().map_err(|_| Error::Config("lock".into()));
        if let Some(t) = lock()?.get(client_code)
            && parse_date(&t.expiration).is_some_and(|exp| exp - Duration::from_secs(60) > now)
        {
            return Ok(t.session_token.clone());
        }
        let fresh = self.base.auth.kakaocert_token(client_code).await?;
        let token = fresh.session_token.clone();
        lock()?.insert(client_code.to_owned(), fresh);
        Ok(token)
    }

    async fn get<T: DeserializeOwned>(&self, client_code: &str, path: &str) -> Result<T, Error> {
        let token = self.bearer(client_code).await?;
        let req = self
            .base
            .http
            .get(format!("{}{path}", self.base.service_url))
            .header("authorization", format!("Bearer {token}"))
            .header("x-pb-version", self.api.version());
        send_for_json(req).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        client_code: &str,
        path: &str,
        body: &KcRequest,
    ) -> Result<T, Error> {
        let token = self.bearer(client_code).await?;
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Config(e.to_string()))?;
        let date = linkhub::format_expiration(time::OffsetDateTime::now_utc());
        let key = &self.base.key;
        let signature = match self.api {
            KcApi::V2 => linkhub::sign(key, &linkhub::kakaocert_string_to_sign(&bytes, &date)),
            KcApi::V1 => {
                linkhub::sign_v1(key, &linkhub::kakaocert_v1_string_to_sign(&bytes, &date))
            }
        };
        let req = self
            .base
            .http
            .post(format!("{}{path}", self.base.service_url))
            .header("authorization", format!("Bearer {token}"))
            .header("x-lh-date", &date)
            .header("x-lh-version", self.api.version())
            .header("x-kc-auth", format!("{} {signature}", self.base.link_id))
            .header("content-type", "application/json; charset=utf8")
            .body(bytes);
        send_for_json(req).await
    }

    /// 전자서명 요청 (`RequestESign`).
    pub async fn request_esign(
        &self,
        client_code: &str,
        body: &KcRequest,
    ) -> Result<KcReceipt, Error> {
        self.post(client_code, "/SignToken/Request", body).await
    }

    /// 전자서명 상태 (`GetESignState`).
    pub async fn get_esign_state(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcStatus, Error> {
        self.get(client_code, &format!("/SignToken/Status/{receipt_id}"))
            .await
    }

    /// 전자서명 검증 (`VerifyESign`), once.
    pub async fn verify_esign(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcVerified, Error> {
        self.get(client_code, &format!("/SignToken/Verify/{receipt_id}"))
            .await
    }

    /// 전자서명 결과 (API 1.0 `GetESignResult`): the status and, the first time it finds the
    /// request signed, the signature (later calls fail with `AlreadyVerified`).
    pub async fn get_esign_result(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcResultV1, Error> {
        self.get(client_code, &format!("/SignToken/{receipt_id}"))
            .await
    }

    /// 본인인증 요청 (`RequestVerifyAuth`).
    pub async fn request_verify_auth(
        &self,
        client_code: &str,
        body: &KcRequest,
    ) -> Result<KcReceipt, Error> {
        self.post(client_code, "/SignIdentity/Request", body).await
    }

    /// 본인인증 상태 (`GetVerifyAuthState`).
    pub async fn get_verify_auth_state(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcStatus, Error> {
        self.get(client_code, &format!("/SignIdentity/Status/{receipt_id}"))
            .await
    }

    /// 본인인증 검증 (`VerifyAuth`), once.
    pub async fn verify_auth(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcVerified, Error> {
        self.get(client_code, &format!("/SignIdentity/Verify/{receipt_id}"))
            .await
    }

    /// 본인인증 결과 (API 1.0 `GetVerifyAuthResult`), like [`Kakaocert::get_esign_result`].
    pub async fn get_verify_auth_result(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcResultV1, Error> {
        self.get(client_code, &format!("/SignIdentity/{receipt_id}"))
            .await
    }

    /// 출금동의 요청 (`RequestCMS`).
    pub async fn request_cms(
        &self,
        client_code: &str,
        body: &KcRequest,
    ) -> Result<KcReceipt, Error> {
        self.post(client_code, "/SignDirectDebit/Request", body)
            .await
    }

    /// 출금동의 상태 (`GetCMSState`).
    pub async fn get_cms_state(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcStatus, Error> {
        self.get(
            client_code,
            &format!("/SignDirectDebit/Status/{receipt_id}"),
        )
        .await
    }

    /// 출금동의 검증 (`VerifyCMS`), once.
    pub async fn verify_cms(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcVerified, Error> {
        self.get(
            client_code,
            &format!("/SignDirectDebit/Verify/{receipt_id}"),
        )
        .await
    }

    /// 출금동의 결과 (API 1.0 `GetCMSResult`), like [`Kakaocert::get_esign_result`].
    pub async fn get_cms_result(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KcResultV1, Error> {
        self.get(client_code, &format!("/SignDirectDebit/{receipt_id}"))
            .await
    }
}
