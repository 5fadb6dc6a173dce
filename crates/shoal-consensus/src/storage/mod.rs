//! One redb file per node holding the logs, votes and state machines of every Raft group,
//! written by a single group-committing writer thread.
//!
//! Tables are few and fixed, keyed by `(group_id, …)`. Every write (log appends, votes,
//! truncations, purges, state-machine applies, snapshot installs) is an operation sent to the
//! writer thread, which drains whatever is queued, runs it all in one write transaction,
//! commits once — with an fsync only if some operation needs durability — and then completes
//! every operation's callback. So N concurrent appends from N groups cost one fsync, not N.
//!
//! Operations come in two classes that never touch the same rows: log operations and
//! state-machine operations. Each drained batch commits the state-machine operations first
//! (usually without an fsync) and then the log operations (with one fsync), so applying
//! committed entries never waits behind other groups' log fsync.
//!
//! State-machine applies commit without an fsync: the log they were applied from is durable,
//! so a crash at worst rolls the applied index back and openraft replays the tail. Because
//! redb commits are totally ordered, a later durable commit makes every earlier one durable.

mod log_store;
mod machine_store;
mod snapshot;
mod writer;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{ReadableDatabase, ReadableTable, TableDefinition};

pub use log_store::LogStore;
pub use machine_store::MachineStore;
pub use snapshot::SnapshotFile;
pub(crate) use writer::WriterHandle;

/// Raft log entries: `(group, index)` → encoded entry.
pub(crate) const LOG: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("raft_log");
/// Raft bookkeeping: `(group, kind)` → encoded value (vote, committed, last purged).
pub(crate) const RAFT_STATE: TableDefinition<(u64, u8), &[u8]> = TableDefinition::new("raft_state");
/// State-machine bookkeeping: `(group, kind)` → applied log id, membership, current snapshot.
pub(crate) const MACHINE_STATE: TableDefinition<(u64, u8), &[u8]> =
    TableDefinition::new("machine_state");
/// State-machine data: `(group, space, key)` → value. Spaces let a machine keep indexes.
pub(crate) const DATA: TableDefinition<(u64, u8, &[u8]), &[u8]> =
    TableDefinition::new("machine_data");

pub(crate) const RAFT_VOTE: u8 = 1;
pub(crate) const RAFT_COMMITTED: u8 = 2;
pub(crate) const RAFT_PURGED: u8 = 3;

pub(crate) const MACHINE_APPLIED: u8 = 1;
pub(crate) const MACHINE_MEMBERSHIP: u8 = 2;
pub(crate) const MACHINE_SNAPSHOT: u8 = 3;

/// Version marker written before every encoded value, so formats can evolve.
pub(crate) const FORMAT_VERSION: u8 = 1;

/// Tunables of the storage layer.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// redb page cache in bytes.
    pub cache_bytes: usize,
    /// Capacity of the writer's queue; senders wait when it is full.
    pub queue_capacity: usize,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            cache_bytes: 64 << 20,
            queue_capacity: 4096,
        }
    }
}

/// Counters of the storage writer, readable by tests, the status API and metrics.
#[derive(Debug, Default)]
pub struct StorageStats {
    pub commits: AtomicU64,
    pub durable_commits: AtomicU64,
    pub entries_appended: AtomicU64,
    pub operations: AtomicU64,
}

/// A snapshot of [`StorageStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageCounters {
    pub commits: u64,
    pub durable_commits: u64,
    pub entries_appended: u64,
    pub operations: u64,
}

struct StorageInner {
    database: Arc<redb::Database>,
    writer: WriterHandle,
    writer_thread: std::thread::JoinHandle<()>,
    stats: Arc<StorageStats>,
    path: PathBuf,
    snapshot_dir: PathBuf,
}

