//! A running Raft group: openraft over the shared storage, behind shoal's own API
//! (propose a command, confirm linearizability, read local state, report status).

use shoal_shardmap::GroupId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tracing::Instrument as _;

use openraft::async_runtime::WatchReceiver;
use openraft::errors::{ClientWriteError, ForwardToLeader, LinearizableReadError, RaftError};
use openraft::{BasicNode, ChangeMembers, LinearizerOption, ServerState, SnapshotPolicy};

use crate::error::ConsensusError;
use crate::events::GroupEvents;
use crate::machine::StateMachine;
use crate::storage::{GroupReader, LogStore, MachineStore, Storage};
use crate::transport::Transport;
use crate::types::{Command, NodeId, TypeConfig};

/// Fewest log entries purged at once after a snapshot: the log holds at most
/// `trailing_logs + PURGE_BATCH` entries up to the snapshot index.
pub const PURGE_BATCH: u64 = 64;

/// Raft timing and log-compaction settings shared by every group of a node.
#[derive(Debug, Clone)]
pub struct RaftSettings {
    pub heartbeat_interval: Duration,
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    /// Log entries since the last snapshot that trigger a new one.
    pub snapshot_threshold: u64,
    /// Log entries kept after a snapshot (for followers that lag a little).
    pub trailing_logs: u64,
}

impl Default for RaftSettings {
    fn default() -> Self {
        // Tuned for many groups per node: idle heartbeats must stay cheap.
        RaftSettings {
            heartbeat_interval: Duration::from_millis(150),
            election_timeout_min: Duration::from_millis(600),
            election_timeout_max: Duration::from_millis(1000),
            snapshot_threshold: 10_000,
            trailing_logs: 1_000,
        }
    }
}

impl RaftSettings {
    /// How recent a quorum's acknowledgement must be for the leader to serve a linearizable
    /// read from its own state, without a quorum round: half the shortest election timeout.
    ///
    /// Why that is safe: a follower that heard from the leader refuses to vote for anyone
    /// else for `election_timeout_max` after it heard (openraft's leader lease), and the
    /// leader counts its lease from when it *sent* the acknowledged message, so no other
    /// leader can exist within `election_timeout_max` of the acknowledged send. Serving
    /// reads only within `election_timeout_min / 2` of it leaves the rest (700 ms with the
    /// defaults) as margin for the two nodes' monotonic clocks running at different rates
    /// and for the time the read takes after the check. Heartbeats every
    /// `heartbeat_interval` (150 ms) keep the lease fresh on an idle group; when it is
    /// stale, the read falls back to a heartbeat round (ReadIndex). Wall-clock skew plays
    /// no part (openraft measures with the monotonic clock).
    pub fn read_lease(&self) -> Duration {
        self.election_timeout_min / 2
    }

    fn openraft_config(&self, group: GroupId) -> Result<openraft::Config, ConsensusError> {
        let config = openraft::Config {
            cluster_name: format!("shoal-group-{}", group.0),
            heartbeat_interval: self.heartbeat_interval.as_millis() as u64,
            election_timeout_min: self.election_timeout_min.as_millis() as u64,
            election_timeout_max: self.election_timeout_max.as_millis() as u64,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(self.snapshot_threshold),
            max_in_snapshot_log_to_keep: self.trailing_logs,
            purge_batch_size: PURGE_BATCH,
            // A candidate first asks whether it could win: a node cut off from the others
            // and coming back does not disrupt a healthy leader with a higher term.
            enable_pre_vote: Some(true),
            // The node's ticker sends every group's heartbeats at once (one frame per
            // peer); see `Transport::start_heartbeats`.
            enable_heartbeat: false,
            ..Default::default()
        };
        config.validate().map_err(|error| ConsensusError::Fatal {
            group,
            reason: format!("invalid raft settings: {error}"),
        })
    }
}

