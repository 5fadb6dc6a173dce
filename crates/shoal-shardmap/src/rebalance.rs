//! Rebalance planning: from the current shard map and what is known of the nodes, the
//! replica moves that reach a good placement — every shard with `replication_factor`
//! replicas on distinct nodes that may hold data (distinct zones while there are zones
//! enough), nothing left on nodes being evacuated, and replica counts within one of each
//! other — moving as few replicas as it can.
//!
//! A move adds a replica on `to` and then removes the one on `from`, so a shard never has
//! fewer replicas than before during a move. Planning is pure and deterministic: the same
//! inputs give the same plan on whichever node computes it. Executing moves (learner,
//! snapshot, catch-up, promotion, removal) is the placement driver's business.

use std::collections::{BTreeMap, BTreeSet};

use crate::{NodeId, ShardId, ShardMap};

/// What a node may do with replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    /// Holds replicas and may receive more.
    Active,
    /// Keeps its replicas but receives none: drained for maintenance, not ready, or down for
    /// less than `replace_after`. (Not the same as a maintenance drain, which only moves
    /// leaderships away; a drained node is one of several reasons to be frozen.)
    Frozen,
    /// Must give every replica away (decommissioning, or failed past `replace_after`).
    Evacuate,
}

/// A node as rebalancing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebalanceNode {
    pub id: NodeId,
    pub zone: Option<String>,
    pub role: NodeRole,
}

/// One replica move of one shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub shard: ShardId,
    /// The replica given up once `to` has caught up; `None` when the shard lacks a replica.
    pub from: Option<NodeId>,
    pub to: NodeId,
    pub reason: MoveReason,
}

/// Why a move is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveReason {
    /// The shard has fewer replicas than the replication factor.
    UnderReplicated,
    /// `from` is being evacuated.
    Evacuate,
    /// `from` holds more replicas than `to`, by more than one.
    Balance,
}

impl MoveReason {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveReason::UnderReplicated => "under-replicated",
            MoveReason::Evacuate => "evacuate",
            MoveReason::Balance => "balance",
        }
    }
}

/// The outcome of planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Every move, in the order they should run.
    pub moves: Vec<Move>,
    /// The map once every move is done (replicas per shard; the epoch is not changed).
    pub target: ShardMap,
    /// Shards for which no valid target exists (too few nodes that may hold data), each
    /// with the reason.
    pub stuck: Vec<(ShardId, String)>,
}

/// A move already under way, as far as wave selection cares: which shard, from where, to
/// where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    pub shard: ShardId,
    pub from: Option<NodeId>,
    pub to: NodeId,
}

impl Plan {
    /// The moves that may start now, in plan order: none on a shard with a move in flight,
    /// at most one per source node and one per target node at a time (counting the moves
    /// in flight), and a balance move only on a shard whose replicas are all up
    /// (`all_up`), so rebalancing never leans on a shard that is already short.
    pub fn wave(&self, in_flight: &[InFlight], all_up: impl Fn(ShardId) -> bool) -> Vec<&Move> {
        let mut shards: BTreeSet<ShardId> = in_flight.iter().map(|m| m.shard).collect();
        let mut sources: BTreeSet<NodeId> = in_flight.iter().filter_map(|m| m.from).collect();
        let mut targets: BTreeSet<NodeId> = in_flight.iter().map(|m| m.to).collect();
        self.moves
            .iter()
            .filter(|m| {
                let source_free = m.from.is_none_or(|from| !sources.contains(&from));
                let free = source_free && !targets.contains(&m.to) && !shards.contains(&m.shard);
                if !free || (m.reason == MoveReason::Balance && !all_up(m.shard)) {
                    return false;
                }
                if let Some(from) = m.from {
                    sources.insert(from);
                }
                targets.insert(m.to);
                shards.insert(m.shard);
                true
            })
            .collect()
    }

    /// The first wave with nothing in flight and every replica up.
    pub fn first_wave(&self) -> Vec<&Move> {
        self.wave(&[], |_| true)
    }
}

fn zone_of<'a>(
    nodes: &'a BTreeMap<NodeId, &RebalanceNode>,
    id: NodeId,
) -> Option<&'a Option<String>> {
    nodes.get(&id).map(|n| &n.zone)
}

