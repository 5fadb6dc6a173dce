//! The `shoal.v1.Cluster` service: thin handlers. Status and jobs are gathered from every
//! live node; leader transfers run on the group's leader; drain, decommission, rebalance
//! and the moves listing run on the meta leader, through its control actor. A node that
//! does not lead forwards the call one hop (a forwarded call is not forwarded again).

use std::sync::Arc;
use std::time::Duration;

use shoal_consensus::PeerChannel;
use shoal_control::GroupView;
use shoal_control::engine::validate::validate_transfer;
use shoal_proto::v1 as pb;
use shoal_proto::v1::cluster_client::ClusterClient;
use shoal_replication::ReplicationError;
use shoal_replication::meta::MetaCommand;
use shoal_shardmap::{GroupId, NodeId, ShardId};
use tonic::{Request, Response, Status};

use crate::cluster_status::{gather, jobs, local_status};
use crate::pb as convert;
use crate::status::{control_status, from_status, to_status};
use crate::{Backend, BackendCell, GatewaySettings, Mode};

/// How long a leader transfer may take before the call gives up.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct ClusterService {
    cell: BackendCell,
    settings: GatewaySettings,
    mode: Mode,
}

impl ClusterService {
    pub(crate) fn new(cell: BackendCell, settings: GatewaySettings, mode: Mode) -> ClusterService {
        ClusterService {
            cell,
            settings,
            mode,
        }
    }

    fn backend(&self) -> Result<&Arc<Backend>, Status> {
        crate::backend(&self.cell).map_err(to_status)
    }

    /// A connection to `leader` of `group`, to forward an operation that must run there;
    /// in forwarded mode a NotLeader refusal instead (one hop only).
    fn leader_node(
        &self,
        backend: &Backend,
        group: GroupId,
        leader: Option<NodeId>,
    ) -> Result<ClusterClient<PeerChannel>, Status> {
        let not_leader = ReplicationError::NotLeader {
            group,
            leader,
            leader_address: None,
        };
        if self.mode == Mode::Forwarded {
            return Err(to_status(not_leader));
        }
        let Some(leader) = leader.filter(|l| *l != backend.node_id) else {
            return Err(to_status(ReplicationError::Unavailable(format!(
                "{group} has no leader right now (an election is under way); try again in a \
                 moment"
            ))));
        };
        backend
            .peers
            .cluster(leader, group.shard())
            .map_err(to_status)
    }

    /// None when this node leads the meta group; otherwise a connection to the node that
    /// does.
    fn meta_leader(&self, backend: &Backend) -> Result<Option<ClusterClient<PeerChannel>>, Status> {
        let group = backend.meta.group();
        if group.is_leader() {
            return Ok(None);
        }
        self.leader_node(backend, GroupId::META, group.leader())
            .map(Some)
    }
}

fn forwarded_error(group: GroupId) -> impl Fn(Status) -> Status {
    move |status| to_status(from_status(status, group))
}

#[tonic::async_trait]
impl pb::cluster_server::Cluster for ClusterService {
    async fn status(
        &self,
        request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let backend = self.backend()?;
        let request = request.into_inner();
        let mut status = local_status(backend, &self.settings.version, request.with_digests).await;
        if !request.local_only && self.mode == Mode::Client {
            gather(backend, &mut status, request.with_digests).await;
        }
        Ok(Response::new(status))
    }

    async fn members(
        &self,
        _request: Request<pb::MembersRequest>,
    ) -> Result<Response<pb::MembersResponse>, Status> {
        let backend = self.backend()?;
        Ok(Response::new(pb::MembersResponse {
            node_id: backend.node_id.0,
            members: backend
                .replicas
                .directory()
                .all()
                .iter()
                .map(convert::member)
                .collect(),
        }))
    }

