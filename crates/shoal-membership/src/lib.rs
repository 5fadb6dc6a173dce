//! Gossip membership and failure detection: which nodes exist, where to reach them, whether
//! they are alive, and the little each says about itself (readiness, the shards it leads).
//!
//! The only crate that uses `chitchat`. Every node gossips over UDP a handful of small keys —
//! never the shard map, never data. [`Membership`] turns chitchat's per-generation node
//! states into shoal's [`Member`]s (one per node id: the newest generation wins, so a
//! restarted node replaces its former self) and a stream of [`MembershipChange`]s.
//!
//! chitchat has no "leave" message: a node going away marks itself not ready and
//! `leaving`, gossips that for a couple of rounds, then stops ([`Membership::leave`]).

mod auth;
mod filter;

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chitchat::{ChitchatConfig, ChitchatHandle, ChitchatId, FailureDetectorConfig, spawn_chitchat};
use shoal_shardmap::{NodeId, NodeState, ShardId};
use tokio::sync::{broadcast, watch};

pub use auth::{GossipKeys, generate_key_text};
pub use filter::GossipFilter;

/// The gossip cluster name: nodes only talk to nodes with the same one.
const GOSSIP_CLUSTER: &str = "shoal";

const KEY_NAME: &str = "name";
const KEY_INTERNAL: &str = "internal";
const KEY_CLIENT: &str = "client";
const KEY_ADMIN: &str = "admin";
const KEY_ZONE: &str = "zone";
const KEY_STATE: &str = "state";
const KEY_READY: &str = "ready";
const KEY_LEADING: &str = "leading";
const KEY_EPOCH: &str = "epoch";
const KEY_CLUSTER: &str = "cluster";
const KEY_DAMAGED: &str = "damaged";
const KEY_WRITES_REFUSED: &str = "writes_refused";

/// What a node publishes about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeInfo {
    pub name: String,
    pub internal_address: String,
    pub client_address: String,
    pub admin_address: String,
    pub zone: Option<String>,
    /// Lifecycle state (gossiped as its word; `leaving` while shutting down).
    pub state: NodeState,
    /// The node serves requests.
    pub ready: bool,
    /// Shards the node currently leads.
    pub leading_shards: Vec<ShardId>,
    /// Shard-map epoch the node has applied.
    pub shard_map_epoch: u64,
    /// The cluster the node belongs to, once it belongs to one.
    pub cluster_id: Option<String>,
    /// Shards whose replica on this node is damaged (quarantined): they neither vote nor
    /// serve here until the cluster rebuilds them.
    pub damaged_shards: Vec<ShardId>,
    /// The node refuses writes now: its disk is full or below `storage.reserved_bytes`
    /// (it must not lead shards meanwhile).
    pub writes_refused: bool,
}

impl NodeInfo {
    fn key_values(&self) -> Vec<(String, String)> {
        let list = |shards: &[ShardId]| {
            shards
                .iter()
                .map(|shard| shard.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        vec![
            (KEY_NAME.into(), self.name.clone()),
            (KEY_INTERNAL.into(), self.internal_address.clone()),
            (KEY_CLIENT.into(), self.client_address.clone()),
            (KEY_ADMIN.into(), self.admin_address.clone()),
            (KEY_ZONE.into(), self.zone.clone().unwrap_or_default()),
            (KEY_STATE.into(), self.state.as_str().into()),
            (KEY_READY.into(), if self.ready { "1" } else { "0" }.into()),
            (KEY_LEADING.into(), list(&self.leading_shards)),
            (KEY_DAMAGED.into(), list(&self.damaged_shards)),
            (
                KEY_WRITES_REFUSED.into(),
                if self.writes_refused { "1" } else { "0" }.into(),
            ),
            (KEY_EPOCH.into(), self.shard_map_epoch.to_string()),
            (
                KEY_CLUSTER.into(),
                self.cluster_id.clone().unwrap_or_default(),
            ),
        ]
    }

    fn from_state(state: &chitchat::NodeState) -> NodeInfo {
        let get = |key: &str| state.get(key).unwrap_or_default().to_owned();
        let optional = |key: &str| Some(get(key)).filter(|value| !value.is_empty());
        let shards = |key: &str| {
            get(key)
                .split(',')
                .filter_map(|shard| shard.parse().ok().map(ShardId))
                .collect()
        };
        NodeInfo {
            name: get(KEY_NAME),
            internal_address: get(KEY_INTERNAL),
            client_address: get(KEY_CLIENT),
            admin_address: get(KEY_ADMIN),
            zone: optional(KEY_ZONE),
            // A word this version does not know (a newer peer): treat it as joining.
            state: NodeState::parse(&get(KEY_STATE)).unwrap_or(NodeState::Joining),
            ready: get(KEY_READY) == "1",
            leading_shards: shards(KEY_LEADING),
            shard_map_epoch: get(KEY_EPOCH).parse().unwrap_or(0),
            cluster_id: optional(KEY_CLUSTER),
            damaged_shards: shards(KEY_DAMAGED),
            writes_refused: get(KEY_WRITES_REFUSED) == "1",
        }
    }
}

/// A node as gossip sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub node_id: NodeId,
    /// Grows with every restart of the node.
    pub generation: u64,
    pub gossip_address: SocketAddr,
    /// Alive according to the failure detector (this node is always alive to itself).
    pub live: bool,
    pub info: NodeInfo,
}

/// A change in the membership, as seen from this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipChange {
    /// A node appeared (first seen alive).
    Joined(Member),
    /// A known node changed: published info, a new generation, or alive again.
    Updated(Member),
    /// A node was forgotten (dead for longer than the grace period).
    Left(NodeId),
    /// The failure detector declared a node dead.
    Failed(NodeId),
}

