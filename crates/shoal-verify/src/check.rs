//! `check`: splits a history by key, runs the real-time invariants and the linearizability
//! search on each key, and explains every anomaly for people.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::history::{ByteString, History, Op, OpKind, OpResult, Outcome, format_instant};
use crate::model::{DeleteResult, KeyState, ModelOp, PutResult};
use crate::search::{SearchOp, SearchVerdict, search};

/// How `check` works and how much it may spend.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Slack added to a value's expiry deadline before a read that still returns it counts
    /// as a `ReadAfterExpiry`: it covers the skew between the leader's clock and the
    /// recorder's, and reads served between the deadline and the expiry sweep's entry.
    /// Default: 1 s.
    pub expiry_bound: Duration,
    /// Search steps allowed per key before its verdict is `Inconclusive` rather than a hang.
    /// A typical history takes tens of steps per operation (more with many operations of
    /// unknown outcome on the key: each is retried along the way). Memory grows with the
    /// steps taken, at most about 100 bytes each. Default: 5,000,000 (a few seconds in a
    /// debug build, well under one in release).
    pub max_search_steps_per_key: u64,
    /// Anomalies kept in the report; the rest are only counted. Default: 20.
    pub max_anomalies: usize,
    /// Threads checking keys in parallel; 0 uses the available parallelism. Default: 0.
    pub parallelism: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            expiry_bound: Duration::from_secs(1),
            max_search_steps_per_key: 5_000_000,
            max_anomalies: 20,
            parallelism: 0,
        }
    }
}

/// What kind of consistency violation an anomaly is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AnomalyKind {
    /// No order of the key's operations fits both real time and the results.
    NotLinearizable,
    /// A read returned a version older than one already acknowledged to a writer before the
    /// read began.
    StaleRead,
    /// A final read (`Op::final_read`) misses a write that was acknowledged.
    LostWrite,
    /// A read returned a value/version pair that no write produced.
    UnwrittenValue,
    /// A compare-and-set (Put or Delete with `if_version`) succeeded although no order of
    /// the operations before it leaves the version it required.
    CompareAndSetViolation,
    /// A read returned an older version than a read that completed before it began.
    VersionWentBackwards,
    /// A read returned a value whose TTL had run out (plus `CheckOptions::expiry_bound`)
    /// before the read began.
    ReadAfterExpiry,
    /// The operation's record is inconsistent (e.g. a Get answered with a Put result); the
    /// key is not checked further.
    MalformedOperation,
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AnomalyKind::NotLinearizable => "not linearizable",
            AnomalyKind::StaleRead => "stale read",
            AnomalyKind::LostWrite => "lost write",
            AnomalyKind::UnwrittenValue => "read of a value never written",
            AnomalyKind::CompareAndSetViolation => "compare-and-set against the wrong version",
            AnomalyKind::VersionWentBackwards => "version went backwards",
            AnomalyKind::ReadAfterExpiry => "read after expiry",
            AnomalyKind::MalformedOperation => "malformed operation",
        })
    }
}

/// One violation, with the operations that show it and why.
#[derive(Debug, Clone, Serialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub key: ByteString,
    /// The operations involved, the offending one first.
    pub operations: Vec<Op>,
    /// Why no valid order exists, in sentences.
    pub explanation: String,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} on key {}: {}", self.kind, self.key, self.explanation)?;
        for op in &self.operations {
            writeln!(f, "    {op}")?;
        }
        Ok(())
    }
}

/// The verdict on one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyVerdict {
    /// A valid order exists and every real-time invariant holds.
    Linearizable,
    /// At least one anomaly was found.
    Violated,
    /// No anomaly found, but the search ran out of steps before deciding.
    Inconclusive,
    /// Some operation's record is inconsistent; the key was not checked.
    Malformed,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyReport {
    pub key: ByteString,
    pub operations: usize,
    pub verdict: KeyVerdict,
    pub search_steps: u64,
}

/// The result of `check`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub operations: usize,
    pub keys: usize,
    /// One entry per key, ordered by key.
    pub per_key: Vec<KeyReport>,
    /// The first `CheckOptions::max_anomalies` anomalies, ordered by key.
    pub anomalies: Vec<Anomaly>,
    /// Anomalies found beyond `max_anomalies`.
    pub anomalies_left_off: usize,
}

