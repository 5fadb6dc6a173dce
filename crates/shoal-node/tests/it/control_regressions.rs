//! Regressions found by an outside check of the control plane and routing (issue 11):
//! - a leader killed and restarted quickly stalled its shards for 5 s: the gateway waited
//!   for a leader *other than* the unreachable node, though that node came back and led
//!   again; and requests that were never delivered did not say they changed nothing;
//! - a ready cluster handed a leadership move it knew about to a plain client as
//!   `UNAVAILABLE: not the leader of the shard` (and the forwarded message lost the shard);
//! - control commands could break a shard: `ChangeShardReplicas` accepted a voter set
//!   naming a node that does not exist, invited a retry for a shard that does not exist,
//!   and `transfer-leader` moved leaderships to a dead voter.

use std::time::{Duration, Instant};

use shoal_client::{Code, PutOptions};
use shoal_consensus::Fault;
use shoal_proto::internal::control_client::ControlClient;
use shoal_proto::internal::{ChangeShardReplicasRequest, VoterSet, change_shard_replicas_request};
use shoal_shardmap::NodeId;

use crate::support::cluster::{
    ClusterShape, InProcessCluster, ProcessCluster, key_in_shard, wait_for_healthy,
};
use crate::support::wait_for;

const SHARDS: u32 = 4;

fn shape() -> ClusterShape {
    ClusterShape {
        shards: SHARDS,
        ..ClusterShape::default()
    }
}

/// The leader of `shard` and a node that does not lead it, per `client`'s status.
async fn leader_and_other(client: &shoal_client::Client, shard: u32) -> (u64, u64) {
    let status = client.status().await.unwrap();
    let leader = status.shards[shard as usize].leader_id;
    let other = (1..=3).find(|id| *id != leader).unwrap();
    (leader, other)
}

/// A forward that cannot reach the shard's leader for a while — the leader never lost its
/// leadership — succeeds as soon as the leader is reachable again: the gateway does not
/// wait for a leader other than the one it could not reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_reaches_the_same_leader_once_it_answers_again() {
    let cluster = InProcessCluster::start_with(3, shape(), |_, config| {
        config.cluster.rebalance.balance_leaders = false;
    })
    .await;
    let observer = cluster.client(1).await;
    wait_for_healthy(&observer, Duration::from_secs(30)).await;
    let (leader, via) = leader_and_other(&observer, 0).await;
    let key = key_in_shard(0, SHARDS, "cut");
    // `via` cannot send to the leader (its own requests only: the leader still reaches
    // it, so it keeps leading).
    cluster
        .node(via)
        .transport()
        .faults()
        .set(NodeId(leader), Fault::Drop);
    let client = cluster.client(via).await;
    let put = tokio::spawn(async move {
        let started = Instant::now();
        let answer = client.put(key, "v", PutOptions::default()).await;
        (answer, started.elapsed())
    });
    // The cut lasts a bounded 600 ms (the fault's duration, not a wait for anything).
    tokio::time::sleep(Duration::from_millis(600)).await;
    cluster.node(via).transport().faults().clear(NodeId(leader));
    let (answer, took) = put.await.unwrap();
    answer.unwrap_or_else(|e| panic!("the put failed after {took:?}: {e}"));
    let status = observer.status().await.unwrap();
    assert_eq!(
        status.shards[0].leader_id, leader,
        "the same node led throughout"
    );
    cluster.shutdown().await;
}

/// A request that can never be delivered fails once the leader wait is over, saying it was
/// not delivered and changed nothing (`shoal-not-applied`: safe to send again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_never_delivered_says_it_changed_nothing() {
    let cluster = InProcessCluster::start_with(3, shape(), |_, config| {
        config.cluster.rebalance.balance_leaders = false;
        config.server.request_timeout = Duration::from_secs(2);
    })
    .await;
    let observer = cluster.client(1).await;
    wait_for_healthy(&observer, Duration::from_secs(30)).await;
    let (leader, via) = leader_and_other(&observer, 1).await;
    cluster
        .node(via)
        .transport()
        .faults()
        .set(NodeId(leader), Fault::Drop);
    let error = cluster
        .client(via)
        .await
        .put(key_in_shard(1, SHARDS, "never"), "v", PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(Code::Unavailable), "{error}");
    assert!(error.is_safe_to_retry(), "marked not applied: {error:?}");
    assert!(error.to_string().contains("not delivered"), "{error}");
    assert!(error.to_string().contains("shard 1"), "{error}");
    cluster.node(via).transport().faults().heal();
    cluster.shutdown().await;
}

/// Regression of the outside check: SIGKILL a node leading shards, start it again at
/// once; every request for its shards through the other nodes succeeds (whether it leads
/// again or another node took over), none stalls for the whole leader wait and fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_killed_and_restarted_at_once_is_followed_without_failing_requests() {
    let mut cluster = ProcessCluster::start(3, shape()).await;
    let observer = cluster.node(1).client().await;
    wait_for_healthy(&observer, Duration::from_secs(60)).await;
    let status = observer.status().await.unwrap();
    let victim = (2..=3)
        .max_by_key(|id| status.shards.iter().filter(|s| s.leader_id == *id).count())
        .unwrap();
    let led: Vec<u32> = status
        .shards
        .iter()
        .filter(|s| s.leader_id == victim)
        .map(|s| s.shard_id)
        .collect();
    assert!(!led.is_empty(), "node {victim} leads something: {status:?}");
    cluster.node(victim).kill();
    cluster.node(victim).start();
    let via = (1..=3).find(|id| *id != victim).unwrap();
    let client = cluster.node(via).client().await;
    for (i, shard) in led.iter().enumerate() {
        let key = key_in_shard(*shard, SHARDS, &format!("restart-{i}"));
        client
            .put(key, "v", PutOptions::default())
            .await
            .unwrap_or_else(|e| panic!("shard {shard}: {e}"));
    }
    cluster
        .node(victim)
        .wait_ready(Duration::from_secs(60))
        .await;
}

