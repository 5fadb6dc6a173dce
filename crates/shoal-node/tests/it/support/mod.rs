//! Shared helpers of the node integration tests: in-process nodes on ephemeral ports,
//! real `shoal` processes, and waiting for a condition with a deadline.

pub mod cluster;
pub mod load;

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shoal_client::Client;
use shoal_node::config::Config;
use shoal_node::node::RunningNode;

/// The `shoal` binary under test: this build's, or `TEST_SHOAL_BINARY` (e.g. a release build, to
/// measure timings with the same tests: `TEST_SHOAL_BINARY=$PWD/target/release/shoal cargo test …`).
pub fn shoal_binary() -> std::path::PathBuf {
    std::env::var_os("TEST_SHOAL_BINARY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_shoal").into())
}

/// A config for a test node in `dir` with every port ephemeral.
pub fn test_config(dir: &Path) -> Config {
    let mut config = Config::default();
    config.server.data_dir = dir.to_path_buf();
    config.server.client_listen = "127.0.0.1:0".parse().unwrap();
    config.server.admin_listen = "127.0.0.1:0".parse().unwrap();
    config.cluster.listen_address = "127.0.0.1:0".parse().unwrap();
    config.server.expiry_interval = Duration::from_millis(100);
    config
}

/// Starts an in-process node and a client connected to it.
pub async fn start_node(config: Config) -> (RunningNode, Client) {
    let node = shoal_node::node::start(config).await.expect("node starts");
    let client = Client::connect(&node.client_address.to_string())
        .await
        .expect("client connects");
    (node, client)
}

/// Polls `condition` until it returns `Some`, failing the test after `deadline`.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, mut condition: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = condition().await {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A real `shoal start` process.
pub struct ShoalProcess {
    pub child: Child,
    pub client_address: String,
    pub admin_address: String,
}

impl ShoalProcess {
    /// Starts `shoal start` on `dir` with ephemeral ports and waits for its ready line.
    pub fn start(dir: &Path) -> ShoalProcess {
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

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
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
