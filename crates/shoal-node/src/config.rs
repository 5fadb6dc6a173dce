//! Node configuration: typed sections with documented defaults, loaded from defaults <
//! TOML file < `SHOAL_*` environment < command-line flags. Unknown keys are errors.
//!
//! Environment variables name a key with `__` between levels:
//! `SHOAL_CLUSTER__RAFT__SNAPSHOT_THRESHOLD=5000` sets `cluster.raft.snapshot_threshold`.
//! Variables that are not config keys ([`CLI_ENV`]): `SHOAL_LOG` (the log filter),
//! `SHOAL_LOG_FORMAT` (short for `SHOAL_TELEMETRY__LOG_FORMAT`), the
//! CLI's `SHOAL_ENDPOINT`, `SHOAL_CA_FILE`, `SHOAL_CERT_FILE`, `SHOAL_KEY_FILE`,
//! `SHOAL_API_KEY`, and `SHOAL_BOOTSTRAP_ADMIN_KEY` (a secret: never in a config file).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The whole node configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub limits: LimitsConfig,
    pub storage: StorageConfig,
    pub cluster: ClusterConfig,
    pub telemetry: TelemetryConfig,
    /// Fault-injection hooks for chaos testing; only hidden `shoal start` flags set them,
    /// never a config file or the environment.
    #[serde(skip)]
    pub testing: TestingHooks,
}

/// Test-only behaviour, off by default; set by hidden `shoal start --test-*` flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestingHooks {
    /// Shifts this node's wall clock (TTL stamps) by this many milliseconds.
    pub clock_offset_ms: i64,
    /// Serves `/test/faults` on the admin port: delay or drop this node's messages to peers.
    pub fault_endpoint: bool,
    /// Breaks linearizability on purpose: linearizable reads are served from this node's
    /// replica without a quorum round (proves the checker catches stale reads).
    pub unsafe_stale_reads: bool,
}

/// Client-facing server settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Directory holding the node's storage files, snapshots and node id.
    pub data_dir: PathBuf,
    /// Address of the client gRPC API.
    pub client_listen: SocketAddr,
    /// Address of the admin HTTP server (`/healthz`, `/readyz`, `/metrics`).
    pub admin_listen: SocketAddr,
    /// Client API address other nodes and smart clients use; in a cluster, the host of
    /// `cluster.advertise_address` with the port of `client_listen` when absent.
    pub client_advertise: Option<String>,
    /// Admin address published to peers; like `client_advertise` when absent.
    pub admin_advertise: Option<String>,
    /// Deadline of one client request.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Client requests processed at once across all connections; more are refused at once
    /// with RESOURCE_EXHAUSTED (load shedding), never queued without bound.
    pub max_concurrent_requests: usize,
    /// Client requests processed at once from one IP address (its share of
    /// `max_concurrent_requests`); more from that address are refused at once with
    /// RESOURCE_EXHAUSTED, so one client with many connections cannot starve the others.
    pub max_concurrent_requests_per_ip: usize,
    /// HTTP/2 streams one client connection may have open at once (so one client cannot
    /// hold every request slot).
    pub max_streams_per_connection: u32,
    /// Connections each port (client, admin, internal) holds at once; more are closed as
    /// soon as they are accepted.
    pub max_connections: usize,
    /// Connections each port holds at once from one IP address.
    pub max_connections_per_ip: usize,
    /// A new connection on any port must finish its TLS handshake and send its first bytes
    /// within this, or it is closed (idle and slowloris connections).
    #[serde(with = "humantime_serde")]
    pub handshake_timeout: Duration,
    /// How often shard leaders look for expired keys to remove.
    #[serde(with = "humantime_serde")]
    pub expiry_interval: Duration,
    /// Most keys removed by one expiry entry.
    pub expiry_batch: usize,
    /// TLS on the client API and the admin port: `cert_file` and `key_file` turn it on;
    /// `client_ca_file` also asks API clients for a certificate signed by that CA (the
    /// admin port asks none: probes and scrapers have none).
    pub tls: TlsConfig,
    pub auth: AuthConfig,
}

impl ServerConfig {
    /// The connection limits of every port.
    pub fn accept_limits(&self) -> shoal_tls::AcceptLimits {
        shoal_tls::AcceptLimits {
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            first_bytes_timeout: self.handshake_timeout,
        }
    }
}

