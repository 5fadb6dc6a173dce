//! Bad cluster configuration and unreachable peers: clear errors naming the problem, or a
//! node that stays not-ready and says what it waits for.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::cluster::{ClusterShape, NodeProcess, Ports, node_config};

/// `shoal start` flags putting every port of a node on an ephemeral loopback port.
const EPHEMERAL_PORTS: [&str; 6] = [
    "--client-listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
    "--cluster-listen",
    "127.0.0.1:0",
];

fn start_output(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(crate::support::shoal_binary());
    command
        .arg("start")
        .args(args)
        .arg("--data-dir")
        .arg(dir.path())
        .args(EPHEMERAL_PORTS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_cluster_without_an_advertise_address_is_refused_naming_the_key() {
    let (ok, stderr) = start_output(&["--insecure"], &[("SHOAL_CLUSTER__ENABLED", "true")]);
    assert!(!ok);
    assert!(stderr.contains("cluster.advertise_address"), "{stderr}");
    assert!(
        stderr.contains("required when cluster.enabled = true"),
        "{stderr}"
    );
}

#[test]
fn a_cluster_without_mtls_needs_insecure_and_says_why() {
    let (ok, stderr) = start_output(
        &[],
        &[
            ("SHOAL_CLUSTER__ENABLED", "true"),
            ("SHOAL_CLUSTER__ADVERTISE_ADDRESS", "127.0.0.1:5343"),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("--insecure"), "{stderr}");
}

#[test]
fn too_few_bootstrap_nodes_for_the_replication_factor_is_refused() {
    let (ok, stderr) = start_output(
        &["--insecure"],
        &[
            ("SHOAL_CLUSTER__ENABLED", "true"),
            ("SHOAL_CLUSTER__ADVERTISE_ADDRESS", "127.0.0.1:5343"),
            ("SHOAL_CLUSTER__DATA__REPLICATION_FACTOR", "3"),
            ("SHOAL_CLUSTER__BOOTSTRAP__EXPECT_NODES", "2"),
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("cluster.bootstrap.expect_nodes"),
        "{stderr}"
    );
}

/// Seeds that never answer: the node runs, stays not ready, and both /readyz and its log
/// say what it is waiting for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_that_never_answer_leave_the_node_not_ready_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports::reserve();
    // A seed address nobody gossips on: held by a socket that never answers (a released
    // port could be taken by a node of a test running in parallel).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let nobody = silent.local_addr().unwrap();
    let config = node_config(
        &dir.path().join("data"),
        1,
        &ports,
        &[nobody],
        &ClusterShape::default(),
    );
    let node = NodeProcess::spawn(dir.path(), &config, 1, ports);
    // The admin port serves HTTPS (TLS for clients is on by default in the harness).
    let url = format!("https://{}/readyz", ports.admin);
    let ca = dir.path().join("certs/ca.crt");
    let body = crate::support::wait_for(
        "/readyz to explain the wait",
        Duration::from_secs(30),
        || {
            let url = url.clone();
            let ca = ca.clone();
            async move {
                let output = Command::new("curl")
                    .arg("--cacert")
                    .arg(&ca)
                    .args(["-s", "-w", " %{http_code}", &url])
                    .output()
                    .ok()?;
                let text = String::from_utf8_lossy(&output.stdout).into_owned();
                (text.ends_with(" 503") && text.contains("waiting for")).then_some(text)
            }
        },
    )
    .await;
    // "2 more": no seed answers. (Under a parallel test run a released ephemeral port can be
    // reused by a node of another test that then gossips here, so only the shape of the
    // message is asserted.)
    assert!(
        body.contains("more node(s) to create the cluster"),
        "{body}"
    );
    assert!(
        body.contains(&nobody.to_string()),
        "names the seeds: {body}"
    );
    // The probe of a container HEALTHCHECK says the same, and fails.
    let probe = crate::support::shoal_command()
        .args(["health", "--config"])
        .arg(dir.path().join("node-1.toml"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&probe.stdout);
    assert_eq!(probe.status.code(), Some(1), "{said}");
    assert!(
        said.contains("503") && said.contains("more node(s) to create the cluster"),
        "{said}"
    );
    let log = crate::support::wait_for(
        "the log to say what the node waits for",
        Duration::from_secs(30),
        || {
            let path = node.log_path.clone();
            async move {
                let log = std::fs::read_to_string(path).ok()?;
                log.contains("more node(s) to create the cluster")
                    .then_some(log)
            }
        },
    )
    .await;
    assert!(log.contains("cluster.bootstrap.expect_nodes = 3"), "{log}");
    drop(node);
    drop(silent);
}

/// Test hooks exist only behind their hidden flags: a node started without them serves no
/// `/test/*` endpoint, and neither a config file nor the environment can turn one on (the
/// `testing` keys are unknown keys, refused at start).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_hooks_exist_only_behind_their_flags() {
    for key in [
        "SHOAL_TESTING__FAULT_ENDPOINT",
        "SHOAL_TESTING__UNSAFE_STALE_READS",
        "SHOAL_TESTING__CLOCK_OFFSET_MS",
    ] {
        let value = if key.ends_with("MS") { "5000" } else { "true" };
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(crate::support::shoal_binary())
            .arg("start")
            .args(EPHEMERAL_PORTS)
            .arg("--data-dir")
            .arg(dir.path())
            .env(key, value)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Refused at once; a node that starts instead is stopped (and the test fails).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let exited = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if std::time::Instant::now() > deadline {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let Some(status) = exited else {
            let _ = child.kill();
            panic!("{key} was accepted: the node started");
        };
        assert!(!status.success(), "{key} was accepted");
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert!(stderr.contains("testing"), "{key}: {stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = crate::support::test_config(dir.path());
    let (node, _client) = crate::support::start_node(config).await;
    let admin = node.admin_address.to_string();
    let (status, _) = shoal_testkit::admin_get(&admin, "/test/faults?heal")
        .await
        .unwrap();
    assert_eq!(
        status, 404,
        "a node without --test-faults serves /test/faults"
    );
    let (status, _) = shoal_testkit::admin_get(&admin, "/healthz").await.unwrap();
    assert_eq!(status, 200);
    node.shutdown().await.unwrap();
}

/// The node raises its open-file soft limit to the hard limit at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_file_limit_is_raised_to_the_hard_limit() {
    let hard = |limits: &str| -> Option<(String, String)> {
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        Some((fields[3].to_owned(), fields[4].to_owned()))
    };
    let (_, hard_limit) = hard(&std::fs::read_to_string("/proc/self/limits").unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg("ulimit -Sn 256 && exec \"$0\" \"$@\"")
        .arg(crate::support::shoal_binary())
        .arg("start")
        .args(EPHEMERAL_PORTS)
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Once ready, its limits are what it runs with.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let ready = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut stdout, &mut line).unwrap_or(0) > 0 {
            if line.contains("ready") {
                return true;
            }
            line.clear();
        }
        false
    });
    let ready = tokio::time::timeout(Duration::from_secs(60), ready).await;
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(matches!(ready, Ok(Ok(true))), "the node did not start");
    let (soft, hard) = hard(&limits).unwrap();
    assert_eq!(soft, hard_limit, "{limits}");
    assert_eq!(hard, hard_limit, "{limits}");
}
