//! Durability: every acknowledged write survives SIGKILL of the `shoal` process.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::support::cluster::NodeProcess;
use shoal_client::PutOptions;
use tokio::sync::Mutex;

const KEYS: usize = 10_000;
const WRITERS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = NodeProcess::spawn_single(dir.path());
    process.wait_ready(Duration::from_secs(60)).await;
    let client = process.client().await;

    let acknowledged = Arc::new(Mutex::new(HashMap::new()));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let client = client.clone();
        let acknowledged = acknowledged.clone();
        writers.push(tokio::spawn(async move {
            for i in (writer..KEYS).step_by(WRITERS) {
                let key = format!("durable-{i:05}");
                let value = format!("value-{i}");
                let version = client
                    .put(key.clone(), value.clone(), PutOptions::default())
                    .await
                    .unwrap();
                acknowledged.lock().await.insert(key, (value, version));
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    // No graceful shutdown: the process dies with whatever was acknowledged.
    process.kill();

    process.start();
    process.wait_ready(Duration::from_secs(60)).await;
    let client = process.client().await;
    let acknowledged = acknowledged.lock().await;
    assert_eq!(acknowledged.len(), KEYS);
    for (key, (value, version)) in acknowledged.iter() {
        let read = client
            .get(key.clone(), false)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged key {key} lost after SIGKILL"));
        assert_eq!(read.value, value.as_bytes(), "value of {key}");
        assert_eq!(read.version, *version, "version of {key}");
    }
}
