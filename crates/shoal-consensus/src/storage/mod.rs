//! The node's storage: two redb files shared by every Raft group, each written by its own
//! writer thread.
//!
//! - `log.redb` holds the Raft logs, votes and bookkeeping of all groups. Its writer is the
//!   group commit: it drains whatever appends, votes and truncations are queued, runs them in
//!   one write transaction and commits once with one fsync, then completes every callback.
//!   So N concurrent appends from N groups cost one fsync, not N.
//! - `state.redb` holds the state machines (data, applied index, membership, snapshot
//!   pointer). Applying a batch of committed entries computes its results at once against an
//!   in-memory overlay (see [`overlay`]) and queues the changes; the state writer gathers
//!   them for a few milliseconds, commits them without an fsync, and makes the file durable
//!   every few seconds and before a snapshot is taken.
//!
//! Why two files: an fsync covers a whole file. With the state in the log's file, every
//! log fsync would also write back the state pages dirtied since the last one, so each put
//! would pay for a random B-tree leaf on the commit path. Apart, the log's fsyncs carry only
//! the log, and the state's pages are written back rarely, after many updates of the same
//! pages have been folded together. A crash loses at most the state's unsynced tail, which
//! openraft replays from the log: the log is purged only up to a snapshot, and a snapshot is
//! taken only after the state it covers is durable.
//!
//! Tables are few and fixed, keyed by `(group_id, …)`.

mod digest;
mod log_store;
mod machine_store;
pub mod overlay;
mod quarantine;
mod seal;
mod snapshot;
pub mod space;
mod tally;
mod writer;

use shoal_shardmap::GroupId;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redb::{ReadableTable, TableDefinition};

pub use digest::{PointDigest, digest_point_command};
pub use log_store::LogStore;
pub use machine_store::MachineStore;
pub use overlay::{GroupOverlay, GroupReader, GroupWriter};
pub use seal::Corrupt;
pub use snapshot::SnapshotFile;
pub use space::DiskSpace;
use writer::{TableSet, WriterHandle, WriterPolicy, WriterStats};

/// Raft log entries: `(group, index)` → encoded entry. In `log.redb`.
pub(crate) const LOG: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("raft_log");
/// Raft bookkeeping: `(group, kind)` → encoded value (vote, committed, last purged). In
/// `log.redb`.
pub(crate) const RAFT_STATE: TableDefinition<(u64, u8), &[u8]> = TableDefinition::new("raft_state");
/// State-machine bookkeeping: `(group, kind)` → applied log id, membership, current
/// snapshot, tally of the data (see [`tally`]). In `state.redb`.
pub(crate) const MACHINE_STATE: TableDefinition<(u64, u8), &[u8]> =
    TableDefinition::new("machine_state");
/// State-machine data: `(group, space, key)` → value. Spaces let a machine keep indexes. In
/// `state.redb`.
pub(crate) const DATA: TableDefinition<(u64, u8, &[u8]), &[u8]> =
    TableDefinition::new("machine_data");

pub(crate) const RAFT_VOTE: u8 = 1;
pub(crate) const RAFT_COMMITTED: u8 = 2;
pub(crate) const RAFT_PURGED: u8 = 3;

pub(crate) const MACHINE_APPLIED: u8 = 1;
pub(crate) const MACHINE_MEMBERSHIP: u8 = 2;
pub(crate) const MACHINE_SNAPSHOT: u8 = 3;
pub(crate) const MACHINE_TALLY: u8 = 4;

/// What the records of a file are like: `"records"` → [`RECORDS_SEALED`] in a file made by a
/// build that seals every record (see [`seal`]); absent in files made before.
const FORMAT: TableDefinition<&str, u64> = TableDefinition::new("storage_format");
const RECORDS_SEALED: u64 = 2;

/// Version marker written before every encoded value, so formats can evolve.
pub(crate) const FORMAT_VERSION: u8 = 1;

const LOG_FILE: &str = "log.redb";
const STATE_FILE: &str = "state.redb";
/// The single file of development builds before the log and the state were split.
const LEGACY_FILE: &str = "shoal.redb";

/// The open tables of the log writer's current transaction.
pub struct LogTables<'txn> {
    pub(crate) log: redb::Table<'txn, (u64, u64), &'static [u8]>,
    pub(crate) raft_state: redb::Table<'txn, (u64, u8), &'static [u8]>,
}

