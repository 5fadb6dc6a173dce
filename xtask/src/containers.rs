//! `cargo xtask containers`: the Docker Compose cluster of `deploy/compose/`, exercised with
//! real containers the way an operator would — image built from our own binary, `up`,
//! wait until every node is ready, `shoal verify` through the published ports while the
//! container leading the most shards is killed (`docker kill`: SIGKILL) and then started
//! again with its volume, a cross-replica check that the restarted node caught up, and
//! everything torn down (containers, network, volumes, image) even on failure.
//!
//! The test talks to the containers only through ports published on 127.0.0.1; the nodes
//! talk to each other on the project's own Docker network, by service name (so name
//! resolution inside the image is exercised: every peer address is a DNS name). Every wait
//! has a deadline. Without a Docker engine it says so and skips.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::image::{self, ImageRequest};

/// What the run measured, for the closing note and docs/benchmarks.md.
#[derive(Debug)]
pub struct Figures {
    pub image_bytes: u64,
    pub up_to_ready: Duration,
    pub killed_node: u64,
    pub leaders_moved_in: Duration,
    pub restart_to_ready: Duration,
    pub verify_summary: String,
}

/// Runs the scenario with `binary` (in the image, and as the CLI on the host). Returns
/// None when there is no Docker engine (after saying why).
pub fn run(root: &Path, binary: &Path) -> Result<Option<Figures>> {
    if let Err(why) = image::docker_available() {
        println!("containers: SKIPPED — no Docker engine here ({why})");
        return Ok(None);
    }
    let Some(compose) = compose_program() else {
        println!(
            "containers: SKIPPED — neither docker-compose nor the Compose plugin (docker compose) \
             is installed"
        );
        return Ok(None);
    };
    let binary = binary
        .canonicalize()
        .with_context(|| format!("{} (build it first)", binary.display()))?;
    let run_id = format!("{}{}", std::process::id(), rand_suffix());
    let tag = format!("shoal-containers-test:{run_id}");
    let built = Instant::now();
    let image_bytes = image::build(&ImageRequest {
        binary: binary.clone(),
        dockerfile: root.join("deploy/docker/Dockerfile"),
        tag: tag.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        revision: git_revision(root),
    })?;
    println!(
        "containers: image {tag} built in {:.0?}: {:.1} MB",
        built.elapsed(),
        image_bytes as f64 / 1e6
    );
    let secrets = tempfile::tempdir()?;
    let ports = free_ports(6)?;
    let cluster = Compose {
        root: root.to_path_buf(),
        project: format!("shoaltest{run_id}"),
        tag,
        secrets: secrets.path().to_path_buf(),
        client_ports: [ports[0], ports[1], ports[2]],
        admin_ports: [ports[3], ports[4], ports[5]],
        cli: binary,
        compose,
    };
    let figures = cluster.scenario(image_bytes);
    if figures.is_err() {
        cluster.show_logs();
    }
    cluster.tear_down();
    let figures = figures?;
    println!("containers: {figures:#?}");
    Ok(Some(figures))
}

struct Compose {
    root: PathBuf,
    project: String,
    tag: String,
    secrets: PathBuf,
    client_ports: [u16; 3],
    admin_ports: [u16; 3],
    cli: PathBuf,
    /// `docker-compose` (Debian's 1.29), or `docker compose` (the v2 plugin).
    compose: Vec<String>,
}

/// How to call Compose here: Debian's `docker-compose`, else the v2 plugin.
fn compose_program() -> Option<Vec<String>> {
    if which("docker-compose").is_some() {
        return Some(vec!["docker-compose".into()]);
    }
    let plugin = Command::new("docker").args(["compose", "version"]).output();
    matches!(plugin, Ok(output) if output.status.success())
        .then(|| vec!["docker".into(), "compose".into()])
}

