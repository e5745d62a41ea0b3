//! Enrolment by bank-account ownership (계좌 인증): the person names a bank and an account, dojang
//! deposits 1 won whose memo is a 4-syllable word, and the person types the word back into the
//! app. The account provider is expected to deposit only into an account held by the named
//! person (its real-name check), so the word proves the person as well as the account.

use rand::CryptoRng;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::error::{CoreError, ValidationError};
use crate::ids::EnrolmentId;
use crate::person::Person;
use crate::settings::BANK_ACCOUNT_NUM_MAX_CHARS;

/// A bank's 3-digit code (금융기관 코드, as used by the Korea Financial Telecommunications &
/// Clearings Institute), e.g. `004`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankCode(String);

/// The codes dojang can name (others are accepted and passed to the gateway as they are).
const BANK_NAMES: &[(&str, &str)] = &[
    ("002", "KDB산업은행"),
    ("003", "IBK기업은행"),
    ("004", "KB국민은행"),
    ("007", "수협은행"),
    ("011", "NH농협은행"),
    ("020", "우리은행"),
    ("023", "SC제일은행"),
    ("027", "한국씨티은행"),
    ("031", "iM뱅크"),
    ("032", "부산은행"),
    ("034", "광주은행"),
    ("035", "제주은행"),
    ("037", "전북은행"),
    ("039", "경남은행"),
    ("045", "새마을금고"),
    ("048", "신협"),
    ("071", "우체국"),
    ("081", "하나은행"),
    ("088", "신한은행"),
    ("089", "케이뱅크"),
    ("090", "카카오뱅크"),
    ("092", "토스뱅크"),
];

impl BankCode {
    /// Validate a bank code.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.is_empty() {
            Err(ValidationError::BankCodeMissing)
        } else if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::BankCodeInvalid)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every code dojang can name, with the name, in code order (what a form offers).
    pub fn known() -> &'static [(&'static str, &'static str)] {
        BANK_NAMES
    }

    /// The bank's name, when the code is one dojang knows.
    pub fn name(&self) -> Option<&'static str> {
        BANK_NAMES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, name)| *name)
    }
}

/// An account number as the person typed it: digits and `-`, at least one digit, at most 31
/// characters (the rule of the debit-consent account too). `Debug` does not print it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    /// Validate an account number.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValidationError::BankAccountNumMissing);
        }
        if s.chars().count() > BANK_ACCOUNT_NUM_MAX_CHARS
            || !s.chars().all(|c| c.is_ascii_digit() || c == '-')
            || !s.chars().any(|c| c.is_ascii_digit())
        {
            return Err(ValidationError::BankAccountNumInvalid);
        }
        Ok(Self(s.to_owned()))
    }

    /// As typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits alone: what identifies the account (`123-456` and `123456` are one account).
    pub fn digits(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }

    /// Safe to show: the first three and last three digits of a long number (the last two of a
    /// short one), every other digit as `*`, dashes kept: `123-***-789`.
    pub fn masked(&self) -> String {
        let n = self.0.chars().filter(char::is_ascii_digit).count();
        let (head, tail) = if n >= 8 { (3, 3) } else { (0, 2) };
        let mut i = 0;
        self.0
            .chars()
            .map(|c| {
                if !c.is_ascii_digit() {
                    return c;
                }
                let shown = i < head || i + tail >= n;
                i += 1;
                if shown { c } else { '*' }
            })
            .collect()
    }
}

impl std::fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountNumber(***)")
    }
}

/// Initial consonants of the word's syllables (ㄱ ㄴ ㄷ ㄹ ㅁ ㅂ ㅅ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ), as indices of
/// Unicode's Hangul syllable composition.
const INITIALS: [u32; 14] = [0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18];
/// Vowels (ㅏ ㅓ ㅗ ㅜ ㅣ), as composition indices.
const VOWELS: [u32; 5] = [0, 4, 8, 13, 20];
/// How many syllables a word draws from: 70, so a word is one of 70^4 ≈ 24 million.
pub const WORD_ALPHABET: u32 = 14 * 5;
/// Syllables in a word.
pub const WORD_LEN: usize = 4;

const SYLLABLE_BASE: u32 = 0xAC00;
const SYLLABLE_LAST: u32 = 0xD7A3;

/// The `i`-th syllable of the alphabet (`i < 70`): a consonant and a simple vowel, no final
/// consonant, so it is easy to read on a bank statement and to type.
fn syllable(i: u32) -> char {
    let l = INITIALS
        .get(usize::try_from(i / 5).unwrap_or(usize::MAX))
        .copied()
        .unwrap_or(0);
    let v = VOWELS
        .get(usize::try_from(i % 5).unwrap_or(usize::MAX))
        .copied()
        .unwrap_or(0);
    char::from_u32(SYLLABLE_BASE + (l * 21 + v) * 28).unwrap_or('가')
}

