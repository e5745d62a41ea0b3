//! Requests (identity verification, e-signature, multi-document signing, direct-debit consent,
//! simple login), their validation, and their state machine.
//!
//! ```text
//!            approve (valid signature, before expiry)
//!  Waiting ─────────────────────────────────────────▶ Signed ──verify once, within window──▶ (verified)
//!     │  decline                                          
//!     ├──────────▶ Declined
//!     │  invalid signature / wrong signer
//!     ├──────────▶ Failed
//!     │  clock passes expire_at
//!     └──────────▶ Expired   (derived from the clock; never needs a write)
//! ```

use std::time::Duration;

use time::OffsetDateTime;

use base64::Engine as _;
use dojang_proto::rp::{CreateRequest, DebitAccount, Kind, TokenType};

use crate::error::{CoreError, ValidationError};
use crate::ids::{ClientCode, MemberId, ReceiptForm, ReceiptId};
use crate::person::{Birthday, Person, PersonName, Phone};
use crate::settings::{
    BANK_ACCOUNT_NUM_MAX_CHARS, BANK_FIELD_MAX_CHARS, CALL_CENTER_MAX_CHARS,
    CALL_CENTER_NAME_MAX_CHARS, EXTRA_MESSAGE_MAX_CHARS, MULTI_SIGN_MAX_TOKENS, PAYLOAD_MAX_CHARS,
    Policy, RETURN_URL_MAX_CHARS, SUB_CLIENT_ID_MAX_CHARS, TITLE_MAX_CHARS, TOKEN_MAX_CHARS,
};

/// The state reason of a request the relying party cancelled (`cancelled: <reason>` with one).
pub const CANCELLED: &str = "cancelled";
/// The state reason of a request the person declined (`declined: <reason>` with one).
pub const DECLINED: &str = "declined";

/// A state reason: `word` alone, or `word: reason`.
pub fn state_reason(word: &str, reason: Option<&str>) -> String {
    match reason {
        Some(t) => format!("{word}: {t}"),
        None => word.to_owned(),
    }
}

/// What the relying party asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// Identity verification (본인인증).
    Identity,
    /// E-signature of one document (전자서명).
    Sign,
    /// Several documents, one PIN entry.
    MultiSign,
    /// Direct-debit consent (출금동의).
    DebitConsent,
    /// Simple login (간편로그인).
    Login,
}

impl RequestKind {
    /// Stable number stored in the database.
    pub fn code(self) -> i32 {
        match self {
            RequestKind::Identity => 1,
            RequestKind::Sign => 2,
            RequestKind::MultiSign => 3,
            RequestKind::DebitConsent => 4,
            RequestKind::Login => 5,
        }
    }

    /// From the stored number.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            1 => RequestKind::Identity,
            2 => RequestKind::Sign,
            3 => RequestKind::MultiSign,
            4 => RequestKind::DebitConsent,
            5 => RequestKind::Login,
            _ => return None,
        })
    }

    /// The wire kind.
    pub fn wire(self) -> Kind {
        match self {
            RequestKind::Identity => Kind::Identity,
            RequestKind::Sign => Kind::Sign,
            RequestKind::MultiSign => Kind::MultiSign,
            RequestKind::DebitConsent => Kind::DebitConsent,
            RequestKind::Login => Kind::Login,
        }
    }

    /// From the wire kind.
    pub fn from_wire(kind: Kind) -> Self {
        match kind {
            Kind::Identity => RequestKind::Identity,
            Kind::Sign => RequestKind::Sign,
            Kind::MultiSign => RequestKind::MultiSign,
            Kind::DebitConsent => RequestKind::DebitConsent,
            Kind::Login => RequestKind::Login,
        }
    }

    /// Name used on the wire and in paths (`identity`, `multi-sign`, …).
    pub fn as_str(self) -> &'static str {
        self.wire().as_str()
    }
}

/// One document of a request: what the person reads and the device signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Its title.
    pub title: String,
    /// How the app shows it.
    pub token_type: TokenType,
    /// The exact text signed (the CMS content is its UTF-8 bytes).
    pub token: String,
}

/// The options every kind accepts, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// Call-centre name on the card (defaults to "<requester> 고객센터" when shown).
    pub call_center_name: Option<String>,
    /// The alias the relying party named (`subClientID`).
    pub sub_client_id: Option<String>,
    /// The alias's display name, resolved when the request was accepted.
    pub sub_client_name: Option<String>,
    /// The relying party's memo.
    pub payload: Option<String>,
    /// `allowSimpleRegistYN` (true unless the relying party said false): a person without a
    /// certificate may get one by SMS alone inside this request.
    pub allow_simple_regist: bool,
    /// The relying party said `allowSimpleRegistYN = false`: only a certificate whose holder
    /// proved more than a phone (a bank account or a registration desk) may approve.
    pub require_beyond_phone: bool,
    /// `verifyNameYN` (true unless the relying party said false): the name must be the
    /// holder's name on record.
    pub verify_name: bool,
    /// The relying party said `verifyNameYN = true`: the holder's name must also have been
    /// verified against a real-name record (bank account holder, identity document); a
    /// self-declared name (SMS) cannot approve. Omitted, the name on record is enough.
    pub require_verified_name: bool,
    /// `appUseYN`: app-to-app instead of push.
    pub app_use: bool,
    /// Where an app-to-app answer returns.
    pub return_url: Option<String>,
}

