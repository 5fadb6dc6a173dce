//! Waiting for a drain or a decommission to finish, with their progress: what the CLI
//! prints while it waits and what the chaos runner waits for, from one definition of
//! "done".

use std::time::Duration;

use backon::{ConstantBuilder, Retryable};

use crate::{Client, ClientError};

/// How far a drain has got: what the drained node still leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainProgress {
    /// Shards the node still leads.
    pub shards_led: usize,
    /// It still leads the meta group.
    pub leads_meta: bool,
}

impl DrainProgress {
    /// The node leads nothing.
    pub fn done(&self) -> bool {
        self.shards_led == 0 && !self.leads_meta
    }
}

impl std::fmt::Display for DrainProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "leads {} shard(s){}",
            self.shards_led,
            if self.leads_meta {
                " and the meta group"
            } else {
                ""
            }
        )
    }
}

/// How far a decommission has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecommissionProgress {
    /// Replicas the shard map still lists on the node.
    pub replicas_held: usize,
    /// It is still a member (voter or learner) of the meta group.
    pub meta_member: bool,
    /// Replica moves in flight in the whole cluster.
    pub moves_in_flight: usize,
}

impl DecommissionProgress {
    /// The node holds no replica and has left the meta group: it can be stopped.
    pub fn done(&self) -> bool {
        self.replicas_held == 0 && !self.meta_member
    }
}

impl std::fmt::Display for DecommissionProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "holds {} replica(s){}; {} move(s) in flight",
            self.replicas_held,
            if self.meta_member {
                " and is in the meta group"
            } else {
                ""
            },
            self.moves_in_flight
        )
    }
}

/// Why a wait ended without the operation being done.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WaitError<P: std::fmt::Display + std::fmt::Debug> {
    #[error("not done after {after:?}: the node still {last}")]
    TimedOut { after: Duration, last: P },
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Every `interval`, asks `progress`; reports each change to `on_change`; returns the last
/// progress once `done` (or the error that stopped it, or a time-out).
async fn wait_until<P, F, Fut>(
    timeout: Duration,
    interval: Duration,
    mut progress: F,
    done: impl Fn(&P) -> bool,
    mut on_change: impl FnMut(&P),
) -> Result<P, WaitError<P>>
where
    P: Copy + PartialEq + std::fmt::Display + std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<P, ClientError>>,
{
    #[derive(Debug)]
    enum Poll<P> {
        NotYet(P),
        Failed(ClientError),
    }
    let last: std::cell::Cell<Option<P>> = std::cell::Cell::new(None);
    let on_change = std::cell::RefCell::new(&mut on_change);
    let started = std::time::Instant::now();
    let attempts = (timeout.as_millis() / interval.as_millis().max(1)) as usize + 1;
    let (last, on_change, done) = (&last, &on_change, &done);
    let outcome = (|| {
        let next = progress();
        async move {
            let now = next.await.map_err(Poll::Failed)?;
            if last.get() != Some(now) {
                (on_change.borrow_mut())(&now);
                last.set(Some(now));
            }
            if done(&now) {
                Ok(now)
            } else {
                Err(Poll::NotYet(now))
            }
        }
    })
    .retry(
        ConstantBuilder::default()
            .with_delay(interval)
            .with_max_times(attempts),
    )
    .when(|poll| matches!(poll, Poll::NotYet(_)))
    .await;
    match outcome {
        Ok(now) => Ok(now),
        Err(Poll::Failed(error)) => Err(WaitError::Client(error)),
        Err(Poll::NotYet(now)) => Err(WaitError::TimedOut {
            after: started.elapsed(),
            last: now,
        }),
    }
}

impl Client {
    /// What `node` still leads.
    pub async fn drain_progress(&self, node: u64) -> Result<DrainProgress, ClientError> {
        let status = self.status().await?;
        Ok(DrainProgress {
            shards_led: status.shards.iter().filter(|s| s.leader_id == node).count(),
            leads_meta: status.meta_leader_id == node,
        })
    }

    /// Waits (up to `timeout`) until the drained `node` leads nothing, telling
    /// `on_change` each time what it leads changes.
    pub async fn wait_drained(
        &self,
        node: u64,
        timeout: Duration,
        on_change: impl FnMut(&DrainProgress),
    ) -> Result<DrainProgress, WaitError<DrainProgress>> {
        wait_until(
            timeout,
            Duration::from_millis(250),
            || self.drain_progress(node),
            DrainProgress::done,
            on_change,
        )
        .await
    }

    /// What the decommissioned `node` still holds.
    pub async fn decommission_progress(
        &self,
        node: u64,
    ) -> Result<DecommissionProgress, ClientError> {
        let map = self.shard_map().await?;
        let status = self.status().await?;
        let moves = self.moves().await.map(|m| m.moves.len()).unwrap_or(0);
        Ok(DecommissionProgress {
            replicas_held: map
                .shards
                .iter()
                .filter(|s| s.replicas.iter().any(|r| r.node_id == node))
                .count(),
            meta_member: status
                .nodes
                .iter()
                .any(|n| n.node_id == node && (n.meta_voter || n.meta_learner)),
            moves_in_flight: moves,
        })
    }

    /// Waits (up to `timeout`) until the decommissioned `node` holds no replica and has
    /// left the meta group, telling `on_change` each time that changes.
    pub async fn wait_decommissioned(
        &self,
        node: u64,
        timeout: Duration,
        on_change: impl FnMut(&DecommissionProgress),
    ) -> Result<DecommissionProgress, WaitError<DecommissionProgress>> {
        wait_until(
            timeout,
            Duration::from_millis(500),
            || self.decommission_progress(node),
            DecommissionProgress::done,
            on_change,
        )
        .await
    }
}
