//! Simulated people and their devices: enrolled for real, one WebSocket each, approving every
//! request pushed to them with a real CMS signature.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use dojang_app::{DeviceApi, Enrolment, Holder, Signer};
use dojang_proto::device::{PushMessage, RequestCard};
use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::sms::SmsReceiver;
use crate::{BenchError, Result};

/// Person `i` of a run: distinct phone numbers, one birth date.
pub fn person(i: usize) -> Holder {
    Holder {
        name: format!("부하{i}"),
        phone: format!("010{:08}", i % 100_000_000),
        birthday: "19900101".into(),
    }
}

/// How a simulated device speaks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// As `dojang-app listen` holding an unlocked key: the credential in `Authorization` on
    /// the push WebSocket, one approve call per request.
    App,
    /// As the phone app at `/app` does (docs/app.md): the credential as a WebSocket
    /// subprotocol, and at every approval the PIN proof sent to `/device/v1/unlock` for the
    /// unlock secret before signing (the phone's PBKDF2 is the phone's cost, not the server's,
    /// so the proof is derived once at enrolment).
    WebApp,
}

/// The PIN the web-app-style devices choose at enrolment.
const WEB_APP_PIN: &str = "583920";

/// An enrolled device.
#[derive(Debug)]
pub struct Device {
    /// Whose.
    pub holder: Holder,
    /// Authenticated device API.
    pub api: DeviceApi,
    /// The key, unlocked.
    pub signer: Signer,
    /// The PIN proof sent before each approval ([`Style::WebApp`]); `None` for [`Style::App`].
    pub proof: Option<[u8; 32]>,
}

/// Enrol `count` people (persons `first..first+count`), `parallel` at a time. `on_done` is
/// called after each (for a progress bar).
pub async fn enrol(
    url: &str,
    sms: &SmsReceiver,
    first: usize,
    count: usize,
    parallel: usize,
    on_done: impl Fn() + Send + Sync + 'static,
) -> Result<Vec<Device>> {
    enrol_styled(url, sms, first, count, parallel, Style::App, on_done).await
}

/// [`enrol`] with devices of `style`: [`Style::WebApp`] devices register a PIN proof at
/// enrolment (an Argon2id derivation each, so keep `parallel` small).
pub async fn enrol_styled(
    url: &str,
    sms: &SmsReceiver,
    first: usize,
    count: usize,
    parallel: usize,
    style: Style,
    on_done: impl Fn() + Send + Sync + 'static,
) -> Result<Vec<Device>> {
    let http = DeviceApi::http_client()?;
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let on_done = Arc::new(on_done);
    let mut tasks = Vec::with_capacity(count);
    for i in first..first + count {
        let (url, sms, http, gate, on_done) = (
            url.to_owned(),
            sms.clone(),
            http.clone(),
            gate.clone(),
            on_done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate
                .acquire()
                .await
                .map_err(|e| BenchError(e.to_string()))?;
            let holder = person(i);
            let api = DeviceApi::with_http(&url, http)?;
            let mut enrolment = Enrolment::start_with(api, holder.clone()).await?;
            if style == Style::WebApp {
                enrolment.set_pin(WEB_APP_PIN)?;
            }
            let proof = enrolment.pin_proof_bytes();
            let code = sms.code_for(&holder.phone, Duration::from_secs(30)).await?;
            let completed = enrolment.submit_code(&code).await?;
            if proof.is_some() && completed.unlock_secret.is_none() {
                return Err(BenchError(
                    "the server registered no PIN proof for a web-app device".into(),
                ));
            }
            let (api, signer) = enrolment.into_device(&completed)?;
            on_done();
            Ok::<_, BenchError>(Device {
                holder,
                api,
                signer,
                proof,
            })
        }));
    }
    let mut devices = Vec::with_capacity(count);
    for t in tasks {
        devices.push(t.await.map_err(|e| BenchError(e.to_string()))??);
    }
    Ok(devices)
}

