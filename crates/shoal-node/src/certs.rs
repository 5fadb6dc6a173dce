//! `shoal certs`: the files a secure cluster needs, written to one directory — the cluster
//! CA (`ca.crt`, `ca.key`), a certificate per node (`node-<id>.crt/.key`: the node's
//! addresses as names, usable as server and as client), and client certificates
//! (`client-<name>.crt/.key`), and the cluster's gossip key (`gossip.key`). Keys are
//! written readable by their owner only; nothing is replaced without `--force`.
//! [`generate_cluster`] (`shoal certs cluster`) makes a whole cluster's files in one
//! command, each only when it is missing (for one-shot containers and scripts).

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

/// A user and group id that files are given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl std::str::FromStr for Owner {
    type Err = String;

    /// `UID:GID` (numbers: a container image has no user database to look names up in).
    fn from_str(text: &str) -> Result<Owner, String> {
        let (uid, gid) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?}: expected UID:GID, e.g. 10001:10001"))?;
        let number = |part: &str| {
            part.parse::<u32>()
                .map_err(|_| format!("{text:?}: {part:?} is not a numeric id"))
        };
        Ok(Owner {
            uid: number(uid)?,
            gid: number(gid)?,
        })
    }
}

/// What `shoal certs cluster` makes: everything a cluster of known nodes needs, in one
/// directory, each file made only when it is missing (so the command can run at every
/// start of a deployment, as a one-shot container does).
#[derive(Debug, Clone)]
pub struct ClusterRequest {
    /// Each node's id and the addresses its certificate names.
    pub nodes: Vec<(u64, Vec<String>)>,
    /// Also a bootstrap admin API key (`admin.key`), for `server.auth.bootstrap_key_file`.
    pub admin_key: bool,
    /// Give every file (and the directory) to this user (the nodes').
    pub owner: Option<Owner>,
    /// Copy what an operator needs — `ca.crt`, and `admin.key` when made — here too,
    /// given to `export_owner`.
    pub export: Option<(PathBuf, Option<Owner>)>,
}

/// Makes what `request` lists in `dir` (see [`ClusterRequest`]); returns one line per
/// file saying whether it was made or kept.
pub fn generate_cluster(dir: &Path, request: &ClusterRequest) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut said = Vec::new();
    let mut note = |path: PathBuf, made: bool| {
        said.push(format!(
            "{} {}",
            if made { "made" } else { "kept" },
            path.display()
        ));
    };
    let (ca_cert, ca_key) = (dir.join("ca.crt"), dir.join("ca.key"));
    match (ca_cert.exists(), ca_key.exists()) {
        (true, true) => note(ca_cert.clone(), false),
        (false, false) => {
            generate(dir, &CertsRequest::Ca, CA_DAYS, false)?;
            note(ca_cert.clone(), true);
        }
        _ => anyhow::bail!(
            "{} holds one of ca.crt and ca.key without the other: restore the missing one or \
             remove both to make a new CA (every certificate must then be made again)",
            dir.display()
        ),
    }
    let gossip = dir.join("gossip.key");
    let made = !gossip.exists();
    if made {
        generate_gossip_key(dir, false)?;
    }
    note(gossip, made);
    let admin = dir.join("admin.key");
    if request.admin_key {
        let made = !admin.exists();
        if made {
            let spec = shoal_replication::api_key::KeySpec {
                name: "bootstrap admin".into(),
                role: shoal_replication::api_key::Role::Admin,
                prefix: None,
                expires_at_ms: None,
            };
            let (text, _) = shoal_replication::api_key::new_key(spec, 0);
            shoal_tls::write_private(&admin, format!("{text}\n").as_bytes())
                .with_context(|| format!("writing {}", admin.display()))?;
        }
        note(admin.clone(), made);
    }
    for (id, addresses) in &request.nodes {
        let cert = dir.join(format!("node-{id}.crt"));
        let made = !cert.exists() || !dir.join(format!("node-{id}.key")).exists();
        if made {
            let node = CertsRequest::Node {
                id: *id,
                addresses: addresses.clone(),
            };
            generate(dir, &node, LEAF_DAYS, true)?;
        }
        note(cert, made);
    }
    if let Some(owner) = request.owner {
        give(dir, owner)?;
        for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            give(&entry?.path(), owner)?;
        }
    }
    if let Some((export, owner)) = &request.export {
        std::fs::create_dir_all(export)
            .with_context(|| format!("creating {}", export.display()))?;
        let copy = export.join("ca.crt");
        std::fs::copy(&ca_cert, &copy).with_context(|| format!("writing {}", copy.display()))?;
        let mut copies = vec![copy];
        if request.admin_key {
            let copy = export.join("admin.key");
            let text =
                std::fs::read(&admin).with_context(|| format!("reading {}", admin.display()))?;
            shoal_tls::write_private(&copy, &text)
                .with_context(|| format!("writing {}", copy.display()))?;
            copies.push(copy);
        }
        for copy in copies {
            if let Some(owner) = owner {
                give(&copy, *owner)?;
            }
            said.push(format!("copied {}", copy.display()));
        }
    }
    Ok(said)
}

fn give(path: &Path, owner: Owner) -> Result<()> {
    std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid)).with_context(|| {
        format!(
            "giving {} to {}:{} (run as root to give files away)",
            path.display(),
            owner.uid,
            owner.gid
        )
    })
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
    fn a_cluster_is_made_once_and_kept_after() {
        let dir = tempfile::tempdir().unwrap();
        let export = dir.path().join("operator");
        let request = ClusterRequest {
            nodes: vec![
                (1, vec!["shoal-1".into(), "127.0.0.1".into()]),
                (2, vec!["shoal-2".into()]),
            ],
            admin_key: true,
            owner: None,
            export: Some((export.clone(), None)),
        };
        let certs = dir.path().join("certs");
        let first = generate_cluster(&certs, &request).unwrap();
        assert_eq!(
            first.iter().filter(|l| l.starts_with("made")).count(),
            5,
            "{first:?}"
        );
        let key = std::fs::read_to_string(certs.join("admin.key")).unwrap();
        assert!(shoal_replication::api_key::parse(&key).is_some(), "{key}");
        assert_eq!(
            std::fs::read_to_string(export.join("admin.key")).unwrap(),
            key
        );
        assert_eq!(
            std::fs::read(export.join("ca.crt")).unwrap(),
            std::fs::read(certs.join("ca.crt")).unwrap()
        );
        use std::os::unix::fs::PermissionsExt;
        for private in [
            certs.join("admin.key"),
            certs.join("node-1.key"),
            export.join("admin.key"),
        ] {
            let mode = std::fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", private.display());
        }
        // Again: everything is kept as it was (a restarted deployment keeps its CA).
        let second = generate_cluster(&certs, &request).unwrap();
        assert!(
            second
                .iter()
                .filter(|l| !l.starts_with("copied"))
                .all(|l| l.starts_with("kept")),
            "{second:?}"
        );
        assert_eq!(
            std::fs::read_to_string(certs.join("admin.key")).unwrap(),
            key
        );
        // Half a CA is refused, not silently replaced.
        std::fs::remove_file(certs.join("ca.key")).unwrap();
        let error = generate_cluster(&certs, &request).unwrap_err();
        assert!(
            format!("{error:#}").contains("without the other"),
            "{error:#}"
        );
        assert_eq!(
            "10001:10001".parse(),
            Ok(Owner {
                uid: 10001,
                gid: 10001
            })
        );
        assert!("shoal".parse::<Owner>().is_err());
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
