//! The nemesis: a fault schedule drawn from a seed (the same seed gives the same schedule),
//! and its execution against the cluster. Faults run one after another, each for a bounded
//! time, and each is undone before the next starts; every fault kind appears at least once
//! in any run long enough to hold them all.

use std::time::Duration;

use anyhow::{Context, Result};
use backon::{ConstantBuilder, Retryable};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use shoal_verify::Recorder;

use crate::cluster::Cluster;
use crate::net::Net;

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// SIGKILL a node, restart it after the hold.
    Kill,
    /// SIGSTOP a node, SIGCONT after the hold.
    Pause,
    /// Cut one node off from all the others.
    Isolate,
    /// Split the nodes into a minority and a majority.
    Split,
    /// Two sides that cannot reach each other, and a middle node that reaches both.
    Bridge,
    /// Drop a share of the packets between one node and the others.
    PacketLoss,
    /// Delay every message between one node and the others (transport fault layer).
    Latency,
    /// Restart a node with its clock shifted, and back after the hold.
    ClockSkew,
    /// Move the leadership of a shard (or of the meta group) to another node.
    TransferLeader,
    /// SIGTERM a node (graceful shutdown) and start it again.
    Restart,
    /// Drain a node (maintenance mode: it hands off every leadership), undrain after the
    /// hold.
    Drain,
    /// Add a new node (the spare slot, empty), let replicas move to it for the hold, then
    /// decommission it (its replicas move back) and stop it.
    Reshape,
}

impl FaultKind {
    pub const ALL: [FaultKind; 12] = [
        FaultKind::Kill,
        FaultKind::Pause,
        FaultKind::Isolate,
        FaultKind::Split,
        FaultKind::Bridge,
        FaultKind::PacketLoss,
        FaultKind::Latency,
        FaultKind::ClockSkew,
        FaultKind::TransferLeader,
        FaultKind::Restart,
        FaultKind::Drain,
        FaultKind::Reshape,
    ];

    pub fn needs_network(self) -> bool {
        matches!(
            self,
            FaultKind::Isolate | FaultKind::Split | FaultKind::Bridge | FaultKind::PacketLoss
        )
    }
}

/// Which node a fault hits: drawn from the seed, or chosen from the cluster's state when
/// the fault starts (the node leading the most shards, or the meta leader).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Node(u64),
    BusiestLeader,
    MetaLeader,
}

/// One fault of the schedule.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// Offset from the start of the fault phase.
    pub at_ms: u64,
    pub kind: FaultKind,
    pub target: Target,
    /// How long the fault lasts before it is undone.
    pub hold_ms: u64,
    /// Kind-specific: loss in percent, delay or clock offset in ms, a shard id.
    pub parameter: i64,
    /// Extra nodes for partitions (the rest of the minority, or the sides of a bridge).
    pub others: Vec<u64>,
}

/// A fault as it happened, on the workload's clock.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    pub kind: FaultKind,
    pub description: String,
    pub nodes: Vec<u64>,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Set when the fault could not be injected as planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Draws the schedule for a fault phase of `duration` over nodes `1..=nodes`.
