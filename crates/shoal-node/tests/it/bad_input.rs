//! Invalid requests are rejected with INVALID_ARGUMENT naming the field and the limit,
//! and change nothing.

use std::time::Duration;

use crate::support::{start_node, test_config};
use shoal_client::{Code, PutOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_are_rejected_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_node(test_config(dir.path())).await;
    let version = client
        .put("existing", "original", PutOptions::default())
        .await
        .unwrap();

    let expect = |result: Result<u64, shoal_client::ClientError>, needles: &[&str]| {
        let error = result.expect_err("request must be rejected");
        assert_eq!(error.code(), Some(Code::InvalidArgument), "{error}");
        for needle in needles {
            assert!(
                error.to_string().contains(needle),
                "{error} should mention {needle}"
            );
        }
    };

    expect(
        client.put("", "v", PutOptions::default()).await,
        &["key", "empty"],
    );
    expect(
        client
            .put(vec![b'k'; 4097], "v", PutOptions::default())
            .await,
        &["key", "limits.max_key_bytes", "4096"],
    );
    expect(
        client
            .put(
                "existing",
                vec![0u8; 1024 * 1024 + 1],
                PutOptions::default(),
            )
            .await,
        &["value", "limits.max_value_bytes", "1048576"],
    );
    let eleven_years = Duration::from_secs(11 * 365 * 24 * 3600);
    expect(
        client
            .put(
                "existing",
                "new",
                PutOptions {
                    ttl: Some(eleven_years),
                    if_version: None,
                },
            )
            .await,
        &["ttl_ms", "10 years"],
    );
    let error = client
        .touch("existing", Some(eleven_years))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(Code::InvalidArgument));
    let error = client.get("", false).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::InvalidArgument));
    let error = client.delete(vec![b'k'; 5000], None).await.unwrap_err();
    assert_eq!(error.code(), Some(Code::InvalidArgument));

    // Nothing changed: the key keeps its value, version and lack of expiry.
    let read = client.get("existing", false).await.unwrap().unwrap();
    assert_eq!(read.value, b"original");
    assert_eq!(read.version, version);
    assert_eq!(read.ttl_remaining, None);
    let mut keys = 0;
    for replica in node.replicas() {
        keys += replica.key_count().await.unwrap();
    }
    assert_eq!(keys, 1);

    // The limits are the configured ones: a bigger max_value_bytes admits the big value.
    node.shutdown().await.unwrap();
    let mut config = test_config(dir.path());
    config.limits.max_value_bytes = 2 * 1024 * 1024;
    let (node, client) = start_node(config).await;
    client
        .put("big", vec![1u8; 1024 * 1024 + 1], PutOptions::default())
        .await
        .unwrap();
    node.shutdown().await.unwrap();
}
