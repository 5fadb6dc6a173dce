//! A writer thread per database: drains queued operations, runs them in one redb write
//! transaction, commits once (with an fsync only when an operation needs one or the
//! durability interval has passed), then completes every callback.
//!
//! The log database's writer is the group commit shared by all Raft groups of a node: N
//! concurrent appends from N groups cost one fsync. The state database's writer gathers
//! state-machine changes for a short interval so that many share one commit, and makes them
//! durable only every few seconds: nothing waits for it except barriers.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redb::Durability;
use tokio::sync::oneshot;

/// Upper bound of operations folded into one transaction, so one commit stays short.
const MAX_BATCH: usize = 4096;

/// The tables a writer opens in each of its transactions.
pub trait TableSet: Send + 'static {
    /// The file's name, for errors.
    const FILE: &'static str;
    type Tables<'txn>;
    fn open(txn: &redb::WriteTransaction) -> io::Result<Self::Tables<'_>>;
    /// Brings a file made by an older build up to date, inside the transaction that opens
    /// it (after [`TableSet::open`] created the tables).
    fn upgrade(_txn: &redb::WriteTransaction) -> io::Result<()> {
        Ok(())
    }
}

/// Work done inside the shared transaction. Errors abort the whole batch.
pub type WriteFn<S> =
    Box<dyn for<'t> FnOnce(&mut <S as TableSet>::Tables<'t>) -> io::Result<()> + Send>;

/// Called once the transaction holding the operation committed (or failed).
pub type Completion = Box<dyn FnOnce(io::Result<()>) + Send>;

/// One queued write.
pub struct WriteOp<S: TableSet> {
    /// True when the caller may only be told "done" after an fsync. Such an operation is
    /// also committed without waiting out the writer's gathering interval.
    pub durable: bool,
    /// Log entries this operation appends (for counters only).
    pub appended_entries: u64,
    /// About how many bytes it writes (keys and values): a non-durable commit leaves them
    /// in memory until the next durable one writes them at once, and the disk-space reserve
    /// counts them as already taken (see `space`).
    pub bytes: u64,
    pub work: WriteFn<S>,
    pub done: Completion,
}

/// How a writer batches and when it makes its commits durable.
#[derive(Debug, Clone, Copy)]
pub struct WriterPolicy {
    /// Thread name, for people reading `top -H` and profiles.
    pub name: &'static str,
    /// Least time between two commits that no durable operation asks for: operations that
    /// arrive meanwhile share the next commit. Zero commits whatever is queued at once.
    pub gather: Duration,
    /// Sleep through the gathering interval instead of waking for every arriving operation
    /// (cheaper when many arrive; a durable operation may then wait up to `gather`).
    pub sleep_while_gathering: bool,
    /// Longest time a commit may stay non-durable: once this has passed since the last
    /// durable commit, the next commit (or an empty one) is made durable.
    pub durable_every: Option<Duration>,
    /// Record the allocator state with durable commits so that reopening after a crash does
    /// not have to walk the whole file (slower commits, fast recovery).
    pub quick_repair: bool,
}

/// Counters of one writer, readable by tests, the status API and metrics.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub commits: AtomicU64,
    pub durable_commits: AtomicU64,
    pub entries_appended: AtomicU64,
    pub operations: AtomicU64,
}

/// Cloneable sender side of a writer queue.
pub struct WriterHandle<S: TableSet> {
    sender: flume::Sender<WriteOp<S>>,
}

impl<S: TableSet> Clone for WriterHandle<S> {
    fn clone(&self) -> Self {
        WriterHandle {
            sender: self.sender.clone(),
        }
    }
}

fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "storage writer has stopped")
}

impl<S: TableSet> WriterHandle<S> {
    /// Queues an operation; waits only while the queue is full.
    pub async fn submit(&self, op: WriteOp<S>) -> io::Result<()> {
        self.sender.send_async(op).await.map_err(|_| stopped())
    }

    /// Runs `work` in the next transaction and waits for its commit.
    pub async fn run(&self, durable: bool, work: WriteFn<S>) -> io::Result<()> {
        let (tx, rx) = oneshot::channel();
        self.submit(WriteOp {
            durable,
            appended_entries: 0,
            bytes: 0,
            work,
            done: Box::new(move |result| {
                let _ = tx.send(result);
            }),
        })
        .await?;
        rx.await.map_err(|_| {
            io::Error::new(io::ErrorKind::BrokenPipe, "storage writer dropped a write")
        })?
    }

