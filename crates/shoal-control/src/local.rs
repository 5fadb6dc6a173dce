//! The ports as this node implements them: the meta group, gossip, the replicas it hosts,
//! and the administration of shards it leads — the local fast path of shard admin, which
//! the gateway's gRPC implementation falls back to for shards led here, and which serves
//! `shoal.internal.v1.Control` on the shard leader.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shoal_consensus::{RaftGroup, RaftSettings, Storage, Transport};
use shoal_membership::{Member, Membership, NodeInfo};
use shoal_replication::meta::{self, MetaCommand, MetaResponse};
use shoal_replication::{
    Clock, KvMachine, LocalReplicas, Meta, ReplicationError, RoutingView, ShardReplica,
};
use shoal_shardmap::{GroupId, NodeId, ShardEntry, ShardId, ShardMap};

use crate::ControlError;
use crate::command::ShardChange;
use crate::engine::hosting::{HostingChanges, creates_group, wanted_replicas};
use crate::engine::leadership::{Handoff, leader_target};
use crate::engine::validate::{validate_change, validate_transfer};
use crate::ports::{Gossip, MetaLog, MetaState, ReplicaHost, ShardAdmin};
use crate::source::ViewSource;
use crate::view::{ClusterView, GroupView, ShardReport, TransferView};

/// Longest a shard leader spends snapshotting and purging its log before adding a learner.
const COMPACT_WITHIN: Duration = Duration::from_secs(8);

/// The meta group through this node's replica of it.
#[derive(Debug, Clone)]
pub struct MetaGroup {
    meta: Meta,
}

impl MetaGroup {
    pub fn new(meta: Meta) -> MetaGroup {
        MetaGroup { meta }
    }
}

#[async_trait]
impl MetaLog for MetaGroup {
    fn state(&self) -> Result<MetaState, ControlError> {
        // One reader: a consistent state, not five reads of different moments.
        let reader = self.meta.reader()?;
        Ok(MetaState {
            identity: meta::read_identity(&reader)?,
            nodes: meta::read_nodes(&reader)?,
            map: meta::read_shard_map(&reader)?,
            moves: meta::read_moves(&reader)?,
            counters: meta::read_move_counters(&reader)?,
        })
    }

    fn group(&self) -> GroupView {
        GroupView::from_status(&self.meta.group().status())
    }

    async fn propose(&self, command: MetaCommand) -> Result<MetaResponse, ControlError> {
        Ok(self.meta.propose(&command).await?)
    }

    async fn add_learner(&self, node: NodeId, address: &str) -> Result<(), ControlError> {
        tracing::info!(node_id = %node, %address, "adding a node to the meta group as a learner");
        Ok(self.meta.group().add_learner(node, address, false).await?)
    }

    async fn change_voters(&self, voters: BTreeSet<NodeId>) -> Result<(), ControlError> {
        debug_assert!(
            !voters.is_empty(),
            "the meta group keeps at least one voter"
        );
        tracing::info!(?voters, "changing the voters of the meta group");
        Ok(self.meta.group().change_voters(voters).await?)
    }

    async fn remove_member(&self, node: NodeId) -> Result<(), ControlError> {
        tracing::info!(node_id = %node, "removing a node from the meta group");
        Ok(self.meta.group().remove_learner(node).await?)
    }

    async fn transfer_leader(&self, to: NodeId) -> Result<(), ControlError> {
        tracing::info!(to = %to, "moving the leadership of the meta group");
        Ok(self.meta.group().transfer_leader(to).await?)
    }
}

/// Gossip through this node's membership.
#[derive(Clone)]
pub struct GossipMembership(pub Arc<Membership>);

impl std::fmt::Debug for GossipMembership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GossipMembership")
    }
}

#[async_trait]
impl Gossip for GossipMembership {
    fn members(&self) -> BTreeMap<NodeId, Member> {
        self.0.members()
    }

