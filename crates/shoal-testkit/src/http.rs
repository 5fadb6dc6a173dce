//! A GET against a node's admin port (`/readyz`, `/healthz`, `/metrics`, the test-only
//! `/test/faults`), through `shoal_client::admin_get`.

use std::time::Duration;

use anyhow::Result;

/// How long one admin request may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET path` on `address` in plaintext; returns the status code and the body. Times out
/// after 2 s.
pub async fn admin_get(address: &str, path: &str) -> Result<(u16, String)> {
    admin_get_with(address, path, &shoal_client::ConnectOptions::plaintext()).await
}

/// `GET path` on `address` as `options` say (HTTPS with TLS options).
pub async fn admin_get_with(
    address: &str,
    path: &str,
    options: &shoal_client::ConnectOptions,
) -> Result<(u16, String)> {
    Ok(shoal_client::admin_get(address, path, options, ADMIN_TIMEOUT).await?)
}
