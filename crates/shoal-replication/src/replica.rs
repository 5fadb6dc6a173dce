//! This node's replica of one data shard: KV operations on top of its Raft group, and the
//! leader-side expiry collector.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shoal_consensus::{GroupStatus, RaftGroup};
use shoal_shardmap::{HashRange, ShardId};

use crate::clock::Clock;
use crate::error::ReplicationError;
use crate::kv::{self, KvCommand, KvResponse};

/// How a read is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// Confirmed by the shard leader with a quorum (ReadIndex) before reading.
    Linearizable,
    /// From this replica's applied state, without a quorum round.
    Stale,
}

/// One operation of a [`ShardReplica::batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        ttl_ms: u64,
        if_version: Option<u64>,
    },
    Get {
        key: Vec<u8>,
        consistency: Consistency,
    },
    Delete {
        key: Vec<u8>,
        if_version: Option<u64>,
    },
    Touch {
        key: Vec<u8>,
        ttl_ms: u64,
    },
}

impl BatchOp {
    /// The key the operation is about.
    pub fn key(&self) -> &[u8] {
        match self {
            BatchOp::Put { key, .. }
            | BatchOp::Get { key, .. }
            | BatchOp::Delete { key, .. }
            | BatchOp::Touch { key, .. } => key,
        }
    }

    fn is_read(&self) -> bool {
        matches!(self, BatchOp::Get { .. })
    }
}

/// What one operation of a batch came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    Put { version: u64 },
    Get(Option<ReadValue>),
    Delete { deleted: bool },
    Touch { found: bool },
}

/// A live key as returned by a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadValue {
    pub value: Vec<u8>,
    pub version: u64,
    /// Milliseconds left before expiry; 0 = the key never expires.
    pub ttl_remaining_ms: u64,
}

/// How long a key count stays good for while the replica keeps applying writes.
const KEY_COUNT_FRESH: Duration = Duration::from_secs(2);

/// This node's replica of one shard (cheap to clone: every clone is the same replica).
#[derive(Debug, Clone)]
pub struct ShardReplica {
    id: ShardId,
    range: HashRange,
    group: RaftGroup,
    clock: Clock,
    /// The last key count: applied index it was taken at, when, and the count.
    key_count: Arc<Mutex<Option<(u64, Instant, u64)>>>,
}

impl ShardReplica {
    pub fn new(id: ShardId, range: HashRange, group: RaftGroup, clock: Clock) -> ShardReplica {
        ShardReplica {
            id,
            range,
            group,
            clock,
            key_count: Arc::default(),
        }
    }

    pub fn id(&self) -> ShardId {
        self.id
    }

    pub fn range(&self) -> HashRange {
        self.range
    }

    pub fn group(&self) -> &RaftGroup {
        &self.group
    }

    pub fn status(&self) -> GroupStatus {
        self.group.status()
    }

    /// Absolute expiry for a TTL counted from `now_ms`; 0 stays "no expiry".
    fn expiry(now_ms: u64, ttl_ms: u64) -> u64 {
        if ttl_ms == 0 {
            0
        } else {
            now_ms.saturating_add(ttl_ms)
        }
    }

    /// Refuses a client write this node would have to lead while its disk cannot take it
    /// (a follower's answer stays NotLeader, so the write finds the leader).
    fn admit(&self, adds_data: bool) -> Result<(), ReplicationError> {
        match self.group.write_refusal(adds_data) {
            Some(why) if self.group.is_leader() => Err(ReplicationError::ResourceExhausted(
                format!("shard {} refuses the write: {why}", self.id),
            )),
            _ => Ok(()),
        }
    }

    async fn propose(&self, command: KvCommand) -> Result<KvResponse, ReplicationError> {
        let (_, response) = self.group.propose(command.encode()).await?;
        match KvResponse::decode(&response)? {
            KvResponse::Rejected { reason } => Err(ReplicationError::Internal(format!(
                "shard {} rejected a command: {reason}",
                self.id
            ))),
            response => Ok(response),
        }
    }

