//! The public `shoal.v1.KV` service: validation, routing to the owning shard (locally or one
//! hop to its leader), answers.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use shoal_proto::v1 as pb;
use shoal_replication::{BatchOp, BatchOutcome, Consistency, ReadValue, ReplicationError};
use shoal_shardmap::ShardId;
use tonic::{Request, Response, Status};

use crate::auth::Caller;
use crate::route::Router;
use crate::status::to_status;
use crate::{Backend, BackendCell, GatewaySettings, MAX_TTL_MS, Mode};

pub(crate) struct KvService {
    cell: BackendCell,
    settings: GatewaySettings,
    mode: Mode,
}

impl KvService {
    pub(crate) fn new(cell: BackendCell, settings: GatewaySettings, mode: Mode) -> KvService {
        KvService {
            cell,
            settings,
            mode,
        }
    }

    fn backend(&self) -> Result<&Arc<Backend>, ReplicationError> {
        crate::backend(&self.cell)
    }

    /// The shard owning `key`, by the map this node routes with now.
    fn shard_of(backend: &Backend, key: &[u8]) -> ShardId {
        backend.replicas.view().shard_for_key(key).id
    }

    fn router<'a>(&self, backend: &'a Backend, caller: &'a Caller) -> Router<'a> {
        Router {
            replicas: &backend.replicas,
            peers: &backend.peers,
            mode: self.mode,
            caller_key: caller.key_id(),
            // Leave time for the forward itself within the request deadline.
            leader_wait: (self.settings.request_timeout / 2).min(Duration::from_secs(5)),
        }
    }

    /// Who sent `request`: the auth layer's verdict on the client port; on the internal
    /// port (forwards), the key id the forwarding node sent, resolved here.
    async fn caller<T>(&self, request: &Request<T>) -> Result<Caller, ReplicationError> {
        if self.mode == Mode::Client || !self.settings.auth {
            return Ok(crate::auth::caller_of(request));
        }
        let id = request
            .metadata()
            .get(shoal_proto::metadata::CALLER_KEY)
            .and_then(|value| value.to_str().ok())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                ReplicationError::Unauthenticated(
                    "a request forwarded without an API key to a node that requires one \
                     (server.auth.enabled must be the same on every node)"
                        .into(),
                )
            })?;
        self.backend()?.keys.forwarded(id).await
    }

    fn check_key(&self, key: &[u8]) -> Result<(), ReplicationError> {
        if key.is_empty() {
            return Err(ReplicationError::InvalidArgument {
                field: "key",
                reason: "must not be empty".into(),
            });
        }
        let limit = self.settings.limits.max_key_bytes;
        if key.len() > limit {
            return Err(ReplicationError::InvalidArgument {
                field: "key",
                reason: format!(
                    "is {} bytes, over limits.max_key_bytes = {limit}",
                    key.len()
                ),
            });
        }
        Ok(())
    }

    fn check_value(&self, value: &[u8]) -> Result<(), ReplicationError> {
        let limit = self.settings.limits.max_value_bytes;
        if value.len() > limit {
            return Err(ReplicationError::InvalidArgument {
                field: "value",
                reason: format!(
                    "is {} bytes, over limits.max_value_bytes = {limit}",
                    value.len()
                ),
            });
        }
        Ok(())
    }

    fn check_ttl(ttl_ms: u64) -> Result<(), ReplicationError> {
        if ttl_ms > MAX_TTL_MS {
            return Err(ReplicationError::InvalidArgument {
                field: "ttl_ms",
                reason: format!("is {ttl_ms} ms, over the maximum of 10 years ({MAX_TTL_MS} ms)"),
            });
        }
        Ok(())
    }

    /// Runs one operation under the request deadline and maps its error.
    async fn run<T>(
        &self,
        operation: impl Future<Output = Result<T, ReplicationError>>,
    ) -> Result<Response<T>, Status> {
        let timeout = self.settings.request_timeout;
        match tokio::time::timeout(timeout, operation).await {
            Ok(Ok(value)) => Ok(Response::new(value)),
            Ok(Err(error)) => Err(to_status(error)),
            Err(_) => Err(to_status(ReplicationError::Timeout(timeout))),
        }
    }
}