/// Records how many entries openraft handles per step, over all groups: client writes
/// merged into one proposal, entries per log append, entries per apply. These show
/// whether batching happens at all; the per-group gauges are left to the metrics openraft
/// already publishes through `RaftGroup::status`.
#[derive(Debug)]
struct BatchRecorder;

impl openraft::metrics::MetricsRecorder for BatchRecorder {
    fn record_apply_batch(&self, entry_count: u64) {
        metrics::histogram!("shoal_raft_apply_batch_entries").record(entry_count as f64);
    }
    fn record_append_batch(&self, entry_count: u64) {
        metrics::histogram!("shoal_raft_append_batch_entries").record(entry_count as f64);
    }
    fn record_write_batch(&self, entry_count: u64) {
        metrics::histogram!("shoal_raft_write_batch_entries").record(entry_count as f64);
    }
    fn set_current_term(&self, _: u64) {}
    fn set_last_log_index(&self, _: u64) {}
    fn set_committed_index(&self, _: u64) {}
    fn set_applied_index(&self, _: u64) {}
    fn set_snapshot_index(&self, _: u64) {}
    fn set_purged_index(&self, _: u64) {}
    fn set_server_state(&self, _: u8) {}
    fn increment_vote(&self) {}
    fn increment_heartbeat(&self) {}
    fn increment_append(&self) {}
}

/// What a group looks like from this node right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRole {
    Leader,
    Follower,
    Candidate,
    Learner,
    Shutdown,
}

/// A point-in-time description of a group on this node.
#[derive(Debug, Clone)]
pub struct GroupStatus {
    pub group: GroupId,
    pub role: GroupRole,
    pub leader: Option<NodeId>,
    pub term: u64,
    /// The last index this node knows committed (0 before any).
    pub committed_index: u64,
    pub applied_index: u64,
    pub last_log_index: u64,
    pub snapshot_index: u64,
    pub purged_index: u64,
    /// Every voter (in a joint configuration, of both halves).
    pub voters: Vec<NodeId>,
    pub learners: Vec<NodeId>,
    /// In a joint configuration (a change of voters half done — its leader changed before
    /// it finished), the voters it changes to; None in a plain configuration.
    pub joint_goal: Option<Vec<NodeId>>,
    /// On the leader: the last log index each other member has matched (None: unknown).
    pub matched: BTreeMap<NodeId, Option<u64>>,
}

impl GroupStatus {
    /// On the leader: how many log entries each other member has not matched yet (the
    /// leader's last index minus the member's); empty elsewhere.
    pub fn follower_lags(&self) -> Vec<(NodeId, u64)> {
        if self.role != GroupRole::Leader {
            return Vec::new();
        }
        self.matched
            .iter()
            .filter(|(member, _)| Some(**member) != self.leader)
            .map(|(member, matched)| {
                (
                    *member,
                    self.last_log_index.saturating_sub(matched.unwrap_or(0)),
                )
            })
            .collect()
    }
}

/// One Raft group hosted on this node.
#[derive(Clone)]
pub struct RaftGroup {
    group: GroupId,
    node_id: NodeId,
    storage: Storage,
    transport: Arc<Transport>,
    raft: openraft::Raft<TypeConfig, MachineStore>,
    /// A leader that has not heard from a quorum for this long fails requests fast.
    quorum_timeout: Duration,
    /// A linearizable read is served without a quorum round when a quorum acknowledged
    /// this leader less than this long ago (see [`RaftSettings::read_lease`]).
    read_lease: Duration,
    /// Elections and leader changes seen here (see `events`).
    events: Arc<GroupEvents>,
}

impl std::fmt::Debug for RaftGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftGroup")
            .field("group", &self.group)
            .field("node_id", &self.node_id)
            .finish()
    }
}

