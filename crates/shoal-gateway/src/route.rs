//! Routing one request: serve it on this node's replica when that works, otherwise forward
//! it one hop to the shard's leader over the internal port.
//!
//! A request is sent again — to the next leader, or to the same node once it answers —
//! only while every earlier attempt provably changed nothing:
//! - a NotLeader or WrongShard refusal (a node refuses before proposing): the next attempt
//!   follows its leader hint, or waits for the group to settle when it names none;
//! - a request that never reached the node (connection not opened or refused, still queued
//!   when its connection closed, HTTP/2 `REFUSED_STREAM`, a test fault dropping it): the
//!   node may be down or restarting; the next attempt goes to whichever node leads then —
//!   the same one, once it is back and elected again.
//!
//! Attempts back off (50 ms doubling to 500 ms) and end with the leader wait
//! (`min(request timeout / 2, 5 s)`); the last refusal then goes to the client, marked
//! `shoal-not-applied`. A timeout or a connection broken after the request was sent is
//! never retried here — the request may have been applied, and the client decides.
//! Forwarded requests are never forwarded again (the internal port and the pipe's forward
//! handler serve in [`Mode::Forwarded`]). A forward travels on the node-pair stream
//! ([`crate::forward`]).

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use shoal_replication::{LocalReplicas, ReplicationError, ShardReplica};
use shoal_shardmap::{GroupId, NodeId, ShardId};
use tokio::time::Instant;

use crate::Mode;
use crate::forward::PeerKv;
use crate::peer::PeerCalls;
use crate::status::from_status;

/// How often a node without a replica looks again for a shard's leader while none is known.
const LEADER_POLL: Duration = Duration::from_millis(50);
/// The most attempts one request makes (each one before the last changed nothing).
const MAX_ATTEMPTS: usize = 10;

/// Where a request goes.
pub(crate) struct Router<'a> {
    pub replicas: &'a LocalReplicas,
    pub peers: &'a PeerCalls,
    pub mode: Mode,
    /// The caller's API key id, sent along with forwards (None: auth off).
    pub caller_key: Option<&'a str>,
    /// Longest wait for a leader (and for retries that changed nothing).
    pub leader_wait: Duration,
}

/// Where the next attempt goes.
enum Target {
    /// This node's replica.
    Local,
    /// The node that leads, at its address when known.
    Node(NodeId, Option<String>),
    /// Wherever the shard's leader is once one is known.
    Leader,
}

/// How one attempt ended.
enum Attempt<T> {
    /// An answer to give the client (a success, or an error that may have changed
    /// something, or that retrying cannot change).
    Answer(Result<T, ReplicationError>),
    /// Refused before proposing: changed nothing. The refusal, and the leader it names.
    Refused(ReplicationError, Option<(NodeId, Option<String>)>),
    /// Provably never reached the node.
    Undelivered(String),
}

