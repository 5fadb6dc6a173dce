//! The cluster under test: real `shoal start` processes, one per node, each on its own
//! loopback address (127.0.0.1x) so that network faults can be aimed at a node.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use shoal_client::{Client, StatusResponse};
use shoal_testkit::{NodeProcess, NodeSpec};

/// The same ports on every node: each node has an address of its own.
const CLIENT_PORT: u16 = 5344;
const INTERNAL_PORT: u16 = 5343;
const GOSSIP_PORT: u16 = 5345;
const ADMIN_PORT: u16 = 9343;

/// The shape of the cluster.
#[derive(Debug, Clone)]
pub struct Shape {
    pub nodes: u64,
    pub replication_factor: u32,
    pub shards: u32,
}

/// One node slot: its address, files and process. The spare slot (the last one) is parked
/// until the nemesis adds it as a new node, and parked again once it was decommissioned.
pub struct Node {
    /// The node id it runs as now (a spare gets a new one each time it joins).
    pub id: u64,
    pub ip: String,
    process: NodeProcess,
    /// Not part of the cluster: never started, restarted or counted.
    pub parked: bool,
}

impl Node {
    pub fn client_address(&self) -> String {
        self.process.client_address().to_owned()
    }

    pub fn is_running(&self) -> bool {
        self.process.is_running()
    }

    pub fn paused(&self) -> bool {
        self.process.paused()
    }

    /// Starts the process; `clock_offset_ms` shifts its clock (test hook).
    pub fn start(&mut self, clock_offset_ms: i64) -> Result<()> {
        self.process
            .start_with(&[format!("--test-clock-offset-ms={clock_offset_ms}")])
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// SIGTERM, wait up to `timeout` for a clean exit (true), then SIGKILL (false).
    pub async fn stop(&mut self, timeout: Duration) -> bool {
        if !self.process.is_running() {
            return true;
        }
        self.process.stop(timeout).await.is_some()
    }

    /// Fails, with the end of its log, when the process exited by itself.
    pub fn check_exited(&mut self) -> Result<()> {
        self.process.check_exited()
    }

    pub fn pause(&mut self) {
        self.process.pause();
    }

    pub fn resume(&mut self) {
        self.process.resume();
    }

    pub async fn client(&self) -> Option<Client> {
        self.process.client().await.ok()
    }

    /// `/readyz` answers 200.
    pub async fn is_ready(&self) -> bool {
        self.process.is_ready().await
    }

    /// Sends a `/test/faults` query to the node.
    pub async fn faults(&self, query: &str) -> Result<()> {
        self.process.faults(query).await
    }
}

/// The whole cluster.
pub struct Cluster {
    pub nodes: Vec<Node>,
    dir: PathBuf,
    /// How clients reach the nodes: TLS with the run's CA (the cluster runs secure: mTLS
    /// between the nodes, signed gossip, TLS for clients).
    connect: shoal_client::ConnectOptions,
    seeds: Vec<String>,
    shape: Shape,
    /// How many times the spare slot joined.
    incarnations: u64,
}

impl Cluster {
    /// Writes every node's config under `dir` and starts all of them; the spare slot is
    /// prepared but parked.
    pub fn start(shoal: &Path, dir: &Path, shape: &Shape) -> Result<Cluster> {
        let slots = shape.nodes + 1;
        let ips: Vec<String> = (1..=slots)
            .map(|slot| format!("127.0.0.{}", 10 + slot))
            .collect();
        let seeds: Vec<String> = ips
            .iter()
            .take(shape.nodes as usize)
            .map(|ip| format!("{ip}:{GOSSIP_PORT}"))
            .collect();
        // The run's CA and gossip key (made by the first certificate).
        let certs = dir.join("certs");
        shoal_testkit::pki::node_tls(&certs, 0, "127.0.0.1".parse()?)?;
        let connect = shoal_client::ConnectOptions::tls(certs.join("ca.crt"), None)?;
        let mut cluster = Cluster {
            nodes: Vec::new(),
            dir: dir.to_path_buf(),
            connect: connect.clone(),
            seeds,
            shape: shape.clone(),
            incarnations: 0,
        };
        for (index, ip) in ips.iter().enumerate() {
            let slot = index as u64 + 1;
            let node_dir = dir.join(format!("node-{slot}"));
            std::fs::create_dir_all(&node_dir)?;
            let process = NodeProcess::new(
                shoal,
                slot,
                node_dir.join("shoal.toml"),
                node_dir.join("node.log"),
                format!("{ip}:{CLIENT_PORT}"),
                format!("{ip}:{ADMIN_PORT}"),
            )
            .with_flags(&["--test-faults".to_owned()])
            .with_connect(connect.clone());
            let mut node = Node {
                id: slot,
                ip: ip.clone(),
                process,
                parked: slot > shape.nodes,
            };
            cluster.write_config(&node, slot)?;
            if !node.parked {
                node.start(0)?;
            }
            cluster.nodes.push(node);
        }
        Ok(cluster)
    }

