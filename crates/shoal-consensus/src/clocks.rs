//! Peers' wall clocks against this node's: each reading is one `Raft.Identify` call on the
//! peer's connection, which answers with the peer's clock — the offset is the peer's time
//! minus the middle of the round trip, known to within half the round trip (NTP's
//! estimate, one sample). The node reads its peers now and then; `/healthz?verbose` and
//! `/metrics` show the offsets. TTLs are stamped by each shard leader's clock, so a node
//! whose clock is far off its peers' expires keys early or late when it leads.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::types::NodeId;

/// The wall clock this node reads (ms since the Unix epoch): the node's own clock, shifted
/// by its test hook when set.
pub type WallClock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// One reading of a peer's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// The peer's clock minus this node's, in milliseconds.
    pub offset_ms: i64,
    /// Half the round trip: the true offset lies within `offset_ms ± uncertainty_ms`.
    pub uncertainty_ms: u64,
    /// When it was read.
    pub at: Instant,
}

impl ClockReading {
    /// The offset's smallest possible size: how far apart the clocks are at least.
    pub fn least_offset_ms(&self) -> u64 {
        self.offset_ms
            .unsigned_abs()
            .saturating_sub(self.uncertainty_ms)
    }

    /// From the local wall-clock time a call left (`sent_ms`), the time it took to come
    /// back (`round_trip`, measured on the monotonic clock, so a step of the wall clock
    /// during the call cannot skew it) and the time the peer answered with (`peer_ms`).
    pub fn from_round_trip(sent_ms: u64, peer_ms: u64, round_trip: Duration, at: Instant) -> Self {
        let round_trip = u64::try_from(round_trip.as_millis()).unwrap_or(u64::MAX);
        let middle = sent_ms as i128 + round_trip as i128 / 2;
        ClockReading {
            offset_ms: (peer_ms as i128 - middle) as i64,
            uncertainty_ms: round_trip.div_ceil(2),
            at,
        }
    }
}

/// The latest reading of each peer's clock, and the clock this node answers with.
#[derive(Default)]
pub struct PeerClocks {
    wall: OnceLock<WallClock>,
    readings: Mutex<BTreeMap<NodeId, ClockReading>>,
}

impl std::fmt::Debug for PeerClocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerClocks")
            .field("readings", &self.readings)
            .finish_non_exhaustive()
    }
}

impl PeerClocks {
    /// Sets the clock this node answers with and reads peers against (once; before the
    /// internal port serves). Until then the node answers 0: "no clock to tell".
    pub fn set_wall_clock(&self, clock: WallClock) {
        let _ = self.wall.set(clock);
    }

    /// This node's wall clock, when set.
    pub fn now_ms(&self) -> Option<u64> {
        self.wall.get().map(|clock| clock())
    }

    pub(crate) fn record(&self, node: NodeId, reading: ClockReading) {
        self.readings
            .lock()
            .expect("clock readings poisoned")
            .insert(node, reading);
    }

    /// The readings taken within `max_age`, by peer.
    pub fn recent(&self, max_age: Duration) -> BTreeMap<NodeId, ClockReading> {
        self.readings
            .lock()
            .expect("clock readings poisoned")
            .iter()
            .filter(|(_, reading)| reading.at.elapsed() <= max_age)
            .map(|(node, reading)| (*node, *reading))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_is_taken_against_the_middle_of_the_round_trip() {
        let at = Instant::now();
        let ms = Duration::from_millis;
        // Sent at 1000, answered 10 ms later with a clock 2 s ahead, back at 1020.
        let reading = ClockReading::from_round_trip(1_000, 3_010, ms(20), at);
        assert_eq!(reading.offset_ms, 2_000);
        assert_eq!(reading.uncertainty_ms, 10);
        assert_eq!(reading.least_offset_ms(), 1_990);
        // A peer behind.
        let reading = ClockReading::from_round_trip(5_000, 4_001, ms(3), at);
        assert_eq!(reading.offset_ms, -1_000);
        assert_eq!(reading.uncertainty_ms, 2);
        assert_eq!(reading.least_offset_ms(), 998);
        // Within the round trip, the clocks may agree.
        let reading = ClockReading::from_round_trip(0, 30, ms(100), at);
        assert_eq!(reading.least_offset_ms(), 0);
    }
}
