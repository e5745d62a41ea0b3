//! Simulated cloud-certificate holders: people who got a dojang 금융인증서 (cloud certificate)
//! for real — an SMS proof through the server's HTTP SMS gateway, a 6-digit PIN, a browser key
//! (ECDSA P-256, made here as WebCrypto would) registered at issuance — and a "browser" per
//! person that answers a request as dojang's own cloud page does: a fresh challenge, the card
//! (`view`), another challenge, and the approval with the PIN and the browser's signature, after
//! which the server's HSM signs the CMS.
//!
//! The wire is `/cloud/v1/*` (docs/cloud.md); each browser-authenticated call carries
//! `{browserId, challenge, signature}`, the signature being raw r‖s (64 bytes, base64url) over
//! `dojang-cloud/v1\n<action>\n<challenge>\n<target>`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_app::Holder;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::fleet::Outcome;
use crate::sms::SmsReceiver;
use crate::{BenchError, Result};

/// The PIN every simulated holder sets (not one of the refused trivial ones).
pub const PIN: &str = "284619";

/// Cloud holders are numbered from here, so that they never share a phone number with the app
/// fleet of the same run (persons `0..`).
pub const FIRST_PERSON: usize = 50_000_000;

/// A person with a cloud certificate and one registered browser.
#[derive(Debug, Clone)]
pub struct CloudHolder {
    /// Whose.
    pub holder: Holder,
    /// The certificate (its device id).
    pub certificate_id: String,
    /// The registered browser.
    pub browser_id: String,
    /// The browser's key (WebCrypto's non-extractable key in a real browser).
    pub key: SigningKey,
}

/// base64url (no padding) of the browser's SPKI DER, as the page sends it.
pub fn browser_key(key: &SigningKey) -> Result<String> {
    let der = key
        .verifying_key()
        .to_public_key_der()
        .map_err(|e| BenchError(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(der.as_bytes()))
}

/// The browser's proof for `action` on `target`: raw r‖s over the contract's string.
pub fn proof(key: &SigningKey, action: &str, challenge: &str, target: &str) -> String {
    let msg = format!("dojang-cloud/v1\n{action}\n{challenge}\n{target}");
    let sig: p256::ecdsa::Signature = key.sign(msg.as_bytes());
    URL_SAFE_NO_PAD.encode(sig.to_bytes())
}

/// POST JSON to dojang's cloud API; an error answer becomes `Err` with its code.
async fn call(http: &reqwest::Client, url: &str, path: &str, body: &Value) -> Result<Value> {
    let res = http
        .post(format!("{url}{path}"))
        .json(body)
        .send()
        .await
        .map_err(|e| BenchError(format!("{path}: {e}")))?;
    let status = res.status();
    let v: Value = res
        .json()
        .await
        .map_err(|e| BenchError(format!("{path}: {status}: {e}")))?;
    if !status.is_success() {
        return Err(BenchError(format!(
            "{path}: {status} {}",
            v.get("code")
                .map_or_else(|| v.to_string(), Value::to_string)
        )));
    }
    Ok(v)
}

fn field(v: &Value, k: &str) -> Result<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| BenchError(format!("answer without {k}: {v}")))
}

/// A browser talking to dojang's cloud API.
#[derive(Debug, Clone)]
pub struct CloudBrowser {
    http: reqwest::Client,
    url: String,
}

