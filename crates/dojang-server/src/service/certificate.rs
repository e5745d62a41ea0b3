//! A device's certificate from the holder's side: its state now (so the app can explain a
//! revocation), and giving it up.

use dojang_core::{CertificateRecord, Device};
use dojang_pki::RevocationReason;
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_rfc3339;
use dojang_proto::device::{CertificateStatus, DeviceRevoke};

use crate::http::error::ApiError;
use crate::state::AppState;

/// The newest certificate this device holds (read fresh).
async fn held(state: &AppState, device: &Device) -> Result<CertificateRecord, ApiError> {
    state
        .store
        .certificates_of(device.member_id)
        .await?
        .into_iter()
        .find(|c| c.device_id == device.id)
        .ok_or_else(|| ApiError::Internal(format!("device {} holds no certificate", device.id)))
}

fn describe(state: &AppState, c: &CertificateRecord, holder_name: String) -> CertificateStatus {
    let now = state.clock.now();
    CertificateStatus {
        serial: c.serial.clone(),
        state: if c.revoked_at.is_some() {
            "revoked"
        } else if c.not_after < now {
            "expired"
        } else {
            "active"
        }
        .to_owned(),
        not_after: format_rfc3339(c.not_after),
        revoked_at: c.revoked_at.map(format_rfc3339),
        revocation_reason: c.revocation_reason.map(|r| {
            RevocationReason::from_code(r)
                .map_or("unspecified", RevocationReason::as_str)
                .to_owned()
        }),
        holder_name,
    }
}

/// `GET /device/v1/certificate`.
pub async fn status(state: &AppState, device: &Device) -> Result<CertificateStatus, ApiError> {
    let c = held(state, device).await?;
    let member =
        state.store.member(device.member_id).await?.ok_or_else(|| {
            ApiError::Internal(format!("member of device {} is missing", device.id))
        })?;
    Ok(describe(state, &c, member.person.name.as_str().to_owned()))
}

/// `POST /device/v1/revoke`: after the PIN check (counted like an unlock), the device and its
/// certificate are revoked (cessationOfOperation); the CRL and OCSP say so at once.
pub async fn revoke(
    state: &AppState,
    device: &Device,
    wire: &DeviceRevoke,
) -> Result<CertificateStatus, ApiError> {
    let proof = super::pin::decode_proof(wire.pin_proof.as_deref())?;
    super::pin::check(state, device, &proof).await?;
    let now = state.clock.now();
    if !state
        .store
        .revoke_device(
            device.id,
            RevocationReason::CessationOfOperation.code(),
            now,
        )
        .await?
    {
        return Err(ErrorCode::DeviceAuthInvalid.into());
    }
    state.forget_devices_of(device.member_id);
    state.push.disconnect_device(device.member_id, device.id);
    tracing::info!(device = %device.id, "the holder revoked the certificate");
    let member = state.store.member(device.member_id).await?;
    let c = held(state, device).await?;
    Ok(describe(
        state,
        &c,
        member
            .map(|m| m.person.name.as_str().to_owned())
            .unwrap_or_default(),
    ))
}
