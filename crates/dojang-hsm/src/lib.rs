//! dojang's signing keys in a hardware security module, over PKCS#11 (the `cryptoki` crate).
//!
//! A key is a P-256 pair generated *inside* the token (`C_GenerateKeyPair`) with the private
//! half marked `CKA_TOKEN`, `CKA_PRIVATE`, `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`: the token
//! signs with it (`CKM_ECDSA` over a SHA-256 digest computed here) and never hands it out. Keys
//! are found again by their label (`CKA_LABEL`). SoftHSM2 is the token in development, tests and
//! CI; any PKCS#11 module works in production.
//!
//! [`HsmKey`] implements [`signature::Signer`] for [`DerSignature`] and [`signature::Keypair`],
//! so the X.509 and CMS builders take it where they take a file key. No IO but the module's, no
//! clock, no async: the server calls it from a blocking task where it matters.

use core::fmt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use der::{Decode, Encode, asn1::OctetString};
use p256::ecdsa::{DerSignature, Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// DER of the named curve prime256v1 (`06 08 2A 86 48 CE 3D 03 01 07`), the `CKA_EC_PARAMS`
/// of every key made here.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Longest key label accepted (PKCS#11 sets no limit; tokens do).
pub const MAX_LABEL_LEN: usize = 64;

/// Which module, which token, and the token's user PIN.
#[derive(Clone)]
pub struct HsmConfig {
    /// The PKCS#11 module (a shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The label of an initialised token in that module.
    pub token: String,
    /// The token's user PIN.
    pub pin: Zeroizing<String>,
}

impl fmt::Debug for HsmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HsmConfig")
            .field("module", &self.module)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// What can go wrong talking to the token. Messages name the module, token or key, never the PIN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HsmError {
    /// The module could not be loaded or initialised.
    #[error("the PKCS#11 module {path} could not be loaded: {why}")]
    Module {
        /// The module's path.
        path: PathBuf,
        /// What the loader or `C_Initialize` said.
        why: String,
    },
    /// No initialised token with this label.
    #[error("no initialised token labelled {0:?} in the PKCS#11 module")]
    NoToken(String),
    /// The token refused the user PIN (or it is locked).
    #[error("the token {0:?} refused the PIN (wrong, expired or locked)")]
    Pin(String),
    /// No key with this label.
    #[error("no key labelled {0:?} in the token")]
    NoKey(String),
    /// A key with this label exists already.
    #[error("a key labelled {0:?} exists already in the token")]
    KeyExists(String),
    /// A label that is empty, too long or not printable.
    #[error("a key label is 1 to {MAX_LABEL_LEN} printable ASCII characters: {0:?}")]
    BadLabel(String),
    /// The key found is not a P-256 signing key, or a key part is missing.
    #[error("the token's key {0:?} is not a usable P-256 signing key")]
    NotP256(String),
    /// Anything else the module answered.
    #[error("PKCS#11 {0}")]
    Pkcs11(String),
}

fn ck(e: CkError) -> HsmError {
    HsmError::Pkcs11(e.to_string())
}

/// One context per module path for the whole process: `C_Initialize` may be called once.
fn context(module: &Path) -> Result<Pkcs11, HsmError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let map = CONTEXTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map
        .lock()
        .map_err(|_| HsmError::Pkcs11("context registry poisoned".to_owned()))?;
    if let Some(ctx) = map.get(module) {
        return Ok(ctx.clone());
    }
    let fail = |why: String| HsmError::Module {
        path: module.to_owned(),
        why,
    };
    let ctx = Pkcs11::new(module).map_err(|e| fail(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(fail(e.to_string())),
    }
    map.insert(module.to_owned(), ctx.clone());
    Ok(ctx)
}

/// The SHA-256 of the PIN that logged in to each token of each module in this process. PKCS#11
/// keeps one login per application and token: once logged in, `C_Login` answers "already
/// logged in" whatever PIN it is given, so a later open with another PIN is checked here.
type Logins = Mutex<HashMap<(PathBuf, String), [u8; 32]>>;

fn logged_in() -> &'static Logins {
    static LOGINS: OnceLock<Logins> = OnceLock::new();
    LOGINS.get_or_init(|| Mutex::new(HashMap::new()))
}

struct Inner {
    module: PathBuf,
    ctx: Pkcs11,
    slot: Slot,
    token: String,
    pin: AuthPin,
    /// Sessions not in use. A `Session` may be used by one thread at a time; each operation
    /// takes one out and puts it back. One session always stays open, which keeps the login.
    idle: Mutex<Vec<Session>>,
}

