//! A damaged data file is never served as a wrong value: one flipped byte of a value in
//! `state.redb` makes the read fail with DATA_LOSS naming the shard and the key, and one
//! flipped byte of a log entry in `log.redb` stops the group when the entry is replayed —
//! the reads fail, naming the entry, rather than answer from a damaged log. Against a real
//! single node, stopped and restarted around the damage. In a cluster, the damaged replica
//! goes into quarantine and is rebuilt from the healthy ones.

use std::path::Path;
use std::time::Duration;

use crate::support::cluster::{
    ClusterShape, NodeProcess, ProcessCluster, wait_for_convergence, wait_for_healthy,
};
use crate::support::wait_for;
use shoal_client::{Code, PutOptions};

/// A value no other bytes of the files hold, so its copies can be found and damaged.
fn marker(tag: &str) -> String {
    format!("integrity-{tag}-{}", "Q".repeat(48))
}

/// Flips one byte in the middle of every copy of `needle` in `file`; the copies found.
fn damage(file: &Path, needle: &[u8]) -> usize {
    let mut bytes = std::fs::read(file).unwrap();
    let mut found = 0;
    let mut at = 0;
    while let Some(offset) = bytes[at..]
        .windows(needle.len())
        .position(|window| window == needle)
    {
        let start = at + offset;
        bytes[start + needle.len() / 2] ^= 0x01;
        found += 1;
        at = start + needle.len();
    }
    std::fs::write(file, bytes).unwrap();
    found
}

