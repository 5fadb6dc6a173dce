//! Graceful shutdown in a cluster: a node stopped with SIGTERM hands every leadership it
//! holds to another voter before it exits, so when the process is gone every shard (and the
//! meta group) already has a leader elsewhere — no election timeout for clients to sit out.

use std::time::Duration;

use crate::support::cluster::{ClusterShape, ProcessCluster, key_in_shard, wait_for_healthy};
use shoal_client::PutOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_hands_every_leadership_off_before_the_node_exits() {
    let mut cluster = ProcessCluster::start(3, ClusterShape::default()).await;
    let observer = cluster.node(1).client().await;
    let status = wait_for_healthy(&observer, Duration::from_secs(30)).await;
    // Stop the node leading the most shards (not the observer's node).
    let victim = [2u64, 3]
        .into_iter()
        .max_by_key(|id| status.shards.iter().filter(|s| s.leader_id == *id).count())
        .unwrap();
    // Make it the meta leader too, so that handoff is covered as well.
    observer.transfer_leader(None, victim).await.unwrap();
    crate::support::wait_for(
        "the victim leads the meta group",
        Duration::from_secs(10),
        || async {
            let status = observer.status().await.ok()?;
            (status.meta_leader_id == victim).then_some(())
        },
    )
    .await;
    let led = observer
        .status()
        .await
        .unwrap()
        .shards
        .iter()
        .filter(|s| s.leader_id == victim)
        .count();
    assert!(led > 0, "node {victim} leads no shard");

    let exit = cluster
        .node(victim)
        .terminate()
        .await
        .expect("the node ran");
    assert!(exit.success(), "graceful shutdown failed: {exit}");
    // A graceful stop logs no ERROR (an ERROR line means an operator should look), and a
    // log file holds no colour codes.
    let log = std::fs::read_to_string(&cluster.node(victim).log_path).unwrap();
    assert!(!log.contains('\u{1b}'), "colour codes in a log file");
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(
        errors.is_empty(),
        "a graceful stop logged errors: {errors:#?}"
    );

    // The process is gone: every group already has a leader elsewhere.
    let status = observer.status().await.unwrap();
    assert_ne!(
        status.meta_leader_id, victim,
        "meta leadership not handed off"
    );
    assert_ne!(status.meta_leader_id, 0, "meta group without a leader");
    for shard in &status.shards {
        assert!(
            shard.leader_id != victim && shard.leader_id != 0,
            "shard {} still led by {} when node {victim} had exited",
            shard.shard_id,
            shard.leader_id
        );
    }
    // And they serve — within a few seconds: on a loaded machine a new leader can still be
    // waiting for its first acknowledgements from the remaining follower, and says so
    // (UNAVAILABLE, "has not heard from a quorum") rather than hang; the same put again is
    // harmless.
    for shard in 0..16 {
        let key = key_in_shard(shard, 16, "after");
        crate::support::wait_for(
            &format!("shard {shard} to take a write"),
            Duration::from_secs(15),
            || async {
                observer
                    .put(key.as_str(), "ok", PutOptions::default())
                    .await
                    .ok()
            },
        )
        .await;
    }
}
