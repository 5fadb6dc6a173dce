//! Per-group Raft log storage over the shared redb file and writer.
//!
//! `append` must make entries readable at once while their fsync happens later, batched with
//! other groups' appends; a small in-memory map holds the entries in flight until the writer
//! has committed them.

use shoal_shardmap::GroupId;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, Mutex};

use openraft::OptionalSend;
use openraft::entry::RaftEntry;
use openraft::storage::{IOFlushed, LogState, RaftLogReader, RaftLogStorage};
use redb::ReadableDatabase;

use super::seal::{self, Place};
use super::writer::WriteOp;
use super::{LOG, RAFT_COMMITTED, RAFT_PURGED, RAFT_STATE, RAFT_VOTE, Storage, decode, encode};
use crate::types::{Command, Entry, LogId, TypeConfig, Vote};
use openraft::EntryPayload;
use opentelemetry::trace::SpanContext;

type InFlight = Arc<Mutex<BTreeMap<u64, Entry>>>;

/// The trace contexts of the newest traced entries (the log file does not hold them), so
/// an entry replication reads back from the file still links to its proposal.
type Traced = Arc<Mutex<BTreeMap<u64, (LogId, SpanContext)>>>;

/// How many traced entries [`Traced`] remembers per group.
const TRACED_KEPT: usize = 1024;

/// The log of one group. Clones share the in-flight map.
#[derive(Clone)]
pub struct LogStore {
    group: u64,
    storage: Storage,
    in_flight: InFlight,
    traced: Traced,
}

impl LogStore {
    pub fn new(storage: Storage, group: GroupId) -> LogStore {
        let group = group.0;
        LogStore {
            group,
            storage,
            in_flight: Arc::default(),
            traced: Arc::default(),
        }
    }

    fn read_state<T: serde::de::DeserializeOwned>(&self, kind: u8) -> io::Result<Option<T>> {
        let txn = self
            .storage
            .log_database()
            .begin_read()
            .map_err(io::Error::other)?;
        let table = txn.open_table(RAFT_STATE).map_err(io::Error::other)?;
        let value = table.get((self.group, kind)).map_err(io::Error::other)?;
        value.map(|v| decode(v.value())).transpose()
    }

    async fn write_state<T: serde::Serialize>(
        &self,
        kind: u8,
        value: &T,
        durable: bool,
    ) -> io::Result<()> {
        let bytes = encode(value)?;
        let group = self.group;
        self.storage
            .log_writer()
            .run(
                durable,
                Box::new(move |tables| {
                    tables
                        .raft_state
                        .insert((group, kind), bytes.as_slice())
                        .map_err(io::Error::other)?;
                    Ok(())
                }),
            )
            .await
    }
}

fn bounds(range: &impl RangeBounds<u64>) -> (u64, Option<u64>) {
    let start = match range.start_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&n) => n.checked_add(1),
        Bound::Excluded(&n) => Some(n),
        Bound::Unbounded => None,
    };
    (start, end)
}

impl LogStore {
    /// Remembers the trace context of `entry`, being appended, when it has one.
    fn remember_trace(&self, entry: &Entry) {
        if let EntryPayload::Normal(Command(_, Some(context))) = &entry.payload {
            let mut traced = self.traced.lock().expect("traces poisoned");
            traced.insert(entry.log_id.index, (entry.log_id, context.clone()));
            while traced.len() > TRACED_KEPT {
                traced.pop_first();
            }
        }
    }

