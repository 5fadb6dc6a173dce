//! `shoal certs`: the files a secure cluster needs, written to one directory — the cluster
//! CA (`ca.crt`, `ca.key`), a certificate per node (`node-<id>.crt/.key`: the node's
//! addresses as names, usable as server and as client), and client certificates
//! (`client-<name>.crt/.key`), and the cluster's gossip key (`gossip.key`). Keys are
//! written readable by their owner only; nothing is replaced without `--force`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use shoal_tls::{CertKind, GeneratedCert};

const DAY: Duration = Duration::from_secs(24 * 3600);
/// Default validity: the CA ten years, node and client certificates two.
pub const CA_DAYS: u64 = 3650;
pub const LEAF_DAYS: u64 = 730;

/// What to make.
#[derive(Debug, Clone)]
pub enum CertsRequest {
    Ca,
    Node { id: u64, addresses: Vec<String> },
    Client { name: String },
}

/// Writes `<dir>/gossip.key`: a new random gossip key (64 hex digits), readable by its
/// owner only; refuses to replace one unless `force`.
pub fn generate_gossip_key(dir: &Path, force: bool) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("gossip.key");
    if path.exists() && !force {
        anyhow::bail!("{} exists: pass --force to overwrite it", path.display());
    }
    shoal_tls::write_private(&path, shoal_membership::generate_key_text().as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The files written.
#[derive(Debug, Clone)]
pub struct Written {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Generates what `request` asks for in `dir` (the CA's files are read from there for node
/// and client certificates) with `days` of validity.
pub fn generate(dir: &Path, request: &CertsRequest, days: u64, force: bool) -> Result<Written> {
    let valid_for = DAY * days as u32;
    let (base, generated) = match request {
        CertsRequest::Ca => (
            "ca".to_owned(),
            shoal_tls::generate_ca("shoal cluster CA", valid_for)?,
        ),
        CertsRequest::Node { id, addresses } => {
            let addresses = addresses.iter().map(|a| host_only(a)).collect();
            (
                format!("node-{id}"),
                signed(dir, &CertKind::Node { addresses }, valid_for)?,
            )
        }
        CertsRequest::Client { name } => {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
            {
                anyhow::bail!(
                    "--name {name:?}: use letters, digits and - _ . @ only (it names the files)"
                );
            }
            (
                format!("client-{name}"),
                signed(dir, &CertKind::Client { name: name.clone() }, valid_for)?,
            )
        }
    };
    let (cert, key) = shoal_tls::write_pem_pair(dir, &base, &generated, force)?;
    Ok(Written { cert, key })
}

fn signed(dir: &Path, kind: &CertKind, valid_for: Duration) -> Result<GeneratedCert> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading the CA's {} (make the CA first: shoal certs ca --dir {})",
                path.display(),
                dir.display()
            )
        })
    };
    let (ca_cert, ca_key) = (read("ca.crt")?, read("ca.key")?);
    Ok(shoal_tls::generate_signed(
        kind, &ca_cert, &ca_key, valid_for,
    )?)
}

/// `host:port` and `[v6]:port` → the host: a certificate names hosts, not ports.
fn host_only(address: &str) -> String {
    if let Ok(socket) = address.parse::<std::net::SocketAddr>() {
        return socket.ip().to_string();
    }
    if address.parse::<std::net::IpAddr>().is_ok() {
        return address.to_owned();
    }
    match address.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host.to_owned(),
        _ => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_ports() {
        assert_eq!(host_only("10.0.0.5:5343"), "10.0.0.5");
        assert_eq!(host_only("[::1]:5343"), "::1");
        assert_eq!(host_only("::1"), "::1");
        assert_eq!(host_only("shoal-0.shoal.svc:5343"), "shoal-0.shoal.svc");
        assert_eq!(host_only("localhost"), "localhost");
    }

    #[test]
    fn node_and_client_certificates_need_the_ca_first() {
        let dir = tempfile::tempdir().unwrap();
        let node = CertsRequest::Node {
            id: 1,
            addresses: vec!["127.0.0.1".into()],
        };
        let error = generate(dir.path(), &node, 30, false).unwrap_err();
        assert!(format!("{error:#}").contains("shoal certs ca"), "{error:#}");
        generate(dir.path(), &CertsRequest::Ca, 30, false).unwrap();
        let written = generate(dir.path(), &node, 30, false).unwrap();
        assert!(written.cert.ends_with("node-1.crt"));
        let client = CertsRequest::Client {
            name: "../evil".into(),
        };
        assert!(generate(dir.path(), &client, 30, false).is_err());
    }
}
