//! The placement driver: on the meta leader, it plans replica moves from the registry,
//! gossip liveness and the shard map (pure planning in `shoal_shardmap::plan`), records
//! them in the meta group, and carries each one out step by step — add the target as a
//! learner, let it catch up (snapshot, then log), promote it and demote the source in one
//! joint-consensus change, remove the source — recording every step, so a new meta leader
//! resumes a move where the old one left it. It also finishes decommissions (a node with no
//! replicas left leaves the meta group).
//!
//! Safety: a shard never has fewer voters during a move than before it (the target is
//! added before the source goes, in one joint change); a move whose target dies before
//! it became a voter is rolled back (the learner removed, the map unchanged).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use shoal_proto::v1 as pb;
use shoal_proto::v1::cluster_client::ClusterClient;
use shoal_replication::meta::{
    MetaCommand, MetaResponse, MovePlan, MoveRecord, MoveStep, NodeState,
};
use shoal_replication::{Dataplane, ReplicationError};
use shoal_shardmap::{MoveReason, NodeRole, Plan, RebalanceNode, ShardId, ShardMap};

use crate::status::from_status;

/// What the placement driver needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct PlacementSettings {
    pub replication_factor: usize,
    /// A node down this long has its replicas re-created elsewhere.
    pub replace_after: Duration,
    /// Start planned moves by themselves (otherwise only `cluster rebalance` starts them).
    pub auto: bool,
}

/// A move's target within this many entries of the leader's log has caught up.
const CAUGHT_UP_ENTRIES: u64 = 64;
/// A move whose target has been down this long before becoming a voter is rolled back.
const ABORT_TARGET_DOWN_AFTER: Duration = Duration::from_secs(20);
/// Longest a shard leader spends snapshotting and purging its log before adding a learner.
const COMPACT_WITHIN: Duration = Duration::from_secs(8);
/// How long one call to a shard leader may take.
const SHARD_CALL_TIMEOUT: Duration = Duration::from_secs(10);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// How the plan sees each registered node right now.
pub fn node_roles(dataplane: &Dataplane, settings: &PlacementSettings) -> Vec<RebalanceNode> {
    let directory = dataplane.directory();
    dataplane
        .meta()
        .nodes()
        .unwrap_or_default()
        .into_iter()
        .map(|record| {
            let peer = directory.get(record.id);
            let live = peer.as_ref().is_some_and(|p| p.live);
            let ready = peer.as_ref().is_some_and(|p| p.ready);
            let role = match record.state {
                NodeState::Decommissioned => NodeRole::Evacuate,
                _ if !live => {
                    let down = directory.down_for(record.id).unwrap_or_default();
                    if down >= settings.replace_after {
                        NodeRole::Evacuate
                    } else {
                        NodeRole::Draining
                    }
                }
                NodeState::Draining => NodeRole::Draining,
                _ if !ready => NodeRole::Draining,
                _ => NodeRole::Active,
            };
            RebalanceNode {
                id: record.id,
                zone: record.zone,
                role,
            }
        })
        .collect()
}

/// The map as it will be once the moves in flight are done.
fn projected(map: &ShardMap, moves: &[MoveRecord]) -> ShardMap {
    let mut map = map.clone();
    for record in moves {
        if let Some(entry) = map.shards.iter_mut().find(|e| e.id == record.shard) {
            entry
                .replicas
                .retain(|r| Some(*r) != record.from && *r != record.to);
            entry.replicas.push(record.to);
        }
    }
    map
}

/// The plan from the current state, and which of its moves may start now: not on a shard
/// with a move in flight, at most one move per source and per target node at a time
/// (counting the moves in flight), and balance moves only on shards whose replicas are all
/// up.
pub fn plan_now(
    dataplane: &Dataplane,
    settings: &PlacementSettings,
) -> Result<(Plan, Vec<MovePlan>, usize), ReplicationError> {
    let meta = dataplane.meta();
    let map = meta
        .shard_map()?
        .ok_or_else(|| ReplicationError::Unavailable("the cluster has no shard map yet".into()))?;
    let in_flight = meta.moves()?;
    let nodes = node_roles(dataplane, settings);
    let plan = shoal_shardmap::plan(
        &projected(&map, &in_flight),
        &nodes,
        settings.replication_factor,
    );
    let mut busy_shards: BTreeSet<ShardId> = in_flight.iter().map(|m| m.shard).collect();
    let mut sources: BTreeSet<u64> = in_flight.iter().filter_map(|m| m.from).collect();
    let mut targets: BTreeSet<u64> = in_flight.iter().map(|m| m.to).collect();
    let live = |node: u64| dataplane.directory().get(node).is_some_and(|p| p.live);
    let mut startable = Vec::new();
    for planned in &plan.moves {
        if busy_shards.contains(&planned.shard)
            || targets.contains(&planned.to)
            || planned.from.is_some_and(|from| sources.contains(&from))
        {
            continue;
        }
        if planned.reason == MoveReason::Balance {
            let all_up = map
                .shards
                .iter()
                .find(|e| e.id == planned.shard)
                .is_some_and(|e| e.replicas.iter().all(|r| live(*r)));
            if !all_up {
                continue;
            }
        }
        busy_shards.insert(planned.shard);
        targets.insert(planned.to);
        if let Some(from) = planned.from {
            sources.insert(from);
        }
        startable.push(MovePlan {
            shard: planned.shard,
            from: planned.from,
            to: planned.to,
            reason: planned.reason.as_str().to_owned(),
        });
    }
    Ok((plan, startable, in_flight.len()))
}

