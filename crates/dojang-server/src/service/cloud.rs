//! The cloud certificate (issue 15): a certificate whose P-256 key is generated inside the
//! server's PKCS#11 token (`[hsm]`, label `cloud:<device id>`, sensitive, never extractable),
//! used from browsers the holder registered (a WebCrypto P-256 key each, proving itself by
//! signing one-time challenges) together with a 6-digit PIN the server checks (Argon2id; the
//! 5th wrong PIN in a row locks it until a PIN reset after a fresh SMS proof).
//!
//! A cloud certificate is a device of kind `cloud`: approving a request goes through
//! [`super::answer::approve`] exactly like an app's answer (the token signs each document's
//! token as CMS SignedData), so the native API, barocert, kakaocert and the hosted login take it
//! unchanged. Every use is recorded (`cloud_uses`). Relying parties reach the person's browser
//! through the SDK with a publishable key; what comes back to them is a one-time code their
//! server exchanges (`POST /v1/cloud/exchange`). docs/cloud-api.md has the API.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use dojang_core::enrolment::OneTimeCode;
use dojang_core::registration::{AuthorizationCode, ReferenceNumber};
use dojang_core::{
    CertificateRecord, Device, DeviceId, DeviceKind, EnrolmentId, Person, RelyingParty,
    RequestKind, RequestState,
};
use dojang_pki::CloudIssueRequest;
use dojang_proto::ErrorCode;
use dojang_proto::cloud::{self as wire, action};
use dojang_proto::datetime::format_rfc3339;
use dojang_proto::device::{Approve, Decline, RequestCard};
use dojang_proto::rp::CreateRequest;
use dojang_store::{
    BrowserAdded, CloudAsk, CloudBrowser, CloudCode, CloudDevice, CloudPinFailure, Proof,
};
use rand::{Rng as _, RngExt as _};
use time::OffsetDateTime;

use super::throttle;
use crate::http::error::ApiError;
use crate::http::extract::device_secret_hash;
use crate::state::AppState;

/// A cloud certificate's validity: three years (capped at the CA's own end).
pub const VALIDITY: Duration = Duration::from_secs(3 * 365 * 24 * 3600);
/// Renewal opens this long before the end of validity.
pub const RENEW_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a challenge is accepted.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(120);
/// How long a one-time code for the relying party's server lives.
pub const CODE_TTL: Duration = Duration::from_secs(300);
/// How long an alternative-authentication transaction lives.
pub const ALT_TTL: Duration = Duration::from_secs(600);
/// The wrong PIN that locks the certificate.
pub const MAX_PIN_FAILURES: u32 = 5;
/// Browsers per certificate.
pub const MAX_BROWSERS: u32 = 10;
/// How long a new browser's ask can be answered by a registered one.
pub const ASK_TTL: Duration = Duration::from_secs(180);
/// Asks open at once per person (holder or not).
pub const MAX_OPEN_ASKS: u64 = 3;
/// Uses `me` shows.
pub const USES_SHOWN: u32 = 50;
/// Documents a `sign` call may carry.
pub const MAX_DOCUMENTS: usize = 20;
/// How long a request made by `sign` lives (it is answered at once).
const SIGN_EXPIRE_IN: i64 = 300;

/// Failed browser proofs, PINs and alternative-authentication codes per client address:
/// twenty a day are free, then 1, 2, 4, … minutes, up to an hour (docs/security.md).
pub const CLOUD_ADDRESS: throttle::Rule = throttle::Rule {
    scope: "cloud-address",
    window: Duration::from_secs(24 * 3600),
    limit: throttle::Limit::Backoff {
        free: 20,
        first: Duration::from_secs(60),
        max: Duration::from_secs(3600),
    },
};

/// What an SMS proof started by the cloud API is for.
mod purpose {
    pub const ISSUE: &str = "issue";
    pub const BROWSER: &str = "browser";
    pub const PIN_RESET: &str = "pin-reset";
}

// ----- publishable keys --------------------------------------------------------------------

/// A relying party as its publishable key shows it to the pages.
#[derive(Debug, Clone)]
pub struct CloudParty {
    /// The relying party.
    pub party: Arc<RelyingParty>,
    /// Its publishable key.
    pub publishable_key: String,
    /// The origins that may frame dojang's cloud UI for it (`https://host[:port]`).
    pub origins: Vec<String>,
    /// The stylesheets it may apply there.
    pub stylesheets: Vec<String>,
}

/// The party of a publishable key, for the pages (`/cloud/frame`); `None` for an unknown key
/// (or when the database cannot say: logged).
pub async fn publishable(state: &AppState, key: &str) -> Option<CloudParty> {
    match party_of_key(state, key).await {
        Ok(p) => Some(p),
        Err(ApiError::Code(ErrorCode::CloudPublishableKeyUnknown)) => None,
        Err(e) => {
            tracing::error!(error = %e, "publishable key lookup failed");
            None
        }
    }
}

/// The party of a publishable key, or `CloudPublishableKeyUnknown`.
pub async fn party_of_key(state: &AppState, key: &str) -> Result<CloudParty, ApiError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 64 {
        return Err(ErrorCode::CloudPublishableKeyUnknown.into());
    }
    let record = state
        .store
        .cloud_party_by_key(key)
        .await?
        .ok_or(ErrorCode::CloudPublishableKeyUnknown)?;
    let party = state
        .store
        .relying_party(&record.client_code)
        .await?
        .ok_or(ErrorCode::CloudPublishableKeyUnknown)?;
    Ok(CloudParty {
        party: Arc::new(party),
        publishable_key: record.publishable_key,
        origins: record.origins,
        stylesheets: record.stylesheets,
    })
}

/// A new publishable key: `pk_` and 32 base64url characters (24 random bytes).
pub fn new_publishable_key() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    format!("pk_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// An origin as `dojang admin rp cloud set` takes it: `https://host[:port]` (no path, query or
/// user), or `http://localhost`/`127.0.0.1`/`[::1]` for development. Returns it normalised.
pub fn check_origin(origin: &str) -> Result<String, ApiError> {
    let bad = || ApiError::from(ErrorCode::CloudOriginInvalid);
    let url = url::Url::parse(origin.trim()).map_err(|_| bad())?;
    let host = url.host_str().ok_or_else(bad)?;
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && local);
    if !scheme_ok
        || !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

/// A stylesheet URL: absolute, on one of `origins`.
pub fn check_stylesheet(stylesheet: &str, origins: &[String]) -> Result<String, ApiError> {
    let bad = || ApiError::from(ErrorCode::CloudStylesheetInvalid);
    let url = url::Url::parse(stylesheet.trim()).map_err(|_| bad())?;
    let origin = url.origin().ascii_serialization();
    if !origins.contains(&origin) || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad());
    }
    Ok(url.to_string())
}

// ----- inputs ------------------------------------------------------------------------------

/// A PIN: exactly six ASCII digits.
fn pin_of(pin: Option<&str>) -> Result<&str, ApiError> {
    match pin {
        Some(p) if p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(ErrorCode::CloudPinFormat.into()),
    }
}

/// A new PIN: six digits, not one digit six times, not 123456 or 654321.
pub fn new_pin(pin: Option<&str>) -> Result<&str, ApiError> {
    let p = pin_of(pin)?;
    let bytes = p.as_bytes();
    let same = bytes.windows(2).all(|w| matches!(w, [a, b] if a == b));
    if same || p == "123456" || p == "654321" {
        return Err(ErrorCode::CloudPinTrivial.into());
    }
    Ok(p)
}

