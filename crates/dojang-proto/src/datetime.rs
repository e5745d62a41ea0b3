//! Date formats on the wire.
//!
//! * Status and result objects carry `yyyyMMddHHmmss` in Korea Standard Time (UTC+9, no daylight
//!   saving), as the kakaocert and barocert documents do: `requestDT`, `expireDT`, …
//! * The request-signing header `X-Dojang-Date` is RFC 3339, written in UTC with whole seconds.

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Korea Standard Time.
pub const KST: UtcOffset = offset!(+9);

const COMPACT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year][month][day][hour][minute][second]");

/// `yyyyMMddHHmmss` in KST.
pub fn format_kst(t: OffsetDateTime) -> String {
    // The format has only numeric components, which every date in range can print.
    t.to_offset(KST).format(COMPACT).unwrap_or_default()
}

/// Parse `yyyyMMddHHmmss` (KST).
pub fn parse_kst(s: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(s, COMPACT)
        .ok()
        .map(|p| p.assume_offset(KST))
}

/// `2026-11-22T01:02:03Z`: UTC, whole seconds.
pub fn format_rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// `2026-11-22T01:02:03.456Z`: UTC, milliseconds (device cards carry this precision so that push
/// delivery can be measured from the moment the server accepted a request).
pub fn format_rfc3339_millis(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(MILLIS)
        .unwrap_or_default()
}

const MILLIS: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Parse an RFC 3339 time (any offset, optional fraction).
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// Serde adapter for optional `yyyyMMddHHmmss` fields (`null` when absent).
pub mod kst_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    /// Serialize as `yyyyMMddHHmmss` or `null`.
    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_kst(*t)),
            None => s.serialize_none(),
        }
    }

    /// Deserialize `yyyyMMddHHmmss`, `null` or `""`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => super::parse_kst(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("expected yyyyMMddHHmmss")),
        }
    }
}

/// Serde adapter for required `yyyyMMddHHmmss` fields.
pub mod kst {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    /// Serialize as `yyyyMMddHHmmss`.
    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_kst(*t))
    }

    /// Deserialize `yyyyMMddHHmmss`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_kst(&s).ok_or_else(|| serde::de::Error::custom("expected yyyyMMddHHmmss"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn kst_is_nine_hours_ahead_of_utc() {
        let t = datetime!(2026-11-21 23:30:05 UTC);
        assert_eq!(format_kst(t), "20261122083005");
        assert_eq!(parse_kst("20261122083005"), Some(t));
        assert_eq!(parse_kst("2026112208300"), None);
        assert_eq!(parse_kst("20261322083005"), None);
    }

    #[test]
    fn rfc3339_is_utc_whole_seconds() {
        let t = datetime!(2026-11-22 01:02:03.456 +09:00);
        assert_eq!(format_rfc3339(t), "2026-11-21T16:02:03Z");
        assert_eq!(
            parse_rfc3339("2026-11-21T16:02:03.456Z"),
            Some(datetime!(2026-11-21 16:02:03.456 UTC))
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(format_rfc3339_millis(t), "2026-11-21T16:02:03.456Z");
        assert_eq!(
            format_rfc3339_millis(datetime!(2026-11-21 16:02:03 UTC)),
            "2026-11-21T16:02:03.000Z"
        );
        assert_eq!(
            format_rfc3339_millis(datetime!(2026-11-21 16:02:03.4 UTC)),
            "2026-11-21T16:02:03.400Z"
        );
    }
}
