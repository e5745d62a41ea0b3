//! A device's certificate from the holder's side: its state now (so the app can explain a
//! revocation), and giving it up.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::{CertificateRecord, Device, ValidationError};
use dojang_pki::{IssueRequest, RevocationReason};
use dojang_proto::ErrorCode;
use dojang_proto::datetime::format_rfc3339;
use dojang_proto::device::{CertificateRenew, CertificateRenewed, CertificateStatus, DeviceRevoke};

use crate::http::error::ApiError;
use crate::state::AppState;

/// The newest certificate this device holds (read fresh), if any (a device registered by a
/// login holds none yet).
async fn held(state: &AppState, device: &Device) -> Result<Option<CertificateRecord>, ApiError> {
    Ok(state
        .store
        .certificates_of(device.member_id)
        .await?
        .into_iter()
        .find(|c| c.device_id == device.id))
}

fn none(holder_name: String) -> CertificateStatus {
    CertificateStatus {
        serial: None,
        state: "none".to_owned(),
        not_after: None,
        revoked_at: None,
        revocation_reason: None,
        holder_name,
    }
}

fn describe(state: &AppState, c: &CertificateRecord, holder_name: String) -> CertificateStatus {
    let now = state.clock.now();
    CertificateStatus {
        serial: Some(c.serial.clone()),
        state: if c.revoked_at.is_some() {
            "revoked"
        } else if c.not_after < now {
            "expired"
        } else {
            "active"
        }
        .to_owned(),
        not_after: Some(format_rfc3339(c.not_after)),
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
    let member =
        state.store.member(device.member_id).await?.ok_or_else(|| {
            ApiError::Internal(format!("member of device {} is missing", device.id))
        })?;
    let name = member.person.name.as_str().to_owned();
    Ok(match held(state, device).await? {
        Some(c) => describe(state, &c, name),
        None => none(name),
    })
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
    crate::metrics::certificate_revoked("holder");
    tracing::info!(device = %device.id, "the holder revoked the certificate");
    let name = state
        .store
        .member(device.member_id)
        .await?
        .map(|m| m.person.name.as_str().to_owned())
        .unwrap_or_default();
    Ok(match held(state, device).await? {
        Some(c) => describe(state, &c, name),
        None => none(name),
    })
}

/// A certificate may be renewed in its last this-many days (and the app says so).
pub const RENEWAL_WINDOW: Duration = Duration::from_secs(30 * 86_400);

/// `POST /device/v1/certificate/renew`: in the certificate's last 30 days, a certificate for a
/// new key made on the same device, for the same person; the old one is superseded. The PIN
/// is checked (counted) first.
pub async fn renew(
    state: &AppState,
    device: &Device,
    wire: &CertificateRenew,
) -> Result<CertificateRenewed, ApiError> {
    let csr_der = wire
        .csr
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| STANDARD.decode(s.trim()).ok())
        .ok_or(ValidationError::CsrMissing)?;
    let proof = super::pin::decode_proof(wire.pin_proof.as_deref())?;
    super::pin::check(state, device, &proof).await?;
    let now = state.clock.now();
    let current = held(state, device)
        .await?
        .ok_or(ErrorCode::RenewalNotPossible)?;
    if !current.is_active(now) {
        return Err(ErrorCode::RenewalNotPossible.into());
    }
    if current.not_after - now > RENEWAL_WINDOW {
        return Err(ApiError::Detailed {
            code: ErrorCode::RenewalTooEarly,
            detail: format!(
                "renewal opens {}",
                format_rfc3339(current.not_after - RENEWAL_WINDOW)
            ),
        });
    }
    let member =
        state.store.member(device.member_id).await?.ok_or_else(|| {
            ApiError::Internal(format!("member of device {} is missing", device.id))
        })?;
    let csr = dojang_pki::check_csr(&csr_der, member.person.name.as_str())?;
    // A sandbox person's certificate is renewed by the sandbox CA, never by dojang's.
    let issuer = super::issuer_of(state, member.id).await?;
    let not_after = (now + state.policy.certificate_validity).min(issuer.ca.not_after());
    let issued = issuer.ca.issue(&IssueRequest {
        csr: &csr,
        holder_name: member.person.name.as_str(),
        holder_id: &member.id.to_string(),
        not_before: now,
        not_after,
    })?;
    let record = CertificateRecord {
        serial: issued.serial_hex.clone(),
        member_id: member.id,
        device_id: device.id,
        der: issued.der.clone(),
        not_before: issued.not_before,
        not_after: issued.not_after,
        revoked_at: None,
        revocation_reason: None,
        // A renewal proves nothing new: it keeps how the holder first proved who they are.
        proof: current.proof,
    };
    if !state
        .store
        .renew_certificate(&current.serial, &record, now)
        .await?
    {
        return Err(ErrorCode::RenewalNotPossible.into());
    }
    state.forget_devices_of(member.id);
    tracing::info!(device = %device.id, old = %current.serial, new = %issued.serial_hex, "certificate renewed");
    Ok(CertificateRenewed {
        certificate: dojang_pki::certificate_pem(&issued.der),
        serial: issued.serial_hex,
        not_after: format_rfc3339(issued.not_after),
    })
}