/// An open, logged-in token. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct Hsm {
    inner: Arc<Inner>,
}

impl fmt::Debug for Hsm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hsm")
            .field("token", &self.inner.token)
            .finish_non_exhaustive()
    }
}

/// A session borrowed from the pool, returned on drop.
struct Lease<'a> {
    inner: &'a Inner,
    session: Option<Session>,
}

impl Lease<'_> {
    fn get(&self) -> Result<&Session, HsmError> {
        self.session
            .as_ref()
            .ok_or_else(|| HsmError::Pkcs11("session already returned".to_owned()))
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (Some(s), Ok(mut idle)) = (self.session.take(), self.inner.idle.lock()) {
            idle.push(s);
        }
    }
}

impl Hsm {
    /// Loads the module, finds the token by its label and logs in with the user PIN.
    pub fn open(config: &HsmConfig) -> Result<Self, HsmError> {
        let ctx = context(&config.module)?;
        let mut found = None;
        for slot in ctx.get_slots_with_initialized_token().map_err(ck)? {
            let info = ctx.get_token_info(slot).map_err(ck)?;
            if info.label().trim_end() == config.token {
                found = Some(slot);
                break;
            }
        }
        let slot = found.ok_or_else(|| HsmError::NoToken(config.token.clone()))?;
        let inner = Inner {
            module: config.module.clone(),
            ctx,
            slot,
            token: config.token.clone(),
            pin: AuthPin::from(config.pin.as_str()),
            idle: Mutex::new(Vec::new()),
        };
        let first = inner.open_session()?;
        if let Ok(mut idle) = inner.idle.lock() {
            idle.push(first);
        }
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The token's label.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// Generates a new P-256 key pair in the token under `label`; refuses a label in use.
    pub fn generate(&self, label: &str) -> Result<HsmKey, HsmError> {
        check_label(label)?;
        let lease = self.inner.lease()?;
        let session = lease.get()?;
        if find_private(session, label)?.is_some() {
            return Err(HsmError::KeyExists(label.to_owned()));
        }
        let mut id = [0u8; 16];
        rand::fill(&mut id);
        let label_bytes = label.as_bytes().to_vec();
        let public_template = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(P256_PARAMS.to_vec()),
            Attribute::Label(label_bytes.clone()),
            Attribute::Id(id.to_vec()),
        ];
        let private_template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Derive(false),
            Attribute::Label(label_bytes),
            Attribute::Id(id.to_vec()),
        ];
        // SoftHSM2 answered CKR_GENERAL_ERROR to one of two key generations running at once
        // in one process (seen in CI: tests/it/cloud.rs); one generation at a time per process
        // costs nothing that matters (issuance, not signing) and keeps the token's object files
        // written by one thread.
        static GENERATING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = GENERATING
            .lock()
            .map_err(|_| HsmError::Pkcs11("key generation lock poisoned".to_owned()))?;
        let (public, private) = session
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &public_template,
                &private_template,
            )
            .map_err(ck)?;
        let verifying = public_point(session, public, label)?;
        drop(lease);
        Ok(HsmKey {
            hsm: self.clone(),
            label: label.to_owned(),
            private,
            verifying,
        })
    }

    /// The key labelled `label`, if the token has one.
    pub fn find(&self, label: &str) -> Result<Option<HsmKey>, HsmError> {
        check_label(label)?;
        let lease = self.inner.lease()?;
        let session = lease.get()?;
        let Some(private) = find_private(session, label)? else {
            return Ok(None);
        };
        let attrs = session
            .get_attributes(private, &[AttributeType::KeyType, AttributeType::Id])
            .map_err(ck)?;
        let mut id = None;
        for a in attrs {
            match a {
                Attribute::KeyType(t) if t != KeyType::EC => {
                    return Err(HsmError::NotP256(label.to_owned()));
                }
                Attribute::Id(v) => id = Some(v),
                _ => {}
            }
        }
        let id = id.ok_or_else(|| HsmError::NotP256(label.to_owned()))?;
        let public = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::Id(id),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(ck)?
            .into_iter()
            .next()
            .ok_or_else(|| HsmError::NotP256(label.to_owned()))?;
        let verifying = public_point(session, public, label)?;
        drop(lease);
        Ok(Some(HsmKey {
            hsm: self.clone(),
            label: label.to_owned(),
            private,
            verifying,
        }))
    }

    /// The key labelled `label`, generated first if the token has none.
    pub fn find_or_generate(&self, label: &str) -> Result<(HsmKey, bool), HsmError> {
        match self.find(label)? {
            Some(k) => Ok((k, false)),
            None => self.generate(label).map(|k| (k, true)),
        }
    }

    /// Removes both halves of the key labelled `label` from the token (a holder's cloud
    /// certificate revoked for good, a test's own keys). No key: [`HsmError::NoKey`].
    pub fn destroy(&self, label: &str) -> Result<(), HsmError> {
        check_label(label)?;
        let lease = self.inner.lease()?;
        let session = lease.get()?;
        let objects = session
            .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
            .map_err(ck)?;
        if objects.is_empty() {
            return Err(HsmError::NoKey(label.to_owned()));
        }
        for o in objects {
            session.destroy_object(o).map_err(ck)?;
        }
        Ok(())
    }

    /// The raw value of one attribute of the private key labelled `label` as the token reports
    /// it, for tests that show the token keeps the key: asking for `CKA_VALUE` of a sensitive key
    /// must fail. `Ok(None)`: the token says the attribute is sensitive or absent.
    pub fn private_attribute(
        &self,
        label: &str,
        attribute: AttributeType,
    ) -> Result<Option<Attribute>, HsmError> {
        let lease = self.inner.lease()?;
        let session = lease.get()?;
        let private =
            find_private(session, label)?.ok_or_else(|| HsmError::NoKey(label.to_owned()))?;
        match session.get_attributes(private, &[attribute]) {
            Ok(mut v) => Ok(v.pop()),
            Err(CkError::Pkcs11(RvError::AttributeSensitive, _)) => Ok(None),
            Err(e) => Err(ck(e)),
        }
    }
}