/// Settings of the gossip layer.
#[derive(Debug, Clone)]
pub struct MembershipConfig {
    pub node_id: NodeId,
    /// Must grow across restarts of this node (e.g. start time in milliseconds).
    pub generation: u64,
    pub listen: SocketAddr,
    pub advertise: SocketAddr,
    /// "host:port" of other nodes' gossip addresses (resolved again every minute).
    pub seeds: Vec<String>,
    pub gossip_interval: Duration,
    /// How long a dead node stays listed before it is forgotten.
    pub dead_node_grace_period: Duration,
    /// Sign every datagram and drop those not signed with these keys (None: plain gossip,
    /// `--insecure` clusters only).
    pub keys: Option<Arc<GossipKeys>>,
}

/// Why gossip could not start.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("starting gossip on {listen}: {reason}")]
    Start { listen: SocketAddr, reason: String },
}

/// The running gossip layer of this node.
pub struct Membership {
    handle: ChitchatHandle,
    node_id: NodeId,
    gossip_interval: Duration,
    members: watch::Receiver<BTreeMap<NodeId, Member>>,
    changes: broadcast::Sender<MembershipChange>,
    filter: Arc<GossipFilter>,
    refresher: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("node_id", &self.node_id)
            .finish_non_exhaustive()
    }
}

impl Membership {
    /// Starts gossiping `info` about this node.
    pub async fn start(
        config: MembershipConfig,
        info: NodeInfo,
    ) -> Result<Membership, MembershipError> {
        let gossip_interval = config.gossip_interval;
        let chitchat_config = ChitchatConfig {
            chitchat_id: ChitchatId::new(
                config.node_id.to_string(),
                config.generation,
                config.advertise,
            ),
            cluster_id: GOSSIP_CLUSTER.to_owned(),
            gossip_interval,
            listen_addr: config.listen,
            seed_nodes: config.seeds.clone(),
            failure_detector_config: failure_detector(
                gossip_interval,
                config.dead_node_grace_period,
            ),
            marked_for_deletion_grace_period: Duration::from_secs(3600),
            catchup_callback: None,
            extra_liveness_predicate: None,
            protocol_version: chitchat::ProtocolVersion::V0,
        };
        let filter = Arc::new(GossipFilter::default());
        let transport = filter::FilteredTransport::new(filter.clone(), config.keys.clone());
        let handle = spawn_chitchat(chitchat_config, info.key_values(), &transport)
            .await
            .map_err(|error| MembershipError::Start {
                listen: config.listen,
                reason: format!("{error:#}"),
            })?;
        let (members_sender, members) = watch::channel(BTreeMap::new());
        let (changes, _) = broadcast::channel(1024);
        let refresher = tokio::spawn(refresh(
            handle.chitchat(),
            members_sender,
            changes.clone(),
            gossip_interval,
        ));
        tracing::info!(
            node_id = %config.node_id,
            listen = %config.listen,
            advertise = %config.advertise,
            seeds = ?config.seeds,
            "gossip started"
        );
        Ok(Membership {
            handle,
            node_id: config.node_id,
            gossip_interval,
            members,
            changes,
            filter,
            refresher,
        })
    }

    /// Every known node (the newest generation of each), alive or recently dead.
    pub fn members(&self) -> BTreeMap<NodeId, Member> {
        self.members.borrow().clone()
    }

    /// Nodes alive right now.
    pub fn live_members(&self) -> Vec<Member> {
        self.members
            .borrow()
            .values()
            .filter(|member| member.live)
            .cloned()
            .collect()
    }

    /// A watch of [`Membership::members`], updated every gossip round that changed something.
    pub fn watch(&self) -> watch::Receiver<BTreeMap<NodeId, Member>> {
        self.members.clone()
    }

