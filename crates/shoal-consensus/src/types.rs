//! The openraft type configuration shared by every group (meta and data alike), so one
//! log store, one writer and one transport serve all of them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An opaque command proposed to a group, encoded by the state machine that applies it,
/// and — in memory only — the trace context of the proposal when it is traced, so the
/// spans of the log write and of replication can link to the request that proposed it.
/// The context is never stored: the log holds exactly the command's bytes (the encoding is
/// the one of a bare `Vec<u8>`), and the transport carries it beside the append message.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command(
    pub Vec<u8>,
    #[serde(skip)] pub Option<opentelemetry::trace::SpanContext>,
);

impl Command {
    /// An untraced command.
    pub fn untraced(bytes: Vec<u8>) -> Command {
        Command(bytes, None)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_stored_as_its_bytes_alone_and_its_trace_is_not_stored() {
        let bytes = b"put k v".to_vec();
        let traced = Command(
            bytes.clone(),
            Some(opentelemetry::trace::SpanContext::new(
                opentelemetry::trace::TraceId::from(7),
                opentelemetry::trace::SpanId::from(9),
                opentelemetry::trace::TraceFlags::SAMPLED,
                false,
                Default::default(),
            )),
        );
        let encoded = postcard::to_allocvec(&traced).unwrap();
        assert_eq!(encoded, postcard::to_allocvec(&bytes).unwrap());
        let decoded: Command = postcard::from_bytes(&encoded).unwrap();
        assert_eq!(decoded, Command::untraced(bytes));
    }
}
