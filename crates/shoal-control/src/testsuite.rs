//! A simulated cluster in memory, and fakes of every port over it: tests drive the engine
//! — and the control actor itself — without processes, sockets or disks.
//!
//! The meta state is applied by the meta machine's own `apply_command`, and every change
//! of a shard's replica set is validated by the same `validate_change` a real shard leader
//! applies, so the engine cannot pass here with commands a real cluster would refuse.
//! Replication is a step the test takes ([`SimCluster::replicate`]): members catch up to
//! their leader's log, dead leaders are replaced by an election among live voters.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use shoal_membership::{Member, NodeInfo};
use shoal_replication::meta::{
    self, ClusterIdentity, MetaCommand, MetaResponse, MoveRecord, NodeRecord, NodeState,
};
use shoal_shardmap::{GroupId, NodeId, PlacementNode, ShardId, ShardMap, place_initial};

use crate::command::{Command, ShardChange};
use crate::engine::driver::{DriverRound, driver_round};
use crate::engine::hosting::HostingChanges;
use crate::engine::meta_members::{meta_membership, to_prove};
use crate::engine::moves::StepOutcome;
use crate::engine::validate::{validate_change, validate_transfer};
use crate::ports::{Gossip, MetaLog, MetaState, Ports, ReplicaHost, ShardAdmin};
use crate::settings::ControlSettings;
use crate::view::{ClusterView, GroupView, ShardReport};
use crate::{ControlError, engine};

/// One simulated node.
#[derive(Debug, Clone)]
pub struct SimNode {
    pub zone: Option<String>,
    pub live: bool,
    pub ready: bool,
    /// What the node gossips about its own state.
    pub gossip_state: NodeState,
    /// How long it has been down (as the meta leader watched).
    pub down_for: Option<Duration>,
    /// The shard-map epoch it applied (follows the map while it is live).
    pub applied_epoch: u64,
    /// Whether its replicas catch up when [`SimCluster::replicate`] runs.
    pub catches_up: bool,
    /// Shards whose replica here it reports damaged (gossip).
    pub damaged: BTreeSet<ShardId>,
    /// It refuses writes (its disk is full or below the reserve; gossip).
    pub writes_refused: bool,
}

/// A cluster in memory.
#[derive(Debug, Clone)]
pub struct SimCluster {
    pub settings: ControlSettings,
    pub now_ms: u64,
    /// The meta machine's data.
    pub meta_data: BTreeMap<Vec<u8>, Vec<u8>>,
    pub meta: GroupView,
    /// Every shard's group as its leader sees it.
    pub shards: BTreeMap<ShardId, GroupView>,
    pub nodes: BTreeMap<NodeId, SimNode>,
    /// Every command executed, described, in order.
    pub executed: Vec<String>,
    /// Every command refused (by validation or by the meta machine), described.
    pub refused: Vec<String>,
}

fn node_record(id: NodeId, zone: Option<String>) -> NodeRecord {
    NodeRecord {
        id,
        name: format!("node-{id}"),
        internal_address: format!("10.0.0.{id}:5343"),
        client_address: format!("10.0.0.{id}:5344"),
        admin_address: format!("10.0.0.{id}:9343"),
        zone,
        state: NodeState::Active,
    }
}

impl SimCluster {
    /// A cluster created by bootstrap: nodes `1..=nodes` (no zones), `shards` shards placed
    /// by `place_initial`, the first `meta_voters` nodes voting in the meta group, every
    /// group led by its first replica and caught up.
    pub fn new(nodes: u64, shards: u32, settings: ControlSettings) -> SimCluster {
        Self::with_zones(
            &(1..=nodes).map(|id| (id, None)).collect::<Vec<_>>(),
            shards,
            settings,
        )
    }