/// The open tables of the state writer's current transaction.
pub struct StateTables<'txn> {
    pub(crate) machine_state: redb::Table<'txn, (u64, u8), &'static [u8]>,
    pub(crate) data: redb::Table<'txn, (u64, u8, &'static [u8]), &'static [u8]>,
}

/// The tables of `log.redb`.
pub struct LogFile;

impl TableSet for LogFile {
    const FILE: &'static str = LOG_FILE;
    type Tables<'txn> = LogTables<'txn>;
    fn open(txn: &redb::WriteTransaction) -> io::Result<LogTables<'_>> {
        Ok(LogTables {
            log: txn.open_table(LOG).map_err(io::Error::other)?,
            raft_state: txn.open_table(RAFT_STATE).map_err(io::Error::other)?,
        })
    }
}

/// The tables of `state.redb`.
pub struct StateFile;

impl TableSet for StateFile {
    const FILE: &'static str = STATE_FILE;
    type Tables<'txn> = StateTables<'txn>;
    fn open(txn: &redb::WriteTransaction) -> io::Result<StateTables<'_>> {
        Ok(StateTables {
            machine_state: txn.open_table(MACHINE_STATE).map_err(io::Error::other)?,
            data: txn.open_table(DATA).map_err(io::Error::other)?,
        })
    }
    fn upgrade(txn: &redb::WriteTransaction) -> io::Result<()> {
        tally::upgrade(txn)
    }
}

/// Tunables of the storage layer.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// Page cache of `state.redb` in bytes.
    pub cache_bytes: usize,
    /// Page cache of `log.redb` in bytes (appends are served from memory until committed,
    /// so this only holds the recent log that followers may still need).
    pub log_cache_bytes: usize,
    /// Capacity of each writer's queue; senders wait when it is full.
    pub queue_capacity: usize,
    /// How long the state writer gathers applied changes before committing them together.
    pub state_commit_interval: Duration,
    /// Longest time applied state stays unsynced (bounds what a crash makes openraft replay).
    pub state_sync_interval: Duration,
    /// Writes that add data are refused while the data dir has less free space than this
    /// (see [`space`]); None: [`space::default_reserve`]; 0: never.
    pub reserved_bytes: Option<u64>,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            cache_bytes: 64 << 20,
            log_cache_bytes: 16 << 20,
            queue_capacity: 4096,
            state_commit_interval: Duration::from_millis(10),
            state_sync_interval: Duration::from_secs(5),
            reserved_bytes: None,
        }
    }
}

/// A snapshot of the writers' counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageCounters {
    /// Commits of `log.redb` (each appends, votes… of many groups).
    pub log_commits: u64,
    /// Of these, commits that waited for an fsync.
    pub log_fsyncs: u64,
    /// Log entries appended (all groups).
    pub entries_appended: u64,
    /// Operations in all log commits.
    pub log_operations: u64,
    /// Commits of `state.redb` (each applied changes of many batches and groups).
    pub state_commits: u64,
    /// Of these, commits that waited for an fsync.
    pub state_fsyncs: u64,
}

struct Database {
    database: Arc<redb::Database>,
    path: PathBuf,
    /// Every record is sealed (the file was made by a build that seals them).
    sealed_only: bool,
}

