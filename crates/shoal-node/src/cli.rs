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
