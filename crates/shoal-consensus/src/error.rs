//! Errors of the consensus layer, split into per-call errors and fatal ones.

use std::io;

use shoal_shardmap::{GroupId, NodeId};

/// A per-call failure of a group operation.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// This node does not lead the group; `leader` is the current leader when known, with
    /// its internal address.
    #[error("this node is not the leader of {group}{}", leader.map(|l| format!(" (leader is node {l})")).unwrap_or_default())]
    NotLeader {
        group: GroupId,
        leader: Option<NodeId>,
        leader_address: Option<String>,
    },
    /// The group cannot serve right now (no leader, no quorum, shutting down).
    #[error("{group} is unavailable: {reason}")]
    Unavailable { group: GroupId, reason: String },
    /// The storage under the group failed.
    #[error("storage error in {group}: {source}")]
    Storage { group: GroupId, source: io::Error },
    /// The group's Raft state machine stopped for good; the node must restart.
    #[error("{group} stopped: {reason}")]
    Fatal { group: GroupId, reason: String },
    /// This node's replica of the group is damaged (quarantined): it does not run until it
    /// is rebuilt from a healthy replica.
    #[error("this node's replica of {group} is damaged and does not run: {reason}")]
    Damaged { group: GroupId, reason: String },
}

impl ConsensusError {
    pub fn group(&self) -> GroupId {
        match self {
            ConsensusError::NotLeader { group, .. }
            | ConsensusError::Unavailable { group, .. }
            | ConsensusError::Storage { group, .. }
            | ConsensusError::Fatal { group, .. }
            | ConsensusError::Damaged { group, .. } => *group,
        }
    }
}
