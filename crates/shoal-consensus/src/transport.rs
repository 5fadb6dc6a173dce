//! The multi-Raft transport: every group of a node talks to its peers over one internal gRPC
//! service (`shoal.internal.v1.Raft`), with one cached HTTP/2 connection per peer node shared
//! by all groups, and the group id in every message.
//!
//! - [`Transport`] is the node's side of it: the connection pool (sending) and the registry
//!   of local groups (receiving, through [`Transport::service`]).
//! - openraft messages travel as opaque payloads (format byte + postcard); a failure of any
//!   kind on the way — no connection, unknown group, another node at that address — is
//!   reported to openraft as `Unreachable`, so it backs off instead of spinning.
//! - [`Faults`] lets tests drop or delay messages to chosen peers (partitions, isolation);
//!   every [`PeerChannel`] applies them, so Raft traffic and every other peer call are cut
//!   alike. Empty in production, where checking costs one atomic load.

use shoal_shardmap::GroupId;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::{Stream, StreamExt};
use openraft::async_runtime::WatchReceiver;
use openraft::errors::{RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, TransferLeaderRequest,
    TransferLeaderResponse, VoteRequest, VoteResponse,
};
use openraft::{AnyError, BasicNode, OptionalSend, RaftNetworkFactory, RaftNetworkV2};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shoal_proto::internal as pb;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;
use xxhash_rust::xxh3::xxh3_64;

use crate::clocks::{ClockReading, PeerClocks};
use crate::pipe::{Connector, Dispatch, PipeClient, PipeError, Wire};
use crate::storage::{MachineStore, SnapshotFile, Storage, decode, encode};
use crate::transfer::Transfers;
use crate::types::{NodeId, SnapshotMeta, TypeConfig, Vote};

type Raft = openraft::Raft<TypeConfig, MachineStore>;

/// Bytes of snapshot data per streamed chunk.
const SNAPSHOT_CHUNK: usize = 1 << 20;
/// The largest message a node accepts from a peer (and sends) unless the node sets its own
/// with [`Peers::set_max_message_bytes`]: room for a frame of appends carrying one largest
/// entry (a 16 MiB batch) next to others.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 40 << 20;
/// An append request above this many encoded bytes is cut to a prefix of its entries that
/// fits (at least one entry): openraft sends the rest in the next one.
const APPEND_BUDGET_BYTES: usize = 4 << 20;

/// The largest message peers exchange for entries of at most `largest_entry` bytes: a frame
/// ([`crate::pipe`], 4 MiB plus one item) whose item is an append of one such entry, with
/// room to spare.
pub fn max_message_bytes_for(largest_entry: usize) -> usize {
    2 * largest_entry + (8 << 20)
}
/// Longest a connection attempt to a peer may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// What a test asks the transport to do with messages to one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Messages are lost (the peer looks unreachable).
    Drop,
    /// Messages arrive after this extra delay.
    Delay(Duration),
}

/// Fault injection on outgoing messages, per target node. Shared by everything on a node
/// that talks to peers (Raft traffic and request forwarding).
#[derive(Debug, Default)]
pub struct Faults {
    any: AtomicBool,
    rules: RwLock<HashMap<NodeId, Fault>>,
    /// One-shot: the next snapshot sent to this node breaks off after this many bytes.
    break_snapshot: Mutex<Option<(NodeId, u64)>>,
}

impl Faults {
    /// Applies `fault` to every message this node sends to `target`.
    pub fn set(&self, target: NodeId, fault: Fault) {
        let mut rules = self.rules.write().expect("fault rules poisoned");
        rules.insert(target, fault);
        self.any.store(true, Ordering::Release);
    }

    /// Removes the rule for `target`.
    pub fn clear(&self, target: NodeId) {
        let mut rules = self.rules.write().expect("fault rules poisoned");
        rules.remove(&target);
        self.any.store(!rules.is_empty(), Ordering::Release);
    }

    /// Makes the next snapshot this node sends to `target` break off (connection dropped)
    /// after `bytes` bytes, once: for tests of resumed transfers.
    pub fn break_next_snapshot_to(&self, target: NodeId, bytes: u64) {
        *self.break_snapshot.lock().expect("fault rules poisoned") = Some((target, bytes));
    }

    fn take_snapshot_break(&self, target: NodeId) -> Option<u64> {
        let mut rule = self.break_snapshot.lock().expect("fault rules poisoned");
        match *rule {
            Some((to, bytes)) if to == target => {
                *rule = None;
                Some(bytes)
            }
            _ => None,
        }
    }

    /// Removes every rule.
    pub fn heal(&self) {
        self.rules.write().expect("fault rules poisoned").clear();
        self.any.store(false, Ordering::Release);
    }

    /// The rule for `target`, if any.
    pub fn get(&self, target: NodeId) -> Option<Fault> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        self.rules
            .read()
            .expect("fault rules poisoned")
            .get(&target)
            .copied()
    }
}

/// Cached connections to peer nodes, by node id. A changed address replaces the connection.
///
/// Every call to another node — Raft messages, snapshots, forwarded requests, control and
/// status calls — goes through a [`PeerChannel`] from here, which applies the test fault
/// rules ([`Faults`]) on each request: no call site can escape fault injection.
#[derive(Debug, Default)]
pub struct Peers {
    channels: Mutex<HashMap<NodeId, (String, Channel)>>,
    /// The multiplexed Raft stream to each peer, on a connection of its own.
    pipes: Mutex<HashMap<NodeId, (String, PipeClient)>>,
    /// The local address outgoing connections bind to; the OS picks when `None`.
    source: RwLock<Option<std::net::IpAddr>>,
    /// mTLS to peers (their internal ports); plaintext when `None` (`--insecure`).
    tls: RwLock<Option<Arc<shoal_tls::ClientTls>>>,
    /// The largest message sent to or accepted from a peer; [`DEFAULT_MAX_MESSAGE_BYTES`]
    /// when 0.
    max_message: std::sync::atomic::AtomicUsize,
    faults: Arc<Faults>,
}

impl Peers {
    /// Makes new connections leave from `address` (a local address of this host).
    pub fn set_source_address(&self, address: std::net::IpAddr) {
        *self.source.write().expect("peer source poisoned") = Some(address);
    }

