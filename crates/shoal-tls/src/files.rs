//! Certificate files and the rustls configurations made from them, each behind an
//! [`ArcSwap`] so a reload swaps it for new connections while existing ones keep theirs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why TLS cannot be set up; every message names the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {problem}")]
    File { path: PathBuf, problem: String },
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error("generating a certificate: {0}")]
    Generate(String),
    #[error("{0} exists: pass --force to overwrite it")]
    Exists(PathBuf),
}

fn file_error(path: &Path, problem: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// The files of one TLS endpoint: its certificate chain and key, and the CA bundle it
/// verifies the other side with (on a server: client certificates; on a client: the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
}

impl TlsFiles {
    /// Every file named, for change detection.
    pub fn paths(&self) -> Vec<PathBuf> {
        [&self.cert_file, &self.key_file, &self.ca_file]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// The certificate and key files do not go together (or rustls cannot use them).
    fn unusable_pair(&self, error: rustls::Error) -> TlsError {
        let name = |path: &Option<PathBuf>| {
            path.as_deref()
                .unwrap_or(Path::new("?"))
                .display()
                .to_string()
        };
        TlsError::Config(format!(
            "{} and {} do not make a usable certificate and key: {error}",
            name(&self.cert_file),
            name(&self.key_file)
        ))
    }

    fn certs_and_key(
        &self,
    ) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, TlsError> {
        match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => Ok(Some((read_certs(cert)?, read_key(key)?))),
            (None, None) => Ok(None),
            (Some(cert), None) => Err(TlsError::Config(format!(
                "a certificate ({}) needs its key file too",
                cert.display()
            ))),
            (None, Some(key)) => Err(TlsError::Config(format!(
                "a key ({}) needs its certificate file too",
                key.display()
            ))),
        }
    }
}

/// Every certificate in a PEM file (a chain: the end-entity certificate first).
pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(path, format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(file_error(
            path,
            "holds no certificate (no BEGIN CERTIFICATE block)",
        ));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| file_error(path, format!("holds no usable private key: {e}")))
}