    /// As [`SimCluster::new`], with a zone per node.
    pub fn with_zones(
        nodes: &[(u64, Option<&str>)],
        shards: u32,
        settings: ControlSettings,
    ) -> SimCluster {
        let records: Vec<NodeRecord> = nodes
            .iter()
            .map(|(id, zone)| node_record(NodeId(*id), zone.map(str::to_owned)))
            .collect();
        let placement: Vec<PlacementNode> = records
            .iter()
            .map(|r| PlacementNode {
                id: r.id,
                zone: r.zone.clone(),
            })
            .collect();
        let map = place_initial(shards, settings.replication_factor as u32, &placement)
            .expect("placement");
        let mut meta_data = BTreeMap::new();
        meta::apply_command(
            &mut meta_data,
            MetaCommand::CreateCluster {
                identity: ClusterIdentity {
                    cluster_id: "sim".into(),
                    created_at_ms: 0,
                },
                shard_map: map.clone(),
                nodes: records.clone(),
            },
        )
        .expect("create");
        let ids: Vec<NodeId> = records.iter().map(|r| r.id).collect();
        let voters: BTreeSet<NodeId> = ids.iter().copied().take(settings.meta_voters).collect();
        let learners: BTreeSet<NodeId> = ids.iter().copied().skip(settings.meta_voters).collect();
        let meta = GroupView {
            leader: Some(ids[0]),
            term: 1,
            voters,
            learners,
            joint_goal: None,
            last_log_index: 1,
            matched: ids.iter().map(|id| (*id, Some(1))).collect(),
        };
        let shards = map
            .shards
            .iter()
            .map(|entry| {
                (
                    entry.id,
                    GroupView {
                        leader: entry.replicas.first().copied(),
                        term: 1,
                        voters: entry.replicas.iter().copied().collect(),
                        learners: BTreeSet::new(),
                        joint_goal: None,
                        last_log_index: 10,
                        matched: entry.replicas.iter().map(|r| (*r, Some(10))).collect(),
                    },
                )
            })
            .collect();
        let nodes = records
            .iter()
            .map(|r| {
                (
                    r.id,
                    SimNode {
                        zone: r.zone.clone(),
                        live: true,
                        ready: true,
                        gossip_state: NodeState::Active,
                        down_for: None,
                        applied_epoch: 1,
                        catches_up: true,
                        damaged: BTreeSet::new(),
                        writes_refused: false,
                    },
                )
            })
            .collect();
        SimCluster {
            settings,
            now_ms: 1_000,
            meta_data,
            meta,
            shards,
            nodes,
            executed: Vec::new(),
            refused: Vec::new(),
        }
    }

    pub fn map(&self) -> ShardMap {
        meta::read_shard_map(&self.meta_data)
            .expect("readable")
            .expect("created")
    }

    pub fn moves(&self) -> Vec<MoveRecord> {
        meta::read_moves(&self.meta_data).expect("readable")
    }

    pub fn registry(&self) -> Vec<NodeRecord> {
        meta::read_nodes(&self.meta_data).expect("readable")
    }

    pub fn meta_leader(&self) -> NodeId {
        self.meta.leader.expect("the meta group has a leader")
    }

    /// A new node starts and gossips (not registered yet: meta membership registers it).
    pub fn start_node(&mut self, id: u64, zone: Option<&str>) {
        self.nodes.insert(
            NodeId(id),
            SimNode {
                zone: zone.map(str::to_owned),
                live: true,
                ready: true,
                gossip_state: NodeState::Joining,
                down_for: None,
                applied_epoch: 0,
                catches_up: true,
                damaged: BTreeSet::new(),
                writes_refused: false,
            },
        );
    }

    /// The node stops answering (SIGKILL).
    pub fn kill(&mut self, id: u64) {
        let node = self.nodes.get_mut(&NodeId(id)).expect("known node");
        node.live = false;
        node.ready = false;
        node.down_for = Some(Duration::ZERO);
    }

    /// Time passes: down nodes have been down `by` longer; the clock moves.
    pub fn age(&mut self, by: Duration) {
        self.now_ms += by.as_millis() as u64;
        for node in self.nodes.values_mut() {
            if let Some(down) = node.down_for.as_mut() {
                *down += by;
            }
        }
    }