/// A request's state as relying parties see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestState {
    /// Waiting for the person.
    Waiting,
    /// Signed with a verified signature.
    Signed,
    /// Nobody answered in time.
    Expired,
    /// The person declined.
    Declined,
    /// A submitted signature did not verify, or the signer was not the receiver.
    Failed,
}

impl RequestState {
    /// The number on the wire and in the database.
    pub fn code(self) -> i32 {
        match self {
            RequestState::Waiting => 0,
            RequestState::Signed => 1,
            RequestState::Expired => 2,
            RequestState::Declined => 3,
            RequestState::Failed => 4,
        }
    }

    /// From the number.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => RequestState::Waiting,
            1 => RequestState::Signed,
            2 => RequestState::Expired,
            3 => RequestState::Declined,
            4 => RequestState::Failed,
            _ => return None,
        })
    }
}

/// A validated request, before it has a receipt and a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// The kind.
    pub kind: RequestKind,
    /// Who the relying party names.
    pub receiver: Person,
    /// What the person signs: one document, or several for multi-sign.
    pub documents: Vec<Document>,
    /// Title on the card.
    pub title: String,
    /// Message on the card.
    pub extra_message: Option<String>,
    /// Call-centre number on the card.
    pub call_center_num: Option<String>,
    /// Seconds to answer.
    pub expire_in: u32,
    /// Everything else the relying party may set.
    pub options: RequestOptions,
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn optional_text(
    v: Option<&str>,
    max: usize,
    too_long: ValidationError,
) -> Result<Option<String>, ValidationError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if char_len(s) > max => Err(too_long),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

fn required_text(
    v: Option<&str>,
    max: usize,
    missing: ValidationError,
    too_long: ValidationError,
) -> Result<String, ValidationError> {
    optional_text(v, max, too_long)?.ok_or(missing)
}

/// Validate a call-centre number: digits and `- + ( )` and spaces, at most 20 characters.
pub fn validate_call_center(v: Option<&str>) -> Result<Option<String>, ValidationError> {
    let n = optional_text(
        v,
        CALL_CENTER_MAX_CHARS,
        ValidationError::CallCenterNumTooLong,
    )?;
    if let Some(n) = &n
        && !n.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c))
    {
        return Err(ValidationError::CallCenterNumInvalid);
    }
    Ok(n)
}

/// Validate a sub-client id (an alias of a relying party): 1–12 letters, digits, `_` or `-`.
pub fn validate_sub_client_id(v: &str) -> Result<String, ValidationError> {
    let ok = !v.is_empty()
        && v.len() <= SUB_CLIENT_ID_MAX_CHARS
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(v.to_owned())
    } else {
        Err(ValidationError::SubClientIdInvalid)
    }
}

/// A token: present, not too long.
fn token(v: Option<&str>) -> Result<String, ValidationError> {
    match v {
        None | Some("") => Err(ValidationError::TokenMissing),
        Some(t) if char_len(t) > TOKEN_MAX_CHARS => Err(ValidationError::TokenTooLong),
        Some(t) => Ok(t.to_owned()),
    }
}

fn token_type(v: Option<&str>) -> Result<TokenType, ValidationError> {
    match v.map(str::trim) {
        None | Some("") => Err(ValidationError::TokenTypeMissing),
        Some(t) => TokenType::parse(t).ok_or(ValidationError::TokenTypeInvalid),
    }
}

/// A document: a `HASH` or `PDF` token must be the base64url SHA-256 of the document (32
/// bytes, with or without padding); a `URL` token an `http(s)://` address without spaces.
fn document(
    title: String,
    token_type: TokenType,
    token: String,
) -> Result<Document, ValidationError> {
    if token_type == TokenType::Url {
        let rest = token
            .strip_prefix("https://")
            .or_else(|| token.strip_prefix("http://"));
        let address = |r: &str| {
            !r.is_empty()
                && !r
                    .chars()
                    .any(|c| c.is_whitespace() || dojang_proto::text::is_unsafe(c))
        };
        if !rest.is_some_and(address) {
            return Err(ValidationError::TokenUrlInvalid);
        }
    } else if token_type != TokenType::Text {
        let raw = token.trim_end_matches('=');
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| ValidationError::TokenHashInvalid)?;
        if digest.len() != 32 {
            return Err(ValidationError::TokenHashInvalid);
        }
    }
    Ok(Document {
        title,
        token_type,
        token,
    })
}

fn title(v: Option<&str>) -> Result<String, ValidationError> {
    required_text(
        v,
        TITLE_MAX_CHARS,
        ValidationError::TitleMissing,
        ValidationError::TitleTooLong,
    )
}

