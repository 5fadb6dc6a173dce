//! Multi-node test harness: real `shoal` processes started from config files (kill -9,
//! restart), and waits on the cluster's health — all on conditions with deadlines, never
//! fixed sleeps. Ports, configs and the in-process cluster live in `shoal_node::testing`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use shoal_client::{Client, StatusResponse};
use shoal_node::config::Config;
pub use shoal_node::testing::{
    ClusterShape, InProcessCluster, Ports, client_options, key_in_shard, node_config,
};

/// A real `shoal start --config …` process of a test cluster (the shared
/// `shoal_testkit::NodeProcess`, with the test's ports and files).
pub struct NodeProcess {
    pub id: u64,
    pub ports: Ports,
    pub log_path: PathBuf,
    process: shoal_testkit::NodeProcess,
}

impl NodeProcess {
    /// Writes the node's config file under `dir` and starts it (without waiting).
    pub fn spawn(dir: &Path, config: &Config, id: u64, ports: Ports) -> NodeProcess {
        std::fs::create_dir_all(dir).unwrap();
        let config_path = dir.join(format!("node-{id}.toml"));
        std::fs::write(&config_path, toml::to_string(config).unwrap()).unwrap();
        let log_path = dir.join(format!("node-{id}.log"));
        // A node with TLS on its client API has it on its admin port too; its certificate
        // is signed by the cluster's CA.
        let connect = match &config.cluster.tls.client_ca_file {
            Some(ca) if config.server.tls.is_set() => {
                shoal_client::ConnectOptions::tls(ca, None).expect("the cluster's CA")
            }
            _ => shoal_client::ConnectOptions::plaintext(),
        };
        let process = shoal_testkit::NodeProcess::new(
            &super::shoal_binary(),
            id,
            config_path,
            log_path.clone(),
            ports.client.to_string(),
            ports.admin.to_string(),
        )
        .with_connect(connect);
        let mut node = NodeProcess {
            id,
            ports,
            log_path,
            process,
        };
        node.start();
        node
    }

    /// A single node (no cluster) in `dir`, every port reserved, started (without waiting).
    pub fn spawn_single(dir: &Path) -> NodeProcess {
        let ports = Ports::reserve();
        let mut config = super::test_config(&dir.join("data"));
        config.server.client_listen = ports.client;
        config.server.admin_listen = ports.admin;
        config.cluster.listen_address = ports.internal;
        NodeProcess::spawn(dir, &config, 1, ports)
    }

    /// (Re)starts the process with its config.
    pub fn start(&mut self) {
        self.process.start().expect("spawn shoal");
    }

    /// Waits until `/readyz` says the node serves (fails the test, quoting its log, when it
    /// exits first or is not ready in time).
    pub async fn wait_ready(&mut self, deadline: Duration) {
        if let Err(error) = self.process.wait_ready(deadline).await {
            panic!("{error:#}");
        }
    }

    /// Like [`NodeProcess::wait_ready`], returning the failure (quoting the log and the
    /// exit status when the process exited) instead of failing the test.
    pub async fn try_wait_ready(&mut self, deadline: Duration) -> Result<(), String> {
        self.process
            .wait_ready(deadline)
            .await
            .map_err(|error| format!("{error:#}"))
    }

    pub fn client_address(&self) -> String {
        self.ports.client.to_string()
    }

    /// A client of the node (TLS when the node has it for clients, as by default).
    pub async fn client(&self) -> Client {
        self.process.client().await.expect("client connects")
    }

    /// The process's resident set size in bytes (0 when it does not run).
    pub fn rss_bytes(&self) -> u64 {
        self.process.rss_bytes().unwrap_or(0)
    }

    /// Starts the (stopped) process again with `extra` flags after its usual ones (hidden
    /// `--test-*` hooks); the next plain [`NodeProcess::start`] drops them.
    pub fn restart_with(&mut self, extra: &[String]) {
        self.process
            .start_with(extra)
            .unwrap_or_else(|error| panic!("node {}: {error:#}", self.id));
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// SIGSTOP: frozen, its sockets open and nothing answered.
    pub fn pause(&mut self) {
        self.process.pause();
    }

    /// SIGCONT.
    pub fn resume(&mut self) {
        self.process.resume();
    }

    /// The last `lines` lines of the node's log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    /// `GET path` on the node's admin port (HTTPS when the node has TLS for clients).
    pub async fn admin_get(&self, path: &str) -> (u16, String) {
        self.process.admin_get(path).await.expect("admin port")
    }

    /// Like [`NodeProcess::admin_get`]; None while the port does not answer (starting).
    pub async fn try_admin_get(&self, path: &str) -> Option<(u16, String)> {
        self.process.admin_get(path).await.ok()
    }

    /// The value of one series on the node's `/metrics` (`name{labels}` exactly as
    /// exported); 0 when it is not there yet.
    pub async fn metric(&self, series: &str) -> u64 {
        let (_, metrics) = self.admin_get("/metrics").await;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map_or(0, |value| value as u64)
    }

    /// SIGTERM and wait for the exit (SIGKILL after 60 s: then None).
    pub async fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        self.process.stop(Duration::from_secs(60)).await
    }
}

/// A cluster of real processes on loopback.
pub struct ProcessCluster {
    pub dir: tempfile::TempDir,
    pub shape: ClusterShape,
    pub nodes: Vec<NodeProcess>,
    seeds: Vec<SocketAddr>,
}

impl Drop for ProcessCluster {
    /// A failing test keeps the cluster's directory (configs, data, one log per node) and
    /// says where it is, so the failure can be read after the fact.
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dir.disable_cleanup(true);
            eprintln!(
                "the test failed: cluster directory kept at {} (node logs: node-*.log)",
                self.dir.path().display()
            );
        }
    }
}

