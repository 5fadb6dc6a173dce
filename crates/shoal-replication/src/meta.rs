//! The meta (control-plane) state machine: the node registry and the shard map with its
//! epoch. Replicated by group 0; data shards read their assignment from it.

use std::io;

use serde::{Deserialize, Serialize};
use shoal_consensus::{GroupReader, GroupWriter, RaftGroup, StateMachine};
use shoal_shardmap::ShardMap;

use crate::error::ReplicationError;

const SPACE_META: u8 = 0;
const KEY_CLUSTER: &[u8] = b"cluster";
const KEY_SHARD_MAP: &[u8] = b"shard_map";
const NODE_PREFIX: &[u8] = b"node/";
/// Format 2 added the zone and admin address of nodes.
const FORMAT: u8 = 2;

/// Lifecycle state of a node in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeState {
    Joining,
    Active,
    Draining,
    Decommissioned,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Joining => "joining",
            NodeState::Active => "active",
            NodeState::Draining => "draining",
            NodeState::Decommissioned => "decommissioned",
        }
    }

    pub fn parse(text: &str) -> Option<NodeState> {
        Some(match text {
            "joining" => NodeState::Joining,
            "active" => NodeState::Active,
            "draining" => NodeState::Draining,
            "decommissioned" => NodeState::Decommissioned,
            _ => return None,
        })
    }
}

/// A node as the control plane knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub id: u64,
    pub name: String,
    pub internal_address: String,
    pub client_address: String,
    pub admin_address: String,
    pub zone: Option<String>,
    pub state: NodeState,
}

/// Identity of the cluster, fixed at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterIdentity {
    pub cluster_id: String,
    pub created_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaCommand {
    /// Creates the cluster's identity, first shard map and registry of its first nodes;
    /// a no-op when the cluster exists.
    CreateCluster {
        identity: ClusterIdentity,
        shard_map: ShardMap,
        nodes: Vec<NodeRecord>,
    },
    /// Adds or updates a node in the registry.
    RegisterNode(NodeRecord),
    /// Changes a registered node's state (drain, undrain); rejected for unknown nodes.
    SetNodeState { node_id: u64, state: NodeState },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaResponse {
    Created,
    AlreadyCreated,
    Registered,
    Rejected {
        reason: String,
    },
    /// The node's state before the change.
    NodeStateSet {
        previous: NodeState,
    },
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT];
    out.extend(postcard::to_allocvec(value).expect("meta values always serialize"));
    out
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => {
            postcard::from_bytes(rest).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unknown meta value format",
        )),
    }
}

fn node_key(id: u64) -> Vec<u8> {
    let mut key = NODE_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// The meta group's state machine.
#[derive(Debug, Default)]
pub struct MetaMachine;

impl StateMachine for MetaMachine {
    fn apply(
        &self,
        data: &mut GroupWriter<'_, '_>,
        _index: u64,
        command: &[u8],
    ) -> io::Result<Vec<u8>> {
        let response = match decode::<MetaCommand>(command) {
            Err(error) => MetaResponse::Rejected {
                reason: error.to_string(),
            },
            Ok(MetaCommand::CreateCluster {
                identity,
                shard_map,
                nodes,
            }) => {
                if data.get(SPACE_META, KEY_SHARD_MAP)?.is_some() {
                    MetaResponse::AlreadyCreated
                } else {
                    data.put(SPACE_META, KEY_CLUSTER, &encode(&identity))?;
                    data.put(SPACE_META, KEY_SHARD_MAP, &encode(&shard_map))?;
                    for node in nodes {
                        data.put(SPACE_META, &node_key(node.id), &encode(&node))?;
                    }
                    MetaResponse::Created
                }
            }
            Ok(MetaCommand::RegisterNode(node)) => {
                data.put(SPACE_META, &node_key(node.id), &encode(&node))?;
                MetaResponse::Registered
            }
            Ok(MetaCommand::SetNodeState { node_id, state }) => {
                match data.get(SPACE_META, &node_key(node_id))? {
                    None => MetaResponse::Rejected {
                        reason: format!("node {node_id} is not registered in this cluster"),
                    },
                    Some(bytes) => {
                        let mut node: NodeRecord = decode(&bytes)?;
                        let previous = node.state;
                        node.state = state;
                        data.put(SPACE_META, &node_key(node_id), &encode(&node))?;
                        MetaResponse::NodeStateSet { previous }
                    }
                }
            }
        };
        Ok(encode(&response))
    }
}

/// Read and write access to the control plane through the meta group.
#[derive(Debug, Clone)]
pub struct Meta {
    group: RaftGroup,
}

impl Meta {
    pub fn new(group: RaftGroup) -> Meta {
        Meta { group }
    }

    pub fn group(&self) -> &RaftGroup {
        &self.group
    }

    pub async fn propose(&self, command: &MetaCommand) -> Result<MetaResponse, ReplicationError> {
        let (_, response) = self.group.propose(encode(command)).await?;
        Ok(decode(&response)?)
    }

    fn reader(&self) -> Result<GroupReader, ReplicationError> {
        Ok(self.group.reader()?)
    }

    /// The shard map as applied on this node, if the cluster was created.
    pub fn shard_map(&self) -> Result<Option<ShardMap>, ReplicationError> {
        let bytes = self.reader()?.get(SPACE_META, KEY_SHARD_MAP)?;
        Ok(bytes.map(|b| decode(&b)).transpose()?)
    }

    pub fn identity(&self) -> Result<Option<ClusterIdentity>, ReplicationError> {
        let bytes = self.reader()?.get(SPACE_META, KEY_CLUSTER)?;
        Ok(bytes.map(|b| decode(&b)).transpose()?)
    }

    pub fn nodes(&self) -> Result<Vec<NodeRecord>, ReplicationError> {
        let mut end = NODE_PREFIX.to_vec();
        *end.last_mut().expect("non-empty prefix") += 1;
        let entries = self
            .reader()?
            .range(SPACE_META, NODE_PREFIX, &end, usize::MAX)?;
        Ok(entries
            .into_iter()
            .map(|(_, v)| decode(&v))
            .collect::<io::Result<_>>()?)
    }
}
