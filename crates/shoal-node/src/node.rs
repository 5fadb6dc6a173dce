//! Node assembly: open storage, start the transport and the meta group, come to belong to
//! a cluster (single node: create it on first start; cluster mode: restart, bootstrap or
//! join through gossip), start every hosted shard, then serve the client API, the internal
//! port and the admin endpoints. Shutdown runs in a documented order under
//! `cluster.shutdown.timeout`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use shoal_consensus::{GroupRole, RaftGroup, RaftSettings, Storage, StorageOptions, Transport};
use shoal_gateway::{DataplaneCell, GatewaySettings, Limits};
use shoal_membership::{Membership, MembershipConfig};
use shoal_replication::meta::{ClusterIdentity, MetaCommand, NodeState};
use shoal_replication::{
    Clock, Dataplane, DataplaneParts, Directory, KvMachine, Meta, MetaMachine, Shard,
};
use shoal_shardmap::{GroupId, ShardMap};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admin::{self, Readiness};
use crate::cluster::{self, Identity};
use crate::config::{Config, host_of};

/// How long a start waits for groups to elect their leaders.
const LEADER_WAIT: Duration = Duration::from_secs(30);

/// A node that is up and serving.
pub struct RunningNode {
    pub node_id: u64,
    pub client_address: SocketAddr,
    pub admin_address: SocketAddr,
    pub internal_address: SocketAddr,
    dataplane: Arc<Dataplane>,
    storage: Storage,
    membership: Option<Arc<Membership>>,
    identity: Identity,
    readiness: Arc<Readiness>,
    cancel: CancellationToken,
    tasks: TaskTracker,
    internal_cancel: CancellationToken,
    internal_tasks: TaskTracker,
    shutdown_timeout: Duration,
    force_leave: bool,
}

impl RunningNode {
    pub fn dataplane(&self) -> &Arc<Dataplane> {
        &self.dataplane
    }

    /// The node's gossip layer (cluster mode only).
    pub fn membership(&self) -> Option<&Arc<Membership>> {
        self.membership.as_ref()
    }