    /// The largest message sent to or accepted from a peer (set before the internal port
    /// serves and before the first connection).
    pub fn set_max_message_bytes(&self, bytes: usize) {
        self.max_message
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn max_message_bytes(&self) -> usize {
        match self.max_message.load(std::sync::atomic::Ordering::Relaxed) {
            0 => DEFAULT_MAX_MESSAGE_BYTES,
            bytes => bytes,
        }
    }

    /// Dials peers over mTLS with `tls` (set before the first connection).
    pub fn set_tls(&self, tls: Arc<shoal_tls::ClientTls>) {
        *self.tls.write().expect("peer tls poisoned") = Some(tls);
    }

    /// Dials peers: TCP from the source address, then TLS when configured.
    fn connector(&self) -> shoal_tls::Connector {
        shoal_tls::Connector::new(self.tls.read().expect("peer tls poisoned").clone())
            .with_local_address(*self.source.read().expect("peer source poisoned"))
    }

    /// The fault rules applied to every call to a peer (empty in production).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The pipe from `me` to `node` at `address`, carrying the Raft messages of every group
    /// (started on first use; a changed address replaces it).
    pub(crate) fn pipe(&self, me: NodeId, node: NodeId, address: &str) -> io::Result<PipeClient> {
        let mut pipes = self.pipes.lock().expect("peer pipes poisoned");
        if let Some((known, pipe)) = pipes.get(&node)
            && known == address
        {
            return Ok(pipe.clone());
        }
        let connector = GrpcConnector {
            channel: self
                .endpoint(node, address)?
                .connect_with_connector_lazy(self.connector()),
            max_message: self.max_message_bytes(),
        };
        let pipe = PipeClient::spawn(me, node, connector);
        pipes.insert(node, (address.to_owned(), pipe.clone()));
        Ok(pipe)
    }

    /// Where to reach `node`; how (TLS or not, from which local address) is the
    /// [`Peers::connector`]'s business, so the URI's scheme is always `http`.
    fn endpoint(&self, node: NodeId, address: &str) -> io::Result<Endpoint> {
        let address = address.split_once("://").map_or(address, |(_, rest)| rest);
        let url = format!("http://{address}");
        Ok(Endpoint::from_shared(url)
            .map_err(|error| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("bad address {address} of node {node}: {error}"),
                )
            })?
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(5))
            .keep_alive_timeout(Duration::from_secs(5))
            .keep_alive_while_idle(true))
    }

    /// Which node answers at `address` (`Raft.Identify` on a connection of its own, within
    /// `deadline`). Over mTLS, an answer proves the node holds a node certificate of the
    /// cluster CA that names `address`.
    pub async fn identify(&self, address: &str, deadline: Duration) -> io::Result<NodeId> {
        let failed = |why: String| io::Error::other(format!("node at {address}: {why}"));
        let call = async {
            let channel = self
                .endpoint(NodeId(0), address)?
                .connect_with_connector(self.connector())
                .await
                .map_err(|error| {
                    failed(format!(
                        "{error} ({})",
                        std::error::Error::source(&error)
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    ))
                })?;
            let reply = pb::raft_client::RaftClient::new(channel)
                .identify(pb::IdentifyRequest {})
                .await
                .map_err(|status| failed(status.to_string()))?;
            Ok(NodeId(reply.into_inner().node_id))
        };
        tokio::time::timeout(deadline, call)
            .await
            .map_err(|_| failed(format!("no answer within {deadline:?}")))?
    }

    /// The connection to `node` at `address` (lazily connected; shared by every caller).
    pub fn channel(&self, node: NodeId, address: &str) -> io::Result<PeerChannel> {
        let mut channels = self.channels.lock().expect("peer channels poisoned");
        if let Some((known, channel)) = channels.get(&node)
            && known == address
        {
            return Ok(PeerChannel {
                node,
                channel: channel.clone(),
                faults: self.faults.clone(),
            });
        }
        let channel = self
            .endpoint(node, address)?
            .connect_with_connector_lazy(self.connector());
        channels.insert(node, (address.to_owned(), channel.clone()));
        Ok(PeerChannel {
            node,
            channel,
            faults: self.faults.clone(),
        })
    }
}

/// A connection to one peer that applies the fault rules for that peer to every request:
/// a dropped request fails as never sent (`shoal_proto::NotSent`), a delayed one waits
/// before it goes out. Use it as any tonic channel (`KvClient::new(peer_channel)`).
#[derive(Debug, Clone)]
pub struct PeerChannel {
    node: NodeId,
    channel: Channel,
    faults: Arc<Faults>,
}

impl PeerChannel {
    /// The node this channel reaches.
    pub fn node(&self) -> NodeId {
        self.node
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<http::Request<tonic::body::Body>> for PeerChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = BoxError;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, BoxError>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        tower::Service::poll_ready(&mut self.channel, cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        // The channel that was polled ready serves this call; the clone left in its place is
        // polled for the next one (tower's rule for buffered services).
        let fresh = self.channel.clone();
        let mut ready = std::mem::replace(&mut self.channel, fresh);
        match self.faults.get(self.node) {
            None => Box::pin(async move { ready.call(request).await.map_err(Into::into) }),
            Some(Fault::Drop) => {
                let node = self.node;
                Box::pin(async move {
                    Err(Box::new(shoal_proto::NotSent::new(format!(
                        "messages to node {node} are dropped (fault injection)"
                    ))) as BoxError)
                })
            }
            Some(Fault::Delay(delay)) => Box::pin(async move {
                tokio::time::sleep(delay).await;
                ready.call(request).await.map_err(Into::into)
            }),
        }
    }
}

/// Opens the pipe's stream on its own connection to the peer.
struct GrpcConnector {
    channel: Channel,
    max_message: usize,
}

impl Connector for GrpcConnector {
    fn connect(&mut self) -> futures::future::BoxFuture<'static, Result<Wire, PipeError>> {
        let mut client = pb::raft_client::RaftClient::new(self.channel.clone())
            .max_decoding_message_size(self.max_message)
            .max_encoding_message_size(self.max_message);
        Box::pin(async move {
            let (frames, outgoing) = tokio::sync::mpsc::channel::<pb::PeerFrame>(64);
            let response = client
                .pipe(tokio_stream::wrappers::ReceiverStream::new(outgoing))
                .await
                .map_err(|status| {
                    if status.code() == tonic::Code::Unimplemented {
                        PipeError::Unsupported
                    } else {
                        PipeError::NotSent(status.to_string())
                    }
                })?;
            let incoming = response
                .into_inner()
                .map(|frame| frame.map_err(|status| status.to_string()))
                .boxed();
            Ok((frames, incoming))
        })
    }
}

