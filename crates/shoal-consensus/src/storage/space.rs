//! Disk space: what the node does when its disk fills up.
//!
//! Two lines of defence.
//!
//! 1. **A reserve** ([`DiskSpace`]). The free space of the data dir's filesystem is measured
//!    (statvfs, at most every [`MEASURE_EVERY`]); below `storage.reserved_bytes` the node
//!    refuses writes that add data on the shards it leads (RESOURCE_EXHAUSTED naming the
//!    path and the free space; deletes and TTL expiry still go through — they are what
//!    frees space), `/readyz` says it is not ready for writes, and it hands its leaderships
//!    to nodes that can still write. The reserve is what Raft replication, votes and the
//!    writes already queued use meanwhile. Once space is back above the reserve (with a
//!    margin, so the state does not flap), writes are taken again.
//!
//! 2. **Writes that wait for space** ([`SpaceWaitingBackend`]). The disk can fill anyway —
//!    another process writes to it, or the reserve is too small — and then the storage
//!    engine's next write fails with ENOSPC. redb latches every I/O error: each later read
//!    or write of that file fails ("Previous I/O error … close and re-open the database")
//!    until it is reopened, and reopening under live Raft groups would drop the state
//!    changes not yet synced. So both files are opened through a backend that keeps a write
//!    refused for lack of space in memory — reads see it, exactly as they see what the
//!    page cache holds for any buffered write — and writes it out as soon as there is room.
//!    `sync_data`, the only call that makes anything durable, first waits for those writes
//!    to reach the file: a commit that must be durable waits for space, nothing is
//!    acknowledged that is not on disk, and nothing latches. When space is freed the
//!    waiting commit finishes and the node carries on — no reopen, no restart. A graceful
//!    stop gives up the wait (see [`DiskSpace::give_up`]): what was held is lost exactly
//!    like unsynced writes at a crash, which the files are made to survive (the log was
//!    never acknowledged without its fsync; the state is replayed from the log).
//!
//! A failed `fsync` is not retried: after one, the kernel may have dropped the dirty pages
//! it could not write, and a second `fsync` would claim a durability that is not there.

use std::collections::BTreeSet;
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redb::{BackendError, StorageBackend};

/// Free space is measured at most this often (it is asked on every refused-or-not write).
pub const MEASURE_EVERY: Duration = Duration::from_millis(250);

/// Writes held in memory beyond this make the writer itself wait for space.
const HOLD_LIMIT: u64 = 256 << 20;

/// How often a held write is tried again while the disk stays full.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// The default reserve: 5 % of the filesystem, at most 1 GiB.
pub fn default_reserve(total_bytes: u64) -> u64 {
    (total_bytes / 20).min(1 << 30)
}

