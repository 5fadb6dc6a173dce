//! `shoal verify`: a bounded, concurrent workload against a running cluster whose every
//! operation is recorded and then checked for linearizability (`shoal-verify`).
//!
//! The workload only touches keys under its own random prefix (`verify/<16 hex>/`) and
//! deletes them at the end. Each client task sends Put, compare-and-set Put, Get
//! (linearizable), Delete, compare-and-delete and Touch to a small set of keys, so that
//! operations on a key overlap often — that is where consistency bugs show. A quarter of the
//! keys are written with short TTLs, so expiry is exercised and checked too. Every value is
//! unique (`c<client>-<n>`), so a read of a value that was never written is caught.
//!
//! How an error is recorded decides what the checker may assume, so it errs on the safe
//! side: only answers that prove the request changed nothing (a NotLeader refusal, a
//! connection that never opened, an invalid request; a compare-and-set mismatch is a result)
//! are
//! definite; a timeout, a lost connection, `UNAVAILABLE` without a leader hint or any other
//! error is indeterminate — the write may or may not have happened.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use backon::{BackoffBuilder, ConstantBuilder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shoal_client::Code;
use shoal_client::{Client, ClientError, PutOptions};
use shoal_verify::{
    ByteString, CheckOptions, History, OpKind, OpResult, Outcome, Recorder, Report,
};

/// What to run.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Client addresses of the nodes; clients spread over them and move on when one fails.
    pub endpoints: Vec<String>,
    pub clients: usize,
    pub keys: usize,
    /// Seeds the operation mix (the key prefix is random regardless).
    pub seed: u64,
    /// Longest wait for one answer before it is recorded as indeterminate.
    pub request_timeout: Duration,
    /// TTLs given to the TTL keys: uniformly within this range.
    pub ttl_range: (Duration, Duration),
    /// Pause between two operations of one client (0: back to back).
    pub think_time: Duration,
    /// Times an operation is sent again (to the next node) after an answer that proves it
    /// had no effect — what a well-behaved client library does. Each attempt is recorded.
    pub retries: u32,
    /// How the clients reach the nodes (TLS, API key).
    pub connect: shoal_client::ConnectOptions,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            endpoints: vec!["127.0.0.1:5344".into()],
            clients: 8,
            keys: 16,
            seed: 1,
            request_timeout: Duration::from_secs(3),
            ttl_range: (Duration::from_millis(500), Duration::from_millis(3000)),
            think_time: Duration::ZERO,
            retries: 3,
            connect: shoal_client::ConnectOptions::default(),
        }
    }
}

/// A checked workload: run it, read every key at the end, check, clean up.
pub struct VerifyWorkload {
    options: VerifyOptions,
    prefix: String,
    recorder: Recorder,
    clients: Vec<Option<Client>>,
    /// Operations sent, for progress lines.
    sent: Arc<AtomicU64>,
    /// Operations that did not succeed after their retries.
    unsuccessful: Arc<AtomicU64>,
    /// Set to end `run` early.
    stop: Arc<std::sync::atomic::AtomicBool>,
}

/// Operation counts by outcome, for the summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct OutcomeCounts {
    pub ok: usize,
    pub failed: usize,
    pub indeterminate: usize,
}

impl VerifyWorkload {
    /// Connects lazily: endpoints that are down now are tried again by each operation.
    pub fn new(options: VerifyOptions) -> Result<VerifyWorkload> {
        if options.endpoints.is_empty() {
            bail!("verify needs at least one endpoint");
        }
        if options.clients == 0 || options.keys == 0 {
            bail!("verify needs at least one client and one key");
        }
        let prefix = format!("verify/{:016x}/", rand::random::<u64>());
        let clients = vec![None; options.endpoints.len()];
        Ok(VerifyWorkload {
            options,
            prefix,
            recorder: Recorder::new(),
            clients,
            sent: Arc::new(AtomicU64::new(0)),
            unsuccessful: Arc::new(AtomicU64::new(0)),
            stop: Arc::default(),
        })
    }

    /// The key prefix this run owns.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The run's clock and history (faults can be stamped on the same clock).
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Operations sent so far.
    pub fn sent(&self) -> Arc<AtomicU64> {
        self.sent.clone()
    }

    /// A switch that ends `run` early (each client finishes its current operation).
    pub fn stopper(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.stop.clone()
    }