/// A node's side of the transport: its identity, the connections to its peers, the fault
/// rules, and the groups hosted here that peers may address.
#[derive(Debug)]
pub struct Transport {
    node_id: NodeId,
    peers: Peers,
    groups: RwLock<HashMap<GroupId, Hosted>>,
    storage: Storage,
    transfers: Transfers,
    /// One lock per group for receiving snapshots: a resumed stream waits for the broken
    /// one's bytes to be on disk.
    receiving: Mutex<HashMap<GroupId, Arc<tokio::sync::Mutex<()>>>>,
    /// Cancelled by [`Transport::close`]: ends every pipe peers opened to this node.
    closing: tokio_util::sync::CancellationToken,
    /// Serves client requests peers forward over their pipes (set by the gateway).
    forwards: std::sync::OnceLock<ForwardHandler>,
    /// Set once the heartbeat ticker runs.
    heartbeats: std::sync::OnceLock<()>,
    /// This node's wall clock and its readings of the peers' clocks.
    clocks: PeerClocks,
}

/// Serves one forwarded request: its payload in, its answer's payload out. The transport
/// carries both as opaque bytes; the gateway defines what they hold.
#[derive(Clone)]
pub struct ForwardHandler(
    pub Arc<dyn Fn(Vec<u8>) -> futures::future::BoxFuture<'static, Vec<u8>> + Send + Sync>,
);

impl std::fmt::Debug for ForwardHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForwardHandler")
    }
}

impl Transport {
    pub fn new(node_id: NodeId, storage: Storage) -> Arc<Transport> {
        Arc::new(Transport {
            node_id,
            peers: Peers::default(),
            groups: RwLock::default(),
            storage,
            transfers: Transfers::default(),
            receiving: Mutex::default(),
            closing: tokio_util::sync::CancellationToken::new(),
            forwards: std::sync::OnceLock::new(),
            heartbeats: std::sync::OnceLock::new(),
            clocks: PeerClocks::default(),
        })
    }

    /// This node's wall clock and its latest readings of the peers' clocks.
    pub fn clocks(&self) -> &PeerClocks {
        &self.clocks
    }

    /// Reads `node`'s clock against this node's (one `Identify` call on the connection to
    /// it, within `deadline`) and keeps the reading. Fails when the peer does not answer,
    /// answers as another node, or tells no clock (a release before clock readings).
    pub async fn read_clock(
        &self,
        node: NodeId,
        address: &str,
        deadline: Duration,
    ) -> io::Result<ClockReading> {
        let Some(sent_ms) = self.clocks.now_ms() else {
            return Err(io::Error::other("this node has no wall clock set"));
        };
        let started = std::time::Instant::now();
        let channel = self.peers.channel(node, address)?;
        let reply = tokio::time::timeout(
            deadline,
            pb::raft_client::RaftClient::new(channel).identify(pb::IdentifyRequest {}),
        )
        .await
        .map_err(|_| io::Error::other(format!("node {node}: no answer within {deadline:?}")))?
        .map_err(|status| io::Error::other(format!("node {node}: {status}")))?
        .into_inner();
        let round_trip = started.elapsed();
        if reply.node_id != node.0 {
            return Err(io::Error::other(format!(
                "node {node} at {address} answers as node {}",
                reply.node_id
            )));
        }
        if reply.unix_ms == 0 {
            return Err(io::Error::other(format!("node {node} tells no clock")));
        }
        let reading = ClockReading::from_round_trip(sent_ms, reply.unix_ms, round_trip, started);
        self.clocks.record(node, reading);
        Ok(reading)
    }

    /// Serves the requests peers forward to this node over their pipes with `handler`
    /// (once; later calls are ignored). Until then, forwards are refused as unsupported
    /// and the sender falls back to a call of its own.
    pub fn serve_forwards(&self, handler: ForwardHandler) {
        let _ = self.forwards.set(handler);
    }

