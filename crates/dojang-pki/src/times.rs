//! Conversions between `time::OffsetDateTime` (our API) and the ASN.1 / webpki time types.
//!
//! X.509 and CMS times have whole-second resolution and cover 1970..=9999 here (the `der`
//! crate's range); sub-second parts are truncated.

use core::time::Duration;

use der::DateTime;
use rustls_pki_types::UnixTime;
use time::OffsetDateTime;
use x509_cert::time::Time;

use crate::PkiError;

/// `t` truncated to whole seconds, as a certificate or CMS would store it.
pub(crate) fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    // Every whole-second timestamp of a valid OffsetDateTime is itself valid.
    OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).unwrap_or(t)
}

/// An X.509 `Time`: UTCTime for 1950..=2049 (RFC 5280 §4.1.2.5), GeneralizedTime otherwise.
pub(crate) fn to_asn1(t: OffsetDateTime, what: &'static str) -> Result<Time, PkiError> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| PkiError::TimeOutOfRange(what))?;
    let dt = DateTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|_| PkiError::TimeOutOfRange(what))?;
    Ok(Time::from(dt))
}

/// The instant an X.509 `Time` denotes.
pub(crate) fn from_asn1(t: Time) -> Result<OffsetDateTime, PkiError> {
    let secs = i64::try_from(t.to_unix_duration().as_secs())
        .map_err(|_| PkiError::Encoding("time out of range".into()))?;
    OffsetDateTime::from_unix_timestamp(secs).map_err(PkiError::encoding)
}

/// The verification instant for webpki. Instants before 1970 become the epoch, at which no
/// dojang certificate is valid.
pub(crate) fn to_unix(t: OffsetDateTime) -> UnixTime {
    let secs = u64::try_from(t.unix_timestamp()).unwrap_or(0);
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

/// `t` plus `years` calendar years; 29 February becomes 28 February in a non-leap target year.
pub(crate) fn add_years(t: OffsetDateTime, years: u32) -> Result<OffsetDateTime, PkiError> {
    const ERR: PkiError = PkiError::TimeOutOfRange("the CA's not_after");
    let year = i32::try_from(years)
        .ok()
        .and_then(|y| t.year().checked_add(y))
        .ok_or(ERR)?;
    match t.replace_year(year) {
        Ok(v) => Ok(v),
        Err(_) => t
            .replace_day(28)
            .and_then(|d| d.replace_year(year))
            .map_err(|_| ERR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn utc_time_before_2050_generalized_after() {
        let a = to_asn1(datetime!(2049-12-31 23:59:59 UTC), "t").unwrap();
        assert!(matches!(a, Time::UtcTime(_)));
        let b = to_asn1(datetime!(2050-01-01 00:00:00 UTC), "t").unwrap();
        assert!(matches!(b, Time::GeneralTime(_)));
        assert_eq!(from_asn1(b).unwrap(), datetime!(2050-01-01 00:00:00 UTC));
    }

    #[test]
    fn offsets_and_subseconds_are_normalised() {
        let t = datetime!(2026-11-22 10:30:15.75 +09:00);
        assert_eq!(
            from_asn1(to_asn1(t, "t").unwrap()).unwrap(),
            datetime!(2026-11-22 01:30:15 UTC)
        );
        assert_eq!(truncate(t), datetime!(2026-11-22 01:30:15 UTC));
    }

    #[test]
    fn out_of_range_times_are_errors() {
        assert!(to_asn1(datetime!(1969-12-31 23:59:59 UTC), "t").is_err());
        assert!(add_years(datetime!(9990-01-01 00:00 UTC), 20).is_err());
    }

    #[test]
    fn leap_day_plus_years() {
        assert_eq!(
            add_years(datetime!(2028-02-29 12:00 UTC), 1).unwrap(),
            datetime!(2029-02-28 12:00 UTC)
        );
    }
}
