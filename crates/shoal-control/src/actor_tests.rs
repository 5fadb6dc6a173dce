//! The control actor itself, run against the in-memory fakes: its jobs carry a scale-out
//! through to the end, report their status, and answer operators' requests — without a
//! process, a socket or a disk.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use shoal_replication::{Clock, Directory};
use shoal_shardmap::{NodeId, NodeState};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::actor::{ControlContext, ControlHandle, spawn};
use crate::testsuite::{SimCluster, ports};
use crate::{ControlError, ControlSettings, NodeIdentity, ViewSource};

fn identity(id: u64) -> NodeIdentity {
    NodeIdentity {
        node_id: NodeId(id),
        name: format!("node-{id}"),
        internal_address: format!("10.0.0.{id}:5343"),
        client_address: String::new(),
        admin_address: String::new(),
        zone: None,
    }
}

/// The actor of node `me` over `sim`, with replication running in the background.
fn start(
    sim: &Arc<Mutex<SimCluster>>,
    me: u64,
    cancel: &CancellationToken,
    tracker: &TaskTracker,
) -> ControlHandle {
    let ports = ports(sim, NodeId(me));
    let views = ViewSource::new(
        NodeId(me),
        Clock::system(),
        ports.meta.clone(),
        ports.gossip.clone(),
        Arc::new(Directory::default()),
    );
    let mut settings = ControlSettings::for_tests();
    settings.gossip_interval = Duration::from_millis(20);
    let handle = spawn(
        ControlContext {
            identity: identity(me),
            settings,
            ports,
            views,
            ready: Arc::new(|| true),
        },
        cancel.clone(),
        tracker,
    );
    let replicating = sim.clone();
    let stop = cancel.clone();
    tracker.spawn(async move {
        while !stop.is_cancelled() {
            replicating.lock().unwrap().replicate();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    handle
}

async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..1_500 {
        if let Some(value) = check() {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actor_carries_a_scale_out_through_and_reports_its_jobs() {
    let sim = Arc::new(Mutex::new(SimCluster::new(
        3,
        8,
        ControlSettings::for_tests(),
    )));
    sim.lock().unwrap().start_node(4, None);
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let handle = start(&sim, 1, &cancel, &tracker);
    // The meta-membership job registers node 4; the driver gives it its share.
    eventually("node 4 to hold its share", || {
        let sim = sim.lock().unwrap();
        let counts = sim.replicas_per_node();
        (counts.get(&NodeId(4)) == Some(&6) && sim.moves().is_empty()).then_some(())
    })
    .await;
    let sim_now = sim.lock().unwrap().clone();
    assert!(sim_now.refused.is_empty(), "{:?}", sim_now.refused);
    assert!(sim_now.replicas_per_node().values().all(|c| *c == 6));
    let jobs = handle.jobs().await.unwrap();
    let names: Vec<&str> = jobs.iter().map(|j| j.name).collect();
    assert_eq!(
        names,
        [
            "gossip",
            "hosting",
            "meta-membership",
            "leadership",
            "placement-driver"
        ]
    );
    let driver = jobs.iter().find(|j| j.name == "placement-driver").unwrap();
    assert!(driver.runs > 0 && driver.last_error.is_none(), "{driver:?}");
    let moves = handle.list_moves().await.unwrap();
    assert_eq!(moves.counters.finished, 6);
    assert!(moves.moves.is_empty());
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_requests_are_checked_and_run_on_the_meta_leader_only() {
    let sim = Arc::new(Mutex::new(SimCluster::new(
        3,
        8,
        ControlSettings::for_tests(),
    )));
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let leader = start(&sim, 1, &cancel, &tracker);
    let follower = start(&sim, 2, &cancel, &tracker);
    let _drained = start(&sim, 3, &cancel, &tracker);
    // Not the meta leader: refused naming the leader (the gateway forwards there).
    match follower.set_drain(NodeId(3), true).await {
        Err(ControlError::Replication(error)) => {
            assert!(error.to_string().contains("meta group"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    // A node the cluster does not have.
    assert!(matches!(
        leader.set_drain(NodeId(9), true).await,
        Err(ControlError::NotFound(_))
    ));
    assert_eq!(
        leader.set_drain(NodeId(3), true).await.unwrap(),
        NodeState::Active
    );
    // A decommission the others cannot absorb.
    let error = leader.decommission(NodeId(2)).await.unwrap_err();
    assert!(
        matches!(error, ControlError::FailedPrecondition(_)),
        "{error}"
    );
    // A dry run plans and starts nothing on a balanced cluster.
    let plan = leader.rebalance(true).await.unwrap();
    assert!(plan.plan.moves.is_empty() && plan.started.is_empty());
    // The drained node gives its leaderships away through the leadership job.
    eventually("node 3 to lead nothing", || {
        let sim = sim.lock().unwrap();
        (!sim.shards.values().any(|g| g.leader == Some(NodeId(3)))).then_some(())
    })
    .await;
    let info = leader.node_info(false).await.unwrap();
    assert_eq!(info.state, NodeState::Active);
    assert!(!info.ready);
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}
