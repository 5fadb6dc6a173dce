//! Bootstrap, once: when `cluster.bootstrap.expect_nodes` nodes that belong to no cluster
//! see each other, and keep seeing the same set for a few gossip rounds, the one with the
//! lowest node id creates the cluster with them. Nobody else ever does, and a node that
//! sees a member of an existing cluster waits to be added instead.

use std::collections::BTreeMap;

use shoal_replication::meta::NodeRecord;
use shoal_shardmap::{NodeId, NodeState, PlacementError, PlacementNode, ShardMap, place_initial};

/// Consecutive identical views of the candidates required before bootstrapping.
pub const STABLE_ROUNDS: u32 = 3;

/// A live node as bootstrap sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: NodeId,
    pub cluster_id: Option<String>,
    pub state: NodeState,
}

/// What bootstrap remembers between rounds: the candidate set last seen and for how many
/// rounds in a row.
#[derive(Debug, Clone, Default)]
pub struct BootstrapState {
    stable: Option<(Vec<NodeId>, u32)>,
}

/// This round's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapStep {
    /// This node creates the cluster with these nodes (lowest id first).
    Create(Vec<NodeId>),
    /// Nothing to do yet; says what the node waits for.
    Wait(String),
}

/// One round of bootstrap from the live nodes gossip sees (`live`, this node included).
pub fn bootstrap_step(
    state: &mut BootstrapState,
    me: NodeId,
    live: &[Candidate],
    expected: usize,
    seeds: &[String],
) -> BootstrapStep {
    if let Some(member) = live.iter().find(|c| c.id != me && c.cluster_id.is_some()) {
        state.stable = None;
        return BootstrapStep::Wait(format!(
            "joining cluster {} (seen at node {}): waiting for its meta leader to add this node",
            member.cluster_id.as_deref().unwrap_or_default(),
            member.id
        ));
    }
    let mut candidates: Vec<NodeId> = live
        .iter()
        .filter(|c| c.cluster_id.is_none() && c.state != NodeState::Leaving)
        .map(|c| c.id)
        .collect();
    candidates.sort();
    if candidates.len() < expected.max(1) {
        state.stable = None;
        return BootstrapStep::Wait(format!(
            "waiting for {} more node(s) to create the cluster (cluster.bootstrap.expect_nodes = \
             {expected}; seen: {:?}; seeds: {seeds:?})",
            expected - candidates.len(),
            candidates.iter().map(|c| c.0).collect::<Vec<_>>()
        ));
    }
    let chosen: Vec<NodeId> = candidates.into_iter().take(expected.max(1)).collect();
    let rounds = match &state.stable {
        Some((view, rounds)) if *view == chosen => rounds + 1,
        _ => 1,
    };
    state.stable = Some((chosen.clone(), rounds));
    if chosen[0] == me && rounds >= STABLE_ROUNDS {
        return BootstrapStep::Create(chosen);
    }
    BootstrapStep::Wait(format!(
        "bootstrap of {expected} nodes {:?}: waiting for node {} to create the cluster",
        chosen.iter().map(|c| c.0).collect::<Vec<_>>(),
        chosen[0]
    ))
}

/// The new cluster: the meta group's first voters and learners, the registry and the
/// first shard map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapPlan {
    /// The first `cluster.raft.voters` nodes, with their internal addresses.
    pub voters: BTreeMap<NodeId, String>,
    /// The other bootstrap nodes: meta learners from the start, because they hold shard
    /// replicas and must learn the map now (the membership reconciler runs only once this
    /// node is ready, which may need those very nodes).
    pub learners: BTreeMap<NodeId, String>,
    pub records: Vec<NodeRecord>,
    pub shard_map: ShardMap,
}

/// Plans the new cluster of `nodes` (their registry records, lowest id first).
pub fn bootstrap_plan(
    nodes: &[NodeRecord],
    meta_voters: usize,
    shards: u32,
    replication_factor: u32,
) -> Result<BootstrapPlan, PlacementError> {
    let placement: Vec<PlacementNode> = nodes
        .iter()
        .map(|node| PlacementNode {
            id: node.id,
            zone: node.zone.clone(),
        })
        .collect();
    let shard_map = place_initial(shards, replication_factor, &placement)?;
    let addresses = nodes
        .iter()
        .map(|node| (node.id, node.internal_address.clone()));
    Ok(BootstrapPlan {
        voters: addresses.clone().take(meta_voters.max(1)).collect(),
        learners: addresses.skip(meta_voters.max(1)).collect(),
        records: nodes.to_vec(),
        shard_map,
    })
}