impl Database {
    /// Opens (repairing if needed) and creates the tables. With `quick_repair`, that first
    /// commit records the allocator state, so a crash before the next durable commit still
    /// reopens without walking the whole file.
    fn open<S: TableSet>(
        path: PathBuf,
        cache_bytes: usize,
        quick_repair: bool,
        space: &Arc<DiskSpace>,
    ) -> io::Result<Database> {
        // The storage engine panics on some damage (a page that is not what it should be):
        // that is a damaged file to report, not a crash.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Database::open_unguarded::<S>(path.clone(), cache_bytes, quick_repair, space)
        }));
        match opened {
            Ok(Ok(database)) => Ok(database),
            Ok(Err(error)) if is_damage(&error) => Err(damaged_file(&path, &error.to_string())),
            Ok(Err(error)) => Err(error),
            Err(panic) => Err(damaged_file(&path, &panic_message(panic.as_ref()))),
        }
    }

    fn open_unguarded<S: TableSet>(
        path: PathBuf,
        cache_bytes: usize,
        quick_repair: bool,
        space: &Arc<DiskSpace>,
    ) -> io::Result<Database> {
        let started = std::time::Instant::now();
        let repairing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let noticed = repairing.clone();
        let database = redb::Database::builder()
            .set_cache_size(cache_bytes)
            .set_repair_callback(move |session| {
                if !noticed.swap(true, Ordering::Relaxed) {
                    tracing::warn!("repairing the storage file after an unclean stop");
                }
                let _ = session.progress();
            })
            .create_with_backend(space::SpaceWaitingBackend::new(
                redb::backends::FileBackend::new(
                    std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .open(&path)
                        .map_err(|error| {
                            io::Error::new(
                                error.kind(),
                                format!("opening {}: {error}", path.display()),
                            )
                        })?,
                )
                .map_err(io::Error::other)?,
                S::FILE,
                space.clone(),
            ))
            .map_err(|error| io::Error::other(format!("opening {}: {error}", path.display())))?;
        tracing::info!(
            file = %path.display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            repaired = repairing.load(Ordering::Relaxed),
            "storage file open"
        );
        // Create every table up front so readers never meet a missing table.
        let mut txn = database.begin_write().map_err(io::Error::other)?;
        txn.set_quick_repair(quick_repair);
        let fresh = txn
            .list_tables()
            .map_err(io::Error::other)?
            .next()
            .is_none();
        S::open(&txn)?;
        S::upgrade(&txn)?;
        let sealed_only = {
            let mut format = txn.open_table(FORMAT).map_err(io::Error::other)?;
            if fresh {
                format
                    .insert("records", RECORDS_SEALED)
                    .map_err(io::Error::other)?;
            }
            format
                .get("records")
                .map_err(io::Error::other)?
                .is_some_and(|value| value.value() >= RECORDS_SEALED)
        };
        txn.commit().map_err(io::Error::other)?;
        if !sealed_only {
            tracing::info!(
                file = %path.display(),
                "this file was made before records were sealed: records written from now on \
                 are checked, older ones are read as they are"
            );
        }
        Ok(Database {
            database: Arc::new(database),
            path,
            sealed_only,
        })
    }

    fn file_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

/// What a caught panic said.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the storage engine panicked".into())
}

/// Every data record of `group` in `txn` (`state.redb`), in key order, each verified:
/// `visit(space, key, value)`.
pub(crate) fn for_each_record(
    txn: &redb::ReadTransaction,
    group: u64,
    checker: &seal::Checker,
    mut visit: impl FnMut(u8, &[u8], &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let data = txn.open_table(DATA).map_err(io::Error::other)?;
    for item in data
        .range((group, 0u8, &[][..])..(group + 1, 0u8, &[][..]))
        .map_err(io::Error::other)?
    {
        let (key, value) = item.map_err(io::Error::other)?;
        let (_, space, key) = key.value();
        let place = seal::Place::Data { group, space, key };
        visit(space, key, checker.open(place, value.value())?)?;
    }
    Ok(())
}

/// Whether `error` (from opening a file) says the file's contents are damaged: anything the
/// storage engine found wrong with what it read (a corrupted page, a table whose recorded
/// type changed, …), but not what the operating system refused (permissions, a missing
/// directory, the file locked by another process, a full disk).
fn is_damage(error: &io::Error) -> bool {
    use io::ErrorKind::*;
    if matches!(
        error.kind(),
        PermissionDenied | NotFound | AlreadyExists | WouldBlock | StorageFull | ReadOnlyFilesystem
    ) {
        return false;
    }
    let text = error.to_string();
    ![
        "already open",
        "No space left",
        "Permission denied",
        "Read-only file system",
    ]
    .iter()
    .any(|os| text.contains(os))
}

/// The error for a storage file that cannot be read: which file, and what to do.
pub(crate) fn damaged_file(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} is damaged and cannot be used ({why}). In a cluster: move this node's data \
             dir aside and start the node with an empty one, as a new node (a new node id: \
             change cluster.node_id if the config sets it), then `shoal node decommission` \
             the old id; the cluster re-creates its replicas from the others. On a single \
             node: restore the data dir from a backup.",
            path.display()
        ),
    )
}

struct StorageInner {
    log: Database,
    state: Database,
    log_writer: WriterHandle<LogFile>,
    state_writer: WriterHandle<StateFile>,
    writer_threads: Vec<std::thread::JoinHandle<()>>,
    log_stats: Arc<WriterStats>,
    state_stats: Arc<WriterStats>,
    overlays: Mutex<HashMap<u64, Arc<GroupOverlay>>>,
    snapshot_dir: PathBuf,
    quarantine: Arc<quarantine::Quarantine>,
    digest_points: digest::DigestPoints,
    space: Arc<DiskSpace>,
}

