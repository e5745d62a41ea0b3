//! LinkHub's headers and barocert's field encryption.
//!
//! `headers` reads its input as the headers of a LinkHub call, one value a line: the token
//! request's `Authorization: LINKHUB <LinkID> <signature>`, `x-lh-date` (and `x-bc-date`),
//! `x-lh-forwarded`, `x-lh-version` / `x-pb-version`, `x-kc-auth`, a Bearer `Authorization`,
//! `x-bc-encryptionmode`, and the rest as the body; and runs every parser the server runs on
//! them, and the strings it signs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_proto::linkhub::{
    self, FieldMode, Forwarded, parse_bearer, parse_date, parse_forwarded, parse_kc_auth,
    parse_token_authorization,
};
use time::UtcOffset;

use crate::fixture::KEY;

/// The header parsers, each with what must hold of what it accepts.
pub fn headers(data: &[u8]) {
    let Some(text) = crate::text(data) else {
        return;
    };
    let mut lines = text.splitn(8, '\n');
    let mut next = || lines.next().unwrap_or("");
    let (authorization, date, forwarded, version) = (next(), next(), next(), next());
    let (kc_auth, bearer, mode) = (next(), next(), next());
    let body = next().as_bytes();

    if let Some((link_id, signature)) = parse_token_authorization(authorization) {
        for part in [link_id, signature] {
            assert!(!part.is_empty() && !part.contains(' '));
        }
        let written = linkhub::token_authorization(link_id, signature);
        assert_eq!(
            parse_token_authorization(&written),
            Some((link_id, signature))
        );
    }
    if let Some(when) = parse_date(date) {
        // What the server writes (whole seconds, UTC) reads back as that second.
        let written = linkhub::format_time(when);
        let again = parse_date(&written).unwrap_or_else(|| panic!("{written:?} does not read"));
        assert_eq!(again, when.replace_nanosecond(0).expect("0 ns"));
        assert_eq!(again.offset(), UtcOffset::UTC);
        let _ = linkhub::format_expiration(when);
    }
    match parse_forwarded(forwarded) {
        Some(Forwarded::Ip(ip)) => {
            assert_eq!(parse_forwarded(&ip.to_string()), Some(Forwarded::Ip(ip)));
        }
        Some(Forwarded::Any) => assert_eq!(forwarded, "*"),
        None => {}
    }
    if linkhub::is_kc_v1(Some(version)) {
        assert_eq!(version.trim(), linkhub::KC_V1_VERSION);
    }
    if let Some((link_id, signature)) = parse_kc_auth(kc_auth) {
        assert!(!link_id.contains(' '));
        assert_eq!(signature, signature.trim());
    }
    if let Some(token) = parse_bearer(bearer) {
        assert!(!token.is_empty() && token == token.trim());
    }
    if let Some(m) = FieldMode::from_header(Some(mode)) {
        assert!(m.as_str().eq_ignore_ascii_case(mode.trim()));
    }

    // The strings the dialects sign, and their signatures: the right key verifies, the
    // signature under another key or of another text does not; the signature header as sent
    // (`signature`) verifies only if it is the right one.
    let forwarded = Some(forwarded).filter(|f| !f.is_empty());
    let texts = [
        linkhub::token_string_to_sign(body, date, forwarded, linkhub::BAROCERT),
        linkhub::barocert_string_to_sign(body, date, version, body.is_empty()),
        linkhub::kakaocert_string_to_sign(body, date),
    ];
    let other_key = [0x5a; 32];
    for t in &texts {
        let sig = linkhub::sign(&KEY, t);
        assert!(linkhub::verify(&KEY, t, &sig));
        assert!(!linkhub::verify(&other_key, t, &sig));
        assert!(!linkhub::verify(&KEY, &format!("{t}x"), &sig));
        if let Some((_, signature)) = parse_kc_auth(kc_auth) {
            assert_eq!(linkhub::verify(&KEY, t, signature), signature == sig);
        }
    }
    let v1 = linkhub::kakaocert_v1_string_to_sign(body, date);
    let sig = linkhub::sign_v1(&KEY, &v1);
    assert!(linkhub::verify_v1(&KEY, &v1, &sig));
    assert!(!linkhub::verify_v1(&other_key, &v1, &sig));
}

/// barocert's encrypted fields: any value the server is sent either decrypts or is refused
/// (in both modes), and a decrypted value, encrypted again, decrypts to itself; any text
/// encrypted with the key decrypts to itself and not under another key.
pub fn field_crypto(data: &[u8]) {
    let other_key = [0x5a; 32];
    if let Some(value) = crate::text(data) {
        for mode in [FieldMode::Gcm, FieldMode::Cbc] {
            if let Ok(plain) = mode.decrypt(&KEY, value) {
                let again = match mode {
                    FieldMode::Gcm => linkhub::encrypt_gcm(&KEY, [1; 12], &plain),
                    FieldMode::Cbc => linkhub::encrypt_cbc(&KEY, [1; 16], &plain),
                }
                .expect("32-byte key");
                assert_eq!(mode.decrypt(&KEY, &again).as_deref(), Ok(plain.as_str()));
            }
        }
        // Wrong-length keys are refused, never a panic.
        let _ = FieldMode::Gcm.decrypt(&KEY[..16], value);
        let _ = FieldMode::Cbc.decrypt(&[], value);
    }
    let plain = String::from_utf8_lossy(data);
    let gcm = linkhub::encrypt_gcm(&KEY, [2; 12], &plain).expect("32-byte key");
    assert_eq!(FieldMode::Gcm.decrypt(&KEY, &gcm).as_deref(), Ok(&*plain));
    assert!(FieldMode::Gcm.decrypt(&other_key, &gcm).is_err());
    let cbc = linkhub::encrypt_cbc(&KEY, [3; 16], &plain).expect("32-byte key");
    assert_eq!(FieldMode::Cbc.decrypt(&KEY, &cbc).as_deref(), Ok(&*plain));
    // Tampered: one bit of the GCM ciphertext flipped is refused.
    let mut raw = STANDARD.decode(&gcm).expect("base64");
    if let Some(b) = raw.last_mut() {
        *b ^= 1;
    }
    assert!(FieldMode::Gcm.decrypt(&KEY, &STANDARD.encode(raw)).is_err());
}
