//! Authentication and authorization of client requests, decided in one place: a tower
//! layer on the client port ([`AuthLayer`]) reads `authorization: Bearer <API key>`,
//! verifies the key against this node's cache of the meta group's keys (a constant-time
//! comparison of hashes, no meta round trip), requires the role the RPC needs
//! ([`required_role`]), and hands the handlers the [`Caller`], which checks each key
//! against the API key's prefix scope. A refused request gets `UNAUTHENTICATED` or
//! `PERMISSION_DENIED` naming what is missing, and changes nothing.
//!
//! Every admin RPC (and every refused attempt at one) leaves an audit line: who, what, how
//! it ended.
//!
//! A forwarded request carries the caller's key id over the node-to-node hop (mTLS: only
//! nodes of the cluster can send it); the node that serves it resolves the id in its own
//! cache and checks the scope again, so it does not take the forwarding node's word for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use shoal_replication::api_key::{self, ApiKeyRecord, KeyRefusal, Role};
use shoal_replication::{Clock, Meta, ReplicationError};

use crate::BackendCell;

/// Longest wait for a key a forwarding node knew and this node has not applied yet.
const FORWARDED_KEY_WAIT: Duration = Duration::from_secs(2);

/// How stale this node's copy of the API keys may be: a revoked key is refused by every
/// node within this (plus the meta group's replication, milliseconds).
pub const KEY_CACHE_TTL: Duration = Duration::from_millis(200);

/// Who sent a request, as the handlers see it.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// Authentication is off (`server.auth.enabled = false`): everything is allowed.
    Anyone,
    /// A verified API key.
    Key(Arc<ApiKeyRecord>),
}

impl Caller {
    /// The key's id, carried over forwards.
    pub(crate) fn key_id(&self) -> Option<&str> {
        match self {
            Caller::Anyone => None,
            Caller::Key(key) => Some(&key.id),
        }
    }

