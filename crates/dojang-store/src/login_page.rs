//! The hosted login page's records: where a relying party's browsers go back to, the texts the
//! operator set for its page, the consent
//! records (each acceptance of the third-party information notice), and the login sessions that
//! tie a browser, its request and its consent together until the relying party exchanges the
//! one-time code. The server's `pages::login` decides; this module only names the records.

use dojang_core::{ClientCode, Person};
use time::OffsetDateTime;

/// One acceptance of a relying party's notice about giving personal information to it.
#[derive(Clone, PartialEq, Eq)]
pub struct Consent {
    /// Random id.
    pub id: String,
    /// Whose notice.
    pub client_code: ClientCode,
    /// The request the acceptance led to.
    pub receipt_id: String,
    /// Who accepted (sealed at rest).
    pub person: Person,
    /// Which notice text, by version.
    pub notice_version: String,
    /// SHA-256 of the exact text shown.
    pub notice_sha256: Vec<u8>,
    /// The language it was shown in (`ko`, `en`).
    pub lang: String,
    /// When.
    pub accepted_at: OffsetDateTime,
}

impl std::fmt::Debug for Consent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consent")
            .field("id", &self.id)
            .field("client_code", &self.client_code)
            .field("receipt_id", &self.receipt_id)
            .field("notice_version", &self.notice_version)
            .field("accepted_at", &self.accepted_at)
            .finish_non_exhaustive()
    }
}

/// A browser's pass through the hosted login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSession {
    /// The SHA-256 (hex) of the secret in the browser's cookie; the secret itself is not kept.
    pub id: String,
    /// The relying party.
    pub client_code: ClientCode,
    /// The relying party's `state`, given back with the code.
    pub state: String,
    /// The request.
    pub receipt_id: String,
    /// The consent given for it.
    pub consent_id: String,
    /// When it began.
    pub created_at: OffsetDateTime,
    /// When the page gives up on it (the request's expiry).
    pub expire_at: OffsetDateTime,
    /// Until when the one-time code may be exchanged, once one was issued.
    pub code_expire_at: Option<OffsetDateTime>,
    /// When the code was exchanged.
    pub exchanged_at: Option<OffsetDateTime>,
}

/// The texts an operator set for a relying party's hosted login in one language; `None` keeps
/// the page's built-in text for that part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginTexts {
    /// The relying party.
    pub client_code: ClientCode,
    /// `ko` or `en`.
    pub lang: String,
    /// The notice's recipient(s).
    pub recipient: Option<String>,
    /// The notice's purpose.
    pub purpose: Option<String>,
    /// The notice's items given.
    pub items: Option<String>,
    /// The notice's retention period.
    pub retention: Option<String>,
    /// The help shown when a push does not arrive.
    pub help: Option<String>,
    /// The support number(s) shown on the page.
    pub support: Option<String>,
    /// When last set.
    pub updated_at: OffsetDateTime,
}

impl LoginTexts {
    /// Whether no part is set (the row is then removed rather than stored).
    pub fn is_empty(&self) -> bool {
        [
            &self.recipient,
            &self.purpose,
            &self.items,
            &self.retention,
            &self.help,
            &self.support,
        ]
        .iter()
        .all(|f| f.is_none())
    }
}
