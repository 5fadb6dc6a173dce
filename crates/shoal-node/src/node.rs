//! The composition root: a node is started as a short list of named phases — open the data
//! dir, bind the listeners, serve admin and the internal port, start gossip and the meta
//! group, come to belong to a cluster, start the replicas this node hosts, start the
//! control plane and the client API — and shut down in a documented order under
//! `cluster.shutdown.timeout`. Every decision is made by the crates it composes
//! (`shoal-control` decides who hosts and leads what); this file only wires them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use shoal_consensus::{RaftGroup, RaftSettings, Storage, StorageOptions, Transport};
use shoal_control::engine::hosting::wanted_replicas;
use shoal_control::local::{
    GossipMembership, LocalReplicaHost, LocalShards, MetaGroup, ReplicaFactory, RoutedShards,
    SoloGossip, hand_off_leaderships,
};
use shoal_control::startup::{self, BootstrapSettings};
use shoal_control::{
    ControlContext, ControlHandle, ControlSettings, Gossip, NodeIdentity, Ports, ViewSource,
};
use shoal_gateway::{Backend, BackendCell, GatewaySettings, GrpcShards, Limits, PeerCalls};
use shoal_membership::{Membership, MembershipConfig};
use shoal_replication::{Clock, Directory, LocalReplicas, Meta, MetaMachine, ShardReplica};
use shoal_shardmap::{GroupId, NodeId, ShardMap};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admin::{self, Readiness};
use crate::config::{Config, host_of};
use crate::metrics::Exporter;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// How long a start waits for groups to elect their leaders.
const LEADER_WAIT: Duration = Duration::from_secs(30);
/// How often a clustered node waiting for a shard's leader at start looks at the map again.
const LEADER_RECHECK: Duration = Duration::from_secs(2);

/// A node that is up and serving.
pub struct RunningNode {
    pub node_id: NodeId,
    pub client_address: SocketAddr,
    pub admin_address: SocketAddr,
    pub internal_address: SocketAddr,
    backend: Arc<Backend>,
    transport: Arc<Transport>,
    membership: Option<Arc<Membership>>,
    readiness: Arc<Readiness>,
    health: HealthReporter,
    cancel: CancellationToken,
    tasks: TaskTracker,
    internal_cancel: CancellationToken,
    internal_tasks: TaskTracker,
    shutdown_timeout: Duration,
    force_leave: bool,
}

impl RunningNode {
    /// What the node serves from: its meta group, replicas, peers, control plane, storage.
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }

    /// The node's transport (connections to peers, test fault rules, transfers).
    pub fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    /// This node's replicas, in shard order.
    pub fn replicas(&self) -> Vec<ShardReplica> {
        self.backend.replicas.all()
    }

    /// The control plane of this node.
    pub fn control(&self) -> &ControlHandle {
        &self.backend.control
    }

    /// The node's gossip layer (cluster mode only).
    pub fn membership(&self) -> Option<&Arc<Membership>> {
        self.membership.as_ref()
    }

    /// Graceful shutdown, within `cluster.shutdown.timeout`, in this order: gossip not
    /// ready and leaving (peers stop routing here) → hand every leadership off and wait for
    /// the new leaders (unless `force_leave`) → stop accepting, finish requests in flight,
    /// stop the control plane and the expiry collector → stop every Raft group, then the
    /// internal port, then gossip → flush storage.
    pub async fn shutdown(self) -> Result<()> {
        let RunningNode {
            backend,
            transport,
            membership,
            readiness,
            health,
            cancel,
            tasks,
            internal_cancel,
            internal_tasks,
            shutdown_timeout,
            force_leave,
            ..
        } = self;
        let work = async move {
            readiness.set_ready(false);
            set_health(&health, ServingStatus::NotServing).await;
            if let Some(membership) = &membership {
                if let Ok(info) = backend.control.node_info(false).await {
                    membership.leave(&info).await;
                }
                // Hand every leadership off first, so clients see a leader change of a few
                // milliseconds instead of an election timeout.
                if !force_leave && let Ok(view) = backend.control.views().view() {
                    let within = (shutdown_timeout / 4).min(Duration::from_secs(5));
                    let started = std::time::Instant::now();
                    let (handed_off, led) =
                        hand_off_leaderships(&all_groups(&backend), &view, within).await;
                    if led > 0 {
                        tracing::info!(
                            handed_off,
                            led,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "leaderships handed off before shutdown"
                        );
                    }
                }
            }
            // On a full disk, writes waiting for space would hold every step below up:
            // they fail now (none was acknowledged; see `storage::space`).
            if backend.storage.disk_space().waiting() {
                backend.storage.give_up_waiting_for_space();
            }
            // 1. Stop accepting; the gateway finishes requests in flight; the control plane
            //    and the collector stop.
            cancel.cancel();
            tasks.close();
            tasks.wait().await;
            // 2. Stop every Raft group, then the port peers reach them through, then gossip.
            let groups = all_groups(&backend);
            for group in &groups {
                group.shutdown().await;
            }
            transport.close();
            internal_cancel.cancel();
            internal_tasks.close();
            internal_tasks.wait().await;
            if let Some(membership) = membership
                && let Ok(membership) = Arc::try_unwrap(membership)
            {
                membership.shutdown().await;
            }
            drop(groups);
            let storage = backend.storage.clone();
            // Every other handle on storage goes first: close waits for them.
            drop((backend, transport));
            // 3. Flush storage and release the files.
            storage
                .close(shutdown_timeout)
                .await
                .context("closing storage")
        };
        match tokio::time::timeout(shutdown_timeout, work).await {
            Ok(result) => result,
            Err(_) => bail!(
                "shutdown did not finish within cluster.shutdown.timeout ({shutdown_timeout:?})"
            ),
        }
    }

    /// Resolves when the node was asked to stop.
    pub async fn stopped(&self) {
        self.cancel.cancelled().await;
    }
}

