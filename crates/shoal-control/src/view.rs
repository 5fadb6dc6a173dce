//! The cluster as the control plane sees it at one moment: plain data, built once per tick
//! from the meta replica (registry, shard map, moves), the meta group's status, gossip
//! (liveness, readiness, what each node says of itself) and, for shards with a move in
//! flight, their leaders' reports. The engine decides from a view and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use shoal_consensus::GroupStatus;
use shoal_membership::Member;
use shoal_replication::meta::{MoveRecord, NodeRecord};
use shoal_shardmap::{NodeId, NodeState, ShardId, ShardMap};

/// A member within this many entries of its leader's log has caught up: it may take a
/// leadership, a move's target may be promoted, a learner may become a meta voter. The one
/// definition for every such decision.
pub const CAUGHT_UP_ENTRIES: u64 = 64;

/// One node: what the registry records and what gossip says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    pub id: NodeId,
    /// The registry's record (None: seen in gossip, not registered).
    pub record: Option<NodeRecord>,
    /// What gossip knows of it now (None: never seen, or forgotten).
    pub gossip: Option<Member>,
    /// How long this node has watched it down (None: up, or never watched).
    pub down_for: Option<Duration>,
}

impl NodeView {
    /// Alive according to gossip's failure detector.
    pub fn live(&self) -> bool {
        self.gossip.as_ref().is_some_and(|member| member.live)
    }

    /// Alive and serving: a dead node's last words are not current.
    pub fn ready(&self) -> bool {
        self.gossip
            .as_ref()
            .is_some_and(|member| member.live && member.info.ready)
    }

    /// The node says it refuses writes (its disk is full or below its reserve).
    pub fn refuses_writes(&self) -> bool {
        self.gossip
            .as_ref()
            .is_some_and(|member| member.live && member.info.writes_refused)
    }

    /// The state that decides what the node may do: leaving while it says so (it is
    /// shutting down), else the registry's, else what it gossips.
    pub fn state(&self) -> NodeState {
        let gossiped = self.gossip.as_ref().map(|member| member.info.state);
        if self.live() && gossiped == Some(NodeState::Leaving) {
            return NodeState::Leaving;
        }
        self.record
            .as_ref()
            .map(|record| record.state)
            .or(gossiped)
            .unwrap_or(NodeState::Joining)
    }

    /// The internal address peers dial: what the node gossips now, else the registry's.
    pub fn internal_address(&self) -> Option<&str> {
        self.gossip
            .as_ref()
            .map(|member| member.info.internal_address.as_str())
            .filter(|address| !address.is_empty())
            .or_else(|| self.record.as_ref().map(|r| r.internal_address.as_str()))
            .filter(|address| !address.is_empty())
    }

    pub fn zone(&self) -> Option<&str> {
        self.record
            .as_ref()
            .and_then(|r| r.zone.as_deref())
            .or_else(|| self.gossip.as_ref().and_then(|m| m.info.zone.as_deref()))
    }

    /// The shard-map epoch the node says it applied.
    pub fn applied_epoch(&self) -> u64 {
        self.gossip
            .as_ref()
            .map_or(0, |member| member.info.shard_map_epoch)
    }

    /// The cluster the node says it belongs to.
    pub fn cluster_id(&self) -> Option<&str> {
        self.gossip
            .as_ref()
            .and_then(|member| member.info.cluster_id.as_deref())
    }
}

/// A Raft group's membership and progress, as seen from one of its members (the progress
/// of the others is known only on the leader).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupView {
    pub leader: Option<NodeId>,
    pub term: u64,
    /// Every voter (in a joint configuration, of both halves).
    pub voters: BTreeSet<NodeId>,
    pub learners: BTreeSet<NodeId>,
    /// In a joint configuration — a change of voters its leader did not finish — the voters
    /// it changes to (asking for them again finishes the change).
    pub joint_goal: Option<BTreeSet<NodeId>>,
    pub last_log_index: u64,
    /// On the leader: the last log index each other member holds (None: unknown yet).
    pub matched: BTreeMap<NodeId, Option<u64>>,
}

impl GroupView {
    pub fn from_status(status: &GroupStatus) -> GroupView {
        GroupView {
            leader: status.leader,
            term: status.term,
            voters: status.voters.iter().copied().collect(),
            learners: status.learners.iter().copied().collect(),
            joint_goal: status
                .joint_goal
                .as_ref()
                .map(|goal| goal.iter().copied().collect()),
            last_log_index: status.last_log_index,
            matched: status.matched.clone(),
        }
    }

