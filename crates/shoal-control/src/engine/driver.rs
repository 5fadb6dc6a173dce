//! One round of the placement driver, decided from one view: the next step of every move
//! in flight, the moves to start, a preferred-leader change once no move is in flight, and
//! the next step of a decommissioned node leaving the meta group. The control actor runs
//! the commands; the tests run them against an in-memory cluster.

use shoal_replication::meta::{MetaCommand, MovePlan};
use shoal_shardmap::{NodeId, ShardId};

use crate::command::Command;
use crate::engine::decommission::meta_departures;
use crate::engine::moves::{StepOutcome, next_step, plan_wave, repairs};
use crate::engine::roles::node_roles;
use crate::settings::ControlSettings;
use crate::view::ClusterView;

/// What the driver does this round.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverRound {
    /// The next step of each move in flight, by move id.
    pub steps: Vec<(u64, StepOutcome)>,
    /// Moves to record (`StartMoves`); they take their first step next round.
    pub start: Vec<MovePlan>,
    /// Why the plan cannot place some shards, for people.
    pub stuck: Vec<String>,
    /// A shard's preferred leader to change, once nothing moves.
    pub prefer: Option<(ShardId, NodeId)>,
    /// The next step of a decommissioned node leaving the meta group.
    pub departures: Vec<Command>,
}

impl DriverRound {
    /// The commands that record the new moves and preferences (after the steps).
    pub fn planning_commands(&self, now_ms: u64) -> Vec<Command> {
        let mut commands = Vec::new();
        if !self.start.is_empty() {
            commands.push(Command::ProposeMeta(MetaCommand::StartMoves {
                moves: self.start.clone(),
                at_ms: now_ms,
            }));
        }
        if let Some((shard, node)) = self.prefer {
            commands.push(Command::ProposeMeta(MetaCommand::PreferLeader {
                shard,
                node,
            }));
        }
        commands
    }
}

/// Decides one round on the meta leader (nothing elsewhere).
pub fn driver_round(view: &ClusterView, settings: &ControlSettings) -> DriverRound {
    let mut round = DriverRound {
        steps: Vec::new(),
        start: Vec::new(),
        stuck: Vec::new(),
        prefer: None,
        departures: Vec::new(),
    };
    if !view.is_meta_leader() {
        return round;
    }
    round.steps = view
        .moves
        .iter()
        .map(|record| {
            let report = match view.reports.get(&record.shard) {
                Some(Ok(report)) => Ok(report),
                Some(Err(why)) => Err(why.as_str()),
                None => Err("the driver did not ask the shard's leader"),
            };
            (record.id, next_step(view, record, report))
        })
        .collect();
    // Damaged replicas are rebuilt whatever the rebalancing setting: first, so that a
    // balance move of the same shard waits for them.
    let (repair, beyond_repair) = repairs(view);
    round.start = repair;
    round.stuck = beyond_repair;
    if settings.auto_rebalance {
        match plan_wave(view, settings) {
            Ok(wave) => {
                round.stuck.extend(
                    wave.plan
                        .stuck
                        .iter()
                        .map(|(shard, why)| format!("shard {shard}: {why}")),
                );
                let repairing: Vec<_> = round.start.iter().map(|m| m.shard).collect();
                round.start.extend(
                    wave.startable
                        .into_iter()
                        .filter(|m| !repairing.contains(&m.shard)),
                );
            }
            Err(error) => round.stuck.push(error.to_string()),
        }
        // With replicas in place, even out which node each shard prefers as leader.
        if view.moves.is_empty()
            && round.start.is_empty()
            && let Some(map) = view.map.as_ref()
        {
            round.prefer = shoal_shardmap::next_leader_preference(map, &node_roles(view, settings));
        }
    }
    round.departures = meta_departures(view);
    round
}