/// Records `moves` in the meta group (this node must lead it); returns those recorded.
pub async fn start_moves(
    dataplane: &Dataplane,
    moves: Vec<MovePlan>,
) -> Result<Vec<MoveRecord>, ReplicationError> {
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    match dataplane
        .meta()
        .propose(&MetaCommand::StartMoves {
            moves,
            at_ms: now_ms(),
        })
        .await?
    {
        MetaResponse::MovesStarted { moves } => {
            for record in &moves {
                tracing::info!(
                    move_id = record.id,
                    shard = %record.shard,
                    from = ?record.from,
                    to = record.to,
                    reason = %record.reason,
                    "replica move started"
                );
            }
            Ok(moves)
        }
        other => Err(ReplicationError::Internal(format!(
            "unexpected meta answer {other:?}"
        ))),
    }
}

/// Asks the leader of `shard` for its replica set, changing it first when `change` is set.
pub async fn shard_call(
    dataplane: &Dataplane,
    shard: ShardId,
    change: Option<pb::change_shard_replicas_request::Change>,
) -> Result<pb::ChangeShardReplicasResponse, ReplicationError> {
    let leader = dataplane.leader_of(shard).ok_or_else(|| {
        ReplicationError::Unavailable(format!("shard {shard} has no known leader"))
    })?;
    let address = dataplane
        .hosted(shard)
        .and_then(|s| s.group().members().get(&leader).cloned())
        .or_else(|| dataplane.internal_address(leader))
        .ok_or_else(|| {
            ReplicationError::Unavailable(format!("the address of node {leader} is unknown"))
        })?;
    let channel = dataplane
        .transport()
        .peers()
        .channel(leader, &address)
        .map_err(|e| ReplicationError::Unavailable(e.to_string()))?;
    let request = pb::ChangeShardReplicasRequest {
        shard_id: shard.0,
        change,
    };
    let mut client = ClusterClient::new(channel);
    let call = client.change_shard_replicas(request);
    match tokio::time::timeout(SHARD_CALL_TIMEOUT, call).await {
        Err(_) => Err(ReplicationError::Unavailable(format!(
            "node {leader}, leader of shard {shard}, did not answer within {SHARD_CALL_TIMEOUT:?}"
        ))),
        Ok(Err(status)) => Err(from_status(status)),
        Ok(Ok(answer)) => Ok(answer.into_inner()),
    }
}

fn matched(report: &pb::ChangeShardReplicasResponse, node: u64) -> Option<u64> {
    report
        .members
        .iter()
        .find(|m| m.node_id == node)
        .and_then(|m| m.matched_index)
}

fn voters(report: &pb::ChangeShardReplicasResponse) -> BTreeSet<u64> {
    report
        .members
        .iter()
        .filter(|m| m.voter)
        .map(|m| m.node_id)
        .collect()
}

async fn propose_step(dataplane: &Dataplane, command: MetaCommand) -> Result<(), ReplicationError> {
    match dataplane.meta().propose(&command).await? {
        MetaResponse::Rejected { reason } => Err(ReplicationError::Internal(reason)),
        _ => Ok(()),
    }
}

