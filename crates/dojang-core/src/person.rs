//! A person as relying parties name them: legal name, mobile number, birth date.

use std::fmt;

use time::{Date, Month, OffsetDateTime};

use crate::error::ValidationError;

/// Longest accepted name, in characters (as barocert allows).
pub const NAME_MAX_CHARS: usize = 80;

/// A legal name: 1–80 characters, none that may not be shown (controls, and format characters
/// such as bidi overrides and zero-width spaces: `dojang_proto::text::is_unsafe`), outer
/// whitespace removed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Validate a name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValidationError::NameMissing);
        }
        if s.chars().count() > NAME_MAX_CHARS {
            return Err(ValidationError::NameTooLong);
        }
        // Found by fuzzing: a check on controls alone let U+202E (right-to-left override) and
        // other format characters into names typed on the hosted login and the enrolment.
        if s.chars().any(dojang_proto::text::is_unsafe) {
            return Err(ValidationError::NameInvalid);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mobile number: 10 or 11 digits, no separators.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Validate a number.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() {
            return Err(ValidationError::PhoneMissing);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::PhoneNotDigits);
        }
        if !(10..=11).contains(&s.len()) {
            return Err(ValidationError::PhoneLength);
        }
        Ok(Self(s.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `010-****-5678`: safe to show and to log.
    pub fn masked(&self) -> String {
        let s = &self.0;
        let (head, tail) = (
            s.get(..3).unwrap_or(""),
            s.get(s.len().saturating_sub(4)..).unwrap_or(""),
        );
        format!("{head}-****-{tail}")
    }
}

/// A birth date, `YYYYMMDD`: a real date between 1900-01-01 and today.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Birthday(Date);

impl Birthday {
    /// Validate a birth date against `now` (so "tomorrow" is refused).
    pub fn parse(s: &str, now: OffsetDateTime) -> Result<Self, ValidationError> {
        if s.is_empty() {
            return Err(ValidationError::BirthdayMissing);
        }
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::BirthdayFormat);
        }
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
        let (Some(y), Some(m), Some(d)) = (num(0..4), num(4..6), num(6..8)) else {
            return Err(ValidationError::BirthdayFormat);
        };
        let date = i32::try_from(y)
            .ok()
            .zip(u8::try_from(m).ok().and_then(|m| Month::try_from(m).ok()))
            .zip(u8::try_from(d).ok())
            .and_then(|((y, m), d)| Date::from_calendar_date(y, m, d).ok())
            .ok_or(ValidationError::BirthdayInvalid)?;
        let today = now.to_offset(dojang_proto::datetime::KST).date();
        if y < 1900 || date > today {
            return Err(ValidationError::BirthdayInvalid);
        }
        Ok(Self(date))
    }

    /// `YYYYMMDD`.
    pub fn to_compact(self) -> String {
        format!(
            "{:04}{:02}{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }

    /// The date.
    pub fn date(self) -> Date {
        self.0
    }
}

// Personal data never reaches logs through Debug.
macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($t), "(***)"))
            }
        }
    )*};
}
redacted_debug!(PersonName, Phone, Birthday);

/// Name, phone and birth date together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Legal name.
    pub name: PersonName,
    /// Mobile number.
    pub phone: Phone,
    /// Birth date.
    pub birthday: Birthday,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 00:00 UTC);

    #[test]
    fn names() {
        assert_eq!(PersonName::parse(" 홍길동 ").unwrap().as_str(), "홍길동");
        assert_eq!(PersonName::parse("  "), Err(ValidationError::NameMissing));
        assert_eq!(
            PersonName::parse(&"가".repeat(81)),
            Err(ValidationError::NameTooLong)
        );
        assert!(PersonName::parse(&"가".repeat(80)).is_ok());
        assert_eq!(
            PersonName::parse("a\u{0}b"),
            Err(ValidationError::NameInvalid)
        );
    }

    /// Found by the `validators` fuzz target: names with format characters were accepted.
    #[test]
    fn names_with_bidi_overrides_or_invisible_characters_are_refused() {
        for bad in [
            "\u{202e}홍길동",
            "홍\u{200b}길동",
            "홍길\u{2028}동",
            "\u{feff}Kim",
            "a\u{2066}b",
        ] {
            assert_eq!(
                PersonName::parse(bad),
                Err(ValidationError::NameInvalid),
                "{bad:?}"
            );
        }
        // Joiners are part of some scripts' spelling and stay accepted.
        assert!(PersonName::parse("a\u{200d}b").is_ok());
    }

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("01012345678").unwrap().masked(),
            "010-****-5678"
        );
        assert!(Phone::parse("0101234567").is_ok());
        assert_eq!(Phone::parse(""), Err(ValidationError::PhoneMissing));
        assert_eq!(
            Phone::parse("010-1234-5678"),
            Err(ValidationError::PhoneNotDigits)
        );
        assert_eq!(
            Phone::parse("０１０12345678"),
            Err(ValidationError::PhoneNotDigits)
        );
        assert_eq!(Phone::parse("010123456"), Err(ValidationError::PhoneLength));
        assert_eq!(
            Phone::parse("010123456789"),
            Err(ValidationError::PhoneLength)
        );
    }

    #[test]
    fn birthdays() {
        assert_eq!(
            Birthday::parse("19900101", NOW).unwrap().to_compact(),
            "19900101"
        );
        assert_eq!(
            Birthday::parse("", NOW),
            Err(ValidationError::BirthdayMissing)
        );
        assert_eq!(
            Birthday::parse("1990011", NOW),
            Err(ValidationError::BirthdayFormat)
        );
        assert_eq!(
            Birthday::parse("1990-1-1", NOW),
            Err(ValidationError::BirthdayFormat)
        );
        assert_eq!(
            Birthday::parse("19900230", NOW),
            Err(ValidationError::BirthdayInvalid)
        );
        assert_eq!(
            Birthday::parse("18991231", NOW),
            Err(ValidationError::BirthdayInvalid)
        );
        assert_eq!(
            Birthday::parse("20261123", NOW),
            Err(ValidationError::BirthdayInvalid)
        );
        // Today in Korea is already the 22nd at 00:00 UTC.
        assert!(Birthday::parse("20261122", NOW).is_ok());
    }

    #[test]
    fn debug_never_prints_personal_data() {
        let p = Phone::parse("01012345678").unwrap();
        assert_eq!(format!("{p:?}"), "Phone(***)");
    }
}
