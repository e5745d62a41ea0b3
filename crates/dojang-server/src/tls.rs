//! The process-wide rustls crypto provider.
//!
//! dojang builds rustls with *ring* only (no aws-lc-rs), so HTTP clients made here must find
//! *ring* installed as the default provider.

/// Install *ring* as rustls's default provider; harmless if one is installed already.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
