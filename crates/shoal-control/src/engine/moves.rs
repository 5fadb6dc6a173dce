//! Replica moves: which moves may start now, and each move's next step.
//!
//! A move is recorded in the meta group and carried out as durable steps — add the target
//! as a learner, let it catch up (a snapshot, then the log), promote it and demote the
//! source in one joint-consensus change, remove the source, finish (the map lists the
//! target in the source's place). Every step is checked against the shard leader's report
//! of the group's real membership and is idempotent, so a new meta leader resumes a move by
//! repeating its recorded step.
//!
//! Safety: a shard never has fewer voters during a move than before it (the target is
//! added before the source goes, in one joint change; a change that would lower the count
//! is never asked for). A move whose target dies or is decommissioned before it became a
//! voter is rolled back (the learner removed, the map unchanged).

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use shoal_replication::meta::{MetaCommand, MovePlan, MoveRecord, MoveStep, NodeState};
use shoal_shardmap::{GroupId, InFlight, NodeId, Plan, ShardId, ShardMap};

use crate::ControlError;
use crate::command::{Command, ShardChange};
use crate::engine::leadership::{Handoff, leader_target};
use crate::engine::roles::node_roles;
use crate::settings::ControlSettings;
use crate::view::{ClusterView, ShardReport};

/// A move whose target has been down this long before becoming a voter is rolled back.
pub const ABORT_TARGET_DOWN_AFTER: Duration = Duration::from_secs(20);

/// The plan from the current view and the moves of it that may start now.
#[derive(Debug, Clone, PartialEq)]
pub struct Wave {
    /// Every move that leads to a good placement, counting the moves in flight as done.
    pub plan: Plan,
    /// The moves that may start now (one per shard, source and target; balance moves only
    /// on shards whose replicas are all up).
    pub startable: Vec<MovePlan>,
    /// Moves already in flight.
    pub in_flight: usize,
}

/// The map as it will be once the moves in flight are done.
pub fn projected(map: &ShardMap, moves: &[MoveRecord]) -> ShardMap {
    let mut map = map.clone();
    for record in moves {
        map.apply_move(record.shard, record.from, record.to);
    }
    map
}

/// Plans from `view` and picks the moves that may start now.
pub fn plan_wave(view: &ClusterView, settings: &ControlSettings) -> Result<Wave, ControlError> {
    let map = view.shard_map()?;
    let nodes = node_roles(view, settings);
    let plan = shoal_shardmap::plan(
        &projected(map, &view.moves),
        &nodes,
        settings.replication_factor,
    );
    let in_flight: Vec<InFlight> = view
        .moves
        .iter()
        .map(|m| InFlight {
            shard: m.shard,
            from: m.from,
            to: m.to,
        })
        .collect();
    let all_up = |shard: ShardId| {
        map.entry(shard)
            .is_some_and(|entry| entry.replicas.iter().all(|r| view.is_live(*r)))
    };
    let startable = plan
        .wave(&in_flight, all_up)
        .into_iter()
        .map(|planned| MovePlan {
            shard: planned.shard,
            from: planned.from,
            to: planned.to,
            reason: planned.reason.as_str().to_owned(),
        })
        .collect();
    Ok(Wave {
        plan,
        startable,
        in_flight: view.moves.len(),
    })
}

/// Repairs to start: every damaged replica (as its node gossips) of a shard the map lists
/// there, with no move in flight, is rebuilt in place — evicted, deleted, added back empty
/// and filled from a healthy replica. A shard whose only replica is damaged cannot be
/// repaired: it is named in the second list, for people.
pub fn repairs(view: &ClusterView) -> (Vec<MovePlan>, Vec<String>) {
    let Some(map) = view.map.as_ref() else {
        return (Vec::new(), Vec::new());
    };
    let mut start = Vec::new();
    let mut beyond = Vec::new();
    for node in view.nodes.values() {
        let Some(member) = node.gossip.as_ref() else {
            continue;
        };
        for shard in &member.info.damaged_shards {
            let Some(entry) = map.entry(*shard) else {
                continue;
            };
            if !entry.replicas.contains(&node.id) || view.moves.iter().any(|m| m.shard == *shard) {
                continue;
            }
            if entry.replicas.len() < 2 {
                beyond.push(format!(
                    "shard {shard}: its only replica, on node {}, is damaged; there is no \
                     healthy replica to rebuild it from: restore that node's data from a backup",
                    node.id
                ));
                continue;
            }
            start.push(MovePlan {
                shard: *shard,
                from: Some(node.id),
                to: node.id,
                reason: "repair".into(),
            });
        }
    }
    (start, beyond)
}