    /// Forwards `payload` to `node` (at `address`) on the pipe to it, with the messages of
    /// every group, and returns the answer's payload. The test fault rules apply as to any
    /// message. `NotSent`: it certainly did not reach the node; `Lost`: it may have been
    /// handled; `Unsupported`: the node does not take forwards on pipes (an older release,
    /// or still starting) and did nothing with it — send it another way.
    pub async fn forward(
        &self,
        node: NodeId,
        address: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, PipeError> {
        match self.faults().get(node) {
            Some(Fault::Drop) => {
                return Err(PipeError::NotSent(format!(
                    "messages to node {node} are dropped (fault injection)"
                )));
            }
            Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
            None => {}
        }
        let pipe = self
            .peers
            .pipe(self.node_id, node, address)
            .map_err(|error| PipeError::NotSent(error.to_string()))?;
        let answer = pipe.call(0, pb::PeerKind::Forward, payload).await?;
        match decode::<Answer<Vec<u8>>>(&answer) {
            Ok(Ok(payload)) => Ok(payload),
            // Refused before anything was done with it.
            Ok(Err(_)) => Err(PipeError::Unsupported),
            Err(error) => Err(PipeError::Lost(format!(
                "undecodable answer from node {node}: {error}"
            ))),
        }
    }

    /// Ends the pipes in both directions: those peers opened to this node (their streams
    /// would otherwise keep the internal port's graceful shutdown waiting forever) and this
    /// node's own to its peers. Call once every group here has stopped.
    pub fn close(&self) {
        self.closing.cancel();
        self.peers
            .pipes
            .lock()
            .expect("peer pipes poisoned")
            .clear();
    }

    /// Snapshot transfers sent by this node: rate cap and progress.
    pub fn transfers(&self) -> &Transfers {
        &self.transfers
    }

    fn receive_lock(&self, group: GroupId) -> Arc<tokio::sync::Mutex<()>> {
        self.receiving
            .lock()
            .expect("receive locks poisoned")
            .entry(group)
            .or_default()
            .clone()
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    pub fn peers(&self) -> &Peers {
        &self.peers
    }

    pub fn faults(&self) -> &Faults {
        self.peers.faults()
    }

    pub(crate) fn register(&self, group: GroupId, raft: Raft) {
        self.groups
            .write()
            .expect("group registry poisoned")
            .insert(
                group,
                Hosted {
                    raft,
                    calls: TaskTracker::new(),
                },
            );
    }

    /// Starts the node's heartbeat ticker (once; later calls do nothing): every
    /// `interval`, every group this node leads sends its heartbeats at the same moment,
    /// so the heartbeats of all groups to one peer leave in one frame on the pipe (and
    /// their acknowledgements come back in one), instead of each group ticking at its own
    /// phase. The groups' own heartbeat timers are off (`enable_heartbeat = false`). The
    /// ticker ends with the transport, or when it is closed.
    pub(crate) fn start_heartbeats(self: &Arc<Self>, interval: Duration) {
        if self.heartbeats.set(()).is_err() {
            return;
        }
        let transport = Arc::downgrade(self);
        let closing = self.closing.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = closing.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let Some(transport) = transport.upgrade() else {
                    return;
                };
                let leading: Vec<Call> = transport
                    .groups
                    .read()
                    .expect("group registry poisoned")
                    .values()
                    .filter(|hosted| {
                        hosted.raft.metrics().borrow_watched().state
                            == openraft::ServerState::Leader
                    })
                    .map(Hosted::call)
                    .collect();
                drop(transport);
                for call in leading {
                    // Returns at once: it only queues the heartbeat in the group.
                    let _ = call.raft.trigger().heartbeat().await;
                }
            }
        });
    }

    /// Takes the group out of the registry, so no new message reaches it, and waits (up to
    /// `within`) for the calls peers and the heartbeat ticker made into it to return: the
    /// group can then stop without a caller waiting on a core that is gone (openraft logs
    /// that as an error). Whatever still runs after `within` sees the group stopped.
    pub(crate) async fn unregister(&self, group: GroupId, within: Duration) {
        let hosted = self
            .groups
            .write()
            .expect("group registry poisoned")
            .remove(&group);
        if let Some(hosted) = hosted {
            hosted.calls.close();
            if tokio::time::timeout(within, hosted.calls.wait())
                .await
                .is_err()
            {
                tracing::debug!(%group, "calls into the group still running at its shutdown");
            }
        }
    }

    /// The group, held for one call: its shutdown waits for the call to return.
    fn group(&self, group: GroupId) -> Result<Call, String> {
        self.groups
            .read()
            .expect("group registry poisoned")
            .get(&group)
            .map(Hosted::call)
            .ok_or_else(|| format!("node {} hosts no group {group}", self.node_id))
    }

    /// The network openraft uses for one group.
    pub(crate) fn network(self: &Arc<Self>, group: GroupId) -> GroupNetwork {
        GroupNetwork {
            group,
            transport: self.clone(),
        }
    }

    /// The gRPC service peers send this node's groups their messages through.
    pub fn service(self: &Arc<Self>) -> pb::raft_server::RaftServer<RaftService> {
        let max_message = self.peers.max_message_bytes();
        pb::raft_server::RaftServer::new(RaftService {
            transport: self.clone(),
        })
        .max_decoding_message_size(max_message)
        .max_encoding_message_size(max_message)
    }
}

/// A group hosted here that peers may address, and the calls into it in progress.
#[derive(Debug)]
struct Hosted {
    raft: Raft,
    calls: TaskTracker,
}

impl Hosted {
    fn call(&self) -> Call {
        Call {
            raft: self.raft.clone(),
            _held: self.calls.token(),
        }
    }
}

/// One call into a hosted group; the group's shutdown waits until it is dropped.
struct Call {
    raft: Raft,
    _held: TaskTrackerToken,
}

/// openraft's network factory for one group.
#[derive(Clone)]
pub struct GroupNetwork {
    group: GroupId,
    transport: Arc<Transport>,
}

impl RaftNetworkFactory<TypeConfig> for GroupNetwork {
    type Network = PeerLink;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> PeerLink {
        PeerLink {
            group: self.group,
            target,
            address: node.addr.clone(),
            transport: self.transport.clone(),
        }
    }
}

/// `rpc` encoded, or when that is more than `budget` bytes, `rpc` with a prefix of its
/// entries that fits (never fewer than one entry: a single large entry goes alone) and its
/// encoding. True when it was cut. Only requests over the budget pay for a second encoding.
fn within_budget(
    mut rpc: AppendEntriesRequest<TypeConfig>,
    budget: usize,
) -> Result<(AppendEntriesRequest<TypeConfig>, Vec<u8>, bool), Unreachable<TypeConfig>> {
    let encoded = encode(&rpc).map_err(|error| unreachable(error.to_string()))?;
    if rpc.entries.len() <= 1 || encoded.len() <= budget {
        return Ok((rpc, encoded, false));
    }
    let mut total = 0;
    let mut keep = 0;
    for entry in &rpc.entries {
        total += encode(entry).map_or(usize::MAX / 2, |bytes| bytes.len());
        if keep > 0 && total > budget {
            break;
        }
        keep += 1;
    }
    rpc.entries.truncate(keep);
    let encoded = encode(&rpc).map_err(|error| unreachable(error.to_string()))?;
    Ok((rpc, encoded, true))
}

/// One group's link to one peer.
pub struct PeerLink {
    group: GroupId,
    target: NodeId,
    address: String,
    transport: Arc<Transport>,
}

fn unreachable(message: impl Into<String>) -> Unreachable<TypeConfig> {
    Unreachable::new(&AnyError::error(message.into()))
}

/// What a peer answers: the openraft response, or why it could not handle the message.
type Answer<T> = Result<T, String>;

impl PeerLink {
    fn client(&self) -> Result<pb::raft_client::RaftClient<PeerChannel>, Unreachable<TypeConfig>> {
        let channel = self
            .transport
            .peers
            .channel(self.target, &self.address)
            .map_err(|error| unreachable(error.to_string()))?;
        let max_message = self.transport.peers.max_message_bytes();
        Ok(pb::raft_client::RaftClient::new(channel)
            .max_decoding_message_size(max_message)
            .max_encoding_message_size(max_message))
    }

    fn request<T: Serialize>(
        &self,
        message: &T,
    ) -> Result<pb::RaftRequest, Unreachable<TypeConfig>> {
        Ok(pb::RaftRequest {
            group_id: self.group.0,
            from_node: self.transport.node_id.0,
            to_node: self.target.0,
            payload: encode(message).map_err(|error| unreachable(error.to_string()))?,
        })
    }