/// The operations of a batch that belong to one shard: their places in the request, what
/// the replica runs, and what a forward to the leader sends.
#[derive(Default)]
struct ShardPart {
    places: Vec<usize>,
    operations: Vec<BatchOp>,
    wire: Vec<pb::BatchOperation>,
}

impl KvService {
    /// Checks one operation of a batch as its single call would be checked.
    fn batch_operation(&self, operation: &pb::BatchOperation) -> Result<BatchOp, ReplicationError> {
        use pb::batch_operation::Operation;
        let Some(operation) = &operation.operation else {
            return Err(ReplicationError::InvalidArgument {
                field: "operation",
                reason: "is empty (set put, get, delete or touch)".into(),
            });
        };
        Ok(match operation {
            Operation::Put(put) => {
                self.check_key(&put.key)?;
                self.check_value(&put.value)?;
                Self::check_ttl(put.ttl_ms)?;
                BatchOp::Put {
                    key: put.key.clone(),
                    value: put.value.clone(),
                    ttl_ms: put.ttl_ms,
                    if_version: put.if_version,
                }
            }
            Operation::Get(get) => {
                self.check_key(&get.key)?;
                BatchOp::Get {
                    key: get.key.clone(),
                    consistency: self.consistency(get.consistency)?,
                }
            }
            Operation::Delete(delete) => {
                self.check_key(&delete.key)?;
                BatchOp::Delete {
                    key: delete.key.clone(),
                    if_version: delete.if_version,
                }
            }
            Operation::Touch(touch) => {
                self.check_key(&touch.key)?;
                Self::check_ttl(touch.ttl_ms)?;
                BatchOp::Touch {
                    key: touch.key.clone(),
                    ttl_ms: touch.ttl_ms,
                }
            }
        })
    }

    fn consistency(&self, wire: i32) -> Result<Consistency, ReplicationError> {
        let consistency = match pb::Consistency::try_from(wire) {
            Ok(pb::Consistency::Linearizable) => Consistency::Linearizable,
            Ok(pb::Consistency::Stale) => Consistency::Stale,
            Err(_) => {
                return Err(ReplicationError::InvalidArgument {
                    field: "consistency",
                    reason: format!("unknown value {wire}"),
                });
            }
        };
        Ok(if self.settings.unsafe_stale_reads {
            Consistency::Stale
        } else {
            consistency
        })
    }

