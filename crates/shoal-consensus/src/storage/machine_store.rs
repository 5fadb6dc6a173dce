//! Per-group openraft state machine over `state.redb`: applies committed entries against the
//! group's overlay and answers at once (the state writer commits the changes shortly after,
//! data and applied index together), builds snapshot files from a durable, consistent read
//! view, and installs snapshots received from a leader.

use shoal_shardmap::GroupId;
use std::io;
use std::sync::Arc;

use futures::{Stream, TryStreamExt};
use openraft::alias::SnapshotOf;
use openraft::entry::RaftEntry;
use openraft::storage::{EntryResponder, RaftSnapshotBuilder, RaftStateMachine, Snapshot};
use openraft::{EntryPayload, OptionalSend};
use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

use super::digest::{self, digest_point_id};
use super::overlay::{Change, GroupOverlay, GroupWriter};
use super::snapshot::{SnapshotFile, SnapshotWriter, read_snapshot};
use super::tally::Tally;
use super::writer::WriteOp;
use super::{
    MACHINE_APPLIED, MACHINE_MEMBERSHIP, MACHINE_SNAPSHOT, MACHINE_STATE, Storage, decode, encode,
};
use crate::machine::StateMachine;
use crate::types::{CommandResponse, LogId, SnapshotMeta, StoredMembership, TypeConfig};

/// How fast a consistency check reads a replica's state (off the apply path, but it shares
/// the disk and the CPU with the foreground).
const CHECK_BYTES_PER_SECOND: u64 = 64 << 20;

/// Where the group's current snapshot is: recorded in the machine-state table.
#[derive(Serialize, Deserialize)]
struct SnapshotPointer {
    meta: SnapshotMeta,
    file_name: String,
}

/// The state machine of one group.
#[derive(Clone)]
pub struct MachineStore {
    group: u64,
    storage: Storage,
    overlay: Arc<GroupOverlay>,
    machine: Arc<dyn StateMachine>,
}

impl MachineStore {
    pub fn new(storage: Storage, group: GroupId, machine: Arc<dyn StateMachine>) -> MachineStore {
        let group = group.0;
        MachineStore {
            group,
            overlay: storage.overlay(group),
            storage,
            machine,
        }
    }

    fn read_machine_state<T: serde::de::DeserializeOwned>(
        &self,
        kind: u8,
    ) -> io::Result<Option<T>> {
        let txn = self
            .storage
            .state_database()
            .begin_read()
            .map_err(io::Error::other)?;
        let table = txn.open_table(MACHINE_STATE).map_err(io::Error::other)?;
        let value = table.get((self.group, kind)).map_err(io::Error::other)?;
        value.map(|v| decode(v.value())).transpose()
    }

    fn snapshot_path(&self, file_name: &str) -> std::path::PathBuf {
        self.storage.snapshot_dir().join(file_name)
    }

