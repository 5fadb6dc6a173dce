//! The client side: a connector for tonic channels (`Endpoint::connect_with_connector*`)
//! that dials TCP (from a chosen local address, no Nagle) and, with TLS, does the handshake
//! with the configuration current at that moment, verifying that the server's certificate
//! names the host that was dialled (an IP address or a DNS name).
//!
//! TLS is decided by the connector, never by the URI's scheme: tonic would otherwise dial
//! `http://` URIs in plaintext without a word.

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::net::{TcpSocket, TcpStream};
use tokio_util::either::Either;

use crate::files::ClientTls;

/// Dials the URI's host and port, plainly or over TLS.
#[derive(Debug, Clone, Default)]
pub struct Connector {
    tls: Option<Arc<ClientTls>>,
    local: Option<IpAddr>,
}

impl Connector {
    /// `tls = None`: plaintext.
    pub fn new(tls: Option<Arc<ClientTls>>) -> Connector {
        Connector { tls, local: None }
    }

    /// Connections leave from `local` (a local address of this host).
    pub fn with_local_address(mut self, local: Option<IpAddr>) -> Connector {
        self.local = local;
        self
    }
}

/// A connection made by [`Connector`]: plain TCP or TLS over it.
pub type ClientIo = Either<TcpStream, Box<tokio_rustls::client::TlsStream<TcpStream>>>;

impl tower::Service<http::Uri> for Connector {
    type Response = TokioIo<ClientIo>;
    type Error = io::Error;
    type Future = BoxFuture<'static, io::Result<TokioIo<ClientIo>>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(uri).await.map(TokioIo::new) })
    }
}

impl Connector {
    /// Dials the URI's host and port (plainly or over TLS, as this connector says).
    pub async fn connect(self, uri: http::Uri) -> io::Result<ClientIo> {
        let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
        let host = uri
            .host()
            .ok_or_else(|| invalid(format!("{uri} names no host")))?;
        // IPv6 literals come bracketed in URIs.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri
            .port_u16()
            .ok_or_else(|| invalid(format!("{uri} names no port")))?;
        let mut last_error = None;
        let mut stream = None;
        for address in tokio::net::lookup_host((host.as_str(), port)).await? {
            let socket = if address.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            if let Some(local) = self.local
                && local.is_ipv4() == address.is_ipv4()
            {
                socket.bind((local, 0).into())?;
            }
            match socket.connect(address).await {
                Ok(connected) => {
                    stream = Some(connected);
                    break;
                }
                Err(error) => last_error = Some(error),
            }
        }
        let stream = stream.ok_or_else(|| {
            last_error.unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
            })
        })?;
        stream.set_nodelay(true)?;
        let Some(tls) = &self.tls else {
            return Ok(Either::Left(stream));
        };
        let name = ServerName::try_from(host.clone()).map_err(|e| {
            invalid(format!(
                "{host} cannot be checked against a certificate: {e}"
            ))
        })?;
        let connector = tokio_rustls::TlsConnector::from(tls.config());
        let stream = connector.connect(name, stream).await.map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("TLS handshake with {host}:{port} failed: {error}"),
            )
        })?;
        Ok(Either::Right(Box::new(stream)))
    }
}
