//! The device key at rest: PKCS#8 encrypted with AES-256-GCM.
//!
//! * **Version 2** (every enrolment since PIN hardening): the key-encryption key needs the PIN
//!   *and* a 32-byte unlock secret that only the server holds. From the PIN and the file's salt,
//!   Argon2id derives `k_pin`; `HMAC(k_pin, "pin proof")` is the proof the server checks (it
//!   stores only a keyed hash of it) before it releases the secret, counting wrong proofs and
//!   locking the device at the fifth; `HMAC(k_pin, "kek" ‖ secret)` is the AES key. A copied
//!   profile directory therefore cannot be opened offline at all, and online it gets five
//!   guesses (docs/security.md).
//! * **Version 1** (profiles made before): under the PIN alone; still opened, for migration.
//!
//! The file records its KDF parameters, so they can be raised later.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::AppError;

const AAD: &[u8] = b"dojang-app device key v1";
const AAD_V2: &[u8] = b"dojang-app device key v2";
const PROOF_LABEL: &[u8] = b"dojang-app pin proof v1";
const KEK_LABEL: &[u8] = b"dojang-app kek v2";

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

/// What a PIN yields with a key file's salt: the proof for the server and, with the server's
/// unlock secret, the key-encryption key. Holds `k_pin` only in memory, zeroized on drop.
pub struct PinKeys {
    salt: [u8; 16],
    k_pin: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for PinKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinKeys { .. }")
    }
}

fn argon2id(
    pin: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, AppError> {
    let params = Params::new(m, t, p, Some(32)).map_err(|e| AppError::Key(e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|e| AppError::Key(e.to_string()))?;
    Ok(out)
}

fn hmac32(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx =
        ring::hmac::Context::with_key(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key));
    for p in parts {
        ctx.update(p);
    }
    let tag = ctx.sign();
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

impl PinKeys {
    /// For a new key file: a fresh salt.
    pub fn new(pin: &str) -> Result<Self, AppError> {
        validate_pin(pin)?;
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| AppError::Key("random generator failed".into()))?;
        let k_pin = argon2id(pin, &salt, M_COST, T_COST, P_COST)?;
        Ok(Self { salt, k_pin })
    }

    /// For an existing version-2 key file: its salt and parameters.
    pub fn for_file(file: &EncryptedKey, pin: &str) -> Result<Self, AppError> {
        validate_pin(pin)?;
        file.check_format(2)?;
        let salt: [u8; 16] = STANDARD
            .decode(&file.salt)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| AppError::Profile("key file: salt".into()))?;
        let k_pin = argon2id(pin, &salt, file.m_cost, file.t_cost, file.p_cost)?;
        Ok(Self { salt, k_pin })
    }

    /// The PIN proof the server checks (32 bytes).
    pub fn proof(&self) -> [u8; 32] {
        hmac32(self.k_pin.as_ref(), &[PROOF_LABEL])
    }

    fn kek(&self, unlock_secret: &[u8]) -> Result<LessSafeKey, AppError> {
        if unlock_secret.len() != 32 {
            return Err(AppError::Key("the unlock secret must be 32 bytes".into()));
        }
        let mut bytes = Zeroizing::new(hmac32(self.k_pin.as_ref(), &[KEK_LABEL, unlock_secret]));
        let key = UnboundKey::new(&AES_256_GCM, bytes.as_ref())
            .map_err(|_| AppError::Key("bad key length".into()));
        bytes.as_mut().fill(0);
        Ok(LessSafeKey::new(key?))
    }

    /// A version-2 key file for `pkcs8` under this PIN and the server's unlock secret.
    pub fn seal(&self, pkcs8: &[u8], unlock_secret: &[u8]) -> Result<EncryptedKey, AppError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AppError::Key("random generator failed".into()))?;
        let mut body = pkcs8.to_vec();
        self.kek(unlock_secret)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD_V2),
                &mut body,
            )
            .map_err(|_| AppError::Key("encryption failed".into()))?;
        Ok(EncryptedKey {
            version: 2,
            kdf: "argon2id".into(),
            m_cost: M_COST,
            t_cost: T_COST,
            p_cost: P_COST,
            salt: STANDARD.encode(self.salt),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(body),
        })
    }

    /// Open a version-2 key file with the server's unlock secret. A wrong secret or a changed
    /// file is [`AppError::WrongPin`] (the server checked the PIN already).
    pub fn open(
        &self,
        file: &EncryptedKey,
        unlock_secret: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AppError> {
        file.check_format(2)?;
        let bad = |w: &str| AppError::Profile(format!("key file: {w}"));
        let nonce = STANDARD.decode(&file.nonce).map_err(|_| bad("nonce"))?;
        let nonce = Nonce::try_assume_unique_for_key(&nonce).map_err(|_| bad("nonce"))?;
        let mut body = Zeroizing::new(
            STANDARD
                .decode(&file.ciphertext)
                .map_err(|_| bad("ciphertext"))?,
        );
        let plain = self
            .kek(unlock_secret)?
            .open_in_place(nonce, Aad::from(AAD_V2), body.as_mut_slice())
            .map_err(|_| AppError::WrongPin)?;
        Ok(Zeroizing::new(plain.to_vec()))
    }
}