    async fn publish(&self, info: NodeInfo) {
        self.0.publish(&info).await;
    }
}

/// Gossip for a node running alone: it sees only itself, live, and what it last
/// published.
#[derive(Debug)]
pub struct SoloGossip {
    me: NodeId,
    info: std::sync::Mutex<NodeInfo>,
}

impl SoloGossip {
    pub fn new(me: NodeId, info: NodeInfo) -> SoloGossip {
        SoloGossip {
            me,
            info: std::sync::Mutex::new(info),
        }
    }
}

#[async_trait]
impl Gossip for SoloGossip {
    fn members(&self) -> BTreeMap<NodeId, Member> {
        let info = self.info.lock().expect("solo gossip poisoned").clone();
        BTreeMap::from([(
            self.me,
            Member {
                node_id: self.me,
                generation: 0,
                gossip_address: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
                live: true,
                info,
            },
        )])
    }

    async fn publish(&self, info: NodeInfo) {
        *self.info.lock().expect("solo gossip poisoned") = info;
    }
}

/// What starting a shard replica on this node takes.
#[derive(Debug, Clone)]
pub struct ReplicaFactory {
    pub transport: Arc<Transport>,
    pub storage: Storage,
    pub settings: RaftSettings,
    pub clock: Clock,
}

impl ReplicaFactory {
    /// Starts this node's replica of `entry`. With `create`, the replica creates the group
    /// with those voters (node → internal address) unless it exists; without, it waits for
    /// its leader to add it and send it a snapshot.
    pub async fn start(
        &self,
        entry: &ShardEntry,
        create: Option<&BTreeMap<NodeId, String>>,
    ) -> Result<ShardReplica, ControlError> {
        let group = RaftGroup::start(
            &self.transport,
            GroupId::for_shard(entry.id),
            self.storage.clone(),
            Arc::new(KvMachine),
            &self.settings,
        )
        .await?;
        if let Some(voters) = create {
            group.initialize(voters).await?;
        }
        Ok(ShardReplica::new(entry.id, entry.range, group, self.clock))
    }

    /// Puts this node's replica of `shard`, which could not start from its data, in
    /// quarantine (unless it is there already, with its first reason).
    pub fn quarantine_unstartable(&self, shard: ShardId, error: &dyn std::fmt::Display) {
        let group = GroupId::for_shard(shard);
        self.storage.quarantine(
            group,
            &format!(
                "this node's replica of shard {shard} could not start from its data: {error} \
                 (with no healthy replica to rebuild it from, restore it from a backup; delete \
                 quarantine/{} in the data dir to try again)",
                group.0
            ),
        );
    }

