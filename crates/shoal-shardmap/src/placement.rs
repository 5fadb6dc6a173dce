//! Initial placement of shard replicas: given the nodes of a new cluster, choose for every
//! shard `replication_factor` replicas on distinct nodes — on distinct zones while there are
//! zones enough — with replicas and preferred leaders spread evenly.
//!
//! The first replica of a shard is its preferred leader: the node that creates the shard's
//! Raft group and leads it first. Placement is deterministic: the same inputs always give
//! the same map, whichever node computes it.

use std::collections::{BTreeMap, BTreeSet};

use crate::{NodeId, ShardEntry, ShardId, ShardMap, ShardMapError, uniform_ranges};

/// A node as placement sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementNode {
    pub id: NodeId,
    /// Failure domain; `None` means the node has no zone (all such nodes count as one).
    pub zone: Option<String>,
}

/// Why no placement exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacementError {
    Map(ShardMapError),
    /// Fewer distinct nodes than replicas per shard.
    NotEnoughNodes {
        replication_factor: u32,
        nodes: usize,
    },
    /// The replication factor is zero.
    NoReplicas,
}

impl std::error::Error for PlacementError {}

impl std::fmt::Display for PlacementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlacementError::Map(error) => error.fmt(f),
            PlacementError::NotEnoughNodes {
                replication_factor,
                nodes,
            } => write!(
                f,
                "cluster.data.replication_factor = {replication_factor} needs that many distinct \
                 nodes, but only {nodes} are known"
            ),
            PlacementError::NoReplicas => {
                f.write_str("cluster.data.replication_factor must be at least 1")
            }
        }
    }
}

impl From<ShardMapError> for PlacementError {
    fn from(error: ShardMapError) -> Self {
        PlacementError::Map(error)
    }
}

#[derive(Default, Clone, Copy)]
struct Load {
    leaders: usize,
    replicas: usize,
}

/// The map of a new cluster: `shards` uniform hash ranges, each with `replication_factor`
/// replicas placed on `nodes` (duplicates by id are ignored).
pub fn place_initial(
    shards: u32,
    replication_factor: u32,
    nodes: &[PlacementNode],
) -> Result<ShardMap, PlacementError> {
    let ranges = uniform_ranges(shards)?;
    if replication_factor == 0 {
        return Err(PlacementError::NoReplicas);
    }
    // Sorted and deduplicated by id, so the result does not depend on the input order.
    let nodes: BTreeMap<NodeId, Option<String>> = nodes
        .iter()
        .map(|node| (node.id, node.zone.clone()))
        .collect();
    let wanted = replication_factor as usize;
    if nodes.len() < wanted {
        return Err(PlacementError::NotEnoughNodes {
            replication_factor,
            nodes: nodes.len(),
        });
    }
    let mut load: BTreeMap<NodeId, Load> = nodes.keys().map(|&id| (id, Load::default())).collect();
    let mut entries = Vec::with_capacity(ranges.len());
    for (index, range) in ranges.into_iter().enumerate() {
        let mut replicas: Vec<NodeId> = Vec::with_capacity(wanted);
        let mut zones_used: BTreeSet<Option<String>> = BTreeSet::new();
        // Ties rotate with the shard index so they do not always fall on the lowest id.
        let rotation = |id: NodeId| {
            let position = nodes.keys().position(|&n| n == id).unwrap_or(0);
            (position + nodes.len() - index % nodes.len()) % nodes.len()
        };
        // Replicas: a zone not used by this shard yet, then the fewest replicas, then the
        // fewest leaderships.
        while replicas.len() < wanted {
            let next = *nodes
                .keys()
                .filter(|id| !replicas.contains(id))
                .min_by_key(|&&id| {
                    (
                        zones_used.contains(&nodes[&id]),
                        load[&id].replicas,
                        load[&id].leaders,
                        rotation(id),
                    )
                })
                .expect("enough nodes were checked");
            replicas.push(next);
            zones_used.insert(nodes[&next].clone());
        }
        // The leader: the chosen replica with the fewest leaderships, moved to the front.
        let leader_position = (0..replicas.len())
            .min_by_key(|&i| (load[&replicas[i]].leaders, rotation(replicas[i])))
            .expect("at least one replica");
        replicas.swap(0, leader_position);
        for (position, id) in replicas.iter().enumerate() {
            let entry = load.get_mut(id).expect("known node");
            entry.replicas += 1;
            if position == 0 {
                entry.leaders += 1;
            }
        }
        entries.push(ShardEntry {
            id: ShardId(index as u32),
            range,
            replicas,
        });
    }
    balance_leaders(&mut entries, nodes.keys().copied().collect());
    Ok(ShardMap {
        epoch: 1,
        shards: entries,
    })
}

