//! Biometric unlock of the phone app (issue 16, "PIN 또는 생체인증"): a WebAuthn platform
//! credential (fingerprint, face) that stands in for typing the PIN.
//!
//! The app registers the credential's public key with its PIN proof (so a stolen device bearer
//! alone cannot add one). To unlock it asks for a single-use challenge, has the authenticator
//! sign it after the platform's own user verification, and sends the assertion; the server
//! verifies it (WebAuthn Level 3 §7.2, the steps that apply to a known credential with
//! attestation "none") and answers the same unlock secret as the PIN proof. Every assertion the
//! server checks and refuses counts toward the five failed unlocks that lock the device
//! ([`pin::count_failure`]).
//!
//! The verification is written here, with `p256` and `ring`'s SHA-256, rather than taken from
//! `webauthn-rs`: that crate (and `webauthn-rs-core`) verifies with OpenSSL, which this
//! workspace does not link, and the part needed — one ES256 credential, attestation "none", an
//! assertion's checks — is about a hundred lines, each check covered by an attack test
//! (`tests/it/biometric.rs`). The app keeps the other half: the `prf` extension's output
//! unwraps its PIN key (docs/app.md, "Biometrics").

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use dojang_core::Device;
use dojang_proto::ErrorCode;
use dojang_proto::device::{
    BiometricChallengeIssued, BiometricRegister, BiometricUnlock, PinUnlocked,
};
use dojang_store::DeviceBiometric;
use rand::Rng as _;
use subtle::ConstantTimeEq as _;

use super::pin;
use crate::http::error::ApiError;
use crate::state::AppState;

/// How long a challenge is accepted.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(120);
/// Expired challenges are kept this long (a late one is "expired", not "unknown").
const CHALLENGE_KEPT: Duration = Duration::from_secs(3600);
/// authenticatorData flags: user present, user verified.
const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;

/// The (origin, relying-party id) pairs an assertion may be made for: the public URL's origin
/// and host. When that host is a loopback address (development, `dojang demo`), also
/// `localhost` on the same scheme and port: WebAuthn refuses IP addresses as relying-party ids,
/// so a browser on the same machine opens the app at `http://localhost:<port>`.
pub fn relying_parties(public_url: &str) -> Vec<(String, String)> {
    let Ok(url) = url::Url::parse(public_url) else {
        return Vec::new();
    };
    let Some(host) = url.host_str() else {
        return Vec::new();
    };
    let origin = url.origin().ascii_serialization();
    let mut out = vec![(origin, host.trim_matches(['[', ']']).to_owned())];
    let loopback = match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        _ => false,
    };
    if loopback {
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        out.push((
            format!("{}://localhost{port}", url.scheme()),
            "localhost".to_owned(),
        ));
    }
    out
}