fn read_roots(path: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(path)? {
        roots
            .add(cert)
            .map_err(|e| file_error(path, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(Arc::new(roots))
}

/// What the other side of a server connection must present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRequirement {
    /// Nothing (TLS for privacy and server identity only).
    None,
    /// A certificate the CA bundle signed.
    Any,
    /// A node certificate the CA bundle signed (common name [`crate::NODE_COMMON_NAME`]).
    Node,
}

/// A server's TLS configuration, reloadable.
#[derive(Debug)]
pub struct ServerTls {
    files: TlsFiles,
    requirement: PeerRequirement,
    alpn: Vec<Vec<u8>>,
    current: ArcSwap<rustls::ServerConfig>,
}

impl ServerTls {
    /// Reads the files and builds the configuration. `alpn`: the protocols offered
    /// (`h2` for gRPC, `http/1.1` for the admin port).
    pub fn load(
        files: TlsFiles,
        requirement: PeerRequirement,
        alpn: &[&[u8]],
    ) -> Result<Arc<ServerTls>, TlsError> {
        let alpn: Vec<Vec<u8>> = alpn.iter().map(|p| p.to_vec()).collect();
        let config = build_server(&files, requirement, &alpn)?;
        Ok(Arc::new(ServerTls {
            files,
            requirement,
            alpn,
            current: ArcSwap::from_pointee(config),
        }))
    }

    /// The configuration new connections use.
    pub fn config(&self) -> Arc<rustls::ServerConfig> {
        self.current.load_full()
    }

    pub fn requirement(&self) -> PeerRequirement {
        self.requirement
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// Reads the files again; on success new connections use them. On an error the old
    /// configuration stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = build_server(&self.files, self.requirement, &self.alpn)?;
        self.current.store(Arc::new(config));
        Ok(())
    }
}

fn build_server(
    files: &TlsFiles,
    requirement: PeerRequirement,
    alpn: &[Vec<u8>],
) -> Result<rustls::ServerConfig, TlsError> {
    let (certs, key) = files.certs_and_key()?.ok_or_else(|| {
        TlsError::Config("a TLS server needs a certificate and a key file".into())
    })?;
    let builder = rustls::ServerConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match (requirement, &files.ca_file) {
        (PeerRequirement::None, _) => builder.with_no_client_auth(),
        (_, None) => {
            return Err(TlsError::Config(
                "verifying client certificates needs a CA file (client_ca_file)".into(),
            ));
        }
        (_, Some(ca)) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(read_roots(ca)?, crate::provider())
                    .build()
                    .map_err(|e| file_error(ca, format!("cannot verify clients with it: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| files.unusable_pair(e))?;
    config.alpn_protocols = alpn.to_vec();
    Ok(config)
}

/// How a client decides that it talks to the right server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trust {
    /// The server's certificate is signed by the CA of `ca_file` and names the host dialled.
    Ca,
    /// The server presents exactly the certificate of `ca_file` (a node's own certificate:
    /// what `shoal health` trusts when it probes the node it runs beside).
    Pinned,
}

/// A client's TLS configuration (the CA it trusts, and its own certificate when it has
/// one), reloadable.
#[derive(Debug)]
pub struct ClientTls {
    files: TlsFiles,
    trust: Trust,
    alpn: Vec<Vec<u8>>,
    current: ArcSwap<rustls::ClientConfig>,
}

impl ClientTls {
    /// Reads the files: `ca_file` is required (the server is verified against it);
    /// `cert_file` and `key_file` together, for client-certificate authentication. Speaks
    /// HTTP/2 (gRPC).
    pub fn load(files: TlsFiles) -> Result<Arc<ClientTls>, TlsError> {
        Self::build(files, Trust::Ca, vec![b"h2".to_vec()])
    }

    /// Trusts exactly the server whose certificate is the first one in `cert_file` (no CA,
    /// no name check: for probing a node with its own configuration).
    pub fn pinned(cert_file: PathBuf) -> Result<Arc<ClientTls>, TlsError> {
        let files = TlsFiles {
            cert_file: None,
            key_file: None,
            ca_file: Some(cert_file),
        };
        Self::build(files, Trust::Pinned, vec![b"h2".to_vec()])
    }

    /// The same trust and files, speaking HTTP/1.1 (the admin port).
    pub fn for_http1(&self) -> Result<Arc<ClientTls>, TlsError> {
        Self::build(self.files.clone(), self.trust, vec![b"http/1.1".to_vec()])
    }

    fn build(
        files: TlsFiles,
        trust: Trust,
        alpn: Vec<Vec<u8>>,
    ) -> Result<Arc<ClientTls>, TlsError> {
        let config = build_client(&files, trust, &alpn)?;
        Ok(Arc::new(ClientTls {
            files,
            trust,
            alpn,
            current: ArcSwap::from_pointee(config),
        }))
    }

    pub fn config(&self) -> Arc<rustls::ClientConfig> {
        self.current.load_full()
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// Reads the files again (see [`ServerTls::reload`]).
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = build_client(&self.files, self.trust, &self.alpn)?;
        self.current.store(Arc::new(config));
        Ok(())
    }
}

fn build_client(
    files: &TlsFiles,
    trust: Trust,
    alpn: &[Vec<u8>],
) -> Result<rustls::ClientConfig, TlsError> {
    let ca = files.ca_file.as_ref().ok_or_else(|| {
        TlsError::Config(
            "a TLS client needs the CA certificate that signed the server's (ca_file)".into(),
        )
    })?;
    let builder = rustls::ClientConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match trust {
        Trust::Ca => builder.with_root_certificates(read_roots(ca)?),
        Trust::Pinned => {
            let expected = read_certs(ca)?.swap_remove(0);
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedServer {
                    expected,
                    provider: crate::provider(),
                }))
        }
    };
    let mut config = match files.certs_and_key()? {
        Some((certs, key)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| files.unusable_pair(e))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.to_vec();
    Ok(config)
}

/// Accepts the one server certificate it was given (and the handshake signatures made
/// with its key), nothing else.
#[derive(Debug)]
struct PinnedServer {
    expected: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server presented another certificate than the one trusted".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
