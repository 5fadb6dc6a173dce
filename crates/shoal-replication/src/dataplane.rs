//! What one node serves: its meta group handle, the shard map it applied, and the shard
//! replicas it hosts. The gateway routes every request through this.

use shoal_consensus::Storage;
use shoal_shardmap::{ShardId, ShardMap};

use crate::error::ReplicationError;
use crate::meta::Meta;
use crate::shard::Shard;

/// The node's data plane.
#[derive(Debug, Clone)]
pub struct Dataplane {
    node_id: u64,
    node_name: String,
    meta: Meta,
    shard_map: ShardMap,
    /// Replicas hosted here, indexed by shard id (`None` = not hosted on this node).
    shards: Vec<Option<Shard>>,
    storage: Storage,
}

impl Dataplane {
    pub fn new(
        node_id: u64,
        node_name: String,
        meta: Meta,
        shard_map: ShardMap,
        hosted: Vec<Shard>,
        storage: Storage,
    ) -> Dataplane {
        let mut shards = vec![None; shard_map.shards.len()];
        for shard in hosted {
            let index = shard.id().0 as usize;
            shards[index] = Some(shard);
        }
        Dataplane {
            node_id,
            node_name,
            meta,
            shard_map,
            shards,
            storage,
        }
    }

    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    pub fn shard_map(&self) -> &ShardMap {
        &self.shard_map
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Replicas hosted on this node, in shard order.
    pub fn hosted_shards(&self) -> impl Iterator<Item = &Shard> {
        self.shards.iter().flatten()
    }

    /// The local replica of the shard owning `key`.
    pub fn shard_for_key(&self, key: &[u8]) -> Result<&Shard, ReplicationError> {
        let ShardId(id) = self.shard_map.shard_for_key(key).id;
        self.shards
            .get(id as usize)
            .and_then(Option::as_ref)
            .ok_or(ReplicationError::WrongShard { shard: id })
    }

    /// True when the meta group and every hosted shard have a leader.
    pub fn is_ready(&self) -> bool {
        self.meta.group().leader().is_some()
            && self
                .hosted_shards()
                .all(|shard| shard.group().leader().is_some())
    }
}