/// The meta group and every shard group hosted here now.
pub(crate) fn all_groups(backend: &Backend) -> Vec<RaftGroup> {
    std::iter::once(backend.meta.group().clone())
        .chain(backend.replicas.all().iter().map(|s| s.group().clone()))
        .collect()
}

/// Starts a node and returns once it serves requests. In cluster mode this waits for the
/// cluster to exist (bootstrap) or to admit this node (join); `readiness` says why meanwhile.
pub async fn start(config: Config) -> Result<RunningNode> {
    start_with(config, Arc::new(Readiness::default())).await
}

/// [`start`] with a readiness handle the caller can watch while the node starts.
pub async fn start_with(config: Config, readiness: Arc<Readiness>) -> Result<RunningNode> {
    crate::metrics::install();
    let tls = NodeTls::load(&config)?;
    let (node_id, storage) = open_data_dir(&config)?;
    readiness.watch_disk(storage.disk_space().clone());
    let listeners = Listeners::bind(&config).await?;
    let identity = identity(&config, node_id, &listeners);
    let clock = clock(&config);
    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    let transport = start_transport(&config, node_id, &storage, &listeners, &tls)?;
    transport
        .clocks()
        .set_wall_clock(Arc::new(move || clock.now_ms()));
    tls.watch(&cancel);
    let exporter = serve_admin(
        &config,
        shoal_tls::incoming(
            listeners.admin,
            tls.admin.clone(),
            "admin",
            config.server.accept_limits(),
        ),
        &readiness,
        &transport,
        &cancel,
        &tasks,
    );
    let gateway = gateway_settings(&config);
    let cell: BackendCell = Arc::new(OnceLock::new());
    let internal_cancel = CancellationToken::new();
    let internal_tasks = TaskTracker::new();
    serve_internal_port(
        shoal_tls::incoming(
            listeners.internal,
            tls.internal.clone(),
            "internal",
            config.server.accept_limits(),
        ),
        &transport,
        &cell,
        &gateway,
        &internal_cancel,
        &internal_tasks,
    );
    // The client port serves from here on: gRPC health says NOT_SERVING (and the APIs
    // UNAVAILABLE, "the node is still starting") until the node is ready.
    let health = serve_clients(
        shoal_tls::incoming(
            listeners.client,
            tls.client.clone(),
            "client",
            config.server.accept_limits(),
        ),
        &cell,
        node_id,
        gateway.clone(),
        &cancel,
        &tasks,
    )
    .await;
    let membership = start_gossip(&config, &identity).await?;
    let meta = start_meta_group(&transport, &storage, &config).await?;
    let shard_map = join_cluster(
        &config,
        &transport,
        &meta,
        membership.as_ref(),
        &identity,
        clock,
        &readiness,
    )
    .await?;
    let factory = ReplicaFactory {
        transport: transport.clone(),
        storage: storage.clone(),
        settings: raft_settings(&config),
        clock,
    };
    readiness.waiting_for("starting the shard groups this node holds");
    let hosted = start_hosted_replicas(
        &factory,
        &meta,
        &shard_map,
        node_id,
        membership.is_some(),
        &readiness,
    )
    .await?;
    let backend = start_control_plane(
        &config,
        ControlParts {
            identity: identity.clone(),
            meta,
            shard_map,
            hosted,
            membership: membership.clone(),
            factory,
            storage: storage.clone(),
            readiness: readiness.clone(),
        },
        &cancel,
        &tasks,
    );
    let _ = cell.set(backend.clone());
    exporter.attach(
        backend.clone(),
        membership.clone(),
        cell.clone(),
        gateway.clone(),
    );
    if let Some(membership) = &membership {
        tasks.spawn(crate::health::read_peer_clocks(
            transport.clone(),
            membership.clone(),
            cancel.child_token(),
        ));
    }
    if config.cluster.enabled {
        tasks.spawn(shoal_gateway::check::run_periodic(
            backend.clone(),
            config.cluster.check.interval,
            cancel.child_token(),
        ));
    }
    if config.server.auth.enabled {
        tasks.spawn(crate::auth::bootstrap_admin_key(
            backend.meta.clone(),
            config.server.data_dir.clone(),
            bootstrap_admin_key(&config)?,
            cancel.clone(),
        ));
    }
    readiness.waiting_for("");
    readiness.set_ready(true);
    set_health(&health, ServingStatus::Serving).await;
    tracing::info!(
        node_id = %node_id,
        client = %listeners.client_address,
        admin = %listeners.admin_address,
        internal = %identity.internal_address,
        shards = backend.replicas.all().len(),
        "node ready"
    );
    Ok(RunningNode {
        node_id,
        client_address: listeners.client_address,
        admin_address: listeners.admin_address,
        internal_address: listeners.internal_address,
        backend,
        transport,
        membership,
        readiness,
        health,
        cancel,
        tasks,
        internal_cancel,
        internal_tasks,
        shutdown_timeout: config.cluster.shutdown.timeout,
        force_leave: config.cluster.shutdown.force_leave,
    })
}