impl Report {
    /// True when every key is linearizable and no invariant is broken.
    pub fn is_valid(&self) -> bool {
        self.per_key
            .iter()
            .all(|key| key.verdict == KeyVerdict::Linearizable)
    }

    pub fn has_anomaly(&self, kind: AnomalyKind) -> bool {
        self.anomalies.iter().any(|anomaly| anomaly.kind == kind)
    }

    pub fn keys_with(&self, verdict: KeyVerdict) -> impl Iterator<Item = &KeyReport> {
        self.per_key
            .iter()
            .filter(move |key| key.verdict == verdict)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |verdict| self.keys_with(verdict).count();
        let plural = |count: usize, noun: &str| {
            format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
        };
        writeln!(
            f,
            "checked {} on {}: {} linearizable, {} violated, {} inconclusive, {} malformed",
            plural(self.operations, "operation"),
            plural(self.keys, "key"),
            count(KeyVerdict::Linearizable),
            count(KeyVerdict::Violated),
            count(KeyVerdict::Inconclusive),
            count(KeyVerdict::Malformed),
        )?;
        for (number, anomaly) in self.anomalies.iter().enumerate() {
            write!(f, "{}. {anomaly}", number + 1)?;
        }
        if self.anomalies_left_off > 0 {
            writeln!(f, "… and {} more anomalies", self.anomalies_left_off)?;
        }
        for key in self.keys_with(KeyVerdict::Inconclusive) {
            writeln!(
                f,
                "key {} is inconclusive: {} operations, search stopped after {} steps",
                key.key, key.operations, key.search_steps
            )?;
        }
        Ok(())
    }
}

/// Checks `history`: per key, linearizability against shoal's sequential model, plus
/// versions never going backwards between reads and no read after expiry.
pub fn check(history: &History, options: &CheckOptions) -> Report {
    let mut by_key: BTreeMap<&ByteString, Vec<&Op>> = BTreeMap::new();
    for op in &history.ops {
        by_key.entry(&op.key).or_default().push(op);
    }
    let groups: Vec<(&ByteString, Vec<&Op>)> = by_key.into_iter().collect();
    let checked = map_in_parallel(&groups, options.parallelism, |(key, ops)| {
        check_key(key, ops, options)
    });

    let mut report = Report {
        operations: history.len(),
        keys: groups.len(),
        per_key: Vec::with_capacity(groups.len()),
        anomalies: Vec::new(),
        anomalies_left_off: 0,
    };
    for (key_report, anomalies) in checked {
        report.per_key.push(key_report);
        for anomaly in anomalies {
            if report.anomalies.len() < options.max_anomalies {
                report.anomalies.push(anomaly);
            } else {
                report.anomalies_left_off += 1;
            }
        }
    }
    report
}

