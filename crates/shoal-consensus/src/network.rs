//! Raft networking for groups. A single node has no peers, so [`NoPeers`] reports every
//! target as unreachable (openraft then backs off); the cluster transport replaces it.

use std::future::Future;

use openraft::errors::{RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{AnyError, OptionalSend, RaftNetworkFactory, RaftNetworkV2};

use crate::storage::SnapshotFile;
use crate::types::{NodeId, TypeConfig, Vote};

/// Network factory of a node without peers.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPeers;

fn unreachable(target: NodeId) -> Unreachable<TypeConfig> {
    Unreachable::new(&AnyError::error(format!(
        "node {target} is not reachable: this node has no peer transport"
    )))
}

/// A connection to a peer that does not exist.
#[derive(Debug, Clone, Copy)]
pub struct NoPeerConnection {
    target: NodeId,
}

impl RaftNetworkFactory<TypeConfig> for NoPeers {
    type Network = NoPeerConnection;

    async fn new_client(&mut self, target: NodeId, _node: &openraft::BasicNode) -> Self::Network {
        NoPeerConnection { target }
    }
}

impl RaftNetworkV2<TypeConfig> for NoPeerConnection {
    type SnapshotData = SnapshotFile;

    async fn append_entries(
        &mut self,
        _rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        Err(RPCError::Unreachable(unreachable(self.target)))
    }

    async fn vote(
        &mut self,
        _rpc: VoteRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        Err(RPCError::Unreachable(unreachable(self.target)))
    }

    async fn full_snapshot(
        &mut self,
        _vote: Vote,
        _snapshot: openraft::alias::SnapshotOf<TypeConfig, SnapshotFile>,
        _cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        Err(StreamingError::Unreachable(unreachable(self.target)))
    }
}
