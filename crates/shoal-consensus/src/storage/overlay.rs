//! State-machine changes that are applied but not yet committed to the state database.
//!
//! Applying a batch of committed entries computes its results at once against this overlay
//! over the state database, records the changes here and queues them for the state writer,
//! which commits them a little later together with other batches. Readers look here first.
//!
//! The one rule that keeps reads right: an entry leaves the overlay only after the commit
//! holding it is visible, and a reader that misses the overlay reads through a database view
//! begun after the last such removal (a *generation* counts removals). So a reader never
//! sees neither the overlay entry nor the committed row.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use redb::ReadableDatabase;

use super::DATA;
use super::seal::{Checker, Place};
use crate::types::{LogId, StoredMembership};

/// A key's pending value: the change set that wrote it and the value (`None`: removed).
#[derive(Debug, Clone)]
struct Pending {
    seq: u64,
    value: Option<Bytes>,
}

#[derive(Default)]
pub(crate) struct OverlayState {
    spaces: BTreeMap<u8, BTreeMap<Vec<u8>, Pending>>,
    /// Bumped every time entries leave the overlay.
    generation: u64,
    next_seq: u64,
    /// Applied log id and membership of the newest batch not yet committed.
    applied: Option<(u64, Option<LogId>)>,
    membership: Option<(u64, StoredMembership)>,
}

impl OverlayState {
    fn lookup(&self, space: u8, key: &[u8]) -> Option<&Pending> {
        self.spaces.get(&space)?.get(key)
    }
}

/// One key written by an applied batch.
#[derive(Debug)]
pub(crate) struct Change {
    pub space: u8,
    pub key: Vec<u8>,
    pub value: Option<Bytes>,
}

/// The overlay of one group. Shared by its state machine store and its readers.
#[derive(Default)]
pub struct GroupOverlay {
    state: Mutex<OverlayState>,
}

impl std::fmt::Debug for GroupOverlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupOverlay").finish_non_exhaustive()
    }
}

impl GroupOverlay {
    fn lock(&self) -> MutexGuard<'_, OverlayState> {
        self.state.lock().expect("state overlay poisoned")
    }

    /// Starts a batch of changes; returns its sequence number.
    pub(crate) fn begin_batch(&self) -> u64 {
        let mut state = self.lock();
        state.next_seq += 1;
        state.next_seq
    }

    pub(crate) fn write(&self, seq: u64, space: u8, key: Vec<u8>, value: Option<Bytes>) {
        self.lock()
            .spaces
            .entry(space)
            .or_default()
            .insert(key, Pending { seq, value });
    }

    pub(crate) fn set_applied(
        &self,
        seq: u64,
        applied: Option<LogId>,
        membership: Option<StoredMembership>,
    ) {
        let mut state = self.lock();
        state.applied = Some((seq, applied));
        if let Some(membership) = membership {
            state.membership = Some((seq, membership));
        }
    }

    /// Applied log id and membership not yet committed, if any.
    pub(crate) fn pending_applied(&self) -> Option<(Option<LogId>, Option<StoredMembership>)> {
        let state = self.lock();
        let (_, applied) = state.applied?;
        Some((applied, state.membership.as_ref().map(|(_, m)| m.clone())))
    }

    /// After the commit of batch `seq`: drops what it wrote unless a later batch rewrote it.
    pub(crate) fn committed(&self, seq: u64, changes: &[Change]) {
        let mut state = self.lock();
        for change in changes {
            if let Some(space) = state.spaces.get_mut(&change.space)
                && space.get(&change.key).is_some_and(|p| p.seq == seq)
            {
                space.remove(&change.key);
            }
        }
        if state.applied.is_some_and(|(s, _)| s == seq) {
            state.applied = None;
        }
        if state.membership.as_ref().is_some_and(|(s, _)| *s == seq) {
            state.membership = None;
        }
        state.generation += 1;
    }

    /// After a snapshot install committed as batch `seq`: everything older is superseded.
    pub(crate) fn committed_through(&self, seq: u64) {
        let mut state = self.lock();
        for space in state.spaces.values_mut() {
            space.retain(|_, pending| pending.seq > seq);
        }
        if state.applied.is_some_and(|(s, _)| s <= seq) {
            state.applied = None;
        }
        if state.membership.as_ref().is_some_and(|(s, _)| *s <= seq) {
            state.membership = None;
        }
        state.generation += 1;
    }

    /// Number of keys waiting for the state writer (for status and tests).
    pub fn pending_keys(&self) -> usize {
        self.lock().spaces.values().map(BTreeMap::len).sum()
    }
}

