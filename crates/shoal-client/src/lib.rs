//! Async Rust client for shoal's public gRPC API, used by the CLI, the tests and the
//! benchmark: [`Client`] talks to one node (which forwards to shard leaders as needed);
//! [`SmartClient`] knows the shard map and goes straight to each shard's leader.

mod admin;
mod batch;
mod smart;
mod wait;

use std::time::Duration;

use shoal_proto::v1 as pb;
use shoal_proto::v1::cluster_client::ClusterClient;
use shoal_proto::v1::kv_client::KvClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

pub use admin::admin_get;
pub use batch::{BatchOp, BatchOutcome};
pub use shoal_proto::v1::{
    ApiKeyInfo, ApiKeyRole, CreateApiKeyResponse, DrainNodeResponse, GetShardMapResponse,
    MembersResponse, StatusResponse, TransferLeaderResponse,
};
pub use smart::SmartClient;
pub use tonic::Code;
pub use wait::{DecommissionProgress, DrainProgress, WaitError};

/// A failed call: the gRPC code and the server's message.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect { endpoint: String, reason: String },
    #[error("{code:?}: {message}")]
    Status {
        code: Code,
        message: String,
        /// On a NotLeader answer: the node that leads the shard (the request changed nothing).
        leader: Option<u64>,
        /// The server refused the request before proposing it (NotLeader, WrongShard): it
        /// changed nothing, even when no leader is named.
        not_applied: bool,
        /// The request provably never reached a server (the connection could not be opened).
        unsent: bool,
        /// On a compare-and-set mismatch: the key's current version.
        current_version: Option<u64>,
    },
}

impl ClientError {
    /// The gRPC code, when the server answered.
    pub fn code(&self) -> Option<Code> {
        match self {
            ClientError::Status { code, .. } => Some(*code),
            ClientError::Connect { .. } => None,
        }
    }

    /// For a compare-and-set (Put or Delete with `if_version`) refused because the key is at
    /// another version: that current version (0 = the key does not exist).
    pub fn version_mismatch(&self) -> Option<u64> {
        match self {
            ClientError::Status {
                code: Code::FailedPrecondition,
                current_version,
                ..
            } => *current_version,
            _ => None,
        }
    }

    /// True when the request certainly had no effect and may be sent again elsewhere: a
    /// NotLeader refusal, or a connection that could not be opened.
    pub fn is_safe_to_retry(&self) -> bool {
        match self {
            ClientError::Connect { .. } => true,
            ClientError::Status {
                leader,
                unsent,
                not_applied,
                ..
            } => leader.is_some() || *unsent || *not_applied,
        }
    }
}

use shoal_proto::metadata::{
    CURRENT_VERSION as CURRENT_VERSION_METADATA, LEADER as LEADER_METADATA,
    NOT_APPLIED as NOT_APPLIED_METADATA,
};

impl From<tonic::Status> for ClientError {
    fn from(status: tonic::Status) -> Self {
        let leader = (status.code() == Code::Unavailable)
            .then(|| status.metadata().get(LEADER_METADATA))
            .flatten()
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok());
        ClientError::Status {
            code: status.code(),
            message: status.message().to_owned(),
            leader,
            unsent: shoal_proto::never_sent(&status),
            not_applied: status.metadata().contains_key(NOT_APPLIED_METADATA),
            current_version: status
                .metadata()
                .get(CURRENT_VERSION_METADATA)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse().ok()),
        }
    }
}

/// A value read from shoal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: Vec<u8>,
    pub version: u64,
    /// Time left before expiry; `None` when the key never expires.
    pub ttl_remaining: Option<Duration>,
}

/// Options of a write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Time to live; `None` = never expires.
    pub ttl: Option<Duration>,
    /// Compare-and-set: `Some(0)` = must not exist, `Some(v)` = current version must be `v`.
    pub if_version: Option<u64>,
}

/// A connection to one shoal node (HTTP/2, multiplexed: clone it freely).
#[derive(Debug, Clone)]
pub struct Client {
    kv: KvClient<Connection>,
    cluster: ClusterClient<Connection>,
}