/// Why a move is not progressing right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitReason {
    /// The shard's leader could not be asked for its report.
    NoReport(String),
    /// The target's internal address is not known yet.
    AddressUnknown(NodeId),
    /// The target receives the snapshot or the log.
    CatchingUp {
        node: NodeId,
        matched: Option<u64>,
        leader_last: u64,
    },
    /// The shard's leader is the move's source and no staying voter may lead yet.
    NoHandoffTarget { leader: NodeId },
    /// The requested change would leave the shard with fewer voters than before.
    WouldLoseVoters {
        current: BTreeSet<NodeId>,
        wanted: BTreeSet<NodeId>,
    },
    /// A repair: the damaged replica still leads (its node stops it on its next round).
    DamagedLeads { node: NodeId },
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitReason::NoReport(why) => write!(f, "no report from the shard's leader: {why}"),
            WaitReason::AddressUnknown(node) => {
                write!(f, "the internal address of node {node} is unknown")
            }
            WaitReason::CatchingUp {
                node,
                matched,
                leader_last,
            } => write!(
                f,
                "node {node} is catching up (at {} of {leader_last})",
                matched.map_or("nothing".to_owned(), |m| m.to_string())
            ),
            WaitReason::NoHandoffTarget { leader } => write!(
                f,
                "node {leader} leads the shard and leaves its voters, but no staying voter \
                 may take over yet"
            ),
            WaitReason::WouldLoseVoters { current, wanted } => write!(
                f,
                "changing the voters from {current:?} to {wanted:?} would lower their number"
            ),
            WaitReason::DamagedLeads { node } => write!(
                f,
                "the damaged replica on node {node} still leads; it steps down when its node \
                 stops it"
            ),
        }
    }
}

/// A move's next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// Run these commands, in order, to carry the move forward.
    Advance(Vec<Command>),
    /// Nothing to do until the cluster changes.
    Wait(WaitReason),
    /// Run these commands, in order, and the move is over (finished or rolled back).
    Done(Vec<Command>),
}

/// Why the move's target can no longer receive the replica, if so.
fn target_gone(view: &ClusterView, record: &MoveRecord) -> Option<String> {
    let Some(target) = view.node(record.to).filter(|node| node.record.is_some()) else {
        return Some("the target node is no longer registered".into());
    };
    if target.state() == NodeState::Decommissioned {
        return Some("the target node is being decommissioned".into());
    }
    if record.is_repair() {
        // A repair waits for its node: the damaged replica is that node's own.
        return None;
    }
    target
        .down_for
        .filter(|down| *down >= ABORT_TARGET_DOWN_AFTER)
        .map(|down| format!("the target node has been down for {}s", down.as_secs()))
}

fn advance_to(view: &ClusterView, record: &MoveRecord, step: MoveStep) -> Command {
    Command::ProposeMeta(MetaCommand::AdvanceMove {
        id: record.id,
        step,
        at_ms: view.now_ms,
    })
}

fn change(record: &MoveRecord, change: ShardChange) -> Command {
    Command::ChangeShard {
        shard: record.shard,
        change,
    }
}

