//! What the control plane needs to know from the node's configuration.

use std::time::Duration;

/// Settings of the control plane (composed from `cluster.*` by the binary).
#[derive(Debug, Clone)]
pub struct ControlSettings {
    /// Replicas per shard (`cluster.data.replication_factor`).
    pub replication_factor: usize,
    /// A node down this long has its replicas re-created elsewhere and its meta seat given
    /// to another (`cluster.failure.replace_after`).
    pub replace_after: Duration,
    /// Start planned moves by themselves (`cluster.rebalance.auto`); otherwise only
    /// `shoal cluster rebalance` starts them.
    pub auto_rebalance: bool,
    /// Move leaderships to preferred replicas and off draining nodes
    /// (`cluster.rebalance.balance_leaders`).
    pub balance_leaders: bool,
    /// Voters the meta group should have (`cluster.raft.voters`).
    pub meta_voters: usize,
    /// The gossip round (`cluster.discovery.gossip_interval`).
    pub gossip_interval: Duration,
}

impl ControlSettings {
    /// Settings for tests: RF 3, 3 meta voters, replace after 60 s, auto rebalance.
    pub fn for_tests() -> ControlSettings {
        ControlSettings {
            replication_factor: 3,
            replace_after: Duration::from_secs(60),
            auto_rebalance: true,
            balance_leaders: true,
            meta_voters: 3,
            gossip_interval: Duration::from_millis(200),
        }
    }
}