    async fn get_shard_map(
        &self,
        _request: Request<pb::GetShardMapRequest>,
    ) -> Result<Response<pb::GetShardMapResponse>, Status> {
        let backend = self.backend()?;
        let map = backend.replicas.shard_map();
        let registry = backend.meta.nodes().unwrap_or_default();
        let client_address = |node: NodeId| {
            backend
                .replicas
                .directory()
                .get(node)
                .map(|peer| peer.client_address)
                .filter(|address| !address.is_empty())
                .or_else(|| {
                    registry
                        .iter()
                        .find(|record| record.id == node)
                        .map(|record| record.client_address.clone())
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
                            node_id: node.0,
                            client_address: client_address(node),
                        })
                        .collect(),
                    leader_id: backend.replicas.leader_of(entry.id).map_or(0, |l| l.0),
                })
                .collect(),
            key_hash: "xxh3-64, seed 0".into(),
        }))
    }

    async fn transfer_leader(
        &self,
        request: Request<pb::TransferLeaderRequest>,
    ) -> Result<Response<pb::TransferLeaderResponse>, Status> {
        let backend = self.backend()?;
        let message = request.into_inner();
        let to = NodeId(message.to_node);
        let (group_id, group) = match message.group {
            Some(pb::transfer_leader_request::Group::ShardId(shard)) => {
                let shard = ShardId(shard);
                let map = backend.replicas.shard_map();
                if map.entry(shard).is_none() {
                    return Err(to_status(ReplicationError::NotFound(format!(
                        "shard {shard} does not exist (the cluster has shards 0 to {})",
                        map.shards.len().saturating_sub(1)
                    ))));
                }
                (
                    GroupId::for_shard(shard),
                    backend.replicas.replica(shard).map(|r| r.group().clone()),
                )
            }
            Some(pb::transfer_leader_request::Group::Meta(true)) => {
                (GroupId::META, Some(backend.meta.group().clone()))
            }
            _ => {
                return Err(to_status(ReplicationError::InvalidArgument {
                    field: "group",
                    reason: "give shard_id or meta = true".into(),
                }));
            }
        };
        let Some(group) = group.filter(|g| g.is_leader()) else {
            let leader = match group_id.shard() {
                Some(shard) => backend.replicas.leader_of(shard),
                None => backend.meta.group().leader(),
            };
            return self
                .leader_node(backend, group_id, leader)?
                .transfer_leader(message)
                .await
                .map_err(forwarded_error(group_id));
        };
        // On the leader: the target must be able to lead (a voter, live, ready, active,
        // caught up), or the transfer is refused naming why.
        let view = backend.control.views().view().map_err(control_status)?;
        let status = GroupView::from_status(&group.status());
        validate_transfer(&view, group_id, &status, to).map_err(control_status)?;
        if to != backend.node_id {
            tracing::info!(group = %group_id, to = %to, "moving the leadership (operator)");
            group
                .transfer_leader(to)
                .await
                .map_err(|e| to_status(e.into()))?;
        }
        let now = group.wait_for_leader_change(to, TRANSFER_TIMEOUT).await;
        if now != Some(to) {
            return Err(to_status(ReplicationError::Unavailable(format!(
                "node {to} did not take over {group_id} within {TRANSFER_TIMEOUT:?} (leader now: {})",
                now.map_or("none".into(), |l| format!("node {l}"))
            ))));
        }
        Ok(Response::new(pb::TransferLeaderResponse {
            leader_id: to.0,
            term: group.status().term,
        }))
    }

    async fn drain_node(
        &self,
        request: Request<pb::DrainNodeRequest>,
    ) -> Result<Response<pb::DrainNodeResponse>, Status> {
        let backend = self.backend()?;
        let message = request.into_inner();
        if let Some(mut leader) = self.meta_leader(backend)? {
            return leader
                .drain_node(message)
                .await
                .map_err(forwarded_error(GroupId::META));
        }
        let node = NodeId(message.node_id);
        let previous = backend
            .control
            .set_drain(node, message.drain)
            .await
            .map_err(control_status)?;
        let state = if message.drain {
            shoal_replication::meta::NodeState::Draining
        } else {
            shoal_replication::meta::NodeState::Active
        };
        Ok(Response::new(pb::DrainNodeResponse {
            node_id: node.0,
            previous_state: convert::node_state(previous) as i32,
            state: convert::node_state(state) as i32,
        }))
    }

    async fn decommission_node(
        &self,
        request: Request<pb::DecommissionNodeRequest>,
    ) -> Result<Response<pb::DecommissionNodeResponse>, Status> {
        let backend = self.backend()?;
        let message = request.into_inner();
        if let Some(mut leader) = self.meta_leader(backend)? {
            return leader
                .decommission_node(message)
                .await
                .map_err(forwarded_error(GroupId::META));
        }
        let node = NodeId(message.node_id);
        let done = backend
            .control
            .decommission(node)
            .await
            .map_err(control_status)?;
        Ok(Response::new(convert::decommission(node, &done)))
    }

    async fn rebalance(
        &self,
        request: Request<pb::RebalanceRequest>,
    ) -> Result<Response<pb::RebalanceResponse>, Status> {
        let backend = self.backend()?;
        let message = request.into_inner();
        if let Some(mut leader) = self.meta_leader(backend)? {
            return leader
                .rebalance(message)
                .await
                .map_err(forwarded_error(GroupId::META));
        }
        let outcome = backend
            .control
            .rebalance(message.dry_run)
            .await
            .map_err(control_status)?;
        Ok(Response::new(convert::rebalance(outcome)))
    }

    async fn list_moves(
        &self,
        request: Request<pb::ListMovesRequest>,
    ) -> Result<Response<pb::ListMovesResponse>, Status> {
        let backend = self.backend()?;
        if let Some(mut leader) = self.meta_leader(backend)? {
            return leader
                .list_moves(request.into_inner())
                .await
                .map_err(forwarded_error(GroupId::META));
        }
        let report = backend.control.list_moves().await.map_err(control_status)?;
        Ok(Response::new(convert::moves(report)))
    }

    async fn change_shard_replicas(
        &self,
        _request: Request<pb::ChangeShardReplicasRequest>,
    ) -> Result<Response<pb::ChangeShardReplicasResponse>, Status> {
        Err(to_status(ReplicationError::Unsupported(
            "ChangeShardReplicas is internal: it is served only on the internal port, as \
             shoal.internal.v1.Control/ChangeShardReplicas"
                .into(),
        )))
    }

    async fn check_consistency(
        &self,
        request: Request<pb::CheckConsistencyRequest>,
    ) -> Result<Response<pb::CheckConsistencyResponse>, Status> {
        let backend = self.backend()?;
        let shard = request.into_inner().shard_id.map(ShardId);
        let shards = crate::check::check(backend, shard)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::CheckConsistencyResponse { shards }))
    }

    async fn list_jobs(
        &self,
        request: Request<pb::ListJobsRequest>,
    ) -> Result<Response<pb::ListJobsResponse>, Status> {
        let backend = self.backend()?;
        let local_only = request.into_inner().local_only || self.mode == Mode::Forwarded;
        Ok(Response::new(jobs(backend, local_only).await?))
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Result<Response<pb::CreateApiKeyResponse>, Status> {
        let backend = self.backend()?;
        let message = request.into_inner();
        let answer = async {
            if let Some(mut leader) = self.meta_leader(backend)? {
                let created = leader
                    .create_api_key(message.clone())
                    .await
                    .map(Response::into_inner)
                    .map_err(forwarded_error(GroupId::META))?;
                // The node the client called knows the key when the call returns.
                let id = created
                    .key
                    .as_ref()
                    .map(|k| k.id.clone())
                    .unwrap_or_default();
                applied_here(backend, &id).await;
                return Ok(created);
            }
            let role = convert::role_of(message.role).map_err(to_status)?;
            if message.name.trim().is_empty() {
                return Err(to_status(ReplicationError::InvalidArgument {
                    field: "name",
                    reason: "must not be empty (it says whose key this is)".into(),
                }));
            }
            let now = shoal_replication::Clock::system().now_ms();
            let spec = shoal_replication::api_key::KeySpec {
                name: message.name.clone(),
                role,
                prefix: message.prefix.clone().filter(|p| !p.is_empty()),
                expires_at_ms: (message.expires_in_ms > 0)
                    .then(|| now.saturating_add(message.expires_in_ms)),
            };
            let (secret, record) = shoal_replication::api_key::new_key(spec, now);
            let key = convert::api_key(&record);
            propose_meta(backend, MetaCommand::CreateApiKey(record)).await?;
            Ok(pb::CreateApiKeyResponse {
                key: Some(key),
                secret,
            })
        }
        .await;
        answer.map(Response::new)
    }

    async fn list_audit(
        &self,
        request: Request<pb::ListAuditRequest>,
    ) -> Result<Response<pb::ListAuditResponse>, Status> {
        let backend = self.backend()?;
        let limit = request.into_inner().limit as usize;
        let entries = backend.meta.audit().map_err(to_status)?;
        let skip = if limit == 0 {
            0
        } else {
            entries.len().saturating_sub(limit)
        };
        Ok(Response::new(pb::ListAuditResponse {
            entries: entries[skip..].iter().map(convert::audit_view).collect(),
        }))
    }

    async fn list_api_keys(
        &self,
        _request: Request<pb::ListApiKeysRequest>,
    ) -> Result<Response<pb::ListApiKeysResponse>, Status> {
        let backend = self.backend()?;
        let keys = backend.meta.api_keys().map_err(to_status)?;
        Ok(Response::new(pb::ListApiKeysResponse {
            keys: keys.iter().map(convert::api_key).collect(),
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::RevokeApiKeyResponse>, Status> {
        let backend = self.backend()?;
        let message = request.into_inner();
        let answer = async {
            if let Some(mut leader) = self.meta_leader(backend)? {
                return leader
                    .revoke_api_key(message.clone())
                    .await
                    .map(Response::into_inner)
                    .map_err(forwarded_error(GroupId::META));
            }
            let now = shoal_replication::Clock::system().now_ms();
            propose_meta(
                backend,
                MetaCommand::RevokeApiKey {
                    id: message.id.clone(),
                    at_ms: now,
                },
            )
            .await?;
            let key = backend
                .meta
                .api_keys()
                .map_err(to_status)?
                .into_iter()
                .find(|key| key.id == message.id);
            Ok(pb::RevokeApiKeyResponse {
                key: key.as_ref().map(convert::api_key),
            })
        }
        .await;
        answer.map(Response::new)
    }
}

/// Waits (up to 5 s) until this node's meta replica holds API key `id`.
async fn applied_here(backend: &Backend, id: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if backend
            .meta
            .api_keys()
            .is_ok_and(|keys| keys.iter().any(|key| key.id == id))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Proposes a meta command on this node (the meta leader); a refusal by the machine is
/// FAILED_PRECONDITION with its reason.
async fn propose_meta(backend: &Backend, command: MetaCommand) -> Result<(), Status> {
    let answer = backend.meta.propose(&command).await.map_err(to_status)?;
    match answer.rejection() {
        Some(reason) => Err(to_status(ReplicationError::FailedPrecondition(
            reason.to_owned(),
        ))),
        None => Ok(()),
    }
}
