//! The state every handler shares: explicit, built once by [`crate::Server::bind`].

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use dojang_core::{
    Birthday, CertificateRecord, Clock, Device, DeviceId, Member, MemberId, Phone, Policy,
    RelyingParty,
};
use dojang_pki::{CertificateAuthority, Verifier};
use dojang_store::{DataKeys, Store, StoreError};
use tokio_util::sync::CancellationToken;

use crate::bank::BankGateway;
use crate::cache::TtlCache;
use crate::push::PushHub;
use crate::sms::SmsGateway;
use crate::webhook::{WebhookSettings, Webhooks};

/// How long a relying party's credentials are cached. A rotated secret takes effect within this.
const RP_TTL: Duration = Duration::from_secs(30);
/// How long a member is cached (by phone and birth date, and by id).
const MEMBER_TTL: Duration = Duration::from_secs(60);
/// How long devices and certificates are cached. Changes made by this process apply at once;
/// a device or certificate revoked by *another* instance is refused here within this time.
const DEVICE_TTL: Duration = Duration::from_secs(5);

/// Shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// What the state holds.
#[derive(Debug)]
pub struct Inner {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Keys for personal data and keyed lookups.
    pub keys: Arc<DataKeys>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Domain limits and windows.
    pub policy: Policy,
    /// The CA, for issuing.
    pub ca: Arc<CertificateAuthority>,
    /// CMS verification against the CA.
    pub verifier: Verifier,
    /// The test console's sandbox CA and verification against it, while `[console] sandbox`
    /// is on: sandbox people's certificates, accepted for test relying parties only.
    pub sandbox_ca: Option<(Arc<CertificateAuthority>, Verifier)>,
    /// Live device connections.
    pub push: PushHub,
    /// One-time codes out.
    pub sms: Arc<dyn SmsGateway>,
    /// 1-won deposits out.
    pub bank: Arc<dyn BankGateway>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Cancelled when the server shuts down; long-lived tasks (WebSockets) watch it.
    pub shutdown: CancellationToken,
    /// Receipts whose state this process just changed; long polls wait on it.
    pub changes: tokio::sync::broadcast::Sender<dojang_core::ReceiptId>,
    /// The webhook sender.
    pub webhooks: Webhooks,
    /// What the pages take from configuration.
    pub pages: crate::pages::Settings,
    /// The admin console's password (Argon2id PHC) from configuration; `None`: the stored one.
    pub admin_password_hash: Option<crate::config::Secret>,
    /// The last CRL built (`service::revocation::crl`).
    pub crl: tokio::sync::Mutex<Option<crate::service::revocation::CachedCrl>>,
    /// `http://<address>` of this server's own plain listener (a loopback address when it
    /// listens on all interfaces): where the test console sends its real HTTP calls and where
    /// its sandbox authenticators connect.
    pub self_url: String,
    /// The test console's sandbox people (in memory only).
    pub sandbox: crate::pages::console::sandbox::Sandbox,
    /// Reverse proxies whose `X-Forwarded-For` is believed ([`crate::proxy`]).
    pub trusted_proxies: crate::proxy::TrustedProxies,
    /// The PKCS#11 token holding the cloud certificates' keys (`[hsm]`); `None`: no cloud
    /// certificates.
    pub hsm: Option<dojang_hsm::Hsm>,
    /// Push to phones without a live connection (`[push]`): Web Push, FCM, APNs.
    pub pushers: dojang_push::Pushers,
    /// `[push] insecure_allow_private`.
    pub push_allow_private: bool,
    /// The (origin, relying-party id) pairs a biometric assertion may be made for
    /// ([`crate::service::biometric::relying_parties`]).
    pub webauthn: Vec<(String, String)>,
    parties: TtlCache<String, RelyingParty>,
    members_by_lookup: TtlCache<(String, String), Member>,
    members: TtlCache<MemberId, Member>,
    devices: TtlCache<DeviceId, Device>,
    certificates: TtlCache<String, CertificateRecord>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Parts {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Data keys.
    pub keys: Arc<DataKeys>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Policy.
    pub policy: Policy,
    /// CA.
    pub ca: Arc<CertificateAuthority>,
    /// The sandbox CA, with `[console] sandbox`.
    pub sandbox_ca: Option<Arc<CertificateAuthority>>,
    /// SMS gateway.
    pub sms: Arc<dyn SmsGateway>,
    /// Bank gateway.
    pub bank: Arc<dyn BankGateway>,
    /// Largest body.
    pub max_body_bytes: usize,
    /// Webhook delivery.
    pub webhooks: WebhookSettings,
    /// Page settings.
    pub pages: crate::pages::Settings,
    /// The configured admin password hash, if any.
    pub admin_password_hash: Option<crate::config::Secret>,
    /// `http://<address>` of the plain listener, as this process reaches it.
    pub self_url: String,
    /// `[console]`.
    pub console: crate::config::ConsoleConfig,
    /// `trusted_proxies`, parsed.
    pub trusted_proxies: crate::proxy::TrustedProxies,
    /// The `[hsm]` token, if configured.
    pub hsm: Option<dojang_hsm::Hsm>,
    /// The configured push providers.
    pub pushers: dojang_push::Pushers,
    /// `[push] insecure_allow_private`.
    pub push_allow_private: bool,
    /// The public base URL ([`crate::config::Config::public_url`]): its origin is the one a
    /// biometric assertion must be made for.
    pub public_url: String,
}

/// Why the state could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The CA certificate cannot verify.
    #[error("CA: {0}")]
    Pki(#[from] dojang_pki::PkiError),
    /// The webhook HTTP client could not be built.
    #[error("webhook client: {0}")]
    Webhooks(#[from] reqwest::Error),
}

impl AppState {
    /// Assemble the state.
    pub fn new(p: Parts) -> Result<Self, StateError> {
        let verifier = Verifier::new(p.ca.certificate_der())?;
        let sandbox_ca = match p.sandbox_ca {
            Some(ca) => {
                let v = Verifier::new(ca.certificate_der())?;
                Some((ca, v))
            }
            None => None,
        };
        Ok(Self(Arc::new(Inner {
            store: p.store,
            keys: p.keys,
            clock: p.clock,
            policy: p.policy,
            ca: p.ca,
            verifier,
            sandbox_ca,
            push: PushHub::default(),
            sms: p.sms,
            bank: p.bank,
            max_body_bytes: p.max_body_bytes,
            shutdown: CancellationToken::new(),
            changes: tokio::sync::broadcast::channel(1024).0,
            webhooks: Webhooks::new(p.webhooks)?,
            pages: p.pages,
            admin_password_hash: p.admin_password_hash,
            crl: tokio::sync::Mutex::new(None),
            self_url: p.self_url,
            sandbox: crate::pages::console::sandbox::Sandbox::new(&p.console),
            trusted_proxies: p.trusted_proxies,
            hsm: p.hsm,
            pushers: p.pushers,
            push_allow_private: p.push_allow_private,
            webauthn: crate::service::biometric::relying_parties(&p.public_url),
            parties: TtlCache::new(RP_TTL),
            members_by_lookup: TtlCache::new(MEMBER_TTL),
            members: TtlCache::new(MEMBER_TTL),
            devices: TtlCache::new(DEVICE_TTL),
            certificates: TtlCache::new(DEVICE_TTL),
        })))
    }

    /// A relying party by LinkID (cached).
    pub async fn relying_party(
        &self,
        link_id: &str,
    ) -> Result<Option<Arc<RelyingParty>>, StoreError> {
        self.parties
            .get_or_load(
                &link_id.to_owned(),
                self.store.relying_party_by_link_id(link_id),
            )
            .await
    }

    /// A member by phone and birth date (cached).
    pub async fn member_by_phone_birthday(
        &self,
        phone: &Phone,
        birthday: &Birthday,
    ) -> Result<Option<Arc<Member>>, StoreError> {
        let key = (phone.as_str().to_owned(), birthday.to_compact());
        self.members_by_lookup
            .get_or_load(&key, self.store.member_by_phone_birthday(phone, birthday))
            .await
    }

    /// A member by id (cached).
    pub async fn member(&self, id: MemberId) -> Result<Option<Arc<Member>>, StoreError> {
        self.members.get_or_load(&id, self.store.member(id)).await
    }

    /// A device by id (cached briefly).
    pub async fn device(&self, id: DeviceId) -> Result<Option<Arc<Device>>, StoreError> {
        self.devices.get_or_load(&id, self.store.device(id)).await
    }

    /// A certificate by serial (cached briefly).
    pub async fn certificate(
        &self,
        serial: &str,
    ) -> Result<Option<Arc<CertificateRecord>>, StoreError> {
        self.certificates
            .get_or_load(&serial.to_owned(), self.store.certificate(serial))
            .await
    }

    /// A relying party's credentials changed (rotated by an operator): drop them from the cache
    /// so the old SecretKey stops working here at once (other instances: within `RP_TTL`).
    pub fn forget_party(&self, link_id: &str) {
        self.parties.forget_where(|p| p.link_id == link_id);
    }

    /// A member changed (renamed by an operator): drop them from the caches.
    pub fn forget_member(&self, member: MemberId) {
        self.members.forget_where(|m| m.id == member);
        self.members_by_lookup.forget_where(|m| m.id == member);
        self.forget_devices_of(member);
    }

    /// A certificate changed (revoked by an operator): drop it from the cache.
    pub fn forget_certificate(&self, serial: &str) {
        self.certificates.forget_where(|c| c.serial == serial);
    }

    /// A member's devices and certificates changed (enrolment superseded them): drop them from
    /// the caches so the change applies at once.
    pub fn forget_devices_of(&self, member: MemberId) {
        self.devices.forget_where(|d| d.member_id == member);
        self.certificates.forget_where(|c| c.member_id == member);
    }
}