/// Argon2id with the `argon2` crate's defaults (m = 19 MiB, t = 2, p = 1), off the runtime.
async fn hash_pin(pin: &str) -> Result<String, ApiError> {
    let pin = zeroize::Zeroizing::new(pin.to_owned());
    tokio::task::spawn_blocking(move || {
        super::admin::argon2id_hash(pin.as_bytes())
            .map_err(|e| ApiError::Internal(format!("hashing a PIN: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("PIN hashing task: {e}")))?
}

/// Whether `pin` matches the Argon2id PHC string, off the runtime.
async fn pin_matches(phc: &str, pin: &str) -> Result<bool, ApiError> {
    let (phc, pin) = (phc.to_owned(), zeroize::Zeroizing::new(pin.to_owned()));
    tokio::task::spawn_blocking(move || super::admin::argon2id_matches(&phc, pin.as_bytes()))
        .await
        .map_err(|e| ApiError::Internal(format!("PIN check task: {e}")))
}

/// base64url, with or without padding.
fn b64url(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    URL_SAFE_NO_PAD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .ok()
}

/// A browser's WebCrypto key: the SPKI DER of an ECDSA P-256 public key, re-encoded.
fn browser_key(key: Option<&str>) -> Result<Vec<u8>, ApiError> {
    use p256::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
    let bad = || ApiError::from(ErrorCode::CloudBrowserKeyInvalid);
    let der = key.and_then(b64url).ok_or_else(bad)?;
    if der.len() > 512 {
        return Err(bad());
    }
    let key = p256::ecdsa::VerifyingKey::from_public_key_der(&der).map_err(|_| bad())?;
    key.to_public_key_der()
        .map(|d| d.into_vec())
        .map_err(|_| bad())
}

/// A browser's label: 1–64 characters, no control characters.
fn label_of(label: Option<&str>) -> Result<String, ApiError> {
    let l = label.map(str::trim).unwrap_or_default();
    let n = l.chars().count();
    if n == 0 || n > 64 || l.chars().any(char::is_control) {
        return Err(ErrorCode::CloudLabelInvalid.into());
    }
    Ok(l.to_owned())
}

/// A random id: `n` bytes, base64url.
fn random_id(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

fn address(client: Option<IpAddr>) -> String {
    client.map(|a| a.to_string()).unwrap_or_default()
}

/// The token holding cloud keys, or `CloudHsmMissing`.
fn hsm(state: &AppState) -> Result<dojang_hsm::Hsm, ApiError> {
    state
        .hsm
        .clone()
        .ok_or_else(|| ErrorCode::CloudHsmMissing.into())
}

fn hsm_error(e: dojang_hsm::HsmError) -> ApiError {
    ApiError::Internal(format!("HSM: {e}"))
}

/// The label of a cloud device's key: `cloud:<device id>` for the first, `cloud:<device
/// id>:<n>` after each renewal.
fn key_label(device: DeviceId, generation: Option<i64>) -> String {
    match generation {
        None => format!("cloud:{device}"),
        Some(n) => format!("cloud:{device}:{n}"),
    }
}

async fn generate_key(state: &AppState, label: String) -> Result<dojang_hsm::HsmKey, ApiError> {
    let hsm = hsm(state)?;
    tokio::task::spawn_blocking(move || hsm.generate(&label))
        .await
        .map_err(|e| ApiError::Internal(format!("HSM task: {e}")))?
        .map_err(hsm_error)
}

async fn find_key(state: &AppState, label: String) -> Result<dojang_hsm::HsmKey, ApiError> {
    let hsm = hsm(state)?;
    let l = label.clone();
    tokio::task::spawn_blocking(move || hsm.find(&l))
        .await
        .map_err(|e| ApiError::Internal(format!("HSM task: {e}")))?
        .map_err(hsm_error)?
        .ok_or_else(|| ApiError::Internal(format!("the token has no key {label}")))
}

/// Remove a key that no certificate needs any more (superseded, renewed, revoked, or made for
/// an issuance that lost its race). Failures are logged: the key is useless either way.
async fn destroy_key(state: &AppState, label: String) {
    let Some(hsm) = state.hsm.clone() else { return };
    let l = label.clone();
    match tokio::task::spawn_blocking(move || hsm.destroy(&l)).await {
        Ok(Ok(())) | Ok(Err(dojang_hsm::HsmError::NoKey(_))) => {}
        Ok(Err(e)) => tracing::warn!(label = %label, error = %e, "a cloud key was not removed"),
        Err(e) => tracing::warn!(label = %label, error = %e, "a cloud key was not removed"),
    }
}

/// CMS SignedData over each content, by the token key, for the certificate `cert_der`.
async fn sign_all(
    key: dojang_hsm::HsmKey,
    cert_der: Vec<u8>,
    contents: Vec<Vec<u8>>,
    now: OffsetDateTime,
) -> Result<Vec<Vec<u8>>, ApiError> {
    tokio::task::spawn_blocking(move || {
        contents
            .iter()
            .map(|c| dojang_pki::sign_cms(&key, &cert_der, c, now))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("HSM task: {e}")))?
    .map_err(|e| ApiError::Internal(format!("CMS by the token: {e}")))
}

// ----- issuance ----------------------------------------------------------------------------

/// What every issuance takes from the browser, checked before any proof is counted.
struct Enrolling {
    pin_hash: String,
    spki: Vec<u8>,
    label: String,
}

async fn enrolling(
    pin: Option<&str>,
    key: Option<&str>,
    label: Option<&str>,
) -> Result<Enrolling, ApiError> {
    let pin = new_pin(pin)?;
    let spki = browser_key(key)?;
    let label = label_of(label)?;
    Ok(Enrolling {
        pin_hash: hash_pin(pin).await?,
        spki,
        label,
    })
}

/// The relying party named by an issue call's `publishableKey`, and whether it asked for a
/// simple-auth token.
async fn simple_auth(
    state: &AppState,
    key: Option<&str>,
    wanted: Option<bool>,
) -> Result<Option<CloudParty>, ApiError> {
    let party = match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(party_of_key(state, k).await?),
        None => None,
    };
    match (wanted, party) {
        (Some(true), None) => Err(ErrorCode::CloudPublishableKeyMissing.into()),
        (Some(true), Some(p)) => Ok(Some(p)),
        _ => Ok(None),
    }
}

/// The end every issuance shares: a key made in the token, the certificate for it, and in one
/// store call the proof closed, the member (new or existing), the cloud device, its PIN and
/// the first browser; the member's earlier cloud device superseded. `None` when the proof was
/// closed meanwhile (nothing kept).
async fn issue(
    state: &AppState,
    person: &Person,
    proof: Proof,
    e: Enrolling,
    token_for: Option<&CloudParty>,
    client: Option<IpAddr>,
) -> Result<Option<wire::Issued>, ApiError> {
    hsm(state)?;
    let now = state.clock.now();
    let (member_id, choice, device_id, secret) =
        super::enrolment::new_device_for(state, person, now).await?;
    // A test-console sandbox desk code names a person nobody checked: never a cloud
    // certificate of the real CA. Claimed for a member id that does not exist, so no real
    // member is marked.
    if let Proof::Desk(reference) = &proof {
        let nobody = {
            let mut rng = rand::rng();
            dojang_core::MemberId::generate(now, &mut rng)
        };
        if state
            .store
            .claim_sandbox_member(reference.as_str(), nobody)
            .await?
        {
            return Err(ErrorCode::RaNotFound.into());
        }
    }
    let previous = state.store.active_cloud_device(member_id).await?;
    let label = key_label(device_id, None);
    let key = generate_key(state, label.clone()).await?;
    let not_after = (now + VALIDITY).min(state.ca.not_after());
    let issued = match state.ca.issue_cloud(&CloudIssueRequest {
        public_key: &key.verifying_key(),
        holder_name: person.name.as_str(),
        holder_id: &member_id.to_string(),
        not_before: now,
        not_after,
    }) {
        Ok(i) => i,
        Err(err) => {
            destroy_key(state, label).await;
            return Err(err.into());
        }
    };
    let browser_id = random_id(16);
    let identity = proof.identity();
    let completed = dojang_store::CompletedEnrolment {
        proof,
        member: choice,
        device: Device {
            id: device_id,
            member_id,
            // Nobody is given this credential: a cloud device never speaks the device API.
            token_hash: device_secret_hash(secret.as_ref()),
            created_at: now,
            revoked_at: None,
            kind: DeviceKind::Cloud,
        },
        certificate: CertificateRecord {
            serial: issued.serial_hex.clone(),
            member_id,
            device_id,
            der: issued.der.clone(),
            not_before: issued.not_before,
            not_after: issued.not_after,
            revoked_at: None,
            revocation_reason: None,
            proof: identity,
        },
        pin: None,
        cloud: Some(dojang_store::NewCloud {
            key_label: label.clone(),
            pin_hash: e.pin_hash,
            browser: CloudBrowser {
                id: browser_id.clone(),
                device_id,
                spki: e.spki.clone(),
                label: e.label,
                created_at: now,
                last_used_at: None,
                removed_at: None,
            },
        }),
        now,
    };
    let written = match state.store.complete_enrolment(&completed).await {
        Ok(w) => w,
        Err(err) => {
            destroy_key(state, label).await;
            return Err(err.into());
        }
    };
    if !written {
        destroy_key(state, label).await;
        return Ok(None);
    }
    crate::metrics::certificate_issued("cloud", identity.as_str());
    state.forget_devices_of(member_id);
    if let Some(old) = previous
        && let Some(c) = state.store.cloud_device(old.id).await?
    {
        destroy_key(state, c.key_label).await;
    }
    record_use(
        state,
        device_id,
        &browser_id,
        "issue",
        "",
        "",
        &sha256(&e.spki),
        client,
    )
    .await?;
    let code = match token_for {
        Some(p) => Some(
            new_code(
                state,
                p,
                "issue",
                None,
                Some((device_id, issued.serial_hex.clone())),
            )
            .await?,
        ),
        None => None,
    };
    tracing::info!(device = %device_id, serial = %issued.serial_hex, "cloud certificate issued");
    Ok(Some(wire::Issued {
        certificate_id: device_id.to_string(),
        browser_id,
        serial: issued.serial_hex,
        not_after: format_rfc3339(issued.not_after),
        code,
    }))
}

/// `POST /cloud/v1/issue/desk`: the registration desk's reference number and authorisation
/// code, tried and counted like the app's (`service::registration`).
pub async fn issue_desk(
    state: &AppState,
    w: &wire::IssueDesk,
    client: Option<IpAddr>,
) -> Result<wire::Issued, ApiError> {
    hsm(state)?;
    let now = state.clock.now();
    let reference = ReferenceNumber::parse(w.reference_number.as_deref().unwrap_or(""))?;
    let code = AuthorizationCode::parse(w.auth_code.as_deref().unwrap_or(""))?;
    let person = person_of(&w.person, now)?;
    let token_for = simple_auth(
        state,
        w.person.publishable_key.as_deref(),
        w.simple_auth_token,
    )
    .await?;
    let e = enrolling(
        w.pin.as_deref(),
        w.browser_key.as_deref(),
        w.label.as_deref(),
    )
    .await?;
    super::registration::redeem(state, &reference, &code, &person, now).await?;
    match issue(
        state,
        &person,
        Proof::Desk(reference.clone()),
        e,
        token_for.as_ref(),
        client,
    )
    .await?
    {
        Some(done) => Ok(done),
        None => Err(super::registration::not_issued(state, &reference, now).await),
    }
}

fn person_of(p: &wire::CloudPerson, now: OffsetDateTime) -> Result<Person, ApiError> {
    Ok(super::enrolment::person_of(
        p.name.as_deref(),
        p.phone.as_deref(),
        p.birth.as_deref(),
        now,
    )?)
}

/// Start an SMS proof for `purpose`: the enrolment's limits (per phone per hour, the wrong-code
/// back-off), an enrolment row, and the code sent when `send` (for a person the proof cannot
/// help, nothing is sent, and the answer is the same).
async fn start_proof(
    state: &AppState,
    person: Person,
    purpose: &str,
    send: bool,
) -> Result<wire::ProofStarted, ApiError> {
    let (id, code) = super::enrolment::new_code(state, &person, state.clock.now()).await?;
    state.store.insert_cloud_proof(id, purpose).await?;
    if send {
        super::enrolment::send_code(state, &person, &code).await?;
    }
    Ok(wire::ProofStarted {
        proof_id: id.to_string(),
    })
}

/// The person an SMS proof of `purpose` verified (the code counted and judged as the
/// enrolment's).
async fn proven(
    state: &AppState,
    proof_id: &str,
    purpose: &str,
    code: Option<&str>,
    client: Option<IpAddr>,
) -> Result<(EnrolmentId, Person), ApiError> {
    let id: EnrolmentId = proof_id
        .parse()
        .map_err(|_| ApiError::from(ErrorCode::CloudProofNotFound))?;
    let code = OneTimeCode::parse(code.unwrap_or(""))?;
    match state.store.cloud_proof(id).await? {
        Some(p) if p == purpose => {}
        _ => return Err(ErrorCode::CloudProofNotFound.into()),
    }
    let now = state.clock.now();
    let person = super::enrolment::checked_code(state, id, &code, now, client, |_| Ok(())).await?;
    Ok((id, person))
}

/// The simple-auth token's party and the new PIN and browser of an issuance after a proof.
async fn new_certificate(
    state: &AppState,
    n: &wire::NewCertificate,
) -> Result<(Option<CloudParty>, Enrolling), ApiError> {
    let token_for = simple_auth(state, n.publishable_key.as_deref(), n.simple_auth_token).await?;
    let e = enrolling(
        n.pin.as_deref(),
        n.browser_key.as_deref(),
        n.label.as_deref(),
    )
    .await?;
    Ok((token_for, e))
}

/// `POST /cloud/v1/issue/sms`.
pub async fn issue_sms_start(
    state: &AppState,
    w: &wire::CloudPerson,
) -> Result<wire::ProofStarted, ApiError> {
    hsm(state)?;
    let person = person_of(w, state.clock.now())?;
    start_proof(state, person, purpose::ISSUE, true).await
}

/// `POST /cloud/v1/issue/sms/{proofId}/complete`.
pub async fn issue_sms_complete(
    state: &AppState,
    proof_id: &str,
    w: &wire::IssueSmsComplete,
    client: Option<IpAddr>,
) -> Result<wire::Issued, ApiError> {
    hsm(state)?;
    let (token_for, e) = new_certificate(state, &w.new).await?;
    let (id, person) = proven(state, proof_id, purpose::ISSUE, w.code.as_deref(), client).await?;
    issue(
        state,
        &person,
        Proof::Sms(id),
        e,
        token_for.as_ref(),
        client,
    )
    .await?
    .ok_or_else(|| ErrorCode::EnrolmentCompleted.into())
}

/// `POST /cloud/v1/issue/bank`: the person's account gets a 1-won deposit whose memo is a
/// word ([`super::bank::start_check`], the app's enrolment check with its limits).
pub async fn issue_bank_start(
    state: &AppState,
    w: &wire::IssueBankStart,
) -> Result<wire::BankProofStarted, ApiError> {
    hsm(state)?;
    let person = person_of(&w.person, state.clock.now())?;
    let started = super::bank::start_check(
        state,
        person,
        w.bank_code.as_deref(),
        w.bank_account_num.as_deref(),
    )
    .await?;
    Ok(wire::BankProofStarted {
        proof_id: started.enrolment_id,
        expire_in: started.expire_in,
        max_attempts: started.max_attempts,
        bank_code: started.bank_code,
        bank_name: started.bank_name,
        masked_account: started.masked_account,
    })
}

/// `POST /cloud/v1/issue/bank/{proofId}/complete`: the deposit's word (tried and counted as
/// the app's, [`super::bank::checked_word`]), then the certificate, as for the SMS proof. The
/// certificate records the proof `bank`, so parties that refuse SMS-only certificates
/// (`isAllowSimpleRegistYN = false`) accept it.
pub async fn issue_bank_complete(
    state: &AppState,
    proof_id: &str,
    w: &wire::IssueBankComplete,
    client: Option<IpAddr>,
) -> Result<wire::Issued, ApiError> {
    hsm(state)?;
    let (token_for, e) = new_certificate(state, &w.new).await?;
    let (id, person) = super::bank::checked_word(state, proof_id, w.word.as_deref()).await?;
    issue(
        state,
        &person,
        Proof::Bank(id),
        e,
        token_for.as_ref(),
        client,
    )
    .await?
    .ok_or_else(|| ErrorCode::EnrolmentCompleted.into())
}

/// `POST /cloud/v1/issue/alt`: the relying party's alternative authentication, bound to its
/// publishable key, once.
pub async fn issue_alt(
    state: &AppState,
    w: &wire::IssueAlt,
    client: Option<IpAddr>,
) -> Result<wire::Issued, ApiError> {
    hsm(state)?;
    let key = w
        .publishable_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .ok_or(ErrorCode::CloudPublishableKeyMissing)?;
    let party = party_of_key(state, key).await?;
    let token_for = simple_auth(state, Some(key), w.simple_auth_token).await?;
    let e = enrolling(
        w.pin.as_deref(),
        w.browser_key.as_deref(),
        w.label.as_deref(),
    )
    .await?;
    let by_address = throttle::Subject::Address(client);
    throttle::check(
        state,
        &CLOUD_ADDRESS,
        by_address,
        ErrorCode::CloudRateLimited,
    )
    .await?;
    let now = state.clock.now();
    let tx = w.tx_id.as_deref().unwrap_or("").trim();
    let permission = w.permission_code.as_deref().unwrap_or("").trim();
    let alt = if tx.is_empty() || tx.len() > 64 {
        None
    } else {
        state.store.cloud_alt(tx).await?
    };
    let good = alt.filter(|a| {
        a.client_code == party.party.client_code
            && a.used_at.is_none()
            && a.expires_at > now
            && a.permission_hash == alt_hash(state, &a.tx_id, permission)
    });
    let Some(alt) = good else {
        throttle::record(state, &CLOUD_ADDRESS, by_address).await?;
        return Err(ErrorCode::CloudAltInvalid.into());
    };
    issue(
        state,
        &alt.person,
        Proof::Alt(alt.tx_id.clone()),
        e,
        token_for.as_ref(),
        client,
    )
    .await?
    .ok_or_else(|| ErrorCode::CloudAltInvalid.into())
}

fn alt_hash(state: &AppState, tx: &str, permission: &str) -> Vec<u8> {
    state.keys.lookup("cloud-alt", &[tx, permission])
}

/// `POST /v1/cloud/alt-auth` (HMAC): the party proved this person itself.
pub async fn alt_auth(
    state: &AppState,
    rp: &RelyingParty,
    w: &wire::AltAuth,
) -> Result<wire::AltAuthorized, ApiError> {
    let now = state.clock.now();
    let person = super::enrolment::person_of(
        w.name.as_deref(),
        w.phone.as_deref(),
        w.birth.as_deref(),
        now,
    )?;
    let tx_id = random_id(18);
    let permission = random_id(18);
    state
        .store
        .insert_cloud_alt(&dojang_store::CloudAlt {
            permission_hash: alt_hash(state, &tx_id, &permission),
            tx_id: tx_id.clone(),
            client_code: rp.client_code.clone(),
            person,
            created_at: now,
            expires_at: now + ALT_TTL,
            used_at: None,
        })
        .await?;
    tracing::info!(client_code = %rp.client_code, "alternative authentication recorded");
    Ok(wire::AltAuthorized {
        tx_id,
        permission_code: permission,
    })
}

// ----- browsers ----------------------------------------------------------------------------

/// `POST /cloud/v1/browsers/start`: an SMS to the holder of a cloud certificate (none sent,
/// same answer, when the person holds none).
pub async fn browsers_start(
    state: &AppState,
    w: &wire::CloudPerson,
) -> Result<wire::ProofStarted, ApiError> {
    proof_for_holder(state, w, purpose::BROWSER).await
}

/// `POST /cloud/v1/pin/reset/start`: the same, for a PIN reset.
pub async fn pin_reset_start(
    state: &AppState,
    w: &wire::CloudPerson,
) -> Result<wire::ProofStarted, ApiError> {
    proof_for_holder(state, w, purpose::PIN_RESET).await
}

async fn proof_for_holder(
    state: &AppState,
    w: &wire::CloudPerson,
    purpose: &str,
) -> Result<wire::ProofStarted, ApiError> {
    let person = person_of(w, state.clock.now())?;
    let holder = holder_device(state, &person).await?.is_some();
    start_proof(state, person, purpose, holder).await
}

/// The person's cloud device that is not revoked.
async fn holder_device(state: &AppState, person: &Person) -> Result<Option<Device>, ApiError> {
    let Some(member) = state
        .store
        .member_by_phone_birthday(&person.phone, &person.birthday)
        .await?
    else {
        return Ok(None);
    };
    if member.person.name != person.name {
        return Ok(None);
    }
    Ok(state.store.active_cloud_device(member.id).await?)
}

/// `POST /cloud/v1/browsers/{proofId}/complete`.
pub async fn browsers_complete(
    state: &AppState,
    proof_id: &str,
    w: &wire::BrowserComplete,
    client: Option<IpAddr>,
) -> Result<wire::BrowserRegistered, ApiError> {
    let spki = browser_key(w.browser_key.as_deref())?;
    let label = label_of(w.label.as_deref())?;
    let (id, person) = proven(state, proof_id, purpose::BROWSER, w.code.as_deref(), client).await?;
    let device = holder_device(state, &person)
        .await?
        .ok_or(ErrorCode::CloudNoCertificate)?;
    let now = state.clock.now();
    let browser = new_browser(device.id, spki, label, now);
    added(
        state
            .store
            .add_cloud_browser(id, &browser, MAX_BROWSERS, now)
            .await?,
    )?;
    registered(state, &device, browser, "register", client).await
}

// ----- a new browser registered by a registered one (no SMS) --------------------------------

/// `POST /cloud/v1/browsers/ask`: this browser asks to be registered to the person's cloud
/// certificate by one of its registered browsers, where the holder types the 2-digit number
/// this browser shows, and the PIN. The answer is the same whether or not the person holds a
/// certificate (an ask for nobody is stored and expires). Each ask counts against the
/// address as a failed try does: an ask reaches someone's registered browsers.
pub async fn browsers_ask(
    state: &AppState,
    w: &wire::BrowserAsk,
    client: Option<IpAddr>,
) -> Result<wire::BrowserAsked, ApiError> {
    let spki = browser_key(w.browser_key.as_deref())?;
    let label = label_of(w.label.as_deref())?;
    let now = state.clock.now();
    let person = person_of(&w.person, now)?;
    let by_address = throttle::Subject::Address(client);
    throttle::check(
        state,
        &CLOUD_ADDRESS,
        by_address,
        ErrorCode::CloudRateLimited,
    )
    .await?;
    throttle::record(state, &CLOUD_ADDRESS, by_address).await?;
    // Open asks are capped per person, holder or not: the answer tells nobody which.
    let person_lookup = state.keys.lookup(
        "cloud-ask",
        &[person.phone.as_str(), &person.birthday.to_compact()],
    );
    if state.store.open_cloud_asks_for(&person_lookup, now).await? >= MAX_OPEN_ASKS {
        return Err(ErrorCode::CloudAskRateLimited.into());
    }
    let device = holder_device(state, &person).await?;
    let number: u32 = rand::rng().random_range(10..100);
    let ask = CloudAsk {
        id: random_id(16),
        device_id: device.map(|d| d.id),
        spki,
        label,
        number,
        created_at: now,
        expires_at: now + ASK_TTL,
        answered_at: None,
        state: "pending".into(),
    };
    state.store.insert_cloud_ask(&ask, &person_lookup).await?;
    Ok(wire::BrowserAsked {
        ask_id: ask.id,
        number: format!("{number:02}"),
        expires_at: format_rfc3339(ask.expires_at),
    })
}

/// `POST /cloud/v1/browsers/asks/{askId}`: where an ask stands; once approved, the new
/// browser's id (the ask's) and the certificate's.
pub async fn ask_state(state: &AppState, ask_id: &str) -> Result<wire::AskState, ApiError> {
    let ask = find_ask(state, ask_id).await?;
    let now = state.clock.now();
    let st = match ask.state.as_str() {
        "approved" => "approved",
        "declined" => "declined",
        _ if ask.expires_at <= now => "expired",
        _ => "pending",
    };
    let approved = st == "approved";
    Ok(wire::AskState {
        state: st.to_owned(),
        browser_id: approved.then(|| ask.id.clone()),
        certificate_id: ask.device_id.filter(|_| approved).map(|d| d.to_string()),
    })
}

async fn find_ask(state: &AppState, ask_id: &str) -> Result<CloudAsk, ApiError> {
    if ask_id.is_empty() || ask_id.len() > 64 {
        return Err(ErrorCode::CloudAskNotFound.into());
    }
    Ok(state
        .store
        .cloud_ask(ask_id)
        .await?
        .ok_or(ErrorCode::CloudAskNotFound)?)
}

/// An ask a proved browser may answer: for its own certificate, open.
async fn open_ask(state: &AppState, p: &Proved, ask_id: &str) -> Result<CloudAsk, ApiError> {
    let ask = find_ask(state, ask_id).await?;
    if ask.device_id != Some(p.device.id)
        || ask.answered_at.is_some()
        || ask.expires_at <= state.clock.now()
    {
        return Err(ErrorCode::CloudAskClosed.into());
    }
    Ok(ask)
}

/// `POST /cloud/v1/browsers/asks/{askId}/approve`: a registered browser's proof, the PIN, and
/// the number the new browser shows (a wrong number declines the ask: no second guess).
pub async fn ask_approve(
    state: &AppState,
    ask_id: &str,
    w: &wire::AskApprove,
    client: Option<IpAddr>,
) -> Result<wire::Empty, ApiError> {
    let p = prove(state, &w.proof, action::ASK_APPROVE, ask_id, client).await?;
    usable(state, &p).await?;
    let ask = open_ask(state, &p, ask_id).await?;
    check_pin(state, &p, w.pin.as_deref()).await?;
    let now = state.clock.now();
    if w.number.as_deref().map(str::trim) != Some(format!("{:02}", ask.number).as_str()) {
        state.store.decline_cloud_ask(&ask.id, now).await?;
        record_use(
            state,
            p.device.id,
            &p.browser.id,
            "ask-decline",
            "",
            &ask.id,
            &p.digest,
            client,
        )
        .await?;
        return Err(ErrorCode::CloudAskNumberWrong.into());
    }
    let browser = CloudBrowser {
        id: ask.id.clone(),
        device_id: p.device.id,
        spki: ask.spki,
        label: ask.label,
        created_at: now,
        last_used_at: None,
        removed_at: None,
    };
    match state
        .store
        .approve_cloud_ask(&browser, MAX_BROWSERS, now)
        .await?
    {
        BrowserAdded::Added => {}
        BrowserAdded::TooMany => return Err(ErrorCode::CloudTooManyBrowsers.into()),
        BrowserAdded::ProofClosed => return Err(ErrorCode::CloudAskClosed.into()),
    }
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "ask-approve",
        "",
        &browser.id,
        &sha256(&browser.spki),
        client,
    )
    .await?;
    tracing::info!(device = %p.device.id, "browser registered by a registered browser");
    Ok(wire::Empty {})
}

/// `POST /cloud/v1/browsers/asks/{askId}/decline`: a registered browser's proof.
pub async fn ask_decline(
    state: &AppState,
    ask_id: &str,
    w: &wire::Proved,
    client: Option<IpAddr>,
) -> Result<wire::Empty, ApiError> {
    let p = prove(state, &w.proof, action::ASK_DECLINE, ask_id, client).await?;
    let ask = open_ask(state, &p, ask_id).await?;
    if !state
        .store
        .decline_cloud_ask(&ask.id, state.clock.now())
        .await?
    {
        return Err(ErrorCode::CloudAskClosed.into());
    }
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "ask-decline",
        "",
        &ask.id,
        &p.digest,
        client,
    )
    .await?;
    Ok(wire::Empty {})
}

/// A browser about to be registered to `device`'s certificate.
fn new_browser(
    device: DeviceId,
    spki: Vec<u8>,
    label: String,
    now: OffsetDateTime,
) -> CloudBrowser {
    CloudBrowser {
        id: random_id(16),
        device_id: device,
        spki,
        label,
        created_at: now,
        last_used_at: None,
        removed_at: None,
    }
}

/// A browser just registered (by `action`): its evidence row, and the answer.
async fn registered(
    state: &AppState,
    device: &Device,
    browser: CloudBrowser,
    action: &str,
    client: Option<IpAddr>,
) -> Result<wire::BrowserRegistered, ApiError> {
    record_use(
        state,
        device.id,
        &browser.id,
        action,
        "",
        "",
        &sha256(&browser.spki),
        client,
    )
    .await?;
    Ok(wire::BrowserRegistered {
        certificate_id: device.id.to_string(),
        browser_id: browser.id,
    })
}

fn added(a: BrowserAdded) -> Result<(), ApiError> {
    match a {
        BrowserAdded::Added => Ok(()),
        BrowserAdded::TooMany => Err(ErrorCode::CloudTooManyBrowsers.into()),
        BrowserAdded::ProofClosed => Err(ErrorCode::EnrolmentCompleted.into()),
    }
}

/// `POST /cloud/v1/pin/reset/{proofId}/complete`: a new PIN after a fresh SMS proof; unlocks,
/// and registers this browser.
pub async fn pin_reset_complete(
    state: &AppState,
    proof_id: &str,
    w: &wire::PinResetComplete,
    client: Option<IpAddr>,
) -> Result<wire::BrowserRegistered, ApiError> {
    let pin = new_pin(w.new_pin.as_deref())?;
    let spki = browser_key(w.browser_key.as_deref())?;
    let label = label_of(w.label.as_deref())?;
    let pin_hash = hash_pin(pin).await?;
    let (id, person) = proven(
        state,
        proof_id,
        purpose::PIN_RESET,
        w.code.as_deref(),
        client,
    )
    .await?;
    let device = holder_device(state, &person)
        .await?
        .ok_or(ErrorCode::CloudNoCertificate)?;
    let now = state.clock.now();
    let browser = new_browser(device.id, spki, label, now);
    added(
        state
            .store
            .reset_cloud_pin(id, &pin_hash, &browser, MAX_BROWSERS, now)
            .await?,
    )?;
    tracing::info!(device = %device.id, "cloud PIN reset");
    registered(state, &device, browser, "pin-reset", client).await
}

// ----- challenges and the browser proof ----------------------------------------------------

/// `POST /cloud/v1/challenge`: 32 random bytes for a registered browser, once, 120 s.
pub async fn challenge(
    state: &AppState,
    w: &wire::ChallengeAsk,
    client: Option<IpAddr>,
) -> Result<wire::Challenge, ApiError> {
    let by_address = throttle::Subject::Address(client);
    throttle::check(
        state,
        &CLOUD_ADDRESS,
        by_address,
        ErrorCode::CloudRateLimited,
    )
    .await?;
    let id = w
        .browser_id
        .as_deref()
        .filter(|b| !b.is_empty() && b.len() <= 64)
        .ok_or(ErrorCode::CloudBrowserProofMissing)?;
    match state.store.cloud_browser(id).await? {
        Some(b) if b.removed_at.is_none() => {}
        _ => {
            throttle::record(state, &CLOUD_ADDRESS, by_address).await?;
            return Err(ErrorCode::CloudBrowserUnknown.into());
        }
    }
    let now = state.clock.now();
    let challenge = random_id(32);
    let expires = now + CHALLENGE_TTL;
    state
        .store
        .insert_cloud_challenge(&challenge, id, expires, now)
        .await?;
    Ok(wire::Challenge {
        challenge,
        expires_at: format_rfc3339(expires),
    })
}

/// A browser that proved itself for one action, and the certificate it uses.
struct Proved {
    browser: CloudBrowser,
    device: Device,
    cloud: CloudDevice,
    /// SHA-256 of the proof string it signed.
    digest: Vec<u8>,
    client: Option<IpAddr>,
}

/// The browser proof of one call: its signature (raw `r ‖ s`) over
/// `dojang-cloud/v1\n<action>\n<challenge>\n<target>` verifies with the registered key of a
/// browser not removed, and the challenge is that browser's, unused and unexpired (used now).
/// Failures count against the client's address.
async fn prove(
    state: &AppState,
    proof: &wire::BrowserProof,
    act: &str,
    target: &str,
    client: Option<IpAddr>,
) -> Result<Proved, ApiError> {
    use p256::ecdsa::signature::Verifier as _;
    use p256::pkcs8::DecodePublicKey as _;
    let (Some(id), Some(challenge), Some(signature)) = (
        proof.browser_id.as_deref().filter(|s| !s.is_empty()),
        proof.challenge.as_deref().filter(|s| !s.is_empty()),
        proof.signature.as_deref().filter(|s| !s.is_empty()),
    ) else {
        return Err(ErrorCode::CloudBrowserProofMissing.into());
    };
    let by_address = throttle::Subject::Address(client);
    throttle::check(
        state,
        &CLOUD_ADDRESS,
        by_address,
        ErrorCode::CloudRateLimited,
    )
    .await?;
    let fail = |code: ErrorCode| async move {
        throttle::record(state, &CLOUD_ADDRESS, by_address).await?;
        Err::<Proved, ApiError>(code.into())
    };
    if id.len() > 64 || challenge.len() > 128 || signature.len() > 200 {
        return fail(ErrorCode::CloudBrowserSignatureInvalid).await;
    }
    let browser = match state.store.cloud_browser(id).await? {
        Some(b) if b.removed_at.is_none() => b,
        _ => return fail(ErrorCode::CloudBrowserUnknown).await,
    };
    let message = wire::proof_message(act, challenge, target);
    let verified = p256::ecdsa::VerifyingKey::from_public_key_der(&browser.spki)
        .ok()
        .zip(b64url(signature).and_then(|raw| p256::ecdsa::Signature::from_slice(&raw).ok()))
        .is_some_and(|(key, sig)| key.verify(message.as_bytes(), &sig).is_ok());
    if !verified {
        return fail(ErrorCode::CloudBrowserSignatureInvalid).await;
    }
    let now = state.clock.now();
    if !state
        .store
        .use_cloud_challenge(challenge, &browser.id, now)
        .await?
    {
        return fail(ErrorCode::CloudChallengeInvalid).await;
    }
    let device = state
        .store
        .device(browser.device_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("browser {} has no device", browser.id)))?;
    let cloud =
        state.store.cloud_device(device.id).await?.ok_or_else(|| {
            ApiError::Internal(format!("device {} is not a cloud device", device.id))
        })?;
    Ok(Proved {
        browser,
        device,
        cloud,
        digest: sha256(message.as_bytes()),
        client,
    })
}

/// The certificate of a cloud device (its newest).
async fn certificate_of(state: &AppState, device: &Device) -> Result<CertificateRecord, ApiError> {
    state
        .store
        .certificates_of(device.member_id)
        .await?
        .into_iter()
        .find(|c| c.device_id == device.id)
        .ok_or_else(|| ApiError::Internal(format!("cloud device {} has no certificate", device.id)))
}

/// `active`, `locked`, `revoked` or `expired`.
fn state_of(
    device: &Device,
    cloud: &CloudDevice,
    cert: &CertificateRecord,
    now: OffsetDateTime,
) -> &'static str {
    if device.revoked_at.is_some() || cert.revoked_at.is_some() {
        "revoked"
    } else if now > cert.not_after {
        "expired"
    } else if cloud.locked_at.is_some() {
        "locked"
    } else {
        "active"
    }
}

/// The certificate, usable now (not revoked, expired or locked).
async fn usable(state: &AppState, p: &Proved) -> Result<CertificateRecord, ApiError> {
    let cert = certificate_of(state, &p.device).await?;
    match state_of(&p.device, &p.cloud, &cert, state.clock.now()) {
        "revoked" => Err(ErrorCode::CloudRevoked.into()),
        "expired" => Err(ErrorCode::CloudExpired.into()),
        "locked" => Err(ErrorCode::CloudLocked.into()),
        _ => Ok(cert),
    }
}

/// The PIN, checked and counted: the 5th wrong one in a row locks the certificate. A wrong
/// PIN counts against the client's address too.
async fn check_pin(state: &AppState, p: &Proved, pin: Option<&str>) -> Result<(), ApiError> {
    let pin = pin_of(pin)?;
    if p.cloud.locked_at.is_some() {
        return Err(ErrorCode::CloudLocked.into());
    }
    let now = state.clock.now();
    if pin_matches(&p.cloud.pin_hash, pin).await? {
        if !state.store.cloud_pin_succeeded(p.device.id, now).await? {
            return Err(ErrorCode::CloudLocked.into());
        }
        return Ok(());
    }
    throttle::record(state, &CLOUD_ADDRESS, throttle::Subject::Address(p.client)).await?;
    let failure = state
        .store
        .cloud_pin_failed(p.device.id, MAX_PIN_FAILURES, now)
        .await?;
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "pin-wrong",
        "",
        "",
        &p.digest,
        p.client,
    )
    .await?;
    match failure {
        CloudPinFailure::Counted(n) => Err(ApiError::Detailed {
            code: ErrorCode::CloudPinWrong,
            detail: format!(
                "{} of {MAX_PIN_FAILURES} tries left",
                MAX_PIN_FAILURES.saturating_sub(n)
            ),
        }),
        CloudPinFailure::LockedNow => {
            tracing::warn!(device = %p.device.id, "cloud certificate locked after wrong PINs");
            Err(ErrorCode::CloudLocked.into())
        }
        CloudPinFailure::Unchanged => Err(ErrorCode::CloudLocked.into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn record_use(
    state: &AppState,
    device: DeviceId,
    browser: &str,
    act: &str,
    client_code: &str,
    receipt: &str,
    digest: &[u8],
    client: Option<IpAddr>,
) -> Result<(), ApiError> {
    state
        .store
        .append_cloud_use(&dojang_store::CloudUse {
            device_id: device,
            browser_id: browser.to_owned(),
            at: state.clock.now(),
            action: act.to_owned(),
            client_code: client_code.to_owned(),
            receipt_id: receipt.to_owned(),
            digest: digest.to_vec(),
            address: address(client),
        })
        .await?;
    Ok(())
}

// ----- the browser-authenticated calls -----------------------------------------------------

/// `POST /cloud/v1/me`.
pub async fn me(
    state: &AppState,
    w: &wire::Proved,
    client: Option<IpAddr>,
) -> Result<wire::Me, ApiError> {
    let p = prove(state, &w.proof, action::ME, "", client).await?;
    let now = state.clock.now();
    let cert = certificate_of(state, &p.device).await?;
    let st = state_of(&p.device, &p.cloud, &cert, now);
    let member = state
        .member(p.device.member_id)
        .await?
        .ok_or_else(|| ApiError::Internal("the holder is missing".into()))?;
    let browsers = state.store.cloud_browsers(p.device.id).await?;
    let labels: std::collections::HashMap<String, String> = browsers
        .iter()
        .map(|b| (b.id.clone(), b.label.clone()))
        .collect();
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut uses = Vec::new();
    for u in state.store.cloud_uses(p.device.id, USES_SHOWN).await? {
        let rp = if u.client_code.is_empty() {
            String::new()
        } else if let Some(n) = names.get(&u.client_code) {
            n.clone()
        } else {
            let n = match u.client_code.parse() {
                Ok(code) => state
                    .store
                    .relying_party(&code)
                    .await?
                    .map(|r| r.name)
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            names.insert(u.client_code.clone(), n.clone());
            n
        };
        uses.push(wire::CloudUse {
            at: format_rfc3339(u.at),
            action: u.action,
            relying_party: rp,
            receipt_id: u.receipt_id,
            browser_label: labels.get(&u.browser_id).cloned().unwrap_or_default(),
        });
    }
    let pending = if st == "revoked" || st == "expired" {
        Vec::new()
    } else {
        state
            .store
            .waiting_requests(p.device.member_id, now)
            .await?
            .iter()
            .map(|w| cloud_card(state, &w.request, &w.requester))
            .collect()
    };
    let asks = if st == "revoked" || st == "expired" {
        Vec::new()
    } else {
        state
            .store
            .open_cloud_asks(p.device.id, now)
            .await?
            .into_iter()
            .map(|a| wire::CloudAskShown {
                ask_id: a.id,
                label: a.label,
                created_at: format_rfc3339(a.created_at),
                expires_at: format_rfc3339(a.expires_at),
            })
            .collect()
    };
    Ok(wire::Me {
        certificate: wire::CloudCertificate {
            serial: cert.serial.clone(),
            not_before: format_rfc3339(cert.not_before),
            not_after: format_rfc3339(cert.not_after),
            state: st.to_owned(),
            renewable: st == "active" && cert.not_after - now <= RENEW_WINDOW,
        },
        holder: wire::CloudHolder {
            name: member.person.name.as_str().to_owned(),
            phone_masked: member.person.phone.masked(),
        },
        browsers: browsers
            .into_iter()
            .map(|b| wire::CloudBrowser {
                current: b.id == p.browser.id,
                browser_id: b.id,
                label: b.label,
                created_at: format_rfc3339(b.created_at),
                last_used_at: b.last_used_at.map(format_rfc3339),
            })
            .collect(),
        uses,
        pending,
        asks,
    })
}

/// A card as the cloud UI shows it: no binding choices (the person is on dojang's own page).
fn cloud_card(state: &AppState, r: &dojang_core::Request, party: &str) -> RequestCard {
    let mut card = super::card(state, r, party);
    card.binding_choices = Vec::new();
    card.binding_code = None;
    card
}

/// A request addressed to the holder of the proved browser's certificate.
async fn addressed(
    state: &AppState,
    p: &Proved,
    receipt_id: &str,
) -> Result<dojang_core::Request, ApiError> {
    let member = p.device.member_id;
    super::visible_request(
        state,
        receipt_id,
        |r| r.member_id == member,
        ErrorCode::DeviceRequestNotFound,
    )
    .await
}

/// `POST /cloud/v1/requests/{receiptId}`: the card.
pub async fn view(
    state: &AppState,
    receipt_id: &str,
    w: &wire::Proved,
    client: Option<IpAddr>,
) -> Result<RequestCard, ApiError> {
    let p = prove(state, &w.proof, action::VIEW, receipt_id, client).await?;
    let r = addressed(state, &p, receipt_id).await?;
    let now = state.clock.now();
    r.check_answerable(now)?;
    state.store.mark_viewed(&r.receipt_id, now).await?;
    let name = state
        .store
        .relying_party(&r.client_code)
        .await?
        .map(|rp| rp.name)
        .unwrap_or_default();
    Ok(cloud_card(state, &r, &name))
}

/// Sign every document of `r` with the certificate's token key and approve it through
/// [`super::answer::approve`], exactly as an app would.
async fn answer_with_token(
    state: &AppState,
    p: &Proved,
    cert: &CertificateRecord,
    r: &dojang_core::Request,
) -> Result<i32, ApiError> {
    let key = find_key(state, p.cloud.key_label.clone()).await?;
    let now = state.clock.now();
    let contents: Vec<Vec<u8>> = r
        .documents
        .iter()
        .map(|d| d.token.as_bytes().to_vec())
        .collect();
    let cms = sign_all(key, cert.der.clone(), contents, now).await?;
    let encoded: Vec<String> = cms.iter().map(|c| STANDARD.encode(c)).collect();
    let approve = if r.kind == RequestKind::MultiSign {
        Approve {
            signed_data: None,
            multi_signed_data: Some(encoded),
            binding_code: r.binding_code.clone(),
        }
    } else {
        Approve {
            signed_data: encoded.into_iter().next(),
            multi_signed_data: None,
            binding_code: r.binding_code.clone(),
        }
    };
    let answered =
        super::answer::approve(state, &p.device, &r.receipt_id.to_string(), &approve).await?;
    Ok(answered.state)
}

fn documents_digest(r: &dojang_core::Request) -> Vec<u8> {
    let mut all = Vec::new();
    for d in &r.documents {
        all.extend_from_slice(&sha256(d.token.as_bytes()));
    }
    sha256(&all)
}

/// `POST /cloud/v1/requests/{receiptId}/approve`: the browser proof and the PIN, then the
/// token signs.
pub async fn approve(
    state: &AppState,
    receipt_id: &str,
    w: &wire::ProvedWithPin,
    client: Option<IpAddr>,
) -> Result<wire::AnsweredState, ApiError> {
    let p = prove(state, &w.proof, action::APPROVE, receipt_id, client).await?;
    let cert = usable(state, &p).await?;
    let r = addressed(state, &p, receipt_id).await?;
    r.check_answerable(state.clock.now())?;
    check_pin(state, &p, w.pin.as_deref()).await?;
    let st = answer_with_token(state, &p, &cert, &r).await?;
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "approve",
        r.client_code.as_str(),
        &r.receipt_id.to_string(),
        &documents_digest(&r),
        client,
    )
    .await?;
    Ok(wire::AnsweredState { state: st })
}

/// `POST /cloud/v1/requests/{receiptId}/decline`.
pub async fn decline(
    state: &AppState,
    receipt_id: &str,
    w: &wire::Proved,
    client: Option<IpAddr>,
) -> Result<wire::AnsweredState, ApiError> {
    let p = prove(state, &w.proof, action::DECLINE, receipt_id, client).await?;
    let r = addressed(state, &p, receipt_id).await?;
    let answered = super::answer::decline(
        state,
        &p.device,
        receipt_id,
        &Decline {
            reason: Some("declined in the cloud certificate".into()),
        },
    )
    .await?;
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "decline",
        r.client_code.as_str(),
        &r.receipt_id.to_string(),
        &p.digest,
        client,
    )
    .await?;
    Ok(wire::AnsweredState {
        state: answered.state,
    })
}

/// `POST /cloud/v1/sign`: a request of the publishable key's party for the holder, created with
/// the native API's validation and answered at once by the token; a one-time code for the
/// party's server.
pub async fn sign(
    state: &AppState,
    w: &wire::SignAsk,
    client: Option<IpAddr>,
) -> Result<wire::OneTimeCode, ApiError> {
    let p = prove(state, &w.proof, action::SIGN, "", client).await?;
    let key = w
        .publishable_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .ok_or(ErrorCode::CloudPublishableKeyMissing)?;
    let party = party_of_key(state, key).await?;
    let kind = match w.kind.as_deref() {
        Some("identity") => RequestKind::Identity,
        Some("sign") => RequestKind::Sign,
        Some("multi-sign") => RequestKind::MultiSign,
        _ => return Err(ErrorCode::CloudKindInvalid.into()),
    };
    let docs = w.documents.as_deref().unwrap_or_default();
    let one = kind != RequestKind::MultiSign;
    if docs.is_empty() || docs.len() > MAX_DOCUMENTS || (one && docs.len() != 1) {
        return Err(ErrorCode::CloudDocumentsInvalid.into());
    }
    let cert = usable(state, &p).await?;
    let member = state
        .member(p.device.member_id)
        .await?
        .ok_or_else(|| ApiError::Internal("the holder is missing".into()))?;
    check_pin(state, &p, w.pin.as_deref()).await?;
    let person = &member.person;
    let first = docs.first().cloned().unwrap_or_default();
    let mut create = CreateRequest {
        receiver_name: Some(person.name.as_str().to_owned()),
        receiver_hp: Some(person.phone.as_str().to_owned()),
        receiver_birthday: Some(person.birthday.to_compact()),
        expire_in: Some(SIGN_EXPIRE_IN),
        extra_message: w.req_message.clone(),
        ..CreateRequest::default()
    };
    match kind {
        RequestKind::Identity => {
            create.req_title = w.title.clone();
            create.token = first.token;
        }
        RequestKind::Sign => {
            create.sign_title = w.title.clone();
            create.token_type = first.token_type.or_else(|| Some("TEXT".to_owned()));
            create.token = first.token;
        }
        _ => {
            create.req_title = w.title.clone();
            create.token_type = Some("TEXT".to_owned());
            create.tokens = Some(docs.to_vec());
        }
    }
    let receipt = super::requests::create(state, &party.party, kind, &create, None, None).await?;
    let r = addressed(state, &p, &receipt.receipt_id).await?;
    let st = match answer_with_token(state, &p, &cert, &r).await {
        Ok(s) => s,
        Err(e) => {
            // Never leave the party a waiting request nobody will answer.
            let now = state.clock.now();
            if state
                .store
                .mark_declined(&r.receipt_id, Some("cloud signature refused"), now)
                .await?
            {
                super::withdraw(state, &r, super::Event::Declined).await;
            }
            return Err(e);
        }
    };
    if st != RequestState::Signed.code() {
        return Err(ApiError::Internal(format!(
            "cloud sign ended in state {st}"
        )));
    }
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "sign",
        r.client_code.as_str(),
        &r.receipt_id.to_string(),
        &documents_digest(&r),
        client,
    )
    .await?;
    let code = new_code(
        state,
        &party,
        kind.as_str(),
        Some(r.receipt_id.to_string()),
        None,
    )
    .await?;
    Ok(wire::OneTimeCode { code })
}

/// A one-time code for `party`'s server: 32 random bytes, kept as SHA-256.
async fn new_code(
    state: &AppState,
    party: &CloudParty,
    kind: &str,
    receipt_id: Option<String>,
    issued: Option<(DeviceId, String)>,
) -> Result<String, ApiError> {
    let code = random_id(32);
    let now = state.clock.now();
    let (device_id, serial) = match issued {
        Some((d, s)) => (Some(d), Some(s)),
        None => (None, None),
    };
    state
        .store
        .insert_cloud_code(&CloudCode {
            code_hash: sha256(code.as_bytes()),
            client_code: party.party.client_code.clone(),
            kind: kind.to_owned(),
            receipt_id,
            device_id,
            serial,
            created_at: now,
            expires_at: now + CODE_TTL,
        })
        .await?;
    Ok(code)
}

/// `POST /v1/cloud/exchange` (HMAC): a one-time code, once, by its own party only.
pub async fn exchange(
    state: &AppState,
    rp: &RelyingParty,
    w: &wire::CloudExchange,
) -> Result<wire::CloudExchanged, ApiError> {
    let code = w.code.trim();
    if code.is_empty() || code.len() > 128 {
        return Err(ErrorCode::CloudCodeInvalid.into());
    }
    let now = state.clock.now();
    let c = state
        .store
        .exchange_cloud_code(&sha256(code.as_bytes()), &rp.client_code, now)
        .await?
        .ok_or(ErrorCode::CloudCodeInvalid)?;
    if c.kind != "issue" {
        return Ok(wire::CloudExchanged {
            kind: c.kind,
            receipt_id: c.receipt_id,
            person: None,
            serial: None,
            issued_at: None,
        });
    }
    let device = match c.device_id {
        Some(d) => state.store.device(d).await?,
        None => None,
    }
    .ok_or_else(|| ApiError::Internal("an issue code without its device".into()))?;
    let member = state
        .store
        .member(device.member_id)
        .await?
        .ok_or_else(|| ApiError::Internal("an issue code without its member".into()))?;
    Ok(wire::CloudExchanged {
        kind: c.kind,
        receipt_id: None,
        person: Some(wire::CloudExchangePerson {
            name: member.person.name.as_str().to_owned(),
            phone: member.person.phone.as_str().to_owned(),
            birth: member.person.birthday.to_compact(),
        }),
        serial: c.serial,
        issued_at: Some(format_rfc3339(c.created_at)),
    })
}

/// `POST /cloud/v1/pin`: a new PIN, after the browser proof and the current PIN.
pub async fn change_pin(
    state: &AppState,
    w: &wire::PinChange,
    client: Option<IpAddr>,
) -> Result<wire::Empty, ApiError> {
    let p = prove(state, &w.proof, action::PIN, "", client).await?;
    usable(state, &p).await?;
    let new = new_pin(w.new_pin.as_deref())?;
    check_pin(state, &p, w.pin.as_deref()).await?;
    if w.pin.as_deref() == Some(new) {
        return Err(ErrorCode::CloudPinUnchanged.into());
    }
    let hash = hash_pin(new).await?;
    if !state
        .store
        .change_cloud_pin(p.device.id, &hash, state.clock.now())
        .await?
    {
        return Err(ErrorCode::CloudLocked.into());
    }
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "pin",
        "",
        "",
        &p.digest,
        client,
    )
    .await?;
    Ok(wire::Empty {})
}

