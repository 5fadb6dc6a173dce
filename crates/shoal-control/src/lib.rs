//! shoal's control plane: every decision about the cluster's shape, and the one actor per
//! node that carries them out.
//!
//! - [`ClusterView`] (`view.rs`): the cluster at one moment, plain data;
//! - [`engine`]: sans-IO decisions from a view — node roles, replica moves step by step,
//!   drain and decommission, meta membership, who leads, what this node hosts, bootstrap;
//! - [`Command`]s the engine asks for, carried out through the [`ports`] (shard admin,
//!   meta log, gossip, replica host), implemented locally here (`local.rs`), over gRPC in
//!   the gateway, and in memory for tests (`testsuite`);
//! - [`actor`]: the control actor — background jobs with their status, and operators'
//!   requests through a [`ControlHandle`];
//! - [`startup`]: how a node comes to belong to a cluster.
//!
//! Architecture invariant: no tonic, no prost (checked by tidy): decisions speak shoal's
//! own types, and the gRPC edge converts.

pub mod actor;
#[cfg(test)]
mod actor_tests;
mod command;
pub mod engine;
mod error;
mod identity;
pub mod local;
pub mod ports;
mod settings;
pub mod source;
pub mod startup;
#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;
mod view;

pub use actor::{
    ControlContext, ControlHandle, JobStatus, MoveProgress, MovesReport, ReadySignal,
    RebalanceOutcome,
};
pub use command::{Command, ShardChange};
pub use error::ControlError;
pub use identity::NodeIdentity;
pub use ports::{Gossip, MetaLog, MetaState, NodeProbe, Ports, ReplicaHost, ShardAdmin};
pub use settings::ControlSettings;
pub use source::ViewSource;
pub use view::{CAUGHT_UP_ENTRIES, ClusterView, GroupView, NodeView, ShardReport, TransferView};
