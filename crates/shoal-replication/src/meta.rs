//! The meta (control-plane) state machine: the cluster identity, the node registry, the
//! shard map with its epoch, and the replica moves in flight. Replicated by group 0; data
//! shards read their assignment from it.
//!
//! Applying is one function per command over [`MetaData`] (the group's data on a node, or
//! a map in memory for the control plane's tests), so the fakes the control plane is
//! tested against apply exactly what the replicated machine applies.

use std::io;

use serde::{Deserialize, Serialize};
use shoal_consensus::{GroupReader, GroupWriter, RaftGroup, StateMachine};
pub use shoal_shardmap::NodeState;
use shoal_shardmap::{NodeId, ShardId, ShardMap};

use crate::error::ReplicationError;

const SPACE_META: u8 = 0;
const KEY_CLUSTER: &[u8] = b"cluster";
const KEY_SHARD_MAP: &[u8] = b"shard_map";
const NODE_PREFIX: &[u8] = b"node/";
const MOVE_PREFIX: &[u8] = b"move/";
const KEY_MOVE_COUNTERS: &[u8] = b"move_counters";
const API_KEY_PREFIX: &[u8] = b"api_key/";
const AUDIT_PREFIX: &[u8] = b"audit/";
const KEY_AUDIT_NEXT: &[u8] = b"audit_next";
/// Audit entries kept; older ones are removed as new ones come.
pub const AUDIT_KEEP: u64 = 1000;
/// Format 2 added the zone and admin address of nodes (format 1 is read and migrated:
/// `mod v1`).
const FORMAT: u8 = 2;

/// A node as the control plane knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub id: NodeId,
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
    SetNodeState { node_id: NodeId, state: NodeState },
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
    PreferLeader { shard: ShardId, node: NodeId },
    /// Records a new API key (its secret's hash only); rejected when the id is taken.
    CreateApiKey(ApiKeyRecord),
    /// Revokes an API key: every node refuses it once it applied this.
    RevokeApiKey { id: String, at_ms: u64 },
    /// Appends to the audit history (the latest [`AUDIT_KEEP`] entries are kept).
    RecordAudit(Vec<AuditEntry>),
}

/// One admin operation, or a refused attempt at one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at_ms: u64,
    /// The node the operator called.
    pub node: NodeId,
    /// The API key id, or what stood in for one.
    pub who: String,
    pub rpc: String,
    pub outcome: String,
}

/// What an API key may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Get (and the read-only cluster calls).
    Read,
    /// Read, and Put, Delete, Touch.
    Write,
    /// Write, and every cluster change: drain, decommission, rebalance, leadership
    /// transfers, replica changes, API keys.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "read" => Some(Role::Read),
            "write" => Some(Role::Write),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An API key as the meta group holds it: never the secret, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public, unique: names the key in lists, logs and revocations.
    pub id: String,
    /// For people.
    pub name: String,
    pub role: Role,
    /// Only keys starting with this (None: every key).
    pub prefix: Option<Vec<u8>>,
    pub created_at_ms: u64,
    /// Refused from then on (None: never expires).
    pub expires_at_ms: Option<u64>,
    /// Set once revoked.
    pub revoked_at_ms: Option<u64>,
    pub secret_sha256: [u8; 32],
}

/// A move as planned, before it gets an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovePlan {
    pub shard: ShardId,
    pub from: Option<NodeId>,
    pub to: NodeId,
    pub reason: String,
}

/// The steps of a replica move, in order (see [`MoveStep::rank`]). Every step is
/// idempotent, so a new meta leader resumes a move by redoing its recorded step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoveStep {
    /// Add the target as a learner of the shard's group (its node starts the group).
    AddLearner,
    /// The target receives a snapshot and then the log until it is caught up.
    CatchUp,
    /// Joint consensus: the target becomes a voter and the source stops being one.
    Promote,
    /// The source is removed from the group; then the map changes and its data goes.
    RemoveOld,
    /// A repair's first step (a move whose source is its target: a damaged replica rebuilt
    /// in place): the damaged replica leaves the group's members, so its node may delete
    /// it and start empty. Declared last to keep the encoding of the others; first in order.
    Evict,
}