    /// Operations of the workload (not attempts) that did not succeed after their retries:
    /// the failures a client application would have seen.
    pub fn unsuccessful(&self) -> u64 {
        self.unsuccessful.load(Ordering::Relaxed)
    }

    fn key(&self, index: usize) -> Vec<u8> {
        format!("{}k{index:03}", self.prefix).into_bytes()
    }

    fn is_ttl_key(&self, index: usize) -> bool {
        index % 4 == 3
    }

    async fn connect_all(&mut self) {
        for (slot, endpoint) in self.clients.iter_mut().zip(&self.options.endpoints) {
            if slot.is_none() {
                *slot = Client::connect_with(endpoint, &self.options.connect)
                    .await
                    .ok();
            }
        }
    }

    /// Runs every client until `until`.
    pub async fn run(&mut self, until: Instant) -> Result<()> {
        self.connect_all().await;
        let connections: Vec<Client> = self.clients.iter().flatten().cloned().collect();
        if connections.is_empty() {
            bail!(
                "cannot connect to any endpoint of {}",
                self.options.endpoints.join(", ")
            );
        }
        let keys: Vec<(Vec<u8>, bool)> = (0..self.options.keys)
            .map(|i| (self.key(i), self.is_ttl_key(i)))
            .collect();
        let keys = Arc::new(keys);
        let mut tasks = Vec::new();
        for client_id in 0..self.options.clients {
            let task = ClientTask {
                id: client_id as u64,
                connections: connections.clone(),
                current: client_id % connections.len(),
                keys: keys.clone(),
                recorder: self.recorder.clone(),
                rng: StdRng::seed_from_u64(self.options.seed.wrapping_mul(1000) + client_id as u64),
                options: self.options.clone(),
                known_versions: vec![0; keys.len()],
                written: 0,
                sent: self.sent.clone(),
                unsuccessful: self.unsuccessful.clone(),
                stop: self.stop.clone(),
            };
            tasks.push(tokio::spawn(task.run(until)));
        }
        for task in tasks {
            task.await.context("a verify client panicked")?;
        }
        Ok(())
    }

    /// Reads every key linearizably (retrying through every endpoint until `deadline`), so a
    /// lost acknowledged write shows up as an anomaly. Fails when some key cannot be read.
    pub async fn final_reads(&mut self, deadline: Instant) -> Result<()> {
        for index in 0..self.options.keys {
            let key = self.key(index);
            let mut attempt = 0usize;
            let mut pauses = ConstantBuilder::default()
                .with_delay(Duration::from_millis(100))
                .without_max_times()
                .build();
            loop {
                self.connect_all().await;
                let endpoint = attempt % self.clients.len();
                attempt += 1;
                if let Some(client) = self.clients[endpoint].clone() {
                    let pending = self
                        .recorder
                        .invoke_final_read(u64::MAX, ByteString(key.clone()));
                    match tokio::time::timeout(
                        self.options.request_timeout,
                        client.get(key.clone(), false),
                    )
                    .await
                    {
                        Ok(Ok(value)) => {
                            pending.complete(get_result(value));
                            break;
                        }
                        Ok(Err(_)) | Err(_) => pending.indeterminate(),
                    }
                }
                let pause = pauses.next().unwrap_or(Duration::from_millis(100));
                if Instant::now() + pause >= deadline {
                    bail!(
                        "could not read {} from any node before the deadline",
                        String::from_utf8_lossy(&key)
                    );
                }
                tokio::time::sleep(pause).await;
            }
        }
        Ok(())
    }

    /// Deletes this run's keys (best effort, not recorded).
    pub async fn cleanup(&mut self) {
        self.connect_all().await;
        let Some(client) = self.clients.iter().flatten().next().cloned() else {
            return;
        };
        for index in 0..self.options.keys {
            let _ = tokio::time::timeout(
                self.options.request_timeout,
                client.delete(self.key(index), None),
            )
            .await;
        }
    }

    /// Everything recorded so far.
    pub fn history(&self) -> History {
        self.recorder.history()
    }
}

/// Counts the history's operations by outcome.
pub fn outcome_counts(history: &History) -> OutcomeCounts {
    let mut counts = OutcomeCounts::default();
    for op in &history.ops {
        match op.outcome {
            Outcome::Ok(_) => counts.ok += 1,
            Outcome::Fail { .. } => counts.failed += 1,
            Outcome::Indeterminate => counts.indeterminate += 1,
        }
    }
    counts
}

