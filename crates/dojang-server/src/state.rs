//! The state every handler shares: explicit, built once by [`crate::Server::bind`].

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dojang_core::{Clock, Policy, RelyingParty};
use dojang_pki::{CertificateAuthority, Verifier};
use dojang_store::{DataKeys, Store, StoreError};
use tokio_util::sync::CancellationToken;

use crate::push::PushHub;
use crate::sms::SmsGateway;

/// How long a relying party's credentials are cached after a lookup. A rotated secret takes
/// effect within this time.
const RP_CACHE_TTL: Duration = Duration::from_secs(30);

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
    /// Live device connections.
    pub push: PushHub,
    /// One-time codes out.
    pub sms: Arc<dyn SmsGateway>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Cancelled when the server shuts down; long-lived tasks (WebSockets) watch it.
    pub shutdown: CancellationToken,
    rp_cache: Mutex<HashMap<String, (Arc<RelyingParty>, Instant)>>,
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
    /// SMS gateway.
    pub sms: Arc<dyn SmsGateway>,
    /// Largest body.
    pub max_body_bytes: usize,
}

impl AppState {
    /// Assemble the state.
    pub fn new(p: Parts) -> Result<Self, dojang_pki::PkiError> {
        let verifier = Verifier::new(p.ca.certificate_der())?;
        Ok(Self(Arc::new(Inner {
            store: p.store,
            keys: p.keys,
            clock: p.clock,
            policy: p.policy,
            ca: p.ca,
            verifier,
            push: PushHub::default(),
            sms: p.sms,
            max_body_bytes: p.max_body_bytes,
            shutdown: CancellationToken::new(),
            rp_cache: Mutex::new(HashMap::new()),
        })))
    }

    /// A relying party by LinkID, through a short-lived cache (only found parties are cached).
    pub async fn relying_party(
        &self,
        link_id: &str,
    ) -> Result<Option<Arc<RelyingParty>>, StoreError> {
        {
            let cache = self.rp_cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((rp, at)) = cache.get(link_id)
                && at.elapsed() < RP_CACHE_TTL
            {
                return Ok(Some(rp.clone()));
            }
        }
        let Some(rp) = self.store.relying_party_by_link_id(link_id).await? else {
            return Ok(None);
        };
        let rp = Arc::new(rp);
        let mut cache = self.rp_cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 10_000 {
            cache.retain(|_, (_, at)| at.elapsed() < RP_CACHE_TTL);
        }
        cache.insert(link_id.to_owned(), (rp.clone(), Instant::now()));
        Ok(Some(rp))
    }
}
