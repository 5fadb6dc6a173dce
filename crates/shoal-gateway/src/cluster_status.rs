//! `Cluster.Status` and `Cluster.ListJobs`: this node's own view, and the cluster's,
//! gathered from every other live node over the internal port.

use std::collections::BTreeMap;
use std::time::Duration;

use shoal_proto::v1 as pb;
use shoal_replication::PeerInfo;
use shoal_shardmap::NodeId;
use tonic::Request;

use crate::Backend;
use crate::pb::{group_status, node_state};

/// How long a node waits for each peer's own answer when gathering the cluster's.
const PEER_TIMEOUT: Duration = Duration::from_secs(2);

/// This node's own view: its groups, its storage, the registry and the shard map.
pub(crate) async fn local_status(
    backend: &Backend,
    version: &str,
    with_digests: bool,
) -> pb::StatusResponse {
    let meta_group = backend.meta.group().status();
    let view = backend.replicas.view();
    let me = backend.node_id;
    let mut shards = Vec::with_capacity(view.shard_map.shards.len());
    for entry in &view.shard_map.shards {
        let hosted = view.replica(entry.id);
        let mut group = hosted.map(|replica| group_status(&replica.status()));
        if with_digests
            && let (Some(replica), Some(group)) = (hosted, group.as_mut())
            && let Ok((index, digest)) = replica.group().state_digest().await
        {
            group.data_digest = digest;
            group.digest_applied_index = index;
        }
        let replicas = match &group {
            Some(status) => vec![pb::ReplicaStatus {
                node_id: me.0,
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
        let keys = match hosted {
            Some(replica) => replica.key_count().await.unwrap_or(0),
            None => 0,
        };
        shards.push(pb::ShardStatus {
            shard_id: entry.id.0,
            hash_start: entry.range.start,
            hash_end: entry.range.end,
            keys,
            group,
            leader_id: backend.replicas.leader_of(entry.id).map_or(0, |l| l.0),
            replicas,
        });
    }
    let registry = backend.meta.nodes().unwrap_or_default();
    let voters = &meta_group.voters;
    let learners = &meta_group.learners;
    let node_status = |id: NodeId,
                       record: (
        &str,
        shoal_replication::meta::NodeState,
        &str,
        &str,
        &str,
        Option<&str>,
    )| {
        let (name, state, internal, client, admin, zone) = record;
        pb::NodeStatus {
            node_id: id.0,
            name: name.to_owned(),
            state: node_state(state) as i32,
            internal_address: internal.to_owned(),
            client_address: client.to_owned(),
            admin_address: admin.to_owned(),
            zone: zone.unwrap_or_default().to_owned(),
            meta_voter: voters.contains(&id),
            meta_learner: learners.contains(&id),
            ..pb::NodeStatus::default()
        }
    };
    let mut nodes: BTreeMap<NodeId, pb::NodeStatus> = registry
        .iter()
        .map(|r| {
            (
                r.id,
                node_status(
                    r.id,
                    (
                        &r.name,
                        r.state,
                        &r.internal_address,
                        &r.client_address,
                        &r.admin_address,
                        r.zone.as_deref(),
                    ),
                ),
            )
        })
        .collect();
    for peer in backend.replicas.directory().all() {
        // Once the cluster exists, its members are the registered nodes: a node only gossip
        // has heard of (not admitted: it has not proved itself over mTLS yet, or never can)
        // is not one — `shoal cluster jobs` says why it waits.
        if !registry.is_empty() && !nodes.contains_key(&peer.node_id) {
            continue;
        }
        let entry = nodes.entry(peer.node_id).or_insert_with(|| {
            node_status(
                peer.node_id,
                (
                    &peer.name,
                    peer.state,
                    &peer.internal_address,
                    &peer.client_address,
                    &peer.admin_address,
                    peer.zone.as_deref(),
                ),
            )
        });
        entry.live = peer.live;
        entry.ready = peer.ready;
        entry.leading_shards = peer.leading_shards.iter().map(|s| s.0).collect();
        entry.damaged_shards = peer.damaged_shards.iter().map(|s| s.0).collect();
    }
    // This node knows itself better than gossip, which lags a round behind.
    if let Some(own) = nodes.get_mut(&me) {
        own.live = true;
        own.ready = backend.is_ready();
        own.leading_shards = view
            .replicas
            .values()
            .filter(|replica| replica.group().is_leader())
            .map(|replica| replica.id().0)
            .collect();
        own.damaged_shards = backend
            .storage
            .quarantined()
            .keys()
            .filter_map(|group| group.shard())
            .map(|shard| shard.0)
            .collect();
    }
    let storage = &backend.storage;
    let counters = storage.counters();
    pb::StatusResponse {
        node_id: me.0,
        node_name: backend.node_name.clone(),
        version: version.to_owned(),
        ready: backend.is_ready(),
        shard_map_epoch: view.shard_map.epoch,
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
        cluster_id: backend
            .meta
            .identity()
            .ok()
            .flatten()
            .map(|identity| identity.cluster_id)
            .unwrap_or_default(),
        nodes: nodes.into_values().collect(),
        meta_leader_id: meta_group.leader.map_or(0, |l| l.0),
        meta_term: meta_group.term,
        rss_bytes: rss_bytes(),
    }
}

/// Resident memory of this process (procfs), 0 when it cannot be read.
fn rss_bytes() -> u64 {
    procfs::process::Process::myself()
        .and_then(|process| process.status())
        .ok()
        .and_then(|status| status.vmrss)
        .map_or(0, |kib| kib * 1024)
}

/// Every other node the directory knows, with `ask` run against each live one (None for
/// those down or not answering within the timeout).
async fn ask_peers<T, F, Fut>(backend: &Backend, ask: F) -> BTreeMap<NodeId, Option<T>>
where
    F: Fn(pb::cluster_client::ClusterClient<shoal_consensus::PeerChannel>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let peers: Vec<PeerInfo> = backend
        .replicas
        .directory()
        .all()
        .into_iter()
        .filter(|peer| peer.node_id != backend.node_id)
        .collect();
    let asks = peers.iter().map(|peer| {
        let ask = &ask;
        async move {
            if !peer.live {
                return (peer.node_id, None);
            }
            let Ok(client) = backend.peers.cluster(peer.node_id, None) else {
                return (peer.node_id, None);
            };
            let answer = tokio::time::timeout(PEER_TIMEOUT, ask(client))
                .await
                .ok()
                .and_then(Result::ok)
                .map(tonic::Response::into_inner);
            (peer.node_id, answer)
        }
    });
    futures::future::join_all(asks).await.into_iter().collect()
}

/// Asks every other live node for its own view and folds its replicas into `status`.
pub(crate) async fn gather(backend: &Backend, status: &mut pb::StatusResponse, with_digests: bool) {
    let reports = ask_peers(backend, |mut client| async move {
        let mut request = Request::new(pb::StatusRequest {
            local_only: true,
            with_digests,
        });
        request.set_timeout(PEER_TIMEOUT);
        client.status(request).await
    })
    .await;
    for node in &mut status.nodes {
        node.rss_bytes = if node.node_id == backend.node_id.0 {
            status.rss_bytes
        } else {
            reports
                .get(&NodeId(node.node_id))
                .and_then(Option::as_ref)
                .map_or(0, |report| report.rss_bytes)
        };
    }
    let map = backend.replicas.shard_map();
    for shard in &mut status.shards {
        let Some(entry) = map.shards.iter().find(|e| e.id.0 == shard.shard_id) else {
            continue;
        };
        let mut replicas: Vec<pb::ReplicaStatus> = Vec::new();
        for &node in &entry.replicas {
            if node == backend.node_id {
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
                    node_id: node.0,
                    reachable: true,
                    role: group.role,
                    applied_index: group.applied_index,
                    last_log_index: group.last_log_index,
                    lag: 0,
                    data_digest: group.data_digest,
                    digest_applied_index: group.digest_applied_index,
                },
                None => pb::ReplicaStatus {
                    node_id: node.0,
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

/// This node's jobs, and (unless `local_only`) every other live node's.
pub(crate) async fn jobs(
    backend: &Backend,
    local_only: bool,
) -> Result<pb::ListJobsResponse, tonic::Status> {
    let own = backend
        .control
        .jobs()
        .await
        .map_err(crate::status::control_status)?;
    let mut nodes = vec![pb::NodeJobs {
        node_id: backend.node_id.0,
        reachable: true,
        jobs: own.iter().map(crate::pb::job).collect(),
    }];
    if !local_only {
        let answers = ask_peers(backend, |mut client| async move {
            client
                .list_jobs(pb::ListJobsRequest { local_only: true })
                .await
        })
        .await;
        for (node, answer) in answers {
            nodes.push(pb::NodeJobs {
                node_id: node.0,
                reachable: answer.is_some(),
                jobs: answer
                    .and_then(|a| a.nodes.into_iter().next())
                    .map(|n| n.jobs)
                    .unwrap_or_default(),
            });
        }
    }
    Ok(pb::ListJobsResponse { nodes })
}
