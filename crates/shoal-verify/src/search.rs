//! The linearizability search for one key: Wing & Gong's backtracking search with Lowe's
//! memoization of visited (linearized set, model state) pairs, as in Porcupine.
//!
//! Invocations and completions of the operations with known outcomes form one list ordered
//! by time (at equal instants invocations come first, so touching intervals count as
//! concurrent). The search walks the list: at an invocation it tries to linearize that
//! operation now (the model must accept it and the resulting configuration must be new), at
//! a completion it has to backtrack, because that operation should have been linearized
//! before anything that follows. Linearized operations are unlinked from the list (dancing
//! links) so the walk restarts at the head cheaply.
//!
//! Operations with unknown outcomes are optional: they never complete (+infinity), so they
//! need not be linearized at all, and a configuration that merely adds optional operations
//! to one already visited is skipped (see `Memo`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::{KeyState, ModelOp};

/// One operation as the search sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchOp {
    pub op: ModelOp,
    pub invoke: u64,
    /// `u64::MAX` when the outcome is unknown.
    pub complete: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SearchVerdict {
    Linearizable,
    NotLinearizable,
    /// The step budget ran out first.
    Inconclusive,
}

#[derive(Debug)]
pub(crate) struct SearchResult {
    pub verdict: SearchVerdict,
    pub steps: u64,
    /// The longest valid order found (by number of operations with a known outcome), as
    /// indices into the searched operations, and the state after it.
    pub best_order: Vec<usize>,
    pub best_state: KeyState,
}