/// A plain client writing through a node that leads nothing never sees a leadership move
/// it could have followed: while leaderships of its shard move back and forth, every write
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadership_moves_are_absorbed_by_the_gateway() {
    let cluster = InProcessCluster::start_with(3, shape(), |_, config| {
        config.cluster.rebalance.balance_leaders = false;
    })
    .await;
    let admin = cluster.client(1).await;
    wait_for_healthy(&admin, Duration::from_secs(30)).await;
    let (leader, _) = leader_and_other(&admin, 2).await;
    // Writes go through a node that is not the leader when the moves start.
    let via = (1..=3).find(|id| *id != leader).unwrap();
    let writer = cluster.client(via).await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writes = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut written = 0u32;
            while !done.load(std::sync::atomic::Ordering::Relaxed) && written < 5_000 {
                let key = key_in_shard(2, SHARDS, &format!("moving-{written}"));
                if let Err(error) = writer.put(key, "v", PutOptions::default()).await {
                    failures.push(error.to_string());
                }
                written += 1;
            }
            (written, failures)
        })
    };
    // Ten moves of the leadership among the three voters.
    for round in 0..10u64 {
        let to = (leader + round) % 3 + 1;
        let _ = admin.transfer_leader(Some(2), to).await;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (written, failures) = writes.await.unwrap();
    assert!(written > 0);
    assert!(
        failures.is_empty(),
        "{} of {written} writes failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    cluster.shutdown().await;
}

/// Control commands are validated against the cluster before they run, and refused with
/// the code and reason; nothing breaks the shard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_commands_that_would_break_a_shard_are_refused_naming_why() {
    let cluster = InProcessCluster::start_with(3, shape(), |_, config| {
        config.cluster.rebalance.balance_leaders = false;
    })
    .await;
    let client = cluster.client(1).await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    let (leader, _) = leader_and_other(&client, 0).await;
    let mut control = ControlClient::new(cluster.internal_channel(leader).await);
    let set_voters = |shard: u32, voters: Vec<u64>| ChangeShardReplicasRequest {
        shard_id: shard,
        change: Some(change_shard_replicas_request::Change::SetVoters(VoterSet {
            voters,
        })),
    };
    let refused = |result: Result<tonic::Response<_>, tonic::Status>| result.expect_err("refused");
    let status = refused(
        control
            .change_shard_replicas(set_voters(0, vec![leader, 778]))
            .await,
    );
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    assert!(status.message().contains("node 778"), "{status:?}");
    let status = refused(
        control
            .change_shard_replicas(set_voters(9999, vec![1]))
            .await,
    );
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    assert!(
        status.message().contains("shard 9999 does not exist"),
        "{status:?}"
    );
    let status = refused(control.change_shard_replicas(set_voters(0, vec![])).await);
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let status = refused(
        control
            .change_shard_replicas(set_voters(0, vec![leader]))
            .await,
    );
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("lower their number"),
        "{status:?}"
    );
    // The public port no longer offers it.
    let tls = shoal_tls::ClientTls::load(shoal_tls::TlsFiles {
        cert_file: None,
        key_file: None,
        ca_file: Some(cluster.dir.path().join("certs/ca.crt")),
    })
    .unwrap();
    let public = tonic::transport::Endpoint::from_shared(format!(
        "http://{}",
        cluster.node(1).client_address
    ))
    .unwrap()
    .connect_with_connector(shoal_tls::Connector::new(Some(tls)))
    .await
    .unwrap();
    let mut cluster_api = shoal_proto::v1::cluster_client::ClusterClient::new(public);
    #[allow(deprecated)]
    let status = cluster_api
        .change_shard_replicas(shoal_proto::v1::ChangeShardReplicasRequest {
            shard_id: 0,
            change: None,
        })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), tonic::Code::Unimplemented, "{status:?}");
    // Transfers go to voters that can lead: not a dead one, not a node that is not a voter.
    let dead = (1..=3).find(|id| *id != leader && *id != 1).unwrap();
    cluster.isolate(dead);
    wait_for(
        "the cut node to be seen down",
        Duration::from_secs(30),
        || async {
            let members = client.members().await.ok()?;
            members
                .members
                .iter()
                .any(|m| m.node_id == dead && !m.live)
                .then_some(())
        },
    )
    .await;
    let error = client.transfer_leader(Some(0), dead).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::FailedPrecondition), "{error}");
    assert!(error.to_string().contains("is down"), "{error}");
    let error = client.transfer_leader(Some(0), 42).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::NotFound), "{error}");
    let error = client.transfer_leader(Some(999), 1).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::NotFound), "{error}");
    // The shard is whole and serves.
    client
        .put(key_in_shard(0, SHARDS, "after"), "v", PutOptions::default())
        .await
        .unwrap();
    let status = client.status().await.unwrap();
    assert_eq!(status.shards[0].leader_id, leader);
    cluster.heal();
    cluster.shutdown().await;
}
