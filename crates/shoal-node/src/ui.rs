//! The status page on the admin port: `/ui`, one self-contained HTML page (its script and
//! style inline, compiled into the binary — no CDN), and the JSON it reads: `/api/status`
//! (what `Cluster/Status` answers, the same document as `shoal cluster status --json`),
//! `/api/moves` (`shoal cluster moves --json`), and `/metrics` for the request rate and
//! latency. The page refreshes itself every two seconds.
//!
//! The admin port serves reads only and takes no API key: the page shows addresses, states
//! and counts, never keys or values.

use http::{Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;

use crate::metrics::Exporter;

/// The page.
pub const PAGE: &str = include_str!("ui/index.html");

/// `/api/status` or `/api/moves`, as JSON (503 with the reason while the node starts or
/// when the answer cannot be gathered).
pub async fn api(exporter: &Exporter, path: &str) -> Response<Full<Bytes>> {
    let Some(node) = exporter.node() else {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "error": "the node is still starting" }).to_string(),
        );
    };
    let answer = if path == "/api/moves" {
        shoal_gateway::moves_report(&node.cell, &node.gateway)
            .await
            .map(|moves| serde_json::to_string_pretty(&moves))
    } else {
        shoal_gateway::status_report(&node.cell, &node.gateway)
            .await
            .map(|status| serde_json::to_string_pretty(&status))
    };
    match answer {
        Ok(Ok(text)) => json(StatusCode::OK, text + "\n"),
        Ok(Err(error)) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({ "error": error.to_string() }).to_string(),
        ),
        Err(status) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "error": status.message() }).to_string(),
        ),
    }
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