    /// Runs `work` in the next transaction, waits for its commit and returns its value.
    pub async fn call<T, F>(&self, durable: bool, work: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&mut S::Tables<'t>) -> io::Result<T> + Send + 'static,
    {
        let slot = Arc::new(std::sync::Mutex::new(None));
        let filled = slot.clone();
        self.run(
            durable,
            Box::new(move |tables| {
                let value = work(tables)?;
                *filled.lock().expect("writer slot poisoned") = Some(value);
                Ok(())
            }),
        )
        .await?;
        let value = slot.lock().expect("writer slot poisoned").take();
        value.ok_or_else(|| io::Error::other("storage writer committed without a result"))
    }

    /// Queues `work` without waiting for it (ordering with later operations is kept).
    pub async fn submit_detached(&self, durable: bool, work: WriteFn<S>) -> io::Result<()> {
        self.submit(WriteOp {
            durable,
            appended_entries: 0,
            bytes: 0,
            work,
            done: Box::new(|result| {
                if let Err(error) = result {
                    tracing::error!(%error, "detached storage write failed");
                }
            }),
        })
        .await
    }

    /// Waits until everything queued before this call is committed durably.
    pub async fn flush(&self) -> io::Result<()> {
        self.run(true, Box::new(|_| Ok(()))).await
    }
}

pub(super) fn spawn<S: TableSet>(
    database: Arc<redb::Database>,
    stats: Arc<WriterStats>,
    policy: WriterPolicy,
    capacity: usize,
    unsynced: Arc<AtomicU64>,
) -> io::Result<(WriterHandle<S>, std::thread::JoinHandle<()>)> {
    let (sender, receiver) = flume::bounded(capacity);
    let thread = std::thread::Builder::new()
        .name(policy.name.into())
        .spawn(move || Writer::<S>::new(&database, &stats, policy, unsynced).run(&receiver))?;
    Ok((WriterHandle { sender }, thread))
}

struct Writer<'a, S: TableSet> {
    database: &'a redb::Database,
    stats: &'a WriterStats,
    policy: WriterPolicy,
    last_commit: Instant,
    last_durable: Instant,
    /// Non-durable commits were made since the last durable one.
    unsynced: bool,
    /// Bytes those commits wrote (still in memory; the disk-space reserve counts them).
    unsynced_bytes: Arc<AtomicU64>,
    batch: Vec<WriteOp<S>>,
}

impl<'a, S: TableSet> Writer<'a, S> {
    fn new(
        database: &'a redb::Database,
        stats: &'a WriterStats,
        policy: WriterPolicy,
        unsynced_bytes: Arc<AtomicU64>,
    ) -> Self {
        let now = Instant::now();
        Writer {
            database,
            stats,
            policy,
            last_commit: now,
            last_durable: now,
            unsynced: false,
            unsynced_bytes,
            batch: Vec::with_capacity(MAX_BATCH),
        }
    }

    /// Time left before unsynced commits must be made durable; None when nothing is due.
    fn durable_due_in(&self) -> Option<Duration> {
        let every = self.policy.durable_every?;
        self.unsynced
            .then(|| every.saturating_sub(self.last_durable.elapsed()))
    }

    fn run(mut self, receiver: &flume::Receiver<WriteOp<S>>) {
        loop {
            // Wait for work, or for the moment unsynced commits must become durable.
            let first = match self.durable_due_in() {
                Some(due) => match receiver.recv_timeout(due) {
                    Ok(op) => Some(op),
                    Err(flume::RecvTimeoutError::Timeout) => None,
                    Err(flume::RecvTimeoutError::Disconnected) => break,
                },
                None => match receiver.recv() {
                    Ok(op) => Some(op),
                    Err(_) => break,
                },
            };
            match first {
                Some(op) => self.batch.push(op),
                None => {
                    self.commit(true);
                    continue;
                }
            }
            self.gather(receiver);
            let durable = self.batch.iter().any(|op| op.durable)
                || self.durable_due_in() == Some(Duration::ZERO);
            self.commit(durable);
        }
        // Every handle is gone: commit what is left and leave the file durable.
        self.drain(receiver);
        if !self.batch.is_empty() || self.unsynced {
            self.commit(true);
        }
    }

