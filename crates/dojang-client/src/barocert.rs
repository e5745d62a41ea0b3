//! barocert 2.1, client side: the calls LinkHub's barocert SDKs make (named methods for KAKAO,
//! `request_in` / `status_in` / `verify_in` for NAVER, PASS and TOSS), for Rust applications, against LinkHub's hosted service or a dojang server alike. Tokens come from
//! the LinkHub token service ([`LinkHubAuth`]) and are reused until they expire; every POST is
//! signed (`x-bc-auth`); personal fields are encrypted with [`BarocertKakao::encrypt`], as the
//! SDKs' examples do.
//!
//! ```no_run
//! # async fn demo() -> Result<(), dojang_client::Error> {
//! use dojang_client::barocert::BarocertKakao;
//! use dojang_client::CreateRequest;
//! let bc = BarocertKakao::new("http://127.0.0.1:8080", "http://127.0.0.1:8080", "RP_ABCDEFGHJKLM", "base64-secret=")?;
//! let mut req = CreateRequest::new(&bc.encrypt("홍길동")?, &bc.encrypt("01012345678")?, &bc.encrypt("19900101")?,
//!     &bc.encrypt("nonce")?, "본인인증", 300);
//! let receipt = bc.request_identity("012345678901", &req).await?;
//! let status = bc.get_identity_status("012345678901", &receipt.receipt_id).await?;
//! # Ok(()) }
//! ```

use std::sync::Mutex;
use std::time::Duration;

pub use dojang_proto::barocert::{
    BarocertResult, BarocertStatus, KakaoResult, KakaoService, KakaoStatus, Product, Receipt,
};
pub use dojang_proto::linkhub::FieldMode;
use dojang_proto::linkhub::{self, BC_VERSION, parse_date};
use dojang_proto::rp::CreateRequest;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::linkhub::{ServiceClient, TokenResponse};

/// A barocert client.
pub struct BarocertKakao {
    base: ServiceClient,
    token: Mutex<Option<TokenResponse>>,
    mode: FieldMode,
}

impl std::fmt::Debug for BarocertKakao {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BarocertKakao")
            .field("service_url", &self.base.service_url)
            .finish_non_exhaustive()
    }
}

impl BarocertKakao {
    /// A client of the barocert service at `service_url`, taking tokens from `auth_url`
    /// (dojang serves both on one port), with the LinkID and SecretKey.
    pub fn new(
        service_url: &str,
        auth_url: &str,
        link_id: &str,
        secret_key: &str,
    ) -> Result<Self, Error> {
        Ok(Self {
            base: ServiceClient::new(service_url, auth_url, link_id, secret_key)?,
            token: Mutex::new(None),
            mode: FieldMode::Gcm,
        })
    }

    /// Encrypt fields in CBC mode instead of GCM, as barocert's Java 1.6/1.7 and Node 0.x SDKs
    /// do (`x-bc-encryptionmode: CBC`). GCM, the default, also protects each field's integrity.
    pub fn with_encryption_mode(mut self, mode: FieldMode) -> Self {
        self.mode = mode;
        self
    }

    /// The SDKs' `encrypt`: AES-256 under the SecretKey, a random IV, base64 (GCM unless
    /// [`BarocertKakao::with_encryption_mode`] says CBC).
    pub fn encrypt(&self, plaintext: &str) -> Result<String, Error> {
        let rng = ring::rand::SystemRandom::new();
        let no_randomness = |_| Error::Config("no randomness".into());
        let sealed = match self.mode {
            FieldMode::Gcm => {
                let mut iv = [0u8; 12];
                ring::rand::SecureRandom::fill(&rng, &mut iv).map_err(no_randomness)?;
                linkhub::encrypt_gcm(&self.base.key, iv, plaintext)
            }
            FieldMode::Cbc => {
                let mut iv = [0u8; 16];
                ring::rand::SecureRandom::fill(&rng, &mut iv).map_err(no_randomness)?;
                linkhub::encrypt_cbc(&self.base.key, iv, plaintext)
            }
        };
        sealed.map_err(|e| Error::Config(e.to_string()))
    }