/// A `returnURL`: `https://`, `http://` or an app scheme (`myapp://…`), no spaces, control or
/// format characters (bidi overrides, zero-width spaces: `dojang_proto::text::is_unsafe`);
/// never `javascript:`, `data:` or `file:`.
pub fn validate_return_url(v: &str) -> Result<String, ValidationError> {
    let v = v.trim();
    if char_len(v) > RETURN_URL_MAX_CHARS {
        return Err(ValidationError::ReturnUrlInvalid);
    }
    let Some((scheme, rest)) = v.split_once("://") else {
        return Err(ValidationError::ReturnUrlInvalid);
    };
    let scheme_ok = scheme.len() >= 2
        && scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c))
        && !matches!(scheme, "javascript" | "data" | "file" | "vbscript");
    // Found by fuzzing: `is_control` alone let U+202E (right-to-left override) into the URL.
    let bad_char = |c: char| c.is_whitespace() || dojang_proto::text::is_unsafe(c);
    if !scheme_ok || rest.is_empty() || v.chars().any(bad_char) {
        return Err(ValidationError::ReturnUrlInvalid);
    }
    Ok(v.to_owned())
}

/// The debit-consent account, validated, in field order.
fn debit_account(
    wire: &CreateRequest,
    now: OffsetDateTime,
) -> Result<DebitAccount, ValidationError> {
    use ValidationError as V;
    let request_corp = required_text(
        wire.request_corp.as_deref(),
        BANK_FIELD_MAX_CHARS,
        V::RequestCorpMissing,
        V::RequestCorpTooLong,
    )?;
    let bank_name = required_text(
        wire.bank_name.as_deref(),
        BANK_FIELD_MAX_CHARS,
        V::BankNameMissing,
        V::BankNameTooLong,
    )?;
    let bank_account_num = required_text(
        wire.bank_account_num.as_deref(),
        BANK_ACCOUNT_NUM_MAX_CHARS,
        V::BankAccountNumMissing,
        V::BankAccountNumInvalid,
    )?;
    if !bank_account_num
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-')
        || !bank_account_num.chars().any(|c| c.is_ascii_digit())
    {
        return Err(V::BankAccountNumInvalid);
    }
    let bank_account_name = required_text(
        wire.bank_account_name.as_deref(),
        BANK_FIELD_MAX_CHARS,
        V::BankAccountNameMissing,
        V::BankAccountNameTooLong,
    )?;
    let bank_account_birthday = match wire.bank_account_birthday.as_deref().map(str::trim) {
        None | Some("") => return Err(V::BankAccountBirthdayMissing),
        Some(b) => Birthday::parse(b, now)
            .map_err(|_| V::BankAccountBirthdayInvalid)?
            .to_compact(),
    };
    let bank_service_type = match wire.bank_service_type.as_deref().map(str::trim) {
        None | Some("") => return Err(V::BankServiceTypeMissing),
        Some(t @ ("CMS" | "FIRM" | "GIRO")) => t.to_owned(),
        Some(_) => return Err(V::BankServiceTypeInvalid),
    };
    Ok(DebitAccount {
        request_corp,
        bank_name,
        bank_account_num,
        bank_account_name,
        bank_account_birthday,
        bank_service_type,
    })
}

/// Fields that belong to other kinds are refused rather than silently ignored.
fn refuse_foreign_fields(kind: RequestKind, w: &CreateRequest) -> Result<(), ValidationError> {
    let debit = w.request_corp.is_some()
        || w.bank_name.is_some()
        || w.bank_account_num.is_some()
        || w.bank_account_name.is_some()
        || w.bank_account_birthday.is_some()
        || w.bank_service_type.is_some();
    let foreign = match kind {
        RequestKind::Identity | RequestKind::Login => {
            debit || w.tokens.is_some() || w.token_type.is_some() || w.sign_title.is_some()
        }
        RequestKind::Sign => debit || w.tokens.is_some(),
        RequestKind::MultiSign => debit || w.token.is_some() || w.sign_title.is_some(),
        RequestKind::DebitConsent => {
            w.tokens.is_some()
                || w.token.is_some()
                || w.token_type.is_some()
                || w.sign_title.is_some()
        }
    };
    if foreign {
        Err(ValidationError::FieldNotForKind)
    } else {
        Ok(())
    }
}

/// What differs between the APIs a request arrives through (the native API, barocert and
/// kakaocert 2.x share one set; kakaocert 1.x has its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// The form of the receipt ids it hands out and accepts.
    pub receipt_form: ReceiptForm,
    /// An app-to-app request must name where the app returns (`returnURL`). kakaocert's bodies
    /// have no such field: its app-to-app returns to the calling app by itself.
    pub app_return_url_required: bool,
}

impl Dialect {
    /// The native API and barocert.
    pub const NATIVE: Self = Self {
        receipt_form: ReceiptForm::Long,
        app_return_url_required: true,
    };
    /// kakaocert 2.x (API 2.0).
    pub const KAKAOCERT_V2: Self = Self {
        receipt_form: ReceiptForm::Long,
        app_return_url_required: false,
    };
    /// kakaocert 1.x (API 1.0): 20-digit receipt ids, as its documents size them.
    pub const KAKAOCERT_V1: Self = Self {
        receipt_form: ReceiptForm::Short,
        app_return_url_required: false,
    };
}

