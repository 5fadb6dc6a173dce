//! Hosting: which shard replicas this node should run, which group a replica may create,
//! and what to start and delete when the map or the moves change.

use std::collections::{BTreeMap, BTreeSet};

use shoal_replication::meta::MoveRecord;
use shoal_shardmap::{NodeId, ShardEntry, ShardId, ShardMap};

/// The replicas `me` should run: those the map lists here and those a move in flight
/// brings here.
pub fn wanted_replicas(map: &ShardMap, moves: &[MoveRecord], me: NodeId) -> BTreeSet<ShardId> {
    map.shards
        .iter()
        .filter(|entry| entry.replicas.contains(&me))
        .map(|entry| entry.id)
        .chain(moves.iter().filter(|m| m.to == me).map(|m| m.shard))
        .collect()
}

/// Whether `me`'s replica of `entry` creates the shard's group (with the map's replicas
/// as voters): only under the cluster's first map (epoch 1, before any move) and only the
/// first replica, exactly once. Once any move happened every group exists, and a replica
/// moved here must never create its own — its leader adds it and sends it a snapshot.
/// (The meta machine bumps the epoch on every change of the map, which keeps this true.)
pub fn creates_group(map: &ShardMap, entry: &ShardEntry, me: NodeId) -> bool {
    map.epoch == 1 && entry.replicas.first() == Some(&me)
}

/// What to change in the replicas hosted here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostingChanges {
    /// Replicas to start (empty; their leader fills them).
    pub start: Vec<ShardId>,
    /// Replicas to stop, with their data deleted.
    pub delete: Vec<ShardId>,
}

impl HostingChanges {
    pub fn is_empty(&self) -> bool {
        self.start.is_empty() && self.delete.is_empty()
    }
}

/// From the map and the moves, against the replicas held now (`held`: whether this node
/// leads each): start what is wanted and missing; delete what is no longer wanted — except
/// a replica that still leads, because the change of voters has not reached it yet (it is
/// kept until it steps down).
pub fn reconcile(
    map: &ShardMap,
    moves: &[MoveRecord],
    me: NodeId,
    held: &BTreeMap<ShardId, bool>,
) -> HostingChanges {
    let wanted = wanted_replicas(map, moves, me);
    HostingChanges {
        start: wanted
            .iter()
            .copied()
            .filter(|shard| !held.contains_key(shard) && map.entry(*shard).is_some())
            .collect(),
        delete: held
            .iter()
            .filter(|(shard, leads)| !wanted.contains(shard) && !**leads)
            .map(|(shard, _)| *shard)
            .collect(),
    }
}
