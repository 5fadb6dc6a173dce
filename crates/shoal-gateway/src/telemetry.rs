//! Telemetry of the client port, as one tower layer (outermost, so requests refused by the
//! concurrency limit, the size limit or authentication are counted too): the metrics
//! `shoal_grpc_requests_total{rpc, code}` and `shoal_grpc_request_duration_seconds{rpc}`,
//! and each request's server span (DEBUG, exported only when traces are on), a child of
//! the caller's span when the request carries W3C trace context (`traceparent`; head
//! sampling decided here, see [`set_sample_ratio`]). The
//! helpers [`traceparent_of`] and [`continue_trace`] carry the context over the internal
//! hop of a forwarded request.
//!
//! The `rpc` label is one of the client API's methods ([`RPCS`]), a health check, or
//! `other`: a client cannot grow the label set by calling made-up paths. The code is the
//! gRPC status of the answer: a failed call carries it in its headers, a successful one
//! (OK) in its trailers. The duration runs until the answer's headers (the whole call, for
//! unary RPCs).

use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::propagation::{Extractor, Injector};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The W3C trace-context header.
pub const TRACEPARENT: &str = "traceparent";

/// The share of requests without a caller's trace context that are traced (an `f64`'s
/// bits; 1.0 until [`set_sample_ratio`]). The decision is made here, before any span is
/// built: an untraced request builds none, on this node or the next (its forward carries
/// no trace context, and the spans below a request are made only inside a traced one).
static SAMPLE_RATIO: AtomicU64 = AtomicU64::new(0x3FF0_0000_0000_0000);

/// Sets the share of requests traced when the caller sent no trace context (0.0–1.0).
pub fn set_sample_ratio(ratio: f64) {
    SAMPLE_RATIO.store(ratio.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
}

/// Whether a request is traced: as its caller decided (the sampled flag of its
/// `traceparent`), else by the ratio.
fn traced(traceparent: Option<&str>) -> bool {
    match traceparent.and_then(|value| value.rsplit('-').next()) {
        Some(flags) => u8::from_str_radix(flags, 16).is_ok_and(|flags| flags & 1 == 1),
        None => {
            let ratio = f64::from_bits(SAMPLE_RATIO.load(Ordering::Relaxed));
            ratio >= 1.0 || (ratio > 0.0 && rand::random::<f64>() < ratio)
        }
    }
}

/// The `traceparent` value of `span`'s context, to send with a request; None when the
/// span is not exported (traces off) or has no valid context.
pub fn traceparent_of(span: &tracing::Span) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    struct One(Option<String>);
    impl Injector for One {
        fn set(&mut self, key: &str, value: String) {
            if key == TRACEPARENT {
                self.0 = Some(value);
            }
        }
    }
    let mut carrier = One(None);
    let context = span.context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier);
    });
    carrier.0
}

/// Makes `span` a child of the remote span `traceparent` names (nothing when it is empty
/// or malformed, or when `span` is not exported).
pub fn continue_trace(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(value) = traceparent.filter(|value| !value.is_empty()) else {
        return;
    };
    if span.is_disabled() {
        return;
    }
    struct One<'a>(&'a str);
    impl Extractor for One<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            (key == TRACEPARENT).then_some(self.0)
        }
        fn keys(&self) -> Vec<&str> {
            vec![TRACEPARENT]
        }
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&One(value))
    });
    let _ = span.set_parent(parent);
}

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

/// The gRPC status code of an answer: its `grpc-status` header, OK (0) when there is
/// none (the status then follows in the trailers of a successful call), UNKNOWN (2) when
/// it is not a code.
fn code_of(headers: &http::HeaderMap) -> usize {
    match headers.get("grpc-status") {
        None => 0,
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.parse::<usize>().ok())
            .filter(|code| *code < CODES.len())
            .unwrap_or(2),
    }
}

