//! What each group's records in `state.redb` add up to, kept beside them: how many there are
//! and the wrapping sum of a hash of each (space, key, stored bytes).
//!
//! Record checksums (see [`super::seal`]) catch a record whose bytes changed. They cannot
//! catch a record that is *gone*: damage that drops a key from its B-tree leaf, or a leaf
//! from the tree, leaves nothing behind to fail a checksum, and on a single node there is no
//! other replica to compare with. So every write of the state machine's data also updates
//! its group's tally, in the same transaction; the consistency check (see [`super::digest`])
//! adds up the records it finds and compares. A missing, extra or altered record — or a
//! damaged tally — makes them differ, and the replica goes into quarantine.
//!
//! The sum of per-record hashes is order-free and can be updated one record at a time (a
//! multiset hash): a write subtracts the hash of the bytes it replaces and adds the new one.
//! It costs one hash of each changed record, next to the B-tree update that writes it.

use std::collections::BTreeMap;
use std::io;

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::seal::{self, Place};
use super::{DATA, FORMAT, MACHINE_STATE, MACHINE_TALLY, StateTables, decode, encode};

/// `"tallies"` in the format table: every group's tally is kept (absent: the file was made
/// before tallies, and [`upgrade`] counts it once).
const TALLIES: &str = "tallies";

/// The count of a group's records and the sum of their hashes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tally {
    pub(crate) keys: u64,
    pub(crate) sum: u64,
}

fn hash(space: u8, key: &[u8], stored: &[u8]) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&[space]);
    hasher.update(&(key.len() as u32).to_le_bytes());
    hasher.update(key);
    hasher.update(stored);
    hasher.digest()
}

impl Tally {
    /// Counts the record `stored` at `(space, key)`.
    pub(crate) fn add(&mut self, space: u8, key: &[u8], stored: &[u8]) {
        self.keys = self.keys.wrapping_add(1);
        self.sum = self.sum.wrapping_add(hash(space, key, stored));
    }

    /// Takes back the record `stored` at `(space, key)`.
    pub(crate) fn remove(&mut self, space: u8, key: &[u8], stored: &[u8]) {
        self.keys = self.keys.wrapping_sub(1);
        self.sum = self.sum.wrapping_sub(hash(space, key, stored));
    }

    /// The tally of `group` (a group with no tally has no records).
    pub(crate) fn read(
        machine_state: &impl ReadableTable<(u64, u8), &'static [u8]>,
        group: u64,
    ) -> io::Result<Tally> {
        machine_state
            .get((group, MACHINE_TALLY))
            .map_err(io::Error::other)?
            .map_or(Ok(Tally::default()), |stored| decode(stored.value()))
    }

    /// Records this as the tally of `group`.
    pub(crate) fn write(
        &self,
        machine_state: &mut redb::Table<'_, (u64, u8), &'static [u8]>,
        group: u64,
    ) -> io::Result<()> {
        machine_state
            .insert((group, MACHINE_TALLY), encode(self)?.as_slice())
            .map_err(io::Error::other)?;
        Ok(())
    }
}

impl StateTables<'_> {
    /// Stores `value` (None: deletes) for `key` in `space` of `group`, sealed, and counts the
    /// change in `tally` (the group's, written back by the caller).
    pub(crate) fn write_record(
        &mut self,
        tally: &mut Tally,
        group: u64,
        space: u8,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> io::Result<()> {
        let sealed = value.map(|value| seal::seal(Place::Data { group, space, key }, value));
        let replaced = match &sealed {
            Some(sealed) => self.data.insert((group, space, key), sealed.as_slice()),
            None => self.data.remove((group, space, key)),
        }
        .map_err(io::Error::other)?;
        if let Some(replaced) = replaced {
            tally.remove(space, key, replaced.value());
        }
        if let Some(sealed) = &sealed {
            tally.add(space, key, sealed);
        }
        Ok(())
    }
}

