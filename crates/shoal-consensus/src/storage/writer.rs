//! The single writer thread: drains queued operations, runs them in one redb write
//! transaction, commits once (fsync only when an operation needs it), then completes
//! every callback. This is the group commit shared by all Raft groups of a node.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use redb::Durability;
use tokio::sync::{mpsc, oneshot};

use super::{DATA, LOG, MACHINE_STATE, RAFT_STATE, StorageStats};

/// Upper bound of operations folded into one transaction, so one commit stays short.
const MAX_BATCH: usize = 1024;

/// The open tables of the writer's current transaction, handed to closures.
pub struct WriteTables<'txn> {
    pub(crate) log: redb::Table<'txn, (u64, u64), &'static [u8]>,
    pub(crate) raft_state: redb::Table<'txn, (u64, u8), &'static [u8]>,
    pub(crate) machine_state: redb::Table<'txn, (u64, u8), &'static [u8]>,
    pub(crate) data: redb::Table<'txn, (u64, u8, &'static [u8]), &'static [u8]>,
}

/// Work done inside the shared transaction. Errors abort the whole batch.
pub type WriteFn = Box<dyn FnOnce(&mut WriteTables<'_>) -> io::Result<()> + Send>;

/// Called once the transaction holding the operation committed (or failed).
pub type Completion = Box<dyn FnOnce(io::Result<()>) + Send>;

/// Which tables an operation writes. Operations of different classes never touch the
/// same rows, so the writer may commit them in separate transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpClass {
    /// Raft logs and votes: appends, truncations, purges, vote saves.
    Log,
    /// State machines: applies, snapshot installs and pointers, the committed-index hint.
    Machine,
}

/// One queued write.
pub struct WriteOp {
    pub class: OpClass,
    /// True when the caller may only be told "done" after an fsync.
    pub durable: bool,
    /// Log entries this operation appends (for counters only).
    pub appended_entries: u64,
    pub work: WriteFn,
    pub done: Completion,
}

/// Cloneable sender side of the writer queue.
#[derive(Clone)]
pub struct WriterHandle {
    sender: mpsc::Sender<WriteOp>,
}

impl WriterHandle {
    /// Queues an operation; waits only while the queue is full.
    pub async fn submit(&self, op: WriteOp) -> io::Result<()> {
        self.sender
            .send(op)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "storage writer has stopped"))
    }

    /// Runs `work` in the next transaction of its class and waits for its commit.
    pub async fn run(&self, class: OpClass, durable: bool, work: WriteFn) -> io::Result<()> {
        let (tx, rx) = oneshot::channel();
        self.submit(WriteOp {
            class,
            durable,
            appended_entries: 0,
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
    pub async fn call<T, F>(&self, class: OpClass, durable: bool, work: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTables<'_>) -> io::Result<T> + Send + 'static,
    {
        let slot = Arc::new(std::sync::Mutex::new(None));
        let filled = slot.clone();
        self.run(
            class,
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
    pub async fn submit_detached(
        &self,
        class: OpClass,
        durable: bool,
        work: WriteFn,
    ) -> io::Result<()> {
        self.submit(WriteOp {
            class,
            durable,
            appended_entries: 0,
            work,
            done: Box::new(|result| {
                if let Err(error) = result {
                    tracing::error!(%error, "detached storage write failed");
                }
            }),
        })
        .await
    }

    /// Waits until everything queued before this call is durable.
    pub async fn flush(&self) -> io::Result<()> {
        self.run(OpClass::Log, true, Box::new(|_| Ok(()))).await
    }
}

pub(super) fn spawn(
    database: Arc<redb::Database>,
    stats: Arc<StorageStats>,
    capacity: usize,
) -> io::Result<(WriterHandle, std::thread::JoinHandle<()>)> {
    let (sender, receiver) = mpsc::channel(capacity);
    let thread = std::thread::Builder::new()
        .name("shoal-storage-writer".into())
        .spawn(move || run_writer(&database, &stats, receiver))?;
    Ok((WriterHandle { sender }, thread))
}

fn run_writer(
    database: &redb::Database,
    stats: &StorageStats,
    mut receiver: mpsc::Receiver<WriteOp>,
) {
    let mut batch: Vec<WriteOp> = Vec::with_capacity(MAX_BATCH);
    // `blocking_recv` returns None once every handle is dropped: the writer then exits.
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        // State-machine work first, usually without an fsync, so applies (and the client
        // answers waiting on them) never wait behind the log's fsync; then the log batch.
        let (machine, log): (Vec<WriteOp>, Vec<WriteOp>) =
            batch.drain(..).partition(|op| op.class == OpClass::Machine);
        commit_and_complete(database, stats, machine);
        commit_and_complete(database, stats, log);
    }
}

fn commit_and_complete(database: &redb::Database, stats: &StorageStats, ops: Vec<WriteOp>) {
    if ops.is_empty() {
        return;
    }
    let durable = ops.iter().any(|op| op.durable);
    let appended: u64 = ops.iter().map(|op| op.appended_entries).sum();
    let count = ops.len() as u64;
    let (work, completions): (Vec<WriteFn>, Vec<Completion>) =
        ops.into_iter().map(|op| (op.work, op.done)).unzip();
    let result = commit_batch(database, durable, work);
    match &result {
        Ok(()) => {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats.operations.fetch_add(count, Ordering::Relaxed);
            stats
                .entries_appended
                .fetch_add(appended, Ordering::Relaxed);
            metrics::counter!("shoal_storage_commits_total").increment(1);
            metrics::counter!("shoal_storage_write_operations_total").increment(count);
            if durable {
                stats.durable_commits.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("shoal_storage_fsyncs_total").increment(1);
            }
        }
        Err(error) => tracing::error!(%error, operations = count, "storage commit failed"),
    }
    for done in completions {
        let outcome = match &result {
            Ok(()) => Ok(()),
            Err(error) => Err(io::Error::new(error.kind(), error.to_string())),
        };
        done(outcome);
    }
}

fn commit_batch(database: &redb::Database, durable: bool, work: Vec<WriteFn>) -> io::Result<()> {
    let mut txn = database.begin_write().map_err(io::Error::other)?;
    txn.set_durability(if durable {
        Durability::Immediate
    } else {
        Durability::None
    })
    .map_err(io::Error::other)?;
    {
        let mut tables = WriteTables {
            log: txn.open_table(LOG).map_err(io::Error::other)?,
            raft_state: txn.open_table(RAFT_STATE).map_err(io::Error::other)?,
            machine_state: txn.open_table(MACHINE_STATE).map_err(io::Error::other)?,
            data: txn.open_table(DATA).map_err(io::Error::other)?,
        };
        for job in work {
            // A failing job aborts the transaction: no partial batch ever commits. A panicking
            // job is a failure too, so the writer thread survives and every caller is answered.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut tables)))
                .map_err(|_| io::Error::other("a storage write panicked"))??;
        }
    }
    txn.commit().map_err(io::Error::other)
}