/// The next step of `record`, from the shard leader's `report`.
pub fn next_step(
    view: &ClusterView,
    record: &MoveRecord,
    report: Result<&ShardReport, &str>,
) -> StepOutcome {
    let report = match report {
        Ok(report) => report,
        Err(why) => return StepOutcome::Wait(WaitReason::NoReport(why.to_owned())),
    };
    let group = &report.group;
    if let Some(reason) = target_gone(view, record)
        && record.step < MoveStep::RemoveOld
        && !group.is_voter(record.to)
    {
        // Before the joint change committed the target is only a learner: take it out and
        // forget the move. (At Promote the change may have happened: then it goes on.)
        return StepOutcome::Done(vec![
            change(record, ShardChange::RemoveMember(record.to)),
            Command::ProposeMeta(MetaCommand::AbortMove {
                id: record.id,
                reason,
            }),
        ]);
    }
    if matches!(record.step, MoveStep::CatchUp | MoveStep::Promote) && !group.is_member(record.to) {
        // The learner is gone (removed by hand, or its group was recreated): nothing to
        // promote. The map never changed, so forgetting the move is safe.
        return StepOutcome::Done(vec![Command::ProposeMeta(MetaCommand::AbortMove {
            id: record.id,
            reason: format!(
                "node {} is no longer a member of the shard's group",
                record.to
            ),
        })]);
    }
    match record.step {
        MoveStep::Evict => {
            // A repair: the damaged replica leaves the group before its node deletes it.
            if !group.is_member(record.to) {
                return StepOutcome::Advance(vec![advance_to(view, record, MoveStep::AddLearner)]);
            }
            if report.leader() == Some(record.to) {
                return StepOutcome::Wait(WaitReason::DamagedLeads { node: record.to });
            }
            StepOutcome::Advance(vec![
                change(record, ShardChange::EvictDamaged(record.to)),
                advance_to(view, record, MoveStep::AddLearner),
            ])
        }
        MoveStep::AddLearner => {
            if group.is_member(record.to) {
                return StepOutcome::Advance(vec![advance_to(view, record, MoveStep::CatchUp)]);
            }
            let Some(address) = view.node(record.to).and_then(|n| n.internal_address()) else {
                return StepOutcome::Wait(WaitReason::AddressUnknown(record.to));
            };
            StepOutcome::Advance(vec![
                change(
                    record,
                    ShardChange::AddLearner {
                        node: record.to,
                        address: address.to_owned(),
                    },
                ),
                advance_to(view, record, MoveStep::CatchUp),
            ])
        }
        MoveStep::CatchUp => {
            if group.caught_up(record.to) {
                StepOutcome::Advance(vec![advance_to(view, record, MoveStep::Promote)])
            } else {
                StepOutcome::Wait(WaitReason::CatchingUp {
                    node: record.to,
                    matched: group.matched(record.to),
                    leader_last: group.last_log_index,
                })
            }
        }
        MoveStep::Promote => {
            let mut wanted = group.voters.clone();
            if let Some(from) = record.from {
                wanted.remove(&from);
            }
            wanted.insert(record.to);
            if wanted == group.voters {
                return StepOutcome::Advance(vec![advance_to(view, record, MoveStep::RemoveOld)]);
            }
            // A joint configuration already changing to `wanted` (its leader changed before
            // it finished) lists both halves as voters: asking again finishes it.
            let finishing = group.joint_goal.as_ref() == Some(&wanted);
            if wanted.len() < group.voters.len() && !finishing {
                return StepOutcome::Wait(WaitReason::WouldLoseVoters {
                    current: group.voters.clone(),
                    wanted,
                });
            }
            if let Some(leader) = report.leader()
                && !wanted.contains(&leader)
            {
                // The leader is the source: it hands its leadership to a staying voter
                // first; the change follows on the next round, from the new leader.
                return match leader_target(
                    view,
                    group,
                    leader,
                    Some(&wanted),
                    &[],
                    Handoff::Required,
                ) {
                    Some(to) => StepOutcome::Advance(vec![Command::TransferLeader {
                        group: GroupId::for_shard(record.shard),
                        to,
                    }]),
                    None => StepOutcome::Wait(WaitReason::NoHandoffTarget { leader }),
                };
            }
            StepOutcome::Advance(vec![
                change(record, ShardChange::SetVoters(wanted)),
                advance_to(view, record, MoveStep::RemoveOld),
            ])
        }
        MoveStep::RemoveOld => {
            let finish = Command::ProposeMeta(MetaCommand::FinishMove { id: record.id });
            // (A repair's source is its target: it stays.)
            match record
                .from
                .filter(|from| *from != record.to && group.is_member(*from))
            {
                Some(from) => StepOutcome::Done(vec![
                    change(record, ShardChange::RemoveMember(from)),
                    finish,
                ]),
                None => StepOutcome::Done(vec![finish]),
            }
        }
    }
}
