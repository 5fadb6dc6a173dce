//! Tests of the engine: each rule on its own, the five elastic-cluster scenarios of
//! `cluster_elastic` replayed as sequences of views on a simulated cluster, and properties
//! over random histories (openraft's `engine/*_test.rs` style).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;
use shoal_replication::meta::{MetaCommand, MovePlan, MoveStep, NodeState};
use shoal_shardmap::{GroupId, NodeId, NodeRole, ShardId};

use crate::command::{Command, ShardChange};
use crate::engine::bootstrap::{
    BootstrapState, BootstrapStep, Candidate, STABLE_ROUNDS, bootstrap_plan, bootstrap_step,
};
use crate::engine::decommission::{check_decommission, check_drain, meta_departures};
use crate::engine::driver::driver_round;
use crate::engine::hosting::{creates_group, reconcile, wanted_replicas};
use crate::engine::leadership::{
    Handoff, balance_leaderships, can_take_over, leader_target, may_lead,
};
use crate::engine::meta_members::{meta_membership, to_prove};
use crate::engine::moves::{StepOutcome, WaitReason, next_step, plan_wave, projected};
use crate::engine::roles::node_roles;
use crate::engine::validate::{validate_change, validate_transfer};
use crate::testsuite::{SimCluster, leader_view, next_steps};
use crate::{ControlError, ControlSettings, GroupView};

fn n(id: u64) -> NodeId {
    NodeId(id)
}

fn nodes(ids: &[u64]) -> BTreeSet<NodeId> {
    ids.iter().copied().map(NodeId).collect()
}

fn settings() -> ControlSettings {
    ControlSettings::for_tests()
}

const ROUND: Duration = Duration::from_millis(200);

/// The invariants every round of every scenario keeps.
fn check_invariants(sim: &SimCluster) {
    let moves = sim.moves();
    let mut shards = BTreeSet::new();
    let mut sources = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for record in &moves {
        assert!(
            shards.insert(record.shard),
            "two moves of shard {}",
            record.shard
        );
        assert!(targets.insert(record.to), "two moves to node {}", record.to);
        if let Some(from) = record.from {
            assert!(sources.insert(from), "two moves from node {from}");
        }
    }
    let map = sim.map();
    for entry in &map.shards {
        let distinct: BTreeSet<NodeId> = entry.replicas.iter().copied().collect();
        assert_eq!(distinct.len(), entry.replicas.len(), "{entry:?}");
        let group = &sim.shards[&entry.id];
        // A repair takes the damaged voter out before it is added back empty.
        let repairing = moves.iter().any(|m| m.shard == entry.id && m.is_repair());
        let floor = sim.settings.replication_factor - usize::from(repairing);
        assert!(
            group.voters.len() >= floor,
            "shard {} has fewer voters than before: {:?}",
            entry.id,
            group.voters
        );
        if !moves.iter().any(|m| m.shard == entry.id) {
            assert_eq!(
                distinct, group.voters,
                "with no move in flight the map and the group agree on shard {}",
                entry.id
            );
        }
    }
}

fn settle(sim: &mut SimCluster, rounds: usize) -> usize {
    sim.settle(rounds, ROUND, check_invariants)
}

fn preferred_counts(sim: &SimCluster) -> BTreeMap<NodeId, usize> {
    let mut counts = BTreeMap::new();
    for entry in &sim.map().shards {
        *counts.entry(entry.replicas[0]).or_default() += 1;
    }
    counts
}

// ---------------------------------------------------------------------------------------
// Scenarios (the five of tests/cluster_elastic.rs, as sequences of views)
// ---------------------------------------------------------------------------------------

#[test]
fn scale_out_gives_a_new_node_its_share_of_replicas_and_leaderships() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    let rounds = settle(&mut sim, 2_000);
    assert!(rounds < 2_000, "settles");
    let registry: Vec<NodeId> = sim.registry().iter().map(|r| r.id).collect();
    assert!(registry.contains(&n(4)), "registered");
    assert!(
        sim.meta.learners.contains(&n(4)),
        "a meta learner (3 voters already)"
    );
    let counts = sim.replicas_per_node();
    assert_eq!(counts[&n(4)], 12, "{counts:?}");
    assert!(counts.values().all(|c| *c == 12), "{counts:?}");
    assert_eq!(meta_counters(&sim).finished, 12);
    assert!(sim.moves().is_empty());
    let preferred = preferred_counts(&sim);
    assert!(
        preferred.values().all(|c| (3..=5).contains(c)) && preferred.len() == 4,
        "preferred leaders even out: {preferred:?}"
    );
    assert!(sim.refused.is_empty(), "nothing refused: {:?}", sim.refused);
    for group in sim.shards.values() {
        assert!(group.learners.is_empty(), "sources removed: {group:?}");
    }
}

fn meta_counters(sim: &SimCluster) -> shoal_replication::meta::MoveCounters {
    shoal_replication::meta::read_move_counters(&sim.meta_data).unwrap()
}

fn set_state(sim: &mut SimCluster, node: u64, state: NodeState) {
    sim.propose(MetaCommand::SetNodeState {
        node_id: n(node),
        state,
    })
    .unwrap();
}

#[test]
fn drain_keeps_replicas_and_decommission_empties_the_node_which_then_leaves_the_meta_group() {
    let mut sim = SimCluster::new(4, 16, settings());
    let before = sim.map();
    let view = leader_view(&sim);
    assert_eq!(check_drain(&view, n(4)).unwrap(), NodeState::Active);
    set_state(&mut sim, 4, NodeState::Draining);
    settle(&mut sim, 200);
    assert_eq!(
        sim.map().shards,
        before.shards,
        "a drained node keeps its replicas"
    );

    let view = leader_view(&sim);
    let checked = check_decommission(&view, n(4), &settings()).unwrap();
    assert_eq!(checked.previous, NodeState::Draining);
    assert_eq!(
        checked.replicas_to_move as usize,
        sim.replicas_per_node()[&n(4)]
    );
    set_state(&mut sim, 4, NodeState::Decommissioned);
    settle(&mut sim, 2_000);
    let counts = sim.replicas_per_node();
    assert!(!counts.contains_key(&n(4)), "{counts:?}");
    assert!(counts.values().all(|c| *c == 16), "{counts:?}");
    assert!(
        !sim.meta.is_member(n(4)),
        "left the meta group: {:?}",
        sim.meta
    );
    for group in sim.shards.values() {
        assert_eq!(group.voters.len(), 3);
        assert!(!group.is_member(n(4)));
    }
    // Draining or decommissioning again is refused or changes nothing.
    let view = leader_view(&sim);
    assert!(matches!(
        check_drain(&view, n(4)),
        Err(ControlError::FailedPrecondition(_))
    ));
    assert_eq!(
        check_decommission(&view, n(4), &settings())
            .unwrap()
            .replicas_to_move,
        0
    );
}

#[test]
fn a_decommission_the_others_cannot_absorb_is_refused_naming_why() {
    let sim = SimCluster::new(3, 8, settings());
    let error = check_decommission(&leader_view(&sim), n(3), &settings()).unwrap_err();
    assert!(
        matches!(error, ControlError::FailedPrecondition(_)),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("cannot decommission node 3"),
        "{error}"
    );
    let error = check_decommission(&leader_view(&sim), n(9), &settings()).unwrap_err();
    assert!(matches!(error, ControlError::NotFound(_)), "{error:?}");
    assert!(
        error.to_string().contains("node 9 is not registered"),
        "{error}"
    );
}

