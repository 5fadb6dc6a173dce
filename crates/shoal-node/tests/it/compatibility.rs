//! A data dir written by an older shoal starts under this code, with everything in it.
//!
//! `fixtures/f665246-single-node` was written by commit f665246 (before node ids, group ids
//! and node states became their own types, and before the meta machine was split into one
//! function per command) with `scripts/compat-fixture.sh`: a single node, 4 shards, 200 keys
//! written, 50 of them overwritten and 50 deleted, a compare-and-set create, a key with a
//! one-year TTL, and a log snapshotted and purged (snapshot threshold 50). Its Raft votes,
//! logs and memberships hold node ids, its meta group the registry and shard map, its
//! snapshot files the shards' data: all of it must read as it was written.

use std::path::Path;
use std::time::Duration;

use shoal_client::PutOptions;

use crate::support::{start_node, test_config};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_written_by_f665246_starts_with_all_its_data() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/f665246-single-node");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let mut config = test_config(dir.path());
    config.cluster.data.shards = 4;
    let (node, client) = start_node(config.clone()).await;
    assert_eq!(node.node_id.0, 4242, "the node id kept in the data dir");
    for i in 0..200 {
        let key = format!("key-{i}");
        let read = client.get(key.clone(), false).await.unwrap();
        match i {
            0..50 => assert_eq!(read.unwrap().value, format!("second-{i}").as_bytes()),
            50..150 => assert_eq!(read.unwrap().value, format!("value-{i}").as_bytes()),
            _ => assert!(read.is_none(), "{key} was deleted"),
        }
    }
    let cas = client.get("cas-key", false).await.unwrap().unwrap();
    assert_eq!(cas.value, b"first");
    // Its version is the one the old node gave it: a compare-and-set against it works.
    let version = client
        .put(
            "cas-key",
            "second",
            PutOptions {
                ttl: None,
                if_version: Some(cas.version),
            },
        )
        .await
        .unwrap();
    assert!(version > cas.version);
    let ttl = client.get("long-ttl", false).await.unwrap().unwrap();
    assert!(
        ttl.ttl_remaining.unwrap() > Duration::from_secs(300 * 24 * 3600),
        "{ttl:?}"
    );
    // The registry and the shard map came through: the node lists itself, live and
    // ready, and leads all 4 shards.
    let status = client.status().await.unwrap();
    assert_eq!(status.shards.len(), 4);
    assert!(status.shards.iter().all(|s| s.leader_id == 4242));
    let me = status.nodes.iter().find(|n| n.node_id == 4242).unwrap();
    assert!(me.live && me.ready, "{me:?}");
    // It writes on, and restarts into what it wrote under the new code.
    client.put("new", "v", PutOptions::default()).await.unwrap();
    node.shutdown().await.unwrap();
    let (node, client) = start_node(config).await;
    assert!(client.get("new", false).await.unwrap().is_some());
    let cas = client.get("cas-key", false).await.unwrap().unwrap();
    assert_eq!(
        (cas.value.as_slice(), cas.version),
        (&b"second"[..], version)
    );
    assert_eq!(
        client.get("key-60", false).await.unwrap().unwrap().value,
        b"value-60"
    );
    node.shutdown().await.unwrap();
}