/// Largest message the client sends (values are at most 1 MiB by default, a batch at most
/// 16 MiB).
const MAX_MESSAGE_BYTES: usize = 16 << 20;
/// Largest answer the client accepts: a batch's answer may reach the largest
/// `limits.max_batch_bytes` a server accepts (256 MiB), plus framing.
const MAX_ANSWER_BYTES: usize = 260 << 20;

/// How to reach a node: plaintext, or TLS with the CA that signed the servers'
/// certificates (and the client's own certificate, for servers that ask for one).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    tls: Option<std::sync::Arc<shoal_tls::ClientTls>>,
    api_key: Option<ApiKey>,
}

/// The connection a [`Client`] sends on: every request carries the API key, when it has one.
type Connection = InterceptedService<Channel, ApiKey>;

/// An API key, sent as `authorization: Bearer <key>` with every request. Its Debug output
/// never shows the secret.
#[derive(Clone, Default)]
pub struct ApiKey(Option<tonic::metadata::AsciiMetadataValue>);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ApiKey(set)"
        } else {
            "ApiKey(none)"
        })
    }
}

impl tonic::service::Interceptor for ApiKey {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

impl ConnectOptions {
    /// Plaintext (`http://` endpoints, or no scheme).
    pub fn plaintext() -> ConnectOptions {
        ConnectOptions::default()
    }

    /// TLS: the server is verified against `ca_file` (its certificate must name the
    /// address dialled); `cert_and_key` for client-certificate authentication.
    pub fn tls(
        ca_file: impl Into<std::path::PathBuf>,
        cert_and_key: Option<(std::path::PathBuf, std::path::PathBuf)>,
    ) -> Result<ConnectOptions, ClientError> {
        let (cert_file, key_file) = cert_and_key.unzip();
        let files = shoal_tls::TlsFiles {
            cert_file,
            key_file,
            ca_file: Some(ca_file.into()),
        };
        Self::with_tls(shoal_tls::ClientTls::load(files))
    }

    fn with_tls(
        tls: Result<std::sync::Arc<shoal_tls::ClientTls>, shoal_tls::TlsError>,
    ) -> Result<ConnectOptions, ClientError> {
        let tls = tls.map_err(|error| ClientError::Connect {
            endpoint: "-".into(),
            reason: error.to_string(),
        })?;
        Ok(ConnectOptions {
            tls: Some(tls),
            api_key: None,
        })
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// TLS trusting exactly the server certificate in `cert_file` (no CA, no name check):
    /// how a probe beside a node reaches it with the node's own configuration.
    pub fn trusting_certificate(
        cert_file: impl Into<std::path::PathBuf>,
    ) -> Result<ConnectOptions, ClientError> {
        Self::with_tls(shoal_tls::ClientTls::pinned(cert_file.into()))
    }

    /// The `host:port` of `endpoint`, whose scheme (when it has one) must agree with these
    /// options: never a silent plaintext connection where TLS was asked for, or back.
    pub(crate) fn address_of<'a>(&self, endpoint: &'a str) -> Result<&'a str, ClientError> {
        let connect_error = |reason: String| ClientError::Connect {
            endpoint: endpoint.to_owned(),
            reason,
        };
        Ok(match endpoint.split_once("://") {
            None => endpoint,
            Some(("https", address)) if self.is_tls() => address,
            Some(("http", address)) if !self.is_tls() => address,
            Some(("https", _)) => {
                return Err(connect_error(
                    "https:// needs the CA certificate that signed the server's (--ca-file or \
                     SHOAL_CA_FILE)"
                        .into(),
                ));
            }
            Some(("http", _)) => {
                return Err(connect_error(
                    "http:// is plaintext, but TLS files were given: use https:// (or no scheme)"
                        .into(),
                ));
            }
            Some((scheme, _)) => {
                return Err(connect_error(format!("unknown scheme {scheme}://")));
            }
        })
    }

    /// Sends `key` (`shoal_<id>_<secret>`, as `shoal auth key create` printed it) with every
    /// request.
    pub fn with_api_key(mut self, key: &str) -> Result<ConnectOptions, ClientError> {
        let value = format!("Bearer {}", key.trim())
            .parse()
            .map_err(|_| ClientError::Connect {
                endpoint: "-".into(),
                reason: "the API key holds characters a header cannot carry".into(),
            })?;
        self.api_key = Some(ApiKey(Some(value)));
        Ok(self)
    }
}