    /// The cluster as `me` sees it, with reports of the shards with moves in flight.
    pub fn view(&self, me: NodeId) -> ClusterView {
        let registry = self.registry();
        let gossip: BTreeMap<NodeId, Member> = self
            .nodes
            .iter()
            .map(|(id, node)| (*id, self.member(*id, node)))
            .collect();
        let map = self.map();
        let moves = self.moves();
        let mut view = ClusterView::assemble(
            me,
            self.now_ms,
            Some("sim".into()),
            registry,
            gossip,
            |id| self.nodes.get(&id).and_then(|n| n.down_for),
            Some(map),
            moves.clone(),
            self.meta.clone(),
        );
        view.reports = moves
            .iter()
            .map(|record| (record.shard, self.report(record.shard)))
            .collect();
        view
    }

    fn member(&self, id: NodeId, node: &SimNode) -> Member {
        let record = node_record(id, node.zone.clone());
        Member {
            node_id: id,
            generation: 1,
            gossip_address: "127.0.0.1:1".parse().expect("address"),
            live: node.live,
            info: NodeInfo {
                name: record.name,
                internal_address: record.internal_address,
                client_address: record.client_address,
                admin_address: record.admin_address,
                zone: node.zone.clone(),
                state: node.gossip_state,
                ready: node.ready,
                leading_shards: self
                    .shards
                    .iter()
                    .filter(|(_, group)| group.leader == Some(id))
                    .map(|(shard, _)| *shard)
                    .collect(),
                shard_map_epoch: node.applied_epoch,
                cluster_id: Some("sim".into()),
                damaged_shards: node.damaged.iter().copied().collect(),
                writes_refused: node.writes_refused,
            },
        }
    }

    /// The report `shard`'s leader gives (it must be live to answer).
    pub fn report(&self, shard: ShardId) -> Result<ShardReport, String> {
        let group = self
            .shards
            .get(&shard)
            .ok_or_else(|| format!("shard {shard} does not exist"))?;
        let leader = group.leader.ok_or("the shard has no leader")?;
        if !self.nodes.get(&leader).is_some_and(|n| n.live) {
            return Err(format!("its leader, node {leader}, is down"));
        }
        Ok(ShardReport {
            shard,
            group: group.clone(),
            transfers: BTreeMap::new(),
        })
    }

    /// One replication step: members of live, catching-up nodes reach their leader's
    /// log; a group whose leader is down elects its most caught-up live voter; live nodes
    /// apply the newest map.
    pub fn replicate(&mut self) {
        let nodes = self.nodes.clone();
        let live = |id: &NodeId| nodes.get(id).is_some_and(|n| n.live);
        let catches_up = |id: &NodeId| nodes.get(id).is_some_and(|n| n.live && n.catches_up);
        for group in self
            .shards
            .values_mut()
            .chain(std::iter::once(&mut self.meta))
        {
            if !group.leader.as_ref().is_some_and(live) {
                let quorum =
                    group.voters.iter().filter(|v| live(v)).count() * 2 > group.voters.len();
                group.leader = if quorum {
                    group
                        .voters
                        .iter()
                        .filter(|v| live(v))
                        .max_by_key(|v| group.matched.get(v).copied().flatten())
                        .copied()
                } else {
                    None
                };
                if group.leader.is_some() {
                    group.term += 1;
                }
            }
            let last = group.last_log_index;
            for member in group.members() {
                if catches_up(&member) {
                    group.matched.insert(member, Some(last));
                }
            }
        }
        let epoch = self.map().epoch;
        for node in self.nodes.values_mut().filter(|n| n.live) {
            node.applied_epoch = epoch;
        }
    }

    /// Runs `commands` in order as the ports would, stopping at the first refused.
    pub fn execute(&mut self, commands: Vec<Command>) -> Result<(), String> {
        for command in commands {
            let what = command.describe();
            if let Err(why) = self.run(command) {
                self.refused.push(format!("{what}: {why}"));
                return Err(why);
            }
            self.executed.push(what);
        }
        Ok(())
    }

