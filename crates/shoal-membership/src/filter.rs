//! A UDP transport for chitchat that can drop gossip to and from chosen addresses, so tests
//! can cut a node off from the others the way a network partition would.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chitchat::ChitchatEnvelope;
use chitchat::transport::{RecvOutcome, SendOutcome, Socket, Transport, UdpSocket};

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

pub(crate) struct FilteredTransport {
    filter: Arc<GossipFilter>,
}

impl FilteredTransport {
    pub(crate) fn new(filter: Arc<GossipFilter>) -> FilteredTransport {
        FilteredTransport { filter }
    }
}

#[async_trait::async_trait]
impl Transport for FilteredTransport {
    async fn open(&self, listen_addr: SocketAddr) -> anyhow::Result<Box<dyn Socket>> {
        Ok(Box::new(FilteredSocket {
            socket: UdpSocket::open(listen_addr).await?,
            filter: self.filter.clone(),
        }))
    }
}

struct FilteredSocket {
    socket: UdpSocket,
    filter: Arc<GossipFilter>,
}

#[async_trait::async_trait]
impl Socket for FilteredSocket {
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
