//! Identifiers: their formats, parsing and generation.

use std::fmt;
use std::str::FromStr;

use rand::CryptoRng;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ValidationError;

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

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

/// A relying party's 12-digit client code (이용기관 코드).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientCode(String);

impl ClientCode {
    /// A fresh random code.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        Self(random_digits(rng, 12))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ClientCode {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 12 && all_digits(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::ClientCodeInvalid)
        }
    }
}

impl fmt::Display for ClientCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request's receipt id (접수 아이디): `YYMMDD` of the day it was made (KST) followed by random
/// digits, so ids are unguessable and sort roughly by day. Two forms: the long one (32 digits,
/// 26 random: about 86 bits) of the native API, barocert and kakaocert 2.x, and the short one
/// (20 digits, 14 random: about 46 bits) that kakaocert 1.x's documents size their columns for
/// (`receiptID String 20`). Each dialect accepts only its own form ([`ReceiptId::parse_in`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptId(String);

/// The two forms of a receipt id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptForm {
    /// 32 digits: the native API, barocert, kakaocert 2.x.
    Long,
    /// 20 digits: kakaocert 1.x (API 1.0).
    Short,
}

impl ReceiptForm {
    /// Digits in an id of this form.
    pub const fn len(self) -> usize {
        match self {
            Self::Long => 32,
            Self::Short => 20,
        }
    }

    /// Never: every form has digits (clippy's `len` companion).
    pub const fn is_empty(self) -> bool {
        false
    }
}

impl ReceiptId {
    /// A fresh long id for a request made at `now`.
    pub fn generate(now: OffsetDateTime, rng: &mut impl CryptoRng) -> Self {
        Self::generate_in(ReceiptForm::Long, now, rng)
    }

    /// A fresh id of `form` for a request made at `now`.
    pub fn generate_in(form: ReceiptForm, now: OffsetDateTime, rng: &mut impl CryptoRng) -> Self {
        let kst = now.to_offset(dojang_proto::datetime::KST);
        let mut s = format!(
            "{:02}{:02}{:02}",
            kst.year().rem_euclid(100),
            u8::from(kst.month()),
            kst.day()
        );
        s.push_str(&random_digits(rng, form.len() - 6));
        Self(s)
    }

    /// An id of exactly this form; the other form is as invalid as any other string.
    pub fn parse_in(s: &str, form: ReceiptForm) -> Result<Self, ValidationError> {
        if s.len() == form.len() && all_digits(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::ReceiptIdInvalid)
        }
    }

    /// Which form this id has.
    pub fn form(&self) -> ReceiptForm {
        if self.0.len() == ReceiptForm::Short.len() {
            ReceiptForm::Short
        } else {
            ReceiptForm::Long
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Either form (the store, the device API and the consoles read both; dialects check theirs
/// with [`ReceiptId::parse_in`]).
impl FromStr for ReceiptId {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_in(s, ReceiptForm::Long).or_else(|_| Self::parse_in(s, ReceiptForm::Short))
    }
}

impl fmt::Display for ReceiptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $err:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh UUIDv7 id (time-ordered) from the injected time and randomness.
            pub fn generate(now: OffsetDateTime, rng: &mut impl CryptoRng) -> Self {
                let mut random = [0u8; 10];
                rng.fill_bytes(&mut random);
                let millis = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
                Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map(Self).map_err(|_| ValidationError::$err)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A member: one person holding (or about to hold) a dojang certificate.
    MemberId,
    MemberIdInvalid
);
uuid_id!(
    /// An enrolled device (one app installation).
    DeviceId,
    DeviceIdInvalid
);
uuid_id!(
    /// An enrolment in progress.
    EnrolmentId,
    EnrolmentIdInvalid
);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use time::macros::datetime;

    #[test]
    fn receipt_ids_are_32_digits_starting_with_the_kst_date() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let id = ReceiptId::generate(datetime!(2026-11-21 16:00 UTC), &mut rng);
        assert_eq!(id.as_str().len(), 32);
        assert!(id.as_str().starts_with("261122"));
        assert_eq!(id.as_str().parse::<ReceiptId>().unwrap(), id);
        let other = ReceiptId::generate(datetime!(2026-11-21 16:00 UTC), &mut rng);
        assert_ne!(id, other);
    }

    #[test]
    fn short_receipt_ids_are_20_digits_and_each_form_parses_only_as_itself() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let now = datetime!(2026-11-21 16:00 UTC);
        let short = ReceiptId::generate_in(ReceiptForm::Short, now, &mut rng);
        assert_eq!(short.as_str().len(), 20);
        assert!(short.as_str().starts_with("261122"));
        assert_eq!(short.form(), ReceiptForm::Short);
        let long = ReceiptId::generate(now, &mut rng);
        assert_eq!(long.form(), ReceiptForm::Long);
        assert!(ReceiptId::parse_in(short.as_str(), ReceiptForm::Short).is_ok());
        assert!(ReceiptId::parse_in(short.as_str(), ReceiptForm::Long).is_err());
        assert!(ReceiptId::parse_in(long.as_str(), ReceiptForm::Short).is_err());
        assert_eq!(short.as_str().parse::<ReceiptId>().unwrap(), short);
        assert!("1".repeat(21).parse::<ReceiptId>().is_err());
        // Ordered by day, as the long form.
        let later =
            ReceiptId::generate_in(ReceiptForm::Short, now + time::Duration::days(1), &mut rng);
        assert!(later.as_str()[..6] > short.as_str()[..6]);
    }

    #[test]
    fn bad_ids_are_refused() {
        assert!("123".parse::<ReceiptId>().is_err());
        assert!(
            "1234567890123456789012345678901a"
                .parse::<ReceiptId>()
                .is_err()
        );
        assert!("12345678901".parse::<ClientCode>().is_err());
        assert!("12345678901x".parse::<ClientCode>().is_err());
        assert!("123456789012".parse::<ClientCode>().is_ok());
        assert!("not-a-uuid".parse::<MemberId>().is_err());
    }

    #[test]
    fn uuid_ids_are_version_7_and_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let id = MemberId::generate(datetime!(2026-11-21 16:00 UTC), &mut rng);
        assert_eq!(id.0.get_version_num(), 7);
        assert_eq!(id.to_string().parse::<MemberId>().unwrap(), id);
    }
}