/// The bootstrap admin key given to the node: `SHOAL_BOOTSTRAP_ADMIN_KEY`, else the file
/// `server.auth.bootstrap_key_file` names (a mounted secret; `shoal certs cluster
/// --admin-key` makes one); checked at start (a missing file or a malformed key stops the
/// node, naming it).
fn bootstrap_admin_key(config: &Config) -> Result<Option<String>> {
    let (text, from) = match (
        std::env::var("SHOAL_BOOTSTRAP_ADMIN_KEY"),
        &config.server.auth.bootstrap_key_file,
    ) {
        (Ok(text), _) => (text, "SHOAL_BOOTSTRAP_ADMIN_KEY".to_owned()),
        (Err(_), Some(path)) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("reading server.auth.bootstrap_key_file {}", path.display())
            })?;
            (
                text.trim().to_owned(),
                format!("{} (server.auth.bootstrap_key_file)", path.display()),
            )
        }
        (Err(_), None) => return Ok(None),
    };
    if shoal_replication::api_key::parse(&text).is_none() {
        anyhow::bail!(
            "{from} is not a shoal API key (shoal_<hex id>_<hex secret>, as `shoal auth key \
             create` prints or `shoal certs cluster --admin-key` writes)"
        );
    }
    Ok(Some(text))
}

/// The node's TLS configurations, read from the files the config names (before anything
/// else: a bad file stops the start with a message naming it) and watched for changes.
struct NodeTls {
    /// The internal port: mTLS, node certificates of the cluster CA only.
    internal: Option<Arc<shoal_tls::ServerTls>>,
    /// Dialling peers' internal ports with the node's certificate.
    peers: Option<Arc<shoal_tls::ClientTls>>,
    /// The client API (client certificates when `server.tls.client_ca_file` is set).
    client: Option<Arc<shoal_tls::ServerTls>>,
    /// The admin port: the client API's certificate, no client certificates (probes and
    /// scrapers cannot present one).
    admin: Option<Arc<shoal_tls::ServerTls>>,
}

/// How often the certificate files are checked for changes (SIGHUP reloads at once).
const TLS_RELOAD_INTERVAL: Duration = Duration::from_secs(2);

impl NodeTls {
    fn load(config: &Config) -> Result<NodeTls> {
        let cluster = &config.cluster.tls;
        let (internal, peers) = if config.cluster.enabled && cluster.is_set() {
            let internal = shoal_tls::ServerTls::load(
                cluster.files(),
                shoal_tls::PeerRequirement::Node,
                &[b"h2"],
            )
            .context("cluster.tls")?;
            let peers = shoal_tls::ClientTls::load(cluster.files()).context("cluster.tls")?;
            (Some(internal), Some(peers))
        } else {
            (None, None)
        };
        let server = &config.server.tls;
        let (client, admin) = if server.is_set() {
            let requirement = if server.client_ca_file.is_some() {
                shoal_tls::PeerRequirement::Any
            } else {
                shoal_tls::PeerRequirement::None
            };
            let client = shoal_tls::ServerTls::load(server.files(), requirement, &[b"h2"])
                .context("server.tls")?;
            let admin = shoal_tls::ServerTls::load(
                server.files(),
                shoal_tls::PeerRequirement::None,
                &[b"http/1.1"],
            )
            .context("server.tls (admin port)")?;
            (Some(client), Some(admin))
        } else {
            (None, None)
        };
        Ok(NodeTls {
            internal,
            peers,
            client,
            admin,
        })
    }

