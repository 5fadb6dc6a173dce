//! A cluster-aware client: it fetches the shard map (`Cluster.GetShardMap`), hashes each key
//! like the servers do (XXH3-64, seed 0), and sends the request straight to the shard's
//! leader. A wrong guess costs one NotLeader answer naming the right node (or a refused
//! connection to a dead one); the client then refreshes its map and retries — only such
//! answers, which prove the request changed nothing, are retried.

use backon::{BackoffBuilder, ConstantBuilder};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::{Client, ClientError, ConnectOptions, GetShardMapResponse, PutOptions, Value};

/// Attempts per request (the first one included).
const ATTEMPTS: usize = 4;
/// Pause before a retry that found no better target (an election is running).
const RETRY_PAUSE: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
struct ShardRoute {
    start: u64,
    end: u64,
    leader: Option<u64>,
    replicas: Vec<u64>,
}

#[derive(Debug, Default)]
struct Routing {
    epoch: u64,
    shards: Vec<ShardRoute>,
    addresses: HashMap<u64, String>,
    clients: HashMap<u64, Client>,
}

impl Routing {
    fn shard_for(&self, hash: u64) -> Option<usize> {
        let position = self.shards.partition_point(|shard| shard.start <= hash);
        position
            .checked_sub(1)
            .filter(|&index| self.shards[index].end >= hash)
    }
}

/// A client for a whole cluster. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SmartClient {
    seeds: Arc<Vec<String>>,
    options: ConnectOptions,
    routing: Arc<RwLock<Routing>>,
}

impl SmartClient {
    /// Connects through any of `seeds` (client API addresses) and loads the shard map.
    pub async fn connect(seeds: &[String]) -> Result<SmartClient, ClientError> {
        SmartClient::connect_with(seeds, &ConnectOptions::default()).await
    }

    /// Like [`SmartClient::connect`], reaching every node as `options` say.
    pub async fn connect_with(
        seeds: &[String],
        options: &ConnectOptions,
    ) -> Result<SmartClient, ClientError> {
        let client = SmartClient {
            seeds: Arc::new(seeds.to_vec()),
            options: options.clone(),
            routing: Arc::new(RwLock::new(Routing::default())),
        };
        client.refresh().await?;
        Ok(client)
    }

    /// The shard-map epoch the client routes with.
    pub fn epoch(&self) -> u64 {
        self.routing.read().expect("routing poisoned").epoch
    }

    /// Loads the shard map again from any node that answers.
    pub async fn refresh(&self) -> Result<(), ClientError> {
        let known: Vec<String> = {
            let routing = self.routing.read().expect("routing poisoned");
            routing.addresses.values().cloned().collect()
        };
        let mut last_error = None;
        for endpoint in self.seeds.iter().chain(known.iter()) {
            let client = match self.client_for_address(endpoint).await {
                Ok(client) => client,
                Err(error) => {
                    last_error = Some(error);
                    continue;
                }
            };
            match client.shard_map().await {
                Ok(map) if !map.shards.is_empty() => {
                    self.install(map);
                    return Ok(());
                }
                Ok(_) => {}
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| ClientError::Connect {
            endpoint: self.seeds.join(","),
            reason: "no node gave a shard map".into(),
        }))
    }

    fn install(&self, map: GetShardMapResponse) {
        let mut routing = self.routing.write().expect("routing poisoned");
        routing.epoch = map.epoch;
        routing.shards = map
            .shards
            .iter()
            .map(|shard| ShardRoute {
                start: shard.hash_start,
                end: shard.hash_end,
                leader: (shard.leader_id != 0).then_some(shard.leader_id),
                replicas: shard.replicas.iter().map(|r| r.node_id).collect(),
            })
            .collect();
        routing.shards.sort_by_key(|shard| shard.start);
        for shard in &map.shards {
            for replica in &shard.replicas {
                if !replica.client_address.is_empty() {
                    routing
                        .addresses
                        .insert(replica.node_id, replica.client_address.clone());
                }
            }
        }
    }

    async fn client_for_address(&self, address: &str) -> Result<Client, ClientError> {
        Client::connect_with(address, &self.options).await
    }

