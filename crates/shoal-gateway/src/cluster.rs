//! The `shoal.v1.Cluster` service: status (gathered from every live node), members,
//! the shard map for smart clients, leader transfer, and draining nodes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use shoal_proto::v1 as pb;
use shoal_proto::v1::cluster_client::ClusterClient;
use shoal_replication::meta::{MetaCommand, MetaResponse, NodeState};
use shoal_replication::{Dataplane, GroupRole, GroupStatus, PeerInfo, ReplicationError};
use shoal_shardmap::ShardId;
use tonic::{Request, Response, Status};

use crate::status::{from_status, to_status};
use crate::{DataplaneCell, GatewaySettings, Mode};

/// How long a node waits for each peer's own status when gathering the cluster's.
const PEER_STATUS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a leader transfer may take before the call gives up.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct ClusterService {
    cell: DataplaneCell,
    settings: GatewaySettings,
    mode: Mode,
}

impl ClusterService {
    pub(crate) fn new(
        cell: DataplaneCell,
        settings: GatewaySettings,
        mode: Mode,
    ) -> ClusterService {
        ClusterService {
            cell,
            settings,
            mode,
        }
    }

    fn dataplane(&self) -> Result<&Arc<Dataplane>, Status> {
        self.cell
            .get()
            .ok_or_else(|| Status::unavailable("the node is still starting"))
    }
}

fn role(role: GroupRole) -> pb::GroupRole {
    match role {
        GroupRole::Leader => pb::GroupRole::Leader,
        GroupRole::Follower => pb::GroupRole::Follower,
        GroupRole::Candidate => pb::GroupRole::Candidate,
        GroupRole::Learner => pb::GroupRole::Learner,
        GroupRole::Shutdown => pb::GroupRole::Shutdown,
    }
}

fn group_status(status: &GroupStatus) -> pb::GroupStatus {
    pb::GroupStatus {
        group_id: status.group,
        role: role(status.role) as i32,
        leader_id: status.leader.unwrap_or(0),
        term: status.term,
        applied_index: status.applied_index,
        last_log_index: status.last_log_index,
        snapshot_index: status.snapshot_index,
        purged_index: status.purged_index,
        data_digest: 0,
        digest_applied_index: 0,
    }
}

fn node_state(state: NodeState) -> pb::NodeState {
    match state {
        NodeState::Joining => pb::NodeState::Joining,
        NodeState::Active => pb::NodeState::Active,
        NodeState::Draining => pb::NodeState::Draining,
        NodeState::Decommissioned => pb::NodeState::Decommissioned,
    }
}

fn member(peer: &PeerInfo) -> pb::Member {
    pb::Member {
        node_id: peer.node_id,
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
        leading_shards: peer.leading_shards.clone(),
        shard_map_epoch: peer.shard_map_epoch,
        cluster_id: peer.cluster_id.clone().unwrap_or_default(),
    }
}