pub fn schedule(seed: u64, duration: Duration, nodes: u64, network: bool) -> Vec<Planned> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut kinds: Vec<FaultKind> = FaultKind::ALL
        .into_iter()
        .filter(|kind| network || !kind.needs_network())
        .collect();
    kinds.shuffle(&mut rng);
    let mut plan = Vec::new();
    let mut at = 2_000u64;
    let end = duration.as_millis() as u64;
    let mut round_robin = kinds.clone().into_iter();
    loop {
        // Every kind once first, in a seeded order; then any kind.
        let kind = round_robin
            .next()
            .unwrap_or_else(|| kinds[rng.random_range(0..kinds.len())]);
        let hold_ms = match kind {
            FaultKind::Drain => rng.random_range(3_000..8_000),
            FaultKind::Reshape => rng.random_range(5_000..10_000),
            FaultKind::TransferLeader => 0,
            FaultKind::Restart => 0,
            FaultKind::Kill => rng.random_range(1_000..6_000),
            FaultKind::Pause => rng.random_range(1_000..5_000),
            _ => rng.random_range(3_000..8_000),
        };
        if at + hold_ms + 1_000 > end {
            break;
        }
        let target = match rng.random_range(0..4) {
            0 if kind == FaultKind::Kill || kind == FaultKind::Pause => Target::BusiestLeader,
            1 if kind == FaultKind::Kill || kind == FaultKind::Isolate => Target::MetaLeader,
            _ => Target::Node(rng.random_range(1..=nodes)),
        };
        let parameter = match kind {
            FaultKind::PacketLoss => rng.random_range(20..50),
            FaultKind::Latency => rng.random_range(20..150),
            FaultKind::ClockSkew => {
                let offset = rng.random_range(300..1_200);
                if rng.random_bool(0.5) {
                    offset
                } else {
                    -offset
                }
            }
            FaultKind::TransferLeader => rng.random_range(-1..64),
            _ => 0,
        };
        let mut shuffled: Vec<u64> = (1..=nodes).collect();
        shuffled.shuffle(&mut rng);
        let others = match kind {
            // The minority's second node (drawn now, used when it differs from the target).
            FaultKind::Split => shuffled.into_iter().take(2).collect(),
            // Side A, side B (the rest but one: the middle).
            FaultKind::Bridge => shuffled,
            _ => Vec::new(),
        };
        plan.push(Planned {
            at_ms: at,
            kind,
            target,
            hold_ms,
            parameter,
            others,
        });
        at += hold_ms + rng.random_range(1_500..4_000);
    }
    plan
}

/// Runs the schedule until `end`; returns what was injected. A fault whose start has
/// slipped so far (earlier restarts took longer than planned) that it would outlast `end`
/// is skipped with every later one.
pub async fn run(
    plan: &[Planned],
    cluster: &mut Cluster,
    net: Net,
    recorder: &Recorder,
    started: tokio::time::Instant,
    end: tokio::time::Instant,
) -> Vec<Injected> {
    let mut injected = Vec::new();
    for fault in plan {
        tokio::time::sleep_until(started + Duration::from_millis(fault.at_ms)).await;
        if tokio::time::Instant::now() + Duration::from_millis(fault.hold_ms) > end {
            println!(
                "  fault phase over: {:?} and later faults skipped",
                fault.kind
            );
            break;
        }
        let start_ns = recorder.elapsed_ns();
        let (description, nodes, result) = inject(fault, cluster, net).await;
        let mut record = Injected {
            kind: fault.kind,
            description,
            nodes,
            start_ns,
            end_ns: start_ns,
            error: result.as_ref().err().map(|e| format!("{e:#}")),
        };
        tokio::time::sleep(Duration::from_millis(fault.hold_ms)).await;
        if let Err(error) = undo(fault, &record.nodes, cluster, net).await {
            record.error.get_or_insert(format!("undo: {error:#}"));
        }
        record.end_ns = recorder.elapsed_ns();
        println!(
            "  fault {:>3}: {:<15} {}{}",
            injected.len() + 1,
            format!("{:?}", fault.kind),
            record.description,
            record
                .error
                .as_deref()
                .map(|e| format!(" (error: {e})"))
                .unwrap_or_default()
        );
        injected.push(record);
    }
    injected
}

async fn resolve(target: Target, cluster: &Cluster) -> u64 {
    match target {
        Target::Node(slot) => cluster.slot(slot).id,
        Target::BusiestLeader | Target::MetaLeader => {
            let Some(status) = cluster.status(false).await else {
                return 1;
            };
            if target == Target::MetaLeader && status.meta_leader_id != 0 {
                return status.meta_leader_id;
            }
            let mut counts = std::collections::BTreeMap::<u64, usize>::new();
            for shard in &status.shards {
                *counts.entry(shard.leader_id).or_default() += 1;
            }
            counts.remove(&0);
            counts
                .into_iter()
                .max_by_key(|(_, n)| *n)
                .map_or(1, |(id, _)| id)
        }
    }
}

