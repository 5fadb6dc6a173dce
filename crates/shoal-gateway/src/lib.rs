//! The gRPC edge of a node: the public `KV` and `Cluster` services, request validation,
//! routing (serve locally, or forward one hop to the shard leader over the internal port),
//! the internal `shoal.internal.v1.Control` service and the gRPC implementation of the
//! control plane's shard-admin port, the one mapping from shoal errors to gRPC statuses,
//! and the tower stack (per-request timeout, global concurrency limit) in front of them.
//!
//! The same services also run on the internal port, in *forwarded* mode: a request there
//! came from a peer and is served here or refused with the leader's id — never forwarded
//! again, so a request makes at most one hop.
//!
//! Architecture invariant: generated protobuf types stop here (`pb.rs` converts); every
//! call to another node goes through [`PeerCalls`]; no decision about the cluster's shape
//! is made here (that is `shoal-control`).

mod auth;
pub mod check;
mod cluster;
mod cluster_status;
mod control;
mod forward;
mod kv;
mod limits;
mod pb;
mod peer;
mod route;
mod status;
pub mod telemetry;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use shoal_consensus::Storage;
use shoal_control::ControlHandle;
use shoal_control::local::LocalShards;
use shoal_proto::internal::control_server::ControlServer;
use shoal_proto::v1::cluster_server::ClusterServer;
use shoal_proto::v1::kv_server::KvServer;
use shoal_replication::{LocalReplicas, Meta};
use shoal_shardmap::NodeId;
use tower::limit::GlobalConcurrencyLimitLayer;

pub use auth::KeyCache;
pub use control::GrpcShards;
pub use forward::forward_handler;
pub use peer::{PeerCalls, TransportProbe};
pub use status::{TooLargeLayer, control_status, to_status, too_large_layer};

/// What the edge serves from once the node has started: its identity, the meta group, the
/// replicas it hosts, the way to its peers, the control plane, and storage (for status).
#[derive(Debug)]
pub struct Backend {
    pub node_id: NodeId,
    pub node_name: String,
    pub meta: Meta,
    pub replicas: Arc<LocalReplicas>,
    pub peers: PeerCalls,
    pub control: ControlHandle,
    /// Administration of the shards this node leads (validated changes and transfers).
    pub shards: LocalShards,
    pub storage: Storage,
    /// This node's copy of the cluster's API keys.
    pub keys: Arc<auth::KeyCache>,
}

impl Backend {
    /// True when the meta group and every hosted replica have a leader.
    pub fn is_ready(&self) -> bool {
        self.meta.group().leader().is_some() && self.replicas.all_have_leaders()
    }
}

/// The backend once it exists: the internal port serves before the node has finished
/// starting (Raft traffic must flow for it to finish), and answers requests with
/// UNAVAILABLE until then.
pub type BackendCell = Arc<OnceLock<Arc<Backend>>>;

/// Whether a service answers clients (and may forward) or peers (and never forwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Client,
    Forwarded,
}

/// Request limits enforced before anything reaches a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    /// Most operations in one `KV.Batch` call.
    pub max_batch_operations: usize,
    /// Largest encoded `KV.Batch` request.
    pub max_batch_bytes: usize,
}

/// The longest TTL accepted: ten years.
pub const MAX_TTL_MS: u64 = 10 * 365 * 24 * 60 * 60 * 1000;

/// Settings of the client-facing server.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub limits: Limits,
    /// Deadline of one request; past it the client gets DEADLINE_EXCEEDED.
    pub request_timeout: Duration,
    /// Requests processed at once across all connections; more are shed at once
    /// (RESOURCE_EXHAUSTED).
    pub max_concurrent_requests: usize,
    /// Requests processed at once from one client address; more are refused at once
    /// (RESOURCE_EXHAUSTED), so one client cannot hold every slot.
    pub max_concurrent_requests_per_ip: usize,
    /// HTTP/2 streams open at once on one client connection.
    pub max_streams_per_connection: u32,
    pub version: String,
    /// Test only (a deliberately broken node): serve linearizable reads from the local
    /// replica without a quorum round, so tests can prove `shoal verify` catches stale reads.
    pub unsafe_stale_reads: bool,
    /// Client requests need an API key (`server.auth.enabled`).
    pub auth: bool,
}

/// The backend, or — while the node is still starting (its internal port already serves
/// Raft) — a refusal that provably did nothing, so a forwarding peer retries (the node may
/// still lead a shard from before a restart, and take over again in a moment).
fn backend(cell: &BackendCell) -> Result<&Arc<Backend>, shoal_replication::ReplicationError> {
    cell.get().ok_or_else(|| {
        shoal_replication::ReplicationError::NotDelivered("the node is still starting".into())
    })
}

