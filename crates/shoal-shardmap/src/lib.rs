//! Pure shard-map logic: the fixed key hash, contiguous hash ranges per shard, and
//! key → shard lookup. No I/O, no async, no storage: every decision here is a function
//! of its inputs so it can be property-tested and shared by every layer.

use serde::{Deserialize, Serialize};

mod placement;
mod rebalance;

pub use placement::{PlacementError, PlacementNode, place_initial};
pub use rebalance::{
    InFlight, Move, MoveReason, NodeRole, Plan, RebalanceNode, next_leader_preference, plan,
};

/// The fixed, documented key hash: XXH3-64 of the raw key bytes with seed 0.
///
/// Changing this function would move every key to another shard, so it is part of
/// shoal's on-disk and wire contract and must never change for an existing cluster.
pub fn key_hash(key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key)
}

/// A node of the cluster: chosen once (configured, or drawn at random on first start) and
/// kept in the data dir. On the wire and on disk it is the bare number (a newtype struct
/// encodes as its inner value in postcard), so stored formats do not depend on this type.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct NodeId(pub u64);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u64> for NodeId {
    fn from(id: u64) -> NodeId {
        NodeId(id)
    }
}

impl From<NodeId> for u64 {
    fn from(id: NodeId) -> u64 {
        id.0
    }
}

