//! `/metrics` of a live 3-node cluster against the catalogue (`shoal_node::metrics`): every
//! family exported is catalogued with its type and labels, every scrape-time and process
//! series is there, label values stay bounded, counters and histograms move by what a
//! known workload did, and killing a shard's leader shows as a leader change and a failure
//! detection on the nodes that remain — and in `/healthz?verbose`, which turns from
//! `healthy` to `degraded` naming the unreachable peer. The alert rules and the dashboard
//! name only metrics some node exports.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use shoal_client::PutOptions;
use shoal_node::metrics::{CATALOGUE, Kind, Source, find};

use crate::support::cluster::{ClusterShape, ProcessCluster, wait_for_healthy};

/// One scrape: family → type, and every sample as (name, labels) → value.
struct Scrape {
    types: BTreeMap<String, String>,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

fn parse(text: &str) -> Scrape {
    let mut types = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("a TYPE line names its type");
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels end with }");
                let labels = body
                    .split("\",")
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (key, value) = pair.split_once("=\"").expect("key=\"value\"");
                        (key.to_owned(), value.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name, labels)
            }
        };
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        samples.push((name.to_owned(), labels, value));
    }
    Scrape { types, samples }
}

impl Scrape {
    /// The sum of the samples of `name` whose labels include `with`.
    fn value(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, labels, _)| {
                n == name
                    && with
                        .iter()
                        .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, value)| value)
            .sum()
    }

    /// The family a sample belongs to (a histogram's `_bucket`, `_sum`, `_count`).
    fn family_of<'a>(&self, sample: &'a str) -> &'a str {
        if self.types.contains_key(sample) {
            return sample;
        }
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(family) = sample.strip_suffix(suffix)
                && self.types.get(family).is_some_and(|t| t == "histogram")
            {
                return family;
            }
        }
        sample
    }
}

/// The shoal and process metric families an alert rule or dashboard file names (a
/// histogram's `_bucket`, `_sum` and `_count` are its family).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut at = 0;
    while at < bytes.len() {
        if !text.is_char_boundary(at) {
            at += 1;
            continue;
        }
        let start_ok = at == 0 || !is_word(bytes[at - 1]);
        let rest = &text[at..];
        if start_ok && (rest.starts_with("shoal_") || rest.starts_with("process_")) {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let name = &rest[..end];
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|base| find(base).is_some_and(|s| s.kind == Kind::Histogram))
                })
                .unwrap_or(name);
            names.insert(family.to_owned());
            at += end;
        } else {
            at += 1;
        }
    }
    names
}

