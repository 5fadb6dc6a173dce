//! The public `shoal.v1.Cluster` service: this node's view of its groups.

use std::sync::Arc;

use shoal_proto::v1 as pb;
use shoal_replication::{Dataplane, GroupRole, GroupStatus};
use tonic::{Request, Response, Status};

pub(crate) struct ClusterService {
    dataplane: Arc<Dataplane>,
    version: String,
}

impl ClusterService {
    pub(crate) fn new(dataplane: Arc<Dataplane>, version: String) -> ClusterService {
        ClusterService { dataplane, version }
    }
}

fn group_status(status: &GroupStatus) -> pb::GroupStatus {
    let role = match status.role {
        GroupRole::Leader => pb::GroupRole::Leader,
        GroupRole::Follower => pb::GroupRole::Follower,
        GroupRole::Candidate => pb::GroupRole::Candidate,
        GroupRole::Learner => pb::GroupRole::Learner,
        GroupRole::Shutdown => pb::GroupRole::Shutdown,
    };
    pb::GroupStatus {
        group_id: status.group,
        role: role as i32,
        leader_id: status.leader.unwrap_or(0),
        term: status.term,
        applied_index: status.applied_index,
        last_log_index: status.last_log_index,
        snapshot_index: status.snapshot_index,
        purged_index: status.purged_index,
    }
}

#[tonic::async_trait]
impl pb::cluster_server::Cluster for ClusterService {
    async fn status(
        &self,
        _request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let dataplane = &self.dataplane;
        let shards = dataplane
            .hosted_shards()
            .map(|shard| pb::ShardStatus {
                shard_id: shard.id().0,
                hash_start: shard.range().start,
                hash_end: shard.range().end,
                keys: shard.key_count().unwrap_or(0),
                group: Some(group_status(&shard.status())),
            })
            .collect();
        let storage = dataplane.storage();
        let counters = storage.counters();
        Ok(Response::new(pb::StatusResponse {
            node_id: dataplane.node_id(),
            node_name: dataplane.node_name().to_owned(),
            version: self.version.clone(),
            ready: dataplane.is_ready(),
            shard_map_epoch: dataplane.shard_map().epoch,
            meta: Some(group_status(&dataplane.meta().group().status())),
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
        }))
    }
}
