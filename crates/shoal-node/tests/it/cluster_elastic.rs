//! The elastic cluster, with real `shoal` processes under a continuous write load: a node
//! joins and receives its share of replicas and leaderships; a node is drained and
//! decommissioned; a node dies for good and its replicas are re-created elsewhere; the meta
//! leader dies in the middle of a move and the move still completes. In every case no
//! acknowledged write is lost and no write fails once a client's retries are counted.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::support::cluster::{
    ClusterShape, ProcessCluster, wait_for_convergence, wait_for_healthy,
};
use crate::support::load::{LoadReport, WriteLoad, assert_all_acked_present};
use crate::support::wait_for;
use shoal_client::{Client, PutOptions};
use shoal_proto::v1::GetShardMapResponse;

/// Runs the CLI `cli` (the cluster's, [`ProcessCluster::cli`]) with `args`.
fn shoal(mut cli: std::process::Command, args: &[&str]) -> std::process::Output {
    cli.args(args).output().unwrap()
}

fn replicas_per_node(map: &GetShardMapResponse) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for shard in &map.shards {
        for replica in &shard.replicas {
            *counts.entry(replica.node_id).or_default() += 1;
        }
    }
    counts
}

fn endpoints(cluster: &mut ProcessCluster, ids: &[u64]) -> Vec<String> {
    ids.iter()
        .map(|id| cluster.node(*id).client_address())
        .collect()
}

