//! Routing one request: serve it on this node's replica when that works, otherwise forward
//! it one hop to the shard's leader over the internal port.
//!
//! A forward is retried at most once, and only when the first attempt provably changed
//! nothing: a NotLeader refusal naming another leader (a node refuses before proposing), or
//! a connection that could not even be opened (the leader's node is down: the request waits
//! for a new leader, within a bound, and goes there). A timeout or a connection broken after
//! the request was sent is never retried here — the request may have been applied, and the
//! client decides.

use std::future::Future;
use std::time::Duration;

use shoal_proto::v1::kv_client::KvClient;
use shoal_replication::{Dataplane, ReplicationError, Shard};
use shoal_shardmap::ShardId;
use tonic::transport::Channel;

use crate::Mode;
use crate::status::from_status;

/// Metadata key marking a request forwarded by a peer (informational: the internal port
/// never forwards anyway).
pub(crate) const FORWARDED_METADATA: &str = "shoal-forwarded-by";

/// How often a node without a replica looks again for a shard's leader while none is known.
const LEADER_POLL: Duration = Duration::from_millis(50);

/// Where a request goes.
pub(crate) struct Router<'a> {
    pub dataplane: &'a Dataplane,
    pub mode: Mode,
    /// Longest wait for a leader while an election runs.
    pub leader_wait: Duration,
}

