//! The control plane over gRPC: the internal `shoal.internal.v1.Control` service (on a
//! shard's leader, a change of the shard's replica set, validated there), and
//! [`GrpcShards`], the shard-admin port for shards led by another node.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shoal_control::{ControlError, ShardAdmin, ShardChange, ShardReport};
use shoal_proto::internal as ipb;
use shoal_proto::v1 as pb;
use shoal_replication::meta::{AuditEntry, MetaCommand};
use shoal_replication::{LocalReplicas, ReplicationError};
use shoal_shardmap::{GroupId, NodeId, ShardId};
use tonic::{Request, Response, Status};

use crate::BackendCell;
use crate::pb as convert;
use crate::peer::PeerCalls;
use crate::status::{control_status, from_status, to_status};

/// How long one call to a shard leader may take (adding a learner first compacts the
/// leader's log, for up to 8 s).
const SHARD_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The internal Control service.
pub(crate) struct ControlService {
    cell: BackendCell,
}

impl ControlService {
    pub(crate) fn new(cell: BackendCell) -> ControlService {
        ControlService { cell }
    }
}

#[tonic::async_trait]
impl ipb::control_server::Control for ControlService {
    async fn change_shard_replicas(
        &self,
        request: Request<ipb::ChangeShardReplicasRequest>,
    ) -> Result<Response<ipb::ChangeShardReplicasResponse>, Status> {
        let backend = crate::backend(&self.cell).map_err(to_status)?;
        let message = request.into_inner();
        let shard = ShardId(message.shard_id);
        let report = match message.change {
            None => backend.shards.report(shard),
            Some(change) => {
                let change = convert::shard_change(change).map_err(to_status)?;
                backend.shards.change(shard, change).await
            }
        };
        report
            .map(|report| Response::new(convert::shard_report_message(&report)))
            .map_err(control_status)
    }

    async fn check_shard(
        &self,
        request: Request<ipb::CheckShardRequest>,
    ) -> Result<Response<ipb::CheckShardResponse>, Status> {
        let backend = crate::backend(&self.cell).map_err(to_status)?;
        let shard = ShardId(request.into_inner().shard_id);
        let check = crate::check::check_shard_here(backend, shard)
            .await
            .map_err(to_status)?;
        Ok(Response::new(ipb::CheckShardResponse {
            check: prost::Message::encode_to_vec(&check),
        }))
    }

    async fn replica_digest(
        &self,
        request: Request<ipb::ReplicaDigestRequest>,
    ) -> Result<Response<ipb::ReplicaDigestResponse>, Status> {
        let backend = crate::backend(&self.cell).map_err(to_status)?;
        Ok(Response::new(
            crate::check::replica_digest(backend, request.into_inner()).await,
        ))
    }

    async fn mark_damaged(
        &self,
        request: Request<ipb::MarkDamagedRequest>,
    ) -> Result<Response<ipb::MarkDamagedResponse>, Status> {
        let backend = crate::backend(&self.cell).map_err(to_status)?;
        let message = request.into_inner();
        let newly = backend.storage.quarantine(
            GroupId::for_shard(ShardId(message.shard_id)),
            &message.reason,
        );
        Ok(Response::new(ipb::MarkDamagedResponse { newly }))
    }

    async fn record_audit(
        &self,
        request: Request<ipb::RecordAuditRequest>,
    ) -> Result<Response<ipb::RecordAuditResponse>, Status> {
        let backend = crate::backend(&self.cell).map_err(to_status)?;
        let entries = request
            .into_inner()
            .entries
            .into_iter()
            .map(convert::audit_entry)
            .collect();
        propose_audit(backend, entries).await?;
        Ok(Response::new(ipb::RecordAuditResponse {}))
    }
}

async fn propose_audit(backend: &crate::Backend, entries: Vec<AuditEntry>) -> Result<(), Status> {
    backend
        .meta
        .propose(&MetaCommand::RecordAudit(entries))
        .await
        .map_err(to_status)?;
    Ok(())
}

/// Appends audit entries to the meta group: here when this node leads it, else through
/// the meta leader's internal Control service.
pub(crate) async fn record_audit(
    backend: &crate::Backend,
    entries: Vec<AuditEntry>,
) -> Result<(), Status> {
    let group = backend.meta.group();
    if group.is_leader() {
        return propose_audit(backend, entries).await;
    }
    let leader = group.leader().ok_or_else(|| {
        to_status(ReplicationError::Unavailable(
            "the meta group has no leader".into(),
        ))
    })?;
    let mut control = backend.peers.meta_control(leader).map_err(to_status)?;
    let request = ipb::RecordAuditRequest {
        entries: entries.iter().map(convert::audit_record).collect(),
    };
    tokio::time::timeout(SHARD_CALL_TIMEOUT, control.record_audit(request))
        .await
        .map_err(|_| to_status(ReplicationError::Timeout(SHARD_CALL_TIMEOUT)))??;
    Ok(())
}

/// Shard administration on the shard's leader when that is another node, over the
/// internal port.
#[derive(Debug, Clone)]
pub struct GrpcShards {
    peers: PeerCalls,
    replicas: Arc<LocalReplicas>,
}

impl GrpcShards {
    pub fn new(peers: PeerCalls, replicas: Arc<LocalReplicas>) -> GrpcShards {
        GrpcShards { peers, replicas }
    }

    fn leader(&self, shard: ShardId) -> Result<NodeId, ControlError> {
        self.replicas
            .leader_of(shard)
            .ok_or_else(|| ControlError::Unavailable(format!("shard {shard} has no known leader")))
    }

    async fn call(
        &self,
        shard: ShardId,
        change: Option<ShardChange>,
    ) -> Result<ShardReport, ControlError> {
        let leader = self.leader(shard)?;
        let mut client = self.peers.control(leader, shard)?;
        let request = convert::shard_change_request(shard, change);
        match tokio::time::timeout(SHARD_CALL_TIMEOUT, client.change_shard_replicas(request)).await
        {
            Err(_) => Err(ControlError::Unavailable(format!(
                "node {leader}, leader of shard {shard}, did not answer within {SHARD_CALL_TIMEOUT:?}"
            ))),
            Ok(Err(status)) => Err(from_status(status, GroupId::for_shard(shard)).into()),
            Ok(Ok(answer)) => Ok(convert::shard_report(shard, answer.into_inner())),
        }
    }
}

#[async_trait]
impl ShardAdmin for GrpcShards {
    async fn report(&self, shard: ShardId) -> Result<ShardReport, ControlError> {
        self.call(shard, None).await
    }

    async fn change(
        &self,
        shard: ShardId,
        change: ShardChange,
    ) -> Result<ShardReport, ControlError> {
        self.call(shard, Some(change)).await
    }

    async fn transfer_leader(&self, shard: ShardId, to: NodeId) -> Result<(), ControlError> {
        let leader = self.leader(shard)?;
        let mut client = self.peers.cluster(leader, Some(shard))?;
        let request = pb::TransferLeaderRequest {
            group: Some(pb::transfer_leader_request::Group::ShardId(shard.0)),
            to_node: to.0,
        };
        match tokio::time::timeout(SHARD_CALL_TIMEOUT, client.transfer_leader(request)).await {
            Err(_) => Err(ControlError::Unavailable(format!(
                "node {leader}, leader of shard {shard}, did not answer within {SHARD_CALL_TIMEOUT:?}"
            ))),
            Ok(Err(status)) => Err(from_status(status, GroupId::for_shard(shard)).into()),
            Ok(Ok(_)) => Ok(()),
        }
    }
}
