//! One real `shoal start --config FILE` process: the one wrapper around the binary that the
//! integration tests, the chaos runner and `shoal dev` use.
//!
//! The child never inherits the caller's `SHOAL_*` variables (shoal reads every one of
//! them as configuration): its configuration is its file and the flags given here. Its
//! stdout is dropped and its stderr (the log) appended to a file, which failures quote.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use backon::{BackoffBuilder, ConstantBuilder};
use shoal_client::Client;

use crate::http::admin_get_with;

/// A `shoal start` process of one node.
#[derive(Debug)]
pub struct NodeProcess {
    /// The node id it runs as.
    pub id: u64,
    binary: PathBuf,
    config_path: PathBuf,
    log_path: PathBuf,
    client_address: String,
    admin_address: String,
    /// Extra `shoal start` flags (test hooks) and the log filter.
    flags: Vec<String>,
    log_filter: String,
    /// How [`NodeProcess::client`] reaches the node (TLS, API key).
    connect: shoal_client::ConnectOptions,
    child: Option<Child>,
    paused: bool,
}

impl NodeProcess {
    /// A node run from `config_path` (written by the caller), logging to `log_path`; the
    /// addresses are those its config listens on. Not started yet.
    pub fn new(
        binary: &Path,
        id: u64,
        config_path: PathBuf,
        log_path: PathBuf,
        client_address: String,
        admin_address: String,
    ) -> NodeProcess {
        NodeProcess {
            id,
            binary: binary.to_path_buf(),
            config_path,
            log_path,
            client_address,
            admin_address,
            flags: Vec::new(),
            log_filter: "info,openraft=warn".into(),
            connect: shoal_client::ConnectOptions::default(),
            child: None,
            paused: false,
        }
    }

    /// How clients reach the node (a node with TLS on its client API needs the CA).
    pub fn with_connect(mut self, connect: shoal_client::ConnectOptions) -> NodeProcess {
        self.connect = connect;
        self
    }

    /// Extra flags of every start (e.g. the hidden test hooks).
    pub fn with_flags(mut self, flags: &[String]) -> NodeProcess {
        self.flags = flags.to_vec();
        self
    }

    /// The log filter (`SHOAL_LOG`) of every start.
    pub fn with_log_filter(mut self, filter: &str) -> NodeProcess {
        self.log_filter = filter.to_owned();
        self
    }

    pub fn client_address(&self) -> &str {
        &self.client_address
    }

    pub fn admin_address(&self) -> &str {
        &self.admin_address
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The resident set size of the running process (Linux `/proc`), in bytes.
    pub fn rss_bytes(&self) -> Option<u64> {
        rss_of(self.pid()?)
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Starts the process (no-op when it runs), with `extra` flags for this start only.
    pub fn start_with(&mut self, extra: &[String]) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .with_context(|| format!("opening {}", self.log_path.display()))?;
        let mut command = Command::new(&self.binary);
        command
            .arg("start")
            .arg("--config")
            .arg(&self.config_path)
            .args(&self.flags)
            .args(extra);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SHOAL_") {
                command.env_remove(name);
            }
        }
        let child = command
            .env("SHOAL_LOG", &self.log_filter)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        self.child = Some(child);
        self.paused = false;
        Ok(())
    }

    /// Starts the process (no-op when it runs).
    pub fn start(&mut self) -> Result<()> {
        self.start_with(&[])
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(child.id().to_string())
                .status();
        }
    }

    /// SIGKILL, and reap: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        if self.paused {
            self.resume();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait up to `timeout` for the exit (then SIGKILL); the exit status when it
    /// exited by itself.
    pub async fn stop(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if self.paused {
            self.resume();
        }
        self.signal("TERM");
        let deadline = Instant::now() + timeout;
        while let Some(child) = &mut self.child {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                self.kill();
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// SIGSTOP: the process freezes (sockets open, nothing answered).
    pub fn pause(&mut self) {
        self.signal("STOP");
        self.paused = true;
    }

    /// SIGCONT.
    pub fn resume(&mut self) {
        self.signal("CONT");
        self.paused = false;
    }

    /// The last `lines` lines of the node's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(lines).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Fails, quoting the end of its log, when the process exited by itself.
    pub fn check_exited(&mut self) -> Result<()> {
        let Some(child) = &mut self.child else {
            return Ok(());
        };
        if let Ok(Some(status)) = child.try_wait() {
            self.child = None;
            bail!(
                "node {} exited by itself ({status}); last lines of {}:\n{}",
                self.id,
                self.log_path.display(),
                self.log_tail(20)
            );
        }
        Ok(())
    }

    /// `/readyz` answers 200.
    pub async fn is_ready(&self) -> bool {
        self.admin_get("/readyz")
            .await
            .is_ok_and(|(status, _)| status == 200)
    }

    /// Waits up to `within` for `/readyz` to answer 200; fails early, quoting the log, when
    /// the process exits, and at the deadline with what `/readyz` last said.
    pub async fn wait_ready(&mut self, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        let mut pauses = ConstantBuilder::default()
            .with_delay(Duration::from_millis(100))
            .without_max_times()
            .build();
        loop {
            self.check_exited()?;
            let said = match self.admin_get("/readyz").await {
                Ok((200, _)) => return Ok(()),
                Ok((_, body)) => body.trim().to_owned(),
                Err(error) => error.to_string(),
            };
            if Instant::now() >= deadline {
                bail!(
                    "node {} was not ready within {within:?} (/readyz: {said}); last lines of {}:\n{}",
                    self.id,
                    self.log_path.display(),
                    self.log_tail(20)
                );
            }
            tokio::time::sleep(pauses.next().unwrap_or(Duration::from_millis(100))).await;
        }
    }

    /// `GET path` on the node's admin port (HTTPS when the node's client API has TLS).
    pub async fn admin_get(&self, path: &str) -> Result<(u16, String)> {
        admin_get_with(&self.admin_address, path, &self.connect).await
    }

    /// A client of the node.
    pub async fn client(&self) -> Result<Client> {
        Ok(Client::connect_with(&self.client_address, &self.connect).await?)
    }

    /// Sends a `/test/faults` query (the node must run with `--test-faults`).
    pub async fn faults(&self, query: &str) -> Result<()> {
        let (status, body) = self.admin_get(&format!("/test/faults?{query}")).await?;
        if status != 200 {
            bail!("node {}: /test/faults?{query}: {status} {body}", self.id);
        }
        Ok(())
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The resident set size of process `pid` (Linux `/proc`), in bytes.
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}
