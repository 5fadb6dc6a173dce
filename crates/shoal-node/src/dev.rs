//! `shoal dev --nodes N`: a local playground — N `shoal start` child processes forming one
//! cluster on loopback, their endpoints printed, all stopped cleanly on Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::config::Config;

/// Settings of the playground.
#[derive(Debug, Clone)]
pub struct DevOptions {
    pub nodes: u32,
    /// Where node data, configs and logs go; a fresh temporary directory when absent.
    pub data_dir: Option<PathBuf>,
    /// Ports of node `i` (from 1) are this plus `100 * i`: client 5344+, internal 5343+,
    /// gossip 5345+, admin 9343+ by default.
    pub port_offset: u16,
    pub shards: u32,
}

struct DevNode {
    id: u32,
    child: Child,
    client: String,
    admin: String,
    log: PathBuf,
}

/// Writes the config of node `id` and returns it.
fn node_config(dir: &Path, id: u32, options: &DevOptions) -> Result<(Config, PathBuf)> {
    let port = |base: u16| base + options.port_offset + 100 * id as u16;
    let address = |base: u16| format!("127.0.0.1:{}", port(base));
    let mut config = Config::default();
    config.server.data_dir = dir.join(format!("node-{id}"));
    config.server.client_listen = address(5344).parse()?;
    config.server.admin_listen = address(9343).parse()?;
    config.cluster.enabled = true;
    config.cluster.insecure = true;
    config.cluster.node_id = Some(u64::from(id));
    config.cluster.node_name = Some(format!("dev-{id}"));
    config.cluster.listen_address = address(5343).parse()?;
    config.cluster.advertise_address = Some(address(5343));
    config.cluster.gossip_listen = address(5345).parse()?;
    config.cluster.discovery.seeds = (1..=options.nodes)
        .map(|n| format!("127.0.0.1:{}", 5345 + options.port_offset + 100 * n as u16))
        .collect();
    config.cluster.bootstrap.expect_nodes = options.nodes;
    config.cluster.data.replication_factor = options.nodes.min(3);
    config.cluster.data.shards = options.shards;
    config.validate()?;
    let path = dir.join(format!("node-{id}.toml"));
    std::fs::write(&path, toml::to_string(&config)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok((config, path))
}

async fn ready(admin: &str) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(admin).await else {
        return false;
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response).await;
    response.starts_with("HTTP/1.1 200")
}

fn terminate(child: &Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
}

/// Runs the playground until Ctrl-C or SIGTERM.
pub async fn run(options: DevOptions) -> Result<()> {
    if !(1..=9).contains(&options.nodes) {
        bail!("--nodes must be between 1 and 9, got {}", options.nodes);
    }
    let temporary = match &options.data_dir {
        Some(_) => None,
        None => Some(tempfile::Builder::new().prefix("shoal-dev-").tempdir()?),
    };
    let dir = match (&options.data_dir, &temporary) {
        (Some(dir), _) => dir.clone(),
        (None, Some(temp)) => temp.path().to_path_buf(),
        (None, None) => unreachable!("a temporary directory was made"),
    };
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe().context("finding the shoal binary")?;
    let mut nodes = Vec::new();
    for id in 1..=options.nodes {
        let (config, path) = node_config(&dir, id, &options)?;
        let log = dir.join(format!("node-{id}.log"));
        let child = Command::new(&exe)
            .arg("start")
            .arg("--config")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting node {id}"))?;
        nodes.push(DevNode {
            id,
            child,
            client: config.server.client_listen.to_string(),
            admin: config.server.admin_listen.to_string(),
            log,
        });
    }
    println!("starting {} nodes in {}", options.nodes, dir.display());
    let started = Instant::now();
    let mut terminate_signal =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // Wait for every node to be ready (or for the user to give up).
    loop {
        let mut all = true;
        for node in &mut nodes {
            if let Some(status) = node.child.try_wait()? {
                bail!(
                    "node {} exited during start ({status}); see {}",
                    node.id,
                    node.log.display()
                );
            }
            all &= ready(&node.admin).await;
        }
        if all {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!(
                "the nodes were not ready after 2 minutes; logs are in {}",
                dir.display()
            );
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return stop(nodes).await,
            _ = terminate_signal.recv() => return stop(nodes).await,
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
    println!(
        "cluster of {} nodes ready in {:.1?}:",
        nodes.len(),
        started.elapsed()
    );
    for node in &nodes {
        println!(
            "  node {}: client {}  admin http://{}  log {}",
            node.id,
            node.client,
            node.admin,
            node.log.display()
        );
    }
    let first = &nodes[0].client;
    println!();
    println!("try:  shoal kv put hello world --endpoint {first}");
    println!("      shoal cluster status --endpoint {first}");
    println!("Ctrl-C stops every node.");
    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = terminate_signal.recv() => Ok(()),
        died = first_exit(&mut nodes) => Err(died),
    };
    stop(nodes).await?;
    if let Err(message) = outcome {
        bail!(message);
    }
    Ok(())
}

/// Resolves when any node exits by itself.
async fn first_exit(nodes: &mut [DevNode]) -> String {
    loop {
        for node in nodes.iter_mut() {
            if let Ok(Some(status)) = node.child.try_wait() {
                return format!(
                    "node {} exited by itself ({status}); see {}",
                    node.id,
                    node.log.display()
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SIGTERM to every node, then wait (SIGKILL after 30 s).
async fn stop(mut nodes: Vec<DevNode>) -> Result<()> {
    println!("stopping {} nodes…", nodes.len());
    for node in &nodes {
        terminate(&node.child);
    }
    for node in &mut nodes {
        match tokio::time::timeout(Duration::from_secs(30), node.child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => eprintln!("node {} exited with {status}", node.id),
            Ok(Err(error)) => eprintln!("node {}: {error}", node.id),
            Err(_) => {
                eprintln!("node {} did not stop within 30 s; killing it", node.id);
                let _ = node.child.kill().await;
            }
        }
    }
    println!("stopped");
    Ok(())
}