    /// Sends one message over the pipe to the peer (one unary call when the peer serves no
    /// pipes) and decodes the answer, within the RPC's deadline. The test fault rules apply
    /// to this one message (the pipe is shared by every group: a cut stays one pair's).
    async fn call<Req, Resp, F, Fut>(
        &self,
        message: &Req,
        option: &RPCOption,
        kind: pb::PeerKind,
        unary: F,
    ) -> Result<Resp, Unreachable<TypeConfig>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        F: FnOnce(pb::raft_client::RaftClient<PeerChannel>, pb::RaftRequest) -> Fut,
        Fut: Future<Output = Result<Response<pb::RaftReply>, Status>>,
    {
        let payload = encode(message).map_err(|error| unreachable(error.to_string()))?;
        self.call_encoded(message, payload, option, kind, unary)
            .await
    }

    /// [`PeerLink::call`] with the message already encoded as `payload`.
    async fn call_encoded<Req, Resp, F, Fut>(
        &self,
        message: &Req,
        payload: Vec<u8>,
        option: &RPCOption,
        kind: pb::PeerKind,
        unary: F,
    ) -> Result<Resp, Unreachable<TypeConfig>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        F: FnOnce(pb::raft_client::RaftClient<PeerChannel>, pb::RaftRequest) -> Fut,
        Fut: Future<Output = Result<Response<pb::RaftReply>, Status>>,
    {
        match self.transport.faults().get(self.target) {
            Some(Fault::Drop) => {
                return Err(unreachable(format!(
                    "messages to node {} are dropped (fault injection)",
                    self.target
                )));
            }
            Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
            None => {}
        }
        let pipe = self
            .transport
            .peers
            .pipe(self.transport.node_id, self.target, &self.address)
            .map_err(|error| unreachable(error.to_string()))?;
        let answer =
            tokio::time::timeout(option.hard_ttl(), pipe.call(self.group.0, kind, payload))
                .await
                .map_err(|_| {
                    metrics::counter!(
                        "shoal_peer_calls_timed_out_total",
                        "peer" => self.target.to_string()
                    )
                    .increment(1);
                    unreachable(format!(
                        "node {} did not answer within {:?}",
                        self.target,
                        option.hard_ttl()
                    ))
                })?;
        match answer {
            Ok(payload) => {
                let answer: Answer<Resp> = decode(&payload)
                    .map_err(|error| unreachable(format!("undecodable answer: {error}")))?;
                answer.map_err(unreachable)
            }
            Err(PipeError::Unsupported) => self.call_unary(message, option, unary).await,
            Err(error) => Err(unreachable(format!(
                "node {} at {}: {error}",
                self.target, self.address
            ))),
        }
    }

    /// One unary call (peers of a release without pipes).
    async fn call_unary<Req, Resp, F, Fut>(
        &self,
        message: &Req,
        option: &RPCOption,
        send: F,
    ) -> Result<Resp, Unreachable<TypeConfig>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        F: FnOnce(pb::raft_client::RaftClient<PeerChannel>, pb::RaftRequest) -> Fut,
        Fut: Future<Output = Result<Response<pb::RaftReply>, Status>>,
    {
        let request = self.request(message)?;
        let client = self.client()?;
        let reply = tokio::time::timeout(option.hard_ttl(), send(client, request))
            .await
            .map_err(|_| {
                unreachable(format!(
                    "node {} did not answer within {:?}",
                    self.target,
                    option.hard_ttl()
                ))
            })?
            .map_err(|status| {
                unreachable(format!(
                    "node {} at {}: {status}",
                    self.target, self.address
                ))
            })?;
        let answer: Answer<Resp> = decode(&reply.into_inner().payload)
            .map_err(|error| unreachable(format!("undecodable answer: {error}")))?;
        answer.map_err(unreachable)
    }
}

impl RaftNetworkV2<TypeConfig> for PeerLink {
    type SnapshotData = SnapshotFile;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        let (rpc, payload, cut) =
            within_budget(rpc, APPEND_BUDGET_BYTES).map_err(RPCError::Unreachable)?;
        let mut proposals = Vec::new();
        for entry in &rpc.entries {
            crate::spans::add_proposal(&mut proposals, entry);
        }
        let span = crate::spans::linked_span(&proposals, || {
            tracing::debug_span!(
                "raft.replicate",
                group = %self.group,
                peer = %self.target,
                entries = rpc.entries.len()
            )
        });
        let payload = crate::spans::encode_append(&rpc, payload);
        let response: AppendEntriesResponse<TypeConfig> = self
            .call_encoded(
                &rpc,
                payload,
                &option,
                pb::PeerKind::Append,
                |mut client, request| async move { client.append_entries(request).await },
            )
            .instrument(span)
            .await
            .map_err(RPCError::Unreachable)?;
        Ok(match (response, cut) {
            // The peer holds what was sent; openraft sends the rest next.
            (AppendEntriesResponse::Success, true) => {
                AppendEntriesResponse::PartialSuccess(rpc.entries.last().map(|e| e.log_id))
            }
            (response, _) => response,
        })
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.call(
            &rpc,
            &option,
            pb::PeerKind::Vote,
            |mut client, request| async move { client.vote(request).await },
        )
        .await
        .map_err(RPCError::Unreachable)
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.call(
            &rpc,
            &option,
            pb::PeerKind::PreVote,
            |mut client, request| async move { client.pre_vote(request).await },
        )
        .await
        .map_err(RPCError::Unreachable)
    }

    async fn transfer_leader(
        &mut self,
        rpc: TransferLeaderRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<TransferLeaderResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.call(
            &rpc,
            &option,
            pb::PeerKind::TransferLeader,
            |mut client, request| async move { client.transfer_leader(request).await },
        )
        .await
        .map_err(RPCError::Unreachable)
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: openraft::alias::SnapshotOf<TypeConfig, SnapshotFile>,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let mut client = self.client()?;
        let stream_error = |e: String| StreamingError::Unreachable(unreachable(e));
        let total_bytes = snapshot
            .snapshot
            .len()
            .map_err(|error| stream_error(error.to_string()))?;
        // Resume: ask how much of this snapshot the receiver already holds. A snapshot is
        // named by its metadata (last log id and membership): the same state, the same file.
        let encoded_meta = encode(&snapshot.meta).map_err(|e| stream_error(e.to_string()))?;
        let offset = self
            .snapshot_offset(&snapshot_name(&encoded_meta))
            .await
            .filter(|offset| *offset <= total_bytes)
            .unwrap_or(0);
        let header = pb::SnapshotHeader {
            group_id: self.group.0,
            from_node: self.transport.node_id.0,
            to_node: self.target.0,
            vote: encode(&vote).map_err(|e| stream_error(e.to_string()))?,
            meta: encoded_meta,
            total_bytes,
            offset,
        };
        if offset > 0 {
            tracing::info!(
                group = %self.group,
                target = %self.target,
                offset,
                total_bytes,
                "resuming a snapshot transfer"
            );
        }
        let transfers = &self.transport.transfers;
        transfers.begin(self.group, self.target, total_bytes, offset);
        let broken = self.transport.faults().take_snapshot_break(self.target);
        let chunks = paced_chunks(
            snapshot_chunks(snapshot.snapshot, header, offset),
            self.transport.clone(),
            (self.group, self.target),
            broken,
        );
        let send = async {
            tokio::time::timeout(
                option.hard_ttl().max(Duration::from_secs(60)),
                client.install_snapshot(chunks),
            )
            .await
            .map_err(|_| {
                unreachable(format!(
                    "sending a snapshot to node {} timed out",
                    self.target
                ))
            })?
            .map_err(|status| unreachable(format!("node {}: {status}", self.target)))
        };
        let outcome = tokio::select! {
            closed = cancel => Err(StreamingError::Closed(closed)),
            reply = send => {
                match reply {
                    Err(error) => Err(StreamingError::Unreachable(error)),
                    Ok(reply) => {
                        let answer: Answer<SnapshotResponse<TypeConfig>> =
                            decode(&reply.into_inner().payload)
                                .map_err(|error| stream_error(format!("undecodable answer: {error}")))?;
                        answer.map_err(stream_error)
                    }
                }
            }
        };
        transfers.end(self.group, self.target);
        outcome
    }
}

