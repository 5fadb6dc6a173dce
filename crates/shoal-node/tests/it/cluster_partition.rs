//! Split brain: one node cut off from the other two (internal transport and gossip, both
//! ways). Its writes fail with UNAVAILABLE before the request deadline, the majority keeps
//! serving, and after healing every replica agrees and nothing acknowledged is lost.

use std::time::{Duration, Instant};

use crate::support::cluster::{
    ClusterShape, InProcessCluster, key_in_shard, wait_for_convergence, wait_for_healthy,
};
use shoal_client::{Code, PutOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_isolated_node_refuses_writes_while_the_majority_serves_and_all_agree_after_healing() {
    let cluster = InProcessCluster::start(3, ClusterShape::default()).await;
    let isolated = cluster.client(1).await;
    let majority = cluster.client(2).await;
    let status = wait_for_healthy(&majority, Duration::from_secs(30)).await;
    let led_by_isolated: Vec<u32> = status
        .shards
        .iter()
        .filter(|s| s.leader_id == 1)
        .map(|s| s.shard_id)
        .collect();
    let led_by_others: Vec<u32> = status
        .shards
        .iter()
        .filter(|s| s.leader_id != 1)
        .map(|s| s.shard_id)
        .collect();
    assert!(
        !led_by_isolated.is_empty() && !led_by_others.is_empty(),
        "{status:?}"
    );

    let mut acknowledged = Vec::new();
    for shard in 0..16 {
        let key = key_in_shard(shard, 16, "before");
        let version = majority
            .put(key.clone(), "before", PutOptions::default())
            .await
            .unwrap();
        acknowledged.push((key, "before".to_owned(), version));
    }

    cluster.isolate(1);
    let cut = Instant::now();

    // The isolated side: writes fail with UNAVAILABLE well within the 10 s request deadline,
    // whether this node led the shard (no quorum) or not (the leader is out of reach).
    for shard in [led_by_isolated[0], led_by_others[0]] {
        let key = key_in_shard(shard, 16, "isolated");
        let started = Instant::now();
        let error = isolated
            .put(key, "lost", PutOptions::default())
            .await
            .expect_err("a write on the minority side must fail");
        let took = started.elapsed();
        println!("isolated write to shard {shard} failed after {took:?}: {error}");
        assert_eq!(error.code(), Some(Code::Unavailable), "{error}");
        assert!(took < Duration::from_secs(10), "took {took:?}");
    }

    // The majority side keeps serving every shard (after failing over the isolated node's).
    for shard in 0..16 {
        let key = key_in_shard(shard, 16, "during");
        let version = crate::support::wait_for(
            "the majority to take a write",
            Duration::from_secs(30),
            || {
                let (majority, key) = (&majority, key.clone());
                async move {
                    majority
                        .put(key, "during", PutOptions::default())
                        .await
                        .ok()
                }
            },
        )
        .await;
        acknowledged.push((key, "during".to_owned(), version));
    }
    println!(
        "every shard took writes on the majority side {:?} after the cut",
        cut.elapsed()
    );

    cluster.heal();
    let healed = Instant::now();
    wait_for_healthy(&isolated, Duration::from_secs(60)).await;
    wait_for_convergence(&majority, Duration::from_secs(60)).await;
    println!("all replicas agree {:?} after healing", healed.elapsed());
    for (key, value, version) in &acknowledged {
        let read = isolated
            .get(key.clone(), false)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged {key} lost"));
        assert_eq!(read.value, value.as_bytes(), "{key}");
        assert_eq!(read.version, *version, "{key}");
    }
    // The writes refused on the isolated side did not happen.
    for shard in [led_by_isolated[0], led_by_others[0]] {
        let key = key_in_shard(shard, 16, "isolated");
        assert!(majority.get(key, false).await.unwrap().is_none());
    }
    cluster.shutdown().await;
}
