//! A fair share of the client port for every client address: at most
//! `server.max_concurrent_requests_per_ip` requests from one IP address are processed at
//! once; more are refused at once with RESOURCE_EXHAUSTED. Without it, one client opening
//! enough connections could hold every one of the node's request slots
//! (`server.max_concurrent_requests`) and make everyone else's requests fail — faster,
//! with load shedding, but fail all the same.
//!
//! The address comes from the connection ([`shoal_tls::ConnectionInfo`]); a request
//! without one (none in practice) is not limited here.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

type HttpRequest = http::Request<tonic::body::Body>;
type HttpResponse = http::Response<tonic::body::Body>;

/// Requests in flight per client address.
#[derive(Debug, Default)]
struct InFlight {
    by_ip: Mutex<HashMap<IpAddr, usize>>,
}

impl InFlight {
    /// A slot for one more request from `ip`, unless it already has `limit`.
    fn take(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<Held> {
        let mut by_ip = self.by_ip.lock().expect("request table poisoned");
        let count = by_ip.entry(ip).or_default();
        if *count >= limit {
            if *count == 0 {
                by_ip.remove(&ip);
            }
            return None;
        }
        *count += 1;
        Some(Held {
            table: self.clone(),
            ip,
        })
    }
}

/// One request's place in its address's count, given back when its answer is done.
struct Held {
    table: Arc<InFlight>,
    ip: IpAddr,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut by_ip = self.table.by_ip.lock().expect("request table poisoned");
        if let Some(count) = by_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                by_ip.remove(&self.ip);
            }
        }
    }
}

/// The layer: one table per client port, shared by all its connections.
#[derive(Clone)]
pub struct PerIpLimitLayer {
    limit: usize,
    table: Arc<InFlight>,
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
    table: Arc<InFlight>,
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
                Some(held) => Some(held),
                None => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_share_and_gets_it_back() {
        let table = Arc::new(InFlight::default());
        let one: IpAddr = "10.0.0.1".parse().unwrap();
        let two: IpAddr = "10.0.0.2".parse().unwrap();
        let first = table.take(one, 2).expect("a first slot");
        let second = table.take(one, 2).expect("a second slot");
        assert!(table.take(one, 2).is_none(), "a third is over the share");
        assert!(
            table.take(two, 2).is_some(),
            "another address has its own share"
        );
        drop(first);
        let third = table.take(one, 2).expect("a slot given back is free again");
        drop((second, third));
        assert!(
            table.by_ip.lock().unwrap().is_empty(),
            "an address with nothing in flight leaves no entry"
        );
    }
}
