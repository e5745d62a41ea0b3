//! Revocation: revoking certificates, and publishing their state as a CRL and through OCSP.
//!
//! The CRL is built on demand and cached while nothing is revoked: every request asks the store
//! for its revocation marker (how many certificates are revoked, and the latest time), so a
//! revocation made by any instance or by `dojang admin cert revoke` shows in the next CRL. A
//! cached CRL is rebuilt after [`CRL_REFRESH`] anyway and announces its successor
//! [`CRL_VALIDITY`] ahead, so a CRL fetched at any time is current for at least a day.

use std::time::Duration;

use dojang_core::CertificateRecord;
use dojang_pki::{CertState, OcspFailure, RevocationReason, Revoked};
use time::OffsetDateTime;

use crate::http::error::ApiError;
use crate::state::AppState;

/// A cached CRL is rebuilt at least this often.
pub const CRL_REFRESH: Duration = Duration::from_secs(3600);
/// `nextUpdate` of a CRL: a day after `thisUpdate` (and a little more, for clocks).
pub const CRL_VALIDITY: Duration = Duration::from_secs(25 * 3600);
/// `nextUpdate` of an OCSP response.
pub const OCSP_VALIDITY: Duration = Duration::from_secs(3600);

/// A CRL and what it was built from.
#[derive(Debug, Clone)]
pub struct CachedCrl {
    marker: (i64, Option<i64>),
    built_at: OffsetDateTime,
    der: Vec<u8>,
}

/// The current CRL, DER.
pub async fn crl(state: &AppState) -> Result<Vec<u8>, ApiError> {
    let now = state.clock.now();
    let marker = state.store.revocation_marker().await?;
    let mut cache = state.crl.lock().await;
    if let Some(c) = cache.as_ref()
        && c.marker == marker
        && now - c.built_at < CRL_REFRESH
        && now >= c.built_at
    {
        return Ok(c.der.clone());
    }
    let revoked = state
        .store
        .revoked_certificates()
        .await?
        .into_iter()
        .map(|r| Revoked {
            serial_hex: r.serial,
            revoked_at: r.revoked_at,
            reason: RevocationReason::from_code(r.reason).unwrap_or(RevocationReason::Unspecified),
        })
        .collect::<Vec<_>>();
    // The CRL number grows with time: every instance agrees on it without sharing a counter.
    let number = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let der = state
        .ca
        .crl(&revoked, now, now + CRL_VALIDITY, number)
        .map_err(|e| ApiError::Internal(format!("CRL: {e}")))?;
    *cache = Some(CachedCrl {
        marker,
        built_at: now,
        der: der.clone(),
    });
    Ok(der)
}

/// What the CA says about a certificate it may have issued, read fresh from the store.
pub fn state_of(record: Option<&CertificateRecord>) -> CertState {
    match record {
        None => CertState::Unknown,
        Some(c) => match c.revoked_at {
            None => CertState::Good,
            Some(at) => CertState::Revoked {
                at,
                reason: c
                    .revocation_reason
                    .and_then(RevocationReason::from_code)
                    .unwrap_or(RevocationReason::Unspecified),
            },
        },
    }
}

/// The OCSP answer (DER) to a DER request: a signed response, or an unsigned failure status
/// for a request that cannot be read.
pub async fn ocsp(state: &AppState, request: &[u8]) -> Vec<u8> {
    let (questions, asked) = match state.ca.ocsp_questions(request) {
        Ok(q) => q,
        Err(e) => {
            tracing::debug!(error = %e, "OCSP request refused");
            return OcspFailure::MalformedRequest.response();
        }
    };
    let mut states = Vec::with_capacity(asked.len());
    for q in &asked {
        let record = if q.ours {
            match state.store.certificate(&q.serial_hex).await {
                // A sandbox certificate was not issued by this CA: `unknown`, never `good`,
                // whichever serial a relying party asks about (issue 14 #8).
                Ok(r) => r.filter(|c| !dojang_pki::is_sandbox_certificate(&c.der)),
                Err(e) => {
                    tracing::error!(error = %e, "OCSP: store unavailable");
                    return OcspFailure::TryLater.response();
                }
            }
        } else {
            None
        };
        states.push(state_of(record.as_ref()));
    }
    let now = state.clock.now();
    match state
        .ca
        .ocsp_response(&questions, &states, now, now + OCSP_VALIDITY)
    {
        Ok(der) => der,
        Err(e) => {
            tracing::error!(error = %e, "OCSP response could not be built");
            OcspFailure::InternalError.response()
        }
    }
}

/// Revoke one certificate now for `reason`: the record afterwards, or `None` if it is unknown
/// or was revoked before. Its holder's devices can no longer approve with it at once (the
/// approval path reads certificates fresh), and the next CRL and OCSP answers say so.
pub async fn revoke(
    state: &AppState,
    serial_hex: &str,
    reason: RevocationReason,
) -> Result<Option<CertificateRecord>, ApiError> {
    let serial = serial_hex.trim().to_ascii_lowercase();
    let serial = serial.trim_start_matches("0x");
    Ok(state
        .store
        .revoke_certificate(serial, state.clock.now(), reason.code())
        .await?)
}
