//! `shoal bench`: a closed-loop load generator with N concurrent clients, reporting
//! throughput and latency percentiles. A benchmark, never a pass/fail test. It drives shoal,
//! or etcd (`--target etcd`) so a peer can be measured with the very same client.

mod etcd;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use backon::{ConstantBuilder, Retryable};
use hdrhistogram::Histogram;
use shoal_client::{Client, ConnectOptions, PutOptions};

/// The system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// shoal through the node each connection is opened to (it forwards to shard leaders).
    Shoal,
    /// shoal with the cluster-aware client: requests go straight to each shard's leader.
    ShoalSmart,
    /// An etcd v3 member (`etcdserverpb.KV`): Put, and Range as Get (serializable = stale).
    Etcd,
}

/// One connection to the system under test.
#[derive(Clone)]
enum Connection {
    Shoal(Client),
    Smart(shoal_client::SmartClient),
    Etcd(etcd::EtcdClient),
}

impl Connection {
    /// `endpoints` is a comma-separated list; connection `index` goes to one of them in turn.
    async fn open(
        target: Target,
        endpoints: &str,
        index: usize,
        connect: &ConnectOptions,
    ) -> Result<Connection> {
        let all: Vec<String> = endpoints.split(',').map(|e| e.trim().to_owned()).collect();
        let endpoint = &all[index % all.len()];
        Ok(match target {
            Target::Shoal => Connection::Shoal(Client::connect_with(endpoint, connect).await?),
            Target::ShoalSmart => {
                Connection::Smart(shoal_client::SmartClient::connect_with(&all, connect).await?)
            }
            Target::Etcd => Connection::Etcd(etcd::EtcdClient::connect(endpoint).await?),
        })
    }

    async fn put(&self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        match self {
            Connection::Shoal(client) => {
                client.put(key, value, PutOptions::default()).await?;
            }
            Connection::Smart(client) => {
                client.put(key, value, PutOptions::default()).await?;
            }
            Connection::Etcd(client) => client.put(key, value).await?,
        }
        Ok(())
    }

    /// Writes every pair in one call: `KV.Batch` for shoal, a `Txn` for etcd.
    async fn put_many(&self, pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Result<()> {
        match self {
            Connection::Shoal(client) => {
                let operations = pairs
                    .into_iter()
                    .map(|(key, value)| shoal_client::BatchOp::Put {
                        key,
                        value,
                        options: PutOptions::default(),
                    })
                    .collect();
                for result in client.batch(operations).await? {
                    result?;
                }
            }
            Connection::Smart(_) => {
                anyhow::bail!(
                    "the batch workload runs with --target shoal (a node splits the batch by shard)"
                )
            }
            Connection::Etcd(client) => client.put_many(pairs).await?,
        }
        Ok(())
    }

    async fn get(&self, key: Vec<u8>, stale: bool) -> Result<()> {
        match self {
            Connection::Shoal(client) => {
                client.get(key, stale).await?;
            }
            Connection::Smart(client) => {
                client.get(key, stale).await?;
            }
            Connection::Etcd(client) => {
                client.get(key, stale).await?;
            }
        }
        Ok(())
    }
}

/// What each request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Every request is a Put.
    Put,
    /// Every request is a linearizable Get.
    Get,
    /// Every request is a stale Get.
    GetStale,
    /// 90% linearizable Gets, 10% Puts.
    Mixed,
    /// Every request writes `--batch` distinct keys in one call (shoal `KV.Batch`, etcd
    /// `Txn`); throughput counts keys, latency is per call.
    Batch,
    /// Every request opens a new connection (TCP, and the TLS handshake with --ca-file)
    /// and sends one stale Get on it: the cost of connecting, latency per connection.
    Connect,
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub target: Target,
    pub endpoint: String,
    /// How to reach shoal (TLS or not).
    pub connect: ConnectOptions,
    pub workload: Workload,
    pub clients: usize,
    pub connections: usize,
    pub keys: u64,
    pub value_size: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// Keys per call of the batch workload.
    pub batch: usize,
}

/// The measured outcome.
#[derive(Debug)]
pub struct BenchReport {
    pub operations: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
}

impl BenchReport {
    pub fn ops_per_second(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64()
    }

