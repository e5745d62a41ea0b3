//! Building distinguished names attribute by attribute (no RFC 4514 string escaping involved,
//! so a Korean name or a comma in an organisation name is carried as is).

use const_oid::ObjectIdentifier;
use der::{Any, Decode, Encode, Tag};
use x509_cert::{
    attr::AttributeTypeAndValue,
    name::{Name, RdnSequence, RelativeDistinguishedName},
};

/// How an attribute value is encoded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// PrintableString; the caller has checked the alphabet with [`is_printable`].
    Printable,
    /// UTF8String.
    Utf8,
}

/// A Name with one single-valued RDN per attribute, in the given order (most significant
/// first, e.g. C, O, CN).
pub(crate) fn build(attrs: &[(ObjectIdentifier, Kind, &str)]) -> der::Result<Name> {
    build_after(&[], attrs)
}

/// Like [`build`], with already encoded attributes (copied from another name) first.
pub(crate) fn build_after(
    prefix: &[AttributeTypeAndValue],
    attrs: &[(ObjectIdentifier, Kind, &str)],
) -> der::Result<Name> {
    let mut rdns = RdnSequence::default();
    for atv in prefix {
        rdns.push(RelativeDistinguishedName::try_from(vec![atv.clone()])?);
    }
    for (oid, kind, value) in attrs {
        let tag = match kind {
            Kind::Printable => Tag::PrintableString,
            Kind::Utf8 => Tag::Utf8String,
        };
        let atv = AttributeTypeAndValue {
            oid: *oid,
            value: Any::new(tag, value.as_bytes())?,
        };
        rdns.push(RelativeDistinguishedName::try_from(vec![atv])?);
    }
    Name::from_der(&rdns.to_der()?)
}

/// Whether `s` only uses the PrintableString alphabet (X.680 §41.4).
pub(crate) fn is_printable(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    })
}

/// Every common name in `name` as text. Values that are not a DirectoryString make this an
/// error.
pub(crate) fn common_names(name: &Name) -> der::Result<Vec<String>> {
    name.iter()
        .filter(|atv| atv.oid == const_oid::db::rfc4519::COMMON_NAME)
        .map(|atv| {
            x509_cert::ext::pkix::name::DirectoryString::try_from(&atv.value)
                .map(|s| s.value().into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use const_oid::db::rfc4519::{COMMON_NAME, COUNTRY_NAME};

    #[test]
    fn korean_common_name_round_trips() {
        let name = build(&[
            (COUNTRY_NAME, Kind::Printable, "KR"),
            (COMMON_NAME, Kind::Utf8, "홍길동, 주식회사"),
        ])
        .unwrap();
        assert_eq!(common_names(&name).unwrap(), vec!["홍길동, 주식회사"]);
        assert_eq!(name.len(), 2);
    }

    #[test]
    fn printable_alphabet() {
        assert!(is_printable("0198f3a2-7c4e-7b1a-9f00-123456789abc"));
        assert!(!is_printable("a_b"));
        assert!(!is_printable("홍"));
        assert!(!is_printable("a@b"));
    }
}