/// A fast, non-cryptographic hasher for the memo (FxHash's mixing step).
#[derive(Default)]
struct FastHasher {
    hash: u64,
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A visited configuration, without the operations with unknown outcomes (kept beside it,
/// see `Memo`). The set of linearized operations with known outcomes is stored sparsely:
/// they are numbered by invocation time, which is roughly the order the search linearizes
/// them in, so every bit below `prefix` is set and `extras` lists the few set bits above.
#[derive(PartialEq, Eq, Hash)]
struct Visited {
    prefix: u32,
    extras: Box<[u32]>,
    state: KeyState,
}

/// A set of operations changed in stack order: `remove` always undoes the latest `insert`.
struct LinearizedSet {
    words: Vec<u64>,
    len: usize,
    /// The lowest unset bit (`len` when all are set).
    prefix: usize,
    /// One past the highest set bit, and its earlier values (restored by `remove`), so
    /// listing the members does not scan the empty words above the search frontier.
    end: usize,
    earlier_ends: Vec<usize>,
}

impl LinearizedSet {
    fn new(len: usize) -> LinearizedSet {
        LinearizedSet {
            words: vec![0; len.div_ceil(64)],
            len,
            prefix: 0,
            end: 0,
            earlier_ends: Vec::new(),
        }
    }

    fn insert(&mut self, bit: usize) {
        self.earlier_ends.push(self.end);
        self.end = self.end.max(bit + 1);
        self.words[bit / 64] |= 1 << (bit % 64);
        while self.prefix < self.len {
            let ones = (self.words[self.prefix / 64] >> (self.prefix % 64)).trailing_ones();
            self.prefix += ones as usize;
            if ones == 0 || !self.prefix.is_multiple_of(64) {
                break;
            }
        }
    }

    fn remove(&mut self, bit: usize) {
        self.words[bit / 64] &= !(1 << (bit % 64));
        self.prefix = self.prefix.min(bit);
        self.end = self.earlier_ends.pop().expect("remove undoes an insert");
    }

    /// The set bits from `from` on, ascending.
    fn members_from(&self, from: usize) -> Box<[u32]> {
        let first_word = from / 64;
        let end_word = self.end.div_ceil(64);
        let mut members = Vec::new();
        for (offset, &word) in self.words[first_word.min(end_word)..end_word]
            .iter()
            .enumerate()
        {
            let mut word = if offset == 0 {
                word & (u64::MAX << (from % 64))
            } else {
                word
            };
            while word != 0 {
                let bit = (first_word + offset) * 64 + word.trailing_zeros() as usize;
                members.push(bit as u32);
                word &= word - 1;
            }
        }
        members.into_boxed_slice()
    }

    fn visited(&self, state: KeyState) -> Visited {
        Visited {
            prefix: self.prefix as u32,
            extras: self.members_from(self.prefix),
            state,
        }
    }
}

/// The visited configurations. Operations with unknown outcomes are optional (they may
/// never take effect), so a configuration that has linearized a superset of the optional
/// operations of a visited one, with the same mandatory set and state, can do nothing the
/// visited one could not: it is dominated and need not be explored. Without this, every
/// optional operation that never took effect would be retried after each step of the
/// search, making long histories quadratic.
#[derive(Default)]
struct Memo {
    seen: HashMap<Visited, Vec<Box<[u32]>>, BuildHasherDefault<FastHasher>>,
}

impl Memo {
    /// Records the configuration; false when it (or one dominating it) was seen before.
    fn visit(&mut self, visited: Visited, optional: Box<[u32]>) -> bool {
        let seen = self.seen.entry(visited).or_default();
        if seen.iter().any(|earlier| is_subset(earlier, &optional)) {
            return false;
        }
        seen.retain(|earlier| !is_subset(&optional, earlier));
        seen.push(optional);
        true
    }
}

/// Both slices ascending.
fn is_subset(small: &[u32], large: &[u32]) -> bool {
    let mut large = large.iter();
    small
        .iter()
        .all(|wanted| large.by_ref().any(|candidate| candidate == wanted))
}

/// A doubly linked list over nodes `1..=len` with node 0 as head and `len + 1` as tail;
/// unlinked nodes keep their links so they can be relinked in reverse order (dancing links).
struct Links {
    next: Vec<usize>,
    prev: Vec<usize>,
}

impl Links {
    fn new(len: usize) -> Links {
        let tail = len + 1;
        let mut next: Vec<usize> = (1..=tail + 1).collect();
        next[tail] = tail;
        Links {
            next,
            prev: (0..=tail).map(|node| node.saturating_sub(1)).collect(),
        }
    }

    fn tail(&self) -> usize {
        self.next.len() - 1
    }

    fn first(&self) -> usize {
        self.next[0]
    }

    fn unlink(&mut self, node: usize) {
        self.next[self.prev[node]] = self.next[node];
        self.prev[self.next[node]] = self.prev[node];
    }

    fn relink(&mut self, node: usize) {
        self.next[self.prev[node]] = node;
        self.prev[self.next[node]] = node;
    }
}

/// Searches for an order of `ops` that respects real time and the model, starting from
/// `initial`, giving up after `max_steps` steps.
pub(crate) fn search(ops: &[SearchOp], initial: KeyState, max_steps: u64) -> SearchResult {
    let mut result = SearchResult {
        verdict: SearchVerdict::Linearizable,
        steps: 0,
        best_order: Vec::new(),
        best_state: initial,
    };
    // Mandatory operations (known outcome) and optional ones each get their own numbering
    // by invocation time, for the two linearized sets.
    let by_invoke = |determinate: bool| {
        let mut indices: Vec<usize> = (0..ops.len())
            .filter(|&index| ops[index].op.is_determinate() == determinate)
            .collect();
        indices.sort_by_key(|&index| (ops[index].invoke, index));
        indices
    };
    let mandatory = by_invoke(true);
    let optional = by_invoke(false);
    if mandatory.is_empty() {
        return result;
    }
    let mut position = vec![0usize; ops.len()];
    for list in [&mandatory, &optional] {
        for (at, &index) in list.iter().enumerate() {
            position[index] = at;
        }
    }

    // Entry node `k + 1` is `entries[k]`: (instant, is a completion, operation). Optional
    // operations have no completion entry: nothing forces them in.
    let mut entries: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
    for (index, op) in ops.iter().enumerate() {
        entries.push((op.invoke, false, index));
        if op.op.is_determinate() {
            entries.push((op.complete, true, index));
        }
    }
    entries.sort_unstable();
    let mut call_node = vec![0usize; ops.len()];
    let mut return_node = vec![0usize; ops.len()];
    for (offset, &(_, is_return, index)) in entries.iter().enumerate() {
        if is_return {
            return_node[index] = offset + 1;
        } else {
            call_node[index] = offset + 1;
        }
    }
    let mut events = Links::new(entries.len());

    let mut mandatory_done = LinearizedSet::new(mandatory.len());
    let mut optional_done = LinearizedSet::new(optional.len());
    let mut memo = Memo::default();
    let mut stack: Vec<(usize, KeyState)> = Vec::new();
    let mut state = initial;
    let mut placed = 0usize;
    let mut best_placed = 0usize;
    let mut node = events.first();

    loop {
        result.steps += 1;
        if result.steps > max_steps {
            if placed > best_placed {
                result.best_order = stack.iter().map(|&(index, _)| index).collect();
                result.best_state = state;
            }
            result.verdict = SearchVerdict::Inconclusive;
            return result;
        }
        // The tail is only reachable with every mandatory operation placed, which has
        // returned already; treat it like a completion all the same.
        let entry = (node != events.tail()).then(|| entries[node - 1]);
        if let Some((_, false, index)) = entry {
            let search_op = &ops[index];
            if let Some(after) = search_op.op.step(state) {
                let mandatory_op = search_op.op.is_determinate();
                let set = if mandatory_op {
                    &mut mandatory_done
                } else {
                    &mut optional_done
                };
                set.insert(position[index]);
                if memo.visit(mandatory_done.visited(after), optional_done.members_from(0)) {
                    stack.push((index, state));
                    state = after;
                    events.unlink(call_node[index]);
                    if mandatory_op {
                        events.unlink(return_node[index]);
                        placed += 1;
                        if placed == mandatory.len() {
                            result.best_order = stack.iter().map(|&(index, _)| index).collect();
                            result.best_state = state;
                            return result;
                        }
                    }
                    node = events.first();
                    continue;
                }
                let set = if mandatory_op {
                    &mut mandatory_done
                } else {
                    &mut optional_done
                };
                set.remove(position[index]);
            }
            node = events.next[node];
            continue;
        }

        // A mandatory operation completes here unlinearized: undo the latest choice.
        // Copying the order only at dead ends keeps a long straight run linear.
        if placed > best_placed {
            best_placed = placed;
            result.best_order = stack.iter().map(|&(index, _)| index).collect();
            result.best_state = state;
        }
        let Some((undone, before)) = stack.pop() else {
            result.verdict = SearchVerdict::NotLinearizable;
            return result;
        };
        state = before;
        if ops[undone].op.is_determinate() {
            events.relink(return_node[undone]);
            mandatory_done.remove(position[undone]);
            placed -= 1;
        } else {
            optional_done.remove(position[undone]);
        }
        events.relink(call_node[undone]);
        node = events.next[call_node[undone]];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PutResult;

    fn put(version: u64, invoke: u64, complete: u64) -> SearchOp {
        SearchOp {
            op: ModelOp::Put {
                value: version as u32,
                expires: false,
                if_version: None,
                result: Some(PutResult::Written(version)),
            },
            invoke,
            complete,
        }
    }

    fn get(version: u64, invoke: u64, complete: u64) -> SearchOp {
        SearchOp {
            op: ModelOp::Get {
                found: Some((version as u32, version)),
            },
            invoke,
            complete,
        }
    }

    #[test]
    fn the_linearized_set_keeps_a_dense_prefix() {
        let mut set = LinearizedSet::new(130);
        for bit in 0..70 {
            set.insert(bit);
        }
        set.insert(72);
        assert_eq!(set.prefix, 70);
        assert_eq!(&*set.visited(KeyState::NEVER_WRITTEN).extras, &[72]);
        assert_eq!(set.members_from(0).len(), 71);
        set.insert(71);
        set.insert(70);
        assert_eq!(set.prefix, 73);
        set.remove(70);
        assert_eq!(set.prefix, 70);
        assert_eq!(&*set.visited(KeyState::NEVER_WRITTEN).extras, &[71, 72]);
        set.remove(71);
        set.remove(72);
        assert_eq!(set.end, 70);
        assert_eq!(set.members_from(60).len(), 10);
    }

    #[test]
    fn concurrent_writes_may_take_either_order_but_reads_pin_it() {
        let ops = [put(1, 0, 10), put(2, 0, 10), get(1, 20, 30)];
        let result = search(&ops, KeyState::NEVER_WRITTEN, 1000);
        // Version 2 then 1 is impossible (versions grow), so reading 1 after both is stale.
        assert_eq!(result.verdict, SearchVerdict::NotLinearizable);
        let ops = [put(1, 0, 10), put(2, 0, 10), get(2, 20, 30), get(1, 5, 6)];
        let result = search(&ops, KeyState::NEVER_WRITTEN, 1000);
        assert_eq!(result.verdict, SearchVerdict::Linearizable);
        assert_eq!(result.best_order.len(), 4);
    }

    #[test]
    fn gives_up_after_the_step_budget() {
        let ops: Vec<SearchOp> = (1..=50).map(|v| put(v, 0, 100)).collect();
        let result = search(&ops, KeyState::NEVER_WRITTEN, 10);
        assert_eq!(result.verdict, SearchVerdict::Inconclusive);
    }
}