/// Moves preferred leaderships between replicas of the same shard until no node leads two
/// more shards than another, where that is possible: each step shifts one leadership along
/// a path of shards from a most-loaded node to a node with at least two fewer.
fn balance_leaders(entries: &mut [ShardEntry], nodes: Vec<NodeId>) {
    use std::collections::VecDeque;
    loop {
        let mut led: BTreeMap<NodeId, usize> = nodes.iter().map(|&id| (id, 0)).collect();
        for entry in entries.iter() {
            *led.entry(entry.replicas[0]).or_default() += 1;
        }
        let most = *led.values().max().expect("nodes");
        // Breadth-first search from a most-loaded node: an edge u -> v is a shard u leads
        // that v also replicates.
        let path = led
            .iter()
            .filter(|(_, count)| **count == most)
            .find_map(|(&busiest, _)| {
                let mut parent: BTreeMap<NodeId, (NodeId, usize)> = BTreeMap::new();
                let mut queue = VecDeque::from([busiest]);
                while let Some(node) = queue.pop_front() {
                    if led[&node] + 2 <= most {
                        return Some((busiest, node, parent));
                    }
                    for (index, entry) in entries.iter().enumerate() {
                        if entry.replicas[0] != node {
                            continue;
                        }
                        for &next in &entry.replicas[1..] {
                            if next != busiest && !parent.contains_key(&next) {
                                parent.insert(next, (node, index));
                                queue.push_back(next);
                            }
                        }
                    }
                }
                None
            });
        let Some((busiest, mut node, parent)) = path else {
            return;
        };
        // Shift leadership back along the path: each shard on it gets the next node as leader.
        while node != busiest {
            let (previous, index) = parent[&node];
            let replicas = &mut entries[index].replicas;
            let position = replicas
                .iter()
                .position(|&id| id == node)
                .expect("path follows replicas");
            replicas.swap(0, position);
            node = previous;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn plain(ids: &[u64]) -> Vec<PlacementNode> {
        ids.iter()
            .map(|&id| PlacementNode {
                id: NodeId(id),
                zone: None,
            })
            .collect()
    }

    fn counts(map: &ShardMap) -> (BTreeMap<NodeId, usize>, BTreeMap<NodeId, usize>) {
        let mut replicas = BTreeMap::new();
        let mut leaders = BTreeMap::new();
        for shard in &map.shards {
            for id in &shard.replicas {
                *replicas.entry(*id).or_default() += 1;
            }
            *leaders.entry(shard.replicas[0]).or_default() += 1;
        }
        (replicas, leaders)
    }

    fn spread(counts: &BTreeMap<NodeId, usize>, nodes: usize) -> usize {
        let max = counts.values().copied().max().unwrap_or(0);
        let min = if counts.len() < nodes {
            0
        } else {
            counts.values().copied().min().unwrap_or(0)
        };
        max - min
    }

    #[test]
    fn three_nodes_sixteen_shards_rf3() {
        let map = place_initial(16, 3, &plain(&[7, 3, 5])).unwrap();
        assert!(map.covers_hash_space());
        let (replicas, leaders) = counts(&map);
        assert_eq!(replicas.values().copied().collect::<Vec<_>>(), [16, 16, 16]);
        assert_eq!(spread(&leaders, 3), 1, "{leaders:?}");
    }

    #[test]
    fn too_few_nodes_is_an_error_naming_the_numbers() {
        let error = place_initial(4, 3, &plain(&[1, 2])).unwrap_err();
        assert_eq!(
            error,
            PlacementError::NotEnoughNodes {
                replication_factor: 3,
                nodes: 2
            }
        );
        assert!(error.to_string().contains("replication_factor = 3"));
    }

    #[test]
    fn zones_are_distinct_when_there_are_enough() {
        let nodes = vec![
            PlacementNode {
                id: NodeId(1),
                zone: Some("a".into()),
            },
            PlacementNode {
                id: NodeId(2),
                zone: Some("a".into()),
            },
            PlacementNode {
                id: NodeId(3),
                zone: Some("b".into()),
            },
            PlacementNode {
                id: NodeId(4),
                zone: Some("c".into()),
            },
        ];
        let map = place_initial(12, 3, &nodes).unwrap();
        for shard in &map.shards {
            let zones: HashSet<_> = shard
                .replicas
                .iter()
                .map(|id| nodes.iter().find(|n| n.id == *id).unwrap().zone.clone())
                .collect();
            assert_eq!(zones.len(), 3, "{shard:?}");
        }
    }

    proptest! {
        #[test]
        fn placement_is_valid_and_balanced(
            ids in proptest::collection::btree_set(1u64..1000, 1..9),
            shards in 1u32..64,
            replication in 1u32..5,
        ) {
            let ids: Vec<u64> = ids.into_iter().collect();
            let nodes = plain(&ids);
            let result = place_initial(shards, replication, &nodes);
            if (replication as usize) > ids.len() {
                prop_assert!(result.is_err());
                return Ok(());
            }
            let map = result.unwrap();
            prop_assert!(map.covers_hash_space());
            prop_assert_eq!(map.shards.len(), shards as usize);
            for shard in &map.shards {
                prop_assert_eq!(shard.replicas.len(), replication as usize);
                let distinct: HashSet<_> = shard.replicas.iter().collect();
                prop_assert_eq!(distinct.len(), shard.replicas.len());
                prop_assert!(shard.replicas.iter().all(|id| ids.contains(&id.0)));
            }
            let (replicas, leaders) = counts(&map);
            prop_assert!(spread(&replicas, ids.len()) <= 1, "replicas {:?}", replicas);
            prop_assert!(spread(&leaders, ids.len()) <= 1, "leaders {:?}", leaders);
        }

        #[test]
        fn placement_does_not_depend_on_input_order(
            ids in proptest::collection::btree_set(1u64..1000, 3..8),
            shards in 1u32..32,
        ) {
            let forward: Vec<u64> = ids.iter().copied().collect();
            let backward: Vec<u64> = ids.iter().rev().copied().collect();
            prop_assert_eq!(
                place_initial(shards, 3, &plain(&forward)).unwrap(),
                place_initial(shards, 3, &plain(&backward)).unwrap()
            );
        }
    }
}