    fn run(&mut self, command: Command) -> Result<(), String> {
        match command {
            Command::ProposeMeta(command) => self.propose(command).map(|_| ()),
            Command::ChangeShard { shard, change } => self.change(shard, change),
            Command::TransferLeader { group, to } => self.transfer(group, to),
            Command::AddMetaLearner { node, .. } => {
                if !self.meta.is_member(node) {
                    self.meta.learners.insert(node);
                    self.meta.matched.insert(node, None);
                    self.meta.last_log_index += 1;
                }
                Ok(())
            }
            Command::ChangeMetaVoters(voters) => {
                assert!(!voters.is_empty(), "the meta group keeps a voter");
                for old in &self.meta.voters {
                    if !voters.contains(old) {
                        self.meta.learners.insert(*old);
                    }
                }
                for new in &voters {
                    self.meta.learners.remove(new);
                }
                self.meta.voters = voters;
                self.meta.last_log_index += 1;
                Ok(())
            }
            Command::RemoveMetaMember(node) => {
                if self.meta.voters.contains(&node) {
                    return Err(format!("node {node} is a meta voter"));
                }
                self.meta.learners.remove(&node);
                self.meta.matched.remove(&node);
                self.meta.last_log_index += 1;
                Ok(())
            }
        }
    }

    /// Proposes to the meta machine (its own apply).
    pub fn propose(&mut self, command: MetaCommand) -> Result<MetaResponse, String> {
        let answer =
            meta::apply_command(&mut self.meta_data, command).map_err(|e| e.to_string())?;
        self.meta.last_log_index += 1;
        match answer.rejection() {
            Some(reason) => Err(reason.to_owned()),
            None => Ok(answer),
        }
    }

    fn change(&mut self, shard: ShardId, change: ShardChange) -> Result<(), String> {
        let report = self.report(shard)?;
        let leader = report.leader().expect("a report names its leader");
        let view = self.view(leader);
        validate_change(&view, GroupId::for_shard(shard), &report.group, &change)
            .map_err(|e| e.to_string())?;
        let group = self.shards.get_mut(&shard).expect("reported");
        match change {
            ShardChange::AddLearner { node, .. } => {
                if !group.is_member(node) {
                    group.learners.insert(node);
                    group.matched.insert(node, None);
                    group.last_log_index += 1;
                }
            }
            ShardChange::SetVoters(voters) if voters != group.voters => {
                for old in &group.voters {
                    if !voters.contains(old) {
                        group.learners.insert(*old);
                    }
                }
                for new in &voters {
                    group.learners.remove(new);
                }
                group.voters = voters;
                group.last_log_index += 2;
            }
            ShardChange::SetVoters(_) => {}
            ShardChange::RemoveMember(node) => {
                if group.learners.remove(&node) {
                    group.matched.remove(&node);
                    group.last_log_index += 1;
                }
            }
            ShardChange::EvictDamaged(node) => {
                if group.voters.remove(&node) | group.learners.remove(&node) {
                    group.matched.remove(&node);
                    group.last_log_index += 2;
                }
            }
        }
        Ok(())
    }

    fn transfer(&mut self, group: GroupId, to: NodeId) -> Result<(), String> {
        let view = self.view(self.meta_leader());
        let status = match group.shard() {
            Some(shard) => self.report(shard)?.group,
            None => self.meta.clone(),
        };
        validate_transfer(&view, group, &status, to).map_err(|e| e.to_string())?;
        match group.shard() {
            Some(shard) => self.shards.get_mut(&shard).expect("reported").leader = Some(to),
            None => self.meta.leader = Some(to),
        }
        Ok(())
    }

    /// One round of the driver on the meta leader, executed; returns what it decided.
    pub fn drive(&mut self) -> DriverRound {
        let view = self.view(self.meta_leader());
        let round = driver_round(&view, &self.settings);
        for (_, outcome) in &round.steps {
            if let StepOutcome::Advance(commands) | StepOutcome::Done(commands) = outcome {
                let _ = self.execute(commands.clone());
            }
        }
        let _ = self.execute(round.planning_commands(view.now_ms));
        let _ = self.execute(round.departures.clone());
        round
    }

