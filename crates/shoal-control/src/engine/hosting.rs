//! Hosting: which shard replicas this node should run, which group a replica may create,
//! and what to start and delete when the map or the moves change.

use std::collections::{BTreeMap, BTreeSet};

use shoal_replication::meta::{MoveRecord, MoveStep};
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
    /// Running replicas found damaged: stop them (they must neither vote nor serve), keep
    /// their data for the repair.
    pub stop: Vec<ShardId>,
    /// Damaged replicas a repair has evicted from their group: delete their data, then
    /// start them empty (their leader adds them back and fills them).
    pub rebuild: Vec<ShardId>,
    /// Replicas to start (empty; their leader fills them).
    pub start: Vec<ShardId>,
    /// Replicas to stop, with their data deleted.
    pub delete: Vec<ShardId>,
}

impl HostingChanges {
    pub fn is_empty(&self) -> bool {
        self.stop.is_empty()
            && self.rebuild.is_empty()
            && self.start.is_empty()
            && self.delete.is_empty()
    }
}

/// From the map and the moves, against the replicas held now (`held`: running, and
/// whether this node leads each) and the damaged ones (`damaged`, running or not): stop
/// what is damaged and still runs; rebuild what is damaged once its repair evicted it;
/// start what is wanted and missing; delete what is no longer wanted — except a replica
/// that still leads, because the change of voters has not reached it yet (it is kept until
/// it steps down).
pub fn reconcile(
    map: &ShardMap,
    moves: &[MoveRecord],
    me: NodeId,
    held: &BTreeMap<ShardId, bool>,
    damaged: &BTreeSet<ShardId>,
) -> HostingChanges {
    let wanted = wanted_replicas(map, moves, me);
    // A damaged replica is deleted only once its repair took it out of the group: before,
    // it may still be listed as a voter, and an empty replica must never vote.
    let evicted = |shard: &ShardId| {
        moves
            .iter()
            .any(|m| m.shard == *shard && m.to == me && m.is_repair() && m.step > MoveStep::Evict)
    };
    HostingChanges {
        stop: held
            .keys()
            .copied()
            .filter(|shard| damaged.contains(shard))
            .collect(),
        rebuild: damaged
            .iter()
            .copied()
            .filter(|shard| wanted.contains(shard) && evicted(shard))
            .collect(),
        start: wanted
            .iter()
            .copied()
            .filter(|shard| {
                !held.contains_key(shard) && !damaged.contains(shard) && map.entry(*shard).is_some()
            })
            .collect(),
        delete: held
            .iter()
            .filter(|(shard, leads)| !wanted.contains(shard) && !**leads)
            .map(|(shard, _)| *shard)
            .chain(
                damaged
                    .iter()
                    .copied()
                    .filter(|shard| !wanted.contains(shard)),
            )
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}
