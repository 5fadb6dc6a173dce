//! Certificate rotation on a running 3-node cluster under load, with no restart and no
//! failed operation: every node first trusts the old and the new CA, then presents a
//! certificate of the new CA, then trusts the new CA only. The nodes pick up each change
//! by themselves (the files are watched); the workload's history stays linearizable; and
//! at the end new connections take only the new CA's certificates.

use std::path::Path;
use std::time::Duration;

use crate::support::cluster::{ClusterShape, ProcessCluster, wait_for_healthy};
use crate::support::load::CheckedWorkload;
use crate::support::wait_for;
use shoal_client::ConnectOptions;
use shoal_proto::internal as ipb;
use shoal_testkit::verify::VerifyOptions;
use shoal_tls::{CertKind, TlsFiles};

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// Replaces `path` with `contents` at once (write a neighbour, rename over): a watcher
/// never reads half a file.
fn replace(path: &Path, contents: &str) {
    let next = path.with_extension("next");
    std::fs::write(&next, contents).unwrap();
    std::fs::rename(&next, path).unwrap();
}

async fn reloads(cluster: &ProcessCluster) -> Vec<u64> {
    let mut counts = Vec::new();
    for node in &cluster.nodes {
        counts.push(node.metric("shoal_tls_reloads_total{outcome=\"ok\"}").await);
    }
    counts
}

/// Waits until every node reloaded `configs` of its TLS configurations (those whose files
/// changed: the internal port and the peer connections use the CA file, all three — the
/// client API too — the node's certificate and key) once more than `before`.
async fn wait_reloaded(cluster: &ProcessCluster, before: &[u64], configs: u64, what: &str) {
    wait_for(what, Duration::from_secs(30), || async {
        let now = reloads(cluster).await;
        now.iter()
            .zip(before)
            .all(|(now, before)| *now >= before + configs)
            .then_some(now)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_rotation_under_load_fails_no_operation() {
    let shape = ClusterShape {
        shards: 4,
        ..ClusterShape::default()
    };
    let cluster = ProcessCluster::start_with(3, shape, |_, _, config| {
        config.server.tls.cert_file = config.cluster.tls.cert_file.clone();
        config.server.tls.key_file = config.cluster.tls.key_file.clone();
    })
    .await;
    let certs = cluster.dir.path().join("certs");
    let old_ca = std::fs::read_to_string(certs.join("ca.crt")).unwrap();
    let new = tempfile::tempdir().unwrap();
    let new_ca = shoal_tls::generate_ca("the new CA", YEAR).unwrap();
    shoal_tls::write_pem_pair(new.path(), "ca", &new_ca, false).unwrap();
    // The clients trust both CAs from the start (they were given the new one first).
    let both = cluster.dir.path().join("both-cas.crt");
    std::fs::write(&both, format!("{old_ca}{}", new_ca.cert_pem)).unwrap();
    let tls = ConnectOptions::tls(&both, None).unwrap();
    let endpoints: Vec<String> = cluster.nodes.iter().map(|n| n.client_address()).collect();
    let observer = shoal_client::Client::connect_with(&endpoints[0], &tls)
        .await
        .unwrap();
    wait_for_healthy(&observer, Duration::from_secs(30)).await;

    let load = CheckedWorkload::start(VerifyOptions {
        endpoints: endpoints.clone(),
        clients: 4,
        keys: 8,
        think_time: Duration::from_millis(5),
        request_timeout: Duration::from_secs(10),
        retries: 10,
        connect: tls.clone(),
        ..VerifyOptions::default()
    })
    .await;

    // 1. Every node trusts both CAs.
    let before = reloads(&cluster).await;
    replace(
        &certs.join("ca.crt"),
        &format!("{old_ca}{}", new_ca.cert_pem),
    );
    wait_reloaded(&cluster, &before, 2, "every node to trust both CAs").await;
    // 2. Every node presents a certificate of the new CA (same names as before).
    let before = reloads(&cluster).await;
    for (id, node) in (1..=3u64).zip(&cluster.nodes) {
        let cert = shoal_tls::generate_signed(
            &CertKind::Node {
                addresses: vec![node.ports.internal.ip().to_string(), "localhost".into()],
            },
            &new_ca.cert_pem,
            &new_ca.key_pem,
            YEAR,
        )
        .unwrap();
        // Key and certificate each replaced whole; a reload between the two fails (they do
        // not match), keeps the old pair, and the next change loads the new one.
        replace(&certs.join(format!("node-{id}.key")), &cert.key_pem);
        replace(&certs.join(format!("node-{id}.crt")), &cert.cert_pem);
    }
    wait_reloaded(
        &cluster,
        &before,
        3,
        "every node to present the new certificate",
    )
    .await;
    // 3. Every node trusts the new CA only.
    let before = reloads(&cluster).await;
    replace(&certs.join("ca.crt"), &new_ca.cert_pem);
    wait_reloaded(&cluster, &before, 2, "every node to trust the new CA only").await;

    load.progress("the workload to go on after the rotation")
        .await;
    load.finish("during the rotation").await;

    // New connections: a client trusting only the new CA reaches every node; one trusting
    // only the old CA reaches none; on the internal port, a node certificate of the new CA
    // is served and one of the old CA is not.
    let new_only = ConnectOptions::tls(new.path().join("ca.crt"), None).unwrap();
    let old_only_file = cluster.dir.path().join("old-ca.crt");
    std::fs::write(&old_only_file, &old_ca).unwrap();
    let old_only = ConnectOptions::tls(&old_only_file, None).unwrap();
    for endpoint in &endpoints {
        let fresh = shoal_client::Client::connect_with(endpoint, &new_only)
            .await
            .unwrap();
        fresh.get("anything", false).await.unwrap();
        let served = match shoal_client::Client::connect_with(endpoint, &old_only).await {
            Err(_) => false,
            Ok(client) => client.get("anything", false).await.is_ok(),
        };
        assert!(
            !served,
            "{endpoint} still presents the old CA's certificate"
        );
    }
    let internal = cluster.nodes[0].ports.internal;
    let identify = |files: TlsFiles| async move {
        let tls = shoal_tls::ClientTls::load(files).unwrap();
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{internal}"))
            .unwrap()
            .connect_with_connector_lazy(shoal_tls::Connector::new(Some(tls)));
        ipb::raft_client::RaftClient::new(channel)
            .identify(ipb::IdentifyRequest {})
            .await
    };
    let files = |dir: &Path, base: &str, ca: &Path| TlsFiles {
        cert_file: Some(dir.join(format!("{base}.crt"))),
        key_file: Some(dir.join(format!("{base}.key"))),
        ca_file: Some(ca.to_path_buf()),
    };
    // node-2's files now hold its new-CA certificate.
    assert!(
        identify(files(&certs, "node-2", &certs.join("ca.crt")))
            .await
            .is_ok()
    );
    let stale = shoal_tls::generate_signed(
        &CertKind::Node {
            addresses: vec!["127.0.0.1".into()],
        },
        &old_ca,
        &std::fs::read_to_string(certs.join("ca.key")).unwrap(),
        YEAR,
    )
    .unwrap();
    shoal_tls::write_pem_pair(&certs, "stale", &stale, false).unwrap();
    assert!(
        identify(files(&certs, "stale", &both)).await.is_err(),
        "a node certificate of the retired CA was served"
    );
}
