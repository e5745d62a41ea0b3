//! The app's errors.

/// What went wrong in the app.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The server refused, with its catalogue code.
    #[error("{message} ({code})")]
    Api {
        /// HTTP status.
        status: u16,
        /// 8-digit negative code.
        code: i64,
        /// Message.
        message: String,
    },
    /// The server could not be reached.
    #[error("cannot reach the server: {0}")]
    Transport(String),
    /// The server answered something the API does not document.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The PIN is not 6 digits.
    #[error("the PIN must be exactly 6 digits")]
    PinFormat,
    /// The PIN does not open the key.
    #[error("wrong PIN")]
    WrongPin,
    /// The profile is missing, unreadable or inconsistent.
    #[error("profile: {0}")]
    Profile(String),
    /// A key or signature operation failed.
    #[error("key: {0}")]
    Key(String),
    /// Reading from or writing to the terminal failed, or input ended.
    #[error("input: {0}")]
    Input(String),
}

impl AppError {
    /// The catalogue code, if the server gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            AppError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<dojang_pki::PkiError> for AppError {
    fn from(e: dojang_pki::PkiError) -> Self {
        AppError::Key(e.to_string())
    }
}