/// Lifecycle state of a node: recorded in the meta registry and gossiped by the node
/// itself. One enum for both, so no layer matches on words.
///
/// Stored by variant index (postcard): variants are only ever added at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeState {
    /// Known to gossip, not yet registered (or registered and not yet active).
    #[default]
    Joining,
    /// Serves, leads and receives replicas.
    Active,
    /// Maintenance (`shoal node drain`): gives its leaderships away and takes none; keeps
    /// its replicas and receives no new ones.
    Draining,
    /// Being emptied for good (`shoal node decommission`); leaves the meta group once it
    /// holds nothing.
    Decommissioned,
    /// Gossip only: the node is shutting down and will be gone within a few gossip rounds.
    /// Never recorded in the registry.
    Leaving,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Joining => "joining",
            NodeState::Active => "active",
            NodeState::Draining => "draining",
            NodeState::Decommissioned => "decommissioned",
            NodeState::Leaving => "leaving",
        }
    }

    pub fn parse(text: &str) -> Option<NodeState> {
        Some(match text {
            "joining" => NodeState::Joining,
            "active" => NodeState::Active,
            "draining" => NodeState::Draining,
            "decommissioned" => NodeState::Decommissioned,
            "leaving" => NodeState::Leaving,
            _ => return None,
        })
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A data shard, numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ShardId(pub u32);

impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of a Raft group on the wire and on disk: the meta group is 0, shard `n` is `n + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupId(pub u64);

impl GroupId {
    /// The control-plane group that holds the node registry and the shard map.
    pub const META: GroupId = GroupId(0);

    /// The data group of a shard.
    pub fn for_shard(shard: ShardId) -> GroupId {
        GroupId(u64::from(shard.0) + 1)
    }

    /// The shard served by this group, `None` for the meta group.
    pub fn shard(self) -> Option<ShardId> {
        self.0
            .checked_sub(1)
            .and_then(|n| u32::try_from(n).ok())
            .map(ShardId)
    }
}

impl std::fmt::Display for GroupId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.shard() {
            Some(shard) => write!(f, "shard {shard}"),
            None => f.write_str("the meta group"),
        }
    }
}

/// An inclusive range of the 64-bit hash space owned by one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashRange {
    pub start: u64,
    pub end: u64,
}

impl HashRange {
    pub fn contains(&self, hash: u64) -> bool {
        self.start <= hash && hash <= self.end
    }
}

/// One shard's entry in the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEntry {
    pub id: ShardId,
    pub range: HashRange,
    /// Nodes holding a replica of this shard; the first is the preferred leader.
    pub replicas: Vec<NodeId>,
}

/// The shard map: contiguous, non-overlapping ranges covering the whole hash space,
/// ordered by range start. The epoch grows with every change of the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardMap {
    pub epoch: u64,
    pub shards: Vec<ShardEntry>,
}

/// Why a shard map cannot be built or is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardMapError {
    /// The shard count is outside `1..=MAX_SHARDS`.
    ShardCount(u32),
}

impl std::error::Error for ShardMapError {}

impl std::fmt::Display for ShardMapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShardMapError::ShardCount(n) => {
                write!(
                    f,
                    "cluster.data.shards must be between 1 and {MAX_SHARDS}, got {n}"
                )
            }
        }
    }
}

/// Upper bound on the number of shards of a cluster.
pub const MAX_SHARDS: u32 = 4096;

/// Splits the hash space into `count` contiguous ranges of (nearly) equal size.
pub fn uniform_ranges(count: u32) -> Result<Vec<HashRange>, ShardMapError> {
    if count == 0 || count > MAX_SHARDS {
        return Err(ShardMapError::ShardCount(count));
    }
    // Boundaries at floor(i * 2^64 / count): equal widths, exact powers of two when the
    // count is one, and contiguous by construction.
    let boundary = |i: u64| ((u128::from(i) << 64) / u128::from(count)) as u64;
    Ok((0..u64::from(count))
        .map(|i| {
            let start = boundary(i);
            let end = if i + 1 == u64::from(count) {
                u64::MAX
            } else {
                boundary(i + 1) - 1
            };
            HashRange { start, end }
        })
        .collect())
}

impl ShardMap {
    /// The map a new cluster starts with: `count` uniform shards, each replicated on `replicas`.
    pub fn initial(count: u32, replicas: &[NodeId]) -> Result<ShardMap, ShardMapError> {
        let shards = uniform_ranges(count)?
            .into_iter()
            .enumerate()
            .map(|(i, range)| ShardEntry {
                id: ShardId(i as u32),
                range,
                replicas: replicas.to_vec(),
            })
            .collect();
        Ok(ShardMap { epoch: 1, shards })
    }

    /// The shard whose range contains `hash`.
    pub fn shard_for_hash(&self, hash: u64) -> &ShardEntry {
        // Ranges are sorted and cover the whole space: the owner is the last range
        // starting at or before the hash.
        let position = self
            .shards
            .partition_point(|shard| shard.range.start <= hash);
        &self.shards[position - 1]
    }

    /// The shard that owns `key`.
    pub fn shard_for_key(&self, key: &[u8]) -> &ShardEntry {
        self.shard_for_hash(key_hash(key))
    }

    /// The entry of `shard`, if the map has it.
    pub fn entry(&self, shard: ShardId) -> Option<&ShardEntry> {
        self.shards.iter().find(|entry| entry.id == shard)
    }

    /// The map once a replica move of `shard` from `from` to `to` is done: `to` takes
    /// `from`'s place in the replica order (the first replica is the preferred leader), or
    /// goes last when nothing is replaced; a replica is never listed twice. The epoch is
    /// not changed here (the meta machine bumps it when it records the change). This is
    /// the one definition of a finished move: the meta machine applies it and the planner
    /// projects in-flight moves with it.
    pub fn apply_move(&mut self, shard: ShardId, from: Option<NodeId>, to: NodeId) {
        let Some(entry) = self.shards.iter_mut().find(|entry| entry.id == shard) else {
            return;
        };
        let position = from.and_then(|from| entry.replicas.iter().position(|r| *r == from));
        match position {
            Some(i) => entry.replicas[i] = to,
            None => entry.replicas.push(to),
        }
        let mut seen = Vec::with_capacity(entry.replicas.len());
        entry.replicas.retain(|replica| {
            let first = !seen.contains(replica);
            seen.push(*replica);
            first
        });
    }

    /// True when ranges are sorted, contiguous, non-overlapping and cover all of `u64`.
    pub fn covers_hash_space(&self) -> bool {
        let mut expected_start = 0u64;
        for (i, shard) in self.shards.iter().enumerate() {
            if shard.range.start != expected_start || shard.range.end < shard.range.start {
                return false;
            }
            if i + 1 == self.shards.len() {
                return shard.range.end == u64::MAX;
            }
            match shard.range.end.checked_add(1) {
                Some(next) => expected_start = next,
                None => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn key_hash_is_the_documented_function() {
        // Pinned values: if these change, every existing cluster would misroute keys.
        assert_eq!(key_hash(b""), 0x2d06800538d394c2);
        assert_eq!(key_hash(b"shoal"), xxhash_rust::xxh3::xxh3_64(b"shoal"));
    }

    #[test]
    fn node_states_round_trip_as_words() {
        for state in [
            NodeState::Joining,
            NodeState::Active,
            NodeState::Draining,
            NodeState::Decommissioned,
            NodeState::Leaving,
        ] {
            assert_eq!(NodeState::parse(state.as_str()), Some(state));
        }
        assert_eq!(NodeState::parse("sleeping"), None);
    }

    #[test]
    fn group_ids_round_trip() {
        assert_eq!(GroupId::META.shard(), None);
        assert_eq!(GroupId::for_shard(ShardId(0)), GroupId(1));
        assert_eq!(GroupId(17).shard(), Some(ShardId(16)));
    }

    #[test]
    fn a_finished_move_takes_the_sources_place() {
        let mut map = ShardMap::initial(2, &[NodeId(1), NodeId(2), NodeId(3)]).unwrap();
        map.apply_move(ShardId(0), Some(NodeId(1)), NodeId(4));
        assert_eq!(map.shards[0].replicas, [4, 2, 3].map(NodeId));
        // Nothing replaced: the new replica goes last; applying twice changes nothing.
        map.apply_move(ShardId(1), None, NodeId(4));
        map.apply_move(ShardId(1), None, NodeId(4));
        assert_eq!(map.shards[1].replicas, [1, 2, 3, 4].map(NodeId));
        // A source that is already gone: the target is kept once.
        map.apply_move(ShardId(0), Some(NodeId(9)), NodeId(4));
        assert_eq!(map.shards[0].replicas, [4, 2, 3].map(NodeId));
        assert_eq!(map.epoch, 1);
    }

    #[test]
    fn sixteen_shards_split_on_nibble_boundaries() {
        let ranges = uniform_ranges(16).unwrap();
        assert_eq!(
            ranges[1],
            HashRange {
                start: 0x1000_0000_0000_0000,
                end: 0x1fff_ffff_ffff_ffff
            }
        );
        assert_eq!(ranges[15].end, u64::MAX);
    }

    #[test]
    fn shard_count_is_validated() {
        assert_eq!(uniform_ranges(0), Err(ShardMapError::ShardCount(0)));
        assert!(uniform_ranges(MAX_SHARDS + 1).is_err());
    }

    proptest! {
        #[test]
        fn uniform_maps_cover_the_hash_space(count in 1u32..=MAX_SHARDS) {
            let map = ShardMap::initial(count, &[NodeId(1)]).unwrap();
            prop_assert_eq!(map.shards.len(), count as usize);
            prop_assert!(map.covers_hash_space());
        }

        #[test]
        fn lookup_finds_the_range_holding_the_hash(count in 1u32..=256, hash in any::<u64>()) {
            let map = ShardMap::initial(count, &[NodeId(1)]).unwrap();
            let owner = map.shard_for_hash(hash);
            prop_assert!(owner.range.contains(hash));
            let holders = map.shards.iter().filter(|s| s.range.contains(hash)).count();
            prop_assert_eq!(holders, 1);
        }

        #[test]
        fn keys_spread_over_all_shards(seed in any::<u64>()) {
            let map = ShardMap::initial(16, &[NodeId(1)]).unwrap();
            let mut hit = [0u32; 16];
            for i in 0..4096u64 {
                let key = format!("key-{seed}-{i}");
                hit[map.shard_for_key(key.as_bytes()).id.0 as usize] += 1;
            }
            // 4096 keys over 16 shards: 256 expected each; a fair hash never starves one.
            prop_assert!(hit.iter().all(|&n| n > 128), "{:?}", hit);
        }
    }
}