impl EncryptedKey {
    /// Errors unless this is a file of `version` with parameters dojang accepts (refusing
    /// absurdly slow or trivially weak ones).
    fn check_format(&self, version: u32) -> Result<(), AppError> {
        let bad = |w: &str| AppError::Profile(format!("key file: {w}"));
        if self.version != version || self.kdf != "argon2id" {
            return Err(bad("unsupported format"));
        }
        if !(8 * 1024..=1024 * 1024).contains(&self.m_cost)
            || !(1..=10).contains(&self.t_cost)
            || !(1..=4).contains(&self.p_cost)
        {
            return Err(bad("unsupported KDF parameters"));
        }
        Ok(())
    }

    /// Whether opening needs the server's unlock secret (version 2).
    pub fn needs_server(&self) -> bool {
        self.version == 2
    }

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

    /// Decrypt a version-1 file with `pin`. A wrong PIN and a changed file are both
    /// [`AppError::WrongPin`] (AES-GCM cannot tell them apart); a malformed file is
    /// [`AppError::Profile`].
    pub fn open(&self, pin: &str) -> Result<Zeroizing<Vec<u8>>, AppError> {
        validate_pin(pin)?;
        let bad = |w: &str| AppError::Profile(format!("key file: {w}"));
        self.check_format(1)?;
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

    #[test]
    fn version_2_needs_the_pin_and_the_secret_and_proofs_follow_the_salt() {
        let keys = PinKeys::new("123456").unwrap();
        let secret = [9u8; 32];
        let file = keys.seal(b"pkcs8 bytes", &secret).unwrap();
        assert_eq!(file.version, 2);
        assert!(file.needs_server());
        // The same PIN and salt give the same proof and open the file with the secret.
        let again = PinKeys::for_file(&file, "123456").unwrap();
        assert_eq!(again.proof(), keys.proof());
        assert_eq!(
            again.open(&file, &secret).unwrap().as_slice(),
            b"pkcs8 bytes"
        );
        // Another PIN: another proof, and nothing opens.
        let other = PinKeys::for_file(&file, "654321").unwrap();
        assert_ne!(other.proof(), keys.proof());
        assert!(matches!(
            other.open(&file, &secret),
            Err(AppError::WrongPin)
        ));
        // The right PIN without the secret, or with another one: nothing.
        assert!(matches!(
            again.open(&file, &[0u8; 32]),
            Err(AppError::WrongPin)
        ));
        assert!(matches!(
            again.open(&file, &[9u8; 31]),
            Err(AppError::Key(_))
        ));
        // No PIN-only path to a version-2 file, and no server path to a version-1 file.
        assert!(matches!(file.open("123456"), Err(AppError::Profile(_))));
        let v1 = EncryptedKey::seal(b"pkcs8 bytes", "123456").unwrap();
        assert!(matches!(
            PinKeys::for_file(&v1, "123456"),
            Err(AppError::Profile(_))
        ));
        // A new salt each time: the proof of a new file differs for the same PIN.
        assert_ne!(PinKeys::new("123456").unwrap().proof(), keys.proof());
        assert!(!serde_json::to_string(&file).unwrap().contains("pkcs8"));
    }
}
