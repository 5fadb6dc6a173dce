//! Traces across nodes: a 3-node cluster exporting over OTLP/gRPC to an in-process receiver
//! (a tonic server of `opentelemetry-proto`'s collector service). One Put carrying the
//! caller's W3C `traceparent`, sent to a node that does not lead the key's shard, is one
//! trace: the request span on that node (a child of the caller's span), its forward, the
//! forwarded request on the leader and the leader's Raft proposal, each the parent of the
//! next, from both nodes; the durable log writes of its entry (on the leader and on the
//! followers) and its replication to each follower are spans linked to the proposal; a
//! request its caller did not sample builds no span.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use shoal_proto::v1 as pb;
use tonic::{Request, Response, Status};

use crate::support::cluster::{ProcessCluster, key_in_shard, wait_for_healthy};

/// A span as received, with the `service.instance.id` of the node that sent it.
#[derive(Debug, Clone)]
struct Received {
    node: String,
    name: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    /// The span ids of its links.
    links: Vec<String>,
    /// Its `peer` attribute, if it has one.
    peer: Option<String>,
}

#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Received>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let node = resource_spans
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find(|kv| kv.key == "service.instance.id")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(text) => Some(text.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    spans.push(Received {
                        node: node.clone(),
                        name: span.name,
                        trace_id: span.trace_id,
                        span_id: span.span_id,
                        parent_span_id: span.parent_span_id,
                        links: span.links.iter().map(|link| hex(&link.span_id)).collect(),
                        peer: span
                            .attributes
                            .iter()
                            .find(|kv| kv.key == "peer")
                            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                                Value::StringValue(text) => Some(text.clone()),
                                Value::IntValue(number) => Some(number.to_string()),
                                _ => None,
                            }),
                    });
                }
            }
        }
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_sent_to_a_follower_is_one_trace_with_spans_from_both_nodes() {
    let receiver = Receiver::default();
    let incoming =
        tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let endpoint = format!("http://{}", incoming.local_addr().unwrap());
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(incoming),
    );

    // Plaintext client port: the test sends its own metadata with a bare tonic client.
    let mut cluster = ProcessCluster::start_plaintext_ports(|config| {
        config.telemetry.otlp_endpoint = Some(endpoint.clone());
    })
    .await;
    let address = cluster.node(1).client_address();
    let client = shoal_client::Client::connect(&address).await.unwrap();
    let status = wait_for_healthy(&client, Duration::from_secs(30)).await;
    let shard = status
        .shards
        .iter()
        .find(|s| s.leader_id != 1)
        .expect("another node leads a shard");
    let key = key_in_shard(shard.shard_id, 4, "traced");

    // A caller that did not sample its request: nothing of it is traced (sent first, so
    // its spans, were there any, would arrive before the sampled request's).
    let unsampled_trace = "0af7651916cd43dd8448eb211c80319c";
    let mut kv = pb::kv_client::KvClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    let mut request = Request::new(pb::PutRequest {
        key: key.clone().into_bytes(),
        value: b"untraced".to_vec(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{unsampled_trace}-b7ad6b7169203331-00")
            .parse()
            .unwrap(),
    );
    kv.put(request).await.expect("the unsampled put succeeds");

    // The caller's own trace: 4bf92f35… as trace id, 00f067aa0ba902b7 as its span.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let mut request = Request::new(pb::PutRequest {
        key: key.clone().into_bytes(),
        value: b"traced".to_vec(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{caller_span}-01").parse().unwrap(),
    );
    kv.put(request).await.expect("the put succeeds");

    // The batch exporters send within seconds.
    let wanted = ["KV/Put", "FORWARD_KIND_PUT", "raft.propose"];
    let mut trace: Vec<Received> = Vec::new();
    for _ in 0..300 {
        trace = receiver
            .spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| hex(&s.trace_id) == trace_id)
            .cloned()
            .collect();
        let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
        if wanted
            .iter()
            .all(|w| names.iter().filter(|n| *n == w).count() >= 1)
            && names.iter().filter(|n| **n == "FORWARD_KIND_PUT").count() >= 2
            && names.iter().filter(|n| **n == "raft.append").count() >= 3
            && names.iter().filter(|n| **n == "raft.replicate").count() >= 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let by_id: BTreeMap<String, &Received> = trace.iter().map(|s| (hex(&s.span_id), s)).collect();
    let find = |name: &str, node: &str| {
        trace
            .iter()
            .find(|s| s.name == name && s.node == node)
            .unwrap_or_else(|| panic!("no {name} span from node {node} in {trace:#?}"))
    };
    let leader = shard.leader_id.to_string();
    let request_span = find("KV/Put", "1");
    assert_eq!(
        hex(&request_span.parent_span_id),
        caller_span,
        "the caller's span is the parent"
    );
    // On node 1, the forward (client side); on the leader, the forwarded request (server
    // side) and the proposal.
    let forward = trace
        .iter()
        .find(|s| s.name == "FORWARD_KIND_PUT" && s.node == "1")
        .unwrap_or_else(|| panic!("no forward span on node 1: {trace:#?}"));
    let forwarded = find("FORWARD_KIND_PUT", &leader);
    let propose = find("raft.propose", &leader);
    assert_eq!(hex(&forward.parent_span_id), hex(&request_span.span_id));
    assert_eq!(hex(&forwarded.parent_span_id), hex(&forward.span_id));
    assert_eq!(
        by_id
            .get(&hex(&propose.parent_span_id))
            .map(|s| s.name.as_str()),
        Some("FORWARD_KIND_PUT"),
        "the proposal is a child of the forwarded request: {trace:#?}"
    );
    // Replication: the log write of the entry on every replica and its append to each
    // follower link to the proposal (and sit below it in its trace).
    let proposal = hex(&propose.span_id);
    let linked = |name: &str| -> Vec<&Received> {
        trace
            .iter()
            .filter(|s| s.name == name && s.links.contains(&proposal))
            .collect()
    };
    let appends = linked("raft.append");
    let written_on: std::collections::BTreeSet<&str> =
        appends.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(
        written_on.len(),
        3,
        "the entry's log write on each of the 3 replicas links to the proposal: {trace:#?}"
    );
    assert!(
        appends.iter().all(|s| hex(&s.parent_span_id) == proposal),
        "a log write is a child of the (first) proposal it holds: {appends:#?}"
    );
    let replicates = linked("raft.replicate");
    let sent_to: std::collections::BTreeSet<&str> = replicates
        .iter()
        .filter_map(|s| s.peer.as_deref())
        .collect();
    assert!(
        sent_to.len() == 2 && replicates.iter().all(|s| s.node == leader),
        "the leader's appends to both followers link to the proposal: {trace:#?}"
    );
    // Idle loops and heartbeats make no spans: every span received belongs to a request
    // or a control operation.
    // (A proposal's span ends after its replication spans, and the nodes export in
    // batches: a replication span may arrive a moment before its proposal.)
    let unexplained = |spans: &[Received]| -> Vec<Received> {
        spans
            .iter()
            .filter(|s| {
                !(s.name.contains('/')
                    || s.name.starts_with("FORWARD_KIND_")
                    || s.name.starts_with("raft.propose")
                    || s.name.starts_with("raft.read")
                    || s.name.starts_with("control."))
            })
            .filter(|s| {
                // Replication spans exist only for entries a traced request proposed: each
                // links to a proposal and sits in that proposal's trace.
                let replication = s.name == "raft.append" || s.name == "raft.replicate";
                !(replication
                    && spans.iter().any(|p| {
                        p.name.starts_with("raft.propose")
                            && p.trace_id == s.trace_id
                            && s.links.contains(&hex(&p.span_id))
                    }))
            })
            .cloned()
            .collect()
    };
    let mut spans = receiver.spans.lock().unwrap().clone();
    let mut other = unexplained(&spans);
    for _ in 0..50 {
        if other.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        spans = receiver.spans.lock().unwrap().clone();
        other = unexplained(&spans);
    }
    assert!(
        other.is_empty(),
        "spans that belong to no operation: {other:#?}"
    );
    assert!(
        !spans.iter().any(|s| hex(&s.trace_id) == unsampled_trace),
        "a request its caller did not sample was traced"
    );
    drop(cluster);
    server.abort();
}