    /// One round of meta membership on the meta leader, executed.
    pub fn reconcile_meta(&mut self) {
        let view = self.view(self.meta_leader());
        // Every simulated node answers as itself.
        let proven = to_prove(&view).into_iter().map(|(node, _)| node).collect();
        let commands = meta_membership(&view, &proven, &self.settings);
        let _ = self.execute(commands);
    }

    /// Membership, driver and replication rounds (`age` apart) until a round changes
    /// nothing or `max_rounds` pass; returns the rounds taken. `check` runs after every
    /// round.
    pub fn settle(
        &mut self,
        max_rounds: usize,
        age: Duration,
        mut check: impl FnMut(&SimCluster),
    ) -> usize {
        for round in 1..=max_rounds {
            let before = (
                self.meta_data.clone(),
                self.meta.clone(),
                self.shards.clone(),
            );
            self.reconcile_meta();
            self.drive();
            self.replicate();
            self.age(age);
            check(self);
            if (
                self.meta_data.clone(),
                self.meta.clone(),
                self.shards.clone(),
            ) == before
            {
                return round;
            }
        }
        max_rounds
    }

    /// Replicas each node holds in the map.
    pub fn replicas_per_node(&self) -> BTreeMap<NodeId, usize> {
        let mut counts = BTreeMap::new();
        for entry in &self.map().shards {
            for replica in &entry.replicas {
                *counts.entry(*replica).or_default() += 1;
            }
        }
        counts
    }
}

/// The ports of node `me` over a shared simulated cluster.
pub fn ports(cluster: &Arc<Mutex<SimCluster>>, me: NodeId) -> Ports {
    let fake = Arc::new(FakeNode {
        cluster: cluster.clone(),
        me,
    });
    Ports {
        shards: fake.clone(),
        meta: fake.clone(),
        gossip: fake.clone(),
        host: fake.clone(),
        probe: fake,
    }
}

/// One node's view of a [`SimCluster`], as every port.
#[derive(Debug)]
pub struct FakeNode {
    cluster: Arc<Mutex<SimCluster>>,
    me: NodeId,
}

impl FakeNode {
    fn with<T>(&self, f: impl FnOnce(&mut SimCluster) -> T) -> T {
        f(&mut self.cluster.lock().expect("sim poisoned"))
    }
}

fn refused(why: String) -> ControlError {
    ControlError::FailedPrecondition(why)
}

#[async_trait]
impl ShardAdmin for FakeNode {
    async fn report(&self, shard: ShardId) -> Result<ShardReport, ControlError> {
        self.with(|sim| sim.report(shard))
            .map_err(ControlError::Unavailable)
    }

    async fn change(
        &self,
        shard: ShardId,
        change: ShardChange,
    ) -> Result<ShardReport, ControlError> {
        self.with(|sim| {
            sim.execute(vec![Command::ChangeShard { shard, change }])?;
            sim.report(shard)
        })
        .map_err(refused)
    }

    async fn transfer_leader(&self, shard: ShardId, to: NodeId) -> Result<(), ControlError> {
        self.with(|sim| {
            sim.execute(vec![Command::TransferLeader {
                group: GroupId::for_shard(shard),
                to,
            }])
        })
        .map_err(refused)
    }
}

#[async_trait]
impl MetaLog for FakeNode {
    fn state(&self) -> Result<MetaState, ControlError> {
        self.with(|sim| {
            let data = &sim.meta_data;
            Ok(MetaState {
                identity: meta::read_identity(data)?,
                nodes: meta::read_nodes(data)?,
                map: meta::read_shard_map(data)?,
                moves: meta::read_moves(data)?,
                counters: meta::read_move_counters(data)?,
            })
        })
    }

    fn group(&self) -> GroupView {
        self.with(|sim| sim.meta.clone())
    }