/// The node's storage: a cheap, cloneable handle shared by every group.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<StorageInner>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("log", &self.inner.log.path)
            .field("state", &self.inner.state.path)
            .finish()
    }
}

impl Storage {
    /// Opens (or creates) the storage under `dir`: `log.redb`, `state.redb` and `snapshots/`.
    pub fn open(dir: &Path, options: StorageOptions) -> io::Result<Storage> {
        std::fs::create_dir_all(dir)?;
        if dir.join(LEGACY_FILE).exists() {
            return Err(io::Error::other(format!(
                "{} holds {LEGACY_FILE}, the single-file layout of an earlier development build; \
                 this build keeps {LOG_FILE} and {STATE_FILE} and cannot read it: start with an \
                 empty data dir",
                dir.display()
            )));
        }
        let snapshot_dir = dir.join("snapshots");
        std::fs::create_dir_all(&snapshot_dir)?;
        let quarantine = Arc::new(quarantine::Quarantine::load(&dir.join("quarantine"))?);
        let space = Arc::new(DiskSpace::new(dir, options.reserved_bytes)?);
        let log =
            Database::open::<LogFile>(dir.join(LOG_FILE), options.log_cache_bytes, false, &space)?;
        let state =
            Database::open::<StateFile>(dir.join(STATE_FILE), options.cache_bytes, true, &space)?;
        let log_stats = Arc::new(WriterStats::default());
        let state_stats = Arc::new(WriterStats::default());
        let (log_writer, log_thread) = writer::spawn::<LogFile>(
            log.database.clone(),
            log_stats.clone(),
            WriterPolicy {
                name: "shoal-log-writer",
                // Appends and votes are durable and commit at once; the only non-durable
                // operation, the committed-index hint, waits to ride along with them.
                gather: Duration::from_millis(100),
                sleep_while_gathering: false,
                durable_every: None,
                quick_repair: false,
            },
            options.queue_capacity,
            space.track_unsynced(),
        )?;
        let (state_writer, state_thread) = writer::spawn::<StateFile>(
            state.database.clone(),
            state_stats.clone(),
            WriterPolicy {
                name: "shoal-state-writer",
                gather: options.state_commit_interval,
                sleep_while_gathering: true,
                durable_every: Some(options.state_sync_interval),
                quick_repair: true,
            },
            options.queue_capacity,
            space.track_unsynced(),
        )?;
        Ok(Storage {
            inner: Arc::new(StorageInner {
                log,
                state,
                log_writer,
                state_writer,
                writer_threads: vec![log_thread, state_thread],
                log_stats,
                state_stats,
                overlays: Mutex::default(),
                snapshot_dir,
                quarantine,
                digest_points: digest::DigestPoints::default(),
                space,
            }),
        })
    }

    pub(crate) fn log_database(&self) -> &redb::Database {
        &self.inner.log.database
    }

    /// Opens the records of `log.redb` (see [`seal`]).
    pub(crate) fn log_checker(&self) -> seal::Checker {
        seal::Checker {
            sealed_only: self.inner.log.sealed_only,
            quarantine: self.inner.quarantine.clone(),
        }
    }

    /// Opens the records of `state.redb`.
    pub(crate) fn state_checker(&self) -> seal::Checker {
        seal::Checker {
            sealed_only: self.inner.state.sealed_only,
            quarantine: self.inner.quarantine.clone(),
        }
    }

    /// The groups whose replica here is damaged, with why (see [`quarantine`]): they must
    /// neither vote nor serve until rebuilt.
    pub fn quarantined(&self) -> BTreeMap<GroupId, String> {
        self.inner.quarantine.groups()
    }

    /// The digest this node's replica of `group` took at digest point `id`, waiting up to
    /// `wait` for the point to be applied and digested (None: not within `wait`, or the
    /// replica skipped the point).
    pub async fn point_digest(
        &self,
        group: GroupId,
        id: u64,
        wait: Duration,
    ) -> Option<Result<PointDigest, String>> {
        self.inner.digest_points.wait(group.0, id, wait).await
    }

