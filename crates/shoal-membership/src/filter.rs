//! The UDP transport of chitchat: datagrams authenticated with the gossip keys (`auth.rs`),
//! and dropped to and from chosen addresses, so tests can cut a node off from the others the
//! way a network partition would.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use std::time::Duration;

use anyhow::Context as _;
use chitchat::ChitchatEnvelope;
use chitchat::transport::{RecvOutcome, SendOutcome, Socket, Transport, UdpSocket};

use crate::auth::GossipKeys;

/// Addresses whose gossip is dropped. Empty (and nearly free) unless a test sets it.
#[derive(Debug, Default)]
pub struct GossipFilter {
    any: AtomicBool,
    blocked: RwLock<HashSet<SocketAddr>>,
}

impl GossipFilter {
    /// Drops gossip to and from `address`.
    pub fn block(&self, address: SocketAddr) {
        self.blocked
            .write()
            .expect("gossip filter poisoned")
            .insert(address);
        self.any.store(true, Ordering::Release);
    }

    /// Lets gossip with `address` through again.
    pub fn unblock(&self, address: SocketAddr) {
        let mut blocked = self.blocked.write().expect("gossip filter poisoned");
        blocked.remove(&address);
        self.any.store(!blocked.is_empty(), Ordering::Release);
    }

    /// Removes every block.
    pub fn heal(&self) {
        self.blocked
            .write()
            .expect("gossip filter poisoned")
            .clear();
        self.any.store(false, Ordering::Release);
    }

    fn blocks(&self, address: &SocketAddr) -> bool {
        self.any.load(Ordering::Acquire)
            && self
                .blocked
                .read()
                .expect("gossip filter poisoned")
                .contains(address)
    }
}

/// The UDP transport shoal's gossip runs on: authenticated with the cluster's gossip keys
/// when it has them (see `auth.rs`), and filtered by the test [`GossipFilter`].
pub(crate) struct FilteredTransport {
    filter: Arc<GossipFilter>,
    keys: Option<Arc<GossipKeys>>,
}

impl FilteredTransport {
    pub(crate) fn new(
        filter: Arc<GossipFilter>,
        keys: Option<Arc<GossipKeys>>,
    ) -> FilteredTransport {
        FilteredTransport { filter, keys }
    }
}

#[async_trait::async_trait]
impl Transport for FilteredTransport {
    async fn open(&self, listen_addr: SocketAddr) -> anyhow::Result<Box<dyn Socket>> {
        Ok(match &self.keys {
            None => Box::new(PlainSocket {
                socket: UdpSocket::open(listen_addr).await?,
                filter: self.filter.clone(),
            }),
            Some(keys) => Box::new(SealedSocket {
                socket: tokio::net::UdpSocket::bind(listen_addr)
                    .await
                    .with_context(|| format!("binding {listen_addr}/UDP for gossip"))?,
                codec: Codec::open().await?,
                keys: keys.clone(),
                filter: self.filter.clone(),
                buffer: vec![0; MAX_DATAGRAM].into_boxed_slice(),
                pending_from: None,
            }),
        })
    }
}

/// Plain gossip (`--insecure` clusters): chitchat's own UDP socket, filtered.
struct PlainSocket {
    socket: UdpSocket,
    filter: Arc<GossipFilter>,
}

#[async_trait::async_trait]
impl Socket for PlainSocket {
    fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.socket.local_addr()
    }

    async fn send(
        &mut self,
        to: SocketAddr,
        envelope: ChitchatEnvelope,
    ) -> anyhow::Result<SendOutcome> {
        if self.filter.blocks(&to) {
            return Ok(SendOutcome { num_bytes_sent: 0 });
        }
        self.socket.send(to, envelope).await
    }

    async fn recv(&mut self) -> anyhow::Result<RecvOutcome> {
        loop {
            let outcome = self.socket.recv().await?;
            if !self.filter.blocks(&outcome.from_addr) {
                return Ok(outcome);
            }
        }
    }
}

/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_507;
/// A loopback hop of the codec that takes longer than this lost its datagram.
const CODEC_WAIT: Duration = Duration::from_secs(1);

/// chitchat's wire format, borrowed from chitchat itself: 0.13 keeps the envelope's
/// (de)serialization crate-private, so its own UDP socket encodes an envelope by sending it
/// to a loopback socket of ours (`capture`), and decodes bytes we hand it over loopback.
/// Two local datagrams per gossip message (a few per second), and no copy of chitchat's
/// format to keep in step with it.
struct Codec {
    chitchat: UdpSocket,
    chitchat_addr: SocketAddr,
    capture: tokio::net::UdpSocket,
    capture_addr: SocketAddr,
    buffer: Box<[u8]>,
}

