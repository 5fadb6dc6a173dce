//! Errors of the consensus layer, split into per-call errors and fatal ones.

use std::io;

/// A per-call failure of a group operation.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// This node does not lead the group; `leader` is the current leader when known, with
    /// its internal address.
    #[error("this node is not the leader of group {group}{}", leader.map(|l| format!(" (leader is node {l})")).unwrap_or_default())]
    NotLeader {
        group: u64,
        leader: Option<u64>,
        leader_address: Option<String>,
    },
    /// The group cannot serve right now (no leader, no quorum, shutting down).
    #[error("group {group} is unavailable: {reason}")]
    Unavailable { group: u64, reason: String },
    /// The storage under the group failed.
    #[error("storage error in group {group}: {source}")]
    Storage { group: u64, source: io::Error },
    /// The group's Raft state machine stopped for good; the node must restart.
    #[error("group {group} stopped: {reason}")]
    Fatal { group: u64, reason: String },
}

impl ConsensusError {
    pub fn group(&self) -> u64 {
        match self {
            ConsensusError::NotLeader { group, .. }
            | ConsensusError::Unavailable { group, .. }
            | ConsensusError::Storage { group, .. }
            | ConsensusError::Fatal { group, .. } => *group,
        }
    }
}