    pub fn is_voter(&self, node: NodeId) -> bool {
        self.voters.contains(&node)
    }

    pub fn is_member(&self, node: NodeId) -> bool {
        self.voters.contains(&node) || self.learners.contains(&node)
    }

    /// Voters and learners.
    pub fn members(&self) -> BTreeSet<NodeId> {
        self.voters.union(&self.learners).copied().collect()
    }

    /// The last log index `node` holds, as the leader knows it (the leader holds its log).
    pub fn matched(&self, node: NodeId) -> Option<u64> {
        if self.leader == Some(node) {
            return Some(self.last_log_index);
        }
        self.matched.get(&node).copied().flatten()
    }

    /// Within [`CAUGHT_UP_ENTRIES`] of the leader's log.
    pub fn caught_up(&self, node: NodeId) -> bool {
        self.matched(node)
            .is_some_and(|matched| matched + CAUGHT_UP_ENTRIES >= self.last_log_index)
    }
}

/// A snapshot being sent to one member.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TransferView {
    pub sent: u64,
    pub total: u64,
    pub bytes_per_second: f64,
}

/// A shard's replica set as its leader reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardReport {
    pub shard: ShardId,
    /// The group as its leader sees it (`leader` is the reporting node).
    pub group: GroupView,
    /// Snapshots being sent to members, by member.
    pub transfers: BTreeMap<NodeId, TransferView>,
}

impl ShardReport {
    /// The node that reported (the shard's leader).
    pub fn leader(&self) -> Option<NodeId> {
        self.group.leader
    }
}

/// The whole cluster at one moment, as this node sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterView {
    /// The node looking.
    pub me: NodeId,
    /// Now, by this node's clock (the shard clock, with its test offset).
    pub now_ms: u64,
    pub cluster_id: Option<String>,
    /// Every node the registry or gossip knows, by id.
    pub nodes: BTreeMap<NodeId, NodeView>,
    /// The shard map this node applied (None before the cluster exists).
    pub map: Option<ShardMap>,
    /// Replica moves in flight, by id.
    pub moves: Vec<MoveRecord>,
    /// The meta group as this node sees it.
    pub meta: GroupView,
    /// Reports of the shards with a move in flight, from their leaders (or why there is
    /// none).
    pub reports: BTreeMap<ShardId, Result<ShardReport, String>>,
}

impl ClusterView {
    /// Builds the view from its sources: the registry, gossip members, and how long each
    /// node has been watched down.
    #[allow(clippy::too_many_arguments)]
    pub fn assemble(
        me: NodeId,
        now_ms: u64,
        cluster_id: Option<String>,
        registry: Vec<NodeRecord>,
        gossip: BTreeMap<NodeId, Member>,
        down_for: impl Fn(NodeId) -> Option<Duration>,
        map: Option<ShardMap>,
        moves: Vec<MoveRecord>,
        meta: GroupView,
    ) -> ClusterView {
        let mut nodes: BTreeMap<NodeId, NodeView> = BTreeMap::new();
        for record in registry {
            nodes.insert(
                record.id,
                NodeView {
                    id: record.id,
                    record: Some(record),
                    gossip: None,
                    down_for: None,
                },
            );
        }
        for (id, member) in gossip {
            nodes
                .entry(id)
                .or_insert_with(|| NodeView {
                    id,
                    record: None,
                    gossip: None,
                    down_for: None,
                })
                .gossip = Some(member);
        }
        for node in nodes.values_mut() {
            node.down_for = down_for(node.id);
        }
        ClusterView {
            me,
            now_ms,
            cluster_id,
            nodes,
            map,
            moves,
            meta,
            reports: BTreeMap::new(),
        }
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeView> {
        self.nodes.get(&id)
    }

    /// Registered nodes, by id.
    pub fn registered(&self) -> impl Iterator<Item = (&NodeRecord, &NodeView)> {
        self.nodes
            .values()
            .filter_map(|node| node.record.as_ref().map(|record| (record, node)))
    }

    pub fn is_live(&self, id: NodeId) -> bool {
        self.node(id).is_some_and(NodeView::live)
    }

    /// This node leads the meta group (the control plane acts only there).
    pub fn is_meta_leader(&self) -> bool {
        self.meta.leader == Some(self.me)
    }

    /// The shard map, or why there is none yet.
    pub fn shard_map(&self) -> Result<&ShardMap, crate::ControlError> {
        self.map.as_ref().ok_or_else(|| {
            crate::ControlError::Unavailable("the cluster has no shard map yet".into())
        })
    }
}
