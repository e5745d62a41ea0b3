//! Field encryption and keyed lookups: how personal data is kept at rest.
//!
//! One 32-byte master key (a file in the data directory, made by the server on first start)
//! yields two keys by HMAC-SHA256 derivation:
//!
//! * an AES-256-GCM key for `*_enc` columns. A sealed value is `0x01 ‖ nonce(12) ‖ ciphertext ‖
//!   tag(16)`; the column's name is the associated data, so a value cannot be moved to another
//!   column unnoticed. Nonces are random (96 bits): rotate the master key before 2^32 seals.
//! * an HMAC-SHA256 key for `lookup` columns, so a phone number and birth date find a member
//!   without the database ever holding them in the clear.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::StoreError;

const VERSION: u8 = 1;

/// The keys derived from the master key. `Debug` prints nothing secret.
pub struct DataKeys {
    aead: LessSafeKey,
    lookup: hmac::Key,
    rng: SystemRandom,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKeys(***)")
    }
}

fn derive(master: &[u8], label: &str) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, master), label.as_bytes())
}

impl DataKeys {
    /// Length of the master key.
    pub const MASTER_LEN: usize = 32;

    /// Derive the keys from the master key (exactly 32 bytes).
    pub fn from_master(master: &[u8]) -> Result<Self, StoreError> {
        if master.len() != Self::MASTER_LEN {
            return Err(StoreError::Key(
                "the data master key must be 32 bytes".into(),
            ));
        }
        let enc = derive(master, "dojang/v1/field-encryption");
        let unbound = UnboundKey::new(&AES_256_GCM, enc.as_ref())
            .map_err(|_| StoreError::Key("cannot make the field-encryption key".into()))?;
        let lookup = derive(master, "dojang/v1/lookup");
        Ok(Self {
            aead: LessSafeKey::new(unbound),
            lookup: hmac::Key::new(hmac::HMAC_SHA256, lookup.as_ref()),
            rng: SystemRandom::new(),
        })
    }

    /// A fresh random master key.
    pub fn generate_master() -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        let mut k = zeroize::Zeroizing::new(vec![0u8; Self::MASTER_LEN]);
        SystemRandom::new()
            .fill(&mut k)
            .map_err(|_| StoreError::Key("the system random generator failed".into()))?;
        Ok(k)
    }

    /// Encrypt a value for column `column`.
    pub fn seal(&self, column: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| StoreError::Key("the system random generator failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(column.as_bytes()),
                &mut body,
            )
            .map_err(|_| StoreError::Key("encryption failed".into()))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Encrypt a string.
    pub fn seal_str(&self, column: &str, plaintext: &str) -> Result<Vec<u8>, StoreError> {
        self.seal(column, plaintext.as_bytes())
    }

    /// Decrypt a value of column `column`. Fails on a wrong key, another column's value, or any
    /// changed byte.
    pub fn open(&self, column: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("{column}: cannot decrypt"));
        let (&version, rest) = sealed.split_first().ok_or_else(corrupt)?;
        if version != VERSION || rest.len() < NONCE_LEN + 16 {
            return Err(corrupt());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| corrupt())?;
        let mut body = body.to_vec();
        let plain = self
            .aead
            .open_in_place(nonce, Aad::from(column.as_bytes()), &mut body)
            .map_err(|_| corrupt())?;
        Ok(plain.to_vec())
    }

    /// Decrypt a string.
    pub fn open_string(&self, column: &str, sealed: &[u8]) -> Result<String, StoreError> {
        String::from_utf8(self.open(column, sealed)?)
            .map_err(|_| StoreError::Corrupt(format!("{column}: not UTF-8")))
    }

    /// Keyed hash for finding rows: HMAC over the label and the parts, unambiguously joined.
    pub fn lookup(&self, label: &str, parts: &[&str]) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.lookup);
        ctx.update(label.as_bytes());
        for p in parts {
            ctx.update(&[0]);
            ctx.update(&(p.len() as u64).to_be_bytes());
            ctx.update(p.as_bytes());
        }
        ctx.sign().as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(b: u8) -> DataKeys {
        DataKeys::from_master(&[b; 32]).unwrap()
    }

    #[test]
    fn seal_open_round_trip_and_negative_cases() {
        let k = keys(1);
        let sealed = k.seal_str("members.name", "홍길동").unwrap();
        assert_eq!(k.open_string("members.name", &sealed).unwrap(), "홍길동");
        assert!(!sealed.windows(9).any(|w| w == "홍길동".as_bytes()));
        // Another column, another key, a flipped byte, a truncation: all refused.
        assert!(k.open("members.phone", &sealed).is_err());
        assert!(keys(2).open("members.name", &sealed).is_err());
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x80;
            assert!(k.open("members.name", &t).is_err(), "byte {i}");
        }
        assert!(k.open("members.name", &sealed[..10]).is_err());
        assert!(k.open("members.name", &[]).is_err());
        // Fresh nonce each time.
        assert_ne!(sealed, k.seal_str("members.name", "홍길동").unwrap());
    }

    #[test]
    fn lookups_are_keyed_and_unambiguous() {
        let k = keys(1);
        assert_eq!(k.lookup("m", &["a", "bc"]), k.lookup("m", &["a", "bc"]));
        assert_ne!(k.lookup("m", &["ab", "c"]), k.lookup("m", &["a", "bc"]));
        assert_ne!(k.lookup("m", &["a"]), k.lookup("n", &["a"]));
        assert_ne!(k.lookup("m", &["a"]), keys(2).lookup("m", &["a"]));
        assert!(DataKeys::from_master(&[0; 31]).is_err());
    }
}