/// Inside the transaction that opens `state.redb`: a file made before tallies gets every
/// group's tally from what it holds now (once: from then on they are kept up to date).
pub(crate) fn upgrade(txn: &redb::WriteTransaction) -> io::Result<()> {
    let mut format = txn.open_table(FORMAT).map_err(io::Error::other)?;
    if format.get(TALLIES).map_err(io::Error::other)?.is_some() {
        return Ok(());
    }
    let data = txn.open_table(DATA).map_err(io::Error::other)?;
    let mut tallies = BTreeMap::<u64, Tally>::new();
    for item in data.iter().map_err(io::Error::other)? {
        let (key, value) = item.map_err(io::Error::other)?;
        let (group, space, key) = key.value();
        tallies
            .entry(group)
            .or_default()
            .add(space, key, value.value());
    }
    let mut machine_state = txn.open_table(MACHINE_STATE).map_err(io::Error::other)?;
    for (group, tally) in &tallies {
        tally.write(&mut machine_state, *group)?;
    }
    format.insert(TALLIES, 1).map_err(io::Error::other)?;
    let records: u64 = tallies.values().map(|tally| tally.keys).sum();
    if records > 0 {
        tracing::info!(
            records,
            groups = tallies.len(),
            "this state file was made before its records were tallied: counted them once \
             (the consistency check compares what it finds with the tallies from now on)"
        );
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::storage::{StateFile, Storage, StorageOptions};
    use shoal_shardmap::GroupId;

    /// Writes a `state.redb` at `path` as a build before tallies left it: `keys` of space 0
    /// of `group`, each holding `value`, sealed; every table, no tally, no format marks.
    pub(crate) fn write_untallied_file(
        path: &std::path::Path,
        group: u64,
        keys: &[Vec<u8>],
        value: &[u8],
    ) {
        let db = redb::Database::create(path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut data = txn.open_table(DATA).unwrap();
            for key in keys {
                let place = Place::Data {
                    group,
                    space: 0,
                    key,
                };
                data.insert(
                    (group, 0u8, key.as_slice()),
                    seal::seal(place, value).as_slice(),
                )
                .unwrap();
            }
        }
        <StateFile as super::super::writer::TableSet>::open(&txn).unwrap();
        txn.commit().unwrap();
    }

    /// A file made before tallies is counted when opened; writes keep the tally; a record
    /// gone without a trace (as when damage drops it from its leaf: nothing left to fail a
    /// checksum, scan and lookup both miss it) fails the digest, on a single node.
    #[tokio::test]
    async fn a_record_lost_without_a_trace_fails_the_digest_and_quarantines_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let key_of = |i: u32| format!("key-{i:06}").into_bytes();
        let keys: Vec<Vec<u8>> = (0..100).map(key_of).collect();
        write_untallied_file(&dir.path().join(super::super::STATE_FILE), 5, &keys, b"v");
        let storage = Storage::open(dir.path(), StorageOptions::default()).unwrap();
        let group = GroupId(5);
        storage.state_digest(group).await.expect("counted at open");
        // An overwrite, a delete, a delete of nothing, a new key: the tally follows.
        storage
            .debug_write_state(group, 0, &key_of(1), b"changed")
            .await
            .unwrap();
        let (gone, nothing) = (key_of(2), key_of(500));
        storage
            .state_writer()
            .call(true, move |tables| {
                let mut tally = Tally::read(&tables.machine_state, 5)?;
                tables.write_record(&mut tally, 5, 0, &gone, None)?;
                tables.write_record(&mut tally, 5, 0, &nothing, None)?;
                tables.write_record(&mut tally, 5, 1, b"index", Some(b"x"))?;
                tally.write(&mut tables.machine_state, 5)
            })
            .await
            .unwrap();
        storage.state_digest(group).await.expect("kept up to date");
        // A record gone behind the tally's back.
        storage
            .state_writer()
            .call(true, move |tables| {
                tables
                    .data
                    .remove((5u64, 0u8, key_of(3).as_slice()))
                    .map(|_| ())
                    .map_err(io::Error::other)
            })
            .await
            .unwrap();
        let error = storage
            .state_digest(group)
            .await
            .expect_err("a lost record passed the digest");
        let message = error.to_string();
        assert!(
            message.contains("do not add up")
                && message.contains("a scan finds 99 keys where 100 were written")
                && message.contains("state.redb"),
            "{message}"
        );
        assert!(storage.quarantined().contains_key(&group));
        storage
            .close(std::time::Duration::from_secs(5))
            .await
            .unwrap();
    }

    #[test]
    fn a_tally_is_the_same_whatever_the_order_and_takes_records_back() {
        let mut forward = Tally::default();
        let mut backward = Tally::default();
        let records: Vec<(u8, Vec<u8>, Vec<u8>)> = (0..50u32)
            .map(|i| ((i % 3) as u8, i.to_le_bytes().to_vec(), vec![i as u8; 10]))
            .collect();
        for (space, key, stored) in &records {
            forward.add(*space, key, stored);
        }
        for (space, key, stored) in records.iter().rev() {
            backward.add(*space, key, stored);
        }
        assert_eq!(forward, backward);
        assert_eq!(forward.keys, 50);
        // A record overwritten and one removed: the same as never having held them.
        let mut changed = forward;
        changed.remove(0, &records[0].1, &records[0].2);
        changed.add(0, &records[0].1, b"new");
        changed.remove(0, &records[0].1, b"new");
        changed.add(0, &records[0].1, &records[0].2);
        assert_eq!(changed, forward);
        // A record missing, or held under another key or with other bytes, is seen.
        let mut missing = forward;
        missing.remove(1, &records[1].1, &records[1].2);
        assert_ne!(missing, forward);
        let mut moved = missing;
        moved.add(2, &records[1].1, &records[1].2);
        assert_eq!(moved.keys, forward.keys);
        assert_ne!(moved, forward);
    }
}
