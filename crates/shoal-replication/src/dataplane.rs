//! What one node serves: its meta group handle, the shard map it applied, and the shard
//! replicas it hosts. The gateway routes every request through this.

use std::sync::Arc;

use shoal_consensus::{Storage, Transport};
use shoal_shardmap::{ShardEntry, ShardId, ShardMap};

use crate::directory::Directory;
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
    transport: Arc<Transport>,
    directory: Arc<Directory>,
}

/// Everything a [`Dataplane`] is made of.
#[derive(Debug)]
pub struct DataplaneParts {
    pub node_id: u64,
    pub node_name: String,
    pub meta: Meta,
    pub shard_map: ShardMap,
    pub hosted: Vec<Shard>,
    pub storage: Storage,
    pub transport: Arc<Transport>,
    pub directory: Arc<Directory>,
}

impl Dataplane {
    pub fn new(parts: DataplaneParts) -> Dataplane {
        let mut shards = vec![None; parts.shard_map.shards.len()];
        for shard in parts.hosted {
            let index = shard.id().0 as usize;
            shards[index] = Some(shard);
        }
        Dataplane {
            node_id: parts.node_id,
            node_name: parts.node_name,
            meta: parts.meta,
            shard_map: parts.shard_map,
            shards,
            storage: parts.storage,
            transport: parts.transport,
            directory: parts.directory,
        }
    }

    pub fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// The shard-map entry owning `key`.
    pub fn entry_for_key(&self, key: &[u8]) -> &ShardEntry {
        self.shard_map.shard_for_key(key)
    }

    /// The local replica of `shard`, if this node hosts one.
    pub fn hosted(&self, shard: ShardId) -> Option<&Shard> {
        self.shards.get(shard.0 as usize).and_then(Option::as_ref)
    }

    /// The current leader of `shard` as far as this node knows: its own replica's view, or
    /// the gossip hint for shards it does not host.
    pub fn leader_of(&self, shard: ShardId) -> Option<u64> {
        match self.hosted(shard) {
            Some(local) => local.group().leader(),
            None => self.directory.leader_hint(shard.0),
        }
    }

    /// Internal address of `node` (this node's own included).
    pub fn internal_address(&self, node: u64) -> Option<String> {
        self.directory.internal_address(node)
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