    /// Groups a batch by shard, runs every shard's part on its leader (all in parallel),
    /// and puts the results back in request order.
    async fn run_batch(
        &self,
        caller: &Caller,
        operations: Vec<pb::BatchOperation>,
    ) -> Result<pb::BatchResponse, ReplicationError> {
        let backend = self.backend()?;
        let mut results: Vec<Option<pb::BatchResult>> = vec![None; operations.len()];
        let mut parts: BTreeMap<ShardId, ShardPart> = BTreeMap::new();
        for (place, wire) in operations.into_iter().enumerate() {
            let checked = self.batch_operation(&wire).and_then(|operation| {
                let write = !matches!(operation, BatchOp::Get { .. });
                caller.may_access(operation.key(), write)?;
                Ok(operation)
            });
            match checked {
                Ok(operation) => {
                    let part = parts
                        .entry(Self::shard_of(backend, operation.key()))
                        .or_default();
                    part.places.push(place);
                    part.operations.push(operation);
                    part.wire.push(wire);
                }
                Err(error) => results[place] = Some(batch_error(error)),
            }
        }
        let router = self.router(backend, caller);
        let runs = parts.into_iter().map(|(shard, part)| {
            let router = &router;
            async move {
                let answer = router
                    .route(
                        shard,
                        |replica| {
                            let operations = part.operations.clone();
                            async move {
                                let done = replica.batch(operations).await?;
                                Ok(done.into_iter().map(batch_result).collect::<Vec<_>>())
                            }
                        },
                        |peer| {
                            let request = pb::BatchRequest {
                                operations: part.wire.clone(),
                            };
                            async move { Ok(peer.batch(request).await?.results) }
                        },
                    )
                    .await;
                (part.places, answer)
            }
        });
        for (places, answer) in futures::future::join_all(runs).await {
            match answer {
                Ok(done) if done.len() == places.len() => {
                    for (place, result) in places.into_iter().zip(done) {
                        results[place] = Some(result);
                    }
                }
                Ok(done) => {
                    let error = ReplicationError::Internal(format!(
                        "a shard leader answered {} results for {} operations",
                        done.len(),
                        places.len()
                    ));
                    for place in places {
                        results[place] = Some(batch_error(error.clone()));
                    }
                }
                // A forwarded batch holds one shard's operations: its refusal goes back
                // whole, so the forwarding node can follow the leader hint.
                Err(error) if self.mode == Mode::Forwarded => return Err(error),
                Err(error) => {
                    for place in places {
                        results[place] = Some(batch_error(error.clone()));
                    }
                }
            }
        }
        let mut results: Vec<pb::BatchResult> = results
            .into_iter()
            .map(|result| result.expect("every operation has a result"))
            .collect();
        limit_response(&mut results, self.settings.limits.max_batch_bytes);
        Ok(pb::BatchResponse { results })
    }
}

/// Keeps a batch's answer within `budget` bytes of values: gets past it fail with
/// RESOURCE_EXHAUSTED (changing nothing), so a batch of large gets cannot build an answer
/// no client accepts.
fn limit_response(results: &mut [pb::BatchResult], budget: usize) {
    use pb::batch_result::Result as Outcome;
    let mut used = 0usize;
    for result in results {
        if let Some(Outcome::Get(get)) = &result.result {
            used = used.saturating_add(get.value.len() + 32);
            if used > budget {
                result.result = Some(Outcome::Error(pb::BatchError {
                    code: tonic::Code::ResourceExhausted as i32,
                    message: format!(
                        "the batch's answer would exceed limits.max_batch_bytes = {budget}; \
                         read this key in another call"
                    ),
                    not_applied: true,
                    current_version: None,
                }));
            }
        }
    }
}

fn get_response(found: Option<ReadValue>) -> pb::GetResponse {
    match found {
        Some(found) => pb::GetResponse {
            found: true,
            value: found.value,
            version: found.version,
            ttl_remaining_ms: found.ttl_remaining_ms,
        },
        None => pb::GetResponse::default(),
    }
}

fn batch_result(done: Result<BatchOutcome, ReplicationError>) -> pb::BatchResult {
    use pb::batch_result::Result as Outcome;
    let outcome = match done {
        Ok(BatchOutcome::Put { version }) => Outcome::Put(pb::PutResponse { version }),
        Ok(BatchOutcome::Get(found)) => Outcome::Get(get_response(found)),
        Ok(BatchOutcome::Delete { deleted }) => Outcome::Delete(pb::DeleteResponse { deleted }),
        Ok(BatchOutcome::Touch { found }) => Outcome::Touch(pb::TouchResponse { found }),
        Err(error) => return batch_error(error),
    };
    pb::BatchResult {
        result: Some(outcome),
    }
}

/// One failed operation, as its single call would have failed.
fn batch_error(error: ReplicationError) -> pb::BatchResult {
    let current_version = match &error {
        ReplicationError::VersionMismatch { current, .. } => Some(*current),
        _ => None,
    };
    let not_applied = error.is_not_applied();
    let status = to_status(error);
    pb::BatchResult {
        result: Some(pb::batch_result::Result::Error(pb::BatchError {
            code: status.code() as i32,
            message: status.message().to_owned(),
            not_applied,
            current_version,
        })),
    }
}

