//! Named operator accounts of the admin console, their second factor (TOTP, RFC 6238) and the
//! append-only audit log: shared by `dojang admin operator …` and the console's Operators page.
//!
//! Roles: `administrator` may do everything; `desk` (the registration desk) reads people and
//! certificates and issues registration-desk codes; `support` reads every page and the audit log and changes nothing.
//! [`permits`] is the one table the console checks every route against.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojang_store::{AuditEntry, NewOperator, OperatorRecord, OperatorRole, Store, StoreError};
use rand::RngExt as _;
use time::OffsetDateTime;

use super::admin::{AdminError, hash_password};

/// The login name of the first administrator (made at first start, or from the password of
/// schema v9, or from `[admin] password_hash`).
pub const FIRST_ADMIN: &str = "admin";
/// The issuer shown by authenticator apps.
pub const TOTP_ISSUER: &str = "dojang";
/// TOTP secrets are 160 bits (RFC 4226's recommendation).
const TOTP_SECRET_LEN: usize = 20;

/// Whether `role` may do `action` (a stable name: `page.*` to read a page, anything else a
/// change). Administrators may do everything; support reads every page; the desk reads the
/// pages about people and certificates and issues registration-desk codes.
pub fn permits(role: OperatorRole, action: &str) -> bool {
    match role {
        OperatorRole::Administrator => true,
        OperatorRole::Support => action.starts_with("page.") || action == "audit.export",
        OperatorRole::Desk => matches!(
            action,
            "page.dashboard" | "page.members" | "page.certificates" | "page.desk" | "ra.issue"
        ),
    }
}

/// Why an operator command was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// The login name is not 2–32 lowercase letters, digits, `.`, `_`, `-`.
    #[error("a login name is 2 to 32 lowercase letters, digits, '.', '_' or '-'")]
    Login,
    /// The display name is empty or longer than 64 characters.
    #[error("a display name is 1 to 64 characters without control characters")]
    DisplayName,
    /// Not a role.
    #[error("the role must be administrator, desk or support")]
    Role,
    /// The login name is taken.
    #[error("an operator with login name {0} exists")]
    Exists(String),
    /// No such operator.
    #[error("no operator has login name {0}")]
    Unknown(String),
    /// The last enabled administrator cannot be disabled or demoted.
    #[error("{0} is the last enabled administrator")]
    LastAdministrator(String),
    /// Password rules.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OperatorError {
    /// The message for the console in `lang`.
    pub fn message(&self, lang: dojang_proto::error::Lang) -> String {
        let ko = matches!(lang, dojang_proto::error::Lang::Ko);
        match self {
            Self::Login if ko => {
                "로그인 이름은 영문 소문자, 숫자, '.', '_', '-'로 2~32자입니다.".into()
            }
            Self::DisplayName if ko => "표시 이름은 1~64자입니다.".into(),
            Self::Role if ko => "역할은 administrator, desk, support 중 하나입니다.".into(),
            Self::Exists(l) if ko => format!("로그인 이름 {l}인 운영자가 이미 있습니다."),
            Self::Unknown(l) if ko => format!("로그인 이름 {l}인 운영자가 없습니다."),
            Self::LastAdministrator(l) if ko => {
                format!("{l}은(는) 마지막으로 남은 활성 관리자입니다.")
            }
            Self::Admin(e) => e.message(lang),
            Self::Store(e) => AdminError::Store(StoreError::Corrupt(e.to_string())).message(lang),
            other => other.to_string(),
        }
    }
}

fn check_login(login: &str) -> Result<(), OperatorError> {
    let ok = (2..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(OperatorError::Login)
    }
}

fn check_display_name(name: &str) -> Result<(), OperatorError> {
    let n = name.chars().count();
    if (1..=64).contains(&n) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(OperatorError::DisplayName)
    }
}

/// A role by name.
pub fn parse_role(s: &str) -> Result<OperatorRole, OperatorError> {
    OperatorRole::parse(s.trim()).ok_or(OperatorError::Role)
}

/// A random password for a new or reset account (shown once).
pub fn random_password() -> String {
    let bytes: [u8; 18] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Create an operator with `password` (hashed with Argon2id here).
pub async fn add(
    store: &dyn Store,
    login: &str,
    display_name: &str,
    role: OperatorRole,
    password: &str,
    now: OffsetDateTime,
) -> Result<OperatorRecord, OperatorError> {
    let login = login.trim();
    check_login(login)?;
    let display_name = match display_name.trim() {
        "" => login,
        d => d,
    };
    check_display_name(display_name)?;
    let phc = hash_password(password)?;
    store
        .insert_operator(
            &NewOperator {
                login: login.to_owned(),
                display_name: display_name.to_owned(),
                role,
                password_hash: phc,
            },
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => OperatorError::Exists(login.to_owned()),
            e => e.into(),
        })
}

