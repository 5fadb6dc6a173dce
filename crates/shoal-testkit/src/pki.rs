//! Certificates for test and chaos clusters: a CA and a gossip key made once per cluster
//! directory, and a node certificate per node naming its address (the files a secure node
//! needs, as `shoal certs` would write them).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

/// Long enough for any test or chaos run.
const VALID: Duration = Duration::from_secs(30 * 24 * 3600);

/// The files of one secure node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// The cluster's CA (it verifies peers and signs every certificate here).
    pub ca_file: PathBuf,
    /// The cluster's gossip key.
    pub gossip_key_file: PathBuf,
}

/// The files of node `id` at `host` in the cluster whose certificates live in `certs`: the
/// CA and the gossip key are made by the first call, the node's certificate (naming `host`
/// and `localhost`) by every call.
pub fn node_tls(certs: &Path, id: u64, host: IpAddr) -> Result<NodeTls> {
    let ca_file = certs.join("ca.crt");
    let gossip_key_file = certs.join("gossip.key");
    if !ca_file.exists() {
        let ca = shoal_tls::generate_ca("test cluster CA", VALID)?;
        shoal_tls::write_pem_pair(certs, "ca", &ca, true)?;
        let key: String = (0..32)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect();
        shoal_tls::write_private(&gossip_key_file, format!("{key}\n").as_bytes())
            .with_context(|| format!("writing {}", gossip_key_file.display()))?;
    }
    let read = |name: &str| {
        std::fs::read_to_string(certs.join(name))
            .with_context(|| format!("reading {}", certs.join(name).display()))
    };
    let node = shoal_tls::generate_signed(
        &shoal_tls::CertKind::Node {
            addresses: vec![host.to_string(), "localhost".into()],
        },
        &read("ca.crt")?,
        &read("ca.key")?,
        VALID,
    )?;
    let (cert_file, key_file) =
        shoal_tls::write_pem_pair(certs, &format!("node-{id}"), &node, true)?;
    Ok(NodeTls {
        cert_file,
        key_file,
        ca_file,
        gossip_key_file,
    })
}