impl MoveStep {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveStep::Evict => "evict",
            MoveStep::AddLearner => "add-learner",
            MoveStep::CatchUp => "catch-up",
            MoveStep::Promote => "promote",
            MoveStep::RemoveOld => "remove-old",
        }
    }

    /// Where the step comes in a move.
    fn rank(self) -> u8 {
        match self {
            MoveStep::Evict => 0,
            MoveStep::AddLearner => 1,
            MoveStep::CatchUp => 2,
            MoveStep::Promote => 3,
            MoveStep::RemoveOld => 4,
        }
    }
}

impl PartialOrd for MoveStep {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MoveStep {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// A replica move in flight, as recorded in the meta group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRecord {
    pub id: u64,
    pub shard: ShardId,
    pub from: Option<NodeId>,
    pub to: NodeId,
    pub reason: String,
    pub step: MoveStep,
    pub started_at_ms: u64,
    pub step_at_ms: u64,
}

impl MoveRecord {
    /// A repair: the damaged replica of `to` rebuilt in place (it is also the source).
    pub fn is_repair(&self) -> bool {
        self.from == Some(self.to)
    }
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
    /// A move or a preference changed (or was already as asked: steps are idempotent).
    Updated,
    /// An API key was recorded or revoked.
    ApiKeyChanged,
}

impl MetaResponse {
    /// The rejection reason, when the machine refused the command.
    pub fn rejection(&self) -> Option<&str> {
        match self {
            MetaResponse::Rejected { reason } => Some(reason),
            _ => None,
        }
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT];
    out.extend(postcard::to_allocvec(value).expect("meta values always serialize"));
    out
}

fn invalid(error: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error.to_string())
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => postcard::from_bytes(rest).map_err(invalid),
        Some((&v1::FORMAT, _)) => Err(invalid(
            "a format-1 meta value where only commands are migrated",
        )),
        _ => Err(invalid("unknown meta value format")),
    }
}

/// Format 1 (before cluster mode): node records without zone and admin address, and a
/// `CreateCluster` without the registry. Read once, written back in the current format.
mod v1 {
    use serde::Deserialize;
    use shoal_shardmap::{NodeId, ShardMap};

    use super::{ClusterIdentity, NodeState};

    pub(super) const FORMAT: u8 = 1;

    #[derive(Deserialize)]
    pub(super) struct NodeRecord {
        pub id: NodeId,
        pub name: String,
        pub internal_address: String,
        pub client_address: String,
        pub state: NodeState,
    }