    fn mismatch(expected: Option<u64>, current: u64) -> ReplicationError {
        ReplicationError::VersionMismatch {
            expected: expected.unwrap_or_default(),
            current,
        }
    }

    /// Writes `value`; returns the key's new version.
    pub async fn put(
        &self,
        key: Vec<u8>,
        value: Vec<u8>,
        ttl_ms: u64,
        if_version: Option<u64>,
    ) -> Result<u64, ReplicationError> {
        self.admit(true)?;
        let now_ms = self.clock.now_ms();
        let command = KvCommand::Put {
            key,
            value,
            expires_at_ms: Self::expiry(now_ms, ttl_ms),
            if_version,
            now_ms,
        };
        match self.propose(command).await? {
            KvResponse::Put { version } => Ok(version),
            KvResponse::VersionMismatch { current } => Err(Self::mismatch(if_version, current)),
            other => Err(unexpected("put", &other)),
        }
    }

    /// Deletes a key; returns whether a live key was removed.
    pub async fn delete(
        &self,
        key: Vec<u8>,
        if_version: Option<u64>,
    ) -> Result<bool, ReplicationError> {
        self.admit(false)?;
        let command = KvCommand::Delete {
            key,
            if_version,
            now_ms: self.clock.now_ms(),
        };
        match self.propose(command).await? {
            KvResponse::Delete { deleted } => Ok(deleted),
            KvResponse::VersionMismatch { current } => Err(Self::mismatch(if_version, current)),
            other => Err(unexpected("delete", &other)),
        }
    }

    /// Sets a new TTL from now (0 removes the expiry); returns whether the key was live.
    pub async fn touch(&self, key: Vec<u8>, ttl_ms: u64) -> Result<bool, ReplicationError> {
        self.admit(false)?;
        let now_ms = self.clock.now_ms();
        let command = KvCommand::Touch {
            key,
            expires_at_ms: Self::expiry(now_ms, ttl_ms),
            now_ms,
        };
        match self.propose(command).await? {
            KvResponse::Touch { found } => Ok(found),
            other => Err(unexpected("touch", &other)),
        }
    }

    /// Reads a key. Expired keys are invisible at once, before the collector removes them.
    ///
    /// A linearizable read judges expiry at `max(this node's clock, the shard's clock)`.
    /// When the key has expired by this node's clock but not yet in log order, the expiry
    /// is proposed first (an `Expire` entry for the key) and the key read again: otherwise a
    /// command stamped before this read but applied after it could still find the key
    /// alive (and, say, extend it with Touch), undoing an expiry a client already saw.
    pub async fn get(
        &self,
        key: &[u8],
        consistency: Consistency,
    ) -> Result<Option<ReadValue>, ReplicationError> {
        if consistency == Consistency::Stale {
            if !self.group.is_voter() {
                // A replica being moved here may still be empty: it serves no reads until
                // it votes, so the request goes to the leader instead.
                return Err(ReplicationError::NotLeader {
                    group: shoal_shardmap::GroupId::for_shard(self.id),
                    leader: self.group.leader(),
                    leader_address: None,
                });
            }
            let reader = self.group.reader()?;
            let record = kv::read_record(&reader, key)?;
            return Ok(Self::visible(record, self.clock.now_ms()));
        }
        self.group.linearizable_barrier().await?;
        self.read_after_barrier(key).await
    }

    /// Reads `key` once this replica has applied every write committed before a barrier
    /// (the second half of a linearizable [`ShardReplica::get`]).
    async fn read_after_barrier(&self, key: &[u8]) -> Result<Option<ReadValue>, ReplicationError> {
        let reader = self.group.reader()?;
        let Some(record) = kv::read_record(&reader, key)? else {
            return Ok(None);
        };
        let shard_clock = kv::read_clock(&reader)?;
        let now_ms = self.clock.now_ms().max(shard_clock);
        if record.is_live_at(now_ms) || !record.is_live_at(shard_clock) {
            return Ok(Self::visible(Some(record), now_ms));
        }
        self.propose(KvCommand::Expire {
            now_ms,
            keys: vec![(key.to_vec(), record.version)],
        })
        .await?;
        let reader = self.group.reader()?;
        let record = kv::read_record(&reader, key)?;
        Ok(Self::visible(record, kv::read_clock(&reader)?))
    }

