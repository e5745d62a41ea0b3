//! The LinkHub protocol, client side: the token service that barocert and kakaocert SDKs call
//! first. Point it at LinkHub's hosted service or at a dojang server alike (dojang serves
//! `/Time` and `/{BAROCERT,KAKAOCERT}/Token` on its own port).
//!
//! ```no_run
//! # async fn demo() -> Result<(), dojang_client::Error> {
//! use dojang_client::linkhub::LinkHubAuth;
//! let auth = LinkHubAuth::new("http://127.0.0.1:8080", "RP_ABCDEFGHJKLM", "base64-secret=")?;
//! let token = auth.barocert_token().await?;
//! println!("{} until {}", token.session_token, token.expiration);
//! # Ok(()) }
//! ```

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_proto::ErrorBody;
pub use dojang_proto::linkhub::{
    BAROCERT, BAROCERT_SCOPES, KAKAOCERT, KAKAOCERT_SCOPES, TokenRequest, TokenResponse,
    decrypt_gcm, encrypt_gcm,
};
use dojang_proto::linkhub::{LH_VERSION, format_time, sign, token_string_to_sign};

use crate::Error;

/// A client of a LinkHub token service.
#[derive(Clone)]
pub struct LinkHubAuth {
    http: reqwest::Client,
    auth_url: String,
    link_id: String,
    key: Vec<u8>,
    use_local_time: bool,
}

impl std::fmt::Debug for LinkHubAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkHubAuth")
            .field("auth_url", &self.auth_url)
            .field("link_id", &self.link_id)
            .finish_non_exhaustive()
    }
}

impl LinkHubAuth {
    /// A client for the token service at `auth_url` (`http(s)://host[:port]`), with the LinkID
    /// and SecretKey (standard base64) of `dojang admin rp add`. Dates come from the service's
    /// `/Time`, as LinkHub's Python SDK does.
    pub fn new(auth_url: &str, link_id: &str, secret_key: &str) -> Result<Self, Error> {
        let auth_url = auth_url.trim_end_matches('/').to_owned();
        if !(auth_url.starts_with("http://") || auth_url.starts_with("https://")) {
            return Err(Error::Config(format!(
                "auth URL must start with http:// or https://: {auth_url}"
            )));
        }
        let key = STANDARD
            .decode(secret_key.trim())
            .map_err(|_| Error::Config("the SecretKey is not standard base64".into()))?;
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Self {
            http,
            auth_url,
            link_id: link_id.to_owned(),
            key,
            use_local_time: false,
        })
    }

    /// Send through this HTTP client instead of the default one (a private CA, a proxy).
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Sign with the local clock instead of asking `/Time` (as LinkHub's Java and Node SDKs do).
    pub fn use_local_time(mut self, yes: bool) -> Self {
        self.use_local_time = yes;
        self
    }

    /// `GET /Time`: the service's clock, `YYYY-MM-DDTHH:MM:SSZ`.
    pub async fn time(&self) -> Result<String, Error> {
        let resp = self
            .http
            .get(format!("{}/Time", self.auth_url))
            .send()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        if status != 200 {
            return Err(api_error(status, text.as_bytes()));
        }
        Ok(text)
    }

    async fn date(&self) -> Result<String, Error> {
        if self.use_local_time {
            Ok(format_time(time::OffsetDateTime::now_utc()))
        } else {
            self.time().await
        }
    }

    /// A barocert token with every product's scopes.
    pub async fn barocert_token(&self) -> Result<TokenResponse, Error> {
        self.token(BAROCERT, None, &BAROCERT_SCOPES, None).await
    }

    /// A kakaocert token for a client code.
    pub async fn kakaocert_token(&self, client_code: &str) -> Result<TokenResponse, Error> {
        self.token(KAKAOCERT, Some(client_code), &KAKAOCERT_SCOPES, None)
            .await
    }

    /// `POST /{service_id}/Token`. `forwarded` is the `x-lh-forwarded` header (`*` turns the
    /// IP restriction off, as LinkHub's Python barocert SDK does by default).
    pub async fn token(
        &self,
        service_id: &str,
        access_id: Option<&str>,
        scopes: &[&str],
        forwarded: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let body = serde_json::to_vec(&TokenRequest {
            access_id: Some(access_id.unwrap_or("").to_owned()),
            scope: scopes.iter().map(|s| (*s).to_owned()).collect(),
        })
        .map_err(|e| Error::Config(e.to_string()))?;
        let date = self.date().await?;
        let text = token_string_to_sign(&body, &date, forwarded, service_id);
        let signature = sign(&self.key, &text);
        let mut req = self
            .http
            .post(format!("{}/{service_id}/Token", self.auth_url))
            .header("x-lh-date", &date)
            .header("x-lh-version", LH_VERSION)
            .header(
                "authorization",
                dojang_proto::linkhub::token_authorization(&self.link_id, &signature),
            )
            .header("content-type", "application/json")
            .body(body);
        if let Some(f) = forwarded {
            req = req.header("x-lh-forwarded", f);
        }
        send_for_json(req).await
    }
}

/// What a barocert or kakaocert client holds: its token-service client, an HTTP client, the
/// service URL, the LinkID and the decoded SecretKey.
pub(crate) struct ServiceClient {
    pub auth: LinkHubAuth,
    pub http: reqwest::Client,
    pub service_url: String,
    pub link_id: String,
    pub key: Vec<u8>,
}

impl ServiceClient {
    /// Check the URLs and the key; signs with the local clock, as LinkHub's Java and Node SDKs.
    pub fn new(
        service_url: &str,
        auth_url: &str,
        link_id: &str,
        secret_key: &str,
    ) -> Result<Self, Error> {
        let auth = LinkHubAuth::new(auth_url, link_id, secret_key)?.use_local_time(true);
        let key = STANDARD
            .decode(secret_key.trim())
            .map_err(|_| Error::Config("the SecretKey is not standard base64".into()))?;
        let service_url = service_url.trim_end_matches('/').to_owned();
        if !(service_url.starts_with("http://") || service_url.starts_with("https://")) {
            return Err(Error::Config(format!(
                "service URL must start with http:// or https://: {service_url}"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(70))
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Self {
            auth,
            http,
            service_url,
            link_id: link_id.to_owned(),
            key,
        })
    }
}

/// Send a LinkHub-protocol call: 200 and the JSON answer, or LinkHub's `{code, message}` as
/// [`Error::Api`].
pub(crate) async fn send_for_json<T: serde::de::DeserializeOwned>(
    req: reqwest::RequestBuilder,
) -> Result<T, Error> {
    let resp = req
        .send()
        .await
        .map_err(|e| Error::Transport(e.to_string()))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Error::Transport(e.to_string()))?;
    if status != 200 {
        return Err(api_error(status, &bytes));
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
        status,
        detail: e.to_string(),
    })
}

/// A non-200 answer as [`Error::Api`] (LinkHub's `{code, message}`), or [`Error::Decode`].
fn api_error(status: u16, bytes: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(b) => Error::Api {
            status,
            code: b.code,
            message: b.message,
        },
        Err(_) => Error::Decode {
            status,
            detail: String::from_utf8_lossy(bytes).chars().take(200).collect(),
        },
    }
}
