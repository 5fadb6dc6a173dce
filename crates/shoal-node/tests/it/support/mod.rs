//! Shared helpers of the node integration tests: in-process nodes on ephemeral ports,
//! real `shoal` processes, and waiting for a condition with a deadline.

pub mod cluster;
pub mod load;

use std::future::Future;

use std::path::Path;

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

/// The `shoal` CLI as a user runs it: none of this process's `SHOAL_*` variables (shoal
/// reads every one of them as configuration).
pub fn shoal_command() -> std::process::Command {
    let mut command = std::process::Command::new(shoal_binary());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SHOAL_") {
            command.env_remove(name);
        }
    }
    command
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

/// A Python interpreter with `packages` installed (in a virtualenv under the target
/// directory, made on first use from PyPI): clients no shoal code wrote, to test the wire
/// protocols against.
/// `packages` are (PyPI name, module to import) pairs. Tests run in parallel: one sets the
/// virtualenv up at a time in this process.
pub fn python_with(packages: &[(&str, &str)]) -> std::path::PathBuf {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pytools");
    let python = venv.join("bin/python");
    let modules: Vec<&str> = packages.iter().map(|(_, module)| *module).collect();
    let packages: Vec<&str> = packages.iter().map(|(package, _)| *package).collect();
    let has_all = || {
        std::process::Command::new(&python)
            .args(["-c", &format!("import {}", modules.join(", "))])
            .status()
            .is_ok_and(|s| s.success())
    };
    if has_all() {
        return python;
    }
    let status = if python.exists() {
        std::process::ExitStatus::default()
    } else {
        std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs")
    };
    assert!(
        status.success(),
        "python3 -m venv {} failed",
        venv.display()
    );
    let status = std::process::Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--timeout",
            "60",
            "--retries",
            "2",
        ])
        .args(&packages)
        .status()
        .expect("pip runs");
    assert!(status.success(), "pip install {packages:?} failed");
    assert!(has_all(), "{packages:?} installed but not importable");
    python
}

/// Makes sure `binary` is on the PATH, installing Debian's `package` when it is not (the
/// test setup installs what the tests need; `apt-get update` first when the package lists
/// are missing or stale). Tests run in parallel: one installs at a time in this process,
/// and apt waits for the dpkg lock another process holds rather than failing at once.
pub fn debian_package(binary: &str, package: &str) {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let present = || {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {binary}")])
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if present() {
        return;
    }
    let install = || {
        std::process::Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "-o",
                "DPkg::Lock::Timeout=600",
                package,
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = std::process::Command::new("apt-get")
            .args(["update", "-q", "-o", "DPkg::Lock::Timeout=600"])
            .status();
        assert!(install(), "apt-get install {package} failed");
    }
    assert!(
        present(),
        "{package} installed, but {binary} is not on the PATH"
    );
}
