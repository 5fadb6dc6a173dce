//! Conversions between shoal's own types and the generated protobuf types: the only place
//! they meet.

use std::collections::BTreeSet;

use shoal_consensus::{GroupRole, GroupStatus};
use shoal_control::actor::{JobStatus, MovesReport, RebalanceOutcome};
use shoal_control::engine::decommission::Decommission;
use shoal_control::{ShardChange, ShardReport};
use shoal_proto::internal as ipb;
use shoal_proto::v1 as pb;
use shoal_replication::meta::{ApiKeyRecord, AuditEntry, NodeState, Role};
use shoal_replication::{PeerInfo, ReplicationError};
use shoal_shardmap::{NodeId, ShardId};

pub(crate) fn role(role: GroupRole) -> pb::GroupRole {
    match role {
        GroupRole::Leader => pb::GroupRole::Leader,
        GroupRole::Follower => pb::GroupRole::Follower,
        GroupRole::Candidate => pb::GroupRole::Candidate,
        GroupRole::Learner => pb::GroupRole::Learner,
        GroupRole::Shutdown => pb::GroupRole::Shutdown,
    }
}

pub(crate) fn group_status(status: &GroupStatus) -> pb::GroupStatus {
    pb::GroupStatus {
        group_id: status.group.0,
        role: role(status.role) as i32,
        leader_id: status.leader.map_or(0, |l| l.0),
        term: status.term,
        applied_index: status.applied_index,
        last_log_index: status.last_log_index,
        snapshot_index: status.snapshot_index,
        purged_index: status.purged_index,
        data_digest: 0,
        digest_applied_index: 0,
    }
}

pub(crate) fn node_state(state: NodeState) -> pb::NodeState {
    match state {
        NodeState::Joining => pb::NodeState::Joining,
        NodeState::Active => pb::NodeState::Active,
        NodeState::Draining => pb::NodeState::Draining,
        NodeState::Decommissioned => pb::NodeState::Decommissioned,
        NodeState::Leaving => pb::NodeState::Leaving,
    }
}

pub(crate) fn member(peer: &PeerInfo) -> pb::Member {
    pb::Member {
        node_id: peer.node_id.0,
        name: peer.name.clone(),
        generation: peer.generation,
        live: peer.live,
        ready: peer.ready,
        state: node_state(peer.state) as i32,
        internal_address: peer.internal_address.clone(),
        client_address: peer.client_address.clone(),
        admin_address: peer.admin_address.clone(),
        gossip_address: peer.gossip_address.clone(),
        zone: peer.zone.clone().unwrap_or_default(),
        leading_shards: peer.leading_shards.iter().map(|s| s.0).collect(),
        shard_map_epoch: peer.shard_map_epoch,
        cluster_id: peer.cluster_id.clone().unwrap_or_default(),
    }
}

/// A change of a shard's replica set, as the internal Control service receives it.
pub(crate) fn shard_change(
    change: ipb::change_shard_replicas_request::Change,
) -> Result<ShardChange, ReplicationError> {
    use ipb::change_shard_replicas_request::Change;
    Ok(match change {
        Change::AddLearner(node) => ShardChange::AddLearner {
            node: NodeId(node.node_id),
            address: node.internal_address,
        },
        Change::SetVoters(set) => {
            ShardChange::SetVoters(set.voters.into_iter().map(NodeId).collect::<BTreeSet<_>>())
        }
        Change::RemoveLearner(node) => ShardChange::RemoveMember(NodeId(node)),
        Change::EvictDamaged(node) => ShardChange::EvictDamaged(NodeId(node)),
    })
}

