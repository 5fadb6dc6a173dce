//! History checker for shoal: records what clients did and checks that the history is
//! linearizable per key, plus a few real-time invariants that linearizability alone misses.
//!
//! Pure: no shoal crate, no async runtime, no I/O. A test or chaos run shares a [`Recorder`]
//! among its client tasks (`invoke` before sending, then `complete` / `fail` /
//! `indeterminate` on the returned [`Pending`]), takes the [`History`] at the end (it can be
//! dumped as JSON), and calls [`check`]. The [`Report`] prints for people.
//!
//! # The sequential model of a key
//!
//! A key is absent, or present with a value, a version and maybe an expiry. Versions are
//! Raft log indices: a successful Put returns the key's new version, which is *any* number
//! above every version the key had before (not +1), so the model tracks the highest version
//! seen and accepts whatever a Put returns above it. Touch changes the expiry only.
//! Compare-and-set is a Put or Delete with `if_version` (`Some(0)`: the key must not exist);
//! a `VersionMismatch` reports the current live version (0 when absent).
//!
//! Expiry is non-deterministic in the model: a value written or touched with a TTL may vanish
//! at any instant after it was written. (The model applies an expiry only when an operation
//! needs the key absent, which loses no behaviour.) The timing is checked separately, below.
//!
//! Outcomes: `Ok` is checked against the model; `Fail` certainly did not take effect and is
//! ignored; `Indeterminate` (timeout, lost connection) may take effect at any instant after
//! its invocation or never. A read with an unknown outcome is dropped; a Put with an unknown
//! outcome has an unknown version, pinned by the first operation that observes it.
//!
//! # What is checked
//!
//! Per key:
//! - **Linearizability**: some total order of the operations respects real time (an
//!   operation that completed before another was invoked comes first) and the model. Failure
//!   is reported as `NotLinearizable`, as `CompareAndSetViolation` when the operation that
//!   cannot be placed is a successful compare-and-set, or as `LostWrite` when it is a final
//!   read (`Op::final_read`, see [`Recorder::invoke_final_read`]) that misses an
//!   acknowledged write. The explanation gives the longest consistent order found, the state
//!   it leaves, and why each operation that must come next cannot.
//! - **Reads return written values** (`UnwrittenValue`): a found read's (value, version) was
//!   acknowledged to a Put, or comes from a Put with an unknown outcome.
//! - **No stale reads** (`StaleRead`, or `LostWrite` for a final read): a found read never
//!   returns a version below one acknowledged to a Put before the read began.
//! - **Versions never go backwards** (`VersionWentBackwards`): a read that begins after
//!   another completed never returns an older version.
//! - **No read after expiry** (`ReadAfterExpiry`): a read never returns a version once the
//!   read begins after that version's expiry deadline plus [`CheckOptions::expiry_bound`]
//!   (default 1 s: clock skew between leader and recorder, and the expiry sweep's delay).
//!   The deadline is the latest any write or touch that may have set the expiry last allows
//!   (its completion plus its TTL); a touch with an unknown outcome or a zero TTL lifts it.
//!   Only this direction is checked: a value that vanishes *too early* (before its TTL) is
//!   not reported.
//!
//! Stale reads must not be recorded as `Get`s: they are allowed to be stale.
//!
//! # The algorithm
//!
//! Linearizability is P-compositional: a history is linearizable iff each key's sub-history
//! is, so keys are checked independently (and in parallel). For one key, the search is
//! Wing & Gong's backtracking search with Lowe's memoization, as in Porcupine: walk the
//! invocation/completion events in time order, try to linearize each pending operation, and
//! remember every visited (set of linearized operations, model state) pair so no
//! configuration is explored twice. The set is stored sparsely (a dense prefix plus the few
//! operations linearized out of order), so memory stays small on long histories.
//! Operations with unknown outcomes are optional: nothing forces them in, and a
//! configuration that only adds optional operations to a visited one is skipped as
//! dominated.
//!
//! Cost: tens of search steps per operation for a handful of concurrent clients (5,000
//! operations from 8 clients on one key: about 0.5 M steps, a fraction of a second in a
//! debug build). Each operation with an unknown outcome that never took effect stays a
//! candidate for the rest of the key's history, so many of them on one key add steps in
//! proportion. The search is exponential in the worst case, so it stops after
//! [`CheckOptions::max_search_steps_per_key`] steps and reports the key as
//! [`KeyVerdict::Inconclusive`] instead of hanging.

mod check;
mod history;
mod model;
mod recorder;
mod search;

pub use check::{Anomaly, AnomalyKind, CheckOptions, KeyReport, KeyVerdict, Report, check};
pub use history::{ByteString, History, HistoryError, Op, OpKind, OpResult, Outcome};
pub use recorder::{Pending, Recorder};

#[cfg(test)]
mod tests;
