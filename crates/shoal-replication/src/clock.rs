//! The wall clock used to stamp writes with absolute expiry instants.
//!
//! Only a shard leader's clock decides what a TTL means: the leader stamps each write with
//! its `now`, and replicas apply the stamped instants. A test-only offset lets chaos runs
//! skew one node's clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, shifted by a fixed offset.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset_ms: i64,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { offset_ms: 0 }
    }

    /// A clock running `offset_ms` ahead (or behind, when negative) of the system clock.
    pub fn with_offset(offset_ms: i64) -> Clock {
        Clock { offset_ms }
    }

    /// The one place shoal reads the wall clock for time that matters.
    #[allow(clippy::disallowed_methods)]
    pub fn now_ms(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        now.saturating_add(self.offset_ms).max(0) as u64
    }
}
