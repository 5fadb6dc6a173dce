//! Who may lead a group and who should take over a leadership: one rule for leadership
//! balancing, the hand-off before shutdown, the hand-off of a shard leader leaving its
//! voters during a move, the meta leader leaving when decommissioned, and the validation of
//! an operator's `transfer-leader`.

use std::collections::BTreeSet;

use shoal_shardmap::{GroupId, NodeId, NodeState, ShardMap};

use crate::command::Command;
use crate::view::{CAUGHT_UP_ENTRIES, ClusterView, GroupView};

/// Why `node` may not take the leadership of `group`, or `Ok` when it may: a voter, live,
/// ready, taking writes (its disk not full), active (not draining, decommissioned or
/// shutting down), and caught up with the leader's log (known on the leader only). This
/// is what balancing and hand-offs ask.
pub fn may_lead(view: &ClusterView, group: &GroupView, node: NodeId) -> Result<(), String> {
    can_take_over(view, group, node)?;
    let seen = view.node(node);
    if !seen.is_some_and(|n| n.ready()) {
        return Err(format!("node {node} is not ready"));
    }
    if seen.is_some_and(|n| n.refuses_writes()) {
        return Err(format!(
            "node {node} refuses writes (its disk is full or below its reserve)"
        ));
    }
    Ok(())
}

/// Why `node` could not lead `group` at all, or `Ok`: a live voter, active, caught up.
/// An operator's transfer asks this much (readiness is gossiped with a delay, and a node
/// that is live and caught up on this group's log can lead it).
pub fn can_take_over(view: &ClusterView, group: &GroupView, node: NodeId) -> Result<(), String> {
    if !group.is_voter(node) {
        return Err(format!(
            "node {node} is not a voter (voters: {:?})",
            group.voters.iter().map(|v| v.0).collect::<Vec<_>>()
        ));
    }
    let Some(seen) = view.node(node) else {
        return Err(format!("node {node} is not known to this cluster"));
    };
    if !seen.live() {
        return Err(format!("node {node} is down"));
    }
    match seen.state() {
        NodeState::Draining => return Err(format!("node {node} is draining")),
        NodeState::Decommissioned => {
            return Err(format!("node {node} is being decommissioned"));
        }
        NodeState::Leaving => return Err(format!("node {node} is shutting down")),
        NodeState::Joining | NodeState::Active => {}
    }
    if !group.caught_up(node) {
        return Err(format!(
            "node {node} is not caught up (holds {} of {} entries; a leader must be within \
             {CAUGHT_UP_ENTRIES})",
            group
                .matched(node)
                .map_or("an unknown number".to_owned(), |m| m.to_string()),
            group.last_log_index
        ));
    }
    Ok(())
}

/// Whom a leadership may go to when no preferred voter may lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// Only to a preferred voter (balancing toward preferred leaders): otherwise it stays.
    Preferred,
    /// To the most caught-up voter that may lead, when no preferred one may.
    Optional,
    /// The leader is going away (shutdown, leaving the voters): when no voter is fit, the
    /// most caught-up live voter, rather than an election after the leader is gone.
    Required,
}

/// Who should take over the leadership of `group` from `from` — the one rule for
/// balancing, drains, shutdown, a move's source and a leaving meta leader: among its other
/// voters (restricted to `among` when given), the first in `preference` that may lead;
/// failing that, unless [`Handoff::Preferred`], the most caught-up that may lead; and with
/// [`Handoff::Required`], failing those, the most caught-up live voter. None when nobody
/// qualifies.
pub fn leader_target(
    view: &ClusterView,
    group: &GroupView,
    from: NodeId,
    among: Option<&BTreeSet<NodeId>>,
    preference: &[NodeId],
    handoff: Handoff,
) -> Option<NodeId> {
    let candidates: Vec<NodeId> = group
        .voters
        .iter()
        .copied()
        .filter(|voter| *voter != from && among.is_none_or(|among| among.contains(voter)))
        .collect();
    let most_caught_up = |nodes: &mut dyn Iterator<Item = NodeId>| {
        nodes.max_by_key(|node| (group.matched(*node), std::cmp::Reverse(*node)))
    };
    let fit: Vec<NodeId> = candidates
        .iter()
        .copied()
        .filter(|node| may_lead(view, group, *node).is_ok())
        .collect();
    if let Some(preferred) = preference.iter().find(|node| fit.contains(node)) {
        return Some(*preferred);
    }
    if handoff == Handoff::Preferred {
        return None;
    }
    if let Some(best) = most_caught_up(&mut fit.iter().copied()) {
        return Some(best);
    }
    match handoff {
        Handoff::Preferred | Handoff::Optional => None,
        Handoff::Required => most_caught_up(
            &mut candidates
                .iter()
                .copied()
                .filter(|node| view.is_live(*node)),
        ),
    }
}

/// One leadership move toward where leaderships should be, for the groups this node
/// leads (`led`: each group with its status here): each shard to a replica ahead of this
/// node in the map's order (the preferred leader first) that may lead; a draining node
/// gives every leadership away, to the first replica in map order that may lead — the meta
/// group's last. At most one move per call, so balancing is gradual. A shard with a move
/// in flight is left alone: its map entry still lists the replica that leaves, and the
/// move hands its leadership over itself (a transfer to the leaving replica in the middle
/// of the change of voters would leave the group half changed).
pub fn balance_leaderships(
    view: &ClusterView,
    map: &ShardMap,
    led: &[(GroupId, GroupView)],
) -> Option<Command> {
    let me = view.me;
    // A node whose disk cannot take writes gives its leaderships away like a draining one
    // (to voters that may lead: not to another full one).
    let draining = view
        .node(me)
        .is_some_and(|node| node.state() == NodeState::Draining || node.refuses_writes());
    let mut meta_move = None;
    for (group, status) in led {
        if status.leader != Some(me) {
            continue;
        }
        let Some(shard) = group.shard() else {
            if draining {
                meta_move = leader_target(view, status, me, None, &[], Handoff::Optional)
                    .map(|to| Command::TransferLeader { group: *group, to });
            }
            continue;
        };
        let Some(entry) = map.entry(shard) else {
            continue;
        };
        if view.moves.iter().any(|m| m.shard == shard) {
            continue;
        }
        let target = if draining {
            leader_target(view, status, me, None, &entry.replicas, Handoff::Optional)
        } else {
            let ahead: Vec<NodeId> = entry
                .replicas
                .iter()
                .copied()
                .take_while(|r| *r != me)
                .collect();
            leader_target(view, status, me, None, &ahead, Handoff::Preferred)
        };
        if let Some(to) = target {
            return Some(Command::TransferLeader { group: *group, to });
        }
    }
    meta_move
}