    /// Runs a batch of operations on this shard, in order: each run of consecutive writes
    /// goes to Raft as one proposal of many entries, each run of consecutive reads is
    /// served after one barrier. The outer error means the batch changed nothing (its
    /// first write run was refused, e.g. this node does not lead): it may be sent again
    /// whole. Once a write run went through, a later failure becomes the result of each
    /// operation it stopped.
    pub async fn batch(
        &self,
        operations: Vec<BatchOp>,
    ) -> Result<Vec<Result<BatchOutcome, ReplicationError>>, ReplicationError> {
        let mut results = Vec::with_capacity(operations.len());
        let mut wrote = false;
        let mut operations = operations.into_iter().peekable();
        while let Some(first) = operations.next() {
            let reading = first.is_read();
            let mut run = vec![first];
            while let Some(next) = operations.next_if(|next| next.is_read() == reading) {
                run.push(next);
            }
            let len = run.len();
            let done = if reading {
                self.read_run(run).await
            } else {
                self.write_run(run).await
            };
            match done {
                Ok(done) => results.extend(done),
                Err(error) if !wrote => return Err(error),
                Err(error) => {
                    let stopped = len + operations.len();
                    results.extend(std::iter::repeat_n(Err(error), stopped));
                    break;
                }
            }
            wrote |= !reading;
        }
        Ok(results)
    }

    async fn read_run(
        &self,
        reads: Vec<BatchOp>,
    ) -> Result<Vec<Result<BatchOutcome, ReplicationError>>, ReplicationError> {
        let linearizable = reads.iter().any(|op| {
            matches!(
                op,
                BatchOp::Get {
                    consistency: Consistency::Linearizable,
                    ..
                }
            )
        });
        if linearizable {
            self.group.linearizable_barrier().await?;
        }
        let mut results = Vec::with_capacity(reads.len());
        for op in reads {
            let BatchOp::Get { key, consistency } = op else {
                unreachable!("a read run holds gets only")
            };
            let read = if linearizable {
                self.read_after_barrier(&key).await
            } else {
                self.get(&key, consistency).await
            };
            results.push(read.map(BatchOutcome::Get));
        }
        Ok(results)
    }

    async fn write_run(
        &self,
        writes: Vec<BatchOp>,
    ) -> Result<Vec<Result<BatchOutcome, ReplicationError>>, ReplicationError> {
        self.admit(writes.iter().any(|op| matches!(op, BatchOp::Put { .. })))?;
        let now_ms = self.clock.now_ms();
        let mut expected = Vec::with_capacity(writes.len());
        let commands: Vec<Vec<u8>> = writes
            .into_iter()
            .map(|op| {
                let command = match op {
                    BatchOp::Put {
                        key,
                        value,
                        ttl_ms,
                        if_version,
                    } => {
                        expected.push(if_version);
                        KvCommand::Put {
                            key,
                            value,
                            expires_at_ms: Self::expiry(now_ms, ttl_ms),
                            if_version,
                            now_ms,
                        }
                    }
                    BatchOp::Delete { key, if_version } => {
                        expected.push(if_version);
                        KvCommand::Delete {
                            key,
                            if_version,
                            now_ms,
                        }
                    }
                    BatchOp::Touch { key, ttl_ms } => {
                        expected.push(None);
                        KvCommand::Touch {
                            key,
                            expires_at_ms: Self::expiry(now_ms, ttl_ms),
                            now_ms,
                        }
                    }
                    BatchOp::Get { .. } => unreachable!("a write run holds no gets"),
                };
                command.encode()
            })
            .collect();
        let proposed = self.group.propose_many(commands).await?;
        Ok(proposed
            .into_iter()
            .zip(expected)
            .map(|(result, if_version)| {
                let (_, response) = result?;
                match KvResponse::decode(&response)? {
                    KvResponse::Put { version } => Ok(BatchOutcome::Put { version }),
                    KvResponse::Delete { deleted } => Ok(BatchOutcome::Delete { deleted }),
                    KvResponse::Touch { found } => Ok(BatchOutcome::Touch { found }),
                    KvResponse::VersionMismatch { current } => {
                        Err(Self::mismatch(if_version, current))
                    }
                    KvResponse::Rejected { reason } => Err(ReplicationError::Internal(format!(
                        "shard {} rejected a command: {reason}",
                        self.id
                    ))),
                    other => Err(unexpected("a batch write", &other)),
                }
            })
            .collect())
    }