    fn watch(&self, cancel: &CancellationToken) {
        let mut configs: Vec<(&'static str, Arc<dyn shoal_tls::Reloadable>)> = Vec::new();
        if let Some(internal) = &self.internal {
            configs.push(("cluster.tls (internal port)", internal.clone()));
        }
        if let Some(peers) = &self.peers {
            configs.push(("cluster.tls (connections to peers)", peers.clone()));
        }
        if let Some(client) = &self.client {
            configs.push(("server.tls (client API)", client.clone()));
        }
        if let Some(admin) = &self.admin {
            configs.push(("server.tls (admin port)", admin.clone()));
        }
        shoal_tls::watch(configs, TLS_RELOAD_INTERVAL, cancel.clone());
    }
}

/// Phase 1: the data dir, the node id kept in it, and storage.
fn open_data_dir(config: &Config) -> Result<(NodeId, Storage)> {
    let dir = &config.server.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    let node_id = node_id(config)?;
    let storage = Storage::open(
        dir,
        StorageOptions {
            cache_bytes: config.storage.cache_bytes,
            reserved_bytes: config.storage.reserved_bytes,
            ..StorageOptions::default()
        },
    )
    .with_context(|| format!("opening storage in {}", dir.display()))?;
    Ok((node_id, storage))
}

/// The three TCP listeners, bound before anything slow so a taken port fails at once.
struct Listeners {
    client: TcpListener,
    admin: TcpListener,
    internal: TcpListener,
    client_address: SocketAddr,
    admin_address: SocketAddr,
    internal_address: SocketAddr,
}

impl Listeners {
    async fn bind(config: &Config) -> Result<Listeners> {
        let bind = |address: SocketAddr, key: &'static str| async move {
            TcpListener::bind(address)
                .await
                .with_context(|| format!("binding {key} {address}"))
        };
        let client = bind(config.server.client_listen, "server.client_listen").await?;
        let admin = bind(config.server.admin_listen, "server.admin_listen").await?;
        let internal = bind(config.cluster.listen_address, "cluster.listen_address").await?;
        Ok(Listeners {
            client_address: client.local_addr()?,
            admin_address: admin.local_addr()?,
            internal_address: internal.local_addr()?,
            client,
            admin,
            internal,
        })
    }
}

/// Who this node is and where peers and clients reach it.
fn identity(config: &Config, node_id: NodeId, listeners: &Listeners) -> NodeIdentity {
    NodeIdentity {
        node_id,
        name: node_name(config),
        internal_address: config
            .cluster
            .advertise_address
            .clone()
            .unwrap_or_else(|| listeners.internal_address.to_string()),
        client_address: advertised(
            &config.server.client_advertise,
            config,
            listeners.client_address,
        ),
        admin_address: advertised(
            &config.server.admin_advertise,
            config,
            listeners.admin_address,
        ),
        zone: config.cluster.zone.clone(),
    }
}

fn clock(config: &Config) -> Clock {
    if config.testing.clock_offset_ms == 0 {
        return Clock::system();
    }
    tracing::warn!(
        offset_ms = config.testing.clock_offset_ms,
        "test hook: this node's clock is shifted"
    );
    Clock::with_offset(config.testing.clock_offset_ms)
}

/// The transport: connections to peers (leaving from the internal listen address when it
/// is a specific one, so a node's traffic carries its own address — firewall rules and
/// partition tests keyed on node addresses hold on shared hosts and loopback), and the
/// snapshot byte-rate cap.
fn start_transport(
    config: &Config,
    node_id: NodeId,
    storage: &Storage,
    listeners: &Listeners,
    tls: &NodeTls,
) -> Result<Arc<Transport>> {
    let transport = Transport::new(node_id, storage.clone());
    // The largest Raft entry is a whole KV.Batch, or one Put of the largest key and value.
    let limits = &config.limits;
    let largest_entry = limits
        .max_batch_bytes
        .max(limits.max_key_bytes + limits.max_value_bytes)
        + (64 << 10);
    transport
        .peers()
        .set_max_message_bytes(shoal_consensus::max_message_bytes_for(largest_entry));
    if let Some(peers) = &tls.peers {
        transport.peers().set_tls(peers.clone());
    }
    if !listeners.internal_address.ip().is_unspecified() {
        transport
            .peers()
            .set_source_address(listeners.internal_address.ip());
    }
    let max_rate = crate::config::parse_rate(&config.cluster.rebalance.max_rate)
        .map_err(|reason| anyhow::anyhow!("cluster.rebalance.max_rate: {reason}"))?;
    transport.transfers().set_max_rate(max_rate);
    Ok(transport)
}

/// Admin HTTP first: /healthz answers while the node starts, /readyz says what it waits for,
/// /metrics counts from the start (the groups' series appear once they run).
fn serve_admin(
    config: &Config,
    incoming: shoal_tls::Incoming,
    readiness: &Arc<Readiness>,
    transport: &Arc<Transport>,
    cancel: &CancellationToken,
    tasks: &TaskTracker,
) -> Arc<Exporter> {
    let exporter = Arc::new(Exporter::new(
        transport.clone(),
        config.server.data_dir.clone(),
        readiness.clone(),
    ));
    let fault_hook = config.testing.fault_endpoint.then(|| {
        tracing::warn!("test hook: /test/faults is served on the admin port");
        transport.clone()
    });
    tasks.spawn(admin::serve(
        incoming,
        readiness.clone(),
        exporter.clone(),
        fault_hook,
        cancel.clone(),
    ));
    exporter
}

