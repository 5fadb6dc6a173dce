//! The checker catches a real consistency bug end to end: one node of a live cluster is
//! deliberately broken (a test-only hook makes it serve linearizable reads from its own
//! replica without a quorum round) and made to lag (its peers delay every message to it).
//! The same `shoal verify` workload that chaos runs use must report stale reads.

use std::time::{Duration, Instant};

use crate::support::cluster::{ClusterShape, InProcessCluster, wait_for_healthy};
use shoal_consensus::Fault;
use shoal_shardmap::NodeId;
use shoal_testkit::verify::{VerifyOptions, VerifyWorkload, check_with_expiry_bound};
use shoal_verify::AnomalyKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_stale_reads_from_a_node_that_skips_the_quorum_round() {
    let shape = ClusterShape {
        shards: 4,
        ..ClusterShape::default()
    };
    let cluster = InProcessCluster::start_with(3, shape, |id, config| {
        config.testing.unsafe_stale_reads = id == 3;
        // Leaderships stay where the test puts them.
        config.cluster.rebalance.balance_leaders = false;
    })
    .await;
    let healthy = cluster.client(1).await;
    wait_for_healthy(&healthy, Duration::from_secs(30)).await;
    // Keep node 3 a follower everywhere, so its reads come from a lagging replica.
    let status = healthy.status().await.unwrap();
    for shard in status.shards.iter().filter(|s| s.leader_id == 3) {
        healthy
            .transfer_leader(Some(shard.shard_id), 1)
            .await
            .unwrap();
    }
    for from in [1, 2] {
        cluster
            .node(from)
            .transport()
            .faults()
            .set(NodeId(3), Fault::Delay(Duration::from_millis(300)));
    }

    let endpoints = [1, 3]
        .map(|id| cluster.node(id).client_address.to_string())
        .to_vec();
    let mut workload = VerifyWorkload::new(VerifyOptions {
        endpoints,
        clients: 4,
        keys: 4,
        connect: cluster.connect_options(),
        ..VerifyOptions::default()
    })
    .unwrap();
    workload
        .run(Instant::now() + Duration::from_secs(4))
        .await
        .unwrap();
    cluster.heal();
    workload
        .final_reads(Instant::now() + Duration::from_secs(30))
        .await
        .unwrap();
    let history = workload.history();
    let report = check_with_expiry_bound(&history, Duration::from_secs(2));
    println!("{} operations; {report}", history.len());
    assert!(!report.is_valid(), "stale reads went unnoticed");
    assert!(
        report.has_anomaly(AnomalyKind::StaleRead)
            || report.has_anomaly(AnomalyKind::NotLinearizable),
        "{report}"
    );
    workload.cleanup().await;
    cluster.shutdown().await;
}