impl NewRequest {
    /// Validate an identity request from the wire.
    pub fn identity(
        wire: &CreateRequest,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Result<Self, ValidationError> {
        Self::from_wire(RequestKind::Identity, wire, policy, now)
    }

    /// Validate a request of `kind` from the wire. Checks run in field order, so the first
    /// problem in `receiverName, receiverHP, receiverBirthday, <the kind's own fields>,
    /// extraMessage, expireIn, callCenterNum, callCenterName, subClientID, payload, appUseYN /
    /// returnURL` is the one reported; fields of other kinds are refused first.
    pub fn from_wire(
        kind: RequestKind,
        wire: &CreateRequest,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Result<Self, ValidationError> {
        Self::from_wire_in(Dialect::NATIVE, kind, wire, policy, now)
    }

    /// [`NewRequest::from_wire`] under the rules of `dialect`.
    pub fn from_wire_in(
        dialect: Dialect,
        kind: RequestKind,
        wire: &CreateRequest,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Result<Self, ValidationError> {
        refuse_foreign_fields(kind, wire)?;
        crate::text::check_request_text(wire)?;
        let name = PersonName::parse(wire.receiver_name.as_deref().unwrap_or(""))?;
        let phone = Phone::parse(wire.receiver_hp.as_deref().unwrap_or(""))?;
        let birthday = Birthday::parse(wire.receiver_birthday.as_deref().unwrap_or(""), now)?;
        let (title, documents) = match kind {
            RequestKind::Identity => {
                let token = token(wire.token.as_deref())?;
                let title = title(wire.req_title.as_deref())?;
                let doc = document(title.clone(), TokenType::Text, token)?;
                (title, vec![doc])
            }
            RequestKind::Login => {
                let token = token(wire.token.as_deref())?;
                let title = match wire.req_title.as_deref().map(str::trim) {
                    None | Some("") => "간편로그인".to_owned(),
                    Some(_) => title(wire.req_title.as_deref())?,
                };
                let doc = document(title.clone(), TokenType::Text, token)?;
                (title, vec![doc])
            }
            RequestKind::Sign => {
                let title = title(wire.sign_title.as_deref().or(wire.req_title.as_deref()))?;
                let token_type = token_type(wire.token_type.as_deref())?;
                let token = token(wire.token.as_deref())?;
                let doc = document(title.clone(), token_type, token)?;
                (title, vec![doc])
            }
            RequestKind::MultiSign => {
                let title = title(wire.req_title.as_deref())?;
                let items = match wire.tokens.as_deref() {
                    None | Some([]) => return Err(ValidationError::TokensMissing),
                    Some(items) if items.len() > MULTI_SIGN_MAX_TOKENS => {
                        return Err(ValidationError::TokensTooMany);
                    }
                    Some(items) => items,
                };
                let mut docs = Vec::with_capacity(items.len());
                for item in items {
                    let doc_title = self::title(item.sign_title.as_deref())?;
                    let doc_type =
                        token_type(item.token_type.as_deref().or(wire.token_type.as_deref()))?;
                    let doc_token = token(item.token.as_deref())?;
                    docs.push(document(doc_title, doc_type, doc_token)?);
                }
                (title, docs)
            }
            RequestKind::DebitConsent => {
                let title = title(wire.req_title.as_deref())?;
                let account = debit_account(wire, now)?;
                let text = dojang_proto::rp::debit_consent_text(&account);
                let doc = document(title.clone(), TokenType::Text, text)?;
                (title, vec![doc])
            }
        };
        let extra_message = optional_text(
            wire.extra_message.as_deref(),
            EXTRA_MESSAGE_MAX_CHARS,
            ValidationError::ExtraMessageTooLong,
        )?;
        let expire_in = match wire.expire_in {
            None => return Err(ValidationError::ExpireInMissing),
            Some(n) if n < 1 => return Err(ValidationError::ExpireInTooSmall),
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|&n| n <= policy.max_expire_in)
                .ok_or(ValidationError::ExpireInTooLarge)?,
        };
        let call_center_num = validate_call_center(wire.call_center_num.as_deref())?;
        let call_center_name = optional_text(
            wire.call_center_name.as_deref(),
            CALL_CENTER_NAME_MAX_CHARS,
            ValidationError::CallCenterNameTooLong,
        )?;
        let sub_client_id = match wire.sub_client_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(validate_sub_client_id(id)?),
        };
        let payload = optional_text(
            wire.payload.as_deref(),
            PAYLOAD_MAX_CHARS,
            ValidationError::PayloadTooLong,
        )?;
        let app_use = wire.app_use_yn.unwrap_or(false);
        let return_url = match wire.return_url.as_deref().map(str::trim) {
            None | Some("") if app_use && dialect.app_return_url_required => {
                return Err(ValidationError::ReturnUrlMissing);
            }
            None | Some("") => None,
            Some(u) => Some(validate_return_url(u)?),
        };
        Ok(Self {
            kind,
            receiver: Person {
                name,
                phone,
                birthday,
            },
            documents,
            title,
            extra_message,
            call_center_num,
            expire_in,
            options: RequestOptions {
                call_center_name,
                sub_client_id,
                sub_client_name: None,
                payload,
                allow_simple_regist: wire.allow_simple_regist_yn.unwrap_or(true),
                require_beyond_phone: wire.allow_simple_regist_yn == Some(false),
                verify_name: wire.verify_name_yn.unwrap_or(true),
                require_verified_name: wire.verify_name_yn == Some(true),
                app_use,
                return_url,
            },
        })
    }
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The receipt.
    pub receipt_id: ReceiptId,
    /// The kind.
    pub kind: RequestKind,
    /// The relying party that made it; nobody else may see it.
    pub client_code: ClientCode,
    /// The member the receiver resolved to when the request was made.
    pub member_id: MemberId,
    /// The receiver as the relying party named them.
    pub receiver: Person,
    /// What the person signs, in order (one document for every kind but multi-sign).
    pub documents: Vec<Document>,
    /// Title on the card.
    pub title: String,
    /// Message on the card.
    pub extra_message: Option<String>,
    /// Call-centre number on the card.
    pub call_center_num: Option<String>,
    /// Seconds to answer, as asked.
    pub expire_in: u32,
    /// Everything else the relying party set.
    pub options: RequestOptions,
    /// The two-digit number-matching code (push requests; `None` for app-to-app).
    pub binding_code: Option<String>,
    /// The transaction id an app-to-app answer returns to the relying party (login verifies
    /// by it).
    pub tx_id: Option<String>,
    /// When it was accepted.
    pub requested_at: OffsetDateTime,
    /// When it expires.
    pub expire_at: OffsetDateTime,
    /// When the app first showed it.
    pub viewed_at: Option<OffsetDateTime>,
    /// When it was signed, declined or failed.
    pub completed_at: Option<OffsetDateTime>,
    /// When the relying party verified it.
    pub verified_at: Option<OffsetDateTime>,
    /// The stored state (never `Expired`: expiry is derived from the clock).
    pub stored_state: RequestState,
    /// The CMS SignedData, once signed: one per document, in order.
    pub signed_data: Vec<Vec<u8>>,
    /// Serial (hex) of the certificate that signed.
    pub signer_serial: Option<String>,
    /// The CA's OCSP response (DER) that proved that certificate good when it signed.
    pub signer_ocsp: Option<Vec<u8>>,
    /// Why it was declined or failed.
    pub reason: Option<String>,
}

impl Request {
    /// A waiting request made from a validated one.
    pub fn new(
        receipt_id: ReceiptId,
        client_code: ClientCode,
        member_id: MemberId,
        new: NewRequest,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            receipt_id,
            kind: new.kind,
            client_code,
            member_id,
            receiver: new.receiver,
            documents: new.documents,
            title: new.title,
            extra_message: new.extra_message,
            call_center_num: new.call_center_num,
            expire_in: new.expire_in,
            options: new.options,
            binding_code: None,
            tx_id: None,
            requested_at: now,
            expire_at: now + Duration::from_secs(u64::from(new.expire_in)),
            viewed_at: None,
            completed_at: None,
            verified_at: None,
            stored_state: RequestState::Waiting,
            signed_data: Vec::new(),
            signer_serial: None,
            signer_ocsp: None,
            reason: None,
        }
    }

