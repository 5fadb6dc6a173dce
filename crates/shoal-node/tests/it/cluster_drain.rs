//! Leadership balancing and maintenance mode: `shoal node drain` moves every leadership off
//! a node (it keeps its replicas), `shoal node undrain` brings its preferred leaderships
//! back, and a node restarted gracefully gets its preferred leaderships back by transfer.

use std::process::Command;
use std::time::Duration;

use crate::support::cluster::{ClusterShape, ProcessCluster, key_in_shard, wait_for_healthy};
use shoal_client::{Client, PutOptions};

/// Runs the CLI `cli` (the cluster's, [`ProcessCluster::cli`]) with `args`.
fn shoal(mut cli: Command, args: &[&str]) -> (bool, String, String) {
    let output = cli.args(args).output().expect("run shoal");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn leads(client: &Client, node: u64) -> (usize, bool) {
    let status = client.status().await.unwrap();
    (
        status.shards.iter().filter(|s| s.leader_id == node).count(),
        status.meta_leader_id == node,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_moves_leaderships_away_and_undrain_and_restarts_bring_them_back() {
    let mut cluster = ProcessCluster::start(3, ClusterShape::default()).await;
    let endpoint = cluster.node(1).client_address();
    let client = cluster.node(1).client().await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    // Placement gives every node preferred leaderships; balancing makes them real.
    crate::support::wait_for(
        "every node to lead its preferred shards",
        Duration::from_secs(30),
        || async {
            let status = client.status().await.ok()?;
            (1..=3u64)
                .all(|node| status.shards.iter().any(|s| s.leader_id == node))
                .then_some(())
        },
    )
    .await;

    // Drain node 2 through the CLI, which waits until it leads nothing.
    let (ok, stdout, stderr) = shoal(
        cluster.cli(),
        &[
            "node",
            "drain",
            "2",
            "--endpoint",
            &endpoint,
            "--timeout",
            "60s",
        ],
    );
    assert!(ok, "drain failed: {stdout}{stderr}");
    assert!(stdout.contains("node 2 is draining"), "{stdout}");
    assert!(stdout.contains("leads nothing"), "{stdout}");
    assert_eq!(leads(&client, 2).await, (0, false));
    let status = client.status().await.unwrap();
    let node2 = status.nodes.iter().find(|n| n.node_id == 2).unwrap();
    assert_eq!(node2.state, shoal_proto::v1::NodeState::Draining as i32);
    // It keeps its replicas, and the cluster serves every shard.
    assert!(
        status
            .shards
            .iter()
            .all(|s| s.replicas.iter().any(|r| r.node_id == 2))
    );
    for shard in 0..16 {
        client
            .put(
                key_in_shard(shard, 16, "drained"),
                "v",
                PutOptions::default(),
            )
            .await
            .unwrap();
    }
    // A drained node is not given leaderships back while it stays drained.
    let again = client.transfer_leader(Some(0), 2).await;
    if again.is_ok() {
        crate::support::wait_for(
            "the balancer to move shard 0 off the drained node",
            Duration::from_secs(20),
            || async { (leads(&client, 2).await.0 == 0).then_some(()) },
        )
        .await;
    }

    // Undrain: its preferred leaderships come back.
    let (ok, stdout, stderr) = shoal(
        cluster.cli(),
        &["node", "undrain", "2", "--endpoint", &endpoint],
    );
    assert!(ok, "undrain failed: {stdout}{stderr}");
    assert!(stdout.contains("node 2 is active"), "{stdout}");
    crate::support::wait_for("node 2 to lead again", Duration::from_secs(30), || async {
        (leads(&client, 2).await.0 > 0).then_some(())
    })
    .await;

    // Unknown nodes are refused, naming the problem.
    let (ok, _, stderr) = shoal(
        cluster.cli(),
        &["node", "drain", "9", "--endpoint", &endpoint, "--no-wait"],
    );
    assert!(!ok);
    assert!(stderr.contains("node 9 is not registered"), "{stderr}");

    // A graceful restart hands node 3's leaderships off, and balancing brings them back.
    let exit = cluster.node(3).terminate().await.unwrap();
    assert!(exit.success());
    assert_eq!(leads(&client, 3).await.0, 0);
    cluster.node(3).start();
    cluster.node(3).wait_ready(Duration::from_secs(60)).await;
    crate::support::wait_for(
        "node 3 to lead again after its restart",
        Duration::from_secs(30),
        || async { (leads(&client, 3).await.0 > 0).then_some(()) },
    )
    .await;
}
