//! Enrolment at a registration desk (RA, 등록 창구): an operator who checked the person's
//! identity in person issues a reference number (참조번호) and an authorisation code (인가코드);
//! the person types both into the app, which sends them with its CSR. The code is single use,
//! valid for a limited time, kept only as a keyed hash, and burnt after a few wrong tries.

use rand::CryptoRng;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::error::{CoreError, ValidationError};
use crate::person::Person;

/// Digits in a reference number.
pub const REFERENCE_LEN: usize = 10;
/// Digits in an authorisation code (about 53 bits).
pub const AUTHORIZATION_CODE_LEN: usize = 16;

fn random_digits(rng: &mut impl CryptoRng, n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        // Rejection sampling keeps every digit uniform: 250 = 25 * 10.
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        if let Some(&x) = b.first().filter(|&&x| x < 250) {
            out.push(char::from(b'0' + x % 10));
        }
    }
    out
}

/// `n` digits from what a person typed, ignoring spaces and `-` between groups.
fn typed_digits(s: &str, n: usize) -> Option<String> {
    if s.len() > 64 {
        return None;
    }
    let d: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (d.len() == n && d.bytes().all(|b| b.is_ascii_digit())).then_some(d)
}

/// A registration-desk reference number (참조번호): 10 random digits. Not a secret (it names
/// the code, like a user name), but unguessable enough that live ones are hard to find.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReferenceNumber(String);

impl ReferenceNumber {
    /// A fresh random reference number.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        Self(random_digits(rng, REFERENCE_LEN))
    }

    /// Validate a reference number typed by a person.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        typed_digits(s, REFERENCE_LEN)
            .map(Self)
            .ok_or(ValidationError::RefNumFormat)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReferenceNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registration-desk authorisation code (인가코드): 16 random digits. `Debug` does not print
/// it; it is shown once, when issued, and stored only as a keyed hash.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode(String);

impl AuthorizationCode {
    /// A fresh random code.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        Self(random_digits(rng, AUTHORIZATION_CODE_LEN))
    }

    /// Validate a code typed by a person (groups may be separated by `-` or spaces).
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        typed_digits(s, AUTHORIZATION_CODE_LEN)
            .map(Self)
            .ok_or(ValidationError::AuthCodeFormat)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// In groups of four, as printed for the person: `1234-5678-9012-3456`.
    pub fn grouped(&self) -> String {
        let mut s = String::with_capacity(AUTHORIZATION_CODE_LEN + 3);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                s.push('-');
            }
            s.push(c);
        }
        s
    }
}

impl std::fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthorizationCode(***)")
    }
}

/// Where a registration-desk code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaCodeState {
    /// May still be used.
    Outstanding,
    /// Ended in a certificate.
    Used,
    /// Cancelled by the operator.
    Cancelled,
    /// Burnt by too many wrong tries.
    Burnt,
    /// Its time ran out.
    Expired,
}

impl RaCodeState {
    /// A lower-case word for listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outstanding => "outstanding",
            Self::Used => "used",
            Self::Cancelled => "cancelled",
            Self::Burnt => "burnt",
            Self::Expired => "expired",
        }
    }
}

/// A registration-desk code as stored. The authorisation code is kept only as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaCode {
    /// The reference number.
    pub reference: ReferenceNumber,
    /// Who the desk issued it for.
    pub person: Person,
    /// Keyed hash of the authorisation code, bound to the reference number.
    pub code_hash: Vec<u8>,
    /// Tries so far (including the one being checked, once recorded).
    pub attempts: u32,
    /// When the desk issued it.
    pub issued_at: OffsetDateTime,
    /// When it stops being valid.
    pub expires_at: OffsetDateTime,
    /// When it ended in a certificate.
    pub used_at: Option<OffsetDateTime>,
    /// The certificate it ended in (serial, lower-case hex).
    pub serial: Option<String>,
    /// When the operator cancelled it.
    pub cancelled_at: Option<OffsetDateTime>,
}

impl RaCode {
    /// Where the code stands at `now`.
    pub fn state(&self, now: OffsetDateTime, max_attempts: u32) -> RaCodeState {
        if self.used_at.is_some() {
            RaCodeState::Used
        } else if self.cancelled_at.is_some() {
            RaCodeState::Cancelled
        } else if self.attempts >= max_attempts {
            RaCodeState::Burnt
        } else if now >= self.expires_at {
            RaCodeState::Expired
        } else {
            RaCodeState::Outstanding
        }
    }

    /// May the code still be tried?
    pub fn check_open(&self, now: OffsetDateTime, max_attempts: u32) -> Result<(), CoreError> {
        match self.state(now, max_attempts) {
            RaCodeState::Outstanding => Ok(()),
            RaCodeState::Used => Err(CoreError::RaUsed),
            RaCodeState::Cancelled => Err(CoreError::RaCancelled),
            RaCodeState::Burnt => Err(CoreError::RaTooManyAttempts),
            RaCodeState::Expired => Err(CoreError::RaExpired),
        }
    }