impl Client {
    /// Connects to `endpoint` (e.g. `http://127.0.0.1:5344`; the scheme may be omitted) in
    /// plaintext.
    pub async fn connect(endpoint: &str) -> Result<Client, ClientError> {
        Client::connect_with(endpoint, &ConnectOptions::default()).await
    }

    /// Connects to `endpoint` as `options` say: `https://host:port` (or no scheme) with TLS
    /// options, `http://host:port` (or no scheme) without. A scheme that contradicts the
    /// options is an error, never a silent plaintext connection.
    pub async fn connect_with(
        endpoint: &str,
        options: &ConnectOptions,
    ) -> Result<Client, ClientError> {
        let connect_error = |reason: String| ClientError::Connect {
            endpoint: endpoint.to_owned(),
            reason,
        };
        let address = options.address_of(endpoint)?;
        // TLS is the connector's business; the URI only names the host and port.
        let connector = shoal_tls::Connector::new(options.tls.clone());
        let channel = Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| connect_error(e.to_string()))?
            .connect_timeout(Duration::from_secs(5))
            .connect_with_connector(connector)
            .await
            .map_err(|e| {
                connect_error(format!(
                    "{e} ({})",
                    std::error::Error::source(&e)
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                ))
            })?;
        let key = options.api_key.clone().unwrap_or_default();
        Ok(Client {
            kv: KvClient::with_interceptor(channel.clone(), key.clone())
                .max_decoding_message_size(MAX_ANSWER_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            cluster: ClusterClient::with_interceptor(channel, key),
        })
    }

    /// Writes a value; returns its new version.
    pub async fn put(
        &self,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
        options: PutOptions,
    ) -> Result<u64, ClientError> {
        let request = pb::PutRequest {
            key: key.into(),
            value: value.into(),
            ttl_ms: options.ttl.map_or(0, |ttl| ttl.as_millis() as u64),
            if_version: options.if_version,
        };
        Ok(self.kv.clone().put(request).await?.into_inner().version)
    }

    /// Reads a key linearizably (`stale = false`) or from any replica's applied state.
    pub async fn get(
        &self,
        key: impl Into<Vec<u8>>,
        stale: bool,
    ) -> Result<Option<Value>, ClientError> {
        let consistency = if stale {
            pb::Consistency::Stale
        } else {
            pb::Consistency::Linearizable
        };
        let request = pb::GetRequest {
            key: key.into(),
            consistency: consistency as i32,
        };
        let response = self.kv.clone().get(request).await?.into_inner();
        Ok(batch::value_of(response))
    }

    /// Deletes a key; returns whether a live key was removed.
    pub async fn delete(
        &self,
        key: impl Into<Vec<u8>>,
        if_version: Option<u64>,
    ) -> Result<bool, ClientError> {
        let request = pb::DeleteRequest {
            key: key.into(),
            if_version,
        };
        Ok(self.kv.clone().delete(request).await?.into_inner().deleted)
    }

    /// Sets a new TTL counted from now (`None` removes the expiry); returns whether the key exists.
    pub async fn touch(
        &self,
        key: impl Into<Vec<u8>>,
        ttl: Option<Duration>,
    ) -> Result<bool, ClientError> {
        let request = pb::TouchRequest {
            key: key.into(),
            ttl_ms: ttl.map_or(0, |ttl| ttl.as_millis() as u64),
        };
        Ok(self.kv.clone().touch(request).await?.into_inner().found)
    }