    /// The changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<MembershipChange> {
        self.changes.subscribe()
    }

    /// Publishes a new version of this node's info (only changed keys are gossiped).
    pub async fn publish(&self, info: &NodeInfo) {
        let chitchat = self.handle.chitchat();
        let mut chitchat = chitchat.lock().await;
        let state = chitchat.self_node_state();
        for (key, value) in info.key_values() {
            if state.get(&key) != Some(value.as_str()) {
                state.set(key, value);
            }
        }
    }

    /// Graceful departure: tells the others this node is leaving and not ready, and waits a
    /// few gossip rounds so they stop routing to it before it is gone.
    pub async fn leave(&self, info: &NodeInfo) {
        let leaving = NodeInfo {
            ready: false,
            state: NodeState::Leaving,
            leading_shards: Vec::new(),
            ..info.clone()
        };
        self.publish(&leaving).await;
        tokio::time::sleep(self.gossip_interval * 3).await;
    }

    /// Fault injection for tests: gossip to and from these addresses is dropped.
    pub fn filter(&self) -> &GossipFilter {
        &self.filter
    }

    /// Stops gossiping.
    pub async fn shutdown(self) {
        self.refresher.abort();
        if let Err(error) = self.handle.shutdown().await {
            tracing::debug!(%error, "gossip did not stop cleanly");
        }
    }
}

/// Failure detection tuned to the gossip period: with heartbeats every round, a node is
/// declared dead after roughly 15–20 silent rounds (3–4 s at 200 ms).
fn failure_detector(gossip_interval: Duration, grace: Duration) -> FailureDetectorConfig {
    FailureDetectorConfig {
        phi_threshold: 8.0,
        sampling_window_size: 100,
        max_interval: gossip_interval * 10,
        initial_interval: gossip_interval * 2,
        dead_node_grace_period: grace,
    }
}

/// Rebuilds the member map every half gossip round and sends what changed.
async fn refresh(
    chitchat: Arc<tokio::sync::Mutex<chitchat::Chitchat>>,
    members: watch::Sender<BTreeMap<NodeId, Member>>,
    changes: broadcast::Sender<MembershipChange>,
    gossip_interval: Duration,
) {
    let mut tick = tokio::time::interval(gossip_interval / 2);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let current = {
            let chitchat = chitchat.lock().await;
            snapshot(&chitchat)
        };
        let previous = members.borrow().clone();
        if current == previous {
            continue;
        }
        for change in diff(&previous, &current) {
            match &change {
                MembershipChange::Failed(node) => {
                    metrics::counter!("shoal_gossip_failures_detected_total").increment(1);
                    tracing::info!(node = node.0, "gossip: a node stopped answering");
                }
                MembershipChange::Joined(member) => {
                    tracing::info!(
                        node = member.node_id.0,
                        generation = member.generation,
                        "gossip: a node appeared"
                    );
                }
                MembershipChange::Left(node) => {
                    tracing::info!(node = node.0, "gossip: a node was forgotten");
                }
                MembershipChange::Updated(_) => {}
            }
            let _ = changes.send(change);
        }
        members.send_replace(current);
    }
}

/// One member per node id, the newest generation; liveness from the failure detector.
fn snapshot(chitchat: &chitchat::Chitchat) -> BTreeMap<NodeId, Member> {
    let live: HashSet<&ChitchatId> = chitchat.live_nodes().collect();
    let mut members: BTreeMap<NodeId, Member> = BTreeMap::new();
    for (id, state) in chitchat.node_states() {
        let Ok(node_id) = id.node_id.parse::<u64>().map(NodeId) else {
            continue;
        };
        if members
            .get(&node_id)
            .is_some_and(|known| known.generation >= id.generation_id)
        {
            continue;
        }
        members.insert(
            node_id,
            Member {
                node_id,
                generation: id.generation_id,
                gossip_address: id.gossip_advertise_addr,
                live: live.contains(id),
                info: NodeInfo::from_state(state),
            },
        );
    }
    members
}

