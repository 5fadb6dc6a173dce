//! A node frozen by SIGSTOP and resumed: its peers' node-pair streams to it survive the
//! pause. While it is frozen the others' Raft messages to it pass their deadlines by the
//! dozen; a deadline drops only the waiter, never the stream, so nothing trips h2's
//! rapid-reset guard (which, with one unary call per message, closed every connection to
//! the resumed node three times per pause), and no stream is reopened afterwards.

use std::time::Duration;

use crate::support::cluster::{
    ClusterShape, ProcessCluster, key_in_shard, wait_for_convergence, wait_for_healthy,
};
use crate::support::wait_for;
use shoal_client::PutOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_pair_streams_survive_a_sigstop_of_one_node() {
    let shape = ClusterShape::default();
    let shards = shape.shards;
    let mut cluster = ProcessCluster::start(3, shape).await;
    let client = cluster.nodes[0].client().await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    // Traffic on every shard, so every pipe between every pair is open.
    for shard in 0..shards {
        let key = key_in_shard(shard, shards, "before");
        client
            .put(key, "before", PutOptions::default())
            .await
            .expect("put before the pause");
    }

    let connects = |peer: u64| format!("shoal_peer_pipe_connects_total{{peer=\"{peer}\"}}");
    let timeouts = |peer: u64| format!("shoal_peer_calls_timed_out_total{{peer=\"{peer}\"}}");
    // (observer, peer) → streams opened so far.
    let pairs = [(1, 3), (2, 3), (3, 1), (3, 2)];
    let mut before = Vec::new();
    for (observer, peer) in pairs {
        let opened = cluster.node(observer).metric(&connects(peer)).await;
        assert!(
            opened >= 1,
            "node {observer} never opened a stream to node {peer}"
        );
        before.push(opened);
    }
    let timed_out_before = cluster.nodes[0].metric(&timeouts(3)).await;

    cluster.node(3).pause();
    // Frozen until node 1 has given up on well over the guard's 20 messages to it
    // (heartbeats of every group it shares with node 3 time out every 150 ms). Well under
    // the 10 s HTTP/2 keepalive would need to declare the connection dead.
    let first = &cluster.nodes[0];
    wait_for(
        "node 1 to time out 60 messages to the frozen node 3",
        Duration::from_secs(8),
        || async { (first.metric(&timeouts(3)).await >= timed_out_before + 60).then_some(()) },
    )
    .await;
    cluster.node(3).resume();

    // Everyone catches up, and writes go through everywhere.
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    let third = cluster.node(3).client().await;
    for shard in 0..shards {
        let key = key_in_shard(shard, shards, "after");
        third
            .put(key, "after", PutOptions::default())
            .await
            .expect("put after the pause");
    }

    for ((observer, peer), opened_before) in pairs.into_iter().zip(before) {
        let opened = cluster.node(observer).metric(&connects(peer)).await;
        assert_eq!(
            opened,
            opened_before,
            "node {observer} reopened its stream to node {peer} after the pause:\n{}",
            cluster.node(observer).log_tail(40)
        );
    }
    for node in &cluster.nodes {
        let log = std::fs::read_to_string(&node.log_path).unwrap_or_default();
        assert!(
            !log.contains("reached limit") && !log.contains("the pipe to a peer broke"),
            "node {}: {}",
            node.id,
            node.log_tail(40)
        );
    }
}
