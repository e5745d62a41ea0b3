//! The LinkHub protocol family (the auth service, barocert 2.1, kakaocert 2.0 and 1.0), as
//! LinkHub's own SDKs speak it: the strings they sign, their date formats and the field
//! encryption of barocert (GCM, and CBC for older SDKs). `../shared/reference/barocert-wire.md`
//! is the source; its §6.1 vectors are tested below; kakaocert 1.0 follows PyPI
//! `kakaocert==1.0.0`. Pure functions: the caller brings the clock and the random IVs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::{aead, hmac};
use serde::{Deserialize, Serialize};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::auth::body_hash;

/// `x-lh-version` of the token service.
pub const LH_VERSION: &str = "2.0";
/// API version of barocert.
pub const BC_VERSION: &str = "2.1";
/// API version of kakaocert 2.x.
pub const KC_VERSION: &str = "2.0";
/// API version of kakaocert 1.x (`x-lh-version: 1.0`).
pub const KC_V1_VERSION: &str = "1.0";
/// The token service id of barocert.
pub const BAROCERT: &str = "BAROCERT";
/// The token service id of kakaocert.
pub const KAKAOCERT: &str = "KAKAOCERT";
/// The scopes kakaocert SDKs ask for.
pub const KAKAOCERT_SCOPES: [&str; 4] = ["member", "310", "320", "330"];
/// Scopes barocert SDKs ask for: `partner` and the products' (KAKAO 401–405, NAVER 421–424,
/// PASS 441–444, TOSS 461–465).
pub const BAROCERT_SCOPES: [&str; 19] = [
    "partner", "401", "402", "403", "404", "405", "421", "422", "423", "424", "441", "442", "443",
    "444", "461", "462", "463", "464", "465",
];

/// The body of `POST /{ServiceID}/Token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// kakaocert: the client code; barocert: empty or absent.
    #[serde(default)]
    pub access_id: Option<String>,
    /// Requested scopes.
    #[serde(default)]
    pub scope: Vec<String>,
}

/// The answer of `POST /{ServiceID}/Token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// Sent as `Authorization: Bearer …`.
    pub session_token: String,
    /// `BAROCERT` or `KAKAOCERT`.
    #[serde(rename = "serviceID")]
    pub service_id: String,
    /// The LinkID the token belongs to.
    #[serde(rename = "linkID")]
    pub link_id: String,
    /// The relying party's client code.
    pub usercode: String,
    /// The client address the token is bound to, or `*`.
    pub ipaddress: String,
    /// `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, exactly three fraction digits).
    pub expiration: String,
    /// Granted scopes.
    pub scope: Vec<String>,
}

const SECONDS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const MILLIS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
const ANY_FRACTION: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]Z");

/// `GET /Time`'s body: `YYYY-MM-DDTHH:MM:SSZ`, UTC.
pub fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(SECONDS)
        .unwrap_or_default()
}

/// A token's `expiration`: `YYYY-MM-DDTHH:MM:SS.sssZ`, UTC.
pub fn format_expiration(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(MILLIS)
        .unwrap_or_default()
}

/// An `x-lh-date` / `x-bc-date` as the SDKs send it: with or without a fraction, `Z`.
pub fn parse_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    PrimitiveDateTime::parse(s, SECONDS)
        .or_else(|_| PrimitiveDateTime::parse(s, ANY_FRACTION))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// `Authorization: LINKHUB <LinkID> <signature>` of a token request: exactly three words
/// (separated by one or more spaces), the first `LINKHUB`. `None` for anything else
/// (`AuthorizationMalformed`).
pub fn parse_token_authorization(value: &str) -> Option<(&str, &str)> {
    let mut words = value.split(' ').filter(|w| !w.is_empty());
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("LINKHUB"), Some(link_id), Some(signature), None) => Some((link_id, signature)),
        _ => None,
    }
}

