//! The interface between the consensus engine and the replicated state machines built on it.
//!
//! A state machine never sees openraft or redb: it receives the log index and the opaque
//! command bytes of each committed entry plus keyed access to its own group's data, and
//! returns opaque response bytes. Apply runs on the group's state-machine task against the
//! group's overlay of not-yet-committed changes; the state writer later commits the changes
//! together with the applied index, so state and applied index never diverge on disk.

use std::io;

pub use crate::storage::{GroupReader, GroupWriter};

/// A deterministic state machine replicated by one Raft group.
pub trait StateMachine: Send + Sync + 'static {
    /// Applies the command committed at `index`. Must be deterministic: the same data,
    /// index and command give the same result on every replica. A command the machine
    /// rejects is a normal response, not an error; errors are storage failures only.
    fn apply(
        &self,
        data: &mut GroupWriter<'_, '_>,
        index: u64,
        command: &[u8],
    ) -> io::Result<Vec<u8>>;
}

/// A machine that applies nothing: for groups whose entries carry no commands (tests).
#[derive(Debug, Default)]
pub struct NullMachine;

impl StateMachine for NullMachine {
    fn apply(
        &self,
        _data: &mut GroupWriter<'_, '_>,
        _index: u64,
        _command: &[u8],
    ) -> io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
}