    /// The first document's token (the only one for every kind but multi-sign).
    pub fn token(&self) -> &str {
        self.documents.first().map_or("", |d| d.token.as_str())
    }

    /// The state at `now`: a waiting request whose time is up is expired.
    pub fn state(&self, now: OffsetDateTime) -> RequestState {
        match self.stored_state {
            RequestState::Waiting if now >= self.expire_at => RequestState::Expired,
            s => s,
        }
    }

    fn refuse_unless_waiting(&self, now: OffsetDateTime) -> Result<(), CoreError> {
        match self.state(now) {
            RequestState::Waiting => Ok(()),
            RequestState::Expired => Err(CoreError::Expired),
            RequestState::Signed | RequestState::Declined | RequestState::Failed => {
                Err(CoreError::NotWaiting)
            }
        }
    }

    /// Whether the relying party cancelled it (state 3 with the reason `cancelled` or
    /// `cancelled: …`; a person's decline reason is stored as `declined: …`, so it cannot look
    /// like one).
    pub fn is_cancelled(&self) -> bool {
        self.reason
            .as_deref()
            .is_some_and(|r| r == CANCELLED || r.starts_with("cancelled: "))
    }

    /// May a device answer (approve, decline, view) now?
    pub fn check_answerable(&self, now: OffsetDateTime) -> Result<(), CoreError> {
        self.refuse_unless_waiting(now)
    }