/// The token of `Authorization: Bearer <token>` (or `bearer`), trimmed; `None` without one
/// (`LinkHubTokenMissing`).
pub fn parse_bearer(value: &str) -> Option<&str> {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// `x-kc-auth: <LinkID> <signature>`: the LinkID before the first space, the signature after
/// it trimmed; `None` without a space (`AuthorizationMalformed`).
pub fn parse_kc_auth(value: &str) -> Option<(&str, &str)> {
    value
        .split_once(' ')
        .map(|(link_id, signature)| (link_id, signature.trim()))
}

/// Whether a kakaocert call speaks API 1.0: its `x-lh-version` (POST) or `x-pb-version` (GET)
/// is `1.0`, after trimming. Anything else, or no header, is API 2.0.
pub fn is_kc_v1(version: Option<&str>) -> bool {
    version.map(str::trim) == Some(KC_V1_VERSION)
}

/// What a token request's `x-lh-forwarded` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarded {
    /// `*`: a token usable from any address.
    Any,
    /// A token bound to this address (IPv4-mapped IPv6 as IPv4).
    Ip(std::net::IpAddr),
}

/// Reads `x-lh-forwarded` (already trimmed): `*` or an IP address; `None` for anything else
/// (`LinkHubTokenRefused`).
pub fn parse_forwarded(value: &str) -> Option<Forwarded> {
    if value == "*" {
        return Some(Forwarded::Any);
    }
    value
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| Forwarded::Ip(ip.to_canonical()))
}

/// What `POST /{ServiceID}/Token` signs.
pub fn token_string_to_sign(
    body: &[u8],
    date: &str,
    forwarded: Option<&str>,
    service_id: &str,
) -> String {
    let mut s = format!("POST\n{}\n{date}\n", body_hash(body));
    if let Some(f) = forwarded {
        s.push_str(f);
        s.push('\n');
    }
    s.push_str(LH_VERSION);
    s.push_str("\n/");
    s.push_str(service_id);
    s.push_str("/Token");
    s
}

/// The `Authorization` header of a token request: `LINKHUB <LinkID> <signature>`.
pub fn token_authorization(link_id: &str, signature: &str) -> String {
    format!("LINKHUB {link_id} {signature}")
}

/// What a barocert POST signs. An empty body has no hash line, except from clients that always
/// add one (`hash_empty`).
pub fn barocert_string_to_sign(body: &[u8], date: &str, path: &str, hash_empty: bool) -> String {
    if body.is_empty() && !hash_empty {
        format!("POST\n{date}\n{path}\n")
    } else {
        format!("POST\n{}\n{date}\n{path}\n", body_hash(body))
    }
}

/// What a kakaocert 2.0 POST signs (no path).
pub fn kakaocert_string_to_sign(body: &[u8], date: &str) -> String {
    format!("POST\n{}\n{date}\n{KC_VERSION}\n", body_hash(body))
}

/// What a kakaocert 1.0 POST signs: the body's digest is the base64 MD5, and the signature
/// an HMAC-SHA1 ([`sign_v1`]). Weaker than 2.0 (docs/security.md); kept for 1.x SDKs.
pub fn kakaocert_v1_string_to_sign(body: &[u8], date: &str) -> String {
    use md5::Digest as _;
    let digest = STANDARD.encode(md5::Md5::digest(body));
    format!("POST\n{digest}\n{date}\n{KC_V1_VERSION}\n")
}

/// Standard base64 of HMAC-SHA1 keyed with `key`: kakaocert 1.0's `x-kc-auth`.
pub fn sign_v1(key: &[u8], text: &str) -> String {
    STANDARD.encode(hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
        text.as_bytes(),
    ))
}

/// Check a base64 HMAC-SHA1 signature ([`sign_v1`]) in constant time.
pub fn verify_v1(key: &[u8], text: &str, signature_b64: &str) -> bool {
    let Ok(sig) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
        text.as_bytes(),
        &sig,
    )
    .is_ok()
}

/// Standard base64 of HMAC-SHA256 keyed with `key` (the base64-decoded SecretKey).
pub fn sign(key: &[u8], text: &str) -> String {
    STANDARD.encode(hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        text.as_bytes(),
    ))
}

