//! The verdict of a cross-replica consistency check: every replica digested its state at
//! the same digest point; which of them, if any, is in a minority.

use std::collections::BTreeMap;

use shoal_shardmap::NodeId;

/// What the digests say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every replica that answered holds the same state (and at least two answered).
    Consistent,
    /// A strict majority of the replicas asked agree; these differ from it.
    Diverged {
        minority: Vec<NodeId>,
        majority: u64,
    },
    /// Nothing can be concluded, for this reason.
    Undecided(String),
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::Diverged { .. } => "diverged",
            Verdict::Undecided(_) => "undecided",
        }
    }
}

/// The verdict over `digests`: every replica asked, with its digest (None: no answer). A
/// replica is judged damaged only against a strict majority of all replicas asked — two of
/// three, three of five —, never by a tie or by a minority that happened to answer.
pub fn judge(digests: &BTreeMap<NodeId, Option<u64>>) -> Verdict {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for digest in digests.values().flatten() {
        *counts.entry(*digest).or_default() += 1;
    }
    let answered: usize = counts.values().sum();
    if answered < 2 {
        return Verdict::Undecided(format!(
            "{answered} of {} replicas gave a digest; at least two must",
            digests.len()
        ));
    }
    let (majority, agreeing) = counts
        .iter()
        .max_by_key(|(_, count)| **count)
        .map(|(digest, count)| (*digest, *count))
        .expect("at least two answers");
    if counts.len() == 1 {
        return Verdict::Consistent;
    }
    if agreeing * 2 <= digests.len() {
        return Verdict::Undecided(format!(
            "the replicas disagree and no digest is held by a majority of the {}: {counts:?}",
            digests.len()
        ));
    }
    Verdict::Diverged {
        minority: digests
            .iter()
            .filter(|(_, digest)| digest.is_some_and(|d| d != majority))
            .map(|(node, _)| *node)
            .collect(),
        majority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(digests: &[(u64, Option<u64>)]) -> BTreeMap<NodeId, Option<u64>> {
        digests.iter().map(|(n, d)| (NodeId(*n), *d)).collect()
    }

    #[test]
    fn a_replica_is_damaged_only_against_a_strict_majority_of_all_asked() {
        assert_eq!(
            judge(&of(&[(1, Some(7)), (2, Some(7)), (3, Some(7))])),
            Verdict::Consistent
        );
        assert_eq!(
            judge(&of(&[(1, Some(7)), (2, Some(7)), (3, None)])),
            Verdict::Consistent
        );
        assert_eq!(
            judge(&of(&[(1, Some(7)), (2, Some(9)), (3, Some(7))])),
            Verdict::Diverged {
                minority: vec![NodeId(2)],
                majority: 7
            }
        );
        // Two answers that disagree out of three asked: no majority.
        assert!(matches!(
            judge(&of(&[(1, Some(7)), (2, Some(9)), (3, None)])),
            Verdict::Undecided(_)
        ));
        // One answer: nothing to compare.
        assert!(matches!(
            judge(&of(&[(1, Some(7)), (2, None), (3, None)])),
            Verdict::Undecided(_)
        ));
        // Five replicas, three agree: the other two are damaged.
        assert_eq!(
            judge(&of(&[
                (1, Some(1)),
                (2, Some(1)),
                (3, Some(2)),
                (4, Some(1)),
                (5, Some(3))
            ])),
            Verdict::Diverged {
                minority: vec![NodeId(3), NodeId(5)],
                majority: 1
            }
        );
        // Four replicas split two and two: no majority.
        assert!(matches!(
            judge(&of(&[
                (1, Some(1)),
                (2, Some(1)),
                (3, Some(2)),
                (4, Some(2))
            ])),
            Verdict::Undecided(_)
        ));
    }
}