/// What a device did with one request.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// From the server accepting the request (its `requestDT`) to the device holding the card.
    pub push: Option<Duration>,
    /// The device's approve call (signing included).
    pub approve: Duration,
    /// `Err` with a reason if signing or approving failed.
    pub result: std::result::Result<(), String>,
}

enum Slot {
    Waiting(oneshot::Sender<Outcome>),
    Done(Outcome),
}

/// Where devices report outcomes and relying-party workers wait for them, by receipt.
#[derive(Default)]
pub struct Board {
    slots: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Board")
    }
}

impl Board {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for the device's outcome for `receipt` (which may already be there).
    pub fn expect(&self, receipt: &str) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        let mut slots = self.lock();
        match slots.remove(receipt) {
            Some(Slot::Done(o)) => {
                let _ = tx.send(o);
            }
            _ => {
                slots.insert(receipt.to_owned(), Slot::Waiting(tx));
            }
        }
        rx
    }

    /// A device finished `receipt`.
    pub fn complete(&self, receipt: &str, outcome: Outcome) {
        let mut slots = self.lock();
        match slots.remove(receipt) {
            Some(Slot::Waiting(tx)) => {
                let _ = tx.send(outcome);
            }
            _ => {
                slots.insert(receipt.to_owned(), Slot::Done(outcome));
            }
        }
    }
}

/// Milliseconds-precise server acceptance time of a card.
pub fn accepted_at(card: &RequestCard) -> Option<SystemTime> {
    let t = dojang_proto::datetime::parse_rfc3339(&card.request_dt)?;
    let nanos = u64::try_from(t.unix_timestamp_nanos()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_nanos(nanos))
}

/// Connect every device's push WebSocket and answer each pushed request by signing and
/// approving it. Returns once all are connected; the tasks run until the process ends.
pub async fn listen(
    devices: Vec<Device>,
    board: Arc<Board>,
    parallel_connects: usize,
) -> Result<()> {
    let gate = Arc::new(Semaphore::new(parallel_connects.max(1)));
    let mut ready = Vec::with_capacity(devices.len());
    for device in devices {
        let (board, gate) = (board.clone(), gate.clone());
        let (tx, rx) = oneshot::channel::<Result<()>>();
        ready.push(rx);
        tokio::spawn(async move {
            let socket = {
                let _permit = gate.acquire().await;
                if device.proof.is_some() {
                    device.api.connect_push_as_browser().await
                } else {
                    device.api.connect_push().await
                }
            };
            let mut socket = match socket {
                Ok(s) => {
                    let _ = tx.send(Ok(()));
                    s
                }
                Err(e) => {
                    let _ = tx.send(Err(e.into()));
                    return;
                }
            };
            while let Some(Ok(msg)) = socket.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(PushMessage::Request { card }) = serde_json::from_str::<PushMessage>(&text)
                else {
                    continue;
                };
                let received = SystemTime::now();
                let push = accepted_at(&card).and_then(|t| received.duration_since(t).ok());
                let started = Instant::now();
                // The server runs with `dev_reveal_binding_code`, as a scripted device needs.
                let pick = card.binding_code.clone();
                let unlocked = match &device.proof {
                    Some(proof) => device
                        .api
                        .unlock(proof)
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("unlock: {e}")),
                    None => Ok(()),
                };
                let signed = unlocked.and_then(|()| {
                    device
                        .signer
                        .approval(&card, pick, OffsetDateTime::now_utc())
                        .map_err(|e| e.to_string())
                });
                let result = match signed {
                    Ok(body) => device
                        .api
                        .approve(&card.receipt_id, &body)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                board.complete(
                    &card.receipt_id,
                    Outcome {
                        push,
                        approve: started.elapsed(),
                        result,
                    },
                );
            }
        });
    }
    for r in ready {
        r.await.map_err(|e| BenchError(e.to_string()))??;
    }
    Ok(())
}
