//! The server side: a TCP listener turned into a stream of connections for tonic (or
//! hyper) — plain, or TLS with the handshakes done here, concurrently and each within the
//! handshake timeout, so one slow or silent client never holds up the others.
//!
//! Every listener keeps to its [`AcceptLimits`]: connections beyond the total or the
//! per-address limit are closed as soon as they are accepted, and a connection that does
//! not finish its handshake and send its first bytes in time is closed (slowloris), each
//! counted in `shoal_connections_refused_total{port,reason}`; `shoal_connections_open{port}`
//! shows the connections held.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::either::Either;

use crate::files::{PeerRequirement, ServerTls};

/// The default of [`AcceptLimits::first_bytes_timeout`].
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait to start theirs.
const MAX_HANDSHAKES: usize = 256;

/// What one listener lets its clients hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptLimits {
    /// Connections open at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Connections open at once from one IP address.
    pub max_connections_per_ip: usize,
    /// A new connection must finish its TLS handshake and send its first bytes (the HTTP/2
    /// preface, an HTTP request line) within this, or it is closed.
    pub first_bytes_timeout: Duration,
}

impl Default for AcceptLimits {
    fn default() -> Self {
        AcceptLimits {
            max_connections: 10_000,
            max_connections_per_ip: 1_000,
            first_bytes_timeout: HANDSHAKE_TIMEOUT,
        }
    }
}

/// The connections one listener holds, in total and per remote address.
#[derive(Debug)]
struct Held {
    port: &'static str,
    limits: AcceptLimits,
    total: AtomicUsize,
    per_ip: crate::PerIp,
    /// When a refusal was last logged (ms since `started`): at most one line per second.
    last_warned: AtomicU64,
    started: Instant,
}

impl Held {
    /// A slot for a connection from `ip`, or why there is none.
    fn take(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, &'static str> {
        if self.total.fetch_add(1, Ordering::SeqCst) >= self.limits.max_connections {
            self.total.fetch_sub(1, Ordering::SeqCst);
            return Err("max_connections");
        }
        if !self.per_ip.take(ip, self.limits.max_connections_per_ip) {
            self.total.fetch_sub(1, Ordering::SeqCst);
            return Err("max_connections_per_ip");
        }
        metrics::gauge!("shoal_connections_open", "port" => self.port).increment(1.0);
        Ok(Slot {
            held: self.clone(),
            ip,
        })
    }

    fn refused(&self, remote: SocketAddr, reason: &'static str) {
        metrics::counter!("shoal_connections_refused_total", "port" => self.port, "reason" => reason)
            .increment(1);
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_warned.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 1000
            && self
                .last_warned
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                port = self.port,
                %remote,
                reason,
                max_connections = self.limits.max_connections,
                max_connections_per_ip = self.limits.max_connections_per_ip,
                "closed a connection over the limit (logged at most once a second; \
                 shoal_connections_refused_total counts them all)"
            );
        }
    }
}

/// One connection's place in its listener's count, given back when it closes.
#[derive(Debug)]
struct Slot {
    held: Arc<Held>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.held.per_ip.give_back(self.ip);
        self.held.total.fetch_sub(1, Ordering::SeqCst);
        metrics::gauge!("shoal_connections_open", "port" => self.held.port).decrement(1.0);
    }
}

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
    /// Until the first bytes arrive: when the connection is given up as silent.
    silent_until: Option<Pin<Box<tokio::time::Sleep>>>,
    slot: Slot,
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
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.silent_until = None;
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                let silent = this
                    .silent_until
                    .as_mut()
                    .is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready());
                if !silent {
                    return Poll::Pending;
                }
                metrics::counter!(
                    "shoal_connections_refused_total",
                    "port" => this.slot.held.port,
                    "reason" => "silent"
                )
                .increment(1);
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client sent nothing in time; connection closed",
                )))
            }
            other => other,
        }
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
    limits: AcceptLimits,
) -> Incoming {
    let (connections, stream) = mpsc::channel(64);
    let held = Arc::new(Held {
        port,
        limits,
        total: AtomicUsize::new(0),
        per_ip: crate::PerIp::default(),
        last_warned: AtomicU64::new(0),
        started: Instant::now(),
    });
    tokio::spawn(accept_loop(listener, tls, held, connections));
    tokio_stream::wrappers::ReceiverStream::new(stream)
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<ServerTls>>,
    held: Arc<Held>,
    connections: mpsc::Sender<io::Result<ServerIo>>,
) {
    let port = held.port;
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
        let slot = match held.take(remote.ip()) {
            Ok(slot) => slot,
            Err(reason) => {
                drop(stream);
                held.refused(remote, reason);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let info = ConnectionInfo {
            remote: Some(remote),
            peer_name: None,
        };
        let timeout = held.limits.first_bytes_timeout;
        let Some(tls) = &tls else {
            let plain = ServerIo {
                io: Either::Left(stream),
                info,
                silent_until: Some(Box::pin(tokio::time::sleep(timeout))),
                slot,
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
            let started = std::time::Instant::now();
            match handshake(stream, info, &tls, slot, timeout).await {
                Ok(io) => {
                    metrics::histogram!("shoal_tls_handshake_duration_seconds", "port" => port)
                        .record(started.elapsed());
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
    slot: Slot,
    timeout: Duration,
) -> Result<ServerIo, String> {
    let started = tokio::time::Instant::now();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config());
    let stream = tokio::time::timeout(timeout, acceptor.accept(stream))
        .await
        .map_err(|_| format!("no TLS handshake within {timeout:?}"))?
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
        // The handshake and the first bytes after it share one deadline.
        silent_until: Some(Box::pin(tokio::time::sleep_until(started + timeout))),
        slot,
    })
}

/// The subject's common name of a DER certificate.
pub(crate) fn common_name(cert: &[u8]) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).ok()?;
    let name = parsed.subject().iter_common_name().next()?;
    name.as_str().ok().map(str::to_owned)
}