    /// Gives entries read back from the log file the trace contexts they were appended with.
    fn restore_traces(&self, entries: &mut BTreeMap<u64, Entry>) {
        let traced = self.traced.lock().expect("traces poisoned");
        if traced.is_empty() {
            return;
        }
        for (index, entry) in entries.iter_mut() {
            if let Some((log_id, context)) = traced.get(index)
                && *log_id == entry.log_id
                && let EntryPayload::Normal(Command(_, trace)) = &mut entry.payload
            {
                *trace = Some(context.clone());
            }
        }
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let (start, end) = bounds(&range);
        let end = end.unwrap_or(u64::MAX);
        if start >= end {
            return Ok(Vec::new());
        }
        // Open the read transaction while holding the in-flight lock: an append that commits
        // concurrently is then either still in the map (its completion, which removes it,
        // waits for the lock) or visible to the transaction. Never neither.
        let (txn, in_flight) = {
            let in_flight = self.in_flight.lock().expect("log cache poisoned");
            let txn = self
                .storage
                .log_database()
                .begin_read()
                .map_err(io::Error::other)?;
            let copied: Vec<(u64, Entry)> = in_flight
                .range(start..end)
                .map(|(i, e)| (*i, e.clone()))
                .collect();
            (txn, copied)
        };
        let checker = self.storage.log_checker();
        let mut entries: BTreeMap<u64, Entry> =
            checker.guard(self.group, super::LOG_FILE, || {
                let mut entries = BTreeMap::new();
                let table = txn.open_table(LOG).map_err(io::Error::other)?;
                for item in table
                    .range((self.group, start)..(self.group, end))
                    .map_err(io::Error::other)?
                {
                    let (key, value) = item.map_err(io::Error::other)?;
                    let index = key.value().1;
                    let place = Place::Log {
                        group: self.group,
                        index,
                    };
                    entries.insert(index, decode(checker.open(place, value.value())?)?);
                }
                Ok(entries)
            })?;
        self.restore_traces(&mut entries);
        // Entries still in flight are newer than anything committed at the same index.
        entries.extend(in_flight);
        let out: Vec<Entry> = entries.into_values().collect();
        Ok(out)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, io::Error> {
        self.read_state(RAFT_VOTE)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, io::Error> {
        let last_purged_log_id: Option<LogId> = self.read_state(RAFT_PURGED)?;
        let in_flight_last = {
            let in_flight = self.in_flight.lock().expect("log cache poisoned");
            in_flight.last_key_value().map(|(_, entry)| entry.log_id())
        };
        let last_log_id = match in_flight_last {
            Some(log_id) => Some(log_id),
            None => {
                let txn = self
                    .storage
                    .log_database()
                    .begin_read()
                    .map_err(io::Error::other)?;
                let checker = self.storage.log_checker();
                checker.guard(self.group, super::LOG_FILE, || {
                    let table = txn.open_table(LOG).map_err(io::Error::other)?;
                    let last = table
                        .range((self.group, 0)..=(self.group, u64::MAX))
                        .map_err(io::Error::other)?
                        .next_back()
                        .transpose()
                        .map_err(io::Error::other)?;
                    Ok(match last {
                        Some((key, value)) => {
                            let place = Place::Log {
                                group: self.group,
                                index: key.value().1,
                            };
                            let payload = checker.open(place, value.value())?;
                            Some(decode::<Entry>(payload)?.log_id())
                        }
                        None => last_purged_log_id,
                    })
                })?
            }
        };
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), io::Error> {
        self.write_state(RAFT_VOTE, vote, true).await
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), io::Error> {
        // Not waited for: the committed index is a hint that speeds up restart. It is a log
        // operation so it is never made durable ahead of the appends it covers.
        let bytes = encode(&committed)?;
        let group = self.group;
        self.storage
            .log_writer()
            .submit_detached(
                false,
                Box::new(move |tables| {
                    tables
                        .raft_state
                        .insert((group, RAFT_COMMITTED), bytes.as_slice())
                        .map_err(io::Error::other)?;
                    Ok(())
                }),
            )
            .await
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, io::Error> {
        Ok(self.read_state::<Option<LogId>>(RAFT_COMMITTED)?.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: IOFlushed<TypeConfig>,
    ) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut encoded = Vec::new();
        let mut appended = Vec::new();
        let mut proposals = Vec::new();
        {
            let mut in_flight = self.in_flight.lock().expect("log cache poisoned");
            for entry in entries {
                crate::spans::add_proposal(&mut proposals, &entry);
                self.remember_trace(&entry);
                let log_id = entry.log_id();
                let place = Place::Log {
                    group: self.group,
                    index: log_id.index,
                };
                encoded.push((log_id.index, seal::seal(place, &encode(&entry)?)));
                in_flight.insert(log_id.index, entry);
                appended.push(log_id);
            }
        }
        let group = self.group;
        let in_flight = self.in_flight.clone();
        let count = encoded.len() as u64;
        // From the submission to the durable commit (group commit: shared with other groups'
        // writes); ends when the write is done.
        let span = crate::spans::linked_span(
            &proposals,
            || tracing::debug_span!("raft.append", group = %GroupId(group), entries = count),
        );
        self.storage
            .log_writer()
            .submit(WriteOp {
                durable: true,
                appended_entries: count,
                bytes: encoded.iter().map(|(_, bytes)| bytes.len() as u64).sum(),
                work: Box::new(move |tables| {
                    for (index, bytes) in &encoded {
                        tables
                            .log
                            .insert((group, *index), bytes.as_slice())
                            .map_err(io::Error::other)?;
                    }
                    Ok(())
                }),
                done: Box::new(move |result| {
                    drop(span);
                    if result.is_ok() {
                        let mut in_flight = in_flight.lock().expect("log cache poisoned");
                        for log_id in appended {
                            // Only drop what this append put there: a later truncate + append
                            // may have replaced the entry at the same index.
                            if in_flight
                                .get(&log_id.index)
                                .is_some_and(|e| e.log_id() == log_id)
                            {
                                in_flight.remove(&log_id.index);
                            }
                        }
                    }
                    callback.io_completed(result);
                }),
            })
            .await
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> Result<(), io::Error> {
        let from = last_log_id.map_or(0, |log_id| log_id.index + 1);
        {
            let mut in_flight = self.in_flight.lock().expect("log cache poisoned");
            in_flight.split_off(&from);
        }
        let group = self.group;
        self.storage
            .log_writer()
            .run(
                true,
                Box::new(move |tables| {
                    tables
                        .log
                        .retain_in((group, from)..=(group, u64::MAX), |_, _| false)
                        .map_err(io::Error::other)?;
                    Ok(())
                }),
            )
            .await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        let upto = log_id.index;
        {
            let mut in_flight = self.in_flight.lock().expect("log cache poisoned");
            let kept = in_flight.split_off(&(upto + 1));
            *in_flight = kept;
        }
        let group = self.group;
        let purged = encode(&log_id)?;
        self.storage
            .log_writer()
            .run(
                true,
                Box::new(move |tables| {
                    tables
                        .raft_state
                        .insert((group, RAFT_PURGED), purged.as_slice())
                        .map_err(io::Error::other)?;
                    tables
                        .log
                        .retain_in((group, 0)..=(group, upto), |_, _| false)
                        .map_err(io::Error::other)?;
                    Ok(())
                }),
            )
            .await
    }
}
