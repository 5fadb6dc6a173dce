//! How a node comes to belong to a cluster at start: a single node creates its own on
//! first start; in cluster mode a node restarts into its cluster, bootstraps a new one
//! (the engine's [`bootstrap_step`] decides who and when), or waits to be added by the
//! meta leader of an existing one.

use std::collections::BTreeMap;
use std::time::Duration;

use backon::{ConstantBuilder, Retryable};
use shoal_replication::Clock;
use shoal_replication::Meta;
use shoal_replication::meta::{ClusterIdentity, MetaCommand, NodeRecord};
use shoal_shardmap::{NodeId, NodeState, ShardMap};

use crate::ControlError;
use crate::engine::bootstrap::{
    BootstrapState, BootstrapStep, Candidate, bootstrap_plan, bootstrap_step,
};
use crate::engine::meta_members::record_from_gossip;
use crate::identity::NodeIdentity;
use crate::ports::{Gossip, NodeProbe};

/// How long a fresh group may take to elect its first leader.
const FIRST_LEADER_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting node repeats in the log what it waits for.
const WAIT_LOG_EVERY: Duration = Duration::from_secs(5);

/// What bootstrap needs from the configuration.
#[derive(Debug, Clone)]
pub struct BootstrapSettings {
    /// `cluster.bootstrap.expect_nodes`.
    pub expect_nodes: usize,
    /// `cluster.discovery.seeds` (for messages).
    pub seeds: Vec<String>,
    /// `cluster.data.shards`.
    pub shards: u32,
    /// `cluster.data.replication_factor`.
    pub replication_factor: u32,
    /// `cluster.raft.voters`.
    pub meta_voters: usize,
    /// The gossip round: how often to look again.
    pub interval: Duration,
}

/// Runs `operation` on a fresh meta group, retrying while its leadership may still move
/// after the first election (every 200 ms, up to 10 s).
async fn while_electing<T, F, Fut>(what: &str, operation: F) -> Result<T, ControlError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ControlError>>,
{
    operation
        .retry(
            ConstantBuilder::default()
                .with_delay(Duration::from_millis(200))
                .with_max_times(50),
        )
        .notify(|error, _| tracing::debug!(%error, "{what}: retrying"))
        .await
}

fn new_identity(clock: Clock) -> ClusterIdentity {
    ClusterIdentity {
        cluster_id: format!("{:016x}", rand::random::<u64>()),
        created_at_ms: clock.now_ms(),
    }
}

/// Single node: the meta group has this node as its only voter, and the cluster is
/// created on first start. Registers this node (addresses stay current) at every start.
pub async fn single_node(
    meta: &Meta,
    identity: &NodeIdentity,
    shards: u32,
    clock: Clock,
) -> Result<ShardMap, ControlError> {
    meta.group()
        .initialize_single(&identity.internal_address)
        .await?;
    meta.group().wait_for_leader(FIRST_LEADER_WAIT).await?;
    if meta.shard_map()?.is_none() {
        let map = ShardMap::initial(shards, &[identity.node_id]).map_err(|e| {
            ControlError::InvalidArgument {
                field: "cluster.data.shards",
                reason: e.to_string(),
            }
        })?;
        meta.propose(&MetaCommand::CreateCluster {
            identity: new_identity(clock),
            shard_map: map,
            nodes: vec![identity.record(NodeState::Active)],
        })
        .await?;
        tracing::info!(shards, "created a new single-node cluster");
    }
    meta.propose(&MetaCommand::RegisterNode(
        identity.record(NodeState::Active),
    ))
    .await?;
    meta.shard_map()?.ok_or_else(|| {
        ControlError::Internal("the shard map is missing right after creating it".into())
    })
}

