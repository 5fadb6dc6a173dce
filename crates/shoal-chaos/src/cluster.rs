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

/// One node: its address, files and process.
pub struct Node {
    pub id: u64,
    pub ip: String,
    config_path: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
    paused: bool,
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
}

impl Cluster {
    /// Writes every node's config under `dir` and starts all of them.
    pub fn start(shoal: &Path, dir: &Path, shape: &Shape) -> Result<Cluster> {
        let ips: Vec<String> = (1..=shape.nodes)
            .map(|id| format!("127.0.0.{}", 10 + id))
            .collect();
        let seeds: Vec<String> = ips
            .iter()
            .map(|ip| format!("\"{ip}:{GOSSIP_PORT}\""))
            .collect();
        let mut nodes = Vec::new();
        for (index, ip) in ips.iter().enumerate() {
            let id = index as u64 + 1;
            let node_dir = dir.join(format!("node-{id}"));
            std::fs::create_dir_all(&node_dir)?;
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
                seeds = seeds.join(", "),
                nodes = shape.nodes,
                rf = shape.replication_factor,
                shards = shape.shards,
            );
            let config_path = node_dir.join("shoal.toml");
            std::fs::write(&config_path, config)?;
            let mut node = Node {
                id,
                ip: ip.clone(),
                config_path,
                log_path: node_dir.join("node.log"),
                child: None,
                paused: false,
            };
            node.start(shoal, 0)?;
            nodes.push(node);
        }
        Ok(Cluster {
            nodes,
            shoal: shoal.to_path_buf(),
        })
    }

    pub fn node(&mut self, id: u64) -> &mut Node {
        &mut self.nodes[id as usize - 1]
    }

    pub fn ids(&self) -> Vec<u64> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.nodes.iter().map(Node::client_address).collect()
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
        for node in &self.nodes {
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