impl Router<'_> {
    /// Runs `local` on this node's replica of `shard`, or `remote` against the leader's
    /// node when this node has no replica or its replica does not lead.
    pub(crate) async fn route<T, L, LF, R, RF>(
        &self,
        shard: ShardId,
        local: L,
        remote: R,
    ) -> Result<T, ReplicationError>
    where
        L: Fn(ShardReplica) -> LF,
        LF: Future<Output = Result<T, ReplicationError>>,
        R: Fn(PeerKv) -> RF,
        RF: Future<Output = Result<T, tonic::Status>>,
    {
        let me = self.replicas.node_id();
        let deadline = Instant::now() + self.leader_wait;
        let mut pauses = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_millis(500))
            .without_max_times()
            .build();
        let mut target = if self.replicas.replica(shard).is_some() {
            Target::Local
        } else if self.mode == Mode::Forwarded {
            return Err(ReplicationError::WrongShard { shard: shard.0 });
        } else {
            Target::Leader
        };
        let mut refusal: Option<ReplicationError> = None;
        for _ in 0..MAX_ATTEMPTS {
            if let Target::Leader = target {
                target = match self.find_leader(shard, deadline).await {
                    Ok(found) => found,
                    Err(error) => return Err(refusal.unwrap_or(error)),
                };
            }
            let attempt = match std::mem::replace(&mut target, Target::Leader) {
                Target::Node(node, _) if node == me => self.on_local(shard, &local).await,
                Target::Local => self.on_local(shard, &local).await,
                Target::Node(node, address) => self.forward(shard, node, address, &remote).await,
                Target::Leader => unreachable!("resolved above"),
            };
            match attempt {
                Attempt::Answer(answer) => return answer,
                // In forwarded mode the forwarding node handles refusals.
                Attempt::Refused(error, _) if self.mode == Mode::Forwarded => return Err(error),
                Attempt::Refused(error, Some((next, address))) => {
                    target = Target::Node(next, address);
                    refusal = Some(error);
                    // Following a hint needs no pause: the hint is where to go.
                    continue;
                }
                Attempt::Refused(error, None) => refusal = Some(error),
                Attempt::Undelivered(reason) => {
                    refusal = Some(ReplicationError::NotDelivered(format!(
                        "shard {shard}: {reason}"
                    )));
                }
            }
            // Leadership is moving, or the leader's node is gone: let the group settle.
            let pause = pauses.next().unwrap_or(Duration::from_millis(500));
            if Instant::now() + pause >= deadline {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        Err(refusal.unwrap_or_else(|| {
            ReplicationError::Unavailable(format!("shard {shard}: no leader answered"))
        }))
    }

    async fn on_local<T, L, LF>(&self, shard: ShardId, local: &L) -> Attempt<T>
    where
        L: Fn(ShardReplica) -> LF,
        LF: Future<Output = Result<T, ReplicationError>>,
    {
        let Some(replica) = self.replicas.replica(shard) else {
            // The replica moved away meanwhile: the request goes to whoever leads.
            return Attempt::Refused(ReplicationError::WrongShard { shard: shard.0 }, None);
        };
        match local(replica).await {
            Err(error) => match not_leader_hint(&error) {
                Some(hint) => {
                    let hint = hint.filter(|(leader, _)| *leader != self.replicas.node_id());
                    Attempt::Refused(error, hint)
                }
                None => Attempt::Answer(Err(error)),
            },
            ok => Attempt::Answer(ok),
        }
    }

    /// The shard's leader once one is known, waiting a bounded time for an election.
    async fn find_leader(
        &self,
        shard: ShardId,
        deadline: Instant,
    ) -> Result<Target, ReplicationError> {
        loop {
            let leader = match self.replicas.replica(shard) {
                // A voter hears of a new leader first.
                Some(replica) if replica.group().is_voter() => {
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    replica.group().wait_for_leader(remaining).await.ok()
                }
                // A replica still being moved here may not know its leader yet.
                _ => self.replicas.leader_of(shard),
            };
            if let Some(leader) = leader {
                return Ok(if leader == self.replicas.node_id() {
                    Target::Local
                } else {
                    Target::Node(leader, None)
                });
            }
            if Instant::now() >= deadline {
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
        node: NodeId,
        address: Option<String>,
        remote: &R,
    ) -> Attempt<T>
    where
        R: Fn(PeerKv) -> RF,
        RF: Future<Output = Result<T, tonic::Status>>,
    {
        let client = match self.peers.kv(node, address, shard, self.caller_key) {
            Ok(found) => found,
            Err(error) => return Attempt::Undelivered(format!("its leader, node {node}: {error}")),
        };
        let address = client.address.clone();
        match remote(client).await {
            Ok(answer) => Attempt::Answer(Ok(answer)),
            Err(status) if shoal_proto::never_sent(&status) => Attempt::Undelivered(format!(
                "its leader, node {node} at {address}, could not be reached ({})",
                status.message()
            )),
            Err(status) => {
                let error = from_status(status, GroupId::for_shard(shard));
                match not_leader_hint(&error) {
                    Some(hint) => {
                        let hint = hint.filter(|(leader, _)| *leader != node);
                        Attempt::Refused(error, hint)
                    }
                    None => Attempt::Answer(Err(error)),
                }
            }
        }
    }
}

/// For a NotLeader refusal: the leader it names (with its address), if any.
#[allow(clippy::option_option)]
fn not_leader_hint(error: &ReplicationError) -> Option<Option<(NodeId, Option<String>)>> {
    match error {
        ReplicationError::NotLeader {
            leader,
            leader_address,
            ..
        } => Some(leader.map(|leader| (leader, leader_address.clone()))),
        _ => None,
    }
}