    impl From<NodeRecord> for super::NodeRecord {
        fn from(old: NodeRecord) -> super::NodeRecord {
            super::NodeRecord {
                id: old.id,
                name: old.name,
                internal_address: old.internal_address,
                client_address: old.client_address,
                admin_address: String::new(),
                zone: None,
                state: old.state,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) enum MetaCommand {
        CreateCluster {
            identity: ClusterIdentity,
            shard_map: ShardMap,
        },
        RegisterNode(NodeRecord),
    }

    impl From<MetaCommand> for super::MetaCommand {
        fn from(old: MetaCommand) -> super::MetaCommand {
            match old {
                MetaCommand::CreateCluster {
                    identity,
                    shard_map,
                } => super::MetaCommand::CreateCluster {
                    identity,
                    shard_map,
                    nodes: Vec::new(),
                },
                MetaCommand::RegisterNode(node) => super::MetaCommand::RegisterNode(node.into()),
            }
        }
    }
}

/// A node record in any format this version reads (the registry written by format 1 holds
/// records without zone and admin address).
fn decode_node(bytes: &[u8]) -> io::Result<NodeRecord> {
    match bytes.split_first() {
        Some((&v1::FORMAT, rest)) => {
            let old: v1::NodeRecord = postcard::from_bytes(rest).map_err(invalid)?;
            Ok(old.into())
        }
        _ => decode(bytes),
    }
}

/// A command in any format this version reads: entries of format 1 stay in the log of a
/// node upgraded from it until the log is compacted.
pub fn decode_command(bytes: &[u8]) -> io::Result<MetaCommand> {
    match bytes.split_first() {
        Some((&v1::FORMAT, rest)) => {
            let old: v1::MetaCommand = postcard::from_bytes(rest).map_err(invalid)?;
            Ok(old.into())
        }
        _ => decode(bytes),
    }
}

/// Encodes a command for the meta log.
pub fn encode_command(command: &MetaCommand) -> Vec<u8> {
    encode(command)
}

fn node_key(id: NodeId) -> Vec<u8> {
    let mut key = NODE_PREFIX.to_vec();
    key.extend_from_slice(&id.0.to_be_bytes());
    key
}

fn api_key_key(id: &str) -> Vec<u8> {
    let mut key = API_KEY_PREFIX.to_vec();
    key.extend_from_slice(id.as_bytes());
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

/// Read access to the meta machine's data: the group's applied state on a node, or a map
/// in memory (the control plane's test fakes), so both read and apply the same way.
pub trait MetaRead {
    fn get(&self, key: &[u8]) -> io::Result<Option<Vec<u8>>>;
    /// Values of every key starting with `prefix`, in key order.
    fn scan(&self, prefix: &[u8]) -> io::Result<Vec<Vec<u8>>>;
}

/// Write access for applying commands.
pub trait MetaData: MetaRead {
    fn put(&mut self, key: &[u8], value: &[u8]) -> io::Result<()>;
    fn remove(&mut self, key: &[u8]) -> io::Result<()>;
}

impl MetaRead for GroupReader {
    fn get(&self, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        GroupReader::get(self, SPACE_META, key)
    }

    fn scan(&self, prefix: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let entries = self.range(SPACE_META, prefix, &prefix_end(prefix), usize::MAX)?;
        Ok(entries.into_iter().map(|(_, value)| value).collect())
    }
}

impl MetaRead for GroupWriter<'_, '_> {
    fn get(&self, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        GroupWriter::get(self, SPACE_META, key)
    }

    fn scan(&self, prefix: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let entries = self.range(SPACE_META, prefix, &prefix_end(prefix), usize::MAX)?;
        Ok(entries.into_iter().map(|(_, value)| value).collect())
    }
}

impl MetaData for GroupWriter<'_, '_> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        GroupWriter::put(self, SPACE_META, key, value)
    }

    fn remove(&mut self, key: &[u8]) -> io::Result<()> {
        GroupWriter::remove(self, SPACE_META, key).map(|_| ())
    }
}

impl MetaRead for std::collections::BTreeMap<Vec<u8>, Vec<u8>> {
    fn get(&self, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        Ok(std::collections::BTreeMap::get(self, key).cloned())
    }

    fn scan(&self, prefix: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        Ok(self
            .range(prefix.to_vec()..prefix_end(prefix))
            .map(|(_, value)| value.clone())
            .collect())
    }
}

impl MetaData for std::collections::BTreeMap<Vec<u8>, Vec<u8>> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> io::Result<()> {
        std::collections::BTreeMap::remove(self, key);
        Ok(())
    }
}

/// The shard map, if the cluster was created.
pub fn read_shard_map(data: &impl MetaRead) -> io::Result<Option<ShardMap>> {
    data.get(KEY_SHARD_MAP)?.map(|b| decode(&b)).transpose()
}

pub fn read_identity(data: &impl MetaRead) -> io::Result<Option<ClusterIdentity>> {
    data.get(KEY_CLUSTER)?.map(|b| decode(&b)).transpose()
}

/// The node registry, by id.
pub fn read_nodes(data: &impl MetaRead) -> io::Result<Vec<NodeRecord>> {
    data.scan(NODE_PREFIX)?
        .iter()
        .map(|b| decode_node(b))
        .collect()
}

/// The audit history, oldest first.
pub fn read_audit(data: &impl MetaRead) -> io::Result<Vec<AuditEntry>> {
    data.scan(AUDIT_PREFIX)?.iter().map(|b| decode(b)).collect()
}

