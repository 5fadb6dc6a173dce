//! The `shoal` binary as a user runs it: start a node, use `shoal kv` and
//! `shoal cluster status`, stop it with SIGTERM and get exit code 0.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::shoal_binary;

fn shoal(endpoint: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(crate::support::shoal_binary())
        .args(args)
        .args(["--endpoint", endpoint])
        .output()
        .expect("run shoal");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_session_against_a_real_node() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = ShoalProcess::start(dir.path());
    let endpoint = process.client_address.clone();

    let (code, out, _) = shoal(
        &endpoint,
        &["kv", "put", "greeting", "hello", "--ttl", "1h"],
    );
    assert_eq!(code, 0);
    let version: u64 = out
        .trim()
        .strip_prefix("version ")
        .unwrap()
        .parse()
        .unwrap();

    let (code, out, err) = shoal(&endpoint, &["kv", "get", "greeting"]);
    assert_eq!((code, out.as_str()), (0, "hello\n"));
    assert!(
        err.contains(&format!("version {version}")) && err.contains("expires in"),
        "{err}"
    );

    let (code, _, err) = shoal(
        &endpoint,
        &["kv", "put", "greeting", "bye", "--if-version", "1"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("current version is {version}")),
        "{err}"
    );

    let (code, out, _) = shoal(&endpoint, &["kv", "get", "greeting", "--stale"]);
    assert_eq!((code, out.as_str()), (0, "hello\n"));
    let (code, out, _) = shoal(&endpoint, &["kv", "touch", "greeting"]);
    assert_eq!((code, out.as_str()), (0, "touched\n"));
    let (code, out, _) = shoal(&endpoint, &["kv", "delete", "greeting"]);
    assert_eq!((code, out.as_str()), (0, "deleted\n"));
    let (code, _, err) = shoal(&endpoint, &["kv", "get", "greeting"]);
    assert_eq!(code, 2);
    assert!(err.contains("not found"), "{err}");

    let (code, out, _) = shoal(&endpoint, &["cluster", "status"]);
    assert_eq!(code, 0);
    assert!(out.contains("ready=true"), "{out}");
    let shard_lines = out
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()));
    assert_eq!(
        shard_lines.filter(|l| l.contains(" leader ")).count(),
        16,
        "{out}"
    );

    let (code, _, err) = shoal(&endpoint, &["kv", "put", "", "v"]);
    assert_eq!(code, 1);
    assert!(err.contains("key: must not be empty"), "{err}");

    let status = ureq_get(&process.admin_address, "/readyz");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    let exit = process.terminate();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

#[test]
fn unknown_config_key_stops_the_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("shoal.toml");
    std::fs::write(&config, "[cluster.data]\nshard = 4\n").unwrap();
    let output = Command::new(crate::support::shoal_binary())
        .args(["start", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("shard"), "{err}");
}

/// A minimal HTTP/1.1 GET over a plain socket (the admin server speaks HTTP/1.1).
fn ureq_get(address: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// `shoal start` the way a user runs it: flags only, ephemeral ports, and the ready line it
/// prints on stdout (which this test reads the addresses from).
struct ShoalProcess {
    child: Child,
    client_address: String,
    admin_address: String,
}

impl ShoalProcess {
    /// Starts `shoal start` on `dir` with ephemeral ports and waits for its ready line.
    fn start(dir: &Path) -> ShoalProcess {
        let mut child = Command::new(shoal_binary())
            .args([
                "start",
                "--client-listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
                "--cluster-listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir)
            .env("SHOAL_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn shoal");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = lines
            .next()
            .expect("shoal printed its ready line")
            .expect("readable stdout");
        // "shoal node N ready: client API ADDR, admin http://ADDR"
        let client_address = line
            .split("client API ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("unexpected ready line: {line}"))
            .to_owned();
        let admin_address = line
            .split("admin http://")
            .nth(1)
            .unwrap_or_else(|| panic!("unexpected ready line: {line}"))
            .trim()
            .to_owned();
        ShoalProcess {
            child,
            client_address,
            admin_address,
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        self.child.wait().expect("wait for shoal")
    }
}

impl Drop for ShoalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `shoal health` (the container HEALTHCHECK) as a user runs it: `(exit code, stdout,
/// stderr)`, with none of this process's SHOAL_* variables.
fn health(args: &[&str]) -> (i32, String, String) {
    let output = crate::support::shoal_command()
        .arg("health")
        .args(args)
        .output()
        .expect("run shoal");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoal_health_probes_a_secure_node_with_its_own_config_or_a_ca() {
    let (cluster, _) = crate::support::cluster::ProcessCluster::single_secure_node(|_| {}).await;
    let node = &cluster.nodes[0];
    let config = cluster.dir.path().join("node-1.toml");
    let admin = node.ports.admin.to_string();
    let ca = cluster.dir.path().join("certs/ca.crt");

    // With the node's own config: HTTPS, trusting exactly the node's certificate.
    let (code, out, err) = health(&["--config", config.to_str().unwrap()]);
    assert_eq!((code, out.trim()), (0, "ready"), "{err}");
    let (code, out, err) = health(&["--config", config.to_str().unwrap(), "--live"]);
    assert_eq!((code, out.trim()), (0, "ok"), "{err}");
    // With an address and the CA.
    let https = format!("https://{admin}");
    let (code, _, err) = health(&["--admin", &https, "--ca-file", ca.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Plaintext to an HTTPS port, and a port nobody serves: exit 1, saying why.
    let (code, _, err) = health(&["--admin", &admin]);
    assert_eq!(code, 1);
    assert!(err.contains(&admin), "{err}");
    let (code, _, err) = health(&["--admin", "127.0.0.1:1", "--timeout", "1s"]);
    assert_eq!(code, 1);
    assert!(err.contains("127.0.0.1:1"), "{err}");
}