    /// The value a reader sees at `now_ms`: none when absent or expired.
    fn visible(record: Option<kv::Record>, now_ms: u64) -> Option<ReadValue> {
        let record = record?;
        if !record.is_live_at(now_ms) {
            return None;
        }
        let ttl_remaining_ms = if record.expires_at_ms == 0 {
            0
        } else {
            (record.expires_at_ms - now_ms).max(1)
        };
        Some(ReadValue {
            value: record.value,
            version: record.version,
            ttl_remaining_ms,
        })
    }

    /// Number of keys stored in this replica (including expired ones not yet collected).
    /// Counting reads every key, so it runs on a blocking thread, and a count is reused
    /// while nothing was applied since, or for a couple of seconds while writes flow.
    pub async fn key_count(&self) -> Result<u64, ReplicationError> {
        let applied = self.group.status().applied_index;
        if let Some((at, when, count)) = *self.key_count.lock().expect("key count poisoned")
            && (at == applied || when.elapsed() < KEY_COUNT_FRESH)
        {
            return Ok(count);
        }
        let reader = self.group.reader()?;
        let count = tokio::task::spawn_blocking(move || reader.count(kv::SPACE_KEYS))
            .await
            .map_err(|error| ReplicationError::Internal(format!("counting keys: {error}")))??;
        *self.key_count.lock().expect("key count poisoned") =
            Some((applied, Instant::now(), count));
        Ok(count)
    }

    /// On the leader: proposes one batch removing keys expired by the leader's clock.
    /// Returns how many keys were found expired (0 when not leader or nothing expired).
    pub async fn collect_expired(&self, batch: usize) -> Result<usize, ReplicationError> {
        if !self.group.is_leader() {
            return Ok(0);
        }
        let now_ms = self.clock.now_ms();
        let keys = kv::expired_keys(&self.group.reader()?, now_ms, batch)?;
        let found = keys.len();
        if found > 0 {
            self.propose(KvCommand::Expire { now_ms, keys }).await?;
            metrics::counter!("shoal_ttl_expired_keys_total").increment(found as u64);
        }
        Ok(found)
    }
}

fn unexpected(operation: &str, response: &KvResponse) -> ReplicationError {
    ReplicationError::Internal(format!("unexpected response to {operation}: {response:?}"))
}

/// Runs the expiry collector for `shards` until `cancel` fires: every `interval`, each shard
/// this node leads proposes a batch of removals; a full batch is followed at once by another.
pub async fn run_expiry_collector(
    shards: impl Fn() -> Vec<ShardReplica>,
    interval: Duration,
    batch: usize,
    cancel: tokio_util::sync::CancellationToken,
) {
    loop {
        let mut busy = false;
        for shard in &shards() {
            match shard.collect_expired(batch).await {
                Ok(found) => busy |= found >= batch,
                Err(error) => {
                    tracing::debug!(shard_id = %shard.id(), %error, "expiry collection skipped")
                }
            }
        }
        if busy {
            tokio::task::yield_now().await;
            if cancel.is_cancelled() {
                return;
            }
            continue;
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
