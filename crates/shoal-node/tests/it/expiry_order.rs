//! Expiry never goes backwards in log order, whatever the leaders' clocks say.
//!
//! Regression (found by review of the chaos runs' semantics, see docs/robustness.md): each
//! command was judged by its own stamp from the proposing leader's clock, and reads by the
//! reader's clock. A key could be expired for one command (stamped by a leader whose clock
//! runs ahead) and alive again for a later read or Touch (judged by a clock behind it) —
//! an expiry a client had already observed was undone.

use std::time::Duration;

use crate::support::cluster::{ClusterShape, InProcessCluster, key_in_shard, wait_for_healthy};
use shoal_client::PutOptions;

const AHEAD_MS: i64 = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_seen_by_one_leader_stays_seen_by_the_next() {
    let shape = ClusterShape {
        shards: 2,
        ..ClusterShape::default()
    };
    // Node 2's clock runs 20 s ahead of the others'.
    let cluster = InProcessCluster::start_with(3, shape, |id, config| {
        if id == 2 {
            config.testing.clock_offset_ms = AHEAD_MS;
        }
        // Leaderships stay where the test puts them.
        config.cluster.rebalance.balance_leaders = false;
    })
    .await;
    let client = cluster.client(1).await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    let lead = |node: u64| {
        let client = client.clone();
        async move {
            // Right after start the leader may not know yet how far node `node` got (a
            // transfer to it is refused as "not caught up" until the next heartbeat
            // round-trip): ask until it is accepted.
            crate::support::wait_for(
                "the transfer to be accepted",
                Duration::from_secs(10),
                || {
                    let client = client.clone();
                    async move { client.transfer_leader(Some(0), node).await.ok() }
                },
            )
            .await;
            crate::support::wait_for("the leader moved", Duration::from_secs(10), || async {
                let status = client.status().await.ok()?;
                (status.shards[0].leader_id == node).then_some(())
            })
            .await;
        }
    };
    let key = key_in_shard(0, 2, "expiring");
    let other = key_in_shard(0, 2, "clock");

    // Written under node 1 (a true clock) with a 10 s TTL.
    lead(1).await;
    let version = client
        .put(
            key.clone(),
            "v",
            PutOptions {
                ttl: Some(Duration::from_secs(10)),
                ..PutOptions::default()
            },
        )
        .await
        .unwrap();
    // Under node 2 (20 s ahead) the key has expired: a compare-and-set on it says so, and
    // another write moves the shard's clock past the key's expiry.
    lead(2).await;
    let mismatch = client
        .put(
            key.clone(),
            "w",
            PutOptions {
                if_version: Some(version),
                ..PutOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(mismatch.version_mismatch(), Some(0), "{mismatch}");
    client.put(other, "x", PutOptions::default()).await.unwrap();

    // Back under node 1, well within the 10 s by its clock: still expired, for reads and
    // for Touch.
    lead(1).await;
    assert_eq!(client.get(key.clone(), false).await.unwrap(), None);
    assert!(
        !client
            .touch(key.clone(), Some(Duration::from_secs(60)))
            .await
            .unwrap()
    );
    assert_eq!(client.get(key, false).await.unwrap(), None);
    cluster.shutdown().await;
}
