//! Digests of a group's state for the cross-replica consistency check.
//!
//! A check must compare replicas at the same applied index, while they keep applying
//! writes. So the check's leader proposes a *digest point* — a log entry of its own kind
//! (its command starts with [`DIGEST_POINT`], a byte no state machine's command starts
//! with) — and every replica, when it applies that entry, commits what it applied so far
//! and opens a read transaction of `state.redb` there: a snapshot of exactly the state at
//! the point's index (redb's readers see one commit and nothing after). The digest is then
//! computed from that snapshot off the apply path, at a bounded rate, while the group goes
//! on applying. Each replica keeps its last few results; the checker asks every replica for
//! the digest of its point and compares.
//!
//! A replica that skips the point (it installed a snapshot past it) has no digest of it:
//! unknown, never a mismatch. A machine of an older build hands the entry to its state
//! machine, which rejects it without changing anything.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::seal::Checker;
use super::seal::Place;
use super::tally::Tally;
use super::{DATA, MACHINE_APPLIED, MACHINE_STATE, decode, for_each_record};

/// What a key's lookup counts as, in bytes read, for the check's pacing.
const LOOKUP_COST: u64 = 256;
use crate::types::LogId;

/// The first byte of a digest point's command.
pub(crate) const DIGEST_POINT: u8 = 0xD1;

/// Results kept per group (older ones are forgotten).
const KEEP: usize = 8;

/// The command of digest point `id`.
pub fn digest_point_command(id: u64) -> Vec<u8> {
    let mut command = vec![DIGEST_POINT];
    command.extend_from_slice(&id.to_le_bytes());
    command
}

/// The point id when `command` is a digest point.
pub(crate) fn digest_point_id(command: &[u8]) -> Option<u64> {
    match command {
        [DIGEST_POINT, id @ ..] => Some(u64::from_le_bytes(id.try_into().ok()?)),
        _ => None,
    }
}

/// A replica's digest of its state at a digest point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointDigest {
    /// The point's log index (the state digested is exactly what was applied up to it).
    pub index: u64,
    /// XXH3-64 over every (space, key, value) of the group, in key order.
    pub digest: u64,
    /// Keys and bytes read.
    pub keys: u64,
    pub bytes: u64,
    /// How long the digest took.
    pub elapsed: Duration,
}

/// A replica's digest at one point, or why it failed.
type PointResult = Result<PointDigest, String>;

/// The digests of digest points this node's replicas applied, by group and point id.
#[derive(Default)]
pub(crate) struct DigestPoints {
    results: Mutex<HashMap<u64, VecDeque<(u64, PointResult)>>>,
    changed: tokio::sync::Notify,
}

impl DigestPoints {
    pub(crate) fn record(&self, group: u64, id: u64, result: PointResult) {
        let mut results = self.results.lock().expect("digest points poisoned");
        let kept = results.entry(group).or_default();
        kept.push_back((id, result));
        while kept.len() > KEEP {
            kept.pop_front();
        }
        drop(results);
        self.changed.notify_waiters();
    }

    fn get(&self, group: u64, id: u64) -> Option<PointResult> {
        self.results
            .lock()
            .expect("digest points poisoned")
            .get(&group)?
            .iter()
            .find(|(point, _)| *point == id)
            .map(|(_, result)| result.clone())
    }

    /// The digest of point `id` of `group`, waiting up to `wait` for it.
    pub(crate) async fn wait(&self, group: u64, id: u64, wait: Duration) -> Option<PointResult> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.changed.notified();
            if let Some(result) = self.get(group, id) {
                return Some(result);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.get(group, id);
            }
        }
    }

    pub(crate) fn forget(&self, group: u64) {
        self.results
            .lock()
            .expect("digest points poisoned")
            .remove(&group);
    }
}

