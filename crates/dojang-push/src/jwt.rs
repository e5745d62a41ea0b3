//! The few JWT pieces the providers need: compact JWS with ES256 (VAPID, APNs) or RS256 (Google's
//! OAuth2 JWT-bearer grant). Written here rather than taken from a JWT crate: the workspace
//! already has P-256 (p256) and RSA (*ring*), three fixed algorithms need ~100 lines, and a
//! general JWT library would bring its own crypto stack and algorithm negotiation we do not want.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::SigningKey;
use serde::Serialize;

/// base64url without padding (JWT segments, VAPID keys, subscription keys).
pub mod b64 {
    use super::*;

    /// Encode.
    pub fn encode(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decode; tolerates `=` padding, which some browsers' `toJSON()` of old added.
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
    }
}

fn signing_input(header: &impl Serialize, claims: &impl Serialize) -> Result<String, String> {
    let h = serde_json::to_vec(header).map_err(|e| e.to_string())?;
    let c = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
    Ok(format!("{}.{}", b64::encode(h), b64::encode(c)))
}

/// A compact JWS signed with ES256 (raw r‖s, RFC 7518 §3.4).
pub(crate) fn sign_es256(
    key: &SigningKey,
    header: &impl Serialize,
    claims: &impl Serialize,
) -> Result<String, String> {
    use p256::ecdsa::signature::Signer as _;
    let input = signing_input(header, claims)?;
    let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
    Ok(format!("{input}.{}", b64::encode(sig.to_bytes())))
}

/// A compact JWS signed with RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
pub(crate) fn sign_rs256(
    key: &ring::signature::RsaKeyPair,
    header: &impl Serialize,
    claims: &impl Serialize,
) -> Result<String, String> {
    let input = signing_input(header, claims)?;
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| "RSA signing failed".to_owned())?;
    Ok(format!("{input}.{}", b64::encode(sig)))
}

/// The parts of a compact JWS whose signature checked out.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
#[derive(Debug)]
pub(crate) struct Verified {
    pub header: serde_json::Value,
    pub claims: serde_json::Value,
}

/// Verify a compact JWS with *ring* (a second implementation beside the signer's) against
/// `alg` and a public key (ES256: the 65-byte SEC1 point; RS256: a PKCS#1 `RSAPublicKey` DER).
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn verify(jwt: &str, alg: &str, public_key: &[u8]) -> Result<Verified, String> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS".into());
    };
    let header: serde_json::Value =
        serde_json::from_slice(&b64::decode(h).ok_or("header is not base64url")?)
            .map_err(|_| "header is not JSON")?;
    if header.get("alg").and_then(|a| a.as_str()) != Some(alg) {
        return Err(format!("alg is not {alg}"));
    }
    let sig = b64::decode(s).ok_or("signature is not base64url")?;
    let algorithm: &dyn ring::signature::VerificationAlgorithm = match alg {
        "ES256" => &ring::signature::ECDSA_P256_SHA256_FIXED,
        "RS256" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        _ => return Err("unsupported alg".into()),
    };
    ring::signature::UnparsedPublicKey::new(algorithm, public_key)
        .verify(format!("{h}.{c}").as_bytes(), &sig)
        .map_err(|_| "bad signature".to_owned())?;
    let claims: serde_json::Value =
        serde_json::from_slice(&b64::decode(c).ok_or("claims are not base64url")?)
            .map_err(|_| "claims are not JSON")?;
    if !claims.is_object() {
        return Err("claims are not an object".into());
    }
    Ok(Verified { header, claims })
}

/// The DER inside a PEM block with this label (`PRIVATE KEY`), or `None`.
pub(crate) fn pem_der(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem.get(start..)?.find(&end)?;
    let body: String = pem
        .get(start..stop)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Generate as _;
    use serde_json::json;

    #[test]
    fn es256_round_trip_and_tamper() {
        let key = SigningKey::generate_from_rng(&mut rand::rng());
        let public = key.verifying_key().to_sec1_bytes();
        let jwt = sign_es256(&key, &json!({"alg":"ES256"}), &json!({"sub":"x"})).unwrap();
        let v = verify(&jwt, "ES256", &public).unwrap();
        assert_eq!(v.claims["sub"], "x");
        // one byte of the claims changed
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        parts[1] = b64::encode(br#"{"sub":"y"}"#);
        assert_eq!(
            verify(&parts.join("."), "ES256", &public).unwrap_err(),
            "bad signature"
        );
        // another key
        let other = SigningKey::generate_from_rng(&mut rand::rng());
        assert!(verify(&jwt, "ES256", &other.verifying_key().to_sec1_bytes()).is_err());
        // alg confusion
        assert!(verify(&jwt, "RS256", &public).is_err());
        assert!(verify("a.b", "ES256", &public).is_err());
    }

    #[test]
    fn pem_blocks() {
        let pem = "junk\n-----BEGIN PRIVATE KEY-----\nAAEC\nAw==\n-----END PRIVATE KEY-----\n";
        assert_eq!(pem_der(pem, "PRIVATE KEY").unwrap(), vec![0, 1, 2, 3]);
        assert!(pem_der(pem, "RSA PRIVATE KEY").is_none());
    }
}
