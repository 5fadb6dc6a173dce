//! What the engine asks for: commands, executed in order through the ports by whoever runs
//! the engine (the control actor on a node, the fakes in tests).

use std::collections::BTreeSet;

use shoal_replication::meta::MetaCommand;
use shoal_shardmap::{GroupId, NodeId, ShardId};

/// A change of a shard's replica set, carried out on the shard's leader. Every change is
/// idempotent: applying it again when it already holds changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardChange {
    /// Add `node` as a learner (it receives a snapshot, then the log; it does not vote).
    AddLearner { node: NodeId, address: String },
    /// Make exactly these nodes the voters (one joint-consensus change).
    SetVoters(BTreeSet<NodeId>),
    /// Remove a member that is not a voter.
    RemoveMember(NodeId),
    /// Remove `node`, a voter or learner whose replica is damaged (quarantined on its node),
    /// from the group: the one change that lowers the number of voters, because that
    /// replica no longer counts. Its node may then delete it and be added back empty.
    EvictDamaged(NodeId),
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Propose a command to the meta group (this node leads it).
    ProposeMeta(MetaCommand),
    /// Change a shard's replica set on its leader.
    ChangeShard { shard: ShardId, change: ShardChange },
    /// Ask the leader of `group` to hand its leadership to `to`.
    TransferLeader { group: GroupId, to: NodeId },
    /// Add a node to the meta group as a learner.
    AddMetaLearner { node: NodeId, address: String },
    /// Make exactly these nodes the meta group's voters.
    ChangeMetaVoters(BTreeSet<NodeId>),
    /// Remove a non-voting member from the meta group.
    RemoveMetaMember(NodeId),
}

impl Command {
    /// The command's kind, a fixed name (a span's name).
    pub fn kind(&self) -> &'static str {
        match self {
            Command::ProposeMeta(_) => "control.propose_meta",
            Command::ChangeShard { .. } => "control.change_shard",
            Command::TransferLeader { .. } => "control.transfer_leader",
            Command::AddMetaLearner { .. } => "control.add_meta_learner",
            Command::ChangeMetaVoters(_) => "control.change_meta_voters",
            Command::RemoveMetaMember(_) => "control.remove_meta_member",
        }
    }

    /// A short description for logs and job status.
    pub fn describe(&self) -> String {
        match self {
            Command::ProposeMeta(command) => format!("meta: {}", meta_name(command)),
            Command::ChangeShard { shard, change } => match change {
                ShardChange::AddLearner { node, .. } => {
                    format!("shard {shard}: add node {node} as a learner")
                }
                ShardChange::SetVoters(voters) => format!("shard {shard}: voters {voters:?}"),
                ShardChange::RemoveMember(node) => format!("shard {shard}: remove node {node}"),
                ShardChange::EvictDamaged(node) => {
                    format!("shard {shard}: evict the damaged replica of node {node}")
                }
            },
            Command::TransferLeader { group, to } => format!("{group}: leadership to node {to}"),
            Command::AddMetaLearner { node, .. } => {
                format!("meta group: add node {node} as a learner")
            }
            Command::ChangeMetaVoters(voters) => format!("meta group: voters {voters:?}"),
            Command::RemoveMetaMember(node) => format!("meta group: remove node {node}"),
        }
    }
}

fn meta_name(command: &MetaCommand) -> String {
    match command {
        MetaCommand::CreateCluster { .. } => "create the cluster".into(),
        MetaCommand::RegisterNode(record) => format!("register node {}", record.id),
        MetaCommand::SetNodeState { node_id, state } => format!("node {node_id} is {state}"),
        MetaCommand::StartMoves { moves, .. } => format!("start {} move(s)", moves.len()),
        MetaCommand::AdvanceMove { id, step, .. } => {
            format!("move {id} to step {}", step.as_str())
        }
        MetaCommand::FinishMove { id } => format!("finish move {id}"),
        MetaCommand::AbortMove { id, reason } => format!("abort move {id} ({reason})"),
        MetaCommand::PreferLeader { shard, node } => {
            format!("node {node} is shard {shard}'s preferred leader")
        }
        MetaCommand::CreateApiKey(key) => {
            format!(
                "create API key {} ({}, {})",
                key.id,
                key.name,
                key.role.as_str()
            )
        }
        MetaCommand::RevokeApiKey { id, .. } => format!("revoke API key {id}"),
        MetaCommand::RecordAudit(entries) => format!("record {} audit entries", entries.len()),
    }
}