/// Every `rpc` label: the client API's methods, then the health checks and `other`.
fn all_rpcs() -> impl Iterator<Item = &'static str> {
    RPCS.iter()
        .copied()
        .chain(["Health/Check", "Health/Watch", "other"])
}

/// The request counter of (`rpc`, `code`) and the duration histogram of `rpc`, each
/// registered on its first use (a series appears once it has counted something) and held,
/// instead of looked up by name and labels on every request.
fn handles(
    rpc: &'static str,
    code: usize,
) -> (&'static metrics::Counter, &'static metrics::Histogram) {
    type Slots<T> = Vec<std::sync::OnceLock<T>>;
    static REQUESTS: std::sync::OnceLock<Slots<metrics::Counter>> = std::sync::OnceLock::new();
    static DURATIONS: std::sync::OnceLock<Slots<metrics::Histogram>> = std::sync::OnceLock::new();
    let count = all_rpcs().count();
    let requests = REQUESTS.get_or_init(|| {
        (0..count * CODES.len())
            .map(|_| Default::default())
            .collect()
    });
    let durations = DURATIONS.get_or_init(|| (0..count).map(|_| Default::default()).collect());
    let at = all_rpcs()
        .position(|known| known == rpc)
        .unwrap_or(count - 1);
    let label = CODES[code];
    (
        requests[at * CODES.len() + code].get_or_init(
            || metrics::counter!("shoal_grpc_requests_total", "rpc" => rpc, "code" => label),
        ),
        durations[at].get_or_init(
            || metrics::histogram!("shoal_grpc_request_duration_seconds", "rpc" => rpc),
        ),
    )
}

/// The layer; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestTelemetryLayer;

impl<S> tower::Layer<S> for RequestTelemetryLayer {
    type Service = RequestTelemetry<S>;

    fn layer(&self, inner: S) -> RequestTelemetry<S> {
        RequestTelemetry { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RequestTelemetry<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for RequestTelemetry<S>
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
        // Sampled first: a span that is built is exported when it closes.
        let parent = request
            .headers()
            .get(TRACEPARENT)
            .and_then(|value| value.to_str().ok());
        let span = if traced(parent) {
            let span = tracing::debug_span!(
                "request",
                otel.name = rpc,
                otel.kind = "server",
                otel.status_code = tracing::field::Empty,
                rpc.system = "grpc",
                rpc.method = rpc,
                rpc.grpc.status_code = tracing::field::Empty,
            );
            continue_trace(&span, parent);
            span
        } else {
            tracing::Span::none()
        };
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(
            async move {
                let answer = future.await;
                let code = match &answer {
                    Ok(response) => code_of(response.headers()),
                    Err(_) => 2,
                };
                let span = tracing::Span::current();
                span.record("rpc.grpc.status_code", code);
                if code != 0 {
                    span.record("otel.status_code", "ERROR");
                }
                let (requests, duration) = handles(rpc, code);
                requests.increment(1);
                duration.record(started.elapsed().as_secs_f64());
                answer
            }
            .instrument(span),
        )
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
    fn the_callers_sampled_flag_decides_then_the_ratio() {
        let sampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        set_sample_ratio(0.0);
        assert!(traced(Some(sampled)));
        assert!(!traced(Some(unsampled)));
        assert!(!traced(None));
        set_sample_ratio(1.0);
        assert!(!traced(Some(unsampled)));
        assert!(traced(None));
        set_sample_ratio(0.25);
        let hits = (0..4_000).filter(|_| traced(None)).count();
        assert!((700..1_300).contains(&hits), "{hits} of 4000 at 25%");
        set_sample_ratio(1.0);
    }

    #[test]
    fn the_code_comes_from_the_status_header() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(CODES[code_of(&headers)], "OK");
        headers.insert("grpc-status", http::HeaderValue::from_static("14"));
        assert_eq!(CODES[code_of(&headers)], "UNAVAILABLE");
        headers.insert("grpc-status", http::HeaderValue::from_static("99"));
        assert_eq!(CODES[code_of(&headers)], "UNKNOWN");
    }
}