/// Check a base64 signature in constant time.
pub fn verify(key: &[u8], text: &str, signature_b64: &str) -> bool {
    let Ok(sig) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        text.as_bytes(),
        &sig,
    )
    .is_ok()
}

/// Why an encrypted field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Not base64, or too short.
    #[error("encrypted field is malformed")]
    Malformed,
    /// Wrong key, or the value was changed.
    #[error("encrypted field does not decrypt with this SecretKey")]
    Undecryptable,
    /// The key is not 32 bytes.
    #[error("SecretKey must decode to 32 bytes")]
    Key,
    /// The plaintext is not UTF-8.
    #[error("decrypted field is not UTF-8")]
    NotUtf8,
}

/// How barocert fields are encrypted (`x-bc-encryptionmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldMode {
    /// AES-256-GCM, what barocert SDKs send today.
    #[default]
    Gcm,
    /// AES-256-CBC with PKCS#7 padding (Java 1.6/1.7, Node 0.x).
    Cbc,
}

impl FieldMode {
    /// The header's value; `None` for one dojang does not know. No header means GCM.
    pub fn from_header(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None => Some(Self::Gcm),
            Some(v) if v.eq_ignore_ascii_case("GCM") => Some(Self::Gcm),
            Some(v) if v.eq_ignore_ascii_case("CBC") => Some(Self::Cbc),
            Some(_) => None,
        }
    }

    /// The header's value for this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gcm => "GCM",
            Self::Cbc => "CBC",
        }
    }

    /// Decrypt one field in this mode.
    pub fn decrypt(self, key: &[u8], value: &str) -> Result<String, FieldError> {
        match self {
            Self::Gcm => decrypt_gcm(key, value),
            Self::Cbc => decrypt_cbc(key, value),
        }
    }
}

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// barocert's `encrypt` in CBC mode: base64 of `IV(16) ‖ AES-256-CBC/PKCS#7 ciphertext`.
pub fn encrypt_cbc(key: &[u8], iv: [u8; 16], plaintext: &str) -> Result<String, FieldError> {
    use cbc::cipher::{BlockModeEncrypt as _, KeyIvInit as _};
    let enc = Aes256CbcEnc::new_from_slices(key, &iv).map_err(|_| FieldError::Key)?;
    let sealed = enc.encrypt_padded_vec::<cbc::cipher::block_padding::Pkcs7>(plaintext.as_bytes());
    let mut out = iv.to_vec();
    out.extend_from_slice(&sealed);
    Ok(STANDARD.encode(out))
}

/// The reverse of [`encrypt_cbc`]. CBC has no integrity: a wrong key or a changed byte shows
/// only as bad padding or text that is not UTF-8, and may go unnoticed. The request signature
/// (`x-bc-auth`) covers the encrypted bytes, so nobody without the SecretKey can change them.
pub fn decrypt_cbc(key: &[u8], value: &str) -> Result<String, FieldError> {
    use cbc::cipher::{BlockModeDecrypt as _, KeyIvInit as _};
    let raw = STANDARD
        .decode(value.trim())
        .map_err(|_| FieldError::Malformed)?;
    if raw.len() < 32 || raw.len() % 16 != 0 {
        return Err(FieldError::Malformed);
    }
    let (iv, rest) = raw.split_at(16);
    let dec = Aes256CbcDec::new_from_slices(key, iv).map_err(|_| FieldError::Key)?;
    let plain = dec
        .decrypt_padded_vec::<cbc::cipher::block_padding::Pkcs7>(rest)
        .map_err(|_| FieldError::Undecryptable)?;
    String::from_utf8(plain).map_err(|_| FieldError::NotUtf8)
}

fn gcm_key(key: &[u8]) -> Result<aead::LessSafeKey, FieldError> {
    aead::UnboundKey::new(&aead::AES_256_GCM, key)
        .map(aead::LessSafeKey::new)
        .map_err(|_| FieldError::Key)
}