    /// The cluster's status as this node sees it (gathered from every live node).
    pub async fn status(&self) -> Result<StatusResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .status(pb::StatusRequest {
                local_only: false,
                with_digests: false,
            })
            .await?
            .into_inner())
    }

    /// [`Client::status`] with a digest of every replica's data (reads all data).
    pub async fn status_with_digests(&self) -> Result<StatusResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .status(pb::StatusRequest {
                local_only: false,
                with_digests: true,
            })
            .await?
            .into_inner())
    }

    /// The nodes gossip knows, with their liveness.
    pub async fn members(&self) -> Result<MembersResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .members(pb::MembersRequest {})
            .await?
            .into_inner())
    }

    /// The shard map with replicas' client addresses and leader hints.
    pub async fn shard_map(&self) -> Result<GetShardMapResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .get_shard_map(pb::GetShardMapRequest {})
            .await?
            .into_inner())
    }

    /// Moves the leadership of `shard` (or of the meta group when `None`) to `to_node`;
    /// answers once that node leads.
    pub async fn transfer_leader(
        &self,
        shard: Option<u32>,
        to_node: u64,
    ) -> Result<TransferLeaderResponse, ClientError> {
        let group = match shard {
            Some(shard) => pb::transfer_leader_request::Group::ShardId(shard),
            None => pb::transfer_leader_request::Group::Meta(true),
        };
        Ok(self
            .cluster
            .clone()
            .transfer_leader(pb::TransferLeaderRequest {
                group: Some(group),
                to_node,
            })
            .await?
            .into_inner())
    }

    /// Drains `node_id` (it hands its leaderships to other replicas and takes none) or,
    /// with `drain = false`, makes it active again.
    pub async fn drain_node(
        &self,
        node_id: u64,
        drain: bool,
    ) -> Result<DrainNodeResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .drain_node(pb::DrainNodeRequest { node_id, drain })
            .await?
            .into_inner())
    }

    /// Decommissions `node_id`: its replicas move to other nodes, then it leaves the meta
    /// group. Refused when the others cannot hold every shard's replicas.
    pub async fn decommission_node(
        &self,
        node_id: u64,
    ) -> Result<pb::DecommissionNodeResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .decommission_node(pb::DecommissionNodeRequest { node_id })
            .await?
            .into_inner())
    }

    /// Plans replica moves and, unless `dry_run`, starts those that may run now.
    pub async fn rebalance(&self, dry_run: bool) -> Result<pb::RebalanceResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .rebalance(pb::RebalanceRequest { dry_run })
            .await?
            .into_inner())
    }

    /// Replica moves in flight with their progress.
    pub async fn moves(&self) -> Result<pb::ListMovesResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .list_moves(pb::ListMovesRequest {})
            .await?
            .into_inner())
    }

    /// A cross-replica consistency check of `shard` (every shard when None), each on its
    /// leader, one at a time (admin role).
    pub async fn check_consistency(
        &self,
        shard: Option<u32>,
    ) -> Result<pb::CheckConsistencyResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .check_consistency(pb::CheckConsistencyRequest { shard_id: shard })
            .await?
            .into_inner())
    }

    /// The control plane's background jobs on every live node.
    pub async fn jobs(&self) -> Result<pb::ListJobsResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .list_jobs(pb::ListJobsRequest { local_only: false })
            .await?
            .into_inner())
    }

    /// A new API key (admin): the answer holds its secret, shown nowhere else.
    pub async fn create_api_key(
        &self,
        name: &str,
        role: pb::ApiKeyRole,
        prefix: Option<Vec<u8>>,
        expires_in: Option<Duration>,
    ) -> Result<pb::CreateApiKeyResponse, ClientError> {
        let request = pb::CreateApiKeyRequest {
            name: name.to_owned(),
            role: role as i32,
            prefix,
            expires_in_ms: expires_in.map_or(0, |d| d.as_millis() as u64),
        };
        Ok(self
            .cluster
            .clone()
            .create_api_key(request)
            .await?
            .into_inner())
    }

    /// The latest `limit` entries of the audit history (0: all kept), oldest first.
    pub async fn audit(&self, limit: u32) -> Result<pb::ListAuditResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .list_audit(pb::ListAuditRequest { limit })
            .await?
            .into_inner())
    }

    /// Every API key of the cluster (never a secret).
    pub async fn api_keys(&self) -> Result<pb::ListApiKeysResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .list_api_keys(pb::ListApiKeysRequest {})
            .await?
            .into_inner())
    }

    /// Revokes an API key: every node refuses it within a second.
    pub async fn revoke_api_key(&self, id: &str) -> Result<pb::RevokeApiKeyResponse, ClientError> {
        Ok(self
            .cluster
            .clone()
            .revoke_api_key(pb::RevokeApiKeyRequest { id: id.to_owned() })
            .await?
            .into_inner())
    }
}