fn audit_key(seq: u64) -> Vec<u8> {
    let mut key = AUDIT_PREFIX.to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

fn record_audit(data: &mut impl MetaData, entries: Vec<AuditEntry>) -> io::Result<MetaResponse> {
    let mut next: u64 = data
        .get(KEY_AUDIT_NEXT)?
        .map(|b| decode(&b))
        .transpose()?
        .unwrap_or_default();
    for entry in entries {
        data.put(&audit_key(next), &encode(&entry))?;
        if let Some(old) = next.checked_sub(AUDIT_KEEP) {
            data.remove(&audit_key(old))?;
        }
        next += 1;
    }
    data.put(KEY_AUDIT_NEXT, &encode(&next))?;
    Ok(MetaResponse::Updated)
}

/// Every API key (revoked ones included), by id.
pub fn read_api_keys(data: &impl MetaRead) -> io::Result<Vec<ApiKeyRecord>> {
    data.scan(API_KEY_PREFIX)?
        .iter()
        .map(|b| decode(b))
        .collect()
}

fn create_api_key(data: &mut impl MetaData, key: ApiKeyRecord) -> io::Result<MetaResponse> {
    if key.id.is_empty() {
        return Ok(MetaResponse::Rejected {
            reason: "an API key needs an id".into(),
        });
    }
    if data.get(&api_key_key(&key.id))?.is_some() {
        return Ok(MetaResponse::Rejected {
            reason: format!("API key {} exists", key.id),
        });
    }
    data.put(&api_key_key(&key.id), &encode(&key))?;
    Ok(MetaResponse::ApiKeyChanged)
}

fn revoke_api_key(data: &mut impl MetaData, id: &str, at_ms: u64) -> io::Result<MetaResponse> {
    let Some(bytes) = data.get(&api_key_key(id))? else {
        return Ok(MetaResponse::Rejected {
            reason: format!("there is no API key {id}"),
        });
    };
    let mut key: ApiKeyRecord = decode(&bytes)?;
    if key.revoked_at_ms.is_none() {
        key.revoked_at_ms = Some(at_ms);
        data.put(&api_key_key(id), &encode(&key))?;
    }
    Ok(MetaResponse::ApiKeyChanged)
}

/// Replica moves in flight, by id.
pub fn read_moves(data: &impl MetaRead) -> io::Result<Vec<MoveRecord>> {
    data.scan(MOVE_PREFIX)?.iter().map(|b| decode(b)).collect()
}

pub fn read_move_counters(data: &impl MetaRead) -> io::Result<MoveCounters> {
    Ok(data
        .get(KEY_MOVE_COUNTERS)?
        .map(|b| decode(&b))
        .transpose()?
        .unwrap_or_default())
}

fn read_move(data: &impl MetaRead, id: u64) -> io::Result<Option<MoveRecord>> {
    data.get(&move_key(id))?.map(|b| decode(&b)).transpose()
}

fn no_such_move(id: u64) -> MetaResponse {
    MetaResponse::Rejected {
        reason: format!("move {id} is not in flight"),
    }
}

/// Writes a changed shard map. Every change of the map bumps the epoch, which is what
/// hosting relies on: epoch 1 means no move has happened yet, so only at epoch 1 may the
/// first replica of a shard create its group (`shoal_control::hosting`). A change that
/// kept the epoch would let a moved replica create a second group.
fn write_changed_map(
    data: &mut impl MetaData,
    old_epoch: u64,
    mut map: ShardMap,
) -> io::Result<()> {
    map.epoch = old_epoch + 1;
    debug_assert!(map.epoch > 1, "a changed shard map has an epoch above 1");
    data.put(KEY_SHARD_MAP, &encode(&map))
}

fn count_ended(data: &mut impl MetaData, finished: bool) -> io::Result<()> {
    let mut counters = read_move_counters(data)?;
    if finished {
        counters.finished += 1;
    } else {
        counters.aborted += 1;
    }
    data.put(KEY_MOVE_COUNTERS, &encode(&counters))
}

fn create_cluster(
    data: &mut impl MetaData,
    identity: ClusterIdentity,
    shard_map: ShardMap,
    nodes: Vec<NodeRecord>,
) -> io::Result<MetaResponse> {
    if data.get(KEY_SHARD_MAP)?.is_some() {
        return Ok(MetaResponse::AlreadyCreated);
    }
    debug_assert_eq!(shard_map.epoch, 1, "a cluster starts at epoch 1");
    data.put(KEY_CLUSTER, &encode(&identity))?;
    data.put(KEY_SHARD_MAP, &encode(&shard_map))?;
    for node in nodes {
        data.put(&node_key(node.id), &encode(&node))?;
    }
    Ok(MetaResponse::Created)
}

fn register_node(data: &mut impl MetaData, node: NodeRecord) -> io::Result<MetaResponse> {
    data.put(&node_key(node.id), &encode(&node))?;
    Ok(MetaResponse::Registered)
}

fn set_node_state(
    data: &mut impl MetaData,
    node_id: NodeId,
    state: NodeState,
) -> io::Result<MetaResponse> {
    if state == NodeState::Leaving {
        return Ok(MetaResponse::Rejected {
            reason: "leaving is a gossip state, never recorded in the registry".into(),
        });
    }
    let Some(bytes) = data.get(&node_key(node_id))? else {
        return Ok(MetaResponse::Rejected {
            reason: format!("node {node_id} is not registered in this cluster"),
        });
    };
    let mut node = decode_node(&bytes)?;
    let previous = node.state;
    node.state = state;
    data.put(&node_key(node_id), &encode(&node))?;
    Ok(MetaResponse::NodeStateSet { previous })
}

fn start_moves(
    data: &mut impl MetaData,
    moves: Vec<MovePlan>,
    at_ms: u64,
) -> io::Result<MetaResponse> {
    let mut busy: Vec<ShardId> = read_moves(data)?.iter().map(|m| m.shard).collect();
    let mut counters = read_move_counters(data)?;
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
            // A repair first takes the damaged replica out of the group.
            step: if plan.from == Some(plan.to) {
                MoveStep::Evict
            } else {
                MoveStep::AddLearner
            },
            reason: plan.reason,
            started_at_ms: at_ms,
            step_at_ms: at_ms,
        };
        data.put(&move_key(record.id), &encode(&record))?;
        started.push(record);
    }
    data.put(KEY_MOVE_COUNTERS, &encode(&counters))?;
    Ok(MetaResponse::MovesStarted { moves: started })
}

