//! Admin HTTP endpoints: `/healthz` (the process is alive; its body says what is wrong
//! when something is; `?verbose` answers JSON with `healthy | degraded | unhealthy` and
//! the reasons, see [`crate::health`]), `/readyz` (the node serves requests — and can take writes: a node
//! whose disk is full or below `storage.reserved_bytes` is not ready), `/metrics`
//! (Prometheus text format). With the hidden `--test-faults` flag,
//! also `/test/faults` for chaos runs (see [`apply_fault_query`]).
//!
//! HTTPS with the client API's certificate when `server.tls` is set (no client
//! certificates: probes and scrapers have none). The connections keep to the port's
//! limits (`shoal_tls::AcceptLimits`), and a request's headers must arrive within
//! [`HEADER_READ_TIMEOUT`] (slowloris).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use futures::StreamExt;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use shoal_consensus::{Fault, Transport};

use crate::metrics::Exporter;
use shoal_shardmap::NodeId;
use tokio_util::sync::CancellationToken;

/// A request's headers must arrive within this (also the longest a kept-alive connection
/// waits idle for its next request).
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn respond(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Whether the node serves requests, and if not, what it is waiting for (shown by
/// `/readyz` and logged).
#[derive(Debug, Default)]
pub struct Readiness {
    ready: AtomicBool,
    waiting_for: Mutex<String>,
    /// The data dir's free space, once storage is open.
    disk: OnceLock<Arc<shoal_consensus::storage::DiskSpace>>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// Records what the node waits for (shown by `/readyz` while not ready).
    pub fn waiting_for(&self, what: impl Into<String>) {
        *self.waiting_for.lock().expect("readiness poisoned") = what.into();
    }

    /// Watches the data dir's free space: below the reserve, or full, the node is not
    /// ready for writes.
    pub fn watch_disk(&self, disk: Arc<shoal_consensus::storage::DiskSpace>) {
        let _ = self.disk.set(disk);
    }

    /// Why the node cannot take writes now, when it cannot.
    pub(crate) fn write_refusal(&self) -> Option<String> {
        self.disk.get()?.refusal(true)
    }

    /// The data dir's free space, once storage is open.
    pub(crate) fn disk(&self) -> Option<&shoal_consensus::storage::DiskSpace> {
        self.disk.get().map(|disk| &**disk)
    }

    pub(crate) fn describe(&self) -> String {
        let waiting = self.waiting_for.lock().expect("readiness poisoned");
        if waiting.is_empty() {
            "starting\n".to_owned()
        } else {
            format!("not ready: {waiting}\n")
        }
    }
}

/// Applies a `/test/faults` query to this node's outgoing messages:
/// `delay_ms=N&to=2,3` delays messages to nodes 2 and 3, `drop&to=2` drops them,
/// `clear&to=2` removes the rule for node 2, `heal` removes every rule.
fn apply_fault_query(transport: &Transport, query: &str) -> Result<String, String> {
    let mut delay = None;
    let mut drop = false;
    let mut clear = false;
    let mut targets = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "heal" => {
                transport.faults().heal();
                return Ok("healed\n".into());
            }
            "delay_ms" => {
                let ms: u64 = value
                    .parse()
                    .map_err(|_| format!("bad delay_ms {value:?}"))?;
                delay = Some(std::time::Duration::from_millis(ms));
            }
            "drop" => drop = true,
            "clear" => clear = true,
            "to" => {
                for id in value.split(',').filter(|v| !v.is_empty()) {
                    targets.push(
                        id.parse::<u64>()
                            .map_err(|_| format!("bad node id {id:?}"))?,
                    );
                }
            }
            other => return Err(format!("unknown parameter {other:?}")),
        }
    }
    if targets.is_empty() {
        return Err("name the peers with to=ID,ID".into());
    }
    for target in &targets {
        match (delay, drop, clear) {
            (Some(delay), false, false) => {
                transport.faults().set(NodeId(*target), Fault::Delay(delay))
            }
            (None, true, false) => transport.faults().set(NodeId(*target), Fault::Drop),
            (None, false, true) => transport.faults().clear(NodeId(*target)),
            _ => return Err("give exactly one of delay_ms=N, drop, clear, heal".into()),
        }
    }
    Ok(format!("ok: {query}\n"))
}

async fn handle(
    request: Request<Incoming>,
    ready: Arc<Readiness>,
    exporter: Arc<Exporter>,
    faults: Option<Arc<Transport>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if let (Some(transport), "/test/faults") = (&faults, request.uri().path()) {
        let query = request.uri().query().unwrap_or_default();
        return Ok(match apply_fault_query(transport, query) {
            Ok(done) => respond(StatusCode::OK, done),
            Err(error) => respond(StatusCode::BAD_REQUEST, format!("{error}\n")),
        });
    }
    let verbose = request.uri().query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair == "verbose" || pair == "verbose=1")
    });
    Ok(match request.uri().path() {
        // What is wrong, as JSON; always 200: it is the liveness endpoint.
        "/healthz" if verbose => {
            let report = crate::health::report(&exporter);
            let mut response = respond(
                StatusCode::OK,
                serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
            );
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
        "/ui" | "/ui/" => {
            let mut response = respond(StatusCode::OK, crate::ui::PAGE);
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
        "/api/status" | "/api/moves" => crate::ui::api(&exporter, request.uri().path()).await,
        // Alive, whatever else: a restart would not free the disk.
        "/healthz" => match ready.write_refusal() {
            None => respond(StatusCode::OK, "ok\n"),
            Some(why) => respond(StatusCode::OK, format!("ok; not ready for writes: {why}\n")),
        },
        "/readyz" if !ready.is_ready() => {
            respond(StatusCode::SERVICE_UNAVAILABLE, ready.describe())
        }
        "/readyz" => match ready.write_refusal() {
            None => respond(StatusCode::OK, "ready\n"),
            Some(why) => respond(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready for writes: {why}\n"),
            ),
        },
        "/metrics" => match exporter.render() {
            Some(text) => respond(StatusCode::OK, text),
            None => respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "metrics recorder unavailable\n",
            ),
        },
        _ => respond(
            StatusCode::NOT_FOUND,
            "not found: try /ui, /healthz, /healthz?verbose, /readyz, /metrics, /api/status or /api/moves\n",
        ),
    })
}

/// Serves the admin endpoints until `cancel` fires.
pub async fn serve(
    mut incoming: shoal_tls::Incoming,
    ready: Arc<Readiness>,
    exporter: Arc<Exporter>,
    faults: Option<Arc<Transport>>,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = incoming.next() => accepted,
        };
        let stream = match accepted {
            None => return,
            Some(Ok(stream)) => stream,
            Some(Err(_)) => continue,
        };
        let ready = ready.clone();
        let exporter = exporter.clone();
        let faults = faults.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                handle(request, ready.clone(), exporter.clone(), faults.clone())
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