    async fn client_for_node(&self, node: u64) -> Result<Client, ClientError> {
        let address = {
            let routing = self.routing.read().expect("routing poisoned");
            if let Some(client) = routing.clients.get(&node) {
                return Ok(client.clone());
            }
            routing.addresses.get(&node).cloned()
        };
        let address = address.ok_or_else(|| ClientError::Connect {
            endpoint: format!("node {node}"),
            reason: "its client address is unknown".into(),
        })?;
        let client = Client::connect_with(&address, &self.options).await?;
        self.routing
            .write()
            .expect("routing poisoned")
            .clients
            .insert(node, client.clone());
        Ok(client)
    }

    /// The node to try for `key`: the known leader, else a replica, else any node.
    fn target(&self, key: &[u8]) -> Option<(usize, u64)> {
        let hash = xxhash_rust::xxh3::xxh3_64(key);
        let routing = self.routing.read().expect("routing poisoned");
        let index = routing.shard_for(hash)?;
        let shard = &routing.shards[index];
        let node = shard.leader.or_else(|| shard.replicas.first().copied())?;
        Some((index, node))
    }

    fn learn_leader(&self, shard: usize, leader: Option<u64>, failed: u64) {
        let mut routing = self.routing.write().expect("routing poisoned");
        if let Some(route) = routing.shards.get_mut(shard) {
            route.leader = leader.filter(|&l| l != failed).or_else(|| {
                route
                    .replicas
                    .iter()
                    .copied()
                    .find(|&replica| replica != failed)
            });
        }
        if leader.is_none() {
            routing.clients.remove(&failed);
        }
    }

    /// Runs `call` against the key's leader, following NotLeader answers and refused
    /// connections (both prove nothing happened) a few times.
    async fn routed<T, F, Fut>(&self, key: &[u8], call: F) -> Result<T, ClientError>
    where
        F: Fn(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let mut last_error = None;
        let mut pauses = ConstantBuilder::default()
            .with_delay(RETRY_PAUSE)
            .with_max_times(ATTEMPTS)
            .build();
        for attempt in 0..ATTEMPTS {
            let Some((shard, node)) = self.target(key) else {
                self.refresh().await?;
                continue;
            };
            let outcome = match self.client_for_node(node).await {
                Ok(client) => call(client).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(error) if error.is_safe_to_retry() && attempt + 1 < ATTEMPTS => {
                    let leader = match &error {
                        ClientError::Status { leader, .. } => *leader,
                        ClientError::Connect { .. } => None,
                    };
                    self.learn_leader(shard, leader, node);
                    if leader.is_none() {
                        let _ = self.refresh().await;
                        tokio::time::sleep(pauses.next().unwrap_or(RETRY_PAUSE)).await;
                    }
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.expect("at least one attempt failed"))
    }

    /// Writes a value; returns its new version.
    pub async fn put(
        &self,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
        options: PutOptions,
    ) -> Result<u64, ClientError> {
        let (key, value) = (key.into(), value.into());
        self.routed(&key, |client| {
            let (key, value) = (key.clone(), value.clone());
            async move { client.put(key, value, options).await }
        })
        .await
    }

    /// Reads a key (linearizable unless `stale`).
    pub async fn get(
        &self,
        key: impl Into<Vec<u8>>,
        stale: bool,
    ) -> Result<Option<Value>, ClientError> {
        let key = key.into();
        self.routed(&key, |client| {
            let key = key.clone();
            async move { client.get(key, stale).await }
        })
        .await
    }

    /// Deletes a key; returns whether a live key was removed.
    pub async fn delete(
        &self,
        key: impl Into<Vec<u8>>,
        if_version: Option<u64>,
    ) -> Result<bool, ClientError> {
        let key = key.into();
        self.routed(&key, |client| {
            let key = key.clone();
            async move { client.delete(key, if_version).await }
        })
        .await
    }

    /// Sets a new TTL from now (`None` removes the expiry); returns whether the key exists.
    pub async fn touch(
        &self,
        key: impl Into<Vec<u8>>,
        ttl: Option<Duration>,
    ) -> Result<bool, ClientError> {
        let key = key.into();
        self.routed(&key, |client| {
            let key = key.clone();
            async move { client.touch(key, ttl).await }
        })
        .await
    }
}