/// Cluster mode: waits until this node belongs to a cluster whose shard map it has
/// applied, bootstrapping the cluster when this node is the one to; `waiting` is told what
/// the node waits for meanwhile.
pub async fn establish(
    meta: &Meta,
    gossip: &dyn Gossip,
    probe: &dyn NodeProbe,
    identity: &NodeIdentity,
    settings: &BootstrapSettings,
    clock: Clock,
    waiting: &(dyn Fn(&str) + Send + Sync),
) -> Result<ShardMap, ControlError> {
    let mut state = BootstrapState::default();
    let mut last_log: Option<tokio::time::Instant> = None;
    // Nodes that answered at their internal address as themselves (over mTLS, when the
    // cluster has it): only these may found a cluster with this node.
    let mut proven: BTreeMap<NodeId, String> = BTreeMap::new();
    let mut unproven: Vec<String> = Vec::new();
    while !meta.group().is_initialized().await? {
        let members = gossip.members();
        unproven.clear();
        let probes = members
            .values()
            .filter(|m| m.live && m.node_id != identity.node_id)
            .filter(|m| !m.info.internal_address.is_empty())
            .filter(|m| proven.get(&m.node_id) != Some(&m.info.internal_address))
            .map(|member| async move {
                let address = member.info.internal_address.clone();
                let answer = probe.identify(&address).await;
                (member.node_id, address, answer)
            });
        for (node, address, answer) in futures::future::join_all(probes).await {
            match answer {
                Ok(answered) if answered == node => {
                    proven.insert(node, address);
                }
                Ok(answered) => unproven.push(format!(
                    "node {node} (gossip) at {address} answers as node {answered}"
                )),
                Err(error) => unproven.push(format!(
                    "node {node} (gossip) did not prove itself at {address}: {error}"
                )),
            }
        }
        let live: Vec<Candidate> = members
            .values()
            .filter(|member| member.live)
            .filter(|member| {
                member.node_id == identity.node_id
                    || proven.get(&member.node_id) == Some(&member.info.internal_address)
            })
            .map(|member| Candidate {
                id: member.node_id,
                cluster_id: member.info.cluster_id.clone(),
                state: member.info.state,
            })
            .collect();
        let step = bootstrap_step(
            &mut state,
            identity.node_id,
            &live,
            settings.expect_nodes,
            &settings.seeds,
        );
        match step {
            BootstrapStep::Create(chosen) => {
                let records: Vec<NodeRecord> = chosen
                    .iter()
                    .filter_map(|id| members.get(id).map(record_from_gossip))
                    .collect();
                bootstrap(meta, settings, &records, clock).await?;
                continue;
            }
            BootstrapStep::Wait(what) => {
                let what = if unproven.is_empty() {
                    what
                } else {
                    format!("{what} (not admitted: {})", unproven.join("; "))
                };
                waiting(&what);
                if last_log.is_none_or(|at| at.elapsed() >= WAIT_LOG_EVERY) {
                    tracing::info!("{what}");
                    last_log = Some(tokio::time::Instant::now());
                }
            }
        }
        tokio::time::sleep(settings.interval).await;
    }
    // A member of the meta group now: wait until the shard map has been applied here.
    loop {
        if let Some(map) = meta.shard_map()? {
            return Ok(map);
        }
        waiting("waiting for the meta group to replicate the shard map to this node");
        tokio::time::sleep(settings.interval).await;
    }
}

/// Creates the cluster: the meta group with its first voters, one meta entry holding the
/// identity, the registry and the shard map, then the other bootstrap nodes as learners.
async fn bootstrap(
    meta: &Meta,
    settings: &BootstrapSettings,
    records: &[NodeRecord],
    clock: Clock,
) -> Result<(), ControlError> {
    let plan = bootstrap_plan(
        records,
        settings.meta_voters,
        settings.shards,
        settings.replication_factor,
    )
    .map_err(|e| ControlError::FailedPrecondition(e.to_string()))?;
    tracing::info!(
        nodes = ?records.iter().map(|r| r.id.0).collect::<Vec<_>>(),
        meta_voters = ?plan.voters.keys().map(|id| id.0).collect::<Vec<_>>(),
        "bootstrapping a new cluster"
    );
    meta.group().initialize(&plan.voters).await?;
    meta.group()
        .wait_for_leader(FIRST_LEADER_WAIT)
        .await
        .map_err(|e| {
            ControlError::Unavailable(format!("the new meta group elected no leader: {e}"))
        })?;
    let command = MetaCommand::CreateCluster {
        identity: new_identity(clock),
        shard_map: plan.shard_map,
        nodes: plan.records,
    };
    // The meta leader is this node unless an election moved it meanwhile: retry through
    // short waits rather than give up on a fresh cluster.
    while_electing("creating the cluster in the meta group", || async {
        Ok(meta.propose(&command).await.map(|_| ())?)
    })
    .await?;
    for (node, address) in &plan.learners {
        while_electing("adding a bootstrap node to the meta group", || async {
            Ok(meta.group().add_learner(*node, address, false).await?)
        })
        .await?;
    }
    Ok(())
}