fn gateway_settings(config: &Config) -> GatewaySettings {
    if config.testing.unsafe_stale_reads {
        tracing::warn!("test hook: linearizable reads are served without a quorum round (UNSAFE)");
    }
    GatewaySettings {
        limits: Limits {
            max_key_bytes: config.limits.max_key_bytes,
            max_value_bytes: config.limits.max_value_bytes,
            max_batch_operations: config.limits.max_batch_operations,
            max_batch_bytes: config.limits.max_batch_bytes,
        },
        request_timeout: config.server.request_timeout,
        max_concurrent_requests: config.server.max_concurrent_requests,
        max_concurrent_requests_per_ip: config.server.max_concurrent_requests_per_ip,
        max_streams_per_connection: config.server.max_streams_per_connection,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        unsafe_stale_reads: config.testing.unsafe_stale_reads,
        auth: config.server.auth.enabled,
    }
}

/// The internal port serves Raft traffic from the start: groups on other nodes may need
/// this node before it has finished starting (bootstrap, joining). Its KV, Cluster and
/// Control services answer UNAVAILABLE until the backend exists.
/// Streams reset by the peer before this node accepted them, tolerated on the internal port.
const INTERNAL_MAX_PENDING_RESETS: usize = 4096;

fn serve_internal_port(
    incoming: shoal_tls::Incoming,
    transport: &Arc<Transport>,
    cell: &BackendCell,
    gateway: &GatewaySettings,
    cancel: &CancellationToken,
    tasks: &TaskTracker,
) {
    // Internal connections are between shoal nodes only, so their HTTP/2 limits are set
    // deliberately: a node resuming from a pause finds many streams its peers cancelled on
    // deadline waiting in its accept queue — not an attack, so the rapid-reset guard (20 by
    // default, kept on the client port) is raised; keepalive notices a dead peer within
    // ~10 s; windows are wide enough that a snapshot chunk and a frame of appends never
    // wait for a window update on a loopback or LAN round trip.
    // Client requests peers forward to this node on their pipes.
    transport.serve_forwards(shoal_gateway::forward_handler(cell, gateway));
    let router = tonic::transport::Server::builder()
        .http2_max_pending_accept_reset_streams(Some(INTERNAL_MAX_PENDING_RESETS))
        .http2_keepalive_interval(Some(Duration::from_secs(5)))
        .http2_keepalive_timeout(Some(Duration::from_secs(5)))
        .initial_stream_window_size(Some(4 << 20))
        .initial_connection_window_size(Some(8 << 20))
        .layer(shoal_gateway::too_large_layer())
        .add_service(transport.service())
        .add_service(shoal_gateway::internal_kv(cell.clone(), gateway))
        .add_service(shoal_gateway::internal_cluster(cell.clone(), gateway))
        .add_service(shoal_gateway::internal_control(cell.clone()));
    let stop = cancel.clone();
    tasks.spawn(async move {
        if let Err(error) = router
            .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
            .await
        {
            tracing::error!(%error, "internal port failed");
        }
    });
}

/// Gossip (cluster mode only).
async fn start_gossip(config: &Config, identity: &NodeIdentity) -> Result<Option<Arc<Membership>>> {
    if !config.cluster.enabled {
        return Ok(None);
    }
    let cluster = &config.cluster;
    let advertise_text = match &cluster.gossip_advertise {
        Some(address) => address.clone(),
        None => advertised(&None, config, cluster.gossip_listen),
    };
    let advertise = resolve_gossip_address(&advertise_text).await?;
    let membership = Membership::start(
        MembershipConfig {
            node_id: identity.node_id,
            generation: generation(),
            listen: cluster.gossip_listen,
            advertise,
            seeds: cluster.discovery.seeds.clone(),
            gossip_interval: cluster.discovery.gossip_interval,
            dead_node_grace_period: Duration::from_secs(3600),
            keys: match &cluster.gossip.key_file {
                Some(path) => Some(Arc::new(
                    shoal_membership::GossipKeys::from_file(path)
                        .map_err(|why| anyhow::anyhow!("cluster.gossip.key_file: {why}"))?,
                )),
                None => None,
            },
        },
        identity.info(),
    )
    .await?;
    Ok(Some(Arc::new(membership)))
}

/// How long a node keeps trying to resolve its own gossip address at start.
const RESOLVE_FOR: Duration = Duration::from_secs(300);

