//! `shoal dev --nodes N`: a local playground — N `shoal start` child processes forming one
//! cluster on loopback, their endpoints printed, all stopped cleanly on Ctrl-C.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use shoal_testkit::NodeProcess;

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
    /// Plaintext everywhere (no certificates); otherwise mTLS between the nodes and TLS
    /// for clients, with certificates made in `<dir>/certs`.
    pub insecure: bool,
    /// Every node exports its traces here (OTLP/gRPC), when given.
    pub otlp_endpoint: Option<String>,
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
    if options.insecure {
        config.cluster.insecure = true;
    } else {
        let certs = dir.join("certs");
        let cert = certs.join(format!("node-{id}.crt"));
        let key = certs.join(format!("node-{id}.key"));
        if !cert.exists() || !key.exists() {
            crate::certs::generate(
                &certs,
                &crate::certs::CertsRequest::Node {
                    id: u64::from(id),
                    addresses: vec!["127.0.0.1".into(), "localhost".into()],
                },
                crate::certs::LEAF_DAYS,
                true,
            )?;
        }
        config.cluster.tls = crate::config::TlsConfig {
            cert_file: Some(cert.clone()),
            key_file: Some(key.clone()),
            client_ca_file: Some(certs.join("ca.crt")),
        };
        config.server.tls.cert_file = Some(cert);
        config.server.tls.key_file = Some(key);
        config.cluster.gossip.key_file = Some(certs.join("gossip.key"));
        config.server.auth.enabled = true;
    }
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
    // The nodes log the way the user asked `shoal dev` to (SHOAL_LOG_FORMAT).
    config.telemetry.log_format = crate::telemetry::LogFormat::from_env()?;
    config.telemetry.otlp_endpoint = options.otlp_endpoint.clone();
    config.validate()?;
    let path = dir.join(format!("node-{id}.toml"));
    std::fs::write(&path, toml::to_string(&config)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok((config, path))
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
    let certs = dir.join("certs");
    if !options.insecure && !certs.join("ca.crt").exists() {
        crate::certs::generate(
            &certs,
            &crate::certs::CertsRequest::Ca,
            crate::certs::CA_DAYS,
            true,
        )?;
        crate::certs::generate_gossip_key(&certs, true)?;
    }
    let exe = std::env::current_exe().context("finding the shoal binary")?;
    // How this process reaches the nodes' admin ports (HTTPS when secure).
    let connect = if options.insecure {
        shoal_client::ConnectOptions::plaintext()
    } else {
        shoal_client::ConnectOptions::tls(certs.join("ca.crt"), None)?
    };
    let admin_scheme = if options.insecure { "http" } else { "https" };
    let mut nodes = Vec::new();
    for id in 1..=options.nodes {
        let (config, path) = node_config(&dir, id, &options)?;
        let mut node = NodeProcess::new(
            &exe,
            u64::from(id),
            path,
            dir.join(format!("node-{id}.log")),
            config.server.client_listen.to_string(),
            config.server.admin_listen.to_string(),
        )
        // The user's own log filter, when set; nothing else of the caller's SHOAL_* leaks.
        .with_log_filter(
            &std::env::var("SHOAL_LOG").unwrap_or_else(|_| "info,openraft=error".into()),
        )
        .with_connect(connect.clone());
        node.start()
            .with_context(|| format!("starting node {id}"))?;
        nodes.push(node);
    }
    println!("starting {} nodes in {}", options.nodes, dir.display());
    let started = Instant::now();
    let mut terminate_signal =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // Wait for every node to be ready (or for the user to give up).
    let all_ready = async {
        for node in &mut nodes {
            node.wait_ready(Duration::from_secs(120)).await?;
        }
        anyhow::Ok(())
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => return stop(nodes).await,
        _ = terminate_signal.recv() => return stop(nodes).await,
        ready = all_ready => if let Err(error) = ready {
            stop(nodes).await?;
            return Err(error.context(format!("logs are in {}", dir.display())));
        },
    }
    println!(
        "cluster of {} nodes ready in {:.1?}:",
        nodes.len(),
        started.elapsed()
    );
    for node in &nodes {
        println!(
            "  node {}: client {}  admin {admin_scheme}://{}  log {}",
            node.id,
            node.client_address(),
            node.admin_address(),
            node.log_path().display()
        );
    }
    let first = nodes[0].client_address().to_owned();
    println!();
    if options.insecure {
        println!("plaintext (--insecure): anyone who reaches these ports is trusted");
        println!("try:  shoal kv put hello world --endpoint {first}");
        println!("      shoal cluster status --endpoint {first}");
    } else {
        let ca = certs.join("ca.crt");
        let admin_key = admin_key_file(&dir, options.nodes).await?;
        println!("secure: mTLS between the nodes, signed gossip, TLS and API keys for clients");
        println!("try:  export SHOAL_CA_FILE={}", ca.display());
        println!("      export SHOAL_API_KEY=$(cat {})", admin_key.display());
        println!("      shoal kv put hello world --endpoint {first}");
        println!("      shoal cluster status --endpoint {first}");
    }
    let ui_note = if options.insecure {
        ""
    } else {
        " (the browser must trust the CA above)"
    };
    println!(
        "status page: {admin_scheme}://{}/ui{ui_note}",
        nodes[0].admin_address()
    );
    if let Some(endpoint) = &options.otlp_endpoint {
        println!("traces: every node exports its spans to {endpoint} (OTLP/gRPC)");
    }
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

/// The bootstrap admin key's file: in the data dir of whichever node made it.
async fn admin_key_file(dir: &Path, nodes: u32) -> Result<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = (1..=nodes)
            .map(|id| dir.join(format!("node-{id}/admin.key")))
            .find(|path| path.exists())
        {
            return Ok(found);
        }
        if Instant::now() > deadline {
            bail!(
                "no node wrote the bootstrap admin key within 60 s; logs are in {}",
                dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Resolves when any node exits by itself.
async fn first_exit(nodes: &mut [NodeProcess]) -> String {
    loop {
        for node in nodes.iter_mut() {
            if let Err(error) = node.check_exited() {
                return error.to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SIGTERM to every node, then wait (SIGKILL after 30 s).
async fn stop(mut nodes: Vec<NodeProcess>) -> Result<()> {
    println!("stopping {} nodes…", nodes.len());
    for node in &mut nodes {
        match node.stop(Duration::from_secs(30)).await {
            Some(status) if status.success() => {}
            Some(status) => eprintln!("node {} exited with {status}", node.id),
            None => eprintln!("node {} did not stop within 30 s; killed", node.id),
        }
    }
    println!("stopped");
    Ok(())
}