#[test]
fn a_node_down_past_replace_after_has_its_replicas_and_meta_seat_given_to_others() {
    let mut settings = settings();
    settings.replace_after = Duration::from_secs(3);
    let mut sim = SimCluster::new(4, 16, settings);
    let map = sim.map();
    sim.kill(2);
    // Down for less than replace_after: it keeps everything (frozen), nothing moves.
    for _ in 0..10 {
        sim.reconcile_meta();
        sim.drive();
        sim.replicate();
        sim.age(ROUND);
        check_invariants(&sim);
    }
    assert!(sim.moves().is_empty());
    assert_eq!(sim.map().shards, map.shards);
    // Past it: evacuated.
    sim.age(Duration::from_secs(1));
    settle(&mut sim, 2_000);
    let counts = sim.replicas_per_node();
    assert!(!counts.contains_key(&n(2)), "{counts:?}");
    for group in sim.shards.values() {
        assert_eq!(group.voters.len(), 3);
        assert!(group.voters.iter().all(|v| sim.nodes[v].live), "{group:?}");
    }
    assert_eq!(
        sim.meta.voters,
        nodes(&[1, 3, 4]),
        "the learner took the seat"
    );
}

/// Stops replication to node 4 so the moves to it wait at catch-up.
fn scale_out_until_catching_up() -> SimCluster {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    sim.nodes.get_mut(&n(4)).unwrap().catches_up = false;
    for _ in 0..20 {
        sim.reconcile_meta();
        sim.drive();
        sim.replicate();
        sim.age(ROUND);
        check_invariants(&sim);
    }
    let moves = sim.moves();
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0].step, MoveStep::CatchUp);
    sim
}

#[test]
fn a_move_resumes_under_the_next_meta_leader() {
    let mut sim = scale_out_until_catching_up();
    let record = sim.moves()[0].clone();
    match &next_steps(&sim)[0].1 {
        StepOutcome::Wait(WaitReason::CatchingUp { node, .. }) => assert_eq!(*node, n(4)),
        other => panic!("{other:?}"),
    }
    // The meta leader dies; another voter takes over and drives the same move on.
    let old_leader = sim.meta_leader();
    sim.kill(old_leader.0);
    sim.replicate();
    assert_ne!(sim.meta_leader(), old_leader);
    sim.nodes.get_mut(&n(4)).unwrap().catches_up = true;
    for _ in 0..50 {
        sim.drive();
        sim.replicate();
        sim.age(ROUND);
        check_invariants(&sim);
        if !sim.moves().iter().any(|m| m.id == record.id) {
            break;
        }
    }
    assert!(!sim.moves().iter().any(|m| m.id == record.id), "finished");
    let counters = meta_counters(&sim);
    assert!(
        counters.finished >= 1 && counters.aborted == 0,
        "{counters:?}"
    );
    let entry = sim.map().entry(record.shard).unwrap().clone();
    assert!(entry.replicas.contains(&n(4)), "{entry:?}");
}

#[test]
fn a_move_whose_target_dies_before_it_votes_is_rolled_back() {
    let mut sim = scale_out_until_catching_up();
    let record = sim.moves()[0].clone();
    let voters = sim.shards[&record.shard].voters.clone();
    let map = sim.map();
    sim.kill(4);
    sim.age(Duration::from_secs(19));
    sim.drive();
    assert_eq!(sim.moves().len(), 1, "not before 20 s down");
    sim.age(Duration::from_secs(2));
    let round = sim.drive();
    assert!(
        matches!(round.steps[0].1, StepOutcome::Done(_)),
        "{round:?}"
    );
    assert!(sim.moves().is_empty());
    assert_eq!(meta_counters(&sim).aborted, 1);
    let group = &sim.shards[&record.shard];
    assert_eq!(group.voters, voters, "the shard keeps its voters");
    assert!(!group.is_member(n(4)), "the learner is removed");
    assert_eq!(sim.map().shards, map.shards, "the map is unchanged");
}

// ---------------------------------------------------------------------------------------
// Moves, step by step
// ---------------------------------------------------------------------------------------

#[test]
fn a_move_goes_through_its_steps_in_order() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    sim.reconcile_meta();
    let round = sim.drive();
    assert_eq!(round.start.len(), 1, "one move per target: {round:?}");
    let shard = round.start[0].shard;
    let mut steps = Vec::new();
    for _ in 0..10 {
        match sim.moves().first() {
            Some(record) => steps.push(record.step),
            None => break,
        }
        sim.drive();
        sim.replicate();
    }
    steps.dedup();
    assert_eq!(
        steps,
        [
            MoveStep::AddLearner,
            MoveStep::CatchUp,
            MoveStep::Promote,
            MoveStep::RemoveOld
        ]
    );
    assert!(sim.map().entry(shard).unwrap().replicas.contains(&n(4)));
}