impl RaftGroup {
    /// Starts (or restarts) group `group` on this node with its persisted state, reachable
    /// by peers through `transport`.
    pub async fn start(
        transport: &Arc<Transport>,
        group: GroupId,
        storage: Storage,
        machine: Arc<dyn StateMachine>,
        settings: &RaftSettings,
    ) -> Result<RaftGroup, ConsensusError> {
        let node_id = transport.node_id();
        let damaged = |storage: &Storage| {
            storage
                .quarantined()
                .remove(&group)
                .map(|reason| ConsensusError::Damaged { group, reason })
        };
        if let Some(refused) = damaged(&storage) {
            return Err(refused);
        }
        let config = Arc::new(settings.openraft_config(group)?);
        let log_store = LogStore::new(storage.clone(), group);
        let machine_store = MachineStore::new(storage.clone(), group, machine);
        let raft = openraft::Raft::new(
            node_id,
            config,
            transport.network(group),
            log_store,
            machine_store,
        )
        .await
        .map_err(|fatal| {
            // A record that failed its checksum on the way up quarantined the group.
            damaged(&storage).unwrap_or(ConsensusError::Fatal {
                group,
                reason: fatal.to_string(),
            })
        })?;
        raft.set_metrics_recorder(Some(Arc::new(BatchRecorder)))
            .await
            .map_err(|fatal| ConsensusError::Fatal {
                group,
                reason: fatal.to_string(),
            })?;
        transport.register(group, raft.clone());
        transport.start_heartbeats(settings.heartbeat_interval);
        let events = crate::events::follow(group, node_id, &raft);
        let started = RaftGroup {
            group,
            node_id,
            storage,
            transport: transport.clone(),
            raft,
            quorum_timeout: settings.election_timeout_max,
            read_lease: settings.read_lease(),
            events,
        };
        started.elect_if_sole_voter().await?;
        Ok(started)
    }

    pub fn group(&self) -> GroupId {
        self.group
    }

    /// The elections and leader changes this node saw in the group.
    pub fn events(&self) -> &GroupEvents {
        &self.events
    }

    /// Creates the group with this node as its only voter, unless it already exists.
    pub async fn initialize_single(&self, address: &str) -> Result<(), ConsensusError> {
        self.initialize(&BTreeMap::from([(self.node_id, address.to_owned())]))
            .await
    }

    /// True once the group has a membership (created here or joined from a leader).
    pub async fn is_initialized(&self) -> Result<bool, ConsensusError> {
        self.raft.is_initialized().await.map_err(|e| self.fatal(e))
    }

    /// Creates the group with `voters` (node id → internal address), unless it already
    /// exists here. Exactly one node of a new group may call this.
    pub async fn initialize(
        &self,
        voters: &BTreeMap<NodeId, String>,
    ) -> Result<(), ConsensusError> {
        if self.is_initialized().await? {
            return Ok(());
        }
        let members: BTreeMap<NodeId, BasicNode> = voters
            .iter()
            .map(|(id, address)| (*id, BasicNode::new(address)))
            .collect();
        match self.raft.initialize(members).await {
            Ok(()) => Ok(()),
            Err(RaftError::APIError(error)) => Err(ConsensusError::Unavailable {
                group: self.group,
                reason: format!("initializing: {error}"),
            }),
            Err(RaftError::Fatal(fatal)) => Err(self.fatal(fatal)),
        }
    }

    /// A restarted group whose only voter is this node elects itself at once instead of
    /// waiting out an election timeout (a single node is ready right after start).
    async fn elect_if_sole_voter(&self) -> Result<(), ConsensusError> {
        let metrics = self.raft.metrics().borrow_watched().clone();
        let voters: Vec<NodeId> = metrics.membership_config.membership().voter_ids().collect();
        if voters == [self.node_id] && metrics.state != ServerState::Leader {
            self.raft
                .trigger()
                .elect(false)
                .await
                .map_err(|e| self.fatal(e))?;
        }
        Ok(())
    }

    fn not_leader(&self, forward: &ForwardToLeader<TypeConfig>) -> ConsensusError {
        ConsensusError::NotLeader {
            group: self.group,
            leader: forward.leader_id,
            leader_address: forward.leader_node.as_ref().map(|node| node.addr.clone()),
        }
    }