/// Plans the moves. Nodes absent from `nodes` are treated as evacuated.
pub fn plan(map: &ShardMap, nodes: &[RebalanceNode], replication_factor: usize) -> Plan {
    let by_id: BTreeMap<NodeId, &RebalanceNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let receivers: Vec<NodeId> = nodes
        .iter()
        .filter(|n| n.role == NodeRole::Active)
        .map(|n| n.id)
        .collect();
    let zones_available: BTreeSet<&Option<String>> = nodes
        .iter()
        .filter(|n| n.role != NodeRole::Evacuate)
        .map(|n| &n.zone)
        .collect();
    let keeps = |id: NodeId| by_id.get(&id).is_some_and(|n| n.role != NodeRole::Evacuate);

    let mut target = map.clone();
    let mut load: BTreeMap<NodeId, usize> = nodes
        .iter()
        .filter(|n| n.role != NodeRole::Evacuate)
        .map(|n| (n.id, 0))
        .collect();
    for shard in &target.shards {
        for replica in shard.replicas.iter().filter(|r| keeps(**r)) {
            *load.entry(*replica).or_default() += 1;
        }
    }
    let mut moves = Vec::new();
    let mut stuck = Vec::new();

    // The best receiver for `shard` without `replicas`: least loaded, preferring a zone the
    // shard lacks; ties by id.
    let choose = |replicas: &[NodeId], load: &BTreeMap<NodeId, usize>| -> Option<NodeId> {
        let zones_held: BTreeSet<&Option<String>> = replicas
            .iter()
            .filter(|r| keeps(**r))
            .filter_map(|r| zone_of(&by_id, *r))
            .collect();
        let new_zone_possible = zones_available.len() > zones_held.len();
        receivers
            .iter()
            .copied()
            .filter(|id| !replicas.contains(id))
            .filter(|id| {
                !new_zone_possible || zone_of(&by_id, *id).is_some_and(|z| !zones_held.contains(z))
            })
            .min_by_key(|id| (load.get(id).copied().unwrap_or(0), *id))
    };

    // 1. Evacuations and missing replicas.
    for shard in &mut target.shards {
        let leaving: Vec<NodeId> = shard
            .replicas
            .iter()
            .copied()
            .filter(|r| !keeps(*r))
            .collect();
        for from in leaving {
            match choose(&shard.replicas, &load) {
                Some(to) => {
                    let position = shard
                        .replicas
                        .iter()
                        .position(|r| *r == from)
                        .expect("held");
                    shard.replicas[position] = to;
                    *load.entry(to).or_default() += 1;
                    moves.push(Move {
                        shard: shard.id,
                        from: Some(from),
                        to,
                        reason: MoveReason::Evacuate,
                    });
                }
                None => stuck.push((
                    shard.id,
                    format!(
                        "no active node can take the replica on node {from} (every candidate \
                         already holds one, or is frozen or leaving)"
                    ),
                )),
            }
        }
        while shard.replicas.len() < replication_factor {
            match choose(&shard.replicas, &load) {
                Some(to) => {
                    shard.replicas.push(to);
                    *load.entry(to).or_default() += 1;
                    moves.push(Move {
                        shard: shard.id,
                        from: None,
                        to,
                        reason: MoveReason::UnderReplicated,
                    });
                }
                None => {
                    stuck.push((
                        shard.id,
                        format!(
                            "{} replica(s) wanted but only {} node(s) can hold one",
                            replication_factor,
                            shard.replicas.len()
                        ),
                    ));
                    break;
                }
            }
        }
    }

    // 2. Balance: move a replica from the most to the least loaded receiver while they
    // differ by more than one and some shard allows it (zones permitting).
    let bound = map.shards.len() * replication_factor.max(1);
    for _ in 0..bound {
        let Some((&heavy, &most)) = load
            .iter()
            .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))
        else {
            break;
        };
        let Some(&light) = receivers
            .iter()
            .min_by_key(|id| (load.get(id).copied().unwrap_or(0), **id))
        else {
            break;
        };
        let least = load.get(&light).copied().unwrap_or(0);
        if most <= least + 1 {
            break;
        }
        let candidate = target.shards.iter_mut().find(|shard| {
            shard.replicas.contains(&heavy) && !shard.replicas.contains(&light) && {
                // Moving must not lose zone spread.
                let others: BTreeSet<&Option<String>> = shard
                    .replicas
                    .iter()
                    .filter(|r| **r != heavy)
                    .filter_map(|r| zone_of(&by_id, *r))
                    .collect();
                let before: BTreeSet<&Option<String>> = shard
                    .replicas
                    .iter()
                    .filter_map(|r| zone_of(&by_id, *r))
                    .collect();
                let mut after = others.clone();
                if let Some(zone) = zone_of(&by_id, light) {
                    after.insert(zone);
                }
                after.len() >= before.len()
            }
        });
        let Some(shard) = candidate else { break };
        let position = shard
            .replicas
            .iter()
            .position(|r| *r == heavy)
            .expect("held");
        shard.replicas[position] = light;
        *load.get_mut(&heavy).expect("loaded") -= 1;
        *load.entry(light).or_default() += 1;
        moves.push(Move {
            shard: shard.id,
            from: Some(heavy),
            to: light,
            reason: MoveReason::Balance,
        });
    }
    Plan {
        moves,
        target,
        stuck,
    }
}