fn map_in_parallel<T: Sync, R: Send>(
    items: &[T],
    parallelism: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = match parallelism {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
    .min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            return done;
                        };
                        done.push((index, work(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a key check panicked"))
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// "op 12 (client 3, get)": how sentences name an operation.
fn name(op: &Op) -> String {
    format!(
        "op {} (client {}, {}{})",
        op.id,
        op.client,
        if op.final_read { "final " } else { "" },
        op.kind
    )
}

/// Values of one key, interned so model states compare small integers.
#[derive(Default)]
struct Values {
    index: HashMap<Vec<u8>, u32>,
    list: Vec<ByteString>,
}

impl Values {
    fn intern(&mut self, value: &ByteString) -> u32 {
        if let Some(&index) = self.index.get(&value.0) {
            return index;
        }
        let index = self.list.len() as u32;
        self.index.insert(value.0.clone(), index);
        self.list.push(value.clone());
        index
    }
}

/// The operation as the model sees it: `Err` when the record is inconsistent, `Ok(None)`
/// when it cannot matter (it failed, or it is a read with an unknown outcome).
fn to_model(op: &Op, values: &mut Values) -> Result<Option<ModelOp>, String> {
    if !op.is_indeterminate() {
        match op.complete_ns {
            None => return Err("it has an outcome but no completion instant".to_owned()),
            Some(complete) if complete < op.invoke_ns => {
                return Err("it completed before it was invoked".to_owned());
            }
            Some(_) => {}
        }
    }
    let result = match &op.outcome {
        Outcome::Fail { .. } => return Ok(None),
        Outcome::Indeterminate => None,
        Outcome::Ok(result) => Some(result),
    };
    let mismatch_allowed = |if_version: Option<u64>, current: u64| match if_version {
        None => Err(format!(
            "a version mismatch answers a {} without if_version",
            op.kind
        )),
        Some(expected) if expected == current => Err(format!(
            "a version mismatch names the expected version {current} as current"
        )),
        Some(_) => Ok(()),
    };
    let wrong_answer = || {
        Err(format!(
            "result \"{}\" does not answer a {}",
            op.outcome, op.kind
        ))
    };
    let model = match (&op.kind, result) {
        (
            OpKind::Put {
                value,
                ttl_ms,
                if_version,
            },
            result,
        ) => {
            let result = match result {
                None => None,
                Some(OpResult::Put { version: 0 }) => {
                    return Err("a put cannot be given version 0".to_owned());
                }
                Some(OpResult::Put { version }) => Some(PutResult::Written(*version)),
                Some(OpResult::VersionMismatch { current }) => {
                    mismatch_allowed(*if_version, *current)?;
                    Some(PutResult::Mismatch(*current))
                }
                Some(_) => return wrong_answer(),
            };
            ModelOp::Put {
                value: values.intern(value),
                expires: *ttl_ms > 0,
                if_version: *if_version,
                result,
            }
        }
        (OpKind::Get, None) => return Ok(None),
        (
            OpKind::Get,
            Some(OpResult::Get {
                found: true,
                version: 0,
                ..
            }),
        ) => return Err("a found key cannot have version 0".to_owned()),
        (
            OpKind::Get,
            Some(OpResult::Get {
                found,
                value,
                version,
                ..
            }),
        ) => ModelOp::Get {
            found: found.then(|| (values.intern(value), *version)),
        },
        (OpKind::Delete { if_version }, result) => {
            let result = match (result, if_version) {
                (None, Some(0)) => return Ok(None),
                (None, _) => None,
                (Some(OpResult::Delete { deleted: true }), Some(0)) => {
                    return Err("a delete with if_version=0 cannot delete a key".to_owned());
                }
                (Some(OpResult::Delete { deleted: false }), Some(expected)) if *expected != 0 => {
                    return Err(format!(
                        "a delete whose condition if_version={expected} held must delete the key"
                    ));
                }
                (Some(OpResult::Delete { deleted }), _) => Some(DeleteResult::Deleted(*deleted)),
                (Some(OpResult::VersionMismatch { current }), _) => {
                    mismatch_allowed(*if_version, *current)?;
                    Some(DeleteResult::Mismatch(*current))
                }
                (Some(_), _) => return wrong_answer(),
            };
            ModelOp::Delete {
                if_version: *if_version,
                result,
            }
        }
        (OpKind::Touch { ttl_ms }, None) => ModelOp::Touch {
            expires: *ttl_ms > 0,
            found: None,
        },
        (OpKind::Touch { ttl_ms }, Some(OpResult::Touch { found })) => ModelOp::Touch {
            expires: *ttl_ms > 0,
            found: Some(*found),
        },
        _ => return wrong_answer(),
    };
    Ok(Some(model))
}

fn found_read(op: &Op) -> Option<(&ByteString, u64)> {
    match &op.outcome {
        Outcome::Ok(OpResult::Get {
            found: true,
            value,
            version,
            ..
        }) => Some((value, *version)),
        _ => None,
    }
}

fn acknowledged_put(op: &Op) -> Option<(&ByteString, u64)> {
    match (&op.kind, &op.outcome) {
        (OpKind::Put { value, .. }, Outcome::Ok(OpResult::Put { version })) => {
            Some((value, *version))
        }
        _ => None,
    }
}

fn put_value(op: &Op) -> Option<&ByteString> {
    match &op.kind {
        OpKind::Put { value, .. } => Some(value),
        _ => None,
    }
}

fn completion(op: &Op) -> u64 {
    if op.is_indeterminate() {
        u64::MAX
    } else {
        op.complete_ns.unwrap_or(u64::MAX)
    }
}

/// Collects one key's anomalies and which operations they are about.
struct Findings<'a> {
    key: &'a ByteString,
    ops: &'a [&'a Op],
    anomalies: Vec<Anomaly>,
    /// Indices (into `ops`) of operations that already have an anomaly.
    flagged: HashSet<usize>,
}

impl Findings<'_> {
    fn add(&mut self, kind: AnomalyKind, involved: &[usize], explanation: String) {
        let mut seen = HashSet::new();
        let operations = involved
            .iter()
            .filter(|&&index| seen.insert(index))
            .map(|&index| self.ops[index].clone())
            .collect();
        if let Some(&first) = involved.first() {
            self.flagged.insert(first);
        }
        self.anomalies.push(Anomaly {
            kind,
            key: self.key.clone(),
            operations,
            explanation,
        });
    }
}

/// For reads sorted by `end`, a prefix maximum of `(value, index)` so "the largest value
/// among items that ended before t" is one binary search.
struct PrefixMax {
    ends: Vec<u64>,
    best: Vec<(u64, usize)>,
}

impl PrefixMax {
    fn new(mut items: Vec<(u64, u64, usize)>) -> PrefixMax {
        items.sort_unstable();
        let mut best = Vec::with_capacity(items.len());
        let mut current = (0u64, usize::MAX);
        for &(_, value, index) in &items {
            if value > current.0 {
                current = (value, index);
            }
            best.push(current);
        }
        PrefixMax {
            ends: items.iter().map(|&(end, _, _)| end).collect(),
            best,
        }
    }

    /// The largest value among items that ended strictly before `instant`.
    fn before(&self, instant: u64) -> Option<(u64, usize)> {
        let count = self.ends.partition_point(|&end| end < instant);
        count.checked_sub(1).map(|last| self.best[last])
    }
}

fn check_key(key: &ByteString, ops: &[&Op], options: &CheckOptions) -> (KeyReport, Vec<Anomaly>) {
    let mut findings = Findings {
        key,
        ops,
        anomalies: Vec::new(),
        flagged: HashSet::new(),
    };
    let mut report = KeyReport {
        key: key.clone(),
        operations: ops.len(),
        verdict: KeyVerdict::Linearizable,
        search_steps: 0,
    };

    let mut values = Values::default();
    let mut searched: Vec<SearchOp> = Vec::new();
    let mut origin: Vec<usize> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        match to_model(op, &mut values) {
            Err(reason) => findings.add(
                AnomalyKind::MalformedOperation,
                &[index],
                format!("{} cannot be checked: {reason}", name(op)),
            ),
            Ok(None) => {}
            Ok(Some(model)) => {
                searched.push(SearchOp {
                    op: model,
                    invoke: op.invoke_ns,
                    complete: completion(op),
                });
                origin.push(index);
            }
        }
    }
    if !findings.anomalies.is_empty() {
        report.verdict = KeyVerdict::Malformed;
        return (report, findings.anomalies);
    }

    check_reads_of_unwritten_values(&mut findings);
    check_stale_reads(&mut findings);
    check_versions_never_go_backwards(&mut findings);
    check_reads_after_expiry(&mut findings, options.expiry_bound);

    let result = search(
        &searched,
        KeyState::NEVER_WRITTEN,
        options.max_search_steps_per_key,
    );
    report.search_steps = result.steps;
    match result.verdict {
        SearchVerdict::Linearizable => {}
        SearchVerdict::Inconclusive => report.verdict = KeyVerdict::Inconclusive,
        SearchVerdict::NotLinearizable => {
            explain_dead_end(&mut findings, &searched, &origin, &values.list, &result);
            // A key with an anomaly is violated even if the explanation was left out as a
            // repeat of an earlier, more specific one.
            report.verdict = KeyVerdict::Violated;
        }
    }
    if !findings.anomalies.is_empty() {
        report.verdict = KeyVerdict::Violated;
    }
    (report, findings.anomalies)
}

