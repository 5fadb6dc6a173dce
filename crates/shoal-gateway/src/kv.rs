//! The public `shoal.v1.KV` service: validation, routing to the owning shard (locally or one
//! hop to its leader), answers.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use shoal_proto::v1 as pb;
use shoal_replication::{Consistency, ReplicationError};
use shoal_shardmap::ShardId;
use tonic::{Request, Response, Status};

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

    fn router<'a>(&self, backend: &'a Backend) -> Router<'a> {
        Router {
            replicas: &backend.replicas,
            peers: &backend.peers,
            mode: self.mode,
            // Leave time for the forward itself within the request deadline.
            leader_wait: (self.settings.request_timeout / 2).min(Duration::from_secs(5)),
        }
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

#[tonic::async_trait]
impl pb::kv_server::Kv for KvService {
    async fn put(
        &self,
        request: Request<pb::PutRequest>,
    ) -> Result<Response<pb::PutResponse>, Status> {
        let request = request.into_inner();
        self.run(async {
            self.check_key(&request.key)?;
            self.check_value(&request.value)?;
            Self::check_ttl(request.ttl_ms)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend)
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
                    |mut peer| {
                        let request = backend.peers.forwarded(request.clone());
                        async move { Ok(peer.put(request).await?.into_inner()) }
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
        let request = request.into_inner();
        let consistency = match pb::Consistency::try_from(request.consistency) {
            Ok(pb::Consistency::Linearizable) => Consistency::Linearizable,
            Ok(pb::Consistency::Stale) => Consistency::Stale,
            Err(_) => {
                return Err(to_status(ReplicationError::InvalidArgument {
                    field: "consistency",
                    reason: format!("unknown value {}", request.consistency),
                }));
            }
        };
        let consistency = if self.settings.unsafe_stale_reads {
            Consistency::Stale
        } else {
            consistency
        };
        self.run(async {
            self.check_key(&request.key)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend)
                .route(
                    shard,
                    |replica| {
                        let key = request.key.clone();
                        async move {
                            Ok(match replica.get(&key, consistency).await? {
                                Some(found) => pb::GetResponse {
                                    found: true,
                                    value: found.value,
                                    version: found.version,
                                    ttl_remaining_ms: found.ttl_remaining_ms,
                                },
                                None => pb::GetResponse::default(),
                            })
                        }
                    },
                    |mut peer| {
                        let request = backend.peers.forwarded(request.clone());
                        async move { Ok(peer.get(request).await?.into_inner()) }
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
        let request = request.into_inner();
        self.run(async {
            self.check_key(&request.key)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend)
                .route(
                    shard,
                    |replica| {
                        let request = request.clone();
                        async move {
                            let deleted = replica.delete(request.key, request.if_version).await?;
                            Ok(pb::DeleteResponse { deleted })
                        }
                    },
                    |mut peer| {
                        let request = backend.peers.forwarded(request.clone());
                        async move { Ok(peer.delete(request).await?.into_inner()) }
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
        let request = request.into_inner();
        self.run(async {
            self.check_key(&request.key)?;
            Self::check_ttl(request.ttl_ms)?;
            let backend = self.backend()?;
            let shard = Self::shard_of(backend, &request.key);
            self.router(backend)
                .route(
                    shard,
                    |replica| {
                        let request = request.clone();
                        async move {
                            let found = replica.touch(request.key, request.ttl_ms).await?;
                            Ok(pb::TouchResponse { found })
                        }
                    },
                    |mut peer| {
                        let request = backend.peers.forwarded(request.clone());
                        async move { Ok(peer.touch(request).await?.into_inner()) }
                    },
                )
                .await
        })
        .await
    }
}
