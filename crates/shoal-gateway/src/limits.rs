//! A fair share of the client port for every client address: at most
//! `server.max_concurrent_requests_per_ip` requests from one IP address are processed at
//! once; more are refused at once with RESOURCE_EXHAUSTED. Without it, one client opening
//! enough connections could hold every one of the node's request slots
//! (`server.max_concurrent_requests`) and make everyone else's requests fail — faster,
//! with load shedding, but fail all the same.
//!
//! The address comes from the connection ([`shoal_tls::ConnectionInfo`]); a request
//! without one (none in practice) is not limited here.

use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

type HttpRequest = http::Request<tonic::body::Body>;
type HttpResponse = http::Response<tonic::body::Body>;

/// One request's place in its address's count, given back when its answer is done.
struct Held {
    table: Arc<shoal_tls::PerIp>,
    ip: IpAddr,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.table.give_back(self.ip);
    }
}

/// The layer: one table per client port, shared by all its connections.
#[derive(Clone)]
pub struct PerIpLimitLayer {
    limit: usize,
    table: Arc<shoal_tls::PerIp>,
}

impl PerIpLimitLayer {
    pub fn new(limit: usize) -> Self {
        PerIpLimitLayer {
            limit,
            table: Arc::default(),
        }
    }
}

impl<S> tower::Layer<S> for PerIpLimitLayer {
    type Service = PerIpLimit<S>;

    fn layer(&self, inner: S) -> PerIpLimit<S> {
        PerIpLimit {
            inner,
            limit: self.limit,
            table: self.table.clone(),
        }
    }
}

#[derive(Clone)]
pub struct PerIpLimit<S> {
    inner: S,
    limit: usize,
    table: Arc<shoal_tls::PerIp>,
}

impl<S> tower::Service<HttpRequest> for PerIpLimit<S>
where
    S: tower::Service<HttpRequest, Response = HttpResponse> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let ip = request
            .extensions()
            .get::<shoal_tls::ConnectionInfo>()
            .and_then(|info| info.remote)
            .map(|remote| remote.ip());
        let held = match ip {
            None => None,
            Some(ip) => match self.table.take(ip, self.limit) {
                true => Some(Held {
                    table: self.table.clone(),
                    ip,
                }),
                false => {
                    metrics::counter!("shoal_requests_refused_total", "reason" => "per_ip_limit")
                        .increment(1);
                    let refusal = crate::status::over_address_share(ip, self.limit);
                    return Box::pin(async move { Ok(refusal.into_http()) });
                }
            },
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            let answer = future.await;
            drop(held);
            answer
        })
    }
}