impl Compose {
    fn scenario(&self, image_bytes: u64) -> Result<Figures> {
        let started = Instant::now();
        self.compose(&["up", "-d"])?;
        for node in 1..=3 {
            self.wait_until_ready(node, Duration::from_secs(180))?;
        }
        let up_to_ready = started.elapsed();
        println!("containers: 3 nodes ready {up_to_ready:.1?} after `up`");
        // The nodes know each other by service name: every address a peer dials is a DNS
        // name, resolved inside the image (glibc, /etc/nsswitch.conf, Docker's DNS).
        let members = self.members(1)?;
        let by_name = (1..=3).all(|n| {
            members
                .iter()
                .any(|address| address == &format!("shoal-{n}:5343"))
        });
        if !by_name {
            bail!("the members are not known by their service names: {members:?}");
        }
        self.wait_for(
            "every shard to have a leader",
            Duration::from_secs(60),
            || {
                let leaders = self.leaders(1)?;
                Ok(!leaders.is_empty() && leaders.iter().all(|(_, leader)| *leader != 0))
            },
        )?;

        // The checked workload through all three published client ports.
        let log = self.secrets.join("verify.log");
        let mut verify = self
            .cli_command()
            .args([
                "verify",
                "--duration",
                "45s",
                "--clients",
                "8",
                "--endpoints",
            ])
            .arg(self.endpoints().join(","))
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting shoal verify")?;
        let result = self.faults_under(&mut verify, &log);
        if result.is_err() {
            let _ = verify.kill();
        }
        let (killed_node, leaders_moved_in, restart_to_ready) = result?;
        let status = wait_child(&mut verify, Duration::from_secs(180))?;
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        print!("{output}");
        if !status.success() || !output.contains("PASS") {
            bail!("shoal verify failed across the kill and restart ({status}):\n{output}");
        }
        let verify_summary = output
            .lines()
            .find(|line| line.contains("operations ("))
            .unwrap_or_default()
            .to_owned();

        // The restarted node caught up: every replica of every shard holds the same data.
        self.wait_for(
            "the consistency check to pass on every shard",
            Duration::from_secs(120),
            || {
                let check = self
                    .cli_command()
                    .args(["cluster", "check", "--endpoint", &self.endpoints()[0]])
                    .output()?;
                Ok(check.status.success())
            },
        )?;
        Ok(Figures {
            image_bytes,
            up_to_ready,
            killed_node,
            leaders_moved_in,
            restart_to_ready,
            verify_summary,
        })
    }

    /// While `verify` runs: kill the node leading the most shards, see its leaderships
    /// move, start it again with its volume, see it ready. Returns the node and the times.
    fn faults_under(&self, verify: &mut Child, log: &Path) -> Result<(u64, Duration, Duration)> {
        let progressed = |operations: u64| -> Result<bool> {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            Ok(sent_so_far(&text) >= operations)
        };
        self.wait_for("the workload to get going", Duration::from_secs(60), || {
            progressed(1)
        })?;
        // The node that leads the most shards.
        let leaders = self.leaders(1)?;
        let mut count = [0usize; 4];
        for (_, leader) in &leaders {
            if let Some(slot) = count.get_mut(*leader as usize) {
                *slot += 1;
            }
        }
        let victim = (1..=3u64).max_by_key(|n| count[*n as usize]).unwrap_or(1);
        let survivor = if victim == 1 { 2 } else { 1 };
        println!(
            "containers: killing shoal-{victim} (leads {} of {} shards)",
            count[victim as usize],
            leaders.len()
        );
        let killed = Instant::now();
        self.compose(&["kill", "-s", "SIGKILL", &format!("shoal-{victim}")])?;
        self.wait_for(
            "every shard to elect a leader among the survivors",
            Duration::from_secs(60),
            || {
                Ok(self
                    .leaders(survivor)
                    .map(|leaders| {
                        !leaders.is_empty() && leaders.iter().all(|(_, l)| *l != 0 && *l != victim)
                    })
                    .unwrap_or(false))
            },
        )?;
        let leaders_moved_in = killed.elapsed();
        println!("containers: leaderships moved off shoal-{victim} in {leaders_moved_in:.1?}");
        if let Some(status) = verify.try_wait()? {
            bail!("shoal verify ended early ({status})");
        }
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let before = sent_so_far(&text);
        self.wait_for(
            "the workload to go on without the killed node",
            Duration::from_secs(30),
            || progressed(before + 1),
        )?;
        let restarted = Instant::now();
        self.compose(&["start", &format!("shoal-{victim}")])?;
        self.wait_until_ready(victim, Duration::from_secs(120))?;
        let restart_to_ready = restarted.elapsed();
        println!("containers: shoal-{victim} ready again {restart_to_ready:.1?} after `start`");
        Ok((victim, leaders_moved_in, restart_to_ready))
    }

    fn endpoints(&self) -> Vec<String> {
        self.client_ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect()
    }

