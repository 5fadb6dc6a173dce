//! Output of the `shoal cluster …` commands: readable tables for people, or with `--json`
//! the response itself in the proto3 JSON mapping, for scripts.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Result;
use shoal_proto::v1 as pb;

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A response in the proto3 JSON mapping, one document.
pub fn json<T: serde::Serialize>(response: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(response)? + "\n")
}

fn role(role: i32) -> String {
    pb::GroupRole::try_from(role)
        .map(|r| {
            r.as_str_name()
                .trim_start_matches("GROUP_ROLE_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| "unknown".into())
}

pub fn node_state_name(state: i32) -> String {
    pb::NodeState::try_from(state)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("NODE_STATE_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn leader(id: u64) -> String {
    if id == 0 { "-".into() } else { id.to_string() }
}

/// `shoal cluster status`.
pub fn status(status: &pb::StatusResponse) -> String {
    let mut out = String::new();
    let cluster = if status.cluster_id.is_empty() {
        "(no cluster yet)".to_owned()
    } else {
        status.cluster_id.clone()
    };
    let _ = writeln!(
        out,
        "cluster {cluster}  shard-map epoch {}  meta leader {} (term {})",
        status.shard_map_epoch,
        leader(status.meta_leader_id),
        status.meta_term
    );
    let _ = writeln!(
        out,
        "answered by node {} ({}), version {}, ready={}",
        status.node_id, status.node_name, status.version, status.ready
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>10}  {:<12} {:<14} {:>5} {:>5} {:>5}  {:<21} {:<21} leads",
        "node", "name", "state", "live", "ready", "voter", "client", "internal"
    );
    for node in &status.nodes {
        let _ = writeln!(
            out,
            "{:>10}  {:<12} {:<14} {:>5} {:>5} {:>5}  {:<21} {:<21} {}",
            node.node_id,
            node.name,
            node_state_name(node.state),
            node.live,
            node.ready,
            node.meta_voter,
            node.client_address,
            node.internal_address,
            node.leading_shards.len()
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>5} {:>10} {:>9}  replicas (node role applied lag)",
        "shard", "leader", "keys"
    );
    for shard in &status.shards {
        let replicas: Vec<String> = shard
            .replicas
            .iter()
            .map(|replica| {
                if replica.reachable {
                    format!(
                        "{} {} {} {}",
                        replica.node_id,
                        role(replica.role),
                        replica.applied_index,
                        replica.lag
                    )
                } else {
                    format!("{} unreachable", replica.node_id)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "{:>5} {:>10} {:>9}  {}",
            shard.shard_id,
            leader(shard.leader_id),
            shard.keys,
            replicas.join(" | ")
        );
    }
    if let Some(storage) = &status.storage {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "log:   {} entries appended in {} commits ({} fsyncs), log.redb {} bytes",
            storage.entries_appended,
            storage.log_commits,
            storage.log_fsyncs,
            storage.log_file_bytes
        );
        let _ = writeln!(
            out,
            "state: {} commits ({} fsyncs), state.redb {} bytes",
            storage.state_commits, storage.state_fsyncs, storage.state_file_bytes
        );
    }
    out
}

/// `shoal cluster members`.
pub fn members(members: &pb::MembersResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>10}  {:<12} {:>14} {:>5} {:>5} {:<10} {:<21} {:<21} {:<8} leads",
        "node", "name", "generation", "live", "ready", "state", "client", "gossip", "zone"
    );
    for member in &members.members {
        let _ = writeln!(
            out,
            "{:>10}  {:<12} {:>14} {:>5} {:>5} {:<10} {:<21} {:<21} {:<8} {:?}",
            member.node_id,
            member.name,
            member.generation,
            member.live,
            member.ready,
            node_state_name(member.state),
            member.client_address,
            member.gossip_address,
            if member.zone.is_empty() {
                "-"
            } else {
                &member.zone
            },
            member.leading_shards
        );
    }
    out
}

/// `shoal cluster shards`.
pub fn shards(map: &pb::GetShardMapResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "shard-map epoch {}  key hash {}",
        map.epoch, map.key_hash
    );
    let _ = writeln!(
        out,
        "{:>5}  {:<38} {:>10}  replicas",
        "shard", "hash range", "leader"
    );
    for shard in &map.shards {
        let replicas: Vec<String> = shard
            .replicas
            .iter()
            .map(|replica| format!("{}@{}", replica.node_id, replica.client_address))
            .collect();
        let _ = writeln!(
            out,
            "{:>5}  {:016x}..={:016x} {:>10}  {}",
            shard.shard_id,
            shard.hash_start,
            shard.hash_end,
            leader(shard.leader_id),
            replicas.join(", ")
        );
    }
    out
}

/// `shoal cluster rebalance --dry-run`: the moves that would balance the cluster, computed
/// from the shard map and the nodes' states as the answering node sees them.
pub fn rebalance_plan(status: &pb::StatusResponse, map: &pb::GetShardMapResponse) -> String {
    use shoal_shardmap::{HashRange, NodeRole, RebalanceNode, ShardEntry, ShardId, ShardMap};
    let current = ShardMap {
        epoch: map.epoch,
        shards: map
            .shards
            .iter()
            .map(|shard| ShardEntry {
                id: ShardId(shard.shard_id),
                range: HashRange {
                    start: shard.hash_start,
                    end: shard.hash_end,
                },
                replicas: shard.replicas.iter().map(|r| r.node_id).collect(),
            })
            .collect(),
    };
    let mut notes = Vec::new();
    let nodes: Vec<RebalanceNode> = status
        .nodes
        .iter()
        .map(|node| {
            let state = pb::NodeState::try_from(node.state).unwrap_or(pb::NodeState::Unknown);
            let role = match state {
                pb::NodeState::Decommissioned => NodeRole::Evacuate,
                pb::NodeState::Draining => NodeRole::Draining,
                _ if !node.live => {
                    notes.push(format!(
                        "node {} is not live: it keeps its replicas in this plan and receives none",
                        node.node_id
                    ));
                    NodeRole::Draining
                }
                _ => NodeRole::Active,
            };
            RebalanceNode {
                id: node.node_id,
                zone: (!node.zone.is_empty()).then(|| node.zone.clone()),
                role,
            }
        })
        .collect();
    let replication_factor = map
        .shards
        .iter()
        .map(|s| s.replicas.len())
        .max()
        .unwrap_or(0);
    let plan = shoal_shardmap::plan(&current, &nodes, replication_factor);
    let mut out = String::new();
    for note in notes {
        out.push_str(&format!("note: {note}\n"));
    }
    if plan.moves.is_empty() && plan.stuck.is_empty() {
        out.push_str("balanced: no move needed\n");
        return out;
    }
    let wave: Vec<_> = plan.first_wave().into_iter().cloned().collect();
    out.push_str(&format!(
        "{} move(s) planned ({} can run at once: one per source and per target node)\n",
        plan.moves.len(),
        wave.len()
    ));
    out.push_str(&format!(
        "{:>6} {:>6} {:>6}  {}\n",
        "shard", "from", "to", "reason"
    ));
    for step in &plan.moves {
        out.push_str(&format!(
            "{:>6} {:>6} {:>6}  {}{}\n",
            step.shard.0,
            step.from.map_or("-".to_owned(), |f| f.to_string()),
            step.to,
            step.reason.as_str(),
            if wave.contains(step) {
                "  (first wave)"
            } else {
                ""
            }
        ));
    }
    for (shard, why) in &plan.stuck {
        out.push_str(&format!("shard {} cannot be placed: {why}\n", shard.0));
    }
    let mut counts = std::collections::BTreeMap::<u64, (usize, usize)>::new();
    for (before, after) in current.shards.iter().zip(&plan.target.shards) {
        for node in &before.replicas {
            counts.entry(*node).or_default().0 += 1;
        }
        for node in &after.replicas {
            counts.entry(*node).or_default().1 += 1;
        }
    }
    out.push_str("replicas per node (now -> after):");
    for (node, (now, after)) in counts {
        out.push_str(&format!(" {node}: {now}->{after}"));
    }
    out.push('\n');
    out
}
