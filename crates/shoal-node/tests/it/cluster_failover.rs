//! Failover: SIGKILL the node that leads the most shards while clients write; every shard
//! takes writes again, no acknowledged write is lost, and the killed node, restarted,
//! catches up — by snapshot, since the others compacted their logs meanwhile.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::cluster::{
    ClusterShape, ProcessCluster, key_in_shard, wait_for_convergence, wait_for_healthy,
};
use shoal_client::{Client, PutOptions};
use tokio::sync::Mutex;

const SHARDS: u32 = 4;

/// Writes through the nodes in turn, moving on to the next node when one refuses the
/// connection; only acknowledged writes are recorded.
async fn write_until(
    clients: Vec<Client>,
    writer: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<BTreeMap<String, (String, u64)>>>,
) -> u64 {
    let mut i = 0u64;
    let mut node = writer;
    let mut failures = 0;
    while !stop.load(Ordering::Relaxed) {
        let key = format!("fo-{writer}-{i}");
        let value = format!("value-{i}");
        match clients[node % clients.len()]
            .put(key.clone(), value.clone(), PutOptions::default())
            .await
        {
            Ok(version) => {
                acked.lock().await.insert(key, (value, version));
                i += 1;
            }
            Err(error) => {
                failures += 1;
                node += 1;
                if !error.is_safe_to_retry() {
                    // Indeterminate: this key is not counted, move to a fresh one.
                    i += 1;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_the_busiest_leader_fails_over_loses_nothing_and_the_node_catches_up() {
    let shape = ClusterShape {
        shards: SHARDS,
        snapshot_threshold: 150,
        trailing_logs: 10,
        ..ClusterShape::default()
    };
    let mut cluster = ProcessCluster::start(3, shape).await;
    let mut clients = Vec::new();
    for node in &cluster.nodes {
        clients.push(node.client().await);
    }
    let status = wait_for_healthy(&clients[0], Duration::from_secs(30)).await;

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(BTreeMap::new()));
    let writers: Vec<_> = (0..6)
        .map(|w| tokio::spawn(write_until(clients.clone(), w, stop.clone(), acked.clone())))
        .collect();
    crate::support::wait_for(
        "some writes before the kill",
        Duration::from_secs(60),
        || async { (acked.lock().await.len() >= 200).then_some(()) },
    )
    .await;

    // The victim: the node that leads the most shards.
    let mut leads: BTreeMap<u64, usize> = BTreeMap::new();
    for shard in &status.shards {
        *leads.entry(shard.leader_id).or_default() += 1;
    }
    let current = clients[0].status().await.unwrap();
    let mut leads_now: BTreeMap<u64, usize> = BTreeMap::new();
    for shard in &current.shards {
        *leads_now.entry(shard.leader_id).or_default() += 1;
    }
    let (&victim, &led) = leads_now.iter().max_by_key(|(_, n)| **n).unwrap();
    let connect = cluster.connect_options();
    let survivors: Vec<Client> = cluster
        .nodes
        .iter()
        .filter(|n| n.id != victim)
        .map(|n| n.client_address())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|address| {
            let connect = connect.clone();
            async move { Client::connect_with(&address, &connect).await.unwrap() }
        })
        .collect::<futures::future::JoinAll<_>>()
        .await;
    let before_kill = acked.lock().await.len();
    cluster.node(victim).kill();
    let killed = Instant::now();
    println!(
        "killed node {victim}, which led {led} of {SHARDS} shards, after {before_kill} acknowledged writes"
    );

    // Every shard takes writes again: one probe per shard through the survivors.
    let probes = (0..SHARDS).map(|shard| {
        let survivors = survivors.clone();
        async move {
            let key = key_in_shard(shard, SHARDS, "probe");
            let mut attempt = 0usize;
            loop {
                let client = &survivors[attempt % survivors.len()];
                if client
                    .put(key.clone(), "p", PutOptions::default())
                    .await
                    .is_ok()
                {
                    return (shard, killed.elapsed());
                }
                attempt += 1;
                assert!(
                    killed.elapsed() < Duration::from_secs(60),
                    "shard {shard} never took a write again"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let recovered = futures::future::join_all(probes).await;
    let slowest = recovered.iter().map(|(_, took)| *took).max().unwrap();
    println!("writes accepted again per shard after the kill: {recovered:?}");
    assert!(
        slowest < Duration::from_secs(30),
        "failover took {slowest:?}"
    );

    // Keep writing so every shard passes its snapshot threshold and compacts its log.
    crate::support::wait_for(
        "writes to compact every log",
        Duration::from_secs(120),
        || async { (acked.lock().await.len() >= before_kill + 1200).then_some(()) },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut failures = 0;
    for writer in writers {
        failures += writer.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    println!(
        "{} acknowledged writes, {failures} failed attempts",
        acked.len()
    );

    // No acknowledged write is lost.
    for (key, (value, version)) in &acked {
        let read = survivors[0]
            .get(key.clone(), false)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged {key} lost"));
        assert_eq!(read.value, value.as_bytes(), "{key}");
        assert_eq!(read.version, *version, "{key}");
    }

    // The killed node comes back and catches up with everyone.
    let restarted = Instant::now();
    cluster.node(victim).start();
    cluster
        .node(victim)
        .wait_ready(Duration::from_secs(60))
        .await;
    let status = wait_for_healthy(&survivors[0], Duration::from_secs(60)).await;
    wait_for_convergence(&survivors[0], Duration::from_secs(60)).await;
    println!(
        "node {victim} caught up {:?} after its restart",
        restarted.elapsed()
    );
    let victim_client = cluster.node(victim).client().await;
    let own = victim_client.status().await.unwrap();
    for shard in &own.shards {
        let group = shard.group.expect("the restarted node holds every shard");
        assert!(
            group.snapshot_index > 0,
            "shard {} on node {victim} has no snapshot: {group:?}",
            shard.shard_id
        );
    }
    assert!(status.shards.iter().all(|s| s.leader_id != 0));
    let (key, (value, _)) = acked.iter().next_back().unwrap();
    let read = victim_client.get(key.clone(), true).await.unwrap().unwrap();
    assert_eq!(
        read.value,
        value.as_bytes(),
        "a stale read on the restarted node"
    );
}
