//! `KV.Batch`: many operations in one call, each with its own result.

use std::time::Duration;

use shoal_proto::v1 as pb;
use tonic::Code;

use crate::{Client, ClientError, PutOptions, Value};

/// One operation of a [`Client::batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        options: PutOptions,
    },
    /// A linearizable read unless `stale` (a batch's reads are all served by shard leaders).
    Get { key: Vec<u8>, stale: bool },
    Delete {
        key: Vec<u8>,
        if_version: Option<u64>,
    },
    /// A new TTL from now; `None` removes the expiry.
    Touch { key: Vec<u8>, ttl: Option<Duration> },
}

/// What one operation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    Put { version: u64 },
    Get(Option<Value>),
    Delete { deleted: bool },
    Touch { found: bool },
}

fn ttl_ms(ttl: Option<Duration>) -> u64 {
    ttl.map_or(0, |ttl| ttl.as_millis() as u64)
}

impl BatchOp {
    fn into_wire(self) -> pb::BatchOperation {
        use pb::batch_operation::Operation;
        let operation = match self {
            BatchOp::Put {
                key,
                value,
                options,
            } => Operation::Put(pb::PutRequest {
                key,
                value,
                ttl_ms: ttl_ms(options.ttl),
                if_version: options.if_version,
            }),
            BatchOp::Get { key, stale } => Operation::Get(pb::GetRequest {
                key,
                consistency: if stale {
                    pb::Consistency::Stale
                } else {
                    pb::Consistency::Linearizable
                } as i32,
            }),
            BatchOp::Delete { key, if_version } => {
                Operation::Delete(pb::DeleteRequest { key, if_version })
            }
            BatchOp::Touch { key, ttl } => Operation::Touch(pb::TouchRequest {
                key,
                ttl_ms: ttl_ms(ttl),
            }),
        };
        pb::BatchOperation {
            operation: Some(operation),
        }
    }
}

pub(crate) fn value_of(response: pb::GetResponse) -> Option<Value> {
    response.found.then(|| Value {
        value: response.value,
        version: response.version,
        ttl_remaining: (response.ttl_remaining_ms > 0)
            .then(|| Duration::from_millis(response.ttl_remaining_ms)),
    })
}

fn outcome(result: pb::BatchResult) -> Result<BatchOutcome, ClientError> {
    use pb::batch_result::Result as Wire;
    match result.result {
        Some(Wire::Put(put)) => Ok(BatchOutcome::Put {
            version: put.version,
        }),
        Some(Wire::Get(get)) => Ok(BatchOutcome::Get(value_of(get))),
        Some(Wire::Delete(delete)) => Ok(BatchOutcome::Delete {
            deleted: delete.deleted,
        }),
        Some(Wire::Touch(touch)) => Ok(BatchOutcome::Touch { found: touch.found }),
        Some(Wire::Error(error)) => Err(ClientError::Status {
            code: Code::from_i32(error.code),
            message: error.message,
            leader: None,
            not_applied: error.not_applied,
            unsent: false,
            current_version: error.current_version,
        }),
        None => Err(ClientError::Status {
            code: Code::Internal,
            message: "the server answered an operation with no result".into(),
            leader: None,
            not_applied: false,
            unsent: false,
            current_version: None,
        }),
    }
}

impl Client {
    /// Runs many operations in one call; one result per operation, in order. A failed
    /// operation does not stop the others, and nothing is atomic across operations. The
    /// outer error means the call itself failed (connection, a batch over the server's
    /// limits, the deadline): then any of the writes may or may not have happened.
    #[allow(clippy::type_complexity)]
    pub async fn batch(
        &self,
        operations: Vec<BatchOp>,
    ) -> Result<Vec<Result<BatchOutcome, ClientError>>, ClientError> {
        let count = operations.len();
        let request = pb::BatchRequest {
            operations: operations.into_iter().map(BatchOp::into_wire).collect(),
        };
        let results = self.kv.clone().batch(request).await?.into_inner().results;
        if results.len() != count {
            return Err(ClientError::Status {
                code: Code::Internal,
                message: format!(
                    "the server answered {} results for {count} operations",
                    results.len()
                ),
                leader: None,
                not_applied: false,
                unsent: false,
                current_version: None,
            });
        }
        Ok(results.into_iter().map(outcome).collect())
    }
}