fn ips(cluster: &Cluster, ids: &[u64]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| cluster.nodes.iter().find(|n| n.id == *id))
        .map(|node| node.ip.clone())
        .collect()
}

async fn inject(
    fault: &Planned,
    cluster: &mut Cluster,
    net: Net,
) -> (String, Vec<u64>, Result<()>) {
    let node = resolve(fault.target, cluster).await;
    let all = cluster.ids();
    let rest: Vec<u64> = all.iter().copied().filter(|id| *id != node).collect();
    let hold = humantime::format_duration(Duration::from_millis(fault.hold_ms));
    match fault.kind {
        FaultKind::Kill => {
            cluster.node(node).kill();
            (
                format!(
                    "SIGKILL node {node} ({:?}), restart after {hold}",
                    fault.target
                ),
                vec![node],
                Ok(()),
            )
        }
        FaultKind::Pause => {
            cluster.node(node).pause();
            (
                format!("SIGSTOP node {node} for {hold}"),
                vec![node],
                Ok(()),
            )
        }
        FaultKind::Isolate => {
            let result = net.cut(&ips(cluster, &[node]), &ips(cluster, &rest), 1.0);
            (
                format!("isolate node {node} for {hold}"),
                vec![node],
                result,
            )
        }
        FaultKind::Split => {
            let second = fault
                .others
                .iter()
                .copied()
                .find(|id| *id != node)
                .unwrap_or(node);
            let minority = vec![node, second];
            let majority: Vec<u64> = all
                .iter()
                .copied()
                .filter(|id| !minority.contains(id))
                .collect();
            let result = net.cut(&ips(cluster, &minority), &ips(cluster, &majority), 1.0);
            (
                format!("split {minority:?} | {majority:?} for {hold}"),
                minority,
                result,
            )
        }
        FaultKind::Bridge => {
            let order = &fault.others;
            let middle = order[order.len() / 2];
            let sides: Vec<u64> = order.iter().copied().filter(|id| *id != middle).collect();
            let (left, right) = sides.split_at(sides.len() / 2);
            let result = net.cut(&ips(cluster, left), &ips(cluster, right), 1.0);
            (
                format!("bridge {left:?} | {middle} | {right:?} for {hold}"),
                vec![middle],
                result,
            )
        }
        FaultKind::PacketLoss => {
            let share = fault.parameter as f64 / 100.0;
            let result = net.cut(&ips(cluster, &[node]), &ips(cluster, &rest), share);
            (
                format!(
                    "drop {}% of packets between node {node} and the others for {hold}",
                    fault.parameter
                ),
                vec![node],
                result,
            )
        }
        FaultKind::Latency => {
            let delay = fault.parameter;
            let mut result = cluster
                .node(node)
                .faults(&format!("delay_ms={delay}&to={}", join(&rest)))
                .await;
            for other in &rest {
                if cluster.node(*other).is_running() {
                    let outcome = cluster
                        .node(*other)
                        .faults(&format!("delay_ms={delay}&to={node}"))
                        .await;
                    result = result.and(outcome);
                }
            }
            (
                format!(
                    "delay messages between node {node} and the others by {delay} ms for {hold}"
                ),
                vec![node],
                result,
            )
        }
        FaultKind::ClockSkew => {
            let target = cluster.node(node);
            target.stop(Duration::from_secs(20)).await;
            let result = target.start(fault.parameter);
            (
                format!(
                    "restart node {node} with its clock {:+} ms off for {hold}",
                    fault.parameter
                ),
                vec![node],
                result,
            )
        }
        FaultKind::TransferLeader => {
            let shard = (fault.parameter >= 0).then_some(fault.parameter as u32);
            let result = transfer(cluster, shard).await;
            let what = match (&result, shard) {
                (Ok((to, shard)), _) => match shard {
                    Some(shard) => format!("move leadership of shard {shard} to node {to}"),
                    None => format!("move meta leadership to node {to}"),
                },
                (Err(_), Some(_)) => "move a shard's leadership".to_owned(),
                (Err(_), None) => "move meta leadership".to_owned(),
            };
            let nodes = result.as_ref().map(|(to, _)| vec![*to]).unwrap_or_default();
            (what, nodes, result.map(|_| ()))
        }
        FaultKind::Drain => {
            let result = set_drained(cluster, node, true).await;
            (format!("drain node {node} for {hold}"), vec![node], result)
        }
        FaultKind::Reshape => match cluster.add_spare() {
            Ok(added) => {
                let ready = wait_ready(cluster, added, Duration::from_secs(30)).await;
                (
                    format!("add node {added}, decommission it after {hold}"),
                    vec![added],
                    ready,
                )
            }
            Err(error) => ("add a node".to_owned(), Vec::new(), Err(error)),
        },
        FaultKind::Restart => {
            let target = cluster.node(node);
            let clean = target.stop(Duration::from_secs(20)).await;
            let result = target.start(0);
            (
                format!(
                    "graceful restart of node {node}{}",
                    if clean {
                        ""
                    } else {
                        " (did not stop in 20 s: killed)"
                    }
                ),
                vec![node],
                result,
            )
        }
    }
}

