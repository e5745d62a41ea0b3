//! A tiny zero-copy DER walker.
//!
//! Signatures are checked over the exact bytes that were signed (the CSR's
//! `CertificationRequestInfo`, the CMS signed attributes, the signer certificate), so those
//! parts are located in the input rather than re-encoded from decoded structures. Every read
//! is bounds-checked by the `der` reader; nothing here recurses, so deep nesting cannot
//! exhaust the stack.

use der::{Decode, Reader, SliceReader, Tag, TagNumber};

/// One DER TLV inside a larger input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The contents octets (the "V").
    pub value: &'a [u8],
    /// The whole encoding, tag and length included.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Parses `input` as exactly one TLV (no trailing bytes).
    pub fn parse(input: &'a [u8]) -> der::Result<Self> {
        let mut reader = SliceReader::new(input)?;
        let tlv = Self::read(&mut reader)?;
        reader.finish()?;
        Ok(tlv)
    }

    fn read(reader: &mut SliceReader<'a>) -> der::Result<Self> {
        let raw = reader.tlv_bytes()?;
        let mut inner = SliceReader::new(raw)?;
        let header = der::Header::decode(&mut inner)?;
        let value = inner.read_slice(header.length())?;
        inner.finish()?;
        Ok(Self {
            tag: header.tag(),
            value,
            raw,
        })
    }

    /// The TLVs inside a constructed value, in order.
    pub fn children(&self) -> der::Result<Vec<Tlv<'a>>> {
        let mut reader = SliceReader::new(self.value)?;
        let mut out = Vec::new();
        while !reader.is_finished() {
            out.push(Self::read(&mut reader)?);
        }
        Ok(out)
    }

    /// Errors unless this TLV has tag `tag`.
    pub fn expect(self, tag: Tag) -> der::Result<Self> {
        self.tag.assert_eq(tag)?;
        Ok(self)
    }

    /// Decodes the whole TLV as `T`.
    pub fn decode<T: Decode<'a, Error = der::Error>>(&self) -> der::Result<T> {
        T::from_der(self.raw)
    }
}

/// The context-specific tag `[n]`, constructed or primitive.
pub(crate) const fn context(number: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber(number),
    }
}

/// A readable name for an OID in error messages ("secp384r1"), or its dotted form.
pub(crate) fn oid_name(oid: &const_oid::ObjectIdentifier) -> String {
    const_oid::db::DB
        .by_oid(oid)
        .map_or_else(|| oid.to_string(), str::to_owned)
}

/// Lower-case hex of a DER INTEGER's contents, leading zero octets removed ("00" for zero).
pub(crate) fn integer_hex(contents: &[u8]) -> String {
    let start = contents
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(contents.len());
    match contents.get(start..) {
        Some(rest) if !rest.is_empty() => hex::encode(rest),
        _ => "00".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_nested_tlvs_and_keeps_raw_bytes() {
        // SEQUENCE { INTEGER 5, [0] { NULL } }
        let input = [0x30, 0x07, 0x02, 0x01, 0x05, 0xa0, 0x02, 0x05, 0x00];
        let outer = Tlv::parse(&input).unwrap().expect(Tag::Sequence).unwrap();
        let kids = outer.children().unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[0].tag, Tag::Integer);
        assert_eq!(kids[0].value, &[5]);
        assert_eq!(kids[1].tag, context(0, true));
        assert_eq!(kids[1].raw, &[0xa0, 0x02, 0x05, 0x00]);
    }

    #[test]
    fn rejects_trailing_truncated_and_indefinite() {
        assert!(Tlv::parse(&[0x05, 0x00, 0x00]).is_err());
        assert!(Tlv::parse(&[0x30, 0x05, 0x02, 0x01]).is_err());
        assert!(Tlv::parse(&[0x30, 0x80, 0x00, 0x00]).is_err());
        assert!(Tlv::parse(&[]).is_err());
    }

    #[test]
    fn integer_hex_strips_sign_octet() {
        assert_eq!(integer_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(integer_hex(&[0x7f]), "7f");
        assert_eq!(integer_hex(&[0x00]), "00");
    }
}
