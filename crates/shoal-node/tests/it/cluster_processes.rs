//! A cluster of real `shoal` processes on loopback: bootstrap through gossip seeds, routing
//! and forwarding through every node, convergence of every replica, leader transfer, a
//! node joining later, and the smart client.

use std::time::{Duration, Instant};

use crate::support::cluster::{
    ClusterShape, ProcessCluster, key_in_shard, wait_for_convergence, wait_for_healthy,
};
use crate::support::wait_for;
use shoal_client::{PutOptions, SmartClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_form_a_cluster_route_converge_transfer_and_admit_a_fourth() {
    // Moves start only on command here, so the plan can be looked at before it runs.
    let shape = ClusterShape {
        auto_rebalance: false,
        ..ClusterShape::default()
    };
    let mut cluster = ProcessCluster::start(3, shape).await;
    let clients = [
        cluster.node(1).client().await,
        cluster.node(2).client().await,
        cluster.node(3).client().await,
    ];
    let status = wait_for_healthy(&clients[0], Duration::from_secs(30)).await;
    assert!(!status.cluster_id.is_empty(), "a cluster id: {status:?}");
    assert_ne!(status.meta_leader_id, 0, "the meta group has a leader");
    assert_eq!(status.nodes.len(), 3);
    assert_eq!(status.nodes.iter().filter(|n| n.meta_voter).count(), 3);

    // Every node serves writes and reads for every key: a put through one node is read
    // linearizably through another.
    let mut written = Vec::new();
    for i in 0..480u32 {
        let key = format!("route-{i}");
        let through = &clients[i as usize % 3];
        let version = through
            .put(key.clone(), format!("v{i}"), PutOptions::default())
            .await
            .unwrap_or_else(|e| panic!("put {key} through node {}: {e}", i % 3 + 1));
        written.push((key, format!("v{i}"), version));
    }
    for (i, (key, value, version)) in written.iter().enumerate() {
        let read = clients[(i + 1) % 3]
            .get(key.clone(), false)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(read.value, value.as_bytes());
        assert_eq!(read.version, *version);
    }

    // Keys spread over every shard, and every replica of every shard holds the same data.
    let status = clients[2].status().await.unwrap();
    for shard in &status.shards {
        assert!(shard.keys > 0, "shard {} got no keys", shard.shard_id);
    }
    let digests = wait_for_convergence(&clients[1], Duration::from_secs(30)).await;
    assert_eq!(digests.len(), 16);

    // The smart client goes straight to leaders and gets the same answers.
    let endpoints: Vec<String> = cluster.nodes.iter().map(|n| n.client_address()).collect();
    let smart = SmartClient::connect_with(&endpoints, &cluster.connect_options())
        .await
        .unwrap();
    let version = smart
        .put("smart-key", "smart", PutOptions::default())
        .await
        .unwrap();
    let read = clients[0].get("smart-key", false).await.unwrap().unwrap();
    assert_eq!(
        (read.value.as_slice(), read.version),
        (&b"smart"[..], version)
    );

    // Leader transfer: shard 0 moves to a node that does not lead it.
    let current = status.shards[0].leader_id;
    let target = (1..=3).find(|&n| n != current).unwrap();
    let started = Instant::now();
    let moved = clients[2].transfer_leader(Some(0), target).await.unwrap();
    let took = started.elapsed();
    assert_eq!(moved.leader_id, target);
    println!("leader transfer of shard 0 from node {current} to node {target}: {took:?}");
    assert!(took < Duration::from_secs(10), "transfer took {took:?}");
    let key = key_in_shard(0, 16, "after-transfer");
    clients[0]
        .put(key.clone(), "x", PutOptions::default())
        .await
        .unwrap();

    // A fourth node joins through the seeds and becomes a learner of the meta group.
    let joined = Instant::now();
    let fourth = cluster.add_node();
    fourth.wait_ready(Duration::from_secs(60)).await;
    println!(
        "a fourth node was ready {:?} after it started",
        joined.elapsed()
    );
    let fourth_client = fourth.client().await;
    let status = wait_for(
        "node 4 registered as a meta learner, live and ready",
        Duration::from_secs(30),
        || async {
            let status = clients[0].status().await.ok()?;
            let node = status.nodes.iter().find(|n| n.node_id == 4)?;
            (node.meta_learner && node.live && node.ready).then_some(status)
        },
    )
    .await;
    assert_eq!(status.nodes.len(), 4);
    // It holds no replica yet, but serves every key by forwarding.
    let read = fourth_client.get(key, false).await.unwrap().unwrap();
    assert_eq!(read.value, b"x");
    fourth_client
        .put("via-fourth", "4", PutOptions::default())
        .await
        .unwrap();

    // The rebalance plan gives the new node about a quarter of the 48 replicas.
    let endpoint = cluster.node(1).client_address();
    let ca = cluster.dir.path().join("certs/ca.crt");
    let shoal = |args: &[&str]| {
        std::process::Command::new(crate::support::shoal_binary())
            .env("SHOAL_CA_FILE", &ca)
            .args(args)
            .output()
            .unwrap()
    };
    let planned = shoal(&["cluster", "rebalance", "--dry-run", "--endpoint", &endpoint]);
    let text = String::from_utf8_lossy(&planned.stdout);
    assert!(planned.status.success(), "{text}");
    assert!(text.contains("12 move(s) planned"), "{text}");
    assert!(text.contains("4: 0->12"), "{text}");
    // Without --dry-run the first wave starts (this cluster does not rebalance by itself),
    // one move per source and target node: with one target, one move.
    let started = shoal(&["cluster", "rebalance", "--endpoint", &endpoint]);
    let text = String::from_utf8_lossy(&started.stdout);
    assert!(started.status.success(), "{text}");
    assert!(text.contains("(started)"), "{text}");
    // The move completes: node 4 then holds a replica, and the moves list is empty.
    wait_for(
        "the started move to finish",
        Duration::from_secs(60),
        || async {
            let moves = clients[0].moves().await.ok()?;
            let map = clients[0].shard_map().await.ok()?;
            let held = map
                .shards
                .iter()
                .filter(|s| s.replicas.iter().any(|r| r.node_id == 4))
                .count();
            (moves.moves.is_empty() && moves.finished == 1 && held == 1).then_some(())
        },
    )
    .await;
    let listed = shoal(&["cluster", "moves", "--endpoint", &endpoint]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("0 move(s) in flight; 1 finished"), "{text}");
    wait_for_convergence(&clients[0], Duration::from_secs(30)).await;
}

/// Regression (chaos seed 1, see docs/robustness.md): with more bootstrap nodes than meta
/// voters, the nodes beyond the voters learned the shard map only from the meta leader's
/// reconciler, which starts once the bootstrapping node is ready — and that node waited
/// for shards needing those very nodes. Start-up deadlocked and the bootstrapping node
/// gave up after 30 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_with_more_nodes_than_meta_voters_does_not_deadlock() {
    let shape = ClusterShape {
        expect_nodes: 5,
        shards: 8,
        ..ClusterShape::default()
    };
    // Returns once all five are ready.
    let mut cluster = ProcessCluster::start(5, shape).await;
    let client = cluster.node(5).client().await;
    let status = wait_for_healthy(&client, Duration::from_secs(30)).await;
    assert_eq!(status.nodes.len(), 5);
    assert_eq!(status.nodes.iter().filter(|n| n.meta_voter).count(), 3);
    assert_eq!(status.nodes.iter().filter(|n| n.meta_learner).count(), 2);
    // Every node holds shard replicas (8 shards × RF 3 over 5 nodes).
    for node in &status.nodes {
        let held = status
            .shards
            .iter()
            .filter(|s| s.replicas.iter().any(|r| r.node_id == node.node_id))
            .count();
        assert!(held > 0, "node {} holds no replica", node.node_id);
    }
    let version = client
        .put("five", "nodes", PutOptions::default())
        .await
        .unwrap();
    let read = cluster
        .node(4)
        .client()
        .await
        .get("five", false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.value.as_slice(), read.version),
        (&b"nodes"[..], version)
    );
}
