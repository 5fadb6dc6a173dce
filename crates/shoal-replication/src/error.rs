//! Errors of the replication layer and the small, stable error codes every layer above
//! maps them to (the gRPC edge turns codes into status codes in exactly one place).

use shoal_consensus::ConsensusError;
use shoal_shardmap::{GroupId, NodeId};

/// Stable classification of a failure, independent of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidArgument,
    /// What the request names does not exist (a shard, a node).
    NotFound,
    FailedPrecondition,
    /// This server does not offer the operation (here).
    Unsupported,
    NotLeader,
    WrongShard,
    Unavailable,
    Timeout,
    Internal,
    /// No (valid) credentials.
    Unauthenticated,
    /// Valid credentials that do not allow this.
    PermissionDenied,
    /// Stored data is damaged (it failed its checksum) and is not served.
    DataLoss,
    /// The node cannot take the write now: its disk is full or below the reserve.
    ResourceExhausted,
}

/// A failed KV or cluster operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReplicationError {
    /// A request field is invalid; `field` names it.
    #[error("{field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    /// Compare-and-set found another version.
    #[error("version mismatch: expected version {expected}, current version is {current}")]
    VersionMismatch { expected: u64, current: u64 },
    /// This node does not lead the shard; the leader (and its internal address) when known.
    #[error("not the leader of {group}{}", leader.map(|l| format!("; leader is node {l}")).unwrap_or_default())]
    NotLeader {
        group: GroupId,
        leader: Option<NodeId>,
        leader_address: Option<String>,
    },
    /// This node holds no replica of the shard owning the key.
    #[error("shard {shard} is not hosted on this node")]
    WrongShard { shard: u32 },
    /// The node or group cannot serve now (starting, electing, shutting down).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request could not be delivered to the node that must serve it and provably
    /// changed nothing (the connection was never opened, or it was refused before being
    /// read): safe to send again.
    #[error("unavailable: {0}; the request was not delivered and changed nothing")]
    NotDelivered(String),
    /// What the request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but the cluster's state does not allow it now; the
    /// message says what is missing.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The operation is not offered here; the message says where it is.
    #[error("{0}")]
    Unsupported(String),
    /// The operation did not finish in time; it may or may not have been applied.
    #[error("timed out after {0:?}; the operation may or may not have been applied")]
    Timeout(std::time::Duration),
    /// A storage or invariant failure.
    #[error("internal error: {0}")]
    Internal(String),
    /// The request carries no valid API key; the message says what is wrong with it.
    #[error("{0}")]
    Unauthenticated(String),
    /// The API key does not allow this; the message names what is missing.
    #[error("{0}")]
    PermissionDenied(String),
    /// A stored record failed its checksum: it is not served. The message names the file,
    /// the shard and the record, and what to do.
    #[error("data loss: {0}")]
    DataLoss(String),
    /// The shard's leader cannot take the write now (its disk is full, or below the
    /// reserve); the message names the node, the path and the free space. Nothing was
    /// proposed.
    #[error("{0}")]
    ResourceExhausted(String),
    /// The answer of the peer a request was forwarded to, kept as it was.
    #[error("{message}")]
    Remote { code: ErrorCode, message: String },
}

impl ReplicationError {
    /// True when the error proves the request changed nothing (refused before proposing,
    /// or never delivered), so it may be sent again.
    pub fn is_not_applied(&self) -> bool {
        matches!(
            self,
            ReplicationError::NotLeader { .. }
                | ReplicationError::WrongShard { .. }
                | ReplicationError::NotDelivered(_)
        )
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ReplicationError::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            ReplicationError::VersionMismatch { .. } => ErrorCode::FailedPrecondition,
            ReplicationError::NotLeader { .. } => ErrorCode::NotLeader,
            ReplicationError::WrongShard { .. } => ErrorCode::WrongShard,
            ReplicationError::Unavailable(_) | ReplicationError::NotDelivered(_) => {
                ErrorCode::Unavailable
            }
            ReplicationError::NotFound(_) => ErrorCode::NotFound,
            ReplicationError::FailedPrecondition(_) => ErrorCode::FailedPrecondition,
            ReplicationError::Unsupported(_) => ErrorCode::Unsupported,
            ReplicationError::Timeout(_) => ErrorCode::Timeout,
            ReplicationError::Internal(_) => ErrorCode::Internal,
            ReplicationError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ReplicationError::PermissionDenied(_) => ErrorCode::PermissionDenied,
            ReplicationError::DataLoss(_) => ErrorCode::DataLoss,
            ReplicationError::ResourceExhausted(_) => ErrorCode::ResourceExhausted,
            ReplicationError::Remote { code, .. } => *code,
        }
    }
}

impl From<ConsensusError> for ReplicationError {
    fn from(error: ConsensusError) -> Self {
        let group = error.group();
        let name = group.to_string();
        match error {
            ConsensusError::NotLeader {
                leader,
                leader_address,
                ..
            } => ReplicationError::NotLeader {
                group,
                leader,
                leader_address,
            },
            ConsensusError::Unavailable { reason, .. } => {
                ReplicationError::Unavailable(format!("{name}: {reason}"))
            }
            ConsensusError::Storage { source, .. } => match shoal_consensus::Corrupt::of(&source) {
                Some(corrupt) => ReplicationError::DataLoss(corrupt.to_string()),
                None => ReplicationError::Internal(format!("{name}: storage: {source}")),
            },
            ConsensusError::Fatal { reason, .. } => {
                ReplicationError::Unavailable(format!("{name} stopped: {reason}"))
            }
            error @ ConsensusError::Damaged { .. } => ReplicationError::DataLoss(error.to_string()),
        }
    }
}

impl From<std::io::Error> for ReplicationError {
    fn from(error: std::io::Error) -> Self {
        match shoal_consensus::Corrupt::of(&error) {
            Some(corrupt) => ReplicationError::DataLoss(corrupt.to_string()),
            None => ReplicationError::Internal(error.to_string()),
        }
    }
}
