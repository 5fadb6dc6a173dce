//! The `shoal` command: run a node, talk to one (kv, cluster), benchmark one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use shoal_client::{Client, ConnectOptions, PutOptions};
use shoal_node::bench::{self, BenchOptions, Target, Workload};
use shoal_node::config::{Config, Overrides};

mod cli;

/// The request path allocates many small, short-lived buffers; mimalloc serves them faster
/// than glibc's allocator (figures in docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "shoal",
    version,
    about = "shoal: a strongly consistent, sharded, replicated key-value store with TTLs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node (a usable single node with no configuration at all).
    Start(StartArgs),
    /// Read and write keys.
    #[command(subcommand)]
    Kv(KvCommand),
    /// Inspect the cluster.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Operate on one node: drain it for maintenance, or make it active again.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Measure throughput and latency against a running node.
    Bench(BenchArgs),
    /// Run a local playground cluster: N nodes on loopback as child processes.
    Dev(DevArgs),
    /// API keys (with server.auth.enabled): make, list and revoke them (admin role).
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Make the certificates of a secure cluster: `ca` once, then `node` for each node and
    /// `client` for each client that authenticates with a certificate.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Check a running cluster: a bounded, concurrent workload whose every operation is
    /// recorded and checked for linearizability; prints PASS or FAIL with the first anomaly.
    /// Touches only keys under its own random prefix and deletes them afterwards.
    Verify(VerifyArgs),
    /// Probe a node's admin port (a container HEALTHCHECK, a script): exits 0 when the node
    /// says it is ready (`/readyz`; `--live`: alive, `/healthz`), 1 otherwise.
    Health(HealthArgs),
    /// Configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Test hooks on a stopped node's data (not for production use).
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Reads FILE as `shoal start --config FILE` would (every key and value checked; the
    /// caller's SHOAL_* variables are not applied unless --with-env) and prints the
    /// resulting configuration, or exits 1 naming what is wrong. For a Helm chart's or a
    /// deployment's rendered config, before any node runs it.
    Check {
        file: PathBuf,
        /// Apply this process's SHOAL_* variables too, as a node started here would.
        #[arg(long)]
        with_env: bool,
    },
}

#[derive(Subcommand)]
enum DebugCommand {
    /// Rewrites one key's value in one replica's state, bypassing Raft (the node must be
    /// stopped): that replica then differs from its peers, for tests of the consistency
    /// check.
    Diverge {
        /// The stopped node's data directory.
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        shard: u32,
        #[arg(long)]
        key: String,
        #[arg(long)]
        value: String,
    },
}

#[derive(Args)]
struct HealthArgs {
    /// The node's configuration file, as given to `shoal start` (SHOAL_* variables apply
    /// the same way): the probe asks the admin address it names, over HTTPS when
    /// server.tls is set, trusting exactly the node's own certificate.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ask this admin address instead (`host:port`; `https://host:port` with --ca-file).
    #[arg(long, conflicts_with = "config")]
    admin: Option<String>,
    /// The CA certificate that signed the node's (with --admin, over HTTPS).
    #[arg(long, env = "SHOAL_CA_FILE", requires = "admin")]
    ca_file: Option<PathBuf>,
    /// Ask whether the process is alive (`/healthz`) rather than ready (`/readyz`).
    #[arg(long)]
    live: bool,
    /// Give up after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "3s")]
    timeout: Duration,
}