    /// At start: every replica this node should run under `map` and the moves in flight
    /// (`registry`: node → internal address), but the damaged ones (quarantined before, or
    /// found damaged while starting): they stay down, and gossip says so. Under the
    /// cluster's first map the first replica of each shard creates its group.
    pub async fn start_hosted(
        &self,
        map: &ShardMap,
        moves: &[meta::MoveRecord],
        me: NodeId,
        registry: &BTreeMap<NodeId, String>,
    ) -> Result<Vec<ShardReplica>, ControlError> {
        let wanted = wanted_replicas(map, moves, me);
        let starts = map
            .shards
            .iter()
            .filter(|entry| wanted.contains(&entry.id))
            .map(|entry| async move {
                let voters = if creates_group(map, entry, me) {
                    let voters = entry
                        .replicas
                        .iter()
                        .map(|id| {
                            registry.get(id).map(|a| (*id, a.clone())).ok_or_else(|| {
                                ControlError::Internal(format!(
                                    "node {id}, a replica of shard {}, is not registered",
                                    entry.id
                                ))
                            })
                        })
                        .collect::<Result<BTreeMap<_, _>, _>>()?;
                    Some(voters)
                } else {
                    None
                };
                match self.start(entry, voters.as_ref()).await {
                    Ok(replica) => Ok::<_, ControlError>(Some(replica)),
                    Err(error) => {
                        // A replica that cannot start from its data is damaged (a record
                        // failed its checksum, entries its log should hold are missing…):
                        // it stays down in quarantine while the others serve, and the cluster
                        // rebuilds it from a healthy replica.
                        self.quarantine_unstartable(entry.id, &error);
                        tracing::error!(shard = %entry.id, %error, "not starting a damaged replica");
                        Ok(None)
                    }
                }
            });
        Ok(futures::future::try_join_all(starts)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}

/// The replicas hosted here, as the hosting port.
#[derive(Debug, Clone)]
pub struct LocalReplicaHost {
    replicas: Arc<LocalReplicas>,
    factory: ReplicaFactory,
}

impl LocalReplicaHost {
    pub fn new(replicas: Arc<LocalReplicas>, factory: ReplicaFactory) -> LocalReplicaHost {
        LocalReplicaHost { replicas, factory }
    }
}

#[async_trait]
impl ReplicaHost for LocalReplicaHost {
    fn hosted(&self) -> BTreeMap<ShardId, GroupView> {
        self.replicas
            .view()
            .replicas
            .iter()
            .map(|(id, replica)| (*id, GroupView::from_status(&replica.status())))
            .collect()
    }

    fn damaged(&self) -> BTreeMap<ShardId, String> {
        self.factory
            .storage
            .quarantined()
            .into_iter()
            .filter_map(|(group, reason)| group.shard().map(|shard| (shard, reason)))
            .collect()
    }

    fn write_refusal(&self) -> Option<String> {
        self.factory.storage.write_refusal(true)
    }

    fn routing_epoch(&self) -> u64 {
        self.replicas.shard_map().epoch
    }

    async fn reconcile(&self, map: ShardMap, changes: HostingChanges) -> Result<(), ControlError> {
        let mut replicas = self.replicas.view().replicas.clone();
        let stopped: Vec<ShardReplica> = changes
            .stop
            .iter()
            .filter_map(|shard| replicas.remove(shard))
            .collect();
        if !stopped.is_empty() {
            // Route around them first, then stop them: they neither vote nor serve.
            self.replicas.set_view(RoutingView {
                shard_map: self.replicas.view().shard_map.clone(),
                replicas: replicas.clone(),
            });
        }
        for replica in stopped {
            tracing::error!(shard = %replica.id(), "stopping a damaged replica: it neither votes nor serves until it is rebuilt from a healthy one");
            replica.group().shutdown().await;
        }
        for shard in &changes.rebuild {
            let Some(entry) = map.entry(*shard) else {
                continue;
            };
            tracing::warn!(shard = %shard, "deleting a damaged replica evicted from its group, to rebuild it from a healthy one");
            self.factory
                .storage
                .delete_group(GroupId::for_shard(*shard))
                .await
                .map_err(|error| {
                    ControlError::Internal(format!(
                        "deleting the damaged replica of shard {shard}: {error}"
                    ))
                })?;
            replicas.insert(*shard, self.factory.start(entry, None).await?);
        }
        for shard in &changes.start {
            let Some(entry) = map.entry(*shard) else {
                continue;
            };
            tracing::info!(shard = %shard, "starting a replica moved to this node");
            replicas.insert(*shard, self.factory.start(entry, None).await?);
        }
        let removed: Vec<ShardReplica> = changes
            .delete
            .iter()
            .filter_map(|shard| replicas.remove(shard))
            .collect();
        self.replicas.set_view(RoutingView {
            shard_map: Arc::new(map),
            replicas,
        });
        for replica in removed {
            tracing::info!(shard = %replica.id(), "deleting a replica moved away from this node");
            replica.group().shutdown_and_delete().await?;
        }
        // Damaged replicas moved away (they do not run): only their data is left.
        for shard in &changes.delete {
            let group = GroupId::for_shard(*shard);
            if self.factory.storage.is_quarantined(group) {
                tracing::info!(shard = %shard, "deleting a damaged replica moved away from this node");
                self.factory
                    .storage
                    .delete_group(group)
                    .await
                    .map_err(|error| {
                        ControlError::Internal(format!(
                            "deleting the damaged replica of shard {shard}: {error}"
                        ))
                    })?;
            }
        }
        Ok(())
    }
}

/// Administration of the shards this node leads: reports, validated changes of their
/// replica sets, validated leader transfers.
#[derive(Debug, Clone)]
pub struct LocalShards {
    replicas: Arc<LocalReplicas>,
    transport: Arc<Transport>,
    views: ViewSource,
}

impl LocalShards {
    pub fn new(replicas: Arc<LocalReplicas>, transport: Arc<Transport>, views: ViewSource) -> Self {
        LocalShards {
            replicas,
            transport,
            views,
        }
    }

    /// True when this node leads `shard` now.
    pub fn leads(&self, shard: ShardId) -> bool {
        self.replicas
            .replica(shard)
            .is_some_and(|replica| replica.group().is_leader())
    }

    /// This node's replica of `shard` when it leads it; NOT_FOUND for a shard the cluster
    /// does not have; NotLeader (naming the leader when known) otherwise.
    fn leading(&self, shard: ShardId) -> Result<ShardReplica, ControlError> {
        let map = self.replicas.shard_map();
        if map.entry(shard).is_none() {
            return Err(ControlError::NotFound(format!(
                "shard {shard} does not exist (the cluster has shards 0 to {})",
                map.shards.len().saturating_sub(1)
            )));
        }
        match self.replicas.replica(shard) {
            Some(replica) if replica.group().is_leader() => Ok(replica),
            _ => {
                let leader = self
                    .replicas
                    .leader_of(shard)
                    .filter(|l| *l != self.replicas.node_id());
                Err(ControlError::Replication(ReplicationError::NotLeader {
                    group: GroupId::for_shard(shard),
                    leader,
                    leader_address: leader.and_then(|l| self.replicas.address_of(l, Some(shard))),
                }))
            }
        }
    }

    fn report_of(&self, replica: &ShardReplica) -> ShardReport {
        let group = GroupView::from_status(&replica.status());
        let transfers = self
            .transport
            .transfers()
            .in_flight(GroupId::for_shard(replica.id()))
            .into_iter()
            .map(|progress| {
                (
                    progress.target,
                    TransferView {
                        sent: progress.sent,
                        total: progress.total,
                        bytes_per_second: progress.rate(),
                    },
                )
            })
            .collect();
        ShardReport {
            shard: replica.id(),
            group,
            transfers,
        }
    }

    /// The report of `shard`, which this node must lead.
    pub fn report(&self, shard: ShardId) -> Result<ShardReport, ControlError> {
        Ok(self.report_of(&self.leading(shard)?))
    }

    /// Applies `change` to `shard` (this node must lead it) once validated against the
    /// view, and reports.
    pub async fn change(
        &self,
        shard: ShardId,
        change: ShardChange,
    ) -> Result<ShardReport, ControlError> {
        let replica = self.leading(shard)?;
        let view = self.views.view()?;
        let group = GroupView::from_status(&replica.status());
        let group_id = GroupId::for_shard(shard);
        validate_change(&view, group_id, &group, &change)?;
        let raft = replica.group();
        match change {
            ShardChange::AddLearner { node, address } => {
                if !group.is_member(node) {
                    // The new replica then receives a snapshot (capped, resumable), not the log.
                    raft.compact_for_transfer(COMPACT_WITHIN).await?;
                    tracing::info!(shard = %shard, node_id = %node, "adding a learner");
                    raft.add_learner(node, &address, false).await?;
                }
            }
            ShardChange::SetVoters(wanted) => {
                debug_assert!(
                    wanted.len() >= group.voters.len()
                        || group.joint_goal.as_ref() == Some(&wanted),
                    "a shard never has fewer voters after a change (validated above)"
                );
                if wanted != group.voters {
                    tracing::info!(shard = %shard, from = ?group.voters, to = ?wanted, "changing voters");
                    raft.change_voters(wanted).await?;
                }
            }
            ShardChange::RemoveMember(node) => {
                if group.is_member(node) {
                    tracing::info!(shard = %shard, node_id = %node, "removing a member");
                    raft.remove_learner(node).await?;
                }
            }
            ShardChange::EvictDamaged(node) => {
                if group.is_voter(node) {
                    let staying: BTreeSet<NodeId> = group
                        .voters
                        .iter()
                        .copied()
                        .filter(|v| *v != node)
                        .collect();
                    tracing::warn!(shard = %shard, node_id = %node, voters = ?staying, "evicting a damaged replica from the voters");
                    raft.change_voters(staying).await?;
                }
                if raft.members().contains_key(&node) {
                    tracing::warn!(shard = %shard, node_id = %node, "removing a damaged replica");
                    raft.remove_learner(node).await?;
                }
            }
        }
        Ok(self.report_of(&replica))
    }

    /// Asks this node's replica of `shard` (the leader) to hand its leadership to `to`,
    /// once validated: `to` must be able to lead.
    pub async fn transfer_leader(&self, shard: ShardId, to: NodeId) -> Result<(), ControlError> {
        let replica = self.leading(shard)?;
        let view = self.views.view()?;
        let group = GroupView::from_status(&replica.status());
        validate_transfer(&view, GroupId::for_shard(shard), &group, to)?;
        if to != self.replicas.node_id() {
            tracing::info!(shard = %shard, to = %to, "moving the leadership");
            replica.group().transfer_leader(to).await?;
        }
        Ok(())
    }
}

/// Shard administration with the local fast path: a shard this node leads is handled
/// here; any other goes to `remote` (the gateway's gRPC implementation).
#[derive(Clone)]
pub struct RoutedShards {
    pub local: LocalShards,
    pub remote: Arc<dyn ShardAdmin>,
}

impl std::fmt::Debug for RoutedShards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutedShards")
            .field("local", &self.local)
            .finish()
    }
}

