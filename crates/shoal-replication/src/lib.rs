//! shoal's replicated state machines and the handles that drive them: the KV shard machine
//! (versions, compare-and-set, leader-stamped TTLs, batched expiry) and the meta machine
//! (node registry, shard map).
//!
//! Architecture invariant: every decision a machine makes while applying depends only on
//! the command and the data, never on the applying replica's clock or configuration.

mod clock;
mod dataplane;
mod directory;
mod error;
pub mod kv;
pub mod meta;
mod shard;

pub use clock::Clock;
pub use dataplane::{Dataplane, DataplaneParts, Hosting};
pub use directory::{Directory, PeerInfo};
pub use error::{ErrorCode, ReplicationError};
pub use kv::KvMachine;
pub use meta::{Meta, MetaMachine};
pub use shard::{Consistency, ReadValue, Shard, run_expiry_collector};
pub use shoal_consensus::{
    Fault, Faults, GroupRole, GroupStatus, Peers, StorageCounters, Transport,
};
