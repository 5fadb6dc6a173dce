//! mTLS between nodes and TLS for clients, against real processes: a node whose certificate
//! comes from another CA is never admitted (gossip alone admits nobody), one with another
//! gossip key is never heard of (its datagrams are dropped unread), the internal port
//! serves no RPC of any service to a plaintext client, a stranger or a client certificate,
//! and the client API over TLS works through every node with the CLI and both clients.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::cluster::{ClusterShape, ProcessCluster, wait_for_healthy};
use crate::support::wait_for;
use shoal_client::{ConnectOptions, PutOptions, SmartClient};
use shoal_proto::internal as ipb;
use shoal_tls::{CertKind, TlsFiles};
use tonic::Code;

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// A lazily connected channel to an internal port: plaintext (`None`) or TLS with `files`.
fn channel(address: SocketAddr, files: Option<TlsFiles>) -> tonic::transport::Channel {
    let tls = files.map(|files| shoal_tls::ClientTls::load(files).expect("test TLS files"));
    tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .connect_with_connector_lazy(shoal_tls::Connector::new(tls))
}

/// Failed before reaching any service: the connection was refused or torn down.
fn refused<T: std::fmt::Debug>(what: &str, result: Result<T, tonic::Status>) {
    let status = result.expect_err(what);
    assert!(
        matches!(
            status.code(),
            Code::Unavailable | Code::Unknown | Code::Cancelled | Code::Internal
        ),
        "{what}: an answer from a service, not a refused connection: {status:?}"
    );
}

/// Every internal service refuses `files` (or plaintext) at node `address`.
async fn internal_port_refuses(address: SocketAddr, files: Option<TlsFiles>, who: &str) {
    let channel = channel(address, files);
    let mut raft = ipb::raft_client::RaftClient::new(channel.clone());
    let request = || ipb::RaftRequest {
        group_id: 1,
        from_node: 9,
        to_node: 1,
        payload: vec![1, 2, 3],
    };
    refused(
        &format!("{who}: Raft.Identify"),
        raft.identify(ipb::IdentifyRequest {}).await,
    );
    refused(
        &format!("{who}: Raft.AppendEntries"),
        raft.append_entries(request()).await,
    );
    refused(&format!("{who}: Raft.Vote"), raft.vote(request()).await);
    refused(
        &format!("{who}: Raft.InstallSnapshot"),
        raft.install_snapshot(futures::stream::iter(vec![ipb::SnapshotChunk::default()]))
            .await,
    );
    refused(
        &format!("{who}: Raft.Pipe"),
        raft.pipe(futures::stream::iter(vec![ipb::PeerFrame::default()]))
            .await,
    );
    let mut kv = shoal_proto::v1::kv_client::KvClient::new(channel.clone());
    refused(
        &format!("{who}: KV.Get (forwarding)"),
        kv.get(shoal_proto::v1::GetRequest {
            key: b"k".to_vec(),
            ..Default::default()
        })
        .await,
    );
    let mut cluster = shoal_proto::v1::cluster_client::ClusterClient::new(channel.clone());
    refused(
        &format!("{who}: Cluster.Status"),
        cluster
            .status(shoal_proto::v1::StatusRequest::default())
            .await,
    );
    let mut control = ipb::control_client::ControlClient::new(channel);
    refused(
        &format!("{who}: Control.ChangeShardReplicas"),
        control
            .change_shard_replicas(ipb::ChangeShardReplicasRequest::default())
            .await,
    );
}