/// API keys (`server.auth.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Every client request needs an API key (`authorization: Bearer <key>`) whose role
    /// allows it. The first admin key is made when the cluster has none: written once to
    /// `<data_dir>/admin.key` (mode 0600) on the node that makes it, or taken from
    /// `SHOAL_BOOTSTRAP_ADMIN_KEY`.
    pub enabled: bool,
    /// A file holding the bootstrap admin key to install instead of making one (a mounted
    /// secret, or what `shoal certs cluster --admin-key` wrote); `SHOAL_BOOTSTRAP_ADMIN_KEY`
    /// wins over it. Read at start; once the cluster has a key it is not used.
    pub bootstrap_key_file: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            data_dir: PathBuf::from("./shoal-data"),
            client_listen: "127.0.0.1:5344".parse().expect("valid address"),
            admin_listen: "127.0.0.1:9343".parse().expect("valid address"),
            client_advertise: None,
            admin_advertise: None,
            request_timeout: Duration::from_secs(10),
            max_concurrent_requests: 4096,
            max_concurrent_requests_per_ip: 1024,
            max_streams_per_connection: 256,
            max_connections: 10_000,
            max_connections_per_ip: 1_000,
            handshake_timeout: Duration::from_secs(10),
            expiry_interval: Duration::from_secs(1),
            expiry_batch: 1000,
            tls: TlsConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}

/// Request size limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest key in bytes.
    pub max_key_bytes: usize,
    /// Largest value in bytes.
    pub max_value_bytes: usize,
    /// Most operations in one `KV.Batch` call.
    pub max_batch_operations: usize,
    /// Largest `KV.Batch` request in bytes (its encoded size).
    pub max_batch_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_key_bytes: 4 * 1024,
            max_value_bytes: 1024 * 1024,
            max_batch_operations: 10_000,
            max_batch_bytes: 16 << 20,
        }
    }
}

/// Local storage settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Page cache of the state file (state.redb) in bytes.
    pub cache_bytes: usize,
    /// Free space of the data dir's filesystem below which this node refuses writes that
    /// add data (RESOURCE_EXHAUSTED), says it is not ready for writes and hands its
    /// leaderships off; deletes and expiry still go through. Absent: 5 % of the
    /// filesystem, at most 1 GiB; 0: never.
    pub reserved_bytes: Option<u64>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            cache_bytes: 64 << 20,
            reserved_bytes: None,
        }
    }
}

/// Logs and traces (`telemetry.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `text` (default) or `json` (one object per line); `SHOAL_LOG_FORMAT` sets it too.
    pub log_format: crate::telemetry::LogFormat,
    /// Where spans are exported, over plaintext OTLP/gRPC (e.g. `http://127.0.0.1:4317`: a
    /// Jaeger or an OpenTelemetry collector beside the node, which may forward with TLS).
    /// Unset: the standard `OTEL_EXPORTER_OTLP_ENDPOINT`; when that is unset too, nothing
    /// is exported and no span is built.
    pub otlp_endpoint: Option<String>,
    /// The spans' `service.name`. Unset: `OTEL_SERVICE_NAME`, else `shoal`.
    pub service_name: Option<String>,
    /// The share of new traces sampled, 0.0–1.0 (a request whose caller sampled it is
    /// always sampled: parent-based). Unset: `OTEL_TRACES_SAMPLER` /
    /// `OTEL_TRACES_SAMPLER_ARG`, else every trace.
    pub trace_sample_ratio: Option<f64>,
}

/// Cluster settings (`cluster.*` of the design).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// false = a single node with no gossip and replication factor 1.
    pub enabled: bool,
    /// Positive node id; generated at first start and kept in the data dir when absent.
    pub node_id: Option<u64>,
    /// Human-readable node name; the host name when absent.
    pub node_name: Option<String>,
    /// Internal cluster RPC listen address.
    pub listen_address: SocketAddr,
    /// Address peers dial; required when `enabled`.
    pub advertise_address: Option<String>,
    /// Gossip (UDP) listen address.
    pub gossip_listen: SocketAddr,
    /// Gossip address peers send to; the host of `advertise_address` with the port of
    /// `gossip_listen` when absent.
    pub gossip_advertise: Option<String>,
    /// Failure domain of this node (rack, zone); replicas of a shard go to distinct zones
    /// when zones are set.
    pub zone: Option<String>,
    /// Run a multi-node cluster without mTLS between nodes (development only: anyone who
    /// reaches the internal port can join the Raft groups). Also the `--insecure` flag.
    pub insecure: bool,
    pub discovery: DiscoveryConfig,
    pub bootstrap: BootstrapConfig,
    pub data: DataConfig,
    pub raft: RaftConfig,
    pub rebalance: RebalanceConfig,
    pub failure: FailureConfig,
    pub check: CheckConfig,
    pub shutdown: ShutdownConfig,
    pub tls: TlsConfig,
    pub gossip: GossipConfig,
}