/// This node's own view: its groups, its storage, the registry and the shard map.
async fn local_status(
    dataplane: &Dataplane,
    version: &str,
    with_digests: bool,
) -> pb::StatusResponse {
    let meta_group = dataplane.meta().group().status();
    let map = dataplane.shard_map();
    let mut shards = Vec::with_capacity(map.shards.len());
    for entry in &map.shards {
        let hosted = dataplane.hosted(entry.id);
        let mut group = hosted.as_ref().map(|shard| group_status(&shard.status()));
        if with_digests
            && let (Some(shard), Some(group)) = (hosted.as_ref(), group.as_mut())
            && let Ok((index, digest)) = shard.group().state_digest().await
        {
            group.data_digest = digest;
            group.digest_applied_index = index;
        }
        let replicas = match &group {
            Some(status) => vec![pb::ReplicaStatus {
                node_id: dataplane.node_id(),
                reachable: true,
                role: status.role,
                applied_index: status.applied_index,
                last_log_index: status.last_log_index,
                lag: 0,
                data_digest: status.data_digest,
                digest_applied_index: status.digest_applied_index,
            }],
            None => Vec::new(),
        };
        shards.push(pb::ShardStatus {
            shard_id: entry.id.0,
            hash_start: entry.range.start,
            hash_end: entry.range.end,
            keys: hosted.map_or(0, |shard| shard.key_count().unwrap_or(0)),
            group,
            leader_id: dataplane.leader_of(entry.id).unwrap_or(0),
            replicas,
        });
    }
    let registry = dataplane.meta().nodes().unwrap_or_default();
    let voters = &meta_group.voters;
    let learners = &meta_group.learners;
    let mut nodes: BTreeMap<u64, pb::NodeStatus> = registry
        .iter()
        .map(|record| {
            (
                record.id,
                pb::NodeStatus {
                    node_id: record.id,
                    name: record.name.clone(),
                    state: node_state(record.state) as i32,
                    internal_address: record.internal_address.clone(),
                    client_address: record.client_address.clone(),
                    admin_address: record.admin_address.clone(),
                    zone: record.zone.clone().unwrap_or_default(),
                    meta_voter: voters.contains(&record.id),
                    meta_learner: learners.contains(&record.id),
                    ..pb::NodeStatus::default()
                },
            )
        })
        .collect();
    for peer in dataplane.directory().all() {
        let entry = nodes.entry(peer.node_id).or_insert_with(|| pb::NodeStatus {
            node_id: peer.node_id,
            name: peer.name.clone(),
            state: node_state(peer.state) as i32,
            internal_address: peer.internal_address.clone(),
            client_address: peer.client_address.clone(),
            admin_address: peer.admin_address.clone(),
            zone: peer.zone.clone().unwrap_or_default(),
            meta_voter: voters.contains(&peer.node_id),
            meta_learner: learners.contains(&peer.node_id),
            ..pb::NodeStatus::default()
        });
        entry.live = peer.live;
        entry.ready = peer.ready;
        entry.leading_shards = peer.leading_shards.clone();
    }
    let storage = dataplane.storage();
    let counters = storage.counters();
    pb::StatusResponse {
        node_id: dataplane.node_id(),
        node_name: dataplane.node_name().to_owned(),
        version: version.to_owned(),
        ready: dataplane.is_ready(),
        shard_map_epoch: map.epoch,
        meta: Some(group_status(&meta_group)),
        shards,
        storage: Some(pb::StorageStatus {
            commits: counters.log_commits + counters.state_commits,
            durable_commits: counters.log_fsyncs + counters.state_fsyncs,
            entries_appended: counters.entries_appended,
            file_bytes: storage.log_file_bytes() + storage.state_file_bytes(),
            log_commits: counters.log_commits,
            log_fsyncs: counters.log_fsyncs,
            state_commits: counters.state_commits,
            state_fsyncs: counters.state_fsyncs,
            log_file_bytes: storage.log_file_bytes(),
            state_file_bytes: storage.state_file_bytes(),
        }),
        cluster_id: dataplane
            .meta()
            .identity()
            .ok()
            .flatten()
            .map(|identity| identity.cluster_id)
            .unwrap_or_default(),
        nodes: nodes.into_values().collect(),
        meta_leader_id: meta_group.leader.unwrap_or(0),
        meta_term: meta_group.term,
    }
}

