//! Cluster mode: how a node comes to belong to a cluster (restart, bootstrap, or join), and
//! the background work that keeps gossip, the node directory and the meta group's
//! membership in step with reality.
//!
//! Bootstrap happens once: when `cluster.bootstrap.expect_nodes` nodes that belong to no
//! cluster see each other (and keep seeing the same set for a few gossip rounds), the one
//! with the lowest node id creates the meta group with them, and with it the cluster's
//! identity, node registry and shard map, in a single meta log entry. Nobody else ever
//! initializes the meta group, and a node whose meta group exists (restarts) or that sees a
//! node belonging to a cluster never bootstraps.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use shoal_consensus::{RaftGroup, RaftSettings, Storage, Transport};
use shoal_gateway::placement::PlacementSettings;
use shoal_membership::{Member, Membership, NodeInfo};
use shoal_replication::meta::{ClusterIdentity, MetaCommand, NodeRecord, NodeState};
use shoal_replication::{Clock, Dataplane, Directory, Hosting, KvMachine, Meta, PeerInfo, Shard};
use shoal_shardmap::{GroupId, PlacementNode, ShardEntry, ShardId, ShardMap, place_initial};
use tokio_util::sync::CancellationToken;

use crate::admin::Readiness;
use crate::config::Config;

/// Consecutive identical views of the bootstrap candidates required before bootstrapping.
const STABLE_ROUNDS: u32 = 3;
/// How often a waiting node repeats what it waits for in the log.
const WAIT_LOG_EVERY: Duration = Duration::from_secs(5);

/// This node's addresses and identity as published to the others.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub node_id: u64,
    pub name: String,
    pub internal_address: String,
    pub client_address: String,
    pub admin_address: String,
    pub zone: Option<String>,
}

impl Identity {
    pub fn record(&self, state: NodeState) -> NodeRecord {
        NodeRecord {
            id: self.node_id,
            name: self.name.clone(),
            internal_address: self.internal_address.clone(),
            client_address: self.client_address.clone(),
            admin_address: self.admin_address.clone(),
            zone: self.zone.clone(),
            state,
        }
    }

    pub fn info(&self) -> NodeInfo {
        NodeInfo {
            name: self.name.clone(),
            internal_address: self.internal_address.clone(),
            client_address: self.client_address.clone(),
            admin_address: self.admin_address.clone(),
            zone: self.zone.clone(),
            state: NodeState::Joining.as_str().into(),
            ready: false,
            leading_shards: Vec::new(),
            shard_map_epoch: 0,
            cluster_id: None,
        }
    }
}

fn record_of(member: &Member) -> NodeRecord {
    NodeRecord {
        id: member.node_id,
        name: member.info.name.clone(),
        internal_address: member.info.internal_address.clone(),
        client_address: member.info.client_address.clone(),
        admin_address: member.info.admin_address.clone(),
        zone: member.info.zone.clone(),
        state: NodeState::Active,
    }
}