/// `POST /cloud/v1/renew`: in the last 30 days, a new key in the token and a new certificate
/// (same device, same proof of identity); the old one superseded and its key removed.
pub async fn renew(
    state: &AppState,
    w: &wire::ProvedWithPin,
    client: Option<IpAddr>,
) -> Result<wire::Renewed, ApiError> {
    let p = prove(state, &w.proof, action::RENEW, "", client).await?;
    let old = usable(state, &p).await?;
    let now = state.clock.now();
    if old.not_after - now > RENEW_WINDOW {
        return Err(ErrorCode::CloudNotRenewable.into());
    }
    check_pin(state, &p, w.pin.as_deref()).await?;
    let member = state
        .member(p.device.member_id)
        .await?
        .ok_or_else(|| ApiError::Internal("the holder is missing".into()))?;
    let label = key_label(p.device.id, Some(now.unix_timestamp()));
    let key = generate_key(state, label.clone()).await?;
    let not_after = (now + VALIDITY).min(state.ca.not_after());
    let issued = match state.ca.issue_cloud(&CloudIssueRequest {
        public_key: &key.verifying_key(),
        holder_name: member.person.name.as_str(),
        holder_id: &member.id.to_string(),
        not_before: now,
        not_after,
    }) {
        Ok(i) => i,
        Err(e) => {
            destroy_key(state, label).await;
            return Err(e.into());
        }
    };
    let new = CertificateRecord {
        serial: issued.serial_hex.clone(),
        member_id: member.id,
        device_id: p.device.id,
        der: issued.der,
        not_before: issued.not_before,
        not_after: issued.not_after,
        revoked_at: None,
        revocation_reason: None,
        proof: old.proof,
    };
    if !state
        .store
        .renew_cloud_certificate(&old.serial, &new, &label, now)
        .await?
    {
        destroy_key(state, label).await;
        return Err(ErrorCode::CloudRevoked.into());
    }
    state.forget_certificate(&old.serial);
    destroy_key(state, p.cloud.key_label.clone()).await;
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "renew",
        "",
        "",
        &p.digest,
        client,
    )
    .await?;
    Ok(wire::Renewed {
        serial: issued.serial_hex,
        not_after: format_rfc3339(issued.not_after),
    })
}

