//! The standard gRPC services of the client port: health (`grpc.health.v1`: NOT_SERVING
//! while the node is not ready, SERVING once it is, per service) and reflection (v1 with a
//! tonic client, v1alpha with Python's `grpcio-reflection` — clients shoal did not write),
//! listing the public services and not the internal ones — on a cluster that requires API
//! keys, which neither needs.

use std::time::Duration;

use futures::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::support::cluster::ProcessCluster;

async fn channel(address: &str) -> Channel {
    Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("the client port accepts")
}

/// What health says for `service`: its status, or the gRPC code of the refusal
/// (UNAVAILABLE when the port does not accept).
async fn health(address: &str, service: &str) -> Result<ServingStatus, tonic::Code> {
    let channel = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|_| tonic::Code::Unavailable)?;
    let mut client = HealthClient::new(channel);
    client
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map(|answer| answer.into_inner().status())
        .map_err(|status| status.code())
}

/// The services reflection v1 lists.
async fn reflected_services(address: &str) -> Vec<String> {
    let mut client = ServerReflectionClient::new(channel(address).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = client
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let answer = answers.next().await.expect("one answer").expect("no error");
    match answer.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("not a service list: {other:?}"),
    }
}

const PY_REFLECTION: &str = r#"
import sys, grpc
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
db = ProtoReflectionDescriptorDatabase(grpc.insecure_channel(sys.argv[1]))
print("services:", " ".join(sorted(db.get_services())))
kv = DescriptorPool(db).FindServiceByName("shoal.v1.KV")
print("kv methods:", " ".join(sorted(m.name for m in kv.methods)))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_readiness_and_reflection_lists_the_public_api() {
    // The client port in plaintext (the nodes still talk mTLS among themselves), so the
    // reflection and health clients need no certificates.
    let mut cluster = ProcessCluster::start_plaintext_ports(|config| {
        // With API keys required: health checks and reflection need none.
        config.server.auth.enabled = true;
    })
    .await;
    let address = cluster.node(1).client_address();

    for service in ["", "shoal.v1.KV", "shoal.v1.Cluster"] {
        assert_eq!(
            health(&address, service).await,
            Ok(ServingStatus::Serving),
            "{service:?}"
        );
    }
    assert_eq!(
        health(&address, "no.such.Service").await,
        Err(tonic::Code::NotFound)
    );

    let services = reflected_services(&address).await;
    for public in ["shoal.v1.KV", "shoal.v1.Cluster", "grpc.health.v1.Health"] {
        assert!(
            services.iter().any(|s| s == public),
            "{public} not in {services:?}"
        );
    }
    assert!(
        !services.iter().any(|s| s.starts_with("shoal.internal")),
        "internal services are not shown to clients: {services:?}"
    );

    let python = crate::support::python_with(&[
        ("grpcio", "grpc"),
        ("grpcio-reflection", "grpc_reflection"),
    ]);
    let output = std::process::Command::new(python)
        .args(["-c", PY_REFLECTION, &address])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python reflection client failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("shoal.v1.Cluster") && stdout.contains("shoal.v1.KV"),
        "{stdout}"
    );
    assert!(
        stdout.contains("kv methods: Batch Delete Get Put Touch"),
        "{stdout}"
    );

    // Node 1 alone cannot be ready (no quorum): its client port answers, health says
    // NOT_SERVING and the API UNAVAILABLE, until a second node is back.
    cluster.node(2).kill();
    cluster.node(3).kill();
    cluster.node(1).terminate().await.expect("node 1 ran");
    cluster.node(1).start();
    let not_serving = crate::support::wait_for(
        "node 1's client port to answer health checks",
        Duration::from_secs(30),
        || {
            let address = address.clone();
            async move { health(&address, "shoal.v1.KV").await.ok() }
        },
    )
    .await;
    assert_eq!(not_serving, ServingStatus::NotServing);
    let (_, report) = cluster.node(1).admin_get("/healthz?verbose").await;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["status"], "unhealthy", "{report}");
    assert_eq!(report["reasons"][0]["check"], "not_ready", "{report}");
    assert_eq!(health(&address, "").await, Ok(ServingStatus::NotServing));
    let refused = shoal_client::Client::connect(&address)
        .await
        .unwrap()
        .get("any", false)
        .await
        .expect_err("a node that is not ready serves nothing");
    assert_eq!(refused.code(), Some(tonic::Code::Unavailable), "{refused}");

    cluster.node(2).start();
    crate::support::wait_for("node 1 to report SERVING", Duration::from_secs(60), || {
        let address = address.clone();
        async move {
            (health(&address, "shoal.v1.KV").await == Ok(ServingStatus::Serving)).then_some(())
        }
    })
    .await;
    assert_eq!(health(&address, "").await, Ok(ServingStatus::Serving));
}