/// The inverse, for the gRPC shard-admin port.
pub(crate) fn shard_change_request(
    shard: ShardId,
    change: Option<ShardChange>,
) -> ipb::ChangeShardReplicasRequest {
    use ipb::change_shard_replicas_request::Change;
    ipb::ChangeShardReplicasRequest {
        shard_id: shard.0,
        change: change.map(|change| match change {
            ShardChange::AddLearner { node, address } => Change::AddLearner(ipb::ReplicaNode {
                node_id: node.0,
                internal_address: address,
            }),
            ShardChange::SetVoters(voters) => Change::SetVoters(ipb::VoterSet {
                voters: voters.into_iter().map(|v| v.0).collect(),
            }),
            ShardChange::RemoveMember(node) => Change::RemoveLearner(node.0),
            ShardChange::EvictDamaged(node) => Change::EvictDamaged(node.0),
        }),
    }
}

pub(crate) fn shard_report_message(report: &ShardReport) -> ipb::ChangeShardReplicasResponse {
    let group = &report.group;
    ipb::ChangeShardReplicasResponse {
        leader_id: group.leader.map_or(0, |l| l.0),
        last_log_index: group.last_log_index,
        members: group
            .members()
            .into_iter()
            .map(|node| {
                let transfer = report.transfers.get(&node).copied().unwrap_or_default();
                ipb::ReplicaProgress {
                    node_id: node.0,
                    voter: group.is_voter(node),
                    matched_index: group.matched(node),
                    snapshot_bytes_sent: transfer.sent,
                    snapshot_bytes_total: transfer.total,
                    snapshot_bytes_per_second: transfer.bytes_per_second,
                }
            })
            .collect(),
        joint_goal: group
            .joint_goal
            .iter()
            .flatten()
            .map(|node| node.0)
            .collect(),
    }
}

pub(crate) fn shard_report(
    shard: ShardId,
    message: ipb::ChangeShardReplicasResponse,
) -> ShardReport {
    let mut group = shoal_control::GroupView {
        leader: (message.leader_id != 0).then_some(NodeId(message.leader_id)),
        last_log_index: message.last_log_index,
        joint_goal: (!message.joint_goal.is_empty())
            .then(|| message.joint_goal.iter().copied().map(NodeId).collect()),
        ..shoal_control::GroupView::default()
    };
    let mut transfers = std::collections::BTreeMap::new();
    for member in message.members {
        let node = NodeId(member.node_id);
        if member.voter {
            group.voters.insert(node);
        } else {
            group.learners.insert(node);
        }
        group.matched.insert(node, member.matched_index);
        if member.snapshot_bytes_total > 0 {
            transfers.insert(
                node,
                shoal_control::TransferView {
                    sent: member.snapshot_bytes_sent,
                    total: member.snapshot_bytes_total,
                    bytes_per_second: member.snapshot_bytes_per_second,
                },
            );
        }
    }
    ShardReport {
        shard,
        group,
        transfers,
    }
}

pub(crate) fn moves(report: MovesReport) -> pb::ListMovesResponse {
    let moves = report
        .moves
        .into_iter()
        .map(|progress| {
            let record = progress.record;
            let mut status = pb::MoveStatus {
                id: record.id,
                shard_id: record.shard.0,
                from_node: record.from.map_or(0, |n| n.0),
                to_node: record.to.0,
                reason: record.reason.clone(),
                step: record.step.as_str().to_owned(),
                started_at_ms: record.started_at_ms,
                step_started_at_ms: record.step_at_ms,
                stuck_reason: progress.waiting_for.unwrap_or_default(),
                ..pb::MoveStatus::default()
            };
            match progress.report {
                Ok(report) => {
                    status.leader_last_index = report.group.last_log_index;
                    status.target_matched_index = report.group.matched(record.to).unwrap_or(0);
                    if let Some(transfer) = report.transfers.get(&record.to) {
                        status.bytes_sent = transfer.sent;
                        status.bytes_total = transfer.total;
                        status.bytes_per_second = transfer.bytes_per_second;
                        if transfer.bytes_per_second > 0.0 {
                            status.eta_seconds =
                                (transfer.total - transfer.sent.min(transfer.total)) as f64
                                    / transfer.bytes_per_second;
                        }
                    }
                }
                Err(error) if status.stuck_reason.is_empty() => status.stuck_reason = error,
                Err(_) => {}
            }
            status
        })
        .collect();
    pb::ListMovesResponse {
        moves,
        finished: report.counters.finished,
        aborted: report.counters.aborted,
    }
}