/// A found read must return a (value, version) some put wrote: an acknowledged put with that
/// version and value, or a put with an unknown outcome and that value invoked before the
/// read completed.
fn check_reads_of_unwritten_values(findings: &mut Findings<'_>) {
    let ops = findings.ops;
    let mut writer_of: HashMap<u64, usize> = HashMap::new();
    for (index, op) in ops.iter().enumerate() {
        if let Some((_, version)) = acknowledged_put(op) {
            writer_of.entry(version).or_insert(index);
        }
    }
    for (index, op) in ops.iter().enumerate() {
        let Some((value, version)) = found_read(op) else {
            continue;
        };
        if let Some(&writer) = writer_of.get(&version) {
            let (written, _) = acknowledged_put(ops[writer]).expect("a writer");
            if written != value {
                findings.add(
                    AnomalyKind::UnwrittenValue,
                    &[index, writer],
                    format!(
                        "{} returned value {value} at version {version}, but version {version} \
                         was written by {} with value {written}",
                        name(op),
                        name(ops[writer])
                    ),
                );
            }
            continue;
        }
        let read_complete = completion(op);
        let possible_writer = ops.iter().any(|other| {
            other.is_indeterminate()
                && other.invoke_ns <= read_complete
                && put_value(other) == Some(value)
        });
        if possible_writer {
            continue;
        }
        let failed: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(_, other)| {
                matches!(other.outcome, Outcome::Fail { .. }) && put_value(other) == Some(value)
            })
            .map(|(other, _)| other)
            .collect();
        let mut explanation = format!(
            "{} returned value {value} at version {version}, but no put was acknowledged with \
             version {version} and no put with an unknown outcome wrote {value} before the \
             read completed",
            name(op)
        );
        if !failed.is_empty() {
            explanation.push_str(&format!(
                "; {} put(s) of this value failed definitely, so they must not have taken effect",
                failed.len()
            ));
        }
        let mut involved = vec![index];
        involved.extend(failed.into_iter().take(3));
        findings.add(AnomalyKind::UnwrittenValue, &involved, explanation);
    }
}

