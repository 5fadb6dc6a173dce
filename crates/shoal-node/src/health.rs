//! `/healthz?verbose`: what is wrong with this node, as JSON an operator (or a monitor) can
//! read — `healthy`, `degraded` (it serves, but something needs a look) or `unhealthy` (it
//! does not serve, or cannot take writes), with one reason per finding.
//!
//! The checks read the same state as `/metrics` (see [`crate::metrics::Exporter`]): not
//! ready (and what it waits for), disk below the reserve or nearly full, groups without a
//! leader, followers lagging on the groups this node leads, quarantined replicas, gossip
//! peers the failure detector declared dead. Plain `/healthz` keeps its meaning for
//! liveness probes: 200 while the process runs.

use serde::Serialize;

use crate::metrics::Exporter;

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
    /// `replica_quarantined`, `peer_unreachable`.
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
    finish(Some(node.backend.node_id.0), reasons)
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