fn diff(
    previous: &BTreeMap<NodeId, Member>,
    current: &BTreeMap<NodeId, Member>,
) -> Vec<MembershipChange> {
    let mut changes = Vec::new();
    for (id, member) in current {
        match previous.get(id) {
            None if member.live => changes.push(MembershipChange::Joined(member.clone())),
            None => {}
            Some(before)
                if before.live && !member.live && before.generation == member.generation =>
            {
                changes.push(MembershipChange::Failed(*id));
            }
            Some(before) if before != member => {
                changes.push(MembershipChange::Updated(member.clone()));
            }
            Some(_) => {}
        }
    }
    for id in previous.keys() {
        if !current.contains_key(id) {
            changes.push(MembershipChange::Left(*id));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(node_id: u64, generation: u64, live: bool) -> Member {
        Member {
            node_id: NodeId(node_id),
            generation,
            gossip_address: "127.0.0.1:1".parse().unwrap(),
            live,
            info: NodeInfo::default(),
        }
    }

    #[test]
    fn diff_reports_joins_failures_restarts_and_departures() {
        let before = BTreeMap::from([
            (NodeId(1), member(1, 1, true)),
            (NodeId(2), member(2, 1, true)),
        ]);
        let after = BTreeMap::from([
            (NodeId(1), member(1, 1, false)),
            (NodeId(2), member(2, 2, true)),
            (NodeId(3), member(3, 1, true)),
        ]);
        let changes = diff(&before, &after);
        assert!(changes.contains(&MembershipChange::Failed(NodeId(1))));
        assert!(changes.contains(&MembershipChange::Updated(member(2, 2, true))));
        assert!(changes.contains(&MembershipChange::Joined(member(3, 1, true))));
        let gone = diff(&after, &BTreeMap::new());
        assert_eq!(gone.len(), 3);
        assert!(gone.iter().all(|c| matches!(c, MembershipChange::Left(_))));
    }

    #[test]
    fn info_round_trips_through_key_values() {
        let info = NodeInfo {
            name: "a".into(),
            internal_address: "10.0.0.1:5343".into(),
            client_address: "10.0.0.1:5344".into(),
            admin_address: "10.0.0.1:9343".into(),
            zone: Some("z1".into()),
            state: NodeState::Active,
            ready: true,
            leading_shards: vec![ShardId(1), ShardId(4)],
            shard_map_epoch: 3,
            cluster_id: Some("abc".into()),
            damaged_shards: vec![ShardId(2)],
            writes_refused: true,
        };
        let mut state = chitchat::NodeState::for_test();
        for (key, value) in info.key_values() {
            state.set(key, value);
        }
        assert_eq!(NodeInfo::from_state(&state), info);
    }

    /// Two real gossip instances on loopback with the cluster's key find each other
    /// through a seed and see each other's published info; one that stops is declared
    /// dead; a third one with another key, seeding the first, is never seen.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_nodes_find_each_other_and_detect_a_failure() {
        let reserve = || {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.local_addr().unwrap()
        };
        let (a_addr, b_addr, c_addr) = (reserve(), reserve(), reserve());
        let cluster_key = Arc::new(GossipKeys::from_text(&generate_key_text()).unwrap());
        let other_key = Arc::new(GossipKeys::from_text(&generate_key_text()).unwrap());
        let keyed = |node_id: u64, addr: SocketAddr, seed: SocketAddr, key: &Arc<GossipKeys>| {
            MembershipConfig {
                node_id: NodeId(node_id),
                generation: 1,
                listen: addr,
                advertise: addr,
                seeds: vec![seed.to_string()],
                gossip_interval: Duration::from_millis(50),
                dead_node_grace_period: Duration::from_secs(60),
                keys: Some(key.clone()),
            }
        };
        let config = |node_id: u64, addr: SocketAddr, seed: SocketAddr| {
            keyed(node_id, addr, seed, &cluster_key)
        };
        let info = |name: &str| NodeInfo {
            name: name.into(),
            ready: true,
            ..NodeInfo::default()
        };
        let a = Membership::start(config(1, a_addr, b_addr), info("a"))
            .await
            .unwrap();
        let b = Membership::start(config(2, b_addr, a_addr), info("b"))
            .await
            .unwrap();
        let stranger = Membership::start(keyed(3, c_addr, a_addr, &other_key), info("c"))
            .await
            .unwrap();
        let mut changes = a.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let members = a.members();
            if members
                .get(&NodeId(2))
                .is_some_and(|m| m.live && m.info.name == "b")
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "a never saw b: {members:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        b.publish(&NodeInfo {
            leading_shards: vec![ShardId(7)],
            ..info("b")
        })
        .await;
        let leading = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if a.members()
                    .get(&NodeId(2))
                    .is_some_and(|m| m.info.leading_shards == [ShardId(7)])
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(leading.is_ok(), "a never saw b's update");
        b.shutdown().await;
        let failed = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match changes.recv().await {
                    Ok(MembershipChange::Failed(NodeId(2))) => return,
                    Ok(_) => {}
                    Err(error) => panic!("change stream: {error}"),
                }
            }
        })
        .await;
        assert!(failed.is_ok(), "b's failure was never detected");
        // All that time the stranger kept gossiping to a, with the wrong key.
        assert!(!a.members().contains_key(&NodeId(3)), "{:?}", a.members());
        assert!(!stranger.members().contains_key(&NodeId(1)));
        stranger.shutdown().await;
        a.shutdown().await;
    }
}
