//! Web Push: RFC 8030 delivery, VAPID (RFC 8292) and message encryption (RFC 8291 with RFC 8188's
//! `aes128gcm` content coding).
//!
//! The encryption is written here from p256 (ECDH), *ring* (HMAC-SHA-256 for HKDF, AES-128-GCM):
//! the `ece` crate would do it, but its only backend is OpenSSL, which the workspace does not link
//! (everything else uses RustCrypto and *ring*); the scheme is a page of code and is checked below
//! against RFC 8291's own worked example, byte for byte.

use std::time::Duration;

use p256::ecdsa::SigningKey;
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::jwt::{b64, sign_es256};
use crate::{Message, PushError, PushProvider, Target, transport, unix_now};

/// Record size written in the header; one record carries the whole message.
pub const RECORD_SIZE: u32 = 4096;
/// Header of an `aes128gcm` body with a 65-byte key id: salt 16, rs 4, idlen 1, keyid 65.
const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// AES-GCM tag.
const TAG_LEN: usize = 16;
/// The largest body push services must accept (RFC 8030 §7.2: at least 4096 octets).
pub const MAX_BODY: usize = 4096;
/// The largest plaintext that fits: the body less the header, the tag and the padding delimiter.
pub const MAX_PAYLOAD: usize = MAX_BODY - HEADER_LEN - TAG_LEN - 1;
/// RFC 8292 §2: `exp` no more than 24 hours ahead.
pub const MAX_JWT_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The application server's VAPID key pair (P-256).
#[derive(Clone)]
pub struct VapidKey(SigningKey);

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VapidKey({})", self.public_key_b64())
    }
}

impl VapidKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(SigningKey::generate_from_rng(&mut rand::rng()))
    }

    /// From a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, PushError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(Self)
            .map_err(|_| PushError::Invalid("the VAPID key is not a P-256 PKCS#8 PEM".into()))
    }

    /// As PKCS#8 PEM, for the key file.
    pub fn to_pem(&self) -> Result<Zeroizing<String>, PushError> {
        self.0
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| PushError::Invalid(e.to_string()))
    }

    /// The public key as the 65-byte uncompressed point.
    pub fn public_key(&self) -> Vec<u8> {
        self.0.verifying_key().to_sec1_bytes().into_vec()
    }

    /// The public key as browsers take it (`applicationServerKey`): base64url, no padding.
    pub fn public_key_b64(&self) -> String {
        b64::encode(self.public_key())
    }

    /// The `Authorization` header value for a push service at `audience` (its origin, e.g.
    /// `https://fcm.googleapis.com`), valid until `exp` (seconds since the epoch).
    pub fn authorization(
        &self,
        audience: &str,
        subject: &str,
        exp: u64,
    ) -> Result<String, PushError> {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            exp: u64,
            sub: &'a str,
        }
        let jwt = sign_es256(
            &self.0,
            &serde_json::json!({"typ": "JWT", "alg": "ES256"}),
            &Claims {
                aud: audience,
                exp,
                sub: subject,
            },
        )
        .map_err(PushError::Invalid)?;
        Ok(format!("vapid t={jwt}, k={}", self.public_key_b64()))
    }
}

/// The Web Push sender.
#[derive(Debug)]
pub struct WebPush {
    vapid: VapidKey,
    subject: String,
    jwt_lifetime: Duration,
    allow_http: bool,
    http: reqwest::Client,
}

