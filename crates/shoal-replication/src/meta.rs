//! The meta (control-plane) state machine: the node registry and the shard map with its
//! epoch. Replicated by group 0; data shards read their assignment from it.

use std::io;

use serde::{Deserialize, Serialize};
use shoal_consensus::{GroupReader, GroupWriter, RaftGroup, StateMachine};
use shoal_shardmap::{ShardId, ShardMap};

use crate::error::ReplicationError;

const SPACE_META: u8 = 0;
const KEY_CLUSTER: &[u8] = b"cluster";
const KEY_SHARD_MAP: &[u8] = b"shard_map";
const NODE_PREFIX: &[u8] = b"node/";
const MOVE_PREFIX: &[u8] = b"move/";
const KEY_MOVE_COUNTERS: &[u8] = b"move_counters";
/// Format 2 added the zone and admin address of nodes.
const FORMAT: u8 = 2;

/// Lifecycle state of a node in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeState {
    Joining,
    Active,
    Draining,
    Decommissioned,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Joining => "joining",
            NodeState::Active => "active",
            NodeState::Draining => "draining",
            NodeState::Decommissioned => "decommissioned",
        }
    }

    pub fn parse(text: &str) -> Option<NodeState> {
        Some(match text {
            "joining" => NodeState::Joining,
            "active" => NodeState::Active,
            "draining" => NodeState::Draining,
            "decommissioned" => NodeState::Decommissioned,
            _ => return None,
        })
    }
}

/// A node as the control plane knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub id: u64,
    pub name: String,
    pub internal_address: String,
    pub client_address: String,
    pub admin_address: String,
    pub zone: Option<String>,
    pub state: NodeState,
}

/// Identity of the cluster, fixed at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterIdentity {
    pub cluster_id: String,
    pub created_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaCommand {
    /// Creates the cluster's identity, first shard map and registry of its first nodes;
    /// a no-op when the cluster exists.
    CreateCluster {
        identity: ClusterIdentity,
        shard_map: ShardMap,
        nodes: Vec<NodeRecord>,
    },
    /// Adds or updates a node in the registry.
    RegisterNode(NodeRecord),
    /// Changes a registered node's state (drain, undrain); rejected for unknown nodes.
    SetNodeState { node_id: u64, state: NodeState },
    /// Records new replica moves (the placement driver's plan); a move of a shard that
    /// already has one in flight is skipped. Each gets the next move id.
    StartMoves { moves: Vec<MovePlan>, at_ms: u64 },
    /// A move reached `step`.
    AdvanceMove { id: u64, step: MoveStep, at_ms: u64 },
    /// A move is done: the shard map now lists `to` instead of `from` (epoch + 1).
    FinishMove { id: u64 },
    /// A move is given up before its target became a voter; the map is unchanged.
    AbortMove { id: u64, reason: String },
    /// Makes `node` (a replica of `shard`) the shard's preferred leader: first in the map.
    PreferLeader { shard: ShardId, node: u64 },
}

/// A move as planned, before it gets an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovePlan {
    pub shard: ShardId,
    pub from: Option<u64>,
    pub to: u64,
    pub reason: String,
}

/// The steps of a replica move, in order. Every step is idempotent, so a new meta leader
/// resumes a move by redoing its recorded step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MoveStep {
    /// Add the target as a learner of the shard's group (its node starts the group).
    AddLearner,
    /// The target receives a snapshot and then the log until it is caught up.
    CatchUp,
    /// Joint consensus: the target becomes a voter and the source stops being one.
    Promote,
    /// The source is removed from the group; then the map changes and its data goes.
    RemoveOld,
}

impl MoveStep {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveStep::AddLearner => "add-learner",
            MoveStep::CatchUp => "catch-up",
            MoveStep::Promote => "promote",
            MoveStep::RemoveOld => "remove-old",
        }
    }
}

/// A replica move in flight, as recorded in the meta group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRecord {
    pub id: u64,
    pub shard: ShardId,
    pub from: Option<u64>,
    pub to: u64,
    pub reason: String,
    pub step: MoveStep,
    pub started_at_ms: u64,
    pub step_at_ms: u64,
}

/// How many moves have ended, and the next move id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveCounters {
    pub next_id: u64,
    pub finished: u64,
    pub aborted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaResponse {
    Created,
    AlreadyCreated,
    Registered,
    Rejected {
        reason: String,
    },
    /// The node's state before the change.
    NodeStateSet {
        previous: NodeState,
    },
    /// The moves recorded (shards that already had a move in flight are left out).
    MovesStarted {
        moves: Vec<MoveRecord>,
    },
    MoveUpdated,
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT];
    out.extend(postcard::to_allocvec(value).expect("meta values always serialize"));
    out
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => {
            postcard::from_bytes(rest).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unknown meta value format",
        )),
    }
}