/// Waits until this node belongs to a cluster whose shard map it has applied; bootstraps
/// the cluster when this node is the one to do it. Returns the shard map.
pub(crate) async fn establish(
    meta: &Meta,
    membership: &Membership,
    config: &Config,
    identity: &Identity,
    clock: &Clock,
    readiness: &Readiness,
) -> Result<ShardMap> {
    let expected = config.cluster.bootstrap.expect_nodes as usize;
    let interval = config.cluster.discovery.gossip_interval;
    let mut stable_view: Option<(Vec<u64>, u32)> = None;
    let mut last_log = tokio::time::Instant::now() - WAIT_LOG_EVERY;
    loop {
        if meta.group().is_initialized().await? {
            break;
        }
        let live = membership.live_members();
        let existing = live
            .iter()
            .find(|member| member.node_id != identity.node_id && member.info.cluster_id.is_some());
        let waiting = if let Some(member) = existing {
            stable_view = None;
            format!(
                "joining cluster {} (seen at node {}): waiting for its meta leader to add this node",
                member.info.cluster_id.as_deref().unwrap_or_default(),
                member.node_id
            )
        } else {
            let candidates: Vec<u64> = live
                .iter()
                .filter(|member| member.info.cluster_id.is_none() && member.info.state != "leaving")
                .map(|member| member.node_id)
                .collect();
            if candidates.len() >= expected {
                let chosen: Vec<u64> = candidates.iter().copied().take(expected).collect();
                let rounds = match &stable_view {
                    Some((view, rounds)) if *view == chosen => rounds + 1,
                    _ => 1,
                };
                stable_view = Some((chosen.clone(), rounds));
                if chosen[0] == identity.node_id && rounds >= STABLE_ROUNDS {
                    let members: Vec<Member> = live
                        .iter()
                        .filter(|m| chosen.contains(&m.node_id))
                        .cloned()
                        .collect();
                    bootstrap(meta, config, identity, &members, clock).await?;
                    continue;
                }
                format!(
                    "bootstrap of {expected} nodes {chosen:?}: waiting for node {} to create the cluster",
                    chosen[0]
                )
            } else {
                stable_view = None;
                format!(
                    "waiting for {} more node(s) to create the cluster (cluster.bootstrap.expect_nodes = {expected}; \
                     seen: {candidates:?}; seeds: {:?})",
                    expected - candidates.len(),
                    config.cluster.discovery.seeds
                )
            }
        };
        readiness.waiting_for(waiting.clone());
        if last_log.elapsed() >= WAIT_LOG_EVERY {
            tracing::info!("{waiting}");
            last_log = tokio::time::Instant::now();
        }
        tokio::time::sleep(interval).await;
    }
    // A member of the meta group now: wait until the shard map has been applied here.
    loop {
        if let Some(map) = meta.shard_map()? {
            return Ok(map);
        }
        readiness.waiting_for("waiting for the meta group to replicate the shard map to this node");
        tokio::time::sleep(interval).await;
    }
}

/// Creates the cluster: the meta group with the first voters, then one meta entry holding
/// the identity, the registry of the bootstrap nodes and the shard map.
async fn bootstrap(
    meta: &Meta,
    config: &Config,
    identity: &Identity,
    members: &[Member],
    clock: &Clock,
) -> Result<()> {
    let voters: BTreeMap<u64, String> = members
        .iter()
        .take(config.cluster.raft.voters as usize)
        .map(|member| (member.node_id, member.info.internal_address.clone()))
        .collect();
    tracing::info!(
        node_id = identity.node_id,
        nodes = ?members.iter().map(|m| m.node_id).collect::<Vec<_>>(),
        meta_voters = ?voters.keys().collect::<Vec<_>>(),
        "bootstrapping a new cluster"
    );
    meta.group().initialize(&voters).await?;
    meta.group()
        .wait_for_leader(Duration::from_secs(30))
        .await
        .context("the new meta group elected no leader")?;
    let nodes: Vec<PlacementNode> = members
        .iter()
        .map(|member| PlacementNode {
            id: member.node_id,
            zone: member.info.zone.clone(),
        })
        .collect();
    let shard_map = place_initial(
        config.cluster.data.shards,
        config.cluster.data.replication_factor,
        &nodes,
    )?;
    let identity_record = ClusterIdentity {
        cluster_id: format!("{:016x}", rand::random::<u64>()),
        created_at_ms: clock.now_ms(),
    };
    // The meta leader is this node unless an election moved it meanwhile; retry through
    // short waits rather than give up on a fresh cluster.
    let command = MetaCommand::CreateCluster {
        identity: identity_record,
        shard_map,
        nodes: members.iter().map(record_of).collect(),
    };
    retry_while_electing("creating the cluster in the meta group", || async {
        meta.propose(&command).await.map(|_| ())
    })
    .await?;
    // Bootstrap nodes beyond the meta voters hold shard replicas too: they must learn the
    // shard map now, as meta learners, not later from the reconciler — which only runs once
    // this node is ready, and this node is ready only when every shard it hosts has a
    // leader, which may need those very nodes.
    for member in members.iter().filter(|m| !voters.contains_key(&m.node_id)) {
        let what = format!(
            "adding node {} to the meta group as a learner",
            member.node_id
        );
        retry_while_electing(&what, || {
            meta.group()
                .add_learner(member.node_id, &member.info.internal_address, false)
        })
        .await?;
    }
    Ok(())
}