/// No write failed after retries, and every acknowledged one is there.
async fn check_load(client: &Client, report: &LoadReport) {
    assert!(
        report.failed.is_empty(),
        "{} write(s) failed after retries: {:?}",
        report.failed.len(),
        &report.failed[..report.failed.len().min(5)]
    );
    assert!(report.acked.len() > 20, "the load ran: {report:?}");
    assert_all_acked_present(client, report).await;
    println!(
        "load: {} writes acknowledged, {} retried attempts, 0 failed",
        report.acked.len(),
        report.retries
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_node_takes_a_quarter_of_replicas_and_leaderships_under_load() {
    let mut cluster = ProcessCluster::start(3, ClusterShape::default()).await;
    let client = cluster.node(1).client().await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;

    // Three nodes cannot lose one with replication factor 3: decommission is refused.
    let endpoint = cluster.node(1).client_address();
    let refused = shoal(
        cluster.cli(),
        &["node", "decommission", "3", "--endpoint", &endpoint],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("cannot decommission node 3"), "{stderr}");

    let load = WriteLoad::start(
        endpoints(&mut cluster, &[1, 2, 3]),
        cluster.connect_options(),
        "scale-out",
        Duration::from_millis(5),
        50_000,
    );
    wait_for("the load to run", Duration::from_secs(30), || async {
        (load.written() > 50).then_some(())
    })
    .await;
    let joined = std::time::Instant::now();
    cluster.add_node().wait_ready(Duration::from_secs(60)).await;
    let (map, leaders) = wait_for(
        "node 4 to hold a quarter of the replicas and leaderships",
        Duration::from_secs(180),
        || async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let map = client.shard_map().await.ok()?;
            let moves = client.moves().await.ok()?;
            let counts = replicas_per_node(&map);
            let leaders = map.shards.iter().filter(|s| s.leader_id == 4).count();
            let balanced = moves.moves.is_empty()
                && (11..=13).contains(counts.get(&4).unwrap_or(&0))
                && (3..=5).contains(&leaders);
            if !balanced {
                let in_flight: Vec<String> = moves
                    .moves
                    .iter()
                    .map(|m| {
                        format!(
                            "shard {} {}→{} at {} (target {} of {}){}",
                            m.shard_id,
                            m.from_node,
                            m.to_node,
                            m.step,
                            m.target_matched_index,
                            m.leader_last_index,
                            if m.stuck_reason.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", m.stuck_reason)
                            }
                        )
                    })
                    .collect();
                println!(
                    "  {counts:?} replicas per node, node 4 leads {leaders}, moving: {in_flight:?}"
                );
            }
            balanced.then_some((map, leaders))
        },
    )
    .await;
    println!(
        "node 4 holds {:?} replicas and leads {leaders} shards {:?} after joining",
        replicas_per_node(&map),
        joined.elapsed()
    );
    for shard in &map.shards {
        let nodes: BTreeSet<u64> = shard.replicas.iter().map(|r| r.node_id).collect();
        assert_eq!(nodes.len(), 3, "shard {} on distinct nodes", shard.shard_id);
    }
    let report = load.stop().await;
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    check_load(&client, &report).await;
    let finished = client.moves().await.unwrap();
    assert!(finished.finished >= 11, "{finished:?}");
    assert_eq!(finished.aborted, 0, "{finished:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_then_decommissioned_node_ends_with_nothing() {
    let shape = ClusterShape {
        expect_nodes: 4,
        shards: 8,
        ..ClusterShape::default()
    };
    let mut cluster = ProcessCluster::start(4, shape).await;
    let client = cluster.node(1).client().await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    let load = WriteLoad::start(
        endpoints(&mut cluster, &[1, 2, 3]),
        cluster.connect_options(),
        "decommission",
        Duration::from_millis(5),
        50_000,
    );
    let endpoint = cluster.node(1).client_address();
    let drained = shoal(
        cluster.cli(),
        &["node", "drain", "4", "--endpoint", &endpoint],
    );
    assert!(drained.status.success(), "{drained:?}");
    let started = std::time::Instant::now();
    let decommissioned = shoal(
        cluster.cli(),
        &["node", "decommission", "4", "--endpoint", &endpoint],
    );
    let stdout = String::from_utf8_lossy(&decommissioned.stdout);
    let stderr = String::from_utf8_lossy(&decommissioned.stderr);
    assert!(decommissioned.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("holds no replica and has left the meta group"),
        "{stderr}"
    );
    println!(
        "decommissioned node 4 in {:?}: {stdout}{stderr}",
        started.elapsed()
    );

    let map = client.shard_map().await.unwrap();
    assert!(!replicas_per_node(&map).contains_key(&4), "{map:?}");
    for shard in &map.shards {
        let nodes: BTreeSet<u64> = shard.replicas.iter().map(|r| r.node_id).collect();
        assert_eq!(nodes.len(), 3, "shard {} keeps 3 replicas", shard.shard_id);
    }
    let status = wait_for_healthy(&client, Duration::from_secs(30)).await;
    let node4 = status.nodes.iter().find(|n| n.node_id == 4).unwrap();
    assert!(!node4.meta_voter && !node4.meta_learner, "{node4:?}");
    // Every shard's group has exactly its 3 voters.
    for shard in &status.shards {
        assert_eq!(shard.replicas.len(), 3, "{shard:?}");
    }
    // Node 4 hosts nothing any more (its replicas' data is deleted).
    let fourth = cluster.node(4).client().await;
    let own = wait_for(
        "node 4 to drop its replicas",
        Duration::from_secs(30),
        || async {
            let own = fourth.status().await.ok()?;
            own.shards.iter().all(|s| s.group.is_none()).then_some(own)
        },
    )
    .await;
    assert!(own.shards.iter().all(|s| s.keys == 0));

    let report = load.stop().await;
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    check_load(&client, &report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanently_failed_node_is_replaced_after_replace_after() {
    let shape = ClusterShape {
        expect_nodes: 4,
        shards: 8,
        replace_after: Duration::from_secs(3),
        ..ClusterShape::default()
    };
    let mut cluster = ProcessCluster::start(4, shape).await;
    let client = cluster.node(1).client().await;
    let status = wait_for_healthy(&client, Duration::from_secs(30)).await;
    // Node 2 is a meta voter (the first three nodes are): its seat is replaced too.
    assert!(status.nodes.iter().any(|n| n.node_id == 2 && n.meta_voter));
    let load = WriteLoad::start(
        endpoints(&mut cluster, &[1, 3, 4]),
        cluster.connect_options(),
        "replace",
        Duration::from_millis(5),
        50_000,
    );
    wait_for("the load to run", Duration::from_secs(30), || async {
        (load.written() > 50).then_some(())
    })
    .await;
    let killed = std::time::Instant::now();
    cluster.node(2).kill();
    let status = wait_for(
        "every shard back to 3 voters on the live nodes",
        Duration::from_secs(180),
        || async {
            let status = client.status().await.ok()?;
            let map = client.shard_map().await.ok()?;
            let healthy = map.shards.iter().all(|s| {
                let nodes: BTreeSet<u64> = s.replicas.iter().map(|r| r.node_id).collect();
                nodes.len() == 3 && !nodes.contains(&2)
            }) && status.shards.iter().all(|s| {
                s.leader_id != 0 && s.replicas.len() == 3 && s.replicas.iter().all(|r| r.reachable)
            });
            let meta: BTreeSet<u64> = status
                .nodes
                .iter()
                .filter(|n| n.meta_voter)
                .map(|n| n.node_id)
                .collect();
            (healthy && meta == BTreeSet::from([1, 3, 4])).then_some(status)
        },
    )
    .await;
    println!(
        "every shard back to 3 voters {:?} after node 2 was killed (replace_after 3s)",
        killed.elapsed()
    );
    assert_ne!(status.meta_leader_id, 2);
    let report = load.stop().await;
    wait_for_convergence(&client, Duration::from_secs(60)).await;
    check_load(&client, &report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_survives_the_death_of_the_meta_leader() {
    // Slow moves (a small rate cap, snapshots needed) so there is time to kill.
    let shape = ClusterShape {
        shards: 4,
        snapshot_threshold: 50,
        trailing_logs: 10,
        max_rate: "8Mbps",
        ..ClusterShape::default()
    };
    let mut cluster = ProcessCluster::start(3, shape).await;
    let client = cluster.node(1).client().await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    // About 2 MB per shard in 160 entries (enough for the log to be purged, so a new
    // replica needs a snapshot): a transfer takes about 2 s at 1 MB/s.
    let value = vec![b'x'; 12 << 10];
    for i in 0..640 {
        client
            .put(format!("bulk-{i}"), value.clone(), PutOptions::default())
            .await
            .unwrap();
    }
    cluster.add_node().wait_ready(Duration::from_secs(60)).await;
    let (moving, meta_leader) = wait_for(
        "a move to stream its snapshot",
        Duration::from_secs(60),
        || async {
            let moves = client.moves().await.ok()?;
            let moving = moves
                .moves
                .iter()
                .find(|m| m.step == "catch-up" && m.bytes_sent > 0)?
                .clone();
            let status = client.status().await.ok()?;
            Some((moving, status.meta_leader_id))
        },
    )
    .await;
    println!(
        "killing the meta leader (node {meta_leader}) while move {} of shard {} is at {} of {} bytes",
        moving.id, moving.shard_id, moving.bytes_sent, moving.bytes_total
    );
    assert_ne!(meta_leader, 4, "a new node never leads the meta group");
    cluster.node(meta_leader).kill();
    let survivor = [1, 2, 3].into_iter().find(|id| *id != meta_leader).unwrap();
    let other = cluster.node(survivor).client().await;
    wait_for(
        "the move to complete under the new meta leader",
        Duration::from_secs(120),
        || async {
            let moves = other.moves().await.ok()?;
            let map = other.shard_map().await.ok()?;
            let done = !moves.moves.iter().any(|m| m.id == moving.id);
            let placed = map
                .shards
                .iter()
                .find(|s| s.shard_id == moving.shard_id)?
                .replicas
                .iter()
                .any(|r| r.node_id == moving.to_node);
            (done && placed && moves.aborted == 0).then_some(())
        },
    )
    .await;
    cluster.node(meta_leader).start();
    cluster
        .node(meta_leader)
        .wait_ready(Duration::from_secs(60))
        .await;
    wait_for_convergence(&other, Duration::from_secs(120)).await;
    for i in (0..256).step_by(37) {
        let read = other
            .get(format!("bulk-{i}"), false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.value.len(), 12 << 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_whose_target_dies_is_rolled_back() {
    let shape = ClusterShape {
        shards: 4,
        snapshot_threshold: 50,
        trailing_logs: 10,
        max_rate: "4Mbps",
        ..ClusterShape::default()
    };
    let mut cluster = ProcessCluster::start(3, shape).await;
    let client = cluster.node(1).client().await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    let value = vec![b'y'; 12 << 10];
    for i in 0..640 {
        client
            .put(format!("bulk-{i}"), value.clone(), PutOptions::default())
            .await
            .unwrap();
    }
    let before = client.shard_map().await.unwrap();
    cluster.add_node().wait_ready(Duration::from_secs(60)).await;
    let moving = wait_for(
        "a move to node 4 to stream its snapshot",
        Duration::from_secs(60),
        || async {
            let moves = client.moves().await.ok()?;
            moves
                .moves
                .into_iter()
                .find(|m| m.to_node == 4 && m.step == "catch-up" && m.bytes_sent > 0)
        },
    )
    .await;
    // The target dies for good before it became a voter.
    cluster.node(4).kill();
    let moves = wait_for(
        "the move to be rolled back",
        Duration::from_secs(90),
        || async {
            let moves = client.moves().await.ok()?;
            (moves.aborted >= 1 && !moves.moves.iter().any(|m| m.id == moving.id)).then_some(moves)
        },
    )
    .await;
    println!(
        "move {} of shard {} rolled back: {moves:?}",
        moving.id, moving.shard_id
    );
    // The shard kept its replicas, and its group its three voters.
    let map = client.shard_map().await.unwrap();
    let shard = |map: &GetShardMapResponse| {
        map.shards
            .iter()
            .find(|s| s.shard_id == moving.shard_id)
            .map(|s| {
                s.replicas
                    .iter()
                    .map(|r| r.node_id)
                    .collect::<BTreeSet<u64>>()
            })
            .unwrap()
    };
    assert_eq!(shard(&map), shard(&before));
    assert!(!shard(&map).contains(&4));
    let status = wait_for_healthy(&client, Duration::from_secs(30)).await;
    let replicas = &status
        .shards
        .iter()
        .find(|s| s.shard_id == moving.shard_id)
        .unwrap()
        .replicas;
    assert_eq!(replicas.len(), 3, "{replicas:?}");
}
