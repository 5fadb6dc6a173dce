//! Node assembly: open storage, start the meta group and create the cluster on first
//! start, start every hosted shard, then serve the client API and the admin endpoints.
//! Shutdown runs in a documented order under `cluster.shutdown.timeout`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use shoal_consensus::{RaftGroup, RaftSettings, Storage, StorageOptions};
use shoal_gateway::{GatewaySettings, Limits};
use shoal_replication::meta::{ClusterIdentity, MetaCommand, NodeRecord, NodeState};
use shoal_replication::{Clock, Dataplane, KvMachine, Meta, MetaMachine, Shard};
use shoal_shardmap::{GroupId, ShardMap};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admin;
use crate::config::Config;

/// How long a start waits for groups to elect their leaders.
const LEADER_WAIT: Duration = Duration::from_secs(30);

/// A node that is up and serving.
pub struct RunningNode {
    pub node_id: u64,
    pub client_address: SocketAddr,
    pub admin_address: SocketAddr,
    dataplane: Arc<Dataplane>,
    groups: Vec<RaftGroup>,
    storage: Storage,
    cancel: CancellationToken,
    tasks: TaskTracker,
    shutdown_timeout: Duration,
}

impl RunningNode {
    pub fn dataplane(&self) -> &Arc<Dataplane> {
        &self.dataplane
    }

    /// Graceful shutdown: stop accepting and finish in-flight requests, stop the expiry
    /// collector, stop every Raft group, flush storage — all within the shutdown timeout.
    pub async fn shutdown(self) -> Result<()> {
        let RunningNode {
            dataplane,
            groups,
            storage,
            cancel,
            tasks,
            shutdown_timeout,
            ..
        } = self;
        let work = async move {
            // 1. Stop accepting; the gateway finishes requests in flight; the collector stops.
            cancel.cancel();
            tasks.close();
            tasks.wait().await;
            // 2. Stop every Raft group.
            for group in &groups {
                group.shutdown().await;
            }
            drop(groups);
            drop(dataplane);
            // 3. Flush storage and release the file.
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

/// Starts a node and returns once it serves requests.
pub async fn start(config: Config) -> Result<RunningNode> {
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
    let client_address = client_listener.local_addr()?;
    let admin_address = admin_listener.local_addr()?;
    let internal_address = config
        .cluster
        .advertise_address
        .clone()
        .unwrap_or_else(|| config.cluster.listen_address.to_string());

    let settings = raft_settings(&config);
    let clock = Clock::system();
    let ready = Arc::new(AtomicBool::new(false));
    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    // Admin first: /healthz answers while the groups start, /readyz says when they are up.
    tasks.spawn(admin::serve(admin_listener, ready.clone(), cancel.clone()));

    let meta_group = RaftGroup::start(
        node_id,
        GroupId::META.0,
        storage.clone(),
        Arc::new(MetaMachine),
        &settings,
    )
    .await?;
    meta_group.initialize_single(&internal_address).await?;
    meta_group.wait_for_leader(LEADER_WAIT).await?;
    let meta = Meta::new(meta_group.clone());
    let shard_map = match meta.shard_map()? {
        Some(map) => {
            if map.shards.len() != config.cluster.data.shards as usize {
                tracing::warn!(
                    configured = config.cluster.data.shards,
                    actual = map.shards.len(),
                    "cluster.data.shards is fixed at creation; the configured value is ignored"
                );
            }
            map
        }
        None => create_cluster(&meta, &config, node_id, &clock).await?,
    };
    // Registering is idempotent and done at every start, so addresses stay current and a
    // crash between creating the cluster and registering cannot leave this node out.
    meta.propose(&MetaCommand::RegisterNode(NodeRecord {
        id: node_id,
        name: node_name.clone(),
        internal_address: internal_address.clone(),
        client_address: client_address.to_string(),
        state: NodeState::Active,
    }))
    .await?;

    let hosted: Vec<_> = shard_map
        .shards
        .iter()
        .filter(|s| s.replicas.contains(&node_id))
        .collect();
    let starts = hosted.iter().map(|entry| {
        let storage = storage.clone();
        let settings = settings.clone();
        let address = internal_address.clone();
        async move {
            let group = RaftGroup::start(
                node_id,
                GroupId::for_shard(entry.id).0,
                storage,
                Arc::new(KvMachine),
                &settings,
            )
            .await?;
            group.initialize_single(&address).await?;
            Ok::<_, anyhow::Error>(Shard::new(entry.id, entry.range, group, clock))
        }
    });
    let shards = futures::future::try_join_all(starts).await?;
    for shard in &shards {
        shard.group().wait_for_leader(LEADER_WAIT).await?;
        // Ready means caught up: after a crash the applied index may trail the durable log,
        // and a stale read must not miss an acknowledged write once /readyz says 200.
        shard.group().linearizable_barrier().await?;
    }
    let mut groups = vec![meta_group];
    groups.extend(shards.iter().map(|s| s.group().clone()));

    tasks.spawn(shoal_replication::run_expiry_collector(
        shards.clone(),
        config.server.expiry_interval,
        config.server.expiry_batch,
        cancel.clone(),
    ));
    let dataplane = Arc::new(Dataplane::new(
        node_id,
        node_name,
        meta,
        shard_map,
        shards,
        storage.clone(),
    ));
    let gateway_settings = GatewaySettings {
        limits: Limits {
            max_key_bytes: config.limits.max_key_bytes,
            max_value_bytes: config.limits.max_value_bytes,
        },
        request_timeout: config.server.request_timeout,
        max_concurrent_requests: config.server.max_concurrent_requests,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
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
    ready.store(true, Ordering::SeqCst);
    tracing::info!(node_id, %client_address, %admin_address, shards = dataplane.hosted_shards().count(), "node ready");
    Ok(RunningNode {
        node_id,
        client_address,
        admin_address,
        dataplane,
        groups,
        storage,
        cancel,
        tasks,
        shutdown_timeout: config.cluster.shutdown.timeout,
    })
}

async fn create_cluster(
    meta: &Meta,
    config: &Config,
    node_id: u64,
    clock: &Clock,
) -> Result<ShardMap> {
    let map = ShardMap::initial(config.cluster.data.shards, &[node_id])?;
    let identity = ClusterIdentity {
        cluster_id: format!("{:016x}", rand::random::<u64>()),
        created_at_ms: clock.now_ms(),
    };
    meta.propose(&MetaCommand::CreateCluster {
        identity,
        shard_map: map,
    })
    .await?;
    let map = meta
        .shard_map()?
        .context("the shard map is missing right after creating it")?;
    tracing::info!(shards = map.shards.len(), "created a new cluster");
    Ok(map)
}