/// Asks every other live node for its own view and folds its replicas into `status`.
async fn gather(dataplane: &Dataplane, status: &mut pb::StatusResponse, with_digests: bool) {
    let peers: Vec<PeerInfo> = dataplane
        .directory()
        .all()
        .into_iter()
        .filter(|peer| peer.node_id != dataplane.node_id())
        .collect();
    let asks = peers.iter().map(|peer| async move {
        if !peer.live || !dataplane.transport().faults().pass(peer.node_id).await {
            return (peer.node_id, None);
        }
        let Ok(channel) = dataplane
            .transport()
            .peers()
            .channel(peer.node_id, &peer.internal_address)
        else {
            return (peer.node_id, None);
        };
        let mut request = Request::new(pb::StatusRequest {
            local_only: true,
            with_digests,
        });
        request.set_timeout(PEER_STATUS_TIMEOUT);
        let answer = tokio::time::timeout(
            PEER_STATUS_TIMEOUT,
            ClusterClient::new(channel).status(request),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .map(Response::into_inner);
        (peer.node_id, answer)
    });
    let answers = futures::future::join_all(asks).await;
    let mut reports: BTreeMap<u64, Option<pb::StatusResponse>> = answers.into_iter().collect();
    reports.insert(dataplane.node_id(), None);
    let map = dataplane.shard_map();
    for shard in &mut status.shards {
        let Some(entry) = map.shards.iter().find(|e| e.id.0 == shard.shard_id) else {
            continue;
        };
        let mut replicas: Vec<pb::ReplicaStatus> = Vec::new();
        for &node in &entry.replicas {
            if node == dataplane.node_id() {
                replicas.extend(shard.replicas.iter().cloned());
                continue;
            }
            let reported = reports
                .get(&node)
                .and_then(Option::as_ref)
                .and_then(|report| report.shards.iter().find(|s| s.shard_id == shard.shard_id))
                .and_then(|s| s.group.as_ref());
            replicas.push(match reported {
                Some(group) => pb::ReplicaStatus {
                    node_id: node,
                    reachable: true,
                    role: group.role,
                    applied_index: group.applied_index,
                    last_log_index: group.last_log_index,
                    lag: 0,
                    data_digest: group.data_digest,
                    digest_applied_index: group.digest_applied_index,
                },
                None => pb::ReplicaStatus {
                    node_id: node,
                    reachable: false,
                    ..pb::ReplicaStatus::default()
                },
            });
            if shard.leader_id == 0
                && let Some(group) = reported
                && group.leader_id != 0
            {
                shard.leader_id = group.leader_id;
            }
        }
        let most_applied = replicas.iter().map(|r| r.applied_index).max().unwrap_or(0);
        for replica in &mut replicas {
            if replica.reachable {
                replica.lag = most_applied - replica.applied_index;
            }
        }
        shard.replicas = replicas;
    }
}

#[tonic::async_trait]
impl pb::cluster_server::Cluster for ClusterService {
    async fn status(
        &self,
        request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let dataplane = self.dataplane()?;
        let request = request.into_inner();
        let mut status =
            local_status(dataplane, &self.settings.version, request.with_digests).await;
        if !request.local_only && self.mode == Mode::Client {
            gather(dataplane, &mut status, request.with_digests).await;
        }
        Ok(Response::new(status))
    }

    async fn members(
        &self,
        _request: Request<pb::MembersRequest>,
    ) -> Result<Response<pb::MembersResponse>, Status> {
        let dataplane = self.dataplane()?;
        Ok(Response::new(pb::MembersResponse {
            node_id: dataplane.node_id(),
            members: dataplane.directory().all().iter().map(member).collect(),
        }))
    }

    async fn get_shard_map(
        &self,
        _request: Request<pb::GetShardMapRequest>,
    ) -> Result<Response<pb::GetShardMapResponse>, Status> {
        let dataplane = self.dataplane()?;
        let map = dataplane.shard_map();
        let client_address = |node: u64| {
            dataplane
                .directory()
                .get(node)
                .map(|peer| peer.client_address)
                .filter(|address| !address.is_empty())
                .or_else(|| {
                    dataplane
                        .meta()
                        .nodes()
                        .ok()?
                        .into_iter()
                        .find(|record| record.id == node)
                        .map(|record| record.client_address)
                })
                .unwrap_or_default()
        };
        Ok(Response::new(pb::GetShardMapResponse {
            epoch: map.epoch,
            shards: map
                .shards
                .iter()
                .map(|entry| pb::ShardPlacement {
                    shard_id: entry.id.0,
                    hash_start: entry.range.start,
                    hash_end: entry.range.end,
                    replicas: entry
                        .replicas
                        .iter()
                        .map(|&node| pb::ShardReplica {
                            node_id: node,
                            client_address: client_address(node),
                        })
                        .collect(),
                    leader_id: dataplane.leader_of(entry.id).unwrap_or(0),
                })
                .collect(),
            key_hash: "xxh3-64, seed 0".into(),
        }))
    }

    async fn transfer_leader(
        &self,
        request: Request<pb::TransferLeaderRequest>,
    ) -> Result<Response<pb::TransferLeaderResponse>, Status> {
        let dataplane = self.dataplane()?;
        let message = request.into_inner();
        let group = match message.group {
            Some(pb::transfer_leader_request::Group::ShardId(shard)) => {
                if shard as usize >= dataplane.shard_map().shards.len() {
                    return Err(to_status(ReplicationError::InvalidArgument {
                        field: "shard_id",
                        reason: format!(
                            "shard {shard} does not exist (the cluster has {})",
                            dataplane.shard_map().shards.len()
                        ),
                    }));
                }
                dataplane.hosted(ShardId(shard)).map(|s| s.group().clone())
            }
            Some(pb::transfer_leader_request::Group::Meta(true)) => {
                Some(dataplane.meta().group().clone())
            }
            _ => {
                return Err(to_status(ReplicationError::InvalidArgument {
                    field: "group",
                    reason: "give shard_id or meta = true".into(),
                }));
            }
        };
        let to = message.to_node;
        let leader = match &group {
            Some(group) => group.leader(),
            None => match message.group {
                Some(pb::transfer_leader_request::Group::ShardId(shard)) => {
                    dataplane.leader_of(ShardId(shard))
                }
                _ => None,
            },
        };
        if let Some(group) = &group
            && leader == Some(dataplane.node_id())
        {
            let members = group.members();
            let status = group.status();
            if !members.contains_key(&to) || !status.voters.contains(&to) {
                return Err(to_status(ReplicationError::InvalidArgument {
                    field: "to_node",
                    reason: format!(
                        "node {to} is not a voter of this group (voters: {:?})",
                        status.voters
                    ),
                }));
            }
            if to != dataplane.node_id() {
                group
                    .transfer_leader(to)
                    .await
                    .map_err(|e| to_status(e.into()))?;
            }
            let now = group.wait_for_leader_change(to, TRANSFER_TIMEOUT).await;
            if now != Some(to) {
                return Err(to_status(ReplicationError::Unavailable(format!(
                    "node {to} did not take over within {TRANSFER_TIMEOUT:?} (leader now: {})",
                    now.map_or("none".into(), |l| format!("node {l}"))
                ))));
            }
            return Ok(Response::new(pb::TransferLeaderResponse {
                leader_id: to,
                term: group.status().term,
            }));
        }
        let address = group
            .as_ref()
            .zip(leader)
            .and_then(|(g, leader)| g.members().get(&leader).cloned());
        let answer = self
            .leader_node(dataplane, leader, address)
            .await?
            .transfer_leader(message)
            .await
            .map_err(|status| to_status(from_status(status)))?;
        Ok(answer)
    }

    async fn drain_node(
        &self,
        request: Request<pb::DrainNodeRequest>,
    ) -> Result<Response<pb::DrainNodeResponse>, Status> {
        let dataplane = self.dataplane()?;
        let message = request.into_inner();
        let meta = dataplane.meta();
        if let Some(mut leader) = self.meta_leader(dataplane).await? {
            return leader
                .drain_node(message)
                .await
                .map_err(|status| to_status(from_status(status)));
        }
        let node_id = message.node_id;
        let nodes = meta.nodes().map_err(to_status)?;
        let Some(record) = nodes.iter().find(|n| n.id == node_id) else {
            return Err(to_status(ReplicationError::InvalidArgument {
                field: "node_id",
                reason: format!(
                    "node {node_id} is not registered in this cluster (nodes: {:?})",
                    nodes.iter().map(|n| n.id).collect::<Vec<_>>()
                ),
            }));
        };
        if record.state == NodeState::Decommissioned {
            return Err(to_status(ReplicationError::InvalidArgument {
                field: "node_id",
                reason: format!("node {node_id} is decommissioned"),
            }));
        }
        let state = if message.drain {
            NodeState::Draining
        } else {
            NodeState::Active
        };
        match meta
            .propose(&MetaCommand::SetNodeState { node_id, state })
            .await
            .map_err(to_status)?
        {
            MetaResponse::NodeStateSet { previous } => {
                tracing::info!(
                    node_id,
                    from = previous.as_str(),
                    to = state.as_str(),
                    "node state changed"
                );
                Ok(Response::new(pb::DrainNodeResponse {
                    node_id,
                    previous_state: node_state(previous) as i32,
                    state: node_state(state) as i32,
                }))
            }
            MetaResponse::Rejected { reason } => {
                Err(to_status(ReplicationError::InvalidArgument {
                    field: "node_id",
                    reason,
                }))
            }
            other => Err(to_status(ReplicationError::Internal(format!(
                "unexpected meta answer {other:?}"
            )))),
        }
    }

    async fn decommission_node(
        &self,
        request: Request<pb::DecommissionNodeRequest>,
    ) -> Result<Response<pb::DecommissionNodeResponse>, Status> {
        let dataplane = self.dataplane()?;
        let message = request.into_inner();
        if let Some(mut leader) = self.meta_leader(dataplane).await? {
            return leader
                .decommission_node(message)
                .await
                .map_err(|status| to_status(from_status(status)));
        }
        let node_id = message.node_id;
        let meta = dataplane.meta();
        let nodes = meta.nodes().map_err(to_status)?;
        let invalid = |reason: String| {
            to_status(ReplicationError::InvalidArgument {
                field: "node_id",
                reason,
            })
        };
        let Some(record) = nodes.iter().find(|n| n.id == node_id) else {
            return Err(invalid(format!(
                "node {node_id} is not registered in this cluster (nodes: {:?})",
                nodes.iter().map(|n| n.id).collect::<Vec<_>>()
            )));
        };
        let map = meta
            .shard_map()
            .map_err(to_status)?
            .ok_or_else(|| Status::unavailable("the cluster has no shard map yet"))?;
        let holding = map
            .shards
            .iter()
            .filter(|e| e.replicas.contains(&node_id))
            .count() as u32;
        if record.state != NodeState::Decommissioned {
            // Would the others hold every shard's replicas without this node?
            let placement = &self.settings.placement;
            let mut roles = crate::placement::node_roles(dataplane, placement);
            for role in &mut roles {
                if role.id == node_id {
                    role.role = shoal_shardmap::NodeRole::Evacuate;
                }
            }
            let able = roles
                .iter()
                .filter(|r| r.role != shoal_shardmap::NodeRole::Evacuate)
                .count();
            let plan = shoal_shardmap::plan(&map, &roles, placement.replication_factor);
            if able < placement.replication_factor || !plan.stuck.is_empty() {
                return Err(to_status(ReplicationError::Unavailable(format!(
                    "cannot decommission node {node_id}: the other nodes that may hold data \
                     ({able}: live, not draining, not decommissioned) cannot hold {} replicas of \
                     every shard{}; add a node or undrain one first",
                    placement.replication_factor,
                    plan.stuck
                        .first()
                        .map(|(shard, why)| format!(" (shard {shard}: {why})"))
                        .unwrap_or_default()
                ))));
            }
        }
        let previous = match meta
            .propose(&MetaCommand::SetNodeState {
                node_id,
                state: NodeState::Decommissioned,
            })
            .await
            .map_err(to_status)?
        {
            MetaResponse::NodeStateSet { previous } => previous,
            MetaResponse::Rejected { reason } => return Err(invalid(reason)),
            other => {
                return Err(to_status(ReplicationError::Internal(format!(
                    "unexpected meta answer {other:?}"
                ))));
            }
        };
        tracing::info!(
            node_id,
            replicas = holding,
            "node decommissioned: its replicas move away"
        );
        Ok(Response::new(pb::DecommissionNodeResponse {
            node_id,
            previous_state: node_state(previous) as i32,
            replicas_to_move: holding,
        }))
    }

    async fn rebalance(
        &self,
        request: Request<pb::RebalanceRequest>,
    ) -> Result<Response<pb::RebalanceResponse>, Status> {
        let dataplane = self.dataplane()?;
        let message = request.into_inner();
        if let Some(mut leader) = self.meta_leader(dataplane).await? {
            return leader
                .rebalance(message)
                .await
                .map_err(|status| to_status(from_status(status)));
        }
        let (plan, startable, in_flight) =
            crate::placement::plan_now(dataplane, &self.settings.placement).map_err(to_status)?;
        // Dry: the moves that would start now; otherwise those that did.
        let started: Vec<(ShardId, u64)> = if message.dry_run {
            startable.iter().map(|m| (m.shard, m.to)).collect()
        } else {
            crate::placement::start_moves(dataplane, startable)
                .await
                .map_err(to_status)?
                .iter()
                .map(|m| (m.shard, m.to))
                .collect()
        };
        let moves = plan
            .moves
            .iter()
            .map(|m| pb::PlannedMove {
                shard_id: m.shard.0,
                from_node: m.from.unwrap_or(0),
                to_node: m.to,
                reason: m.reason.as_str().to_owned(),
                started: started.contains(&(m.shard, m.to)),
            })
            .collect();
        Ok(Response::new(pb::RebalanceResponse {
            moves,
            stuck: plan
                .stuck
                .iter()
                .map(|(shard, why)| format!("shard {shard}: {why}"))
                .collect(),
            in_flight: in_flight as u32,
        }))
    }

    async fn list_moves(
        &self,
        request: Request<pb::ListMovesRequest>,
    ) -> Result<Response<pb::ListMovesResponse>, Status> {
        let dataplane = self.dataplane()?;
        if let Some(mut leader) = self.meta_leader(dataplane).await? {
            return leader
                .list_moves(request.into_inner())
                .await
                .map_err(|status| to_status(from_status(status)));
        }
        crate::placement::list_moves(dataplane)
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn change_shard_replicas(
        &self,
        request: Request<pb::ChangeShardReplicasRequest>,
    ) -> Result<Response<pb::ChangeShardReplicasResponse>, Status> {
        let dataplane = self.dataplane()?;
        let message = request.into_inner();
        match crate::placement::change_replicas(dataplane, message.clone()).await {
            Err(ReplicationError::NotLeader { leader, .. }) if self.mode == Mode::Client => self
                .leader_node(dataplane, leader, None)
                .await?
                .change_shard_replicas(message)
                .await
                .map_err(|status| to_status(from_status(status))),
            other => other.map(Response::new).map_err(to_status),
        }
    }
}

impl ClusterService {
    /// None when this node leads the meta group; otherwise a connection to the node that
    /// does, to forward an operation that must run there.
    async fn meta_leader(
        &self,
        dataplane: &Dataplane,
    ) -> Result<Option<ClusterClient<tonic::transport::Channel>>, Status> {
        let group = dataplane.meta().group();
        if group.is_leader() {
            return Ok(None);
        }
        let leader = group.leader();
        let address = leader.and_then(|l| group.members().get(&l).cloned());
        Ok(Some(self.leader_node(dataplane, leader, address).await?))
    }

    /// A connection to the node that leads a group this node does not lead, to forward an
    /// operation that must run on the leader (one hop: a forwarded call is not forwarded
    /// again, it answers NotLeader).
    async fn leader_node(
        &self,
        dataplane: &Dataplane,
        leader: Option<u64>,
        address: Option<String>,
    ) -> Result<ClusterClient<tonic::transport::Channel>, Status> {
        if self.mode == Mode::Forwarded {
            return Err(to_status(ReplicationError::NotLeader {
                group: "the group".into(),
                leader,
                leader_address: None,
            }));
        }
        let Some(leader) = leader else {
            return Err(to_status(ReplicationError::Unavailable(
                "the group has no leader right now; try again".into(),
            )));
        };
        let address = address
            .or_else(|| dataplane.internal_address(leader))
            .ok_or_else(|| {
                Status::unavailable(format!("the address of node {leader} is unknown"))
            })?;
        if !dataplane.transport().faults().pass(leader).await {
            return Err(Status::unavailable(format!("node {leader} is unreachable")));
        }
        let channel = dataplane
            .transport()
            .peers()
            .channel(leader, &address)
            .map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(ClusterClient::new(channel))
    }
}
