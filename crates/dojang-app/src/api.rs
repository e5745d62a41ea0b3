//! The device API over HTTP and the push WebSocket.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_proto::device::{
    Answered, Approve, BankEnrolmentComplete, BankEnrolmentStart, BankEnrolmentStarted,
    CertificateRenew, CertificateRenewed, CertificateStatus, Decline, DeviceRevoke,
    EnrolmentComplete, EnrolmentCompleted, EnrolmentStart, EnrolmentStarted, LoggedIn,
    LoginComplete, PendingRequests, PinChange, PinUnlock, PinUnlocked, RaEnrolment,
};
use dojang_proto::{ErrorBody, paths};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use zeroize::Zeroizing;

use crate::error::AppError;

/// A push connection.
pub type PushSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Talks to one server's device API. `Debug` hides the device credential.
#[derive(Clone)]
pub struct DeviceApi {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl std::fmt::Debug for DeviceApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceApi")
            .field("server", &self.base)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl DeviceApi {
    /// A client for `server` (`http://…` or `https://…`), without a device credential yet.
    pub fn new(server: &str) -> Result<Self, AppError> {
        Self::with_http(server, Self::http_client()?)
    }

    /// An HTTP client as the app uses it (30 s timeout, app user agent). Many simulated devices
    /// can share one (see [`DeviceApi::with_http`]).
    pub fn http_client() -> Result<reqwest::Client, AppError> {
        install_crypto_provider();
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("dojang-app/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AppError::Transport(e.to_string()))
    }

    /// A client for `server` using an existing HTTP client (and its connection pool).
    pub fn with_http(server: &str, http: reqwest::Client) -> Result<Self, AppError> {
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(AppError::Profile(format!(
                "server must be an http(s) URL: {server}"
            )));
        }
        Ok(Self {
            http,
            base: server.trim_end_matches('/').to_owned(),
            token: None,
        })
    }

    /// The same client, authenticated as an enrolled device.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The server URL.
    pub fn server(&self) -> &str {
        &self.base
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, AppError> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req
            .send()
            .await
            .map_err(|e| AppError::Transport(e.without_url().to_string()))?;
        let status = res.status().as_u16();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| AppError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            serde_json::from_slice(&bytes).map_err(|e| AppError::Protocol(e.to_string()))
        } else {
            match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => Err(AppError::Api {
                    status,
                    code: b.code,
                    message: b.message,
                }),
                Err(_) => Err(AppError::Protocol(format!("HTTP {status}"))),
            }
        }
    }

    /// Start enrolment: a one-time code goes to the phone.
    pub async fn start_enrolment(
        &self,
        start: &EnrolmentStart,
    ) -> Result<EnrolmentStarted, AppError> {
        self.send(reqwest::Method::POST, paths::DEVICE_ENROLMENTS, Some(start))
            .await
    }

    /// Complete enrolment with the code and a CSR.
    pub async fn complete_enrolment(
        &self,
        enrolment_id: &str,
        complete: &EnrolmentComplete,
    ) -> Result<EnrolmentCompleted, AppError> {
        self.send(
            reqwest::Method::POST,
            &paths::enrolment_complete_path(enrolment_id),
            Some(complete),
        )
        .await
    }

    /// Complete an enrolment as a login: the device is registered without a certificate.
    pub async fn complete_login(
        &self,
        enrolment_id: &str,
        login: &LoginComplete,
    ) -> Result<LoggedIn, AppError> {
        let path = paths::DEVICE_ENROLMENT_LOGIN.replace("{enrolment_id}", enrolment_id);
        self.send(reqwest::Method::POST, &path, Some(login)).await
    }

    /// The PIN proof, for the unlock secret (five wrong proofs lock the device).
    pub async fn unlock(&self, proof: &[u8; 32]) -> Result<Zeroizing<Vec<u8>>, AppError> {
        let answer: PinUnlocked = self
            .send(
                reqwest::Method::POST,
                paths::DEVICE_UNLOCK,
                Some(&PinUnlock {
                    pin_proof: Some(STANDARD.encode(proof)),
                }),
            )
            .await?;
        decode_secret(&answer.unlock_secret)
    }

    /// Change the PIN: the current proof and the new one, for the new unlock secret.
    pub async fn change_pin(
        &self,
        proof: &[u8; 32],
        new_proof: &[u8; 32],
    ) -> Result<Zeroizing<Vec<u8>>, AppError> {
        let answer: PinUnlocked = self
            .send(
                reqwest::Method::POST,
                paths::DEVICE_PIN,
                Some(&PinChange {
                    pin_proof: Some(STANDARD.encode(proof)),
                    new_pin_proof: Some(STANDARD.encode(new_proof)),
                }),
            )
            .await?;
        decode_secret(&answer.unlock_secret)
    }

    /// This device's certificate as the CA sees it now.
    pub async fn certificate_status(&self) -> Result<CertificateStatus, AppError> {
        self.send(reqwest::Method::GET, paths::DEVICE_CERTIFICATE, None::<&()>)
            .await
    }

    /// Renew: a new key's CSR and the PIN proof, for the new certificate.
    pub async fn renew(
        &self,
        csr_der: &[u8],
        proof: &[u8; 32],
    ) -> Result<CertificateRenewed, AppError> {
        self.send(
            reqwest::Method::POST,
            paths::DEVICE_RENEW,
            Some(&CertificateRenew {
                csr: Some(STANDARD.encode(csr_der)),
                pin_proof: Some(STANDARD.encode(proof)),
            }),
        )
        .await
    }

    /// Give the certificate up (the PIN proof, counted like an unlock).
    pub async fn revoke(&self, proof: &[u8; 32]) -> Result<CertificateStatus, AppError> {
        self.send(
            reqwest::Method::POST,
            paths::DEVICE_REVOKE,
            Some(&DeviceRevoke {
                pin_proof: Some(STANDARD.encode(proof)),
            }),
        )
        .await
    }

    /// Start a bank-account enrolment: 1 won with a word goes to the account.
    pub async fn start_bank_enrolment(
        &self,
        start: &BankEnrolmentStart,
    ) -> Result<BankEnrolmentStarted, AppError> {
        self.send(
            reqwest::Method::POST,
            paths::DEVICE_BANK_ENROLMENTS,
            Some(start),
        )
        .await
    }

    /// Complete a bank-account enrolment with the word and a CSR.
    pub async fn complete_bank_enrolment(
        &self,
        enrolment_id: &str,
        complete: &BankEnrolmentComplete,
    ) -> Result<EnrolmentCompleted, AppError> {
        self.send(
            reqwest::Method::POST,
            &paths::bank_enrolment_complete_path(enrolment_id),
            Some(complete),
        )
        .await
    }

    /// Enrol with a registration desk's reference number and authorisation code and a CSR.
    pub async fn ra_enrolment(&self, body: &RaEnrolment) -> Result<EnrolmentCompleted, AppError> {
        self.send(
            reqwest::Method::POST,
            paths::DEVICE_RA_ENROLMENT,
            Some(body),
        )
        .await
    }

    /// What is waiting for this device's holder.
    pub async fn pending(&self) -> Result<PendingRequests, AppError> {
        self.send(reqwest::Method::GET, paths::DEVICE_REQUESTS, None::<&()>)
            .await
    }

    /// Tell the server the request is on screen.
    pub async fn view(&self, receipt_id: &str) -> Result<Answered, AppError> {
        self.send(
            reqwest::Method::POST,
            &paths::device_request_action_path(receipt_id, "view"),
            Some(&serde_json::json!({})),
        )
        .await
    }

    /// Approve with the signature(s) and the picked binding code (see [`crate::Signer::approval`]).
    pub async fn approve(&self, receipt_id: &str, body: &Approve) -> Result<Answered, AppError> {
        self.send(
            reqwest::Method::POST,
            &paths::device_request_action_path(receipt_id, "approve"),
            Some(body),
        )
        .await
    }

    /// Decline.
    pub async fn decline(
        &self,
        receipt_id: &str,
        reason: Option<String>,
    ) -> Result<Answered, AppError> {
        let body = Decline { reason };
        self.send(
            reqwest::Method::POST,
            &paths::device_request_action_path(receipt_id, "decline"),
            Some(&body),
        )
        .await
    }

    /// Open the push WebSocket.
    pub async fn connect_push(&self) -> Result<PushSocket, AppError> {
        let (socket, _) = tokio_tungstenite::connect_async_with_config(
            self.push_request()?,
            Some(push_config()),
            false,
        )
        .await
        .map_err(handshake_error)?;
        Ok(socket)
    }

    /// Open the push WebSocket as a browser must: no `Authorization` header (a page cannot set
    /// one on a WebSocket) but the credential as a subprotocol, `dojang.device.v1,
    /// dojang.bearer.<credential>` (docs/app.md). The phone app at `/app` connects this way;
    /// the load generator uses it to drive the app's handshake.
    pub async fn connect_push_as_browser(&self) -> Result<PushSocket, AppError> {
        let mut request = self.push_request()?;
        let headers = request.headers_mut();
        headers.remove("authorization");
        if let Some(t) = &self.token {
            let v = HeaderValue::from_str(&format!("dojang.device.v1, dojang.bearer.{t}"))
                .map_err(|_| AppError::Profile("device token is not a valid header".into()))?;
            headers.insert("sec-websocket-protocol", v);
        }
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(push_config()), false)
                .await
                .map_err(handshake_error)?;
        Ok(socket)
    }

    /// Open the push WebSocket and wait for the server's `hello`. The server sends it once it
    /// has registered the connection, so from then on every request is pushed; a listener that
    /// fetches `pending()` after this misses nothing. (Fetching right after the handshake left a
    /// gap: a request made before the server registered the socket was neither pushed nor, if
    /// `pending()` ran first, listed.)
    pub async fn connect_push_ready(&self) -> Result<PushSocket, AppError> {
        use futures_util::StreamExt as _;
        use tokio_tungstenite::tungstenite::Message;
        let mut socket = self.connect_push().await?;
        let hello = async {
            while let Some(frame) = socket.next().await {
                match frame.map_err(|e| AppError::Transport(e.to_string()))? {
                    Message::Text(t) => {
                        return match serde_json::from_str::<dojang_proto::device::PushMessage>(&t) {
                            Ok(dojang_proto::device::PushMessage::Hello { .. }) => Ok(()),
                            _ => Err(AppError::Transport(
                                "the push connection did not begin with hello".into(),
                            )),
                        };
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
            Err(AppError::Transport(
                "the push connection closed before hello".into(),
            ))
        };
        tokio::time::timeout(Duration::from_secs(30), hello)
            .await
            .map_err(|_| AppError::Transport("no hello on the push connection".into()))??;
        Ok(socket)
    }

    /// Open the push WebSocket over a TCP connection the caller made to the server (bound to a
    /// chosen source address, say, as the load generator does to hold many connections);
    /// TLS is added for an `https://` server.
    pub async fn connect_push_on(&self, stream: TcpStream) -> Result<PushSocket, AppError> {
        install_crypto_provider();
        let (socket, _) = tokio_tungstenite::client_async_tls_with_config(
            self.push_request()?,
            stream,
            Some(push_config()),
            None,
        )
        .await
        .map_err(handshake_error)?;
        Ok(socket)
    }

    /// The upgrade request of the push WebSocket, with the device credential.
    fn push_request(
        &self,
    ) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, AppError> {
        let url = format!(
            "{}{}",
            self.base
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1),
            paths::DEVICE_PUSH
        );
        let mut request = url
            .into_client_request()
            .map_err(|e| AppError::Transport(e.to_string()))?;
        if let Some(t) = &self.token {
            let v = HeaderValue::from_str(&format!("Bearer {t}"))
                .map_err(|_| AppError::Profile("device token is not a valid header".into()))?;
            request.headers_mut().insert("authorization", v);
        }
        Ok(request)
    }
}

/// Push frames are small JSON cards: a 4 KiB read buffer (grown for a larger frame) instead of
/// tungstenite's 128 KiB, which it zero-fills before reading, so all of it becomes resident on
/// every connection.
fn push_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4 * 1024)
}

/// A refused upgrade becomes the server's error code where it sent one.
fn handshake_error(e: tokio_tungstenite::tungstenite::Error) -> AppError {
    match e {
        tokio_tungstenite::tungstenite::Error::Http(res) => {
            let status = res.status().as_u16();
            res.body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<ErrorBody>(b).ok())
                .map_or(AppError::Protocol(format!("HTTP {status}")), |b| {
                    AppError::Api {
                        status,
                        code: b.code,
                        message: b.message,
                    }
                })
        }
        other => AppError::Transport(other.to_string()),
    }
}

/// A 32-byte unlock secret from the server's base64.
pub fn decode_secret(b64: &str) -> Result<Zeroizing<Vec<u8>>, AppError> {
    let raw = Zeroizing::new(
        STANDARD
            .decode(b64.trim())
            .map_err(|_| AppError::Key("the server's unlock secret is not base64".into()))?,
    );
    if raw.len() != 32 {
        return Err(AppError::Key(
            "the server's unlock secret is not 32 bytes".into(),
        ));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_device_credential() {
        let api = super::DeviceApi::new("http://127.0.0.1:1")
            .unwrap()
            .with_token("very-secret");
        assert!(!format!("{api:?}").contains("very-secret"));
    }
}
