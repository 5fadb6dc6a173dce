//! API keys with roles on a real 3-node cluster with `server.auth.enabled`: the bootstrap
//! admin key is written once, readable by its owner only; no key is UNAUTHENTICATED; a
//! read key reads and cannot write; a prefix-scoped key stays in its prefix through every
//! node (forwards included); a write key cannot decommission or make keys; a revoked key is
//! refused by every node; `shoal auth key list` never shows a secret; refused requests
//! change nothing.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::cluster::{ClusterShape, ProcessCluster, wait_for_healthy};
use crate::support::wait_for;
use shoal_client::{ApiKeyRole, BatchOp, Client, Code, ConnectOptions, PutOptions};

async fn client_with(endpoint: &str, key: Option<&str>) -> Client {
    let options = match key {
        Some(key) => ConnectOptions::plaintext().with_api_key(key).unwrap(),
        None => ConnectOptions::plaintext(),
    };
    Client::connect_with(endpoint, &options).await.unwrap()
}

/// A new key works on a node once the node applied it (on the node that made it, when the
/// call returned; on the others, milliseconds later).
async fn known_on(client: &Client) {
    wait_for(
        "the node to know the new key",
        Duration::from_secs(10),
        || async {
            match client.get("any", false).await {
                Err(error) if error.code() == Some(Code::Unauthenticated) => None,
                _ => Some(()),
            }
        },
    )
    .await;
}

