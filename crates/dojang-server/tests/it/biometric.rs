//! Biometric unlock (issue 16, "PIN 또는 생체인증"): a WebAuthn platform credential registered
//! with the PIN proof stands in for typing the PIN. The tests are the authenticator: a P-256 key
//! that writes authenticatorData, clientDataJSON and an ES256 signature as a platform
//! authenticator would, over real HTTP. The unlock secret it gets is the PIN path's (the key
//! file opens with it); every forged, replayed, expired, misdirected or unverified assertion
//! gets its own code, and refusals count toward the same five failed unlocks as wrong PINs.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dojang_app::{Authenticator, Enrolment, Holder, PinKeys};
use dojang_client::ErrorCode;
use dojang_testkit::TestServer;
use p256::ecdsa::SigningKey;
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::EncodePublicKey as _;
use rand::Rng as _;
use serde_json::{Value, json};

use crate::common::*;

const PIN: &str = "482913";

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// An enrolled phone: its bearer and PIN proof.
struct Phone {
    dir: std::path::PathBuf,
    token: String,
    proof: String,
}

async fn enrol(s: &TestServer, dir: &Path, phone: &str) -> Phone {
    let holder = Holder {
        name: NAME.into(),
        phone: phone.into(),
        birthday: BIRTH.into(),
    };
    let mut e = Enrolment::start(&s.url(), holder).await.unwrap();
    e.set_pin(PIN).unwrap();
    let code = s.last_code(phone).await;
    let done = e.submit_code(&code).await.unwrap();
    e.finish(dir, done, PIN).unwrap();
    let me = Authenticator::open(dir).unwrap();
    let keys = PinKeys::for_file(me.key_file(), PIN).unwrap();
    Phone {
        dir: dir.to_path_buf(),
        token: me.profile().device_token.clone(),
        proof: STANDARD.encode(keys.proof()),
    }
}

/// A platform authenticator: one ES256 credential for `rp_id`, used from `origin`.
struct Platform {
    key: SigningKey,
    id: Vec<u8>,
    rp_id: String,
    origin: String,
    count: u32,
}

impl Platform {
    fn new(s: &TestServer) -> Self {
        let mut id = vec![0u8; 16];
        rand::rng().fill_bytes(&mut id);
        Self {
            key: SigningKey::generate_from_rng(&mut rand::rng()),
            id,
            rp_id: "127.0.0.1".into(),
            origin: s.url(),
            count: 0,
        }
    }

    fn spki(&self) -> String {
        STANDARD.encode(self.key.verifying_key().to_public_key_der().unwrap())
    }