    /// Refuses what the caller's role does not include.
    pub(crate) fn require(&self, needed: Role, what: &str) -> Result<(), ReplicationError> {
        match self {
            Caller::Key(key) if key.role < needed => {
                Err(ReplicationError::PermissionDenied(format!(
                    "API key {} has role {}; {what} needs role {}",
                    key.id,
                    key.role.as_str(),
                    needed.as_str()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Refuses a read (or, with `write`, a write) of `key` the API key does not allow.
    pub(crate) fn may_access(&self, key: &[u8], write: bool) -> Result<(), ReplicationError> {
        if write {
            self.require(Role::Write, "writing a key")?;
        }
        match self {
            Caller::Key(record) if !record.covers(key) => {
                Err(ReplicationError::PermissionDenied(format!(
                    "API key {} may only use keys starting with {:?}, not {:?}",
                    record.id,
                    String::from_utf8_lossy(record.prefix.as_deref().unwrap_or_default()),
                    String::from_utf8_lossy(key)
                )))
            }
            _ => Ok(()),
        }
    }
}

/// The role each client RPC needs (by its gRPC path); unknown paths need admin.
pub(crate) fn required_role(path: &str) -> Role {
    match path.rsplit_once('/').map_or(path, |(_, method)| method) {
        // Batch needs write for its writes: the handler checks each operation.
        "Get" | "Batch" => Role::Read,
        "Put" | "Delete" | "Touch" => Role::Write,
        "Status" | "Members" | "GetShardMap" | "ListMoves" | "ListJobs" => Role::Read,
        _ => Role::Admin,
    }
}

/// This node's copy of the API keys the meta group holds, re-read when older than
/// [`KEY_CACHE_TTL`].
pub struct KeyCache {
    meta: Meta,
    clock: Clock,
    /// The keys by id and when they were read: read by every request without a lock.
    keys: ArcSwap<Snapshot>,
    /// Held while re-reading, so concurrent requests re-read the meta state once.
    refreshing: Mutex<()>,
}

struct Snapshot {
    read_at: Option<Instant>,
    keys: Keys,
}

impl Snapshot {
    fn fresh(&self, max_age: Duration) -> bool {
        self.read_at.is_some_and(|at| at.elapsed() < max_age)
    }
}

type Keys = Arc<HashMap<String, Arc<ApiKeyRecord>>>;

/// An id the cache does not know makes it re-read the keys at once (a key made a moment
/// ago), but not more often than this (ids that exist nowhere cannot make every request
/// read the meta state).
const UNKNOWN_REFRESH: Duration = Duration::from_millis(20);

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

impl KeyCache {
    pub fn new(meta: Meta) -> KeyCache {
        KeyCache {
            meta,
            clock: Clock::system(),
            keys: ArcSwap::from_pointee(Snapshot {
                read_at: None,
                keys: Arc::default(),
            }),
            refreshing: Mutex::new(()),
        }
    }

    /// The keys, re-read when older than `max_age`.
    fn current(&self, max_age: Duration) -> Result<Keys, ReplicationError> {
        let snapshot = self.keys.load();
        if snapshot.fresh(max_age) {
            return Ok(snapshot.keys.clone());
        }
        let _refreshing = self.refreshing.lock().expect("key cache poisoned");
        // Another request may have re-read them while this one waited.
        let snapshot = self.keys.load();
        if snapshot.fresh(max_age) {
            return Ok(snapshot.keys.clone());
        }
        let keys: Keys = Arc::new(
            self.meta
                .api_keys()?
                .into_iter()
                .map(|key| (key.id.clone(), Arc::new(key)))
                .collect(),
        );
        self.keys.store(Arc::new(Snapshot {
            read_at: Some(Instant::now()),
            keys: keys.clone(),
        }));
        Ok(keys)
    }

    fn refusal(refusal: KeyRefusal) -> ReplicationError {
        ReplicationError::Unauthenticated(refusal.to_string())
    }

    /// The caller a presented key (the whole `shoal_<id>_<secret>` text) stands for.
    pub(crate) fn verify(&self, presented: &str) -> Result<Caller, ReplicationError> {
        let (id, secret) =
            api_key::parse(presented).ok_or_else(|| Self::refusal(KeyRefusal::Malformed))?;
        let key = self.usable(id)?;
        if !key.matches(secret) {
            return Err(Self::refusal(KeyRefusal::WrongSecret(id.to_owned())));
        }
        Ok(Caller::Key(key))
    }

    /// The caller a forwarded key id stands for (the forwarding node verified the secret).
    /// The forwarding node knew the key, so it is in the meta log: a key this node has not
    /// applied yet is waited for (briefly) rather than refused.
    pub(crate) async fn forwarded(&self, id: &str) -> Result<Caller, ReplicationError> {
        let deadline = Instant::now() + FORWARDED_KEY_WAIT;
        loop {
            match self.usable(id) {
                Err(ReplicationError::Unauthenticated(_)) if Instant::now() < deadline => {
                    if self.current(Duration::ZERO)?.contains_key(id) {
                        // Known but refused (revoked, expired): say so now.
                        return Ok(Caller::Key(self.usable(id)?));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                outcome => return Ok(Caller::Key(outcome?)),
            }
        }
    }

    fn usable(&self, id: &str) -> Result<Arc<ApiKeyRecord>, ReplicationError> {
        let known = self.current(KEY_CACHE_TTL)?.get(id).cloned();
        let key = match known {
            Some(key) => key,
            None => self
                .current(UNKNOWN_REFRESH)?
                .get(id)
                .cloned()
                .ok_or_else(|| Self::refusal(KeyRefusal::Unknown(id.to_owned())))?,
        };
        key.usable(self.clock.now_ms()).map_err(Self::refusal)?;
        Ok(key)
    }
}

/// The caller of a request as the layer found it (Anyone when no layer ran: auth off).
pub(crate) fn caller_of<T>(request: &tonic::Request<T>) -> Caller {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or(Caller::Anyone)
}

/// Where audit entries go after their log line: a bounded queue to the task that appends
/// them to the meta group's audit history ([`run_audit`]).
#[derive(Clone)]
pub(crate) struct AuditSink {
    entries: tokio::sync::mpsc::Sender<shoal_replication::meta::AuditEntry>,
    node: shoal_shardmap::NodeId,
    clock: Clock,
}

/// Audit entries waiting for the meta group; past this, entries are dropped (and counted).
const AUDIT_QUEUE: usize = 1024;

impl AuditSink {
    /// The sink, and the task that drains it into the meta group until `cell`'s backend
    /// goes away.
    pub(crate) fn start(cell: &BackendCell, node: shoal_shardmap::NodeId) -> AuditSink {
        let (entries, queue) = tokio::sync::mpsc::channel(AUDIT_QUEUE);
        tokio::spawn(run_audit(Arc::downgrade(cell), queue));
        AuditSink {
            entries,
            node,
            clock: Clock::system(),
        }
    }

    /// The audit trail of operators' actions: one structured line (target `shoal::audit`)
    /// per admin RPC — who (the API key id), what (the RPC), how it ended — on the node
    /// called, and the same in the meta group's bounded history (`shoal cluster audit`).
    fn record(&self, who: &str, rpc: &str, outcome: &str) {
        tracing::info!(target: "shoal::audit", who, rpc, outcome, "audit");
        let entry = shoal_replication::meta::AuditEntry {
            at_ms: self.clock.now_ms(),
            node: self.node,
            who: who.to_owned(),
            rpc: rpc.to_owned(),
            outcome: outcome.to_owned(),
        };
        if self.entries.try_send(entry).is_err() {
            metrics::counter!("shoal_audit_entries_dropped_total").increment(1);
        }
    }
}

/// Appends queued audit entries to the meta group, in batches, on the meta leader (here,
/// or through its internal Control service). A batch that cannot be delivered is retried a
/// few times, then dropped with a warning (the log lines stay).
async fn run_audit(
    cell: std::sync::Weak<std::sync::OnceLock<Arc<crate::Backend>>>,
    mut queue: tokio::sync::mpsc::Receiver<shoal_replication::meta::AuditEntry>,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < 100 {
            match queue.try_recv() {
                Ok(entry) => batch.push(entry),
                Err(_) => break,
            }
        }
        let Some(backend) = cell.upgrade().and_then(|cell| cell.get().cloned()) else {
            return;
        };
        let mut delivered = false;
        for attempt in 0..5u32 {
            if crate::control::record_audit(&backend, batch.clone())
                .await
                .is_ok()
            {
                delivered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200) * (attempt + 1)).await;
        }
        if !delivered {
            metrics::counter!("shoal_audit_entries_dropped_total").increment(batch.len() as u64);
            tracing::warn!(
                entries = batch.len(),
                "could not add audit entries to the meta group's history (their log lines stay)"
            );
        }
    }
}

/// The tower layer of the client port.
#[derive(Clone)]
pub(crate) struct AuthLayer {
    enabled: bool,
    cell: BackendCell,
    audit: AuditSink,
}

impl AuthLayer {
    /// `enabled = false`: every request is `Caller::Anyone`. Otherwise keys are checked
    /// against the backend's key cache; until the node has started, requests are refused
    /// as not delivered (UNAVAILABLE) — except health checks and reflection, which need no
    /// key ([`is_public`]).
    pub(crate) fn new(enabled: bool, cell: BackendCell, audit: AuditSink) -> AuthLayer {
        AuthLayer {
            enabled,
            cell,
            audit,
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            enabled: self.enabled,
            cell: self.cell.clone(),
            audit: self.audit.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct AuthService<S> {
    inner: S,
    enabled: bool,
    cell: BackendCell,
    audit: AuditSink,
}

/// Health checks (probes send no key) and reflection (the public API's schema, public
/// anyway) are served to anyone: they read and change nothing of the data.
pub(crate) fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

type HttpRequest = http::Request<tonic::body::Body>;
type HttpResponse = http::Response<tonic::body::Body>;

impl<S> AuthService<S> {
    /// The caller, or why the request is refused (with the key id when the key itself was
    /// valid, for the audit line).
    fn decide(&self, request: &HttpRequest) -> Result<Caller, (Option<String>, ReplicationError)> {
        if !self.enabled || is_public(request.uri().path()) {
            return Ok(Caller::Anyone);
        }
        let Some(backend) = self.cell.get() else {
            return Err((
                None,
                ReplicationError::NotDelivered("the node is still starting".into()),
            ));
        };
        let caller = Self::verify(&backend.keys, request).map_err(|error| (None, error))?;
        let path = request.uri().path();
        let method = path.rsplit_once('/').map_or(path, |(_, m)| m);
        match caller.require(required_role(path), method) {
            Ok(()) => Ok(caller),
            Err(error) => Err((caller.key_id().map(str::to_owned), error)),
        }
    }

    fn verify(cache: &KeyCache, request: &HttpRequest) -> Result<Caller, ReplicationError> {
        let header = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ReplicationError::Unauthenticated(
                    "this cluster requires an API key: send \"authorization: Bearer <key>\" \
                     (the CLI's --api-key or SHOAL_API_KEY)"
                        .into(),
                )
            })?;
        let presented = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| KeyCache::refusal(KeyRefusal::Malformed))?;
        cache.verify(presented)
    }
}

impl<S> tower::Service<HttpRequest> for AuthService<S>
where
    S: tower::Service<HttpRequest, Response = HttpResponse> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: HttpRequest) -> Self::Future {
        let path = request.uri().path();
        let audited = !is_public(path) && required_role(path) == Role::Admin;
        // Owned only for the audit line of an admin RPC (not on the hot path of KV calls).
        let path = if audited {
            request.uri().path().to_owned()
        } else {
            String::new()
        };
        match self.decide(&request) {
            Ok(caller) => {
                if !audited {
                    request.extensions_mut().insert(caller);
                    return Box::pin(self.inner.call(request));
                }
                let who = caller.key_id().unwrap_or("anyone (auth off)").to_owned();
                request.extensions_mut().insert(caller);
                let future = self.inner.call(request);
                let sink = self.audit.clone();
                Box::pin(async move {
                    let response = future.await;
                    if let Ok(response) = &response {
                        // A failed unary call answers with its status in the headers; a
                        // successful one has it in the trailers (OK).
                        let header = |name: &str| {
                            response
                                .headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        let outcome = match header("grpc-status").as_deref() {
                            None | Some("0") => "ok".to_owned(),
                            Some(code) => format!(
                                "failed (code {code}): {}",
                                header("grpc-message").unwrap_or_default()
                            ),
                        };
                        sink.record(&who, &path, &outcome);
                    }
                    response
                })
            }
            Err((who, refusal)) => {
                if audited {
                    let who = who.as_deref().unwrap_or("-");
                    self.audit
                        .record(who, &path, &format!("refused: {refusal}"));
                }
                metrics::counter!(
                    "shoal_requests_refused_total",
                    "reason" => match refusal {
                        ReplicationError::PermissionDenied(_) => "permission_denied",
                        ReplicationError::NotDelivered(_) => "starting",
                        _ => "unauthenticated",
                    }
                )
                .increment(1);
                let response = crate::status::refusal_response(refusal);
                Box::pin(async move { Ok(response) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_rpc_has_its_role() {
        for (path, role) in [
            ("/shoal.v1.KV/Get", Role::Read),
            ("/shoal.v1.KV/Batch", Role::Read),
            ("/shoal.v1.KV/Put", Role::Write),
            ("/shoal.v1.KV/Delete", Role::Write),
            ("/shoal.v1.KV/Touch", Role::Write),
            ("/shoal.v1.Cluster/Status", Role::Read),
            ("/shoal.v1.Cluster/DrainNode", Role::Admin),
            ("/shoal.v1.Cluster/DecommissionNode", Role::Admin),
            ("/shoal.v1.Cluster/CreateApiKey", Role::Admin),
            ("/shoal.v1.Cluster/SomethingNew", Role::Admin),
        ] {
            assert_eq!(required_role(path), role, "{path}");
        }
    }

    #[test]
    fn a_scoped_read_key_reads_its_prefix_only() {
        let (_, record) = api_key::new_key(
            api_key::KeySpec {
                name: "t".into(),
                role: Role::Read,
                prefix: Some(b"a/".to_vec()),
                expires_at_ms: None,
            },
            0,
        );
        let caller = Caller::Key(Arc::new(record));
        assert!(caller.may_access(b"a/1", false).is_ok());
        let denied = caller.may_access(b"b/1", false).unwrap_err().to_string();
        assert!(denied.contains("a/") && denied.contains("b/1"), "{denied}");
        let denied = caller.may_access(b"a/1", true).unwrap_err().to_string();
        assert!(
            denied.contains("role read") && denied.contains("needs role write"),
            "{denied}"
        );
        assert!(Caller::Anyone.may_access(b"x", true).is_ok());
    }
}