    /// The internal addresses of the members, as node `node` reports them.
    fn members(&self, node: u64) -> Result<Vec<String>> {
        let status = self.status(node)?;
        Ok(status["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .filter_map(|n| n["internalAddress"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Each shard and its leader (0: none) as node `node` reports them.
    fn leaders(&self, node: u64) -> Result<Vec<(u64, u64)>> {
        let status = self.status(node)?;
        let number = |value: &serde_json::Value| {
            value
                .as_u64()
                .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(0)
        };
        Ok(status["shards"]
            .as_array()
            .map(|shards| {
                shards
                    .iter()
                    .map(|shard| (number(&shard["shardId"]), number(&shard["leaderId"])))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `shoal cluster status --json` of node `node`.
    fn status(&self, node: u64) -> Result<serde_json::Value> {
        let output = self
            .cli_command()
            .args(["cluster", "status", "--json", "--endpoint"])
            .arg(&self.endpoints()[node as usize - 1])
            .output()?;
        if !output.status.success() {
            bail!(
                "shoal cluster status: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(serde_json::from_slice(&output.stdout)?)
    }

    /// `shoal health` against node `node`'s published admin port, over HTTPS with the CA
    /// the certs service exported, until it exits 0.
    fn wait_until_ready(&self, node: u64, within: Duration) -> Result<()> {
        let admin = format!("https://127.0.0.1:{}", self.admin_ports[node as usize - 1]);
        self.wait_for(&format!("shoal-{node} to be ready"), within, || {
            if !self.secrets.join("ca.crt").exists() {
                return Ok(false);
            }
            let probe = self
                .cli_command()
                .args(["health", "--admin", &admin, "--timeout", "2s"])
                .output()?;
            Ok(probe.status.success())
        })
    }

    /// The host's `shoal` CLI, trusting the exported CA with the exported admin key, and
    /// none of this process's own SHOAL_* variables.
    fn cli_command(&self) -> Command {
        let mut command = Command::new(&self.cli);
        without_shoal_env(&mut command);
        command
            .env("SHOAL_CA_FILE", self.secrets.join("ca.crt"))
            .stdin(Stdio::null());
        if let Ok(key) = std::fs::read_to_string(self.secrets.join("admin.key")) {
            command.env("SHOAL_API_KEY", key.trim());
        }
        command
    }

    fn compose_command(&self) -> Command {
        let mut command = Command::new(&self.compose[0]);
        command.args(&self.compose[1..]);
        without_shoal_env(&mut command);
        command
            .current_dir(&self.root)
            .args([
                "-p",
                &self.project,
                "-f",
                "deploy/compose/docker-compose.yml",
            ])
            .env("SHOAL_IMAGE", &self.tag)
            .env("SHOAL_SECRETS_DIR", &self.secrets)
            .env("SHOAL_OPERATOR", operator())
            .stdin(Stdio::null());
        for (node, (client, admin)) in self.client_ports.iter().zip(&self.admin_ports).enumerate() {
            command
                .env(
                    format!("SHOAL_{}_CLIENT_PORT", node + 1),
                    client.to_string(),
                )
                .env(format!("SHOAL_{}_ADMIN_PORT", node + 1), admin.to_string());
        }
        command
    }

    fn compose(&self, args: &[&str]) -> Result<()> {
        let output = self
            .compose_command()
            .args(args)
            .output()
            .context("running docker-compose")?;
        if !output.status.success() {
            bail!(
                "docker-compose {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    fn wait_for(
        &self,
        what: &str,
        within: Duration,
        mut condition: impl FnMut() -> Result<bool>,
    ) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            if condition().unwrap_or(false) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("waited {within:?} for {what}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn show_logs(&self) {
        if let Ok(output) = self
            .compose_command()
            .args(["logs", "--no-color", "--tail", "60"])
            .output()
        {
            let _ = std::io::stdout().write_all(&output.stdout);
        }
    }

    /// Containers, network, volumes and the image, whatever happened before.
    fn tear_down(&self) {
        let _ = self
            .compose_command()
            .args(["down", "--volumes", "--remove-orphans", "--timeout", "10"])
            .output();
        let _ = Command::new("docker")
            .args(["image", "rm", "--force", &self.tag])
            .output();
    }
}

/// None of this process's SHOAL_* variables reach `command` (they would configure it).
fn without_shoal_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SHOAL_") {
            command.env_remove(name);
        }
    }
}

/// The most "N operations sent" the verify progress lines report so far.
fn sent_so_far(log: &str) -> u64 {
    log.lines()
        .filter_map(|line| {
            line.trim()
                .split_once("s: ")?
                .1
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .max()
        .unwrap_or(0)
}

fn wait_child(child: &mut Child, within: Duration) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            bail!("shoal verify did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `UID:GID` of this process: the operator's copies of the CA and the admin key go to it.
fn operator() -> String {
    let id = |flag: &str| {
        Command::new("id")
            .arg(flag)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "0".into())
    };
    format!("{}:{}", id("-u"), id("-g"))
}

/// Ports free on 127.0.0.1 now (all held until every one is picked, so none repeats).
fn free_ports(count: usize) -> Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// The commit checked out at `root`, for the image's revision label.
pub fn git_revision(root: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// A few random hex digits, so two runs on one engine never share names.
fn rand_suffix() -> String {
    let mut bytes = [0u8; 2];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| {
        use std::io::Read;
        f.read_exact(&mut bytes)
    });
    format!("{:02x}{:02x}", bytes[0], bytes[1])
}

#[cfg(test)]
mod tests {
    #[test]
    fn progress_lines_give_the_operations_sent() {
        let log = "verify: 8 clients on 16 keys\n     5s: 120 operations sent\n    10s: 250 operations sent\n";
        assert_eq!(super::sent_so_far(log), 250);
        assert_eq!(super::sent_so_far(""), 0);
    }
}
