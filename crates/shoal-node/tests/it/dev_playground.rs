//! `shoal dev --nodes 3`: a local, secure (certificates made for it) cluster of child
//! processes that serves requests and stops
//! cleanly on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use shoal_client::{Client, PutOptions};

/// An offset under which every port `shoal dev` would use for 3 nodes is free right now.
fn free_offset() -> u16 {
    for offset in (20_000u16..40_000)
        .step_by(1_000)
        .map(|o| o + (std::process::id() % 997) as u16)
    {
        let free = (1..=3u16).all(|i| {
            [5343u16, 5344, 9343].iter().all(|base| {
                std::net::TcpListener::bind(("127.0.0.1", base + offset + 100 * i)).is_ok()
            }) && std::net::UdpSocket::bind(("127.0.0.1", 5345 + offset + 100 * i)).is_ok()
        });
        if free {
            return offset;
        }
    }
    panic!("no free port range");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_starts_a_three_node_cluster_and_stops_it_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let offset = free_offset();
    let mut child = Command::new(crate::support::shoal_binary())
        .args([
            "dev",
            "--nodes",
            "3",
            "--shards",
            "4",
            "--port-offset",
            &offset.to_string(),
            "--data-dir",
        ])
        .arg(dir.path())
        // The nodes log one JSON object per line, as `shoal dev` was asked to.
        .env("SHOAL_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (sender, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut endpoints = Vec::new();
    let mut ca_file = None;
    let mut key_file = None;
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .expect("shoal dev reported its cluster");
        if let Some(rest) = line.trim().strip_prefix("node ")
            && let Some(client) = rest.split("client ").nth(1)
        {
            endpoints.push(client.split_whitespace().next().unwrap().to_owned());
        }
        if let Some(path) = line.trim().strip_prefix("try:  export SHOAL_CA_FILE=") {
            ca_file = Some(path.to_owned());
        }
        if let Some(command) = line.trim().strip_prefix("export SHOAL_API_KEY=$(cat ") {
            key_file = Some(command.trim_end_matches(')').to_owned());
        }
        if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    assert_eq!(endpoints.len(), 3, "{endpoints:?}");
    // Secure by default: TLS with the CA it made and printed.
    let ca_file = ca_file.expect("shoal dev printed its CA file");
    assert!(
        ca_file.starts_with(dir.path().to_str().unwrap()),
        "{ca_file}"
    );
    let key_file = key_file.expect("shoal dev printed where its admin key is");
    let key = std::fs::read_to_string(&key_file).unwrap();
    let tls = shoal_client::ConnectOptions::tls(&ca_file, None)
        .unwrap()
        .with_api_key(&key)
        .unwrap();
    let plaintext = Client::connect(&endpoints[0]).await.unwrap();
    assert!(
        plaintext.get("dev-key", false).await.is_err(),
        "plaintext is refused"
    );
    let first = Client::connect_with(&endpoints[0], &tls).await.unwrap();
    let version = first
        .put("dev-key", "dev", PutOptions::default())
        .await
        .unwrap();
    let last = Client::connect_with(&endpoints[2], &tls).await.unwrap();
    let read = last.get("dev-key", false).await.unwrap().unwrap();
    assert_eq!(
        (read.value.as_slice(), read.version),
        (&b"dev"[..], version)
    );

    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "shoal dev exited with {status}");
    // Every line it printed, up to the end of its stdout.
    reader.join().unwrap();
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(rest.iter().any(|l| l == "stopped"), "{rest:?}");
    assert!(
        Client::connect(&endpoints[0]).await.is_err() || first.get("dev-key", true).await.is_err()
    );
    // A whole cluster stopped on Ctrl-C is a graceful shutdown: no node logs an ERROR
    // (an ERROR line means an operator should look), and every line is one JSON object.
    for id in 1..=3 {
        let path = dir.path().join(format!("node-{id}.log"));
        let log = std::fs::read_to_string(&path).unwrap();
        assert!(
            log.lines().count() > 3,
            "node {id} logged almost nothing:\n{log}"
        );
        for line in log.lines() {
            let event: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("node {id}: not a JSON line ({e}): {line}"));
            assert_ne!(event["level"], "ERROR", "node {id} logged an error: {line}");
        }
    }
}
