//! The one way to call another node: forwarding, the status and jobs fan-out, the placement
//! driver's calls to shard leaders, leader transfers and meta-leader operations all go
//! through [`PeerCalls`]. It resolves a node's internal address (the shard group's
//! membership first — what Raft itself uses —, then the directory) and reuses the node's
//! one connection, whose channel applies the test fault rules on every request, so no call
//! site can escape fault injection.

use std::sync::Arc;

use shoal_consensus::{PeerChannel, Transport};
use shoal_proto::internal::control_client::ControlClient;
use shoal_proto::v1::cluster_client::ClusterClient;
use shoal_replication::{LocalReplicas, ReplicationError};
use shoal_shardmap::{NodeId, ShardId};

use crate::forward::PeerKv;

/// Calls to peers (cheap to clone).
#[derive(Debug, Clone)]
pub struct PeerCalls {
    transport: Arc<Transport>,
    replicas: Arc<LocalReplicas>,
}

impl PeerCalls {
    pub fn new(transport: Arc<Transport>, replicas: Arc<LocalReplicas>) -> PeerCalls {
        PeerCalls {
            transport,
            replicas,
        }
    }

    /// This node.
    pub fn me(&self) -> NodeId {
        self.transport.node_id()
    }

    /// The internal address of `node`, as `shard`'s group lists it when given, else as the
    /// directory knows it.
    pub fn address(
        &self,
        node: NodeId,
        shard: Option<ShardId>,
    ) -> Result<String, ReplicationError> {
        self.replicas.address_of(node, shard).ok_or_else(|| {
            ReplicationError::NotDelivered(format!(
                "the internal address of node {node} is unknown here"
            ))
        })
    }

    /// The connection to `node` at `address`.
    pub fn channel(&self, node: NodeId, address: &str) -> Result<PeerChannel, ReplicationError> {
        self.transport
            .peers()
            .channel(node, address)
            .map_err(|error| ReplicationError::NotDelivered(error.to_string()))
    }

    /// The KV service of `node` (forwarding), at `address` when the caller knows it: on the
    /// pipe to the node, a unary call when the node does not take forwards there.
    pub(crate) fn kv(
        &self,
        node: NodeId,
        address: Option<String>,
        shard: ShardId,
        caller_key: Option<&str>,
    ) -> Result<PeerKv, ReplicationError> {
        let address = match address {
            Some(address) => address,
            None => self.address(node, Some(shard))?,
        };
        Ok(PeerKv {
            peers: self.clone(),
            node,
            address,
            caller_key: caller_key.map(str::to_owned),
        })
    }

    /// Sends a forwarded request's payload to `node` on the pipe to it (fault rules apply).
    pub(crate) async fn forward(
        &self,
        node: NodeId,
        address: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, shoal_consensus::PipeError> {
        self.transport.forward(node, address, payload).await
    }

    /// The Cluster service of `node` on its internal port.
    pub fn cluster(
        &self,
        node: NodeId,
        shard: Option<ShardId>,
    ) -> Result<ClusterClient<PeerChannel>, ReplicationError> {
        let address = self.address(node, shard)?;
        Ok(ClusterClient::new(self.channel(node, &address)?))
    }

    /// The internal Control service of `node`.
    pub fn control(
        &self,
        node: NodeId,
        shard: ShardId,
    ) -> Result<ControlClient<PeerChannel>, ReplicationError> {
        let address = self.address(node, Some(shard))?;
        Ok(ControlClient::new(self.channel(node, &address)?))
    }

    /// The internal Control service of `node`, found by node alone (the meta leader).
    pub fn meta_control(
        &self,
        node: NodeId,
    ) -> Result<ControlClient<PeerChannel>, ReplicationError> {
        let address = self.address(node, None)?;
        Ok(ControlClient::new(self.channel(node, &address)?))
    }

    /// A request to send to a peer, marked as forwarded by this node.
    pub fn forwarded<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Ok(value) = self.me().to_string().parse() {
            request
                .metadata_mut()
                .insert(shoal_proto::metadata::FORWARDED_BY, value);
        }
        request
    }
}

/// How long a node gossip announces has to answer `Identify` before it is admitted.
const IDENTIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The node-probe port over the transport: `Raft.Identify` on a connection of its own
/// (mTLS when the cluster has it). Usable before the node has joined.
#[derive(Debug, Clone)]
pub struct TransportProbe {
    transport: Arc<Transport>,
}

impl TransportProbe {
    pub fn new(transport: Arc<Transport>) -> TransportProbe {
        TransportProbe { transport }
    }
}

#[async_trait::async_trait]
impl shoal_control::NodeProbe for TransportProbe {
    async fn identify(&self, address: &str) -> Result<NodeId, shoal_control::ControlError> {
        self.transport
            .peers()
            .identify(address, IDENTIFY_TIMEOUT)
            .await
            .map_err(|error| shoal_control::ControlError::Unavailable(error.to_string()))
    }
}
