//! Forwarding a client request to its shard's leader on the node-pair stream, batched with
//! the Raft messages of every group between the two nodes (`PEER_KIND_FORWARD`), instead of
//! one unary gRPC call per request; and serving the requests peers forward here.
//!
//! A forward carries the shoal.v1 request as bytes; the answer is the response, or the
//! status a direct call would have failed with, metadata included (leader hints, versions,
//! not-applied), so the caller handles both paths alike. A peer that does not take forwards
//! on its pipe (an older release, or still starting) refuses them before doing anything,
//! and the request goes as a unary call instead.

use std::future::Future;
use std::sync::Arc;

use prost::Message;
use shoal_consensus::{ForwardHandler, PeerChannel, PipeError};
use shoal_proto::internal::{ForwardAnswer, ForwardKind, ForwardRequest};
use shoal_proto::v1 as pb;
use shoal_proto::v1::kv_client::KvClient;
use shoal_proto::v1::kv_server::Kv;
use shoal_shardmap::NodeId;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::{Code, Request, Status};
use tracing::Instrument as _;

use crate::kv::KvService;
use crate::peer::PeerCalls;
use crate::status::{internal, not_sent, rebuilt, to_status, undecodable};
use crate::{BackendCell, GatewaySettings, Mode};
use shoal_replication::ReplicationError;

/// The KV service of one peer, reached on the pipe to it.
pub(crate) struct PeerKv {
    pub(crate) peers: PeerCalls,
    pub(crate) node: NodeId,
    pub(crate) address: String,
    /// The caller's API key id, for the serving node to check (None: auth off).
    pub(crate) caller_key: Option<String>,
}

impl PeerKv {
    pub(crate) async fn put(&self, request: pb::PutRequest) -> Result<pb::PutResponse, Status> {
        self.call(ForwardKind::Put, request, |mut kv, request| async move {
            Ok(kv.put(request).await?.into_inner())
        })
        .await
    }

    pub(crate) async fn get(&self, request: pb::GetRequest) -> Result<pb::GetResponse, Status> {
        self.call(ForwardKind::Get, request, |mut kv, request| async move {
            Ok(kv.get(request).await?.into_inner())
        })
        .await
    }

    pub(crate) async fn delete(
        &self,
        request: pb::DeleteRequest,
    ) -> Result<pb::DeleteResponse, Status> {
        self.call(ForwardKind::Delete, request, |mut kv, request| async move {
            Ok(kv.delete(request).await?.into_inner())
        })
        .await
    }

    pub(crate) async fn touch(
        &self,
        request: pb::TouchRequest,
    ) -> Result<pb::TouchResponse, Status> {
        self.call(ForwardKind::Touch, request, |mut kv, request| async move {
            Ok(kv.touch(request).await?.into_inner())
        })
        .await
    }

    pub(crate) async fn batch(
        &self,
        request: pb::BatchRequest,
    ) -> Result<pb::BatchResponse, Status> {
        self.call(ForwardKind::Batch, request, |kv, request| async move {
            let mut kv = kv
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX);
            Ok(kv.batch(request).await?.into_inner())
        })
        .await
    }

    async fn call<Req, Resp, F, Fut>(
        &self,
        kind: ForwardKind,
        request: Req,
        unary: F,
    ) -> Result<Resp, Status>
    where
        Req: Message,
        Resp: Message + Default,
        F: FnOnce(KvClient<PeerChannel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<Resp, Status>>,
    {
        let span = shoal_consensus::child_span(|| {
            tracing::debug_span!(
                "forward",
                otel.name = kind.as_str_name(),
                otel.kind = "client",
                peer = self.node.0,
            )
        });
        let traceparent = crate::telemetry::traceparent_of(&span);
        self.send(kind, request, unary, traceparent)
            .instrument(span)
            .await
    }

    async fn send<Req, Resp, F, Fut>(
        &self,
        kind: ForwardKind,
        request: Req,
        unary: F,
        traceparent: Option<String>,
    ) -> Result<Resp, Status>
    where
        Req: Message,
        Resp: Message + Default,
        F: FnOnce(KvClient<PeerChannel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<Resp, Status>>,
    {
        let payload = ForwardRequest {
            kind: kind as i32,
            request: request.encode_to_vec(),
            caller_key_id: self.caller_key.clone().unwrap_or_default(),
            traceparent: traceparent.clone().unwrap_or_default(),
        }
        .encode_to_vec();
        let (node, address) = (self.node, &self.address);
        match self.peers.forward(node, address, payload).await {
            Ok(answer) => {
                metrics::counter!("shoal_requests_forwarded_total", "via" => "pipe").increment(1);
                answer_of(&answer)
            }
            Err(PipeError::Unsupported) => {
                metrics::counter!("shoal_requests_forwarded_total", "via" => "call").increment(1);
                let channel = self
                    .peers
                    .channel(node, address)
                    .map_err(|error| not_sent(error.to_string()))?;
                let mut request = self.peers.forwarded(request);
                if let Some(key) = self.caller_key.as_deref().and_then(|k| k.parse().ok()) {
                    request
                        .metadata_mut()
                        .insert(shoal_proto::metadata::CALLER_KEY, key);
                }
                if let Some(value) = traceparent.and_then(|t| t.parse().ok()) {
                    request
                        .metadata_mut()
                        .insert(crate::telemetry::TRACEPARENT, value);
                }
                unary(KvClient::new(channel), request).await
            }
            Err(PipeError::NotSent(why)) => {
                Err(not_sent(format!("node {node} at {address}: {why}")))
            }
            Err(PipeError::Lost(why)) => Err(to_status(ReplicationError::Unavailable(format!(
                "node {node} at {address}: {why}; the request's outcome is unknown"
            )))),
        }
    }
}

fn answer_of<Resp: Message + Default>(bytes: &[u8]) -> Result<Resp, Status> {
    let answer = ForwardAnswer::decode(bytes)
        .map_err(|error| internal(format!("undecodable forward answer: {error}")))?;
    if answer.code == Code::Ok as i32 {
        return Resp::decode(answer.response.as_slice())
            .map_err(|error| internal(format!("undecodable forwarded response: {error}")));
    }
    let mut metadata = MetadataMap::new();
    for (key, value) in &answer.metadata {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value.as_str()),
        ) {
            metadata.insert(key, value);
        }
    }
    Err(rebuilt(
        Code::from_i32(answer.code),
        answer.message,
        metadata,
    ))
}

