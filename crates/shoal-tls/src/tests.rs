//! The acceptor and the connector against each other over loopback, with certificates
//! made by `certs`: who may connect to a node-only port, server names checked, plaintext
//! refused, files reloaded, generated files protected.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::Service;

use super::*;

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

struct Pki {
    dir: tempfile::TempDir,
    ca: GeneratedCert,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let ca = generate_ca("test CA", YEAR).unwrap();
        write_pem_pair(dir.path(), "ca", &ca, false).unwrap();
        Pki { dir, ca }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `<base>.crt` / `<base>.key` and returns their files with this CA.
    fn issue(&self, base: &str, kind: CertKind) -> TlsFiles {
        let cert = generate_signed(&kind, &self.ca.cert_pem, &self.ca.key_pem, YEAR).unwrap();
        let (cert_file, key_file) = write_pem_pair(self.dir.path(), base, &cert, true).unwrap();
        TlsFiles {
            cert_file: Some(cert_file),
            key_file: Some(key_file),
            ca_file: Some(self.path("ca.crt")),
        }
    }

    fn node(&self, base: &str, address: &str) -> TlsFiles {
        self.issue(
            base,
            CertKind::Node {
                addresses: vec![address.to_owned()],
            },
        )
    }
}

/// A TLS server on loopback that answers every connection with the common name of the
/// client's certificate and closes it. Returns its address.
async fn serve(tls: Arc<ServerTls>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut connections = incoming(listener, Some(tls), "test", AcceptLimits::default());
    tokio::spawn(async move {
        while let Some(Ok(mut io)) = connections.next().await {
            let name = io.info().peer_name.clone().unwrap_or_else(|| "-".into());
            let _ = io.write_all(name.as_bytes()).await;
            let _ = io.shutdown().await;
        }
    });
    address
}

/// Connects and reads what the server says; Err when the connection fails at any point.
async fn ask(connector: &mut Connector, address: std::net::SocketAddr) -> Result<String, String> {
    let uri: http::Uri = format!("http://{address}").parse().unwrap();
    let io = connector.call(uri).await.map_err(|e| e.to_string())?;
    let mut io = io.into_inner();
    // What an HTTP/2 client says first (so a plaintext client is refused at once, not
    // after the handshake timeout).
    io.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), io.read_to_string(&mut answer))
        .await
        .map_err(|_| "no answer".to_string())?
        .map_err(|e| e.to_string())?;
    if answer.is_empty() {
        return Err("closed without an answer".into());
    }
    Ok(answer)
}

fn client(files: TlsFiles) -> Connector {
    Connector::new(Some(ClientTls::load(files).unwrap()))
}

#[tokio::test]
async fn a_node_port_admits_nodes_of_its_ca_only() {
    let pki = Pki::new();
    let server = ServerTls::load(
        pki.node("server", "127.0.0.1"),
        PeerRequirement::Node,
        &[b"h2"],
    )
    .unwrap();
    let address = serve(server).await;

    let mut node = client(pki.node("peer", "127.0.0.1"));
    assert_eq!(ask(&mut node, address).await.unwrap(), NODE_COMMON_NAME);

    // A client certificate of the same CA is not a node's.
    let mut app = client(pki.issue("app", CertKind::Client { name: "app".into() }));
    assert!(ask(&mut app, address).await.is_err());

    // No certificate at all.
    let mut anonymous = client(TlsFiles {
        cert_file: None,
        key_file: None,
        ca_file: Some(pki.path("ca.crt")),
    });
    assert!(ask(&mut anonymous, address).await.is_err());

    // A node certificate from another CA (which trusts this server's CA, so only the
    // server's check can refuse it).
    let other = Pki::new();
    let mut stranger_files = other.node("stranger", "127.0.0.1");
    stranger_files.ca_file = Some(pki.path("ca.crt"));
    let mut stranger = client(stranger_files);
    assert!(ask(&mut stranger, address).await.is_err());

    // Plaintext: at most a TLS alert comes back, never the served answer.
    let mut plain = Connector::new(None);
    let answer = ask(&mut plain, address).await;
    assert!(
        answer
            .as_deref()
            .map_or(true, |a| !a.contains(NODE_COMMON_NAME)),
        "{answer:?}"
    );

    // The port still serves nodes after all that.
    assert_eq!(ask(&mut node, address).await.unwrap(), NODE_COMMON_NAME);
}