/// The node's storage: a cheap, cloneable handle shared by every group.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<StorageInner>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Storage {
    /// Opens (or creates) the storage under `dir`: `dir/shoal.redb` plus `dir/snapshots/`.
    pub fn open(dir: &Path, options: StorageOptions) -> io::Result<Storage> {
        std::fs::create_dir_all(dir)?;
        let snapshot_dir = dir.join("snapshots");
        std::fs::create_dir_all(&snapshot_dir)?;
        let path = dir.join("shoal.redb");
        let database = redb::Database::builder()
            .set_cache_size(options.cache_bytes)
            .create(&path)
            .map_err(|error| io::Error::other(format!("opening {}: {error}", path.display())))?;
        let database = Arc::new(database);
        {
            // Create every table up front so readers never meet a missing table.
            let txn = database.begin_write().map_err(io::Error::other)?;
            txn.open_table(LOG).map_err(io::Error::other)?;
            txn.open_table(RAFT_STATE).map_err(io::Error::other)?;
            txn.open_table(MACHINE_STATE).map_err(io::Error::other)?;
            txn.open_table(DATA).map_err(io::Error::other)?;
            txn.commit().map_err(io::Error::other)?;
        }
        let stats = Arc::new(StorageStats::default());
        let (writer, writer_thread) =
            writer::spawn(database.clone(), stats.clone(), options.queue_capacity)?;
        Ok(Storage {
            inner: Arc::new(StorageInner {
                database,
                writer,
                writer_thread,
                stats,
                path,
                snapshot_dir,
            }),
        })
    }

    pub(crate) fn database(&self) -> &redb::Database {
        &self.inner.database
    }

    pub(crate) fn writer(&self) -> &WriterHandle {
        &self.inner.writer
    }

    pub(crate) fn snapshot_dir(&self) -> &Path {
        &self.inner.snapshot_dir
    }

    /// Current writer counters.
    pub fn counters(&self) -> StorageCounters {
        let stats = &self.inner.stats;
        StorageCounters {
            commits: stats.commits.load(Ordering::Relaxed),
            durable_commits: stats.durable_commits.load(Ordering::Relaxed),
            entries_appended: stats.entries_appended.load(Ordering::Relaxed),
            operations: stats.operations.load(Ordering::Relaxed),
        }
    }

    /// Size of the redb file in bytes.
    pub fn file_bytes(&self) -> u64 {
        std::fs::metadata(&self.inner.path)
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Waits until everything queued so far is committed durably.
    pub async fn flush(&self) -> io::Result<()> {
        self.inner.writer.flush().await
    }

    /// Flushes, stops the writer and releases the file, once every other handle to this
    /// storage (Raft groups, readers) is gone. Fails if they are not gone within `deadline`.
    pub async fn close(self, deadline: std::time::Duration) -> io::Result<()> {
        self.flush().await?;
        let started = std::time::Instant::now();
        let mut storage = self;
        let inner = loop {
            match Arc::try_unwrap(storage.inner) {
                Ok(inner) => break inner,
                Err(shared) if started.elapsed() < deadline => {
                    storage = Storage { inner: shared };
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(shared) => {
                    return Err(io::Error::other(format!(
                        "storage is still used by {} other handles",
                        Arc::strong_count(&shared) - 1
                    )));
                }
            }
        };
        let StorageInner {
            database,
            writer,
            writer_thread,
            ..
        } = inner;
        // Dropping the last sender ends the writer loop; join it so its database handle
        // is gone before ours, then the file lock is released.
        drop(writer);
        tokio::task::spawn_blocking(move || writer_thread.join())
            .await
            .map_err(io::Error::other)?
            .map_err(|_| io::Error::other("storage writer thread panicked"))?;
        drop(database);
        Ok(())
    }

    /// A consistent read-only view of one group's state-machine data.
    pub fn reader(&self, group: u64) -> io::Result<GroupReader> {
        let txn = self.inner.database.begin_read().map_err(io::Error::other)?;
        let data = txn.open_table(DATA).map_err(io::Error::other)?;
        Ok(GroupReader { group, data })
    }
}

/// Read access to one group's keyspace at a consistent point in time.
pub struct GroupReader {
    group: u64,
    data: redb::ReadOnlyTable<(u64, u8, &'static [u8]), &'static [u8]>,
}

impl GroupReader {
    pub fn get(&self, space: u8, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let value = self
            .data
            .get((self.group, space, key))
            .map_err(io::Error::other)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    /// Up to `limit` entries of `space` with keys in `[start, end)`, in key order.
    pub fn range(
        &self,
        space: u8,
        start: &[u8],
        end: &[u8],
        limit: usize,
    ) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        collect_range(&self.data, self.group, space, start, end, limit)
    }

    /// Number of keys in `space`.
    pub fn count(&self, space: u8) -> io::Result<u64> {
        let mut count = 0u64;
        for item in self
            .data
            .range((self.group, space, &[][..])..(self.group, space + 1, &[][..]))
            .map_err(io::Error::other)?
        {
            item.map_err(io::Error::other)?;
            count += 1;
        }
        Ok(count)
    }
}

/// Write access to one group's keyspace inside the writer's current transaction.
pub struct GroupWriter<'a, 'txn> {
    pub(crate) group: u64,
    pub(crate) data: &'a mut redb::Table<'txn, (u64, u8, &'static [u8]), &'static [u8]>,
}

impl GroupWriter<'_, '_> {
    pub fn get(&self, space: u8, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let value = self
            .data
            .get((self.group, space, key))
            .map_err(io::Error::other)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    pub fn put(&mut self, space: u8, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.data
            .insert((self.group, space, key), value)
            .map_err(io::Error::other)?;
        Ok(())
    }

    pub fn remove(&mut self, space: u8, key: &[u8]) -> io::Result<bool> {
        let removed = self
            .data
            .remove((self.group, space, key))
            .map_err(io::Error::other)?;
        Ok(removed.is_some())
    }

    /// Up to `limit` entries of `space` with keys in `[start, end)`, in key order.
    pub fn range(
        &self,
        space: u8,
        start: &[u8],
        end: &[u8],
        limit: usize,
    ) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        collect_range(&*self.data, self.group, space, start, end, limit)
    }
}

fn collect_range<T>(
    table: &T,
    group: u64,
    space: u8,
    start: &[u8],
    end: &[u8],
    limit: usize,
) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>>
where
    T: ReadableTable<(u64, u8, &'static [u8]), &'static [u8]>,
{
    let mut out = Vec::new();
    let range = if end.is_empty() {
        table.range((group, space, start)..(group, space + 1, &[][..]))
    } else {
        table.range((group, space, start)..(group, space, end))
    };
    for item in range.map_err(io::Error::other)? {
        if out.len() >= limit {
            break;
        }
        let (key, value) = item.map_err(io::Error::other)?;
        out.push((key.value().2.to_vec(), value.value().to_vec()));
    }
    Ok(out)
}

/// Encodes a value with the format version marker in front.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> io::Result<Vec<u8>> {
    let mut out = vec![FORMAT_VERSION];
    postcard::to_io(value, &mut out).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(out)
}

/// Decodes a value written by [`encode`], refusing unknown format versions.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    match bytes.split_first() {
        Some((&FORMAT_VERSION, rest)) => {
            postcard::from_bytes(rest).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
        Some((version, _)) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "unsupported storage format version {version} (this build reads {FORMAT_VERSION})"
            ),
        )),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "empty stored value",
        )),
    }
}