    /// Graceful shutdown, within `cluster.shutdown.timeout`: tell peers this node is leaving
    /// (not ready) and give them a few gossip rounds to stop routing here; stop accepting
    /// client requests and finish those in flight; stop the background tasks; stop every
    /// Raft group; stop the internal port and gossip; flush storage.
    pub async fn shutdown(self) -> Result<()> {
        let RunningNode {
            dataplane,
            storage,
            membership,
            identity,
            readiness,
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
            if let Some(membership) = &membership {
                let info = cluster::current_info(&dataplane, &identity, false);
                membership.leave(&info).await;
                // Hand every leadership off first, so clients see a leader change of a few
                // milliseconds instead of an election timeout.
                if !force_leave {
                    let within = (shutdown_timeout / 4).min(Duration::from_secs(5));
                    hand_off_leaderships(
                        &all_groups(&dataplane),
                        &dataplane,
                        identity.node_id,
                        within,
                    )
                    .await;
                }
            }
            // 1. Stop accepting; the gateway finishes requests in flight; background stops.
            cancel.cancel();
            tasks.close();
            tasks.wait().await;
            // 2. Stop every Raft group, then the port peers reach them through, then gossip.
            let groups = all_groups(&dataplane);
            for group in &groups {
                group.shutdown().await;
            }
            internal_cancel.cancel();
            internal_tasks.close();
            internal_tasks.wait().await;
            if let Some(membership) = membership
                && let Ok(membership) = Arc::try_unwrap(membership)
            {
                membership.shutdown().await;
            }
            drop(groups);
            drop(dataplane);
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
fn all_groups(dataplane: &Dataplane) -> Vec<RaftGroup> {
    std::iter::once(dataplane.meta().group().clone())
        .chain(dataplane.hosted_shards().iter().map(|s| s.group().clone()))
        .collect()
}

/// Moves the leadership of every group this node leads to its most caught-up live voter,
/// and waits (up to `within`) for the new leaders to take over. Groups without another
/// live voter keep their leader until the node stops.
async fn hand_off_leaderships(
    groups: &[RaftGroup],
    dataplane: &Dataplane,
    node_id: u64,
    within: Duration,
) {
    let started = std::time::Instant::now();
    let moves = groups.iter().filter_map(|group| {
        let status = group.status();
        if status.role != GroupRole::Leader {
            return None;
        }
        let target = status
            .voters
            .iter()
            .copied()
            .filter(|voter| *voter != node_id)
            .filter(|voter| dataplane.directory().get(*voter).is_some_and(|p| p.live))
            .max_by_key(|voter| status.matched.get(voter).copied().flatten())?;
        Some(async move {
            if group.transfer_leader(target).await.is_ok() {
                group.wait_for_leader_change(target, within).await == Some(target)
            } else {
                false
            }
        })
    });
    let outcomes = futures::future::join_all(moves).await;
    if !outcomes.is_empty() {
        tracing::info!(
            handed_off = outcomes.iter().filter(|moved| **moved).count(),
            led = outcomes.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "leaderships handed off before shutdown"
        );
    }
}

/// Reads the node id from the data dir, or creates and persists one.
fn node_id(config: &Config) -> Result<u64> {
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
        (_, Some(stored)) => Ok(stored),
        (configured, None) => {
            let id = configured.unwrap_or_else(|| rand::random_range(1..=u64::from(u32::MAX)));
            write_durably(&path, id.to_string().as_bytes())?;
            Ok(id)
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

/// Starts a node and returns once it serves requests. In cluster mode this waits for the
/// cluster to exist (bootstrap) or to admit this node (join); `readiness` says why meanwhile.
pub async fn start(config: Config) -> Result<RunningNode> {
    start_with(config, Arc::new(Readiness::default())).await
}

/// [`start`] with a readiness handle the caller can watch while the node starts.
pub async fn start_with(config: Config, readiness: Arc<Readiness>) -> Result<RunningNode> {
    std::fs::create_dir_all(&config.server.data_dir)
        .with_context(|| format!("creating data dir {}", config.server.data_dir.display()))?;
    let node_id = node_id(&config)?;
    let node_name = node_name(&config);
    let storage = Storage::open(
        &config.server.data_dir,
        StorageOptions {
            cache_bytes: config.storage.cache_bytes,
            ..StorageOptions::default()
        },
    )
    .with_context(|| format!("opening storage in {}", config.server.data_dir.display()))?;
    // Bind the listeners before anything slow, so a taken port fails the start at once.
    let client_listener = TcpListener::bind(config.server.client_listen)
        .await
        .with_context(|| {
            format!(
                "binding server.client_listen {}",
                config.server.client_listen
            )
        })?;
    let admin_listener = TcpListener::bind(config.server.admin_listen)
        .await
        .with_context(|| format!("binding server.admin_listen {}", config.server.admin_listen))?;
    let internal_listener = TcpListener::bind(config.cluster.listen_address)
        .await
        .with_context(|| {
            format!(
                "binding cluster.listen_address {}",
                config.cluster.listen_address
            )
        })?;
    let client_address = client_listener.local_addr()?;
    let admin_address = admin_listener.local_addr()?;
    let internal_bound = internal_listener.local_addr()?;
    let identity = Identity {
        node_id,
        name: node_name.clone(),
        internal_address: config
            .cluster
            .advertise_address
            .clone()
            .unwrap_or_else(|| internal_bound.to_string()),
        client_address: advertised(&config.server.client_advertise, &config, client_address),
        admin_address: advertised(&config.server.admin_advertise, &config, admin_address),
        zone: config.cluster.zone.clone(),
    };

    let settings = raft_settings(&config);
    let clock = if config.testing.clock_offset_ms == 0 {
        Clock::system()
    } else {
        tracing::warn!(
            offset_ms = config.testing.clock_offset_ms,
            "test hook: this node's clock is shifted"
        );
        Clock::with_offset(config.testing.clock_offset_ms)
    };
    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    let transport = Transport::new(node_id, storage.clone());
    // Connections to peers leave from the internal listen address when it is a specific
    // one, so a node's traffic carries its own address (firewall rules and partition tests
    // keyed on node addresses hold on shared hosts and loopback).
    if !internal_bound.ip().is_unspecified() {
        transport.peers().set_source_address(internal_bound.ip());
    }
    // Admin first: /healthz answers while the node starts, /readyz says what it waits for.
    let fault_hook = config.testing.fault_endpoint.then(|| {
        tracing::warn!("test hook: /test/faults is served on the admin port");
        transport.clone()
    });
    tasks.spawn(admin::serve(
        admin_listener,
        readiness.clone(),
        fault_hook,
        cancel.clone(),
    ));

    // The internal port serves Raft traffic from the start: groups on other nodes may need
    // this node before it has finished starting (bootstrap, joining).
    let gateway_settings = GatewaySettings {
        limits: Limits {
            max_key_bytes: config.limits.max_key_bytes,
            max_value_bytes: config.limits.max_value_bytes,
        },
        request_timeout: config.server.request_timeout,
        max_concurrent_requests: config.server.max_concurrent_requests,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        unsafe_stale_reads: config.testing.unsafe_stale_reads,
        placement: shoal_gateway::placement::PlacementSettings {
            replication_factor: config.cluster.data.replication_factor as usize,
            replace_after: config.cluster.failure.replace_after,
            auto: config.cluster.rebalance.auto,
        },
    };
    let max_rate = crate::config::parse_rate(&config.cluster.rebalance.max_rate)
        .map_err(|reason| anyhow::anyhow!("cluster.rebalance.max_rate: {reason}"))?;
    transport.transfers().set_max_rate(max_rate);
    if config.testing.unsafe_stale_reads {
        tracing::warn!("test hook: linearizable reads are served without a quorum round (UNSAFE)");
    }
    let cell: DataplaneCell = Arc::new(OnceLock::new());
    let internal_cancel = CancellationToken::new();
    let internal_tasks = TaskTracker::new();
    {
        let router = tonic::transport::Server::builder()
            .add_service(transport.service())
            .add_service(shoal_gateway::internal_kv(cell.clone(), &gateway_settings))
            .add_service(shoal_gateway::internal_cluster(
                cell.clone(),
                &gateway_settings,
            ));
        let incoming = shoal_gateway::tokio_stream_incoming(internal_listener);
        let stop = internal_cancel.clone();
        internal_tasks.spawn(async move {
            if let Err(error) = router
                .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
                .await
            {
                tracing::error!(%error, "internal port failed");
            }
        });
    }

    let membership = if config.cluster.enabled {
        Some(Arc::new(start_membership(&config, &identity).await?))
    } else {
        None
    };

    let meta_group = RaftGroup::start(
        &transport,
        GroupId::META.0,
        storage.clone(),
        Arc::new(MetaMachine),
        &settings,
    )
    .await?;
    let meta = Meta::new(meta_group.clone());
    let shard_map = match &membership {
        None => single_node_map(&meta, &config, &identity, &clock).await?,
        Some(membership) => {
            cluster::establish(&meta, membership, &config, &identity, &clock, &readiness).await?
        }
    };
    if shard_map.shards.len() != config.cluster.data.shards as usize {
        tracing::warn!(
            configured = config.cluster.data.shards,
            actual = shard_map.shards.len(),
            "cluster.data.shards is fixed at creation; the configured value is ignored"
        );
    }

    readiness.waiting_for("starting the shard groups this node holds");
    let registry: BTreeMap<u64, String> = meta
        .nodes()?
        .into_iter()
        .map(|record| (record.id, record.internal_address))
        .collect();
    // Replicas listed in the map, and those moving here (a move in flight targets this node).
    let moving_here: Vec<_> = meta
        .moves()?
        .into_iter()
        .filter(|m| m.to == node_id)
        .map(|m| m.shard)
        .collect();
    let hosted: Vec<_> = shard_map
        .shards
        .iter()
        .filter(|s| s.replicas.contains(&node_id) || moving_here.contains(&s.id))
        .collect();
    // Only the cluster's first map creates groups: once any move happened (epoch > 1) every
    // group exists, and a replica that was moved here must never create its own.
    let initial_map = shard_map.epoch == 1;
    let starts = hosted.iter().map(|entry| {
        let storage = storage.clone();
        let settings = settings.clone();
        let transport = transport.clone();
        let registry = &registry;
        async move {
            let group = RaftGroup::start(
                &transport,
                GroupId::for_shard(entry.id).0,
                storage,
                Arc::new(KvMachine),
                &settings,
            )
            .await?;
            // The first replica creates the group, exactly once; the others join when its
            // leader reaches them.
            if initial_map && entry.replicas.first() == Some(&node_id) {
                let voters: BTreeMap<u64, String> = entry
                    .replicas
                    .iter()
                    .map(|id| {
                        let address = registry.get(id).cloned().with_context(|| {
                            format!(
                                "node {id}, a replica of shard {}, is not registered",
                                entry.id
                            )
                        })?;
                        Ok::<_, anyhow::Error>((*id, address))
                    })
                    .collect::<Result<_>>()?;
                group.initialize(&voters).await?;
            }
            Ok::<_, anyhow::Error>(Shard::new(entry.id, entry.range, group, clock))
        }
    });
    let shards = futures::future::try_join_all(starts).await?;
    readiness.waiting_for("waiting for every shard held here to have a leader");
    for shard in &shards {
        // A replica still being moved here may not have heard from its leader yet.
        if !moving_here.contains(&shard.id()) {
            shard.group().wait_for_leader(LEADER_WAIT).await?;
        }
    }
    // Ready means caught up: after a crash the applied index may trail the durable log, and
    // on a single node a stale read must not miss an acknowledged write once /readyz says
    // 200. In a cluster a follower catches up through its leader (stale reads may lag by
    // design), and leadership may move while we look: a barrier that meets another leader
    // is fine.
    for shard in &shards {
        if shard.group().is_leader() {
            match shard.group().linearizable_barrier().await {
                Ok(()) => {}
                Err(shoal_consensus::ConsensusError::NotLeader { .. }) if membership.is_some() => {}
                Err(error) => return Err(error.into()),
            }
        }
    }

    let directory = match &membership {
        Some(membership) => cluster::directory_from_gossip(membership),
        None => Arc::new(Directory::default()),
    };
    let dataplane = Arc::new(Dataplane::new(DataplaneParts {
        node_id,
        node_name,
        meta,
        shard_map,
        hosted: shards,
        storage: storage.clone(),
        transport: transport.clone(),
        directory,
    }));
    let _ = cell.set(dataplane.clone());
    let collector_dataplane = dataplane.clone();
    tasks.spawn(shoal_replication::run_expiry_collector(
        move || collector_dataplane.hosted_shards(),
        config.server.expiry_interval,
        config.server.expiry_batch,
        cancel.clone(),
    ));
    if let Some(membership) = &membership {
        cluster::refresh_directory(membership, &dataplane);
        tasks.spawn(cluster::run_driver(
            dataplane.clone(),
            readiness.clone(),
            gateway_settings.placement.clone(),
            cancel.clone(),
        ));
        tasks.spawn(cluster::run_background(
            membership.clone(),
            dataplane.clone(),
            identity.clone(),
            readiness.clone(),
            cluster::Background {
                voters_wanted: config.cluster.raft.voters as usize,
                interval: config.cluster.discovery.gossip_interval,
                balance_leaders: config.cluster.rebalance.balance_leaders,
                placement: gateway_settings.placement.clone(),
                replicas: cluster::ReplicaFactory {
                    transport: transport.clone(),
                    storage: storage.clone(),
                    settings: settings.clone(),
                    clock,
                },
            },
            cancel.clone(),
        ));
    }
    let gateway_cancel = cancel.clone();
    let gateway_dataplane = dataplane.clone();
    tasks.spawn(async move {
        let shutdown = gateway_cancel.clone().cancelled_owned();
        if let Err(error) = shoal_gateway::serve(
            client_listener,
            gateway_dataplane,
            gateway_settings,
            shutdown,
        )
        .await
        {
            tracing::error!(%error, "client API server failed");
            gateway_cancel.cancel();
        }
    });
    readiness.waiting_for("");
    readiness.set_ready(true);
    tracing::info!(node_id, %client_address, %admin_address, internal = %identity.internal_address, shards = dataplane.hosted_shards().len(), "node ready");
    Ok(RunningNode {
        node_id,
        client_address,
        admin_address,
        internal_address: internal_bound,
        dataplane,
        storage,
        membership,
        identity,
        readiness,
        cancel,
        tasks,
        internal_cancel,
        internal_tasks,
        shutdown_timeout: config.cluster.shutdown.timeout,
        force_leave: config.cluster.shutdown.force_leave,
    })
}

async fn start_membership(config: &Config, identity: &Identity) -> Result<Membership> {
    let cluster = &config.cluster;
    let advertise_text = match &cluster.gossip_advertise {
        Some(address) => address.clone(),
        None => advertised(&None, config, cluster.gossip_listen),
    };
    let advertise = tokio::net::lookup_host(&advertise_text)
        .await
        .with_context(|| format!("resolving the gossip address {advertise_text}"))?
        .next()
        .with_context(|| format!("the gossip address {advertise_text} resolves to nothing"))?;
    // A generation that grows across restarts: the start time in milliseconds.
    let generation = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let membership = Membership::start(
        MembershipConfig {
            node_id: identity.node_id,
            generation,
            listen: cluster.gossip_listen,
            advertise,
            seeds: cluster.discovery.seeds.clone(),
            gossip_interval: cluster.discovery.gossip_interval,
            dead_node_grace_period: Duration::from_secs(3600),
        },
        identity.info(),
    )
    .await?;
    Ok(membership)
}

/// Single node: the meta group has this node as its only voter; the cluster is created on
/// first start.
async fn single_node_map(
    meta: &Meta,
    config: &Config,
    identity: &Identity,
    clock: &Clock,
) -> Result<ShardMap> {
    meta.group()
        .initialize_single(&identity.internal_address)
        .await?;
    meta.group().wait_for_leader(LEADER_WAIT).await?;
    let map = match meta.shard_map()? {
        Some(map) => map,
        None => {
            let map = ShardMap::initial(config.cluster.data.shards, &[identity.node_id])?;
            meta.propose(&MetaCommand::CreateCluster {
                identity: ClusterIdentity {
                    cluster_id: format!("{:016x}", rand::random::<u64>()),
                    created_at_ms: clock.now_ms(),
                },
                shard_map: map,
                nodes: vec![identity.record(NodeState::Active)],
            })
            .await?;
            let map = meta
                .shard_map()?
                .context("the shard map is missing right after creating it")?;
            tracing::info!(
                shards = map.shards.len(),
                "created a new single-node cluster"
            );
            map
        }
    };
    // Registering is idempotent and done at every start, so addresses stay current.
    meta.propose(&MetaCommand::RegisterNode(
        identity.record(NodeState::Active),
    ))
    .await?;
    Ok(map)
}
