//! What an operator does, shared by the `dojang admin …` commands and the admin console
//! (`/admin`): the admin password (Argon2id), registering relying parties and their aliases,
//! rotating credentials, webhooks, a member's legal name change, revoking certificates.
//! Each function checks its input, calls the store once where it can, and says what happened;
//! the caller prints or renders it.

use std::path::Path;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Argon2, PasswordHash};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_core::party::{generate_link_id, validate_link_id, validate_party_name};
use dojang_core::request::{validate_call_center, validate_sub_client_id};
use dojang_core::settings::SUB_CLIENT_NAME_MAX_CHARS;
use dojang_core::{
    Birthday, CertificateRecord, ClientCode, Member, PersonName, Phone, RelyingParty, SecretKey,
    ValidationError,
};
use dojang_pki::RevocationReason;
use dojang_proto::error::Lang;
use dojang_store::{Alias, Store, StoreError, Webhook};
use rand::RngExt as _;
use time::OffsetDateTime;

use crate::http::error::ApiError;
use crate::webhook::{generate_secret, target};

/// Why an operator's action was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// A field is malformed.
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    /// No relying party has this client code.
    #[error("no relying party has client code {0}")]
    NoParty(String),
    /// A relying party with this client code or LinkID exists.
    #[error("a relying party with this {0} exists")]
    PartyExists(&'static str),
    /// The relying party already has this alias.
    #[error("{0} already has an alias {1}")]
    AliasExists(String, String),
    /// The relying party has no such alias.
    #[error("{0} has no alias {1}")]
    NoAlias(String, String),
    /// The relying party has no webhook.
    #[error("{0} has no webhook")]
    NoWebhook(String),
    /// The webhook URL is refused (not public `https://`).
    #[error("{0}")]
    WebhookUrl(String),
    /// Nobody is registered with this phone number and birth date.
    #[error("nobody is registered with this phone number and birth date")]
    NoMember,
    /// The new name is the registered one.
    #[error("{0} is already the registered name")]
    SameName(String),
    /// No certificate has this serial.
    #[error("{0} is not a certificate dojang issued")]
    NoCertificate(String),
    /// The certificate was revoked before.
    #[error("{0} was revoked before")]
    RevokedBefore(String),
    /// The password is too short or too long.
    #[error("the password must be 12 to 256 characters")]
    PasswordLength,
    /// Hashing failed, or a stored hash is not an Argon2 PHC string.
    #[error("password hash: {0}")]
    Hash(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AdminError {
    /// The message for a person reading the admin console in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let ko = matches!(lang, Lang::Ko);
        match self {
            Self::Invalid(e) => ApiError::from(*e).code().message(lang).to_owned(),
            Self::NoParty(c) if ko => format!("이용기관 코드 {c}인 이용기관이 없습니다."),
            Self::PartyExists(_) if ko => {
                "같은 이용기관 코드 또는 LinkID인 이용기관이 이미 있습니다.".into()
            }
            Self::AliasExists(_, a) if ko => format!("별칭 {a}이(가) 이미 있습니다."),
            Self::NoAlias(_, a) if ko => format!("별칭 {a}이(가) 없습니다."),
            Self::NoWebhook(_) if ko => "웹훅이 설정되어 있지 않습니다.".into(),
            Self::WebhookUrl(e) if ko => format!("웹훅 주소를 쓸 수 없습니다: {e}"),
            Self::NoMember if ko => "이 휴대폰 번호와 생년월일로 가입한 회원이 없습니다.".into(),
            Self::SameName(n) if ko => format!("{n}은(는) 이미 등록된 이름입니다."),
            Self::NoCertificate(s) if ko => format!("{s}은(는) 도장이 발급한 인증서가 아닙니다."),
            Self::RevokedBefore(s) if ko => format!("{s}은(는) 이미 폐지되었습니다."),
            Self::PasswordLength if ko => "비밀번호는 12자 이상 256자 이하여야 합니다.".into(),
            Self::Store(e) => {
                tracing::error!(error = %e, "admin action failed");
                if ko {
                    "저장소 오류로 처리하지 못했습니다. 잠시 후 다시 시도하세요.".into()
                } else {
                    "A storage error stopped this; try again shortly.".into()
                }
            }
            Self::Hash(e) => {
                tracing::error!(error = %e, "admin password hash failed");
                if ko {
                    "비밀번호를 처리하지 못했습니다.".into()
                } else {
                    "The password could not be processed.".into()
                }
            }
            other => {
                let mut s = other.to_string();
                if let Some(first) = s.get(..1) {
                    let upper = first.to_uppercase();
                    s.replace_range(..1, &upper);
                }
                s.push('.');
                s
            }
        }
    }
}

// ----- the admin password ---------------------------------------------------------------------

/// Shortest password `dojang admin password set` accepts.
pub const PASSWORD_MIN_CHARS: usize = 12;

/// The Argon2id PHC string of `password` (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_password(password: &str) -> Result<String, AdminError> {
    let n = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=256).contains(&n) {
        return Err(AdminError::PasswordLength);
    }
    argon2id_hash(password.as_bytes()).map_err(AdminError::Hash)
}

