//! The ports the engine's commands are carried out through. Each has a local
//! implementation in this crate (`local.rs`), the shard-admin port a gRPC one in the
//! gateway (a shard led elsewhere), and every port an in-memory fake for tests
//! (`testsuite.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use shoal_membership::{Member, NodeInfo};
use shoal_replication::meta::{
    ClusterIdentity, MetaCommand, MetaResponse, MoveCounters, MoveRecord, NodeRecord,
};
use shoal_shardmap::{NodeId, ShardId, ShardMap};
use tracing::Instrument as _;

use crate::ControlError;
use crate::command::{Command, ShardChange};
use crate::engine::hosting::HostingChanges;
use crate::view::{GroupView, ShardReport};

/// Administration of a shard's replica set, on the shard's leader.
#[async_trait]
pub trait ShardAdmin: Send + Sync + 'static {
    /// The shard's replica set and progress as its leader reports them.
    async fn report(&self, shard: ShardId) -> Result<ShardReport, ControlError>;
    /// Applies `change` on the shard's leader (idempotent) and reports.
    async fn change(
        &self,
        shard: ShardId,
        change: ShardChange,
    ) -> Result<ShardReport, ControlError>;
    /// Asks the shard's leader to hand its leadership to `to`.
    async fn transfer_leader(&self, shard: ShardId, to: NodeId) -> Result<(), ControlError>;
}

/// The meta state as applied on this node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaState {
    pub identity: Option<ClusterIdentity>,
    pub nodes: Vec<NodeRecord>,
    pub map: Option<ShardMap>,
    pub moves: Vec<MoveRecord>,
    pub counters: MoveCounters,
}

/// The meta group: its applied state here, its membership, and proposals.
#[async_trait]
pub trait MetaLog: Send + Sync + 'static {
    /// The meta state as applied on this node (no quorum round).
    fn state(&self) -> Result<MetaState, ControlError>;
    /// The group as this node sees it.
    fn group(&self) -> GroupView;
    /// Proposes a command (this node must lead the group).
    async fn propose(&self, command: MetaCommand) -> Result<MetaResponse, ControlError>;
    async fn add_learner(&self, node: NodeId, address: &str) -> Result<(), ControlError>;
    async fn change_voters(&self, voters: BTreeSet<NodeId>) -> Result<(), ControlError>;
    async fn remove_member(&self, node: NodeId) -> Result<(), ControlError>;
    async fn transfer_leader(&self, to: NodeId) -> Result<(), ControlError>;
}

/// Gossip: who is out there, and what this node says about itself.
#[async_trait]
pub trait Gossip: Send + Sync + 'static {
    /// Every node gossip knows (the newest generation of each), this one included.
    fn members(&self) -> BTreeMap<NodeId, Member>;
    async fn publish(&self, info: NodeInfo);
}

/// The replicas this node hosts.
#[async_trait]
pub trait ReplicaHost: Send + Sync + 'static {
    /// The replicas running here, each with its group as this node sees it.
    fn hosted(&self) -> BTreeMap<ShardId, GroupView>;
    /// The replicas here found damaged (quarantined), with why: they must not run; their
    /// data stays until they are rebuilt.
    fn damaged(&self) -> BTreeMap<ShardId, String> {
        BTreeMap::new()
    }
    /// Why this node cannot take writes now (its disk is full or below the reserve), when
    /// it cannot: it must not lead shards meanwhile.
    fn write_refusal(&self) -> Option<String> {
        None
    }
    /// The epoch of the map the routing view follows.
    fn routing_epoch(&self) -> u64;
    /// Stops the damaged replicas `changes` names (keeping their data), deletes the damaged
    /// ones it names to rebuild, starts the replicas it names (empty; their leaders fill
    /// them), then routes with `map` and the new set, then stops and deletes the replicas
    /// it names.
    async fn reconcile(&self, map: ShardMap, changes: HostingChanges) -> Result<(), ControlError>;
}

/// Other nodes, dialled directly.
#[async_trait]
pub trait NodeProbe: Send + Sync + 'static {
    /// Which node answers at `address` (its internal address). Over mTLS an answer proves it
    /// holds a node certificate of the cluster CA naming that address: gossip alone never
    /// admits a member.
    async fn identify(&self, address: &str) -> Result<NodeId, ControlError>;
}

/// Every port, as the control actor holds them.
#[derive(Clone)]
pub struct Ports {
    pub shards: Arc<dyn ShardAdmin>,
    pub meta: Arc<dyn MetaLog>,
    pub gossip: Arc<dyn Gossip>,
    pub host: Arc<dyn ReplicaHost>,
    pub probe: Arc<dyn NodeProbe>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ports")
    }
}

/// A command that failed, with what it was.
#[derive(Debug, Clone)]
pub struct Failed {
    pub command: String,
    pub error: ControlError,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.command, self.error)
    }
}

impl Ports {
    /// Runs `commands` in order, stopping at the first that fails. A meta command the
    /// machine rejects counts as failed.
    pub async fn execute(&self, commands: Vec<Command>) -> Result<(), Failed> {
        for command in commands {
            let what = command.describe();
            // One span per control operation (a move's step, a leader transfer, a drain's
            // state change) when traces are on; idle rounds run no command and make none.
            let span = tracing::debug_span!("control", otel.name = command.kind(), command = %what);
            self.run(command)
                .instrument(span)
                .await
                .map_err(|error| Failed {
                    command: what.clone(),
                    error,
                })?;
            tracing::info!(command = %what, "control command done");
        }
        Ok(())
    }

    async fn run(&self, command: Command) -> Result<(), ControlError> {
        match command {
            Command::ProposeMeta(command) => {
                let answer = self.meta.propose(command).await?;
                match answer.rejection() {
                    Some(reason) => Err(ControlError::FailedPrecondition(reason.to_owned())),
                    None => Ok(()),
                }
            }
            Command::ChangeShard { shard, change } => {
                self.shards.change(shard, change).await.map(|_| ())
            }
            Command::TransferLeader { group, to } => match group.shard() {
                Some(shard) => self.shards.transfer_leader(shard, to).await,
                None => self.meta.transfer_leader(to).await,
            },
            Command::AddMetaLearner { node, address } => {
                self.meta.add_learner(node, &address).await
            }
            Command::ChangeMetaVoters(voters) => self.meta.change_voters(voters).await,
            Command::RemoveMetaMember(node) => self.meta.remove_member(node).await,
        }
    }
}
