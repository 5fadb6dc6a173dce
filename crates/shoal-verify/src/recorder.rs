//! A thread-safe recorder that many client tasks share to build one `History`.
//!
//! Each operation costs two short critical sections (one at invocation, one at completion)
//! on a `std::sync::Mutex` that is never held across an await, so it is fine to use from
//! async tasks. Instants come from one monotonic clock (`std::time::Instant`) started with
//! the recorder, and are taken *outside* the lock: an invocation is stamped before the
//! request can be sent and a completion after the answer arrived, so every recorded interval
//! contains the real one — the safe direction for the checker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::history::{ByteString, History, Op, OpKind, OpResult, Outcome};

struct Shared {
    start: Instant,
    next_id: AtomicU64,
    ops: Mutex<Ops>,
}

#[derive(Default)]
struct Ops {
    finished: Vec<Op>,
    /// Invoked and not yet finished, by id: they appear as indeterminate in a snapshot.
    in_flight: HashMap<u64, Op>,
}

/// Records operations from any number of tasks; clone it freely (it is an `Arc`).
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// Starts the run's clock.
    pub fn new() -> Recorder {
        Recorder {
            shared: Arc::new(Shared {
                start: Instant::now(),
                next_id: AtomicU64::new(0),
                ops: Mutex::new(Ops::default()),
            }),
        }
    }

    /// Nanoseconds since the recorder was created.
    pub fn elapsed_ns(&self) -> u64 {
        u64::try_from(self.shared.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Call right before sending the request; finish the returned `Pending` with its answer.
    pub fn invoke(&self, client: u64, key: impl Into<ByteString>, kind: OpKind) -> Pending {
        self.invoke_op(client, key.into(), kind, false)
    }

    /// Like `invoke` for a `Get` issued after the workload stopped, to detect lost writes.
    pub fn invoke_final_read(&self, client: u64, key: impl Into<ByteString>) -> Pending {
        self.invoke_op(client, key.into(), OpKind::Get, true)
    }

    fn invoke_op(&self, client: u64, key: ByteString, kind: OpKind, final_read: bool) -> Pending {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let op = Op {
            id,
            client,
            key,
            kind,
            invoke_ns: self.elapsed_ns(),
            complete_ns: None,
            outcome: Outcome::Indeterminate,
            final_read,
        };
        self.lock().in_flight.insert(id, op);
        Pending {
            recorder: self.clone(),
            id: Some(id),
        }
    }

    /// Every operation so far, ordered by id; operations still in flight are included as
    /// indeterminate (they may or may not take effect).
    pub fn history(&self) -> History {
        let ops = self.lock();
        let mut all: Vec<Op> = ops
            .finished
            .iter()
            .chain(ops.in_flight.values())
            .cloned()
            .collect();
        all.sort_by_key(|op| op.id);
        History { ops: all }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ops> {
        // A panicking client task cannot leave `Ops` half-updated: every change is one
        // insert or one move, so a poisoned lock is still consistent.
        self.shared
            .ops
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn finish(&self, id: u64, outcome: Outcome) {
        let complete_ns = match outcome {
            Outcome::Indeterminate => None,
            _ => Some(self.elapsed_ns()),
        };
        let mut ops = self.lock();
        if let Some(mut op) = ops.in_flight.remove(&id) {
            op.complete_ns = complete_ns;
            op.outcome = outcome;
            ops.finished.push(op);
        }
    }
}

/// An invoked operation waiting for its outcome. Dropping it unfinished records it as
/// indeterminate (e.g. the client task was cancelled mid-request).
#[must_use = "finish the operation with complete, fail or indeterminate"]
pub struct Pending {
    recorder: Recorder,
    id: Option<u64>,
}

impl Pending {
    /// The id the operation has in the history.
    pub fn id(&self) -> u64 {
        self.id.expect("set until finished")
    }

    /// The server answered.
    pub fn complete(self, result: OpResult) {
        self.finish(Outcome::Ok(result));
    }

    /// The operation certainly did not take effect.
    pub fn fail(self, reason: impl Into<String>) {
        self.finish(Outcome::Fail {
            reason: reason.into(),
        });
    }

    /// Timeout or lost connection: the operation may or may not have taken effect.
    pub fn indeterminate(self) {
        self.finish(Outcome::Indeterminate);
    }

    pub fn finish(mut self, outcome: Outcome) {
        if let Some(id) = self.id.take() {
            self.recorder.finish(id, outcome);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.recorder.finish(id, Outcome::Indeterminate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_outcomes_and_in_flight_operations_from_many_threads() {
        let recorder = Recorder::new();
        std::thread::scope(|scope| {
            for client in 0..4 {
                let recorder = recorder.clone();
                scope.spawn(move || {
                    for _ in 0..100 {
                        let pending = recorder.invoke(client, "k", OpKind::Get);
                        pending.complete(OpResult::not_found());
                    }
                });
            }
        });
        let left_open = recorder.invoke(9, "k", OpKind::Delete { if_version: None });
        let dropped = recorder.invoke(9, "k", OpKind::Touch { ttl_ms: 5 });
        drop(dropped);

        let history = recorder.history();
        assert_eq!(history.len(), 402);
        let ids: Vec<u64> = history.ops.iter().map(|op| op.id).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        for op in &history.ops[..400] {
            assert!(op.complete_ns.unwrap() >= op.invoke_ns);
        }
        let open = history
            .ops
            .iter()
            .find(|op| op.id == left_open.id())
            .unwrap();
        assert!(open.is_indeterminate());
        assert!(history.ops.last().unwrap().is_indeterminate());
        left_open.fail("refused");
        assert!(matches!(
            recorder.history().ops[400].outcome,
            Outcome::Fail { .. }
        ));
    }
}
