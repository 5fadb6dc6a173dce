//! Errors of the control plane. Every variant maps to one of the stable `ErrorCode`s; the
//! gRPC edge turns them into status codes in its one place (through `ReplicationError`).

use shoal_consensus::ConsensusError;
use shoal_replication::{ErrorCode, ReplicationError};

/// A control operation that failed or was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ControlError {
    /// A request field is invalid; `field` names it.
    #[error("{field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    /// What the request names does not exist (a shard, a node).
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but the cluster's state does not allow it now; says what is
    /// missing.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The control plane cannot act right now (no leader, starting, shutting down).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A replicated operation underneath failed.
    #[error(transparent)]
    Replication(#[from] ReplicationError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ControlError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ControlError::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            ControlError::NotFound(_) => ErrorCode::NotFound,
            ControlError::FailedPrecondition(_) => ErrorCode::FailedPrecondition,
            ControlError::Unavailable(_) => ErrorCode::Unavailable,
            ControlError::Replication(error) => error.code(),
            ControlError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<ConsensusError> for ControlError {
    fn from(error: ConsensusError) -> Self {
        ControlError::Replication(error.into())
    }
}

impl From<std::io::Error> for ControlError {
    fn from(error: std::io::Error) -> Self {
        ControlError::Internal(error.to_string())
    }
}

impl From<ControlError> for ReplicationError {
    fn from(error: ControlError) -> Self {
        match error {
            ControlError::InvalidArgument { field, reason } => {
                ReplicationError::InvalidArgument { field, reason }
            }
            ControlError::NotFound(reason) => ReplicationError::NotFound(reason),
            ControlError::FailedPrecondition(reason) => {
                ReplicationError::FailedPrecondition(reason)
            }
            ControlError::Unavailable(reason) => ReplicationError::Unavailable(reason),
            ControlError::Replication(error) => error,
            ControlError::Internal(reason) => ReplicationError::Internal(reason),
        }
    }
}