/// Settings of the background work.
pub(crate) struct Background {
    /// Voters the meta group should have.
    pub voters_wanted: usize,
    /// The gossip round.
    pub interval: Duration,
    /// Whether to move leaderships to preferred replicas and off draining nodes.
    pub balance_leaders: bool,
    /// What the placement driver plans with (it runs on the meta leader).
    pub placement: PlacementSettings,
    /// Starts shard replicas moved to this node.
    pub replicas: ReplicaFactory,
}

/// What starting a shard replica on this node takes.
pub(crate) struct ReplicaFactory {
    pub transport: Arc<Transport>,
    pub storage: Storage,
    pub settings: RaftSettings,
    pub clock: Clock,
}

impl ReplicaFactory {
    /// Starts this node's replica of `entry` without creating the group: its leader adds
    /// it (as a learner) and sends it a snapshot.
    async fn start(&self, entry: &ShardEntry) -> Result<Shard> {
        let group = RaftGroup::start(
            &self.transport,
            GroupId::for_shard(entry.id).0,
            self.storage.clone(),
            Arc::new(KvMachine),
            &self.settings,
        )
        .await?;
        Ok(Shard::new(entry.id, entry.range, group, self.clock))
    }
}

/// Brings the replicas hosted here in line with the meta group: a replica moving here
/// starts (empty; its leader fills it), a replica moved away stops and its data is
/// deleted, and the map the gateway routes with is the newest applied here.
async fn reconcile_hosting(dataplane: &Dataplane, factory: &ReplicaFactory) -> Result<()> {
    let meta = dataplane.meta();
    let Some(map) = meta.shard_map()? else {
        return Ok(());
    };
    let me = dataplane.node_id();
    let moves = meta.moves()?;
    let wanted: BTreeSet<ShardId> = map
        .shards
        .iter()
        .filter(|entry| entry.replicas.contains(&me))
        .map(|entry| entry.id)
        .chain(moves.iter().filter(|m| m.to == me).map(|m| m.shard))
        .collect();
    let hosting = dataplane.hosting();
    let held: BTreeSet<ShardId> = hosting.shards.keys().copied().collect();
    if hosting.shard_map.epoch == map.epoch && held == wanted {
        return Ok(());
    }
    let mut shards = hosting.shards.clone();
    for id in wanted.difference(&held) {
        let Some(entry) = map.shards.iter().find(|e| e.id == *id) else {
            continue;
        };
        tracing::info!(shard = %id, "starting a replica moved to this node");
        shards.insert(*id, factory.start(entry).await?);
    }
    let mut removed = Vec::new();
    for id in held.difference(&wanted) {
        if let Some(shard) = shards.get(id)
            && shard.group().is_leader()
        {
            // The map says this replica was moved away, but it still leads: the change of
            // voters has not reached it yet. Keep it until it steps down.
            continue;
        }
        if let Some(shard) = shards.remove(id) {
            removed.push(shard);
        }
    }
    dataplane.set_hosting(Hosting {
        shard_map: Arc::new(map),
        shards,
    });
    for shard in removed {
        tracing::info!(shard = %shard.id(), "deleting a replica moved away from this node");
        shard.group().shutdown_and_delete().await?;
    }
    Ok(())
}

/// How often leaderships are balanced (at most one transfer per node each time).
const BALANCE_EVERY: Duration = Duration::from_secs(2);

