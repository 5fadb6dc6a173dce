//! The gRPC edge of a node: the public `KV` and `Cluster` services, request validation,
//! the single mapping from shoal error codes to gRPC status codes, and the tower stack
//! (per-request timeout, global concurrency limit) in front of them.
//!
//! Architecture invariant: generated protobuf types stop here; everything below speaks
//! shoal's own types.

mod cluster;
mod kv;
mod status;

use std::sync::Arc;
use std::time::Duration;

use shoal_proto::v1::cluster_server::ClusterServer;
use shoal_proto::v1::kv_server::KvServer;
use shoal_replication::Dataplane;
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::{Stream, StreamExt};
use tower::limit::GlobalConcurrencyLimitLayer;

pub use status::to_status;

/// Request limits enforced before anything reaches a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
}

/// The longest TTL accepted: ten years.
pub const MAX_TTL_MS: u64 = 10 * 365 * 24 * 60 * 60 * 1000;

/// Settings of the client-facing server.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub limits: Limits,
    /// Deadline of one request; past it the client gets DEADLINE_EXCEEDED.
    pub request_timeout: Duration,
    /// Requests processed at once across all connections; more wait in line.
    pub max_concurrent_requests: usize,
    pub version: String,
}

/// Serves the client API on `listener` until `shutdown` completes, then finishes the
/// requests in flight and returns.
pub async fn serve(
    listener: TcpListener,
    dataplane: Arc<Dataplane>,
    settings: GatewaySettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let max_message = settings.limits.max_value_bytes + settings.limits.max_key_bytes + 64 * 1024;
    let kv = KvServer::new(kv::KvService::new(dataplane.clone(), settings.clone()))
        .max_decoding_message_size(max_message)
        .max_encoding_message_size(max_message);
    let cluster = ClusterServer::new(cluster::ClusterService::new(
        dataplane,
        settings.version.clone(),
    ));
    let incoming = tokio_stream_incoming(listener);
    tonic::transport::Server::builder()
        .timeout(settings.request_timeout)
        .layer(GlobalConcurrencyLimitLayer::new(
            settings.max_concurrent_requests,
        ))
        .add_service(kv)
        .add_service(cluster)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// Accepted connections of `listener` as the stream tonic expects, with TCP_NODELAY set
/// (small unary RPCs must not wait for Nagle's algorithm).
fn tokio_stream_incoming(listener: TcpListener) -> impl Stream<Item = std::io::Result<TcpStream>> {
    TcpListenerStream::new(listener).map(|accepted| {
        accepted.inspect(|stream| {
            let _ = stream.set_nodelay(true);
        })
    })
}