fn single_node(dir: &Path) -> NodeProcess {
    NodeProcess::spawn_single(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_in_a_stored_value_is_data_loss_never_a_wrong_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = single_node(dir.path());
    node.wait_ready(Duration::from_secs(60)).await;
    let client = node.client().await;
    let value = marker("state");
    client
        .put("victim", value.as_str(), PutOptions::default())
        .await
        .unwrap();
    // A key of another shard (the default 16 shards of a single node).
    let map = shoal_shardmap::ShardMap::initial(16, &[shoal_shardmap::NodeId(1)]).unwrap();
    let victim_shard = map.shard_for_key(b"victim").id.0;
    let bystander = crate::support::cluster::key_in_shard((victim_shard + 1) % 16, 16, "bystander");
    client
        .put(bystander.as_str(), "fine", PutOptions::default())
        .await
        .unwrap();
    // A graceful stop makes the state durable (and the log is purged of nothing yet, so
    // only the state's copy is damaged here).
    assert!(node.terminate().await.expect("running").success());
    let state = dir.path().join("data/state.redb");
    assert!(
        damage(&state, value.as_bytes()) > 0,
        "the value is not in state.redb"
    );

    node.start();
    node.wait_ready(Duration::from_secs(60)).await;
    let client = node.client().await;
    for stale in [false, true] {
        let error = client
            .get("victim", stale)
            .await
            .expect_err("a damaged value was served");
        assert_eq!(error.code(), Some(Code::DataLoss), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("victim")
                && message.contains("shard")
                && message.contains("state.redb"),
            "{message}"
        );
    }
    // The replica is in quarantine, and says so: in the status, and — with no healthy
    // replica to rebuild it from — in the placement job, with what to do.
    let damaged = wait_for(
        "the damaged replica to show",
        Duration::from_secs(30),
        || async {
            let status = client.status().await.ok()?;
            let damaged = status.nodes.first()?.damaged_shards.clone();
            let jobs = client.jobs().await.ok()?;
            let said = jobs
                .nodes
                .iter()
                .flat_map(|n| &n.jobs)
                .flat_map(|j| &j.waiting_for)
                .any(|w| w.contains("its only replica") && w.contains("restore"));
            (!damaged.is_empty() && said).then_some(damaged)
        },
    )
    .await;
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert_eq!(node.metric("shoal_replicas_quarantined").await, 1);
    // The other shards still serve.
    let fine = client
        .get(bystander.as_str(), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fine.value, b"fine");
    assert!(
        node.metric("shoal_storage_checksum_failures_total{file=\"state.redb\"}")
            .await
            > 0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_in_a_log_entry_is_refused_at_replay_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = single_node(dir.path());
    node.wait_ready(Duration::from_secs(60)).await;
    let client = node.client().await;
    let value = marker("log");
    client
        .put("victim", value.as_str(), PutOptions::default())
        .await
        .unwrap();
    assert!(node.terminate().await.expect("running").success());
    let log = dir.path().join("data/log.redb");
    assert!(
        damage(&log, value.as_bytes()) > 0,
        "the entry is not in log.redb"
    );
    // Without its state file the node rebuilds every state machine from the log: the
    // damaged entry is read on replay.
    std::fs::remove_file(dir.path().join("data/state.redb")).unwrap();
    node.start();
    // The shard whose entry is damaged cannot start: the node says which entry of which
    // file and what to do, and never serves the key with a wrong value.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let log_tail = node.log_tail(60);
        if log_tail.contains("fails its checksum") {
            assert!(
                log_tail.contains("log entry") && log_tail.contains("log.redb"),
                "{log_tail}"
            );
            assert!(log_tail.contains("rebuild this replica"), "{log_tail}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the damaged entry was never reported:\n{log_tail}"
        );
        if let Ok(client) = shoal_client::Client::connect(&node.client_address()).await
            && let Ok(Some(found)) = client.get("victim", false).await
        {
            panic!("a damaged log entry was served as {:?}", found.value);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stale read of `key` through `client`: its node's own replica answers.
async fn local_read(
    client: &shoal_client::Client,
    key: &str,
) -> Result<Option<Vec<u8>>, shoal_client::ClientError> {
    client
        .get(key, true)
        .await
        .map(|found| found.map(|v| v.value))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_replica_in_a_cluster_is_quarantined_and_rebuilt_from_the_healthy_ones() {
    let mut cluster = ProcessCluster::start(3, ClusterShape::default()).await;
    let client = cluster.node(1).client().await;
    wait_for_healthy(&client, Duration::from_secs(60)).await;
    let value = marker("cluster");
    client
        .put("victim", value.as_str(), PutOptions::default())
        .await
        .unwrap();
    let keys: Vec<String> = (0..60).map(|i| format!("acknowledged-{i}")).collect();
    for key in &keys {
        client
            .put(
                key.as_str(),
                format!("value of {key}").as_str(),
                PutOptions::default(),
            )
            .await
            .unwrap();
    }
    wait_for_convergence(&client, Duration::from_secs(60)).await;

    // Node 2's copy of the value is damaged while it is down.
    assert!(
        cluster
            .node(2)
            .terminate()
            .await
            .expect("running")
            .success()
    );
    let state = cluster.dir.path().join("data-2/state.redb");
    assert!(
        damage(&state, value.as_bytes()) > 0,
        "the value is not in state.redb"
    );
    cluster.node(2).start();
    cluster.node(2).wait_ready(Duration::from_secs(60)).await;

    // Its replica never serves the damaged value: the read fails, the replica goes into
    // quarantine, stops, and the cluster rebuilds it from the two healthy ones.
    let node2 = cluster.node(2).client().await;
    let found = std::time::Instant::now();
    let error = local_read(&node2, "victim")
        .await
        .expect_err("a damaged value was served");
    assert_eq!(error.code(), Some(Code::DataLoss), "{error}");
    let repaired = wait_for(
        "the damaged replica to be rebuilt",
        Duration::from_secs(120),
        || async {
            let moves = client.moves().await.ok()?;
            let served = local_read(&node2, "victim").await.ok()??;
            (moves.moves.is_empty() && moves.finished >= 1).then_some((moves, served))
        },
    )
    .await;
    println!(
        "the damaged replica was rebuilt {:?} after the damage was found",
        found.elapsed()
    );
    assert_eq!(
        repaired.1,
        value.as_bytes(),
        "the rebuilt replica serves the right value"
    );
    assert_eq!(repaired.0.aborted, 0, "{:?}", repaired.0);
    let log = std::fs::read_to_string(&cluster.node(2).log_path).unwrap();
    assert!(log.contains("goes into quarantine"), "{log}");
    assert!(
        log.contains("deleting a damaged replica evicted from its group"),
        "{log}"
    );
    assert_eq!(
        cluster.node(2).metric("shoal_replicas_quarantined").await,
        0
    );
    // Every acknowledged key reads back right from every replica, and they all agree.
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    for node in 1..=3 {
        let replica = cluster.node(node).client().await;
        for key in &keys {
            let found = local_read(&replica, key).await.unwrap();
            assert_eq!(
                found,
                Some(format!("value of {key}").into_bytes()),
                "node {node} {key}"
            );
        }
    }
}

/// Runs the CLI off the async workers: its exit code and stdout (stderr appended).
async fn run_cli(mut command: std::process::Command, args: &[&str]) -> (i32, String) {
    command.args(args);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consistency_check_finds_a_diverged_replica_and_the_cluster_rebuilds_it() {
    let shape = ClusterShape::default();
    let mut cluster = ProcessCluster::start(3, shape.clone()).await;
    let client = cluster.node(1).client().await;
    wait_for_healthy(&client, Duration::from_secs(60)).await;
    let shard = 3;
    let key = crate::support::cluster::key_in_shard(shard, shape.shards, "diverge");
    client
        .put(
            key.as_str(),
            "the value every replica holds",
            PutOptions::default(),
        )
        .await
        .unwrap();
    for i in 0..40 {
        let other = format!("other-{i}");
        client
            .put(other.as_str(), "x", PutOptions::default())
            .await
            .unwrap();
    }
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    let endpoint = cluster.node(1).client_address();
    let (code, out) = run_cli(
        cluster.cli(),
        &["cluster", "check", "--endpoint", &endpoint],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("16 shard(s) checked: 16 consistent"), "{out}");

    // Node 2's replica of the shard is rewritten behind Raft's back: every record still
    // passes its checksum, only a comparison with the other replicas can tell.
    assert!(
        cluster
            .node(2)
            .terminate()
            .await
            .expect("running")
            .success()
    );
    let data = cluster.dir.path().join("data-2");
    let (code, out) = run_cli(
        crate::support::shoal_command(),
        &[
            "debug",
            "diverge",
            "--data-dir",
            data.to_str().unwrap(),
            "--shard",
            &shard.to_string(),
            "--key",
            &key,
            "--value",
            "a value only node 2 holds",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    cluster.node(2).start();
    cluster.node(2).wait_ready(Duration::from_secs(60)).await;
    let node2 = cluster.node(2).client().await;
    assert_eq!(
        local_read(&node2, &key).await.unwrap().unwrap(),
        b"a value only node 2 holds",
        "the hook diverged the replica"
    );

    let args = ["cluster", "check", "--shard", "3", "--endpoint", &endpoint];
    let (code, out) = run_cli(cluster.cli(), &args).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("1 diverged") && out.contains("node(s) [2] differ"),
        "{out}"
    );
    let found = std::time::Instant::now();
    wait_for(
        "the diverged replica to be rebuilt",
        Duration::from_secs(120),
        || async {
            let moves = client.moves().await.ok()?;
            let served = local_read(&node2, &key).await.ok()??;
            (moves.moves.is_empty() && served == b"the value every replica holds").then_some(())
        },
    )
    .await;
    println!(
        "the diverged replica was rebuilt {:?} after the check",
        found.elapsed()
    );
    let (code, out) = run_cli(
        cluster.cli(),
        &["cluster", "check", "--endpoint", &endpoint],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("16 consistent"), "{out}");
    println!("{out}");
}

/// Copies the directory tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Damages `file` the way a seeded `rng` says: eight flipped bits anywhere, or one 4 KiB
/// page of random bytes.
fn fuzz(file: &Path, rng: &mut rand::rngs::StdRng) -> String {
    use rand::Rng;
    let mut bytes = std::fs::read(file).unwrap();
    if rng.random_bool(0.5) {
        for _ in 0..8 {
            let at = rng.random_range(0..bytes.len());
            bytes[at] ^= 1 << rng.random_range(0..8);
        }
        std::fs::write(file, bytes).unwrap();
        "8 flipped bits".into()
    } else {
        let page = rng.random_range(0..bytes.len() / 4096) * 4096;
        let end = (page + 4096).min(bytes.len());
        rng.fill(&mut bytes[page..end]);
        std::fs::write(file, bytes).unwrap();
        format!("random page at {page}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corpus_of_damaged_files_never_crashes_the_node_nor_serves_a_wrong_value() {
    use rand::SeedableRng;
    let base = tempfile::tempdir().unwrap();
    let mut node = single_node(base.path());
    node.wait_ready(Duration::from_secs(60)).await;
    let client = node.client().await;
    let keys: Vec<(String, String)> = (0..120)
        .map(|i| {
            (
                format!("corpus-{i}"),
                format!("value-{i}-{}", "v".repeat(40)),
            )
        })
        .collect();
    for (key, value) in &keys {
        client
            .put(key.as_str(), value.as_str(), PutOptions::default())
            .await
            .unwrap();
    }
    assert!(node.terminate().await.expect("running").success());
    drop(node);
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    for seed in 0..12u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let case = tempfile::tempdir().unwrap();
        copy_tree(&base.path().join("data"), &case.path().join("data"));
        let file = if seed % 2 == 0 {
            "log.redb"
        } else {
            "state.redb"
        };
        let how = fuzz(&case.path().join("data").join(file), &mut rng);
        let what = format!("seed {seed}: {file}, {how}");
        let mut node = single_node(case.path());
        match node.try_wait_ready(Duration::from_secs(30)).await {
            Err(error) => {
                // Refused: with a message naming the damage and what to do, never a panic.
                assert!(
                    !error.contains("exit status: 101"),
                    "{what}: a panic reached the user:\n{error}"
                );
                assert!(
                    error.contains("is damaged") || error.contains("could not start"),
                    "{what}: the node stopped without saying why:\n{error}"
                );
                *outcomes.entry("refused with a clear message").or_default() += 1;
            }
            Ok(()) => {
                // Serving: every key reads right or fails; a damaged shard stays down.
                let client = node.client().await;
                let (mut failed, mut missing) = (0, Vec::new());
                for (key, value) in &keys {
                    match client.get(key.as_str(), true).await {
                        Ok(Some(found)) => {
                            assert_eq!(found.value, value.as_bytes(), "{what}: {key} served wrong")
                        }
                        // Damage in state.redb's B-tree (a separator, or a key dropped from
                        // its leaf) can make a key read as absent with no record left to fail
                        // a checksum (redb checks its page checksums only when repairing):
                        // until the consistency check, which looks every scanned key up and
                        // adds them up against the group's tally, finds it.
                        Ok(None) => missing.push(key),
                        Err(_) => failed += 1,
                    }
                }
                if !missing.is_empty() {
                    println!("{what}: {} key(s) missing without an error", missing.len());
                    let _ = client.check_consistency(None).await;
                    // The check puts the shard in quarantine: the key fails from then on.
                    for key in &missing {
                        let deadline = std::time::Instant::now() + Duration::from_secs(10);
                        while client.get(key.as_str(), true).await.is_ok() {
                            assert!(
                                std::time::Instant::now() < deadline,
                                "{what}: {key} reads as absent and the check does not find it"
                            );
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                    *outcomes
                        .entry("missed keys, then found by the check")
                        .or_default() += 1;
                    failed += missing.len();
                }
                assert!(
                    node.terminate().await.expect("running").success(),
                    "{what}: a graceful stop fails"
                );
                let outcome = if failed == 0 {
                    "served everything"
                } else {
                    "served, damaged shards refused"
                };
                *outcomes.entry(outcome).or_default() += 1;
            }
        }
    }
    println!("{outcomes:?}");
}
