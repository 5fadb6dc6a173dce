//! A bounded write load for tests of cluster changes: unique keys written through a set of
//! nodes (moving to the next node after an error), each write retried until acknowledged
//! (a client's retries), and the acknowledged writes checked at the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use shoal_client::{Client, PutOptions};

/// What the load did.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Acknowledged writes: key and value.
    pub acked: Vec<(String, String)>,
    /// Writes never acknowledged within their retries: failed operations.
    pub failed: Vec<(String, String)>,
    /// Attempts that failed and were retried.
    pub retries: u64,
}

/// A write load running in the background until stopped.
pub struct WriteLoad {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<LoadReport>,
}

/// Longest one write keeps being retried before it counts as failed.
const RETRY_FOR: Duration = Duration::from_secs(15);

impl WriteLoad {
    /// Starts writing `prefix-N` keys through `endpoints` (reached as `connect` says), `pause` apart (bounded: at most
    /// `max_writes`).
    pub fn start(
        endpoints: Vec<String>,
        connect: shoal_client::ConnectOptions,
        prefix: &str,
        pause: Duration,
        max_writes: u64,
    ) -> WriteLoad {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let prefix = prefix.to_owned();
        let task = tokio::spawn({
            let stop = stop.clone();
            let written = written.clone();
            async move {
                let mut report = LoadReport::default();
                let mut clients: Vec<Option<Client>> = vec![None; endpoints.len()];
                let mut next = 0usize;
                for i in 0..max_writes {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let key = format!("{prefix}-{i}");
                    let value = format!("value-{i}");
                    let started = std::time::Instant::now();
                    let mut acked = false;
                    while started.elapsed() < RETRY_FOR {
                        let at = next % endpoints.len();
                        if clients[at].is_none() {
                            clients[at] = Client::connect_with(&endpoints[at], &connect).await.ok();
                        }
                        let outcome = match &clients[at] {
                            Some(client) => tokio::time::timeout(
                                Duration::from_secs(5),
                                client.put(key.as_str(), value.as_str(), PutOptions::default()),
                            )
                            .await
                            .map_err(|_| ())
                            .and_then(|r| r.map_err(|_| ())),
                            None => Err(()),
                        };
                        match outcome {
                            Ok(_) => {
                                acked = true;
                                break;
                            }
                            Err(()) => {
                                // A client's retry: another node, after a pause. The value
                                // is the same, so a write that did happen is harmless to
                                // repeat.
                                report.retries += 1;
                                clients[at] = None;
                                next += 1;
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                    if acked {
                        report.acked.push((key, value));
                        written.fetch_add(1, Ordering::Relaxed);
                    } else {
                        report.failed.push((key, value));
                    }
                    tokio::time::sleep(pause).await;
                }
                report
            }
        });
        WriteLoad {
            stop,
            written,
            task,
        }
    }

    /// Writes acknowledged so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    pub async fn stop(self) -> LoadReport {
        self.stop.store(true, Ordering::Release);
        self.task.await.expect("load task")
    }
}

/// Every acknowledged write reads back (linearizably) with its value through `client`
/// (reads refused before doing anything are retried, as a client does).
pub async fn assert_all_acked_present(client: &Client, report: &LoadReport) {
    for (key, value) in &report.acked {
        let mut attempts = 0;
        let read = loop {
            match client.get(key.as_str(), false).await {
                Ok(read) => break read,
                Err(error) if error.is_safe_to_retry() && attempts < 20 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("reading {key}: {error}"),
            }
        };
        let read = read.unwrap_or_else(|| panic!("acknowledged write of {key} is lost"));
        assert_eq!(read.value, value.as_bytes(), "{key}");
    }
}

/// The checked `verify` workload running in the background while a test changes the
/// cluster: started, waited on until it has made progress, then stopped, read back,
/// checked and cleaned up — requiring a linearizable history and no failed operation.
pub struct CheckedWorkload {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<shoal_testkit::verify::VerifyWorkload>,
}

impl CheckedWorkload {
    /// Starts the workload (bounded: it stops by itself after 5 minutes) and waits until
    /// it has sent 100 operations.
    pub async fn start(options: shoal_testkit::verify::VerifyOptions) -> CheckedWorkload {
        let mut workload = shoal_testkit::verify::VerifyWorkload::new(options).unwrap();
        let until = std::time::Instant::now() + Duration::from_secs(300);
        let load = CheckedWorkload {
            stop: workload.stopper(),
            sent: workload.sent(),
            task: tokio::spawn(async move {
                workload.run(until).await.unwrap();
                workload
            }),
        };
        load.progress("the workload to run").await;
        load
    }

    /// Waits until the workload has sent 100 more operations.
    pub async fn progress(&self, what: &str) {
        let after = self.sent.load(Ordering::Relaxed);
        super::wait_for(what, Duration::from_secs(30), || async {
            (self.sent.load(Ordering::Relaxed) >= after + 100).then_some(())
        })
        .await;
    }

    /// Stops it, reads every key back, and requires a linearizable history with no
    /// operation failed after its retries (`during` says what went on, for the message).
    pub async fn finish(self, during: &str) {
        self.stop.store(true, Ordering::Relaxed);
        let mut workload = self.task.await.unwrap();
        workload
            .final_reads(std::time::Instant::now() + Duration::from_secs(30))
            .await
            .unwrap();
        let history = workload.history();
        let report =
            shoal_testkit::verify::check_with_expiry_bound(&history, Duration::from_secs(2));
        println!(
            "{} operations recorded, {} unsuccessful after retries; {report}",
            history.len(),
            workload.unsuccessful()
        );
        assert!(report.is_valid(), "{report}");
        assert_eq!(workload.unsuccessful(), 0, "operations failed {during}");
        workload.cleanup().await;
    }
}
