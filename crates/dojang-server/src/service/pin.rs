//! The server's half of the PIN: a device's key file is encrypted under a key that needs both
//! the PIN and an unlock secret that only the server holds. The server releases the secret to
//! the device's own credential presenting the right PIN proof (a value the app derives from the
//! PIN and a salt that never leaves the device), counts wrong proofs, and on the fifth in a row
//! locks the device and revokes its certificate. So a copied profile directory gives an
//! attacker five online guesses, not an offline search of 10^6 PINs (docs/security.md).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::{Device, DeviceId, ValidationError};
use dojang_proto::ErrorCode;
use dojang_proto::device::{PinChange, PinUnlock, PinUnlocked};
use dojang_store::{NewDevicePin, PinFailure};
use rand::Rng as _;
use subtle::ConstantTimeEq as _;

use crate::http::error::ApiError;
use crate::state::AppState;

/// Wrong PIN proofs in a row that lock a device.
pub const MAX_PIN_FAILURES: u32 = 5;

/// A 32-byte proof from standard base64.
pub fn decode_proof(value: Option<&str>) -> Result<[u8; 32], ApiError> {
    let raw = value
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .and_then(|v| STANDARD.decode(v).ok())
        .ok_or(ValidationError::PinProofInvalid)?;
    <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| ValidationError::PinProofInvalid.into())
}

/// What the server keeps of a proof: a keyed HMAC bound to the device, so a stolen database
/// gives neither the proof nor anything to replay elsewhere.
fn verifier(state: &AppState, device: DeviceId, proof: &[u8; 32]) -> Vec<u8> {
    state
        .keys
        .lookup("pin", &[&device.to_string(), &STANDARD.encode(proof)])
}

/// A new PIN check for `device`: the verifier of `proof` and a fresh unlock secret.
pub fn new_pin(state: &AppState, device: DeviceId, proof: &[u8; 32]) -> NewDevicePin {
    let mut secret = vec![0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    NewDevicePin {
        verifier: verifier(state, device, proof),
        unlock_secret: secret,
    }
}

/// Check a proof against the stored check, counting a wrong one. `Ok` (the unlock secret)
/// for the right proof.
pub(crate) async fn check(
    state: &AppState,
    device: &Device,
    proof: &[u8; 32],
) -> Result<Vec<u8>, ApiError> {
    let pin = state
        .store
        .device_pin(device.id)
        .await?
        .ok_or(ErrorCode::PinNotRegistered)?;
    if pin.locked_at.is_some() {
        return Err(ErrorCode::DeviceLocked.into());
    }
    let now = state.clock.now();
    if bool::from(pin.verifier.ct_eq(&verifier(state, device.id, proof))) {
        state.store.pin_succeeded(device.id, now).await?;
        return Ok(pin.unlock_secret);
    }
    Err(count_failure(state, device, ErrorCode::PinWrong).await)
}

/// Count one failed unlock (a wrong PIN proof, or a refused biometric assertion) toward the
/// same five: the error to answer, `code` with the tries left, or [`ErrorCode::DeviceLocked`]
/// when this one locked the device (its certificate revoked, its biometric credential gone).
pub(crate) async fn count_failure(state: &AppState, device: &Device, code: ErrorCode) -> ApiError {
    let now = state.clock.now();
    match state
        .store
        .pin_failed(device.id, MAX_PIN_FAILURES, now)
        .await
    {
        Err(e) => e.into(),
        Ok(PinFailure::Counted(n)) => {
            let left = MAX_PIN_FAILURES.saturating_sub(n);
            tracing::warn!(device = %device.id, failures = n, code = code.code(), "failed unlock");
            ApiError::Detailed {
                code,
                detail: format!("{left} of {MAX_PIN_FAILURES} tries left"),
            }
        }
        Ok(PinFailure::LockedNow) => {
            crate::metrics::certificate_revoked("pin_lock");
            tracing::warn!(device = %device.id, "too many failed unlocks: device locked, certificate revoked");
            state.forget_devices_of(device.member_id);
            state.push.disconnect_device(device.member_id, device.id);
            ErrorCode::DeviceLocked.into()
        }
        Ok(PinFailure::Unchanged) => ErrorCode::DeviceLocked.into(),
    }
}

/// `POST /device/v1/unlock`.
pub async fn unlock(
    state: &AppState,
    device: &Device,
    wire: &PinUnlock,
) -> Result<PinUnlocked, ApiError> {
    let proof = decode_proof(wire.pin_proof.as_deref())?;
    let secret = check(state, device, &proof).await?;
    Ok(PinUnlocked {
        unlock_secret: STANDARD.encode(secret),
    })
}

/// `POST /device/v1/pin`: the current proof (counted like an unlock) and the new one; a new
/// unlock secret comes back, under which the app re-encrypts its key.
pub async fn change(
    state: &AppState,
    device: &Device,
    wire: &PinChange,
) -> Result<PinUnlocked, ApiError> {
    let proof = decode_proof(wire.pin_proof.as_deref())?;
    let new_proof = decode_proof(wire.new_pin_proof.as_deref())?;
    check(state, device, &proof).await?;
    let pin = new_pin(state, device.id, &new_proof);
    if !state
        .store
        .replace_pin(device.id, &pin, state.clock.now())
        .await?
    {
        return Err(ErrorCode::DeviceLocked.into());
    }
    // k_pin changed: the app's biometric wrapping of the old one opens nothing, so the
    // credential goes too (the app says so; the person turns biometrics on with the new PIN).
    state.store.delete_device_biometric(device.id).await?;
    tracing::info!(device = %device.id, "PIN changed");
    Ok(PinUnlocked {
        unlock_secret: STANDARD.encode(&pin.unlock_secret),
    })
}
