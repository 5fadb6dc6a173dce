//! The cross-replica consistency check: on a shard's leader, commit a digest point, gather
//! every voter's digest of its state at that point, judge them (`shoal_control::engine::
//! check`), and mark a replica in a minority damaged — it goes into quarantine on its node
//! and the control plane rebuilds it from the healthy ones. `Cluster.CheckConsistency`
//! runs it on demand on every shard's leader, one shard at a time; [`run_periodic`] runs it
//! in the background on the shards led here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shoal_control::engine::check::{Verdict, judge};
use shoal_proto::internal as ipb;
use shoal_proto::v1 as pb;
use shoal_replication::ReplicationError;
use shoal_shardmap::{GroupId, NodeId, ShardId};
use tokio_util::sync::CancellationToken;

use crate::Backend;

/// How long a replica may take to reach the digest point and digest its state (it reads at
/// 64 MiB/s: a minute covers a few GiB per shard).
const POINT_WAIT: Duration = Duration::from_secs(60);

/// A replica's answer: its digest, keys and bytes at the point, or why there is none.
type Answer = Result<(u64, u64, u64), String>;

/// On the leader of `shard`: one check.
pub(crate) async fn check_shard_here(
    backend: &Backend,
    shard: ShardId,
) -> Result<pb::ShardCheck, ReplicationError> {
    let started = Instant::now();
    let group_id = GroupId::for_shard(shard);
    let replica = backend
        .replicas
        .replica(shard)
        .filter(|replica| replica.group().is_leader())
        .ok_or_else(|| ReplicationError::NotLeader {
            group: group_id,
            leader: backend.replicas.leader_of(shard),
            leader_address: None,
        })?;
    let group = replica.group();
    let voters = group.status().voters;
    let (point, index) = group.propose_digest_point().await?;
    let asks = voters.iter().map(|node| async move {
        let answer = if *node == backend.node_id {
            local_digest(backend, shard, point, POINT_WAIT).await
        } else {
            remote_digest(backend, *node, shard, point).await
        };
        (*node, answer)
    });
    let answers: BTreeMap<NodeId, Answer> =
        futures::future::join_all(asks).await.into_iter().collect();
    let digests = answers
        .iter()
        .map(|(node, answer)| (*node, answer.as_ref().ok().map(|(digest, _, _)| *digest)))
        .collect();
    let verdict = judge(&digests);
    let mut marked = Vec::new();
    let detail = match &verdict {
        Verdict::Consistent => format!("{} replicas hold the same state", digests.len()),
        Verdict::Undecided(why) => why.clone(),
        Verdict::Diverged { minority, majority } => {
            for node in minority {
                let mine = digests.get(node).copied().flatten().unwrap_or_default();
                let reason = format!(
                    "a consistency check found its state at log index {index} of shard {shard} \
                     differs from the majority's (digest {mine:016x}, majority {majority:016x})"
                );
                tracing::error!(shard = %shard, node_id = %node, index, "{reason}");
                match mark_damaged(backend, *node, shard, &reason).await {
                    Ok(()) => marked.push(node.0),
                    Err(error) => tracing::error!(
                        shard = %shard,
                        node_id = %node,
                        %error,
                        "could not mark a diverged replica damaged"
                    ),
                }
            }
            format!(
                "node(s) {:?} differ from the majority; marked damaged, to be rebuilt",
                minority.iter().map(|n| n.0).collect::<Vec<_>>()
            )
        }
    };
    metrics::counter!("shoal_consistency_checks_total", "verdict" => verdict.as_str()).increment(1);
    metrics::histogram!("shoal_consistency_check_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    tracing::info!(
        shard = %shard,
        index,
        verdict = verdict.as_str(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "consistency check: {detail}"
    );
    Ok(pb::ShardCheck {
        shard_id: shard.0,
        index,
        replicas: answers
            .into_iter()
            .map(|(node, answer)| match answer {
                Ok((digest, keys, bytes)) => pb::ReplicaCheck {
                    node_id: node.0,
                    answered: true,
                    digest,
                    keys,
                    bytes,
                    error: String::new(),
                },
                Err(error) => pb::ReplicaCheck {
                    node_id: node.0,
                    error,
                    ..pb::ReplicaCheck::default()
                },
            })
            .collect(),
        verdict: verdict.as_str().into(),
        detail,
        marked_damaged: marked,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

async fn local_digest(backend: &Backend, shard: ShardId, point: u64, wait: Duration) -> Answer {
    let replica = backend.replicas.replica(shard).ok_or_else(|| {
        format!(
            "node {} holds no running replica of shard {shard}",
            backend.node_id
        )
    })?;
    match replica.group().point_digest(point, wait).await {
        Some(Ok(digest)) => Ok((digest.digest, digest.keys, digest.bytes)),
        Some(Err(error)) => Err(error),
        None => Err(format!(
            "no digest of the point within {wait:?} (the replica is behind, or it installed \
             a snapshot past the point)"
        )),
    }
}

async fn remote_digest(backend: &Backend, node: NodeId, shard: ShardId, point: u64) -> Answer {
    let mut control = backend
        .peers
        .control(node, shard)
        .map_err(|error| error.to_string())?;
    let request = ipb::ReplicaDigestRequest {
        shard_id: shard.0,
        point_id: point,
        wait_ms: POINT_WAIT.as_millis() as u64,
    };
    let answer = tokio::time::timeout(
        POINT_WAIT + Duration::from_secs(5),
        control.replica_digest(request),
    )
    .await
    .map_err(|_| format!("node {node} did not answer within {POINT_WAIT:?}"))?
    .map_err(|status| format!("node {node}: {}", status.message()))?
    .into_inner();
    digest_answer(answer)
}

/// A replica's answer as the checker reads it.
fn digest_answer(answer: ipb::ReplicaDigestResponse) -> Answer {
    if !answer.error.is_empty() {
        return Err(answer.error);
    }
    if !answer.found {
        return Err("no digest of the point (behind, or past it by a snapshot)".into());
    }
    Ok((answer.digest, answer.keys, answer.bytes))
}

/// The internal `ReplicaDigest`: this node's replica's digest at a point.
pub(crate) async fn replica_digest(
    backend: &Backend,
    request: ipb::ReplicaDigestRequest,
) -> ipb::ReplicaDigestResponse {
    let shard = ShardId(request.shard_id);
    let wait = Duration::from_millis(request.wait_ms).min(POINT_WAIT);
    match local_digest(backend, shard, request.point_id, wait).await {
        Ok((digest, keys, bytes)) => ipb::ReplicaDigestResponse {
            found: true,
            digest,
            keys,
            bytes,
            error: String::new(),
        },
        Err(error) => ipb::ReplicaDigestResponse {
            error,
            ..ipb::ReplicaDigestResponse::default()
        },
    }
}

/// Puts `node`'s replica of `shard` in quarantine: here directly, elsewhere by
/// `MarkDamaged`.
async fn mark_damaged(
    backend: &Backend,
    node: NodeId,
    shard: ShardId,
    reason: &str,
) -> Result<(), String> {
    if node == backend.node_id {
        backend
            .storage
            .quarantine(GroupId::for_shard(shard), reason);
        return Ok(());
    }
    let mut control = backend
        .peers
        .control(node, shard)
        .map_err(|error| error.to_string())?;
    let request = ipb::MarkDamagedRequest {
        shard_id: shard.0,
        reason: reason.to_owned(),
    };
    tokio::time::timeout(Duration::from_secs(10), control.mark_damaged(request))
        .await
        .map_err(|_| format!("node {node} did not answer"))?
        .map_err(|status| status.message().to_owned())?;
    Ok(())
}

/// `Cluster.CheckConsistency` on any node: `shard` (every shard when None), each on its
/// leader, one at a time.
pub(crate) async fn check(
    backend: &Backend,
    shard: Option<ShardId>,
) -> Result<Vec<pb::ShardCheck>, ReplicationError> {
    let map = backend.replicas.shard_map();
    let shards: Vec<ShardId> = match shard {
        Some(shard) if map.entry(shard).is_none() => {
            return Err(ReplicationError::NotFound(format!(
                "shard {shard} does not exist (the cluster has shards 0 to {})",
                map.shards.len().saturating_sub(1)
            )));
        }
        Some(shard) => vec![shard],
        None => map.shards.iter().map(|entry| entry.id).collect(),
    };
    let mut checks = Vec::with_capacity(shards.len());
    for shard in shards {
        let check = match check_on_leader(backend, shard).await {
            Ok(check) => check,
            Err(error) => pb::ShardCheck {
                shard_id: shard.0,
                verdict: "undecided".into(),
                detail: format!("the check could not run: {error}"),
                ..pb::ShardCheck::default()
            },
        };
        checks.push(check);
    }
    Ok(checks)
}

async fn check_on_leader(backend: &Backend, shard: ShardId) -> Result<pb::ShardCheck, String> {
    let leader = backend
        .replicas
        .leader_of(shard)
        .ok_or_else(|| format!("shard {shard} has no known leader"))?;
    if leader == backend.node_id {
        return check_shard_here(backend, shard)
            .await
            .map_err(|error| error.to_string());
    }
    let mut control = backend
        .peers
        .control(leader, shard)
        .map_err(|error| error.to_string())?;
    let request = ipb::CheckShardRequest { shard_id: shard.0 };
    let answer = tokio::time::timeout(POINT_WAIT * 2, control.check_shard(request))
        .await
        .map_err(|_| format!("node {leader}, leader of shard {shard}, did not answer"))?
        .map_err(|status| format!("node {leader}: {}", status.message()))?
        .into_inner();
    <pb::ShardCheck as prost::Message>::decode(answer.check.as_slice())
        .map_err(|error| format!("node {leader} sent an unreadable check: {error}"))
}

/// In the background until `cancel`: every `interval`, checks each shard led here, one at a
/// time, spread over the interval.
pub async fn run_periodic(backend: Arc<Backend>, interval: Duration, cancel: CancellationToken) {
    if interval.is_zero() {
        return;
    }
    loop {
        let led: Vec<ShardId> = backend
            .replicas
            .all()
            .iter()
            .filter(|replica| replica.group().is_leader())
            .map(|replica| replica.id())
            .collect();
        let pause = interval / (led.len() as u32 + 1);
        for shard in std::iter::once(None).chain(led.into_iter().map(Some)) {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
            if let Some(shard) = shard
                && let Err(error) = check_shard_here(&backend, shard).await
            {
                tracing::debug!(shard = %shard, %error, "consistency check skipped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_without_a_digest_says_why() {
        let none = ipb::ReplicaDigestResponse::default();
        assert!(digest_answer(none).unwrap_err().contains("no digest"));
        let failed = ipb::ReplicaDigestResponse {
            error: "the value of key \"k\" fails its checksum".into(),
            ..ipb::ReplicaDigestResponse::default()
        };
        assert!(digest_answer(failed).unwrap_err().contains("checksum"));
        let found = ipb::ReplicaDigestResponse {
            found: true,
            digest: 5,
            keys: 2,
            bytes: 9,
            ..ipb::ReplicaDigestResponse::default()
        };
        assert_eq!(digest_answer(found), Ok((5, 2, 9)));
    }
}