fn node_key(id: u64) -> Vec<u8> {
    let mut key = NODE_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

fn move_key(id: u64) -> Vec<u8> {
    let mut key = MOVE_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    *end.last_mut().expect("non-empty prefix") += 1;
    end
}

fn read_moves(data: &GroupWriter<'_, '_>) -> io::Result<Vec<MoveRecord>> {
    data.range(
        SPACE_META,
        MOVE_PREFIX,
        &prefix_end(MOVE_PREFIX),
        usize::MAX,
    )?
    .into_iter()
    .map(|(_, v)| decode(&v))
    .collect()
}

fn read_counters(data: &GroupWriter<'_, '_>) -> io::Result<MoveCounters> {
    Ok(data
        .get(SPACE_META, KEY_MOVE_COUNTERS)?
        .map(|b| decode(&b))
        .transpose()?
        .unwrap_or_default())
}

fn read_move(data: &GroupWriter<'_, '_>, id: u64) -> io::Result<Option<MoveRecord>> {
    data.get(SPACE_META, &move_key(id))?
        .map(|b| decode(&b))
        .transpose()
}

fn no_such_move(id: u64) -> MetaResponse {
    MetaResponse::Rejected {
        reason: format!("move {id} is not in flight"),
    }
}

/// Applies the move commands (split from `apply` to keep it readable).
fn apply_move(data: &mut GroupWriter<'_, '_>, command: MetaCommand) -> io::Result<MetaResponse> {
    Ok(match command {
        MetaCommand::StartMoves { moves, at_ms } => {
            let mut busy: Vec<ShardId> = read_moves(data)?.iter().map(|m| m.shard).collect();
            let mut counters = read_counters(data)?;
            let mut started = Vec::new();
            for plan in moves {
                if busy.contains(&plan.shard) {
                    continue;
                }
                busy.push(plan.shard);
                counters.next_id += 1;
                let record = MoveRecord {
                    id: counters.next_id,
                    shard: plan.shard,
                    from: plan.from,
                    to: plan.to,
                    reason: plan.reason,
                    step: MoveStep::AddLearner,
                    started_at_ms: at_ms,
                    step_at_ms: at_ms,
                };
                data.put(SPACE_META, &move_key(record.id), &encode(&record))?;
                started.push(record);
            }
            data.put(SPACE_META, KEY_MOVE_COUNTERS, &encode(&counters))?;
            MetaResponse::MovesStarted { moves: started }
        }
        MetaCommand::AdvanceMove { id, step, at_ms } => match read_move(data, id)? {
            None => no_such_move(id),
            Some(mut record) => {
                // Steps only go forward: a late duplicate from an old leader is harmless.
                if step > record.step {
                    record.step = step;
                    record.step_at_ms = at_ms;
                    data.put(SPACE_META, &move_key(id), &encode(&record))?;
                }
                MetaResponse::MoveUpdated
            }
        },
        MetaCommand::FinishMove { id } => match read_move(data, id)? {
            None => no_such_move(id),
            Some(record) => {
                let mut map: ShardMap = match data.get(SPACE_META, KEY_SHARD_MAP)? {
                    Some(bytes) => decode(&bytes)?,
                    None => return Ok(no_such_move(id)),
                };
                if let Some(entry) = map.shards.iter_mut().find(|e| e.id == record.shard) {
                    // The target takes the source's place in the order (the first replica
                    // is the preferred leader), or goes last when nothing is replaced.
                    let position = record
                        .from
                        .and_then(|from| entry.replicas.iter().position(|r| *r == from));
                    match position {
                        Some(i) => entry.replicas[i] = record.to,
                        None => entry.replicas.push(record.to),
                    }
                    let mut seen = Vec::new();
                    entry.replicas.retain(|r| {
                        let first = !seen.contains(r);
                        seen.push(*r);
                        first
                    });
                }
                map.epoch += 1;
                data.put(SPACE_META, KEY_SHARD_MAP, &encode(&map))?;
                data.remove(SPACE_META, &move_key(id))?;
                let mut counters = read_counters(data)?;
                counters.finished += 1;
                data.put(SPACE_META, KEY_MOVE_COUNTERS, &encode(&counters))?;
                MetaResponse::MoveUpdated
            }
        },
        MetaCommand::AbortMove { id, reason: _ } => match read_move(data, id)? {
            None => no_such_move(id),
            Some(_) => {
                data.remove(SPACE_META, &move_key(id))?;
                let mut counters = read_counters(data)?;
                counters.aborted += 1;
                data.put(SPACE_META, KEY_MOVE_COUNTERS, &encode(&counters))?;
                MetaResponse::MoveUpdated
            }
        },
        MetaCommand::PreferLeader { shard, node } => {
            let mut map: ShardMap = match data.get(SPACE_META, KEY_SHARD_MAP)? {
                Some(bytes) => decode(&bytes)?,
                None => {
                    return Ok(MetaResponse::Rejected {
                        reason: "the cluster has no shard map".into(),
                    });
                }
            };
            let entry = map.shards.iter_mut().find(|e| e.id == shard);
            match entry.and_then(|e| e.replicas.iter().position(|r| *r == node).map(|at| (e, at))) {
                None => MetaResponse::Rejected {
                    reason: format!("node {node} holds no replica of shard {shard}"),
                },
                Some((entry, at)) => {
                    if at != 0 {
                        entry.replicas.swap(0, at);
                        map.epoch += 1;
                        data.put(SPACE_META, KEY_SHARD_MAP, &encode(&map))?;
                    }
                    MetaResponse::MoveUpdated
                }
            }
        }
        other => MetaResponse::Rejected {
            reason: format!("not a move command: {other:?}"),
        },
    })
}

/// The meta group's state machine.
#[derive(Debug, Default)]
pub struct MetaMachine;

impl StateMachine for MetaMachine {
    fn apply(
        &self,
        data: &mut GroupWriter<'_, '_>,
        _index: u64,
        command: &[u8],
    ) -> io::Result<Vec<u8>> {
        let response = match decode::<MetaCommand>(command) {
            Err(error) => MetaResponse::Rejected {
                reason: error.to_string(),
            },
            Ok(MetaCommand::CreateCluster {
                identity,
                shard_map,
                nodes,
            }) => {
                if data.get(SPACE_META, KEY_SHARD_MAP)?.is_some() {
                    MetaResponse::AlreadyCreated
                } else {
                    data.put(SPACE_META, KEY_CLUSTER, &encode(&identity))?;
                    data.put(SPACE_META, KEY_SHARD_MAP, &encode(&shard_map))?;
                    for node in nodes {
                        data.put(SPACE_META, &node_key(node.id), &encode(&node))?;
                    }
                    MetaResponse::Created
                }
            }
            Ok(MetaCommand::RegisterNode(node)) => {
                data.put(SPACE_META, &node_key(node.id), &encode(&node))?;
                MetaResponse::Registered
            }
            Ok(MetaCommand::SetNodeState { node_id, state }) => {
                match data.get(SPACE_META, &node_key(node_id))? {
                    None => MetaResponse::Rejected {
                        reason: format!("node {node_id} is not registered in this cluster"),
                    },
                    Some(bytes) => {
                        let mut node: NodeRecord = decode(&bytes)?;
                        let previous = node.state;
                        node.state = state;
                        data.put(SPACE_META, &node_key(node_id), &encode(&node))?;
                        MetaResponse::NodeStateSet { previous }
                    }
                }
            }
            Ok(command) => apply_move(data, command)?,
        };
        Ok(encode(&response))
    }
}

/// Read and write access to the control plane through the meta group.
#[derive(Debug, Clone)]
pub struct Meta {
    group: RaftGroup,
}

impl Meta {
    pub fn new(group: RaftGroup) -> Meta {
        Meta { group }
    }

    pub fn group(&self) -> &RaftGroup {
        &self.group
    }

    pub async fn propose(&self, command: &MetaCommand) -> Result<MetaResponse, ReplicationError> {
        let (_, response) = self.group.propose(encode(command)).await?;
        Ok(decode(&response)?)
    }

    fn reader(&self) -> Result<GroupReader, ReplicationError> {
        Ok(self.group.reader()?)
    }

    /// The shard map as applied on this node, if the cluster was created.
    pub fn shard_map(&self) -> Result<Option<ShardMap>, ReplicationError> {
        let bytes = self.reader()?.get(SPACE_META, KEY_SHARD_MAP)?;
        Ok(bytes.map(|b| decode(&b)).transpose()?)
    }

    pub fn identity(&self) -> Result<Option<ClusterIdentity>, ReplicationError> {
        let bytes = self.reader()?.get(SPACE_META, KEY_CLUSTER)?;
        Ok(bytes.map(|b| decode(&b)).transpose()?)
    }

    pub fn nodes(&self) -> Result<Vec<NodeRecord>, ReplicationError> {
        self.list(NODE_PREFIX)
    }

    /// Replica moves in flight, by id.
    pub fn moves(&self) -> Result<Vec<MoveRecord>, ReplicationError> {
        self.list(MOVE_PREFIX)
    }

    pub fn move_counters(&self) -> Result<MoveCounters, ReplicationError> {
        let bytes = self.reader()?.get(SPACE_META, KEY_MOVE_COUNTERS)?;
        Ok(bytes.map(|b| decode(&b)).transpose()?.unwrap_or_default())
    }

    fn list<T: serde::de::DeserializeOwned>(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<T>, ReplicationError> {
        let entries = self
            .reader()?
            .range(SPACE_META, prefix, &prefix_end(prefix), usize::MAX)?;
        Ok(entries
            .into_iter()
            .map(|(_, v)| decode(&v))
            .collect::<io::Result<_>>()?)
    }
}