/// One change of a shard's preferred leader (the first replica in the map) that evens out
/// how many shards each active node is preferred for, or `None` when they are within one.
/// The leadership balancer then moves each leadership to its preferred replica.
pub fn next_leader_preference(
    map: &ShardMap,
    nodes: &[RebalanceNode],
) -> Option<(ShardId, NodeId)> {
    let active: BTreeSet<NodeId> = nodes
        .iter()
        .filter(|n| n.role == NodeRole::Active)
        .map(|n| n.id)
        .collect();
    let mut preferred: BTreeMap<NodeId, usize> = active.iter().map(|id| (*id, 0)).collect();
    for shard in &map.shards {
        if let Some(first) = shard.replicas.first()
            && let Some(count) = preferred.get_mut(first)
        {
            *count += 1;
        }
    }
    // The most preferred node gives one shard to the least preferred node holding a
    // replica of it, if that narrows the gap.
    let (&heavy, &most) = preferred
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))?;
    map.shards
        .iter()
        .filter(|shard| shard.replicas.first() == Some(&heavy))
        .filter_map(|shard| {
            let light = shard
                .replicas
                .iter()
                .skip(1)
                .filter(|r| active.contains(r))
                .min_by_key(|r| (preferred[r], **r))?;
            (preferred[light] + 1 < most).then_some((shard.id, *light, preferred[light]))
        })
        .min_by_key(|(shard, _, count)| (*count, *shard))
        .map(|(shard, light, _)| (shard, light))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PlacementNode, place_initial};
    use proptest::prelude::*;

    fn active(ids: &[u64]) -> Vec<RebalanceNode> {
        ids.iter()
            .map(|id| RebalanceNode {
                id: NodeId(*id),
                zone: None,
                role: NodeRole::Active,
            })
            .collect()
    }

    fn initial(shards: u32, nodes: &[u64]) -> ShardMap {
        let nodes: Vec<PlacementNode> = nodes
            .iter()
            .map(|id| PlacementNode {
                id: NodeId(*id),
                zone: None,
            })
            .collect();
        place_initial(shards, 3, &nodes).unwrap()
    }

    fn counts(map: &ShardMap) -> BTreeMap<NodeId, usize> {
        let mut counts = BTreeMap::new();
        for shard in &map.shards {
            for replica in &shard.replicas {
                *counts.entry(*replica).or_default() += 1;
            }
        }
        counts
    }

    #[test]
    fn leader_preferences_even_out_after_a_node_joins() {
        let mut map = plan(&initial(16, &[1, 2, 3]), &active(&[1, 2, 3, 4]), 3).target;
        let nodes = active(&[1, 2, 3, 4]);
        let mut changes = 0;
        while let Some((shard, node)) = next_leader_preference(&map, &nodes) {
            let entry = &mut map.shards[shard.0 as usize];
            let at = entry.replicas.iter().position(|r| *r == node).unwrap();
            entry.replicas.swap(0, at);
            changes += 1;
            assert!(changes <= 16, "converges");
        }
        let mut firsts = BTreeMap::<NodeId, usize>::new();
        for shard in &map.shards {
            *firsts.entry(shard.replicas[0]).or_default() += 1;
        }
        assert!(firsts.values().all(|n| (3..=5).contains(n)), "{firsts:?}");
        assert_eq!(firsts.len(), 4, "{firsts:?}");
    }

    #[test]
    fn a_balanced_map_needs_no_moves() {
        let map = initial(16, &[1, 2, 3]);
        let plan = plan(&map, &active(&[1, 2, 3]), 3);
        assert!(plan.moves.is_empty(), "{plan:?}");
        assert_eq!(plan.target, map);
    }

    #[test]
    fn a_fourth_node_gets_about_a_quarter_of_the_replicas() {
        let map = initial(16, &[1, 2, 3]);
        let plan = plan(&map, &active(&[1, 2, 3, 4]), 3);
        let counts = counts(&plan.target);
        assert_eq!(counts[&NodeId(4)], 12, "{counts:?}");
        assert!(
            plan.moves
                .iter()
                .all(|m| m.to == NodeId(4) && m.reason == MoveReason::Balance)
        );
        assert_eq!(plan.moves.len(), 12);
        // One move at a time per target node.
        assert_eq!(plan.first_wave().len(), 1);
    }

    #[test]
    fn an_evacuated_node_is_emptied_and_impossible_cases_say_why() {
        let map = initial(8, &[1, 2, 3, 4]);
        let mut nodes = active(&[1, 2, 3, 4]);
        nodes[3].role = NodeRole::Evacuate;
        let plan = plan(&map, &nodes, 3);
        assert!(!counts(&plan.target).contains_key(&NodeId(4)));
        assert!(plan.stuck.is_empty());

        let mut nodes = active(&[1, 2, 3]);
        nodes[2].role = NodeRole::Evacuate;
        let stuck = super::plan(&initial(4, &[1, 2, 3]), &nodes, 3).stuck;
        assert_eq!(stuck.len(), 4, "{stuck:?}");
        assert!(stuck[0].1.contains("no active node"), "{stuck:?}");
    }

    proptest! {
        #[test]
        fn plans_are_valid_balanced_and_never_use_unfit_nodes(
            shards in 1u32..24,
            initial_nodes in 3u64..6,
            added in 0u64..3,
            evacuated in proptest::collection::btree_set(1u64..9, 0..2),
            draining in proptest::collection::btree_set(1u64..9, 0..2),
            zones in 1usize..4,
        ) {
            let ids: Vec<u64> = (1..=initial_nodes).collect();
            let map = initial(shards, &ids);
            let nodes: Vec<RebalanceNode> = (1..=initial_nodes + added)
                .map(|id| RebalanceNode {
                    id: NodeId(id),
                    zone: Some(format!("z{}", id as usize % zones)),
                    role: if evacuated.contains(&id) {
                        NodeRole::Evacuate
                    } else if draining.contains(&id) {
                        NodeRole::Frozen
                    } else {
                        NodeRole::Active
                    },
                })
                .collect();
            let plan = plan(&map, &nodes, 3);
            let by_id: BTreeMap<NodeId, &RebalanceNode> = nodes.iter().map(|n| (n.id, n)).collect();
            for shard in &plan.target.shards {
                let distinct: BTreeSet<NodeId> = shard.replicas.iter().copied().collect();
                prop_assert_eq!(distinct.len(), shard.replicas.len(), "duplicate replica");
                let stuck = plan.stuck.iter().any(|(id, _)| *id == shard.id);
                if !stuck {
                    prop_assert_eq!(shard.replicas.len(), 3);
                    for replica in &shard.replicas {
                        prop_assert!(by_id[replica].role != NodeRole::Evacuate);
                    }
                }
            }
            for m in &plan.moves {
                prop_assert_eq!(by_id[&m.to].role, NodeRole::Active, "moves only go to active nodes");
            }
            // Balanced among active nodes within one, when nothing is stuck and no draining
            // node holds extra (draining nodes keep what they have).
            if plan.stuck.is_empty() && draining.is_empty() {
                let counts = counts(&plan.target);
                let active_counts: Vec<usize> = nodes
                    .iter()
                    .filter(|n| n.role == NodeRole::Active)
                    .map(|n| counts.get(&n.id).copied().unwrap_or(0))
                    .collect();
                if zones == 1 {
                    let most = active_counts.iter().max().copied().unwrap_or(0);
                    let least = active_counts.iter().min().copied().unwrap_or(0);
                    prop_assert!(most <= least + 1, "unbalanced: {:?}", counts);
                }
            }
            // The first wave uses each node at most once as source and as target.
            let wave = plan.first_wave();
            let targets: BTreeSet<NodeId> = wave.iter().map(|m| m.to).collect();
            prop_assert_eq!(targets.len(), wave.len());
        }
    }
}
