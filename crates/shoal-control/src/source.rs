//! Where views come from: this node's meta replica, gossip and the directory, read at one
//! moment into a [`ClusterView`]; and the directory itself, refreshed from gossip and the
//! registry every gossip round.

use std::collections::BTreeMap;
use std::sync::Arc;

use shoal_membership::Member;
use shoal_replication::meta::NodeRecord;
use shoal_replication::{Clock, Directory, PeerInfo};
use shoal_shardmap::{NodeId, NodeState};

use crate::ControlError;
use crate::ports::{Gossip, MetaLog, MetaState};
use crate::view::ClusterView;

/// Builds views of the cluster as this node sees it (cheap: local reads only).
#[derive(Clone)]
pub struct ViewSource {
    me: NodeId,
    clock: Clock,
    meta: Arc<dyn MetaLog>,
    gossip: Arc<dyn Gossip>,
    directory: Arc<Directory>,
}

impl std::fmt::Debug for ViewSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewSource").field("me", &self.me).finish()
    }
}

impl ViewSource {
    pub fn new(
        me: NodeId,
        clock: Clock,
        meta: Arc<dyn MetaLog>,
        gossip: Arc<dyn Gossip>,
        directory: Arc<Directory>,
    ) -> ViewSource {
        ViewSource {
            me,
            clock,
            meta,
            gossip,
            directory,
        }
    }

    pub fn me(&self) -> NodeId {
        self.me
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// The cluster now, with the meta state it was built from.
    pub fn view_and_state(&self) -> Result<(ClusterView, MetaState), ControlError> {
        let state = self.meta.state()?;
        let view = ClusterView::assemble(
            self.me,
            self.clock.now_ms(),
            state.identity.as_ref().map(|i| i.cluster_id.clone()),
            state.nodes.clone(),
            self.gossip.members(),
            |id| self.directory.down_for(id),
            state.map.clone(),
            state.moves.clone(),
            self.meta.group(),
        );
        Ok((view, state))
    }

    /// The cluster now.
    pub fn view(&self) -> Result<ClusterView, ControlError> {
        Ok(self.view_and_state()?.0)
    }
}

/// The directory from gossip (fresh) over the registry (complete): every registered node,
/// and every node gossip knows, with gossip's liveness, readiness and leadership hints.
pub fn refresh_directory(
    directory: &Directory,
    registry: &[NodeRecord],
    members: &BTreeMap<NodeId, Member>,
) {
    let mut peers: BTreeMap<NodeId, PeerInfo> = BTreeMap::new();
    for record in registry {
        peers.insert(
            record.id,
            PeerInfo {
                node_id: record.id,
                name: record.name.clone(),
                generation: 0,
                live: false,
                ready: false,
                state: record.state,
                internal_address: record.internal_address.clone(),
                client_address: record.client_address.clone(),
                admin_address: record.admin_address.clone(),
                gossip_address: String::new(),
                zone: record.zone.clone(),
                leading_shards: Vec::new(),
                damaged_shards: Vec::new(),
                shard_map_epoch: 0,
                cluster_id: None,
            },
        );
    }
    for member in members.values() {
        let registered = peers.get(&member.node_id).map(|p| p.state);
        peers.insert(member.node_id, peer_of(member, registered));
    }
    directory.replace(peers.into_values());
}

/// One node as the directory shows it: gossip's view, with the registry's state when it
/// is registered (a leaving node shows as leaving).
pub fn peer_of(member: &Member, registered: Option<NodeState>) -> PeerInfo {
    let state = match (registered, member.info.state) {
        (_, NodeState::Leaving) if member.live => NodeState::Leaving,
        (Some(state), _) => state,
        (None, gossiped) => gossiped,
    };
    PeerInfo {
        node_id: member.node_id,
        name: member.info.name.clone(),
        generation: member.generation,
        live: member.live,
        // A dead node's last words are not current: it neither serves nor leads.
        ready: member.live && member.info.ready,
        state,
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
        damaged_shards: member.info.damaged_shards.clone(),
        shard_map_epoch: member.info.shard_map_epoch,
        cluster_id: member.info.cluster_id.clone(),
    }
}
