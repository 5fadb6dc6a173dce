//! Replica transfers (snapshots streamed to a node a replica moves to): the byte rate stays
//! at `cluster.rebalance.max_rate`, and a transfer whose connection breaks resumes from the
//! bytes the receiver holds instead of starting over.

use std::time::{Duration, Instant};

use crate::support::cluster::{ClusterShape, InProcessCluster, wait_for_convergence};
use crate::support::wait_for;
use shoal_client::PutOptions;

/// A transfer as sampled on its sender.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Instant,
    sent: u64,
    total: u64,
    resumed_from: u64,
}

/// Three nodes with two shards of about 5 MiB each, logs purged early so a new replica
/// needs a snapshot; every write acknowledged.
async fn loaded_cluster(max_rate: &'static str) -> InProcessCluster {
    let shape = ClusterShape {
        shards: 2,
        snapshot_threshold: 40,
        trailing_logs: 5,
        max_rate,
        ..ClusterShape::default()
    };
    let cluster = InProcessCluster::start(3, shape).await;
    let client = cluster.client(1).await;
    let value = vec![b'v'; 32 << 10];
    for i in 0..320 {
        client
            .put(format!("bulk-{i}"), value.clone(), PutOptions::default())
            .await
            .unwrap();
    }
    cluster
}

/// Adds a fourth node and samples the first transfer to it on whichever node sends it,
/// until that transfer is done (the move's target caught up).
async fn sample_first_transfer(cluster: &mut InProcessCluster) -> (u64, Vec<Sample>) {
    let target = cluster.add_node().await;
    let mut samples: Vec<Sample> = Vec::new();
    let mut sender = None;
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no transfer finished: {samples:?}"
        );
        let mut seen = false;
        for node in &cluster.nodes[..3] {
            for group in 1..=2u64 {
                let group = shoal_shardmap::GroupId(group);
                for progress in node.transport().transfers().in_flight(group) {
                    if progress.target.0 != target || sender.is_some_and(|s| s != node.node_id.0) {
                        continue;
                    }
                    sender = Some(node.node_id.0);
                    seen = true;
                    samples.push(Sample {
                        at: Instant::now(),
                        sent: progress.sent,
                        total: progress.total,
                        resumed_from: progress.resumed_from,
                    });
                }
            }
        }
        if !seen && samples.last().is_some_and(|s| s.sent >= s.total) {
            break;
        }
        if !seen && !samples.is_empty() {
            // Between a broken attempt and its resumption, or done: wait a little more.
            let last = samples.last().unwrap().at;
            if last.elapsed() > Duration::from_secs(10) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (sender.expect("a sender"), samples)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transfer_rate_stays_at_max_rate() {
    // 16 Mbps = 2,000,000 bytes per second.
    let mut cluster = loaded_cluster("16Mbps").await;
    let (_, samples) = sample_first_transfer(&mut cluster).await;
    let first = samples.iter().find(|s| s.sent > 0).expect("bytes moved");
    let last = samples.last().unwrap();
    let seconds = last.at.duration_since(first.at).as_secs_f64();
    let rate = (last.sent - first.sent) as f64 / seconds;
    println!(
        "snapshot of {} bytes; {:.0} bytes/s measured over {seconds:.2}s (cap 2,000,000)",
        last.total, rate
    );
    assert!(last.total > 2 << 20, "a snapshot of a few MiB: {last:?}");
    assert!(
        (1_600_000.0..=2_400_000.0).contains(&rate),
        "rate {rate:.0} bytes/s is not within 20% of 2,000,000"
    );
    let client = cluster.client(1).await;
    wait_for("the moves to finish", Duration::from_secs(60), || async {
        let moves = client.moves().await.ok()?;
        (moves.moves.is_empty() && moves.finished >= 1).then_some(())
    })
    .await;
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_transfer_resumes_where_it_stopped() {
    let mut cluster = loaded_cluster("40Mbps").await;
    // Whichever node sends the first snapshot, its connection breaks after 1 MB.
    let before: Vec<u64> = cluster
        .nodes
        .iter()
        .map(|n| {
            let transport = n.transport();
            // Node 4 is the next node to join.
            transport
                .faults()
                .break_next_snapshot_to(shoal_shardmap::NodeId(4), 1_000_000);
            transport.transfers().bytes_sent_total()
        })
        .collect();
    let (sender, samples) = sample_first_transfer(&mut cluster).await;
    let resumed = samples
        .iter()
        .find(|s| s.resumed_from > 0)
        .copied()
        .unwrap_or_else(|| panic!("no resumed attempt: {samples:?}"));
    let total = samples.last().unwrap().total;
    let sent = cluster
        .node(sender)
        .transport()
        .transfers()
        .bytes_sent_total()
        - before[(sender - 1) as usize];
    println!(
        "snapshot of {total} bytes broke off and resumed at byte {}; {sent} bytes sent in all",
        resumed.resumed_from
    );
    assert!(resumed.resumed_from >= 1_000_000, "{resumed:?}");
    // Starting over would have sent the broken part twice.
    assert!(
        sent < total + (1 << 20),
        "{sent} bytes sent for a snapshot of {total}: the transfer started over"
    );
    let client = cluster.client(1).await;
    wait_for("the moves to finish", Duration::from_secs(60), || async {
        let moves = client.moves().await.ok()?;
        (moves.moves.is_empty() && moves.finished >= 1).then_some(())
    })
    .await;
    // The resumed replica holds exactly the data of the others.
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    cluster.shutdown().await;
}
