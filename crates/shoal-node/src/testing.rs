//! Test support other crates can use too: loopback ports no parallel test can collide on,
//! node configs of a test cluster, and an in-process cluster whose nodes' transport and
//! gossip can be cut (partitions) — every node a real `RunningNode` on its own storage and
//! ports.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::time::Duration;

use shoal_client::Client;

use crate::config::Config;
use crate::node::RunningNode;

/// Loopback addresses for one node, reserved by binding to port 0 and releasing. Each node
/// gets its own random 127.x.y.z address: a port released here and taken by a node of a
/// test running in parallel then lives at another address, so clusters of different tests
/// never find each other.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub client: SocketAddr,
    pub admin: SocketAddr,
    pub internal: SocketAddr,
    pub gossip: SocketAddr,
}

fn loopback() -> std::net::IpAddr {
    let [a, b, c]: [u8; 3] = rand::random();
    std::net::Ipv4Addr::new(127, a.max(1), b, c.clamp(2, 254)).into()
}

impl Ports {
    /// Four free ports on a fresh loopback address. Every socket is held until all are
    /// picked: a port released at once could be handed out again by the next bind (a node
    /// whose client and internal ports are the same number fails to start).
    pub fn reserve() -> Ports {
        let ip = loopback();
        let tcp = || TcpListener::bind((ip, 0)).unwrap();
        let (client, admin, internal) = (tcp(), tcp(), tcp());
        let gossip = UdpSocket::bind((ip, 0)).unwrap();
        let address = |listener: &TcpListener| listener.local_addr().unwrap();
        Ports {
            client: address(&client),
            admin: address(&admin),
            internal: address(&internal),
            gossip: gossip.local_addr().unwrap(),
        }
    }
}

/// What every node of a test cluster shares.
#[derive(Debug, Clone)]
pub struct ClusterShape {
    pub expect_nodes: u32,
    pub replication_factor: u32,
    pub shards: u32,
    pub snapshot_threshold: u64,
    pub trailing_logs: u64,
    /// `cluster.rebalance.auto`: the placement driver starts moves by itself.
    pub auto_rebalance: bool,
    /// `cluster.failure.replace_after`.
    pub replace_after: Duration,
    /// `cluster.rebalance.max_rate`.
    pub max_rate: &'static str,
}

impl Default for ClusterShape {
    fn default() -> Self {
        ClusterShape {
            expect_nodes: 3,
            replication_factor: 3,
            shards: 16,
            snapshot_threshold: 10_000,
            trailing_logs: 1_000,
            auto_rebalance: true,
            replace_after: Duration::from_secs(60),
            max_rate: "20Mbps",
        }
    }
}

/// The config of node `id` of a test cluster.
pub fn node_config(
    dir: &Path,
    id: u64,
    ports: &Ports,
    seeds: &[SocketAddr],
    shape: &ClusterShape,
) -> Config {
    let mut config = Config::default();
    config.server.data_dir = dir.to_path_buf();
    config.server.client_listen = ports.client;
    config.server.admin_listen = ports.admin;
    config.server.expiry_interval = Duration::from_millis(200);
    config.cluster.enabled = true;
    // mTLS between the nodes and TLS for clients (the API and the admin port, with the
    // node's certificate), as in production (one plaintext `--insecure` test remains).
    let certs = dir.parent().unwrap_or(dir).join("certs");
    config.cluster.tls = node_tls(&certs, id, ports.internal.ip());
    config.server.tls = crate::config::TlsConfig {
        client_ca_file: None,
        ..config.cluster.tls.clone()
    };
    config.cluster.gossip.key_file = Some(certs.join("gossip.key"));
    config.cluster.node_id = Some(id);
    config.cluster.node_name = Some(format!("node-{id}"));
    config.cluster.listen_address = ports.internal;
    config.cluster.advertise_address = Some(ports.internal.to_string());
    config.cluster.gossip_listen = ports.gossip;
    config.cluster.discovery.seeds = seeds.iter().map(ToString::to_string).collect();
    config.cluster.discovery.gossip_interval = Duration::from_millis(100);
    config.cluster.bootstrap.expect_nodes = shape.expect_nodes;
    config.cluster.data.replication_factor = shape.replication_factor;
    config.cluster.data.shards = shape.shards;
    config.cluster.raft.snapshot_threshold = shape.snapshot_threshold;
    config.cluster.raft.trailing_logs = shape.trailing_logs;
    config.cluster.rebalance.auto = shape.auto_rebalance;
    config.cluster.rebalance.max_rate = shape.max_rate.to_owned();
    config.cluster.failure.replace_after = shape.replace_after;
    config
}

/// The TLS files of node `id` of a test cluster at `host` (see `shoal_testkit::pki`).
pub fn node_tls(certs: &Path, id: u64, host: std::net::IpAddr) -> crate::config::TlsConfig {
    let files = shoal_testkit::pki::node_tls(certs, id, host).expect("test certificates");
    crate::config::TlsConfig {
        cert_file: Some(files.cert_file),
        key_file: Some(files.key_file),
        client_ca_file: Some(files.ca_file),
    }
}