impl Codec {
    async fn open() -> anyhow::Result<Codec> {
        let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        let chitchat = UdpSocket::open(loopback).await?;
        let chitchat_addr = chitchat.local_addr()?;
        let capture = tokio::net::UdpSocket::bind(loopback).await?;
        let capture_addr = capture.local_addr()?;
        Ok(Codec {
            chitchat,
            chitchat_addr,
            capture,
            capture_addr,
            buffer: vec![0; MAX_DATAGRAM].into_boxed_slice(),
        })
    }

    /// The envelope's bytes, as chitchat puts them on the wire.
    async fn encode(&mut self, envelope: ChitchatEnvelope) -> anyhow::Result<Vec<u8>> {
        // A datagram left by an encode that was given up on must not be taken for this one.
        while self.capture.try_recv_from(&mut self.buffer).is_ok() {}
        self.chitchat.send(self.capture_addr, envelope).await?;
        loop {
            let (length, from) =
                tokio::time::timeout(CODEC_WAIT, self.capture.recv_from(&mut self.buffer))
                    .await
                    .context("encoding a gossip message on loopback timed out")??;
            if from == self.chitchat_addr {
                return Ok(self.buffer[..length].to_vec());
            }
        }
    }

    /// Hands `bytes` to chitchat to decode; the envelope comes out of [`Codec::decoded`].
    async fn hand_over(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.capture.send_to(bytes, self.chitchat_addr).await?;
        Ok(())
    }

    /// The envelope of the bytes handed over (None: chitchat could not decode them).
    async fn decoded(&mut self) -> anyhow::Result<Option<ChitchatEnvelope>> {
        match tokio::time::timeout(CODEC_WAIT, self.chitchat.recv()).await {
            Ok(outcome) => Ok(Some(outcome?.envelope)),
            // chitchat drops (and logs) what it cannot decode and waits for more.
            Err(_) => Ok(None),
        }
    }
}

/// Authenticated gossip: every datagram sealed with the cluster's key, unsealed ones
/// dropped unread.
struct SealedSocket {
    socket: tokio::net::UdpSocket,
    codec: Codec,
    keys: Arc<GossipKeys>,
    filter: Arc<GossipFilter>,
    buffer: Box<[u8]>,
    /// A datagram handed to the codec whose envelope was not taken yet (the caller gave up
    /// on `recv` in between: it must stay cancellable); with its sender.
    pending_from: Option<(SocketAddr, usize)>,
}

fn dropped(reason: &'static str) {
    metrics::counter!("shoal_gossip_datagrams_dropped_total", "reason" => reason).increment(1);
}

#[async_trait::async_trait]
impl Socket for SealedSocket {
    fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.socket.local_addr()?)
    }

    async fn send(
        &mut self,
        to: SocketAddr,
        envelope: ChitchatEnvelope,
    ) -> anyhow::Result<SendOutcome> {
        if self.filter.blocks(&to) {
            return Ok(SendOutcome { num_bytes_sent: 0 });
        }
        let mut datagram = self.codec.encode(envelope).await?;
        self.keys.seal(&mut datagram);
        if datagram.len() > MAX_DATAGRAM {
            // Only a cluster of thousands of nodes gossips this much (shoal gossips a few
            // small keys per node); the next round sends another delta.
            dropped("too_large");
            tracing::warn!(bytes = datagram.len(), %to, "a gossip datagram is too large to send");
            return Ok(SendOutcome { num_bytes_sent: 0 });
        }
        let num_bytes_sent = match self.socket.send_to(&datagram, to).await {
            Ok(sent) => sent,
            // Like chitchat's own socket: a peer that is gone is not this node's failure.
            Err(error) if transient(&error) => 0,
            Err(error) => return Err(error).context("sending gossip"),
        };
        Ok(SendOutcome { num_bytes_sent })
    }

    async fn recv(&mut self) -> anyhow::Result<RecvOutcome> {
        loop {
            if let Some((from_addr, num_bytes_received)) = self.pending_from {
                let envelope = self.codec.decoded().await?;
                self.pending_from = None;
                match envelope {
                    Some(envelope) => {
                        return Ok(RecvOutcome {
                            from_addr,
                            envelope,
                            num_bytes_received,
                        });
                    }
                    None => {
                        dropped("malformed");
                        continue;
                    }
                }
            }
            let (received, from_addr) = match self.socket.recv_from(&mut self.buffer).await {
                Ok(received) => received,
                Err(error) if transient(&error) => continue,
                Err(error) => return Err(error).context("receiving gossip"),
            };
            if self.filter.blocks(&from_addr) {
                continue;
            }
            let Some(payload) = self.keys.open(&self.buffer[..received]) else {
                dropped("unauthenticated");
                tracing::debug!(
                    %from_addr,
                    bytes = received,
                    "dropped a gossip datagram not signed with the cluster's gossip key"
                );
                continue;
            };
            let payload = payload.to_vec();
            self.codec.hand_over(&payload).await?;
            self.pending_from = Some((from_addr, received));
        }
    }
}

fn transient(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::OutOfMemory
    )
}