/// Checks a history with shoal's documented expiry bound.
pub fn check_with_expiry_bound(history: &History, expiry_bound: Duration) -> Report {
    let options = CheckOptions {
        expiry_bound,
        ..CheckOptions::default()
    };
    shoal_verify::check(history, &options)
}

fn get_result(value: Option<shoal_client::Value>) -> OpResult {
    match value {
        Some(value) => OpResult::Get {
            found: true,
            value: ByteString(value.value),
            version: value.version,
            ttl_remaining_ms: value.ttl_remaining.map(|ttl| ttl.as_millis() as u64),
        },
        None => OpResult::not_found(),
    }
}

/// How an error is recorded: definite only when it proves nothing changed.
fn error_outcome(error: &ClientError) -> Outcome {
    if error.is_safe_to_retry() {
        return Outcome::Fail {
            reason: error.to_string(),
        };
    }
    // Only validation errors are certain: they are answered before anything is proposed.
    // (OutOfRange or ResourceExhausted can come from the transport after the server ran
    // the request.)
    match error.code() {
        Some(Code::InvalidArgument) => Outcome::Fail {
            reason: error.to_string(),
        },
        _ => Outcome::Indeterminate,
    }
}

struct ClientTask {
    id: u64,
    connections: Vec<Client>,
    current: usize,
    keys: Arc<Vec<(Vec<u8>, bool)>>,
    recorder: Recorder,
    rng: StdRng,
    options: VerifyOptions,
    /// The last version this client saw per key: CAS operations mostly use it.
    known_versions: Vec<u64>,
    written: u64,
    sent: Arc<AtomicU64>,
    unsuccessful: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl ClientTask {
    async fn run(mut self, until: Instant) {
        while Instant::now() < until && !self.stop.load(Ordering::Relaxed) {
            let index = self.rng.random_range(0..self.keys.len());
            let (key, ttl_key) = self.keys[index].clone();
            let kind = self.next_kind(index, ttl_key);
            // A definite failure (it changed nothing) is sent again, like a client library.
            let mut retries = ConstantBuilder::default()
                .with_delay(Duration::from_millis(50))
                .with_max_times(self.options.retries as usize)
                .build();
            loop {
                let outcome = self.attempt(index, key.clone(), &kind).await;
                let succeeded = matches!(outcome, Outcome::Ok(_));
                let may_retry = matches!(outcome, Outcome::Fail { .. })
                    && Instant::now() < until
                    && !self.stop.load(Ordering::Relaxed);
                if may_retry && let Some(pause) = retries.next() {
                    tokio::time::sleep(pause).await;
                    continue;
                }
                if !succeeded {
                    self.unsuccessful.fetch_add(1, Ordering::Relaxed);
                }
                break;
            }
            if !self.options.think_time.is_zero() {
                tokio::time::sleep(self.options.think_time).await;
            }
        }
    }

    /// Sends one attempt of an operation and records it; returns its outcome.
    async fn attempt(&mut self, index: usize, key: Vec<u8>, kind: &OpKind) -> Outcome {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let client = self.connections[self.current].clone();
        let pending = self
            .recorder
            .invoke(self.id, ByteString(key.clone()), kind.clone());
        let call = self.execute(&client, key, kind);
        let outcome = match tokio::time::timeout(self.options.request_timeout, call).await {
            Ok(Ok(result)) => {
                self.learn(index, &result);
                Outcome::Ok(result)
            }
            Ok(Err(error)) => {
                if let Some(current) = error.version_mismatch() {
                    self.known_versions[index] = current;
                    Outcome::Ok(OpResult::VersionMismatch { current })
                } else {
                    // Another node may do better next time (this one may be down,
                    // isolated or paused).
                    self.current = (self.current + 1) % self.connections.len();
                    error_outcome(&error)
                }
            }
            Err(_) => {
                self.current = (self.current + 1) % self.connections.len();
                Outcome::Indeterminate
            }
        };
        pending.finish(outcome.clone());
        outcome
    }

    fn ttl_ms(&mut self, ttl_key: bool) -> u64 {
        if !ttl_key {
            return 0;
        }
        let (low, high) = self.options.ttl_range;
        self.rng
            .random_range(low.as_millis() as u64..=high.as_millis().max(low.as_millis()) as u64)
    }

    fn next_kind(&mut self, index: usize, ttl_key: bool) -> OpKind {
        let roll = self.rng.random_range(0..100);
        let known = self.known_versions[index];
        // A CAS against a version this client saw (often current), sometimes "must not
        // exist" (always when it saw none).
        let cas_version = if known == 0 || self.rng.random_range(0..10) == 0 {
            0
        } else {
            known
        };
        match roll {
            0..40 => OpKind::Get,
            40..65 => {
                self.written += 1;
                OpKind::Put {
                    value: ByteString(format!("c{}-{}", self.id, self.written).into_bytes()),
                    ttl_ms: self.ttl_ms(ttl_key),
                    if_version: None,
                }
            }
            65..82 => {
                let if_version = Some(cas_version);
                self.written += 1;
                OpKind::Put {
                    value: ByteString(format!("c{}-{}", self.id, self.written).into_bytes()),
                    ttl_ms: self.ttl_ms(ttl_key),
                    if_version,
                }
            }
            82..88 => OpKind::Delete { if_version: None },
            88..93 => OpKind::Delete {
                if_version: Some(cas_version),
            },
            _ => OpKind::Touch {
                ttl_ms: self.ttl_ms(ttl_key),
            },
        }
    }

    fn learn(&mut self, index: usize, result: &OpResult) {
        match result {
            OpResult::Put { version } => self.known_versions[index] = *version,
            OpResult::Get { version, .. } => self.known_versions[index] = *version,
            OpResult::Delete { .. } => self.known_versions[index] = 0,
            _ => {}
        }
    }

    async fn execute(
        &self,
        client: &Client,
        key: Vec<u8>,
        kind: &OpKind,
    ) -> Result<OpResult, ClientError> {
        Ok(match kind {
            OpKind::Put {
                value,
                ttl_ms,
                if_version,
            } => {
                let options = PutOptions {
                    ttl: (*ttl_ms > 0).then(|| Duration::from_millis(*ttl_ms)),
                    if_version: *if_version,
                };
                let version = client.put(key, value.0.clone(), options).await?;
                OpResult::Put { version }
            }
            OpKind::Get => get_result(client.get(key, false).await?),
            OpKind::Delete { if_version } => OpResult::Delete {
                deleted: client.delete(key, *if_version).await?,
            },
            OpKind::Touch { ttl_ms } => OpResult::Touch {
                found: client
                    .touch(key, (*ttl_ms > 0).then(|| Duration::from_millis(*ttl_ms)))
                    .await?,
            },
        })
    }
}

/// `shoal verify`: runs the workload for `duration`, reads every key, checks, cleans up,
/// prints the verdict. Returns whether the history passed.
pub async fn run_and_report(
    options: VerifyOptions,
    duration: Duration,
    expiry_bound: Duration,
    history_path: Option<&std::path::Path>,
) -> Result<bool> {
    let mut workload = VerifyWorkload::new(options.clone())?;
    println!(
        "verify: {} clients on {} keys under {} for {} through {}",
        options.clients,
        options.keys,
        workload.prefix(),
        humantime::format_duration(duration),
        options.endpoints.join(", ")
    );
    let started = Instant::now();
    let until = started + duration;
    let sent = workload.sent();
    let progress = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        loop {
            tick.tick().await;
            println!(
                "  {:>4}s: {} operations sent",
                started.elapsed().as_secs(),
                sent.load(Ordering::Relaxed)
            );
        }
    });
    let ran = workload.run(until).await;
    progress.abort();
    ran?;
    let reads = workload
        .final_reads(Instant::now() + Duration::from_secs(30))
        .await;
    workload.cleanup().await;
    reads?;
    let history = workload.history();
    if let Some(path) = history_path {
        std::fs::write(path, history.to_json())
            .with_context(|| format!("writing the history to {}", path.display()))?;
        println!("history written to {}", path.display());
    }
    let counts = outcome_counts(&history);
    let checking = Instant::now();
    let report = check_with_expiry_bound(&history, expiry_bound);
    println!(
        "{} operations ({} ok, {} failed, {} outcome unknown) on {} keys, checked in {:.2?}; \
         {} did not succeed after {} retries",
        history.len(),
        counts.ok,
        counts.failed,
        counts.indeterminate,
        options.keys,
        checking.elapsed(),
        workload.unsuccessful(),
        options.retries
    );
    if report.is_valid() {
        println!(
            "PASS: the history is linearizable, versions only grow, nothing acknowledged was lost, no key outlived its expiry by more than {}",
            humantime::format_duration(expiry_bound)
        );
    } else {
        println!("FAIL: {report}");
    }
    Ok(report.is_valid())
}