/// Versions only grow, so a found read cannot return a version below one already
/// acknowledged to a put before the read began (the key may be absent, but not older).
fn check_stale_reads(findings: &mut Findings<'_>) {
    let ops = findings.ops;
    let puts = PrefixMax::new(
        ops.iter()
            .enumerate()
            .filter_map(|(index, op)| {
                acknowledged_put(op).map(|(_, version)| (completion(op), version, index))
            })
            .collect(),
    );
    for (index, op) in ops.iter().enumerate() {
        let Some((_, version)) = found_read(op) else {
            continue;
        };
        if findings.flagged.contains(&index) {
            continue;
        }
        let Some((newer, writer)) = puts.before(op.invoke_ns) else {
            continue;
        };
        if newer <= version {
            continue;
        }
        let writer_op = ops[writer];
        let complete = format_instant(completion(writer_op));
        let (kind, explanation) = if op.final_read {
            (
                AnomalyKind::LostWrite,
                format!(
                    "the final read {} returned version {version}, but {} was acknowledged \
                     with version {newer} at {complete}, before the read began at {}: that \
                     write is lost",
                    name(op),
                    name(writer_op),
                    format_instant(op.invoke_ns)
                ),
            )
        } else {
            (
                AnomalyKind::StaleRead,
                format!(
                    "{} returned version {version}, but {} had already been acknowledged with \
                     version {newer} at {complete}, before the read began at {}; versions only \
                     grow, so the read missed that write",
                    name(op),
                    name(writer_op),
                    format_instant(op.invoke_ns)
                ),
            )
        };
        findings.add(kind, &[index, writer], explanation);
    }
}

