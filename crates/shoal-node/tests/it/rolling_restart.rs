//! A rolling restart of every node, one after the other, under a running workload: with
//! leadership handoff on SIGTERM and clients retrying only what provably had no effect,
//! no operation fails, and the history checker finds the whole history linearizable.

use std::time::{Duration, Instant};

use crate::support::cluster::{ClusterShape, ProcessCluster, wait_for_healthy};
use crate::support::load::CheckedWorkload;
use shoal_testkit::verify::VerifyOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_under_load_fails_no_operation_and_stays_linearizable() {
    let mut cluster = ProcessCluster::start(3, ClusterShape::default()).await;
    let observer = cluster.node(1).client().await;
    wait_for_healthy(&observer, Duration::from_secs(30)).await;
    let endpoints: Vec<String> = cluster.nodes.iter().map(|n| n.client_address()).collect();
    let load = CheckedWorkload::start(VerifyOptions {
        endpoints,
        clients: 4,
        keys: 8,
        think_time: Duration::from_millis(5),
        request_timeout: Duration::from_secs(10),
        retries: 10,
        connect: cluster.connect_options(),
        ..VerifyOptions::default()
    })
    .await;
    let restarts = Instant::now();
    for id in 1..=3u64 {
        let exit = cluster.node(id).terminate().await.expect("running");
        assert!(exit.success(), "node {id} did not stop cleanly: {exit}");
        cluster.node(id).start();
        cluster.node(id).wait_ready(Duration::from_secs(60)).await;
        // Back to full strength (every shard led, every replica reachable) before the next.
        wait_for_healthy(&cluster.node(id).client().await, Duration::from_secs(30)).await;
    }
    println!("rolling restart of 3 nodes took {:?}", restarts.elapsed());
    load.progress("the workload to go on after the restarts")
        .await;
    load.finish("despite retries").await;
}