/// Moves a shard's (by index into the shard list) or the meta group's leadership to another
/// replica; returns the new leader and the shard.
async fn transfer(cluster: &Cluster, shard: Option<u32>) -> Result<(u64, Option<u32>)> {
    let status = cluster.status(false).await.context("no node answered")?;
    let (leader, candidates, shard) = match shard {
        Some(pick) => {
            if status.shards.is_empty() {
                anyhow::bail!("the answering node knows no shards yet");
            }
            let shard = &status.shards[pick as usize % status.shards.len()];
            let replicas: Vec<u64> = shard.replicas.iter().map(|r| r.node_id).collect();
            (shard.leader_id, replicas, Some(shard.shard_id))
        }
        None => {
            let voters: Vec<u64> = status
                .nodes
                .iter()
                .filter(|n| n.meta_voter)
                .map(|n| n.node_id)
                .collect();
            (status.meta_leader_id, voters, None)
        }
    };
    let to = candidates
        .into_iter()
        .find(|id| {
            *id != leader
                && cluster
                    .nodes
                    .iter()
                    .any(|n| n.id == *id && n.is_running() && !n.paused())
        })
        .context("no other replica to lead")?;
    let node = cluster
        .nodes
        .iter()
        .find(|n| n.is_running())
        .context("no node running")?;
    let client = node.client().await.context("cannot connect")?;
    tokio::time::timeout(Duration::from_secs(5), client.transfer_leader(shard, to))
        .await
        .context("transfer timed out")??;
    Ok((to, shard))
}

async fn undo(fault: &Planned, nodes: &[u64], cluster: &mut Cluster, net: Net) -> Result<()> {
    match fault.kind {
        FaultKind::Kill => {
            for node in nodes {
                cluster.node(*node).start(0)?;
            }
        }
        FaultKind::Pause => {
            for node in nodes {
                cluster.node(*node).resume();
            }
        }
        FaultKind::Isolate | FaultKind::Split | FaultKind::Bridge | FaultKind::PacketLoss => {
            net.heal()?;
        }
        FaultKind::Latency => {
            // Heal every node even when one fails, then report the first failure.
            let mut first_error = None;
            for node in &mut cluster.nodes {
                if node.is_running()
                    && let Err(error) = node.faults("heal").await
                {
                    first_error.get_or_insert(error);
                }
            }
            if let Some(error) = first_error {
                return Err(error);
            }
        }
        FaultKind::ClockSkew => {
            for node in nodes {
                let target = cluster.node(*node);
                target.stop(Duration::from_secs(20)).await;
                target.start(0)?;
            }
        }
        FaultKind::Drain => {
            for node in nodes {
                set_drained(cluster, *node, false).await?;
            }
        }
        FaultKind::Reshape => {
            for node in nodes {
                decommission(cluster, *node).await?;
                cluster.park(*node).await;
            }
        }
        FaultKind::TransferLeader | FaultKind::Restart => {}
    }
    Ok(())
}