#[derive(Subcommand)]
enum AuthCommand {
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// A new key: prints its id and the key itself, once (the cluster keeps only a hash).
    Create {
        /// Whose key this is.
        #[arg(long)]
        name: String,
        /// read (Get), write (read + Put, Delete, Touch) or admin (write + cluster changes
        /// and keys).
        #[arg(long, value_parser = ["read", "write", "admin"])]
        role: String,
        /// Only keys starting with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Valid for this long (e.g. 30d, 12h); no expiry when absent.
        #[arg(long, value_parser = humantime::parse_duration)]
        expires: Option<Duration>,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Every key, without secrets.
    List {
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Revokes a key: every node refuses it within a second.
    Revoke {
        /// The key's id (from `list`).
        id: String,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
}

#[derive(Subcommand)]
enum CertsCommand {
    /// The cluster CA: ca.crt (give it to every node and client) and ca.key (keep it safe:
    /// whoever holds it can make node certificates).
    Ca {
        #[command(flatten)]
        common: CertsArgs,
        /// Validity in days.
        #[arg(long, default_value_t = shoal_node::certs::CA_DAYS)]
        days: u64,
    },
    /// A node's certificate (node-<id>.crt/.key), signed by the CA in --dir, naming every
    /// address peers and clients use to reach the node (IPs or DNS names).
    Node {
        /// The node's id (names the files).
        #[arg(long)]
        id: u64,
        /// The node's addresses, comma-separated (ports are ignored).
        #[arg(long = "addr", value_delimiter = ',', required = true)]
        addresses: Vec<String>,
        #[command(flatten)]
        common: CertsArgs,
        /// Validity in days.
        #[arg(long, default_value_t = shoal_node::certs::LEAF_DAYS)]
        days: u64,
    },
    /// The cluster's gossip key (gossip.key): every node gets the same file
    /// (cluster.gossip.key_file); gossip signed with another key is dropped.
    GossipKey {
        #[command(flatten)]
        common: CertsArgs,
    },
    /// Everything a cluster of known nodes needs, in one command: the CA, the gossip key,
    /// a certificate per node, and (with --admin-key) a bootstrap admin API key — each
    /// made only when it is missing, so it can run at every start of a deployment (the
    /// Docker Compose cluster runs it as a one-shot container).
    Cluster {
        /// A node: ID=ADDR[,ADDR…], the addresses its certificate names (repeat per node).
        #[arg(long = "node", required = true, value_parser = parse_node_addresses)]
        nodes: Vec<(u64, Vec<String>)>,
        /// Also make admin.key: a bootstrap admin API key for the nodes'
        /// server.auth.bootstrap_key_file.
        #[arg(long)]
        admin_key: bool,
        /// Give the files to this user (UID:GID, numeric): the user the nodes run as.
        #[arg(long)]
        owner: Option<shoal_node::certs::Owner>,
        /// Copy ca.crt (and admin.key) to this directory too: the operator's copy.
        #[arg(long)]
        export: Option<PathBuf>,
        /// Give the copies to this user (UID:GID): the operator.
        #[arg(long, requires = "export")]
        export_owner: Option<shoal_node::certs::Owner>,
        /// The directory of the files.
        #[arg(long, default_value = "certs")]
        dir: PathBuf,
    },
    /// A client's certificate (client-<name>.crt/.key), signed by the CA in --dir.
    Client {
        /// The client's name (what servers see as the caller).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        common: CertsArgs,
        /// Validity in days.
        #[arg(long, default_value_t = shoal_node::certs::LEAF_DAYS)]
        days: u64,
    },
}

#[derive(Args)]
struct CertsArgs {
    /// The directory of the CA and the certificates.
    #[arg(long, default_value = "certs")]
    dir: PathBuf,
    /// Replace files that exist.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct VerifyArgs {
    /// Client addresses of the nodes to use, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:5344")]
    endpoints: Vec<String>,
    /// How long the workload runs.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    duration: Duration,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Keys the clients share (fewer keys: more overlapping operations per key).
    #[arg(long, default_value_t = 16)]
    keys: usize,
    /// Seeds the operation mix.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How long after its expiry instant a key may still be returned (clock skew between
    /// nodes plus the read path): a later read is an anomaly.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2s")]
    expiry_bound: Duration,
    /// Write the recorded history here as JSON.
    #[arg(long)]
    history: Option<PathBuf>,
    #[command(flatten)]
    tls: TlsArgs,
}

#[derive(Args)]
struct DevArgs {
    /// Nodes to start (replication factor min(nodes, 3)).
    #[arg(long, default_value_t = 3)]
    nodes: u32,
    /// Directory for node data, configs and logs (kept); a temporary one (removed) if absent.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Added to every port: node i uses client 5344+100i, internal 5343+100i, gossip
    /// 5345+100i, admin 9343+100i, plus this.
    #[arg(long, default_value_t = 0)]
    port_offset: u16,
    /// Data shards of the cluster.
    #[arg(long, default_value_t = 16)]
    shards: u32,
    /// Plaintext, no certificates (by default the nodes use mTLS between them and TLS for
    /// clients, with certificates made in <data-dir>/certs).
    #[arg(long)]
    insecure: bool,
    /// Export every node's traces over OTLP/gRPC to this receiver (e.g. a Jaeger at
    /// http://127.0.0.1:4317).
    #[arg(long)]
    otlp_endpoint: Option<String>,
}

#[derive(Args)]
struct StartArgs {
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (server.data_dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Client API address (server.client_listen).
    #[arg(long)]
    client_listen: Option<SocketAddr>,
    /// Internal cluster RPC address (cluster.listen_address).
    #[arg(long)]
    cluster_listen: Option<SocketAddr>,
    /// Admin HTTP address (server.admin_listen).
    #[arg(long)]
    admin_listen: Option<SocketAddr>,
    /// Allow a multi-node cluster without mTLS between nodes (cluster.insecure): for
    /// development and trusted networks only.
    #[arg(long)]
    insecure: bool,
    /// Test only: shift this node's clock by this many milliseconds (chaos runs).
    #[arg(long, hide = true, default_value_t = 0, allow_hyphen_values = true)]
    test_clock_offset_ms: i64,
    /// Test only: serve /test/faults on the admin port (delay or drop messages to peers).
    #[arg(long, hide = true)]
    test_faults: bool,
    /// Test only: serve linearizable reads without a quorum round (deliberately unsafe).
    #[arg(long, hide = true)]
    test_unsafe_stale_reads: bool,
}

#[derive(Args)]
struct EndpointArg {
    /// Node to talk to (`host:port`; `https://host:port` or `http://host:port` to insist).
    #[arg(long, default_value = "127.0.0.1:5344", env = "SHOAL_ENDPOINT")]
    endpoint: String,
    #[command(flatten)]
    tls: TlsArgs,
}

impl EndpointArg {
    async fn connect(&self) -> Result<Client> {
        Ok(Client::connect_with(&self.endpoint, &self.tls.options()?).await?)
    }
}

/// TLS to the client API: with a CA file, every connection is TLS and the server's
/// certificate must be signed by it and name the address dialled.
#[derive(Args, Clone)]
struct TlsArgs {
    /// The CA certificate (PEM) that signed the servers' certificates: turns TLS on.
    #[arg(long, env = "SHOAL_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// This client's certificate (PEM), for servers that ask for one.
    #[arg(long, env = "SHOAL_CERT_FILE", requires = "key_file")]
    cert_file: Option<PathBuf>,
    /// The key of --cert-file (PEM).
    #[arg(long, env = "SHOAL_KEY_FILE", requires = "cert_file")]
    key_file: Option<PathBuf>,
    /// The API key to send (`shoal_<id>_<secret>`), when the cluster requires one.
    #[arg(long, env = "SHOAL_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
}

impl TlsArgs {
    fn options(&self) -> Result<ConnectOptions> {
        let options = match &self.ca_file {
            None if self.cert_file.is_some() => {
                anyhow::bail!(
                    "--cert-file needs --ca-file (the CA that signed the server's certificate)"
                )
            }
            None => ConnectOptions::plaintext(),
            Some(ca) => {
                let pair = self.cert_file.clone().zip(self.key_file.clone());
                ConnectOptions::tls(ca, pair)?
            }
        };
        Ok(match &self.api_key {
            Some(key) => options.with_api_key(key)?,
            None => options,
        })
    }
}

#[derive(Subcommand)]
enum KvCommand {
    /// Write a value; prints its new version.
    Put {
        key: String,
        value: String,
        /// Time to live, e.g. 30s, 5m, 1h.
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<Duration>,
        /// Compare-and-set: 0 = must not exist, N = current version must be N.
        #[arg(long)]
        if_version: Option<u64>,
        #[command(flatten)]
        endpoint: EndpointArg,
    },
    /// Read a value (linearizable unless --stale).
    Get {
        key: String,
        /// Read this node's replica without a quorum round.
        #[arg(long)]
        stale: bool,
        #[command(flatten)]
        endpoint: EndpointArg,
    },
    /// Delete a key.
    Delete {
        key: String,
        /// Compare-and-delete: the current version must equal this.
        #[arg(long)]
        if_version: Option<u64>,
        #[command(flatten)]
        endpoint: EndpointArg,
    },
    /// Set a new time to live from now (without --ttl: remove the expiry).
    Touch {
        key: String,
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<Duration>,
        #[command(flatten)]
        endpoint: EndpointArg,
    },
    /// Run many operations in one call (KV.Batch), one JSON object per line, e.g.
    /// {"put": "k", "value": "v", "ttl": "30s"}, {"get": "k"}, {"delete": "k"},
    /// {"touch": "k", "ttl": "1m"}. Prints one line per operation; exits 1 when any failed.
    Batch {
        /// The file to read (default: standard input).
        #[arg(long)]
        file: Option<PathBuf>,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Maintenance mode: the node keeps its replicas but hands every leadership to other
    /// replicas and is given none. Waits until it leads nothing (unless --no-wait).
    Drain {
        /// The node id.
        node: u64,
        /// Return once the drain is recorded, without waiting for the leaderships to move.
        #[arg(long)]
        no_wait: bool,
        /// Longest wait for the leaderships to move.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
        timeout: Duration,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Move every replica the node holds to other nodes, then remove it from the meta group.
    /// Refused when the other nodes cannot hold replication_factor replicas of every shard.
    /// Waits until the node holds nothing, printing progress (unless --no-wait).
    Decommission {
        /// The node id.
        node: u64,
        /// Return once the decommission is recorded.
        #[arg(long)]
        no_wait: bool,
        /// Longest wait for the replicas to move.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "30m")]
        timeout: Duration,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Back to active: the node takes its preferred leaderships back within seconds.
    Undrain {
        node: u64,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// The cluster: nodes with liveness and addresses, every shard with its leader and each
    /// replica's applied index and lag, and the answering node's storage.
    Status {
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// The nodes gossip knows, with liveness, generation and what they lead.
    Members {
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// The shard map: hash ranges, replicas with client addresses, leaders.
    Shards {
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Plan replica moves toward a balanced placement (replication factor met on nodes that
    /// may hold data, nothing on decommissioned or long-dead nodes, replica counts within
    /// one) and start those that may run now (one per source and per target node).
    Rebalance {
        /// Print the planned moves without starting them.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Replica moves in flight: step, snapshot bytes sent / total, rate, ETA, and what a
    /// move that does not progress waits for.
    Moves {
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// The control plane's background jobs on every live node: gossip, hosting, meta
    /// membership, leadership balancing, the placement driver — when each last ran, its
    /// last error, and what it waits for.
    Jobs {
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Check that every replica of each shard holds the same data: the shard's leader
    /// commits a digest point and every replica digests its state at exactly that log
    /// index. A replica that differs from the majority is marked damaged and rebuilt from
    /// the others. Exits 1 unless every shard checked is consistent.
    Check {
        /// Only this shard.
        #[arg(long)]
        shard: Option<u32>,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// The audit history: the latest admin operations and refused attempts at one (who,
    /// what, when, on which node, how it ended), oldest first.
    Audit {
        /// At most this many of the latest entries.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Move the leadership of a shard (or of the meta group) to a node holding a replica.
    TransferLeader {
        /// The shard whose leadership moves.
        #[arg(long, conflicts_with = "meta", required_unless_present = "meta")]
        shard: Option<u32>,
        /// Move the meta group's leadership instead.
        #[arg(long)]
        meta: bool,
        /// The node that should lead.
        #[arg(long = "to")]
        to_node: u64,
        #[command(flatten)]
        endpoint: EndpointArg,
        #[command(flatten)]
        output: OutputArg,
    },
}

#[derive(Args)]
struct OutputArg {
    /// Print the response in the proto3 JSON mapping (for scripts).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BenchArgs {
    #[command(flatten)]
    endpoint: EndpointArg,
    /// The system to drive: shoal through the given nodes, shoal with the cluster-aware
    /// client (straight to shard leaders), or etcd for a side-by-side run (same client,
    /// same load; its client URLs as --endpoint). --endpoint takes a comma-separated list:
    /// connections go to its entries in turn.
    #[arg(long, value_enum, default_value = "shoal")]
    target: Target,
    #[arg(long, value_enum, default_value = "put")]
    workload: Workload,
    /// Concurrent requests in flight.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// HTTP/2 connections shared by the clients.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Size of the key space.
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Value size in bytes.
    #[arg(long, default_value_t = 256)]
    value_size: usize,
    /// Measured duration.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    duration: Duration,
    /// Unmeasured warm-up before it.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2s")]
    warmup: Duration,
    /// Keys per call of the batch workload.
    #[arg(long, default_value_t = 100)]
    batch: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            let text = format!("{error:#}");
            // A plaintext client talking to a TLS port gets only an HTTP/2 protocol or
            // transport error.
            let transport = [
                "h2 protocol error",
                "transport error",
                "connection reset",
                "operation was canceled",
                // HTTP/1.1 (the admin port) spoken to a TLS port
                "invalid HTTP version",
            ]
            .iter()
            .any(|symptom| text.contains(symptom));
            if transport
                && std::env::var_os("SHOAL_CA_FILE").is_none()
                && !std::env::args().any(|arg| arg == "--ca-file")
            {
                eprintln!(
                    "hint: if the node serves TLS, pass --ca-file (or set SHOAL_CA_FILE) with \
                     the CA certificate that signed its certificate"
                );
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Start(args) => start(args).await,
        Command::Kv(command) => kv(command).await,
        Command::Cluster(command) => cluster_command(command).await,
        Command::Node(command) => node_command(command).await,
        Command::Certs(command) => certs_command(command),
        Command::Auth(AuthCommand::Key(command)) => key_command(command).await,
        Command::Dev(args) => {
            shoal_node::telemetry::init_logging(shoal_node::telemetry::LogFormat::from_env()?);
            shoal_node::dev::run(shoal_node::dev::DevOptions {
                nodes: args.nodes,
                data_dir: args.data_dir,
                port_offset: args.port_offset,
                shards: args.shards,
                insecure: args.insecure,
                otlp_endpoint: args.otlp_endpoint,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Health(args) => health(args).await,
        Command::Config(ConfigCommand::Check { file, with_env }) => {
            let config = if with_env {
                Config::load(Some(&file), &Overrides::default())
            } else {
                Config::load_file_only(&file)
            };
            match config {
                Ok(config) => {
                    println!(
                        "{}: valid\n\n{}",
                        file.display(),
                        toml::to_string_pretty(&config).unwrap_or_default()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    eprintln!("{}: {error}", file.display());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Debug(DebugCommand::Diverge {
            data_dir,
            shard,
            key,
            value,
        }) => {
            shoal_node::debug::diverge(&data_dir, shard, key.as_bytes(), value.as_bytes()).await?;
            println!("shard {shard}: {key} rewritten in {}", data_dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(args) => {
            let options = shoal_testkit::verify::VerifyOptions {
                endpoints: args.endpoints,
                clients: args.clients,
                keys: args.keys,
                seed: args.seed,
                connect: args.tls.options()?,
                ..Default::default()
            };
            let passed = shoal_testkit::verify::run_and_report(
                options,
                args.duration,
                args.expiry_bound,
                args.history.as_deref(),
            )
            .await?;
            Ok(if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Bench(args) => {
            let options = BenchOptions {
                target: args.target,
                connect: args.endpoint.tls.options()?,
                endpoint: args.endpoint.endpoint,
                workload: args.workload,
                clients: args.clients,
                connections: args.connections,
                keys: args.keys,
                value_size: args.value_size,
                duration: args.duration,
                warmup: args.warmup,
                batch: args.batch,
            };
            let report = bench::run(&options).await?;
            println!("{}", report.summary(&options));
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn key_command(command: KeyCommand) -> Result<ExitCode> {
    let text = match command {
        KeyCommand::Create {
            name,
            role,
            prefix,
            expires,
            endpoint,
            output,
        } => {
            let role = match role.as_str() {
                "read" => shoal_client::ApiKeyRole::Read,
                "write" => shoal_client::ApiKeyRole::Write,
                _ => shoal_client::ApiKeyRole::Admin,
            };
            let created = endpoint
                .connect()
                .await?
                .create_api_key(&name, role, prefix.map(String::into_bytes), expires)
                .await?;
            if output.json {
                cli::json(&created)?
            } else {
                cli::created_key(&created)
            }
        }
        KeyCommand::List { endpoint, output } => {
            let keys = endpoint.connect().await?.api_keys().await?;
            if output.json {
                cli::json(&keys)?
            } else {
                cli::api_keys(&keys)
            }
        }
        KeyCommand::Revoke {
            id,
            endpoint,
            output,
        } => {
            let revoked = endpoint.connect().await?.revoke_api_key(&id).await?;
            if output.json {
                cli::json(&revoked)?
            } else {
                format!("API key {id} revoked")
            }
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `ID=ADDR[,ADDR…]` of `shoal certs cluster --node`.
fn parse_node_addresses(text: &str) -> Result<(u64, Vec<String>), String> {
    let (id, addresses) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected ID=ADDR[,ADDR…], e.g. 1=shoal-1,127.0.0.1"))?;
    let id = id
        .parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("{text:?}: {id:?} is not a node id (a positive number)"))?;
    let addresses: Vec<String> = addresses
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    if addresses.is_empty() {
        return Err(format!("{text:?}: node {id} needs at least one address"));
    }
    Ok((id, addresses))
}

fn certs_command(command: CertsCommand) -> Result<ExitCode> {
    use shoal_node::certs::{CertsRequest, generate};
    let (request, common, days) = match command {
        CertsCommand::Cluster {
            nodes,
            admin_key,
            owner,
            export,
            export_owner,
            dir,
        } => {
            let request = shoal_node::certs::ClusterRequest {
                nodes,
                admin_key,
                owner,
                export: export.map(|dir| (dir, export_owner)),
            };
            for line in shoal_node::certs::generate_cluster(&dir, &request)? {
                println!("{line}");
            }
            return Ok(ExitCode::SUCCESS);
        }
        CertsCommand::GossipKey { common } => {
            let path = shoal_node::certs::generate_gossip_key(&common.dir, common.force)?;
            println!("wrote {} (mode 0600)", path.display());
            println!(
                "in every node's config:\n  [cluster.gossip]\n  key_file = \"{}\"",
                path.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        CertsCommand::Ca { common, days } => (CertsRequest::Ca, common, days),
        CertsCommand::Node {
            id,
            addresses,
            common,
            days,
        } => (CertsRequest::Node { id, addresses }, common, days),
        CertsCommand::Client { name, common, days } => {
            (CertsRequest::Client { name }, common, days)
        }
    };
    let written = generate(&common.dir, &request, days, common.force)?;
    println!("wrote {}", written.cert.display());
    println!("wrote {} (mode 0600)", written.key.display());
    let ca = common.dir.join("ca.crt");
    match request {
        CertsRequest::Ca => println!(
            "next: shoal certs node --dir {} --id 1 --addr <the node's IPs and DNS names>",
            common.dir.display()
        ),
        CertsRequest::Node { .. } => println!(
            "in the node's config (and `shoal certs gossip-key` once for the cluster):\n  [cluster.tls]\n  cert_file = \"{}\"\n  key_file = \"{}\"\n  \
             client_ca_file = \"{}\"\n  [server.tls]\n  cert_file = \"{}\"\n  key_file = \"{}\"",
            written.cert.display(),
            written.key.display(),
            ca.display(),
            written.cert.display(),
            written.key.display()
        ),
        CertsRequest::Client { .. } => println!(
            "use it with: --ca-file {} --cert-file {} --key-file {}",
            ca.display(),
            written.cert.display(),
            written.key.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Every connection, file and socket is a descriptor: raise the soft limit to the hard one
/// (a soft limit of 1024, or less, is a common default that a busy node outgrows), and say
/// what the node runs with.
fn raise_open_file_limit() {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft);
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) => {
            let before = before.unwrap_or(now);
            if now < 4096 {
                tracing::warn!(
                    limit = now,
                    "the open-file limit is low (under 4096) and the hard limit allows no more: \
                     raise it (ulimit -Hn, LimitNOFILE=) for a node serving many clients"
                );
            } else {
                tracing::info!(limit = now, was = before, "open-file limit");
            }
        }
        Err(error) => tracing::warn!(%error, "could not raise the open-file limit"),
    }
}

async fn health(args: HealthArgs) -> Result<ExitCode> {
    let (endpoint, options) = match &args.admin {
        Some(admin) => {
            let options = match &args.ca_file {
                Some(ca) => ConnectOptions::tls(ca, None)?,
                None => ConnectOptions::plaintext(),
            };
            (admin.clone(), options)
        }
        None => {
            let config = Config::load(args.config.as_deref(), &Overrides::default())?;
            let mut address = config.server.admin_listen;
            // A node listening on every address answers on loopback.
            if address.ip().is_unspecified() {
                address.set_ip(if address.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                });
            }
            let options = match &config.server.tls.cert_file {
                Some(cert) if config.server.tls.is_set() => {
                    ConnectOptions::trusting_certificate(cert)?
                }
                _ => ConnectOptions::plaintext(),
            };
            (address.to_string(), options)
        }
    };
    let path = if args.live { "/healthz" } else { "/readyz" };
    let (status, body) = shoal_client::admin_get(&endpoint, path, &options, args.timeout)
        .await
        .with_context(|| format!("asking {endpoint}{path}"))?;
    let said = body.trim();
    if status == 200 {
        println!("{said}");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{endpoint}{path}: {status}: {said}");
        Ok(ExitCode::FAILURE)
    }
}

async fn start(args: StartArgs) -> Result<ExitCode> {
    let overrides = Overrides {
        data_dir: args.data_dir,
        client_listen: args.client_listen,
        cluster_listen: args.cluster_listen,
        admin_listen: args.admin_listen,
        insecure: args.insecure,
        testing: shoal_node::config::TestingHooks {
            clock_offset_ms: args.test_clock_offset_ms,
            fault_endpoint: args.test_faults,
            unsafe_stale_reads: args.test_unsafe_stale_reads,
        },
    };
    let config = Config::load(args.config.as_deref(), &overrides)?;
    let instance = (config.cluster.node_id.map(|id| id.to_string()))
        .or_else(|| config.cluster.node_name.clone());
    let telemetry = shoal_node::telemetry::init(&config.telemetry, instance)?;
    raise_open_file_limit();
    let admin_scheme = if config.server.tls.is_set() {
        "https"
    } else {
        "http"
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    // A clustered node may wait a long time for its peers: stopping must work meanwhile.
    let node = tokio::select! {
        node = shoal_node::node::start(config) => match node {
            Ok(node) => node,
            Err(error) => {
                telemetry.shutdown().await;
                return Err(error);
            }
        },
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted while starting");
            telemetry.shutdown().await;
            return Ok(ExitCode::SUCCESS);
        }
        _ = terminate.recv() => {
            tracing::info!("SIGTERM while starting");
            telemetry.shutdown().await;
            return Ok(ExitCode::SUCCESS);
        }
    };
    println!(
        "shoal node {} ready: client API {}, admin {admin_scheme}://{}",
        node.node_id, node.client_address, node.admin_address
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted; shutting down"),
        _ = terminate.recv() => tracing::info!("SIGTERM; shutting down"),
        () = node.stopped() => tracing::warn!("node stopped by itself; shutting down"),
    }
    let stopped = node.shutdown().await;
    // The exporter goes last: the shutdown's own spans are flushed too.
    telemetry.shutdown().await;
    stopped?;
    tracing::info!("shutdown complete");
    Ok(ExitCode::SUCCESS)
}

async fn kv(command: KvCommand) -> Result<ExitCode> {
    match command {
        KvCommand::Put {
            key,
            value,
            ttl,
            if_version,
            endpoint,
        } => {
            let client = endpoint.connect().await?;
            let version = client
                .put(key, value, PutOptions { ttl, if_version })
                .await?;
            println!("version {version}");
        }
        KvCommand::Get {
            key,
            stale,
            endpoint,
        } => {
            let client = endpoint.connect().await?;
            match client.get(key.clone(), stale).await? {
                Some(found) => {
                    println!("{}", String::from_utf8_lossy(&found.value));
                    let ttl = found
                        .ttl_remaining
                        .map(|t| {
                            format!(
                                ", expires in {}",
                                humantime::format_duration(Duration::from_millis(
                                    t.as_millis() as u64
                                ))
                            )
                        })
                        .unwrap_or_default();
                    eprintln!("(version {}{ttl})", found.version);
                }
                None => {
                    eprintln!("key {key:?} not found");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        KvCommand::Delete {
            key,
            if_version,
            endpoint,
        } => {
            let client = endpoint.connect().await?;
            let deleted = client.delete(key, if_version).await?;
            println!("{}", if deleted { "deleted" } else { "not found" });
        }
        KvCommand::Batch {
            file,
            endpoint,
            output,
        } => {
            let text = match &file {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => std::io::read_to_string(std::io::stdin()).context("reading stdin")?,
            };
            let operations = shoal_node::batch_file::parse(&text)?;
            if operations.is_empty() {
                eprintln!("no operations");
                return Ok(ExitCode::SUCCESS);
            }
            let client = endpoint.connect().await?;
            let results = client.batch(operations.clone()).await?;
            let (printed, failed) =
                shoal_node::batch_file::render(&operations, &results, output.json);
            cli::emit(&printed)?;
            if failed > 0 {
                eprintln!("{failed} of {} operations failed", operations.len());
                return Ok(ExitCode::from(1));
            }
        }
        KvCommand::Touch { key, ttl, endpoint } => {
            let client = endpoint.connect().await?;
            if !client.touch(key.clone(), ttl).await? {
                eprintln!("key {key:?} not found");
                return Ok(ExitCode::from(2));
            }
            println!("touched");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn node_command(command: NodeCommand) -> Result<ExitCode> {
    match command {
        NodeCommand::Drain {
            node,
            no_wait,
            timeout,
            endpoint,
            output,
        } => {
            let client = endpoint.connect().await?;
            let answer = client.drain_node(node, true).await?;
            if output.json {
                cli::emit(&cli::json(&answer)?)?;
            } else {
                println!(
                    "node {node} is draining (it was {})",
                    cli::node_state_name(answer.previous_state)
                );
            }
            if no_wait {
                return Ok(ExitCode::SUCCESS);
            }
            let started = std::time::Instant::now();
            let progress = |now: &shoal_client::DrainProgress| {
                if !output.json && !now.done() {
                    println!("  node {node} still {now}");
                }
            };
            match client.wait_drained(node, timeout, progress).await {
                Ok(_) => {
                    if !output.json {
                        println!("node {node} leads nothing after {:.1?}", started.elapsed());
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(shoal_client::WaitError::TimedOut { last, .. }) => {
                    eprintln!(
                        "node {node} still {last} after {timeout:?}: are the other replicas \
                         live and caught up? (shoal cluster status)"
                    );
                    Ok(ExitCode::FAILURE)
                }
                Err(shoal_client::WaitError::Client(error)) => Err(error.into()),
            }
        }
        NodeCommand::Decommission {
            node,
            no_wait,
            timeout,
            endpoint,
            output,
        } => {
            let client = endpoint.connect().await?;
            let answer = client.decommission_node(node).await?;
            if output.json {
                cli::emit(&cli::json(&answer)?)?;
            } else {
                cli::emit(&format!(
                    "node {node} is decommissioned (it was {}); {} replica(s) move away\n",
                    cli::node_state_name(answer.previous_state),
                    answer.replicas_to_move
                ))?;
            }
            if no_wait {
                return Ok(ExitCode::SUCCESS);
            }
            let started = std::time::Instant::now();
            let progress = |now: &shoal_client::DecommissionProgress| {
                if !now.done() {
                    eprintln!("  node {node} still {now}");
                }
            };
            match client.wait_decommissioned(node, timeout, progress).await {
                Ok(_) => {
                    eprintln!(
                        "node {node} holds no replica and has left the meta group after {:.0?}; \
                         it can be stopped",
                        started.elapsed()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(shoal_client::WaitError::TimedOut { last, .. }) => {
                    eprintln!(
                        "node {node} still {last} after {timeout:?}: see `shoal cluster moves` \
                         for what the moves wait for"
                    );
                    Ok(ExitCode::FAILURE)
                }
                Err(shoal_client::WaitError::Client(error)) => Err(error.into()),
            }
        }
        NodeCommand::Undrain {
            node,
            endpoint,
            output,
        } => {
            let answer = endpoint.connect().await?.drain_node(node, false).await?;
            let text = if output.json {
                cli::json(&answer)?
            } else {
                format!(
                    "node {node} is active (it was {}); it takes its preferred leaderships back within seconds\n",
                    cli::node_state_name(answer.previous_state)
                )
            };
            cli::emit(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn cluster_command(command: ClusterCommand) -> Result<ExitCode> {
    let text = match command {
        ClusterCommand::Status { endpoint, output } => {
            let status = endpoint.connect().await?.status().await?;
            if output.json {
                cli::json(&status)?
            } else {
                cli::status(&status)
            }
        }
        ClusterCommand::Audit {
            limit,
            endpoint,
            output,
        } => {
            let audit = endpoint.connect().await?.audit(limit).await?;
            if output.json {
                cli::json(&audit)?
            } else {
                cli::audit(&audit)
            }
        }
        ClusterCommand::Members { endpoint, output } => {
            let members = endpoint.connect().await?.members().await?;
            if output.json {
                cli::json(&members)?
            } else {
                cli::members(&members)
            }
        }
        ClusterCommand::Shards { endpoint, output } => {
            let map = endpoint.connect().await?.shard_map().await?;
            if output.json {
                cli::json(&map)?
            } else {
                cli::shards(&map)
            }
        }
        ClusterCommand::Rebalance {
            dry_run,
            endpoint,
            output,
        } => {
            let client = endpoint.connect().await?;
            let map = client.shard_map().await?;
            let answer = client.rebalance(dry_run).await?;
            if output.json {
                cli::json(&answer)?
            } else {
                cli::rebalance_plan(&answer, &map, dry_run)
            }
        }
        ClusterCommand::Jobs { endpoint, output } => {
            let answer = endpoint.connect().await?.jobs().await?;
            if output.json {
                cli::json(&answer)?
            } else {
                cli::jobs(&answer)
            }
        }
        ClusterCommand::Check {
            shard,
            endpoint,
            output,
        } => {
            // One call per shard (each runs within the node's request timeout), with the
            // progress on stderr.
            let client = endpoint.connect().await?;
            let shards: Vec<u32> = match shard {
                Some(shard) => vec![shard],
                None => client
                    .shard_map()
                    .await?
                    .shards
                    .iter()
                    .map(|s| s.shard_id)
                    .collect(),
            };
            let mut answer = shoal_proto::v1::CheckConsistencyResponse::default();
            for (done, id) in shards.iter().enumerate() {
                let checked = client.check_consistency(Some(*id)).await?;
                for check in &checked.shards {
                    eprintln!(
                        "[{}/{}] shard {}: {} ({} ms)",
                        done + 1,
                        shards.len(),
                        check.shard_id,
                        check.verdict,
                        check.elapsed_ms
                    );
                }
                answer.shards.extend(checked.shards);
            }
            let text = if output.json {
                cli::json(&answer)?
            } else {
                cli::check(&answer)
            };
            cli::emit(&text)?;
            let consistent = answer.shards.iter().all(|s| s.verdict == "consistent");
            return Ok(if consistent {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        ClusterCommand::Moves { endpoint, output } => {
            let answer = endpoint.connect().await?.moves().await?;
            if output.json {
                cli::json(&answer)?
            } else {
                cli::moves(&answer)
            }
        }
        ClusterCommand::TransferLeader {
            shard,
            meta,
            to_node,
            endpoint,
            output,
        } => {
            let shard = if meta { None } else { shard };
            let started = std::time::Instant::now();
            let moved = endpoint
                .connect()
                .await?
                .transfer_leader(shard, to_node)
                .await?;
            if output.json {
                cli::json(&moved)?
            } else {
                let group = shard.map_or("the meta group".to_owned(), |s| format!("shard {s}"));
                format!(
                    "{group} is led by node {} (term {}) after {:.0?}\n",
                    moved.leader_id,
                    moved.term,
                    started.elapsed()
                )
            }
        }
    };
    cli::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