impl Inner {
    fn open_session(&self) -> Result<Session, HsmError> {
        use secrecy::ExposeSecret;
        let session = self.ctx.open_rw_session(self.slot).map_err(ck)?;
        let digest: [u8; 32] = Sha256::digest(self.pin.expose_secret().as_bytes()).into();
        let key = (self.module.clone(), self.token.clone());
        // Logins are serialised under the registry's lock, so "already logged in" is never
        // answered before the PIN that logged in is recorded.
        let mut logins = logged_in()
            .lock()
            .map_err(|_| HsmError::Pkcs11("login registry poisoned".to_owned()))?;
        match session.login(UserType::User, Some(&self.pin)) {
            Ok(()) => {
                logins.insert(key, digest);
                Ok(session)
            }
            Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
                // Logged in by someone else in this process (not through here): trust the token.
                match logins.get(&key) {
                    Some(d) if *d != digest => Err(HsmError::Pin(self.token.clone())),
                    _ => Ok(session),
                }
            }
            Err(CkError::Pkcs11(
                RvError::PinIncorrect | RvError::PinLocked | RvError::PinExpired,
                _,
            )) => Err(HsmError::Pin(self.token.clone())),
            Err(e) => Err(ck(e)),
        }
    }

    fn lease(&self) -> Result<Lease<'_>, HsmError> {
        let pooled = self
            .idle
            .lock()
            .map_err(|_| HsmError::Pkcs11("session pool poisoned".to_owned()))?
            .pop();
        let session = match pooled {
            Some(s) => s,
            None => self.open_session()?,
        };
        Ok(Lease {
            inner: self,
            session: Some(session),
        })
    }
}

fn check_label(label: &str) -> Result<(), HsmError> {
    if label.is_empty()
        || label.len() > MAX_LABEL_LEN
        || !label.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(HsmError::BadLabel(label.to_owned()));
    }
    Ok(())
}

fn find_private(session: &Session, label: &str) -> Result<Option<ObjectHandle>, HsmError> {
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .map_err(ck)?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(HsmError::Pkcs11(format!(
            "more than one private key labelled {label:?}"
        ))),
    }
}

