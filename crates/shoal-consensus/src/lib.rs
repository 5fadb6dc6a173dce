//! shoal's multi-Raft engine: many openraft groups on one node sharing one redb log file with
//! a group-committing writer, one redb state file, and one transport for every peer call.
//!
//! Architecture invariant: openraft and redb are used only inside this crate. Callers see
//! [`RaftGroup`], [`StateMachine`], [`Storage`] and [`ConsensusError`]; commands and responses
//! are opaque bytes encoded by the state machine that owns them.

pub mod clocks;
mod error;
mod events;
mod group;
pub mod machine;
mod pipe;
mod spans;
pub mod storage;
pub mod transfer;
pub mod transport;
mod types;

pub use error::ConsensusError;
pub use events::GroupEvents;
pub use group::{GroupRole, GroupStatus, PURGE_BATCH, RaftGroup, RaftSettings};
pub use machine::{NullMachine, StateMachine};
pub use pipe::PipeError;
pub use spans::child_span;
pub use storage::{
    Corrupt, GroupReader, GroupWriter, PointDigest, Storage, StorageCounters, StorageOptions,
};
pub use transfer::{TransferProgress, Transfers};
pub use transport::{
    DEFAULT_MAX_MESSAGE_BYTES, Fault, Faults, ForwardHandler, PeerChannel, Peers, Transport,
    max_message_bytes_for,
};
pub use types::NodeId;

#[doc(hidden)]
pub mod testing {
    //! Types exposed only for the storage conformance test.
    pub use crate::storage::{LogStore, MachineStore};
    pub use crate::types::TypeConfig;
}