#[async_trait]
impl ShardAdmin for RoutedShards {
    async fn report(&self, shard: ShardId) -> Result<ShardReport, ControlError> {
        if self.local.leads(shard) {
            return self.local.report(shard);
        }
        self.remote.report(shard).await
    }

    async fn change(
        &self,
        shard: ShardId,
        change: ShardChange,
    ) -> Result<ShardReport, ControlError> {
        if self.local.leads(shard) {
            return self.local.change(shard, change).await;
        }
        self.remote.change(shard, change).await
    }

    async fn transfer_leader(&self, shard: ShardId, to: NodeId) -> Result<(), ControlError> {
        if self.local.leads(shard) {
            return self.local.transfer_leader(shard, to).await;
        }
        self.remote.transfer_leader(shard, to).await
    }
}

/// Before shutdown: moves the leadership of every group in `groups` this node leads to
/// the voter that should take over ([`leader_target`], hand-off required), and waits (up
/// to `within`) for the new leaders. Groups without another live voter keep their leader
/// until the node stops. Returns (handed off, led).
pub async fn hand_off_leaderships(
    groups: &[RaftGroup],
    view: &ClusterView,
    within: Duration,
) -> (usize, usize) {
    let moves = groups.iter().filter_map(|group| {
        if !group.is_leader() {
            return None;
        }
        let status = GroupView::from_status(&group.status());
        let target = leader_target(view, &status, view.me, None, &[], Handoff::Required)?;
        Some(async move {
            if group.transfer_leader(target).await.is_ok() {
                group.wait_for_leader_change(target, within).await == Some(target)
            } else {
                false
            }
        })
    });
    let outcomes = futures::future::join_all(moves).await;
    (
        outcomes.iter().filter(|moved| **moved).count(),
        outcomes.len(),
    )
}
