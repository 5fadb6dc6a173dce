//! Certificate generation (rcgen) for `shoal certs`, `shoal dev` and tests: a cluster CA,
//! node certificates (serverAuth + clientAuth, the node's addresses as subject alternative
//! names) and client certificates (clientAuth, the client's name as common name). Keys are
//! ECDSA P-256; PEM files; keys written with mode 0600.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use crate::files::TlsError;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertKind {
    /// A node: every address (IP or DNS name) peers and clients use to reach it.
    Node { addresses: Vec<String> },
    /// A client, named (the name is what the server sees as the caller).
    Client { name: String },
}

/// A certificate and its private key, PEM-encoded.
#[derive(Debug, Clone)]
pub struct GeneratedCert {
    pub cert_pem: String,
    pub key_pem: String,
}

fn generate_error(error: rcgen::Error) -> TlsError {
    TlsError::Generate(error.to_string())
}

fn validity(params: &mut CertificateParams, valid_for: Duration) {
    let now = time::OffsetDateTime::now_utc();
    // An hour of slack for clocks that run a little behind the issuer's.
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + valid_for;
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "shoal");
    name.push(DnType::CommonName, common_name);
    name
}

/// A new self-signed CA certificate (it signs node and client certificates only).
pub fn generate_ca(common_name: &str, valid_for: Duration) -> Result<GeneratedCert, TlsError> {
    let key = KeyPair::generate().map_err(generate_error)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut params, valid_for);
    let cert = params.self_signed(&key).map_err(generate_error)?;
    Ok(GeneratedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A node or client certificate signed by the CA given as PEM.
pub fn generate_signed(
    kind: &CertKind,
    ca_cert_pem: &str,
    ca_key_pem: &str,
    valid_for: Duration,
) -> Result<GeneratedCert, TlsError> {
    let ca_key = KeyPair::from_pem(ca_key_pem)
        .map_err(|e| TlsError::Generate(format!("the CA key is not usable: {e}")))?;
    let issuer = Issuer::from_ca_cert_pem(ca_cert_pem, ca_key)
        .map_err(|e| TlsError::Generate(format!("the CA certificate is not usable: {e}")))?;
    let mut params = match kind {
        CertKind::Node { addresses } => {
            if addresses.is_empty() {
                return Err(TlsError::Generate(
                    "a node certificate needs at least one address (--addr)".into(),
                ));
            }
            let mut params = CertificateParams::new(addresses.clone()).map_err(|e| {
                TlsError::Generate(format!(
                    "{addresses:?} are not all IP addresses or DNS names: {e}"
                ))
            })?;
            params.distinguished_name = name(crate::NODE_COMMON_NAME);
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
            params
        }
        CertKind::Client { name: client } => {
            if client.is_empty() || client == crate::NODE_COMMON_NAME {
                return Err(TlsError::Generate(format!(
                    "a client needs a name other than \"{}\" (that name is for nodes)",
                    crate::NODE_COMMON_NAME
                )));
            }
            let mut params = CertificateParams::default();
            params.distinguished_name = name(client);
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            params
        }
    };
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, valid_for);
    let key = KeyPair::generate().map_err(generate_error)?;
    let cert = params.signed_by(&key, &issuer).map_err(generate_error)?;
    Ok(GeneratedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Writes `<dir>/<base>.crt` and `<dir>/<base>.key` (mode 0600, readable by its owner
/// only); refuses to replace either unless `force`. Returns both paths.
pub fn write_pem_pair(
    dir: &Path,
    base: &str,
    generated: &GeneratedCert,
    force: bool,
) -> Result<(PathBuf, PathBuf), TlsError> {
    let io_error = |path: &Path, e: std::io::Error| TlsError::File {
        path: path.to_path_buf(),
        problem: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let cert = dir.join(format!("{base}.crt"));
    let key = dir.join(format!("{base}.key"));
    if !force {
        for path in [&cert, &key] {
            if path.exists() {
                return Err(TlsError::Exists(path.clone()));
            }
        }
    }
    write_private(&key, generated.key_pem.as_bytes()).map_err(|e| io_error(&key, e))?;
    std::fs::write(&cert, generated.cert_pem.as_bytes()).map_err(|e| io_error(&cert, e))?;
    Ok((cert, key))
}

/// Writes a file readable by its owner only (created that way: never briefly readable);
/// for every secret shoal writes (keys, the gossip key, the bootstrap API key).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // An existing file keeps its mode through open: set it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()
}