/// base64url, with or without padding.
fn b64url(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    URL_SAFE_NO_PAD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .ok()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

fn credential_id(value: Option<&str>) -> Result<Vec<u8>, ApiError> {
    value
        .filter(|v| v.len() <= 1400)
        .and_then(b64url)
        .filter(|id| (1..=1023).contains(&id.len()))
        .ok_or_else(|| ErrorCode::BiometricCredentialIdInvalid.into())
}

/// `POST /device/v1/biometric`: the PIN proof (checked and counted), then the credential.
pub async fn register(
    state: &AppState,
    device: &Device,
    wire: &BiometricRegister,
) -> Result<(), ApiError> {
    use p256::pkcs8::DecodePublicKey as _;
    if wire
        .pin_proof
        .as_deref()
        .is_none_or(|p| p.trim().is_empty())
    {
        return Err(ErrorCode::BiometricPinProofMissing.into());
    }
    let proof = pin::decode_proof(wire.pin_proof.as_deref())?;
    let id = credential_id(wire.credential_id.as_deref())?;
    let key = wire
        .public_key
        .as_deref()
        .filter(|k| k.len() <= 400)
        .and_then(|k| STANDARD.decode(k.trim()).ok().or_else(|| b64url(k)))
        .and_then(|der| p256::ecdsa::VerifyingKey::from_public_key_der(&der).ok())
        .ok_or(ErrorCode::BiometricPublicKeyInvalid)?;
    pin::check(state, device, &proof).await?;
    let point = key.to_sec1_bytes();
    state
        .store
        .put_device_biometric(device.id, &id, &point, state.clock.now())
        .await?;
    tracing::info!(device = %device.id, "biometric unlock turned on");
    Ok(())
}

/// `DELETE /device/v1/biometric`: forget the credential (whether or not there was one).
pub async fn remove(state: &AppState, device: &Device) -> Result<(), ApiError> {
    if state.store.delete_device_biometric(device.id).await? {
        tracing::info!(device = %device.id, "biometric unlock turned off");
    }
    Ok(())
}

/// The device's live credential, on a device whose PIN check is not locked.
async fn registered(state: &AppState, device: &Device) -> Result<DeviceBiometric, ApiError> {
    let pin = state
        .store
        .device_pin(device.id)
        .await?
        .ok_or(ErrorCode::PinNotRegistered)?;
    if pin.locked_at.is_some() {
        return Err(ErrorCode::DeviceLocked.into());
    }
    state
        .store
        .device_biometric(device.id)
        .await?
        .ok_or_else(|| ErrorCode::BiometricNotRegistered.into())
}

/// `POST /device/v1/unlock/biometric/challenge`.
pub async fn challenge(
    state: &AppState,
    device: &Device,
) -> Result<BiometricChallengeIssued, ApiError> {
    registered(state, device).await?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let now = state.clock.now();
    state
        .store
        .insert_biometric_challenge(&bytes, device.id, now + CHALLENGE_TTL, now - CHALLENGE_KEPT)
        .await?;
    Ok(BiometricChallengeIssued {
        challenge: URL_SAFE_NO_PAD.encode(bytes),
        expires_in: u32::try_from(CHALLENGE_TTL.as_secs()).unwrap_or(u32::MAX),
    })
}

/// The decoded assertion.
struct Assertion {
    credential_id: Vec<u8>,
    authenticator_data: Vec<u8>,
    client_data_json: Vec<u8>,
    signature: p256::ecdsa::Signature,
}

fn decode(wire: &BiometricUnlock) -> Result<Assertion, ApiError> {
    let credential_id = credential_id(wire.credential_id.as_deref())?;
    let bad = || ApiError::from(ErrorCode::BiometricAssertionMalformed);
    let field = |v: Option<&str>, max: usize| {
        v.filter(|v| v.len() <= max * 4 / 3 + 4)
            .and_then(b64url)
            .filter(|b| b.len() <= max)
    };
    // rpIdHash (32), flags (1), signCount (4); extensions may follow.
    let authenticator_data = field(wire.authenticator_data.as_deref(), 4096)
        .filter(|a| a.len() >= 37)
        .ok_or_else(bad)?;
    let client_data_json = field(wire.client_data_json.as_deref(), 4096)
        .filter(|c| !c.is_empty())
        .ok_or_else(bad)?;
    let signature = field(wire.signature.as_deref(), 80)
        .and_then(|der| p256::ecdsa::Signature::from_der(&der).ok())
        .ok_or_else(bad)?;
    Ok(Assertion {
        credential_id,
        authenticator_data,
        client_data_json,
        signature,
    })
}

/// `POST /device/v1/unlock/biometric`: verify the assertion; the unlock secret.
pub async fn unlock(
    state: &AppState,
    device: &Device,
    wire: &BiometricUnlock,
) -> Result<PinUnlocked, ApiError> {
    let assertion = decode(wire)?;
    let credential = registered(state, device).await?;
    match verify(state, device, &credential, &assertion).await {
        Ok(count) => {
            let pin = state
                .store
                .device_pin(device.id)
                .await?
                .ok_or(ErrorCode::PinNotRegistered)?;
            if !state
                .store
                .pin_succeeded(device.id, state.clock.now())
                .await?
            {
                return Err(ErrorCode::DeviceLocked.into());
            }
            state
                .store
                .set_biometric_sign_count(device.id, count)
                .await?;
            Ok(PinUnlocked {
                unlock_secret: STANDARD.encode(pin.unlock_secret),
            })
        }
        Err(ApiError::Code(code)) => Err(pin::count_failure(state, device, code).await),
        Err(other) => Err(other),
    }
}

/// The checks of one assertion, in the order of WebAuthn §7.2; the new signature counter.
/// A refusal is an [`ApiError::Code`] (counted by the caller); anything else is the store.
async fn verify(
    state: &AppState,
    device: &Device,
    credential: &DeviceBiometric,
    a: &Assertion,
) -> Result<u32, ApiError> {
    use p256::ecdsa::signature::Verifier as _;
    // The credential is the one this device registered.
    if !bool::from(a.credential_id.ct_eq(&credential.credential_id)) {
        return Err(ErrorCode::BiometricCredentialUnknown.into());
    }
    // clientDataJSON: a webauthn.get over one of our challenges, made on our origin.
    let client: serde_json::Value = serde_json::from_slice(&a.client_data_json)
        .map_err(|_| ApiError::from(ErrorCode::BiometricClientDataInvalid))?;
    if client.get("type").and_then(|t| t.as_str()) != Some("webauthn.get") {
        return Err(ErrorCode::BiometricClientDataInvalid.into());
    }
    let challenge = client
        .get("challenge")
        .and_then(|c| c.as_str())
        .filter(|c| c.len() <= 64)
        .and_then(b64url)
        .ok_or(ErrorCode::BiometricChallengeUnknown)?;
    let issued = state
        .store
        .biometric_challenge(&challenge)
        .await?
        .ok_or(ErrorCode::BiometricChallengeUnknown)?;
    if issued.device != device.id {
        return Err(ErrorCode::BiometricChallengeOtherDevice.into());
    }
    let now = state.clock.now();
    // One try per challenge: it is spent before the rest is checked.
    if issued.used || !state.store.use_biometric_challenge(&challenge, now).await? {
        return Err(ErrorCode::BiometricChallengeUsed.into());
    }
    if issued.expires_at <= now {
        return Err(ErrorCode::BiometricChallengeExpired.into());
    }
    let origin = client.get("origin").and_then(|o| o.as_str());
    let Some((_, rp_id)) = state
        .webauthn
        .iter()
        .find(|(o, _)| Some(o.as_str()) == origin)
    else {
        return Err(ErrorCode::BiometricOriginMismatch.into());
    };
    // A cross-origin iframe's assertion is not the app's.
    if client.get("crossOrigin").and_then(|c| c.as_bool()) == Some(true) {
        return Err(ErrorCode::BiometricOriginMismatch.into());
    }
    // authenticatorData: rpIdHash ‖ flags ‖ signCount ‖ …
    let (rp_hash, rest) = a
        .authenticator_data
        .split_at_checked(32)
        .ok_or(ErrorCode::BiometricAssertionMalformed)?;
    if !bool::from(rp_hash.ct_eq(&sha256(rp_id.as_bytes()))) {
        return Err(ErrorCode::BiometricRpIdMismatch.into());
    }
    let flags = rest.first().copied().unwrap_or(0);
    if flags & FLAG_UP == 0 || flags & FLAG_UV == 0 {
        return Err(ErrorCode::BiometricUserNotVerified.into());
    }
    let count = rest
        .get(1..5)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or(ErrorCode::BiometricSignatureInvalid)?;
    // The signature over authenticatorData ‖ SHA-256(clientDataJSON), with the stored key.
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&credential.public_key)
        .map_err(|_| ApiError::Internal("stored biometric key does not parse".into()))?;
    let mut signed = a.authenticator_data.clone();
    signed.extend_from_slice(&sha256(&a.client_data_json));
    if key.verify(&signed, &a.signature).is_err() {
        return Err(ErrorCode::BiometricSignatureInvalid.into());
    }
    // The counter: when either side keeps one, it must go up (a cloned authenticator).
    if (count != 0 || credential.sign_count != 0) && count <= credential.sign_count {
        return Err(ErrorCode::BiometricCounterRegressed.into());
    }
    Ok(count)
}