fn answer_from<Resp: Message>(outcome: Result<tonic::Response<Resp>, Status>) -> ForwardAnswer {
    match outcome {
        Ok(response) => ForwardAnswer {
            code: Code::Ok as i32,
            response: response.into_inner().encode_to_vec(),
            ..ForwardAnswer::default()
        },
        Err(status) => failed(&status),
    }
}

/// The answer for a request that failed with `status`, its ASCII metadata included.
fn failed(status: &Status) -> ForwardAnswer {
    ForwardAnswer {
        code: status.code() as i32,
        response: Vec::new(),
        message: status.message().to_owned(),
        metadata: status
            .metadata()
            .iter()
            .filter_map(|entry| match entry {
                tonic::metadata::KeyAndValueRef::Ascii(key, value) => {
                    Some((key.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                }
                tonic::metadata::KeyAndValueRef::Binary(..) => None,
            })
            .collect(),
    }
}

/// Decodes a request of type `Req` (with the caller's key id, when the forwarding node
/// sent one) and answers it with `handle`.
async fn serve_as<Req, Resp, F, Fut>(bytes: &[u8], caller_key: &str, handle: F) -> ForwardAnswer
where
    Req: Message + Default,
    Resp: Message,
    F: FnOnce(Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<Resp>, Status>>,
{
    match Req::decode(bytes) {
        Ok(request) => {
            let mut request = Request::new(request);
            if let Ok(key) = caller_key.parse()
                && !caller_key.is_empty()
            {
                request
                    .metadata_mut()
                    .insert(shoal_proto::metadata::CALLER_KEY, key);
            }
            answer_from(handle(request).await)
        }
        Err(error) => failed(&undecodable(error.to_string())),
    }
}

async fn serve_one(service: &KvService, payload: &[u8]) -> ForwardAnswer {
    let forwarded = match ForwardRequest::decode(payload) {
        Ok(forwarded) => forwarded,
        Err(error) => return failed(&undecodable(error.to_string())),
    };
    let bytes = forwarded.request.as_slice();
    let caller = forwarded.caller_key_id.as_str();
    let kind = ForwardKind::try_from(forwarded.kind);
    // Traced only when the forwarding node traced the request (it sent its context).
    let span = if forwarded.traceparent.is_empty() {
        tracing::Span::none()
    } else {
        tracing::debug_span!(
            "forwarded",
            otel.name = kind.map_or("unknown", |kind| kind.as_str_name()),
            otel.kind = "server",
        )
    };
    crate::telemetry::continue_trace(&span, Some(&forwarded.traceparent));
    serve_kind(service, kind, bytes, caller, forwarded.kind)
        .instrument(span)
        .await
}

async fn serve_kind(
    service: &KvService,
    kind: Result<ForwardKind, prost::UnknownEnumValue>,
    bytes: &[u8],
    caller: &str,
    raw_kind: i32,
) -> ForwardAnswer {
    match kind {
        Ok(ForwardKind::Put) => serve_as(bytes, caller, |r| service.put(r)).await,
        Ok(ForwardKind::Get) => serve_as(bytes, caller, |r| service.get(r)).await,
        Ok(ForwardKind::Delete) => serve_as(bytes, caller, |r| service.delete(r)).await,
        Ok(ForwardKind::Touch) => serve_as(bytes, caller, |r| service.touch(r)).await,
        Ok(ForwardKind::Batch) => serve_as(bytes, caller, |r| service.batch(r)).await,
        Ok(ForwardKind::Unspecified) | Err(_) => failed(&to_status(ReplicationError::Unsupported(
            format!("unknown forwarded request kind {raw_kind}"),
        ))),
    }
}

/// Serves the requests peers forward to this node on their pipes, as the internal KV
/// service would (never forwarding them again). The handler holds the backend weakly: the
/// transport keeps the handler, and the backend keeps the transport.
pub fn forward_handler(cell: &BackendCell, settings: &GatewaySettings) -> ForwardHandler {
    let cell = Arc::downgrade(cell);
    let settings = settings.clone();
    ForwardHandler(Arc::new(move |payload| {
        let cell = cell.upgrade();
        let settings = settings.clone();
        Box::pin(async move {
            let answer = match cell {
                Some(cell) => {
                    let service = KvService::new(cell, settings, Mode::Forwarded);
                    serve_one(&service, &payload).await
                }
                None => failed(&to_status(ReplicationError::Unavailable(
                    "the node is shutting down".into(),
                ))),
            };
            answer.encode_to_vec()
        })
    }))
}