    pub(crate) fn digest_points(&self) -> &digest::DigestPoints {
        &self.inner.digest_points
    }

    /// Test hook, for a stopped node's data only (`shoal debug diverge`): writes `value`
    /// for `key` in `space` of `group`'s state directly, sealed and tallied — bypassing
    /// Raft, so this replica then differs from its peers while every record passes its
    /// checksum and its tally: what only the cross-replica consistency check can find. Durable when it returns.
    #[doc(hidden)]
    pub async fn debug_write_state(
        &self,
        group: GroupId,
        space: u8,
        key: &[u8],
        value: &[u8],
    ) -> io::Result<()> {
        let (group, key, value) = (group.0, key.to_vec(), value.to_vec());
        self.state_writer()
            .call(true, move |tables| {
                let mut tally = tally::Tally::read(&tables.machine_state, group)?;
                tables.write_record(&mut tally, group, space, &key, Some(&value))?;
                tally.write(&mut tables.machine_state, group)
            })
            .await
    }

    /// The free space of the data dir, and whether this node may take writes that add data
    /// (see [`space`]).
    pub fn disk_space(&self) -> &Arc<DiskSpace> {
        &self.inner.space
    }

    /// Why this node must not take a write now (the disk is full; or, for a write that
    /// adds data, its free space is below the reserve); None when it may.
    pub fn write_refusal(&self, adds_data: bool) -> Option<String> {
        self.inner.space.refusal(adds_data)
    }

    /// Ends every wait for disk space with an error (a graceful stop on a full disk: the
    /// writes that waited were never acknowledged). True when some write was waiting.
    pub fn give_up_waiting_for_space(&self) -> bool {
        self.inner.space.give_up()
    }

    /// Whether `group`'s replica here is quarantined.
    pub fn is_quarantined(&self, group: GroupId) -> bool {
        self.inner.quarantine.contains(group.0)
    }

    /// Puts `group`'s replica here in quarantine for `reason` (a consistency check found it
    /// differs from its peers). True when it was not there yet.
    pub fn quarantine(&self, group: GroupId, reason: &str) -> bool {
        self.inner.quarantine.add(group.0, reason)
    }

    pub(crate) fn state_database(&self) -> &Arc<redb::Database> {
        &self.inner.state.database
    }

    pub(crate) fn log_writer(&self) -> &WriterHandle<LogFile> {
        &self.inner.log_writer
    }

    pub(crate) fn state_writer(&self) -> &WriterHandle<StateFile> {
        &self.inner.state_writer
    }

    pub(crate) fn snapshot_dir(&self) -> &Path {
        &self.inner.snapshot_dir
    }

    /// Where the bytes of snapshot `snapshot_id` of `group` received so far are kept, so a
    /// broken transfer resumes instead of starting over.
    pub(crate) fn partial_snapshot_path(&self, group: GroupId, snapshot_id: &str) -> PathBuf {
        let group = group.0;
        let id = xxhash_rust::xxh3::xxh3_64(snapshot_id.as_bytes());
        self.inner
            .snapshot_dir
            .join(format!("incoming-{group}-{id:016x}.partial"))
    }

