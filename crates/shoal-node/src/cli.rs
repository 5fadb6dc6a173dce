//! Output of the `shoal cluster …` commands: readable tables for people, or with `--json`
//! the response itself in the proto3 JSON mapping, for scripts.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Result;
use shoal_consensus::storage::space::human_bytes;
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
    for node in status.nodes.iter().filter(|n| !n.damaged_shards.is_empty()) {
        let _ = writeln!(
            out,
            "node {}: DAMAGED replica(s) of shard(s) {:?}: quarantined (no voting, no \
             serving) until the cluster rebuilds them; see `shoal cluster moves`",
            node.node_id, node.damaged_shards
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

/// `shoal cluster rebalance [--dry-run]`: the moves the meta leader planned and which of
/// them started (or, dry, would start now), with replica counts per node before and after.
pub fn rebalance_plan(
    answer: &pb::RebalanceResponse,
    map: &pb::GetShardMapResponse,
    dry_run: bool,
) -> String {
    let mut out = String::new();
    if answer.in_flight > 0 {
        out.push_str(&format!(
            "{} move(s) in flight (see `shoal cluster moves`); the plan counts them as done\n",
            answer.in_flight
        ));
    }
    if answer.moves.is_empty() && answer.stuck.is_empty() {
        out.push_str("balanced: no move needed\n");
        return out;
    }
    let starting = answer.moves.iter().filter(|m| m.started).count();
    out.push_str(&format!(
        "{} move(s) planned ({starting} {}: one per source and per target node at a time)\n",
        answer.moves.len(),
        if dry_run {
            "would start now"
        } else {
            "started"
        }
    ));
    out.push_str(&format!(
        "{:>6} {:>6} {:>6}  {}\n",
        "shard", "from", "to", "reason"
    ));
    for step in &answer.moves {
        out.push_str(&format!(
            "{:>6} {:>6} {:>6}  {}{}\n",
            step.shard_id,
            if step.from_node == 0 {
                "-".to_owned()
            } else {
                step.from_node.to_string()
            },
            step.to_node,
            step.reason,
            match (step.started, dry_run) {
                (true, true) => "  (first wave)",
                (true, false) => "  (started)",
                _ => "",
            }
        ));
    }
    for stuck in &answer.stuck {
        out.push_str(&format!("cannot be placed: {stuck}\n"));
    }
    let mut counts = std::collections::BTreeMap::<u64, (i64, i64)>::new();
    for shard in &map.shards {
        for replica in &shard.replicas {
            let entry = counts.entry(replica.node_id).or_default();
            entry.0 += 1;
            entry.1 += 1;
        }
    }
    for step in &answer.moves {
        if step.from_node != 0 {
            counts.entry(step.from_node).or_default().1 -= 1;
        }
        counts.entry(step.to_node).or_default().1 += 1;
    }
    out.push_str("replicas per node (now -> after):");
    for (node, (now, after)) in counts {
        out.push_str(&format!(" {node}: {now}->{after}"));
    }
    out.push('\n');
    out
}

/// `shoal cluster check`: each shard's verdict, with what every replica said.
pub fn check(answer: &pb::CheckConsistencyResponse) -> String {
    let count = |verdict: &str| {
        answer
            .shards
            .iter()
            .filter(|s| s.verdict == verdict)
            .count()
    };
    let mut out = format!(
        "{} shard(s) checked: {} consistent, {} diverged, {} undecided\n",
        answer.shards.len(),
        count("consistent"),
        count("diverged"),
        count("undecided")
    );
    for shard in &answer.shards {
        let keys = shard.replicas.iter().map(|r| r.keys).max().unwrap_or(0);
        let bytes = shard.replicas.iter().map(|r| r.bytes).max().unwrap_or(0);
        out.push_str(&format!(
            "shard {:>3}: {:<10} at index {} ({} records, {}) in {} ms: {}\n",
            shard.shard_id,
            shard.verdict,
            shard.index,
            keys,
            human_bytes(bytes),
            shard.elapsed_ms,
            shard.detail
        ));
        if shard.verdict != "consistent" {
            for replica in &shard.replicas {
                let said = if replica.answered {
                    format!("digest {:016x}", replica.digest)
                } else {
                    format!("no digest: {}", replica.error)
                };
                out.push_str(&format!("    node {}: {said}\n", replica.node_id));
            }
        }
    }
    out
}

/// `shoal cluster moves`: replica moves in flight with their progress.
pub fn moves(answer: &pb::ListMovesResponse) -> String {
    let mut out = format!(
        "{} move(s) in flight; {} finished, {} rolled back since the cluster was created\n",
        answer.moves.len(),
        answer.finished,
        answer.aborted
    );
    if answer.moves.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "{:>4} {:>6} {:>6} {:>6}  {:<11} {:>18} {:>11} {:>7}  {}\n",
        "id", "shard", "from", "to", "step", "bytes", "rate", "eta", "reason / state"
    ));
    let now_ms = shoal_replication::Clock::system().now_ms();
    for m in &answer.moves {
        let bytes = if m.bytes_total > 0 {
            format!(
                "{}/{}",
                human_bytes(m.bytes_sent),
                human_bytes(m.bytes_total)
            )
        } else {
            "-".to_owned()
        };
        let rate = if m.bytes_per_second > 0.0 {
            format!("{}/s", human_bytes(m.bytes_per_second as u64))
        } else {
            "-".to_owned()
        };
        let eta = if m.eta_seconds > 0.0 {
            format!("{:.0}s", m.eta_seconds.ceil())
        } else {
            "-".to_owned()
        };
        let in_step = now_ms.saturating_sub(m.step_started_at_ms) / 1000;
        let mut state = format!("{} ({in_step}s in step)", m.reason);
        if m.leader_last_index > 0 {
            state.push_str(&format!(
                "; target log {}/{}",
                m.target_matched_index, m.leader_last_index
            ));
        }
        if !m.stuck_reason.is_empty() {
            state.push_str(&format!("; waiting: {}", m.stuck_reason));
        }
        out.push_str(&format!(
            "{:>4} {:>6} {:>6} {:>6}  {:<11} {:>18} {:>11} {:>7}  {}\n",
            m.id,
            m.shard_id,
            if m.from_node == 0 {
                "-".to_owned()
            } else {
                m.from_node.to_string()
            },
            m.to_node,
            m.step,
            bytes,
            rate,
            eta,
            state
        ));
    }
    out
}