    /// Collects more operations: everything queued now, then whatever arrives until the
    /// gathering interval since the last commit has passed, unless a durable operation is
    /// waiting (it commits at once).
    fn gather(&mut self, receiver: &flume::Receiver<WriteOp<S>>) {
        loop {
            self.drain(receiver);
            let waited = self.last_commit.elapsed();
            if self.batch.len() >= MAX_BATCH
                || waited >= self.policy.gather
                || self.batch.iter().any(|op| op.durable)
            {
                return;
            }
            let remaining = self.policy.gather - waited;
            if self.policy.sleep_while_gathering {
                // Senders are not woken one by one: one sleep, then take whatever came.
                std::thread::sleep(remaining);
            } else {
                match receiver.recv_timeout(remaining) {
                    Ok(op) => self.batch.push(op),
                    Err(_) => return,
                }
            }
        }
    }

    fn drain(&mut self, receiver: &flume::Receiver<WriteOp<S>>) {
        while self.batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(op) => self.batch.push(op),
                Err(_) => break,
            }
        }
    }

    fn commit(&mut self, durable: bool) {
        let ops: Vec<WriteOp<S>> = self.batch.drain(..).collect();
        let appended: u64 = ops.iter().map(|op| op.appended_entries).sum();
        let bytes: u64 = ops.iter().map(|op| op.bytes).sum();
        let count = ops.len() as u64;
        let (work, completions): (Vec<WriteFn<S>>, Vec<Completion>) =
            ops.into_iter().map(|op| (op.work, op.done)).unzip();
        let started = Instant::now();
        let result = commit_batch::<S>(self.database, durable, self.policy.quick_repair, work);
        self.last_commit = Instant::now();
        let stats = self.stats;
        match &result {
            Ok(()) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.operations.fetch_add(count, Ordering::Relaxed);
                stats
                    .entries_appended
                    .fetch_add(appended, Ordering::Relaxed);
                let writer = self.policy.name;
                metrics::counter!("shoal_storage_commits_total", "writer" => writer).increment(1);
                metrics::counter!("shoal_storage_write_operations_total", "writer" => writer)
                    .increment(count);
                metrics::counter!("shoal_storage_written_bytes_total", "writer" => writer)
                    .increment(bytes);
                if durable {
                    stats.durable_commits.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("shoal_storage_fsyncs_total", "writer" => writer)
                        .increment(1);
                    metrics::histogram!("shoal_storage_durable_commit_duration_seconds", "writer" => writer)
                        .record((self.last_commit - started).as_secs_f64());
                    self.last_durable = self.last_commit;
                    self.unsynced = false;
                    self.unsynced_bytes.store(0, Ordering::Relaxed);
                } else {
                    self.unsynced = true;
                    self.unsynced_bytes.fetch_add(bytes, Ordering::Relaxed);
                }
            }
            Err(error) => {
                tracing::error!(writer = self.policy.name, %error, operations = count, "storage commit failed")
            }
        }
        for done in completions {
            let outcome = match &result {
                Ok(()) => Ok(()),
                Err(error) => Err(io::Error::new(error.kind(), error.to_string())),
            };
            done(outcome);
        }
    }
}

fn commit_batch<S: TableSet>(
    database: &redb::Database,
    durable: bool,
    quick_repair: bool,
    work: Vec<WriteFn<S>>,
) -> io::Result<()> {
    let mut txn = database.begin_write().map_err(io::Error::other)?;
    txn.set_durability(if durable {
        Durability::Immediate
    } else {
        Durability::None
    })
    .map_err(io::Error::other)?;
    if durable && quick_repair {
        txn.set_quick_repair(true);
    }
    {
        let mut tables = S::open(&txn)?;
        for job in work {
            // A failing job aborts the transaction: no partial batch ever commits. A panicking
            // job is a failure too, so the writer thread survives and every caller is answered.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut tables))).map_err(
                |panic| {
                    let why = super::panic_message(panic.as_ref());
                    super::damaged_file(
                        std::path::Path::new(S::FILE),
                        &format!("the storage engine failed writing it: {why}"),
                    )
                },
            )??;
        }
    }
    txn.commit().map_err(io::Error::other)
}