/// Carries `record` one step further if it can; returns why not otherwise.
async fn advance(dataplane: &Dataplane, record: &MoveRecord) -> Result<(), ReplicationError> {
    use pb::change_shard_replicas_request::Change;
    let directory = dataplane.directory();
    let shard = record.shard;
    let target_gone = match dataplane.meta().nodes()?.iter().find(|n| n.id == record.to) {
        None => Some("the target node is no longer registered".to_owned()),
        Some(node) if node.state == NodeState::Decommissioned => {
            Some("the target node is being decommissioned".to_owned())
        }
        Some(_) => directory
            .down_for(record.to)
            .filter(|down| *down >= ABORT_TARGET_DOWN_AFTER)
            .map(|down| format!("the target node has been down for {}s", down.as_secs())),
    };
    if let Some(reason) = target_gone
        && record.step < MoveStep::RemoveOld
    {
        // Before the joint change committed, the target is only a learner: take it out and
        // forget the move. (At Promote the change may have happened: look first.)
        let report = shard_call(dataplane, shard, None).await?;
        if !voters(&report).contains(&record.to) {
            shard_call(dataplane, shard, Some(Change::RemoveLearner(record.to))).await?;
            tracing::warn!(move_id = record.id, shard = %shard, to = record.to, %reason, "replica move rolled back");
            return propose_step(
                dataplane,
                MetaCommand::AbortMove {
                    id: record.id,
                    reason,
                },
            )
            .await;
        }
    }
    let next = |step| MetaCommand::AdvanceMove {
        id: record.id,
        step,
        at_ms: now_ms(),
    };
    match record.step {
        MoveStep::AddLearner => {
            let address = dataplane.internal_address(record.to).ok_or_else(|| {
                ReplicationError::Unavailable(format!(
                    "the address of node {} is unknown",
                    record.to
                ))
            })?;
            let add = Change::AddLearner(pb::ReplicaNode {
                node_id: record.to,
                internal_address: address,
            });
            shard_call(dataplane, shard, Some(add)).await?;
            propose_step(dataplane, next(MoveStep::CatchUp)).await
        }
        MoveStep::CatchUp => {
            let report = shard_call(dataplane, shard, None).await?;
            let caught_up = matched(&report, record.to)
                .is_some_and(|m| m + CAUGHT_UP_ENTRIES >= report.last_log_index);
            if !caught_up {
                return Err(ReplicationError::Unavailable(format!(
                    "node {} is catching up (at {} of {})",
                    record.to,
                    matched(&report, record.to).map_or("nothing".into(), |m| m.to_string()),
                    report.last_log_index
                )));
            }
            propose_step(dataplane, next(MoveStep::Promote)).await
        }
        MoveStep::Promote => {
            let report = shard_call(dataplane, shard, None).await?;
            let mut wanted = voters(&report);
            if let Some(from) = record.from {
                wanted.remove(&from);
            }
            wanted.insert(record.to);
            if voters(&report) != wanted {
                let change = Change::SetVoters(pb::VoterSet {
                    voters: wanted.into_iter().collect(),
                });
                shard_call(dataplane, shard, Some(change)).await?;
            }
            propose_step(dataplane, next(MoveStep::RemoveOld)).await
        }
        MoveStep::RemoveOld => {
            if let Some(from) = record.from {
                shard_call(dataplane, shard, Some(Change::RemoveLearner(from))).await?;
            }
            propose_step(dataplane, MetaCommand::FinishMove { id: record.id }).await?;
            tracing::info!(move_id = record.id, shard = %shard, from = ?record.from, to = record.to, "replica move finished");
            Ok(())
        }
    }
}

/// One round of the driver, on the meta leader: advance every move in flight, start new
/// ones, finish decommissions.
pub async fn drive(dataplane: &Arc<Dataplane>, settings: &PlacementSettings) {
    if !dataplane.meta().group().is_leader() {
        return;
    }
    let Ok(moves) = dataplane.meta().moves() else {
        return;
    };
    // Moves of different shards advance concurrently; each goes through as many steps as
    // it can this round.
    let steps = moves.iter().map(|record| async move {
        let mut record = record.clone();
        loop {
            match advance(dataplane, &record).await {
                Ok(()) => dataplane.set_move_note(record.id, None),
                Err(error) => {
                    tracing::debug!(move_id = record.id, %error, "replica move waits");
                    dataplane.set_move_note(record.id, Some(error.to_string()));
                    return;
                }
            }
            let current = dataplane.meta().moves().ok().into_iter().flatten();
            match current.into_iter().find(|m| m.id == record.id) {
                Some(next) if next.step > record.step => record = next,
                _ => return,
            }
        }
    });
    futures::future::join_all(steps).await;
    if settings.auto {
        match plan_now(dataplane, settings) {
            Ok((_, startable, _)) => match start_moves(dataplane, startable).await {
                // New moves take their first step at once.
                Ok(started) => {
                    for record in &started {
                        if let Err(error) = advance(dataplane, record).await {
                            dataplane.set_move_note(record.id, Some(error.to_string()));
                        }
                    }
                }
                Err(error) => tracing::debug!(%error, "replica moves not started this round"),
            },
            Err(error) => tracing::debug!(%error, "no placement plan this round"),
        }
        // With replicas in place, even out which node each shard prefers as leader.
        if moves.is_empty()
            && let Err(error) = balance_preferences(dataplane, settings).await
        {
            tracing::debug!(%error, "leader preferences not balanced this round");
        }
    }
    if let Err(error) = finish_decommissions(dataplane).await {
        tracing::debug!(%error, "decommission not finished this round");
    }
}

