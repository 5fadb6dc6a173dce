//! Membership of the meta group: live nodes gossip sees join the registry and the group
//! (as learners), a voter down for `replace_after` gives its seat to a live caught-up
//! learner, and caught-up learners are promoted while the group has fewer voters than
//! `cluster.raft.voters`.

use std::collections::BTreeSet;

use shoal_membership::Member;
use shoal_replication::meta::{MetaCommand, NodeRecord};
use shoal_shardmap::{NodeId, NodeState};

use crate::command::Command;
use crate::settings::ControlSettings;
use crate::view::{ClusterView, NodeView};

/// A live node gossip sees that may join: not decommissioned, reachable, not shutting
/// down, and belonging to no cluster or to this one.
fn joinable(view: &ClusterView, node: &NodeView) -> bool {
    let Some(member) = node.gossip.as_ref().filter(|m| m.live) else {
        return false;
    };
    let decommissioned = node
        .record
        .as_ref()
        .is_some_and(|r| r.state == NodeState::Decommissioned);
    !decommissioned
        && !member.info.internal_address.is_empty()
        && member.info.state != NodeState::Leaving
        && (member.info.cluster_id.is_none() || member.info.cluster_id == view.cluster_id)
}

/// The registry record of a node as it gossips itself (registered as active).
pub fn record_from_gossip(member: &Member) -> NodeRecord {
    NodeRecord {
        id: member.node_id,
        name: member.info.name.clone(),
        internal_address: member.info.internal_address.clone(),
        client_address: member.info.client_address.clone(),
        admin_address: member.info.admin_address.clone(),
        zone: member.info.zone.clone(),
        state: NodeState::Active,
    }
}

/// Nodes gossip announces that may join but are not registered: each must prove itself
/// (answer at its internal address over mTLS, as the node it claims to be) before
/// [`meta_membership`] registers it. With their internal addresses.
pub fn to_prove(view: &ClusterView) -> Vec<(NodeId, String)> {
    if !view.is_meta_leader() {
        return Vec::new();
    }
    view.nodes
        .values()
        .filter(|node| node.record.is_none() && joinable(view, node))
        .filter_map(|node| Some((node.id, node.internal_address()?.to_owned())))
        .collect()
}

/// The changes of the meta group's membership this round (on the meta leader; empty
/// elsewhere). Registration (of nodes in `proven` only: see [`to_prove`]) and learners
/// first; then at most one voter change.
pub fn meta_membership(
    view: &ClusterView,
    proven: &BTreeSet<NodeId>,
    settings: &ControlSettings,
) -> Vec<Command> {
    if !view.is_meta_leader() {
        return Vec::new();
    }
    let meta = &view.meta;
    let mut commands = Vec::new();
    let admitted = |node: &&NodeView| node.record.is_some() || proven.contains(&node.id);
    for node in view
        .nodes
        .values()
        .filter(|node| joinable(view, node))
        .filter(admitted)
    {
        if node.record.is_none()
            && let Some(member) = node.gossip.as_ref()
        {
            commands.push(Command::ProposeMeta(MetaCommand::RegisterNode(
                record_from_gossip(member),
            )));
        }
        if !meta.is_member(node.id)
            && let Some(address) = node.internal_address()
        {
            commands.push(Command::AddMetaLearner {
                node: node.id,
                address: address.to_owned(),
            });
        }
    }
    let decommissioned = |id: NodeId| {
        view.node(id)
            .and_then(|n| n.record.as_ref())
            .is_some_and(|r| r.state == NodeState::Decommissioned)
    };
    let fit_learner =
        |id: &NodeId| view.is_live(*id) && !decommissioned(*id) && meta.caught_up(*id);
    // A change of voters its leader did not finish (the group is in a joint configuration)
    // is finished first: asking for its goal again completes it.
    if let Some(goal) = &meta.joint_goal {
        commands.push(Command::ChangeMetaVoters(goal.clone()));
        return commands;
    }
    // A voter down for replace_after gives its seat to a live caught-up learner.
    let failed = meta.voters.iter().copied().find(|voter| {
        view.node(*voter)
            .and_then(|n| n.down_for)
            .is_some_and(|down| down >= settings.replace_after)
    });
    if let Some(failed) = failed
        && meta.voters.len() >= settings.meta_voters
        && let Some(replacement) = meta.learners.iter().copied().find(fit_learner)
    {
        let voters: BTreeSet<NodeId> = meta
            .voters
            .iter()
            .copied()
            .filter(|v| *v != failed)
            .chain([replacement])
            .collect();
        commands.push(Command::ChangeMetaVoters(voters));
        return commands;
    }
    if meta.voters.len() < settings.meta_voters {
        let promote: Vec<NodeId> = meta
            .learners
            .iter()
            .copied()
            .filter(fit_learner)
            .take(settings.meta_voters - meta.voters.len())
            .collect();
        if !promote.is_empty() {
            let voters = meta.voters.iter().copied().chain(promote).collect();
            commands.push(Command::ChangeMetaVoters(voters));
        }
    }
    commands
}