/// barocert's `encrypt` (GCM): base64 of `IV(12) ‖ ciphertext ‖ tag(16)`, no associated data.
pub fn encrypt_gcm(key: &[u8], iv: [u8; 12], plaintext: &str) -> Result<String, FieldError> {
    let k = gcm_key(key)?;
    let mut data = plaintext.as_bytes().to_vec();
    k.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(iv),
        aead::Aad::empty(),
        &mut data,
    )
    .map_err(|_| FieldError::Key)?;
    let mut out = iv.to_vec();
    out.extend_from_slice(&data);
    Ok(STANDARD.encode(out))
}

/// The reverse of [`encrypt_gcm`].
pub fn decrypt_gcm(key: &[u8], value: &str) -> Result<String, FieldError> {
    let k = gcm_key(key)?;
    let raw = STANDARD
        .decode(value.trim())
        .map_err(|_| FieldError::Malformed)?;
    if raw.len() < 12 + 16 {
        return Err(FieldError::Malformed);
    }
    let (iv, rest) = raw.split_at(12);
    let nonce = aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| FieldError::Malformed)?;
    let mut data = rest.to_vec();
    let plain = k
        .open_in_place(nonce, aead::Aad::empty(), &mut data)
        .map_err(|_| FieldError::Undecryptable)?;
    String::from_utf8(plain.to_vec()).map_err(|_| FieldError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_B64: &str = "SwWxqU+0TErBXy/9TVjIPEnI0VTUMMSQZtJf3Ed8q3I=";
    const DATE: &str = "2024-01-02T03:04:05Z";

    fn key() -> Vec<u8> {
        STANDARD.decode(KEY_B64).unwrap()
    }

    #[test]
    fn the_reference_signature_vectors() {
        let body = br#"{"access_id": "", "scope": ["partner", "401", "402", "403", "404", "405"]}"#;
        assert_eq!(
            body_hash(body),
            "6QILmKrxjXTZDI2gx+eMX/troe4m57bkciJeYJ/j3fM="
        );
        let text = token_string_to_sign(body, DATE, Some("*"), BAROCERT);
        assert_eq!(
            sign(&key(), &text),
            "WWq+ALg3uegR7H3By/iJuODbvnmfvIqlrspeuwP/rPg="
        );
        assert!(verify(
            &key(),
            &text,
            "WWq+ALg3uegR7H3By/iJuODbvnmfvIqlrspeuwP/rPg="
        ));
        let bc = barocert_string_to_sign(
            br#"{"receiverHP":"x"}"#,
            DATE,
            "/KAKAO/Identity/023040000001",
            false,
        );
        assert_eq!(
            sign(&key(), &bc),
            "4VtQIOKDkLWGNNmnyxDPjqa4ib/MZFzYhDJPDXysSQw="
        );
        let empty = barocert_string_to_sign(
            b"",
            DATE,
            "/KAKAO/Identity/Verify/023040000001/02304170230300000040000000000035",
            false,
        );
        assert_eq!(
            sign(&key(), &empty),
            "BUz/DreKh2bmR5TIPXOmEKhkQxt0OxF8dLQrn/BXbbw="
        );
        let kc = kakaocert_string_to_sign(br#"{"receiverHP":"x"}"#, DATE);
        assert_eq!(
            sign(&key(), &kc),
            "UnSsd5l29/hnlxqZNWu0f6URnLPFb8Zg1Ptld+AV2XU="
        );
    }

    #[test]
    fn wrong_key_tampered_text_and_garbage_do_not_verify() {
        let text = kakaocert_string_to_sign(b"{}", DATE);
        let sig = sign(&key(), &text);
        assert!(verify(&key(), &text, &sig));
        assert!(!verify(&[7; 32], &text, &sig));
        assert!(!verify(&key(), &text.replace("2024", "2025"), &sig));
        assert!(!verify(&key(), &text, "not base64!"));
    }

    #[test]
    fn the_reference_field_encryption_vector() {
        let iv: [u8; 12] = core::array::from_fn(|i| i as u8);
        let enc = encrypt_gcm(&key(), iv, "01012341234").unwrap();
        assert_eq!(enc, "AAECAwQFBgcICQoLsMuSnLPy0gkMtJqiZlgb7CcdygsOPxL9YocV");
        assert_eq!(decrypt_gcm(&key(), &enc).unwrap(), "01012341234");
        let korean = encrypt_gcm(&key(), [9; 12], "홍길동").unwrap();
        assert_eq!(decrypt_gcm(&key(), &korean).unwrap(), "홍길동");
    }

    #[test]
    fn bad_encrypted_fields_are_refused() {
        let enc = encrypt_gcm(&key(), [1; 12], "01012341234").unwrap();
        assert_eq!(decrypt_gcm(&[3; 32], &enc), Err(FieldError::Undecryptable));
        let mut raw = STANDARD.decode(&enc).unwrap();
        raw[14] ^= 1;
        assert_eq!(
            decrypt_gcm(&key(), &STANDARD.encode(raw)),
            Err(FieldError::Undecryptable)
        );
        assert_eq!(decrypt_gcm(&key(), "AAEC"), Err(FieldError::Malformed));
        assert_eq!(decrypt_gcm(&key(), "%%%"), Err(FieldError::Malformed));
        assert_eq!(decrypt_gcm(&[1; 16], &enc), Err(FieldError::Key));
    }

    #[test]
    fn dates_in_both_forms_and_the_exact_output_formats() {
        let t = parse_date(DATE).unwrap();
        assert_eq!(format_time(t), DATE);
        let m = parse_date("2024-01-02T03:04:05.678Z").unwrap();
        assert_eq!(format_expiration(m), "2024-01-02T03:04:05.678Z");
        assert_eq!(format_expiration(t), "2024-01-02T03:04:05.000Z");
        assert!(parse_date("2024-01-02 03:04:05").is_none());
        assert!(parse_date("20240102030405").is_none());
    }

    /// Computed with PyPI kakaocert 1.0.0's own `Utils.b64_md5` / `b64_hmac_sha1` recipe.
    #[test]
    fn the_kakaocert_1_0_signature() {
        let body = r#"{"ReceiverName": "홍길동", "Expires_in": 60}"#.as_bytes();
        let text = kakaocert_v1_string_to_sign(body, DATE);
        assert_eq!(
            text,
            "POST\nkfop4HXCERIbaZkOaRzI7g==\n2024-01-02T03:04:05Z\n1.0\n"
        );
        assert_eq!(sign_v1(&key(), &text), "Y0JTbr6zt1acSvdCaJF59d19fcQ=");
        assert!(verify_v1(&key(), &text, "Y0JTbr6zt1acSvdCaJF59d19fcQ="));
        // Wrong key, another date, another body, the 2.0 signature, garbage: refused.
        let mut other = key();
        other[0] ^= 1;
        assert!(!verify_v1(&other, &text, "Y0JTbr6zt1acSvdCaJF59d19fcQ="));
        let later = kakaocert_v1_string_to_sign(body, "2024-01-02T03:04:06Z");
        assert!(!verify_v1(&key(), &later, "Y0JTbr6zt1acSvdCaJF59d19fcQ="));
        let changed = kakaocert_v1_string_to_sign(b"{}", DATE);
        assert!(!verify_v1(&key(), &changed, "Y0JTbr6zt1acSvdCaJF59d19fcQ="));
        let v2 = sign(&key(), &kakaocert_string_to_sign(body, DATE));
        assert!(!verify_v1(&key(), &text, &v2));
        assert!(!verify_v1(&key(), &text, "not base64!"));
    }

    /// Computed with pycryptodome: AES-256-CBC, PKCS#7, IV 00 01 … 0f.
    #[test]
    fn cbc_fields_match_the_reference_and_refuse_what_is_wrong() {
        let iv: [u8; 16] = core::array::from_fn(|i| u8::try_from(i).unwrap());
        let hp = "AAECAwQFBgcICQoLDA0OD9uA2OvrNy24ivmnfN3oP0c=";
        let name = "AAECAwQFBgcICQoLDA0OD2WNN64bTJeu6o2azSQNUnk=";
        assert_eq!(encrypt_cbc(&key(), iv, "01012345678").unwrap(), hp);
        assert_eq!(encrypt_cbc(&key(), iv, "홍길동").unwrap(), name);
        assert_eq!(decrypt_cbc(&key(), hp).unwrap(), "01012345678");
        assert_eq!(FieldMode::Cbc.decrypt(&key(), name).unwrap(), "홍길동");
        // Sixteen bytes of text take a whole block of padding.
        let full = encrypt_cbc(&key(), iv, "0123456789abcdef").unwrap();
        assert_eq!(STANDARD.decode(&full).unwrap().len(), 16 + 32);
        assert_eq!(decrypt_cbc(&key(), &full).unwrap(), "0123456789abcdef");
        // Wrong key: bad padding (or, rarely, garbage that is not UTF-8).
        let mut other = key();
        other[0] ^= 1;
        assert!(decrypt_cbc(&other, hp).is_err());
        // Not base64, too short, not whole blocks, a short key.
        assert_eq!(decrypt_cbc(&key(), "%%%"), Err(FieldError::Malformed));
        assert_eq!(
            decrypt_cbc(&key(), &STANDARD.encode([0u8; 16])),
            Err(FieldError::Malformed)
        );
        assert_eq!(
            decrypt_cbc(&key(), &STANDARD.encode([0u8; 40])),
            Err(FieldError::Malformed)
        );
        assert_eq!(decrypt_cbc(&[0u8; 16], hp), Err(FieldError::Key));
        // A GCM value read as CBC, and the other way round, is refused.
        let gcm = encrypt_gcm(&key(), [7; 12], "01012345678").unwrap();
        assert!(FieldMode::Cbc.decrypt(&key(), &gcm).is_err());
        assert!(FieldMode::Gcm.decrypt(&key(), hp).is_err());
        // The header.
        assert_eq!(FieldMode::from_header(None), Some(FieldMode::Gcm));
        assert_eq!(FieldMode::from_header(Some("cbc")), Some(FieldMode::Cbc));
        assert_eq!(FieldMode::from_header(Some("ECB")), None);
    }

    #[test]
    fn the_header_parsers_take_what_the_sdks_send_and_refuse_the_rest() {
        assert_eq!(
            parse_token_authorization("LINKHUB  TESTER  c2ln"),
            Some(("TESTER", "c2ln"))
        );
        for bad in [
            "",
            "LINKHUB",
            "LINKHUB a",
            "Bearer a b",
            "LINKHUB a b c",
            "linkhub a b",
        ] {
            assert_eq!(parse_token_authorization(bad), None, "{bad:?}");
        }
        assert_eq!(parse_bearer("Bearer  tok "), Some("tok"));
        assert_eq!(parse_bearer("bearer tok"), Some("tok"));
        for bad in ["Bearer ", "Bearer    ", "Basic tok", "Bearertok", ""] {
            assert_eq!(parse_bearer(bad), None, "{bad:?}");
        }
        assert_eq!(parse_kc_auth("TESTER  c2ln "), Some(("TESTER", "c2ln")));
        assert_eq!(parse_kc_auth("TESTER"), None);
        assert!(is_kc_v1(Some(" 1.0 ")));
        assert!(!is_kc_v1(Some("2.0")) && !is_kc_v1(None) && !is_kc_v1(Some("1.00")));
        assert_eq!(parse_forwarded("*"), Some(Forwarded::Any));
        assert_eq!(
            parse_forwarded("::ffff:192.0.2.1"),
            Some(Forwarded::Ip("192.0.2.1".parse().unwrap()))
        );
        for bad in ["", "**", "192.0.2.1:80", "localhost", "192.0.2.256"] {
            assert_eq!(parse_forwarded(bad), None, "{bad:?}");
        }
    }
}