/// Drains or undrains `node` through any running node (retrying while the meta group
/// elects, every 200 ms for up to 10 s).
async fn set_drained(cluster: &Cluster, node: u64, drain: bool) -> Result<()> {
    let attempt = || async {
        let mut last = anyhow::anyhow!("no node running");
        for via in cluster.nodes.iter().filter(|n| n.is_running()) {
            let Some(client) = via.client().await else {
                continue;
            };
            match tokio::time::timeout(Duration::from_secs(3), client.drain_node(node, drain)).await
            {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(error)) => last = error.into(),
                Err(_) => last = anyhow::anyhow!("timed out"),
            }
        }
        Err(last)
    };
    attempt
        .retry(
            ConstantBuilder::default()
                .with_delay(Duration::from_millis(200))
                .with_max_times(50),
        )
        .await
        .map_err(|last| {
            last.context(format!(
                "{} node {node}",
                if drain { "draining" } else { "undraining" }
            ))
        })
}

/// Waits until node `id`'s `/readyz` says ready.
async fn wait_ready(cluster: &mut Cluster, id: u64, within: Duration) -> Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        cluster.node(id).check_exited()?;
        if cluster.node(id).is_ready().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("node {id} was not ready within {within:?}")
}

/// Decommissions node `id` through any other running node and waits (up to 60 s) until it
/// holds no replica and has left the meta group (`DecommissionProgress::done`, the same
/// rule the CLI waits for).
async fn decommission(cluster: &Cluster, id: u64) -> Result<()> {
    let requested = std::sync::atomic::AtomicBool::new(false);
    let attempt = || async {
        let mut last = anyhow::anyhow!("no node running");
        for via in cluster
            .nodes
            .iter()
            .filter(|n| n.is_running() && !n.parked && n.id != id)
        {
            let Some(client) = via.client().await else {
                continue;
            };
            if !requested.load(std::sync::atomic::Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_secs(3), client.decommission_node(id))
                    .await
                {
                    Ok(Ok(_)) => requested.store(true, std::sync::atomic::Ordering::Relaxed),
                    Ok(Err(error)) => {
                        last = error.into();
                        continue;
                    }
                    Err(_) => {
                        last = anyhow::anyhow!("decommission request timed out");
                        continue;
                    }
                }
            }
            match tokio::time::timeout(Duration::from_secs(6), client.decommission_progress(id))
                .await
            {
                Ok(Ok(progress)) if progress.done() => return Ok(()),
                Ok(Ok(progress)) => last = anyhow::anyhow!("node {id} still {progress}"),
                Ok(Err(error)) => last = error.into(),
                Err(_) => last = anyhow::anyhow!("no answer about node {id}"),
            }
            break;
        }
        Err(last)
    };
    attempt
        .retry(
            ConstantBuilder::default()
                .with_delay(Duration::from_millis(250))
                .with_max_times(240),
        )
        .await
        .map_err(|last| last.context(format!("decommissioning node {id}")))
}

/// Undoes every possible fault (after the fault phase, or when a run is interrupted).
pub async fn heal_all(cluster: &mut Cluster, net: Net) {
    if net.enabled {
        let _ = net.heal();
    }
    for node in cluster.nodes.iter_mut().filter(|n| !n.parked) {
        node.resume();
        if !node.is_running() {
            let _ = node.start(0);
        } else {
            let _ = node.faults("heal").await;
        }
    }
    // Every node active again (an undrain may have failed during the run).
    for node in cluster.ids() {
        let _ = set_drained(cluster, node, false).await;
    }
}

fn join(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}