/// An operator by login name.
pub async fn find(store: &dyn Store, login: &str) -> Result<OperatorRecord, OperatorError> {
    store
        .operator_by_login(login.trim())
        .await?
        .ok_or_else(|| OperatorError::Unknown(login.trim().chars().take(32).collect()))
}

/// Refuse to leave no enabled administrator.
async fn keep_an_administrator(
    store: &dyn Store,
    op: &OperatorRecord,
) -> Result<(), OperatorError> {
    if op.role != OperatorRole::Administrator || op.disabled_at.is_some() {
        return Ok(());
    }
    let others = store
        .operators()
        .await?
        .into_iter()
        .filter(|o| {
            o.id != op.id && o.role == OperatorRole::Administrator && o.disabled_at.is_none()
        })
        .count();
    if others == 0 {
        Err(OperatorError::LastAdministrator(op.login.clone()))
    } else {
        Ok(())
    }
}

/// Change a role (not the last enabled administrator's to another).
pub async fn set_role(
    store: &dyn Store,
    login: &str,
    role: OperatorRole,
    now: OffsetDateTime,
) -> Result<OperatorRecord, OperatorError> {
    let op = find(store, login).await?;
    if role != OperatorRole::Administrator {
        keep_an_administrator(store, &op).await?;
    }
    store.set_operator_role(op.id, role, now).await?;
    Ok(op)
}

/// Disable (its sessions end at once, on every instance) or enable an operator.
pub async fn set_disabled(
    store: &dyn Store,
    login: &str,
    disabled: bool,
    now: OffsetDateTime,
) -> Result<OperatorRecord, OperatorError> {
    let op = find(store, login).await?;
    if disabled {
        keep_an_administrator(store, &op).await?;
    }
    store.set_operator_disabled(op.id, disabled, now).await?;
    Ok(op)
}

/// A new password (its sessions end).
pub async fn reset_password(
    store: &dyn Store,
    login: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<OperatorRecord, OperatorError> {
    let op = find(store, login).await?;
    let phc = hash_password(password)?;
    store.set_operator_password(op.id, &phc, now).await?;
    Ok(op)
}

/// Forget the second factor: the operator enrols a new one at the next login (its sessions end).
pub async fn reset_totp(
    store: &dyn Store,
    login: &str,
    now: OffsetDateTime,
) -> Result<OperatorRecord, OperatorError> {
    let op = find(store, login).await?;
    store.set_operator_totp(op.id, None, now).await?;
    Ok(op)
}

// ----- TOTP ------------------------------------------------------------------------------------

/// A fresh random TOTP secret.
pub fn new_totp_secret() -> Vec<u8> {
    let bytes: [u8; TOTP_SECRET_LEN] = rand::rng().random();
    bytes.to_vec()
}

/// The RFC 6238 generator of an operator's secret: SHA-1, 6 digits, 30-second steps, one step
/// of clock skew either way (what authenticator apps do).
pub fn totp(secret: &[u8], login: &str) -> Option<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_issuer(Some(TOTP_ISSUER))
        .with_account_name(login)
        .build()
        .ok()
}

/// The time step a code belongs to, if it is right at `now` (within one step either way).
pub fn check_code(secret: &[u8], login: &str, code: &str, now: OffsetDateTime) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = u64::try_from(now.unix_timestamp()).ok()?;
    let step = totp(secret, login)?.check(&code, t)?;
    i64::try_from(step).ok()
}

/// The base32 form of a secret, to type into an authenticator app.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://totp/…` URI authenticator apps read (from the QR code).
pub fn otpauth_uri(secret: &[u8], login: &str) -> String {
    totp(secret, login)
        .and_then(|t| t.to_url().ok())
        .unwrap_or_default()
}

/// The URI as a QR code, an SVG document (no script, no external reference).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

// ----- audit -----------------------------------------------------------------------------------

/// Who acted, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The operator id; `None` on the command line or before a login name matched.
    pub id: Option<i64>,
    /// The login name (`cli:<user>` on the command line).
    pub login: String,
    /// The role (empty when none).
    pub role: String,
    /// Where from: the client address, or `cli`.
    pub source: String,
}

impl Actor {
    /// The command line: the OS user running `dojang admin …`.
    pub fn cli() -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Self {
            id: None,
            login: format!("cli:{user}"),
            role: "cli".into(),
            source: "cli".into(),
        }
    }
}