type DataTable = redb::ReadOnlyTable<(u64, u8, &'static [u8]), &'static [u8]>;

/// Read access to one group's state-machine data: the overlay over the state database.
pub struct GroupReader {
    group: u64,
    overlay: Arc<GroupOverlay>,
    database: Arc<redb::Database>,
    /// Opens (verifies) the stored values (see `seal`).
    checker: Checker,
    /// The database view in use and the overlay generation it was opened at.
    view: std::cell::RefCell<Option<(u64, DataTable)>>,
}

impl std::fmt::Debug for GroupReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupReader")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl GroupReader {
    pub(crate) fn new(
        group: u64,
        overlay: Arc<GroupOverlay>,
        database: Arc<redb::Database>,
        checker: Checker,
    ) -> GroupReader {
        GroupReader {
            group,
            overlay,
            database,
            checker,
            view: std::cell::RefCell::new(None),
        }
    }

    /// Makes sure the database view was opened after every removal from the overlay that
    /// `state` reflects. Must be called with the overlay locked.
    fn refresh_view(&self, state: &OverlayState) -> io::Result<()> {
        let mut view = self.view.borrow_mut();
        if view
            .as_ref()
            .is_none_or(|(generation, _)| *generation != state.generation)
        {
            let txn = self.database.begin_read().map_err(io::Error::other)?;
            let table = txn.open_table(DATA).map_err(io::Error::other)?;
            *view = Some((state.generation, table));
        }
        Ok(())
    }

    fn with_view<T>(&self, read: impl FnOnce(&DataTable) -> io::Result<T>) -> io::Result<T> {
        let view = self.view.borrow();
        let (_, table) = view.as_ref().expect("view refreshed before use");
        self.checker
            .guard(self.group, super::STATE_FILE, || read(table))
    }

    pub fn get(&self, space: u8, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        {
            let state = self.overlay.lock();
            if let Some(pending) = state.lookup(space, key) {
                return Ok(pending.value.as_ref().map(|v| v.to_vec()));
            }
            self.refresh_view(&state)?;
        }
        self.with_view(|table| {
            let Some(stored) = table
                .get((self.group, space, key))
                .map_err(io::Error::other)?
            else {
                return Ok(None);
            };
            let place = Place::Data {
                group: self.group,
                space,
                key,
            };
            Ok(Some(self.checker.open(place, stored.value())?.to_vec()))
        })
    }

    /// Overlay entries of `space` with keys in `[start, end)` (`end` empty: to the end of
    /// the space), with the view refreshed under the same lock.
    fn overlay_range(
        &self,
        space: u8,
        start: &[u8],
        end: &[u8],
    ) -> io::Result<Vec<(Vec<u8>, Option<Bytes>)>> {
        let state = self.overlay.lock();
        self.refresh_view(&state)?;
        let Some(entries) = state.spaces.get(&space) else {
            return Ok(Vec::new());
        };
        let upper = if end.is_empty() {
            std::ops::Bound::Unbounded
        } else {
            std::ops::Bound::Excluded(end)
        };
        Ok(entries
            .range::<[u8], _>((std::ops::Bound::Included(start), upper))
            .map(|(key, pending)| (key.clone(), pending.value.clone()))
            .collect())
    }

    /// Up to `limit` entries of `space` with keys in `[start, end)` (`end` empty: to the end
    /// of the space), in key order.
    pub fn range(
        &self,
        space: u8,
        start: &[u8],
        end: &[u8],
        limit: usize,
    ) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let pending = self.overlay_range(space, start, end)?;
        let group = self.group;
        self.with_view(|table| {
            let stored = if end.is_empty() {
                table.range((group, space, start)..(group, space + 1, &[][..]))
            } else {
                table.range((group, space, start)..(group, space, end))
            }
            .map_err(io::Error::other)?;
            let mut stored = stored.peekable();
            let mut pending = pending.into_iter().peekable();
            let mut out = Vec::new();
            while out.len() < limit {
                let next_stored = match stored.peek() {
                    Some(Ok((key, _))) => Some(key.value().2.to_vec()),
                    Some(Err(_)) => {
                        let error = stored.next().and_then(Result::err).expect("peeked error");
                        return Err(io::Error::other(error));
                    }
                    None => None,
                };
                let take_pending = match (&next_stored, pending.peek()) {
                    (_, None) => false,
                    (None, Some(_)) => true,
                    (Some(stored_key), Some((pending_key, _))) => pending_key <= stored_key,
                };
                if take_pending {
                    let (key, value) = pending.next().expect("peeked pending entry");
                    if next_stored.as_deref() == Some(key.as_slice()) {
                        stored.next();
                    }
                    if let Some(value) = value {
                        out.push((key, value.to_vec()));
                    }
                } else {
                    match stored.next() {
                        Some(item) => {
                            let (key, value) = item.map_err(io::Error::other)?;
                            let key = key.value().2;
                            let place = Place::Data { group, space, key };
                            let value = self.checker.open(place, value.value())?;
                            out.push((key.to_vec(), value.to_vec()));
                        }
                        None => break,
                    }
                }
            }
            Ok(out)
        })
    }

    /// Number of keys in `space`.
    pub fn count(&self, space: u8) -> io::Result<u64> {
        let pending = self.overlay_range(space, &[], &[])?;
        let group = self.group;
        self.with_view(|table| {
            let mut count = 0i64;
            for item in table
                .range((group, space, &[][..])..(group, space + 1, &[][..]))
                .map_err(io::Error::other)?
            {
                item.map_err(io::Error::other)?;
                count += 1;
            }
            for (key, value) in pending {
                let stored = table
                    .get((group, space, key.as_slice()))
                    .map_err(io::Error::other)?
                    .is_some();
                match (stored, value.is_some()) {
                    (false, true) => count += 1,
                    (true, false) => count -= 1,
                    _ => {}
                }
            }
            Ok(count.max(0) as u64)
        })
    }
}

