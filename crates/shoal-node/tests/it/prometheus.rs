//! `deploy/prometheus/` against the real Prometheus (Debian's package, installed by the
//! test when missing): `promtool` accepts the config and the alert rules and passes their
//! unit tests, and a Prometheus scraping a live 3-node cluster fires ShoalNodeUnreachable
//! for a node that was killed — seen through Prometheus' own HTTP API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::cluster::ProcessCluster;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus")
}

fn promtool(args: &[&str]) -> String {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(deploy())
        .output()
        .expect("promtool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

/// A Prometheus process, killed when dropped.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn promtool_accepts_the_config_and_the_rules_pass_their_unit_tests() {
    crate::support::debian_package("promtool", "prometheus");
    promtool(&["check", "config", "prometheus.yml"]);
    let checked = promtool(&["check", "rules", "shoal-alerts.yml"]);
    assert!(checked.contains("SUCCESS: 10 rules found"), "{checked}");
    promtool(&["test", "rules", "tests/shoal-alerts.test.yml"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_fires_node_unreachable_for_a_killed_node() {
    crate::support::debian_package("prometheus", "prometheus");
    // Plaintext admin ports, so the scrape config needs no certificates.
    let mut cluster = ProcessCluster::start_plaintext_ports(|_| {}).await;
    let targets: Vec<String> = (1..=3)
        .map(|id| format!("\"{}\"", cluster.node(id).ports.admin))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    // The shipped rules, with every `for:` cut to a second so the test need not wait out
    // production durations.
    let rules = std::fs::read_to_string(deploy().join("shoal-alerts.yml")).unwrap();
    let rules: String = rules
        .lines()
        .map(|line| match line.trim_start().strip_prefix("for: ") {
            Some(_) => format!("{}for: 1s", &line[..line.len() - line.trim_start().len()]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("shoal-alerts.yml"), rules).unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files: [shoal-alerts.yml]\n\
             scrape_configs:\n  - job_name: shoal\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let web = format!("127.0.0.1:{port}");
    let _prometheus = Prometheus(
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts"),
    );
    let api = |path: &'static str| {
        let web = web.clone();
        async move {
            let (status, body) = shoal_testkit::admin_get(&web, path).await.ok()?;
            (status == 200).then(|| serde_json::from_str::<serde_json::Value>(&body).ok())?
        }
    };
    crate::support::wait_for(
        "Prometheus to scrape all 3 nodes",
        Duration::from_secs(60),
        || async {
            let targets = api("/api/v1/targets").await?;
            let up = targets["data"]["activeTargets"]
                .as_array()?
                .iter()
                .filter(|t| t["health"] == "up")
                .count();
            (up == 3).then_some(())
        },
    )
    .await;
    // Every node's series are there, under the job the rules expect.
    let leaders = api("/api/v1/query?query=sum(shoal_raft_leader%7Bjob%3D%22shoal%22%7D)")
        .await
        .expect("a query answers");
    assert_eq!(
        leaders["data"]["result"][0]["value"][1], "5",
        "meta and 4 shards: {leaders}"
    );

    let victim = cluster.node(3).ports.admin.to_string();
    cluster.node(3).kill();
    let alert = crate::support::wait_for(
        "ShoalNodeUnreachable to fire for the killed node",
        Duration::from_secs(60),
        || async {
            let alerts = api("/api/v1/alerts").await?;
            alerts["data"]["alerts"]
                .as_array()?
                .iter()
                .find(|a| {
                    a["labels"]["alertname"] == "ShoalNodeUnreachable"
                        && a["labels"]["instance"] == victim.as_str()
                        && a["state"] == "firing"
                })
                .cloned()
        },
    )
    .await;
    assert_eq!(alert["labels"]["severity"], "critical", "{alert}");
}