    fn write_config(&self, node: &Node, slot: u64) -> Result<()> {
        let shape = &self.shape;
        let ip = &node.ip;
        let spec = NodeSpec {
            node_id: node.id,
            node_name: format!("chaos-{}", node.id),
            data_dir: self.dir.join(format!("node-{slot}")).join("data"),
            client: format!("{ip}:{CLIENT_PORT}"),
            admin: format!("{ip}:{ADMIN_PORT}"),
            internal: format!("{ip}:{INTERNAL_PORT}"),
            gossip: format!("{ip}:{GOSSIP_PORT}"),
            seeds: self.seeds.clone(),
            expect_nodes: shape.nodes as u32,
            replication_factor: shape.replication_factor,
            shards: shape.shards,
            // Small, so snapshots are taken and installed during a run.
            snapshot_threshold: Some(300),
            gossip_interval: None,
            tls: Some(shoal_testkit::pki::node_tls(
                &self.dir.join("certs"),
                node.id,
                ip.parse()?,
            )?),
        };
        spec.write(node.process.config_path())?;
        Ok(())
    }

    /// Starts the spare slot as a brand-new node (empty data, a node id never used before);
    /// returns its node id.
    pub fn add_spare(&mut self) -> Result<u64> {
        let slot = self.nodes.len() as u64;
        let index = self.nodes.len() - 1;
        if !self.nodes[index].parked {
            bail!(
                "the spare slot is still in the cluster (node {})",
                self.nodes[index].id
            );
        }
        self.incarnations += 1;
        let id = slot + 100 * (self.incarnations - 1);
        let data = self.dir.join(format!("node-{slot}")).join("data");
        let _ = std::fs::remove_dir_all(&data);
        self.nodes[index].id = id;
        self.nodes[index].process.id = id;
        self.write_config(&self.nodes[index], slot)?;
        let node = &mut self.nodes[index];
        node.parked = false;
        node.start(0)?;
        Ok(id)
    }

    /// Stops node `id` and takes it out of the cluster's slots (after its decommission).
    pub async fn park(&mut self, id: u64) {
        let node = self.node(id);
        node.stop(Duration::from_secs(20)).await;
        node.parked = true;
    }

    /// The slot running node `id` (node ids of the first slots are their slot numbers).
    pub fn node(&mut self, id: u64) -> &mut Node {
        let index = self
            .nodes
            .iter()
            .position(|n| n.id == id)
            .unwrap_or_else(|| (id as usize).clamp(1, self.nodes.len()) - 1);
        &mut self.nodes[index]
    }

    /// The node in slot `slot` (1-based).
    pub fn slot(&self, slot: u64) -> &Node {
        &self.nodes[(slot as usize).clamp(1, self.nodes.len()) - 1]
    }

    /// Node ids of the nodes in the cluster (parked slots left out).
    pub fn ids(&self) -> Vec<u64> {
        self.nodes
            .iter()
            .filter(|n| !n.parked)
            .map(|n| n.id)
            .collect()
    }

