//! Enrolment at a registration desk: the operator's `dojang admin ra issue` makes a reference
//! number and an authorisation code ([`issue_code`]); the app completes in one call with both,
//! the person's details and a CSR ([`complete`], ending in [`super::enrolment::issue`]).

use std::time::Duration;

use dojang_core::Person;
use dojang_core::registration::{AuthorizationCode, RaCode, ReferenceNumber};
use dojang_proto::ErrorCode;
use dojang_proto::device::{EnrolmentCompleted, RaEnrolment};
use dojang_store::{DataKeys, Proof, Store, StoreError};
use time::OffsetDateTime;

use super::enrolment::{csr_der, issue, person_of, pin_proof};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Keyed hash of an authorisation code, bound to its reference number: what the database
/// keeps instead of the code.
pub fn code_hash(
    keys: &DataKeys,
    reference: &ReferenceNumber,
    code: &AuthorizationCode,
) -> Vec<u8> {
    keys.lookup("ra-code", &[reference.as_str(), code.as_str()])
}

/// A new reference number and authorisation code for `person`, valid for `ttl` from `now`. Only
/// the code's hash is recorded: the code comes back to be shown once. A reference number drawn
/// twice (rare: 10^10 of them) is drawn again.
pub async fn issue_code(
    store: &dyn Store,
    keys: &DataKeys,
    person: &Person,
    ttl: Duration,
    now: OffsetDateTime,
) -> Result<(RaCode, AuthorizationCode), StoreError> {
    let mut last = StoreError::Conflict("reference number");
    for _ in 0..5 {
        let (reference, code) = {
            let mut rng = rand::rng();
            (
                ReferenceNumber::generate(&mut rng),
                AuthorizationCode::generate(&mut rng),
            )
        };
        let ra = RaCode {
            code_hash: code_hash(keys, &reference, &code),
            reference,
            person: person.clone(),
            attempts: 0,
            issued_at: now,
            expires_at: now + ttl,
            used_at: None,
            serial: None,
            cancelled_at: None,
        };
        match store.insert_ra_code(&ra).await {
            Ok(()) => return Ok((ra, code)),
            Err(e @ StoreError::Conflict(_)) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Check the reference number, the authorisation code, the person and the CSR; issue the
/// certificate; register the device.
#[tracing::instrument(skip_all)]
pub async fn complete(
    state: &AppState,
    wire: &RaEnrolment,
) -> Result<EnrolmentCompleted, ApiError> {
    let now = state.clock.now();
    let reference = ReferenceNumber::parse(wire.ref_num.as_deref().unwrap_or(""))?;
    let code = AuthorizationCode::parse(wire.auth_code.as_deref().unwrap_or(""))?;
    let person = person_of(
        wire.name.as_deref(),
        wire.phone.as_deref(),
        wire.birthday.as_deref(),
        now,
    )?;
    let csr_der = csr_der(wire.csr.as_deref())?;
    let pin_proof = pin_proof(wire.pin_proof.as_deref())?;
    // The CSR must name the person who claims the code; checked before a try is counted, so a
    // broken CSR does not burn one.
    let csr = dojang_pki::check_csr(&csr_der, person.name.as_str())?;
    redeem(state, &reference, &code, &person, now).await?;
    match issue(
        state,
        &person,
        &csr,
        Proof::Desk(reference.clone()),
        pin_proof,
        now,
    )
    .await?
    {
        Some(done) => {
            tracing::info!(reference = %reference, "registration-desk code used");
            Ok(done)
        }
        None => Err(not_issued(state, &reference, now).await),
    }
}

/// Try a reference number's authorisation code for `person`: read, checked open, one try
/// counted, then judged (code and person). `Ok` when the code may be used now; the caller
/// then closes it in the same transaction as what it issues. Shared by the app's enrolment and
/// the cloud certificate's (`service::cloud`), so both count tries alike.
pub(crate) async fn redeem(
    state: &AppState,
    reference: &ReferenceNumber,
    code: &AuthorizationCode,
    person: &Person,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let max = state.policy.ra_code_max_attempts;
    let stored = state
        .store
        .ra_code(reference)
        .await?
        .ok_or(ErrorCode::RaNotFound)?;
    stored.check_open(now, max)?;
    let Some(counted) = state.store.count_ra_attempt(reference, max).await? else {
        // Used, cancelled or burnt between the read and the count.
        let again = state
            .store
            .ra_code(reference)
            .await?
            .ok_or(ErrorCode::RaNotFound)?;
        again.check_open(now, max)?;
        return Err(ErrorCode::RaTooManyAttempts.into());
    };
    counted.judge(&code_hash(&state.keys, reference, code), person, max)?;
    Ok(())
}

/// Why a judged code closed nothing: used, cancelled or expired since it was judged.
pub(crate) async fn not_issued(
    state: &AppState,
    reference: &ReferenceNumber,
    now: OffsetDateTime,
) -> ApiError {
    let max = state.policy.ra_code_max_attempts;
    match state.store.ra_code(reference).await {
        Ok(Some(again)) => match again.check_open(now, max) {
            Ok(()) => ErrorCode::RaUsed.into(),
            Err(e) => e.into(),
        },
        Ok(None) => ErrorCode::RaNotFound.into(),
        Err(e) => e.into(),
    }
}