    /// Deletes partial snapshots of `group` other than `keep`.
    pub(crate) fn remove_other_partials(&self, group: GroupId, keep: &Path) {
        let group = group.0;
        let prefix = format!("incoming-{group}-");
        let Ok(dir) = std::fs::read_dir(&self.inner.snapshot_dir) else {
            return;
        };
        for entry in dir.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(&prefix) && name.ends_with(".partial") && path != keep {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// The overlay of applied-but-uncommitted state of `group` (created on first use).
    pub fn overlay(&self, group: u64) -> Arc<GroupOverlay> {
        self.inner
            .overlays
            .lock()
            .expect("overlay registry poisoned")
            .entry(group)
            .or_default()
            .clone()
    }

    /// Deletes everything of `group` on this node: its log, vote and bookkeeping, its
    /// state-machine data, its snapshots. For a replica moved away; the group must be shut
    /// down first. Durable when it returns.
    pub async fn delete_group(&self, group: GroupId) -> io::Result<()> {
        let group = group.0;
        self.log_writer()
            .call(true, move |tables| {
                tables
                    .log
                    .retain_in((group, 0u64)..=(group, u64::MAX), |_, _| false)
                    .map_err(io::Error::other)?;
                tables
                    .raft_state
                    .retain_in((group, 0u8)..=(group, u8::MAX), |_, _| false)
                    .map_err(io::Error::other)
            })
            .await?;
        self.state_writer()
            .call(true, move |tables| {
                tables
                    .data
                    .retain_in((group, 0u8, &[][..])..(group + 1, 0u8, &[][..]), |_, _| {
                        false
                    })
                    .map_err(io::Error::other)?;
                tables
                    .machine_state
                    .retain_in((group, 0u8)..=(group, u8::MAX), |_, _| false)
                    .map_err(io::Error::other)
            })
            .await?;
        self.inner
            .overlays
            .lock()
            .expect("overlay registry poisoned")
            .remove(&group);
        let prefix = format!("group-{group}-");
        if let Ok(dir) = std::fs::read_dir(self.snapshot_dir()) {
            for entry in dir.flatten() {
                if entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&prefix))
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        self.inner.digest_points.forget(group);
        // The damaged replica (if it was one) is gone with its data.
        self.inner.quarantine.remove(group)
    }

    /// Current writer counters.
    pub fn counters(&self) -> StorageCounters {
        let log = &self.inner.log_stats;
        let state = &self.inner.state_stats;
        StorageCounters {
            log_commits: log.commits.load(Ordering::Relaxed),
            log_fsyncs: log.durable_commits.load(Ordering::Relaxed),
            entries_appended: log.entries_appended.load(Ordering::Relaxed),
            log_operations: log.operations.load(Ordering::Relaxed),
            state_commits: state.commits.load(Ordering::Relaxed),
            state_fsyncs: state.durable_commits.load(Ordering::Relaxed),
        }
    }

    /// Size of `log.redb` in bytes.
    pub fn log_file_bytes(&self) -> u64 {
        self.inner.log.file_bytes()
    }

    /// Size of `state.redb` in bytes.
    pub fn state_file_bytes(&self) -> u64 {
        self.inner.state.file_bytes()
    }

    /// Waits until everything queued so far, log and state, is committed durably.
    pub async fn flush(&self) -> io::Result<()> {
        self.inner.log_writer.flush().await?;
        self.inner.state_writer.flush().await
    }

    /// Flushes, stops the writers and releases the files, once every other handle to this
    /// storage (Raft groups, readers) is gone. Fails if they are not gone within `deadline`.
    pub async fn close(self, deadline: std::time::Duration) -> io::Result<()> {
        if self.give_up_waiting_for_space() {
            tracing::warn!(
                "stopping on a full disk: the writes that waited for space are dropped (none \
                 was acknowledged; the log replays what the state misses at the next start)"
            );
        }
        if let Err(error) = self.flush().await {
            if !self.inner.space.gave_up_a_wait() {
                return Err(error);
            }
            tracing::warn!(%error, "the last flush failed for lack of disk space");
        }
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
            log,
            state,
            log_writer,
            state_writer,
            writer_threads,
            overlays,
            ..
        } = inner;
        // Dropping the last senders ends the writer loops (each commits what is left, durably);
        // join them so their database handles are gone before ours, then the file locks are
        // released. Readers may still hold the state database through an overlay reader.
        drop((log_writer, state_writer, overlays));
        tokio::task::spawn_blocking(move || {
            for thread in writer_threads {
                thread
                    .join()
                    .map_err(|_| io::Error::other("storage writer thread panicked"))?;
            }
            Ok::<_, io::Error>(())
        })
        .await
        .map_err(io::Error::other)??;
        drop((log, state));
        Ok(())
    }

    /// A read-only view of one group's state-machine data (applied state, no quorum round).
    pub fn reader(&self, group: GroupId) -> GroupReader {
        let group = group.0;
        GroupReader::new(
            group,
            self.overlay(group),
            self.state_database().clone(),
            self.state_checker(),
        )
    }
}

/// Encodes a value with the format version marker in front.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> io::Result<Vec<u8>> {
    let mut out = vec![FORMAT_VERSION];
    postcard::to_io(value, &mut out).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(out)
}

/// Decodes a value written by [`encode`], refusing unknown format versions.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    decode_prefix(bytes).map(|(value, _)| value)
}

/// [`decode`] of a value that other bytes may follow; returns them too.
pub(crate) fn decode_prefix<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> io::Result<(T, &[u8])> {
    match bytes.split_first() {
        Some((&FORMAT_VERSION, rest)) => postcard::take_from_bytes(rest)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
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
