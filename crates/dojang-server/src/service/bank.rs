//! Enrolment by bank-account ownership: start (check the limits, deposit 1 won whose memo is a
//! word), complete (word + CSR → certificate and device credential, through
//! [`super::enrolment::issue`]). The check itself ([`start_check`], [`checked_word`]) also
//! proves the holder of a cloud certificate ([`super::cloud::issue_bank_complete`]).

use std::time::Duration;

use dojang_core::bank::{AccountNumber, BankCheck, BankCode, TransferWord};
use dojang_core::{EnrolmentId, Person};
use dojang_proto::ErrorCode;
use dojang_proto::device::{
    BankEnrolmentComplete, BankEnrolmentStart, BankEnrolmentStarted, EnrolmentCompleted,
};
use dojang_store::Proof;

use super::enrolment::{csr_der, issue, person_of, pin_proof};
use crate::bank::{BankError, Deposit};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Keyed hash of a deposit's word, bound to its check.
fn word_hash(state: &AppState, id: EnrolmentId, word: &TransferWord) -> Vec<u8> {
    state
        .keys
        .lookup("bank-word", &[&id.to_string(), word.as_str()])
}

/// Validate who is enrolling and their account, and deposit 1 won with a fresh word.
#[tracing::instrument(skip_all)]
pub async fn start(
    state: &AppState,
    wire: &BankEnrolmentStart,
) -> Result<BankEnrolmentStarted, ApiError> {
    let person = person_of(
        wire.name.as_deref(),
        wire.phone.as_deref(),
        wire.birthday.as_deref(),
        state.clock.now(),
    )?;
    start_check(
        state,
        person,
        wire.bank_code.as_deref(),
        wire.bank_account_num.as_deref(),
    )
    .await
}

/// The account check itself, shared by the app's enrolment and the cloud certificate's
/// issuance: the daily limits per phone and per account, a check row, and the deposit.
pub async fn start_check(
    state: &AppState,
    person: Person,
    bank_code: Option<&str>,
    account_number: Option<&str>,
) -> Result<BankEnrolmentStarted, ApiError> {
    let now = state.clock.now();
    let bank = BankCode::parse(bank_code.unwrap_or(""))?;
    let account = AccountNumber::parse(account_number.unwrap_or(""))?;
    let (by_phone, by_account) = state
        .store
        .bank_checks_since(
            &person.phone,
            &bank,
            &account,
            now - Duration::from_secs(86_400),
        )
        .await?;
    let limit = u64::from(state.policy.bank_checks_per_day);
    if by_phone >= limit || by_account >= limit {
        return Err(ErrorCode::BankCheckRateLimited.into());
    }
    // ThreadRng is not Send: keep it out of any scope that awaits.
    let (id, word) = {
        let mut rng = rand::rng();
        (
            EnrolmentId::generate(now, &mut rng),
            TransferWord::generate(&mut rng),
        )
    };
    let check = BankCheck {
        id,
        person: person.clone(),
        bank: bank.clone(),
        account: account.clone(),
        word_hash: word_hash(state, id, &word),
        attempts: 0,
        expires_at: now + state.policy.bank_word_ttl,
        completed_at: None,
    };
    state.store.insert_bank_check(&check, now).await?;
    let deposit = Deposit {
        bank: bank.clone(),
        account: account.clone(),
        holder: person,
        word,
    };
    let sent = state.bank.deposit(&deposit).await;
    crate::metrics::bank_deposit(match &sent {
        Ok(()) => "sent",
        Err(BankError::AccountRefused) => "refused",
        Err(_) => "failed",
    });
    match sent {
        Ok(()) => {}
        Err(BankError::AccountRefused) => {
            tracing::info!(enrolment = %id, bank = bank.as_str(), "the bank refused the account");
            return Err(ErrorCode::BankAccountRefused.into());
        }
        Err(e) => {
            tracing::error!(error = %e, "bank gateway failed");
            return Err(ErrorCode::Unavailable.into());
        }
    }
    tracing::info!(enrolment = %id, bank = bank.as_str(), "account check started");
    Ok(BankEnrolmentStarted {
        enrolment_id: id.to_string(),
        expire_in: i64::try_from(state.policy.bank_word_ttl.as_secs()).unwrap_or(i64::MAX),
        max_attempts: state.policy.bank_word_max_attempts,
        bank_code: bank.as_str().to_owned(),
        bank_name: bank.name().map(str::to_owned),
        masked_account: account.masked(),
    })
}

/// Check the word and the CSR; issue the certificate; register the device.
#[tracing::instrument(skip_all, fields(enrolment = %enrolment_id))]
pub async fn complete(
    state: &AppState,
    enrolment_id: &str,
    wire: &BankEnrolmentComplete,
) -> Result<EnrolmentCompleted, ApiError> {
    let csr_der = csr_der(wire.csr.as_deref())?;
    let pin_proof = pin_proof(wire.pin_proof.as_deref())?;
    let (id, person) = checked_word(state, enrolment_id, wire.word.as_deref()).await?;
    let csr = dojang_pki::check_csr(&csr_der, person.name.as_str())?;
    issue(
        state,
        &person,
        &csr,
        Proof::Bank(id),
        pin_proof,
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| ErrorCode::EnrolmentCompleted.into())
}

/// Count and judge a try at an open check's word; the person the account check proved.
/// Shared by the app's enrolment and the cloud certificate's issuance; the caller validates
/// the rest of its input first, so a malformed request does not use up a try.
pub async fn checked_word(
    state: &AppState,
    enrolment_id: &str,
    word: Option<&str>,
) -> Result<(EnrolmentId, Person), ApiError> {
    let id: EnrolmentId = enrolment_id.parse()?;
    let word = TransferWord::parse(word.unwrap_or(""))?;
    let now = state.clock.now();
    let max = state.policy.bank_word_max_attempts;
    let stored = state
        .store
        .bank_check(id)
        .await?
        .ok_or(ErrorCode::EnrolmentNotFound)?;
    stored.check_open(now, max)?;
    let Some(counted) = state.store.count_bank_attempt(id, max).await? else {
        // Completed or locked between the read and the count.
        let again = state
            .store
            .bank_check(id)
            .await?
            .ok_or(ErrorCode::EnrolmentNotFound)?;
        again.check_open(now, max)?;
        return Err(ErrorCode::BankWordTooManyAttempts.into());
    };
    counted.judge(&word_hash(state, id, &word), max)?;
    Ok((id, counted.person))
}
