//! Relying parties (이용기관) and their credentials.

use std::fmt;

use rand::CryptoRng;
use time::OffsetDateTime;

use crate::error::ValidationError;
use crate::ids::ClientCode;

/// A relying party's HMAC secret (32 random bytes; shown once as standard base64).
/// `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// 32 fresh random bytes.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut b = vec![0u8; 32];
        rng.fill_bytes(&mut b);
        Self(b)
    }

    /// Wrap stored bytes.
    pub fn from_bytes(b: Vec<u8>) -> Self {
        Self(b)
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        // Best effort: overwrite the key before the allocation is released.
        self.0.iter_mut().for_each(|b| *b = 0);
    }
}

/// A LinkID: the public half of the credential, `[A-Za-z0-9_-]{4,32}`.
pub fn validate_link_id(s: &str) -> Result<(), ValidationError> {
    if (4..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(ValidationError::LinkIdInvalid)
    }
}

/// A fresh LinkID: `RP_` and 12 random upper-case letters and digits.
pub fn generate_link_id(rng: &mut impl CryptoRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::from("RP_");
    let mut b = [0u8; 12];
    rng.fill_bytes(&mut b);
    for x in b {
        // 32 symbols: the low five bits are uniform.
        if let Some(&c) = ALPHABET.get(usize::from(x & 31)) {
            out.push(char::from(c));
        }
    }
    out
}

/// Longest relying-party name (kakaocert's `clientName String 80`).
pub const RELYING_PARTY_NAME_MAX_CHARS: usize = 80;

/// A relying party's display name: 1–80 characters without control characters.
pub fn validate_party_name(s: &str) -> Result<String, ValidationError> {
    let s = s.trim();
    let unsafe_text = dojang_proto::text::first_unsafe(s, dojang_proto::text::Lines::One);
    if s.is_empty() || s.chars().count() > RELYING_PARTY_NAME_MAX_CHARS || unsafe_text.is_some() {
        return Err(ValidationError::RelyingPartyNameInvalid);
    }
    Ok(s.to_owned())
}

/// A registered relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// 12-digit client code; the party's identity in receipts.
    pub client_code: ClientCode,
    /// LinkID: names the credential in signed requests.
    pub link_id: String,
    /// Display name shown to people as the requester.
    pub name: String,
    /// HMAC key.
    pub secret: SecretKey,
    /// Default call-centre number shown on cards.
    pub call_center_num: Option<String>,
    /// Registered at.
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn link_ids() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let id = generate_link_id(&mut rng);
        assert_eq!(id.len(), 15);
        assert!(validate_link_id(&id).is_ok());
        assert!(validate_link_id("ab").is_err());
        assert!(validate_link_id("has space").is_err());
        assert!(validate_link_id("TESTER").is_ok());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let s = SecretKey::generate(&mut rng);
        assert_eq!(s.as_bytes().len(), 32);
        assert_eq!(format!("{s:?}"), "SecretKey(***)");
    }
}
