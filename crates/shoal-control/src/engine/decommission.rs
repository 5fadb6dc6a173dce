//! Drain and decommission: whether an operator's request may go ahead, and when a
//! decommissioned node, emptied of replicas, leaves the meta group.

use std::collections::BTreeSet;

use shoal_shardmap::{GroupId, NodeId, NodeRole, NodeState};

use crate::ControlError;
use crate::command::Command;
use crate::engine::leadership::{Handoff, leader_target};
use crate::engine::roles::node_roles;
use crate::settings::ControlSettings;
use crate::view::ClusterView;

fn not_registered(view: &ClusterView, node: NodeId) -> ControlError {
    let known: Vec<u64> = view.registered().map(|(record, _)| record.id.0).collect();
    ControlError::NotFound(format!(
        "node {node} is not registered in this cluster (nodes: {known:?})"
    ))
}

/// Whether `node` may be drained (or undrained): it must be registered and not
/// decommissioned. Returns its state before the change.
pub fn check_drain(view: &ClusterView, node: NodeId) -> Result<NodeState, ControlError> {
    let record = view
        .node(node)
        .and_then(|n| n.record.as_ref())
        .ok_or_else(|| not_registered(view, node))?;
    if record.state == NodeState::Decommissioned {
        return Err(ControlError::FailedPrecondition(format!(
            "node {node} is decommissioned"
        )));
    }
    Ok(record.state)
}

/// What a decommission may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decommission {
    /// The node's state before.
    pub previous: NodeState,
    /// Replicas it holds, all of which will move away.
    pub replicas_to_move: u32,
}

/// Whether `node` may be decommissioned now: registered, and the other nodes that may
/// hold data can hold `replication_factor` replicas of every shard without it. Repeating
/// a decommission is allowed (it changes nothing).
pub fn check_decommission(
    view: &ClusterView,
    node: NodeId,
    settings: &ControlSettings,
) -> Result<Decommission, ControlError> {
    let record = view
        .node(node)
        .and_then(|n| n.record.as_ref())
        .ok_or_else(|| not_registered(view, node))?;
    let map = view.shard_map()?;
    let replicas_to_move = map
        .shards
        .iter()
        .filter(|entry| entry.replicas.contains(&node))
        .count() as u32;
    if record.state != NodeState::Decommissioned {
        let mut roles = node_roles(view, settings);
        for role in &mut roles {
            if role.id == node {
                role.role = NodeRole::Evacuate;
            }
        }
        let able = roles
            .iter()
            .filter(|r| r.role != NodeRole::Evacuate)
            .count();
        let plan = shoal_shardmap::plan(map, &roles, settings.replication_factor);
        if able < settings.replication_factor || !plan.stuck.is_empty() {
            return Err(ControlError::FailedPrecondition(format!(
                "cannot decommission node {node}: the other nodes that may hold data ({able}: \
                 live, not draining, not decommissioned) cannot hold {} replicas of every \
                 shard{}; add a node or undrain one first",
                settings.replication_factor,
                plan.stuck
                    .first()
                    .map(|(shard, why)| format!(" (shard {shard}: {why})"))
                    .unwrap_or_default()
            )));
        }
    }
    Ok(Decommission {
        previous: record.state,
        replicas_to_move,
    })
}

/// The next step of a decommissioned node leaving the meta group, once it holds no
/// replica and takes part in no move (one node per call): the meta leader itself hands its
/// leadership over first; a voter is demoted, then the member removed.
///
/// It leaves only once it has the whole meta log — the last map, without it, must reach it
/// or it would never learn its last replicas moved away — and, when it is up, once it says
/// in gossip that it applied that map (having the entries is not knowing they committed).
pub fn meta_departures(view: &ClusterView) -> Vec<Command> {
    let Some(map) = view.map.as_ref() else {
        return Vec::new();
    };
    let meta = &view.meta;
    for (record, node) in view.registered() {
        let id = record.id;
        if record.state != NodeState::Decommissioned || !meta.is_member(id) {
            continue;
        }
        let holds = map.shards.iter().any(|e| e.replicas.contains(&id))
            || view.moves.iter().any(|m| m.from == Some(id) || m.to == id);
        if holds {
            continue;
        }
        let caught_up = meta
            .matched(id)
            .is_some_and(|matched| matched >= meta.last_log_index);
        let applied_final_map = node.applied_epoch() >= map.epoch;
        if node.live() && !(caught_up && applied_final_map) {
            continue;
        }
        if meta.is_voter(id) {
            if id == view.me {
                return leader_target(view, meta, id, None, &[], Handoff::Required)
                    .map(|to| Command::TransferLeader {
                        group: GroupId::META,
                        to,
                    })
                    .into_iter()
                    .collect();
            }
            let voters: BTreeSet<NodeId> =
                meta.voters.iter().copied().filter(|v| *v != id).collect();
            return vec![
                Command::ChangeMetaVoters(voters),
                Command::RemoveMetaMember(id),
            ];
        }
        return vec![Command::RemoveMetaMember(id)];
    }
    Vec::new()
}