impl PeerLink {
    /// Bytes of snapshot `snapshot_id` the target already holds (None: unknown).
    async fn snapshot_offset(&self, snapshot_id: &str) -> Option<u64> {
        let request = self.request(&snapshot_id.to_owned()).ok()?;
        let mut client = self.client().ok()?;
        let reply = tokio::time::timeout(Duration::from_secs(5), client.snapshot_offset(request))
            .await
            .ok()?
            .ok()?;
        let answer: Answer<u64> = decode(&reply.into_inner().payload).ok()?;
        answer.ok()
    }
}

/// The name a snapshot's partial file goes by, from its encoded metadata.
fn snapshot_name(encoded_meta: &[u8]) -> String {
    format!("{:016x}", xxh3_64(encoded_meta))
}

/// Holds each chunk until the node's byte-rate cap allows it and counts it in the
/// transfer's progress; (test hook) ends the stream early once `broken` bytes went out, as a
/// connection that broke would.
fn paced_chunks(
    chunks: impl Stream<Item = pb::SnapshotChunk> + Send + 'static,
    transport: Arc<Transport>,
    (group, target): (GroupId, NodeId),
    broken: Option<u64>,
) -> impl Stream<Item = pb::SnapshotChunk> + Send + 'static {
    let mut sent = 0u64;
    chunks
        .take_while(move |chunk| {
            let go_on = broken.is_none_or(|after| sent < after);
            sent += chunk.data.len() as u64;
            std::future::ready(go_on)
        })
        .then(move |chunk| {
            let transport = transport.clone();
            async move {
                transport
                    .transfers
                    .pace(group, target, chunk.data.len())
                    .await;
                chunk
            }
        })
}

