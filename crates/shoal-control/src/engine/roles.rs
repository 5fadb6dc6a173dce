//! Node roles: what each registered node may do with replicas, from the registry and
//! gossip. The planner (`shoal_shardmap::plan`) plans with these.

use shoal_shardmap::{NodeRole, NodeState, RebalanceNode};

use crate::settings::ControlSettings;
use crate::view::ClusterView;

/// How the plan sees each registered node now:
/// - *evacuate*: decommissioned, or down for `replace_after` or longer;
/// - *frozen* (keeps its replicas, receives none): down for less than that, drained for
///   maintenance, not ready, or shutting down;
/// - *active* otherwise.
pub fn node_roles(view: &ClusterView, settings: &ControlSettings) -> Vec<RebalanceNode> {
    view.registered()
        .map(|(record, node)| {
            let role = match record.state {
                NodeState::Decommissioned => NodeRole::Evacuate,
                _ if !node.live() => {
                    if node.down_for.unwrap_or_default() >= settings.replace_after {
                        NodeRole::Evacuate
                    } else {
                        NodeRole::Frozen
                    }
                }
                _ if matches!(node.state(), NodeState::Draining | NodeState::Leaving) => {
                    NodeRole::Frozen
                }
                _ if !node.ready() => NodeRole::Frozen,
                _ => NodeRole::Active,
            };
            RebalanceNode {
                id: record.id,
                zone: record.zone.clone(),
                role,
            }
        })
        .collect()
}