async fn scrape(cluster: &mut ProcessCluster, node: u64) -> Scrape {
    let (status, text) = cluster.node(node).admin_get("/metrics").await;
    assert_eq!(status, 200, "{text}");
    parse(&text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_scrape_matches_the_catalogue_and_counts_what_happened() {
    let mut cluster = ProcessCluster::start(3, ClusterShape::default()).await;
    let client = cluster.node(1).client().await;
    let status = wait_for_healthy(&client, Duration::from_secs(30)).await;

    let (_, health) = cluster.node(1).admin_get("/healthz?verbose").await;
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "healthy", "{health}");
    assert_eq!(health["node_id"], 1, "{health}");

    // Node 1 reads its peers' clocks (right after start, then every 10 s): the same host's.
    let mut read = None;
    for _ in 0..300 {
        let now = scrape(&mut cluster, 1).await;
        let peers: BTreeSet<String> = now
            .samples
            .iter()
            .filter(|(name, ..)| name == "shoal_peer_clock_offset_seconds")
            .map(|(_, labels, _)| labels["peer"].clone())
            .collect();
        if peers.len() == 2 {
            read = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let read = read.expect("node 1 read both peers' clocks within 30 s");
    for peer in ["2", "3"] {
        let offset = read.value("shoal_peer_clock_offset_seconds", &[("peer", peer)]);
        assert!(
            offset.abs() < 0.5,
            "node {peer}'s clock on the same host is {offset} s off"
        );
    }

    let before = scrape(&mut cluster, 1).await;
    const PUTS: usize = 20;
    for i in 0..PUTS {
        client
            .put(format!("metric-key-{i}"), "v", PutOptions::default())
            .await
            .unwrap();
    }
    // An empty key is refused: one INVALID_ARGUMENT.
    assert!(client.put("", "v", PutOptions::default()).await.is_err());
    let after = scrape(&mut cluster, 1).await;

    // Every family is catalogued, with its type and its labels.
    for (family, kind) in &after.types {
        let series = find(family).unwrap_or_else(|| panic!("{family} is not catalogued"));
        assert_eq!(kind, series.kind.as_str(), "type of {family}");
    }
    for (name, labels, _) in &after.samples {
        let family = after.family_of(name);
        let series = find(family).unwrap_or_else(|| panic!("{name} is not catalogued"));
        let mut expected: BTreeSet<&str> = series.labels.iter().copied().collect();
        if name.ends_with("_bucket") && series.kind == Kind::Histogram {
            expected.insert("le");
        }
        let keys: BTreeSet<&str> = labels.keys().map(String::as_str).collect();
        assert_eq!(keys, expected, "labels of {name}");
        for value in labels.values() {
            assert!(
                !value.contains("metric-key") && !value.contains("127.0.0.1"),
                "{name} has a key or an address in a label: {labels:?}"
            );
        }
    }
    // Everything read at scrape time is there, for every group hosted here.
    for series in CATALOGUE
        .iter()
        .filter(|s| s.source != Source::Event && s.name != "shoal_raft_replication_lag_entries")
    {
        assert!(
            after.types.contains_key(series.name),
            "{} is missing from the scrape",
            series.name
        );
    }
    let groups: BTreeSet<&str> = after
        .samples
        .iter()
        .filter(|(name, ..)| name == "shoal_raft_term")
        .map(|(_, labels, _)| labels["group"].as_str())
        .collect();
    assert_eq!(groups.len(), 17, "meta and 16 shards: {groups:?}");
    assert!(
        groups.contains("meta") && groups.contains("shard-15"),
        "{groups:?}"
    );
    assert_eq!(after.value("shoal_node_ready", &[]), 1.0);
    assert_eq!(
        after.value("shoal_gossip_members", &[("state", "alive")]),
        3.0
    );
    assert!(after.value("process_resident_memory_bytes", &[]) > 1e6);
    assert!(after.value("process_open_fds", &[]) > 0.0);
    assert!(after.value("shoal_storage_file_bytes", &[("file", "log")]) > 0.0);
    assert!(after.value("shoal_storage_disk_free_bytes", &[]) > 0.0);

    // The workload, counted exactly.
    let delta =
        |name: &str, with: &[(&str, &str)]| after.value(name, with) - before.value(name, with);
    let put = [("rpc", "KV/Put"), ("code", "OK")];
    assert_eq!(delta("shoal_grpc_requests_total", &put), PUTS as f64);
    assert_eq!(
        delta(
            "shoal_grpc_requests_total",
            &[("rpc", "KV/Put"), ("code", "INVALID_ARGUMENT")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "shoal_grpc_request_duration_seconds_count",
            &[("rpc", "KV/Put")]
        ),
        PUTS as f64 + 1.0
    );
    assert!(
        delta(
            "shoal_grpc_request_duration_seconds_sum",
            &[("rpc", "KV/Put")]
        ) > 0.0
    );
    // Every put went through Raft: the state writer committed, and each put's shard moved
    // its commit index on this node.
    assert!(
        delta(
            "shoal_storage_commits_total",
            &[("writer", "shoal-state-writer")]
        ) > 0.0
    );
    let committed: f64 = (0..16)
        .map(|shard| {
            let group = format!("shard-{shard}");
            delta("shoal_raft_commit_index", &[("group", &group)])
        })
        .sum();
    assert!(
        committed >= PUTS as f64,
        "{committed} entries committed for {PUTS} puts"
    );

    // Every metric the alert rules and the dashboard name is exported by some node once
    // the cluster did some work (a key with a short TTL makes the expiry collector run).
    client
        .put(
            "metric-expiring",
            "v",
            PutOptions {
                ttl: Some(Duration::from_millis(1)),
                ..PutOptions::default()
            },
        )
        .await
        .unwrap();
    let mut exported = BTreeSet::new();
    for _ in 0..100 {
        exported.clear();
        for node in 1..=3 {
            exported.extend(scrape(&mut cluster, node).await.types.into_keys());
        }
        if exported.contains("shoal_ttl_expired_keys_total") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for file in [
        "deploy/prometheus/shoal-alerts.yml",
        "deploy/grafana/shoal.json",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let names = metric_names(&text);
        assert!(names.len() > 5, "{file}: only {names:?}");
        for name in names {
            assert!(
                exported.contains(&name),
                "{file} names {name}, which no node exports: {exported:?}"
            );
        }
    }

    // Kill the leader of a shard node 1 does not lead: node 1 sees the leader change, and
    // its failure detector the dead node.
    let shard = status
        .shards
        .iter()
        .find(|s| s.leader_id != 1)
        .expect("the other nodes lead some shard");
    let (victim, group) = (shard.leader_id, format!("shard-{}", shard.shard_id));
    let changes = after.value("shoal_raft_leader_changes_total", &[("group", &group)]);
    let failures = after.value("shoal_gossip_failures_detected_total", &[]);
    cluster.node(victim).kill();
    let mut seen = None;
    for _ in 0..300 {
        let now = scrape(&mut cluster, 1).await;
        if now.value("shoal_raft_leader_changes_total", &[("group", &group)]) > changes
            && now.value("shoal_raft_leader_known", &[("group", &group)]) == 1.0
            && now.value("shoal_gossip_failures_detected_total", &[]) > failures
        {
            seen = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let now = seen.unwrap_or_else(|| {
        panic!(
            "node 1 did not count a new leader of {group} and node {victim}'s failure within 30 s"
        )
    });
    assert_eq!(
        now.value("shoal_gossip_members", &[("state", "unreachable")]),
        1.0
    );
    // /healthz?verbose says what is wrong: degraded, a peer unreachable (still 200: it is
    // the liveness endpoint).
    let (code, health) = cluster.node(1).admin_get("/healthz?verbose").await;
    assert_eq!(code, 200);
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    let reasons = health["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r["check"] == "peer_unreachable"
            && r["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("node {victim} "))),
        "{health}"
    );

    // The victim comes back with its clock 3 s ahead: node 1 reads it (within 10 s) and
    // says so — degraded, `clock_offset` naming the node — and `/metrics` shows the offset.
    cluster
        .node(victim)
        .restart_with(&["--test-clock-offset-ms".into(), "3000".into()]);
    let mut found = None;
    for _ in 0..600 {
        let (_, health) = cluster.node(1).admin_get("/healthz?verbose").await;
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        if let Some(reason) = health["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["check"] == "clock_offset")
        {
            found = Some((health.clone(), reason.clone()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (health, reason) = found.expect("node 1 reports the skewed clock within 60 s");
    assert_eq!(health["status"], "degraded", "{health}");
    let detail = reason["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("node {victim}'s clock is")) && detail.contains("ahead of"),
        "{health}"
    );
    let offset = scrape(&mut cluster, 1).await.value(
        "shoal_peer_clock_offset_seconds",
        &[("peer", &victim.to_string())],
    );
    assert!(
        (2.5..3.5).contains(&offset),
        "offset {offset} s, 3 s expected"
    );
}