#[tonic::async_trait]
impl pb::kv_server::Kv for KvService {
    async fn put(
        &self,
        request: Request<pb::PutRequest>,
    ) -> Result<Response<pb::PutResponse>, Status> {
        let caller = self.caller(&request).await.map_err(to_status)?;
        let request = request.into_inner();
        self.run(async {
            self.check_key(&request.key)?;
            caller.may_access(&request.key, true)?;
            self.check_value(&request.value)?;
            Self::check_ttl(request.ttl_ms)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend, &caller)
                .route(
                    shard,
                    |replica| {
                        let request = request.clone();
                        async move {
                            let version = replica
                                .put(
                                    request.key,
                                    request.value,
                                    request.ttl_ms,
                                    request.if_version,
                                )
                                .await?;
                            Ok(pb::PutResponse { version })
                        }
                    },
                    |peer| {
                        let request = request.clone();
                        async move { peer.put(request).await }
                    },
                )
                .await
        })
        .await
    }

    async fn get(
        &self,
        request: Request<pb::GetRequest>,
    ) -> Result<Response<pb::GetResponse>, Status> {
        let caller = self.caller(&request).await.map_err(to_status)?;
        let request = request.into_inner();
        let consistency = self.consistency(request.consistency).map_err(to_status)?;
        self.run(async {
            self.check_key(&request.key)?;
            caller.may_access(&request.key, false)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend, &caller)
                .route(
                    shard,
                    |replica| {
                        let key = request.key.clone();
                        async move { Ok(get_response(replica.get(&key, consistency).await?)) }
                    },
                    |peer| {
                        let request = request.clone();
                        async move { peer.get(request).await }
                    },
                )
                .await
        })
        .await
    }

    async fn delete(
        &self,
        request: Request<pb::DeleteRequest>,
    ) -> Result<Response<pb::DeleteResponse>, Status> {
        let caller = self.caller(&request).await.map_err(to_status)?;
        let request = request.into_inner();
        self.run(async {
            self.check_key(&request.key)?;
            caller.may_access(&request.key, true)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend, &caller)
                .route(
                    shard,
                    |replica| {
                        let request = request.clone();
                        async move {
                            let deleted = replica.delete(request.key, request.if_version).await?;
                            Ok(pb::DeleteResponse { deleted })
                        }
                    },
                    |peer| {
                        let request = request.clone();
                        async move { peer.delete(request).await }
                    },
                )
                .await
        })
        .await
    }

    async fn touch(
        &self,
        request: Request<pb::TouchRequest>,
    ) -> Result<Response<pb::TouchResponse>, Status> {
        let caller = self.caller(&request).await.map_err(to_status)?;
        let request = request.into_inner();
        self.run(async {
            self.check_key(&request.key)?;
            caller.may_access(&request.key, true)?;
            Self::check_ttl(request.ttl_ms)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend, &caller)
                .route(
                    shard,
                    |replica| {
                        let request = request.clone();
                        async move {
                            let found = replica.touch(request.key, request.ttl_ms).await?;
                            Ok(pb::TouchResponse { found })
                        }
                    },
                    |peer| {
                        let request = request.clone();
                        async move { peer.touch(request).await }
                    },
                )
                .await
        })
        .await
    }

    async fn batch(
        &self,
        request: Request<pb::BatchRequest>,
    ) -> Result<Response<pb::BatchResponse>, Status> {
        let caller = self.caller(&request).await.map_err(to_status)?;
        let operations = request.into_inner().operations;
        let limit = self.settings.limits.max_batch_operations;
        if operations.len() > limit {
            return Err(to_status(ReplicationError::InvalidArgument {
                field: "operations",
                reason: format!(
                    "{} operations, over limits.max_batch_operations = {limit}",
                    operations.len()
                ),
            }));
        }
        self.run(self.run_batch(&caller, operations)).await
    }
}
