//! A damaged data file is never served as a wrong value: one flipped byte of a value in
//! `state.redb` makes the read fail with DATA_LOSS naming the shard and the key, and one
//! flipped byte of a log entry in `log.redb` stops the group when the entry is replayed —
//! the reads fail, naming the entry, rather than answer from a damaged log. Against a real
//! single node, stopped and restarted around the damage.

use std::path::Path;
use std::time::Duration;

use crate::support::cluster::NodeProcess;
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
    client
        .put("bystander", "fine", PutOptions::default())
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
    // The rest of the shard still serves.
    let fine = client.get("bystander", false).await.unwrap().unwrap();
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
