//! The server side: a TCP listener turned into a stream of connections for tonic (or
//! hyper) — plain, or TLS with the handshakes done here, concurrently and each within
//! [`HANDSHAKE_TIMEOUT`], so one slow or silent client never holds up the others.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::either::Either;

use crate::files::{PeerRequirement, ServerTls};

/// A connection that has not finished its TLS handshake by then is closed.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait to start theirs.
const MAX_HANDSHAKES: usize = 256;

/// Who is on the other end of a connection, for the request handlers (a request
/// extension through tonic's `Connected`).
#[derive(Debug, Clone, Default)]
pub struct ConnectionInfo {
    pub remote: Option<SocketAddr>,
    /// The common name of the certificate the client presented (TLS with client
    /// certificates only).
    pub peer_name: Option<String>,
}

/// One accepted connection: plain TCP or TLS over it, and who is on the other end.
#[derive(Debug)]
pub struct ServerIo {
    io: Either<TcpStream, Box<tokio_rustls::server::TlsStream<TcpStream>>>,
    info: ConnectionInfo,
}

impl ServerIo {
    pub fn info(&self) -> &ConnectionInfo {
        &self.info
    }
}

impl tonic::transport::server::Connected for ServerIo {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        self.info.clone()
    }
}

impl AsyncRead for ServerIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for ServerIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The accepted connections of one listener, for `serve_with_incoming(_shutdown)`.
pub type Incoming = tokio_stream::wrappers::ReceiverStream<io::Result<ServerIo>>;

/// Accepts connections on `listener` until the returned stream is dropped (then the
/// listener is closed too). With `tls`, each connection is handed on only after its
/// handshake succeeded and the client's certificate meets the configured requirement;
/// failures are logged (naming `port` and the remote address) and counted in
/// `shoal_tls_handshake_failures_total{port}`. Errors of `accept` itself (such as too many
/// open files) are logged and retried after a pause instead of spinning.
pub fn incoming(
    listener: TcpListener,
    tls: Option<Arc<ServerTls>>,
    port: &'static str,
) -> Incoming {
    let (connections, stream) = mpsc::channel(64);
    tokio::spawn(accept_loop(listener, tls, port, connections));
    tokio_stream::wrappers::ReceiverStream::new(stream)
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<ServerTls>>,
    port: &'static str,
    connections: mpsc::Sender<io::Result<ServerIo>>,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    let mut pause = Duration::from_millis(5);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = connections.closed() => return,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => {
                pause = Duration::from_millis(5);
                accepted
            }
            Err(error) => {
                // EMFILE / ENFILE / ECONNABORTED: the listener stays usable; wait a little
                // (doubling up to 1 s) so a full descriptor table does not burn a core.
                tracing::warn!(%error, port, "accepting a connection failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(pause) => {},
                    () = connections.closed() => return,
                }
                pause = (pause * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let info = ConnectionInfo {
            remote: Some(remote),
            peer_name: None,
        };
        let Some(tls) = &tls else {
            let plain = ServerIo {
                io: Either::Left(stream),
                info,
            };
            if connections.send(Ok(plain)).await.is_err() {
                return;
            }
            continue;
        };
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let (tls, connections) = (tls.clone(), connections.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match handshake(stream, info, &tls).await {
                Ok(io) => {
                    let _ = connections.send(Ok(io)).await;
                }
                Err(why) => {
                    metrics::counter!("shoal_tls_handshake_failures_total", "port" => port)
                        .increment(1);
                    tracing::warn!(port, %remote, %why, "refused a TLS connection");
                }
            }
        });
    }
}

async fn handshake(
    stream: TcpStream,
    mut info: ConnectionInfo,
    tls: &ServerTls,
) -> Result<ServerIo, String> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config());
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
        .await
        .map_err(|_| format!("no TLS handshake within {HANDSHAKE_TIMEOUT:?}"))?
        .map_err(|error| format!("TLS handshake failed: {error}"))?;
    let (_, session) = stream.get_ref();
    info.peer_name = session
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|cert| common_name(cert));
    if tls.requirement() == PeerRequirement::Node
        && info.peer_name.as_deref() != Some(crate::NODE_COMMON_NAME)
    {
        return Err(format!(
            "the client certificate (common name {:?}) is not a node certificate (common name \
             \"{}\"); only nodes may use this port",
            info.peer_name.as_deref().unwrap_or("none"),
            crate::NODE_COMMON_NAME
        ));
    }
    Ok(ServerIo {
        io: Either::Right(Box::new(stream)),
        info,
    })
}

/// The subject's common name of a DER certificate.
pub(crate) fn common_name(cert: &[u8]) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).ok()?;
    let name = parsed.subject().iter_common_name().next()?;
    name.as_str().ok().map(str::to_owned)
}