    /// A token, reused until a minute before it expires.
    async fn bearer(&self) -> Result<String, Error> {
        let now = time::OffsetDateTime::now_utc();
        if let Some(t) = self
            .token
            .lock()
            .map_err(|_| Error::Config("lock".into()))?
            .as_ref()
            && parse_date(&t.expiration).is_some_and(|exp| exp - Duration::from_secs(60) > now)
        {
            return Ok(t.session_token.clone());
        }
        let fresh = self.base.auth.barocert_token().await?;
        let token = fresh.session_token.clone();
        *self
            .token
            .lock()
            .map_err(|_| Error::Config("lock".into()))? = Some(fresh);
        Ok(token)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, Error> {
        let token = self.bearer().await?;
        let mut req = self
            .base
            .http
            .request(method.clone(), format!("{}{path}", self.base.service_url))
            .header("authorization", format!("Bearer {token}"))
            .header("x-bc-version", BC_VERSION);
        if method == reqwest::Method::POST {
            let body = body.unwrap_or_default();
            let date = linkhub::format_expiration(time::OffsetDateTime::now_utc());
            let text = linkhub::barocert_string_to_sign(&body, &date, path, false);
            req = req
                .header("x-bc-date", &date)
                .header("x-bc-auth", linkhub::sign(&self.base.key, &text))
                .header("x-bc-encryptionmode", self.mode.as_str())
                .header("content-type", "application/json; charset=utf8")
                .body(body);
        }
        crate::linkhub::send_for_json(req).await
    }

    fn check_client_code(client_code: &str) -> Result<(), Error> {
        if client_code.len() != 12 || !client_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Config("ClientCode must be 12 digits".into()));
        }
        Ok(())
    }

    /// `POST /KAKAO/{service}/{clientCode}` (encrypt the personal fields first).
    pub async fn request(
        &self,
        service: KakaoService,
        client_code: &str,
        body: &CreateRequest,
    ) -> Result<Receipt, Error> {
        Self::check_client_code(client_code)?;
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Config(e.to_string()))?;
        self.call(
            reqwest::Method::POST,
            &format!("/KAKAO/{}/{client_code}", service.segment()),
            Some(bytes),
        )
        .await
    }

    /// `GET /KAKAO/{service}/{clientCode}/{receiptID}`.
    pub async fn status(
        &self,
        service: KakaoService,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KakaoStatus, Error> {
        Self::check_client_code(client_code)?;
        self.call(
            reqwest::Method::GET,
            &format!("/KAKAO/{}/{client_code}/{receipt_id}", service.segment()),
            None,
        )
        .await
    }

    /// `POST /KAKAO/{service}/Verify/{clientCode}/{receiptID}` (for Login, the txID).
    pub async fn verify(
        &self,
        service: KakaoService,
        client_code: &str,
        id: &str,
    ) -> Result<KakaoResult, Error> {
        Self::check_client_code(client_code)?;
        self.call(
            reqwest::Method::POST,
            &format!("/KAKAO/{}/Verify/{client_code}/{id}", service.segment()),
            None,
        )
        .await
    }

    /// Any product's request call, `POST /{product}/{service}/{clientCode}`, with the body in
    /// that product's own field names (NAVER and PASS `reqMessage`, PASS's options, …); encrypt
    /// its personal fields with [`BarocertKakao::encrypt`] first.
    pub async fn request_in(
        &self,
        product: Product,
        service: &str,
        client_code: &str,
        body: &serde_json::Value,
    ) -> Result<Receipt, Error> {
        Self::check_client_code(client_code)?;
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Config(e.to_string()))?;
        self.call(
            reqwest::Method::POST,
            &format!("/{}/{service}/{client_code}", product.segment()),
            Some(bytes),
        )
        .await
    }

    /// Any product's status call.
    pub async fn status_in(
        &self,
        product: Product,
        service: &str,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<BarocertStatus, Error> {
        Self::check_client_code(client_code)?;
        self.call(
            reqwest::Method::GET,
            &format!(
                "/{}/{service}/{client_code}/{receipt_id}",
                product.segment()
            ),
            None,
        )
        .await
    }

    /// Any product's verify call; PASS takes a body (`{receiverHP, receiverName}`, encrypted).
    pub async fn verify_in(
        &self,
        product: Product,
        service: &str,
        client_code: &str,
        id: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<BarocertResult, Error> {
        Self::check_client_code(client_code)?;
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Error::Config(e.to_string()))?;
        self.call(
            reqwest::Method::POST,
            &format!("/{}/{service}/Verify/{client_code}/{id}", product.segment()),
            bytes,
        )
        .await
    }

    /// 본인인증 요청 (`requestIdentity`).
    pub async fn request_identity(
        &self,
        client_code: &str,
        body: &CreateRequest,
    ) -> Result<Receipt, Error> {
        self.request(KakaoService::Identity, client_code, body)
            .await
    }

    /// 본인인증 상태확인 (`getIdentityStatus`).
    pub async fn get_identity_status(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KakaoStatus, Error> {
        self.status(KakaoService::Identity, client_code, receipt_id)
            .await
    }

    /// 본인인증 서명검증 (`verifyIdentity`).
    pub async fn verify_identity(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KakaoResult, Error> {
        self.verify(KakaoService::Identity, client_code, receipt_id)
            .await
    }

    /// 전자서명 요청 (`requestSign`).
    pub async fn request_sign(
        &self,
        client_code: &str,
        body: &CreateRequest,
    ) -> Result<Receipt, Error> {
        self.request(KakaoService::Sign, client_code, body).await
    }

    /// 전자서명 서명검증 (`verifySign`).
    pub async fn verify_sign(
        &self,
        client_code: &str,
        receipt_id: &str,
    ) -> Result<KakaoResult, Error> {
        self.verify(KakaoService::Sign, client_code, receipt_id)
            .await
    }

    /// 다건 전자서명 요청 (`requestMultiSign`).
    pub async fn request_multi_sign(
        &self,
        client_code: &str,
        body: &CreateRequest,
    ) -> Result<Receipt, Error> {
        self.request(KakaoService::MultiSign, client_code, body)
            .await
    }

    /// 출금동의 요청 (`requestCMS`).
    pub async fn request_cms(
        &self,
        client_code: &str,
        body: &CreateRequest,
    ) -> Result<Receipt, Error> {
        self.request(KakaoService::Cms, client_code, body).await
    }

    /// 간편로그인 서명검증 (`verifyLogin`), by the app-to-app transaction id.
    pub async fn verify_login(&self, client_code: &str, tx_id: &str) -> Result<KakaoResult, Error> {
        self.verify(KakaoService::Login, client_code, tx_id).await
    }
}