/// The applied index of `group` in `txn` and the digest of its data there, every record
/// verified; at most `bytes_per_second` read (None: as fast as it goes).
///
/// Every record the scan finds is also looked up by its key. The scan walks the B-tree's
/// leaves; a lookup descends through its branch pages, whose separator keys no record
/// checksum covers: a damaged separator makes lookups miss keys the scan still finds —
/// silently, as a missing key. Such a replica fails here (and goes into quarantine), on a
/// single node as in a cluster. And what the scan finds must add up to the group's tally
/// (see [`super::tally`]): a record lost from its leaf, which scan and lookup alike miss,
/// fails here too.
pub(crate) fn digest_of(
    txn: &redb::ReadTransaction,
    group: u64,
    checker: &Checker,
    bytes_per_second: Option<u64>,
) -> io::Result<PointDigest> {
    let started = Instant::now();
    let machine_state = txn.open_table(MACHINE_STATE).map_err(io::Error::other)?;
    let applied: Option<LogId> = machine_state
        .get((group, MACHINE_APPLIED))
        .map_err(io::Error::other)?
        .map(|v| decode::<Option<LogId>>(v.value()))
        .transpose()?
        .flatten();
    let written = Tally::read(&machine_state, group)?;
    let mut tally = Tally::default();
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let (mut keys, mut bytes, mut paced) = (0u64, 0u64, 0u64);
    let data = txn.open_table(DATA).map_err(io::Error::other)?;
    for_each_record(txn, group, checker, |space, key, value| {
        let place = Place::Data { group, space, key };
        let found = data.get((group, space, key)).map_err(io::Error::other)?;
        match &found {
            Some(stored) if checker.open(place, stored.value())? == value => {
                tally.add(space, key, stored.value())
            }
            _ => return Err(checker.unreachable(place)),
        }
        hasher.update(&[space]);
        hasher.update(&(key.len() as u32).to_le_bytes());
        hasher.update(key);
        hasher.update(&(value.len() as u32).to_le_bytes());
        hasher.update(value);
        keys += 1;
        bytes += (key.len() + value.len()) as u64;
        // A lookup costs about what reading this much does (small values pace slower).
        let cost = (key.len() + value.len()) as u64 + LOOKUP_COST;
        paced += cost;
        if let Some(rate) = bytes_per_second {
            // Sleep off any lead over the rate, checked every 64 KiB.
            if paced % (64 << 10) < cost {
                let due = Duration::from_secs_f64(paced as f64 / rate.max(1) as f64);
                if let Some(ahead) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(ahead);
                }
            }
        }
        Ok(())
    })?;
    if tally != written {
        return Err(checker.miscounted(group, tally, written));
    }
    Ok(PointDigest {
        index: applied.map_or(0, |log_id| log_id.index),
        digest: hasher.digest(),
        keys,
        bytes,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_points_are_recognised_only_by_their_marker() {
        let command = digest_point_command(42);
        assert_eq!(digest_point_id(&command), Some(42));
        assert_eq!(digest_point_id(&[1, 2, 3]), None);
        assert_eq!(digest_point_id(&[DIGEST_POINT, 1]), None);
        assert_eq!(digest_point_id(&[]), None);
    }

    use redb::ReadableDatabase;

    /// A damaged separator in a branch page: the scan still finds every record (each passes
    /// its checksum), a lookup of the key next to it misses. The digest must not pass.
    #[test]
    fn a_key_the_index_lost_fails_the_digest_and_quarantines_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let key_of = |i: u32| format!("key-{i:06}").into_bytes();
        let keys: Vec<Vec<u8>> = (0..3_000).map(key_of).collect();
        super::super::tally::tests::write_untallied_file(&path, 1, &keys, &[7u8; 100]);
        // A key stored twice in the file — in its leaf and as a separator in a branch page
        // (page type 2 at the start of the page): lower the branch copy's last byte.
        let mut bytes = std::fs::read(&path).unwrap();
        let mut damaged = None;
        for i in 0..3_000 {
            let key = key_of(i);
            let at: Vec<usize> = bytes
                .windows(key.len())
                .enumerate()
                .filter(|(_, w)| *w == key.as_slice())
                .map(|(at, _)| at)
                .collect();
            if let Some(&branch) = at.iter().find(|&&at| bytes[at & !4095] == 2) {
                bytes[branch + key.len() - 1] -= 1;
                damaged = Some(key);
                break;
            }
        }
        let key = damaged.expect("a separator in a branch page");
        std::fs::write(&path, bytes).unwrap();

        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let data = txn.open_table(DATA).unwrap();
        assert!(
            data.get((1u64, 0u8, key.as_slice())).unwrap().is_none(),
            "the damage did not make the lookup miss (the test damaged the wrong bytes)"
        );
        let quarantine = std::sync::Arc::new(
            super::super::quarantine::Quarantine::load(&dir.path().join("quarantine")).unwrap(),
        );
        let checker = Checker {
            sealed_only: true,
            quarantine: quarantine.clone(),
        };
        let error = digest_of(&txn, 1, &checker, None).expect_err("a lost key passed the digest");
        let message = error.to_string();
        assert!(
            message.contains("lookup") && message.contains("state.redb"),
            "{message}"
        );
        assert!(quarantine.contains(1));
    }

    #[tokio::test]
    async fn a_waiter_gets_the_digest_once_it_is_recorded() {
        let points = std::sync::Arc::new(DigestPoints::default());
        let recorder = points.clone();
        let digest = PointDigest {
            index: 9,
            digest: 7,
            keys: 1,
            bytes: 2,
            elapsed: Duration::ZERO,
        };
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            recorder.record(3, 1, Ok(digest));
        });
        assert_eq!(
            points.wait(3, 1, Duration::from_secs(5)).await,
            Some(Ok(digest))
        );
        assert_eq!(points.wait(3, 2, Duration::from_millis(10)).await, None);
    }
}
