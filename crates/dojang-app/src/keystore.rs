//! The device key at rest: PKCS#8 encrypted with AES-256-GCM under a key derived from the
//! 6-digit PIN with Argon2id. The file records its parameters, so they can be raised later.
//!
//! A 6-digit PIN has only 10^6 values: a stolen key file can be brute-forced offline whatever
//! the KDF costs. The KDF makes each guess expensive (about 0.3 s here); binding the key to a
//! server-held secret released only after a rate-limited PIN check is the planned defence
//! (see docs/security.md).

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::AppError;

const AAD: &[u8] = b"dojang-app device key v1";

/// Check a PIN: exactly 6 ASCII digits.
pub fn validate_pin(pin: &str) -> Result<(), AppError> {
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::PinFormat)
    }
}

/// The encrypted key file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedKey {
    /// Format version, 1.
    pub version: u32,
    /// `argon2id`.
    pub kdf: String,
    /// Argon2 memory, KiB.
    pub m_cost: u32,
    /// Argon2 passes.
    pub t_cost: u32,
    /// Argon2 lanes.
    pub p_cost: u32,
    /// base64 salt (16 bytes).
    pub salt: String,
    /// base64 nonce (12 bytes).
    pub nonce: String,
    /// base64 AES-256-GCM ciphertext and tag of the PKCS#8 DER key.
    pub ciphertext: String,
}

/// Argon2id cost used for new files: 64 MiB, 3 passes, 1 lane.
pub const M_COST: u32 = 64 * 1024;
/// Passes.
pub const T_COST: u32 = 3;
/// Lanes.
pub const P_COST: u32 = 1;

fn kek(pin: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<LessSafeKey, AppError> {
    let params = Params::new(m, t, p, Some(32)).map_err(|e| AppError::Key(e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|e| AppError::Key(e.to_string()))?;
    let key = UnboundKey::new(&AES_256_GCM, out.as_ref())
        .map_err(|_| AppError::Key("bad key length".into()))?;
    Ok(LessSafeKey::new(key))
}

impl EncryptedKey {
    /// Encrypt `pkcs8` under `pin`.
    pub fn seal(pkcs8: &[u8], pin: &str) -> Result<Self, AppError> {
        validate_pin(pin)?;
        let rng = SystemRandom::new();
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut salt)
            .map_err(|_| AppError::Key("random generator failed".into()))?;
        rng.fill(&mut nonce)
            .map_err(|_| AppError::Key("random generator failed".into()))?;
        let key = kek(pin, &salt, M_COST, T_COST, P_COST)?;
        let mut body = pkcs8.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(AAD),
            &mut body,
        )
        .map_err(|_| AppError::Key("encryption failed".into()))?;
        Ok(Self {
            version: 1,
            kdf: "argon2id".into(),
            m_cost: M_COST,
            t_cost: T_COST,
            p_cost: P_COST,
            salt: STANDARD.encode(salt),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(body),
        })
    }

    /// Decrypt with `pin`. A wrong PIN and a changed file are both [`AppError::WrongPin`]
    /// (AES-GCM cannot tell them apart); a malformed file is [`AppError::Profile`].
    pub fn open(&self, pin: &str) -> Result<Zeroizing<Vec<u8>>, AppError> {
        validate_pin(pin)?;
        let bad = |w: &str| AppError::Profile(format!("key file: {w}"));
        if self.version != 1 || self.kdf != "argon2id" {
            return Err(bad("unsupported format"));
        }
        // Refuse parameters that would make opening absurdly slow or trivially weak.
        if !(8 * 1024..=1024 * 1024).contains(&self.m_cost)
            || !(1..=10).contains(&self.t_cost)
            || !(1..=4).contains(&self.p_cost)
        {
            return Err(bad("unsupported KDF parameters"));
        }
        let salt = STANDARD.decode(&self.salt).map_err(|_| bad("salt"))?;
        let nonce = STANDARD.decode(&self.nonce).map_err(|_| bad("nonce"))?;
        let nonce = Nonce::try_assume_unique_for_key(&nonce).map_err(|_| bad("nonce"))?;
        let mut body = Zeroizing::new(
            STANDARD
                .decode(&self.ciphertext)
                .map_err(|_| bad("ciphertext"))?,
        );
        let key = kek(pin, &salt, self.m_cost, self.t_cost, self.p_cost)?;
        let plain = key
            .open_in_place(nonce, Aad::from(AAD), body.as_mut_slice())
            .map_err(|_| AppError::WrongPin)?;
        Ok(Zeroizing::new(plain.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_six_digits() {
        assert!(validate_pin("123456").is_ok());
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert!(
                matches!(validate_pin(bad), Err(AppError::PinFormat)),
                "{bad}"
            );
        }
    }

    #[test]
    fn sealed_keys_open_only_with_the_pin_and_untouched() {
        let sealed = EncryptedKey::seal(b"pkcs8 bytes", "123456").unwrap();
        assert_eq!(sealed.open("123456").unwrap().as_slice(), b"pkcs8 bytes");
        assert!(matches!(sealed.open("654321"), Err(AppError::WrongPin)));
        let mut tampered = sealed.clone();
        let mut ct = STANDARD.decode(&tampered.ciphertext).unwrap();
        ct[0] ^= 1;
        tampered.ciphertext = STANDARD.encode(ct);
        assert!(matches!(tampered.open("123456"), Err(AppError::WrongPin)));
        let mut weak = sealed.clone();
        weak.m_cost = 8;
        assert!(matches!(weak.open("123456"), Err(AppError::Profile(_))));
        assert!(!serde_json::to_string(&sealed).unwrap().contains("pkcs8"));
    }
}