#[tokio::test]
async fn a_client_refuses_a_server_whose_certificate_names_another_address() {
    let pki = Pki::new();
    let server = ServerTls::load(
        pki.node("server", "10.11.12.13"),
        PeerRequirement::None,
        &[b"h2"],
    )
    .unwrap();
    let address = serve(server).await;
    let mut node = client(pki.node("peer", "127.0.0.1"));
    let error = ask(&mut node, address).await.unwrap_err();
    assert!(error.contains("TLS handshake with 127.0.0.1"), "{error}");

    // A server of a CA the client does not trust.
    let other = Pki::new();
    let server = ServerTls::load(
        other.node("server", "127.0.0.1"),
        PeerRequirement::None,
        &[b"h2"],
    )
    .unwrap();
    let address = serve(server).await;
    let error = ask(&mut node, address).await.unwrap_err();
    assert!(error.contains("TLS handshake"), "{error}");
}

#[tokio::test]
async fn reloaded_files_take_effect_for_new_connections() {
    let pki = Pki::new();
    let server_files = pki.node("server", "127.0.0.1");
    let server = ServerTls::load(server_files.clone(), PeerRequirement::Any, &[b"h2"]).unwrap();
    let address = serve(server.clone()).await;
    let mut node = client(pki.node("peer", "127.0.0.1"));
    assert_eq!(ask(&mut node, address).await.unwrap(), NODE_COMMON_NAME);

    // Rotate the server's CA bundle to a new CA only: the old peer is refused after the
    // reload, a peer of the new CA admitted.
    let new = Pki::new();
    std::fs::copy(new.path("ca.crt"), pki.path("ca.crt")).unwrap();
    server.reload().unwrap();
    assert!(ask(&mut node, address).await.is_err());
    let mut new_files = new.node("new-peer", "127.0.0.1");
    // The new peer still has to trust the server's (old-CA) certificate.
    std::fs::write(
        new.path("both.crt"),
        pki.ca.cert_pem.clone() + &new.ca.cert_pem,
    )
    .unwrap();
    new_files.ca_file = Some(new.path("both.crt"));
    let mut new_node = client(new_files);
    assert_eq!(ask(&mut new_node, address).await.unwrap(), NODE_COMMON_NAME);

    // Files that do not load leave the last good configuration in place.
    std::fs::write(server_files.key_file.as_ref().unwrap(), "not a key").unwrap();
    let error = server.reload().unwrap_err();
    assert!(error.to_string().contains("server.key"), "{error}");
    assert_eq!(ask(&mut new_node, address).await.unwrap(), NODE_COMMON_NAME);
}

#[tokio::test]
async fn the_watcher_reloads_changed_files() {
    let pki = Pki::new();
    let server = ServerTls::load(
        pki.node("server", "127.0.0.1"),
        PeerRequirement::Any,
        &[b"h2"],
    )
    .unwrap();
    let address = serve(server.clone()).await;
    let cancel = tokio_util::sync::CancellationToken::new();
    let watcher = watch(
        vec![("test", server.clone() as Arc<dyn Reloadable>)],
        Duration::from_millis(50),
        cancel.clone(),
    );
    let new = Pki::new();
    std::fs::copy(new.path("ca.crt"), pki.path("ca.crt")).unwrap();
    let mut new_files = new.node("new-peer", "127.0.0.1");
    std::fs::write(
        new.path("both.crt"),
        pki.ca.cert_pem.clone() + &new.ca.cert_pem,
    )
    .unwrap();
    new_files.ca_file = Some(new.path("both.crt"));
    let mut new_node = client(new_files);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ask(&mut new_node, address).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the changed CA file was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    watcher.await.unwrap();
}

#[test]
fn generated_files_are_protected_and_never_silently_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let pki = Pki::new();
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&pki.path("ca.key")), 0o600);
    let again = generate_ca("again", YEAR).unwrap();
    let error = write_pem_pair(pki.dir.path(), "ca", &again, false).unwrap_err();
    assert!(matches!(error, TlsError::Exists(_)), "{error}");
    assert!(error.to_string().contains("--force"), "{error}");
    assert_eq!(
        std::fs::read_to_string(pki.path("ca.crt")).unwrap(),
        pki.ca.cert_pem,
        "the refused write changed nothing"
    );
    // A client may not take the nodes' name, and a node needs an address.
    let refused = generate_signed(
        &CertKind::Client {
            name: NODE_COMMON_NAME.into(),
        },
        &pki.ca.cert_pem,
        &pki.ca.key_pem,
        YEAR,
    );
    assert!(refused.is_err());
    let refused = generate_signed(
        &CertKind::Node { addresses: vec![] },
        &pki.ca.cert_pem,
        &pki.ca.key_pem,
        YEAR,
    );
    assert!(refused.unwrap_err().to_string().contains("--addr"));
}

