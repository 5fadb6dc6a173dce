//! What a group's server state says when it changes: elections, leader changes and
//! membership changes, as INFO lines with structured fields and as counters for
//! `/metrics`.
//!
//! One task per group follows openraft's server metrics (vote, role, leader, membership),
//! which change only on those events — not on every write — so it costs nothing on the
//! write path. The task ends when the group's core stops.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use openraft::ServerState;
use openraft::async_runtime::WatchReceiver;
use shoal_shardmap::GroupId;

use crate::storage::MachineStore;
use crate::types::{NodeId, TypeConfig};

/// The events counted for one group on this node since it started here.
#[derive(Debug, Default)]
pub struct GroupEvents {
    elections: AtomicU64,
    leader_changes: AtomicU64,
}

impl GroupEvents {
    /// Elections this node stood in (it became a candidate).
    pub fn elections(&self) -> u64 {
        self.elections.load(Ordering::Relaxed)
    }

    /// Times this node saw the group's leader change to another node (or to itself).
    pub fn leader_changes(&self) -> u64 {
        self.leader_changes.load(Ordering::Relaxed)
    }
}

/// The members of one configuration, to compare.
#[derive(Debug, PartialEq, Eq)]
struct Members {
    voters: BTreeSet<NodeId>,
    learners: BTreeSet<NodeId>,
}

/// Starts following `raft`'s server state for group `group`.
pub(crate) fn follow(
    group: GroupId,
    node_id: NodeId,
    raft: &openraft::Raft<TypeConfig, MachineStore>,
) -> Arc<GroupEvents> {
    let events = Arc::new(GroupEvents::default());
    let counted = events.clone();
    let mut server = raft.server_metrics();
    let data = raft.metrics();
    tokio::spawn(async move {
        let members = |m: &openraft::metrics::RaftServerMetrics<TypeConfig>| Members {
            voters: m.membership_config.membership().voter_ids().collect(),
            learners: m.membership_config.membership().learner_ids().collect(),
        };
        let (mut state, mut leader, mut known) = {
            let now = server.borrow_and_update();
            (now.state, now.current_leader, members(&now))
        };
        while server.changed().await.is_ok() {
            let (now_state, now_leader, now_members) = {
                let now = server.borrow_and_update();
                (now.state, now.current_leader, members(&now))
            };
            let term = data.borrow_watched().current_term;
            if now_state == ServerState::Candidate && state != ServerState::Candidate {
                counted.elections.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%group, term, "standing for election");
            }
            if now_leader != leader
                && let Some(new) = now_leader
            {
                counted.leader_changes.fetch_add(1, Ordering::Relaxed);
                let previous = leader.map(|n| n.0);
                if new == node_id {
                    tracing::info!(%group, term, ?previous, "this node leads the group");
                } else {
                    tracing::info!(%group, term, leader = new.0, ?previous, "the group has a new leader");
                }
            }
            if now_members != known {
                let ids = |set: &BTreeSet<NodeId>| set.iter().map(|n| n.0).collect::<Vec<_>>();
                tracing::info!(
                    %group,
                    term,
                    voters = ?ids(&now_members.voters),
                    learners = ?ids(&now_members.learners),
                    "the group's members changed"
                );
            }
            (state, leader, known) = (now_state, now_leader, now_members);
        }
    });
    events
}