/// A read that begins after another read completed must not return an older version.
fn check_versions_never_go_backwards(findings: &mut Findings<'_>) {
    let ops = findings.ops;
    let reads = PrefixMax::new(
        ops.iter()
            .enumerate()
            .filter(|(index, _)| !findings.flagged.contains(index))
            .filter_map(|(index, op)| {
                found_read(op).map(|(_, version)| (completion(op), version, index))
            })
            .collect(),
    );
    for (index, op) in ops.iter().enumerate() {
        let Some((_, version)) = found_read(op) else {
            continue;
        };
        if findings.flagged.contains(&index) {
            continue;
        }
        let Some((newer, earlier)) = reads.before(op.invoke_ns) else {
            continue;
        };
        if newer <= version {
            continue;
        }
        findings.add(
            AnomalyKind::VersionWentBackwards,
            &[index, earlier],
            format!(
                "{} began at {} and returned version {version}, but {} had already returned \
                 the newer version {newer}, completing at {}",
                name(op),
                format_instant(op.invoke_ns),
                name(ops[earlier]),
                format_instant(completion(ops[earlier])),
            ),
        );
    }
}

/// A found read must not begin after the value's expiry plus the bound. The deadline is the
/// latest one any write or touch that may have set the expiry last allows: the put that
/// wrote the version (completion + its TTL) and every touch that may fall between that put
/// and the read (a touch with an unknown outcome or a TTL of 0 allows any time).
fn check_reads_after_expiry(findings: &mut Findings<'_>, bound: Duration) {
    let ops = findings.ops;
    let bound_ns = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
    let mut writer_of: HashMap<u64, usize> = HashMap::new();
    for (index, op) in ops.iter().enumerate() {
        if let Some((_, version)) = acknowledged_put(op) {
            writer_of.entry(version).or_insert(index);
        }
    }
    let touches: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| {
            matches!(op.kind, OpKind::Touch { .. })
                && matches!(
                    op.outcome,
                    Outcome::Indeterminate | Outcome::Ok(OpResult::Touch { found: true })
                )
        })
        .map(|(index, _)| index)
        .collect();
    let deadline_of = |setter: &Op| -> Option<u64> {
        let ttl_ms = match setter.kind {
            OpKind::Put { ttl_ms, .. } | OpKind::Touch { ttl_ms } => ttl_ms,
            _ => 0,
        };
        if ttl_ms == 0 || setter.is_indeterminate() {
            return None;
        }
        Some(completion(setter).saturating_add(ttl_ms.saturating_mul(1_000_000)))
    };
    for (index, op) in ops.iter().enumerate() {
        let Some((_, version)) = found_read(op) else {
            continue;
        };
        if findings.flagged.contains(&index) {
            continue;
        }
        let Some(&writer) = writer_of.get(&version) else {
            continue;
        };
        let writer_op = ops[writer];
        let read_complete = completion(op);
        let setters: Vec<usize> = std::iter::once(writer)
            .chain(touches.iter().copied().filter(|&touch| {
                ops[touch].invoke_ns < read_complete && completion(ops[touch]) > writer_op.invoke_ns
            }))
            .collect();
        let mut deadline = 0u64;
        let mut latest = writer;
        for &setter in &setters {
            match deadline_of(ops[setter]) {
                None => {
                    deadline = u64::MAX;
                    break;
                }
                Some(candidate) if candidate > deadline => {
                    deadline = candidate;
                    latest = setter;
                }
                Some(_) => {}
            }
        }
        if deadline == u64::MAX || op.invoke_ns <= deadline.saturating_add(bound_ns) {
            continue;
        }
        let late = Duration::from_nanos(op.invoke_ns - deadline);
        let mut explanation = format!(
            "{} began at {} and returned version {version}, but {} expired it at {} at the \
             latest (its completion plus its TTL)",
            name(op),
            format_instant(op.invoke_ns),
            if latest == writer {
                format!("the put that wrote it, {},", name(writer_op))
            } else {
                format!(
                    "the latest touch that could have extended it, {},",
                    name(ops[latest])
                )
            },
            format_instant(deadline),
        );
        explanation.push_str(&format!(
            "; the read began {late:?} after that, beyond the expiry bound of {bound:?}"
        ));
        let mut involved = vec![index, writer];
        if latest != writer {
            involved.push(latest);
        }
        findings.add(AnomalyKind::ReadAfterExpiry, &involved, explanation);
    }
}

