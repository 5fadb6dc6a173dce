//! The openraft type configuration shared by every group (meta and data alike), so one
//! log store, one writer and one transport serve all of them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An opaque command proposed to a group, encoded by the state machine that applies it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command(pub Vec<u8>);

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({} bytes)", self.0.len())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "command of {} bytes", self.0.len())
    }
}

/// The state machine's answer to one applied command, encoded by that state machine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResponse(pub Vec<u8>);

openraft::declare_raft_types!(
    /// Type configuration of every shoal Raft group.
    pub TypeConfig:
        D = Command,
        R = CommandResponse,
        NodeId = shoal_shardmap::NodeId,
        Node = openraft::BasicNode,
);

pub use shoal_shardmap::NodeId;
pub type Entry = openraft::alias::EntryOf<TypeConfig>;
pub type LogId = openraft::alias::LogIdOf<TypeConfig>;
pub type Vote = openraft::alias::VoteOf<TypeConfig>;
pub type StoredMembership = openraft::alias::StoredMembershipOf<TypeConfig>;
pub type SnapshotMeta = openraft::alias::SnapshotMetaOf<TypeConfig>;