/// `POST /cloud/v1/revoke`: the holder revokes the certificate (cessationOfOperation); its key
/// is removed from the token.
pub async fn revoke(
    state: &AppState,
    w: &wire::ProvedWithPin,
    client: Option<IpAddr>,
) -> Result<wire::Empty, ApiError> {
    let p = prove(state, &w.proof, action::REVOKE, "", client).await?;
    let cert = certificate_of(state, &p.device).await?;
    if p.device.revoked_at.is_some() || cert.revoked_at.is_some() {
        return Err(ErrorCode::CloudRevoked.into());
    }
    check_pin(state, &p, w.pin.as_deref()).await?;
    if !state
        .store
        .revoke_device(
            p.device.id,
            dojang_pki::RevocationReason::CessationOfOperation.code(),
            state.clock.now(),
        )
        .await?
    {
        return Err(ErrorCode::CloudRevoked.into());
    }
    crate::metrics::certificate_revoked("holder");
    state.forget_devices_of(p.device.member_id);
    destroy_key(state, p.cloud.key_label.clone()).await;
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "revoke",
        "",
        "",
        &p.digest,
        client,
    )
    .await?;
    tracing::info!(device = %p.device.id, "the holder revoked the cloud certificate");
    Ok(wire::Empty {})
}

/// `POST /cloud/v1/browsers/{browserId}/remove`.
pub async fn remove_browser(
    state: &AppState,
    browser_id: &str,
    w: &wire::Proved,
    client: Option<IpAddr>,
) -> Result<wire::Empty, ApiError> {
    let p = prove(state, &w.proof, action::REMOVE, browser_id, client).await?;
    if !state
        .store
        .remove_cloud_browser(p.device.id, browser_id, state.clock.now())
        .await?
    {
        return Err(ErrorCode::CloudBrowserUnknown.into());
    }
    record_use(
        state,
        p.device.id,
        &p.browser.id,
        "remove",
        "",
        browser_id,
        &p.digest,
        client,
    )
    .await?;
    Ok(wire::Empty {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        assert!(new_pin(Some("130479")).is_ok());
        for trivial in ["111111", "000000", "123456", "654321"] {
            assert_eq!(
                new_pin(Some(trivial)).unwrap_err().code(),
                ErrorCode::CloudPinTrivial
            );
        }
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert_eq!(
                new_pin(Some(bad)).unwrap_err().code(),
                ErrorCode::CloudPinFormat
            );
        }
        assert_eq!(new_pin(None).unwrap_err().code(), ErrorCode::CloudPinFormat);
    }

    #[test]
    fn origins_and_stylesheets() {
        assert_eq!(
            check_origin("https://rp.example").unwrap(),
            "https://rp.example"
        );
        assert_eq!(
            check_origin("https://rp.example:8443").unwrap(),
            "https://rp.example:8443"
        );
        assert!(check_origin("http://localhost:3000").is_ok());
        for bad in [
            "http://rp.example",
            "https://rp.example/path",
            "https://u@rp.example",
            "ftp://rp.example",
            "rp.example",
            "https://rp.example?x=1",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
        let origins = vec!["https://rp.example".to_owned()];
        assert!(check_stylesheet("https://rp.example/dojang.css", &origins).is_ok());
        assert!(check_stylesheet("https://evil.example/dojang.css", &origins).is_err());
    }

    #[test]
    fn labels_and_keys() {
        assert!(label_of(Some("Chrome on Linux")).is_ok());
        assert!(label_of(Some("")).is_err());
        assert!(label_of(Some(&"x".repeat(65))).is_err());
        assert!(label_of(Some("a\nb")).is_err());
        assert!(browser_key(Some("not base64 !")).is_err());
        assert!(browser_key(None).is_err());
    }
}
