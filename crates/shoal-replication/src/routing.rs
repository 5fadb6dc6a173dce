//! The routing view of one node: the shard map it applied and the replicas it hosts,
//! swapped as one value whenever either changes (replica moves). A request reads one view
//! and decides with it, so it never pairs the map of one moment with the replicas of
//! another. Leadership of shards this node does not host comes from the directory's gossip
//! hints.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use shoal_shardmap::{NodeId, ShardEntry, ShardId, ShardMap};

use crate::directory::Directory;
use crate::replica::ShardReplica;

/// The shard map this node applied and the replicas it hosts, as one value.
#[derive(Debug, Clone)]
pub struct RoutingView {
    pub shard_map: Arc<ShardMap>,
    /// Replicas hosted here, by shard id.
    pub replicas: BTreeMap<ShardId, ShardReplica>,
}

impl RoutingView {
    /// The shard owning `key` under this view's map.
    pub fn shard_for_key(&self, key: &[u8]) -> &ShardEntry {
        self.shard_map.shard_for_key(key)
    }

    /// This node's replica of `shard`, if it hosts one.
    pub fn replica(&self, shard: ShardId) -> Option<&ShardReplica> {
        self.replicas.get(&shard)
    }
}

/// The replicas hosted on this node and the map they follow (see the module docs).
#[derive(Debug)]
pub struct LocalReplicas {
    node_id: NodeId,
    view: RwLock<Arc<RoutingView>>,
    directory: Arc<Directory>,
}

impl LocalReplicas {
    pub fn new(
        node_id: NodeId,
        shard_map: ShardMap,
        replicas: Vec<ShardReplica>,
        directory: Arc<Directory>,
    ) -> LocalReplicas {
        LocalReplicas {
            node_id,
            view: RwLock::new(Arc::new(RoutingView {
                shard_map: Arc::new(shard_map),
                replicas: replicas.into_iter().map(|r| (r.id(), r)).collect(),
            })),
            directory,
        }
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// What this node knows of its peers (addresses, liveness, leadership hints).
    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// The current view: read once per request.
    pub fn view(&self) -> Arc<RoutingView> {
        self.view.read().expect("routing view poisoned").clone()
    }

    /// Replaces the view (the hosting reconciler, after the meta group changed the map or
    /// a replica was started or removed here).
    pub fn set_view(&self, view: RoutingView) {
        *self.view.write().expect("routing view poisoned") = Arc::new(view);
    }

    pub fn shard_map(&self) -> Arc<ShardMap> {
        self.view().shard_map.clone()
    }

    /// This node's replica of `shard`, if it hosts one now.
    pub fn replica(&self, shard: ShardId) -> Option<ShardReplica> {
        self.view().replicas.get(&shard).cloned()
    }

    /// Replicas hosted here, in shard order.
    pub fn all(&self) -> Vec<ShardReplica> {
        self.view().replicas.values().cloned().collect()
    }

    /// The current leader of `shard` as far as this node knows: its own replica's view, or
    /// the gossip hint for shards it does not host (a replica still being moved here knows
    /// no leader until its leader reaches it: then the hint too).
    pub fn leader_of(&self, shard: ShardId) -> Option<NodeId> {
        self.replica(shard)
            .and_then(|local| local.group().leader())
            .or_else(|| self.directory.leader_hint(shard))
    }

    /// The internal address to reach `node` for `shard`: the one the shard's group lists
    /// for it (what Raft itself uses), else the directory's.
    pub fn address_of(&self, node: NodeId, shard: Option<ShardId>) -> Option<String> {
        shard
            .and_then(|shard| self.replica(shard))
            .and_then(|replica| replica.group().members().get(&node).cloned())
            .or_else(|| self.directory.internal_address(node))
            .filter(|address| !address.is_empty())
    }

    /// True when every hosted replica has a leader.
    pub fn all_have_leaders(&self) -> bool {
        self.view()
            .replicas
            .values()
            .all(|replica| replica.group().leader().is_some())
    }
}