    /// Judge a tried code, given its keyed hash, after the attempt was counted
    /// (`self.attempts` includes it), then the person: the code first, so that someone without
    /// the code learns nothing about whose reference number it is. Constant-time comparison.
    pub fn judge(
        &self,
        candidate_hash: &[u8],
        person: &Person,
        max_attempts: u32,
    ) -> Result<(), CoreError> {
        if !bool::from(self.code_hash.as_slice().ct_eq(candidate_hash)) {
            return match max_attempts.saturating_sub(self.attempts) {
                0 => Err(CoreError::RaTooManyAttempts),
                remaining => Err(CoreError::RaCodeWrong { remaining }),
            };
        }
        if self.person != *person {
            return Err(CoreError::RaPersonMismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::{Birthday, PersonName, Phone};
    use rand::SeedableRng;
    use std::time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 00:00 UTC);

    fn person(name: &str) -> Person {
        Person {
            name: PersonName::parse(name).unwrap(),
            phone: Phone::parse("01012345678").unwrap(),
            birthday: Birthday::parse("19900101", NOW).unwrap(),
        }
    }

    fn code(attempts: u32) -> RaCode {
        RaCode {
            reference: ReferenceNumber::parse("1234567890").unwrap(),
            person: person("홍길동"),
            code_hash: vec![1, 2, 3],
            attempts,
            issued_at: NOW,
            expires_at: NOW + Duration::from_secs(7 * 86_400),
            used_at: None,
            serial: None,
            cancelled_at: None,
        }
    }

    #[test]
    fn numbers_are_generated_parsed_and_hidden() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..100 {
            let r = ReferenceNumber::generate(&mut rng);
            assert_eq!(ReferenceNumber::parse(r.as_str()).unwrap(), r);
            let c = AuthorizationCode::generate(&mut rng);
            assert_eq!(AuthorizationCode::parse(&c.grouped()).unwrap(), c);
        }
        let c = AuthorizationCode::parse("1234 5678-9012 3456").unwrap();
        assert_eq!(c.grouped(), "1234-5678-9012-3456");
        assert!(!format!("{c:?}").contains("1234"));
        assert_eq!(
            ReferenceNumber::parse("12345-67890").unwrap().as_str(),
            "1234567890"
        );
        for bad in ["", "123456789", "12345678901", "12345678x0", "１234567890"] {
            assert_eq!(
                ReferenceNumber::parse(bad),
                Err(ValidationError::RefNumFormat),
                "{bad}"
            );
        }
        for bad in [
            "",
            "123456789012345",
            "12345678901234567",
            "1234-5678-9012-345a",
        ] {
            assert_eq!(
                AuthorizationCode::parse(bad),
                Err(ValidationError::AuthCodeFormat),
                "{bad}"
            );
        }
        assert_eq!(
            AuthorizationCode::parse(&"-".repeat(100)),
            Err(ValidationError::AuthCodeFormat)
        );
    }

    #[test]
    fn single_use_limited_tries_and_time() {
        let p = person("홍길동");
        assert_eq!(code(0).check_open(NOW, 5), Ok(()));
        assert_eq!(code(1).judge(&[1, 2, 3], &p, 5), Ok(()));
        assert_eq!(
            code(1).judge(&[9], &p, 5),
            Err(CoreError::RaCodeWrong { remaining: 4 })
        );
        assert_eq!(
            code(5).judge(&[9], &p, 5),
            Err(CoreError::RaTooManyAttempts)
        );
        // The code is judged before the person: a wrong code says nothing about whose it is.
        assert_eq!(
            code(1).judge(&[9], &person("김철수"), 5),
            Err(CoreError::RaCodeWrong { remaining: 4 })
        );
        assert_eq!(
            code(1).judge(&[1, 2, 3], &person("김철수"), 5),
            Err(CoreError::RaPersonMismatch)
        );
        assert_eq!(
            code(5).check_open(NOW, 5),
            Err(CoreError::RaTooManyAttempts)
        );
        assert_eq!(
            code(0).check_open(NOW + Duration::from_secs(7 * 86_400), 5),
            Err(CoreError::RaExpired)
        );
        let mut used = code(1);
        used.used_at = Some(NOW);
        assert_eq!(used.check_open(NOW, 5), Err(CoreError::RaUsed));
        assert_eq!(used.state(NOW, 5), RaCodeState::Used);
        let mut cancelled = code(5);
        cancelled.cancelled_at = Some(NOW);
        assert_eq!(cancelled.check_open(NOW, 5), Err(CoreError::RaCancelled));
        assert_eq!(code(2).state(NOW, 5).as_str(), "outstanding");
    }
}
