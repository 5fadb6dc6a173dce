//! Group commit: concurrent writes to many shards share fsyncs.

use crate::support::{start_node, test_config};
use shoal_client::PutOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_across_shards_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_node(test_config(dir.path())).await;
    let storage = node.backend().storage.clone();
    let before = storage.counters();

    const WRITERS: usize = 64;
    const PER_WRITER: usize = 40;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let client = client.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                client
                    .put(format!("gc-{writer}-{i}"), "v", PutOptions::default())
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let after = storage.counters();
    drop(storage);
    let writes = (WRITERS * PER_WRITER) as u64;
    let fsyncs = after.log_fsyncs - before.log_fsyncs;
    let appended = after.entries_appended - before.entries_appended;
    assert!(
        appended >= writes,
        "every write was appended: {appended} < {writes}"
    );
    // Without group commit every write costs at least one fsync. How many share one
    // depends on how fast the writers are, and this test shares the machine with the
    // others (a fresh-clone run once saw 2.0 writes per fsync): the bound only requires
    // that fsyncs were shared, with room for a busy machine.
    assert!(
        fsyncs * 4 <= writes * 3,
        "{writes} writes took {fsyncs} fsyncs: appends are not group-committed"
    );
    let mut touched_shards = 0;
    for replica in node.replicas() {
        if replica.key_count().await.unwrap() > 0 {
            touched_shards += 1;
        }
    }
    assert!(
        touched_shards > 8,
        "writes spread over shards ({touched_shards})"
    );
    println!("{writes} writes, {appended} appended entries, {fsyncs} fsyncs");
    node.shutdown().await.unwrap();
}