#[test]
fn bad_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "hello").unwrap();
    let files = TlsFiles {
        cert_file: Some(junk.clone()),
        key_file: Some(junk.clone()),
        ca_file: None,
    };
    let error = ServerTls::load(files, PeerRequirement::None, &[b"h2"]).unwrap_err();
    assert!(error.to_string().contains("junk.pem"), "{error}");
    let missing = TlsFiles {
        cert_file: Some(dir.path().join("absent.crt")),
        key_file: Some(junk),
        ca_file: None,
    };
    let error = ServerTls::load(missing, PeerRequirement::None, &[b"h2"]).unwrap_err();
    assert!(error.to_string().contains("absent.crt"), "{error}");
}

/// A plaintext listener with `limits` that echoes what each connection sends.
async fn serve_echo(limits: AcceptLimits) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut connections = incoming(listener, None, "test", limits);
    tokio::spawn(async move {
        while let Some(Ok(mut io)) = connections.next().await {
            tokio::spawn(async move {
                let mut byte = [0u8; 1];
                while let Ok(1) = io.read(&mut byte).await {
                    if io.write_all(&byte).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    address
}

/// A connection from `source` (a loopback address) to `address`.
async fn connect_from(
    source: std::net::IpAddr,
    address: std::net::SocketAddr,
) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    socket.connect(address).await.unwrap()
}

/// Sends one byte and reads it back (within 5 s): the server serves this connection.
async fn echoes(stream: &mut tokio::net::TcpStream) -> bool {
    let exchange = async {
        stream.write_all(b"x").await?;
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await?;
        std::io::Result::Ok(byte == *b"x")
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(5), exchange).await,
        Ok(Ok(true))
    )
}

/// The server closed the connection (EOF or reset) within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(within, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_while_a_talking_one_is_kept() {
    let limits = AcceptLimits {
        first_bytes_timeout: Duration::from_millis(300),
        ..AcceptLimits::default()
    };
    let address = serve_echo(limits).await;
    let loopback = std::net::Ipv4Addr::LOCALHOST.into();
    let mut silent = connect_from(loopback, address).await;
    let mut talking = connect_from(loopback, address).await;
    assert!(echoes(&mut talking).await);
    assert!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        "a silent connection was held past the first-bytes timeout"
    );
    // Once it has spoken, a connection may be quiet for as long as it likes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(echoes(&mut talking).await);
}

#[tokio::test]
async fn connections_over_the_per_address_limit_are_closed_and_others_are_served() {
    let limits = AcceptLimits {
        max_connections_per_ip: 3,
        ..AcceptLimits::default()
    };
    let address = serve_echo(limits).await;
    let greedy: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect_from(greedy, address).await;
        assert!(echoes(&mut stream).await);
        held.push(stream);
    }
    let mut extra = connect_from(greedy, address).await;
    assert!(
        closed_within(&mut extra, Duration::from_secs(5)).await,
        "a fourth connection from one address was kept"
    );
    // Another address is not affected.
    let mut other = connect_from(std::net::Ipv4Addr::LOCALHOST.into(), address).await;
    assert!(echoes(&mut other).await);
    // A closed connection gives its place back.
    drop(held.pop());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = connect_from(greedy, address).await;
        if echoes(&mut again).await {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the freed place was never given back"
        );
    }
}

#[tokio::test]
async fn connections_over_the_total_limit_are_closed() {
    let limits = AcceptLimits {
        max_connections: 2,
        ..AcceptLimits::default()
    };
    let address = serve_echo(limits).await;
    let loopback = std::net::Ipv4Addr::LOCALHOST.into();
    let mut first = connect_from(loopback, address).await;
    let mut second = connect_from("127.0.0.3".parse().unwrap(), address).await;
    assert!(echoes(&mut first).await && echoes(&mut second).await);
    let mut third = connect_from("127.0.0.4".parse().unwrap(), address).await;
    assert!(closed_within(&mut third, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_pinned_client_trusts_exactly_one_server_certificate() {
    let pki = Pki::new();
    // The certificate names another address than the one dialled: pinning ignores names.
    let files = pki.node("server", "10.9.9.9");
    let server = ServerTls::load(files.clone(), PeerRequirement::None, &[b"h2"]).unwrap();
    let address = serve(server).await;
    let pinned = ClientTls::pinned(files.cert_file.clone().unwrap()).unwrap();
    assert_eq!(
        ask(&mut Connector::new(Some(pinned.clone())), address)
            .await
            .unwrap(),
        "-"
    );
    // Another certificate of the same CA, for the very address dialled, is refused.
    let sibling = pki.node("sibling", "127.0.0.1");
    let other = ServerTls::load(sibling, PeerRequirement::None, &[b"h2"]).unwrap();
    let other_address = serve(other).await;
    assert!(
        ask(&mut Connector::new(Some(pinned)), other_address)
            .await
            .is_err()
    );
}
