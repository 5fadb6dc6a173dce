//! Snapshots and log compaction: past `snapshot_threshold` entries a shard snapshots and
//! truncates its log to `trailing_logs`; a restart brings back the whole state.

use std::time::Duration;

use crate::support::{start_node, test_config, wait_for};
use shoal_client::PutOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_is_compacted_after_snapshot_threshold_and_state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.cluster.data.shards = 1;
    config.cluster.raft.snapshot_threshold = 100;
    config.cluster.raft.trailing_logs = 10;
    let (node, client) = start_node(config.clone()).await;

    for i in 0..450u32 {
        // Overwrite a small key set so the snapshot holds the latest values only.
        client
            .put(
                format!("snap-{}", i % 150),
                format!("v{i}"),
                PutOptions::default(),
            )
            .await
            .unwrap();
    }
    let shard = node.replicas().into_iter().next().unwrap();
    let status =
        wait_for(
            "a snapshot and a purged log",
            Duration::from_secs(30),
            || {
                let status = shard.status();
                async move {
                    (status.snapshot_index >= 300 && status.purged_index > 0).then_some(status)
                }
            },
        )
        .await;
    // The log keeps `trailing_logs` entries before the snapshot (purged in batches of
    // PURGE_BATCH) plus what arrived since — far fewer than the 450 written.
    let batch = shoal_consensus::PURGE_BATCH;
    let kept = status.last_log_index - status.purged_index;
    assert!(
        kept <= 10 + 100 + batch,
        "log keeps {kept} entries: {status:?}"
    );
    assert!(
        status.purged_index + 10 + batch >= status.snapshot_index,
        "purged up to snapshot - trailing_logs: {status:?}"
    );
    drop(shard);
    let snapshots: Vec<_> = std::fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .flatten()
        .collect();
    assert!(
        snapshots
            .iter()
            .any(|e| e.file_name().to_string_lossy().starts_with("group-1-")),
        "a snapshot file exists"
    );
    node.shutdown().await.unwrap();

    let (node, client) = start_node(config).await;
    for i in 300..450u32 {
        let read = client
            .get(format!("snap-{}", i % 150), false)
            .await
            .unwrap()
            .expect("key survives restart");
        assert_eq!(read.value, format!("v{i}").as_bytes());
    }
    let status = node.replicas()[0].status();
    assert!(
        status.snapshot_index >= 300,
        "the snapshot is still known after restart: {status:?}"
    );
    assert!(
        status.purged_index > 0,
        "the log stays purged after restart: {status:?}"
    );
    node.shutdown().await.unwrap();
}
