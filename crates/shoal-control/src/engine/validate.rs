//! Validation of control commands against the view, before anything runs: an operator's
//! leader transfer, and a change of a shard's replica set (from the placement driver or
//! anyone reaching the internal port). A refusal names what is wrong, with the gRPC code
//! it maps to: `INVALID_ARGUMENT` (a malformed request), `NOT_FOUND` (no such shard or
//! node), `FAILED_PRECONDITION` (the cluster's state does not allow it).

use std::collections::BTreeSet;

use shoal_shardmap::{GroupId, NodeId, NodeState};

use crate::ControlError;
use crate::command::ShardChange;
use crate::engine::leadership::can_take_over;
use crate::view::{ClusterView, GroupView};

fn registered(view: &ClusterView, node: NodeId) -> Result<(), ControlError> {
    match view.node(node).and_then(|n| n.record.as_ref()) {
        Some(_) => Ok(()),
        None => {
            let known: Vec<u64> = view.registered().map(|(r, _)| r.id.0).collect();
            Err(ControlError::NotFound(format!(
                "node {node} is not registered in this cluster (nodes: {known:?})"
            )))
        }
    }
}

/// Whether the leadership of `group` (as its leader sees it) may move to `to`: a live,
/// active, caught-up voter.
pub fn validate_transfer(
    view: &ClusterView,
    group_id: GroupId,
    group: &GroupView,
    to: NodeId,
) -> Result<(), ControlError> {
    if group.leader == Some(to) {
        return Ok(());
    }
    registered(view, to)?;
    can_take_over(view, group, to).map_err(|why| {
        ControlError::FailedPrecondition(format!(
            "cannot move the leadership of {group_id} to node {to}: {why}"
        ))
    })
}

/// Whether `change` may be applied to the shard group `group` (as its leader, this node,
/// sees it).
pub fn validate_change(
    view: &ClusterView,
    group_id: GroupId,
    group: &GroupView,
    change: &ShardChange,
) -> Result<(), ControlError> {
    let precondition = |why: String| ControlError::FailedPrecondition(format!("{group_id}: {why}"));
    match change {
        ShardChange::AddLearner { node, address } => {
            if address.is_empty() {
                return Err(ControlError::InvalidArgument {
                    field: "add_learner.internal_address",
                    reason: "give the node's internal address".into(),
                });
            }
            registered(view, *node)?;
            if group.is_member(*node) {
                return Ok(());
            }
            let seen = view.node(*node).expect("registered");
            if seen.state() == NodeState::Decommissioned {
                return Err(precondition(format!("node {node} is being decommissioned")));
            }
            if !seen.live() {
                return Err(precondition(format!("node {node} is down")));
            }
            Ok(())
        }
        ShardChange::SetVoters(wanted) => {
            if wanted.is_empty() {
                return Err(ControlError::InvalidArgument {
                    field: "set_voters",
                    reason: "give at least one voter".into(),
                });
            }
            for node in wanted {
                registered(view, *node)?;
            }
            if *wanted == group.voters {
                return Ok(());
            }
            // Finishing a half-done change (a joint configuration whose leader changed) lowers
            // the count of listed voters back to what the change asked for.
            if wanted.len() < group.voters.len() && group.joint_goal.as_ref() != Some(wanted) {
                return Err(precondition(format!(
                    "changing the voters from {:?} to {:?} would lower their number; a shard \
                     never has fewer voters than before a change",
                    ids(&group.voters),
                    ids(wanted)
                )));
            }
            for node in wanted.difference(&group.voters) {
                if !group.is_member(*node) {
                    return Err(precondition(format!(
                        "node {node} is not a member of the group; add it as a learner first"
                    )));
                }
                if !view.is_live(*node) {
                    return Err(precondition(format!("node {node} is down")));
                }
                if !group.caught_up(*node) {
                    return Err(precondition(format!(
                        "node {node} has not caught up with the leader's log yet"
                    )));
                }
            }
            if let Some(leader) = group.leader
                && !wanted.contains(&leader)
            {
                return Err(precondition(format!(
                    "node {leader} leads and would leave the voters: hand its leadership to a \
                     staying voter first"
                )));
            }
            Ok(())
        }
        ShardChange::EvictDamaged(node) => {
            if !group.is_member(*node) {
                return Ok(());
            }
            let reports_damage = view
                .node(*node)
                .and_then(|n| n.gossip.as_ref())
                .is_some_and(|member| {
                    group_id
                        .shard()
                        .is_some_and(|shard| member.info.damaged_shards.contains(&shard))
                });
            if !reports_damage {
                return Err(precondition(format!(
                    "node {node} does not report its replica as damaged; only a damaged \
                     replica is evicted"
                )));
            }
            if group.leader == Some(*node) {
                return Err(precondition(format!(
                    "node {node} leads the group; its damaged replica must stop first"
                )));
            }
            if group.is_voter(*node) && group.voters.len() < 2 {
                return Err(precondition(format!(
                    "node {node} holds the only voter; there is no healthy replica to rebuild \
                     it from"
                )));
            }
            Ok(())
        }
        ShardChange::RemoveMember(node) => {
            if group.is_voter(*node) {
                return Err(precondition(format!(
                    "node {node} is a voter; change the voters first"
                )));
            }
            Ok(())
        }
    }
}

fn ids(nodes: &BTreeSet<NodeId>) -> Vec<u64> {
    nodes.iter().map(|n| n.0).collect()
}