/// Argon2id with the `argon2` crate's defaults (m = 19 MiB, t = 2, p = 1) and a fresh 16-byte
/// salt, as a PHC string: the one hashing of operator passwords and cloud-certificate PINs.
pub(crate) fn argon2id_hash(secret: &[u8]) -> Result<String, String> {
    let salt: [u8; 16] = rand::rng().random();
    Argon2::default()
        .hash_password_with_salt(secret, &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `secret` matches the PHC string `phc` (Argon2's own verification compares in
/// constant time). A malformed hash matches nothing.
pub(crate) fn argon2id_matches(phc: &str, secret: &[u8]) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(secret, &h).is_ok())
}

/// Whether `phc` is an Argon2 PHC string (checked once, when configuration is read).
pub fn is_password_hash(phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

/// Whether `password` matches `phc` (Argon2's own verification compares in constant time).
/// A malformed hash matches nothing.
pub fn verify_password(phc: &str, password: &str) -> bool {
    if let Err(e) = PasswordHash::new(phc) {
        tracing::error!(error = %e, "the admin password hash is malformed");
        return false;
    }
    argon2id_matches(phc, password.as_bytes())
}

pub(crate) fn write_new_secret_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

// ----- relying parties ------------------------------------------------------------------------

/// A client code of a registered relying party.
pub async fn registered(store: &dyn Store, code: &str) -> Result<RelyingParty, AdminError> {
    let parsed: ClientCode = code.trim().parse()?;
    store
        .relying_party(&parsed)
        .await?
        .ok_or_else(|| AdminError::NoParty(parsed.to_string()))
}

/// Register a relying party; its SecretKey is in the answer (shown only now).
pub async fn add_relying_party(
    store: &dyn Store,
    name: &str,
    client_code: Option<&str>,
    link_id: Option<&str>,
    call_center: Option<&str>,
    now: OffsetDateTime,
) -> Result<RelyingParty, AdminError> {
    let rp = {
        // The generator is not `Send`: it must be gone before the first `.await`.
        let mut rng = rand::rng();
        let name = validate_party_name(name)?;
        let client_code: ClientCode = match client_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => c.parse()?,
            None => ClientCode::generate(&mut rng),
        };
        let link_id = match link_id.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => {
                validate_link_id(l)?;
                l.to_owned()
            }
            None => generate_link_id(&mut rng),
        };
        let call_center_num = validate_call_center(call_center.filter(|c| !c.trim().is_empty()))?;
        RelyingParty {
            client_code,
            link_id,
            name,
            secret: SecretKey::generate(&mut rng),
            call_center_num,
            created_at: now,
        }
    };
    match store.insert_relying_party(&rp).await {
        Ok(()) => Ok(rp),
        Err(StoreError::Conflict(what)) => Err(AdminError::PartyExists(what)),
        Err(e) => Err(e.into()),
    }
}

/// The SecretKey as relying parties receive it (base64).
pub fn secret_text(rp: &RelyingParty) -> String {
    STANDARD.encode(rp.secret.as_bytes())
}

/// Replace a relying party's SecretKey: the new one, shown only now. The old one stops working
/// (within the credential cache's lifetime on other instances).
pub async fn rotate_secret(store: &dyn Store, code: &str) -> Result<RelyingParty, AdminError> {
    let mut rp = registered(store, code).await?;
    rp.secret = SecretKey::generate(&mut rand::rng());
    if !store
        .rotate_relying_party_secret(&rp.client_code, &rp.secret)
        .await?
    {
        return Err(AdminError::NoParty(rp.client_code.to_string()));
    }
    Ok(rp)
}