fn files(dir: &Path, base: &str) -> TlsFiles {
    TlsFiles {
        cert_file: Some(dir.join(format!("{base}.crt"))),
        key_file: Some(dir.join(format!("{base}.key"))),
        ca_file: Some(dir.join("ca.crt")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_never_join_and_the_internal_port_serves_only_nodes_of_the_cluster() {
    let shape = ClusterShape {
        shards: 4,
        ..ClusterShape::default()
    };
    let mut cluster = ProcessCluster::start(3, shape).await;
    let client = cluster.nodes[0].client().await;
    wait_for_healthy(&client, Duration::from_secs(30)).await;
    let certs = cluster.dir.path().join("certs");

    // A node with a node certificate of another CA, announcing itself through gossip (it
    // has the cluster's gossip key: gossip alone must not admit it).
    let stranger_dir = cluster.dir.path().join("stranger");
    cluster.add_node_with(|ports, config| {
        config.cluster.tls =
            shoal_node::testing::node_tls(&stranger_dir.join("certs"), 4, ports.internal.ip());
    });
    // A node with a certificate of the cluster's CA but another gossip key: its datagrams
    // are dropped unread, so nobody ever hears of it.
    let other_key = cluster.dir.path().join("other-gossip.key");
    std::fs::write(&other_key, shoal_membership::generate_key_text()).unwrap();
    cluster.add_node_with(|_, config| {
        config.cluster.gossip.key_file = Some(other_key.clone());
    });
    let unauthenticated = "shoal_gossip_datagrams_dropped_total{reason=\"unauthenticated\"}";
    let first = &cluster.nodes[0];
    wait_for(
        "node 1 to drop the gossip of node 5",
        Duration::from_secs(30),
        || async { (first.metric(unauthenticated).await > 0).then_some(()) },
    )
    .await;
    // The meta leader sees it in gossip and says why it is not admitted.
    let not_admitted = wait_for(
        "the meta leader to refuse the stranger",
        Duration::from_secs(60),
        || async {
            let jobs = client.jobs().await.ok()?;
            jobs.nodes
                .iter()
                .flat_map(|node| &node.jobs)
                .flat_map(|job| &job.waiting_for)
                .find(|line| line.contains("node 4 (gossip) is not admitted"))
                .cloned()
        },
    )
    .await;
    assert!(
        not_admitted.contains("did not prove itself"),
        "{not_admitted}"
    );
    // Never registered, never a member of any group, holding nothing, not in the
    // members list.
    let status = client.status().await.unwrap();
    assert!(
        status.nodes.iter().all(|node| node.node_id != 4),
        "the stranger is listed as a member: {status:?}"
    );
    assert!(
        status.nodes.iter().all(|node| node.node_id != 5),
        "node 5's gossip was heard: {status:?}"
    );
    assert!(
        status
            .shards
            .iter()
            .all(|shard| shard.replicas.iter().all(|replica| replica.node_id < 4)),
        "{status:?}"
    );
    // The stranger's own dials are refused at the handshake (and logged) on its own
    // schedule: wait for the line rather than expect it by now.
    let log_paths: Vec<_> = cluster.nodes[..3]
        .iter()
        .map(|n| n.log_path.clone())
        .collect();
    wait_for(
        "a cluster node to log that it refused the stranger's TLS connection",
        Duration::from_secs(30),
        || async {
            log_paths
                .iter()
                .any(|path| {
                    std::fs::read_to_string(path)
                        .unwrap_or_default()
                        .contains("refused a TLS connection")
                })
                .then_some(())
        },
    )
    .await;

    // The internal port, each service: plaintext, the stranger's node certificate, and a
    // client certificate of the cluster's own CA are all refused.
    let internal = cluster.nodes[0].ports.internal;
    internal_port_refuses(internal, None, "plaintext").await;
    internal_port_refuses(
        internal,
        Some(TlsFiles {
            ca_file: Some(certs.join("ca.crt")),
            ..files(&stranger_dir.join("certs"), "node-4")
        }),
        "a node of another CA",
    )
    .await;
    let read = |name: &str| std::fs::read_to_string(certs.join(name)).unwrap();
    let app = shoal_tls::generate_signed(
        &CertKind::Client { name: "app".into() },
        &read("ca.crt"),
        &read("ca.key"),
        YEAR,
    )
    .unwrap();
    shoal_tls::write_pem_pair(&certs, "client-app", &app, false).unwrap();
    internal_port_refuses(internal, Some(files(&certs, "client-app")), "a client").await;

    // A node of the cluster is served.
    let mut raft =
        ipb::raft_client::RaftClient::new(channel(internal, Some(files(&certs, "node-2"))));
    let me = raft.identify(ipb::IdentifyRequest {}).await.unwrap();
    assert_eq!(me.into_inner().node_id, 1);

    // All that left the cluster as it was.
    client
        .put("after", "strangers", PutOptions::default())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_api_over_tls_works_through_every_node_and_refuses_plaintext() {
    let shape = ClusterShape {
        shards: 4,
        ..ClusterShape::default()
    };
    let cluster = ProcessCluster::start_with(3, shape, |_, dir, config| {
        // The node certificates the harness made for mTLS name the nodes' addresses:
        // serve clients with them too.
        config.server.tls.cert_file = config.cluster.tls.cert_file.clone();
        config.server.tls.key_file = config.cluster.tls.key_file.clone();
        assert!(dir.join("certs/ca.crt").exists());
    })
    .await;
    let certs = cluster.dir.path().join("certs");
    let ca = certs.join("ca.crt");
    let tls = ConnectOptions::tls(&ca, None).unwrap();
    let endpoints: Vec<String> = cluster.nodes.iter().map(|n| n.client_address()).collect();
    let first = shoal_client::Client::connect_with(&endpoints[0], &tls)
        .await
        .unwrap();
    wait_for_healthy(&first, Duration::from_secs(30)).await;

    // Through every node (most keys are led elsewhere and forwarded), with https:// too.
    for (i, endpoint) in endpoints.iter().enumerate() {
        let client = shoal_client::Client::connect_with(&format!("https://{endpoint}"), &tls)
            .await
            .unwrap();
        for k in 0..8 {
            client
                .put(format!("tls-{i}-{k}"), "v", PutOptions::default())
                .await
                .unwrap();
        }
    }
    let smart = SmartClient::connect_with(&endpoints, &tls).await.unwrap();
    let found = smart.get("tls-2-7", false).await.unwrap().expect("written");
    assert_eq!(found.value, b"v");

    // The CLI, with --ca-file and with SHOAL_CA_FILE.
    let shoal = crate::support::shoal_binary();
    let cli = |args: &[&str], env: &[(&str, &Path)]| {
        let mut command = Command::new(&shoal);
        command.env_remove("SHOAL_CA_FILE").args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    let out = cli(
        &[
            "kv",
            "get",
            "tls-0-0",
            "--endpoint",
            &endpoints[1],
            "--ca-file",
            ca.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("v"),
        "{out:?}"
    );
    let out = cli(
        &["kv", "put", "tls-env", "x", "--endpoint", &endpoints[2]],
        &[("SHOAL_CA_FILE", &ca)],
    );
    assert!(out.status.success(), "{out:?}");

    // Plaintext is refused, and says what to do; a scheme that contradicts the options too.
    let out = cli(&["kv", "get", "tls-0-0", "--endpoint", &endpoints[0]], &[]);
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--ca-file"), "{stderr}");
    let out = cli(
        &[
            "kv",
            "get",
            "tls-0-0",
            "--endpoint",
            &format!("http://{}", endpoints[0]),
            "--ca-file",
            ca.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("https://"),
        "{out:?}"
    );
    // A server certificate of another CA is not trusted.
    let other = tempfile::tempdir().unwrap();
    let other_ca = shoal_tls::generate_ca("other", YEAR).unwrap();
    shoal_tls::write_pem_pair(other.path(), "ca", &other_ca, false).unwrap();
    let untrusting = ConnectOptions::tls(other.path().join("ca.crt"), None).unwrap();
    // Refused at connect, or — when the channel connects lazily — at the first call (then
    // hyper may report only that the connection went away).
    let served = match shoal_client::Client::connect_with(&endpoints[0], &untrusting).await {
        Err(_) => false,
        Ok(client) => client.get("tls-0-0", false).await.is_ok(),
    };
    assert!(!served, "a server of another CA was trusted");
}

/// The one plaintext cluster of the suite: `cluster.insecure` (what `--insecure` sets), no
/// certificates and no gossip key anywhere, still forms, replicates and forwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insecure_cluster_runs_in_plaintext_when_asked_to() {
    let shape = ClusterShape {
        shards: 4,
        ..ClusterShape::default()
    };
    let cluster = ProcessCluster::start_with(3, shape, |_, _, config| {
        config.cluster.insecure = true;
        config.cluster.tls = Default::default();
        config.cluster.gossip.key_file = None;
        config.server.tls = Default::default();
    })
    .await;
    let endpoints: Vec<String> = cluster.nodes.iter().map(|n| n.client_address()).collect();
    let first = shoal_client::Client::connect(&endpoints[0]).await.unwrap();
    wait_for_healthy(&first, Duration::from_secs(30)).await;
    for (i, endpoint) in endpoints.iter().enumerate() {
        let client = shoal_client::Client::connect(endpoint).await.unwrap();
        client
            .put(format!("plain-{i}"), "v", PutOptions::default())
            .await
            .unwrap();
    }
    let last = shoal_client::Client::connect(&endpoints[2]).await.unwrap();
    for i in 0..endpoints.len() {
        let found = last.get(format!("plain-{i}"), false).await.unwrap();
        assert_eq!(found.unwrap().value, b"v");
    }
    // The admin port speaks plain HTTP too.
    let (status, _) = cluster.nodes[1].admin_get("/readyz").await;
    assert_eq!(status, 200);
}