/// Whether an I/O error says the disk (or the user's quota) is full.
pub fn is_no_space(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// Bytes for people: `512 B`, `3.2 MiB`, `1.0 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The free space of the data dir and what the node may do with it. Shared by the storage,
/// its two file backends, the KV write path, `/readyz` and the metrics.
#[derive(Debug)]
pub struct DiskSpace {
    dir: PathBuf,
    /// Writes that add data are refused below this many free bytes (0: never).
    reserve: u64,
    free: AtomicU64,
    total: AtomicU64,
    /// When `free` was last measured, in milliseconds since `epoch`.
    measured_ms: AtomicU64,
    epoch: Instant,
    /// Below the reserve now (kept until free space is back above it with a margin).
    low: AtomicBool,
    /// Files whose writes wait for space right now.
    waiting: Mutex<BTreeSet<&'static str>>,
    /// `waiting` is not empty.
    waiting_now: AtomicBool,
    /// A graceful stop: waits for space end with an error.
    given_up: AtomicBool,
    /// Some wait ended that way (its writes are not on disk).
    abandoned: AtomicBool,
    /// Per writer: bytes committed without durability, still in memory — the next durable
    /// commit writes them at once (a burst of seconds of writes), so they count as taken.
    unsynced: Mutex<Vec<Arc<AtomicU64>>>,
}

impl DiskSpace {
    /// Measures the filesystem of `dir`; `reserve` None is [`default_reserve`].
    pub fn new(dir: &Path, reserve: Option<u64>) -> io::Result<DiskSpace> {
        let (free, total) = measure(dir)?;
        let space = DiskSpace {
            dir: dir.to_path_buf(),
            reserve: reserve.unwrap_or_else(|| default_reserve(total)),
            free: AtomicU64::new(free),
            total: AtomicU64::new(total),
            measured_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            low: AtomicBool::new(false),
            waiting: Mutex::default(),
            waiting_now: AtomicBool::new(false),
            given_up: AtomicBool::new(false),
            abandoned: AtomicBool::new(false),
            unsynced: Mutex::default(),
        };
        space.judge(free);
        Ok(space)
    }

    /// The reserve in bytes.
    pub fn reserve(&self) -> u64 {
        self.reserve
    }

    /// Free bytes of the data dir's filesystem (measured at most [`MEASURE_EVERY`] ago).
    pub fn free_bytes(&self) -> u64 {
        self.refresh();
        self.free.load(Ordering::Relaxed)
    }

    /// Size of the data dir's filesystem in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Why this node must not take a write now; None when it may. While the disk is full
    /// every write is refused (it could only wait); below the reserve only writes that add
    /// data (`adds_data`) — deletes and expiry are what frees space.
    pub fn refusal(&self, adds_data: bool) -> Option<String> {
        self.refresh();
        // The common case, on every put a leader takes: two loads, no lock.
        let low = adds_data && self.low.load(Ordering::Relaxed);
        if !low && !self.waiting_now.load(Ordering::Relaxed) {
            return None;
        }
        let free = human_bytes(self.free.load(Ordering::Relaxed));
        let dir = self.dir.display();
        let waiting = self.waiting.lock().expect("disk space poisoned").clone();
        if !waiting.is_empty() {
            let files: Vec<&str> = waiting.into_iter().collect();
            return Some(format!(
                "the disk of {dir} is full ({free} free): writes to {} wait for space; this \
                 node takes no writes until space is freed",
                files.join(" and ")
            ));
        }
        low.then(|| {
            let raw = self.free.load(Ordering::Relaxed);
            let usable = self.usable(raw);
            let held = if usable < raw {
                format!(
                    ", {} once the writes held in memory reach it",
                    human_bytes(usable)
                )
            } else {
                String::new()
            };
            format!(
                "the disk of {dir} has {free} free{held}, below the {} kept in reserve \
                 (storage.reserved_bytes); this node takes no writes that add data until \
                 space is freed",
                human_bytes(self.reserve)
            )
        })
    }

    /// Ends every wait for space with an error, for good (a graceful stop: what is held is
    /// lost like any unsynced write at a crash). True when some write was waiting.
    pub fn give_up(&self) -> bool {
        self.given_up.store(true, Ordering::Relaxed);
        !self.waiting.lock().expect("disk space poisoned").is_empty()
    }

    /// A counter a writer keeps of the bytes it committed without durability.
    pub(crate) fn track_unsynced(&self) -> Arc<AtomicU64> {
        let counter = Arc::new(AtomicU64::new(0));
        self.unsynced
            .lock()
            .expect("disk space poisoned")
            .push(counter.clone());
        counter
    }

    /// Free bytes minus what the writers hold in memory to write at their next durable
    /// commit (with half again for the pages the copy-on-write B-tree rewrites around them).
    fn usable(&self, free: u64) -> u64 {
        let unsynced: u64 = self
            .unsynced
            .lock()
            .expect("disk space poisoned")
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        free.saturating_sub(unsynced.saturating_add(unsynced / 2))
    }

    /// Whether a wait for space ended because it was given up.
    pub fn gave_up_a_wait(&self) -> bool {
        self.abandoned.load(Ordering::Relaxed)
    }

    /// Some file's writes wait for space right now.
    pub fn waiting(&self) -> bool {
        self.waiting_now.load(Ordering::Relaxed)
    }

    fn refresh(&self) {
        let now = (self.epoch.elapsed().as_millis() as u64).max(1);
        let last = self.measured_ms.load(Ordering::Relaxed);
        let fresh = last != 0 && now.saturating_sub(last) < MEASURE_EVERY.as_millis() as u64;
        if fresh
            || self
                .measured_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.measure_now();
    }

    fn measure_now(&self) {
        match measure(&self.dir) {
            Ok((free, total)) => {
                self.free.store(free, Ordering::Relaxed);
                self.total.store(total, Ordering::Relaxed);
                metrics::gauge!("shoal_storage_disk_free_bytes").set(free as f64);
                metrics::gauge!("shoal_storage_disk_total_bytes").set(total as f64);
                self.judge(self.usable(free));
            }
            Err(error) => {
                tracing::warn!(dir = %self.dir.display(), %error, "cannot measure free disk space")
            }
        }
    }

    /// Below the reserve: low; back above it by an eighth of it: not low any more.
    fn judge(&self, free: u64) {
        let was = self.low.load(Ordering::Relaxed);
        let low = if was {
            free < self.reserve.saturating_add(self.reserve / 8)
        } else {
            free < self.reserve
        };
        metrics::gauge!("shoal_storage_below_reserve").set(if low { 1.0 } else { 0.0 });
        if low != was {
            self.low.store(low, Ordering::Relaxed);
            let (free, reserve) = (human_bytes(free), human_bytes(self.reserve));
            if low {
                tracing::warn!(dir = %self.dir.display(), %free, %reserve,
                    "free disk space is below the reserve: this node refuses writes that add data and hands its leaderships off");
            } else {
                tracing::info!(dir = %self.dir.display(), %free, %reserve,
                    "free disk space is back above the reserve: this node takes writes again");
            }
        }
    }

    fn set_waiting(&self, file: &'static str, waiting: bool) {
        let mut files = self.waiting.lock().expect("disk space poisoned");
        if waiting {
            files.insert(file);
        } else {
            files.remove(file);
        }
        self.waiting_now.store(!files.is_empty(), Ordering::Relaxed);
        metrics::gauge!("shoal_storage_waiting_for_space").set(files.len() as f64);
    }

    /// Sleeps before the next try of a write waiting for space; Err once given up.
    fn wait(&self, file: &str, error: &io::Error) -> io::Result<()> {
        if self.given_up.load(Ordering::Relaxed) {
            self.abandoned.store(true, Ordering::Relaxed);
            return Err(io::Error::new(
                error.kind(),
                format!("{file}: gave up waiting for disk space at shutdown: {error}"),
            ));
        }
        std::thread::sleep(RETRY_EVERY);
        self.measure_now();
        Ok(())
    }
}

/// (free bytes for unprivileged users, total bytes) of the filesystem holding `dir`.
fn measure(dir: &Path) -> io::Result<(u64, u64)> {
    let stat = rustix::fs::statvfs(dir).map_err(io::Error::from)?;
    Ok((
        stat.f_bavail.saturating_mul(stat.f_frsize),
        stat.f_blocks.saturating_mul(stat.f_frsize),
    ))
}

/// Writes refused for lack of space, in the order they were made.
#[derive(Debug, Default)]
struct Held {
    writes: Vec<(u64, Vec<u8>)>,
    bytes: u64,
    since: Option<Instant>,
}

/// A storage backend whose writes wait for disk space instead of failing (see the module
/// docs). Everything else is the inner backend's.
#[derive(Debug)]
pub struct SpaceWaitingBackend<B: StorageBackend> {
    inner: B,
    file: &'static str,
    space: Arc<DiskSpace>,
    held: Mutex<Held>,
    /// Fast path: false while nothing is held.
    holding: AtomicBool,
}

impl<B: StorageBackend> SpaceWaitingBackend<B> {
    pub fn new(inner: B, file: &'static str, space: Arc<DiskSpace>) -> Self {
        SpaceWaitingBackend {
            inner,
            file,
            space,
            held: Mutex::default(),
            holding: AtomicBool::new(false),
        }
    }

    /// Writes out held writes in order, as far as space allows. Ok(true) when none is left.
    fn write_out(&self, held: &mut Held) -> io::Result<bool> {
        let mut written = 0;
        let mut result = Ok(());
        for (offset, data) in &held.writes {
            match self.inner.write(*offset, data) {
                Ok(()) => written += 1,
                Err(error) => {
                    result = Err(error);
                    break;
                }
            }
        }
        let freed: u64 = held
            .writes
            .drain(..written)
            .map(|(_, d)| d.len() as u64)
            .sum();
        held.bytes -= freed;
        match result {
            Ok(()) => {
                if let Some(since) = held.since.take() {
                    tracing::info!(
                        file = self.file,
                        waited_ms = since.elapsed().as_millis() as u64,
                        "disk space is back: the writes that waited for it are written"
                    );
                }
                self.holding.store(false, Ordering::Release);
                self.space.set_waiting(self.file, false);
                Ok(true)
            }
            Err(error) if is_no_space(&error) => Ok(false),
            Err(error) => Err(error),
        }
    }

    fn hold(&self, held: &mut Held, offset: u64, data: &[u8], error: &io::Error) {
        if held.since.is_none() {
            held.since = Some(Instant::now());
            self.space.set_waiting(self.file, true);
            tracing::warn!(file = self.file, %error, free = %human_bytes(self.space.free_bytes()),
                "the disk is full: writes wait for space (held in memory, nothing acknowledged \
                 before it is on disk); free space to resume");
        }
        held.writes.push((offset, data.to_vec()));
        held.bytes += data.len() as u64;
        self.holding.store(true, Ordering::Release);
    }

    /// Waits until held writes are written (or the wait is given up).
    fn wait_written(&self) -> io::Result<()> {
        loop {
            let error = {
                let mut held = self.held.lock().expect("held writes poisoned");
                match self.write_out(&mut held) {
                    Ok(true) => return Ok(()),
                    Ok(false) => io::Error::from(io::ErrorKind::StorageFull),
                    Err(error) => return Err(error),
                }
            };
            self.space.wait(self.file, &error)?;
        }
    }
}

impl<B: StorageBackend> StorageBackend for SpaceWaitingBackend<B> {
    fn len(&self) -> Result<u64, io::Error> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.inner.read(offset, out)?;
        if self.holding.load(Ordering::Acquire) {
            let held = self.held.lock().expect("held writes poisoned");
            let end = offset + out.len() as u64;
            for (at, data) in &held.writes {
                let (from, to) = ((*at).max(offset), (at + data.len() as u64).min(end));
                if from < to {
                    out[(from - offset) as usize..(to - offset) as usize]
                        .copy_from_slice(&data[(from - at) as usize..(to - at) as usize]);
                }
            }
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        {
            let mut held = self.held.lock().expect("held writes poisoned");
            let Held { writes, bytes, .. } = &mut *held;
            writes.retain_mut(|(at, data)| {
                if *at >= len {
                    *bytes -= data.len() as u64;
                    return false;
                }
                let keep = data.len().min((len - *at) as usize);
                *bytes -= (data.len() - keep) as u64;
                data.truncate(keep);
                true
            });
        }
        loop {
            match self.inner.set_len(len) {
                Err(error) if is_no_space(&error) => self.space.wait(self.file, &error)?,
                result => return result,
            }
        }
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        if self.holding.load(Ordering::Acquire) {
            self.wait_written()?;
        }
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        if !self.holding.load(Ordering::Acquire) {
            match self.inner.write(offset, data) {
                Err(error) if is_no_space(&error) => {}
                result => return result,
            }
        }
        loop {
            let mut held = self.held.lock().expect("held writes poisoned");
            // Earlier held writes first: the file must see writes in the order they were made.
            let error = match self.write_out(&mut held)? {
                true => match self.inner.write(offset, data) {
                    Err(error) if is_no_space(&error) => error,
                    result => return result,
                },
                false => io::Error::from(io::ErrorKind::StorageFull),
            };
            if held.bytes < HOLD_LIMIT {
                self.hold(&mut held, offset, data, &error);
                return Ok(());
            }
            drop(held);
            self.space.wait(self.file, &error)?;
        }
    }

    fn close(&self) -> Result<(), io::Error> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::backends::InMemoryBackend;
    use redb::{ReadableDatabase, TableDefinition};

    const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("t");

    /// An in-memory backend whose writes fail with ENOSPC while `full` is set.
    #[derive(Debug)]
    struct Fillable {
        inner: InMemoryBackend,
        full: Arc<AtomicBool>,
    }

    impl StorageBackend for Fillable {
        fn len(&self) -> Result<u64, io::Error> {
            self.inner.len()
        }
        fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
            self.inner.read(offset, out)
        }
        fn set_len(&self, len: u64) -> Result<(), io::Error> {
            self.inner.set_len(len)
        }
        fn sync_data(&self) -> Result<(), io::Error> {
            self.inner.sync_data()
        }
        fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
            if self.full.load(Ordering::Relaxed) {
                return Err(io::ErrorKind::StorageFull.into());
            }
            self.inner.write(offset, data)
        }
    }

    fn put(db: &redb::Database, key: u64, value: &[u8]) -> Result<(), redb::Error> {
        let txn = db.begin_write()?;
        txn.open_table(TABLE)?.insert(key, value)?;
        txn.commit()?;
        Ok(())
    }

    fn get(db: &redb::Database, key: u64) -> Option<Vec<u8>> {
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(TABLE).unwrap();
        table.get(key).unwrap().map(|v| v.value().to_vec())
    }

    /// A database on a [`Fillable`] disk with no cache (reads come through the backend and
    /// must see held writes): the disk's space, its "full" switch, the database.
    fn on_fillable_disk(dir: &Path) -> (Arc<DiskSpace>, Arc<AtomicBool>, Arc<redb::Database>) {
        let space = Arc::new(DiskSpace::new(dir, Some(0)).unwrap());
        let full = Arc::new(AtomicBool::new(false));
        let backend = SpaceWaitingBackend::new(
            Fillable {
                inner: InMemoryBackend::new(),
                full: full.clone(),
            },
            "test.redb",
            space.clone(),
        );
        let db = redb::Database::builder()
            .set_cache_size(0)
            .create_with_backend(backend)
            .unwrap();
        (space, full, Arc::new(db))
    }

    #[test]
    fn a_commit_on_a_full_disk_waits_for_space_and_nothing_latches() {
        let dir = tempfile::tempdir().unwrap();
        let (space, full, db) = on_fillable_disk(dir.path());
        for key in 0..100 {
            put(&db, key, &[key as u8; 600]).unwrap();
        }
        assert_eq!(space.refusal(true), None);

        full.store(true, Ordering::Relaxed);
        let writer = {
            let db = db.clone();
            std::thread::spawn(move || put(&db, 1000, b"after the disk filled"))
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while space.refusal(true).is_none() {
            assert!(
                Instant::now() < deadline,
                "the write never waited for space"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let refusal = space.refusal(true).unwrap();
        assert!(
            refusal.contains("full") && refusal.contains("test.redb"),
            "{refusal}"
        );
        // Committed data still reads while the commit waits; the waiting one is not visible.
        for key in [0, 42, 99] {
            assert_eq!(get(&db, key).unwrap(), vec![key as u8; 600]);
        }
        assert_eq!(get(&db, 1000), None);
        assert!(
            !writer.is_finished(),
            "a commit returned before its data was written"
        );

        full.store(false, Ordering::Relaxed);
        writer.join().unwrap().unwrap();
        assert_eq!(get(&db, 1000).unwrap(), b"after the disk filled");
        assert_eq!(space.refusal(true), None);
        // And the file takes writes as before: nothing latched.
        put(&db, 1001, b"later").unwrap();
        assert_eq!(get(&db, 1001).unwrap(), b"later");
    }

    #[test]
    fn giving_up_ends_the_wait_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (space, full, db) = on_fillable_disk(dir.path());
        put(&db, 1, b"one").unwrap();
        full.store(true, Ordering::Relaxed);
        let writer = {
            let db = db.clone();
            std::thread::spawn(move || put(&db, 2, b"two"))
        };
        while space.refusal(true).is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(space.give_up());
        let error = writer.join().unwrap().unwrap_err().to_string();
        assert!(error.contains("gave up waiting for disk space"), "{error}");
    }

    #[test]
    fn the_reserve_refuses_below_it_and_takes_writes_again_above_it_with_a_margin() {
        let dir = tempfile::tempdir().unwrap();
        let space = DiskSpace::new(dir.path(), Some(800)).unwrap();
        space.judge(1000);
        assert_eq!(space.refusal(true), None);
        space.judge(700);
        assert!(space.low.load(Ordering::Relaxed));
        space.judge(850); // above the reserve, within the margin: still low
        assert!(space.low.load(Ordering::Relaxed));
        space.judge(900);
        assert!(!space.low.load(Ordering::Relaxed));
        assert_eq!(default_reserve(10 << 30), (10 << 30) / 20);
        assert_eq!(default_reserve(100 << 30), 1 << 30);
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }
}