    /// Proposes a command; returns the log index it was committed at and the machine's response.
    /// Traced (when traces are on) as one span from the proposal to the applied answer:
    /// replication to a quorum, commit and apply happen inside it. The command carries the
    /// span's context, so the log writes and appends of its entry link to it (`spans`).
    pub async fn propose(&self, command: Vec<u8>) -> Result<(u64, Vec<u8>), ConsensusError> {
        let span = crate::child_span(
            || tracing::debug_span!("raft.propose", group = %self.group, raft.index = tracing::field::Empty),
        );
        let trace = crate::spans::context_of(&span);
        let write = self.while_quorum(self.raft.client_write(Command(command, trace)));
        match write.instrument(span.clone()).await? {
            Ok(response) => {
                span.record("raft.index", response.log_id.index);
                Ok((response.log_id.index, response.data.0))
            }
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))) => {
                Err(self.not_leader(&forward))
            }
            Err(RaftError::APIError(error)) => Err(ConsensusError::Unavailable {
                group: self.group,
                reason: error.to_string(),
            }),
            Err(RaftError::Fatal(fatal)) => Err(self.fatal(fatal)),
        }
    }

    /// Proposes several commands in one message to the Raft core — one log append, one
    /// replication batch — in order. The outer error means none was proposed (this node
    /// does not lead, or the group stopped); otherwise each command has its own result:
    /// the log index it committed at and the machine's response, or why it failed after
    /// being accepted (its outcome is then unknown).
    #[allow(clippy::type_complexity)]
    pub async fn propose_many(
        &self,
        commands: Vec<Vec<u8>>,
    ) -> Result<Vec<Result<(u64, Vec<u8>), ConsensusError>>, ConsensusError> {
        let count = commands.len();
        let span = crate::child_span(
            || tracing::debug_span!("raft.propose_many", group = %self.group, commands = count),
        );
        let trace = crate::spans::context_of(&span);
        let write = async {
            let mut results = self
                .raft
                .client_write_many(
                    commands
                        .into_iter()
                        .map(|command| Command(command, trace.clone())),
                )
                .await?;
            let mut collected = Vec::with_capacity(count);
            while let Some(result) = results.next().await {
                collected.push(result?);
            }
            Ok::<_, openraft::errors::Fatal<TypeConfig>>(collected)
        };
        let results = self
            .while_quorum(write)
            .instrument(span)
            .await?
            .map_err(|e| self.fatal(e))?;
        // All commands of one call are accepted or refused together.
        if let Some(Err(ClientWriteError::ForwardToLeader(forward))) = results.first() {
            return Err(self.not_leader(forward));
        }
        Ok(results
            .into_iter()
            .map(|result| match result {
                Ok(written) => Ok((written.log_id.index, written.response.0)),
                Err(error) => Err(ConsensusError::Unavailable {
                    group: self.group,
                    reason: format!("{error}; the write's outcome is unknown"),
                }),
            })
            .collect())
    }

    fn membership_error(
        &self,
        error: RaftError<TypeConfig, ClientWriteError<TypeConfig>>,
    ) -> ConsensusError {
        match error {
            RaftError::APIError(ClientWriteError::ForwardToLeader(forward)) => {
                self.not_leader(&forward)
            }
            RaftError::APIError(error) => ConsensusError::Unavailable {
                group: self.group,
                reason: error.to_string(),
            },
            RaftError::Fatal(fatal) => self.fatal(fatal),
        }
    }

    /// On the leader: adds `node` as a learner (it receives the log but does not vote) and,
    /// when `wait` is set, returns once it has caught up.
    pub async fn add_learner(
        &self,
        node: NodeId,
        address: &str,
        wait: bool,
    ) -> Result<(), ConsensusError> {
        self.raft
            .add_learner(node, BasicNode::new(address), wait)
            .await
            .map(|_| ())
            .map_err(|error| self.membership_error(error))
    }

    /// On the leader: makes `voters` the group's voters (joint consensus); members that stop
    /// being voters stay as learners.
    pub async fn change_voters(&self, voters: BTreeSet<NodeId>) -> Result<(), ConsensusError> {
        self.raft
            .change_membership(ChangeMembers::ReplaceAllVoters(voters), true)
            .await
            .map(|_| ())
            .map_err(|error| self.membership_error(error))
    }

    /// On the leader: asks `to` to take over the leadership; returns at once (watch
    /// [`RaftGroup::leader`] for the outcome).
    pub async fn transfer_leader(&self, to: NodeId) -> Result<(), ConsensusError> {
        self.raft
            .trigger()
            .transfer_leader(to)
            .await
            .map_err(|e| self.fatal(e))
    }

    /// Starts an election now (used when the leader is known to be gone).
    pub async fn elect(&self) -> Result<(), ConsensusError> {
        self.raft
            .trigger()
            .elect(true)
            .await
            .map_err(|e| self.fatal(e))
    }

    /// Node ids and internal addresses of every member (voters and learners).
    pub fn members(&self) -> BTreeMap<NodeId, String> {
        let metrics = self.raft.metrics().borrow_watched().clone();
        metrics
            .membership_config
            .membership()
            .nodes()
            .map(|(id, node)| (*id, node.addr.clone()))
            .collect()
    }

    /// Waits until the leader is `target` (or `timeout` passes); returns the leader then.
    pub async fn wait_for_leader_change(
        &self,
        target: NodeId,
        timeout: Duration,
    ) -> Option<NodeId> {
        let mut metrics = self.raft.metrics();
        let wait = async {
            loop {
                if metrics.borrow_and_update().current_leader == Some(target) {
                    return;
                }
                if metrics.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(timeout, wait).await;
        self.leader()
    }

    /// Returns once this node's state machine reflects every write committed before the
    /// call. The leader confirms it still leads: by its lease when a quorum acknowledged it
    /// within [`RaftSettings::read_lease`], otherwise by a heartbeat round (ReadIndex).
    pub async fn linearizable_barrier(&self) -> Result<(), ConsensusError> {
        let span =
            crate::child_span(|| tracing::debug_span!("raft.read_barrier", group = %self.group));
        let option = LinearizerOption::new(Some(self.read_lease), true);
        let read = self.while_quorum(self.raft.ensure_linearizable(option));
        match read.instrument(span).await? {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(LinearizableReadError::ForwardToLeader(forward))) => {
                Err(self.not_leader(&forward))
            }
            Err(RaftError::APIError(error)) => Err(ConsensusError::Unavailable {
                group: self.group,
                reason: error.to_string(),
            }),
            Err(RaftError::Fatal(fatal)) => Err(self.fatal(fatal)),
        }
    }

    /// How long this node, as leader, has gone without hearing from a quorum; None when it
    /// is not a leader of a multi-voter group.
    fn quorum_silence(&self) -> Option<Duration> {
        let watched = self.raft.metrics();
        let metrics = watched.borrow_watched();
        if metrics.state != ServerState::Leader
            || metrics.membership_config.membership().voter_ids().count() < 2
        {
            return None;
        }
        // Never acknowledged yet (a fresh leader): count from now, not from the epoch.
        Some(
            metrics
                .last_quorum_acked
                .map_or(Duration::ZERO, |acked| openraft::Instant::elapsed(&*acked)),
        )
    }

    /// Runs `operation` unless (or until) this node is a leader cut off from its quorum for
    /// longer than an election timeout: a partitioned leader answers UNAVAILABLE quickly
    /// instead of letting requests hang until their deadline. Such a write had not committed
    /// when it failed; usually the majority side elects a new leader whose log wins and the
    /// write is gone, but if the cut heals before that (or only the acknowledgements were
    /// lost) it may still commit: the outcome is unknown, like a timeout.
    async fn while_quorum<T>(
        &self,
        operation: impl std::future::Future<Output = T>,
    ) -> Result<T, ConsensusError> {
        let cut_off = |silence: Duration| ConsensusError::Unavailable {
            group: self.group,
            reason: format!(
                "this node leads the group but has not heard from a quorum for {silence:?} \
                 (network partition?); the request had not committed and its outcome is unknown"
            ),
        };
        if let Some(silence) = self.quorum_silence()
            && silence > self.quorum_timeout
        {
            return Err(cut_off(silence));
        }
        let watch = async {
            let check = (self.quorum_timeout / 4).max(Duration::from_millis(50));
            loop {
                tokio::time::sleep(check).await;
                if let Some(silence) = self.quorum_silence()
                    && silence > self.quorum_timeout
                {
                    return silence;
                }
            }
        };
        tokio::select! {
            result = operation => Ok(result),
            silence = watch => Err(cut_off(silence)),
        }
    }

    /// On the leader: proposes a digest point (see `storage::digest`) and returns its id and
    /// log index once committed; every replica digests its state there when it applies it.
    pub async fn propose_digest_point(&self) -> Result<(u64, u64), ConsensusError> {
        // A random id (std's hasher keys are random per process and per call).
        let id = {
            use std::hash::{BuildHasher, Hasher};
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(self.node_id.0);
            hasher.finish()
        };
        let (index, _) = self
            .propose(crate::storage::digest_point_command(id))
            .await?;
        Ok((id, index))
    }

    /// This replica's digest at digest point `id`, waiting up to `wait` for it (None: not
    /// within `wait`, or this replica skipped the point).
    pub async fn point_digest(
        &self,
        id: u64,
        wait: Duration,
    ) -> Option<Result<crate::storage::PointDigest, String>> {
        self.storage.point_digest(self.group, id, wait).await
    }

    /// This replica's applied index and a digest of its data at that index (reads it all).
    pub async fn state_digest(&self) -> Result<(u64, u64), ConsensusError> {
        self.storage
            .state_digest(self.group)
            .await
            .map_err(|source| ConsensusError::Storage {
                group: self.group,
                source,
            })
    }

    /// A consistent view of this replica's applied data (no quorum round).
    pub fn reader(&self) -> Result<GroupReader, ConsensusError> {
        Ok(self.storage.reader(self.group))
    }

    /// Whether this node votes in the group (a learner being filled by a move does not).
    pub fn is_voter(&self) -> bool {
        self.raft
            .metrics()
            .borrow_watched()
            .membership_config
            .membership()
            .voter_ids()
            .any(|voter| voter == self.node_id)
    }

    /// Why this node must not propose a client write now (its disk is full, or below the
    /// reserve for a write that adds data; see `storage::space`); None when it may.
    pub fn write_refusal(&self, adds_data: bool) -> Option<String> {
        self.storage
            .write_refusal(adds_data)
            .map(|why| format!("node {}: {why}", self.node_id))
    }

    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow_watched().current_leader == Some(self.node_id)
    }

    pub fn leader(&self) -> Option<NodeId> {
        self.raft.metrics().borrow_watched().current_leader
    }

    /// Waits until the group has a leader, up to `timeout`.
    pub async fn wait_for_leader(&self, timeout: Duration) -> Result<NodeId, ConsensusError> {
        let mut metrics = self.raft.metrics();
        let wait = async {
            loop {
                if let Some(leader) = metrics.borrow_and_update().current_leader {
                    return Ok(leader);
                }
                if metrics.changed().await.is_err() {
                    return Err(ConsensusError::Unavailable {
                        group: self.group,
                        reason: "group is shutting down".into(),
                    });
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or_else(|_| {
                Err(ConsensusError::Unavailable {
                    group: self.group,
                    reason: format!("no leader elected within {timeout:?}"),
                })
            })
    }

    /// Asks the group to build a snapshot now (and purge its log accordingly).
    pub async fn trigger_snapshot(&self) -> Result<(), ConsensusError> {
        self.raft
            .trigger()
            .snapshot()
            .await
            .map_err(|e| self.fatal(e))
    }

    /// On the leader, before a replica moves in: takes a snapshot of the applied state and
    /// purges the log up to it, so the new replica is filled by a snapshot — streamed under
    /// the node's byte-rate cap, resumable — rather than by replaying the whole log. Waits up
    /// to `within`; past it (or with little log to replay) the log is simply left as it is.
    pub async fn compact_for_transfer(&self, within: Duration) -> Result<(), ConsensusError> {
        let status = self.status();
        if status.last_log_index <= status.purged_index + PURGE_BATCH {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + within;
        let wanted = status.applied_index;
        if status.snapshot_index < wanted {
            self.trigger_snapshot().await?;
        }
        let snapshot = loop {
            let now = self.status();
            if now.snapshot_index >= wanted {
                break now.snapshot_index;
            }
            if tokio::time::Instant::now() > deadline {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        self.raft
            .trigger()
            .purge_log(snapshot)
            .await
            .map_err(|e| self.fatal(e))?;
        while self.status().purged_index < snapshot && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// The group's state as this node sees it.
    pub fn status(&self) -> GroupStatus {
        let metrics = self.raft.metrics().borrow_watched().clone();
        let role = match metrics.state {
            ServerState::Leader => GroupRole::Leader,
            ServerState::Follower => GroupRole::Follower,
            ServerState::Candidate => GroupRole::Candidate,
            ServerState::Learner => GroupRole::Learner,
            ServerState::Shutdown => GroupRole::Shutdown,
        };
        GroupStatus {
            group: self.group,
            role,
            leader: metrics.current_leader,
            term: metrics.current_term,
            committed_index: metrics.local_committed.map_or(0, |l| l.index),
            applied_index: metrics.last_applied.map_or(0, |l| l.index),
            last_log_index: metrics.last_log_index.unwrap_or(0),
            snapshot_index: metrics.snapshot.map_or(0, |l| l.index),
            purged_index: metrics.purged.map_or(0, |l| l.index),
            voters: metrics.membership_config.membership().voter_ids().collect(),
            learners: metrics
                .membership_config
                .membership()
                .learner_ids()
                .collect(),
            joint_goal: {
                let configs = metrics.membership_config.membership().get_joint_config();
                (configs.len() > 1)
                    .then(|| configs.last().map(|c| c.iter().copied().collect()))
                    .flatten()
            },
            matched: metrics
                .replication
                .as_ref()
                .map(|replication| {
                    replication
                        .iter()
                        .map(|(id, matched)| (*id, matched.as_ref().map(|log_id| log_id.index)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Stops the group and deletes all of its data on this node (its replica was moved
    /// away: the meta group no longer lists this node for it).
    pub async fn shutdown_and_delete(&self) -> Result<(), ConsensusError> {
        self.shutdown().await;
        self.storage
            .delete_group(self.group)
            .await
            .map_err(|error| self.fatal(error))
    }

    /// On the leader: removes `node` from the group's members (it must not be a voter).
    pub async fn remove_learner(&self, node: NodeId) -> Result<(), ConsensusError> {
        if !self.members().contains_key(&node) {
            return Ok(());
        }
        self.raft
            .change_membership(
                ChangeMembers::RemoveNodes(std::iter::once(node).collect()),
                false,
            )
            .await
            .map(|_| ())
            .map_err(|error| self.membership_error(error))
    }

    /// Stops the group's Raft tasks.
    pub async fn shutdown(&self) {
        self.transport
            .unregister(self.group, Duration::from_secs(2))
            .await;
        if let Err(error) = self.raft.shutdown().await {
            tracing::warn!(group = %self.group, %error, "raft group did not shut down cleanly");
        }
    }

    fn fatal(&self, error: impl std::fmt::Display) -> ConsensusError {
        ConsensusError::Fatal {
            group: self.group,
            reason: error.to_string(),
        }
    }
}