/// Resolves this node's gossip address (a DNS name, in a container or a Kubernetes
/// StatefulSet, may not resolve for a while after the node starts — a pod's own name
/// appears in the headless Service's DNS only once the pod exists), retrying with backoff
/// for up to [`RESOLVE_FOR`] rather than exiting at the first failure.
async fn resolve_gossip_address(address: &str) -> Result<std::net::SocketAddr> {
    use backon::{ExponentialBuilder, Retryable};
    let started = tokio::time::Instant::now();
    let lookup = || async {
        tokio::net::lookup_host(address)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .next()
            .ok_or_else(|| anyhow::anyhow!("it resolves to no address"))
    };
    lookup
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(5))
                .with_jitter()
                .without_max_times(),
        )
        .when(|_| started.elapsed() < RESOLVE_FOR)
        .notify(|error, again_in| {
            tracing::warn!(
                address,
                %error,
                "cannot resolve this node's gossip address yet; trying again in {again_in:.1?} \
                 (for up to {} s in all)",
                RESOLVE_FOR.as_secs()
            )
        })
        .await
        .with_context(|| format!("resolving the gossip address {address}"))
}

/// A gossip generation that grows across restarts: the start time in milliseconds (not
/// the shard clock: it orders this node's incarnations, not writes).
#[allow(clippy::disallowed_methods)]
fn generation() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn start_meta_group(
    transport: &Arc<Transport>,
    storage: &Storage,
    config: &Config,
) -> Result<Meta> {
    let group = RaftGroup::start(
        transport,
        GroupId::META,
        storage.clone(),
        Arc::new(MetaMachine),
        &raft_settings(config),
    )
    .await
    .with_context(|| {
        format!(
            "the meta group (the cluster's registry and shard map) could not start from the \
             data in {}: its files may be damaged. In a cluster: move the data dir aside and \
             start this node with an empty one, as a new node (a new node id), then `shoal \
             node decommission` the old id. On a single node: restore the data dir from a \
             backup",
            config.server.data_dir.display()
        )
    })?;
    Ok(Meta::new(group))
}

/// Comes to belong to a cluster: a single node creates its own; in cluster mode the node
/// restarts into its cluster, bootstraps one, or waits to be added. Returns the map.
async fn join_cluster(
    config: &Config,
    transport: &Arc<Transport>,
    meta: &Meta,
    membership: Option<&Arc<Membership>>,
    identity: &NodeIdentity,
    clock: Clock,
    readiness: &Arc<Readiness>,
) -> Result<ShardMap> {
    let map = match membership {
        None => startup::single_node(meta, identity, config.cluster.data.shards, clock).await?,
        Some(membership) => {
            let gossip = GossipMembership(membership.clone());
            let settings = BootstrapSettings {
                expect_nodes: config.cluster.bootstrap.expect_nodes as usize,
                seeds: config.cluster.discovery.seeds.clone(),
                shards: config.cluster.data.shards,
                replication_factor: config.cluster.data.replication_factor,
                meta_voters: config.cluster.raft.voters as usize,
                interval: config.cluster.discovery.gossip_interval,
            };
            let waiting = |what: &str| readiness.waiting_for(what);
            let probe = shoal_gateway::TransportProbe::new(transport.clone());
            startup::establish(meta, &gossip, &probe, identity, &settings, clock, &waiting).await?
        }
    };
    if map.shards.len() != config.cluster.data.shards as usize {
        tracing::warn!(
            configured = config.cluster.data.shards,
            actual = map.shards.len(),
            "cluster.data.shards is fixed at creation; the configured value is ignored"
        );
    }
    Ok(map)
}

