//! An OTLP/gRPC trace receiver that counts the spans it is sent and drops them: the
//! receiver of the telemetry-cost benchmark (`scripts/bench-telemetry.sh`), standing in for
//! a Jaeger or a collector on the same machine.
//!
//! `cargo run --release -p shoal-node --example otlp_sink -- 127.0.0.1:4317` prints the
//! spans received so far every second it received any, and the totals (by span name) when
//! interrupted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::{Request, Response, Status};

#[derive(Clone, Default)]
struct Sink {
    spans: Arc<AtomicU64>,
    /// Spans received by name.
    names: Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>>,
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let request = request.into_inner();
        let mut names = self.names.lock().expect("names poisoned");
        for span in request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
        {
            self.spans.fetch_add(1, Ordering::Relaxed);
            *names.entry(span.name.clone()).or_default() += 1;
        }
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4317".into())
        .parse()?;
    let sink = Sink::default();
    let spans = sink.spans.clone();
    tokio::spawn(async move {
        let mut last = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = spans.load(Ordering::Relaxed);
            if now != last {
                println!("spans={now}");
                last = now;
            }
        }
    });
    let total = sink.spans.clone();
    let names = sink.names.clone();
    tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(sink))
        .serve_with_shutdown(address, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    for (name, count) in names.lock().expect("names poisoned").iter() {
        println!("  {name}: {count}");
    }
    println!("total spans={}", total.load(Ordering::Relaxed));
    Ok(())
}
