//! The domain of dojang: people, relying parties, devices, requests and their state machine,
//! enrolment (by one-time code, bank-account ownership or a registration desk's code), and the
//! policies that bound them.
//!
//! This crate decides *what is allowed*: which input is valid, which state a request is in at a
//! given moment, whether it may be approved or verified. It never does IO and never reads the
//! clock or the operating system's randomness: time comes in as an [`OffsetDateTime`] argument
//! (or through the [`Clock`] trait whose implementations live here but are called by the server),
//! and randomness as a `rand::CryptoRng` argument. That keeps every rule testable without
//! sleeping and without a database.
//!
//! [`OffsetDateTime`]: time::OffsetDateTime

pub mod bank;
pub mod clock;
pub mod enrolment;
pub mod error;
pub mod ids;
pub mod member;
pub mod party;
pub mod person;
pub mod registration;
pub mod request;
pub mod settings;
pub mod text;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CoreError, ValidationError};
pub use ids::{ClientCode, DeviceId, EnrolmentId, MemberId, ReceiptForm, ReceiptId};
pub use member::{
    CertificateRecord, Device, DeviceKind, IdentityProof, Member, OutboxMessage, RevokedCertificate,
};
pub use party::{RelyingParty, SecretKey};
pub use person::{Birthday, Person, PersonName, Phone};
pub use request::{
    Dialect, Document, NewRequest, Request, RequestKind, RequestOptions, RequestState,
};
pub use settings::Policy;