fn ago(ms: Option<u64>) -> String {
    match ms {
        None => "never".into(),
        Some(ms) if ms < 1_000 => format!("{ms}ms ago"),
        Some(ms) => format!("{:.1}s ago", ms as f64 / 1_000.0),
    }
}

/// `shoal cluster jobs`.
pub fn jobs(answer: &pb::ListJobsResponse) -> String {
    let mut out = String::new();
    for node in &answer.nodes {
        if !node.reachable {
            out.push_str(&format!("node {}: did not answer\n", node.node_id));
            continue;
        }
        out.push_str(&format!("node {}\n", node.node_id));
        out.push_str(&format!(
            "  {:<17} {:>7} {:>9} {:>13} {:>9}  {}\n",
            "job", "runs", "every", "last run", "took", "last error / waiting for"
        ));
        for job in &node.jobs {
            let mut notes: Vec<String> = Vec::new();
            if !job.last_error.is_empty() {
                notes.push(format!(
                    "error {}: {}",
                    ago(job.last_error_ms_ago),
                    job.last_error
                ));
            }
            notes.extend(job.waiting_for.iter().cloned());
            out.push_str(&format!(
                "  {:<17} {:>7} {:>7}ms {:>13} {:>7}ms  {}{}\n",
                job.name,
                job.runs,
                job.every_ms,
                if job.running {
                    "running".to_owned()
                } else {
                    ago(job.last_run_ms_ago)
                },
                job.last_duration_ms,
                notes.first().map(String::as_str).unwrap_or("-"),
                notes
                    .iter()
                    .skip(1)
                    .map(|n| format!("\n{:>62}{n}", ""))
                    .collect::<String>()
            ));
        }
    }
    out
}

fn role_name(wire: i32) -> &'static str {
    match pb::ApiKeyRole::try_from(wire) {
        Ok(pb::ApiKeyRole::Read) => "read",
        Ok(pb::ApiKeyRole::Write) => "write",
        Ok(pb::ApiKeyRole::Admin) => "admin",
        _ => "?",
    }
}

/// `shoal auth key create`: the key, once.
pub fn created_key(created: &pb::CreateApiKeyResponse) -> String {
    let (id, name, role) = created.key.as_ref().map_or(("?", "?", "?"), |key| {
        (key.id.as_str(), key.name.as_str(), role_name(key.role))
    });
    format!(
        "API key {id} ({name}, role {role}):\n{}\nShown once: the cluster keeps only its hash. \
         Pass it with --api-key or SHOAL_API_KEY.",
        created.secret
    )
}

/// `shoal auth key list`: never a secret.
pub fn api_keys(keys: &pb::ListApiKeysResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<18} {:<20} {:<6} {:<16} {:<10}",
        "id", "name", "role", "prefix", "state"
    );
    for key in &keys.keys {
        let state = if key.revoked_at_ms.is_some() {
            "revoked"
        } else if key.expires_at_ms.is_some() {
            "expires"
        } else {
            "active"
        };
        let prefix = key.prefix.as_ref().map_or("(all keys)".to_owned(), |p| {
            String::from_utf8_lossy(p).into_owned()
        });
        let _ = writeln!(
            out,
            "{:<18} {:<20} {:<6} {:<16} {:<10}",
            key.id,
            key.name,
            role_name(key.role),
            prefix,
            state
        );
    }
    out
}

/// `shoal cluster audit`.
pub fn audit(audit: &pb::ListAuditResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:>5}  {:<18} {:<36} outcome",
        "when (UTC)", "node", "who", "operation"
    );
    for entry in &audit.entries {
        let when = humantime::format_rfc3339_millis(
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(entry.at_ms),
        );
        let _ = writeln!(
            out,
            "{:<24} {:>5}  {:<18} {:<36} {}",
            when.to_string(),
            entry.node_id,
            entry.who,
            entry.rpc.trim_start_matches("/shoal.v1."),
            entry.outcome
        );
    }
    out
}