fn code<T: std::fmt::Debug>(result: Result<T, shoal_client::ClientError>) -> Option<Code> {
    result.expect_err("refused").code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_with_roles_and_scopes_are_enforced_on_every_node() {
    let shape = ClusterShape {
        shards: 4,
        ..ClusterShape::default()
    };
    let cluster = ProcessCluster::start_with(3, shape, |_, _, config| {
        // Keys over plaintext here (TLS for clients with auth: dev_playground, chaos).
        config.server.tls = Default::default();
        config.server.auth.enabled = true;
    })
    .await;
    let endpoints: Vec<String> = cluster.nodes.iter().map(|n| n.client_address()).collect();

    // The bootstrap admin key: in exactly one node's data dir, mode 0600.
    let dirs: Vec<PathBuf> = (1..=3)
        .map(|id| cluster.dir.path().join(format!("data-{id}")))
        .collect();
    let admin_file = wait_for(
        "the bootstrap admin key file",
        Duration::from_secs(30),
        || {
            let dirs = dirs.clone();
            async move {
                dirs.iter()
                    .map(|d| d.join("admin.key"))
                    .find(|p| p.exists())
            }
        },
    )
    .await;
    let admin_key = std::fs::read_to_string(&admin_file)
        .unwrap()
        .trim()
        .to_owned();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&admin_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", admin_file.display());
    assert_eq!(
        dirs.iter().filter(|d| d.join("admin.key").exists()).count(),
        1
    );
    let logs: String = cluster
        .nodes
        .iter()
        .map(|n| std::fs::read_to_string(&n.log_path).unwrap_or_default())
        .collect();
    let secret = admin_key.rsplit('_').next().unwrap();
    assert!(!logs.contains(secret), "the admin key's secret is in a log");

    let admin = client_with(&endpoints[0], Some(&admin_key)).await;
    wait_for_healthy(&admin, Duration::from_secs(30)).await;
    admin
        .put("tenant-a/seed", "v0", PutOptions::default())
        .await
        .unwrap();

    // No key, or a made-up one: UNAUTHENTICATED, saying what is missing; nothing written.
    let anonymous = client_with(&endpoints[1], None).await;
    let refused = anonymous.get("tenant-a/seed", false).await.unwrap_err();
    assert_eq!(refused.code(), Some(Code::Unauthenticated), "{refused}");
    assert!(refused.to_string().contains("API key"), "{refused}");
    assert_eq!(
        code(
            anonymous
                .put("tenant-a/x", "no", PutOptions::default())
                .await
        ),
        Some(Code::Unauthenticated)
    );
    let forged = client_with(
        &endpoints[1],
        Some("shoal_0123456789abcdef_0123456789abcdef0123456789abcdef0123456789abcdef"),
    )
    .await;
    assert_eq!(
        code(forged.get("tenant-a/seed", false).await),
        Some(Code::Unauthenticated)
    );

    // Keys of each kind, made by the admin (one through the CLI, as an operator would).
    let reader = admin
        .create_api_key("reader", ApiKeyRole::Read, None, None)
        .await
        .unwrap();
    let writer = admin
        .create_api_key("writer", ApiKeyRole::Write, None, None)
        .await
        .unwrap();
    let cli = Command::new(crate::support::shoal_binary())
        .env_remove("SHOAL_API_KEY")
        .args([
            "auth", "key", "create", "--name", "tenant-a", "--role", "write",
        ])
        .args([
            "--prefix",
            "tenant-a/",
            "--endpoint",
            &endpoints[2],
            "--api-key",
            &admin_key,
        ])
        .output()
        .unwrap();
    assert!(cli.status.success(), "{cli:?}");
    let printed = String::from_utf8_lossy(&cli.stdout).into_owned();
    let scoped_key = printed
        .lines()
        .find(|line| line.starts_with("shoal_"))
        .unwrap_or_else(|| panic!("no key printed: {printed}"))
        .to_owned();

    // read: Get works, Put is PERMISSION_DENIED naming the role, and changes nothing.
    let read = client_with(&endpoints[1], Some(&reader.secret)).await;
    known_on(&read).await;
    assert_eq!(
        read.get("tenant-a/seed", false)
            .await
            .unwrap()
            .unwrap()
            .value,
        b"v0"
    );
    let denied = read
        .put("tenant-a/seed", "overwritten", PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some(Code::PermissionDenied), "{denied}");
    assert!(denied.to_string().contains("role read"), "{denied}");
    let mixed = read
        .batch(vec![
            BatchOp::Get {
                key: "tenant-a/seed".into(),
                stale: false,
            },
            BatchOp::Delete {
                key: "tenant-a/seed".into(),
                if_version: None,
            },
        ])
        .await
        .unwrap();
    assert!(mixed[0].is_ok(), "{mixed:?}");
    assert_eq!(
        mixed[1].as_ref().unwrap_err().code(),
        Some(Code::PermissionDenied)
    );
    assert_eq!(
        admin
            .get("tenant-a/seed", false)
            .await
            .unwrap()
            .unwrap()
            .value,
        b"v0",
        "refused requests changed nothing"
    );

    // Scoped: inside its prefix through every node (most keys are led elsewhere, so
    // forwarded), never outside it.
    for (i, endpoint) in endpoints.iter().enumerate() {
        let scoped = client_with(endpoint, Some(&scoped_key)).await;
        known_on(&scoped).await;
        for k in 0..6 {
            scoped
                .put(format!("tenant-a/{i}-{k}"), "ok", PutOptions::default())
                .await
                .unwrap();
            let outside = scoped
                .put(format!("tenant-b/{i}-{k}"), "no", PutOptions::default())
                .await
                .unwrap_err();
            assert_eq!(outside.code(), Some(Code::PermissionDenied), "{outside}");
            assert!(outside.to_string().contains("tenant-a/"), "{outside}");
        }
        assert_eq!(
            code(scoped.get("tenant-b/0-0", false).await),
            Some(Code::PermissionDenied)
        );
    }
    assert_eq!(admin.get("tenant-b/0-0", false).await.unwrap(), None);

    // write: no cluster changes, no keys.
    let write = client_with(&endpoints[0], Some(&writer.secret)).await;
    known_on(&write).await;
    write
        .put("tenant-c/w", "w", PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        code(write.decommission_node(3).await),
        Some(Code::PermissionDenied)
    );
    assert_eq!(
        code(
            write
                .create_api_key("sneaky", ApiKeyRole::Admin, None, None)
                .await
        ),
        Some(Code::PermissionDenied)
    );
    let status = admin.status().await.unwrap();
    assert!(
        status
            .nodes
            .iter()
            .all(|n| n.state != shoal_proto::v1::NodeState::Decommissioned as i32),
        "the refused decommission changed nothing"
    );

    // Revoked: refused by every node, soon.
    let writer_id = writer.key.as_ref().unwrap().id.clone();
    let clients: Vec<Client> = {
        let mut clients = Vec::new();
        for endpoint in &endpoints {
            clients.push(client_with(endpoint, Some(&writer.secret)).await);
        }
        clients
    };
    admin.revoke_api_key(&writer_id).await.unwrap();
    let revoked_at = Instant::now();
    wait_for(
        "every node to refuse the revoked key",
        Duration::from_secs(10),
        || {
            let clients = clients.clone();
            async move {
                for client in &clients {
                    match client.get("tenant-c/w", false).await {
                        Err(error) if error.code() == Some(Code::Unauthenticated) => {}
                        _ => return None,
                    }
                }
                Some(())
            }
        },
    )
    .await;
    eprintln!(
        "a revoked key was refused by all 3 nodes {:?} after the revocation returned",
        revoked_at.elapsed()
    );
    let refused = clients[2].get("tenant-c/w", false).await.unwrap_err();
    assert!(refused.to_string().contains("revoked"), "{refused}");

    // The audit history: who did what, and the refused attempt.
    let audit = wait_for("the audit history", Duration::from_secs(10), || async {
        let entries = admin.audit(0).await.ok()?.entries;
        let has = |rpc: &str, outcome: &str| {
            entries
                .iter()
                .any(|e| e.rpc.ends_with(rpc) && e.outcome.starts_with(outcome))
        };
        (has("CreateApiKey", "ok")
            && has("RevokeApiKey", "ok")
            && has("DecommissionNode", "refused"))
        .then_some(entries)
    })
    .await;
    let refused = audit
        .iter()
        .find(|e| e.rpc.ends_with("DecommissionNode"))
        .unwrap();
    assert_eq!(refused.who, writer_id, "{refused:?}");
    let read_only = client_with(&endpoints[1], Some(&reader.secret)).await;
    assert_eq!(code(read_only.audit(0).await), Some(Code::PermissionDenied));

    let printed = Command::new(crate::support::shoal_binary())
        .args(["cluster", "audit", "--endpoint", &endpoints[2]])
        .env("SHOAL_API_KEY", &admin_key)
        .output()
        .unwrap();
    assert!(printed.status.success(), "{printed:?}");
    let printed = String::from_utf8_lossy(&printed.stdout).into_owned();
    assert!(
        printed.contains("Cluster/RevokeApiKey") && printed.contains(&writer_id),
        "{printed}"
    );

    // The list shows every key and no secret.
    let list = Command::new(crate::support::shoal_binary())
        .env_remove("SHOAL_API_KEY")
        .args(["auth", "key", "list", "--endpoint", &endpoints[1]])
        .env("SHOAL_API_KEY", &admin_key)
        .output()
        .unwrap();
    assert!(list.status.success(), "{list:?}");
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    for name in ["bootstrap admin", "reader", "writer", "tenant-a"] {
        assert!(listed.contains(name), "{listed}");
    }
    assert!(listed.contains("revoked"), "{listed}");
    for secret in [&admin_key, &reader.secret, &writer.secret, &scoped_key] {
        let hidden = secret.rsplit('_').next().unwrap();
        assert!(!listed.contains(hidden), "a secret in the list: {listed}");
    }
}
