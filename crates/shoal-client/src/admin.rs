//! A node's admin port (`/healthz`, `/readyz`, `/metrics`): one HTTP/1.1 GET, plain or
//! HTTPS with the same [`ConnectOptions`] as the gRPC client (the server verified the same
//! way; the API key is not sent — the admin port takes none).

use std::time::Duration;

use http_body_util::BodyExt;

use crate::{ClientError, ConnectOptions};

/// `GET path` on the admin port at `endpoint` (`host:port`, or `http(s)://host:port` to
/// insist); the status code and the body, within `within`.
pub async fn admin_get(
    endpoint: &str,
    path: &str,
    options: &ConnectOptions,
    within: Duration,
) -> Result<(u16, String), ClientError> {
    let failed = |reason: String| ClientError::Connect {
        endpoint: endpoint.to_owned(),
        reason,
    };
    let address = options.address_of(endpoint)?;
    let tls = match &options.tls {
        Some(tls) => Some(tls.for_http1().map_err(|e| failed(e.to_string()))?),
        None => None,
    };
    let uri: http::Uri = format!("http://{address}{path}")
        .parse()
        .map_err(|e| failed(format!("not a usable address and path: {e}")))?;
    let exchange = async {
        let io = shoal_tls::Connector::new(tls)
            .connect(uri.clone())
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
                .await
                .map_err(|e| e.to_string())?;
        let connection = tokio::spawn(connection);
        let request = http::Request::get(path)
            .header(http::header::HOST, address)
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        connection.abort();
        Ok::<_, String>((status, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(within, exchange)
        .await
        .map_err(|_| failed(format!("no answer within {within:?}")))?
        .map_err(failed)
}