impl CloudBrowser {
    /// A browser for the server at `url` (one connection pool shared by all holders).
    pub fn new(url: &str, timeout: Duration) -> Result<Self> {
        // The app's client installs the process's TLS crypto provider, which reqwest needs
        // before any client is built.
        dojang_app::DeviceApi::http_client()?;
        let http = reqwest::Client::builder()
            .user_agent("dojang-bench (cloud browser)")
            .timeout(timeout)
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| BenchError(e.to_string()))?;
        Ok(Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
        })
    }

    /// A fresh challenge for `browser_id`.
    pub async fn challenge(&self, browser_id: &str) -> Result<String> {
        let v = call(
            &self.http,
            &self.url,
            "/cloud/v1/challenge",
            &json!({ "browserId": browser_id }),
        )
        .await?;
        field(&v, "challenge")
    }

    /// A browser-authenticated call: a challenge, then `path` with the proof for `action` on
    /// `target` and the `extra` fields.
    pub async fn signed(
        &self,
        h: &CloudHolder,
        path: &str,
        action: &str,
        target: &str,
        extra: Value,
    ) -> Result<Value> {
        let challenge = self.challenge(&h.browser_id).await?;
        let mut body = json!({
            "browserId": h.browser_id,
            "challenge": challenge,
            "signature": proof(&h.key, action, &challenge, target),
        });
        if let (Some(b), Value::Object(more)) = (body.as_object_mut(), extra) {
            b.extend(more);
        }
        call(&self.http, &self.url, path, &body).await
    }

    /// Issue a cloud certificate to `holder` by the SMS proof (the code read from `sms`), with
    /// [`PIN`] and a new browser key registered at once.
    pub async fn issue(&self, holder: Holder, sms: &SmsReceiver) -> Result<CloudHolder> {
        let v = call(
            &self.http,
            &self.url,
            "/cloud/v1/issue/sms",
            &json!({ "name": holder.name, "phone": holder.phone, "birth": holder.birthday }),
        )
        .await?;
        let proof_id = field(&v, "proofId")?;
        let code = sms.code_for(&holder.phone, Duration::from_secs(30)).await?;
        let key = SigningKey::generate_from_rng(&mut rand::rng());
        let v = call(
            &self.http,
            &self.url,
            &format!("/cloud/v1/issue/sms/{proof_id}/complete"),
            &json!({
                "code": code,
                "pin": PIN,
                "browserKey": browser_key(&key)?,
                "label": "dojang-bench",
            }),
        )
        .await?;
        Ok(CloudHolder {
            holder,
            certificate_id: field(&v, "certificateId")?,
            browser_id: field(&v, "browserId")?,
            key,
        })
    }

    /// Answer request `receipt` as dojang's page does: show the card (`view`), then approve
    /// with the PIN (the HSM signs). The outcome's `approve` is the whole browser part.
    pub async fn answer(&self, h: &CloudHolder, receipt: &str) -> Outcome {
        let started = Instant::now();
        let result = async {
            let card = self
                .signed(
                    h,
                    &format!("/cloud/v1/requests/{receipt}"),
                    "view",
                    receipt,
                    json!({}),
                )
                .await?;
            let shown = ["receiptID", "receiptId"]
                .iter()
                .find_map(|k| card.get(*k).and_then(Value::as_str));
            if shown != Some(receipt) {
                return Err(BenchError(format!("view: another request's card: {card}")));
            }
            let v = self
                .signed(
                    h,
                    &format!("/cloud/v1/requests/{receipt}/approve"),
                    "approve",
                    receipt,
                    json!({ "pin": PIN }),
                )
                .await?;
            match v.get("state").and_then(Value::as_i64) {
                Some(1) => Ok(()),
                _ => Err(BenchError(format!("approve answered {v}"))),
            }
        }
        .await;
        Outcome {
            push: None,
            approve: started.elapsed(),
            result: result.map_err(|e| e.0),
        }
    }
}

/// Issue cloud certificates to `count` people (persons `first..first+count`), `parallel` at a
/// time; `on_done` after each (a progress bar).
pub async fn issue(
    url: &str,
    sms: &SmsReceiver,
    first: usize,
    count: usize,
    parallel: usize,
    on_done: impl Fn() + Send + Sync + 'static,
) -> Result<Vec<CloudHolder>> {
    let browser = CloudBrowser::new(url, Duration::from_secs(30))?;
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let on_done = Arc::new(on_done);
    let mut tasks = Vec::with_capacity(count);
    for i in first..first + count {
        let (browser, sms, gate, on_done) =
            (browser.clone(), sms.clone(), gate.clone(), on_done.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate
                .acquire()
                .await
                .map_err(|e| BenchError(e.to_string()))?;
            let h = browser.issue(crate::fleet::person(i), &sms).await?;
            on_done();
            Ok::<_, BenchError>(h)
        }));
    }
    let mut out = Vec::with_capacity(count);
    for t in tasks {
        out.push(t.await.map_err(|e| BenchError(e.to_string()))??);
    }
    Ok(out)
}

/// The cloud holders of a run, by phone number, with the browser that answers for them.
#[derive(Debug)]
pub struct CloudBrowsers {
    browser: CloudBrowser,
    by_phone: HashMap<String, CloudHolder>,
}

impl CloudBrowsers {
    /// `holders` answering through one browser client for `url`.
    pub fn new(url: &str, holders: Vec<CloudHolder>, timeout: Duration) -> Result<Self> {
        Ok(Self {
            browser: CloudBrowser::new(url, timeout)?,
            by_phone: holders
                .into_iter()
                .map(|h| (h.holder.phone.clone(), h))
                .collect(),
        })
    }

    /// The people.
    pub fn people(&self) -> Vec<Holder> {
        let mut p: Vec<Holder> = self.by_phone.values().map(|h| h.holder.clone()).collect();
        p.sort_by(|a, b| a.phone.cmp(&b.phone));
        p
    }

    /// `person` answers `receipt` in their registered browser.
    pub async fn answer(&self, person: &Holder, receipt: &str) -> Outcome {
        match self.by_phone.get(&person.phone) {
            Some(h) => self.browser.answer(h, receipt).await,
            None => Outcome {
                push: None,
                approve: Duration::ZERO,
                result: Err(format!("no cloud certificate for {}", person.phone)),
            },
        }
    }
}
