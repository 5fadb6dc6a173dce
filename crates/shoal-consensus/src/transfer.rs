//! Snapshot transfers between nodes: the byte-rate cap shared by every transfer a node
//! sends (`cluster.rebalance.max_rate`), and the progress of transfers in flight, which
//! the placement driver reports as a move's bytes, rate and ETA.
//!
//! The wire side (chunks with a checksum each, a header, resume from the bytes the receiver
//! already holds) is in [`crate::transport`]: a transfer is openraft's snapshot
//! replication, so the same path serves a new replica of a move and a follower that fell
//! behind the purged log.

use shoal_shardmap::{GroupId, NodeId};
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// One transfer being sent, as seen by the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferProgress {
    pub group: GroupId,
    pub target: NodeId,
    /// Bytes of the snapshot the receiver holds (resumed bytes included).
    pub sent: u64,
    pub total: u64,
    /// Bytes the receiver already held when this attempt started (resumed, not re-sent).
    pub resumed_from: u64,
    /// Bytes sent by this attempt, and since when: the attempt's rate.
    pub sent_this_attempt: u64,
    pub started: Instant,
}

impl TransferProgress {
    /// Bytes per second of this attempt so far.
    pub fn rate(&self) -> f64 {
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed <= 0.0 {
            0.0
        } else {
            self.sent_this_attempt as f64 / elapsed
        }
    }
}

/// The node's transfers: rate cap and progress.
#[derive(Debug, Default)]
pub struct Transfers {
    limiter: RwLock<Option<Arc<DefaultDirectRateLimiter>>>,
    active: Mutex<BTreeMap<(GroupId, NodeId), TransferProgress>>,
    /// Sum of bytes sent by every transfer that completed or broke, for tests and metrics.
    bytes_sent_total: std::sync::atomic::AtomicU64,
}

/// The largest amount acquired from the bucket at once; also its burst.
pub(crate) const RATE_UNIT: usize = 64 << 10;

impl Transfers {
    /// Caps the bytes per second of all snapshot data this node sends; 0 = no cap.
    pub fn set_max_rate(&self, bytes_per_second: u64) {
        let limiter = u32::try_from(bytes_per_second)
            .ok()
            .and_then(NonZeroU32::new)
            .map(|rate| {
                // The burst is one unit: the cap holds over any window longer than a unit's
                // worth of time, instead of allowing a second's worth at once.
                let burst = NonZeroU32::new(RATE_UNIT as u32).expect("non-zero");
                Arc::new(RateLimiter::direct(
                    Quota::per_second(rate).allow_burst(burst.min(rate)),
                ))
            });
        *self.limiter.write().expect("limiter poisoned") = limiter;
    }

    /// Waits until `bytes` may be sent under the cap.
    pub(crate) async fn acquire(&self, bytes: usize) {
        let Some(limiter) = self.limiter.read().expect("limiter poisoned").clone() else {
            return;
        };
        let mut left = bytes;
        while left > 0 {
            let step = left.min(RATE_UNIT);
            left -= step;
            let mut cells = NonZeroU32::new(step as u32).expect("non-zero step");
            loop {
                match limiter.until_n_ready(cells).await {
                    Ok(()) => break,
                    // A cap below one unit per second: take what the bucket can hold.
                    Err(capacity) => {
                        cells = NonZeroU32::new(capacity.0).unwrap_or(NonZeroU32::MIN);
                    }
                }
            }
        }
    }

    /// Waits until `bytes` of transfer (`group` to `target`) may go, counting them in its
    /// progress unit by unit as the cap lets them through.
    pub(crate) async fn pace(&self, group: GroupId, target: NodeId, bytes: usize) {
        let mut left = bytes;
        while left > 0 {
            let unit = left.min(RATE_UNIT);
            self.acquire(unit).await;
            self.advance(group, target, unit as u64);
            left -= unit;
        }
    }

    pub(crate) fn begin(&self, group: GroupId, target: NodeId, total: u64, resumed_from: u64) {
        self.active.lock().expect("transfers poisoned").insert(
            (group, target),
            TransferProgress {
                group,
                target,
                sent: resumed_from,
                total,
                resumed_from,
                sent_this_attempt: 0,
                started: Instant::now(),
            },
        );
    }

    pub(crate) fn advance(&self, group: GroupId, target: NodeId, bytes: u64) {
        if let Some(progress) = self
            .active
            .lock()
            .expect("transfers poisoned")
            .get_mut(&(group, target))
        {
            progress.sent += bytes;
            progress.sent_this_attempt += bytes;
        }
        self.bytes_sent_total
            .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn end(&self, group: GroupId, target: NodeId) {
        self.active
            .lock()
            .expect("transfers poisoned")
            .remove(&(group, target));
    }

    /// Transfers of `group` in flight from this node.
    pub fn in_flight(&self, group: GroupId) -> Vec<TransferProgress> {
        self.active
            .lock()
            .expect("transfers poisoned")
            .range((group, NodeId(0))..=(group, NodeId(u64::MAX)))
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// Every transfer in flight from this node.
    pub fn all_in_flight(&self) -> Vec<TransferProgress> {
        self.active
            .lock()
            .expect("transfers poisoned")
            .values()
            .cloned()
            .collect()
    }

    /// Every snapshot byte this node has sent since it started.
    pub fn bytes_sent_total(&self) -> u64 {
        self.bytes_sent_total
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cap_holds_over_a_second() {
        let transfers = Transfers::default();
        transfers.set_max_rate(1 << 20);
        let started = Instant::now();
        // 1.5 MiB at 1 MiB/s, one unit of burst: about 1.44 s.
        for _ in 0..24 {
            transfers.acquire(RATE_UNIT).await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        assert!(elapsed > 1.2, "{elapsed}");
    }

    #[tokio::test]
    async fn no_cap_means_no_wait() {
        let transfers = Transfers::default();
        transfers.set_max_rate(0);
        let started = Instant::now();
        transfers.acquire(100 << 20).await;
        // Paced, 100 MiB would take minutes; unpaced it is immediate (the bound is loose
        // so a busy machine cannot fail it).
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn progress_is_tracked_per_group_and_target() {
        let transfers = Transfers::default();
        let (group, target) = (GroupId(3), NodeId(7));
        transfers.begin(group, target, 100, 40);
        transfers.advance(group, target, 10);
        let progress = transfers.in_flight(group);
        assert_eq!(progress.len(), 1);
        assert_eq!((progress[0].sent, progress[0].sent_this_attempt), (50, 10));
        assert!(transfers.in_flight(GroupId(4)).is_empty());
        transfers.end(group, target);
        assert!(transfers.in_flight(group).is_empty());
        assert_eq!(transfers.bytes_sent_total(), 10);
    }
}
