//! This node's identity and addresses, as it records itself in the registry and publishes
//! itself in gossip.

use shoal_membership::NodeInfo;
use shoal_replication::meta::NodeRecord;
use shoal_shardmap::{NodeId, NodeState};

/// Who this node is and where it is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    pub node_id: NodeId,
    pub name: String,
    /// The address peers dial (`cluster.advertise_address`).
    pub internal_address: String,
    pub client_address: String,
    pub admin_address: String,
    pub zone: Option<String>,
}

impl NodeIdentity {
    /// This node's registry record.
    pub fn record(&self, state: NodeState) -> NodeRecord {
        NodeRecord {
            id: self.node_id,
            name: self.name.clone(),
            internal_address: self.internal_address.clone(),
            client_address: self.client_address.clone(),
            admin_address: self.admin_address.clone(),
            zone: self.zone.clone(),
            state,
        }
    }

    /// What this node gossips about itself before it knows anything else: joining, not
    /// ready, leading nothing, in no cluster.
    pub fn info(&self) -> NodeInfo {
        NodeInfo {
            name: self.name.clone(),
            internal_address: self.internal_address.clone(),
            client_address: self.client_address.clone(),
            admin_address: self.admin_address.clone(),
            zone: self.zone.clone(),
            state: NodeState::Joining,
            ready: false,
            leading_shards: Vec::new(),
            shard_map_epoch: 0,
            cluster_id: None,
            damaged_shards: Vec::new(),
            writes_refused: false,
        }
    }
}
