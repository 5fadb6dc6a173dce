//! Durability: every acknowledged write survives SIGKILL of the `shoal` process.

use std::collections::HashMap;
use std::sync::Arc;

use crate::support::ShoalProcess;
use shoal_client::{Client, PutOptions};
use tokio::sync::Mutex;

const KEYS: usize = 10_000;
const WRITERS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = ShoalProcess::start(dir.path());
    let client = Client::connect(&process.client_address).await.unwrap();

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

    let process = ShoalProcess::start(dir.path());
    let client = Client::connect(&process.client_address).await.unwrap();
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