/// Starts the replicas this node hosts and waits until they are usable: each one that
/// votes has a leader, and every one this node leads has applied its whole log (after a
/// crash the applied index may trail the durable log; on a single node a stale read must
/// not miss an acknowledged write once /readyz says 200). In a cluster a follower catches
/// up through its leader, and leadership may move while we look: a barrier that meets
/// another leader is fine.
async fn start_hosted_replicas(
    factory: &ReplicaFactory,
    meta: &Meta,
    map: &ShardMap,
    me: NodeId,
    clustered: bool,
    readiness: &Readiness,
) -> Result<Vec<ShardReplica>> {
    let registry: BTreeMap<NodeId, String> = meta
        .nodes()?
        .into_iter()
        .map(|record| (record.id, record.internal_address))
        .collect();
    let moves = meta.moves()?;
    let replicas = factory.start_hosted(map, &moves, me, &registry).await?;
    // A replica found damaged while it catches up (a record it applies fails its checksum)
    // is in quarantine: it does not hold the node up; the hosting round stops it. On a single
    // node, a replica that cannot come to lead (it is its group's only voter) cannot run from
    // its data either: it goes into quarantine, and the others serve.
    let damaged = |replica: &ShardReplica, error: &dyn std::fmt::Display| {
        if !clustered {
            factory.quarantine_unstartable(replica.id(), error);
        }
        factory
            .storage
            .is_quarantined(GroupId::for_shard(replica.id()))
    };
    for replica in &replicas {
        // A replica still being moved here may not have heard from its leader yet.
        if moves.iter().any(|m| m.to == me && m.shard == replica.id()) {
            continue;
        }
        if clustered {
            wait_for_leader_in_cluster(replica, meta, me, &factory.storage, readiness).await?;
        } else if let Err(error) = replica.group().wait_for_leader(LEADER_WAIT).await
            && !damaged(replica, &error)
        {
            return Err(error.into());
        }
    }
    for replica in &replicas {
        if replica.group().is_leader() {
            match replica.group().linearizable_barrier().await {
                Ok(()) => {}
                Err(shoal_consensus::ConsensusError::NotLeader { .. }) if clustered => {}
                Err(error) if damaged(replica, &error) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(replicas)
}

/// In a cluster, waits — as long as it takes, saying so in `/readyz` and the log — until
/// `replica`'s group has a leader, or until the shard map no longer places the replica
/// here. The map this node started from is its own copy, stale if the shard moved away
/// while the node was down (its old peers then never answer its replica); the meta group
/// brings the copy up to date meanwhile, and the hosting round deletes the replica once the
/// node runs. A damaged replica does not hold the node up either. Giving up instead would
/// make a node whose peers restart slowly, or lost a shard's quorum, exit and crash-loop.
async fn wait_for_leader_in_cluster(
    replica: &ShardReplica,
    meta: &Meta,
    me: NodeId,
    storage: &Storage,
    readiness: &Readiness,
) -> Result<()> {
    let shard = replica.id();
    let started = tokio::time::Instant::now();
    let mut logged = started;
    loop {
        // The group's own wait ends early only when the group stops.
        if let Ok(found) = tokio::time::timeout(
            LEADER_RECHECK,
            replica.group().wait_for_leader(Duration::MAX),
        )
        .await
        {
            // A group that stopped because its replica went into quarantine is not a
            // start-up failure: the repair takes it from here.
            if let Err(error) = found
                && !storage.is_quarantined(GroupId::for_shard(shard))
            {
                return Err(error.into());
            }
            return Ok(());
        }
        if storage.is_quarantined(GroupId::for_shard(shard)) {
            return Ok(());
        }
        if let Some(map) = meta.shard_map()?
            && !wanted_replicas(&map, &meta.moves()?, me).contains(&shard)
        {
            tracing::info!(
                %shard,
                epoch = map.epoch,
                "the shard map no longer places this shard here (it changed while the node \
                 was down); not waiting for its group"
            );
            return Ok(());
        }
        let what = format!(
            "waiting for shard {shard} to elect a leader ({} s so far; its replicas: {:?})",
            started.elapsed().as_secs(),
            replica
                .group()
                .members()
                .keys()
                .map(|id| id.0)
                .collect::<Vec<_>>()
        );
        if logged.elapsed() >= LEADER_WAIT {
            tracing::warn!("{what}");
            logged = tokio::time::Instant::now();
        }
        readiness.waiting_for(what);
    }
}

/// What the control plane is composed from.
struct ControlParts {
    identity: NodeIdentity,
    meta: Meta,
    shard_map: ShardMap,
    hosted: Vec<ShardReplica>,
    membership: Option<Arc<Membership>>,
    factory: ReplicaFactory,
    storage: Storage,
    readiness: Arc<Readiness>,
}

/// The routing view, the ports, the control actor and the backend the edge serves from;
/// also starts the expiry collector.
fn start_control_plane(
    config: &Config,
    parts: ControlParts,
    cancel: &CancellationToken,
    tasks: &TaskTracker,
) -> Arc<Backend> {
    let ControlParts {
        identity,
        meta,
        shard_map,
        hosted,
        membership,
        factory,
        storage,
        readiness,
    } = parts;
    let me = identity.node_id;
    let gossip: Arc<dyn Gossip> = match &membership {
        Some(membership) => Arc::new(GossipMembership(membership.clone())),
        None => Arc::new(SoloGossip::new(me, identity.info())),
    };
    let meta_log = Arc::new(MetaGroup::new(meta.clone()));
    let directory = Arc::new(Directory::default());
    shoal_control::source::refresh_directory(
        &directory,
        &meta.nodes().unwrap_or_default(),
        &gossip.members(),
    );
    let replicas = Arc::new(LocalReplicas::new(me, shard_map, hosted, directory.clone()));
    let views = ViewSource::new(
        me,
        factory.clock,
        meta_log.clone(),
        gossip.clone(),
        directory,
    );
    let transport = factory.transport.clone();
    let factory_transport = transport.clone();
    let peers = PeerCalls::new(transport.clone(), replicas.clone());
    let shards = LocalShards::new(replicas.clone(), transport, views.clone());
    let ports = Ports {
        shards: Arc::new(RoutedShards {
            local: shards.clone(),
            remote: Arc::new(GrpcShards::new(peers.clone(), replicas.clone())),
        }),
        meta: meta_log,
        gossip,
        host: Arc::new(LocalReplicaHost::new(replicas.clone(), factory)),
        probe: Arc::new(shoal_gateway::TransportProbe::new(factory_transport)),
    };
    let ready = readiness.clone();
    let control = shoal_control::actor::spawn(
        ControlContext {
            identity: identity.clone(),
            settings: control_settings(config),
            ports,
            views,
            ready: Arc::new(move || ready.is_ready()),
        },
        cancel.child_token(),
        tasks,
    );
    let collector = replicas.clone();
    tasks.spawn(shoal_replication::run_expiry_collector(
        move || collector.all(),
        config.server.expiry_interval,
        config.server.expiry_batch,
        cancel.clone(),
    ));
    let keys = Arc::new(shoal_gateway::KeyCache::new(meta.clone()));
    Arc::new(Backend {
        node_id: me,
        node_name: identity.name,
        keys,
        meta,
        replicas,
        peers,
        control,
        shards,
        storage,
    })
}

/// The client API, until the node stops.
/// Serves the client port (KV, Cluster, health, reflection) on `cell`'s backend once it
/// is set; returns the health reporter, every service NOT_SERVING for now.
async fn serve_clients(
    incoming: shoal_tls::Incoming,
    cell: &BackendCell,
    node_id: NodeId,
    settings: GatewaySettings,
    cancel: &CancellationToken,
    tasks: &TaskTracker,
) -> HealthReporter {
    let (health, health_service) = tonic_health::server::health_reporter();
    set_health(&health, ServingStatus::NotServing).await;
    let cell = cell.clone();
    let cancel = cancel.clone();
    tasks.spawn(async move {
        let shutdown = cancel.clone().cancelled_owned();
        if let Err(error) =
            shoal_gateway::serve(incoming, cell, node_id, settings, health_service, shutdown).await
        {
            tracing::error!(%error, "client API server failed");
            cancel.cancel();
        }
    });
    health
}

/// Sets what gRPC health says for the whole server and each client service.
async fn set_health(health: &HealthReporter, status: ServingStatus) {
    for service in shoal_gateway::HEALTH_SERVICES {
        health.set_service_status(service, status).await;
    }
}

fn control_settings(config: &Config) -> ControlSettings {
    let cluster = &config.cluster;
    ControlSettings {
        // A single node holds the only replica of every shard.
        replication_factor: if cluster.enabled {
            cluster.data.replication_factor as usize
        } else {
            1
        },
        replace_after: cluster.failure.replace_after,
        auto_rebalance: cluster.rebalance.auto,
        balance_leaders: cluster.rebalance.balance_leaders,
        meta_voters: cluster.raft.voters as usize,
        gossip_interval: cluster.discovery.gossip_interval,
    }
}

/// Reads the node id from the data dir, or creates and persists one.
fn node_id(config: &Config) -> Result<NodeId> {
    let path = config.server.data_dir.join("node_id");
    let stored = match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.trim()
                .parse::<u64>()
                .with_context(|| format!("{} does not hold a node id", path.display()))?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    match (config.cluster.node_id, stored) {
        (Some(configured), Some(stored)) if configured != stored => bail!(
            "cluster.node_id = {configured} but the data dir {} belongs to node {stored}",
            config.server.data_dir.display()
        ),
        (_, Some(stored)) => Ok(NodeId(stored)),
        (configured, None) => {
            let id = configured.unwrap_or_else(|| rand::random_range(1..=u64::from(u32::MAX)));
            write_durably(&path, id.to_string().as_bytes())?;
            Ok(NodeId(id))
        }
    }
}

fn write_durably(path: &Path, contents: &[u8]) -> Result<()> {
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, contents).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::File::open(&temp)?.sync_all()?;
    std::fs::rename(&temp, path)?;
    // The rename is durable only once the directory is.
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn node_name(config: &Config) -> String {
    config.cluster.node_name.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "shoal".into())
    })
}

fn raft_settings(config: &Config) -> RaftSettings {
    let raft = &config.cluster.raft;
    RaftSettings {
        heartbeat_interval: raft.heartbeat_interval,
        election_timeout_min: raft.election_timeout_min,
        election_timeout_max: raft.election_timeout_max,
        snapshot_threshold: raft.snapshot_threshold,
        trailing_logs: raft.trailing_logs,
    }
}

/// The address peers and clients use for a listener: the configured advertise address, or
/// in a cluster the host of `cluster.advertise_address` with the listener's port, or the
/// bound address itself.
fn advertised(configured: &Option<String>, config: &Config, bound: SocketAddr) -> String {
    if let Some(address) = configured {
        return address.clone();
    }
    match config
        .cluster
        .advertise_address
        .as_deref()
        .filter(|_| config.cluster.enabled)
        .and_then(host_of)
    {
        Some(host) => format!("{host}:{}", bound.port()),
        None => bound.to_string(),
    }
}