impl ProcessCluster {
    /// Starts `count` nodes (ids 1..=count) that find each other through gossip seeds, and
    /// waits until every one is ready.
    pub async fn start(count: u64, shape: ClusterShape) -> ProcessCluster {
        Self::start_with(count, shape, |_, _, _| {}).await
    }

    /// Like `start`, letting `customize` change node `id`'s config (written to `dir`, the
    /// cluster's directory) first.
    pub async fn start_with(
        count: u64,
        shape: ClusterShape,
        customize: impl Fn(u64, &Path, &mut Config),
    ) -> ProcessCluster {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<Ports> = (0..count).map(|_| Ports::reserve()).collect();
        let seeds: Vec<SocketAddr> = ports.iter().map(|p| p.gossip).collect();
        let nodes = (1..=count)
            .zip(ports)
            .map(|(id, ports)| {
                let mut config = node_config(
                    &dir.path().join(format!("data-{id}")),
                    id,
                    &ports,
                    &seeds,
                    &shape,
                );
                customize(id, dir.path(), &mut config);
                NodeProcess::spawn(dir.path(), &config, id, ports)
            })
            .collect();
        let mut cluster = ProcessCluster {
            dir,
            shape,
            nodes,
            seeds,
        };
        for node in &mut cluster.nodes {
            node.wait_ready(Duration::from_secs(90)).await;
        }
        cluster
    }

    /// Three nodes of 4 shards whose client and admin ports are plaintext (the nodes still
    /// talk mTLS among themselves), `customize` applied on top: for tests that reach the
    /// ports with clients shoal did not write (Prometheus, a browser, bare gRPC clients).
    pub async fn start_plaintext_ports(customize: impl Fn(&mut Config)) -> ProcessCluster {
        let shape = ClusterShape {
            shards: 4,
            ..ClusterShape::default()
        };
        ProcessCluster::start_with(3, shape, |_, _, config| {
            config.server.tls = Default::default();
            customize(config);
        })
        .await
    }

    /// One node with TLS on every port (mTLS on the internal port; TLS on the client API
    /// and the admin port with its node certificate), `customize` applied; and how clients
    /// reach it (trusting the cluster's CA).
    pub async fn single_secure_node(
        customize: impl Fn(&mut Config),
    ) -> (ProcessCluster, shoal_client::ConnectOptions) {
        let shape = ClusterShape {
            expect_nodes: 1,
            replication_factor: 1,
            shards: 2,
            ..ClusterShape::default()
        };
        let cluster = ProcessCluster::start_with(1, shape, |_, _, config| customize(config)).await;
        let tls = cluster.connect_options();
        (cluster, tls)
    }

    /// How clients reach the nodes (TLS, trusting the cluster's CA).
    pub fn connect_options(&self) -> shoal_client::ConnectOptions {
        client_options(self.dir.path())
    }

    /// The `shoal` CLI as a user of this cluster runs it: `SHOAL_CA_FILE` names the
    /// cluster's CA, and no other `SHOAL_*` variable of this process leaks in.
    pub fn cli(&self) -> std::process::Command {
        let mut command = super::shoal_command();
        command.env("SHOAL_CA_FILE", self.dir.path().join("certs/ca.crt"));
        command
    }

    /// Starts one more node that joins through the existing nodes' gossip addresses.
    pub fn add_node(&mut self) -> &mut NodeProcess {
        self.add_node_with(|_, _| {})
    }

    /// Like `add_node`, letting `customize` change its config (with its ports) first.
    pub fn add_node_with(
        &mut self,
        customize: impl FnOnce(&Ports, &mut Config),
    ) -> &mut NodeProcess {
        let id = self.nodes.len() as u64 + 1;
        let ports = Ports::reserve();
        let mut config = node_config(
            &self.dir.path().join(format!("data-{id}")),
            id,
            &ports,
            &self.seeds,
            &self.shape,
        );
        customize(&ports, &mut config);
        self.nodes
            .push(NodeProcess::spawn(self.dir.path(), &config, id, ports));
        self.nodes.last_mut().unwrap()
    }

    pub fn node(&mut self, id: u64) -> &mut NodeProcess {
        self.nodes
            .iter_mut()
            .find(|n| n.id == id)
            .expect("known node")
    }
}

/// Waits until every shard has a leader and every replica of it is reachable, from the
/// point of view of the node behind `client`.
pub async fn wait_for_healthy(client: &Client, deadline: Duration) -> StatusResponse {
    super::wait_for(
        "every shard with a leader and every replica reachable",
        deadline,
        || async {
            let status = client.status().await.ok()?;
            let healthy = !status.shards.is_empty()
                && status.shards.iter().all(|shard| {
                    shard.leader_id != 0 && shard.replicas.iter().all(|replica| replica.reachable)
                });
            healthy.then_some(status)
        },
    )
    .await
}

/// Waits until all replicas of every shard have applied the same index with the same data
/// digest; returns the digests by shard.
pub async fn wait_for_convergence(client: &Client, deadline: Duration) -> BTreeMap<u32, u64> {
    super::wait_for(
        "every replica of every shard to hold the same data",
        deadline,
        || async {
            let status = client.status_with_digests().await.ok()?;
            let mut digests = BTreeMap::new();
            for shard in &status.shards {
                let first = shard.replicas.first()?;
                let same = shard.replicas.iter().all(|replica| {
                    replica.reachable
                        && replica.digest_applied_index == first.digest_applied_index
                        && replica.data_digest == first.data_digest
                });
                if !same || first.digest_applied_index == 0 {
                    return None;
                }
                digests.insert(shard.shard_id, first.data_digest);
            }
            Some(digests)
        },
    )
    .await
}