/// Compose conjoining jamo (U+1100 block, as NFD input delivers Hangul) into syllables, so a word
/// typed on any keyboard compares equal.
fn compose(input: impl Iterator<Item = char>) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in input {
        let u = u32::from(c);
        let last = out.last().map(|&p| u32::from(p));
        let composed = match last {
            // A leading consonant followed by a vowel: an LV syllable.
            Some(l) if (0x1100..=0x1112).contains(&l) && (0x1161..=0x1175).contains(&u) => {
                char::from_u32(SYLLABLE_BASE + ((l - 0x1100) * 21 + (u - 0x1161)) * 28)
            }
            // An LV syllable followed by a trailing consonant: an LVT syllable.
            Some(s)
                if (SYLLABLE_BASE..=SYLLABLE_LAST).contains(&s)
                    && (s - SYLLABLE_BASE).is_multiple_of(28)
                    && (0x11A8..=0x11C2).contains(&u) =>
            {
                char::from_u32(s + (u - 0x11A7))
            }
            _ => None,
        };
        match composed {
            Some(syl) => {
                out.pop();
                out.push(syl);
            }
            None => out.push(c),
        }
    }
    out.into_iter().collect()
}

/// The word a 1-won deposit carries as its memo: 4 Hangul syllables. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct TransferWord(String);

impl TransferWord {
    /// A fresh uniformly random word.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut s = String::with_capacity(WORD_LEN * 3);
        let mut n = 0;
        while n < WORD_LEN {
            let mut b = [0u8; 1];
            rng.fill_bytes(&mut b);
            // Rejection sampling keeps every syllable uniform: 210 = 3 * 70.
            if let Some(&x) = b.first().filter(|&&x| u32::from(x) < 3 * WORD_ALPHABET) {
                s.push(syllable(u32::from(x) % WORD_ALPHABET));
                n += 1;
            }
        }
        Self(s)
    }

    /// Validate a word typed by a person: 4 Hangul syllables; spaces are ignored and
    /// decomposed jamo are composed.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.len() > 64 {
            return Err(ValidationError::BankWordFormat);
        }
        let w = compose(s.chars().filter(|c| !c.is_whitespace()));
        if w.chars().count() == WORD_LEN
            && w.chars()
                .all(|c| (SYLLABLE_BASE..=SYLLABLE_LAST).contains(&u32::from(c)))
        {
            Ok(Self(w))
        } else {
            Err(ValidationError::BankWordFormat)
        }
    }

    /// The syllables.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TransferWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransferWord(***)")
    }
}

/// A bank-account check as stored. The word is kept only as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankCheck {
    /// Id (an enrolment id: it ends in a certificate like any enrolment).
    pub id: EnrolmentId,
    /// Who is enrolling: the account holder.
    pub person: Person,
    /// The bank.
    pub bank: BankCode,
    /// The account.
    pub account: AccountNumber,
    /// Keyed hash of the word.
    pub word_hash: Vec<u8>,
    /// Words tried so far (including the one being checked, once recorded).
    pub attempts: u32,
    /// When the word stops being valid.
    pub expires_at: OffsetDateTime,
    /// When the check ended in a certificate.
    pub completed_at: Option<OffsetDateTime>,
}

impl BankCheck {
    /// May a word still be tried?
    pub fn check_open(&self, now: OffsetDateTime, max_attempts: u32) -> Result<(), CoreError> {
        if self.completed_at.is_some() {
            return Err(CoreError::EnrolmentCompleted);
        }
        if self.attempts >= max_attempts {
            return Err(CoreError::BankWordTooManyAttempts);
        }
        if now >= self.expires_at {
            return Err(CoreError::BankCheckExpired);
        }
        Ok(())
    }

