//! Request metrics of the client port, as one tower layer (outermost, so requests refused
//! by the concurrency limit, the size limit or authentication are counted too):
//! `shoal_grpc_requests_total{rpc, code}` and `shoal_grpc_request_duration_seconds{rpc}`.
//!
//! The `rpc` label is one of the client API's methods ([`RPCS`]), a health check, or
//! `other`: a client
//! cannot grow the label set by calling made-up paths. The code is the gRPC status of the
//! answer: a failed call carries it in its headers, a successful one (OK) in its trailers.
//! The duration runs until the answer's headers (the whole call, for unary RPCs).

use std::task::{Context, Poll};
use std::time::Instant;

/// The client API's methods, as `Service/Method` (checked against the generated server
/// code by a test).
pub const RPCS: &[&str] = &[
    "KV/Get",
    "KV/Put",
    "KV/Delete",
    "KV/Touch",
    "KV/Batch",
    "Cluster/Status",
    "Cluster/Members",
    "Cluster/GetShardMap",
    "Cluster/ListMoves",
    "Cluster/ListJobs",
    "Cluster/ChangeShardReplicas",
    "Cluster/TransferLeader",
    "Cluster/Rebalance",
    "Cluster/DrainNode",
    "Cluster/DecommissionNode",
    "Cluster/CheckConsistency",
    "Cluster/CreateApiKey",
    "Cluster/ListApiKeys",
    "Cluster/RevokeApiKey",
    "Cluster/ListAudit",
];

/// The `rpc` label of a request path: a client API method, `Health/Check` or
/// `Health/Watch`, or `other` (reflection, unknown paths).
pub fn rpc_label(path: &str) -> &'static str {
    if let Some(rpc) = path.strip_prefix("/shoal.v1.") {
        return RPCS
            .iter()
            .find(|known| **known == rpc)
            .copied()
            .unwrap_or("other");
    }
    match path {
        "/grpc.health.v1.Health/Check" => "Health/Check",
        "/grpc.health.v1.Health/Watch" => "Health/Watch",
        _ => "other",
    }
}

/// gRPC status codes by number, as their canonical names.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The `code` label of an answer: its `grpc-status` header, OK when there is none (the
/// status then follows in the trailers of a successful call).
fn code_label(headers: &http::HeaderMap) -> &'static str {
    match headers.get("grpc-status") {
        None => "OK",
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.parse::<usize>().ok())
            .and_then(|code| CODES.get(code).copied())
            .unwrap_or("UNKNOWN"),
    }
}

/// The layer; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestMetricsLayer;

impl<S> tower::Layer<S> for RequestMetricsLayer {
    type Service = RequestMetrics<S>;

    fn layer(&self, inner: S) -> RequestMetrics<S> {
        RequestMetrics { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RequestMetrics<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for RequestMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<http::Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let rpc = rpc_label(request.uri().path());
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let answer = future.await;
            let code = match &answer {
                Ok(response) => code_label(response.headers()),
                Err(_) => "UNKNOWN",
            };
            metrics::counter!("shoal_grpc_requests_total", "rpc" => rpc, "code" => code)
                .increment(1);
            metrics::histogram!("shoal_grpc_request_duration_seconds", "rpc" => rpc)
                .record(started.elapsed().as_secs_f64());
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_rpc_has_its_label_and_nothing_else_does() {
        let generated = include_str!("../../shoal-proto/src/gen/shoal.v1.rs");
        let mut served: Vec<&str> = generated
            .split('"')
            .filter_map(|text| text.strip_prefix("/shoal.v1."))
            .filter(|rpc| rpc.contains('/') && !rpc.contains(' '))
            .collect();
        served.sort_unstable();
        served.dedup();
        let mut known = RPCS.to_vec();
        known.sort_unstable();
        assert_eq!(
            served, known,
            "RPCS must list every method the client port serves"
        );
        for rpc in RPCS {
            assert_eq!(rpc_label(&format!("/shoal.v1.{rpc}")), *rpc);
        }
        assert_eq!(rpc_label("/shoal.v1.KV/Made-up"), "other");
        assert_eq!(rpc_label("/anything/else"), "other");
    }

    #[test]
    fn the_code_comes_from_the_status_header() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(code_label(&headers), "OK");
        headers.insert("grpc-status", http::HeaderValue::from_static("14"));
        assert_eq!(code_label(&headers), "UNAVAILABLE");
        headers.insert("grpc-status", http::HeaderValue::from_static("99"));
        assert_eq!(code_label(&headers), "UNKNOWN");
    }
}