/// Append an entry; a storage failure is logged (the action itself already happened).
#[allow(clippy::too_many_arguments)] // one per column of the entry
pub async fn record(
    store: &dyn Store,
    who: &Actor,
    at: OffsetDateTime,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    ok: bool,
) {
    let e = AuditEntry {
        id: 0,
        at,
        operator_id: who.id,
        operator_login: who.login.clone(),
        role: who.role.clone(),
        source: who.source.clone(),
        action: action.to_owned(),
        target: target.chars().take(200).collect(),
        before: before.map(|v| v.to_string()),
        after: after.map(|v| v.to_string()),
        outcome: if ok { "ok" } else { "refused" }.to_owned(),
    };
    if let Err(err) = store.append_audit(&e).await {
        tracing::error!(error = %err, action, "cannot write the audit log");
    }
}

/// An operator's row as the audit log and the CLI show it (never the password hash or secret).
pub fn operator_json(o: &OperatorRecord) -> serde_json::Value {
    serde_json::json!({
        "login": o.login,
        "displayName": o.display_name,
        "role": o.role.as_str(),
        "totp": o.totp_confirmed_at.is_some(),
        "disabled": o.disabled_at.is_some(),
    })
}

// ----- first start -----------------------------------------------------------------------------

/// The file a first start writes the generated password of `admin` to.
pub fn initial_password_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin-initial-password")
}

/// `[admin] password_hash` in the configuration is the password of `admin`: the account is made
/// with it, or given it when the stored hash differs (which ends its sessions).
pub async fn sync_configured_admin(
    store: &dyn Store,
    phc: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    match store.operator_by_login(FIRST_ADMIN).await? {
        Some(op) if op.password_hash == phc => Ok(()),
        Some(op) => store
            .set_operator_password(op.id, phc, now)
            .await
            .map(|_| ()),
        None => match store
            .insert_operator(
                &NewOperator {
                    login: FIRST_ADMIN.into(),
                    display_name: FIRST_ADMIN.into(),
                    role: OperatorRole::Administrator,
                    password_hash: phc.to_owned(),
                },
                now,
            )
            .await
        {
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        },
    }
}

/// First start: when there is no operator at all, make `admin` (administrator) with a random
/// password and write the password once to `<data_dir>/admin-initial-password` (mode 0600,
/// never overwritten). Returns the file's path when it did.
pub async fn ensure_first_admin(
    store: &dyn Store,
    data_dir: &Path,
    now: OffsetDateTime,
) -> Result<Option<PathBuf>, String> {
    if !store
        .operators()
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(None);
    }
    let password = random_password();
    let phc = hash_password(&password).map_err(|e| e.to_string())?;
    let made = store
        .insert_operator(
            &NewOperator {
                login: FIRST_ADMIN.into(),
                display_name: FIRST_ADMIN.into(),
                role: OperatorRole::Administrator,
                password_hash: phc,
            },
            now,
        )
        .await;
    match made {
        Ok(_) => {}
        // Another instance made it first.
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    let path = initial_password_path(data_dir);
    super::admin::write_new_secret_file(&path, &format!("{password}\n"))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_permit_what_the_table_says() {
        use OperatorRole::*;
        assert!(permits(Administrator, "rp.rotate_key"));
        assert!(permits(Administrator, "operator.add"));
        assert!(permits(Support, "page.audit"));
        assert!(permits(Support, "audit.export"));
        assert!(!permits(Support, "rp.rotate_key"));
        assert!(!permits(Support, "member.rename"));
        assert!(permits(Desk, "page.members"));
        assert!(!permits(Desk, "page.audit"));
        assert!(!permits(Desk, "rp.rotate_key"));
        assert!(!permits(Desk, "operator.add"));
        assert!(permits(Desk, "ra.issue"));
        assert!(!permits(Support, "ra.issue"));
    }

    #[test]
    fn codes_are_checked_by_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits: T = 59 s → 94287082 → 287082.
        let secret = b"12345678901234567890";
        let t = OffsetDateTime::from_unix_timestamp(59).unwrap();
        assert_eq!(check_code(secret, "a", "287082", t), Some(1));
        assert_eq!(check_code(secret, "a", "287 082", t), Some(1));
        assert_eq!(check_code(secret, "a", "287083", t), None);
        assert_eq!(check_code(secret, "a", "28708", t), None);
        assert_eq!(check_code(secret, "a", "abcdef", t), None);
        // Far from the step: refused.
        let later = OffsetDateTime::from_unix_timestamp(59 + 600).unwrap();
        assert_eq!(check_code(secret, "a", "287082", later), None);
        let uri = otpauth_uri(secret, "kim");
        assert!(uri.starts_with("otpauth://totp/dojang:kim?"), "{uri}");
        assert!(uri.contains(&secret_base32(secret)));
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml"));
    }

    #[test]
    fn login_names_are_checked() {
        assert!(check_login("kim.desk-1").is_ok());
        assert!(check_login("K").is_err());
        assert!(check_login("kim desk").is_err());
        assert!(check_login("김").is_err());
        assert!(check_display_name("김 상담").is_ok());
        assert!(check_display_name("a\u{7}").is_err());
    }
}