/// Gossip security (`cluster.gossip.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct GossipConfig {
    /// The cluster's gossip key(s), one per line (the first signs, all verify): every
    /// datagram is signed and unsigned ones are dropped. Required with `cluster.tls`.
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailureConfig {
    /// A node down this long (as seen by the meta leader) has its replicas re-created on
    /// other nodes, so every shard is back to replication_factor voters.
    #[serde(with = "humantime_serde")]
    pub replace_after: Duration,
}

/// The background cross-replica consistency check (`cluster.check.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckConfig {
    /// How often each shard's leader checks that every replica holds the same state (one
    /// shard at a time; each replica reads its state at 64 MiB/s); 0 turns it off.
    /// `shoal cluster check` runs one on demand.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            interval: Duration::from_secs(6 * 3600),
        }
    }
}

impl Default for FailureConfig {
    fn default() -> Self {
        FailureConfig {
            replace_after: Duration::from_secs(60),
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            enabled: false,
            node_id: None,
            node_name: None,
            listen_address: "127.0.0.1:5343".parse().expect("valid address"),
            advertise_address: None,
            gossip_listen: "127.0.0.1:5345".parse().expect("valid address"),
            gossip_advertise: None,
            zone: None,
            insecure: false,
            discovery: DiscoveryConfig::default(),
            bootstrap: BootstrapConfig::default(),
            data: DataConfig::default(),
            raft: RaftConfig::default(),
            rebalance: RebalanceConfig::default(),
            failure: FailureConfig::default(),
            check: CheckConfig::default(),
            shutdown: ShutdownConfig::default(),
            tls: TlsConfig::default(),
            gossip: GossipConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Gossip seed addresses ("host:port" of other nodes' gossip_listen).
    pub seeds: Vec<String>,
    /// Period of gossip rounds; failure detection takes a few of them.
    #[serde(with = "humantime_serde")]
    pub gossip_interval: Duration,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            seeds: Vec::new(),
            gossip_interval: Duration::from_millis(200),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BootstrapConfig {
    /// Nodes that must see each other before the cluster is created.
    pub expect_nodes: u32,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        BootstrapConfig { expect_nodes: 1 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// Number of data shards; fixed when the cluster is created.
    pub shards: u32,
    /// Replicas per shard.
    pub replication_factor: u32,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            shards: 16,
            replication_factor: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RaftConfig {
    /// Log entries since the last snapshot that trigger a new one.
    pub snapshot_threshold: u64,
    /// Log entries kept after a snapshot.
    pub trailing_logs: u64,
    /// Leader heartbeat period of every group.
    #[serde(with = "humantime_serde")]
    pub heartbeat_interval: Duration,
    /// Lower bound of the randomized election timeout.
    #[serde(with = "humantime_serde")]
    pub election_timeout_min: Duration,
    /// Upper bound of the randomized election timeout.
    #[serde(with = "humantime_serde")]
    pub election_timeout_max: Duration,
    /// Voters of the meta group.
    pub voters: u32,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            snapshot_threshold: 10_000,
            trailing_logs: 1_000,
            heartbeat_interval: Duration::from_millis(150),
            election_timeout_min: Duration::from_millis(600),
            election_timeout_max: Duration::from_millis(1000),
            voters: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RebalanceConfig {
    /// Replica transfer bandwidth cap per node, e.g. "20Mbps" (megabits per second).
    pub max_rate: String,
    /// Meant to skip entries whose TTL ends sooner than this in replica transfers. Accepted
    /// but not applied: a replica missing such entries diverges when a Touch extends one of
    /// them after the snapshot, and answers "not found" for them if it leads before they
    /// expire (see docs/ARCHITECTURE.md, "Replica moves"). Every entry is transferred.
    #[serde(with = "humantime_serde")]
    pub min_ttl: Duration,
    /// Move shard leaderships to their preferred replicas (the first live, active,
    /// caught-up one in the shard map's order) and off draining nodes.
    pub balance_leaders: bool,
    /// Start replica moves by themselves when a node joins, is decommissioned or has been
    /// down for cluster.failure.replace_after, or replica counts differ by more than one;
    /// false: only `shoal cluster rebalance` starts them.
    pub auto: bool,
}

impl Default for RebalanceConfig {
    fn default() -> Self {
        RebalanceConfig {
            max_rate: "20Mbps".into(),
            min_ttl: Duration::from_secs(60),
            balance_leaders: true,
            auto: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownConfig {
    /// Deadline of a graceful shutdown.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Leave without handing leaderships off.
    pub force_leave: bool,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        ShutdownConfig {
            timeout: Duration::from_secs(60),
            force_leave: false,
        }
    }
}

/// The TLS files of one port (PEM): its certificate chain and key, and the CA bundle
/// that signs the certificates it accepts from the other side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub client_ca_file: Option<PathBuf>,
}

impl TlsConfig {
    pub fn is_set(&self) -> bool {
        self.cert_file.is_some() || self.key_file.is_some() || self.client_ca_file.is_some()
    }

    pub fn files(&self) -> shoal_tls::TlsFiles {
        shoal_tls::TlsFiles {
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
            ca_file: self.client_ca_file.clone(),
        }
    }

    /// Which of the files are missing for `needed` (a list of key names ending in
    /// `cert_file`, `key_file`, `client_ca_file`).
    fn missing(&self, prefix: &str, needed: &[&str]) -> Vec<String> {
        needed
            .iter()
            .filter(|name| match **name {
                "cert_file" => self.cert_file.is_none(),
                "key_file" => self.key_file.is_none(),
                _ => self.client_ca_file.is_none(),
            })
            .map(|name| format!("{prefix}.{name}"))
            .collect()
    }
}

/// Values given on the command line; they win over every other source.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub client_listen: Option<SocketAddr>,
    pub cluster_listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
    /// `--insecure`: allow a cluster without mTLS between nodes.
    pub insecure: bool,
    pub testing: TestingHooks,
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// `SHOAL_*` variables of the CLI (without the prefix), not configuration keys.
pub const CLI_ENV: &[&str] = &[
    "log",
    "log_format",
    "endpoint",
    "ca_file",
    "cert_file",
    "key_file",
    "api_key",
    "bootstrap_admin_key",
];

impl Config {
    /// Loads defaults < `file` < `SHOAL_*` environment < `overrides`, then validates.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let env = Env::prefixed("SHOAL_")
            .filter(|key| {
                !CLI_ENV
                    .iter()
                    .any(|name| key.as_str().eq_ignore_ascii_case(name))
            })
            .split("__");
        let mut env = Figment::from(env);
        // The short name of telemetry.log_format, like SHOAL_LOG for the filter.
        if let Ok(format) = std::env::var("SHOAL_LOG_FORMAT") {
            env = env.merge(("telemetry.log_format", format.to_ascii_lowercase()));
        }
        Self::load_from(file, env, overrides)
    }

    /// `file` alone: defaults, then the file — no environment, no flags (`shoal config
    /// check`).
    pub fn load_file_only(file: &Path) -> Result<Config, ConfigError> {
        Self::load_from(
            Some(file),
            figment::providers::Serialized::defaults(figment::value::Dict::new()),
            &Overrides::default(),
        )
    }

    fn load_from(
        file: Option<&Path>,
        env: impl figment::Provider,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid {
                    key: "--config",
                    reason: format!("file {} does not exist", file.display()),
                });
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(env);
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(("server.data_dir", dir));
        }
        if let Some(address) = overrides.client_listen {
            figment = figment.merge(("server.client_listen", address));
        }
        if let Some(address) = overrides.cluster_listen {
            figment = figment.merge(("cluster.listen_address", address));
        }
        if let Some(address) = overrides.admin_listen {
            figment = figment.merge(("server.admin_listen", address));
        }
        if overrides.insecure {
            figment = figment.merge(("cluster.insecure", true));
        }
        let mut config: Config = figment.extract().map_err(Box::new)?;
        // An empty zone is no zone: a Kubernetes pod whose node has no zone label gets an
        // empty `SHOAL_CLUSTER__ZONE` from the downward API.
        if config
            .cluster
            .zone
            .as_deref()
            .is_some_and(|zone| zone.trim().is_empty())
        {
            config.cluster.zone = None;
        }
        config.testing = overrides.testing.clone();
        config.validate()?;
        Ok(config)
    }

    /// Checks values serde cannot; the error names the offending key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, reason: String| Err(ConfigError::Invalid { key, reason });
        if let Some(ratio) = self.telemetry.trace_sample_ratio
            && !(0.0..=1.0).contains(&ratio)
        {
            return invalid(
                "telemetry.trace_sample_ratio",
                format!("{ratio} is not a share between 0.0 and 1.0"),
            );
        }
        if let Some(endpoint) = &self.telemetry.otlp_endpoint
            && !endpoint.starts_with("http://")
        {
            return invalid(
                "telemetry.otlp_endpoint",
                format!(
                    "{endpoint:?} is not an http:// URL (spans go in plaintext OTLP/gRPC to a \
                     collector or agent beside the node, which forwards them with TLS)"
                ),
            );
        }
        if self.cluster.enabled {
            self.validate_cluster()?;
        } else if self.cluster.data.replication_factor != 1 {
            return invalid(
                "cluster.data.replication_factor",
                format!(
                    "must be 1 on a single node (cluster.enabled = false), got {}",
                    self.cluster.data.replication_factor
                ),
            );
        }
        if self.cluster.node_id == Some(0) {
            return invalid("cluster.node_id", "must be a positive integer".into());
        }
        if !(1..=shoal_shardmap::MAX_SHARDS).contains(&self.cluster.data.shards) {
            return invalid(
                "cluster.data.shards",
                format!(
                    "must be between 1 and {}, got {}",
                    shoal_shardmap::MAX_SHARDS,
                    self.cluster.data.shards
                ),
            );
        }
        if self.limits.max_key_bytes == 0 || self.limits.max_key_bytes > 64 * 1024 {
            return invalid(
                "limits.max_key_bytes",
                format!("must be 1..=65536, got {}", self.limits.max_key_bytes),
            );
        }
        if self.limits.max_value_bytes == 0 || self.limits.max_value_bytes > 8 << 20 {
            return invalid(
                "limits.max_value_bytes",
                format!("must be 1..=8388608, got {}", self.limits.max_value_bytes),
            );
        }
        if self.limits.max_batch_operations == 0 || self.limits.max_batch_operations > 100_000 {
            return invalid(
                "limits.max_batch_operations",
                format!(
                    "must be 1..=100000, got {}",
                    self.limits.max_batch_operations
                ),
            );
        }
        if self.limits.max_batch_bytes < 1024 || self.limits.max_batch_bytes > 256 << 20 {
            return invalid(
                "limits.max_batch_bytes",
                format!(
                    "must be 1024..=268435456, got {}",
                    self.limits.max_batch_bytes
                ),
            );
        }
        let raft = &self.cluster.raft;
        if raft.snapshot_threshold == 0 {
            return invalid("cluster.raft.snapshot_threshold", "must be positive".into());
        }
        if raft.heartbeat_interval.is_zero() || raft.election_timeout_min <= raft.heartbeat_interval
        {
            return invalid(
                "cluster.raft.election_timeout_min",
                "must be longer than cluster.raft.heartbeat_interval".into(),
            );
        }
        if raft.election_timeout_max <= raft.election_timeout_min {
            return invalid(
                "cluster.raft.election_timeout_max",
                "must be longer than cluster.raft.election_timeout_min".into(),
            );
        }
        if let Err(reason) = parse_rate(&self.cluster.rebalance.max_rate) {
            return invalid("cluster.rebalance.max_rate", reason);
        }
        if self.server.request_timeout.is_zero() {
            return invalid("server.request_timeout", "must be positive".into());
        }
        if self.server.max_concurrent_requests == 0 {
            return invalid("server.max_concurrent_requests", "must be positive".into());
        }
        if self.server.max_concurrent_requests_per_ip == 0 {
            return invalid(
                "server.max_concurrent_requests_per_ip",
                "must be positive".into(),
            );
        }
        if self.server.max_streams_per_connection == 0 {
            return invalid(
                "server.max_streams_per_connection",
                "must be positive".into(),
            );
        }
        if self.server.max_connections == 0 {
            return invalid("server.max_connections", "must be positive".into());
        }
        if self.server.max_connections_per_ip == 0 {
            return invalid("server.max_connections_per_ip", "must be positive".into());
        }
        if self.server.handshake_timeout.is_zero() {
            return invalid("server.handshake_timeout", "must be positive".into());
        }
        if self.server.expiry_interval.is_zero() {
            return invalid("server.expiry_interval", "must be positive".into());
        }
        if self.server.expiry_batch == 0 {
            return invalid("server.expiry_batch", "must be positive".into());
        }
        if self.server.tls.is_set() {
            let missing = self
                .server
                .tls
                .missing("server.tls", &["cert_file", "key_file"]);
            if !missing.is_empty() {
                return invalid(
                    "server.tls",
                    format!(
                        "TLS on the client API needs a certificate and its key; missing: {}",
                        missing.join(", ")
                    ),
                );
            }
        }
        if self.storage.cache_bytes < 1 << 20 {
            return invalid("storage.cache_bytes", "must be at least 1 MiB".into());
        }
        Ok(())
    }

    /// The checks that only apply with `cluster.enabled = true`.
    fn validate_cluster(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, reason: String| Err(ConfigError::Invalid { key, reason });
        let cluster = &self.cluster;
        match &cluster.advertise_address {
            None => {
                return invalid(
                    "cluster.advertise_address",
                    "required when cluster.enabled = true: the host:port other nodes dial to \
                     reach this node's cluster.listen_address, e.g. \"10.0.0.5:5343\""
                        .into(),
                );
            }
            Some(address) => {
                if let Err(reason) = check_host_port(address) {
                    return invalid("cluster.advertise_address", reason);
                }
                if host_of(address).is_some_and(|host| host == "0.0.0.0" || host == "[::]") {
                    return invalid(
                        "cluster.advertise_address",
                        format!("{address} is not an address other nodes can dial"),
                    );
                }
            }
        }
        for (key, value) in [
            ("cluster.gossip_advertise", &cluster.gossip_advertise),
            ("server.client_advertise", &self.server.client_advertise),
            ("server.admin_advertise", &self.server.admin_advertise),
        ] {
            if let Some(address) = value
                && let Err(reason) = check_host_port(address)
            {
                return invalid(key, reason);
            }
        }
        for seed in &cluster.discovery.seeds {
            if let Err(reason) = check_host_port(seed) {
                return invalid("cluster.discovery.seeds", reason);
            }
        }
        if cluster.discovery.gossip_interval < Duration::from_millis(10) {
            return invalid(
                "cluster.discovery.gossip_interval",
                "must be at least 10ms".into(),
            );
        }
        let replication = cluster.data.replication_factor;
        if !(1..=7).contains(&replication) {
            return invalid(
                "cluster.data.replication_factor",
                format!("must be between 1 and 7, got {replication}"),
            );
        }
        if cluster.bootstrap.expect_nodes == 0 {
            return invalid("cluster.bootstrap.expect_nodes", "must be positive".into());
        }
        if cluster.bootstrap.expect_nodes < replication {
            return invalid(
                "cluster.bootstrap.expect_nodes",
                format!(
                    "is {}, fewer than cluster.data.replication_factor = {replication}: \
                     every shard needs that many distinct nodes when the cluster is created",
                    cluster.bootstrap.expect_nodes
                ),
            );
        }
        if !(1..=7).contains(&cluster.raft.voters) {
            return invalid(
                "cluster.raft.voters",
                format!("must be between 1 and 7, got {}", cluster.raft.voters),
            );
        }
        let tls = &cluster.tls;
        if tls.is_set() {
            let missing = tls.missing("cluster.tls", &["cert_file", "key_file", "client_ca_file"]);
            if !missing.is_empty() {
                return invalid(
                    "cluster.tls",
                    format!(
                        "mTLS between nodes needs the node's certificate, its key and the \
                         cluster CA; missing: {} (`shoal certs` makes them)",
                        missing.join(", ")
                    ),
                );
            }
            if cluster.gossip.key_file.is_none() {
                return invalid(
                    "cluster.gossip.key_file",
                    "a cluster with mTLS needs a gossip key too (gossip is UDP, which mTLS does \
                     not cover): `shoal certs gossip-key` makes one; give every node the same file"
                        .into(),
                );
            }
        } else if !cluster.insecure {
            return invalid(
                "cluster.tls",
                "a multi-node cluster needs mTLS between nodes: set cluster.tls.cert_file, \
                 key_file and client_ca_file (`shoal certs ca`, then `shoal certs node` for \
                 each node), or start with --insecure (cluster.insecure = true) on a trusted \
                 network only — anyone who reaches cluster.listen_address can then join"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The host part of "host:port" (brackets kept for IPv6).
pub fn host_of(address: &str) -> Option<&str> {
    address.rsplit_once(':').map(|(host, _)| host)
}

fn check_host_port(address: &str) -> Result<(), String> {
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => {
            Ok(())
        }
        _ => Err(format!("\"{address}\" is not a host:port address")),
    }
}

/// Parses a bandwidth such as "20Mbps" (bits per second, SI prefixes) into bytes per second.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a rate like \"20Mbps\""))?;
    let bits_per_unit = match unit.trim() {
        "bps" => 1.0,
        "Kbps" | "kbps" => 1e3,
        "Mbps" => 1e6,
        "Gbps" => 1e9,
        other => {
            return Err(format!(
                "unknown rate unit \"{other}\" (use bps, Kbps, Mbps or Gbps)"
            ));
        }
    };
    let bytes = number * bits_per_unit / 8.0;
    if bytes < 1.0 {
        return Err(format!("\"{text}\" is below one byte per second"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_toml(toml: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shoal.toml");
        std::fs::write(&path, toml).unwrap();
        Config::load_from(
            Some(&path),
            Env::prefixed("SHOAL_TEST_NOTHING_"),
            &Overrides::default(),
        )
    }

    /// The process harness of the chaos runner writes configs without this crate's types:
    /// what it writes must load, with the values it meant.
    #[test]
    fn the_testkit_node_spec_loads_as_the_config_it_describes() {
        let spec = shoal_testkit::NodeSpec {
            node_id: 7,
            node_name: "chaos-7".into(),
            data_dir: "/tmp/chaos-7".into(),
            client: "127.0.0.17:5344".into(),
            admin: "127.0.0.17:9343".into(),
            internal: "127.0.0.17:5343".into(),
            gossip: "127.0.0.17:5345".into(),
            seeds: vec!["127.0.0.11:5345".into(), "127.0.0.12:5345".into()],
            expect_nodes: 5,
            replication_factor: 3,
            shards: 8,
            snapshot_threshold: Some(300),
            gossip_interval: Some(Duration::from_millis(150)),
            tls: Some(shoal_testkit::pki::NodeTls {
                cert_file: "/certs/node-7.crt".into(),
                key_file: "/certs/node-7.key".into(),
                ca_file: "/certs/ca.crt".into(),
                gossip_key_file: "/certs/gossip.key".into(),
            }),
        };
        let config = load_toml(&spec.to_toml()).expect("the spec loads");
        config.validate().expect("and validates");
        assert_eq!(config.cluster.node_id, Some(7));
        assert_eq!(config.cluster.node_name.as_deref(), Some("chaos-7"));
        assert_eq!(config.server.data_dir, Path::new("/tmp/chaos-7"));
        assert_eq!(config.server.client_listen.to_string(), "127.0.0.17:5344");
        assert_eq!(config.server.admin_listen.to_string(), "127.0.0.17:9343");
        assert_eq!(config.cluster.listen_address.to_string(), "127.0.0.17:5343");
        assert_eq!(
            config.cluster.advertise_address.as_deref(),
            Some("127.0.0.17:5343")
        );
        assert_eq!(config.cluster.gossip_listen.to_string(), "127.0.0.17:5345");
        assert_eq!(config.cluster.discovery.seeds, spec.seeds);
        assert_eq!(
            config.cluster.discovery.gossip_interval,
            Duration::from_millis(150)
        );
        assert_eq!(config.cluster.bootstrap.expect_nodes, 5);
        assert_eq!(config.cluster.data.replication_factor, 3);
        assert_eq!(config.cluster.data.shards, 8);
        assert_eq!(config.cluster.raft.snapshot_threshold, 300);
        assert!(!config.cluster.insecure);
        assert_eq!(
            config.cluster.tls.cert_file.as_deref(),
            Some(Path::new("/certs/node-7.crt"))
        );
        assert_eq!(
            config.cluster.tls.client_ca_file.as_deref(),
            Some(Path::new("/certs/ca.crt"))
        );
        assert_eq!(
            config.server.tls.key_file.as_deref(),
            Some(Path::new("/certs/node-7.key"))
        );
        assert_eq!(
            config.cluster.gossip.key_file.as_deref(),
            Some(Path::new("/certs/gossip.key"))
        );
        assert!(config.cluster.enabled);
    }

    #[test]
    fn example_config_parses_and_equals_the_defaults() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/shoal.example.toml");
        let config = Config::load_from(
            Some(&example),
            Env::prefixed("SHOAL_TEST_NOTHING_"),
            &Overrides::default(),
        )
        .expect("example config loads");
        assert_eq!(config, Config::default());
    }

    #[test]
    fn cluster_examples_load_and_validate() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/examples");
        for id in 1..=3u64 {
            let path = dir.join(format!("node{id}.toml"));
            let config = Config::load_from(
                Some(&path),
                Env::prefixed("SHOAL_TEST_NOTHING_"),
                &Overrides::default(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(config.cluster.enabled);
            assert_eq!(config.cluster.node_id, Some(id));
            assert_eq!(config.cluster.discovery.seeds.len(), 3);
        }
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let error = load_toml("[cluster.raft]\nsnapshot_treshold = 5\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("snapshot_treshold"), "{error}");
    }

    #[test]
    fn invalid_value_is_an_error_naming_the_key() {
        let error = load_toml("[cluster.data]\nshards = 0\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("cluster.data.shards"), "{error}");
        let error = load_toml("[cluster.rebalance]\nmax_rate = \"fast\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("cluster.rebalance.max_rate"), "{error}");
    }

    #[test]
    fn telemetry_settings_are_checked() {
        let mut config = Config::default();
        config.telemetry.trace_sample_ratio = Some(1.5);
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("telemetry.trace_sample_ratio"), "{error}");
        config.telemetry.trace_sample_ratio = Some(0.01);
        config.telemetry.otlp_endpoint = Some("https://collector:4317".into());
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("telemetry.otlp_endpoint"), "{error}");
        config.telemetry.otlp_endpoint = Some("http://127.0.0.1:4317".into());
        config.validate().unwrap();
    }

    #[test]
    fn the_log_format_comes_from_the_file_or_its_short_variable() {
        use crate::telemetry::LogFormat;
        figment::Jail::expect_with(|jail| {
            jail.create_file("shoal.toml", "[telemetry]\nlog_format = \"json\"\n")?;
            let file = Some(Path::new("shoal.toml"));
            let config = Config::load(file, &Overrides::default()).expect("loads");
            assert_eq!(config.telemetry.log_format, LogFormat::Json);
            jail.set_env("SHOAL_LOG_FORMAT", "TEXT");
            let config = Config::load(file, &Overrides::default()).expect("loads");
            assert_eq!(config.telemetry.log_format, LogFormat::Text);
            jail.set_env("SHOAL_LOG_FORMAT", "xml");
            let error = Config::load(file, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(error.contains("telemetry.log_format"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn precedence_is_flag_then_env_then_file_then_default() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("shoal.toml", "[server]\ndata_dir = \"from-file\"\nexpiry_batch = 7\n[limits]\nmax_key_bytes = 100\n")?;
            jail.set_env("SHOAL_SERVER__DATA_DIR", "from-env");
            jail.set_env("SHOAL_LIMITS__MAX_KEY_BYTES", "200");
            let overrides = Overrides {
                data_dir: Some(PathBuf::from("from-flag")),
                ..Overrides::default()
            };
            let config = Config::load(Some(Path::new("shoal.toml")), &overrides).expect("loads");
            assert_eq!(config.server.data_dir, PathBuf::from("from-flag"));
            assert_eq!(config.limits.max_key_bytes, 200);
            assert_eq!(config.server.expiry_batch, 7);
            assert_eq!(
                config.server.client_listen,
                ServerConfig::default().client_listen
            );
            Ok(())
        });
    }

    #[test]
    fn rates_parse_as_bits_per_second() {
        assert_eq!(parse_rate("20Mbps"), Ok(2_500_000));
        assert_eq!(parse_rate("200Mbps"), Ok(25_000_000));
        assert!(parse_rate("20MB").is_err());
    }
}
