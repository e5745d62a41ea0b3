//! Enrolment by SMS one-time code: a person names themselves, a 6-digit code goes to their
//! phone, and the app sends the code back with a CSR.

use rand::CryptoRng;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::error::{CoreError, ValidationError};
use crate::ids::EnrolmentId;
use crate::person::Person;

/// A 6-digit one-time code. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// A fresh uniformly random code.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut s = String::with_capacity(6);
        while s.len() < 6 {
            let mut b = [0u8; 1];
            rng.fill_bytes(&mut b);
            if let Some(&x) = b.first().filter(|&&x| x < 250) {
                s.push(char::from(b'0' + x % 10));
            }
        }
        Self(s)
    }

    /// Validate a code typed by a person.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::OtpFormat)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SMS text carrying the code.
    pub fn sms_text(&self, ttl_minutes: u64) -> String {
        format!(
            "[dojang] 인증번호 {} ({}분 안에 입력하세요. 타인에게 알려주지 마세요.) Your dojang code is {}.",
            self.0, ttl_minutes, self.0
        )
    }
}

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeCode(***)")
    }
}

/// An enrolment as stored. The code is kept only as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Id.
    pub id: EnrolmentId,
    /// Who is enrolling.
    pub person: Person,
    /// Keyed hash of the code.
    pub code_hash: Vec<u8>,
    /// Codes tried so far (including the one being checked, once recorded).
    pub attempts: u32,
    /// When the code stops being valid.
    pub expires_at: OffsetDateTime,
    /// When the enrolment ended in a certificate.
    pub completed_at: Option<OffsetDateTime>,
}

impl Enrolment {
    /// May a code still be tried?
    pub fn check_open(&self, now: OffsetDateTime, max_attempts: u32) -> Result<(), CoreError> {
        if self.completed_at.is_some() {
            return Err(CoreError::EnrolmentCompleted);
        }
        if self.attempts >= max_attempts {
            return Err(CoreError::OtpTooManyAttempts);
        }
        if now >= self.expires_at {
            return Err(CoreError::EnrolmentExpired);
        }
        Ok(())
    }

    /// Judge a tried code, given its keyed hash, after the attempt was counted
    /// (`self.attempts` includes it). Constant-time comparison.
    pub fn judge(&self, candidate_hash: &[u8], max_attempts: u32) -> Result<(), CoreError> {
        if bool::from(self.code_hash.as_slice().ct_eq(candidate_hash)) {
            return Ok(());
        }
        let remaining = max_attempts.saturating_sub(self.attempts);
        if remaining == 0 {
            Err(CoreError::OtpTooManyAttempts)
        } else {
            Err(CoreError::OtpWrong { remaining })
        }
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

    fn enrolment(attempts: u32) -> Enrolment {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        Enrolment {
            id: EnrolmentId::generate(NOW, &mut rng),
            person: Person {
                name: PersonName::parse("홍길동").unwrap(),
                phone: Phone::parse("01012345678").unwrap(),
                birthday: Birthday::parse("19900101", NOW).unwrap(),
            },
            code_hash: vec![1, 2, 3],
            attempts,
            expires_at: NOW + Duration::from_secs(180),
            completed_at: None,
        }
    }

    #[test]
    fn codes_are_six_digits() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for _ in 0..100 {
            let c = OneTimeCode::generate(&mut rng);
            assert_eq!(OneTimeCode::parse(c.as_str()).unwrap(), c);
        }
        assert_eq!(OneTimeCode::parse("12345"), Err(ValidationError::OtpFormat));
        assert_eq!(
            OneTimeCode::parse("12345a"),
            Err(ValidationError::OtpFormat)
        );
        assert!(!format!("{:?}", OneTimeCode::parse("123456").unwrap()).contains("123456"));
    }

    #[test]
    fn five_tries_then_locked() {
        assert_eq!(
            enrolment(1).judge(&[9], 5),
            Err(CoreError::OtpWrong { remaining: 4 })
        );
        assert_eq!(
            enrolment(4).judge(&[9], 5),
            Err(CoreError::OtpWrong { remaining: 1 })
        );
        assert_eq!(
            enrolment(5).judge(&[9], 5),
            Err(CoreError::OtpTooManyAttempts)
        );
        assert_eq!(enrolment(5).judge(&[1, 2, 3], 5), Ok(()));
        assert_eq!(
            enrolment(5).check_open(NOW, 5),
            Err(CoreError::OtpTooManyAttempts)
        );
        assert_eq!(enrolment(4).check_open(NOW, 5), Ok(()));
        assert_eq!(
            enrolment(0).check_open(NOW + Duration::from_secs(180), 5),
            Err(CoreError::EnrolmentExpired)
        );
        let mut done = enrolment(1);
        done.completed_at = Some(NOW);
        assert_eq!(done.check_open(NOW, 5), Err(CoreError::EnrolmentCompleted));
    }
}