impl WebPush {
    /// A sender signing with `vapid`, naming `subject` (a `mailto:` or `https:` URI the push
    /// service may contact), sending through `http` (give it the operator's egress rules; see
    /// [`crate::default_client`]). Endpoints must be `https://`.
    pub fn new(
        vapid: VapidKey,
        subject: impl Into<String>,
        http: reqwest::Client,
    ) -> Result<Self, PushError> {
        let subject = subject.into();
        if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
            return Err(PushError::Invalid(
                "the VAPID subject must be a mailto: or https: URI".into(),
            ));
        }
        Ok(Self {
            vapid,
            subject,
            jwt_lifetime: Duration::from_secs(12 * 3600),
            allow_http: false,
            http,
        })
    }

    /// Also send to `http://` endpoints (local push-service stand-ins in tests and development).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// How far ahead each VAPID JWT's `exp` lies (default 12 h; push services refuse > 24 h).
    pub fn jwt_lifetime(mut self, lifetime: Duration) -> Self {
        self.jwt_lifetime = lifetime;
        self
    }

    /// The key browsers subscribe with.
    pub fn vapid(&self) -> &VapidKey {
        &self.vapid
    }

    /// Whether an endpoint is one this sender would post to (a parsable `https://` URL, or
    /// `http://` when allowed) — checked when a device registers a subscription.
    pub fn check_endpoint(&self, endpoint: &str) -> Result<url::Url, PushError> {
        let url = url::Url::parse(endpoint)
            .map_err(|_| PushError::Invalid("the endpoint is not a URL".into()))?;
        let ok_scheme = url.scheme() == "https" || (self.allow_http && url.scheme() == "http");
        if !ok_scheme
            || url.host_str().is_none()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(PushError::Invalid(
                "the endpoint must be an https URL".into(),
            ));
        }
        Ok(url)
    }
}

/// Check the browser's keys of a subscription: a P-256 point and a 16-byte secret.
pub fn check_keys(p256dh: &str, auth: &str) -> Result<(p256::PublicKey, Vec<u8>), PushError> {
    let point =
        b64::decode(p256dh).ok_or_else(|| PushError::Invalid("p256dh is not base64url".into()))?;
    if point.len() != 65 || point.first() != Some(&4) {
        return Err(PushError::Invalid(
            "p256dh is not an uncompressed P-256 point".into(),
        ));
    }
    let public = p256::PublicKey::from_sec1_bytes(&point)
        .map_err(|_| PushError::Invalid("p256dh is not a P-256 point".into()))?;
    let auth =
        b64::decode(auth).ok_or_else(|| PushError::Invalid("auth is not base64url".into()))?;
    if auth.len() != 16 {
        return Err(PushError::Invalid("auth is not 16 bytes".into()));
    }
    Ok((public, auth))
}