/// How a test client reaches the nodes of the test cluster in `cluster_dir` (TLS, trusting
/// the cluster's CA, as [`node_config`] sets the nodes up).
pub fn client_options(cluster_dir: &Path) -> shoal_client::ConnectOptions {
    shoal_client::ConnectOptions::tls(cluster_dir.join("certs/ca.crt"), None)
        .expect("the test cluster's CA")
}

/// A key that lands in `shard` of a cluster with `shards` uniform shards.
pub fn key_in_shard(shard: u32, shards: u32, salt: &str) -> String {
    let map = shoal_shardmap::ShardMap::initial(shards, &[shoal_shardmap::NodeId(1)]).unwrap();
    (0u64..)
        .map(|i| format!("{salt}-{shard}-{i}"))
        .find(|key| map.shard_for_key(key.as_bytes()).id.0 == shard)
        .unwrap()
}

/// In-process nodes of one cluster, each with its own storage, ports and gossip, so a test
/// can cut the internal transport and gossip between chosen nodes.
pub struct InProcessCluster {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<RunningNode>,
    pub ports: Vec<Ports>,
    seeds: Vec<SocketAddr>,
    shape: ClusterShape,
}

impl InProcessCluster {
    pub async fn start(count: u64, shape: ClusterShape) -> InProcessCluster {
        Self::start_with(count, shape, |_, _| {}).await
    }

    /// Like `start`, letting `customize` change node `id`'s config first.
    pub async fn start_with(
        count: u64,
        shape: ClusterShape,
        customize: impl Fn(u64, &mut Config),
    ) -> InProcessCluster {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<Ports> = (0..count).map(|_| Ports::reserve()).collect();
        let seeds: Vec<SocketAddr> = ports.iter().map(|p| p.gossip).collect();
        let starts = (1..=count).zip(ports.iter()).map(|(id, node_ports)| {
            let mut config = node_config(
                &dir.path().join(format!("data-{id}")),
                id,
                node_ports,
                &seeds,
                &shape,
            );
            customize(id, &mut config);
            tokio::spawn(async move { crate::node::start(config).await.expect("node starts") })
        });
        let mut nodes = Vec::new();
        for start in starts.collect::<Vec<_>>() {
            nodes.push(start.await.unwrap());
        }
        InProcessCluster {
            dir,
            nodes,
            ports,
            seeds,
            shape,
        }
    }

    /// Starts one more node, joining through the others' gossip; returns its id.
    pub async fn add_node(&mut self) -> u64 {
        let id = self.nodes.len() as u64 + 1;
        let ports = Ports::reserve();
        let config = node_config(
            &self.dir.path().join(format!("data-{id}")),
            id,
            &ports,
            &self.seeds,
            &self.shape,
        );
        let node = crate::node::start(config).await.expect("node starts");
        self.nodes.push(node);
        self.ports.push(ports);
        id
    }

    pub fn node(&self, id: u64) -> &RunningNode {
        &self.nodes[(id - 1) as usize]
    }

    /// A connection to node `id`'s internal port, authenticated with a node certificate
    /// of the cluster (as its peers are).
    pub async fn internal_channel(&self, id: u64) -> tonic::transport::Channel {
        let certs = self.dir.path().join("certs");
        let tls = shoal_tls::ClientTls::load(shoal_tls::TlsFiles {
            cert_file: Some(certs.join(format!("node-{id}.crt"))),
            key_file: Some(certs.join(format!("node-{id}.key"))),
            ca_file: Some(certs.join("ca.crt")),
        })
        .expect("the test cluster's certificates");
        let address = self.ports[(id - 1) as usize].internal;
        tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .expect("an address")
            .connect_with_connector(shoal_tls::Connector::new(Some(tls)))
            .await
            .expect("connecting to the internal port")
    }

    pub async fn client(&self, id: u64) -> Client {
        Client::connect_with(
            &self.node(id).client_address.to_string(),
            &self.connect_options(),
        )
        .await
        .unwrap()
    }

    /// How clients reach the nodes (TLS, trusting the cluster's CA).
    pub fn connect_options(&self) -> shoal_client::ConnectOptions {
        client_options(self.dir.path())
    }

    /// Cuts every message between `id` and the other nodes: Raft traffic, forwarded
    /// requests, status gathering and gossip, both ways.
    pub fn isolate(&self, id: u64) {
        for other in 1..=self.nodes.len() as u64 {
            if other == id {
                continue;
            }
            self.cut(id, other);
        }
    }

    fn cut(&self, a: u64, b: u64) {
        use shoal_consensus::Fault;
        use shoal_shardmap::NodeId;
        self.node(a)
            .transport()
            .faults()
            .set(NodeId(b), Fault::Drop);
        self.node(b)
            .transport()
            .faults()
            .set(NodeId(a), Fault::Drop);
        if let Some(membership) = self.node(a).membership() {
            membership
                .filter()
                .block(self.ports[(b - 1) as usize].gossip);
        }
        if let Some(membership) = self.node(b).membership() {
            membership
                .filter()
                .block(self.ports[(a - 1) as usize].gossip);
        }
    }

    /// Removes every cut.
    pub fn heal(&self) {
        for node in &self.nodes {
            node.transport().faults().heal();
            if let Some(membership) = node.membership() {
                membership.filter().heal();
            }
        }
    }

    pub async fn shutdown(self) {
        for node in self.nodes {
            let _ = node.shutdown().await;
        }
    }
}