fn advance_move(
    data: &mut impl MetaData,
    id: u64,
    step: MoveStep,
    at_ms: u64,
) -> io::Result<MetaResponse> {
    let Some(mut record) = read_move(data, id)? else {
        return Ok(no_such_move(id));
    };
    // Steps only go forward: a late duplicate from an old leader is harmless.
    if step > record.step {
        record.step = step;
        record.step_at_ms = at_ms;
        data.put(&move_key(id), &encode(&record))?;
    }
    Ok(MetaResponse::Updated)
}

fn finish_move(data: &mut impl MetaData, id: u64) -> io::Result<MetaResponse> {
    let Some(record) = read_move(data, id)? else {
        return Ok(no_such_move(id));
    };
    let Some(mut map) = read_shard_map(data)? else {
        return Ok(no_such_move(id));
    };
    let epoch = map.epoch;
    map.apply_move(record.shard, record.from, record.to);
    write_changed_map(data, epoch, map)?;
    data.remove(&move_key(id))?;
    count_ended(data, true)?;
    Ok(MetaResponse::Updated)
}

fn abort_move(data: &mut impl MetaData, id: u64) -> io::Result<MetaResponse> {
    if read_move(data, id)?.is_none() {
        return Ok(no_such_move(id));
    }
    data.remove(&move_key(id))?;
    count_ended(data, false)?;
    Ok(MetaResponse::Updated)
}

fn prefer_leader(
    data: &mut impl MetaData,
    shard: ShardId,
    node: NodeId,
) -> io::Result<MetaResponse> {
    let Some(mut map) = read_shard_map(data)? else {
        return Ok(MetaResponse::Rejected {
            reason: "the cluster has no shard map".into(),
        });
    };
    let epoch = map.epoch;
    let entry = map.shards.iter_mut().find(|e| e.id == shard);
    let Some((entry, at)) =
        entry.and_then(|e| e.replicas.iter().position(|r| *r == node).map(|at| (e, at)))
    else {
        return Ok(MetaResponse::Rejected {
            reason: format!("node {node} holds no replica of shard {shard}"),
        });
    };
    if at != 0 {
        entry.replicas.swap(0, at);
        write_changed_map(data, epoch, map)?;
    }
    Ok(MetaResponse::Updated)
}