pub(crate) fn rebalance(outcome: RebalanceOutcome) -> pb::RebalanceResponse {
    pb::RebalanceResponse {
        moves: outcome
            .plan
            .moves
            .iter()
            .map(|m| pb::PlannedMove {
                shard_id: m.shard.0,
                from_node: m.from.map_or(0, |n| n.0),
                to_node: m.to.0,
                reason: m.reason.as_str().to_owned(),
                started: outcome.started.contains(&(m.shard, m.to)),
            })
            .collect(),
        stuck: outcome
            .plan
            .stuck
            .iter()
            .map(|(shard, why)| format!("shard {shard}: {why}"))
            .collect(),
        in_flight: outcome.in_flight as u32,
    }
}

pub(crate) fn decommission(node: NodeId, done: &Decommission) -> pb::DecommissionNodeResponse {
    pb::DecommissionNodeResponse {
        node_id: node.0,
        previous_state: node_state(done.previous) as i32,
        replicas_to_move: done.replicas_to_move,
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    duration.as_millis() as u64
}

pub(crate) fn job(status: &JobStatus) -> pb::JobStatus {
    pb::JobStatus {
        name: status.name.to_owned(),
        runs: status.runs,
        running: status.running,
        every_ms: millis(status.every),
        last_run_ms_ago: status.last_run_ago.map(millis),
        last_duration_ms: status.last_duration.map_or(0, millis),
        last_error: status.last_error.clone().unwrap_or_default(),
        last_error_ms_ago: status.last_error_ago.map(millis),
        waiting_for: status.waiting_for.clone(),
    }
}

pub(crate) fn api_key_role(role: Role) -> pb::ApiKeyRole {
    match role {
        Role::Read => pb::ApiKeyRole::Read,
        Role::Write => pb::ApiKeyRole::Write,
        Role::Admin => pb::ApiKeyRole::Admin,
    }
}

pub(crate) fn role_of(wire: i32) -> Result<Role, ReplicationError> {
    match pb::ApiKeyRole::try_from(wire) {
        Ok(pb::ApiKeyRole::Read) => Ok(Role::Read),
        Ok(pb::ApiKeyRole::Write) => Ok(Role::Write),
        Ok(pb::ApiKeyRole::Admin) => Ok(Role::Admin),
        _ => Err(ReplicationError::InvalidArgument {
            field: "role",
            reason: "must be read, write or admin".into(),
        }),
    }
}

/// A key as listed: never its secret or its hash.
pub(crate) fn api_key(key: &ApiKeyRecord) -> pb::ApiKeyInfo {
    pb::ApiKeyInfo {
        id: key.id.clone(),
        name: key.name.clone(),
        role: api_key_role(key.role) as i32,
        prefix: key.prefix.clone(),
        created_at_ms: key.created_at_ms,
        expires_at_ms: key.expires_at_ms,
        revoked_at_ms: key.revoked_at_ms,
    }
}

pub(crate) fn audit_record(entry: &AuditEntry) -> ipb::AuditRecord {
    ipb::AuditRecord {
        at_ms: entry.at_ms,
        node_id: entry.node.0,
        who: entry.who.clone(),
        rpc: entry.rpc.clone(),
        outcome: entry.outcome.clone(),
    }
}

pub(crate) fn audit_entry(record: ipb::AuditRecord) -> AuditEntry {
    AuditEntry {
        at_ms: record.at_ms,
        node: NodeId(record.node_id),
        who: record.who,
        rpc: record.rpc,
        outcome: record.outcome,
    }
}

pub(crate) fn audit_view(entry: &AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        at_ms: entry.at_ms,
        node_id: entry.node.0,
        who: entry.who.clone(),
        rpc: entry.rpc.clone(),
        outcome: entry.outcome.clone(),
    }
}