    async fn propose(&self, command: MetaCommand) -> Result<MetaResponse, ControlError> {
        let me = self.me;
        self.with(|sim| {
            if sim.meta.leader != Some(me) {
                return Err(ControlError::Unavailable(format!(
                    "node {me} does not lead the meta group"
                )));
            }
            let answer = meta::apply_command(&mut sim.meta_data, command)?;
            sim.meta.last_log_index += 1;
            Ok(answer)
        })
    }

    async fn add_learner(&self, node: NodeId, address: &str) -> Result<(), ControlError> {
        let address = address.to_owned();
        self.with(|sim| sim.execute(vec![Command::AddMetaLearner { node, address }]))
            .map_err(refused)
    }

    async fn change_voters(&self, voters: BTreeSet<NodeId>) -> Result<(), ControlError> {
        self.with(|sim| sim.execute(vec![Command::ChangeMetaVoters(voters)]))
            .map_err(refused)
    }

    async fn remove_member(&self, node: NodeId) -> Result<(), ControlError> {
        self.with(|sim| sim.execute(vec![Command::RemoveMetaMember(node)]))
            .map_err(refused)
    }

    async fn transfer_leader(&self, to: NodeId) -> Result<(), ControlError> {
        self.with(|sim| {
            sim.execute(vec![Command::TransferLeader {
                group: GroupId::META,
                to,
            }])
        })
        .map_err(refused)
    }
}

#[async_trait]
impl crate::ports::NodeProbe for FakeNode {
    /// The simulated node whose internal address this is answers.
    async fn identify(&self, address: &str) -> Result<NodeId, ControlError> {
        let cluster = self.cluster.lock().expect("sim poisoned");
        let view = cluster.view(self.me);
        view.nodes
            .values()
            .find(|node| node.internal_address() == Some(address))
            .map(|node| node.id)
            .ok_or_else(|| ControlError::Unavailable(format!("nobody answers at {address}")))
    }
}

#[async_trait]
impl Gossip for FakeNode {
    fn members(&self) -> BTreeMap<NodeId, Member> {
        self.with(|sim| {
            sim.nodes
                .iter()
                .map(|(id, node)| (*id, sim.member(*id, node)))
                .collect()
        })
    }

    async fn publish(&self, info: NodeInfo) {
        let me = self.me;
        self.with(|sim| {
            if let Some(node) = sim.nodes.get_mut(&me) {
                node.ready = info.ready;
                node.applied_epoch = info.shard_map_epoch;
            }
        });
    }
}

#[async_trait]
impl ReplicaHost for FakeNode {
    fn hosted(&self) -> BTreeMap<ShardId, GroupView> {
        let me = self.me;
        self.with(|sim| {
            sim.shards
                .iter()
                .filter(|(_, group)| group.is_member(me))
                .map(|(shard, group)| (*shard, group.clone()))
                .collect()
        })
    }

    fn routing_epoch(&self) -> u64 {
        let me = self.me;
        self.with(|sim| sim.nodes.get(&me).map_or(0, |n| n.applied_epoch))
    }

    async fn reconcile(&self, map: ShardMap, _changes: HostingChanges) -> Result<(), ControlError> {
        let me = self.me;
        self.with(|sim| {
            if let Some(node) = sim.nodes.get_mut(&me) {
                node.applied_epoch = map.epoch;
            }
        });
        Ok(())
    }
}

/// The view of `sim` from its meta leader: a shortcut for engine tests.
pub fn leader_view(sim: &SimCluster) -> ClusterView {
    sim.view(sim.meta_leader())
}

/// Every move's next step from the meta leader's view (without running anything).
pub fn next_steps(sim: &SimCluster) -> Vec<(u64, StepOutcome)> {
    let view = leader_view(sim);
    view.moves
        .iter()
        .map(|record| {
            let report = view.reports.get(&record.shard).expect("asked");
            let report = report.as_ref().map_err(String::as_str);
            (record.id, engine::moves::next_step(&view, record, report))
        })
        .collect()
}
