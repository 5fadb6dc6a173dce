//! `KV.Batch` against a real 3-node cluster: every operation gets its own result in
//! request order, operations on one shard run in order, a bad operation fails alone, the
//! writes are really there afterwards (read singly through another node), limits refuse a
//! whole call with a clear error, forwards travel on the node-pair streams, and `shoal kv batch` reads a file and prints one line
//! per operation.

use std::time::Duration;

use crate::support::cluster::{ClusterShape, ProcessCluster, wait_for_healthy};
use shoal_client::{BatchOp, BatchOutcome, Code, PutOptions};

fn put(key: &str, value: &str) -> BatchOp {
    BatchOp::Put {
        key: key.into(),
        value: value.into(),
        options: PutOptions::default(),
    }
}

fn get(key: &str) -> BatchOp {
    BatchOp::Get {
        key: key.into(),
        stale: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_spans_shards_answers_each_operation_and_its_writes_are_durable() {
    let shape = ClusterShape {
        shards: 4,
        ..ClusterShape::default()
    };
    let cluster = ProcessCluster::start(3, shape).await;
    let first = cluster.nodes[0].client().await;
    let other = cluster.nodes[2].client().await;
    wait_for_healthy(&first, Duration::from_secs(30)).await;

    // 300 puts over every shard (most of them led elsewhere, so they are forwarded).
    let mut operations: Vec<BatchOp> = (0..300)
        .map(|i| put(&format!("b-{i}"), &format!("v-{i}")))
        .collect();
    // Then, in the same call: a get after a put of the same key sees it; a failed
    // compare-and-set, an invalid operation, a delete, a touch and a get of a key that
    // is not there each answer for themselves.
    operations.push(get("b-7"));
    operations.push(BatchOp::Put {
        key: "b-8".into(),
        value: "never".into(),
        options: PutOptions {
            ttl: None,
            if_version: Some(0),
        },
    });
    operations.push(put("", "empty key"));
    operations.push(BatchOp::Delete {
        key: "b-9".into(),
        if_version: None,
    });
    operations.push(BatchOp::Touch {
        key: "b-10".into(),
        ttl: Some(Duration::from_secs(3600)),
    });
    operations.push(get("b-9"));
    operations.push(get("absent"));

    let results = first.batch(operations).await.expect("the batch call");
    assert_eq!(results.len(), 307);
    let mut versions = Vec::new();
    for (i, result) in results[..300].iter().enumerate() {
        match result {
            Ok(BatchOutcome::Put { version }) => versions.push(*version),
            other => panic!("put {i}: {other:?}"),
        }
    }
    match &results[300] {
        Ok(BatchOutcome::Get(Some(found))) => {
            assert_eq!(found.value, b"v-7");
            assert_eq!(found.version, versions[7]);
        }
        other => panic!("get after put: {other:?}"),
    }
    let mismatch = results[301].as_ref().unwrap_err();
    assert_eq!(
        mismatch.code(),
        Some(Code::FailedPrecondition),
        "{mismatch}"
    );
    assert_eq!(mismatch.version_mismatch(), Some(versions[8]));
    let invalid = results[302].as_ref().unwrap_err();
    assert_eq!(invalid.code(), Some(Code::InvalidArgument), "{invalid}");
    assert!(invalid.to_string().contains("key"), "{invalid}");
    assert_eq!(
        results[303].as_ref().ok(),
        Some(&BatchOutcome::Delete { deleted: true })
    );
    assert_eq!(
        results[304].as_ref().ok(),
        Some(&BatchOutcome::Touch { found: true })
    );
    assert_eq!(results[305].as_ref().ok(), Some(&BatchOutcome::Get(None)));
    assert_eq!(results[306].as_ref().ok(), Some(&BatchOutcome::Get(None)));

    // Read singly, through another node: every write is there at the version reported.
    for (i, version) in versions.iter().enumerate() {
        let found = other.get(format!("b-{i}"), false).await.unwrap();
        if i == 9 {
            assert_eq!(found, None, "b-9 was deleted");
            continue;
        }
        let found = found.unwrap_or_else(|| panic!("b-{i} missing"));
        assert_eq!(found.value, format!("v-{i}").into_bytes());
        assert_eq!(found.version, *version, "b-{i}");
        if i == 10 {
            assert!(found.ttl_remaining.is_some(), "b-10 was touched with a TTL");
        }
    }

    // The forwards (node 1 leads only some shards) went on the node-pair streams, none
    // as calls of their own.
    let (_, metrics) = cluster.nodes[0].admin_get("/metrics").await;
    let forwarded = |via: &str| -> u64 {
        metrics
            .lines()
            .find(|line| {
                line.starts_with(&format!("shoal_requests_forwarded_total{{via=\"{via}\"}}"))
            })
            .and_then(|line| line.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    assert!(forwarded("pipe") > 0, "{metrics}");
    assert_eq!(forwarded("call"), 0, "{metrics}");

    // Over the operation limit: the whole call is refused, naming the limit.
    let too_many: Vec<BatchOp> = (0..10_001).map(|i| get(&format!("x-{i}"))).collect();
    let refused = first.batch(too_many).await.unwrap_err();
    assert_eq!(refused.code(), Some(Code::InvalidArgument), "{refused}");
    assert!(
        refused.to_string().contains("limits.max_batch_operations"),
        "{refused}"
    );

    // The CLI: a file of JSON lines in, one line per operation out, exit 1 when one failed.
    let file = cluster.dir.path().join("batch.jsonl");
    std::fs::write(
        &file,
        "# a comment\n{\"put\": \"cli-1\", \"value\": \"one\", \"ttl\": \"1h\"}\n\
         {\"get\": \"cli-1\"}\n{\"put\": \"cli-1\", \"value\": \"two\", \"if_version\": 0}\n",
    )
    .unwrap();
    let output = cluster
        .cli()
        .args(["kv", "batch", "--file"])
        .arg(&file)
        .args(["--endpoint", &cluster.nodes[1].client_address()])
        .output()
        .expect("run shoal kv batch");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("put cli-1: version "), "{stdout}");
    assert!(lines[1].starts_with("get cli-1: one (version "), "{stdout}");
    assert!(
        lines[2].starts_with("put cli-1: error: ") && lines[2].contains("current version"),
        "{stdout}"
    );
    assert!(stderr.contains("1 of 3 operations failed"), "{stderr}");
}