/// Moves one shard's preferred leader from the node preferred most to one preferred least,
/// when they differ by more than one.
async fn balance_preferences(
    dataplane: &Dataplane,
    settings: &PlacementSettings,
) -> Result<(), ReplicationError> {
    let Some(map) = dataplane.meta().shard_map()? else {
        return Ok(());
    };
    let nodes = node_roles(dataplane, settings);
    if let Some((shard, node)) = shoal_shardmap::next_leader_preference(&map, &nodes) {
        tracing::info!(shard = %shard, node, "preferred leader changed");
        propose_step(dataplane, MetaCommand::PreferLeader { shard, node }).await?;
    }
    Ok(())
}

/// Decommissioned nodes that hold no replica and take part in no move leave the meta group.
async fn finish_decommissions(dataplane: &Dataplane) -> Result<(), ReplicationError> {
    let meta = dataplane.meta();
    let map = meta.shard_map()?.unwrap_or(ShardMap {
        epoch: 0,
        shards: Vec::new(),
    });
    let moves = meta.moves()?;
    let group = meta.group();
    let members = group.members();
    for node in meta.nodes()? {
        if node.state != NodeState::Decommissioned || !members.contains_key(&node.id) {
            continue;
        }
        let holds = map.shards.iter().any(|e| e.replicas.contains(&node.id))
            || moves
                .iter()
                .any(|m| m.from == Some(node.id) || m.to == node.id);
        if holds {
            continue;
        }
        let status = group.status();
        // It leaves only once it has the whole meta log: the last map, without it, must
        // reach it, or it would never learn that its last replicas moved away.
        let caught_up = status
            .matched
            .get(&node.id)
            .copied()
            .flatten()
            .is_some_and(|matched| matched >= status.last_log_index);
        // ... and, when it is up, once it says (in gossip) that it applied that map: having
        // the entries is not knowing they are committed.
        let peer = dataplane.directory().get(node.id);
        let live = peer.as_ref().is_some_and(|p| p.live);
        let applied_final_map = peer
            .as_ref()
            .is_some_and(|p| p.shard_map_epoch >= map.epoch);
        if live && !(caught_up && applied_final_map) {
            continue;
        }
        if status.voters.contains(&node.id) {
            if node.id == dataplane.node_id() {
                // The meta leader itself leaves: hand the leadership over first.
                if let Some(next) = status.voters.iter().copied().find(|v| *v != node.id) {
                    group
                        .transfer_leader(next)
                        .await
                        .map_err(ReplicationError::from)?;
                }
                return Ok(());
            }
            let voters: BTreeSet<u64> = status
                .voters
                .iter()
                .copied()
                .filter(|v| *v != node.id)
                .collect();
            tracing::info!(
                node_id = node.id,
                ?voters,
                "decommissioned node leaves the meta voters"
            );
            group.change_voters(voters).await?;
        }
        tracing::info!(
            node_id = node.id,
            "decommissioned node leaves the meta group"
        );
        group.remove_learner(node.id).await?;
    }
    Ok(())
}

/// `ListMoves` on the meta leader: each move with its live progress from the shard leader.
pub async fn list_moves(dataplane: &Dataplane) -> Result<pb::ListMovesResponse, ReplicationError> {
    let meta = dataplane.meta();
    let counters = meta.move_counters()?;
    let moves = meta.moves()?;
    let reports = futures::future::join_all(
        moves
            .iter()
            .map(|record| shard_call(dataplane, record.shard, None)),
    )
    .await;
    let mut out = Vec::new();
    for (record, report) in moves.iter().zip(reports) {
        let mut status = pb::MoveStatus {
            id: record.id,
            shard_id: record.shard.0,
            from_node: record.from.unwrap_or(0),
            to_node: record.to,
            reason: record.reason.clone(),
            step: record.step.as_str().to_owned(),
            started_at_ms: record.started_at_ms,
            step_started_at_ms: record.step_at_ms,
            stuck_reason: dataplane.move_note(record.id).unwrap_or_default(),
            ..pb::MoveStatus::default()
        };
        match report {
            Ok(report) => {
                status.leader_last_index = report.last_log_index;
                if let Some(member) = report.members.iter().find(|m| m.node_id == record.to) {
                    status.target_matched_index = member.matched_index.unwrap_or(0);
                    status.bytes_sent = member.snapshot_bytes_sent;
                    status.bytes_total = member.snapshot_bytes_total;
                    status.bytes_per_second = member.snapshot_bytes_per_second;
                    if member.snapshot_bytes_per_second > 0.0 {
                        status.eta_seconds = (member.snapshot_bytes_total
                            - member.snapshot_bytes_sent.min(member.snapshot_bytes_total))
                            as f64
                            / member.snapshot_bytes_per_second;
                    }
                }
            }
            Err(error) if status.stuck_reason.is_empty() => {
                status.stuck_reason = error.to_string();
            }
            Err(_) => {}
        }
        out.push(status);
    }
    Ok(pb::ListMovesResponse {
        moves: out,
        finished: counters.finished,
        aborted: counters.aborted,
    })
}