/// Set (or, empty, clear) the call-centre number.
pub async fn set_call_center(
    store: &dyn Store,
    code: &str,
    number: &str,
) -> Result<RelyingParty, AdminError> {
    let mut rp = registered(store, code).await?;
    let number = validate_call_center(Some(number).filter(|n| !n.trim().is_empty()))?;
    if !store
        .set_relying_party_call_center(&rp.client_code, number.as_deref())
        .await?
    {
        return Err(AdminError::NoParty(rp.client_code.to_string()));
    }
    rp.call_center_num = number;
    Ok(rp)
}

/// Register an alias: requests naming `id` as `subClientID` show `name`.
pub async fn add_alias(
    store: &dyn Store,
    code: &str,
    id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<Alias, AdminError> {
    let rp = registered(store, code).await?;
    let id = validate_sub_client_id(id.trim())?;
    let name = name.trim().to_owned();
    let unsafe_text = dojang_proto::text::first_unsafe(&name, dojang_proto::text::Lines::One);
    if name.is_empty() || name.chars().count() > SUB_CLIENT_NAME_MAX_CHARS || unsafe_text.is_some()
    {
        return Err(ValidationError::SubClientNameInvalid.into());
    }
    let a = Alias {
        client_code: rp.client_code,
        sub_client_id: id,
        name,
        created_at: now,
    };
    match store.insert_alias(&a).await {
        Ok(()) => Ok(a),
        Err(StoreError::Conflict(_)) => Err(AdminError::AliasExists(
            a.client_code.to_string(),
            a.sub_client_id,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Remove an alias (requests already made keep the name they showed).
pub async fn remove_alias(store: &dyn Store, code: &str, id: &str) -> Result<(), AdminError> {
    let rp = registered(store, code).await?;
    if store.remove_alias(&rp.client_code, id.trim()).await? {
        Ok(())
    } else {
        Err(AdminError::NoAlias(
            rp.client_code.to_string(),
            id.trim().to_owned(),
        ))
    }
}

/// Set a relying party's webhook URL: the webhook, and whether its signing secret is new (then
/// it is shown only now).
pub async fn set_webhook(
    store: &dyn Store,
    code: &str,
    url: &str,
    new_secret: bool,
    allow_private: bool,
    now: OffsetDateTime,
) -> Result<(Webhook, bool), AdminError> {
    let rp = registered(store, code).await?;
    let url = url.trim();
    target::check_url(url, allow_private).map_err(|e| AdminError::WebhookUrl(e.to_string()))?;
    let (secret, fresh) = match store.webhook(&rp.client_code).await? {
        Some(w) if !new_secret => (w.secret, false),
        _ => (generate_secret(), true),
    };
    let hook = Webhook {
        client_code: rp.client_code,
        url: url.to_owned(),
        secret,
        created_at: now,
        updated_at: now,
    };
    store.set_webhook(&hook).await?;
    Ok((hook, fresh))
}

/// Remove a relying party's webhook; pending deliveries are given up.
pub async fn clear_webhook(
    store: &dyn Store,
    code: &str,
    now: OffsetDateTime,
) -> Result<ClientCode, AdminError> {
    let rp = registered(store, code).await?;
    if store.remove_webhook(&rp.client_code, now).await? {
        Ok(rp.client_code)
    } else {
        Err(AdminError::NoWebhook(rp.client_code.to_string()))
    }
}

// ----- members and certificates ---------------------------------------------------------------

/// A recorded legal name change.
#[derive(Debug, Clone)]
pub struct Renamed {
    /// The member before.
    pub member: Member,
    /// The new name.
    pub name: PersonName,
    /// Serials of the certificates revoked (affiliationChanged): they named the old name.
    pub revoked: Vec<String>,
}

/// Record a legal name change: the person's active certificates name the old name, so they
/// are revoked (affiliationChanged) at once and the person must issue a new one.
pub async fn rename_member(
    store: &dyn Store,
    phone: &str,
    birth: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<Renamed, AdminError> {
    let phone = Phone::parse(phone.trim())?;
    let birthday = Birthday::parse(birth.trim(), now)?;
    let name = PersonName::parse(name)?;
    let member = store
        .member_by_phone_birthday(&phone, &birthday)
        .await?
        .ok_or(AdminError::NoMember)?;
    if member.person.name == name {
        return Err(AdminError::SameName(name.as_str().to_owned()));
    }
    let revoked: Vec<String> = store
        .certificates_of(member.id)
        .await?
        .into_iter()
        .filter(|c| c.revoked_at.is_none())
        .map(|c| c.serial)
        .collect();
    if !store.rename_member(member.id, &name, now).await? {
        return Err(AdminError::NoMember);
    }
    Ok(Renamed {
        member,
        name,
        revoked,
    })
}

/// A serial as given by an operator: hex, optional `0x`, any case.
pub fn parse_serial(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches("0x").to_ascii_lowercase();
    (!s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(s)
}

/// Revoke one certificate now; the CRL and OCSP say so from the next request on. A cloud
/// certificate's key is removed from the token (`hsm`) too, as when its holder revokes it.
pub async fn revoke_certificate(
    store: &dyn Store,
    hsm: Option<&dojang_hsm::Hsm>,
    serial: &str,
    reason: RevocationReason,
    now: OffsetDateTime,
) -> Result<CertificateRecord, AdminError> {
    match store.revoke_certificate(serial, now, reason.code()).await? {
        Some(c) => {
            remove_cloud_key(store, hsm, &c).await?;
            crate::metrics::certificate_revoked("operator");
            Ok(c)
        }
        None => match store.certificate(serial).await? {
            Some(_) => Err(AdminError::RevokedBefore(serial.to_owned())),
            None => Err(AdminError::NoCertificate(serial.to_owned())),
        },
    }
}

/// The key of a revoked cloud certificate, out of the token (nothing for an app certificate).
/// A cloud device's only unrevoked certificate is its current one (renewal revokes the old one
/// as superseded), so the certificate just revoked is the one whose key the device names. A
/// failure to remove is logged; the key is unusable either way, because every use checks the
/// certificate.
async fn remove_cloud_key(
    store: &dyn Store,
    hsm: Option<&dojang_hsm::Hsm>,
    c: &CertificateRecord,
) -> Result<(), AdminError> {
    let Some(cloud) = store.cloud_device(c.device_id).await? else {
        return Ok(());
    };
    let Some(hsm) = hsm.cloned() else {
        tracing::warn!(device = %c.device_id, "a revoked cloud certificate's key stays in the token: no [hsm] here");
        return Ok(());
    };
    let label = cloud.key_label.clone();
    match tokio::task::spawn_blocking(move || hsm.destroy(&label)).await {
        Ok(Ok(())) | Ok(Err(dojang_hsm::HsmError::NoKey(_))) => {}
        Ok(Err(e)) => {
            tracing::warn!(label = %cloud.key_label, error = %e, "a cloud key was not removed");
        }
        Err(e) => tracing::warn!(error = %e, "HSM task failed"),
    }
    Ok(())
}

/// "active", "revoked" or "expired" at `now`.
pub fn certificate_state(c: &CertificateRecord, now: OffsetDateTime) -> &'static str {
    if c.revoked_at.is_some() {
        "revoked"
    } else if c.not_after < now {
        "expired"
    } else {
        "active"
    }
}

/// The RFC 5280 name of a stored revocation reason.
pub fn reason_name(code: Option<u8>) -> Option<&'static str> {
    code.map(|c| RevocationReason::from_code(c).map_or("unspecified", RevocationReason::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_verify_and_refuse() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(is_password_hash(&phc));
        assert!(verify_password(&phc, "correct horse battery"));
        assert!(!verify_password(&phc, "correct horse battery!"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!is_password_hash("$pbkdf2$x"));
        assert!(matches!(
            hash_password("short"),
            Err(AdminError::PasswordLength)
        ));
    }

    #[test]
    fn serials_are_normalised() {
        assert_eq!(parse_serial(" 0xAB12 ").as_deref(), Some("ab12"));
        assert_eq!(parse_serial("xyz"), None);
        assert_eq!(parse_serial(""), None);
    }
}