/// How often the client port pings an idle connection, and how long it waits for the answer.
const CLIENT_KEEPALIVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);
const CLIENT_KEEPALIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves the client API on `listener` until `shutdown` completes, then finishes the
/// requests in flight and returns.
pub async fn serve<H>(
    incoming: shoal_tls::Incoming,
    cell: BackendCell,
    node: NodeId,
    settings: GatewaySettings,
    health: tonic_health::pb::health_server::HealthServer<H>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error>
where
    H: tonic_health::pb::health_server::Health,
{
    let audit = auth::AuditSink::start(&cell, node);
    let kv = kv_service(cell.clone(), &settings, Mode::Client);
    let cluster = ClusterServer::new(cluster::ClusterService::new(
        cell.clone(),
        settings.clone(),
        Mode::Client,
    ));
    let (reflection_v1, reflection_v1alpha) = reflection();
    tonic::transport::Server::builder()
        .timeout(settings.request_timeout)
        .max_concurrent_streams(Some(settings.max_streams_per_connection))
        // A connection whose client stopped answering pings (gone, or never an HTTP/2
        // client at all) is closed instead of held forever.
        .http2_keepalive_interval(Some(CLIENT_KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(CLIENT_KEEPALIVE_TIMEOUT))
        // A request that finds no free slot is refused at once (RESOURCE_EXHAUSTED), so a
        // client holding slots cannot make everyone else wait out their deadlines.
        .load_shed(true)
        // Outermost: refused requests are counted too.
        .layer(telemetry::RequestTelemetryLayer)
        .layer(GlobalConcurrencyLimitLayer::new(
            settings.max_concurrent_requests,
        ))
        // Each address's share of those slots: past it, that address's requests are
        // refused, everyone else's still find room.
        .layer(limits::PerIpLimitLayer::new(
            settings.max_concurrent_requests_per_ip,
        ))
        .layer(status::too_large_layer())
        .layer(auth::AuthLayer::new(settings.auth, cell, audit))
        .add_service(kv)
        .add_service(cluster)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// gRPC reflection of the public API and the health service (v1 and v1alpha, so grpcurl
/// and older reflection clients both work); the internal services are not listed.
fn reflection() -> (
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
) {
    let builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(shoal_proto::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    (
        builder()
            .build_v1()
            .expect("the checked-in descriptor sets are valid"),
        builder()
            .build_v1alpha()
            .expect("the checked-in descriptor sets are valid"),
    )
}

/// The names health reports on: the whole server (`""`) and each client service.
pub const HEALTH_SERVICES: [&str; 3] = ["", "shoal.v1.KV", "shoal.v1.Cluster"];

fn kv_service(
    cell: BackendCell,
    settings: &GatewaySettings,
    mode: Mode,
) -> KvServer<kv::KvService> {
    let single = settings.limits.max_value_bytes + settings.limits.max_key_bytes + 64 * 1024;
    let max_message = single.max(settings.limits.max_batch_bytes);
    KvServer::new(kv::KvService::new(cell, settings.clone(), mode))
        .max_decoding_message_size(max_message)
        .max_encoding_message_size(max_message)
}

/// The KV service of the internal port: serves requests forwarded by peers.
pub fn internal_kv(cell: BackendCell, settings: &GatewaySettings) -> KvServer<impl pb_kv::Kv> {
    kv_service(cell, settings, Mode::Forwarded)
}

/// The Cluster service of the internal port: this node's own view, for peers gathering a
/// cluster-wide status, and operations forwarded to the node that must run them.
pub fn internal_cluster(
    cell: BackendCell,
    settings: &GatewaySettings,
) -> ClusterServer<impl pb_cluster::Cluster> {
    ClusterServer::new(cluster::ClusterService::new(
        cell,
        settings.clone(),
        Mode::Forwarded,
    ))
}

/// What `Cluster/Status` answers a client (every node's view gathered), for the admin
/// port's `/api/status` (the status page) — the same as `shoal cluster status --json`.
pub async fn status_report(
    cell: &BackendCell,
    settings: &GatewaySettings,
) -> Result<shoal_proto::v1::StatusResponse, tonic::Status> {
    use pb_cluster::Cluster as _;
    let service = cluster::ClusterService::new(cell.clone(), settings.clone(), Mode::Client);
    let request = tonic::Request::new(shoal_proto::v1::StatusRequest::default());
    Ok(service.status(request).await?.into_inner())
}

/// What `Cluster/ListMoves` answers a client, for the admin port's `/api/moves`.
pub async fn moves_report(
    cell: &BackendCell,
    settings: &GatewaySettings,
) -> Result<shoal_proto::v1::ListMovesResponse, tonic::Status> {
    use pb_cluster::Cluster as _;
    let service = cluster::ClusterService::new(cell.clone(), settings.clone(), Mode::Client);
    let request = tonic::Request::new(shoal_proto::v1::ListMovesRequest::default());
    Ok(service.list_moves(request).await?.into_inner())
}

/// The internal Control service: the placement driver's changes of a shard's replica set,
/// on the shard's leader.
pub fn internal_control(cell: BackendCell) -> ControlServer<impl pb_control::Control> {
    ControlServer::new(control::ControlService::new(cell))
}

use shoal_proto::internal::control_server as pb_control;
use shoal_proto::v1::cluster_server as pb_cluster;
use shoal_proto::v1::kv_server as pb_kv;