    /// The parts of an assertion over `challenge`, before encoding (tests tamper with them).
    fn parts(&mut self, challenge: &str, flags: u8) -> (Vec<u8>, Vec<u8>) {
        self.count += 1;
        let mut auth = sha256(self.rp_id.as_bytes());
        auth.push(flags);
        auth.extend_from_slice(&self.count.to_be_bytes());
        let client = json!({
            "type": "webauthn.get",
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes();
        (auth, client)
    }

    fn sign(&self, auth: &[u8], client: &[u8]) -> Value {
        use p256::ecdsa::signature::Signer as _;
        let mut signed = auth.to_vec();
        signed.extend_from_slice(&sha256(client));
        let sig: p256::ecdsa::Signature = self.key.sign(&signed);
        json!({
            "credentialId": URL_SAFE_NO_PAD.encode(&self.id),
            "authenticatorData": URL_SAFE_NO_PAD.encode(auth),
            "clientDataJSON": URL_SAFE_NO_PAD.encode(client),
            "signature": URL_SAFE_NO_PAD.encode(sig.to_der().as_bytes()),
        })
    }

    /// A well-formed assertion with UP and UV.
    fn assert(&mut self, challenge: &str) -> Value {
        let (a, c) = self.parts(challenge, 0x05);
        self.sign(&a, &c)
    }
}

async fn call(s: &TestServer, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let c = reqwest::Client::new();
    let url = format!("{}{path}", s.url());
    let req = match method {
        "DELETE" => c.delete(url),
        _ => c.post(url).json(&body),
    };
    let res = req.bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn turn_on(s: &TestServer, p: &Phone, a: &Platform) {
    let body = json!({"pinProof": p.proof, "credentialId": URL_SAFE_NO_PAD.encode(&a.id), "publicKey": a.spki()});
    let (status, b) = call(s, "POST", "/device/v1/biometric", &p.token, body).await;
    assert_eq!(status, 204, "{b}");
}

async fn challenge(s: &TestServer, p: &Phone) -> String {
    let (status, b) = call(
        s,
        "POST",
        "/device/v1/unlock/biometric/challenge",
        &p.token,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["expiresIn"], 120);
    b["challenge"].as_str().unwrap().to_owned()
}

async fn unlock(s: &TestServer, p: &Phone, body: Value) -> (u16, Value) {
    call(s, "POST", "/device/v1/unlock/biometric", &p.token, body).await
}

fn code(b: &Value) -> i64 {
    b["code"].as_i64().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_assertion_gets_the_pin_paths_unlock_secret_and_the_key_opens() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let phone = enrol(&s, &tmp.path().join("phone"), PHONE).await;
    let mut platform = Platform::new(&s);

    // Before it is turned on there is nothing to ask for.
    let (status, b) = call(
        &s,
        "POST",
        "/device/v1/unlock/biometric/challenge",
        &phone.token,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (404, ErrorCode::BiometricNotRegistered.code())
    );
    turn_on(&s, &phone, &platform).await;

    let c = challenge(&s, &phone).await;
    let (status, b) = unlock(&s, &phone, platform.assert(&c)).await;
    assert_eq!(status, 200, "{b}");
    let secret = b["unlockSecret"].as_str().unwrap().to_owned();
    let (status, by_pin) = call(
        &s,
        "POST",
        "/device/v1/unlock",
        &phone.token,
        json!({"pinProof": phone.proof}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        by_pin["unlockSecret"].as_str().unwrap(),
        secret,
        "the same secret"
    );
    // The key file opens with it (with k_pin, which the app unwraps with the PRF output).
    let me = Authenticator::open(&phone.dir).unwrap();
    let keys = PinKeys::for_file(me.key_file(), PIN).unwrap();
    keys.open(me.key_file(), &STANDARD.decode(&secret).unwrap())
        .unwrap();

    // The counter went up each time; the next challenge works too, the old one does not.
    let c2 = challenge(&s, &phone).await;
    let (status, _) = unlock(&s, &phone, platform.assert(&c2)).await;
    assert_eq!(status, 200);
    let stored = s
        .state()
        .store
        .device_biometric(me.profile().device_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sign_count, 2);

    // Turned off: gone.
    let (status, _) = call(
        &s,
        "DELETE",
        "/device/v1/biometric",
        &phone.token,
        Value::Null,
    )
    .await;
    assert_eq!(status, 204);
    let (status, b) = call(
        &s,
        "POST",
        "/device/v1/unlock/biometric/challenge",
        &phone.token,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (404, ErrorCode::BiometricNotRegistered.code())
    );

    // On again (a new credential), then a PIN change forgets it: k_pin changed.
    let second = Platform::new(&s);
    turn_on(&s, &phone, &second).await;
    let mut second = second;
    let c = challenge(&s, &phone).await;
    assert_eq!(unlock(&s, &phone, second.assert(&c)).await.0, 200);
    let new_proof = STANDARD.encode([5u8; 32]);
    let (status, b) = call(
        &s,
        "POST",
        "/device/v1/pin",
        &phone.token,
        json!({"pinProof": phone.proof, "newPinProof": new_proof}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = call(
        &s,
        "POST",
        "/device/v1/unlock/biometric/challenge",
        &phone.token,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (404, ErrorCode::BiometricNotRegistered.code())
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_needs_the_pin_proof_and_a_p256_key() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let phone = enrol(&s, &tmp.path().join("phone"), PHONE).await;
    let platform = Platform::new(&s);
    let id = URL_SAFE_NO_PAD.encode(&platform.id);
    let rsa_like = STANDARD.encode([0x30u8, 0x03, 0x02, 0x01, 0x00]);
    let other_curve = "MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEGHb3Yl7aMGP0pdD0P4aE2iiNHxfeyoXiF1RmIPKyMQzvYWqnqxHVvqjVxAGHaWKMfXHO5qvLUW3bvSBWZzZPqQ==";
    let cases = [
        // The bearer alone cannot add a credential.
        (
            json!({"credentialId": id, "publicKey": platform.spki()}),
            400,
            ErrorCode::BiometricPinProofMissing,
        ),
        (
            json!({"pinProof": "AAAA", "credentialId": id, "publicKey": platform.spki()}),
            400,
            ErrorCode::PinProofInvalid,
        ),
        (
            json!({"pinProof": phone.proof, "publicKey": platform.spki()}),
            400,
            ErrorCode::BiometricCredentialIdInvalid,
        ),
        (
            json!({"pinProof": phone.proof, "credentialId": "***", "publicKey": platform.spki()}),
            400,
            ErrorCode::BiometricCredentialIdInvalid,
        ),
        (
            json!({"pinProof": phone.proof, "credentialId": URL_SAFE_NO_PAD.encode(vec![1u8; 1024]), "publicKey": platform.spki()}),
            400,
            ErrorCode::BiometricCredentialIdInvalid,
        ),
        (
            json!({"pinProof": phone.proof, "credentialId": id}),
            400,
            ErrorCode::BiometricPublicKeyInvalid,
        ),
        (
            json!({"pinProof": phone.proof, "credentialId": id, "publicKey": rsa_like}),
            400,
            ErrorCode::BiometricPublicKeyInvalid,
        ),
        (
            json!({"pinProof": phone.proof, "credentialId": id, "publicKey": other_curve}),
            400,
            ErrorCode::BiometricPublicKeyInvalid,
        ),
    ];
    for (body, status, want) in cases {
        let (got, b) = call(
            &s,
            "POST",
            "/device/v1/biometric",
            &phone.token,
            body.clone(),
        )
        .await;
        assert_eq!((got, code(&b)), (status, want.code()), "{body} → {b}");
    }
    // A wrong PIN proof is a wrong PIN: counted.
    let wrong = STANDARD.encode([7u8; 32]);
    let body = json!({"pinProof": wrong, "credentialId": id, "publicKey": platform.spki()});
    let (got, b) = call(&s, "POST", "/device/v1/biometric", &phone.token, body).await;
    assert_eq!((got, code(&b)), (403, ErrorCode::PinWrong.code()), "{b}");
    assert!(
        b["message"].as_str().unwrap().contains("4 of 5 tries left"),
        "{b}"
    );
    // Nothing was registered by any of those.
    let (got, b) = call(
        &s,
        "POST",
        "/device/v1/unlock/biometric/challenge",
        &phone.token,
        json!({}),
    )
    .await;
    assert_eq!(
        (got, code(&b)),
        (404, ErrorCode::BiometricNotRegistered.code())
    );
    // Without a bearer: the device API's own refusal.
    let res = reqwest::Client::new()
        .post(format!("{}/device/v1/biometric", s.url()))
        .json(&json!({"pinProof": phone.proof, "credentialId": id, "publicKey": platform.spki()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_expired_and_misdirected_assertions_are_refused_each_with_its_code() {
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let phone = enrol(&s, &tmp.path().join("phone"), PHONE).await;
    let other = enrol(&s, &tmp.path().join("other"), "01087654321").await;
    let mut platform = Platform::new(&s);
    let mut other_platform = Platform::new(&s);
    turn_on(&s, &phone, &platform).await;
    turn_on(&s, &other, &other_platform).await;

    // Malformed bodies: refused before anything is checked, not counted.
    let c = challenge(&s, &phone).await;
    let good = platform.assert(&c);
    let malformed = [
        (
            "credentialId",
            json!("***"),
            ErrorCode::BiometricCredentialIdInvalid,
        ),
        (
            "credentialId",
            Value::Null,
            ErrorCode::BiometricCredentialIdInvalid,
        ),
        (
            "authenticatorData",
            json!("%%"),
            ErrorCode::BiometricAssertionMalformed,
        ),
        (
            "authenticatorData",
            json!(URL_SAFE_NO_PAD.encode([0u8; 36])),
            ErrorCode::BiometricAssertionMalformed,
        ),
        (
            "clientDataJSON",
            json!(""),
            ErrorCode::BiometricAssertionMalformed,
        ),
        (
            "signature",
            json!(URL_SAFE_NO_PAD.encode([0u8; 64])),
            ErrorCode::BiometricAssertionMalformed,
        ),
        (
            "signature",
            Value::Null,
            ErrorCode::BiometricAssertionMalformed,
        ),
    ];
    for _ in 0..2 {
        for (field, value, want) in &malformed {
            let mut body = good.clone();
            body[*field] = value.clone();
            let (status, b) = unlock(&s, &phone, body).await;
            assert_eq!((status, code(&b)), (400, want.code()), "{field}: {b}");
        }
    }
    // The good one still works after all that (nothing counted, the challenge unspent).
    let (status, b) = unlock(&s, &phone, good.clone()).await;
    assert_eq!(status, 200, "{b}");

    // Each refusal: (the assertion, its code). Each gets a fresh challenge unless it is about
    // the challenge. Four of them, then a success resets the count, and so on.
    let mut refusals: Vec<(Value, ErrorCode)> = Vec::new();
    // Replayed: the same assertion again.
    refusals.push((good.clone(), ErrorCode::BiometricChallengeUsed));
    // A challenge never issued.
    refusals.push((
        platform.assert(&URL_SAFE_NO_PAD.encode([9u8; 32])),
        ErrorCode::BiometricChallengeUnknown,
    ));
    // Another device's challenge (its own credential, this device's bearer).
    let theirs = challenge(&s, &other).await;
    refusals.push((
        platform.assert(&theirs),
        ErrorCode::BiometricChallengeOtherDevice,
    ));
    // Another device's credential over this device's challenge.
    let c = challenge(&s, &phone).await;
    refusals.push((
        other_platform.assert(&c),
        ErrorCode::BiometricCredentialUnknown,
    ));
    // A credential nobody registered (same id, another key): the signature does not verify.
    let c = challenge(&s, &phone).await;
    let mut impostor = Platform::new(&s);
    impostor.id = platform.id.clone();
    refusals.push((impostor.assert(&c), ErrorCode::BiometricSignatureInvalid));
    // Wrong type.
    let c = challenge(&s, &phone).await;
    let (a, _) = platform.parts(&c, 0x05);
    let cd =
        json!({"type": "webauthn.create", "challenge": c, "origin": platform.origin}).to_string();
    refusals.push((
        platform.sign(&a, cd.as_bytes()),
        ErrorCode::BiometricClientDataInvalid,
    ));
    // Not JSON.
    let (a, _) = platform.parts(&c, 0x05);
    refusals.push((
        platform.sign(&a, b"not json"),
        ErrorCode::BiometricClientDataInvalid,
    ));
    // Another origin.
    let c = challenge(&s, &phone).await;
    let (a, _) = platform.parts(&c, 0x05);
    let cd = json!({"type": "webauthn.get", "challenge": c, "origin": "https://evil.example"})
        .to_string();
    refusals.push((
        platform.sign(&a, cd.as_bytes()),
        ErrorCode::BiometricOriginMismatch,
    ));
    // Another relying-party id.
    let c = challenge(&s, &phone).await;
    let mut elsewhere = Platform::new(&s);
    elsewhere.key = platform.key.clone();
    elsewhere.id = platform.id.clone();
    elsewhere.rp_id = "evil.example".into();
    refusals.push((elsewhere.assert(&c), ErrorCode::BiometricRpIdMismatch));
    // User present but not verified; verified but not present.
    for flags in [0x01u8, 0x04] {
        let c = challenge(&s, &phone).await;
        let (a, cd) = platform.parts(&c, flags);
        refusals.push((platform.sign(&a, &cd), ErrorCode::BiometricUserNotVerified));
    }
    // Tampered authenticatorData (the UV bit set after signing) and clientDataJSON.
    let c = challenge(&s, &phone).await;
    let (a, cd) = platform.parts(&c, 0x01);
    let mut signed = platform.sign(&a, &cd);
    let mut forged = a.clone();
    forged[32] |= 0x04;
    signed["authenticatorData"] = json!(URL_SAFE_NO_PAD.encode(&forged));
    refusals.push((signed, ErrorCode::BiometricSignatureInvalid));
    let c = challenge(&s, &phone).await;
    let (a, cd) = platform.parts(&c, 0x05);
    let mut signed = platform.sign(&a, &cd);
    let text = String::from_utf8(cd)
        .unwrap()
        .replace("\"crossOrigin\":false", "\"crossOrigin\":false ");
    signed["clientDataJSON"] = json!(URL_SAFE_NO_PAD.encode(text.as_bytes()));
    refusals.push((signed, ErrorCode::BiometricSignatureInvalid));
    // A counter going backwards (a cloned authenticator).
    let c = challenge(&s, &phone).await;
    platform.count = 0;
    refusals.push((platform.assert(&c), ErrorCode::BiometricCounterRegressed));

    let mut since_success = 0;
    for (body, want) in refusals {
        let (status, b) = unlock(&s, &phone, body).await;
        assert_eq!((status, code(&b)), (401, want.code()), "{want:?}: {b}");
        since_success += 1;
        assert!(
            b["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{} of 5 tries left", 5 - since_success)),
            "refusals count: {b}"
        );
        if since_success == 4 {
            // A right PIN (or a good assertion) resets the count.
            platform.count += 1000;
            let c = challenge(&s, &phone).await;
            let (status, b) = unlock(&s, &phone, platform.assert(&c)).await;
            assert_eq!(status, 200, "{b}");
            since_success = 0;
        }
    }

    // Expired: a challenge older than two minutes.
    let c = challenge(&s, &phone).await;
    s.clock().advance(Duration::from_secs(121));
    let (status, b) = unlock(&s, &phone, platform.assert(&c)).await;
    assert_eq!(
        (status, code(&b)),
        (401, ErrorCode::BiometricChallengeExpired.code()),
        "{b}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failed_unlocks_pin_and_biometric_together_lock_the_device_and_forget_the_credential()
{
    let s = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let phone = enrol(&s, &tmp.path().join("phone"), PHONE).await;
    let mut platform = Platform::new(&s);
    turn_on(&s, &phone, &platform).await;
    let wrong = STANDARD.encode([3u8; 32]);
    for _ in 0..2 {
        let (status, b) = call(
            &s,
            "POST",
            "/device/v1/unlock",
            &phone.token,
            json!({"pinProof": wrong}),
        )
        .await;
        assert_eq!((status, code(&b)), (403, ErrorCode::PinWrong.code()));
    }
    for _ in 0..2 {
        let c = challenge(&s, &phone).await;
        let (a, cd) = platform.parts(&c, 0x01);
        let (status, b) = unlock(&s, &phone, platform.sign(&a, &cd)).await;
        assert_eq!(
            (status, code(&b)),
            (401, ErrorCode::BiometricUserNotVerified.code())
        );
    }
    let c = challenge(&s, &phone).await;
    let (status, b) = unlock(
        &s,
        &phone,
        platform.assert(&URL_SAFE_NO_PAD.encode([1u8; 32])),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (403, ErrorCode::DeviceLocked.code()),
        "{b}"
    );
    // Locked: the right assertion over the issued challenge gets nothing; the credential is gone.
    let (status, b) = unlock(&s, &phone, platform.assert(&c)).await;
    assert_eq!(status, 403, "{b}");
    assert_eq!(code(&b), ErrorCode::DeviceLocked.code(), "{b}");
    let me = Authenticator::open(&phone.dir).unwrap();
    let device = me.profile().device_id.parse().unwrap();
    let cert = s
        .state()
        .store
        .certificate(&me.profile().serial)
        .await
        .unwrap()
        .unwrap();
    assert!(cert.revoked_at.is_some(), "the certificate is revoked");
    assert!(
        !s.state()
            .store
            .delete_device_biometric(device)
            .await
            .unwrap(),
        "the lock deleted the credential"
    );
    s.stop().await;
}