/// Reads the snapshot file from `offset` off the executor and yields it as chunks, the
/// header first.
fn snapshot_chunks(
    snapshot: SnapshotFile,
    header: pb::SnapshotHeader,
    offset: u64,
) -> impl Stream<Item = pb::SnapshotChunk> + Send + 'static {
    let (sender, receiver) = tokio::sync::mpsc::channel::<pb::SnapshotChunk>(4);
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = snapshot.file;
        let mut header = Some(header);
        if file.seek(SeekFrom::Start(offset)).is_err() {
            return;
        }
        loop {
            let mut data = vec![0u8; SNAPSHOT_CHUNK];
            let read = match file.read(&mut data) {
                Ok(read) => read,
                Err(_) => return,
            };
            data.truncate(read);
            let last = read == 0;
            if last && header.is_none() {
                return;
            }
            let chunk = pb::SnapshotChunk {
                header: header.take(),
                checksum: xxh3_64(&data),
                data,
            };
            if sender.blocking_send(chunk).is_err() || last {
                return;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// The receiving side: hands each message to the addressed local group.
#[derive(Debug, Clone)]
pub struct RaftService {
    transport: Arc<Transport>,
}

impl RaftService {
    fn reply<T: Serialize>(answer: Answer<T>) -> Result<Response<pb::RaftReply>, Status> {
        let payload = encode(&answer).map_err(|error| Status::internal(error.to_string()))?;
        Ok(Response::new(pb::RaftReply { payload }))
    }

    /// The local group a request addresses, or why it cannot be served here.
    fn target(&self, group: GroupId, to_node: NodeId) -> Answer<Call> {
        if to_node != self.transport.node_id {
            return Err(format!(
                "this is node {}, not node {to_node}",
                self.transport.node_id
            ));
        }
        self.transport.group(group)
    }

    async fn handle<Req, Resp, E, F, Fut>(
        &self,
        request: Request<pb::RaftRequest>,
        handle: F,
    ) -> Result<Response<pb::RaftReply>, Status>
    where
        Req: DeserializeOwned,
        Resp: Serialize,
        E: std::fmt::Display,
        F: FnOnce(Raft, Req) -> Fut,
        Fut: Future<Output = Result<Resp, E>>,
    {
        let request = request.into_inner();
        let call = match self.target(GroupId(request.group_id), NodeId(request.to_node)) {
            Ok(call) => call,
            Err(reason) => return Self::reply::<Resp>(Err(reason)),
        };
        let message: Req = match decode(&request.payload) {
            Ok(message) => message,
            Err(error) => return Self::reply::<Resp>(Err(format!("undecodable message: {error}"))),
        };
        Self::reply(
            handle(call.raft.clone(), message)
                .await
                .map_err(|error| error.to_string()),
        )
    }
}

impl RaftService {
    /// Handles one item of a pipe: decodes the message for its kind, hands it to the group,
    /// and encodes the answer (an error answer when it cannot be handled here).
    async fn dispatch(&self, group: u64, kind: pb::PeerKind, payload: Vec<u8>) -> Vec<u8> {
        async fn answer<Req, Resp, E, F, Fut>(payload: &[u8], raft: Raft, handle: F) -> Vec<u8>
        where
            Req: DeserializeOwned,
            Resp: Serialize,
            E: std::fmt::Display,
            F: FnOnce(Raft, Req) -> Fut,
            Fut: Future<Output = Result<Resp, E>>,
        {
            let answer: Answer<Resp> = match decode::<Req>(payload) {
                Ok(message) => handle(raft, message).await.map_err(|e| e.to_string()),
                Err(error) => Err(format!("undecodable message: {error}")),
            };
            encode(&answer).unwrap_or_default()
        }
        if kind == pb::PeerKind::Forward {
            let Some(handler) = self.transport.forwards.get().cloned() else {
                return refusal("this node does not serve forwarded requests yet");
            };
            let answer: Answer<Vec<u8>> = Ok((handler.0)(payload).await);
            return encode(&answer).unwrap_or_default();
        }
        let call = match self.transport.group(GroupId(group)) {
            Ok(call) => call,
            Err(reason) => return refusal(&reason),
        };
        let raft = call.raft.clone();
        match kind {
            pb::PeerKind::Append => {
                let answer: Answer<_> = match crate::spans::decode_append(&payload) {
                    Ok(rpc) => raft.append_entries(rpc).await.map_err(|e| e.to_string()),
                    Err(error) => Err(format!("undecodable message: {error}")),
                };
                encode(&answer).unwrap_or_default()
            }
            pb::PeerKind::Vote => {
                answer(
                    &payload,
                    raft,
                    |raft, rpc: VoteRequest<TypeConfig>| async move { raft.vote(rpc).await },
                )
                .await
            }
            pb::PeerKind::PreVote => {
                answer(
                    &payload,
                    raft,
                    |raft, rpc: VoteRequest<TypeConfig>| async move { raft.pre_vote(rpc).await },
                )
                .await
            }
            pb::PeerKind::TransferLeader => {
                answer(
                    &payload,
                    raft,
                    |raft, rpc: TransferLeaderRequest<TypeConfig>| async move {
                        raft.handle_transfer_leader(rpc).await
                    },
                )
                .await
            }
            pb::PeerKind::Answer => refusal("an answer is not a request"),
            pb::PeerKind::Forward => unreachable!("handled above"),
        }
    }
}

/// An answer saying why a message could not be handled (it decodes as an error answer for
/// any message kind).
fn refusal(reason: &str) -> Vec<u8> {
    encode(&Answer::<()>::Err(reason.to_owned())).unwrap_or_default()
}

#[tonic::async_trait]
impl pb::raft_server::Raft for RaftService {
    type PipeStream = futures::stream::BoxStream<'static, Result<pb::PeerFrame, Status>>;

    async fn pipe(
        &self,
        request: Request<Streaming<pb::PeerFrame>>,
    ) -> Result<Response<Self::PipeStream>, Status> {
        let incoming = request
            .into_inner()
            .map(|frame| frame.map_err(|status| status.to_string()));
        let (answers, outgoing) = tokio::sync::mpsc::channel::<pb::PeerFrame>(64);
        let service = self.clone();
        let dispatch: Dispatch = Arc::new(move |group, kind, payload| {
            let service = service.clone();
            Box::pin(async move { service.dispatch(group, kind, payload).await })
        });
        let incoming = incoming.take_until(self.transport.closing.clone().cancelled_owned());
        crate::pipe::serve(self.transport.node_id, incoming, answers, dispatch, refusal);
        Ok(Response::new(
            tokio_stream::wrappers::ReceiverStream::new(outgoing)
                .map(Ok)
                .boxed(),
        ))
    }

    async fn append_entries(
        &self,
        request: Request<pb::RaftRequest>,
    ) -> Result<Response<pb::RaftReply>, Status> {
        self.handle(request, |raft, rpc: AppendEntriesRequest<TypeConfig>| async move {
            raft.append_entries(rpc).await
        })
        .await
    }

    async fn vote(
        &self,
        request: Request<pb::RaftRequest>,
    ) -> Result<Response<pb::RaftReply>, Status> {
        self.handle(request, |raft, rpc: VoteRequest<TypeConfig>| async move {
            raft.vote(rpc).await
        })
        .await
    }

    async fn pre_vote(
        &self,
        request: Request<pb::RaftRequest>,
    ) -> Result<Response<pb::RaftReply>, Status> {
        self.handle(request, |raft, rpc: VoteRequest<TypeConfig>| async move {
            raft.pre_vote(rpc).await
        })
        .await
    }

    async fn transfer_leader(
        &self,
        request: Request<pb::RaftRequest>,
    ) -> Result<Response<pb::RaftReply>, Status> {
        self.handle(
            request,
            |raft, rpc: TransferLeaderRequest<TypeConfig>| async move {
                raft.handle_transfer_leader(rpc).await
            },
        )
        .await
    }

    async fn install_snapshot(
        &self,
        request: Request<Streaming<pb::SnapshotChunk>>,
    ) -> Result<Response<pb::RaftReply>, Status> {
        let answer = self.receive_snapshot(request.into_inner()).await;
        Self::reply(answer)
    }

    async fn snapshot_offset(
        &self,
        request: Request<pb::RaftRequest>,
    ) -> Result<Response<pb::RaftReply>, Status> {
        let answer = self.held_snapshot_bytes(request.into_inner()).await;
        Self::reply(answer)
    }

    async fn identify(
        &self,
        _: Request<pb::IdentifyRequest>,
    ) -> Result<Response<pb::IdentifyReply>, Status> {
        Ok(Response::new(pb::IdentifyReply {
            node_id: self.transport.node_id.0,
            unix_ms: self.transport.clocks.now_ms().unwrap_or(0),
        }))
    }
}

impl RaftService {
    /// Writes the streamed snapshot to a file (checking every chunk), then installs it. A
    /// stream that breaks leaves the bytes received so far in a partial file, which a
    /// later stream of the same snapshot continues (see `SnapshotOffset`).
    async fn receive_snapshot(
        &self,
        mut chunks: Streaming<pb::SnapshotChunk>,
    ) -> Answer<SnapshotResponse<TypeConfig>> {
        let first = chunks
            .next()
            .await
            .ok_or("empty snapshot stream")?
            .map_err(|status| status.to_string())?;
        let header = first
            .header
            .clone()
            .ok_or("the first snapshot chunk has no header")?;
        // The group is looked up again to install: its shutdown does not wait for a stream.
        drop(self.target(GroupId(header.group_id), NodeId(header.to_node))?);
        let vote: Vote = decode(&header.vote).map_err(|e| e.to_string())?;
        let meta: SnapshotMeta = decode(&header.meta).map_err(|e| e.to_string())?;
        let storage = &self.transport.storage;
        let lock = self.transport.receive_lock(GroupId(header.group_id));
        let _receiving = lock.lock().await;
        let path =
            storage.partial_snapshot_path(GroupId(header.group_id), &snapshot_name(&header.meta));
        storage.remove_other_partials(GroupId(header.group_id), &path);
        let held = std::fs::metadata(&path).map_or(0, |m| m.len());
        if header.offset > held {
            let _ = std::fs::remove_file(&path);
            return Err(format!(
                "cannot resume at byte {}: {held} bytes of this snapshot are held here",
                header.offset
            ));
        }
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let writer_path = path.clone();
        let offset = header.offset;
        let writer = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            use std::io::Write;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&writer_path)?;
            // Bytes past the resume point (an unacknowledged tail) are dropped.
            file.set_len(offset)?;
            let mut file = std::io::BufWriter::new(file);
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))?;
            let mut written = offset;
            for data in receiver {
                file.write_all(&data)?;
                written += data.len() as u64;
            }
            let file = file.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok(written)
        });
        let mut chunk = Some(first);
        let mut failure = None;
        while let Some(current) = chunk.take() {
            if xxh3_64(&current.data) != current.checksum {
                failure = Some("a snapshot chunk failed its checksum".to_owned());
                break;
            }
            if !current.data.is_empty() && sender.send(current.data).is_err() {
                break;
            }
            match chunks.next().await {
                Some(Ok(next)) => chunk = Some(next),
                Some(Err(status)) => {
                    failure = Some(format!("snapshot stream broke: {status}"));
                    break;
                }
                None => {}
            }
        }
        drop(sender);
        let written = writer
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("writing {}: {e}", path.display()));
        let discard = |reason: String| {
            let _ = std::fs::remove_file(&path);
            reason
        };
        let written = written.map_err(discard)?;
        if let Some(reason) = failure {
            // A broken stream keeps what arrived intact for a resumed one; a bad chunk
            // does not.
            return Err(if reason.contains("checksum") {
                discard(reason)
            } else {
                format!(
                    "{reason} ({written} of {} bytes kept to resume)",
                    header.total_bytes
                )
            });
        }
        if written < header.total_bytes {
            // The stream ended early (the sender went away): keep the bytes to resume.
            return Err(format!(
                "snapshot stream ended at byte {written} of {} (kept to resume)",
                header.total_bytes
            ));
        }
        if written > header.total_bytes {
            return Err(discard(format!(
                "snapshot of {} bytes announced, {written} received",
                header.total_bytes
            )));
        }
        let file = SnapshotFile::open(&path).map_err(|e| discard(e.to_string()))?;
        let call = self.target(GroupId(header.group_id), NodeId(header.to_node))?;
        let result = call
            .raft
            .install_full_snapshot(
                vote,
                openraft::storage::Snapshot {
                    meta,
                    snapshot: file,
                },
            )
            .await
            .map_err(|error| error.to_string());
        // The state machine keeps its own copy of an installed snapshot.
        let _ = std::fs::remove_file(&path);
        result
    }

    /// Bytes of a snapshot held from a broken transfer.
    async fn held_snapshot_bytes(&self, request: pb::RaftRequest) -> Answer<u64> {
        self.target(GroupId(request.group_id), NodeId(request.to_node))?;
        let snapshot_id: String = decode(&request.payload).map_err(|e| e.to_string())?;
        let lock = self.transport.receive_lock(GroupId(request.group_id));
        let _receiving = lock.lock().await;
        let path = self
            .transport
            .storage
            .partial_snapshot_path(GroupId(request.group_id), &snapshot_id);
        Ok(std::fs::metadata(&path).map_or(0, |m| m.len()))
    }
}