/// Write access to one group's keyspace while a batch of entries is applied: reads see the
/// batch's own earlier writes; writes go to the overlay and to the batch's change list.
pub struct GroupWriter<'a, 'r> {
    pub(crate) seq: u64,
    pub(crate) reader: &'r GroupReader,
    pub(crate) changes: &'a mut Vec<Change>,
}

impl GroupWriter<'_, '_> {
    pub fn get(&self, space: u8, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        self.reader.get(space, key)
    }

    pub fn put(&mut self, space: u8, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.record(space, key, Some(Bytes::copy_from_slice(value)));
        Ok(())
    }

    /// Removes a key; returns whether it existed.
    pub fn remove(&mut self, space: u8, key: &[u8]) -> io::Result<bool> {
        let existed = self.get(space, key)?.is_some();
        if existed {
            self.record(space, key, None);
        }
        Ok(existed)
    }

    /// Up to `limit` entries of `space` with keys in `[start, end)`, in key order.
    pub fn range(
        &self,
        space: u8,
        start: &[u8],
        end: &[u8],
        limit: usize,
    ) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.reader.range(space, start, end, limit)
    }

    fn record(&mut self, space: u8, key: &[u8], value: Option<Bytes>) {
        self.reader
            .overlay
            .write(self.seq, space, key.to_vec(), value.clone());
        self.changes.push(Change {
            space,
            key: key.to_vec(),
            value,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::seal;
    use crate::storage::{Storage, StorageOptions};

    const GROUP: u64 = 5;

    async fn commit_rows(storage: &Storage, rows: &[(&[u8], &[u8])]) {
        let rows: Vec<(Vec<u8>, Vec<u8>)> =
            rows.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        storage
            .state_writer()
            .run(
                false,
                Box::new(move |tables| {
                    for (key, value) in &rows {
                        let place = Place::Data {
                            group: GROUP,
                            space: 0,
                            key,
                        };
                        tables
                            .data
                            .insert(
                                (GROUP, 0u8, key.as_slice()),
                                seal::seal(place, value).as_slice(),
                            )
                            .map_err(io::Error::other)?;
                    }
                    Ok(())
                }),
            )
            .await
            .unwrap();
    }

    fn keys(rows: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<String> {
        rows.into_iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    String::from_utf8_lossy(&k),
                    String::from_utf8_lossy(&v)
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn reads_merge_pending_changes_over_committed_rows() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageOptions::default()).unwrap();
        commit_rows(
            &storage,
            &[(b"a", b"1"), (b"b", b"1"), (b"c", b"1"), (b"d", b"1")],
        )
        .await;
        let overlay = storage.overlay(GROUP);
        let seq = overlay.begin_batch();
        overlay.write(seq, 0, b"b".to_vec(), None);
        overlay.write(seq, 0, b"bb".to_vec(), Some(Bytes::from_static(b"2")));
        overlay.write(seq, 0, b"c".to_vec(), Some(Bytes::from_static(b"2")));
        overlay.write(seq, 0, b"e".to_vec(), Some(Bytes::from_static(b"2")));
        overlay.write(
            seq,
            1,
            b"other-space".to_vec(),
            Some(Bytes::from_static(b"2")),
        );

        let reader = storage.reader(shoal_shardmap::GroupId(GROUP));
        assert_eq!(
            reader.get(0, b"b").unwrap(),
            None,
            "a pending removal hides the row"
        );
        assert_eq!(reader.get(0, b"c").unwrap().as_deref(), Some(&b"2"[..]));
        assert_eq!(reader.get(0, b"a").unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(
            keys(reader.range(0, b"", b"", 100).unwrap()),
            ["a=1", "bb=2", "c=2", "d=1", "e=2"]
        );
        assert_eq!(
            keys(reader.range(0, b"b", b"d", 100).unwrap()),
            ["bb=2", "c=2"]
        );
        assert_eq!(keys(reader.range(0, b"", b"", 2).unwrap()), ["a=1", "bb=2"]);
        assert_eq!(reader.count(0).unwrap(), 5);
        assert_eq!(reader.count(1).unwrap(), 1);
        storage.close(std::time::Duration::from_secs(5)).await.ok();
    }

    /// Regression guard for the rule of this module: once a change is committed and leaves
    /// the overlay, a reader whose database view predates that commit must not miss it.
    #[tokio::test]
    async fn a_reader_never_misses_a_change_that_left_the_overlay() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageOptions::default()).unwrap();
        commit_rows(&storage, &[(b"k", b"old")]).await;
        let overlay = storage.overlay(GROUP);
        let seq = overlay.begin_batch();
        overlay.write(seq, 0, b"k".to_vec(), Some(Bytes::from_static(b"new")));

        let reader = storage.reader(shoal_shardmap::GroupId(GROUP));
        // Opens the reader's database view now, before the change is committed.
        assert_eq!(reader.get(0, b"missing").unwrap(), None);
        assert_eq!(reader.get(0, b"k").unwrap().as_deref(), Some(&b"new"[..]));

        commit_rows(&storage, &[(b"k", b"new")]).await;
        let change = Change {
            space: 0,
            key: b"k".to_vec(),
            value: Some(Bytes::from_static(b"new")),
        };
        overlay.committed(seq, &[change]);
        assert_eq!(overlay.pending_keys(), 0);
        assert_eq!(reader.get(0, b"k").unwrap().as_deref(), Some(&b"new"[..]));
        assert_eq!(keys(reader.range(0, b"", b"", 10).unwrap()), ["k=new"]);
        storage.close(std::time::Duration::from_secs(5)).await.ok();
    }

    #[test]
    fn a_later_batch_keeps_its_pending_value_when_an_earlier_one_commits() {
        let overlay = GroupOverlay::default();
        let first = overlay.begin_batch();
        overlay.write(first, 0, b"k".to_vec(), Some(Bytes::from_static(b"1")));
        let second = overlay.begin_batch();
        overlay.write(second, 0, b"k".to_vec(), Some(Bytes::from_static(b"2")));
        overlay.committed(
            first,
            &[Change {
                space: 0,
                key: b"k".to_vec(),
                value: Some(Bytes::from_static(b"1")),
            }],
        );
        assert_eq!(overlay.pending_keys(), 1);
        overlay.committed_through(second);
        assert_eq!(overlay.pending_keys(), 0);
    }
}