/// Whether a topic is one push services accept: 1–32 characters of the base64url alphabet.
pub fn valid_topic(topic: &str) -> bool {
    (1..=32).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[async_trait::async_trait]
impl PushProvider for WebPush {
    async fn send(&self, target: &Target, message: &Message) -> Result<(), PushError> {
        let Target::WebPush {
            endpoint,
            p256dh,
            auth,
        } = target
        else {
            return Err(PushError::Invalid("not a Web Push target".into()));
        };
        let url = self.check_endpoint(endpoint)?;
        let (ua_public, auth) = check_keys(p256dh, auth)?;
        if let Some(t) = &message.topic
            && !valid_topic(t)
        {
            return Err(PushError::Invalid(
                "the topic is not 1-32 base64url characters".into(),
            ));
        }
        let body = encrypt(&ua_public, &auth, &message.payload)?;
        let audience = url.origin().ascii_serialization();
        let exp = unix_now() + self.jwt_lifetime.as_secs();
        let authorization = self.vapid.authorization(&audience, &self.subject, exp)?;
        let mut req = self
            .http
            .post(url)
            .header("Authorization", authorization)
            .header("TTL", message.ttl.as_secs().to_string())
            .header("Urgency", message.urgency.as_str())
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .body(body);
        if let Some(t) = &message.topic {
            req = req.header("Topic", t);
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(()),
            404 | 410 => Err(PushError::Gone),
            429 => Err(PushError::RateLimited {
                retry_after: crate::retry_after(resp.headers()),
            }),
            _ => Err(PushError::Rejected(status)),
        }
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// The content-encryption key and nonce (RFC 8291 §3.3–3.4, RFC 8188 §2.2–2.3).
fn derive(
    ecdh_secret: &[u8],
    auth: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> (Zeroizing<[u8; 16]>, [u8; 12]) {
    // HKDF-Extract(auth, ecdh) then Expand with "WebPush: info" ‖ 0 ‖ ua ‖ as, 32 bytes.
    let prk_key = Zeroizing::new(hmac_sha256(auth, &[ecdh_secret]));
    let ikm = Zeroizing::new(hmac_sha256(
        &*prk_key,
        &[b"WebPush: info\0", ua_public, as_public, &[1]],
    ));
    let prk = Zeroizing::new(hmac_sha256(salt, &[&*ikm]));
    let cek_full = Zeroizing::new(hmac_sha256(
        &*prk,
        &[b"Content-Encoding: aes128gcm\0", &[1]],
    ));
    let nonce_full = hmac_sha256(&*prk, &[b"Content-Encoding: nonce\0", &[1]]);
    let mut cek = Zeroizing::new([0u8; 16]);
    cek.copy_from_slice(cek_full.get(..16).unwrap_or_default());
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(nonce_full.get(..12).unwrap_or_default());
    (cek, nonce)
}

/// Encrypt `plaintext` for a subscription: a fresh ephemeral key and salt per message.
pub fn encrypt(
    ua_public: &p256::PublicKey,
    auth: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, PushError> {
    use rand::RngExt as _;
    let ephemeral = p256::SecretKey::generate_from_rng(&mut rand::rng());
    let salt: [u8; 16] = rand::rng().random();
    encrypt_with(&ephemeral, salt, ua_public, auth, plaintext)
}

fn encrypt_with(
    ephemeral: &p256::SecretKey,
    salt: [u8; 16],
    ua_public: &p256::PublicKey,
    auth: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, PushError> {
    if plaintext.len() > MAX_PAYLOAD {
        return Err(PushError::Invalid(format!(
            "the payload is {} bytes; Web Push carries at most {MAX_PAYLOAD}",
            plaintext.len()
        )));
    }
    let as_public = ephemeral.public_key().to_sec1_bytes();
    let ua_bytes = ua_public.to_sec1_bytes();
    let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), ua_public.as_affine());
    let (cek, nonce) = derive(
        shared.raw_secret_bytes().as_slice(),
        auth,
        &ua_bytes,
        &as_public,
        &salt,
    );
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_128_GCM, &*cek).map_err(|_| PushError::Invalid("key".into()))?,
    );
    // One record, the last: plaintext ‖ 0x02, no further padding.
    let mut record = Vec::with_capacity(plaintext.len() + 1 + TAG_LEN);
    record.extend_from_slice(plaintext);
    record.push(2);
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut record,
    )
    .map_err(|_| PushError::Invalid("sealing failed".into()))?;
    let mut body = Vec::with_capacity(HEADER_LEN + record.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&record);
    Ok(body)
}

/// Decrypt an `aes128gcm` Web Push body with the subscription's private key and auth secret —
/// what the browser does (and the test push service, which checks every message it relays).
pub fn decrypt(ua_private: &p256::SecretKey, auth: &[u8], body: &[u8]) -> Result<Vec<u8>, String> {
    let salt = body.get(..16).ok_or("short header")?;
    let rs_bytes: [u8; 4] = body
        .get(16..20)
        .and_then(|b| b.try_into().ok())
        .ok_or("short header")?;
    let rs = u32::from_be_bytes(rs_bytes) as usize;
    if rs < 18 {
        return Err("record size below 18".into());
    }
    let idlen = *body.get(20).ok_or("short header")? as usize;
    let keyid = body.get(21..21 + idlen).ok_or("short header")?;
    let as_public =
        p256::PublicKey::from_sec1_bytes(keyid).map_err(|_| "keyid is not a P-256 point")?;
    let ciphertext = body.get(21 + idlen..).ok_or("no records")?;
    if ciphertext.is_empty() {
        return Err("no records".into());
    }
    let ua_public = ua_private.public_key().to_sec1_bytes();
    let shared = p256::ecdh::diffie_hellman(ua_private.to_nonzero_scalar(), as_public.as_affine());
    let (cek, nonce) = derive(
        shared.raw_secret_bytes().as_slice(),
        auth,
        &ua_public,
        keyid,
        salt,
    );
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &*cek).map_err(|_| "key")?);
    let records: Vec<&[u8]> = ciphertext.chunks(rs).collect();
    let last = records.len() - 1;
    let mut out = Vec::new();
    for (i, rec) in records.into_iter().enumerate() {
        // The record's nonce: NONCE XOR the record's sequence number (RFC 8188 §2.3).
        let mut n = nonce;
        for (k, b) in (i as u64).to_be_bytes().iter().enumerate() {
            if let Some(x) = n.get_mut(4 + k) {
                *x ^= b;
            }
        }
        let mut buf = rec.to_vec();
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(n), Aad::empty(), &mut buf)
            .map_err(|_| "record does not decrypt (wrong key, auth secret or a changed byte)")?;
        // Strip padding: zeros, then the delimiter (2 on the last record, 1 before).
        let end = plain
            .iter()
            .rposition(|&b| b != 0)
            .ok_or("record without delimiter")?;
        let want = if i == last { 2 } else { 1 };
        if plain.get(end) != Some(&want) {
            return Err("wrong padding delimiter".into());
        }
        out.extend_from_slice(plain.get(..end).unwrap_or_default());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        b64::decode(s).unwrap()
    }

    /// RFC 8291 Appendix A, every value as printed there.
    #[test]
    fn rfc8291_appendix_a() {
        let plaintext = d("V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24");
        let as_private =
            p256::SecretKey::from_slice(&d("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        assert_eq!(
            b64::encode(as_private.public_key().to_sec1_bytes()),
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        );
        let ua_private =
            p256::SecretKey::from_slice(&d("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")).unwrap();
        assert_eq!(
            b64::encode(ua_private.public_key().to_sec1_bytes()),
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
        );
        let auth = d("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = d("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt_with(
            &as_private,
            salt,
            &ua_private.public_key(),
            &auth,
            &plaintext,
        )
        .unwrap();
        assert_eq!(
            b64::encode(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
        assert_eq!(decrypt(&ua_private, &auth, &body).unwrap(), plaintext);
    }

    #[test]
    fn round_trip_and_refusals() {
        let ua = p256::SecretKey::generate_from_rng(&mut rand::rng());
        let auth = [7u8; 16];
        let body = encrypt(&ua.public_key(), &auth, b"hello").unwrap();
        assert_eq!(decrypt(&ua, &auth, &body).unwrap(), b"hello");
        // a changed byte, another auth secret, another key: all refused
        let mut bad = body.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(decrypt(&ua, &auth, &bad).is_err());
        assert!(decrypt(&ua, &[8u8; 16], &body).is_err());
        let other = p256::SecretKey::generate_from_rng(&mut rand::rng());
        assert!(decrypt(&other, &auth, &body).is_err());
        // the largest payload fits in 4096 bytes; one more byte is refused
        let max = encrypt(&ua.public_key(), &auth, &[b'x'; MAX_PAYLOAD]).unwrap();
        assert_eq!(max.len(), MAX_BODY);
        assert!(matches!(
            encrypt(&ua.public_key(), &auth, &[b'x'; MAX_PAYLOAD + 1]),
            Err(PushError::Invalid(_))
        ));
    }

    #[test]
    fn keys_topics_and_pem() {
        let ua = p256::SecretKey::generate_from_rng(&mut rand::rng());
        let p = b64::encode(ua.public_key().to_sec1_bytes());
        assert!(check_keys(&p, &b64::encode([0u8; 16])).is_ok());
        assert!(check_keys(&p, &b64::encode([0u8; 15])).is_err());
        assert!(check_keys("!!", &b64::encode([0u8; 16])).is_err());
        let mut off_curve = ua.public_key().to_sec1_bytes().into_vec();
        off_curve[64] ^= 1;
        assert!(check_keys(&b64::encode(off_curve), &b64::encode([0u8; 16])).is_err());
        assert!(valid_topic("abc-_09"));
        assert!(!valid_topic(""));
        assert!(!valid_topic(&"a".repeat(33)));
        assert!(!valid_topic("a b"));
        let k = VapidKey::generate();
        let again = VapidKey::from_pem(&k.to_pem().unwrap()).unwrap();
        assert_eq!(k.public_key(), again.public_key());
        assert_eq!(k.public_key().len(), 65);
        assert!(VapidKey::from_pem("nope").is_err());
    }
}