    /// How clients reach the nodes (TLS with the run's CA).
    pub fn connect(&self) -> shoal_client::ConnectOptions {
        self.connect.clone()
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| !n.parked)
            .map(Node::client_address)
            .collect()
    }

    /// The status as some reachable, running node sees it.
    pub async fn status(&self, digests: bool) -> Option<StatusResponse> {
        for node in self.nodes.iter().filter(|n| n.is_running() && !n.paused()) {
            let Some(client) = node.client().await else {
                continue;
            };
            let status = if digests {
                tokio::time::timeout(Duration::from_secs(5), client.status_with_digests()).await
            } else {
                tokio::time::timeout(Duration::from_secs(2), client.status()).await
            };
            if let Ok(Ok(status)) = status {
                return Some(status);
            }
        }
        None
    }

    /// Waits until every node is ready, every shard has a leader, and every replica of every
    /// shard holds the same data at the same applied index. Returns how long it took.
    pub async fn wait_converged(&mut self, deadline: Duration) -> Result<Duration> {
        let started = Instant::now();
        let mut last = String::from("no node answered");
        while started.elapsed() < deadline {
            for node in &mut self.nodes {
                node.check_exited()?;
            }
            match self.convergence().await {
                Ok(()) => return Ok(started.elapsed()),
                Err(why) => last = why,
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        bail!("the cluster did not recover within {deadline:?}: {last}")
    }

    /// The cross-replica consistency check of every shard (`Cluster.CheckConsistency`): Ok
    /// with a one-line summary when every shard is consistent.
    pub async fn check_consistency(&self) -> Result<String> {
        let mut last = anyhow::anyhow!("no node is running");
        let mut answer = None;
        for node in self.nodes.iter().filter(|n| n.is_running() && !n.paused()) {
            let Some(client) = node.client().await else {
                continue;
            };
            match client.check_consistency(None).await {
                Ok(checked) => {
                    answer = Some(checked);
                    break;
                }
                Err(error) => last = error.into(),
            }
        }
        let answer = answer
            .ok_or(last)
            .context("the consistency check did not run")?;
        let bad: Vec<String> = answer
            .shards
            .iter()
            .filter(|shard| shard.verdict != "consistent")
            .map(|shard| {
                format!(
                    "shard {} {}: {}",
                    shard.shard_id, shard.verdict, shard.detail
                )
            })
            .collect();
        if !bad.is_empty() {
            bail!("{}", bad.join("; "));
        }
        let keys: u64 = answer
            .shards
            .iter()
            .map(|shard| shard.replicas.iter().map(|r| r.keys).max().unwrap_or(0))
            .sum();
        Ok(format!(
            "{} shards consistent ({keys} records)",
            answer.shards.len()
        ))
    }

    async fn convergence(&self) -> Result<(), String> {
        for node in self.nodes.iter().filter(|n| !n.parked) {
            if !node.is_ready().await {
                return Err(format!("node {} is not ready", node.id));
            }
        }
        let status = self.status(true).await.ok_or("no node answered")?;
        for shard in &status.shards {
            if shard.leader_id == 0 {
                return Err(format!("shard {} has no leader", shard.shard_id));
            }
            let first = shard.replicas.first().ok_or("a shard without replicas")?;
            for replica in &shard.replicas {
                if !replica.reachable {
                    return Err(format!(
                        "replica of shard {} on node {} unreachable",
                        shard.shard_id, replica.node_id
                    ));
                }
                if replica.digest_applied_index != first.digest_applied_index
                    || replica.data_digest != first.data_digest
                {
                    return Err(format!(
                        "replicas of shard {} differ (node {} at {}, node {} at {})",
                        shard.shard_id,
                        first.node_id,
                        first.digest_applied_index,
                        replica.node_id,
                        replica.digest_applied_index
                    ));
                }
            }
        }
        Ok(())
    }

    /// Stops every node gracefully (SIGKILL after 30 s).
    pub async fn stop(&mut self) {
        for node in &mut self.nodes {
            node.stop(Duration::from_secs(30)).await;
        }
    }
}