#[cfg(test)]
mod tests {
    use openraft::entry::RaftEntry;
    use openraft::vote::RaftLeaderId;

    use super::*;
    use crate::types::{Command, Entry, LogId};

    fn entries(sizes: &[usize]) -> Vec<Entry> {
        let leader = openraft::alias::LeaderIdOf::<TypeConfig>::new(1, NodeId(1)).to_committed();
        sizes
            .iter()
            .enumerate()
            .map(|(index, size)| {
                Entry::new_normal(
                    LogId::new(leader, index as u64 + 1),
                    Command::untraced(vec![7; *size]),
                )
            })
            .collect()
    }

    fn request(sizes: &[usize]) -> AppendEntriesRequest<TypeConfig> {
        AppendEntriesRequest {
            vote: Vote::new(1, NodeId(1)),
            prev_log_id: None,
            entries: entries(sizes),
            leader_commit: None,
        }
    }

    #[test]
    fn an_append_over_the_budget_keeps_the_prefix_that_fits_and_never_less_than_one_entry() {
        // Under the budget: untouched, encoded once.
        let (rpc, payload, cut) = within_budget(request(&[100, 100, 100]), 4096).unwrap();
        assert!(!cut);
        assert_eq!(rpc.entries.len(), 3);
        assert_eq!(payload, encode(&rpc).unwrap());
        // Over: the first entries whose encoding fits, and the payload is that request's.
        let (rpc, payload, cut) = within_budget(request(&[1000, 1000, 1000, 1000]), 2500).unwrap();
        assert!(cut);
        assert_eq!(rpc.entries.len(), 2);
        assert_eq!(rpc.entries[1].log_id.index, 2);
        assert_eq!(payload, encode(&rpc).unwrap());
        // One entry larger than the budget goes alone.
        let (rpc, _, cut) = within_budget(request(&[10_000, 10]), 2500).unwrap();
        assert!(cut);
        assert_eq!(rpc.entries.len(), 1);
        let (rpc, _, cut) = within_budget(request(&[10_000]), 2500).unwrap();
        assert!(!cut);
        assert_eq!(rpc.entries.len(), 1);
    }
}