/// Applies one command to the meta data: the whole of the meta machine's semantics, shared
/// by the replicated machine and the control plane's in-memory fakes.
pub fn apply_command(data: &mut impl MetaData, command: MetaCommand) -> io::Result<MetaResponse> {
    match command {
        MetaCommand::CreateCluster {
            identity,
            shard_map,
            nodes,
        } => create_cluster(data, identity, shard_map, nodes),
        MetaCommand::RegisterNode(node) => register_node(data, node),
        MetaCommand::SetNodeState { node_id, state } => set_node_state(data, node_id, state),
        MetaCommand::StartMoves { moves, at_ms } => start_moves(data, moves, at_ms),
        MetaCommand::AdvanceMove { id, step, at_ms } => advance_move(data, id, step, at_ms),
        MetaCommand::FinishMove { id } => finish_move(data, id),
        MetaCommand::AbortMove { id, reason: _ } => abort_move(data, id),
        MetaCommand::PreferLeader { shard, node } => prefer_leader(data, shard, node),
        MetaCommand::CreateApiKey(key) => create_api_key(data, key),
        MetaCommand::RevokeApiKey { id, at_ms } => revoke_api_key(data, &id, at_ms),
        MetaCommand::RecordAudit(entries) => record_audit(data, entries),
    }
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
        let response = match decode_command(command) {
            Err(error) => MetaResponse::Rejected {
                reason: error.to_string(),
            },
            Ok(command) => apply_command(data, command)?,
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

    /// The meta group's applied state on this node (no quorum round).
    pub fn reader(&self) -> Result<GroupReader, ReplicationError> {
        Ok(self.group.reader()?)
    }

    /// The shard map as applied on this node, if the cluster was created.
    pub fn shard_map(&self) -> Result<Option<ShardMap>, ReplicationError> {
        Ok(read_shard_map(&self.reader()?)?)
    }

    pub fn identity(&self) -> Result<Option<ClusterIdentity>, ReplicationError> {
        Ok(read_identity(&self.reader()?)?)
    }

    pub fn nodes(&self) -> Result<Vec<NodeRecord>, ReplicationError> {
        Ok(read_nodes(&self.reader()?)?)
    }

    /// Replica moves in flight, by id.
    pub fn moves(&self) -> Result<Vec<MoveRecord>, ReplicationError> {
        Ok(read_moves(&self.reader()?)?)
    }

    pub fn move_counters(&self) -> Result<MoveCounters, ReplicationError> {
        Ok(read_move_counters(&self.reader()?)?)
    }

    /// The audit history as applied on this node, oldest first.
    pub fn audit(&self) -> Result<Vec<AuditEntry>, ReplicationError> {
        Ok(read_audit(&self.reader()?)?)
    }

    /// Every API key as applied on this node.
    pub fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, ReplicationError> {
        Ok(read_api_keys(&self.reader()?)?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    pub use shoal_shardmap::NodeState;
    use shoal_shardmap::{NodeId, ShardId, ShardMap};

    use super::*;

    type Data = BTreeMap<Vec<u8>, Vec<u8>>;

    fn node(id: u64) -> NodeRecord {
        NodeRecord {
            id: NodeId(id),
            name: format!("n{id}"),
            internal_address: format!("127.0.0.1:{id}"),
            client_address: String::new(),
            admin_address: String::new(),
            zone: None,
            state: NodeState::Active,
        }
    }

    fn created() -> Data {
        let mut data = Data::new();
        let nodes: Vec<NodeId> = (1..=3).map(NodeId).collect();
        let answer = apply_command(
            &mut data,
            MetaCommand::CreateCluster {
                identity: ClusterIdentity {
                    cluster_id: "c".into(),
                    created_at_ms: 1,
                },
                shard_map: ShardMap::initial(2, &nodes).unwrap(),
                nodes: (1..=3).map(node).collect(),
            },
        )
        .unwrap();
        assert_eq!(answer, MetaResponse::Created);
        data
    }

    fn start(data: &mut Data, shard: u32, from: u64, to: u64) -> MoveRecord {
        let answer = apply_command(
            data,
            MetaCommand::StartMoves {
                moves: vec![MovePlan {
                    shard: ShardId(shard),
                    from: Some(NodeId(from)),
                    to: NodeId(to),
                    reason: "balance".into(),
                }],
                at_ms: 10,
            },
        )
        .unwrap();
        match answer {
            MetaResponse::MovesStarted { mut moves } => moves.pop().expect("started"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn creating_twice_changes_nothing() {
        let mut data = created();
        let before = data.clone();
        let again = apply_command(
            &mut data,
            MetaCommand::CreateCluster {
                identity: ClusterIdentity {
                    cluster_id: "other".into(),
                    created_at_ms: 2,
                },
                shard_map: ShardMap::initial(4, &[NodeId(9)]).unwrap(),
                nodes: vec![node(9)],
            },
        )
        .unwrap();
        assert_eq!(again, MetaResponse::AlreadyCreated);
        assert_eq!(data, before);
    }

    #[test]
    fn a_finished_move_replaces_the_source_and_bumps_the_epoch() {
        let mut data = created();
        let record = start(&mut data, 0, 1, 4);
        for step in [MoveStep::CatchUp, MoveStep::Promote, MoveStep::RemoveOld] {
            apply_command(
                &mut data,
                MetaCommand::AdvanceMove {
                    id: record.id,
                    step,
                    at_ms: 20,
                },
            )
            .unwrap();
        }
        assert_eq!(
            apply_command(&mut data, MetaCommand::FinishMove { id: record.id }).unwrap(),
            MetaResponse::Updated
        );
        let map = read_shard_map(&data).unwrap().unwrap();
        assert_eq!(map.epoch, 2);
        assert_eq!(map.shards[0].replicas, [4, 2, 3].map(NodeId));
        assert!(read_moves(&data).unwrap().is_empty());
        assert_eq!(read_move_counters(&data).unwrap().finished, 1);
        // Finishing again (a replay by a new meta leader) is refused and changes nothing.
        let before = data.clone();
        let again = apply_command(&mut data, MetaCommand::FinishMove { id: record.id }).unwrap();
        assert!(again.rejection().is_some());
        assert_eq!(data, before);
    }

    #[test]
    fn steps_only_go_forward_and_one_move_per_shard() {
        let mut data = created();
        let record = start(&mut data, 1, 2, 4);
        let advance = |data: &mut Data, step| {
            apply_command(
                data,
                MetaCommand::AdvanceMove {
                    id: record.id,
                    step,
                    at_ms: 30,
                },
            )
            .unwrap()
        };
        advance(&mut data, MoveStep::Promote);
        let before = data.clone();
        // A late duplicate of an earlier step from an old meta leader is harmless.
        advance(&mut data, MoveStep::CatchUp);
        assert_eq!(data, before);
        assert_eq!(read_moves(&data).unwrap()[0].step, MoveStep::Promote);
        // A second move of the same shard is not recorded.
        let answer = apply_command(
            &mut data,
            MetaCommand::StartMoves {
                moves: vec![MovePlan {
                    shard: ShardId(1),
                    from: Some(NodeId(3)),
                    to: NodeId(5),
                    reason: "balance".into(),
                }],
                at_ms: 40,
            },
        )
        .unwrap();
        assert_eq!(answer, MetaResponse::MovesStarted { moves: vec![] });
    }

    #[test]
    fn an_aborted_move_leaves_the_map_alone() {
        let mut data = created();
        let record = start(&mut data, 0, 1, 4);
        let map = read_shard_map(&data).unwrap();
        apply_command(
            &mut data,
            MetaCommand::AbortMove {
                id: record.id,
                reason: "target down".into(),
            },
        )
        .unwrap();
        assert_eq!(read_shard_map(&data).unwrap(), map);
        assert_eq!(read_move_counters(&data).unwrap().aborted, 1);
    }

    #[test]
    fn preferring_a_leader_reorders_and_bumps_the_epoch_only_when_it_changes() {
        let mut data = created();
        let first = read_shard_map(&data).unwrap().unwrap().shards[0].replicas[0];
        let other = read_shard_map(&data).unwrap().unwrap().shards[0].replicas[2];
        let prefer = |data: &mut Data, node| {
            apply_command(
                data,
                MetaCommand::PreferLeader {
                    shard: ShardId(0),
                    node,
                },
            )
            .unwrap()
        };
        prefer(&mut data, first);
        assert_eq!(read_shard_map(&data).unwrap().unwrap().epoch, 1);
        prefer(&mut data, other);
        let map = read_shard_map(&data).unwrap().unwrap();
        assert_eq!((map.epoch, map.shards[0].replicas[0]), (2, other));
        assert!(prefer(&mut data, NodeId(99)).rejection().is_some());
    }

    #[test]
    fn unknown_nodes_cannot_change_state() {
        let mut data = created();
        let answer = apply_command(
            &mut data,
            MetaCommand::SetNodeState {
                node_id: NodeId(42),
                state: NodeState::Draining,
            },
        )
        .unwrap();
        assert!(answer.rejection().unwrap().contains("node 42"));
        let answer = apply_command(
            &mut data,
            MetaCommand::SetNodeState {
                node_id: NodeId(2),
                state: NodeState::Draining,
            },
        )
        .unwrap();
        assert_eq!(
            answer,
            MetaResponse::NodeStateSet {
                previous: NodeState::Active
            }
        );
    }

    /// Format 1 (single-node clusters before cluster mode) wrote node records without zone
    /// and admin address, and logged `CreateCluster` without a registry.
    #[test]
    fn format_one_records_and_commands_are_migrated() {
        #[derive(serde::Serialize)]
        struct OldRecord {
            id: u64,
            name: String,
            internal_address: String,
            client_address: String,
            state: NodeState,
        }
        #[derive(serde::Serialize)]
        enum OldCommand {
            #[allow(dead_code)]
            CreateCluster,
            RegisterNode(OldRecord),
        }
        let old = OldRecord {
            id: 7,
            name: "n7".into(),
            internal_address: "127.0.0.1:7".into(),
            client_address: "127.0.0.1:8".into(),
            state: NodeState::Active,
        };
        let mut bytes = vec![1];
        bytes.extend(postcard::to_allocvec(&OldCommand::RegisterNode(old)).unwrap());
        let command = decode_command(&bytes).unwrap();
        let MetaCommand::RegisterNode(record) = &command else {
            panic!("{command:?}");
        };
        assert_eq!((record.id, record.zone.as_deref()), (NodeId(7), None));
        // A stored format-1 record reads as the current one.
        let mut data = created();
        let mut stored = vec![1];
        stored.extend(&bytes[2..]);
        data.insert(node_key(NodeId(7)), stored);
        let nodes = read_nodes(&data).unwrap();
        assert!(nodes.iter().any(|n| n.id == NodeId(7) && n.name == "n7"));
    }

    #[test]
    fn the_audit_history_keeps_the_latest_entries_in_order() {
        let mut data = created();
        let entry = |n: u64| AuditEntry {
            at_ms: n,
            node: NodeId(1),
            who: "k".into(),
            rpc: format!("op-{n}"),
            outcome: "ok".into(),
        };
        for chunk in (0..AUDIT_KEEP + 5).collect::<Vec<_>>().chunks(7) {
            apply_command(
                &mut data,
                MetaCommand::RecordAudit(chunk.iter().map(|n| entry(*n)).collect()),
            )
            .unwrap();
        }
        let kept = read_audit(&data).unwrap();
        assert_eq!(kept.len() as u64, AUDIT_KEEP);
        assert_eq!(kept.first().unwrap().rpc, "op-5");
        assert_eq!(kept.last().unwrap().rpc, format!("op-{}", AUDIT_KEEP + 4));
    }
}
