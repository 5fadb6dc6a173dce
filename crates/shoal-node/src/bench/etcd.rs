//! A minimal etcd v3 KV client for `shoal bench --target etcd`: the same load generator
//! drives a peer system, so the comparison differs only in the server.
//!
//! Only the fields the benchmark uses are declared (protobuf ignores the rest); the message
//! numbers are those of etcd's `etcdserverpb` (api/etcdserverpb/rpc.proto, v3.4).

use std::time::Duration;

use anyhow::{Context, Result};
use http::uri::PathAndQuery;
use tonic::client::Grpc;
use tonic::transport::{Channel, Endpoint};
use tonic_prost::ProstCodec;

#[derive(Clone, PartialEq, prost::Message)]
struct PutRequest {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PutResponse {}

#[derive(Clone, PartialEq, prost::Message)]
struct RangeRequest {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    /// True: served by the contacted member without a quorum round (like shoal's stale).
    #[prost(bool, tag = "7")]
    serializable: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
struct KeyValue {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(int64, tag = "3")]
    mod_revision: i64,
    #[prost(bytes = "vec", tag = "5")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RangeResponse {
    #[prost(message, repeated, tag = "2")]
    kvs: Vec<KeyValue>,
}

/// One operation of a transaction (`RequestOp`): only `request_put` (a oneof member is
/// encoded like an optional field).
#[derive(Clone, PartialEq, prost::Message)]
struct RequestOp {
    #[prost(message, optional, tag = "2")]
    request_put: Option<PutRequest>,
}

/// A transaction with no compares: every `success` operation runs.
#[derive(Clone, PartialEq, prost::Message)]
struct TxnRequest {
    #[prost(message, repeated, tag = "2")]
    success: Vec<RequestOp>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct TxnResponse {
    #[prost(bool, tag = "2")]
    succeeded: bool,
}

/// One HTTP/2 connection to an etcd member.
#[derive(Clone)]
pub struct EtcdClient {
    grpc: Grpc<Channel>,
}

impl EtcdClient {
    pub async fn connect(endpoint: &str) -> Result<EtcdClient> {
        let url = if endpoint.contains("://") {
            endpoint.to_owned()
        } else {
            format!("http://{endpoint}")
        };
        let channel = Endpoint::from_shared(url)?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("connecting to etcd at {endpoint}"))?;
        Ok(EtcdClient {
            grpc: Grpc::new(channel),
        })
    }

    pub async fn put(&self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        let mut grpc = self.grpc.clone();
        grpc.ready().await?;
        grpc.unary::<_, PutResponse, _>(
            tonic::Request::new(PutRequest { key, value }),
            PathAndQuery::from_static("/etcdserverpb.KV/Put"),
            ProstCodec::default(),
        )
        .await?;
        Ok(())
    }

    /// Writes every pair in one transaction (etcd's equivalent of a batch of puts; keys
    /// must be distinct, at most `--max-txn-ops`, 128 by default).
    pub async fn put_many(&self, pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Result<()> {
        let mut grpc = self.grpc.clone();
        grpc.ready().await?;
        let success = pairs
            .into_iter()
            .map(|(key, value)| RequestOp {
                request_put: Some(PutRequest { key, value }),
            })
            .collect();
        let response = grpc
            .unary::<_, TxnResponse, _>(
                tonic::Request::new(TxnRequest { success }),
                PathAndQuery::from_static("/etcdserverpb.KV/Txn"),
                ProstCodec::default(),
            )
            .await?;
        anyhow::ensure!(
            response.into_inner().succeeded,
            "etcd did not run the transaction"
        );
        Ok(())
    }

    pub async fn get(&self, key: Vec<u8>, stale: bool) -> Result<Option<Vec<u8>>> {
        let mut grpc = self.grpc.clone();
        grpc.ready().await?;
        let response = grpc
            .unary::<_, RangeResponse, _>(
                tonic::Request::new(RangeRequest {
                    key,
                    serializable: stale,
                }),
                PathAndQuery::from_static("/etcdserverpb.KV/Range"),
                ProstCodec::default(),
            )
            .await?;
        Ok(response.into_inner().kvs.pop().map(|kv| kv.value))
    }
}