/// The public point of a key pair: `CKA_EC_POINT` is a DER OCTET STRING around the
/// uncompressed point (some modules give the bare point; both are accepted).
fn public_point(
    session: &Session,
    public: ObjectHandle,
    label: &str,
) -> Result<VerifyingKey, HsmError> {
    let attrs = session
        .get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(ck)?;
    let mut params = None;
    let mut point = None;
    for a in attrs {
        match a {
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    if params.as_deref() != Some(&P256_PARAMS[..]) {
        return Err(HsmError::NotP256(label.to_owned()));
    }
    let point = point.ok_or_else(|| HsmError::NotP256(label.to_owned()))?;
    let bare = match OctetString::from_der(&point) {
        Ok(os) => os.as_bytes().to_vec(),
        Err(_) => point,
    };
    VerifyingKey::from_sec1_bytes(&bare).map_err(|_| HsmError::NotP256(label.to_owned()))
}

/// A P-256 signing key held by the token. Signs ECDSA with SHA-256: the digest is computed
/// here and the token signs it with `CKM_ECDSA`; the answer (r ‖ s) becomes a DER signature.
#[derive(Clone)]
pub struct HsmKey {
    hsm: Hsm,
    label: String,
    private: ObjectHandle,
    verifying: VerifyingKey,
}

impl fmt::Debug for HsmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HsmKey")
            .field("token", &self.hsm.inner.token)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl HsmKey {
    /// Its label in the token.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Its public half.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        self.verifying
    }

    /// The public key as a DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Result<Vec<u8>, HsmError> {
        spki::SubjectPublicKeyInfoOwned::from_key(&self.verifying)
            .and_then(|s| s.to_der().map_err(Into::into))
            .map_err(|e| HsmError::Pkcs11(format!("encoding the public key: {e}")))
    }

    /// ECDSA P-256 over the SHA-256 of `message`, by the token, verified here before it is
    /// returned (a module that answers garbage is caught at once, not by a relying party).
    pub fn sign_message(&self, message: &[u8]) -> Result<Signature, HsmError> {
        let digest = Sha256::digest(message);
        let lease = self.hsm.inner.lease()?;
        let raw = lease
            .get()?
            .sign(&Mechanism::Ecdsa, self.private, digest.as_slice())
            .map_err(ck)?;
        drop(lease);
        let sig = Signature::from_slice(&raw)
            .map_err(|_| HsmError::Pkcs11("the token's ECDSA answer is not r ‖ s".to_owned()))?;
        let sig = sig.normalize_s();
        use signature::hazmat::PrehashVerifier;
        self.verifying
            .verify_prehash(digest.as_slice(), &sig)
            .map_err(|_| HsmError::Pkcs11("the token's signature does not verify".to_owned()))?;
        Ok(sig)
    }
}

impl signature::Keypair for HsmKey {
    type VerifyingKey = VerifyingKey;
    fn verifying_key(&self) -> VerifyingKey {
        self.verifying
    }
}

impl signature::Signer<DerSignature> for HsmKey {
    fn try_sign(&self, msg: &[u8]) -> Result<DerSignature, signature::Error> {
        self.sign_message(msg)
            .map(|s| s.to_der())
            .map_err(signature::Error::from_source)
    }
}

impl spki::DynSignatureAlgorithmIdentifier for HsmKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<spki::AlgorithmIdentifierOwned> {
        Ok(spki::AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        })
    }
}

/// The throwaway token that `.ci/start-softhsm.sh` makes for tests and benchmarks, from
/// `DOJANG_TEST_HSM_TOKEN`, `DOJANG_TEST_HSM_PIN` and `DOJANG_TEST_HSM_MODULE` (default
/// [`SOFTHSM2_MODULE`]). `None`, after saying so on stderr, when they are not set: the callers
/// then skip what needs a token, as the PostgreSQL legs do without their URL.
#[must_use]
pub fn test_token() -> Option<HsmConfig> {
    let (Ok(token), Ok(pin)) = (
        std::env::var("DOJANG_TEST_HSM_TOKEN"),
        std::env::var("DOJANG_TEST_HSM_PIN"),
    ) else {
        eprintln!("skipped: no PKCS#11 test token (eval \"$(.ci/start-softhsm.sh)\")");
        return None;
    };
    Some(HsmConfig {
        module: std::env::var("DOJANG_TEST_HSM_MODULE")
            .unwrap_or_else(|_| SOFTHSM2_MODULE.to_owned())
            .into(),
        token,
        pin: Zeroizing::new(pin),
    })
}

/// Where Debian's SoftHSM2 puts its module.
pub const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The hex of a key's `CKA_ID`-independent fingerprint: SHA-256 of its SubjectPublicKeyInfo,
/// for logs and `dojang` output (which key, never the key).
pub fn fingerprint(key: &VerifyingKey) -> String {
    let der = spki::SubjectPublicKeyInfoOwned::from_key(key)
        .and_then(|s| s.to_der().map_err(Into::into))
        .unwrap_or_default();
    hex::encode(Sha256::digest(&der))
}