impl Router<'_> {
    /// Runs `local` on this node's replica of `shard`, or `remote` against the leader's
    /// node when this node has no replica or its replica is not the leader.
    pub(crate) async fn route<T, L, LF, R, RF>(
        &self,
        shard: ShardId,
        local: L,
        remote: R,
    ) -> Result<T, ReplicationError>
    where
        L: Fn(Shard) -> LF,
        LF: Future<Output = Result<T, ReplicationError>>,
        R: Fn(KvClient<Channel>) -> RF,
        RF: Future<Output = Result<T, tonic::Status>>,
    {
        let dataplane = self.dataplane;
        let mut hint = None;
        if let Some(replica) = dataplane.hosted(shard) {
            match local(replica.clone()).await {
                Err(ReplicationError::NotLeader {
                    leader,
                    leader_address,
                    ..
                }) if self.mode == Mode::Client => {
                    hint = leader.map(|leader| (leader, leader_address));
                }
                other => return other,
            }
        } else if self.mode == Mode::Forwarded {
            return Err(ReplicationError::WrongShard { shard: shard.0 });
        }
        let (leader, address) = match hint {
            Some(hint) => hint,
            None => self.wait_for_leader(shard).await?,
        };
        if leader == dataplane.node_id()
            && let Some(replica) = dataplane.hosted(shard)
        {
            // Elected here while we waited.
            return local(replica.clone()).await;
        }
        match self.forward(shard, leader, address, &remote).await {
            Err(Forward::Answered(ReplicationError::NotLeader {
                leader: Some(next),
                leader_address,
                ..
            })) if next != leader && next != dataplane.node_id() => self
                .forward(shard, next, leader_address, &remote)
                .await
                .map_err(Forward::into_error),
            Err(Forward::Answered(
                refused
                @ (ReplicationError::NotLeader { .. } | ReplicationError::WrongShard { .. }),
            )) => {
                // Refused before proposing, and that node names no other leader (leadership
                // is moving), or holds no replica any more (the replica moved away and the
                // hint was stale): wait for the group to settle, then try once more — on
                // the same node if it leads again. Nothing was applied either way, so the
                // client gets that refusal (marked as such) if no leader shows up.
                let settled = self
                    .wait_for_other_leader(shard, leader, "its leader stepped down")
                    .await
                    .ok()
                    .or_else(|| {
                        self.dataplane
                            .leader_of(shard)
                            .map(|same| (same, self.dataplane.internal_address(same)))
                    });
                let Some((next, address)) = settled else {
                    return Err(refused);
                };
                self.last_try(shard, next, address, &local, &remote).await
            }
            Err(Forward::Undelivered(reason)) => {
                // The leader's node is gone: wait for the group to elect another one.
                let (next, address) = self.wait_for_other_leader(shard, leader, &reason).await?;
                self.last_try(shard, next, address, &local, &remote).await
            }
            other => other.map_err(Forward::into_error),
        }
    }

    /// The one retry: on this node's replica when it leads now, else forwarded to `leader`.
    async fn last_try<T, L, LF, R, RF>(
        &self,
        shard: ShardId,
        leader: u64,
        address: Option<String>,
        local: &L,
        remote: &R,
    ) -> Result<T, ReplicationError>
    where
        L: Fn(Shard) -> LF,
        LF: Future<Output = Result<T, ReplicationError>>,
        R: Fn(KvClient<Channel>) -> RF,
        RF: Future<Output = Result<T, tonic::Status>>,
    {
        if leader == self.dataplane.node_id()
            && let Some(replica) = self.dataplane.hosted(shard)
        {
            return local(replica.clone()).await;
        }
        self.forward(shard, leader, address, remote)
            .await
            .map_err(Forward::into_error)
    }

    /// After `failed` proved unreachable: the next leader, waiting a bounded time.
    async fn wait_for_other_leader(
        &self,
        shard: ShardId,
        failed: u64,
        reason: &str,
    ) -> Result<(u64, Option<String>), ReplicationError> {
        let started = tokio::time::Instant::now();
        loop {
            let leader = self.dataplane.leader_of(shard);
            if let Some(leader) = leader.filter(|leader| *leader != failed) {
                let address = self
                    .dataplane
                    .hosted(shard)
                    .and_then(|replica| replica.group().members().get(&leader).cloned())
                    .or_else(|| self.dataplane.internal_address(leader));
                return Ok((leader, address));
            }
            if started.elapsed() >= self.leader_wait {
                return Err(ReplicationError::Unavailable(format!(
                    "shard {shard}: {reason}, and no other leader was elected within {:?}",
                    self.leader_wait
                )));
            }
            tokio::time::sleep(LEADER_POLL).await;
        }
    }

    /// The shard's leader and its internal address, waiting a bounded time for an election.
    async fn wait_for_leader(
        &self,
        shard: ShardId,
    ) -> Result<(u64, Option<String>), ReplicationError> {
        let dataplane = self.dataplane;
        let started = tokio::time::Instant::now();
        loop {
            let leader = match dataplane.hosted(shard) {
                // A voter hears of a new leader first.
                Some(replica) if replica.group().is_voter() => {
                    let remaining = self.leader_wait.saturating_sub(started.elapsed());
                    replica.group().wait_for_leader(remaining).await.ok()
                }
                // A replica still being moved here may not know its leader yet.
                _ => dataplane.leader_of(shard),
            };
            if let Some(leader) = leader {
                let address = dataplane
                    .hosted(shard)
                    .and_then(|replica| replica.group().members().get(&leader).cloned())
                    .or_else(|| dataplane.internal_address(leader));
                return Ok((leader, address));
            }
            if started.elapsed() >= self.leader_wait {
                return Err(ReplicationError::Unavailable(format!(
                    "shard {shard} has no leader (an election has not finished within {:?})",
                    self.leader_wait
                )));
            }
            tokio::time::sleep(LEADER_POLL).await;
        }
    }

    async fn forward<T, R, RF>(
        &self,
        shard: ShardId,
        node: u64,
        address: Option<String>,
        remote: &R,
    ) -> Result<T, Forward>
    where
        R: Fn(KvClient<Channel>) -> RF,
        RF: Future<Output = Result<T, tonic::Status>>,
    {
        let dataplane = self.dataplane;
        let address = address
            .or_else(|| dataplane.internal_address(node))
            .ok_or_else(|| {
                Forward::Answered(ReplicationError::Unavailable(format!(
                    "shard {shard}: the address of its leader, node {node}, is unknown here"
                )))
            })?;
        let transport = dataplane.transport();
        if !transport.faults().pass(node).await {
            return Err(Forward::Undelivered(format!(
                "its leader, node {node}, is unreachable (fault injection)"
            )));
        }
        let channel = transport
            .peers()
            .channel(node, &address)
            .map_err(|error| Forward::Answered(ReplicationError::Unavailable(error.to_string())))?;
        metrics::counter!("shoal_requests_forwarded_total").increment(1);
        remote(KvClient::new(channel)).await.map_err(|status| {
            if shoal_proto::never_sent(&status) {
                Forward::Undelivered(format!(
                    "its leader, node {node} at {address}, refuses connections"
                ))
            } else {
                Forward::Answered(from_status(status))
            }
        })
    }
}

/// How a forward failed.
enum Forward {
    /// Provably never reached the peer: safe to send elsewhere.
    Undelivered(String),
    /// The peer answered with an error, or the outcome is unknown.
    Answered(ReplicationError),
}

impl Forward {
    fn into_error(self) -> ReplicationError {
        match self {
            Forward::Undelivered(reason) => ReplicationError::Unavailable(reason),
            Forward::Answered(error) => error,
        }
    }
}

/// A request to send to a peer, marked as forwarded by this node.
pub(crate) fn forwarded<T>(dataplane: &Dataplane, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = dataplane.node_id().to_string().parse() {
        request.metadata_mut().insert(FORWARDED_METADATA, value);
    }
    request
}
