//! shoal's replicated state machines and the handles that drive them: the KV shard machine
//! (versions, compare-and-set, leader-stamped TTLs, batched expiry) with this node's
//! replicas of it, the meta machine (identity, node registry, shard map, moves), the
//! routing view (map + hosted replicas) and the directory of peers.
//!
//! Architecture invariant: every decision a machine makes while applying depends only on
//! the command and the data, never on the applying replica's clock or configuration.

pub mod api_key;
mod clock;
mod directory;
mod error;
pub mod kv;
pub mod meta;
mod replica;
mod routing;

pub use clock::Clock;
pub use directory::{Directory, PeerInfo};
pub use error::{ErrorCode, ReplicationError};
pub use kv::KvMachine;
pub use meta::{Meta, MetaMachine};
pub use replica::{
    BatchOp, BatchOutcome, Consistency, ReadValue, ShardReplica, run_expiry_collector,
};
pub use routing::{LocalReplicas, RoutingView};