    /// Deletes this group's finished snapshot files other than `keep` (files being written
    /// carry a `.snap.tmp` name and are left alone).
    fn remove_other_snapshots(&self, keep: &str) {
        let prefix = format!("group-{}-", self.group);
        let Ok(dir) = std::fs::read_dir(self.storage.snapshot_dir()) else {
            return;
        };
        for entry in dir.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(&prefix) && name.ends_with(".snap") && name != keep {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Makes `file_name` the group's current snapshot unless a newer one is already
    /// recorded (a build may finish after a newer snapshot was installed), then deletes the
    /// files that lost.
    async fn record_snapshot(&self, meta: &SnapshotMeta, file_name: String) -> io::Result<()> {
        let pointer = encode(&SnapshotPointer {
            meta: meta.clone(),
            file_name: file_name.clone(),
        })?;
        let group = self.group;
        let last_log_id = meta.last_log_id;
        let current = self
            .storage
            .state_writer()
            .call(true, move |tables| {
                replace_pointer_if_newer(&mut tables.machine_state, group, last_log_id, &pointer)
            })
            .await?;
        self.remove_other_snapshots(&current);
        Ok(())
    }
}

impl MachineStore {
    /// At digest point `id` (everything up to it applied and queued): commits the state so
    /// far, opens a read transaction — the state exactly at the point — and digests it off
    /// the apply path at the check's rate; the result waits in the storage's digest points.
    async fn digest_at_point(&self, id: u64) -> io::Result<()> {
        let storage = self.storage.clone();
        storage
            .state_writer()
            .run(false, Box::new(|_| Ok(())))
            .await?;
        let txn = storage
            .state_database()
            .begin_read()
            .map_err(io::Error::other)?;
        let group = self.group;
        tokio::task::spawn_blocking(move || {
            let checker = storage.state_checker();
            let result = checker
                .guard(group, super::STATE_FILE, || {
                    digest::digest_of(&txn, group, &checker, Some(CHECK_BYTES_PER_SECOND))
                })
                .map_err(|error| error.to_string());
            if let Ok(digest) = &result {
                tracing::debug!(
                    group,
                    point = id,
                    index = digest.index,
                    keys = digest.keys,
                    elapsed_ms = digest.elapsed.as_millis() as u64,
                    "digest point taken"
                );
            }
            storage.digest_points().record(group, id, result);
        });
        Ok(())
    }

    /// Queues an applied batch's changes for the state writer; once committed they leave the
    /// overlay. Waits only while the writer's queue is full (back-pressure on apply).
    async fn queue_changes(
        &self,
        seq: u64,
        changes: Vec<Change>,
        applied: Option<LogId>,
        membership: Option<StoredMembership>,
    ) -> io::Result<()> {
        let group = self.group;
        let applied = encode(&applied)?;
        let membership = membership.map(|m| encode(&m)).transpose()?;
        let changes = Arc::new(changes);
        let written = changes.clone();
        let overlay = self.overlay.clone();
        self.storage
            .state_writer()
            .submit(WriteOp {
                durable: false,
                appended_entries: 0,
                bytes: changes
                    .iter()
                    .map(|c| (c.key.len() + c.value.as_ref().map_or(0, |v| v.len())) as u64)
                    .sum(),
                work: Box::new(move |tables| {
                    let mut tally = Tally::read(&tables.machine_state, group)?;
                    for change in written.iter() {
                        tables.write_record(
                            &mut tally,
                            group,
                            change.space,
                            &change.key,
                            change.value.as_deref(),
                        )?;
                    }
                    tally.write(&mut tables.machine_state, group)?;
                    tables
                        .machine_state
                        .insert((group, MACHINE_APPLIED), applied.as_slice())
                        .map_err(io::Error::other)?;
                    if let Some(membership) = &membership {
                        tables
                            .machine_state
                            .insert((group, MACHINE_MEMBERSHIP), membership.as_slice())
                            .map_err(io::Error::other)?;
                    }
                    Ok(())
                }),
                done: Box::new(move |result| match result {
                    Ok(()) => overlay.committed(seq, &changes),
                    // The changes stay in the overlay, so reads stay right; the group stops at
                    // its next storage write, which fails the same way.
                    Err(error) => tracing::error!(group, %error, "committing applied state failed"),
                }),
            })
            .await
    }
}

impl Storage {
    /// The applied index of `group`'s state machine and an XXH3-64 digest of all its data
    /// (space, key, value, in key order) at that index, once everything applied so far is
    /// committed. Reads the whole group: meant for tests and audits.
    pub async fn state_digest(&self, group: GroupId) -> io::Result<(u64, u64)> {
        let group = group.0;
        self.state_writer().run(false, Box::new(|_| Ok(()))).await?;
        let storage = self.clone();
        let checker = self.state_checker();
        tokio::task::spawn_blocking(move || {
            let txn = storage
                .state_database()
                .begin_read()
                .map_err(io::Error::other)?;
            let digest = digest::digest_of(&txn, group, &checker, None)?;
            Ok((digest.index, digest.digest))
        })
        .await
        .map_err(io::Error::other)?
    }
}

/// Inside a writer transaction: records `pointer` as the group's snapshot if it is newer than
/// the recorded one. Returns the file name of the snapshot that is current afterwards.
fn replace_pointer_if_newer(
    machine_state: &mut redb::Table<'_, (u64, u8), &'static [u8]>,
    group: u64,
    last_log_id: Option<LogId>,
    pointer: &[u8],
) -> io::Result<String> {
    let recorded: Option<SnapshotPointer> = machine_state
        .get((group, MACHINE_SNAPSHOT))
        .map_err(io::Error::other)?
        .map(|v| decode(v.value()))
        .transpose()?;
    if let Some(recorded) = recorded
        && recorded.meta.last_log_id >= last_log_id
    {
        return Ok(recorded.file_name);
    }
    machine_state
        .insert((group, MACHINE_SNAPSHOT), pointer)
        .map_err(io::Error::other)?;
    let new: SnapshotPointer = decode(pointer)?;
    Ok(new.file_name)
}

/// A fresh file name per build: the nanosecond stamp only keeps two builds of the same
/// index apart (it means nothing as a time, so it does not go through the shard clock).
#[allow(clippy::disallowed_methods)]
fn snapshot_file_name(group: u64, meta: &SnapshotMeta) -> String {
    let index = meta.last_log_id.as_ref().map_or(0, |log_id| log_id.index);
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("group-{group}-{index}-{unique}.snap")
}

impl RaftStateMachine<TypeConfig> for MachineStore {
    type SnapshotData = SnapshotFile;
    type SnapshotBuilder = MachineStore;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), io::Error> {
        if let Some((applied, membership)) = self.overlay.pending_applied() {
            let membership = match membership {
                Some(membership) => membership,
                None => self
                    .read_machine_state(MACHINE_MEMBERSHIP)?
                    .unwrap_or_default(),
            };
            return Ok((applied, membership));
        }
        let applied: Option<LogId> = self
            .read_machine_state::<Option<LogId>>(MACHINE_APPLIED)?
            .flatten();
        let membership: Option<StoredMembership> = self.read_machine_state(MACHINE_MEMBERSHIP)?;
        Ok((applied, membership.unwrap_or_default()))
    }

    async fn apply<Strm>(&mut self, entries: Strm) -> Result<(), io::Error>
    where
        Strm: Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>> + Unpin + OptionalSend,
    {
        let batch: Vec<EntryResponder<TypeConfig>> = entries.try_collect().await?;
        if batch.is_empty() {
            return Ok(());
        }
        let mut responders = Vec::with_capacity(batch.len());
        let mut payloads = Vec::with_capacity(batch.len());
        for (entry, responder) in batch {
            responders.push(responder);
            payloads.push(entry);
        }
        let mut responses = Vec::with_capacity(payloads.len());
        let mut entries = payloads.into_iter().peekable();
        while entries.peek().is_some() {
            // Apply up to and including the next digest point, as one batch of changes.
            let seq = self.overlay.begin_batch();
            let reader = self.storage.reader(GroupId(self.group));
            let mut changes = Vec::new();
            let mut last_applied = None;
            let mut membership = None;
            let mut point = None;
            for entry in entries.by_ref() {
                let log_id = entry.log_id();
                let response = match entry.payload {
                    EntryPayload::Blank => Vec::new(),
                    EntryPayload::Normal(command) => match digest_point_id(&command.0) {
                        Some(id) => {
                            point = Some(id);
                            Vec::new()
                        }
                        None => {
                            let mut data = GroupWriter {
                                seq,
                                reader: &reader,
                                changes: &mut changes,
                            };
                            self.machine.apply(&mut data, log_id.index, &command.0)?
                        }
                    },
                    EntryPayload::Membership(config) => {
                        membership = Some(StoredMembership::new(Some(log_id), config));
                        Vec::new()
                    }
                };
                responses.push(response);
                last_applied = Some(log_id);
                if point.is_some() {
                    break;
                }
            }
            drop(reader);
            self.overlay
                .set_applied(seq, last_applied, membership.clone());
            self.queue_changes(seq, changes, last_applied, membership)
                .await?;
            if let Some(id) = point {
                self.digest_at_point(id).await?;
            }
        }
        // The changes are readable through the overlay already: answer now, the state writer
        // commits them shortly (and a crash before that replays them from the log).
        for (responder, response) in responders.into_iter().zip(responses) {
            if let Some(responder) = responder {
                responder.send(CommandResponse(response));
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        mut snapshot: SnapshotFile,
    ) -> Result<(), io::Error> {
        // Read and verify the whole file off the async executor before touching any state.
        let contents = tokio::task::spawn_blocking(move || {
            let contents = read_snapshot(&mut snapshot.file)?;
            Ok::<_, io::Error>((contents, snapshot))
        })
        .await
        .map_err(io::Error::other)??;
        let (contents, snapshot) = contents;
        if &contents.meta != meta {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "snapshot file metadata does not match the installed snapshot's metadata",
            ));
        }
        // Keep a durable copy of the file as this group's current snapshot: temporary name,
        // fsync, rename, directory fsync, as for snapshots built here.
        let file_name = snapshot_file_name(self.group, meta);
        let target = self.snapshot_path(&file_name);
        if snapshot.path != target {
            let source = snapshot.path.clone();
            tokio::task::spawn_blocking(move || {
                let temp = target.with_extension("snap.tmp");
                std::fs::copy(&source, &temp)?;
                std::fs::File::open(&temp)?.sync_all()?;
                std::fs::rename(&temp, &target)?;
                if let Some(dir) = target.parent() {
                    std::fs::File::open(dir)?.sync_all()?;
                }
                Ok::<_, io::Error>(())
            })
            .await
            .map_err(io::Error::other)??;
        }
        let group = self.group;
        let applied = encode(&meta.last_log_id)?;
        let membership = encode(&meta.last_membership)?;
        let last_log_id = meta.last_log_id;
        let pointer = encode(&SnapshotPointer {
            meta: meta.clone(),
            file_name,
        })?;
        // Data, applied index, membership and snapshot pointer change in one durable commit:
        // a crash leaves either the old state or the installed one, never a mix. Changes
        // applied before are queued ahead of it, so the install supersedes them.
        let seq = self.overlay.begin_batch();
        let current = self
            .storage
            .state_writer()
            .call(true, move |tables| {
                tables
                    .data
                    .retain_in((group, 0u8, &[][..])..(group + 1, 0u8, &[][..]), |_, _| {
                        false
                    })
                    .map_err(io::Error::other)?;
                let mut tally = Tally::default();
                for (space, key, value) in &contents.records {
                    tables.write_record(&mut tally, group, *space, key, Some(value))?;
                }
                tally.write(&mut tables.machine_state, group)?;
                tables
                    .machine_state
                    .insert((group, MACHINE_APPLIED), applied.as_slice())
                    .map_err(io::Error::other)?;
                tables
                    .machine_state
                    .insert((group, MACHINE_MEMBERSHIP), membership.as_slice())
                    .map_err(io::Error::other)?;
                replace_pointer_if_newer(&mut tables.machine_state, group, last_log_id, &pointer)
            })
            .await?;
        self.overlay.committed_through(seq);
        self.remove_other_snapshots(&current);
        metrics::counter!("shoal_raft_snapshots_installed_total").increment(1);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<SnapshotOf<TypeConfig, SnapshotFile>>, io::Error> {
        let Some(pointer) = self.read_machine_state::<SnapshotPointer>(MACHINE_SNAPSHOT)? else {
            return Ok(None);
        };
        let file = SnapshotFile::open(&self.snapshot_path(&pointer.file_name))?;
        Ok(Some(Snapshot {
            meta: pointer.meta,
            snapshot: file,
        }))
    }
}

impl RaftSnapshotBuilder<TypeConfig> for MachineStore {
    type SnapshotData = SnapshotFile;

    async fn build_snapshot(&mut self) -> Result<SnapshotOf<TypeConfig, SnapshotFile>, io::Error> {
        // Wait until everything applied so far is committed, so the snapshot covers it.
        self.storage
            .state_writer()
            .run(false, Box::new(|_| Ok(())))
            .await?;
        // The log may be purged up to the snapshot once it is recorded, so the state it covers
        // must survive a crash without that log: recording the pointer is a durable commit of
        // state.redb, which makes every commit before it (those this view reads) durable too.
        let storage = self.storage.clone();
        let group = self.group;
        // A read transaction is a consistent view (data and applied index are committed
        // together): writes to the group continue meanwhile.
        let (meta, file_name) = tokio::task::spawn_blocking(move || {
            let txn = storage
                .state_database()
                .begin_read()
                .map_err(io::Error::other)?;
            let machine_state = txn.open_table(MACHINE_STATE).map_err(io::Error::other)?;
            let read = |kind: u8| -> io::Result<Option<Vec<u8>>> {
                Ok(machine_state
                    .get((group, kind))
                    .map_err(io::Error::other)?
                    .map(|v| v.value().to_vec()))
            };
            let last_log_id: Option<LogId> = read(MACHINE_APPLIED)?
                .map(|b| decode(&b))
                .transpose()?
                .flatten();
            let last_membership: StoredMembership = read(MACHINE_MEMBERSHIP)?
                .map(|b| decode(&b))
                .transpose()?
                .unwrap_or_default();
            let meta = SnapshotMeta {
                last_log_id,
                last_membership,
            };
            let file_name = snapshot_file_name(group, &meta);
            let mut writer =
                SnapshotWriter::create(&storage.snapshot_dir().join(&file_name), &meta)?;
            let checker = storage.state_checker();
            super::for_each_record(&txn, group, &checker, |space, key, value| {
                writer.record(space, key, value)
            })?;
            writer.finish()?;
            Ok::<_, io::Error>((meta, file_name))
        })
        .await
        .map_err(io::Error::other)??;
        // Open before recording: if a newer snapshot wins, recording deletes this file, and
        // the open handle still reads it.
        let file = SnapshotFile::open(&self.snapshot_path(&file_name))?;
        self.record_snapshot(&meta, file_name).await?;
        metrics::counter!("shoal_raft_snapshots_built_total").increment(1);
        Ok(Snapshot {
            meta,
            snapshot: file,
        })
    }
}

#[cfg(test)]
mod tests {
    use openraft::vote::RaftLeaderIdExt;
    use openraft::{LogId, RaftTypeConfig};

    use super::*;
    use crate::machine::NullMachine;
    use crate::storage::StorageOptions;

    fn meta(index: u64) -> SnapshotMeta {
        let leader =
            <TypeConfig as RaftTypeConfig>::LeaderId::new_committed(1, shoal_shardmap::NodeId(1));
        SnapshotMeta {
            last_log_id: Some(LogId::new(leader, index)),
            last_membership: StoredMembership::default(),
        }
    }

    /// Regression: a snapshot build that finishes after a newer snapshot was recorded (or
    /// installed) must not move the pointer back nor delete the newer file; files still
    /// being written are left alone.
    #[tokio::test]
    async fn snapshot_pointer_never_moves_backwards() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageOptions::default()).unwrap();
        let mut store = MachineStore::new(storage.clone(), GroupId(3), Arc::new(NullMachine));
        let snapshots = dir.path().join("snapshots");
        for (index, name) in [(20, "group-3-20-1.snap"), (10, "group-3-10-2.snap")] {
            SnapshotWriter::create(&snapshots.join(name), &meta(index))
                .unwrap()
                .finish()
                .unwrap();
        }
        std::fs::write(snapshots.join("group-3-30-3.snap.tmp"), b"in progress").unwrap();

        store
            .record_snapshot(&meta(20), "group-3-20-1.snap".into())
            .await
            .unwrap();
        store
            .record_snapshot(&meta(10), "group-3-10-2.snap".into())
            .await
            .unwrap();

        let current = store
            .get_current_snapshot()
            .await
            .unwrap()
            .expect("a current snapshot");
        assert_eq!(current.meta, meta(20));
        assert!(snapshots.join("group-3-20-1.snap").exists());
        assert!(
            !snapshots.join("group-3-10-2.snap").exists(),
            "the late, older snapshot is dropped"
        );
        assert!(
            snapshots.join("group-3-30-3.snap.tmp").exists(),
            "a snapshot being written is kept"
        );
    }
}