    /// Is a signature made at `signing_time` plausible for this request? It must fall inside
    /// the request's lifetime, widened by `skew` for clock differences.
    pub fn check_signing_time(
        &self,
        signing_time: OffsetDateTime,
        now: OffsetDateTime,
        skew: Duration,
    ) -> Result<(), CoreError> {
        if signing_time < self.requested_at - skew || signing_time > now + skew {
            return Err(CoreError::SigningTimeOutOfRange);
        }
        Ok(())
    }

    /// May the relying party verify now? Only once, only when signed, only within `window` of
    /// signing.
    pub fn check_verifiable(&self, now: OffsetDateTime, window: Duration) -> Result<(), CoreError> {
        match self.state(now) {
            RequestState::Waiting => Err(CoreError::NotSignedYet),
            RequestState::Expired => Err(CoreError::Expired),
            RequestState::Declined if self.is_cancelled() => Err(CoreError::Cancelled),
            RequestState::Declined => Err(CoreError::Declined),
            RequestState::Failed => Err(CoreError::Failed),
            RequestState::Signed if self.verified_at.is_some() => Err(CoreError::AlreadyVerified),
            RequestState::Signed => match self.completed_at {
                Some(done) if now <= done + window => Ok(()),
                _ => Err(CoreError::VerifyWindowPassed),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_proto::rp::{IdentityRequest, TokenItem};
    use rand::SeedableRng;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 00:00 UTC);

    fn wire() -> IdentityRequest {
        IdentityRequest::new(
            "홍길동",
            "01012345678",
            "19900101",
            "nonce-1",
            "로그인",
            300,
        )
    }

    fn request() -> Request {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let new = NewRequest::identity(&wire(), &Policy::default(), NOW).unwrap();
        Request::new(
            ReceiptId::generate(NOW, &mut rng),
            "000000000001".parse().unwrap(),
            MemberId::generate(NOW, &mut rng),
            new,
            NOW,
        )
    }

    #[test]
    fn validation_reports_the_first_bad_field() {
        let p = Policy::default();
        let check = |f: &dyn Fn(&mut IdentityRequest), e: ValidationError| {
            let mut w = wire();
            f(&mut w);
            assert_eq!(NewRequest::identity(&w, &p, NOW), Err(e));
        };
        check(&|w| w.receiver_name = None, ValidationError::NameMissing);
        check(
            &|w| w.receiver_hp = Some("010-1234".into()),
            ValidationError::PhoneNotDigits,
        );
        check(
            &|w| w.receiver_birthday = None,
            ValidationError::BirthdayMissing,
        );
        check(
            &|w| w.token = Some(String::new()),
            ValidationError::TokenMissing,
        );
        check(
            &|w| w.token = Some("x".repeat(2801)),
            ValidationError::TokenTooLong,
        );
        check(
            &|w| w.req_title = Some(" ".into()),
            ValidationError::TitleMissing,
        );
        check(
            &|w| w.req_title = Some("가".repeat(41)),
            ValidationError::TitleTooLong,
        );
        check(
            &|w| w.extra_message = Some("m".repeat(501)),
            ValidationError::ExtraMessageTooLong,
        );
        check(&|w| w.expire_in = None, ValidationError::ExpireInMissing);
        check(
            &|w| w.expire_in = Some(0),
            ValidationError::ExpireInTooSmall,
        );
        check(
            &|w| w.expire_in = Some(1001),
            ValidationError::ExpireInTooLarge,
        );
        check(
            &|w| w.expire_in = Some(i64::MAX),
            ValidationError::ExpireInTooLarge,
        );
        check(
            &|w| w.call_center_num = Some("1".repeat(21)),
            ValidationError::CallCenterNumTooLong,
        );
        check(
            &|w| w.call_center_num = Some("call me".into()),
            ValidationError::CallCenterNumInvalid,
        );
        let ok = NewRequest::identity(&wire().with_call_center_num("1600-1234"), &p, NOW).unwrap();
        assert_eq!(ok.call_center_num.as_deref(), Some("1600-1234"));
        assert_eq!(ok.expire_in, 300);
    }

    #[test]
    fn every_kind_validates_its_own_fields_and_refuses_others() {
        use dojang_proto::rp::{CreateRequest, DebitAccount, TokenType};
        let p = Policy::default();
        let v = |k: RequestKind, w: &CreateRequest| NewRequest::from_wire(k, w, &p, NOW);
        let hash = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";
        let sign = CreateRequest::sign(
            "홍길동",
            "01012345678",
            "19900101",
            "계약서",
            TokenType::Hash,
            hash,
            300,
        );
        let ok = v(RequestKind::Sign, &sign).unwrap();
        assert_eq!(ok.documents[0].token_type, TokenType::Hash);
        assert_eq!(ok.title, "계약서");
        let mut bad = sign.clone();
        bad.token = Some("not a hash".into());
        assert_eq!(
            v(RequestKind::Sign, &bad),
            Err(ValidationError::TokenHashInvalid)
        );
        bad.token_type = Some("DOC".into());
        assert_eq!(
            v(RequestKind::Sign, &bad),
            Err(ValidationError::TokenTypeInvalid)
        );
        // A URL token: an http(s) address without spaces, signed as written.
        let mut url = sign.clone();
        url.token_type = Some("URL".into());
        url.token = Some("https://www.example.kr/약관?v=3".into());
        let ok = v(RequestKind::Sign, &url).unwrap();
        assert_eq!(ok.documents[0].token_type, TokenType::Url);
        assert_eq!(ok.documents[0].token, "https://www.example.kr/약관?v=3");
        for wrong in [
            "www.example.kr",
            "https://",
            "https://a b",
            "ftp://x",
            "javascript:alert(1)",
        ] {
            url.token = Some(wrong.into());
            assert_eq!(
                v(RequestKind::Sign, &url),
                Err(ValidationError::TokenUrlInvalid),
                "{wrong}"
            );
        }
        bad.token_type = None;
        assert_eq!(
            v(RequestKind::Sign, &bad),
            Err(ValidationError::TokenTypeMissing)
        );
        // kakaocert clients may send reqTitle instead of signTitle.
        let mut alias = sign.clone();
        alias.req_title = alias.sign_title.take();
        assert_eq!(v(RequestKind::Sign, &alias).unwrap().title, "계약서");
        assert_eq!(
            v(RequestKind::Identity, &sign),
            Err(ValidationError::FieldNotForKind)
        );

        let docs = |n: usize| {
            (0..n)
                .map(|i| TokenItem::new(format!("문서{i}"), TokenType::Text, format!("본문{i}")))
                .collect::<Vec<_>>()
        };
        let multi = |n| {
            CreateRequest::multi_sign("홍길동", "01012345678", "19900101", "계약", docs(n), 300)
        };
        assert_eq!(
            v(RequestKind::MultiSign, &multi(50))
                .unwrap()
                .documents
                .len(),
            50
        );
        assert_eq!(
            v(RequestKind::MultiSign, &multi(51)),
            Err(ValidationError::TokensTooMany)
        );
        assert_eq!(
            v(RequestKind::MultiSign, &multi(0)),
            Err(ValidationError::TokensMissing)
        );
        let mut untyped = multi(2);
        if let Some(t) = untyped.tokens.as_mut() {
            t[1].token_type = None;
        }
        assert_eq!(
            v(RequestKind::MultiSign, &untyped),
            Err(ValidationError::TokenTypeMissing)
        );
        untyped.token_type = Some("TEXT".into());
        assert!(
            v(RequestKind::MultiSign, &untyped).is_ok(),
            "top-level tokenType is the default"
        );

        let account = DebitAccount {
            request_corp: "도장보험".into(),
            bank_name: "국민은행".into(),
            bank_account_num: "123-45-6789".into(),
            bank_account_name: "홍길동".into(),
            bank_account_birthday: "19900101".into(),
            bank_service_type: "CMS".into(),
        };
        let debit = CreateRequest::debit_consent(
            "홍길동",
            "01012345678",
            "19900101",
            "출금동의",
            account.clone(),
            300,
        );
        let ok = v(RequestKind::DebitConsent, &debit).unwrap();
        assert_eq!(
            ok.documents[0].token,
            dojang_proto::rp::debit_consent_text(&account)
        );
        let check = |f: &dyn Fn(&mut CreateRequest), e: ValidationError| {
            let mut w = debit.clone();
            f(&mut w);
            assert_eq!(v(RequestKind::DebitConsent, &w), Err(e));
        };
        check(
            &|w| w.request_corp = None,
            ValidationError::RequestCorpMissing,
        );
        check(
            &|w| w.bank_name = Some("b".repeat(101)),
            ValidationError::BankNameTooLong,
        );
        check(
            &|w| w.bank_account_num = Some("12a4".into()),
            ValidationError::BankAccountNumInvalid,
        );
        check(
            &|w| w.bank_account_name = None,
            ValidationError::BankAccountNameMissing,
        );
        check(
            &|w| w.bank_account_birthday = Some("19901332".into()),
            ValidationError::BankAccountBirthdayInvalid,
        );
        check(
            &|w| w.bank_service_type = Some("ACH".into()),
            ValidationError::BankServiceTypeInvalid,
        );
        check(
            &|w| w.token = Some("x".into()),
            ValidationError::FieldNotForKind,
        );

        let login = CreateRequest::login("홍길동", "01012345678", "19900101", "nonce", 60);
        assert_eq!(v(RequestKind::Login, &login).unwrap().title, "간편로그인");
        let mut app = login.clone();
        app.app_use_yn = Some(true);
        assert_eq!(
            v(RequestKind::Login, &app),
            Err(ValidationError::ReturnUrlMissing)
        );
        for url in [
            "javascript://x",
            "https://",
            "not a url",
            "https://a b",
            // Found by the `validators` fuzz target: format characters were accepted.
            "https://rp.example/\u{202e}gpj.exe",
            "myapp://\u{200b}done",
        ] {
            app.return_url = Some(url.into());
            assert_eq!(
                v(RequestKind::Login, &app),
                Err(ValidationError::ReturnUrlInvalid),
                "{url}"
            );
        }
        app.return_url = Some("myapp://done".into());
        assert!(v(RequestKind::Login, &app).unwrap().options.app_use);

        let common = |f: &dyn Fn(&mut CreateRequest), e: ValidationError| {
            let mut w = wire();
            f(&mut w);
            assert_eq!(NewRequest::identity(&w, &p, NOW), Err(e));
        };
        common(
            &|w| w.call_center_name = Some("가".repeat(11)),
            ValidationError::CallCenterNameTooLong,
        );
        common(
            &|w| w.sub_client_id = Some("has space".into()),
            ValidationError::SubClientIdInvalid,
        );
        common(
            &|w| w.sub_client_id = Some("a".repeat(13)),
            ValidationError::SubClientIdInvalid,
        );
        common(
            &|w| w.payload = Some("p".repeat(201)),
            ValidationError::PayloadTooLong,
        );
        let mut all = wire();
        all.payload = Some("memo".into());
        all.verify_name_yn = Some(false);
        all.allow_simple_regist_yn = Some(true);
        let o = NewRequest::identity(&all, &p, NOW).unwrap().options;
        assert!(!o.verify_name && o.allow_simple_regist);
        assert!(!o.require_beyond_phone && !o.require_verified_name);
        assert_eq!(o.payload.as_deref(), Some("memo"));
        let defaults = NewRequest::identity(&wire(), &p, NOW).unwrap().options;
        assert!(defaults.verify_name, "verifyNameYN defaults to true");
        assert!(
            defaults.allow_simple_regist,
            "allowSimpleRegistYN defaults to true"
        );
        assert!(
            !defaults.require_beyond_phone && !defaults.require_verified_name,
            "omitted, neither bar applies"
        );
        let mut strict = wire();
        strict.verify_name_yn = Some(true);
        strict.allow_simple_regist_yn = Some(false);
        let o = NewRequest::identity(&strict, &p, NOW).unwrap().options;
        assert!(o.require_beyond_phone && o.require_verified_name && !o.allow_simple_regist);
    }

    #[test]
    fn waiting_turns_expired_at_expire_at() {
        let r = request();
        assert_eq!(r.state(NOW), RequestState::Waiting);
        assert_eq!(
            r.state(NOW + Duration::from_secs(299)),
            RequestState::Waiting
        );
        assert_eq!(
            r.state(NOW + Duration::from_secs(300)),
            RequestState::Expired
        );
        assert_eq!(
            r.check_answerable(NOW + Duration::from_secs(300)),
            Err(CoreError::Expired)
        );
    }

    #[test]
    fn verify_rules() {
        let w = Duration::from_secs(600);
        let mut r = request();
        assert_eq!(r.check_verifiable(NOW, w), Err(CoreError::NotSignedYet));
        r.stored_state = RequestState::Signed;
        let signed_at = NOW + Duration::from_secs(10);
        r.completed_at = Some(signed_at);
        // Signed requests do not expire.
        assert_eq!(
            r.check_verifiable(NOW + Duration::from_secs(400), w),
            Ok(())
        );
        assert_eq!(r.check_verifiable(signed_at + w, w), Ok(()));
        assert_eq!(
            r.check_verifiable(signed_at + w + Duration::from_secs(1), w),
            Err(CoreError::VerifyWindowPassed)
        );
        r.verified_at = Some(signed_at);
        assert_eq!(
            r.check_verifiable(signed_at, w),
            Err(CoreError::AlreadyVerified)
        );
        r.stored_state = RequestState::Declined;
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Declined));
        r.reason = Some(state_reason(CANCELLED, None));
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Cancelled));
        r.reason = Some(state_reason(CANCELLED, Some("고객 요청")));
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Cancelled));
        // A person's reason cannot pass for a cancellation.
        r.reason = Some(state_reason(DECLINED, Some("cancelled")));
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Declined));
        r.reason = Some("cancelledx".into());
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Declined));
        r.stored_state = RequestState::Failed;
        assert_eq!(r.check_verifiable(signed_at, w), Err(CoreError::Failed));
        let mut e = request();
        e.stored_state = RequestState::Waiting;
        assert_eq!(
            e.check_verifiable(NOW + Duration::from_secs(301), w),
            Err(CoreError::Expired)
        );
    }

    #[test]
    fn signing_time_must_fall_in_the_lifetime() {
        let r = request();
        let skew = Duration::from_secs(300);
        let now = NOW + Duration::from_secs(20);
        assert!(
            r.check_signing_time(NOW + Duration::from_secs(5), now, skew)
                .is_ok()
        );
        assert!(
            r.check_signing_time(NOW - Duration::from_secs(299), now, skew)
                .is_ok()
        );
        assert_eq!(
            r.check_signing_time(NOW - Duration::from_secs(301), now, skew),
            Err(CoreError::SigningTimeOutOfRange)
        );
        assert_eq!(
            r.check_signing_time(now + Duration::from_secs(301), now, skew),
            Err(CoreError::SigningTimeOutOfRange)
        );
    }
}
