//! Put / Get / Delete / Touch semantics on a single node: versions, compare-and-set,
//! TTL expiry (also across a restart), stale and linearizable reads.

use std::time::Duration;

use crate::support::{start_node, test_config, wait_for};
use shoal_client::{Code, PutOptions};

fn ttl(ms: u64) -> PutOptions {
    PutOptions {
        ttl: Some(Duration::from_millis(ms)),
        if_version: None,
    }
}

fn cas(version: u64) -> PutOptions {
    PutOptions {
        ttl: None,
        if_version: Some(version),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_delete_with_versions() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_node(test_config(dir.path())).await;

    assert_eq!(client.get("missing", false).await.unwrap(), None);
    let v1 = client.put("k", "one", PutOptions::default()).await.unwrap();
    let v2 = client.put("k", "two", PutOptions::default()).await.unwrap();
    assert!(v2 > v1, "versions grow: {v1} then {v2}");
    let read = client.get("k", false).await.unwrap().unwrap();
    assert_eq!(read.value, b"two");
    assert_eq!(read.version, v2);
    assert_eq!(read.ttl_remaining, None);

    assert!(client.delete("k", None).await.unwrap());
    assert!(
        !client.delete("k", None).await.unwrap(),
        "second delete finds nothing"
    );
    assert_eq!(client.get("k", false).await.unwrap(), None);
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_set_succeeds_and_fails_by_version() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_node(test_config(dir.path())).await;

    // if_version = 0: create only if absent.
    let v1 = client.put("c", "a", cas(0)).await.unwrap();
    let error = client.put("c", "b", cas(0)).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::FailedPrecondition));
    assert!(
        error
            .to_string()
            .contains(&format!("current version is {v1}")),
        "{error}"
    );

    // Matching version wins, stale version loses and changes nothing.
    let v2 = client.put("c", "b", cas(v1)).await.unwrap();
    let error = client.put("c", "x", cas(v1)).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::FailedPrecondition));
    assert!(
        error
            .to_string()
            .contains(&format!("current version is {v2}")),
        "{error}"
    );
    assert_eq!(client.get("c", false).await.unwrap().unwrap().value, b"b");

    // Compare-and-delete.
    let error = client.delete("c", Some(v1)).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::FailedPrecondition));
    assert!(client.get("c", false).await.unwrap().is_some());
    assert!(client.delete("c", Some(v2)).await.unwrap());
    // if_version = 0 on delete: succeeds (deleting nothing) only when absent.
    assert!(!client.delete("c", Some(0)).await.unwrap());
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_expires_keys_and_touch_extends_or_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_node(test_config(dir.path())).await;

    client.put("short", "v", ttl(1000)).await.unwrap();
    let read = client.get("short", false).await.unwrap().unwrap();
    let remaining = read.ttl_remaining.expect("has a ttl");
    assert!(
        remaining <= Duration::from_millis(1000) && remaining > Duration::ZERO,
        "{remaining:?}"
    );

    // Touch keeps the version and sets a new TTL; touch with no TTL clears it.
    client.put("kept", "v", ttl(1000)).await.unwrap();
    let version = client.get("kept", false).await.unwrap().unwrap().version;
    assert!(client.touch("kept", None).await.unwrap());
    let read = client.get("kept", false).await.unwrap().unwrap();
    assert_eq!(read.version, version, "touch does not change the version");
    assert_eq!(read.ttl_remaining, None);
    assert!(
        !client
            .touch("never-written", Some(Duration::from_secs(5)))
            .await
            .unwrap()
    );

    wait_for("the 1 s key to expire", Duration::from_secs(10), || async {
        client
            .get("short", false)
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
    assert!(
        client.get("kept", false).await.unwrap().is_some(),
        "the touched key did not expire"
    );
    // Expired keys are also removed from storage by the leader's expiry entries.
    let replicas = node.replicas();
    wait_for(
        "the expired key to be collected",
        Duration::from_secs(10),
        || async {
            let mut keys = 0;
            for replica in &replicas {
                keys += replica.key_count().await.unwrap();
            }
            (keys == 1).then_some(())
        },
    )
    .await;
    drop(replicas);
    assert!(
        !client
            .touch("short", Some(Duration::from_secs(5)))
            .await
            .unwrap(),
        "expired keys cannot be touched"
    );
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_expiry_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_node(test_config(dir.path())).await;
    client.put("session", "v", ttl(1000)).await.unwrap();
    client
        .put("durable", "v", PutOptions::default())
        .await
        .unwrap();
    node.shutdown().await.unwrap();

    let (node, client) = start_node(test_config(dir.path())).await;
    wait_for(
        "the key to expire after the restart",
        Duration::from_secs(10),
        || async {
            client
                .get("session", false)
                .await
                .unwrap()
                .is_none()
                .then_some(())
        },
    )
    .await;
    assert!(client.get("durable", false).await.unwrap().is_some());
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_and_linearizable_reads_agree_on_a_single_node() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_node(test_config(dir.path())).await;
    for i in 0..50 {
        let key = format!("read-{i}");
        let version = client
            .put(key.clone(), format!("{i}"), PutOptions::default())
            .await
            .unwrap();
        // A linearizable read sees every acknowledged write.
        let linear = client.get(key.clone(), false).await.unwrap().unwrap();
        assert_eq!(linear.version, version);
        // On a single node the acknowledged write is applied locally too.
        let stale = client.get(key, true).await.unwrap().unwrap();
        assert_eq!(stale.version, version);
        assert_eq!(stale.value, linear.value);
    }
    node.shutdown().await.unwrap();
}