/// Runs `operation` on the fresh meta group, retrying (50 × 200 ms) while leadership may
/// still move after its first election.
async fn retry_while_electing<F, Fut, E>(what: &str, operation: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut attempts = 0;
    loop {
        match operation().await {
            Ok(()) => return Ok(()),
            Err(error) if attempts < 50 => {
                attempts += 1;
                tracing::debug!(%error, "{what}: retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => return Err(error).context(what.to_owned()),
        }
    }
}

/// Keeps gossip (this node's readiness, leaderships, epoch), the directory and, on the meta
/// leader, the meta group's membership up to date, and balances leaderships, until
/// `cancel` fires.
pub(crate) async fn run_background(
    membership: Arc<Membership>,
    dataplane: Arc<Dataplane>,
    identity: Identity,
    readiness: Arc<Readiness>,
    settings: Background,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(settings.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reconcile_every = 0u32;
    let mut last_balance = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        publish(&membership, &dataplane, &identity, &readiness).await;
        refresh_directory(&membership, &dataplane);
        if let Err(error) = reconcile_hosting(&dataplane, &settings.replicas).await {
            tracing::warn!(%error, "hosted replicas not reconciled this round");
        }
        // Membership changes of the meta group and replica moves are rarer work: every
        // few rounds.
        reconcile_every += 1;
        if reconcile_every >= 5 {
            reconcile_every = 0;
            let wanted = settings.voters_wanted;
            if let Err(error) =
                reconcile_meta(&membership, &dataplane, wanted, &settings.placement).await
            {
                tracing::debug!(%error, "meta membership not reconciled this round");
            }
        }
        if settings.balance_leaders
            && readiness.is_ready()
            && last_balance.elapsed() >= BALANCE_EVERY
        {
            last_balance = tokio::time::Instant::now();
            balance_leaderships(&dataplane).await;
        }
    }
}

/// How often the placement driver looks at the cluster: often while moves are in flight
/// (each step waits for the previous one), rarely otherwise.
const DRIVE_BUSY: Duration = Duration::from_millis(200);
const DRIVE_IDLE: Duration = Duration::from_secs(1);

/// The placement driver's loop (it acts only while this node leads the meta group), apart
/// from the gossip loop so a slow step never delays gossip.
pub(crate) async fn run_driver(
    dataplane: Arc<Dataplane>,
    readiness: Arc<Readiness>,
    placement: PlacementSettings,
    cancel: CancellationToken,
) {
    loop {
        let busy = readiness.is_ready() && dataplane.meta().group().is_leader() && {
            shoal_gateway::placement::drive(&dataplane, &placement).await;
            dataplane
                .meta()
                .moves()
                .is_ok_and(|moves| !moves.is_empty())
        };
        let pause = if busy { DRIVE_BUSY } else { DRIVE_IDLE };
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// A replica may take a leadership when its node is live, ready, active (not draining) and
/// its log is within this many entries of the leader's.
const CAUGHT_UP_ENTRIES: u64 = 64;

/// Where this node's leaderships should be: for each group it leads, the first replica in
/// the shard map's order (the preferred leader first) that may lead; a draining node gives
/// every leadership, the meta group's too, to any replica that may lead. Moves at most one
/// leadership per call, so balancing is gradual.
async fn balance_leaderships(dataplane: &Dataplane) {
    let me = dataplane.node_id();
    let directory = dataplane.directory();
    let draining = directory
        .get(me)
        .is_some_and(|peer| peer.state == NodeState::Draining);
    let may_lead = |status: &shoal_consensus::GroupStatus, node: u64| {
        status.voters.contains(&node)
            && directory
                .get(node)
                .is_some_and(|peer| peer.live && peer.ready && peer.state == NodeState::Active)
            && status
                .matched
                .get(&node)
                .copied()
                .flatten()
                .is_some_and(|matched| matched + CAUGHT_UP_ENTRIES >= status.last_log_index)
    };
    let map = dataplane.shard_map();
    let mut moves = Vec::new();
    for shard in dataplane.hosted_shards() {
        let group = shard.group();
        if !group.is_leader() {
            continue;
        }
        let status = group.status();
        let Some(entry) = map.shards.iter().find(|entry| entry.id == shard.id()) else {
            continue;
        };
        let target =
            entry.replicas.iter().copied().find(|node| {
                (*node == me && !draining) || (*node != me && may_lead(&status, *node))
            });
        if let Some(target) = target
            && target != me
        {
            moves.push((format!("shard {}", shard.id().0), group.clone(), target));
        }
    }
    let meta = dataplane.meta().group();
    if draining && meta.is_leader() {
        let status = meta.status();
        if let Some(target) = status
            .voters
            .iter()
            .copied()
            .find(|node| *node != me && may_lead(&status, *node))
        {
            moves.push(("the meta group".to_owned(), meta.clone(), target));
        }
    }
    // One move per round; a draining node moves the meta group last.
    if let Some((what, group, target)) = moves.into_iter().next() {
        tracing::info!(
            to = target,
            reason = if draining {
                "this node is draining"
            } else {
                "preferred leader"
            },
            "moving the leadership of {what}"
        );
        if let Err(error) = group.transfer_leader(target).await {
            tracing::debug!(%error, "leadership not moved");
        }
    }
}

/// What this node says about itself now.
pub(crate) fn current_info(dataplane: &Dataplane, identity: &Identity, ready: bool) -> NodeInfo {
    let leading: Vec<u32> = dataplane
        .hosted_shards()
        .into_iter()
        .filter(|shard| shard.group().is_leader())
        .map(|shard| shard.id().0)
        .collect();
    let state = dataplane
        .directory()
        .get(dataplane.node_id())
        .map_or(NodeState::Active, |me| me.state);
    NodeInfo {
        state: state.as_str().into(),
        ready,
        leading_shards: leading,
        shard_map_epoch: dataplane.shard_map().epoch,
        cluster_id: dataplane
            .meta()
            .identity()
            .ok()
            .flatten()
            .map(|identity| identity.cluster_id),
        ..identity.info()
    }
}

async fn publish(
    membership: &Membership,
    dataplane: &Dataplane,
    identity: &Identity,
    readiness: &Readiness,
) {
    membership
        .publish(&current_info(dataplane, identity, readiness.is_ready()))
        .await;
}

/// Directory = gossip members (fresh) over the registry (complete).
pub(crate) fn refresh_directory(membership: &Membership, dataplane: &Dataplane) {
    let mut peers: BTreeMap<u64, PeerInfo> = BTreeMap::new();
    for record in dataplane.meta().nodes().unwrap_or_default() {
        peers.insert(
            record.id,
            PeerInfo {
                node_id: record.id,
                name: record.name,
                generation: 0,
                live: false,
                ready: false,
                state: record.state,
                internal_address: record.internal_address,
                client_address: record.client_address,
                admin_address: record.admin_address,
                gossip_address: String::new(),
                zone: record.zone,
                leading_shards: Vec::new(),
                shard_map_epoch: 0,
                cluster_id: None,
            },
        );
    }
    for member in membership.members().into_values() {
        let registered = peers.get(&member.node_id).map(|p| p.state);
        peers.insert(member.node_id, peer_of(&member, registered));
    }
    dataplane.directory().replace(peers.into_values());
}

fn peer_of(member: &Member, registered: Option<NodeState>) -> PeerInfo {
    PeerInfo {
        node_id: member.node_id,
        name: member.info.name.clone(),
        generation: member.generation,
        live: member.live,
        // A dead node's last words are not current: it neither serves nor leads.
        ready: member.live && member.info.ready,
        state: registered
            .or_else(|| NodeState::parse(&member.info.state))
            .unwrap_or(NodeState::Joining),
        internal_address: member.info.internal_address.clone(),
        client_address: member.info.client_address.clone(),
        admin_address: member.info.admin_address.clone(),
        gossip_address: member.gossip_address.to_string(),
        zone: member.info.zone.clone(),
        leading_shards: if member.live {
            member.info.leading_shards.clone()
        } else {
            Vec::new()
        },
        shard_map_epoch: member.info.shard_map_epoch,
        cluster_id: member.info.cluster_id.clone(),
    }
}

/// On the meta leader: live nodes that are not members of the meta group become learners
/// (and registered nodes); while there are fewer voters than wanted, caught-up learners are
/// promoted.
async fn reconcile_meta(
    membership: &Membership,
    dataplane: &Dataplane,
    voters_wanted: usize,
    placement: &PlacementSettings,
) -> Result<()> {
    let meta = dataplane.meta();
    let group = meta.group();
    if !group.is_leader() {
        return Ok(());
    }
    let cluster_id = meta.identity()?.map(|identity| identity.cluster_id);
    let members = group.members();
    let records = meta.nodes()?;
    let registry: BTreeSet<u64> = records.iter().map(|record| record.id).collect();
    let decommissioned: BTreeSet<u64> = records
        .iter()
        .filter(|r| r.state == NodeState::Decommissioned)
        .map(|r| r.id)
        .collect();
    for member in membership.live_members() {
        let joinable = !decommissioned.contains(&member.node_id)
            && !member.info.internal_address.is_empty()
            && member.info.state != "leaving"
            && (member.info.cluster_id.is_none() || member.info.cluster_id == cluster_id);
        if !joinable {
            continue;
        }
        if !registry.contains(&member.node_id) {
            tracing::info!(node_id = member.node_id, name = %member.info.name, "registering a new node");
            meta.propose(&MetaCommand::RegisterNode(record_of(&member)))
                .await?;
        }
        if !members.contains_key(&member.node_id) {
            tracing::info!(node_id = member.node_id, address = %member.info.internal_address, "adding a node to the meta group as a learner");
            group
                .add_learner(member.node_id, &member.info.internal_address, false)
                .await?;
        }
    }
    let status = group.status();
    // A voter down for cluster.failure.replace_after gives its seat to a live learner.
    let directory = dataplane.directory();
    let failed = status.voters.iter().copied().find(|voter| {
        directory
            .down_for(*voter)
            .is_some_and(|down| down >= placement.replace_after)
    });
    if let Some(failed) = failed
        && status.voters.len() >= voters_wanted
    {
        let replacement = status.learners.iter().copied().find(|learner| {
            directory.get(*learner).is_some_and(|p| p.live)
                && !decommissioned.contains(learner)
                && status
                    .matched
                    .get(learner)
                    .copied()
                    .flatten()
                    .is_some_and(|matched| matched + 100 >= status.last_log_index)
        });
        if let Some(replacement) = replacement {
            let voters: BTreeSet<u64> = status
                .voters
                .iter()
                .copied()
                .filter(|v| *v != failed)
                .chain([replacement])
                .collect();
            tracing::warn!(
                failed,
                replacement,
                ?voters,
                "replacing a failed voter of the meta group"
            );
            group.change_voters(voters).await?;
            return Ok(());
        }
    }
    if status.voters.len() < voters_wanted {
        let live: BTreeSet<u64> = membership
            .live_members()
            .iter()
            .map(|m| m.node_id)
            .collect();
        let caught_up = |node: &u64| {
            status
                .matched
                .get(node)
                .copied()
                .flatten()
                .is_some_and(|matched| matched + 100 >= status.last_log_index)
        };
        let mut promote: Vec<u64> = status
            .learners
            .iter()
            .copied()
            .filter(|node| live.contains(node) && caught_up(node))
            .collect();
        promote.truncate(voters_wanted - status.voters.len());
        if !promote.is_empty() {
            let voters: BTreeSet<u64> = status
                .voters
                .iter()
                .copied()
                .chain(promote.iter().copied())
                .collect();
            tracing::info!(promoted = ?promote, voters = ?voters, "promoting learners to voters of the meta group");
            group.change_voters(voters).await?;
        }
    }
    Ok(())
}

/// Seeds the directory before the data plane exists (bootstrap needs peer addresses).
pub(crate) fn directory_from_gossip(membership: &Membership) -> Arc<Directory> {
    let directory = Arc::new(Directory::default());
    directory.replace(
        membership
            .members()
            .values()
            .map(|member| peer_of(member, None)),
    );
    directory
}