/// Turns a failed search into an anomaly: the longest consistent order found, the state it
/// leaves, and why each operation that must come next cannot.
fn explain_dead_end(
    findings: &mut Findings<'_>,
    searched: &[SearchOp],
    origin: &[usize],
    values: &[ByteString],
    result: &crate::search::SearchResult,
) {
    let ops = findings.ops;
    let state = result.best_state;
    let placed: HashSet<usize> = result.best_order.iter().copied().collect();
    let unplaced: Vec<usize> = (0..searched.len())
        .filter(|index| !placed.contains(index) && searched[*index].op.is_determinate())
        .collect();
    let Some(&blamed) = unplaced
        .iter()
        .min_by_key(|&&index| (searched[index].complete, searched[index].invoke))
    else {
        return;
    };
    let deadline = searched[blamed].complete;
    let mut candidates: Vec<usize> = unplaced
        .iter()
        .copied()
        .filter(|&index| searched[index].invoke <= deadline)
        .collect();
    candidates.sort_by_key(|&index| (index != blamed, searched[index].complete));
    let (failing, fitting): (Vec<usize>, Vec<usize>) = candidates
        .into_iter()
        .partition(|&index| searched[index].op.step(state).is_none());

    let determinate_total = searched.iter().filter(|op| op.op.is_determinate()).count();
    let determinate_placed = result
        .best_order
        .iter()
        .filter(|&&index| searched[index].op.is_determinate())
        .count();
    let last_write = result
        .best_order
        .iter()
        .rev()
        .copied()
        .find(|&index| !matches!(searched[index].op, ModelOp::Get { .. }));

    let mut explanation = format!(
        "no order of the key's operations fits both their real-time order and their results. \
         The longest consistent order found places {determinate_placed} of the \
         {determinate_total} operations with a known outcome"
    );
    if let Some(write) = last_write {
        explanation.push_str(&format!(
            " (its last write is {})",
            name(ops[origin[write]])
        ));
    }
    explanation.push_str(&format!("; after it the key {}.", state.describe(values)));
    for &index in failing.iter().take(5) {
        explanation.push_str(&format!(
            " {} {}.",
            name(ops[origin[index]]),
            searched[index].op.explain_failure(state, values)
        ));
    }
    if failing.len() > 5 {
        explanation.push_str(&format!(
            " {} more operations cannot come next either.",
            failing.len() - 5
        ));
    }
    if !fitting.is_empty() {
        explanation.push_str(&format!(
            " {} other operation(s) fit next but every order continuing from them fails \
             as well.",
            fitting.len()
        ));
    }
    if failing.is_empty() {
        explanation.push_str(&format!(
            " {} must be ordered before anything that begins after it completes, and no \
             order that does so fits.",
            name(ops[origin[blamed]])
        ));
    }

    let lost = failing.iter().copied().find(|&index| {
        let op = ops[origin[index]];
        let ModelOp::Get { found } = searched[index].op else {
            return false;
        };
        op.final_read
            && state.live.is_some_and(|live| match (found, live.version) {
                (None, _) | (Some(_), None) => true,
                (Some((_, read)), Some(current)) => read < current,
            })
    });
    let blamed_is_compare_and_set = failing.first() == Some(&blamed)
        && matches!(
            searched[blamed].op,
            ModelOp::Put {
                if_version: Some(_),
                result: Some(PutResult::Written(_)),
                ..
            } | ModelOp::Delete {
                if_version: Some(_),
                result: Some(DeleteResult::Deleted(_)),
            }
        );
    let (kind, offending) = match lost {
        Some(read) => (AnomalyKind::LostWrite, read),
        None if blamed_is_compare_and_set => (AnomalyKind::CompareAndSetViolation, blamed),
        None => (AnomalyKind::NotLinearizable, blamed),
    };
    if kind == AnomalyKind::LostWrite {
        explanation = format!(
            "the final read {} misses an acknowledged write: {explanation}",
            name(ops[origin[offending]])
        );
    }

    let mut involved: Vec<usize> = vec![origin[offending]];
    involved.extend(failing.iter().take(5).map(|&index| origin[index]));
    involved.push(origin[blamed]);
    involved.extend(last_write.map(|index| origin[index]));
    // The same failure seen from an operation a more specific check already explained.
    if involved
        .iter()
        .any(|index| findings.flagged.contains(index))
    {
        return;
    }
    findings.add(kind, &involved, explanation);
}