#[test]
fn adding_a_learner_needs_the_targets_address_and_is_skipped_when_done() {
    let mut sim = SimCluster::new(3, 4, settings());
    sim.start_node(4, None);
    sim.reconcile_meta();
    sim.drive();
    let record = sim.moves()[0].clone();
    let mut view = leader_view(&sim);
    let report = view.reports[&record.shard].clone().unwrap();
    match next_step(&view, &record, Ok(&report)) {
        StepOutcome::Advance(commands) => {
            assert!(matches!(
                commands[0],
                Command::ChangeShard {
                    change: ShardChange::AddLearner { .. },
                    ..
                }
            ));
            assert_eq!(commands.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    // Already a member (a replay): only the step is recorded.
    let mut member = report.clone();
    member.group.learners.insert(n(4));
    match next_step(&view, &record, Ok(&member)) {
        StepOutcome::Advance(commands) => assert_eq!(commands.len(), 1, "{commands:?}"),
        other => panic!("{other:?}"),
    }
    // No address known: wait, naming why.
    let node = view.nodes.get_mut(&n(4)).unwrap();
    node.gossip.as_mut().unwrap().info.internal_address.clear();
    node.record.as_mut().unwrap().internal_address.clear();
    let outcome = next_step(&view, &record, Ok(&report));
    assert_eq!(outcome, StepOutcome::Wait(WaitReason::AddressUnknown(n(4))));
    assert!(match outcome {
        StepOutcome::Wait(reason) => reason.to_string().contains("node 4"),
        _ => false,
    });
    // No report: wait, saying why.
    assert!(matches!(
        next_step(&view, &record, Err("unreachable")),
        StepOutcome::Wait(WaitReason::NoReport(_))
    ));
}

fn move_at(sim: &mut SimCluster, step: MoveStep) -> shoal_replication::meta::MoveRecord {
    for _ in 0..20 {
        if let Some(record) = sim.moves().first()
            && record.step == step
        {
            return record.clone();
        }
        sim.reconcile_meta();
        sim.drive();
        sim.replicate();
    }
    panic!("no move reached {step:?}");
}

#[test]
fn a_source_that_leads_hands_its_leadership_to_a_staying_voter_before_the_change() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    let record = move_at(&mut sim, MoveStep::Promote);
    let from = record.from.expect("a balance move has a source");
    sim.shards.get_mut(&record.shard).unwrap().leader = Some(from);
    let view = leader_view(&sim);
    let report = view.reports[&record.shard].clone().unwrap();
    match next_step(&view, &record, Ok(&report)) {
        StepOutcome::Advance(commands) => match &commands[..] {
            [Command::TransferLeader { group, to }] => {
                assert_eq!(*group, GroupId::for_shard(record.shard));
                assert_ne!(*to, from);
                assert!(report.group.voters.contains(to));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // With no staying voter fit to lead (all others down), it waits.
    let mut view = view;
    for voter in report.group.voters.iter().filter(|v| **v != from) {
        view.nodes
            .get_mut(voter)
            .unwrap()
            .gossip
            .as_mut()
            .unwrap()
            .live = false;
    }
    assert!(matches!(
        next_step(&view, &record, Ok(&report)),
        StepOutcome::Wait(WaitReason::NoHandoffTarget { .. })
    ));
}

#[test]
fn promote_never_lowers_the_number_of_voters_and_remove_old_finishes() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    let record = move_at(&mut sim, MoveStep::Promote);
    let view = leader_view(&sim);
    let mut report = view.reports[&record.shard].clone().unwrap();
    // The target is a voter already and the source too (someone changed it by hand):
    // asking for source-out would lower the count.
    report.group.voters.insert(record.to);
    report.group.learners.remove(&record.to);
    assert!(matches!(
        next_step(&view, &record, Ok(&report)),
        StepOutcome::Wait(WaitReason::WouldLoseVoters { .. })
    ));
    let record = move_at(&mut sim, MoveStep::RemoveOld);
    let view = leader_view(&sim);
    let report = view.reports[&record.shard].clone().unwrap();
    match next_step(&view, &record, Ok(&report)) {
        StepOutcome::Done(commands) => {
            assert!(matches!(
                commands[0],
                Command::ChangeShard {
                    change: ShardChange::RemoveMember(_),
                    ..
                }
            ));
            assert!(matches!(
                commands[1],
                Command::ProposeMeta(MetaCommand::FinishMove { .. })
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_target_that_already_votes_is_not_rolled_back() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    let record = move_at(&mut sim, MoveStep::Promote);
    // The joint change committed, but the meta leader died before recording the step.
    let group = sim.shards.get_mut(&record.shard).unwrap();
    let mut wanted = group.voters.clone();
    wanted.remove(&record.from.unwrap());
    wanted.insert(record.to);
    group.leader = wanted.iter().copied().find(|v| *v != record.to);
    sim.execute(vec![Command::ChangeShard {
        shard: record.shard,
        change: ShardChange::SetVoters(wanted),
    }])
    .unwrap();
    // Then the target dies, long enough to roll back a move that had not promoted it.
    sim.kill(4);
    sim.age(Duration::from_secs(30));
    let view = leader_view(&sim);
    let report = view.reports[&record.shard].clone().unwrap();
    assert!(report.group.is_voter(n(4)));
    assert_eq!(
        next_step(&view, &record, Ok(&report)),
        StepOutcome::Advance(vec![Command::ProposeMeta(MetaCommand::AdvanceMove {
            id: record.id,
            step: MoveStep::RemoveOld,
            at_ms: view.now_ms,
        })]),
        "it goes on"
    );
}

#[test]
fn a_lost_learner_ends_the_move_without_touching_the_map() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    sim.nodes.get_mut(&n(4)).unwrap().catches_up = false;
    let record = move_at(&mut sim, MoveStep::CatchUp);
    let view = leader_view(&sim);
    let mut report = view.reports[&record.shard].clone().unwrap();
    report.group.learners.remove(&n(4));
    match next_step(&view, &record, Ok(&report)) {
        StepOutcome::Done(commands) => assert!(matches!(
            commands[..],
            [Command::ProposeMeta(MetaCommand::AbortMove { .. })]
        )),
        other => panic!("{other:?}"),
    }
}

#[test]
fn waves_respect_moves_in_flight_and_projected_maps_put_targets_in_the_sources_place() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    sim.start_node(5, None);
    sim.reconcile_meta();
    let round = driver_round(&leader_view(&sim), &settings());
    let targets: BTreeSet<NodeId> = round.start.iter().map(|m| m.to).collect();
    assert_eq!(
        targets.len(),
        round.start.len(),
        "one per target: {round:?}"
    );
    assert_eq!(round.start.len(), 2, "one to each new node: {round:?}");
    sim.drive();
    // With those in flight, the next wave may not reuse their shards, sources or targets.
    let view = leader_view(&sim);
    let wave = plan_wave(&view, &settings()).unwrap();
    for planned in &wave.startable {
        for record in &view.moves {
            assert_ne!(planned.shard, record.shard);
            assert_ne!(planned.to, record.to);
            assert!(planned.from.is_none() || planned.from != record.from);
        }
    }
    assert_eq!(wave.in_flight, 2);
    let record = &view.moves[0];
    let projected = projected(view.map.as_ref().unwrap(), &view.moves);
    let before = view.map.as_ref().unwrap().entry(record.shard).unwrap();
    let after = projected.entry(record.shard).unwrap();
    let at = before
        .replicas
        .iter()
        .position(|r| Some(*r) == record.from)
        .unwrap();
    assert_eq!(after.replicas[at], record.to);
}

#[test]
fn balance_moves_wait_until_every_replica_of_their_shard_is_up() {
    let mut sim = SimCluster::new(4, 16, settings());
    sim.start_node(5, None);
    sim.reconcile_meta();
    // Node 1 is down (for less than replace_after): no balance move of its shards starts.
    sim.kill(1);
    let view = leader_view(&sim);
    let wave = plan_wave(&view, &settings()).unwrap();
    let map = sim.map();
    for planned in &wave.startable {
        let entry = map.entry(planned.shard).unwrap();
        assert!(!entry.replicas.contains(&n(1)), "{planned:?}");
    }
}

#[test]
fn the_driver_acts_on_the_meta_leader_only_and_not_at_all_on_a_balanced_cluster() {
    let sim = SimCluster::new(3, 16, settings());
    let round = driver_round(&sim.view(n(2)), &settings());
    assert!(round.steps.is_empty() && round.start.is_empty() && round.departures.is_empty());
    let round = driver_round(&leader_view(&sim), &settings());
    assert!(round.start.is_empty(), "{round:?}");
    assert_eq!(round.prefer, None, "{round:?}");
    let mut manual = settings();
    manual.auto_rebalance = false;
    let mut sim = SimCluster::new(3, 16, manual.clone());
    sim.start_node(4, None);
    sim.reconcile_meta();
    let round = driver_round(&leader_view(&sim), &manual);
    assert!(round.start.is_empty(), "auto off: {round:?}");
    // ... but a rebalance plans them.
    assert!(
        !plan_wave(&leader_view(&sim), &manual)
            .unwrap()
            .startable
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------

fn role_of(sim: &SimCluster, node: u64) -> NodeRole {
    node_roles(&leader_view(sim), &sim.settings)
        .into_iter()
        .find(|r| r.id == n(node))
        .unwrap()
        .role
}

#[test]
fn node_roles_follow_state_liveness_and_readiness() {
    let mut sim = SimCluster::new(5, 8, settings());
    assert_eq!(role_of(&sim, 1), NodeRole::Active);
    set_state(&mut sim, 2, NodeState::Draining);
    assert_eq!(role_of(&sim, 2), NodeRole::Frozen);
    set_state(&mut sim, 3, NodeState::Decommissioned);
    assert_eq!(role_of(&sim, 3), NodeRole::Evacuate);
    sim.nodes.get_mut(&n(4)).unwrap().ready = false;
    assert_eq!(role_of(&sim, 4), NodeRole::Frozen);
    sim.nodes.get_mut(&n(4)).unwrap().ready = true;
    sim.nodes.get_mut(&n(4)).unwrap().gossip_state = NodeState::Leaving;
    assert_eq!(role_of(&sim, 4), NodeRole::Frozen, "shutting down");
    sim.kill(5);
    sim.age(Duration::from_secs(59));
    assert_eq!(role_of(&sim, 5), NodeRole::Frozen, "down, not yet replaced");
    sim.age(Duration::from_secs(1));
    assert_eq!(
        role_of(&sim, 5),
        NodeRole::Evacuate,
        "down for replace_after"
    );
}

// ---------------------------------------------------------------------------------------
// Leadership
// ---------------------------------------------------------------------------------------

fn group(leader: u64, voters: &[u64], matched: &[(u64, u64)], last: u64) -> GroupView {
    GroupView {
        leader: Some(n(leader)),
        term: 1,
        voters: nodes(voters),
        learners: BTreeSet::new(),
        joint_goal: None,
        last_log_index: last,
        matched: matched.iter().map(|(id, m)| (n(*id), Some(*m))).collect(),
    }
}

#[test]
fn may_lead_names_every_reason_a_node_may_not() {
    let mut sim = SimCluster::new(4, 4, settings());
    let status = group(1, &[1, 2, 3], &[(2, 100), (3, 10)], 100);
    let reason =
        |sim: &SimCluster, node| may_lead(&leader_view(sim), &status, n(node)).unwrap_err();
    assert!(may_lead(&leader_view(&sim), &status, n(2)).is_ok());
    assert!(reason(&sim, 4).contains("not a voter"));
    assert!(reason(&sim, 3).contains("not caught up"));
    set_state(&mut sim, 2, NodeState::Draining);
    assert!(reason(&sim, 2).contains("draining"));
    set_state(&mut sim, 2, NodeState::Decommissioned);
    assert!(reason(&sim, 2).contains("decommissioned"));
    set_state(&mut sim, 2, NodeState::Active);
    sim.nodes.get_mut(&n(2)).unwrap().gossip_state = NodeState::Leaving;
    assert!(reason(&sim, 2).contains("shutting down"));
    sim.nodes.get_mut(&n(2)).unwrap().gossip_state = NodeState::Active;
    sim.nodes.get_mut(&n(2)).unwrap().ready = false;
    assert!(reason(&sim, 2).contains("not ready"));
    // An operator's transfer does not wait for readiness to be gossiped.
    assert!(can_take_over(&leader_view(&sim), &status, n(2)).is_ok());
    sim.kill(2);
    assert!(reason(&sim, 2).contains("down"));
}

#[test]
fn the_leader_target_is_the_preferred_fit_voter_then_the_most_caught_up() {
    let mut sim = SimCluster::new(4, 4, settings());
    let status = group(1, &[1, 2, 3, 4], &[(2, 90), (3, 100), (4, 100)], 100);
    let view = leader_view(&sim);
    // Most caught up, lowest id on ties.
    assert_eq!(
        leader_target(&view, &status, n(1), None, &[], Handoff::Optional),
        Some(n(3))
    );
    // Preference first (2 is within the catch-up margin).
    assert_eq!(
        leader_target(&view, &status, n(1), None, &[n(2)], Handoff::Optional),
        Some(n(2))
    );
    // Preferred only: nobody when no preferred voter may lead.
    assert_eq!(
        leader_target(&view, &status, n(1), None, &[n(9)], Handoff::Preferred),
        None
    );
    assert_eq!(
        leader_target(&view, &status, n(1), None, &[n(4)], Handoff::Preferred),
        Some(n(4))
    );
    // Restricted to the staying voters.
    assert_eq!(
        leader_target(
            &view,
            &status,
            n(1),
            Some(&nodes(&[2, 4])),
            &[],
            Handoff::Optional
        ),
        Some(n(4))
    );
    // Nobody fit: an optional hand-off does nothing; a required one takes a live voter.
    for id in [2, 3, 4] {
        sim.nodes.get_mut(&n(id)).unwrap().ready = false;
    }
    let view = leader_view(&sim);
    assert_eq!(
        leader_target(&view, &status, n(1), None, &[], Handoff::Optional),
        None
    );
    assert_eq!(
        leader_target(&view, &status, n(1), None, &[], Handoff::Required),
        Some(n(3))
    );
    sim.kill(3);
    sim.kill(4);
    sim.kill(2);
    assert_eq!(
        leader_target(
            &leader_view(&sim),
            &status,
            n(1),
            None,
            &[],
            Handoff::Required
        ),
        None,
        "nobody live"
    );
}

fn led_groups(sim: &SimCluster, me: NodeId) -> Vec<(GroupId, GroupView)> {
    let mut led: Vec<(GroupId, GroupView)> = sim
        .shards
        .iter()
        .filter(|(_, g)| g.leader == Some(me))
        .map(|(s, g)| (GroupId::for_shard(*s), g.clone()))
        .collect();
    if sim.meta.leader == Some(me) {
        led.push((GroupId::META, sim.meta.clone()));
    }
    led
}

#[test]
fn leaderships_return_to_preferred_replicas_one_at_a_time() {
    let mut sim = SimCluster::new(3, 16, settings());
    // Node 2 took over every shard node 1 prefers (node 1 restarted).
    let taken: Vec<ShardId> = sim
        .map()
        .shards
        .iter()
        .filter(|e| e.replicas[0] == n(1))
        .map(|e| e.id)
        .collect();
    for shard in &taken {
        sim.shards.get_mut(shard).unwrap().leader = Some(n(2));
    }
    let view = sim.view(n(2));
    let command = balance_leaderships(&view, view.map.as_ref().unwrap(), &led_groups(&sim, n(2)));
    match command {
        Some(Command::TransferLeader { group, to }) => {
            assert_eq!(to, n(1));
            assert!(taken.contains(&group.shard().unwrap()));
        }
        other => panic!("{other:?}"),
    }
    // Node 1 not ready yet: nothing moves.
    sim.nodes.get_mut(&n(1)).unwrap().ready = false;
    let view = sim.view(n(2));
    assert_eq!(
        balance_leaderships(&view, view.map.as_ref().unwrap(), &led_groups(&sim, n(2))),
        None
    );
}

#[test]
fn a_draining_node_gives_away_every_leadership_the_meta_groups_last() {
    let mut sim = SimCluster::new(3, 4, settings());
    set_state(&mut sim, 1, NodeState::Draining);
    let me = n(1);
    let mut moved = Vec::new();
    for _ in 0..10 {
        let view = sim.view(me);
        let Some(command) =
            balance_leaderships(&view, view.map.as_ref().unwrap(), &led_groups(&sim, me))
        else {
            break;
        };
        if let Command::TransferLeader { group, .. } = &command {
            moved.push(*group);
        }
        sim.execute(vec![command]).unwrap();
    }
    assert!(!sim.shards.values().any(|g| g.leader == Some(me)));
    assert_ne!(sim.meta.leader, Some(me));
    assert_eq!(moved.last(), Some(&GroupId::META), "{moved:?}");
}

#[test]
fn a_node_whose_disk_refuses_writes_gives_its_leaderships_to_nodes_that_can_write() {
    let mut sim = SimCluster::new(3, 4, settings());
    let me = n(1);
    sim.nodes.get_mut(&me).unwrap().writes_refused = true;
    // Node 2's disk is full too: only node 3 may take over.
    sim.nodes.get_mut(&n(2)).unwrap().writes_refused = true;
    for _ in 0..10 {
        let view = sim.view(me);
        let Some(command) =
            balance_leaderships(&view, view.map.as_ref().unwrap(), &led_groups(&sim, me))
        else {
            break;
        };
        match &command {
            Command::TransferLeader { to, .. } => assert_eq!(*to, n(3), "{command:?}"),
            other => panic!("{other:?}"),
        }
        sim.execute(vec![command]).unwrap();
    }
    assert!(!sim.shards.values().any(|g| g.leader == Some(me)));
    // And no preferred-leader balancing hands one back while the disk is full.
    for node in [2, 3] {
        let view = sim.view(n(node));
        if let Some(Command::TransferLeader { to, .. }) = balance_leaderships(
            &view,
            view.map.as_ref().unwrap(),
            &led_groups(&sim, n(node)),
        ) {
            assert_eq!(to, n(3), "a leadership went to a node that refuses writes");
        }
    }
    let group = sim.shards.values().next().unwrap().clone();
    let why = may_lead(&sim.view(n(3)), &group, me).unwrap_err();
    assert!(why.contains("refuses writes"), "{why}");
}

#[test]
fn no_leadership_moves_to_a_replica_of_a_shard_that_is_moving() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    let record = move_at(&mut sim, MoveStep::Promote);
    let from = record.from.expect("a balance move has a source");
    // The source is the shard's preferred leader and another voter leads: balancing would
    // hand the leadership back to the replica that is leaving.
    let other = sim.shards[&record.shard]
        .voters
        .iter()
        .copied()
        .find(|v| *v != from)
        .unwrap();
    let mut view = sim.view(other);
    let entry = view
        .map
        .as_mut()
        .unwrap()
        .shards
        .iter_mut()
        .find(|e| e.id == record.shard)
        .unwrap();
    entry.replicas.retain(|r| *r != from);
    entry.replicas.insert(0, from);
    let mut status = sim.shards[&record.shard].clone();
    status.leader = Some(other);
    let led = vec![(GroupId::for_shard(record.shard), status)];
    let map = view.map.clone().unwrap();
    assert_eq!(balance_leaderships(&view, &map, &led), None);
    // Once the move is over, it may.
    view.moves.clear();
    assert_eq!(
        balance_leaderships(&view, &map, &led),
        Some(Command::TransferLeader {
            group: GroupId::for_shard(record.shard),
            to: from
        })
    );
}

#[test]
fn a_half_done_change_of_voters_is_finished_not_waited_on() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    let record = move_at(&mut sim, MoveStep::Promote);
    let from = record.from.unwrap();
    let view = leader_view(&sim);
    let mut report = view.reports[&record.shard].clone().unwrap();
    // The joint configuration committed, then the leader changed: both halves vote.
    let mut goal = report.group.voters.clone();
    goal.remove(&from);
    goal.insert(record.to);
    report.group.voters.insert(record.to);
    report.group.learners.remove(&record.to);
    report.group.joint_goal = Some(goal.clone());
    report.group.leader = goal.iter().copied().find(|v| *v != record.to);
    match next_step(&view, &record, Ok(&report)) {
        StepOutcome::Advance(commands) => assert_eq!(
            commands[0],
            Command::ChangeShard {
                shard: record.shard,
                change: ShardChange::SetVoters(goal.clone()),
            }
        ),
        other => panic!("{other:?}"),
    }
    // The change is valid; another that lowers the count is not.
    let id = GroupId::for_shard(record.shard);
    assert!(validate_change(&view, id, &report.group, &ShardChange::SetVoters(goal)).is_ok());
    report.group.joint_goal = None;
    let mut fewer = report.group.voters.clone();
    fewer.remove(&from);
    assert!(validate_change(&view, id, &report.group, &ShardChange::SetVoters(fewer)).is_err());
}

#[test]
fn the_meta_group_finishes_a_half_done_change_of_voters_first() {
    let mut sim = SimCluster::new(4, 4, settings());
    let goal = sim.meta.voters.clone();
    sim.meta.voters.insert(n(4));
    sim.meta.learners.remove(&n(4));
    sim.meta.joint_goal = Some(goal.clone());
    let view = leader_view(&sim);
    assert_eq!(
        meta_membership(&view, &BTreeSet::new(), &sim.settings),
        vec![Command::ChangeMetaVoters(goal)]
    );
}

/// Rounds of the control plane in which a damaged replica's node behaves as its hosting
/// does: it deletes the replica once the repair evicted it (then it is not damaged).
fn repair_rounds(sim: &mut SimCluster, node: u64, shard: ShardId, rounds: usize) {
    for _ in 0..rounds {
        sim.reconcile_meta();
        sim.drive();
        let evicted = sim
            .moves()
            .iter()
            .any(|m| m.shard == shard && m.is_repair() && m.step > MoveStep::Evict);
        if evicted {
            sim.nodes.get_mut(&n(node)).unwrap().damaged.remove(&shard);
        }
        sim.replicate();
        sim.age(ROUND);
        check_invariants(sim);
    }
}

#[test]
fn a_damaged_replica_is_evicted_rebuilt_in_place_and_promoted_again() {
    let mut sim = SimCluster::new(3, 16, settings());
    let shard = sim
        .map()
        .shards
        .iter()
        .find(|e| e.replicas[0] != n(2))
        .unwrap()
        .id;
    let voters = sim.shards[&shard].voters.clone();
    sim.nodes.get_mut(&n(2)).unwrap().damaged.insert(shard);
    let round = sim.drive();
    assert_eq!(
        round.start,
        vec![MovePlan {
            shard,
            from: Some(n(2)),
            to: n(2),
            reason: "repair".into()
        }]
    );
    assert_eq!(sim.moves()[0].step, MoveStep::Evict);
    // The eviction is the one change that lowers the voters, and only for a damaged replica.
    let (view, group) = shard_view(&sim, shard.0);
    let evict = ShardChange::EvictDamaged(n(2));
    assert!(validate_change(&view, GroupId::for_shard(shard), &group, &evict).is_ok());
    let healthy = ShardChange::EvictDamaged(n(3));
    let refused = validate_change(&view, GroupId::for_shard(shard), &group, &healthy)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("does not report its replica as damaged"),
        "{refused}"
    );
    repair_rounds(&mut sim, 2, shard, 30);
    assert!(sim.moves().is_empty(), "{:?}", sim.moves());
    assert_eq!(sim.shards[&shard].voters, voters, "node 2 votes again");
    assert!(sim.shards[&shard].learners.is_empty());
    let counters = meta_counters(&sim);
    assert_eq!((counters.finished, counters.aborted), (1, 0));
    assert!(sim.refused.is_empty(), "nothing refused: {:?}", sim.refused);
    assert!(
        sim.executed
            .iter()
            .any(|c| c.contains("evict the damaged replica of node 2")),
        "{:?}",
        sim.executed
    );
}

#[test]
fn a_shard_whose_only_replica_is_damaged_is_named_not_repaired() {
    let mut single = settings();
    single.replication_factor = 1;
    let mut sim = SimCluster::new(1, 4, single);
    sim.nodes.get_mut(&n(1)).unwrap().damaged.insert(ShardId(2));
    let round = sim.drive();
    assert!(round.start.is_empty(), "{:?}", round.start);
    assert!(
        round.stuck.iter().any(
            |s| s.contains("shard 2: its only replica, on node 1, is damaged")
                && s.contains("restore")
        ),
        "{:?}",
        round.stuck
    );
}

// ---------------------------------------------------------------------------------------
// Validation of control commands
// ---------------------------------------------------------------------------------------

fn shard_view(sim: &SimCluster, shard: u32) -> (crate::ClusterView, GroupView) {
    let group = sim.shards[&ShardId(shard)].clone();
    (sim.view(group.leader.unwrap()), group)
}

#[test]
fn changes_of_a_shards_voters_are_validated_before_they_run() {
    let mut sim = SimCluster::new(4, 4, settings());
    let (view, status) = shard_view(&sim, 0);
    let id = GroupId::for_shard(ShardId(0));
    let leader = status.leader.unwrap();
    let check = |view: &crate::ClusterView, change: ShardChange| {
        validate_change(view, id, &status, &change)
    };
    // A node that does not exist.
    let mut unknown = status.voters.clone();
    unknown.insert(n(778));
    let error = check(&view, ShardChange::SetVoters(unknown)).unwrap_err();
    assert!(matches!(error, ControlError::NotFound(_)), "{error:?}");
    assert!(error.to_string().contains("node 778"), "{error}");
    // No voters at all.
    assert!(matches!(
        check(&view, ShardChange::SetVoters(BTreeSet::new())),
        Err(ControlError::InvalidArgument { .. })
    ));
    // Fewer voters than before.
    let fewer: BTreeSet<NodeId> = status.voters.iter().copied().take(2).collect();
    assert!(matches!(
        check(&view, ShardChange::SetVoters(fewer)),
        Err(ControlError::FailedPrecondition(_))
    ));
    // A new voter that is not a member yet.
    let outsider = (1..=4).map(n).find(|id| !status.is_member(*id)).unwrap();
    let mut with_outsider = status.voters.clone();
    with_outsider.insert(outsider);
    let error = check(&view, ShardChange::SetVoters(with_outsider)).unwrap_err();
    assert!(
        error.to_string().contains("add it as a learner first"),
        "{error}"
    );
    // The leader leaving the voters.
    let mut without_leader = status.voters.clone();
    without_leader.remove(&leader);
    without_leader.insert(outsider);
    let mut member = status.clone();
    member.learners.insert(outsider);
    member.matched.insert(outsider, Some(member.last_log_index));
    let error =
        validate_change(&view, id, &member, &ShardChange::SetVoters(without_leader)).unwrap_err();
    assert!(error.to_string().contains("hand its leadership"), "{error}");
    // Removing a voter.
    assert!(matches!(
        check(&view, ShardChange::RemoveMember(leader)),
        Err(ControlError::FailedPrecondition(_))
    ));
    // Adding a dead node as a learner.
    sim.kill(outsider.0);
    let (view, _) = shard_view(&sim, 0);
    let error = check(
        &view,
        ShardChange::AddLearner {
            node: outsider,
            address: "10.0.0.9:5343".into(),
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("is down"), "{error}");
    // The same voters: a no-op, allowed.
    assert!(check(&view, ShardChange::SetVoters(status.voters.clone())).is_ok());
}

#[test]
fn leader_transfers_go_only_to_voters_that_can_lead() {
    let mut sim = SimCluster::new(4, 4, settings());
    let (_, status) = shard_view(&sim, 0);
    let id = GroupId::for_shard(ShardId(0));
    let leader = status.leader.unwrap();
    let voter = *status.voters.iter().find(|v| **v != leader).unwrap();
    let outsider = (1..=4).map(n).find(|id| !status.is_member(*id)).unwrap();
    let view = sim.view(leader);
    assert!(validate_transfer(&view, id, &status, voter).is_ok());
    assert!(
        validate_transfer(&view, id, &status, leader).is_ok(),
        "to itself: nothing to do"
    );
    let error = validate_transfer(&view, id, &status, outsider).unwrap_err();
    assert!(matches!(error, ControlError::FailedPrecondition(_)));
    assert!(error.to_string().contains("not a voter"), "{error}");
    assert!(matches!(
        validate_transfer(&view, id, &status, n(42)),
        Err(ControlError::NotFound(_))
    ));
    sim.kill(voter.0);
    let error = validate_transfer(&sim.view(leader), id, &status, voter).unwrap_err();
    assert!(error.to_string().contains("is down"), "{error}");
}

// ---------------------------------------------------------------------------------------
// Hosting
// ---------------------------------------------------------------------------------------

#[test]
fn hosting_follows_the_map_and_the_moves_and_keeps_a_replica_that_still_leads() {
    let mut sim = SimCluster::new(3, 16, settings());
    sim.start_node(4, None);
    sim.reconcile_meta();
    sim.drive();
    let map = sim.map();
    let moves = sim.moves();
    let wanted = wanted_replicas(&map, &moves, n(4));
    assert_eq!(
        wanted,
        [moves[0].shard].into_iter().collect(),
        "the move's target hosts it"
    );
    let changes = reconcile(&map, &moves, n(4), &BTreeMap::new(), &BTreeSet::new());
    assert_eq!(changes.start, vec![moves[0].shard]);
    // Node 1 holds a replica the map no longer lists: deleted, unless it still leads.
    let gone = map
        .shards
        .iter()
        .find(|e| !e.replicas.contains(&n(1)))
        .map(|e| e.id);
    if let Some(gone) = gone {
        let held = BTreeMap::from([(gone, false)]);
        assert_eq!(
            reconcile(&map, &[], n(1), &held, &BTreeSet::new()).delete,
            vec![gone]
        );
        let leading = BTreeMap::from([(gone, true)]);
        assert!(
            reconcile(&map, &[], n(1), &leading, &BTreeSet::new())
                .delete
                .is_empty()
        );
    }
    // Only the first map lets the first replica create its group.
    let entry = &map.shards[0];
    assert!(creates_group(&map, entry, entry.replicas[0]));
    assert!(!creates_group(&map, entry, entry.replicas[1]));
    let mut later = map.clone();
    later.epoch = 2;
    assert!(!creates_group(&later, entry, entry.replicas[0]));
}

// ---------------------------------------------------------------------------------------
// Bootstrap
// ---------------------------------------------------------------------------------------

fn candidate(id: u64) -> Candidate {
    Candidate {
        id: n(id),
        cluster_id: None,
        state: NodeState::Joining,
    }
}

#[test]
fn the_lowest_node_bootstraps_once_the_same_candidates_were_seen_for_a_few_rounds() {
    let mut state = BootstrapState::default();
    let seeds = vec!["a:1".to_owned()];
    match bootstrap_step(&mut state, n(1), &[candidate(1), candidate(2)], 3, &seeds) {
        BootstrapStep::Wait(why) => assert!(why.contains("1 more node"), "{why}"),
        other => panic!("{other:?}"),
    }
    let live = [candidate(3), candidate(1), candidate(2)];
    for round in 1..STABLE_ROUNDS {
        assert!(
            matches!(
                bootstrap_step(&mut state, n(1), &live, 3, &seeds),
                BootstrapStep::Wait(_)
            ),
            "round {round}"
        );
    }
    assert_eq!(
        bootstrap_step(&mut state, n(1), &live, 3, &seeds),
        BootstrapStep::Create(vec![n(1), n(2), n(3)])
    );
    // Another node only waits, naming the creator.
    let mut other = BootstrapState::default();
    for _ in 0..5 {
        match bootstrap_step(&mut other, n(2), &live, 3, &seeds) {
            BootstrapStep::Wait(why) => assert!(why.contains("waiting for node 1"), "{why}"),
            created => panic!("{created:?}"),
        }
    }
}

#[test]
fn a_changing_view_restarts_the_count_and_leaving_or_clustered_nodes_never_bootstrap() {
    let mut state = BootstrapState::default();
    let seeds = Vec::new();
    bootstrap_step(&mut state, n(1), &[candidate(1), candidate(2)], 2, &seeds);
    bootstrap_step(&mut state, n(1), &[candidate(1), candidate(3)], 2, &seeds);
    assert!(matches!(
        bootstrap_step(&mut state, n(1), &[candidate(1), candidate(3)], 2, &seeds),
        BootstrapStep::Wait(_)
    ));
    let mut leaving = candidate(2);
    leaving.state = NodeState::Leaving;
    let mut state = BootstrapState::default();
    for _ in 0..5 {
        assert!(matches!(
            bootstrap_step(
                &mut state,
                n(1),
                &[candidate(1), leaving.clone()],
                2,
                &seeds
            ),
            BootstrapStep::Wait(_)
        ));
    }
    let mut clustered = candidate(5);
    clustered.cluster_id = Some("abc".into());
    match bootstrap_step(
        &mut state,
        n(1),
        &[candidate(1), candidate(2), clustered],
        2,
        &seeds,
    ) {
        BootstrapStep::Wait(why) => assert!(why.contains("joining cluster abc"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_bootstrap_plan_has_the_first_nodes_as_voters_and_the_rest_as_learners() {
    let records: Vec<_> = (1..=5)
        .map(|id| shoal_replication::meta::NodeRecord {
            id: n(id),
            name: format!("n{id}"),
            internal_address: format!("10.0.0.{id}:5343"),
            client_address: String::new(),
            admin_address: String::new(),
            zone: None,
            state: NodeState::Active,
        })
        .collect();
    let plan = bootstrap_plan(&records, 3, 16, 3).unwrap();
    assert_eq!(
        plan.voters.keys().copied().collect::<Vec<_>>(),
        [1, 2, 3].map(n)
    );
    assert_eq!(
        plan.learners.keys().copied().collect::<Vec<_>>(),
        [4, 5].map(n)
    );
    assert_eq!(plan.shard_map.epoch, 1);
    assert!(
        bootstrap_plan(&records[..2], 3, 16, 3).is_err(),
        "RF 3 needs 3 nodes"
    );
}

// ---------------------------------------------------------------------------------------
// Meta membership and leaving it
// ---------------------------------------------------------------------------------------

/// Every node waiting to prove itself, as proven (they all answer as themselves).
fn all_proven(view: &crate::ClusterView) -> BTreeSet<NodeId> {
    to_prove(view).into_iter().map(|(node, _)| node).collect()
}

#[test]
fn a_node_gossip_announces_joins_only_once_it_proved_itself() {
    let settings = settings();
    let mut sim = SimCluster::new(3, 4, settings.clone());
    sim.start_node(4, None);
    sim.start_node(5, None);
    let view = leader_view(&sim);
    let waiting = to_prove(&view);
    assert_eq!(
        waiting.iter().map(|(node, _)| *node).collect::<Vec<_>>(),
        vec![n(4), n(5)],
        "the unregistered nodes, with their addresses: {waiting:?}"
    );
    assert!(waiting.iter().all(|(_, address)| !address.is_empty()));
    // Nothing proven: gossip alone registers nobody and adds no learner.
    assert!(meta_membership(&view, &BTreeSet::new(), &settings).is_empty());
    // Node 5 proved itself, node 4 did not: only 5 is registered and added.
    let commands = meta_membership(&view, &BTreeSet::from([n(5)]), &settings);
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(matches!(
        &commands[0],
        Command::ProposeMeta(MetaCommand::RegisterNode(record)) if record.id == n(5)
    ));
    assert!(matches!(commands[1], Command::AddMetaLearner { node, .. } if node == n(5)));
    // Registered nodes need no new proof; only the meta leader asks for one.
    sim.execute(commands).unwrap();
    let view = leader_view(&sim);
    assert_eq!(to_prove(&view).len(), 1);
    assert!(to_prove(&sim.view(n(2))).is_empty());
}

#[test]
fn joining_nodes_are_registered_and_become_learners_then_voters_while_voters_are_short() {
    let mut settings = settings();
    settings.meta_voters = 5;
    let mut sim = SimCluster::new(3, 4, settings.clone());
    sim.start_node(4, None);
    let commands = meta_membership(
        &leader_view(&sim),
        &all_proven(&leader_view(&sim)),
        &settings,
    );
    assert!(matches!(
        commands[0],
        Command::ProposeMeta(MetaCommand::RegisterNode(_))
    ));
    assert!(matches!(commands[1], Command::AddMetaLearner { node, .. } if node == n(4)));
    sim.execute(commands).unwrap();
    // Not caught up yet: not promoted.
    assert!(
        meta_membership(
            &leader_view(&sim),
            &all_proven(&leader_view(&sim)),
            &settings
        )
        .is_empty()
    );
    sim.replicate();
    let commands = meta_membership(
        &leader_view(&sim),
        &all_proven(&leader_view(&sim)),
        &settings,
    );
    assert_eq!(
        commands,
        vec![Command::ChangeMetaVoters(nodes(&[1, 2, 3, 4]))]
    );
    // Only the meta leader acts.
    assert!(meta_membership(&sim.view(n(2)), &all_proven(&sim.view(n(2))), &settings).is_empty());
}

#[test]
fn nodes_that_may_not_join_are_left_out() {
    let mut sim = SimCluster::new(3, 4, settings());
    sim.start_node(4, None);
    sim.nodes.get_mut(&n(4)).unwrap().gossip_state = NodeState::Leaving;
    assert!(
        meta_membership(
            &leader_view(&sim),
            &all_proven(&leader_view(&sim)),
            &settings()
        )
        .is_empty(),
        "leaving"
    );
    sim.nodes.get_mut(&n(4)).unwrap().gossip_state = NodeState::Joining;
    let mut view = leader_view(&sim);
    view.nodes
        .get_mut(&n(4))
        .unwrap()
        .gossip
        .as_mut()
        .unwrap()
        .info
        .cluster_id = Some("another".into());
    assert!(
        meta_membership(&view, &all_proven(&view), &settings()).is_empty(),
        "another cluster"
    );
    let mut view = leader_view(&sim);
    view.nodes
        .get_mut(&n(4))
        .unwrap()
        .gossip
        .as_mut()
        .unwrap()
        .info
        .internal_address
        .clear();
    assert!(
        meta_membership(&view, &all_proven(&view), &settings()).is_empty(),
        "no address"
    );
}

#[test]
fn a_failed_meta_voter_gives_its_seat_to_a_live_caught_up_learner_not_a_decommissioned_one() {
    let mut settings = settings();
    settings.replace_after = Duration::from_secs(3);
    let mut sim = SimCluster::new(5, 4, settings.clone());
    set_state(&mut sim, 4, NodeState::Decommissioned);
    sim.kill(2);
    assert!(
        meta_membership(
            &leader_view(&sim),
            &all_proven(&leader_view(&sim)),
            &settings
        )
        .is_empty(),
        "not yet"
    );
    sim.age(Duration::from_secs(3));
    assert_eq!(
        meta_membership(
            &leader_view(&sim),
            &all_proven(&leader_view(&sim)),
            &settings
        ),
        vec![Command::ChangeMetaVoters(nodes(&[1, 3, 5]))]
    );
}

#[test]
fn a_decommissioned_node_leaves_the_meta_group_only_when_empty_and_caught_up() {
    let mut sim = SimCluster::new(4, 8, settings());
    set_state(&mut sim, 4, NodeState::Decommissioned);
    assert!(
        meta_departures(&leader_view(&sim)).is_empty(),
        "it still holds replicas"
    );
    settle(&mut sim, 2_000);
    assert!(!sim.meta.is_member(n(4)));
    // A voter: demoted first, then removed. The meta leader itself hands off first.
    let mut sim = SimCluster::new(4, 8, settings());
    set_state(&mut sim, 1, NodeState::Decommissioned);
    for _ in 0..2_000 {
        if !sim.replicas_per_node().contains_key(&n(1)) && sim.moves().is_empty() {
            break;
        }
        sim.reconcile_meta();
        sim.drive();
        sim.replicate();
        sim.age(ROUND);
    }
    sim.replicate();
    let view = leader_view(&sim);
    if sim.meta_leader() == n(1) {
        assert!(matches!(
            meta_departures(&view)[..],
            [Command::TransferLeader {
                group: GroupId::META,
                ..
            }]
        ));
    }
    settle(&mut sim, 100);
    assert!(!sim.meta.is_member(n(1)), "{:?}", sim.meta);
    assert!(sim.meta.voters.len() >= 3);
    // A live node that has not applied the final map yet stays.
    let mut sim = SimCluster::new(4, 8, settings());
    set_state(&mut sim, 4, NodeState::Decommissioned);
    settle(&mut sim, 2_000);
    let mut view = leader_view(&sim);
    view.meta.learners.insert(n(4));
    view.meta
        .matched
        .insert(n(4), Some(view.meta.last_log_index));
    view.nodes
        .get_mut(&n(4))
        .unwrap()
        .gossip
        .as_mut()
        .unwrap()
        .info
        .shard_map_epoch = 0;
    assert!(meta_departures(&view).is_empty());
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

/// Something that happens to the cluster between driver rounds.
#[derive(Debug, Clone)]
enum Event {
    Join,
    Kill(u64),
    Revive(u64),
    Drain(u64),
    Undrain(u64),
    Decommission(u64),
    Slow(u64),
    Fast(u64),
    Wait(u64),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        2 => Just(Event::Join),
        1 => (1u64..8).prop_map(Event::Kill),
        1 => (1u64..8).prop_map(Event::Revive),
        1 => (1u64..8).prop_map(Event::Drain),
        1 => (1u64..8).prop_map(Event::Undrain),
        1 => (1u64..8).prop_map(Event::Decommission),
        1 => (1u64..8).prop_map(Event::Slow),
        1 => (1u64..8).prop_map(Event::Fast),
        3 => (1u64..30).prop_map(Event::Wait),
    ]
}

fn apply_event(sim: &mut SimCluster, event: &Event) {
    let known = |sim: &SimCluster, id: u64| sim.nodes.contains_key(&n(id));
    let registered = |sim: &SimCluster, id: u64| sim.registry().iter().any(|r| r.id == n(id));
    match event {
        Event::Join => {
            let next = sim.nodes.keys().map(|id| id.0).max().unwrap_or(0) + 1;
            if next <= 7 {
                sim.start_node(next, None);
            }
        }
        Event::Kill(id) if known(sim, *id) => {
            // Keep a quorum of the meta group alive, as a real cluster needs to act at all.
            let live_voters = sim
                .meta
                .voters
                .iter()
                .filter(|v| sim.nodes[v].live && v.0 != *id)
                .count();
            if live_voters * 2 > sim.meta.voters.len() && sim.nodes[&n(*id)].live {
                sim.kill(*id);
            }
        }
        Event::Revive(id) if known(sim, *id) => {
            let node = sim.nodes.get_mut(&n(*id)).unwrap();
            node.live = true;
            node.ready = true;
            node.down_for = None;
        }
        Event::Drain(id)
            if registered(sim, *id) && check_drain(&leader_view(sim), n(*id)).is_ok() =>
        {
            set_state(sim, *id, NodeState::Draining);
        }
        Event::Undrain(id)
            if registered(sim, *id) && check_drain(&leader_view(sim), n(*id)).is_ok() =>
        {
            set_state(sim, *id, NodeState::Active);
        }
        Event::Decommission(id) if registered(sim, *id) => {
            let settings = sim.settings.clone();
            if check_decommission(&leader_view(sim), n(*id), &settings).is_ok() {
                set_state(sim, *id, NodeState::Decommissioned);
            }
        }
        Event::Slow(id) if known(sim, *id) => {
            sim.nodes.get_mut(&n(*id)).unwrap().catches_up = false
        }
        Event::Fast(id) if known(sim, *id) => sim.nodes.get_mut(&n(*id)).unwrap().catches_up = true,
        Event::Wait(seconds) => sim.age(Duration::from_secs(*seconds)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Over random joins, failures, drains, decommissions and slow replicas: at most one
    /// move per shard, per source and per target; no shard ever has fewer voters than it
    /// started with; with no move in flight, map and group agree.
    #[test]
    fn random_histories_keep_the_safety_invariants(
        initial in 3u64..5,
        shards in 1u32..12,
        events in proptest::collection::vec(event(), 1..30),
    ) {
        let mut settings = settings();
        settings.replace_after = Duration::from_secs(10);
        let mut sim = SimCluster::new(initial, shards, settings);
        for event in &events {
            apply_event(&mut sim, event);
            for _ in 0..4 {
                sim.reconcile_meta();
                sim.drive();
                sim.replicate();
                sim.age(ROUND);
                check_invariants(&sim);
            }
        }
    }

    /// A step replayed by a new meta leader (from the view the old one had) changes
    /// nothing.
    #[test]
    fn a_step_replayed_after_a_meta_leader_failover_is_a_no_op(
        shards in 2u32..16,
        rounds in 1usize..40,
        slow in any::<bool>(),
    ) {
        let mut sim = SimCluster::new(3, shards, settings());
        sim.start_node(4, None);
        sim.start_node(5, None);
        sim.nodes.get_mut(&n(4)).unwrap().catches_up = !slow;
        for _ in 0..rounds {
            sim.reconcile_meta();
            sim.drive();
            sim.replicate();
        }
        let stale = leader_view(&sim);
        let steps: Vec<Vec<Command>> = next_steps(&sim)
            .into_iter()
            .filter_map(|(_, outcome)| match outcome {
                StepOutcome::Advance(c) | StepOutcome::Done(c) => Some(c),
                StepOutcome::Wait(_) => None,
            })
            .collect();
        for commands in &steps {
            let _ = sim.execute(commands.clone());
        }
        let after_once = (sim.meta_data.clone(), sim.meta.clone(), sim.shards.clone());
        // The new leader repeats the recorded steps, from the same (now stale) records.
        for record in &stale.moves {
            let report = stale.reports[&record.shard].as_ref().map_err(String::as_str);
            if let StepOutcome::Advance(c) | StepOutcome::Done(c) = next_step(&stale, record, report) {
                let _ = sim.execute(c);
            }
        }
        let mut after_twice = (sim.meta_data.clone(), sim.meta.clone(), sim.shards.clone());
        // Proposals advance the meta log index; nothing else may differ.
        after_twice.1.last_log_index = after_once.1.last_log_index;
        prop_assert_eq!(after_once, after_twice);
    }

    /// A cluster as placement created it needs no move and no leader change.
    #[test]
    fn a_plan_on_a_balanced_cluster_is_empty(
        nodes in 3u64..8,
        shards in 1u32..40,
        zones in 1u64..4,
    ) {
        let layout: Vec<(u64, Option<&str>)> = (1..=nodes)
            .map(|id| (id, Some(["a", "b", "c"][(id % zones) as usize])))
            .collect();
        let sim = SimCluster::with_zones(&layout, shards, settings());
        let round = driver_round(&leader_view(&sim), &settings());
        prop_assert!(round.start.is_empty(), "{:?}", round);
        prop_assert!(round.steps.is_empty());
        prop_assert!(round.departures.is_empty());
        let wave = plan_wave(&leader_view(&sim), &settings()).unwrap();
        prop_assert!(wave.plan.moves.is_empty(), "{:?}", wave.plan);
    }
}
