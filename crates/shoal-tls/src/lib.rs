//! TLS for shoal, in one place: reading certificate files, rustls configurations that can
//! be reloaded while the node runs, the acceptor that turns a TCP listener into a stream of
//! TLS connections for tonic and hyper, the connector that dials peers and servers over
//! TLS, and certificate generation (`shoal certs`).
//!
//! rustls runs on the ring provider only ([`install_crypto_provider`]); no dependency may
//! turn on aws-lc (the lock file has no `aws-lc-rs`, tidy checks it).
//!
//! Who is who: every certificate is signed by the cluster's CA. A node certificate has the
//! common name [`NODE_COMMON_NAME`], the node's addresses as subject alternative names and
//! both the serverAuth and clientAuth usages; a client certificate has the client's name as
//! its common name and clientAuth only. The internal port accepts node certificates only
//! ([`PeerRequirement::Node`]), so a client certificate from the same CA opens no Raft or
//! control call.

mod accept;
mod certs;
mod connect;
mod files;
mod per_ip;
mod reload;

pub use accept::{AcceptLimits, ConnectionInfo, HANDSHAKE_TIMEOUT, Incoming, ServerIo, incoming};
pub use certs::{
    CertKind, GeneratedCert, generate_ca, generate_signed, write_pem_pair, write_private,
};
pub use connect::{ClientIo, Connector};
pub use files::{ClientTls, PeerRequirement, ServerTls, TlsError, TlsFiles};
pub use per_ip::PerIp;
pub use reload::{Reloadable, watch};

/// The common name of every node certificate (see the crate docs).
pub const NODE_COMMON_NAME: &str = "shoal-node";

/// Installs rustls's ring provider as the process default (once; later calls do nothing).
/// Called by every constructor here, so no caller can forget it.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when another provider was installed first: then that one is used, and
        // shoal's own configs still name ring explicitly.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The provider every config is built with.
pub(crate) fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    install_crypto_provider();
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(test)]
mod tests;