    pub fn summary(&self, options: &BenchOptions) -> String {
        let us = |q: f64| self.latency.value_at_quantile(q) as f64 / 1000.0;
        format!(
            "target={:?} workload={:?} clients={} connections={} keys={} value_size={} duration={:.1}s\n\
             ops={} errors={} throughput={:.0} ops/s{}\n\
             latency ms: p50={:.3} p90={:.3} p99={:.3} max={:.3}",
            options.target,
            options.workload,
            options.clients,
            options.connections,
            options.keys,
            options.value_size,
            self.elapsed.as_secs_f64(),
            self.operations,
            self.errors,
            self.ops_per_second(),
            if options.workload == Workload::Batch {
                format!(" (keys; {} per call)", options.batch)
            } else {
                String::new()
            },
            us(0.50),
            us(0.90),
            us(0.99),
            self.latency.max() as f64 / 1000.0,
        )
    }
}

fn key(index: u64) -> Vec<u8> {
    format!("bench-{index:012}").into_bytes()
}

/// Runs the benchmark. Keys are pre-loaded for read workloads.
pub async fn run(options: &BenchOptions) -> Result<BenchReport> {
    let mut clients = Vec::new();
    for index in 0..options.connections.max(1) {
        clients.push(
            Connection::open(options.target, &options.endpoint, index, &options.connect)
                .await
                .context("connecting")?,
        );
    }
    let value = vec![b'v'; options.value_size];
    if !matches!(options.workload, Workload::Put | Workload::Batch) {
        preload(&clients, options.keys, &value).await?;
    }
    let start = Instant::now();
    let measure_from = start + options.warmup;
    let stop_at = measure_from + options.duration;
    let operations = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for worker in 0..options.clients {
        let client = clients[worker % clients.len()].clone();
        let value = value.clone();
        let operations = operations.clone();
        let errors = errors.clone();
        let options = options.clone();
        workers.push(tokio::spawn(async move {
            let mut latency =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            let mut sequence = worker as u64 * 7919;
            loop {
                let now = Instant::now();
                if now >= stop_at {
                    break;
                }
                sequence = sequence
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let keys = options.keys.max(1);
                let start = (sequence >> 16) % keys;
                let k = key(start);
                let (result, done_ops) = match options.workload {
                    Workload::Batch => {
                        // Consecutive keys from a random start: distinct, as etcd requires.
                        let count = options.batch.clamp(1, keys as usize);
                        let pairs = (0..count as u64)
                            .map(|i| (key((start + i) % keys), value.clone()))
                            .collect();
                        (client.put_many(pairs).await, count as u64)
                    }
                    Workload::Put => (client.put(k, value.clone()).await, 1),
                    Workload::Connect => {
                        let fresh = Connection::open(
                            options.target,
                            &options.endpoint,
                            worker,
                            &options.connect,
                        )
                        .await;
                        let result = match fresh {
                            Ok(fresh) => fresh.get(k, true).await,
                            Err(error) => Err(error),
                        };
                        (result, 1)
                    }
                    Workload::Mixed if (sequence >> 8).is_multiple_of(10) => {
                        (client.put(k, value.clone()).await, 1)
                    }
                    Workload::Get | Workload::GetStale | Workload::Mixed => (
                        client.get(k, options.workload == Workload::GetStale).await,
                        1,
                    ),
                };
                let done = Instant::now();
                if done >= measure_from && done < stop_at {
                    match result {
                        Ok(()) => {
                            operations.fetch_add(done_ops, Ordering::Relaxed);
                            let _ = latency.record((done - now).as_micros() as u64);
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            latency
        }));
    }
    let mut latency =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    for worker in workers {
        latency.add(worker.await?)?;
    }
    Ok(BenchReport {
        operations: operations.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        elapsed: options.duration,
        latency,
    })
}

/// Attempts per key before a preload gives up.
const PRELOAD_RETRIES: usize = 25;

async fn preload(clients: &[Connection], keys: u64, value: &[u8]) -> Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let mut loaders = Vec::new();
    for i in 0..64 {
        let client = clients[i % clients.len()].clone();
        let next = next.clone();
        let value = value.to_vec();
        loaders.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= keys {
                    return Ok::<_, anyhow::Error>(());
                }
                // A client's retries: the same value again is harmless, and a cluster
                // still busy with an earlier load (or electing) answers soon.
                (|| client.put(key(index), value.clone()))
                    .retry(
                        ConstantBuilder::default()
                            .with_delay(Duration::from_millis(200))
                            .with_max_times(PRELOAD_RETRIES),
                    )
                    .notify(|error, _| tracing::debug!(%error, "preload put retried"))
                    .await
                    .map_err(|error| {
                        error.context(format!(
                            "preloading key {index} ({PRELOAD_RETRIES} retries)"
                        ))
                    })?;
            }
        }));
    }
    for loader in loaders {
        loader.await??;
    }
    Ok(())
}
