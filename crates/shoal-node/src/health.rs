//! `/healthz?verbose`: what is wrong with this node, as JSON an operator (or a monitor) can
//! read — `healthy`, `degraded` (it serves, but something needs a look) or `unhealthy` (it
//! does not serve, or cannot take writes), with one reason per finding.
//!
//! The checks read the same state as `/metrics` (see [`crate::metrics::Exporter`]): not
//! ready (and what it waits for), disk below the reserve or nearly full, groups without a
//! leader, followers lagging on the groups this node leads, quarantined replicas, gossip
//! peers the failure detector declared dead, peers whose clocks are far from this node's
//! (read every [`CLOCK_READ_EVERY`] by [`read_peer_clocks`]). Plain `/healthz` keeps its
//! meaning for liveness probes: 200 while the process runs.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use shoal_consensus::Transport;
use shoal_membership::Membership;
use tokio_util::sync::CancellationToken;

use crate::metrics::Exporter;

/// Two clocks at least this far apart (beyond the reading's uncertainty) make the node
/// degraded: TTLs are stamped by shard leaders' clocks, so a key may expire this much
/// early or late when leadership moves between the two (CockroachDB's default
/// `--max-offset` is the same 500 ms).
pub const CLOCK_OFFSET_MS: u64 = 500;

/// How often a node reads its live peers' clocks.
pub const CLOCK_READ_EVERY: Duration = Duration::from_secs(10);

/// Readings older than this are not shown (the peer stopped answering).
pub const CLOCK_READING_MAX_AGE: Duration = Duration::from_secs(60);

/// A follower this many entries behind its leader is lagging.
pub const LAG_ENTRIES: u64 = 1_000;

/// Below this share of the disk free, the node is degraded (below the reserve it refuses
/// writes: unhealthy).
pub const DISK_FREE_SHARE: f64 = 0.10;

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// A fixed name: `not_ready`, `disk_full`, `disk_low`, `no_leader`, `replica_lagging`,
    /// `replica_quarantined`, `peer_unreachable`, `clock_offset`.
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
}

/// The report `/healthz?verbose` answers.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: Status,
    pub node_id: Option<u64>,
    pub reasons: Vec<Reason>,
}

/// Checks this node now.
pub fn report(exporter: &Exporter) -> Report {
    let mut reasons = Vec::new();
    let mut add = |check, status, detail: String| {
        reasons.push(Reason {
            check,
            status,
            detail,
        })
    };
    let ready = exporter.readiness();
    if !ready.is_ready() {
        add(
            "not_ready",
            Status::Unhealthy,
            ready.describe().trim().to_owned(),
        );
    }
    if let Some(refusal) = ready.write_refusal() {
        add("disk_full", Status::Unhealthy, refusal);
    } else if let Some(disk) = ready.disk() {
        let (free, total) = (disk.free_bytes(), disk.total_bytes());
        if total > 0 && (free as f64) < DISK_FREE_SHARE * total as f64 {
            add(
                "disk_low",
                Status::Degraded,
                format!(
                    "{:.1}% of the data directory's file system is free ({free} of {total} bytes)",
                    100.0 * free as f64 / total as f64
                ),
            );
        }
    }
    let Some(node) = exporter.node() else {
        return finish(None, reasons);
    };
    for group in node.groups() {
        let status = group.status();
        let name = group.group();
        if status.leader.is_none() {
            add(
                "no_leader",
                Status::Degraded,
                format!("{name} has no leader that this node knows of"),
            );
        }
        for (follower, lag) in status.follower_lags() {
            if lag > LAG_ENTRIES {
                add(
                    "replica_lagging",
                    Status::Degraded,
                    format!("node {follower} is {lag} entries behind in {name}"),
                );
            }
        }
    }
    for (group, why) in node.backend.storage.quarantined() {
        add(
            "replica_quarantined",
            Status::Degraded,
            format!("{group}: {why}"),
        );
    }
    if let Some(membership) = &node.membership {
        for member in membership.members().values().filter(|m| !m.live) {
            add(
                "peer_unreachable",
                Status::Degraded,
                format!(
                    "node {} ({}) does not answer gossip",
                    member.node_id, member.info.name
                ),
            );
        }
    }
    for (peer, reading) in exporter.clocks().recent(CLOCK_READING_MAX_AGE) {
        if reading.least_offset_ms() >= CLOCK_OFFSET_MS {
            let direction = if reading.offset_ms > 0 {
                "ahead of"
            } else {
                "behind"
            };
            add(
                "clock_offset",
                Status::Degraded,
                format!(
                    "node {peer}'s clock is {} ms {direction} this node's (±{} ms); at \
                     {CLOCK_OFFSET_MS} ms or more, TTLs expire early or late when shard \
                     leadership moves: check NTP on both hosts",
                    reading.offset_ms.unsigned_abs(),
                    reading.uncertainty_ms
                ),
            );
        }
    }
    finish(Some(node.backend.node_id.0), reasons)
}

/// Reads the clocks of the live gossip peers every [`CLOCK_READ_EVERY`] until `cancel`.
/// A peer that does not answer keeps its last reading until it is too old to show.
pub async fn read_peer_clocks(
    transport: Arc<Transport>,
    membership: Arc<Membership>,
    cancel: CancellationToken,
) {
    let me = transport.node_id();
    loop {
        let peers: Vec<_> = membership
            .members()
            .into_values()
            .filter(|m| m.live && m.node_id != me && !m.info.internal_address.is_empty())
            .collect();
        let reads = peers.iter().map(|peer| {
            let transport = transport.clone();
            async move {
                if let Err(error) = transport
                    .read_clock(
                        peer.node_id,
                        &peer.info.internal_address,
                        Duration::from_secs(2),
                    )
                    .await
                {
                    tracing::debug!(peer = %peer.node_id, %error, "could not read a peer's clock");
                }
            }
        });
        tokio::select! {
            _ = futures::future::join_all(reads) => {}
            () = cancel.cancelled() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(CLOCK_READ_EVERY) => {}
            () = cancel.cancelled() => return,
        }
    }
}

fn finish(node_id: Option<u64>, reasons: Vec<Reason>) -> Report {
    Report {
        status: reasons
            .iter()
            .map(|r| r.status)
            .max()
            .unwrap_or(Status::Healthy),
        node_id,
        reasons,
    }
}