    /// Judge a tried word, given its keyed hash, after the attempt was counted
    /// (`self.attempts` includes it). Constant-time comparison.
    pub fn judge(&self, candidate_hash: &[u8], max_attempts: u32) -> Result<(), CoreError> {
        if bool::from(self.word_hash.as_slice().ct_eq(candidate_hash)) {
            return Ok(());
        }
        match max_attempts.saturating_sub(self.attempts) {
            0 => Err(CoreError::BankWordTooManyAttempts),
            remaining => Err(CoreError::BankWordWrong { remaining }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::{Birthday, PersonName, Phone};
    use rand::SeedableRng;
    use std::collections::HashSet;
    use std::time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 00:00 UTC);

    #[test]
    fn bank_codes_and_accounts() {
        assert_eq!(BankCode::parse(" 004 ").unwrap().as_str(), "004");
        assert_eq!(BankCode::parse("004").unwrap().name(), Some("KB국민은행"));
        assert_eq!(BankCode::parse("999").unwrap().name(), None);
        assert_eq!(BankCode::parse(""), Err(ValidationError::BankCodeMissing));
        for bad in ["04", "0004", "abc", "０04", "0 4"] {
            assert_eq!(
                BankCode::parse(bad),
                Err(ValidationError::BankCodeInvalid),
                "{bad}"
            );
        }
        let a = AccountNumber::parse("123-456-789").unwrap();
        assert_eq!(a.digits(), "123456789");
        assert_eq!(a.masked(), "123-***-789");
        assert_eq!(AccountNumber::parse("12345").unwrap().masked(), "***45");
        assert_eq!(
            AccountNumber::parse("110-123-456789").unwrap().masked(),
            "110-***-***789"
        );
        assert!(!format!("{a:?}").contains("456"));
        assert_eq!(
            AccountNumber::parse(" "),
            Err(ValidationError::BankAccountNumMissing)
        );
        for bad in ["12a", "---", "1".repeat(32).as_str(), "123 456", "١٢٣"] {
            assert_eq!(
                AccountNumber::parse(bad),
                Err(ValidationError::BankAccountNumInvalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn words_are_four_syllables_from_seventy() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let alphabet: HashSet<char> = (0..WORD_ALPHABET).map(syllable).collect();
        assert_eq!(alphabet.len(), 70);
        assert!(alphabet.contains(&'가') && alphabet.contains(&'히'));
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let w = TransferWord::generate(&mut rng);
            assert_eq!(w.as_str().chars().count(), 4);
            assert!(w.as_str().chars().all(|c| alphabet.contains(&c)));
            assert_eq!(TransferWord::parse(w.as_str()).unwrap(), w);
            seen.extend(w.as_str().chars());
        }
        // Every syllable turns up: the draw is not stuck on part of the alphabet.
        assert_eq!(seen.len(), 70);
        assert!(!format!("{:?}", TransferWord::parse("하늘바다").unwrap()).contains('하'));
    }

    #[test]
    fn typed_words_are_normalised_or_refused() {
        let w = TransferWord::parse(" 하늘 바다 ").unwrap();
        assert_eq!(w.as_str(), "하늘바다");
        // Decomposed jamo (NFD, as some keyboards and systems deliver them) compose.
        let nfd = "\u{1112}\u{1161}\u{1102}\u{1173}\u{11AF}\u{1107}\u{1161}\u{1103}\u{1161}";
        assert_eq!(TransferWord::parse(nfd).unwrap(), w);
        for bad in [
            "",
            "하늘바",
            "하늘바다다",
            "abcd",
            "1234",
            "하늘ba",
            "ㅎㅏ늘바",
        ] {
            assert_eq!(
                TransferWord::parse(bad),
                Err(ValidationError::BankWordFormat),
                "{bad}"
            );
        }
        assert_eq!(
            TransferWord::parse(&"가".repeat(100)),
            Err(ValidationError::BankWordFormat)
        );
    }

    fn check(attempts: u32) -> BankCheck {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        BankCheck {
            id: EnrolmentId::generate(NOW, &mut rng),
            person: Person {
                name: PersonName::parse("홍길동").unwrap(),
                phone: Phone::parse("01012345678").unwrap(),
                birthday: Birthday::parse("19900101", NOW).unwrap(),
            },
            bank: BankCode::parse("004").unwrap(),
            account: AccountNumber::parse("123-456-789").unwrap(),
            word_hash: vec![1, 2, 3],
            attempts,
            expires_at: NOW + Duration::from_secs(600),
            completed_at: None,
        }
    }

    #[test]
    fn three_tries_ten_minutes_once() {
        assert_eq!(
            check(1).judge(&[9], 3),
            Err(CoreError::BankWordWrong { remaining: 2 })
        );
        assert_eq!(
            check(3).judge(&[9], 3),
            Err(CoreError::BankWordTooManyAttempts)
        );
        assert_eq!(check(3).judge(&[1, 2, 3], 3), Ok(()));
        assert_eq!(
            check(3).check_open(NOW, 3),
            Err(CoreError::BankWordTooManyAttempts)
        );
        assert_eq!(check(2).check_open(NOW, 3), Ok(()));
        assert_eq!(
            check(0).check_open(NOW + Duration::from_secs(600), 3),
            Err(CoreError::BankCheckExpired)
        );
        let mut done = check(1);
        done.completed_at = Some(NOW);
        assert_eq!(done.check_open(NOW, 3), Err(CoreError::EnrolmentCompleted));
    }
}