/// On the shard's leader: applies `change` (idempotently) and reports the replica set.
pub(crate) async fn change_replicas(
    dataplane: &Dataplane,
    request: pb::ChangeShardReplicasRequest,
) -> Result<pb::ChangeShardReplicasResponse, ReplicationError> {
    use pb::change_shard_replicas_request::Change;
    let shard = ShardId(request.shard_id);
    let replica = dataplane.hosted(shard).filter(|s| s.group().is_leader());
    let Some(replica) = replica else {
        return Err(ReplicationError::NotLeader {
            group: format!("shard {shard}"),
            leader: dataplane.leader_of(shard),
            leader_address: None,
        });
    };
    let group = replica.group();
    let status = group.status();
    match request.change {
        None => {}
        Some(Change::AddLearner(node)) if !group.members().contains_key(&node.node_id) => {
            // The new replica then receives a snapshot (capped, resumable), not the log.
            group.compact_for_transfer(COMPACT_WITHIN).await?;
            tracing::info!(shard = %shard, node_id = node.node_id, "adding a learner");
            group
                .add_learner(node.node_id, &node.internal_address, false)
                .await?;
        }
        Some(Change::AddLearner(_)) => {}
        Some(Change::SetVoters(set)) => {
            let wanted: BTreeSet<u64> = set.voters.into_iter().collect();
            let current: BTreeSet<u64> = status.voters.iter().copied().collect();
            if wanted != current {
                let me = dataplane.node_id();
                if !wanted.contains(&me) {
                    // A leader leaving the voters hands the leadership over first, to a
                    // caught-up voter that stays.
                    let next = current
                        .iter()
                        .copied()
                        .filter(|v| *v != me && wanted.contains(v))
                        .max_by_key(|v| status.matched.get(v).copied().flatten());
                    if let Some(next) = next {
                        group.transfer_leader(next).await?;
                    }
                    return Err(ReplicationError::Unavailable(format!(
                        "node {me} leads shard {shard} and is leaving its voters: handing the \
                         leadership to node {} first",
                        next.map_or("?".into(), |n| n.to_string())
                    )));
                }
                tracing::info!(shard = %shard, from = ?current, to = ?wanted, "changing voters");
                group.change_voters(wanted).await?;
            }
        }
        Some(Change::RemoveLearner(node)) => {
            if group.status().voters.contains(&node) {
                return Err(ReplicationError::InvalidArgument {
                    field: "remove_learner",
                    reason: format!("node {node} is a voter of shard {shard}"),
                });
            }
            tracing::info!(shard = %shard, node_id = node, "removing a member");
            group.remove_learner(node).await?;
        }
    }
    let status = group.status();
    let transfers: BTreeMap<u64, _> = dataplane
        .transport()
        .transfers()
        .in_flight(group.group())
        .into_iter()
        .map(|p| (p.target, p))
        .collect();
    let members = group
        .members()
        .into_keys()
        .map(|node| {
            let transfer = transfers.get(&node);
            pb::ReplicaProgress {
                node_id: node,
                voter: status.voters.contains(&node),
                matched_index: if node == dataplane.node_id() {
                    Some(status.last_log_index)
                } else {
                    status.matched.get(&node).copied().flatten()
                },
                snapshot_bytes_sent: transfer.map_or(0, |t| t.sent),
                snapshot_bytes_total: transfer.map_or(0, |t| t.total),
                snapshot_bytes_per_second: transfer.map_or(0.0, |t| t.rate()),
            }
        })
        .collect();
    Ok(pb::ChangeShardReplicasResponse {
        leader_id: dataplane.node_id(),
        last_log_index: status.last_log_index,
        members,
    })
}
