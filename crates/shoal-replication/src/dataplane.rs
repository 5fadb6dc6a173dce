//! What one node serves: its meta group handle, the shard map it applied, and the shard
//! replicas it hosts. The gateway routes every request through this. Both the map and the
//! hosted replicas change while the node runs (replica moves): readers take a consistent
//! view of the two at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use shoal_consensus::{Storage, Transport};
use shoal_shardmap::{NodeId, ShardId, ShardMap};

use crate::directory::Directory;
use crate::error::ReplicationError;
use crate::meta::Meta;
use crate::shard::Shard;

/// The shard map this node applied and the replicas it hosts, as one view.
#[derive(Debug, Clone)]
pub struct Hosting {
    pub shard_map: Arc<ShardMap>,
    /// Replicas hosted here, by shard id.
    pub shards: BTreeMap<ShardId, Shard>,
}

/// The node's data plane.
#[derive(Debug)]
pub struct Dataplane {
    node_id: NodeId,
    node_name: String,
    meta: Meta,
    hosting: RwLock<Arc<Hosting>>,
    storage: Storage,
    transport: Arc<Transport>,
    directory: Arc<Directory>,
    /// Why moves are not progressing, by move id (kept by the placement driver).
    move_notes: Mutex<BTreeMap<u64, String>>,
}

/// Everything a [`Dataplane`] is made of.
#[derive(Debug)]
pub struct DataplaneParts {
    pub node_id: NodeId,
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
        let shards = parts.hosted.into_iter().map(|s| (s.id(), s)).collect();
        Dataplane {
            node_id: parts.node_id,
            node_name: parts.node_name,
            meta: parts.meta,
            hosting: RwLock::new(Arc::new(Hosting {
                shard_map: Arc::new(parts.shard_map),
                shards,
            })),
            storage: parts.storage,
            transport: parts.transport,
            directory: parts.directory,
            move_notes: Mutex::default(),
        }
    }

    /// The current map and hosted replicas.
    pub fn hosting(&self) -> Arc<Hosting> {
        self.hosting.read().expect("hosting poisoned").clone()
    }

    /// Replaces the view (the node's reconciler, after the meta group changed the map or
    /// a replica was started or removed here).
    pub fn set_hosting(&self, hosting: Hosting) {
        *self.hosting.write().expect("hosting poisoned") = Arc::new(hosting);
    }

    /// Records (or with `None` clears) why move `id` is not progressing.
    pub fn set_move_note(&self, id: u64, note: Option<String>) {
        let mut notes = self.move_notes.lock().expect("notes poisoned");
        match note {
            Some(note) => notes.insert(id, note),
            None => notes.remove(&id),
        };
    }

    pub fn move_note(&self, id: u64) -> Option<String> {
        self.move_notes
            .lock()
            .expect("notes poisoned")
            .get(&id)
            .cloned()
    }

    pub fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// The shard owning `key`.
    pub fn shard_id_for_key(&self, key: &[u8]) -> ShardId {
        self.hosting().shard_map.shard_for_key(key).id
    }

    /// The local replica of `shard`, if this node hosts one.
    pub fn hosted(&self, shard: ShardId) -> Option<Shard> {
        self.hosting().shards.get(&shard).cloned()
    }

    /// The current leader of `shard` as far as this node knows: its own replica's view, or
    /// the gossip hint for shards it does not host.
    pub fn leader_of(&self, shard: ShardId) -> Option<NodeId> {
        // A replica still being moved here knows no leader until its leader reaches it.
        self.hosted(shard)
            .and_then(|local| local.group().leader())
            .or_else(|| self.directory.leader_hint(shard))
    }

    /// Internal address of `node` (this node's own included).
    pub fn internal_address(&self, node: NodeId) -> Option<String> {
        self.directory.internal_address(node)
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    pub fn shard_map(&self) -> Arc<ShardMap> {
        self.hosting().shard_map.clone()
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Replicas hosted on this node, in shard order.
    pub fn hosted_shards(&self) -> Vec<Shard> {
        self.hosting().shards.values().cloned().collect()
    }

    /// The local replica of the shard owning `key`.
    pub fn shard_for_key(&self, key: &[u8]) -> Result<Shard, ReplicationError> {
        let hosting = self.hosting();
        let id = hosting.shard_map.shard_for_key(key).id;
        hosting
            .shards
            .get(&id)
            .cloned()
            .ok_or(ReplicationError::WrongShard { shard: id.0 })
    }

    /// True when the meta group and every hosted shard have a leader.
    pub fn is_ready(&self) -> bool {
        self.meta.group().leader().is_some()
            && self
                .hosting()
                .shards
                .values()
                .all(|shard| shard.group().leader().is_some())
    }
}
