//! What this node knows about the other nodes of the cluster: addresses, liveness,
//! readiness and the shards each says it leads. The node feeds it from gossip and the meta
//! registry; routing and the cluster API read it. Leadership here is a hint (gossip lags by
//! a round or two); a wrong hint costs one NotLeader answer, never a wrong result.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use shoal_shardmap::{NodeId, ShardId};

use crate::meta::NodeState;

/// One node as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub node_id: NodeId,
    pub name: String,
    /// Grows with every restart of the node.
    pub generation: u64,
    /// Seen alive by gossip.
    pub live: bool,
    /// The node says it serves requests.
    pub ready: bool,
    pub state: NodeState,
    pub internal_address: String,
    pub client_address: String,
    pub admin_address: String,
    pub gossip_address: String,
    pub zone: Option<String>,
    /// Shards the node says it leads.
    pub leading_shards: Vec<ShardId>,
    /// Shards whose replica on the node is damaged (quarantined), as it says.
    pub damaged_shards: Vec<ShardId>,
    pub shard_map_epoch: u64,
    pub cluster_id: Option<String>,
}

/// The node directory: one entry per node id (the newest generation).
#[derive(Debug, Default)]
pub struct Directory {
    peers: RwLock<BTreeMap<NodeId, PeerInfo>>,
    /// Since when each node not seen alive has been down, as observed by this node.
    down_since: RwLock<BTreeMap<NodeId, Instant>>,
}

impl Directory {
    /// Replaces the whole view.
    pub fn replace(&self, peers: impl IntoIterator<Item = PeerInfo>) {
        let peers: BTreeMap<NodeId, PeerInfo> =
            peers.into_iter().map(|peer| (peer.node_id, peer)).collect();
        {
            let mut down = self.down_since.write().expect("directory poisoned");
            down.retain(|id, _| peers.get(id).is_some_and(|p| !p.live));
            for peer in peers.values().filter(|p| !p.live) {
                down.entry(peer.node_id).or_insert_with(Instant::now);
            }
        }
        *self.peers.write().expect("directory poisoned") = peers;
    }

    /// How long `node_id` has been down as far as this node has watched (None: up, or
    /// unknown).
    pub fn down_for(&self, node_id: NodeId) -> Option<Duration> {
        self.down_since
            .read()
            .expect("directory poisoned")
            .get(&node_id)
            .map(Instant::elapsed)
    }

    pub fn get(&self, node_id: NodeId) -> Option<PeerInfo> {
        self.peers
            .read()
            .expect("directory poisoned")
            .get(&node_id)
            .cloned()
    }

    /// Every known node, by id.
    pub fn all(&self) -> Vec<PeerInfo> {
        self.peers
            .read()
            .expect("directory poisoned")
            .values()
            .cloned()
            .collect()
    }

    /// The live node that says it leads `shard`, if any.
    pub fn leader_hint(&self, shard: ShardId) -> Option<NodeId> {
        self.peers
            .read()
            .expect("directory poisoned")
            .values()
            .filter(|peer| peer.live && peer.leading_shards.contains(&shard))
            .max_by_key(|peer| peer.generation)
            .map(|peer| peer.node_id)
    }

    /// Internal address of `node_id`, if known.
    pub fn internal_address(&self, node_id: NodeId) -> Option<String> {
        self.get(node_id).map(|peer| peer.internal_address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(node_id: u64, live: bool, leading: &[u32]) -> PeerInfo {
        PeerInfo {
            node_id: NodeId(node_id),
            name: format!("n{node_id}"),
            generation: 1,
            live,
            ready: true,
            state: NodeState::Active,
            internal_address: format!("127.0.0.1:{node_id}"),
            client_address: String::new(),
            admin_address: String::new(),
            gossip_address: String::new(),
            zone: None,
            leading_shards: leading.iter().copied().map(ShardId).collect(),
            damaged_shards: Vec::new(),
            shard_map_epoch: 1,
            cluster_id: None,
        }
    }

    #[test]
    fn leader_hints_come_from_live_nodes_only() {
        let directory = Directory::default();
        directory.replace([peer(1, false, &[3]), peer(2, true, &[4])]);
        assert_eq!(directory.leader_hint(ShardId(3)), None);
        assert_eq!(directory.leader_hint(ShardId(4)), Some(NodeId(2)));
        assert_eq!(
            directory.internal_address(NodeId(2)).as_deref(),
            Some("127.0.0.1:2")
        );
    }
}
