//! The cluster under test: real `shoal start` processes, one per node, each on its own
//! loopback address (127.0.0.1x) so that network faults can be aimed at a node.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use shoal_client::{Client, StatusResponse};

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
    config_path: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
    paused: bool,
    /// Not part of the cluster: never started, restarted or counted.
    pub parked: bool,
}

impl Node {
    pub fn client_address(&self) -> String {
        format!("{}:{CLIENT_PORT}", self.ip)
    }

    pub fn admin_address(&self) -> String {
        format!("{}:{ADMIN_PORT}", self.ip)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Starts the process; `clock_offset_ms` shifts its clock (test hook).
    pub fn start(&mut self, shoal: &Path, clock_offset_ms: i64) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let child = Command::new(shoal)
            .arg("start")
            .arg("--config")
            .arg(&self.config_path)
            .arg("--test-faults")
            .arg(format!("--test-clock-offset-ms={clock_offset_ms}"))
            .env("SHOAL_LOG", "info,openraft=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", shoal.display()))?;
        self.child = Some(child);
        self.paused = false;
        Ok(())
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(child.id().to_string())
                .status();
        }
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.paused = false;
    }

    /// SIGTERM, wait up to `timeout` for a clean exit, then SIGKILL.
    pub async fn stop(&mut self, timeout: Duration) -> bool {
        if self.paused {
            self.resume();
        }
        self.signal("TERM");
        let deadline = Instant::now() + timeout;
        while let Some(child) = &mut self.child {
            if let Ok(Some(_)) = child.try_wait() {
                self.child = None;
                return true;
            }
            if Instant::now() > deadline {
                self.kill();
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Fails, with the end of its log, when the process exited by itself.
    pub fn check_exited(&mut self) -> Result<()> {
        let Some(child) = &mut self.child else {
            return Ok(());
        };
        if let Ok(Some(status)) = child.try_wait() {
            self.child = None;
            let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            bail!(
                "node {} exited by itself ({status}); last lines of {}:\n{}",
                self.id,
                self.log_path.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok(())
    }

    pub fn pause(&mut self) {
        self.signal("STOP");
        self.paused = true;
    }

    pub fn resume(&mut self) {
        self.signal("CONT");
        self.paused = false;
    }

    pub async fn client(&self) -> Option<Client> {
        Client::connect(&self.client_address()).await.ok()
    }

    /// `/readyz` answers 200.
    pub async fn is_ready(&self) -> bool {
        http_get(&self.admin_address(), "/readyz")
            .await
            .is_ok_and(|(status, _)| status == 200)
    }

    /// Sends a `/test/faults` query to the node.
    pub async fn faults(&self, query: &str) -> Result<()> {
        let (status, body) =
            http_get(&self.admin_address(), &format!("/test/faults?{query}")).await?;
        if status != 200 {
            bail!("node {}: /test/faults?{query}: {status} {body}", self.id);
        }
        Ok(())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if self.paused {
            self.resume();
        }
        self.kill();
    }
}

/// The whole cluster.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub shoal: PathBuf,
    dir: PathBuf,
    seeds: String,
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
            .map(|ip| format!("\"{ip}:{GOSSIP_PORT}\""))
            .collect();
        let mut cluster = Cluster {
            nodes: Vec::new(),
            shoal: shoal.to_path_buf(),
            dir: dir.to_path_buf(),
            seeds: seeds.join(", "),
            shape: shape.clone(),
            incarnations: 0,
        };
        for (index, ip) in ips.iter().enumerate() {
            let slot = index as u64 + 1;
            let node_dir = dir.join(format!("node-{slot}"));
            std::fs::create_dir_all(&node_dir)?;
            let mut node = Node {
                id: slot,
                ip: ip.clone(),
                config_path: node_dir.join("shoal.toml"),
                log_path: node_dir.join("node.log"),
                child: None,
                paused: false,
                parked: slot > shape.nodes,
            };
            cluster.write_config(&node, slot)?;
            if !node.parked {
                node.start(shoal, 0)?;
            }
            cluster.nodes.push(node);
        }
        Ok(cluster)
    }

    fn write_config(&self, node: &Node, slot: u64) -> Result<()> {
        let shape = &self.shape;
        let ip = &node.ip;
        let node_dir = self.dir.join(format!("node-{slot}"));
        let config = format!(
            "[server]\n\
             data_dir = \"{data}\"\n\
             client_listen = \"{ip}:{CLIENT_PORT}\"\n\
             admin_listen = \"{ip}:{ADMIN_PORT}\"\n\
             \n\
             [cluster]\n\
             enabled = true\n\
             insecure = true\n\
             node_id = {id}\n\
             node_name = \"chaos-{id}\"\n\
             listen_address = \"{ip}:{INTERNAL_PORT}\"\n\
             advertise_address = \"{ip}:{INTERNAL_PORT}\"\n\
             gossip_listen = \"{ip}:{GOSSIP_PORT}\"\n\
             \n\
             [cluster.discovery]\n\
             seeds = [{seeds}]\n\
             \n\
             [cluster.bootstrap]\n\
             expect_nodes = {nodes}\n\
             \n\
             [cluster.data]\n\
             replication_factor = {rf}\n\
             shards = {shards}\n\
             \n\
             [cluster.raft]\n\
             # Small, so snapshots are taken and installed during a run.\n\
             snapshot_threshold = 300\n",
            data = node_dir.join("data").display(),
            id = node.id,
            seeds = self.seeds,
            nodes = shape.nodes,
            rf = shape.replication_factor,
            shards = shape.shards,
        );
        std::fs::write(&node.config_path, config)?;
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
        self.write_config(&self.nodes[index], slot)?;
        let shoal = self.shoal.clone();
        let node = &mut self.nodes[index];
        node.parked = false;
        node.start(&shoal, 0)?;
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

    pub fn endpoints(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| !n.parked)
            .map(Node::client_address)
            .collect()
    }

    /// The status as some reachable, running node sees it.
    pub async fn status(&self, digests: bool) -> Option<StatusResponse> {
        for node in self.nodes.iter().filter(|n| n.is_running() && !n.paused) {
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

/// A minimal HTTP/1.1 GET (the admin port speaks plain HTTP/1.1).
async fn http_get(address: &str, path: &str) -> Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        anyhow::Ok(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .context("admin request timed out")??;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("malformed HTTP response")?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
